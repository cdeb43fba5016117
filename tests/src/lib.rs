//! Test support: start servers on free ports, talk to them.
//!
//! * [`TestServer`] spawns `ferrokv-server` or `redis-server` on a free port, waits until it
//!   answers, and kills it on drop (and, through `PR_SET_PDEATHSIG`, when the test process dies).
//! * [`shared`] is one server per test binary (4 shards, so routing really crosses shards);
//!   tests on it use distinct key prefixes.
//! * `FERROKV_TEST_TARGET=redis` makes [`start_target`] and [`shared`] start `redis-server`
//!   instead: every integration test can run against the real thing, which is how the
//!   expectations in this crate are checked.
//! * [`RawConn`] speaks RESP over a plain `TcpStream` for protocol-level tests: exact reply bytes,
//!   exact error texts, half frames, pipelines of raw bytes.
//! * [`key_on_shard`] finds keys that ferrokv routes to a given shard.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Shards of the shared test server and of [`start_target`] callers that do not care.
pub const DEFAULT_SHARDS: usize = 4;
/// Number of hash slots, as in Redis Cluster.
pub const SLOTS: u16 = 16384;
/// How long a reply may take before a test gives up (servers run as debug builds on 2 cores).
pub const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

/// True when running under CI (`CI=true`): tests that need redis-server must not skip there.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// True when `FERROKV_TEST_TARGET=redis`: integration tests then run against redis-server.
pub fn target_is_redis() -> bool {
    std::env::var("FERROKV_TEST_TARGET")
        .map(|v| v.eq_ignore_ascii_case("redis"))
        .unwrap_or(false)
}

/// The redis-server program: `REDIS_SERVER` if set, else `redis-server` from PATH.
pub fn redis_server_program() -> PathBuf {
    std::env::var_os("REDIS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("redis-server"))
}

/// Whether redis-server can be run here.
pub fn redis_server_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(redis_server_program())
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    })
}

/// Returns from the calling test when redis-server is missing (printing why), except under CI
/// (`CI=true`), where a missing redis-server is a failure.
#[macro_export]
macro_rules! require_redis {
    () => {
        if !$crate::redis_server_available() {
            if $crate::in_ci() {
                panic!("redis-server not installed, but CI=true: CI must run these tests");
            }
            eprintln!("skipping: redis-server not installed");
            return;
        }
    };
}

/// Path of the ferrokv-server binary: `FERROKV_BIN`, else next to this test executable's
/// `deps/` folder (target/<profile>/deps/x -> target/<profile>/ferrokv-server).
pub fn ferrokv_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROKV_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut dir = exe.parent().expect("exe dir").to_path_buf();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    dir.join("ferrokv-server")
}

// ---------------------------------------------------------------------------------------------
// Ports, processes
// ---------------------------------------------------------------------------------------------

/// A TCP port on 127.0.0.1 that was free a moment ago and that this process has not handed out
/// before.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    for _ in 0..1000 {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = l.local_addr().expect("local_addr").port();
        if given.insert(port) {
            return port;
        }
    }
    panic!("no free port found");
}

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// Servers are spawned from one thread that lives as long as the process, with
/// `PR_SET_PDEATHSIG = SIGKILL`: the kernel kills them when that thread (so: the test process)
/// dies, even for the shared servers that are never dropped.
fn spawn(mut cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let tx = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("server-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn thread");
        Mutex::new(tx)
    });
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let (rtx, rrx) = mpsc::channel();
    tx.lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, rtx))
        .expect("spawner thread alive");
    rrx.recv().expect("spawner thread reply")
}

/// Which program a [`TestServer`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Ferrokv,
    Redis,
}

/// A server process on a free port of 127.0.0.1, killed on drop.
pub struct TestServer {
    kind: ServerKind,
    program: PathBuf,
    extra: Vec<String>,
    shards: usize,
    port: u16,
    child: Option<Child>,
    log: PathBuf,
}

impl TestServer {
    /// `ferrokv-server --port P --bind 127.0.0.1 --shards N --save '' --appendonly no [extra]`.
    pub fn ferrokv(shards: usize, extra_args: &[&str]) -> TestServer {
        let program = ferrokv_bin();
        if !program.exists() {
            panic!(
                "ferrokv-server binary not found at {}: run `cargo build -p ferrokv-server` \
                 first (or set FERROKV_BIN to its path)",
                program.display()
            );
        }
        Self::start(ServerKind::Ferrokv, program, shards, extra_args)
    }

    /// `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no [extra]`.
    /// `shards()` of such a server is [`DEFAULT_SHARDS`], so key spreading helpers give the same
    /// keys as against ferrokv.
    pub fn redis(extra_args: &[&str]) -> TestServer {
        if !redis_server_available() {
            panic!("redis-server is not installed (set REDIS_SERVER or install redis-server)");
        }
        Self::start(
            ServerKind::Redis,
            redis_server_program(),
            DEFAULT_SHARDS,
            extra_args,
        )
    }

    fn start(kind: ServerKind, program: PathBuf, shards: usize, extra: &[&str]) -> TestServer {
        let mut s = TestServer {
            kind,
            program,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            shards,
            port: 0,
            child: None,
            log: PathBuf::new(),
        };
        let mut last_err = String::new();
        for _attempt in 0..5 {
            s.port = free_port();
            match s.launch() {
                Ok(()) => return s,
                Err(e) => last_err = e,
            }
        }
        panic!("could not start {:?}: {}", s.kind, last_err);
    }

    fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "--port".into(),
            self.port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
        ];
        if self.kind == ServerKind::Ferrokv {
            a.push("--shards".into());
            a.push(self.shards.to_string());
        }
        a.extend(["--save", "", "--appendonly", "no"].map(String::from));
        if self.kind == ServerKind::Redis {
            // DEBUG POPULATE and friends; ferrokv has no such switch.
            a.extend(["--enable-debug-command", "yes"].map(String::from));
        }
        a.extend(self.extra.iter().cloned());
        a
    }

    /// Spawns the process on `self.port` and waits until it answers PING. On failure the
    /// process is gone and the error carries the tail of its log.
    fn launch(&mut self) -> Result<(), String> {
        let dir = std::env::temp_dir().join("ferrokv-tests");
        let _ = std::fs::create_dir_all(&dir);
        let name = match self.kind {
            ServerKind::Ferrokv => "ferrokv",
            ServerKind::Redis => "redis",
        };
        self.log = dir.join(format!("{name}-{}-{}.log", std::process::id(), self.port));
        let log = File::create(&self.log).map_err(|e| format!("log file: {e}"))?;
        let log2 = log.try_clone().map_err(|e| format!("log file: {e}"))?;
        let mut cmd = Command::new(&self.program);
        // redis-server compares SORT ALPHA with strcoll in the locale it inherits; ferrokv
        // compares bytes, which is what the C locale gives.
        cmd.env("LC_ALL", "C")
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .current_dir(&dir);
        let child = spawn(cmd).map_err(|e| format!("spawn {}: {e}", self.program.display()))?;
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!(
                    "server exited during startup ({status}); command: {} {:?}; log:\n{}",
                    self.program.display(),
                    self.args(),
                    self.log_tail()
                ));
            }
            if ping_once(self.addr()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill_9();
                return Err(format!(
                    "server did not answer PING within {START_TIMEOUT:?}; log:\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last lines of the server's stdout/stderr.
    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    pub fn kind(&self) -> ServerKind {
        self.kind
    }
    pub fn is_redis(&self) -> bool {
        self.kind == ServerKind::Redis
    }
    pub fn is_ferrokv(&self) -> bool {
        self.kind == ServerKind::Ferrokv
    }
    /// Shards of a ferrokv server; [`DEFAULT_SHARDS`] for redis-server.
    pub fn shards(&self) -> usize {
        self.shards
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// A `redis` crate client for this server.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url()).expect("redis::Client::open")
    }

    /// A `redis` crate connection with read/write timeouts.
    pub fn conn(&self) -> redis::Connection {
        let c = self
            .client()
            .get_connection_with_timeout(IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.addr()));
        c.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        c.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        c
    }

    /// A raw RESP connection.
    pub fn raw(&self) -> RawConn {
        RawConn::connect(self.addr())
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGKILL the server and reap it.
    pub fn kill_9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM the server and wait (bounded) for it to exit; returns its exit status.
    pub fn terminate(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut c = self.child.take()?;
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(c.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                return Some(st);
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits (bounded) for the process to exit on its own, e.g. after SHUTDOWN.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let c = self.child.as_mut()?;
            if let Ok(Some(st)) = c.try_wait() {
                self.child = None;
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts the server again with the same port and arguments (after `kill_9`, `terminate`
    /// or a crash) and waits until it answers.
    pub fn restart(&mut self) {
        self.kill_9();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.launch() {
                Ok(()) => return,
                // The old listener may linger for a moment.
                Err(e) if Instant::now() < deadline && e.contains("in use") => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("restart failed: {e}"),
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill_9();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// Connects, sends PING, and returns true on any reply line (`+PONG`, `-NOAUTH ...`, ...).
fn ping_once(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 256];
    let mut got = Vec::new();
    while !got.ends_with(b"\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    matches!(got.first(), Some(b'+') | Some(b'-'))
}

/// Starts the server under test: ferrokv with `shards`, or redis-server when
/// `FERROKV_TEST_TARGET=redis`.
pub fn start_target(shards: usize, extra_args: &[&str]) -> TestServer {
    if target_is_redis() {
        TestServer::redis(extra_args)
    } else {
        TestServer::ferrokv(shards, extra_args)
    }
}

/// The server shared by all tests of one test binary (started on first use, 4 shards).
/// Tests on it must use their own key prefixes and must not FLUSHDB/FLUSHALL/SWAPDB.
pub fn shared() -> &'static TestServer {
    static SHARED: OnceLock<TestServer> = OnceLock::new();
    SHARED.get_or_init(|| start_target(DEFAULT_SHARDS, &[]))
}

/// Polls `cond` every `interval` until it is true (returns true) or `timeout` passes (false).
pub fn poll_until(timeout: Duration, interval: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(interval);
    }
}

/// How long the blocking helpers wait for a client to show as blocked, or to be gone.
pub const BLOCK_WAIT: Duration = Duration::from_secs(20);
const BLOCK_POLL: Duration = Duration::from_millis(5);

/// A connection and its CLIENT ID, for tests of blocking commands: a command is sent, then
/// the test waits until the server lists the client as blocked, so nothing depends on timing.
pub struct BlockingClient {
    pub c: RawConn,
    pub id: i64,
}

impl BlockingClient {
    pub fn on(server: &TestServer) -> BlockingClient {
        let mut c = server.raw();
        let id = c.cmd(&["CLIENT", "ID"]).as_int();
        BlockingClient { c, id }
    }

    /// A client of the shared server.
    pub fn shared() -> BlockingClient {
        BlockingClient::on(shared())
    }

    /// Sends a blocking command and returns once the server shows the client as blocked.
    pub fn block(&mut self, args: &[&str]) {
        self.block_on(shared(), args);
    }

    pub fn block_on(&mut self, server: &TestServer, args: &[&str]) {
        self.c.send_cmd(args);
        self.wait_blocked(server, &format!("{args:?}"));
    }

    /// Polls CLIENT LIST until this client has the `b` (blocked) flag. Fails at once when a
    /// reply arrives instead.
    pub fn wait_blocked(&mut self, server: &TestServer, what: &str) {
        let mut q = server.raw();
        let mut flags = None;
        let mut answered = false;
        let seen = poll_until(BLOCK_WAIT, BLOCK_POLL, || {
            flags = client_flags(&mut q, self.id);
            if flags.as_deref().is_some_and(|f| f.contains('b')) {
                return true;
            }
            answered = self.has_reply();
            answered
        });
        if answered {
            panic!("{what} answered without blocking: {:?}", self.c.read());
        }
        assert!(
            seen,
            "client {} never blocked in {what}; flags {flags:?}",
            self.id
        );
    }

    /// Whether bytes (or the end of the stream) wait to be read.
    pub fn has_reply(&self) -> bool {
        let s = self.c.stream();
        s.set_nonblocking(true).expect("nonblocking");
        let r = s.peek(&mut [0u8; 1]);
        s.set_nonblocking(false).expect("blocking");
        r.is_ok()
    }

    pub fn read(&mut self) -> Resp {
        self.c.read()
    }
}

/// The flags of client `id` in CLIENT LIST, None when it is not connected.
pub fn client_flags(q: &mut RawConn, id: i64) -> Option<String> {
    let list = q.cmd(&["CLIENT", "LIST", "ID", &id.to_string()]).as_str();
    list.split_whitespace()
        .find_map(|f| f.strip_prefix("flags="))
        .map(str::to_string)
}

/// Polls CLIENT LIST until client `id` is gone.
pub fn wait_gone(server: &TestServer, id: i64) {
    let mut q = server.raw();
    let gone = poll_until(BLOCK_WAIT, BLOCK_POLL, || {
        client_flags(&mut q, id).is_none()
    });
    assert!(gone, "client {id} still listed");
}

/// `name first numkeys keys... args...`: EVAL, EVALSHA, FCALL and their `_RO` forms.
pub fn keys_command(name: &str, first: &str, keys: &[&str], args: &[&str]) -> Vec<String> {
    let mut v = vec![name.to_string(), first.to_string(), keys.len().to_string()];
    v.extend(keys.iter().chain(args).map(|s| s.to_string()));
    v
}

/// Sends `args` on fresh connections, one after another, until one answers within `per_try`;
/// returns that answer. While a script runs, a server may leave some connections unserved until
/// the script ends, so tests that must reach it meanwhile (BUSY replies, SCRIPT KILL) ask
/// through whichever connection answers; the silent ones are dropped. Panics when no connection
/// answers within `total`.
pub fn ask_any_conn(
    server: &TestServer,
    args: &[&str],
    per_try: Duration,
    total: Duration,
) -> Resp {
    let deadline = Instant::now() + total;
    loop {
        let mut c = server.raw();
        c.set_read_timeout(per_try);
        c.send_cmd(args);
        if let Ok(r) = c.try_read() {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "no connection answered {args:?} within {total:?}"
        );
    }
}

/// Sends a command that runs an endless script on `c`, and checks that no reply comes within
/// 300 ms: a script that ended (or never started) fails the test at once instead of leaving it
/// waiting for a BUSY that cannot come.
pub fn start_endless<A: AsRef<[u8]>>(c: &mut RawConn, args: &[A]) {
    c.send_cmd(args);
    c.set_read_timeout(Duration::from_millis(300));
    if let Ok(r) = c.try_read() {
        panic!("the endless script answered at once: {r:?}");
    }
    c.set_read_timeout(IO_TIMEOUT);
}

/// Asks [`ask_any_conn`] again and again (every 20 ms) until the answer is `want`. Panics with
/// the last answer when `total` passes first.
pub fn wait_for_answer(server: &TestServer, args: &[&str], want: &Resp, total: Duration) {
    let deadline = Instant::now() + total;
    let per_try = Duration::from_secs(2);
    loop {
        let got = ask_any_conn(server, args, per_try, total);
        if &got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{args:?} never answered {want:?} within {total:?}; last answer {got:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `-BUSY ...` while a script (`kill` = `"SCRIPT"`) or a function (`"FUNCTION"`) runs past
/// busy-reply-threshold: the text names the command that can stop it.
pub fn busy_err(kill: &str) -> Resp {
    err(&format!(
        "BUSY Redis is busy running a script. You can only call {kill} KILL or SHUTDOWN NOSAVE."
    ))
}

/// SCRIPT KILL / FUNCTION KILL of a script that already wrote.
pub fn unkillable_err() -> Resp {
    err(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. \
         You can either wait the script termination or kill the server in a hard way using the \
         SHUTDOWN NOSAVE command.",
    )
}

/// Sends SHUTDOWN NOSAVE (which closes the connection without a reply) on fresh connections
/// until the server process is gone; panics if it still runs after `total`.
pub fn shutdown_nosave(server: &mut TestServer, total: Duration) {
    let deadline = Instant::now() + total;
    loop {
        server.raw().send_cmd(&["SHUTDOWN", "NOSAVE"]);
        if server.wait_exit(Duration::from_secs(2)).is_some() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "SHUTDOWN NOSAVE did not stop the server within {total:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Slots and shards
//
// Written here again on purpose, not taken from the shard crate: the tests place keys on
// shards with their own reading of the Redis Cluster rules, so a routing bug in the server
// cannot hide behind the same bug in the test's key placement.
// ---------------------------------------------------------------------------------------------

/// CRC16-XMODEM (poly 0x1021, init 0), the Redis Cluster key hash.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The part of a key that is hashed: the content of the first `{...}` if non-empty.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// slot = CRC16(hash tag or key) mod 16384.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOTS
}

/// shard = slot * N / 16384.
pub fn shard_of(key: &[u8], nshards: usize) -> usize {
    key_slot(key) as usize * nshards / SLOTS as usize
}

/// The first key `prefix0`, `prefix1`, ... that lands on `shard` of `nshards`.
pub fn key_on_shard(prefix: &str, shard: usize, nshards: usize) -> String {
    assert!(shard < nshards, "shard {shard} of {nshards}");
    (0u64..)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| shard_of(k.as_bytes(), nshards) == shard)
        .expect("some key")
}

/// `n` distinct keys starting with `prefix`, the i-th on shard `i % nshards`.
pub fn spread_keys(prefix: &str, n: usize, nshards: usize) -> Vec<String> {
    let mut next = vec![0u64; nshards];
    (0..n)
        .map(|i| {
            let shard = i % nshards;
            loop {
                let k = format!("{prefix}{}", next[shard]);
                next[shard] += 1;
                if shard_of(k.as_bytes(), nshards) == shard {
                    return k;
                }
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// RESP values
// ---------------------------------------------------------------------------------------------

/// One reply, as read off the wire (RESP2 and RESP3).
#[derive(Clone, PartialEq)]
pub enum Resp {
    /// `+...`
    Simple(String),
    /// `-...` (the whole line, e.g. `ERR syntax error`)
    Error(String),
    /// `:n`
    Int(i64),
    /// `$n ...`
    Bulk(Vec<u8>),
    /// `$-1`
    Nil,
    /// `*-1`
    NilArray,
    /// `*n ...`
    Array(Vec<Resp>),
    /// `_` (RESP3)
    Null,
    /// `,` (RESP3), as sent
    Double(String),
    /// `#t` / `#f` (RESP3)
    Bool(bool),
    /// `=n fmt:...` (RESP3)
    Verbatim(String, Vec<u8>),
    /// `(` (RESP3)
    BigNumber(String),
    /// `!n ...` (RESP3)
    BulkError(String),
    /// `%n ...` (RESP3)
    Map(Vec<(Resp, Resp)>),
    /// `~n ...` (RESP3)
    Set(Vec<Resp>),
    /// `>n ...` (RESP3)
    Push(Vec<Resp>),
    /// `|n ...` (RESP3): attributes, then the reply they belong to
    Attribute(Vec<(Resp, Resp)>, Box<Resp>),
}

/// `+OK`
pub fn ok() -> Resp {
    Resp::Simple("OK".into())
}
/// A simple string.
pub fn simple(s: &str) -> Resp {
    Resp::Simple(s.into())
}
/// A bulk string.
pub fn bulk(s: impl AsRef<[u8]>) -> Resp {
    Resp::Bulk(s.as_ref().to_vec())
}
/// `$-1`
pub fn nil() -> Resp {
    Resp::Nil
}
/// An integer.
pub fn int(n: i64) -> Resp {
    Resp::Int(n)
}
/// An error line (without the leading `-`).
pub fn err(s: &str) -> Resp {
    Resp::Error(s.into())
}
/// An array.
pub fn arr(v: Vec<Resp>) -> Resp {
    Resp::Array(v)
}
/// An array of bulk strings.
pub fn bulks<S: AsRef<[u8]>>(v: &[S]) -> Resp {
    Resp::Array(v.iter().map(bulk).collect())
}
/// `-ERR wrong number of arguments for 'cmd' command`
pub fn arity_err(cmd: &str) -> Resp {
    err(&format!(
        "ERR wrong number of arguments for '{}' command",
        cmd.to_ascii_lowercase()
    ))
}
/// `-ERR syntax error`
pub fn syntax_err() -> Resp {
    err("ERR syntax error")
}
/// `-ERR value is not an integer or out of range`
pub fn not_int_err() -> Resp {
    err("ERR value is not an integer or out of range")
}

impl Resp {
    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_) | Resp::BulkError(_))
    }
    /// The integer, or panic.
    pub fn as_int(&self) -> i64 {
        match self {
            Resp::Int(n) => *n,
            other => panic!("expected integer, got {other:?}"),
        }
    }
    /// The bytes of a bulk/simple/verbatim string, or panic.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Resp::Bulk(b) | Resp::Verbatim(_, b) => b,
            Resp::Simple(s) => s.as_bytes(),
            other => panic!("expected string, got {other:?}"),
        }
    }
    /// The string (lossy UTF-8) of a bulk/simple/verbatim string, or panic.
    pub fn as_str(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
    /// The elements of an array/set/push, or panic.
    pub fn as_array(&self) -> &[Resp] {
        match self {
            Resp::Array(v) | Resp::Set(v) | Resp::Push(v) => v,
            other => panic!("expected array, got {other:?}"),
        }
    }
    /// Key/value pairs of a RESP3 map, or of a RESP2 flat array of pairs.
    pub fn as_pairs(&self) -> Vec<(Resp, Resp)> {
        match self {
            Resp::Map(m) => m.clone(),
            Resp::Array(v) if v.len() % 2 == 0 => {
                v.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect()
            }
            other => panic!("expected map, got {other:?}"),
        }
    }
    /// The value for string key `k` in a map (or flat pair array).
    pub fn field(&self, k: &str) -> Option<Resp> {
        self.as_pairs()
            .into_iter()
            .find(|(key, _)| {
                matches!(key, Resp::Bulk(_) | Resp::Simple(_)) && key.as_bytes() == k.as_bytes()
            })
            .map(|(_, v)| v)
    }
}

/// Writes bytes printably: `"ab\x00"`.
pub fn escape(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

/// Like [`escape`], cut to at most `max` input bytes.
pub fn escape_trunc(b: &[u8], max: usize) -> String {
    if b.len() <= max {
        escape(b)
    } else {
        format!("{}...({} bytes)", escape(&b[..max]), b.len())
    }
}

impl fmt::Debug for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resp::Simple(s) => write!(f, "+{s}"),
            Resp::Error(s) => write!(f, "-{s}"),
            Resp::Int(n) => write!(f, ":{n}"),
            Resp::Bulk(b) => write!(f, "\"{}\"", escape_trunc(b, 200)),
            Resp::Nil => write!(f, "(nil)"),
            Resp::NilArray => write!(f, "(nil array)"),
            Resp::Null => write!(f, "_null"),
            Resp::Double(d) => write!(f, ",{d}"),
            Resp::Bool(b) => write!(f, "#{}", if *b { 't' } else { 'f' }),
            Resp::Verbatim(t, b) => write!(f, "={t}:\"{}\"", escape_trunc(b, 200)),
            Resp::BigNumber(n) => write!(f, "({n}"),
            Resp::BulkError(s) => write!(f, "!{s}"),
            Resp::Array(v) => f.debug_list().entries(v).finish(),
            Resp::Set(v) => {
                write!(f, "~")?;
                f.debug_list().entries(v).finish()
            }
            Resp::Push(v) => {
                write!(f, ">")?;
                f.debug_list().entries(v).finish()
            }
            Resp::Map(m) => f
                .debug_map()
                .entries(m.iter().map(|(k, v)| (k, v)))
                .finish(),
            Resp::Attribute(a, v) => {
                write!(f, "|")?;
                f.debug_map()
                    .entries(a.iter().map(|(k, v)| (k, v)))
                    .finish()?;
                write!(f, " {v:?}")
            }
        }
    }
}

/// Encodes a command as a RESP multibulk.
pub fn encode_command<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    encode_command_into(&mut out, args);
    out
}

/// Appends a command as a RESP multibulk to `out`.
pub fn encode_command_into<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Parses one reply at the start of `buf`: `Ok(Some((value, bytes used)))`, `Ok(None)` when
/// `buf` holds only part of a reply, `Err` when it is not RESP.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Resp, usize)>, String> {
    let mut p = Parser { buf, pos: 0 };
    match p.value() {
        Ok(v) => Ok(Some((v, p.pos))),
        Err(ParseErr::Incomplete) => Ok(None),
        Err(ParseErr::Bad(e)) => Err(e),
    }
}

enum ParseErr {
    Incomplete,
    Bad(String),
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn line(&mut self) -> Result<&[u8], ParseErr> {
        let rest = &self.buf[self.pos..];
        let Some(i) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Err(ParseErr::Incomplete);
        };
        self.pos += i + 2;
        Ok(&rest[..i])
    }
    fn text(&mut self) -> Result<String, ParseErr> {
        // Lossy: error lines may quote binary arguments. Raw bytes stay exact for comparisons.
        let l = self.line()?;
        Ok(String::from_utf8_lossy(l).into_owned())
    }
    fn num(&mut self) -> Result<i64, ParseErr> {
        let t = self.text()?;
        t.parse::<i64>()
            .map_err(|_| ParseErr::Bad(format!("bad number {t:?}")))
    }
    fn blob(&mut self, len: i64) -> Result<Vec<u8>, ParseErr> {
        let len = usize::try_from(len).map_err(|_| ParseErr::Bad(format!("bad length {len}")))?;
        if self.buf.len() < self.pos + len + 2 {
            return Err(ParseErr::Incomplete);
        }
        let b = self.buf[self.pos..self.pos + len].to_vec();
        if &self.buf[self.pos + len..self.pos + len + 2] != b"\r\n" {
            return Err(ParseErr::Bad("blob not followed by CRLF".into()));
        }
        self.pos += len + 2;
        Ok(b)
    }
    fn values(&mut self, n: i64) -> Result<Vec<Resp>, ParseErr> {
        (0..n).map(|_| self.value()).collect()
    }
    fn pairs(&mut self, n: i64) -> Result<Vec<(Resp, Resp)>, ParseErr> {
        (0..n).map(|_| Ok((self.value()?, self.value()?))).collect()
    }
    fn value(&mut self) -> Result<Resp, ParseErr> {
        let Some(&t) = self.buf.get(self.pos) else {
            return Err(ParseErr::Incomplete);
        };
        self.pos += 1;
        Ok(match t {
            b'+' => Resp::Simple(self.text()?),
            b'-' => Resp::Error(self.text()?),
            b':' => Resp::Int(self.num()?),
            b'$' => match self.num()? {
                -1 => Resp::Nil,
                n => Resp::Bulk(self.blob(n)?),
            },
            b'*' => match self.num()? {
                -1 => Resp::NilArray,
                n => Resp::Array(self.values(n)?),
            },
            b'_' => {
                self.line()?;
                Resp::Null
            }
            b',' => Resp::Double(self.text()?),
            b'#' => match self.line()? {
                b"t" => Resp::Bool(true),
                b"f" => Resp::Bool(false),
                other => return Err(ParseErr::Bad(format!("bad bool {}", escape(other)))),
            },
            b'(' => Resp::BigNumber(self.text()?),
            b'!' => {
                let n = self.num()?;
                Resp::BulkError(String::from_utf8_lossy(&self.blob(n)?).into_owned())
            }
            b'=' => {
                let n = self.num()?;
                let b = self.blob(n)?;
                if b.len() < 4 || b[3] != b':' {
                    return Err(ParseErr::Bad("bad verbatim string".into()));
                }
                Resp::Verbatim(
                    String::from_utf8_lossy(&b[..3]).into_owned(),
                    b[4..].to_vec(),
                )
            }
            b'%' => {
                let n = self.num()?;
                Resp::Map(self.pairs(n)?)
            }
            b'~' => {
                let n = self.num()?;
                Resp::Set(self.values(n)?)
            }
            b'>' => {
                let n = self.num()?;
                Resp::Push(self.values(n)?)
            }
            b'|' => {
                let n = self.num()?;
                let a = self.pairs(n)?;
                Resp::Attribute(a, Box::new(self.value()?))
            }
            other => {
                return Err(ParseErr::Bad(format!(
                    "unknown reply type byte {:?}",
                    escape(&[other])
                )))
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Raw connections
// ---------------------------------------------------------------------------------------------

/// A plain TCP connection that sends bytes and reads whole RESP replies.
pub struct RawConn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl RawConn {
    /// Connects with [`IO_TIMEOUT`] read/write timeouts.
    pub fn connect(addr: SocketAddr) -> RawConn {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_nodelay(true).expect("nodelay");
        RawConn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// DEL of every key in `keys`.
    pub fn del(&mut self, keys: &[impl AsRef<str>]) -> Resp {
        let mut args = vec!["DEL"];
        args.extend(keys.iter().map(AsRef::as_ref));
        self.cmd(&args)
    }

    pub fn set_read_timeout(&self, t: Duration) {
        self.stream.set_read_timeout(Some(t)).expect("timeout");
    }

    /// Writes raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    /// Writes raw bytes; returns the error instead of panicking.
    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Writes one command.
    pub fn send_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        self.send(&encode_command(args));
    }

    /// Reads the raw bytes of exactly one reply (buffering what follows it).
    pub fn try_read_raw(&mut self) -> io::Result<Vec<u8>> {
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match parse_reply(&self.buf) {
                Ok(Some((_, n))) => return Ok(self.buf.drain(..n).collect()),
                Ok(None) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{e} in {}", escape_trunc(&self.buf, 300)),
                    ))
                }
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "connection closed with {} unparsed bytes: {}",
                        self.buf.len(),
                        escape_trunc(&self.buf, 300)
                    ),
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads the raw bytes of exactly one reply, or panics.
    pub fn read_raw(&mut self) -> Vec<u8> {
        self.try_read_raw()
            .unwrap_or_else(|e| panic!("reading reply: {e}"))
    }

    /// Reads one reply.
    pub fn try_read(&mut self) -> io::Result<Resp> {
        let raw = self.try_read_raw()?;
        Ok(parse_reply(&raw).expect("parsed once").expect("complete").0)
    }

    /// Reads one reply, or panics.
    pub fn read(&mut self) -> Resp {
        self.try_read()
            .unwrap_or_else(|e| panic!("reading reply: {e}"))
    }

    /// Sends a command (text arguments) and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Resp {
        self.send_cmd(args);
        self.read()
    }

    /// Sends a command (owned or borrowed, text or binary arguments) and reads its reply.
    pub fn send_and_read<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Resp {
        self.send_cmd(args);
        self.read()
    }

    /// Sends a command (binary arguments) and reads its reply.
    pub fn cmdb(&mut self, args: &[&[u8]]) -> Resp {
        self.send_cmd(args);
        self.read()
    }

    /// Sends a command and returns the raw reply bytes.
    pub fn raw_cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.send_cmd(args);
        self.read_raw()
    }

    /// Sends all commands in one write, then reads one reply per command.
    pub fn pipeline<A: AsRef<[u8]>>(&mut self, cmds: &[Vec<A>]) -> Vec<Resp> {
        let mut out = Vec::new();
        for c in cmds {
            encode_command_into(&mut out, c);
        }
        self.send(&out);
        cmds.iter().map(|_| self.read()).collect()
    }

    /// Reads until the server closes the connection; returns everything read, including
    /// already-buffered bytes. Panics if it stays open with nothing to read for 5 s.
    pub fn read_until_closed(&mut self) -> Vec<u8> {
        self.set_read_timeout(Duration::from_secs(5));
        let mut out = std::mem::take(&mut self.buf);
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return out,
                Err(e) => panic!(
                    "connection not closed by server ({e}); read so far: {}",
                    escape_trunc(&out, 300)
                ),
            }
        }
    }

    /// True if the server closed the connection within `wait` (without sending anything).
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        self.set_read_timeout(wait);
        let mut b = [0u8; 1];
        let r = match self.stream.read(&mut b) {
            Ok(0) => true,
            Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
            Ok(_) => false,
        };
        self.set_read_timeout(IO_TIMEOUT);
        r
    }

    /// Closes the write half.
    pub fn shutdown_write(&self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Closes abruptly: SO_LINGER 0, so the server sees a reset.
    pub fn reset(self) {
        let l = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        use std::os::fd::AsRawFd;
        // SAFETY: setsockopt on a socket we own with a correctly sized linger struct.
        unsafe {
            libc::setsockopt(
                self.stream.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &l as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            );
        }
        drop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_redis_cluster_examples() {
        // From the Redis Cluster spec: CRC16("123456789") = 0x31C3.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
    }

    #[test]
    fn spread_keys_cover_every_shard() {
        let ks = spread_keys("p:", 8, 4);
        for (i, k) in ks.iter().enumerate() {
            assert_eq!(shard_of(k.as_bytes(), 4), i % 4);
        }
        assert_eq!(shard_of(key_on_shard("x", 3, 4).as_bytes(), 4), 3);
    }

    #[test]
    fn parses_resp2_and_resp3() {
        let raw = b"*3\r\n$1\r\na\r\n$-1\r\n:5\r\n";
        let (v, n) = parse_reply(raw).unwrap().unwrap();
        assert_eq!(n, raw.len());
        assert_eq!(v, arr(vec![bulk("a"), nil(), int(5)]));
        let raw = b"%2\r\n+a\r\n#t\r\n$1\r\nb\r\n,1.5\r\n";
        let (v, _) = parse_reply(raw).unwrap().unwrap();
        assert_eq!(v.field("a"), Some(Resp::Bool(true)));
        assert_eq!(v.field("b"), Some(Resp::Double("1.5".into())));
        assert!(parse_reply(b"$5\r\nab").unwrap().is_none());
        assert!(parse_reply(b"?x\r\n").is_err());
    }
}
