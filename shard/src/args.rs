//! Parsing of numeric and option arguments, shared by every command family.

use crate::error::CmdError;
use crate::value::parse_canonical_i64;

/// An integer argument as Redis's `getLongLongFromObject` reads it (strict: no spaces, no
/// leading `+`).
pub fn int(arg: &[u8]) -> Result<i64, CmdError> {
    parse_canonical_i64(arg).ok_or(CmdError::NotInteger)
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

/// Case-insensitive comparison of an option argument with its upper-case name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
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
    fn options_ignore_case() {
        assert!(is(b"nx", "NX"));
        assert!(!is(b"nxx", "NX"));
    }
}
