//! Range commands: ZRANGE (BYSCORE, BYLEX, REV, LIMIT, WITHSCORES), ZRANGESTORE and the older
//! ZREVRANGE, Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX; ZCOUNT, ZLEXCOUNT; ZREMRANGEBY*.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::error::{CmdError, CmdResult};
use crate::shard::Ctx;
use crate::value::Collection;

use super::commands::pairs;
use super::parse::{Interval, LexRange, ScoreRange};
use super::{notify_removed, store, SortedSet};

#[derive(Clone, Copy, PartialEq)]
enum By {
    Rank,
    Score,
    Lex,
}

/// A parsed range request (Redis's `zrangeGenericCommand` options).
struct Request {
    by: By,
    rev: bool,
    withscores: bool,
    offset: i64,
    /// -1: no limit.
    limit: i64,
    min: usize,
    max: usize,
}

/// Parses the options after `<src> <min> <max>` (at `key_at`). `by` and `rev` are fixed by the
/// older commands and free (`None`) for ZRANGE and ZRANGESTORE; `store` forbids WITHSCORES.
fn parse_request(
    args: &[Bytes],
    key_at: usize,
    store: bool,
    by: Option<By>,
    rev: Option<bool>,
) -> Result<Request, CmdError> {
    let (mut by, mut rev) = (by, rev);
    let mut r = Request {
        by: By::Rank,
        rev: false,
        withscores: false,
        offset: 0,
        limit: -1,
        min: key_at + 1,
        max: key_at + 2,
    };
    let mut j = key_at + 3;
    while j < args.len() {
        let a = &args[j];
        if !store && args::is(a, "WITHSCORES") {
            r.withscores = true;
        } else if args::is(a, "LIMIT") && args.len() - j > 2 {
            r.offset = args::int(&args[j + 1])?;
            r.limit = args::int(&args[j + 2])?;
            j += 2;
        } else if rev.is_none() && args::is(a, "REV") {
            rev = Some(true);
        } else if by.is_none() && args::is(a, "BYLEX") {
            by = Some(By::Lex);
        } else if by.is_none() && args::is(a, "BYSCORE") {
            by = Some(By::Score);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    r.by = by.unwrap_or(By::Rank);
    r.rev = rev.unwrap_or(false);
    if r.limit != -1 && r.by == By::Rank {
        return Err(CmdError::other(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if r.withscores && r.by == By::Lex {
        return Err(CmdError::other(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    if r.rev && r.by != By::Rank {
        std::mem::swap(&mut r.min, &mut r.max);
    }
    Ok(r)
}

/// The range itself, parsed after the options as Redis does.
enum Span {
    Ranks(i64, i64),
    Scores(ScoreRange),
    Lex(LexRange),
}

fn parse_span(args: &[Bytes], r: &Request) -> Result<Span, CmdError> {
    let (min, max) = (&args[r.min], &args[r.max]);
    Ok(match r.by {
        By::Rank => Span::Ranks(args::int(min)?, args::int(max)?),
        By::Score => Span::Scores(ScoreRange::parse(min, max)?),
        By::Lex => Span::Lex(LexRange::parse(min, max)?),
    })
}

/// The entries a request selects, in reply order.
fn select<'a>(z: &'a SortedSet, span: &Span, r: &Request) -> Vec<(&'a [u8], f64)> {
    match span {
        Span::Ranks(start, end) => {
            let Some((start, end)) = args::index_range(*start, *end, z.len()) else {
                return Vec::new();
            };
            let from = if r.rev { z.len() - 1 - start } else { start };
            z.iter_at(from, r.rev).take(end - start + 1).collect()
        }
        Span::Scores(range) => walk(z, range, r),
        Span::Lex(range) => walk(z, range, r),
    }
}

/// Redis's walk for BYSCORE/BYLEX: from the first (or, reversed, last) entry in range, skip
/// `offset` entries unchecked, then take up to `limit` while they stay in range.
fn walk<'a>(z: &'a SortedSet, range: &impl Interval, r: &Request) -> Vec<(&'a [u8], f64)> {
    let len = z.len();
    if r.offset < 0 || (r.offset > 0 && r.offset as u64 >= len as u64) {
        return Vec::new();
    }
    let offset = r.offset as usize;
    let start = if r.rev {
        z.last_in(range).and_then(|i| i.checked_sub(offset))
    } else {
        z.first_in(range).map(|i| i + offset).filter(|&i| i < len)
    };
    let Some(start) = start else {
        return Vec::new();
    };
    let limit = usize::try_from(r.limit).unwrap_or(usize::MAX);
    z.iter_at(start, r.rev)
        .take_while(|&(m, s)| {
            if r.rev {
                range.above_min(m, s)
            } else {
                range.below_max(m, s)
            }
        })
        .take(limit)
        .collect()
}

/// ZRANGE and the older forms: the reply for the sorted set at `args[1]`.
fn range_reply(ctx: &mut Ctx<'_>, args: &[Bytes], by: Option<By>, rev: Option<bool>) -> CmdResult {
    let r = parse_request(args, 1, false, by, rev)?;
    let span = parse_span(args, &r)?;
    let Some(z) = ctx.read_as::<SortedSet>(&args[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let entries = select(z, &span, &r).into_iter();
    Ok(if r.withscores {
        pairs(entries)
    } else {
        Reply::Array(
            entries
                .map(|(m, _)| Reply::Bulk(Bytes::copy_from_slice(m)))
                .collect(),
        )
    })
}

pub fn zrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, None, None)
}

pub fn zrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, Some(By::Rank), Some(true))
}

pub fn zrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, Some(By::Score), Some(false))
}

pub fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, Some(By::Score), Some(true))
}

pub fn zrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, Some(By::Lex), Some(false))
}

pub fn zrevrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range_reply(ctx, args, Some(By::Lex), Some(true))
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]. The result is
/// built by adding the entries one by one, as Redis does, so it converts to the indexed
/// encoding at the same point (and keeps a `-0` score only where Redis does).
pub fn zrangestore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let r = parse_request(args, 2, true, None, None)?;
    let span = parse_span(args, &r)?;
    let mut out = SortedSet::default();
    if let Some(z) = ctx.read_as::<SortedSet>(&args[2])? {
        let entries = select(z, &span, &r);
        // A range by rank knows its size: Redis creates the destination for it up front.
        if r.by == By::Rank {
            out = SortedSet::sized_for(entries.len());
        }
        for (m, s) in entries {
            out.add(m, s);
        }
    }
    let n = out.len();
    store(ctx, &args[1], out, "zrangestore");
    Ok(Reply::Int(n as i64))
}

pub fn zcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let range = ScoreRange::parse(&args[2], &args[3])?;
    let z = ctx.read_as::<SortedSet>(&args[1])?;
    Ok(Reply::Int(z.map_or(0, |z| z.count_in(&range)) as i64))
}

pub fn zlexcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let range = LexRange::parse(&args[2], &args[3])?;
    let z = ctx.read_as::<SortedSet>(&args[1])?;
    Ok(Reply::Int(z.map_or(0, |z| z.count_in(&range)) as i64))
}

/// Removes what `remove` selects from the sorted set at `key`, raising `event` when it
/// removed something and deleting the key when it empties.
fn remove_from(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    event: &'static str,
    remove: impl FnOnce(&mut SortedSet) -> usize,
) -> CmdResult {
    let Some(z) = ctx.write_as::<SortedSet>(key)? else {
        return Ok(Reply::Int(0));
    };
    let n = remove(z);
    if n > 0 {
        notify_removed(ctx, event, key);
    }
    Ok(Reply::Int(n as i64))
}

pub fn zremrangebyrank(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (start, end) = (args::int(&args[2])?, args::int(&args[3])?);
    remove_from(
        ctx,
        &args[1],
        "zremrangebyrank",
        |z| match args::index_range(start, end, z.len()) {
            Some((start, end)) => z.remove_ranks(start, end + 1),
            None => 0,
        },
    )
}

pub fn zremrangebyscore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let range = ScoreRange::parse(&args[2], &args[3])?;
    remove_from(ctx, &args[1], "zremrangebyscore", |z| z.remove_in(&range))
}

pub fn zremrangebylex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let range = LexRange::parse(&args[2], &args[3])?;
    remove_from(ctx, &args[1], "zremrangebylex", |z| z.remove_in(&range))
}
