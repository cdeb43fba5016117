//! The bank invariant of issue 4: clients move money between accounts on every shard with
//! WATCH + MULTI/EXEC and with Lua scripts while other clients read every balance; every read
//! sees the same total, and the ledger each writer keeps of what it committed adds up to the
//! final balances exactly (no transfer lost, none applied twice, none applied in part).
//!
//! Two flavours: scripts that declare their keys, and scripts that build the key names from
//! ARGV (numkeys 0), which ferrokv can only run atomically by holding every shard ("global
//! mode"). Counters incremented by read-modify-write scripts must come out exact too.
//!
//! Fixed amounts of work, no time limits. Run with `FERROKV_TEST_TARGET=redis` to check the
//! expectations against redis-server.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use ferrokv_tests::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use redis::{Connection, Value};

const ACCOUNTS: usize = 20;
const OPENING_BALANCE: i64 = 1000;
const WRITERS: usize = 8;
const TRANSFERS_PER_WRITER: usize = 400;

/// The tests take turns, so that each one's clients really interleave with each other rather
/// than with another test's.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Moves ARGV[1] from KEYS[1] to KEYS[2] if KEYS[1] holds enough; 1 if moved, 0 if refused.
const TRANSFER_DECLARED: &str = "\
local balance = tonumber(redis.call('GET', KEYS[1]))
local amount = tonumber(ARGV[1])
if balance < amount then
    return 0
end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return 1
";

/// The same with undeclared keys: ARGV[1] is the key prefix, ARGV[2] and ARGV[3] the suffixes of
/// the two accounts, ARGV[4] the amount.
const TRANSFER_UNDECLARED: &str = "\
local from = ARGV[1] .. ARGV[2]
local to = ARGV[1] .. ARGV[3]
local balance = tonumber(redis.call('GET', from))
local amount = tonumber(ARGV[4])
if balance < amount then
    return 0
end
redis.call('DECRBY', from, amount)
redis.call('INCRBY', to, amount)
return 1
";

/// Every balance, read one GET at a time inside the script.
const BALANCES_DECLARED: &str = "\
local out = {}
for i, key in ipairs(KEYS) do
    out[i] = tonumber(redis.call('GET', key))
end
return out
";

/// The same as a `no-writes` script over undeclared keys: ARGV[1] is the prefix, the rest are
/// the suffixes.
const BALANCES_UNDECLARED: &str = "#!lua flags=no-writes
local out = {}
for i = 2, #ARGV do
    out[i - 1] = tonumber(redis.call('GET', ARGV[1] .. ARGV[i]))
end
return out
";

/// Where the scripts find their keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keys {
    /// KEYS[...], as Redis asks scripts to do.
    Declared,
    /// Built from ARGV inside the script (numkeys 0).
    Undeclared,
}

struct Bank {
    prefix: String,
    /// Account names: `prefix` followed by a number, spread over every shard.
    accounts: Vec<String>,
    keys: Keys,
}

impl Bank {
    fn open(prefix: &str, keys: Keys) -> Bank {
        let accounts = spread_keys(prefix, ACCOUNTS, DEFAULT_SHARDS);
        let mut c = shared().conn();
        let mut mset = redis::cmd("MSET");
        for a in &accounts {
            mset.arg(a).arg(OPENING_BALANCE);
        }
        let (): () = mset.query(&mut c).expect("MSET");
        Bank {
            prefix: prefix.to_string(),
            accounts,
            keys,
        }
    }

    fn suffix(&self, account: usize) -> &str {
        &self.accounts[account][self.prefix.len()..]
    }

    /// One transfer with WATCH, GET of both accounts, MULTI/DECRBY/INCRBY/EXEC, retried while
    /// EXEC answers nil. Returns whether it moved the money (false: not enough on `from`).
    fn transfer_watch(&self, c: &mut Connection, from: usize, to: usize, amount: i64) -> bool {
        let (kf, kt) = (&self.accounts[from], &self.accounts[to]);
        loop {
            let (): () = redis::cmd("WATCH").arg(kf).arg(kt).query(c).expect("WATCH");
            let balance: i64 = redis::cmd("GET").arg(kf).query(c).expect("GET from");
            let _: i64 = redis::cmd("GET").arg(kt).query(c).expect("GET to");
            if balance < amount {
                let (): () = redis::cmd("UNWATCH").query(c).expect("UNWATCH");
                return false;
            }
            let (): () = redis::cmd("MULTI").query(c).expect("MULTI");
            for (name, key) in [("DECRBY", kf), ("INCRBY", kt)] {
                let queued: String = redis::cmd(name)
                    .arg(key)
                    .arg(amount)
                    .query(c)
                    .expect("queue");
                assert_eq!(queued, "QUEUED");
            }
            match redis::cmd("EXEC").query::<Value>(c).expect("EXEC") {
                Value::Nil => continue,
                Value::Array(replies) => {
                    assert_eq!(replies.len(), 2, "EXEC replies: {replies:?}");
                    assert!(
                        matches!(replies[0], Value::Int(n) if n >= 0),
                        "DECRBY in EXEC after a balance of {balance}: {replies:?}"
                    );
                    return true;
                }
                other => panic!("EXEC answered {other:?}"),
            }
        }
    }

    /// One transfer by one EVAL of the transfer script.
    fn transfer_eval(&self, c: &mut Connection, from: usize, to: usize, amount: i64) -> bool {
        let mut cmd = redis::cmd("EVAL");
        match self.keys {
            Keys::Declared => cmd
                .arg(TRANSFER_DECLARED)
                .arg(2)
                .arg(&self.accounts[from])
                .arg(&self.accounts[to])
                .arg(amount),
            Keys::Undeclared => cmd
                .arg(TRANSFER_UNDECLARED)
                .arg(0)
                .arg(&self.prefix)
                .arg(self.suffix(from))
                .arg(self.suffix(to))
                .arg(amount),
        };
        match cmd.query::<i64>(c).expect("EVAL transfer") {
            1 => true,
            0 => false,
            other => panic!("transfer script answered {other}"),
        }
    }

    /// Every balance by MGET.
    fn read_mget(&self, c: &mut Connection) -> Vec<i64> {
        redis::cmd("MGET")
            .arg(&self.accounts)
            .query(c)
            .expect("MGET")
    }

    /// Every balance by a read-only script: EVAL_RO over the declared keys, or EVAL of a
    /// `no-writes` script over undeclared ones.
    fn read_script(&self, c: &mut Connection) -> Vec<i64> {
        let cmd = match self.keys {
            Keys::Declared => {
                let mut cmd = redis::cmd("EVAL_RO");
                cmd.arg(BALANCES_DECLARED)
                    .arg(self.accounts.len())
                    .arg(&self.accounts);
                cmd
            }
            Keys::Undeclared => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(BALANCES_UNDECLARED).arg(0).arg(&self.prefix);
                for i in 0..self.accounts.len() {
                    cmd.arg(self.suffix(i));
                }
                cmd
            }
        };
        cmd.query(c).expect("balances script")
    }
}

fn total(balances: &[i64]) -> i64 {
    balances.iter().sum()
}

/// What one writer committed: per account, the money it moved in (+) and out (-).
struct Ledger {
    delta: Vec<i64>,
    moved: usize,
    refused: usize,
}

/// 8 writers (half WATCH/MULTI/EXEC, half EVAL) and 2 readers (each alternating MGET and a
/// read-only script) on one bank; then checks every read, the final balances against the
/// writers' ledgers, and that no balance went negative.
fn run_bank(bank: &Bank) {
    let expected_total = OPENING_BALANCE * ACCOUNTS as i64;
    let seed: u64 = rand::thread_rng().gen();
    println!("{:?} bank: seed {seed}", bank.keys);
    let writers_done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let ledgers: Vec<Ledger> = std::thread::scope(|s| {
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let (writers_done, reads) = (&writers_done, &reads);
                s.spawn(move || {
                    let mut c = shared().conn();
                    let mut i = 0usize;
                    // At least one read of each kind, the last one after every writer is done.
                    loop {
                        let last = writers_done.load(Ordering::SeqCst);
                        let (how, balances) = if (i + r).is_multiple_of(2) {
                            ("MGET", bank.read_mget(&mut c))
                        } else {
                            ("script", bank.read_script(&mut c))
                        };
                        assert_eq!(
                            total(&balances),
                            expected_total,
                            "{how} read #{i} saw a total off by a partial transfer: {balances:?}"
                        );
                        assert!(
                            balances.iter().all(|&b| b >= 0),
                            "{how} read #{i} saw a negative balance: {balances:?}"
                        );
                        reads.fetch_add(1, Ordering::Relaxed);
                        i += 1;
                        if last && i >= 2 {
                            return;
                        }
                    }
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                s.spawn(move || {
                    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(w as u64));
                    let mut c = shared().conn();
                    let mut ledger = Ledger {
                        delta: vec![0; ACCOUNTS],
                        moved: 0,
                        refused: 0,
                    };
                    for _ in 0..TRANSFERS_PER_WRITER {
                        let from = rng.gen_range(0..ACCOUNTS);
                        let to = (from + rng.gen_range(1..ACCOUNTS)) % ACCOUNTS;
                        // Up to a third of an opening balance, so that some transfers are
                        // refused once money has piled up elsewhere.
                        let amount = rng.gen_range(1..=OPENING_BALANCE / 3);
                        let moved = if w.is_multiple_of(2) {
                            bank.transfer_watch(&mut c, from, to, amount)
                        } else {
                            bank.transfer_eval(&mut c, from, to, amount)
                        };
                        if moved {
                            ledger.delta[from] -= amount;
                            ledger.delta[to] += amount;
                            ledger.moved += 1;
                        } else {
                            ledger.refused += 1;
                        }
                    }
                    ledger
                })
            })
            .collect();
        let ledgers = writers
            .into_iter()
            .map(|w| w.join().expect("writer"))
            .collect();
        writers_done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().expect("reader");
        }
        ledgers
    });
    let moved: usize = ledgers.iter().map(|l| l.moved).sum();
    let refused: usize = ledgers.iter().map(|l| l.refused).sum();
    println!(
        "{:?} bank: {moved} transfers, {refused} refused, {} reads",
        bank.keys,
        reads.load(Ordering::Relaxed)
    );
    assert_eq!(moved + refused, WRITERS * TRANSFERS_PER_WRITER);
    assert!(moved > 0, "no transfer went through");
    let mut c = shared().conn();
    let finals = bank.read_mget(&mut c);
    assert_eq!(bank.read_script(&mut c), finals);
    let expected: Vec<i64> = (0..ACCOUNTS)
        .map(|a| OPENING_BALANCE + ledgers.iter().map(|l| l.delta[a]).sum::<i64>())
        .collect();
    assert_eq!(finals, expected, "final balances differ from the ledgers");
    assert_eq!(total(&finals), expected_total);
    assert!(finals.iter().all(|&b| b >= 0), "negative: {finals:?}");
    let mut del = redis::cmd("DEL");
    del.arg(&bank.accounts);
    assert_eq!(del.query::<usize>(&mut c).expect("DEL"), ACCOUNTS);
}

#[test]
fn transfers_with_declared_keys_keep_the_total() {
    let _turn = turn();
    run_bank(&Bank::open("inv:declared:acct:", Keys::Declared));
}

#[test]
fn transfers_with_keys_built_from_argv_keep_the_total() {
    let _turn = turn();
    run_bank(&Bank::open("inv:argv:acct:", Keys::Undeclared));
}

/// Adds one to every counter named in KEYS, then in ARGV, with GET and SET (no INCR: a
/// script that is not atomic loses updates here); returns the new values in that order.
const COUNTERS: &str = "\
local names = {}
for _, key in ipairs(KEYS) do
    names[#names + 1] = key
end
for _, key in ipairs(ARGV) do
    names[#names + 1] = key
end
local out = {}
for i, key in ipairs(names) do
    local n = tonumber(redis.call('GET', key) or '0') + 1
    redis.call('SET', key, n)
    out[i] = n
end
return out
";

/// Which counters one script call increments.
#[derive(Clone, Copy)]
enum Counters {
    /// The declared counter alone (KEYS).
    Declared,
    /// The counters on every shard, named only in ARGV (numkeys 0).
    Undeclared,
    /// The declared counter first, then the undeclared ones: a server that starts where the
    /// declared key lives and moves on when it meets the others must undo the first write.
    Both,
}

/// Scripts increment one declared counter and one undeclared counter per shard from 8
/// threads. Each counter ends at the number of scripts that named it, every value a script
/// saw is distinct, and the undeclared counters, always incremented together, are always
/// seen equal.
#[test]
fn counters_incremented_by_scripts_are_exact() {
    let _turn = turn();
    const PER_THREAD: usize = 240;
    let declared = key_on_shard("inv:counter:", 0, DEFAULT_SHARDS);
    let undeclared = spread_keys("inv:counters:", DEFAULT_SHARDS, DEFAULT_SHARDS);
    let mut c = shared().conn();
    let mut del = redis::cmd("DEL");
    del.arg(&declared).arg(&undeclared);
    let _: usize = del.query(&mut c).expect("DEL");
    // Per thread: the values seen of the declared counter, and of the undeclared ones.
    let seen: Vec<(Vec<i64>, Vec<i64>)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..WRITERS)
            .map(|t| {
                let (declared, undeclared) = (&declared, &undeclared);
                s.spawn(move || {
                    let mut c = shared().conn();
                    let (mut seen_declared, mut seen_undeclared) = (Vec::new(), Vec::new());
                    for i in 0..PER_THREAD {
                        let which =
                            [Counters::Declared, Counters::Undeclared, Counters::Both][(t + i) % 3];
                        let mut cmd = redis::cmd("EVAL");
                        cmd.arg(COUNTERS);
                        match which {
                            Counters::Declared => cmd.arg(1).arg(declared),
                            Counters::Undeclared => cmd.arg(0).arg(undeclared),
                            Counters::Both => cmd.arg(1).arg(declared).arg(undeclared),
                        };
                        let mut v: Vec<i64> = cmd.query(&mut c).expect("EVAL counters");
                        if matches!(which, Counters::Declared | Counters::Both) {
                            seen_declared.push(v.remove(0));
                        }
                        if matches!(which, Counters::Undeclared | Counters::Both) {
                            assert_eq!(v.len(), undeclared.len());
                            assert!(v.iter().all(|&n| n == v[0]), "torn counters: {v:?}");
                            seen_undeclared.push(v[0]);
                        } else {
                            assert!(v.is_empty(), "{v:?}");
                        }
                    }
                    (seen_declared, seen_undeclared)
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("counter thread"))
            .collect()
    });
    let mut declared_values: Vec<i64> = seen.iter().flat_map(|s| s.0.clone()).collect();
    let mut undeclared_values: Vec<i64> = seen.iter().flat_map(|s| s.1.clone()).collect();
    declared_values.sort_unstable();
    undeclared_values.sort_unstable();
    // Two thirds of the calls name each kind of counter.
    let calls = (WRITERS * PER_THREAD * 2 / 3) as i64;
    assert_eq!(declared_values, (1..=calls).collect::<Vec<_>>());
    assert_eq!(undeclared_values, (1..=calls).collect::<Vec<_>>());
    let final_declared: i64 = redis::cmd("GET").arg(&declared).query(&mut c).expect("GET");
    assert_eq!(final_declared, calls);
    let finals: Vec<i64> = redis::cmd("MGET")
        .arg(&undeclared)
        .query(&mut c)
        .expect("MGET");
    assert_eq!(finals, vec![calls; undeclared.len()]);
    let _: usize = del.query(&mut c).expect("DEL");
}
