//! What a blocking command (BLPOP, BZPOPMIN, XREAD BLOCK, ...) tells the server when it finds
//! nothing to serve: the keys it waits on, until when, and how to answer if time runs out.
//!
//! The handler itself decides: with `Ctx::may_block` false (inside MULTI/EXEC or a script, as
//! in Redis) it answers at once what Redis answers there (`nothing_yet`); otherwise it returns
//! `CmdError::Block`. The
//! server parks the client on the keys' owners and re-runs the handler (with `BlockOn::args`)
//! each time one of the keys is written, until it answers or the deadline passes.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use hashbrown::HashMap;

use crate::args;
use crate::command::CommandSpec;
use crate::error::{CmdError, CmdResult};
use crate::shard::Ctx;
use crate::string::longdouble::LongDouble;
use crate::txlock::LockMode;
use crate::Shard;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOn {
    /// Keys whose next write may serve the command, in the command's order.
    pub keys: Vec<Bytes>,
    /// Absolute deadline in ms since the epoch; None waits forever.
    pub deadline_ms: Option<u64>,
    /// Arguments for the re-runs, when they differ from the ones sent (XREAD's `$` resolved
    /// to the last ID at the time of blocking); None re-runs as sent.
    pub args: Option<Vec<Bytes>>,
    pub on_timeout: TimeoutReply,
}

/// The reply of a blocking command whose time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// `*-1` in RESP2, `_` in RESP3. Redis's `replyToBlockedClientTimedOut` answers it to
    /// every list, sorted-set and stream wait: BLMOVE and BRPOPLPUSH too, though inside MULTI
    /// they answer a null bulk.
    NullArray,
}

impl TimeoutReply {
    pub fn reply(self) -> Reply {
        match self {
            TimeoutReply::NullArray => Reply::NullArray,
        }
    }
}

/// The unit a blocking command's timeout argument is given in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutUnit {
    /// BLPOP and the other list/zset commands: a float of seconds.
    Seconds,
    /// XREAD/XREADGROUP BLOCK: an integer of milliseconds.
    Millis,
}

/// Redis's getTimeoutFromObjectOrReply: the absolute deadline for `arg`, None for 0 (wait
/// forever). Seconds are read as a `long double`, scaled to ms and rounded up, so a tiny
/// positive timeout still waits and a tiny negative one (down to -0.001) waits forever; one
/// too large for the scaling is negative, as the C cast makes it. A deadline past `i64`
/// wraps negative in Redis, where its timeout table never reaches it: it waits forever.
pub fn parse_timeout(arg: &[u8], unit: TimeoutUnit, now_ms: u64) -> Result<Option<u64>, CmdError> {
    let ms = match unit {
        TimeoutUnit::Seconds => LongDouble::parse(arg)
            .map(|secs| secs.mul_ceil_to_i64(1000))
            .ok_or_else(|| CmdError::other("ERR timeout is not a float or out of range"))?,
        TimeoutUnit::Millis => args::int(arg)
            .map_err(|_| CmdError::other("ERR timeout is not an integer or out of range"))?,
    };
    if ms < 0 {
        return Err(CmdError::other("ERR timeout is negative"));
    }
    Ok((ms as u64)
        .checked_add(now_ms)
        .filter(|&d| ms > 0 && d <= i64::MAX as u64))
}

/// What a list or sorted-set blocking command answers when none of `keys` can serve it yet:
/// it waits on them where it may, until a null array at the deadline; else (MULTI/EXEC,
/// scripts) it answers `at_once`.
pub fn nothing_yet(
    ctx: &Ctx<'_>,
    keys: &[Bytes],
    deadline_ms: Option<u64>,
    at_once: Reply,
) -> CmdResult {
    if !ctx.may_block {
        return Ok(at_once);
    }
    Err(CmdError::Block(Box::new(BlockOn {
        keys: keys.to_vec(),
        deadline_ms,
        args: None,
        on_timeout: TimeoutReply::NullArray,
    })))
}

/// Which shard serves a client blocked on keys of several shards: the first to move the
/// claim from waiting to serving. Shared by every shard the client waits on and by its own
/// thread, which takes it to time out or give up.
#[derive(Debug, Default)]
pub struct Claim(AtomicU8);

const WAITING: u8 = 0;
const SERVING: u8 = 1;
const DONE: u8 = 2;

impl Claim {
    /// Takes the right to serve, waiting out a serving in progress elsewhere (a few
    /// synchronous steps); false when served or given up.
    pub fn begin_spinning(&self) -> bool {
        loop {
            match self
                .0
                .compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(DONE) => return false,
                Err(_) => std::hint::spin_loop(),
            }
        }
    }

    /// Takes the right to serve; false when served, given up, or being served elsewhere.
    fn begin(&self) -> bool {
        self.0
            .compare_exchange(WAITING, SERVING, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub fn abandon(&self) {
        self.0.store(WAITING, Ordering::Release);
    }

    pub fn finish(&self) {
        self.0.store(DONE, Ordering::Release);
    }

    fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire) == DONE
    }

    /// The client's side (timeout, CLIENT UNBLOCK, disconnect): true when it gave up before
    /// any shard served it; false when a reply is (or is about to be) on its way. A shard's
    /// serving is a few synchronous steps, so waiting it out is a short spin.
    pub fn give_up(&self) -> bool {
        loop {
            match self
                .0
                .compare_exchange(WAITING, DONE, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return true,
                Err(DONE) => return false,
                Err(_) => std::hint::spin_loop(),
            }
        }
    }
}

/// Where a blocked client lives: its thread and connection id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr {
    pub thread: usize,
    pub client: u64,
}

/// A client parked on keys of this shard, with the call to re-run when one is written.
pub struct Waiter {
    pub client: ClientAddr,
    pub db: usize,
    /// The command's index in the server's table (statistics) and its spec.
    pub cmd_id: usize,
    pub spec: &'static CommandSpec,
    pub args: Vec<Bytes>,
    /// The keys of this shard it waits on.
    pub keys: Vec<Bytes>,
    pub claim: Arc<Claim>,
}

/// The answer for a client whose blocking command a write served.
pub struct Served {
    pub client: ClientAddr,
    pub waiter: u64,
    pub reply: Reply,
}

/// The clients parked on this shard's keys, in arrival order per key.
#[derive(Default)]
pub struct Waiters {
    waiters: HashMap<u64, Waiter>,
    queues: HashMap<(usize, Bytes), VecDeque<u64>>,
    /// Keys with waiters written since the last serving pass, in write order.
    ready: Vec<(usize, Bytes)>,
    pub served: Vec<Served>,
}

impl Waiters {
    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    pub fn add(&mut self, id: u64, waiter: Waiter) {
        for key in &waiter.keys {
            self.queues
                .entry((waiter.db, key.clone()))
                .or_default()
                .push_back(id);
        }
        self.waiters.insert(id, waiter);
    }

    pub fn remove(&mut self, id: u64) {
        let Some(w) = self.waiters.remove(&id) else {
            return;
        };
        for key in w.keys {
            let slot = (w.db, key);
            if let Some(q) = self.queues.get_mut(&slot) {
                q.retain(|&x| x != id);
                if q.is_empty() {
                    self.queues.remove(&slot);
                }
            }
        }
    }

    /// A write touched `key`: its waiters get a chance at the next serving pass.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.waiters.is_empty() {
            return;
        }
        let slot = (db, Bytes::copy_from_slice(key));
        if self.queues.contains_key(&slot) && !self.ready.contains(&slot) {
            self.ready.push(slot);
        }
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }
}

impl Shard {
    /// Runs the waiters of the keys written since the last pass, oldest first per key, each
    /// atomically with what made its key ready: what one is served no other client ever sees.
    /// Returns true when a waiter was being served by another shard at the same moment and
    /// its key should be looked at again shortly.
    pub fn serve_ready(&mut self, now_ms: u64) -> bool {
        let mut busy = Vec::new();
        let mut locked = Vec::new();
        while !self.waiters.ready.is_empty() {
            let (db, key) = self.waiters.ready.remove(0);
            let queue: Vec<u64> = match self.waiters.queues.get(&(db, key.clone())) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for id in queue {
                let Some(w) = self.waiters.waiters.get(&id) else {
                    continue;
                };
                if w.claim.is_done() {
                    self.waiters.remove(id);
                    continue;
                }
                // A transaction holding one of its keys goes first; its release brings the
                // key back here, and the waiters behind this one wait their turn.
                if self.keys_locked(w.db, w.spec, &w.args, LockMode::Exclusive, None) {
                    locked.push((db, key.clone()));
                    break;
                }
                if !w.claim.begin() {
                    if !busy.contains(&(db, key.clone())) {
                        busy.push((db, key.clone()));
                    }
                    continue;
                }
                let (cmd_id, spec, wdb, args, claim, client) = (
                    w.cmd_id,
                    w.spec,
                    w.db,
                    w.args.clone(),
                    w.claim.clone(),
                    w.client,
                );
                match self.execute_may_block(cmd_id, spec, wdb, &args, now_ms) {
                    Ok(reply) => {
                        claim.finish();
                        self.waiters.remove(id);
                        self.waiters.served.push(Served {
                            client,
                            waiter: id,
                            reply,
                        });
                    }
                    Err(_) => claim.abandon(),
                }
            }
        }
        let retry = !busy.is_empty();
        for k in locked {
            if !busy.contains(&k) {
                busy.push(k);
            }
        }
        self.waiters.ready = busy;
        retry
    }

    /// Parks a waiter, unless the client was served or gave up meanwhile.
    pub fn block(&mut self, id: u64, waiter: Waiter) {
        if !waiter.claim.is_done() {
            self.waiters.add(id, waiter);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{flag, spec};
    use crate::{CmdResult, Ctx, Split};

    /// A blocking command in miniature: takes (deletes) its key when present, else waits.
    fn take(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
        let now = ctx.now_ms;
        match ctx.ks().remove(&args[1], now) {
            Some(_) => Ok(Reply::Bulk(args[2].clone())),
            None if ctx.may_block => Err(CmdError::Block(Box::new(BlockOn {
                keys: vec![args[1].clone()],
                deadline_ms: None,
                args: None,
                on_timeout: TimeoutReply::NullArray,
            }))),
            None => Ok(Reply::NullArray),
        }
    }

    fn put(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
        let now = ctx.now_ms;
        let value = crate::value::Value::Str(crate::value::StrValue::from_client(&args[2]));
        ctx.ks().insert(&args[1], value, None, now);
        Ok(Reply::ok())
    }

    static TAKE: CommandSpec = spec(
        "take",
        3,
        flag::WRITE | flag::BLOCKING,
        (1, 1, 1),
        &[],
        "test",
        "",
        "",
        Some(take),
        Split::None,
    );
    static PUT: CommandSpec = spec(
        "put",
        3,
        flag::WRITE,
        (1, 1, 1),
        &[],
        "test",
        "",
        "",
        Some(put),
        Split::None,
    );

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn park(shard: &mut Shard, id: u64, client: u64, key: &str, claim: &Arc<Claim>) {
        let args = vec![b("take"), b(key), b(&format!("by{client}"))];
        let on = shard
            .execute_may_block(0, &TAKE, 0, &args, 0)
            .expect_err("nothing there yet");
        shard.block(
            id,
            Waiter {
                client: ClientAddr { thread: 0, client },
                db: 0,
                cmd_id: 0,
                spec: &TAKE,
                args,
                keys: on.keys,
                claim: claim.clone(),
            },
        );
    }

    #[test]
    fn waiters_are_served_first_come_first_served_with_the_write() {
        let mut shard = Shard::new(0, 1, 7);
        let (first, second) = (Arc::new(Claim::default()), Arc::new(Claim::default()));
        park(&mut shard, 1, 10, "k", &first);
        park(&mut shard, 2, 20, "k", &second);
        assert_eq!(shard.waiters.len(), 2);
        shard.execute(1, &PUT, 0, &[b("put"), b("k"), b("v")], 0, true);
        assert!(!shard.serve_ready(0));
        let served: Vec<(u64, Reply)> = shard
            .waiters
            .served
            .drain(..)
            .map(|s| (s.client.client, s.reply))
            .collect();
        assert_eq!(served, vec![(10, Reply::Bulk(b("by10")))]);
        // The key went to the first waiter; the second still waits, and may give up.
        assert_eq!(shard.waiters.len(), 1);
        assert!(second.give_up());
        assert!(!first.give_up());
    }

    #[test]
    fn a_waiter_served_or_gone_elsewhere_is_dropped_and_the_next_served() {
        let mut shard = Shard::new(0, 1, 7);
        let (gone, next) = (Arc::new(Claim::default()), Arc::new(Claim::default()));
        park(&mut shard, 1, 10, "k", &gone);
        park(&mut shard, 2, 20, "k", &next);
        assert!(gone.give_up());
        shard.execute(1, &PUT, 0, &[b("put"), b("k"), b("v")], 0, true);
        shard.serve_ready(0);
        let served: Vec<u64> = shard
            .waiters
            .served
            .drain(..)
            .map(|s| s.client.client)
            .collect();
        assert_eq!(served, vec![20]);
        assert!(shard.waiters.is_empty());
        // A claim being served by another shard: left waiting, and the key retried later.
        let busy = Arc::new(Claim::default());
        park(&mut shard, 3, 30, "k", &busy);
        assert!(busy.begin_spinning());
        shard.execute(1, &PUT, 0, &[b("put"), b("k"), b("v")], 0, true);
        assert!(shard.serve_ready(0));
        assert!(shard.waiters.served.is_empty());
        busy.abandon();
        assert!(!shard.serve_ready(0));
        assert_eq!(shard.waiters.served.len(), 1);
    }

    #[test]
    fn a_claim_is_taken_once() {
        let claim = Claim::default();
        assert!(claim.begin_spinning());
        claim.abandon();
        assert!(claim.begin());
        claim.finish();
        assert!(!claim.begin_spinning());
        assert!(!claim.give_up());
        let other = Claim::default();
        assert!(other.give_up());
        assert!(!other.begin_spinning());
    }

    const NOW: u64 = 1_700_000_000_000;

    fn secs(arg: &str) -> Result<Option<u64>, String> {
        parse_timeout(arg.as_bytes(), TimeoutUnit::Seconds, NOW).map_err(|e| e.message())
    }

    fn millis(arg: &str) -> Result<Option<u64>, String> {
        parse_timeout(arg.as_bytes(), TimeoutUnit::Millis, NOW).map_err(|e| e.message())
    }

    /// Redis 7.0.15's answers: the deadline a BLPOP waits until, or its error.
    #[test]
    fn seconds_as_redis_reads_them() {
        let not_float = Err("ERR timeout is not a float or out of range".to_string());
        let negative = Err("ERR timeout is negative".to_string());
        for (arg, want) in [
            ("0", Ok(None)),
            ("0.0", Ok(None)),
            ("-0", Ok(None)),
            ("-0.0001", Ok(None)),
            ("-0.001", Ok(None)),
            ("0.01", Ok(Some(NOW + 10))),
            (".5", Ok(Some(NOW + 500))),
            ("1.", Ok(Some(NOW + 1000))),
            ("+1", Ok(Some(NOW + 1000))),
            ("0x10", Ok(Some(NOW + 16_000))),
            ("1e-10", Ok(Some(NOW + 1))),
            ("1.0001", Ok(Some(NOW + 1001))),
            ("9223372036854775", Ok(None)),
            ("9223372036854775.807", Ok(None)),
            ("-0.0010000001", negative.clone()),
            ("-1", negative.clone()),
            ("inf", negative.clone()),
            ("-inf", negative.clone()),
            ("1e30", negative.clone()),
            ("9223372036854776", negative.clone()),
            ("9223372036854775807", negative),
            ("abc", not_float.clone()),
            ("", not_float.clone()),
            (" 1", not_float.clone()),
            ("1 ", not_float.clone()),
            ("nan", not_float.clone()),
            ("1e-5000", not_float.clone()),
            ("1e5000", not_float),
        ] {
            assert_eq!(secs(arg), want, "{arg:?}");
        }
        let just_fits = (i64::MAX as u64 - NOW) / 1000;
        assert_eq!(
            secs(&just_fits.to_string()),
            Ok(Some(NOW + just_fits * 1000))
        );
    }

    #[test]
    fn milliseconds_as_redis_reads_them() {
        assert_eq!(millis("0"), Ok(None));
        assert_eq!(millis("10"), Ok(Some(NOW + 10)));
        assert_eq!(millis("9223372036854775807"), Ok(None));
        assert_eq!(millis("-1"), Err("ERR timeout is negative".into()));
        for bad in ["1.5", "abc", "", "9223372036854775808"] {
            assert_eq!(
                millis(bad),
                Err("ERR timeout is not an integer or out of range".into()),
                "{bad:?}"
            );
        }
    }
}
