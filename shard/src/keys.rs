//! Commands on keys of any type (Redis's db.c and expire.c): existence, deletion, TTLs,
//! renaming and iteration within one shard.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::CmdResult;
use crate::shard::Ctx;

const ACL_KEYS_WRITE: &[&str] = &["keyspace", "write", "slow"];
const ACL_KEYS_READ: &[&str] = &["keyspace", "read", "fast"];

pub static COMMANDS: &[CommandSpec] = &[
    spec(
        "del",
        -2,
        WRITE,
        (1, -1, 1),
        ACL_KEYS_WRITE,
        "generic",
        "Deletes one or more keys.",
        "1.0.0",
        Some(del),
        Split::SumInts,
    ),
    spec(
        "exists",
        -2,
        READONLY | FAST,
        (1, -1, 1),
        ACL_KEYS_READ,
        "generic",
        "Determines whether one or more keys exist.",
        "1.0.0",
        Some(exists),
        Split::SumInts,
    ),
];

fn del(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let now = ctx.now_ms;
    let n = args[1..]
        .iter()
        .filter(|k| ctx.ks().remove(k, now).is_some())
        .count();
    Ok(Reply::Int(n as i64))
}

fn exists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let n = args[1..].iter().filter(|k| ctx.read(k).is_some()).count();
    Ok(Reply::Int(n as i64))
}
