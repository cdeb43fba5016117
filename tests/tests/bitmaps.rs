//! Bitmap commands (SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO), every option
//! and every error, with exact replies, on keys of every shard.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use ferrokv_tests::*;

fn k(test: &str, name: &str) -> String {
    format!("bm:{test}:{name}")
}

/// Keys of one test sharing a hash tag, so multi-key commands stay on one shard.
fn tagged(test: &str, name: &str) -> String {
    format!("{{bm:{test}}}{name}")
}

const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
const BIT_ERR: &str = "ERR bit is not an integer or out of range";
const TYPE_ERR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

/// Runs `(command, expected reply)` pairs, naming the failing command.
fn check(c: &mut RawConn, cases: &[(Vec<&[u8]>, Resp)]) {
    for (cmd, want) in cases {
        let got = c.cmdb(cmd);
        let shown: Vec<String> = cmd.iter().map(|a| escape(a)).collect();
        assert_eq!(&got, want, "{}", shown.join(" "));
    }
}

/// A command line split on spaces, as bytes.
fn line(s: &str) -> Vec<&[u8]> {
    s.split(' ').map(str::as_bytes).collect()
}

#[test]
fn setbit_and_getbit_on_every_shard() {
    let mut c = shared().raw();
    for key in spread_keys(&k("setbit", ""), 4, DEFAULT_SHARDS) {
        assert_eq!(c.cmd(&["SETBIT", &key, "7", "1"]), int(0));
        assert_eq!(c.cmd(&["SETBIT", &key, "7", "1"]), int(1));
        assert_eq!(c.cmd(&["GET", &key]), bulk(b"\x01"));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("raw"));
        assert_eq!(c.cmd(&["SETBIT", &key, "20", "1"]), int(0));
        assert_eq!(c.cmd(&["GET", &key]), bulk(b"\x01\x00\x08"));
        assert_eq!(c.cmd(&["GETBIT", &key, "20"]), int(1));
        assert_eq!(c.cmd(&["GETBIT", &key, "19"]), int(0));
        assert_eq!(c.cmd(&["GETBIT", &key, "1000000"]), int(0));
        assert_eq!(c.cmd(&["SETBIT", &key, "7", "0"]), int(1));
        assert_eq!(c.cmd(&["GET", &key]), bulk(b"\x00\x00\x08"));
        assert_eq!(c.cmd(&["DEL", &key]), int(1));
    }
    assert_eq!(c.cmd(&["GETBIT", &k("setbit", "missing"), "3"]), int(0));
}

#[test]
fn setbit_errors_and_limits() {
    let mut c = shared().raw();
    let key = k("limits", "a");
    check(
        &mut c,
        &[
            (line(&format!("SETBIT {key} 7 2")), err(BIT_ERR)),
            (line(&format!("SETBIT {key} 7 -1")), err(BIT_ERR)),
            (line(&format!("SETBIT {key} 7 x")), err(BIT_ERR)),
            (line(&format!("SETBIT {key} -1 1")), err(OFFSET_ERR)),
            (line(&format!("SETBIT {key} x x")), err(OFFSET_ERR)),
            (line(&format!("SETBIT {key} #1 1")), err(OFFSET_ERR)),
            (line(&format!("SETBIT {key} 4294967296 1")), err(OFFSET_ERR)),
            (line(&format!("GETBIT {key} 4294967296")), err(OFFSET_ERR)),
            (line(&format!("GETBIT {key} -1")), err(OFFSET_ERR)),
            (line(&format!("GETBIT {key} 4294967295")), int(0)),
            (line(&format!("EXISTS {key}")), int(0)),
            (line(&format!("SETBIT {key} 1")), arity_err("setbit")),
            (line(&format!("GETBIT {key}")), arity_err("getbit")),
        ],
    );
    assert_eq!(
        c.cmdb(&[b"SETBIT", key.as_bytes(), b" 1", b"1"]),
        err(OFFSET_ERR)
    );
    assert_eq!(
        c.cmdb(&[b"SETBIT", key.as_bytes(), b"1", b""]),
        err(BIT_ERR)
    );
}

#[test]
fn offsets_past_proto_max_bulk_len() {
    let server = start_target(DEFAULT_SHARDS, &["--proto-max-bulk-len", "1mb"]);
    let mut c = server.raw();
    // 1mb is 8388608 bits.
    check(
        &mut c,
        &[
            (line("SETBIT a 8388608 1"), err(OFFSET_ERR)),
            (line("SETBIT a 8388607 1"), int(0)),
            (line("STRLEN a"), int(1 << 20)),
            (line("GETBIT a 8388608"), err(OFFSET_ERR)),
            (line("BITFIELD a GET u8 #1048576"), err(OFFSET_ERR)),
            // A field may end past the limit as long as it starts before it.
            (
                line("BITFIELD a SET i64 8388607 -1"),
                arr(vec![int(i64::MIN)]),
            ),
            (line("STRLEN a"), int((1 << 20) + 8)),
        ],
    );
}

#[test]
fn int_encoded_strings_read_as_their_text() {
    let mut c = shared().raw();
    let key = k("int", "n");
    assert_eq!(c.cmd(&["SET", &key, "12"]), ok());
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("int"));
    // "12" is 0x31 0x32.
    assert_eq!(c.cmd(&["GETBIT", &key, "2"]), int(1));
    assert_eq!(c.cmd(&["BITCOUNT", &key]), int(6));
    assert_eq!(c.cmd(&["BITPOS", &key, "1"]), int(2));
    assert_eq!(
        c.cmd(&["BITFIELD_RO", &key, "GET", "u16", "0"]),
        arr(vec![int(0x3132)])
    );
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("int"));
    assert_eq!(c.cmd(&["SETBIT", &key, "15", "1"]), int(0));
    assert_eq!(c.cmd(&["GET", &key]), bulk("13"));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("raw"));
}

#[test]
fn bitcount_ranges_and_units() {
    let mut c = shared().raw();
    for key in spread_keys(&k("bitcount", ""), 4, DEFAULT_SHARDS) {
        assert_eq!(c.cmd(&["SET", &key, "foobar"]), ok());
        for (range, want) in [
            ("", int(26)),
            ("0 0", int(4)),
            ("1 1", int(6)),
            ("1 1 BYTE", int(6)),
            ("1 1 byte", int(6)),
            ("5 30 BIT", int(17)),
            ("0 -1 bit", int(26)),
            ("-3 -1 BIT", int(1)),
            ("-100 -200", int(0)),
            ("-200 -100", int(4)),
            ("-1 -5", int(0)),
            ("100 200", int(0)),
            ("9 9 bit", int(1)),
            ("-9223372036854775808 9223372036854775807 BIT", int(26)),
            ("9223372036854775807 -9223372036854775808 BIT", int(0)),
            ("1", syntax_err()),
            ("1 2 3", syntax_err()),
            ("1 1 bits", syntax_err()),
            ("1 2 BIT x", syntax_err()),
            ("a 1", not_int_err()),
            ("1 a foo", not_int_err()),
            // Both ends negative and crossed: 0 before the unit is even read.
            ("-1 -2 foo", int(0)),
        ] {
            let cmd = format!("BITCOUNT {key} {range}");
            assert_eq!(
                c.cmd(&cmd.trim_end().split(' ').collect::<Vec<_>>()),
                want,
                "{cmd}"
            );
        }
    }
    let empty = k("bitcount", "empty");
    assert_eq!(c.cmd(&["SET", &empty, ""]), ok());
    assert_eq!(c.cmd(&["BITCOUNT", &empty]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", &empty, "0", "-1", "BIT"]), int(0));
    // Redis 7.0 answers 0 for a missing key before reading the other arguments.
    let missing = k("bitcount", "missing");
    assert_eq!(c.cmd(&["BITCOUNT", &missing, "x", "y"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT", &missing, "1"]), int(0));
    assert_eq!(c.cmd(&["BITCOUNT"]), arity_err("bitcount"));
}

#[test]
fn bitpos_ranges_and_the_clear_bit_end_rule() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("bitpos", ""), 4, DEFAULT_SHARDS);
    for key in &keys {
        assert_eq!(c.cmdb(&[b"SET", key.as_bytes(), b"\xff\xf0\x00"]), ok());
        for (args, want) in [
            ("1", int(0)),
            ("0", int(12)),
            ("0 0 0", int(-1)),
            ("1 2", int(-1)),
            ("0 2", int(16)),
            ("1 1 1", int(8)),
            ("0 1 1", int(12)),
            ("0 0 11 BIT", int(-1)),
            ("0 3 BIT", not_int_err()),
            ("0 0 -1 BIT", int(12)),
            ("1 12 -1 BIT", int(-1)),
            ("0 12 -1 BIT", int(12)),
            ("1 -100 -200", int(0)),
            ("1 -100 -200 BIT", int(0)),
            ("0 1 -1 BYTE", int(12)),
            ("1 0 -1 bytes", syntax_err()),
            ("1 0 x foo", syntax_err()),
            ("1 0 1 2 3", syntax_err()),
            ("1 x", not_int_err()),
            ("2", err("ERR The bit argument must be 1 or 0.")),
            ("x", not_int_err()),
        ] {
            let cmd = format!("BITPOS {key} {args}");
            assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }
    // All ones: without an end the string counts as padded with clear bits; with one, no.
    let ones = &keys[0];
    assert_eq!(c.cmdb(&[b"SET", ones.as_bytes(), b"\xff\xff"]), ok());
    for (args, want) in [
        ("0", int(16)),
        ("0 0", int(16)),
        ("0 1", int(16)),
        ("0 3 BIT", not_int_err()),
        ("0 0 -1", int(-1)),
        ("0 3 13 BIT", int(-1)),
        ("1 3 13 BIT", int(3)),
        ("0 16 20 BIT", int(-1)),
    ] {
        let cmd = format!("BITPOS {ones} {args}");
        assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
    }
    let empty = k("bitpos", "empty");
    assert_eq!(c.cmd(&["SET", &empty, ""]), ok());
    assert_eq!(c.cmd(&["BITPOS", &empty, "0"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", &empty, "1"]), int(-1));
    // A missing key is an endless run of clear bits.
    let missing = k("bitpos", "missing");
    assert_eq!(c.cmd(&["BITPOS", &missing, "0"]), int(0));
    assert_eq!(c.cmd(&["BITPOS", &missing, "1"]), int(-1));
    assert_eq!(c.cmd(&["BITPOS", &missing, "0", "x", "y", "z"]), int(0));
    assert_eq!(
        c.cmd(&["BITPOS", &missing, "2"]),
        err("ERR The bit argument must be 1 or 0.")
    );
    assert_eq!(c.cmd(&["BITPOS", &missing]), arity_err("bitpos"));
}

#[test]
fn bitop_on_one_shard() {
    let mut c = shared().raw();
    let (a, b, d, e) = (
        tagged("op", "a"),
        tagged("op", "b"),
        tagged("op", "d"),
        tagged("op", "e"),
    );
    let missing = tagged("op", "missing");
    assert_eq!(c.cmdb(&[b"SET", a.as_bytes(), b"\x0f"]), ok());
    assert_eq!(c.cmdb(&[b"SET", b.as_bytes(), b"\xf0\xff"]), ok());
    assert_eq!(c.cmd(&["SET", &e, ""]), ok());
    assert_eq!(c.cmd(&["SET", &d, "old", "EX", "100"]), ok());
    assert_eq!(c.cmd(&["BITOP", "OR", &d, &a, &b]), int(2));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\xff\xff"));
    assert_eq!(c.cmd(&["TTL", &d]), int(-1));
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", &d]), bulk("raw"));
    assert_eq!(c.cmd(&["BITOP", "and", &d, &a, &b]), int(2));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\x00\x00"));
    assert_eq!(c.cmd(&["BITOP", "XoR", &d, &a, &b, &missing]), int(2));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\xff\xff"));
    assert_eq!(c.cmd(&["BITOP", "NOT", &d, &a]), int(1));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\xf0"));
    assert_eq!(c.cmd(&["BITOP", "AND", &d, &a, &missing]), int(1));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\x00"));
    assert_eq!(c.cmd(&["BITOP", "OR", &d, &d, &b]), int(2));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\xf0\xff"));
    // An empty result deletes the destination.
    assert_eq!(c.cmd(&["BITOP", "NOT", &d, &e]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &d]), int(0));
    assert_eq!(c.cmd(&["BITOP", "OR", &d, &missing, &missing]), int(0));
    assert_eq!(c.cmd(&["EXISTS", &d]), int(0));
    assert_eq!(c.cmd(&["SET", &d, "12"]), ok());
    assert_eq!(c.cmd(&["BITOP", "NOT", &d, &d]), int(2));
    assert_eq!(c.cmd(&["GET", &d]), bulk(b"\xce\xcd"));
    assert_eq!(c.cmd(&["BITOP", "FOO", &d, &a]), syntax_err());
    assert_eq!(
        c.cmd(&["BITOP", "NOT", &d, &a, &b]),
        err("ERR BITOP NOT must be called with a single source key.")
    );
    assert_eq!(c.cmd(&["BITOP", "AND", &d]), arity_err("bitop"));
}

/// Needs the cross-shard coordinator for BITOP (CROSSSLOT until then).
#[test]
fn bitop_across_shards() {
    let mut c = shared().raw();
    let keys = spread_keys(&k("opx", ""), 4, DEFAULT_SHARDS);
    for (i, key) in keys[1..].iter().enumerate() {
        assert_eq!(c.cmdb(&[b"SET", key.as_bytes(), &[1 << i, 0xff]]), ok());
    }
    let mut cmd = vec!["BITOP", "OR", &keys[0]];
    cmd.extend(keys[1..].iter().map(String::as_str));
    assert_eq!(c.cmd(&cmd), int(2));
    assert_eq!(c.cmd(&["GET", &keys[0]]), bulk(b"\x07\xff"));
    cmd[1] = "AND";
    assert_eq!(c.cmd(&cmd), int(2));
    assert_eq!(c.cmd(&["GET", &keys[0]]), bulk(b"\x00\xff"));
}

#[test]
fn bitfield_get_set_incrby() {
    let mut c = shared().raw();
    for key in spread_keys(&k("bitfield", ""), 4, DEFAULT_SHARDS) {
        let run = |c: &mut RawConn, ops: &str| {
            let cmd = format!("BITFIELD {key} {ops}");
            c.cmd(&cmd.split(' ').collect::<Vec<_>>())
        };
        assert_eq!(run(&mut c, "GET u8 0"), arr(vec![int(0)]));
        assert_eq!(c.cmd(&["EXISTS", &key]), int(0));
        assert_eq!(
            run(&mut c, "SET u8 0 255 GET u8 0 GET i8 0 GET u4 2 GET i4 #1"),
            arr(vec![int(0), int(255), int(-1), int(15), int(-1)])
        );
        assert_eq!(run(&mut c, "INCRBY u8 0 10"), arr(vec![int(9)]));
        assert_eq!(
            run(&mut c, "SET i64 8 -9223372036854775808 INCRBY i64 8 -1"),
            arr(vec![int(0), int(i64::MAX)])
        );
        assert_eq!(
            run(&mut c, "SET u63 #2 -1 GET u63 #2"),
            arr(vec![int(0), int(i64::MAX)])
        );
        assert_eq!(
            run(&mut c, "SET i1 200 -1 GET u1 200 GET i1 200"),
            arr(vec![int(0), int(1), int(-1)])
        );
        assert_eq!(c.cmd(&["STRLEN", &key]), int(26));
        assert_eq!(c.cmd(&["OBJECT", "ENCODING", &key]), bulk("raw"));
        assert_eq!(run(&mut c, "GET u8 #1000"), arr(vec![int(0)]));
        assert_eq!(c.cmd(&["DEL", &key]), int(1));
    }
}

#[test]
fn bitfield_overflow_modes() {
    let mut c = shared().raw();
    let key = k("overflow", "a");
    let cases = [
        ("SET u8 0 250 INCRBY u8 0 10", arr(vec![int(0), int(4)])),
        ("OVERFLOW SAT INCRBY u8 0 300", arr(vec![int(255)])),
        ("OVERFLOW FAIL INCRBY u8 0 1", arr(vec![nil()])),
        ("OVERFLOW sat INCRBY u8 0 -300", arr(vec![int(0)])),
        ("OVERFLOW wrap INCRBY u8 0 -1", arr(vec![int(255)])),
        ("SET i8 0 127 INCRBY i8 0 1", arr(vec![int(-1), int(-128)])),
        ("OVERFLOW SAT INCRBY i8 0 -1", arr(vec![int(-128)])),
        (
            "OVERFLOW SAT SET i8 0 1000 GET i8 0",
            arr(vec![int(-128), int(127)]),
        ),
        (
            "OVERFLOW FAIL SET i8 0 -129 GET i8 0",
            arr(vec![nil(), int(127)]),
        ),
        // An unsigned SET reads a negative argument as its two's complement.
        ("OVERFLOW SAT SET u8 0 -1", arr(vec![int(127)])),
        ("SET u8 0 -2 GET u8 0", arr(vec![int(255), int(254)])),
        // The mode applies to the operations after it only.
        (
            "INCRBY u8 0 2 OVERFLOW FAIL INCRBY u8 0 2 OVERFLOW SAT INCRBY u8 0 1000",
            arr(vec![int(0), int(2), int(255)]),
        ),
        // Redis's overflow test wraps for values this far below an i63's range: saturates up.
        (
            "OVERFLOW SAT SET i63 #3 -9223372036854775808 GET i63 #3",
            arr(vec![int(0), int(4611686018427387903)]),
        ),
        (
            "OVERFLOW SAT SET i63 #3 -4611686018427387904 GET i63 #3",
            arr(vec![int(4611686018427387903), int(-4611686018427387904)]),
        ),
        (
            "OVERFLOW SAT INCRBY i64 #1 9223372036854775807 INCRBY i64 #1 1 INCRBY i64 #1 -1",
            arr(vec![int(i64::MAX), int(i64::MAX), int(i64::MAX - 1)]),
        ),
    ];
    for (ops, want) in cases {
        let cmd = format!("BITFIELD {key} {ops}");
        assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
    }
    // A failed write still grows the string first.
    let grown = k("overflow", "grown");
    assert_eq!(
        c.cmd(&["BITFIELD", &grown, "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5"]),
        arr(vec![nil()])
    );
    assert_eq!(c.cmd(&["GET", &grown]), bulk([0u8; 13]));
}

#[test]
fn bitfield_errors_and_the_read_only_variant() {
    let mut c = shared().raw();
    let key = k("bferr", "a");
    let ro_err = err("ERR BITFIELD_RO only supports the GET subcommand");
    for (ops, want) in [
        ("", arr(vec![])),
        ("OVERFLOW SAT", arr(vec![])),
        ("GET I8 0", err(TYPE_ERR)),
        ("GET i0 0", err(TYPE_ERR)),
        ("GET i65 0", err(TYPE_ERR)),
        ("GET u64 0", err(TYPE_ERR)),
        ("GET u08 0", err(TYPE_ERR)),
        ("GET i 0", err(TYPE_ERR)),
        ("GET u63 0", arr(vec![int(0)])),
        ("GET i64 0", arr(vec![int(0)])),
        ("GET i8 #", err(OFFSET_ERR)),
        ("GET i8 #-1", err(OFFSET_ERR)),
        ("GET i8 ##1", err(OFFSET_ERR)),
        ("GET i8 -1", err(OFFSET_ERR)),
        ("GET i8 4294967295", arr(vec![int(0)])),
        ("GET i8 4294967296", err(OFFSET_ERR)),
        ("GET i8 #536870911", arr(vec![int(0)])),
        ("GET i8 #536870912", err(OFFSET_ERR)),
        ("GET i8 #1152921504606846976", err(OFFSET_ERR)),
        // Redis's product wraps around to bit 0.
        ("GET i8 #2305843009213693952", arr(vec![int(0)])),
        ("GET i8", syntax_err()),
        ("GET", syntax_err()),
        ("FOO", syntax_err()),
        ("OVERFLOW", syntax_err()),
        ("OVERFLOW FOO", err("ERR Invalid OVERFLOW type specified")),
        (
            "OVERFLOW FOO GET x 0",
            err("ERR Invalid OVERFLOW type specified"),
        ),
        ("GET x 0 OVERFLOW FOO", err(TYPE_ERR)),
        ("SET i8 0", syntax_err()),
        ("SET i8 0 x", not_int_err()),
        ("SET i8 0 1.5", not_int_err()),
        ("INCRBY i8 0 x", not_int_err()),
        ("SET x 0 1", err(TYPE_ERR)),
        ("GET i8 0 SET i8 x 1", err(OFFSET_ERR)),
    ] {
        let cmd = format!("BITFIELD {key} {ops}");
        assert_eq!(
            c.cmd(&cmd.trim_end().split(' ').collect::<Vec<_>>()),
            want,
            "{cmd}"
        );
    }
    assert_eq!(c.cmd(&["EXISTS", &key]), int(0));
    // The width is read as a C string: what follows a NUL is ignored.
    assert_eq!(
        c.cmdb(&[b"BITFIELD", key.as_bytes(), b"GET", b"u8\0junk", b"0"]),
        arr(vec![int(0)])
    );
    for (ops, want) in [
        ("GET i8 0 GET u4 4", arr(vec![int(0), int(0)])),
        ("GET i8 0 OVERFLOW FAIL", arr(vec![int(0)])),
        ("SET i8 0 1", ro_err.clone()),
        ("INCRBY i8 0 1", ro_err.clone()),
        ("GET i8 0 SET i8 0 1", ro_err),
        ("SET i8 0 x", not_int_err()),
        ("OVERFLOW FOO", err("ERR Invalid OVERFLOW type specified")),
        ("FOO", syntax_err()),
    ] {
        let cmd = format!("BITFIELD_RO {key} {ops}");
        assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
    }
    assert_eq!(c.cmd(&["EXISTS", &key]), int(0));
    assert_eq!(c.cmd(&["BITFIELD"]), arity_err("bitfield"));
    assert_eq!(c.cmd(&["BITFIELD_RO"]), arity_err("bitfield_ro"));
}

#[test]
fn resp3_failed_overflow_is_null() {
    let mut c = shared().raw();
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    let key = k("resp3", "a");
    c.send_cmd(&[
        "BITFIELD", &key, "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "7", "GET", "u2", "0",
    ]);
    assert_eq!(c.read_raw(), b"*2\r\n_\r\n:0\r\n");
}

#[test]
fn other_types_are_wrongtype() {
    let mut c = shared().raw();
    let h = tagged("wrongtype", "h");
    let s = tagged("wrongtype", "s");
    assert_eq!(c.cmd(&["HSET", &h, "f", "v"]), int(1));
    assert_eq!(c.cmd(&["SET", &s, "x"]), ok());
    let wrongtype = err(WRONGTYPE);
    for (cmd, want) in [
        (format!("SETBIT {h} 1 1"), wrongtype.clone()),
        (format!("SETBIT {h} x 1"), err(OFFSET_ERR)),
        (format!("SETBIT {h} 1 5"), err(BIT_ERR)),
        (format!("GETBIT {h} 1"), wrongtype.clone()),
        (format!("GETBIT {h} x"), err(OFFSET_ERR)),
        (format!("BITCOUNT {h}"), wrongtype.clone()),
        (format!("BITCOUNT {h} x"), wrongtype.clone()),
        (format!("BITPOS {h} 1"), wrongtype.clone()),
        (
            format!("BITPOS {h} 2"),
            err("ERR The bit argument must be 1 or 0."),
        ),
        (format!("BITPOS {h} 1 x"), wrongtype.clone()),
        (format!("BITOP AND {s} {s} {h}"), wrongtype.clone()),
        (format!("BITOP NOT {s} {h}"), wrongtype.clone()),
        (format!("BITOP FOO {s} {h}"), syntax_err()),
        (format!("BITFIELD {h} GET i8 0"), wrongtype.clone()),
        (format!("BITFIELD {h} SET i8 0 1"), wrongtype.clone()),
        (format!("BITFIELD {h} SET i8 x 1"), err(OFFSET_ERR)),
        (format!("BITFIELD {h}"), wrongtype.clone()),
        (format!("BITFIELD_RO {h} GET i8 0"), wrongtype.clone()),
        (
            format!("BITFIELD_RO {h} SET i8 0 1"),
            err("ERR BITFIELD_RO only supports the GET subcommand"),
        ),
        // The destination of BITOP is overwritten whatever it holds.
        (format!("BITOP NOT {h} {s}"), int(1)),
        (format!("TYPE {h}"), simple("string")),
    ] {
        assert_eq!(c.cmd(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
    }
}
