//! Cross-shard atomicity: a reader never sees half of a multi-shard write.
//! Each test is bounded in time and checks it did enough rounds to mean something.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use ferrokv_tests::*;
use redis::Commands;

/// Upper bound on the time one test spends hammering.
const BUDGET: Duration = Duration::from_secs(5);

/// The tests take turns: each gets the whole (2-core) machine, so that the minimum round
/// counts below mean something even for a debug build.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn mget_never_sees_a_mix_of_two_msets() {
    let _turn = turn();
    let server = shared();
    // Two keys on each shard.
    let keys = spread_keys("atomic:mset:", 2 * DEFAULT_SHARDS, DEFAULT_SHARDS);
    let shards: HashSet<usize> = keys
        .iter()
        .map(|k| shard_of(k.as_bytes(), DEFAULT_SHARDS))
        .collect();
    assert_eq!(shards.len(), DEFAULT_SHARDS);
    {
        let mut c = server.conn();
        let pairs: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "init")).collect();
        let _: () = c.mset(&pairs).unwrap();
    }
    let stop = AtomicBool::new(false);
    let writes = AtomicUsize::new(0);
    let reads = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..8 {
            let (keys, stop, writes) = (&keys, &stop, &writes);
            s.spawn(move || {
                let mut c = server.conn();
                for i in 0..1500 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let v = format!("w{w}-{i}");
                    let pairs: Vec<(&str, &str)> =
                        keys.iter().map(|k| (k.as_str(), v.as_str())).collect();
                    let _: () = c.mset(&pairs).unwrap();
                    writes.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (keys, stop, reads) = (&keys, &stop, &reads);
                s.spawn(move || {
                    let mut c = server.conn();
                    while !stop.load(Ordering::Relaxed) {
                        let vals: Vec<String> = c.mget(keys).unwrap();
                        assert!(
                            vals.iter().all(|v| v == &vals[0]),
                            "MGET saw a mix of MSETs: {vals:?}"
                        );
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while start.elapsed() < BUDGET && writes.load(Ordering::Relaxed) < 8 * 1500 {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    });
    let (w, r) = (writes.into_inner(), reads.into_inner());
    println!("MSET/MGET: {w} writes, {r} reads in {:?}", start.elapsed());
    assert!(
        w >= 300 && r >= 1000,
        "too few rounds: {w} writes, {r} reads"
    );
}

#[test]
fn msetnx_has_exactly_one_winner() {
    let _turn = turn();
    let server = shared();
    let keys = spread_keys("atomic:msetnx:", 2 * DEFAULT_SHARDS, DEFAULT_SHARDS);
    let writers = 6;
    let barrier = Barrier::new(writers + 1);
    let winners = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let mut rounds = 0;
    let mut c = server.conn();
    std::thread::scope(|s| {
        for w in 0..writers {
            let (keys, barrier, winners, stop) = (&keys, &barrier, &winners, &stop);
            s.spawn(move || {
                let mut c = server.conn();
                let mut round = 0;
                loop {
                    barrier.wait();
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    // Each writer uses the keys in its own order.
                    let v = format!("w{w}-{round}");
                    let mut ks: Vec<&String> = keys.iter().collect();
                    ks.rotate_left(w % keys.len());
                    let pairs: Vec<(&str, &str)> =
                        ks.iter().map(|k| (k.as_str(), v.as_str())).collect();
                    let won: bool = c.mset_nx(&pairs).unwrap();
                    if won {
                        winners.fetch_add(1, Ordering::SeqCst);
                    }
                    barrier.wait();
                    round += 1;
                }
            });
        }
        while rounds < 300 && start.elapsed() < BUDGET {
            let _: usize = c.del(&keys).unwrap();
            winners.store(0, Ordering::SeqCst);
            barrier.wait(); // go
            barrier.wait(); // all done
            assert_eq!(winners.load(Ordering::SeqCst), 1, "round {rounds}");
            let vals: Vec<Option<String>> = c.mget(&keys).unwrap();
            assert!(vals[0].is_some());
            assert!(vals.iter().all(|v| v == &vals[0]), "torn MSETNX: {vals:?}");
            rounds += 1;
        }
        stop.store(true, Ordering::SeqCst);
        barrier.wait();
    });
    println!("MSETNX: {rounds} rounds");
    assert!(rounds >= 50, "only {rounds} rounds");
}

#[test]
fn rename_across_shards_is_never_seen_half_done() {
    let _turn = turn();
    let server = shared();
    let a = key_on_shard("atomic:rename:a", 0, DEFAULT_SHARDS);
    let b = key_on_shard("atomic:rename:b", DEFAULT_SHARDS - 1, DEFAULT_SHARDS);
    let mut c = server.conn();
    let _: () = c.set(&a, "payload").unwrap();
    let _: usize = c.del(&b).unwrap();
    let stop = AtomicBool::new(false);
    let renames = AtomicUsize::new(0);
    let reads = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut c = server.conn();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
                let _: () = c.rename(from, to).unwrap();
                renames.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        });
        let readers: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let mut c = server.conn();
                    while !stop.load(Ordering::Relaxed) {
                        let vals: Vec<Option<String>> = c.mget(&[&a, &b]).unwrap();
                        let present = vals.iter().filter(|v| v.is_some()).count();
                        assert_eq!(present, 1, "RENAME seen half done: {vals:?}");
                        let n: usize = c.exists(&[&a, &b]).unwrap();
                        assert_eq!(n, 1, "EXISTS during RENAME");
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while start.elapsed() < BUDGET && renames.load(Ordering::Relaxed) < 4000 {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    });
    let (n, r) = (renames.into_inner(), reads.into_inner());
    println!("RENAME: {n} renames, {r} reads");
    assert!(
        n >= 300 && r >= 300,
        "too few rounds: {n} renames, {r} reads"
    );
    let _: usize = c.del(&[&a, &b]).unwrap();
}

#[test]
fn concurrent_incr_counts_exactly() {
    let _turn = turn();
    let server = shared();
    let key = "atomic:counter";
    let per_shard = spread_keys("atomic:counters:", DEFAULT_SHARDS, DEFAULT_SHARDS);
    let mut c = server.conn();
    let _: usize = c.del(key).unwrap();
    let _: usize = c.del(&per_shard).unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let per_shard = &per_shard;
            s.spawn(move || {
                let mut c = server.conn();
                for i in 0..1000 {
                    let _: i64 = c.incr(key, 1).unwrap();
                    if i % 10 == 0 {
                        // Pipelined INCRs over every shard too.
                        let mut p = redis::pipe();
                        for k in per_shard {
                            p.incr(k, 1).ignore();
                        }
                        let _: () = p.query(&mut c).unwrap();
                    }
                }
            });
        }
    });
    let total: i64 = c.get(key).unwrap();
    assert_eq!(total, 8000);
    let each: Vec<i64> = c.mget(&per_shard).unwrap();
    assert_eq!(each, vec![800; DEFAULT_SHARDS]);
    let _: usize = c.del(key).unwrap();
    let _: usize = c.del(&per_shard).unwrap();
}

/// SMOVE between sets on every shard while readers take SUNION (one gathered read) and the
/// sum of SCARDs (one MULTI/EXEC): a member is never missing mid-move nor in two sets.
#[test]
fn smove_across_shards_never_loses_or_duplicates_a_member() {
    let _turn = turn();
    let server = shared();
    let keys = spread_keys("atomic:smove:", 2 * DEFAULT_SHARDS, DEFAULT_SHARDS);
    let members = 40;
    let mut c = server.conn();
    let _: usize = c.del(&keys).unwrap();
    for m in 0..members {
        let _: usize = c.sadd(&keys[m % keys.len()], format!("m{m}")).unwrap();
    }
    let stop = AtomicBool::new(false);
    let moves = AtomicUsize::new(0);
    let reads = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..6 {
            let (keys, stop, moves) = (&keys, &stop, &moves);
            s.spawn(move || {
                let mut c = server.conn();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let src = &keys[i % keys.len()];
                    let dst = &keys[(i * 7 + 3) % keys.len()];
                    let member = format!("m{}", (i * 13) % members);
                    let _: usize = c.smove(src, dst, member).unwrap();
                    moves.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (keys, stop, reads) = (&keys, &stop, &reads);
                s.spawn(move || {
                    let mut c = server.conn();
                    while !stop.load(Ordering::Relaxed) {
                        if r == 0 {
                            let all: Vec<String> = c.sunion(keys).unwrap();
                            assert_eq!(all.len(), members, "SUNION mid-SMOVE: {all:?}");
                        } else {
                            let mut p = redis::pipe();
                            p.atomic();
                            for k in keys {
                                p.scard(k);
                            }
                            let cards: Vec<usize> = p.query(&mut c).unwrap();
                            assert_eq!(cards.iter().sum::<usize>(), members, "{cards:?}");
                        }
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        while start.elapsed() < BUDGET && moves.load(Ordering::Relaxed) < 6000 {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
    });
    let (n, r) = (moves.into_inner(), reads.into_inner());
    println!("SMOVE: {n} moves, {r} reads");
    assert!(n >= 300 && r >= 100, "too few rounds: {n} moves, {r} reads");
    let mut seen: Vec<String> = Vec::new();
    for k in &keys {
        let m: Vec<String> = c.smembers(k).unwrap();
        seen.extend(m);
    }
    seen.sort();
    let mut expected: Vec<String> = (0..members).map(|m| format!("m{m}")).collect();
    expected.sort();
    assert_eq!(seen, expected);
    let _: usize = c.del(&keys).unwrap();
}

/// LMOVE around lists on every shard: the elements are always all there, each exactly once.
#[test]
fn lmove_across_shards_keeps_every_element_exactly_once() {
    let _turn = turn();
    let server = shared();
    let keys = spread_keys("atomic:lmove:", 2 * DEFAULT_SHARDS, DEFAULT_SHARDS);
    let items = 100;
    let mut c = server.conn();
    let _: usize = c.del(&keys).unwrap();
    for i in 0..items {
        let _: usize = c.rpush(&keys[i % keys.len()], i).unwrap();
    }
    let stop = AtomicBool::new(false);
    let moves = AtomicUsize::new(0);
    let reads = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..6 {
            let (keys, stop, moves) = (&keys, &stop, &moves);
            s.spawn(move || {
                let mut c = server.conn();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let src = &keys[i % keys.len()];
                    let dst = &keys[(i * 5 + 1) % keys.len()];
                    let (from, to) = if i % 2 == 0 {
                        (redis::Direction::Left, redis::Direction::Right)
                    } else {
                        (redis::Direction::Right, redis::Direction::Left)
                    };
                    let _: Option<String> = c.lmove(src, dst, from, to).unwrap();
                    moves.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            });
        }
        let reader = s.spawn(|| {
            let mut c = server.conn();
            while !stop.load(Ordering::Relaxed) {
                let mut p = redis::pipe();
                p.atomic();
                for k in &keys {
                    p.lrange(k, 0, -1);
                }
                let lists: Vec<Vec<usize>> = p.query(&mut c).unwrap();
                let mut all: Vec<usize> = lists.into_iter().flatten().collect();
                all.sort();
                assert_eq!(all, (0..items).collect::<Vec<_>>(), "torn LMOVE");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        });
        while start.elapsed() < BUDGET && moves.load(Ordering::Relaxed) < 6000 {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        reader.join().unwrap();
    });
    let (n, r) = (moves.into_inner(), reads.into_inner());
    println!("LMOVE: {n} moves, {r} reads");
    assert!(n >= 300 && r >= 50, "too few rounds: {n} moves, {r} reads");
    let _: usize = c.del(&keys).unwrap();
}
