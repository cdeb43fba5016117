//! Random commands of the sets family for the oracle.
//!
//! Members come mostly from small pools (so that sets overlap and SINTER/SDIFF/SMOVE find
//! something) of integers and words: integer-only sets are intsets, one word makes a hashtable,
//! and big SADDs cross `set-max-intset-entries`, which is sometimes changed. Replies in hash
//! order are compared sorted; random ones only by shape, and only where the effect on the data
//! is not random: SPOP always pops the whole set.

use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `s0`..`s9`.
pub const PREFIX: &str = "s";

const WORDS: &[&str] = &["a", "b", "c", "d", "e", "f", "x", "member:1", "-", "1.0"];

/// Counts for SPOP: zero, negative or not integers (errors), or more than any set holds.
const SPOP_COUNTS: &[&str] = &[
    "0",
    "100000",
    "9223372036854775807",
    "-1",
    "abc",
    "",
    "1.5",
    "18446744073709551616",
];

/// Counts for SRANDMEMBER: any size, with repeats (negative), and errors. Never below
/// -8388608 but for i64::MIN: Redis would try to build the reply.
const SRANDMEMBER_COUNTS: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "20",
    "600",
    "100000",
    "9223372036854775807",
    "-1",
    "-3",
    "-50",
    "-9223372036854775808",
    "abc",
    "",
    "1.5",
];

const LIMITS: &[&str] = &["0", "1", "2", "5", "-1", "abc", "9223372036854775807"];

const NUMKEYS: &[&str] = &["0", "-1", "abc", "", "9223372036854775808"];

const INTSET_LIMITS: &[&str] = &["512", "512", "512", "0", "1", "4", "16", "100"];

fn member(g: &mut Gen) -> Vec<u8> {
    match g.rng.gen_range(0..100) {
        0..=49 => g.rng.gen_range(-5..40).to_string().into_bytes(),
        50..=79 => g.pick(WORDS).into(),
        _ => g.value(),
    }
}

fn members(g: &mut Gen, min: usize, max: usize) -> Vec<Vec<u8>> {
    let n = g.rng.gen_range(min..=max);
    (0..n).map(|_| member(g)).collect()
}

/// 100 to 600 members: a run of integers (crossing 512 now and then), sometimes with words.
fn many_members(g: &mut Gen) -> Vec<Vec<u8>> {
    let n = g.rng.gen_range(100..=600);
    let start = g.rng.gen_range(-20..300);
    let mut v: Vec<Vec<u8>> = (start..start + n).map(|i| i.to_string().into()).collect();
    if g.chance(0.2) {
        v.push(g.pick(WORDS).into());
    }
    v
}

fn keys(g: &mut Gen, min: usize, max: usize) -> Vec<Vec<u8>> {
    let n = g.rng.gen_range(min..=max);
    (0..n).map(|_| g.family_key(PREFIX)).collect()
}

fn cmd(name: Vec<u8>, rest: Vec<Vec<u8>>, cmp: Cmp) -> Cmd {
    let mut args = vec![name];
    args.extend(rest);
    Cmd { args, cmp }
}

pub fn next(g: &mut Gen) -> Cmd {
    let key = g.family_key(PREFIX);
    match g.rng.gen_range(0..1000) {
        0..=219 => {
            let mut rest = vec![key];
            rest.extend(members(g, 1, 6));
            cmd(g.name("SADD"), rest, Cmp::Exact)
        }
        220..=239 => {
            let mut rest = vec![key];
            rest.extend(many_members(g));
            cmd(g.name("SADD"), rest, Cmp::Exact)
        }
        240..=319 => {
            let mut rest = vec![key];
            rest.extend(members(g, 1, 4));
            cmd(g.name("SREM"), rest, Cmp::Exact)
        }
        320..=369 => cmd(g.name("SMEMBERS"), vec![key], Cmp::Sorted),
        370..=409 => cmd(g.name("SISMEMBER"), vec![key, member(g)], Cmp::Exact),
        410..=449 => {
            let mut rest = vec![key];
            rest.extend(members(g, 1, 5));
            cmd(g.name("SMISMEMBER"), rest, Cmp::Exact)
        }
        450..=479 => cmd(g.name("SCARD"), vec![key], Cmp::Exact),
        480..=509 => {
            let count = g.pick(SPOP_COUNTS).into();
            cmd(g.name("SPOP"), vec![key, count], Cmp::Sorted)
        }
        510..=549 => srandmember(g, key),
        550..=599 => {
            let dst = g.family_key(PREFIX);
            cmd(g.name("SMOVE"), vec![key, dst, member(g)], Cmp::Exact)
        }
        600..=639 => cmd(g.name("SINTER"), keys(g, 1, 4), Cmp::Sorted),
        640..=669 => cmd(g.name("SUNION"), keys(g, 1, 4), Cmp::Sorted),
        670..=699 => cmd(g.name("SDIFF"), keys(g, 1, 4), Cmp::Sorted),
        700..=829 => {
            let name = g.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
            let mut rest = vec![key];
            rest.extend(keys(g, 1, 4));
            cmd(g.name(name), rest, Cmp::Exact)
        }
        830..=879 => sintercard(g),
        880..=919 => sscan(g, key),
        920..=969 => cmd(g.name("OBJECT"), vec![g.name("ENCODING"), key], Cmp::Exact),
        970..=989 => cmd(g.name("DEL"), vec![key], Cmp::Exact),
        _ => {
            // Only whether it succeeds matters to this family, not the text of CONFIG SET's
            // errors when junk is appended.
            let limit = g.pick(INTSET_LIMITS).into();
            cmd(
                g.name("CONFIG"),
                vec![g.name("SET"), b"set-max-intset-entries".to_vec(), limit],
                Cmp::Shape,
            )
        }
    }
}

/// SRANDMEMBER: the whole set (in the set's order) when the count covers it, else picks that
/// only the reply's shape can tell apart.
fn srandmember(g: &mut Gen, key: Vec<u8>) -> Cmd {
    if g.chance(0.15) {
        return cmd(g.name("SRANDMEMBER"), vec![key], Cmp::Shape);
    }
    let count = g.pick(SRANDMEMBER_COUNTS);
    let cmp = match count {
        "0" | "100000" | "9223372036854775807" | "abc" | "" | "1.5" | "-9223372036854775808" => {
            Cmp::Sorted
        }
        _ => Cmp::Shape,
    };
    cmd(g.name("SRANDMEMBER"), vec![key, count.into()], cmp)
}

/// SINTERCARD numkeys key... [LIMIT n], with wrong numkeys and options now and then.
fn sintercard(g: &mut Gen) -> Cmd {
    let keys = keys(g, 1, 4);
    let numkeys: Vec<u8> = match g.rng.gen_range(0..10) {
        0 => g.pick(NUMKEYS).into(),
        1 => (keys.len() + 1).to_string().into(),
        _ => keys.len().to_string().into(),
    };
    let mut rest = vec![numkeys];
    rest.extend(keys);
    match g.rng.gen_range(0..10) {
        0..=3 => {}
        4..=7 => {
            rest.push(g.name("LIMIT"));
            rest.push(g.pick(LIMITS).into());
        }
        8 => rest.push(g.name("LIMIT")),
        _ => {
            rest.push(g.name("COUNT"));
            rest.push(b"1".to_vec());
        }
    }
    cmd(g.name("SINTERCARD"), rest, Cmp::Exact)
}

/// SSCAN in one call: COUNT large enough that Redis finishes a hashtable at once, so the reply
/// is the whole (filtered) set, in hash order for a hashtable; or options and cursors that are
/// errors (or, on a missing key, empty scans).
fn sscan(g: &mut Gen, key: Vec<u8>) -> Cmd {
    let mut rest = vec![key];
    match g.rng.gen_range(0..10) {
        0..=5 => {
            rest.push(b"0".to_vec());
            if g.chance(0.5) {
                rest.push(g.name("MATCH"));
                rest.push(g.pick(&["*", "1*", "?", "[a-c]", "*e*", "-*"]).into());
            }
            rest.push(g.name("COUNT"));
            rest.push(b"100000".to_vec());
            cmd(g.name("SSCAN"), rest, Cmp::Shape)
        }
        _ => {
            // Each form is wrong before its end, so that junk appended to it cannot make it a
            // valid (hash-ordered) scan.
            rest.push(
                g.pick(&["0", "abc", "-1", "", "18446744073709551616"])
                    .into(),
            );
            if g.chance(0.5) {
                rest.push(g.name("COUNT"));
                rest.push(g.pick(&["0", "-1", "abc"]).into());
            } else {
                rest.push(g.name("TYPE"));
                rest.push(b"set".to_vec());
            }
            cmd(g.name("SSCAN"), rest, Cmp::Sorted)
        }
    }
}

/// Commands that read a key's whole state when it holds this family's type.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    [
        (&b"SMEMBERS"[..], Cmp::Sorted),
        (b"SCARD", Cmp::Exact),
        (b"OBJECT ENCODING", Cmp::Exact),
    ]
    .into_iter()
    .map(|(name, cmp)| {
        let mut args: Vec<Vec<u8>> = name.split(|&c| c == b' ').map(<[u8]>::to_vec).collect();
        args.push(key.to_vec());
        Cmd { args, cmp }
    })
    .collect()
}
