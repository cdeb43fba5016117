//! The C library's number conversions Redis's libraries rely on: printf's `%.Ng` and glibc's
//! `strtod`.

/// `printf("%.<precision>g", n)` as glibc prints it.
pub(crate) fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let p = precision.max(1);
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    if exp < -4 || exp >= p as i64 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip_fraction_zeros(mantissa), exp.abs())
    } else {
        let decimals = (p as i64 - 1 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

/// %g drops trailing zeros of the fraction, and the point when nothing follows it.
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// glibc's `strtod` on `s` (which ends where a C string would: at its end or a NUL): the
/// number and how many bytes it took, or None when no number starts `s`.
pub(crate) fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while matches!(at(i), b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = at(i) == b'-';
    if matches!(at(i), b'-' | b'+') {
        i += 1;
    }
    // Negation, not multiplication by -1, which leaves a NaN's sign alone on x86.
    let signed = |v: f64| if negative { -v } else { v };
    let starts_with = |from: usize, word: &[u8]| {
        word.iter()
            .enumerate()
            .all(|(k, w)| at(from + k).eq_ignore_ascii_case(w))
    };
    if starts_with(i, b"inf") {
        let len = if starts_with(i, b"infinity") { 8 } else { 3 };
        return Some((signed(f64::INFINITY), i + len));
    }
    if starts_with(i, b"nan") {
        let mut end = i + 3;
        if at(end) == b'(' {
            let mut j = end + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                end = j + 1;
            }
        }
        return Some((signed(f64::NAN), end));
    }
    if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' {
        if let Some((v, end)) = hex_float(s, i + 2) {
            return Some((signed(v), end));
        }
    }
    let start = i;
    let mut digits = 0;
    while at(i).is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if at(i) == b'.' {
        i += 1;
        while at(i).is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if at(i) | 0x20 == b'e' {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((signed(v), i))
}

/// The hexadecimal form after "0x": hex digits with an optional point, then an optional
/// binary exponent `p[+-]digits`. None when no hex digit follows (strtod then reads the "0").
fn hex_float(s: &[u8], from: usize) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = from;
    let mut mantissa: u128 = 0;
    let mut exp: i64 = 0;
    let mut digits = 0;
    let mut seen_point = false;
    loop {
        let c = at(i);
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            digits += 1;
            if mantissa >> 120 == 0 {
                mantissa = mantissa * 16 + u128::from(d);
                if seen_point {
                    exp -= 4;
                }
            } else if !seen_point {
                exp += 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if at(i) | 0x20 == b'p' {
        let mut j = i + 1;
        let negative = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(100_000);
                j += 1;
            }
            exp += if negative { -e } else { e };
            i = j;
        }
    }
    let v = mantissa as f64 * 2f64.powi(exp.clamp(-5000, 5000) as i32);
    Some((v, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_g_matches_printf() {
        let cases: &[(f64, usize, &str)] = &[
            (0.1, 14, "0.1"),
            (1.0 / 3.0, 14, "0.33333333333333"),
            (100.0, 14, "100"),
            (1e14, 14, "1e+14"),
            (123456789012345.0, 14, "1.2345678901234e+14"),
            (99999999999999.0, 14, "99999999999999"),
            (0.0001, 14, "0.0001"),
            (0.00001, 14, "1e-05"),
            (-1.5e-300, 14, "-1.5e-300"),
            (1e300, 14, "1e+300"),
            (0.125, 2, "0.12"),
            (0.375, 2, "0.38"),
            (2.5, 1, "2"),
            (1.23456, 3, "1.23"),
            (-0.0, 14, "-0"),
            (f64::INFINITY, 14, "inf"),
            (f64::NEG_INFINITY, 14, "-inf"),
            (9.5, 1, "1e+01"),
        ];
        for (n, p, want) in cases {
            assert_eq!(format_g(*n, *p), *want, "{n} with precision {p}");
        }
    }

    #[test]
    fn strtod_takes_the_longest_number() {
        let cases: &[(&str, Option<(f64, usize)>)] = &[
            ("123", Some((123.0, 3))),
            ("-1.5e3x", Some((-1500.0, 6))),
            ("1e", Some((1.0, 1))),
            ("1e+", Some((1.0, 1))),
            (".5", Some((0.5, 2))),
            ("5.", Some((5.0, 2))),
            ("0x1F", Some((31.0, 4))),
            ("0x", Some((0.0, 1))),
            ("0x1p4", Some((16.0, 5))),
            ("-Infinity", Some((f64::NEG_INFINITY, 9))),
            ("infx", Some((f64::INFINITY, 3))),
            ("+7", Some((7.0, 2))),
            ("-", None),
            ("abc", None),
            (".", None),
        ];
        for (s, want) in cases {
            assert_eq!(strtod(s.as_bytes()), *want, "{s}");
        }
        let (nan, len) = strtod(b"nan(123)").unwrap_or((0.0, 0));
        assert!(nan.is_nan());
        assert_eq!(len, 8);
    }
}
