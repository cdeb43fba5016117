use bytes::{Bytes, BytesMut};

/// Limits a client cannot exceed; breaking one is a protocol error that closes the connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: largest bulk string accepted (Redis default 512 MiB).
    pub max_bulk_len: usize,
    /// Largest multibulk element count (Redis: 1024*1024).
    pub max_multibulk_len: usize,
    /// Longest inline command or length line without CRLF (Redis: PROTO_INLINE_MAX_SIZE, 64 KiB).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: 512 * 1024 * 1024, max_multibulk_len: 1024 * 1024, max_inline_len: 64 * 1024 }
    }
}

/// A malformed request. `Display` gives the text after `-ERR `, e.g.
/// `Protocol error: invalid bulk length`, exactly as Redis words it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Protocol error: {}", self.0)
    }
}

/// Incremental request parser. Keeps its progress inside a partly received frame so that a
/// large bulk arriving in many reads is not rescanned from the start each time.
pub struct RequestParser {
    limits: Limits,
}

impl RequestParser {
    pub fn new(limits: Limits) -> Self {
        RequestParser { limits }
    }

    /// Takes one complete command off the front of `buf`. `Ok(None)`: need more bytes.
    /// Arguments are zero-copy slices of the consumed frame. Empty inline lines and `*0`/`*-1`
    /// multibulks are skipped, as Redis skips them.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let _ = (&self.limits, buf);
        todo!()
    }
}
