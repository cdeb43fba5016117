use bytes::{Bytes, BytesMut};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RespVersion {
    #[default]
    Resp2,
    Resp3,
}

/// One reply frame. RESP3-only types degrade to their RESP2 form when encoded for RESP2:
/// Map → flat array, Set → array, Double → bulk string, Bool → integer 1/0, Null → `$-1`,
/// Verbatim → bulk string, Push → array, BigNumber → bulk string.
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
    Set(Vec<Reply>),
    Double(f64),
    Bool(bool),
    /// `=len\r\nfmt:text`; `fmt` is three bytes such as `txt`.
    Verbatim(&'static str, Bytes),
    Push(Vec<Reply>),
    BigNumber(Bytes),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Simple(Bytes::from_static(b"OK"))
    }

    pub fn simple(s: &'static str) -> Reply {
        Reply::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// `msg` includes the error code, e.g. `ERR syntax error`.
    pub fn error(msg: impl Into<String>) -> Reply {
        Reply::Error(Bytes::from(msg.into()))
    }

    pub fn bulk(b: impl Into<Bytes>) -> Reply {
        Reply::Bulk(b.into())
    }

    /// Appends the wire form of `self` for `version` to `out`.
    pub fn encode(&self, out: &mut BytesMut, version: RespVersion) {
        let _ = (out, version);
        todo!()
    }
}

/// Formats a double as Redis 7.0 does in replies (`%.17g`; `inf`, `-inf`, `nan`).
pub fn format_double(d: f64) -> String {
    let _ = d;
    todo!()
}
