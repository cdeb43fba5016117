//! Commands on keys of any type (Redis's db.c, expire.c and object.c): existence, deletion,
//! TTLs, renaming and copying within one shard, plus the shard-local parts of the commands the
//! server runs on every shard (KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, DEBUG POPULATE).

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::glob;
use crate::keyspace::{Entry, Keyspace, SEGMENTS};
use crate::notify::KeyspaceEvents;
use crate::shard::{lru_clock, Ctx, Shard};
use crate::value::{StrValue, Value};

const ACL_READ_FAST: &[&str] = &["keyspace", "read", "fast"];
const ACL_READ_SLOW: &[&str] = &["keyspace", "read", "slow"];
const ACL_WRITE_FAST: &[&str] = &["keyspace", "write", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["keyspace", "write", "slow"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("del", -2, WRITE, (1, -1, 1), ACL_WRITE_SLOW, "generic", "Delete a key", "1.0.0", Some(del), Split::SumInts),
    spec("unlink", -2, WRITE | FAST, (1, -1, 1), ACL_WRITE_FAST, "generic", "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.", "4.0.0", Some(del), Split::SumInts),
    spec("exists", -2, READONLY | FAST, (1, -1, 1), ACL_READ_FAST, "generic", "Determine if a key exists", "1.0.0", Some(exists), Split::SumInts),
    spec("type", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "generic", "Determine the type stored at key", "1.0.0", Some(type_), Split::None),
    spec("touch", -2, READONLY | FAST, (1, -1, 1), ACL_READ_FAST, "generic", "Alters the last access time of a key(s). Returns the number of existing keys specified.", "3.2.1", Some(touch), Split::SumInts),
    spec("rename", 3, WRITE, (1, 2, 1), ACL_WRITE_SLOW, "generic", "Rename a key", "1.0.0", Some(rename), Split::Transaction),
    spec("renamenx", 3, WRITE | FAST, (1, 2, 1), ACL_WRITE_FAST, "generic", "Rename a key, only if the new key does not exist", "1.0.0", Some(renamenx), Split::Transaction),
    spec("copy", -3, WRITE | DENYOOM, (1, 2, 1), ACL_WRITE_SLOW, "generic", "Copy a key", "6.2.0", Some(copy), Split::Transaction),
    spec("move", 3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Move a key to another database", "1.0.0", Some(move_), Split::None),
    spec("expire", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Set a key's time to live in seconds", "1.0.0", Some(expire), Split::None),
    spec("pexpire", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Set a key's time to live in milliseconds", "2.6.0", Some(pexpire), Split::None),
    spec("expireat", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Set the expiration for a key as a UNIX timestamp", "1.2.0", Some(expireat), Split::None),
    spec("pexpireat", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Set the expiration for a key as a UNIX timestamp specified in milliseconds", "2.6.0", Some(pexpireat), Split::None),
    spec("ttl", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "generic", "Get the time to live for a key in seconds", "1.0.0", Some(ttl), Split::None),
    spec("pttl", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "generic", "Get the time to live for a key in milliseconds", "2.6.0", Some(pttl), Split::None),
    spec("expiretime", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "generic", "Get the expiration Unix timestamp for a key", "7.0.0", Some(expiretime), Split::None),
    spec("pexpiretime", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "generic", "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0", Some(pexpiretime), Split::None),
    spec("persist", 2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "generic", "Remove the expiration from a key", "2.2.0", Some(persist), Split::None),
    CommandSpec { subcommands: MEMORY_SUBCOMMANDS, ..spec("memory", -2, 0, (0, 0, 0), &["slow"], "server", "A container for memory diagnostics commands", "4.0.0", Some(memory), Split::None) },
    CommandSpec { subcommands: OBJECT_SUBCOMMANDS, ..spec("object", -2, 0, (0, 0, 0), &["slow"], "generic", "A container for object introspection commands", "2.2.3", Some(object), Split::None) },
];

#[rustfmt::skip]
static OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    spec("object|help", 2, LOADING | STALE, (0, 0, 0), &["keyspace", "slow"], "generic", "Show helpful text about the different subcommands", "6.2.0", Some(object_help), Split::None),
    spec("object|idletime", 3, READONLY, (2, 2, 1), ACL_READ_SLOW, "generic", "Get the time since a Redis object was last accessed", "2.2.3", Some(object_idletime), Split::None),
    spec("object|freq", 3, READONLY, (2, 2, 1), ACL_READ_SLOW, "generic", "Get the logarithmic access frequency counter of a Redis object", "4.0.0", Some(object_freq), Split::None),
    spec("object|encoding", 3, READONLY, (2, 2, 1), ACL_READ_SLOW, "generic", "Inspect the internal encoding of a Redis object", "2.2.3", Some(object_encoding), Split::None),
    spec("object|refcount", 3, READONLY, (2, 2, 1), ACL_READ_SLOW, "generic", "Get the number of references to the value of the key", "2.2.3", Some(object_refcount), Split::None),
];

#[rustfmt::skip]
static MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    spec("memory|doctor", 2, 0, (0, 0, 0), &["slow"], "server", "Outputs memory problems report", "4.0.0", Some(memory_unsupported), Split::None),
    spec("memory|help", 2, LOADING | STALE, (0, 0, 0), &["slow"], "server", "Show helpful text about the different subcommands", "4.0.0", Some(memory_help), Split::None),
    spec("memory|malloc-stats", 2, 0, (0, 0, 0), &["slow"], "server", "Show allocator internal stats", "4.0.0", Some(memory_unsupported), Split::None),
    spec("memory|purge", 2, 0, (0, 0, 0), &["slow"], "server", "Ask the allocator to release memory", "4.0.0", Some(memory_unsupported), Split::None),
    spec("memory|stats", 2, 0, (0, 0, 0), &["slow"], "server", "Show memory usage details", "4.0.0", Some(memory_unsupported), Split::None),
    spec("memory|usage", -3, READONLY, (2, 2, 1), ACL_READ_SLOW, "server", "Estimate the memory usage of a key", "4.0.0", Some(memory_usage), Split::None),
];

fn memory(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run_subcommand(ctx, args, "MEMORY", MEMORY_SUBCOMMANDS)
}

fn memory_help(_ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    const LINES: &[&str] = &[
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::status_lines(LINES))
}

fn memory_unsupported(_ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Err(args::error_format(&[
        b"ERR MEMORY ",
        &args[1].to_ascii_uppercase(),
        b" is not supported by ferrokv yet (INFO memory has the figures)",
    ]))
}

/// MEMORY USAGE key [SAMPLES n]: the key's slot in the table, its name and everything its
/// value holds on the heap. ferrokv keeps exact sizes, so SAMPLES is validated but every
/// element is counted.
fn memory_usage(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match &args[3..] {
        [] => {}
        [opt, n] if args::is(opt, "SAMPLES") => {
            if args::int(n)? < 0 {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    let size = peek_inspect(ctx, &args[2], |e| {
        std::mem::size_of::<Entry>() + e.key().len() + e.value.heap_size()
    });
    Ok(size.map_or(Reply::Null, |n| Reply::Int(n as i64)))
}

/// Redis's `lookupKeyReadWithFlags(LOOKUP_NOTOUCH)` (EXISTS, TYPE, TTL): counts a keyspace
/// hit or miss, raising `keymiss` on a miss, but leaves the access time alone, so inspecting
/// a key does not make it look recently used.
fn peek_read<T>(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&Entry) -> T) -> Option<T> {
    let now = ctx.now_ms;
    let found = ctx.ks().get_read(key, now).map(|e| f(e));
    count_lookup(ctx, found)
}

/// As `peek_read` without the `keymiss` event (`LOOKUP_NONOTIFY`): OBJECT and MEMORY USAGE.
fn peek_inspect<T>(ctx: &mut Ctx<'_>, key: &[u8], f: impl FnOnce(&Entry) -> T) -> Option<T> {
    let now = ctx.now_ms;
    let found = ctx.ks().get(key, now).map(|e| f(e));
    count_lookup(ctx, found)
}

/// Counts a keyspace hit or miss for what a lookup `found`.
fn count_lookup<T>(ctx: &mut Ctx<'_>, found: Option<T>) -> Option<T> {
    let stats = &mut ctx.shard.stats;
    if found.is_some() {
        stats.keyspace_hits += 1;
    } else {
        stats.keyspace_misses += 1;
    }
    found
}

fn del(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    let mut n = 0;
    for key in &args[1..] {
        if ctx.ks().remove(key, now).is_some() {
            ctx.notify(KeyspaceEvents::GENERIC, "del", key);
            n += 1;
        }
    }
    Ok(Reply::Int(n))
}

fn exists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let n = args[1..]
        .iter()
        .filter(|k| peek_read(ctx, k, |_| ()).is_some())
        .count();
    Ok(Reply::Int(n as i64))
}

fn touch(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let n = args[1..].iter().filter(|k| ctx.read(k).is_some()).count();
    Ok(Reply::Int(n as i64))
}

fn type_(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let name = peek_read(ctx, &args[1], |e| e.value.type_name()).unwrap_or("none");
    Ok(Reply::simple(name))
}

fn same_object() -> CmdError {
    CmdError::other("ERR source and destination objects are the same")
}

fn rename_generic(ctx: &mut Ctx<'_>, args: &[Bytes], nx: bool) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    if ctx.write(src).is_none() {
        return Err(CmdError::NoSuchKey);
    }
    let done = |renamed: bool| match nx {
        true => Reply::Int(renamed as i64),
        false => Reply::ok(),
    };
    if src == dst {
        // Redis answers as if the key stayed put: OK, or 0 for RENAMENX.
        return Ok(done(false));
    }
    let now = ctx.now_ms;
    if nx && ctx.write(dst).is_some() {
        return Ok(done(false));
    }
    let Some(entry) = ctx.ks().remove(src, now) else {
        return Err(CmdError::NoSuchKey);
    };
    let expire_at = entry.expire_at();
    let value = entry.value;
    // Redis deletes the destination and adds it anew: a `new` event even when it existed.
    ctx.ks().remove(dst, now);
    ctx.ks().insert(dst, value, expire_at, now);
    notify_renamed(ctx, src, dst);
    Ok(done(true))
}

/// RENAME's events, also raised by the server for a rename across shards.
pub fn notify_renamed(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8]) {
    ctx.notify(KeyspaceEvents::GENERIC, "rename_from", src);
    ctx.notify(KeyspaceEvents::GENERIC, "rename_to", dst);
}

fn rename(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    rename_generic(ctx, args, true)
}

/// A database index argument (MOVE, COPY ... DB): an `int`, then within the configured count.
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, CmdError> {
    let id = args::int32(arg)?;
    usize::try_from(id)
        .ok()
        .filter(|&id| id < databases)
        .ok_or(CmdError::DbIndexOutOfRange)
}

/// `COPY src dst` options: `[DB n] [REPLACE]`, checked in Redis's order (an out-of-range DB
/// is reported before a later syntax error).
pub fn copy_options(
    opts: &[Bytes],
    db: usize,
    databases: usize,
) -> Result<(usize, bool), CmdError> {
    let (mut dst_db, mut replace) = (db, false);
    let mut i = 0;
    while i < opts.len() {
        if args::is(&opts[i], "REPLACE") {
            replace = true;
        } else if args::is(&opts[i], "DB") && i + 1 < opts.len() {
            dst_db = db_index(&opts[i + 1], databases)?;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok((dst_db, replace))
}

fn copy(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    let (dst_db, replace) = copy_options(&args[3..], ctx.db, ctx.shard.databases())?;
    if dst_db == ctx.db && src == dst {
        return Err(same_object());
    }
    let Some((value, expire_at)) = ctx.read(src).map(|e| (e.value.clone(), e.expire_at())) else {
        return Ok(Reply::Int(0));
    };
    let now = ctx.now_ms;
    let target = ctx.shard.db_mut(dst_db);
    if target.contains(dst, now) {
        if !replace {
            return Ok(Reply::Int(0));
        }
        // Deleted and added anew, as in Redis: a `new` event.
        target.remove(dst, now);
    }
    target.insert(dst, value, expire_at, now);
    ctx.notify_in(dst_db, KeyspaceEvents::GENERIC, "copy_to", dst);
    if dst_db != ctx.db {
        // The command's own keys are touched in the selected database only.
        ctx.shard.touch_watched(dst_db, dst, now);
    }
    Ok(Reply::Int(1))
}

fn move_(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let dst_db = db_index(&args[2], ctx.shard.databases())?;
    if dst_db == ctx.db {
        return Err(same_object());
    }
    if ctx.write(key).is_none() {
        return Ok(Reply::Int(0));
    }
    let now = ctx.now_ms;
    if ctx.shard.db_mut(dst_db).contains(key, now) {
        return Ok(Reply::Int(0));
    }
    let Some(entry) = ctx.ks().remove(key, now) else {
        return Ok(Reply::Int(0));
    };
    let expire_at = entry.expire_at();
    let value = entry.value;
    ctx.shard.db_mut(dst_db).insert(key, value, expire_at, now);
    ctx.notify(KeyspaceEvents::GENERIC, "move_from", key);
    ctx.notify_in(dst_db, KeyspaceEvents::GENERIC, "move_to", key);
    ctx.shard.touch_watched(dst_db, key, now);
    Ok(Reply::Int(1))
}

#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

/// Redis's `parseExtendedExpireArgumentsOrReply`: every option is read (an unknown one fails
/// at once) before the combinations are judged.
fn expire_flags(opts: &[Bytes]) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for o in opts {
        if args::is(o, "NX") {
            f.nx = true;
        } else if args::is(o, "XX") {
            f.xx = true;
        } else if args::is(o, "GT") {
            f.gt = true;
        } else if args::is(o, "LT") {
            f.lt = true;
        } else {
            return Err(args::error_format(&[
                b"ERR Unsupported option ",
                args::c_str(o),
            ]));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::other(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::other(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(f)
}

/// Redis's `expireGenericCommand`. Negative times are allowed (they delete the key); only an
/// overflow, by the unit conversion or by adding the base time, is an invalid expire time.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    relative: bool,
    seconds: bool,
    cmd: &'static str,
) -> CmdResult {
    let flags = expire_flags(&args[3..])?;
    let mut when = args::int(&args[2])?;
    let invalid = CmdError::InvalidExpire(cmd);
    if seconds {
        when = when.checked_mul(1000).ok_or(invalid.clone())?;
    }
    let now = ctx.now_ms;
    if relative {
        when = when.checked_add(now as i64).ok_or(invalid)?;
    }
    let key = &args[1];
    let Some(current) = ctx.write(key).map(|e| e.expire_at()) else {
        return Ok(Reply::Int(0));
    };
    let when_u = u64::try_from(when).ok();
    // No TTL counts as an infinite one: GT always fails against it, LT always passes.
    let gt_refused = match (current, when_u) {
        (Some(c), Some(w)) => w <= c,
        _ => true,
    };
    let lt_refused = matches!((current, when_u), (Some(c), Some(w)) if w >= c);
    let rejected = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && gt_refused)
        || (flags.lt && lt_refused);
    if rejected {
        return Ok(Reply::Int(0));
    }
    match when_u {
        Some(at) if at > now => {
            ctx.ks().set_expire(key, Some(at), now);
            ctx.notify(KeyspaceEvents::GENERIC, "expire", key);
        }
        _ => {
            ctx.ks().remove(key, now);
            ctx.notify(KeyspaceEvents::GENERIC, "del", key);
        }
    }
    Ok(Reply::Int(1))
}

fn expire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, true, true, "expire")
}

fn pexpire(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, true, false, "pexpire")
}

fn expireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, false, true, "expireat")
}

fn pexpireat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    expire_generic(ctx, args, false, false, "pexpireat")
}

/// Redis's `ttlGenericCommand`: -2 for a missing key, -1 without a TTL; seconds are rounded
/// to the nearest.
fn ttl_generic(ctx: &mut Ctx<'_>, key: &[u8], ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now_ms;
    let Some(expire_at) = peek_read(ctx, key, Entry::expire_at) else {
        return Ok(Reply::Int(-2));
    };
    let Some(at) = expire_at else {
        return Ok(Reply::Int(-1));
    };
    let t = if absolute { at } else { at.saturating_sub(now) };
    // Rounded without overflow even for a deadline at i64::MAX, as Redis's build answers.
    Ok(Reply::Int(if ms {
        t as i64
    } else {
        ((t as i128 + 500) / 1000) as i64
    }))
}

fn ttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], false, false)
}

fn pttl(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], true, false)
}

fn expiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], false, true)
}

fn pexpiretime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    ttl_generic(ctx, &args[1], true, true)
}

fn persist(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let had_ttl = ctx.write(key).is_some_and(|e| e.expire_at().is_some());
    if had_ttl {
        let now = ctx.now_ms;
        ctx.ks().set_expire(key, None, now);
        ctx.notify(KeyspaceEvents::GENERIC, "persist", key);
    }
    Ok(Reply::Int(had_ttl as i64))
}

/// OBJECT as a whole, for a router that hands container commands over undivided: finds the
/// subcommand and checks its arity with Redis's messages.
fn object(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run_subcommand(ctx, args, "OBJECT", OBJECT_SUBCOMMANDS)
}

/// Runs the subcommand `args[1]` of a container command (OBJECT, MEMORY) with Redis's errors
/// for an unknown subcommand and a wrong argument count.
pub(crate) fn run_subcommand(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    container: &str,
    subcommands: &[CommandSpec],
) -> CmdResult {
    let sub_arg = args.get(1).map_or(&b""[..], |a| &a[..]);
    let found = subcommands.iter().find(|s| {
        s.name
            .split_once('|')
            .is_some_and(|(_, name)| name.as_bytes().eq_ignore_ascii_case(sub_arg))
    });
    let Some(spec) = found else {
        return Err(args::error_format(&[
            b"ERR unknown subcommand '",
            args::c_str(&sub_arg[..sub_arg.len().min(128)]),
            b"'. Try ",
            container.as_bytes(),
            b" HELP.",
        ]));
    };
    if !spec.arity_ok(args.len()) {
        return Err(CmdError::other(format!(
            "ERR wrong number of arguments for '{}' command",
            spec.name
        )));
    }
    let Some(handler) = spec.handler else {
        return Err(CmdError::Syntax);
    };
    handler(ctx, args)
}

fn object_help(_ctx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    const LINES: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::status_lines(LINES))
}

fn object_encoding(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = peek_inspect(ctx, &args[2], |e| e.value.encoding());
    Ok(found.map_or(Reply::Null, |enc| {
        Reply::Bulk(Bytes::from_static(enc.as_bytes()))
    }))
}

fn object_idletime(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let clock = lru_clock(ctx.now_ms);
    let idle = peek_inspect(ctx, &args[2], |e| clock.wrapping_sub(e.access));
    Ok(idle.map_or(Reply::Null, |s| Reply::Int(s as i64)))
}

fn object_freq(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Access frequency is tracked only under an LFU maxmemory policy, which the shard does not
    // implement yet: Redis's answer for the other policies.
    match peek_inspect(ctx, &args[2], |_| ()) {
        None => Ok(Reply::Null),
        Some(()) => Err(CmdError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        )),
    }
}

/// What OBJECT REFCOUNT reports: Redis shares one object for each integer below 10000, which
/// then reports `INT_MAX`; anything else belongs to its key alone.
fn refcount(v: &Value) -> i64 {
    match v.as_str() {
        Some(StrValue::Int(i)) if (0..10_000).contains(i) => i32::MAX as i64,
        _ => 1,
    }
}

fn object_refcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = peek_inspect(ctx, &args[2], |e| refcount(&e.value));
    Ok(found.map_or(Reply::Null, Reply::Int))
}

// ---- Shard-local building blocks of the commands the server runs on every shard ----

/// KEYS on this shard's part of a database. `*` skips matching, as Redis does.
pub fn keys_matching(ks: &Keyspace, pattern: &[u8], now_ms: u64) -> Vec<Bytes> {
    let all = pattern == b"*";
    let mut out = Vec::new();
    ks.for_each(now_ms, |e| {
        if all || glob::matches(pattern, e.key(), false) {
            out.push(Bytes::copy_from_slice(e.key()));
        }
    });
    out
}

/// SCAN's options after the cursor: `[MATCH pattern] [COUNT count] [TYPE type]`, any order,
/// repeatable (the last wins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanOptions {
    /// `None` for no pattern or `*`.
    pub pattern: Option<Bytes>,
    pub count: usize,
    pub type_name: Option<Bytes>,
}

/// Redis's option parsing in `scanGenericCommand` for `SCAN cursor ...` (`args[0]` is SCAN).
pub fn scan_options(args: &[Bytes]) -> Result<ScanOptions, CmdError> {
    parse_scan_options(args, 2, true)
}

/// A SCAN-family reply: the next cursor and the items of this step.
pub fn scan_reply(cursor: u64, items: Vec<Reply>) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from(cursor.to_string())),
        Reply::Array(items),
    ])
}

/// The options of HSCAN/SSCAN/ZSCAN (`key cursor [MATCH p] [COUNT n]`; no TYPE).
pub fn collection_scan_options(args: &[Bytes]) -> Result<ScanOptions, CmdError> {
    parse_scan_options(args, 3, false)
}

fn parse_scan_options(
    args: &[Bytes],
    mut i: usize,
    allow_type: bool,
) -> Result<ScanOptions, CmdError> {
    let mut o = ScanOptions {
        pattern: None,
        count: 10,
        type_name: None,
    };
    while i < args.len() {
        let value = args.get(i + 1).ok_or(CmdError::Syntax)?;
        if args::is(&args[i], "COUNT") {
            let n = args::int(value)?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if args::is(&args[i], "MATCH") {
            o.pattern = (&value[..] != b"*").then(|| value.clone());
        } else if allow_type && args::is(&args[i], "TYPE") {
            o.type_name = Some(value.clone());
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// A SCAN cursor as Redis reads it with `strtoul`: optional sign (a negative one wraps), no
/// leading space, nothing after the digits; the empty string is cursor 0.
pub fn scan_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::other("ERR invalid cursor");
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if arg.is_empty() {
        return Ok(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// One SCAN step on this shard's part of a database: whole segments from `segment`, until
/// `count` keys have been looked at or the segments run out. Returns the segment to continue
/// from (`None` when this shard is done) and the matching keys. A segment never moves, so a
/// key present for the whole iteration is returned at least once. A segment is never split,
/// so a step may return more than `count` keys.
pub fn scan_step(
    ks: &Keyspace,
    segment: usize,
    count: usize,
    pattern: Option<&[u8]>,
    type_name: Option<&[u8]>,
    now_ms: u64,
) -> (Option<usize>, Vec<Bytes>) {
    let pattern = pattern.filter(|p| *p != b"*");
    let mut out = Vec::new();
    let mut seen = 0;
    let mut seg = segment;
    while seg < SEGMENTS && seen < count.max(1) {
        ks.for_each_in_segment(seg, now_ms, |e| {
            seen += 1;
            let type_ok = type_name
                .iter()
                .all(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()));
            if type_ok && pattern.iter().all(|p| glob::matches(p, e.key(), false)) {
                out.push(Bytes::copy_from_slice(e.key()));
            }
        });
        seg += 1;
    }
    ((seg < SEGMENTS).then_some(seg), out)
}

/// RANDOMKEY on one shard's database; `None` when it holds no live key.
pub fn random_key(shard: &mut Shard, db: usize, now_ms: u64) -> Option<Bytes> {
    // The generator lives beside the databases in `Shard`; a copy avoids borrowing both.
    let mut rng = shard.rng.clone();
    let key = shard.db_mut(db).random_key(now_ms, &mut rng);
    shard.rng = rng;
    key.map(|k| Bytes::copy_from_slice(&k))
}

/// DBSIZE on this shard: like Redis, keys whose TTL passed but that were not removed yet count.
pub fn dbsize(ks: &Keyspace) -> usize {
    ks.len()
}

/// The arguments of `DEBUG POPULATE count [prefix] [size]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Populate {
    pub count: u64,
    pub prefix: Bytes,
    /// `None` (or 0): values are exactly `value:N`.
    pub size: Option<usize>,
}

/// Reads `count [prefix] [size]` (the arguments after `DEBUG POPULATE`) with Redis's errors.
/// A size above proto-max-bulk-len is refused: Redis would try to allocate it for every key.
pub fn populate_args(args: &[Bytes]) -> Result<Populate, CmdError> {
    let count = args::non_negative(args.first().map_or(&b""[..], |a| a))?;
    let prefix = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| Bytes::from_static(b"key"));
    let size = match args.get(2) {
        None => None,
        Some(a) => Some(args::non_negative(a)?),
    };
    if size.is_some_and(|s| s > crate::string::proto_max_bulk_len()) {
        return Err(CmdError::other(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(Populate {
        count,
        prefix,
        size: size.map(|s| s as usize),
    })
}

/// DEBUG POPULATE on this shard: for each N below `count` whose key `prefix:N` is local
/// (`is_local`), creates it with the value `value:N`, cut or zero-padded to `size` bytes when
/// a non-zero size is given. Existing keys are left alone. Redis builds the key in a 128-byte
/// C buffer, so the prefix ends at a NUL and the key at 127 bytes; the same happens here so
/// that every shard agrees with Redis on the names. Returns the number of keys created.
pub fn populate(
    ks: &mut Keyspace,
    count: u64,
    prefix: &[u8],
    size: Option<usize>,
    now_ms: u64,
    is_local: impl Fn(&[u8]) -> bool,
) -> u64 {
    let prefix = &prefix[..prefix.iter().position(|&c| c == 0).unwrap_or(prefix.len())];
    let size = size.unwrap_or(0);
    let mut key = Vec::with_capacity(128);
    let mut created = 0;
    for n in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(n.to_string().as_bytes());
        key.truncate(127);
        if !is_local(&key) || ks.contains(&key, now_ms) {
            continue;
        }
        let mut value = format!("value:{n}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        // Built by the server, not read from a client: never int-encoded.
        let value = Value::Str(StrValue::from_bytes_uncoded(&value));
        ks.insert(&key, value, None, now_ms);
        created += 1;
    }
    created
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_support::*;

    fn run_script(t: &mut TestShard, lines: &[&str]) -> Vec<Reply> {
        t.script(lines)
    }

    #[test]
    fn del_exists_touch_count_duplicates() {
        let mut t = TestShard::new();
        let replies = run_script(
            &mut t,
            &[
                "set x 1",
                "touch x x nokey",
                "exists x x nokey",
                "del x x nokey",
                "set x 1",
                "unlink x x nokey",
                "del nokey",
            ],
        );
        assert_eq!(
            replies,
            vec![ok(), int(2), int(2), int(1), ok(), int(1), int(0)]
        );
    }

    #[test]
    fn exists_and_type_do_not_touch() {
        let mut t = TestShard::new();
        t.run(&["set", "k", "v"]);
        t.now += 5_000;
        t.run(&["exists", "k"]);
        t.run(&["type", "k"]);
        t.run(&["ttl", "k"]);
        assert_eq!(t.run(&["object", "idletime", "k"]), int(5));
        t.run(&["touch", "k"]);
        assert_eq!(t.run(&["object", "idletime", "k"]), int(0));
        t.now += 2_000;
        t.run(&["get", "k"]);
        assert_eq!(t.run(&["object", "idletime", "k"]), int(0));
    }

    #[test]
    fn type_names() {
        let mut t = TestShard::new();
        t.run(&["set", "k", "v"]);
        assert_eq!(t.run(&["type", "k"]), Reply::simple("string"));
        assert_eq!(t.run(&["type", "nokey"]), Reply::simple("none"));
    }

    #[test]
    fn rename_and_renamenx() {
        let mut t = TestShard::new();
        let nokey = err("ERR no such key");
        let replies = run_script(
            &mut t,
            &[
                "rename nokey x",
                "rename nokey nokey",
                "renamenx nokey x",
                "set a 1",
                "rename a a",
                "renamenx a a",
                "pexpire a 100000",
                "rename a b",
                "pttl b",
                "exists a",
                "set c 2",
                "renamenx b c",
                "renamenx b d",
                "pttl d",
                "rename d c",
                "pttl c",
                "get c",
            ],
        );
        assert_eq!(
            replies,
            vec![
                nokey.clone(),
                nokey.clone(),
                nokey,
                ok(),
                ok(),
                int(0),
                int(1),
                ok(),
                int(100000),
                int(0),
                ok(),
                int(0),
                int(1),
                int(100000),
                ok(),
                int(100000),
                bulk("1"),
            ]
        );
    }

    #[test]
    fn rename_over_a_key_with_ttl_takes_the_source_ttl() {
        let mut t = TestShard::new();
        let replies = run_script(&mut t, &["set a 1", "setex b 100 2", "rename a b", "ttl b"]);
        assert_eq!(replies, vec![ok(), ok(), ok(), int(-1)]);
    }

    #[test]
    fn copy_within_and_across_databases() {
        let mut t = TestShard::new();
        let same = err("ERR source and destination objects are the same");
        let out_of_range = err("ERR DB index is out of range");
        let replies = run_script(
            &mut t,
            &[
                "set c 2",
                "pexpire c 100000",
                "copy c c",
                "copy nokey m",
                "copy c c2",
                "pttl c2",
                "copy c c2",
                "set c 3",
                "copy c c2 REPLACE",
                "get c2",
                "copy c c DB 1",
                "copy c c DB 0",
                "copy c c DB 0 REPLACE",
                "copy c c2 DB 16",
                "copy c c2 DB -1",
                "copy c c2 DB x",
                "copy c c2 DB 2147483648",
                "copy c c2 DB",
                "copy c c2 foo",
                "copy nokey c2 DB 99",
                "copy c c2 REPLACE REPLACE",
                "copy c c3 DB 1 DB 2",
                "object encoding c",
                "copy c int DB 3",
            ],
        );
        assert_eq!(
            replies,
            vec![
                ok(),
                int(1),
                same.clone(),
                int(0),
                int(1),
                int(100000),
                int(0),
                ok(),
                int(1),
                bulk("3"),
                int(1),
                same.clone(),
                same,
                out_of_range.clone(),
                out_of_range.clone(),
                err("ERR value is not an integer or out of range"),
                err("ERR value is out of range, value must between -2147483648 and 2147483647"),
                err("ERR syntax error"),
                err("ERR syntax error"),
                out_of_range,
                int(1),
                int(1),
                bulk("int"),
                int(1),
            ]
        );
        // SET cleared c's TTL before the REPLACE copy.
        assert_eq!(t.run(&["pttl", "c2"]), int(-1));
        t.db = 1;
        assert_eq!(t.run(&["get", "c"]), bulk("3"));
        assert_eq!(t.run(&["pttl", "c"]), int(-1));
        assert_eq!(t.run(&["exists", "c3"]), int(0));
        t.db = 2;
        assert_eq!(t.run(&["get", "c3"]), bulk("3"));
        t.db = 3;
        assert_eq!(t.run(&["object", "encoding", "int"]), bulk("int"));
    }

    #[test]
    fn copy_options_for_the_server() {
        let opts = |s: &str| {
            s.split_whitespace()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect::<Vec<_>>()
        };
        assert_eq!(copy_options(&opts(""), 3, 16), Ok((3, false)));
        assert_eq!(copy_options(&opts("replace db 5"), 0, 16), Ok((5, true)));
        assert_eq!(
            copy_options(&opts("DB 16 BOGUS"), 0, 16),
            Err(CmdError::DbIndexOutOfRange)
        );
        assert_eq!(
            copy_options(&opts("DB -1"), 0, 16),
            Err(CmdError::DbIndexOutOfRange)
        );
        assert_eq!(copy_options(&opts("DB"), 0, 16), Err(CmdError::Syntax));
        assert_eq!(
            copy_options(&opts("DB x"), 0, 16),
            Err(CmdError::NotInteger)
        );
    }

    #[test]
    fn copy_replace_drops_the_old_ttl() {
        let mut t = TestShard::new();
        let replies = run_script(
            &mut t,
            &[
                "set a 1",
                "setex b 100 2",
                "copy a b replace",
                "ttl b",
                "get b",
            ],
        );
        assert_eq!(replies, vec![ok(), ok(), int(1), int(-1), bulk("1")]);
    }

    #[test]
    fn move_between_databases() {
        let mut t = TestShard::new();
        let same = err("ERR source and destination objects are the same");
        let out_of_range = err("ERR DB index is out of range");
        let replies = run_script(
            &mut t,
            &[
                "move nokey 0",
                "move nokey 1",
                "move nokey 16",
                "move nokey -1",
                "move nokey x",
                "move nokey 4294967296",
                "move nokey 2147483647",
                "set c 5",
                "pexpire c 5000",
                "move c 1",
                "exists c",
                "set x 1",
                "move x 1",
                "set c 6",
                "move c 1",
                "get c",
            ],
        );
        assert_eq!(
            replies,
            vec![
                same,
                int(0),
                out_of_range.clone(),
                out_of_range.clone(),
                err("ERR value is not an integer or out of range"),
                err("ERR value is out of range, value must between -2147483648 and 2147483647"),
                out_of_range,
                ok(),
                int(1),
                int(1),
                int(0),
                ok(),
                int(1),
                ok(),
                int(0),
                bulk("6"),
            ]
        );
        t.db = 1;
        assert_eq!(t.run(&["get", "c"]), bulk("5"));
        assert_eq!(t.run(&["pttl", "c"]), int(5000));
    }

    #[test]
    fn expire_flag_combinations() {
        let mut t = TestShard::new();
        let nx_err = err("ERR NX and XX, GT or LT options at the same time are not compatible");
        let gtlt_err = err("ERR GT and LT options at the same time are not compatible");
        t.run(&["set", "k", "v"]);
        for (cmd, want) in [
            ("expire k 100 NX XX", nx_err.clone()),
            ("expire k 100 NX GT", nx_err.clone()),
            ("expire k 100 LT NX", nx_err.clone()),
            ("expire k 100 GT LT", gtlt_err.clone()),
            ("expire k 100 LT GT", gtlt_err),
            ("expire k 100 foo", err("ERR Unsupported option foo")),
            ("expire k 100 XX foo", err("ERR Unsupported option foo")),
            // Options are judged before the time.
            ("expire k abc NX XX", nx_err.clone()),
            ("expire nokey 100 NX XX", nx_err),
            (
                "expire k abc",
                err("ERR value is not an integer or out of range"),
            ),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
        assert_eq!(
            t.run_bytes(&[b"expire", b"k", b"1", b"a\r\nb\0c"]),
            err("ERR Unsupported option a  b")
        );
    }

    #[test]
    fn expire_flags_table() {
        let mut t = TestShard::new();
        let replies = run_script(
            &mut t,
            &[
                "set k v",
                "expire k 100 NX NX",
                "ttl k",
                "persist k",
                // No TTL: XX and GT refuse, LT and NX accept.
                "expire k 100 XX",
                "expire k 100 GT",
                "expire k 100 LT",
                "persist k",
                "expire k 100 NX",
                // TTL 100 now.
                "expire k 200 NX",
                "expire k 200 XX",
                "expire k 50 GT",
                "expire k 300 GT",
                "expire k 300 LT",
                "expire k 50 LT",
                "expire k 50 GT",
                "expire k 50 LT",
                "ttl k",
                "expire k 70 XX LT",
                "ttl k",
            ],
        );
        assert_eq!(
            replies,
            vec![
                ok(),
                int(1),
                int(100),
                int(1),
                int(0),
                int(0),
                int(1),
                int(1),
                int(1),
                int(0),
                int(1),
                int(0),
                int(1),
                int(0),
                int(1),
                int(0),
                int(0),
                int(50),
                int(0),
                int(50),
            ]
        );
    }

    #[test]
    fn expire_in_the_past_deletes() {
        let mut t = TestShard::new();
        let replies = run_script(
            &mut t,
            &[
                "set k v",
                "expire k -1 GT",
                "exists k",
                "expire k -1 NX",
                "exists k",
                "set k v",
                "expire k 0 XX",
                "exists k",
                "expire k 0",
                "exists k",
                "set k v",
                "pexpire k -9223372036854775808",
                "exists k",
                "set k v",
                "expireat k 1",
                "exists k",
                "set k v",
                "pexpireat k 0",
                "exists k",
                "expire nokey 10",
                "expire nokey -10",
            ],
        );
        assert_eq!(
            replies,
            vec![
                ok(),
                int(0),
                int(1),
                int(1),
                int(0),
                ok(),
                int(0),
                int(1),
                int(1),
                int(0),
                ok(),
                int(1),
                int(0),
                ok(),
                int(1),
                int(0),
                ok(),
                int(1),
                int(0),
                int(0),
                int(0),
            ]
        );
        assert_eq!(t.shard.db(0).len(), 0);
    }

    #[test]
    fn expire_overflow_is_invalid() {
        let mut t = TestShard::new();
        t.run(&["set", "k", "v"]);
        for (cmd, name) in [
            ("expire k 9223372036854775807", "expire"),
            ("expire k 9223372036854775", "expire"),
            ("expire k -9223372036854775808", "expire"),
            ("expire nokey 9223372036854775 NX", "expire"),
            ("pexpire k 9223372036854775807", "pexpire"),
            ("pexpire k 9223372036854775000", "pexpire"),
            ("expireat k 9223372036854775807", "expireat"),
        ] {
            let want = err(&format!("ERR invalid expire time in '{name}' command"));
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
        assert_eq!(t.run(&["expireat", "k", "9223372036854775"]), int(1));
        assert_eq!(t.run(&["pexpireat", "k", "9223372036854775807"]), int(1));
        assert_eq!(t.run(&["pttl", "k"]), int(i64::MAX - t.now as i64));
        assert_eq!(t.run(&["expire", "k", "-9223372036854775"]), int(1));
        assert_eq!(t.run(&["exists", "k"]), int(0));
    }

    #[test]
    fn ttl_family_and_rounding() {
        let mut t = TestShard::new();
        let replies = run_script(
            &mut t,
            &[
                "ttl nokey",
                "pttl nokey",
                "expiretime nokey",
                "pexpiretime nokey",
                "set k v",
                "ttl k",
                "pttl k",
                "expiretime k",
                "pexpiretime k",
                "pexpireat k 99999999999999",
                "expiretime k",
                "pexpiretime k",
                "pexpireat k 99999999999500",
                "expiretime k",
                "pexpireat k 99999999999499",
                "expiretime k",
                "pexpire k 1500",
                "ttl k",
                "pexpire k 1499",
                "ttl k",
                "pexpire k 500",
                "ttl k",
                "pexpire k 499",
                "ttl k",
                "persist k",
                "persist k",
                "persist nokey",
                "ttl k",
            ],
        );
        assert_eq!(
            replies,
            vec![
                int(-2),
                int(-2),
                int(-2),
                int(-2),
                ok(),
                int(-1),
                int(-1),
                int(-1),
                int(-1),
                int(1),
                int(100000000000),
                int(99999999999999),
                int(1),
                int(100000000000),
                int(1),
                int(99999999999),
                int(1),
                int(2),
                int(1),
                int(1),
                int(1),
                int(1),
                int(1),
                int(0),
                int(1),
                int(0),
                int(0),
                int(-1),
            ]
        );
    }

    #[test]
    fn keys_expire_when_time_passes() {
        let mut t = TestShard::new();
        t.run(&["set", "k", "v", "px", "100"]);
        t.now += 99;
        assert_eq!(t.run(&["pttl", "k"]), int(1));
        t.now += 1;
        assert_eq!(t.run(&["pttl", "k"]), int(-2));
        assert_eq!(t.run(&["get", "k"]), Reply::Null);
    }

    #[test]
    fn memory_usage_and_errors() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "set foo bar",
            "memory usage nokey",
            "memory usage foo samples",
            "memory usage foo samples -1",
            "memory usage foo samples x",
            "memory usage foo foo",
            "memory usage",
            "memory foo",
            "memory stats",
        ]);
        assert_eq!(
            replies[1..],
            [
                Reply::Null,
                err("ERR syntax error"),
                err("ERR syntax error"),
                err("ERR value is not an integer or out of range"),
                err("ERR syntax error"),
                err("ERR wrong number of arguments for 'memory|usage' command"),
                err("ERR unknown subcommand 'foo'. Try MEMORY HELP."),
                err("ERR MEMORY STATS is not supported by ferrokv yet (INFO memory has the figures)"),
            ]
        );
        let usage = |t: &mut TestShard, args: &[&str]| match t.run(args) {
            Reply::Int(n) => n,
            other => panic!("{other:?}"),
        };
        let small = usage(&mut t, &["memory", "usage", "foo", "samples", "0"]);
        t.run(&["set", "foo", &"x".repeat(1000)]);
        let big = usage(&mut t, &["memory", "usage", "foo"]);
        assert!(small > 0 && big >= small + 997, "{small} {big}");
    }

    #[test]
    fn object_subcommands() {
        let mut t = TestShard::new();
        let freq_err = err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.");
        let replies = run_script(
            &mut t,
            &[
                "set a 5",
                "object refcount a",
                "object encoding a",
                "set c 10000",
                "object refcount c",
                "set d -1",
                "object refcount d",
                "incr d",
                "object refcount d",
                "set e abc",
                "object refcount e",
                "object freq e",
                "object idletime e",
                "object idletime nokey",
                "object encoding nokey",
                "object refcount nokey",
                "object freq nokey",
                "object foo",
                "object encoding",
                "object encoding a b",
                "object help x",
                "object ENCODING a",
            ],
        );
        assert_eq!(
            replies,
            vec![
                ok(),
                int(2147483647),
                bulk("int"),
                ok(),
                int(1),
                ok(),
                int(1),
                int(0),
                int(2147483647),
                ok(),
                int(1),
                freq_err,
                int(0),
                Reply::Null,
                Reply::Null,
                Reply::Null,
                Reply::Null,
                err("ERR unknown subcommand 'foo'. Try OBJECT HELP."),
                err("ERR wrong number of arguments for 'object|encoding' command"),
                err("ERR wrong number of arguments for 'object|encoding' command"),
                err("ERR wrong number of arguments for 'object|help' command"),
                bulk("int"),
            ]
        );
        let Reply::Array(help) = t.run(&["object", "help"]) else {
            panic!("help is an array")
        };
        assert_eq!(help.len(), 15);
        assert_eq!(
            help[0],
            Reply::simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
        );
        assert_eq!(help[14], Reply::simple("    Prints this help."));
    }

    #[test]
    fn fresh_values_are_not_idle() {
        let mut t = TestShard::new();
        t.run(&["set", "k", "v"]);
        assert_eq!(t.run(&["object", "idletime", "k"]), int(0));
        t.now += 10_000;
        assert_eq!(t.run(&["object", "idletime", "k"]), int(10));
        t.run(&["append", "k", "x"]);
        assert_eq!(t.run(&["object", "idletime", "k"]), int(0));
    }

    #[test]
    fn command_table_facts() {
        let find = |name: &str| COMMANDS.iter().find(|s| s.name == name);
        let del = find("del").map(|s| (s.arity, s.split, s.flags));
        assert_eq!(del, Some((-2, Split::SumInts, WRITE)));
        let object = find("object").map(|s| s.subcommands.len());
        assert_eq!(find("memory").map(|s| s.subcommands.len()), Some(6));
        assert_eq!(object, Some(5));
        let enc = OBJECT_SUBCOMMANDS
            .iter()
            .find(|s| s.name == "object|encoding");
        assert_eq!(
            enc.map(|s| s
                .key_positions(&[Bytes::new(), Bytes::new(), Bytes::new()])
                .collect::<Vec<_>>()),
            Some(vec![2])
        );
        for family in crate::families() {
            for s in family.iter() {
                assert!(
                    s.acl.iter().all(|a| !a.starts_with('@')),
                    "{} lists ACL categories without @",
                    s.name
                );
            }
        }
    }

    fn fill(ks: &mut Keyspace, n: usize) {
        for i in 0..n {
            let value = Value::Str(StrValue::from_client(b"v"));
            ks.insert(format!("k{i}").as_bytes(), value, None, 0);
        }
    }

    #[test]
    fn keys_matching_patterns() {
        let mut ks = Keyspace::new(1);
        fill(&mut ks, 20);
        ks.insert(b"gone", Value::Str(StrValue::Int(1)), Some(5), 0);
        let mut all = keys_matching(&ks, b"*", 10);
        all.sort();
        assert_eq!(all.len(), 20);
        let mut some = keys_matching(&ks, b"k1?", 10);
        some.sort();
        assert_eq!(some.len(), 10);
        assert_eq!(some[0], Bytes::from_static(b"k10"));
        assert!(keys_matching(&ks, b"gone", 10).is_empty());
        assert_eq!(keys_matching(&ks, b"gone", 1).len(), 1);
    }

    #[test]
    fn scan_visits_every_key_while_the_table_changes() {
        let mut ks = Keyspace::new(9);
        fill(&mut ks, 5_000);
        let mut seen = std::collections::HashSet::new();
        let mut cursor = Some(0);
        let mut steps = 0;
        let mut extra = 0;
        while let Some(c) = cursor {
            let (next, keys) = scan_step(&ks, c, 10, None, None, 0);
            seen.extend(keys);
            cursor = next;
            steps += 1;
            // Keys come and go during the iteration: growth must not hide the stable ones.
            for _ in 0..20 {
                let value = Value::Str(StrValue::Int(1));
                ks.insert(format!("new{extra}").as_bytes(), value, None, 0);
                extra += 1;
            }
            if steps % 3 == 0 {
                ks.remove(format!("new{}", extra - 7).as_bytes(), 0);
            }
        }
        for i in 0..5_000 {
            assert!(seen.contains(format!("k{i}").as_bytes()), "k{i} missed");
        }
        assert!(steps > 100, "COUNT should bound each step: {steps}");
    }

    #[test]
    fn scan_filters_by_pattern_and_type() {
        let mut ks = Keyspace::new(2);
        fill(&mut ks, 100);
        let mut all = Vec::new();
        let mut cursor = Some(0);
        while let Some(c) = cursor {
            let (next, keys) = scan_step(&ks, c, 1_000, Some(b"k1*"), Some(b"STRING"), 0);
            all.extend(keys);
            cursor = next;
        }
        assert_eq!(all.len(), 11);
        let (next, keys) = scan_step(&ks, 0, 1_000_000, None, Some(b"list"), 0);
        assert_eq!((next, keys.len()), (None, 0));
        let empty = Keyspace::new(3);
        assert_eq!(scan_step(&empty, 0, 10, None, None, 0), (None, vec![]));
    }

    #[test]
    fn scan_arguments() {
        let args = |s: &str| {
            s.split(' ')
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect::<Vec<_>>()
        };
        let o = scan_options(&args("scan 0 match k* count 5 type string"));
        assert_eq!(
            o,
            Ok(ScanOptions {
                pattern: Some(Bytes::from_static(b"k*")),
                count: 5,
                type_name: Some(Bytes::from_static(b"string")),
            })
        );
        assert_eq!(
            scan_options(&args("scan 0 match *")).map(|o| o.pattern),
            Ok(None)
        );
        assert_eq!(scan_options(&args("scan 0 count 0")), Err(CmdError::Syntax));
        assert_eq!(
            scan_options(&args("scan 0 count x")),
            Err(CmdError::NotInteger)
        );
        assert_eq!(scan_options(&args("scan 0 count")), Err(CmdError::Syntax));
        assert_eq!(scan_options(&args("scan 0 foo bar")), Err(CmdError::Syntax));
        assert_eq!(
            collection_scan_options(&args("hscan h 0 type string")),
            Err(CmdError::Syntax)
        );
        assert_eq!(
            collection_scan_options(&args("sscan s 0 match a* count 3"))
                .map(|o| (o.pattern, o.count)),
            Ok((Some(Bytes::from_static(b"a*")), 3))
        );
        assert_eq!(scan_cursor(b"0"), Ok(0));
        assert_eq!(scan_cursor(b""), Ok(0));
        assert_eq!(scan_cursor(b"007"), Ok(7));
        assert_eq!(scan_cursor(b"+7"), Ok(7));
        assert_eq!(scan_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(scan_cursor(b"18446744073709551615"), Ok(u64::MAX));
        let invalid = Err(CmdError::other("ERR invalid cursor"));
        assert_eq!(scan_cursor(b"18446744073709551616"), invalid);
        assert_eq!(scan_cursor(b" 1"), invalid);
        assert_eq!(scan_cursor(b"1x"), invalid);
        assert_eq!(scan_cursor(b"-"), invalid);
    }

    #[test]
    fn random_key_dbsize_flush() {
        let mut t = TestShard::new();
        assert_eq!(random_key(&mut t.shard, 0, t.now), None);
        t.run(&["set", "only", "1"]);
        assert_eq!(
            random_key(&mut t.shard, 0, t.now),
            Some(Bytes::from_static(b"only"))
        );
        t.run(&["set", "k", "v", "px", "10"]);
        assert_eq!(dbsize(t.shard.db(0)), 2);
        t.db = 1;
        t.run(&["set", "other", "1"]);
        t.shard.flush_db(0, t.now);
        assert_eq!((dbsize(t.shard.db(0)), dbsize(t.shard.db(1))), (0, 1));
        t.shard.flush_all(t.now);
        assert_eq!(dbsize(t.shard.db(1)), 0);
    }

    #[test]
    fn populate_like_redis() {
        let to_args = |s: &[&str]| {
            s.iter()
                .map(|a| Bytes::copy_from_slice(a.as_bytes()))
                .collect::<Vec<_>>()
        };
        let mut t = TestShard::new();
        t.run(&["set", "key:1", "existing"]);
        let p = populate_args(&to_args(&["5", "key", "3"])).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.size, Some(3));
        let ks = t.shard.db_mut(0);
        assert_eq!(populate(ks, p.count, &p.prefix, p.size, t.now, |_| true), 4);
        let replies = t.script(&["mget key:0 key:1 key:4 key:5", "object encoding key:0"]);
        assert_eq!(
            replies,
            vec![
                Reply::Array(vec![
                    bulk("val"),
                    bulk("existing"),
                    bulk("val"),
                    Reply::Null
                ]),
                bulk("embstr"),
            ]
        );
        populate(t.shard.db_mut(0), 2, b"p", Some(10), t.now, |_| true);
        assert_eq!(
            t.run(&["get", "p:1"]),
            Reply::Bulk(Bytes::from_static(b"value:1\0\0\0"))
        );
        let p = populate_args(&to_args(&["3"])).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((p.count, &p.prefix[..], p.size), (3, &b"key"[..], None));
        populate(t.shard.db_mut(0), 1, b"q", Some(0), t.now, |_| true);
        assert_eq!(t.run(&["get", "q:0"]), bulk("value:0"));
        // Only the keys the predicate owns.
        let mut ks = Keyspace::new(5);
        assert_eq!(
            populate(&mut ks, 100, b"x", None, 0, |k| k.ends_with(b"7")),
            10
        );
        assert_eq!(
            ks.peek(b"x:17", 0).map(|e| e.value.clone()),
            Some(Value::Str(StrValue::from_bytes_uncoded(b"value:17")))
        );
        // Redis's 128-byte key buffer.
        let long = "p".repeat(200);
        populate(&mut ks, 1, long.as_bytes(), None, 0, |_| true);
        assert!(ks.peek("p".repeat(127).as_bytes(), 0).is_some());
        let positive = Err(CmdError::other(
            "ERR value is out of range, must be positive",
        ));
        assert_eq!(populate_args(&to_args(&["-1"])), positive);
        assert_eq!(populate_args(&to_args(&["x"])), positive);
        assert_eq!(populate_args(&to_args(&["1", "s", "-1"])), positive);
        assert!(populate_args(&to_args(&["1", "s", "1000000000000"])).is_err());
    }
}
