//! Reply decoding, the inverse of `Reply::encode`: for clients, tests and the benchmark, not the
//! server's hot path, so it re-parses from the start of the buffer on every call.

use crate::num::string2ll;
use crate::{ProtocolError, Reply};
use bytes::Bytes;

/// Nesting bound so hostile input cannot overflow the stack through recursion.
const MAX_DEPTH: usize = 512;

/// Decodes one RESP2 or RESP3 reply from the front of `buf`. Returns the reply and the number of
/// bytes it took, or `Ok(None)` if `buf` holds only part of it.
///
/// RESP3 attributes (`|`) are read and dropped: the reply that follows them is returned and the
/// attribute's bytes are counted in the length. `_` decodes as `Reply::Null`, `$-1` as
/// `Reply::Null`, `*-1` as `Reply::NullArray`. Streamed (`?`) aggregates are not supported.
pub fn parse_reply(buf: &[u8]) -> Result<Option<(Reply, usize)>, ProtocolError> {
    let mut pos = 0;
    Ok(parse_at(buf, &mut pos, 0)?.map(|r| (r, pos)))
}

fn bad<T>(msg: &str) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.to_owned()))
}

/// The line starting at `*pos`, without its CRLF; moves `*pos` past the CRLF.
fn line<'a>(buf: &'a [u8], pos: &mut usize) -> Result<Option<&'a [u8]>, ProtocolError> {
    let rest = &buf[*pos..];
    let Some(cr) = memchr::memchr(b'\r', rest) else {
        return Ok(None);
    };
    match rest.get(cr + 1) {
        None => Ok(None),
        Some(b'\n') => {
            *pos += cr + 2;
            Ok(Some(&rest[..cr]))
        }
        Some(_) => bad("expected LF after CR in reply"),
    }
}

fn length(l: &[u8]) -> Result<i64, ProtocolError> {
    match string2ll(l) {
        Some(n) => Ok(n),
        None => bad("invalid length in reply"),
    }
}

/// Payload of a `$`, `!` or `=` frame whose length line has been read; `None` for `-1`.
fn blob<'a>(
    buf: &'a [u8],
    pos: &mut usize,
    len_line: &[u8],
) -> Result<Option<Option<&'a [u8]>>, ProtocolError> {
    let len = length(len_line)?;
    if len == -1 {
        return Ok(Some(None));
    }
    let Ok(len) = usize::try_from(len) else {
        return bad("negative blob length in reply");
    };
    let start = *pos;
    let Some(end) = start.checked_add(len) else {
        return bad("blob length overflow in reply");
    };
    if buf.len() < end.saturating_add(2) {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return bad("blob not followed by CRLF in reply");
    }
    *pos = end + 2;
    Ok(Some(Some(&buf[start..end])))
}

fn items(
    buf: &[u8],
    pos: &mut usize,
    n: usize,
    depth: usize,
) -> Result<Option<Vec<Reply>>, ProtocolError> {
    // Every element takes at least 3 bytes, which bounds what a lying count can allocate.
    let mut v = Vec::with_capacity(n.min(buf.len().saturating_sub(*pos) / 3));
    for _ in 0..n {
        match parse_at(buf, pos, depth + 1)? {
            Some(r) => v.push(r),
            None => return Ok(None),
        }
    }
    Ok(Some(v))
}

fn count(l: &[u8]) -> Result<usize, ProtocolError> {
    match usize::try_from(length(l)?) {
        Ok(n) => Ok(n),
        Err(_) => bad("negative aggregate length in reply"),
    }
}

fn parse_at(buf: &[u8], pos: &mut usize, depth: usize) -> Result<Option<Reply>, ProtocolError> {
    if depth > MAX_DEPTH {
        return bad("reply nested too deeply");
    }
    let Some(&kind) = buf.get(*pos) else {
        return Ok(None);
    };
    let mut p = *pos + 1;
    let Some(l) = line(buf, &mut p)? else {
        return Ok(None);
    };
    let reply = match kind {
        b'+' => Reply::Simple(Bytes::copy_from_slice(l)),
        b'-' => Reply::Error(Bytes::copy_from_slice(l)),
        b':' => Reply::Int(length(l).or_else(|_| bad("invalid integer in reply"))?),
        b'$' | b'!' | b'=' => {
            let Some(payload) = blob(buf, &mut p, l)? else {
                return Ok(None);
            };
            match (kind, payload) {
                (b'$', None) => Reply::Null,
                (b'$', Some(b)) => Reply::Bulk(Bytes::copy_from_slice(b)),
                (b'!', Some(b)) => Reply::Error(Bytes::copy_from_slice(b)),
                (b'=', Some(b)) => verbatim(b)?,
                _ => return bad("null blob error or verbatim string in reply"),
            }
        }
        b'*' if l == b"-1" => Reply::NullArray,
        b'*' | b'~' | b'>' => {
            let Some(v) = items(buf, &mut p, count(l)?, depth)? else {
                return Ok(None);
            };
            match kind {
                b'*' => Reply::Array(v),
                b'~' => Reply::Set(v),
                _ => Reply::Push(v),
            }
        }
        b'%' | b'|' => {
            let n = count(l)?;
            let Some(flat) = items(buf, &mut p, n.saturating_mul(2), depth)? else {
                return Ok(None);
            };
            if kind == b'|' {
                // An attribute decorates the reply after it; we keep only that reply.
                let Some(r) = parse_at(buf, &mut p, depth + 1)? else {
                    return Ok(None);
                };
                *pos = p;
                return Ok(Some(r));
            }
            let mut pairs = Vec::with_capacity(n);
            let mut it = flat.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Reply::Map(pairs)
        }
        b'_' if l.is_empty() => Reply::Null,
        b'#' if l == b"t" => Reply::Bool(true),
        b'#' if l == b"f" => Reply::Bool(false),
        b',' => Reply::Double(double(l)?),
        b'(' => {
            let digits = l.strip_prefix(b"-").unwrap_or(l);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return bad("invalid big number in reply");
            }
            Reply::BigNumber(Bytes::copy_from_slice(l))
        }
        _ => return bad("invalid reply type"),
    };
    *pos = p;
    Ok(Some(reply))
}

fn verbatim(b: &[u8]) -> Result<Reply, ProtocolError> {
    // `fmt` is `&'static str` in `Reply`, so only the formats Redis defines can be represented.
    let fmt = match b.get(..4) {
        Some(b"txt:") => "txt",
        Some(b"mkd:") => "mkd",
        _ => return bad("unknown verbatim string format in reply"),
    };
    Ok(Reply::Verbatim(fmt, Bytes::copy_from_slice(&b[4..])))
}

fn double(l: &[u8]) -> Result<f64, ProtocolError> {
    match l {
        b"inf" => return Ok(f64::INFINITY),
        b"-inf" => return Ok(f64::NEG_INFINITY),
        b"nan" => return Ok(f64::NAN),
        b"-nan" => return Ok(-f64::NAN),
        _ => {}
    }
    match std::str::from_utf8(l)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        Some(d) => Ok(d),
        None => bad("invalid double in reply"),
    }
}
