//! Random Lua scripts for the oracle: EVAL, EVALSHA after SCRIPT LOAD, EVAL_RO/EVALSHA_RO
//! (which refuse writes), SCRIPT EXISTS/FLUSH, bad numkeys and shebangs.
//!
//! A script is a few statements calling redis.call, redis.pcall or pcall(redis.call, ...) over
//! string, hash, list, set and sorted-set commands, some statements deriving values from
//! earlier ones (fractions, nested tables, types, sha1hex), and a return that converts those
//! values back: the raw reply, tables stopping at a nil, false/true, numbers with fractions,
//! status and error tables, redis.status_reply/error_reply, cjson.encode, errors raised.
//! Keys come from KEYS, or are built inside the script from ARGV or literals (undeclared).
//!
//! Nondeterminism is designed out:
//! * no TIME, no random commands, no math.random, no tostring of tables (an address);
//! * SMEMBERS/SINTER/SUNION (hash order) are sorted in Lua before they are used (the test
//!   servers run in the C locale, so Lua's string comparison is bytewise on both);
//! * whole-collection reads only go to this family's keys (`lua0`..`lua9`), which only
//!   scripts write, with small fields and values, so hashes stay listpacks in insertion order;
//!   keys of the common pool (reached through ARGV) only get commands with exact replies;
//! * no number a script returns can fall outside i64 (Redis converts with a C cast, whose
//!   result out of range is the CPU's), and cjson only encodes arrays and one-key tables.
//!
//! Script bodies come from seeds: half from a fresh random seed, half from a small set of
//! stock seeds, so that the same body is loaded, run by SHA, flushed and run again.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `lua0`..`lua9`.
pub const PREFIX: &str = "lua";

/// How many stock script seeds there are.
const STOCK: u64 = 30;

/// Lua expressions for values: strings and numbers, some of them not numbers for Redis, some
/// fractions that Redis sees as `%.17g` (0.1 -> "0.10000000000000001").
const VALUES: &[&str] = &[
    "'1'", "'-3'", "'10'", "'abc'", "'2.5'", "''", "'x y'", "'007'", "3", "-7", "2.5", "0.1",
    "1e3", "'1e3'", "' 1'", "'inf'",
];

const FIELDS: &[&str] = &[
    "'f1'",
    "'f2'",
    "'f3'",
    "'tokens'",
    "'last_refill'",
    "''",
    "1",
];

const MEMBERS: &[&str] = &["'a'", "'b'", "'c'", "'1'", "'2'", "'10'", "''", "3"];

const SCORES: &[&str] = &[
    "1", "'2'", "-1.5", "'inf'", "'-inf'", "'x'", "0.1", "'3e2'", "0",
];

const INDEXES: &[&str] = &["0", "-1", "1", "'2'", "-100", "100", "'x'", "1.5"];

const INCREMENTS: &[&str] = &["1", "-1", "'5'", "10", "'x'", "2.5", "'-2'", "0"];

const FLOAT_INCREMENTS: &[&str] = &["1", "0.5", "'-1.25'", "'x'", "1e2", "'0.1'"];

/// Values passed in ARGV: short, some binary.
const ARGV_VALUES: &[&[u8]] = &[
    b"1",
    b"-2",
    b"hello",
    b"",
    b"3.75",
    b"a\x00b",
    b"\xff\xfe",
    b"12345678901",
    b"x y z",
];

/// Shebang lines (most scripts have none).
const SHEBANGS: &[&str] = &[
    "#!lua",
    "#!lua",
    "#!lua flags=no-writes",
    "#!lua flags=no-writes",
    "#!lua flags=allow-oom",
    "#!lua flags=no-writes,allow-oom",
    "#!lua flags=no-cluster",
    "#!lua flags=bogus",
    "#!lua name=x",
    "#!notlua",
];

/// A generated script and what it is called with.
struct Script {
    body: String,
    keys: Vec<Vec<u8>>,
    argv: Vec<Vec<u8>>,
}

impl Script {
    fn sha(&self) -> String {
        redis::Script::new(&self.body).get_hash().to_string()
    }
}

/// The types of this family's keys: `lua0`/`lua1` hold strings, `lua2`/`lua3` hashes, and so
/// on, unless a script writes the wrong type to one (which it does now and then, for WRONGTYPE).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Str,
    Hash,
    List,
    Set,
    Zset,
}

const KINDS: [Kind; 5] = [Kind::Str, Kind::Hash, Kind::List, Kind::Set, Kind::Zset];

/// Keys of this family per kind.
const KEYS_PER_KIND: usize = super::FAMILY_KEYS / KINDS.len();

/// Builds one script from its own random stream.
struct Builder {
    rng: StdRng,
    /// The kinds this script mostly works on.
    kinds: Vec<Kind>,
    /// Whether the script mostly reads (meant for EVAL_RO).
    reads: bool,
    lines: Vec<String>,
    keys: Vec<Vec<u8>>,
    argv: Vec<Vec<u8>>,
    /// Locals `v1`..`vN` defined so far.
    vars: usize,
    /// Whether the `sorted` helper is needed.
    sorts: bool,
}

impl Builder {
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.rng.gen_range(0..v.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p)
    }

    /// Adds an ARGV element; returns its Lua index.
    fn arg(&mut self, v: Vec<u8>) -> usize {
        self.argv.push(v);
        self.argv.len()
    }

    /// The index of a family key of `kind`.
    fn index_of(&mut self, kind: Kind) -> usize {
        kind as usize * KEYS_PER_KIND + self.rng.gen_range(0..KEYS_PER_KIND)
    }

    /// A Lua expression naming a key of this family that holds `kind` (now and then any key
    /// of the family): from KEYS when it is declared, else built from ARGV or a literal.
    fn key(&mut self, kind: Kind) -> String {
        let index = if self.chance(0.02) {
            self.rng.gen_range(0..super::FAMILY_KEYS)
        } else {
            self.index_of(kind)
        };
        let name = super::family_key(PREFIX, index);
        let declared: Vec<usize> = (0..self.keys.len())
            .filter(|&i| self.keys[i] == name)
            .collect();
        match self.rng.gen_range(0..10) {
            0..=6 if !declared.is_empty() => {
                format!(
                    "KEYS[{}]",
                    declared[self.rng.gen_range(0..declared.len())] + 1
                )
            }
            0..=7 => {
                let i = self.arg(index.to_string().into_bytes());
                format!("'{PREFIX}' .. ARGV[{i}]")
            }
            _ => format!("'{PREFIX}{index}'"),
        }
    }

    /// A key for a command whose reply is exact whatever the key holds: sometimes a key of the
    /// common pool, through ARGV.
    fn any_key(&mut self, kind: Kind) -> String {
        if self.chance(0.3) {
            let pool = super::key_pool();
            let k = pool[self.rng.gen_range(0..pool.len())].clone();
            format!("ARGV[{}]", self.arg(k))
        } else {
            self.key(kind)
        }
    }

    /// A value expression: a literal, or an ARGV element.
    fn value(&mut self) -> String {
        if self.chance(0.25) {
            let v = ARGV_VALUES[self.rng.gen_range(0..ARGV_VALUES.len())].to_vec();
            format!("ARGV[{}]", self.arg(v))
        } else {
            self.pick(VALUES).to_string()
        }
    }

    /// A command name in random letter case (redis.call does not care).
    fn name(&mut self, n: &str) -> String {
        let n = if self.chance(0.2) {
            n.to_ascii_lowercase()
        } else {
            n.to_string()
        };
        format!("'{n}'")
    }

    /// A redis command as Lua arguments, and whether its reply must be sorted.
    fn command(&mut self) -> (Vec<String>, bool) {
        let kind = if self.chance(0.85) {
            self.kinds[self.rng.gen_range(0..self.kinds.len())]
        } else {
            KINDS[self.rng.gen_range(0..KINDS.len())]
        };
        let write = !self.reads || self.chance(0.05);
        let r = self.rng.gen_range(0..100);
        if r < 6 {
            return (self.refused(), false);
        }
        if r < 18 {
            return (self.any_read(kind), false);
        }
        let k = self.key(kind);
        if r < 21 && write {
            // Also puts back the type of a key that got a wrong one.
            return (vec![self.name("DEL"), k], false);
        }
        match (kind, write) {
            (Kind::Str, true) => (self.string_write(k), false),
            (Kind::Str, false) => (self.string_read(k), false),
            (Kind::Hash, true) => (self.hash_write(k), false),
            (Kind::Hash, false) => (self.hash_read(k), false),
            (Kind::List, true) => (self.list_write(k), false),
            (Kind::List, false) => (self.list_read(k), false),
            (Kind::Set, true) => (self.set_write(k), false),
            (Kind::Set, false) => self.set_read(k),
            (Kind::Zset, true) => (self.zset_write(k), false),
            (Kind::Zset, false) => (self.zset_read(k), false),
        }
    }

    /// Calls Redis refuses.
    fn refused(&mut self) -> Vec<String> {
        match self.rng.gen_range(0..6) {
            0 => vec![self.name("GET")],
            1 => {
                let k = self.key(Kind::Str);
                vec![self.name("NOSUCHCMD"), k]
            }
            2 => {
                let k = self.key(Kind::Str);
                vec![self.name("SET"), k, "{}".into()]
            }
            3 => {
                let n = self.pick(&["EVAL", "MULTI", "WATCH"]);
                vec![self.name(n), "'return 1'".into(), "0".into()]
            }
            4 => vec!["nil".into()],
            _ => vec![self.name("PING")],
        }
    }

    /// Reads whose reply does not depend on the type the key holds.
    fn any_read(&mut self, kind: Kind) -> Vec<String> {
        let k = self.any_key(kind);
        match self.rng.gen_range(0..5) {
            0 => vec![self.name("EXISTS"), k],
            1 => vec![self.name("TYPE"), k],
            2 => {
                let other = self.any_key(Kind::Str);
                vec![self.name("MGET"), k, other]
            }
            3 => vec![self.name("GET"), k],
            _ => {
                let n = self.pick(&["STRLEN", "LLEN", "SCARD", "HLEN", "ZCARD"]);
                vec![self.name(n), k]
            }
        }
    }

    fn string_write(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..9) {
            0..=2 => {
                let mut a = vec![self.name("SET"), k, self.value()];
                if self.chance(0.3) {
                    let o = self.pick(&["'NX'", "'XX'", "'GET'", "'KEEPTTL'", "'BOGUS'"]);
                    a.push(o.into());
                }
                a
            }
            3 => {
                let n = self.pick(&["INCR", "DECR"]);
                vec![self.name(n), k]
            }
            4..=5 => {
                let n = self.pick(&["INCRBY", "DECRBY"]);
                vec![self.name(n), k, self.pick(INCREMENTS).into()]
            }
            6 => vec![
                self.name("INCRBYFLOAT"),
                k,
                self.pick(FLOAT_INCREMENTS).into(),
            ],
            _ => vec![self.name("APPEND"), k, self.value()],
        }
    }

    fn string_read(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..3) {
            0 => vec![self.name("GET"), k],
            1 => vec![self.name("STRLEN"), k],
            _ => vec![
                self.name("GETRANGE"),
                k,
                self.pick(INDEXES).into(),
                self.pick(INDEXES).into(),
            ],
        }
    }

    fn hash_write(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..7) {
            0..=2 => {
                let mut a = vec![self.name("HSET"), k];
                for _ in 0..self.rng.gen_range(1..=2) {
                    a.push(self.pick(FIELDS).into());
                    a.push(self.value());
                }
                a
            }
            3..=4 => vec![
                self.name("HINCRBY"),
                k,
                self.pick(FIELDS).into(),
                self.pick(INCREMENTS).into(),
            ],
            5 => vec![
                self.name("HINCRBYFLOAT"),
                k,
                self.pick(FIELDS).into(),
                self.pick(FLOAT_INCREMENTS).into(),
            ],
            _ => vec![self.name("HDEL"), k, self.pick(FIELDS).into()],
        }
    }

    fn hash_read(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..5) {
            0 => vec![self.name("HGET"), k, self.pick(FIELDS).into()],
            1 => vec![
                self.name("HMGET"),
                k,
                self.pick(FIELDS).into(),
                self.pick(FIELDS).into(),
            ],
            2 => vec![self.name("HEXISTS"), k, self.pick(FIELDS).into()],
            3 => vec![self.name("HLEN"), k],
            _ => vec![self.name("HGETALL"), k],
        }
    }

    fn list_write(&mut self, k: String) -> Vec<String> {
        if self.chance(0.6) {
            let n = self.pick(&["LPUSH", "RPUSH"]);
            let mut a = vec![self.name(n), k];
            for _ in 0..self.rng.gen_range(1..=2) {
                a.push(self.value());
            }
            a
        } else {
            let n = self.pick(&["LPOP", "RPOP"]);
            let mut a = vec![self.name(n), k];
            if self.chance(0.3) {
                a.push(self.pick(&["2", "'0'", "-1", "'x'"]).into());
            }
            a
        }
    }

    fn list_read(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..4) {
            0..=1 => vec![
                self.name("LRANGE"),
                k,
                self.pick(INDEXES).into(),
                self.pick(INDEXES).into(),
            ],
            2 => vec![self.name("LINDEX"), k, self.pick(INDEXES).into()],
            _ => vec![self.name("LLEN"), k],
        }
    }

    fn set_write(&mut self, k: String) -> Vec<String> {
        if self.chance(0.75) {
            let mut a = vec![self.name("SADD"), k];
            for _ in 0..self.rng.gen_range(1..=3) {
                a.push(self.pick(MEMBERS).into());
            }
            a
        } else {
            vec![self.name("SREM"), k, self.pick(MEMBERS).into()]
        }
    }

    /// Set reads; replies in hash order are sorted in the script.
    fn set_read(&mut self, k: String) -> (Vec<String>, bool) {
        match self.rng.gen_range(0..5) {
            0 => (
                vec![self.name("SISMEMBER"), k, self.pick(MEMBERS).into()],
                false,
            ),
            1 => (vec![self.name("SCARD"), k], false),
            2..=3 => (vec![self.name("SMEMBERS"), k], true),
            _ => {
                let n = self.pick(&["SINTER", "SUNION", "SDIFF"]);
                let other = self.key(Kind::Set);
                (vec![self.name(n), k, other], true)
            }
        }
    }

    fn zset_write(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..5) {
            0..=2 => {
                let mut a = vec![self.name("ZADD"), k];
                if self.chance(0.15) {
                    a.push(
                        self.pick(&["'NX'", "'XX'", "'GT'", "'CH'", "'INCR'"])
                            .into(),
                    );
                }
                for _ in 0..self.rng.gen_range(1..=2) {
                    a.push(self.pick(SCORES).into());
                    a.push(self.pick(MEMBERS).into());
                }
                a
            }
            3 => vec![
                self.name("ZINCRBY"),
                k,
                self.pick(SCORES).into(),
                self.pick(MEMBERS).into(),
            ],
            _ => vec![self.name("ZREM"), k, self.pick(MEMBERS).into()],
        }
    }

    fn zset_read(&mut self, k: String) -> Vec<String> {
        match self.rng.gen_range(0..4) {
            0 => vec![self.name("ZSCORE"), k, self.pick(MEMBERS).into()],
            1 => vec![self.name("ZRANK"), k, self.pick(MEMBERS).into()],
            2 => vec![self.name("ZCARD"), k],
            _ => {
                let mut a = vec![
                    self.name("ZRANGE"),
                    k,
                    self.pick(INDEXES).into(),
                    self.pick(INDEXES).into(),
                ];
                if self.chance(0.5) {
                    a.push("'WITHSCORES'".into());
                }
                a
            }
        }
    }

    fn next_var(&mut self) -> String {
        self.vars += 1;
        format!("v{}", self.vars)
    }

    fn some_var(&mut self) -> Option<String> {
        (self.vars > 0).then(|| format!("v{}", self.rng.gen_range(1..=self.vars)))
    }

    /// One statement: a call of redis, or a value derived from earlier ones.
    fn statement(&mut self) {
        if let Some(prev) = self.some_var().filter(|_| self.chance(0.25)) {
            let derived = match self.rng.gen_range(0..7) {
                0 => format!("type({prev})"),
                1 => format!("type({prev}) == 'number' and {prev} / 4 or {prev}"),
                2 => {
                    let other = self.some_var().unwrap_or_else(|| "false".into());
                    format!("{{{prev}, {other}}}")
                }
                3 => format!("tonumber({prev})"),
                4 => format!("type({prev}) == 'string' and redis.sha1hex({prev}) or {prev}"),
                5 => format!("type({prev}) == 'table' and #{prev} or {prev}"),
                _ => format!("{prev} and true or false"),
            };
            let v = self.next_var();
            self.lines.push(format!("local {v} = {derived}"));
            return;
        }
        let (args, sorted) = self.command();
        let args = args.join(", ");
        let v = self.next_var();
        let call = match self.rng.gen_range(0..20) {
            0..=9 => format!("local {v} = redis.call({args})"),
            10..=16 => format!("local {v} = redis.pcall({args})"),
            _ => format!("local ok{0}, {v} = pcall(redis.call, {args})", self.vars),
        };
        self.lines.push(call);
        if sorted {
            self.sorts = true;
            self.lines.push(format!("{v} = sorted({v})"));
        }
    }

    /// The return statement (or an error raised instead).
    fn ret(&mut self) -> String {
        let all: Vec<String> = (1..=self.vars).map(|i| format!("v{i}")).collect();
        let last = self.some_var().unwrap_or_else(|| "nil".into());
        match self.rng.gen_range(0..100) {
            0..=29 => format!("return {last}"),
            30..=44 => format!("return {{{}}}", all.join(", ")),
            45..=49 => {
                // A nil in the middle: the reply stops there.
                let mut v = all.clone();
                v.insert(self.rng.gen_range(0..=v.len()), "nil".into());
                format!("return {{{}}}", v.join(", "))
            }
            50..=56 => format!("return cjson.encode({{{}}})", all.join(", ")),
            57..=60 => format!("return {{{last}, {{{}}}}}", all.join(", ")),
            61..=65 => {
                let n = self.pick(&["3.7", "-2.5", "0.5", "-0.5", "1e3", "42", "0"]);
                format!("return {n}")
            }
            66..=68 => "return {0.5, -1.9, 2, 'x', true, false}".into(),
            69..=70 => "return true".into(),
            71..=72 => "return false".into(),
            73 => "return".into(),
            74..=75 => format!("return redis.status_reply({})", self.value()),
            76..=77 => format!("return redis.error_reply({})", self.value()),
            78..=79 => format!("return {{ok = {}}}", self.value()),
            80..=81 => format!("return {{err = {}}}", self.value()),
            82..=83 => format!("return {{{last}, {{err = 'inner'}}, {{ok = 'fine'}}}}"),
            84 => "error('boom')".into(),
            85 => "error({err = 'MYERR custom'})".into(),
            86 => "return undefined_global".into(),
            87 => "new_global = 1".into(),
            88 => format!("return redis.sha1hex({})", self.value()),
            89 => format!("return type({last}) == 'table' and #{last} or -1"),
            _ => {
                let (args, sorted) = self.command();
                let call = format!("redis.call({})", args.join(", "));
                if sorted {
                    self.sorts = true;
                    format!("return sorted({call})")
                } else {
                    format!("return {call}")
                }
            }
        }
    }
}

/// The script of `seed`: a shebang sometimes, 1 to 5 statements, a return.
fn script(seed: u64) -> Script {
    let mut rng = StdRng::seed_from_u64(seed);
    let kinds = (0..rng.gen_range(1..=2))
        .map(|_| KINDS[rng.gen_range(0..KINDS.len())])
        .collect();
    let mut b = Builder {
        rng,
        kinds,
        reads: reads_mostly(seed),
        lines: Vec::new(),
        keys: Vec::new(),
        argv: Vec::new(),
        vars: 0,
        sorts: false,
    };
    // Declared keys are mostly of the kinds the script works on.
    for _ in 0..b.rng.gen_range(0..=3) {
        let kind = if b.chance(0.8) {
            b.kinds[b.rng.gen_range(0..b.kinds.len())]
        } else {
            KINDS[b.rng.gen_range(0..KINDS.len())]
        };
        let index = b.index_of(kind);
        b.keys.push(super::family_key(PREFIX, index));
    }
    let shebang = if b.chance(0.08) {
        b.pick(SHEBANGS).to_string() + "\n"
    } else {
        String::new()
    };
    for _ in 0..b.rng.gen_range(1..=5) {
        b.statement();
    }
    let ret = b.ret();
    b.lines.push(ret);
    let helper = if b.sorts {
        "local function sorted(t)\n    if type(t) == 'table' and not t.err then\n        \
         table.sort(t)\n    end\n    return t\nend\n"
    } else {
        ""
    };
    Script {
        body: format!("{shebang}{helper}{}\n", b.lines.join("\n")),
        keys: b.keys,
        argv: b.argv,
    }
}

fn cmd(args: Vec<Vec<u8>>) -> Cmd {
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}

/// `head` (EVAL/EVALSHA/..., then the body or the SHA), numkeys, keys, args.
fn call(g: &mut Gen, head: &str, what: String, s: &Script) -> Cmd {
    let mut a = vec![g.name(head), what.into_bytes()];
    a.push(s.keys.len().to_string().into_bytes());
    a.extend(s.keys.iter().cloned());
    a.extend(s.argv.iter().cloned());
    cmd(a)
}

/// Scripts of every third seed mostly read: the ones EVAL_RO is mostly given.
fn reads_mostly(seed: u64) -> bool {
    seed.is_multiple_of(3)
}

fn stock_seed(g: &mut Gen) -> u64 {
    g.rng.gen_range(0..STOCK)
}

/// A stock seed or a fresh one.
fn any_seed(g: &mut Gen) -> u64 {
    if g.chance(0.5) {
        stock_seed(g)
    } else {
        g.rng.gen()
    }
}

/// A seed of a script that mostly reads, most of the time.
fn ro_seed(g: &mut Gen) -> u64 {
    let seed = any_seed(g);
    if g.chance(0.8) {
        seed - seed % 3
    } else {
        seed
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    let s = script(any_seed(g));
    match g.rng.gen_range(0..100) {
        0..=49 => call(g, "EVAL", s.body.clone(), &s),
        50..=59 => {
            // SCRIPT LOAD, then EVALSHA right after it.
            let evalsha = call(g, "EVALSHA", s.sha(), &s);
            g.queued.push_back(evalsha);
            cmd(vec![g.name("SCRIPT"), g.name("LOAD"), s.body.into_bytes()])
        }
        60..=71 => {
            // By SHA, mostly of a stock script: known if it was loaded or EVALed since the
            // last flush.
            let s = if g.chance(0.9) {
                script(stock_seed(g))
            } else {
                s
            };
            let sha = if g.chance(0.2) {
                s.sha().to_ascii_uppercase()
            } else {
                s.sha()
            };
            call(g, "EVALSHA", sha, &s)
        }
        72..=79 => {
            let s = script(ro_seed(g));
            call(g, "EVAL_RO", s.body.clone(), &s)
        }
        80..=84 => {
            let s = script(ro_seed(g) % STOCK);
            call(g, "EVALSHA_RO", s.sha(), &s)
        }
        85..=88 => {
            // numkeys that do not fit.
            let n = g.pick(&["-1", "abc", "", "100", "1.5", "9223372036854775808"]);
            let mut c = call(g, "EVAL", s.body.clone(), &s);
            c.args[2] = n.into();
            c
        }
        93 if g.chance(0.3) => {
            // Rare, so that stock scripts are mostly known by SHA.
            let mut a = vec![g.name("SCRIPT"), g.name("FLUSH")];
            if g.chance(0.3) {
                a.push(g.pick(&["ASYNC", "SYNC", "x"]).into());
            }
            cmd(a)
        }
        89..=93 => {
            let other = script(any_seed(g));
            let mut a = vec![g.name("SCRIPT"), g.name("EXISTS"), s.sha().into_bytes()];
            a.push(other.sha().into_bytes());
            if g.chance(0.2) {
                a.push(b"not-a-sha".to_vec());
            }
            cmd(a)
        }
        94..=95 => {
            let sub = g.pick(&["LOAD", "EXISTS", "NOSUCH", "KILL", "HELP"]);
            cmd(vec![g.name("SCRIPT"), g.name(sub)])
        }
        96..=97 => {
            let head = g.pick(&["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"]);
            cmd(vec![g.name(head)])
        }
        _ => call(
            g,
            "EVALSHA",
            "ffffffffffffffffffffffffffffffffffffffff".into(),
            &s,
        ),
    }
}

/// Every key this family writes.
fn family_keys() -> impl Iterator<Item = Vec<u8>> {
    (0..super::FAMILY_KEYS).map(|i| super::family_key(PREFIX, i))
}

/// Scripts interleaved with the rest of the oracle's commands, compared with redis-server;
/// then the final state of every key. Not part of `random_commands_match_redis`, so that the
/// oracle's main run does not depend on scripting; `ORACLE_SEED` and `ORACLE_COMMANDS` work
/// the same way here (default 3,000 commands).
#[test]
fn random_scripts_match_redis() {
    ferrokv_tests::require_redis!();
    let (seed, count) = super::seed_and_count(3_000);
    println!("oracle scripts: seed {seed}, {count} commands (replay with ORACLE_SEED={seed})");
    let mut pair = super::Pair::start();
    let mut gen = Gen::new(seed, super::now_secs());
    let cmds: Vec<Cmd> = (0..count)
        .map(|_| {
            if gen.queued.is_empty() && gen.chance(0.6) {
                next(&mut gen)
            } else {
                gen.next()
            }
        })
        .collect();
    super::run(&mut pair, &cmds, 100, &format!("scripts, seed {seed}"));
    let mut checks = Vec::new();
    for db in 0..4 {
        checks.push(cmd(vec![b"SELECT".to_vec(), db.to_string().into_bytes()]));
        checks.push(cmd(vec![b"DBSIZE".to_vec()]));
        for k in super::all_keys().into_iter().chain(family_keys()) {
            checks.extend(super::dump(&k));
        }
    }
    super::run(
        &mut pair,
        &checks,
        100,
        &format!("scripts, seed {seed}, final state"),
    );
}

/// The generator is worth running: on redis-server, most scripts run to a reply that is not
/// an error, and every kind of reply comes up.
#[test]
fn generated_scripts_mostly_run() {
    ferrokv_tests::require_redis!();
    let server = ferrokv_tests::TestServer::redis(&[]);
    let mut c = server.raw();
    let mut gen = Gen::new(1, super::now_secs());
    let cmds: Vec<Cmd> = (0..2000).map(|_| next(&mut gen)).collect();
    let mut errors = 0;
    let mut kinds = std::collections::BTreeMap::new();
    for chunk in cmds.chunks(100) {
        let args: Vec<Vec<Vec<u8>>> = chunk.iter().map(|c| c.args.clone()).collect();
        for r in c.pipeline(&args) {
            let kind = match &r {
                ferrokv_tests::Resp::Error(e) => {
                    errors += 1;
                    e.split_whitespace().next().unwrap_or("").to_string()
                }
                other => format!("{other:?}").chars().take(1).collect(),
            };
            *kinds.entry(kind).or_insert(0) += 1;
        }
    }
    println!(
        "{errors} errors in {} commands; reply kinds: {kinds:?}",
        cmds.len()
    );
    assert!(errors * 2 < cmds.len(), "{errors} errors: {kinds:?}");
    for kind in ["+", ":", "\"", "[", "(", "ERR", "WRONGTYPE", "NOSCRIPT"] {
        assert!(kinds.contains_key(kind), "no {kind} reply: {kinds:?}");
    }
}
