//! Expected values marked "Redis 7.0.15" were observed on a real server over a socket.

use crate::{format_double, parse_reply, Limits, ProtocolError, Reply, RequestParser, RespVersion};
use bytes::{Bytes, BytesMut};

type Cmd = Vec<Vec<u8>>;

fn cmd(args: &[&[u8]]) -> Cmd {
    args.iter().map(|a| a.to_vec()).collect()
}

fn perr(msg: &str) -> ProtocolError {
    ProtocolError(msg.to_owned())
}

/// Parses everything `input` holds, all at once; returns the commands and how parsing stopped.
fn parse_all_with(input: &[u8], limits: Limits) -> (Vec<Cmd>, Result<usize, ProtocolError>) {
    let mut p = RequestParser::new(limits);
    let mut buf = BytesMut::from(input);
    let mut out = Vec::new();
    loop {
        match p.parse(&mut buf) {
            Ok(Some(args)) => out.push(args.iter().map(|a| a.to_vec()).collect()),
            Ok(None) => return (out, Ok(buf.len())),
            Err(e) => return (out, Err(e)),
        }
    }
}

fn parse_all(input: &[u8]) -> (Vec<Cmd>, Result<usize, ProtocolError>) {
    parse_all_with(input, Limits::default())
}

/// Feeds `input` in the given chunk sizes (cycled), draining commands after every chunk.
fn parse_chunked(
    input: &[u8],
    chunks: &[usize],
    limits: Limits,
) -> (Vec<Cmd>, Result<usize, ProtocolError>) {
    let mut p = RequestParser::new(limits);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut fed = 0;
    let mut i = 0;
    while fed < input.len() {
        let n = chunks[i % chunks.len()].max(1).min(input.len() - fed);
        i += 1;
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            match p.parse(&mut buf) {
                Ok(Some(args)) => out.push(args.iter().map(|a| a.to_vec()).collect()),
                Ok(None) => break,
                Err(e) => return (out, Err(e)),
            }
        }
    }
    (out, Ok(buf.len()))
}

fn only_error(input: &[u8]) -> ProtocolError {
    let (cmds, res) = parse_all(input);
    assert!(cmds.is_empty(), "{cmds:?}");
    res.expect_err("expected a protocol error")
}

fn small_limits() -> Limits {
    Limits {
        max_bulk_len: 100,
        max_multibulk_len: 5,
        max_inline_len: 32,
    }
}

/// A pipeline that touches every parser path: multibulk, inline, skipped frames, binary data.
fn mixed_pipeline() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    v.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n");
    v.extend_from_slice(b"*0\r\n*-1\r\n");
    v.extend_from_slice(b"\r\n\n   \r\n");
    v.extend_from_slice(b"SET \"a b\" 'c\\'d' \"\\x41\\n\"\r\n");
    v.extend_from_slice(b"PING\n");
    v.extend_from_slice(b"*2\r\n$4\r\nECHO\r\n$12\r\n\r\n\x00\xff*1\r\n$1\r\n\r\n");
    v.extend_from_slice(b"*-7\r\n");
    v.extend_from_slice(b"GET k\r\n");
    v
}

fn mixed_expected() -> Vec<Cmd> {
    vec![
        cmd(&[b"PING"]),
        cmd(&[b"SET", b"k\r\n", b""]),
        cmd(&[b"SET", b"a b", b"c'd", b"A\n"]),
        cmd(&[b"PING"]),
        cmd(&[b"ECHO", b"\r\n\x00\xff*1\r\n$1\r\n"]),
        cmd(&[b"GET", b"k"]),
    ]
}

#[test]
fn single_command() {
    let (cmds, rest) = parse_all(b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n");
    assert_eq!(cmds, vec![cmd(&[b"GET", b"foo"])]);
    assert_eq!(rest, Ok(0));
}

#[test]
fn mixed_pipeline_all_at_once() {
    let (cmds, rest) = parse_all(&mixed_pipeline());
    assert_eq!(cmds, mixed_expected());
    assert_eq!(rest, Ok(0));
}

#[test]
fn mixed_pipeline_one_byte_at_a_time() {
    let (cmds, rest) = parse_chunked(&mixed_pipeline(), &[1], Limits::default());
    assert_eq!(cmds, mixed_expected());
    assert_eq!(rest, Ok(0));
}

#[test]
fn mixed_pipeline_split_at_every_boundary() {
    let input = mixed_pipeline();
    for cut in 0..=input.len() {
        let (cmds, rest) = parse_chunked(&input, &[cut.max(1), input.len()], Limits::default());
        assert_eq!(cmds, mixed_expected(), "cut at {cut}");
        assert_eq!(rest, Ok(0));
    }
}

#[test]
fn mixed_pipeline_irregular_chunks() {
    let input = mixed_pipeline();
    for chunks in [&[2usize][..], &[3], &[7, 1, 2], &[13, 5], &[1, 1, 30]] {
        let (cmds, _) = parse_chunked(&input, chunks, Limits::default());
        assert_eq!(cmds, mixed_expected(), "{chunks:?}");
    }
}

#[test]
fn one_command_per_call_and_remainder_kept() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET"[..]);
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"PING")]
    );
    assert_eq!(&buf[..], b"PING\r\n*2\r\n$3\r\nGET");
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"PING")]
    );
    assert_eq!(&buf[..], b"*2\r\n$3\r\nGET");
    assert_eq!(p.parse(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"\r\n$1\r\nk\r\n");
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")]
    );
    assert!(buf.is_empty());
    assert_eq!(p.parse(&mut buf).unwrap(), None);
}

#[test]
fn large_pipeline() {
    let mut input = Vec::new();
    let mut expected = Vec::new();
    for i in 0..10_000 {
        let key = format!("key:{i}");
        let val = "v".repeat(i % 50);
        input.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{val}\r\n",
                key.len(),
                val.len()
            )
            .as_bytes(),
        );
        expected.push(cmd(&[b"SET", key.as_bytes(), val.as_bytes()]));
    }
    let (cmds, rest) = parse_all(&input);
    assert_eq!(cmds, expected);
    assert_eq!(rest, Ok(0));
    let (cmds, _) = parse_chunked(&input, &[4096, 17, 1000], Limits::default());
    assert_eq!(cmds, expected);
}

#[test]
fn arguments_are_slices_of_the_input_buffer() {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\nGET bar\r\n");
    let base = buf.as_ptr() as usize;
    let range = base..base + 64;
    let mut p = RequestParser::default();
    for args in [
        p.parse(&mut buf).unwrap().unwrap(),
        p.parse(&mut buf).unwrap().unwrap(),
    ] {
        for a in &args {
            assert!(
                range.contains(&(a.as_ptr() as usize)),
                "argument was copied"
            );
        }
    }
}

#[test]
fn huge_bulk_arrives_in_many_reads() {
    let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut input = format!("*2\r\n$3\r\nSET\r\n${}\r\n", payload.len()).into_bytes();
    input.extend_from_slice(&payload);
    input.extend_from_slice(b"\r\n");
    let mut p = RequestParser::default();
    let mut buf = BytesMut::new();
    let mut got = None;
    let mut last_missing = usize::MAX;
    for chunk in input.chunks(997) {
        buf.extend_from_slice(chunk);
        match p.parse(&mut buf).unwrap() {
            Some(args) => got = Some(args),
            None => {
                if let Some(missing) = p.bulk_bytes_missing(buf.len()) {
                    if missing > 0 && buf.len() > 30 {
                        assert!(missing < last_missing);
                        last_missing = missing;
                    }
                }
            }
        }
    }
    let args = got.expect("command completes");
    assert_eq!(args.len(), 2);
    assert_eq!(&args[1][..], &payload[..]);
    assert!(buf.is_empty());
}

#[test]
fn bulk_bytes_missing_hint() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::from(&b"*1\r\n$10\r\nabc"[..]);
    assert_eq!(p.parse(&mut buf).unwrap(), None);
    // 7 payload bytes and the CRLF are still to come.
    assert_eq!(p.bulk_bytes_missing(buf.len()), Some(9));
    assert_eq!(RequestParser::default().bulk_bytes_missing(0), None);
}

#[test]
fn empty_and_binary_bulks() {
    let (cmds, _) = parse_all(b"*3\r\n$0\r\n\r\n$2\r\n\r\n\r\n$3\r\n\x00\x01\x02\r\n");
    assert_eq!(cmds, vec![cmd(&[b"", b"\r\n", b"\x00\x01\x02"])]);
}

#[test]
fn skipped_frames_redis_7() {
    // Redis 7.0.15: `*0`, `*-1`, any negative count, blank lines and blank-only lines are no-ops.
    for input in [
        &b"*0\r\n"[..],
        b"*-1\r\n",
        b"*-5\r\n",
        b"*-9223372036854775808\r\n",
        b"\r\n",
        b"\n",
        b"   \r\n",
        b"\t \x0b\x0c\r\n",
        b"\r\r\n",
    ] {
        let mut with_ping = input.to_vec();
        with_ping.extend_from_slice(b"PING\r\n");
        let (cmds, rest) = parse_all(&with_ping);
        assert_eq!(cmds, vec![cmd(&[b"PING"])], "{input:?}");
        assert_eq!(rest, Ok(0));
    }
}

#[test]
fn line_terminators_are_not_checked_like_redis() {
    // Redis 7.0.15 answers +PONG to each: it finds '\r' and skips the following byte blindly,
    // and skips the two bytes after a payload without looking at them.
    for input in [
        &b"*1\r\n$4\r\nPINGxx"[..],
        b"*1\rX$4\r\nPING\r\n",
        b"*1\r\n$4\rXPING\r\n",
        b"*1\r\r$4\r\nPING\r\n",
    ] {
        let (cmds, rest) = parse_all(input);
        assert_eq!(cmds, vec![cmd(&[b"PING"])], "{input:?}");
        assert_eq!(rest, Ok(0));
    }
    // A '\r' that is the last byte waits for one more byte, whatever it is.
    assert_eq!(parse_all(b"*1\r"), (vec![], Ok(3)));
    assert_eq!(parse_all(b"*1\r\n$4\r"), (vec![], Ok(7)));
}

#[test]
fn nul_byte_stalls_a_line_like_redis_strchr() {
    // Redis 7.0.15 never answers these: strchr stops at the NUL before finding the terminator.
    for input in [
        &b"*1\x00\r\n$4\r\nPING\r\n"[..],
        b"*1\r\n\x004\r\nPING\r\n",
        b"*1\r\n$4\x00\r\nPING\r\n",
        b"PING\x00\r\n",
        b"ECHO a\x00b\r\nPING\r\n",
    ] {
        let (cmds, rest) = parse_all(input);
        assert!(cmds.is_empty(), "{input:?}");
        assert!(rest.is_ok(), "{input:?}");
    }
    // ...until the buffer outgrows the inline limit.
    let mut input = b"*1\x00\r\n".to_vec();
    input.resize(40, b'x');
    assert_eq!(
        parse_all_with(&input, small_limits()).1,
        Err(perr("too big mbulk count string"))
    );
    let mut input = b"PING\x00\n".to_vec();
    input.resize(40, b'\n');
    assert_eq!(
        parse_all_with(&input, small_limits()).1,
        Err(perr("too big inline request"))
    );
    // A NUL inside a bulk payload is just data.
    let (cmds, _) = parse_all(b"*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n");
    assert_eq!(cmds, vec![cmd(&[b"ECHO", b"a\x00b"])]);
}

#[test]
fn invalid_multibulk_length() {
    // Redis 7.0.15 closes the connection with this error for each.
    for input in [
        &b"*x\r\n"[..],
        b"*\r\n",
        b"*01\r\n",
        b"*+1\r\n",
        b"*-0\r\n",
        b"* 1\r\n",
        b"*1 \r\n",
        b"*2147483648\r\n",
        b"*99999999999999999999\r\n",
        b"*-9223372036854775809\r\n",
        b"*1\n\r\n",
    ] {
        assert_eq!(
            only_error(input),
            perr("invalid multibulk length"),
            "{input:?}"
        );
    }
    // 7.0 accepts up to INT_MAX (6.x stopped at 1024*1024).
    // (The frame stays in the buffer until all its elements are there.)
    assert_eq!(parse_all(b"*2147483647\r\n"), (vec![], Ok(13)));
    assert_eq!(parse_all(b"*2000000\r\n"), (vec![], Ok(10)));
    let l = small_limits();
    assert_eq!(parse_all_with(b"*5\r\n", l), (vec![], Ok(4)));
    assert_eq!(
        parse_all_with(b"*6\r\n", l).1,
        Err(perr("invalid multibulk length"))
    );
}

#[test]
fn expected_dollar() {
    assert_eq!(
        only_error(b"*1\r\nx4\r\nPING\r\n"),
        perr("expected '$', got 'x'")
    );
    assert_eq!(
        only_error(b"*2\r\n$1\r\na\r\n*1\r\n"),
        perr("expected '$', got '*'")
    );
    // Redis 7.0.15 turns CR/LF in the message into spaces: `got ' '`.
    assert_eq!(
        only_error(b"*1\r\n\n4\r\nPING\r\n"),
        perr("expected '$', got ' '")
    );
    assert_eq!(only_error(b"*1\r\n\r\n"), perr("expected '$', got ' '"));
    assert_eq!(only_error(b"*1\r\n:1\r\n"), perr("expected '$', got ':'"));
    // Redis sends the raw byte; a String can only hold its Latin-1 character.
    assert_eq!(
        only_error(b"*1\r\n\xff4\r\n"),
        perr("expected '$', got '\u{ff}'")
    );
    assert_eq!(
        only_error(b"*1\r\n\xff4\r\n").to_string(),
        "Protocol error: expected '$', got '\u{ff}'"
    );
}

#[test]
fn invalid_bulk_length() {
    for input in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$04\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n$\r\n",
        b"*1\r\n$-0\r\n",
        b"*1\r\n$+4\r\n",
        b"*1\r\n$4 \r\n",
        b"*1\r\n$99999999999999999999\r\n",
        b"*1\r\n$536870913\r\n",
    ] {
        assert_eq!(only_error(input), perr("invalid bulk length"), "{input:?}");
    }
    // Exactly proto-max-bulk-len is fine (Redis 7.0.15 waits for the payload).
    assert_eq!(parse_all(b"*1\r\n$536870912\r\n"), (vec![], Ok(16)));
    let l = small_limits();
    assert_eq!(parse_all_with(b"*1\r\n$100\r\n", l).1, Ok(10));
    assert_eq!(
        parse_all_with(b"*1\r\n$101\r\n", l).1,
        Err(perr("invalid bulk length"))
    );
}

#[test]
fn too_big_count_strings() {
    let l = small_limits();
    // The whole unparsed remainder counts, and only strictly more than the limit fails.
    let mut input = b"*".to_vec();
    input.resize(32, b'1');
    assert_eq!(parse_all_with(&input, l), (vec![], Ok(32)));
    input.push(b'1');
    assert_eq!(
        parse_all_with(&input, l).1,
        Err(perr("too big mbulk count string"))
    );

    let mut input = b"*1\r\n$".to_vec();
    input.resize(4 + 32, b'1');
    assert_eq!(parse_all_with(&input, l), (vec![], Ok(36)));
    input.push(b'1');
    assert_eq!(
        parse_all_with(&input, l).1,
        Err(perr("too big bulk count string"))
    );

    // The limit applies to the unparsed rest, not to what earlier elements took.
    let mut input = b"*2\r\n$20\r\n".to_vec();
    input.extend_from_slice(&[b'a'; 20]);
    input.extend_from_slice(b"\r\n$1");
    assert_eq!(parse_all_with(&input, l).1, Ok(input.len()));

    // A line that is long but complete is not "too big" (Redis only checks without a '\r').
    let (cmds, _) = parse_all_with(b"*1\r\n$00000000000000000000000000000000000001\r\nx\r\n", l);
    assert!(cmds.is_empty());
}

#[test]
fn too_big_inline() {
    let l = small_limits();
    let line = vec![b'a'; 32];
    assert_eq!(parse_all_with(&line, l), (vec![], Ok(32)));
    let line = vec![b'a'; 33];
    assert_eq!(
        parse_all_with(&line, l).1,
        Err(perr("too big inline request"))
    );
    // A complete line longer than the limit is accepted: Redis only checks while waiting.
    let mut line = vec![b'a'; 100];
    line.push(b'\n');
    assert_eq!(parse_all_with(&line, l).0, vec![vec![vec![b'a'; 100]]]);
    // Byte by byte the same line trips the limit, as on Redis with slow input.
    assert_eq!(
        parse_chunked(&line, &[1], l).1,
        Err(perr("too big inline request"))
    );
}

#[test]
fn unauthenticated_limits() {
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    let mut buf = BytesMut::from(&b"*10\r\n"[..]);
    assert_eq!(p.parse(&mut buf), Ok(None));
    let mut buf = BytesMut::from(&b"*11\r\n"[..]);
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    assert_eq!(
        p.parse(&mut buf),
        Err(perr("unauthenticated multibulk length"))
    );
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    let mut buf = BytesMut::from(&b"*1\r\n$16384\r\n"[..]);
    assert_eq!(p.parse(&mut buf), Ok(None));
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
    assert_eq!(p.parse(&mut buf), Err(perr("unauthenticated bulk length")));
    // The ordinary checks come first, as in Redis.
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    let mut buf = BytesMut::from(&b"*99999999999\r\n"[..]);
    assert_eq!(p.parse(&mut buf), Err(perr("invalid multibulk length")));
    // Negative counts are still skipped.
    let mut p = RequestParser::default();
    p.set_auth_required(true);
    let mut buf = BytesMut::from(&b"*-100\r\nPING\r\n"[..]);
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"PING")]
    );
}

#[test]
fn inline_tokenizing_matches_redis() {
    // Each expected split observed with `RPUSH k <line>` + LRANGE on Redis 7.0.15.
    let cases: &[(&[u8], &[&[u8]])] = &[
        (b"a b  c", &[b"a", b"b", b"c"]),
        (b"\"a b\" c", &[b"a b", b"c"]),
        (b"'a b' c", &[b"a b", b"c"]),
        (b"\"\\x41\\x4a\\x4g\\xZZ\"", &[b"AJx4gxZZ"]),
        (
            b"\"\\n\\r\\t\\b\\a\\\\\\\"\\q\\x\"",
            &[b"\n\r\t\x08\x07\\\"qx"],
        ),
        (b"a'b c'", &[b"ab c"]),
        (b"\"\"", &[b""]),
        (b"''", &[b""]),
        (b"\"\" ''", &[b"", b""]),
        (b"\x0bx\x0c y\x0b", &[b"x\x0c", b"y\x0b"]),
        (b"a\x0bb", &[b"a\x0bb"]),
        (b"\"a\"\x0bb", &[b"a", b"b"]),
        (b"\t a \t", &[b"a"]),
        (b"\xff\xfe \"\xff\"", &[b"\xff\xfe", b"\xff"]),
        (b"\"\\x00\"", &[b"\x00"]),
        (b"x'y'", &[b"xy"]),
        (b"\"a\\'b\"", &[b"a'b"]),
        (b"'a\"b'", &[b"a\"b"]),
        (b"'a\\'b\\\\c\\n'", &[b"a'b\\\\c\\n"]),
        (b"'a\\x41'", &[b"a\\x41"]),
        (b"a\\nb", &[b"a\\nb"]),
        (b"\"a\"\tb", &[b"a", b"b"]),
        (b"\"a\"\r", &[b"a"]),
        (b"a\rb", &[b"a", b"b"]),
    ];
    for (line, want) in cases {
        let mut input = b"RPUSH k ".to_vec();
        input.extend_from_slice(line);
        input.extend_from_slice(b"\r\n");
        let mut expected = cmd(&[b"RPUSH", b"k"]);
        expected.extend(want.iter().map(|w| w.to_vec()));
        let (cmds, rest) = parse_all(&input);
        assert_eq!(cmds, vec![expected], "{:?}", String::from_utf8_lossy(line));
        assert_eq!(rest, Ok(0));
    }
}

#[test]
fn inline_unbalanced_quotes() {
    // Redis 7.0.15 closes the connection with this error for each.
    for line in [
        &b"ECHO \"ab\"c\r\n"[..],
        b"ECHO 'ab'c\r\n",
        b"ECHO \"ab\r\n",
        b"ECHO 'ab\r\n",
        b"ECHO \"a\\\r\n",
        b"ECHO \"a\\\"\r\n",
        b"ECHO \"a\"b\"c\"\r\n",
        b"ECHO 'a\\\\'\r\n",
        b"ECHO a\"b c\"d\r\n",
        b"RPUSH k 'x\\'y' '\\\\' '\\n'\r\n",
        b"\"\n",
        b"'\n",
    ] {
        assert_eq!(
            only_error(line),
            perr("unbalanced quotes in request"),
            "{line:?}"
        );
    }
}

#[test]
fn inline_line_endings() {
    let (cmds, _) = parse_all(b"PING\nPING\r\nECHO x\r\r\nPING\rPING\n\rPING\r\n");
    assert_eq!(
        cmds,
        vec![
            cmd(&[b"PING"]),
            cmd(&[b"PING"]),
            cmd(&[b"ECHO", b"x"]),
            cmd(&[b"PING", b"PING"]),
            cmd(&[b"PING"]),
        ]
    );
    // No newline yet: wait.
    assert_eq!(parse_all(b"PING\r"), (vec![], Ok(5)));
    assert_eq!(parse_all(b"PING"), (vec![], Ok(4)));
}

#[test]
fn unquoted_inline_args_are_zero_copy() {
    let mut buf = BytesMut::with_capacity(32);
    buf.extend_from_slice(b"SET key value\r\n");
    let base = buf.as_ptr() as usize;
    let args = RequestParser::default().parse(&mut buf).unwrap().unwrap();
    assert_eq!(args[1].as_ptr() as usize, base + 4);
    assert_eq!(args[2].as_ptr() as usize, base + 8);
}

#[test]
fn huge_count_does_not_preallocate() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::from(&b"*2147483647\r\n$1\r\na\r\n"[..]);
    assert_eq!(p.parse(&mut buf), Ok(None));
    assert!(p.spans.capacity() <= 1024);
}

#[test]
fn caller_discarding_buffer_does_not_panic() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nfo"[..]);
    assert_eq!(p.parse(&mut buf), Ok(None));
    buf.clear();
    buf.extend_from_slice(b"PING\r\n");
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"PING")]
    );
}

#[test]
fn parser_is_usable_after_reset_following_error() {
    let mut p = RequestParser::default();
    let mut buf = BytesMut::from(&b"*x\r\n"[..]);
    assert!(p.parse(&mut buf).is_err());
    let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
    assert_eq!(
        p.parse(&mut buf).unwrap().unwrap(),
        vec![Bytes::from_static(b"PING")]
    );
}

#[test]
fn error_display() {
    assert_eq!(
        perr("invalid bulk length").to_string(),
        "Protocol error: invalid bulk length"
    );
}

// ---------------------------------------------------------------------------------------------
// Reply encoding

fn enc(r: &Reply, v: RespVersion) -> String {
    String::from_utf8_lossy(&r.encode_to_vec(v)).into_owned()
}

fn both(r: &Reply) -> (String, String) {
    (enc(r, RespVersion::Resp2), enc(r, RespVersion::Resp3))
}

fn b(s: &'static str) -> Reply {
    Reply::Bulk(Bytes::from_static(s.as_bytes()))
}

#[test]
fn encode_scalars() {
    let cases: Vec<(Reply, &str, &str)> = vec![
        (Reply::ok(), "+OK\r\n", "+OK\r\n"),
        (Reply::simple("PONG"), "+PONG\r\n", "+PONG\r\n"),
        (
            Reply::error("ERR syntax error"),
            "-ERR syntax error\r\n",
            "-ERR syntax error\r\n",
        ),
        (Reply::Int(0), ":0\r\n", ":0\r\n"),
        (Reply::Int(-42), ":-42\r\n", ":-42\r\n"),
        (
            Reply::Int(i64::MIN),
            ":-9223372036854775808\r\n",
            ":-9223372036854775808\r\n",
        ),
        (b("foo"), "$3\r\nfoo\r\n", "$3\r\nfoo\r\n"),
        (b(""), "$0\r\n\r\n", "$0\r\n\r\n"),
        (
            Reply::bulk(vec![b'x'; 12]),
            "$12\r\nxxxxxxxxxxxx\r\n",
            "$12\r\nxxxxxxxxxxxx\r\n",
        ),
        (Reply::Null, "$-1\r\n", "_\r\n"),
        (Reply::NullArray, "*-1\r\n", "_\r\n"),
        (Reply::Bool(true), ":1\r\n", "#t\r\n"),
        (Reply::Bool(false), ":0\r\n", "#f\r\n"),
        (
            Reply::Double(1.1),
            "$18\r\n1.1000000000000001\r\n",
            ",1.1000000000000001\r\n",
        ),
        (Reply::Double(3.0), "$1\r\n3\r\n", ",3\r\n"),
        (Reply::Double(f64::INFINITY), "$3\r\ninf\r\n", ",inf\r\n"),
        (
            Reply::Double(f64::NEG_INFINITY),
            "$4\r\n-inf\r\n",
            ",-inf\r\n",
        ),
        (Reply::Double(f64::NAN), "$3\r\nnan\r\n", ",nan\r\n"),
        (Reply::Double(-f64::NAN), "$4\r\n-nan\r\n", ",-nan\r\n"),
        (Reply::Double(1e20), "$5\r\n1e+20\r\n", ",1e+20\r\n"),
        (
            Reply::Verbatim("txt", Bytes::from_static(b"hi")),
            "$2\r\nhi\r\n",
            "=6\r\ntxt:hi\r\n",
        ),
        (
            Reply::Verbatim("mkd", Bytes::from_static(b"x")),
            "$1\r\nx\r\n",
            "=5\r\nmkd:x\r\n",
        ),
        (
            Reply::BigNumber(Bytes::from_static(b"123")),
            "$3\r\n123\r\n",
            "(123\r\n",
        ),
    ];
    for (r, v2, v3) in cases {
        assert_eq!(both(&r), (v2.to_owned(), v3.to_owned()), "{r:?}");
    }
}

#[test]
fn encode_aggregates() {
    let map = Reply::Map(vec![(b("a"), Reply::Int(1)), (b("b"), Reply::Null)]);
    assert_eq!(
        both(&map),
        (
            "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$-1\r\n".into(),
            "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n_\r\n".into()
        )
    );
    let pairs = Reply::Pairs(vec![(b("f"), b("v")), (b("m"), Reply::Double(1.5))]);
    assert_eq!(
        both(&pairs),
        (
            "*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\nm\r\n$3\r\n1.5\r\n".into(),
            "*2\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n*2\r\n$1\r\nm\r\n,1.5\r\n".into()
        )
    );
    let nested_map = Reply::NestedMap(vec![(b("s"), Reply::Array(vec![b("1-0")]))]);
    assert_eq!(
        both(&nested_map),
        (
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n$3\r\n1-0\r\n".into(),
            "%1\r\n$1\r\ns\r\n*1\r\n$3\r\n1-0\r\n".into()
        )
    );
    let set = Reply::Set(vec![b("x")]);
    assert_eq!(
        both(&set),
        ("*1\r\n$1\r\nx\r\n".into(), "~1\r\n$1\r\nx\r\n".into())
    );
    let push = Reply::Push(vec![b("message"), b("ch"), b("hi")]);
    assert_eq!(
        both(&push),
        (
            "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n".into(),
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n".into()
        )
    );
    let nested = Reply::Array(vec![
        Reply::Array(vec![]),
        Reply::Map(vec![]),
        Reply::Set(vec![]),
        Reply::Array(vec![b("e"), Reply::Double(-0.0)]),
    ]);
    assert_eq!(
        both(&nested),
        (
            "*4\r\n*0\r\n*0\r\n*0\r\n*2\r\n$1\r\ne\r\n$2\r\n-0\r\n".into(),
            "*4\r\n*0\r\n%0\r\n~0\r\n*2\r\n$1\r\ne\r\n,-0\r\n".into()
        )
    );
    let big = Reply::Array((0..12).map(Reply::Int).collect());
    assert!(enc(&big, RespVersion::Resp2).starts_with("*12\r\n:0\r\n"));
}

#[test]
fn encode_sanitises_error_and_simple_text() {
    // Redis 7.0.15 for redis.error_reply("\nMY\r\nERR\n") sends `-MY  ERR` (after ERR prefixing),
    // and for redis.status_reply("a\r\nb") sends `+a  b`.
    assert_eq!(
        enc(&Reply::error("\nERR MY\r\nERR\n"), RespVersion::Resp2),
        "-ERR MY  ERR\r\n"
    );
    assert_eq!(
        enc(&Reply::error("ERR a\rb"), RespVersion::Resp3),
        "-ERR a b\r\n"
    );
    assert_eq!(
        enc(
            &Reply::Simple(Bytes::from_static(b"a\r\nb")),
            RespVersion::Resp2
        ),
        "+a  b\r\n"
    );
    assert_eq!(
        enc(
            &Reply::Simple(Bytes::from_static(b"\na")),
            RespVersion::Resp2
        ),
        "+ a\r\n"
    );
    assert_eq!(enc(&Reply::error("\r\n"), RespVersion::Resp2), "-\r\n");
}

#[test]
fn format_double_matches_redis_zscore() {
    // ZADD z 1.1 a; ZSCORE z a; ZINCRBY z 0.1 a on Redis 7.0.15.
    assert_eq!(format_double(1.1), "1.1000000000000001");
    assert_eq!(format_double(1.1 + 0.1), "1.2000000000000002");
    assert_eq!(format_double(1e20), "1e+20");
    assert_eq!(format_double(1e16), "10000000000000000");
    assert_eq!(format_double(5e-324), "4.9406564584124654e-324");
    assert_eq!(format_double(0.0001), "0.0001");
    assert_eq!(format_double(0.00001), "1.0000000000000001e-05");
    assert_eq!(format_double(f64::INFINITY), "inf");
    assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    assert_eq!(format_double(f64::NAN), "nan");
}

// ---------------------------------------------------------------------------------------------
// Reply decoding

fn sample_replies() -> Vec<Reply> {
    vec![
        Reply::ok(),
        Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value"),
        Reply::Int(0),
        Reply::Int(i64::MAX),
        Reply::Int(i64::MIN),
        b(""),
        Reply::bulk(&b"bin\r\n\x00ary"[..]),
        Reply::Null,
        Reply::NullArray,
        Reply::Array(vec![]),
        Reply::Array(vec![
            b("a"),
            Reply::Int(1),
            Reply::Null,
            Reply::Array(vec![b("n")]),
        ]),
        Reply::Map(vec![(b("k"), b("v")), (b("d"), Reply::Double(2.5))]),
        Reply::Pairs(vec![(b("f"), b("v")), (b("m"), Reply::Double(1.5))]),
        Reply::Pairs(vec![]),
        Reply::NestedMap(vec![(b("k"), Reply::Array(vec![b("v")]))]),
        Reply::Set(vec![b("m1"), b("m2")]),
        Reply::Double(0.1),
        Reply::Double(-1e-300),
        Reply::Double(f64::INFINITY),
        Reply::Double(f64::NEG_INFINITY),
        Reply::Bool(true),
        Reply::Bool(false),
        Reply::Verbatim("txt", Bytes::from_static(b"some\r\ntext")),
        Reply::Push(vec![b("pubsub"), Reply::Int(3)]),
        Reply::BigNumber(Bytes::from_static(b"-12345678901234567890")),
    ]
}

/// What a reply becomes after a trip through `version`'s wire format.
fn degrade(r: &Reply, v: RespVersion) -> Reply {
    let all = |items: &[Reply]| items.iter().map(|i| degrade(i, v)).collect::<Vec<_>>();
    match (v, r) {
        (RespVersion::Resp3, Reply::NullArray) => Reply::Null,
        (RespVersion::Resp3, Reply::Array(i)) => Reply::Array(all(i)),
        (RespVersion::Resp3, Reply::Set(i)) => Reply::Set(all(i)),
        (RespVersion::Resp3, Reply::Push(i)) => Reply::Push(all(i)),
        (RespVersion::Resp3, Reply::Pairs(p)) => Reply::Array(
            p.iter()
                .map(|(a, b)| Reply::Array(vec![degrade(a, v), degrade(b, v)]))
                .collect(),
        ),
        (RespVersion::Resp3, Reply::Map(p) | Reply::NestedMap(p)) => Reply::Map(
            p.iter()
                .map(|(k, x)| (degrade(k, v), degrade(x, v)))
                .collect(),
        ),
        (RespVersion::Resp3, other) => other.clone(),
        (_, Reply::Array(i) | Reply::Set(i) | Reply::Push(i)) => Reply::Array(all(i)),
        (_, Reply::NestedMap(p)) => Reply::Array(
            p.iter()
                .map(|(a, b)| Reply::Array(vec![degrade(a, v), degrade(b, v)]))
                .collect(),
        ),
        (_, Reply::Map(p) | Reply::Pairs(p)) => Reply::Array(
            p.iter()
                .flat_map(|(k, x)| [degrade(k, v), degrade(x, v)])
                .collect(),
        ),
        (_, Reply::Double(d)) => Reply::Bulk(Bytes::from(format_double(*d))),
        (_, Reply::Bool(t)) => Reply::Int(i64::from(*t)),
        (_, Reply::Verbatim(_, t)) => Reply::Bulk(t.clone()),
        (_, Reply::BigNumber(n)) => Reply::Bulk(n.clone()),
        (_, other) => other.clone(),
    }
}

#[test]
fn round_trip_both_versions() {
    for v in [RespVersion::Resp2, RespVersion::Resp3] {
        for r in sample_replies() {
            let wire = r.encode_to_vec(v);
            let (back, used) = parse_reply(&wire).unwrap().unwrap();
            assert_eq!(used, wire.len(), "{r:?}");
            assert_eq!(back, degrade(&r, v), "{v:?} {r:?}");
            assert_eq!(back.encode_to_vec(v), wire);
            // Every strict prefix is incomplete, never an error.
            for cut in 0..wire.len() {
                assert_eq!(parse_reply(&wire[..cut]), Ok(None), "{r:?} cut {cut}");
            }
        }
    }
}

#[test]
fn round_trip_whole_sample_as_one_array() {
    let all = Reply::Array(sample_replies());
    for v in [RespVersion::Resp2, RespVersion::Resp3] {
        let mut wire = all.encode_to_vec(v);
        wire.extend_from_slice(b"+next\r\n");
        let (back, used) = parse_reply(&wire).unwrap().unwrap();
        assert_eq!(back, degrade(&all, v));
        assert_eq!(
            parse_reply(&wire[used..]).unwrap().unwrap().0,
            Reply::simple("next")
        );
    }
}

#[test]
fn decode_redis_captures() {
    // Byte-for-byte replies captured from Redis 7.0.15 under HELLO 3.
    let (r, _) = parse_reply(b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n")
        .unwrap()
        .unwrap();
    assert_eq!(r, Reply::Map(vec![(b("maxmemory"), b("0"))]));
    let (r, _) = parse_reply(b"*2\r\n$1\r\ne\r\n,-inf\r\n").unwrap().unwrap();
    assert_eq!(
        r,
        Reply::Array(vec![b("e"), Reply::Double(f64::NEG_INFINITY)])
    );
    let (r, _) = parse_reply(b"=5\r\nmkd:x\r\n").unwrap().unwrap();
    assert_eq!(r, Reply::Verbatim("mkd", Bytes::from_static(b"x")));
    let (r, _) = parse_reply(b",-nan\r\n").unwrap().unwrap();
    assert!(matches!(r, Reply::Double(d) if d.is_nan() && d.is_sign_negative()));
}

#[test]
fn decode_extras() {
    // Blob errors decode as errors; attributes are skipped.
    assert_eq!(
        parse_reply(b"!3\r\nERR\r\n").unwrap().unwrap(),
        (Reply::error("ERR"), 9)
    );
    let input = b"|1\r\n+ttl\r\n:3\r\n$1\r\nx\r\n";
    assert_eq!(parse_reply(input).unwrap().unwrap(), (b("x"), input.len()));
    assert_eq!(parse_reply(b"|1\r\n+ttl\r\n:3\r\n").unwrap(), None);
    assert_eq!(
        parse_reply(b",1e+20\r\n").unwrap().unwrap().0,
        Reply::Double(1e20)
    );
    assert_eq!(parse_reply(b"").unwrap(), None);
    assert_eq!(parse_reply(b"*3\r\n:1\r\n").unwrap(), None);
}

#[test]
fn decode_errors() {
    for bad in [
        &b"?1\r\n"[..],
        b"+OK\rX",
        b":abc\r\n",
        b":01\r\n",
        b"$-2\r\n",
        b"$3\r\nabcXY",
        b"*-2\r\n",
        b"%-1\r\n",
        b"_x\r\n",
        b"#x\r\n",
        b",abc\r\n",
        b"(12a\r\n",
        b"(\r\n",
        b"=3\r\ntxt\r\n",
        b"=8\r\nabc:text\r\n",
        b"!-1\r\n",
    ] {
        assert!(parse_reply(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn decode_depth_limit() {
    let deep = b"*1\r\n".repeat(10_000);
    assert!(parse_reply(&deep).is_err());
    let mut ok = b"*1\r\n".repeat(100);
    ok.extend_from_slice(b":1\r\n");
    assert!(parse_reply(&ok).unwrap().is_some());
}

#[test]
fn decode_lying_count_does_not_allocate_it() {
    assert_eq!(parse_reply(b"*4000000000000000000\r\n:1\r\n"), Ok(None));
}

#[test]
fn requests_encoded_as_replies_parse_back() {
    // The bench and tests build requests with the encoder: an array of bulks is a request.
    let args: Vec<&[u8]> = vec![b"SET", b"k\r\n", b"", b"\x00\xff"];
    let req = Reply::Array(
        args.iter()
            .map(|a| Reply::bulk(Bytes::copy_from_slice(a)))
            .collect(),
    );
    let wire = req.encode_to_vec(RespVersion::Resp2);
    let (cmds, rest) = parse_all(&wire);
    assert_eq!(cmds, vec![args.iter().map(|a| a.to_vec()).collect::<Cmd>()]);
    assert_eq!(rest, Ok(0));
}

// ---------------------------------------------------------------------------------------------
// Inputs found by `cargo fuzz` (protocol/fuzz), kept as regressions.

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= u32::from(val(c)) << (18 - 6 * i);
        }
        out.extend_from_slice(&acc.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[test]
fn fuzz_crash_too_big_reached_at_different_lines() {
    // Byte by byte, the inline limit trips on the second line; all at once, the second line is
    // complete and the limit trips on the third. Both must agree on what came before.
    let data = b64("BwQHBwf/CmEH////////BwcHBwEFKjINCiQ0Df///wAAAAAAAAD//////wphYmM=");
    let input = &data[2..];
    let limits = Limits {
        max_bulk_len: 64,
        max_multibulk_len: 8,
        max_inline_len: 16,
    };
    let whole = parse_all_with(input, limits);
    let chunked = parse_chunked(input, &[1], limits);
    assert_eq!(chunked.1, Err(perr("too big inline request")));
    assert_eq!(whole.1, Err(perr("too big inline request")));
    assert_eq!(chunked.0, vec![vec![b"\x07\x07\x07\xff".to_vec()]]);
    assert_eq!(whole.0[..1], chunked.0[..]);
    assert_eq!(whole.0.len(), 2);
}

#[test]
fn default_limit_boundaries_match_redis() {
    // Redis 7.0.15, all bytes sent at once: 65536 bytes without a terminator wait, 65537 fail.
    let cases: [(&[u8], &str); 3] = [
        (b"", "too big inline request"),
        (b"*", "too big mbulk count string"),
        (b"*1\r\n$", "too big bulk count string"),
    ];
    for (prefix, msg) in cases {
        // The limit counts from the start of the open line: the `*`, the `$`.
        let line_start = if prefix.len() > 1 { 4 } else { 0 };
        let mut input = prefix.to_vec();
        input.resize(line_start + 65536, b'1');
        assert_eq!(parse_all(&input).1, Ok(input.len()), "{msg}");
        input.push(b'1');
        assert_eq!(parse_all(&input).1, Err(perr(msg)));
    }
}
