//! Parsing of numeric and option arguments, shared by every command family.

use bytes::Bytes;

use crate::error::CmdError;
use crate::value::parse_canonical_i64;

/// An integer argument as Redis's `getLongLongFromObject` reads it (strict: no spaces, no
/// leading `+`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_canonical_i64(arg).ok_or(CmdError::NotInteger)
}

/// An integer argument read as Redis's `getIntFromObjectOrReply` does (DB indexes): its own
/// error when the value is an integer outside the `int` range.
pub fn int32(arg: &[u8]) -> Result<i32, CmdError> {
    i32::try_from(int(arg)?).map_err(|_| {
        CmdError::other("ERR value is out of range, value must between -2147483648 and 2147483647")
    })
}

/// A count argument read as Redis's `getPositiveLongFromObjectOrReply` does: one message for
/// both a non-integer and a negative value.
pub fn non_negative(arg: &[u8]) -> Result<u64, CmdError> {
    match parse_canonical_i64(arg) {
        Some(n) if n >= 0 => Ok(n as u64),
        _ => Err(CmdError::other(
            "ERR value is out of range, must be positive",
        )),
    }
}

/// A client argument as Redis's `%s` prints it into a message: up to its first NUL.
pub fn c_str(arg: &[u8]) -> &[u8] {
    &arg[..arg.iter().position(|&c| c == 0).unwrap_or(arg.len())]
}

/// An error built from client text the way `addReplyErrorFormat` sends it: CR and LF trimmed
/// from both ends, the ones inside turned into spaces, so the reply stays one line.
pub fn error_format(parts: &[&[u8]]) -> CmdError {
    let msg = parts.concat();
    let start = msg
        .iter()
        .position(|c| !b"\r\n".contains(c))
        .unwrap_or(msg.len());
    let end = msg
        .iter()
        .rposition(|c| !b"\r\n".contains(c))
        .map_or(start, |e| e + 1);
    let line = msg[start..end]
        .iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c });
    CmdError::Raw(line.collect())
}

/// A float argument as Redis's `getLongDoubleFromObject`/`strtold` reads it: `inf`, `-inf`,
/// exponents; no spaces, no NaN.
pub fn float(arg: &[u8]) -> Result<f64, CmdError> {
    let s = std::str::from_utf8(arg).map_err(|_| CmdError::NotFloat)?;
    if s.is_empty()
        || s.starts_with(|c: char| c.is_ascii_whitespace())
        || s.ends_with(|c: char| c.is_ascii_whitespace())
    {
        return Err(CmdError::NotFloat);
    }
    let v: f64 = match s.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => f64::INFINITY,
        "-inf" | "-infinity" => f64::NEG_INFINITY,
        lower if lower.contains("nan") => return Err(CmdError::NotFloat),
        _ => s.parse().map_err(|_| CmdError::NotFloat)?,
    };
    Ok(v)
}

/// The inclusive index range `start..=end` covers in a sequence of `len` (LRANGE, LTRIM, ZRANGE
/// by rank): negative indexes count from the tail, a start before the head is the head, an end
/// past the tail is the tail; `None` when nothing is covered.
pub fn index_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// Case-insensitive comparison of an option argument with its upper-case name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// A count read as Redis's `getRangeLongFromObjectOrReply(1, LONG_MAX, msg)`: one message for
/// anything that is not a positive integer.
fn positive(arg: &[u8], msg: &str) -> Result<usize, CmdError> {
    match int(arg) {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err(CmdError::other(msg)),
    }
}

/// The arguments of LMPOP and ZMPOP and their blocking forms from `args[at]` on: `numkeys
/// key... side [COUNT count]`, `side` reading the word after the keys (LEFT/RIGHT, MIN/MAX).
/// Returns the keys, the side and the count (1 without COUNT), with Redis's errors in its
/// order.
pub fn mpop<T>(
    args: &[Bytes],
    at: usize,
    side: impl FnOnce(&[u8]) -> Result<T, CmdError>,
) -> Result<(&[Bytes], T, usize), CmdError> {
    let numkeys = positive(
        args.get(at).map_or(&[][..], |a| &a[..]),
        "ERR numkeys should be greater than 0",
    )?;
    let side_at = numkeys
        .checked_add(at + 1)
        .filter(|&i| i < args.len())
        .ok_or(CmdError::Syntax)?;
    let side = side(&args[side_at])?;
    let mut count = None;
    let mut i = side_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(n) if count.is_none() && is(&args[i], "COUNT") => {
                count = Some(positive(n, "ERR count should be greater than 0")?);
                i += 2;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    Ok((&args[at + 1..side_at], side, count.unwrap_or(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_strict() {
        assert_eq!(int(b"-5"), Ok(-5));
        assert_eq!(int(b" 5"), Err(CmdError::NotInteger));
        assert_eq!(int(b"5.0"), Err(CmdError::NotInteger));
    }

    #[test]
    fn floats() {
        assert_eq!(float(b"1.5"), Ok(1.5));
        assert_eq!(float(b"-inf"), Ok(f64::NEG_INFINITY));
        assert_eq!(float(b"1e3"), Ok(1000.0));
        assert_eq!(float(b"nan"), Err(CmdError::NotFloat));
        assert_eq!(float(b""), Err(CmdError::NotFloat));
        assert_eq!(float(b"1 "), Err(CmdError::NotFloat));
        assert_eq!(float(b"abc"), Err(CmdError::NotFloat));
    }

    #[test]
    fn int32_has_its_own_range_error() {
        assert_eq!(int32(b"-7"), Ok(-7));
        assert_eq!(int32(b"x"), Err(CmdError::NotInteger));
        assert_eq!(
            int32(b"2147483648").map_err(|e| e.message()),
            Err("ERR value is out of range, value must between -2147483648 and 2147483647".into())
        );
    }

    #[test]
    fn non_negative_counts() {
        assert_eq!(non_negative(b"0"), Ok(0));
        let msg = Err("ERR value is out of range, must be positive".to_string());
        assert_eq!(non_negative(b"-1").map_err(|e| e.message()), msg);
        assert_eq!(non_negative(b"x").map_err(|e| e.message()), msg);
    }

    #[test]
    fn arguments_in_errors_stay_on_one_line() {
        assert_eq!(c_str(b"ab\0cd"), b"ab");
        assert_eq!(
            error_format(&[b"ERR Unsupported option ", b"a\r\nb\n"]).message(),
            "ERR Unsupported option a  b"
        );
    }

    #[test]
    fn options_ignore_case() {
        assert!(is(b"nx", "NX"));
        assert!(!is(b"nxx", "NX"));
    }
}
