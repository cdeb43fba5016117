//! `ferrokv-bench hop`: what a cross-thread hop costs with each candidate mechanism.
//!
//! Two threads (one per core) exchange u64 messages. A *client* sends requests and counts
//! replies; a *server* echoes every request as a reply. Cases:
//!
//! - `rt`: one direction, one request in flight: the latency of a round trip;
//! - `window`: one direction, `--inflight` requests in flight: the cost per message when batched;
//! - `bidir`: both threads are client and server at once, one request in flight each way;
//! - `bidir-window`: both ways, `--inflight` in flight each way.
//!
//! Mechanisms: glommio's `shared_channel` between two glommio executors (parked when idle, and
//! with `spin_before_park`), the SPSC ring with an eventfd waker of `spsc.rs` (no spin; a bounded
//! spin only while a reply is outstanding; that plus a bounded spin after activity; and spinning
//! forever as a reference floor nobody should ship), and std Mutex + Condvar.
//!
//! Times are wall-clock ns per completed round trip (per message in the window cases: one
//! request and its reply), and CPU ns per round trip summed over both threads (what spinning
//! costs).

use std::collections::VecDeque;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use crate::{spsc, sys};

#[derive(Args, Debug, Clone)]
pub struct HopArgs {
    /// Seconds of measurement per (mechanism, case).
    #[arg(long, default_value_t = 1.0)]
    pub secs: f64,
    /// Messages in flight in the window cases.
    #[arg(long, default_value_t = 64)]
    pub inflight: usize,
    /// Bound of the spins, in microseconds.
    #[arg(long, default_value_t = 50)]
    pub spin_us: u64,
    /// The two cores to use.
    #[arg(long, value_delimiter = ',', default_value = "0,1")]
    pub cpus: Vec<usize>,
    /// Mechanisms to run (substring match on the names in the table), default all.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Cases to run: rt, window, bidir, bidir-window (default all).
    #[arg(long, value_delimiter = ',')]
    pub cases: Vec<String>,
    /// Runs per cell; the table shows the median and the best (on a busy machine the best is
    /// the closer estimate of the mechanism's own cost).
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// One measured cell: ns per op (per direction), ops/s over all directions, CPU ns per op.
#[derive(Clone, Copy, Debug)]
struct Cell {
    ns_per_op: f64,
    ops_per_s: f64,
    cpu_ns_per_op: f64,
}

fn summarize(stats: &[NodeStats; 2]) -> Cell {
    let ops: u64 = stats.iter().map(|s| s.completed).sum();
    let wall = stats
        .iter()
        .filter(|s| s.completed > 0)
        .map(|s| s.elapsed)
        .max()
        .unwrap_or_default();
    let cpu: u64 = stats.iter().map(|s| s.cpu_ns).sum();
    // Per-direction latency: each client's own elapsed / completed, averaged over clients.
    let clients: Vec<&NodeStats> = stats.iter().filter(|s| s.completed > 0).collect();
    let ns_per_op = clients
        .iter()
        .map(|s| s.elapsed.as_nanos() as f64 / s.completed as f64)
        .sum::<f64>()
        / clients.len().max(1) as f64;
    Cell {
        ns_per_op,
        ops_per_s: ops as f64 / wall.as_secs_f64().max(1e-9),
        cpu_ns_per_op: cpu as f64 / ops.max(1) as f64,
    }
}

/// Marks a reply.
const REPLY: u64 = 1 << 63;
/// "I have stopped sending requests and have no reply outstanding."
const STOP: u64 = u64::MAX;

#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    window: usize,
    bidir: bool,
}

#[derive(Clone, Copy, Debug)]
struct NodeCfg {
    client: bool,
    peer_client: bool,
    window: usize,
    run_for: Duration,
    /// Spin bound while a reply is outstanding.
    spin_waiting: Duration,
    /// Spin bound when nothing is outstanding (an idle thread).
    spin_idle: Duration,
}

#[derive(Clone, Copy, Debug, Default)]
struct NodeStats {
    completed: u64,
    elapsed: Duration,
    cpu_ns: u64,
}

/// One protocol step per received message; shared by every mechanism.
struct Node {
    cfg: NodeCfg,
    start: Instant,
    deadline: Instant,
    issuing: bool,
    outstanding: usize,
    seq: u64,
    completed: u64,
    sent_stop: bool,
    peer_done: bool,
    finished_at: Option<Instant>,
}

impl Node {
    fn new(cfg: NodeCfg) -> Node {
        let start = Instant::now();
        Node {
            cfg,
            start,
            deadline: start + cfg.run_for,
            issuing: cfg.client,
            outstanding: 0,
            seq: 0,
            completed: 0,
            sent_stop: !cfg.client,
            peer_done: !cfg.peer_client,
            finished_at: None,
        }
    }

    /// The first window of requests.
    fn initial(&mut self, out: &mut impl FnMut(u64)) {
        if self.cfg.client {
            for _ in 0..self.cfg.window {
                out(self.seq);
                self.seq += 1;
                self.outstanding += 1;
            }
        }
    }

    fn on_message(&mut self, m: u64, out: &mut impl FnMut(u64)) {
        if m == STOP {
            self.peer_done = true;
        } else if m & REPLY != 0 {
            self.outstanding -= 1;
            self.completed += 1;
            if self.issuing && self.completed & 63 == 0 && Instant::now() >= self.deadline {
                self.issuing = false;
            }
            if self.issuing {
                out(self.seq);
                self.seq += 1;
                self.outstanding += 1;
            }
        } else {
            out(m | REPLY);
        }
    }

    /// After a batch of messages: sends STOP once drained; true when both sides are done.
    fn after_batch(&mut self, out: &mut impl FnMut(u64)) -> bool {
        if !self.issuing && self.outstanding == 0 && !self.sent_stop {
            self.finished_at = Some(Instant::now());
            out(STOP);
            self.sent_stop = true;
        }
        self.sent_stop && self.peer_done
    }

    fn spin(&self) -> Duration {
        if self.outstanding > 0 {
            self.cfg.spin_waiting
        } else {
            self.cfg.spin_idle
        }
    }

    fn stats(&self, cpu_ns: u64) -> NodeStats {
        NodeStats {
            completed: self.completed,
            elapsed: self.finished_at.unwrap_or_else(Instant::now) - self.start,
            cpu_ns,
        }
    }
}

// ---------------------------------------------------------------- SPSC ring + eventfd

fn spsc_push(tx: &mut spsc::Producer<u64>, mut m: u64) {
    while let Err(back) = tx.push(m) {
        // Never happens with the ring larger than two windows; kept correct anyway.
        m = back;
        tx.flush();
        std::hint::spin_loop();
    }
}

fn spsc_node(
    cfg: NodeCfg,
    waker: Arc<spsc::Waker>,
    mut rx: spsc::Consumer<u64>,
    mut tx: spsc::Producer<u64>,
) -> NodeStats {
    let cpu0 = sys::thread_cpu_ns();
    let mut node = Node::new(cfg);
    node.initial(&mut |m| spsc_push(&mut tx, m));
    loop {
        let mut got = false;
        while let Some(m) = rx.pop() {
            got = true;
            node.on_message(m, &mut |m| spsc_push(&mut tx, m));
        }
        let done = node.after_batch(&mut |m| spsc_push(&mut tx, m));
        // One wake-up per batch, and only if the peer sleeps.
        tx.flush();
        if done {
            break;
        }
        if !got {
            waker.wait(node.spin(), || rx.is_ready());
        }
    }
    node.stats(sys::thread_cpu_ns() - cpu0)
}

fn run_spsc(case: Case, cpus: (usize, usize), nc: [NodeCfg; 2]) -> [NodeStats; 2] {
    let wa = spsc::Waker::new().expect("eventfd");
    let wb = spsc::Waker::new().expect("eventfd");
    let cap = (case.window * 4).max(256);
    let (tx_ab, rx_ab) = spsc::channel::<u64>(cap, wb.clone());
    let (tx_ba, rx_ba) = spsc::channel::<u64>(cap, wa.clone());
    let barrier = Arc::new(Barrier::new(2));
    let b2 = barrier.clone();
    let a = std::thread::spawn(move || {
        pin(cpus.0);
        barrier.wait();
        spsc_node(nc[0], wa, rx_ba, tx_ab)
    });
    let b = std::thread::spawn(move || {
        pin(cpus.1);
        b2.wait();
        spsc_node(nc[1], wb, rx_ab, tx_ba)
    });
    [a.join().expect("node a"), b.join().expect("node b")]
}

// ---------------------------------------------------------------- Mutex + Condvar

#[derive(Default)]
struct Inbox {
    q: Mutex<VecDeque<u64>>,
    cv: Condvar,
}

fn mutex_node(cfg: NodeCfg, inbox: Arc<Inbox>, peer: Arc<Inbox>) -> NodeStats {
    let cpu0 = sys::thread_cpu_ns();
    let mut node = Node::new(cfg);
    let mut outgoing: Vec<u64> = Vec::new();
    let mut local: VecDeque<u64> = VecDeque::new();
    node.initial(&mut |m| outgoing.push(m));
    loop {
        if !outgoing.is_empty() {
            peer.q.lock().expect("lock").extend(outgoing.drain(..));
            peer.cv.notify_one();
        }
        if node.sent_stop && node.peer_done {
            break;
        }
        {
            let mut q = inbox.q.lock().expect("lock");
            while q.is_empty() {
                q = inbox.cv.wait(q).expect("wait");
            }
            std::mem::swap(&mut *q, &mut local);
        }
        for m in local.drain(..) {
            node.on_message(m, &mut |m| outgoing.push(m));
        }
        node.after_batch(&mut |m| outgoing.push(m));
    }
    node.stats(sys::thread_cpu_ns() - cpu0)
}

fn run_mutex(cpus: (usize, usize), nc: [NodeCfg; 2]) -> [NodeStats; 2] {
    let ia = Arc::new(Inbox::default());
    let ib = Arc::new(Inbox::default());
    let barrier = Arc::new(Barrier::new(2));
    let (ia2, ib2, b2) = (ia.clone(), ib.clone(), barrier.clone());
    let a = std::thread::spawn(move || {
        pin(cpus.0);
        barrier.wait();
        mutex_node(nc[0], ia, ib)
    });
    let b = std::thread::spawn(move || {
        pin(cpus.1);
        b2.wait();
        mutex_node(nc[1], ib2, ia2)
    });
    [a.join().expect("node a"), b.join().expect("node b")]
}

// ---------------------------------------------------------------- glommio shared_channel

async fn glommio_node(
    cfg: NodeCfg,
    rx: glommio::channels::shared_channel::SharedReceiver<u64>,
    tx: glommio::channels::shared_channel::SharedSender<u64>,
) -> NodeStats {
    // Each connect waits for the peer's matching connect: do both at once, or the two
    // executors wait on each other.
    let tx = glommio::spawn_local(tx.connect());
    let rx = rx.connect().await;
    let tx = tx.await;
    let cpu0 = sys::thread_cpu_ns();
    let mut node = Node::new(cfg);
    let mut outgoing: Vec<u64> = Vec::new();
    node.initial(&mut |m| outgoing.push(m));
    loop {
        for m in outgoing.drain(..) {
            tx.send(m).await.expect("peer gone");
        }
        if node.sent_stop && node.peer_done {
            break;
        }
        let m = rx.recv().await.expect("peer gone");
        node.on_message(m, &mut |m| outgoing.push(m));
        node.after_batch(&mut |m| outgoing.push(m));
    }
    node.stats(sys::thread_cpu_ns() - cpu0)
}

fn run_glommio(
    case: Case,
    cpus: (usize, usize),
    nc: [NodeCfg; 2],
    spin: Option<Duration>,
) -> Result<[NodeStats; 2], String> {
    use glommio::channels::shared_channel;
    use glommio::{LocalExecutorBuilder, Placement};
    let cap = (case.window * 4).max(256);
    let (tx_ab, rx_ab) = shared_channel::new_bounded::<u64>(cap);
    let (tx_ba, rx_ba) = shared_channel::new_bounded::<u64>(cap);
    let builder = |cpu: usize, name: &str| {
        let placement = if cpu < num_cpus() {
            Placement::Fixed(cpu)
        } else {
            Placement::Unbound
        };
        let mut b = LocalExecutorBuilder::new(placement).name(name);
        if let Some(s) = spin {
            b = b.spin_before_park(s);
        }
        b
    };
    let [ca, cb] = nc;
    let a = builder(cpus.0, "hop-a")
        .spawn(move || glommio_node(ca, rx_ba, tx_ab))
        .map_err(|e| format!("glommio executor a: {e}"))?;
    let b = builder(cpus.1, "hop-b")
        .spawn(move || glommio_node(cb, rx_ab, tx_ba))
        .map_err(|e| format!("glommio executor b: {e}"))?;
    let sa = a.join().map_err(|e| format!("glommio executor a: {e}"))?;
    let sb = b.join().map_err(|e| format!("glommio executor b: {e}"))?;
    Ok([sa, sb])
}

/// Pins the calling thread; says so once if the kernel refuses.
fn pin(cpu: usize) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if let Err(e) = sys::pin_current_thread(cpu) {
        if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            eprintln!("hop: cannot pin to core {cpu} ({e}); threads float");
        }
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

// ---------------------------------------------------------------- driver

#[derive(Clone, Copy)]
enum Mech {
    Glommio(Option<Duration>),
    Spsc { waiting: Duration, idle: Duration },
    Mutex,
}

pub fn run(args: HopArgs) -> Result<(), String> {
    let cpus = match args.cpus.as_slice() {
        [a, b, ..] => (*a, *b),
        _ => return Err("--cpus needs two cores, e.g. 0,1".into()),
    };
    let spin = Duration::from_micros(args.spin_us);
    let forever = Duration::from_secs(3600);
    let mechs: Vec<(String, Mech)> = vec![
        ("glommio shared_channel (parks)".into(), Mech::Glommio(None)),
        (
            format!(
                "glommio shared_channel, spin_before_park {}µs",
                args.spin_us
            ),
            Mech::Glommio(Some(spin)),
        ),
        (
            "spsc+eventfd, no spin".into(),
            Mech::Spsc {
                waiting: Duration::ZERO,
                idle: Duration::ZERO,
            },
        ),
        (
            format!(
                "spsc+eventfd, spin ≤{}µs while reply outstanding",
                args.spin_us
            ),
            Mech::Spsc {
                waiting: spin,
                idle: Duration::ZERO,
            },
        ),
        (
            format!(
                "spsc+eventfd, spin ≤{}µs outstanding and when idle",
                args.spin_us
            ),
            Mech::Spsc {
                waiting: spin,
                idle: spin,
            },
        ),
        (
            "spsc, spin forever (reference floor)".into(),
            Mech::Spsc {
                waiting: forever,
                idle: forever,
            },
        ),
        ("std Mutex+Condvar".into(), Mech::Mutex),
    ];
    let all_cases = [
        Case {
            name: "rt",
            window: 1,
            bidir: false,
        },
        Case {
            name: "window",
            window: args.inflight.max(1),
            bidir: false,
        },
        Case {
            name: "bidir",
            window: 1,
            bidir: true,
        },
        Case {
            name: "bidir-window",
            window: args.inflight.max(1),
            bidir: true,
        },
    ];
    let run_for = Duration::from_secs_f64(args.secs.max(0.01));

    println!("# cross-thread hop cost");
    println!();
    println!(
        "- date: {}; cores {} and {}; {} s per cell; window = {} in flight",
        sys::utc_now(),
        cpus.0,
        cpus.1,
        args.secs,
        args.inflight
    );
    println!("- rt/bidir: ns per round trip with one in flight (bidir: each way at once, per direction);");
    println!("  window/bidir-window: ns per message (request + reply) with the window full.");
    println!("- CPU ns: both threads' CPU time per round trip / message (spinning shows here).");
    println!();
    println!(
        "| mechanism | case | ns per op (median of {}) | ns per op (best) | ops/s, best (all directions) | CPU ns per op (median) |",
        args.repeat.max(1)
    );
    println!("|---|---|---:|---:|---:|---:|");
    for (name, mech) in &mechs {
        if !args.only.is_empty() && !args.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        for case in all_cases {
            if !args.cases.is_empty() && !args.cases.iter().any(|c| c == case.name) {
                continue;
            }
            let (waiting, idle) = match mech {
                Mech::Spsc { waiting, idle } => (*waiting, *idle),
                _ => (Duration::ZERO, Duration::ZERO),
            };
            let node = |client: bool, peer_client: bool| NodeCfg {
                client,
                peer_client,
                window: case.window,
                run_for,
                spin_waiting: waiting,
                spin_idle: idle,
            };
            let nc = [node(true, case.bidir), node(case.bidir, true)];
            let mut cells = Vec::new();
            for _ in 0..args.repeat.max(1) {
                let stats = match mech {
                    Mech::Glommio(s) => run_glommio(case, cpus, nc, *s)?,
                    Mech::Spsc { .. } => run_spsc(case, cpus, nc),
                    Mech::Mutex => run_mutex(cpus, nc),
                };
                cells.push(summarize(&stats));
            }
            cells.sort_by(|a, b| a.ns_per_op.total_cmp(&b.ns_per_op));
            let best = cells[0];
            let med = cells[cells.len() / 2];
            println!(
                "| {name} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                case.name, med.ns_per_op, best.ns_per_op, best.ops_per_s, med.cpu_ns_per_op
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick(case: Case) -> [NodeCfg; 2] {
        let node = |client: bool, peer_client: bool| NodeCfg {
            client,
            peer_client,
            window: case.window,
            run_for: Duration::from_millis(30),
            spin_waiting: Duration::from_micros(5),
            spin_idle: Duration::ZERO,
        };
        [node(true, case.bidir), node(case.bidir, true)]
    }

    const CASES: [Case; 2] = [
        Case {
            name: "rt",
            window: 1,
            bidir: false,
        },
        Case {
            name: "bidir-window",
            window: 8,
            bidir: true,
        },
    ];

    #[test]
    fn spsc_and_mutex_finish() {
        for case in CASES {
            let s = run_spsc(case, (0, 0), quick(case));
            assert!(s[0].completed > 0);
            assert_eq!(s[1].completed > 0, case.bidir);
            let m = run_mutex((0, 0), quick(case));
            assert!(m[0].completed > 0);
            assert_eq!(m[1].completed > 0, case.bidir);
        }
    }
}
