//! Keyspace notifications, listened to with the `redis` crate's pub/sub: the events of each
//! command family, no-op writes that publish nothing, cache invalidation by key prefix, expiry,
//! keys on every shard. Events of one key arrive in order; events of keys on different shards
//! are compared key by key, since nothing orders them across shards.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use ferrokv_tests::*;

/// The shared server with `notify-keyspace-events KEA`, which every test here relies on.
fn server() -> &'static TestServer {
    static CONFIGURED: OnceLock<()> = OnceLock::new();
    let server = shared();
    CONFIGURED.get_or_init(|| {
        let set = server
            .raw()
            .cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        assert_eq!(set, ok());
    });
    server
}

/// A PSUBSCRIBEd connection that only reports the notifications about keys starting with
/// `prefix` (other tests share the server and its channels).
struct Listener<'a> {
    pubsub: redis::PubSub<'a>,
    prefix: String,
}

impl<'a> Listener<'a> {
    fn new(conn: &'a mut redis::Connection, prefix: &str, patterns: &[&str]) -> Listener<'a> {
        let mut pubsub = conn.as_pubsub();
        for p in patterns {
            pubsub.psubscribe(*p).expect("PSUBSCRIBE");
        }
        Listener {
            pubsub,
            prefix: prefix.to_owned(),
        }
    }

    /// The next notification about one of our keys, as `channel payload`.
    fn next(&mut self) -> String {
        loop {
            let msg = self.pubsub.get_message().expect("a notification in time");
            let channel = msg.get_channel_name().to_owned();
            let payload: String = msg.get_payload().expect("a text payload");
            let key = match channel.split_once("__:") {
                Some((kind, key)) if kind.starts_with("__keyspace@") => key,
                _ => payload.as_str(),
            };
            if key.starts_with(&self.prefix) {
                return format!("{channel} {payload}");
            }
        }
    }

    fn take(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.next()).collect()
    }

    /// The next `n` keyspace notifications, grouped by key: each key's events in order.
    fn by_key(&mut self, n: usize) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for line in self.take(n) {
            let (channel, event) = line.split_once(' ').expect("channel and payload");
            let (_, key) = channel.split_once("__:").expect("a keyspace channel");
            out.entry(key.to_owned())
                .or_default()
                .push(event.to_owned());
        }
        out
    }
}

/// `__keyspace@0__:<key> <event>`.
fn ks(key: &str, event: &str) -> String {
    format!("__keyspace@0__:{key} {event}")
}

/// `__keyevent@0__:<event> <key>`.
fn ke(event: &str, key: &str) -> String {
    format!("__keyevent@0__:{event} {key}")
}

/// Keyspace events per key, as `Listener::by_key` gives them.
fn per_key(events: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    events
        .iter()
        .map(|(k, evs)| (k.to_string(), evs.iter().map(|e| e.to_string()).collect()))
        .collect()
}

fn run(c: &mut RawConn, line: &str) -> Resp {
    c.cmd(&line.split(' ').collect::<Vec<_>>())
}

#[test]
fn cache_invalidation_by_key_prefix() {
    let server = server();
    let mut conn = server.conn();
    let pattern = "__keyspace@0__:nt:cache:user:*";
    let mut sub = Listener::new(&mut conn, "nt:cache:user:", &[pattern]);
    let mut c = server.raw();
    run(&mut c, "DEL nt:cache:user:1 nt:cache:user:2");
    for line in [
        "SET nt:cache:user:1 alice",
        "SET nt:cache:other:1 x",
        "SET nt:cache:user:1 bob",
        "GET nt:cache:user:1",
        "EXPIRE nt:cache:user:1 100",
        "HSET nt:cache:user:2 name carol",
        "DEL nt:cache:user:1 nt:cache:user:2",
        "DEL nt:cache:other:1",
    ] {
        assert!(!run(&mut c, line).is_error(), "{line}");
    }
    assert_eq!(
        sub.by_key(6),
        per_key(&[
            ("nt:cache:user:1", &["set", "set", "expire", "del"]),
            ("nt:cache:user:2", &["hset", "del"]),
        ])
    );
}

#[test]
fn both_channels_carry_each_event() {
    let server = server();
    let mut conn = server.conn();
    let patterns = ["__keyspace@0__:nt:both:*", "__keyevent@0__:*"];
    let mut sub = Listener::new(&mut conn, "nt:both:", &patterns);
    let mut c = server.raw();
    assert_eq!(run(&mut c, "SET nt:both:k 1 EX 100"), ok());
    assert_eq!(run(&mut c, "INCRBYFLOAT nt:both:k 1.5"), bulk("2.5"));
    assert_eq!(run(&mut c, "GETEX nt:both:k PERSIST"), bulk("2.5"));
    assert_eq!(run(&mut c, "DEL nt:both:k"), int(1));
    assert_eq!(
        sub.take(10),
        [
            ks("nt:both:k", "set"),
            ke("set", "nt:both:k"),
            ks("nt:both:k", "expire"),
            ke("expire", "nt:both:k"),
            ks("nt:both:k", "incrbyfloat"),
            ke("incrbyfloat", "nt:both:k"),
            ks("nt:both:k", "persist"),
            ke("persist", "nt:both:k"),
            ks("nt:both:k", "del"),
            ke("del", "nt:both:k"),
        ]
    );
}

#[test]
fn every_family_names_its_events_as_redis() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:fam:", &["__keyspace@0__:nt:fam:*"]);
    let mut c = server.raw();
    // Each key below is used by one command sequence, so its events arrive in order whatever
    // shard it is on.
    let script = [
        ("SET nt:fam:s a", "set"),
        ("APPEND nt:fam:s b", "append"),
        ("SETRANGE nt:fam:s 0 z", "setrange"),
        ("INCR nt:fam:n", "incrby"),
        ("DECRBY nt:fam:n 5", "incrby"),
        ("SETBIT nt:fam:b 7 1", "setbit"),
        ("BITFIELD nt:fam:b SET u8 8 255", "setbit"),
        ("PFADD nt:fam:h a b", "pfadd"),
        ("RPUSH nt:fam:l c a b", "rpush"),
        ("LPUSH nt:fam:l d", "lpush"),
        ("LSET nt:fam:l 0 e", "lset"),
        ("LINSERT nt:fam:l BEFORE e f", "linsert"),
        ("LREM nt:fam:l 1 f", "lrem"),
        ("LTRIM nt:fam:l 0 2", "ltrim"),
        ("HSET nt:fam:hash f 1", "hset"),
        ("HINCRBY nt:fam:hash f 2", "hincrby"),
        ("HINCRBYFLOAT nt:fam:hash f 0.5", "hincrbyfloat"),
        ("HDEL nt:fam:hash f", "hdel"),
        ("SADD nt:fam:set a b c", "sadd"),
        ("SREM nt:fam:set a", "srem"),
        ("ZADD nt:fam:z 1 a 2 b 3 c 4 d", "zadd"),
        ("ZINCRBY nt:fam:z 1 a", "zincr"),
        ("ZREM nt:fam:z d", "zrem"),
        ("ZREMRANGEBYSCORE nt:fam:z 3 3", "zremrangebyscore"),
        ("ZPOPMIN nt:fam:z", "zpopmin"),
        ("ZPOPMAX nt:fam:z", "zpopmax"),
        ("EXPIRE nt:fam:s 100", "expire"),
        ("PERSIST nt:fam:s", "persist"),
    ];
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (line, event) in script {
        assert!(!run(&mut c, line).is_error(), "{line}");
        let key = line.split(' ').nth(1).unwrap_or_default().to_owned();
        expected.entry(key).or_default().push(event.to_owned());
    }
    // HDEL of the last field and the pops that empty the sorted set also delete the key.
    for key in ["nt:fam:hash", "nt:fam:z"] {
        expected
            .entry(key.to_owned())
            .or_default()
            .push("del".to_owned());
    }
    assert_eq!(sub.by_key(script.len() + 2), expected);
    run(
        &mut c,
        "DEL nt:fam:s nt:fam:n nt:fam:b nt:fam:h nt:fam:l nt:fam:set",
    );
}

#[test]
fn no_op_writes_publish_nothing() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:noop:", &["__keyspace@0__:nt:noop:*"]);
    let mut c = server.raw();
    let key = "nt:noop:k";
    assert_eq!(run(&mut c, "SADD nt:noop:k a"), int(1));
    for (line, reply) in [
        ("SADD nt:noop:k a", int(0)),
        ("SREM nt:noop:k zz", int(0)),
        ("SMOVE nt:noop:k nt:noop:k a", int(1)),
        ("EXPIRE nt:noop:k 100 XX", int(0)),
        ("PERSIST nt:noop:k", int(0)),
        ("DEL nt:noop:missing", int(0)),
        ("SET nt:noop:k x NX", nil()),
        ("RENAME nt:noop:k nt:noop:k", ok()),
    ] {
        assert_eq!(run(&mut c, line), reply, "{line}");
    }
    // The key's only events: the first SADD, then this one.
    assert_eq!(run(&mut c, "SADD nt:noop:k b"), int(1));
    assert_eq!(sub.take(2), [ks(key, "sadd"), ks(key, "sadd")]);
    run(&mut c, "DEL nt:noop:k");
}

#[test]
fn a_collection_emptied_by_a_pop_is_deleted_after_the_pop() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:pop:", &["__keyspace@0__:nt:pop:*"]);
    let mut c = server.raw();
    for line in [
        "RPUSH nt:pop:l a",
        "RPOP nt:pop:l",
        "SADD nt:pop:s a",
        "SPOP nt:pop:s",
        "ZADD nt:pop:z 1 a",
        "ZPOPMAX nt:pop:z",
        "HSET nt:pop:h f v",
        "HDEL nt:pop:h f",
        "RPUSH nt:pop:m a b",
        "LMPOP 1 nt:pop:m LEFT COUNT 5",
    ] {
        assert!(!run(&mut c, line).is_error(), "{line}");
    }
    assert_eq!(
        sub.by_key(15),
        per_key(&[
            ("nt:pop:l", &["rpush", "rpop", "del"]),
            ("nt:pop:s", &["sadd", "spop", "del"]),
            ("nt:pop:z", &["zadd", "zpopmax", "del"]),
            ("nt:pop:h", &["hset", "hdel", "del"]),
            ("nt:pop:m", &["rpush", "lpop", "del"]),
        ])
    );
}

#[test]
fn expire_in_the_past_deletes() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:past:", &["__keyspace@0__:nt:past:*"]);
    let mut c = server.raw();
    assert_eq!(run(&mut c, "SET nt:past:k v"), ok());
    assert_eq!(run(&mut c, "EXPIRE nt:past:k -1"), int(1));
    assert_eq!(run(&mut c, "EXISTS nt:past:k"), int(0));
    assert_eq!(
        sub.take(2),
        [ks("nt:past:k", "set"), ks("nt:past:k", "del")]
    );
}

#[test]
fn keys_on_every_shard() {
    let server = server();
    let mut conn = server.conn();
    let patterns = ["__keyevent@0__:set", "__keyevent@0__:del"];
    let mut sub = Listener::new(&mut conn, "nt:every:", &patterns);
    let mut c = server.raw();
    let keys = spread_keys("nt:every:", 8, DEFAULT_SHARDS);
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    }
    let mut del = vec!["DEL"];
    del.extend(keys.iter().map(String::as_str));
    assert_eq!(c.cmd(&del), int(keys.len() as i64));
    let mut got = sub.take(2 * keys.len());
    got.sort();
    let mut expected: Vec<String> = keys
        .iter()
        .flat_map(|k| [ke("set", k), ke("del", k)])
        .collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn expired_keys_are_announced_on_every_shard() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:ttl:", &["__keyevent@0__:expired"]);
    let mut c = server.raw();
    let keys = spread_keys("nt:ttl:", 4, DEFAULT_SHARDS);
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v", "PX", "50"]), ok());
    }
    // Nobody reads the keys: the active expiry cycle finds them and announces each.
    let mut got = sub.take(keys.len());
    got.sort();
    let mut expected: Vec<String> = keys.iter().map(|k| ke("expired", k)).collect();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn cross_shard_commands_notify_from_each_key() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:x:", &["__keyspace@0__:nt:x:*"]);
    let mut c = server.raw();
    let [a, b, d, e]: [String; 4] =
        std::array::from_fn(|i| key_on_shard("nt:x:", i, DEFAULT_SHARDS));
    let cmd = |c: &mut RawConn, args: &[&str]| {
        let r = c.cmd(args);
        assert!(!r.is_error(), "{args:?}: {r:?}");
        r
    };
    cmd(&mut c, &["SADD", &a, "1", "2"]);
    cmd(&mut c, &["SADD", &b, "2", "3"]);
    assert_eq!(cmd(&mut c, &["SINTERSTORE", &d, &a, &b]), int(1));
    assert_eq!(
        cmd(&mut c, &["SINTERSTORE", &d, &a, "nt:x:missing"]),
        int(0)
    );
    assert_eq!(cmd(&mut c, &["SMOVE", &a, &e, "1"]), int(1));
    assert_eq!(cmd(&mut c, &["RENAME", &e, &d]), ok());
    assert_eq!(cmd(&mut c, &["COPY", &b, &e]), int(1));
    assert_eq!(
        sub.by_key(9),
        per_key(&[
            (&a, &["sadd", "srem"]),
            (&b, &["sadd"]),
            (&d, &["sinterstore", "del", "rename_to"]),
            (&e, &["sadd", "rename_from", "copy_to"]),
        ])
    );
    c.del(&[&a, &b, &d, &e]);
}

#[test]
fn lists_move_between_shards() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:lm:", &["__keyspace@0__:nt:lm:*"]);
    let mut c = server.raw();
    let [src, dst]: [String; 2] =
        std::array::from_fn(|i| key_on_shard("nt:lm:", i, DEFAULT_SHARDS));
    assert_eq!(c.cmd(&["RPUSH", &src, "a", "b"]), int(2));
    assert_eq!(c.cmd(&["LMOVE", &src, &dst, "LEFT", "RIGHT"]), bulk("a"));
    assert_eq!(c.cmd(&["RPOPLPUSH", &src, &dst]), bulk("b"));
    assert_eq!(c.cmd(&["LMOVE", &dst, &dst, "LEFT", "RIGHT"]), bulk("b"));
    assert_eq!(
        sub.by_key(8),
        per_key(&[
            (&src, &["rpush", "lpop", "rpop", "del"]),
            (&dst, &["rpush", "lpush", "rpush", "lpop"]),
        ])
    );
    c.del(&[&dst]);
}

#[test]
fn move_announces_both_databases() {
    let server = server();
    let mut conn = server.conn();
    let patterns = ["__keyspace@0__:nt:mv:*", "__keyspace@1__:nt:mv:*"];
    let mut sub = Listener::new(&mut conn, "nt:mv:", &patterns);
    let mut c = server.raw();
    assert_eq!(run(&mut c, "SET nt:mv:k v"), ok());
    assert_eq!(run(&mut c, "MOVE nt:mv:k 1"), int(1));
    assert_eq!(
        sub.take(3),
        [
            ks("nt:mv:k", "set"),
            ks("nt:mv:k", "move_from"),
            "__keyspace@1__:nt:mv:k move_to".to_owned(),
        ]
    );
    assert_eq!(run(&mut c, "SELECT 1"), ok());
    assert_eq!(run(&mut c, "DEL nt:mv:k"), int(1));
}

#[test]
fn transactions_and_scripts_notify_like_commands() {
    let server = server();
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "nt:tx:", &["__keyspace@0__:nt:tx:*"]);
    let mut c = server.raw();
    let keys = spread_keys("nt:tx:", 2, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SET", &keys[0], "1"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["LPUSH", &keys[1], "a"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![ok(), int(1)]));
    let body = "redis.call('incr', KEYS[1]); return redis.call('del', KEYS[2])";
    assert_eq!(c.cmd(&["EVAL", body, "2", &keys[0], &keys[1]]), int(1));
    assert_eq!(
        sub.by_key(4),
        per_key(&[
            (&keys[0], &["set", "incrby"]),
            (&keys[1], &["lpush", "del"])
        ])
    );
    c.del(&keys);
}

/// A server of its own: these tests change `notify-keyspace-events` and the active expiry.
fn private_server(classes: &str) -> TestServer {
    start_target(DEFAULT_SHARDS, &["--notify-keyspace-events", classes])
}

#[test]
fn new_keys_and_misses_are_announced_when_asked() {
    let server = private_server("KEAnm");
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "k", &["__keyspace@0__:*"]);
    let mut c = server.raw();
    assert_eq!(run(&mut c, "DEBUG SET-ACTIVE-EXPIRE 0"), ok());
    assert_eq!(run(&mut c, "GET k"), nil());
    assert_eq!(run(&mut c, "SET k v PX 1"), ok());
    // Only lets the millisecond TTL pass; what happens is read from the events.
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(run(&mut c, "GET k"), nil());
    assert_eq!(run(&mut c, "LPUSH k a"), int(1));
    assert_eq!(run(&mut c, "LPUSH k b"), int(2));
    assert_eq!(
        sub.take(8),
        [
            ks("k", "keymiss"),
            ks("k", "new"),
            ks("k", "set"),
            ks("k", "expire"),
            ks("k", "expired"),
            ks("k", "keymiss"),
            ks("k", "new"),
            ks("k", "lpush"),
        ]
    );
    assert_eq!(sub.next(), ks("k", "lpush"));
}

#[test]
fn classes_select_what_is_published() {
    let server = private_server("Kl");
    let mut c = server.raw();
    assert_eq!(
        run(&mut c, "CONFIG GET notify-keyspace-events"),
        bulks(&["notify-keyspace-events", "lK"])
    );
    let mut conn = server.conn();
    let mut sub = Listener::new(&mut conn, "k", &["__key*@0__:*"]);
    for line in ["SET k1 v", "SADD k2 a", "DEL k1", "LPUSH k3 a", "RPOP k3"] {
        assert!(!run(&mut c, line).is_error(), "{line}");
    }
    assert_eq!(sub.take(2), [ks("k3", "lpush"), ks("k3", "rpop")]);
    assert_eq!(run(&mut c, "CONFIG SET notify-keyspace-events Eg"), ok());
    for line in ["SET k4 v", "LPUSH k4x a", "EXPIRE k4 100", "DEL k4x"] {
        assert!(!run(&mut c, line).is_error(), "{line}");
    }
    // Two keys, maybe on two shards: each key's events keep their order, the two need not.
    let mut got = sub.take(2);
    got.sort();
    assert_eq!(got, [ke("del", "k4x"), ke("expire", "k4")]);
    assert_eq!(run(&mut c, "CONFIG SET notify-keyspace-events A"), ok());
    assert_eq!(run(&mut c, "SET k5 v"), ok());
    assert_eq!(run(&mut c, "CONFIG SET notify-keyspace-events K$"), ok());
    assert_eq!(run(&mut c, "SET k6 v"), ok());
    // Without K or E nothing went out for k5.
    assert_eq!(sub.next(), ks("k6", "set"));
}
