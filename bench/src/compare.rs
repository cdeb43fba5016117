//! `ferrokv-bench compare`: redis-server and ferrokv side by side under redis-benchmark.
//!
//! Both servers run on free loopback ports with persistence off. redis-server and a one-shard
//! ferrokv are pinned to one core and redis-benchmark to the other; a ferrokv with more shards is
//! left unpinned (it needs every core). Runs alternate between the servers round by round
//! (A B A B ...) so that drift of the machine hits both alike. Server CPU is read from
//! /proc/PID/stat (utime + stime) before and after each run and divided by the requests sent.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clap::{ArgAction, Args};

use crate::{messaging, multi, scripts, sys};

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// The ferrokv-server binary.
    #[arg(long, default_value = "target/release/ferrokv-server")]
    pub ferrokv: PathBuf,
    /// The redis-server binary.
    #[arg(long, default_value = "redis-server")]
    pub redis: PathBuf,
    /// The redis-benchmark binary.
    #[arg(long, default_value = "redis-benchmark")]
    pub redis_benchmark: PathBuf,
    /// ferrokv shard counts to compare, one table section each.
    #[arg(long, value_delimiter = ',', action = ArgAction::Set, default_value = "1,2")]
    pub shards: Vec<usize>,
    /// redis-benchmark pipeline depths (-P).
    #[arg(long, value_delimiter = ',', action = ArgAction::Set, default_value = "1,16,64")]
    pub pipelines: Vec<u32>,
    /// redis-benchmark tests (-t), one run per test; also ferrokv-bench's own loads:
    /// `multi_set` (MULTI, <pipeline> SETs, EXEC per round trip; one request = one SET) and the
    /// script workloads evalsha_bucket, evalsha_transfer_1shard and evalsha_transfer_2shard
    /// (see scripts.rs), and the messaging tests publish_<subscribers> (publish_1, publish_100),
    /// xadd, xadd_spread and xreadgroup_ack (see messaging.rs).
    #[arg(long, value_delimiter = ',', action = ArgAction::Set, default_value = "set,get")]
    pub tests: Vec<String>,
    /// Requests per run (-n).
    #[arg(short = 'n', long = "requests", default_value_t = 1_000_000)]
    pub requests: u64,
    /// Parallel connections (-c).
    #[arg(short = 'c', long = "clients", default_value_t = 50)]
    pub clients: u32,
    /// Value size in bytes (-d).
    #[arg(short = 'd', long = "data-size", default_value_t = 64)]
    pub data_size: u32,
    /// Random keyspace size (-r).
    #[arg(short = 'r', long = "keyspace", default_value_t = 100_000)]
    pub keyspace: u64,
    /// Measured rounds per (test, pipeline, shards); the table shows medians.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Core for redis-server and ferrokv --shards 1.
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    /// Core for redis-benchmark.
    #[arg(long, default_value_t = 1)]
    pub client_cpu: usize,
    /// Pin nothing.
    #[arg(long)]
    pub no_pin: bool,
    /// Skip the unmeasured warm-up run of each test on each server.
    #[arg(long)]
    pub no_warmup: bool,
    /// Also print each server thread's CPU per run (ferrokv: one line per shard thread).
    #[arg(long)]
    pub per_thread: bool,
    /// xreadgroup_ack: consumer connections reading the stream.
    #[arg(long, default_value_t = 4)]
    pub consumers: u32,
    /// publish_<N>: publishers pause while the slowest subscriber is more than this many
    /// messages behind, which keeps every subscriber far below the pub/sub output buffer limit.
    #[arg(long, default_value_t = 10_000)]
    pub max_lag: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Which {
    Redis,
    Ferrokv,
}

impl Which {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Which::Redis => "redis",
            Which::Ferrokv => "ferrokv",
        }
    }
}

/// A server under test; killed (SIGTERM, then SIGKILL) when dropped.
pub(crate) struct Server {
    pub(crate) which: Which,
    child: Child,
    pub(crate) port: u16,
    log: PathBuf,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn start(
        which: Which,
        bin: &Path,
        shards: usize,
        pin: Option<usize>,
    ) -> Result<Server, String> {
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!(
            "ferrokv-bench-{}-{}-{}.log",
            std::process::id(),
            which.name(),
            port
        ));
        let logfile = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let logfile2 = logfile.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(bin);
        cmd.arg("--port").arg(port.to_string());
        if which == Which::Ferrokv {
            cmd.arg("--shards").arg(shards.to_string());
        }
        cmd.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(logfile))
            .stderr(Stdio::from(logfile2));
        set_affinity_on_exec(&mut cmd, pin);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut server = Server {
            which,
            child,
            port,
            log,
        };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited during startup ({status}); its output:\n{}",
                    self.which.name(),
                    tail(&self.log)
                ));
            }
            if ping(self.port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not answer PING on port {} within 20 s; its output:\n{}",
                    self.which.name(),
                    self.port,
                    tail(&self.log)
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn set_affinity_on_exec(cmd: &mut Command, cpu: Option<usize>) {
    if let Some(cpu) = cpu {
        // SAFETY: the closure only calls sched_setaffinity, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || sys::pin_current_thread(cpu));
        }
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match s.read(&mut buf) {
        Ok(n) => buf[..n].starts_with(b"+PONG"),
        Err(_) => false,
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// One run against one server.
#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Requests (or, for messaging tests, messages) per second.
    rps: f64,
    /// Server CPU per request (or message).
    cpu_us_per_op: f64,
    /// Server CPU per command (a PUBLISH, an XREADGROUP+XACK round); the same as per request
    /// for the others.
    cpu_us_per_cmd: f64,
}

/// One run's load, set up before the server's CPU counters are read.
enum Load {
    /// redis-benchmark with these arguments after the common ones.
    Benchmark(Vec<String>),
    Multi,
    Messaging(messaging::Prepared),
}

struct Runner<'a> {
    args: &'a CompareArgs,
    tck: u64,
}

impl Runner<'_> {
    fn client_pin(&self) -> Option<usize> {
        (!self.args.no_pin).then_some(self.args.client_cpu)
    }

    fn prepare(&self, port: u16, test: &str, pipeline: u32, requests: u64) -> Result<Load, String> {
        if test == multi::TEST {
            return Ok(Load::Multi);
        }
        let Some(kind) = messaging::Kind::of(test) else {
            return Ok(Load::Benchmark(scripts::benchmark_args(test, port)?));
        };
        if let messaging::Kind::Xadd { spread } = kind {
            return Ok(Load::Benchmark(messaging::xadd_benchmark_args(
                port, spread,
            )?));
        }
        let params = messaging::Params {
            port,
            requests,
            clients: self.args.clients,
            data_size: self.args.data_size,
            pipeline,
            consumers: self.args.consumers,
            max_lag: self.args.max_lag,
            pin: self.client_pin(),
        };
        let prepared = messaging::prepare(kind, &params)?
            .ok_or_else(|| format!("{test} has no load of its own"))?;
        Ok(Load::Messaging(prepared))
    }

    /// Runs one test once; returns its rates and server CPU, and per-thread lines if asked.
    fn run(
        &self,
        server: &mut Server,
        test: &str,
        pipeline: u32,
        requests: u64,
    ) -> Result<(Sample, Vec<String>), String> {
        let load = self.prepare(server.port, test, pipeline, requests)?;
        let pid = server.pid();
        let threads_before = if self.args.per_thread {
            sys::thread_ticks(pid)
        } else {
            Vec::new()
        };
        let before = sys::process_ticks(pid).map_err(|e| e.to_string())?;
        let outcome = match load {
            Load::Multi => {
                let load = multi::Load {
                    port: server.port,
                    requests,
                    clients: self.args.clients,
                    data_size: self.args.data_size,
                    keyspace: self.args.keyspace,
                    pipeline,
                    pin: self.client_pin(),
                };
                multi::run(&load).map(|rate| outcome_of_rates(requests, &[rate]))
            }
            Load::Benchmark(workload) => self
                .redis_benchmark(server, &workload, pipeline, requests)
                .map(|rates| outcome_of_rates(requests, &rates)),
            Load::Messaging(prepared) => prepared.run(),
        };
        let after = sys::process_ticks(pid).map_err(|e| e.to_string());
        // A load that fails because the server died says so, with the server's last words.
        if !server.alive() {
            return Err(format!(
                "{} died during the run; its output:\n{}",
                server.which.name(),
                tail(&server.log)
            ));
        }
        let (outcome, after) = (outcome?, after?);
        drop(outcome.open);
        if let Some(messaging::Kind::Xadd { spread }) = messaging::Kind::of(test) {
            let in_flight = u64::from(self.args.clients) * u64::from(pipeline);
            messaging::check_xadd(server.port, spread, requests, in_flight)?;
        }
        let units = outcome.units as f64;
        let cpu_us = (after - before) as f64 * 1e6 / self.tck as f64;
        let threads = if self.args.per_thread {
            self.thread_lines(pid, &threads_before, units)
        } else {
            Vec::new()
        };
        let sample = Sample {
            rps: units / outcome.seconds,
            cpu_us_per_op: cpu_us / units,
            cpu_us_per_cmd: cpu_us / outcome.commands as f64,
        };
        Ok((sample, threads))
    }

    /// Runs redis-benchmark once; returns the requests/s of each line it reports.
    fn redis_benchmark(
        &self,
        server: &Server,
        workload: &[String],
        pipeline: u32,
        requests: u64,
    ) -> Result<Vec<f64>, String> {
        let mut cmd = Command::new(&self.args.redis_benchmark);
        cmd.args(["-h", "127.0.0.1", "-p"])
            .arg(server.port.to_string())
            .arg("-n")
            .arg(requests.to_string())
            .arg("-c")
            .arg(self.args.clients.to_string())
            .arg("-d")
            .arg(self.args.data_size.to_string())
            .arg("-r")
            .arg(self.args.keyspace.to_string())
            .arg("-P")
            .arg(pipeline.to_string())
            .args(["-q", "--csv"])
            // Last: redis-benchmark takes the first word that is not an option as the start of
            // a custom command.
            .args(workload)
            .stdin(Stdio::null());
        set_affinity_on_exec(&mut cmd, self.client_pin());
        let out = cmd.output().map_err(|e| {
            format!(
                "cannot run {}: {e}",
                self.args.redis_benchmark.to_string_lossy()
            )
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines().filter(|l| !l.trim().is_empty()).take(5) {
            eprintln!("    [{} redis-benchmark] {line}", server.which.name());
        }
        if !out.status.success() {
            return Err(format!("redis-benchmark failed ({})", out.status));
        }
        let rates = parse_csv(&stdout);
        if rates.is_empty() {
            return Err(format!("no results in redis-benchmark output:\n{stdout}"));
        }
        Ok(rates)
    }

    /// CPU per request of each living server thread that used any during the run.
    fn thread_lines(&self, pid: u32, before: &[(u32, String, u64)], ops: f64) -> Vec<String> {
        let mut lines = Vec::new();
        for (tid, comm, ticks) in sys::thread_ticks(pid) {
            let prev = before.iter().find(|t| t.0 == tid).map(|t| t.2).unwrap_or(0);
            let delta = ticks - prev.min(ticks);
            if delta > 0 {
                lines.push(format!(
                    "      thread {tid} {comm:<16} {:>9.3} CPU-µs/op",
                    delta as f64 * 1e6 / self.tck as f64 / ops
                ));
            }
        }
        lines
    }
}

/// A run of `requests` per line at these rates per line: a -t item can expand into several
/// lines (lrange, for one), each of which sent `requests`.
fn outcome_of_rates(requests: u64, rates: &[f64]) -> messaging::Outcome {
    let units = requests * rates.len() as u64;
    messaging::Outcome {
        units,
        commands: units,
        seconds: rates.iter().map(|r| requests as f64 / r).sum(),
        open: Vec::new(),
    }
}

/// requests/s of every result line of `redis-benchmark --csv`.
fn parse_csv(text: &str) -> Vec<f64> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let name = fields.next()?;
            if name == "test" || name.is_empty() {
                return None;
            }
            fields.next()?.parse::<f64>().ok().filter(|r| *r > 0.0)
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

struct Row {
    test: String,
    pipeline: u32,
    shards: usize,
    redis: Vec<Sample>,
    ferrokv: Vec<Sample>,
}

impl Row {
    /// Medians of `f` over redis's and ferrokv's rounds.
    fn medians(&self, f: impl Fn(&Sample) -> f64) -> (f64, f64) {
        (
            median(self.redis.iter().map(&f).collect()),
            median(self.ferrokv.iter().map(&f).collect()),
        )
    }

    /// The median of per-round ferrokv/redis ratios of `f`: each round's two runs ran back to
    /// back.
    fn paired_ratio(&self, f: impl Fn(&Sample) -> f64) -> f64 {
        median(
            self.redis
                .iter()
                .zip(&self.ferrokv)
                .map(|(r, k)| f(k) / f(r))
                .collect(),
        )
    }

    fn cells(&self) -> String {
        let (r_rps, f_rps) = self.medians(|s| s.rps);
        let (r_cpu, f_cpu) = self.medians(|s| s.cpu_us_per_op);
        format!(
            "| {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.2} |",
            self.test,
            self.pipeline,
            self.shards,
            fmt_rate(r_rps),
            fmt_rate(f_rps),
            r_cpu,
            f_cpu,
            self.paired_ratio(|s| s.cpu_us_per_op)
        )
    }

    fn messaging_cells(&self) -> String {
        let (r_rps, f_rps) = self.medians(|s| s.rps);
        let (r_cpu, f_cpu) = self.medians(|s| s.cpu_us_per_op);
        let (r_cmd, f_cmd) = self.medians(|s| s.cpu_us_per_cmd);
        format!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.3} | {:.3} | {:.2} | {:.3} | {:.3} |",
            self.test,
            self.pipeline,
            self.shards,
            fmt_rate(r_rps),
            fmt_rate(f_rps),
            self.paired_ratio(|s| s.rps),
            r_cpu,
            f_cpu,
            self.paired_ratio(|s| s.cpu_us_per_op),
            r_cmd,
            f_cmd
        )
    }
}

fn fmt_rate(r: f64) -> String {
    if !r.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.0}", r);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cpu}, {cores} cores available, Linux {kernel}")
}

/// `BIN --version`, first line; killed after 5 s in case the binary ignores the flag and serves.
fn version_of(bin: &Path) -> String {
    let unknown = || "version unknown".to_string();
    let Ok(mut child) = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return unknown();
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return unknown();
            }
        }
    }
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    out.lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(unknown)
}

pub fn run(args: CompareArgs) -> Result<(), String> {
    if args.rounds == 0 || args.tests.is_empty() || args.pipelines.is_empty() {
        return Err("need at least one round, test and pipeline".into());
    }
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut notes = Vec::new();
    if args.no_pin {
        notes.push("Nothing pinned (--no-pin).".to_string());
    } else {
        notes.push(format!(
            "redis-server pinned to core {}, the load (redis-benchmark or the bench's own client threads) to core {}; ferrokv --shards 1 pinned to core {}; \
             ferrokv with more shards not pinned (it uses every core, and shares core {} with the client).",
            args.server_cpu, args.client_cpu, args.server_cpu, args.client_cpu
        ));
        if cores < 2 {
            notes.push(
                "Only one core available: pinning puts client and server on the same core.".into(),
            );
        }
    }
    let runner = Runner {
        args: &args,
        tck: sys::clk_tck(),
    };
    let server_pin = (!args.no_pin).then_some(args.server_cpu);

    println!("# ferrokv vs redis-server");
    println!();
    println!("- date: {}", sys::utc_now());
    println!("- machine: {}", machine_line());
    println!("- redis: {}", version_of(&args.redis));
    println!(
        "- ferrokv: {} ({})",
        args.ferrokv.display(),
        version_of(&args.ferrokv)
    );
    println!(
        "- command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    let own_load = |t: &String| {
        t == multi::TEST
            || matches!(
                messaging::Kind::of(t),
                Some(messaging::Kind::Publish { .. } | messaging::Kind::XreadgroupAck)
            )
    };
    if !args.tests.iter().all(own_load) {
        println!(
        "- load: redis-benchmark -t <test> -n {} -c {} -d {} -r {} -P <pipeline> -q --csv; {} rounds, servers alternating A B A B",
        args.requests, args.clients, args.data_size, args.keyspace, args.rounds
    );
    } else {
        println!(
            "- load: -n {} -c {} -d {} -P <pipeline>; {} rounds, servers alternating A B A B",
            args.requests, args.clients, args.data_size, args.rounds
        );
    }
    for test in &args.tests {
        match messaging::Kind::of(test) {
            Some(messaging::Kind::Publish { subscribers }) => println!(
                "- {test}: subscribers = {subscribers} connections SUBSCRIBEd to one channel, each read by a thread counting message frames; -c publisher connections sending <pipeline> PUBLISHes of -d bytes per write; publishers pause while a subscriber is more than {} messages behind; every PUBLISH must answer {subscribers} and every subscriber must get every message",
                args.max_lag
            ),
            Some(messaging::Kind::Xadd { spread: false }) => println!(
                "- {test}: redis-benchmark XADD bench:stream * f1 v1 f2 v2 f3 v3 (one stream, emptied before each run; XLEN checked after)"
            ),
            Some(messaging::Kind::Xadd { spread: true }) => println!(
                "- {test}: redis-benchmark XADD bench:stream:__rand_int__ * f1 v1 f2 v2 f3 v3 (streams over the -r keyspace, emptied before each run)"
            ),
            Some(messaging::Kind::XreadgroupAck) => println!(
                "- {test}: one stream pre-filled with -n entries of f1 v1 f2 v2 f3 v3 and one group at 0 (not measured); {} consumer connections loop XREADGROUP GROUP g <name> COUNT 10 STREAMS s > then XACK of the IDs, until nothing is left; every entry delivered and acknowledged once; -P does not apply",
                args.consumers
            ),
            None => {}
        }
    }
    if args.tests.iter().any(|t| t == multi::TEST) {
        println!(
            "- {}: ferrokv-bench's own load, -c connections each sending MULTI, <pipeline> SETs (-d, -r as above) and EXEC per round trip; one request = one SET",
            multi::TEST
        );
    }
    println!();

    let mut redis = Server::start(Which::Redis, &args.redis, 0, server_pin)?;
    eprintln!(
        "redis-server up on port {} (pid {})",
        redis.port,
        redis.pid()
    );
    let mut rows = Vec::new();
    for &shards in &args.shards {
        let pin = if shards == 1 { server_pin } else { None };
        let mut ferrokv = Server::start(Which::Ferrokv, &args.ferrokv, shards, pin)?;
        eprintln!(
            "ferrokv --shards {shards} up on port {} (pid {}{})",
            ferrokv.port,
            ferrokv.pid(),
            if pin.is_some() {
                ", pinned"
            } else {
                ", not pinned"
            }
        );
        if !args.no_warmup {
            for test in &args.tests {
                let n = args.requests.min(100_000);
                for server in [&mut redis, &mut ferrokv] {
                    runner
                        .run(server, test, 16, n)
                        .map_err(|e| format!("warm-up {test} on {}: {e}", server.which.name()))?;
                }
            }
        }
        for test in &args.tests {
            let pipelines = match messaging::Kind::of(test) {
                // One request at a time whatever -P says: one row, shown as -P 1.
                Some(kind) if !kind.pipelined() => &[1][..],
                _ => &args.pipelines[..],
            };
            for &pipeline in pipelines {
                let mut row = Row {
                    test: test.clone(),
                    pipeline,
                    shards,
                    redis: Vec::new(),
                    ferrokv: Vec::new(),
                };
                for round in 1..=args.rounds {
                    for server in [&mut redis, &mut ferrokv] {
                        let which = server.which;
                        let (s, threads) = runner
                            .run(server, test, pipeline, args.requests)
                            .map_err(|e| {
                                format!("{test} -P {pipeline} on {}: {e}", which.name())
                            })?;
                        eprintln!(
                            "  round {round}/{} {test} -P {pipeline} shards {shards} {:<8} {:>12} /s {:>8.3} CPU-µs per request or message",
                            args.rounds,
                            which.name(),
                            fmt_rate(s.rps),
                            s.cpu_us_per_op
                        );
                        for line in threads {
                            eprintln!("{line}");
                        }
                        match which {
                            Which::Redis => row.redis.push(s),
                            Which::Ferrokv => row.ferrokv.push(s),
                        }
                    }
                }
                rows.push(row);
            }
        }
        drop(ferrokv);
    }
    drop(redis);

    let (messages, requests): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|r| messaging::Kind::of(&r.test).is_some());
    if !requests.is_empty() {
        println!("| test | pipeline | shards | redis req/s | ferrokv req/s | redis CPU-µs/op | ferrokv CPU-µs/op | ferrokv/redis CPU |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|");
        for row in requests {
            println!("{}", row.cells());
        }
        println!();
    }
    if !messages.is_empty() {
        println!("| test | pipeline | shards | redis msg/s | ferrokv msg/s | ferrokv/redis msg/s | redis CPU-µs/msg | ferrokv CPU-µs/msg | ferrokv/redis CPU | redis CPU-µs/cmd | ferrokv CPU-µs/cmd |");
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in messages {
            println!("{}", row.messaging_cells());
        }
        println!();
        println!(
            "msg: a message delivered to one subscriber (publish_N), an entry added (xadd), an entry \
             read and acknowledged (xreadgroup_ack); cmd: a PUBLISH (N messages), an XADD, an \
             XREADGROUP COUNT 10 + XACK round."
        );
    }
    println!(
        "Medians over {} rounds; the CPU ratio is the median of per-round paired ratios. \
         CPU is utime+stime of the whole server process from /proc/PID/stat ({} ticks/s).",
        args.rounds, runner.tck
    );
    for n in notes {
        println!("{n}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rates() {
        let text = "\"test\",\"rps\",\"avg_latency_ms\"\n\"SET\",\"222222.23\",\"3.6\"\n\"MSET (10 keys)\",\"181818.19\",\"3.5\"\n";
        assert_eq!(parse_csv(text), vec![222222.23, 181818.19]);
        assert!(parse_csv("").is_empty());
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(vec![]).is_nan());
    }

    #[test]
    fn rates_have_separators() {
        assert_eq!(fmt_rate(1234567.4), "1,234,567");
        assert_eq!(fmt_rate(999.0), "999");
        assert_eq!(fmt_rate(f64::NAN), "n/a");
    }
}
