//! Feeds arbitrary bytes to `RequestParser`, all at once and in arbitrary chunks, and checks
//! both agree; re-encodes every parsed command and checks it parses back; decodes the same bytes
//! as a reply and checks encode/decode is stable in both protocol versions.
//!
//! Input layout: byte 0 picks limits and auth mode, byte 1 seeds the chunk sizes, the rest is
//! the stream.

#![no_main]

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{parse_reply, Limits, ProtocolError, Reply, RequestParser, RespVersion};
use libfuzzer_sys::fuzz_target;

type Outcome = (Vec<Vec<Bytes>>, Result<usize, ProtocolError>);

fn run(input: &[u8], chunks: &mut dyn FnMut() -> usize, limits: Limits, auth: bool) -> Outcome {
    let mut p = RequestParser::new(limits);
    p.set_auth_required(auth);
    let mut buf = BytesMut::new();
    let mut cmds = Vec::new();
    let mut fed = 0;
    while fed < input.len() {
        let n = chunks().clamp(1, input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + n]);
        fed += n;
        loop {
            match p.parse(&mut buf) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty(), "empty commands must be skipped");
                    cmds.push(args);
                }
                Ok(None) => break,
                Err(e) => return (cmds, Err(e)),
            }
        }
    }
    (cmds, Ok(buf.len()))
}

fn is_too_big(r: &Result<usize, ProtocolError>) -> bool {
    matches!(r, Err(e) if e.0.starts_with("too big"))
}

fuzz_target!(|data: &[u8]| {
    let [mode, seed, ref input @ ..] = *data else {
        return;
    };
    let limits = if mode & 1 == 1 {
        Limits {
            max_bulk_len: 64,
            max_multibulk_len: 8,
            max_inline_len: 16,
        }
    } else {
        Limits::default()
    };
    let auth = mode & 2 != 0;

    let whole = run(input, &mut || usize::MAX, limits, auth);
    let mut state = u32::from(seed) | 0x100;
    let mut next_chunk = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        if mode & 4 != 0 {
            1
        } else {
            (state % 24) as usize + 1
        }
    };
    let chunked = run(input, &mut next_chunk, limits, auth);

    // "too big" depends on how much had arrived when a line was still open, so a chunked feed
    // may stop earlier; otherwise both feeds must see exactly the same stream.
    // A whole-buffer "too big" is seen by the chunked feed too, at the latest once all bytes are
    // in, though possibly at an earlier line.
    if is_too_big(&chunked.1) {
        assert!(chunked.0.len() <= whole.0.len());
        assert_eq!(chunked.0[..], whole.0[..chunked.0.len()]);
    } else {
        assert!(!is_too_big(&whole.1));
        assert_eq!(chunked, whole);
    }

    // Every parsed command, re-encoded as a multibulk request, parses back to itself.
    for args in &whole.0 {
        let req = Reply::Array(args.iter().cloned().map(Reply::Bulk).collect());
        let mut buf = BytesMut::new();
        req.encode(&mut buf, RespVersion::Resp2);
        let mut p = RequestParser::new(Limits::default());
        assert_eq!(
            p.parse(&mut buf)
                .expect("re-encoded request parses")
                .as_ref(),
            Some(args)
        );
        assert!(buf.is_empty());
    }

    if let Ok(Some((reply, used))) = parse_reply(input) {
        assert!(used > 0 && used <= input.len());
        for v in [RespVersion::Resp2, RespVersion::Resp3] {
            let wire = reply.encode_to_vec(v);
            let (again, n) = parse_reply(&wire)
                .expect("encoder output decodes")
                .expect("encoder output is complete");
            assert_eq!(n, wire.len());
            assert_eq!(
                again.encode_to_vec(v),
                wire,
                "encode is stable through decode"
            );
            for cut in [0, wire.len() / 2, wire.len() - 1] {
                assert_eq!(parse_reply(&wire[..cut]), Ok(None));
            }
        }
    }
});
