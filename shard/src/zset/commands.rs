//! The member-level commands: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZRANK, ZREVRANK,
//! ZPOPMIN, ZPOPMAX, ZMPOP, ZRANDMEMBER, ZSCAN.

use bytes::Bytes;
use ferrokv_protocol::{format_double, Reply};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::args;
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
    let entries = taken.iter().map(|(m, s)| (&m[..], *s));
    Ok(match count {
        Some(_) => pairs(entries),
        None => Reply::Array(
            entries
                .flat_map(|(m, s)| [bulk(m), Reply::Double(s)])
                .collect(),
        ),
    })
}

pub fn zpopmin(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zpop_generic(ctx, args, false)
}

pub fn zpopmax(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    zpop_generic(ctx, args, true)
}

/// A count read as Redis's `getRangeLongFromObjectOrReply(1, LONG_MAX, msg)`.
fn positive(arg: &[u8], msg: &str) -> Result<usize, CmdError> {
    match args::int(arg) {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(CmdError::other(msg)),
    }
}

pub fn zmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let numkeys = positive(&args[1], "ERR numkeys should be greater than 0")?;
    let where_at = numkeys.checked_add(2).ok_or(CmdError::Syntax)?;
    let max = match args.get(where_at) {
        Some(w) if args::is(w, "MIN") => false,
        Some(w) if args::is(w, "MAX") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(n) if count.is_none() && args::is(&args[i], "COUNT") => {
                count = Some(positive(n, "ERR count should be greater than 0")?);
                i += 2;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    for key in &args[2..where_at] {
        if ctx.write_as::<SortedSet>(key)?.is_none() {
            continue;
        }
        let taken = pop(ctx, key, count.unwrap_or(1), max)?;
        let popped = taken
            .into_iter()
            .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Bulk(key.clone()),
            Reply::Array(popped),
        ]));
    }
    Ok(Reply::NullArray)
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
    use ferrokv_protocol::Reply;

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
