//! Key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY MOVE, the EXPIRE family,
//! TTL/PTTL/EXPIRETIME/PEXPIRETIME/PERSIST, and the whole-keyspace ones (SCAN, KEYS,
//! RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB) on private servers.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrokv_tests::*;

fn k(test: &str, name: &str) -> String {
    format!("keys:{test}:{name}")
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn args<'a>(head: &[&'a str], keys: &'a [String]) -> Vec<&'a str> {
    let mut v: Vec<&str> = head.to_vec();
    v.extend(keys.iter().map(|s| s.as_str()));
    v
}

#[test]
fn del_unlink_exists_touch_across_shards() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("del", ""), 8, DEFAULT_SHARDS);
    for key in &keys {
        assert_eq!(c.cmd(&["SET", key, "v"]), ok());
    }
    assert_eq!(c.cmd(&args(&["EXISTS"], &keys)), int(8));
    let mut dup = keys.clone();
    dup.extend(keys[..3].iter().cloned());
    dup.push(k("del", "missing"));
    assert_eq!(
        c.cmd(&args(&["EXISTS"], &dup)),
        int(11),
        "EXISTS counts repeats"
    );
    assert_eq!(c.cmd(&args(&["TOUCH"], &dup)), int(11));
    assert_eq!(c.cmd(&args(&["DEL"], &keys[..4])), int(4));
    assert_eq!(c.cmd(&args(&["EXISTS"], &keys)), int(4));
    assert_eq!(c.cmd(&args(&["UNLINK"], &dup)), int(4), "deleted once each");
    assert_eq!(c.cmd(&args(&["EXISTS"], &keys)), int(0));
    assert_eq!(c.cmd(&args(&["DEL"], &keys)), int(0));
    assert_eq!(c.cmd(&["DEL"]), arity_err("del"));
    assert_eq!(c.cmd(&["UNLINK"]), arity_err("unlink"));
    assert_eq!(c.cmd(&["EXISTS"]), arity_err("exists"));
    assert_eq!(c.cmd(&["TOUCH"]), arity_err("touch"));
}

#[test]
fn type_of_keys() {
    let mut c = shared().raw();
    let a = k("type", "a");
    assert_eq!(c.cmd(&["TYPE", &a]), simple("none"));
    assert_eq!(c.cmd(&["SET", &a, "1"]), ok());
    assert_eq!(c.cmd(&["TYPE", &a]), simple("string"));
    assert_eq!(c.cmd(&["SET", &a, "text"]), ok());
    assert_eq!(c.cmd(&["TYPE", &a]), simple("string"));
    assert_eq!(c.cmd(&["TYPE"]), arity_err("type"));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn rename_and_renamenx_across_shards() {
    let mut c = shared().raw();
    let src = key_on_shard(&k("rename", "src"), 0, DEFAULT_SHARDS);
    let dst = key_on_shard(&k("rename", "dst"), 3, DEFAULT_SHARDS);
    let other = key_on_shard(&k("rename", "other"), 1, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["RENAME", &src, &dst]), err("ERR no such key"));
    assert_eq!(c.cmd(&["RENAMENX", &src, &dst]), err("ERR no such key"));
    assert_eq!(c.cmd(&["SET", &src, "value", "EX", "1000"]), ok());
    assert_eq!(c.cmd(&["RENAME", &src, &dst]), ok());
    assert_eq!(c.cmd(&["EXISTS", &src]), int(0));
    assert_eq!(c.cmd(&["GET", &dst]), bulk("value"));
    let ttl = c.cmd(&["TTL", &dst]).as_int();
    assert!((990..=1000).contains(&ttl), "RENAME keeps the TTL: {ttl}");
    // Overwrites, and the overwritten key's TTL goes with it.
    assert_eq!(c.cmd(&["SET", &other, "o"]), ok());
    assert_eq!(c.cmd(&["RENAME", &other, &dst]), ok());
    assert_eq!(c.cmd(&["GET", &dst]), bulk("o"));
    assert_eq!(c.cmd(&["TTL", &dst]), int(-1));
    // Same key.
    assert_eq!(c.cmd(&["RENAME", &dst, &dst]), ok());
    assert_eq!(c.cmd(&["RENAMENX", &dst, &dst]), int(0));
    assert_eq!(c.cmd(&["GET", &dst]), bulk("o"));
    // RENAMENX.
    assert_eq!(c.cmd(&["SET", &src, "s"]), ok());
    assert_eq!(c.cmd(&["RENAMENX", &src, &dst]), int(0));
    assert_eq!(c.cmd(&["GET", &src]), bulk("s"));
    assert_eq!(c.cmd(&["RENAMENX", &src, &other]), int(1));
    assert_eq!(
        c.cmd(&["MGET", &src, &other, &dst]),
        arr(vec![nil(), bulk("s"), bulk("o")])
    );
    // Hash tags keep both on one shard.
    let (ta, tb) = (k("rename", "{tag}a"), k("rename", "{tag}b"));
    assert_eq!(c.cmd(&["SET", &ta, "t"]), ok());
    assert_eq!(c.cmd(&["RENAME", &ta, &tb]), ok());
    assert_eq!(c.cmd(&["GET", &tb]), bulk("t"));
    assert_eq!(c.cmd(&["RENAME", &ta]), arity_err("rename"));
    assert_eq!(c.cmd(&["RENAMENX", &ta]), arity_err("renamenx"));
    assert_eq!(c.cmd(&["DEL", &src, &dst, &other, &tb]), int(3));
}

#[test]
fn copy_with_db_and_replace() {
    let mut c = shared().raw();
    let src = key_on_shard(&k("copy", "src"), 1, DEFAULT_SHARDS);
    let dst = key_on_shard(&k("copy", "dst"), 2, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["COPY", &src, &dst]), int(0));
    assert_eq!(c.cmd(&["SET", &src, "v1", "EX", "1000"]), ok());
    assert_eq!(c.cmd(&["COPY", &src, &dst]), int(1));
    assert_eq!(c.cmd(&["GET", &dst]), bulk("v1"));
    assert!(c.cmd(&["TTL", &dst]).as_int() > 900, "COPY copies the TTL");
    assert_eq!(c.cmd(&["SET", &src, "v2"]), ok());
    assert_eq!(c.cmd(&["COPY", &src, &dst]), int(0));
    assert_eq!(c.cmd(&["GET", &dst]), bulk("v1"));
    assert_eq!(c.cmd(&["COPY", &src, &dst, "REPLACE"]), int(1));
    assert_eq!(c.cmd(&["GET", &dst]), bulk("v2"));
    assert_eq!(c.cmd(&["TTL", &dst]), int(-1));
    // The copy is independent.
    assert_eq!(c.cmd(&["APPEND", &dst, "x"]), int(3));
    assert_eq!(c.cmd(&["GET", &src]), bulk("v2"));
    // Same key.
    assert_eq!(
        c.cmd(&["COPY", &src, &src]),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["COPY", &src, &src, "DB", "0"]),
        err("ERR source and destination objects are the same")
    );
    // To another database.
    assert_eq!(c.cmd(&["COPY", &src, &src, "DB", "6"]), int(1));
    assert_eq!(c.cmd(&["COPY", &src, &src, "DB", "6"]), int(0));
    assert_eq!(c.cmd(&["COPY", &src, &src, "db", "6", "replace"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "6"]), ok());
    assert_eq!(c.cmd(&["GET", &src]), bulk("v2"));
    assert_eq!(c.cmd(&["DEL", &src]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    // Errors.
    assert_eq!(
        c.cmd(&["COPY", &src, &dst, "DB", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(c.cmd(&["COPY", &src, &dst, "DB", "x"]), not_int_err());
    assert_eq!(c.cmd(&["COPY", &src, &dst, "DB"]), syntax_err());
    assert_eq!(c.cmd(&["COPY", &src, &dst, "BOGUS"]), syntax_err());
    assert_eq!(c.cmd(&["COPY", &src]), arity_err("copy"));
    assert_eq!(c.cmd(&["DEL", &src, &dst]), int(2));
}

#[test]
fn move_between_databases() {
    let mut c = shared().raw();
    let a = k("move", "a");
    assert_eq!(c.cmd(&["MOVE", &a, "7"]), int(0));
    assert_eq!(c.cmd(&["SET", &a, "v", "EX", "1000"]), ok());
    assert_eq!(c.cmd(&["MOVE", &a, "7"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    assert_eq!(c.cmd(&["SET", &a, "again"]), ok());
    assert_eq!(c.cmd(&["MOVE", &a, "7"]), int(0), "target exists");
    assert_eq!(c.cmd(&["GET", &a]), bulk("again"));
    assert_eq!(c.cmd(&["SELECT", "7"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk("v"));
    assert!(c.cmd(&["TTL", &a]).as_int() > 900, "MOVE keeps the TTL");
    assert_eq!(
        c.cmd(&["MOVE", &a, "7"]),
        err("ERR source and destination objects are the same")
    );
    assert_eq!(
        c.cmd(&["MOVE", &a, "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["MOVE", &a, "-1"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(c.cmd(&["MOVE", &a, "x"]), not_int_err());
    assert_eq!(c.cmd(&["MOVE", &a]), arity_err("move"));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn ttl_family_and_persist() {
    let mut c = shared().raw();
    let a = k("ttl", "a");
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, &a]), int(-2), "{cmd} of a missing key");
    }
    assert_eq!(c.cmd(&["SET", &a, "v"]), ok());
    for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
        assert_eq!(c.cmd(&[cmd, &a]), int(-1), "{cmd} without expiry");
        assert_eq!(c.cmd(&[cmd]), arity_err(cmd));
    }
    assert_eq!(c.cmd(&["PERSIST", &a]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "100"]), int(1));
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((99..=100).contains(&ttl));
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((95_000..=100_000).contains(&pttl));
    let et = c.cmd(&["EXPIRETIME", &a]).as_int();
    assert!((now_secs() + 98..=now_secs() + 101).contains(&et));
    let pet = c.cmd(&["PEXPIRETIME", &a]).as_int();
    assert!((et * 1000 - 1000..=et * 1000 + 1000).contains(&pet));
    assert_eq!(c.cmd(&["PERSIST", &a]), int(1));
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    assert_eq!(c.cmd(&["PERSIST", &k("ttl", "missing")]), int(0));
    assert_eq!(c.cmd(&["PERSIST"]), arity_err("persist"));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn expire_commands_and_options() {
    let mut c = shared().raw();
    let a = k("expire", "a");
    let missing = k("expire", "missing");
    let now = now_secs();
    for cmd in ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"] {
        assert_eq!(c.cmd(&[cmd, &missing, "100"]), int(0), "{cmd}");
        assert_eq!(c.cmd(&[cmd, &missing]), arity_err(cmd));
        assert_eq!(c.cmd(&[cmd, &missing, "abc"]), not_int_err());
    }
    assert_eq!(c.cmd(&["SET", &a, "v"]), ok());
    // NX: only without a TTL. XX: only with one.
    assert_eq!(c.cmd(&["EXPIRE", &a, "1000", "XX"]), int(0));
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    assert_eq!(c.cmd(&["EXPIRE", &a, "1000", "NX"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", &a, "2000", "NX"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "2000", "XX"]), int(1));
    assert!(c.cmd(&["TTL", &a]).as_int() > 1000);
    // GT/LT: a key without TTL counts as infinite.
    assert_eq!(c.cmd(&["EXPIRE", &a, "1000", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "3000", "GT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", &a, "4000", "LT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "500", "lt"]), int(1));
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((499..=500).contains(&ttl), "{ttl}");
    assert_eq!(c.cmd(&["PERSIST", &a]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", &a, "100", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "100", "LT"]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", &a, "50", "XX", "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIRE", &a, "200", "XX", "GT"]), int(1));
    // Absolute times.
    let at = now + 5000;
    assert_eq!(c.cmd(&["EXPIREAT", &a, &at.to_string()]), int(1));
    assert_eq!(c.cmd(&["EXPIRETIME", &a]), int(at));
    assert_eq!(
        c.cmd(&["EXPIREAT", &a, &(at - 1).to_string(), "GT"]),
        int(0)
    );
    assert_eq!(c.cmd(&["EXPIREAT", &a, &at.to_string(), "GT"]), int(0));
    assert_eq!(c.cmd(&["EXPIREAT", &a, &at.to_string(), "LT"]), int(0));
    let pat = at * 1000 + 777;
    assert_eq!(c.cmd(&["PEXPIREAT", &a, &pat.to_string(), "GT"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(pat));
    // EXPIRETIME rounds to the nearest second.
    assert_eq!(c.cmd(&["EXPIRETIME", &a]), int(at + 1));
    assert_eq!(c.cmd(&["PEXPIRE", &a, "123456", "LT"]), int(1));
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((100_000..=123_456).contains(&pttl), "{pttl}");
    // Option errors.
    assert_eq!(
        c.cmd(&["EXPIRE", &a, "10", "NX", "XX"]),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", &a, "10", "NX", "GT"]),
        err("ERR NX and XX, GT or LT options at the same time are not compatible")
    );
    assert_eq!(
        c.cmd(&["PEXPIRE", &a, "10", "GT", "LT"]),
        err("ERR GT and LT options at the same time are not compatible")
    );
    assert_eq!(
        c.cmd(&["EXPIRE", &a, "10", "FOO"]),
        err("ERR Unsupported option FOO")
    );
    // Overflow.
    assert_eq!(
        c.cmd(&["EXPIRE", &a, "9223372036854775807"]),
        err("ERR invalid expire time in 'expire' command")
    );
    assert_eq!(
        c.cmd(&["PEXPIRE", &a, "9223372036854775807"]),
        err("ERR invalid expire time in 'pexpire' command")
    );
    assert_eq!(
        c.cmd(&["EXPIREAT", &a, "9223372036854775807"]),
        err("ERR invalid expire time in 'expireat' command")
    );
    assert_eq!(c.cmd(&["PEXPIREAT", &a, "9223372036854775807"]), int(1));
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(i64::MAX));
    // Zero, negative or past: the key is deleted at once.
    assert_eq!(c.cmd(&["EXPIRE", &a, "0"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    for (cmd, v) in [
        ("EXPIRE", "-1"),
        ("PEXPIRE", "-1000"),
        ("EXPIREAT", "1"),
        ("PEXPIREAT", "1000"),
    ] {
        assert_eq!(c.cmd(&["SET", &a, "v"]), ok());
        assert_eq!(c.cmd(&[cmd, &a, v]), int(1), "{cmd} {v}");
        assert_eq!(c.cmd(&["GET", &a]), nil(), "{cmd} {v}");
    }
    // A past time with NX on a key that has a TTL: not applied, key stays.
    assert_eq!(c.cmd(&["SET", &a, "v", "EX", "100"]), ok());
    assert_eq!(c.cmd(&["EXPIRE", &a, "-1", "NX"]), int(0));
    assert_eq!(c.cmd(&["GET", &a]), bulk("v"));
    // SET clears a TTL; the value survives EXPIRE.
    assert_eq!(c.cmd(&["SET", &a, "w"]), ok());
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

/// Full SCAN iteration with optional extra arguments; returns all keys seen (with repeats).
fn scan_all(c: &mut RawConn, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut cursor = "0".to_string();
    let mut out = Vec::new();
    for _round in 0..1_000_000 {
        let mut a = vec!["SCAN", &cursor];
        a.extend_from_slice(extra);
        let r = c.cmd(&a);
        let parts = r.as_array();
        assert_eq!(parts.len(), 2, "{r:?}");
        let next = parts[0].as_str();
        out.extend(parts[1].as_array().iter().map(|k| k.as_bytes().to_vec()));
        if next == "0" {
            return out;
        }
        cursor = next;
    }
    panic!("SCAN did not finish");
}

fn load(c: &mut RawConn, keys: &[String]) {
    let cmds: Vec<Vec<&str>> = keys
        .chunks(50)
        .map(|chunk| {
            let mut a = vec!["MSET"];
            for key in chunk {
                a.push(key);
                a.push("v");
            }
            a
        })
        .collect();
    for r in c.pipeline(&cmds) {
        assert_eq!(r, ok());
    }
}

fn set_of(v: &[Vec<u8>]) -> BTreeSet<Vec<u8>> {
    v.iter().cloned().collect()
}

#[test]
fn scan_returns_every_key_across_shards() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let users: Vec<String> = (0..1500).map(|i| format!("user:{i}")).collect();
    let others: Vec<String> = (0..500).map(|i| format!("other:{i}")).collect();
    load(&mut c, &users);
    load(&mut c, &others);
    assert_eq!(c.cmd(&["DBSIZE"]), int(2000));
    let all: BTreeSet<Vec<u8>> = users
        .iter()
        .chain(&others)
        .map(|s| s.as_bytes().to_vec())
        .collect();
    // Every shard holds some of them.
    let shards: HashSet<usize> = users
        .iter()
        .map(|k| shard_of(k.as_bytes(), DEFAULT_SHARDS))
        .collect();
    assert_eq!(shards.len(), DEFAULT_SHARDS);

    assert_eq!(set_of(&scan_all(&mut c, &[])), all);
    for count in ["1", "7", "100", "5000"] {
        assert_eq!(
            set_of(&scan_all(&mut c, &["COUNT", count])),
            all,
            "COUNT {count}"
        );
    }
    let users_set: BTreeSet<Vec<u8>> = users.iter().map(|s| s.as_bytes().to_vec()).collect();
    assert_eq!(set_of(&scan_all(&mut c, &["MATCH", "user:*"])), users_set);
    assert_eq!(
        set_of(&scan_all(&mut c, &["MATCH", "user:*", "COUNT", "3"])),
        users_set
    );
    assert_eq!(
        set_of(&scan_all(&mut c, &["match", "user:1?", "count", "50"])),
        (10..20).map(|i| format!("user:{i}").into_bytes()).collect()
    );
    assert_eq!(set_of(&scan_all(&mut c, &["TYPE", "string"])), all);
    assert!(scan_all(&mut c, &["TYPE", "list"]).is_empty());
    assert!(scan_all(&mut c, &["MATCH", "nomatch*"]).is_empty());
    // Another database is separate.
    assert_eq!(c.cmd(&["SELECT", "2"]), ok());
    assert!(scan_all(&mut c, &[]).is_empty());
    assert_eq!(c.cmd(&["SET", "in-db2", "x"]), ok());
    assert_eq!(scan_all(&mut c, &[]), vec![b"in-db2".to_vec()]);
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    // Errors.
    assert_eq!(c.cmd(&["SCAN", "abc"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "0"]), syntax_err());
    assert_eq!(c.cmd(&["SCAN", "0", "COUNT", "x"]), not_int_err());
    assert_eq!(c.cmd(&["SCAN", "0", "MATCH"]), syntax_err());
    assert_eq!(c.cmd(&["SCAN", "0", "BOGUS", "1"]), syntax_err());
    assert_eq!(c.cmd(&["SCAN"]), arity_err("scan"));
}

#[test]
fn scan_sees_keys_present_throughout_while_others_change() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let stable: Vec<String> = (0..1000).map(|i| format!("stable:{i}")).collect();
    load(&mut c, &stable);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let churn = s.spawn(|| {
            let mut w = server.raw();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) && i < 200_000 {
                let batch: Vec<Vec<String>> = (0..20)
                    .map(|j| {
                        // Each churn key is set in one pass over them and deleted in the next.
                        let key = format!("churn:{}", (i + j) % 3000);
                        if (i + j) / 3000 % 2 == 1 {
                            vec!["DEL".into(), key]
                        } else {
                            vec!["SET".into(), key, "x".into()]
                        }
                    })
                    .collect();
                w.pipeline(&batch);
                i += 20;
            }
        });
        for _ in 0..3 {
            let seen = set_of(&scan_all(&mut c, &["COUNT", "20"]));
            for key in &stable {
                assert!(seen.contains(key.as_bytes()), "SCAN missed {key}");
            }
        }
        stop.store(true, Ordering::Relaxed);
        churn.join().unwrap();
    });
}

#[test]
fn keys_patterns() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let names = [
        "hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "a{b}c", "user:1",
        "user:2", "user:10", "", "x\\y",
    ];
    for n in names {
        assert_eq!(c.cmd(&["SET", n, "v"]), ok());
    }
    let keys = |c: &mut RawConn, p: &str| -> BTreeSet<String> {
        c.cmd(&["KEYS", p])
            .as_array()
            .iter()
            .map(|k| k.as_str())
            .collect()
    };
    let set = |v: &[&str]| -> BTreeSet<String> { v.iter().map(|s| s.to_string()).collect() };
    assert_eq!(keys(&mut c, "*"), set(&names));
    assert_eq!(
        keys(&mut c, "h?llo"),
        set(&["hello", "hallo", "hxllo", "h*llo", "h?llo"])
    );
    assert_eq!(
        keys(&mut c, "h*llo"),
        set(&["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo"])
    );
    assert_eq!(keys(&mut c, "h[ae]llo"), set(&["hello", "hallo"]));
    assert_eq!(
        keys(&mut c, "h[^e]llo"),
        set(&["hallo", "hxllo", "h*llo", "h?llo"])
    );
    assert_eq!(keys(&mut c, "h[a-b]llo"), set(&["hallo"]));
    assert_eq!(keys(&mut c, "h\\*llo"), set(&["h*llo"]));
    assert_eq!(keys(&mut c, "h\\?llo"), set(&["h?llo"]));
    assert_eq!(keys(&mut c, "user:?"), set(&["user:1", "user:2"]));
    assert_eq!(
        keys(&mut c, "user:*"),
        set(&["user:1", "user:2", "user:10"])
    );
    assert_eq!(keys(&mut c, "a{b}c"), set(&["a{b}c"]));
    assert_eq!(keys(&mut c, "x\\\\y"), set(&["x\\y"]));
    assert_eq!(keys(&mut c, ""), set(&[""]));
    assert_eq!(keys(&mut c, "nomatch"), set(&[]));
    assert_eq!(keys(&mut c, "HELLO"), set(&[]));
    assert_eq!(c.cmd(&["KEYS"]), arity_err("keys"));
    // Expired keys are not listed.
    assert_eq!(c.cmd(&["SET", "gone", "v", "PX", "1"]), ok());
    assert!(poll_until(
        Duration::from_secs(5),
        Duration::from_millis(5),
        || { !keys(&mut c, "*").contains("gone") }
    ));
}

#[test]
fn randomkey_dbsize_flush_swapdb() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["RANDOMKEY"]), nil());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    let keys = spread_keys("rk:", 40, DEFAULT_SHARDS);
    load(&mut c, &keys);
    assert_eq!(c.cmd(&["DBSIZE"]), int(40));
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let r = c.cmd(&["RANDOMKEY"]).as_str();
        assert!(keys.contains(&r), "{r}");
        seen.insert(shard_of(r.as_bytes(), DEFAULT_SHARDS));
    }
    assert!(seen.len() > 1, "RANDOMKEY always picks from one shard");
    assert_eq!(c.cmd(&["RANDOMKEY", "x"]), arity_err("randomkey"));
    assert_eq!(c.cmd(&["DBSIZE", "x"]), arity_err("dbsize"));

    // SWAPDB: connections on either database see the swap.
    let mut d = server.raw();
    assert_eq!(d.cmd(&["SELECT", "1"]), ok());
    assert_eq!(d.cmd(&["SET", "only-in-1", "x"]), ok());
    assert_eq!(c.cmd(&["SWAPDB", "0", "1"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(1));
    assert_eq!(c.cmd(&["GET", "only-in-1"]), bulk("x"));
    assert_eq!(d.cmd(&["DBSIZE"]), int(40));
    assert_eq!(c.cmd(&["SWAPDB", "1", "0"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(40));
    assert_eq!(c.cmd(&["SWAPDB", "0", "0"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(40));
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "x", "0"]),
        err("ERR invalid first DB index")
    );
    assert_eq!(
        c.cmd(&["SWAPDB", "0", "x"]),
        err("ERR invalid second DB index")
    );
    assert_eq!(c.cmd(&["SWAPDB", "0"]), arity_err("swapdb"));

    // FLUSHDB empties only the selected database.
    assert_eq!(d.cmd(&["FLUSHDB"]), ok());
    assert_eq!(d.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["DBSIZE"]), int(40));
    assert_eq!(c.cmd(&["FLUSHDB", "ASYNC"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["GET", &keys[0]]), nil());
    load(&mut c, &keys);
    assert_eq!(c.cmd(&["FLUSHDB", "SYNC"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["FLUSHDB", "BOGUS"]), syntax_err());
    // FLUSHALL empties every database.
    load(&mut c, &keys);
    assert_eq!(d.cmd(&["SET", "d1", "x"]), ok());
    assert_eq!(c.cmd(&["FLUSHALL"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(d.cmd(&["DBSIZE"]), int(0));
    load(&mut c, &keys);
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), ok());
    assert_eq!(c.cmd(&["FLUSHALL", "x"]), syntax_err());
    assert_eq!(c.cmd(&["RANDOMKEY"]), nil());
}
