//! Random commands of the sorted-sets family for the oracle.
//!
//! `z0`..`z7` take anything. `z8` and `z9` only ever hold score 0 (they are written by
//! `ZADD INCR 0` and `ZINCRBY 0`, which an appended or truncated argument turns into an error,
//! never into another score): lex ranges are only asked of them, because on a big sorted set
//! whose members are not in lex order Redis's own answer depends on its skiplist's random
//! levels.
//!
//! ZRANDMEMBER always carries a count here: junk appended to the bare form could make it
//! `ZRANDMEMBER key -9223372036854775807`, which Redis really tries to answer.

use rand::Rng;

use super::{family_key, lists, Cmd, Cmp, Gen};

/// Key names of this family: `z0`..`z9`.
pub const PREFIX: &str = "z";

const MEMBERS: &[&str] = &[
    "a", "b", "c", "d", "e", "f", "g", "m1", "m2", "m10", "x", "y", "z", "", "0", "1", "-1", "10",
    "1.5", "A", "aa", "ab",
];

const SCORES: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "1.5",
    "-2.5",
    "10",
    "100",
    "-100",
    "0.1",
    "0.2",
    "1e17",
    "inf",
    "-inf",
    "+inf",
    "-0",
    "1e308",
    "-1e308",
    "5e-324",
    "1e-300",
    "4.5",
    "0x10",
    "3.0",
    "123456789.123456789",
    "9007199254740993",
    "-4611686018427387904",
    "1e15",
    ".5",
    "7.",
];

const BAD_SCORES: &[&str] = &[
    "nan", "abc", "", " 1", "1 ", "1e400", "1e-400", "--1", "1e", "0x", "(1", "inf1", "-nan",
];

const SCORE_BOUNDS: &[&str] = &[
    "-inf", "+inf", "inf", "0", "1", "(1", "(0", "2.5", "(2.5", "10", "(10", "-1", "(-1", "(-inf",
    "(+inf", "100", "(100", "3", "(3", "-0", "1e17", "(1e17", "", "(", "nan", "(nan", "abc", " 1",
    "1 ", "1e400", "(1e-400", "0x10", "1e308",
];

const LEX_BOUNDS: &[&str] = &[
    "-", "+", "[a", "(a", "[b", "(b", "[m1", "(m10", "[z", "(z", "[", "(", "[x", "(aa", "[ab", "a",
    "+a", "-x", "", "[0", "(1", "[1.5",
];

const INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "-2",
    "5",
    "10",
    "-10",
    "100",
    "-100",
    "200",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
];

const COUNTS: &[&str] = &[
    "0", "1", "2", "3", "5", "-1", "-5", "100", "1000", "abc", "",
];

/// A general key of the family (or, sometimes, of the common pool).
fn key(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.08) {
        return g.key();
    }
    family_key(PREFIX, g.rng.gen_range(0..8))
}

fn lex_key(g: &mut Gen) -> Vec<u8> {
    family_key(PREFIX, g.rng.gen_range(8..10))
}

fn member(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.8) {
        g.pick(MEMBERS).into()
    } else {
        g.value()
    }
}

fn score(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.04) {
        g.pick(BAD_SCORES).into()
    } else {
        g.pick(SCORES).into()
    }
}

fn pick(g: &mut Gen, from: &[&str]) -> Vec<u8> {
    g.pick(from).into()
}

fn exact(args: Vec<Vec<u8>>) -> Cmd {
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    match g.rng.gen_range(0..1060) {
        0..=149 => zadd(g),
        150..=164 => big_zadd(g),
        165..=204 => {
            let name = g.name("ZINCRBY");
            let k = key(g);
            let inc = score(g);
            let m = member(g);
            exact(vec![name, k, inc, m])
        }
        205..=249 => {
            let mut a = vec![g.name("ZREM"), key(g)];
            for _ in 0..g.rng.gen_range(1..4) {
                a.push(member(g));
            }
            exact(a)
        }
        250..=329 => point_read(g),
        330..=359 => {
            let name = g.name("ZCOUNT");
            let k = key(g);
            let (min, max) = (pick(g, SCORE_BOUNDS), pick(g, SCORE_BOUNDS));
            exact(vec![name, k, min, max])
        }
        360..=479 => zrange(g),
        480..=539 => old_range(g),
        540..=619 => lex(g),
        620..=659 => zremrange(g),
        660..=699 => {
            let name = g.name_either(0.5, "ZPOPMIN", "ZPOPMAX");
            let mut a = vec![name, key(g)];
            if g.chance(0.6) {
                a.push(pick(g, COUNTS));
            }
            exact(a)
        }
        700..=729 => {
            let name = g.name("ZMPOP");
            exact(mpop(g, vec![name]).0)
        }
        730..=759 => zrandmember(g),
        760..=849 => setop(g),
        850..=879 => zrangestore(g),
        880..=899 => {
            let mut a = vec![
                g.name("ZSCAN"),
                key(g),
                pick(g, &["0", "0", "1", "x", "-1"]),
            ];
            if g.chance(0.3) {
                a.push(g.name("MATCH"));
                a.push(pick(g, &["*", "a*", "m?", "*1*", "[a-c]"]));
            }
            if g.chance(0.3) {
                a.push(g.name("COUNT"));
                a.push(pick(g, &["1", "5", "1000", "0", "x"]));
            }
            Cmd {
                args: a,
                cmp: Cmp::Shape,
            }
        }
        900..=949 => {
            let k = if g.chance(0.2) { lex_key(g) } else { key(g) };
            exact(vec![b"OBJECT".to_vec(), g.name("ENCODING"), k])
        }
        1000.. => blocking(g),
        _ => {
            // Lex keys grow one score-0 member at a time.
            let k = lex_key(g);
            let m = member(g);
            if g.chance(0.5) {
                exact(vec![g.name("ZADD"), k, g.name("INCR"), b"0".to_vec(), m])
            } else {
                exact(vec![g.name("ZINCRBY"), k, b"0".to_vec(), m])
            }
        }
    }
}

fn zadd(g: &mut Gen) -> Cmd {
    let mut a = vec![g.name("ZADD"), key(g)];
    let opts = ["NX", "XX", "GT", "LT", "CH", "INCR"];
    for o in opts {
        if g.chance(0.12) {
            a.push(g.name(o));
        }
    }
    let n = if g.chance(0.7) {
        1
    } else {
        g.rng.gen_range(2..6)
    };
    for _ in 0..n {
        a.push(score(g));
        a.push(member(g));
    }
    if g.chance(0.03) {
        a.pop();
    }
    exact(a)
}

/// Enough members to cross `zset-max-listpack-entries` (and sometimes a long one).
fn big_zadd(g: &mut Gen) -> Cmd {
    let mut a = vec![g.name("ZADD"), key(g)];
    let n = g.rng.gen_range(100..600);
    let base = g.rng.gen_range(0..1000);
    for i in 0..n {
        let s = match g.rng.gen_range(0..4) {
            0 => g.rng.gen_range(-50..50).to_string(),
            1 => format!("{:.3}", g.rng.gen_range(-1000.0..1000.0)),
            2 => pick(g, SCORES).into_iter().map(char::from).collect(),
            _ => i.to_string(),
        };
        a.push(s.into_bytes());
        a.push(format!("m{}", base + i).into_bytes());
    }
    if g.chance(0.1) {
        a.push(b"1".to_vec());
        a.push(vec![b'L'; 70]);
    }
    exact(a)
}

fn point_read(g: &mut Gen) -> Cmd {
    let k = key(g);
    match g.rng.gen_range(0..5) {
        0 => exact(vec![g.name("ZSCORE"), k, member(g)]),
        1 => {
            let mut a = vec![g.name("ZMSCORE"), k];
            for _ in 0..g.rng.gen_range(1..5) {
                a.push(member(g));
            }
            exact(a)
        }
        2 => exact(vec![g.name("ZCARD"), k]),
        _ => {
            let name = g.name_either(0.5, "ZRANK", "ZREVRANK");
            let mut a = vec![name, k, member(g)];
            if g.chance(0.05) {
                a.push(g.name("WITHSCORE"));
            }
            exact(a)
        }
    }
}

/// LIMIT, WITHSCORES and the like, in random order, sometimes doubled or malformed.
fn range_options(g: &mut Gen, a: &mut Vec<Vec<u8>>, choices: &[&str]) {
    let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
    for &o in choices {
        if g.chance(0.35) {
            if o == "LIMIT" {
                opts.push(vec![g.name("LIMIT"), pick(g, COUNTS), pick(g, COUNTS)]);
            } else {
                opts.push(vec![g.name(o)]);
            }
        }
    }
    if g.chance(0.03) {
        opts.push(vec![g.name("LIMIT"), b"1".to_vec()]);
    }
    if g.chance(0.03) {
        opts.push(vec![b"BOGUS".to_vec()]);
    }
    for i in (1..opts.len()).rev() {
        let j = g.rng.gen_range(0..=i);
        opts.swap(i, j);
    }
    a.extend(opts.into_iter().flatten());
}

/// The key and bounds of a ZRANGE-like call: by index, BYSCORE or BYLEX.
type RangeSource = (Vec<u8>, Vec<u8>, Vec<u8>, Option<&'static str>);

fn range_source(g: &mut Gen) -> RangeSource {
    match g.rng.gen_range(0..10) {
        0..=3 => (key(g), pick(g, INDEXES), pick(g, INDEXES), None),
        4..=7 => (
            key(g),
            pick(g, SCORE_BOUNDS),
            pick(g, SCORE_BOUNDS),
            Some("BYSCORE"),
        ),
        _ => (
            lex_key(g),
            pick(g, LEX_BOUNDS),
            pick(g, LEX_BOUNDS),
            Some("BYLEX"),
        ),
    }
}

fn zrange(g: &mut Gen) -> Cmd {
    let name = g.name("ZRANGE");
    let (k, min, max, by) = range_source(g);
    let mut a = vec![name, k, min, max];
    if let Some(b) = by {
        a.push(g.name(b));
    }
    let mut extra = vec!["REV", "WITHSCORES", "LIMIT"];
    if g.chance(0.05) {
        extra.push(if by == Some("BYLEX") {
            "BYSCORE"
        } else {
            "BYLEX"
        });
    }
    range_options(g, &mut a, &extra);
    exact(a)
}

fn old_range(g: &mut Gen) -> Cmd {
    let k = key(g);
    match g.rng.gen_range(0..3) {
        0 => {
            let name = g.name("ZREVRANGE");
            let mut a = vec![name, k, pick(g, INDEXES), pick(g, INDEXES)];
            range_options(g, &mut a, &["WITHSCORES"]);
            exact(a)
        }
        _ => {
            let name = g.name_either(0.5, "ZRANGEBYSCORE", "ZREVRANGEBYSCORE");
            let mut a = vec![name, k, pick(g, SCORE_BOUNDS), pick(g, SCORE_BOUNDS)];
            range_options(g, &mut a, &["WITHSCORES", "LIMIT"]);
            exact(a)
        }
    }
}

fn lex(g: &mut Gen) -> Cmd {
    let k = lex_key(g);
    let (min, max) = (pick(g, LEX_BOUNDS), pick(g, LEX_BOUNDS));
    match g.rng.gen_range(0..4) {
        0 => exact(vec![g.name("ZLEXCOUNT"), k, min, max]),
        1 => exact(vec![g.name("ZREMRANGEBYLEX"), k, min, max]),
        _ => {
            let name = g.name_either(0.5, "ZRANGEBYLEX", "ZREVRANGEBYLEX");
            let mut a = vec![name, k, min, max];
            range_options(g, &mut a, &["LIMIT", "WITHSCORES"]);
            exact(a)
        }
    }
}

fn zremrange(g: &mut Gen) -> Cmd {
    let k = key(g);
    if g.chance(0.5) {
        let name = g.name("ZREMRANGEBYRANK");
        exact(vec![name, k, pick(g, INDEXES), pick(g, INDEXES)])
    } else {
        let name = g.name("ZREMRANGEBYSCORE");
        exact(vec![name, k, pick(g, SCORE_BOUNDS), pick(g, SCORE_BOUNDS)])
    }
}

fn numkeys(g: &mut Gen, keys: usize) -> Vec<u8> {
    match g.rng.gen_range(0..30) {
        0 => b"0".to_vec(),
        1 => b"-1".to_vec(),
        2 => b"x".to_vec(),
        3 => (keys + 1).to_string().into_bytes(),
        4 => b"9223372036854775807".to_vec(),
        _ => keys.to_string().into_bytes(),
    }
}

/// ZMPOP's arguments after `a` (its name, or BZMPOP's name and timeout), and its keys.
fn mpop(g: &mut Gen, mut a: Vec<Vec<u8>>) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let n = g.rng.gen_range(1..4);
    a.push(numkeys(g, n));
    let keys: Vec<Vec<u8>> = (0..n).map(|_| key(g)).collect();
    a.extend(keys.iter().cloned());
    a.push(pick(g, &["MIN", "MAX", "min", "max", "MID"]));
    if g.chance(0.5) {
        a.push(g.name("COUNT"));
        a.push(pick(g, &["1", "2", "5", "100", "0", "-1", "x"]));
    }
    if g.chance(0.03) {
        a.push(g.name("COUNT"));
    }
    (a, keys)
}

/// Queues a blocking pop (see `lists` for why queued, and its timeouts) and returns what goes
/// before it: mostly a ZADD to one of its keys.
fn blocking(g: &mut Gen) -> Cmd {
    let (args, keys) = if g.chance(0.6) {
        let mut a = vec![g.name_either(0.5, "BZPOPMIN", "BZPOPMAX")];
        let keys: Vec<Vec<u8>> = (0..g.rng.gen_range(1..=3)).map(|_| key(g)).collect();
        a.extend(keys.iter().cloned());
        a.push(lists::timeout(g));
        (a, keys)
    } else {
        let head = vec![g.name("BZMPOP"), lists::timeout(g)];
        mpop(g, head)
    };
    g.queued.push_back(exact(args));
    let k = keys[g.rng.gen_range(0..keys.len())].clone();
    if g.chance(0.75) {
        let (sc, m) = (score(g), member(g));
        exact(vec![g.name("ZADD"), k, sc, m])
    } else {
        exact(vec![g.name("ZCARD"), k])
    }
}

fn zrandmember(g: &mut Gen) -> Cmd {
    let withscores = g.chance(0.4);
    // Without WITHSCORES a huge negative count is a reply Redis really tries to build.
    let counts: &[&str] = if withscores {
        &[
            "0",
            "1",
            "3",
            "-3",
            "10",
            "-10",
            "1000",
            "-9223372036854775808",
            "-4611686018427387904",
            "x",
        ]
    } else {
        &[
            "0",
            "1",
            "3",
            "-3",
            "10",
            "-10",
            "1000",
            "-9223372036854775808",
            "x",
        ]
    };
    let mut a = vec![g.name("ZRANDMEMBER"), key(g), pick(g, counts)];
    if withscores {
        a.push(g.name("WITHSCORES"));
    }
    Cmd {
        args: a,
        cmp: Cmp::Shape,
    }
}

fn setop(g: &mut Gen) -> Cmd {
    let (name, store, withscores, weights) = match g.rng.gen_range(0..7) {
        0 => ("ZUNION", false, true, true),
        1 => ("ZINTER", false, true, true),
        2 => ("ZDIFF", false, true, false),
        3 => ("ZINTERCARD", false, false, false),
        4 => ("ZUNIONSTORE", true, false, true),
        5 => ("ZINTERSTORE", true, false, true),
        _ => ("ZDIFFSTORE", true, false, false),
    };
    let mut a = vec![g.name(name)];
    if store {
        a.push(key(g));
    }
    let n = g.rng.gen_range(1..4);
    a.push(numkeys(g, n));
    for _ in 0..n {
        a.push(if g.chance(0.15) { lex_key(g) } else { key(g) });
    }
    if (weights || g.chance(0.05)) && g.chance(0.4) {
        a.push(g.name("WEIGHTS"));
        for _ in 0..n {
            a.push(pick(
                g,
                &["1", "2", "-1", "0", "0.5", "inf", "-inf", "1e308", "x"],
            ));
        }
    }
    if (weights || g.chance(0.05)) && g.chance(0.3) {
        a.push(g.name("AGGREGATE"));
        a.push(pick(g, &["SUM", "MIN", "MAX", "max", "AVG"]));
    }
    if (withscores || g.chance(0.05)) && g.chance(0.5) {
        a.push(g.name("WITHSCORES"));
    }
    if name == "ZINTERCARD" && g.chance(0.5) {
        a.push(g.name("LIMIT"));
        a.push(pick(g, &["0", "1", "2", "-1", "x"]));
    }
    exact(a)
}

fn zrangestore(g: &mut Gen) -> Cmd {
    let name = g.name("ZRANGESTORE");
    let dst = key(g);
    let (src, min, max, by) = range_source(g);
    let mut a = vec![name, dst, src, min, max];
    if let Some(b) = by {
        a.push(g.name(b));
    }
    range_options(g, &mut a, &["REV", "LIMIT", "WITHSCORES"]);
    exact(a)
}

/// Commands that read a key's whole state when it holds this family's type.
pub fn dump(key: &[u8]) -> Vec<Cmd> {
    vec![
        exact(vec![
            b"ZRANGE".to_vec(),
            key.to_vec(),
            b"0".to_vec(),
            b"-1".to_vec(),
            b"WITHSCORES".to_vec(),
        ]),
        exact(vec![b"ZCARD".to_vec(), key.to_vec()]),
        exact(vec![b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.to_vec()]),
    ]
}
