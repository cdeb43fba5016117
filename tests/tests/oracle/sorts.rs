//! Random SORT and SORT_RO calls for the oracle.
//!
//! The sorted keys and the keys their BY/GET patterns reach share the hash tag `{srt}`, so the
//! patterns stay on the sorted key's shard (ferrokv refuses patterns reaching other shards);
//! STORE writes to the family's keys, which are spread over every shard.
//!
//! Only calls whose result Redis defines are compared exactly: an unsorted set comes back in
//! hash order (compared sorted, never cut by LIMIT), and ALPHA by a pattern can tie, where the
//! order of equal weights is the sort algorithm's (compared sorted, no LIMIT, no STORE).

use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `srt0`..`srt9` (STORE destinations).
pub const PREFIX: &str = "srt";

/// `{srt}l` only ever holds a list and `{srt}z` a sorted set; `{srt}s` a set; `{srt}x`
/// whatever was written last.
const SOURCES: &[&str] = &["{srt}l", "{srt}z", "{srt}s", "{srt}x"];

/// Numbers and words, so numeric sorts sometimes fail and ALPHA sorts always work.
const ELEMENTS: &[&str] = &["1", "2", "3", "10", "-1", "1.5", "007", "a", "b", "c"];

const WEIGHTS: &[&str] = &["0", "1", "5", "-2", "2.5", "10", "x", ""];

const BY: &[&str] = &[
    "{srt}w_*",
    "{srt}h_*->f",
    "{srt}h_*->g",
    "{srt}w_*->",
    "nosort",
];

const GET: &[&str] = &["#", "{srt}w_*", "{srt}h_*->f", "nokey"];

const OFFSETS: &[&str] = &["0", "1", "2", "5", "-1"];
const COUNTS: &[&str] = &["0", "1", "3", "10", "-1"];

/// A command that fills the sources or the pattern keys; most calls also queue a SORT to
/// follow. Redis reads numeric weights with strtod and tests errno for ERANGE without clearing
/// it first, so an earlier command's ERANGE (ZADD 5e-324, say) can fail a later SORT. A ZADD XX
/// on a missing key parses its score with errno cleared and changes nothing: queued right
/// before the SORT (queued commands are sent as they are, never cut or extended), it makes
/// Redis's answer deterministic.
pub fn next(g: &mut Gen) -> Cmd {
    if g.chance(0.65) {
        let sort = sort(g);
        let reset = [&b"ZADD"[..], b"{srt}none", b"XX", b"0", b"m"];
        g.queued.push_back(Cmd {
            args: reset.iter().map(|a| a.to_vec()).collect(),
            cmp: Cmp::Exact,
        });
        g.queued.push_back(sort);
    }
    let exact = |args| Cmd {
        args,
        cmp: Cmp::Exact,
    };
    match g.rng.gen_range(0..100) {
        0..=54 => {
            let src = g.pick(SOURCES);
            let kind = match src {
                "{srt}l" => 0,
                "{srt}z" => 1,
                "{srt}s" => 2,
                _ => g.rng.gen_range(0..3),
            };
            let mut a = vec![
                g.name(["RPUSH", "ZADD", "SADD"][kind]),
                src.as_bytes().to_vec(),
            ];
            for _ in 0..g.rng.gen_range(1..5) {
                if kind == 1 {
                    a.push(g.rng.gen_range(-3..4).to_string().into_bytes());
                }
                a.push(g.pick(ELEMENTS).into());
            }
            exact(a)
        }
        55..=64 => exact(vec![g.name("DEL"), g.pick(SOURCES).into()]),
        _ => {
            let elem = g.pick(ELEMENTS);
            let weight = g.pick(WEIGHTS).as_bytes().to_vec();
            if g.chance(0.5) {
                exact(vec![
                    g.name("SET"),
                    format!("{{srt}}w_{elem}").into_bytes(),
                    weight,
                ])
            } else {
                exact(vec![
                    g.name("HSET"),
                    format!("{{srt}}h_{elem}").into_bytes(),
                    g.pick(&["f", "g"]).into(),
                    weight,
                ])
            }
        }
    }
}

fn sort(g: &mut Gen) -> Cmd {
    let read_only = g.chance(0.3);
    let src: Vec<u8> = if g.chance(0.85) {
        g.pick(SOURCES).into()
    } else {
        g.family_key(PREFIX)
    };
    let may_be_set = src != b"{srt}l" && src != b"{srt}z";
    // Patterns reach `{srt}` keys, which share a shard with the tagged sources only.
    let tagged = src.starts_with(b"{srt}");
    let mut a = vec![g.name(if read_only { "SORT_RO" } else { "SORT" }), src];
    let by = g
        .chance(0.4)
        .then(|| if tagged { g.pick(BY) } else { "nosort" });
    let alpha = g.chance(0.5);
    let store = (!read_only && g.chance(0.25)).then(|| {
        if g.chance(0.7) {
            g.family_key(PREFIX)
        } else {
            b"{srt}d".to_vec()
        }
    });
    let unsorted = by.is_some_and(|b| !b.contains('*'));
    let ties = alpha && by.is_some_and(|b| b.contains('*'));
    let hash_order = unsorted && may_be_set && store.is_none();
    if ties && store.is_some() {
        // The stored order of tied elements would differ: sort numerically instead.
        return sort(g);
    }
    if let Some(b) = by {
        a.push(g.name("BY"));
        a.push(b.into());
    }
    if !hash_order && !ties && g.chance(0.3) {
        a.push(g.name("LIMIT"));
        a.push(g.pick(OFFSETS).into());
        a.push(g.pick(COUNTS).into());
    }
    for _ in 0..g.rng.gen_range(0..3) {
        a.push(g.name("GET"));
        let pattern = if tagged {
            g.pick(GET)
        } else {
            g.pick(&["#", "nokey"])
        };
        a.push(pattern.into());
    }
    if g.chance(0.3) {
        a.push(g.name_either(0.5, "ASC", "DESC"));
    }
    if alpha {
        a.push(g.name("ALPHA"));
    }
    if let Some(dest) = store {
        a.push(g.name("STORE"));
        a.push(dest);
    }
    if g.chance(0.03) {
        // Unknown options, or STORE where SORT_RO refuses it.
        a.push(g.pick(&["FOO", "STORE", "LIMIT"]).into());
    }
    let cmp = if hash_order || ties {
        Cmp::Sorted
    } else {
        Cmp::Exact
    };
    Cmd { args: a, cmp }
}
