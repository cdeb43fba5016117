use bytes::Bytes;

use super::*;
use crate::string::test_support::TestShard;
use crate::value::{StrValue, Value};

/// The messages as `event key` when both channels carried an event, else `K event key` or
/// `E event key`; ` @db` follows outside database 0. Checks each message is well formed.
fn render(notifications: &[Notification]) -> Vec<String> {
    let parse = |n: &Notification| {
        let channel = String::from_utf8_lossy(&n.channel).into_owned();
        let message = String::from_utf8_lossy(&n.message).into_owned();
        let (kind, rest) = if let Some(rest) = channel.strip_prefix("__keyspace@") {
            ('K', rest)
        } else if let Some(rest) = channel.strip_prefix("__keyevent@") {
            ('E', rest)
        } else {
            panic!("not a notification channel: {channel}")
        };
        let (db, name) = rest.split_once("__:").expect("a database number");
        let (event, key) = if kind == 'K' {
            (message, name.to_owned())
        } else {
            (name.to_owned(), message)
        };
        let db = if db == "0" {
            String::new()
        } else {
            format!(" @{db}")
        };
        (kind, format!("{event} {key}{db}"))
    };
    let parsed: Vec<(char, String)> = notifications.iter().map(parse).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < parsed.len() {
        let (kind, text) = &parsed[i];
        if *kind == 'K'
            && parsed
                .get(i + 1)
                .is_some_and(|(k, t)| *k == 'E' && t == text)
        {
            out.push(text.clone());
            i += 2;
        } else {
            out.push(format!("{kind} {text}"));
            i += 1;
        }
    }
    out
}

fn words(line: &str) -> Vec<&str> {
    line.split(' ')
        .map(|w| if w == "\"\"" { "" } else { w })
        .collect()
}

/// Runs `line` on `t`, or switches database for `select n`.
fn run(t: &mut TestShard, line: &str) {
    let w = words(line);
    if w[0] == "select" {
        t.db = w[1].parse().expect("a database number");
    } else {
        t.run(&w);
    }
}

/// The cases of `redis_cases.txt`, recorded from redis-server 7.0.15 with a PSUBSCRIBE to
/// `__key*@*__:*`: `# name [flags]` starts a case (flags `KEAnm` unless given), `= command`
/// prepares it with notifications off, `~` lets the TTLs set so far pass, and
/// `> command | events` runs a command and lists what Redis published for it.
#[test]
fn events_match_redis() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for case in include_str!("redis_cases.txt").split("# ").skip(1) {
        cases += 1;
        let mut lines = case.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
        let name = header[0];
        let flags = header.get(1).copied().unwrap_or("KEAnm");
        let mut t = TestShard::new();
        let mut flags_set = false;
        for line in lines {
            if let Some(setup) = line.strip_prefix("= ") {
                run(&mut t, setup);
            } else if line == "~" {
                t.now += 1_000;
            } else if let Some(step) = line.strip_prefix("> ") {
                if !flags_set {
                    t.db = 0;
                    let parsed = KeyspaceEvents::parse(flags.as_bytes()).expect("flags");
                    t.shard.set_notify_flags(parsed);
                    flags_set = true;
                }
                let (command, expected) = step.split_once(" |").expect("a step");
                run(&mut t, command);
                let got = render(&t.shard.take_notifications());
                let expected: Vec<&str> = expected
                    .split(';')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .collect();
                if got != expected {
                    failures.push(format!(
                        "{name}: {command}: expected {expected:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(cases > 100, "only {cases} cases read");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn flags(classes: &str) -> KeyspaceEvents {
    KeyspaceEvents::parse(classes.as_bytes()).expect("valid classes")
}

fn message(channel: &[u8], message: &[u8]) -> Notification {
    Notification {
        channel: Bytes::copy_from_slice(channel),
        message: Bytes::copy_from_slice(message),
    }
}

#[test]
fn parse_and_display_follow_redis() {
    assert_eq!(flags("KEA").to_string(), "AKE");
    assert_eq!(flags("KEAnm").to_string(), "AKEm");
    assert_eq!(flags("gx$E").to_string(), "g$xE");
    assert_eq!(flags("").to_string(), "");
    assert_eq!(KeyspaceEvents::parse(b"KEQ"), None);
    assert!(!flags("A").contains(KeyspaceEvents::NEW | KeyspaceEvents::KEY_MISS));
}

#[test]
fn messages_name_the_database_key_and_event() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("KE$"));
    t.db = 3;
    t.run_bytes(&[b"set", b"k\x00\xff", b"v"]);
    assert_eq!(
        t.shard.take_notifications(),
        [
            message(b"__keyspace@3__:k\x00\xff", b"set"),
            message(b"__keyevent@3__:set", b"k\x00\xff"),
        ]
    );
    t.shard.set_notify_flags(flags("E$"));
    t.run(&["set", "k", "v"]);
    assert_eq!(
        t.shard.take_notifications(),
        [message(b"__keyevent@3__:set", b"k")]
    );
    assert!(t.shard.take_notifications().is_empty());
}

#[test]
fn nothing_is_recorded_while_disabled() {
    let mut t = TestShard::new();
    t.run(&["set", "gone", "v", "px", "10"]);
    t.now += 100;
    for cmd in [
        "get gone",
        "get missing",
        "set k v",
        "lpush l a",
        "expire k 10",
        "del l",
    ] {
        t.run(&cmd.split(' ').collect::<Vec<_>>());
    }
    t.shard
        .db_mut(0)
        .insert(b"other", Value::Str(StrValue::Int(1)), Some(1), 0);
    t.shard.db_mut(0).expire_cycle(t.now, 100);
    assert!(t.shard.take_events().is_empty());
    // Classes without K or E publish nothing either.
    t.shard.set_notify_flags(flags("Anm"));
    t.run(&["set", "k", "w"]);
    t.run(&["get", "missing"]);
    assert!(t.shard.take_notifications().is_empty());
}

#[test]
fn active_expiry_raises_expired() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("Ex"));
    t.run(&["set", "a", "1", "px", "10"]);
    t.run(&["set", "b", "1"]);
    assert!(t.shard.take_notifications().is_empty());
    let done = t.shard.db_mut(0).expire_cycle(t.now + 10, 100);
    assert_eq!(done.expired, 1);
    assert_eq!(
        t.shard.take_notifications(),
        [message(b"__keyevent@0__:expired", b"a")]
    );
}

#[test]
fn events_raised_on_a_scratch_shard_go_to_the_owner() {
    let mut scratch = TestShard::new();
    scratch.shard.set_notify_flags(flags("KEA"));
    scratch
        .shard
        .db_mut(0)
        .put_back(b"src", Value::Str(StrValue::Int(1)), None, scratch.now);
    scratch.run(&["copy", "src", "dst"]);
    let events = scratch.shard.take_events();
    assert_eq!(
        events,
        [KeyEvent {
            db: 0,
            event: "copy_to",
            key: Bytes::from_static(b"dst"),
        }]
    );
    let mut owner = TestShard::new();
    owner.shard.set_notify_flags(flags("KEA"));
    owner.shard.push_events(events);
    assert_eq!(render(&owner.shard.take_notifications()), ["copy_to dst"]);
}

#[test]
fn putting_an_entry_back_is_not_a_new_key() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("KEn"));
    let ks = t.shard.db_mut(0);
    ks.put_back(b"a", Value::Str(StrValue::Int(1)), None, 0);
    ks.insert(b"b", Value::Str(StrValue::Int(1)), None, 0);
    assert_eq!(render(&t.shard.take_notifications()), ["new b"]);
}

#[test]
fn rolled_back_events_are_forgotten() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("KEAn"));
    t.run(&["set", "kept", "1"]);
    let mark = t.shard.events_mark();
    t.run(&["set", "undone", "1"]);
    t.run(&["lpush", "l", "a"]);
    t.shard.rollback_events(mark);
    assert_eq!(
        render(&t.shard.take_notifications()),
        ["new kept", "set kept"]
    );
}

#[test]
fn stream_events_use_their_own_class() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("KEg$lshzxe"));
    t.shard.notify(0, KeyspaceEvents::STREAM, "xadd", b"s");
    assert!(t.shard.take_notifications().is_empty());
    t.shard.set_notify_flags(flags("Kt"));
    t.shard.notify(2, KeyspaceEvents::STREAM, "xadd", b"s");
    assert_eq!(render(&t.shard.take_notifications()), ["K xadd s @2"]);
}

#[test]
fn events_keep_the_database_they_were_raised_in_across_swapdb() {
    let mut t = TestShard::new();
    t.shard.set_notify_flags(flags("KEA"));
    t.run(&["set", "k", "v", "px", "10"]);
    // Raised by the keyspace and not collected yet when the databases swap.
    t.shard.db_mut(0).expire_cycle(t.now + 10, 100);
    t.shard.swap_dbs(0, 1, t.now);
    assert_eq!(
        render(&t.shard.take_notifications()),
        ["set k", "expire k", "expired k"]
    );
}
