//! Sorted-set commands, every option and every error, with exact replies in RESP2 and RESP3;
//! encoding conversions; multi-key commands across shards; the seeds' leaderboard and
//! sliding-window rate limiter.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::BTreeSet;

use ferrokv_tests::*;
use redis::Commands;

fn k(test: &str, name: &str) -> String {
    format!("zset:{test}:{name}")
}

fn dbl(s: &str) -> Resp {
    Resp::Double(s.into())
}

/// A RESP3 array of `[member, score]` pairs.
fn nested(v: &[(&str, &str)]) -> Resp {
    arr(v.iter().map(|(m, s)| arr(vec![bulk(m), dbl(s)])).collect())
}

fn float_err() -> Resp {
    err("ERR value is not a valid float")
}

fn range_err() -> Resp {
    err("ERR min or max is not a float")
}

fn lex_err() -> Resp {
    err("ERR min or max not valid string range item")
}

fn wrongtype() -> Resp {
    err("WRONGTYPE Operation against a key holding the wrong kind of value")
}

fn resp3() -> RawConn {
    let mut c = shared().raw();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    c
}

#[test]
fn zadd_options_and_their_conflicts() {
    let mut c = shared().raw();
    let z = k("zadd", "z");
    assert_eq!(c.cmd(&["ZADD", &z, "1", "a", "2", "b"]), int(2));
    assert_eq!(c.cmd(&["ZADD", &z, "1", "a", "3", "c"]), int(1));
    assert_eq!(
        c.cmd(&["ZADD", &z, "CH", "5", "a", "3", "c", "4", "d"]),
        int(2)
    );
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "9", "a", "6", "e"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", &z, "a"]), bulk("5"));
    assert_eq!(
        c.cmd(&["ZADD", &z, "XX", "CH", "7", "a", "1", "new"]),
        int(1)
    );
    assert_eq!(c.cmd(&["ZSCORE", &z, "new"]), nil());
    assert_eq!(c.cmd(&["ZADD", &z, "GT", "CH", "6", "a", "8", "b"]), int(1));
    assert_eq!(c.cmd(&["ZADD", &z, "LT", "CH", "9", "a", "1", "b"]), int(1));
    assert_eq!(c.cmd(&["ZADD", &z, "XX", "GT", "CH", "100", "a"]), int(1));
    // GT/LT never stop a new member.
    assert_eq!(c.cmd(&["ZADD", &z, "GT", "-5", "f"]), int(1));
    assert_eq!(
        c.cmd(&["ZRANGE", &z, "0", "-1", "WITHSCORES"]),
        bulks(&["f", "-5", "b", "1", "c", "3", "d", "4", "e", "6", "a", "100"])
    );
    let nx_xx = err("ERR XX and NX options at the same time are not compatible");
    let gt_lt = err("ERR GT, LT, and/or NX options at the same time are not compatible");
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "XX", "1", "a"]), nx_xx);
    assert_eq!(c.cmd(&["ZADD", &z, "xx", "nx", "1", "a"]), nx_xx);
    assert_eq!(c.cmd(&["ZADD", &z, "GT", "LT", "1", "a"]), gt_lt);
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "GT", "1", "a"]), gt_lt);
    assert_eq!(c.cmd(&["ZADD", &z, "LT", "NX", "1", "a"]), gt_lt);
    // The pair count is checked before the flags.
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "XX", "1"]), syntax_err());
    assert_eq!(c.cmd(&["ZADD", &z, "1", "a", "2"]), syntax_err());
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "CH", "1"]), syntax_err());
    assert_eq!(
        c.cmd(&["ZADD", &z, "INCR", "1", "a", "2", "b"]),
        err("ERR INCR option supports a single increment-element pair")
    );
    // Every score is checked before anything is added.
    assert_eq!(c.cmd(&["ZADD", &z, "1", "x", "abc", "y"]), float_err());
    assert_eq!(c.cmd(&["ZSCORE", &z, "x"]), nil());
    for bad in ["nan", "", " 1", "1 ", "1e400", "1e-400", "1,5", "inf1"] {
        assert_eq!(c.cmd(&["ZADD", &z, bad, "x"]), float_err(), "{bad:?}");
    }
    assert_eq!(c.cmd(&["ZADD", &z]), arity_err("zadd"));
    assert_eq!(c.cmd(&["ZADD", &z, "1"]), arity_err("zadd"));
    assert_eq!(c.cmd(&["ZADD", &z, "NX"]), arity_err("zadd"));
    // XX on a missing key creates nothing.
    let missing = k("zadd", "missing");
    assert_eq!(c.cmd(&["ZADD", &missing, "XX", "1", "a"]), int(0));
    assert_eq!(c.cmd(&["ZADD", &missing, "XX", "INCR", "1", "a"]), nil());
    assert_eq!(c.cmd(&["EXISTS", &missing]), int(0));
    c.cmd(&["DEL", &z]);
}

#[test]
fn scores_are_read_and_printed_as_redis_does() {
    let mut c = shared().raw();
    let z = k("scores", "z");
    for (arg, shown) in [
        ("0.1", "0.10000000000000001"),
        ("1e3", "1000"),
        ("0x10", "16"),
        ("+7", "7"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1e17", "1e+17"),
        ("123456789.123456789", "123456789.12345679"),
        ("inf", "inf"),
        ("-Infinity", "-inf"),
        ("5e-324", "4.9406564584124654e-324"),
        ("1e-320", "9.9998886718268301e-321"),
        ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ("-0", "0"),
    ] {
        assert_eq!(c.cmd(&["ZADD", &z, arg, "m"]), int(1), "{arg}");
        assert_eq!(c.cmd(&["ZSCORE", &z, "m"]), bulk(shown), "{arg}");
        c.cmd(&["DEL", &z]);
    }
    assert_eq!(
        c.cmd(&["ZINCRBY", &z, "0.1", "m"]),
        bulk("0.10000000000000001")
    );
    assert_eq!(
        c.cmd(&["ZINCRBY", &z, "0.2", "m"]),
        bulk("0.30000000000000004")
    );
    assert_eq!(
        c.cmd(&["ZADD", &z, "INCR", "-0.3", "m"]),
        bulk("5.5511151231257827e-17")
    );
    assert_eq!(c.cmd(&["ZINCRBY", &z, "inf", "m"]), bulk("inf"));
    assert_eq!(
        c.cmd(&["ZINCRBY", &z, "-inf", "m"]),
        err("ERR resulting score is not a number (NaN)")
    );
    assert_eq!(c.cmd(&["ZSCORE", &z, "m"]), bulk("inf"));
    assert_eq!(c.cmd(&["ZINCRBY", &z, "x", "m"]), float_err());
    // ZINCRBY parses like ZADD: an option word where the increment goes is an option.
    assert_eq!(c.cmd(&["ZINCRBY", &z, "nx", "m"]), syntax_err());
    assert_eq!(c.cmd(&["ZINCRBY", &z, "1"]), arity_err("zincrby"));
    c.cmd(&["DEL", &z]);
}

#[test]
fn arity_and_wrong_type() {
    let mut c = shared().raw();
    let s = k("types", "string");
    assert_eq!(c.cmd(&["SET", &s, "v"]), ok());
    for cmd in [
        vec!["ZADD", &s, "1", "a"],
        vec!["ZINCRBY", &s, "1", "a"],
        vec!["ZREM", &s, "a"],
        vec!["ZSCORE", &s, "a"],
        vec!["ZMSCORE", &s, "a"],
        vec!["ZCARD", &s],
        vec!["ZRANK", &s, "a"],
        vec!["ZREVRANK", &s, "a"],
        vec!["ZCOUNT", &s, "0", "1"],
        vec!["ZLEXCOUNT", &s, "-", "+"],
        vec!["ZRANGE", &s, "0", "-1"],
        vec!["ZREVRANGE", &s, "0", "-1"],
        vec!["ZRANGEBYSCORE", &s, "0", "1"],
        vec!["ZREVRANGEBYSCORE", &s, "1", "0"],
        vec!["ZRANGEBYLEX", &s, "-", "+"],
        vec!["ZREVRANGEBYLEX", &s, "+", "-"],
        vec!["ZREMRANGEBYRANK", &s, "0", "1"],
        vec!["ZREMRANGEBYSCORE", &s, "0", "1"],
        vec!["ZREMRANGEBYLEX", &s, "-", "+"],
        vec!["ZPOPMIN", &s],
        vec!["ZPOPMAX", &s, "2"],
        vec!["ZMPOP", "1", &s, "MIN"],
        vec!["ZRANDMEMBER", &s],
        vec!["ZRANDMEMBER", &s, "2"],
        vec!["ZSCAN", &s, "0"],
        vec!["ZUNION", "1", &s],
        vec!["ZINTER", "1", &s],
        vec!["ZDIFF", "1", &s],
        vec!["ZINTERCARD", "1", &s],
        vec!["ZRANGESTORE", &k("types", "dst"), &s, "0", "-1"],
    ] {
        assert_eq!(c.cmd(&cmd), wrongtype(), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["GET", &s]), bulk("v"));
    for (cmd, argc) in [
        ("ZADD", 3),
        ("ZINCRBY", 3),
        ("ZINCRBY", 5),
        ("ZREM", 2),
        ("ZSCORE", 2),
        ("ZSCORE", 4),
        ("ZMSCORE", 2),
        ("ZCARD", 1),
        ("ZCARD", 3),
        ("ZRANK", 4),
        ("ZREVRANK", 2),
        ("ZCOUNT", 3),
        ("ZLEXCOUNT", 5),
        ("ZRANGE", 3),
        ("ZRANGESTORE", 4),
        ("ZREVRANGE", 3),
        ("ZRANGEBYSCORE", 3),
        ("ZRANGEBYLEX", 3),
        ("ZREMRANGEBYRANK", 5),
        ("ZREMRANGEBYSCORE", 3),
        ("ZREMRANGEBYLEX", 3),
        ("ZPOPMIN", 1),
        ("ZMPOP", 3),
        ("ZRANDMEMBER", 1),
        ("ZSCAN", 2),
        ("ZUNION", 2),
        ("ZINTER", 2),
        ("ZDIFF", 2),
        ("ZINTERCARD", 2),
        ("ZUNIONSTORE", 3),
        ("ZINTERSTORE", 3),
        ("ZDIFFSTORE", 3),
    ] {
        let mut args = vec![cmd];
        args.extend(std::iter::repeat_n("1", argc - 1));
        assert_eq!(c.cmd(&args), arity_err(cmd), "{args:?}");
    }
    c.cmd(&["DEL", &s]);
}

#[test]
fn point_reads() {
    let mut c = shared().raw();
    let z = k("reads", "z");
    let none = k("reads", "none");
    assert_eq!(c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c"]), int(3));
    assert_eq!(c.cmd(&["ZCARD", &z]), int(3));
    assert_eq!(c.cmd(&["ZCARD", &none]), int(0));
    assert_eq!(c.cmd(&["ZSCORE", &z, "b"]), bulk("2"));
    assert_eq!(c.cmd(&["ZSCORE", &z, "x"]), nil());
    assert_eq!(c.cmd(&["ZSCORE", &none, "x"]), nil());
    assert_eq!(
        c.cmd(&["ZMSCORE", &z, "c", "x", "a"]),
        arr(vec![bulk("3"), nil(), bulk("1")])
    );
    assert_eq!(
        c.cmd(&["ZMSCORE", &none, "a", "b"]),
        arr(vec![nil(), nil()])
    );
    assert_eq!(c.cmd(&["ZRANK", &z, "a"]), int(0));
    assert_eq!(c.cmd(&["ZRANK", &z, "c"]), int(2));
    assert_eq!(c.cmd(&["ZREVRANK", &z, "a"]), int(2));
    assert_eq!(c.cmd(&["ZRANK", &z, "x"]), nil());
    assert_eq!(c.cmd(&["ZREVRANK", &none, "x"]), nil());
    // WITHSCORE arrived in 7.2; 7.0 has no such form.
    assert_eq!(c.cmd(&["ZRANK", &z, "a", "WITHSCORE"]), arity_err("zrank"));
    assert_eq!(c.cmd(&["ZREM", &z, "a", "x", "a"]), int(1));
    assert_eq!(c.cmd(&["ZREM", &none, "a"]), int(0));
    assert_eq!(c.cmd(&["ZREM", &z, "b", "c"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
}

#[test]
fn zrange_by_rank() {
    let mut c = shared().raw();
    let z = k("rank", "z");
    c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    let r = |c: &mut RawConn, a: &[&str]| {
        let mut v = vec!["ZRANGE", z.as_str()];
        v.extend(a);
        c.cmd(&v)
    };
    assert_eq!(r(&mut c, &["0", "-1"]), bulks(&["a", "b", "c", "d", "e"]));
    assert_eq!(r(&mut c, &["1", "2"]), bulks(&["b", "c"]));
    assert_eq!(r(&mut c, &["-2", "100"]), bulks(&["d", "e"]));
    assert_eq!(r(&mut c, &["-100", "0"]), bulks(&["a"]));
    assert_eq!(r(&mut c, &["3", "1"]), arr(vec![]));
    assert_eq!(r(&mut c, &["5", "10"]), arr(vec![]));
    assert_eq!(
        r(&mut c, &["-9223372036854775808", "9223372036854775807"]),
        bulks(&["a", "b", "c", "d", "e"])
    );
    assert_eq!(r(&mut c, &["0", "1", "REV"]), bulks(&["e", "d"]));
    assert_eq!(
        r(&mut c, &["0", "1", "rev", "withscores"]),
        bulks(&["e", "5", "d", "4"])
    );
    assert_eq!(
        c.cmd(&["ZREVRANGE", &z, "1", "-2", "WITHSCORES"]),
        bulks(&["d", "4", "c", "3", "b", "2"])
    );
    assert_eq!(r(&mut c, &["x", "1"]), not_int_err());
    assert_eq!(r(&mut c, &["0", "1", "BOGUS"]), syntax_err());
    assert_eq!(r(&mut c, &["0", "1", "REV", "REV"]), syntax_err());
    assert_eq!(
        r(&mut c, &["0", "1", "LIMIT", "0", "1"]),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    // A LIMIT whose count is -1 is no limit at all, and so no error.
    assert_eq!(
        r(&mut c, &["0", "1", "LIMIT", "5", "-1"]),
        bulks(&["a", "b"])
    );
    assert_eq!(r(&mut c, &["0", "1", "LIMIT", "5"]), syntax_err());
    assert_eq!(r(&mut c, &["0", "1", "LIMIT", "x", "1"]), not_int_err());
    assert_eq!(c.cmd(&["ZREVRANGE", &z, "0", "1", "REV"]), syntax_err());
    assert_eq!(
        c.cmd(&["ZRANGE", &k("rank", "none"), "0", "-1"]),
        arr(vec![])
    );
    c.cmd(&["DEL", &z]);
}

#[test]
fn zrange_by_score() {
    let mut c = shared().raw();
    let z = k("byscore", "z");
    c.cmd(&[
        "ZADD", &z, "-inf", "ninf", "1", "a", "2", "b", "2", "bb", "3", "c", "inf", "pinf",
    ]);
    let by = |c: &mut RawConn, cmd: &str, a: &[&str]| {
        let mut v = vec![cmd, z.as_str()];
        v.extend(a);
        c.cmd(&v)
    };
    let all = ["ninf", "a", "b", "bb", "c", "pinf"];
    assert_eq!(by(&mut c, "ZRANGEBYSCORE", &["-inf", "+inf"]), bulks(&all));
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["(1", "(3"]),
        bulks(&["b", "bb"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["2", "2"]),
        bulks(&["b", "bb"])
    );
    assert_eq!(by(&mut c, "ZRANGEBYSCORE", &["(2", "2"]), arr(vec![]));
    assert_eq!(by(&mut c, "ZRANGEBYSCORE", &["3", "1"]), arr(vec![]));
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["(-inf", "(inf"]),
        bulks(&["a", "b", "bb", "c"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["1", "2", "WITHSCORES"]),
        bulks(&["a", "1", "b", "2", "bb", "2"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["-inf", "inf", "LIMIT", "1", "2"]),
        bulks(&["a", "b"])
    );
    assert_eq!(
        by(
            &mut c,
            "ZRANGEBYSCORE",
            &["-inf", "inf", "LIMIT", "4", "-5"]
        ),
        bulks(&["c", "pinf"])
    );
    assert_eq!(
        by(
            &mut c,
            "ZRANGEBYSCORE",
            &["-inf", "inf", "LIMIT", "-1", "5"]
        ),
        arr(vec![])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["-inf", "inf", "LIMIT", "6", "5"]),
        arr(vec![])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["-inf", "inf", "LIMIT", "0", "0"]),
        arr(vec![])
    );
    assert_eq!(
        by(
            &mut c,
            "ZREVRANGEBYSCORE",
            &["+inf", "(1", "WITHSCORES", "LIMIT", "1", "2"]
        ),
        bulks(&["c", "3", "bb", "2"])
    );
    assert_eq!(by(&mut c, "ZREVRANGEBYSCORE", &["1", "3"]), arr(vec![]));
    assert_eq!(
        by(&mut c, "ZRANGE", &["(1", "3", "BYSCORE"]),
        bulks(&["b", "bb", "c"])
    );
    assert_eq!(
        by(
            &mut c,
            "ZRANGE",
            &["3", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"]
        ),
        bulks(&["c", "bb"])
    );
    // strtod's leniency: leading space, the empty string (0), overflow to inf.
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &[" 1", "1e400"]),
        bulks(&["a", "b", "bb", "c", "pinf"])
    );
    assert_eq!(by(&mut c, "ZRANGEBYSCORE", &["", "("]), arr(vec![]));
    assert_eq!(by(&mut c, "ZCOUNT", &["", "1"]), int(1));
    for (min, max) in [
        ("nan", "1"),
        ("1", "(nan"),
        ("1 ", "2"),
        ("x", "1"),
        ("((1", "2"),
    ] {
        assert_eq!(
            by(&mut c, "ZRANGEBYSCORE", &[min, max]),
            range_err(),
            "{min} {max}"
        );
    }
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["0", "1", "REV"]),
        syntax_err()
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["0", "1", "BYSCORE"]),
        syntax_err()
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["0", "1", "LIMIT", "0"]),
        syntax_err()
    );
    assert_eq!(
        by(&mut c, "ZRANGE", &["0", "1", "BYSCORE", "BYLEX"]),
        syntax_err()
    );
    // Options are read before the range.
    assert_eq!(
        by(&mut c, "ZRANGEBYSCORE", &["x", "1", "LIMIT", "x", "1"]),
        not_int_err()
    );
    assert_eq!(by(&mut c, "ZCOUNT", &["-inf", "+inf"]), int(6));
    assert_eq!(by(&mut c, "ZCOUNT", &["(1", "(inf"]), int(3));
    assert_eq!(by(&mut c, "ZCOUNT", &["5", "1"]), int(0));
    assert_eq!(by(&mut c, "ZCOUNT", &["x", "1"]), range_err());
    assert_eq!(
        c.cmd(&["ZCOUNT", &k("byscore", "none"), "x", "1"]),
        range_err()
    );
    assert_eq!(c.cmd(&["ZCOUNT", &k("byscore", "none"), "0", "1"]), int(0));
    c.cmd(&["DEL", &z]);
}

#[test]
fn zrange_by_lex() {
    let mut c = shared().raw();
    let z = k("bylex", "z");
    c.cmd(&[
        "ZADD", &z, "0", "a", "0", "aa", "0", "b", "0", "c", "0", "d", "0", "",
    ]);
    let by = |c: &mut RawConn, cmd: &str, a: &[&str]| {
        let mut v = vec![cmd, z.as_str()];
        v.extend(a);
        c.cmd(&v)
    };
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["-", "+"]),
        bulks(&["", "a", "aa", "b", "c", "d"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["[a", "(b"]),
        bulks(&["a", "aa"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["(a", "[b"]),
        bulks(&["aa", "b"])
    );
    assert_eq!(by(&mut c, "ZRANGEBYLEX", &["[", "(a"]), bulks(&[""]));
    assert_eq!(by(&mut c, "ZRANGEBYLEX", &["(", "(a"]), arr(vec![]));
    assert_eq!(by(&mut c, "ZRANGEBYLEX", &["+", "-"]), arr(vec![]));
    assert_eq!(by(&mut c, "ZRANGEBYLEX", &["[b", "[a"]), arr(vec![]));
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["-", "+", "LIMIT", "2", "3"]),
        bulks(&["aa", "b", "c"])
    );
    assert_eq!(
        by(&mut c, "ZREVRANGEBYLEX", &["+", "(a", "LIMIT", "1", "2"]),
        bulks(&["c", "b"])
    );
    assert_eq!(
        by(&mut c, "ZRANGE", &["[d", "[b", "BYLEX", "REV"]),
        bulks(&["d", "c", "b"])
    );
    for (min, max) in [("a", "+"), ("-", "b"), ("", "+"), ("+a", "+"), ("-", "-x")] {
        assert_eq!(
            by(&mut c, "ZRANGEBYLEX", &[min, max]),
            lex_err(),
            "{min} {max}"
        );
    }
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["-", "+", "WITHSCORES"]),
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
    assert_eq!(
        by(&mut c, "ZRANGE", &["-", "+", "BYLEX", "WITHSCORES"]),
        err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
    );
    assert_eq!(by(&mut c, "ZLEXCOUNT", &["-", "+"]), int(6));
    assert_eq!(by(&mut c, "ZLEXCOUNT", &["(a", "[c"]), int(3));
    assert_eq!(by(&mut c, "ZLEXCOUNT", &["a", "[c"]), lex_err());
    assert_eq!(by(&mut c, "ZREMRANGEBYLEX", &["(a", "[c"]), int(3));
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["-", "+"]),
        bulks(&["", "a", "d"])
    );
    assert_eq!(by(&mut c, "ZREMRANGEBYLEX", &["x", "+"]), lex_err());
    assert_eq!(by(&mut c, "ZREMRANGEBYLEX", &["-", "+"]), int(3));
    assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
}

#[test]
fn lex_ranges_over_members_out_of_lex_order() {
    // Redis walks from the first member above min and stops at the first one above max;
    // on a small (listpack) sorted set that answer is well defined.
    let mut c = shared().raw();
    let z = k("mixedlex", "z");
    c.cmd(&["ZADD", &z, "1", "b", "2", "d", "3", "a", "4", "c", "5", "e"]);
    let by = |c: &mut RawConn, cmd: &str, a: &[&str]| {
        let mut v = vec![cmd, z.as_str()];
        v.extend(a);
        c.cmd(&v)
    };
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["[b", "[d"]),
        bulks(&["b", "d", "a", "c"])
    );
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["[a", "[z", "LIMIT", "2", "2"]),
        bulks(&["a", "c"])
    );
    assert_eq!(by(&mut c, "ZREVRANGEBYLEX", &["[d", "[b"]), bulks(&["c"]));
    assert_eq!(by(&mut c, "ZLEXCOUNT", &["[b", "[d"]), int(4));
    // The walk passes members below the min ("a") until one is above the max ("e").
    assert_eq!(
        by(&mut c, "ZRANGEBYLEX", &["[c", "[d"]),
        bulks(&["d", "a", "c"])
    );
    assert_eq!(by(&mut c, "ZREMRANGEBYLEX", &["[b", "[c"]), int(1));
    assert_eq!(
        by(&mut c, "ZRANGE", &["0", "-1"]),
        bulks(&["d", "a", "c", "e"])
    );
    c.cmd(&["DEL", &z]);
}

#[test]
fn zremrange_by_rank_and_score() {
    let mut c = shared().raw();
    let z = k("remrange", "z");
    let fill = |c: &mut RawConn| {
        c.cmd(&["DEL", &z]);
        c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    };
    fill(&mut c);
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "1", "2"]), int(2));
    assert_eq!(c.cmd(&["ZRANGE", &z, "0", "-1"]), bulks(&["a", "d", "e"]));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "-1", "-1"]), int(1));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "5", "10"]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "1", "0"]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "x", "0"]), not_int_err());
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "-100", "100"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
    fill(&mut c);
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "(1", "3"]), int(2));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "10", "20"]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "x", "20"]), range_err());
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "-inf", "(5"]), int(2));
    assert_eq!(
        c.cmd(&["ZRANGE", &z, "0", "-1", "WITHSCORES"]),
        bulks(&["e", "5"])
    );
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "-inf", "+inf"]), int(1));
    assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
    assert_eq!(c.cmd(&["ZREMRANGEBYSCORE", &z, "-inf", "+inf"]), int(0));
}

#[test]
fn zpop_and_zmpop() {
    let mut c = shared().raw();
    let z = k("pop", "z");
    let other = k("pop", "other");
    let none = k("pop", "none");
    c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["ZPOPMIN", &z]), bulks(&["a", "1"]));
    assert_eq!(c.cmd(&["ZPOPMAX", &z, "2"]), bulks(&["d", "4", "c", "3"]));
    assert_eq!(c.cmd(&["ZPOPMIN", &z, "0"]), arr(vec![]));
    assert_eq!(
        c.cmd(&["ZPOPMIN", &z, "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(c.cmd(&["ZPOPMIN", &z, "1", "2"]), syntax_err());
    assert_eq!(c.cmd(&["ZPOPMAX", &z, "10"]), bulks(&["b", "2"]));
    assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
    assert_eq!(c.cmd(&["ZPOPMIN", &none]), arr(vec![]));
    assert_eq!(c.cmd(&["ZPOPMIN", &none, "3"]), arr(vec![]));

    c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c"]);
    let mpop = |c: &mut RawConn, a: &[&str]| {
        let mut v = vec!["ZMPOP"];
        v.extend(a);
        c.cmd(&v)
    };
    assert_eq!(
        mpop(&mut c, &["2", &none, &z, "MIN"]),
        arr(vec![bulk(&z), arr(vec![bulks(&["a", "1"])])])
    );
    assert_eq!(
        mpop(&mut c, &["1", &z, "max", "COUNT", "5"]),
        arr(vec![
            bulk(&z),
            arr(vec![bulks(&["c", "3"]), bulks(&["b", "2"])])
        ])
    );
    assert_eq!(mpop(&mut c, &["2", &none, &z, "MIN"]), Resp::NilArray);
    let numkeys = err("ERR numkeys should be greater than 0");
    assert_eq!(mpop(&mut c, &["0", &z, "MIN"]), numkeys);
    assert_eq!(mpop(&mut c, &["x", &z, "MIN"]), numkeys);
    assert_eq!(mpop(&mut c, &["2", &z, "MIN"]), syntax_err());
    assert_eq!(mpop(&mut c, &["1", &z, "MID"]), syntax_err());
    let count = err("ERR count should be greater than 0");
    assert_eq!(mpop(&mut c, &["1", &z, "MIN", "COUNT", "0"]), count);
    assert_eq!(mpop(&mut c, &["1", &z, "MIN", "COUNT", "x"]), count);
    assert_eq!(mpop(&mut c, &["1", &z, "MIN", "COUNT"]), syntax_err());
    assert_eq!(
        mpop(&mut c, &["1", &z, "MIN", "COUNT", "1", "COUNT", "1"]),
        syntax_err()
    );
    c.cmd(&["SET", &other, "x"]);
    assert_eq!(mpop(&mut c, &["2", &none, &other, "MIN"]), wrongtype());
    c.cmd(&["DEL", &other]);
}

#[test]
fn zmpop_and_set_operations_across_shards() {
    let mut c = shared().raw();
    let keys: Vec<String> = (0..DEFAULT_SHARDS)
        .map(|s| key_on_shard(&k("cross", "src"), s, DEFAULT_SHARDS))
        .collect();
    let dst = key_on_shard(&k("cross", "dst"), 1, DEFAULT_SHARDS);
    for (i, key) in keys.iter().enumerate() {
        let s = (i + 1).to_string();
        assert_eq!(
            c.cmd(&["ZADD", key, &s, "common", &s, &format!("own{i}")]),
            int(2)
        );
    }
    let mut union = vec!["ZUNION", "4"];
    union.extend(keys.iter().map(String::as_str));
    union.push("WITHSCORES");
    assert_eq!(
        c.cmd(&union),
        bulks(&["own0", "1", "own1", "2", "own2", "3", "own3", "4", "common", "10"])
    );
    let mut store = vec!["ZINTERSTORE", dst.as_str(), "4"];
    store.extend(keys.iter().map(String::as_str));
    store.extend(["AGGREGATE", "MAX"]);
    assert_eq!(c.cmd(&store), int(1));
    assert_eq!(
        c.cmd(&["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["common", "4"])
    );
    let mut card = vec!["ZINTERCARD", "4"];
    card.extend(keys.iter().map(String::as_str));
    assert_eq!(c.cmd(&card), int(1));
    assert_eq!(c.cmd(&["ZRANGESTORE", &dst, &keys[2], "0", "0"]), int(1));
    assert_eq!(
        c.cmd(&["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["common", "3"])
    );
    let mut mpop = vec!["ZMPOP", "4"];
    mpop.extend(keys.iter().map(String::as_str));
    mpop.extend(["MAX", "COUNT", "2"]);
    assert_eq!(
        c.cmd(&mpop),
        arr(vec![
            bulk(&keys[0]),
            arr(vec![bulks(&["own0", "1"]), bulks(&["common", "1"])])
        ])
    );
    assert_eq!(c.cmd(&["EXISTS", &keys[0]]), int(0));
    let mut del = vec!["DEL", dst.as_str()];
    del.extend(keys.iter().map(String::as_str));
    c.cmd(&del);
}

#[test]
fn zrandmember_counts_and_shapes() {
    let mut c = shared().raw();
    let z = k("rand", "z");
    let none = k("rand", "none");
    let members = ["a", "b", "c", "d", "e"];
    c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
    let one = c.cmd(&["ZRANDMEMBER", &z]);
    assert!(members.contains(&one.as_str().as_str()), "{one:?}");
    assert_eq!(c.cmd(&["ZRANDMEMBER", &none]), nil());
    assert_eq!(c.cmd(&["ZRANDMEMBER", &none, "3"]), arr(vec![]));
    assert_eq!(c.cmd(&["ZRANDMEMBER", &z, "0"]), arr(vec![]));
    let distinct = c.cmd(&["ZRANDMEMBER", &z, "3"]);
    let got: BTreeSet<String> = distinct.as_array().iter().map(Resp::as_str).collect();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| members.contains(&m.as_str())));
    // A count that covers the set returns all of it, highest score first.
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &z, "100", "WITHSCORES"]),
        bulks(&["e", "5", "d", "4", "c", "3", "b", "2", "a", "1"])
    );
    let repeated = c.cmd(&["ZRANDMEMBER", &z, "-20", "WITHSCORES"]);
    let flat = repeated.as_array();
    assert_eq!(flat.len(), 40);
    for pair in flat.chunks(2) {
        let m = pair[0].as_str();
        let i = members.iter().position(|x| *x == m).expect("a member");
        assert_eq!(pair[1], bulk((i + 1).to_string()));
    }
    assert_eq!(c.cmd(&["ZRANDMEMBER", &z, "x"]), not_int_err());
    assert_eq!(c.cmd(&["ZRANDMEMBER", &z, "1", "SCORES"]), syntax_err());
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &z, "1", "WITHSCORES", "x"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &z, "-9223372036854775808"]),
        err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &z, "-4611686018427387904", "WITHSCORES"]),
        err("ERR value is out of range")
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &none, "4611686018427387904", "WITHSCORES"]),
        err("ERR value is out of range")
    );
    c.cmd(&["DEL", &z]);
}

#[test]
fn set_operations_options_and_errors() {
    let mut c = shared().raw();
    let a = k("setops", "{t}a");
    let b = k("setops", "{t}b");
    let none = k("setops", "{t}none");
    let dst = k("setops", "{t}dst");
    let s = k("setops", "{t}str");
    c.cmd(&["ZADD", &a, "1", "x", "2", "y", "3", "z"]);
    c.cmd(&["ZADD", &b, "10", "y", "20", "z", "30", "w"]);
    c.cmd(&["SET", &s, "v"]);
    let run = |c: &mut RawConn, v: &[&str]| c.cmd(v);
    assert_eq!(
        run(&mut c, &["ZUNION", "2", &a, &b, "WITHSCORES"]),
        bulks(&["x", "1", "y", "12", "z", "23", "w", "30"])
    );
    assert_eq!(
        run(
            &mut c,
            &[
                "ZUNION",
                "3",
                &a,
                &none,
                &b,
                "WEIGHTS",
                "2",
                "5",
                "0.5",
                "WITHSCORES"
            ]
        ),
        bulks(&["x", "2", "y", "9", "w", "15", "z", "16"])
    );
    assert_eq!(
        run(
            &mut c,
            &["ZINTER", "2", &a, &b, "AGGREGATE", "MIN", "WITHSCORES"]
        ),
        bulks(&["y", "2", "z", "3"])
    );
    assert_eq!(
        run(
            &mut c,
            &[
                "ZINTER",
                "2",
                &a,
                &b,
                "aggregate",
                "max",
                "weights",
                "1",
                "-1"
            ]
        ),
        bulks(&["y", "z"])
    );
    assert_eq!(
        run(&mut c, &["ZDIFF", "2", &a, &b, "WITHSCORES"]),
        bulks(&["x", "1"])
    );
    assert_eq!(run(&mut c, &["ZDIFF", "2", &a, &a]), arr(vec![]));
    assert_eq!(run(&mut c, &["ZINTER", "2", &a, &none]), arr(vec![]));
    assert_eq!(run(&mut c, &["ZINTERCARD", "2", &a, &b]), int(2));
    assert_eq!(
        run(&mut c, &["ZINTERCARD", "2", &a, &b, "LIMIT", "1"]),
        int(1)
    );
    assert_eq!(
        run(&mut c, &["ZINTERCARD", "2", &a, &b, "LIMIT", "0"]),
        int(2)
    );
    // inf * 0 is NaN: 0 in a sum, ignored by MIN/MAX.
    c.cmd(&["ZADD", &a, "inf", "x"]);
    assert_eq!(
        run(&mut c, &["ZUNION", "1", &a, "WEIGHTS", "0", "WITHSCORES"]),
        bulks(&["x", "0", "y", "0", "z", "0"])
    );
    assert_eq!(
        run(
            &mut c,
            &["ZUNION", "2", &a, &b, "WEIGHTS", "1", "-inf", "WITHSCORES"]
        ),
        bulks(&["w", "-inf", "y", "-inf", "z", "-inf", "x", "inf"])
    );
    assert_eq!(
        run(
            &mut c,
            &[
                "ZUNION",
                "2",
                &a,
                &a,
                "WEIGHTS",
                "inf",
                "-inf",
                "WITHSCORES"
            ]
        ),
        bulks(&["x", "0", "y", "0", "z", "0"])
    );
    assert_eq!(
        run(
            &mut c,
            &[
                "ZINTER",
                "2",
                &a,
                &b,
                "WEIGHTS",
                "0",
                "1",
                "AGGREGATE",
                "MAX",
                "WITHSCORES"
            ]
        ),
        bulks(&["y", "10", "z", "20"])
    );
    // A weight turns a score to -0: kept as such in the reply and by a big result.
    assert_eq!(
        run(&mut c, &["ZUNION", "1", &b, "WEIGHTS", "-0", "WITHSCORES"]),
        bulks(&["w", "-0", "y", "-0", "z", "-0"])
    );
    // STORE forms.
    assert_eq!(run(&mut c, &["ZUNIONSTORE", &dst, "2", &a, &b]), int(4));
    assert_eq!(
        run(&mut c, &["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["y", "12", "z", "23", "w", "30", "x", "inf"])
    );
    assert_eq!(run(&mut c, &["ZINTERSTORE", &dst, "2", &a, &none]), int(0));
    assert_eq!(run(&mut c, &["EXISTS", &dst]), int(0));
    assert_eq!(run(&mut c, &["ZDIFFSTORE", &dst, "2", &b, &a]), int(1));
    assert_eq!(
        run(&mut c, &["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["w", "30"])
    );
    // The destination may be a source, and is replaced whatever it held.
    assert_eq!(run(&mut c, &["ZUNIONSTORE", &dst, "2", &dst, &dst]), int(1));
    assert_eq!(run(&mut c, &["ZSCORE", &dst, "w"]), bulk("60"));
    assert_eq!(run(&mut c, &["ZUNIONSTORE", &s, "1", &dst]), int(1));
    assert_eq!(run(&mut c, &["TYPE", &s]), simple("zset"));
    c.cmd(&["SET", &s, "v"]);
    // Errors, in Redis's order.
    for (cmd, name) in [
        ("ZUNION", "zunion"),
        ("ZINTER", "zinter"),
        ("ZDIFF", "zdiff"),
        ("ZINTERCARD", "zintercard"),
    ] {
        let need = err(&format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
        assert_eq!(run(&mut c, &[cmd, "0", &a]), need);
        assert_eq!(run(&mut c, &[cmd, "-1", &a]), need);
        assert_eq!(run(&mut c, &[cmd, "x", &a]), not_int_err());
        assert_eq!(run(&mut c, &[cmd, "3", &a, &b]), syntax_err());
        assert_eq!(run(&mut c, &[cmd, "1", &s, "BOGUS"]), wrongtype());
        assert_eq!(run(&mut c, &[cmd, "1", &a, "BOGUS"]), syntax_err());
    }
    assert_eq!(
        run(&mut c, &["ZUNIONSTORE", &dst, "0", &a]),
        err("ERR at least 1 input key is needed for 'zunionstore' command")
    );
    assert_eq!(
        run(&mut c, &["ZUNIONSTORE", &dst, "1", &a, "WITHSCORES"]),
        syntax_err()
    );
    assert_eq!(
        run(&mut c, &["ZUNION", "2", &a, &b, "WEIGHTS", "1"]),
        syntax_err()
    );
    assert_eq!(
        run(&mut c, &["ZUNION", "2", &a, &b, "WEIGHTS", "1", "x"]),
        err("ERR weight value is not a float")
    );
    assert_eq!(
        run(&mut c, &["ZUNION", "1", &a, "WEIGHTS", "nan"]),
        err("ERR weight value is not a float")
    );
    assert_eq!(
        run(&mut c, &["ZUNION", "1", &a, "AGGREGATE", "AVG"]),
        syntax_err()
    );
    assert_eq!(run(&mut c, &["ZUNION", "1", &a, "AGGREGATE"]), syntax_err());
    assert_eq!(
        run(&mut c, &["ZDIFF", "1", &a, "WEIGHTS", "1"]),
        syntax_err()
    );
    assert_eq!(
        run(&mut c, &["ZDIFF", "1", &a, "AGGREGATE", "MIN"]),
        syntax_err()
    );
    assert_eq!(
        run(&mut c, &["ZINTERCARD", "1", &a, "WITHSCORES"]),
        syntax_err()
    );
    let limit = err("ERR LIMIT can't be negative");
    assert_eq!(run(&mut c, &["ZINTERCARD", "1", &a, "LIMIT", "-1"]), limit);
    assert_eq!(run(&mut c, &["ZINTERCARD", "1", &a, "LIMIT", "x"]), limit);
    assert_eq!(run(&mut c, &["ZINTERCARD", "1", &a, "LIMIT"]), syntax_err());
    c.cmd(&["DEL", &a, &b, &dst, &s]);
}

#[test]
fn plain_sets_are_sources_scoring_one() {
    let mut c = shared().raw();
    let z = k("setsrc", "{t}z");
    let s = k("setsrc", "{t}s");
    c.cmd(&["ZADD", &z, "1", "a", "2", "b", "3", "c"]);
    c.cmd(&["SADD", &s, "a", "b", "d"]);
    assert_eq!(
        c.cmd(&["ZINTER", "2", &z, &s, "WITHSCORES"]),
        bulks(&["a", "2", "b", "3"])
    );
    assert_eq!(
        c.cmd(&["ZUNION", "2", &z, &s, "AGGREGATE", "MAX", "WITHSCORES"]),
        bulks(&["a", "1", "d", "1", "b", "2", "c", "3"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", &z, &s]), bulks(&["c"]));
    assert_eq!(c.cmd(&["ZINTERCARD", "2", &s, &z]), int(2));
    // An intset's members are integers: they meet sorted-set members as text.
    let ints = key_on_shard(&k("setsrc", "ints"), 3, DEFAULT_SHARDS);
    let nums = key_on_shard(&k("setsrc", "nums"), 0, DEFAULT_SHARDS);
    let dst = key_on_shard(&k("setsrc", "dst"), 1, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["SADD", &ints, "-5", "1", "20"]), int(3));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &ints]), bulk("intset"));
    c.cmd(&["ZADD", &nums, "1.5", "1", "2", "01", "3", "20"]);
    assert_eq!(
        c.cmd(&[
            "ZINTER",
            "2",
            &nums,
            &ints,
            "WEIGHTS",
            "2",
            "10",
            "WITHSCORES"
        ]),
        bulks(&["1", "13", "20", "16"])
    );
    assert_eq!(c.cmd(&["ZUNIONSTORE", &dst, "2", &ints, &nums]), int(4));
    assert_eq!(
        c.cmd(&["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["-5", "1", "01", "2", "1", "2.5", "20", "4"])
    );
    assert_eq!(c.cmd(&["ZDIFF", "2", &ints, &nums]), bulks(&["-5"]));
    c.cmd(&["DEL", &z, &s, &ints, &nums, &dst]);
}

#[test]
fn zrangestore_forms() {
    let mut c = shared().raw();
    let src = k("rstore", "{t}src");
    let dst = k("rstore", "{t}dst");
    c.cmd(&["ZADD", &src, "1", "a", "2", "b", "3", "c", "4", "d"]);
    assert_eq!(c.cmd(&["ZRANGESTORE", &dst, &src, "1", "-1"]), int(3));
    assert_eq!(
        c.cmd(&["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["b", "2", "c", "3", "d", "4"])
    );
    assert_eq!(
        c.cmd(&[
            "ZRANGESTORE",
            &dst,
            &src,
            "+inf",
            "(1",
            "BYSCORE",
            "REV",
            "LIMIT",
            "1",
            "1"
        ]),
        int(1)
    );
    assert_eq!(
        c.cmd(&["ZRANGE", &dst, "0", "-1", "WITHSCORES"]),
        bulks(&["c", "3"])
    );
    assert_eq!(
        c.cmd(&["ZRANGESTORE", &dst, &src, "[b", "[c", "BYLEX"]),
        int(2)
    );
    assert_eq!(c.cmd(&["ZRANGE", &dst, "0", "-1"]), bulks(&["b", "c"]));
    assert_eq!(c.cmd(&["ZRANGESTORE", &dst, &src, "5", "10"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &dst]), int(0));
    assert_eq!(
        c.cmd(&["ZRANGESTORE", &dst, &k("rstore", "{t}none"), "0", "-1"]),
        int(0)
    );
    assert_eq!(
        c.cmd(&["ZRANGESTORE", &dst, &src, "0", "-1", "WITHSCORES"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["ZRANGESTORE", &dst, &src, "0", "-1", "LIMIT", "0", "1"]),
        err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        )
    );
    c.cmd(&["DEL", &src, &dst]);
}

/// Every (member, score) ZSCAN returns from `key`, walking the cursor to the end.
fn scan_all(c: &mut RawConn, key: &str, extra: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut cursor = "0".to_string();
    loop {
        let mut args = vec!["ZSCAN", key, &cursor];
        args.extend(extra);
        let reply = c.cmd(&args);
        let parts = reply.as_array();
        for pair in parts[1].as_array().chunks(2) {
            out.push((pair[0].as_str(), pair[1].as_str()));
        }
        cursor = parts[0].as_str();
        if cursor == "0" {
            return out;
        }
    }
}

#[test]
fn zscan_small_and_big() {
    let mut c = shared().raw();
    let small = k("scan", "small");
    let big = k("scan", "big");
    c.cmd(&["ZADD", &small, "1e17", "a", "0.5", "b", "-0", "c"]);
    // A listpack comes back whole, scores as it stores them.
    assert_eq!(
        c.cmd(&["ZSCAN", &small, "0", "COUNT", "1"]),
        arr(vec![
            bulk("0"),
            bulks(&["c", "0", "b", "0.5", "a", "100000000000000000"])
        ])
    );
    assert_eq!(
        c.cmd(&["ZSCAN", &small, "0", "MATCH", "[ab]"]),
        arr(vec![
            bulk("0"),
            bulks(&["b", "0.5", "a", "100000000000000000"])
        ])
    );
    let mut add = vec!["ZADD".to_string(), big.clone()];
    for i in 0..300 {
        add.push(format!("{i}.5"));
        add.push(format!("m{i}"));
    }
    let add: Vec<&str> = add.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&add), int(300));
    c.cmd(&["ZADD", &big, "1e17", "huge"]);
    let seen = scan_all(&mut c, &big, &["COUNT", "7"]);
    let unique: BTreeSet<&(String, String)> = seen.iter().collect();
    assert_eq!(unique.len(), 301);
    assert!(unique.contains(&("huge".to_string(), "1e+17".to_string())));
    assert!(unique.contains(&("m12".to_string(), "12.5".to_string())));
    let matched = scan_all(&mut c, &big, &["MATCH", "m1?"]);
    let names: BTreeSet<String> = matched.into_iter().map(|(m, _)| m).collect();
    assert_eq!(names.len(), 10);
    assert_eq!(
        c.cmd(&["ZSCAN", &k("scan", "none"), "0", "COUNT", "0"]),
        arr(vec![bulk("0"), arr(vec![])])
    );
    assert_eq!(c.cmd(&["ZSCAN", &small, "x"]), err("ERR invalid cursor"));
    assert_eq!(c.cmd(&["ZSCAN", &small, "0", "COUNT", "0"]), syntax_err());
    assert_eq!(c.cmd(&["ZSCAN", &small, "0", "COUNT", "x"]), not_int_err());
    assert_eq!(c.cmd(&["ZSCAN", &small, "0", "MATCH"]), syntax_err());
    assert_eq!(c.cmd(&["ZSCAN", &small, "0", "TYPE", "zset"]), syntax_err());
    c.cmd(&["DEL", &small, &big]);
}

#[test]
fn resp3_shapes() {
    let mut c = resp3();
    let z = k("resp3", "{t}z");
    let none = k("resp3", "{t}none");
    c.cmd(&["ZADD", &z, "1", "a", "2.5", "b"]);
    assert_eq!(c.cmd(&["ZSCORE", &z, "b"]), dbl("2.5"));
    assert_eq!(c.cmd(&["ZSCORE", &z, "x"]), Resp::Null);
    assert_eq!(
        c.cmd(&["ZMSCORE", &z, "a", "x"]),
        arr(vec![dbl("1"), Resp::Null])
    );
    assert_eq!(
        c.cmd(&["ZINCRBY", &z, "0.1", "a"]),
        dbl("1.1000000000000001")
    );
    assert_eq!(c.cmd(&["ZADD", &z, "INCR", "-0.1", "a"]), dbl("1"));
    assert_eq!(c.cmd(&["ZADD", &z, "NX", "INCR", "1", "a"]), Resp::Null);
    assert_eq!(c.cmd(&["ZRANK", &z, "x"]), Resp::Null);
    assert_eq!(
        c.cmd(&["ZRANGE", &z, "0", "-1", "WITHSCORES"]),
        nested(&[("a", "1"), ("b", "2.5")])
    );
    assert_eq!(
        c.cmd(&[
            "ZRANGEBYSCORE",
            &z,
            "-inf",
            "inf",
            "WITHSCORES",
            "LIMIT",
            "1",
            "1"
        ]),
        nested(&[("b", "2.5")])
    );
    assert_eq!(c.cmd(&["ZRANGE", &z, "0", "-1"]), bulks(&["a", "b"]));
    assert_eq!(
        c.cmd(&["ZUNION", "2", &z, &none, "WITHSCORES"]),
        nested(&[("a", "1"), ("b", "2.5")])
    );
    assert_eq!(
        c.cmd(&["ZRANDMEMBER", &z, "5", "WITHSCORES"]),
        nested(&[("b", "2.5"), ("a", "1")])
    );
    assert_eq!(c.cmd(&["ZRANDMEMBER", &none]), Resp::Null);
    // ZPOPMIN without a count is one flat pair; with one, a list of pairs.
    assert_eq!(c.cmd(&["ZPOPMIN", &z]), arr(vec![bulk("a"), dbl("1")]));
    assert_eq!(c.cmd(&["ZPOPMAX", &z, "1"]), nested(&[("b", "2.5")]));
    assert_eq!(c.cmd(&["ZPOPMAX", &none]), arr(vec![]));
    c.cmd(&["ZADD", &z, "inf", "i"]);
    assert_eq!(
        c.cmd(&["ZMPOP", "1", &z, "MIN"]),
        arr(vec![bulk(&z), nested(&[("i", "inf")])])
    );
    assert_eq!(c.cmd(&["ZMPOP", "1", &z, "MIN"]), Resp::Null);
    c.cmd(&["ZADD", &z, "1", "a"]);
    assert_eq!(
        c.cmd(&["ZSCAN", &z, "0"]),
        arr(vec![bulk("0"), bulks(&["a", "1"])])
    );
    c.cmd(&["DEL", &z]);
}

#[test]
fn keys_on_every_shard() {
    let mut c = shared().raw();
    for shard in 0..DEFAULT_SHARDS {
        let z = key_on_shard(&k("shards", "z"), shard, DEFAULT_SHARDS);
        assert_eq!(
            c.cmd(&["ZADD", &z, "2", "b", "1", "a"]),
            int(2),
            "shard {shard}"
        );
        assert_eq!(c.cmd(&["ZINCRBY", &z, "5", "a"]), bulk("6"));
        assert_eq!(c.cmd(&["ZRANGE", &z, "0", "-1"]), bulks(&["b", "a"]));
        assert_eq!(c.cmd(&["TYPE", &z]), simple("zset"));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &z]), bulk("listpack"));
        assert_eq!(c.cmd(&["ZPOPMIN", &z, "5"]), bulks(&["b", "2", "a", "6"]));
        assert_eq!(c.cmd(&["EXISTS", &z]), int(0));
    }
}

#[test]
fn a_big_sorted_set_answers_like_a_small_one() {
    let mut c = shared().raw();
    let z = k("big", "z");
    // 1000 members with scores i % 97, so many ties are ordered by member.
    let n = 1000;
    let mut add = vec!["ZADD".to_string(), z.clone()];
    let mut model: Vec<(f64, String)> = Vec::new();
    for i in 0..n {
        let score = (i * 7919 % 97) as f64;
        let m = format!("m{i:04}");
        add.push(score.to_string());
        add.push(m.clone());
        model.push((score, m));
    }
    model.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then_with(|| a.1.cmp(&b.1)));
    let add: Vec<&str> = add.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&add), int(n as i64));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &z]), bulk("skiplist"));
    for i in [0, 1, 499, 500, 998, 999] {
        let (_, m) = &model[i];
        assert_eq!(c.cmd(&["ZRANK", &z, m]), int(i as i64));
        assert_eq!(c.cmd(&["ZREVRANK", &z, m]), int((n - 1 - i) as i64));
        assert_eq!(
            c.cmd(&["ZRANGE", &z, &i.to_string(), &i.to_string()]),
            bulks(&[m])
        );
    }
    fn expect(model: &[(f64, String)], from: usize, to: usize) -> Resp {
        bulks(
            &model[from..to]
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>(),
        )
    }
    assert_eq!(
        c.cmd(&["ZRANGE", &z, "100", "109"]),
        expect(&model, 100, 110)
    );
    let in_range = model
        .iter()
        .filter(|(s, _)| (10.0..=20.0).contains(s))
        .count();
    assert_eq!(c.cmd(&["ZCOUNT", &z, "10", "20"]), int(in_range as i64));
    let first = model.iter().position(|(s, _)| *s >= 10.0).unwrap();
    assert_eq!(
        c.cmd(&["ZRANGEBYSCORE", &z, "10", "20", "LIMIT", "3", "4"]),
        expect(&model, first + 3, first + 7)
    );
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "10", "509"]), int(500));
    model.drain(10..510);
    assert_eq!(c.cmd(&["ZCARD", &z]), int(500));
    assert_eq!(c.cmd(&["ZRANGE", &z, "5", "14"]), expect(&model, 5, 15));
    assert_eq!(c.cmd(&["ZRANK", &z, &model[250].1]), int(250));
    let popped = c.cmd(&["ZPOPMAX", &z, "3"]);
    let top: Vec<Resp> = model[497..]
        .iter()
        .rev()
        .flat_map(|(s, m)| [bulk(m), bulk(s.to_string())])
        .collect();
    assert_eq!(popped, arr(top));
    // Never converts back, even when small again.
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", &z, "1", "-1"]), int(496));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &z]), bulk("skiplist"));
    c.cmd(&["DEL", &z]);
}

#[test]
fn encodings_follow_the_configured_limits() {
    // Its own server: CONFIG SET would change what other tests see.
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let enc = |c: &mut RawConn, key: &str| c.cmd(&["OBJECT", "ENCODING", key]);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "3"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["ZADD", "a", "-0", "m1", "1", "m2", "2", "m3"]),
        int(3)
    );
    assert_eq!(enc(&mut c, "a"), bulk("listpack"));
    // A listpack stores -0 as the integer 0.
    assert_eq!(c.cmd(&["ZSCORE", "a", "m1"]), bulk("0"));
    assert_eq!(c.cmd(&["ZADD", "a", "3", "m4"]), int(1));
    assert_eq!(enc(&mut c, "a"), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZREMRANGEBYRANK", "a", "0", "-2"]), int(3));
    assert_eq!(enc(&mut c, "a"), bulk("skiplist"));
    // The new member is checked before it is inserted: too many, or too long.
    assert_eq!(c.cmd(&["ZADD", "b", "-0", "x"]), int(1));
    assert_eq!(c.cmd(&["ZADD", "b", "XX", "1", "x"]), int(0));
    assert_eq!(enc(&mut c, "b"), bulk("listpack"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "4"]),
        ok()
    );
    assert_eq!(c.cmd(&["ZADD", "b", "1", "abcd"]), int(1));
    assert_eq!(enc(&mut c, "b"), bulk("listpack"));
    assert_eq!(c.cmd(&["ZADD", "b", "1", "abcde"]), int(1));
    assert_eq!(enc(&mut c, "b"), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZADD", "c", "1", "abcde"]), int(1));
    assert_eq!(enc(&mut c, "c"), bulk("skiplist"));
    // A skiplist keeps -0.
    assert_eq!(c.cmd(&["ZADD", "c", "-0", "z"]), int(1));
    assert_eq!(c.cmd(&["ZSCORE", "c", "z"]), bulk("-0"));
    // Results of ZUNIONSTORE and friends are compact when they fit.
    assert_eq!(c.cmd(&["ZUNIONSTORE", "u", "1", "a"]), int(1));
    assert_eq!(enc(&mut c, "u"), bulk("listpack"));
    assert_eq!(c.cmd(&["ZUNIONSTORE", "u", "1", "c"]), int(2));
    assert_eq!(enc(&mut c, "u"), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZSCORE", "u", "z"]), bulk("-0"));
    assert_eq!(c.cmd(&["ZRANGESTORE", "r", "c", "1", "1"]), int(1));
    assert_eq!(enc(&mut c, "r"), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZRANGESTORE", "r", "c", "0", "0"]), int(1));
    assert_eq!(enc(&mut c, "r"), bulk("listpack"));
    assert_eq!(c.cmd(&["ZSCORE", "r", "z"]), bulk("0"));
    // ZADD, and ZRANGESTORE by score or lex, add one by one: the members added before the
    // conversion lost their -0. ZRANGESTORE by rank knows its size and starts big.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-value", "64"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "0"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["ZADD", "n", "-0", "a", "-0", "b", "-0", "c", "-0", "d"]),
        int(4)
    );
    assert_eq!(enc(&mut c, "n"), bulk("skiplist"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "2"]),
        ok()
    );
    let one_by_one = bulks(&["a", "0", "b", "0", "c", "-0", "d", "-0"]);
    let all_negative = bulks(&["a", "-0", "b", "-0", "c", "-0", "d", "-0"]);
    assert_eq!(
        c.cmd(&["ZADD", "o", "-0", "a", "-0", "b", "-0", "c", "-0", "d"]),
        int(4)
    );
    assert_eq!(c.cmd(&["ZRANGE", "o", "0", "-1", "WITHSCORES"]), one_by_one);
    assert_eq!(
        c.cmd(&["ZRANGESTORE", "m", "n", "-inf", "+inf", "BYSCORE"]),
        int(4)
    );
    assert_eq!(c.cmd(&["ZRANGE", "m", "0", "-1", "WITHSCORES"]), one_by_one);
    assert_eq!(c.cmd(&["ZRANGESTORE", "m", "n", "-", "+", "BYLEX"]), int(4));
    assert_eq!(c.cmd(&["ZRANGE", "m", "0", "-1", "WITHSCORES"]), one_by_one);
    assert_eq!(c.cmd(&["ZRANGESTORE", "m", "n", "0", "-1", "REV"]), int(4));
    assert_eq!(
        c.cmd(&["ZRANGE", "m", "0", "-1", "WITHSCORES"]),
        all_negative
    );
    assert_eq!(enc(&mut c, "m"), bulk("skiplist"));
    assert_eq!(c.cmd(&["ZRANGESTORE", "m", "n", "0", "1"]), int(2));
    assert_eq!(enc(&mut c, "m"), bulk("listpack"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"]),
        ok()
    );
    let mut add = vec!["ZADD".to_string(), "big".to_string()];
    for i in 0..128 {
        add.push(i.to_string());
        add.push(format!("m{i}"));
    }
    let add: Vec<&str> = add.iter().map(String::as_str).collect();
    assert_eq!(c.cmd(&add), int(128));
    assert_eq!(enc(&mut c, "big"), bulk("listpack"));
    assert_eq!(c.cmd(&["ZADD", "big", "1", "m1"]), int(0));
    assert_eq!(enc(&mut c, "big"), bulk("listpack"));
    assert_eq!(c.cmd(&["ZADD", "big", "1", "one-more"]), int(1));
    assert_eq!(enc(&mut c, "big"), bulk("skiplist"));
}

#[test]
fn seed_leaderboard() {
    let mut c = shared().raw();
    let board = k("seed", "leaderboard");
    assert_eq!(
        c.cmd(&["ZADD", &board, "100", "player1", "85", "player2"]),
        int(2)
    );
    assert_eq!(
        c.cmd(&["ZREVRANGE", &board, "0", "9", "WITHSCORES"]),
        bulks(&["player1", "100", "player2", "85"])
    );
    assert_eq!(c.cmd(&["ZINCRBY", &board, "5", "player1"]), bulk("105"));
    c.cmd(&["DEL", &board]);

    // leaderboard.py, through a client library.
    let mut r = shared().conn();
    let key = k("seed", "leaderboard:weekly");
    let _: i64 = r.zadd(&key, "alice", 30.5).unwrap();
    let _: i64 = r.zadd(&key, "bob", 99).unwrap();
    let _: i64 = r.zadd(&key, "carol", 47).unwrap();
    let _: i64 = r.zadd(&key, "alice", 120).unwrap();
    let top: Vec<(String, f64)> = r.zrevrange_withscores(&key, 0, 1).unwrap();
    assert_eq!(top, vec![("alice".into(), 120.0), ("bob".into(), 99.0)]);
    let rank: Option<usize> = r.zrevrank(&key, "carol").unwrap();
    assert_eq!(rank, Some(2));
    let missing: Option<usize> = r.zrevrank(&key, "dave").unwrap();
    assert_eq!(missing, None);
    let score: f64 = r.zincr(&key, "carol", 100).unwrap();
    assert_eq!(score, 147.0);
    let _: i64 = r.del(&key).unwrap();
}

#[test]
fn seed_sliding_window_rate_limiter() {
    // rate_limiter.py: one pipeline per request.
    let mut r = shared().conn();
    let rk = k("seed", "ratelimit:1.2.3.4");
    let limit = 3;
    let window = 60.0;
    let mut limited = Vec::new();
    for i in 0..5 {
        let now = 1_700_000_000.25 + i as f64 * 0.5;
        let window_start = now - window;
        let (_, _, count, _): (i64, i64, i64, i64) = redis::pipe()
            .zrembyscore(&rk, 0, window_start)
            .zadd(&rk, format!("{now}"), now)
            .zcard(&rk)
            .expire(&rk, window as i64)
            .query(&mut r)
            .unwrap();
        limited.push(count > limit);
    }
    assert_eq!(limited, vec![false, false, false, true, true]);
    let ttl: i64 = r.ttl(&rk).unwrap();
    assert!((0..=60).contains(&ttl), "{ttl}");
    // A minute later the window has moved past every request.
    let now = 1_700_000_100.0_f64;
    let (removed, _, count): (i64, i64, i64) = redis::pipe()
        .zrembyscore(&rk, 0, now - window)
        .zadd(&rk, format!("{now}"), now)
        .zcard(&rk)
        .query(&mut r)
        .unwrap();
    assert_eq!((removed, count), (5, 1));
    let _: i64 = r.del(&rk).unwrap();
}
