//! Random commands of the hashes family for the oracle.
//!
//! Redis answers HGETALL, HKEYS, HVALS and HSCAN of a hashtable in its own hash order, and
//! HRANDFIELD at random, so the keys are split by what may be compared exactly:
//!
//! * `h0`..`h3` always stay listpacks: only fixed-arity commands (HSETNX, HINCRBY,
//!   HINCRBYFLOAT) write them, with fields from a small pool and short values, so even the
//!   junk arguments the harness appends cannot make them convert. Their order is compared
//!   exactly, and HSCAN runs on them with any cursor and option.
//! * `h4` holds at most the one field `f` (in either encoding), so HRANDFIELD and HSCAN on it
//!   are deterministic in every form the harness may truncate them to.
//! * `h5`..`h9` and the common pool take everything else: many pairs at once, long values,
//!   hundreds of fields crossing `hash-max-listpack-entries`. Their whole-hash replies are
//!   compared sorted; HSCAN and HRANDFIELD are not sent to them.
//!
//! Keys of the other families (never hashes) stand in for HSCAN and HRANDFIELD's WRONGTYPE.

use rand::Rng;

use super::{Cmd, Cmp, Gen, FLOAT_AMOUNTS, INCR_AMOUNTS};

/// Key names of this family: `h0`..`h9`.
pub const PREFIX: &str = "h";

/// `h0`..`ORDERED_KEYS-1` stay listpacks; `h{SINGLE_KEY}` has at most one field.
const ORDERED_KEYS: usize = 4;
const SINGLE_KEY: usize = 4;
const SINGLE_FIELD: &str = "f";

const FIELDS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "e",
    "f",
    "g",
    "n",
    "x",
    "fld",
    "",
    "1",
    "-1",
    "0",
    "f\x00b",
    "ключ",
    "tokens",
    "last_refill",
    "a1",
    "a2",
];

const MATCH_PATTERNS: &[&str] = &[
    "*", "a*", "f*", "?", "[a-c]*", "*1*", "", "\\*", "[^a]*", "fld", "x*", "field:1*", "*:?",
];

const CURSORS: &[&str] = &[
    "0",
    "1",
    "5",
    "-1",
    "18446744073709551615",
    "18446744073709551616",
    "abc",
    "",
    " 1",
    "+3",
];

/// Cursors whose meaning does not depend on the table layout: 0 and errors.
const START_CURSORS: &[&str] = &["0", "", "+0", "-0", "abc", "18446744073709551616", " 0"];

const COUNTS: &[&str] = &[
    "1",
    "2",
    "10",
    "100",
    "0",
    "-1",
    "abc",
    "9223372036854775807",
    "9223372036854775808",
];

/// HRANDFIELD counts. Large negative ones are left out (Redis would build a reply of that
/// many elements, and a truncated command may lose the WITHVALUES that makes them errors),
/// except LONG_MIN, which is refused before anything else.
const RANDFIELD_COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "-1",
    "-3",
    "-10",
    "9223372036854775807",
    "-9223372036854775808",
    "4611686018427387903",
    "4611686018427387904",
    "abc",
    "",
    "1.5",
    " 1",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Always a listpack: compared in order.
    Ordered,
    /// At most one field.
    Single,
    /// Anything: compared sorted.
    General,
}

fn ordered_key(g: &mut Gen) -> Vec<u8> {
    super::family_key(PREFIX, g.rng.gen_range(0..ORDERED_KEYS))
}

fn general_key(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.1) {
        return g.key();
    }
    super::family_key(PREFIX, g.rng.gen_range(SINGLE_KEY + 1..super::FAMILY_KEYS))
}

fn pick_key(g: &mut Gen) -> (Vec<u8>, Class) {
    match g.rng.gen_range(0..100) {
        0..=34 => (ordered_key(g), Class::Ordered),
        35..=49 => (super::family_key(PREFIX, SINGLE_KEY), Class::Single),
        _ => (general_key(g), Class::General),
    }
}

/// A key that never holds a hash: missing, or another family's type.
fn foreign_key(g: &mut Gen) -> Vec<u8> {
    let prefix = g.pick(&[
        super::lists::PREFIX,
        super::sets::PREFIX,
        super::sorted_sets::PREFIX,
        super::bitmaps::PREFIX,
        super::hyperloglogs::PREFIX,
    ]);
    super::family_key(prefix, g.rng.gen_range(0..super::FAMILY_KEYS))
}

fn field(g: &mut Gen, class: Class) -> Vec<u8> {
    match class {
        Class::Single => SINGLE_FIELD.into(),
        Class::Ordered => g.pick(FIELDS).into(),
        Class::General => match g.rng.gen_range(0..10) {
            0..=6 => g.pick(FIELDS).into(),
            7 => format!("field:{}", g.rng.gen_range(0..2000)).into_bytes(),
            _ => g.value(),
        },
    }
}

/// A field to read: any, so that misses are covered too.
fn read_field(g: &mut Gen, class: Class) -> Vec<u8> {
    if g.chance(0.2) {
        field(g, Class::General)
    } else {
        field(g, class)
    }
}

/// A value to store: for the listpack-only keys short enough (64 bytes) never to convert.
fn value(g: &mut Gen, class: Class) -> Vec<u8> {
    loop {
        let v = g.value();
        if class != Class::Ordered || v.len() <= 64 {
            return v;
        }
    }
}

/// An HINCRBYFLOAT increment; for the listpack-only keys none whose sum could print longer
/// than 64 bytes.
fn float_amount(g: &mut Gen, class: Class) -> Vec<u8> {
    loop {
        let a = g.pick(FLOAT_AMOUNTS);
        if class != Class::Ordered || !a.contains("e308") {
            return a.into();
        }
    }
}

fn cmd(args: Vec<Vec<u8>>, cmp: Cmp) -> Cmd {
    Cmd { args, cmp }
}

/// How a whole-hash reply of this key is compared.
fn whole(class: Class, pairs: bool) -> Cmp {
    match (class, pairs) {
        (Class::General, true) => Cmp::SortedPairs,
        (Class::General, false) => Cmp::Sorted,
        _ => Cmp::Exact,
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    let (key, class) = pick_key(g);
    match g.rng.gen_range(0..100) {
        0..=11 => hset(g),
        12..=14 => fill(g),
        15..=22 => {
            let f = field(g, class);
            let v = value(g, class);
            cmd(vec![g.name("HSETNX"), key, f, v], Cmp::Exact)
        }
        23..=28 => {
            let f = field(g, class);
            let by = g.pick(INCR_AMOUNTS).into();
            cmd(vec![g.name("HINCRBY"), key, f, by], Cmp::Exact)
        }
        29..=34 => {
            let f = field(g, class);
            let by = float_amount(g, class);
            cmd(vec![g.name("HINCRBYFLOAT"), key, f, by], Cmp::Exact)
        }
        35..=40 => {
            let mut a = vec![g.name("HDEL"), key];
            for _ in 0..g.rng.gen_range(1..4) {
                a.push(read_field(g, class));
            }
            cmd(a, Cmp::Exact)
        }
        41..=45 => {
            let f = read_field(g, class);
            cmd(vec![g.name("HGET"), key, f], Cmp::Exact)
        }
        46..=49 => {
            let mut a = vec![g.name("HMGET"), key];
            for _ in 0..g.rng.gen_range(1..5) {
                a.push(read_field(g, class));
            }
            cmd(a, Cmp::Exact)
        }
        50..=53 => cmd(vec![g.name("HGETALL"), key], whole(class, true)),
        54..=55 => cmd(vec![g.name("HKEYS"), key], whole(class, false)),
        56..=57 => cmd(vec![g.name("HVALS"), key], whole(class, false)),
        58..=59 => cmd(vec![g.name("HLEN"), key], Cmp::Exact),
        60..=62 => {
            let f = read_field(g, class);
            cmd(vec![g.name("HEXISTS"), key, f], Cmp::Exact)
        }
        63..=65 => {
            let f = read_field(g, class);
            cmd(vec![g.name("HSTRLEN"), key, f], Cmp::Exact)
        }
        66..=74 => hrandfield(g),
        75..=85 => hscan(g),
        86..=92 => cmd(
            vec![b"OBJECT".to_vec(), g.name("ENCODING"), key],
            Cmp::Exact,
        ),
        93..=94 => {
            // Starts a big hash over, so it goes through the listpack stage again.
            let key = general_key(g);
            cmd(vec![g.name("DEL"), key], Cmp::Exact)
        }
        _ => {
            let n = g.rng.gen_range(0..3);
            let mut a = vec![g.name_either(0.5, "HSET", "HMSET")];
            a.extend((0..n).map(|_| g.value()));
            cmd(a, Cmp::Exact)
        }
    }
}

/// HSET/HMSET of a few pairs (sometimes an odd count) on a key that may take anything.
fn hset(g: &mut Gen) -> Cmd {
    let name = g.name_either(0.7, "HSET", "HMSET");
    let mut a = vec![name, general_key(g)];
    for _ in 0..g.rng.gen_range(1..5) {
        a.push(field(g, Class::General));
        a.push(g.value());
    }
    if g.chance(0.05) {
        a.pop();
    }
    cmd(a, Cmp::Exact)
}

/// HSET of 100-600 fields at once, sometimes with one long value: crosses both thresholds.
fn fill(g: &mut Gen) -> Cmd {
    let name = g.name_either(0.7, "HSET", "HMSET");
    let mut a = vec![name, general_key(g)];
    let n = g.rng.gen_range(100..600);
    let start = g.rng.gen_range(0..1500);
    let long_at = g.chance(0.2).then(|| start + n / 2);
    for i in start..start + n {
        a.push(format!("field:{i}").into_bytes());
        if Some(i) == long_at {
            a.push(vec![b'v'; 100]);
        } else {
            a.push(format!("value:{i}").into_bytes());
        }
    }
    cmd(a, Cmp::Exact)
}

/// HRANDFIELD only where its answer cannot depend on chance: the one-field key, or keys
/// that hold no hash.
fn hrandfield(g: &mut Gen) -> Cmd {
    let key = if g.chance(0.75) {
        super::family_key(PREFIX, SINGLE_KEY)
    } else {
        foreign_key(g)
    };
    let mut a = vec![g.name("HRANDFIELD"), key];
    if g.chance(0.8) {
        a.push(g.pick(RANDFIELD_COUNTS).into());
        match g.rng.gen_range(0..10) {
            0..=4 => {}
            5..=8 => a.push(g.name("WITHVALUES")),
            _ => a.push(g.pick(&["WITHVALUE", "x", "WITHVALUES"]).into()),
        }
        if g.chance(0.05) {
            a.push(g.name("WITHVALUES"));
        }
    }
    cmd(a, Cmp::Exact)
}

/// HSCAN with any cursor on the listpack-only keys; from cursor 0 (or an invalid one), with
/// a COUNT of at least 2, on the one-field key, whose table Redis then walks to the end.
fn hscan(g: &mut Gen) -> Cmd {
    let (key, cursors, counts) = match g.rng.gen_range(0..10) {
        0..=5 => (ordered_key(g), CURSORS, COUNTS),
        6..=8 => (
            super::family_key(PREFIX, SINGLE_KEY),
            START_CURSORS,
            &COUNTS[1..],
        ),
        _ => (foreign_key(g), CURSORS, COUNTS),
    };
    let mut a = vec![g.name("HSCAN"), key, g.pick(cursors).into()];
    for _ in 0..g.rng.gen_range(0..3) {
        match g.rng.gen_range(0..10) {
            0..=4 => {
                a.push(g.name("MATCH"));
                a.push(g.pick(MATCH_PATTERNS).into());
            }
            5..=8 => {
                a.push(g.name("COUNT"));
                a.push(g.pick(counts).into());
            }
            _ => a.push(g.pick(&["TYPE", "NOVALUES", "MATCH", "COUNT"]).into()),
        }
    }
    cmd(a, Cmp::Exact)
}

/// Commands that read a key's whole state when it holds this family's type.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    let exact_order = (0..=SINGLE_KEY).any(|i| super::family_key(PREFIX, i) == key);
    let class = if exact_order {
        Class::Ordered
    } else {
        Class::General
    };
    vec![
        cmd(vec![b"HGETALL".to_vec(), key.to_vec()], whole(class, true)),
        cmd(vec![b"HLEN".to_vec(), key.to_vec()], Cmp::Exact),
        cmd(
            vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.to_vec()],
            Cmp::Exact,
        ),
    ]
}
