//! How sorted-set commands read numbers and ranges, byte for byte as Redis 7.0 does: scores and
//! weights through `string2d` (`strtod` over the whole argument, no leading space, no NaN, no
//! overflow), score ranges through a bare `strtod` (leading space, `1e400`, even the empty
//! string are accepted), lex ranges through `zslParseLexRangeItem`.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::args;
use crate::error::CmdError;

/// What C's `strtod` makes of the start of `s`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Strtod {
    value: f64,
    /// Bytes read, leading white space included; 0 when no number starts `s`.
    len: usize,
    /// ERANGE with a result of ±inf or ±0: the number overflowed or underflowed to zero.
    out_of_range: bool,
}

/// C's `isspace` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn digits(s: &[u8], from: usize, hex: bool) -> usize {
    s[from..]
        .iter()
        .take_while(|c| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        })
        .count()
}

/// Length of an exponent (`e`/`p`, sign, digits) at `at`, 0 when there is none (an `e` without
/// digits is not part of the number).
fn exponent(s: &[u8], at: usize, marker: u8) -> usize {
    if s.get(at).map(u8::to_ascii_lowercase) != Some(marker) {
        return 0;
    }
    let sign = usize::from(matches!(s.get(at + 1), Some(b'+' | b'-')));
    let n = digits(s, at + 1 + sign, false);
    if n == 0 {
        0
    } else {
        1 + sign + n
    }
}

/// glibc's `strtod`: leading white space, a sign, then `inf`/`infinity`, `nan`/`nan(...)`,
/// `0x` hexadecimal or decimal digits with an optional point and exponent. Both number forms
/// are rounded to nearest, as glibc does.
fn strtod(s: &[u8]) -> Strtod {
    let none = Strtod {
        value: 0.0,
        len: 0,
        out_of_range: false,
    };
    let start = s.iter().take_while(|&&c| is_c_space(c)).count();
    let mut i = start;
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let signed = |v: f64| if neg { -v } else { v };
    let rest = &s[i..];
    let word =
        |w: &str| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes());
    if word("inf") {
        let len = if word("infinity") { 8 } else { 3 };
        return Strtod {
            value: signed(f64::INFINITY),
            len: i + len,
            out_of_range: false,
        };
    }
    if word("nan") {
        let mut len = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                len = 5 + inner;
            }
        }
        return Strtod {
            value: f64::NAN,
            len: i + len,
            out_of_range: false,
        };
    }
    let hex = rest.len() > 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' && {
        let int = digits(rest, 2, true);
        int > 0 || (rest.get(2) == Some(&b'.') && digits(rest, 3, true) > 0)
    };
    let body = if hex { 2 } else { 0 };
    let int = digits(rest, body, hex);
    let mut end = body + int;
    let mut frac = 0;
    if rest.get(end) == Some(&b'.') {
        frac = digits(rest, end + 1, hex);
        if int > 0 || frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && frac == 0 {
        return none;
    }
    let nonzero = rest[body..end]
        .iter()
        .any(|c| c.is_ascii_hexdigit() && *c != b'0');
    end += exponent(rest, end, if hex { b'p' } else { b'e' });
    let text = &rest[..end];
    let value = if hex {
        parse_hex(&text[2..])
    } else {
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Strtod {
        value: signed(value),
        len: i + end,
        out_of_range: nonzero && (value == 0.0 || value.is_infinite()),
    }
}

/// `hex[.hex][p[+-]digits]` (already checked), rounded to nearest even like glibc.
fn parse_hex(s: &[u8]) -> f64 {
    let mut mant: u64 = 0;
    let mut sticky = false;
    let mut exp: i64 = 0;
    let mut seen_point = false;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'.' {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            if mant >> 60 == 0 {
                mant = mant << 4 | d as u64;
                if seen_point {
                    exp -= 4;
                }
            } else {
                sticky |= d != 0;
                if !seen_point {
                    exp += 4;
                }
            }
        } else {
            break;
        }
        i += 1;
    }
    if i < s.len() {
        let e: i64 = s[i + 1..]
            .iter()
            .filter(|c| c.is_ascii_digit())
            .fold(0i64, |acc, c| (acc * 10 + (c - b'0') as i64).min(1 << 40));
        exp += if s.get(i + 1) == Some(&b'-') { -e } else { e };
    }
    compose(mant, sticky, exp)
}

/// `mant * 2^exp` (plus a sticky fraction below `mant`'s last bit), rounded to an `f64`.
fn compose(mant: u64, sticky: bool, exp: i64) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    // Normalize to 64 significant bits: value = m * 2^(e - 63), m's top bit set.
    let shift = mant.leading_zeros();
    let m = mant << shift;
    let e = exp + 63 - shift as i64;
    if e > 1023 {
        return f64::INFINITY;
    }
    // Bits kept: 53 for normal numbers, fewer below 2^-1022.
    let keep = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep <= 0 {
        // Below half the smallest subnormal, or exactly half (ties to even: 0).
        let half = keep == 0 && (m > 1 << 63 || sticky);
        return if half { f64::from_bits(1) } else { 0.0 };
    }
    let drop = 64 - keep as u32;
    let mut kept = m >> drop;
    let rest = m << (64 - drop);
    let halfway = 1u64 << 63;
    if rest > halfway || (rest == halfway && (sticky || kept & 1 == 1)) {
        kept += 1;
    }
    // kept * 2^(e - keep + 1), exact in f64 (kept < 2^54).
    let scale = e - keep + 1;
    let mut v = kept as f64;
    let mut sc = scale;
    while sc > 0 {
        let step = sc.min(1000);
        v *= 2f64.powi(step as i32);
        sc -= step;
    }
    while sc < 0 {
        let step = (-sc).min(1000);
        v /= 2f64.powi(step as i32);
        sc += step;
    }
    v
}

/// A score, weight or increment as Redis's `string2d` reads it.
pub fn score(arg: &[u8]) -> Option<f64> {
    if arg.first().is_none_or(|&c| is_c_space(c)) {
        return None;
    }
    let p = strtod(arg);
    (p.len == arg.len() && !p.out_of_range && !p.value.is_nan()).then_some(p.value)
}

/// `score` with Redis's error for a bad one.
pub fn score_arg(arg: &[u8]) -> Result<f64, CmdError> {
    score(arg).ok_or(CmdError::NotFloat)
}

/// A score interval (`zrangespec`): `(` makes an end exclusive.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_ex: bool,
    pub max_ex: bool,
}

/// One end of a score interval, as `zslParseRange` reads it: the C string up to its first NUL,
/// `strtod` over all of it.
fn score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let s = args::c_str(arg);
    let (ex, s) = match s.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, s),
    };
    let p = strtod(s);
    (p.len == s.len() && !p.value.is_nan()).then_some((p.value, ex))
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
        match (score_bound(min), score_bound(max)) {
            (Some((min, min_ex)), Some((max, max_ex))) => Ok(ScoreRange {
                min,
                max,
                min_ex,
                max_ex,
            }),
            _ => Err(CmdError::other("ERR min or max is not a float")),
        }
    }
}

/// One end of a lex interval. `-` and `+` are below and above every string.
#[derive(Clone, Debug, PartialEq)]
pub enum LexBound {
    Lowest,
    Highest,
    Inclusive(Bytes),
    Exclusive(Bytes),
}

#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

fn lex_bound(arg: &Bytes) -> Option<LexBound> {
    // `+` and `-` must end the C string: Redis tests the byte after them against NUL.
    let alone = arg.get(1).is_none_or(|&c| c == 0);
    match arg.first() {
        Some(b'+') if alone => Some(LexBound::Highest),
        Some(b'-') if alone => Some(LexBound::Lowest),
        Some(b'(') => Some(LexBound::Exclusive(arg.slice(1..))),
        Some(b'[') => Some(LexBound::Inclusive(arg.slice(1..))),
        _ => None,
    }
}

impl LexRange {
    pub fn parse(min: &Bytes, max: &Bytes) -> Result<LexRange, CmdError> {
        match (lex_bound(min), lex_bound(max)) {
            (Some(min), Some(max)) => Ok(LexRange { min, max }),
            _ => Err(CmdError::other(
                "ERR min or max not valid string range item",
            )),
        }
    }
}

/// Redis's `sdscmplex`: a string against a bound, `-`/`+` as minus and plus infinity.
fn cmp_lex(value: &[u8], bound: &LexBound) -> Ordering {
    match bound {
        LexBound::Lowest => Ordering::Greater,
        LexBound::Highest => Ordering::Less,
        LexBound::Inclusive(b) | LexBound::Exclusive(b) => value.cmp(b),
    }
}

/// An interval of a sorted set's order, by score or by member. Redis walks a range with these
/// three tests, and the walks are reproduced exactly (they matter when a lex range is applied
/// to members with different scores, where the members are not in lex order).
pub trait Interval {
    /// True when no value can be inside (min above max, or equal with an exclusive end).
    fn is_empty(&self) -> bool;
    fn above_min(&self, member: &[u8], score: f64) -> bool;
    fn below_max(&self, member: &[u8], score: f64) -> bool;
}

impl Interval for ScoreRange {
    fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }

    fn above_min(&self, _: &[u8], score: f64) -> bool {
        if self.min_ex {
            score > self.min
        } else {
            score >= self.min
        }
    }

    fn below_max(&self, _: &[u8], score: f64) -> bool {
        if self.max_ex {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

impl Interval for LexRange {
    fn is_empty(&self) -> bool {
        use LexBound::*;
        let exclusive = |b: &LexBound| !matches!(b, Inclusive(_));
        let cmp = match (&self.min, &self.max) {
            (Lowest, Lowest) | (Highest, Highest) => Ordering::Equal,
            (Lowest, _) | (_, Highest) => Ordering::Less,
            (Highest, _) | (_, Lowest) => Ordering::Greater,
            (Inclusive(a) | Exclusive(a), Inclusive(b) | Exclusive(b)) => a.cmp(b),
        };
        cmp.is_gt() || (cmp.is_eq() && (exclusive(&self.min) || exclusive(&self.max)))
    }

    fn above_min(&self, member: &[u8], _: f64) -> bool {
        let c = cmp_lex(member, &self.min);
        match self.min {
            LexBound::Inclusive(_) => c.is_ge(),
            _ => c.is_gt(),
        }
    }

    fn below_max(&self, member: &[u8], _: f64) -> bool {
        let c = cmp_lex(member, &self.max);
        match self.max {
            LexBound::Inclusive(_) => c.is_le(),
            _ => c.is_lt(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_string2d() {
        for (text, want) in [
            ("1", Some(1.0)),
            ("-1.5", Some(-1.5)),
            ("0x10", Some(16.0)),
            ("0x1.8p1", Some(3.0)),
            ("0X.8", Some(0.5)),
            ("inf", Some(f64::INFINITY)),
            ("-Infinity", Some(f64::NEG_INFINITY)),
            ("1e3", Some(1000.0)),
            ("1.", Some(1.0)),
            (".5", Some(0.5)),
            ("+7", Some(7.0)),
            ("0e-400", Some(0.0)),
            ("1e-320", Some(1e-320)),
            ("2.5e-324", Some(5e-324)),
        ] {
            assert_eq!(score(text.as_bytes()), want, "{text}");
        }
        for bad in [
            "",
            " 1",
            "1 ",
            "nan",
            "-nan",
            "1e400",
            "1e-400",
            "abc",
            "1e",
            "0x",
            "1,5",
            "1\0",
            "inf1",
            "--1",
            ".",
            "2.4e-324",
            "0x1p-1080",
            "0x1p1024",
            "nan(1)",
        ] {
            assert_eq!(score(bad.as_bytes()), None, "{bad:?}");
        }
        assert_eq!(score(b"1.7976931348623157e308"), Some(f64::MAX));
        assert_eq!(score(b"0x1.fffffffffffff8p1023"), None);
        assert_eq!(score(b"0x1.fffffffffffff7p1023"), Some(f64::MAX));
    }

    #[test]
    fn hex_rounding_is_to_nearest_even() {
        assert_eq!(score(b"0x1.00000000000008p0"), Some(1.0));
        assert_eq!(
            score(b"0x1.00000000000018p0"),
            Some(1.0 + 2.0 * f64::EPSILON)
        );
        assert_eq!(score(b"0x1.000000000000081p0"), Some(1.0 + f64::EPSILON));
        assert_eq!(score(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(score(b"0x1.8p-1074"), Some(f64::from_bits(2)));
        assert_eq!(score(b"0x1p-1022"), Some(f64::MIN_POSITIVE));
        assert_eq!(
            score(b"0x123456789abcdef0123p0"),
            Some(0x123456789abcdef0123u128 as f64)
        );
    }

    #[test]
    fn score_ranges_follow_strtod() {
        let r = |a: &str, b: &str| ScoreRange::parse(a.as_bytes(), b.as_bytes());
        assert_eq!(
            r("(1", " 2"),
            Ok(ScoreRange {
                min: 1.0,
                max: 2.0,
                min_ex: true,
                max_ex: false
            })
        );
        assert_eq!(r("", "(").map(|x| (x.min, x.max_ex)), Ok((0.0, true)));
        assert_eq!(r("1e400", "-1e400").map(|x| x.min), Ok(f64::INFINITY));
        assert_eq!(r("5\0junk", "6").map(|x| x.min), Ok(5.0));
        for (a, b) in [
            ("nan", "1"),
            ("1", "(nan"),
            ("1 ", "2"),
            (" ", "2"),
            ("x", "1"),
        ] {
            assert_eq!(
                r(a, b),
                Err(CmdError::other("ERR min or max is not a float")),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn lex_ranges() {
        let r = |a: &'static str, b: &'static str| {
            LexRange::parse(
                &Bytes::from_static(a.as_bytes()),
                &Bytes::from_static(b.as_bytes()),
            )
        };
        assert!(r("a", "b").is_err());
        assert!(r("", "+").is_err());
        assert!(r("+x", "+").is_err());
        let all = r("-", "+").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!all.is_empty() && all.above_min(b"", 0.0) && all.below_max(b"zz", 0.0));
        let nul = r("-\0x", "+").map(|x| x.min);
        assert_eq!(nul, Ok(LexBound::Lowest));
        for (a, b, empty) in [
            ("+", "+", true),
            ("-", "-", true),
            ("+", "[a", true),
            ("[a", "-", true),
            ("[a", "[a", false),
            ("(a", "[a", true),
            ("[b", "[a", true),
            ("-", "(a", false),
        ] {
            let range = r(a, b).unwrap_or_else(|e| panic!("{e:?}"));
            assert_eq!(range.is_empty(), empty, "{a} {b}");
        }
        let ab = r("(a", "[b").unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!ab.above_min(b"a", 0.0) && ab.above_min(b"aa", 0.0) && ab.below_max(b"b", 0.0));
        assert!(!ab.below_max(b"ba", 0.0));
    }
}
