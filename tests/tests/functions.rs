//! FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL and FCALL/FCALL_RO with exact replies.
//! Black-box tests: every expectation was read off redis-server 7.0.15, and nothing here assumes
//! how ferrokv stores or runs a library. Run with `FERROKV_TEST_TARGET=redis` to check them
//! against Redis.
//!
//! Libraries are server-wide: tests on the shared server use library and function names of
//! their own; tests that list, flush, dump or restore everything start a server of their own.
//! Redis lists libraries and functions in hash-table order, so listings are compared sorted.

use std::time::Duration;

use ferrokv_tests::*;

fn fcall(c: &mut RawConn, function: &str, keys: &[&str], args: &[&str]) -> Resp {
    c.send_and_read(&keys_command("FCALL", function, keys, args))
}

fn fcall_ro(c: &mut RawConn, function: &str, keys: &[&str], args: &[&str]) -> Resp {
    c.send_and_read(&keys_command("FCALL_RO", function, keys, args))
}

fn load(c: &mut RawConn, code: &str) -> Resp {
    c.cmd(&["FUNCTION", "LOAD", code])
}

/// The error a function raises at run time.
fn function_err(msg: &str, function: &str, line: u32) -> Resp {
    err(&format!(
        "{msg} script: {function}, on @user_function:{line}."
    ))
}

/// One library of a RESP2 FUNCTION LIST reply.
fn library(name: &str, functions: Vec<Resp>, code: Option<&str>) -> Resp {
    let mut v = vec![
        bulk("library_name"),
        bulk(name),
        bulk("engine"),
        bulk("LUA"),
        bulk("functions"),
        arr(functions),
    ];
    if let Some(code) = code {
        v.push(bulk("library_code"));
        v.push(bulk(code));
    }
    arr(v)
}

/// One function of a RESP2 FUNCTION LIST reply.
fn function(name: &str, description: Option<&str>, flags: &[&str]) -> Resp {
    arr(vec![
        bulk("name"),
        bulk(name),
        bulk("description"),
        description.map(bulk).unwrap_or(nil()),
        bulk("flags"),
        arr(flags.iter().map(|f| simple(f)).collect()),
    ])
}

/// The functions of one library entry, RESP2 (flat pairs) or RESP3 (map).
fn functions_mut(lib: &mut Resp) -> Option<&mut Vec<Resp>> {
    let value = match lib {
        Resp::Array(v) => {
            let i = v.iter().position(|x| *x == bulk("functions"))?;
            v.get_mut(i + 1)?
        }
        Resp::Map(m) => &mut m.iter_mut().find(|(k, _)| *k == bulk("functions"))?.1,
        _ => return None,
    };
    match value {
        Resp::Array(f) => Some(f),
        _ => None,
    }
}

/// A FUNCTION LIST reply with libraries sorted by name and each library's functions by name.
fn sorted(list: Resp) -> Resp {
    let Resp::Array(mut libs) = list else {
        return list;
    };
    let name = |r: &Resp, field: &str| r.field(field).map(|n| n.as_bytes().to_vec());
    for lib in &mut libs {
        if let Some(fs) = functions_mut(lib) {
            fs.sort_by_key(|f| name(f, "name"));
        }
    }
    libs.sort_by_key(|l| name(l, "library_name"));
    Resp::Array(libs)
}

fn list(c: &mut RawConn, extra: &[&str]) -> Resp {
    let mut v = vec!["FUNCTION", "LIST"];
    v.extend(extra);
    sorted(c.cmd(&v))
}

/// A library with one function `name` returning `value`.
fn tiny(lib: &str, name: &str, value: &str) -> String {
    format!("#!lua name={lib}\nredis.register_function('{name}', function() return '{value}' end)")
}

// ---------------------------------------------------------------------------------------------
// LOAD and FCALL
// ---------------------------------------------------------------------------------------------

#[test]
fn load_and_fcall() {
    let mut c = shared().raw();
    let code = "#!lua name=fn_basic\n\
        local function twice(x) return x * 2 end\n\
        redis.register_function('fn_basic_echo', function(keys, args) return {#keys, #args, keys[1], keys[2], args[1], args[2]} end)\n\
        redis.register_function{function_name='fn_basic_get', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}\n\
        redis.register_function('fn_basic_set', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n\
        redis.register_function('fn_basic_twice', function(keys, args) return twice(tonumber(args[1])) end)";
    assert_eq!(load(&mut c, code), bulk("fn_basic"));
    assert_eq!(
        fcall(
            &mut c,
            "fn_basic_echo",
            &["fn:basic:a", "fn:basic:b"],
            &["x", "y"]
        ),
        arr(vec![
            int(2),
            int(2),
            bulk("fn:basic:a"),
            bulk("fn:basic:b"),
            bulk("x"),
            bulk("y")
        ])
    );
    assert_eq!(
        fcall(&mut c, "fn_basic_echo", &[], &[]),
        arr(vec![int(0), int(0)])
    );
    assert_eq!(
        fcall(&mut c, "fn_basic_set", &["fn:basic:k"], &["v1"]),
        ok()
    );
    assert_eq!(
        fcall(&mut c, "fn_basic_get", &["fn:basic:k"], &[]),
        bulk("v1")
    );
    assert_eq!(
        fcall_ro(&mut c, "fn_basic_get", &["fn:basic:k"], &[]),
        bulk("v1")
    );
    assert_eq!(fcall(&mut c, "fn_basic_twice", &[], &["21"]), int(42));
    // Function names are case-insensitive.
    assert_eq!(fcall(&mut c, "FN_BASIC_TWICE", &[], &["4"]), int(8));
    // Without no-writes a function is a writing one, refused by FCALL_RO before it runs.
    assert_eq!(
        fcall_ro(&mut c, "fn_basic_set", &["fn:basic:k"], &["v2"]),
        err("ERR Can not execute a script with write flag using *_ro command.")
    );
    assert_eq!(c.cmd(&["GET", "fn:basic:k"]), bulk("v1"));
    assert_eq!(
        list(&mut c, &["LIBRARYNAME", "fn_basic"]),
        arr(vec![library(
            "fn_basic",
            vec![
                function("fn_basic_echo", None, &[]),
                function("fn_basic_get", Some("reads a key"), &["no-writes"]),
                function("fn_basic_set", None, &[]),
                function("fn_basic_twice", None, &[]),
            ],
            None
        )])
    );

    // REPLACE swaps the code; without it the name is taken.
    assert_eq!(
        load(&mut c, code),
        err("ERR Library 'fn_basic' already exists")
    );
    let replaced = tiny("fn_basic", "fn_basic_new", "new");
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "REPLACE", &replaced]),
        bulk("fn_basic")
    );
    assert_eq!(fcall(&mut c, "fn_basic_new", &[], &[]), bulk("new"));
    assert_eq!(
        fcall(&mut c, "fn_basic_echo", &[], &[]),
        err("ERR Function not found")
    );
    // A failing REPLACE keeps the library as it was.
    assert_eq!(
        c.cmd(&[
            "FUNCTION",
            "LOAD",
            "REPLACE",
            "#!lua name=fn_basic\nreturn ("
        ]),
        err("ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'")
    );
    assert_eq!(fcall(&mut c, "fn_basic_new", &[], &[]), bulk("new"));
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_basic"]), ok());
    assert_eq!(
        fcall(&mut c, "fn_basic_new", &[], &[]),
        err("ERR Function not found")
    );
}

#[test]
fn fcall_argument_errors() {
    let mut c = shared().raw();
    assert_eq!(
        load(&mut c, &tiny("fn_args", "fn_args_f", "x")),
        bulk("fn_args")
    );
    for name in ["FCALL", "FCALL_RO"] {
        let bad_keys = err("ERR Bad number of keys provided");
        assert_eq!(c.cmd(&[name, "fn_args_f", "x"]), bad_keys, "{name}");
        assert_eq!(c.cmd(&[name, "fn_args_f", "1.5", "k"]), bad_keys, "{name}");
        assert_eq!(
            c.cmd(&[name, "fn_args_f", "99999999999999999999"]),
            bad_keys,
            "{name}"
        );
        assert_eq!(
            c.cmd(&[name, "fn_args_f", "-1"]),
            err("ERR Number of keys can't be negative"),
            "{name}"
        );
        assert_eq!(
            c.cmd(&[name, "fn_args_f", "2", "a"]),
            err("ERR Number of keys can't be greater than number of args"),
            "{name}"
        );
        assert_eq!(c.cmd(&[name, "fn_args_f"]), arity_err(name), "{name}");
        assert_eq!(
            c.cmd(&[name, "fn_args_nosuch", "0"]),
            err("ERR Function not found"),
            "{name}"
        );
    }
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_args"]), ok());
}

#[test]
fn load_errors() {
    let mut c = shared().raw();
    assert_eq!(
        load(&mut c, &tiny("fn_lerr", "fn_lerr_f", "x")),
        bulk("fn_lerr")
    );
    let registering = |m: &str| err(&format!("ERR Error registering functions: ERR {m}"));
    let bad_name = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
    let cases: Vec<(String, Resp)> = vec![
        (
            "redis.register_function('x', function() return 1 end)".into(),
            err("ERR Missing library metadata"),
        ),
        (
            "#!lua\nredis.register_function('x', function() return 1 end)".into(),
            err("ERR Library name was not given"),
        ),
        (
            "#!lua name=\nredis.register_function('x', function() return 1 end)".into(),
            err(&format!("ERR {bad_name}")),
        ),
        (
            "#!lua name=bad-name!\nredis.register_function('x', function() return 1 end)".into(),
            err(&format!("ERR {bad_name}")),
        ),
        (
            "#!lua name=fn_lerr2 flags=no-writes\nredis.register_function('x', function() return 1 end)".into(),
            err("ERR Invalid metadata value given: flags=no-writes"),
        ),
        (
            "#!lua name=fn_lerr2 foo=bar\nredis.register_function('x', function() return 1 end)".into(),
            err("ERR Invalid metadata value given: foo=bar"),
        ),
        (
            "#!py name=fn_lerr2\nredis.register_function('x', function() return 1 end)".into(),
            err("ERR Engine 'py' not found"),
        ),
        (
            "#!lua name=fn_lerr2\nreturn 1".into(),
            err("ERR No functions registered"),
        ),
        (
            "#!lua name=fn_lerr2\nlocal x = 1\n".into(),
            err("ERR No functions registered"),
        ),
        (
            "#!lua name=fn_lerr2\nreturn (".into(),
            err("ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        ),
        (tiny("fn_lerr", "fn_lerr_g", "y"), err("ERR Library 'fn_lerr' already exists")),
        (
            tiny("fn_lerr2", "fn_lerr_f", "y"),
            err("ERR Function fn_lerr_f already exists"),
        ),
        // Function names collide whatever their case.
        (
            tiny("fn_lerr2", "FN_LERR_F", "y"),
            err("ERR Function FN_LERR_F already exists"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('fn_lerr_x', function() return 1 end)\nredis.register_function('fn_lerr_x', function() return 1 end)".into(),
            registering("Function already exists in the library"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('x y', function() return 1 end)".into(),
            registering(bad_name),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('', function() end)".into(),
            registering(bad_name),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('x')".into(),
            registering("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('x', 'y')".into(),
            registering("second argument to redis.register_function must be a function"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function({}, function() end)".into(),
            registering("first argument to redis.register_function must be a string"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function()".into(),
            registering("wrong number of arguments to redis.register_function"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('a', 'b', 'c')".into(),
            registering("wrong number of arguments to redis.register_function"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function{function_name='x', callback=function() end, flags={'bad'}}".into(),
            registering("unknown flag given"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function{function_name='x', callback=function() end, flags='no-writes'}".into(),
            registering("flags argument to redis.register_function must be a table representing function flags"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function{function_name='x', callback=function() end, foo=1}".into(),
            registering("unknown argument given to redis.register_function"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function{function_name='x'}".into(),
            registering("redis.register_function must get a callback argument"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function{callback=function() end}".into(),
            registering("redis.register_function must get a function name argument"),
        ),
        // Loading runs the code in a bare environment: no redis.call, no libraries, no globals.
        (
            "#!lua name=fn_lerr2\nredis.call('set', 'a', 'b')".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'call'"),
        ),
        (
            "#!lua name=fn_lerr2\nerror('boom')".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'error'"),
        ),
        (
            "#!lua name=fn_lerr2\nlocal x = y".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'y'"),
        ),
        (
            "#!lua name=fn_lerr2\nlocal x = string.format('%d', 1)\nredis.register_function('fn_lerr_s', function() return 1 end)".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'string'"),
        ),
        (
            "#!lua name=fn_lerr2\nlocal x = cjson.encode({1})\nredis.register_function('fn_lerr_s', function() return 1 end)".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'cjson'"),
        ),
        (
            "#!lua name=fn_lerr2\nlocal x = redis.setresp\nredis.register_function('fn_lerr_s', function() return 1 end)".into(),
            registering("user_function:2: Script attempted to access nonexistent global variable 'setresp'"),
        ),
        (
            "#!lua name=fn_lerr2\nredis.register_function('fn_lerr_s', function() return 1 end)\nx = 1".into(),
            registering("user_function:3: Attempt to modify a readonly table"),
        ),
    ];
    for (code, want) in cases {
        assert_eq!(load(&mut c, &code), want, "{code}");
    }
    assert_eq!(c.cmd(&["FUNCTION", "LOAD"]), arity_err("function|load"));
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "REPLACE"]),
        err("ERR Missing library metadata")
    );
    assert_eq!(
        c.cmd(&[
            "FUNCTION",
            "LOAD",
            "FOO",
            &tiny("fn_lerr2", "fn_lerr_s", "x")
        ]),
        err("ERR Unknown option given: FOO")
    );
    // What loading may use: redis.log, the log levels, the version.
    assert_eq!(
        load(
            &mut c,
            "#!lua name=fn_lerr3\nredis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)\nlocal f = redis.register_function\nf('fn_lerr3_f', function() return 3 end)"
        ),
        bulk("fn_lerr3")
    );
    assert_eq!(fcall(&mut c, "fn_lerr3_f", &[], &[]), int(3));
    // Nothing of the failed loads was kept.
    assert_eq!(list(&mut c, &["LIBRARYNAME", "fn_lerr2"]), arr(vec![]));
    assert_eq!(
        fcall(&mut c, "fn_lerr_x", &[], &[]),
        err("ERR Function not found")
    );
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_lerr"]), ok());
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_lerr3"]), ok());
}

/// Loading code that never returns is stopped by Redis after 500 ms.
#[test]
fn a_library_that_loops_while_loading_times_out() {
    let mut c = shared().raw();
    assert_eq!(
        load(
            &mut c,
            "#!lua name=fn_loadloop\nredis.register_function('fn_loadloop_f', function() return 1 end)\nwhile true do end"
        ),
        err("ERR Error registering functions: ERR FUNCTION LOAD timeout")
    );
    assert_eq!(
        fcall(&mut c, "fn_loadloop_f", &[], &[]),
        err("ERR Function not found")
    );
}

#[test]
fn runtime_errors_name_the_function() {
    let mut c = shared().raw();
    let code = "#!lua name=fn_rt\n\
        redis.register_function('fn_rt_unknown', function() return redis.call('nosuch') end)\n\
        redis.register_function('fn_rt_error', function() error('boom') end)\n\
        redis.register_function{function_name='fn_rt_ro', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}\n\
        redis.register_function('fn_rt_global', function() return x end)\n\
        redis.register_function('fn_rt_setglobal', function() y = 1 end)\n\
        redis.register_function('fn_rt_keys', function() return KEYS end)\n\
        redis.register_function('fn_rt_fcall', function() return redis.call('fcall', 'fn_rt_error', 0) end)\n\
        redis.register_function('fn_rt_wrongtype', function(keys) return redis.call('incr', keys[1]) end)\n\
        redis.register_function('fn_rt_pcall', function(keys) return redis.pcall('incr', keys[1]) end)\n\
        redis.register_function('fn_rt_register', function() return redis.register_function('zz', function() end) end)\n\
        redis.register_function('fn_rt_errtable', function() return redis.error_reply('MY failure') end)";
    assert_eq!(load(&mut c, code), bulk("fn_rt"));
    let k = "fn:rt:list";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    assert_eq!(c.cmd(&["RPUSH", k, "a"]), int(1));
    let wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    let cases: Vec<(&str, Resp)> = vec![
        (
            "fn_rt_unknown",
            function_err("ERR Unknown Redis command called from script", "fn_rt_unknown", 2),
        ),
        (
            "fn_rt_error",
            function_err("ERR user_function:3: boom", "fn_rt_error", 3),
        ),
        (
            "fn_rt_ro",
            function_err(
                "ERR Write commands are not allowed from read-only scripts.",
                "fn_rt_ro",
                4,
            ),
        ),
        (
            "fn_rt_global",
            function_err(
                "ERR user_function:5: Script attempted to access nonexistent global variable 'x'",
                "fn_rt_global",
                5,
            ),
        ),
        (
            "fn_rt_setglobal",
            function_err(
                "ERR user_function:6: Attempt to modify a readonly table",
                "fn_rt_setglobal",
                6,
            ),
        ),
        // Functions get keys and args as parameters; there is no KEYS global.
        (
            "fn_rt_keys",
            function_err(
                "ERR user_function:7: Script attempted to access nonexistent global variable 'KEYS'",
                "fn_rt_keys",
                7,
            ),
        ),
        (
            "fn_rt_fcall",
            function_err("ERR This Redis command is not allowed from script", "fn_rt_fcall", 8),
        ),
        ("fn_rt_wrongtype", function_err(wrongtype, "fn_rt_wrongtype", 9)),
        ("fn_rt_pcall", err(wrongtype)),
        (
            "fn_rt_register",
            function_err(
                "ERR user_function:11: attempt to call field 'register_function' (a nil value)",
                "fn_rt_register",
                11,
            ),
        ),
        ("fn_rt_errtable", err("MY failure")),
    ];
    for (f, want) in cases {
        assert_eq!(fcall(&mut c, f, &[k], &[]), want, "{f}");
    }
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_rt"]), ok());
}

/// `redis.setresp(3)` inside a function, for RESP2 and RESP3 callers.
#[test]
fn functions_convert_replies_like_scripts() {
    let server = shared();
    let mut c2 = server.raw();
    let mut c3 = server.raw();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Resp::Map(_)));
    let code = "#!lua name=fn_resp\n\
        redis.register_function('fn_resp_hash', function(keys) redis.setresp(3) return redis.call('hgetall', keys[1]) end)\n\
        redis.register_function('fn_resp_values', function() return {1, 'two', 3.7, true, {ok='fine'}, false, 'after false'} end)\n\
        redis.register_function('fn_resp_bool', function() redis.setresp(3) return false end)";
    assert_eq!(load(&mut c2, code), bulk("fn_resp"));
    let h = "fn:resp:h";
    assert_eq!(c2.cmd(&["DEL", h]), int(0));
    assert_eq!(c2.cmd(&["HSET", h, "f", "v"]), int(1));
    assert_eq!(
        fcall(&mut c2, "fn_resp_hash", &[h], &[]),
        bulks(&["f", "v"])
    );
    assert_eq!(
        fcall(&mut c3, "fn_resp_hash", &[h], &[]),
        Resp::Map(vec![(bulk("f"), bulk("v"))])
    );
    let values = arr(vec![
        int(1),
        bulk("two"),
        int(3),
        int(1),
        simple("fine"),
        nil(),
        bulk("after false"),
    ]);
    assert_eq!(fcall(&mut c2, "fn_resp_values", &[], &[]), values);
    assert_eq!(fcall(&mut c2, "fn_resp_bool", &[], &[]), int(0));
    assert_eq!(fcall(&mut c3, "fn_resp_bool", &[], &[]), Resp::Bool(false));
    assert_eq!(c2.cmd(&["FUNCTION", "DELETE", "fn_resp"]), ok());
}

/// Connections are spread over the server's threads: a library loaded through any of them is
/// callable through all of them, and gone from all of them once deleted.
#[test]
fn libraries_loaded_on_one_connection_serve_every_connection() {
    let server = shared();
    let mut conns: Vec<RawConn> = (0..8).map(|_| server.raw()).collect();
    for i in 0..conns.len() {
        let lib = format!("fn_every{i}");
        let f = format!("fn_every{i}_f");
        assert_eq!(
            load(&mut conns[i], &tiny(&lib, &f, &i.to_string())),
            bulk(&lib)
        );
        for c in conns.iter_mut() {
            assert_eq!(fcall(c, &f, &[], &[]), bulk(i.to_string()));
            assert_eq!(
                fcall_ro(c, &f, &[], &[]),
                err("ERR Can not execute a script with write flag using *_ro command.")
            );
        }
        let n = (i + 1) % conns.len();
        assert_eq!(conns[n].cmd(&["FUNCTION", "DELETE", &lib]), ok());
        for c in conns.iter_mut() {
            assert_eq!(fcall(c, &f, &[], &[]), err("ERR Function not found"));
        }
    }
}

#[test]
fn functions_with_keys_on_every_shard() {
    let server = shared();
    let mut c = server.raw();
    let keys = spread_keys("fn:shards:", 8, server.shards());
    let k: Vec<&str> = keys.iter().map(String::as_str).collect();
    c.del(&k);
    let code = "#!lua name=fn_shards\n\
        redis.register_function('fn_shards_mset', function(keys, args) for i, key in ipairs(keys) do redis.call('set', key, args[i]) end return redis.call('mget', unpack(keys)) end)\n\
        redis.register_function('fn_shards_incr_named', function(keys, args) local out = {} for i, key in ipairs(args) do out[i] = redis.call('incrby', key, i) end return out end)\n\
        redis.register_function{function_name='fn_shards_sum', callback=function(keys, args) local s = 0 for _, key in ipairs(args) do s = s + tonumber(redis.call('get', key) or 0) end return s end, flags={'no-writes'}}";
    assert_eq!(load(&mut c, code), bulk("fn_shards"));
    let values: Vec<String> = (1..=8).map(|i| (i * 10).to_string()).collect();
    let v: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(fcall(&mut c, "fn_shards_mset", &k, &v), bulks(&v));
    let mut mget = vec!["MGET"];
    mget.extend(&k);
    assert_eq!(c.cmd(&mget), bulks(&v));
    // Keys named in arguments only, on every shard.
    assert_eq!(
        fcall(&mut c, "fn_shards_incr_named", &[], &k),
        arr((1..=8).map(|i| int(i * 11)).collect())
    );
    assert_eq!(fcall_ro(&mut c, "fn_shards_sum", &[], &k), int(396));
    assert_eq!(fcall(&mut c, "fn_shards_sum", &[], &k), int(396));
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "fn_shards"]), ok());
}

// ---------------------------------------------------------------------------------------------
// Server-wide: LIST, DELETE, FLUSH, STATS, DUMP, RESTORE (a server of their own)
// ---------------------------------------------------------------------------------------------

#[test]
fn list_delete_and_flush() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), arr(vec![]));
    let la = tiny("la", "fa", "a");
    let lb = "#!lua name=lb\n\
        redis.register_function{function_name='fb2', callback=function() return 2 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}, description='two'}\n\
        redis.register_function{function_name='fb1', callback=function() return 1 end, flags={}}";
    let upper = tiny("LA", "fa_upper", "A");
    assert_eq!(load(&mut c, &la), bulk("la"));
    assert_eq!(load(&mut c, lb), bulk("lb"));
    // Library names are case-sensitive (function names are not).
    assert_eq!(load(&mut c, &upper), bulk("LA"));
    let lib_a = |code: Option<&str>| library("la", vec![function("fa", None, &[])], code);
    let lib_b = |code: Option<&str>| {
        library(
            "lb",
            vec![
                function("fb1", None, &[]),
                function(
                    "fb2",
                    Some("two"),
                    &[
                        "no-writes",
                        "allow-oom",
                        "allow-stale",
                        "no-cluster",
                        "allow-cross-slot-keys",
                    ],
                ),
            ],
            code,
        )
    };
    let lib_upper = || library("LA", vec![function("fa_upper", None, &[])], None);
    assert_eq!(
        list(&mut c, &[]),
        arr(vec![lib_upper(), lib_a(None), lib_b(None)])
    );
    assert_eq!(
        list(&mut c, &["WITHCODE"]),
        arr(vec![
            library("LA", vec![function("fa_upper", None, &[])], Some(&upper)),
            lib_a(Some(&la)),
            lib_b(Some(lb)),
        ])
    );
    assert_eq!(
        list(&mut c, &["withcode", "libraryname", "lb"]),
        arr(vec![lib_b(Some(lb))])
    );
    assert_eq!(
        list(&mut c, &["LIBRARYNAME", "lb", "WITHCODE"]),
        arr(vec![lib_b(Some(lb))])
    );
    // LIBRARYNAME is a glob pattern over the whole name, matched case-insensitively.
    assert_eq!(list(&mut c, &["LIBRARYNAME", "l"]), arr(vec![]));
    assert_eq!(
        list(&mut c, &["LIBRARYNAME", "l*"]),
        arr(vec![lib_upper(), lib_a(None), lib_b(None)])
    );
    assert_eq!(list(&mut c, &["LIBRARYNAME", "?b"]), arr(vec![lib_b(None)]));
    assert_eq!(list(&mut c, &["LIBRARYNAME", "LB"]), arr(vec![lib_b(None)]));
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "LIBRARYNAME"]),
        err("ERR library name argument was not given")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "FOO"]),
        err("ERR Unknown argument FOO")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "WITHCODE", "WITHCODE"]),
        err("ERR Unknown argument WITHCODE")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"]),
        err("ERR Unknown argument LIBRARYNAME")
    );

    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "LA"]), ok());
    assert_eq!(
        c.cmd(&["FUNCTION", "DELETE", "LA"]),
        err("ERR Library not found")
    );
    assert_eq!(c.cmd(&["FUNCTION", "DELETE"]), arity_err("function|delete"));
    assert_eq!(
        fcall(&mut c, "fa_upper", &[], &[]),
        err("ERR Function not found")
    );
    assert_eq!(fcall(&mut c, "fa", &[], &[]), bulk("a"));
    assert_eq!(list(&mut c, &[]), arr(vec![lib_a(None), lib_b(None)]));

    // RESP3: maps, a null description and a set of flags.
    let mut c3 = server.raw();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Resp::Map(_)));
    assert_eq!(
        c3.cmd(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "la"]),
        arr(vec![Resp::Map(vec![
            (bulk("library_name"), bulk("la")),
            (bulk("engine"), bulk("LUA")),
            (
                bulk("functions"),
                arr(vec![Resp::Map(vec![
                    (bulk("name"), bulk("fa")),
                    (bulk("description"), Resp::Null),
                    (bulk("flags"), Resp::Set(vec![])),
                ])])
            ),
            (bulk("library_code"), bulk(&la)),
        ])])
    );

    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), arr(vec![]));
    assert_eq!(fcall(&mut c, "fa", &[], &[]), err("ERR Function not found"));
    for mode in ["ASYNC", "SYNC", "async"] {
        assert_eq!(load(&mut c, &la), bulk("la"));
        assert_eq!(c.cmd(&["FUNCTION", "FLUSH", mode]), ok(), "{mode}");
        assert_eq!(c.cmd(&["FUNCTION", "LIST"]), arr(vec![]), "{mode}");
    }
    assert_eq!(
        c.cmd(&["FUNCTION", "FLUSH", "FOO"]),
        err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "FLUSH", "SYNC", "SYNC"]),
        err("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try FUNCTION HELP.")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );
    assert_eq!(c.cmd(&["FUNCTION"]), arity_err("function"));
}

#[test]
fn stats() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let stats = |libraries: i64, functions: i64| {
        arr(vec![
            bulk("running_script"),
            nil(),
            bulk("engines"),
            arr(vec![
                bulk("LUA"),
                arr(vec![
                    bulk("libraries_count"),
                    int(libraries),
                    bulk("functions_count"),
                    int(functions),
                ]),
            ]),
        ])
    };
    assert_eq!(c.cmd(&["FUNCTION", "STATS"]), stats(0, 0));
    assert_eq!(load(&mut c, &tiny("sa", "sa_f", "1")), bulk("sa"));
    assert_eq!(
        load(
            &mut c,
            "#!lua name=sb\nredis.register_function('sb_f', function() return 1 end)\nredis.register_function('sb_g', function() return 2 end)"
        ),
        bulk("sb")
    );
    assert_eq!(c.cmd(&["FUNCTION", "STATS"]), stats(2, 3));
    let mut c3 = server.raw();
    assert!(matches!(c3.cmd(&["HELLO", "3"]), Resp::Map(_)));
    assert_eq!(
        c3.cmd(&["FUNCTION", "STATS"]),
        Resp::Map(vec![
            (bulk("running_script"), Resp::Null),
            (
                bulk("engines"),
                Resp::Map(vec![(
                    bulk("LUA"),
                    Resp::Map(vec![
                        (bulk("libraries_count"), int(2)),
                        (bulk("functions_count"), int(3)),
                    ])
                )])
            ),
        ])
    );
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "sb"]), ok());
    assert_eq!(c.cmd(&["FUNCTION", "STATS"]), stats(1, 1));
    assert_eq!(
        c.cmd(&["FUNCTION", "STATS", "x"]),
        arity_err("function|stats")
    );
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(c.cmd(&["FUNCTION", "STATS"]), stats(0, 0));
}

#[test]
fn dump_and_restore() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let (la, lb, lc) = (
        tiny("la", "fa", "a"),
        tiny("lb", "fb", "b"),
        tiny("lc", "fb", "c"),
    );
    let lib = |name: &str, f: &str| library(name, vec![function(f, None, &[])], None);
    assert_eq!(load(&mut c, &la), bulk("la"));
    assert_eq!(load(&mut c, &lb), bulk("lb"));
    let dump = c.cmd(&["FUNCTION", "DUMP"]).as_bytes().to_vec();
    let restore = |c: &mut RawConn, policy: &[&[u8]]| {
        let mut v: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", &dump];
        v.extend(policy);
        c.cmdb(&v)
    };

    // Onto the same server after FLUSH.
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), ok());
    assert_eq!(restore(&mut c, &[]), ok());
    assert_eq!(
        list(&mut c, &[]),
        arr(vec![lib("la", "fa"), lib("lb", "fb")])
    );
    assert_eq!(fcall(&mut c, "fa", &[], &[]), bulk("a"));
    assert_eq!(fcall(&mut c, "fb", &[], &[]), bulk("b"));

    // APPEND (the default) refuses a library that exists, and adds nothing.
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "lb"]), ok());
    assert_eq!(restore(&mut c, &[]), err("ERR Library la already exists"));
    assert_eq!(
        restore(&mut c, &[b"APPEND"]),
        err("ERR Library la already exists")
    );
    assert_eq!(list(&mut c, &[]), arr(vec![lib("la", "fa")]));

    // REPLACE replaces same-named libraries, but a function name taken by another library
    // still fails the whole restore.
    assert_eq!(load(&mut c, &lc), bulk("lc"));
    assert_eq!(
        restore(&mut c, &[b"REPLACE"]),
        err("ERR Function fb already exists")
    );
    assert_eq!(
        list(&mut c, &[]),
        arr(vec![lib("la", "fa"), lib("lc", "fb")])
    );
    assert_eq!(fcall(&mut c, "fb", &[], &[]), bulk("c"));
    assert_eq!(c.cmd(&["FUNCTION", "DELETE", "lc"]), ok());
    assert_eq!(
        load(&mut c, &tiny("la", "fa_old", "old")),
        err("ERR Library 'la' already exists")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "LOAD", "REPLACE", &tiny("la", "fa_old", "old")]),
        bulk("la")
    );
    assert_eq!(restore(&mut c, &[b"replace"]), ok());
    assert_eq!(
        list(&mut c, &[]),
        arr(vec![lib("la", "fa"), lib("lb", "fb")])
    );
    assert_eq!(
        fcall(&mut c, "fa_old", &[], &[]),
        err("ERR Function not found")
    );

    // FLUSH drops everything first.
    assert_eq!(load(&mut c, &lc.replace("'fb'", "'fc'")), bulk("lc"));
    assert_eq!(restore(&mut c, &[b"FLUSH"]), ok());
    assert_eq!(
        list(&mut c, &[]),
        arr(vec![lib("la", "fa"), lib("lb", "fb")])
    );
    assert_eq!(fcall(&mut c, "fc", &[], &[]), err("ERR Function not found"));

    assert_eq!(
        restore(&mut c, &[b"FOO"]),
        err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
    );
    assert_eq!(
        restore(&mut c, &[b"FLUSH", b"x"]),
        err(
            "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."
        )
    );
    let bad = err("ERR DUMP payload version or checksum are wrong");
    assert_eq!(c.cmd(&["FUNCTION", "RESTORE", "garbage"]), bad);
    assert_eq!(c.cmd(&["FUNCTION", "RESTORE", ""]), bad);
    let mut truncated = dump.clone();
    truncated.pop();
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &truncated]), bad);
    let mut flipped = dump.clone();
    if let Some(b) = flipped.get_mut(5) {
        *b ^= 1;
    }
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &flipped]), bad);
    assert_eq!(
        c.cmd(&["FUNCTION", "RESTORE"]),
        arity_err("function|restore")
    );
    assert_eq!(
        c.cmd(&["FUNCTION", "DUMP", "x"]),
        arity_err("function|dump")
    );

    // An empty dump restores nothing.
    assert_eq!(c.cmd(&["FUNCTION", "FLUSH"]), ok());
    let empty = c.cmd(&["FUNCTION", "DUMP"]).as_bytes().to_vec();
    assert_eq!(load(&mut c, &la), bulk("la"));
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &empty]), ok());
    assert_eq!(list(&mut c, &[]), arr(vec![lib("la", "fa")]));
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &empty, b"FLUSH"]), ok());
    assert_eq!(c.cmd(&["FUNCTION", "LIST"]), arr(vec![]));
}

/// A payload made by redis-server 7.0.15's FUNCTION DUMP (libraries lb and la, as above) must
/// restore: dumps move between servers.
#[test]
fn restore_a_dump_made_by_redis() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let hex = "f5404623216c7561206e616d653d6c620a72656469732e72656769737465725f66756e6374696f6e28276662272c2066756e6374696f6e28292072657475726e2027622720656e6429f5404623216c7561206e616d653d6c610a72656469732e72656769737465725f66756e6374696f6e28276661272c2066756e6374696f6e28292072657475726e2027612720656e64290a00ee2b2c36463c9e04";
    let payload: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect();
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &payload]), ok());
    assert_eq!(
        list(&mut c, &["WITHCODE"]),
        arr(vec![
            library(
                "la",
                vec![function("fa", None, &[])],
                Some(&tiny("la", "fa", "a"))
            ),
            library(
                "lb",
                vec![function("fb", None, &[])],
                Some(&tiny("lb", "fb", "b"))
            ),
        ])
    );
    assert_eq!(fcall(&mut c, "fa", &[], &[]), bulk("a"));
    assert_eq!(fcall(&mut c, "fb", &[], &[]), bulk("b"));
    // The server's own dump of the same libraries restores the same way.
    let own = c.cmd(&["FUNCTION", "DUMP"]).as_bytes().to_vec();
    assert_eq!(c.cmdb(&[b"FUNCTION", b"RESTORE", &own, b"FLUSH"]), ok());
    assert_eq!(fcall(&mut c, "fb", &[], &[]), bulk("b"));
    assert_eq!(
        c.cmd(&["FUNCTION", "STATS"]).field("engines"),
        Some(arr(vec![
            bulk("LUA"),
            arr(vec![
                bulk("libraries_count"),
                int(2),
                bulk("functions_count"),
                int(2)
            ])
        ]))
    );
}

// ---------------------------------------------------------------------------------------------
// FUNCTION KILL
// ---------------------------------------------------------------------------------------------

#[test]
fn function_kill() {
    let mut server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "busy-reply-threshold", "100"]),
        ok()
    );
    let code = "#!lua name=spinning\n\
        redis.register_function{function_name='spin', callback=function(keys) redis.call('get', keys[1]) while true do end end, flags={'no-writes'}}\n\
        redis.register_function('spin_any', function(keys) redis.call('get', keys[1]) while true do end end)\n\
        redis.register_function('spin_write', function(keys) redis.call('set', keys[1], 'w') while true do end end)";
    assert_eq!(load(&mut c, code), bulk("spinning"));
    let k = "fn:kill:k";
    assert_eq!(c.cmd(&["SET", k, "v"]), ok());
    drop(c);
    let total = Duration::from_secs(60);
    let per_try = Duration::from_secs(2);
    let busy = busy_err("FUNCTION");
    let killed =
        |f: &str, line: u32| function_err("ERR Script killed by user with SCRIPT KILL...", f, line);

    let mut looping = server.raw();
    for (f, line) in [("spin", 2), ("spin_any", 3)] {
        start_endless(&mut looping, &keys_command("FCALL", f, &[k], &[]));
        wait_for_answer(&server, &["GET", k], &busy, total);
        // SCRIPT KILL does not stop a function; it gets the same BUSY answer.
        assert_eq!(
            ask_any_conn(&server, &["SCRIPT", "KILL"], per_try, total),
            busy
        );
        let stats = ask_any_conn(&server, &["FUNCTION", "STATS"], per_try, total);
        let running = stats.field("running_script").expect("running_script");
        assert_eq!(running.field("name"), Some(bulk(f)));
        assert_eq!(running.field("command"), Some(bulks(&["FCALL", f, "1", k])));
        assert!(
            matches!(running.field("duration_ms"), Some(Resp::Int(_))),
            "{running:?}"
        );
        assert_eq!(
            ask_any_conn(&server, &["FUNCTION", "KILL"], per_try, total),
            ok()
        );
        assert_eq!(looping.read(), killed(f, line));
        assert_eq!(looping.cmd(&["GET", k]), bulk("v"));
    }
    assert_eq!(
        looping.cmd(&["FUNCTION", "KILL"]),
        err("NOTBUSY No scripts in execution right now.")
    );

    // FUNCTION KILL does not stop an EVAL script either.
    start_endless(
        &mut looping,
        &[
            "EVAL",
            "redis.call('get', KEYS[1]) while true do end",
            "1",
            k,
        ],
    );
    wait_for_answer(&server, &["GET", k], &busy_err("SCRIPT"), total);
    assert_eq!(
        ask_any_conn(&server, &["FUNCTION", "KILL"], per_try, total),
        busy_err("SCRIPT")
    );
    assert_eq!(
        ask_any_conn(&server, &["SCRIPT", "KILL"], per_try, total),
        ok()
    );
    assert!(looping.read().is_error());

    // A function that wrote cannot be killed.
    start_endless(
        &mut looping,
        &keys_command("FCALL", "spin_write", &[k], &[]),
    );
    wait_for_answer(&server, &["GET", k], &busy, total);
    assert_eq!(
        ask_any_conn(&server, &["FUNCTION", "KILL"], per_try, total),
        unkillable_err()
    );
    shutdown_nosave(&mut server, total);
}
