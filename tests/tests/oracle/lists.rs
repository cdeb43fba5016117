//! Random commands of the lists family for the oracle: every list command with valid and
//! invalid options, pushes of hundreds of elements (lists of many nodes), and moves between
//! keys of different shards.
//!
//! The blocking commands only get tiny timeouts (or invalid ones): on an empty key
//! redis-server answers nil after a few ms, which is also what a server answers where it
//! cannot block. They are queued (sent as generated: junk appended to BLPOP would become its
//! timeout, maybe 0 on an empty key) after a command that usually pushes onto one of their
//! keys, so that they mostly find something.

use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `l0`..`l9`.
pub const PREFIX: &str = "l";

/// Elements that recur, so LREM, LPOS and LINSERT find matches.
const ELEMENTS: &[&str] = &[
    "a", "b", "c", "d", "1", "2", "10", "-1", "", "hello", "x y", "007",
];

const INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "-1",
    "-2",
    "-3",
    "-10",
    "100",
    "-100",
    "500",
    "-500",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
    "1.5",
    " 1",
];

const POP_COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "10",
    "100",
    "1000",
    "-1",
    "abc",
    "9223372036854775807",
    "-9223372036854775808",
];

const LREM_COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "5",
    "-5",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
];

const RANKS: &[&str] = &[
    "1",
    "2",
    "3",
    "-1",
    "-2",
    "-3",
    "0",
    "10",
    "-10",
    "-9223372036854775808",
    "-9223372036854775807",
    "9223372036854775807",
    "9223372036854775808",
    "abc",
];

const LPOS_COUNTS: &[&str] = &["0", "1", "2", "5", "-1", "abc"];

const MAXLENS: &[&str] = &["0", "1", "2", "5", "100", "-1", "abc"];

const LMPOP_COUNTS: &[&str] = &["1", "2", "3", "10", "100", "0", "-1", "abc"];

/// Timeouts of blocking commands short enough to wait for: never 0, nor anything that
/// rounds to it (-0.001 waits forever).
pub const TIMEOUTS: &[&str] = &[
    "0.01", "0.001", ".005", "1e-3", "0.0001", "1e-10", "0x1p-8", "0.002",
];

pub const BAD_TIMEOUTS: &[&str] = &[
    "-1",
    "-0.002",
    "-1e-2",
    "abc",
    "",
    "inf",
    "-inf",
    "nan",
    "1e30",
    "9223372036854775807",
    " 1",
    "1e5000",
];

/// A blocking command's timeout: mostly tiny, sometimes invalid.
pub fn timeout(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.1) {
        g.pick(BAD_TIMEOUTS).into()
    } else {
        g.pick(TIMEOUTS).into()
    }
}

fn element(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.6) {
        g.pick(ELEMENTS).into()
    } else {
        g.value()
    }
}

fn end(g: &mut Gen) -> Vec<u8> {
    match g.rng.gen_range(0..20) {
        0..=9 => g.name("LEFT"),
        10..=18 => g.name("RIGHT"),
        _ => g.pick(&["UP", "", "LEFTX"]).into(),
    }
}

fn push(g: &mut Gen, name: &str) -> Vec<Vec<u8>> {
    let mut a = vec![g.name(name), g.family_key(PREFIX)];
    // Sometimes hundreds at once, so lists span many nodes.
    let n = if g.chance(0.05) {
        g.rng.gen_range(100..=600)
    } else {
        g.rng.gen_range(1..=5)
    };
    for _ in 0..n {
        a.push(element(g));
    }
    a
}

fn lpos(g: &mut Gen) -> Vec<Vec<u8>> {
    let mut a = vec![g.name("LPOS"), g.family_key(PREFIX), element(g)];
    let options = g.rng.gen_range(0..=3);
    for _ in 0..options {
        match g.rng.gen_range(0..20) {
            0..=6 => a.extend([g.name("RANK"), g.pick(RANKS).into()]),
            7..=12 => a.extend([g.name("COUNT"), g.pick(LPOS_COUNTS).into()]),
            13..=17 => a.extend([g.name("MAXLEN"), g.pick(MAXLENS).into()]),
            18 => a.push(g.name("RANK")),
            _ => a.push(b"BOGUS".to_vec()),
        }
    }
    a
}

/// LMPOP's arguments after `a` (its name, or BLMPOP's name and timeout), and its keys.
fn mpop(g: &mut Gen, mut a: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let n = g.rng.gen_range(1..=3);
    let numkeys = match g.rng.gen_range(0..20) {
        0 => "0".to_string(),
        1 => "-1".to_string(),
        2 => "abc".to_string(),
        3 => (n + 1).to_string(),
        4 => "9223372036854775807".to_string(),
        5 if n > 1 => (n - 1).to_string(),
        _ => n.to_string(),
    };
    a.push(numkeys.into_bytes());
    let keys: Vec<Vec<u8>> = (0..n).map(|_| g.family_key(PREFIX)).collect();
    a.extend(keys.iter().cloned());
    a.push(end(g));
    match g.rng.gen_range(0..20) {
        0..=9 => {}
        10..=16 => a.extend([g.name("COUNT"), g.pick(LMPOP_COUNTS).into()]),
        17 => a.extend([
            g.name("COUNT"),
            b"1".to_vec(),
            g.name("COUNT"),
            b"2".to_vec(),
        ]),
        18 => a.push(g.name("COUNT")),
        _ => a.push(b"BOGUS".to_vec()),
    }
    (a, keys)
}

/// Queues a blocking command and returns what goes before it: mostly a push onto one of its
/// keys. BLMOVE and BRPOPLPUSH always come right after a push onto their source (queued too,
/// so never cut): on an empty source redis-server answers a null array when the timeout
/// passes but a null bulk where it cannot wait, which is what a server answers that does not
/// park the client.
fn blocking(g: &mut Gen) -> Vec<Vec<u8>> {
    let (args, keys, must_find) = match g.rng.gen_range(0..10) {
        0..=4 => {
            let mut a = vec![g.name_either(0.5, "BLPOP", "BRPOP")];
            let keys: Vec<Vec<u8>> = (0..g.rng.gen_range(1..=3))
                .map(|_| g.family_key(PREFIX))
                .collect();
            a.extend(keys.iter().cloned());
            a.push(timeout(g));
            (a, keys, false)
        }
        5..=6 => {
            let (src, dst) = (g.family_key(PREFIX), g.family_key(PREFIX));
            let a = vec![
                g.name("BLMOVE"),
                src.clone(),
                dst,
                end(g),
                end(g),
                timeout(g),
            ];
            (a, vec![src], true)
        }
        7 => {
            let (src, dst) = (g.family_key(PREFIX), g.family_key(PREFIX));
            let a = vec![g.name("BRPOPLPUSH"), src.clone(), dst, timeout(g)];
            (a, vec![src], true)
        }
        _ => {
            let head = vec![g.name("BLMPOP"), timeout(g)];
            let (a, keys) = mpop(g, head);
            (a, keys, false)
        }
    };
    let key = keys[g.rng.gen_range(0..keys.len())].clone();
    let mut push = vec![g.name_either(0.5, "LPUSH", "RPUSH"), key.clone()];
    for _ in 0..g.rng.gen_range(1..=3) {
        push.push(element(g));
    }
    let cmd = |args| Cmd {
        args,
        cmp: Cmp::Exact,
    };
    if must_find {
        g.queued.push_back(cmd(push));
        g.queued.push_back(cmd(args));
        return vec![g.name("LLEN"), key];
    }
    g.queued.push_back(cmd(args));
    if g.chance(0.75) {
        push
    } else {
        vec![g.name("LLEN"), key]
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    let args = match g.rng.gen_range(0..108) {
        0..=13 => push(g, "LPUSH"),
        14..=27 => push(g, "RPUSH"),
        28..=31 => {
            let name = if g.chance(0.5) { "LPUSHX" } else { "RPUSHX" };
            push(g, name)
        }
        32..=41 => {
            let mut a = vec![g.name_either(0.5, "LPOP", "RPOP"), g.family_key(PREFIX)];
            if g.chance(0.5) {
                a.push(g.pick(POP_COUNTS).into());
            }
            a
        }
        42..=45 => vec![g.name("LLEN"), g.family_key(PREFIX)],
        46..=53 => vec![
            g.name("LRANGE"),
            g.family_key(PREFIX),
            g.pick(INDEXES).into(),
            g.pick(INDEXES).into(),
        ],
        54..=58 => vec![
            g.name("LINDEX"),
            g.family_key(PREFIX),
            g.pick(INDEXES).into(),
        ],
        59..=62 => vec![
            g.name("LSET"),
            g.family_key(PREFIX),
            g.pick(INDEXES).into(),
            element(g),
        ],
        63..=66 => {
            let place = match g.rng.gen_range(0..10) {
                0..=4 => g.name("BEFORE"),
                5..=8 => g.name("AFTER"),
                _ => b"AROUND".to_vec(),
            };
            vec![
                g.name("LINSERT"),
                g.family_key(PREFIX),
                place,
                element(g),
                element(g),
            ]
        }
        67..=70 => vec![
            g.name("LREM"),
            g.family_key(PREFIX),
            g.pick(LREM_COUNTS).into(),
            element(g),
        ],
        71..=72 => vec![
            g.name("LTRIM"),
            g.family_key(PREFIX),
            g.pick(INDEXES).into(),
            g.pick(INDEXES).into(),
        ],
        73..=80 => lpos(g),
        81..=86 => vec![
            g.name("LMOVE"),
            g.family_key(PREFIX),
            g.family_key(PREFIX),
            end(g),
            end(g),
        ],
        87..=90 => vec![
            g.name("RPOPLPUSH"),
            g.family_key(PREFIX),
            g.family_key(PREFIX),
        ],
        91..=96 => {
            let name = g.name("LMPOP");
            mpop(g, vec![name]).0
        }
        97..=99 => vec![g.name("OBJECT"), g.name("ENCODING"), g.family_key(PREFIX)],
        _ => blocking(g),
    };
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}

/// Commands that read a key's whole state when it holds this family's type.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    vec![
        super::cmd(&[b"LLEN", key]),
        super::cmd(&[b"LRANGE", key, b"0", b"-1"]),
    ]
}
