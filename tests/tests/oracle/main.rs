//! The differential oracle: the same command sequence goes to redis-server and to ferrokv, and
//! every reply must be the same bytes.
//!
//! * `ORACLE_SEED=n` replays a run (the seed is printed either way);
//! * `ORACLE_COMMANDS=n` sets the length (default 10,000);
//! * `FERROKV_TEST_TARGET=redis` compares redis-server with a second redis-server, which checks
//!   that the harness itself compares nothing nondeterministic.
//!
//! Nondeterminism is designed out rather than tolerated:
//! * every relative TTL that is set is either <= 0 (the key goes at once) or at least 1000 s and
//!   unique to its command, in steps of 1000 s, so no key expires during a run and any two
//!   deadlines differ by far more than a run lasts (GT/LT comparisons cannot flip on timing);
//!   absolute deadlines are `base + 1000*u + 500` s, never close to a relative one (for runs
//!   shorter than 500 s);
//! * TTL/PTTL/EXPIRETIME/PEXPIRETIME replies that are >= 0 are compared within a tolerance
//!   (the two servers see different clocks for relative deadlines); negative ones exactly;
//! * KEYS replies are compared as sorted arrays; RANDOMKEY, SCAN, TIME, INFO, CLIENT are not
//!   generated at all.

mod bitmaps;
mod hashes;
mod hyperloglogs;
mod lists;
mod scripts;
mod sets;
mod sorted_sets;
mod sorts;
mod stream_groups;
mod streams;

use std::collections::HashSet;
use std::io::Write;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrokv_tests::{
    encode_command_into, escape_trunc, parse_reply, require_redis, shard_of, start_target, RawConn,
    Resp, TestServer, DEFAULT_SHARDS,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How a reply pair is compared.
#[derive(Clone, Copy, Debug)]
enum Cmp {
    /// Same bytes.
    Exact,
    /// Arrays equal after sorting their elements (KEYS, SMEMBERS).
    Sorted,
    /// Flat arrays of pairs equal after sorting the pairs (HGETALL of a hashtable).
    SortedPairs,
    /// Same kind of reply and, for arrays, the same length (random picks: SRANDMEMBER -5).
    Shape,
    /// Integers >= 0 may differ by this much (TTL-style replies); anything else exactly.
    Tolerance(i64),
    /// Equal once the idle and delivery times are masked out; the times themselves within
    /// `TIME_TOLERANCE_MS` (the servers see different clocks).
    Timed(stream_groups::Times),
}

/// How far apart two servers' idle or delivery times may be (one may lag on a loaded machine;
/// the generator keeps every idle bound hours away).
const TIME_TOLERANCE_MS: i64 = 60_000;

#[derive(Clone)]
struct Cmd {
    args: Vec<Vec<u8>>,
    cmp: Cmp,
}

fn describe(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| format!("\"{}\"", escape_trunc(a, 60)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn show(raw: &[u8]) -> String {
    escape_trunc(raw, 400)
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

const INVALID_TIMES: &[&str] = &[
    "0",
    "-1",
    "-100",
    "abc",
    "",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "9223372036854775",
    "1.5",
    " 5",
    "+5",
];

const INT_VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "42",
    "100",
    "-100",
    "9223372036854775807",
    "9223372036854775806",
    "-9223372036854775808",
    "-9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "10000",
    "123456789012",
];

const ODD_VALUES: &[&str] = &[
    "", "abc", " 1", "1 ", "+1", "01", "-0", "0x10", "1.5", "1e3", "3.0", "-1.5e-3", "inf", "-inf",
    "nan", "10.50", ".5", "5.", "1e400", "00", "-", "0.1", "1,5",
];

const INCR_AMOUNTS: &[&str] = &[
    "1",
    "-1",
    "0",
    "7",
    "100",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775806",
    "9223372036854775808",
    "abc",
    "",
    "1.5",
    " 1",
];

const FLOAT_AMOUNTS: &[&str] = &[
    "0.1",
    "-0.1",
    "1",
    "1.5",
    "1e3",
    "-2.5e-3",
    "3.0e2",
    "abc",
    "",
    "inf",
    "-inf",
    "nan",
    "1e308",
    "5.0e-324",
    " 1",
    "0x10",
    "17.5",
    "1.7976931348623157e308",
    "-1e17",
    "123456789.123456789",
    "10",
    "+3",
    "0.0000001",
];

const RANGE_INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "5",
    "10",
    "100",
    "-1",
    "-2",
    "-10",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "abc",
    "",
    "3",
];

const SETRANGE_OFFSETS: &[&str] = &[
    "0",
    "1",
    "3",
    "10",
    "50",
    "200",
    "4096",
    "-1",
    "536870912",
    "abc",
    "9223372036854775807",
];

const DBS: &[&str] = &["0", "0", "1", "1", "2", "3", "16", "-1", "abc", ""];

const KEYS_PATTERNS: &[&str] = &[
    "*", "k*", "k1?", "{t}*", "*[ab]*", "[^k]*", "\\{t\\}a", "k[0-3]", "*x*", "?", "", "k[2-]",
    "*\\*", "[a-c]*", "k1*0",
];

struct Gen {
    rng: StdRng,
    keys: Vec<Vec<u8>>,
    used_rel: HashSet<u64>,
    base_secs: u64,
    /// Commands a family asked to send next, in order (a command that needs another right
    /// before it).
    queued: std::collections::VecDeque<Cmd>,
    /// Per stream key, the ms part of the last explicit ID generated for it: fresh IDs go
    /// above it (see stream_groups.rs).
    id_clocks: std::collections::HashMap<Vec<u8>, u64>,
    /// The milliseconds of the stream IDs generated last (see streams.rs).
    stream_ms: u64,
}

impl Gen {
    fn new(seed: u64, base_secs: u64) -> Gen {
        Gen {
            rng: StdRng::seed_from_u64(seed),
            keys: key_pool(),
            used_rel: HashSet::new(),
            base_secs,
            queued: Default::default(),
            id_clocks: Default::default(),
            stream_ms: 1000,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.rng.gen_range(0..v.len())]
    }

    /// A command or option name in random letter case (mostly upper).
    fn name(&mut self, n: &str) -> Vec<u8> {
        match self.rng.gen_range(0..10) {
            0 => n.to_ascii_lowercase().into_bytes(),
            1 => n
                .bytes()
                .map(|c| {
                    if self.rng.gen_bool(0.5) {
                        c.to_ascii_lowercase()
                    } else {
                        c
                    }
                })
                .collect(),
            _ => n.as_bytes().to_vec(),
        }
    }

    /// `a` with probability `p`, else `b`, via [`Gen::name`].
    fn name_either(&mut self, p: f64, a: &str, b: &str) -> Vec<u8> {
        let n = if self.chance(p) { a } else { b };
        self.name(n)
    }

    fn key(&mut self) -> Vec<u8> {
        let i = self.rng.gen_range(0..self.keys.len());
        self.keys[i].clone()
    }

    fn value(&mut self) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=29 => self.pick(INT_VALUES).into(),
            30..=44 => self.pick(ODD_VALUES).into(),
            45..=69 => {
                let len = self.rng.gen_range(1..12);
                (0..len)
                    .map(|_| self.rng.gen_range(b'a'..=b'z'))
                    .collect::<Vec<u8>>()
            }
            70..=79 => {
                // Binary, including NUL, CR, LF.
                let len = self.rng.gen_range(1..24);
                (0..len).map(|_| self.rng.gen::<u8>()).collect()
            }
            80..=89 => {
                // Around the embstr limit (44 bytes).
                let len = self.rng.gen_range(40..50);
                vec![b'e'; len]
            }
            90..=95 => {
                let len = self.rng.gen_range(1000..8000);
                let seed: u8 = self.rng.gen();
                (0..len)
                    .map(|i| seed.wrapping_add((i * 7 % 251) as u8))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// A relative time in seconds no other command has used: at least 1000 s, step 1000 s.
    fn rel_secs(&mut self) -> u64 {
        loop {
            let u = self.rng.gen_range(1..1_000_000u64);
            if self.used_rel.insert(u) {
                return u * 1000;
            }
        }
    }

    /// An absolute deadline in seconds, far from every relative deadline of this run.
    fn abs_secs(&mut self) -> u64 {
        self.base_secs + self.rng.gen_range(1..1_000_000u64) * 1000 + 500
    }

    /// Argument for EX / EXPIRE style relative seconds (`ms` for PX / PEXPIRE).
    fn rel_arg(&mut self, ms: bool, allow_nonpositive: bool) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            0..=74 => {
                let s = self.rel_secs();
                if ms {
                    (s * 1000 + self.rng.gen_range(0..1000)).to_string().into()
                } else {
                    s.to_string().into()
                }
            }
            75..=84 if allow_nonpositive => {
                // The key goes at once (EXPIRE), or an error (SET).
                self.pick(&["0", "-1", "-5000"]).into()
            }
            _ => self.pick(INVALID_TIMES).into(),
        }
    }

    /// Argument for EXAT / EXPIREAT style absolute seconds (`ms` for PXAT / PEXPIREAT).
    /// `allow_past`: SET stores a key whose deadline has passed and leaves it to the expiry
    /// cycle, so DBSIZE would depend on timing; GETEX and EXPIREAT delete at once.
    fn abs_arg(&mut self, ms: bool, allow_past: bool) -> Vec<u8> {
        match self.rng.gen_range(0..100) {
            75..=84 if !allow_past => self.pick(INVALID_TIMES).into(),
            0..=74 => {
                let s = self.abs_secs();
                if ms {
                    (s * 1000 + self.rng.gen_range(0..1000)).to_string().into()
                } else {
                    s.to_string().into()
                }
            }
            75..=84 => {
                // In the past: the key goes at once.
                let past = self.base_secs - 1000;
                let v = if ms { past * 1000 } else { past };
                self.pick(&["1", &v.to_string()]).to_string().into()
            }
            _ => self.pick(INVALID_TIMES).into(),
        }
    }

    fn keys(&mut self, min: usize, max: usize) -> Vec<Vec<u8>> {
        let n = self.rng.gen_range(min..=max);
        (0..n).map(|_| self.key()).collect()
    }

    /// A key for a collection family: mostly one of ten names of its own (`h0`..`h9`, spread
    /// over every shard), sometimes a key of the common pool (whatever type it holds).
    fn family_key(&mut self, prefix: &str) -> Vec<u8> {
        if self.chance(0.08) {
            return self.key();
        }
        family_key(prefix, self.rng.gen_range(0..FAMILY_KEYS))
    }

    /// The next random command: the string/keyspace mix or one of the type families.
    fn next(&mut self) -> Cmd {
        if let Some(c) = self.queued.pop_front() {
            return c;
        }
        let mut c = match self.rng.gen_range(0..120) {
            0..=29 => self.next_string(),
            30..=41 => hashes::next(self),
            42..=53 => lists::next(self),
            54..=65 => sets::next(self),
            66..=81 => sorted_sets::next(self),
            82..=89 => bitmaps::next(self),
            90..=94 => hyperloglogs::next(self),
            95..=99 => sorts::next(self),
            100..=109 => streams::next(self),
            _ => stream_groups::next(self),
        };
        // Wrong arities: drop trailing arguments or add junk. A command compared loosely (its
        // reply is in hash order or random) only gets junk and keeps its comparison: a shorter
        // form of it may be random (SPOP key 1000 -> SPOP key) or hash-ordered (SINTER a b ->
        // SINTER a).
        if self.chance(0.03) {
            let exact = matches!(c.cmp, Cmp::Exact);
            if exact && self.chance(0.5) && c.args.len() > 1 {
                let keep = self.rng.gen_range(1..c.args.len());
                c.args.truncate(keep);
            } else {
                let n = self.rng.gen_range(1..4);
                for _ in 0..n {
                    let v = self.value();
                    c.args.push(v);
                }
            }
        }
        c
    }

    fn next_string(&mut self) -> Cmd {
        let mut cmp = Cmp::Exact;
        let r = self.rng.gen_range(0..1000);
        let a: Vec<Vec<u8>> = match r {
            0..=89 => vec![self.name("GET"), self.key()],
            90..=219 => {
                let mut a = vec![self.name("SET"), self.key(), self.value()];
                self.set_options(&mut a);
                a
            }
            220..=229 => vec![self.name("SETNX"), self.key(), self.value()],
            230..=239 => vec![
                self.name("SETEX"),
                self.key(),
                self.rel_arg(false, false),
                self.value(),
            ],
            240..=249 => vec![
                self.name("PSETEX"),
                self.key(),
                self.rel_arg(true, false),
                self.value(),
            ],
            250..=259 => vec![self.name("GETSET"), self.key(), self.value()],
            260..=269 => vec![self.name("GETDEL"), self.key()],
            270..=289 => {
                let mut a = vec![self.name("GETEX"), self.key()];
                self.getex_options(&mut a);
                a
            }
            290..=309 => {
                let mut a = vec![self.name("MGET")];
                a.extend(self.keys(1, 6));
                a
            }
            310..=329 => {
                let mut a = vec![self.name_either(0.7, "MSET", "MSETNX")];
                let n = self.rng.gen_range(1..=5);
                for _ in 0..n {
                    a.push(self.key());
                    a.push(self.value());
                }
                if self.chance(0.05) {
                    a.pop(); // odd argument count
                }
                a
            }
            330..=359 => vec![self.name_either(0.5, "INCR", "DECR"), self.key()],
            360..=389 => {
                let n = if self.chance(0.5) { "INCRBY" } else { "DECRBY" };
                vec![self.name(n), self.key(), self.pick(INCR_AMOUNTS).into()]
            }
            390..=409 => vec![
                self.name("INCRBYFLOAT"),
                self.key(),
                self.pick(FLOAT_AMOUNTS).into(),
            ],
            410..=429 => vec![self.name("APPEND"), self.key(), self.value()],
            430..=439 => vec![self.name("STRLEN"), self.key()],
            440..=459 => vec![
                self.name("GETRANGE"),
                self.key(),
                self.pick(RANGE_INDEXES).into(),
                self.pick(RANGE_INDEXES).into(),
            ],
            460..=479 => {
                let mut v = self.value();
                v.truncate(200);
                vec![
                    self.name("SETRANGE"),
                    self.key(),
                    self.pick(SETRANGE_OFFSETS).into(),
                    v,
                ]
            }
            480..=509 => {
                let n = match self.rng.gen_range(0..4) {
                    0 => "DEL",
                    1 => "UNLINK",
                    2 => "EXISTS",
                    _ => "TOUCH",
                };
                let mut a = vec![self.name(n)];
                a.extend(self.keys(1, 5));
                a
            }
            510..=519 => vec![self.name("TYPE"), self.key()],
            520..=539 => {
                let n = if self.chance(0.5) {
                    "RENAME"
                } else {
                    "RENAMENX"
                };
                vec![self.name(n), self.key(), self.key()]
            }
            540..=554 => {
                let mut a = vec![self.name("COPY"), self.key(), self.key()];
                if self.chance(0.3) {
                    a.push(self.name("DB"));
                    a.push(self.pick(DBS).into());
                }
                if self.chance(0.4) {
                    a.push(self.name("REPLACE"));
                }
                if self.chance(0.03) {
                    a.push(b"BOGUS".to_vec());
                }
                a
            }
            555..=609 => {
                let (n, abs, ms) = match self.rng.gen_range(0..4) {
                    0 => ("EXPIRE", false, false),
                    1 => ("PEXPIRE", false, true),
                    2 => ("EXPIREAT", true, false),
                    _ => ("PEXPIREAT", true, true),
                };
                let t = if abs {
                    self.abs_arg(ms, true)
                } else {
                    self.rel_arg(ms, true)
                };
                let mut a = vec![self.name(n), self.key(), t];
                self.expire_options(&mut a);
                a
            }
            610..=659 => {
                let (n, tol) = match self.rng.gen_range(0..4) {
                    0 => ("TTL", 10),
                    1 => ("PTTL", 10_000),
                    2 => ("EXPIRETIME", 10),
                    _ => ("PEXPIRETIME", 10_000),
                };
                cmp = Cmp::Tolerance(tol);
                vec![self.name(n), self.key()]
            }
            660..=674 => vec![self.name("PERSIST"), self.key()],
            675..=684 => vec![self.name("DBSIZE")],
            685..=714 => vec![self.name("SELECT"), self.pick(DBS).into()],
            715..=729 => vec![self.name("MOVE"), self.key(), self.pick(DBS).into()],
            730..=734 => vec![
                self.name("SWAPDB"),
                self.pick(DBS).into(),
                self.pick(DBS).into(),
            ],
            735..=736 => {
                let mut a = vec![self.name("FLUSHDB")];
                match self.rng.gen_range(0..4) {
                    0 => a.push(self.name("ASYNC")),
                    1 => a.push(self.name("SYNC")),
                    _ => {}
                }
                a
            }
            737 => vec![self.name("FLUSHALL")],
            738..=749 => {
                cmp = Cmp::Sorted;
                vec![self.name("KEYS"), self.pick(KEYS_PATTERNS).into()]
            }
            750..=764 => {
                let mut a = vec![self.name("ECHO")];
                if !self.chance(0.05) {
                    a.push(self.value());
                }
                a
            }
            765..=779 => {
                let mut a = vec![self.name("PING")];
                if self.chance(0.4) {
                    a.push(self.value());
                }
                a
            }
            780..=789 => {
                // Unknown commands; the error quotes (up to 128 bytes of) the arguments.
                let mut a: Vec<Vec<u8>> = vec![self
                    .pick(&["FOO", "GETT", "SETT", "x", "MSET2", "LPUSHX2"])
                    .into()];
                let n = self.rng.gen_range(0..4);
                for _ in 0..n {
                    let v = if self.chance(0.5) {
                        self.key()
                    } else {
                        self.value()
                    };
                    a.push(v);
                }
                a
            }
            _ => {
                // More of the common ones, on keys likely to hold integers.
                match self.rng.gen_range(0..3) {
                    0 => vec![
                        self.name("INCRBY"),
                        self.key(),
                        self.pick(INCR_AMOUNTS).into(),
                    ],
                    1 => vec![self.name("SET"), self.key(), self.pick(INT_VALUES).into()],
                    _ => vec![self.name("GET"), self.key()],
                }
            }
        };
        Cmd { args: a, cmp }
    }

    fn set_options(&mut self, a: &mut Vec<Vec<u8>>) {
        let mut opts: Vec<Vec<Vec<u8>>> = Vec::new();
        // At most one expiry option, sometimes two (a syntax error).
        let n_exp = match self.rng.gen_range(0..20) {
            0..=9 => 0,
            10..=18 => 1,
            _ => 2,
        };
        for _ in 0..n_exp {
            let o = match self.rng.gen_range(0..5) {
                0 => vec![self.name("EX"), self.rel_arg(false, false)],
                1 => vec![self.name("PX"), self.rel_arg(true, false)],
                2 => vec![self.name("EXAT"), self.abs_arg(false, false)],
                3 => vec![self.name("PXAT"), self.abs_arg(true, false)],
                _ => vec![self.name("KEEPTTL")],
            };
            opts.push(o);
        }
        match self.rng.gen_range(0..10) {
            0..=1 => opts.push(vec![self.name("NX")]),
            2..=3 => opts.push(vec![self.name("XX")]),
            4 => {
                opts.push(vec![self.name("NX")]);
                opts.push(vec![self.name("XX")]);
            }
            _ => {}
        }
        if self.chance(0.2) {
            opts.push(vec![self.name("GET")]);
        }
        if self.chance(0.02) {
            opts.push(vec![b"BOGUS".to_vec()]);
        }
        if self.chance(0.02) {
            // Option without its argument.
            opts.push(vec![self.name("EX")]);
        }
        // Random order.
        for i in (1..opts.len()).rev() {
            let j = self.rng.gen_range(0..=i);
            opts.swap(i, j);
        }
        a.extend(opts.into_iter().flatten());
    }

    fn getex_options(&mut self, a: &mut Vec<Vec<u8>>) {
        let n = match self.rng.gen_range(0..10) {
            0..=3 => 0,
            4..=8 => 1,
            _ => 2,
        };
        for _ in 0..n {
            match self.rng.gen_range(0..6) {
                0 => a.extend([self.name("EX"), self.rel_arg(false, false)]),
                1 => a.extend([self.name("PX"), self.rel_arg(true, false)]),
                2 => a.extend([self.name("EXAT"), self.abs_arg(false, true)]),
                3 => a.extend([self.name("PXAT"), self.abs_arg(true, true)]),
                4 => a.push(self.name("PERSIST")),
                _ => a.push(self.name_either(0.5, "KEEPTTL", "EX")),
            }
        }
    }

    fn expire_options(&mut self, a: &mut Vec<Vec<u8>>) {
        let n = match self.rng.gen_range(0..20) {
            0..=9 => 0,
            10..=17 => 1,
            _ => 2,
        };
        for _ in 0..n {
            let o = match self.rng.gen_range(0..40) {
                0..=9 => "NX",
                10..=19 => "XX",
                20..=29 => "GT",
                30..=38 => "LT",
                _ => "FOO",
            };
            a.push(self.name(o));
        }
    }
}

/// Names per collection family (`prefix0`..`prefix9`).
const FAMILY_KEYS: usize = 10;

fn family_key(prefix: &str, i: usize) -> Vec<u8> {
    format!("{prefix}{i}").into_bytes()
}

/// Every key a run may write: the common pool and each family's names.
fn all_keys() -> Vec<Vec<u8>> {
    let mut v = key_pool();
    for prefix in [
        hashes::PREFIX,
        lists::PREFIX,
        sets::PREFIX,
        sorted_sets::PREFIX,
        bitmaps::PREFIX,
        hyperloglogs::PREFIX,
        sorts::PREFIX,
        streams::PREFIX,
        stream_groups::PREFIX,
    ] {
        v.extend((0..FAMILY_KEYS).map(|i| family_key(prefix, i)));
    }
    v
}

/// Commands that read the whole state of `key`, whatever type it holds (the others answer
/// WRONGTYPE on both servers alike).
fn dump(key: &[u8]) -> Vec<Cmd> {
    let mut v = vec![
        Cmd {
            args: vec![b"TYPE".to_vec(), key.to_vec()],
            cmp: Cmp::Exact,
        },
        Cmd {
            args: vec![b"GET".to_vec(), key.to_vec()],
            cmp: Cmp::Exact,
        },
        Cmd {
            args: vec![b"PTTL".to_vec(), key.to_vec()],
            cmp: Cmp::Tolerance(10_000),
        },
    ];
    v.extend(hashes::dump(key));
    v.extend(lists::dump(key));
    v.extend(sets::dump(key));
    v.extend(sorted_sets::dump(key));
    v.extend(streams::dump(key));
    v.extend(stream_groups::dump(key));
    v
}

/// 40 key names: plain ones, {hash tagged} ones sharing slots, empty, binary, long.
fn key_pool() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = (0..26).map(|i| format!("k{i}").into_bytes()).collect();
    for k in [
        "{t}a",
        "{t}b",
        "{t}c",
        "x{t}z",
        "{u}1",
        "{u}2",
        "{}",
        "{}x",
        "a{b",
        "key with spaces",
        "ключ",
        "",
    ] {
        v.push(k.as_bytes().to_vec());
    }
    v.push(b"bin\x00\r\nkey".to_vec());
    v.push(vec![b'L'; 300]);
    assert_eq!(v.len(), 40);
    v
}

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Raw replies of the oracle and of the server under test, one per command.
type Replies = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// redis-server (the oracle) and the server under test, each with one connection.
struct Pair {
    _oracle: TestServer,
    subject: TestServer,
    a: RawConn,
    b: RawConn,
}

impl Pair {
    fn start() -> Pair {
        let oracle = TestServer::redis(&[]);
        let subject = start_target(DEFAULT_SHARDS, &[]);
        let a = oracle.raw();
        let b = subject.raw();
        let mut p = Pair {
            _oracle: oracle,
            subject,
            a,
            b,
        };
        for c in [&mut p.a, &mut p.b] {
            assert_eq!(c.cmd(&["FLUSHALL"]), ferrokv_tests::ok());
        }
        p
    }

    fn subject_name(&self) -> &'static str {
        if self.subject.is_redis() {
            "redis-server #2"
        } else {
            "ferrokv"
        }
    }

    /// Sends `cmds` to both servers (one write each, from writer threads so that neither side
    /// can stall on a full socket) and returns the raw replies, or the index of the first
    /// command whose reply could not be read and why.
    fn exchange(&mut self, cmds: &[Cmd]) -> Result<Replies, (usize, String)> {
        let mut bytes = Vec::new();
        for c in cmds {
            encode_command_into(&mut bytes, &c.args);
        }
        let mut wa = self.a.stream().try_clone().expect("clone");
        let mut wb = self.b.stream().try_clone().expect("clone");
        let (a, b) = (&mut self.a, &mut self.b);
        std::thread::scope(|s| {
            let ta = s.spawn(|| wa.write_all(&bytes));
            let tb = s.spawn(|| wb.write_all(&bytes));
            let mut ra = Vec::with_capacity(cmds.len());
            let mut rb = Vec::with_capacity(cmds.len());
            let mut failure = None;
            for i in 0..cmds.len() {
                match a.try_read_raw() {
                    Ok(r) => ra.push(r),
                    Err(e) => {
                        failure = Some((i, format!("redis-server: {e}")));
                        break;
                    }
                }
                match b.try_read_raw() {
                    Ok(r) => rb.push(r),
                    Err(e) => {
                        failure = Some((i, format!("server under test: {e}")));
                        break;
                    }
                }
            }
            if failure.is_some() {
                // Unblock the writers.
                let _ = a.stream().shutdown(std::net::Shutdown::Both);
                let _ = b.stream().shutdown(std::net::Shutdown::Both);
            }
            let _ = ta.join();
            let _ = tb.join();
            match failure {
                Some(f) => Err(f),
                None => Ok((ra, rb)),
            }
        })
    }
}

fn same(cmp: Cmp, a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let parse = |x: &[u8]| parse_reply(x).ok().flatten().map(|(v, _)| v);
    let (Some(va), Some(vb)) = (parse(a), parse(b)) else {
        return false;
    };
    match cmp {
        Cmp::Exact => false,
        Cmp::Sorted => match (va, vb) {
            (Resp::Array(x), Resp::Array(y)) => {
                let mut x: Vec<Vec<u8>> = x.iter().map(|v| format!("{v:?}").into_bytes()).collect();
                let mut y: Vec<Vec<u8>> = y.iter().map(|v| format!("{v:?}").into_bytes()).collect();
                x.sort();
                y.sort();
                x == y
            }
            _ => false,
        },
        Cmp::SortedPairs => match (va, vb) {
            (Resp::Array(x), Resp::Array(y)) if x.len() % 2 == 0 => {
                let pairs = |v: &[Resp]| {
                    let mut p: Vec<String> = v.chunks(2).map(|c| format!("{c:?}")).collect();
                    p.sort();
                    p
                };
                pairs(&x) == pairs(&y)
            }
            _ => false,
        },
        Cmp::Shape => match (va, vb) {
            (Resp::Array(x), Resp::Array(y)) => x.len() == y.len(),
            (x, y) => std::mem::discriminant(&x) == std::mem::discriminant(&y),
        },
        Cmp::Tolerance(t) => match (va, vb) {
            (Resp::Int(x), Resp::Int(y)) if x >= 0 && y >= 0 => (x - y).abs() <= t,
            _ => false,
        },
        Cmp::Timed(times) => {
            let (ma, ta) = stream_groups::mask(times, &va);
            let (mb, tb) = stream_groups::mask(times, &vb);
            ma == mb
                && ta.len() == tb.len()
                && ta.iter().zip(&tb).all(|(x, y)| {
                    x == y || (*x >= 0 && *y >= 0 && (x - y).abs() <= TIME_TOLERANCE_MS)
                })
        }
    }
}

/// What led up to a divergence: the last commands, and the last ones that named one of the
/// diverging command's arguments or changed databases wholesale.
fn context(history: &[(usize, &Cmd, Vec<u8>)], args: &[Vec<u8>]) -> String {
    let line = |(n, c, r): &(usize, &Cmd, Vec<u8>)| {
        format!(
            "    #{n}: {}  ->  {}\n",
            describe(&c.args),
            escape_trunc(r, 120)
        )
    };
    let mut out = String::from("  last commands before it (with redis's replies):\n");
    for h in history.iter().rev().take(10).rev() {
        out.push_str(&line(h));
    }
    let wholesale: &[&[u8]] = &[b"SELECT", b"SWAPDB", b"FLUSHDB", b"FLUSHALL", b"MOVE"];
    let related: Vec<&(usize, &Cmd, Vec<u8>)> = history
        .iter()
        .filter(|(_, c, _)| {
            let name = c.args[0].to_ascii_uppercase();
            wholesale.contains(&&name[..]) || c.args[1..].iter().any(|a| args[1..].contains(a))
        })
        .collect();
    out.push_str("  earlier commands on the same keys, and SELECT/SWAPDB/FLUSH*/MOVE:\n");
    for h in &related[related.len().saturating_sub(40)..] {
        out.push_str(&line(h));
    }
    out
}

/// How many divergences to collect before failing: `ORACLE_MAX_DIVERGENCES` (default 1).
/// More than one is for surveying a server that is known to differ: after the first
/// divergence the two states may differ too, so later reports can be consequences.
fn max_divergences() -> usize {
    std::env::var("ORACLE_MAX_DIVERGENCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Runs `cmds` through both servers in pipelines of `batch`; panics with a report at the
/// first divergence (or after `ORACLE_MAX_DIVERGENCES` of them).
fn run(pair: &mut Pair, cmds: &[Cmd], batch: usize, label: &str) {
    let divs = run_collect(pair, cmds, batch, label, max_divergences());
    if !divs.is_empty() {
        panic!("{}", divs.into_iter().map(|(_, r)| r).collect::<String>());
    }
}

/// Runs `cmds` through both servers in pipelines of `batch` and returns up to `max`
/// divergences as (command index, report). Panics if a server stops answering.
fn run_collect(
    pair: &mut Pair,
    cmds: &[Cmd],
    batch: usize,
    label: &str,
    max: usize,
) -> Vec<(usize, String)> {
    let mut reports: Vec<(usize, String)> = Vec::new();
    let mut history: Vec<(usize, &Cmd, Vec<u8>)> = Vec::new();
    for (chunk_no, chunk) in cmds.chunks(batch).enumerate() {
        let start = chunk_no * batch;
        let (ra, rb) = match pair.exchange(chunk) {
            Ok(r) => r,
            Err((i, why)) => {
                panic!(
                    "{}{label}: no reply at command #{}: {}\n  error: {why}\n  {} log tail:\n{}",
                    reports.into_iter().map(|(_, r)| r).collect::<String>(),
                    start + i,
                    describe(&chunk[i].args),
                    pair.subject_name(),
                    pair.subject.log_tail()
                );
            }
        };
        for (i, c) in chunk.iter().enumerate() {
            if !same(c.cmp, &ra[i], &rb[i]) {
                let mut ctx = String::new();
                if reports.len() < 5 {
                    ctx.push_str(&context(&history, &c.args));
                }
                reports.push((
                    start + i,
                    format!(
                        "{label}: DIVERGENCE at command #{}\n  command:  {}\n  redis:    {}\n  {}: {}\n{ctx}",
                        start + i,
                        describe(&c.args),
                        show(&ra[i]),
                        pair.subject_name(),
                        show(&rb[i]),
                    ),
                ));
                if reports.len() >= max {
                    return reports;
                }
            }
            history.push((start + i, c, ra[i].clone()));
        }
    }
    reports
}

/// Empties both servers and selects db 0 on both connections.
fn reset(pair: &mut Pair) {
    let cmds = [cmd(&[b"FLUSHALL"]), cmd(&[b"SELECT", b"0"])];
    let (ra, rb) = pair.exchange(&cmds).expect("reset");
    assert!(
        ra.iter().chain(&rb).all(|r| r == b"+OK\r\n"),
        "reset failed"
    );
}

/// Whether `seq`, replayed from empty servers, diverges at its last command.
fn diverges_at_end(pair: &mut Pair, seq: &[Cmd]) -> bool {
    reset(pair);
    let mut last = None;
    for chunk in seq.chunks(100) {
        let Ok((ra, rb)) = pair.exchange(chunk) else {
            return false;
        };
        last = Some((ra.last().cloned(), rb.last().cloned()));
    }
    match last {
        Some((Some(a), Some(b))) => !same(seq[seq.len() - 1].cmp, &a, &b),
        _ => false,
    }
}

/// Shrinks `prefix` (whose last command diverges) to a short sequence that still diverges at
/// its last command, replaying on emptied servers; bounded by `budget`.
fn shrink(pair: &mut Pair, prefix: &[Cmd], budget: Duration) -> Option<Vec<Cmd>> {
    let t = Instant::now();
    if !diverges_at_end(pair, prefix) {
        return None;
    }
    let (last, rest) = prefix.split_last()?;
    let mut seq: Vec<Cmd> = rest.to_vec();
    let mut chunk = (seq.len() / 2).max(1);
    loop {
        let mut i = 0;
        while i < seq.len() && t.elapsed() < budget {
            let mut cand: Vec<Cmd> = seq[..i].to_vec();
            cand.extend_from_slice(&seq[(i + chunk).min(seq.len())..]);
            cand.push(last.clone());
            if diverges_at_end(pair, &cand) {
                cand.pop();
                seq = cand;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 || t.elapsed() >= budget {
            break;
        }
        chunk /= 2;
    }
    seq.push(last.clone());
    Some(seq)
}

/// The replies of both servers to `seq` from empty servers, as a listing.
fn listing(pair: &mut Pair, seq: &[Cmd]) -> String {
    reset(pair);
    let mut out = String::new();
    for chunk in seq.chunks(100) {
        let Ok((ra, rb)) = pair.exchange(chunk) else {
            out.push_str("    (a server stopped answering)\n");
            return out;
        };
        for (i, c) in chunk.iter().enumerate() {
            out.push_str(&format!("    {}\n", describe(&c.args)));
            if same(c.cmp, &ra[i], &rb[i]) {
                out.push_str(&format!("      -> {}\n", escape_trunc(&ra[i], 120)));
            } else {
                out.push_str(&format!(
                    "      -> redis:   {}\n      -> subject: {}\n",
                    escape_trunc(&ra[i], 200),
                    escape_trunc(&rb[i], 200)
                ));
            }
        }
    }
    out
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[test]
fn key_pool_covers_every_shard() {
    let pool = key_pool();
    for shards in [2, 3, 4] {
        let hit: HashSet<usize> = pool.iter().map(|k| shard_of(k, shards)).collect();
        assert_eq!(hit.len(), shards, "key pool misses a shard of {shards}");
    }
}

/// `ORACLE_SEED` (random by default) and `ORACLE_COMMANDS` (`default` when unset).
fn seed_and_count(default: usize) -> (u64, usize) {
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .map(|s| s.parse::<u64>().expect("ORACLE_SEED must be a u64"))
        .unwrap_or_else(|| rand::thread_rng().gen());
    let count = std::env::var("ORACLE_COMMANDS")
        .ok()
        .map(|s| {
            s.parse::<usize>()
                .expect("ORACLE_COMMANDS must be a number")
        })
        .unwrap_or(default);
    (seed, count)
}

#[test]
fn random_commands_match_redis() {
    require_redis!();
    let (seed, count) = seed_and_count(10_000);
    println!("oracle: seed {seed}, {count} commands (replay with ORACLE_SEED={seed})");
    let mut pair = Pair::start();
    let mut gen = Gen::new(seed, now_secs());
    let mut cmds: Vec<Cmd> = (0..count).map(|_| gen.next()).collect();
    // ORACLE_SKIP=NAME,NAME drops those commands (after generation, so the rest of the run is
    // the same): for surveying past a known divergence.
    if let Ok(skip) = std::env::var("ORACLE_SKIP") {
        let skip: Vec<Vec<u8>> = skip
            .split(',')
            .map(|s| s.trim().to_ascii_uppercase().into_bytes())
            .collect();
        cmds.retain(|c| !skip.contains(&c.args[0].to_ascii_uppercase()));
    }
    let count = cmds.len();
    let t = Instant::now();
    let label = format!("seed {seed}");
    let divs = run_collect(&mut pair, &cmds, 100, &label, max_divergences());
    if let Some(&(first, _)) = divs.first() {
        // ORACLE_SHRINK_INDEX=n shrinks the divergence at command #n instead of the first.
        let first = std::env::var("ORACLE_SHRINK_INDEX")
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|&n| n < cmds.len())
            .unwrap_or(first);
        let mut report: String = divs.into_iter().map(|(_, r)| r).collect();
        if std::env::var("ORACLE_SHRINK")
            .map(|v| v != "0")
            .unwrap_or(true)
        {
            match shrink(&mut pair, &cmds[..=first], Duration::from_secs(60)) {
                Some(min) => {
                    report.push_str(&format!(
                        "\nminimal sequence ({} commands, from empty servers) diverging like #{first}:\n{}",
                        min.len(),
                        listing(&mut pair, &min)
                    ));
                }
                None => {
                    report.push_str("\n(the divergence did not reproduce from empty servers)\n")
                }
            }
        }
        panic!("{report}\nreplay with ORACLE_SEED={seed} ORACLE_COMMANDS={count}");
    }
    // The final state must agree too, in every database that was used.
    let mut checks = Vec::new();
    for db in 0..4 {
        checks.push(Cmd {
            args: vec![b"SELECT".to_vec(), db.to_string().into_bytes()],
            cmp: Cmp::Exact,
        });
        checks.push(Cmd {
            args: vec![b"DBSIZE".to_vec()],
            cmp: Cmp::Exact,
        });
        for k in all_keys() {
            checks.extend(dump(&k));
        }
    }
    run(
        &mut pair,
        &checks,
        100,
        &format!("seed {seed}, final state"),
    );
    println!(
        "oracle: {count} commands agreed in {:.2?} (seed {seed})",
        t.elapsed()
    );
}

fn cmd(args: &[&[u8]]) -> Cmd {
    let name = args[0].to_ascii_uppercase();
    let cmp = match &name[..] {
        b"TTL" | b"EXPIRETIME" => Cmp::Tolerance(10),
        b"PTTL" | b"PEXPIRETIME" => Cmp::Tolerance(10_000),
        b"KEYS" => Cmp::Sorted,
        _ => Cmp::Exact,
    };
    Cmd {
        args: args.iter().map(|a| a.to_vec()).collect(),
        cmp,
    }
}

/// Hand-written sequences for edge cases found or feared; each starts from an empty server.
fn regression_sequences() -> Vec<(&'static str, Vec<Cmd>)> {
    let far = (now_secs() + 10_000_000).to_string();
    let far_ms = ((now_secs() + 20_000_000) * 1000).to_string();
    let far = far.as_bytes();
    let far_ms = far_ms.as_bytes();
    vec![
        (
            "integer edges",
            vec![
                cmd(&[b"SET", b"n", b"9223372036854775806"]),
                cmd(&[b"INCR", b"n"]),
                cmd(&[b"INCR", b"n"]),
                cmd(&[b"GET", b"n"]),
                cmd(&[b"DECRBY", b"n", b"-9223372036854775808"]),
                cmd(&[b"SET", b"m", b"-9223372036854775808"]),
                cmd(&[b"DECR", b"m"]),
                cmd(&[b"INCRBY", b"m", b"-1"]),
                cmd(&[b"INCRBY", b"m", b"9223372036854775807"]),
                cmd(&[b"GET", b"m"]),
                cmd(&[b"SET", b"s", b" 1"]),
                cmd(&[b"INCR", b"s"]),
                cmd(&[b"SET", b"s", b"01"]),
                cmd(&[b"INCR", b"s"]),
                cmd(&[b"SET", b"s", b"-0"]),
                cmd(&[b"INCR", b"s"]),
                cmd(&[b"INCRBY", b"new", b"abc"]),
                cmd(&[b"EXISTS", b"new"]),
                cmd(&[b"INCRBY", b"new", b"9223372036854775808"]),
                cmd(&[b"DECRBY", b"new", b"5"]),
                cmd(&[b"APPEND", b"new", b"0"]),
                cmd(&[b"INCR", b"new"]),
                cmd(&[b"GET", b"new"]),
            ],
        ),
        (
            "incrbyfloat formatting",
            vec![
                cmd(&[b"INCRBYFLOAT", b"f", b"0.1"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"0.2"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"1e17"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"-1e17"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"3.0e2"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"inf"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"abc"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"1.7976931348623157e308"]),
                cmd(&[b"INCRBYFLOAT", b"f", b"1.7976931348623157e308"]),
                cmd(&[b"GET", b"f"]),
                cmd(&[b"SET", b"g", b"10.50"]),
                cmd(&[b"INCRBYFLOAT", b"g", b"0"]),
                cmd(&[b"SET", b"g", b"5"]),
                cmd(&[b"INCRBYFLOAT", b"g", b"-5"]),
                cmd(&[b"INCRBYFLOAT", b"g", b"-1.5"]),
                cmd(&[b"SET", b"h", b"abc"]),
                cmd(&[b"INCRBYFLOAT", b"h", b"1"]),
                cmd(&[b"INCRBYFLOAT", b"i", b"5.0e-324"]),
                cmd(&[b"INCRBYFLOAT", b"i", b"123456789.123456789"]),
            ],
        ),
        (
            "set options",
            vec![
                cmd(&[b"SET", b"a", b"1", b"NX"]),
                cmd(&[b"SET", b"a", b"2", b"NX"]),
                cmd(&[b"SET", b"a", b"3", b"XX", b"GET"]),
                cmd(&[b"SET", b"b", b"3", b"XX", b"GET"]),
                cmd(&[b"SET", b"a", b"4", b"NX", b"GET"]),
                cmd(&[b"SET", b"a", b"5", b"EXAT", far]),
                cmd(&[b"EXPIRETIME", b"a"]),
                cmd(&[b"SET", b"a", b"6", b"KEEPTTL"]),
                cmd(&[b"EXPIRETIME", b"a"]),
                cmd(&[b"SET", b"a", b"7"]),
                cmd(&[b"EXPIRETIME", b"a"]),
                cmd(&[b"SET", b"a", b"8", b"PXAT", far_ms, b"GET"]),
                cmd(&[b"PEXPIRETIME", b"a"]),
                cmd(&[b"SET", b"a", b"9", b"EX", b"10", b"PX", b"10"]),
                cmd(&[b"SET", b"a", b"9", b"KEEPTTL", b"EX", b"10"]),
                cmd(&[b"SET", b"a", b"9", b"NX", b"XX"]),
                cmd(&[b"SET", b"a", b"9", b"EX", b"0"]),
                cmd(&[b"SET", b"a", b"9", b"EX"]),
                cmd(&[b"SET", b"a", b"9", b"EXAT", b"1"]),
                cmd(&[b"EXISTS", b"a"]),
                cmd(&[b"SET", b"a", b"9", b"ex", b"100", b"get", b"nx"]),
                cmd(&[b"GETEX", b"a", b"PERSIST"]),
                cmd(&[b"TTL", b"a"]),
                cmd(&[b"GETEX", b"a", b"EXAT", b"1"]),
                cmd(&[b"GET", b"a"]),
                cmd(&[b"GETEX", b"zz", b"EX", b"abc"]),
                cmd(&[b"GETEX", b"zz", b"PERSIST", b"EX", b"10"]),
            ],
        ),
        (
            "expire options",
            vec![
                cmd(&[b"SET", b"e", b"v"]),
                cmd(&[b"EXPIREAT", b"e", far, b"XX"]),
                cmd(&[b"EXPIREAT", b"e", far, b"GT"]),
                cmd(&[b"EXPIREAT", b"e", far, b"LT"]),
                cmd(&[b"EXPIREAT", b"e", far, b"NX"]),
                cmd(&[b"EXPIRETIME", b"e"]),
                cmd(&[b"EXPIREAT", b"e", far, b"XX"]),
                cmd(&[b"PEXPIREAT", b"e", far_ms, b"LT"]),
                cmd(&[b"PEXPIREAT", b"e", far_ms, b"GT"]),
                cmd(&[b"PEXPIRETIME", b"e"]),
                cmd(&[b"PERSIST", b"e"]),
                cmd(&[b"PERSIST", b"e"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"NX", b"XX"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"GT", b"LT"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"NX", b"GT"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"FOO"]),
                cmd(&[b"EXPIRE", b"e", b"9223372036854775807"]),
                cmd(&[b"PEXPIRE", b"e", b"9223372036854775807"]),
                cmd(&[b"EXPIREAT", b"e", b"9223372036854775807"]),
                cmd(&[b"PEXPIREAT", b"e", b"9223372036854775807"]),
                cmd(&[b"PEXPIRETIME", b"e"]),
                cmd(&[b"EXPIRE", b"e", b"-1"]),
                cmd(&[b"EXISTS", b"e"]),
                cmd(&[b"EXPIRE", b"e", b"100"]),
                cmd(&[b"TTL", b"e"]),
                cmd(&[b"PTTL", b"e"]),
                cmd(&[b"EXPIRETIME", b"e"]),
            ],
        ),
        (
            "ranges",
            vec![
                cmd(&[b"SET", b"r", b"Hello World"]),
                cmd(&[b"GETRANGE", b"r", b"0", b"3"]),
                cmd(&[b"GETRANGE", b"r", b"-3", b"-1"]),
                cmd(&[b"GETRANGE", b"r", b"0", b"-1"]),
                cmd(&[b"GETRANGE", b"r", b"10", b"100"]),
                cmd(&[b"GETRANGE", b"r", b"5", b"3"]),
                cmd(&[b"GETRANGE", b"r", b"-100", b"-50"]),
                cmd(&[b"GETRANGE", b"r", b"-1", b"-100"]),
                cmd(&[b"GETRANGE", b"nokey", b"0", b"-1"]),
                cmd(&[b"SETRANGE", b"r", b"6", b"Redis"]),
                cmd(&[b"SETRANGE", b"r", b"20", b"!"]),
                cmd(&[b"GET", b"r"]),
                cmd(&[b"SETRANGE", b"r2", b"3", b""]),
                cmd(&[b"EXISTS", b"r2"]),
                cmd(&[b"SETRANGE", b"r2", b"3", b"x"]),
                cmd(&[b"GET", b"r2"]),
                cmd(&[b"SETRANGE", b"r2", b"536870912", b"x"]),
                cmd(&[b"SETRANGE", b"r2", b"-1", b"x"]),
                cmd(&[b"SET", b"i", b"12345"]),
                cmd(&[b"SETRANGE", b"i", b"1", b"9"]),
                cmd(&[b"GET", b"i"]),
                cmd(&[b"STRLEN", b"i"]),
                cmd(&[b"APPEND", b"i", b"6"]),
                cmd(&[b"INCR", b"i"]),
            ],
        ),
        (
            "cross-shard multi-key",
            vec![
                cmd(&[
                    b"MSET", b"k1", b"a", b"k2", b"b", b"k3", b"c", b"k4", b"d", b"k5", b"e",
                ]),
                cmd(&[b"MGET", b"k1", b"k2", b"k3", b"k4", b"k5", b"k6"]),
                cmd(&[b"MSETNX", b"k6", b"f", b"k1", b"x"]),
                cmd(&[b"MSETNX", b"k6", b"f", b"k7", b"g"]),
                cmd(&[b"MSET", b"k1", b"first", b"k1", b"second"]),
                cmd(&[b"GET", b"k1"]),
                cmd(&[b"EXISTS", b"k1", b"k1", b"k2", b"nokey"]),
                cmd(&[b"TOUCH", b"k1", b"k2", b"nokey"]),
                cmd(&[b"DEL", b"k1", b"k2", b"k1", b"nokey"]),
                cmd(&[b"UNLINK", b"k3", b"k4"]),
                cmd(&[b"DBSIZE"]),
                cmd(&[b"RENAME", b"k5", b"k9"]),
                cmd(&[b"RENAME", b"k5", b"k9"]),
                cmd(&[b"RENAMENX", b"k9", b"k6"]),
                cmd(&[b"RENAMENX", b"k9", b"k9"]),
                cmd(&[b"RENAME", b"k9", b"k9"]),
                cmd(&[b"RENAME", b"{t}a", b"{t}b"]),
                cmd(&[b"SET", b"{t}a", b"tagged"]),
                cmd(&[b"RENAME", b"{t}a", b"{t}b"]),
                cmd(&[b"GET", b"{t}b"]),
                cmd(&[b"COPY", b"{t}b", b"k10"]),
                cmd(&[b"COPY", b"{t}b", b"k10"]),
                cmd(&[b"COPY", b"{t}b", b"k10", b"REPLACE"]),
                cmd(&[b"COPY", b"{t}b", b"{t}b"]),
                cmd(&[b"COPY", b"{t}b", b"{t}b", b"DB", b"1"]),
                cmd(&[b"COPY", b"{t}b", b"k11", b"DB", b"16"]),
                cmd(&[b"COPY", b"{t}b", b"k11", b"DB", b"x"]),
                cmd(&[b"MSET", b"k1"]),
                // An arity error must not execute any part of the command.
                cmd(&[b"MSET", b"odd1", b"v", b"odd2", b"w", b"odd3"]),
                cmd(&[b"EXISTS", b"odd1", b"odd2", b"odd3"]),
                cmd(&[b"MSETNX", b"odd1", b"v", b"odd2", b"w", b"odd3"]),
                cmd(&[b"EXISTS", b"odd1", b"odd2", b"odd3"]),
                cmd(&[b"MGET"]),
            ],
        ),
        (
            "databases",
            vec![
                cmd(&[b"SET", b"d", b"zero"]),
                cmd(&[b"MOVE", b"d", b"1"]),
                cmd(&[b"MOVE", b"d", b"1"]),
                cmd(&[b"EXISTS", b"d"]),
                cmd(&[b"SELECT", b"1"]),
                cmd(&[b"GET", b"d"]),
                cmd(&[b"MOVE", b"d", b"1"]),
                cmd(&[b"MOVE", b"d", b"16"]),
                cmd(&[b"SWAPDB", b"0", b"1"]),
                cmd(&[b"GET", b"d"]),
                cmd(&[b"DBSIZE"]),
                cmd(&[b"SELECT", b"0"]),
                cmd(&[b"GET", b"d"]),
                cmd(&[b"SWAPDB", b"0", b"16"]),
                cmd(&[b"SWAPDB", b"x", b"0"]),
                cmd(&[b"SWAPDB", b"0", b"x"]),
                cmd(&[b"SELECT", b"16"]),
                cmd(&[b"SELECT", b"-1"]),
                cmd(&[b"SELECT", b"x"]),
                cmd(&[b"FLUSHDB", b"x"]),
                cmd(&[b"FLUSHDB", b"ASYNC"]),
                cmd(&[b"DBSIZE"]),
                cmd(&[b"SELECT", b"1"]),
                cmd(&[b"DBSIZE"]),
                cmd(&[b"FLUSHALL", b"SYNC"]),
                cmd(&[b"DBSIZE"]),
            ],
        ),
        (
            "errors",
            vec![
                cmd(&[b"GET"]),
                cmd(&[b"GET", b"a", b"b"]),
                cmd(&[b"get"]),
                cmd(&[b"SET", b"a"]),
                cmd(&[b"FOO"]),
                cmd(&[b"FOO", b"a", b"b"]),
                cmd(&[b"foo", b"a\r\nb"]),
                cmd(&[b"FOO", &[b'x'; 200]]),
                cmd(&[b"FOO", b"nul\x00byte", b"z"]),
                cmd(&[b"FOO", b"\xff\xfe", b"caf\xc3\xa9"]),
                cmd(&[b"SET", b"e", b"v"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"\xffbad"]),
                cmd(&[b"EXPIRE", b"e", b"100", b"bad\r\nopt"]),
                cmd(&[b"COPY", b"e", b"f", b"DB", b"16", b"BOGUS"]),
                cmd(&[b"COPY", b"e", b"f", b"BOGUS", b"DB", b"16"]),
                cmd(&[b"ECHO"]),
                cmd(&[b"ECHO", b""]),
                cmd(&[b"PING", b"a", b"b"]),
                cmd(&[b"PING", b""]),
                cmd(&[b"DBSIZE", b"x"]),
                cmd(&[b"TYPE", b"nokey"]),
                cmd(&[b"SET", b"t", b""]),
                cmd(&[b"TYPE", b"t"]),
                cmd(&[b"STRLEN", b"t"]),
                cmd(&[b"GETDEL", b"t"]),
                cmd(&[b"GETDEL", b"t"]),
                cmd(&[b"SETEX", b"t", b"0", b"v"]),
                cmd(&[b"PSETEX", b"t", b"-1", b"v"]),
                cmd(&[b"SETEX", b"t", b"abc", b"v"]),
                cmd(&[b"SETNX", b"t", b"v"]),
                cmd(&[b"SETNX", b"t", b"w"]),
                cmd(&[b"GETSET", b"t", b"x"]),
                cmd(&[b"GETSET", b"u", b"x"]),
            ],
        ),
    ]
}

#[test]
fn regression_sequences_match_redis() {
    require_redis!();
    let mut pair = Pair::start();
    for (name, cmds) in regression_sequences() {
        let reset = [cmd(&[b"FLUSHALL"]), cmd(&[b"SELECT", b"0"])];
        run(&mut pair, &reset, 10, name);
        // Once command by command, once as one pipeline.
        run(&mut pair, &cmds, 1, name);
        run(&mut pair, &reset, 10, name);
        run(&mut pair, &cmds, cmds.len(), name);
    }
}
