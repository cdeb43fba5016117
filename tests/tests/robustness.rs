//! What a client sends must never crash or wedge the server: protocol errors (exact Redis
//! replies, then the connection closes), half frames, byte-by-byte frames, clients killed
//! mid-pipeline, huge lengths, big values.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::time::{Duration, Instant};

use ferrokv_tests::*;

fn k(test: &str, name: &str) -> String {
    format!("robust:{test}:{name}")
}

/// The server still serves a fresh connection.
fn assert_alive(server: &TestServer) {
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

fn protocol_error(input: &[u8], expected: &str) {
    let server = shared();
    let mut c = server.raw();
    c.send(input);
    let got = c.read_until_closed();
    assert_eq!(
        escape(&got),
        escape(format!("-ERR Protocol error: {expected}\r\n").as_bytes()),
        "input {}",
        escape_trunc(input, 80)
    );
    assert_alive(server);
}

#[test]
fn protocol_errors_get_redis_replies_then_close() {
    protocol_error(b"*abc\r\n", "invalid multibulk length");
    protocol_error(b"* 1\r\n", "invalid multibulk length");
    protocol_error(b"*2147483648\r\n", "invalid multibulk length");
    protocol_error(b"*1\r\n$abc\r\n", "invalid bulk length");
    protocol_error(b"*1\r\n$-1\r\n", "invalid bulk length");
    protocol_error(b"*1\r\n$ 1\r\n", "invalid bulk length");
    protocol_error(b"*1\r\n$+1\r\n", "invalid bulk length");
    protocol_error(b"*1\r\nfoo\r\n", "expected '$', got 'f'");
    protocol_error(b"*2\r\n$4\r\nECHO\r\n:1\r\n", "expected '$', got ':'");
    protocol_error(b"ECHO \"abc\r\n", "unbalanced quotes in request");
}

#[test]
fn huge_lengths_are_refused() {
    protocol_error(b"*1\r\n$1000000000\r\n", "invalid bulk length");
    protocol_error(b"*1\r\n$536870913\r\n", "invalid bulk length");
    protocol_error(b"*1\r\n$9223372036854775808\r\n", "invalid bulk length");
    protocol_error(
        &[&b"*"[..], &[b'1'; 70_000]].concat(),
        "too big mbulk count string",
    );
    protocol_error(
        &[&b"*1\r\n$"[..], &[b'1'; 70_000]].concat(),
        "too big bulk count string",
    );
    protocol_error(&[b'x'; 70_000], "too big inline request");
}

#[test]
fn replies_before_a_protocol_error_are_sent() {
    let server = shared();
    let mut c = server.raw();
    c.send(b"*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n$abc\r\n");
    let got = c.read_until_closed();
    assert_eq!(
        escape(&got),
        escape(b"+PONG\r\n+PONG\r\n-ERR Protocol error: invalid bulk length\r\n")
    );
}

#[test]
fn empty_and_null_multibulks_are_ignored() {
    let mut c = shared().raw();
    c.send(b"*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n");
    assert_eq!(c.read(), simple("PONG"));
    assert_eq!(c.cmd(&["ECHO", "still here"]), bulk("still here"));
}

#[test]
fn half_a_frame_then_wait_does_not_block_others() {
    let server = shared();
    let key = k("half", "a");
    let mut slow = server.raw();
    let frame = encode_command(&["SET", &key, "from-slow-client"]);
    let (first, rest) = frame.split_at(frame.len() - 7);
    slow.send(first);
    // Others are served meanwhile, on every shard.
    let mut fast = server.raw();
    for other in spread_keys(&k("half", "other"), 8, DEFAULT_SHARDS) {
        assert_eq!(fast.cmd(&["SET", &other, "x"]), ok());
        assert_eq!(fast.cmd(&["GETDEL", &other]), bulk("x"));
    }
    assert_eq!(fast.cmd(&["GET", &key]), nil());
    // Nothing came back to the slow client yet.
    assert!(!slow.closed_within(Duration::from_millis(100)));
    slow.send(rest);
    assert_eq!(slow.read(), ok());
    assert_eq!(fast.cmd(&["GETDEL", &key]), bulk("from-slow-client"));
}

#[test]
fn frames_split_byte_by_byte() {
    let server = shared();
    let key = k("bytes", "a");
    let mut c = server.raw();
    let mut bytes = Vec::new();
    encode_command_into(&mut bytes, &["SET", &key, "v\r\nv"]);
    encode_command_into(&mut bytes, &["GET", &key]);
    bytes.extend_from_slice(format!("DEL {key}\r\n").as_bytes());
    for b in &bytes {
        c.send(std::slice::from_ref(b));
    }
    assert_eq!(c.read(), ok());
    assert_eq!(c.read(), bulk("v\r\nv"));
    assert_eq!(c.read(), int(1));
}

#[test]
fn client_killed_mid_pipeline_costs_nothing() {
    let server = shared();
    let doomed_keys = spread_keys(&k("killed", "doomed:"), 2000, DEFAULT_SHARDS);
    let mine = spread_keys(&k("killed", "mine:"), 200, DEFAULT_SHARDS);
    std::thread::scope(|s| {
        // Ten clients each write a big pipeline and vanish (RST) without reading a reply.
        let killers: Vec<_> = (0..10)
            .map(|round| {
                let doomed_keys = &doomed_keys;
                s.spawn(move || {
                    let mut c = server.raw();
                    let mut bytes = Vec::new();
                    for (i, key) in doomed_keys.iter().enumerate() {
                        encode_command_into(&mut bytes, &["SET", key, &format!("{round}:{i}")]);
                        encode_command_into(&mut bytes, &["GET", key]);
                    }
                    // Half of them cut the stream in the middle of a frame.
                    if round % 2 == 1 {
                        bytes.truncate(bytes.len() / 2 + 3);
                    }
                    let _ = c.try_send(&bytes);
                    c.reset();
                })
            })
            .collect();
        // Meanwhile another client works normally.
        let mut c = server.raw();
        for round in 0..5 {
            let cmds: Vec<Vec<String>> = mine
                .iter()
                .map(|key| vec!["SET".into(), key.clone(), format!("{round}")])
                .collect();
            for r in c.pipeline(&cmds) {
                assert_eq!(r, ok());
            }
            let mut mget = vec!["MGET".to_string()];
            mget.extend(mine.iter().cloned());
            let got = c.pipeline(&[mget]).pop().unwrap();
            assert_eq!(got, arr(vec![bulk(round.to_string()); mine.len()]));
        }
        for t in killers {
            t.join().unwrap();
        }
    });
    assert_alive(server);
    // The doomed clients' keys hold values some doomed client wrote, or nothing.
    let mut c = server.raw();
    let mut mget = vec!["MGET".to_string()];
    mget.extend(doomed_keys.iter().cloned());
    let got = c.pipeline(&[mget]).pop().unwrap();
    for (i, v) in got.as_array().iter().enumerate() {
        if let Resp::Bulk(b) = v {
            let s = String::from_utf8_lossy(b);
            assert!(s.ends_with(&format!(":{i}")), "key {i} holds {s}");
        } else {
            assert_eq!(v, &nil());
        }
    }
    let mut del = vec!["DEL".to_string()];
    del.extend(doomed_keys.iter().chain(&mine).cloned());
    c.pipeline(&[del]);
}

#[test]
fn clients_that_vanish_with_partial_frames() {
    let server = shared();
    for i in 0..50 {
        let mut c = server.raw();
        let frame = encode_command(&["SET", &k("vanish", &i.to_string()), "value"]);
        c.send(&frame[..(i % frame.len()).max(1)]);
        if i % 2 == 1 {
            c.reset();
        } else {
            c.shutdown_write();
            drop(c);
        }
    }
    assert_alive(server);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["EXISTS", &k("vanish", "0")]), int(0));
}

#[test]
fn big_values_and_big_replies() {
    let server = shared();
    let mut c = server.raw();
    let key = k("big", "v");
    let big: Vec<u8> = (0..8 * 1024 * 1024u32)
        .map(|i| (i * 31 % 253) as u8)
        .collect();
    assert_eq!(c.cmdb(&[b"SET", key.as_bytes(), &big]), ok());
    assert_eq!(c.cmd(&["STRLEN", &key]), int(big.len() as i64));
    assert_eq!(c.cmd(&["GET", &key]), bulk(&big));
    // 2000 GETs of a 64 KiB value sent before reading anything: 128 MiB of replies, far more
    // than the socket buffers hold, so the server must buffer or pause reading, not wedge.
    let mid = vec![b'm'; 64 * 1024];
    assert_eq!(c.cmdb(&[b"SET", key.as_bytes(), &mid]), ok());
    let mut bytes = Vec::new();
    for _ in 0..2000 {
        encode_command_into(&mut bytes, &["GET", &key]);
    }
    c.send(&bytes);
    let t = Instant::now();
    for i in 0..2000 {
        assert_eq!(c.read_raw().len(), mid.len() + 10, "reply {i}");
    }
    assert!(t.elapsed() < Duration::from_secs(60));
    assert_eq!(c.cmd(&["DEL", &key]), int(1));
}

#[test]
fn unauthenticated_clients_get_tight_limits() {
    let server = start_target(DEFAULT_SHARDS, &["--requirepass", "pw"]);
    let mut c = server.raw();
    c.send(b"*11\r\n");
    assert_eq!(
        escape(&c.read_until_closed()),
        escape(b"-ERR Protocol error: unauthenticated multibulk length\r\n")
    );
    let mut c = server.raw();
    c.send(b"*1\r\n$16385\r\n");
    assert_eq!(
        escape(&c.read_until_closed()),
        escape(b"-ERR Protocol error: unauthenticated bulk length\r\n")
    );
    // Within the limits: NOAUTH, connection stays.
    let mut c = server.raw();
    c.send(&encode_command(&["SET", "k", &"x".repeat(16384)]));
    assert_eq!(c.read(), err("NOAUTH Authentication required."));
    assert_eq!(c.cmd(&["AUTH", "pw"]), ok());
    let big = "y".repeat(100_000);
    assert_eq!(c.cmd(&["SET", "k", &big]), ok());
    assert_eq!(c.cmd(&["STRLEN", "k"]), int(100_000));
}

#[test]
fn many_concurrent_clients_pipelining() {
    let server = shared();
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || {
                let mut c = server.raw();
                let keys = spread_keys(&k("concurrent", &format!("{t}:")), 50, DEFAULT_SHARDS);
                for round in 0..20 {
                    let cmds: Vec<Vec<String>> = keys
                        .iter()
                        .flat_map(|key| {
                            [
                                vec!["SET".to_string(), key.clone(), format!("{t}-{round}")],
                                vec!["GET".to_string(), key.clone()],
                            ]
                        })
                        .collect();
                    let replies = c.pipeline(&cmds);
                    for pair in replies.chunks(2) {
                        assert_eq!(pair[0], ok());
                        assert_eq!(pair[1], bulk(format!("{t}-{round}")));
                    }
                }
                let mut del = vec!["DEL".to_string()];
                del.extend(keys);
                assert_eq!(c.pipeline(&[del]).pop().unwrap(), int(50));
            });
        }
    });
}
