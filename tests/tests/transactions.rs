//! MULTI/EXEC/DISCARD with exact replies, keys on every shard, and isolation of a transaction
//! from concurrent readers. Run with `FERROKV_TEST_TARGET=redis` to check the expectations.

use std::thread;
use std::time::Duration;

use ferrokv_tests::*;

#[test]
fn exec_runs_the_queued_commands_in_order_across_shards() {
    let server = shared();
    let keys = spread_keys("tx:order", 4, server.shards().max(1));
    let mut c = server.raw();
    assert_eq!(c.cmd(&["MULTI"]), ok());
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.cmd(&["SET", k, &i.to_string()]), simple("QUEUED"));
    }
    assert_eq!(c.cmd(&["INCR", &keys[0]]), simple("QUEUED"));
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    assert_eq!(c.cmd(&mget), simple("QUEUED"));
    assert_eq!(c.cmd(&["PING"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![
            ok(),
            ok(),
            ok(),
            ok(),
            int(1),
            bulks(&["1", "1", "2", "3"]),
            simple("PONG")
        ])
    );
}

#[test]
fn errors_while_queueing_abort_exec_and_runtime_errors_do_not() {
    let mut c = shared().raw();
    let k = "tx:errors:k";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SET", k]), arity_err("set"));
    assert_eq!(c.cmd(&["SET", k, "v"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(c.cmd(&["GET", k]), nil());

    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SET", k, "abc"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["INCR", k]), simple("QUEUED"));
    assert_eq!(c.cmd(&["GET", k]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![ok(), not_int_err(), bulk("abc")])
    );
}

#[test]
fn misuse_gets_redis_errors() {
    let mut c = shared().raw();
    assert_eq!(c.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
    assert_eq!(c.cmd(&["DISCARD"]), err("ERR DISCARD without MULTI"));
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["MULTI"]), err("ERR MULTI calls can not be nested"));
    assert_eq!(
        c.cmd(&["WATCH", "tx:misuse"]),
        err("ERR WATCH inside MULTI is not allowed")
    );
    assert_eq!(c.cmd(&["SET", "tx:misuse", "1"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    assert_eq!(c.cmd(&["GET", "tx:misuse"]), nil());
    assert_eq!(c.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
}

/// redis-py's `pipeline()` (transaction=True by default) and the redis crate's atomic pipe.
#[test]
fn atomic_pipelines_from_a_client_library() {
    let mut con = shared().conn();
    let (a, b): (i64, String) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("tx:pipe:a")
        .arg(41)
        .ignore()
        .cmd("INCR")
        .arg("tx:pipe:a")
        .cmd("SET")
        .arg("tx:pipe:b")
        .arg("x")
        .ignore()
        .cmd("GET")
        .arg("tx:pipe:b")
        .query(&mut con)
        .expect("atomic pipeline");
    assert_eq!((a, b), (42, "x".to_string()));
}

/// A transaction moving amounts between keys on every shard never shows a reader a total
/// other than the starting one.
#[test]
fn readers_never_see_half_a_transaction() {
    let server = shared();
    let keys = spread_keys("tx:bank", 4, server.shards().max(1));
    let mut c = server.raw();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "100"]), ok());
    }
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let keys = keys.clone();
            thread::spawn(move || {
                let mut c = shared().raw();
                for i in 0..300 {
                    let from = &keys[(w + i) % keys.len()];
                    let to = &keys[(w + i + 1) % keys.len()];
                    assert_eq!(c.cmd(&["MULTI"]), ok());
                    assert_eq!(c.cmd(&["DECRBY", from, "7"]), simple("QUEUED"));
                    assert_eq!(c.cmd(&["INCRBY", to, "7"]), simple("QUEUED"));
                    assert!(!c.cmd(&["EXEC"]).is_error());
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let keys = keys.clone();
            thread::spawn(move || {
                let mut c = shared().raw();
                let mut mget = vec!["MGET"];
                mget.extend(keys.iter().map(String::as_str));
                for _ in 0..300 {
                    let reply = c.cmd(&mget);
                    let Resp::Array(values) = reply else {
                        panic!("MGET: {reply:?}")
                    };
                    let total: i64 = values
                        .iter()
                        .map(|v| {
                            std::str::from_utf8(v.as_bytes())
                                .unwrap()
                                .parse::<i64>()
                                .unwrap()
                        })
                        .sum();
                    assert_eq!(total, 400);
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(readers) {
        t.join().expect("no thread panicked");
    }
}

/// A transaction that WATCHes `keys` on `c` and sets each to `value`; the EXEC reply.
fn watched_exec(c: &mut RawConn, keys: &[&str], value: &str) -> Resp {
    assert_eq!(c.cmd(&["MULTI"]), ok());
    for k in keys {
        assert_eq!(c.cmd(&["SET", k, value]), simple("QUEUED"));
    }
    c.cmd(&["EXEC"])
}

fn oks(n: usize) -> Resp {
    arr(vec![ok(); n])
}

#[test]
fn a_write_from_another_connection_voids_the_watch_on_every_shard() {
    let server = shared();
    let keys = spread_keys("tx:w:other", 4, server.shards().max(1));
    let (mut c, mut other) = (server.raw(), server.raw());
    for k in &keys {
        assert_eq!(other.cmd(&["SET", k, "0"]), ok());
        assert_eq!(c.cmd(&["WATCH", k]), ok());
        assert_eq!(other.cmd(&["SET", k, "theirs"]), ok());
        assert_eq!(watched_exec(&mut c, &[k], "mine"), Resp::NilArray);
        assert_eq!(c.cmd(&["GET", k]), bulk("theirs"));
    }
}

#[test]
fn a_write_to_one_watched_key_of_many_on_another_shard_voids_the_watch() {
    let server = shared();
    let keys = spread_keys("tx:w:many", 4, server.shards().max(1));
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let (mut c, mut other) = (server.raw(), server.raw());
    let mut watch = vec!["WATCH"];
    watch.extend(&refs);
    assert_eq!(c.cmd(&watch), ok());
    // Writes to keys nobody watches change nothing.
    assert_eq!(other.cmd(&["SET", "tx:w:many:unwatched", "x"]), ok());
    assert_eq!(watched_exec(&mut c, &refs, "1"), oks(4));
    assert_eq!(c.cmd(&watch), ok());
    assert_eq!(other.cmd(&["INCR", refs[3]]), int(2));
    assert_eq!(watched_exec(&mut c, &refs[..1], "2"), Resp::NilArray);
    assert_eq!(c.cmd(&["GET", refs[0]]), bulk("1"));
}

#[test]
fn the_watching_connection_s_own_write_voids_its_watch() {
    let mut c = shared().raw();
    let k = "tx:w:own";
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["SET", k, "1"]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "2"), Resp::NilArray);
    assert_eq!(c.cmd(&["GET", k]), bulk("1"));
}

#[test]
fn a_missing_key_watched_then_created_voids_the_watch() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:created";
    assert_eq!(c.cmd(&["DEL", k]), int(0));
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    // Deleting a key that is not there is no change.
    assert_eq!(other.cmd(&["DEL", k]), int(0));
    assert_eq!(watched_exec(&mut c, &[k], "a"), oks(1));
    assert_eq!(c.cmd(&["DEL", k]), int(1));
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["LPUSH", k, "x"]), int(1));
    assert_eq!(watched_exec(&mut c, &[k], "b"), Resp::NilArray);
    assert_eq!(c.cmd(&["TYPE", k]), simple("list"));
}

#[test]
fn exec_without_commands_still_checks_the_watch() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:empty";
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["EXEC"]), arr(vec![]));
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["SET", k, "1"]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["EXEC"]), Resp::NilArray);
}

#[test]
fn unwatch_discard_exec_and_reset_forget_the_watched_keys() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:forget";
    let touch = |other: &mut RawConn| assert!(!other.cmd(&["INCR", k]).is_error());

    assert_eq!(c.cmd(&["WATCH", k, k]), ok());
    touch(&mut other);
    assert_eq!(c.cmd(&["UNWATCH"]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "1"), oks(1));

    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    touch(&mut other);
    assert_eq!(watched_exec(&mut c, &[k], "2"), oks(1));

    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "3"), oks(1));
    touch(&mut other);
    assert_eq!(watched_exec(&mut c, &[k], "4"), oks(1));

    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["RESET"]), simple("RESET"));
    assert_eq!(c.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
    touch(&mut other);
    assert_eq!(watched_exec(&mut c, &[k], "5"), oks(1));

    // A touch before the second WATCH of the same key still counts: one watch per key.
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    touch(&mut other);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "6"), Resp::NilArray);
}

#[test]
fn unwatch_inside_multi_is_queued_and_watch_is_refused_without_aborting() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:inside";
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["UNWATCH"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["WATCH", k]),
        err("ERR WATCH inside MULTI is not allowed")
    );
    assert_eq!(c.cmd(&["SET", k, "1"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["EXEC"]), oks(2));
    // The watch was checked at EXEC, before the queued UNWATCH ran.
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["UNWATCH"]), simple("QUEUED"));
    assert_eq!(other.cmd(&["SET", k, "2"]), ok());
    assert_eq!(c.cmd(&["EXEC"]), Resp::NilArray);
}

#[test]
fn a_void_watch_is_a_resp3_null() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:resp3";
    assert!(!c.cmd(&["HELLO", "3"]).is_error());
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["SET", k, "1"]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "2"), Resp::Null);
}

#[test]
fn a_queueing_error_discards_the_transaction_and_its_watches() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:abort";
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(
        c.cmd(&["NOSUCHCMD", "x"]),
        err("ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ")
    );
    assert_eq!(c.cmd(&["SET", k, "1"]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(other.cmd(&["SET", k, "2"]), ok());
    assert_eq!(watched_exec(&mut c, &[k], "3"), oks(1));
}

/// Commands whose keys span shards (and MOVE, which writes another database) touch the keys
/// they write on every shard.
#[test]
fn cross_shard_and_cross_database_writes_void_watches() {
    let server = shared();
    let n = server.shards().max(1);
    let (mut c, mut other) = (server.raw(), server.raw());
    let src = key_on_shard("tx:w:x1:", 0, n);
    let dst = key_on_shard("tx:w:x2:", n - 1, n);
    let (src, dst) = (src.as_str(), dst.as_str());
    let mut voided_by = |setup: &[&[&str]], write: &[&str], reply: Resp| {
        for cmd in setup {
            assert!(!other.cmd(cmd).is_error(), "{cmd:?}");
        }
        assert_eq!(c.cmd(&["WATCH", dst]), ok());
        assert_eq!(other.cmd(write), reply, "{write:?}");
        assert_eq!(
            watched_exec(&mut c, &["tx:w:x:marker"], "1"),
            Resp::NilArray,
            "{write:?}"
        );
    };
    let reset: &[&str] = &["DEL", src, dst];
    voided_by(&[reset, &["SET", src, "v"]], &["RENAME", src, dst], ok());
    voided_by(&[], &["RENAME", dst, src], ok());
    voided_by(&[], &["MSET", src, "1", dst, "2"], ok());
    voided_by(
        &[reset, &["SADD", src, "m"]],
        &["SUNIONSTORE", dst, src],
        int(1),
    );
    voided_by(&[reset, &["SET", src, "v"]], &["COPY", src, dst], int(1));

    let k = "tx:w:moved";
    assert_eq!(other.cmd(&["SET", k, "v"]), ok());
    assert_eq!(c.cmd(&["SELECT", "1"]), ok());
    assert_eq!(c.cmd(&["EXISTS", k]), int(0));
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["MOVE", k, "1"]), int(1));
    assert_eq!(
        watched_exec(&mut c, &["tx:w:x:marker"], "1"),
        Resp::NilArray
    );
    assert_eq!(c.cmd(&["DEL", k]), int(1));
}

/// Waits until `proxy`, which expires at the same instant as the keys under test, is gone:
/// they are expired too, whether or not anything removed them yet.
fn wait_gone(c: &mut RawConn, proxy: &str) {
    assert!(
        poll_until(Duration::from_secs(10), Duration::from_millis(2), || c
            .cmd(&["EXISTS", proxy])
            == int(0)),
        "{proxy} never expired"
    );
}

fn set_expiring(c: &mut RawConn, keys: &[&str], at_ms: u128) {
    for k in keys {
        assert_eq!(c.cmd(&["SET", k, "v", "PXAT", &at_ms.to_string()]), ok());
    }
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[test]
fn a_key_that_expires_after_watch_voids_it() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let (k, proxy) = ("tx:w:exp:k", "tx:w:exp:proxy");
    set_expiring(&mut other, &[k, proxy], now_ms() + 50);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    wait_gone(&mut other, proxy);
    assert_eq!(
        watched_exec(&mut c, &["tx:w:exp:marker"], "1"),
        Resp::NilArray
    );

    // The same when something removed the expired key before EXEC.
    set_expiring(&mut other, &[k, proxy], now_ms() + 50);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    wait_gone(&mut other, proxy);
    assert_eq!(other.cmd(&["GET", k]), nil());
    assert_eq!(
        watched_exec(&mut c, &["tx:w:exp:marker"], "1"),
        Resp::NilArray
    );
}

#[test]
fn a_key_already_expired_at_watch_is_no_change_when_removed() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let (k, proxy) = ("tx:w:dead:k", "tx:w:dead:proxy");
    set_expiring(&mut other, &[k, proxy], now_ms() + 20);
    wait_gone(&mut other, proxy);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(watched_exec(&mut c, &["tx:w:dead:marker"], "1"), oks(1));

    set_expiring(&mut other, &[k, proxy], now_ms() + 20);
    wait_gone(&mut other, proxy);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["GET", k]), nil());
    assert_eq!(watched_exec(&mut c, &["tx:w:dead:marker"], "1"), oks(1));

    // Written again, it is a change.
    set_expiring(&mut other, &[k, proxy], now_ms() + 20);
    wait_gone(&mut other, proxy);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["SET", k, "new"]), ok());
    assert_eq!(
        watched_exec(&mut c, &["tx:w:dead:marker"], "1"),
        Resp::NilArray
    );
}

/// FLUSHDB, FLUSHALL and SWAPDB void the watches of keys they remove or replace, and only
/// those (Redis 7.0). On a server of its own: the shared one must never be flushed.
#[test]
fn flushes_and_swapdb_void_watches_of_keys_they_change() {
    let server = start_target(DEFAULT_SHARDS, &[]);
    let keys = spread_keys("tx:w:flush", 4, server.shards().max(1));
    let (mut c, mut other) = (server.raw(), server.raw());
    let (present, missing) = (keys[1].as_str(), keys[2].as_str());
    for flush in [&["FLUSHDB"][..], &["FLUSHALL"], &["FLUSHDB", "ASYNC"]] {
        assert_eq!(other.cmd(&["SET", present, "v"]), ok());
        assert_eq!(c.cmd(&["WATCH", missing]), ok());
        assert_eq!(other.cmd(flush), ok());
        assert_eq!(
            watched_exec(&mut c, &[keys[0].as_str()], "1"),
            oks(1),
            "{flush:?}"
        );
        assert_eq!(other.cmd(&["SET", present, "v"]), ok());
        assert_eq!(c.cmd(&["WATCH", missing, present]), ok());
        assert_eq!(other.cmd(flush), ok());
        assert_eq!(
            watched_exec(&mut c, &[keys[0].as_str()], "1"),
            Resp::NilArray,
            "{flush:?}"
        );
    }
    // FLUSHDB of another database leaves db 0's watches alone.
    assert_eq!(other.cmd(&["SET", present, "v"]), ok());
    assert_eq!(c.cmd(&["WATCH", present]), ok());
    assert_eq!(other.cmd(&["SELECT", "3"]), ok());
    assert_eq!(other.cmd(&["SET", present, "v"]), ok());
    assert_eq!(other.cmd(&["FLUSHDB"]), ok());
    assert_eq!(watched_exec(&mut c, &[keys[0].as_str()], "1"), oks(1));

    // SWAPDB: a key in either database is a change; in neither, none.
    assert_eq!(other.cmd(&["FLUSHALL"]), ok());
    assert_eq!(other.cmd(&["SET", present, "in-3"]), ok());
    assert_eq!(c.cmd(&["WATCH", missing]), ok());
    assert_eq!(other.cmd(&["SWAPDB", "0", "3"]), ok());
    assert_eq!(watched_exec(&mut c, &[keys[0].as_str()], "1"), oks(1));
    assert_eq!(c.cmd(&["GET", present]), bulk("in-3"));
    assert_eq!(c.cmd(&["WATCH", present]), ok());
    assert_eq!(other.cmd(&["SWAPDB", "0", "3"]), ok());
    assert_eq!(
        watched_exec(&mut c, &[keys[0].as_str()], "2"),
        Resp::NilArray
    );
    assert_eq!(c.cmd(&["WATCH", present]), ok());
    assert_eq!(other.cmd(&["SWAPDB", "3", "0"]), ok());
    assert_eq!(
        watched_exec(&mut c, &[keys[0].as_str()], "3"),
        Resp::NilArray
    );
    assert_eq!(c.cmd(&["GET", present]), bulk("in-3"));
}

/// redis-rs's optimistic-locking helper: WATCH, read, MULTI/EXEC, retried on a null reply.
#[test]
fn the_redis_crate_transaction_helper_retries_until_its_watch_holds() {
    let server = shared();
    let k = "tx:w:helper";
    let mut con = server.conn();
    let mut other = server.raw();
    let _: () = redis::cmd("SET")
        .arg(k)
        .arg(10)
        .query(&mut con)
        .expect("set");
    let mut attempts = 0;
    let (doubled,): (i64,) = redis::transaction(&mut con, &[k], |con, pipe| {
        attempts += 1;
        let v: i64 = redis::cmd("GET").arg(k).query(con)?;
        if attempts == 1 {
            // Someone else writes between the read and EXEC: the first attempt is void.
            assert_eq!(other.cmd(&["INCR", k]), int(11));
        }
        pipe.set(k, v * 2).ignore().get(k).query(con)
    })
    .expect("transaction");
    assert_eq!((doubled, attempts), (22, 2));
}

#[test]
fn exec_refused_for_its_arguments_discards_the_transaction_and_the_watches() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:execargs";
    let abort = err(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
    );
    assert_eq!(c.cmd(&["EXEC", "x"]), abort);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["SET", k, "1"]), ok());
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SET", k, "2"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["EXEC", "x"]), abort);
    assert_eq!(c.cmd(&["EXEC"]), err("ERR EXEC without MULTI"));
    assert_eq!(watched_exec(&mut c, &[k], "3"), oks(1));
}

/// `flags=x` and `multi=` while in MULTI, `flags=d` once a watched key is touched (Redis then
/// stops queueing: the count stays where it was).
#[test]
fn client_list_shows_the_transaction_state() {
    let server = shared();
    let (mut c, mut other) = (server.raw(), server.raw());
    let k = "tx:w:clientlist";
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "tx-w-clientlist"]), ok());
    let state = |other: &mut RawConn| {
        let list = other.cmd(&["CLIENT", "LIST"]).as_str();
        let line = list
            .lines()
            .find(|l| l.contains(" name=tx-w-clientlist "))
            .map(str::to_string)
            .unwrap_or_default();
        let field = |name: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or("?")
                .to_string()
        };
        (field("flags="), field("multi="))
    };
    let pair = |f: &str, m: &str| (f.to_string(), m.to_string());
    assert_eq!(state(&mut other), pair("N", "-1"));
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(state(&mut other), pair("x", "0"));
    assert_eq!(c.cmd(&["PING"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["PING"]), simple("QUEUED"));
    assert_eq!(state(&mut other), pair("x", "2"));
    assert_eq!(c.cmd(&["DISCARD"]), ok());
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(state(&mut other), pair("N", "-1"));
    assert_eq!(other.cmd(&["SET", k, "1"]), ok());
    assert_eq!(state(&mut other), pair("d", "-1"));
    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["PING"]), simple("QUEUED"));
    assert_eq!(state(&mut other), pair("xd", "0"));
    assert_eq!(c.cmd(&["EXEC"]), Resp::NilArray);
    assert_eq!(state(&mut other), pair("N", "-1"));
}

/// Optimistic transfers between accounts on every shard: each writer reads two balances under
/// WATCH and writes both new balances (SET, not INCRBY: a lost update would change the total)
/// in MULTI/EXEC, retrying when EXEC answers null. Half use raw commands, half the redis
/// crate's `transaction` helper. Readers see the same total in every MGET, and so does the end.
#[test]
fn watched_transfers_never_lose_money() {
    const ACCOUNTS: usize = 8;
    const TRANSFERS: usize = 150;
    let server = shared();
    let keys = spread_keys("tx:w:bank", ACCOUNTS, server.shards().max(1));
    let mut c = server.raw();
    for k in &keys {
        assert_eq!(c.cmd(&["SET", k, "100"]), ok());
    }
    let total = 100 * ACCOUNTS as i64;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let pick = |w: usize, i: usize| {
        let from = (w * 7 + i * 3) % ACCOUNTS;
        let to = (from + 1 + (i + w) % (ACCOUNTS - 1)) % ACCOUNTS;
        (from, to, (i % 9 + 1) as i64)
    };
    let raw_writers = (0..2).map(|w| {
        let keys = keys.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut c = shared().raw();
            for i in 0..TRANSFERS {
                let (from, to, amount) = pick(w, i);
                let (from, to) = (keys[from].as_str(), keys[to].as_str());
                loop {
                    assert_eq!(c.cmd(&["WATCH", from, to]), ok());
                    let balances = c.cmd(&["MGET", from, to]);
                    let [a, b] = balances.as_array() else {
                        panic!("MGET: {balances:?}")
                    };
                    let (a, b) = (a.as_str().parse::<i64>(), b.as_str().parse::<i64>());
                    let (Ok(a), Ok(b)) = (a, b) else {
                        panic!("balances {balances:?}")
                    };
                    assert_eq!(c.cmd(&["MULTI"]), ok());
                    assert_eq!(
                        c.cmd(&["SET", from, &(a - amount).to_string()]),
                        simple("QUEUED")
                    );
                    assert_eq!(
                        c.cmd(&["SET", to, &(b + amount).to_string()]),
                        simple("QUEUED")
                    );
                    match c.cmd(&["EXEC"]) {
                        Resp::NilArray => continue,
                        reply => assert_eq!(reply, oks(2)),
                    }
                    break;
                }
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
    });
    let crate_writers = (2..4).map(|w| {
        let keys = keys.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut con = shared().conn();
            for i in 0..TRANSFERS {
                let (from, to, amount) = pick(w, i);
                let (from, to) = (keys[from].as_str(), keys[to].as_str());
                let () = redis::transaction(&mut con, &[from, to], |con, pipe| {
                    let (a, b): (i64, i64) = redis::cmd("MGET").arg(from).arg(to).query(con)?;
                    pipe.set(from, a - amount)
                        .ignore()
                        .set(to, b + amount)
                        .ignore()
                        .query(con)
                })
                .expect("transfer");
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
    });
    let writers: Vec<_> = raw_writers.chain(crate_writers).collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let keys = keys.clone();
            let done = done.clone();
            thread::spawn(move || {
                let mut c = shared().raw();
                let mut mget = vec!["MGET"];
                mget.extend(keys.iter().map(String::as_str));
                let mut reads = 0;
                while done.load(std::sync::atomic::Ordering::SeqCst) < 4 || reads == 0 {
                    let reply = c.cmd(&mget);
                    let seen: i64 = reply
                        .as_array()
                        .iter()
                        .map(|v| v.as_str().parse::<i64>().unwrap_or(i64::MIN / 64))
                        .sum();
                    assert_eq!(seen, total, "{reply:?}");
                    reads += 1;
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(readers) {
        t.join().expect("no thread panicked");
    }
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    let end: i64 = c
        .cmd(&mget)
        .as_array()
        .iter()
        .map(|v| v.as_str().parse::<i64>().unwrap_or(0))
        .sum();
    assert_eq!(end, total);
}

/// On one shard every transaction runs in one go without locks; the rules are the same.
#[test]
fn a_one_shard_server_keeps_every_rule() {
    let server = start_target(1, &[]);
    let (mut c, mut other) = (server.raw(), server.raw());
    let (k, proxy) = ("tx:one:k", "tx:one:proxy");
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(watched_exec(&mut c, &[k, "tx:one:b"], "1"), oks(2));
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    assert_eq!(other.cmd(&["APPEND", k, "2"]), int(2));
    assert_eq!(watched_exec(&mut c, &[k], "3"), Resp::NilArray);
    assert_eq!(c.cmd(&["GET", k]), bulk("12"));

    set_expiring(&mut other, &[k, proxy], now_ms() + 30);
    assert_eq!(c.cmd(&["WATCH", k]), ok());
    wait_gone(&mut other, proxy);
    assert_eq!(watched_exec(&mut c, &[k], "4"), Resp::NilArray);

    assert_eq!(c.cmd(&["MULTI"]), ok());
    assert_eq!(c.cmd(&["SET", k, "x"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["INCR", k]), simple("QUEUED"));
    assert_eq!(c.cmd(&["LPUSH", k, "x"]), simple("QUEUED"));
    assert_eq!(c.cmd(&["GET", k]), simple("QUEUED"));
    assert_eq!(
        c.cmd(&["EXEC"]),
        arr(vec![
            ok(),
            not_int_err(),
            err("WRONGTYPE Operation against a key holding the wrong kind of value"),
            bulk("x")
        ])
    );
}
