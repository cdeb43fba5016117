//! The stream commands against one shard; expected replies are redis-server 7.0.15's.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use super::id::INVALID_ID;
use super::Stream;
use crate::blocking::{BlockOn, TimeoutReply};
use crate::string::test_support::*;
use crate::value::Kind;

/// `[id, [field, value, ...]]`.
fn entry(id: &str, fv: &[&str]) -> Reply {
    Reply::Array(vec![bulk(id), bulks(fv)])
}

fn entries(list: &[(&str, &[&str])]) -> Reply {
    Reply::Array(list.iter().map(|(id, fv)| entry(id, fv)).collect())
}

fn check(t: &mut TestShard, cases: &[(&str, Reply)]) {
    for (line, want) in cases {
        assert_eq!(&t.run(&line.split(' ').collect::<Vec<_>>()), want, "{line}");
    }
}

fn fill(t: &mut TestShard, key: &str, n: u64) {
    for i in 1..=n {
        assert_eq!(
            t.run(&["xadd", key, &format!("{i}-0"), "f", "v"]),
            bulk(&format!("{i}-0"))
        );
    }
}

const NOT_GREATER: &str =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";

#[test]
fn xadd_ids_and_ordering_errors() {
    let mut t = TestShard::new();
    check(
        &mut t,
        &[
            (
                "xadd s 0-0 f v",
                err("ERR The ID specified in XADD must be greater than 0-0"),
            ),
            ("exists s", int(0)),
            ("xadd s 0-* f v", bulk("0-1")),
            ("xadd s 0-* f v", bulk("0-2")),
            ("xadd s 5 f v", bulk("5-0")),
            ("xadd s 5 f v", err(NOT_GREATER)),
            ("xadd s 4-9 f v", err(NOT_GREATER)),
            ("xadd s 5-* f v", bulk("5-1")),
            ("xadd s 3-* f v", err(NOT_GREATER)),
            ("xadd s 7-* f v", bulk("7-0")),
            ("xadd s - f v", err(INVALID_ID)),
            ("xadd s + f v", err(INVALID_ID)),
            ("xadd s 1-2-3 f v", err(INVALID_ID)),
            (
                "xadd s 8 f",
                err("ERR wrong number of arguments for 'xadd' command"),
            ),
            (
                "xadd s 8 f v g",
                err("ERR wrong number of arguments for 'xadd' command"),
            ),
            (
                "xadd s 8-18446744073709551615 f v",
                bulk("8-18446744073709551615"),
            ),
            (
                "xadd s 8-* f v",
                err("ERR Elements are too large to be stored"),
            ),
            (
                "xadd s 18446744073709551615-18446744073709551615 f v",
                bulk("18446744073709551615-18446744073709551615"),
            ),
            (
                "xadd s * f v",
                err("ERR The stream has exhausted the last possible ID, unable to add more items"),
            ),
            (
                "xadd s 18446744073709551615-* f v",
                err("ERR The stream has exhausted the last possible ID, unable to add more items"),
            ),
            ("xlen s", int(7)),
        ],
    );
}

#[test]
fn xadd_auto_ids_follow_the_clock_and_never_go_back() {
    let mut t = TestShard::new();
    let now = t.now;
    assert_eq!(
        t.run(&["xadd", "s", "*", "f", "v"]),
        bulk(&format!("{now}-0"))
    );
    assert_eq!(
        t.run(&["xadd", "s", "*", "f", "v"]),
        bulk(&format!("{now}-1"))
    );
    let ahead = format!("{}-5", now + 10);
    assert_eq!(t.run(&["xadd", "s", &ahead, "f", "v"]), bulk(&ahead));
    assert_eq!(
        t.run(&["xadd", "s", "*", "f", "v"]),
        bulk(&format!("{}-6", now + 10))
    );
    t.now += 11;
    assert_eq!(
        t.run(&["xadd", "s", "*", "f", "v"]),
        bulk(&format!("{}-0", now + 11))
    );
}

#[test]
fn xadd_options() {
    let mut t = TestShard::new();
    check(
        &mut t,
        &[
            ("xadd s nomkstream 1 f v", Reply::Null),
            ("exists s", int(0)),
            ("xadd s limit 0 1 f v", err("ERR syntax error, LIMIT cannot be used without the special ~ option")),
            ("xadd s limit 5 1 f v", err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")),
            ("xadd s maxlen 5 limit 3 1 f v", err("ERR syntax error, LIMIT cannot be used without the special ~ option")),
            ("xadd s maxlen -1 1 f v", err("ERR The MAXLEN argument must be >= 0.")),
            ("xadd s maxlen x 1 f v", err("ERR value is not an integer or out of range")),
            ("xadd s limit -1 1 f v", err("ERR The LIMIT argument must be >= 0.")),
            ("xadd s minid 5 maxlen 4 1 f v", err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")),
            ("xadd s minid + 1 f v", err(INVALID_ID)),
            ("xadd s maxlen 1 f v", err(INVALID_ID)),
            ("xadd s nomkstream", err("ERR wrong number of arguments for 'xadd' command")),
            ("xadd s maxlen ~ 5 limit 3 1-1 f v", bulk("1-1")),
            ("xadd s MAXLEN = 1 2 g w", bulk("2-0")),
            ("xrange s - +", entries(&[("2-0", &["g", "w"])])),
            ("xadd s nomkstream maxlen 0 3 g w", bulk("3-0")),
            ("xlen s", int(0)),
            ("exists s", int(1)),
            ("xadd t minid = 5 4 f v", bulk("4-0")),
            ("xadd t minid 5 5 f v", bulk("5-0")),
            ("xrange t - +", entries(&[("5-0", &["f", "v"])])),
        ],
    );
}

#[test]
fn ranges_exclusive_bounds_and_counts() {
    let mut t = TestShard::new();
    check(
        &mut t,
        &[
            ("xadd s 0-1 a 1", bulk("0-1")),
            ("xadd s 0-2 b 2 c 3", bulk("0-2")),
            ("xadd s 1-0 a 4", bulk("1-0")),
            (
                "xrange s - +",
                entries(&[
                    ("0-1", &["a", "1"]),
                    ("0-2", &["b", "2", "c", "3"]),
                    ("1-0", &["a", "4"]),
                ]),
            ),
            (
                "xrange s (0-1 +",
                entries(&[("0-2", &["b", "2", "c", "3"]), ("1-0", &["a", "4"])]),
            ),
            ("xrange s - (0-2", entries(&[("0-1", &["a", "1"])])),
            (
                "xrange s 0 0",
                entries(&[("0-1", &["a", "1"]), ("0-2", &["b", "2", "c", "3"])]),
            ),
            (
                "xrange s (0 +",
                entries(&[
                    ("0-1", &["a", "1"]),
                    ("0-2", &["b", "2", "c", "3"]),
                    ("1-0", &["a", "4"]),
                ]),
            ),
            (
                "xrange s (0-18446744073709551615 +",
                entries(&[("1-0", &["a", "4"])]),
            ),
            ("xrevrange s + - count 1", entries(&[("1-0", &["a", "4"])])),
            (
                "xrevrange s (1-0 - COUNT 5",
                entries(&[("0-2", &["b", "2", "c", "3"]), ("0-1", &["a", "1"])]),
            ),
            ("xrange s + -", Reply::Array(vec![])),
            ("xrange s - + count 0", Reply::NullArray),
            ("xrange s - + count -1", Reply::NullArray),
            ("xrange nokey - + count 0", Reply::Array(vec![])),
            (
                "xrange s - (0-0",
                err("ERR invalid end ID for the interval"),
            ),
            (
                "xrange s (18446744073709551615-18446744073709551615 +",
                err("ERR invalid start ID for the interval"),
            ),
            ("xrange s (- +", err(INVALID_ID)),
            ("xrange s ( +", err(INVALID_ID)),
            ("xrange s - + count", err("ERR syntax error")),
            (
                "xrange s - + count x",
                err("ERR value is not an integer or out of range"),
            ),
            ("xrange s x +", err(INVALID_ID)),
        ],
    );
}

#[test]
fn xdel_leaves_an_empty_stream_that_still_exists() {
    let mut t = TestShard::new();
    fill(&mut t, "s", 3);
    check(
        &mut t,
        &[
            ("xdel nokey bad", int(0)),
            ("xdel s bad", err(INVALID_ID)),
            ("xdel s 1-0 bad", err(INVALID_ID)),
            ("xlen s", int(3)),
            ("xdel s 1-0 1-0 9-9", int(1)),
            ("xdel s 2 3-0", int(2)),
            ("xlen s", int(0)),
            ("exists s", int(1)),
            ("type s", Reply::Simple(Bytes::from_static(b"stream"))),
            ("object encoding s", bulk("stream")),
            ("xrange s - +", Reply::Array(vec![])),
            ("xadd s 3-0 f v", err(NOT_GREATER)),
            ("xadd s 3-* f v", bulk("3-1")),
            ("xrange s - +", entries(&[("3-1", &["f", "v"])])),
        ],
    );
    let s = t.shard.db_mut(0).get(b"s", t.now).map(|e| e.value.clone());
    let s = s.as_ref().and_then(Stream::of).cloned().unwrap_or_default();
    assert_eq!(s.max_deleted_entry_id().to_string(), "3-0");
    assert_eq!(s.first_id().to_string(), "3-1");
    assert_eq!(s.entries_added(), 4);
}

#[test]
fn trims_exact_and_approximate_count_like_redis() {
    let mut t = TestShard::new();
    fill(&mut t, "s", 250);
    check(
        &mut t,
        &[
            // Blocks of 100: `~` removes whole blocks only.
            ("xtrim s maxlen ~ 120", int(100)),
            ("xlen s", int(150)),
            ("xtrim s maxlen ~ 0 limit 99", int(0)),
            ("xtrim s maxlen ~ 0 limit 100", int(100)),
            ("xlen s", int(50)),
            ("xtrim s minid ~ 240", int(0)),
            ("xtrim s minid 240", int(39)),
            ("xrange s - + count 1", entries(&[("240-0", &["f", "v"])])),
            ("xtrim s maxlen = 3", int(8)),
            ("xtrim s maxlen 3", int(0)),
            ("xtrim nokey maxlen 0", int(0)),
            ("xtrim s foo 1", err("ERR syntax error")),
            (
                "xtrim s limit 5",
                err(
                    "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
                ),
            ),
            (
                "xtrim s limit 0 limit 0",
                err("ERR syntax error, XTRIM must be called with a trimming strategy"),
            ),
            ("xtrim s minid ~ 0 limit 10", int(0)),
            ("xtrim s minid -", err(INVALID_ID)),
            ("xtrim s maxlen 0", int(3)),
            ("exists s", int(1)),
        ],
    );
}

#[test]
fn approximate_trims_stop_after_ten_thousand_entries_by_default() {
    let mut t = TestShard::new();
    fill(&mut t, "s", 10_050);
    check(
        &mut t,
        &[
            ("xtrim s maxlen ~ 0", int(10_000)),
            ("xtrim s maxlen ~ 0", int(50)),
            ("xlen s", int(0)),
        ],
    );
}

#[test]
fn xsetid_rules() {
    let mut t = TestShard::new();
    check(
        &mut t,
        &[
            ("xsetid nokey 1-1", err("ERR no such key")),
            ("xadd s 1-1 a 1 b 2", bulk("1-1")),
            ("xadd s 1-2 a 1", bulk("1-2")),
            ("xsetid s 1-1", err("ERR The ID specified in XSETID is smaller than the target stream top item")),
            ("xsetid s 2-2 entriesadded 1", err("ERR The entries_added specified in XSETID is smaller than the target stream length")),
            ("xsetid s 2-2 entriesadded -1", err("ERR entries_added must be positive")),
            ("xsetid s 2-2 maxdeletedid 3-0", err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")),
            ("xsetid s 2-2 foo", err("ERR syntax error")),
            ("xsetid s 2-2 entriesadded", err("ERR syntax error")),
            ("xsetid s -", err(INVALID_ID)),
            ("xsetid s 2-2 maxdeletedid 2-0 entriesadded 5", ok()),
            ("xadd s 2-2 f v", err(NOT_GREATER)),
            ("xadd s 2-* f v", bulk("2-3")),
            // Only the last live entry bounds it: back down to 1-2 once 2-3 is gone.
            ("xdel s 2-3", int(1)),
            ("xsetid s 1-2", ok()),
            ("xadd s 1-3 f v", bulk("1-3")),
            ("xdel s 1-1 1-2 1-3", int(3)),
            ("xsetid s 0-1", ok()),
        ],
    );
    let s = t.shard.db_mut(0).get(b"s", t.now).map(|e| e.value.clone());
    let s = s.as_ref().and_then(Stream::of).cloned().unwrap_or_default();
    assert_eq!(s.entries_added(), 7);
    assert_eq!(s.max_deleted_entry_id().to_string(), "2-3");
    assert_eq!(s.last_id().to_string(), "0-1");
}

#[test]
fn xread_serves_several_streams_and_counts() {
    let mut t = TestShard::new();
    fill(&mut t, "a", 3);
    let read_a = |from: &[(&str, &[&str])]| (bulk("a"), entries(from));
    check(
        &mut t,
        &[
            ("xread streams a b 0 0", Reply::NestedMap(vec![read_a(&[("1-0", &["f", "v"]), ("2-0", &["f", "v"]), ("3-0", &["f", "v"])])])),
            ("xread count 1 streams a 1", Reply::NestedMap(vec![read_a(&[("2-0", &["f", "v"])])])),
            ("xread count -5 streams a 2-0", Reply::NestedMap(vec![read_a(&[("3-0", &["f", "v"])])])),
            ("xread streams a $", Reply::NullArray),
            ("xread streams a 3", Reply::NullArray),
            ("xread block 0 streams a $", Reply::NullArray),
            ("xread streams a", err("ERR wrong number of arguments for 'xread' command")),
            ("xread count 1 streams a b 0", err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")),
            ("xread streams a >", err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")),
            ("xread group g c streams a 0", err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")),
            ("xread noack streams a 0", err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")),
            ("xread block -1 streams a 0", err("ERR timeout is negative")),
            ("xread block 1.5 streams a 0", err("ERR timeout is not an integer or out of range")),
            ("xread count 1 foo", err("ERR syntax error")),
            ("xread foo streams a 0", err("ERR syntax error")),
            ("xread streams a +", err(INVALID_ID)),
        ],
    );
    t.run(&["set", "str", "x"]);
    assert_eq!(
        t.run(&["xread", "streams", "a", "str", "0", "0"]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
}

#[test]
fn xread_block_waits_for_ids_after_the_last_one() {
    let mut t = TestShard::new();
    fill(&mut t, "a", 2);
    let args: Vec<Bytes> = ["xread", "block", "100", "streams", "a", "b", "$", "$"]
        .iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect();
    let spec = crate::families()
        .into_iter()
        .flatten()
        .find(|s| s.name == "xread");
    let Some(spec) = spec else { panic!("no xread") };
    let got = t.shard.execute_may_block(0, spec, 0, &args, t.now);
    let rerun = ["xread", "block", "100", "streams", "a", "b", "2-0", "0-0"]
        .iter()
        .map(|s| Bytes::copy_from_slice(s.as_bytes()))
        .collect();
    assert_eq!(
        got,
        Err(Box::new(BlockOn {
            keys: vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")],
            deadline_ms: Some(t.now + 100),
            args: Some(rerun),
            on_timeout: TimeoutReply::NullArray,
        }))
    );
    // Once an entry is there, the re-run answers.
    t.run(&["xadd", "b", "1-0", "x", "y"]);
    let Err(on) = got else { panic!("answered") };
    let Some(args) = on.args else {
        panic!("no args")
    };
    assert_eq!(
        t.shard.execute_may_block(0, spec, 0, &args, t.now),
        Ok(Reply::NestedMap(vec![(
            bulk("b"),
            entries(&[("1-0", &["x", "y"])])
        )]))
    );
}

#[test]
fn wrong_types() {
    let mut t = TestShard::new();
    t.run(&["set", "str", "x"]);
    let wrong = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    for line in [
        "xadd str 1 f v",
        "xlen str",
        "xrange str - +",
        "xrevrange str + -",
        "xdel str 1",
        "xtrim str maxlen 1",
        "xsetid str 1",
    ] {
        assert_eq!(t.run(&line.split(' ').collect::<Vec<_>>()), wrong, "{line}");
    }
    t.run(&["xadd", "s", "1", "f", "v"]);
    assert_eq!(t.run(&["get", "s"]), wrong);
    assert_eq!(t.run(&["lpush", "s", "x"]), wrong);
}

#[test]
fn ids_below_tombstones_after_xsetid() {
    let mut t = TestShard::new();
    let one = |id: &str| entries(&[(id, &["f", "v"])]);
    check(
        &mut t,
        &[
            ("xadd w 1-0 f v", bulk("1-0")),
            ("xadd w 2-0 f v", bulk("2-0")),
            ("xadd w 3-0 f v", bulk("3-0")),
            ("xdel w 3-0", int(1)),
            // The block's last entry is now a tombstone above the stream's last ID.
            ("xsetid w 2-0", ok()),
            ("xadd w 2-5 f v", bulk("2-5")),
            ("xrange w 2-1 2-9", one("2-5")),
            ("xrevrange w 2-9 2-1", one("2-5")),
            ("xrevrange w + - count 1", one("2-5")),
            ("xdel w 2-5", int(1)),
            // MINID keeps a block whose live entries it all removed when its last is a
            // tombstone at or above the bound; an empty stream's ID may then go below it.
            ("xadd m 5-0 f v", bulk("5-0")),
            ("xadd m 6-0 f v", bulk("6-0")),
            ("xadd m 7-0 f v", bulk("7-0")),
            ("xdel m 7-0", int(1)),
            ("xtrim m minid 7", int(2)),
            ("xlen m", int(0)),
            ("xsetid m 0-1", ok()),
            ("xadd m 0-2 f v", bulk("0-2")),
            ("xrange m - 0-5", one("0-2")),
            ("xrevrange m 0-5 -", one("0-2")),
            ("xrange m 0-2 0-2", one("0-2")),
            (
                "xread streams m 0",
                Reply::NestedMap(vec![(bulk("m"), one("0-2"))]),
            ),
            ("xtrim m maxlen ~ 0", int(1)),
            ("xdel m 0-2", int(0)),
            ("xadd m 0-3 f v", bulk("0-3")),
            ("xrange m - +", one("0-3")),
        ],
    );
}
