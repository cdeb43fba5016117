//! List commands, every option and every error, with exact replies.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;

/// Keys of one test: `list:<test>:<name>`.
struct Keys(&'static str);

impl Keys {
    fn k(&self, name: &str) -> String {
        format!("list:{}:{name}", self.0)
    }
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from \
                         the second ... or use negative to start from the end of the list";

fn ints(v: &[i64]) -> Resp {
    arr(v.iter().map(|&i| int(i)).collect())
}

fn empty() -> Resp {
    arr(vec![])
}

/// `LRANGE key 0 -1`.
fn all(c: &mut RawConn, key: &str) -> Resp {
    c.cmd(&["LRANGE", key, "0", "-1"])
}

#[test]
fn push_and_pop_at_both_ends() {
    let t = Keys("pushpop");
    let mut c = shared().raw();
    let l = t.k("l");
    assert_eq!(c.cmd(&["RPUSH", &l, "a", "b", "c"]), int(3));
    assert_eq!(c.cmd(&["LPUSH", &l, "x", "y"]), int(5));
    assert_eq!(all(&mut c, &l), bulks(&["y", "x", "a", "b", "c"]));
    assert_eq!(c.cmd(&["LPUSHX", &t.k("none"), "a"]), int(0));
    assert_eq!(c.cmd(&["RPUSHX", &t.k("none"), "a", "b"]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &t.k("none")]), int(0));
    assert_eq!(c.cmd(&["RPUSHX", &l, "d", "e"]), int(7));
    assert_eq!(c.cmd(&["LPUSHX", &l, "z"]), int(8));
    assert_eq!(c.cmd(&["LLEN", &l]), int(8));
    assert_eq!(c.cmd(&["LPOP", &l]), bulk("z"));
    assert_eq!(c.cmd(&["RPOP", &l]), bulk("e"));
    assert_eq!(c.cmd(&["LPOP", &l, "2"]), bulks(&["y", "x"]));
    // RPOP with a count answers in pop order: the tail first.
    assert_eq!(c.cmd(&["RPOP", &l, "2"]), bulks(&["d", "c"]));
    assert_eq!(c.cmd(&["LPOP", &l, "0"]), empty());
    assert_eq!(c.cmd(&["LPOP", &l, "100"]), bulks(&["a", "b"]));
    assert_eq!(c.cmd(&["EXISTS", &l]), int(0));
    assert_eq!(c.cmd(&["LPOP", &l]), nil());
    assert_eq!(c.cmd(&["RPOP", &l]), nil());
    assert_eq!(c.cmd(&["LPOP", &l, "0"]), Resp::NilArray);
    assert_eq!(c.cmd(&["RPOP", &l, "5"]), Resp::NilArray);
    assert_eq!(c.cmd(&["LLEN", &l]), int(0));
    let positive = err("ERR value is out of range, must be positive");
    assert_eq!(c.cmd(&["LPOP", &l, "-1"]), positive);
    assert_eq!(c.cmd(&["RPOP", &l, "abc"]), positive);
    assert_eq!(c.cmd(&["LPOP", &l, "1", "2"]), arity_err("lpop"));
    assert_eq!(c.cmd(&["RPOP", &l, "1", "2"]), arity_err("rpop"));
    // Binary and empty elements come back as they went in.
    let bin: &[u8] = b"\x00\r\n\xff";
    assert_eq!(c.cmdb(&[b"RPUSH", l.as_bytes(), bin, b""]), int(2));
    assert_eq!(c.cmd(&["LPOP", &l]), bulk(bin));
    assert_eq!(c.cmd(&["LPOP", &l]), bulk(""));
    assert_eq!(c.cmd(&["EXISTS", &l]), int(0));
}

#[test]
fn arity_errors() {
    let mut c = shared().raw();
    for (cmd, args) in [
        ("lpush", &["k"][..]),
        ("rpush", &["k"]),
        ("lpushx", &["k"]),
        ("rpushx", &["k"]),
        ("lpop", &[]),
        ("rpop", &[]),
        ("llen", &[]),
        ("llen", &["k", "x"]),
        ("lrange", &["k", "0"]),
        ("lindex", &["k"]),
        ("lset", &["k", "0"]),
        ("linsert", &["k", "before", "a"]),
        ("lrem", &["k", "0"]),
        ("ltrim", &["k", "0", "1", "2"]),
        ("lpos", &["k"]),
        ("lmove", &["a", "b", "left"]),
        ("rpoplpush", &["a"]),
        ("lmpop", &["1", "k"]),
    ] {
        let mut v = vec![cmd.to_uppercase()];
        v.extend(args.iter().map(|s| s.to_string()));
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&v), arity_err(cmd), "{v:?}");
    }
}

#[test]
fn wrong_type_for_every_command() {
    let t = Keys("wrongtype");
    let mut c = shared().raw();
    let (s, l, missing) = (t.k("s"), t.k("l"), t.k("missing"));
    assert_eq!(c.cmd(&["SET", &s, "x"]), ok());
    assert_eq!(c.cmd(&["RPUSH", &l, "a"]), int(1));
    for cmd in [
        &["LPUSH", &s, "a"][..],
        &["RPUSH", &s, "a"],
        &["LPUSHX", &s, "a"],
        &["RPUSHX", &s, "a"],
        &["LPOP", &s],
        &["RPOP", &s, "0"],
        &["LLEN", &s],
        &["LRANGE", &s, "0", "-1"],
        &["LINDEX", &s, "0"],
        &["LINDEX", &s, "notanindex"],
        &["LSET", &s, "0", "x"],
        &["LSET", &s, "notanindex", "x"],
        &["LINSERT", &s, "BEFORE", "a", "b"],
        &["LREM", &s, "0", "a"],
        &["LTRIM", &s, "0", "1"],
        &["LPOS", &s, "a"],
        &["LMPOP", "2", &missing, &s, "LEFT"],
    ] {
        assert_eq!(c.cmd(cmd), err(WRONGTYPE), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["GET", &s]), bulk("x"));
    // Argument errors are found before the type.
    assert_eq!(c.cmd(&["LRANGE", &s, "a", "0"]), not_int_err());
    assert_eq!(c.cmd(&["LTRIM", &s, "0", "a"]), not_int_err());
    assert_eq!(c.cmd(&["LREM", &s, "a", "x"]), not_int_err());
    assert_eq!(c.cmd(&["LINSERT", &s, "MIDDLE", "a", "b"]), syntax_err());
    assert_eq!(c.cmd(&["LPOS", &s, "a", "RANK", "0"]), err(RANK_ZERO));
    assert_eq!(
        c.cmd(&["LPOP", &s, "-1"]),
        err("ERR value is out of range, must be positive")
    );
}

#[test]
fn lmove_and_rpoplpush_type_checks() {
    let t = Keys("movetype");
    let mut c = shared().raw();
    let (s, l, missing) = (t.k("{x}s"), t.k("{x}l"), t.k("{x}missing"));
    assert_eq!(c.cmd(&["SET", &s, "x"]), ok());
    assert_eq!(c.cmd(&["RPUSH", &l, "a"]), int(1));
    assert_eq!(c.cmd(&["LMOVE", &s, &l, "LEFT", "LEFT"]), err(WRONGTYPE));
    // A wrong destination pops nothing.
    assert_eq!(c.cmd(&["LMOVE", &l, &s, "LEFT", "LEFT"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["RPOPLPUSH", &l, &s]), err(WRONGTYPE));
    assert_eq!(all(&mut c, &l), bulks(&["a"]));
    // A missing source answers nil before the destination's type matters.
    assert_eq!(c.cmd(&["LMOVE", &missing, &s, "LEFT", "LEFT"]), nil());
    assert_eq!(c.cmd(&["RPOPLPUSH", &missing, &s]), nil());
    assert_eq!(c.cmd(&["LMOVE", &l, &s, "UP", "LEFT"]), syntax_err());
    assert_eq!(
        c.cmd(&["LMOVE", &missing, &s, "LEFT", "DOWN"]),
        syntax_err()
    );
}

#[test]
fn indexes_negative_and_out_of_range() {
    let t = Keys("index");
    let mut c = shared().raw();
    let l = t.k("l");
    assert_eq!(c.cmd(&["RPUSH", &l, "0", "1", "2", "3", "4", "5"]), int(6));
    for (i, want) in [
        ("0", bulk("0")),
        ("5", bulk("5")),
        ("-1", bulk("5")),
        ("-6", bulk("0")),
        ("6", nil()),
        ("-7", nil()),
        ("9223372036854775807", nil()),
        ("-9223372036854775808", nil()),
        ("abc", not_int_err()),
        ("1.5", not_int_err()),
    ] {
        assert_eq!(c.cmd(&["LINDEX", &l, i]), want, "LINDEX {i}");
    }
    assert_eq!(c.cmd(&["LINDEX", &t.k("missing"), "abc"]), nil());
    for (range, want) in [
        (("0", "2"), bulks(&["0", "1", "2"])),
        (("-2", "-1"), bulks(&["4", "5"])),
        (("-100", "1"), bulks(&["0", "1"])),
        (("4", "100"), bulks(&["4", "5"])),
        (("3", "2"), empty()),
        (("6", "10"), empty()),
        (("-1", "-2"), empty()),
        (("0", "-7"), empty()),
        (
            ("-9223372036854775808", "9223372036854775807"),
            bulks(&["0", "1", "2", "3", "4", "5"]),
        ),
        (("0", "9223372036854775808"), not_int_err()),
    ] {
        assert_eq!(
            c.cmd(&["LRANGE", &l, range.0, range.1]),
            want,
            "LRANGE {range:?}"
        );
    }
    assert_eq!(c.cmd(&["LRANGE", &t.k("missing"), "0", "-1"]), empty());
    assert_eq!(c.cmd(&["LSET", &l, "-1", "five"]), ok());
    assert_eq!(c.cmd(&["LSET", &l, "0", "zero"]), ok());
    assert_eq!(
        c.cmd(&["LSET", &l, "6", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(
        c.cmd(&["LSET", &l, "-7", "x"]),
        err("ERR index out of range")
    );
    assert_eq!(c.cmd(&["LSET", &l, "x", "x"]), not_int_err());
    assert_eq!(
        c.cmd(&["LSET", &t.k("missing"), "0", "x"]),
        err("ERR no such key")
    );
    assert_eq!(
        all(&mut c, &l),
        bulks(&["zero", "1", "2", "3", "4", "five"])
    );
}

#[test]
fn linsert_lrem_ltrim() {
    let t = Keys("edit");
    let mut c = shared().raw();
    let l = t.k("l");
    assert_eq!(c.cmd(&["RPUSH", &l, "a", "b", "a", "c", "a"]), int(5));
    assert_eq!(c.cmd(&["LINSERT", &l, "BEFORE", "a", "x"]), int(6));
    assert_eq!(c.cmd(&["LINSERT", &l, "after", "c", "y"]), int(7));
    assert_eq!(c.cmd(&["LINSERT", &l, "AFTER", "nothere", "y"]), int(-1));
    assert_eq!(
        c.cmd(&["LINSERT", &t.k("missing"), "AFTER", "a", "y"]),
        int(0)
    );
    assert_eq!(c.cmd(&["LINSERT", &l, "AROUND", "a", "y"]), syntax_err());
    assert_eq!(all(&mut c, &l), bulks(&["x", "a", "b", "a", "c", "y", "a"]));
    assert_eq!(c.cmd(&["LREM", &l, "-1", "a"]), int(1));
    assert_eq!(all(&mut c, &l), bulks(&["x", "a", "b", "a", "c", "y"]));
    assert_eq!(c.cmd(&["LREM", &l, "1", "a"]), int(1));
    assert_eq!(all(&mut c, &l), bulks(&["x", "b", "a", "c", "y"]));
    assert_eq!(c.cmd(&["LREM", &l, "0", "nothere"]), int(0));
    assert_eq!(c.cmd(&["LREM", &l, "-9223372036854775808", "b"]), int(1));
    assert_eq!(c.cmd(&["LREM", &t.k("missing"), "0", "a"]), int(0));
    assert_eq!(c.cmd(&["LREM", &l, "x", "a"]), not_int_err());
    assert_eq!(c.cmd(&["LTRIM", &l, "1", "-2"]), ok());
    assert_eq!(all(&mut c, &l), bulks(&["a", "c"]));
    assert_eq!(c.cmd(&["LTRIM", &l, "-100", "100"]), ok());
    assert_eq!(all(&mut c, &l), bulks(&["a", "c"]));
    assert_eq!(c.cmd(&["LTRIM", &t.k("missing"), "0", "1"]), ok());
    assert_eq!(c.cmd(&["LTRIM", &l, "a", "1"]), not_int_err());
    assert_eq!(c.cmd(&["LTRIM", &l, "1", "0"]), ok());
    assert_eq!(c.cmd(&["EXISTS", &l]), int(0));
    assert_eq!(c.cmd(&["RPUSH", &l, "a", "a"]), int(2));
    assert_eq!(c.cmd(&["LREM", &l, "0", "a"]), int(2));
    assert_eq!(c.cmd(&["EXISTS", &l]), int(0));
}

#[test]
fn lpos_every_option() {
    let t = Keys("lpos");
    let mut c = shared().raw();
    let l = t.k("l");
    assert_eq!(
        c.cmd(&["RPUSH", &l, "a", "b", "c", "a", "b", "c", "a"]),
        int(7)
    );
    for (opts, want) in [
        (&[][..], int(0)),
        (&["RANK", "2"], int(3)),
        (&["rank", "-1"], int(6)),
        (&["RANK", "-2"], int(3)),
        (&["RANK", "4"], nil()),
        (&["COUNT", "0"], ints(&[0, 3, 6])),
        (&["COUNT", "2"], ints(&[0, 3])),
        (&["RANK", "-2", "COUNT", "0"], ints(&[3, 0])),
        (&["COUNT", "0", "MAXLEN", "4"], ints(&[0, 3])),
        (&["RANK", "-1", "COUNT", "0", "MAXLEN", "4"], ints(&[6, 3])),
        (&["MAXLEN", "3"], int(0)),
        (&["RANK", "2", "MAXLEN", "3"], nil()),
        (&["RANK", "1", "RANK", "2"], int(3)),
        (&["COUNT", "2", "COUNT", "0"], ints(&[0, 3, 6])),
        // Redis 7.0 negates LONG_MIN into itself: the scan starts at the tail, every match
        // counts and COUNT stops nothing.
        (&["RANK", "-9223372036854775808"], int(6)),
        (
            &["RANK", "-9223372036854775808", "COUNT", "1"],
            ints(&[6, 3, 0]),
        ),
        (
            &["RANK", "-9223372036854775808", "MAXLEN", "2", "COUNT", "0"],
            ints(&[6]),
        ),
        (&["RANK", "-9223372036854775807"], nil()),
        (&["RANK", "9223372036854775807", "COUNT", "0"], empty()),
        (&["RANK", "9223372036854775808"], not_int_err()),
        (&["RANK", "0"], err(RANK_ZERO)),
        (&["RANK", "0", "FOO"], err(RANK_ZERO)),
        (&["FOO", "RANK", "0"], syntax_err()),
        (&["RANK"], syntax_err()),
        (&["COUNT", "1", "RANK"], syntax_err()),
        (&["COUNT", "-1"], err("ERR COUNT can't be negative")),
        (&["COUNT", "abc"], err("ERR COUNT can't be negative")),
        (&["MAXLEN", "-1"], err("ERR MAXLEN can't be negative")),
        (&["MAXLEN", "abc"], err("ERR MAXLEN can't be negative")),
    ] {
        let mut cmd = vec!["LPOS", &l, "a"];
        cmd.extend_from_slice(opts);
        assert_eq!(c.cmd(&cmd), want, "{opts:?}");
    }
    assert_eq!(c.cmd(&["LPOS", &l, "zz"]), nil());
    assert_eq!(c.cmd(&["LPOS", &l, "zz", "COUNT", "0"]), empty());
    let missing = t.k("missing");
    assert_eq!(c.cmd(&["LPOS", &missing, "a"]), nil());
    assert_eq!(c.cmd(&["LPOS", &missing, "a", "COUNT", "1"]), empty());
    assert_eq!(c.cmd(&["LPOS", &missing, "a", "RANK", "0"]), err(RANK_ZERO));
}

#[test]
fn lmpop_options_and_errors() {
    let t = Keys("lmpop");
    let mut c = shared().raw();
    let (a, b, s) = (t.k("{m}a"), t.k("{m}b"), t.k("{m}s"));
    assert_eq!(c.cmd(&["SET", &s, "x"]), ok());
    assert_eq!(c.cmd(&["RPUSH", &b, "1", "2", "3", "4"]), int(4));
    let numkeys = err("ERR numkeys should be greater than 0");
    let count = err("ERR count should be greater than 0");
    for (cmd, want) in [
        (vec!["0", &a, "LEFT"], numkeys.clone()),
        (vec!["-1", &a, "LEFT"], numkeys.clone()),
        (vec!["abc", &a, "LEFT"], numkeys),
        (vec!["3", &a, "LEFT"], syntax_err()),
        (vec!["9223372036854775807", &a, "LEFT"], syntax_err()),
        (vec!["1", &a, "MIDDLE"], syntax_err()),
        (vec!["1", &a, "LEFT", "COUNT", "0"], count.clone()),
        (vec!["1", &a, "LEFT", "COUNT", "-1"], count.clone()),
        (vec!["1", &a, "LEFT", "COUNT", "abc"], count),
        (vec!["1", &a, "LEFT", "COUNT"], syntax_err()),
        (
            vec!["1", &a, "LEFT", "COUNT", "1", "COUNT", "1"],
            syntax_err(),
        ),
        (vec!["1", &a, "LEFT", "FOO"], syntax_err()),
        (vec!["1", &a, "LEFT"], Resp::NilArray),
        (vec!["2", &a, &s, "RIGHT"], err(WRONGTYPE)),
        (
            vec!["3", &a, &b, &s, "left"],
            arr(vec![bulk(&b), bulks(&["1"])]),
        ),
        (
            vec!["2", &a, &b, "RIGHT", "count", "2"],
            arr(vec![bulk(&b), bulks(&["4", "3"])]),
        ),
        (
            vec!["1", &b, "LEFT", "COUNT", "9223372036854775807"],
            arr(vec![bulk(&b), bulks(&["2"])]),
        ),
    ] {
        let mut v = vec!["LMPOP"];
        v.extend(cmd.iter().copied());
        assert_eq!(c.cmd(&v), want, "{v:?}");
    }
    assert_eq!(c.cmd(&["EXISTS", &b]), int(0));
}

#[test]
fn resp3_shapes() {
    let t = Keys("resp3");
    let mut c = shared().raw();
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    let (l, missing) = (t.k("{r}l"), t.k("{r}missing"));
    assert_eq!(c.cmd(&["LPOP", &missing]), Resp::Null);
    assert_eq!(c.cmd(&["RPOP", &missing, "0"]), Resp::Null);
    assert_eq!(c.cmd(&["LPOP", &missing, "2"]), Resp::Null);
    assert_eq!(c.cmd(&["LINDEX", &missing, "0"]), Resp::Null);
    assert_eq!(c.cmd(&["LPOS", &missing, "a"]), Resp::Null);
    assert_eq!(c.cmd(&["LPOS", &missing, "a", "COUNT", "0"]), empty());
    assert_eq!(c.cmd(&["LRANGE", &missing, "0", "-1"]), empty());
    assert_eq!(c.cmd(&["LMPOP", "1", &missing, "LEFT"]), Resp::Null);
    assert_eq!(c.cmd(&["LMOVE", &missing, &l, "LEFT", "LEFT"]), Resp::Null);
    assert_eq!(c.cmd(&["RPOPLPUSH", &missing, &l]), Resp::Null);
    assert_eq!(c.cmd(&["RPUSH", &l, "a", "b"]), int(2));
    assert_eq!(c.cmd(&["LPOP", &l, "0"]), empty());
    assert_eq!(c.cmd(&["LINDEX", &l, "5"]), Resp::Null);
    assert_eq!(c.cmd(&["LPOS", &l, "zz"]), Resp::Null);
    assert_eq!(
        c.cmd(&["LMPOP", "1", &l, "RIGHT", "COUNT", "5"]),
        arr(vec![bulk(&l), bulks(&["b", "a"])])
    );
}

#[test]
fn keys_on_every_shard() {
    let t = Keys("shards");
    let mut c = shared().raw();
    let keys = spread_keys(&t.k(""), 2 * DEFAULT_SHARDS, DEFAULT_SHARDS);
    for (i, k) in keys.iter().enumerate() {
        let v = format!("v{i}");
        assert_eq!(c.cmd(&["RPUSH", k, &v, "tail"]), int(2));
        assert_eq!(c.cmd(&["LPUSH", k, "head"]), int(3));
        assert_eq!(c.cmd(&["LINDEX", k, "1"]), bulk(&v));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", k]), bulk("quicklist"));
        assert_eq!(c.cmd(&["TYPE", k]), simple("list"));
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(all(&mut c, k), bulks(&["head", &format!("v{i}"), "tail"]));
    }
    assert_eq!(c.del(&keys), int(keys.len() as i64));
}

/// LMOVE, RPOPLPUSH and LMPOP over keys of different shards (the coordinator moves them).
#[test]
fn moves_between_shards() {
    let t = Keys("xshard");
    let mut c = shared().raw();
    let src = key_on_shard(&t.k("src"), 0, DEFAULT_SHARDS);
    let dst = key_on_shard(&t.k("dst"), 1, DEFAULT_SHARDS);
    let other = key_on_shard(&t.k("other"), 2, DEFAULT_SHARDS);
    assert_eq!(c.cmd(&["RPUSH", &src, "1", "2", "3"]), int(3));
    assert_eq!(c.cmd(&["LMOVE", &src, &dst, "LEFT", "RIGHT"]), bulk("1"));
    assert_eq!(c.cmd(&["LMOVE", &src, &dst, "RIGHT", "LEFT"]), bulk("3"));
    assert_eq!(c.cmd(&["RPOPLPUSH", &src, &dst]), bulk("2"));
    assert_eq!(c.cmd(&["EXISTS", &src]), int(0));
    assert_eq!(c.cmd(&["RPOPLPUSH", &src, &dst]), nil());
    assert_eq!(all(&mut c, &dst), bulks(&["2", "3", "1"]));
    assert_eq!(c.cmd(&["SET", &other, "x"]), ok());
    assert_eq!(
        c.cmd(&["LMOVE", &dst, &other, "LEFT", "LEFT"]),
        err(WRONGTYPE)
    );
    assert_eq!(c.cmd(&["LLEN", &dst]), int(3));
    assert_eq!(
        c.cmd(&["LMPOP", "3", &src, &dst, &other, "RIGHT", "COUNT", "2"]),
        arr(vec![bulk(&dst), bulks(&["1", "3"])])
    );
    assert_eq!(c.cmd(&["LMPOP", "2", &src, &other, "LEFT"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["DEL", &dst, &other]), int(2));
}

#[test]
fn lmove_rotates_one_key_and_links_tagged_keys() {
    let t = Keys("rotate");
    let mut c = shared().raw();
    let (a, b) = (t.k("{q}a"), t.k("{q}b"));
    assert_eq!(c.cmd(&["RPUSH", &a, "1", "2", "3"]), int(3));
    assert_eq!(c.cmd(&["LMOVE", &a, &a, "LEFT", "RIGHT"]), bulk("1"));
    assert_eq!(c.cmd(&["RPOPLPUSH", &a, &a]), bulk("1"));
    assert_eq!(all(&mut c, &a), bulks(&["1", "2", "3"]));
    assert_eq!(c.cmd(&["LMOVE", &a, &b, "right", "left"]), bulk("3"));
    assert_eq!(c.cmd(&["LMOVE", &a, &b, "LEFT", "LEFT"]), bulk("1"));
    assert_eq!(c.cmd(&["LMOVE", &a, &b, "LEFT", "RIGHT"]), bulk("2"));
    assert_eq!(c.cmd(&["EXISTS", &a]), int(0));
    assert_eq!(all(&mut c, &b), bulks(&["1", "3", "2"]));
    // A one-element list moved onto itself survives.
    assert_eq!(c.cmd(&["RPUSH", &a, "only"]), int(1));
    assert_eq!(c.cmd(&["LMOVE", &a, &a, "LEFT", "LEFT"]), bulk("only"));
    assert_eq!(all(&mut c, &a), bulks(&["only"]));
}

/// The seeds' queue snippet, unchanged: a producer LPUSHes, a consumer RPOPs.
#[test]
fn seed_queue_pattern() {
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["LPUSH", "queue:tasks", "task1"]), int(1));
    assert_eq!(c.cmd(&["RPOP", "queue:tasks"]), bulk("task1"));
    assert_eq!(c.cmd(&["LRANGE", "queue:tasks", "0", "-1"]), empty());
    // The same as a working queue, through the redis crate.
    let mut conn = shared().conn();
    for i in 0..100 {
        let n: i64 = redis::cmd("LPUSH")
            .arg("queue:tasks")
            .arg(format!("task{i}"))
            .query(&mut conn)
            .unwrap();
        assert_eq!(n, i + 1);
    }
    let peek: Vec<String> = redis::cmd("LRANGE")
        .arg("queue:tasks")
        .arg(0)
        .arg(2)
        .query(&mut conn)
        .unwrap();
    assert_eq!(peek, ["task99", "task98", "task97"]);
    for i in 0..100 {
        let task: Option<String> = redis::cmd("RPOP")
            .arg("queue:tasks")
            .query(&mut conn)
            .unwrap();
        assert_eq!(task, Some(format!("task{i}")));
    }
    let done: Option<String> = redis::cmd("RPOP")
        .arg("queue:tasks")
        .query(&mut conn)
        .unwrap();
    assert_eq!(done, None);
}

/// A list of many nodes: edits in the middle, at both ends, and reads across node borders.
#[test]
fn big_list() {
    let t = Keys("big");
    let mut c = shared().raw();
    let l = t.k("l");
    let n = 20_000;
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let mut cmd = vec!["RPUSH".to_string(), l.clone()];
        cmd.extend(chunk.iter().map(|i| format!("value:{i}")));
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        assert_eq!(c.cmd(&cmd), int(chunk[chunk.len() - 1] + 1));
    }
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &l]), bulk("quicklist"));
    assert_eq!(c.cmd(&["LINDEX", &l, "12345"]), bulk("value:12345"));
    assert_eq!(c.cmd(&["LINDEX", &l, "-12345"]), bulk("value:7655"));
    let want: Vec<String> = (9990..10010).map(|i| format!("value:{i}")).collect();
    assert_eq!(c.cmd(&["LRANGE", &l, "9990", "10009"]), bulks(&want));
    let big = "x".repeat(10_000);
    assert_eq!(c.cmd(&["LSET", &l, "10000", &big]), ok());
    assert_eq!(
        c.cmd(&["LINSERT", &l, "BEFORE", "value:10001", &big]),
        int(n + 1)
    );
    assert_eq!(c.cmd(&["LINDEX", &l, "10001"]), bulk(&big));
    assert_eq!(c.cmd(&["LINDEX", &l, "10002"]), bulk("value:10001"));
    assert_eq!(c.cmd(&["LREM", &l, "0", &big]), int(2));
    assert_eq!(c.cmd(&["LPOS", &l, "value:19999"]), int(n - 2));
    assert_eq!(c.cmd(&["LPOS", &l, "value:0", "RANK", "-1"]), int(0));
    assert_eq!(c.cmd(&["LTRIM", &l, "5000", "-5001"]), ok());
    assert_eq!(c.cmd(&["LLEN", &l]), int(n - 1 - 10_000));
    assert_eq!(c.cmd(&["LINDEX", &l, "0"]), bulk("value:5000"));
    assert_eq!(c.cmd(&["LINDEX", &l, "-1"]), bulk("value:14999"));
    let popped = c.cmd(&["RPOP", &l, "3000"]);
    assert_eq!(popped.as_array().len(), 3000);
    assert_eq!(popped.as_array()[0], bulk("value:14999"));
    assert_eq!(c.cmd(&["DEL", &l]), int(1));
}

/// Tiny nodes (`list-max-listpack-size 2`): every command crosses node borders.
#[test]
fn small_nodes_behave_the_same() {
    let server = start_target(2, &["--list-max-listpack-size", "2"]);
    let mut c = server.raw();
    let l = "l";
    assert_eq!(c.cmd(&["RPUSH", l, "a", "b", "c", "d", "e"]), int(5));
    assert_eq!(c.cmd(&["LPUSH", l, "z"]), int(6));
    assert_eq!(c.cmd(&["LINSERT", l, "AFTER", "b", "x"]), int(7));
    assert_eq!(c.cmd(&["LSET", l, "4", "y"]), ok());
    assert_eq!(all(&mut c, l), bulks(&["z", "a", "b", "x", "y", "d", "e"]));
    assert_eq!(c.cmd(&["LRANGE", l, "2", "4"]), bulks(&["b", "x", "y"]));
    assert_eq!(c.cmd(&["LREM", l, "0", "x"]), int(1));
    assert_eq!(c.cmd(&["LTRIM", l, "1", "-2"]), ok());
    assert_eq!(all(&mut c, l), bulks(&["a", "b", "y", "d"]));
    assert_eq!(c.cmd(&["LPOS", l, "d", "RANK", "-1"]), int(3));
    assert_eq!(c.cmd(&["RPOP", l, "3"]), bulks(&["d", "y", "b"]));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "list-max-listpack-size", "-1"]),
        ok()
    );
    assert_eq!(c.cmd(&["RPUSH", l, "b", "c"]), int(3));
    assert_eq!(all(&mut c, l), bulks(&["a", "b", "c"]));
}
