//! Random commands of stream consumer groups for the oracle: XGROUP (every subcommand),
//! XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO, over streams filled with explicit
//! IDs (XADD, XDEL, XTRIM and XSETID keep the groups' lag interesting).
//!
//! Time is kept out of the comparisons: entries are idle for milliseconds during a run, so every
//! idle bound the generator uses (min-idle-time, IDLE, TIME) is either 0, negative, or hours
//! away from any idle time an entry can have; the replies that show idle or delivery times are
//! compared with those times masked out and checked within a tolerance (`Cmp::Timed`).

use ferrokv_tests::Resp;
use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `xg0`..`xg9`.
pub const PREFIX: &str = "xg";

/// Weighted toward the first names, so most calls find their group.
const GROUPS: &[&str] = &["g1", "g1", "g1", "g2", "g2", "g3"];

const CONSUMERS: &[&str] = &["alice", "bob", "carol", "c"];

const COUNTS: &[&str] = &["1", "2", "3", "5", "10", "100", "0", "-1", "abc"];

/// min-idle-time and XPENDING IDLE bounds: none close to an idle time a run can produce.
const MIN_IDLE: &[&str] = &["0", "0", "0", "0", "3600000", "43200000", "-5", "abc"];

/// XCLAIM IDLE values: 0, or hours (between the bounds above).
const IDLE: &[&str] = &["0", "7200000", "86400000", "-5", "abc"];

const ENTRIES_READ: &[&str] = &["0", "1", "3", "10", "-1", "-2", "abc"];

/// Which parts of a reply are times (see `mask`).
#[derive(Clone, Copy, Debug)]
pub enum Times {
    /// XPENDING's extended form: the third element of every row.
    PendingRows,
    /// XINFO CONSUMERS: every `idle`.
    Consumers,
    /// XINFO STREAM FULL: delivery times in the PELs and consumers' `seen-time`.
    StreamFull,
}

/// `reply` with its times replaced by 0, and the times in order.
pub fn mask(times: Times, reply: &Resp) -> (Resp, Vec<i64>) {
    let mut found = Vec::new();
    let masked = match times {
        Times::PendingRows => map_rows(reply, |row| zero_at(row, 2, &mut found)),
        Times::Consumers => map_rows(reply, |c| zero_field(c, "idle", &mut found)),
        Times::StreamFull => map_field(reply, "groups", |groups| {
            map_rows(groups, |group| {
                let group = map_field(group, "pending", |rows| {
                    map_rows(rows, |row| zero_at(row, 2, &mut found))
                });
                map_field(&group, "consumers", |cons| {
                    map_rows(cons, |c| {
                        let c = zero_field(c, "seen-time", &mut found);
                        map_field(&c, "pending", |rows| {
                            map_rows(rows, |row| zero_at(row, 1, &mut found))
                        })
                    })
                })
            })
        }),
    };
    (masked, found)
}

/// Applies `f` to every element of an array; anything else as it is.
fn map_rows(reply: &Resp, mut f: impl FnMut(&Resp) -> Resp) -> Resp {
    match reply {
        Resp::Array(v) => Resp::Array(v.iter().map(&mut f).collect()),
        other => other.clone(),
    }
}

/// Applies `f` to the value of `name` in a map or a flat array of pairs.
fn map_field(reply: &Resp, name: &str, f: impl FnOnce(&Resp) -> Resp) -> Resp {
    let is_name = |k: &Resp| matches!(k, Resp::Bulk(b) if b == name.as_bytes());
    match reply {
        Resp::Map(pairs) => {
            let mut pairs = pairs.clone();
            if let Some(p) = pairs.iter_mut().find(|(k, _)| is_name(k)) {
                p.1 = f(&p.1);
            }
            Resp::Map(pairs)
        }
        Resp::Array(v) if v.len() % 2 == 0 => {
            let mut v = v.clone();
            if let Some(i) = (0..v.len()).step_by(2).find(|&i| is_name(&v[i])) {
                v[i + 1] = f(&v[i + 1]);
            }
            Resp::Array(v)
        }
        other => other.clone(),
    }
}

fn take_time(v: &Resp, found: &mut Vec<i64>) -> Resp {
    match v {
        Resp::Int(t) => {
            found.push(*t);
            Resp::Int(0)
        }
        other => other.clone(),
    }
}

fn zero_at(row: &Resp, at: usize, found: &mut Vec<i64>) -> Resp {
    match row {
        Resp::Array(v) if v.len() > at => {
            let mut v = v.clone();
            v[at] = take_time(&v[at], found);
            Resp::Array(v)
        }
        other => other.clone(),
    }
}

fn zero_field(reply: &Resp, name: &str, found: &mut Vec<i64>) -> Resp {
    map_field(reply, name, |v| take_time(v, found))
}

/// A fresh ID for `key`, above every one generated for it before (IDs only grow). Each key
/// counts its own ms parts, so the IDs picked for it later are often its entries'.
fn fresh_id(g: &mut Gen, key: &[u8]) -> Vec<u8> {
    let step = if g.chance(0.9) { 1 } else { 2 };
    let clock = g.id_clocks.entry(key.to_vec()).or_default();
    *clock += step;
    let ms = *clock;
    let seq = u64::from(g.chance(0.1));
    format!("{ms}-{seq}").into_bytes()
}

/// The ms part of one of `key`'s IDs: mostly a recent one, sometimes an old one.
fn recent_ms(g: &mut Gen, key: &[u8]) -> u64 {
    let window = if g.chance(0.6) { 30 } else { 300 };
    let back = g.rng.gen_range(0..window);
    let clock = g.id_clocks.get(key).copied().unwrap_or(0);
    clock.saturating_sub(back).max(1)
}

/// One of `key`'s IDs (often an entry's).
fn entry_id(g: &mut Gen, key: &[u8]) -> Vec<u8> {
    let ms = recent_ms(g, key);
    let seq = u64::from(g.chance(0.1));
    format!("{ms}-{seq}").into_bytes()
}

/// An ID of `key`'s (often an entry's), or a special or bad one.
fn some_id(g: &mut Gen, key: &[u8]) -> Vec<u8> {
    match g.rng.gen_range(0..100) {
        0..=79 => entry_id(g, key),
        80..=84 => recent_ms(g, key).to_string().into_bytes(),
        85..=89 => b"0".to_vec(),
        90..=92 => b"0-0".to_vec(),
        93..=94 => g.pick(&["-", "+"]).into(),
        _ => g
            .pick(&["abc", "", "1-", "-1", "1-x", "18446744073709551616"])
            .into(),
    }
}

/// An interval bound: an ID, sometimes exclusive.
fn bound(g: &mut Gen, key: &[u8]) -> Vec<u8> {
    let id = some_id(g, key);
    if g.chance(0.15) {
        let mut v = b"(".to_vec();
        v.extend(id);
        v
    } else {
        id
    }
}

/// One of the family's keys; only six of the ten, so groups meet their streams often.
fn key(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.05) {
        return g.key();
    }
    super::family_key(PREFIX, g.rng.gen_range(0..6))
}

fn group(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.03) {
        b"nogroup".to_vec()
    } else {
        g.pick(GROUPS).into()
    }
}

fn consumer(g: &mut Gen) -> Vec<u8> {
    g.pick(CONSUMERS).into()
}

/// Up to `max` IDs of `key`, rarely a special or bad one.
fn ids(g: &mut Gen, key: &[u8], max: usize) -> Vec<Vec<u8>> {
    (0..g.rng.gen_range(1..=max))
        .map(|_| {
            if g.chance(0.9) {
                entry_id(g, key)
            } else {
                some_id(g, key)
            }
        })
        .collect()
}

fn exact(args: Vec<Vec<u8>>) -> Cmd {
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}

fn timed(args: Vec<Vec<u8>>, times: Times) -> Cmd {
    Cmd {
        args,
        cmp: Cmp::Timed(times),
    }
}

fn xadd(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    // Now and then a run of additions, so streams span several blocks.
    if g.chance(0.03) {
        for _ in 0..g.rng.gen_range(50..250) {
            let id = fresh_id(g, &key);
            let add = [
                b"XADD".to_vec(),
                key.clone(),
                id,
                b"f".to_vec(),
                b"v".to_vec(),
            ];
            g.queued.push_back(exact(add.to_vec()));
        }
    }
    let mut a = vec![g.name("XADD"), key];
    if g.chance(0.05) {
        a.push(g.name("NOMKSTREAM"));
    }
    if g.chance(0.05) {
        a.push(g.name("MAXLEN"));
        if g.chance(0.6) {
            a.push(g.pick(&["~", "="]).into());
        }
        a.push(g.pick(&["0", "5", "20", "150", "300"]).into());
    }
    let id = if g.chance(0.95) {
        fresh_id(g, &a[1])
    } else {
        some_id(g, &a[1])
    };
    a.push(id);
    for _ in 0..g.rng.gen_range(1..=2) {
        a.push(g.pick(&["f", "name", "n"]).into());
        a.push(g.pick(&["v", "1", "", "hello"]).into());
    }
    a
}

fn xgroup(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let start_id = |g: &mut Gen, key: &[u8]| -> Vec<u8> {
        if g.chance(0.5) {
            g.pick(&["$", "0", "$", "0-0"]).into()
        } else {
            some_id(g, key)
        }
    };
    match g.rng.gen_range(0..100) {
        0..=44 => {
            let id = start_id(g, &key);
            let mut a = vec![g.name("XGROUP"), g.name("CREATE"), key, group(g), id];
            if g.chance(0.7) {
                a.push(g.name("MKSTREAM"));
            }
            if g.chance(0.2) {
                a.push(g.name("ENTRIESREAD"));
                a.push(g.pick(ENTRIES_READ).into());
            }
            a
        }
        45..=59 => {
            let id = start_id(g, &key);
            let mut a = vec![g.name("XGROUP"), g.name("SETID"), key, group(g), id];
            if g.chance(0.3) {
                a.push(g.name("ENTRIESREAD"));
                a.push(g.pick(ENTRIES_READ).into());
            }
            a
        }
        60..=64 => vec![g.name("XGROUP"), g.name("DESTROY"), key, group(g)],
        65..=79 => vec![
            g.name("XGROUP"),
            g.name("CREATECONSUMER"),
            key,
            group(g),
            consumer(g),
        ],
        80..=94 => vec![
            g.name("XGROUP"),
            g.name("DELCONSUMER"),
            key,
            group(g),
            consumer(g),
        ],
        95..=96 => vec![g.name("XGROUP"), g.name("HELP")],
        _ => vec![g.name("XGROUP"), g.pick(&["FOO", "CREATE", ""]).into(), key],
    }
}

/// XREADGROUP over one to three streams. BLOCK only comes with history IDs, which never block.
fn xreadgroup(g: &mut Gen) -> Vec<Vec<u8>> {
    let mut a = vec![g.name("XREADGROUP"), g.name("GROUP"), group(g), consumer(g)];
    if g.chance(0.5) {
        a.push(g.name("COUNT"));
        a.push(g.pick(COUNTS).into());
    }
    if g.chance(0.15) {
        a.push(g.name("NOACK"));
    }
    let n = match g.rng.gen_range(0..10) {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    let keys: Vec<Vec<u8>> = (0..n).map(|_| key(g)).collect();
    let history = g.chance(0.3);
    let ids: Vec<Vec<u8>> = keys
        .iter()
        .map(|key| match g.rng.gen_range(0..100) {
            _ if !history => b">".to_vec(),
            0..=59 => b"0".to_vec(),
            60..=95 => some_id(g, key),
            _ => b"$".to_vec(),
        })
        .collect();
    if history && g.chance(0.2) {
        a.push(g.name("BLOCK"));
        a.push(g.pick(&["100", "0", "-1", "x"]).into());
    }
    a.push(g.name("STREAMS"));
    a.extend(keys);
    a.extend(ids);
    a
}

fn xpending(g: &mut Gen, key: Vec<u8>) -> Cmd {
    let mut a = vec![g.name("XPENDING"), key, group(g)];
    if g.chance(0.35) {
        return exact(a);
    }
    if g.chance(0.3) {
        a.push(g.name("IDLE"));
        a.push(g.pick(MIN_IDLE).into());
    }
    let (start, end) = if g.chance(0.5) {
        (b"-".to_vec(), b"+".to_vec())
    } else {
        (bound(g, &a[1]), bound(g, &a[1]))
    };
    a.push(start);
    a.push(end);
    a.push(g.pick(COUNTS).into());
    if g.chance(0.3) {
        a.push(consumer(g));
    }
    timed(a, Times::PendingRows)
}

fn xclaim(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let mut a = vec![
        g.name("XCLAIM"),
        key,
        group(g),
        consumer(g),
        g.pick(MIN_IDLE).into(),
    ];
    let claimed = ids(g, &a[1], 4);
    a.extend(claimed);
    for _ in 0..g.rng.gen_range(0..3) {
        match g.rng.gen_range(0..7) {
            0 => {
                a.push(g.name("IDLE"));
                a.push(g.pick(IDLE).into());
            }
            1 => {
                a.push(g.name("TIME"));
                let two_hours_ago = (g.base_secs * 1000 - 7_200_000).to_string();
                a.push(
                    g.pick(&["1", "0", "-5", &two_hours_ago, "99999999999999", "x"])
                        .into(),
                );
            }
            2 => {
                a.push(g.name("RETRYCOUNT"));
                a.push(g.pick(&["0", "1", "5", "-1", "x"]).into());
            }
            3 | 4 => a.push(g.name("FORCE")),
            5 => a.push(g.name("JUSTID")),
            _ => {
                a.push(g.name("LASTID"));
                let id = some_id(g, &a[1]);
                a.push(id);
            }
        }
    }
    a
}

fn xautoclaim(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let mut a = vec![
        g.name("XAUTOCLAIM"),
        key,
        group(g),
        consumer(g),
        g.pick(MIN_IDLE).into(),
    ];
    let start = if g.chance(0.5) {
        g.pick(&["0", "-", "0-0"]).into()
    } else {
        bound(g, &a[1])
    };
    a.push(start);
    if g.chance(0.5) {
        a.push(g.name("COUNT"));
        a.push(g.pick(&["1", "2", "3", "10", "10", "0", "x"]).into());
    }
    if g.chance(0.3) {
        a.push(g.name("JUSTID"));
    }
    a
}

fn xinfo(g: &mut Gen, key: Vec<u8>) -> Cmd {
    match g.rng.gen_range(0..100) {
        0..=29 => exact(vec![g.name("XINFO"), g.name("GROUPS"), key]),
        30..=49 => timed(
            vec![g.name("XINFO"), g.name("CONSUMERS"), key, group(g)],
            Times::Consumers,
        ),
        50..=69 => exact(vec![g.name("XINFO"), g.name("STREAM"), key]),
        70..=94 => {
            let mut a = vec![g.name("XINFO"), g.name("STREAM"), key, g.name("FULL")];
            if g.chance(0.5) {
                a.push(g.name("COUNT"));
                a.push(g.pick(&["0", "1", "3", "-1", "x"]).into());
            }
            timed(a, Times::StreamFull)
        }
        _ => exact(vec![g.name("XINFO"), g.name("HELP")]),
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    let key = key(g);
    match g.rng.gen_range(0..100) {
        0..=21 => exact(xadd(g, key)),
        22..=25 => {
            let deleted = ids(g, &key, 3);
            let mut a = vec![g.name("XDEL"), key];
            a.extend(deleted);
            exact(a)
        }
        26..=27 => {
            let strategy = g.name_either(0.5, "MAXLEN", "MINID");
            let limit = if strategy.eq_ignore_ascii_case(b"MAXLEN") {
                g.pick(&["0", "10", "50", "200"]).into()
            } else {
                some_id(g, &key)
            };
            let mut a = vec![g.name("XTRIM"), key, strategy];
            if g.chance(0.3) {
                a.push(b"~".to_vec());
            }
            a.push(limit);
            exact(a)
        }
        28 => {
            let last = fresh_id(g, &key);
            let deleted = some_id(g, &key);
            let mut a = vec![g.name("XSETID"), key, last];
            if g.chance(0.5) {
                a.push(g.name("ENTRIESADDED"));
                a.push(g.pick(&["0", "100", "1000"]).into());
            }
            if g.chance(0.5) {
                a.push(g.name("MAXDELETEDID"));
                a.push(deleted);
            }
            exact(a)
        }
        29 if g.chance(0.3) => exact(vec![g.name("DEL"), key]),
        29..=45 => exact(xgroup(g, key)),
        46..=63 => exact(xreadgroup(g)),
        64..=70 => {
            let acked = ids(g, &key, 4);
            let mut a = vec![g.name("XACK"), key, group(g)];
            a.extend(acked);
            exact(a)
        }
        71..=78 => xpending(g, key),
        79..=84 => exact(xclaim(g, key)),
        85..=89 => exact(xautoclaim(g, key)),
        _ => xinfo(g, key),
    }
}

/// The groups of `key`, for the final comparison of every key.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    vec![
        super::cmd(&[b"XINFO", b"GROUPS", key]),
        timed(
            vec![
                b"XINFO".to_vec(),
                b"STREAM".to_vec(),
                key.to_vec(),
                b"FULL".to_vec(),
                b"COUNT".to_vec(),
                b"0".to_vec(),
            ],
            Times::StreamFull,
        ),
    ]
}
