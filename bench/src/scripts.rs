//! Lua script workloads for `compare --tests`, run by redis-benchmark as custom commands.
//!
//! * `evalsha_bucket`: the seeds' token bucket (HMGET, math, HMSET, EXPIRE) by EVALSHA with one
//!   key, `bucket:<random>` over the `-r` keyspace, at a fixed `now` (so a bucket hit more than
//!   its capacity of 10 starts denying, which still writes).
//! * `evalsha_transfer_1shard` / `evalsha_transfer_2shard`: a transfer script with two declared
//!   keys (GET, DECRBY, INCRBY). In the first both keys carry the same hash tag, so they are on
//!   one shard; in the second the tags hash to slots at both ends of the slot range, which
//!   ferrokv puts on its first and last shard for any shard count from 2 to 64. Their ratio on
//!   ferrokv is the cost of a script spanning shards ("at most 3x a one-shard script").
//!
//! Before each run the script is loaded with SCRIPT LOAD and run once (not measured).

use ferrokv_shard::slot::{key_slot, SLOTS};

use crate::resp::Conn;

/// The seeds' TOKEN_BUCKET_SCRIPT (../shared/seeds/002_*.txt), as redis-py sends it; the
/// integration tests run the same file.
const TOKEN_BUCKET: &str = include_str!("../../tests/seeds/token_bucket.lua");

/// Moves ARGV[1] from KEYS[1] to KEYS[2]; returns the balance KEYS[1] had.
const TRANSFER: &str = "
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
return balance
";

/// Shard counts for which the two-shard transfer's tags are on different shards.
const MAX_SHARDS: usize = 64;

/// The first tag `t0`, `t1`, ... whose slot satisfies `want`.
fn tag(want: impl Fn(u16) -> bool) -> String {
    (0u32..)
        .map(|i| format!("t{i}"))
        .find(|t| want(key_slot(t.as_bytes())))
        .unwrap_or_default()
}

/// A tag on ferrokv's first shard for every shard count up to [`MAX_SHARDS`], and one on the
/// last.
fn end_tags() -> (String, String) {
    let edge = SLOTS / MAX_SHARDS as u16;
    (tag(|s| s < edge), tag(|s| s >= SLOTS - edge))
}

/// The script and the command words after EVALSHA's SHA, or None for a test that is not a
/// script workload.
fn workload(test: &str) -> Option<(&'static str, Vec<String>)> {
    let (first, last) = end_tags();
    let transfer = |to: &str| {
        vec![
            "2".to_string(),
            format!("{{{first}}}acct:__rand_int__"),
            format!("{{{to}}}acct:__rand_int__"),
            "7".to_string(),
        ]
    };
    match test {
        "evalsha_bucket" => Some((
            TOKEN_BUCKET,
            ["1", "bucket:__rand_int__", "10", "1.0", "1732560000.0"]
                .map(String::from)
                .to_vec(),
        )),
        "evalsha_transfer_1shard" => Some((TRANSFER, transfer(&first))),
        "evalsha_transfer_2shard" => Some((TRANSFER, transfer(&last))),
        _ => None,
    }
}

/// What redis-benchmark is told to run for `test`: `-t test`, or for a script workload
/// `EVALSHA <sha> ...` after loading the script into the server on `port`.
pub(crate) fn benchmark_args(test: &str, port: u16) -> Result<Vec<String>, String> {
    let Some((script, rest)) = workload(test) else {
        return Ok(vec!["-t".to_string(), test.to_string()]);
    };
    let mut conn = Conn::open(port)?;
    let sha = conn.call(&[
        b"SCRIPT".to_vec(),
        b"LOAD".to_vec(),
        script.as_bytes().to_vec(),
    ])?;
    let sha = String::from_utf8(sha).map_err(|e| format!("SCRIPT LOAD reply: {e}"))?;
    let mut args = vec!["EVALSHA".to_string(), sha];
    args.extend(rest);
    // redis-benchmark counts error replies as requests served: make sure this server runs
    // the command before measuring it.
    let probe: Vec<Vec<u8>> = args
        .iter()
        .map(|a| a.replace("__rand_int__", "000000000000").into_bytes())
        .collect();
    conn.call(&probe)
        .map_err(|e| format!("{test}: {} answered {e}", args.join(" ")))?;
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrokv_shard::slot::shard_of_key;

    #[test]
    fn transfer_keys_are_on_one_or_two_shards() {
        let (first, last) = end_tags();
        for shards in 2..=MAX_SHARDS {
            let a = format!("{{{first}}}acct:1");
            let b = format!("{{{last}}}acct:2");
            assert_eq!(shard_of_key(a.as_bytes(), shards), 0);
            assert_eq!(shard_of_key(b.as_bytes(), shards), shards - 1);
        }
    }

    #[test]
    fn other_tests_go_to_redis_benchmark_as_they_are() {
        assert_eq!(
            benchmark_args("set", 0).ok(),
            Some(vec!["-t".into(), "set".into()])
        );
        assert!(workload("evalsha_bucket").is_some());
    }
}
