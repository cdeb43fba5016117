//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their unsubscribes, PUBLISH and SPUBLISH
//! counts, delivery order, RESP2 subscribed mode and RESP3 push frames, PUBSUB introspection,
//! binary names, the pubsub output buffer limit, and pub/sub inside MULTI and scripts.
//! Channels are spread over every shard and subscribers over many connections, so that on
//! ferrokv subscriptions, publishers and subscribers sit on different threads.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ferrokv_tests::*;

/// How long a condition (a subscription becoming visible, a connection being dropped) may take.
const WAIT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(5);

const SUBSCRIBED_MODE_ERR: &str = "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
                                   are allowed in this context";

/// `n` channel names `ps:<test>:<i>`, the i-th on shard `i % 4`.
fn channels(test: &str, n: usize) -> Vec<String> {
    spread_keys(&format!("ps:{test}:"), n, DEFAULT_SHARDS)
}

/// The reply to one name of (P|S)(UN)SUBSCRIBE: `[kind, name, count]`.
fn sub_reply(kind: &str, name: impl AsRef<[u8]>, count: i64) -> Resp {
    arr(vec![bulk(kind), bulk(name), int(count)])
}

fn message(channel: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> Resp {
    arr(vec![bulk("message"), bulk(channel), bulk(payload)])
}

fn pmessage(pattern: &str, channel: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> Resp {
    arr(vec![
        bulk("pmessage"),
        bulk(pattern),
        bulk(channel),
        bulk(payload),
    ])
}

fn smessage(channel: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> Resp {
    arr(vec![bulk("smessage"), bulk(channel), bulk(payload)])
}

/// The same frame as a RESP3 push.
fn push(frame: Resp) -> Resp {
    Resp::Push(frame.as_array().to_vec())
}

fn subscribed_mode_err(cmd: &str) -> Resp {
    err(&format!("ERR Can't execute '{cmd}': {SUBSCRIBED_MODE_ERR}"))
}

/// Sends `kind names...` and reads one reply per name.
fn sub<A: AsRef<[u8]>>(c: &mut RawConn, kind: &str, names: &[A]) -> Vec<Resp> {
    let mut args: Vec<&[u8]> = vec![kind.as_bytes()];
    args.extend(names.iter().map(AsRef::as_ref));
    c.send_cmd(&args);
    names.iter().map(|_| c.read()).collect()
}

/// Polls `PUBSUB <numsub> channel` until it counts `n` subscribers.
fn wait_numsub(numsub: &str, channel: impl AsRef<[u8]>, n: i64) {
    let channel = channel.as_ref();
    let mut c = shared().raw();
    let want = arr(vec![bulk(channel), int(n)]);
    let mut last = Resp::Nil;
    let seen = poll_until(WAIT, POLL, || {
        last = c.cmdb(&[b"PUBSUB", numsub.as_bytes(), channel]);
        last == want
    });
    assert!(
        seen,
        "PUBSUB {numsub} {} never counted {n}: {last:?}",
        escape(channel)
    );
}

/// `SUBSCRIBE channels...` on a fresh connection, checking the replies; returns once every
/// channel counts it as its only subscriber.
fn subscriber(names: &[String]) -> RawConn {
    let mut c = shared().raw();
    let replies = sub(&mut c, "SUBSCRIBE", names);
    for (i, (r, name)) in replies.iter().zip(names).enumerate() {
        assert_eq!(r, &sub_reply("subscribe", name, i as i64 + 1));
    }
    for name in names {
        wait_numsub("NUMSUB", name, 1);
    }
    c
}

fn publish(c: &mut RawConn, channel: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> Resp {
    c.send_and_read(&[b"PUBLISH", channel.as_ref(), payload.as_ref()])
}

#[test]
fn subscribe_and_unsubscribe_replies() {
    let ch = channels("replies", 4);
    let mut c = shared().raw();
    // With nothing subscribed: one reply with a null name and a count of 0.
    assert_eq!(
        c.raw_cmd(&["UNSUBSCRIBE"]),
        b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(
        c.raw_cmd(&["PUNSUBSCRIBE"]),
        b"*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(
        c.raw_cmd(&["SUNSUBSCRIBE"]),
        b"*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n"
    );
    // Not subscribed, so still a normal client.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));

    // A channel named twice is subscribed once; the count goes on over channels and patterns.
    assert_eq!(
        sub(&mut c, "SUBSCRIBE", &[&ch[0], &ch[1], &ch[0]]),
        vec![
            sub_reply("subscribe", &ch[0], 1),
            sub_reply("subscribe", &ch[1], 2),
            sub_reply("subscribe", &ch[0], 2),
        ]
    );
    let pat = "ps:replies:*";
    assert_eq!(
        sub(&mut c, "PSUBSCRIBE", &[pat, pat]),
        vec![
            sub_reply("psubscribe", pat, 3),
            sub_reply("psubscribe", pat, 3)
        ]
    );
    // Shard channels have their own count.
    assert_eq!(
        sub(&mut c, "SSUBSCRIBE", &[&ch[2], &ch[3]]),
        vec![
            sub_reply("ssubscribe", &ch[2], 1),
            sub_reply("ssubscribe", &ch[3], 2)
        ]
    );
    assert_eq!(
        sub(&mut c, "SUBSCRIBE", &[&ch[2]]),
        vec![sub_reply("subscribe", &ch[2], 4)]
    );
    // Unsubscribing from what is not subscribed names it and keeps the count.
    assert_eq!(
        sub(&mut c, "UNSUBSCRIBE", &["ps:replies:none"]),
        vec![sub_reply("unsubscribe", "ps:replies:none", 4)]
    );
    assert_eq!(
        sub(&mut c, "PUNSUBSCRIBE", &["ps:nopattern*"]),
        vec![sub_reply("punsubscribe", "ps:nopattern*", 4)]
    );
    assert_eq!(
        sub(&mut c, "SUNSUBSCRIBE", &[&ch[0]]),
        vec![sub_reply("sunsubscribe", &ch[0], 2)]
    );
    assert_eq!(
        sub(&mut c, "UNSUBSCRIBE", &[&ch[1]]),
        vec![sub_reply("unsubscribe", &ch[1], 3)]
    );

    // UNSUBSCRIBE without names: one reply per channel, in no particular order, the count
    // falling to what is left (the pattern).
    c.send_cmd(&["UNSUBSCRIBE"]);
    let mut names = BTreeSet::new();
    for left in [2, 1] {
        let r = c.read();
        let parts = r.as_array();
        assert_eq!(parts.len(), 3, "{r:?}");
        assert_eq!(parts[0], bulk("unsubscribe"));
        assert_eq!(parts[2], int(left));
        names.insert(parts[1].as_str());
    }
    assert_eq!(names, BTreeSet::from([ch[0].clone(), ch[2].clone()]));
    assert_eq!(
        c.raw_cmd(&["UNSUBSCRIBE"]),
        b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:1\r\n"
    );
    assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), sub_reply("punsubscribe", pat, 0));
    // Channels and patterns are gone, but the shard channels keep the client subscribed.
    assert_eq!(c.cmd(&["GET", "x"]), subscribed_mode_err("get"));
    c.send_cmd(&["SUNSUBSCRIBE"]);
    let mut names = BTreeSet::new();
    for left in [1, 0] {
        let r = c.read();
        let parts = r.as_array();
        assert_eq!(parts[0], bulk("sunsubscribe"));
        assert_eq!(parts[2], int(left));
        names.insert(parts[1].as_str());
    }
    assert_eq!(names, BTreeSet::from([ch[2].clone(), ch[3].clone()]));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    for name in &ch {
        wait_numsub("NUMSUB", name, 0);
        wait_numsub("SHARDNUMSUB", name, 0);
    }
}

#[test]
fn subscribe_needs_a_name() {
    let mut c = shared().raw();
    for cmd in ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE"] {
        assert_eq!(c.cmd(&[cmd]), arity_err(cmd));
    }
    assert_eq!(c.cmd(&["PUBLISH", "ps:arity"]), arity_err("publish"));
    assert_eq!(c.cmd(&["SPUBLISH", "ps:arity"]), arity_err("spublish"));
    assert_eq!(
        c.cmd(&["PUBLISH", "ps:arity", "a", "b"]),
        arity_err("publish")
    );
}

#[test]
fn resp2_subscribed_mode_allows_only_pubsub_commands() {
    let ch = channels("mode", 1);
    let mut c = subscriber(&ch);
    assert_eq!(c.cmd(&["GET", "x"]), subscribed_mode_err("get"));
    assert_eq!(c.cmd(&["set", "x", "1"]), subscribed_mode_err("set"));
    assert_eq!(
        c.cmd(&["CLIENT", "LIST"]),
        subscribed_mode_err("client|list")
    );
    assert_eq!(c.cmd(&["MULTI"]), subscribed_mode_err("multi"));
    // PING answers as a message, with an empty payload when none is given.
    assert_eq!(c.raw_cmd(&["PING"]), b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(
        c.raw_cmd(&["PING", "hi"]),
        b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    );
    // The refused commands did nothing.
    assert_eq!(shared().raw().cmd(&["EXISTS", "x"]), int(0));
    // Messages still arrive, between the replies.
    assert_eq!(publish(&mut shared().raw(), &ch[0], "m"), int(1));
    assert_eq!(c.read(), message(&ch[0], "m"));
    // RESET leaves subscribed mode and drops the subscriptions.
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    assert_eq!(c.cmd(&["GET", "ps:mode:absent"]), nil());
    wait_numsub("NUMSUB", &ch[0], 0);
    assert_eq!(publish(&mut shared().raw(), &ch[0], "m"), int(0));
    // QUIT answers OK and closes.
    let mut c = subscriber(&ch);
    assert_eq!(c.cmd(&["QUIT"]), ok());
    assert_eq!(c.read_until_closed(), b"");
    wait_numsub("NUMSUB", &ch[0], 0);
}

#[test]
fn resp3_gets_push_frames_and_may_run_any_command() {
    let ch = channels("resp3", 2);
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["HELLO", "3"]).field("proto"), Some(int(3)));
    assert_eq!(
        c.raw_cmd(&["UNSUBSCRIBE"]),
        b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"
    );
    assert_eq!(
        sub(&mut c, "SUBSCRIBE", &ch[..1]),
        vec![push(sub_reply("subscribe", &ch[0], 1))]
    );
    assert_eq!(
        sub(&mut c, "PSUBSCRIBE", &["ps:resp3:*"]),
        vec![push(sub_reply("psubscribe", "ps:resp3:*", 2))]
    );
    assert_eq!(
        sub(&mut c, "SSUBSCRIBE", &ch[1..]),
        vec![push(sub_reply("ssubscribe", &ch[1], 1))]
    );
    wait_numsub("NUMSUB", &ch[0], 1);
    wait_numsub("SHARDNUMSUB", &ch[1], 1);
    // Any command runs, with its normal reply.
    let key = "ps:resp3:key";
    assert_eq!(c.cmd(&["SET", key, "v"]), ok());
    assert_eq!(c.cmd(&["GET", key]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "ps:resp3:absent"]), Resp::Null);
    assert_eq!(c.cmd(&["DEL", key]), int(1));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["PING", "hi"]), bulk("hi"));

    let mut p = shared().raw();
    assert_eq!(publish(&mut p, &ch[0], "one"), int(2));
    assert_eq!(c.read(), push(message(&ch[0], "one")));
    assert_eq!(c.read(), push(pmessage("ps:resp3:*", &ch[0], "one")));
    assert_eq!(p.cmd(&["SPUBLISH", &ch[1], "two"]), int(1));
    assert_eq!(c.read_raw(), smessage_push_bytes(&ch[1], "two"));
    // The subscriber may publish itself: the push comes before PUBLISH's reply.
    assert_eq!(
        c.cmd(&["PUBLISH", "ps:resp3:nobody", "x"]),
        push(pmessage("ps:resp3:*", "ps:resp3:nobody", "x"))
    );
    assert_eq!(c.read(), int(1));

    assert_eq!(
        c.cmd(&["UNSUBSCRIBE"]),
        push(sub_reply("unsubscribe", &ch[0], 1))
    );
    assert_eq!(
        c.raw_cmd(&["UNSUBSCRIBE"]),
        b">3\r\n$11\r\nunsubscribe\r\n_\r\n:1\r\n"
    );
    assert_eq!(
        sub(&mut c, "PUNSUBSCRIBE", &["ps:resp3:*"]),
        vec![push(sub_reply("punsubscribe", "ps:resp3:*", 0))]
    );
    assert_eq!(
        sub(&mut c, "SUNSUBSCRIBE", &ch[1..]),
        vec![push(sub_reply("sunsubscribe", &ch[1], 0))]
    );
}

/// The exact bytes of a RESP3 `smessage` push.
fn smessage_push_bytes(channel: &str, payload: &str) -> Vec<u8> {
    format!(
        ">3\r\n$8\r\nsmessage\r\n${}\r\n{channel}\r\n${}\r\n{payload}\r\n",
        channel.len(),
        payload.len()
    )
    .into_bytes()
}

#[test]
fn publish_counts_receivers_on_every_thread() {
    let ch = channels("count", 4);
    let pattern = "ps:count:*";
    // Eight connections: on ferrokv they are spread over the shard threads.
    let mut subs: Vec<RawConn> = (0..8).map(|_| shared().raw()).collect();
    for (i, s) in subs.iter_mut().enumerate() {
        let replies = sub(s, "SUBSCRIBE", &ch);
        for (j, r) in replies.iter().enumerate() {
            assert_eq!(r, &sub_reply("subscribe", &ch[j], j as i64 + 1), "sub {i}");
        }
    }
    for name in &ch {
        wait_numsub("NUMSUB", name, 8);
    }
    // Three more by pattern only, one of the eight by pattern too.
    let mut psubs: Vec<RawConn> = (0..3).map(|_| shared().raw()).collect();
    for s in &mut psubs {
        assert_eq!(
            sub(s, "PSUBSCRIBE", &[pattern]),
            vec![sub_reply("psubscribe", pattern, 1)]
        );
    }
    assert_eq!(
        sub(&mut subs[0], "PSUBSCRIBE", &[pattern]),
        vec![sub_reply("psubscribe", pattern, 5)]
    );

    let mut p = shared().raw();
    for name in &ch {
        assert_eq!(publish(&mut p, name, "hello"), int(12), "PUBLISH {name}");
    }
    for name in &ch {
        assert_eq!(subs[0].read(), message(name, "hello"));
        assert_eq!(subs[0].read(), pmessage(pattern, name, "hello"));
        for s in &mut subs[1..] {
            assert_eq!(s.read(), message(name, "hello"));
        }
        for s in &mut psubs {
            assert_eq!(s.read(), pmessage(pattern, name, "hello"));
        }
    }
    // A channel nobody subscribed to by name reaches the pattern subscribers only.
    assert_eq!(publish(&mut p, "ps:count:other", "x"), int(4));
    assert_eq!(subs[0].read(), pmessage(pattern, "ps:count:other", "x"));
    for s in &mut psubs {
        assert_eq!(s.read(), pmessage(pattern, "ps:count:other", "x"));
    }
    assert_eq!(publish(&mut p, "ps:elsewhere", "x"), int(0));

    // Half of them leave their first channel; closed connections stop counting.
    for s in &mut subs[..4] {
        assert_eq!(
            sub(s, "UNSUBSCRIBE", &ch[..1])[0].as_array()[0],
            bulk("unsubscribe")
        );
    }
    wait_numsub("NUMSUB", &ch[0], 4);
    drop(psubs);
    let mut last = Resp::Nil;
    let fell = poll_until(WAIT, POLL, || {
        last = publish(&mut p, &ch[0], "again");
        last == int(5)
    });
    assert!(fell, "PUBLISH count never fell to 5: {last:?}");
    drop(subs);
    // Each closed connection drops its channels and patterns together, but the eight close
    // one by one: wait until PUBLISH finds nobody at all.
    for name in &ch {
        wait_numsub("NUMSUB", name, 0);
        let gone = poll_until(WAIT, POLL, || {
            last = publish(&mut p, name, "gone");
            last == int(0)
        });
        assert!(gone, "PUBLISH to {name} still reached {last:?}");
    }
}

#[test]
fn publish_right_after_the_subscribe_reply_is_delivered() {
    // Once the subscriber has read its (P)SUBSCRIBE reply, a PUBLISH sent afterwards from any
    // connection counts and delivers to it: no waiting for the subscription to spread.
    let ch = channels("causal", 4);
    let mut p = shared().raw();
    for (i, name) in ch.iter().enumerate() {
        let mut s = shared().raw();
        assert_eq!(
            sub(&mut s, "SUBSCRIBE", &[name]),
            vec![sub_reply("subscribe", name, 1)]
        );
        assert_eq!(publish(&mut p, name, "now"), int(1), "channel {i}");
        assert_eq!(s.read(), message(name, "now"));
        let pattern = format!("{name}*");
        let mut s = shared().raw();
        assert_eq!(
            sub(&mut s, "PSUBSCRIBE", &[&pattern]),
            vec![sub_reply("psubscribe", &pattern, 1)]
        );
        assert_eq!(publish(&mut p, name, "now"), int(2), "channel {i}");
        assert_eq!(s.read(), pmessage(&pattern, name, "now"));
    }
}

#[test]
fn a_channel_and_its_patterns_are_all_delivered() {
    let ch = channels("both", 1);
    let name = &ch[0];
    let patterns = ["ps:both:*", "ps:b?th:*", "ps:[ab]oth:*"];
    let mut s = subscriber(&ch);
    assert_eq!(
        sub(&mut s, "PSUBSCRIBE", &patterns),
        vec![
            sub_reply("psubscribe", patterns[0], 2),
            sub_reply("psubscribe", patterns[1], 3),
            sub_reply("psubscribe", patterns[2], 4),
        ]
    );
    assert_eq!(
        sub(&mut s, "PSUBSCRIBE", &["ps:both:nomatch"]),
        vec![sub_reply("psubscribe", "ps:both:nomatch", 5)]
    );
    let mut p = shared().raw();
    assert_eq!(publish(&mut p, name, "payload"), int(4));
    // The channel's message first, then one per matching pattern, in no particular order.
    assert_eq!(s.read(), message(name, "payload"));
    let got: BTreeSet<String> = (0..3)
        .map(|_| {
            let m = s.read();
            let parts = m.as_array().to_vec();
            assert_eq!(parts.len(), 4, "{m:?}");
            assert_eq!(parts[0], bulk("pmessage"));
            assert_eq!(parts[2..], [bulk(name), bulk("payload")]);
            parts[1].as_str()
        })
        .collect();
    assert_eq!(got, patterns.iter().map(|p| p.to_string()).collect());
    // Glob escapes, as in Redis's stringmatchlen.
    assert_eq!(
        sub(&mut s, "PSUBSCRIBE", &["ps:esc:\\*"]),
        vec![sub_reply("psubscribe", "ps:esc:\\*", 6)]
    );
    assert_eq!(publish(&mut p, "ps:esc:x", "no"), int(0));
    assert_eq!(publish(&mut p, "ps:esc:*", "yes"), int(1));
    assert_eq!(s.read(), pmessage("ps:esc:\\*", "ps:esc:*", "yes"));
}

/// Reads `n` messages on `c` in a thread; returns them.
fn collect(mut c: RawConn, n: usize) -> thread::JoinHandle<Vec<Resp>> {
    thread::spawn(move || (0..n).map(|_| c.read()).collect())
}

#[test]
fn one_publishers_order_is_kept_at_every_subscriber() {
    const MESSAGES: usize = 10_000;
    const BATCH: usize = 500;
    let ch = channels("order", 4);
    let pattern = "ps:order:*";
    let mut readers = Vec::new();
    for i in 0..8 {
        let mut s = shared().raw();
        if i % 2 == 0 {
            assert_eq!(sub(&mut s, "SUBSCRIBE", &ch).len(), ch.len());
        } else {
            assert_eq!(
                sub(&mut s, "PSUBSCRIBE", &[pattern]),
                vec![sub_reply("psubscribe", pattern, 1)]
            );
        }
        readers.push(collect(s, MESSAGES));
    }
    for name in &ch {
        wait_numsub("NUMSUB", name, 4);
    }
    // Message i goes to channel i % 4; one pipeline of BATCH commands at a time.
    let mut p = shared().raw();
    for start in (0..MESSAGES).step_by(BATCH) {
        let cmds: Vec<Vec<String>> = (start..start + BATCH)
            .map(|i| vec!["PUBLISH".into(), ch[i % 4].clone(), i.to_string()])
            .collect();
        for (i, r) in p.pipeline(&cmds).into_iter().enumerate() {
            assert_eq!(r, int(8), "PUBLISH #{}", start + i);
        }
    }
    for (n, reader) in readers.into_iter().enumerate() {
        let got = reader.join().expect("reader thread");
        // Per channel, the sequence numbers in publish order.
        let mut per_channel: Vec<Vec<usize>> = vec![Vec::new(); 4];
        for m in &got {
            let parts = m.as_array();
            let (kind, channel, payload) = match parts.len() {
                3 => (&parts[0], &parts[1], &parts[2]),
                _ => (&parts[0], &parts[2], &parts[3]),
            };
            let want_kind = if n % 2 == 0 { "message" } else { "pmessage" };
            assert_eq!(kind, &bulk(want_kind), "subscriber {n}: {m:?}");
            let c = ch
                .iter()
                .position(|c| c.as_bytes() == channel.as_bytes())
                .unwrap_or_else(|| panic!("subscriber {n}: unknown channel in {m:?}"));
            let seq: usize = payload.as_str().parse().expect("sequence number");
            per_channel[c].push(seq);
        }
        for (c, seqs) in per_channel.iter().enumerate() {
            let want: Vec<usize> = (c..MESSAGES).step_by(4).collect();
            assert!(
                seqs == &want,
                "subscriber {n}, channel {c}: {} messages, first out of order at {:?}",
                seqs.len(),
                seqs.iter().zip(&want).position(|(a, b)| a != b)
            );
        }
    }
}

#[test]
fn pubsub_introspection() {
    // Its own server: CHANNELS without a pattern and NUMPAT see every test's subscriptions.
    let srv = start_target(DEFAULT_SHARDS, &[]);
    let mut q = srv.raw();
    assert_eq!(q.cmd(&["PUBSUB", "CHANNELS"]), arr(vec![]));
    assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    assert_eq!(q.cmd(&["PUBSUB", "NUMSUB"]), arr(vec![]));
    assert_eq!(q.cmd(&["PUBSUB", "SHARDCHANNELS"]), arr(vec![]));
    assert_eq!(q.cmd(&["PUBSUB", "SHARDNUMSUB"]), arr(vec![]));

    let ch = spread_keys("news:", 4, DEFAULT_SHARDS);
    let sh = spread_keys("shard:", 2, DEFAULT_SHARDS);
    let mut a = srv.raw();
    let mut b = srv.raw();
    assert_eq!(sub(&mut a, "SUBSCRIBE", &ch).len(), 4);
    assert_eq!(sub(&mut b, "SUBSCRIBE", &ch[..2]).len(), 2);
    assert_eq!(sub(&mut a, "PSUBSCRIBE", &["news:*", "x*"]).len(), 2);
    assert_eq!(sub(&mut b, "PSUBSCRIBE", &["news:*"]).len(), 1);
    assert_eq!(sub(&mut b, "SSUBSCRIBE", &sh).len(), 2);
    assert_eq!(sub(&mut a, "SSUBSCRIBE", &sh[..1]).len(), 1);

    let mut want = ch.clone();
    want.sort();
    let sorted = |r: Resp| {
        let mut v: Vec<String> = r.as_array().iter().map(Resp::as_str).collect();
        v.sort();
        v
    };
    // Patterns and shard channels are not channels.
    assert_eq!(sorted(q.cmd(&["PUBSUB", "CHANNELS"])), want);
    assert_eq!(sorted(q.cmd(&["PUBSUB", "CHANNELS", "*"])), want);
    assert_eq!(
        sorted(q.cmd(&["PUBSUB", "CHANNELS", "news:[01]"])),
        want.iter()
            .filter(|c| *c == "news:0" || *c == "news:1")
            .cloned()
            .collect::<Vec<_>>()
    );
    assert_eq!(q.cmd(&["PUBSUB", "CHANNELS", "shard:*"]), arr(vec![]));
    // Distinct patterns.
    assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), int(2));
    // In the order asked, repeats and unknown channels included; patterns do not count.
    assert_eq!(
        q.cmd(&["PUBSUB", "NUMSUB", &ch[0], &ch[3], "nope", &ch[0], &sh[0]]),
        arr(vec![
            bulk(&ch[0]),
            int(2),
            bulk(&ch[3]),
            int(1),
            bulk("nope"),
            int(0),
            bulk(&ch[0]),
            int(2),
            bulk(&sh[0]),
            int(0),
        ])
    );
    let mut want_sh = sh.clone();
    want_sh.sort();
    assert_eq!(sorted(q.cmd(&["PUBSUB", "SHARDCHANNELS"])), want_sh);
    assert_eq!(
        q.cmd(&["PUBSUB", "SHARDCHANNELS", &sh[1]]),
        bulks(&[&sh[1]])
    );
    assert_eq!(q.cmd(&["PUBSUB", "SHARDCHANNELS", "news:*"]), arr(vec![]));
    assert_eq!(
        q.cmd(&["PUBSUB", "SHARDNUMSUB", &sh[0], &sh[1], &ch[0]]),
        arr(vec![
            bulk(&sh[0]),
            int(2),
            bulk(&sh[1]),
            int(1),
            bulk(&ch[0]),
            int(0)
        ])
    );

    // Leaving removes a channel once its last subscriber is gone.
    assert_eq!(sub(&mut b, "UNSUBSCRIBE", &ch[..1]).len(), 1);
    assert_eq!(
        q.cmd(&["PUBSUB", "NUMSUB", &ch[0]]),
        arr(vec![bulk(&ch[0]), int(1)])
    );
    assert_eq!(a.cmd(&["RESET"]), simple("RESET"));
    let mut want: Vec<String> = ch[1..2].to_vec();
    want.sort();
    assert_eq!(sorted(q.cmd(&["PUBSUB", "CHANNELS"])), want);
    assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), int(1));
    assert_eq!(
        q.cmd(&["PUBSUB", "SHARDNUMSUB", &sh[0]]),
        arr(vec![bulk(&sh[0]), int(1)])
    );
    drop(b);
    let mut last = Resp::Nil;
    let empty = poll_until(WAIT, POLL, || {
        last = q.cmd(&["PUBSUB", "CHANNELS"]);
        last == arr(vec![])
    });
    assert!(empty, "channels left after the subscriber closed: {last:?}");
    assert_eq!(q.cmd(&["PUBSUB", "NUMPAT"]), int(0));
    assert_eq!(q.cmd(&["PUBSUB", "SHARDCHANNELS"]), arr(vec![]));
}

#[test]
fn pubsub_command_errors() {
    let mut q = shared().raw();
    assert_eq!(q.cmd(&["PUBSUB"]), arity_err("pubsub"));
    assert_eq!(
        q.cmd(&["PUBSUB", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP.")
    );
    assert_eq!(
        q.cmd(&["PUBSUB", "NUMPAT", "x"]),
        err("ERR wrong number of arguments for 'pubsub|numpat' command")
    );
    assert_eq!(
        q.cmd(&["PUBSUB", "CHANNELS", "a", "b"]),
        err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
    );
    let help = q.cmd(&["PUBSUB", "HELP"]);
    assert_eq!(help.as_array().len(), 14);
    assert_eq!(
        help.as_array()[0],
        simple("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
    );
}

#[test]
fn sharded_pubsub() {
    let ch = channels("sharded", 4);
    let mut s = shared().raw();
    let replies = sub(&mut s, "SSUBSCRIBE", &ch);
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(r, &sub_reply("ssubscribe", &ch[i], i as i64 + 1));
    }
    let mut t = shared().raw();
    assert_eq!(
        sub(&mut t, "SSUBSCRIBE", &ch[..1]),
        vec![sub_reply("ssubscribe", &ch[0], 1)]
    );
    let mut ps = shared().raw();
    assert_eq!(
        sub(&mut ps, "PSUBSCRIBE", &["ps:sharded:*"]),
        vec![sub_reply("psubscribe", "ps:sharded:*", 1)]
    );
    wait_numsub("SHARDNUMSUB", &ch[0], 2);
    for name in &ch[1..] {
        wait_numsub("SHARDNUMSUB", name, 1);
    }
    let mut p = shared().raw();
    assert_eq!(p.cmd(&["SPUBLISH", &ch[0], "a"]), int(2));
    assert_eq!(s.read(), smessage(&ch[0], "a"));
    assert_eq!(t.read(), smessage(&ch[0], "a"));
    for name in &ch[1..] {
        assert_eq!(p.cmd(&["SPUBLISH", name, "b"]), int(1));
        assert_eq!(s.read(), smessage(name, "b"));
    }
    // Shard channels and channels are separate namespaces; patterns match channels only.
    assert_eq!(publish(&mut p, &ch[1], "plain"), int(1));
    assert_eq!(ps.read(), pmessage("ps:sharded:*", &ch[1], "plain"));
    assert_eq!(p.cmd(&["SPUBLISH", "ps:sharded:none", "x"]), int(0));
    assert_eq!(
        sub(&mut s, "SUNSUBSCRIBE", &ch[..2]),
        vec![
            sub_reply("sunsubscribe", &ch[0], 3),
            sub_reply("sunsubscribe", &ch[1], 2)
        ]
    );
    wait_numsub("SHARDNUMSUB", &ch[0], 1);
    assert_eq!(p.cmd(&["SPUBLISH", &ch[0], "c"]), int(1));
    assert_eq!(t.read(), smessage(&ch[0], "c"));
    assert_eq!(p.cmd(&["SPUBLISH", &ch[2], "d"]), int(1));
    assert_eq!(s.read(), smessage(&ch[2], "d"));
}

#[test]
fn binary_channel_names_and_payloads() {
    let name: &[u8] = b"ps:bin:\x00\xff\r\n \"x";
    let payload: Vec<u8> = (0..=255u8).chain(b"\r\n$3\r\n".iter().copied()).collect();
    let pattern: &[u8] = b"ps:bin:\x00*";
    let mut s = shared().raw();
    assert_eq!(
        sub(&mut s, "SUBSCRIBE", &[name]),
        vec![sub_reply("subscribe", name, 1)]
    );
    assert_eq!(
        sub(&mut s, "PSUBSCRIBE", &[pattern]),
        vec![sub_reply("psubscribe", pattern, 2)]
    );
    assert_eq!(
        sub(&mut s, "SSUBSCRIBE", &[name]),
        vec![sub_reply("ssubscribe", name, 1)]
    );
    wait_numsub("NUMSUB", name, 1);
    wait_numsub("SHARDNUMSUB", name, 1);
    let mut p = shared().raw();
    assert_eq!(publish(&mut p, name, &payload), int(2));
    assert_eq!(s.read(), message(name, &payload));
    assert_eq!(
        s.read(),
        arr(vec![
            bulk("pmessage"),
            bulk(pattern),
            bulk(name),
            bulk(&payload)
        ])
    );
    assert_eq!(p.cmdb(&[b"SPUBLISH", name, &payload]), int(1));
    assert_eq!(s.read(), smessage(name, &payload));
    assert_eq!(
        p.cmdb(&[b"PUBSUB", b"CHANNELS", b"ps:bin:\x00\xff*"]),
        arr(vec![bulk(name)])
    );
    assert_eq!(
        sub(&mut s, "UNSUBSCRIBE", &[name]),
        vec![sub_reply("unsubscribe", name, 1)]
    );
}

#[test]
fn the_redis_crate_pubsub_client() {
    let ch = channels("crate", 2);
    let mut conn = shared().conn();
    let mut ps = conn.as_pubsub();
    ps.subscribe(&ch[0]).expect("SUBSCRIBE");
    ps.psubscribe("ps:crate:*").expect("PSUBSCRIBE");
    wait_numsub("NUMSUB", &ch[0], 1);
    let mut p = shared().conn();
    let n: i64 = redis::cmd("PUBLISH")
        .arg(&ch[0])
        .arg(b"\x00bytes")
        .query(&mut p)
        .expect("PUBLISH");
    assert_eq!(n, 2);
    let m = ps.get_message().expect("message");
    assert_eq!(m.get_channel_name(), ch[0]);
    assert_eq!(m.get_payload_bytes(), b"\x00bytes");
    assert!(!m.from_pattern());
    let m = ps.get_message().expect("pmessage");
    assert_eq!(m.get_channel_name(), ch[0]);
    assert_eq!(
        m.get_pattern::<String>().expect("pattern"),
        "ps:crate:*".to_string()
    );
    let n: i64 = redis::cmd("PUBLISH")
        .arg(&ch[1])
        .arg("x")
        .query(&mut p)
        .expect("PUBLISH");
    assert_eq!(n, 1);
    let m = ps.get_message().expect("pmessage");
    assert_eq!(m.get_channel_name(), ch[1]);
    assert_eq!(m.get_payload::<String>().expect("payload"), "x");
    ps.unsubscribe(&ch[0]).expect("UNSUBSCRIBE");
    ps.punsubscribe("ps:crate:*").expect("PUNSUBSCRIBE");
    drop(ps);
    // Back to a normal connection.
    let pong: String = redis::cmd("PING").query(&mut conn).expect("PING");
    assert_eq!(pong, "PONG");
}

#[test]
fn subscribe_inside_multi_and_scripts() {
    let ch = channels("multi", 2);
    let mut c = shared().raw();
    // Redis runs SUBSCRIBE queued in MULTI (for backward compatibility): EXEC leaves the client
    // subscribed. SSUBSCRIBE is refused there.
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SUBSCRIBE", &ch[0]]), simple("QUEUED"));
    assert_eq!(c.cmd(&["SSUBSCRIBE", &ch[1]]), simple("QUEUED"));
    assert_eq!(c.cmd(&["PING"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![
            sub_reply("subscribe", &ch[0], 1),
            err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client"),
            arr(vec![bulk("pong"), bulk("")]),
        ])
    );
    assert_eq!(c.cmd(&["GET", "x"]), subscribed_mode_err("get"));
    wait_numsub("NUMSUB", &ch[0], 1);
    assert_eq!(publish(&mut shared().raw(), &ch[0], "m"), int(1));
    assert_eq!(c.read(), message(&ch[0], "m"));
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));

    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["PSUBSCRIBE", "ps:multi:*"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["PUNSUBSCRIBE"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![
            sub_reply("psubscribe", "ps:multi:*", 1),
            sub_reply("punsubscribe", "ps:multi:*", 0),
        ])
    );
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));

    // Scripts may publish but not subscribe.
    let not_allowed = err("ERR This Redis command is not allowed from script");
    for call in [
        "redis.pcall('subscribe', 'ps:multi:x')",
        "redis.pcall('psubscribe', 'ps:multi:*')",
        "redis.pcall('ssubscribe', KEYS[1])",
        "redis.pcall('unsubscribe')",
        "redis.pcall('punsubscribe')",
        "redis.pcall('sunsubscribe')",
    ] {
        let body = format!("return {call}");
        assert_eq!(
            c.send_and_read(&keys_command("EVAL", &body, &[&ch[1]], &[])),
            not_allowed,
            "{call}"
        );
    }
    let mut s = subscriber(&ch[..1]);
    let body = "return redis.call('publish', ARGV[1], 'from lua')";
    assert_eq!(
        c.send_and_read(&keys_command("EVAL", body, &[], &[&ch[0]])),
        int(1)
    );
    assert_eq!(s.read(), message(&ch[0], "from lua"));
    let body = "return redis.call('spublish', KEYS[1], 'from lua')";
    assert_eq!(
        c.send_and_read(&keys_command("EVAL", body, &[&ch[1]], &[])),
        int(0)
    );
}

#[test]
fn a_subscriber_that_does_not_read_is_dropped_at_the_pubsub_limit() {
    // Its own server: the limit would drop slow subscribers of other tests.
    let srv = start_target(DEFAULT_SHARDS, &[]);
    let mut admin = srv.raw();
    assert_eq!(
        admin.cmd(&[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "pubsub 256kb 128kb 1"
        ]),
        ok()
    );
    assert_eq!(
        admin.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
        bulks(&[
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 262144 131072 1"
        ])
    );
    let channel = "ps:limit:c";
    let mut slow = srv.raw();
    let slow_id = slow.cmd(&["CLIENT", "ID"]).as_int();
    assert_eq!(
        sub(&mut slow, "SUBSCRIBE", &[channel]),
        vec![sub_reply("subscribe", channel, 1)]
    );
    let mut fast = srv.raw();
    assert_eq!(
        sub(&mut fast, "SUBSCRIBE", &[channel]),
        vec![sub_reply("subscribe", channel, 1)]
    );
    // The fast subscriber reports how many messages it has read; the publisher stays at most
    // WINDOW messages ahead of it, far below the soft limit.
    const PAYLOAD: usize = 16 * 1024;
    const WINDOW: usize = 4;
    const MAX_MESSAGES: usize = 8192;
    let read = Arc::new(AtomicUsize::new(0));
    let reader = {
        let read = Arc::clone(&read);
        thread::spawn(move || {
            let mut seqs = Vec::new();
            loop {
                let m = fast.read();
                let parts = m.as_array();
                assert_eq!(parts[..2], [bulk("message"), bulk(channel)], "{m:?}");
                let payload = parts[2].as_bytes();
                if payload == b"end" {
                    return seqs;
                }
                assert_eq!(payload.len(), PAYLOAD);
                let seq: usize = String::from_utf8_lossy(&payload[..8])
                    .trim()
                    .parse()
                    .expect("sequence number");
                seqs.push(seq);
                read.fetch_add(1, Ordering::Release);
            }
        })
    };
    let mut p = srv.raw();
    let mut sent = 0;
    loop {
        assert!(
            sent < MAX_MESSAGES,
            "the subscriber that does not read was never dropped ({sent} messages of {PAYLOAD} B)"
        );
        let fast_read = poll_until(WAIT, Duration::from_micros(200), || {
            read.load(Ordering::Acquire) + WINDOW > sent
        });
        assert!(fast_read, "the reading subscriber stalled at {sent}");
        let mut payload = format!("{sent:<8}").into_bytes();
        payload.resize(PAYLOAD, b'.');
        let receivers = publish(&mut p, channel, &payload).as_int();
        sent += 1;
        match receivers {
            2 => {}
            1 => break,
            n => panic!("PUBLISH #{sent} reached {n} subscribers"),
        }
    }
    assert_eq!(
        admin.cmd(&["CLIENT", "LIST", "ID", &slow_id.to_string()]),
        bulk("")
    );
    assert_eq!(
        admin.cmd(&["PUBSUB", "NUMSUB", channel]),
        arr(vec![bulk(channel), int(1)])
    );
    // The dropped connection gets what was on its way, then the end of the stream.
    slow.read_until_closed();
    assert_eq!(publish(&mut p, channel, "end"), int(1));
    let seqs = reader.join().expect("reader thread");
    assert_eq!(seqs, (0..sent).collect::<Vec<_>>());
}
