//! HyperLogLogs: distinct counters kept in string values (Redis's hyperloglog.c). The string
//! is Redis's own representation (see `sketch`), so GET, SET and every PF* reply match
//! Redis's byte for byte.

mod sketch;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::keyspace::Entry;
use crate::notify::KeyspaceEvents;
use crate::shard::{lru_clock, Ctx};
use crate::value::{StrValue, Value};
use sketch::{Corrupt, MaxRegisters};

const ACL_WRITE_FAST: &[&str] = &["write", "hyperloglog", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "hyperloglog", "slow"];
const ACL_WRITE_SLOW: &[&str] = &["write", "hyperloglog", "slow"];
const ACL_DEBUG: &[&str] = &["write", "hyperloglog", "admin", "slow", "dangerous"];
const ACL_SELFTEST: &[&str] = &["hyperloglog", "admin", "slow", "dangerous"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("pfadd", -2, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hyperloglog", "Adds the specified elements to the specified HyperLogLog.", "2.8.9", Some(pfadd), Split::None),
    spec("pfcount", -2, READONLY, (1, -1, 1), ACL_READ_SLOW, "hyperloglog", "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).", "2.8.9", Some(pfcount), Split::Transaction),
    spec("pfmerge", -2, WRITE | DENYOOM, (1, -1, 1), ACL_WRITE_SLOW, "hyperloglog", "Merge N different HyperLogLogs into a single one.", "2.8.9", Some(pfmerge), Split::Transaction),
    spec("pfdebug", 3, WRITE | DENYOOM | ADMIN, (2, 2, 1), ACL_DEBUG, "hyperloglog", "Internal commands for debugging HyperLogLog values", "2.8.9", Some(pfdebug), Split::None),
    spec("pfselftest", 1, ADMIN, (0, 0, 0), ACL_SELFTEST, "hyperloglog", "An internal command for testing HyperLogLog values", "2.8.9", Some(pfselftest), Split::None),
];

fn corrupt(_: Corrupt) -> CmdError {
    CmdError::other("INVALIDOBJ Corrupted HLL object detected")
}

/// The bytes of a string holding an HLL; Redis's own WRONGTYPE text for any other string.
fn hll_bytes(s: &StrValue) -> Result<&[u8], CmdError> {
    match s {
        StrValue::Emb(b) | StrValue::Raw(b) if sketch::is_hll(b) => Ok(b),
        _ => Err(CmdError::other(
            "WRONGTYPE Key is not a valid HyperLogLog string value.",
        )),
    }
}

/// The HLL string of an entry, ready to be edited.
fn hll_mut(e: &mut Entry) -> Result<&mut StrValue, CmdError> {
    let s = e.value.as_str_mut().ok_or(CmdError::WrongType)?;
    hll_bytes(s)?;
    Ok(s)
}

/// Adds `elements`; whether a register changed. Stops at a corrupt sparse HLL, keeping what
/// was already added, as Redis does.
fn add_all(s: &mut BytesMut, elements: &[Bytes]) -> Result<bool, CmdError> {
    let mut changed = false;
    for element in elements {
        changed |= sketch::add(s, element).map_err(corrupt)?;
    }
    Ok(changed)
}

fn pfadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, elements) = (&args[1], &args[2..]);
    let changed = match ctx.write(key) {
        Some(e) => hll_mut(e)?.edit_raw(|s| {
            let changed = add_all(s, elements)?;
            if changed {
                sketch::invalidate_cache(s);
            }
            Ok::<_, CmdError>(changed)
        })?,
        None => {
            let mut s = sketch::new_sparse();
            add_all(&mut s, elements)?;
            sketch::invalidate_cache(&mut s);
            let now = ctx.now_ms;
            ctx.ks()
                .insert(key, Value::Str(StrValue::Raw(s.freeze())), None, now);
            true
        }
    };
    if changed {
        ctx.notify(KeyspaceEvents::STRING, "pfadd", key);
    }
    Ok(Reply::Int(changed as i64))
}

/// The register-wise maximum of the HLLs at `keys` (missing keys count as empty), and
/// whether any of them is dense.
fn merge_keys(ctx: &mut Ctx<'_>, keys: &[Bytes]) -> Result<(MaxRegisters, bool), CmdError> {
    let mut max = MaxRegisters::new();
    let mut any_dense = false;
    for key in keys {
        let Some(e) = ctx.read(key) else { continue };
        let s = hll_bytes(e.value.as_str().ok_or(CmdError::WrongType)?)?;
        any_dense |= sketch::is_dense(s);
        max.merge(s).map_err(corrupt)?;
    }
    Ok((max, any_dense))
}

fn pfcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len() > 2 {
        // The union's cardinality; nothing is stored.
        let (max, _) = merge_keys(ctx, &args[1..])?;
        return Ok(Reply::Int(max.count() as i64));
    }
    let Some(e) = ctx.read(&args[1]) else {
        return Ok(Reply::Int(0));
    };
    // Even a read makes the value `raw`: Redis unshares it to be able to update the cache.
    let count = hll_mut(e)?.edit_raw(|s| match sketch::cached_count(s) {
        Some(n) => Ok(n),
        None => {
            let n = sketch::count(s).map_err(corrupt)?;
            sketch::set_cached_count(s, n);
            Ok::<_, CmdError>(n)
        }
    })?;
    Ok(Reply::Int(count as i64))
}

fn pfmerge(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // The destination is one of the sources.
    let (max, any_dense) = merge_keys(ctx, &args[1..])?;
    let now = ctx.now_ms;
    let e = ctx.ks().get_or_insert_with(&args[1], now, || {
        Value::Str(StrValue::Raw(sketch::new_sparse().freeze()))
    });
    e.access = lru_clock(now);
    hll_mut(e)?
        .edit_raw(|s| {
            // Redis goes dense only when a source is dense, to spare a conversion later.
            if any_dense {
                sketch::to_dense(s)?;
            }
            max.store_into(s)
        })
        .map_err(corrupt)?;
    ctx.notify(KeyspaceEvents::STRING, "pfadd", &args[1]);
    Ok(Reply::ok())
}

fn pfdebug(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (sub, key) = (&args[1], &args[2]);
    let Some(e) = ctx.write(key) else {
        return Err(CmdError::other("ERR The specified key does not exist"));
    };
    hll_mut(e)?.edit_raw(|s| {
        if args::is(sub, "GETREG") {
            // Converts for good, as in Redis.
            sketch::to_dense(s).map_err(corrupt)?;
            let registers = sketch::dense_registers(s).map(|r| Reply::Int(r as i64));
            Ok(Reply::Array(registers.collect()))
        } else if args::is(sub, "DECODE") {
            if sketch::is_dense(s) {
                return Err(CmdError::other("ERR HLL encoding is not sparse"));
            }
            Ok(Reply::Bulk(Bytes::from(sketch::decode(s))))
        } else if args::is(sub, "ENCODING") {
            let name = if sketch::is_dense(s) {
                "dense"
            } else {
                "sparse"
            };
            Ok(Reply::simple(name))
        } else if args::is(sub, "TODENSE") {
            let converted = sketch::to_dense(s).map_err(corrupt)?;
            Ok(Reply::Int(converted as i64))
        } else {
            Err(args::error_format(&[
                b"ERR Unknown PFDEBUG subcommand '",
                args::c_str(sub),
                b"'",
            ]))
        }
    })
}

/// Redis's sizes: 1000 rounds of register checks, up to ten million elements.
fn pfselftest(ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    sketch::self_test(&mut ctx.shard.rng, 1000, 10_000_000)
        .map_err(|e| CmdError::other(format!("ERR {e}")))?;
    Ok(Reply::ok())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::string::test_support::*;

    const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";

    fn raw(b: &[u8]) -> Reply {
        Reply::Bulk(Bytes::copy_from_slice(b))
    }

    fn set(t: &mut TestShard, key: &str, value: &[u8]) {
        assert_eq!(t.run_bytes(&[b"set", key.as_bytes(), value]), ok());
    }

    /// A key of another type, planted directly: this family has no command to create one.
    pub(crate) fn plant_hash(t: &mut TestShard, key: &str) {
        let value = Value::Hash(Box::default());
        t.shard.db_mut(0).insert(key.as_bytes(), value, None, t.now);
    }

    #[test]
    fn pfadd_creates_and_counts() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "pfadd h",
            "pfadd h",
            "object encoding h",
            "pfadd h a b c",
            "pfdebug decode h",
            "pfcount h",
            "pfadd h a",
            "pfdebug encoding h",
            "pfdebug todense h",
            "pfdebug todense h",
            "pfdebug decode h",
            "pfdebug foo h",
            "pfdebug foo nokey",
            "pfcount nokey",
        ]);
        assert_eq!(
            replies,
            vec![
                int(1),
                int(0),
                bulk("raw"),
                int(1),
                bulk("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"),
                int(3),
                int(0),
                Reply::simple("sparse"),
                int(1),
                int(0),
                err("ERR HLL encoding is not sparse"),
                err("ERR Unknown PFDEBUG subcommand 'foo'"),
                err("ERR The specified key does not exist"),
                int(0),
            ]
        );
    }

    #[test]
    fn bytes_and_cache_match_redis() {
        let mut t = TestShard::new();
        t.run(&["pfadd", "h"]);
        assert_eq!(
            t.run(&["get", "h"]),
            raw(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff")
        );
        t.run(&["del", "h"]);
        assert_eq!(t.run(&["pfadd", "h", "a"]), int(1));
        assert_eq!(
            t.run(&["get", "h"]),
            raw(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80q\xa6\x84NW")
        );
        assert_eq!(t.run(&["pfcount", "h"]), int(1));
        assert_eq!(
            t.run(&["get", "h"]),
            raw(b"HYLL\x01\0\0\0\x01\0\0\0\0\0\0\0q\xa6\x84NW")
        );
        // A cached count is believed, and reading it makes the value raw.
        set(&mut t, "c", b"HYLL\x01\0\0\0\x05\0\0\0\0\0\0\0\x7f\xff");
        assert_eq!(t.run(&["object", "encoding", "c"]), bulk("embstr"));
        assert_eq!(t.run(&["pfcount", "c"]), int(5));
        assert_eq!(t.run(&["object", "encoding", "c"]), bulk("raw"));
    }

    #[test]
    fn wrong_and_corrupt_values() {
        let mut t = TestShard::new();
        set(&mut t, "s", b"foo");
        set(&mut t, "i", b"12345678901234567");
        set(&mut t, "short", b"HYLL\x01\0\0\0");
        set(&mut t, "enc2", b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff");
        set(&mut t, "dense", b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff");
        set(&mut t, "bad", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe");
        set(&mut t, "empty", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80");
        plant_hash(&mut t, "l");
        for (cmd, want) in [
            ("pfadd s a", err(NOT_HLL)),
            ("pfadd i a", err(NOT_HLL)),
            ("pfcount short", err(NOT_HLL)),
            ("pfcount enc2", err(NOT_HLL)),
            ("pfcount dense", err(NOT_HLL)),
            ("pfcount h s", err(NOT_HLL)),
            ("pfmerge d s", err(NOT_HLL)),
            ("pfdebug getreg s", err(NOT_HLL)),
            ("pfadd l a", err(WRONGTYPE)),
            ("pfcount l", err(WRONGTYPE)),
            ("pfcount nokey l", err(WRONGTYPE)),
            ("pfmerge l", err(WRONGTYPE)),
            ("pfcount bad", err(INVALID)),
            // The register of "a" is covered by the runs there are.
            ("pfadd bad a", int(1)),
            ("pfcount bad bad", err(INVALID)),
            ("pfmerge bad", err(INVALID)),
            ("pfmerge x bad", err(INVALID)),
            ("exists x", int(0)),
            ("pfcount empty", err(INVALID)),
            ("pfadd empty a", err(INVALID)),
            ("pfdebug decode empty", bulk("")),
            ("pfdebug getreg empty", err(INVALID)),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }

    #[test]
    fn merge_keeps_sparse_unless_a_source_is_dense() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "pfadd h1 a b c",
            "pfadd h2 c d e",
            "pfmerge d h1 h2",
            "pfdebug encoding d",
            "pfdebug decode d",
            "pfcount d",
            "pfcount h1 h2 nokey",
            "pfdebug todense h2",
            "pfmerge d2 h1 h2",
            "pfdebug encoding d2",
            "pfcount d2",
            "pfmerge new",
        ]);
        assert_eq!(
            replies,
            vec![
                int(1),
                int(1),
                ok(),
                Reply::simple("sparse"),
                bulk("Z:7292 v:1,1 Z:1143 v:1,1 Z:4274 v:2,1 Z:2445 v:1,1 Z:622 v:1,1 Z:603"),
                int(5),
                int(5),
                int(1),
                ok(),
                Reply::simple("dense"),
                int(5),
                ok(),
            ]
        );
        assert_eq!(
            t.run(&["get", "new"]),
            raw(b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff")
        );
        assert_eq!(t.run(&["pfcount", "new"]), int(0));
    }

    #[test]
    fn getreg_converts_to_dense() {
        let mut t = TestShard::new();
        t.run(&["pfadd", "h", "a", "b", "c"]);
        let Reply::Array(regs) = t.run(&["pfdebug", "getreg", "h"]) else {
            panic!("not an array")
        };
        assert_eq!(regs.len(), 16384);
        assert_eq!(regs[12711], int(2));
        assert_eq!(regs.iter().filter(|r| **r != int(0)).count(), 3);
        assert_eq!(t.run(&["pfdebug", "encoding", "h"]), Reply::simple("dense"));
        assert_eq!(t.run(&["strlen", "h"]), int(12304));
    }

    #[test]
    fn sparse_turns_dense_past_its_size_limit() {
        let mut t = TestShard::new();
        let elements: Vec<String> = (0..3000).map(|i| format!("e{i}")).collect();
        let mut cmd = vec!["pfadd", "h"];
        cmd.extend(elements.iter().map(String::as_str));
        assert_eq!(t.run(&cmd), int(1));
        assert_eq!(t.run(&["pfdebug", "encoding", "h"]), Reply::simple("dense"));
        let Reply::Int(n) = t.run(&["pfcount", "h"]) else {
            panic!("not an integer")
        };
        assert!((2900..=3100).contains(&n), "{n}");
    }
}
