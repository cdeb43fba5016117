//! HyperLogLog commands (PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST): exact replies and errors,
//! the exact bytes Redis stores, and the estimate's error on large cardinalities.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;

fn k(test: &str, name: &str) -> String {
    format!("hll:{test}:{name}")
}

/// Keys of one test sharing a hash tag, so multi-key commands stay on one shard.
fn tagged(test: &str, name: &str) -> String {
    format!("{{hll:{test}}}{name}")
}

const NOT_HLL: &str = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const INVALID: &str = "INVALIDOBJ Corrupted HLL object detected";
/// An empty HLL as PFADD creates it: sparse, the cached count marked stale, one XZERO run.
const EMPTY: &[u8] = b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff";

fn elements(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("element:{i}")).collect()
}

/// `PFADD key` with `elems`, in one command.
fn pfadd(c: &mut RawConn, key: &str, elems: &[String]) -> Resp {
    let mut cmd = vec!["PFADD", key];
    cmd.extend(elems.iter().map(String::as_str));
    c.cmd(&cmd)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn pfadd_and_pfcount_on_every_shard() {
    let mut c = shared().raw();
    for key in spread_keys(&k("basic", ""), 4, DEFAULT_SHARDS) {
        assert_eq!(c.cmd(&["PFCOUNT", &key]), int(0));
        assert_eq!(c.cmd(&["PFADD", &key]), int(1));
        assert_eq!(c.cmd(&["PFADD", &key]), int(0));
        assert_eq!(c.cmd(&["GET", &key]), bulk(EMPTY));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("raw"));
        assert_eq!(c.cmd(&["PFADD", &key, "a", "b", "c"]), int(1));
        assert_eq!(c.cmd(&["PFADD", &key, "a", "b"]), int(0));
        assert_eq!(c.cmd(&["PFCOUNT", &key]), int(3));
        assert_eq!(
            c.cmd(&["PFDEBUG", "DECODE", &key]),
            bulk("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603")
        );
        assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &key]), simple("sparse"));
        assert_eq!(c.cmd(&["DEL", &key]), int(1));
    }
    assert_eq!(c.cmd(&["PFADD"]), arity_err("pfadd"));
    assert_eq!(c.cmd(&["PFCOUNT"]), arity_err("pfcount"));
    assert_eq!(c.cmd(&["PFMERGE"]), arity_err("pfmerge"));
}

#[test]
fn stored_bytes_are_redis_bytes() {
    let mut c = shared().raw();
    let key = k("bytes", "a");
    assert_eq!(pfadd(&mut c, &key, &elements(0..10)), int(1));
    let stale = "48594c4c010000000000000000000080448e80453b8441ed88441b80407c904501804ab38440728058dc80444f84424d";
    assert_eq!(c.cmd(&["GET", &key]), bulk(unhex(stale)));
    // PFCOUNT caches the count in the header.
    assert_eq!(c.cmd(&["PFCOUNT", &key]), int(10));
    let cached = "48594c4c010000000a00000000000000448e80453b8441ed88441b80407c904501804ab38440728058dc80444f84424d";
    assert_eq!(c.cmd(&["GET", &key]), bulk(unhex(cached)));
    // A SET string is an HLL too, and a valid cached count is believed as it is.
    let forged = k("bytes", "forged");
    assert_eq!(
        c.cmdb(&[
            b"SET",
            forged.as_bytes(),
            b"HYLL\x01\0\0\0\x2a\0\0\0\0\0\0\0\x7f\xff"
        ]),
        ok()
    );
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &forged]), bulk("embstr"));
    assert_eq!(c.cmd(&["PFCOUNT", &forged]), int(42));
    // Even a read unshares the value, as Redis does to be able to update the cache.
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &forged]), bulk("raw"));
    assert_eq!(c.cmd(&["PFADD", &forged]), int(0));
    assert_eq!(c.cmd(&["PFCOUNT", &forged]), int(42));
    assert_eq!(c.cmd(&["PFADD", &forged, "new"]), int(1));
    assert_eq!(c.cmd(&["PFCOUNT", &forged]), int(1));
}

#[test]
fn sparse_turns_dense_where_redis_does() {
    let mut c = shared().raw();
    let key = k("promote", "a");
    let elems = elements(0..1669);
    let cmds: Vec<Vec<&str>> = elems[..1668]
        .iter()
        .map(|e| vec!["PFADD", key.as_str(), e.as_str()])
        .collect();
    c.pipeline(&cmds);
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &key]), simple("sparse"));
    assert_eq!(c.cmd(&["STRLEN", &key]), int(3000));
    assert_eq!(c.cmd(&["PFADD", &key, &elems[1668]]), int(1));
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &key]), simple("dense"));
    assert_eq!(c.cmd(&["STRLEN", &key]), int(12304));
    assert_eq!(c.cmd(&["PFCOUNT", &key]), int(1675));
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", &key]), int(0));
    assert_eq!(
        c.cmd(&["PFDEBUG", "DECODE", &key]),
        err("ERR HLL encoding is not sparse")
    );
}

/// The estimate is Redis's exactly; it is also within three standard errors
/// (1.04 / sqrt(16384) = 0.81%) of the true count.
#[test]
fn estimate_error_on_large_cardinalities() {
    let mut c = shared().raw();
    let key = k("large", "a");
    let within = |estimate: i64, truth: f64| {
        let error = (estimate as f64 - truth).abs() / truth;
        assert!(error < 3.0 * 0.0081, "estimate {estimate} for {truth}");
    };
    let batches: Vec<Vec<String>> = (0..1000)
        .map(|b| elements(b * 1000..(b + 1) * 1000))
        .collect();
    let command = |batch: &[String]| {
        let mut cmd = vec!["PFADD".to_string(), key.clone()];
        cmd.extend(batch.iter().cloned());
        cmd
    };
    c.pipeline(
        &batches[..100]
            .iter()
            .map(|b| command(b))
            .collect::<Vec<_>>(),
    );
    assert_eq!(c.cmd(&["PFCOUNT", &key]), int(100_039));
    within(100_039, 100_000.0);
    c.pipeline(
        &batches[100..]
            .iter()
            .map(|b| command(b))
            .collect::<Vec<_>>(),
    );
    assert_eq!(c.cmd(&["PFCOUNT", &key]), int(1_010_357));
    within(1_010_357, 1_000_000.0);
    // Adding them again changes nothing.
    assert_eq!(pfadd(&mut c, &key, &batches[500]), int(0));
}

#[test]
fn pfmerge_and_pfcount_of_several_keys_on_one_shard() {
    let mut c = shared().raw();
    let (a, b, d, d2, new) = (
        tagged("merge", "a"),
        tagged("merge", "b"),
        tagged("merge", "d"),
        tagged("merge", "d2"),
        tagged("merge", "new"),
    );
    let missing = tagged("merge", "missing");
    assert_eq!(c.cmd(&["PFADD", &a, "a", "b", "c"]), int(1));
    assert_eq!(c.cmd(&["PFADD", &b, "c", "d", "e"]), int(1));
    assert_eq!(c.cmd(&["PFCOUNT", &a, &b, &missing]), int(5));
    assert_eq!(c.cmd(&["EXISTS", &missing]), int(0));
    assert_eq!(c.cmd(&["PFMERGE", &d, &a, &b]), ok());
    // Sparse sources give a sparse result.
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &d]), simple("sparse"));
    assert_eq!(
        c.cmd(&["PFDEBUG", "DECODE", &d]),
        bulk("Z:7292 v:1,1 Z:1143 v:1,1 Z:4274 v:2,1 Z:2445 v:1,1 Z:622 v:1,1 Z:603")
    );
    assert_eq!(c.cmd(&["PFCOUNT", &d]), int(5));
    // The destination is merged into itself too, and keeps its TTL.
    assert_eq!(c.cmd(&["EXPIRE", &d, "100"]), int(1));
    assert_eq!(c.cmd(&["PFADD", &a, "f"]), int(1));
    assert_eq!(c.cmd(&["PFMERGE", &d, &a]), ok());
    assert_eq!(c.cmd(&["PFCOUNT", &d]), int(6));
    assert_eq!(c.cmd(&["TTL", &d]), int(100));
    // One dense source makes the result dense.
    assert_eq!(c.cmd(&["PFDEBUG", "TODENSE", &b]), int(1));
    assert_eq!(c.cmd(&["PFMERGE", &d2, &a, &b]), ok());
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &d2]), simple("dense"));
    assert_eq!(c.cmd(&["PFCOUNT", &d2]), int(6));
    assert_eq!(c.cmd(&["PFCOUNT", &d2, &d, &a, &b]), int(6));
    // A destination alone is an empty HLL.
    assert_eq!(c.cmd(&["PFMERGE", &new]), ok());
    assert_eq!(c.cmd(&["GET", &new]), bulk(EMPTY));
    assert_eq!(c.cmd(&["PFMERGE", &new, &missing]), ok());
    assert_eq!(c.cmd(&["PFCOUNT", &new]), int(0));
}

/// Needs the cross-shard coordinator for PFCOUNT/PFMERGE (CROSSSLOT until then).
#[test]
fn pfmerge_and_pfcount_across_shards() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("mergex", ""), 4, DEFAULT_SHARDS);
    for (i, key) in keys[1..].iter().enumerate() {
        assert_eq!(
            pfadd(&mut c, key, &elements(i * 100..(i + 2) * 100)),
            int(1)
        );
    }
    let mut count = vec!["PFCOUNT"];
    count.extend(keys[1..].iter().map(String::as_str));
    assert_eq!(c.cmd(&count), int(401));
    let mut merge = vec!["PFMERGE", &keys[0]];
    merge.extend(keys[1..].iter().map(String::as_str));
    assert_eq!(c.cmd(&merge), ok());
    assert_eq!(c.cmd(&["PFCOUNT", &keys[0]]), int(401));
}

#[test]
fn values_that_are_not_hlls() {
    let mut c = shared().raw();
    let key = |name: &str| tagged("invalid", name);
    for (name, value) in [
        ("s", &b"foo"[..]),
        ("int", b"12345"),
        ("short", b"HYLL\x01\0\0\0"),
        ("enc2", b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff"),
        ("dense", b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff"),
        // 16383 registers only.
        ("bad", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe"),
        // Every register, and then one more.
        ("over", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff\xfc"),
        ("empty", b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80"),
    ] {
        assert_eq!(c.cmdb(&[b"SET", key(name).as_bytes(), value]), ok());
    }
    let (s, bad, over, empty) = (key("s"), key("bad"), key("over"), key("empty"));
    let not_hll = err(NOT_HLL);
    let invalid = err(INVALID);
    for (cmd, want) in [
        (format!("PFADD {s} a"), not_hll.clone()),
        (format!("PFADD {} a", key("int")), not_hll.clone()),
        (format!("PFCOUNT {}", key("short")), not_hll.clone()),
        (format!("PFCOUNT {}", key("enc2")), not_hll.clone()),
        (format!("PFCOUNT {}", key("dense")), not_hll.clone()),
        (format!("PFCOUNT {s} {bad}"), not_hll.clone()),
        // Keys are read in order.
        (format!("PFCOUNT {bad} {s}"), invalid.clone()),
        (format!("PFMERGE {} {s}", key("d")), not_hll.clone()),
        (format!("PFMERGE {s} {bad}"), not_hll.clone()),
        (format!("PFDEBUG GETREG {s}"), not_hll.clone()),
        (format!("PFCOUNT {bad}"), invalid.clone()),
        // The register of "a" is covered by the runs there are.
        (format!("PFADD {bad} a"), int(1)),
        (format!("PFCOUNT {bad} {bad}"), invalid.clone()),
        (format!("PFMERGE {bad}"), invalid.clone()),
        (format!("PFMERGE {} {bad}", key("d")), invalid.clone()),
        (format!("EXISTS {}", key("d")), int(0)),
        (format!("PFCOUNT {over} {over}"), invalid.clone()),
        (format!("PFDEBUG TODENSE {over}"), invalid.clone()),
        (format!("PFCOUNT {empty}"), invalid.clone()),
        (format!("PFADD {empty} a"), invalid.clone()),
        (format!("PFDEBUG GETREG {empty}"), invalid),
    ] {
        assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
    }
    assert_eq!(c.cmd(&["PFDEBUG", "DECODE", &empty]), bulk(""));
}

#[test]
fn pfdebug_subcommands() {
    let mut c = shared().raw();
    let key = k("debug", "a");
    let missing = k("debug", "missing");
    assert_eq!(c.cmd(&["PFADD", &key, "a", "b", "c"]), int(1));
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG", &missing]),
        err("ERR The specified key does not exist")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "FOO", &missing]),
        err("ERR The specified key does not exist")
    );
    assert_eq!(
        c.cmd(&["PFDEBUG", "FOO", &key]),
        err("ERR Unknown PFDEBUG subcommand 'FOO'")
    );
    assert_eq!(c.cmd(&["PFDEBUG", "encoding", &key]), simple("sparse"));
    let regs = c.cmd(&["PFDEBUG", "GETREG", &key]);
    let regs = regs.as_array();
    assert_eq!(regs.len(), 16384);
    assert_eq!(
        (regs[8436].clone(), regs[12711].clone(), regs[15780].clone()),
        (int(1), int(2), int(1))
    );
    assert_eq!(regs.iter().filter(|r| **r != int(0)).count(), 3);
    // GETREG leaves the HLL dense.
    assert_eq!(c.cmd(&["PFDEBUG", "ENCODING", &key]), simple("dense"));
    assert_eq!(c.cmd(&["PFCOUNT", &key]), int(3));
    assert_eq!(
        c.cmd(&["PFDEBUG", "GETREG", &key, "x"]),
        arity_err("pfdebug")
    );
    assert_eq!(c.cmd(&["PFDEBUG", "GETREG"]), arity_err("pfdebug"));
}

#[test]
fn pfselftest_passes() {
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["PFSELFTEST"]), ok());
    assert_eq!(c.cmd(&["PFSELFTEST", "x"]), arity_err("pfselftest"));
}

#[test]
fn other_types_are_wrongtype() {
    let mut c = shared().raw();
    let h = tagged("wrongtype", "h");
    let a = tagged("wrongtype", "a");
    assert_eq!(c.cmd(&["HSET", &h, "f", "v"]), int(1));
    assert_eq!(c.cmd(&["PFADD", &a, "x"]), int(1));
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    for cmd in [
        format!("PFADD {h} a"),
        format!("PFCOUNT {h}"),
        format!("PFCOUNT {a} {h}"),
        format!("PFMERGE {h} {a}"),
        format!("PFMERGE {a} {h}"),
        format!("PFDEBUG ENCODING {h}"),
    ] {
        assert_eq!(
            c.cmd(&cmd.split(' ').collect::<Vec<_>>()),
            wrongtype,
            "{cmd}"
        );
    }
}
