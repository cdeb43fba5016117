//! The consumer group commands: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, and
//! XINFO (Redis 7.0's t_stream.c).

use bytes::Bytes;
use ferrokv_protocol::Reply;

use super::group::{ConsumerGroup, Retries, Tally};
use super::id::{self, StreamId};
use super::{entry_reply, notify, Stream};
use crate::args;
use crate::blocking::{BlockOn, TimeoutReply};
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::keys::run_subcommand;
use crate::shard::Ctx;

const ACL_WRITE_FAST: &[&str] = &["write", "stream", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "stream", "slow"];
const ACL_READ_SLOW: &[&str] = &["read", "stream", "slow"];
const ACL_HELP: &[&str] = &["stream", "slow"];
const ACL_BLOCKING: &[&str] = &["write", "stream", "slow", "blocking"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec { subcommands: XGROUP_SUBCOMMANDS, ..spec("xgroup", -2, 0, (0, 0, 0), &["slow"], "stream", "A container for consumer groups commands", "5.0.0", Some(xgroup), Split::None) },
    spec("xreadgroup", -7, WRITE | BLOCKING, (0, 0, 0), ACL_BLOCKING, "stream", "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", "5.0.0", Some(xreadgroup), Split::Transaction).movable(super::commands::read_keys),
    spec("xack", -4, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", "5.0.0", Some(xack), Split::None),
    spec("xpending", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, "stream", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", "5.0.0", Some(xpending), Split::None),
    spec("xclaim", -6, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", "5.0.0", Some(xclaim), Split::None),
    spec("xautoclaim", -6, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "stream", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", "6.2.0", Some(xautoclaim), Split::None),
    CommandSpec { subcommands: XINFO_SUBCOMMANDS, ..spec("xinfo", -2, 0, (0, 0, 0), &["slow"], "stream", "A container for stream introspection commands", "5.0.0", Some(xinfo), Split::None) },
];

#[rustfmt::skip]
static XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    spec("xgroup|delconsumer", 5, WRITE, (2, 2, 1), ACL_WRITE_SLOW, "stream", "Delete a consumer from a consumer group.", "5.0.0", Some(xgroup_sub), Split::None),
    spec("xgroup|create", -5, WRITE | DENYOOM, (2, 2, 1), ACL_WRITE_SLOW, "stream", "Create a consumer group.", "5.0.0", Some(xgroup_sub), Split::None),
    spec("xgroup|setid", -5, WRITE, (2, 2, 1), ACL_WRITE_SLOW, "stream", "Set a consumer group to an arbitrary last delivered ID value.", "5.0.0", Some(xgroup_sub), Split::None),
    spec("xgroup|createconsumer", 5, WRITE | DENYOOM, (2, 2, 1), ACL_WRITE_SLOW, "stream", "Create a consumer in a consumer group.", "6.2.0", Some(xgroup_sub), Split::None),
    spec("xgroup|destroy", 4, WRITE, (2, 2, 1), ACL_WRITE_SLOW, "stream", "Destroy a consumer group.", "5.0.0", Some(xgroup_sub), Split::None),
    spec("xgroup|help", 2, LOADING | STALE, (0, 0, 0), ACL_HELP, "stream", "Show helpful text about the different subcommands", "5.0.0", Some(xgroup_help), Split::None),
];

#[rustfmt::skip]
static XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    spec("xinfo|groups", 3, READONLY, (2, 2, 1), ACL_READ_SLOW, "stream", "List the consumer groups of a stream", "5.0.0", Some(xinfo_groups), Split::None),
    spec("xinfo|consumers", 4, READONLY, (2, 2, 1), ACL_READ_SLOW, "stream", "List the consumers in a consumer group", "5.0.0", Some(xinfo_consumers), Split::None),
    spec("xinfo|help", 2, LOADING | STALE, (0, 0, 0), ACL_HELP, "stream", "Show helpful text about the different subcommands", "5.0.0", Some(xinfo_help), Split::None),
    spec("xinfo|stream", -3, READONLY, (2, 2, 1), ACL_READ_SLOW, "stream", "Get information about a stream", "5.0.0", Some(xinfo_stream), Split::None),
];

/// The event of a new consumer, whether XGROUP CREATECONSUMER, a read or a claim created it.
const CREATE_CONSUMER: &str = "xgroup-createconsumer";

fn bulk(b: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(b))
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

fn now(ctx: &Ctx<'_>) -> i64 {
    i64::try_from(ctx.now_ms).unwrap_or(i64::MAX)
}

/// A HELP reply: one status line per line of text.
/// Redis's addReplySubcommandSyntaxError.
fn subcommand_syntax(container: &str, sub: &[u8]) -> CmdError {
    args::error_format(&[
        b"ERR unknown subcommand or wrong number of arguments for '",
        args::c_str(&sub[..sub.len().min(128)]),
        b"'. Try ",
        container.as_bytes(),
        b" HELP.",
    ])
}

/// `NOGROUP No such key 'k' or consumer group 'g'` and its XREADGROUP variant.
fn no_group(key: &[u8], group: &[u8], suffix: &str) -> CmdError {
    args::error_format(&[
        b"NOGROUP No such key '",
        args::c_str(key),
        b"' or consumer group '",
        args::c_str(group),
        b"'",
        suffix.as_bytes(),
    ])
}

/// `NOGROUP No such consumer group 'g' for key name 'k'` (XGROUP, XINFO CONSUMERS).
fn no_such_group(key: &[u8], group: &[u8]) -> CmdError {
    args::error_format(&[
        b"NOGROUP No such consumer group '",
        args::c_str(group),
        b"' for key name '",
        args::c_str(key),
        b"'",
    ])
}

/// A group of `stream`, or the NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM.
fn group_of<'s>(
    stream: Option<&'s mut Stream>,
    key: &[u8],
    group: &[u8],
) -> Result<&'s mut Stream, CmdError> {
    match stream {
        Some(s) if s.groups.get(group).is_some() => Ok(s),
        _ => Err(no_group(key, group, "")),
    }
}

fn get_group<'s>(stream: &'s mut Stream, name: &[u8]) -> Result<&'s mut ConsumerGroup, CmdError> {
    stream
        .groups
        .get_mut(name)
        .ok_or_else(|| CmdError::other("ERR internal error: group lost"))
}

/// The start of an interval (`(` makes it exclusive), as XPENDING and XAUTOCLAIM read it.
fn interval_start(arg: &[u8]) -> Result<StreamId, CmdError> {
    match id::parse_interval(arg, 0)? {
        (id, true) => id
            .next()
            .ok_or_else(|| CmdError::other("ERR invalid start ID for the interval")),
        (id, false) => Ok(id),
    }
}

fn interval_end(arg: &[u8]) -> Result<StreamId, CmdError> {
    match id::parse_interval(arg, u64::MAX)? {
        (id, true) => id
            .prev()
            .ok_or_else(|| CmdError::other("ERR invalid end ID for the interval")),
        (id, false) => Ok(id),
    }
}

/// An integer option, with the message Redis gives for a bad one.
fn int_or(arg: &[u8], msg: &str) -> Result<i64, CmdError> {
    args::int(arg).map_err(|_| CmdError::other(msg))
}

// ---------------------------------------------------------------------------------------------
// XGROUP
// ---------------------------------------------------------------------------------------------

fn xgroup(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run_subcommand(ctx, args, "XGROUP", XGROUP_SUBCOMMANDS)
}

fn xgroup_help(_ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::status_lines(&[
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ]))
}

/// Every XGROUP subcommand but HELP, in the order Redis's xgroupCommand checks things: the
/// options, the key, the group, then the subcommand's own arguments.
fn xgroup_sub(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = args[1].to_ascii_uppercase();
    let (key, name) = (&args[2], &args[3]);
    let mut mkstream = false;
    let mut entries_read = None;
    let mut i = 5;
    while i < args.len() {
        if sub == b"CREATE" && args::is(&args[i], "MKSTREAM") {
            mkstream = true;
            i += 1;
        } else if (sub == b"CREATE" || sub == b"SETID")
            && args::is(&args[i], "ENTRIESREAD")
            && i + 1 < args.len()
        {
            let n = args::int(&args[i + 1])?;
            if n < -1 {
                return Err(CmdError::other(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            entries_read = (n >= 0).then_some(n);
            i += 2;
        } else {
            return Err(subcommand_syntax("XGROUP", &args[1]));
        }
    }
    let exists = ctx.write_as::<Stream>(key)?.is_some();
    if !exists && !mkstream {
        return Err(CmdError::other(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
             want to use the MKSTREAM option to create an empty stream automatically.",
        ));
    }
    let has_group = ctx
        .write_as::<Stream>(key)?
        .is_some_and(|s| s.groups.get(name).is_some());
    if exists && !has_group && matches!(&sub[..], b"SETID" | b"CREATECONSUMER" | b"DELCONSUMER") {
        return Err(no_such_group(key, name));
    }
    let now = now(ctx);
    // The reply, and the event raised when the subcommand changed something.
    let (reply, event) = match (&sub[..], args.len()) {
        (b"CREATE", 5..=8) => {
            let id = match &args[4][..] {
                b"$" => ctx
                    .write_as::<Stream>(key)?
                    .map_or(StreamId::MIN, |s| s.last_id()),
                arg => id::parse_strict(arg, 0)?,
            };
            let stream = ctx.create_as(key, Stream::new)?;
            if !stream.groups.create(name, id, entries_read) {
                return Err(CmdError::other(
                    "BUSYGROUP Consumer Group name already exists",
                ));
            }
            (Reply::ok(), Some("xgroup-create"))
        }
        (b"SETID", 5 | 7) => {
            let stream = ctx.write_as::<Stream>(key)?.ok_or(CmdError::NoSuchKey)?;
            let id = match &args[4][..] {
                b"$" => stream.last_id(),
                arg => id::parse(arg, 0)?,
            };
            let group = get_group(stream, name)?;
            group.last_id = id;
            group.entries_read = entries_read;
            (Reply::ok(), Some("xgroup-setid"))
        }
        (b"DESTROY", 4) => {
            let stream = ctx.write_as::<Stream>(key)?.ok_or(CmdError::NoSuchKey)?;
            let destroyed = stream.groups.destroy(name);
            (
                Reply::Int(i64::from(destroyed)),
                destroyed.then_some("xgroup-destroy"),
            )
        }
        (b"CREATECONSUMER", 5) => {
            let stream = ctx.write_as::<Stream>(key)?.ok_or(CmdError::NoSuchKey)?;
            let created = get_group(stream, name)?.create_consumer(&args[4], now);
            (
                Reply::Int(i64::from(created)),
                created.then_some(CREATE_CONSUMER),
            )
        }
        (b"DELCONSUMER", 5) => {
            let stream = ctx.write_as::<Stream>(key)?.ok_or(CmdError::NoSuchKey)?;
            let pending = get_group(stream, name)?.delete_consumer(&args[4]);
            (
                Reply::Int(pending.map_or(0, |n| n as i64)),
                pending.map(|_| "xgroup-delconsumer"),
            )
        }
        _ => return Err(subcommand_syntax("XGROUP", &args[1])),
    };
    if let Some(event) = event {
        notify(ctx, event, key);
    }
    Ok(reply)
}

// ---------------------------------------------------------------------------------------------
// XREADGROUP
// ---------------------------------------------------------------------------------------------

/// What re-runs of a blocked XREADGROUP carry in place of the command name. No client can
/// send it (it names no command), so the handler tells a blocked call from a new one; the IDs
/// of a re-run are the streams' last IDs when it blocked.
const BLOCKED: &[u8] = b"xreadgroup (blocked)";

/// Stands for `>` among the parsed IDs. Redis uses the same value, so a client asking for the
/// history after the largest possible ID gets new entries, as there.
const NEW: StreamId = StreamId::MAX;

fn xreadgroup(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let read = super::commands::parse_read(ctx, args, true)?;
    let Some((group, consumer)) = read.group.clone() else {
        return Err(CmdError::other("ERR Missing GROUP option for XREADGROUP"));
    };
    let keys = &args[read.keys_at..read.keys_at + read.streams];
    let id_args = &args[read.keys_at + read.streams..];
    if args[0] == BLOCKED {
        return served_when_blocked(ctx, args, &read, &group, &consumer);
    }
    let mut after = Vec::with_capacity(keys.len());
    for (key, arg) in keys.iter().zip(id_args) {
        let stream = ctx.read_as::<Stream>(key)?;
        if stream.is_none_or(|s| s.groups.get(&group).is_none()) {
            return Err(no_group(key, &group, " in XREADGROUP with GROUP option"));
        }
        after.push(match &arg[..] {
            b"$" => {
                return Err(CmdError::other(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read \
                     the history of this consumer by specifying a proper ID, or use the > ID to \
                     get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b">" => NEW,
            _ => id::parse_strict(arg, 0)?,
        });
    }
    let now = now(ctx);
    let mut served = Vec::new();
    for (key, &after) in keys.iter().zip(&after) {
        let Some(stream) = ctx.write_as::<Stream>(key)? else {
            continue;
        };
        let (entries, created) = if after != NEW {
            read_history(stream, &group, &consumer, after, read.count, now)?
        } else {
            let last = get_group(stream, &group)?.last_id;
            if stream.length() == 0 || stream.last_valid_id() <= last {
                continue;
            }
            read_new(stream, &group, &consumer, read.count, read.noack, now)?
        };
        if created {
            notify(ctx, CREATE_CONSUMER, key);
        }
        served.push((Reply::Bulk(key.clone()), entries));
    }
    if !served.is_empty() {
        return Ok(Reply::NestedMap(served));
    }
    match read.block {
        Some(deadline_ms) if ctx.may_block => {
            let mut rerun = args.to_vec();
            rerun[0] = Bytes::from_static(BLOCKED);
            for (slot, key) in rerun[read.keys_at + read.streams..].iter_mut().zip(keys) {
                let last = ctx
                    .read_as::<Stream>(key)?
                    .map_or(StreamId::MIN, |s| s.last_id());
                *slot = last.to_bytes();
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

/// A re-run of a blocked XREADGROUP after a write to one of its streams. As Redis serves a
/// blocked reader, only an addition wakes it (the last ID moved since it blocked), the first
/// such stream is served alone, entries deleted since included (an empty read), and a stream
/// or group gone ends the wait with an error.
fn served_when_blocked(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    read: &super::commands::ReadArgs,
    group: &[u8],
    consumer: &[u8],
) -> CmdResult {
    let keys = &args[read.keys_at..read.keys_at + read.streams];
    let id_args = &args[read.keys_at + read.streams..];
    let now = now(ctx);
    for (key, arg) in keys.iter().zip(id_args) {
        let blocked_at = id::parse_strict(arg, 0)?;
        let stream = match ctx.write_as::<Stream>(key) {
            Ok(Some(s)) => s,
            _ => return Err(CmdError::other("UNBLOCKED the stream key no longer exists")),
        };
        let Some(g) = stream.groups.get(group) else {
            return Err(CmdError::other(
                "NOGROUP the consumer group this client was blocked on no longer exists",
            ));
        };
        let last = stream.last_id();
        if last != blocked_at && last > g.last_id {
            let (entries, created) =
                read_new(stream, group, consumer, read.count, read.noack, now)?;
            if created {
                notify(ctx, CREATE_CONSUMER, key);
            }
            return Ok(Reply::NestedMap(vec![(Reply::Bulk(key.clone()), entries)]));
        }
    }
    // Still waiting; the server keeps the deadline it was first given.
    Err(CmdError::Block(Box::new(BlockOn {
        keys: keys.to_vec(),
        deadline_ms: None,
        args: Some(args.to_vec()),
        on_timeout: TimeoutReply::NullArray,
    })))
}

/// Entries after the group's last delivered one, up to `count` (0: all), delivered to
/// `consumer` (Redis's streamReplyWithRange with a group), and whether the consumer was
/// created.
fn read_new(
    stream: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    count: u64,
    noack: bool,
    now: i64,
) -> Result<(Reply, bool), CmdError> {
    let tally = stream.tally();
    let start = get_group(stream, group)?.last_id.next();
    let take = usize::try_from(count)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(usize::MAX);
    let entries: Vec<(StreamId, Reply)> = match start {
        Some(start) => stream
            .range(start, StreamId::MAX, false)
            .take(take)
            .map(|e| (e.id, entry_reply(&e)))
            .collect(),
        None => Vec::new(),
    };
    let g = get_group(stream, group)?;
    let (consumer, created) = g.see_consumer(consumer, now);
    for (id, _) in &entries {
        g.advance(*id, &tally);
        if !noack {
            g.deliver(*id, &consumer, now);
        }
    }
    let entries = entries.into_iter().map(|(_, r)| r).collect();
    Ok((Reply::Array(entries), created))
}

/// The consumer's pending entries after `after`, up to `count` (0: all), each delivered once
/// more, one deleted since showing as its ID and a nil; and whether the consumer was created.
fn read_history(
    stream: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: u64,
    now: i64,
) -> Result<(Reply, bool), CmdError> {
    let g = get_group(stream, group)?;
    let (_, created) = g.see_consumer(consumer, now);
    let Some(start) = after.next() else {
        return Ok((Reply::Array(Vec::new()), created));
    };
    let take = usize::try_from(count)
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(usize::MAX);
    let ids: Vec<StreamId> = g
        .consumer(consumer)
        .map(|c| c.pending_from(start).take(take).collect())
        .unwrap_or_default();
    let mut out = Vec::with_capacity(ids.len());
    let mut delivered = Vec::with_capacity(ids.len());
    for id in ids {
        match stream.get(id) {
            Some(e) => {
                out.push(entry_reply(&e));
                delivered.push(id);
            }
            None => out.push(Reply::Array(vec![id_reply(id), Reply::NullArray])),
        }
    }
    let g = get_group(stream, group)?;
    for id in delivered {
        g.redeliver(id, now);
    }
    Ok((Reply::Array(out), created))
}

// ---------------------------------------------------------------------------------------------
// XACK, XPENDING
// ---------------------------------------------------------------------------------------------

fn xack(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, group) = (&args[1], &args[2]);
    let Some(stream) = ctx.read_as::<Stream>(key)? else {
        return Ok(Reply::Int(0));
    };
    let Some(g) = stream.groups.get_mut(group) else {
        return Ok(Reply::Int(0));
    };
    // All IDs are checked first: a reply with an error must mean nothing was acknowledged.
    let ids = args[3..]
        .iter()
        .map(|a| id::parse_strict(a, 0))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| g.acknowledge(id)).count();
    Ok(Reply::Int(acked as i64))
}

fn xpending(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name) = (&args[1], &args[2]);
    if args.len() != 3 && !(6..=9).contains(&args.len()) {
        return Err(CmdError::Syntax);
    }
    // The range arguments are checked before the key is looked at.
    let mut range = None;
    if args.len() >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if args::is(&args[3], "IDLE") {
            min_idle = args::int(&args[4])?;
            if args.len() < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = u64::try_from(args::int(&args[at + 2])?).unwrap_or(0);
        let start = interval_start(&args[at])?;
        let end = interval_end(&args[at + 1])?;
        range = Some((start, end, count, min_idle, args.get(at + 3)));
    }
    let now = now(ctx);
    let stream = group_of(ctx.read_as::<Stream>(key)?, key, name)?;
    let g = get_group(stream, name)?;
    let Some((start, end, count, min_idle, consumer)) = range else {
        return Ok(pending_summary(g));
    };
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    let idle = |dt: i64| now.saturating_sub(dt);
    let row = |id: StreamId, owner: &[u8], dt: i64, n: u64| {
        Reply::Array(vec![
            id_reply(id),
            bulk(owner),
            Reply::Int(idle(dt).max(0)),
            Reply::Int(n as i64),
        ])
    };
    let wanted = |dt: i64| min_idle == 0 || idle(dt) >= min_idle;
    let rows: Vec<Reply> = match consumer {
        Some(name) => {
            let Some(c) = g.consumer(name) else {
                return Ok(Reply::Array(Vec::new()));
            };
            c.pending_from(start)
                .take_while(|&id| id <= end)
                .filter_map(|id| g.pending_entry(id).map(|p| (id, p)))
                .filter(|(_, p)| wanted(p.delivery_time))
                .take(take)
                .map(|(id, p)| row(id, name, p.delivery_time, p.delivery_count))
                .collect()
        }
        None => g
            .pending(start, end)
            .filter(|(_, p)| wanted(p.delivery_time))
            .take(take)
            .map(|(id, p)| row(id, &p.owner, p.delivery_time, p.delivery_count))
            .collect(),
    };
    Ok(Reply::Array(rows))
}

/// XPENDING key group: how many, the lowest and highest IDs, and each consumer's count.
fn pending_summary(g: &ConsumerGroup) -> Reply {
    let Some((first, last)) = g.pending_bounds() else {
        return Reply::Array(vec![
            Reply::Int(0),
            Reply::Null,
            Reply::Null,
            Reply::NullArray,
        ]);
    };
    let consumers = g
        .consumers()
        .filter(|(_, c)| c.pel_len() > 0)
        .map(|(name, c)| {
            Reply::Array(vec![
                Reply::Bulk(name.clone()),
                Reply::Bulk(Bytes::from(c.pel_len().to_string())),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::Int(g.pel_len() as i64),
        id_reply(first),
        id_reply(last),
        Reply::Array(consumers),
    ])
}

// ---------------------------------------------------------------------------------------------
// XCLAIM, XAUTOCLAIM
// ---------------------------------------------------------------------------------------------

/// XCLAIM's options after the IDs.
struct ClaimOptions {
    /// The delivery time to set, when IDLE or TIME gave one.
    delivery_time: Option<i64>,
    retry_count: Option<u64>,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

fn parse_claim_options(opts: &[Bytes], now: i64) -> Result<ClaimOptions, CmdError> {
    let mut o = ClaimOptions {
        delivery_time: None,
        retry_count: None,
        force: false,
        justid: false,
        last_id: StreamId::MIN,
    };
    let mut i = 0;
    while let Some(opt) = opts.get(i) {
        let value = opts.get(i + 1);
        match (opt.to_ascii_uppercase().as_slice(), value) {
            (b"FORCE", _) => o.force = true,
            (b"JUSTID", _) => o.justid = true,
            (b"IDLE", Some(v)) => {
                let idle = int_or(v, "ERR Invalid IDLE option argument for XCLAIM")?;
                o.delivery_time = Some(now.wrapping_sub(idle));
                i += 1;
            }
            (b"TIME", Some(v)) => {
                o.delivery_time = Some(int_or(v, "ERR Invalid TIME option argument for XCLAIM")?);
                i += 1;
            }
            (b"RETRYCOUNT", Some(v)) => {
                let n = int_or(v, "ERR Invalid RETRYCOUNT option argument for XCLAIM")?;
                o.retry_count = u64::try_from(n).ok();
                i += 1;
            }
            (b"LASTID", Some(v)) => {
                o.last_id = id::parse_strict(v, 0)?;
                i += 1;
            }
            _ => {
                return Err(args::error_format(&[
                    b"ERR Unrecognized XCLAIM option '",
                    args::c_str(opt),
                    b"'",
                ]))
            }
        }
        i += 1;
    }
    Ok(o)
}

fn xclaim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let now = now(ctx);
    let stream = group_of(ctx.read_as::<Stream>(key)?, key, name)?;
    let min_idle = int_or(&args[4], "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    // The IDs run up to the first argument that is not one; options follow.
    let ids: Vec<StreamId> = args[5..]
        .iter()
        .map_while(|a| id::parse_strict(a, 0).ok())
        .collect();
    let o = parse_claim_options(&args[5 + ids.len()..], now)?;
    let delivery_time = o
        .delivery_time
        .filter(|&t| (0..=now).contains(&t))
        .unwrap_or(now);
    let retries = match o.retry_count {
        Some(n) => Retries::Set(n),
        None if o.justid => Retries::Keep,
        None => Retries::Count,
    };
    let g = get_group(stream, name)?;
    if o.last_id > g.last_id {
        g.last_id = o.last_id;
    }
    let mut claimed = Vec::new();
    // The consumer is only seen, and created if new, when it claims an entry.
    let mut owner: Option<Bytes> = None;
    let mut created = false;
    for id in ids {
        let exists = stream.get(id).is_some();
        let g = get_group(stream, name)?;
        if !exists {
            g.acknowledge(id);
            continue;
        }
        match g.pending_entry(id) {
            None if !o.force => continue,
            Some(p) if min_idle > 0 && now.saturating_sub(p.delivery_time) < min_idle => continue,
            _ => {}
        }
        let owner = owner.get_or_insert_with(|| {
            let (name, new) = g.see_consumer(consumer, now);
            created = new;
            name
        });
        g.claim(id, owner, delivery_time, retries);
        claimed.push(id);
    }
    let replies = claimed
        .into_iter()
        .map(|id| match (o.justid, stream.get(id)) {
            (false, Some(e)) => entry_reply(&e),
            _ => id_reply(id),
        })
        .collect();
    if created {
        notify(ctx, CREATE_CONSUMER, key);
    }
    Ok(Reply::Array(replies))
}

/// XAUTOCLAIM keeps the deleted IDs it found in a buffer of COUNT IDs allocated up front;
/// Redis fails the call when that allocation cannot be made (beyond 128 TiB here).
const MAX_DELETED_BUFFER: u64 = 1 << 47;

fn xautoclaim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name, consumer) = (&args[1], &args[2], &args[3]);
    let min_idle = int_or(
        &args[4],
        "ERR Invalid min-idle-time argument for XAUTOCLAIM",
    )?
    .max(0);
    let start = interval_start(&args[5])?;
    let mut count: u64 = 100;
    let mut justid = false;
    let mut i = 6;
    while let Some(opt) = args.get(i) {
        match args.get(i + 1) {
            Some(n) if args::is(opt, "COUNT") => {
                // Redis caps COUNT so that neither its attempts nor its buffer overflow.
                let max = i64::MAX as u64 / 16;
                count = args::int(n)
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| CmdError::other("ERR COUNT must be > 0"))?;
                i += 1;
            }
            _ if args::is(opt, "JUSTID") => justid = true,
            _ => return Err(CmdError::Syntax),
        }
        i += 1;
    }
    let now = now(ctx);
    let stream = group_of(ctx.read_as::<Stream>(key)?, key, name)?;
    if count.saturating_mul(16) > MAX_DELETED_BUFFER {
        return Err(CmdError::other(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    // At most ten pending entries looked at per entry asked for; one more tells the cursor.
    let attempts = count.saturating_mul(10);
    let looked: Vec<StreamId> = get_group(stream, name)?
        .pending(start, StreamId::MAX)
        .map(|(id, _)| id)
        .take(usize::try_from(attempts.saturating_add(1)).unwrap_or(usize::MAX))
        .collect();
    let retries = if justid {
        Retries::Keep
    } else {
        Retries::Count
    };
    let (mut claimed, mut deleted) = (Vec::new(), Vec::new());
    // The consumer is only seen, and created if new, when it claims an entry.
    let mut owner: Option<Bytes> = None;
    let mut created = false;
    let mut examined = 0;
    for &id in &looked {
        if examined as u64 == attempts || count == 0 {
            break;
        }
        examined += 1;
        let exists = stream.get(id).is_some();
        let g = get_group(stream, name)?;
        if !exists {
            g.acknowledge(id);
            deleted.push(id);
            count -= 1;
            continue;
        }
        let idle = g
            .pending_entry(id)
            .map_or(0, |p| now.saturating_sub(p.delivery_time));
        if min_idle > 0 && idle < min_idle {
            continue;
        }
        let owner = owner.get_or_insert_with(|| {
            let (name, new) = g.see_consumer(consumer, now);
            created = new;
            name
        });
        g.claim(id, owner, now, retries);
        claimed.push(id);
        count -= 1;
    }
    let cursor = looked.get(examined).copied().unwrap_or(StreamId::MIN);
    let claimed = claimed
        .into_iter()
        .map(|id| match (justid, stream.get(id)) {
            (false, Some(e)) => entry_reply(&e),
            _ => id_reply(id),
        })
        .collect();
    if created {
        notify(ctx, CREATE_CONSUMER, key);
    }
    Ok(Reply::Array(vec![
        id_reply(cursor),
        Reply::Array(claimed),
        Reply::Array(deleted.into_iter().map(id_reply).collect()),
    ]))
}

// ---------------------------------------------------------------------------------------------
// XINFO
// ---------------------------------------------------------------------------------------------

fn xinfo(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run_subcommand(ctx, args, "XINFO", XINFO_SUBCOMMANDS)
}

fn xinfo_help(_ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    Ok(Reply::status_lines(&[
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ]))
}

/// The stream XINFO looks at: `ERR no such key` when missing.
fn info_stream<'c>(ctx: &'c mut Ctx<'_>, key: &[u8]) -> Result<&'c mut Stream, CmdError> {
    ctx.read_as::<Stream>(key)?.ok_or(CmdError::NoSuchKey)
}

fn field(name: &'static str, value: Reply) -> (Reply, Reply) {
    (Reply::Bulk(Bytes::from_static(name.as_bytes())), value)
}

fn entries_read_reply(g: &ConsumerGroup) -> Reply {
    g.entries_read.map_or(Reply::Null, Reply::Int)
}

fn lag_reply(tally: &Tally, g: &ConsumerGroup) -> Reply {
    tally.lag(g).map_or(Reply::Null, Reply::Int)
}

fn xinfo_groups(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let stream = info_stream(ctx, &args[2])?;
    let tally = stream.tally();
    let groups = stream
        .groups
        .iter()
        .map(|(name, g)| {
            Reply::Map(vec![
                field("name", Reply::Bulk(name.clone())),
                field("consumers", Reply::Int(g.consumers_len() as i64)),
                field("pending", Reply::Int(g.pel_len() as i64)),
                field("last-delivered-id", id_reply(g.last_id)),
                field("entries-read", entries_read_reply(g)),
                field("lag", lag_reply(&tally, g)),
            ])
        })
        .collect();
    Ok(Reply::Array(groups))
}

fn xinfo_consumers(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (key, name) = (&args[2], &args[3]);
    let now = now(ctx);
    let stream = info_stream(ctx, key)?;
    let g = stream
        .groups
        .get(name)
        .ok_or_else(|| no_such_group(key, name))?;
    let consumers = g
        .consumers()
        .map(|(cname, c)| {
            Reply::Map(vec![
                field("name", Reply::Bulk(cname.clone())),
                field("pending", Reply::Int(c.pel_len() as i64)),
                field("idle", Reply::Int(now.saturating_sub(c.seen_time).max(0))),
            ])
        })
        .collect();
    Ok(Reply::Array(consumers))
}

fn xinfo_stream(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let stream = info_stream(ctx, &args[2])?;
    // FULL shows 10 entries and PEL entries unless told otherwise; COUNT 0 means all.
    let full = match &args[3..] {
        [] => None,
        [opt] if args::is(opt, "FULL") => Some(10),
        [opt, count_opt, n] if args::is(opt, "FULL") && args::is(count_opt, "COUNT") => {
            let n = args::int(n)?;
            Some(if n < 0 { 10 } else { n })
        }
        _ => return Err(subcommand_syntax("XINFO", &args[1])),
    };
    let mut info = vec![
        field("length", Reply::Int(stream.length() as i64)),
        field("radix-tree-keys", Reply::Int(stream.block_count() as i64)),
        field(
            "radix-tree-nodes",
            Reply::Int(radix_tree_nodes(stream.block_ids()) as i64),
        ),
        field("last-generated-id", id_reply(stream.last_id())),
        field(
            "max-deleted-entry-id",
            id_reply(stream.max_deleted_entry_id()),
        ),
        field("entries-added", Reply::Int(stream.entries_added() as i64)),
        field("recorded-first-entry-id", id_reply(stream.first_id())),
    ];
    let Some(count) = full else {
        info.push(field("groups", Reply::Int(stream.groups.len() as i64)));
        let edge = |e: Option<super::EntryRef<'_>>| e.map_or(Reply::Null, |e| entry_reply(&e));
        info.push(field("first-entry", edge(stream.first_entry())));
        info.push(field("last-entry", edge(stream.last_entry())));
        return Ok(Reply::Map(info));
    };
    let take = match usize::try_from(count) {
        Ok(0) | Err(_) => usize::MAX,
        Ok(n) => n,
    };
    let entries = stream
        .range(StreamId::MIN, StreamId::MAX, false)
        .take(take)
        .map(|e| entry_reply(&e))
        .collect();
    info.push(field("entries", Reply::Array(entries)));
    let tally = stream.tally();
    let groups = stream
        .groups
        .iter()
        .map(|(name, g)| full_group(&tally, name, g, take))
        .collect();
    info.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(info))
}

/// One group of XINFO STREAM FULL, with up to `take` pending entries per PEL.
fn full_group(tally: &Tally, name: &Bytes, g: &ConsumerGroup, take: usize) -> Reply {
    let pending = g
        .pending(StreamId::MIN, StreamId::MAX)
        .take(take)
        .map(|(id, p)| {
            Reply::Array(vec![
                id_reply(id),
                Reply::Bulk(p.owner.clone()),
                Reply::Int(p.delivery_time),
                Reply::Int(p.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = g
        .consumers()
        .map(|(cname, c)| {
            let pel = c
                .pending_from(StreamId::MIN)
                .filter_map(|id| g.pending_entry(id).map(|p| (id, p)))
                .take(take)
                .map(|(id, p)| {
                    Reply::Array(vec![
                        id_reply(id),
                        Reply::Int(p.delivery_time),
                        Reply::Int(p.delivery_count as i64),
                    ])
                })
                .collect();
            Reply::Map(vec![
                field("name", Reply::Bulk(cname.clone())),
                field("seen-time", Reply::Int(c.seen_time)),
                field("pel-count", Reply::Int(c.pel_len() as i64)),
                field("pending", Reply::Array(pel)),
            ])
        })
        .collect();
    Reply::Map(vec![
        field("name", Reply::Bulk(name.clone())),
        field("last-delivered-id", id_reply(g.last_id)),
        field("entries-read", entries_read_reply(g)),
        field("lag", lag_reply(tally, g)),
        field("pel-count", Reply::Int(g.pel_len() as i64)),
        field("pending", Reply::Array(pending)),
        field("consumers", Reply::Array(consumers)),
    ])
}

/// How many nodes Redis's radix tree of blocks has (XINFO's radix-tree-nodes). Its keys are
/// the blocks' first IDs as 16 big-endian bytes; a radix tree of keys of one length, kept
/// compressed, has a node at the root, at each point where keys branch, after each branch,
/// and at each key.
fn radix_tree_nodes(ids: impl Iterator<Item = StreamId>) -> usize {
    let keys: Vec<[u8; 16]> = ids
        .map(|id| {
            let mut k = [0; 16];
            k[..8].copy_from_slice(&id.ms.to_be_bytes());
            k[8..].copy_from_slice(&id.seq.to_be_bytes());
            k
        })
        .collect();
    if keys.is_empty() {
        return 1;
    }
    subtree_nodes(&keys, 0)
}

/// Nodes under (and including) the one at `depth` for `keys`: sorted, distinct, sharing their
/// first `depth` bytes.
fn subtree_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
        return 0;
    };
    if depth == first.len() {
        return 1;
    }
    let branch = (depth..first.len())
        .find(|&i| first[i] != last[i])
        .unwrap_or(first.len());
    if branch == first.len() {
        // One key: a compressed node holding the rest of it, then the key's own node.
        return 2;
    }
    let mut nodes = usize::from(branch > depth) + 1;
    let mut rest = keys;
    while let Some(head) = rest.first() {
        let split = rest
            .iter()
            .position(|k| k[branch] != head[branch])
            .unwrap_or(rest.len());
        nodes += subtree_nodes(&rest[..split], branch + 1);
        rest = &rest[split..];
    }
    nodes
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use ferrokv_protocol::Reply;

    use super::BLOCKED;
    use crate::blocking::{BlockOn, TimeoutReply};
    use crate::string::test_support::*;

    fn entry(id: &str, fields: &[&str]) -> Reply {
        Reply::Array(vec![bulk(id), bulks(fields)])
    }

    fn e(i: u64) -> Reply {
        entry(&format!("{i}-0"), &["f", &format!("v{i}")])
    }

    fn read(key: &str, entries: Vec<Reply>) -> Reply {
        Reply::NestedMap(vec![(bulk(key), Reply::Array(entries))])
    }

    fn fill(t: &mut TestShard, key: &str, ids: std::ops::RangeInclusive<u64>) {
        for i in ids {
            let id = format!("{i}-0");
            assert_eq!(t.run(&["xadd", key, &id, "f", &format!("v{i}")]), bulk(&id));
        }
    }

    /// Runs XREADGROUP as the server does for a client that may block.
    fn read_may_block(t: &mut TestShard, args: &[Bytes]) -> Result<Reply, Box<BlockOn>> {
        let spec = crate::families()
            .into_iter()
            .flatten()
            .find(|s| s.name == "xreadgroup")
            .expect("xreadgroup");
        t.shard.execute_may_block(0, spec, 0, args, t.now)
    }

    fn words(line: &str) -> Vec<Bytes> {
        line.split(' ')
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    /// (radix-tree-keys, radix-tree-nodes) of XINFO STREAM.
    fn radix(t: &mut TestShard, key: &str) -> (Reply, Reply) {
        let Reply::Map(info) = t.run(&["xinfo", "stream", key]) else {
            panic!("not a map");
        };
        (info[1].1.clone(), info[2].1.clone())
    }

    /// (name, pending, idle) of each consumer in XINFO CONSUMERS.
    fn consumers(t: &mut TestShard, key: &str, group: &str) -> Vec<(Reply, Reply, Reply)> {
        let Reply::Array(cs) = t.run(&["xinfo", "consumers", key, group]) else {
            panic!("not an array");
        };
        cs.into_iter()
            .map(|c| match c {
                Reply::Map(f) => (f[0].1.clone(), f[1].1.clone(), f[2].1.clone()),
                other => panic!("not a map: {other:?}"),
            })
            .collect()
    }

    fn pending_row(id: &str, owner: &str, idle: i64, count: i64) -> Reply {
        Reply::Array(vec![bulk(id), bulk(owner), int(idle), int(count)])
    }

    #[test]
    fn radix_tree_nodes_as_redis_counts_them() {
        // Counts taken from redis-server 7.0 for the same commands.
        let mut t = TestShard::new();
        for i in 1..=1000u64 {
            t.run(&["xadd", "a", &format!("{i}-0"), "f", "v"]);
            t.run(&[
                "xadd",
                "b",
                &format!("{}-{}", i * 1_000_003, i % 7),
                "f",
                "v",
            ]);
            t.run(&["xadd", "d", &format!("5-{}", i - 1), "f", "v"]);
        }
        for i in 1..=2000u64 {
            let id = format!("{}-{}", 1_700_000_000_000 + i * 37, i % 3);
            t.run(&["xadd", "c", &id, "f", "v"]);
        }
        assert_eq!(radix(&mut t, "a"), (int(10), int(26)));
        assert_eq!(radix(&mut t, "b"), (int(10), int(22)));
        assert_eq!(radix(&mut t, "c"), (int(20), int(44)));
        assert_eq!(radix(&mut t, "d"), (int(10), int(16)));
        t.run(&["xtrim", "c", "maxlen", "~", "1500"]);
        assert_eq!(radix(&mut t, "c"), (int(15), int(34)));
        let del = |t: &mut TestShard, ids: std::ops::RangeInclusive<u64>| {
            let mut args = vec!["xdel".to_string(), "a".to_string()];
            args.extend(ids.map(|i| format!("{i}-0")));
            t.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        };
        del(&mut t, 101..=200);
        assert_eq!(radix(&mut t, "a"), (int(9), int(24)));
        del(&mut t, 1..=100);
        assert_eq!(radix(&mut t, "a"), (int(8), int(21)));
        del(&mut t, 501..=600);
        assert_eq!(radix(&mut t, "a"), (int(7), int(19)));
        for i in 0..1000u64 {
            t.run(&["xadd", "d", &format!("{}-0", 6 + i * 256), "f", "v"]);
        }
        assert_eq!(radix(&mut t, "d"), (int(20), int(43)));
        t.run(&["xadd", "e", "1-1", "f", "v"]);
        assert_eq!(radix(&mut t, "e"), (int(1), int(2)));
        t.run(&["xdel", "e", "1-1"]);
        assert_eq!(radix(&mut t, "e"), (int(0), int(1)));
    }

    #[test]
    fn xgroup_checks_options_then_key_then_group() {
        let mut t = TestShard::new();
        let missing = "ERR The XGROUP subcommand requires the key to exist. Note that for \
                       CREATE you may want to use the MKSTREAM option to create an empty stream \
                       automatically.";
        let replies = t.script(&[
            "xgroup create s g $ entriesread -2",
            "xgroup create s g $ foo",
            "xgroup create s g $",
            "xgroup destroy s g",
            "xgroup create s g bad MKSTREAM",
            "exists s",
            "xgroup create s g $ MKSTREAM",
            "xgroup create s g 0 mkstream",
            "xgroup setid s nog 0",
            "xgroup createconsumer s nog c",
            "xgroup delconsumer s nog c",
            "xgroup setid s g 0 mkstream",
            "xgroup create s g2 0 mkstream entriesread 1 mkstream",
            "xgroup Create s g2 0 x",
            "set str v",
            "xgroup create str g $ mkstream",
        ]);
        assert_eq!(
            replies,
            vec![
                err("ERR value for ENTRIESREAD must be positive or -1"),
                err("ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP."),
                err(missing),
                err(missing),
                err("ERR Invalid stream ID specified as stream command argument"),
                int(0),
                ok(),
                err("BUSYGROUP Consumer Group name already exists"),
                err("NOGROUP No such consumer group 'nog' for key name 's'"),
                err("NOGROUP No such consumer group 'nog' for key name 's'"),
                err("NOGROUP No such consumer group 'nog' for key name 's'"),
                err("ERR unknown subcommand or wrong number of arguments for 'setid'. Try XGROUP HELP."),
                err("ERR unknown subcommand or wrong number of arguments for 'create'. Try XGROUP HELP."),
                err("ERR unknown subcommand or wrong number of arguments for 'Create'. Try XGROUP HELP."),
                ok(),
                err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            ]
        );
    }

    #[test]
    fn xreadgroup_blocks_only_for_new_entries() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=2);
        t.run(&["xgroup", "create", "s", "g", "$"]);
        let call = words("XREADGROUP GROUP g c COUNT 5 BLOCK 1000 STREAMS s >");
        let Err(on) = read_may_block(&mut t, &call) else {
            panic!("should block");
        };
        let mut rerun = call.clone();
        rerun[0] = Bytes::from_static(BLOCKED);
        rerun[10] = Bytes::from_static(b"2-0");
        assert_eq!(
            *on,
            BlockOn {
                keys: vec![Bytes::from_static(b"s")],
                deadline_ms: Some(t.now + 1000),
                args: Some(rerun.clone()),
                on_timeout: TimeoutReply::NullArray,
            }
        );
        // Without the server's blocking (MULTI, scripts) the answer is the timeout's.
        assert_eq!(
            t.run(&[
                "xreadgroup",
                "group",
                "g",
                "c",
                "block",
                "0",
                "streams",
                "s",
                ">"
            ]),
            Reply::NullArray
        );
        // Nor does reading the history ever block, or a read that finds no consumer make one.
        assert_eq!(
            read_may_block(&mut t, &words("XREADGROUP GROUP g d BLOCK 0 STREAMS s 0")),
            Ok(read("s", vec![]))
        );
        assert_eq!(consumers(&mut t, "s", "g").len(), 1);
        // A write that adds nothing leaves the reader waiting; an addition serves it.
        t.run(&["xgroup", "createconsumer", "s", "g", "x"]);
        assert!(read_may_block(&mut t, &rerun).is_err());
        t.run(&["xgroup", "setid", "s", "g", "0"]);
        assert!(read_may_block(&mut t, &rerun).is_err());
        fill(&mut t, "s", 3..=3);
        assert_eq!(
            read_may_block(&mut t, &rerun),
            Ok(read("s", vec![e(1), e(2), e(3)]))
        );
        // An addition deleted before the re-run still serves, with nothing.
        t.run(&["xadd", "s", "4-0", "f", "v4"]);
        t.run(&["xdel", "s", "4-0"]);
        assert_eq!(read_may_block(&mut t, &rerun), Ok(read("s", vec![])));
        t.run(&["xgroup", "destroy", "s", "g"]);
        assert_eq!(
            read_may_block(&mut t, &rerun),
            Ok(err(
                "NOGROUP the consumer group this client was blocked on no longer exists"
            ))
        );
        t.run(&["set", "s", "x"]);
        assert_eq!(
            read_may_block(&mut t, &rerun),
            Ok(err("UNBLOCKED the stream key no longer exists"))
        );
    }

    #[test]
    fn the_largest_id_reads_new_entries_as_in_redis() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=2);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        let max = "18446744073709551615-18446744073709551615";
        assert_eq!(
            t.run(&[
                "xreadgroup",
                "group",
                "g",
                "c",
                "count",
                "1",
                "streams",
                "s",
                max
            ]),
            read("s", vec![e(1)])
        );
        assert_eq!(
            t.run(&[
                "xreadgroup",
                "group",
                "g",
                "c",
                "streams",
                "s",
                "18446744073709551615-18446744073709551614"
            ]),
            read("s", vec![])
        );
    }

    #[test]
    fn idle_times_follow_deliveries_and_claims() {
        let mut t = TestShard::new();
        let t0 = t.now as i64;
        fill(&mut t, "s", 1..=3);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        t.run(&["xgroup", "createconsumer", "s", "g", "idle"]);
        t.run(&["xreadgroup", "group", "g", "a", "streams", "s", ">"]);
        t.now += 5000;
        assert_eq!(
            t.run(&["xpending", "s", "g", "-", "+", "10"]),
            Reply::Array(vec![
                pending_row("1-0", "a", 5000, 1),
                pending_row("2-0", "a", 5000, 1),
                pending_row("3-0", "a", 5000, 1),
            ])
        );
        assert_eq!(
            t.run(&["xpending", "s", "g", "idle", "5001", "-", "+", "10"]),
            Reply::Array(vec![])
        );
        // XPENDING and a claim that takes nothing do not count as the consumer being seen.
        t.run(&["xpending", "s", "g", "-", "+", "10", "idle"]);
        t.run(&["xclaim", "s", "g", "idle", "6000", "1-0"]);
        t.run(&["xclaim", "s", "g", "b", "6000", "1-0"]);
        assert_eq!(
            consumers(&mut t, "s", "g"),
            vec![
                (bulk("a"), int(3), int(5000)),
                (bulk("idle"), int(0), int(5000)),
            ]
        );
        // IDLE sets the delivery that long ago; TIME sets it, when not in the future.
        assert_eq!(
            t.run(&["xclaim", "s", "g", "b", "5000", "1-0", "2-0", "idle", "700", "justid"]),
            bulks(&["1-0", "2-0"])
        );
        assert_eq!(
            t.run(&[
                "xclaim",
                "s",
                "g",
                "b",
                "5000",
                "3-0",
                "time",
                &(t0 + 1).to_string(),
                "justid"
            ]),
            bulks(&["3-0"])
        );
        t.now += 10;
        assert_eq!(
            t.run(&["xpending", "s", "g", "-", "+", "10"]),
            Reply::Array(vec![
                pending_row("1-0", "b", 710, 1),
                pending_row("2-0", "b", 710, 1),
                pending_row("3-0", "b", 5009, 1),
            ])
        );
        let future = (t.now + 1_000_000).to_string();
        t.run(&["xclaim", "s", "g", "b", "0", "3-0", "time", &future]);
        t.run(&["xclaim", "s", "g", "b", "0", "1-0", "idle", "-5"]);
        assert_eq!(
            t.run(&["xpending", "s", "g", "-", "+", "10"]),
            Reply::Array(vec![
                pending_row("1-0", "b", 0, 2),
                pending_row("2-0", "b", 710, 1),
                pending_row("3-0", "b", 0, 2),
            ])
        );
        t.now += 7;
        assert_eq!(
            consumers(&mut t, "s", "g"),
            vec![
                (bulk("a"), int(0), int(5017)),
                (bulk("b"), int(3), int(7)),
                (bulk("idle"), int(0), int(5017)),
            ]
        );
    }

    #[test]
    fn xautoclaim_stops_at_its_attempts_and_count() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=30);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        t.run(&["xreadgroup", "group", "g", "a", "streams", "s", ">"]);
        t.now += 100;
        t.run(&["xclaim", "s", "g", "a", "0", "5-0", "6-0"]);
        // The cursor is the pending entry after the last one looked at.
        assert_eq!(
            t.run(&[
                "xautoclaim",
                "s",
                "g",
                "b",
                "50",
                "5-0",
                "count",
                "1",
                "justid"
            ]),
            Reply::Array(vec![bulk("8-0"), bulks(&["7-0"]), bulks(&[])]),
        );
        // COUNT 1 looks at no more than 10 pending entries: none of them idle enough.
        assert_eq!(
            t.run(&["xautoclaim", "s", "g", "b", "1000", "0", "count", "1"]),
            Reply::Array(vec![
                bulk("11-0"),
                Reply::Array(vec![]),
                Reply::Array(vec![])
            ]),
        );
        t.run(&["xdel", "s", "20-0", "21-0", "22-0"]);
        assert_eq!(
            t.run(&["xautoclaim", "s", "g", "b", "0", "19-0", "count", "3"]),
            Reply::Array(vec![
                bulk("22-0"),
                Reply::Array(vec![e(19)]),
                bulks(&["20-0", "21-0"]),
            ]),
        );
        assert_eq!(
            t.run(&[
                "xautoclaim",
                "s",
                "g",
                "b",
                "0",
                "0",
                "count",
                "576460752303423487"
            ]),
            err("ERR Insufficient memory, failed allocating transient memory, COUNT too high.")
        );
        assert_eq!(
            t.run(&[
                "xautoclaim",
                "s",
                "g",
                "b",
                "0",
                "0",
                "count",
                "576460752303423488"
            ]),
            err("ERR COUNT must be > 0")
        );
        assert_eq!(
            t.run(&[
                "xautoclaim",
                "nokey",
                "g",
                "b",
                "0",
                "0",
                "count",
                "576460752303423487"
            ]),
            err("NOGROUP No such key 'nokey' or consumer group 'g'")
        );
    }

    #[test]
    fn delivery_counts_wrap_as_unsigned() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=1);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        t.run(&[
            "xclaim",
            "s",
            "g",
            "c",
            "0",
            "1-0",
            "force",
            "retrycount",
            "9223372036854775807",
        ]);
        t.run(&["xclaim", "s", "g", "c", "0", "1-0"]);
        assert_eq!(
            t.run(&["xpending", "s", "g", "-", "+", "1"]),
            Reply::Array(vec![pending_row("1-0", "c", 0, i64::MIN)])
        );
    }

    #[test]
    fn xinfo_stream_full_with_times() {
        let mut t = TestShard::new();
        let t0 = t.now as i64;
        fill(&mut t, "s", 1..=3);
        t.run(&["xgroup", "create", "s", "g", "0", "entriesread", "0"]);
        t.run(&[
            "xreadgroup",
            "group",
            "g",
            "c",
            "count",
            "2",
            "streams",
            "s",
            ">",
        ]);
        t.now += 3;
        t.run(&["xgroup", "createconsumer", "s", "g", "d"]);
        let full = t.run(&["xinfo", "stream", "s", "full", "count", "1"]);
        let f = |k: &'static str, v: Reply| (bulk(k), v);
        assert_eq!(
            full,
            Reply::Map(vec![
                f("length", int(3)),
                f("radix-tree-keys", int(1)),
                f("radix-tree-nodes", int(2)),
                f("last-generated-id", bulk("3-0")),
                f("max-deleted-entry-id", bulk("0-0")),
                f("entries-added", int(3)),
                f("recorded-first-entry-id", bulk("1-0")),
                f("entries", Reply::Array(vec![e(1)])),
                f(
                    "groups",
                    Reply::Array(vec![Reply::Map(vec![
                        f("name", bulk("g")),
                        f("last-delivered-id", bulk("2-0")),
                        f("entries-read", int(2)),
                        f("lag", int(1)),
                        f("pel-count", int(2)),
                        f(
                            "pending",
                            Reply::Array(vec![Reply::Array(vec![
                                bulk("1-0"),
                                bulk("c"),
                                int(t0),
                                int(1)
                            ])])
                        ),
                        f(
                            "consumers",
                            Reply::Array(vec![
                                Reply::Map(vec![
                                    f("name", bulk("c")),
                                    f("seen-time", int(t0)),
                                    f("pel-count", int(2)),
                                    f(
                                        "pending",
                                        Reply::Array(vec![Reply::Array(vec![
                                            bulk("1-0"),
                                            int(t0),
                                            int(1)
                                        ])])
                                    ),
                                ]),
                                Reply::Map(vec![
                                    f("name", bulk("d")),
                                    f("seen-time", int(t0 + 3)),
                                    f("pel-count", int(0)),
                                    f("pending", Reply::Array(vec![])),
                                ]),
                            ])
                        ),
                    ])])
                ),
            ])
        );
    }

    #[test]
    fn lag_after_entriesread_beyond_what_was_added() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=3);
        t.run(&["xgroup", "create", "s", "g", "0", "entriesread", "10"]);
        let Reply::Array(groups) = t.run(&["xinfo", "groups", "s"]) else {
            panic!("not an array");
        };
        let Reply::Map(g) = &groups[0] else {
            panic!("not a map");
        };
        assert_eq!((g[4].1.clone(), g[5].1.clone()), (int(10), int(-7)));
    }

    #[test]
    fn argument_errors_in_redis_order() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=2);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        t.run(&["set", "str", "x"]);
        let invalid = "ERR Invalid stream ID specified as stream command argument";
        let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
        for (line, want) in [
            // XACK: no key or group answers 0 before the IDs are read.
            ("xack nokey g bad", int(0)),
            ("xack s nog bad", int(0)),
            ("xack s g 1-0 bad", err(invalid)),
            ("xack str g 1-0", err(wrongtype)),
            // XPENDING: the range before the key.
            ("xpending s g - +", err("ERR syntax error")),
            ("xpending s g idle 1 - +", err("ERR syntax error")),
            ("xpending s g - + 1 c x y z", err("ERR syntax error")),
            ("xpending nokey g - + x", err("ERR value is not an integer or out of range")),
            ("xpending nokey g x + 1", err(invalid)),
            ("xpending nokey g - (0-0 1", err("ERR invalid end ID for the interval")),
            ("xpending nokey g", err("NOGROUP No such key 'nokey' or consumer group 'g'")),
            ("xpending str g", err(wrongtype)),
            // XCLAIM: the group before anything else.
            ("xclaim nokey g c x 1-0", err("NOGROUP No such key 'nokey' or consumer group 'g'")),
            ("xclaim s g c x 1-0", err("ERR Invalid min-idle-time argument for XCLAIM")),
            ("xclaim s g c 0 1-0 2-0 bad 3-0", err("ERR Unrecognized XCLAIM option 'bad'")),
            ("xclaim s g c 0 1-0 lastid -", err(invalid)),
            ("xclaim s g c 0 1-0 retrycount", err("ERR Unrecognized XCLAIM option 'retrycount'")),
            // XAUTOCLAIM: its arguments before the group.
            ("xautoclaim nokey g c x 0", err("ERR Invalid min-idle-time argument for XAUTOCLAIM")),
            ("xautoclaim nokey g c 0 0 count 0", err("ERR COUNT must be > 0")),
            ("xautoclaim nokey g c 0 0 justid x", err("ERR syntax error")),
            ("xautoclaim nokey g c 0 0", err("NOGROUP No such key 'nokey' or consumer group 'g'")),
            // XINFO: the key before the options.
            ("xinfo stream nokey foo", err("ERR no such key")),
            ("xinfo stream s full count", err("ERR unknown subcommand or wrong number of arguments for 'stream'. Try XINFO HELP.")),
            ("xinfo consumers s nog", err("NOGROUP No such consumer group 'nog' for key name 's'")),
            ("xinfo foo s", err("ERR unknown subcommand 'foo'. Try XINFO HELP.")),
            ("xinfo groups s x", err("ERR wrong number of arguments for 'xinfo|groups' command")),
            // XREADGROUP.
            ("xreadgroup count 1 streams s s > >", err("ERR Missing GROUP option for XREADGROUP")),
            ("xreadgroup group g c streams s > 0", err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")),
            ("xreadgroup group g c streams s nokey > >", err("NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option")),
            ("xreadgroup group g c streams str s > >", err(wrongtype)),
            ("xreadgroup group g c streams s +", err(invalid)),
            ("xreadgroup group g c block -1 streams s >", err("ERR timeout is negative")),
            ("xreadgroup group g streams s > >", err("ERR syntax error")),
        ] {
            assert_eq!(t.run(&line.split(' ').collect::<Vec<_>>()), want, "{line}");
        }
        // None of the failed calls created a consumer or moved the group.
        assert_eq!(consumers(&mut t, "s", "g"), vec![]);
        assert_eq!(
            t.run(&["xpending", "s", "g"]),
            Reply::Array(vec![int(0), Reply::Null, Reply::Null, Reply::NullArray])
        );
    }

    #[test]
    fn setid_and_lastid_move_the_group() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=3);
        let replies = t.script(&[
            "xgroup create s g $",
            "xgroup setid s g - entriesread 0",
            "xreadgroup group g c count 1 streams s >",
            "xclaim s g c 0 9-0 lastid 2-0",
            "xclaim s g c 0 9-0 lastid 1-5",
            "xreadgroup group g c streams s >",
            "xgroup setid s g + entriesread 7",
            "xreadgroup group g c streams s >",
        ]);
        assert_eq!(
            replies,
            vec![
                ok(),
                ok(),
                read("s", vec![e(1)]),
                Reply::Array(vec![]),
                Reply::Array(vec![]),
                read("s", vec![e(3)]),
                ok(),
                Reply::NullArray,
            ]
        );
    }

    #[test]
    fn a_blocked_noack_reader_leaves_nothing_pending() {
        let mut t = TestShard::new();
        t.run(&["xgroup", "create", "s", "g", "$", "mkstream"]);
        let call = words("XREADGROUP GROUP g c NOACK BLOCK 0 STREAMS s >");
        let Err(on) = read_may_block(&mut t, &call) else {
            panic!("should block");
        };
        let rerun = on.args.clone().unwrap_or_default();
        assert_eq!(on.deadline_ms, None);
        fill(&mut t, "s", 1..=1);
        assert_eq!(read_may_block(&mut t, &rerun), Ok(read("s", vec![e(1)])));
        assert_eq!(
            t.run(&["xpending", "s", "g"]),
            Reply::Array(vec![int(0), Reply::Null, Reply::Null, Reply::NullArray])
        );
        assert_eq!(
            consumers(&mut t, "s", "g"),
            vec![(bulk("c"), int(0), int(0))]
        );
    }

    #[test]
    fn keys_follow_the_streams_option_whatever_the_names() {
        let keys = |line: &str| super::super::commands::read_keys(&words(line));
        assert_eq!(
            keys("XREADGROUP GROUP STREAMS c COUNT 1 NOACK STREAMS k1 k2 > >"),
            [8, 9]
        );
        assert_eq!(keys("XREADGROUP BLOCK 0 GROUP g streams streams k >"), [7]);
        assert_eq!(
            keys("XREADGROUP GROUP g c FOO STREAMS k >"),
            Vec::<usize>::new()
        );
        assert_eq!(keys("XREADGROUP GROUP g c STREAMS k > x"), [5]);
    }

    #[test]
    fn history_counts_deliveries_and_shows_deleted_entries() {
        let mut t = TestShard::new();
        fill(&mut t, "s", 1..=3);
        t.run(&["xgroup", "create", "s", "g", "0"]);
        t.run(&["xreadgroup", "group", "g", "c", "streams", "s", ">"]);
        t.run(&["xdel", "s", "2-0"]);
        t.now += 40;
        let gone = Reply::Array(vec![bulk("2-0"), Reply::NullArray]);
        assert_eq!(
            t.run(&[
                "xreadgroup",
                "group",
                "g",
                "c",
                "count",
                "2",
                "streams",
                "s",
                "0"
            ]),
            read("s", vec![e(1), gone])
        );
        t.now += 2;
        assert_eq!(
            t.run(&["xpending", "s", "g", "-", "+", "10"]),
            Reply::Array(vec![
                pending_row("1-0", "c", 2, 2),
                pending_row("2-0", "c", 42, 1),
                pending_row("3-0", "c", 42, 1),
            ])
        );
    }
}
