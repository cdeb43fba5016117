//! Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP,
//! XREAD BLOCK and XREADGROUP BLOCK. Served at once, blocked then served by other clients'
//! writes, timeouts, FIFO order, atomic serving, keys on several shards, CLIENT UNBLOCK, MULTI,
//! scripts and the idle timeout.
//! A test waits until its client shows as blocked (`flags=b` in CLIENT LIST) before writing,
//! so nothing depends on timing.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::sync::{Arc, Barrier};
use std::thread;

use ferrokv_tests::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// `n` keys `bl:<test>:<i>`, the i-th on shard `i % 4`.
fn keys(test: &str, n: usize) -> Vec<String> {
    spread_keys(&format!("bl:{test}:"), n, DEFAULT_SHARDS)
}

fn popped(key: &str, elem: &str) -> Resp {
    bulks(&[key, elem])
}

fn zpopped(key: &str, member: &str, score: &str) -> Resp {
    bulks(&[key, member, score])
}

/// `[key, [elems...]]` of BLMPOP.
fn mpopped(key: &str, elems: &[&str]) -> Resp {
    arr(vec![bulk(key), bulks(elems)])
}

/// `[key, [[member, score]...]]` of BZMPOP.
fn zmpopped(key: &str, pairs: &[(&str, &str)]) -> Resp {
    arr(vec![
        bulk(key),
        arr(pairs.iter().map(|(m, s)| bulks(&[m, s])).collect()),
    ])
}

fn lrange(c: &mut RawConn, key: &str) -> Resp {
    c.cmd(&["LRANGE", key, "0", "-1"])
}

#[test]
fn served_at_once_when_data_exists() {
    let k = keys("now", 6);
    let mut c = shared().raw();
    c.del(&k);
    assert_eq!(c.cmd(&["RPUSH", &k[1], "a", "b", "c", "d"]), int(4));
    // The first non-empty key in the order given.
    assert_eq!(c.cmd(&["BLPOP", &k[0], &k[1], "0"]), popped(&k[1], "a"));
    assert_eq!(c.cmd(&["BRPOP", &k[0], &k[1], "1"]), popped(&k[1], "d"));
    assert_eq!(
        c.cmd(&["BLMOVE", &k[1], &k[2], "LEFT", "RIGHT", "0"]),
        bulk("b")
    );
    assert_eq!(c.cmd(&["BRPOPLPUSH", &k[1], &k[2], "0"]), bulk("c"));
    assert_eq!(c.cmd(&["EXISTS", &k[1]]), int(0));
    assert_eq!(lrange(&mut c, &k[2]), bulks(&["c", "b"]));
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "2", &k[0], &k[2], "RIGHT", "COUNT", "5"]),
        mpopped(&k[2], &["b", "c"])
    );
    assert_eq!(
        c.cmd(&["ZADD", &k[3], "1", "a", "2", "b", "3", "c"]),
        int(3)
    );
    assert_eq!(
        c.cmd(&["BZPOPMIN", &k[0], &k[3], "0"]),
        zpopped(&k[3], "a", "1")
    );
    assert_eq!(
        c.cmd(&["BZPOPMAX", &k[0], &k[3], "0.5"]),
        zpopped(&k[3], "c", "3")
    );
    assert_eq!(
        c.cmd(&["BZMPOP", "0", "2", &k[0], &k[3], "MIN", "COUNT", "9"]),
        zmpopped(&k[3], &[("b", "2")])
    );
    assert_eq!(c.cmd(&["EXISTS", &k[3]]), int(0));
    // A key of the wrong type is an error, even when a later key has data.
    assert_eq!(c.cmd(&["SET", &k[4], "s"]), ok());
    assert_eq!(c.cmd(&["RPUSH", &k[5], "x"]), int(1));
    assert_eq!(c.cmd(&["BLPOP", &k[4], &k[5], "0"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["BZPOPMIN", &k[4], "0"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["BLMPOP", "0", "1", &k[4], "LEFT"]), err(WRONGTYPE));
    assert_eq!(
        c.cmd(&["BLMOVE", &k[5], &k[4], "LEFT", "LEFT", "0"]),
        err(WRONGTYPE)
    );
    assert_eq!(lrange(&mut c, &k[5]), bulks(&["x"]));
    c.del(&k);
}

#[test]
fn argument_errors() {
    let k = keys("args", 1);
    let key = k[0].as_str();
    let mut c = shared().raw();
    let not_float = err("ERR timeout is not a float or out of range");
    let negative = err("ERR timeout is negative");
    assert_eq!(c.cmd(&["BLPOP", key, "x"]), not_float);
    assert_eq!(c.cmd(&["BLPOP", key, "nan"]), not_float);
    assert_eq!(c.cmd(&["BLPOP", key, "-1"]), negative);
    // Redis 7.0 scales to ms and converts without a range check: huge values come out negative.
    assert_eq!(c.cmd(&["BRPOP", key, "inf"]), negative);
    assert_eq!(c.cmd(&["BRPOP", key, "-inf"]), negative);
    assert_eq!(c.cmd(&["BZPOPMIN", key, "1e30"]), negative);
    assert_eq!(c.cmd(&["BLMOVE", key, key, "LEFT", "LEFT", "-2"]), negative);
    assert_eq!(c.cmd(&["BLMPOP", "x", "1", key, "LEFT"]), not_float);
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "-1", "STREAMS", key, "$"]),
        negative
    );
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "1.5", "STREAMS", key, "$"]),
        err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "0", key, "LEFT"]),
        err("ERR numkeys should be greater than 0")
    );
    assert_eq!(c.cmd(&["BLMPOP", "0", "1", key, "UP"]), syntax_err());
    assert_eq!(c.cmd(&["BLMPOP", "0", "2", key, "LEFT"]), syntax_err());
    assert_eq!(
        c.cmd(&["BLMPOP", "0", "1", key, "LEFT", "COUNT", "0"]),
        err("ERR count should be greater than 0")
    );
    assert_eq!(c.cmd(&["BZMPOP", "0", "1", key, "LEFT"]), syntax_err());
    assert_eq!(
        c.cmd(&["BLMOVE", key, key, "UP", "LEFT", "0"]),
        syntax_err()
    );
    assert_eq!(c.cmd(&["BLPOP", key]), arity_err("blpop"));
    assert_eq!(c.cmd(&["BZPOPMAX", key]), arity_err("bzpopmax"));
    assert_eq!(c.cmd(&["BRPOPLPUSH", key, key]), arity_err("brpoplpush"));
}

#[test]
fn a_negative_timeout_that_rounds_to_zero_waits_forever() {
    // ceil(-0.0001 * 1000) is -0: no error, and no deadline.
    let k = keys("negzero", 1);
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", &k[0], "-0.0001"]);
    assert_eq!(shared().raw().cmd(&["RPUSH", &k[0], "v"]), int(1));
    assert_eq!(b.read(), popped(&k[0], "v"));
}

#[test]
fn fractional_timeouts_answer_null() {
    let k = keys("timeout", 2);
    let (a, b) = (k[0].as_str(), k[1].as_str());
    let mut c = shared().raw();
    c.del(&k);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", b, "g", "$", "MKSTREAM"]), ok());
    let cases: Vec<Vec<&str>> = vec![
        vec!["BLPOP", a, "0.01"],
        vec!["BRPOP", a, a, "0.001"],
        // BLMOVE and BRPOPLPUSH time out with a null array too (inside MULTI they answer a
        // null bulk).
        vec!["BLMOVE", a, b, "LEFT", "RIGHT", "0.02"],
        vec!["BRPOPLPUSH", a, b, "1e-9"],
        vec!["BLMPOP", "0.01", "1", a, "LEFT"],
        vec!["BZPOPMIN", a, "0.01"],
        vec!["BZPOPMAX", a, "0.01"],
        vec!["BZMPOP", "0.01", "1", a, "MAX", "COUNT", "2"],
        vec!["XREAD", "BLOCK", "10", "STREAMS", b, "$"],
        vec![
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "10",
            "STREAMS",
            b,
            ">",
        ],
    ];
    for args in &cases {
        assert_eq!(c.raw_cmd(args), b"*-1\r\n", "{args:?}");
    }
    assert_eq!(c.cmd(&["HELLO", "3"]).field("proto"), Some(int(3)));
    for args in &cases {
        assert_eq!(c.raw_cmd(args), b"_\r\n", "RESP3 {args:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", a]), int(0));
    assert_eq!(c.cmd(&["DEL", b]), int(1));
}

#[test]
fn timeout_zero_waits_until_served() {
    let k = keys("forever", 2);
    let mut forever = BlockingClient::shared();
    forever.block(&["BLPOP", &k[0], "0"]);
    // Another client times out meanwhile; the one with timeout 0 is still blocked after.
    let mut short = BlockingClient::shared();
    short.block(&["BLPOP", &k[1], "0.2"]);
    assert_eq!(short.read(), Resp::NilArray);
    forever.wait_blocked(shared(), "BLPOP");
    assert_eq!(shared().raw().cmd(&["LPUSH", &k[0], "late"]), int(1));
    assert_eq!(forever.read(), popped(&k[0], "late"));
}

#[test]
fn blocked_then_served_by_a_push_from_another_client() {
    // Each pop blocks on four keys, one per shard; the write goes to the third.
    let k = keys("served", 6);
    let (w, src, dst) = (k[2].as_str(), k[4].as_str(), k[5].as_str());
    let on_all = |before: &[&'static str], after: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = before.iter().map(|s| s.to_string()).collect();
        v.extend(k[..4].iter().cloned());
        v.extend(after.iter().map(|s| s.to_string()));
        v
    };
    let own = |args: &[&str]| -> Vec<String> { args.iter().map(|s| s.to_string()).collect() };
    // (blocking command, the write that serves it, its reply, what the write leaves)
    let cases: Vec<(Vec<String>, Vec<&str>, Resp, Resp)> = vec![
        (
            on_all(&["BLPOP"], &["0"]),
            vec!["RPUSH", w, "a", "b"],
            popped(w, "a"),
            bulks(&["b"]),
        ),
        (
            on_all(&["BRPOP"], &["5"]),
            vec!["RPUSH", w, "c", "d"],
            popped(w, "d"),
            bulks(&["c"]),
        ),
        (
            on_all(&["BLMPOP", "0", "4"], &["RIGHT", "COUNT", "2"]),
            vec!["RPUSH", w, "a", "b", "c"],
            mpopped(w, &["c", "b"]),
            bulks(&["a"]),
        ),
        (
            on_all(&["BZPOPMIN"], &["0"]),
            vec!["ZADD", w, "2", "b", "1.5", "a", "3", "c"],
            zpopped(w, "a", "1.5"),
            bulks(&["b", "c"]),
        ),
        (
            on_all(&["BZPOPMAX"], &["0"]),
            vec!["ZADD", w, "2", "b", "3", "c"],
            zpopped(w, "c", "3"),
            bulks(&["b"]),
        ),
        (
            on_all(&["BZMPOP", "0", "4"], &["MAX", "COUNT", "2"]),
            vec!["ZADD", w, "1", "a", "2", "b", "3", "c"],
            zmpopped(w, &[("c", "3"), ("b", "2")]),
            bulks(&["a"]),
        ),
        // The moving forms wait on their source alone; the destination is on another shard.
        (
            own(&["BLMOVE", src, dst, "RIGHT", "LEFT", "0"]),
            vec!["RPUSH", src, "a", "b"],
            bulk("b"),
            bulks(&["a"]),
        ),
        (
            own(&["BRPOPLPUSH", &k[3], dst, "0"]),
            vec!["LPUSH", &k[3], "z"],
            bulk("z"),
            arr(vec![]),
        ),
    ];
    let mut p = shared().raw();
    p.del(&k);
    for (args, write, want, left) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut b = BlockingClient::shared();
        b.block(&args);
        assert!(!p.cmd(&write).is_error(), "{write:?}");
        assert_eq!(b.read(), want, "{args:?} served by {write:?}");
        let key = write[1];
        let rest = match write[0] {
            "ZADD" => p.cmd(&["ZRANGE", key, "0", "-1"]),
            _ => lrange(&mut p, key),
        };
        assert_eq!(rest, left, "{args:?} served by {write:?}");
        if key == w {
            assert_eq!(p.cmd(&["DEL", key]), int(1));
        }
    }
    assert_eq!(lrange(&mut p, dst), bulks(&["z", "b"]));
    p.del(&k);
}

#[test]
fn served_by_lmove_rename_and_exec() {
    let k = keys("writes", 4);
    let mut p = shared().raw();
    p.del(&k);
    // LMOVE into the awaited key, from a key on another shard.
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", &k[0], "0"]);
    assert_eq!(p.cmd(&["RPUSH", &k[1], "1", "2"]), int(2));
    assert_eq!(p.cmd(&["LMOVE", &k[1], &k[0], "LEFT", "RIGHT"]), bulk("1"));
    assert_eq!(b.read(), popped(&k[0], "1"));
    assert_eq!(p.cmd(&["EXISTS", &k[0]]), int(0));
    // RENAME of a list onto the awaited key.
    b.block(&["BRPOP", &k[0], "0"]);
    assert_eq!(p.cmd(&["RENAME", &k[1], &k[0]]), ok());
    assert_eq!(b.read(), popped(&k[0], "2"));
    assert_eq!(p.cmd(&["EXISTS", &k[0]]), int(0));
    assert_eq!(p.cmd(&["EXISTS", &k[1]]), int(0));
    // A sorted set renamed onto the key of a BZPOPMIN.
    b.block(&["BZPOPMIN", &k[2], "0"]);
    assert_eq!(p.cmd(&["ZADD", &k[3], "1", "m", "2", "n"]), int(2));
    assert_eq!(p.cmd(&["RENAME", &k[3], &k[2]]), ok());
    assert_eq!(b.read(), zpopped(&k[2], "m", "1"));
    assert_eq!(p.cmd(&["ZRANGE", &k[2], "0", "-1"]), bulks(&["n"]));
    assert_eq!(p.cmd(&["DEL", &k[2]]), int(1));
    // EXEC: served once the transaction is done, so from its final state.
    b.block(&["BLPOP", &k[0], &k[1], "0"]);
    assert_eq!(p.cmd(&["MULTI"]), ok());
    assert_eq!(p.cmd(&["LPUSH", &k[0], "a"]), simple("QUEUED"));
    assert_eq!(p.cmd(&["LPUSH", &k[0], "b"]), simple("QUEUED"));
    assert_eq!(p.cmd(&["LLEN", &k[0]]), simple("QUEUED"));
    assert_eq!(p.cmd(&["EXEC"]), arr(vec![int(1), int(2), int(2)]));
    assert_eq!(b.read(), popped(&k[0], "b"));
    assert_eq!(lrange(&mut p, &k[0]), bulks(&["a"]));
    // A transaction that pushes and pops leaves nothing: the client stays blocked.
    b.block(&["BLPOP", &k[1], "0"]);
    assert_eq!(p.cmd(&["MULTI"]), ok());
    assert_eq!(p.cmd(&["RPUSH", &k[1], "x"]), simple("QUEUED"));
    assert_eq!(p.cmd(&["RPOP", &k[1]]), simple("QUEUED"));
    assert_eq!(p.cmd(&["EXEC"]), arr(vec![int(1), bulk("x")]));
    b.wait_blocked(shared(), "BLPOP");
    assert_eq!(p.cmd(&["RPUSH", &k[1], "y"]), int(1));
    assert_eq!(b.read(), popped(&k[1], "y"));
    p.del(&k);
}

#[test]
fn clients_blocked_on_one_key_are_served_first_come_first_served() {
    let k = keys("fifo", 1);
    let key = k[0].as_str();
    let mut p = shared().raw();
    p.del(&k);
    let mut clients: Vec<BlockingClient> = (0..5).map(|_| BlockingClient::shared()).collect();
    for b in &mut clients {
        b.block(&["BLPOP", key, "0"]);
    }
    // One push of five elements: each client takes the head in turn.
    assert_eq!(p.cmd(&["RPUSH", key, "1", "2", "3", "4", "5"]), int(5));
    for (i, b) in clients.iter_mut().enumerate() {
        assert_eq!(b.read(), popped(key, &(i + 1).to_string()), "client {i}");
    }
    assert_eq!(p.cmd(&["EXISTS", key]), int(0));
    // One push per element, the other way round.
    for b in clients.iter_mut().rev() {
        b.block(&["BRPOP", key, "0"]);
    }
    for i in 0..5 {
        assert_eq!(p.cmd(&["LPUSH", key, &i.to_string()]), int(1));
    }
    for (i, b) in clients.iter_mut().rev().enumerate() {
        assert_eq!(b.read(), popped(key, &i.to_string()), "client {i}");
    }
    assert_eq!(p.cmd(&["EXISTS", key]), int(0));
}

#[test]
fn one_push_of_several_elements_serves_several_clients() {
    let k = keys("several", 1);
    let key = k[0].as_str();
    let mut p = shared().raw();
    p.del(&k);
    let mut clients: Vec<BlockingClient> = (0..3).map(|_| BlockingClient::shared()).collect();
    for b in &mut clients {
        b.block(&["BRPOP", key, "0"]);
    }
    // LPUSH answers the length it made; the clients then take from the tail, the rest stays.
    assert_eq!(p.cmd(&["LPUSH", key, "a", "b", "c", "d"]), int(4));
    for (b, want) in clients.iter_mut().zip(["a", "b", "c"]) {
        assert_eq!(b.read(), popped(key, want));
    }
    assert_eq!(lrange(&mut p, key), bulks(&["d"]));
    // Sorted sets the same way.
    p.del(&k);
    for b in &mut clients {
        b.block(&["BZPOPMAX", key, "0"]);
    }
    assert_eq!(p.cmd(&["ZADD", key, "1", "a", "2", "b"]), int(2));
    assert_eq!(clients[0].read(), zpopped(key, "b", "2"));
    assert_eq!(clients[1].read(), zpopped(key, "a", "1"));
    clients[2].wait_blocked(shared(), "BZPOPMAX");
    assert_eq!(p.cmd(&["EXISTS", key]), int(0));
    assert_eq!(p.cmd(&["ZADD", key, "5", "e"]), int(1));
    assert_eq!(clients[2].read(), zpopped(key, "e", "5"));
}

#[test]
fn a_served_push_is_never_visible_to_others() {
    let k = keys("atomic", 2);
    let mut p = shared().raw();
    p.del(&k);
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", &k[0], "0"]);
    // The next command of the same pipeline already sees the element gone.
    let replies = p.pipeline(&[
        vec!["LPUSH", &k[0], "v"],
        vec!["LLEN", &k[0]],
        vec!["LPOP", &k[0]],
        vec!["EXISTS", &k[0]],
    ]);
    assert_eq!(replies, vec![int(1), int(0), nil(), int(0)]);
    assert_eq!(b.read(), popped(&k[0], "v"));
    b.block(&["BZPOPMIN", &k[1], "0"]);
    let replies = p.pipeline(&[
        vec!["ZADD", &k[1], "1", "m"],
        vec!["ZCARD", &k[1]],
        vec!["TYPE", &k[1]],
    ]);
    assert_eq!(replies, vec![int(1), int(0), simple("none")]);
    assert_eq!(b.read(), zpopped(&k[1], "m", "1"));
    // BLMOVE: the element is in the destination by the time the push is answered. (On
    // ferrokv this holds when the destination shares the source's shard; across shards the
    // element reaches the destination just after: see the chain test below.)
    let dst = format!("{{{}}}:dst", k[0]);
    b.block(&["BLMOVE", &k[0], &dst, "LEFT", "LEFT", "0"]);
    let replies = p.pipeline(&[
        vec!["RPUSH", &k[0], "w"],
        vec!["LLEN", &k[0]],
        vec!["LRANGE", &dst, "0", "-1"],
    ]);
    assert_eq!(replies, vec![int(1), int(0), bulks(&["w"])]);
    assert_eq!(b.read(), bulk("w"));
    p.del(&k);
    p.del(&[dst]);
}

#[test]
fn blmove_chains_serve_a_client_waiting_on_the_destination() {
    // A waits to move from src to dst, B waits on dst (another shard): one push serves both.
    let k = keys("chain", 2);
    let (src, dst) = (k[0].as_str(), k[1].as_str());
    let mut p = shared().raw();
    p.del(&k);
    let mut a = BlockingClient::shared();
    a.block(&["BLMOVE", src, dst, "RIGHT", "LEFT", "0"]);
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", dst, "0"]);
    assert_eq!(p.cmd(&["RPUSH", src, "x", "y"]), int(2));
    assert_eq!(a.read(), bulk("y"));
    assert_eq!(b.read(), popped(dst, "y"));
    assert_eq!(lrange(&mut p, src), bulks(&["x"]));
    assert_eq!(p.cmd(&["EXISTS", dst]), int(0));
    p.del(&k);
}

#[test]
fn a_client_on_keys_of_several_shards_is_served_once() {
    let k = keys("multishard", 4);
    let mut p = shared().raw();
    p.del(&k);
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", &k[0], &k[1], &k[2], &k[3], "0"]);
    assert_eq!(p.cmd(&["RPUSH", &k[2], "first"]), int(1));
    assert_eq!(b.read(), popped(&k[2], "first"));
    assert_eq!(p.cmd(&["RPUSH", &k[0], "second"]), int(1));
    assert_eq!(p.cmd(&["RPUSH", &k[3], "third"]), int(1));
    assert_eq!(lrange(&mut p, &k[0]), bulks(&["second"]));
    assert_eq!(lrange(&mut p, &k[3]), bulks(&["third"]));
    assert_eq!(p.cmd(&["EXISTS", &k[2]]), int(0));
    p.del(&k);

    // Two pushes to keys of different shards at the same moment: exactly one is popped.
    for round in 0..20 {
        b.block(&["BLPOP", &k[0], &k[1], "0"]);
        let start = Arc::new(Barrier::new(2));
        let pushers: Vec<_> = k[..2]
            .iter()
            .map(|key| {
                let start = Arc::clone(&start);
                let key = key.clone();
                let mut c = shared().raw();
                thread::spawn(move || {
                    start.wait();
                    assert_eq!(c.cmd(&["RPUSH", &key, &round.to_string()]), int(1));
                })
            })
            .collect();
        for t in pushers {
            t.join().expect("pusher");
        }
        let got = b.read();
        let parts = got.as_array();
        let served = k
            .iter()
            .position(|key| parts[0].as_bytes() == key.as_bytes())
            .unwrap_or_else(|| panic!("round {round}: {got:?}"));
        assert_eq!(parts[1], bulk(round.to_string()), "round {round}");
        assert_eq!(p.cmd(&["EXISTS", &k[served]]), int(0), "round {round}");
        assert_eq!(
            p.cmd(&["LPOP", &k[1 - served]]),
            bulk(round.to_string()),
            "round {round}: the other push was lost"
        );
    }
}

#[test]
fn a_disconnected_client_leaves_the_push_in_the_list() {
    let k = keys("gone", 2);
    let mut p = shared().raw();
    p.del(&k);
    let mut b = BlockingClient::shared();
    b.block(&["BLPOP", &k[0], &k[1], "0"]);
    let id = b.id;
    b.c.reset();
    wait_gone(shared(), id);
    assert_eq!(p.cmd(&["RPUSH", &k[1], "kept"]), int(1));
    assert_eq!(lrange(&mut p, &k[1]), bulks(&["kept"]));
    // The same with a client closed politely, and a waiter behind it.
    let mut b = BlockingClient::shared();
    b.block(&["BZPOPMIN", &k[0], "0"]);
    let mut next = BlockingClient::shared();
    next.block(&["BZPOPMIN", &k[0], "0"]);
    let id = b.id;
    drop(b);
    wait_gone(shared(), id);
    assert_eq!(p.cmd(&["ZADD", &k[0], "1", "a", "2", "b"]), int(2));
    assert_eq!(next.read(), zpopped(&k[0], "a", "1"));
    assert_eq!(p.cmd(&["ZRANGE", &k[0], "0", "-1"]), bulks(&["b"]));
    p.del(&k);
}

#[test]
fn client_unblock() {
    let k = keys("unblock", 2);
    let mut q = shared().raw();
    q.del(&k);
    let unblock = |q: &mut RawConn, id: i64, how: &[&str]| {
        let mut args = vec!["CLIENT", "UNBLOCK"];
        let id = id.to_string();
        args.push(&id);
        args.extend(how);
        q.cmd(&args)
    };
    let mut b = BlockingClient::shared();
    let blocking: Vec<Vec<&str>> = vec![
        vec!["BLPOP", &k[0], &k[1], "0"],
        vec!["BLMOVE", &k[0], &k[1], "LEFT", "LEFT", "0"],
        vec!["BZMPOP", "0", "2", &k[0], &k[1], "MIN"],
        vec!["XREAD", "BLOCK", "0", "STREAMS", &k[0], "$"],
    ];
    for args in &blocking {
        b.block(args);
        assert_eq!(unblock(&mut q, b.id, &[]), int(1), "{args:?}");
        // As if the timeout had passed.
        assert_eq!(b.c.read_raw(), b"*-1\r\n", "{args:?}");
        b.block(args);
        assert_eq!(unblock(&mut q, b.id, &["TIMEOUT"]), int(1));
        assert_eq!(b.read(), Resp::NilArray);
        b.block(args);
        assert_eq!(unblock(&mut q, b.id, &["error"]), int(1));
        assert_eq!(
            b.read(),
            err("UNBLOCKED client unblocked via CLIENT UNBLOCK")
        );
    }
    // The client works normally after.
    assert_eq!(b.c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(b.c.cmd(&["HELLO", "3"]).field("proto"), Some(int(3)));
    b.block(&["BRPOP", &k[0], "0"]);
    assert_eq!(unblock(&mut q, b.id, &["TIMEOUT"]), int(1));
    assert_eq!(b.c.read_raw(), b"_\r\n");
    // Clients that are not blocked, or not there.
    assert_eq!(unblock(&mut q, b.id, &[]), int(0));
    assert_eq!(unblock(&mut q, b.id, &["ERROR"]), int(0));
    assert_eq!(unblock(&mut q, 999_999_999, &[]), int(0));
    assert_eq!(
        unblock(&mut q, b.id, &["FOO"]),
        err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    );
    assert_eq!(
        q.cmd(&["CLIENT", "UNBLOCK", "x"]),
        err("ERR value is not an integer or out of range")
    );
    // An unblocked client is no longer waiting: a later push stays.
    b.block(&["BLPOP", &k[0], "0"]);
    assert_eq!(unblock(&mut q, b.id, &[]), int(1));
    assert_eq!(b.read(), Resp::Null);
    assert_eq!(q.cmd(&["RPUSH", &k[0], "stays"]), int(1));
    assert_eq!(lrange(&mut q, &k[0]), bulks(&["stays"]));
    q.del(&k);
}

#[test]
fn blocking_commands_inside_multi_answer_at_once() {
    let k = keys("multi", 3);
    let (a, s, z) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    let mut c = shared().raw();
    c.del(&k);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", s, "g", "$", "MKSTREAM"]), ok());
    let cmds: Vec<Vec<&str>> = vec![
        vec!["BLPOP", a, "0"],
        vec!["BRPOP", a, "0"],
        vec!["BRPOPLPUSH", a, z, "0"],
        vec!["BLMOVE", a, z, "LEFT", "RIGHT", "0"],
        vec!["BLMPOP", "0", "1", a, "LEFT"],
        vec!["BZPOPMIN", a, "0"],
        vec!["BZPOPMAX", a, "0"],
        vec!["BZMPOP", "0", "1", a, "MIN"],
        vec!["XREAD", "BLOCK", "0", "STREAMS", s, "$"],
        vec![
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            s,
            ">",
        ],
    ];
    let run = |c: &mut RawConn| -> Vec<u8> {
        assert_eq!(c.cmd(&["MULTI"]), ok());
        for args in &cmds {
            assert_eq!(c.cmd(args), simple("QUEUED"), "{args:?}");
        }
        c.raw_cmd(&["EXEC"])
    };
    // Null arrays, except null bulks for the moving forms.
    assert_eq!(
        run(&mut c),
        b"*10\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n*-1\r\n".to_vec()
    );
    assert_eq!(c.cmd(&["HELLO", "3"]).field("proto"), Some(int(3)));
    assert_eq!(
        run(&mut c),
        b"*10\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n".to_vec()
    );
    assert_eq!(c.cmd(&["HELLO", "2"]).field("proto"), Some(int(2)));
    // With data they pop as usual.
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["RPUSH", a, "1", "2"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["BLPOP", a, "0"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["BLMOVE", a, z, "LEFT", "RIGHT", "0"]),
        simple("QUEUED")
    );
    assert_eq!(c.cmd(&["BLPOP", a, "0"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![int(2), popped(a, "1"), bulk("2"), Resp::NilArray])
    );
    assert_eq!(lrange(&mut c, z), bulks(&["2"]));
    c.del(&k);
}

#[test]
fn blocking_commands_in_scripts() {
    // Redis 7.0 refuses the single-key blocking pops in scripts, refuses XREAD/XREADGROUP with
    // BLOCK, and runs BLMPOP and BZMPOP as their non-blocking forms.
    let k = keys("script", 2);
    let mut c = shared().raw();
    c.del(&k);
    let eval = |c: &mut RawConn, call: &str| -> Resp {
        let body = format!("return {call}");
        c.send_and_read(&keys_command("EVAL", &body, &[&k[0], &k[1]], &[]))
    };
    let not_allowed = err("ERR This Redis command is not allowed from script");
    for call in [
        "redis.pcall('blpop', KEYS[1], 0)",
        "redis.pcall('brpop', KEYS[1], 0)",
        "redis.pcall('blmove', KEYS[1], KEYS[2], 'left', 'left', 0)",
        "redis.pcall('brpoplpush', KEYS[1], KEYS[2], 0)",
        "redis.pcall('bzpopmin', KEYS[1], 0)",
        "redis.pcall('bzpopmax', KEYS[1], 0)",
    ] {
        assert_eq!(eval(&mut c, call), not_allowed, "{call}");
    }
    assert_eq!(
        eval(
            &mut c,
            "redis.pcall('xread', 'block', 0, 'streams', KEYS[1], '$')"
        ),
        err("ERR xread command is not allowed with BLOCK option from scripts")
    );
    assert_eq!(
        eval(
            &mut c,
            "redis.pcall('xreadgroup', 'group', 'g', 'c', 'block', 0, 'streams', KEYS[1], '>')"
        ),
        err("ERR xreadgroup command is not allowed with BLOCK option from scripts")
    );
    // Not even when data is there.
    assert_eq!(c.cmd(&["RPUSH", &k[0], "a", "b"]), int(2));
    assert_eq!(
        eval(&mut c, "redis.pcall('blpop', KEYS[1], 0)"),
        not_allowed
    );
    // BLMPOP and BZMPOP pop what is there, or answer nil (Lua false) at once.
    assert_eq!(
        eval(
            &mut c,
            "redis.call('blmpop', 0, 2, KEYS[2], KEYS[1], 'left')"
        ),
        mpopped(&k[0], &["a"])
    );
    assert_eq!(
        eval(&mut c, "redis.call('blmpop', 0, 1, KEYS[2], 'left')"),
        nil()
    );
    assert_eq!(c.cmd(&["ZADD", &k[1], "1", "m"]), int(1));
    assert_eq!(
        eval(&mut c, "redis.call('bzmpop', 0, 1, KEYS[2], 'max')"),
        zmpopped(&k[1], &[("m", "1")])
    );
    assert_eq!(
        eval(&mut c, "redis.call('bzmpop', 0, 1, KEYS[2], 'max')"),
        nil()
    );
    assert_eq!(lrange(&mut c, &k[0]), bulks(&["b"]));
    c.del(&k);
}

#[test]
fn the_idle_timeout_does_not_drop_a_blocked_client() {
    // Its own server: `timeout 1` would drop idle connections of the other tests.
    let srv = start_target(DEFAULT_SHARDS, &[]);
    let mut admin = srv.raw();
    assert_eq!(admin.cmd(&["CONFIG", "SET", "timeout", "1"]), ok());
    let mut blocked = BlockingClient::on(&srv);
    blocked.block_on(&srv, &["BLPOP", "bl:idle", "0"]);
    let mut timed = BlockingClient::on(&srv);
    timed.block_on(&srv, &["BLPOP", "bl:idle2", "3"]);
    // An idle client connected after them is dropped: the idle check has run on them too.
    let mut idle = srv.raw();
    assert_eq!(idle.cmd(&["PING"]), simple("PONG"));
    assert!(
        idle.closed_within(BLOCK_WAIT),
        "the idle client was not dropped"
    );
    blocked.wait_blocked(&srv, "BLPOP");
    // The one with a timeout gets its null reply, not a closed connection.
    assert_eq!(timed.read(), Resp::NilArray);
    assert_eq!(srv.raw().cmd(&["RPUSH", "bl:idle", "v"]), int(1));
    assert_eq!(blocked.read(), popped("bl:idle", "v"));
    assert_eq!(srv.raw().cmd(&["CONFIG", "SET", "timeout", "0"]), ok());
}

#[test]
fn xread_block_served_by_xadd() {
    let k = keys("xread", 4);
    let mut p = shared().raw();
    p.del(&k);
    assert_eq!(p.cmd(&["XADD", &k[1], "1-1", "old", "x"]), bulk("1-1"));
    // `$` on a stream that does not exist yet and on one that has entries, on two shards.
    let mut b = BlockingClient::shared();
    b.block(&[
        "XREAD", "COUNT", "10", "BLOCK", "0", "STREAMS", &k[0], &k[1], "$", "$",
    ]);
    assert!(!p.cmd(&["XADD", &k[2], "*", "f", "v"]).is_error());
    let id = p.cmd(&["XADD", &k[1], "2-1", "f", "v"]);
    assert_eq!(id, bulk("2-1"));
    assert_eq!(
        b.read(),
        arr(vec![arr(vec![
            bulk(&k[1]),
            arr(vec![arr(vec![bulk("2-1"), bulks(&["f", "v"])])]),
        ])])
    );
    b.block(&["XREAD", "BLOCK", "0", "STREAMS", &k[0], &k[1], "$", "$"]);
    assert_eq!(
        p.cmd(&["XADD", &k[0], "5-5", "a", "1", "b", "2"]),
        bulk("5-5")
    );
    assert_eq!(
        b.read(),
        arr(vec![arr(vec![
            bulk(&k[0]),
            arr(vec![arr(vec![bulk("5-5"), bulks(&["a", "1", "b", "2"])])]),
        ])])
    );
    // An explicit ID: served by the first entry after it.
    b.block(&["XREAD", "BLOCK", "0", "STREAMS", &k[1], "2-1"]);
    assert_eq!(p.cmd(&["XADD", &k[1], "3-0", "g", "w"]), bulk("3-0"));
    assert_eq!(
        b.read(),
        arr(vec![arr(vec![
            bulk(&k[1]),
            arr(vec![arr(vec![bulk("3-0"), bulks(&["g", "w"])])]),
        ])])
    );
    // Several readers of one stream all get the entry.
    let mut readers: Vec<BlockingClient> = (0..3).map(|_| BlockingClient::shared()).collect();
    for r in &mut readers {
        r.block(&["XREAD", "BLOCK", "0", "STREAMS", &k[3], "$"]);
    }
    assert_eq!(p.cmd(&["XADD", &k[3], "9-9", "x", "y"]), bulk("9-9"));
    for r in &mut readers {
        assert_eq!(
            r.read(),
            arr(vec![arr(vec![
                bulk(&k[3]),
                arr(vec![arr(vec![bulk("9-9"), bulks(&["x", "y"])])]),
            ])])
        );
    }
    p.del(&k);
}

#[test]
fn xreadgroup_block_served_by_xadd() {
    let k = keys("xgroup", 2);
    let mut p = shared().raw();
    p.del(&k);
    for s in &k {
        assert_eq!(p.cmd(&["XGROUP", "CREATE", s, "g", "$", "MKSTREAM"]), ok());
    }
    let mut b = BlockingClient::shared();
    b.block(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "BLOCK",
        "0",
        "STREAMS",
        &k[0],
        &k[1],
        ">",
        ">",
    ]);
    assert_eq!(p.cmd(&["XADD", &k[1], "7-1", "f", "v"]), bulk("7-1"));
    assert_eq!(
        b.read(),
        arr(vec![arr(vec![
            bulk(&k[1]),
            arr(vec![arr(vec![bulk("7-1"), bulks(&["f", "v"])])]),
        ])])
    );
    // Delivered to alice: pending until acknowledged.
    assert_eq!(
        p.cmd(&["XPENDING", &k[1], "g"]),
        arr(vec![
            int(1),
            bulk("7-1"),
            bulk("7-1"),
            arr(vec![bulks(&["alice", "1"])]),
        ])
    );
    // Two consumers of one group: one entry goes to one of them, the next to the other.
    let mut c2 = BlockingClient::shared();
    b.block(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "BLOCK",
        "0",
        "STREAMS",
        &k[0],
        ">",
    ]);
    c2.block(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "bob",
        "BLOCK",
        "0",
        "STREAMS",
        &k[0],
        ">",
    ]);
    assert_eq!(p.cmd(&["XADD", &k[0], "1-1", "n", "1"]), bulk("1-1"));
    assert_eq!(
        b.read(),
        arr(vec![arr(vec![
            bulk(&k[0]),
            arr(vec![arr(vec![bulk("1-1"), bulks(&["n", "1"])])]),
        ])])
    );
    c2.wait_blocked(shared(), "XREADGROUP");
    assert_eq!(p.cmd(&["XADD", &k[0], "1-2", "n", "2"]), bulk("1-2"));
    assert_eq!(
        c2.read(),
        arr(vec![arr(vec![
            bulk(&k[0]),
            arr(vec![arr(vec![bulk("1-2"), bulks(&["n", "2"])])]),
        ])])
    );
    assert_eq!(p.cmd(&["XACK", &k[0], "g", "1-1", "1-2"]), int(2));
    assert_eq!(p.cmd(&["XACK", &k[1], "g", "7-1"]), int(1));
    assert_eq!(
        p.cmd(&["XPENDING", &k[0], "g"]),
        arr(vec![int(0), nil(), nil(), Resp::NilArray])
    );
    p.del(&k);
}
