//! Expiry: the active cycle removes keys nobody touches; lazy expiry hides expired keys on
//! access; TTL changes (overwrite, PERSIST, EXPIRE) take effect. Waits are polls with
//! deadlines; a key with the same TTL serves as the clock instead of a sleep.
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferrokv_tests::*;

fn dbsize(c: &mut RawConn) -> i64 {
    c.cmd(&["DBSIZE"]).as_int()
}

fn stat(c: &mut RawConn, name: &str) -> i64 {
    let text = c.cmd(&["INFO", "stats"]).as_str();
    let fields: BTreeMap<&str, &str> = text
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .collect();
    fields[name].parse().unwrap()
}

/// Sets `keys` with `PX ttl_ms`, pipelined in batches of 1000.
fn set_px(c: &mut RawConn, keys: impl Iterator<Item = String>, ttl_ms: u64) -> usize {
    let ttl = ttl_ms.to_string();
    let keys: Vec<String> = keys.collect();
    for chunk in keys.chunks(1000) {
        let cmds: Vec<Vec<&str>> = chunk
            .iter()
            .map(|k| vec!["SET", k.as_str(), "v", "PX", &ttl])
            .collect();
        for r in c.pipeline(&cmds) {
            assert_eq!(r, ok());
        }
    }
    keys.len()
}

#[test]
fn hundred_thousand_keys_expire_without_access() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    let n = set_px(&mut c, (0..100_000).map(|i| format!("exp:{i}")), 1000);
    let set_done = Instant::now();
    let size = dbsize(&mut c);
    assert!(size > 0 && size <= n as i64, "DBSIZE {size}");
    // Nobody touches the keys: only the active expiry cycle can remove them.
    let mut last = size;
    let emptied = poll_until(Duration::from_secs(20), Duration::from_millis(100), || {
        last = dbsize(&mut c);
        last == 0
    });
    assert!(
        emptied,
        "DBSIZE still {last} after {:?} (TTL 1 s)",
        set_done.elapsed()
    );
    println!("100k keys gone {:?} after the last SET", set_done.elapsed());
    assert_eq!(stat(&mut c, "expired_keys"), n as i64);
    assert_eq!(c.cmd(&["KEYS", "exp:*"]), arr(vec![]));
    assert_eq!(c.cmd(&["RANDOMKEY"]), nil());
}

#[test]
fn expiry_in_several_databases_spares_persistent_keys() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let mut c = server.raw();
    for db in ["0", "5"] {
        assert_eq!(c.cmd(&["SELECT", db]), ok());
        set_px(&mut c, (0..2000).map(|i| format!("short:{i}")), 300);
        let cmds: Vec<Vec<String>> = (0..500)
            .map(|i| {
                vec![
                    "SET".into(),
                    format!("long:{i}"),
                    "v".into(),
                    "EX".into(),
                    "1000".into(),
                ]
            })
            .chain((0..500).map(|i| vec!["SET".into(), format!("forever:{i}"), "v".into()]))
            .collect();
        c.pipeline(&cmds);
    }
    for db in ["0", "5"] {
        assert_eq!(c.cmd(&["SELECT", db]), ok());
        let mut last = 0;
        let done = poll_until(Duration::from_secs(20), Duration::from_millis(50), || {
            last = dbsize(&mut c);
            last == 1000
        });
        assert!(done, "db {db}: DBSIZE {last}, want 1000");
        assert_eq!(
            c.cmd(&["EXISTS", "long:0", "forever:499", "short:0"]),
            int(2)
        );
    }
}

#[test]
fn lazy_expiry_hides_expired_keys() {
    let mut c = shared().raw();
    let keys = spread_keys("lazy:", 8, DEFAULT_SHARDS);
    let t0 = Instant::now();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "v", "PX", "300"]), ok());
    }
    // A reader polling the keys: they are there, then gone, never early.
    let mut seen_at = None;
    let gone = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        let r = c.cmd(&["GET", &keys[0]]);
        if r == nil() {
            seen_at = Some(t0.elapsed());
            true
        } else {
            assert_eq!(r, bulk("v"));
            false
        }
    });
    assert!(gone, "key did not expire");
    assert!(
        seen_at.unwrap() >= Duration::from_millis(290),
        "expired early: {:?}",
        seen_at
    );
    // Every access path agrees.
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(|k| k.as_str()));
    let all_gone = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        c.cmd(&mget) == arr(vec![nil(); keys.len()])
    });
    assert!(all_gone);
    let mut exists = vec!["EXISTS"];
    exists.extend(keys.iter().map(|k| k.as_str()));
    assert_eq!(c.cmd(&exists), int(0));
    for k in &keys {
        assert_eq!(c.cmd(&["TTL", k]), int(-2));
        assert_eq!(c.cmd(&["PTTL", k]), int(-2));
        assert_eq!(c.cmd(&["TYPE", k]), simple("none"));
        assert_eq!(c.cmd(&["STRLEN", k]), int(0));
        assert_eq!(
            c.cmd(&["SET", k, "new", "NX"]),
            ok(),
            "expired key counts as absent"
        );
        assert_eq!(c.cmd(&["TTL", k]), int(-1));
        assert_eq!(c.cmd(&["DEL", k]), int(1));
    }
}

#[test]
fn ttl_changes_take_effect() {
    let mut c = shared().raw();
    // clock: expires after 400 ms. The others are changed so they must outlive it.
    let clock = "ttlchange:clock";
    let overwritten = key_on_shard("ttlchange:overwritten", 1, DEFAULT_SHARDS);
    let persisted = key_on_shard("ttlchange:persisted", 2, DEFAULT_SHARDS);
    let extended = key_on_shard("ttlchange:extended", 3, DEFAULT_SHARDS);
    let kept = key_on_shard("ttlchange:kept", 0, DEFAULT_SHARDS);
    let incremented = "ttlchange:incremented";
    for k in [
        clock,
        &overwritten,
        &persisted,
        &extended,
        &kept,
        incremented,
    ] {
        assert_eq!(c.cmd(&["SET", k, "1", "PX", "400"]), ok());
    }
    assert_eq!(c.cmd(&["SET", &overwritten, "2"]), ok());
    assert_eq!(c.cmd(&["PERSIST", &persisted]), int(1));
    assert_eq!(c.cmd(&["EXPIRE", &extended, "1000"]), int(1));
    assert_eq!(c.cmd(&["SET", &kept, "3", "KEEPTTL"]), ok());
    assert_eq!(c.cmd(&["INCR", incremented]), int(2));
    let ticked = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        c.cmd(&["EXISTS", clock]) == int(0)
    });
    assert!(ticked);
    let gone = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        c.cmd(&["EXISTS", &kept, incremented]) == int(0)
    });
    assert!(gone, "KEEPTTL / INCR dropped the TTL");
    assert_eq!(
        c.cmd(&["MGET", &overwritten, &persisted, &extended]),
        bulks(&["2", "1", "1"])
    );
    assert_eq!(c.cmd(&["DEL", &overwritten, &persisted, &extended]), int(3));
}

#[test]
fn ttl_counts_down() {
    let mut c = shared().raw();
    let k = "countdown:a";
    assert_eq!(c.cmd(&["SET", k, "v", "PX", "3000"]), ok());
    let first = c.cmd(&["PTTL", k]).as_int();
    assert!((1..=3000).contains(&first), "{first}");
    let lower = poll_until(Duration::from_secs(5), Duration::from_millis(10), || {
        let p = c.cmd(&["PTTL", k]).as_int();
        assert!(p <= first);
        p < first - 50
    });
    assert!(lower);
    assert_eq!(c.cmd(&["DEL", k]), int(1));
}
