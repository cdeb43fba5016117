//! Hash commands: HSET HSETNX HGET HMSET HMGET HGETALL HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS
//! HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, every option and error, encodings, RESP3 shapes.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::{BTreeMap, BTreeSet};

use ferrokv_tests::*;

fn k(test: &str, name: &str) -> String {
    format!("hash:{test}:{name}")
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn encoding(c: &mut RawConn, key: &str) -> Resp {
    c.cmd(&["OBJECT", "ENCODING", key])
}

/// HSET `key` with `n` fields `field:i` -> `value:i`, in one command.
fn fill(c: &mut RawConn, key: &str, n: usize) {
    let mut args = vec!["HSET".to_string(), key.to_string()];
    for i in 0..n {
        args.push(format!("field:{i}"));
        args.push(format!("value:{i}"));
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&refs), int(n as i64));
}

/// A flat array of field/value pairs as a sorted map (hash order is not specified).
fn pair_map(r: &Resp) -> BTreeMap<Vec<u8>, Vec<u8>> {
    r.as_pairs()
        .into_iter()
        .map(|(f, v)| (f.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

#[test]
fn set_get_and_listpack_order() {
    let mut c = shared().raw();
    let h = k("basics", "h");
    assert_eq!(c.cmd(&["HSET", &h, "c", "1", "a", "2", "b", "3"]), int(3));
    assert_eq!(c.cmd(&["HSET", &h, "a", "20", "d", "4"]), int(1));
    assert_eq!(c.cmd(&["HSET", &h, "a", "21", "a", "22"]), int(0));
    assert_eq!(c.cmd(&["HMSET", &h, "e", "5", "c", "10"]), ok());
    assert_eq!(
        c.cmd(&["HGETALL", &h]),
        bulks(&["c", "10", "a", "22", "b", "3", "d", "4", "e", "5"])
    );
    assert_eq!(c.cmd(&["HKEYS", &h]), bulks(&["c", "a", "b", "d", "e"]));
    assert_eq!(c.cmd(&["HVALS", &h]), bulks(&["10", "22", "3", "4", "5"]));
    assert_eq!(c.cmd(&["HGET", &h, "a"]), bulk("22"));
    assert_eq!(c.cmd(&["HGET", &h, "zz"]), nil());
    assert_eq!(c.cmd(&["HGET", &k("basics", "none"), "a"]), nil());
    assert_eq!(
        c.cmd(&["HMGET", &h, "b", "zz", "c", "b"]),
        arr(vec![bulk("3"), nil(), bulk("10"), bulk("3")])
    );
    assert_eq!(
        c.cmd(&["HMGET", &k("basics", "none"), "a", "b"]),
        arr(vec![nil(), nil()])
    );
    assert_eq!(c.cmd(&["HLEN", &h]), int(5));
    assert_eq!(c.cmd(&["HLEN", &k("basics", "none")]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", &h, "d"]), int(1));
    assert_eq!(c.cmd(&["HEXISTS", &h, "zz"]), int(0));
    assert_eq!(c.cmd(&["HEXISTS", &k("basics", "none"), "d"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", &h, "c"]), int(2));
    assert_eq!(c.cmd(&["HSTRLEN", &h, "zz"]), int(0));
    assert_eq!(c.cmd(&["HSTRLEN", &k("basics", "none"), "c"]), int(0));
    // Deleting from the middle keeps the order of the rest; a re-added field goes last.
    assert_eq!(c.cmd(&["HDEL", &h, "a", "zz", "a"]), int(1));
    assert_eq!(c.cmd(&["HSET", &h, "a", "1"]), int(1));
    assert_eq!(c.cmd(&["HKEYS", &h]), bulks(&["c", "b", "d", "e", "a"]));
    assert_eq!(c.cmd(&["HGETALL", &k("basics", "none")]), arr(vec![]));
    assert_eq!(c.cmd(&["HKEYS", &k("basics", "none")]), arr(vec![]));
    assert_eq!(c.cmd(&["HVALS", &k("basics", "none")]), arr(vec![]));
    assert_eq!(c.cmd(&["TYPE", &h]), simple("hash"));
    assert_eq!(encoding(&mut c, &h), bulk("listpack"));
}

#[test]
fn binary_empty_and_integer_like_values() {
    let mut c = shared().raw();
    let h = k("binary", "h");
    let field: &[u8] = b"f\x00\r\n\xff";
    let value: &[u8] = b"\x00\x01$-1\r\n";
    assert_eq!(c.cmdb(&[b"HSET", h.as_bytes(), field, value]), int(1));
    assert_eq!(c.cmdb(&[b"HSET", h.as_bytes(), b"", b""]), int(1));
    assert_eq!(c.cmdb(&[b"HGET", h.as_bytes(), field]), bulk(value));
    assert_eq!(c.cmdb(&[b"HGET", h.as_bytes(), b""]), bulk(""));
    assert_eq!(c.cmdb(&[b"HEXISTS", h.as_bytes(), b""]), int(1));
    assert_eq!(c.cmdb(&[b"HSTRLEN", h.as_bytes(), field]), int(7));
    // Values a listpack could store as integers come back as they were sent.
    for (i, v) in [
        "-0",
        "007",
        "+1",
        " 1",
        "9223372036854775808",
        "-9223372036854775808",
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(c.cmd(&["HSET", &h, "n", v]), int((i == 0).into()));
        assert_eq!(c.cmd(&["HGET", &h, "n"]), bulk(v));
        assert_eq!(c.cmd(&["HSTRLEN", &h, "n"]), int(v.len() as i64));
    }
    assert_eq!(c.cmd(&["HDEL", &h, "n"]), int(1));
    assert_eq!(
        c.cmd(&["HGETALL", &h]),
        arr(vec![bulk(field), bulk(value), bulk(""), bulk("")])
    );
}

#[test]
fn hsetnx() {
    let mut c = shared().raw();
    let h = k("setnx", "h");
    assert_eq!(c.cmd(&["HSETNX", &h, "a", "1"]), int(1));
    assert_eq!(c.cmd(&["HSETNX", &h, "a", "2"]), int(0));
    assert_eq!(c.cmd(&["HSETNX", &h, "b", "3"]), int(1));
    assert_eq!(c.cmd(&["HGETALL", &h]), bulks(&["a", "1", "b", "3"]));
    assert_eq!(c.cmd(&["HSETNX", &h, "a"]), arity_err("hsetnx"));
    assert_eq!(c.cmd(&["HSETNX", &h, "a", "1", "x"]), arity_err("hsetnx"));
}

#[test]
fn hdel_deletes_the_emptied_key() {
    let mut c = shared().raw();
    let h = k("hdel", "h");
    assert_eq!(c.cmd(&["HDEL", &h, "a"]), int(0));
    assert_eq!(c.cmd(&["HSET", &h, "a", "1", "b", "2"]), int(2));
    assert_eq!(c.cmd(&["EXPIRE", &h, "100"]), int(1));
    assert_eq!(c.cmd(&["HDEL", &h, "a", "b", "c"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", &h]), int(0));
    // A new hash under the same name has no TTL.
    assert_eq!(c.cmd(&["HSET", &h, "a", "1"]), int(1));
    assert_eq!(c.cmd(&["TTL", &h]), int(-1));
    assert_eq!(c.cmd(&["HDEL", &h]), arity_err("hdel"));
}

#[test]
fn arity_errors() {
    let mut c = shared().raw();
    let h = k("arity", "h");
    assert_eq!(c.cmd(&["HSET", &h]), arity_err("hset"));
    assert_eq!(c.cmd(&["HSET", &h, "a"]), arity_err("hset"));
    assert_eq!(c.cmd(&["HSET", &h, "a", "1", "b"]), arity_err("hset"));
    assert_eq!(c.cmd(&["HMSET", &h, "a"]), arity_err("hmset"));
    assert_eq!(c.cmd(&["HMSET", &h, "a", "1", "b"]), arity_err("hmset"));
    assert_eq!(c.cmd(&["EXISTS", &h]), int(0));
    for (cmd, args) in [
        ("HGET", 1),
        ("HGET", 3),
        ("HMGET", 1),
        ("HGETALL", 0),
        ("HGETALL", 2),
        ("HDEL", 1),
        ("HEXISTS", 1),
        ("HLEN", 2),
        ("HSTRLEN", 3),
        ("HKEYS", 2),
        ("HVALS", 0),
        ("HINCRBY", 2),
        ("HINCRBYFLOAT", 4),
        ("HRANDFIELD", 0),
        ("HSCAN", 1),
    ] {
        let mut v = vec![cmd.to_string()];
        v.extend((0..args).map(|i| format!("{h}{i}")));
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&refs), arity_err(cmd), "{cmd} with {args}");
    }
}

#[test]
fn wrong_type() {
    let mut c = shared().raw();
    let s = k("wrongtype", "s");
    assert_eq!(c.cmd(&["SET", &s, "x"]), ok());
    for cmd in [
        vec!["HSET", &s, "a", "1"],
        vec!["HSETNX", &s, "a", "1"],
        vec!["HGET", &s, "a"],
        vec!["HMSET", &s, "a", "1"],
        vec!["HMGET", &s, "a"],
        vec!["HGETALL", &s],
        vec!["HDEL", &s, "a"],
        vec!["HEXISTS", &s, "a"],
        vec!["HLEN", &s],
        vec!["HSTRLEN", &s, "a"],
        vec!["HKEYS", &s],
        vec!["HVALS", &s],
        vec!["HINCRBY", &s, "a", "1"],
        vec!["HINCRBYFLOAT", &s, "a", "1"],
        vec!["HRANDFIELD", &s],
        vec!["HRANDFIELD", &s, "0"],
        vec!["HRANDFIELD", &s, "-5", "WITHVALUES"],
        vec!["HSCAN", &s, "0"],
        vec!["HSCAN", &s, "0", "BOGUS"],
    ] {
        assert_eq!(c.cmd(&cmd), err(WRONGTYPE), "{cmd:?}");
    }
    // Argument errors come first where Redis checks them first.
    assert_eq!(c.cmd(&["HSET", &s, "a"]), arity_err("hset"));
    assert_eq!(c.cmd(&["HINCRBY", &s, "a", "x"]), not_int_err());
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", &s, "a", "x"]),
        err("ERR value is not a valid float")
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", &s, "a", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(c.cmd(&["HRANDFIELD", &s, "x"]), not_int_err());
    assert_eq!(c.cmd(&["HRANDFIELD", &s, "1", "x"]), syntax_err());
    assert_eq!(c.cmd(&["HSCAN", &s, "x"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["GET", &s]), bulk("x"));
    // A hash is not a string either.
    let h = k("wrongtype", "h");
    assert_eq!(c.cmd(&["HSET", &h, "a", "1"]), int(1));
    assert_eq!(c.cmd(&["GET", &h]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["INCR", &h]), err(WRONGTYPE));
}

#[test]
fn hincrby() {
    let mut c = shared().raw();
    let h = k("incrby", "h");
    assert_eq!(c.cmd(&["HINCRBY", &h, "n", "5"]), int(5));
    assert_eq!(c.cmd(&["HINCRBY", &h, "n", "-7"]), int(-2));
    assert_eq!(c.cmd(&["HGET", &h, "n"]), bulk("-2"));
    let not_hash_int = err("ERR hash value is not an integer");
    let overflow = err("ERR increment or decrement would overflow");
    assert_eq!(
        c.cmd(&[
            "HSET",
            &h,
            "s",
            "abc",
            "z",
            "007",
            "max",
            "9223372036854775807",
            "min",
            "-9223372036854775808",
            "e",
            ""
        ]),
        int(5)
    );
    assert_eq!(c.cmd(&["HINCRBY", &h, "s", "1"]), not_hash_int);
    assert_eq!(c.cmd(&["HINCRBY", &h, "z", "1"]), not_hash_int);
    assert_eq!(c.cmd(&["HINCRBY", &h, "e", "1"]), not_hash_int);
    assert_eq!(c.cmd(&["HINCRBY", &h, "max", "1"]), overflow);
    assert_eq!(c.cmd(&["HINCRBY", &h, "max", "0"]), int(i64::MAX));
    assert_eq!(c.cmd(&["HINCRBY", &h, "max", "-1"]), int(i64::MAX - 1));
    assert_eq!(c.cmd(&["HINCRBY", &h, "min", "-1"]), overflow);
    assert_eq!(
        c.cmd(&["HINCRBY", &h, "min", "9223372036854775807"]),
        int(-1)
    );
    assert_eq!(c.cmd(&["HINCRBY", &h, "n", "x"]), not_int_err());
    assert_eq!(c.cmd(&["HINCRBY", &h, "n", "1.5"]), not_int_err());
    assert_eq!(
        c.cmd(&["HINCRBY", &h, "n", "9223372036854775808"]),
        not_int_err()
    );
    let none = k("incrby", "none");
    assert_eq!(c.cmd(&["HINCRBY", &none, "n", "x"]), not_int_err());
    assert_eq!(c.cmd(&["EXISTS", &none]), int(0));
    // The seeds' counter.
    let user = k("incrby", "user:1");
    assert_eq!(c.cmd(&["HSET", &user, "name", "John", "age", "30"]), int(2));
    assert_eq!(c.cmd(&["HGET", &user, "name"]), bulk("John"));
    assert_eq!(c.cmd(&["HINCRBY", &user, "age", "1"]), int(31));
    assert_eq!(
        c.cmd(&["HGETALL", &user]),
        bulks(&["name", "John", "age", "31"])
    );
}

#[test]
fn hincrbyfloat() {
    let mut c = shared().raw();
    let h = k("incrbyfloat", "h");
    let cases = [
        ("f", "0.1", "0.1"),
        ("f", "0.2", "0.3"),
        ("f", "-0.3", "0"),
        ("f", "3.0e3", "3000"),
        ("f", "1e-5", "3000.00001000000000007"),
        ("g", "10.5", "10.5"),
        ("g", "-0.0", "10.5"),
        ("g", "0x10", "26.5"),
        ("i", "5", "5"),
        ("i", "-5.5", "-0.5"),
    ];
    for (field, by, want) in cases {
        assert_eq!(
            c.cmd(&["HINCRBYFLOAT", &h, field, by]),
            bulk(want),
            "{field} += {by}"
        );
    }
    assert_eq!(c.cmd(&["HGET", &h, "f"]), bulk("3000.00001000000000007"));
    assert_eq!(
        c.cmd(&["HSET", &h, "t", "007", "s", "abc", "big", "1e4932"]),
        int(3)
    );
    assert_eq!(c.cmd(&["HINCRBYFLOAT", &h, "t", "0.1"]), bulk("7.1"));
    let not_float = err("ERR value is not a valid float");
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", &h, "s", "1"]),
        err("ERR hash value is not a float")
    );
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", &h, "big", "1e4932"]),
        err("ERR increment would produce NaN or Infinity")
    );
    for bad in ["inf", "-inf", "+inf", "infinity"] {
        assert_eq!(
            c.cmd(&["HINCRBYFLOAT", &h, "f", bad]),
            err("ERR value is NaN or Infinity"),
            "{bad}"
        );
    }
    for bad in ["nan", "abc", "", " 1", "1 ", "1e5000", "--1"] {
        assert_eq!(
            c.cmd(&["HINCRBYFLOAT", &h, "f", bad]),
            not_float.clone(),
            "{bad:?}"
        );
    }
    let none = k("incrbyfloat", "none");
    assert_eq!(
        c.cmd(&["HINCRBYFLOAT", &none, "f", "inf"]),
        err("ERR value is NaN or Infinity")
    );
    assert_eq!(c.cmd(&["EXISTS", &none]), int(0));
    assert_eq!(c.cmd(&["HGET", &h, "f"]), bulk("3000.00001000000000007"));
}

#[test]
fn encodings_cross_thresholds_at_the_defaults() {
    let mut c = shared().raw();
    let long = "x".repeat(65);
    let edge = "x".repeat(64);
    // Entries: 512 stay a listpack, 513 convert, and a shrunk hash stays a hashtable.
    let h = k("enc", "entries");
    fill(&mut c, &h, 512);
    assert_eq!(encoding(&mut c, &h), bulk("listpack"));
    assert_eq!(c.cmd(&["HSET", &h, "field:0", "again"]), int(0));
    assert_eq!(encoding(&mut c, &h), bulk("listpack"));
    assert_eq!(c.cmd(&["HSETNX", &h, "one-more", "v"]), int(1));
    assert_eq!(encoding(&mut c, &h), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["HDEL", &h, "one-more", "field:1", "field:2"]),
        int(3)
    );
    assert_eq!(encoding(&mut c, &h), bulk("hashtable"));
    assert_eq!(c.cmd(&["HLEN", &h]), int(510));
    assert_eq!(c.cmd(&["HGET", &h, "field:0"]), bulk("again"));
    assert_eq!(c.cmd(&["HGET", &h, "field:511"]), bulk("value:511"));
    // Lengths: 64 bytes fit, 65 convert, for a field or a value, by any command.
    let v = k("enc", "value");
    assert_eq!(c.cmd(&["HSET", &v, "f", &edge, &edge, "1"]), int(2));
    assert_eq!(encoding(&mut c, &v), bulk("listpack"));
    assert_eq!(c.cmd(&["HSET", &v, "f", &long]), int(0));
    assert_eq!(encoding(&mut c, &v), bulk("hashtable"));
    assert_eq!(c.cmd(&["HGET", &v, "f"]), bulk(&long));
    let f = k("enc", "field");
    assert_eq!(c.cmd(&["HMSET", &f, "a", "1", &long, "2"]), ok());
    assert_eq!(encoding(&mut c, &f), bulk("hashtable"));
    // HSETNX on an existing field converts nothing, however long the value.
    let nx = k("enc", "setnx");
    assert_eq!(c.cmd(&["HSET", &nx, "f", "1"]), int(1));
    assert_eq!(c.cmd(&["HSETNX", &nx, "f", &long]), int(0));
    assert_eq!(encoding(&mut c, &nx), bulk("listpack"));
    assert_eq!(c.cmd(&["HSETNX", &nx, "g", &long]), int(1));
    assert_eq!(encoding(&mut c, &nx), bulk("hashtable"));
    // HINCRBY with a long field name; HINCRBYFLOAT with a long result.
    let ib = k("enc", "incrby");
    assert_eq!(c.cmd(&["HSET", &ib, "f", "1"]), int(1));
    assert_eq!(c.cmd(&["HINCRBY", &ib, &long, "1"]), int(1));
    assert_eq!(encoding(&mut c, &ib), bulk("hashtable"));
    let fl = k("enc", "float");
    assert_eq!(c.cmd(&["HSET", &fl, "f", "1"]), int(1));
    let r = c.cmd(&["HINCRBYFLOAT", &fl, "f", "1e300"]);
    assert_eq!(r.as_bytes().len(), 301);
    assert!(r.as_str().starts_with("1000000000000000000008997324079559"));
    assert_eq!(encoding(&mut c, &fl), bulk("hashtable"));
    // A failed command converts nothing.
    let bad = k("enc", "bad");
    assert_eq!(c.cmd(&["HSET", &bad, "f", "1"]), int(1));
    assert_eq!(c.cmd(&["HSET", &bad, &long, "1", "2"]), arity_err("hset"));
    assert_eq!(encoding(&mut c, &bad), bulk("listpack"));
}

#[test]
fn thresholds_follow_config_set() {
    // CONFIG SET is server-wide: a private server keeps the shared one's tests unaffected.
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let keys = spread_keys("hash:config:", 4, DEFAULT_SHARDS);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "2"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hash-max-ziplist-entries"]),
        bulks(&["hash-max-ziplist-entries", "2"])
    );
    for key in &keys {
        assert_eq!(c.cmd(&["HSET", key, "a", "1", "b", "2"]), int(2));
        assert_eq!(encoding(&mut c, key), bulk("listpack"), "{key}");
        assert_eq!(c.cmd(&["HSET", key, "c", "3"]), int(1));
        assert_eq!(encoding(&mut c, key), bulk("hashtable"), "{key}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]),
        ok()
    );
    let zero = k("config", "zero");
    assert_eq!(c.cmd(&["HSET", &zero, "a", "1"]), int(1));
    assert_eq!(encoding(&mut c, &zero), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-ziplist-entries", "512"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "3"]),
        ok()
    );
    let short = k("config", "short");
    assert_eq!(c.cmd(&["HSET", &short, "a", "abc"]), int(1));
    assert_eq!(encoding(&mut c, &short), bulk("listpack"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", &short, "n", "1.5"]), bulk("1.5"));
    assert_eq!(encoding(&mut c, &short), bulk("listpack"));
    assert_eq!(c.cmd(&["HINCRBYFLOAT", &short, "n", "0.25"]), bulk("1.75"));
    assert_eq!(encoding(&mut c, &short), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hash-max-listpack-value", "64"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hash-max-listpack-*"])
            .as_pairs()
            .len(),
        2
    );
}

#[test]
fn hrandfield_counts_and_errors() {
    let mut c = shared().raw();
    let h = k("rand", "h");
    assert_eq!(c.cmd(&["HSET", &h, "a", "1", "b", "2", "c", "3"]), int(3));
    let none = k("rand", "none");
    assert_eq!(c.cmd(&["HRANDFIELD", &none]), nil());
    assert_eq!(c.cmd(&["HRANDFIELD", &none, "5"]), arr(vec![]));
    assert_eq!(
        c.cmd(&["HRANDFIELD", &none, "-5", "WITHVALUES"]),
        arr(vec![])
    );
    assert_eq!(c.cmd(&["HRANDFIELD", &none, "x"]), not_int_err());
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "x"]), not_int_err());
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "1.5"]), not_int_err());
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "1", "WITHVALUE"]), syntax_err());
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "1", "WITHVALUES", "x"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    let range = err("ERR value is out of range");
    for n in [
        "4611686018427387904",
        "-4611686018427387904",
        "9223372036854775807",
    ] {
        assert_eq!(c.cmd(&["HRANDFIELD", &h, n, "withvalues"]), range, "{n}");
    }
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "0"]), arr(vec![]));
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "0", "WITHVALUES"]), arr(vec![]));
    // Counts reaching the size return the whole hash, in listpack order.
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "3"]), bulks(&["a", "b", "c"]));
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "9223372036854775807"]),
        bulks(&["a", "b", "c"])
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "4611686018427387903", "WithValues"]),
        bulks(&["a", "1", "b", "2", "c", "3"])
    );
    let one = c.cmd(&["HRANDFIELD", &h]);
    assert!(["a", "b", "c"].contains(&one.as_str().as_str()), "{one:?}");
}

#[test]
fn hrandfield_picks_for_both_encodings() {
    let mut c = shared().raw();
    let small = k("randpick", "small");
    let big = k("randpick", "big");
    fill(&mut c, &small, 10);
    fill(&mut c, &big, 1000);
    assert_eq!(encoding(&mut c, &small), bulk("listpack"));
    assert_eq!(encoding(&mut c, &big), bulk("hashtable"));
    for (key, size) in [(&small, 10usize), (&big, 1000)] {
        // Distinct fields for a positive count.
        let r = c.cmd(&["HRANDFIELD", key, "6"]);
        let fields: BTreeSet<Vec<u8>> =
            r.as_array().iter().map(|f| f.as_bytes().to_vec()).collect();
        assert_eq!(fields.len(), 6, "{key}");
        // Repetition for a negative count: more picks than fields, each a real pair.
        let n = size * 2;
        let r = c.cmd(&["HRANDFIELD", key, &format!("-{n}"), "WITHVALUES"]);
        let items = r.as_array();
        assert_eq!(items.len(), n * 2);
        for pair in items.chunks(2) {
            let f = pair[0].as_str();
            let v = pair[1].as_str();
            assert_eq!(
                f.strip_prefix("field:"),
                v.strip_prefix("value:"),
                "{f} {v}"
            );
        }
        let seen: BTreeSet<&[u8]> = items.iter().step_by(2).map(|f| f.as_bytes()).collect();
        assert!(seen.len() > 1, "{key}: picks look random");
        let r = c.cmd(&["HRANDFIELD", key, "-3"]);
        assert_eq!(r.as_array().len(), 3);
    }
    // A listpack answers a few distinct picks in its own order (Redis: when count*3 <= size).
    let r = c.cmd(&["HRANDFIELD", &small, "3"]);
    let order: Vec<u32> = r
        .as_array()
        .iter()
        .map(|f| f.as_str()["field:".len()..].parse().unwrap_or(0))
        .collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted);
}

#[test]
fn hscan_listpack_returns_everything_at_once() {
    let mut c = shared().raw();
    let h = k("scan", "small");
    assert_eq!(
        c.cmd(&["HSET", &h, "a1", "1", "b1", "2", "a2", "3"]),
        int(3)
    );
    let all = arr(vec![bulk("0"), bulks(&["a1", "1", "b1", "2", "a2", "3"])]);
    assert_eq!(c.cmd(&["HSCAN", &h, "0"]), all);
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "COUNT", "1"]), all);
    // The cursor is ignored for a listpack.
    assert_eq!(c.cmd(&["HSCAN", &h, "12345"]), all);
    assert_eq!(c.cmd(&["HSCAN", &h, "-1"]), all);
    assert_eq!(c.cmd(&["HSCAN", &h, ""]), all);
    assert_eq!(
        c.cmd(&["HSCAN", &h, "0", "MATCH", "a*"]),
        arr(vec![bulk("0"), bulks(&["a1", "1", "a2", "3"])])
    );
    assert_eq!(
        c.cmd(&["HSCAN", &h, "0", "match", "*1", "count", "100", "MATCH", "b?"]),
        arr(vec![bulk("0"), bulks(&["b1", "2"])])
    );
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "MATCH", "*"]), all);
    assert_eq!(
        c.cmd(&["HSCAN", &h, "0", "MATCH", "zz"]),
        arr(vec![bulk("0"), arr(vec![])])
    );
    // Errors, in Redis's order: cursor, key, options.
    assert_eq!(c.cmd(&["HSCAN", &h, "x"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["HSCAN", &h, " 1"]), err("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["HSCAN", &h, "18446744073709551616"]),
        err("ERR invalid cursor")
    );
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "COUNT", "0"]), syntax_err());
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "COUNT", "-1"]), syntax_err());
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "COUNT"]), syntax_err());
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "COUNT", "x"]), not_int_err());
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "TYPE", "hash"]), syntax_err());
    assert_eq!(c.cmd(&["HSCAN", &h, "0", "NOVALUES"]), syntax_err());
    let none = k("scan", "none");
    let empty = arr(vec![bulk("0"), arr(vec![])]);
    assert_eq!(c.cmd(&["HSCAN", &none, "0"]), empty);
    assert_eq!(c.cmd(&["HSCAN", &none, "0", "COUNT", "0", "BOGUS"]), empty);
    assert_eq!(c.cmd(&["HSCAN", &none, "x"]), err("ERR invalid cursor"));
}

#[test]
fn hscan_walks_a_hashtable() {
    let mut c = shared().raw();
    let h = k("scan", "big");
    fill(&mut c, &h, 1000);
    assert_eq!(encoding(&mut c, &h), bulk("hashtable"));
    for (count, pattern) in [("10", None), ("1", None), ("100", Some("field:1*"))] {
        let mut seen = BTreeMap::new();
        let mut cursor = "0".to_string();
        let mut steps = 0;
        loop {
            let mut args = vec!["HSCAN", &h, &cursor, "COUNT", count];
            if let Some(p) = pattern {
                args.extend(["MATCH", p]);
            }
            let r = c.cmd(&args);
            let [next, items] = r.as_array() else {
                panic!("bad reply {r:?}")
            };
            seen.extend(pair_map(items));
            cursor = next.as_str();
            steps += 1;
            if cursor == "0" {
                break;
            }
            assert!(steps < 5000, "the walk must end");
        }
        let want = if pattern.is_some() { 111 } else { 1000 };
        assert_eq!(seen.len(), want, "COUNT {count}");
        for (f, v) in &seen {
            assert_eq!(f[b"field:".len()..], v[b"value:".len()..]);
        }
        assert!(steps > 1, "a hashtable is walked in steps");
    }
}

#[test]
fn resp3_shapes() {
    let mut c = shared().raw();
    let h = k("resp3", "h");
    let none = k("resp3", "none");
    assert_eq!(c.cmd(&["HSET", &h, "a", "1", "b", "2"]), int(2));
    c.cmd(&["HELLO", "3"]);
    assert_eq!(
        c.cmd(&["HGETALL", &h]),
        Resp::Map(vec![(bulk("a"), bulk("1")), (bulk("b"), bulk("2"))])
    );
    assert_eq!(c.cmd(&["HGETALL", &none]), Resp::Map(vec![]));
    assert_eq!(c.cmd(&["HKEYS", &h]), bulks(&["a", "b"]));
    assert_eq!(c.cmd(&["HVALS", &none]), arr(vec![]));
    assert_eq!(c.cmd(&["HGET", &h, "zz"]), Resp::Null);
    assert_eq!(
        c.cmd(&["HMGET", &h, "a", "zz"]),
        arr(vec![bulk("1"), Resp::Null])
    );
    // HINCRBYFLOAT answers with the stored text, not a RESP3 double.
    assert_eq!(c.cmd(&["HINCRBYFLOAT", &h, "f", "1.5"]), bulk("1.5"));
    assert_eq!(c.cmd(&["HRANDFIELD", &none]), Resp::Null);
    assert_eq!(
        c.cmd(&["HRANDFIELD", &none, "2", "WITHVALUES"]),
        arr(vec![])
    );
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "5", "WITHVALUES"]),
        arr(vec![
            arr(vec![bulk("a"), bulk("1")]),
            arr(vec![bulk("b"), bulk("2")]),
            arr(vec![bulk("f"), bulk("1.5")]),
        ])
    );
    let r = c.cmd(&["HRANDFIELD", &h, "-4", "WITHVALUES"]);
    assert_eq!(r.as_array().len(), 4);
    for pair in r.as_array() {
        assert_eq!(pair.as_array().len(), 2);
    }
    assert_eq!(c.cmd(&["HRANDFIELD", &h, "3"]), bulks(&["a", "b", "f"]));
    assert_eq!(
        c.cmd(&["HSCAN", &h, "0", "MATCH", "a"]),
        arr(vec![bulk("0"), bulks(&["a", "1"])])
    );
    c.cmd(&["HELLO", "2"]);
    assert_eq!(
        c.cmd(&["HRANDFIELD", &h, "5", "WITHVALUES"]),
        bulks(&["a", "1", "b", "2", "f", "1.5"])
    );
}

#[test]
fn keys_on_every_shard() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("shards", ""), 8, DEFAULT_SHARDS);
    for (i, key) in keys.iter().enumerate() {
        let n = i.to_string();
        assert_eq!(c.cmd(&["HSET", key, "i", &n, "name", key]), int(2));
        assert_eq!(c.cmd(&["HINCRBY", key, "i", "10"]), int(i as i64 + 10));
        assert_eq!(c.cmd(&["HINCRBYFLOAT", key, "f", "0.5"]), bulk("0.5"));
    }
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(
            c.cmd(&["HGETALL", key]),
            bulks(&["i", &(i + 10).to_string(), "name", key, "f", "0.5"])
        );
        assert_eq!(c.cmd(&["HLEN", key]), int(3));
        assert_eq!(c.cmd(&["HDEL", key, "i", "name", "f"]), int(3));
        assert_eq!(c.cmd(&["EXISTS", key]), int(0));
    }
    // A hash moved to a key on another shard keeps its contents and order.
    let (src, dst) = (&keys[0], &keys[1]);
    assert_ne!(shard_of(src.as_bytes(), 4), shard_of(dst.as_bytes(), 4));
    assert_eq!(c.cmd(&["HSET", src, "z", "1", "a", "2"]), int(2));
    assert_eq!(c.cmd(&["RENAME", src, dst]), ok());
    assert_eq!(c.cmd(&["HGETALL", dst]), bulks(&["z", "1", "a", "2"]));
    assert_eq!(c.cmd(&["COPY", dst, src]), int(1));
    assert_eq!(c.cmd(&["HGETALL", src]), bulks(&["z", "1", "a", "2"]));
    assert_eq!(encoding(&mut c, src), bulk("listpack"));
    assert_eq!(c.cmd(&["DEL", src, dst]), int(2));
}

/// The seeds' token bucket (HMGET, then HMSET and EXPIRE) step by step, as the script runs it.
#[test]
fn token_bucket_commands() {
    let mut c = shared().raw();
    let key = k("bucket", "user:42");
    assert_eq!(
        c.cmd(&["HMGET", &key, "tokens", "last_refill"]),
        arr(vec![nil(), nil()])
    );
    assert_eq!(
        c.cmd(&["HMSET", &key, "tokens", "9", "last_refill", "1700000000.25"]),
        ok()
    );
    assert_eq!(c.cmd(&["EXPIRE", &key, "11"]), int(1));
    assert_eq!(
        c.cmd(&["HMGET", &key, "tokens", "last_refill"]),
        bulks(&["9", "1700000000.25"])
    );
    assert_eq!(
        c.cmd(&[
            "HMSET",
            &key,
            "tokens",
            "8.5",
            "last_refill",
            "1700000000.75"
        ]),
        ok()
    );
    // HMSET keeps the TTL that EXPIRE set.
    let ttl = c.cmd(&["TTL", &key]).as_int();
    assert!((10..=11).contains(&ttl), "{ttl}");
    assert_eq!(
        c.cmd(&["HMGET", &key, "tokens", "last_refill"]),
        bulks(&["8.5", "1700000000.75"])
    );
    // The same through the redis crate, as an application would.
    let mut conn = shared().conn();
    let key2 = k("bucket", "user:43");
    let before: Vec<Option<String>> = redis::cmd("HMGET")
        .arg(&key2)
        .arg("tokens")
        .arg("last_refill")
        .query(&mut conn)
        .expect("HMGET");
    assert_eq!(before, vec![None, None]);
    let (): () = redis::pipe()
        .cmd("HMSET")
        .arg(&key2)
        .arg("tokens")
        .arg(4)
        .arg("last_refill")
        .arg(1_700_000_000.5f64)
        .ignore()
        .cmd("EXPIRE")
        .arg(&key2)
        .arg(11)
        .ignore()
        .query(&mut conn)
        .expect("pipeline");
    let after: (Option<f64>, Option<f64>) = redis::cmd("HMGET")
        .arg(&key2)
        .arg("tokens")
        .arg("last_refill")
        .query(&mut conn)
        .expect("HMGET");
    assert_eq!(after, (Some(4.0), Some(1_700_000_000.5)));
    let all: BTreeMap<String, String> = redis::cmd("HGETALL")
        .arg(&key2)
        .query(&mut conn)
        .expect("HGETALL");
    assert_eq!(all.len(), 2);
}
