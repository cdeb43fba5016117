//! One shard: its databases, statistics and transaction locks, and the entry point that runs a
//! command against them.

use std::time::Instant;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::blocking::{BlockOn, Waiters};
use crate::command::CommandSpec;
use crate::error::CmdError;
use crate::keyspace::{Entry, KeyState, Keyspace};
use crate::notify::{KeyEvent, KeyspaceEvents, Notification, Notifier};
use crate::pubsub::PubSub;
use crate::txlock::{LockMode, TxId, TxLocks};
use crate::value::{Collection, Kind, Value};
use crate::watch::{WatchTable, WatchToken};

/// Per-command counters (INFO commandstats), summed over shards by the server.
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandStat {
    pub calls: u64,
    /// Time spent running the command, summed (INFO reports it in µs).
    pub nanos: u64,
    pub failed_calls: u64,
}

#[derive(Debug, Default)]
pub struct ShardStats {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub commands: Vec<CommandStat>,
}

impl ShardStats {
    /// Counts one call of command `id` and returns its counters.
    pub fn count_call(&mut self, id: usize) -> &mut CommandStat {
        if self.commands.len() <= id {
            self.commands.resize(id + 1, CommandStat::default());
        }
        let stat = &mut self.commands[id];
        stat.calls += 1;
        stat
    }
}

pub struct Shard {
    pub id: usize,
    /// How many shards the server runs: with `id`, tells which keys this shard owns (SORT's
    /// BY/GET patterns may only reach local keys).
    pub shards: usize,
    dbs: Vec<Keyspace>,
    pub stats: ShardStats,
    pub locks: TxLocks,
    /// Keys of this shard that connections WATCH.
    pub watches: WatchTable,
    /// This shard's slice of the pub/sub registry.
    pub pubsub: PubSub,
    /// Clients blocked on this shard's keys.
    pub waiters: Waiters,
    pub rng: SmallRng,
    /// `notify-keyspace-events` and the events raised since the server last took them.
    notifier: Notifier,
    /// A script's `redis.call` is running (XREAD refuses BLOCK there, as Redis does for Lua).
    pub in_script: bool,
}

/// What a command handler sees: the shard, the selected database and the time of the call.
pub struct Ctx<'a> {
    pub shard: &'a mut Shard,
    pub db: usize,
    pub now_ms: u64,
    /// Whether a blocking command may answer `CmdError::Block`; false inside MULTI/EXEC and
    /// scripts, where it answers its timeout reply at once, as in Redis.
    pub may_block: bool,
}

impl Shard {
    pub fn new(id: usize, databases: usize, seed: u64) -> Self {
        let dbs = (0..databases)
            .map(|i| Keyspace::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9)))
            .collect();
        Shard {
            id,
            shards: 1,
            dbs,
            stats: ShardStats::default(),
            locks: TxLocks::default(),
            watches: WatchTable::default(),
            pubsub: PubSub::default(),
            waiters: Waiters::default(),
            rng: SmallRng::seed_from_u64(seed),
            notifier: Notifier::default(),
            in_script: false,
        }
    }

    /// Sets how many shards the server runs (1 for a standalone shard).
    pub fn with_shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    pub fn db(&self, i: usize) -> &Keyspace {
        &self.dbs[i]
    }

    pub fn db_mut(&mut self, i: usize) -> &mut Keyspace {
        &mut self.dbs[i]
    }

    /// CONFIG RESETSTAT: zero the counters INFO reports.
    pub fn reset_stats(&mut self) {
        self.stats = ShardStats::default();
        for db in &mut self.dbs {
            db.expired = 0;
        }
    }

    /// Sets `notify-keyspace-events` for this shard.
    pub fn set_notify_flags(&mut self, flags: KeyspaceEvents) {
        self.notifier.set_flags(flags);
        let expired = self.notifier.enabled(KeyspaceEvents::EXPIRED);
        let new = self.notifier.enabled(KeyspaceEvents::NEW);
        let miss = self.notifier.enabled(KeyspaceEvents::KEY_MISS);
        for db in &mut self.dbs {
            db.log_events(expired, new, miss);
        }
    }

    pub fn notify_flags(&self) -> KeyspaceEvents {
        self.notifier.flags()
    }

    /// Redis's `notifyKeyspaceEvent`: raises `event` on `key` of database `db` when its class
    /// is enabled (one test when it is not).
    #[inline]
    pub fn notify(&mut self, db: usize, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        if self.notifier.enabled(class) {
            self.raise(db, event, key);
        }
    }

    /// Queues `event` after the events the keyspaces raised before it (expiry, creation,
    /// misses; in any database, as MOVE creates the key in another one first).
    fn raise(&mut self, db: usize, event: &'static str, key: &[u8]) {
        self.collect_all_keyspace_events();
        self.notifier.push(KeyEvent {
            db,
            event,
            key: Bytes::copy_from_slice(key),
        });
    }

    fn collect_keyspace_events(&mut self, db: usize) {
        for (event, key) in self.dbs[db].take_events() {
            self.notifier.push(KeyEvent { db, event, key });
        }
    }

    fn collect_all_keyspace_events(&mut self) {
        if self.notifier.any_enabled() {
            for db in 0..self.dbs.len() {
                self.collect_keyspace_events(db);
            }
        }
    }

    /// The keyspace notifications raised since the last call, in order, as messages to
    /// publish (`__keyspace@<db>__:<key>` then `__keyevent@<db>__:<event>` per event, as the
    /// flags select). Cheap when notifications are off.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.collect_all_keyspace_events();
        if self.notifier.is_empty() {
            return Vec::new();
        }
        self.notifier.take_notifications()
    }

    /// Publishes the keyspace notifications raised since the last call, from this shard (the
    /// key's owner), to its copy of the subscriptions.
    pub fn publish_notifications(&mut self) {
        for n in self.take_notifications() {
            self.pubsub.publish(&n.channel, &n.message);
        }
    }

    /// The events raised since the last call, with their keys: a scratch shard's events go
    /// to the shards owning the keys (see `push_events`).
    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        self.collect_all_keyspace_events();
        self.notifier.take_events()
    }

    /// Queues events raised for keys of this shard elsewhere (on a scratch shard that held
    /// them for a cross-shard command), to be published from here.
    pub fn push_events(&mut self, events: impl IntoIterator<Item = KeyEvent>) {
        for event in events {
            self.notifier.push(event);
        }
    }

    /// A point to roll the pending events back to (`rollback_events`), for a script run
    /// that may be abandoned and undone.
    pub fn events_mark(&mut self) -> usize {
        self.collect_all_keyspace_events();
        self.notifier.len()
    }

    /// Forgets the events raised since `mark`: the writes that raised them were undone.
    pub fn rollback_events(&mut self, mark: usize) {
        self.collect_all_keyspace_events();
        self.notifier.truncate(mark);
    }

    /// SWAPDB: watched keys stay with their database number, so a key stored in either
    /// database is touched (the watches themselves do not move).
    pub fn swap_dbs(&mut self, a: usize, b: usize, now_ms: u64) {
        // Events already raised belong to the database numbers they were raised in.
        self.collect_all_keyspace_events();
        if !self.watches.is_empty() {
            let (da, db) = (&self.dbs[a], &self.dbs[b]);
            let state_a = |k: &[u8]| da.state(k, now_ms);
            let state_b = |k: &[u8]| db.state(k, now_ms);
            self.watches.touch_db(a, state_a, Some(&state_b));
            self.watches.touch_db(b, state_b, Some(&state_a));
        }
        self.dbs.swap(a, b);
    }

    /// FLUSHDB of database `db` on this shard.
    pub fn flush_db(&mut self, db: usize, now_ms: u64) {
        if !self.watches.is_empty() {
            let ks = &self.dbs[db];
            self.watches.touch_db(db, |k| ks.state(k, now_ms), None);
        }
        self.dbs[db].clear();
    }

    /// FLUSHALL on this shard.
    pub fn flush_all(&mut self, now_ms: u64) {
        for db in 0..self.dbs.len() {
            self.flush_db(db, now_ms);
        }
    }

    /// WATCH `key` in `db` for the session `token`.
    pub fn watch(&mut self, db: usize, key: &[u8], token: &WatchToken, now_ms: u64) {
        let state = self.dbs[db].state(key, now_ms);
        self.watches.watch(db, key, token, state);
    }

    /// EXEC's check of a watched key (under the transaction's lock): touched by a write, or
    /// expired since WATCH.
    pub fn watch_voided(&self, db: usize, key: &[u8], token: &WatchToken, now_ms: u64) -> bool {
        crate::watch::is_touched(token)
            || self
                .watches
                .expired_since_watch(db, key, token, self.dbs[db].state(key, now_ms))
    }

    /// A write ran on `key`, which was in state `before`: a change unless the key was absent
    /// before and after.
    pub fn touch_written(&mut self, db: usize, key: &[u8], before: KeyState, now_ms: u64) {
        if before != KeyState::Absent || self.dbs[db].state(key, now_ms) != KeyState::Absent {
            self.touch_watched(db, key, now_ms);
        }
    }

    /// A write changed `key` in `db`: its watchers' next EXEC fails.
    pub fn touch_watched(&mut self, db: usize, key: &[u8], now_ms: u64) {
        if self.watches.is_empty() {
            return;
        }
        let ks = &self.dbs[db];
        self.watches.touch(db, key, || ks.state(key, now_ms));
    }

    /// Whether a transaction other than `tx` holds one of the keys of this call of `spec` in
    /// a mode conflicting with `mode`.
    pub fn keys_locked(
        &self,
        db: usize,
        spec: &CommandSpec,
        args: &[Bytes],
        mode: LockMode,
        tx: Option<TxId>,
    ) -> bool {
        !self.locks.is_empty()
            && self.locks.blocks(
                db,
                spec.resolve(args).key_positions(args).map(|i| &args[i][..]),
                mode,
                tx,
            )
    }

    /// Runs one command (already arity-checked by the router) and returns its reply.
    /// `id` indexes the command in the server's table, for statistics; `count` is false for
    /// the per-shard parts of a spanning call, which is counted once where it was received.
    /// A blocking command that finds nothing answers its timeout reply.
    pub fn execute(
        &mut self,
        id: usize,
        spec: &CommandSpec,
        db: usize,
        args: &[Bytes],
        now_ms: u64,
        count: bool,
    ) -> Reply {
        self.run(id, spec, db, args, now_ms, count, false)
            .unwrap_or_else(|on| on.on_timeout.reply())
    }

    /// As `execute`, but a blocking command that finds nothing answers what it waits on.
    pub fn execute_may_block(
        &mut self,
        id: usize,
        spec: &CommandSpec,
        db: usize,
        args: &[Bytes],
        now_ms: u64,
    ) -> Result<Reply, Box<BlockOn>> {
        self.run(id, spec, db, args, now_ms, true, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn run(
        &mut self,
        id: usize,
        spec: &CommandSpec,
        db: usize,
        args: &[Bytes],
        now_ms: u64,
        count: bool,
        may_block: bool,
    ) -> Result<Reply, Box<BlockOn>> {
        let Some(handler) = spec.handler else {
            return Ok(
                CmdError::other(format!("ERR '{}' cannot run on a shard", spec.name)).into_reply(),
            );
        };
        // A container's subcommand says whether it writes (XGROUP DESTROY does, XINFO does not).
        let write = spec.resolve(args).is_write();
        // Watched keys this write names, with what they held before it.
        let watched: Vec<(usize, KeyState)> = if self.watches.is_empty() || !write {
            Vec::new()
        } else {
            let ks = &self.dbs[db];
            spec.resolve(args)
                .key_positions(args)
                .filter(|&i| self.watches.is_watched(db, &args[i]))
                .map(|i| (i, ks.state(&args[i], now_ms)))
                .collect()
        };
        let started = count.then(Instant::now);
        let result = handler(
            &mut Ctx {
                shard: self,
                db,
                now_ms,
                may_block,
            },
            args,
        );
        let result = match result {
            Err(CmdError::Block(on)) => return Err(on),
            other => other,
        };
        // A write command that succeeds counts as a change of every key it names, unless the
        // key was absent before and after. Redis only touches keys a command really modified
        // (SADD of a present member does not), so a watch may fail here where Redis's would not.
        if !watched.is_empty() && matches!(&result, Ok(r) if !matches!(r, Reply::Error(_))) {
            for (i, before) in watched {
                self.touch_written(db, &args[i], before, now_ms);
            }
        }
        // Any write to a key with blocked clients may serve them (RENAME, SORT STORE and
        // LMOVE's destination included).
        if !self.waiters.is_empty()
            && write
            && matches!(&result, Ok(r) if !matches!(r, Reply::Error(_)))
        {
            for i in spec.resolve(args).key_positions(args) {
                self.waiters.signal(db, &args[i]);
            }
        }
        let Some(started) = started else {
            return Ok(result.unwrap_or_else(CmdError::into_reply));
        };
        let stat = self.stats.count_call(id);
        stat.nanos += started.elapsed().as_nanos() as u64;
        Ok(match result {
            Ok(reply) => reply,
            Err(e) => {
                stat.failed_calls += 1;
                e.into_reply()
            }
        })
    }
}

impl Ctx<'_> {
    pub fn ks(&mut self) -> &mut Keyspace {
        &mut self.shard.dbs[self.db]
    }

    /// Lookup for a read: counts keyspace hits and misses and refreshes the access time, as
    /// Redis's lookupKeyRead does.
    pub fn read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let clock = lru_clock(self.now_ms);
        let found = self.shard.dbs[self.db].get_read(key, self.now_ms);
        match found {
            Some(e) => {
                self.shard.stats.keyspace_hits += 1;
                e.access = clock;
                Some(e)
            }
            None => {
                self.shard.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// Redis's `notifyKeyspaceEvent`: raises `event` on `key` of the current database when
    /// its class is enabled.
    pub fn notify(&mut self, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        self.shard.notify(self.db, class, event, key);
    }

    /// As `notify`, in database `db` (MOVE and COPY ... DB write another database).
    pub fn notify_in(&mut self, db: usize, class: KeyspaceEvents, event: &'static str, key: &[u8]) {
        self.shard.notify(db, class, event, key);
    }

    /// Lookup for a write: no hit/miss accounting.
    pub fn write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let clock = lru_clock(self.now_ms);
        let e = self.shard.dbs[self.db].get(key, self.now_ms)?;
        e.access = clock;
        Some(e)
    }
}

/// Typed access for the collection families: a missing key is `None`, a key of another type
/// is WRONGTYPE, and a collection emptied by a command is deleted (Redis never keeps one).
impl Ctx<'_> {
    /// `key` as a `T` for a read (counts a keyspace hit or miss).
    pub fn read_as<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        match self.read(key) {
            None => Ok(None),
            Some(e) => T::of_mut(&mut e.value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// `key` as a `T` for a write.
    pub fn write_as<T: Kind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CmdError> {
        match self.write(key) {
            None => Ok(None),
            Some(e) => T::of_mut(&mut e.value).map(Some).ok_or(CmdError::WrongType),
        }
    }

    /// `key` as a `T`, created empty from `make` when absent. The caller must leave it
    /// non-empty or call `drop_if_empty`.
    pub fn create_as<T: Kind>(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> T,
    ) -> Result<&mut T, CmdError> {
        let now = self.now_ms;
        let e = self
            .ks()
            .get_or_insert_with(key, now, || make().into_value());
        e.access = lru_clock(now);
        T::of_mut(&mut e.value).ok_or(CmdError::WrongType)
    }

    /// Checks the type of `key`, looked up for a write (an expired key goes now, as in
    /// Redis) but without touching its access time: WRONGTYPE unless absent or a `T`.
    pub fn check_type<T: Kind>(&mut self, key: &[u8]) -> Result<(), CmdError> {
        let now = self.now_ms;
        match self.ks().get(key, now) {
            Some(e) if T::of(&e.value).is_none() => Err(CmdError::WrongType),
            _ => Ok(()),
        }
    }

    /// The first of `keys` holding a `T` (never empty: Redis keeps no empty collection), as
    /// LMPOP, ZMPOP and the blocking pops look for it: missing keys are skipped, and a key of
    /// another type met before one is WRONGTYPE.
    pub fn first_of<'k, T: Kind>(
        &mut self,
        keys: &'k [Bytes],
    ) -> Result<Option<&'k Bytes>, CmdError> {
        for key in keys {
            if self.write_as::<T>(key)?.is_some() {
                return Ok(Some(key));
            }
        }
        Ok(None)
    }

    /// Deletes `key` when it holds an empty collection, raising `del` as Redis does after the
    /// command's own event; returns whether it did.
    pub fn drop_if_empty(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let empty = self.ks().peek(key, now).is_some_and(|e| match &e.value {
            // Redis keeps a stream that XDEL or XTRIM emptied.
            Value::Str(_) | Value::Stream(_) => false,
            Value::Hash(v) => v.is_empty(),
            Value::List(v) => v.is_empty(),
            Value::Set(v) => v.is_empty(),
            Value::ZSet(v) => v.is_empty(),
        });
        if empty {
            self.ks().remove(key, now);
            self.notify(KeyspaceEvents::GENERIC, "del", key);
        }
        empty
    }

    /// Stores `value` under `key` (replacing whatever was there and its TTL), or deletes the
    /// key when `value` is an empty collection: the store step of SINTERSTORE and friends,
    /// raising `event` of `class`, or `del` when a key was deleted.
    pub fn store<T: Kind>(
        &mut self,
        key: &[u8],
        value: T,
        class: KeyspaceEvents,
        event: &'static str,
    ) {
        let now = self.now_ms;
        if value.is_empty() {
            if self.ks().delete(key) {
                self.notify(KeyspaceEvents::GENERIC, "del", key);
            }
        } else {
            self.ks().insert(key, value.into_value(), None, now);
            self.notify(class, event, key);
        }
    }
}

/// Seconds, wrapping; the resolution OBJECT IDLETIME reports.
pub fn lru_clock(now_ms: u64) -> u32 {
    (now_ms / 1000) as u32
}
