//! XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use super::id::{self, AddId, StreamId};
use super::{entry_reply, NodeLimits, Stream, Trim, TrimBy};
use crate::args;
use crate::blocking::{self, BlockOn, TimeoutReply, TimeoutUnit};
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::limits;
use crate::shard::Ctx;

const ACL_READ_FAST: &[&str] = &["read", "stream", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "stream", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "stream", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "stream", "slow"];
const ACL_BLOCKING: &[&str] = &["read", "stream", "slow", "blocking"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("xadd", -5, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "Appends a new entry to a stream", "5.0.0", Some(xadd), Split::None),
    spec("xlen", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "stream", "Return the number of entries in a stream", "5.0.0", Some(xlen), Split::None),
    spec("xrange", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, "stream", "Return a range of elements in a stream, with IDs matching the specified IDs interval", "5.0.0", Some(xrange), Split::None),
    spec("xrevrange", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, "stream", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", "5.0.0", Some(xrevrange), Split::None),
    spec("xdel", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", "5.0.0", Some(xdel), Split::None),
    spec("xtrim", -4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, "stream", "Trims the stream to (approximately if '~' is passed) a certain size", "5.0.0", Some(xtrim), Split::None),
    spec("xsetid", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "An internal command for replicating stream values", "5.0.0", Some(xsetid), Split::None),
    spec("xread", -4, READONLY | BLOCKING, (0, 0, 0), ACL_BLOCKING, "stream", "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", "5.0.0", Some(xread), Split::Transaction).movable(read_keys),
];

/// The node limits in force (`stream-node-max-bytes`, `stream-node-max-entries`).
fn node_limits() -> NodeLimits {
    let l = limits::get();
    NodeLimits {
        max_bytes: l.stream_node_max_bytes,
        max_entries: l.stream_node_max_entries,
    }
}

/// XADD's and XTRIM's options, parsed as Redis's streamParseAddOrTrimArgsOrReply.
struct AddTrimArgs {
    trim: Option<Trim>,
    no_mkstream: bool,
    /// XADD's ID (`Auto` for `*`).
    id: AddId,
    /// Where XADD's field/value pairs start.
    fields_at: usize,
}

fn parse_add_trim(args: &[Bytes], xadd: bool) -> Result<AddTrimArgs, CmdError> {
    let mut by: Option<TrimBy> = None;
    let mut approx = false;
    let mut limit: Option<i64> = None;
    let mut no_mkstream = false;
    let mut id = AddId::Auto;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i][..];
        if xadd && opt == b"*" {
            break;
        } else if (args::is(opt, "MAXLEN") || args::is(opt, "MINID")) && more > 0 {
            if by.is_some() {
                return Err(CmdError::other(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            if more >= 2 && (args[i + 1] == "~" || args[i + 1] == "=") {
                approx = args[i + 1] == "~";
                i += 1;
            }
            let arg = &args[i + 1];
            by = Some(if args::is(opt, "MAXLEN") {
                let n = args::int(arg)?;
                TrimBy::MaxLen(
                    u64::try_from(n)
                        .map_err(|_| CmdError::other("ERR The MAXLEN argument must be >= 0."))?,
                )
            } else {
                TrimBy::MinId(id::parse_strict(arg, 0)?)
            });
            i += 1;
        } else if args::is(opt, "LIMIT") && more > 0 {
            let n = args::int(&args[i + 1])?;
            if n < 0 {
                return Err(CmdError::other("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(n);
            i += 1;
        } else if xadd && args::is(opt, "NOMKSTREAM") {
            no_mkstream = true;
        } else if xadd {
            id = id::parse_for_add(opt)?;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if limit.is_some_and(|n| n > 0) && by.is_none() {
        return Err(CmdError::other(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && by.is_none() {
        return Err(CmdError::other(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    let limit = match limit {
        Some(_) if !approx => {
            return Err(CmdError::other(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ))
        }
        Some(n) => n as u64,
        // Approximate trimming does a bounded amount of work unless told otherwise.
        None if approx => match 100u64.saturating_mul(node_limits().max_entries) {
            n @ 1..=10_000 => n,
            _ => 10_000,
        },
        None => 0,
    };
    Ok(AddTrimArgs {
        trim: by.map(|by| Trim { by, approx, limit }),
        no_mkstream,
        id,
        fields_at: i + 1,
    })
}

fn xadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let parsed = parse_add_trim(args, true)?;
    let pairs = args.get(parsed.fields_at..).unwrap_or_default();
    if pairs.len() < 2 || pairs.len() % 2 == 1 {
        return Err(CmdError::other(
            "ERR wrong number of arguments for 'xadd' command",
        ));
    }
    if parsed.id == AddId::Explicit(StreamId::MIN) {
        return Err(CmdError::other(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = &args[1];
    let now = ctx.now_ms;
    let stream = if parsed.no_mkstream {
        match ctx.write_as::<Stream>(key)? {
            Some(s) => s,
            None => return Ok(Reply::Null),
        }
    } else {
        ctx.create_as(key, Stream::new)?
    };
    let added = stream
        .add(parsed.id, pairs, now, node_limits())
        .map_err(|e| CmdError::other(e.message()))?;
    if let Some(trim) = parsed.trim {
        stream.trim(trim);
    }
    Ok(Reply::Bulk(added.to_bytes()))
}

fn xlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx.read_as::<Stream>(&args[1])?.map_or(0, |s| s.length());
    Ok(Reply::Int(len as i64))
}

fn xrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range(ctx, args, false)
}

fn xrevrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    range(ctx, args, true)
}

fn range(ctx: &mut Ctx<'_>, args: &[Bytes], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let (start, exclusive) = id::parse_interval(start_arg, 0)?;
    let start = match exclusive {
        true => start
            .next()
            .ok_or_else(|| CmdError::other("ERR invalid start ID for the interval"))?,
        false => start,
    };
    let (end, exclusive) = id::parse_interval(end_arg, u64::MAX)?;
    let end = match exclusive {
        true => end
            .prev()
            .ok_or_else(|| CmdError::other("ERR invalid end ID for the interval"))?,
        false => end,
    };
    let mut count: Option<u64> = None;
    let mut i = 4;
    while i < args.len() {
        if args::is(&args[i], "COUNT") && i + 1 < args.len() {
            count = Some(u64::try_from(args::int(&args[i + 1])?).unwrap_or(0));
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(stream) = ctx.read_as::<Stream>(&args[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let take = match count {
        Some(0) => return Ok(Reply::NullArray),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        None => usize::MAX,
    };
    Ok(Reply::Array(
        stream
            .range(start, end, rev)
            .take(take)
            .map(|e| entry_reply(&e))
            .collect(),
    ))
}

fn xdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(stream) = ctx.write_as::<Stream>(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    // Every ID is checked before any goes, so a bad one deletes nothing.
    let ids = args[2..]
        .iter()
        .map(|a| id::parse_strict(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = ids.into_iter().filter(|&id| stream.delete(id)).count();
    Ok(Reply::Int(deleted as i64))
}

fn xtrim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let parsed = parse_add_trim(args, false)?;
    let Some(stream) = ctx.write_as::<Stream>(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    let removed = parsed.trim.map_or(0, |t| stream.trim(t));
    Ok(Reply::Int(removed as i64))
}

fn xsetid(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let id = id::parse_strict(&args[2], 0)?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args::is(&args[i], "ENTRIESADDED") && has_value {
            let n = args::int(&args[i + 1])?;
            entries_added = Some(
                u64::try_from(n)
                    .map_err(|_| CmdError::other("ERR entries_added must be positive"))?,
            );
        } else if args::is(&args[i], "MAXDELETEDID") && has_value {
            max_deleted = id::parse_strict(&args[i + 1], 0)?;
            if id < max_deleted {
                return Err(CmdError::other(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let stream = ctx
        .write_as::<Stream>(&args[1])?
        .ok_or(CmdError::NoSuchKey)?;
    if stream.length() > 0 {
        if id < stream.last_valid_id() {
            return Err(CmdError::other(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| n < stream.length()) {
            return Err(CmdError::other(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.set_last_id(id);
    if let Some(n) = entries_added {
        stream.set_entries_added(n);
    }
    if !max_deleted.is_zero() {
        stream.set_max_deleted_entry_id(max_deleted);
    }
    Ok(Reply::ok())
}

/// XREAD's and XREADGROUP's keys: the first half of what follows STREAMS, found by walking
/// the options (a group or consumer may be named STREAMS). A malformed call has none.
pub(super) fn read_keys(args: &[Bytes]) -> Vec<usize> {
    let mut i = 1;
    while let Some(opt) = args.get(i) {
        if args::is(opt, "STREAMS") {
            let first = i + 1;
            let n = (args.len() - first) / 2;
            return (first..first + n).collect();
        }
        i += match opt.to_ascii_uppercase().as_slice() {
            b"BLOCK" | b"COUNT" => 2,
            b"GROUP" => 3,
            b"NOACK" => 1,
            _ => return Vec::new(),
        };
    }
    Vec::new()
}

/// XREAD's and XREADGROUP's options, parsed as Redis's xreadCommand does.
pub(super) struct ReadArgs {
    pub count: u64,
    /// None without BLOCK.
    pub block: Option<Option<u64>>,
    /// Where the keys start; the IDs follow them.
    pub keys_at: usize,
    pub streams: usize,
    /// XREADGROUP's GROUP: the group and the consumer.
    pub group: Option<(Bytes, Bytes)>,
    pub noack: bool,
}

pub(super) fn parse_read(
    ctx: &Ctx<'_>,
    args: &[Bytes],
    xreadgroup: bool,
) -> Result<ReadArgs, CmdError> {
    let mut count = 0;
    let mut block = None;
    let mut group = None;
    let mut noack = false;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if args::is(opt, "BLOCK") && more > 0 {
            if ctx.shard.in_script {
                return Err(args::error_format(&[
                    b"ERR ",
                    args::c_str(&args[0]),
                    b" command is not allowed with BLOCK option from scripts",
                ]));
            }
            i += 1;
            block = Some(blocking::parse_timeout(
                &args[i],
                TimeoutUnit::Millis,
                ctx.now_ms,
            )?);
        } else if args::is(opt, "COUNT") && more > 0 {
            i += 1;
            count = u64::try_from(args::int(&args[i])?).unwrap_or(0);
        } else if args::is(opt, "STREAMS") && more > 0 {
            let keys_at = i + 1;
            let rest = args.len() - keys_at;
            if !rest.is_multiple_of(2) {
                return Err(CmdError::other(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            return Ok(ReadArgs {
                count,
                block,
                keys_at,
                streams: rest / 2,
                group,
                noack,
            });
        } else if args::is(opt, "GROUP") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::other(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((args[i + 1].clone(), args[i + 2].clone()));
            i += 2;
        } else if args::is(opt, "NOACK") {
            if !xreadgroup {
                return Err(CmdError::other(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Err(CmdError::Syntax)
}

fn xread(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let parsed = parse_read(ctx, args, false)?;
    let keys = &args[parsed.keys_at..parsed.keys_at + parsed.streams];
    let id_args = &args[parsed.keys_at + parsed.streams..];
    // The ID after which each stream is read; `$` is the stream's last ID now.
    let mut after = Vec::with_capacity(keys.len());
    for (key, arg) in keys.iter().zip(id_args) {
        let stream = ctx.read_as::<Stream>(key)?;
        let id = match &arg[..] {
            b"$" => stream.map_or(StreamId::MIN, |s| s.last_id()),
            b">" => {
                return Err(CmdError::other(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            _ => id::parse_strict(arg, 0)?,
        };
        after.push(id);
    }
    let mut served = Vec::new();
    for (key, &after) in keys.iter().zip(&after) {
        let Some(stream) = ctx.read_as::<Stream>(key)? else {
            continue;
        };
        if stream.length() == 0 || stream.last_valid_id() <= after {
            continue;
        }
        let take = match parsed.count {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        };
        let Some(start) = after.next() else { continue };
        let entries = stream
            .range(start, StreamId::MAX, false)
            .take(take)
            .map(|e| entry_reply(&e))
            .collect();
        served.push((Reply::Bulk(key.clone()), Reply::Array(entries)));
    }
    if !served.is_empty() {
        return Ok(Reply::NestedMap(served));
    }
    match parsed.block {
        Some(deadline_ms) if ctx.may_block => {
            // Re-runs must wait for entries after the IDs of now, so `$` becomes one.
            let mut rerun = args.to_vec();
            for (slot, id) in rerun[parsed.keys_at + parsed.streams..]
                .iter_mut()
                .zip(&after)
            {
                *slot = id.to_bytes();
            }
            Err(CmdError::Block(Box::new(BlockOn {
                keys: keys.to_vec(),
                deadline_ms,
                args: Some(rerun),
                on_timeout: TimeoutReply::NullArray,
            })))
        }
        _ => Ok(Reply::NullArray),
    }
}
