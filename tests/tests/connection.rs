//! Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT, CLIENT, errors, inline
//! commands, pipelines, and the `redis` crate as a real client.
//!
//! Every expectation here holds for redis-server 7.0.15 too: run with
//! `FERROKV_TEST_TARGET=redis` to check.

use std::time::Duration;

use ferrokv_tests::*;
use redis::Commands;

fn key(name: &str) -> String {
    format!("conn:{name}")
}

#[test]
fn ping_and_echo() {
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    assert_eq!(c.cmd(&["ping"]), simple("PONG"));
    assert_eq!(c.cmd(&["PING", "hello"]), bulk("hello"));
    assert_eq!(c.cmd(&["PING", ""]), bulk(""));
    assert_eq!(c.cmd(&["PING", "a", "b"]), arity_err("ping"));
    assert_eq!(c.cmd(&["ECHO", "hi there"]), bulk("hi there"));
    assert_eq!(c.cmd(&["ECHO", ""]), bulk(""));
    assert_eq!(c.cmdb(&[b"ECHO", b"\x00\r\n\xff"]), bulk(b"\x00\r\n\xff"));
    assert_eq!(c.cmd(&["ECHO"]), arity_err("echo"));
    assert_eq!(c.cmd(&["ECHO", "a", "b"]), arity_err("echo"));
    assert_eq!(escape(&c.raw_cmd(&["PING"])), escape(b"+PONG\r\n"));
}

#[test]
fn quit_replies_ok_and_closes() {
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["QUIT"]), ok());
    assert!(c.read_until_closed().is_empty());
}

#[test]
fn quit_in_a_pipeline_answers_what_came_before() {
    let mut c = shared().raw();
    c.send(
        &[
            encode_command(&["PING"]),
            encode_command(&["QUIT"]),
            encode_command(&["PING"]),
        ]
        .concat(),
    );
    assert_eq!(c.read(), simple("PONG"));
    assert_eq!(c.read(), ok());
    assert!(c.read_until_closed().is_empty());
}

#[test]
fn errors_for_arity_and_unknown_commands() {
    let mut c = shared().raw();
    assert_eq!(
        c.cmd(&["GET"]),
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(c.cmd(&["gEt"]), arity_err("get"));
    assert_eq!(c.cmd(&["GET", "a", "b"]), arity_err("get"));
    assert_eq!(c.cmd(&["SET", "a"]), arity_err("set"));
    assert_eq!(c.cmd(&["MSET", "a", "b", "c"]), arity_err("mset"));
    assert_eq!(c.cmd(&["MGET"]), arity_err("mget"));
    assert_eq!(c.cmd(&["DEL"]), arity_err("del"));
    assert_eq!(
        c.cmd(&["FOO", "a", "b"]),
        err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ")
    );
    assert_eq!(
        c.cmd(&["foo"]),
        err("ERR unknown command 'foo', with args beginning with: ")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try CLIENT HELP.")
    );
    // The connection is still fine.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn inline_commands() {
    let mut c = shared().raw();
    let k = key("inline");
    c.send(b"PING\r\n");
    assert_eq!(c.read(), simple("PONG"));
    c.send(format!("SET {k} \"a b\"\r\n").as_bytes());
    assert_eq!(c.read(), ok());
    c.send(format!("GET {k}\r\n").as_bytes());
    assert_eq!(c.read(), bulk("a b"));
    c.send(b"ECHO 'single quoted' \"\\x41\\n\"\r\n");
    assert_eq!(c.read(), arity_err("echo"));
    c.send(b"ECHO \"\\x41\\n\"\r\n");
    assert_eq!(c.read(), bulk("A\n"));
    // Empty lines are ignored; a bare LF ends a line too.
    c.send(b"\r\n\r\nPING\n");
    assert_eq!(c.read(), simple("PONG"));
    c.send(b"DEL ");
    c.send(format!("{k}\r\n").as_bytes());
    assert_eq!(c.read(), int(1));
}

#[test]
fn inline_unbalanced_quotes_is_a_protocol_error() {
    let mut c = shared().raw();
    c.send(b"ECHO \"unbalanced\r\n");
    assert_eq!(
        c.read(),
        err("ERR Protocol error: unbalanced quotes in request")
    );
    c.read_until_closed();
}

#[test]
fn select_databases() {
    let mut c = shared().raw();
    let k = key("select");
    assert_eq!(c.cmd(&["SELECT", "5"]), ok());
    assert_eq!(c.cmd(&["SET", &k, "five"]), ok());
    assert_eq!(c.cmd(&["SELECT", "15"]), ok());
    assert_eq!(c.cmd(&["GET", &k]), nil());
    assert_eq!(c.cmd(&["SELECT", "5"]), ok());
    assert_eq!(c.cmd(&["GET", &k]), bulk("five"));
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SELECT", "-1"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(c.cmd(&["SELECT", "abc"]), not_int_err());
    assert_eq!(c.cmd(&["SELECT", ""]), not_int_err());
    assert_eq!(c.cmd(&["SELECT"]), arity_err("select"));
    // A failed SELECT leaves the selection alone.
    assert_eq!(c.cmd(&["GET", &k]), bulk("five"));
    assert_eq!(c.cmd(&["DEL", &k]), int(1));
    // Another connection starts in db 0.
    let mut d = shared().raw();
    assert_eq!(d.cmd(&["SELECT", "0"]), ok());
}

#[test]
fn select_isolation_through_the_redis_crate() {
    let k = key("select_crate");
    let client = redis::Client::open(format!("{}3", shared().url())).unwrap();
    let mut c3 = client.get_connection().unwrap();
    let mut c0 = shared().conn();
    let _: () = c3.set(&k, "in-db-3").unwrap();
    let v: Option<String> = c0.get(&k).unwrap();
    assert_eq!(v, None);
    let v: String = c3.get(&k).unwrap();
    assert_eq!(v, "in-db-3");
    let _: i64 = c3.del(&k).unwrap();
}

fn check_hello_fields(reply: &Resp, proto: i64) {
    let pairs = reply.as_pairs();
    let names: Vec<String> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["server", "version", "proto", "id", "mode", "role", "modules"],
        "{reply:?}"
    );
    assert_eq!(reply.field("server").unwrap(), bulk("redis"));
    assert_eq!(reply.field("version").unwrap(), bulk("7.0.15"));
    assert_eq!(reply.field("proto").unwrap(), int(proto));
    assert!(reply.field("id").unwrap().as_int() > 0);
    assert_eq!(reply.field("mode").unwrap(), bulk("standalone"));
    assert_eq!(reply.field("role").unwrap(), bulk("master"));
    assert!(reply.field("modules").unwrap().as_array().is_empty());
}

#[test]
fn hello_2_and_3() {
    let mut c = shared().raw();
    let r = c.cmd(&["HELLO"]);
    assert!(matches!(r, Resp::Array(ref v) if v.len() == 14), "{r:?}");
    check_hello_fields(&r, 2);
    let r = c.cmd(&["HELLO", "2"]);
    assert!(matches!(r, Resp::Array(_)), "{r:?}");
    check_hello_fields(&r, 2);
    let id = c.cmd(&["CLIENT", "ID"]).as_int();
    assert_eq!(r.field("id").unwrap(), int(id));

    let r = c.cmd(&["HELLO", "3"]);
    assert!(matches!(r, Resp::Map(ref m) if m.len() == 7), "{r:?}");
    check_hello_fields(&r, 3);
    // RESP3 null for a missing key; maps stay maps.
    assert_eq!(
        escape(&c.raw_cmd(&["GET", &key("hello-missing")])),
        escape(b"_\r\n")
    );
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    // And back to RESP2.
    assert!(matches!(c.cmd(&["HELLO", "2"]), Resp::Array(_)));
    assert_eq!(
        escape(&c.raw_cmd(&["GET", &key("hello-missing")])),
        escape(b"$-1\r\n")
    );
}

#[test]
fn hello_errors_and_setname() {
    let mut c = shared().raw();
    assert_eq!(
        c.cmd(&["HELLO", "4"]),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "1"]),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "abc"]),
        err("ERR Protocol version is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "SETNAME"]),
        err("ERR Syntax error in HELLO option 'SETNAME'")
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "default"]),
        err("ERR Syntax error in HELLO option 'AUTH'")
    );
    let r = c.cmd(&["HELLO", "3", "SETNAME", "hello-client"]);
    check_hello_fields(&r, 3);
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("hello-client"));
    // Without a configured password the default user takes any password.
    let r = c.cmd(&["HELLO", "2", "AUTH", "default", "whatever"]);
    check_hello_fields(&r, 2);
}

#[test]
fn reset_restores_connection_defaults() {
    let mut c = shared().raw();
    let k = key("reset");
    assert_eq!(c.cmd(&["SET", &k, "db0"]), ok());
    assert_eq!(c.cmd(&["SELECT", "4"]), ok());
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "before-reset"]), ok());
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    // RESP2 again (nil is $-1), no name, db 0.
    assert_eq!(
        escape(&c.raw_cmd(&["CLIENT", "GETNAME"])),
        escape(b"$-1\r\n")
    );
    assert_eq!(c.cmd(&["GET", &k]), bulk("db0"));
    assert_eq!(c.cmd(&["DEL", &k]), int(1));
    assert_eq!(c.cmd(&["RESET", "x"]), arity_err("reset"));
}

#[test]
fn auth_without_password_configured() {
    let mut c = shared().raw();
    assert_eq!(
        c.cmd(&["AUTH", "pw"]),
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
    );
    assert_eq!(c.cmd(&["AUTH", "default", "anything"]), ok());
    assert_eq!(c.cmd(&["AUTH"]), arity_err("auth"));
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), syntax_err());
}

#[test]
fn auth_with_requirepass() {
    let server = start_target(DEFAULT_SHARDS, &["--requirepass", "pw"]);
    let noauth = err("NOAUTH Authentication required.");
    let wrongpass = err("WRONGPASS invalid username-password pair or user is disabled.");

    let mut c = server.raw();
    assert_eq!(c.cmd(&["GET", "k"]), noauth);
    assert_eq!(c.cmd(&["PING"]), noauth);
    assert_eq!(c.cmd(&["SET", "k", "v"]), noauth);
    assert_eq!(c.cmd(&["SELECT", "1"]), noauth);
    // Unknown commands are reported as such before authentication is checked.
    assert_eq!(
        c.cmd(&["FOO"]),
        err("ERR unknown command 'FOO', with args beginning with: ")
    );
    assert_eq!(c.cmd(&["AUTH", "wrong"]), wrongpass);
    assert_eq!(c.cmd(&["AUTH", "default", "wrong"]), wrongpass);
    assert_eq!(c.cmd(&["AUTH", "nobody", "pw"]), wrongpass);
    assert_eq!(c.cmd(&["GET", "k"]), noauth);
    assert_eq!(c.cmd(&["AUTH", "pw"]), ok());
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    // A failed AUTH after a good one does not log out (Redis keeps the user).
    assert_eq!(c.cmd(&["AUTH", "wrong"]), wrongpass);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));

    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "default", "pw"]), ok());
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));

    // HELLO needs auth first, or AUTH inside it.
    let mut c = server.raw();
    assert_eq!(
        c.cmd(&["HELLO", "3"]),
        err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
    );
    assert_eq!(
        c.cmd(&["HELLO", "3", "AUTH", "default", "wrong"]),
        wrongpass
    );
    let r = c.cmd(&["HELLO", "3", "AUTH", "default", "pw"]);
    check_hello_fields(&r, 3);
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));

    // QUIT works unauthenticated.
    let mut c = server.raw();
    assert_eq!(c.cmd(&["QUIT"]), ok());
    c.read_until_closed();

    // The redis crate with a password in the URL.
    let client = redis::Client::open(format!("redis://:pw@127.0.0.1:{}/", server.port())).unwrap();
    let mut con = client.get_connection().unwrap();
    let v: String = con.get("k").unwrap();
    assert_eq!(v, "v");
    let client =
        redis::Client::open(format!("redis://default:pw@127.0.0.1:{}/2", server.port())).unwrap();
    let mut con = client.get_connection().unwrap();
    let v: Option<String> = con.get("k").unwrap();
    assert_eq!(v, None);
    let bad = redis::Client::open(format!("redis://:nope@127.0.0.1:{}/", server.port())).unwrap();
    assert!(bad.get_connection().is_err());
}

#[test]
fn client_id_and_names() {
    let mut c = shared().raw();
    let mut d = shared().raw();
    let a = c.cmd(&["CLIENT", "ID"]).as_int();
    let b = d.cmd(&["CLIENT", "ID"]).as_int();
    assert!(a > 0 && b > 0 && a != b);
    assert_eq!(c.cmd(&["CLIENT", "ID"]), int(a));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), nil());
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "conn-a"]), ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("conn-a"));
    assert_eq!(d.cmd(&["CLIENT", "GETNAME"]), nil());
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "a b"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "a\nb"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("conn-a"));
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", ""]), ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), nil());
    assert_eq!(c.cmd(&["CLIENT", "SETNAME"]), arity_err("client|setname"));
    assert_eq!(c.cmd(&["CLIENT", "ID", "x"]), arity_err("client|id"));
    assert_eq!(c.cmd(&["CLIENT"]), arity_err("client"));
}

/// Parses `k=v k=v ...` into pairs.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("no '=' in {kv:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn get<'a>(f: &'a [(String, String)], k: &str) -> &'a str {
    f.iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {k} in {f:?}"))
}

const CLIENT_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];

#[test]
fn client_info_fields() {
    let server = shared();
    let mut c = server.raw();
    let id = c.cmd(&["CLIENT", "ID"]).as_int();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "info-client"]), ok());
    assert_eq!(c.cmd(&["SELECT", "3"]), ok());
    let info = c.cmd(&["CLIENT", "INFO"]).as_str();
    assert!(info.ends_with('\n'), "{info:?}");
    assert_eq!(info.trim_end().lines().count(), 1, "{info:?}");
    let f = fields(info.trim_end());
    let names: Vec<&str> = f.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, CLIENT_FIELDS, "{info:?}");
    assert_eq!(get(&f, "id"), id.to_string());
    assert_eq!(get(&f, "name"), "info-client");
    assert_eq!(get(&f, "db"), "3");
    assert_eq!(get(&f, "laddr"), format!("127.0.0.1:{}", server.port()));
    assert_eq!(
        get(&f, "addr"),
        c.stream().local_addr().unwrap().to_string()
    );
    assert_eq!(get(&f, "flags"), "N");
    assert_eq!(get(&f, "cmd"), "client|info");
    assert_eq!(get(&f, "user"), "default");
    assert_eq!(get(&f, "resp"), "2");
    assert_eq!(get(&f, "multi"), "-1");
    for n in ["age", "idle", "fd", "sub", "psub", "qbuf", "tot-mem"] {
        get(&f, n)
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{n} in {info:?}"));
    }
    // RESP3: a verbatim string.
    assert!(matches!(c.cmd(&["HELLO", "3"]), Resp::Map(_)));
    let r = c.cmd(&["CLIENT", "INFO"]);
    match &r {
        Resp::Verbatim(fmt, text) => {
            assert_eq!(fmt, "txt");
            let f = fields(String::from_utf8_lossy(text).trim_end());
            assert_eq!(get(&f, "resp"), "3");
        }
        other => panic!("expected verbatim string, got {other:?}"),
    }
}

#[test]
fn client_list_has_one_line_per_connection() {
    let server = shared();
    let mut a = server.raw();
    let mut b = server.raw();
    assert_eq!(a.cmd(&["CLIENT", "SETNAME", "list-a"]), ok());
    assert_eq!(b.cmd(&["CLIENT", "SETNAME", "list-b"]), ok());
    let ida = a.cmd(&["CLIENT", "ID"]).as_int();
    let idb = b.cmd(&["CLIENT", "ID"]).as_int();
    let list = a.cmd(&["CLIENT", "LIST"]).as_str();
    assert!(list.ends_with('\n'));
    let lines: Vec<Vec<(String, String)>> = list.lines().map(fields).collect();
    for l in &lines {
        let names: Vec<&str> = l.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, CLIENT_FIELDS);
    }
    let find = |name: &str| {
        let v: Vec<_> = lines.iter().filter(|l| get(l, "name") == name).collect();
        assert_eq!(v.len(), 1, "{name} in {list}");
        v[0].clone()
    };
    let la = find("list-a");
    let lb = find("list-b");
    assert_eq!(get(&la, "id"), ida.to_string());
    assert_eq!(get(&lb, "id"), idb.to_string());
    assert_eq!(get(&la, "cmd"), "client|list");
    assert_eq!(get(&lb, "cmd"), "client|id");
    // Ids are unique.
    let mut ids: Vec<&str> = lines.iter().map(|l| get(l, "id")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), lines.len());

    // CLIENT LIST ID filters.
    let only = a.cmd(&["CLIENT", "LIST", "ID", &idb.to_string()]).as_str();
    assert_eq!(only.lines().count(), 1);
    assert_eq!(get(&fields(only.trim_end()), "name"), "list-b");
    let typed = a.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).as_str();
    assert!(typed.lines().count() >= 2);

    // A closed connection disappears from the list.
    drop(b);
    let gone = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        !a.cmd(&["CLIENT", "LIST"]).as_str().contains("name=list-b ")
    });
    assert!(gone, "closed client still listed");
}

#[test]
fn pipeline_of_1000_commands_in_one_write() {
    let mut c = shared().raw();
    let mut bytes = Vec::new();
    let mut expected = Vec::new();
    for i in 0..1000 {
        let g = i / 4;
        let k = key(&format!("pipe:{g}"));
        match i % 4 {
            0 => {
                encode_command_into(&mut bytes, &["SET", &k, &g.to_string()]);
                expected.push(ok());
            }
            1 => {
                encode_command_into(&mut bytes, &["GET", &k]);
                expected.push(bulk(g.to_string()));
            }
            2 => {
                encode_command_into(&mut bytes, &["INCR", &k]);
                expected.push(int(g as i64 + 1));
            }
            _ => {
                encode_command_into(&mut bytes, &["ECHO", &i.to_string()]);
                expected.push(bulk(i.to_string()));
            }
        }
    }
    c.send(&bytes);
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(&c.read(), e, "reply #{i}");
    }
}

#[test]
fn redis_crate_typed_commands_and_pipelines() {
    let mut con = shared().conn();
    let k = key("crate");
    let _: () = con.set(&k, 42).unwrap();
    let v: i64 = con.get(&k).unwrap();
    assert_eq!(v, 42);
    let v: i64 = con.incr(&k, 8).unwrap();
    assert_eq!(v, 50);
    let _: () = con.set_ex(&k, "x", 1000).unwrap();
    let ttl: i64 = con.ttl(&k).unwrap();
    assert!((990..=1000).contains(&ttl), "{ttl}");

    let keys: Vec<String> = spread_keys(&key("crate-pipe:"), 200, DEFAULT_SHARDS);
    let mut p = redis::pipe();
    for (i, k) in keys.iter().enumerate() {
        p.set(k, i).ignore();
    }
    for k in &keys {
        p.get(k);
    }
    let got: Vec<usize> = p.query(&mut con).unwrap();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
    let mg: Vec<Option<usize>> = con.mget(&keys).unwrap();
    assert_eq!(mg, (0..200).map(Some).collect::<Vec<_>>());
    let n: usize = con.del(&keys).unwrap();
    assert_eq!(n, 200);
    let _: usize = con.del(&k).unwrap();

    // A server error surfaces as an error, and the connection stays usable.
    let e: redis::RedisResult<i64> = redis::cmd("INCR").arg(&keys[0]).arg("x").query(&mut con);
    assert!(e.is_err());
    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn redis_crate_resp3() {
    let url = format!("{}?protocol=resp3", shared().url());
    let client = redis::Client::open(url).unwrap();
    let mut con = client.get_connection().unwrap();
    let k = key("resp3");
    let _: () = con.set(&k, "v3").unwrap();
    let v: String = con.get(&k).unwrap();
    assert_eq!(v, "v3");
    let v: Option<String> = con.get(key("resp3-missing")).unwrap();
    assert_eq!(v, None);
    let hello: redis::Value = redis::cmd("HELLO").arg(3).query(&mut con).unwrap();
    assert!(matches!(hello, redis::Value::Map(_)), "{hello:?}");
    let _: i64 = con.del(&k).unwrap();
}

#[test]
fn many_connections_at_once() {
    let server = shared();
    let mut conns: Vec<RawConn> = (0..50).map(|_| server.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.send_cmd(&["SET", &key(&format!("many:{i}")), &i.to_string()]);
    }
    for c in conns.iter_mut() {
        assert_eq!(c.read(), ok());
    }
    for (i, c) in conns.iter_mut().enumerate() {
        assert_eq!(
            c.cmd(&["GETDEL", &key(&format!("many:{i}"))]),
            bulk(i.to_string())
        );
    }
}
