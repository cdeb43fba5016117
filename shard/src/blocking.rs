//! What a blocking command (BLPOP, BZPOPMIN, XREAD BLOCK, ...) tells the server when it finds
//! nothing to serve: the keys it waits on, until when, and how to answer if time runs out.
//!
//! The handler itself decides: with `Ctx::may_block` false (inside MULTI/EXEC or a script, as
//! in Redis) it answers its timeout reply at once; otherwise it returns `CmdError::Block`. The
//! server parks the client on the keys' owners and re-runs the handler (with `BlockOn::args`)
//! each time one of the keys is written, until it answers or the deadline passes.

use bytes::Bytes;

use crate::args;
use crate::error::CmdError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOn {
    /// Keys whose next write may serve the command, in the command's order.
    pub keys: Vec<Bytes>,
    /// Absolute deadline in ms since the epoch; None waits forever.
    pub deadline_ms: Option<u64>,
    /// Arguments for the re-runs, when they differ from the ones sent (XREAD's `$` resolved
    /// to the last ID at the time of blocking); None re-runs as sent.
    pub args: Option<Vec<Bytes>>,
    pub on_timeout: TimeoutReply,
}

/// The reply of a blocking command whose time ran out (also its reply inside MULTI or a
/// script when nothing is there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` in RESP2, `_` in RESP3: BLPOP, BRPOP, BLMPOP, BZPOPMIN/MAX, BZMPOP, XREAD.
    NullArray,
    /// `$-1` in RESP2, `_` in RESP3: BLMOVE, BRPOPLPUSH.
    NullBulk,
}

impl TimeoutReply {
    pub fn reply(self) -> ferrokv_protocol::Reply {
        match self {
            TimeoutReply::NullArray => ferrokv_protocol::Reply::NullArray,
            TimeoutReply::NullBulk => ferrokv_protocol::Reply::Null,
        }
    }
}

/// The unit a blocking command's timeout argument is given in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutUnit {
    /// BLPOP and the other list/zset commands: a float of seconds.
    Seconds,
    /// XREAD/XREADGROUP BLOCK: an integer of milliseconds.
    Millis,
}

/// Redis's getTimeoutFromObjectOrReply: the absolute deadline for `arg`, None for 0 (wait
/// forever). Seconds are scaled to ms and rounded up, so a tiny positive timeout still waits.
pub fn parse_timeout(arg: &[u8], unit: TimeoutUnit, now_ms: u64) -> Result<Option<u64>, CmdError> {
    let ms: i64 = match unit {
        TimeoutUnit::Seconds => {
            let secs = args::float(arg)
                .map_err(|_| CmdError::other("ERR timeout is not a float or out of range"))?;
            let ms = (secs * 1000.0).ceil();
            if ms > i64::MAX as f64 {
                return Err(CmdError::other("ERR timeout is out of range"));
            }
            ms as i64
        }
        TimeoutUnit::Millis => args::int(arg)
            .map_err(|_| CmdError::other("ERR timeout is not an integer or out of range"))?,
    };
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    if ms == 0 {
        return Ok(None);
    }
    (ms as u64)
        .checked_add(now_ms)
        .filter(|&d| d <= i64::MAX as u64)
        .map(Some)
        .ok_or_else(|| CmdError::other("ERR timeout is out of range"))
}
