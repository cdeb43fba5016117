//! Random commands of the streams family for the oracle: XADD (explicit and `<ms>-*` IDs only,
//! so replies are deterministic), XRANGE/XREVRANGE, XDEL, XTRIM, XSETID, XREAD without
//! waiting, with their trimming options and malformed arguments. Bursts of XADDs and small
//! `stream-node-max-*` settings make streams of many blocks, where approximate trimming shows
//! whether block boundaries are Redis's.

use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `x0`..`x9`.
pub const PREFIX: &str = "x";

const FIELDS: &[&str] = &["f", "g", "name", "1", ""];

const MAXLENS: &[&str] = &[
    "0", "1", "2", "3", "5", "10", "20", "50", "100", "-1", "abc", "1.5",
];

const LIMITS: &[&str] = &["0", "1", "2", "5", "10", "50", "100", "-1", "x"];

const COUNTS: &[&str] = &["0", "1", "2", "3", "10", "100", "-1", "-5", "abc", ""];

const BAD_IDS: &[&str] = &[
    "-",
    "+",
    "0-0",
    "0",
    "0-*",
    "abc",
    "1-2-3",
    "(5",
    "",
    " 3",
    "+4",
    "007-1",
    "5-*",
    "*-1",
    "18446744073709551615-18446744073709551615",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "1--1",
];

const NODE_ENTRIES: &[&str] = &["0", "1", "2", "3", "5", "10", "100"];

const NODE_BYTES: &[&str] = &["0", "1", "50", "100", "300", "4096", "1kb"];

/// The generator's stream clock: each XADD mostly uses a later millisecond than the last, so
/// most succeed; some go back to draw the ordering errors.
fn next_ms(g: &mut Gen) -> u64 {
    g.stream_ms += g.rng.gen_range(0..3);
    g.stream_ms
}

/// An ID near the clock, in any of the forms a range bound takes.
fn near_id(g: &mut Gen) -> String {
    let back = g.rng.gen_range(0..120);
    let ms = g.stream_ms.saturating_sub(back);
    match g.rng.gen_range(0..10) {
        0..=5 => format!("{ms}-{}", g.rng.gen_range(0..3)),
        6..=7 => ms.to_string(),
        8 => format!("{ms}-18446744073709551615"),
        _ => g.pick(BAD_IDS).to_string(),
    }
}

fn range_bound(g: &mut Gen, low: bool) -> Vec<u8> {
    match g.rng.gen_range(0..10) {
        0..=2 => (if low { "-" } else { "+" }).into(),
        3..=6 => near_id(g).into_bytes(),
        7..=8 => format!("({}", near_id(g)).into_bytes(),
        _ => g
            .pick(&[
                "(-",
                "(+",
                "(",
                "(0-0",
                "(18446744073709551615-18446744073709551615",
            ])
            .into(),
    }
}

fn xadd_id(g: &mut Gen) -> Vec<u8> {
    let ms = next_ms(g);
    let id = match g.rng.gen_range(0..20) {
        0..=9 => format!("{ms}-{}", g.rng.gen_range(0..3)),
        10..=13 => format!("{ms}-*"),
        14..=15 => ms.to_string(),
        // Behind the clock: usually equal or smaller than the top item.
        16..=17 => format!("{}-0", ms.saturating_sub(g.rng.gen_range(1..50))),
        _ => g.pick(BAD_IDS).to_string(),
    };
    id.into_bytes()
}

fn pairs(g: &mut Gen, a: &mut Vec<Vec<u8>>) {
    let n = match g.rng.gen_range(0..30) {
        0 => 0,
        1..=19 => 1,
        20..=26 => 2,
        _ => 3,
    };
    // The same names in the same order most of the time, as real streams have.
    let shuffle = g.chance(0.2);
    for &name in FIELDS.iter().take(n) {
        let field = if shuffle {
            g.pick(FIELDS).into()
        } else {
            name.into()
        };
        a.push(field);
        let value = if g.chance(0.5) {
            g.pick(&["v", "1", "-7", "hello", "12345678901"]).into()
        } else {
            g.value()
        };
        a.push(value);
    }
    if g.chance(0.03) {
        a.push(b"odd".to_vec());
    }
}

/// MAXLEN/MINID with `~`/`=`, LIMIT, in random order and sometimes malformed.
fn trim_options(g: &mut Gen, a: &mut Vec<Vec<u8>>) {
    let strategy = g.rng.gen_range(0..10);
    if strategy < 8 {
        a.push(g.name_either(0.6, "MAXLEN", "MINID"));
        let is_maxlen = a.last().is_some_and(|n| n.eq_ignore_ascii_case(b"MAXLEN"));
        match g.rng.gen_range(0..10) {
            0..=4 => a.push(b"~".to_vec()),
            5..=6 => a.push(b"=".to_vec()),
            _ => {}
        }
        if is_maxlen {
            a.push(g.pick(MAXLENS).into());
        } else {
            a.push(near_id(g).into_bytes());
        }
    }
    if g.chance(0.3) {
        a.push(g.name("LIMIT"));
        a.push(g.pick(LIMITS).into());
    }
    if strategy == 8 {
        a.extend([
            g.name("MAXLEN"),
            b"5".to_vec(),
            g.name("MINID"),
            b"1".to_vec(),
        ]);
    }
}

fn xadd(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let mut a = vec![g.name("XADD"), key];
    if g.chance(0.1) {
        a.push(g.name("NOMKSTREAM"));
    }
    if g.chance(0.3) {
        trim_options(g, &mut a);
    }
    a.push(xadd_id(g));
    pairs(g, &mut a);
    a
}

/// A run of XADDs to one key, so the stream spans blocks.
fn burst(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let n = g.rng.gen_range(10..150);
    let trim_every = g.rng.gen_range(3..40);
    for i in 0..n {
        let ms = next_ms(g);
        let mut a = vec![b"XADD".to_vec(), key.clone()];
        if i % trim_every == trim_every - 1 {
            trim_options(g, &mut a);
        }
        a.push(format!("{ms}-{}", g.rng.gen_range(0..2)).into_bytes());
        pairs(g, &mut a);
        g.queued.push_back(Cmd {
            args: a,
            cmp: Cmp::Exact,
        });
    }
    vec![g.name("XLEN"), key]
}

fn xrange(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let rev = g.chance(0.4);
    let (low, high) = (range_bound(g, true), range_bound(g, false));
    let mut a = if rev {
        vec![g.name("XREVRANGE"), key, high, low]
    } else {
        vec![g.name("XRANGE"), key, low, high]
    };
    match g.rng.gen_range(0..10) {
        0..=4 => {}
        5..=8 => a.extend([g.name("COUNT"), g.pick(COUNTS).into()]),
        _ => a.push(g.pick(&["COUNT", "LIMIT", "foo"]).into()),
    }
    a
}

fn xread(g: &mut Gen) -> Vec<Vec<u8>> {
    let mut a = vec![g.name("XREAD")];
    if g.chance(0.4) {
        a.extend([g.name("COUNT"), g.pick(COUNTS).into()]);
    }
    if g.chance(0.1) {
        // Errors, or entries already there: nothing waits.
        a.extend([g.name("BLOCK"), g.pick(&["-1", "abc", "1.5"]).into()]);
    }
    if g.chance(0.03) {
        a.push(g.pick(&["NOACK", "GROUP", "FOO"]).into());
    }
    a.push(g.name("STREAMS"));
    let n = g.rng.gen_range(1..=3);
    let keys: Vec<Vec<u8>> = (0..n).map(|_| g.family_key(PREFIX)).collect();
    a.extend(keys);
    for _ in 0..n {
        let id = match g.rng.gen_range(0..10) {
            0..=1 => "0".to_string(),
            2..=3 => "$".to_string(),
            4 => ">".to_string(),
            _ => near_id(g),
        };
        a.push(id.into_bytes());
    }
    if g.chance(0.03) {
        a.pop();
    }
    a
}

fn xsetid(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let ms = g.stream_ms + g.rng.gen_range(0..3);
    let id = if g.chance(0.3) {
        near_id(g)
    } else {
        format!("{ms}-{}", g.rng.gen_range(0..5))
    };
    let mut a = vec![g.name("XSETID"), key, id.into_bytes()];
    if g.chance(0.3) {
        a.extend([
            g.name("ENTRIESADDED"),
            g.pick(&["0", "1", "5", "100", "1000", "-1", "x"]).into(),
        ]);
    }
    if g.chance(0.3) {
        a.push(g.name("MAXDELETEDID"));
        a.push(near_id(g).into_bytes());
    }
    if g.chance(0.03) {
        a.push(g.pick(&["ENTRIESADDED", "FOO"]).into());
    }
    a
}

pub fn next(g: &mut Gen) -> Cmd {
    let key = g.family_key(PREFIX);
    let mut cmp = Cmp::Exact;
    let args = match g.rng.gen_range(0..100) {
        0..=29 => xadd(g, key),
        30..=33 => burst(g, key),
        34..=48 => xrange(g, key),
        49..=56 => {
            let mut a = vec![g.name("XDEL"), key];
            let n = g.rng.gen_range(1..=4);
            for _ in 0..n {
                a.push(near_id(g).into_bytes());
            }
            a
        }
        57..=66 => {
            let mut a = vec![g.name("XTRIM"), key];
            trim_options(g, &mut a);
            a
        }
        67..=70 => xsetid(g, key),
        71..=80 => xread(g),
        81..=84 => vec![g.name("XLEN"), key],
        85..=87 => vec![g.name("OBJECT"), g.name("ENCODING"), key],
        88..=89 => vec![g.name("TYPE"), key],
        90..=91 => vec![g.name("DEL"), key],
        92..=95 => vec![g.name("XRANGE"), key, b"-".to_vec(), b"+".to_vec()],
        _ => {
            // Only whether it succeeds matters, not CONFIG SET's errors for junk appended.
            cmp = Cmp::Shape;
            let (name, values) = if g.chance(0.5) {
                ("stream-node-max-entries", NODE_ENTRIES)
            } else {
                ("stream-node-max-bytes", NODE_BYTES)
            };
            vec![
                g.name("CONFIG"),
                g.name("SET"),
                name.into(),
                g.pick(values).into(),
            ]
        }
    };
    Cmd { args, cmp }
}

/// Commands that read a key's whole state when it holds a stream.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    vec![
        super::cmd(&[b"XLEN", key]),
        super::cmd(&[b"XRANGE", key, b"-", b"+"]),
    ]
}
