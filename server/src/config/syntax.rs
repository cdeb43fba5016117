//! Byte-level ports of the Redis helpers that give redis.conf, the command line and CONFIG GET
//! their exact behaviour (`sdscatrepr`, `memtoull`, `string2ll`,
//! `stringmatchlen`, glob(3) for `include`). Users feed ferrokv configuration written for Redis,
//! so the corner cases (quote escapes, unit suffixes, leading zeros) must agree byte for byte.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// C's `isspace` in the "C" locale, which is what Redis runs its parsers under.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sdstrim(line, " \t\r\n")`: Redis trims config lines with this set, not with `isspace`.
pub(super) fn trim_line(mut line: &[u8]) -> &[u8] {
    let trimmed = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while line.first().is_some_and(trimmed) {
        line = &line[1..];
    }
    while line.last().is_some_and(trimmed) {
        line = &line[..line.len() - 1];
    }
    line
}

/// `sdssplitargs`: `None` means unbalanced quotes (or a closing quote glued to more text),
/// which Redis reports as "Unbalanced quotes in configuration line".
pub(super) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // The C code works on NUL-terminated strings, so anything after a NUL is invisible to it.
    let line = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let args = ferrokv_protocol::split_args(line).ok()?;
    Some(args.into_iter().map(|a| a.to_vec()).collect())
}

/// `sdscatrepr`: how Redis quotes command-line values when it turns `--name value` into a
/// config line, and therefore how they appear in the FATAL report.
pub(super) fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// `memtoull`: digits followed by an optional unit (`b`, `k`=1000, `kb`=1024, `m`, `mb`, `g`,
/// `gb`, any case). Redis accepts an empty digit run as 0 (`""`, `"mb"`), and so do we.
/// Unlike Redis 7.0.15 — which silently wraps `17179869184gb` to 0, i.e. "no limit" — an
/// overflowing product is rejected, because wrapping a memory limit to unlimited is never
/// what the user meant.
pub(super) fn memtoull(s: &[u8]) -> Option<u64> {
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = s[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    // strtoull saturates on overflow and Redis does not look at ERANGE.
    let value = s[..digits].iter().fold(0u64, |acc, d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    value.checked_mul(mul)
}

/// `string2ll`: strict decimal (no `+`, no leading zeros, no spaces), shared with the commands
/// that read integers. This is what makes `timeout 01` or `timeout +1` invalid in Redis.
pub(super) use ferrokv_shard::value::parse_canonical_i64 as string2ll;

/// `strtoll(s, &end, 10)` followed by Redis's `*end == '\0'` check, as used for `save`
/// parameters: leading whitespace and a sign are fine, the empty string is 0, and values
/// saturate instead of failing.
pub(super) fn strtoll_whole(s: &[u8]) -> Option<i64> {
    let mut i = 0;
    while i < s.len() && is_space(s[i]) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let start = i;
    let mut value: i128 = 0;
    while let Some(d) = s.get(i).filter(|b| b.is_ascii_digit()) {
        value = (value * 10 + i128::from(d - b'0')).min(i128::from(u64::MAX));
        i += 1;
    }
    if i == start {
        // No digits: strtoll leaves `end` at the very start of the input.
        return s.is_empty().then_some(0);
    }
    if i != s.len() {
        return None;
    }
    let value = if negative { -value } else { value };
    Some(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

pub(super) fn has_glob_chars(s: &[u8]) -> bool {
    s.iter().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// glob(3) with flags 0, as Redis uses for `include` patterns: wildcards may appear in any
/// path component, a leading `.` must be matched explicitly, and results come back sorted.
/// A pattern that matches nothing yields an empty list (Redis then skips the include).
pub(super) fn glob_paths(pattern: &[u8]) -> Vec<PathBuf> {
    let absolute = pattern.first() == Some(&b'/');
    let components: Vec<&[u8]> = pattern
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect();
    let mut candidates = vec![PathBuf::from(if absolute { "/" } else { "" })];
    for component in components {
        let mut next = Vec::new();
        for base in &candidates {
            if !has_glob_chars(component) {
                next.push(base.join(OsStr::from_bytes(component)));
                continue;
            }
            let dir: &Path = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let bytes = name.as_bytes();
                if bytes.first() == Some(&b'.') && component.first() != Some(&b'.') {
                    continue;
                }
                if ferrokv_shard::glob::matches(component, bytes, false) {
                    next.push(base.join(&name));
                }
            }
        }
        candidates = next;
    }
    candidates.retain(|p| !p.as_os_str().is_empty() && p.exists());
    candidates.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    candidates
}

/// `strerror(errno)` text, which is what Redis prints; Rust appends " (os error N)".
pub(super) fn strerror(err: &io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(cut) if text.ends_with(')') => text[..cut].to_string(),
        _ => text,
    }
}
