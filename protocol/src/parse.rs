use crate::num::string2ll;
use bytes::{Buf, Bytes, BytesMut};

/// Limits a client cannot exceed; breaking one is a protocol error that closes the connection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `proto-max-bulk-len`: largest bulk string accepted (Redis default 512 MiB).
    pub max_bulk_len: usize,
    /// Largest multibulk element count. Redis 7.0 only rejects counts above `INT_MAX`
    /// (6.x used 1024*1024); `*2000000` is accepted by 7.0.15.
    pub max_multibulk_len: usize,
    /// Longest inline command or length line without CRLF (Redis: PROTO_INLINE_MAX_SIZE, 64 KiB).
    pub max_inline_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: 64 * 1024,
        }
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

impl std::error::Error for ProtocolError {}

fn err<T>(msg: &str) -> Result<T, ProtocolError> {
    Err(ProtocolError(msg.to_owned()))
}

/// Redis lets an unauthenticated client send at most this many elements per command...
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// ...and bulks of at most this many bytes, so it cannot make the server buffer much before AUTH.
const UNAUTH_MAX_BULK: i64 = 16384;

/// Lines shorter than this are searched with a plain loop; memchr's setup costs more than
/// scanning `$3\r\n` byte by byte.
const SHORT_SCAN: usize = 24;

/// Upper bound on the element vector reserved from a client-supplied count (Redis uses the same
/// 1024), so `*2147483647` alone cannot make us allocate.
const MAX_PREALLOC: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between commands: the next byte decides inline or multibulk.
    Idle,
    Inline,
    /// After `*`, waiting for the end of the count line.
    Count,
    /// Inside a multibulk, reading `$len` lines and payloads.
    Elements,
}

enum Search {
    Found(usize),
    /// Not found up to the end of the buffer, or a NUL byte stopped the search at this index.
    NotFound(usize),
}

/// Redis searches its query buffer with `strchr`, which stops at a NUL byte: a NUL before the
/// terminator means "no line yet", for ever, until the buffer outgrows the inline limit. We keep
/// that so that the same bytes produce the same outcome as on Redis.
#[inline]
fn find_terminator(hay: &[u8], from: usize, target: u8) -> Search {
    let short_end = hay.len().min(from.saturating_add(SHORT_SCAN));
    let mut i = from;
    while i < short_end {
        let b = hay[i];
        if b == target {
            return Search::Found(i);
        }
        if b == 0 {
            return Search::NotFound(i);
        }
        i += 1;
    }
    if short_end >= hay.len() {
        return Search::NotFound(hay.len());
    }
    match memchr::memchr2(target, 0, &hay[short_end..]) {
        Some(i) if hay[short_end + i] == target => Search::Found(short_end + i),
        Some(i) => Search::NotFound(short_end + i),
        None => Search::NotFound(hay.len()),
    }
}

/// Incremental request parser. Keeps its progress inside a partly received frame so that a
/// large bulk arriving in many reads is not rescanned from the start each time.
///
/// The caller may only append to `buf` between calls (as a socket read does); the parser
/// consumes a frame from the front of `buf` only once the whole command is there, so arguments
/// can be zero-copy slices of one frozen frame.
///
/// Redis 7.0 quirks kept on purpose, because Redis is the reference for the wire behaviour:
/// * a length line ends at its first `\r`, and the byte after it is skipped without checking
///   that it is `\n`; likewise the two bytes after a bulk payload are skipped unchecked;
/// * a NUL byte in a length line or an inline line stalls the request (Redis uses `strchr`);
/// * `*0`, `*-1`, any `*-N`, empty and all-blank inline lines are silently skipped.
pub struct RequestParser {
    limits: Limits,
    auth_required: bool,
    state: State,
    /// Where the next terminator search resumes, so a line arriving byte by byte is scanned once.
    scan_from: usize,
    /// Offset in `buf` of the next element header or payload of the frame being read.
    pos: usize,
    /// Elements still to read in the current multibulk.
    remaining: usize,
    /// Payload length of the current element once its `$` line is parsed.
    bulk_len: Option<usize>,
    /// Payload ranges of the elements read so far; reused across frames to avoid allocating.
    pub(crate) spans: Vec<(usize, usize)>,
}

impl Default for RequestParser {
    fn default() -> Self {
        RequestParser::new(Limits::default())
    }
}

impl RequestParser {
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            limits,
            auth_required: false,
            state: State::Idle,
            scan_from: 0,
            pos: 0,
            remaining: 0,
            bulk_len: None,
            spans: Vec::new(),
        }
    }

    /// While set, counts above 10 and bulks above 16384 bytes are refused with Redis'
    /// `unauthenticated multibulk length` / `unauthenticated bulk length`, as Redis 7.0 does for
    /// a client that still has to AUTH.
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// Bytes still missing for the bulk payload being read, if one is under way. Lets the caller
    /// reserve the whole payload at once instead of growing the buffer read by read.
    pub fn bulk_bytes_missing(&self, buffered: usize) -> Option<usize> {
        match (self.state, self.bulk_len) {
            (State::Elements, Some(len)) => Some(
                self.pos
                    .saturating_add(len)
                    .saturating_add(2)
                    .saturating_sub(buffered),
            ),
            _ => None,
        }
    }

    /// Forgets any partly parsed frame (for a caller that discards its buffer).
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.scan_from = 0;
        self.pos = 0;
        self.remaining = 0;
        self.bulk_len = None;
        self.spans.clear();
        // A one-off huge command must not pin its span vector for the connection's lifetime.
        if self.spans.capacity() > 4 * MAX_PREALLOC {
            self.spans = Vec::new();
        }
    }

    /// Takes one complete command off the front of `buf`. `Ok(None)`: need more bytes.
    /// Arguments are zero-copy slices of the consumed frame. Empty inline lines and `*0`/`*-1`
    /// multibulks are skipped, as Redis skips them.
    pub fn parse(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        if self.pos > buf.len() || self.scan_from > buf.len() {
            // The caller dropped bytes we had already looked at: our offsets mean nothing now.
            self.reset();
        }
        let result = self.parse_inner(buf);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn parse_inner(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            match self.state {
                State::Idle => {
                    let Some(&first) = buf.first() else {
                        return Ok(None);
                    };
                    if first == b'*' {
                        self.state = State::Count;
                        self.scan_from = 1;
                    } else {
                        self.state = State::Inline;
                        self.scan_from = 0;
                    }
                }
                State::Inline => match self.parse_inline(buf)? {
                    None => return Ok(None),
                    Some(args) => {
                        self.state = State::Idle;
                        if !args.is_empty() {
                            return Ok(Some(args));
                        }
                    }
                },
                State::Count => {
                    if !self.parse_count(buf)? {
                        return Ok(None);
                    }
                }
                State::Elements => return self.parse_elements(buf),
            }
        }
    }

    /// Returns whether the count line was complete; on success the state has moved on.
    fn parse_count(&mut self, buf: &mut BytesMut) -> Result<bool, ProtocolError> {
        let hay = &buf[..];
        let nl = match find_terminator(hay, self.scan_from, b'\r') {
            // Redis wants one byte after the '\r' (it assumes '\n' and skips it).
            Search::Found(i) if i + 1 < hay.len() => i,
            Search::Found(i) => {
                self.scan_from = i;
                return Ok(false);
            }
            Search::NotFound(i) => {
                if hay.len() > self.limits.max_inline_len {
                    return err("too big mbulk count string");
                }
                self.scan_from = i;
                return Ok(false);
            }
        };
        let count = match string2ll(&hay[1..nl]) {
            Some(n) if n <= 0 || (n as u64) <= self.limits.max_multibulk_len as u64 => n,
            _ => return err("invalid multibulk length"),
        };
        if count > UNAUTH_MAX_MULTIBULK && self.auth_required {
            return err("unauthenticated multibulk length");
        }
        if count <= 0 {
            buf.advance(nl + 2);
            self.state = State::Idle;
            return Ok(true);
        }
        // count > 0 and bounded by a usize limit, so the conversion is lossless.
        self.remaining = count as usize;
        self.pos = nl + 2;
        self.scan_from = self.pos;
        self.bulk_len = None;
        self.spans.clear();
        self.spans.reserve(self.remaining.min(MAX_PREALLOC));
        self.state = State::Elements;
        Ok(true)
    }

    fn parse_elements(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let hay = &buf[..];
        loop {
            match self.bulk_len {
                None => {
                    let from = self.scan_from.max(self.pos);
                    let nl = match find_terminator(hay, from, b'\r') {
                        Search::Found(i) if i + 1 < hay.len() => i,
                        Search::Found(i) => {
                            self.scan_from = i;
                            return Ok(None);
                        }
                        Search::NotFound(i) => {
                            if hay.len() - self.pos > self.limits.max_inline_len {
                                return err("too big bulk count string");
                            }
                            self.scan_from = i;
                            return Ok(None);
                        }
                    };
                    // nl >= pos, so the header's first byte exists.
                    let first = hay[self.pos];
                    if first != b'$' {
                        return Err(expected_dollar(first));
                    }
                    let len = match string2ll(&hay[self.pos + 1..nl]) {
                        Some(n) if n >= 0 && (n as u64) <= self.limits.max_bulk_len as u64 => n,
                        _ => return err("invalid bulk length"),
                    };
                    if len > UNAUTH_MAX_BULK && self.auth_required {
                        return err("unauthenticated bulk length");
                    }
                    self.bulk_len = Some(len as usize);
                    self.pos = nl + 2;
                }
                Some(len) => {
                    // Redis skips the two bytes after the payload without looking at them.
                    let end = self.pos.saturating_add(len);
                    if hay.len().saturating_sub(2) < end {
                        return Ok(None);
                    }
                    self.spans.push((self.pos, end));
                    self.pos = end + 2;
                    self.scan_from = self.pos;
                    self.bulk_len = None;
                    self.remaining -= 1;
                    if self.remaining == 0 {
                        break;
                    }
                }
            }
        }
        // Splitting each argument straight off `buf` costs one reference-count increment per
        // argument; freezing the frame first and slicing it would add an increment and a
        // decrement for the frame itself, and those atomics dominate the parse cost.
        let mut args = Vec::with_capacity(self.spans.len());
        let mut at = 0;
        for &(start, end) in &self.spans {
            buf.advance(start - at);
            args.push(buf.split_to(end - start).freeze());
            at = end;
        }
        buf.advance(self.pos - at);
        self.reset();
        Ok(Some(args))
    }

    fn parse_inline(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let nl = match find_terminator(buf, self.scan_from, b'\n') {
            Search::Found(i) => i,
            Search::NotFound(i) => {
                if buf.len() > self.limits.max_inline_len {
                    return err("too big inline request");
                }
                self.scan_from = i;
                return Ok(None);
            }
        };
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let line = buf.split_to(nl + 1).freeze();
        self.scan_from = 0;
        split_line(&line, end).map(Some)
    }
}

fn expected_dollar(got: u8) -> ProtocolError {
    // Redis maps CR/LF in error text to spaces so the reply stays one line. A byte above 0x7f
    // cannot go into a String as itself; it is shown as the Latin-1 character of that value.
    let shown = match got {
        b'\r' | b'\n' => ' ',
        b => char::from(b),
    };
    ProtocolError(format!("expected '$', got '{shown}'"))
}

/// Redis's `sdssplitargs` over a whole line: how inline commands and redis.conf lines are split
/// into arguments (quotes, escapes). Fails on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Result<Vec<Bytes>, ProtocolError> {
    let line = Bytes::copy_from_slice(line);
    split_line(&line, line.len())
}

/// `isspace` in the C locale.
#[inline]
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[inline]
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Port of Redis' `sdssplitargs` over `line[..end]`. Tokens without quotes are zero-copy slices
/// of `line`; quoted tokens are unescaped into their own buffer.
///
/// Note the asymmetry kept from Redis: blanks between tokens are anything `isspace` accepts,
/// but an unquoted token only ends at space, tab, CR, LF (so `\v` and `\f` can sit inside one).
fn split_line(line: &Bytes, end: usize) -> Result<Vec<Bytes>, ProtocolError> {
    let s = &line[..end];
    // The C code runs off a NUL-terminated string; reading past the end yields that NUL.
    let at = |i: usize| -> u8 { s.get(i).copied().unwrap_or(0) };
    let unbalanced = || ProtocolError("unbalanced quotes in request".to_owned());
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < s.len() && is_c_space(s[p]) {
            p += 1;
        }
        if p >= s.len() {
            return Ok(args);
        }
        let start = p;
        while p < s.len() && !matches!(s[p], b' ' | b'\n' | b'\r' | b'\t' | b'"' | b'\'') {
            p += 1;
        }
        if at(p) != b'"' && at(p) != b'\'' {
            args.push(line.slice(start..p));
            if p < s.len() {
                p += 1;
            }
            continue;
        }

        // A quote opens somewhere in this token: follow the C state machine literally.
        let mut cur = s[start..p].to_vec();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            let c = at(p);
            let mut done = false;
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(hi), Some(lo)) = (hex_value(at(p + 2)), hex_value(at(p + 3))) {
                        cur.push(hi * 16 + lo);
                        p += 3;
                    } else {
                        // Not a full \xHH: an ordinary escape, which yields a literal 'x'.
                        p += 1;
                        cur.push(b'x');
                    }
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    // A closing quote must be followed by a blank or the end of the line.
                    if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                        return Err(unbalanced());
                    }
                    done = true;
                } else if c == 0 {
                    return Err(unbalanced());
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_c_space(at(p + 1)) {
                        return Err(unbalanced());
                    }
                    done = true;
                } else if c == 0 {
                    return Err(unbalanced());
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => cur.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
            if done {
                break;
            }
        }
        args.push(Bytes::from(cur));
    }
}
