//! Just enough RESP2 for the bench's own loads: encoding commands, parsing replies from a byte
//! buffer that may hold a partial reply, and a blocking connection built on both.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<Resp>),
    NilArray,
}

/// Appends `args` to `out` as one RESP command.
pub(crate) fn encode(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The line starting at `pos` (without its CRLF) and the position after the CRLF; None while
/// the buffer ends before the CRLF.
fn line(buf: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(pos..)?;
    let at = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..at], pos + at + 2))
}

fn number(text: &[u8]) -> Result<i64, String> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad number {:?}", String::from_utf8_lossy(text)))
}

/// The bulk string at `pos`, as (start, end) of its bytes and the position after it; None while
/// incomplete. A nil bulk has `start == end` and is told apart by [`parse`].
pub(crate) fn bulk_at(buf: &[u8], pos: usize) -> Result<Option<(usize, usize, usize)>, String> {
    let Some((head, body)) = line(buf, pos) else {
        return Ok(None);
    };
    let Some(len) = head.strip_prefix(b"$") else {
        return Err(format!(
            "expected a bulk string, got {:?}",
            String::from_utf8_lossy(head)
        ));
    };
    let len = number(len)?;
    if len < 0 {
        return Ok(Some((body, body, body)));
    }
    let end = body + len as usize;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    if &buf[end..end + 2] != b"\r\n" {
        return Err("bulk string not followed by CRLF".into());
    }
    Ok(Some((body, end, end + 2)))
}

/// Parses the reply at the start of `buf`: the reply and the bytes it took, or None while the
/// buffer holds only part of it.
pub(crate) fn parse(buf: &[u8]) -> Result<Option<(Resp, usize)>, String> {
    parse_at(buf, 0)
}

fn parse_at(buf: &[u8], pos: usize) -> Result<Option<(Resp, usize)>, String> {
    let Some((head, next)) = line(buf, pos) else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(&head[1..]).into_owned();
    let reply = match head.first() {
        Some(b'+') => (Resp::Simple(text()), next),
        Some(b'-') => (Resp::Error(text()), next),
        Some(b':') => (Resp::Int(number(&head[1..])?), next),
        Some(b'$') => match bulk_at(buf, pos)? {
            None => return Ok(None),
            Some(_) if head == b"$-1" => (Resp::Nil, next),
            Some((start, end, after)) => (Resp::Bulk(buf[start..end].to_vec()), after),
        },
        Some(b'*') => {
            let n = number(&head[1..])?;
            if n < 0 {
                (Resp::NilArray, next)
            } else {
                let mut items = Vec::with_capacity(n.min(1024) as usize);
                let mut at = next;
                for _ in 0..n {
                    let Some((item, after)) = parse_at(buf, at)? else {
                        return Ok(None);
                    };
                    items.push(item);
                    at = after;
                }
                (Resp::Array(items), at)
            }
        }
        _ => {
            return Err(format!(
                "unexpected reply line {:?}",
                String::from_utf8_lossy(head)
            ))
        }
    };
    Ok(Some(reply))
}

/// A blocking connection that sends commands and reads whole replies.
pub(crate) struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub(crate) fn open(port: u16) -> Result<Conn, String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        Ok(Conn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Writes already encoded commands.
    pub(crate) fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream.write_all(bytes).map_err(|e| e.to_string())
    }

    /// Reads the next reply.
    pub(crate) fn read(&mut self) -> Result<Resp, String> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some((reply, used)) = parse(&self.buf)? {
                self.buf.drain(..used);
                return Ok(reply);
            }
            let n = self.stream.read(&mut chunk).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed by the server".into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Sends one command and returns its reply; an error reply is an `Err`.
    pub(crate) fn request(&mut self, args: &[&[u8]]) -> Result<Resp, String> {
        let mut out = Vec::new();
        encode(args, &mut out);
        self.send(&out)?;
        match self.read()? {
            Resp::Error(e) => Err(e),
            reply => Ok(reply),
        }
    }

    /// Sends one command and returns its reply's payload (a bulk's bytes or a line's text).
    pub(crate) fn call(&mut self, args: &[Vec<u8>]) -> Result<Vec<u8>, String> {
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        match self.request(&args)? {
            Resp::Simple(s) => Ok(s.into_bytes()),
            Resp::Int(i) => Ok(i.to_string().into_bytes()),
            Resp::Bulk(b) => Ok(b),
            other => Err(format!("unexpected reply {other:?}")),
        }
    }

    /// Sends the commands in one write, then reads their replies; an error reply is an `Err`.
    pub(crate) fn pipeline(&mut self, cmds: &[Vec<Vec<u8>>]) -> Result<(), String> {
        let mut out = Vec::new();
        for args in cmds {
            let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
            encode(&args, &mut out);
        }
        self.send(&out)?;
        for _ in cmds {
            if let Resp::Error(e) = self.read()? {
                return Err(e);
            }
        }
        Ok(())
    }

    /// The socket and whatever was read past the last reply.
    pub(crate) fn into_parts(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands() {
        let mut out = Vec::new();
        encode(&[b"PUBLISH", b"ch", b""], &mut out);
        assert_eq!(
            out,
            b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$0\r\n\r\n".to_vec()
        );
    }

    #[test]
    fn parses_every_kind() {
        let text =
            b"*7\r\n+OK\r\n-ERR no\r\n:-3\r\n$2\r\nab\r\n$-1\r\n*-1\r\n*1\r\n$0\r\n\r\n+next";
        let (reply, used) = parse(text).unwrap().unwrap();
        assert_eq!(
            reply,
            Resp::Array(vec![
                Resp::Simple("OK".into()),
                Resp::Error("ERR no".into()),
                Resp::Int(-3),
                Resp::Bulk(b"ab".to_vec()),
                Resp::Nil,
                Resp::NilArray,
                Resp::Array(vec![Resp::Bulk(Vec::new())]),
            ])
        );
        assert_eq!(&text[used..], b"+next");
    }

    #[test]
    fn partial_replies_wait_for_more() {
        let text = b"*2\r\n$5\r\nhello\r\n:12\r\n";
        for cut in 0..text.len() {
            assert_eq!(parse(&text[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(parse(text).unwrap().is_some());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"?\r\n").is_err());
        assert!(parse(b":x\r\n").is_err());
        assert!(parse(b"$2\r\nabcd\r\n").is_err());
    }
}
