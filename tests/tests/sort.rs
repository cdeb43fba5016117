//! SORT and SORT_RO over lists, sets and sorted sets: numeric and ALPHA order, LIMIT, BY and
//! GET patterns (plain keys and hash fields), STORE (also to another shard).
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;

/// Keys of one test, all with the same hash tag so BY/GET patterns stay on one shard.
fn k(test: &str, name: &str) -> String {
    format!("{{sort:{test}}}{name}")
}

#[test]
fn numeric_alpha_desc_and_limit() {
    let mut c = shared().raw();
    let l = k("basic", "l");
    c.cmd(&["DEL", &l]);
    assert_eq!(c.cmd(&["RPUSH", &l, "3", "1", "2", "10"]), int(4));
    assert_eq!(c.cmd(&["SORT", &l]), bulks(&["1", "2", "3", "10"]));
    assert_eq!(c.cmd(&["SORT", &l, "DESC"]), bulks(&["10", "3", "2", "1"]));
    assert_eq!(c.cmd(&["SORT", &l, "ALPHA"]), bulks(&["1", "10", "2", "3"]));
    assert_eq!(c.cmd(&["SORT", &l, "LIMIT", "1", "2"]), bulks(&["2", "3"]));
    assert_eq!(c.cmd(&["SORT", &l, "LIMIT", "-1", "2"]), bulks(&["1", "2"]));
    assert_eq!(
        c.cmd(&["SORT", &l, "LIMIT", "1", "-1"]),
        bulks(&["2", "3", "10"])
    );
    assert_eq!(c.cmd(&["SORT", &l, "LIMIT", "10", "2"]), arr(vec![]));
    assert_eq!(
        c.cmd(&["SORT", &l, "ASC", "DESC"]),
        bulks(&["10", "3", "2", "1"])
    );
    assert_eq!(
        c.cmd(&["SORT_RO", &l, "DESC", "LIMIT", "0", "1"]),
        bulks(&["10"])
    );
    assert_eq!(c.cmd(&["SORT", &l, "LIMIT", "x", "1"]), not_int_err());
    for bad in [&["GET"][..], &["FOO"], &["STORE"], &["LIMIT", "0"]] {
        let mut args = vec!["SORT", l.as_str()];
        args.extend(bad);
        assert_eq!(c.cmd(&args), syntax_err(), "{bad:?}");
    }
    assert_eq!(
        c.cmd(&["SORT_RO", &l, "STORE", &k("basic", "d")]),
        syntax_err()
    );
    assert_eq!(c.cmd(&["SORT", &k("basic", "missing")]), arr(vec![]));
    c.cmd(&["DEL", &l]);
}

#[test]
fn scores_must_be_numbers_unless_alpha() {
    let mut c = shared().raw();
    let l = k("scores", "l");
    c.cmd(&["DEL", &l]);
    c.cmd(&["RPUSH", &l, "a", "1", "", " 2", "1e2", "-inf"]);
    assert_eq!(
        c.cmd(&["SORT", &l]),
        err("ERR One or more scores can't be converted into double")
    );
    assert_eq!(
        c.cmd(&["SORT", &l, "ALPHA"]),
        bulks(&["", " 2", "-inf", "1", "1e2", "a"])
    );
    c.cmd(&["LREM", &l, "0", "a"]);
    assert_eq!(c.cmd(&["SORT", &l]), bulks(&["-inf", "", "1", " 2", "1e2"]));
    c.cmd(&["RPUSH", &l, "1e999"]);
    assert_eq!(
        c.cmd(&["SORT", &l]),
        err("ERR One or more scores can't be converted into double")
    );
    c.cmd(&["DEL", &l]);
}

#[test]
fn by_and_get_patterns() {
    let mut c = shared().raw();
    let l = k("by", "l");
    let w = |n: &str| k("by", &format!("w_{n}"));
    let h = |n: &str| k("by", &format!("h_{n}"));
    c.cmd(&["DEL", &l, &w("1"), &w("2"), &w("3"), &h("1"), &h("2")]);
    c.cmd(&["RPUSH", &l, "3", "1", "2", "10"]);
    c.cmd(&["SET", &w("1"), "5"]);
    c.cmd(&["SET", &w("2"), "-1"]);
    c.cmd(&["HSET", &h("1"), "f", "one"]);
    c.cmd(&["HSET", &h("2"), "f", "two"]);
    let by = k("by", "w_*");
    let get_h = k("by", "h_*->f");
    // Missing weights count as 0; equal weights fall back to the elements.
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", &by]),
        bulks(&["2", "10", "3", "1"])
    );
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", &by, "GET", "#", "GET", &by, "GET", &get_h]),
        arr(vec![
            bulk("2"),
            bulk("-1"),
            bulk("two"),
            bulk("10"),
            nil(),
            nil(),
            bulk("3"),
            nil(),
            nil(),
            bulk("1"),
            bulk("5"),
            bulk("one"),
        ])
    );
    // A weight by hash field, and ALPHA over weights where a missing one sorts first.
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", &get_h, "ALPHA", "DESC"]),
        bulks(&["2", "1", "3", "10"])
    );
    // A pattern without '*' keeps the list's order, which DESC reverses.
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", "nosort"]),
        bulks(&["3", "1", "2", "10"])
    );
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", "nosort", "DESC"]),
        bulks(&["10", "2", "1", "3"])
    );
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", "nosort", "LIMIT", "1", "2"]),
        bulks(&["1", "2"])
    );
    // GET of a key of another type, or of a pattern without '*', is nil.
    assert_eq!(
        c.cmd(&[
            "SORT",
            &l,
            "LIMIT",
            "0",
            "1",
            "GET",
            &get_h.replace("->f", ""),
            "GET",
            "x"
        ]),
        arr(vec![nil(), nil()])
    );
    c.cmd(&["DEL", &l, &w("1"), &w("2"), &h("1"), &h("2")]);
}

#[test]
fn sets_and_sorted_sets() {
    let mut c = shared().raw();
    let (s, z, d) = (k("types", "s"), k("types", "z"), k("types", "d"));
    c.cmd(&["DEL", &s, &z, &d]);
    c.cmd(&["SADD", &s, "b", "a", "c"]);
    c.cmd(&["ZADD", &z, "3", "x", "1", "y", "2", "z"]);
    assert_eq!(c.cmd(&["SORT", &s, "ALPHA"]), bulks(&["a", "b", "c"]));
    assert_eq!(
        c.cmd(&["SORT", &s]),
        err("ERR One or more scores can't be converted into double")
    );
    // Unsorted STORE of a set is sorted anyway, so the stored list is deterministic.
    assert_eq!(c.cmd(&["SORT", &s, "BY", "nosort", "STORE", &d]), int(3));
    assert_eq!(c.cmd(&["LRANGE", &d, "0", "-1"]), bulks(&["a", "b", "c"]));
    // A sorted set unsorted keeps its score order; DESC reverses it.
    assert_eq!(
        c.cmd(&["SORT", &z, "BY", "nosort"]),
        bulks(&["y", "z", "x"])
    );
    assert_eq!(
        c.cmd(&["SORT", &z, "BY", "nosort", "DESC", "LIMIT", "0", "2"]),
        bulks(&["x", "z"])
    );
    assert_eq!(
        c.cmd(&["SORT", &z, "ALPHA", "DESC"]),
        bulks(&["z", "y", "x"])
    );
    c.cmd(&["SET", &s, "str"]);
    assert_eq!(
        c.cmd(&["SORT", &s]),
        err("WRONGTYPE Operation against a key holding the wrong kind of value")
    );
    c.cmd(&["DEL", &s, &z, &d]);
}

#[test]
fn store_replaces_the_destination_even_on_another_shard() {
    let mut c = shared().raw();
    let src = key_on_shard("sort:store:src", 0, DEFAULT_SHARDS);
    let dst = key_on_shard("sort:store:dst", DEFAULT_SHARDS - 1, DEFAULT_SHARDS);
    c.cmd(&["DEL", &src, &dst]);
    c.cmd(&["RPUSH", &src, "3", "1", "2"]);
    c.cmd(&["SET", &dst, "old"]);
    c.cmd(&["EXPIRE", &dst, "100"]);
    assert_eq!(c.cmd(&["SORT", &src, "STORE", &dst]), int(3));
    assert_eq!(c.cmd(&["TYPE", &dst]), simple("list"));
    assert_eq!(c.cmd(&["TTL", &dst]), int(-1));
    assert_eq!(c.cmd(&["LRANGE", &dst, "0", "-1"]), bulks(&["1", "2", "3"]));
    assert_eq!(
        c.cmd(&["SORT", &src, "DESC", "LIMIT", "0", "2", "STORE", &dst]),
        int(2)
    );
    assert_eq!(c.cmd(&["LRANGE", &dst, "0", "-1"]), bulks(&["3", "2"]));
    // An unsorted set is sorted when stored, also when the destination is on another shard.
    let set = key_on_shard("sort:store:set", 0, DEFAULT_SHARDS);
    c.cmd(&["DEL", &set]);
    c.cmd(&["SADD", &set, "c", "-1", "10", "b", "2", "1", "3"]);
    assert_eq!(
        c.cmd(&["SORT", &set, "BY", "nosort", "STORE", &dst]),
        int(7)
    );
    assert_eq!(
        c.cmd(&["LRANGE", &dst, "0", "-1"]),
        bulks(&["-1", "1", "10", "2", "3", "b", "c"])
    );
    c.cmd(&["DEL", &set]);
    // The last STORE wins; an empty result deletes the destination.
    let missing = key_on_shard("sort:store:missing", 1, DEFAULT_SHARDS);
    assert_eq!(
        c.cmd(&["SORT", &missing, "STORE", "x", "STORE", &dst]),
        int(0)
    );
    assert_eq!(c.cmd(&["EXISTS", &dst, "x"]), int(0));
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "SORT", &src, "LIMIT", "0", "1", "STORE", &dst]),
        bulks(&[&src, &dst])
    );
    c.cmd(&["DEL", &src, &dst]);
}

/// ferrokv only: BY/GET patterns that reach another shard's keys are refused, not read as nil.
#[test]
fn patterns_reaching_another_shard_are_refused() {
    if target_is_redis() {
        return;
    }
    let mut c = shared().raw();
    let l = key_on_shard("sort:far:l", 0, DEFAULT_SHARDS);
    c.cmd(&["DEL", &l]);
    c.cmd(&["RPUSH", &l, "1", "2", "3"]);
    // sort:far:w_1 lives on another shard than the list (CRC16 places it; fixed).
    assert_ne!(shard_of(b"sort:far:w_1", DEFAULT_SHARDS), 0);
    assert_eq!(
        c.cmd(&["SORT", &l, "BY", "sort:far:w_*"]),
        err("ERR SORT BY/GET pattern reaches key 'sort:far:w_1', which lives on another shard: ferrokv needs pattern keys on the sorted key's shard (use a hash tag)")
    );
    assert_eq!(c.cmd(&["SORT", &l, "GET", "#"]), bulks(&["1", "2", "3"]));
    c.cmd(&["DEL", &l]);
}
