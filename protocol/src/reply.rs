use crate::num::{decimal_len, g17, put_int_line, put_len_line};
use bytes::{Bytes, BytesMut};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RespVersion {
    #[default]
    Resp2,
    Resp3,
}

/// One reply frame. RESP3-only types degrade to their RESP2 form when encoded for RESP2:
/// Map → flat array, Set → array, Double → bulk string, Bool → integer 1/0, Null → `$-1`,
/// Verbatim → bulk string, Push → array, BigNumber → bulk string, Pairs → flat array.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+text`
    Simple(Bytes),
    /// `-text` (the text carries its code: `ERR ...`, `WRONGTYPE ...`).
    Error(Bytes),
    Int(i64),
    Bulk(Bytes),
    /// Null bulk: RESP2 `$-1`, RESP3 `_`.
    Null,
    /// Null array: RESP2 `*-1`, RESP3 `_`.
    NullArray,
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    /// An ordered list of pairs that is not a map (HRANDFIELD WITHVALUES, ZRANGE WITHSCORES):
    /// a flat array in RESP2, an array of two-element arrays in RESP3, as Redis sends them.
    Pairs(Vec<(Reply, Reply)>),
    /// A map in RESP3, an array of two-element arrays in RESP2 (XREAD, XREADGROUP), where
    /// `Map` would be flattened.
    NestedMap(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Double(f64),
    Bool(bool),
    /// `=len\r\nfmt:text`; `fmt` is three bytes such as `txt`.
    Verbatim(&'static str, Bytes),
    Push(Vec<Reply>),
    BigNumber(Bytes),
    /// Not one frame but several, written one after another: a command that answers more
    /// than once (SUBSCRIBE with several channels confirms each).
    Sequence(Vec<Reply>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple(Bytes::from_static(b"OK"))
    }

    pub fn simple(s: &'static str) -> Reply {
        Reply::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An array of status lines: what every HELP subcommand answers.
    pub fn status_lines(lines: &[&'static str]) -> Reply {
        Reply::Array(lines.iter().map(|l| Reply::simple(l)).collect())
    }

    /// `msg` includes the error code, e.g. `ERR syntax error`.
    pub fn error(msg: impl Into<String>) -> Reply {
        Reply::Error(Bytes::from(msg.into()))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    /// Appends the wire form of `self` for `version` to `out`.
    ///
    /// Simple strings and errors cannot carry CR or LF on the wire; like Redis'
    /// `addReplyErrorFormat` an error has CR/LF trimmed from both ends and the rest turned into
    /// spaces, and a simple string has them turned into spaces (as Redis does for Lua replies).
    pub fn encode(&self, out: &mut BytesMut, version: RespVersion) {
        let resp3 = version == RespVersion::Resp3;
        match self {
            Reply::Simple(s) => put_line_sanitised(out, b'+', s, false),
            Reply::Error(s) => put_line_sanitised(out, b'-', s, true),
            Reply::Int(n) => put_int_line(out, b':', *n),
            Reply::Bulk(b) => put_bulk(out, b),
            Reply::Null => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NullArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                put_len_line(out, b'*', items.len());
                for item in items {
                    item.encode(out, version);
                }
            }
            Reply::Map(pairs) => {
                if resp3 {
                    put_len_line(out, b'%', pairs.len());
                } else {
                    put_len_line(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(out, version);
                    v.encode(out, version);
                }
            }
            Reply::NestedMap(pairs) => {
                put_len_line(out, if resp3 { b'%' } else { b'*' }, pairs.len());
                for (k, v) in pairs {
                    if !resp3 {
                        put_len_line(out, b'*', 2);
                    }
                    k.encode(out, version);
                    v.encode(out, version);
                }
            }
            Reply::Pairs(pairs) => {
                put_len_line(out, b'*', if resp3 { pairs.len() } else { pairs.len() * 2 });
                for (a, b) in pairs {
                    if resp3 {
                        put_len_line(out, b'*', 2);
                    }
                    a.encode(out, version);
                    b.encode(out, version);
                }
            }
            Reply::Set(items) => {
                put_len_line(out, if resp3 { b'~' } else { b'*' }, items.len());
                for item in items {
                    item.encode(out, version);
                }
            }
            Reply::Push(items) => {
                put_len_line(out, if resp3 { b'>' } else { b'*' }, items.len());
                for item in items {
                    item.encode(out, version);
                }
            }
            Reply::Double(d) => {
                let text = g17(*d);
                if resp3 {
                    put_line(out, b',', text.as_bytes());
                } else {
                    put_bulk(out, text.as_bytes());
                }
            }
            Reply::Bool(b) => out.extend_from_slice(match (resp3, b) {
                (true, true) => b"#t\r\n",
                (true, false) => b"#f\r\n",
                (false, true) => b":1\r\n",
                (false, false) => b":0\r\n",
            }),
            Reply::Verbatim(fmt, text) => {
                if resp3 {
                    let len = fmt.len() + 1 + text.len();
                    out.reserve(1 + decimal_len(len as u64) + 2 + len + 2);
                    put_len_line(out, b'=', len);
                    out.extend_from_slice(fmt.as_bytes());
                    out.extend_from_slice(b":");
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"\r\n");
                } else {
                    put_bulk(out, text);
                }
            }
            Reply::BigNumber(n) => {
                if resp3 {
                    put_line(out, b'(', n);
                } else {
                    put_bulk(out, n);
                }
            }
            Reply::Sequence(replies) => {
                for r in replies {
                    r.encode(out, version);
                }
            }
        }
    }

    /// Convenience for tests and tools: the wire form as a fresh vector.
    pub fn encode_to_vec(&self, version: RespVersion) -> Vec<u8> {
        let mut out = BytesMut::new();
        self.encode(&mut out, version);
        out.to_vec()
    }
}

#[inline]
fn put_bulk(out: &mut BytesMut, data: &[u8]) {
    // One reservation for header, payload and trailer: the three copies never reallocate.
    out.reserve(1 + decimal_len(data.len() as u64) + 2 + data.len() + 2);
    put_len_line(out, b'$', data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

#[inline]
fn put_line(out: &mut BytesMut, prefix: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.extend_from_slice(&[prefix]);
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
}

fn put_line_sanitised(out: &mut BytesMut, prefix: u8, text: &[u8], trim: bool) {
    let mut text = text;
    if trim {
        // sdstrim(s, "\r\n"): both ends.
        while let Some((&b, rest)) = text.split_first() {
            if b != b'\r' && b != b'\n' {
                break;
            }
            text = rest;
        }
        while let Some((&b, rest)) = text.split_last() {
            if b != b'\r' && b != b'\n' {
                break;
            }
            text = rest;
        }
    }
    if memchr::memchr2(b'\r', b'\n', text).is_none() {
        put_line(out, prefix, text);
        return;
    }
    out.reserve(text.len() + 3);
    out.extend_from_slice(&[prefix]);
    let start = out.len();
    out.extend_from_slice(text);
    for b in &mut out[start..] {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// Formats a double as Redis 7.0 does in replies (`%.17g`; `inf`, `-inf`, `nan`).
///
/// A NaN with its sign bit set prints `-nan`, as glibc (and so Redis) prints it.
pub fn format_double(d: f64) -> String {
    // g17 only ever emits ASCII.
    String::from_utf8_lossy(g17(d).as_bytes()).into_owned()
}
