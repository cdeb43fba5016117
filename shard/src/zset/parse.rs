//! How sorted-set commands read numbers and ranges, byte for byte as Redis 7.0 does: scores and
//! weights through `string2d` (`strtod` over the whole argument, no leading space, no NaN, no
//! overflow), score ranges through a bare `strtod` (leading space, `1e400`, even the empty
//! string are accepted), lex ranges through `zslParseLexRangeItem`.

use std::cmp::Ordering;

use bytes::Bytes;

use crate::args;
use crate::error::CmdError;
use crate::strtod::{is_c_space, strtod};

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
