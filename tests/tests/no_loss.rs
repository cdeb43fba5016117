//! Nothing lost, nothing delivered twice: 4 producers XADD and LPUSH 100k uniquely numbered
//! items to a stream and a list on every shard while 8 consumers take them, 4 with XREADGROUP
//! BLOCK + XACK (one group per stream) and 4 with BLPOP over all the lists, all of them
//! dropping their connection and reconnecting at random points. Stream consumers also drop
//! connections with an XREADGROUP in flight, and recover what was delivered to them from their
//! pending list (history reads or XAUTOCLAIM). List consumers never drop a connection while a
//! BLPOP is in flight: an element popped for a reply that never arrives is lost with Redis too.
//! An item counts as delivered when popped, or when its XACK answers 1.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ferrokv_tests::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::Connection;

const TOTAL: usize = 100_000;
const PRODUCERS: usize = 4;
const STREAM_CONSUMERS: usize = 4;
const LIST_CONSUMERS: usize = 4;
const GROUP: &str = "g";
/// Commands per producer pipeline.
const BATCH: usize = 200;
/// When consumers give up if items are still missing (only reached when something was lost).
const DEADLINE: Duration = Duration::from_secs(120);
/// `NO_LOSS_SEED` reruns a failing schedule.
const DEFAULT_SEED: u64 = 0x5eed_0005;

/// Entries of an XREADGROUP / XAUTOCLAIM reply: `(id, [field, value, ...])`.
type Entries = Vec<(String, Vec<String>)>;

struct Shared {
    streams: Vec<String>,
    lists: Vec<String>,
    /// Times each item was delivered.
    seen: Vec<AtomicU8>,
    /// Times each stream item came in a `>` read: a group hands a new entry to one consumer.
    read_new: Vec<AtomicU8>,
    delivered: AtomicUsize,
    /// Connections dropped with an XREADGROUP in flight, and at other points.
    inflight_drops: AtomicUsize,
    other_drops: AtomicUsize,
    /// Stream entries delivered by a recovery.
    recovered: AtomicUsize,
    deadline: Instant,
    failed: AtomicBool,
}

impl Shared {
    fn finished(&self) -> bool {
        self.delivered.load(Ordering::Acquire) == TOTAL
            || Instant::now() > self.deadline
            || self.failed.load(Ordering::Acquire)
    }

    fn deliver(&self, item: &str) {
        let Ok(i) = item.parse::<usize>() else {
            self.fail(&format!("not an item number: {item:?}"));
            return;
        };
        let Some(slot) = self.seen.get(i) else {
            self.fail(&format!("item {i} out of range"));
            return;
        };
        if slot.fetch_add(1, Ordering::AcqRel) != 0 {
            self.fail(&format!("item {i} delivered twice"));
        }
        self.delivered.fetch_add(1, Ordering::AcqRel);
    }

    fn read_new_once(&self, id: &str, fields: &[String]) {
        let slot = match fields {
            [f, item] if f == "item" => item
                .parse::<usize>()
                .ok()
                .and_then(|i| self.read_new.get(i)),
            _ => None,
        };
        match slot {
            Some(slot) if slot.fetch_add(1, Ordering::AcqRel) == 0 => {}
            Some(_) => self.fail(&format!("entry {id} {fields:?} read as new twice")),
            None => self.fail(&format!("entry {id} has fields {fields:?}")),
        }
    }

    fn fail(&self, why: &str) {
        eprintln!("no_loss: {why}");
        self.failed.store(true, Ordering::Release);
    }
}

/// Stops every thread of the test when the one holding it panics, instead of leaving the others
/// waiting for items that will not come until the deadline.
struct FailOnPanic<'a>(&'a Shared);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.failed.store(true, Ordering::Release);
        }
    }
}

fn connect() -> Connection {
    shared().conn()
}

/// Item i goes to a stream when even, to a list when odd; i/2 picks the shard.
fn produce(sh: &Shared, p: usize) {
    let _guard = FailOnPanic(sh);
    let mut c = connect();
    let per = TOTAL / PRODUCERS;
    let items: Vec<usize> = (p * per..(p + 1) * per).collect();
    for batch in items.chunks(BATCH) {
        let mut pipe = redis::pipe();
        for &i in batch {
            let shard = (i / 2) % DEFAULT_SHARDS;
            if i % 2 == 0 {
                pipe.cmd("XADD")
                    .arg(&sh.streams[shard])
                    .arg("*")
                    .arg("item")
                    .arg(i);
            } else {
                pipe.cmd("LPUSH").arg(&sh.lists[shard]).arg(i);
            }
        }
        let replies: Vec<redis::Value> = pipe.query(&mut c).expect("producer pipeline");
        assert_eq!(replies.len(), batch.len());
    }
}

fn list_consumer(sh: &Shared, n: usize, seed: u64) {
    let _guard = FailOnPanic(sh);
    let mut rng = StdRng::seed_from_u64(seed ^ (0x100 + n as u64));
    let mut c = connect();
    while !sh.finished() {
        if rng.gen_range(0..200) == 0 {
            // Between commands, never with a BLPOP in flight.
            c = connect();
            sh.other_drops.fetch_add(1, Ordering::Relaxed);
        }
        let popped: Option<(String, String)> = redis::cmd("BLPOP")
            .arg(&sh.lists)
            .arg(0.05)
            .query(&mut c)
            .expect("BLPOP");
        if let Some((_, item)) = popped {
            sh.deliver(&item);
        }
    }
}

/// XACKs each entry on its own, so the reply (1 or 0) tells whether this consumer delivered it.
/// Returns how many it delivered.
fn ack(sh: &Shared, c: &mut Connection, stream: &str, entries: &[(String, Vec<String>)]) -> usize {
    if entries.is_empty() {
        return 0;
    }
    let mut delivered = 0;
    let mut pipe = redis::pipe();
    for (id, _) in entries {
        pipe.cmd("XACK").arg(stream).arg(GROUP).arg(id);
    }
    let acked: Vec<i64> = pipe.query(c).expect("XACK");
    for ((id, fields), n) in entries.iter().zip(acked) {
        match (n, fields.as_slice()) {
            (0, _) => {}
            (1, [f, item]) if f == "item" => {
                sh.deliver(item);
                delivered += 1;
            }
            _ => sh.fail(&format!("entry {id} {fields:?} acked {n}")),
        }
    }
    delivered
}

/// Takes back what was delivered to `name` and not acknowledged: its own history (`0`), or
/// XAUTOCLAIM over the whole group (which may take entries another consumer is processing;
/// then only one of the XACKs answers 1).
fn recover(sh: &Shared, c: &mut Connection, name: &str, claim: bool) {
    for stream in &sh.streams {
        if claim {
            let mut cursor = "0-0".to_string();
            loop {
                let (next, entries, deleted): (String, Entries, Vec<String>) =
                    redis::cmd("XAUTOCLAIM")
                        .arg(stream)
                        .arg(GROUP)
                        .arg(name)
                        .arg(0)
                        .arg(&cursor)
                        .arg("COUNT")
                        .arg(100)
                        .query(c)
                        .expect("XAUTOCLAIM");
                if !deleted.is_empty() {
                    sh.fail(&format!("XAUTOCLAIM found deleted entries {deleted:?}"));
                }
                sh.recovered
                    .fetch_add(ack(sh, c, stream, &entries), Ordering::Relaxed);
                if next == "0-0" {
                    break;
                }
                cursor = next;
            }
        } else {
            loop {
                let reply: Option<Vec<(String, Entries)>> = redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(GROUP)
                    .arg(name)
                    .arg("COUNT")
                    .arg(100)
                    .arg("STREAMS")
                    .arg(stream)
                    .arg("0")
                    .query(c)
                    .expect("XREADGROUP history");
                let entries: Entries = reply.into_iter().flatten().flat_map(|(_, e)| e).collect();
                if entries.is_empty() {
                    break;
                }
                sh.recovered
                    .fetch_add(ack(sh, c, stream, &entries), Ordering::Relaxed);
            }
        }
    }
}

fn stream_consumer(sh: &Shared, n: usize, seed: u64) {
    let _guard = FailOnPanic(sh);
    let mut rng = StdRng::seed_from_u64(seed ^ (0x200 + n as u64));
    let name = format!("consumer-{n}");
    let mut c = connect();
    while !sh.finished() {
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(GROUP)
            .arg(&name)
            .arg("COUNT")
            .arg(rng.gen_range(1..=50))
            .arg("BLOCK")
            .arg(50)
            .arg("STREAMS")
            .arg(&sh.streams);
        for _ in &sh.streams {
            read.arg(">");
        }
        if rng.gen_range(0..8) == 0 {
            // Drop the connection with the read in flight: what it delivered is pending.
            c.send_packed_command(&read.get_packed_command())
                .expect("send XREADGROUP");
            c = connect();
            sh.inflight_drops.fetch_add(1, Ordering::Relaxed);
            recover(sh, &mut c, &name, rng.gen_bool(0.5));
            continue;
        }
        let reply: Option<Vec<(String, Entries)>> = read.query(&mut c).expect("XREADGROUP");
        let Some(streams) = reply else {
            // Nothing new: look for entries delivered to a connection dropped earlier whose
            // read the server ran after this consumer's last recovery.
            recover(sh, &mut c, &name, false);
            continue;
        };
        let drop_after = rng.gen_range(0..10) == 0;
        for (stream, entries) in streams {
            for (id, fields) in &entries {
                sh.read_new_once(id, fields);
            }
            if drop_after {
                // Acknowledge some, then drop the connection with the rest pending.
                let keep = rng.gen_range(0..=entries.len());
                ack(sh, &mut c, &stream, &entries[..keep]);
            } else {
                ack(sh, &mut c, &stream, &entries);
            }
        }
        if drop_after {
            c = connect();
            sh.other_drops.fetch_add(1, Ordering::Relaxed);
            recover(sh, &mut c, &name, rng.gen_bool(0.5));
        }
    }
    recover(sh, &mut c, &name, false);
}

#[test]
fn every_item_is_delivered_exactly_once_despite_disconnects() {
    let seed = std::env::var("NO_LOSS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    eprintln!("no_loss seed {seed} (set NO_LOSS_SEED to rerun)");
    let streams = spread_keys("nl:stream:", DEFAULT_SHARDS, DEFAULT_SHARDS);
    let lists = spread_keys("nl:list:", DEFAULT_SHARDS, DEFAULT_SHARDS);
    let mut admin = shared().raw();
    admin.del(&streams);
    admin.del(&lists);
    for s in &streams {
        assert_eq!(
            admin.cmd(&["XGROUP", "CREATE", s, GROUP, "$", "MKSTREAM"]),
            ok()
        );
    }
    let sh = Arc::new(Shared {
        streams: streams.clone(),
        lists: lists.clone(),
        seen: (0..TOTAL).map(|_| AtomicU8::new(0)).collect(),
        read_new: (0..TOTAL).map(|_| AtomicU8::new(0)).collect(),
        delivered: AtomicUsize::new(0),
        inflight_drops: AtomicUsize::new(0),
        other_drops: AtomicUsize::new(0),
        recovered: AtomicUsize::new(0),
        deadline: Instant::now() + DEADLINE,
        failed: AtomicBool::new(false),
    });

    let start = Instant::now();
    let mut consumers = Vec::new();
    for n in 0..STREAM_CONSUMERS {
        let sh = Arc::clone(&sh);
        consumers.push(thread::spawn(move || stream_consumer(&sh, n, seed)));
    }
    for n in 0..LIST_CONSUMERS {
        let sh = Arc::clone(&sh);
        consumers.push(thread::spawn(move || list_consumer(&sh, n, seed)));
    }
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let sh = Arc::clone(&sh);
            thread::spawn(move || produce(&sh, p))
        })
        .collect();
    for p in producers {
        p.join().expect("producer thread");
    }
    for c in consumers {
        c.join().expect("consumer thread");
    }
    eprintln!(
        "no_loss: {TOTAL} items in {:?}; {} connections dropped with XREADGROUP in flight, {} \
         at other points; {} stream entries recovered from pending lists",
        start.elapsed(),
        sh.inflight_drops.load(Ordering::Relaxed),
        sh.other_drops.load(Ordering::Relaxed),
        sh.recovered.load(Ordering::Relaxed)
    );

    assert!(!sh.failed.load(Ordering::Acquire), "see the messages above");
    let missing: Vec<usize> = (0..TOTAL)
        .filter(|&i| sh.seen[i].load(Ordering::Acquire) == 0)
        .collect();
    assert!(
        missing.is_empty(),
        "{} items never delivered, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(20)]
    );
    assert!(sh.seen.iter().all(|s| s.load(Ordering::Acquire) == 1));
    assert!(
        sh.inflight_drops.load(Ordering::Relaxed) > 0,
        "no XREADGROUP was ever dropped in flight"
    );
    // Lists empty, nothing pending, every stream entry still there (no MAXLEN).
    let per_key = (TOTAL / 2 / DEFAULT_SHARDS) as i64;
    for l in &lists {
        assert_eq!(admin.cmd(&["LLEN", l]), int(0), "{l}");
    }
    for s in &streams {
        assert_eq!(admin.cmd(&["XLEN", s]), int(per_key), "{s}");
        assert_eq!(
            admin.cmd(&["XPENDING", s, GROUP]),
            arr(vec![int(0), nil(), nil(), Resp::NilArray]),
            "{s}"
        );
    }
    admin.del(&streams);
}
