//! Number parsing and formatting shared by the request parser, the encoder and the decoder.
//!
//! Everything here works on bytes, never on `str`, because lengths and integers sit on the hot
//! path of every request and reply.

use bytes::BytesMut;
use std::fmt::Write as _;

/// Port of Redis' `string2ll`: the exact grammar Redis accepts for lengths and counts.
/// No sign other than a leading `-`, no leading zeros (so `-0` and `01` are rejected), no
/// spaces, at most 20 bytes, must fit in an `i64`.
#[inline]
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    // LONG_STR_SIZE is 21 in Redis; the check is `slen >= LONG_STR_SIZE`.
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut v = u64::from(first - b'0');
    for &c in rest {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if negative {
        // The magnitude of i64::MIN is one more than i64::MAX.
        if v > 1u64 << 63 {
            None
        } else {
            Some(0i64.wrapping_sub_unsigned(v))
        }
    } else {
        i64::try_from(v).ok()
    }
}

/// Two ASCII digits per entry: halves the number of divisions, as Redis' `ull2string` does.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` so that they end just before `buf[end]`; returns the index
/// of the first digit. `buf` must have room for 20 digits before `end`.
#[inline]
fn write_digits_backwards(mut v: u64, buf: &mut [u8], mut end: usize) -> usize {
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        end -= 1;
        buf[end] = b'0' + v as u8;
    }
    end
}

/// Appends `<prefix><v>\r\n` with a single copy into `out`.
#[inline]
pub(crate) fn put_int_line(out: &mut BytesMut, prefix: u8, v: i64) {
    // prefix + '-' + 20 digits + CRLF fits in 24 bytes.
    let mut buf = [0u8; 24];
    buf[22] = b'\r';
    buf[23] = b'\n';
    let mut start = write_digits_backwards(v.unsigned_abs(), &mut buf, 22);
    if v < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    start -= 1;
    buf[start] = prefix;
    out.extend_from_slice(&buf[start..]);
}

/// Appends `<prefix><n>\r\n` for a non-negative length or count.
#[inline]
pub(crate) fn put_len_line(out: &mut BytesMut, prefix: u8, n: usize) {
    if n < 10 {
        // The overwhelmingly common case for bulk headers and small arrays.
        out.extend_from_slice(&[prefix, b'0' + n as u8, b'\r', b'\n']);
        return;
    }
    let mut buf = [0u8; 24];
    buf[22] = b'\r';
    buf[23] = b'\n';
    let mut start = write_digits_backwards(n as u64, &mut buf, 22);
    start -= 1;
    buf[start] = prefix;
    out.extend_from_slice(&buf[start..]);
}

/// Decimal digits of `n` without a heap allocation (used for lengths computed before copying).
#[inline]
pub(crate) fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// A double rendered the way glibc's `printf("%.17g")` renders it. At most 24 bytes
/// (`-4.9406564584124654e-324`), so it lives on the stack.
pub(crate) struct G17 {
    buf: [u8; 32],
    len: usize,
}

impl G17 {
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn push(&mut self, b: u8) {
        if self.len < self.buf.len() {
            self.buf[self.len] = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, s: &[u8]) {
        for &b in s {
            self.push(b);
        }
    }
}

/// `fmt::Write` into a fixed stack buffer so `{:.16e}` needs no allocation.
struct StackWriter {
    buf: [u8; 32],
    len: usize,
}

impl std::fmt::Write for StackWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `%.17g` as glibc prints it. This is not the shortest round-trip form: 0.1 prints as
/// `0.10000000000000001`, because Redis 7.0's `addReplyDouble` uses `%.17g`.
pub(crate) fn g17(d: f64) -> G17 {
    let mut out = G17 {
        buf: [0; 32],
        len: 0,
    };
    let negative = d.is_sign_negative();
    if d.is_nan() {
        // glibc keeps the sign bit of a NaN; Redis 7.0 replies `-nan` for Lua's 0/0 on x86.
        out.extend(if negative { b"-nan" } else { b"nan" });
        return out;
    }
    if d.is_infinite() {
        out.extend(if negative { b"-inf" } else { b"inf" });
        return out;
    }
    if negative {
        out.push(b'-');
    }
    let a = d.abs();
    // Integral values below 2^53 have at most 16 digits, so %.17g prints them exactly as
    // integers; this skips the exact-digit generation for the common integer scores.
    if a < 9_007_199_254_740_992.0 && a.fract() == 0.0 {
        let mut digits = [0u8; 20];
        let start = write_digits_backwards(a as u64, &mut digits, 20);
        out.extend(&digits[start..]);
        return out;
    }

    // Rust's `{:.16e}` yields exactly 17 correctly rounded significant digits (ties to even,
    // as glibc in the default rounding mode); only the %g layout is left to do.
    let mut w = StackWriter {
        buf: [0; 32],
        len: 0,
    };
    if write!(w, "{:.16e}", a).is_err() {
        // Cannot happen: the longest form is 23 bytes. Degrade rather than panic.
        out.extend(b"nan");
        return out;
    }
    let s = &w.buf[..w.len];
    let mut digits = [b'0'; 17];
    digits[0] = s.first().copied().unwrap_or(b'0');
    if let Some(frac) = s.get(2..18) {
        digits[1..].copy_from_slice(frac);
    }
    // Rust prints the exponent as `e0`, `e20`, `e-324`: exactly string2ll's grammar.
    let exp = s.get(19..).and_then(string2ll).unwrap_or(0) as i32;

    // %g drops trailing zeros of the significand unless '#' is given.
    let mut sig_len = 17;
    while sig_len > 1 && digits[sig_len - 1] == b'0' {
        sig_len -= 1;
    }
    let digits = &digits[..sig_len];

    if !(-4..17).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push(b'0');
        }
        let mut ebuf = [0u8; 20];
        let start = write_digits_backwards(u64::from(e), &mut ebuf, 20);
        out.extend(&ebuf[start..]);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend(digits);
            for _ in digits.len()..int_len {
                out.push(b'0');
            }
        } else {
            out.extend(&digits[..int_len]);
            out.push(b'.');
            out.extend(&digits[int_len..]);
        }
    } else {
        out.extend(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend(digits);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: f64) -> String {
        String::from_utf8(g17(d).as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn string2ll_matches_redis_grammar() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"1"), Some(1));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"00",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"99999999999999999999",
            b"000000000000000000001",
        ] {
            assert_eq!(string2ll(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn int_lines() {
        for (v, want) in [
            (0i64, ":0\r\n"),
            (7, ":7\r\n"),
            (10, ":10\r\n"),
            (-1, ":-1\r\n"),
            (99, ":99\r\n"),
            (100, ":100\r\n"),
            (123456789, ":123456789\r\n"),
            (i64::MAX, ":9223372036854775807\r\n"),
            (i64::MIN, ":-9223372036854775808\r\n"),
        ] {
            let mut out = BytesMut::new();
            put_int_line(&mut out, b':', v);
            assert_eq!(&out[..], want.as_bytes());
        }
        for n in [0usize, 9, 10, 11, 99, 100, 1000, usize::MAX] {
            let mut out = BytesMut::new();
            put_len_line(&mut out, b'$', n);
            assert_eq!(out, format!("${n}\r\n").as_bytes());
            assert_eq!(decimal_len(n as u64), n.to_string().len());
        }
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn g17_matches_glibc_printf() {
        extern "C" {
            fn snprintf(buf: *mut u8, n: usize, fmt: *const std::ffi::c_char, ...) -> i32;
        }
        let glibc = |d: f64| {
            let mut buf = [0u8; 64];
            // SAFETY: the buffer is 64 bytes, %.17g of a double needs at most 25 with the NUL.
            let n = unsafe { snprintf(buf.as_mut_ptr(), buf.len(), c"%.17g".as_ptr(), d) };
            String::from_utf8(buf[..n as usize].to_vec()).unwrap()
        };
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..200_000 {
            let r = next();
            let d = match i % 4 {
                // Any bit pattern: subnormals, NaN payloads, huge exponents.
                0 => f64::from_bits(r),
                // Short decimals, the kind users store as scores.
                1 => (r % 2_000_000) as f64 / 10f64.powi((r >> 40) as i32 % 12) - 100_000.0,
                // Exact ties at the 18th significant digit (odd multiples of small 2^-k).
                2 => ((r >> 11) | 1) as f64 / f64::from(1u32 << (r % 8)),
                _ => (r >> (r % 64)) as f64,
            };
            assert_eq!(g(d), glibc(d), "bits {:#018x}", d.to_bits());
        }
    }

    #[test]
    fn g17_known_values_from_redis() {
        // Each value checked against glibc printf("%.17g") and Redis 7.0.15 ZSCORE.
        for (d, want) in [
            (1.1, "1.1000000000000001"),
            (1.2000000000000002, "1.2000000000000002"),
            (0.1, "0.10000000000000001"),
            (1e20, "1e+20"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (3.0, "3"),
            (-3.0, "-3"),
            (0.0, "0"),
            (-0.0, "-0"),
            (5e-324, "4.9406564584124654e-324"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "-nan"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (9007199254740992.0, "9007199254740992"),
            (9007199254740993.0, "9007199254740992"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (12345678901234567.0, "12345678901234568"),
            (0.5, "0.5"),
            (1.5, "1.5"),
            (2.5, "2.5"),
            (100.0, "100"),
            (1e15 + 0.25, "1000000000000000.2"),
            (1e15 + 0.75, "1000000000000000.8"),
            (1e-5, "1.0000000000000001e-05"),
            (1e-4, "0.0001"),
            (0.3, "0.29999999999999999"),
            (123.456, "123.456"),
            (1e100, "1e+100"),
            (1e21, "1e+21"),
            (1e22, "1e+22"),
            (1e23, "9.9999999999999992e+22"),
        ] {
            assert_eq!(g(d), want, "{d:e}");
        }
    }
}
