//! What a blocking command (BLPOP, BZPOPMIN, XREAD BLOCK, ...) tells the server when it finds
//! nothing to serve: the keys it waits on, until when, and how to answer if time runs out.
//!
//! The handler itself decides: with `Ctx::may_block` false (inside MULTI/EXEC or a script, as
//! in Redis) it answers at once what Redis answers there (`nothing_yet`); otherwise it returns
//! `CmdError::Block`. The
//! server parks the client on the keys' owners and re-runs the handler (with `BlockOn::args`)
//! each time one of the keys is written, until it answers or the deadline passes.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::error::{CmdError, CmdResult};
use crate::shard::Ctx;
use crate::string::longdouble::LongDouble;

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

/// The reply of a blocking command whose time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` in RESP2, `_` in RESP3. Redis's `replyToBlockedClientTimedOut` answers it to
    /// every list, sorted-set and stream wait: BLMOVE and BRPOPLPUSH too, though inside MULTI
    /// they answer a null bulk.
    NullArray,
}

impl TimeoutReply {
    pub fn reply(self) -> ferrokv_protocol::Reply {
        match self {
            TimeoutReply::NullArray => ferrokv_protocol::Reply::NullArray,
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
/// forever). Seconds are read as a `long double`, scaled to ms and rounded up, so a tiny
/// positive timeout still waits and a tiny negative one (down to -0.001) waits forever; one
/// too large for the scaling is negative, as the C cast makes it. A deadline past `i64`
/// wraps negative in Redis, where its timeout table never reaches it: it waits forever.
pub fn parse_timeout(arg: &[u8], unit: TimeoutUnit, now_ms: u64) -> Result<Option<u64>, CmdError> {
    let ms = match unit {
        TimeoutUnit::Seconds => LongDouble::parse(arg)
            .map(|secs| secs.mul_ceil_to_i64(1000))
            .ok_or_else(|| CmdError::other("ERR timeout is not a float or out of range"))?,
        TimeoutUnit::Millis => args::int(arg)
            .map_err(|_| CmdError::other("ERR timeout is not an integer or out of range"))?,
    };
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    Ok((ms as u64)
        .checked_add(now_ms)
        .filter(|&d| ms > 0 && d <= i64::MAX as u64))
}

/// What a list or sorted-set blocking command answers when none of `keys` can serve it yet:
/// it waits on them where it may, until a null array at the deadline; else (MULTI/EXEC,
/// scripts) it answers `at_once`.
pub fn nothing_yet(
    ctx: &Ctx<'_>,
    keys: &[Bytes],
    deadline_ms: Option<u64>,
    at_once: Reply,
) -> CmdResult {
    if !ctx.may_block {
        return Ok(at_once);
    }
    Err(CmdError::Block(Box::new(BlockOn {
        keys: keys.to_vec(),
        deadline_ms,
        args: None,
        on_timeout: TimeoutReply::NullArray,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    fn secs(arg: &str) -> Result<Option<u64>, String> {
        parse_timeout(arg.as_bytes(), TimeoutUnit::Seconds, NOW).map_err(|e| e.message())
    }

    fn millis(arg: &str) -> Result<Option<u64>, String> {
        parse_timeout(arg.as_bytes(), TimeoutUnit::Millis, NOW).map_err(|e| e.message())
    }

    /// Redis 7.0.15's answers: the deadline a BLPOP waits until, or its error.
    #[test]
    fn seconds_as_redis_reads_them() {
        let not_float = Err("ERR timeout is not a float or out of range".to_string());
        let negative = Err("ERR timeout is negative".to_string());
        for (arg, want) in [
            ("0", Ok(None)),
            ("0.0", Ok(None)),
            ("-0", Ok(None)),
            ("-0.0001", Ok(None)),
            ("-0.001", Ok(None)),
            ("0.01", Ok(Some(NOW + 10))),
            (".5", Ok(Some(NOW + 500))),
            ("1.", Ok(Some(NOW + 1000))),
            ("+1", Ok(Some(NOW + 1000))),
            ("0x10", Ok(Some(NOW + 16_000))),
            ("1e-10", Ok(Some(NOW + 1))),
            ("1.0001", Ok(Some(NOW + 1001))),
            ("9223372036854775", Ok(None)),
            ("9223372036854775.807", Ok(None)),
            ("-0.0010000001", negative.clone()),
            ("-1", negative.clone()),
            ("inf", negative.clone()),
            ("-inf", negative.clone()),
            ("1e30", negative.clone()),
            ("9223372036854776", negative.clone()),
            ("9223372036854775807", negative),
            ("abc", not_float.clone()),
            ("", not_float.clone()),
            (" 1", not_float.clone()),
            ("1 ", not_float.clone()),
            ("nan", not_float.clone()),
            ("1e-5000", not_float.clone()),
            ("1e5000", not_float),
        ] {
            assert_eq!(secs(arg), want, "{arg:?}");
        }
        let just_fits = (i64::MAX as u64 - NOW) / 1000;
        assert_eq!(
            secs(&just_fits.to_string()),
            Ok(Some(NOW + just_fits * 1000))
        );
    }

    #[test]
    fn milliseconds_as_redis_reads_them() {
        assert_eq!(millis("0"), Ok(None));
        assert_eq!(millis("10"), Ok(Some(NOW + 10)));
        assert_eq!(millis("9223372036854775807"), Ok(None));
        assert_eq!(millis("-1"), Err("ERR timeout is negative".into()));
        for bad in ["1.5", "abc", "", "9223372036854775808"] {
            assert_eq!(
                millis(bad),
                Err("ERR timeout is not an integer or out of range".into()),
                "{bad:?}"
            );
        }
    }
}
