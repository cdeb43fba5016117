//! What every data type shares: TYPE, OBJECT ENCODING, COPY and RENAME (across shards),
//! SCAN's TYPE filter, MEMORY USAGE, WRONGTYPE from other families' commands, and deletion of
//! emptied collections.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;

/// One key of each type, created by `setup` under `key`.
fn make_all(c: &mut RawConn, prefix: &str, shard: usize) -> Vec<(&'static str, String)> {
    let k = |name: &str| key_on_shard(&format!("{prefix}:{name}"), shard, DEFAULT_SHARDS);
    let v = vec![
        ("string", k("str")),
        ("list", k("list")),
        ("hash", k("hash")),
        ("set", k("set")),
        ("zset", k("zset")),
    ];
    for (t, key) in &v {
        let reply = match *t {
            "string" => c.cmd(&["SET", key, "value"]),
            "list" => c.cmd(&["RPUSH", key, "a", "b"]),
            "hash" => c.cmd(&["HSET", key, "f", "v", "g", "w"]),
            "set" => c.cmd(&["SADD", key, "1", "2"]),
            _ => c.cmd(&["ZADD", key, "1", "a", "2", "b"]),
        };
        assert!(!reply.is_error(), "{t}: {reply:?}");
    }
    v
}

/// The whole content of `key`, by its type.
fn content(c: &mut RawConn, t: &str, key: &str) -> Resp {
    match t {
        "string" => c.cmd(&["GET", key]),
        "list" => c.cmd(&["LRANGE", key, "0", "-1"]),
        "hash" => c.cmd(&["HGETALL", key]),
        "set" => c.cmd(&["SMEMBERS", key]),
        _ => c.cmd(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
    }
}

#[test]
fn type_and_encoding_of_every_type() {
    let mut c = shared().raw();
    let keys = make_all(&mut c, "types:enc", 1);
    let encodings = ["embstr", "quicklist", "listpack", "intset", "listpack"];
    for ((t, key), enc) in keys.iter().zip(encodings) {
        assert_eq!(c.cmd(&["TYPE", key]), simple(t));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", key]), bulk(enc), "{t}");
    }
    assert_eq!(c.cmd(&["SADD", &keys[3].1, "x"]), int(1));
    assert_eq!(
        c.cmd(&["OBJECT", "ENCODING", &keys[3].1]),
        bulk("hashtable")
    );
    assert_eq!(c.cmd(&["TYPE", "types:enc:missing"]), simple("none"));
    for (_, key) in &keys {
        c.cmd(&["DEL", key]);
    }
}

#[test]
fn copy_and_rename_every_type_across_shards() {
    let mut c = shared().raw();
    let src = make_all(&mut c, "types:copy:src", 0);
    for (t, key) in &src {
        let dst = key_on_shard(
            &format!("types:copy:dst:{t}"),
            DEFAULT_SHARDS - 1,
            DEFAULT_SHARDS,
        );
        let moved = key_on_shard(&format!("types:copy:mv:{t}"), 2, DEFAULT_SHARDS);
        c.cmd(&["DEL", &dst, &moved]);
        let before = content(&mut c, t, key);
        assert_eq!(c.cmd(&["COPY", key, &dst]), int(1), "{t}");
        assert_eq!(c.cmd(&["COPY", key, &dst]), int(0), "{t}");
        assert_eq!(content(&mut c, t, &dst), before, "{t}");
        assert_eq!(c.cmd(&["TYPE", &dst]), simple(t));
        // The copy is independent of its source.
        assert_eq!(c.cmd(&["DEL", key]), int(1));
        assert_eq!(content(&mut c, t, &dst), before, "{t}");
        assert_eq!(c.cmd(&["RENAME", &dst, &moved]), ok());
        assert_eq!(content(&mut c, t, &moved), before, "{t}");
        assert_eq!(c.cmd(&["EXISTS", &dst]), int(0));
        assert_eq!(c.cmd(&["DEL", &moved]), int(1));
    }
}

#[test]
fn scan_filters_every_type() {
    let mut c = shared().raw();
    let mut keys = make_all(&mut c, "types:scan", 2);
    keys.extend(make_all(&mut c, "types:scan", 3));
    for t in ["string", "list", "hash", "set", "zset"] {
        let mut found: Vec<String> = Vec::new();
        let mut cursor = "0".to_string();
        loop {
            let r = c.cmd(&[
                "SCAN",
                &cursor,
                "MATCH",
                "types:scan:*",
                "TYPE",
                t,
                "COUNT",
                "100",
            ]);
            let parts = r.as_array();
            cursor = parts[0].as_str();
            found.extend(parts[1].as_array().iter().map(Resp::as_str));
            if cursor == "0" {
                break;
            }
        }
        found.sort();
        let mut expected: Vec<String> = keys
            .iter()
            .filter(|(kt, _)| *kt == t)
            .map(|(_, k)| k.clone())
            .collect();
        expected.sort();
        assert_eq!(found, expected, "{t}");
    }
    for (_, key) in &keys {
        c.cmd(&["DEL", key]);
    }
}

#[test]
fn memory_usage_of_every_type() {
    let mut c = shared().raw();
    let keys = make_all(&mut c, "types:mem", 0);
    for (t, key) in &keys {
        let small = c.cmd(&["MEMORY", "USAGE", key]).as_int();
        assert!(small > 0, "{t}: {small}");
    }
    let (_, set) = &keys[3];
    let members: Vec<String> = (0..1000).map(|i| format!("member-{i}")).collect();
    let mut args = vec!["SADD", set];
    args.extend(members.iter().map(String::as_str));
    assert_eq!(c.cmd(&args), int(1000));
    let big = c.cmd(&["MEMORY", "USAGE", set, "SAMPLES", "0"]).as_int();
    assert!(big > 1000 * 8, "set of 1002 members: {big}");
    assert_eq!(c.cmd(&["MEMORY", "USAGE", "types:mem:missing"]), nil());
    for (_, key) in &keys {
        c.cmd(&["DEL", key]);
    }
}

#[test]
fn wrong_type_from_every_family() {
    let mut c = shared().raw();
    let keys = make_all(&mut c, "types:wrong", 1);
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    let probes: &[(&str, &[&str])] = &[
        ("string", &["GET"]),
        ("string", &["INCR"]),
        ("list", &["LPUSH", "x"]),
        ("list", &["LLEN"]),
        ("hash", &["HGET", "f"]),
        ("hash", &["HSET", "f", "v"]),
        ("set", &["SADD", "x"]),
        ("set", &["SCARD"]),
        ("zset", &["ZADD", "1", "x"]),
        ("zset", &["ZCARD"]),
    ];
    for (t, key) in &keys {
        for (family, probe) in probes {
            if family == t {
                continue;
            }
            let mut args = vec![probe[0], key.as_str()];
            args.extend(&probe[1..]);
            assert_eq!(c.cmd(&args), wrongtype, "{args:?} on a {t}");
        }
    }
    for (_, key) in &keys {
        c.cmd(&["DEL", key]);
    }
}

#[test]
fn emptied_collections_are_deleted() {
    let mut c = shared().raw();
    let keys = make_all(&mut c, "types:empty", 2);
    let removals: [&[&str]; 4] = [
        &["LPOP", "", "2"],
        &["HDEL", "", "f", "g"],
        &["SREM", "", "1", "2"],
        &["ZREM", "", "a", "b"],
    ];
    for ((t, key), removal) in keys[1..].iter().zip(removals) {
        let args: Vec<&str> = removal
            .iter()
            .map(|a| if a.is_empty() { key.as_str() } else { a })
            .collect();
        assert!(!c.cmd(&args).is_error(), "{t}");
        assert_eq!(c.cmd(&["EXISTS", key]), int(0), "{t}");
        assert_eq!(c.cmd(&["TYPE", key]), simple("none"), "{t}");
    }
    c.cmd(&["DEL", &keys[0].1]);
}
