//! Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
//! SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN: exact replies and errors,
//! encodings and where they change, RESP3 shapes, keys on every shard and multi-key calls whose
//! keys live on different shards.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::HashSet;

use redis::Commands;

use ferrokv_tests::*;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

fn k(test: &str, name: &str) -> String {
    format!("sets:{test}:{name}")
}

/// `head` followed by `tail`, as one command.
fn with<'a>(head: &[&'a str], tail: &'a [String]) -> Vec<&'a str> {
    let mut v = head.to_vec();
    v.extend(tail.iter().map(String::as_str));
    v
}

fn numbers(range: std::ops::Range<i64>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

/// The members of an array or set reply, sorted (for hashtable-ordered replies).
fn sorted(r: &Resp) -> Vec<String> {
    let mut v: Vec<String> = r.as_array().iter().map(Resp::as_str).collect();
    v.sort();
    v
}

fn encoding(c: &mut RawConn, key: &str) -> Resp {
    c.cmd(&["OBJECT", "ENCODING", key])
}

#[test]
fn sadd_srem_and_membership() {
    let mut c = shared().raw();
    let s = k("basic", "s");
    let none = k("basic", "none");
    assert_eq!(c.cmd(&["SADD", &s, "a", "b", "a"]), int(2));
    assert_eq!(c.cmd(&["SADD", &s, "b", "c"]), int(1));
    assert_eq!(c.cmd(&["SCARD", &s]), int(3));
    assert_eq!(c.cmd(&["SISMEMBER", &s, "a"]), int(1));
    assert_eq!(c.cmd(&["SISMEMBER", &s, "z"]), int(0));
    assert_eq!(
        c.cmd(&["SMISMEMBER", &s, "a", "z", "c", "a"]),
        arr(vec![int(1), int(0), int(1), int(1)])
    );
    assert_eq!(sorted(&c.cmd(&["SMEMBERS", &s])), ["a", "b", "c"]);
    assert_eq!(c.cmd(&["SREM", &s, "a", "x", "a"]), int(1));
    assert_eq!(c.cmd(&["SREM", &s, "b", "c", "d"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", &s]), int(0), "an emptied set is deleted");
    assert_eq!(c.cmd(&["SCARD", &none]), int(0));
    assert_eq!(c.cmd(&["SISMEMBER", &none, "a"]), int(0));
    assert_eq!(
        c.cmd(&["SMISMEMBER", &none, "a", "b"]),
        arr(vec![int(0), int(0)])
    );
    assert_eq!(c.cmd(&["SREM", &none, "a"]), int(0));
    assert_eq!(c.cmd(&["SMEMBERS", &none]), arr(vec![]));
    assert_eq!(c.cmd(&["TYPE", &none]), simple("none"));
    // Binary members and the empty member.
    assert_eq!(c.cmdb(&[b"SADD", s.as_bytes(), b"", b"\x00\r\n"]), int(2));
    assert_eq!(c.cmdb(&[b"SISMEMBER", s.as_bytes(), b"\x00\r\n"]), int(1));
    assert_eq!(c.cmdb(&[b"SISMEMBER", s.as_bytes(), b""]), int(1));
    assert_eq!(c.cmd(&["TYPE", &s]), simple("set"));
    assert_eq!(c.cmd(&["DEL", &s]), int(1));
}

#[test]
fn intsets_are_sorted_and_a_string_member_makes_a_hashtable() {
    let mut c = shared().raw();
    let s = k("intset", "s");
    assert_eq!(
        c.cmd(&[
            "SADD",
            &s,
            "10",
            "-5",
            "3",
            "9223372036854775807",
            "-9223372036854775808",
            "3"
        ]),
        int(5)
    );
    assert_eq!(encoding(&mut c, &s), bulk("intset"));
    let ascending = bulks(&[
        "-9223372036854775808",
        "-5",
        "3",
        "10",
        "9223372036854775807",
    ]);
    assert_eq!(c.cmd(&["SMEMBERS", &s]), ascending);
    assert_eq!(c.cmd(&["SINTER", &s]), ascending);
    assert_eq!(c.cmd(&["SUNION", &s]), ascending);
    assert_eq!(c.cmd(&["SDIFF", &s]), ascending);
    assert_eq!(c.cmd(&["SRANDMEMBER", &s, "100"]), ascending);
    // Out of the i64 range or not canonical: strings.
    for odd in ["9223372036854775808", "03", "+3", " 3", "-0", "3.0", "0x3"] {
        let t = k("intset", "t");
        assert_eq!(c.cmd(&["SADD", &t, "1", odd]), int(2), "{odd}");
        assert_eq!(encoding(&mut c, &t), bulk("hashtable"), "{odd}");
        assert_eq!(c.cmd(&["SISMEMBER", &t, odd]), int(1));
        assert_eq!(c.cmd(&["SISMEMBER", &t, "1"]), int(1));
        assert_eq!(c.cmd(&["SREM", &t, odd]), int(1));
        assert_eq!(
            encoding(&mut c, &t),
            bulk("hashtable"),
            "never converted back"
        );
        assert_eq!(c.cmd(&["DEL", &t]), int(1));
    }
    assert_eq!(c.cmd(&["SISMEMBER", &s, "03"]), int(0));
    assert_eq!(c.cmd(&["SREM", &s, "03", "+3", "3"]), int(1));
    // The first member decides the encoding of a new key.
    let h = k("intset", "h");
    assert_eq!(c.cmd(&["SADD", &h, "x", "1"]), int(2));
    assert_eq!(encoding(&mut c, &h), bulk("hashtable"));
    assert_eq!(c.cmd(&["DEL", &s, &h]), int(2));
}

#[test]
fn an_intset_of_512_becomes_a_hashtable_at_513() {
    let mut c = shared().raw();
    let s = k("limit", "s");
    assert_eq!(c.cmd(&with(&["SADD", &s], &numbers(0..512))), int(512));
    assert_eq!(encoding(&mut c, &s), bulk("intset"));
    assert_eq!(c.cmd(&["SADD", &s, "0", "511"]), int(0));
    assert_eq!(encoding(&mut c, &s), bulk("intset"));
    assert_eq!(c.cmd(&["SADD", &s, "-1"]), int(1));
    assert_eq!(encoding(&mut c, &s), bulk("hashtable"));
    assert_eq!(c.cmd(&["SREM", &s, "-1", "0"]), int(2));
    assert_eq!(encoding(&mut c, &s), bulk("hashtable"));
    assert_eq!(c.cmd(&["SCARD", &s]), int(511));
    assert_eq!(c.cmd(&["SISMEMBER", &s, "300"]), int(1));
    assert_eq!(c.cmd(&["DEL", &s]), int(1));
}

/// CONFIG SET changes the threshold for every shard; on a private server, restored at the end.
#[test]
fn encodings_follow_the_configured_intset_limit() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "set-max-intset-entries"]),
        bulks(&["set-max-intset-entries", "512"])
    );
    let keys = spread_keys("limit:", 8, DEFAULT_SHARDS);
    for key in &keys {
        assert_eq!(c.cmd(&["SADD", key, "1", "2", "3"]), int(3));
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "4"]),
        ok()
    );
    for key in &keys {
        assert_eq!(c.cmd(&["SADD", key, "4"]), int(1));
        assert_eq!(encoding(&mut c, key), bulk("intset"));
        assert_eq!(c.cmd(&["SADD", key, "5"]), int(1));
        assert_eq!(encoding(&mut c, key), bulk("hashtable"), "{key}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "8"]),
        ok()
    );
    let [a, b, d, e, f, ..] = &keys[..] else {
        unreachable!()
    };
    assert_eq!(c.cmd(&["DEL", a, b]), int(2));
    assert_eq!(c.cmd(&["SADD", a, "1", "2", "3", "4", "5", "6"]), int(6));
    assert_eq!(encoding(&mut c, a), bulk("intset"));
    // A limit lowered under an intset's size leaves it alone until it grows.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "4"]),
        ok()
    );
    assert_eq!(encoding(&mut c, a), bulk("intset"));
    assert_eq!(c.cmd(&["SADD", a, "1"]), int(0));
    assert_eq!(encoding(&mut c, a), bulk("intset"));
    // ... and the set copies Redis makes convert it: SUNION of one set, SPOP of all.
    assert_eq!(c.cmd(&["SUNIONSTORE", b, a]), int(6));
    assert_eq!(encoding(&mut c, b), bulk("hashtable"));
    assert_eq!(c.cmd(&["SINTERSTORE", b, a, a]), int(6));
    assert_eq!(encoding(&mut c, b), bulk("hashtable"));
    assert_eq!(c.cmd(&["SDIFFSTORE", b, a, "limit:none"]), int(6));
    assert_eq!(encoding(&mut c, b), bulk("hashtable"));
    assert_eq!(c.cmd(&["DEL", f]), int(1));
    assert_eq!(c.cmd(&["SADD", f, "3", "2", "1"]), int(3));
    assert_eq!(c.cmd(&["SINTERSTORE", b, a, f]), int(3));
    assert_eq!(encoding(&mut c, b), bulk("intset"));
    assert_eq!(sorted(&c.cmd(&["SPOP", a, "6"])), numbers(1..7));
    // SMOVE into a full intset converts it; into a new key, the member decides.
    assert_eq!(c.cmd(&["SADD", a, "10", "11", "12", "13"]), int(4));
    assert_eq!(c.cmd(&["SMOVE", b, a, "1"]), int(1));
    assert_eq!(encoding(&mut c, a), bulk("hashtable"));
    assert_eq!(c.cmd(&["SMOVE", b, e, "2"]), int(1));
    assert_eq!(c.cmd(&["DEL", e]), int(1));
    assert_eq!(c.cmd(&["SMOVE", b, e, "3"]), int(1));
    assert_eq!(encoding(&mut c, e), bulk("intset"));
    // A limit of 0: no intsets at all.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "0"]),
        ok()
    );
    assert_eq!(c.cmd(&["DEL", d]), int(1));
    assert_eq!(c.cmd(&["SADD", d, "7"]), int(1));
    assert_eq!(encoding(&mut c, d), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "set-max-intset-entries", "512"]),
        ok()
    );
    assert_eq!(c.cmd(&["DEL", d]), int(1));
    assert_eq!(c.cmd(&["SADD", d, "7"]), int(1));
    assert_eq!(encoding(&mut c, d), bulk("intset"));
}

#[test]
fn store_results_take_the_encoding_redis_builds() {
    let mut c = shared().raw();
    let [big, one, two, most, small, x, y, d] =
        ["big", "one", "two", "most", "small", "x", "y", "d"].map(|n| k("store-enc", n));
    assert_eq!(c.cmd(&with(&["SADD", &big], &numbers(0..600))), int(600));
    assert_eq!(c.cmd(&["SADD", &one, "0"]), int(1));
    assert_eq!(c.cmd(&["SADD", &two, "1"]), int(1));
    assert_eq!(c.cmd(&with(&["SADD", &most], &numbers(0..590))), int(590));
    // Redis tests each member of the first set when that is cheaper (600*2/2 <= 600+590) and
    // adds only the survivors: an intset.
    assert_eq!(c.cmd(&["SDIFFSTORE", &d, &big, &most]), int(10));
    assert_eq!(encoding(&mut c, &d), bulk("intset"));
    assert_eq!(c.cmd(&["SMEMBERS", &d]), bulks(&numbers(590..600)));
    // Otherwise (600*3/2 > 600+2) it copies the first set and removes: a hashtable.
    assert_eq!(c.cmd(&["SDIFFSTORE", &d, &big, &one, &two]), int(598));
    assert_eq!(encoding(&mut c, &d), bulk("hashtable"));
    assert_eq!(c.cmd(&with(&["SADD", &small], &numbers(0..8))), int(8));
    assert_eq!(c.cmd(&["SADD", &x, "a"]), int(1));
    assert_eq!(c.cmd(&["SADD", &y, "1", "2", "3", "4"]), int(4));
    assert_eq!(c.cmd(&["SDIFFSTORE", &d, &small, &x, &y]), int(4));
    assert_eq!(encoding(&mut c, &d), bulk("intset"));
    // Intersections and unions hold only their result.
    assert_eq!(c.cmd(&["SINTERSTORE", &d, &big, &y]), int(4));
    assert_eq!(encoding(&mut c, &d), bulk("intset"));
    assert_eq!(c.cmd(&["SUNIONSTORE", &d, &small, &y]), int(8));
    assert_eq!(encoding(&mut c, &d), bulk("intset"));
    assert_eq!(c.cmd(&["SUNIONSTORE", &d, &small, &x]), int(9));
    assert_eq!(encoding(&mut c, &d), bulk("hashtable"));
    // SPOP of most of a set rebuilds it from what stays: an intset again.
    assert_eq!(encoding(&mut c, &big), bulk("hashtable"));
    let popped = c.cmd(&["SPOP", &big, "590"]);
    assert_eq!(popped.as_array().len(), 590);
    assert_eq!(encoding(&mut c, &big), bulk("intset"));
    assert_eq!(c.cmd(&["SCARD", &big]), int(10));
    // Popping fewer leaves the encoding alone.
    assert_eq!(c.cmd(&["SPOP", &most, "100"]).as_array().len(), 100);
    assert_eq!(encoding(&mut c, &most), bulk("hashtable"));
    assert_eq!(
        c.cmd(&["DEL", &big, &one, &two, &most, &small, &x, &y, &d]),
        int(8)
    );
}

#[test]
fn resp3_shapes() {
    let mut c = shared().raw();
    let s = k("resp3", "s");
    let h = k("resp3", "h");
    let none = k("resp3", "none");
    assert_eq!(c.cmd(&["SADD", &s, "3", "1", "2"]), int(3));
    assert_eq!(c.cmd(&["SADD", &h, "only"]), int(1));
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    let set_123 = b"~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n".to_vec();
    for cmd in ["SMEMBERS", "SINTER", "SUNION", "SDIFF"] {
        assert_eq!(escape(&c.raw_cmd(&[cmd, &s])), escape(&set_123), "{cmd}");
        assert_eq!(
            escape(&c.raw_cmd(&[cmd, &none])),
            escape(b"~0\r\n"),
            "{cmd}"
        );
    }
    assert_eq!(
        escape(&c.raw_cmd(&["SRANDMEMBER", &s, "3"])),
        escape(b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n")
    );
    assert_eq!(
        escape(&c.raw_cmd(&["SRANDMEMBER", &h, "-2"])),
        escape(b"*2\r\n$4\r\nonly\r\n$4\r\nonly\r\n")
    );
    assert_eq!(
        escape(&c.raw_cmd(&["SRANDMEMBER", &s, "0"])),
        escape(b"*0\r\n")
    );
    assert_eq!(
        escape(&c.raw_cmd(&["SRANDMEMBER", &none, "2"])),
        escape(b"*0\r\n")
    );
    assert_eq!(
        escape(&c.raw_cmd(&["SRANDMEMBER", &none])),
        escape(b"_\r\n")
    );
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &none])), escape(b"_\r\n"));
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &none, "2"])), escape(b"~0\r\n"));
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &s, "0"])), escape(b"~0\r\n"));
    assert_eq!(
        escape(&c.raw_cmd(&["SMISMEMBER", &s, "1", "9"])),
        escape(b"*2\r\n:1\r\n:0\r\n")
    );
    assert_eq!(
        escape(&c.raw_cmd(&["SSCAN", &s, "0"])),
        escape(b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n")
    );
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &s, "5"])), escape(&set_123));
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &h])), escape(b"$4\r\nonly\r\n"));
    assert_eq!(c.cmd(&["EXISTS", &s, &h]), int(0));
    // RESP2: the same sets are plain arrays.
    assert!(matches!(c.cmd(&["HELLO", "2"]), Resp::Array(_)));
    assert_eq!(escape(&c.raw_cmd(&["SMEMBERS", &none])), escape(b"*0\r\n"));
    assert_eq!(escape(&c.raw_cmd(&["SPOP", &none])), escape(b"$-1\r\n"));
}

#[test]
fn wrong_type_and_the_order_of_checks() {
    let mut c = shared().raw();
    let str_key = k("wrongtype", "str");
    let s = k("wrongtype", "{x}s");
    let s2 = k("wrongtype", "{x}s2");
    let none = k("wrongtype", "{x}none");
    let str_x = k("wrongtype", "{x}str");
    assert_eq!(c.cmd(&["SET", &str_key, "v"]), ok());
    assert_eq!(c.cmd(&["SET", &str_x, "v"]), ok());
    assert_eq!(c.cmd(&["SADD", &s, "1", "2"]), int(2));
    let wrong = err(WRONGTYPE);
    for cmd in [
        vec!["SADD", &str_key, "a"],
        vec!["SREM", &str_key, "a"],
        vec!["SMEMBERS", &str_key],
        vec!["SISMEMBER", &str_key, "a"],
        vec!["SMISMEMBER", &str_key, "a"],
        vec!["SCARD", &str_key],
        vec!["SPOP", &str_key],
        vec!["SPOP", &str_key, "1"],
        vec!["SRANDMEMBER", &str_key],
        vec!["SRANDMEMBER", &str_key, "1"],
        vec!["SSCAN", &str_key, "0"],
        vec!["SINTER", &s, &str_x],
        vec!["SUNION", &s, &str_x],
        vec!["SDIFF", &s, &str_x],
        vec!["SINTERCARD", "2", &s, &str_x],
        vec!["SINTERSTORE", &s2, &s, &str_x],
        vec!["SUNIONSTORE", &s2, &s, &str_x],
        vec!["SDIFFSTORE", &s2, &s, &str_x],
        // A missing key does not stop the type checks of the keys after it.
        vec!["SINTER", &none, &str_x],
        vec!["SINTERCARD", "2", &none, &str_x],
        vec!["SINTERSTORE", &s2, &none, &str_x],
        vec!["SDIFF", &none, &str_x],
        vec!["SMOVE", &s, &str_x, "1"],
        vec!["SMOVE", &str_x, &s, "1"],
        vec!["SMOVE", &str_x, &str_x, "1"],
    ] {
        assert_eq!(c.cmd(&cmd), wrong, "{cmd:?}");
    }
    // Checks that come first.
    assert_eq!(c.cmd(&["SMOVE", &none, &str_x, "1"]), int(0));
    assert_eq!(c.cmd(&["SSCAN", &str_key, "x"]), err("ERR invalid cursor"));
    assert_eq!(
        c.cmd(&["SPOP", &str_key, "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(c.cmd(&["SPOP", &str_key, "1", "2"]), syntax_err());
    assert_eq!(c.cmd(&["SRANDMEMBER", &str_key, "x"]), not_int_err());
    assert_eq!(c.cmd(&["SRANDMEMBER", &str_key, "1", "2"]), syntax_err());
    assert_eq!(
        c.cmd(&["SINTERCARD", "2", &s, &str_x, "LIMIT", "x"]),
        err("ERR LIMIT can't be negative")
    );
    // A STORE destination of another type is simply replaced.
    assert_eq!(c.cmd(&["SUNIONSTORE", &str_x, &s]), int(2));
    assert_eq!(c.cmd(&["TYPE", &str_x]), simple("set"));
    // Nothing above changed the sets.
    assert_eq!(c.cmd(&["SMEMBERS", &s]), bulks(&["1", "2"]));
    assert_eq!(c.cmd(&["EXISTS", &s2]), int(0));
    assert_eq!(c.cmd(&["DEL", &str_key, &str_x, &s]), int(3));
}

#[test]
fn arity() {
    let mut c = shared().raw();
    for (cmd, args) in [
        ("SADD", vec!["k"]),
        ("SREM", vec!["k"]),
        ("SMEMBERS", vec![]),
        ("SMEMBERS", vec!["k", "x"]),
        ("SISMEMBER", vec!["k"]),
        ("SISMEMBER", vec!["k", "a", "b"]),
        ("SMISMEMBER", vec!["k"]),
        ("SCARD", vec![]),
        ("SCARD", vec!["k", "x"]),
        ("SPOP", vec![]),
        ("SRANDMEMBER", vec![]),
        ("SMOVE", vec!["a", "b"]),
        ("SMOVE", vec!["a", "b", "c", "d"]),
        ("SINTER", vec![]),
        ("SINTERCARD", vec!["1"]),
        ("SUNION", vec![]),
        ("SDIFF", vec![]),
        ("SINTERSTORE", vec!["d"]),
        ("SUNIONSTORE", vec!["d"]),
        ("SDIFFSTORE", vec!["d"]),
        ("SSCAN", vec!["k"]),
    ] {
        let mut line = vec![cmd];
        line.extend(args);
        assert_eq!(c.cmd(&line), arity_err(cmd), "{line:?}");
    }
    assert_eq!(c.cmd(&["SPOP", "k", "1", "2"]), syntax_err());
    assert_eq!(c.cmd(&["SRANDMEMBER", "k", "1", "2"]), syntax_err());
}

#[test]
fn spop_and_srandmember() {
    let mut c = shared().raw();
    let s = k("random", "s");
    let h = k("random", "h");
    let none = k("random", "none");
    let positive = err("ERR value is out of range, must be positive");
    for bad in ["-1", "x", "18446744073709551616", "1.5", ""] {
        assert_eq!(c.cmd(&["SPOP", &none, bad]), positive, "{bad}");
    }
    assert_eq!(c.cmd(&["SPOP", &none]), nil());
    assert_eq!(c.cmd(&["SPOP", &none, "3"]), arr(vec![]));
    assert_eq!(c.cmd(&["SRANDMEMBER", &none]), nil());
    assert_eq!(c.cmd(&["SRANDMEMBER", &none, "-3"]), arr(vec![]));
    assert_eq!(c.cmd(&["SRANDMEMBER", &none, "x"]), not_int_err());
    let min = "-9223372036854775808";
    let range = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
    assert_eq!(c.cmd(&["SRANDMEMBER", &none, min]), err(range));

    assert_eq!(c.cmd(&with(&["SADD", &s], &numbers(0..20))), int(20));
    assert_eq!(c.cmd(&["SRANDMEMBER", &s, "0"]), arr(vec![]));
    assert_eq!(c.cmd(&["SPOP", &s, "0"]), arr(vec![]));
    assert_eq!(c.cmd(&["SRANDMEMBER", &s, "20"]), bulks(&numbers(0..20)));
    assert_eq!(
        c.cmd(&["SRANDMEMBER", &s, "9223372036854775807"]),
        bulks(&numbers(0..20))
    );
    assert_eq!(c.cmd(&["SRANDMEMBER", &s, min]), err(range));
    let all: HashSet<String> = numbers(0..20).into_iter().collect();
    for n in [1, 2, 5, 6, 7, 19] {
        let picks = c.cmd(&["SRANDMEMBER", &s, &n.to_string()]);
        let picks: Vec<String> = picks.as_array().iter().map(Resp::as_str).collect();
        let distinct: HashSet<String> = picks.iter().cloned().collect();
        assert_eq!((picks.len(), distinct.len()), (n, n), "{picks:?}");
        assert!(distinct.is_subset(&all));
    }
    let picks = c.cmd(&["SRANDMEMBER", &s, "-50"]);
    assert_eq!(picks.as_array().len(), 50);
    assert!(picks.as_array().iter().all(|p| all.contains(&p.as_str())));
    let one = c.cmd(&["SRANDMEMBER", &s]);
    assert!(all.contains(&one.as_str()));
    assert_eq!(
        c.cmd(&["SCARD", &s]),
        int(20),
        "SRANDMEMBER removes nothing"
    );

    let popped = c.cmd(&["SPOP", &s, "5"]);
    let popped: HashSet<String> = popped.as_array().iter().map(Resp::as_str).collect();
    assert_eq!(popped.len(), 5);
    assert_eq!(c.cmd(&["SCARD", &s]), int(15));
    for p in &popped {
        assert_eq!(c.cmd(&["SISMEMBER", &s, p]), int(0));
    }
    let one = c.cmd(&["SPOP", &s]).as_str();
    assert!(all.contains(&one) && !popped.contains(&one));
    assert_eq!(c.cmd(&["SCARD", &s]), int(14));
    // A count covering the set returns it whole (an intset in order) and deletes the key.
    let rest = c.cmd(&["SPOP", &s, "14"]);
    let rest: Vec<String> = rest.as_array().iter().map(Resp::as_str).collect();
    let mut in_order = rest.clone();
    in_order.sort_by_key(|m| m.parse::<i64>().unwrap_or_default());
    assert_eq!(rest, in_order);
    assert_eq!(c.cmd(&["EXISTS", &s]), int(0));

    assert_eq!(c.cmd(&["SADD", &h, "a", "b", "c"]), int(3));
    assert_eq!(sorted(&c.cmd(&["SPOP", &h, "100"])), ["a", "b", "c"]);
    assert_eq!(c.cmd(&["EXISTS", &h]), int(0));
    assert_eq!(c.cmd(&["SADD", &h, "a"]), int(1));
    assert_eq!(c.cmd(&["SPOP", &h]), bulk("a"));
    assert_eq!(c.cmd(&["EXISTS", &h]), int(0));

    if !target_is_redis() {
        // Redis would try to build this reply and exhaust memory; ferrokv refuses it.
        assert_eq!(c.cmd(&["SADD", &h, "a"]), int(1));
        assert_eq!(
            c.cmd(&["SRANDMEMBER", &h, "-9223372036854775807"]),
            err("ERR value is out of range, value must between -8388608 and 9223372036854775807")
        );
        assert_eq!(c.cmd(&["DEL", &h]), int(1));
    }
}

#[test]
fn smove_between_shards() {
    let mut c = shared().raw();
    let src = key_on_shard(&k("smove", "src"), 0, DEFAULT_SHARDS);
    let dst = key_on_shard(&k("smove", "dst"), 1, DEFAULT_SHARDS);
    let strs = key_on_shard(&k("smove", "strs"), 2, DEFAULT_SHARDS);
    let str_key = key_on_shard(&k("smove", "str"), 3, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["SET", &str_key, "v"]), ok());
    assert_eq!(c.cmd(&["SMOVE", &src, &dst, "1"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", &src, &str_key, "1"]), int(0));
    assert_eq!(c.cmd(&["SADD", &src, "1", "2", "3"]), int(3));
    assert_eq!(c.cmd(&["SMOVE", &src, &str_key, "1"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["SMOVE", &str_key, &src, "1"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["SMOVE", &src, &dst, "9"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &dst]), int(0));
    assert_eq!(c.cmd(&["SMOVE", &src, &src, "1"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", &src, &src, "9"]), int(0));
    assert_eq!(c.cmd(&["SMOVE", &src, &dst, "1"]), int(1));
    assert_eq!(encoding(&mut c, &dst), bulk("intset"));
    assert_eq!(c.cmd(&["SMOVE", &src, &dst, "1"]), int(0));
    assert_eq!(c.cmd(&["SADD", &src, "1"]), int(1));
    // Already in the destination: still moved out of the source.
    assert_eq!(c.cmd(&["SMOVE", &src, &dst, "1"]), int(1));
    assert_eq!(c.cmd(&["SMEMBERS", &src]), bulks(&["2", "3"]));
    assert_eq!(c.cmd(&["SMEMBERS", &dst]), bulks(&["1"]));
    assert_eq!(c.cmd(&["SADD", &strs, "a"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", &strs, &dst, "a"]), int(1));
    assert_eq!(
        c.cmd(&["EXISTS", &strs]),
        int(0),
        "an emptied source is deleted"
    );
    assert_eq!(encoding(&mut c, &dst), bulk("hashtable"));
    assert_eq!(c.cmd(&["SMOVE", &src, &strs, "2"]), int(1));
    assert_eq!(c.cmd(&["SMOVE", &src, &strs, "3"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", &src]), int(0));
    assert_eq!(c.cmd(&["SMEMBERS", &strs]), bulks(&["2", "3"]));
    assert_eq!(encoding(&mut c, &strs), bulk("intset"));
    assert_eq!(c.cmd(&["DEL", &dst, &strs, &str_key]), int(3));
}

#[test]
fn set_algebra_with_keys_on_every_shard() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("algebra", ""), 8, DEFAULT_SHARDS);
    let [a, b, cc, ints, dest, none, ..] = &keys[..] else {
        unreachable!()
    };
    assert_eq!(c.cmd(&["SADD", a, "x", "y", "z", "1", "2"]), int(5));
    assert_eq!(c.cmd(&["SADD", b, "y", "z", "w", "2"]), int(4));
    assert_eq!(c.cmd(&["SADD", cc, "z", "2", "v"]), int(3));
    assert_eq!(c.cmd(&["SADD", ints, "2", "1", "3"]), int(3));
    assert_eq!(sorted(&c.cmd(&["SINTER", a, b])), ["2", "y", "z"]);
    assert_eq!(sorted(&c.cmd(&["SINTER", a, b, cc])), ["2", "z"]);
    assert_eq!(c.cmd(&["SINTER", a, b, cc, ints]), bulks(&["2"]));
    assert_eq!(c.cmd(&["SINTER", a, none]), arr(vec![]));
    assert_eq!(c.cmd(&["SINTER", none, a]), arr(vec![]));
    assert_eq!(
        sorted(&c.cmd(&["SINTER", a, a])),
        sorted(&c.cmd(&["SMEMBERS", a]))
    );
    assert_eq!(
        sorted(&c.cmd(&["SUNION", a, b, cc, none])),
        ["1", "2", "v", "w", "x", "y", "z"]
    );
    assert_eq!(c.cmd(&["SUNION", none]), arr(vec![]));
    assert_eq!(
        c.cmd(&["SUNION", ints, none, ints]),
        bulks(&["1", "2", "3"])
    );
    assert_eq!(sorted(&c.cmd(&["SDIFF", a, b])), ["1", "x"]);
    assert_eq!(sorted(&c.cmd(&["SDIFF", a, b, cc, ints])), ["x"]);
    assert_eq!(
        sorted(&c.cmd(&["SDIFF", a, none])),
        sorted(&c.cmd(&["SMEMBERS", a]))
    );
    assert_eq!(c.cmd(&["SDIFF", none, a]), arr(vec![]));
    assert_eq!(
        c.cmd(&["SDIFF", a, b, a]),
        arr(vec![]),
        "the first set again"
    );
    assert_eq!(c.cmd(&["SDIFF", ints, a]), bulks(&["3"]));
    assert_eq!(c.cmd(&["SINTERCARD", "2", a, b]), int(3));
    assert_eq!(c.cmd(&["SINTERCARD", "3", a, b, cc, "LIMIT", "1"]), int(1));
    assert_eq!(c.cmd(&["SINTERCARD", "2", a, none]), int(0));

    // STORE: the destination (with a TTL) is replaced, TTL included.
    assert_eq!(c.cmd(&["SET", dest, "old", "EX", "1000"]), ok());
    assert_eq!(c.cmd(&["SINTERSTORE", dest, a, b]), int(3));
    assert_eq!(c.cmd(&["TTL", dest]), int(-1));
    assert_eq!(sorted(&c.cmd(&["SMEMBERS", dest])), ["2", "y", "z"]);
    assert_eq!(c.cmd(&["EXPIRE", dest, "1000"]), int(1));
    assert_eq!(c.cmd(&["SUNIONSTORE", dest, a, cc]), int(6));
    assert_eq!(c.cmd(&["TTL", dest]), int(-1));
    assert_eq!(c.cmd(&["SDIFFSTORE", dest, ints, a]), int(1));
    assert_eq!(c.cmd(&["SMEMBERS", dest]), bulks(&["3"]));
    assert_eq!(encoding(&mut c, dest), bulk("intset"));
    // The destination may be one of the sources.
    assert_eq!(c.cmd(&["SUNIONSTORE", dest, dest, ints]), int(3));
    assert_eq!(c.cmd(&["SMEMBERS", dest]), bulks(&["1", "2", "3"]));
    assert_eq!(c.cmd(&["SDIFFSTORE", dest, dest, a]), int(1));
    assert_eq!(c.cmd(&["SINTERSTORE", dest, dest, ints]), int(1));
    assert_eq!(c.cmd(&["SMEMBERS", dest]), bulks(&["3"]));
    // An empty result deletes it.
    assert_eq!(c.cmd(&["SINTERSTORE", dest, a, none]), int(0));
    assert_eq!(c.cmd(&["EXISTS", dest]), int(0));
    assert_eq!(c.cmd(&["SUNIONSTORE", dest, a]), int(5));
    assert_eq!(c.cmd(&["SDIFFSTORE", dest, a, a]), int(0));
    assert_eq!(c.cmd(&["EXISTS", dest]), int(0));
    assert_eq!(c.cmd(&["SUNIONSTORE", dest, none]), int(0));
    assert_eq!(c.cmd(&["SINTERSTORE", dest, a, b, cc, ints]), int(1));
    assert_eq!(c.cmd(&["SDIFFSTORE", dest, b, a, cc]), int(1));
    assert_eq!(c.cmd(&["SMEMBERS", dest]), bulks(&["w"]));
    assert_eq!(c.cmd(&["DEL", a, b, cc, ints, dest]), int(5));
}

#[test]
fn big_sets_across_shards() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("big", ""), 4, DEFAULT_SHARDS);
    let members: Vec<String> = (0..2000).map(|i| format!("m{i}")).collect();
    assert_eq!(c.cmd(&with(&["SADD", &keys[0]], &members)), int(2000));
    assert_eq!(
        c.cmd(&with(&["SADD", &keys[1]], &members[1000..])),
        int(1000)
    );
    assert_eq!(c.cmd(&["SINTERCARD", "2", &keys[0], &keys[1]]), int(1000));
    assert_eq!(
        c.cmd(&["SDIFFSTORE", &keys[2], &keys[0], &keys[1]]),
        int(1000)
    );
    let mut want: Vec<String> = members[..1000].to_vec();
    want.sort();
    assert_eq!(sorted(&c.cmd(&["SMEMBERS", &keys[2]])), want);
    assert_eq!(
        c.cmd(&["SUNIONSTORE", &keys[3], &keys[2], &keys[1]]),
        int(2000)
    );
    assert_eq!(
        c.cmd(&["SINTERCARD", "2", &keys[3], &keys[0], "LIMIT", "1500"]),
        int(1500)
    );
    assert_eq!(
        c.cmd(&["SMISMEMBER", &keys[3], "m0", "m1999", "m2000"]),
        arr(vec![int(1), int(1), int(0)])
    );
    assert_eq!(
        c.cmd(&["DEL", &keys[0], &keys[1], &keys[2], &keys[3]]),
        int(4)
    );
}

#[test]
fn sintercard_options() {
    let mut c = shared().raw();
    let a = k("sintercard", "{t}a");
    let b = k("sintercard", "{t}b");
    let str_key = k("sintercard", "{t}str");
    assert_eq!(c.cmd(&["SADD", &a, "1", "2", "3"]), int(3));
    assert_eq!(c.cmd(&["SADD", &b, "2", "3", "4"]), int(3));
    assert_eq!(c.cmd(&["SET", &str_key, "v"]), ok());
    let numkeys = err("ERR numkeys should be greater than 0");
    let limit = err("ERR LIMIT can't be negative");
    for (cmd, want) in [
        (vec!["2", &a, &b], int(2)),
        (vec!["2", &a, &b, "LIMIT", "1"], int(1)),
        (vec!["2", &a, &b, "limit", "0"], int(2)),
        (vec!["2", &a, &b, "LIMIT", "1", "LIMIT", "5"], int(2)),
        (vec!["2", &a, &b, "LIMIT", "9223372036854775807"], int(2)),
        (vec!["1", &a], int(3)),
        (vec!["0", &a], numkeys.clone()),
        (vec!["-1", &a], numkeys.clone()),
        (vec!["x", &a], numkeys.clone()),
        (vec!["9223372036854775808", &a], numkeys),
        (
            vec!["3", &a, &b],
            err("ERR Number of keys can't be greater than number of args"),
        ),
        (vec!["2", &a, &b, "LIMIT", "-1"], limit.clone()),
        (vec!["2", &a, &b, "LIMIT", "x"], limit.clone()),
        (
            vec!["2", &a, &b, "LIMIT", "9223372036854775808"],
            limit.clone(),
        ),
        (vec!["2", &a, &str_key, "LIMIT", "x"], limit),
        (vec!["2", &a, &b, "LIMIT"], syntax_err()),
        (vec!["2", &a, &b, "FOO", "1"], syntax_err()),
        (vec!["1", &a, &b], syntax_err()),
    ] {
        let mut line = vec!["SINTERCARD"];
        line.extend(cmd);
        assert_eq!(c.cmd(&line), want, "{line:?}");
    }
    assert_eq!(c.cmd(&["DEL", &a, &b, &str_key]), int(3));
}

#[test]
fn sscan() {
    let mut c = shared().raw();
    let ints = k("sscan", "ints");
    let h = k("sscan", "h");
    let none = k("sscan", "none");
    let empty_scan = arr(vec![bulk("0"), arr(vec![])]);
    assert_eq!(c.cmd(&["SSCAN", &none, "0"]), empty_scan);
    // Options are only read for a key that exists.
    assert_eq!(c.cmd(&["SSCAN", &none, "0", "COUNT", "0"]), empty_scan);
    assert_eq!(c.cmd(&["SSCAN", &none, "0", "FOO"]), empty_scan);
    assert_eq!(c.cmd(&["SSCAN", &none, "x"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["SSCAN", &none, "-1"]), empty_scan);
    assert_eq!(c.cmd(&with(&["SADD", &ints], &numbers(0..30))), int(30));
    // An intset comes back whole, with cursor 0, whatever COUNT says.
    assert_eq!(
        c.cmd(&["SSCAN", &ints, "0", "COUNT", "1"]),
        arr(vec![bulk("0"), bulks(&numbers(0..30))])
    );
    assert_eq!(
        c.cmd(&["SSCAN", &ints, "123", "MATCH", "2*"]),
        arr(vec![
            bulk("0"),
            bulks(&["2", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"])
        ])
    );
    assert_eq!(c.cmd(&["SSCAN", &ints, "0", "COUNT", "0"]), syntax_err());
    assert_eq!(c.cmd(&["SSCAN", &ints, "0", "COUNT", "x"]), not_int_err());
    assert_eq!(c.cmd(&["SSCAN", &ints, "0", "MATCH"]), syntax_err());
    assert_eq!(c.cmd(&["SSCAN", &ints, "0", "TYPE", "set"]), syntax_err());
    let members: Vec<String> = (0..1000).map(|i| format!("member:{i}")).collect();
    assert_eq!(c.cmd(&with(&["SADD", &h], &members)), int(1000));
    let mut seen: HashSet<String> = HashSet::new();
    let mut cursor = "0".to_string();
    let mut steps = 0;
    loop {
        let r = c.cmd(&["SSCAN", &h, &cursor, "COUNT", "50", "MATCH", "member:*"]);
        let [next, items] = r.as_array() else {
            panic!("bad SSCAN reply {r:?}")
        };
        seen.extend(items.as_array().iter().map(Resp::as_str));
        cursor = next.as_str();
        steps += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 1000);
    assert!(steps > 1, "a hashtable is walked in steps");
    let r = c.cmd(&["SSCAN", &h, "0", "COUNT", "100000", "MATCH", "member:99?"]);
    assert_eq!(r.as_array()[0], bulk("0"));
    assert_eq!(
        sorted(&r.as_array()[1]),
        (990..1000)
            .map(|i| format!("member:{i}"))
            .collect::<Vec<_>>()
    );
    assert_eq!(c.cmd(&["DEL", &ints, &h]), int(2));
}

/// The session store of the seeds: `SETEX session:<token>`, `SADD user_sessions:<id> <token>`,
/// and "log out everywhere" with SMEMBERS and one DEL of every session key (on every shard).
#[test]
fn user_sessions_pattern_from_the_seeds() {
    let mut con = shared().conn();
    let user = k("seed", "user_sessions:42");
    let tokens: Vec<String> = (0..20).map(|i| format!("tok{i:04}-x9Yq")).collect();
    for t in &tokens {
        let session = k("seed", &format!("session:{t}"));
        let _: () = con
            .set_ex(&session, r#"{"user_id": 42, "created_at": 1.5}"#, 3600)
            .unwrap();
        let added: i64 = con.sadd(&user, t).unwrap();
        assert_eq!(added, 1);
    }
    let _: () = con.expire(k("seed", "session:tok0000-x9Yq"), 3600).unwrap();
    let stored: HashSet<String> = con.smembers(&user).unwrap();
    assert_eq!(stored, tokens.iter().cloned().collect::<HashSet<_>>());
    let keys: Vec<String> = stored
        .iter()
        .map(|t| k("seed", &format!("session:{t}")))
        .collect();
    let deleted: i64 = con.del(&keys).unwrap();
    assert_eq!(deleted, 20);
    let deleted: i64 = con.del(&user).unwrap();
    assert_eq!(deleted, 1);
    let left: HashSet<String> = con.smembers(&user).unwrap();
    assert!(left.is_empty());
    let exists: i64 = con.exists(&keys).unwrap();
    assert_eq!(exists, 0);
}

/// The tags example of the seeds: SADD, SMEMBERS and SINTER of two posts' tags.
#[test]
fn tags_example_from_the_seeds() {
    let mut c = shared().raw();
    let post1 = key_on_shard(&k("tags", "post:1"), 0, DEFAULT_SHARDS);
    let post2 = key_on_shard(&k("tags", "post:2"), 3, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["SADD", &post1, "redis", "database"]), int(2));
    assert_eq!(c.cmd(&["SADD", &post2, "redis", "cache"]), int(2));
    assert_eq!(sorted(&c.cmd(&["SMEMBERS", &post1])), ["database", "redis"]);
    assert_eq!(c.cmd(&["SINTER", &post1, &post2]), bulks(&["redis"]));
    assert_eq!(c.cmd(&["DEL", &post1, &post2]), int(2));
}
