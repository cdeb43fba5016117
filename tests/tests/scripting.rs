//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT with exact replies: the Lua environment,
//! conversions both ways (RESP2 and RESP3), errors, globals protection, the bundled libraries,
//! read-only scripts, scripts whose keys (declared or built from ARGV) live on every shard, and
//! SCRIPT KILL / BUSY. Black-box tests: every expectation was read off redis-server 7.0.15, and
//! nothing here assumes how ferrokv runs a script. Run with `FERROKV_TEST_TARGET=redis` to check
//! them against Redis.
//!
//! SCRIPT FLUSH and the BUSY tests change server-wide state, so they start a server of their own.

use std::thread;
use std::time::Duration;

use ferrokv_tests::*;
use rand::{rngs::SmallRng, Rng, SeedableRng};

/// `EVAL body numkeys keys... args...`
fn eval(c: &mut RawConn, body: &str, keys: &[&str], args: &[&str]) -> Resp {
    c.send_and_read(&keys_command("EVAL", body, keys, args))
}

/// The SHA1 of a script as the server names it (SCRIPT LOAD does not run it).
fn sha_of(c: &mut RawConn, body: &str) -> String {
    c.cmd(&["SCRIPT", "LOAD", body]).as_str()
}

/// The error a script raises at run time: Redis appends which script and which line.
fn script_err(c: &mut RawConn, body: &str, msg: &str, line: u32) -> Resp {
    let sha = sha_of(c, body);
    err(&format!("{msg} script: {sha}, on @user_script:{line}."))
}

/// Runs `body` with no keys and checks it fails with `msg` raised on line 1.
fn assert_raises(c: &mut RawConn, body: &str, msg: &str) {
    let want = script_err(c, body, msg, 1);
    assert_eq!(eval(c, body, &[], &[]), want, "{body}");
}

// ---------------------------------------------------------------------------------------------
// EVAL, EVALSHA, SCRIPT
// ---------------------------------------------------------------------------------------------

#[test]
fn eval_passes_keys_and_argv() {
    let mut c = shared().raw();
    assert_eq!(eval(&mut c, "return 1", &[], &[]), int(1));
    assert_eq!(
        eval(
            &mut c,
            "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
            &["sc:kv:a", "sc:kv:b"],
            &["x", "y"]
        ),
        arr(vec![
            bulk("sc:kv:a"),
            bulk("sc:kv:b"),
            bulk("x"),
            bulk("y"),
            int(2),
            int(2)
        ])
    );
    assert_eq!(
        eval(
            &mut c,
            "return {KEYS[1], ARGV[1], #KEYS, #ARGV}",
            &[""],
            &[""]
        ),
        arr(vec![bulk(""), bulk(""), int(1), int(1)])
    );
    assert_eq!(
        eval(&mut c, "return ARGV", &[], &["a", "", "c"]),
        bulks(&["a", "", "c"])
    );
    assert_eq!(
        eval(&mut c, "return KEYS", &["sc:kv:a", "", "sc:kv:c"], &[]),
        bulks(&["sc:kv:a", "", "sc:kv:c"])
    );
    assert_eq!(
        c.cmdb(&[
            b"EVAL",
            b"return {ARGV[1], #ARGV[1]}",
            b"0",
            b"bin\x00ary\xff"
        ]),
        arr(vec![bulk(b"bin\x00ary\xff"), int(8)])
    );
    assert_eq!(
        eval(&mut c, "return tostring(KEYS[5])", &["sc:kv:a"], &[]),
        bulk("nil")
    );
    // KEYS and ARGV are plain tables the script may change.
    assert_eq!(
        eval(&mut c, "KEYS[1] = 'z'; return KEYS[1]", &["sc:kv:a"], &[]),
        bulk("z")
    );
}

#[test]
fn numkeys_errors() {
    let mut c = shared().raw();
    let sha = "ffffffffffffffffffffffffffffffffffffffff";
    for name in ["EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO"] {
        let first = if name.starts_with("EVALSHA") {
            sha
        } else {
            "return 1"
        };
        assert_eq!(
            c.cmd(&[name, first, "-1"]),
            err("ERR Number of keys can't be negative"),
            "{name}"
        );
        assert_eq!(
            c.cmd(&[name, first, "3", "a"]),
            err("ERR Number of keys can't be greater than number of args"),
            "{name}"
        );
        assert_eq!(
            c.cmd(&[name, first, "1"]),
            err("ERR Number of keys can't be greater than number of args"),
            "{name}"
        );
        assert_eq!(c.cmd(&[name, first, "x"]), not_int_err(), "{name}");
        assert_eq!(c.cmd(&[name, first, "1.5", "a"]), not_int_err(), "{name}");
        assert_eq!(c.cmd(&[name, first]), arity_err(name), "{name}");
    }
    assert_eq!(c.cmd(&["EVAL"]), arity_err("eval"));
}

#[test]
fn script_load_exists_and_evalsha() {
    let mut c = shared().raw();
    // SHA1("return 42")
    let sha = "1fa00e76656cc152ad327c13fe365858fd7be306";
    assert_eq!(c.cmd(&["SCRIPT", "LOAD", "return 42"]), bulk(sha));
    assert_eq!(c.cmd(&["SCRIPT", "LOAD", "return 42"]), bulk(sha));
    assert_eq!(c.cmd(&["EVALSHA", sha, "0"]), int(42));
    assert_eq!(c.cmd(&["EVALSHA", &sha.to_uppercase(), "0"]), int(42));
    assert_eq!(c.cmd(&["EVALSHA_RO", sha, "0"]), int(42));
    let unknown = "ffffffffffffffffffffffffffffffffffffffff";
    assert_eq!(
        c.cmd(&["SCRIPT", "EXISTS", sha, unknown, &sha.to_uppercase(), "abc"]),
        arr(vec![int(1), int(0), int(1), int(0)])
    );
    let noscript = err("NOSCRIPT No matching script. Please use EVAL.");
    assert_eq!(c.cmd(&["EVALSHA", unknown, "0"]), noscript);
    assert_eq!(c.cmd(&["EVALSHA", "abc", "0"]), noscript);
    assert_eq!(c.cmd(&["EVALSHA_RO", unknown, "0"]), noscript);

    // EVAL caches the script too.
    let body = "return 'sc:load:cached by eval'";
    let cached = sha_of(&mut c, body);
    assert_eq!(eval(&mut c, body, &[], &[]), bulk("sc:load:cached by eval"));
    assert_eq!(
        c.cmd(&["EVALSHA", &cached, "0"]),
        bulk("sc:load:cached by eval")
    );

    assert_eq!(
        c.cmd(&["SCRIPT", "LOAD", "return ("]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    assert_eq!(c.cmd(&["SCRIPT", "LOAD"]), arity_err("script|load"));
    assert_eq!(
        c.cmd(&["SCRIPT", "LOAD", "a", "b"]),
        arity_err("script|load")
    );
    assert_eq!(c.cmd(&["SCRIPT", "EXISTS"]), arity_err("script|exists"));
    assert_eq!(c.cmd(&["SCRIPT", "KILL", "x"]), arity_err("script|kill"));
    assert_eq!(c.cmd(&["SCRIPT"]), arity_err("script"));
    assert_eq!(
        c.cmd(&["SCRIPT", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try SCRIPT HELP.")
    );
    assert_eq!(
        c.cmd(&["SCRIPT", "FLUSH", "FOO"]),
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    );
    assert_eq!(
        c.cmd(&["SCRIPT", "FLUSH", "SYNC", "ASYNC"]),
        err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    );
    assert_eq!(
        c.cmd(&["SCRIPT", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
}

/// Connections are spread over the server's threads: a script loaded through any of them must
/// run through all of them.
#[test]
fn scripts_loaded_on_one_connection_run_on_every_connection() {
    let server = shared();
    let mut conns: Vec<RawConn> = (0..8).map(|_| server.raw()).collect();
    for i in 0..conns.len() {
        let body = format!("return 'sc:every:{i}:' .. ARGV[1]");
        let sha = conns[i].cmd(&["SCRIPT", "LOAD", &body]).as_str();
        for (j, c) in conns.iter_mut().enumerate() {
            assert_eq!(c.cmd(&["SCRIPT", "EXISTS", &sha]), arr(vec![int(1)]));
            assert_eq!(
                c.cmd(&["EVALSHA", &sha, "0", &j.to_string()]),
                bulk(format!("sc:every:{i}:{j}"))
            );
        }
    }
    let body = "return 'sc:every:by eval'";
    assert_eq!(
        eval(&mut conns[3], body, &[], &[]),
        bulk("sc:every:by eval")
    );
    let sha = sha_of(&mut conns[0], body);
    for c in conns.iter_mut() {
        assert_eq!(c.cmd(&["EVALSHA", &sha, "0"]), bulk("sc:every:by eval"));
    }
}

#[test]
fn script_flush_forgets_scripts_on_every_connection() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut conns: Vec<RawConn> = (0..6).map(|_| server.raw()).collect();
    let noscript = err("NOSCRIPT No matching script. Please use EVAL.");
    for mode in [None, Some("ASYNC"), Some("SYNC")] {
        let shas: Vec<String> = (0..conns.len())
            .map(|i| {
                let body = format!("return {i}");
                conns[i].cmd(&["SCRIPT", "LOAD", &body]).as_str()
            })
            .collect();
        let mut exists = vec!["SCRIPT", "EXISTS"];
        exists.extend(shas.iter().map(String::as_str));
        let flush = match mode {
            None => vec!["SCRIPT", "FLUSH"],
            Some(m) => vec!["SCRIPT", "FLUSH", m],
        };
        assert_eq!(conns[1].cmd(&exists), arr(vec![int(1); shas.len()]));
        assert_eq!(conns[1].cmd(&flush), ok(), "{mode:?}");
        for c in conns.iter_mut() {
            assert_eq!(c.cmd(&exists), arr(vec![int(0); shas.len()]), "{mode:?}");
            for s in &shas {
                assert_eq!(c.cmd(&["EVALSHA", s, "0"]), noscript);
            }
        }
    }
}

#[test]
fn eval_inside_multi_runs_at_exec() {
    let mut c = shared().raw();
    let k = "sc:multi:k";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    let body = "return redis.call('incr', KEYS[1])";
    let sha = sha_of(&mut c, body);
    let failed = script_err(&mut c, "error('x')", "ERR user_script:1: x", 1);
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(eval(&mut c, body, &[k], &[]), simple("QUEUED"));
    assert_eq!(c.cmd(&["EVALSHA", &sha, "1", k]), simple("QUEUED"));
    assert_eq!(eval(&mut c, "error('x')", &[], &[]), simple("QUEUED"));
    assert_eq!(c.cmd(&["GET", k]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![int(1), int(2), failed, bulk("2")])
    );
}

/// BLMPOP and BZMPOP may run in a script (the other blocking commands are noscript), where
/// they never wait: nothing there answers nil at once, even with a timeout of 0.
#[test]
fn blocking_pops_in_scripts_answer_at_once() {
    let mut c = shared().raw();
    let (l, z) = ("{sc:bpop}l", "{sc:bpop}z");
    c.del(&[l, z]);
    let body = "return {redis.call('blmpop', 0, 1, KEYS[1], 'left'), \
                redis.call('bzmpop', 0, 1, KEYS[2], 'max', 'count', 5)}";
    assert_eq!(eval(&mut c, body, &[l, z], &[]), arr(vec![nil(), nil()]));
    c.cmd(&["RPUSH", l, "a", "b"]);
    c.cmd(&["ZADD", z, "1", "m"]);
    assert_eq!(
        eval(&mut c, body, &[l, z], &[]),
        arr(vec![
            arr(vec![bulk(l), arr(vec![bulk("a")])]),
            arr(vec![bulk(z), arr(vec![arr(vec![bulk("m"), bulk("1")])])]),
        ])
    );
    c.del(&[l]);
}

/// What redis-py's `register_script` and the redis crate's `Script` do: EVALSHA, and EVAL when
/// the server answers NOSCRIPT.
#[test]
fn redis_crate_script_invocation() {
    let mut con = shared().conn();
    let script = redis::Script::new(
        "-- sc:invoke\nreturn {KEYS[1], ARGV[1], redis.call('incrby', KEYS[1], ARGV[2])}",
    );
    let k = "sc:invoke:k";
    let _: i64 = redis::cmd("DEL").arg(k).query(&mut con).expect("DEL");
    let r: (String, String, i64) = script
        .key(k)
        .arg("a")
        .arg(5)
        .invoke(&mut con)
        .expect("first invoke");
    assert_eq!(r, (k.to_string(), "a".to_string(), 5));
    let r: (String, String, i64) = script
        .key(k)
        .arg("b")
        .arg(2)
        .invoke(&mut con)
        .expect("second invoke");
    assert_eq!(r, (k.to_string(), "b".to_string(), 7));
    let exists: Vec<bool> = redis::cmd("SCRIPT")
        .arg("EXISTS")
        .arg(script.get_hash())
        .query(&mut con)
        .expect("SCRIPT EXISTS");
    assert_eq!(exists, vec![true]);

    let failing = redis::Script::new("-- sc:invoke failing\nreturn redis.call('incr', KEYS[1])");
    let _: () = redis::cmd("SET")
        .arg("sc:invoke:s")
        .arg("abc")
        .query(&mut con)
        .expect("SET");
    let e = failing
        .key("sc:invoke:s")
        .invoke::<i64>(&mut con)
        .expect_err("not an integer");
    assert_eq!(e.code(), Some("ERR"));
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

#[test]
fn lua_values_become_redis_replies() {
    let mut c = shared().raw();
    let cases: Vec<(&str, Resp)> = vec![
        ("return 3.99", int(3)),
        ("return -3.99", int(-3)),
        ("return 0", int(0)),
        ("return 2^53", int(9007199254740992)),
        ("return 'hello'", bulk("hello")),
        ("return ''", bulk("")),
        ("return {1,2,nil,4}", arr(vec![int(1), int(2)])),
        ("return {}", arr(vec![])),
        (
            "return {1,'a',{2,{3}},true,false}",
            arr(vec![
                int(1),
                bulk("a"),
                arr(vec![int(2), arr(vec![int(3)])]),
                int(1),
                nil(),
            ]),
        ),
        ("return {ok='fine'}", simple("fine")),
        ("return {ok=''}", simple("")),
        ("return {err='bad thing'}", err("bad thing")),
        ("return {err='MYERR custom'}", err("MYERR custom")),
        // err wins over ok, whichever comes first.
        ("return {ok='a', err='b'}", err("b")),
        ("return {err='a', ok='b'}", err("a")),
        // ok/err must be strings; other tables are arrays of their sequence part.
        ("return {ok=1}", arr(vec![])),
        ("return {err=1}", arr(vec![])),
        ("return {a=1,b=2}", arr(vec![])),
        ("return {1,2,x=3}", arr(vec![int(1), int(2)])),
        (
            "return {1,{ok='x'},{err='y'},false,3.5}",
            arr(vec![int(1), simple("x"), err("y"), nil(), int(3)]),
        ),
        ("return false", nil()),
        ("return nil", nil()),
        ("return", nil()),
        ("return true", int(1)),
        ("return redis.error_reply('xx')", err("ERR xx")),
        ("return redis.error_reply('MYERR xx')", err("MYERR xx")),
        ("return redis.error_reply('-MYERR xx')", err("MYERR xx")),
        ("return redis.error_reply('')", err("ERR ")),
        ("return redis.status_reply('FINE')", simple("FINE")),
        ("return redis.status_reply('a b')", simple("a b")),
        (
            "return redis.error_reply()",
            err("ERR wrong number or type of arguments"),
        ),
        (
            "return redis.error_reply(1)",
            err("ERR wrong number or type of arguments"),
        ),
        (
            "return redis.status_reply()",
            err("ERR wrong number or type of arguments"),
        ),
        // RESP3 shapes degrade for a RESP2 client.
        ("return {double=3.5}", bulk("3.5")),
        ("return {double='3.5'}", arr(vec![])),
        ("return {map={a=1}}", arr(vec![bulk("a"), int(1)])),
        ("return {set={a=true}}", bulks(&["a"])),
        (
            "return {big_number='123456789012345678901234567890'}",
            bulk("123456789012345678901234567890"),
        ),
        (
            "return {verbatim_string={format='txt', string='hello'}}",
            bulk("hello"),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &[], &[]), want, "{body}");
    }
}

#[test]
fn redis_replies_become_lua_values() {
    let mut c = shared().raw();
    let (h, l, z, s, n) = (
        "sc:r2l:{h}",
        "sc:r2l:{h}l",
        "sc:r2l:{h}z",
        "sc:r2l:{h}s",
        "sc:r2l:{h}n",
    );
    assert_eq!(c.cmd(&["DEL", h, l, z, s, n]), int(0));
    let keys = [h, l, z, s, n];
    let cases: Vec<(&str, Resp)> = vec![
        (
            "return {type(redis.call('get', KEYS[5])), tostring(redis.call('get', KEYS[5]))}",
            bulks(&["boolean", "false"]),
        ),
        (
            "local r = redis.call('set', KEYS[5], 'v'); return {type(r), r.ok}",
            bulks(&["table", "OK"]),
        ),
        ("return redis.call('set', KEYS[5], 'v')", ok()),
        (
            "local r = redis.call('incr', KEYS[1]); return {type(r), r}",
            arr(vec![bulk("number"), int(1)]),
        ),
        (
            "redis.call('rpush', KEYS[2], 'a', 'b'); local r = redis.call('lrange', KEYS[2], 0, -1); return {type(r), #r, r[1], r[2]}",
            arr(vec![bulk("table"), int(2), bulk("a"), bulk("b")]),
        ),
        ("return redis.call('lrange', KEYS[4], 0, -1)", arr(vec![])),
        ("return redis.call('hgetall', KEYS[4])", arr(vec![])),
        ("return redis.call('ping')", simple("PONG")),
        ("return redis.call('echo', 'x')", bulk("x")),
        ("return redis.call('type', KEYS[2])", simple("list")),
        ("return redis.call('exists', KEYS[4])", int(0)),
        // A double reply is a bulk string in RESP2.
        (
            "redis.call('zadd', KEYS[3], 1.5, 'm'); local r = redis.call('zscore', KEYS[3], 'm'); return {type(r), r}",
            arr(vec![bulk("string"), bulk("1.5")]),
        ),
        // A Lua number argument is sent with 17 significant digits ("%.17g"): 0.1 is not "0.1".
        (
            "return redis.call('incrbyfloat', KEYS[4], 0.1)",
            bulk("0.10000000000000001"),
        ),
        // Command names are case-insensitive.
        (
            "redis.call('SeT', KEYS[4], 1.5); local a = redis.call('GET', KEYS[4]); redis.call('set', KEYS[4], 1e15); local b = redis.call('get', KEYS[4]); redis.call('set', KEYS[4], -0.25); return {a, b, redis.call('get', KEYS[4])}",
            bulks(&["1.5", "1000000000000000", "-0.25"]),
        ),
        // Error replies: redis.pcall returns them as {err=...}; redis.call raises them.
        (
            "local r = redis.pcall('incr', KEYS[2]); return {type(r), r.err}",
            arr(vec![
                bulk("table"),
                bulk("WRONGTYPE Operation against a key holding the wrong kind of value"),
            ]),
        ),
        (
            "return redis.pcall('incr', KEYS[2])",
            err("WRONGTYPE Operation against a key holding the wrong kind of value"),
        ),
        (
            "local ok, e = pcall(redis.call, 'incr', KEYS[2]); return {tostring(ok), type(e), e}",
            bulks(&[
                "false",
                "string",
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ]),
        ),
        (
            "local ok, e = pcall(function() error('x') end); return {tostring(ok), e}",
            bulks(&["false", "user_script:1: x"]),
        ),
        (
            "return {redis.call('get', KEYS[5]), 'after'}",
            bulks(&["v", "after"]),
        ),
        // A nil bulk inside an array is false, so the table keeps going.
        (
            "local r = redis.call('mget', KEYS[4], KEYS[1], KEYS[4]); return {#r, tostring(r[1]), r[2], tostring(r[3])}",
            arr(vec![int(3), bulk("-0.25"), bulk("1"), bulk("-0.25")]),
        ),
        (
            "local r = redis.call('mget', 'sc:r2l:{h}none', KEYS[1]); return {#r, tostring(r[1]), r[2]}",
            arr(vec![int(2), bulk("false"), bulk("1")]),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &keys, &[]), want, "{body}");
    }
}

/// `redis.setresp(3)` changes what the script receives; what the client receives depends on the
/// client's protocol.
#[test]
fn resp3_conversions() {
    let server = shared();
    let mut c2 = server.raw();
    let mut c3 = server.raw();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Resp::Map(_)));
    let (h, s, z) = ("sc:resp3:{k}h", "sc:resp3:{k}s", "sc:resp3:{k}z");
    assert_eq!(c2.cmd(&["DEL", h, s, z]), int(0));
    assert_eq!(c2.cmd(&["HSET", h, "f", "v"]), int(1));
    assert_eq!(c2.cmd(&["SADD", s, "m"]), int(1));
    assert_eq!(c2.cmd(&["ZADD", z, "1.5", "m"]), int(1));
    let keys = [h, s, z, "sc:resp3:{k}none"];
    let double = || Resp::Double("1.5".into());
    // (script, reply to a RESP2 client, reply to a RESP3 client)
    let cases: Vec<(&str, Resp, Resp)> = vec![
        (
            "redis.setresp(3); return redis.call('hgetall', KEYS[1])",
            bulks(&["f", "v"]),
            Resp::Map(vec![(bulk("f"), bulk("v"))]),
        ),
        (
            "redis.setresp(3); return redis.call('hgetall', KEYS[4])",
            arr(vec![]),
            Resp::Map(vec![]),
        ),
        (
            "redis.setresp(3); return redis.call('smembers', KEYS[2])",
            bulks(&["m"]),
            Resp::Set(vec![bulk("m")]),
        ),
        (
            "redis.setresp(3); return redis.call('zscore', KEYS[3], 'm')",
            bulk("1.5"),
            double(),
        ),
        (
            "redis.setresp(3); return redis.call('zrange', KEYS[3], 0, -1, 'withscores')",
            arr(vec![bulks(&["m", "1.5"])]),
            arr(vec![arr(vec![bulk("m"), double()])]),
        ),
        (
            "redis.setresp(3); return redis.call('get', KEYS[4])",
            nil(),
            Resp::Null,
        ),
        (
            "redis.setresp(3); local r = redis.call('hgetall', KEYS[1]); return {type(r), type(r.map), r.map.f}",
            bulks(&["table", "table", "v"]),
            bulks(&["table", "table", "v"]),
        ),
        (
            "redis.setresp(3); local r = redis.call('smembers', KEYS[2]); return {type(r.set), tostring(r.set.m)}",
            bulks(&["table", "true"]),
            bulks(&["table", "true"]),
        ),
        (
            "redis.setresp(3); local r = redis.call('zscore', KEYS[3], 'm'); return {type(r), type(r.double), tostring(r.double)}",
            bulks(&["table", "number", "1.5"]),
            bulks(&["table", "number", "1.5"]),
        ),
        // A RESP3 null is Lua nil: it ends a table.
        (
            "redis.setresp(3); local r = redis.call('get', KEYS[4]); return {type(r)}",
            bulks(&["nil"]),
            bulks(&["nil"]),
        ),
        (
            "redis.setresp(3); return {1, redis.call('get', KEYS[4]), 3}",
            arr(vec![int(1)]),
            arr(vec![int(1)]),
        ),
        ("redis.setresp(3); return true", int(1), Resp::Bool(true)),
        ("redis.setresp(3); return false", int(0), Resp::Bool(false)),
        ("redis.setresp(3); return nil", nil(), Resp::Null),
        ("return false", nil(), Resp::Null),
        ("return true", int(1), int(1)),
        ("return nil", nil(), Resp::Null),
        (
            "redis.setresp(3); return redis.call('exists', KEYS[1])",
            int(1),
            int(1),
        ),
        ("return {double=3.5}", bulk("3.5"), Resp::Double("3.5".into())),
        ("return {double=1/0}", bulk("inf"), Resp::Double("inf".into())),
        (
            "return {map={a=1}}",
            arr(vec![bulk("a"), int(1)]),
            Resp::Map(vec![(bulk("a"), int(1))]),
        ),
        (
            "return {map={a={map={b='c'}}}}",
            arr(vec![bulk("a"), bulks(&["b", "c"])]),
            Resp::Map(vec![(bulk("a"), Resp::Map(vec![(bulk("b"), bulk("c"))]))]),
        ),
        (
            "return {set={x=true}}",
            bulks(&["x"]),
            Resp::Set(vec![bulk("x")]),
        ),
        (
            "return {big_number='123456789012345678901234567890'}",
            bulk("123456789012345678901234567890"),
            Resp::BigNumber("123456789012345678901234567890".into()),
        ),
        (
            "return {verbatim_string={format='txt', string='hello'}}",
            bulk("hello"),
            Resp::Verbatim("txt".into(), b"hello".to_vec()),
        ),
        // Back to RESP2 inside the script: RESP2 shapes for both clients.
        (
            "redis.setresp(3); redis.setresp(2); return redis.call('hgetall', KEYS[1])",
            bulks(&["f", "v"]),
            bulks(&["f", "v"]),
        ),
        (
            "return redis.call('zscore', KEYS[3], 'm')",
            bulk("1.5"),
            bulk("1.5"),
        ),
    ];
    for (body, want2, want3) in cases {
        assert_eq!(eval(&mut c2, body, &keys, &[]), want2, "RESP2: {body}");
        assert_eq!(eval(&mut c3, body, &keys, &[]), want3, "RESP3: {body}");
    }
    for c in [&mut c2, &mut c3] {
        assert_raises(
            c,
            "return redis.setresp(4)",
            "ERR RESP version must be 2 or 3.",
        );
        assert_raises(
            c,
            "return redis.setresp()",
            "ERR redis.setresp() requires one argument.",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[test]
fn compile_errors() {
    let mut c = shared().raw();
    assert_eq!(
        eval(&mut c, "return (", &[], &[]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'")
    );
    assert_eq!(
        eval(&mut c, "\nreturn (", &[], &[]),
        err("ERR Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'")
    );
    assert_eq!(
        eval(&mut c, "local x = = 1", &[], &[]),
        err("ERR Error compiling script (new function): user_script:1: unexpected symbol near '='")
    );
    assert_eq!(
        eval(&mut c, "return 'abc", &[], &[]),
        err("ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'")
    );
}

#[test]
fn runtime_errors_name_the_script_and_line() {
    let mut c = shared().raw();
    let k = "sc:rterr:list";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    assert_eq!(c.cmd(&["RPUSH", k, "a"]), int(1));
    let cases: Vec<(&str, &str)> = vec![
        ("error('boom')", "ERR user_script:1: boom"),
        ("error('MYCODE hello')", "ERR user_script:1: MYCODE hello"),
        ("error('x', 0)", "ERR x"),
        ("error()", "ERR nil"),
        ("error(3)", "ERR user_script:1: 3"),
        ("error({err='TAB y'})", "TAB y"),
        ("error({err='ERR'})", "ERR"),
        (
            "local t = nil; return t.x",
            "ERR user_script:1: attempt to index local 't' (a nil value)",
        ),
        (
            "return 1 + {}",
            "ERR user_script:1: attempt to perform arithmetic on a table value",
        ),
        (
            "return redis.call('nosuchcmd')",
            "ERR Unknown Redis command called from script",
        ),
        (
            "return redis.call('get')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call('set', 'sc:rterr:x')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call()",
            "ERR Please specify at least one argument for this redis lib call",
        ),
        (
            "return redis.call({})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('get', {})",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('get', nil)",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('set', 'sc:rterr:x', true)",
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            "return redis.call('incr', 'sc:rterr:list')",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ),
        (
            "return redis.call('lpush', 'sc:rterr:list')",
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            "return redis.call('set', 'sc:rterr:x', 'v', 'nx', 'xx')",
            "ERR syntax error",
        ),
        // Commands flagged noscript.
        (
            "return redis.call('eval', 'return 1', '0')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('script', 'load', 'return 1')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('multi')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('subscribe', 'sc:rterr:ch')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('blpop', 'sc:rterr:list', 0)",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('brpoplpush', 'sc:rterr:list', 'sc:rterr:list', 0)",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('bzpopmax', 'sc:rterr:z', 0)",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('hello')",
            "ERR This Redis command is not allowed from script",
        ),
        (
            "return redis.call('config', 'get', 'maxmemory')",
            "ERR This Redis command is not allowed from script",
        ),
        ("return redis.sha1hex()", "ERR wrong number of arguments"),
        (
            "return redis.log(redis.LOG_WARNING)",
            "ERR redis.log() requires two arguments or more.",
        ),
        ("return redis.log(99, 'x')", "ERR Invalid debug level."),
        (
            "return redis.set_repl(99)",
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ),
    ];
    for (body, msg) in cases {
        assert_raises(&mut c, body, msg);
    }
    let body = "local a = 1\nlocal b = 2\nerror('third line')";
    let want = script_err(&mut c, body, "ERR user_script:3: third line", 3);
    assert_eq!(eval(&mut c, body, &[], &[]), want);
    let body = "local a = 1\nreturn redis.call('incr', KEYS[1])";
    let want = script_err(
        &mut c,
        body,
        "WRONGTYPE Operation against a key holding the wrong kind of value",
        2,
    );
    assert_eq!(eval(&mut c, body, &[k], &[]), want);
}

/// redis.pcall turns the same failures into error tables the script can inspect or return.
#[test]
fn pcall_returns_errors_as_tables() {
    let mut c = shared().raw();
    let k = "sc:pcall:list";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    assert_eq!(c.cmd(&["RPUSH", k, "a"]), int(1));
    let cases: Vec<(&str, Resp)> = vec![
        (
            "return redis.pcall('nosuch')",
            err("ERR Unknown Redis command called from script"),
        ),
        (
            "return redis.pcall('get')",
            err("ERR Wrong number of args calling Redis command from script"),
        ),
        (
            "return redis.pcall('get', {})",
            err("ERR Lua redis lib command arguments must be strings or integers"),
        ),
        (
            "return redis.pcall()",
            err("ERR Please specify at least one argument for this redis lib call"),
        ),
        (
            "return redis.pcall('eval', 'return 1', '0')",
            err("ERR This Redis command is not allowed from script"),
        ),
        (
            "return redis.pcall('incr', KEYS[1])",
            err("WRONGTYPE Operation against a key holding the wrong kind of value"),
        ),
        (
            "local e = redis.pcall('incr', KEYS[1]); return {'caught', e.err}",
            bulks(&[
                "caught",
                "WRONGTYPE Operation against a key holding the wrong kind of value",
            ]),
        ),
        (
            "local e = redis.pcall('incr', KEYS[1]); return redis.pcall('lpop', KEYS[1])",
            bulk("a"),
        ),
        ("return {err='returned error'}", err("returned error")),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &[k], &[]), want, "{body}");
    }
}

/// Redis does not roll back: writes done before the error stay, on one shard or on several.
#[test]
fn a_script_that_fails_midway_keeps_its_earlier_writes() {
    let server = shared();
    let mut c = server.raw();
    let keys = spread_keys("sc:midway:", 4, server.shards());
    let k: Vec<&str> = keys.iter().map(String::as_str).collect();
    c.del(&k);

    // Declared keys on every shard; the third write fails.
    let body = "redis.call('set', KEYS[1], 'a'); redis.call('set', KEYS[2], 'b'); redis.call('incr', KEYS[2]); redis.call('set', KEYS[3], 'c')";
    let want = script_err(
        &mut c,
        body,
        "ERR value is not an integer or out of range",
        1,
    );
    assert_eq!(eval(&mut c, body, &k, &[]), want);
    let mut mget = vec!["MGET"];
    mget.extend(&k);
    assert_eq!(c.cmd(&mget), arr(vec![bulk("a"), bulk("b"), nil(), nil()]));

    // Undeclared keys built from ARGV, a Lua error after the writes.
    c.del(&k);
    let body = "for i, key in ipairs(ARGV) do redis.call('set', key, i) end error('after writes')";
    let want = script_err(&mut c, body, "ERR user_script:1: after writes", 1);
    assert_eq!(eval(&mut c, body, &[], &k), want);
    assert_eq!(c.cmd(&mget), bulks(&["1", "2", "3", "4"]));

    // An error table returned after writes is only a reply.
    c.del(&k);
    let body =
        "redis.call('set', KEYS[1], 'x'); redis.call('set', ARGV[1], 'y'); return {err='custom'}";
    assert_eq!(eval(&mut c, body, &[k[0]], &[k[3]]), err("custom"));
    assert_eq!(c.cmd(&mget), arr(vec![bulk("x"), nil(), nil(), bulk("y")]));
}

// ---------------------------------------------------------------------------------------------
// The environment
// ---------------------------------------------------------------------------------------------

#[test]
fn globals_are_protected() {
    let mut c = shared().raw();
    let missing = |name: &str| {
        format!(
            "ERR user_script:1: Script attempted to access nonexistent global variable '{name}'"
        )
    };
    let readonly = "ERR user_script:1: Attempt to modify a readonly table";
    let cases: Vec<(&str, String)> = vec![
        ("return x", missing("x")),
        ("local a = undefinedvar", missing("undefinedvar")),
        ("return nosuch.x", missing("nosuch")),
        ("x = 5", readonly.into()),
        ("redis = 5", readonly.into()),
        ("redis.call = 5", readonly.into()),
        ("redis.newfield = 5", readonly.into()),
        ("string.foo = 1", readonly.into()),
        ("string.len = nil", readonly.into()),
        ("cjson.encode = nil", readonly.into()),
        ("_G.x = 1", readonly.into()),
        ("ARGV = {}", readonly.into()),
        (
            "rawset(_G, 'x', 1)",
            "ERR Attempt to modify a readonly table".into(),
        ),
        (
            "setmetatable(_G, nil)",
            "ERR Attempt to modify a readonly table".into(),
        ),
        ("function f() end", readonly.into()),
        // Not in Redis 7.0's sandbox at all (os included).
        ("return type(io)", missing("io")),
        ("return type(os)", missing("os")),
        ("return os.clock()", missing("os")),
        ("return type(loadfile)", missing("loadfile")),
        ("return type(dofile)", missing("dofile")),
        ("print('hi')", missing("print")),
        ("return type(require)", missing("require")),
        ("return type(module)", missing("module")),
        ("return type(debug)", missing("debug")),
        ("return type(newproxy)", missing("newproxy")),
        ("return type(getfenv)", missing("getfenv")),
        ("return type(setfenv)", missing("setfenv")),
    ];
    for (body, msg) in cases {
        assert_raises(&mut c, body, &msg);
    }
    // Locals are fine, and a failed write leaves nothing behind for the next script.
    assert_eq!(
        eval(
            &mut c,
            "local x = 5; local function f() return x end; return f()",
            &[],
            &[]
        ),
        int(5)
    );
    assert_raises(&mut c, "return x", &missing("x"));
    assert_eq!(
        eval(&mut c, "return redis.sha1hex('abc')", &[], &[]),
        bulk("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
}

#[test]
fn the_global_table_holds_what_redis_provides() {
    let mut c = shared().raw();
    let sorted_keys = |t: &str| {
        format!("local t = {{}} for k in pairs({t}) do t[#t+1] = k end table.sort(t) return t")
    };
    assert_eq!(
        eval(&mut c, &sorted_keys("_G"), &[], &[]),
        bulks(&[
            "ARGV",
            "KEYS",
            "_G",
            "_VERSION",
            "__redis__err__handler",
            "assert",
            "bit",
            "cjson",
            "cmsgpack",
            "collectgarbage",
            "coroutine",
            "error",
            "gcinfo",
            "getmetatable",
            "ipairs",
            "load",
            "loadstring",
            "math",
            "next",
            "pairs",
            "pcall",
            "rawequal",
            "rawget",
            "rawset",
            "redis",
            "select",
            "setmetatable",
            "string",
            "struct",
            "table",
            "tonumber",
            "tostring",
            "type",
            "unpack",
            "xpcall",
        ])
    );
    assert_eq!(
        eval(&mut c, &sorted_keys("redis"), &[], &[]),
        bulks(&[
            "LOG_DEBUG",
            "LOG_NOTICE",
            "LOG_VERBOSE",
            "LOG_WARNING",
            "REDIS_VERSION",
            "REDIS_VERSION_NUM",
            "REPL_ALL",
            "REPL_AOF",
            "REPL_NONE",
            "REPL_REPLICA",
            "REPL_SLAVE",
            "acl_check_cmd",
            "breakpoint",
            "call",
            "debug",
            "error_reply",
            "log",
            "pcall",
            "replicate_commands",
            "set_repl",
            "setresp",
            "sha1hex",
            "status_reply",
        ])
    );
    let cases: Vec<(&str, Resp)> = vec![
        ("return _VERSION", bulk("Lua 5.1")),
        ("return redis.REDIS_VERSION", bulk("7.0.15")),
        ("return redis.REDIS_VERSION_NUM", int(0x07000f)),
        (
            "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
            arr(vec![int(0), int(1), int(2), int(3)]),
        ),
        (
            "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
            arr(vec![int(0), int(1), int(2), int(2), int(3)]),
        ),
        ("return redis.log(redis.LOG_WARNING, 'sc:env', 'logged')", nil()),
        ("return redis.set_repl(redis.REPL_ALL)", nil()),
        ("return redis.replicate_commands()", int(1)),
        ("return redis.breakpoint()", nil()),
        ("return redis.debug('x')", nil()),
        ("return type(load)", bulk("function")),
        ("return loadstring('return 1 + 1')()", int(2)),
        ("return type(coroutine)", bulk("table")),
        ("return unpack({1, 2})", int(1)),
        ("return select('#', 1, 2, 3)", int(3)),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &[], &[]), want, "{body}");
    }
}

/// SELECT inside a script changes the database for the rest of the script only.
#[test]
fn select_inside_a_script_does_not_leak_to_the_caller() {
    let mut c = shared().raw();
    let k = "sc:select:k";
    assert_eq!(c.cmd(&["SET", k, "db0"]), ok());
    assert_eq!(
        eval(
            &mut c,
            "redis.call('select', 9); redis.call('set', KEYS[1], 'db9'); return redis.call('get', KEYS[1])",
            &[k],
            &[]
        ),
        bulk("db9")
    );
    assert_eq!(c.cmd(&["GET", k]), bulk("db0"));
    assert_eq!(c.cmd(&["SELECT", "9"]), ok());
    assert_eq!(c.cmd(&["GET", k]), bulk("db9"));
    assert_eq!(c.cmd(&["DEL", k]), int(1));
    assert_eq!(
        eval(&mut c, "return redis.call('get', KEYS[1])", &[k], &[]),
        nil()
    );
}

#[test]
fn bundled_libraries() {
    let mut c = shared().raw();
    let cases: Vec<(&str, Resp)> = vec![
        // cjson
        ("return cjson.encode({1,2,3})", bulk("[1,2,3]")),
        ("return cjson.encode({a=1})", bulk("{\"a\":1}")),
        ("return cjson.encode({})", bulk("{}")),
        ("return cjson.encode({a={}})", bulk("{\"a\":{}}")),
        ("return cjson.encode(cjson.null)", bulk("null")),
        ("return cjson.encode({1,cjson.null,3})", bulk("[1,null,3]")),
        ("return cjson.encode({[1]=1,[3]=3})", bulk("[1,null,3]")),
        ("return cjson.encode('a\"b/c\\n')", bulk("\"a\\\"b\\/c\\n\"")),
        ("return cjson.encode(3.5)", bulk("3.5")),
        ("return cjson.encode(0.1)", bulk("0.1")),
        ("return cjson.encode(1e20)", bulk("1e+20")),
        ("return cjson.encode(123456789)", bulk("123456789")),
        ("return cjson.encode(true)", bulk("true")),
        ("return cjson.encode({a={b={c=1}}})", bulk("{\"a\":{\"b\":{\"c\":1}}}")),
        ("return cjson.encode({'x', {y=true}})", bulk("[\"x\",{\"y\":true}]")),
        ("return cjson.decode('[1,2,3]')", arr(vec![int(1), int(2), int(3)])),
        (
            "local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}'); return {t.a[1], t.a[3].b == cjson.null, t.c, type(t.a[3].b)}",
            arr(vec![int(1), int(1), bulk("x"), bulk("userdata")]),
        ),
        ("return cjson.decode('{\"a\":1.5}').a", int(1)),
        ("return tostring(cjson.decode('{\"a\":1.5}').a)", bulk("1.5")),
        ("return cjson.decode('\"str\"')", bulk("str")),
        ("return cjson.decode('null') == cjson.null", int(1)),
        ("return type(cjson.null)", bulk("userdata")),
        // An empty JSON array comes back as an object: Lua cannot tell them apart.
        ("return cjson.encode(cjson.decode('[]'))", bulk("{}")),
        ("return cjson.encode(cjson.decode('{}'))", bulk("{}")),
        // cmsgpack
        (
            "local s = cmsgpack.pack({1,2,'three',{a=1}}); local t = cmsgpack.unpack(s); return {#s, t[1], t[2], t[3], t[4].a}",
            arr(vec![int(13), int(1), int(2), bulk("three"), int(1)]),
        ),
        ("return cmsgpack.pack(1, 2)", bulk(b"\x01\x02")),
        ("return cmsgpack.pack('abc')", bulk(b"\xa3abc")),
        ("return cmsgpack.pack({a=1})", bulk(b"\x81\xa1a\x01")),
        ("return cmsgpack.pack(-1)", bulk(b"\xff")),
        ("return cmsgpack.pack(3.5)", bulk(b"\xca\x40\x60\x00\x00")),
        ("return cmsgpack.pack(nil)", bulk(b"\xc0")),
        (
            "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', true))}",
            arr(vec![int(1), bulk("a"), int(1)]),
        ),
        // bit
        (
            "return {bit.band(12, 10), bit.bor(12, 10), bit.bxor(12, 10), bit.bnot(0), bit.lshift(1, 10), bit.rshift(256, 4), bit.arshift(-256, 4), bit.tohex(255), bit.tobit(4294967297)}",
            arr(vec![
                int(8),
                int(14),
                int(6),
                int(-1),
                int(1024),
                int(16),
                int(-16),
                bulk("000000ff"),
                int(1),
            ]),
        ),
        ("return bit.tohex(255, -4)", bulk("00FF")),
        ("return bit.rol(1, 33)", int(2)),
        ("return bit.bswap(1)", int(16777216)),
        // struct
        ("return struct.pack('>I2', 258)", bulk(b"\x01\x02")),
        (
            "return {struct.unpack('>I2', struct.pack('>I2', 258))}",
            arr(vec![int(258), int(3)]),
        ),
        (
            "return {struct.unpack('<i4 b', struct.pack('<i4 b', -5, 7))}",
            arr(vec![int(-5), int(7), int(6)]),
        ),
        ("return struct.size('>I2i4')", int(6)),
        ("return struct.pack('s', 'ab')", bulk(b"ab\x00")),
        (
            "return {struct.unpack('Bc0', struct.pack('Bc0', 3, 'abc'))}",
            arr(vec![bulk("abc"), int(5)]),
        ),
        // sha1hex
        (
            "return redis.sha1hex('')",
            bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ),
        (
            "return redis.sha1hex(1)",
            bulk("356a192b7913b04c54574d18c28d46e6395428ab"),
        ),
        // math, string, table
        (
            "return {math.min(3,1,2), math.max(3,1,2), math.ceil(2.1), math.floor(2.9), math.abs(-4)}",
            arr(vec![int(1), int(3), int(3), int(2), int(4)]),
        ),
        ("return tostring(math.huge)", bulk("inf")),
        ("return math.pi", int(3)),
        ("return tostring(math.pi)", bulk("3.1415926535898")),
        (
            "return string.format('%d %s %5.2f', 3, 'x', 3.14159)",
            bulk("3 x  3.14"),
        ),
        ("return string.rep('ab', 3)", bulk("ababab")),
        (
            "return {string.byte('A'), string.char(66), string.upper('x'), string.sub('hello', 2, 3)}",
            arr(vec![int(65), bulk("B"), bulk("X"), bulk("el")]),
        ),
        ("return table.concat({1,2,3}, ',')", bulk("1,2,3")),
        ("return tostring(2^53)", bulk("9.007199254741e+15")),
        ("return tostring(0.1)", bulk("0.1")),
        ("return tonumber('0x10')", int(16)),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &[], &[]), want, "{body}");
    }
    let raises: Vec<(&str, &str)> = vec![
        (
            "return cjson.encode(function() end)",
            "ERR user_script:1: Cannot serialise function: type not supported",
        ),
        (
            "return cjson.encode(1/0)",
            "ERR user_script:1: Cannot serialise number: must not be NaN or Inf",
        ),
        (
            "return cjson.decode('[1,2')",
            "ERR user_script:1: Expected comma or array end but found T_END at character 5",
        ),
        (
            "return cjson.decode('')",
            "ERR user_script:1: Expected value but found T_END at character 1",
        ),
        (
            "return cjson.decode()",
            "ERR user_script:1: bad argument #1 to 'decode' (expected 1 argument)",
        ),
        (
            "return cmsgpack.pack()",
            "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)",
        ),
    ];
    for (body, msg) in raises {
        assert_raises(&mut c, body, msg);
    }
}

// ---------------------------------------------------------------------------------------------
// Read-only scripts and shebang flags
// ---------------------------------------------------------------------------------------------

#[test]
fn read_only_scripts_refuse_writes() {
    let mut c = shared().raw();
    let k = "sc:ro:k";
    assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    let refused = "ERR Write commands are not allowed from read-only scripts.";

    let body = "return redis.call('set', KEYS[1], 'x')";
    let want = script_err(&mut c, body, refused, 1);
    assert_eq!(
        c.send_and_read(&keys_command("EVAL_RO", body, &[k], &[])),
        want
    );
    let write_sha = sha_of(&mut c, body);
    assert_eq!(c.cmd(&["EVALSHA_RO", &write_sha, "1", k]), want);
    assert_eq!(
        c.send_and_read(&keys_command(
            "EVAL_RO",
            "return redis.pcall('set', KEYS[1], 'x')",
            &[k],
            &[]
        )),
        err(refused)
    );
    assert_eq!(
        c.send_and_read(&keys_command(
            "EVAL_RO",
            "return redis.call('get', KEYS[1])",
            &[k],
            &[]
        )),
        bulk("v")
    );
    let read_sha = sha_of(&mut c, "return redis.call('get', KEYS[1])");
    assert_eq!(c.cmd(&["EVALSHA_RO", &read_sha, "1", k]), bulk("v"));
    assert_eq!(c.cmd(&["GET", k]), bulk("v"));

    // The no-writes flag makes EVAL read-only too.
    let body = "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'x')";
    let want = script_err(&mut c, body, refused, 2);
    assert_eq!(eval(&mut c, body, &[k], &[]), want);
    assert_eq!(
        eval(
            &mut c,
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            &[k],
            &[]
        ),
        bulk("v")
    );
    // A shebang without no-writes declares a writing script, which *_RO refuses before running.
    assert_eq!(
        c.send_and_read(&keys_command(
            "EVAL_RO",
            "#!lua\nreturn redis.call('get', KEYS[1])",
            &[k],
            &[]
        )),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    assert_eq!(
        c.send_and_read(&keys_command(
            "EVAL_RO",
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            &[k],
            &[]
        )),
        bulk("v")
    );
    assert_eq!(c.cmd(&["GET", k]), bulk("v"));
}

#[test]
fn shebang_lines() {
    let mut c = shared().raw();
    let k = "sc:shebang:k";
    let cases: Vec<(&str, Resp)> = vec![
        ("#!lua\nreturn 1", int(1)),
        ("#!lua flags=\nreturn 1", int(1)),
        ("#!lua  flags=no-writes\nreturn 1", int(1)),
        ("#!lua flags=no-writes,allow-oom\nreturn 1", int(1)),
        ("#!lua flags=allow-cross-slot-keys\nreturn 1", int(1)),
        ("#!lua flags=no-cluster\nreturn 1", int(1)),
        ("#!lua flags=allow-stale\nreturn 1", int(1)),
        ("#!lua flags=allow-oom\nreturn 1", int(1)),
        ("#!lua flags=no-writes flags=allow-oom\nreturn 1", int(1)),
        (
            "#!lua flags=no-writes,bad-flag\nreturn 1",
            err("ERR Unexpected flag in script shebang: bad-flag"),
        ),
        (
            "#!lua name=foo\nreturn 1",
            err("ERR Unknown lua shebang option: name=foo"),
        ),
        (
            "#!lua foo=bar\nreturn 1",
            err("ERR Unknown lua shebang option: foo=bar"),
        ),
        (
            "#!python\nreturn 1",
            err("ERR Unexpected engine in script shebang: #!python"),
        ),
        (
            "#!luaxx\nreturn 1",
            err("ERR Unexpected engine in script shebang: #!luaxx"),
        ),
        ("#!lua", err("ERR Invalid script shebang")),
        ("#!lua flags=no-writes", err("ERR Invalid script shebang")),
        (
            "#!lua\nreturn (",
            err("ERR Error compiling script (new function): user_script:2: unexpected symbol near '<eof>'"),
        ),
        (
            "#!lua flags=allow-cross-slot-keys\nreturn redis.call('set', KEYS[1], 'w')",
            ok(),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(eval(&mut c, body, &[k], &[]), want, "{body}");
    }
    assert_eq!(
        c.cmd(&["SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"]),
        err("ERR Unexpected flag in script shebang: bad")
    );
    assert_eq!(
        c.cmd(&["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"]),
        bulk("77f21361171213377cb083e2ffc2ae24ffdff8fb")
    );
    let body = "#!lua\nerror('x')";
    let want = script_err(&mut c, body, "ERR user_script:2: x", 2);
    assert_eq!(eval(&mut c, body, &[], &[]), want);
}

// ---------------------------------------------------------------------------------------------
// Keys on several shards
// ---------------------------------------------------------------------------------------------

#[test]
fn declared_keys_on_every_shard() {
    let server = shared();
    let mut c = server.raw();
    let keys = spread_keys("sc:declared:", 8, server.shards());
    let k: Vec<&str> = keys.iter().map(String::as_str).collect();
    c.del(&k);
    let values: Vec<String> = (0..k.len()).map(|i| format!("v{i}")).collect();
    let v: Vec<&str> = values.iter().map(String::as_str).collect();

    let mset = "for i, key in ipairs(KEYS) do redis.call('set', key, ARGV[i]) end return redis.call('mget', unpack(KEYS))";
    assert_eq!(eval(&mut c, mset, &k, &v), bulks(&v));
    let mut mget = vec!["MGET"];
    mget.extend(&k);
    assert_eq!(c.cmd(&mget), bulks(&v));

    let body = "local out = {} for i, key in ipairs(KEYS) do out[i] = redis.call('append', key, '+') + redis.call('strlen', KEYS[1]) end redis.call('del', KEYS[#KEYS]) return out";
    assert_eq!(
        eval(&mut c, body, &k, &[]),
        arr(vec![
            int(6),
            int(6),
            int(6),
            int(6),
            int(6),
            int(6),
            int(6),
            int(6)
        ])
    );
    let mut after: Vec<Resp> = v.iter().map(|s| bulk(format!("{s}+"))).collect();
    after[7] = nil();
    assert_eq!(c.cmd(&mget), arr(after));

    // Moving values between shards inside one script.
    let body = "local moved = 0 for i = 2, #KEYS do local v = redis.call('get', KEYS[i]) if v then redis.call('rpush', KEYS[1] .. ':list', v) moved = moved + 1 end end return {moved, redis.call('lrange', KEYS[1] .. ':list', 0, -1)}";
    let list = format!("{}:list", k[0]);
    c.cmd(&["DEL", &list]);
    assert_eq!(
        eval(&mut c, body, &k, &[]),
        arr(vec![
            int(6),
            bulks(&["v1+", "v2+", "v3+", "v4+", "v5+", "v6+"])
        ])
    );
    c.cmd(&["DEL", &list]);
}

/// Scripts that build key names themselves (as queue libraries do) read and write keys on every
/// shard, exactly as with declared keys.
#[test]
fn undeclared_keys_on_every_shard() {
    let server = shared();
    let mut c = server.raw();
    let keys = spread_keys("sc:undeclared:", 8, server.shards());
    let k: Vec<&str> = keys.iter().map(String::as_str).collect();
    c.del(&k);

    let body = "local out = {} for i, key in ipairs(ARGV) do out[#out+1] = redis.call('incrby', key, i) out[#out+1] = redis.call('get', key) end return out";
    let first: Vec<Resp> = (1..=8)
        .flat_map(|i| [int(i), bulk(i.to_string())])
        .collect();
    assert_eq!(eval(&mut c, body, &[], &k), arr(first));
    // The same script again: every key once more.
    let second: Vec<Resp> = (1..=8)
        .flat_map(|i| [int(2 * i), bulk((2 * i).to_string())])
        .collect();
    assert_eq!(eval(&mut c, body, &[], &k), arr(second));
    let by_sha = sha_of(&mut c, body);
    let third: Vec<Resp> = (1..=8)
        .flat_map(|i| [int(3 * i), bulk((3 * i).to_string())])
        .collect();
    assert_eq!(
        c.send_and_read(&keys_command("EVALSHA", &by_sha, &[], &k)),
        arr(third)
    );

    // One declared key plus names derived from it and from ARGV, on other shards.
    let body = "redis.call('incr', KEYS[1]); redis.call('incr', ARGV[1]); redis.call('hset', KEYS[1] .. ':meta', 'by', ARGV[2]); return {redis.call('get', KEYS[1]), redis.call('get', ARGV[1]), redis.call('hget', KEYS[1] .. ':meta', 'by')}";
    let meta = format!("{}:meta", k[0]);
    c.cmd(&["DEL", &meta]);
    assert_eq!(
        eval(&mut c, body, &[k[0]], &[k[3], "me"]),
        bulks(&["4", "13", "me"])
    );
    assert_eq!(c.cmd(&["GET", k[0]]), bulk("4"));
    assert_eq!(c.cmd(&["GET", k[3]]), bulk("13"));
    assert_eq!(c.cmd(&["HGET", &meta, "by"]), bulk("me"));

    // A queue-like script: pop from one list, push onto another, count in a hash.
    let (wait, active, stats) = (
        key_on_shard("sc:undeclared:wait", 1, server.shards()),
        key_on_shard("sc:undeclared:active", 2, server.shards()),
        key_on_shard("sc:undeclared:stats", 3, server.shards()),
    );
    c.cmd(&["DEL", &wait, &active, &stats]);
    assert_eq!(c.cmd(&["RPUSH", &wait, "j1", "j2", "j3"]), int(3));
    let body = "local prefix = ARGV[1] local job = redis.call('lpop', prefix .. 'wait' .. ARGV[2]) if not job then return false end redis.call('rpush', prefix .. 'active' .. ARGV[3], job) redis.call('hincrby', prefix .. 'stats' .. ARGV[4], 'moved', 1) return job";
    let suffix = |full: &str, stem: &str| full.trim_start_matches(stem).to_string();
    let args = [
        "sc:undeclared:".to_string(),
        suffix(&wait, "sc:undeclared:wait"),
        suffix(&active, "sc:undeclared:active"),
        suffix(&stats, "sc:undeclared:stats"),
    ];
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    for job in ["j1", "j2", "j3"] {
        assert_eq!(eval(&mut c, body, &[], &a), bulk(job));
    }
    assert_eq!(eval(&mut c, body, &[], &a), nil());
    assert_eq!(
        c.cmd(&["LRANGE", &active, "0", "-1"]),
        bulks(&["j1", "j2", "j3"])
    );
    assert_eq!(c.cmd(&["HGET", &stats, "moved"]), bulk("3"));
    assert_eq!(c.cmd(&["EXISTS", &wait]), int(0));
}

/// Transfers between accounts on every shard, some scripts declaring their keys and some
/// building them from ARGV, while readers sum all accounts in one script or one MGET: every
/// sum is the same.
#[test]
fn concurrent_scripts_over_every_shard_are_atomic() {
    let server = shared();
    let accounts = spread_keys("sc:acct:", 12, server.shards());
    let mut c = server.raw();
    let mut mset = vec!["MSET".to_string()];
    for a in &accounts {
        mset.push(a.clone());
        mset.push("100".into());
    }
    assert_eq!(c.send_and_read(&mset), ok());
    let total = 100 * accounts.len() as i64;
    let transfer_declared = "local n = tonumber(ARGV[1]) if tonumber(redis.call('get', KEYS[1])) < n then return 0 end redis.call('decrby', KEYS[1], n) redis.call('incrby', KEYS[2], n) return 1";
    let transfer_built = "local n = tonumber(ARGV[3]) if tonumber(redis.call('get', ARGV[1])) < n then return 0 end redis.call('decrby', ARGV[1], n) redis.call('incrby', ARGV[2], n) return 1";
    let sum = "local s = 0 for _, k in ipairs(ARGV) do s = s + tonumber(redis.call('get', k)) end return s";

    thread::scope(|s| {
        for w in 0..4u64 {
            let accounts = &accounts;
            s.spawn(move || {
                let mut c = server.raw();
                let mut rng = SmallRng::seed_from_u64(w);
                for i in 0..60 {
                    let from = rng.gen_range(0..accounts.len());
                    let to = (from + rng.gen_range(1..accounts.len())) % accounts.len();
                    let n = rng.gen_range(1..30).to_string();
                    let (f, t) = (accounts[from].as_str(), accounts[to].as_str());
                    let r = if (w + i) % 2 == 0 {
                        eval(&mut c, transfer_declared, &[f, t], &[&n])
                    } else {
                        eval(&mut c, transfer_built, &[], &[f, t, &n])
                    };
                    assert!(r == int(0) || r == int(1), "transfer: {r:?}");
                }
            });
        }
        for r in 0..2 {
            let accounts = &accounts;
            s.spawn(move || {
                let mut c = server.raw();
                let a: Vec<&str> = accounts.iter().map(String::as_str).collect();
                let mut mget = vec!["MGET"];
                mget.extend(&a);
                for _ in 0..60 {
                    let got = if r == 0 {
                        eval(&mut c, sum, &[], &a).as_int()
                    } else {
                        c.cmd(&mget)
                            .as_array()
                            .iter()
                            .map(|v| v.as_str().parse::<i64>().expect("balance"))
                            .sum()
                    };
                    assert_eq!(got, total);
                }
            });
        }
    });
    let a: Vec<&str> = accounts.iter().map(String::as_str).collect();
    assert_eq!(eval(&mut c, sum, &[], &a), int(total));
}

// ---------------------------------------------------------------------------------------------
// Long scripts: BUSY and SCRIPT KILL
// ---------------------------------------------------------------------------------------------

/// A read-only endless loop: others get -BUSY past busy-reply-threshold, SCRIPT KILL stops it,
/// and the looping client gets Redis's error. The probes touch the script's key.
#[test]
fn script_kill_stops_a_read_only_loop() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        ok()
    );
    let k = "sc:kill:k";
    assert_eq!(admin.cmd(&["SET", k, "v"]), ok());
    let body = "local v = redis.call('get', KEYS[1]) while true do end";
    let sha = sha_of(&mut admin, body);
    drop(admin);

    let mut looping = server.raw();
    start_endless(&mut looping, &keys_command("EVAL", body, &[k], &[]));
    let total = Duration::from_secs(60);
    wait_for_answer(&server, &["GET", k], &busy_err("SCRIPT"), total);
    // FUNCTION STATS reports functions only: during an EVAL it gets the BUSY answer.
    assert_eq!(
        ask_any_conn(
            &server,
            &["FUNCTION", "STATS"],
            Duration::from_secs(2),
            total
        ),
        busy_err("SCRIPT")
    );
    assert_eq!(
        ask_any_conn(&server, &["SCRIPT", "KILL"], Duration::from_secs(2), total),
        ok()
    );
    assert_eq!(
        looping.read(),
        err(&format!(
            "ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:1."
        ))
    );
    assert_eq!(looping.cmd(&["PING"]), simple("PONG"));
    assert_eq!(looping.cmd(&["GET", k]), bulk("v"));
    assert_eq!(
        looping.cmd(&["SCRIPT", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );

    // The same through EVAL_RO and a no-writes shebang.
    let ro = "#!lua flags=no-writes\nlocal v = redis.call('get', KEYS[1]) while true do end";
    let ro_sha = sha_of(&mut looping, ro);
    for (name, body, sha, line) in [("EVAL_RO", body, &sha, 1), ("EVAL", ro, &ro_sha, 2)] {
        start_endless(&mut looping, &keys_command(name, body, &[k], &[]));
        wait_for_answer(&server, &["GET", k], &busy_err("SCRIPT"), total);
        assert_eq!(
            ask_any_conn(&server, &["SCRIPT", "KILL"], Duration::from_secs(2), total),
            ok()
        );
        assert_eq!(
            looping.read(),
            err(&format!(
                "ERR Script killed by user with SCRIPT KILL... script: {sha}, on @user_script:{line}."
            ))
        );
    }

    assert_eq!(
        looping.cmd(&["CONFIG", "SET", "busy-reply-threshold", "5000"]),
        ok()
    );
    assert_eq!(
        looping.cmd(&["CONFIG", "GET", "busy-reply-threshold"]),
        bulks(&["busy-reply-threshold", "5000"])
    );
}

/// A script that wrote cannot be killed: SCRIPT KILL answers -UNKILLABLE, and SHUTDOWN NOSAVE
/// is the way out.
#[test]
fn a_looping_script_that_wrote_is_unkillable() {
    let mut server = start_target(DEFAULT_SHARDS, &[]);
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        ok()
    );
    drop(admin);
    let k = "sc:unkillable:k";
    let mut looping = server.raw();
    start_endless(
        &mut looping,
        &keys_command(
            "EVAL",
            "redis.call('set', KEYS[1], 'started') while true do end",
            &[k],
            &[],
        ),
    );
    let total = Duration::from_secs(60);
    wait_for_answer(&server, &["GET", k], &busy_err("SCRIPT"), total);
    assert_eq!(
        ask_any_conn(&server, &["SCRIPT", "KILL"], Duration::from_secs(2), total),
        unkillable_err()
    );
    assert_eq!(
        ask_any_conn(&server, &["SCRIPT", "KILL"], Duration::from_secs(2), total),
        unkillable_err()
    );
    shutdown_nosave(&mut server, total);
}

/// ferrokv only: a script reaching a key of another shard that it did not declare has its
/// first writes undone, runs again holding every shard, and is counted in INFO as global.
#[test]
fn undeclared_remote_keys_send_a_script_global() {
    let server = shared();
    if !server.is_ferrokv() {
        return;
    }
    let mut c = server.raw();
    let home = key_on_shard("sc:global:home", 0, server.shards());
    let away = key_on_shard("sc:global:away", server.shards() - 1, server.shards());
    c.cmd(&["DEL", &home, &away]);
    let global_scripts = |c: &mut RawConn| -> i64 {
        let info = c.cmd(&["INFO", "stats"]).as_str();
        info.lines()
            .find_map(|l| l.strip_prefix("ferrokv_global_scripts:"))
            .and_then(|v| v.trim().parse().ok())
            .expect("ferrokv_global_scripts in INFO stats")
    };
    let before = global_scripts(&mut c);
    // The declared key is written before the undeclared one is reached: that write is undone
    // when the run is abandoned, so the key ends up incremented once, not twice.
    let body = "redis.call('incr', KEYS[1]) redis.call('incr', ARGV[1]) return {redis.call('get', KEYS[1]), redis.call('get', ARGV[1])} -- sc:global";
    assert_eq!(eval(&mut c, body, &[&home], &[&away]), bulks(&["1", "1"]));
    assert_eq!(global_scripts(&mut c), before + 1);
    assert_eq!(eval(&mut c, body, &[&home], &[&away]), bulks(&["2", "2"]));
    assert_eq!(global_scripts(&mut c), before + 1, "known global at once");
    assert_eq!(c.cmd(&["MGET", &home, &away]), bulks(&["2", "2"]));
}
