//! Server commands: INFO, CONFIG, DEBUG POPULATE/SLEEP, TIME, COMMAND, SHUTDOWN, signals.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrokv_tests::*;

/// INFO text -> (section names in order, field -> value).
fn parse_info(text: &str) -> (Vec<String>, BTreeMap<String, String>) {
    let mut sections = Vec::new();
    let mut fields = BTreeMap::new();
    for line in text.split("\r\n") {
        if let Some(s) = line.strip_prefix("# ") {
            sections.push(s.to_string());
        } else if let Some((k, v)) = line.split_once(':') {
            fields.insert(k.to_string(), v.to_string());
        } else {
            assert!(line.is_empty(), "odd INFO line {line:?}");
        }
    }
    (sections, fields)
}

fn info(c: &mut RawConn, args: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
    let mut a = vec!["INFO"];
    a.extend_from_slice(args);
    let r = c.cmd(&a);
    let text = r.as_str();
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    parse_info(&text)
}

fn num(f: &BTreeMap<String, String>, k: &str) -> i64 {
    f.get(k)
        .unwrap_or_else(|| panic!("INFO has no {k}"))
        .parse()
        .unwrap_or_else(|_| panic!("INFO {k} is not a number: {:?}", f[k]))
}

#[test]
fn info_default_sections_and_fields() {
    let server = shared();
    let mut c = server.raw();
    let (sections, f) = info(&mut c, &[]);
    for s in ["Server", "Clients", "Memory", "Stats", "Keyspace"] {
        assert!(sections.iter().any(|x| x == s), "no # {s} in {sections:?}");
    }
    assert_eq!(f["redis_version"], "7.0.15");
    assert_eq!(f["redis_mode"], "standalone");
    assert_eq!(num(&f, "tcp_port"), server.port() as i64);
    assert_eq!(num(&f, "process_id"), server.pid().unwrap() as i64);
    assert_eq!(num(&f, "arch_bits"), 64);
    for k in [
        "uptime_in_seconds",
        "uptime_in_days",
        "connected_clients",
        "blocked_clients",
        "maxclients",
        "used_memory",
        "used_memory_rss",
        "used_memory_peak",
        "maxmemory",
        "total_connections_received",
        "total_commands_processed",
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "total_net_output_bytes",
        "rejected_connections",
        "expired_keys",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
    ] {
        assert!(num(&f, k) >= 0, "{k}");
    }
    for k in [
        "os",
        "run_id",
        "used_memory_human",
        "maxmemory_policy",
        "mem_allocator",
    ] {
        assert!(f.contains_key(k), "INFO has no {k}");
    }
    assert!(num(&f, "connected_clients") >= 1);
    assert!(num(&f, "used_memory") > 0);
    if server.is_ferrokv() {
        assert!(f.contains_key("ferrokv_version"), "ferrokv_version");
        assert_eq!(num(&f, "shards"), server.shards() as i64);
    }
}

#[test]
fn info_sections_on_request() {
    let server = shared();
    let mut c = server.raw();
    let (sections, f) = info(&mut c, &["server"]);
    assert_eq!(sections, ["Server"]);
    assert!(f.contains_key("redis_version"));
    assert!(!f.contains_key("used_memory"));
    let (sections, _) = info(&mut c, &["CLIENTS"]);
    assert_eq!(sections, ["Clients"]);
    let (sections, f) = info(&mut c, &["memory", "stats"]);
    assert_eq!(sections, ["Memory", "Stats"]);
    assert!(f.contains_key("used_memory") && f.contains_key("keyspace_hits"));
    let (sections, _) = info(&mut c, &["keyspace"]);
    assert_eq!(sections, ["Keyspace"]);
    assert_eq!(c.cmd(&["GET", "server:info:x"]), nil());
    let (sections, f) = info(&mut c, &["commandstats"]);
    assert_eq!(sections, ["Commandstats"]);
    let get = &f["cmdstat_get"];
    assert!(get.starts_with("calls="), "{get}");
    for part in [
        "usec=",
        "usec_per_call=",
        "rejected_calls=",
        "failed_calls=",
    ] {
        assert!(get.contains(part), "{get}");
    }
    let (sections, _) = info(&mut c, &["all"]);
    assert!(sections.iter().any(|s| s == "Commandstats"));
    let (sections, _) = info(&mut c, &["everything"]);
    assert!(sections.iter().any(|s| s == "Commandstats"));
    let (sections, f) = info(&mut c, &["nosuchsection"]);
    assert!(sections.is_empty() && f.is_empty());
}

#[test]
fn info_keyspace_and_stats_count() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let (_, f) = info(&mut c, &["keyspace"]);
    assert!(f.is_empty(), "{f:?}");
    for i in 0..10 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), ok());
    }
    for i in 0..3 {
        assert_eq!(c.cmd(&["EXPIRE", &format!("k{i}"), "1000"]), int(1));
    }
    assert_eq!(c.cmd(&["SELECT", "3"]), ok());
    assert_eq!(c.cmd(&["SET", "x", "v"]), ok());
    let (_, f) = info(&mut c, &["keyspace"]);
    let db0 = &f["db0"];
    assert!(db0.starts_with("keys=10,expires=3,avg_ttl="), "{db0}");
    let avg: i64 = db0.rsplit('=').next().unwrap().parse().unwrap();
    assert!((0..=1_000_000).contains(&avg), "{db0}");
    assert_eq!(f["db3"], "keys=1,expires=0,avg_ttl=0");
    assert_eq!(f.len(), 2);

    let (_, before) = info(&mut c, &["stats"]);
    assert_eq!(c.cmd(&["GET", "x"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "x"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "missing"]), nil());
    let (_, after) = info(&mut c, &["stats"]);
    assert_eq!(
        num(&after, "keyspace_hits") - num(&before, "keyspace_hits"),
        2
    );
    assert_eq!(
        num(&after, "keyspace_misses") - num(&before, "keyspace_misses"),
        1
    );
    assert!(num(&after, "total_commands_processed") > num(&before, "total_commands_processed"));

    // connected_clients follows connections.
    let (_, f) = info(&mut c, &["clients"]);
    let base = num(&f, "connected_clients");
    let extra: Vec<RawConn> = (0..3).map(|_| server.raw()).collect();
    let mut extra = extra;
    for e in extra.iter_mut() {
        assert_eq!(e.cmd(&["PING"]), simple("PONG"));
    }
    let (_, f) = info(&mut c, &["clients"]);
    assert_eq!(num(&f, "connected_clients"), base + 3);
    drop(extra);
    assert!(poll_until(
        Duration::from_secs(10),
        Duration::from_millis(10),
        || { num(&info(&mut c, &["clients"]).1, "connected_clients") == base }
    ));

    // CONFIG RESETSTAT zeroes the counters.
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    let (_, f) = info(&mut c, &["stats"]);
    assert_eq!(num(&f, "keyspace_hits"), 0);
    assert_eq!(num(&f, "keyspace_misses"), 0);
    assert!(num(&f, "total_commands_processed") <= 2);
}

fn config_get(c: &mut RawConn, pattern: &str) -> BTreeMap<String, String> {
    c.cmd(&["CONFIG", "GET", pattern])
        .as_pairs()
        .into_iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn one(k: &str, v: &str) -> BTreeMap<String, String> {
    [(k.to_string(), v.to_string())].into_iter().collect()
}

#[test]
fn config_get_answers() {
    let server = shared();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CONFIG", "GET", "save"]), bulks(&["save", ""]));
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "appendonly"]),
        bulks(&["appendonly", "no"])
    );
    assert_eq!(
        config_get(&mut c, "port"),
        one("port", &server.port().to_string())
    );
    assert_eq!(config_get(&mut c, "databases"), one("databases", "16"));
    assert_eq!(config_get(&mut c, "bind"), one("bind", "127.0.0.1"));
    assert_eq!(config_get(&mut c, "requirepass"), one("requirepass", ""));
    assert_eq!(config_get(&mut c, "timeout"), one("timeout", "0"));
    assert_eq!(
        config_get(&mut c, "proto-max-bulk-len"),
        one("proto-max-bulk-len", "536870912")
    );
    // Asked by its exact name, the name comes back as asked.
    assert_eq!(config_get(&mut c, "SAVE"), one("SAVE", ""));
    let mm = config_get(&mut c, "maxmemory*");
    assert_eq!(mm["maxmemory"], "0");
    assert_eq!(mm["maxmemory-policy"], "noeviction");
    assert!(mm.keys().all(|k| k.starts_with("maxmemory")), "{mm:?}");
    let several = c.cmd(&["CONFIG", "GET", "port", "databases"]).as_pairs();
    assert_eq!(several.len(), 2);
    assert_eq!(c.cmd(&["CONFIG", "GET", "no-such-thing"]), arr(vec![]));
    assert_eq!(c.cmd(&["CONFIG", "GET"]), arity_err("config|get"));
    assert_eq!(
        c.cmd(&["CONFIG", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
    );
}

#[test]
fn config_set_changes_settings() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "100mb"]), ok());
    assert_eq!(
        config_get(&mut c, "maxmemory"),
        one("maxmemory", "104857600")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        ok()
    );
    assert_eq!(
        config_get(&mut c, "maxmemory-policy"),
        one("maxmemory-policy", "allkeys-lru")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "timeout", "300"]), ok());
    assert_eq!(config_get(&mut c, "timeout"), one("timeout", "300"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "0", "timeout", "0"]),
        ok()
    );
    assert_eq!(config_get(&mut c, "maxmemory"), one("maxmemory", "0"));
    assert_eq!(config_get(&mut c, "timeout"), one("timeout", "0"));
    assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), ok());
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "foo", "bar"]),
        err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory", "abc"]),
        err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory"]),
        arity_err("config|set")
    );
    assert_eq!(config_get(&mut c, "maxmemory"), one("maxmemory", "0"));
}

#[test]
fn debug_populate() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "1000"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(1000));
    assert_eq!(c.cmd(&["GET", "key:0"]), bulk("value:0"));
    assert_eq!(c.cmd(&["GET", "key:999"]), bulk("value:999"));
    assert_eq!(c.cmd(&["GET", "key:1000"]), nil());
    let shards: HashSet<usize> = (0..1000)
        .map(|i| shard_of(format!("key:{i}").as_bytes(), DEFAULT_SHARDS))
        .collect();
    assert_eq!(shards.len(), DEFAULT_SHARDS);
    // Existing keys are kept.
    assert_eq!(c.cmd(&["SET", "p:1", "mine"]), ok());
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "5", "p", "3"]), ok());
    assert_eq!(c.cmd(&["GET", "p:0"]), bulk("val"));
    assert_eq!(c.cmd(&["GET", "p:1"]), bulk("mine"));
    assert_eq!(c.cmd(&["GET", "p:4"]), bulk("val"));
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "2", "z", "12"]), ok());
    assert_eq!(c.cmd(&["GET", "z:1"]), bulk(b"value:1\0\0\0\0\0"));
    assert_eq!(c.cmd(&["DBSIZE"]), int(1007));
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", "-1"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "POPULATE", "x"]),
        err("ERR value is out of range, must be positive")
    );
    assert_eq!(c.cmd(&["SELECT", "9"]), ok());
    assert_eq!(c.cmd(&["DEBUG", "POPULATE", "10"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), int(10));
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), ok());
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.01"]), ok());
}

#[test]
fn time_command() {
    let mut c = shared().raw();
    let r = c.cmd(&["TIME"]);
    let parts = r.as_array();
    assert_eq!(parts.len(), 2, "{r:?}");
    let secs: u64 = parts[0].as_str().parse().unwrap();
    let usecs: u64 = parts[1].as_str().parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 5, "{secs} vs {now}");
    assert!(usecs < 1_000_000);
    assert_eq!(c.cmd(&["TIME", "x"]), arity_err("time"));
}

fn command_info(c: &mut RawConn, name: &str) -> (String, i64, Vec<String>, i64, i64, i64) {
    let r = c.cmd(&["COMMAND", "INFO", name]);
    let all = r.as_array();
    assert_eq!(all.len(), 1, "{r:?}");
    let e = all[0].as_array();
    let flags = e[2].as_array().iter().map(|f| f.as_str()).collect();
    (
        e[0].as_str(),
        e[1].as_int(),
        flags,
        e[3].as_int(),
        e[4].as_int(),
        e[5].as_int(),
    )
}

#[test]
fn command_table() {
    let mut c = shared().raw();
    let n = c.cmd(&["COMMAND", "COUNT"]).as_int();
    assert!(n > 40, "COMMAND COUNT {n}");
    for (name, arity, first, last, step) in [
        ("get", 2, 1, 1, 1),
        ("set", -3, 1, 1, 1),
        ("mset", -3, 1, -1, 2),
        ("mget", -2, 1, -1, 1),
        ("del", -2, 1, -1, 1),
        ("rename", 3, 1, 2, 1),
        ("copy", -3, 1, 2, 1),
        ("ping", -1, 0, 0, 0),
        ("incrbyfloat", 3, 1, 1, 1),
        ("expire", -3, 1, 1, 1),
    ] {
        let (n, a, flags, f, l, s) = command_info(&mut c, name);
        assert_eq!((n.as_str(), a, f, l, s), (name, arity, first, last, step));
        assert!(!flags.is_empty(), "{name} flags");
    }
    let (_, _, flags, _, _, _) = command_info(&mut c, "get");
    assert!(flags.contains(&"readonly".to_string()), "{flags:?}");
    let (_, _, flags, _, _, _) = command_info(&mut c, "set");
    assert!(flags.contains(&"write".to_string()), "{flags:?}");
    assert_eq!(
        c.cmd(&["COMMAND", "INFO", "nosuchcommand"]),
        arr(vec![nil()])
    );
    let all = c.cmd(&["COMMAND"]);
    assert_eq!(all.as_array().len() as i64, n);
    let docs = c.cmd(&["COMMAND", "DOCS", "get"]);
    let pairs = docs.as_pairs();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, bulk("get"));
    assert!(pairs[0].1.field("summary").is_some(), "{docs:?}");
}

#[test]
fn shutdown_command_exits_cleanly() {
    let mut server = start_target(DEFAULT_SHARDS, &[]);
    let mut other = server.raw();
    assert_eq!(other.cmd(&["SET", "k", "v"]), ok());
    let mut c = server.raw();
    c.send_cmd(&["SHUTDOWN"]);
    // No reply on success: the connection just closes.
    c.read_until_closed();
    let st = server
        .wait_exit(Duration::from_secs(20))
        .expect("server still running after SHUTDOWN");
    assert!(st.success(), "exit status {st}");
    other.read_until_closed();
}

#[test]
fn sigterm_exits_cleanly() {
    let mut server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
    let st = server
        .terminate(Duration::from_secs(20))
        .expect("server still running after SIGTERM");
    assert!(st.success(), "exit status {st}");
    c.read_until_closed();
}

#[test]
fn kill_9_and_restart_on_the_same_port() {
    let mut server = start_target(DEFAULT_SHARDS, &[]);
    let port = server.port();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    server.kill_9();
    assert!(!server.is_running());
    c.read_until_closed();
    server.restart();
    assert_eq!(server.port(), port);
    assert!(server.is_running());
    let mut c = server.raw();
    // Persistence is off: nothing survives.
    assert_eq!(c.cmd(&["DBSIZE"]), int(0));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}
