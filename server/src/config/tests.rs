//! Expected texts marked "oracle" were captured from a real redis-server 7.0.15.

use super::syntax::{memtoull, split_args, string2ll, strtoll_whole};
use super::table::{APPENDONLY_UNSUPPORTED, DAEMONIZE_UNSUPPORTED};
use super::*;
use ferrokv_shard::glob::matches as string_match;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "ferrokv-config-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path.canonicalize().expect("canonical temp dir"))
    }

    fn file(&self, name: &str, content: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write temp file");
        path.display().to_string()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load(args: &[&str]) -> Result<Config, ConfigError> {
    let argv = std::iter::once("ferrokv-server")
        .chain(args.iter().copied())
        .map(String::from)
        .collect();
    load_from_args(argv)
}

fn load_ok(args: &[&str]) -> Config {
    match load(args) {
        Ok(config) => config,
        Err(e) => panic!("{args:?} should load, got: {e}"),
    }
}

/// Loads `content` as a config file followed by `cli`.
fn load_file(content: &str, cli: &[&str]) -> Result<Config, ConfigError> {
    let dir = TempDir::new();
    let path = dir.file("redis.conf", content);
    let mut args = vec![path.as_str()];
    args.extend_from_slice(cli);
    load(&args)
}

fn file_ok(content: &str) -> Config {
    match load_file(content, &[]) {
        Ok(config) => config,
        Err(e) => panic!("{content:?} should load, got: {e}"),
    }
}

/// (line number, line text, message) of a FATAL error.
fn fatal(result: Result<Config, ConfigError>) -> (Option<(usize, String)>, String) {
    match result {
        Err(ConfigError::Fatal { line, message }) => (line, message),
        other => panic!("expected a FATAL config error, got {other:?}"),
    }
}

fn file_error(content: &str) -> String {
    fatal(load_file(content, &[])).1
}

fn get1(store: &ConfigStore, name: &str) -> String {
    match store.get_many(&[name.as_bytes()]).as_slice() {
        [(_, value)] => value.clone(),
        other => panic!("CONFIG GET {name} returned {other:?}"),
    }
}

fn set(store: &ConfigStore, pairs: &[(&str, &str)]) -> Result<(), String> {
    store.set(pairs)
}

// ---------------------------------------------------------------------------------------
// Low-level syntax

fn args_of(line: &str) -> Option<Vec<String>> {
    split_args(line.as_bytes()).map(|v| {
        v.into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    })
}

#[test]
fn split_args_follows_sdssplitargs() {
    let some = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(args_of("port 6379"), some(&["port", "6379"]));
    assert_eq!(args_of("  save \t 1   2 "), some(&["save", "1", "2"]));
    assert_eq!(args_of(r#"a "b c" 'd e'"#), some(&["a", "b c", "d e"]));
    assert_eq!(args_of(r#""\x41\n\t\"\\\q""#), some(&["A\n\t\"\\q"]));
    assert_eq!(args_of(r#"'it\'s' 'a\nb'"#), some(&["it's", "a\\nb"]));
    assert_eq!(args_of(r#"foo"bar baz""#), some(&["foobar baz"]));
    assert_eq!(args_of(r#"save """#), some(&["save", ""]));
    assert_eq!(args_of(""), some(&[]));
    assert_eq!(args_of(r#""abc"x"#), None);
    assert_eq!(args_of(r#""abc"#), None);
    assert_eq!(args_of("'abc"), None);
    assert_eq!(args_of(r#""abc\"#), None);
    // Binary escapes survive as bytes.
    assert_eq!(
        split_args(br#"requirepass "\xff\x00""#),
        Some(vec![b"requirepass".to_vec(), vec![0xff, 0x00]])
    );
}

#[test]
fn repr_matches_sdscatrepr() {
    // oracle: redis-server --port 'a"b\c'  and  --port $'x\ty\x01\xc3\xa9'
    assert_eq!(repr(br#"a"b\c"#), r#""a\"b\\c""#);
    assert_eq!(repr(b"x\ty\x01\xc3\xa9"), r#""x\ty\x01\xc3\xa9""#);
    assert_eq!(repr(b""), r#""""#);
    assert_eq!(repr(b"\r\n\x07\x08"), r#""\r\n\a\b""#);
}

#[test]
fn memory_units() {
    let cases: &[(&str, Option<u64>)] = &[
        ("0", Some(0)),
        ("100", Some(100)),
        ("1b", Some(1)),
        ("1B", Some(1)),
        ("1k", Some(1000)),
        ("1K", Some(1000)),
        ("1kb", Some(1024)),
        ("1Kb", Some(1024)),
        ("1m", Some(1_000_000)),
        ("1mb", Some(1 << 20)),
        ("1MB", Some(1 << 20)),
        ("1g", Some(1_000_000_000)),
        ("1gb", Some(1 << 30)),
        ("2GB", Some(2 << 30)),
        // oracle: Redis accepts an empty number as 0.
        ("", Some(0)),
        ("mb", Some(0)),
        ("18446744073709551615", Some(u64::MAX)),
        // oracle: strtoull saturates.
        ("18446744073709551616", Some(u64::MAX)),
        // Redis 7.0.15 wraps this to 0 (unlimited); we refuse instead.
        ("17179869184gb", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("1.5mb", None),
        ("1t", None),
        ("1kib", None),
    ];
    for (input, expected) in cases {
        assert_eq!(memtoull(input.as_bytes()), *expected, "memtoull({input:?})");
    }
}

#[test]
fn strict_integers() {
    let cases: &[(&str, Option<i64>)] = &[
        ("0", Some(0)),
        ("7", Some(7)),
        ("-7", Some(-7)),
        ("9223372036854775807", Some(i64::MAX)),
        ("-9223372036854775808", Some(i64::MIN)),
        ("9223372036854775808", None),
        ("01", None),
        ("-0", None),
        ("+1", None),
        (" 1", None),
        ("1e3", None),
        ("", None),
        ("-", None),
    ];
    for (input, expected) in cases {
        assert_eq!(
            string2ll(input.as_bytes()),
            *expected,
            "string2ll({input:?})"
        );
    }
}

#[test]
fn save_parameter_integers() {
    assert_eq!(strtoll_whole(b"60"), Some(60));
    assert_eq!(strtoll_whole(b" +60"), Some(60));
    assert_eq!(strtoll_whole(b"007"), Some(7));
    assert_eq!(strtoll_whole(b""), Some(0));
    assert_eq!(strtoll_whole(b" "), None);
    assert_eq!(strtoll_whole(b"60 "), None);
    assert_eq!(strtoll_whole(b"abc"), None);
    assert_eq!(strtoll_whole(b"99999999999999999999"), Some(i64::MAX));
}

#[test]
fn glob_matching() {
    let cases: &[(&str, &str, bool, bool)] = &[
        ("*", "anything", false, true),
        // Redis's loop never runs on an empty string, so even `*` fails it.
        ("*", "", false, false),
        ("p?rt", "port", false, true),
        ("p?rt", "prt", false, false),
        ("hash-max-*", "hash-max-listpack-entries", false, true),
        ("*max-*-entries*", "set-max-intset-entries", false, true),
        ("*max-*-entries*", "maxmemory", false, false),
        ("[pq]ort", "port", false, true),
        ("[^p]ort", "port", false, false),
        ("[^p]ort", "sort", false, true),
        ("[a-c]x", "bx", false, true),
        ("[c-a]x", "bx", false, true),
        ("[a-c]x", "dx", false, false),
        (r"\*", "*", false, true),
        (r"\*", "a", false, false),
        (r"[\]]", "]", false, true),
        ("PORT", "port", true, true),
        ("PORT", "port", false, false),
        ("[A-C]x", "bx", true, true),
        ("p[o", "po", false, true),
        ("p[o", "px", false, false),
        ("a*b*c", "aXbYc", false, true),
        ("a*b*c", "aXbY", false, false),
        ("**a", "bba", false, true),
        ("a**", "a", false, true),
    ];
    for &(pattern, string, nocase, expected) in cases {
        assert_eq!(
            string_match(pattern.as_bytes(), string.as_bytes(), nocase),
            expected,
            "match({pattern:?}, {string:?}, nocase={nocase})"
        );
    }
    // Pathological patterns finish quickly thanks to the skip-longer-matches rule.
    let pattern = "*a".repeat(40) + "b";
    assert!(!string_match(pattern.as_bytes(), &[b'a'; 60], false));
}

// ---------------------------------------------------------------------------------------
// Directives

#[test]
fn defaults() {
    let c = load_ok(&[]);
    assert_eq!(c, Config::default());
    assert_eq!(c.port, 6379);
    assert_eq!(c.bind, ["127.0.0.1", "-::1"]);
    assert!(c.protected_mode);
    assert_eq!(c.requirepass, None);
    assert_eq!(c.databases, 16);
    assert_eq!(c.timeout, 0);
    assert_eq!(c.tcp_keepalive, 300);
    assert_eq!(c.maxclients, 10000);
    assert_eq!(c.loglevel, LogLevel::Notice);
    assert_eq!(c.logfile, None);
    assert_eq!(c.save.len(), 3);
    assert_eq!(c.proto_max_bulk_len, 512 << 20);
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::NoEviction);
    assert_eq!(c.hz, 10);
    assert_eq!(c.busy_reply_threshold, 5000);
    assert_eq!(c.notify_keyspace_events.to_string(), "");
    assert!(c.shards >= 1);
    assert_eq!(
        (
            c.hash_max_listpack_entries,
            c.hash_max_listpack_value,
            c.set_max_intset_entries,
            c.zset_max_listpack_entries,
            c.zset_max_listpack_value,
            c.list_max_listpack_size
        ),
        (512, 64, 512, 128, 64, -2)
    );
}

#[test]
fn every_directive_parses() {
    let dir = TempDir::new();
    let log = dir.path("server.log");
    let c = file_ok(&format!(
        "port 6380\n\
         bind 10.0.0.1 -::1\n\
         protected-mode no\n\
         requirepass \"s3cr\\x00t\"\n\
         databases 4\n\
         timeout 30\n\
         tcp-keepalive 60\n\
         maxclients 50\n\
         loglevel WARNING\n\
         logfile {log}\n\
         dir {}\n\
         daemonize no\n\
         save 900 1\n\
         appendonly no\n\
         appendfsync always\n\
         proto-max-bulk-len 1mb\n\
         maxmemory 2gb\n\
         maxmemory-policy allkeys-lru\n\
         hz 100\n\
         lua-time-limit 100\n\
         notify-keyspace-events Ex\n\
         shards 3\n\
         hash-max-ziplist-entries 1\n\
         hash-max-listpack-value 1kb\n\
         set-max-intset-entries 3\n\
         zset-max-ziplist-entries 4\n\
         zset-max-ziplist-value 5\n\
         list-max-ziplist-size 8\n",
        dir.0.display()
    ));
    assert_eq!(c.port, 6380);
    assert_eq!(c.bind, ["10.0.0.1", "-::1"]);
    assert!(!c.protected_mode);
    assert_eq!(c.requirepass.as_deref(), Some("s3cr\0t"));
    assert_eq!(c.databases, 4);
    assert_eq!(c.timeout, 30);
    assert_eq!(c.tcp_keepalive, 60);
    assert_eq!(c.maxclients, 50);
    assert_eq!(c.loglevel, LogLevel::Warning);
    assert_eq!(c.logfile.as_deref(), Some(Path::new(&log)));
    assert!(Path::new(&log).exists(), "the log file is opened at load");
    assert_eq!(c.dir, dir.0);
    assert_eq!(
        c.save,
        [SavePoint {
            seconds: 900,
            changes: 1
        }]
    );
    assert_eq!(c.appendfsync, AppendFsync::Always);
    assert_eq!(c.proto_max_bulk_len, 1 << 20);
    assert_eq!(c.maxmemory, 2 << 30);
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(c.hz, 100);
    assert_eq!(c.busy_reply_threshold, 100);
    assert_eq!(
        c.notify_keyspace_events,
        KeyspaceEvents::KEYEVENT | KeyspaceEvents::EXPIRED
    );
    assert_eq!(c.shards, 3);
    assert_eq!(c.hash_max_listpack_entries, 1);
    assert_eq!(c.hash_max_listpack_value, 1024);
    assert_eq!(c.set_max_intset_entries, 3);
    assert_eq!(c.zset_max_listpack_entries, 4);
    assert_eq!(c.zset_max_listpack_value, 5);
    assert_eq!(c.list_max_listpack_size, 8);
}

#[test]
fn every_policy_level_and_fsync_name() {
    for &(name, policy) in MaxmemoryPolicy::ALL {
        assert_eq!(
            file_ok(&format!("maxmemory-policy {}", name.to_uppercase())).maxmemory_policy,
            policy
        );
        assert_eq!(policy.as_str(), name);
        assert_eq!(policy.to_string(), name);
    }
    for &(name, level) in LogLevel::ALL {
        assert_eq!(file_ok(&format!("loglevel {name}")).loglevel, level);
        assert_eq!(level.as_str(), name);
    }
    for &(name, fsync) in AppendFsync::ALL {
        assert_eq!(file_ok(&format!("appendfsync {name}")).appendfsync, fsync);
        assert_eq!(fsync.as_str(), name);
    }
}

#[test]
fn bad_values_use_redis_messages() {
    let range = |lo: &str, hi: &str| format!("argument must be between {lo} and {hi} inclusive");
    let not_int = "argument couldn't be parsed into an integer";
    let cases: Vec<(&str, String)> =
        vec![
        // oracle-verified texts
        ("port abc", not_int.into()),
        ("port 65536", range("0", "65535")),
        ("timeout 01", not_int.into()),
        ("timeout +1", not_int.into()),
        ("timeout -1", range("0", "2147483647")),
        ("timeout 2147483648", range("0", "2147483647")),
        ("tcp-keepalive x", not_int.into()),
        ("databases 0", range("1", "2147483647")),
        ("maxclients 0", range("1", "4294967295")),
        ("maxclients -1", range("1", "4294967295")),
        ("maxmemory -1", "argument must be a memory value".into()),
        ("maxmemory 1.5mb", "argument must be a memory value".into()),
        (
            "proto-max-bulk-len 100",
            range("1048576", "9223372036854775807"),
        ),
        (
            "proto-max-bulk-len 9223372036854775808",
            range("1048576", "9223372036854775807"),
        ),
        (
            "maxmemory-policy foo",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
                .into(),
        ),
        (
            "loglevel none",
            "argument(s) must be one of the following: debug, verbose, notice, warning, nothing"
                .into(),
        ),
        (
            "appendfsync foo",
            "argument(s) must be one of the following: everysec, always, no".into(),
        ),
        (
            "protected-mode maybe",
            "argument must be 'yes' or 'no'".into(),
        ),
        ("daemonize maybe", "argument must be 'yes' or 'no'".into()),
        ("appendonly maybe", "argument must be 'yes' or 'no'".into()),
        (
            "hash-max-listpack-entries -1",
            range("0", "9223372036854775807"),
        ),
        (
            "hash-max-listpack-value x",
            "argument must be a memory value".into(),
        ),
        (
            "list-max-listpack-size -2147483649",
            range("-2147483648", "2147483647"),
        ),
        ("lua-time-limit -1", range("0", "9223372036854775807")),
        (
            "notify-keyspace-events Q",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into(),
        ),
        ("save 1 2 3", "Invalid save parameters".into()),
        ("save 0 1", "Invalid save parameters".into()),
        ("save abc 1", "Invalid save parameters".into()),
        ("save 1 -1", "Invalid save parameters".into()),
        (
            "dir /nonexistent-ferrokv-dir",
            "No such file or directory".into(),
        ),
        ("dir /etc/passwd", "Not a directory".into()),
        ("requirepass \"\\xff\"", "argument must be valid UTF-8".into()),
        ("hz -1", range("0", "2147483647")),
        // ferrokv's own
        ("shards 0", range("1", "1024")),
        ("shards 1025", range("1", "1024")),
        ("daemonize yes", DAEMONIZE_UNSUPPORTED.into()),
        ("appendonly yes", APPENDONLY_UNSUPPORTED.into()),
        ("appendonly YES", APPENDONLY_UNSUPPORTED.into()),
    ];
    for (line, expected) in cases {
        assert_eq!(file_error(line), expected, "for {line:?}");
    }
    let too_many_binds = format!("bind {}", vec!["1.2.3.4"; 17].join(" "));
    assert_eq!(
        file_error(&too_many_binds),
        "Too many bind addresses specified."
    );
}

#[test]
fn line_structure_errors() {
    // oracle: wrong arity, bad directive, unbalanced quotes
    assert_eq!(file_error("port 1 2"), "wrong number of arguments");
    assert_eq!(file_error("port"), "wrong number of arguments");
    assert_eq!(
        file_error("notify-keyspace-events"),
        "wrong number of arguments"
    );
    assert_eq!(
        file_error("bogus 1"),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        file_error("include"),
        "Bad directive or wrong number of arguments"
    );
    assert_eq!(
        file_error("port \"abc"),
        "Unbalanced quotes in configuration line"
    );
    assert_eq!(
        file_error("port \"abc\"x"),
        "Unbalanced quotes in configuration line"
    );
    assert_eq!(
        file_error("tcp-backlog 511"),
        "'tcp-backlog' is a Redis directive that ferrokv does not support"
    );
    assert_eq!(
        file_error("Rename-Command FLUSHALL \"\""),
        "'rename-command' is a Redis directive that ferrokv does not support"
    );
}

#[test]
fn comments_blank_lines_case_and_crlf() {
    let c = file_ok(
        "# a comment\r\n\
         \r\n\
         \t  PORT 7000 \t\r\n\
         MaxMemory 1KB\r\n\
         # port 1\n\
         ",
    );
    assert_eq!(c.port, 7000);
    assert_eq!(c.maxmemory, 1024);
    // oracle: the reported line is trimmed but keeps the user's case.
    assert_eq!(
        fatal(load_file(
            "port  1  \t\r\n   # comment\n\n  PORT 2 3\n",
            &[]
        )),
        (
            Some((4, "PORT 2 3".to_string())),
            "wrong number of arguments".to_string()
        )
    );
}

#[test]
fn deprecated_directives_are_ignored() {
    let c = file_ok(
        "list-max-ziplist-entries 512\nlist-max-ziplist-value 64\nlua-replicate-commands yes\n",
    );
    assert_eq!(
        c,
        Config {
            config_file: c.config_file.clone(),
            ..Config::default()
        }
    );
}

#[test]
fn save_lines_replace_defaults_then_append() {
    let points = |c: &Config| {
        c.save
            .iter()
            .map(|p| (p.seconds, p.changes))
            .collect::<Vec<_>>()
    };
    // oracle cases A, B, E
    assert_eq!(points(&file_ok("save 100 1\nsave \"\"\n")), []);
    assert_eq!(points(&file_ok("save \"\"\nsave 100 1\n")), [(100, 1)]);
    assert_eq!(
        points(&file_ok("save 100 1 200 2\nSAVE 300 3\n")),
        [(100, 1), (200, 2), (300, 3)]
    );
    assert_eq!(points(&file_ok("port 1\n")).len(), 3);
    // oracle cases C, D: the command line keeps appending to the file's points.
    assert_eq!(
        points(&load_file("save 100 1\n", &["--save", "200", "2"]).expect("loads")),
        [(100, 1), (200, 2)]
    );
    assert_eq!(
        points(&load_file("save 100 1\n", &["--save", ""]).expect("loads")),
        []
    );
    assert_eq!(points(&load_ok(&["--save"])), []);
    assert_eq!(
        points(&load_ok(&["--save", "--port", "7000"])),
        [],
        "--save followed by another option means save \"\""
    );
}

#[test]
fn bind_lines() {
    // oracle case F: the last bind line wins.
    assert_eq!(
        file_ok("bind 127.0.0.1\nbind 127.0.0.1 -::1\n").bind,
        ["127.0.0.1", "-::1"]
    );
    assert_eq!(
        load_ok(&["--bind", "127.0.0.1", "::1"]).bind,
        ["127.0.0.1", "::1"]
    );
    let c = file_ok("bind \"\"\n");
    assert!(c.bind.is_empty());
    assert_eq!(
        c.bind_addrs(),
        [
            BindAddr {
                host: "0.0.0.0".into(),
                optional: false
            },
            BindAddr {
                host: "::".into(),
                optional: true
            }
        ]
    );
    assert_eq!(
        Config::default().bind_addrs(),
        [
            BindAddr {
                host: "127.0.0.1".into(),
                optional: false
            },
            BindAddr {
                host: "::1".into(),
                optional: true
            }
        ]
    );
}

#[test]
fn include_nested_and_globbed() {
    let dir = TempDir::new();
    let inner = dir.file("inner.conf", "timeout 9\nmaxmemory 1mb\n");
    let middle = dir.file("middle.conf", &format!("timeout 8\ninclude {inner}\n"));
    let main = dir.file(
        "main.conf",
        &format!("port 7000\ninclude \"{middle}\"\nport 7001\n"),
    );
    let c = load_ok(&[&main]);
    assert_eq!((c.port, c.timeout, c.maxmemory), (7001, 9, 1 << 20));
    assert_eq!(c.config_file.as_deref(), Some(Path::new(&main)));

    // oracle cases G, H: wildcard includes load in sorted order; no match is not an error.
    dir.file("inc2.conf", "hz 20\n");
    dir.file("inc1.conf", "hz 30\ntimeout 1\n");
    let pattern = format!("{}/inc*.conf", dir.0.display());
    let c = file_ok(&format!("include {pattern}\n"));
    assert_eq!((c.hz, c.timeout), (20, 1));
    let c = file_ok(&format!(
        "include {}/nomatch*.conf\ntimeout 3\n",
        dir.0.display()
    ));
    assert_eq!(c.timeout, 3);
    let c = file_ok(&format!("include {}/inc[2].conf\n", dir.0.display()));
    assert_eq!(c.hz, 20);
}

#[test]
fn include_errors() {
    let dir = TempDir::new();
    let missing = dir.path("missing.conf");
    let err = load_file(&format!("include {missing}\n"), &[]).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!("Fatal error, can't open config file '{missing}': No such file or directory")
    );
    assert_eq!(err.exit_code(), 1);

    // Line numbers inside an included file are that file's own.
    let bad = dir.file("bad.conf", "port 1\n\nport x\n");
    assert_eq!(
        fatal(load_file(&format!("timeout 1\ninclude {bad}\n"), &[])),
        (
            Some((3, "port x".to_string())),
            "argument couldn't be parsed into an integer".to_string()
        )
    );

    let looping = dir.path("loop.conf");
    std::fs::write(&looping, format!("include {looping}\n")).expect("write");
    let (_, message) = fatal(load(&[&looping]));
    assert!(message.contains("include nesting is too deep"), "{message}");
}

#[test]
fn missing_config_file() {
    // oracle: Fatal error, can't open config file '/nonexistent.conf': No such file or directory
    let err = load(&["/nonexistent-ferrokv.conf"]).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        "Fatal error, can't open config file '/nonexistent-ferrokv.conf': No such file or directory"
    );
}

#[test]
fn logfile_must_be_writable() {
    // oracle: the report has no line part.
    let err = load(&["--logfile", "/nonexistent-ferrokv-dir/x.log"]).expect_err("must fail");
    assert_eq!(
        err,
        ConfigError::Fatal {
            line: None,
            message: "Can't open the log file: No such file or directory".into()
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "\n*** FATAL CONFIG FILE ERROR (ferrokv {FERROKV_VERSION}) ***\n\
             Can't open the log file: No such file or directory"
        )
    );
}

// ---------------------------------------------------------------------------------------
// Command line

#[test]
fn fatal_report_layout() {
    // oracle: redis-server --port abc
    let err = load(&["--port", "abc"]).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "\n*** FATAL CONFIG FILE ERROR (ferrokv {FERROKV_VERSION}) ***\n\
             Reading the configuration file, at line 2\n\
             >>> 'port \"abc\"'\n\
             argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(err.exit_code(), 1);

    // oracle: a file with a bogus second line
    let err = load_file("port 7000\nbogus 1\n", &[]).expect_err("must fail");
    assert_eq!(
        err.to_string(),
        format!(
            "\n*** FATAL CONFIG FILE ERROR (ferrokv {FERROKV_VERSION}) ***\n\
             Reading the configuration file, at line 2\n\
             >>> 'bogus 1'\n\
             Bad directive or wrong number of arguments"
        )
    );
}

#[test]
fn command_line_lines_as_redis_builds_them() {
    let line = |r| fatal(r).0.expect("has a line");
    // oracle: the options start on the line after the file's last line.
    assert_eq!(
        line(load_file("port 1\nport 2\n", &["--port", "abc"])),
        (4, "port \"abc\"".into())
    );
    assert_eq!(
        line(load_file("port 1\nport 2", &["--port", "abc"])),
        (3, "port \"abc\"".into())
    );
    // oracle: a value-less option at the end
    assert_eq!(
        fatal(load(&["--appendonly"])),
        (
            Some((2, "appendonly".into())),
            "wrong number of arguments".into()
        )
    );
    // oracle: after a value-less option the next argument is its value, dashes or not
    assert_eq!(
        fatal(load(&["--port", "1", "--appendonly", "--save"])),
        (
            Some((3, "appendonly \"--save\"".into())),
            "argument must be 'yes' or 'no'".into()
        )
    );
    // oracle: "--port 6390 --bind" as one argument is used verbatim
    assert_eq!(
        fatal(load(&["--port 6390 --bind"])),
        (
            Some((2, "port 6390 --bind".into())),
            "wrong number of arguments".into()
        )
    );
    // oracle: `--save --port abc` becomes `save ""` and `port "abc"`
    assert_eq!(
        line(load(&["--save", "--port", "abc"])),
        (3, "port \"abc\"".into())
    );
    // oracle: several values, and an empty one
    assert_eq!(
        line(load(&["--port", "1", "2"])),
        (2, "port \"1\" \"2\"".into())
    );
    assert_eq!(line(load(&["--port", ""])), (2, "port \"\"".into()));
}

#[test]
fn command_line_overrides_file() {
    let c = load_file(
        "port 7000\nmaxmemory 1gb\nrequirepass old\n",
        &[
            "--port",
            "7001",
            "--maxmemory",
            "2gb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--requirepass",
            "new pass",
            "--shards",
            "2",
            "--databases",
            "32",
            "--appendonly",
            "no",
        ],
    )
    .expect("loads");
    assert_eq!(c.port, 7001);
    assert_eq!(c.maxmemory, 2 << 30);
    assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
    assert_eq!(c.requirepass.as_deref(), Some("new pass"));
    assert_eq!(c.shards, 2);
    assert_eq!(c.databases, 32);
    // A value containing quotes or backslashes reaches the directive unchanged.
    let c = load_ok(&["--requirepass", r#"a"b\c 'd'"#]);
    assert_eq!(c.requirepass.as_deref(), Some(r#"a"b\c 'd'"#));
    assert_eq!(load_ok(&["--port 6390"]).port, 6390);
    assert_eq!(load_ok(&["--LUA-TIME-LIMIT", "7"]).busy_reply_threshold, 7);
}

#[test]
fn cli_refuses_daemonize_and_appendonly() {
    let (line, message) = fatal(load(&["--appendonly", "yes"]));
    assert_eq!(line, Some((2, "appendonly \"yes\"".into())));
    assert_eq!(message, APPENDONLY_UNSUPPORTED);
    let (_, message) = fatal(load(&["--daemonize", "yes"]));
    assert_eq!(message, DAEMONIZE_UNSUPPORTED);
    assert!(!load_ok(&["--daemonize", "no"]).daemonize);
}

#[test]
fn help_and_version() {
    cli_command().debug_assert();
    for flag in ["-v", "--version"] {
        let err = load(&[flag, "--port", "abc"]).expect_err("prints the version");
        assert_eq!(err.exit_code(), 0);
        assert_eq!(
            err.to_string(),
            format!("ferrokv-server v={FERROKV_VERSION} redis_version=7.0.15")
        );
    }
    for flag in ["-h", "--help"] {
        let err = load(&[flag]).expect_err("prints help");
        assert_eq!(err.exit_code(), 0);
        let text = err.to_string();
        for needle in [
            "--maxmemory-policy",
            "--lua-time-limit",
            "--shards",
            "redis.conf",
        ] {
            assert!(text.contains(needle), "help lacks {needle}:\n{text}");
        }
    }
    // Only the first argument is special, as in Redis.
    assert_eq!(
        fatal(load(&["--port", "1", "--help"])),
        (
            Some((3, "help".into())),
            "Bad directive or wrong number of arguments".into()
        )
    );
}

// ---------------------------------------------------------------------------------------
// CONFIG GET

#[test]
fn client_output_buffer_limit_like_redis() {
    let store = ConfigStore::new(Config::default());
    assert_eq!(
        store.set(&[(
            "client-output-buffer-limit",
            "pubsub 1mb 512kb 5 replica 1 2 3"
        )]),
        Ok(())
    );
    assert_eq!(
        get1(&store, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1 2 3 pubsub 1048576 524288 5"
    );
    for (bad, why) in [
        (
            "pubsub 1mb 0",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "master 0 0 0",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "pubsub x 0 0",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "normal 0 0 0 pubsub 0 0 -1",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
    ] {
        let err = store
            .set(&[("client-output-buffer-limit", bad)])
            .expect_err(bad);
        assert!(err.contains(why), "{bad}: {err}");
    }
    // A refused value changes nothing.
    assert_eq!(
        get1(&store, "client-output-buffer-limit"),
        "normal 0 0 0 slave 1 2 3 pubsub 1048576 524288 5"
    );
}

#[test]
fn config_get_formats_like_redis() {
    let store = ConfigStore::new(Config {
        shards: 4,
        ..Config::default()
    });
    let cwd = std::env::current_dir().expect("cwd");
    let expected: &[(&str, String)] = &[
        ("port", "6379".into()),
        ("bind", "127.0.0.1 -::1".into()),
        ("protected-mode", "yes".into()),
        ("requirepass", "".into()),
        ("databases", "16".into()),
        ("timeout", "0".into()),
        ("tcp-keepalive", "300".into()),
        ("maxclients", "10000".into()),
        ("loglevel", "notice".into()),
        ("logfile", "".into()),
        ("dir", cwd.display().to_string()),
        ("daemonize", "no".into()),
        ("save", "3600 1 300 100 60 10000".into()),
        ("appendonly", "no".into()),
        ("appendfsync", "everysec".into()),
        ("proto-max-bulk-len", "536870912".into()),
        ("maxmemory", "0".into()),
        ("maxmemory-policy", "noeviction".into()),
        ("hz", "10".into()),
        ("busy-reply-threshold", "5000".into()),
        ("lua-time-limit", "5000".into()),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".into(),
        ),
        ("notify-keyspace-events", "".into()),
        ("shards", "4".into()),
        ("hash-max-listpack-entries", "512".into()),
        ("hash-max-ziplist-entries", "512".into()),
        ("hash-max-listpack-value", "64".into()),
        ("hash-max-ziplist-value", "64".into()),
        ("set-max-intset-entries", "512".into()),
        ("zset-max-listpack-entries", "128".into()),
        ("zset-max-ziplist-entries", "128".into()),
        ("zset-max-listpack-value", "64".into()),
        ("zset-max-ziplist-value", "64".into()),
        ("list-max-listpack-size", "-2".into()),
        ("list-max-ziplist-size", "-2".into()),
        ("stream-node-max-bytes", "4096".into()),
        ("stream-node-max-entries", "100".into()),
    ];
    for (name, value) in expected {
        assert_eq!(&get1(&store, name), value, "CONFIG GET {name}");
    }
    let all = store.get_many(&[b"*"]);
    assert_eq!(all.len(), expected.len());
    for (name, value) in expected {
        assert!(
            all.contains(&(name.to_string(), value.clone())),
            "* lacks {name}"
        );
    }
}

#[test]
fn config_get_patterns() {
    let store = ConfigStore::new(Config::default());
    let names = |patterns: &[&str]| {
        let patterns: Vec<&[u8]> = patterns.iter().map(|p| p.as_bytes()).collect();
        let mut names: Vec<String> = store
            .get_many(&patterns)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort();
        names
    };
    // oracle
    assert_eq!(names(&["PORT"]), ["PORT"]);
    assert_eq!(names(&["P?RT"]), ["port"]);
    assert_eq!(names(&["port", "PORT"]), ["port"]);
    assert_eq!(names(&["PO*", "port"]), ["port"]);
    assert_eq!(names(&["p[o]rt", r"P\ORT"]), ["port"]);
    assert!(names(&[r"P\ORT"]).is_empty());
    assert!(names(&["nonexistent"]).is_empty());
    assert_eq!(names(&["lua*"]), ["lua-time-limit"]);
    assert_eq!(names(&["busy*"]), ["busy-reply-threshold"]);
    assert_eq!(
        names(&["hash-max-*"]),
        [
            "hash-max-listpack-entries",
            "hash-max-listpack-value",
            "hash-max-ziplist-entries",
            "hash-max-ziplist-value"
        ]
    );
    assert_eq!(
        names(&["*max-*-entries*"]),
        [
            "hash-max-listpack-entries",
            "hash-max-ziplist-entries",
            "set-max-intset-entries",
            "zset-max-listpack-entries",
            "zset-max-ziplist-entries"
        ]
    );
    assert_eq!(
        names(&["maxmemory*", "*policy"]),
        ["maxmemory", "maxmemory-policy"]
    );
    assert_eq!(names(&["sh?rds"]), ["shards"]);
}

// ---------------------------------------------------------------------------------------
// CONFIG SET

#[test]
fn config_set_updates_values_and_version() {
    let store = ConfigStore::new(Config::default());
    assert_eq!(store.version(), 0);
    let ok = |pairs: &[(&str, &str)]| {
        if let Err(e) = set(&store, pairs) {
            panic!("CONFIG SET {pairs:?}: {e}");
        }
    };
    ok(&[("maxmemory", "1gb")]);
    assert_eq!(get1(&store, "maxmemory"), "1073741824");
    ok(&[("maxmemory", "1GB")]);
    assert_eq!(get1(&store, "maxmemory"), "1073741824");
    ok(&[("maxmemory", "1g")]);
    assert_eq!(get1(&store, "maxmemory"), "1000000000");
    ok(&[("maxmemory", "")]);
    assert_eq!(get1(&store, "maxmemory"), "0");
    ok(&[("TIMEOUT", "5")]);
    assert_eq!(get1(&store, "timeout"), "5");
    // oracle: hz is clamped to 1..500
    ok(&[("hz", "0")]);
    assert_eq!(get1(&store, "hz"), "1");
    ok(&[("hz", "100000")]);
    assert_eq!(get1(&store, "hz"), "500");
    // oracle: notify-keyspace-events round trips
    for (input, shown) in [
        ("KEA", "AKE"),
        ("g$lshzxetd", "A"),
        ("g$lshzxet", "g$lshzxet"),
        ("An", "A"),
        ("Am", "Am"),
        ("Kmn", "nKm"),
        ("d", "d"),
        ("nE", "nE"),
        ("Kx", "xK"),
        ("", ""),
    ] {
        ok(&[("notify-keyspace-events", input)]);
        assert_eq!(
            get1(&store, "notify-keyspace-events"),
            shown,
            "for {input:?}"
        );
    }
    ok(&[("save", "")]);
    assert_eq!(get1(&store, "save"), "");
    ok(&[("save", "3600 1 300 100 60 10000")]);
    assert_eq!(get1(&store, "save"), "3600 1 300 100 60 10000");
    ok(&[("save", "10 1")]);
    assert_eq!(get1(&store, "save"), "10 1", "CONFIG SET save replaces");
    ok(&[("requirepass", "pw")]);
    assert_eq!(store.snapshot().requirepass.as_deref(), Some("pw"));
    ok(&[("requirepass", "")]);
    assert_eq!(store.snapshot().requirepass, None);
    ok(&[("appendonly", "no"), ("protected-mode", "no")]);
    ok(&[("loglevel", "DEBUG"), ("maxmemory-policy", "ALLKEYS-LFU")]);
    assert_eq!(get1(&store, "loglevel"), "debug");
    assert_eq!(get1(&store, "maxmemory-policy"), "allkeys-lfu");
    ok(&[("hash-max-listpack-value", "1kb")]);
    assert_eq!(get1(&store, "hash-max-ziplist-value"), "1024");
    // oracle: an alias and its primary name are not duplicates; the later one wins.
    ok(&[("lua-time-limit", "100"), ("busy-reply-threshold", "200")]);
    assert_eq!(get1(&store, "lua-time-limit"), "200");

    assert_eq!(store.version(), 26);
}

#[test]
fn config_set_errors_match_redis() {
    let store = ConfigStore::new(Config::default());
    let err = |pairs: &[(&str, &str)]| set(&store, pairs).expect_err("must fail");
    let failed = |name: &str, why: &str| {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
    };
    // oracle texts
    assert_eq!(
        err(&[("foo", "bar")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        err(&[("databases", "3")]),
        failed("databases", "can't set immutable config")
    );
    assert_eq!(
        err(&[("DATABASES", "1")]),
        failed("DATABASES", "can't set immutable config")
    );
    assert_eq!(
        err(&[("daemonize", "no")]),
        failed("daemonize", "can't set immutable config")
    );
    assert_eq!(
        err(&[("dir", "/tmp")]),
        failed("dir", "can't set protected config")
    );
    assert_eq!(
        err(&[("maxmemory", "10xb")]),
        failed("maxmemory", "argument must be a memory value")
    );
    assert_eq!(
        err(&[("timeout", "-1")]),
        failed(
            "timeout",
            "argument must be between 0 and 2147483647 inclusive"
        )
    );
    assert_eq!(
        err(&[("LUA-TIME-LIMIT", "abc")]),
        failed(
            "lua-time-limit",
            "argument couldn't be parsed into an integer"
        )
    );
    assert_eq!(
        err(&[("timeout", "1"), ("timeout", "2")]),
        failed("timeout", "duplicate parameter")
    );
    assert_eq!(
        err(&[("lua-time-limit", "1"), ("LUA-TIME-LIMIT", "2")]),
        failed("LUA-TIME-LIMIT", "duplicate parameter")
    );
    assert_eq!(
        err(&[("timeout", "1"), ("foo", "2")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    assert_eq!(
        err(&[("save", "1 2 3")]),
        failed("save", "Invalid save parameters")
    );
    assert_eq!(
        err(&[("maxmemory-policy", "foo")]),
        failed(
            "maxmemory-policy",
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
             volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        )
    );
    assert_eq!(
        err(&[("protected-mode", "maybe")]),
        failed("protected-mode", "argument must be 'yes' or 'no'")
    );
    assert_eq!(
        err(&[("proto-max-bulk-len", "100")]),
        failed(
            "proto-max-bulk-len",
            "argument must be between 1048576 and 9223372036854775807 inclusive"
        )
    );
    assert_eq!(
        err(&[("notify-keyspace-events", "Q")]),
        failed(
            "notify-keyspace-events",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
        )
    );
    // The first problem decides the error, as in Redis.
    assert_eq!(
        err(&[("databases", "1"), ("foo", "2")]),
        failed("databases", "can't set immutable config")
    );
    assert_eq!(
        err(&[("foo", "1"), ("databases", "2")]),
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    );
    // ferrokv-specific refusals
    for name in ["port", "bind", "shards", "logfile"] {
        assert_eq!(
            err(&[(name, "1")]),
            failed(name, "can't set immutable config")
        );
    }
    assert_eq!(
        err(&[("appendonly", "yes")]),
        failed("appendonly", APPENDONLY_UNSUPPORTED)
    );
    assert_eq!(store.version(), 0);
    assert_eq!(store.snapshot(), Config::default());
}

#[test]
fn config_set_is_all_or_nothing() {
    let store = ConfigStore::new(Config::default());
    let before = store.snapshot();
    let result = set(
        &store,
        &[("timeout", "5"), ("save", ""), ("maxmemory", "abc")],
    );
    assert!(result.is_err());
    assert_eq!(store.snapshot(), before);
    assert_eq!(store.version(), 0);
    assert!(set(&store, &[("timeout", "5"), ("maxmemory", "1mb")]).is_ok());
    let after = store.snapshot();
    assert_eq!((after.timeout, after.maxmemory), (5, 1 << 20));
    assert_eq!(store.version(), 1);
}

#[test]
fn store_is_shared_across_threads() {
    let store = Arc::new(ConfigStore::new(Config::default()));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let value = (i + 1).to_string();
                    store
                        .set(&[(b"timeout".to_vec(), value.into_bytes())])
                        .expect("valid set");
                    let snapshot = store.snapshot();
                    assert!((1..=4).contains(&snapshot.timeout));
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("thread");
    }
    assert_eq!(store.version(), 200);
}
