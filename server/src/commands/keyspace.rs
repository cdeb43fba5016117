//! Commands over the keyspace of every shard: DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHDB, FLUSHALL,
//! SWAPDB. Each asks every shard at once and merges.

use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::keyspace::SEGMENTS;
use ferrokv_shard::{args, keys};
use rand::Rng;

use crate::hop::{on_shard, Answer};
use crate::node::{now_ms, Node};

pub async fn dbsize(node: &Rc<Node>, db: usize) -> Reply {
    let sizes = node
        .run_on_all(|| on_shard(move |n| keys::dbsize(n.shard.borrow().db(db))))
        .await;
    Reply::Int(
        sizes
            .into_iter()
            .filter_map(Answer::take::<usize>)
            .sum::<usize>() as i64,
    )
}

pub async fn flush(node: &Rc<Node>, db: Option<usize>, args: &[Bytes]) -> Reply {
    match args.get(1) {
        None => {}
        Some(a) if args.len() == 2 && (args::is(a, "ASYNC") || args::is(a, "SYNC")) => {}
        Some(_) => return Reply::error("ERR syntax error"),
    }
    node.run_on_all(|| {
        on_shard(move |n| {
            let mut shard = n.shard.borrow_mut();
            match db {
                Some(db) => shard.flush_db(db, now_ms()),
                None => shard.flush_all(now_ms()),
            }
        })
    })
    .await;
    Reply::ok()
}

pub async fn keys(node: &Rc<Node>, db: usize, args: &[Bytes]) -> Reply {
    let pattern = args[1].clone();
    let answers = node
        .run_on_all(|| {
            let pattern = pattern.clone();
            on_shard(move |n| keys::keys_matching(n.shard.borrow().db(db), &pattern, now_ms()))
        })
        .await;
    let all = answers
        .into_iter()
        .filter_map(Answer::take::<Vec<Bytes>>)
        .flatten();
    Reply::Array(all.map(Reply::Bulk).collect())
}

/// SCAN's cursor names a shard and a segment of its keyspace: `shard * SEGMENTS + segment`.
/// Segments never move, so a key present for the whole iteration is returned.
pub async fn scan(node: &Rc<Node>, db: usize, args: &[Bytes]) -> Reply {
    let cursor = match keys::scan_cursor(&args[1]) {
        Ok(c) => c,
        Err(e) => return e.into_reply(),
    };
    let opts = match keys::scan_options(args) {
        Ok(o) => o,
        Err(e) => return e.into_reply(),
    };
    let (pattern, type_filter, count) = (opts.pattern, opts.type_name, opts.count);
    let mut shard = (cursor / SEGMENTS as u64) as usize;
    let mut segment = (cursor % SEGMENTS as u64) as usize;
    let mut found = Vec::new();
    while shard < node.nshards {
        let (p, t) = (pattern.clone(), type_filter.clone());
        let answer = node
            .run_on(
                shard,
                on_shard(move |n| {
                    let shard = n.shard.borrow();
                    keys::scan_step(
                        shard.db(db),
                        segment,
                        count,
                        p.as_deref(),
                        t.as_deref(),
                        now_ms(),
                    )
                }),
            )
            .await;
        let Some((next, keys)) = answer.take::<(Option<usize>, Vec<Bytes>)>() else {
            break;
        };
        found.extend(keys);
        match next {
            Some(next) => segment = next,
            None => {
                shard += 1;
                segment = 0;
            }
        }
        // One shard per call is enough unless it had nothing to give.
        if !found.is_empty() || next.is_some() {
            break;
        }
    }
    let next = if shard >= node.nshards {
        0
    } else {
        (shard * SEGMENTS + segment) as u64
    };
    keys::scan_reply(next, found.into_iter().map(Reply::Bulk).collect())
}

pub async fn randomkey(node: &Rc<Node>, db: usize) -> Reply {
    let answers = node
        .run_on_all(|| {
            on_shard(move |n| {
                let mut shard = n.shard.borrow_mut();
                (
                    keys::dbsize(shard.db(db)),
                    keys::random_key(&mut shard, db, now_ms()),
                )
            })
        })
        .await;
    // Weigh each shard's pick by its size so every key is about as likely.
    let picks: Vec<(usize, Bytes)> = answers
        .into_iter()
        .filter_map(Answer::take::<(usize, Option<Bytes>)>)
        .filter_map(|(len, key)| key.map(|k| (len, k)))
        .collect();
    let total: usize = picks.iter().map(|(len, _)| len).sum();
    if picks.is_empty() {
        return Reply::Null;
    }
    let mut r = rand::thread_rng().gen_range(0..total.max(1));
    for (len, key) in &picks {
        if r < *len {
            return Reply::Bulk(key.clone());
        }
        r -= len;
    }
    Reply::Bulk(picks[0].1.clone())
}

pub async fn swapdb(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let Ok(a) = args::int(&args[1]) else {
        return Reply::error("ERR invalid first DB index");
    };
    let Ok(b) = args::int(&args[2]) else {
        return Reply::error("ERR invalid second DB index");
    };
    let dbs = node.shard.borrow().databases() as i64;
    if a < 0 || a >= dbs || b < 0 || b >= dbs {
        return Reply::error("ERR DB index is out of range");
    }
    node.run_on_all(|| {
        on_shard(move |n| {
            n.shard
                .borrow_mut()
                .swap_dbs(a as usize, b as usize, now_ms())
        })
    })
    .await;
    Reply::ok()
}
