//! The seeds' Lua scripts (../shared/seeds/002_*.txt), unchanged, run the way the seeds run
//! them from redis-py: the token bucket with SCRIPT LOAD once and EVALSHA per request, the lock
//! release with EVAL. Arguments are sent as redis-py sends them (`capacity` an int, `refill_rate`
//! and `time.time()` floats in Python's repr).
//! Run with `FERROKV_TEST_TARGET=redis` to check the expectations against redis-server.

use std::sync::atomic::{AtomicUsize, Ordering};

use ferrokv_tests::*;
use redis::Connection;

/// `TOKEN_BUCKET_SCRIPT` of the seeds' token_bucket.py: the text between Python's `"""`s,
/// newlines at both ends included (the SHA and the line numbers in errors depend on them).
const TOKEN_BUCKET_SCRIPT: &str = include_str!("../seeds/token_bucket.lua");

/// `RELEASE_SCRIPT` of the seeds' distributed_lock.py, the same way.
const RELEASE_SCRIPT: &str = include_str!("../seeds/lock_release.lua");

/// `bucket_sha = r.script_load(TOKEN_BUCKET_SCRIPT)`
fn load_bucket(c: &mut Connection) -> String {
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(TOKEN_BUCKET_SCRIPT)
        .query(c)
        .expect("SCRIPT LOAD");
    assert_eq!(sha, redis::Script::new(TOKEN_BUCKET_SCRIPT).get_hash());
    sha
}

/// `r.evalsha(bucket_sha, 1, f"bucket:{key}", capacity, refill_rate, time.time()) == 1`, with
/// `now` standing for time.time().
fn check_token_bucket(
    c: &mut Connection,
    sha: &str,
    key: &str,
    capacity: i64,
    refill_rate: &str,
    now: &str,
) -> bool {
    let reply: i64 = redis::cmd("EVALSHA")
        .arg(sha)
        .arg(1)
        .arg(format!("bucket:{key}"))
        .arg(capacity)
        .arg(refill_rate)
        .arg(now)
        .query(c)
        .expect("EVALSHA");
    assert!(reply == 0 || reply == 1, "bucket script answered {reply}");
    reply == 1
}

fn bucket_state(c: &mut Connection, key: &str) -> Vec<Option<String>> {
    redis::cmd("HMGET")
        .arg(format!("bucket:{key}"))
        .arg("tokens")
        .arg("last_refill")
        .query(c)
        .expect("HMGET")
}

/// The bucket expires, and no later than `secs` from now (a bound that does not depend on how
/// fast the test runs).
fn assert_ttl_within(c: &mut Connection, key: &str, secs: i64) {
    let pttl: i64 = redis::cmd("PTTL")
        .arg(format!("bucket:{key}"))
        .query(c)
        .expect("PTTL");
    assert!((1..=secs * 1000).contains(&pttl), "PTTL {pttl}");
}

fn some(a: &str, b: &str) -> Vec<Option<String>> {
    vec![Some(a.to_string()), Some(b.to_string())]
}

#[test]
fn token_bucket_allows_a_burst_then_refills() {
    let mut c = shared().conn();
    let sha = load_bucket(&mut c);
    let key = "seedscripts:user:42";
    let _: usize = redis::cmd("DEL")
        .arg(format!("bucket:{key}"))
        .query(&mut c)
        .expect("DEL");
    // A burst at one instant: capacity 10 lets 10 through.
    let t0 = "1732560000.125";
    let burst: Vec<bool> = (0..12)
        .map(|_| check_token_bucket(&mut c, &sha, key, 10, "1.0", t0))
        .collect();
    assert_eq!(burst, [vec![true; 10], vec![false; 2]].concat());
    // The numbers are stored as Lua formats them for redis.call.
    assert_eq!(bucket_state(&mut c, key), some("0", "1732560000.125"));
    // EXPIRE math.ceil(10 / 1.0) + 1, set by the last allowed request.
    assert_ttl_within(&mut c, key, 11);
    // Half a second later half a token has come back: still denied, and the half is kept.
    assert!(!check_token_bucket(
        &mut c,
        &sha,
        key,
        10,
        "1.0",
        "1732560000.625"
    ));
    assert_eq!(bucket_state(&mut c, key), some("0.5", "1732560000.625"));
    // Another half second: one token, spent at once.
    assert!(check_token_bucket(
        &mut c,
        &sha,
        key,
        10,
        "1.0",
        "1732560001.125"
    ));
    assert_eq!(bucket_state(&mut c, key), some("0", "1732560001.125"));
    // A long pause refills only up to the capacity.
    let later: Vec<bool> = (0..11)
        .map(|_| check_token_bucket(&mut c, &sha, key, 10, "1.0", "1732560100.5"))
        .collect();
    assert_eq!(later, [vec![true; 10], vec![false]].concat());
    let _: usize = redis::cmd("DEL")
        .arg(format!("bucket:{key}"))
        .query(&mut c)
        .expect("DEL");
}

#[test]
fn token_bucket_with_fractional_rates_and_times() {
    let mut c = shared().conn();
    let sha = load_bucket(&mut c);
    let key = "seedscripts:api:7";
    let bucket = format!("bucket:{key}");
    let _: usize = redis::cmd("DEL").arg(&bucket).query(&mut c).expect("DEL");
    // Capacity 3 at 0.5 tokens/s, times with many digits as time.time() gives them.
    let steps: &[(&str, bool, &str)] = &[
        ("1732560000.1234567", true, "2"),
        ("1732560000.1234567", true, "1"),
        ("1732560000.1234567", true, "0"),
        ("1732560000.1234567", false, "0"),
        ("1732560001.1234567", false, "0.5"),
        ("1732560002.1234567", true, "0"),
    ];
    for (i, &(now, allowed, tokens)) in steps.iter().enumerate() {
        assert_eq!(
            check_token_bucket(&mut c, &sha, key, 3, "0.5", now),
            allowed,
            "step {i}"
        );
        let state = bucket_state(&mut c, key);
        assert_eq!(state[0].as_deref(), Some(tokens), "tokens after step {i}");
    }
    // Lua numbers reach Redis as %.17g: the float time comes back with 17 digits.
    assert_eq!(
        bucket_state(&mut c, key)[1].as_deref(),
        Some("1732560002.1234567")
    );
    // EXPIRE math.ceil(3 / 0.5) + 1.
    assert_ttl_within(&mut c, key, 7);
    // Other buckets are independent, on every shard.
    for user in spread_keys("seedscripts:other:", DEFAULT_SHARDS, DEFAULT_SHARDS) {
        assert!(check_token_bucket(
            &mut c,
            &sha,
            &user,
            1,
            "1.0",
            "1732560000.5"
        ));
        assert!(!check_token_bucket(
            &mut c,
            &sha,
            &user,
            1,
            "1.0",
            "1732560000.5"
        ));
        let _: usize = redis::cmd("DEL")
            .arg(format!("bucket:{user}"))
            .query(&mut c)
            .expect("DEL");
    }
    let _: usize = redis::cmd("DEL").arg(&bucket).query(&mut c).expect("DEL");
}

/// Many clients on one bucket at one instant: exactly `capacity` requests get through, which
/// only holds if HMGET, the arithmetic and HMSET run as one.
#[test]
fn token_bucket_is_exact_under_concurrency() {
    let sha = load_bucket(&mut shared().conn());
    let key = "seedscripts:hot";
    let capacity = 50;
    let allowed = AtomicUsize::new(0);
    let _: usize = redis::cmd("DEL")
        .arg(format!("bucket:{key}"))
        .query(&mut shared().conn())
        .expect("DEL");
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let mut c = shared().conn();
                for _ in 0..20 {
                    if check_token_bucket(&mut c, &sha, key, capacity, "1.0", "1732560000.0") {
                        allowed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(allowed.load(Ordering::Relaxed), capacity as usize);
    let mut c = shared().conn();
    assert_eq!(bucket_state(&mut c, key), some("0", "1732560000"));
    let _: usize = redis::cmd("DEL")
        .arg(format!("bucket:{key}"))
        .query(&mut c)
        .expect("DEL");
}

/// EVALSHA of a script nobody loaded, and the SHA of a loaded one from another connection.
#[test]
fn token_bucket_sha_is_known_to_every_connection() {
    let sha = load_bucket(&mut shared().conn());
    let mut other = shared().raw();
    assert_eq!(
        other.cmd(&[
            "SCRIPT",
            "EXISTS",
            &sha,
            "0000000000000000000000000000000000000000"
        ]),
        arr(vec![int(1), int(0)])
    );
    assert_eq!(
        other.cmd(&[
            "EVALSHA",
            "0000000000000000000000000000000000000000",
            "1",
            "bucket:seedscripts:none",
            "10",
            "1.0",
            "1732560000.0"
        ]),
        err("NOSCRIPT No matching script. Please use EVAL.")
    );
    assert_eq!(
        other.cmd(&[
            "EVALSHA",
            &sha.to_uppercase(),
            "1",
            "bucket:seedscripts:upper",
            "10",
            "1.0",
            "1732560000.0"
        ]),
        int(1)
    );
    assert_eq!(other.cmd(&["DEL", "bucket:seedscripts:upper"]), int(1));
}

/// `acquire_lock`: `r.set(f"lock:{name}", token, nx=True, ex=timeout)`.
fn acquire_lock(c: &mut Connection, name: &str, token: &str, timeout: i64) -> bool {
    let reply: Option<String> = redis::cmd("SET")
        .arg(format!("lock:{name}"))
        .arg(token)
        .arg("NX")
        .arg("EX")
        .arg(timeout)
        .query(c)
        .expect("SET NX EX");
    reply.is_some()
}

/// `release_lock`: `r.eval(RELEASE_SCRIPT, 1, f"lock:{name}", token) == 1`.
fn release_lock(c: &mut Connection, name: &str, token: &str) -> bool {
    let reply: i64 = redis::cmd("EVAL")
        .arg(RELEASE_SCRIPT)
        .arg(1)
        .arg(format!("lock:{name}"))
        .arg(token)
        .query(c)
        .expect("EVAL release");
    assert!(reply == 0 || reply == 1, "release script answered {reply}");
    reply == 1
}

#[test]
fn lock_release_deletes_only_the_owners_lock() {
    let mut c = shared().conn();
    // Lock names on every shard; tokens as secrets.token_urlsafe(16) makes them.
    for name in spread_keys("seedscripts:invoice:", DEFAULT_SHARDS, DEFAULT_SHARDS) {
        let token = "Zx3_k9-QwErTyUiOpAsDfG";
        let _: usize = redis::cmd("DEL")
            .arg(format!("lock:{name}"))
            .query(&mut c)
            .expect("DEL");
        assert!(!release_lock(&mut c, &name, token), "no lock yet");
        assert!(acquire_lock(&mut c, &name, token, 10));
        assert!(!acquire_lock(&mut c, &name, "another-token_________", 10));
        assert!(!release_lock(&mut c, &name, "another-token_________"));
        assert!(!release_lock(&mut c, &name, ""));
        let held: Option<String> = redis::cmd("GET")
            .arg(format!("lock:{name}"))
            .query(&mut c)
            .expect("GET");
        assert_eq!(held.as_deref(), Some(token));
        assert!(release_lock(&mut c, &name, token));
        assert!(!release_lock(&mut c, &name, token), "released twice");
        let exists: i64 = redis::cmd("EXISTS")
            .arg(format!("lock:{name}"))
            .query(&mut c)
            .expect("EXISTS");
        assert_eq!(exists, 0);
    }
    // A key of another type under the lock's name: GET fails inside the script, and the error
    // comes back as the script's error.
    let name = "seedscripts:wrongtype";
    let mut raw = shared().raw();
    assert_eq!(raw.cmd(&["DEL", "lock:seedscripts:wrongtype"]), int(0));
    assert_eq!(
        raw.cmd(&["HSET", "lock:seedscripts:wrongtype", "f", "v"]),
        int(1)
    );
    let e = redis::cmd("EVAL")
        .arg(RELEASE_SCRIPT)
        .arg(1)
        .arg(format!("lock:{name}"))
        .arg("t")
        .query::<i64>(&mut c)
        .expect_err("WRONGTYPE");
    assert_eq!(e.code(), Some("WRONGTYPE"));
    let reply = raw.cmd(&[
        "EVAL",
        RELEASE_SCRIPT,
        "1",
        "lock:seedscripts:wrongtype",
        "t",
    ]);
    assert_eq!(
        reply,
        err(&format!(
            "WRONGTYPE Operation against a key holding the wrong kind of value script: {}, \
             on @user_script:2.",
            redis::Script::new(RELEASE_SCRIPT).get_hash()
        ))
    );
    assert_eq!(raw.cmd(&["DEL", "lock:seedscripts:wrongtype"]), int(1));
}

/// Clients take turns through the lock: acquire with SET NX EX (retrying while it is held),
/// a read-modify-write of a counter on another shard, release with the script. The counter
/// comes out exact only if no two clients ever held the lock at once and every release freed
/// it.
#[test]
fn lock_serializes_clients() {
    let name = key_on_shard("seedscripts:mutex:", 0, DEFAULT_SHARDS);
    let counter = key_on_shard("seedscripts:guarded:", DEFAULT_SHARDS - 1, DEFAULT_SHARDS);
    let mut c = shared().conn();
    let _: usize = redis::cmd("DEL")
        .arg(format!("lock:{name}"))
        .arg(&counter)
        .query(&mut c)
        .expect("DEL");
    const CLIENTS: usize = 4;
    const ROUNDS: usize = 50;
    std::thread::scope(|s| {
        for client in 0..CLIENTS {
            let (name, counter) = (&name, &counter);
            s.spawn(move || {
                let mut c = shared().conn();
                for round in 0..ROUNDS {
                    let token = format!("client{client}-round{round}");
                    while !acquire_lock(&mut c, name, &token, 30) {}
                    let n: Option<i64> = redis::cmd("GET").arg(counter).query(&mut c).expect("GET");
                    let (): () = redis::cmd("SET")
                        .arg(counter)
                        .arg(n.unwrap_or(0) + 1)
                        .query(&mut c)
                        .expect("SET");
                    assert!(release_lock(&mut c, name, &token), "lost the lock");
                }
            });
        }
    });
    let n: i64 = redis::cmd("GET").arg(&counter).query(&mut c).expect("GET");
    assert_eq!(n, (CLIENTS * ROUNDS) as i64);
    let _: usize = redis::cmd("DEL").arg(&counter).query(&mut c).expect("DEL");
}
