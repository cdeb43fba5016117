//! C's `strtod` as glibc implements it, for the commands that read numbers the way Redis does
//! (sorted-set scores and ranges, SORT weights): where a number ends, rounding, hexadecimal
//! floats, and which results are out of range.

/// What C's `strtod` makes of the start of `s`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    pub value: f64,
    /// Bytes read, leading white space included; 0 when no number starts `s`.
    pub len: usize,
    /// ERANGE with a result of ±inf or ±0: the number overflowed or underflowed to zero.
    pub out_of_range: bool,
}

/// C's `isspace` in the C locale.
/// An optional `+` or `-` at `s[*i]`, moving `*i` past it; true for `-`.
pub fn take_sign(s: &[u8], i: &mut usize) -> bool {
    match s.get(*i) {
        Some(b'-') => {
            *i += 1;
            true
        }
        Some(b'+') => {
            *i += 1;
            false
        }
        _ => false,
    }
}

pub fn is_c_space(c: u8) -> bool {
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
pub fn strtod(s: &[u8]) -> Strtod {
    let none = Strtod {
        value: 0.0,
        len: 0,
        out_of_range: false,
    };
    let start = s.iter().take_while(|&&c| is_c_space(c)).count();
    let mut i = start;
    let neg = take_sign(s, &mut i);
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

impl Strtod {
    /// Whether glibc sets ERANGE: overflow, underflow to zero, or a subnormal result.
    pub fn erange(&self) -> bool {
        self.out_of_range || (self.value != 0.0 && self.value.abs() < f64::MIN_POSITIVE)
    }
}
