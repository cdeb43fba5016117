//! Strings: the value type and its commands (Redis's t_string.c).

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::shard::Ctx;
use crate::value::{StrValue, Value};

const ACL_STRING_READ: &[&str] = &["read", "string", "fast"];
const ACL_STRING_WRITE: &[&str] = &["write", "string", "slow"];

pub static COMMANDS: &[CommandSpec] = &[
    spec("get", 2, READONLY | FAST, (1, 1, 1), ACL_STRING_READ, "string", "Returns the string value of a key.", "1.0.0", Some(get), Split::None),
    spec("set", -3, WRITE | DENYOOM, (1, 1, 1), ACL_STRING_WRITE, "string", "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.", "1.0.0", Some(set), Split::None),
    spec("mget", -2, READONLY | FAST, (1, -1, 1), ACL_STRING_READ, "string", "Atomically returns the string values of one or more keys.", "1.0.0", Some(mget), Split::Gather),
    spec("mset", -3, WRITE | DENYOOM, (1, -1, 2), ACL_STRING_WRITE, "string", "Atomically creates or modifies the string values of one or more keys.", "1.0.1", Some(mset), Split::Transaction),
];

/// The string stored at `key`, `None` when absent; WRONGTYPE for another type.
pub fn read_str<'a>(ctx: &'a mut Ctx<'_>, key: &[u8]) -> Result<Option<&'a StrValue>, CmdError> {
    match ctx.read(key) {
        None => Ok(None),
        Some(e) => match &e.value {
            Value::Str(s) => Ok(Some(s)),
        },
    }
}

fn get(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(match read_str(ctx, &args[1])? {
        Some(s) => Reply::Bulk(s.to_bytes()),
        None => Reply::Null,
    })
}

fn mget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let mut out = Vec::with_capacity(args.len() - 1);
    for key in &args[1..] {
        // MGET answers nil for a key of another type instead of failing.
        out.push(match ctx.read(key).map(|e| &e.value) {
            Some(Value::Str(s)) => Reply::Bulk(s.to_bytes()),
            None => Reply::Null,
        });
    }
    Ok(Reply::Array(out))
}

fn mset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if args.len() % 2 == 0 {
        return Err(CmdError::other(
            "ERR wrong number of arguments for 'mset' command",
        ));
    }
    let now = ctx.now_ms;
    for pair in args[1..].chunks_exact(2) {
        ctx.ks().insert(
            &pair[0],
            Value::Str(StrValue::from_client(&pair[1])),
            None,
            now,
        );
    }
    Ok(Reply::ok())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expiry {
    Keep,
    Clear,
    At(u64),
}

fn set(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut nx, mut xx, mut get_old) = (false, false, false);
    let mut expiry = Expiry::Clear;
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        let has_next = i + 1 < args.len();
        let unit = if args::is(a, "EX") {
            Some(1000)
        } else if args::is(a, "PX") {
            Some(1)
        } else if args::is(a, "EXAT") {
            Some(-1000)
        } else if args::is(a, "PXAT") {
            Some(-1)
        } else {
            None
        };
        match unit {
            Some(unit) if has_next && expiry == Expiry::Clear => {
                let n = args::int(&args[i + 1])?;
                if n <= 0 {
                    return Err(CmdError::InvalidExpire("set"));
                }
                let at = if unit > 0 {
                    n.checked_mul(unit)
                        .and_then(|ms| ms.checked_add(ctx.now_ms as i64))
                } else {
                    n.checked_mul(-unit)
                };
                expiry = Expiry::At(at.ok_or(CmdError::InvalidExpire("set"))? as u64);
                i += 2;
                continue;
            }
            Some(_) => return Err(CmdError::Syntax),
            None => {}
        }
        if args::is(a, "NX") && !xx {
            nx = true;
        } else if args::is(a, "XX") && !nx {
            xx = true;
        } else if args::is(a, "GET") {
            get_old = true;
        } else if args::is(a, "KEEPTTL") && expiry == Expiry::Clear {
            expiry = Expiry::Keep;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let key = &args[1];
    let now = ctx.now_ms;
    let old = if get_old {
        match ctx.read(key).map(|e| &e.value) {
            Some(Value::Str(s)) => Some(Reply::Bulk(s.to_bytes())),
            None => Some(Reply::Null),
        }
    } else {
        None
    };
    let exists = ctx.ks().contains(key, now);
    if (nx && exists) || (xx && !exists) {
        return Ok(old.unwrap_or(Reply::Null));
    }
    let value = Value::Str(StrValue::from_client(&args[2]));
    match expiry {
        Expiry::Keep => ctx.ks().set_keep_ttl(key, value, now),
        Expiry::Clear => {
            ctx.ks().insert(key, value, None, now);
        }
        Expiry::At(at) => {
            ctx.ks().insert(key, value, Some(at), now);
        }
    }
    Ok(old.unwrap_or_else(Reply::ok))
}
