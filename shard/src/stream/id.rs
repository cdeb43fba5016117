//! Stream entry IDs (`<ms>-<seq>`) and the ways commands read them, with Redis's rules
//! (t_stream.c's streamGenericParseIDOrReply and string2ull).

use std::fmt;

use bytes::Bytes;

use crate::error::CmdError;

pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// Longest argument Redis copies into its 128-byte parse buffer.
const MAX_ID_LEN: usize = 127;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID in order; None after the last possible one.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID in order; None before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn to_bytes(self) -> Bytes {
        Bytes::from(self.to_string())
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The ID argument of XADD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddId {
    /// `*`: the time now, or after the last ID.
    Auto,
    /// `<ms>-*`: this time, the next free sequence number in it.
    AutoSeq(u64),
    Explicit(StreamId),
}

fn invalid() -> CmdError {
    CmdError::other(INVALID_ID)
}

/// An ID where `-` and `+` stand for the smallest and largest IDs; a missing sequence part is
/// `missing_seq` (0 for the start of a range, u64::MAX for its end).
pub fn parse(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    match parse_any(arg, missing_seq, false, false)? {
        AddId::Explicit(id) => Ok(id),
        _ => Err(invalid()),
    }
}

/// An ID that must be written out: `-` and `+` are rejected (XDEL, XSETID, MINID...).
pub fn parse_strict(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    match parse_any(arg, missing_seq, true, false)? {
        AddId::Explicit(id) => Ok(id),
        _ => Err(invalid()),
    }
}

/// XADD's ID: strict, and `<ms>-*` asks for a generated sequence number. (`*` alone is an
/// option the caller recognises before parsing an ID.)
pub fn parse_for_add(arg: &[u8]) -> Result<AddId, CmdError> {
    parse_any(arg, 0, true, true)
}

/// One end of an XRANGE interval: a `(` prefix makes it exclusive (and strict). Returns the
/// ID and whether it is exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CmdError> {
    match arg {
        [b'(', rest @ ..] if !rest.is_empty() => Ok((parse_strict(rest, missing_seq)?, true)),
        _ => Ok((parse(arg, missing_seq)?, false)),
    }
}

fn parse_any(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    seq_may_be_auto: bool,
) -> Result<AddId, CmdError> {
    if arg.len() > MAX_ID_LEN {
        return Err(invalid());
    }
    // Redis parses a C copy of the argument: it ends at the first NUL.
    let arg = crate::args::c_str(arg);
    match arg {
        b"-" | b"+" if strict => return Err(invalid()),
        b"-" => return Ok(AddId::Explicit(StreamId::MIN)),
        b"+" => return Ok(AddId::Explicit(StreamId::MAX)),
        _ => {}
    }
    let (ms, seq) = match arg.iter().position(|&c| c == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = string_to_u64(ms).ok_or_else(invalid)?;
    match seq {
        None => Ok(AddId::Explicit(StreamId::new(ms, missing_seq))),
        Some(b"*") if seq_may_be_auto => Ok(AddId::AutoSeq(ms)),
        Some(seq) => Ok(AddId::Explicit(StreamId::new(
            ms,
            string_to_u64(seq).ok_or_else(invalid)?,
        ))),
    }
}

/// Redis's string2ull: a canonical integer (negative ones rejected), else whatever C's
/// strtoull accepts in full: leading white space, a sign (a `-` wraps around), leading zeros.
fn string_to_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = crate::value::parse_canonical_i64(s) {
        return u64::try_from(v).ok();
    }
    let start = s.iter().position(|c| !is_c_space(*c))?;
    let (neg, digits) = match &s[start..] {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })?;
    Some(if neg { v.wrapping_neg() } else { v })
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    #[test]
    fn plain_and_special_forms() {
        assert_eq!(parse(b"1-2", 0), Ok(id(1, 2)));
        assert_eq!(parse(b"5", 0), Ok(id(5, 0)));
        assert_eq!(parse(b"5", u64::MAX), Ok(id(5, u64::MAX)));
        assert_eq!(parse(b"-", 7), Ok(StreamId::MIN));
        assert_eq!(parse(b"+", 7), Ok(StreamId::MAX));
        assert_eq!(
            parse(b"18446744073709551615-18446744073709551615", 0),
            Ok(StreamId::MAX)
        );
        assert!(parse(b"18446744073709551616", 0).is_err());
        assert!(parse_strict(b"-", 0).is_err());
        assert!(parse_strict(b"+", 0).is_err());
        assert_eq!(parse_strict(b"3", 0), Ok(id(3, 0)));
    }

    #[test]
    fn malformed_ids() {
        for bad in [
            &b""[..],
            b"x",
            b"1-",
            b"-1",
            b"1-2-3",
            b"1--2",
            b"1-x",
            b"*",
            b"1-*",
            b"0x10",
            b" ",
        ] {
            assert_eq!(
                parse(bad, 0).map_err(|e| e.message()),
                Err(INVALID_ID.to_string()),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(parse(&[b'1'; 128], 0).is_err());
    }

    #[test]
    fn strtoull_leniency() {
        assert_eq!(parse(b" 7", 0), Ok(id(7, 0)));
        assert_eq!(parse(b"+8", 0), Ok(id(8, 0)));
        assert_eq!(parse(b"007-01", 0), Ok(id(7, 1)));
        assert_eq!(parse(b"8- -1", 0), Ok(id(8, u64::MAX)));
        assert_eq!(parse(b"8-\t+2", 0), Ok(id(8, 2)));
        assert_eq!(parse(b"9\0junk", 0), Ok(id(9, 0)));
    }

    #[test]
    fn xadd_ids() {
        assert_eq!(parse_for_add(b"5-*"), Ok(AddId::AutoSeq(5)));
        assert_eq!(parse_for_add(b"5-3"), Ok(AddId::Explicit(id(5, 3))));
        assert_eq!(parse_for_add(b"5"), Ok(AddId::Explicit(id(5, 0))));
        assert!(parse_for_add(b"*-1").is_err());
        assert!(parse_for_add(b"-").is_err());
        assert!(parse_for_add(b"5-**").is_err());
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval(b"(1-1", 0), Ok((id(1, 1), true)));
        assert_eq!(parse_interval(b"(5", u64::MAX), Ok((id(5, u64::MAX), true)));
        assert_eq!(parse_interval(b"-", 0), Ok((StreamId::MIN, false)));
        assert!(parse_interval(b"(", 0).is_err());
        assert!(parse_interval(b"(-", 0).is_err());
        assert!(parse_interval(b"(+", 0).is_err());
    }

    #[test]
    fn neighbours() {
        assert_eq!(id(1, u64::MAX).next(), Some(id(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(id(2, 0).prev(), Some(id(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(id(3, 4).to_string(), "3-4");
    }
}
