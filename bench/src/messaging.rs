//! Messaging tests of `ferrokv-bench compare`: pub/sub fan-out and streams.
//!
//! * `publish_<N>` (`publish_1`, `publish_100`): N subscriber connections SUBSCRIBEd to one
//!   channel, each read by its own thread with raw socket reads that count `message` frames;
//!   `-c` publisher connections send `-P` PUBLISHes of a `-d`-byte payload per write. Every
//!   PUBLISH must answer N receivers and every subscriber must get every message. Publishers
//!   wait while the slowest subscriber is more than `--max-lag` messages behind, so a run of
//!   any size stays far below `client-output-buffer-limit pubsub` (a disconnect fails the run).
//! * `xadd` / `xadd_spread`: redis-benchmark sending `XADD <key> * f1 v1 f2 v2 f3 v3`, to one
//!   stream or to streams spread over the `-r` keyspace.
//! * `xreadgroup_ack`: a stream pre-filled with `-n` such entries and one group created at 0;
//!   `--consumers` connections each loop `XREADGROUP GROUP g <name> COUNT 10 STREAMS s >` then
//!   XACK of the IDs it got, until the group has nothing left to deliver.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::resp::{bulk_at, encode, Conn, Resp};
use crate::sys;

const CHANNEL: &[u8] = b"bench:channel";
const STREAM: &str = "bench:stream";
const GROUP: &[u8] = b"bench:group";
const FIELDS: [&str; 6] = ["f1", "v1", "f2", "v2", "f3", "v3"];
/// Entries per XREADGROUP.
const READ_COUNT: &[u8] = b"10";
/// XADDs per write while pre-filling the stream.
const FILL_BATCH: u64 = 1000;
/// How long a reader waits for data before it gives up on the run.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A messaging test, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Publish { subscribers: usize },
    Xadd { spread: bool },
    XreadgroupAck,
}

impl Kind {
    pub(crate) fn of(test: &str) -> Option<Kind> {
        match test {
            "xadd" => Some(Kind::Xadd { spread: false }),
            "xadd_spread" => Some(Kind::Xadd { spread: true }),
            "xreadgroup_ack" => Some(Kind::XreadgroupAck),
            _ => test
                .strip_prefix("publish_")
                .and_then(|n| n.parse().ok())
                .filter(|&n| n > 0)
                .map(|subscribers| Kind::Publish { subscribers }),
        }
    }

    /// Whether `-P` changes the load (the consumer loop is request/reply by nature).
    pub(crate) fn pipelined(self) -> bool {
        self != Kind::XreadgroupAck
    }
}

/// The load's shape, from `compare`'s arguments.
pub(crate) struct Params {
    pub port: u16,
    pub requests: u64,
    pub clients: u32,
    pub data_size: u32,
    pub pipeline: u32,
    pub consumers: u32,
    pub max_lag: u64,
    pub pin: Option<usize>,
}

/// What a run did: `units` messages delivered (or entries consumed) by `commands` commands
/// (PUBLISHes, XREADGROUP+XACK rounds) in `seconds`.
pub(crate) struct Outcome {
    pub units: u64,
    pub commands: u64,
    pub seconds: f64,
    /// Connections still open, to close after the server's CPU is read: unsubscribing is not
    /// part of the load.
    pub open: Vec<TcpStream>,
}

/// A load whose connections are open and whose data is in place, ready to be measured.
pub(crate) enum Prepared {
    Publish(Publish),
    Consume(Consume),
}

impl Prepared {
    pub(crate) fn run(self) -> Result<Outcome, String> {
        match self {
            Prepared::Publish(p) => p.run(),
            Prepared::Consume(c) => c.run(),
        }
    }
}

/// Sets up a `publish_<N>` or `xreadgroup_ack` load; None for the redis-benchmark ones.
pub(crate) fn prepare(kind: Kind, params: &Params) -> Result<Option<Prepared>, String> {
    Ok(match kind {
        Kind::Publish { subscribers } => {
            Some(Prepared::Publish(Publish::prepare(params, subscribers)?))
        }
        Kind::XreadgroupAck => Some(Prepared::Consume(Consume::prepare(params)?)),
        Kind::Xadd { .. } => None,
    })
}

fn xadd_args(key: &str) -> Vec<String> {
    let mut args = vec!["XADD".to_string(), key.to_string(), "*".to_string()];
    args.extend(FIELDS.map(String::from));
    args
}

fn bytes(args: &[String]) -> Vec<&[u8]> {
    args.iter().map(|a| a.as_bytes()).collect()
}

/// redis-benchmark's arguments for `xadd`/`xadd_spread`, on an emptied server that has shown
/// it runs XADD (redis-benchmark counts error replies as requests served).
pub(crate) fn xadd_benchmark_args(port: u16, spread: bool) -> Result<Vec<String>, String> {
    let key = if spread {
        format!("{STREAM}:__rand_int__")
    } else {
        STREAM.to_string()
    };
    let args = xadd_args(&key);
    let mut conn = Conn::open(port)?;
    let probe = xadd_args(&key.replace("__rand_int__", "000000000000"));
    conn.request(&bytes(&probe))
        .map_err(|e| format!("XADD answered {e}"))?;
    conn.request(&[b"FLUSHALL"])?;
    Ok(args)
}

/// After `xadd` (one stream): the stream holds every entry redis-benchmark sent. It sends
/// `requests` and, with pipelining, part of what is in flight when the count is reached.
pub(crate) fn check_xadd(port: u16, spread: bool, requests: u64, slack: u64) -> Result<(), String> {
    if spread {
        return Ok(());
    }
    let mut conn = Conn::open(port)?;
    match conn.request(&[b"XLEN", STREAM.as_bytes()])? {
        Resp::Int(n) if (requests..=requests + slack).contains(&(n as u64)) => Ok(()),
        other => Err(format!("XLEN after {requests} XADDs: {other:?}")),
    }
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    Ok(s)
}

fn pin(cpu: Option<usize>) -> Result<(), String> {
    match cpu {
        Some(cpu) => sys::pin_current_thread(cpu).map_err(|e| format!("pin: {e}")),
        None => Ok(()),
    }
}

/// Splits `total` rounds over `conns` connections, the first ones taking one more.
fn shares(total: u64, conns: u64) -> Vec<u64> {
    (0..conns)
        .map(|c| total / conns + u64::from(c < total % conns))
        .collect()
}

/// What a thread says when it stopped because another failed: never the error to report.
const STOPPED: &str = "stopped: another load thread failed";

/// Joins load threads: their results, or every error they had.
fn join_all<T>(handles: Vec<JoinHandle<Result<T, String>>>) -> Result<Vec<T>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for h in handles {
        match h.join() {
            Ok(Ok(v)) => out.push(v),
            Ok(Err(e)) => errors.push(e),
            Err(_) => errors.push("a load thread panicked".to_string()),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The error that explains a failed run: the first that is not a thread stopping because of
/// another's failure.
fn first_cause(errors: Vec<String>) -> String {
    let mut stopped = None;
    for e in errors {
        if e != STOPPED {
            return e;
        }
        stopped = Some(e);
    }
    stopped.unwrap_or_else(|| STOPPED.to_string())
}

/// The `message` frames at the start of `buf`: how many, and the bytes they take. A partial
/// frame at the end is left for the next read; anything other than a message is an error.
pub(crate) fn count_messages(buf: &[u8]) -> Result<(u64, usize), String> {
    const HEAD: &[u8] = b"*3\r\n$7\r\nmessage\r\n";
    let mut pos = 0;
    let mut count = 0;
    while pos < buf.len() {
        let rest = &buf[pos..];
        let head = rest.len().min(HEAD.len());
        if rest[..head] != HEAD[..head] {
            let shown = &rest[..rest.len().min(40)];
            return Err(format!(
                "expected a message frame, got {:?}",
                String::from_utf8_lossy(shown)
            ));
        }
        if head < HEAD.len() {
            break;
        }
        let Some((_, _, channel_end)) = bulk_at(buf, pos + HEAD.len())? else {
            break;
        };
        let Some((_, _, end)) = bulk_at(buf, channel_end)? else {
            break;
        };
        pos = end;
        count += 1;
    }
    Ok((count, pos))
}

/// What publishers and subscribers share while a `publish_<N>` run is on.
struct Progress {
    /// Messages received so far, per subscriber.
    received: Vec<AtomicU64>,
    /// PUBLISHes sent so far, by all publishers.
    published: AtomicU64,
    /// A lower bound of `received`'s minimum, refreshed by publishers that find it too low.
    floor: AtomicU64,
    /// Set when a thread failed: the others stop instead of waiting for it (see `guard`).
    failed: AtomicBool,
    max_lag: u64,
}

impl Progress {
    /// Runs one load thread's work. The first thread to fail reports why; the others, which
    /// fail because of it (a socket shut down, a wait given up), report [`STOPPED`].
    fn guard<T>(&self, work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        let result = work();
        if result.is_err() && self.failed.swap(true, Ordering::Relaxed) {
            return Err(STOPPED.into());
        }
        result
    }

    /// Blocks while the slowest subscriber is more than `max_lag` messages behind `sent`.
    fn wait_for_subscribers(&self, sent: u64) -> Result<(), String> {
        loop {
            if sent <= self.floor.load(Ordering::Relaxed) + self.max_lag {
                return Ok(());
            }
            let slowest = self
                .received
                .iter()
                .map(|r| r.load(Ordering::Relaxed))
                .min()
                .unwrap_or(u64::MAX);
            self.floor.fetch_max(slowest, Ordering::Relaxed);
            if sent <= slowest.saturating_add(self.max_lag) {
                return Ok(());
            }
            if self.failed.load(Ordering::Relaxed) {
                return Err(STOPPED.into());
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

pub(crate) struct Publish {
    subscribers: Vec<(TcpStream, Vec<u8>)>,
    /// Publisher connections and the rounds each sends.
    publishers: Vec<(TcpStream, u64)>,
    pipeline: u64,
    payload: Vec<u8>,
    max_lag: u64,
    pin: Option<usize>,
}

impl Publish {
    fn prepare(params: &Params, n: usize) -> Result<Publish, String> {
        let mut subscribers = Vec::with_capacity(n);
        let confirmation = Resp::Array(vec![
            Resp::Bulk(b"subscribe".to_vec()),
            Resp::Bulk(CHANNEL.to_vec()),
            Resp::Int(1),
        ]);
        for _ in 0..n {
            let mut conn = Conn::open(params.port)?;
            let reply = conn.request(&[b"SUBSCRIBE", CHANNEL])?;
            if reply != confirmation {
                return Err(format!("SUBSCRIBE answered {reply:?}"));
            }
            subscribers.push(conn.into_parts());
        }
        let mut control = Conn::open(params.port)?;
        let numsub = control.request(&[b"PUBSUB", b"NUMSUB", CHANNEL])?;
        let want = Resp::Array(vec![Resp::Bulk(CHANNEL.to_vec()), Resp::Int(n as i64)]);
        if numsub != want {
            return Err(format!("PUBSUB NUMSUB after {n} SUBSCRIBEs: {numsub:?}"));
        }
        let pipeline = u64::from(params.pipeline.max(1));
        let total_rounds = params.requests.div_ceil(pipeline).max(1);
        let publishers = shares(total_rounds, u64::from(params.clients.max(1)))
            .into_iter()
            .map(|rounds| connect(params.port).map(|s| (s, rounds)))
            .collect::<Result<_, _>>()?;
        Ok(Publish {
            subscribers,
            publishers,
            pipeline,
            payload: vec![b'x'; params.data_size as usize],
            max_lag: params.max_lag.max(pipeline),
            pin: params.pin,
        })
    }

    fn run(self) -> Result<Outcome, String> {
        let publishes = self.publishers.iter().map(|p| p.1).sum::<u64>() * self.pipeline;
        let n = self.subscribers.len();
        let progress = Arc::new(Progress {
            received: (0..n).map(|_| AtomicU64::new(0)).collect(),
            published: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            max_lag: self.max_lag,
        });
        let mut sockets = Vec::with_capacity(n);
        let started = Instant::now();
        let mut readers = Vec::with_capacity(n);
        for (i, (stream, leftover)) in self.subscribers.into_iter().enumerate() {
            sockets.push(stream.try_clone().map_err(|e| e.to_string())?);
            let (progress, pin_to) = (progress.clone(), self.pin);
            readers.push(std::thread::spawn(move || {
                progress.guard(|| {
                    pin(pin_to)?;
                    subscriber(stream, leftover, i, publishes, &progress)
                })
            }));
        }
        let mut command = Vec::new();
        for _ in 0..self.pipeline {
            encode(&[b"PUBLISH", CHANNEL, &self.payload], &mut command);
        }
        let command = Arc::new(command);
        let expected = Arc::new(
            format!(":{n}\r\n")
                .repeat(self.pipeline as usize)
                .into_bytes(),
        );
        let writers: Vec<_> = self
            .publishers
            .into_iter()
            .map(|(stream, rounds)| {
                let (progress, command, expected) =
                    (progress.clone(), command.clone(), expected.clone());
                let (pipeline, pin_to) = (self.pipeline, self.pin);
                std::thread::spawn(move || {
                    progress.guard(|| {
                        pin(pin_to)?;
                        publisher(stream, rounds, pipeline, &command, &expected, &progress)
                    })
                })
            })
            .collect();
        let published = join_all(writers);
        if published.is_err() {
            // Subscribers would wait for messages that never come.
            for s in &sockets {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        let subscribed = join_all(readers);
        let seconds = started.elapsed().as_secs_f64();
        let subscribers = match (published, subscribed) {
            (Ok(_), Ok(sockets)) => sockets,
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(first_cause(e)),
            (Err(mut p), Err(s)) => {
                p.extend(s);
                return Err(first_cause(p));
            }
        };
        Ok(Outcome {
            units: publishes * n as u64,
            commands: publishes,
            seconds,
            open: subscribers,
        })
    }
}

/// Reads one subscriber's socket until it has counted `expected` messages; returns the socket,
/// still subscribed.
fn subscriber(
    mut stream: TcpStream,
    leftover: Vec<u8>,
    index: usize,
    expected: u64,
    progress: &Progress,
) -> Result<TcpStream, String> {
    let mut buf = leftover;
    let mut len = buf.len();
    buf.resize(len.max(256 * 1024), 0);
    let mut count = 0;
    loop {
        let (n, used) = count_messages(&buf[..len])?;
        count += n;
        buf.copy_within(used..len, 0);
        len -= used;
        if let Some(slot) = progress.received.get(index) {
            slot.store(count, Ordering::Relaxed);
        }
        if count >= expected {
            break;
        }
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
        let got = stream
            .read(&mut buf[len..])
            .map_err(|e| format!("subscriber {index}: {e} after {count} of {expected} messages"))?;
        if got == 0 {
            return Err(format!(
                "subscriber {index} disconnected by the server after {count} of {expected} messages"
            ));
        }
        len += got;
    }
    if count > expected || len > 0 {
        return Err(format!(
            "subscriber {index} got more than the {expected} messages published"
        ));
    }
    Ok(stream)
}

/// One publisher connection: `rounds` writes of `command` (`pipeline` PUBLISHes), each of whose
/// replies must be `expected` (N receivers each).
fn publisher(
    mut stream: TcpStream,
    rounds: u64,
    pipeline: u64,
    command: &[u8],
    expected: &[u8],
    progress: &Progress,
) -> Result<(), String> {
    let mut reply = vec![0u8; expected.len()];
    for _ in 0..rounds {
        let sent = progress.published.fetch_add(pipeline, Ordering::Relaxed) + pipeline;
        progress.wait_for_subscribers(sent)?;
        stream.write_all(command).map_err(|e| e.to_string())?;
        stream.read_exact(&mut reply).map_err(|e| e.to_string())?;
        if reply != expected {
            let shown = &reply[..reply.len().min(40)];
            return Err(format!(
                "PUBLISH answered {:?}, expected {:?} per message",
                String::from_utf8_lossy(shown),
                String::from_utf8_lossy(&expected[..expected.len() / pipeline as usize])
            ));
        }
    }
    Ok(())
}

pub(crate) struct Consume {
    consumers: Vec<Conn>,
    entries: u64,
    pin: Option<usize>,
}

impl Consume {
    fn prepare(params: &Params) -> Result<Consume, String> {
        let mut conn = Conn::open(params.port)?;
        conn.request(&[b"FLUSHALL"])?;
        let entries = params.requests.max(1);
        let add = xadd_args(STREAM);
        let mut batch = Vec::new();
        for size in shares(entries, entries.div_ceil(FILL_BATCH)) {
            batch.clear();
            for _ in 0..size {
                encode(&bytes(&add), &mut batch);
            }
            conn.send(&batch)?;
            for _ in 0..size {
                if let Resp::Error(e) = conn.read()? {
                    return Err(format!("XADD answered {e}"));
                }
            }
        }
        match conn.request(&[b"XLEN", STREAM.as_bytes()])? {
            Resp::Int(n) if n as u64 == entries => {}
            other => return Err(format!("XLEN after filling {entries}: {other:?}")),
        }
        conn.request(&[b"XGROUP", b"CREATE", STREAM.as_bytes(), GROUP, b"0"])?;
        let consumers = (0..params.consumers.max(1))
            .map(|_| Conn::open(params.port))
            .collect::<Result<_, _>>()?;
        Ok(Consume {
            consumers,
            entries,
            pin: params.pin,
        })
    }

    fn run(self) -> Result<Outcome, String> {
        let started = Instant::now();
        let threads: Vec<_> = self
            .consumers
            .into_iter()
            .enumerate()
            .map(|(i, conn)| {
                let pin_to = self.pin;
                std::thread::spawn(move || {
                    pin(pin_to)?;
                    consumer(conn, format!("consumer-{i}"))
                })
            })
            .collect();
        let results = join_all(threads).map_err(first_cause)?;
        let seconds = started.elapsed().as_secs_f64();
        let consumed: u64 = results.iter().map(|r| r.entries).sum();
        let acked: u64 = results.iter().map(|r| r.acked).sum();
        if consumed != self.entries || acked != self.entries {
            return Err(format!(
                "{} entries in the stream, {consumed} delivered, {acked} acknowledged",
                self.entries
            ));
        }
        Ok(Outcome {
            units: consumed,
            commands: results.iter().map(|r| r.rounds).sum(),
            seconds,
            open: Vec::new(),
        })
    }
}

struct Consumed {
    entries: u64,
    acked: u64,
    rounds: u64,
}

/// One consumer: XREADGROUP then XACK of what it got, until XREADGROUP has nothing more.
fn consumer(mut conn: Conn, name: String) -> Result<Consumed, String> {
    let key = STREAM.as_bytes();
    let mut read = Vec::new();
    encode(
        &[
            b"XREADGROUP",
            b"GROUP",
            GROUP,
            name.as_bytes(),
            b"COUNT",
            READ_COUNT,
            b"STREAMS",
            key,
            b">",
        ],
        &mut read,
    );
    let mut done = Consumed {
        entries: 0,
        acked: 0,
        rounds: 0,
    };
    loop {
        conn.send(&read)?;
        let reply = conn.read()?;
        let ids = entry_ids(&reply)?;
        if ids.is_empty() {
            return Ok(done);
        }
        let mut ack: Vec<&[u8]> = vec![b"XACK", key, GROUP];
        ack.extend(ids.iter().map(Vec::as_slice));
        match conn.request(&ack)? {
            Resp::Int(n) => done.acked += n as u64,
            other => return Err(format!("XACK answered {other:?}")),
        }
        done.entries += ids.len() as u64;
        done.rounds += 1;
    }
}

/// The entry IDs of an XREADGROUP reply for one stream (none for a nil reply).
pub(crate) fn entry_ids(reply: &Resp) -> Result<Vec<Vec<u8>>, String> {
    let bad = || format!("unexpected XREADGROUP reply {reply:?}");
    let streams = match reply {
        Resp::NilArray => return Ok(Vec::new()),
        Resp::Array(streams) => streams,
        _ => return Err(bad()),
    };
    let mut ids = Vec::new();
    for stream in streams {
        let Resp::Array(pair) = stream else {
            return Err(bad());
        };
        let Some(Resp::Array(entries)) = pair.get(1) else {
            return Err(bad());
        };
        for entry in entries {
            match entry {
                Resp::Array(e) => match e.first() {
                    Some(Resp::Bulk(id)) => ids.push(id.clone()),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            }
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(payload: &str) -> Vec<u8> {
        format!(
            "*3\r\n$7\r\nmessage\r\n$13\r\nbench:channel\r\n${}\r\n{payload}\r\n",
            payload.len()
        )
        .into_bytes()
    }

    #[test]
    fn names() {
        assert_eq!(
            Kind::of("publish_100"),
            Some(Kind::Publish { subscribers: 100 })
        );
        assert_eq!(Kind::of("publish_0"), None);
        assert_eq!(Kind::of("publish_x"), None);
        assert_eq!(Kind::of("xadd_spread"), Some(Kind::Xadd { spread: true }));
        assert_eq!(Kind::of("set"), None);
        assert!(!Kind::XreadgroupAck.pipelined());
    }

    #[test]
    fn counts_whole_messages_however_the_reads_split() {
        let mut stream = Vec::new();
        for p in ["a", "", "hello world\r\n"] {
            stream.extend(message(p));
        }
        for cut in 0..=stream.len() {
            let (first, used) = count_messages(&stream[..cut]).unwrap();
            let mut rest = stream[used..cut].to_vec();
            rest.extend_from_slice(&stream[cut..]);
            let (second, used2) = count_messages(&rest).unwrap();
            assert_eq!((first + second, used2), (3, rest.len()), "cut at {cut}");
        }
    }

    #[test]
    fn other_frames_are_errors() {
        assert!(count_messages(b"*3\r\n$9\r\nsubscribe\r\n").is_err());
        assert!(count_messages(b"-ERR x\r\n").is_err());
        assert_eq!(count_messages(b"*3\r\n$7\r\nmes"), Ok((0, 0)));
    }

    #[test]
    fn the_cause_of_a_failure_is_not_a_stop() {
        let errors = vec![STOPPED.to_string(), "subscriber 3 disconnected".to_string()];
        assert_eq!(first_cause(errors), "subscriber 3 disconnected");
        assert_eq!(first_cause(vec![STOPPED.to_string()]), STOPPED);
    }

    #[test]
    fn splits_rounds() {
        assert_eq!(shares(10, 3), vec![4, 3, 3]);
        assert_eq!(shares(2, 4), vec![1, 1, 0, 0]);
    }

    #[test]
    fn ids_of_a_read() {
        let entry = |id: &str| {
            Resp::Array(vec![
                Resp::Bulk(id.as_bytes().to_vec()),
                Resp::Array(vec![Resp::Bulk(b"f1".to_vec()), Resp::Bulk(b"v1".to_vec())]),
            ])
        };
        let reply = Resp::Array(vec![Resp::Array(vec![
            Resp::Bulk(b"s".to_vec()),
            Resp::Array(vec![entry("1-0"), entry("1-1")]),
        ])]);
        assert_eq!(
            entry_ids(&reply),
            Ok(vec![b"1-0".to_vec(), b"1-1".to_vec()])
        );
        assert_eq!(entry_ids(&Resp::NilArray), Ok(Vec::new()));
        assert!(entry_ids(&Resp::Int(1)).is_err());
    }

    #[test]
    fn lag_wait_returns_once_subscribers_catch_up() {
        let progress = Progress {
            received: vec![AtomicU64::new(5), AtomicU64::new(3)],
            published: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            max_lag: 10,
        };
        assert!(progress.wait_for_subscribers(13).is_ok());
        assert_eq!(progress.floor.load(Ordering::Relaxed), 3);
        progress.failed.store(true, Ordering::Relaxed);
        assert_eq!(progress.wait_for_subscribers(14), Err(STOPPED.into()));
    }

    #[test]
    fn the_first_failure_is_the_cause() {
        let progress = Progress {
            received: Vec::new(),
            published: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            max_lag: 1,
        };
        assert_eq!(progress.guard(|| Ok(1)), Ok(1));
        assert_eq!(
            progress.guard::<()>(|| Err("boom".into())),
            Err("boom".into())
        );
        assert_eq!(
            progress.guard::<()>(|| Err("socket shut down".into())),
            Err(STOPPED.into())
        );
    }
}
