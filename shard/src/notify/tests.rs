use super::*;
use crate::string::test_support::TestShard;

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
