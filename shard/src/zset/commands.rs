//! The member-level commands: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK,
//! ZPOPMIN, ZPOPMAX, ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, ZRANDMEMBER, ZSCAN.

use bytes::Bytes;
use ferrokv_protocol::{format_double, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::args;
use crate::blocking::{self, TimeoutUnit};
use crate::error::{CmdError, CmdResult};
use crate::glob;
use crate::keys::{collection_scan_options, scan_cursor, scan_reply};
use crate::shard::Ctx;
use crate::value::Collection;

use super::parse::score_arg;
use super::{notify, notify_removed, SortedSet};

fn bulk(b: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(b))
}

/// A member with its score: `[member, score]` flat in RESP2 and nested in RESP3.
pub(super) fn pairs<'a>(entries: impl Iterator<Item = (&'a [u8], f64)>) -> Reply {
    Reply::Pairs(entries.map(|(m, s)| (bulk(m), Reply::Double(s))).collect())
}

/// ZADD's flags (ZINCRBY is ZADD INCR with one pair).
#[derive(Clone, Copy, Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What adding one pair did, with the member's score after it.
enum Added {
    New(f64),
    Updated(f64),
    /// An existing member given the score it had (or a zero increment).
    Unchanged(f64),
    /// Nothing: NX, XX, GT or LT said no.
    Skipped,
}

fn nan_error() -> CmdError {
    CmdError::other("ERR resulting score is not a number (NaN)")
}

/// Redis's `zsetAdd` for one pair.
fn add_one(z: &mut SortedSet, member: &[u8], score: f64, f: AddFlags) -> Result<Added, CmdError> {
    let Some(current) = z.score(member) else {
        if f.xx {
            return Ok(Added::Skipped);
        }
        z.add(member, score);
        return Ok(Added::New(score));
    };
    if f.nx {
        return Ok(Added::Skipped);
    }
    let score = if f.incr { score + current } else { score };
    if score.is_nan() {
        return Err(nan_error());
    }
    if (f.lt && score >= current) || (f.gt && score <= current) {
        return Ok(Added::Skipped);
    }
    if score == current {
        return Ok(Added::Unchanged(score));
    }
    z.set_score(member, score);
    Ok(Added::Updated(score))
}

pub fn zadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zadd_generic(ctx, args, false)
}

pub fn zincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zadd_generic(ctx, args, true)
}

fn zadd_generic(ctx: &mut Ctx<'_>, args: &[Bytes], incr: bool) -> CmdResult {
    let mut f = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut i = 2;
    while let Some(opt) = args.get(i) {
        let flag = match opt.to_ascii_uppercase().as_slice() {
            b"NX" => &mut f.nx,
            b"XX" => &mut f.xx,
            b"CH" => &mut f.ch,
            b"INCR" => &mut f.incr,
            b"GT" => &mut f.gt,
            b"LT" => &mut f.lt,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let pairs = &args[i..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::other(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::other(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs.len() > 2 {
        return Err(CmdError::other(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks(2)
        .map(|p| score_arg(&p[0]))
        .collect::<Result<Vec<f64>, _>>()?;
    let key = &args[1];
    let exists = ctx.write_as::<SortedSet>(key)?.is_some();
    let (mut added, mut updated, mut last) = (0, 0, None);
    if exists || !f.xx {
        let z = ctx.create_as(key, SortedSet::default)?;
        for (pair, score) in pairs.chunks(2).zip(scores) {
            match add_one(z, &pair[1], score, f)? {
                Added::New(s) => {
                    added += 1;
                    last = Some(s);
                }
                Added::Updated(s) => {
                    updated += 1;
                    last = Some(s);
                }
                Added::Unchanged(s) => last = Some(s),
                Added::Skipped => {}
            }
        }
    }
    if added + updated > 0 {
        notify(ctx, if f.incr { "zincr" } else { "zadd" }, key);
    }
    Ok(if f.incr {
        last.map_or(Reply::Null, Reply::Double)
    } else {
        Reply::Int(if f.ch { added + updated } else { added })
    })
}

pub fn zrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(z) = ctx.write_as::<SortedSet>(key)? else {
        return Ok(Reply::Int(0));
    };
    let mut removed = 0;
    for m in &args[2..] {
        removed += i64::from(z.remove(m));
        if z.is_empty() {
            break;
        }
    }
    if removed > 0 {
        notify_removed(ctx, "zrem", key);
    }
    Ok(Reply::Int(removed))
}

pub fn zscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let z = ctx.read_as::<SortedSet>(&args[1])?;
    Ok(z.and_then(|z| z.score(&args[2]))
        .map_or(Reply::Null, Reply::Double))
}

pub fn zmscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let z = ctx.read_as::<SortedSet>(&args[1])?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| {
                z.as_ref()
                    .and_then(|z| z.score(m))
                    .map_or(Reply::Null, Reply::Double)
            })
            .collect(),
    ))
}

pub fn zcard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let z = ctx.read_as::<SortedSet>(&args[1])?;
    Ok(Reply::Int(z.map_or(0, |z| z.len() as i64)))
}

fn rank_generic(ctx: &mut Ctx<'_>, args: &[Bytes], rev: bool) -> CmdResult {
    let Some(z) = ctx.read_as::<SortedSet>(&args[1])? else {
        return Ok(Reply::Null);
    };
    let len = z.len();
    Ok(z.rank(&args[2]).map_or(Reply::Null, |r| {
        Reply::Int(if rev { len - 1 - r } else { r } as i64)
    }))
}

pub fn zrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, false)
}

pub fn zrevrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rank_generic(ctx, args, true)
}

/// Takes up to `count` entries from the low (or, with `max`, the high) end of the sorted set
/// at `key`, deleting the key when it empties.
fn pop(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    count: usize,
    max: bool,
) -> Result<Vec<(Bytes, f64)>, CmdError> {
    let Some(z) = ctx.write_as::<SortedSet>(key)? else {
        return Ok(Vec::new());
    };
    let len = z.len();
    let n = count.min(len);
    let start = if max { len - 1 } else { 0 };
    let taken: Vec<(Bytes, f64)> = z
        .iter_at(start, max)
        .take(n)
        .map(|(m, s)| (Bytes::copy_from_slice(m), s))
        .collect();
    if max {
        z.remove_ranks(len - n, len);
    } else {
        z.remove_ranks(0, n);
    }
    if n > 0 {
        notify_removed(ctx, if max { "zpopmax" } else { "zpopmin" }, key);
    }
    Ok(taken)
}

fn zpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = args.get(2).map(|c| args::non_negative(c)).transpose()?;
    let key = &args[1];
    if ctx.write_as::<SortedSet>(key)?.is_none() || count == Some(0) {
        return Ok(Reply::Array(Vec::new()));
    }
    let n = count.map_or(1, |c| usize::try_from(c).unwrap_or(usize::MAX));
    let taken = pop(ctx, key, n, max)?;
    Ok(match count {
        Some(_) => pairs(taken.iter().map(|(m, s)| (&m[..], *s))),
        None => Reply::Array(flat(taken).collect()),
    })
}

/// Popped entries as ZPOPMIN without a count answers them: member, score, member, score...
fn flat(taken: Vec<(Bytes, f64)>) -> impl Iterator<Item = Reply> {
    taken
        .into_iter()
        .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
}

pub fn zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zpop_generic(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zpop_generic(ctx, args, true)
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout: `[key, member, score]` from the first non-empty
/// sorted set.
fn bzpop_generic(ctx: &mut Ctx<'_>, args: &[Bytes], max: bool) -> CmdResult {
    let Some((timeout, [_, keys @ ..])) = args.split_last() else {
        return Err(CmdError::Syntax);
    };
    let deadline = blocking::parse_timeout(timeout, TimeoutUnit::Seconds, ctx.now_ms)?;
    let Some(key) = ctx.first_of::<SortedSet>(keys)? else {
        return blocking::nothing_yet(ctx, keys, deadline, Reply::NullArray);
    };
    let taken = pop(ctx, key, 1, max)?;
    let key = Reply::Bulk(key.clone());
    Ok(Reply::Array(
        std::iter::once(key).chain(flat(taken)).collect(),
    ))
}

pub fn bzpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

pub fn bzpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    bzpop_generic(ctx, args, true)
}

/// ZMPOP's MIN or MAX: whether it pops the highest scores.
fn min_or_max(arg: &[u8]) -> Result<bool, CmdError> {
    if args::is(arg, "MIN") {
        Ok(false)
    } else if args::is(arg, "MAX") {
        Ok(true)
    } else {
        Err(CmdError::Syntax)
    }
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count].
pub fn zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (keys, max, count) = args::mpop(args, 1, min_or_max)?;
    Ok(mpop_first(ctx, keys, max, count)?.unwrap_or(Reply::NullArray))
}

/// ZMPOP's `[key, [[member, score], ...]]` from the first of `keys` holding a sorted set;
/// None when none does.
fn mpop_first(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    max: bool,
    count: usize,
) -> Result<Option<Reply>, CmdError> {
    let Some(key) = ctx.first_of::<SortedSet>(keys)? else {
        return Ok(None);
    };
    let popped = pop(ctx, key, count, max)?
        .into_iter()
        .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
        .collect();
    Ok(Some(Reply::Array(vec![
        Reply::Bulk(key.clone()),
        Reply::Array(popped),
    ])))
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the timeout is read after the
/// rest, as Redis does.
pub fn bzmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (keys, max, count) = args::mpop(args, 2, min_or_max)?;
    let deadline = blocking::parse_timeout(&args[1], TimeoutUnit::Seconds, ctx.now_ms)?;
    match mpop_first(ctx, keys, max, count)? {
        Some(reply) => Ok(reply),
        None => blocking::nothing_yet(ctx, keys, deadline, Reply::NullArray),
    }
}

/// Most picks ZRANDMEMBER with a negative count may return. Redis accepts counts down to
/// -(2^63-1) and fills memory trying to build such a reply; this bound (SRANDMEMBER's) keeps a
/// reply under about a gigabyte.
const MAX_REPEATED_PICKS: u64 = 1 << 23;

pub fn zrandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let mut rng = SmallRng::seed_from_u64(ctx.shard.rng.gen());
    let Some(count_arg) = args.get(2) else {
        let Some(z) = ctx.read_as::<SortedSet>(key)? else {
            return Ok(Reply::Null);
        };
        let i = rng.gen_range(0..z.len());
        return Ok(z.get(i).map_or(Reply::Null, |(m, _)| bulk(m)));
    };
    let count = args::int(count_arg)?;
    if count == i64::MIN {
        return Err(CmdError::other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let withscores = match args.get(3) {
        None => false,
        Some(w) if args.len() == 4 && args::is(w, "WITHSCORES") => true,
        Some(_) => return Err(CmdError::Syntax),
    };
    if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other("ERR value is out of range"));
    }
    let Some(z) = ctx.read_as::<SortedSet>(key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count < 0 && count.unsigned_abs() > MAX_REPEATED_PICKS {
        return Err(CmdError::other("ERR value is out of range"));
    }
    let picks = random_picks(z, count, &mut rng).into_iter();
    Ok(if withscores {
        pairs(picks)
    } else {
        Reply::Array(picks.map(|(m, _)| bulk(m)).collect())
    })
}

/// ZRANDMEMBER's picks for `count`: with repetition when negative; distinct otherwise, the
/// whole set (highest score first, as Redis walks it) when `count` covers it.
fn random_picks<'a>(z: &'a SortedSet, count: i64, rng: &mut SmallRng) -> Vec<(&'a [u8], f64)> {
    let len = z.len();
    if count < 0 {
        let n = count.unsigned_abs() as usize;
        return match z {
            SortedSet::Compact(c) => {
                let all = c.pairs();
                (0..n).map(|_| all[rng.gen_range(0..len)]).collect()
            }
            SortedSet::Indexed(x) => (0..n)
                .filter_map(|_| x.scores.get_index(rng.gen_range(0..len)))
                .map(|(m, s)| (&m[..], *s))
                .collect(),
        };
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n >= len {
        return z.iter_at(len - 1, true).collect();
    }
    let chosen = rand::seq::index::sample(rng, len, n);
    match z {
        SortedSet::Compact(c) => {
            let all = c.pairs();
            chosen.into_iter().map(|i| all[i]).collect()
        }
        SortedSet::Indexed(x) => chosen
            .into_iter()
            .filter_map(|i| x.scores.get_index(i))
            .map(|(m, s)| (&m[..], *s))
            .collect(),
    }
}

/// A compact-encoded score as Redis's listpack holds it, which ZSCAN shows verbatim: an
/// integer when the score is one (`double2ll`), else `%.17g`.
fn listpack_score(score: f64) -> Bytes {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if (-LIMIT..=LIMIT).contains(&score) && score.fract() == 0.0 {
        Bytes::from((score as i64).to_string())
    } else {
        Bytes::from(format_double(score))
    }
}

pub fn zscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = scan_cursor(&args[2])?;
    let Some(z) = ctx.read_as::<SortedSet>(&args[1])? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let o = collection_scan_options(args)?;
    let keep = |m: &[u8]| {
        o.pattern
            .as_ref()
            .is_none_or(|p| glob::matches(p, m, false))
    };
    let mut out = Vec::new();
    let next = match z {
        // Redis returns a listpack whole, whatever the cursor and COUNT.
        SortedSet::Compact(c) => {
            for (m, s) in c.iter().filter(|(m, _)| keep(m)) {
                out.push(bulk(m));
                out.push(Reply::Bulk(listpack_score(s)));
            }
            0
        }
        SortedSet::Indexed(x) => x.scores.scan(cursor, o.count, |m, s| {
            if keep(m) {
                out.push(bulk(m));
                out.push(Reply::Bulk(Bytes::from(format_double(*s))));
            }
        }),
    };
    Ok(scan_reply(next, out))
}

#[cfg(test)]
mod tests {
    use crate::string::test_support::*;
    use bytes::Bytes;
    use ferrokv_protocol::Reply;

    const NOW: u64 = 1_700_000_000_000;
    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn run(t: &mut TestShard, line: &str) -> Reply {
        t.run(&line.split(' ').collect::<Vec<_>>())
    }

    fn popped(key: &str, member: &str, score: f64) -> Reply {
        Reply::Array(vec![bulk(key), bulk(member), Reply::Double(score)])
    }

    fn mpopped(key: &str, entries: &[(&str, f64)]) -> Reply {
        let entries = entries
            .iter()
            .map(|&(m, s)| Reply::Array(vec![bulk(m), Reply::Double(s)]))
            .collect();
        Reply::Array(vec![bulk(key), Reply::Array(entries)])
    }

    #[test]
    fn bzpopmin_and_bzpopmax_serve_the_first_non_empty_set() {
        let mut t = TestShard::new();
        run(&mut t, "zadd z 1.5 a 2 b inf c -inf d");
        run(&mut t, "zadd y 7 x");
        for (line, want) in [
            ("bzpopmin nokey z y 0", popped("z", "d", f64::NEG_INFINITY)),
            ("BZPOPMAX nokey z 0.01", popped("z", "c", f64::INFINITY)),
            ("bzpopmin z 1.5", popped("z", "a", 1.5)),
            ("bzpopmax y z 0", popped("y", "x", 7.0)),
            ("exists y", int(0)),
            ("bzpopmin z z 0", popped("z", "b", 2.0)),
            ("exists z", int(0)),
            // Inside MULTI or a script nothing waits.
            ("bzpopmin z y 0", Reply::NullArray),
            ("bzpopmax z 0.01", Reply::NullArray),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
        assert_eq!(
            t.run_may_block("bzpopmin z y 0.25"),
            Err(Box::new(blocked(&["z", "y"], Some(NOW + 250))))
        );
        assert_eq!(t.waits("bzpopmax z 0"), blocked(&["z"], None));
        assert_eq!(t.waits("bzpopmax z 0.0001").deadline_ms, Some(NOW + 1));
        assert_eq!(t.waits("bzpopmax z -0.0005").deadline_ms, None);
        run(&mut t, "zadd y 3 m 4 n");
        assert_eq!(t.run_may_block("bzpopmax z y 0"), Ok(popped("y", "n", 4.0)));
    }

    #[test]
    fn blocking_zset_pops_check_types_in_key_order() {
        let mut t = TestShard::new();
        run(&mut t, "set s x");
        run(&mut t, "rpush l a");
        run(&mut t, "zadd z 1 a 2 b");
        for line in [
            "bzpopmin nokey s z 0",
            "bzpopmax l 0",
            "bzmpop 0 3 nokey l z min",
        ] {
            assert_eq!(run(&mut t, line), err(WRONGTYPE), "{line}");
            assert_eq!(t.run_may_block(line), Ok(err(WRONGTYPE)), "{line}");
        }
        assert_eq!(run(&mut t, "bzpopmin z s 0"), popped("z", "a", 1.0));
        assert_eq!(
            run(&mut t, "bzmpop 0 2 z l max"),
            mpopped("z", &[("b", 2.0)])
        );
        let not_float = err("ERR timeout is not a float or out of range");
        for (line, want) in [
            ("bzpopmin s abc", not_float.clone()),
            ("bzpopmax nokey nan", not_float),
            ("bzpopmin nokey -1", err("ERR timeout is negative")),
            ("bzpopmin nokey 1e30", err("ERR timeout is negative")),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
    }

    #[test]
    fn bzmpop_parsing_and_replies() {
        let mut t = TestShard::new();
        run(&mut t, "zadd z 1 a 2 b 3 c 4 d");
        let numkeys = err("ERR numkeys should be greater than 0");
        let count = err("ERR count should be greater than 0");
        for (line, want) in [
            ("bzmpop abc 0 a min", numkeys.clone()),
            ("bzmpop abc -1 a min", numkeys.clone()),
            ("bzmpop 0 x a min", numkeys),
            ("bzmpop abc 2 a min", err("ERR syntax error")),
            ("bzmpop abc 1 a mid", err("ERR syntax error")),
            ("bzmpop abc 1 a min count 0", count.clone()),
            ("bzmpop abc 1 a min count -1", count),
            ("bzmpop abc 1 a min count", err("ERR syntax error")),
            (
                "bzmpop abc 1 a MAX COUNT 1 COUNT 2",
                err("ERR syntax error"),
            ),
            (
                "bzmpop 0 9223372036854775807 a min",
                err("ERR syntax error"),
            ),
            (
                "bzmpop abc 1 a min",
                err("ERR timeout is not a float or out of range"),
            ),
            ("bzmpop -1 1 z min", err("ERR timeout is negative")),
            ("bzmpop 0 1 nokey max", Reply::NullArray),
            ("bzmpop 0 2 nokey z MIN", mpopped("z", &[("a", 1.0)])),
            (
                "bzmpop 0.5 1 z max count 2",
                mpopped("z", &[("d", 4.0), ("c", 3.0)]),
            ),
            (
                "bzmpop 0 1 z max count 9223372036854775807",
                mpopped("z", &[("b", 2.0)]),
            ),
            ("exists z", int(0)),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
        assert_eq!(
            t.waits("bzmpop 2 2 a b max count 5"),
            blocked(&["a", "b"], Some(NOW + 2000))
        );
        run(&mut t, "zadd b 1 x 2 y");
        assert_eq!(
            t.run_may_block("bzmpop 2 2 a b max count 5"),
            Ok(mpopped("b", &[("y", 2.0), ("x", 1.0)]))
        );
        assert_eq!(run(&mut t, "exists b"), int(0));
    }

    #[test]
    fn blocking_specs_match_redis() {
        let spec = |name: &str| {
            super::super::COMMANDS
                .iter()
                .find(|s| s.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        for (name, arity, flags, keys, acl) in [
            (
                "bzpopmin",
                -3,
                "write noscript blocking fast",
                (1, -2, 1),
                ["write", "sortedset", "fast", "blocking"],
            ),
            (
                "bzpopmax",
                -3,
                "write noscript blocking fast",
                (1, -2, 1),
                ["write", "sortedset", "fast", "blocking"],
            ),
            (
                "bzmpop",
                -5,
                "write blocking movablekeys",
                (0, 0, 0),
                ["write", "sortedset", "slow", "blocking"],
            ),
        ] {
            let s = spec(name);
            assert_eq!(s.arity, arity, "{name}");
            let names = s.flag_names().collect::<Vec<_>>().join(" ");
            assert_eq!(names, flags, "{name}");
            assert_eq!((s.first_key, s.last_key, s.step), keys, "{name}");
            assert_eq!(s.acl, acl, "{name}");
        }
        let call: Vec<Bytes> = ["bzmpop", "0", "2", "a", "b", "min"]
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        let keys: Vec<usize> = spec("bzmpop").key_positions(&call).collect();
        assert_eq!(keys, vec![3, 4]);
        let call = &call[..5];
        assert_eq!(
            spec("bzpopmin").key_positions(call).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn reads_count_keyspace_hits_and_writes_do_not() {
        let mut t = TestShard::new();
        t.run(&["zadd", "z", "1", "a"]);
        t.run(&["zadd", "z", "2", "b"]);
        t.run(&["zrem", "nokey", "a"]);
        assert_eq!(
            (t.shard.stats.keyspace_hits, t.shard.stats.keyspace_misses),
            (0, 0)
        );
        t.run(&["zscore", "z", "a"]);
        t.run(&["zrange", "nokey", "0", "-1"]);
        t.run(&["zunion", "3", "z", "nokey", "z"]);
        assert_eq!(
            (t.shard.stats.keyspace_hits, t.shard.stats.keyspace_misses),
            (3, 2)
        );
    }

    #[test]
    fn zadd_then_read_back() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "zadd z 2 b 1 a 3 c",
            "zadd z xx ch incr 10 a",
            "zrange z 0 -1 withscores",
            "zrangebyscore z (2 +inf",
            "zpopmax z",
            "zcard z",
            "object encoding z",
            "zrem z b c a",
            "exists z",
        ]);
        assert_eq!(
            replies,
            vec![
                int(3),
                Reply::Double(11.0),
                Reply::Pairs(vec![
                    (bulk("b"), Reply::Double(2.0)),
                    (bulk("c"), Reply::Double(3.0)),
                    (bulk("a"), Reply::Double(11.0)),
                ]),
                bulks(&["c", "a"]),
                Reply::Array(vec![bulk("a"), Reply::Double(11.0)]),
                int(2),
                bulk("listpack"),
                int(2),
                int(0),
            ]
        );
    }
}
