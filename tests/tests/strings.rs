//! String commands, every option and every error, with exact replies.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::time::{SystemTime, UNIX_EPOCH};

use ferrokv_tests::*;

/// Keys of one test: `str:<test>:<name>`.
struct Keys(&'static str);

impl Keys {
    fn k(&self, name: &str) -> String {
        format!("str:{}:{name}", self.0)
    }
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn expire_err(cmd: &str) -> Resp {
    err(&format!("ERR invalid expire time in '{cmd}' command"))
}

#[test]
fn get_set_basics() {
    let t = Keys("basics");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["GET", &a]), nil());
    assert_eq!(c.cmd(&["SET", &a, "hello"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk("hello"));
    assert_eq!(c.cmd(&["SET", &a, ""]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk(""));
    assert_eq!(c.cmd(&["STRLEN", &a]), int(0));
    let bin: &[u8] = b"\x00\x01\r\n\xff\xfe$-1\r\n";
    assert_eq!(c.cmdb(&[b"SET", a.as_bytes(), bin]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk(bin));
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(c.cmdb(&[b"SET", a.as_bytes(), &big]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk(&big));
    assert_eq!(c.cmd(&["STRLEN", &a]), int(100_000));
    // Binary and empty keys.
    let bk: &[u8] = b"str:basics:\x00\xff key";
    assert_eq!(c.cmdb(&[b"SET", bk, b"v"]), ok());
    assert_eq!(c.cmdb(&[b"GET", bk]), bulk("v"));
    assert_eq!(c.cmdb(&[b"DEL", bk, a.as_bytes()]), int(2));
    assert_eq!(c.cmd(&["SET", "", "empty-key"]), ok());
    assert_eq!(c.cmd(&["GET", ""]), bulk("empty-key"));
    assert_eq!(c.cmd(&["DEL", ""]), int(1));
    assert_eq!(c.cmd(&["SET", &a, "v", "BOGUS"]), syntax_err());
    assert_eq!(c.cmd(&["SET", &a]), arity_err("set"));
    assert_eq!(c.cmd(&["GET", &a, &a]), arity_err("get"));
    assert_eq!(c.cmd(&["STRLEN", &a]), int(0));
}

#[test]
fn set_nx_xx_get() {
    let t = Keys("nxxx");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["SET", &a, "1", "XX"]), nil());
    assert_eq!(c.cmd(&["GET", &a]), nil());
    assert_eq!(c.cmd(&["SET", &a, "1", "NX"]), ok());
    assert_eq!(c.cmd(&["SET", &a, "2", "NX"]), nil());
    assert_eq!(c.cmd(&["GET", &a]), bulk("1"));
    assert_eq!(c.cmd(&["SET", &a, "3", "XX"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk("3"));
    assert_eq!(c.cmd(&["SET", &a, "4", "GET"]), bulk("3"));
    assert_eq!(c.cmd(&["SET", &a, "5", "nx", "get"]), bulk("4"));
    assert_eq!(c.cmd(&["GET", &a]), bulk("4"));
    assert_eq!(c.cmd(&["SET", &a, "6", "xx", "get"]), bulk("4"));
    assert_eq!(c.cmd(&["GET", &a]), bulk("6"));
    let b = t.k("b");
    assert_eq!(c.cmd(&["SET", &b, "1", "GET"]), nil());
    assert_eq!(c.cmd(&["GET", &b]), bulk("1"));
    assert_eq!(c.cmd(&["SET", &t.k("c"), "1", "XX", "GET"]), nil());
    assert_eq!(c.cmd(&["SET", &t.k("d"), "1", "NX", "GET"]), nil());
    assert_eq!(c.cmd(&["GET", &t.k("d")]), bulk("1"));
    assert_eq!(c.cmd(&["SET", &a, "x", "NX", "XX"]), syntax_err());
    assert_eq!(c.cmd(&["SET", &a, "x", "XX", "NX"]), syntax_err());
    assert_eq!(c.cmd(&["SET", &a, "x", "GET", "GET"]), bulk("6"));
    assert_eq!(c.cmd(&["DEL", &a, &b, &t.k("d")]), int(3));
}

#[test]
fn set_expiry_options() {
    let t = Keys("setexp");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["SET", &a, "v", "EX", "100"]), ok());
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((99..=100).contains(&ttl), "{ttl}");
    assert_eq!(c.cmd(&["SET", &a, "v", "PX", "100000"]), ok());
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((95_000..=100_000).contains(&pttl), "{pttl}");
    let at = now_secs() + 1000;
    assert_eq!(c.cmd(&["SET", &a, "v", "EXAT", &at.to_string()]), ok());
    assert_eq!(c.cmd(&["EXPIRETIME", &a]), int(at));
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(at * 1000));
    let pat = (now_secs() + 2000) * 1000 + 123;
    assert_eq!(c.cmd(&["SET", &a, "v", "PXAT", &pat.to_string()]), ok());
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(pat));
    assert_eq!(c.cmd(&["EXPIRETIME", &a]), int(pat / 1000));
    // KEEPTTL keeps it; a plain SET clears it.
    assert_eq!(c.cmd(&["SET", &a, "w", "KEEPTTL"]), ok());
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(pat));
    assert_eq!(c.cmd(&["GET", &a]), bulk("w"));
    assert_eq!(c.cmd(&["SET", &a, "x"]), ok());
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    // With GET and NX/XX.
    assert_eq!(c.cmd(&["SET", &a, "y", "XX", "EX", "50", "GET"]), bulk("x"));
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((49..=50).contains(&ttl), "{ttl}");
    assert_eq!(c.cmd(&["SET", &a, "z", "NX", "EX", "500"]), nil());
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((49..=50).contains(&ttl), "{ttl}");
    // Options are case-insensitive and order-free.
    assert_eq!(
        c.cmd(&["SET", &a, "y", "get", "px", "7000", "xx"]),
        bulk("y")
    );
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((1..=7000).contains(&pttl), "{pttl}");
    // An absolute time in the past: the key is gone.
    assert_eq!(c.cmd(&["SET", &a, "past", "EXAT", "1"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), nil());
    assert_eq!(c.cmd(&["SET", &a, "past", "PXAT", "1000"]), ok());
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));

    // Errors.
    for (opt, v) in [
        ("EX", "0"),
        ("EX", "-1"),
        ("PX", "0"),
        ("PX", "-100"),
        ("EXAT", "0"),
        ("PXAT", "-5"),
        ("EX", "9223372036854775807"),
        ("PX", "9223372036854775807"),
        ("EXAT", "9223372036854775807"),
        ("EX", "9223372036854775"),
    ] {
        assert_eq!(
            c.cmd(&["SET", &a, "v", opt, v]),
            expire_err("set"),
            "{opt} {v}"
        );
    }
    for v in ["abc", "", "1.5", "9223372036854775808", " 1"] {
        assert_eq!(c.cmd(&["SET", &a, "v", "EX", v]), not_int_err(), "EX {v:?}");
    }
    for opts in [
        &["EX", "10", "PX", "10"][..],
        &["EX", "10", "KEEPTTL"],
        &["KEEPTTL", "PXAT", "10"],
        &["EXAT", "10", "PXAT", "10"],
        &["EX"],
        &["PX"],
        &["EXAT"],
        &["EX", "10", "BOGUS"],
    ] {
        let mut args = vec!["SET", &a, "v"];
        args.extend_from_slice(opts);
        assert_eq!(c.cmd(&args), syntax_err(), "{opts:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    // Repeating the same expiry option is accepted; the last one wins.
    assert_eq!(c.cmd(&["SET", &a, "v", "EX", "10", "EX", "1000"]), ok());
    assert!(c.cmd(&["TTL", &a]).as_int() > 10);
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn setnx_setex_psetex() {
    let t = Keys("setnx");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["SETNX", &a, "1"]), int(1));
    assert_eq!(c.cmd(&["SETNX", &a, "2"]), int(0));
    assert_eq!(c.cmd(&["GET", &a]), bulk("1"));
    assert_eq!(c.cmd(&["SETNX", &a]), arity_err("setnx"));
    assert_eq!(c.cmd(&["SETEX", &a, "100", "ex"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk("ex"));
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((99..=100).contains(&ttl));
    assert_eq!(c.cmd(&["PSETEX", &a, "100000", "px"]), ok());
    assert_eq!(c.cmd(&["GET", &a]), bulk("px"));
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((95_000..=100_000).contains(&pttl));
    assert_eq!(c.cmd(&["SETEX", &a, "0", "v"]), expire_err("setex"));
    assert_eq!(c.cmd(&["SETEX", &a, "-10", "v"]), expire_err("setex"));
    assert_eq!(c.cmd(&["PSETEX", &a, "0", "v"]), expire_err("psetex"));
    assert_eq!(c.cmd(&["SETEX", &a, "abc", "v"]), not_int_err());
    assert_eq!(c.cmd(&["SETEX", &a, "100"]), arity_err("setex"));
    assert_eq!(c.cmd(&["PSETEX", &a, "100"]), arity_err("psetex"));
    assert_eq!(c.cmd(&["GET", &a]), bulk("px"));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn getset_getdel_getex() {
    let t = Keys("getx");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["GETSET", &a, "1"]), nil());
    assert_eq!(c.cmd(&["GETSET", &a, "2"]), bulk("1"));
    assert_eq!(c.cmd(&["EXPIRE", &a, "100"]), int(1));
    assert_eq!(c.cmd(&["GETSET", &a, "3"]), bulk("2"));
    assert_eq!(c.cmd(&["TTL", &a]), int(-1), "GETSET clears the TTL");
    assert_eq!(c.cmd(&["GETDEL", &a]), bulk("3"));
    assert_eq!(c.cmd(&["GETDEL", &a]), nil());
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    assert_eq!(c.cmd(&["GETDEL"]), arity_err("getdel"));

    assert_eq!(c.cmd(&["GETEX", &a]), nil());
    assert_eq!(c.cmd(&["GETEX", &a, "EX", "10"]), nil());
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    assert_eq!(c.cmd(&["SET", &a, "v"]), ok());
    assert_eq!(c.cmd(&["GETEX", &a]), bulk("v"));
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    assert_eq!(c.cmd(&["GETEX", &a, "EX", "100"]), bulk("v"));
    let ttl = c.cmd(&["TTL", &a]).as_int();
    assert!((99..=100).contains(&ttl));
    assert_eq!(c.cmd(&["GETEX", &a, "PX", "200000"]), bulk("v"));
    let pttl = c.cmd(&["PTTL", &a]).as_int();
    assert!((195_000..=200_000).contains(&pttl));
    let at = now_secs() + 3000;
    assert_eq!(c.cmd(&["GETEX", &a, "EXAT", &at.to_string()]), bulk("v"));
    assert_eq!(c.cmd(&["EXPIRETIME", &a]), int(at));
    assert_eq!(
        c.cmd(&["GETEX", &a, "PXAT", &(at * 1000 + 5).to_string()]),
        bulk("v")
    );
    assert_eq!(c.cmd(&["PEXPIRETIME", &a]), int(at * 1000 + 5));
    assert_eq!(c.cmd(&["GETEX", &a, "PERSIST"]), bulk("v"));
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    // Errors.
    assert_eq!(c.cmd(&["GETEX", &a, "EX", "0"]), expire_err("getex"));
    assert_eq!(c.cmd(&["GETEX", &a, "PX", "-1"]), expire_err("getex"));
    assert_eq!(c.cmd(&["GETEX", &a, "EX", "abc"]), not_int_err());
    assert_eq!(c.cmd(&["GETEX", &a, "EX"]), syntax_err());
    assert_eq!(c.cmd(&["GETEX", &a, "EX", "10", "PX", "10"]), syntax_err());
    assert_eq!(c.cmd(&["GETEX", &a, "PERSIST", "EX", "10"]), syntax_err());
    assert_eq!(c.cmd(&["GETEX", &a, "KEEPTTL"]), syntax_err());
    assert_eq!(c.cmd(&["GETEX", &a, "BOGUS"]), syntax_err());
    assert_eq!(c.cmd(&["TTL", &a]), int(-1));
    assert_eq!(c.cmd(&["GETEX"]), arity_err("getex"));
    // A past time deletes the key after returning it.
    assert_eq!(c.cmd(&["GETEX", &a, "EXAT", "1"]), bulk("v"));
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
}

#[test]
fn mget_mset_msetnx_across_shards() {
    let t = Keys("multi");
    let mut c = shared().raw();
    let keys = spread_keys(&t.k(""), 8, DEFAULT_SHARDS);
    let mut args: Vec<&str> = vec!["MSET"];
    let vals: Vec<String> = (0..8).map(|i| format!("v{i}")).collect();
    for (k, v) in keys.iter().zip(&vals) {
        args.push(k);
        args.push(v);
    }
    assert_eq!(c.cmd(&args), ok());
    let mut mget: Vec<&str> = vec!["MGET"];
    mget.extend(keys.iter().map(|s| s.as_str()));
    mget.push("str:multi:missing");
    let mut expect: Vec<Resp> = vals.iter().map(bulk).collect();
    expect.push(nil());
    assert_eq!(c.cmd(&mget), arr(expect));
    // Duplicates: the last value wins; MGET repeats.
    assert_eq!(c.cmd(&["MSET", &keys[0], "x", &keys[0], "y"]), ok());
    assert_eq!(
        c.cmd(&["MGET", &keys[0], &keys[0], &keys[1]]),
        arr(vec![bulk("y"), bulk("y"), bulk("v1")])
    );
    // MSET clears TTLs.
    assert_eq!(c.cmd(&["EXPIRE", &keys[2], "100"]), int(1));
    assert_eq!(c.cmd(&["MSET", &keys[2], "z"]), ok());
    assert_eq!(c.cmd(&["TTL", &keys[2]]), int(-1));
    // MSETNX: all or nothing, across shards.
    let fresh = spread_keys(&t.k("nx"), 4, DEFAULT_SHARDS);
    assert_eq!(
        c.cmd(&["MSETNX", &fresh[0], "1", &fresh[1], "2", &keys[3], "3"]),
        int(0)
    );
    assert_eq!(
        c.cmd(&["MGET", &fresh[0], &fresh[1], &keys[3]]),
        arr(vec![nil(), nil(), bulk("v3")])
    );
    assert_eq!(
        c.cmd(&["MSETNX", &fresh[0], "1", &fresh[1], "2", &fresh[2], "3", &fresh[3], "4"]),
        int(1)
    );
    assert_eq!(c.cmd(&["MGET", &fresh[3], &fresh[0]]), bulks(&["4", "1"]));
    assert_eq!(c.cmd(&["MSETNX", &fresh[0], "9"]), int(0));
    // Arity.
    assert_eq!(c.cmd(&["MSET"]), arity_err("mset"));
    assert_eq!(c.cmd(&["MSET", "a"]), arity_err("mset"));
    assert_eq!(c.cmd(&["MSET", "a", "b", "c"]), arity_err("mset"));
    assert_eq!(c.cmd(&["MSETNX", "a", "b", "c"]), arity_err("msetnx"));
    assert_eq!(c.cmd(&["MGET"]), arity_err("mget"));
    let mut del: Vec<&str> = vec!["DEL"];
    del.extend(keys.iter().chain(&fresh).map(|s| s.as_str()));
    assert_eq!(c.cmd(&del), int(12));
}

#[test]
fn incr_decr_and_integer_edges() {
    let t = Keys("incr");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["INCR", &a]), int(1));
    assert_eq!(c.cmd(&["INCR", &a]), int(2));
    assert_eq!(c.cmd(&["DECR", &a]), int(1));
    assert_eq!(c.cmd(&["INCRBY", &a, "10"]), int(11));
    assert_eq!(c.cmd(&["INCRBY", &a, "-20"]), int(-9));
    assert_eq!(c.cmd(&["DECRBY", &a, "-9"]), int(0));
    assert_eq!(c.cmd(&["DECRBY", &a, "5"]), int(-5));
    assert_eq!(c.cmd(&["GET", &a]), bulk("-5"));
    assert_eq!(c.cmd(&["DECR", &t.k("fresh")]), int(-1));
    // Overflow.
    assert_eq!(c.cmd(&["SET", &a, "9223372036854775806"]), ok());
    assert_eq!(c.cmd(&["INCR", &a]), int(i64::MAX));
    assert_eq!(
        c.cmd(&["INCR", &a]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(
        c.cmd(&["INCRBY", &a, "1"]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(c.cmd(&["GET", &a]), bulk("9223372036854775807"));
    assert_eq!(c.cmd(&["SET", &a, "-9223372036854775808"]), ok());
    assert_eq!(
        c.cmd(&["DECR", &a]),
        err("ERR increment or decrement would overflow")
    );
    assert_eq!(c.cmd(&["INCRBY", &a, "9223372036854775807"]), int(-1));
    assert_eq!(
        c.cmd(&["DECRBY", &a, "-9223372036854775808"]),
        err("ERR decrement would overflow")
    );
    assert_eq!(c.cmd(&["SET", &a, "0"]), ok());
    assert_eq!(
        c.cmd(&["INCRBY", &a, "-9223372036854775808"]),
        int(i64::MIN)
    );
    assert_eq!(c.cmd(&["DECRBY", &a, "-9223372036854775807"]), int(-1));
    // Not integers.
    for v in [
        "abc",
        "",
        " 1",
        "1 ",
        "+1",
        "01",
        "-0",
        "1.0",
        "0x10",
        "9223372036854775808",
        "-9223372036854775809",
        "1e3",
    ] {
        assert_eq!(c.cmd(&["SET", &a, v]), ok());
        assert_eq!(c.cmd(&["INCR", &a]), not_int_err(), "value {v:?}");
        assert_eq!(c.cmd(&["GET", &a]), bulk(v));
    }
    assert_eq!(c.cmd(&["SET", &a, "0"]), ok());
    for v in ["abc", "", "1.5", "9223372036854775808", " 2", "+2"] {
        assert_eq!(c.cmd(&["INCRBY", &a, v]), not_int_err(), "increment {v:?}");
        assert_eq!(c.cmd(&["DECRBY", &a, v]), not_int_err(), "decrement {v:?}");
    }
    assert_eq!(c.cmd(&["INCRBY", &a, "-0"]), not_int_err());
    assert_eq!(c.cmd(&["INCR", &a, "1"]), arity_err("incr"));
    assert_eq!(c.cmd(&["INCRBY", &a]), arity_err("incrby"));
    // An INCR keeps the TTL.
    assert_eq!(c.cmd(&["SET", &a, "5", "EX", "100"]), ok());
    assert_eq!(c.cmd(&["INCR", &a]), int(6));
    assert!(c.cmd(&["TTL", &a]).as_int() > 0);
    // Large and negative values round-trip as text.
    assert_eq!(c.cmd(&["SET", &a, "-123456789012345"]), ok());
    assert_eq!(c.cmd(&["INCR", &a]), int(-123456789012344));
    assert_eq!(c.cmd(&["GET", &a]), bulk("-123456789012344"));
    assert_eq!(c.cmd(&["DEL", &a, &t.k("fresh")]), int(2));
}

#[test]
fn incrbyfloat() {
    let t = Keys("float");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "0.1"]), bulk("0.1"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "0.2"]), bulk("0.3"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "-0.3"]), bulk("0"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "1.5e3"]), bulk("1500"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "-1500.25"]), bulk("-0.25"));
    assert_eq!(c.cmd(&["SET", &a, "10.50"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "0.1"]), bulk("10.6"));
    assert_eq!(c.cmd(&["SET", &a, "5"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "2"]), bulk("7"));
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", &a, "1e17"]),
        bulk("100000000000000007")
    );
    assert_eq!(c.cmd(&["SET", &a, "3.0e3"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "200"]), bulk("3200"));
    assert_eq!(c.cmd(&["SET", &a, "1"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "5.0e-324"]), bulk("1"));
    assert_eq!(c.cmd(&["SET", &a, "0"]), ok());
    assert_eq!(
        c.cmd(&["INCRBYFLOAT", &a, "123456789.125"]),
        bulk("123456789.125")
    );
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "-123456789"]), bulk("0.125"));
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "1e-5"]), bulk("0.12501"));
    // Errors.
    let not_float = err("ERR value is not a valid float");
    for v in ["abc", "", "nan", " 1", "1 "] {
        assert_eq!(c.cmd(&["INCRBYFLOAT", &a, v]), not_float, "increment {v:?}");
    }
    for v in ["inf", "-inf"] {
        assert_eq!(
            c.cmd(&["INCRBYFLOAT", &a, v]),
            err("ERR increment would produce NaN or Infinity"),
            "increment {v:?}"
        );
    }
    assert_eq!(c.cmd(&["SET", &a, "abc"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "1"]), not_float);
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a]), arity_err("incrbyfloat"));
    // INCRBYFLOAT keeps the TTL.
    assert_eq!(c.cmd(&["SET", &a, "1", "EX", "100"]), ok());
    assert_eq!(c.cmd(&["INCRBYFLOAT", &a, "1"]), bulk("2"));
    assert!(c.cmd(&["TTL", &a]).as_int() > 0);
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}

#[test]
fn append_and_strlen() {
    let t = Keys("append");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["APPEND", &a, "Hello"]), int(5));
    assert_eq!(c.cmd(&["APPEND", &a, " World"]), int(11));
    assert_eq!(c.cmd(&["APPEND", &a, ""]), int(11));
    assert_eq!(c.cmd(&["GET", &a]), bulk("Hello World"));
    assert_eq!(c.cmd(&["STRLEN", &a]), int(11));
    assert_eq!(c.cmd(&["STRLEN", &t.k("none")]), int(0));
    assert_eq!(c.cmd(&["APPEND", &t.k("empty"), ""]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &t.k("empty")]), int(1));
    // Appending to an integer.
    assert_eq!(c.cmd(&["SET", &a, "12"]), ok());
    assert_eq!(c.cmd(&["APPEND", &a, "34"]), int(4));
    assert_eq!(c.cmd(&["INCR", &a]), int(1235));
    assert_eq!(c.cmd(&["STRLEN", &a]), int(4));
    // TTL survives APPEND.
    assert_eq!(c.cmd(&["EXPIRE", &a, "100"]), int(1));
    assert_eq!(c.cmd(&["APPEND", &a, "x"]), int(5));
    assert!(c.cmd(&["TTL", &a]).as_int() > 0);
    assert_eq!(c.cmdb(&[b"APPEND", a.as_bytes(), b"\x00\xff"]), int(7));
    assert_eq!(c.cmd(&["GET", &a]), bulk(b"1235x\x00\xff"));
    assert_eq!(c.cmd(&["APPEND", &a]), arity_err("append"));
    assert_eq!(c.cmd(&["STRLEN"]), arity_err("strlen"));
    assert_eq!(c.cmd(&["DEL", &a, &t.k("empty")]), int(2));
}

#[test]
fn getrange_and_setrange() {
    let t = Keys("range");
    let mut c = shared().raw();
    let a = t.k("a");
    assert_eq!(c.cmd(&["SET", &a, "This is a string"]), ok());
    for (s, e, want) in [
        ("0", "3", "This"),
        ("-3", "-1", "ing"),
        ("0", "-1", "This is a string"),
        ("10", "100", "string"),
        ("5", "3", ""),
        ("-100", "3", "This"),
        // Both ends clamp to 0 before the start > end check: Redis returns the first byte.
        ("-100", "-50", "T"),
        ("15", "15", "g"),
        ("16", "20", ""),
        ("-1", "-1", "g"),
        ("0", "0", "T"),
        ("-1", "0", ""),
        ("9223372036854775807", "9223372036854775807", ""),
        (
            "-9223372036854775808",
            "9223372036854775807",
            "This is a string",
        ),
    ] {
        assert_eq!(c.cmd(&["GETRANGE", &a, s, e]), bulk(want), "{s} {e}");
    }
    assert_eq!(c.cmd(&["GETRANGE", &t.k("none"), "0", "-1"]), bulk(""));
    assert_eq!(c.cmd(&["GETRANGE", &a, "a", "1"]), not_int_err());
    assert_eq!(c.cmd(&["GETRANGE", &a, "0"]), arity_err("getrange"));
    // On an integer-encoded value.
    assert_eq!(c.cmd(&["SET", &a, "123456"]), ok());
    assert_eq!(c.cmd(&["GETRANGE", &a, "1", "3"]), bulk("234"));

    assert_eq!(c.cmd(&["SET", &a, "Hello World"]), ok());
    assert_eq!(c.cmd(&["SETRANGE", &a, "6", "Redis"]), int(11));
    assert_eq!(c.cmd(&["GET", &a]), bulk("Hello Redis"));
    assert_eq!(c.cmd(&["SETRANGE", &a, "13", "!"]), int(14));
    assert_eq!(c.cmd(&["GET", &a]), bulk(b"Hello Redis\x00\x00!"));
    assert_eq!(c.cmd(&["SETRANGE", &a, "0", ""]), int(14));
    let b = t.k("b");
    assert_eq!(c.cmd(&["SETRANGE", &b, "0", ""]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &b]), int(0));
    assert_eq!(c.cmd(&["SETRANGE", &b, "3", "x"]), int(4));
    assert_eq!(c.cmd(&["GET", &b]), bulk(b"\x00\x00\x00x"));
    assert_eq!(c.cmd(&["SET", &b, "12345"]), ok());
    assert_eq!(c.cmd(&["SETRANGE", &b, "1", "9"]), int(5));
    assert_eq!(c.cmd(&["INCR", &b]), int(19346));
    assert_eq!(
        c.cmd(&["SETRANGE", &b, "-1", "x"]),
        err("ERR offset is out of range")
    );
    assert_eq!(
        c.cmd(&["SETRANGE", &b, "536870912", "x"]),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(
        c.cmd(&["SETRANGE", &b, "536870911", "xy"]),
        err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    );
    assert_eq!(c.cmd(&["SETRANGE", &b, "abc", "x"]), not_int_err());
    assert_eq!(c.cmd(&["SETRANGE", &b, "1"]), arity_err("setrange"));
    assert_eq!(c.cmd(&["GET", &b]), bulk("19346"));
    assert_eq!(c.cmd(&["DEL", &a, &b]), int(2));
}

#[test]
fn object_encoding_of_strings() {
    let t = Keys("enc");
    let mut c = shared().raw();
    let a = t.k("a");
    for (v, enc) in [
        ("12345", "int"),
        ("-9223372036854775808", "int"),
        ("9223372036854775808", "embstr"),
        ("01", "embstr"),
        ("hello", "embstr"),
        (&"x".repeat(44)[..], "embstr"),
        (&"x".repeat(45)[..], "raw"),
    ] {
        assert_eq!(c.cmd(&["SET", &a, v]), ok());
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &a]), bulk(enc), "{v}");
    }
    assert_eq!(c.cmd(&["SET", &a, "abc"]), ok());
    assert_eq!(c.cmd(&["APPEND", &a, "d"]), int(4));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &a]), bulk("raw"));
    assert_eq!(c.cmd(&["SET", &a, "10"]), ok());
    assert_eq!(c.cmd(&["INCR", &a]), int(11));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &a]), bulk("int"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &t.k("none")]), nil());
    assert_eq!(c.cmd(&["OBJECT", "ENCODING"]), arity_err("object|encoding"));
    assert_eq!(
        c.cmd(&["OBJECT", "FOO", &a]),
        err("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")
    );
    // FREQ needs an LFU policy.
    assert_eq!(
        c.cmd(&["OBJECT", "FREQ", &a]),
        err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
    );
    assert!(c.cmd(&["OBJECT", "IDLETIME", &a]).as_int() >= 0);
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", &t.k("none")]), nil());
    assert_eq!(c.cmd(&["SET", &a, "some text"]), ok());
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", &a]), int(1));
    assert_eq!(c.cmd(&["DEL", &a]), int(1));
}
