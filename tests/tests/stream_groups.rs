//! Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO,
//! every option and every error, with exact replies (idle times, which depend on the clock, are
//! checked by their type or through the IDLE filters with bounds far from any test's duration);
//! streams on every shard; the seeds' stream consumer.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamMaxlen, StreamReadOptions, StreamReadReply,
};
use redis::Commands;

fn k(test: &str, name: &str) -> String {
    format!("xg:{test}:{name}")
}

/// One entry as XRANGE and XREADGROUP show it.
fn entry(id: &str, fields: &[&str]) -> Resp {
    arr(vec![bulk(id), bulks(fields)])
}

/// A pending entry whose message was deleted: its ID and a nil.
fn gone(id: &str) -> Resp {
    arr(vec![bulk(id), Resp::NilArray])
}

/// The RESP2 reply of XREADGROUP for one stream.
fn read1(key: &str, entries: Vec<Resp>) -> Resp {
    arr(vec![arr(vec![bulk(key), arr(entries)])])
}

fn wrongtype() -> Resp {
    err("WRONGTYPE Operation against a key holding the wrong kind of value")
}

fn invalid_id() -> Resp {
    err("ERR Invalid stream ID specified as stream command argument")
}

fn nogroup(key: &str, group: &str) -> Resp {
    err(&format!(
        "NOGROUP No such key '{key}' or consumer group '{group}'"
    ))
}

fn nogroup_read(key: &str, group: &str) -> Resp {
    err(&format!(
        "NOGROUP No such key '{key}' or consumer group '{group}' in XREADGROUP with GROUP option"
    ))
}

fn no_such_group(key: &str, group: &str) -> Resp {
    err(&format!(
        "NOGROUP No such consumer group '{group}' for key name '{key}'"
    ))
}

fn sub_syntax(container: &str, sub: &str) -> Resp {
    err(&format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP."
    ))
}

/// XPENDING's extended rows without the idle time: (id, consumer, deliveries).
fn pending_rows(r: &Resp) -> Vec<(String, String, i64)> {
    r.as_array()
        .iter()
        .map(|row| {
            let row = row.as_array();
            assert!(matches!(row[2], Resp::Int(n) if n >= 0), "idle {row:?}");
            (row[0].as_str(), row[1].as_str(), row[3].as_int())
        })
        .collect()
}

fn rows(v: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    v.iter()
        .map(|(id, c, n)| (id.to_string(), c.to_string(), *n))
        .collect()
}

/// XINFO CONSUMERS without the idle times: (name, pending).
fn consumers(r: &Resp) -> Vec<(String, i64)> {
    r.as_array()
        .iter()
        .map(|c| {
            let idle = c.field("idle").expect("idle");
            assert!(matches!(idle, Resp::Int(n) if n >= 0), "idle {idle:?}");
            (
                c.field("name").expect("name").as_str(),
                c.field("pending").expect("pending").as_int(),
            )
        })
        .collect()
}

/// One XINFO GROUPS row: name, consumers, pending, last-delivered-id, entries-read, lag.
fn group_info(name: &str, cons: i64, pel: i64, last: &str, read: Resp, lag: Resp) -> Resp {
    arr(vec![
        bulk("name"),
        bulk(name),
        bulk("consumers"),
        int(cons),
        bulk("pending"),
        int(pel),
        bulk("last-delivered-id"),
        bulk(last),
        bulk("entries-read"),
        read,
        bulk("lag"),
        lag,
    ])
}

/// Adds entries `1-1`, `2-1`, ... `n-1` with one field each (`f` = `v<i>`).
fn fill(c: &mut RawConn, key: &str, n: usize) {
    for i in 1..=n {
        let id = format!("{i}-1");
        assert_eq!(c.cmd(&["XADD", key, &id, "f", &format!("v{i}")]), bulk(&id));
    }
}

fn e(i: usize) -> Resp {
    entry(&format!("{i}-1"), &["f", &format!("v{i}")])
}

fn resp3() -> RawConn {
    let mut c = shared().raw();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    c
}

#[test]
fn create_with_mkstream_twice_is_busygroup() {
    let mut c = shared().raw();
    let s = k("busy", "s");
    c.del(&[&s]);
    let missing = err(
        "ERR The XGROUP subcommand requires the key to exist. Note that for \
                       CREATE you may want to use the MKSTREAM option to create an empty \
                       stream automatically.",
    );
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "$"]), missing);
    assert_eq!(c.cmd(&["EXISTS", &s]), int(0));
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "$", "MKSTREAM"]), ok());
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g", "$", "MKSTREAM"]),
        err("BUSYGROUP Consumer Group name already exists")
    );
    assert_eq!(c.cmd(&["TYPE", &s]), simple("stream"));
    assert_eq!(c.cmd(&["XLEN", &s]), int(0));
    // An empty stream with a group is kept.
    assert_eq!(c.cmd(&["EXISTS", &s]), int(1));
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g2", "0", "mkstream"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 0, 0, "0-0", nil(), int(0)),
            group_info("g2", 0, 0, "0-0", nil(), int(0)),
        ])
    );
    // `$` is the stream's last ID, deleted or not.
    fill(&mut c, &s, 3);
    assert_eq!(c.cmd(&["XDEL", &s, "3-1"]), int(1));
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g3", "$"]), ok());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g4", "1"]), ok());
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 0, 0, "0-0", nil(), nil()),
            group_info("g2", 0, 0, "0-0", nil(), nil()),
            group_info("g3", 0, 0, "3-1", nil(), int(0)),
            group_info("g4", 0, 0, "1-0", nil(), nil()),
        ])
    );
}

#[test]
fn xgroup_errors() {
    let mut c = shared().raw();
    let s = k("xgerr", "s");
    let str_key = k("xgerr", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &str_key, "g", "$", "MKSTREAM"]),
        wrongtype()
    );
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", &str_key, "g"]), wrongtype());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0", "MKSTREAM"]), ok());
    let entries_read = err("ERR value for ENTRIESREAD must be positive or -1");
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g2", "0", "ENTRIESREAD", "-3"]),
        entries_read
    );
    assert_eq!(
        c.cmd(&["XGROUP", "SETID", &s, "g", "0", "ENTRIESREAD", "-2"]),
        entries_read
    );
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g2", "0", "ENTRIESREAD", "x"]),
        not_int_err()
    );
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g2", "0", "FOO"]),
        sub_syntax("XGROUP", "CREATE")
    );
    assert_eq!(
        c.cmd(&[
            "XGROUP",
            "CREATE",
            &s,
            "g2",
            "0",
            "MKSTREAM",
            "ENTRIESREAD",
            "1",
            "MKSTREAM"
        ]),
        sub_syntax("XGROUP", "CREATE")
    );
    // ENTRIESREAD without its value is an unknown option.
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g2", "0", "ENTRIESREAD"]),
        sub_syntax("XGROUP", "CREATE")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "SETID", &s, "g", "0", "MKSTREAM"]),
        sub_syntax("XGROUP", "SETID")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "setid", &s, "g", "0", "1", "2"]),
        sub_syntax("XGROUP", "setid")
    );
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g2", "abc"]), invalid_id());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g2", "-"]), invalid_id());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g2", "+"]), invalid_id());
    for sub in ["SETID", "CREATECONSUMER", "DELCONSUMER"] {
        let mut args = vec!["XGROUP", sub, &s, "nog", "0"];
        if sub == "SETID" {
            args[4] = "$";
        }
        assert_eq!(c.cmd(&args), no_such_group(&s, "nog"));
    }
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", &s, "nog"]), int(0));
    let missing = k("xgerr", "missing");
    for sub in ["SETID", "CREATECONSUMER", "DELCONSUMER"] {
        assert!(c
            .cmd(&["XGROUP", sub, &missing, "g", "0"])
            .as_str_err()
            .starts_with("ERR The XGROUP subcommand requires the key to exist"));
    }
    assert!(c
        .cmd(&["XGROUP", "DESTROY", &missing, "g"])
        .as_str_err()
        .starts_with("ERR The XGROUP subcommand requires the key to exist"));
    assert_eq!(
        c.cmd(&["XGROUP", "FOO", &s, "g"]),
        err("ERR unknown subcommand 'FOO'. Try XGROUP HELP.")
    );
    assert_eq!(c.cmd(&["XGROUP"]), arity_err("xgroup"));
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "g"]),
        arity_err("xgroup|create")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "SETID", &s, "g"]),
        arity_err("xgroup|setid")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "DESTROY", &s]),
        arity_err("xgroup|destroy")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "DESTROY", &s, "g", "x"]),
        arity_err("xgroup|destroy")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "CREATECONSUMER", &s, "g"]),
        arity_err("xgroup|createconsumer")
    );
    assert_eq!(
        c.cmd(&["XGROUP", "DELCONSUMER", &s, "g", "c", "d"]),
        arity_err("xgroup|delconsumer")
    );
    assert_eq!(c.cmd(&["XGROUP", "HELP", "x"]), arity_err("xgroup|help"));
    let help = c.cmd(&["XGROUP", "HELP"]);
    let lines: Vec<String> = help.as_array().iter().map(Resp::as_str).collect();
    assert_eq!(
        lines,
        [
            "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
            "HELP",
            "    Prints this help.",
        ]
    );
}

trait ErrText {
    fn as_str_err(&self) -> String;
}

impl ErrText for Resp {
    fn as_str_err(&self) -> String {
        match self {
            Resp::Error(s) => s.clone(),
            other => panic!("expected an error, got {other:?}"),
        }
    }
}

#[test]
fn setid_destroy_and_consumers() {
    let mut c = shared().raw();
    let s = k("setid", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 4);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&["XGROUP", "CREATECONSUMER", &s, "g", "alice"]),
        int(1)
    );
    assert_eq!(
        c.cmd(&["XGROUP", "CREATECONSUMER", &s, "g", "alice"]),
        int(0)
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "COUNT",
            "3",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(1), e(2), e(3)])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", &s, ">"]),
        read1(&s, vec![e(4)])
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [("alice".to_string(), 1), ("bob".to_string(), 3)]
    );
    // SETID rewinds: the next `>` read hands the pending entries to the reader, counting from 1.
    assert_eq!(c.cmd(&["XGROUP", "SETID", &s, "g", "1-1"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "carol",
            "COUNT",
            "2",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(2), e(3)])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[
            ("1-1", "bob", 1),
            ("2-1", "carol", 1),
            ("3-1", "carol", 1),
            ("4-1", "alice", 1)
        ])
    );
    // SETID accepts `-`, `+` and `$`, and an ID of the future.
    assert_eq!(c.cmd(&["XGROUP", "SETID", &s, "g", "+"]), ok());
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info(
            "g",
            3,
            4,
            "18446744073709551615-18446744073709551615",
            nil(),
            nil()
        )])
    );
    assert_eq!(
        c.cmd(&["XGROUP", "SETID", &s, "g", "$", "ENTRIESREAD", "4"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info("g", 3, 4, "4-1", int(4), int(0))])
    );
    assert_eq!(c.cmd(&["XGROUP", "SETID", &s, "g", "-"]), ok());
    // DELCONSUMER answers how many entries the consumer had pending, and drops them.
    assert_eq!(c.cmd(&["XGROUP", "DELCONSUMER", &s, "g", "carol"]), int(2));
    assert_eq!(c.cmd(&["XGROUP", "DELCONSUMER", &s, "g", "carol"]), int(0));
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "bob", 1), ("4-1", "alice", 1)])
    );
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", &s, "g"]), int(1));
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", &s, "g"]), int(0));
    assert_eq!(c.cmd(&["XINFO", "GROUPS", &s]), arr(vec![]));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", &s, "0"]),
        nogroup_read(&s, "g")
    );
}

#[test]
fn xreadgroup_delivers_new_entries_once() {
    let mut c = shared().raw();
    let s = k("new", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 5);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "2-1"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "2",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(3), e(4)])
    );
    // COUNT 0 and negative counts mean no limit.
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "-3",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(5)])
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "0",
            "STREAMS",
            &s,
            ">"
        ]),
        Resp::NilArray
    );
    // BLOCK does not matter when there is something to read.
    assert_eq!(c.cmd(&["XADD", &s, "6-1", "f", "v6"]), bulk("6-1"));
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "1000",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(6)])
    );
    // Inside MULTI a BLOCK read that finds nothing answers at once.
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            &s,
            ">"
        ]),
        simple("QUEUED")
    );
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![Resp::NilArray]));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info("g", 3, 4, "6-1", int(6), int(0))])
    );
    assert_eq!(c.cmd(&["XPENDING", &s, "g"]), {
        arr(vec![
            int(4),
            bulk("3-1"),
            bulk("6-1"),
            arr(vec![
                arr(vec![bulk("a"), bulk("2")]),
                arr(vec![bulk("b"), bulk("1")]),
                arr(vec![bulk("c"), bulk("1")]),
            ]),
        ])
    });
    // A read that finds nothing new creates no consumer; a read of history does.
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "d", "STREAMS", &s, ">"]),
        Resp::NilArray
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [
            ("a".to_string(), 2),
            ("b".to_string(), 1),
            ("c".to_string(), 1)
        ]
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "d", "STREAMS", &s, "0"]),
        read1(&s, vec![])
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [
            ("a".to_string(), 2),
            ("b".to_string(), 1),
            ("c".to_string(), 1),
            ("d".to_string(), 0)
        ]
    );
}

#[test]
fn xreadgroup_history_and_deleted_entries() {
    let mut c = shared().raw();
    let s = k("history", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 4);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "3",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(1), e(2), e(3)])
    );
    assert_eq!(c.cmd(&["XDEL", &s, "2-1"]), int(1));
    // History: the consumer's own pending entries after the ID; a deleted one shows as nil.
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "0"]),
        read1(&s, vec![e(1), gone("2-1"), e(3)])
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "COUNT",
            "1",
            "STREAMS",
            &s,
            "1-1"
        ]),
        read1(&s, vec![gone("2-1")])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "2-1"]),
        read1(&s, vec![e(3)])
    );
    // Reading history counts a delivery, except for deleted entries.
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "a", 2), ("2-1", "a", 1), ("3-1", "a", 3)])
    );
    // Another consumer's history is its own: empty, but still an answer.
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "b", "STREAMS", &s, "0"]),
        read1(&s, vec![])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "3-1"]),
        read1(&s, vec![])
    );
    // The ms part alone means seq 0.
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "3"]),
        read1(&s, vec![e(3)])
    );
    // ACKed entries leave the history.
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1", "2-1"]), int(2));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "0-0"]),
        read1(&s, vec![e(3)])
    );
}

#[test]
fn xreadgroup_noack() {
    let mut c = shared().raw();
    let s = k("noack", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 3);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "NOACK",
            "COUNT",
            "2",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(1), e(2)])
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g"]),
        arr(vec![int(0), nil(), nil(), Resp::NilArray])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, "0"]),
        read1(&s, vec![])
    );
    assert_eq!(
        c.cmd(&["xreadgroup", "group", "g", "b", "streams", &s, ">"]),
        read1(&s, vec![e(3)])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info("g", 2, 1, "3-1", int(3), int(0))])
    );
}

#[test]
fn xreadgroup_errors() {
    let mut c = shared().raw();
    let s = k("rgerr", "s");
    let str_key = k("rgerr", "str");
    let missing = k("rgerr", "missing");
    c.del(&[&s, &str_key, &missing]);
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        nogroup_read(&s, "g")
    );
    fill(&mut c, &s, 1);
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        nogroup_read(&s, "g")
    );
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &str_key, ">"]),
        wrongtype()
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "STREAMS",
            &s,
            &missing,
            ">",
            ">"
        ]),
        nogroup_read(&missing, "g")
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, "$"]),
        err(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the \
             history of this consumer by specifying a proper ID, or use the > ID to get new \
             messages. The $ ID would just return an empty result set."
        )
    );
    for id in ["+", "-", "abc", "(0", "1-x", ""] {
        assert_eq!(
            c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, id]),
            invalid_id(),
            "{id}"
        );
    }
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">", "0"]),
        err(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be \
             specified."
        )
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "x",
            "STREAMS",
            &s,
            ">"
        ]),
        not_int_err()
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "x",
            "STREAMS",
            &s,
            ">"
        ]),
        err("ERR timeout is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "-1",
            "STREAMS",
            &s,
            ">"
        ]),
        err("ERR timeout is negative")
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "FOO", "STREAMS", &s, ">"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "COUNT", "1", "STREAMS", &s, &s, ">", ">"]),
        err("ERR Missing GROUP option for XREADGROUP")
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "COUNT", "1", &s, ">"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s]),
        arity_err("xreadgroup")
    );
    assert_eq!(
        c.cmd(&["XREAD", "GROUP", "g", "c", "STREAMS", &s, "0"]),
        err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(
        c.cmd(&["XREAD", "NOACK", "STREAMS", &s, "0"]),
        err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
    );
    assert_eq!(
        c.cmd(&["XREAD", "STREAMS", &s, ">"]),
        err(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP \
             <group> <consumer> option."
        )
    );
    // Errors leave no consumer behind.
    assert_eq!(c.cmd(&["XINFO", "CONSUMERS", &s, "g"]), arr(vec![]));
}

#[test]
fn xreadgroup_streams_on_every_shard() {
    let mut c = shared().raw();
    let keys = spread_keys("xg:shards:", 4, DEFAULT_SHARDS);
    c.del(&keys);
    for (i, key) in keys.iter().enumerate() {
        fill(&mut c, key, i + 1);
        assert_eq!(c.cmd(&["XGROUP", "CREATE", key, "g", "0"]), ok());
    }
    let mut args = vec!["XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS"];
    args.extend(keys.iter().map(String::as_str));
    args.extend([">"; 4]);
    let first: Vec<Resp> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| arr(vec![bulk(key), arr((1..=(i + 1).min(2)).map(e).collect())]))
        .collect();
    assert_eq!(c.cmd(&args), arr(first));
    // Streams with nothing new are left out of the reply.
    let second: Vec<Resp> = keys
        .iter()
        .enumerate()
        .skip(2)
        .map(|(i, key)| arr(vec![bulk(key), arr((3..=i + 1).take(2).map(e).collect())]))
        .collect();
    assert_eq!(c.cmd(&args), arr(second));
    // History and new entries mixed, one stream per shard.
    let mixed = [
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "STREAMS",
        &keys[0],
        &keys[1],
        &keys[2],
        &keys[3],
        "0",
        ">",
        "1-1",
        ">",
    ];
    assert_eq!(
        c.cmd(&mixed),
        arr(vec![
            arr(vec![bulk(&keys[0]), arr(vec![e(1)])]),
            arr(vec![bulk(&keys[2]), arr(vec![e(2), e(3)])]),
        ])
    );
    for (i, key) in keys.iter().enumerate() {
        let acked = c.cmd(&["XACK", key, "g", "1-1", "2-1", "3-1", "4-1"]);
        assert_eq!(acked, int((i + 1).min(4) as i64), "{key}");
    }
    // A missing group on any shard fails the whole call before anything is read.
    assert_eq!(c.cmd(&["XGROUP", "DESTROY", &keys[3], "g"]), int(1));
    fill_more(&mut c, &keys[0]);
    assert_eq!(c.cmd(&args), nogroup_read(&keys[3], "g"));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &keys[0], ">"]),
        read1(&keys[0], vec![entry("9-1", &["f", "v9"])])
    );
}

fn fill_more(c: &mut RawConn, key: &str) {
    assert_eq!(c.cmd(&["XADD", key, "9-1", "f", "v9"]), bulk("9-1"));
}

#[test]
fn xack_counts_pending_entries() {
    let mut c = shared().raw();
    let s = k("xack", "s");
    let str_key = k("xack", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1"]), int(0));
    fill(&mut c, &s, 3);
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1"]), int(0));
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1"]), int(0));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        read1(&s, vec![e(1), e(2), e(3)])
    );
    // One bad ID fails the whole call, acknowledging nothing.
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1", "abc"]), invalid_id());
    assert_eq!(c.cmd(&["XACK", &s, "g", "-"]), invalid_id());
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1", "1-1", "1", "2-1"]), int(2));
    assert_eq!(c.cmd(&["XACK", &s, "g", "1-1", "2-1"]), int(0));
    assert_eq!(c.cmd(&["XACK", &s, "nog", "3-1"]), int(0));
    assert_eq!(c.cmd(&["XACK", &s, "g"]), arity_err("xack"));
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(c.cmd(&["XACK", &str_key, "g", "1-1"]), wrongtype());
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g"]),
        arr(vec![
            int(1),
            bulk("3-1"),
            bulk("3-1"),
            arr(vec![arr(vec![bulk("c"), bulk("1")])])
        ])
    );
}

#[test]
fn xpending_forms() {
    let mut c = shared().raw();
    let s = k("xpending", "s");
    let str_key = k("xpending", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(c.cmd(&["XPENDING", &s, "g"]), nogroup(&s, "g"));
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "-", "+", "10"]),
        nogroup(&s, "g")
    );
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(c.cmd(&["XPENDING", &str_key, "g"]), wrongtype());
    fill(&mut c, &s, 5);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(c.cmd(&["XPENDING", &s, "nog"]), nogroup(&s, "nog"));
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-", "+", "10"]), arr(vec![]));
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "b",
            "COUNT",
            "2",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(1), e(2)])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, ">"]),
        read1(&s, vec![e(3), e(4), e(5)])
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g"]),
        arr(vec![
            int(5),
            bulk("1-1"),
            bulk("5-1"),
            arr(vec![
                arr(vec![bulk("a"), bulk("3")]),
                arr(vec![bulk("b"), bulk("2")])
            ])
        ])
    );
    let all = rows(&[
        ("1-1", "b", 1),
        ("2-1", "b", 1),
        ("3-1", "a", 1),
        ("4-1", "a", 1),
        ("5-1", "a", 1),
    ]);
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        all
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "2"])),
        all[..2]
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "2", "4", "10"])),
        all[1..4]
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "(2-1", "(5-1", "10"])),
        all[2..4]
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10", "a"])),
        all[2..]
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "-", "+", "10", "zed"]),
        arr(vec![])
    );
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-", "+", "0"]), arr(vec![]));
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-", "+", "-5"]), arr(vec![]));
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "+", "-", "10"]), arr(vec![]));
    // IDLE keeps entries idle at least that long: none here, every one with a negative bound.
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "IDLE", "3600000", "-", "+", "10"]),
        arr(vec![])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "idle", "-5", "-", "+", "10", "b"])),
        all[..2]
    );
    // An entry claimed with a delivery time long past is idle for ages.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "a", "0", "2-1", "TIME", "1", "JUSTID"]),
        bulks(&["2-1"])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "IDLE", "3600000", "-", "+", "10"])),
        rows(&[("2-1", "a", 1)])
    );
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-", "+"]), syntax_err());
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-"]), syntax_err());
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "IDLE", "5", "-", "+"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "IDLE", "5", "-", "+", "10", "a", "x"]),
        syntax_err()
    );
    // Arguments after the consumer are ignored.
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10", "a", "x"])),
        rows(&[
            ("2-1", "a", 1),
            ("3-1", "a", 1),
            ("4-1", "a", 1),
            ("5-1", "a", 1)
        ])
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "IDLE", "x", "-", "+", "10"]),
        not_int_err()
    );
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "-", "+", "x"]), not_int_err());
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "x", "+", "10"]), invalid_id());
    assert_eq!(c.cmd(&["XPENDING", &s, "g", "(-", "+", "10"]), invalid_id());
    assert_eq!(
        c.cmd(&[
            "XPENDING",
            &s,
            "g",
            "(18446744073709551615-18446744073709551615",
            "+",
            "10"
        ]),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "-", "(0-0", "10"]),
        err("ERR invalid end ID for the interval")
    );
    // Argument errors come before the key is looked at.
    assert_eq!(
        c.cmd(&["XPENDING", &str_key, "g", "-", "+", "x"]),
        not_int_err()
    );
    assert_eq!(c.cmd(&["XPENDING", &s]), arity_err("xpending"));
}

#[test]
fn xclaim_options() {
    let mut c = shared().raw();
    let s = k("xclaim", "s");
    let str_key = k("xclaim", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1"]),
        nogroup(&s, "g")
    );
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "x", "1-1"]),
        nogroup(&s, "g")
    );
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(
        c.cmd(&["XCLAIM", &str_key, "g", "c", "0", "1-1"]),
        wrongtype()
    );
    fill(&mut c, &s, 4);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "x", "1-1"]),
        err("ERR Invalid min-idle-time argument for XCLAIM")
    );
    // Nothing pending: nothing claimed, and no consumer created.
    assert_eq!(c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1"]), arr(vec![]));
    assert_eq!(c.cmd(&["XINFO", "CONSUMERS", &s, "g"]), arr(vec![]));
    for (opt, msg) in [
        ("IDLE", "ERR Invalid IDLE option argument for XCLAIM"),
        ("TIME", "ERR Invalid TIME option argument for XCLAIM"),
        (
            "RETRYCOUNT",
            "ERR Invalid RETRYCOUNT option argument for XCLAIM",
        ),
    ] {
        assert_eq!(
            c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1", opt, "x"]),
            err(msg)
        );
    }
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1", "LASTID", "x"]),
        invalid_id()
    );
    for bad in ["abc", "FOO", "IDLE"] {
        assert_eq!(
            c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1", bad]),
            err(&format!("ERR Unrecognized XCLAIM option '{bad}'"))
        );
    }
    // IDs end at the first argument that is not one; the rest must be options.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1", "IDLE", "5", "2-1"]),
        err("ERR Unrecognized XCLAIM option '2-1'")
    );
    // FORCE creates pending entries for IDs that exist in the stream, nothing for the others.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "c", "0", "1-1", "9-9", "FORCE", "JUSTID"]),
        bulks(&["1-1"])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "c", 1)])
    );
    assert_eq!(
        c.cmd(&[
            "XCLAIM",
            &s,
            "g",
            "d",
            "0",
            "1-1",
            "2-1",
            "force",
            "retrycount",
            "7"
        ]),
        arr(vec![e(1), e(2)])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "d", 7), ("2-1", "d", 7)])
    );
    // Without JUSTID a claim counts a delivery; a negative RETRYCOUNT is no RETRYCOUNT.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "d", "0", "1-1"]),
        arr(vec![e(1)])
    );
    assert_eq!(
        c.cmd(&[
            "XCLAIM",
            &s,
            "g",
            "d",
            "0",
            "1-1",
            "RETRYCOUNT",
            "-5",
            "JUSTID"
        ]),
        bulks(&["1-1"])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "d", 8), ("2-1", "d", 7)])
    );
    // A fresh entry is not idle enough for a long min-idle-time.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "e", "3600000", "1-1", "2-1"]),
        arr(vec![])
    );
    // IDLE sets how long ago the delivery was; an idle time in the future means now.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "e", "0", "1-1", "IDLE", "7200000", "JUSTID"]),
        bulks(&["1-1"])
    );
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "e", "3600000", "1-1", "2-1", "JUSTID"]),
        bulks(&["1-1"])
    );
    assert_eq!(
        c.cmd(&[
            "XCLAIM",
            &s,
            "g",
            "e",
            "0",
            "2-1",
            "TIME",
            "99999999999999999",
            "JUSTID"
        ]),
        bulks(&["2-1"])
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g", "IDLE", "3600000", "-", "+", "10"]),
        arr(vec![])
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [
            ("c".to_string(), 0),
            ("d".to_string(), 0),
            ("e".to_string(), 2)
        ]
    );
    // LASTID moves the group's last-delivered ID forward, never back.
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "e", "0", "9-9", "LASTID", "3-1"]),
        arr(vec![])
    );
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "e", "0", "9-9", "LASTID", "2-1"]),
        arr(vec![])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info("g", 3, 2, "3-1", nil(), nil())])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        read1(&s, vec![e(4)])
    );
    assert_eq!(c.cmd(&["XCLAIM", &s, "g", "c", "0"]), arity_err("xclaim"));
}

#[test]
fn xclaim_drops_deleted_entries() {
    let mut c = shared().raw();
    let s = k("xclaimdel", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 3);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, ">"]),
        read1(&s, vec![e(1), e(2), e(3)])
    );
    assert_eq!(c.cmd(&["XDEL", &s, "2-1"]), int(1));
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "b", "0", "1-1", "2-1", "3-1"]),
        arr(vec![e(1), e(3)])
    );
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "b", 2), ("3-1", "b", 2)])
    );
    // Even an unsatisfied min-idle-time drops the deleted entry.
    assert_eq!(c.cmd(&["XDEL", &s, "3-1"]), int(1));
    assert_eq!(
        c.cmd(&["XCLAIM", &s, "g", "a", "3600000", "3-1"]),
        arr(vec![])
    );
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g"]),
        arr(vec![
            int(1),
            bulk("1-1"),
            bulk("1-1"),
            arr(vec![arr(vec![bulk("b"), bulk("1")])])
        ])
    );
    // The consumer that lost its entries stays.
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [("a".to_string(), 0), ("b".to_string(), 1)]
    );
}

#[test]
fn xautoclaim_cursor_and_deleted_ids() {
    let mut c = shared().raw();
    let s = k("xautoclaim", "s");
    let str_key = k("xautoclaim", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0"]),
        nogroup(&s, "g")
    );
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "c", "x", "0"]),
        err("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    );
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &str_key, "g", "c", "0", "0"]),
        wrongtype()
    );
    fill(&mut c, &s, 5);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    let empty = arr(vec![bulk("0-0"), arr(vec![]), arr(vec![])]);
    assert_eq!(c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0"]), empty);
    assert_eq!(c.cmd(&["XINFO", "CONSUMERS", &s, "g"]), arr(vec![]));
    let count_err = err("ERR COUNT must be > 0");
    for n in ["0", "-1", "x", "9223372036854775807"] {
        assert_eq!(
            c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0", "COUNT", n]),
            count_err,
            "{n}"
        );
    }
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0", "COUNT", "1000"]),
        empty
    );
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0", "FOO"]),
        syntax_err()
    );
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "0", "COUNT"]),
        syntax_err()
    );
    assert_eq!(c.cmd(&["XAUTOCLAIM", &s, "g", "c", "0", "x"]), invalid_id());
    assert_eq!(
        c.cmd(&[
            "XAUTOCLAIM",
            &s,
            "g",
            "c",
            "0",
            "(18446744073709551615-18446744073709551615"
        ]),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "a", "STREAMS", &s, ">"]),
        read1(&s, vec![e(1), e(2), e(3), e(4), e(5)])
    );
    assert_eq!(c.cmd(&["XAUTOCLAIM", &s, "g", "b", "3600000", "0"]), empty);
    assert_eq!(c.cmd(&["XDEL", &s, "2-1", "4-1"]), int(2));
    // The cursor is the next pending ID after the last one looked at.
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "b", "0", "0", "COUNT", "1"]),
        arr(vec![bulk("2-1"), arr(vec![e(1)]), arr(vec![])])
    );
    // Deleted entries leave the PEL and are listed; they count against COUNT.
    assert_eq!(
        c.cmd(&[
            "XAUTOCLAIM",
            &s,
            "g",
            "b",
            "0",
            "(1-1",
            "COUNT",
            "2",
            "JUSTID"
        ]),
        arr(vec![bulk("4-1"), bulks(&["3-1"]), bulks(&["2-1"])])
    );
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "b", "0", "-", "COUNT", "10"]),
        arr(vec![
            bulk("0-0"),
            arr(vec![e(1), e(3), e(5)]),
            bulks(&["4-1"])
        ])
    );
    // JUSTID does not count a delivery.
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", &s, "g", "-", "+", "10"])),
        rows(&[("1-1", "b", 3), ("3-1", "b", 2), ("5-1", "b", 2)])
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [("a".to_string(), 0), ("b".to_string(), 3)]
    );
    assert_eq!(
        c.cmd(&["XAUTOCLAIM", &s, "g", "b", "0"]),
        arity_err("xautoclaim")
    );
}

#[test]
fn xinfo_stream_groups_and_consumers() {
    let mut c = shared().raw();
    let s = k("xinfo", "s");
    let str_key = k("xinfo", "str");
    c.del(&[&s, &str_key]);
    assert_eq!(c.cmd(&["XINFO", "STREAM", &s]), err("ERR no such key"));
    assert_eq!(c.cmd(&["XINFO", "GROUPS", &s]), err("ERR no such key"));
    assert_eq!(
        c.cmd(&["XINFO", "CONSUMERS", &s, "g"]),
        err("ERR no such key")
    );
    assert_eq!(c.cmd(&["SET", &str_key, "x"]), ok());
    assert_eq!(c.cmd(&["XINFO", "STREAM", &str_key]), wrongtype());
    assert_eq!(c.cmd(&["XINFO", "GROUPS", &str_key]), wrongtype());
    assert_eq!(c.cmd(&["XINFO", "CONSUMERS", &str_key, "g"]), wrongtype());
    assert_eq!(c.cmd(&["XADD", &s, "1-1", "a", "1", "b", "2"]), bulk("1-1"));
    assert_eq!(c.cmd(&["XADD", &s, "2-1", "a", "3", "b", "4"]), bulk("2-1"));
    let head = |groups: i64| {
        vec![
            bulk("length"),
            int(2),
            bulk("radix-tree-keys"),
            int(1),
            bulk("radix-tree-nodes"),
            int(2),
            bulk("last-generated-id"),
            bulk("2-1"),
            bulk("max-deleted-entry-id"),
            bulk("0-0"),
            bulk("entries-added"),
            int(2),
            bulk("recorded-first-entry-id"),
            bulk("1-1"),
            bulk("groups"),
            int(groups),
        ]
    };
    let mut info = head(0);
    info.extend([
        bulk("first-entry"),
        entry("1-1", &["a", "1", "b", "2"]),
        bulk("last-entry"),
        entry("2-1", &["a", "3", "b", "4"]),
    ]);
    assert_eq!(c.cmd(&["XINFO", "STREAM", &s]), arr(info.clone()));
    assert_eq!(
        c.cmd(&["XINFO", "CONSUMERS", &s, "g"]),
        no_such_group(&s, "g")
    );
    assert_eq!(c.cmd(&["XINFO", "GROUPS", &s]), arr(vec![]));
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![entry("1-1", &["a", "1", "b", "2"])])
    );
    info[15] = int(1);
    assert_eq!(c.cmd(&["XINFO", "STREAM", &s]), arr(info));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![group_info("g", 1, 1, "1-1", int(1), int(1))])
    );
    assert_eq!(
        consumers(&c.cmd(&["XINFO", "CONSUMERS", &s, "g"])),
        [("c".to_string(), 1)]
    );
    // An emptied stream keeps its IDs and groups.
    assert_eq!(c.cmd(&["XDEL", &s, "1-1", "2-1"]), int(2));
    assert_eq!(
        c.cmd(&["XINFO", "STREAM", &s]),
        arr(vec![
            bulk("length"),
            int(0),
            bulk("radix-tree-keys"),
            int(0),
            bulk("radix-tree-nodes"),
            int(1),
            bulk("last-generated-id"),
            bulk("2-1"),
            bulk("max-deleted-entry-id"),
            bulk("2-1"),
            bulk("entries-added"),
            int(2),
            bulk("recorded-first-entry-id"),
            bulk("0-0"),
            bulk("groups"),
            int(1),
            bulk("first-entry"),
            nil(),
            bulk("last-entry"),
            nil(),
        ])
    );
    let subsyntax = sub_syntax("XINFO", "STREAM");
    for opts in [
        &["FOO"][..],
        &["FULL", "COUNT"],
        &["FULL", "FOO", "1"],
        &["FULL", "COUNT", "1", "x"],
    ] {
        let mut args = vec!["XINFO", "STREAM", &s];
        args.extend(opts);
        assert_eq!(c.cmd(&args), subsyntax, "{opts:?}");
    }
    assert_eq!(
        c.cmd(&["XINFO", "STREAM", &s, "FULL", "COUNT", "x"]),
        not_int_err()
    );
    assert_eq!(
        c.cmd(&["XINFO", "FOO", &s]),
        err("ERR unknown subcommand 'FOO'. Try XINFO HELP.")
    );
    assert_eq!(c.cmd(&["XINFO", "STREAM"]), arity_err("xinfo|stream"));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s, "x"]),
        arity_err("xinfo|groups")
    );
    assert_eq!(
        c.cmd(&["XINFO", "CONSUMERS", &s]),
        arity_err("xinfo|consumers")
    );
    assert_eq!(c.cmd(&["XINFO", "HELP", "x"]), arity_err("xinfo|help"));
    assert_eq!(c.cmd(&["XINFO"]), arity_err("xinfo"));
    let help = c.cmd(&["XINFO", "help"]);
    let lines: Vec<String> = help.as_array().iter().map(Resp::as_str).collect();
    assert_eq!(
        lines,
        [
            "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
            "HELP",
            "    Prints this help.",
        ]
    );
}

/// XINFO STREAM FULL with the delivery and seen times checked for type and replaced by 0.
fn full_without_times(r: &Resp) -> Resp {
    fn zero_times(row: &Resp, at: usize) -> Resp {
        let mut v = row.as_array().to_vec();
        assert!(matches!(v[at], Resp::Int(t) if t > 0), "time {row:?}");
        v[at] = int(0);
        arr(v)
    }
    let mut top = r.as_array().to_vec();
    let groups = top.last().expect("groups").as_array().to_vec();
    let groups = groups
        .iter()
        .map(|g| {
            let mut g = g.as_array().to_vec();
            let pending = g[11].as_array().iter().map(|p| zero_times(p, 2)).collect();
            g[11] = arr(pending);
            let cons = g[13]
                .as_array()
                .iter()
                .map(|cons| {
                    let mut cons = zero_times(cons, 3).as_array().to_vec();
                    let pel = cons[7]
                        .as_array()
                        .iter()
                        .map(|p| zero_times(p, 1))
                        .collect();
                    cons[7] = arr(pel);
                    arr(cons)
                })
                .collect();
            g[13] = arr(cons);
            arr(g)
        })
        .collect();
    *top.last_mut().expect("groups") = arr(groups);
    arr(top)
}

#[test]
fn xinfo_stream_full() {
    let mut c = shared().raw();
    let s = k("xinfofull", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 12);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g1", "0"]), ok());
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g0", "$"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g1",
            "x",
            "COUNT",
            "11",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, (1..=11).map(e).collect())
    );
    assert_eq!(
        c.cmd(&["XGROUP", "CREATECONSUMER", &s, "g1", "idle"]),
        int(1)
    );
    let header = |len: i64| {
        vec![
            bulk("length"),
            int(len),
            bulk("radix-tree-keys"),
            int(1),
            bulk("radix-tree-nodes"),
            int(2),
            bulk("last-generated-id"),
            bulk("12-1"),
            bulk("max-deleted-entry-id"),
            bulk("0-0"),
            bulk("entries-added"),
            int(12),
            bulk("recorded-first-entry-id"),
            bulk("1-1"),
        ]
    };
    let full = |count: usize| {
        let mut v = header(12);
        let n = if count == 0 { 12 } else { count };
        let pel = if count == 0 { 11 } else { count.min(11) };
        v.extend([
            bulk("entries"),
            arr((1..=n).map(e).collect()),
            bulk("groups"),
        ]);
        let g0 = arr(vec![
            bulk("name"),
            bulk("g0"),
            bulk("last-delivered-id"),
            bulk("12-1"),
            bulk("entries-read"),
            nil(),
            bulk("lag"),
            int(0),
            bulk("pel-count"),
            int(0),
            bulk("pending"),
            arr(vec![]),
            bulk("consumers"),
            arr(vec![]),
        ]);
        let g1 = arr(vec![
            bulk("name"),
            bulk("g1"),
            bulk("last-delivered-id"),
            bulk("11-1"),
            bulk("entries-read"),
            int(11),
            bulk("lag"),
            int(1),
            bulk("pel-count"),
            int(11),
            bulk("pending"),
            arr((1..=pel)
                .map(|i| arr(vec![bulk(format!("{i}-1")), bulk("x"), int(0), int(1)]))
                .collect()),
            bulk("consumers"),
            arr(vec![
                arr(vec![
                    bulk("name"),
                    bulk("idle"),
                    bulk("seen-time"),
                    int(0),
                    bulk("pel-count"),
                    int(0),
                    bulk("pending"),
                    arr(vec![]),
                ]),
                arr(vec![
                    bulk("name"),
                    bulk("x"),
                    bulk("seen-time"),
                    int(0),
                    bulk("pel-count"),
                    int(11),
                    bulk("pending"),
                    arr((1..=pel)
                        .map(|i| arr(vec![bulk(format!("{i}-1")), int(0), int(1)]))
                        .collect()),
                ]),
            ]),
        ]);
        v.push(arr(vec![g0, g1]));
        arr(v)
    };
    // The default COUNT is 10; 0 means everything; a negative one means the default.
    assert_eq!(
        full_without_times(&c.cmd(&["XINFO", "STREAM", &s, "FULL"])),
        full(10)
    );
    assert_eq!(
        full_without_times(&c.cmd(&["XINFO", "STREAM", &s, "full", "count", "3"])),
        full(3)
    );
    assert_eq!(
        full_without_times(&c.cmd(&["XINFO", "STREAM", &s, "FULL", "COUNT", "0"])),
        full(0)
    );
    assert_eq!(
        full_without_times(&c.cmd(&["XINFO", "STREAM", &s, "FULL", "COUNT", "-4"])),
        full(10)
    );
}

#[test]
fn lag_and_entries_read() {
    let mut c = shared().raw();
    let s = k("lag", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 5);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&["XGROUP", "CREATE", &s, "h", "0", "ENTRIESREAD", "2"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 0, 0, "0-0", nil(), int(5)),
            group_info("h", 0, 0, "0-0", int(2), int(3)),
        ])
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "2",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(1), e(2)])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 2, "2-1", int(2), int(3)),
            group_info("h", 0, 0, "0-0", int(2), int(3)),
        ])
    );
    // A deletion after the group's position makes the lag unknown until it is passed.
    assert_eq!(c.cmd(&["XDEL", &s, "4-1"]), int(1));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 2, "2-1", int(2), nil()),
            group_info("h", 0, 0, "0-0", int(2), nil()),
        ])
    );
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            &s,
            ">"
        ]),
        read1(&s, vec![e(3)])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 3, "3-1", nil(), nil()),
            group_info("h", 0, 0, "0-0", int(2), nil()),
        ])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        read1(&s, vec![e(5)])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 4, "5-1", int(5), int(0)),
            group_info("h", 0, 0, "0-0", int(2), nil()),
        ])
    );
    assert_eq!(c.cmd(&["XADD", &s, "6-1", "f", "v6"]), bulk("6-1"));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 4, "5-1", int(5), int(1)),
            group_info("h", 0, 0, "0-0", int(2), nil()),
        ])
    );
    // SETID forgets the read counter unless given one.
    assert_eq!(c.cmd(&["XGROUP", "SETID", &s, "g", "$"]), ok());
    assert_eq!(
        c.cmd(&["XGROUP", "SETID", &s, "h", "0", "ENTRIESREAD", "0"]),
        ok()
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 4, "6-1", nil(), int(0)),
            group_info("h", 0, 0, "0-0", int(0), nil()),
        ])
    );
    // Trimmed away, the deletion no longer stands between a group and the entries.
    assert_eq!(c.cmd(&["XTRIM", &s, "MAXLEN", "2"]), int(3));
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![
            group_info("g", 1, 4, "6-1", nil(), int(0)),
            group_info("h", 0, 0, "0-0", int(0), int(6)),
        ])
    );
}

#[test]
fn groups_live_and_die_with_their_key() {
    let mut c = shared().raw();
    let keys = spread_keys("xg:keylife:", 3, DEFAULT_SHARDS);
    let (s, copy, renamed) = (&keys[0], &keys[1], &keys[2]);
    c.del(&keys);
    fill(&mut c, s, 2);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "COUNT",
            "1",
            "STREAMS",
            s,
            ">"
        ]),
        read1(s, vec![e(1)])
    );
    // COPY and RENAME take the groups along, across shards.
    assert_eq!(c.cmd(&["COPY", s, copy]), int(1));
    assert_eq!(c.cmd(&["XACK", s, "g", "1-1"]), int(1));
    assert_eq!(
        pending_rows(&c.cmd(&["XPENDING", copy, "g", "-", "+", "10"])),
        rows(&[("1-1", "c", 1)])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "d", "STREAMS", copy, ">"]),
        read1(copy, vec![e(2)])
    );
    assert_eq!(c.cmd(&["RENAME", copy, renamed]), ok());
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", renamed]),
        arr(vec![group_info("g", 2, 2, "2-1", int(2), int(0))])
    );
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", s]),
        arr(vec![group_info("g", 1, 0, "1-1", int(1), int(1))])
    );
    // A stream deleted and made again has no groups.
    assert_eq!(c.cmd(&["DEL", s]), int(1));
    fill(&mut c, s, 1);
    assert_eq!(c.cmd(&["XINFO", "GROUPS", s]), arr(vec![]));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", s, ">"]),
        nogroup_read(s, "g")
    );
}

#[test]
fn resp3_replies() {
    let mut c = resp3();
    let s = k("resp3", "s");
    c.del(&[&s]);
    fill(&mut c, &s, 2);
    assert_eq!(c.cmd(&["XGROUP", "CREATE", &s, "g", "0"]), ok());
    assert_eq!(
        c.cmd(&["XPENDING", &s, "g"]),
        arr(vec![int(0), Resp::Null, Resp::Null, Resp::Null])
    );
    // XREADGROUP answers a map of stream to entries.
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        Resp::Map(vec![(bulk(&s), arr(vec![e(1), e(2)]))])
    );
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, ">"]),
        Resp::Null
    );
    assert_eq!(c.cmd(&["XDEL", &s, "1-1"]), int(1));
    assert_eq!(
        c.cmd(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", &s, "0"]),
        Resp::Map(vec![(
            bulk(&s),
            arr(vec![arr(vec![bulk("1-1"), Resp::Null]), e(2)])
        )])
    );
    let pair = |k: &str, v: Resp| (bulk(k), v);
    assert_eq!(
        c.cmd(&["XINFO", "GROUPS", &s]),
        arr(vec![Resp::Map(vec![
            pair("name", bulk("g")),
            pair("consumers", int(1)),
            pair("pending", int(2)),
            pair("last-delivered-id", bulk("2-1")),
            pair("entries-read", int(2)),
            pair("lag", int(0)),
        ])])
    );
    let info = c.cmd(&["XINFO", "STREAM", &s]);
    assert_eq!(info.field("length"), Some(int(1)));
    assert_eq!(info.field("first-entry"), Some(e(2)));
    assert!(matches!(info, Resp::Map(_)));
    let cons = c.cmd(&["XINFO", "CONSUMERS", &s, "g"]);
    assert!(matches!(&cons.as_array()[0], Resp::Map(_)));
    assert_eq!(consumers(&cons), [("c".to_string(), 2)]);
}

#[test]
fn command_info_and_keys() {
    let mut c = shared().raw();
    let getkeys = |c: &mut RawConn, args: &[&str]| {
        let mut a = vec!["COMMAND", "GETKEYS"];
        a.extend(args);
        c.cmd(&a)
    };
    assert_eq!(
        getkeys(
            &mut c,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                "a",
                "b",
                ">",
                ">"
            ]
        ),
        bulks(&["a", "b"])
    );
    assert_eq!(
        getkeys(&mut c, &["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]),
        bulks(&["s"])
    );
    assert_eq!(
        getkeys(&mut c, &["XINFO", "STREAM", "s", "FULL"]),
        bulks(&["s"])
    );
    assert_eq!(getkeys(&mut c, &["XACK", "s", "g", "1-1"]), bulks(&["s"]));
    assert_eq!(
        getkeys(&mut c, &["XAUTOCLAIM", "s", "g", "c", "0", "0"]),
        bulks(&["s"])
    );
    let info = c.cmd(&[
        "COMMAND",
        "INFO",
        "xreadgroup",
        "xack",
        "xclaim",
        "xpending",
        "xinfo",
    ]);
    let summary: Vec<(String, i64, Vec<String>, i64, i64, i64)> = info
        .as_array()
        .iter()
        .map(|cmd| {
            let v = cmd.as_array();
            (
                v[0].as_str(),
                v[1].as_int(),
                v[2].as_array().iter().map(Resp::as_str).collect(),
                v[3].as_int(),
                v[4].as_int(),
                v[5].as_int(),
            )
        })
        .collect();
    let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        summary,
        [
            (
                "xreadgroup".to_string(),
                -7,
                flags(&["write", "blocking", "movablekeys"]),
                0,
                0,
                0
            ),
            ("xack".to_string(), -4, flags(&["write", "fast"]), 1, 1, 1),
            ("xclaim".to_string(), -6, flags(&["write", "fast"]), 1, 1, 1),
            ("xpending".to_string(), -3, flags(&["readonly"]), 1, 1, 1),
            ("xinfo".to_string(), -2, flags(&[]), 0, 0, 0),
        ]
    );
}

/// The seeds' stream consumer (streams.py), with the redis crate: producers add with
/// `MAXLEN ~`, the group is created once (BUSYGROUP the second time), a consumer reads batches
/// of 10 with BLOCK and acknowledges what it handled; what a failed handler left pending is
/// retried from the consumer's history or claimed by another consumer with XAUTOCLAIM.
#[test]
fn seed_stream_consumer() {
    let mut con = shared().conn();
    let stream = k("seed", "events:orders");
    let _: () = con.del(&stream).expect("del");
    let create = |con: &mut redis::Connection| -> redis::RedisResult<()> {
        con.xgroup_create_mkstream(&stream, "workers", "$")
    };
    create(&mut con).expect("first create");
    let busy = create(&mut con).expect_err("second create");
    assert!(busy.to_string().contains("BUSYGROUP"), "{busy}");
    let mut ids = Vec::new();
    for i in 0..25 {
        let id: String = con
            .xadd_maxlen(
                &stream,
                StreamMaxlen::Approx(10000),
                "*",
                &[("order", i.to_string()), ("amount", (i * 10).to_string())],
            )
            .expect("xadd");
        ids.push(id);
    }
    let opts = StreamReadOptions::default()
        .group("workers", "worker-1")
        .count(10)
        .block(5000);
    let mut handled = Vec::new();
    let mut failed = Vec::new();
    for _ in 0..3 {
        let reply: StreamReadReply = con
            .xread_options(&[&stream], &[">"], &opts)
            .expect("xreadgroup");
        for key in reply.keys {
            assert_eq!(key.key, stream);
            for msg in key.ids {
                let order: String = msg.get("order").expect("order field");
                // Every seventh order fails and stays pending.
                if order.parse::<i32>().expect("number") % 7 == 3 {
                    failed.push(msg.id);
                    continue;
                }
                let n: i32 = con.xack(&stream, "workers", &[&msg.id]).expect("xack");
                assert_eq!(n, 1);
                handled.push(msg.id);
            }
        }
    }
    assert_eq!(handled.len() + failed.len(), 25);
    assert_eq!(failed.len(), 4);
    // The failed ones are worker-1's history.
    let history = StreamReadOptions::default().group("workers", "worker-1");
    let reply: StreamReadReply = con
        .xread_options(&[&stream], &["0"], &history)
        .expect("history");
    let pending: Vec<String> = reply.keys[0].ids.iter().map(|m| m.id.clone()).collect();
    assert_eq!(pending, failed);
    // Retry the first one; another worker claims the rest.
    let n: i32 = con.xack(&stream, "workers", &[&failed[0]]).expect("xack");
    assert_eq!(n, 1);
    let claimed: StreamAutoClaimReply = con
        .xautoclaim_options(
            &stream,
            "workers",
            "worker-2",
            0,
            "0-0",
            StreamAutoClaimOptions::default().count(10),
        )
        .expect("xautoclaim");
    let claimed_ids: Vec<String> = claimed.claimed.iter().map(|m| m.id.clone()).collect();
    assert_eq!(claimed_ids, failed[1..]);
    let n: i32 = con
        .xack(&stream, "workers", &claimed_ids)
        .expect("xack claimed");
    assert_eq!(n, 3);
    let summary: redis::streams::StreamPendingReply =
        con.xpending(&stream, "workers").expect("xpending");
    assert_eq!(summary.count(), 0);
    let len: usize = con.xlen(&stream).expect("xlen");
    assert_eq!(len, 25);
}

/// XREADGROUP BLOCK: what wakes a blocked reader and what it gets.
#[test]
fn blocked_reader_is_served_by_an_addition_only() {
    let keys = spread_keys("xg:block:", 2, DEFAULT_SHARDS);
    let mut p = shared().raw();
    p.del(&keys);
    for key in &keys {
        fill(&mut p, key, 2);
        assert_eq!(p.cmd(&["XGROUP", "CREATE", key, "g", "$"]), ok());
    }
    let mut b = BlockingClient::shared();
    let mut args = vec![
        "XREADGROUP",
        "GROUP",
        "g",
        "alice",
        "COUNT",
        "10",
        "BLOCK",
        "0",
    ];
    args.extend(["STREAMS", &keys[0], &keys[1], ">", ">"]);
    b.block(&args);
    // Writes that add no entry leave it waiting (it would otherwise have answered the
    // first of them, and not what comes below).
    assert_eq!(
        p.cmd(&["XGROUP", "CREATECONSUMER", &keys[1], "g", "zed"]),
        int(1)
    );
    assert_eq!(p.cmd(&["XGROUP", "SETID", &keys[1], "g", "1-1"]), ok());
    assert_eq!(p.cmd(&["XDEL", &keys[1], "1-1"]), int(1));
    // The addition serves its stream alone, from the group's position: after SETID, the
    // entries it moved back over too.
    assert_eq!(p.cmd(&["XADD", &keys[1], "3-1", "f", "v3"]), bulk("3-1"));
    assert_eq!(b.read(), read1(&keys[1], vec![e(2), e(3)]));
    assert_eq!(
        consumers(&p.cmd(&["XINFO", "CONSUMERS", &keys[1], "g"])),
        [("alice".to_string(), 2), ("zed".to_string(), 0)]
    );
    assert_eq!(p.cmd(&["XINFO", "CONSUMERS", &keys[0], "g"]), arr(vec![]));
    // An addition deleted before the reader is served still wakes it, with nothing.
    b.block(&args);
    assert_eq!(p.cmd(&["MULTI"]), ok());
    assert_eq!(
        p.cmd(&["XADD", &keys[0], "4-1", "f", "v4"]),
        simple("QUEUED")
    );
    assert_eq!(p.cmd(&["XDEL", &keys[0], "4-1"]), simple("QUEUED"));
    assert_eq!(p.cmd(&["EXEC"]), arr(vec![bulk("4-1"), int(1)]));
    assert_eq!(b.read(), read1(&keys[0], vec![]));
    // NOACK: served, nothing pending.
    let mut noack = vec!["XREADGROUP", "GROUP", "g", "bob", "NOACK", "BLOCK", "0"];
    noack.extend(["STREAMS", &keys[0], ">"]);
    b.block(&noack);
    assert_eq!(p.cmd(&["XADD", &keys[0], "5-1", "f", "v5"]), bulk("5-1"));
    assert_eq!(b.read(), read1(&keys[0], vec![e(5)]));
    assert_eq!(
        consumers(&p.cmd(&["XINFO", "CONSUMERS", &keys[0], "g"])),
        [("alice".to_string(), 0), ("bob".to_string(), 0)]
    );
    // A timeout answers nil.
    b.c.send_cmd(&[
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "BLOCK",
        "10",
        "STREAMS",
        &keys[0],
        ">",
    ]);
    assert_eq!(b.read(), Resp::NilArray);
    p.del(&keys);
}

#[test]
fn blocked_reader_learns_its_group_or_stream_is_gone() {
    let keys = spread_keys("xg:blockgone:", 3, DEFAULT_SHARDS);
    let mut p = shared().raw();
    p.del(&keys);
    for key in &keys {
        assert_eq!(
            p.cmd(&["XGROUP", "CREATE", key, "g", "$", "MKSTREAM"]),
            ok()
        );
    }
    let mut b = BlockingClient::shared();
    let read = |key: &str| -> Vec<String> {
        [
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            key,
            ">",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let block = |b: &mut BlockingClient, key: &str| {
        let args = read(key);
        b.block(&args.iter().map(String::as_str).collect::<Vec<_>>());
    };
    block(&mut b, &keys[0]);
    assert_eq!(p.cmd(&["XGROUP", "DESTROY", &keys[0], "g"]), int(1));
    assert_eq!(
        b.read(),
        err("NOGROUP the consumer group this client was blocked on no longer exists")
    );
    block(&mut b, &keys[1]);
    assert_eq!(p.cmd(&["DEL", &keys[1]]), int(1));
    assert_eq!(b.read(), err("UNBLOCKED the stream key no longer exists"));
    block(&mut b, &keys[2]);
    assert_eq!(p.cmd(&["SET", &keys[2], "x"]), ok());
    assert_eq!(b.read(), err("UNBLOCKED the stream key no longer exists"));
    p.del(&keys);
}
