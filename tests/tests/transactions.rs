//! MULTI/EXEC/DISCARD with exact replies, keys on every shard, and isolation of a transaction
//! from concurrent readers. Run with `FERROKV_TEST_TARGET=redis` to check the expectations.

use std::thread;

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
