//! Stream commands (XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD), every option
//! and error, with exact replies, on keys of every shard.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::time::Duration;

use ferrokv_tests::*;
use redis::Commands;

/// Keys of one test, one per shard: `stream:<test>:<n>`.
fn keys(test: &str) -> Vec<String> {
    spread_keys(&format!("stream:{test}:"), DEFAULT_SHARDS, DEFAULT_SHARDS)
}

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";
const NOT_GREATER: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";

/// `[id, [field, value, ...]]`.
fn entry(id: &str, fv: &[&str]) -> Resp {
    arr(vec![bulk(id), bulks(fv)])
}

fn one(id: &str) -> Resp {
    arr(vec![entry(id, &["f", "v"])])
}

fn empty() -> Resp {
    arr(vec![])
}

/// XADDs `n` entries `1-0`..`n-0` of `f v`.
fn fill(c: &mut RawConn, key: &str, n: u64) {
    for i in 1..=n {
        let id = format!("{i}-0");
        assert_eq!(c.cmd(&["XADD", key, &id, "f", "v"]), bulk(&id));
    }
}

#[test]
fn add_and_read_back_on_every_shard() {
    let mut c = shared().raw();
    let ks = keys("basic");
    c.del(&ks);
    for k in &ks {
        assert_eq!(
            c.cmd(&["XADD", k, "1-1", "name", "ada", "age", "36"]),
            bulk("1-1")
        );
        assert_eq!(c.cmd(&["XADD", k, "1-2", "name", "bob"]), bulk("1-2"));
        let bin: &[u8] = b"\x00\r\n\xff";
        assert_eq!(
            c.cmdb(&[b"XADD", k.as_bytes(), b"2", bin, b""]),
            bulk("2-0")
        );
        assert_eq!(c.cmd(&["XLEN", k]), int(3));
        assert_eq!(
            c.cmd(&["XRANGE", k, "-", "+"]),
            arr(vec![
                entry("1-1", &["name", "ada", "age", "36"]),
                entry("1-2", &["name", "bob"]),
                arr(vec![bulk("2-0"), arr(vec![bulk(bin), bulk("")])]),
            ])
        );
        assert_eq!(
            c.cmd(&["XREVRANGE", k, "+", "-", "COUNT", "2"]),
            arr(vec![
                arr(vec![bulk("2-0"), arr(vec![bulk(bin), bulk("")])]),
                entry("1-2", &["name", "bob"]),
            ])
        );
        assert_eq!(c.cmd(&["TYPE", k]), simple("stream"));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", k]), bulk("stream"));
        assert!(c.cmd(&["MEMORY", "USAGE", k]).as_int() > 0);
    }
    assert_eq!(c.del(&ks), int(ks.len() as i64));
}

#[test]
fn xadd_ids_and_their_errors() {
    let mut c = shared().raw();
    let k = &keys("ids")[1];
    c.del(&[k]);
    let exhausted = "ERR The stream has exhausted the last possible ID, unable to add more items";
    for (args, want) in [
        (
            &["0-0"][..],
            err("ERR The ID specified in XADD must be greater than 0-0"),
        ),
        (&["0-*"], bulk("0-1")),
        (&["0-*"], bulk("0-2")),
        (&["5"], bulk("5-0")),
        (&["5"], err(NOT_GREATER)),
        (&["4-9"], err(NOT_GREATER)),
        (&["5-*"], bulk("5-1")),
        (&[" 7"], bulk("7-0")),
        (&["+8"], bulk("8-0")),
        (&["-"], err(INVALID_ID)),
        (&["+"], err(INVALID_ID)),
        (&["1-2-3"], err(INVALID_ID)),
        (&["18446744073709551616"], err(INVALID_ID)),
        (&["9-18446744073709551615"], bulk("9-18446744073709551615")),
        (&["9-*"], err("ERR Elements are too large to be stored")),
        (&["NOMKSTREAM", "10-1"], bulk("10-1")),
        (
            &["18446744073709551615-18446744073709551615"],
            bulk("18446744073709551615-18446744073709551615"),
        ),
        (&["*"], err(exhausted)),
    ] {
        let mut cmd = vec!["XADD", k];
        cmd.extend(args);
        cmd.extend(["f", "v"]);
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
    }
    assert_eq!(c.cmd(&["XADD", k, "1", "f"]), arity_err("xadd"));
    assert_eq!(c.cmd(&["XADD", k, "1", "f", "v", "g"]), arity_err("xadd"));
    assert_eq!(c.cmd(&["XLEN", k]), int(9));
    let fresh = &keys("ids")[2];
    c.del(&[fresh]);
    assert_eq!(c.cmd(&["XADD", fresh, "NOMKSTREAM", "1", "f", "v"]), nil());
    assert_eq!(c.cmd(&["EXISTS", fresh]), int(0));
    c.del(&[k]);
}

#[test]
fn auto_ids_increase() {
    let mut c = shared().raw();
    let k = &keys("auto")[3];
    c.del(&[k]);
    let mut con = shared().conn();
    let mut last = (0u64, 0u64);
    for _ in 0..50 {
        let id: String = con.xadd(k, "*", &[("f", "v")]).expect("xadd");
        let (ms, seq) = id.split_once('-').expect("an ID");
        let now = (ms.parse().expect("ms"), seq.parse().expect("seq"));
        assert!(now > last, "{now:?} after {last:?}");
        last = now;
    }
    assert_eq!(c.cmd(&["XLEN", k]), int(50));
    c.del(&[k]);
}

#[test]
fn ranges_with_exclusive_bounds_and_counts() {
    let mut c = shared().raw();
    let k = &keys("range")[0];
    c.del(&[k]);
    fill(&mut c, k, 5);
    let ids = |r: Resp| -> Vec<String> {
        r.as_array()
            .iter()
            .map(|e| e.as_array()[0].as_str())
            .collect()
    };
    assert_eq!(ids(c.cmd(&["XRANGE", k, "(1-0", "(4-0"])), ["2-0", "3-0"]);
    // A bound without a sequence number covers its whole millisecond.
    assert_eq!(
        ids(c.cmd(&["XRANGE", k, "(1", "(4"])),
        ["2-0", "3-0", "4-0"]
    );
    assert_eq!(
        ids(c.cmd(&["XRANGE", k, "2", "+", "COUNT", "2"])),
        ["2-0", "3-0"]
    );
    assert_eq!(
        ids(c.cmd(&["XREVRANGE", k, "(5-0", "(1-0"])),
        ["4-0", "3-0", "2-0"]
    );
    assert_eq!(
        ids(c.cmd(&["XREVRANGE", k, "+", "-", "count", "1"])),
        ["5-0"]
    );
    assert_eq!(c.cmd(&["XRANGE", k, "+", "-"]), empty());
    assert_eq!(
        c.cmd(&["XRANGE", k, "-", "+", "COUNT", "0"]),
        Resp::NilArray
    );
    assert_eq!(
        c.cmd(&["XRANGE", "stream:range:none", "-", "+", "COUNT", "0"]),
        empty()
    );
    for (args, want) in [
        (
            &["-", "(0-0"][..],
            err("ERR invalid end ID for the interval"),
        ),
        (
            &["(18446744073709551615-18446744073709551615", "+"],
            err("ERR invalid start ID for the interval"),
        ),
        (&["(-", "+"], err(INVALID_ID)),
        (&["(", "+"], err(INVALID_ID)),
        (&["-", "+", "COUNT"], syntax_err()),
        (&["-", "+", "COUNT", "x"], not_int_err()),
        (&["-", "+", "LIMIT", "1"], syntax_err()),
    ] {
        let mut cmd = vec!["XRANGE", k];
        cmd.extend(args);
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
    }
    c.del(&[k]);
}

#[test]
fn xdel_keeps_the_emptied_stream() {
    let mut c = shared().raw();
    let k = &keys("xdel")[1];
    c.del(&[k]);
    fill(&mut c, k, 3);
    assert_eq!(c.cmd(&["XDEL", "stream:xdel:none", "bad"]), int(0));
    assert_eq!(c.cmd(&["XDEL", k, "1-0", "bad"]), err(INVALID_ID));
    assert_eq!(c.cmd(&["XLEN", k]), int(3));
    assert_eq!(c.cmd(&["XDEL", k, "1-0", "1-0", "9-9"]), int(1));
    assert_eq!(c.cmd(&["XDEL", k, "2", "3-0"]), int(2));
    assert_eq!(c.cmd(&["XLEN", k]), int(0));
    assert_eq!(c.cmd(&["EXISTS", k]), int(1));
    assert_eq!(c.cmd(&["TYPE", k]), simple("stream"));
    assert_eq!(c.cmd(&["XRANGE", k, "-", "+"]), empty());
    // The last ID stays: a smaller one is refused, `<ms>-*` continues after it.
    assert_eq!(c.cmd(&["XADD", k, "3-0", "f", "v"]), err(NOT_GREATER));
    assert_eq!(c.cmd(&["XADD", k, "3-*", "f", "v"]), bulk("3-1"));
    assert_eq!(c.cmd(&["XRANGE", k, "-", "+"]), one("3-1"));
    c.del(&[k]);
}

#[test]
fn trimming_exact_and_by_whole_blocks() {
    let mut c = shared().raw();
    let k = &keys("trim")[2];
    c.del(&[k]);
    fill(&mut c, k, 250);
    // Blocks of 100 entries: `~` only removes whole ones, and LIMIT caps the work.
    for (args, want) in [
        (&["MAXLEN", "~", "120"][..], 100),
        (&["MAXLEN", "~", "0", "LIMIT", "99"], 0),
        (&["MAXLEN", "~", "0", "LIMIT", "100"], 100),
        (&["MINID", "~", "240"], 0),
        (&["MINID", "240"], 39),
        (&["MAXLEN", "=", "3"], 8),
        (&["MAXLEN", "3"], 0),
    ] {
        let mut cmd = vec!["XTRIM", k];
        cmd.extend(args);
        assert_eq!(c.cmd(&cmd), int(want), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["XRANGE", k, "-", "+", "COUNT", "1"]), one("248-0"));
    assert_eq!(c.cmd(&["XTRIM", "stream:trim:none", "MAXLEN", "0"]), int(0));
    for (args, want) in [
        (&["MAXLEN"][..], arity_err("xtrim")),
        (&["foo", "1"], syntax_err()),
        (
            &["MAXLEN", "-1"],
            err("ERR The MAXLEN argument must be >= 0."),
        ),
        (&["MAXLEN", "x"], not_int_err()),
        (&["MINID", "+"], err(INVALID_ID)),
        (
            &["MAXLEN", "1", "LIMIT", "5"],
            err("ERR syntax error, LIMIT cannot be used without the special ~ option"),
        ),
        (
            &["MAXLEN", "~", "1", "LIMIT", "-1"],
            err("ERR The LIMIT argument must be >= 0."),
        ),
        (
            &["LIMIT", "5", "MAXLEN", "1"],
            err("ERR syntax error, LIMIT cannot be used without the special ~ option"),
        ),
        (
            &["LIMIT", "0", "LIMIT", "0"],
            err("ERR syntax error, XTRIM must be called with a trimming strategy"),
        ),
        (
            &["MAXLEN", "1", "MINID", "1"],
            err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
        ),
    ] {
        let mut cmd = vec!["XTRIM", k];
        cmd.extend(args);
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
    }
    // XADD trims after adding.
    assert_eq!(
        c.cmd(&["XADD", k, "MAXLEN", "2", "300", "f", "v"]),
        bulk("300-0")
    );
    assert_eq!(c.cmd(&["XLEN", k]), int(2));
    assert_eq!(
        c.cmd(&[
            "XADD",
            k,
            "NOMKSTREAM",
            "MINID",
            "=",
            "301",
            "301",
            "f",
            "v"
        ]),
        bulk("301-0")
    );
    assert_eq!(c.cmd(&["XRANGE", k, "-", "+"]), one("301-0"));
    assert_eq!(
        c.cmd(&["XADD", k, "LIMIT", "5", "302", "f", "v"]),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    c.del(&[k]);
}

#[test]
fn block_sizes_follow_the_node_settings() {
    let mut server = start_target(DEFAULT_SHARDS, &["--stream-node-max-entries", "5"]);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "stream-node-max-entries"]),
        bulks(&["stream-node-max-entries", "5"])
    );
    let k = "s";
    fill(&mut c, k, 23);
    // Without LIMIT, `~` does at most 100 blocks' worth of work.
    assert_eq!(c.cmd(&["XTRIM", k, "MAXLEN", "~", "7"]), int(15));
    assert_eq!(
        c.cmd(&["XTRIM", k, "MAXLEN", "~", "0", "LIMIT", "4"]),
        int(0)
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-bytes", "60"]),
        ok()
    );
    fill_from(&mut c, "t", 1, 10);
    // An entry of `f v` takes 11 bytes of a listpack whose header and master entry take 18:
    // four fit in 60.
    assert_eq!(c.cmd(&["XTRIM", "t", "MAXLEN", "~", "3"]), int(4));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-bytes", "0"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "0"]),
        ok()
    );
    fill_from(&mut c, "u", 1, 300);
    assert_eq!(c.cmd(&["XTRIM", "u", "MAXLEN", "~", "1"]), int(0));
    assert_eq!(c.cmd(&["XTRIM", "u", "MAXLEN", "=", "1"]), int(299));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "stream-node-max-entries", "-1"]),
        err("ERR CONFIG SET failed (possibly related to argument 'stream-node-max-entries') - argument must be between 0 and 9223372036854775807 inclusive")
    );
    server.terminate(Duration::from_secs(10));
}

fn fill_from(c: &mut RawConn, key: &str, from: u64, n: u64) {
    for i in from..from + n {
        let id = format!("{i}-0");
        assert_eq!(c.cmd(&["XADD", key, &id, "f", "v"]), bulk(&id));
    }
}

#[test]
fn xsetid_rules() {
    let mut c = shared().raw();
    let k = &keys("xsetid")[3];
    c.del(&[k]);
    assert_eq!(c.cmd(&["XSETID", k, "1-1"]), err("ERR no such key"));
    assert_eq!(c.cmd(&["XADD", k, "1-1", "f", "v"]), bulk("1-1"));
    assert_eq!(c.cmd(&["XADD", k, "1-2", "f", "v"]), bulk("1-2"));
    for (args, want) in [
        (&["1-1"][..], err("ERR The ID specified in XSETID is smaller than the target stream top item")),
        (&["2-2", "ENTRIESADDED", "1"], err("ERR The entries_added specified in XSETID is smaller than the target stream length")),
        (&["2-2", "ENTRIESADDED", "-1"], err("ERR entries_added must be positive")),
        (&["2-2", "MAXDELETEDID", "3-0"], err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")),
        (&["2-2", "FOO"], syntax_err()),
        (&["-"], err(INVALID_ID)),
        (&["2-2", "MAXDELETEDID", "2-0", "ENTRIESADDED", "5"], ok()),
    ] {
        let mut cmd = vec!["XSETID", k];
        cmd.extend(args);
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
    }
    assert_eq!(c.cmd(&["XADD", k, "2-2", "f", "v"]), err(NOT_GREATER));
    assert_eq!(c.cmd(&["XADD", k, "2-*", "f", "v"]), bulk("2-3"));
    c.del(&[k]);
}

#[test]
fn xread_across_shards() {
    let mut c = shared().raw();
    let ks = keys("xread");
    c.del(&ks);
    let missing = "stream:xread:missing";
    for (i, k) in ks.iter().enumerate() {
        fill(&mut c, k, i as u64 + 1);
    }
    let mut cmd = vec!["XREAD", "COUNT", "2", "STREAMS"];
    cmd.extend(ks.iter().map(String::as_str));
    cmd.push(missing);
    cmd.extend(["0", "1", "$", "1-0", "0"]);
    // Key order, streams with nothing new left out.
    let fv = &["f", "v"][..];
    assert_eq!(
        c.cmd(&cmd),
        arr(vec![
            arr(vec![bulk(&ks[0]), arr(vec![entry("1-0", fv)])]),
            arr(vec![bulk(&ks[1]), arr(vec![entry("2-0", fv)])]),
            arr(vec![
                bulk(&ks[3]),
                arr(vec![entry("2-0", fv), entry("3-0", fv)])
            ]),
        ])
    );
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", &ks[0], missing, "$", "0"]),
        Resp::NilArray
    );
    // RESP3: a map.
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", &ks[2], &ks[3], "2", "3"]),
        Resp::Map(vec![
            (bulk(&ks[2]), arr(vec![entry("3-0", fv)])),
            (bulk(&ks[3]), arr(vec![entry("4-0", fv)])),
        ])
    );
    assert_eq!(c.cmd(&["XREAD", "STREAMS", &ks[0], "$"]), Resp::Null);
    assert!(!c.cmd(&["HELLO", "2"]).is_error());
    c.del(&ks);
}

#[test]
fn xread_errors() {
    let mut c = shared().raw();
    let k = &keys("xreaderr")[0];
    let s = &keys("xreaderr")[1];
    c.del(&[k, s]);
    assert_eq!(c.cmd(&["SET", s, "x"]), ok());
    let unbalanced =
        "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.";
    for (args, want) in [
        (vec!["STREAMS", k], arity_err("xread")),
        (vec!["COUNT", "1", "STREAMS", k], err(unbalanced)),
        (vec!["STREAMS", k, ">"], err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")),
        (vec!["GROUP", "g", "c", "STREAMS", k, "0"], err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")),
        (vec!["NOACK", "STREAMS", k, "0"], err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")),
        (vec!["BLOCK", "-1", "STREAMS", k, "0"], err("ERR timeout is negative")),
        (vec!["BLOCK", "1.5", "STREAMS", k, "0"], err("ERR timeout is not an integer or out of range")),
        (vec!["COUNT", "x", "STREAMS", k, "0"], not_int_err()),
        (vec!["FOO", "STREAMS", k, "0"], syntax_err()),
        (vec!["STREAMS", k, "+"], err(INVALID_ID)),
        (vec!["STREAMS", k, s, "0", "0"], err(WRONGTYPE)),
    ] {
        let mut cmd = vec!["XREAD"];
        cmd.extend(args);
        assert_eq!(c.cmd(&cmd), want, "{cmd:?}");
    }
    c.del(&[s]);
}

#[test]
fn xread_block_answers_at_once_when_it_can() {
    let mut c = shared().raw();
    let k = &keys("xreadnow")[2];
    c.del(&[k]);
    fill(&mut c, k, 2);
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", k, "1"]),
        arr(vec![arr(vec![bulk(k), one("2-0")])])
    );
    // A short wait with nothing new ends with a null array.
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "20", "STREAMS", k, "$"]),
        Resp::NilArray
    );
    // Inside MULTI nothing waits.
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", k, "$"]),
        simple("QUEUED")
    );
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![Resp::NilArray]));
    // Nor in a script, where BLOCK is refused outright.
    let script = "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')";
    let refused = "ERR XREAD command is not allowed with BLOCK option from scripts";
    match c.cmd(&["EVAL", script, "1", k]) {
        Resp::Error(e) => assert!(e.starts_with(refused), "{e}"),
        other => panic!("{other:?}"),
    }
    c.del(&[k]);
}

#[test]
#[ignore = "needs the server side of the blocking contract (parking clients), issue 5"]
fn xread_block_wakes_on_xadd() {
    let mut c = shared().raw();
    let ks = keys("xreadwait");
    c.del(&ks);
    fill(&mut c, &ks[0], 1);
    let mut waiter = shared().raw();
    waiter.send_cmd(&["XREAD", "BLOCK", "0", "STREAMS", &ks[0], &ks[3], "$", "$"]);
    assert!(poll_until(
        Duration::from_secs(5),
        Duration::from_millis(10),
        || { c.cmd(&["CLIENT", "LIST"]).as_str().contains("cmd=xread") }
    ));
    assert_eq!(c.cmd(&["XADD", &ks[3], "5-0", "f", "v"]), bulk("5-0"));
    assert_eq!(
        waiter.read(),
        arr(vec![arr(vec![bulk(&ks[3]), one("5-0")])])
    );
    c.del(&ks);
}

#[test]
fn generic_commands_on_streams() {
    let mut c = shared().raw();
    let ks = keys("generic");
    c.del(&ks);
    fill(&mut c, &ks[0], 3);
    // RENAME and COPY between shards carry the whole stream, last ID included.
    assert_eq!(c.cmd(&["RENAME", &ks[0], &ks[1]]), ok());
    assert_eq!(c.cmd(&["EXISTS", &ks[0]]), int(0));
    assert_eq!(c.cmd(&["COPY", &ks[1], &ks[2]]), int(1));
    assert_eq!(c.cmd(&["XDEL", &ks[2], "3-0"]), int(1));
    assert_eq!(c.cmd(&["XADD", &ks[2], "3-0", "f", "v"]), err(NOT_GREATER));
    assert_eq!(c.cmd(&["XLEN", &ks[1]]), int(3));
    assert_eq!(c.cmd(&["XLEN", &ks[2]]), int(2));
    assert_eq!(c.cmd(&["MOVE", &ks[2], "1"]), int(1));
    assert_eq!(c.cmd(&["SELECT", "1"]), ok());
    assert_eq!(
        c.cmd(&["XRANGE", &ks[2], "-", "+", "COUNT", "1"]),
        one("1-0")
    );
    assert_eq!(c.cmd(&["DEL", &ks[2]]), int(1));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    assert_eq!(c.cmd(&["SORT", &ks[1]]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["GET", &ks[1]]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["LPUSH", &ks[1], "x"]), err(WRONGTYPE));
    assert_eq!(c.cmd(&["SET", &ks[3], "x"]), ok());
    for cmd in [
        vec!["XADD", &ks[3], "1", "f", "v"],
        vec!["XLEN", &ks[3]],
        vec!["XRANGE", &ks[3], "-", "+"],
        vec!["XREVRANGE", &ks[3], "+", "-"],
        vec!["XDEL", &ks[3], "1"],
        vec!["XTRIM", &ks[3], "MAXLEN", "1"],
        vec!["XSETID", &ks[3], "1"],
    ] {
        assert_eq!(c.cmd(&cmd), err(WRONGTYPE), "{cmd:?}");
    }
    assert_eq!(c.cmd(&["UNLINK", &ks[1], &ks[3]]), int(2));
}
