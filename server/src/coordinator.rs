//! The transaction framework: commands whose keys span shards.
//!
//! Protocol (strict two-phase locking, deadlock-free by construction):
//! 1. Visit the shards involved in ascending shard order; on each, take the transaction's key
//!    locks (waiting while another transaction holds a conflicting one) and, where the command
//!    allows, run that shard's part at once — nobody else can see those keys until release.
//! 2. Run any remaining steps under the locks.
//! 3. Release every lock.
//!
//! Because every transaction acquires shards in the same order, no cycle of waits can form;
//! because nothing is released before everything is done, no reader sees half a write.

use std::collections::BTreeMap;
use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::keyspace::Entry;
use ferrokv_shard::notify::{KeyEvent, KeyspaceEvents};
use ferrokv_shard::pubsub::SubKind;
use ferrokv_shard::txlock::{LockMode, TxId};
use ferrokv_shard::value::Value;
use ferrokv_shard::watch;
use ferrokv_shard::{keys, sort, string, CmdError, Ctx, Shard, Split};

use crate::commands::{multi, ServerCmd};
use crate::connection::{Client, WatchState};
use crate::dispatch::{self, Route};
use crate::hop::{job, on_shard, Answer, Call, Hop, Job};
use crate::node::{lock_mode, now_ms, Node};
use crate::pubsub::PubsubCmd;
use crate::table::{Command, CommandTable};

/// One shard's share of a spanning call: the sub-command and where its keys came from.
struct Part {
    args: Vec<Bytes>,
    key_indexes: Vec<usize>,
}

/// Splits a call by owning shard, keeping each key with the arguments that follow it up to
/// the next key (MSET's values).
fn split(node: &Node, cmd: &Command, args: &[Bytes]) -> BTreeMap<usize, Part> {
    let mut parts: BTreeMap<usize, Part> = BTreeMap::new();
    let step = cmd.spec.step.max(1) as usize;
    for (n, pos) in cmd.spec.key_positions(args).enumerate() {
        let part = parts
            .entry(node.owner_of(&args[pos]))
            .or_insert_with(|| Part {
                args: vec![args[0].clone()],
                key_indexes: Vec::new(),
            });
        part.args
            .extend_from_slice(&args[pos..(pos + step).min(args.len())]);
        part.key_indexes.push(n);
    }
    parts
}

struct Tx {
    id: TxId,
    shards: Vec<usize>,
    /// False inside an enclosing transaction (EXEC), which holds the locks and releases them.
    owns_locks: bool,
}

impl Tx {
    /// A transaction of its own, or a step of `outer`, whose locks it reuses (a transaction's
    /// own locks never block it, so nested steps take them again without waiting).
    fn new(node: &Node, outer: Option<TxId>) -> Tx {
        Tx {
            id: outer.unwrap_or_else(|| node.shared.next_tx_id()),
            shards: Vec::new(),
            owns_locks: outer.is_none(),
        }
    }

    /// Locks `keys` on `shard` (which must be above every shard locked so far), then runs
    /// `then` there under the locks.
    async fn lock_then(
        &mut self,
        node: &Rc<Node>,
        shard: usize,
        keys: Vec<(usize, Bytes)>,
        mode: LockMode,
        then: Option<Job>,
    ) -> Option<Answer> {
        debug_assert!(self.shards.last().is_none_or(|&s| s < shard));
        self.shards.push(shard);
        let tx = self.id;
        let answer = node
            .run_on(
                shard,
                job(move |node| async move {
                    node.lock(tx, &keys, mode).await;
                    match then {
                        Some(then) => then(node).await,
                        None => Answer::Replies(Vec::new()),
                    }
                }),
            )
            .await;
        Some(answer)
    }

    async fn release(self, node: &Rc<Node>) {
        if !self.owns_locks {
            return;
        }
        for shard in self.shards {
            if shard == node.id {
                node.release(self.id);
            } else {
                node.mesh.post(shard, Hop::Release { tx: self.id }).await;
            }
        }
    }
}

/// Runs `cmd` with `args` on the local shard as part of transaction `tx`.
fn run_part(cmd: &'static Command, db: usize, args: Vec<Bytes>, tx: TxId) -> Job {
    job(
        move |node| async move { Answer::Replies(vec![node.run_local(cmd, db, &args, Some(tx)).await]) },
    )
}

fn single(answer: Option<Answer>) -> Reply {
    match answer {
        Some(Answer::Replies(mut r)) if r.len() == 1 => r.pop().unwrap_or(Reply::Null),
        _ => Reply::error("ERR internal error: missing shard reply"),
    }
}

/// Runs a call whose keys span shards; `outer` is the enclosing transaction (EXEC), if any.
pub async fn run(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    // Key/value commands (MSET, MSETNX) must come in whole steps; checked before any shard
    // runs its part, so a malformed call writes nothing.
    let step = cmd.spec.step.max(1) as usize;
    if step > 1 && !(args.len() - cmd.spec.first_key.max(0) as usize).is_multiple_of(step) {
        return crate::commands::wrong_arity(cmd.spec.name);
    }
    match (cmd.spec.split, cmd.spec.name) {
        (Split::SumInts | Split::Gather, _) | (Split::Transaction, "mset") => {
            split_and_merge(node, db, cmd, args, outer).await
        }
        (Split::Transaction, "msetnx") => msetnx(node, db, cmd, args, outer).await,
        (Split::Transaction, "rename" | "renamenx") => rename(node, db, cmd, args, outer).await,
        (Split::Transaction, "copy") => copy(node, db, args, outer).await,
        (Split::Transaction, "lcs") => lcs(node, db, args, outer).await,
        (Split::Transaction, "sort") => sort_store(node, db, args, outer).await,
        (Split::Transaction, _) => gathered(node, db, cmd, args, outer).await,
        _ => Reply::error("CROSSSLOT Keys in request don't hash to the same slot"),
    }
}

/// Runs `f` against database `db` of the shard it is sent to, as a command handler would
/// (callers hold the transaction's locks on the keys it touches).
fn in_ctx<T, F>(db: usize, f: F) -> Job
where
    T: Send + 'static,
    F: FnOnce(&mut Ctx<'_>) -> T + Send + 'static,
{
    on_shard(move |n: &Node| {
        let mut shard = n.shard.borrow_mut();
        f(&mut Ctx {
            shard: &mut shard,
            db,
            now_ms: now_ms(),
            may_block: false,
        })
    })
}

/// SORT ... STORE with the destination on another shard. BY and GET patterns read keys of
/// the sorted key's shard, so the sort runs there under the transaction's locks, and its result
/// is written to the destination's shard before they are released.
async fn sort_store(node: &Rc<Node>, db: usize, args: &[Bytes], outer: Option<TxId>) -> Reply {
    let Some(dest) = sort::store_key(args) else {
        return Reply::error("ERR internal error: SORT spans shards without STORE");
    };
    let (src, dst) = (KeyRef::new(node, db, &args[1]), KeyRef::new(node, db, dest));
    let mut tx = Tx::new(node, outer);
    lock_pair(node, &mut tx, &src, &dst, LockMode::Exclusive).await;
    let call = args.to_vec();
    let sorted = node
        .run_on(
            src.shard,
            in_ctx(db, move |ctx| sort::sorted_for_store(ctx, &call)),
        )
        .await
        .take::<Result<Vec<Bytes>, CmdError>>();
    let reply = match sorted {
        Some(Ok(items)) => {
            let key = dst.key.clone();
            let stored = node
                .run_on(
                    dst.shard,
                    in_ctx(db, move |ctx| {
                        let now = ctx.now_ms;
                        let before = ctx.ks().state(&key, now);
                        let stored = sort::store_result(ctx, &key, items);
                        ctx.shard.touch_written(db, &key, before, now);
                        stored
                    }),
                )
                .await;
            Reply::Int(stored.take::<usize>().unwrap_or(0) as i64)
        }
        Some(Err(e)) => e.into_reply(),
        None => Reply::error("ERR internal error: missing shard reply"),
    };
    tx.release(node).await;
    reply
}

/// Entries taken from their owners for a gathered run: key, value and deadline.
pub type Taken = Vec<(Bytes, Exported)>;

/// How an entry is taken from its owner.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Copied, for a command that only reads it (and looks it up again where it runs).
    Copy,
    /// Copied as the command's own lookup for a read (COPY's source, LCS): a missing key is a
    /// `keymiss` event.
    Read,
    /// Moved out, to be put back when the command is done.
    Borrow,
    /// Moved out for good (RENAME's source): a change of the key for WATCH, and its
    /// `rename_from` event.
    Move,
}

/// Takes `keys` out of `node`'s shard, or copies them.
pub fn take_from(node: &Node, db: usize, keys: Vec<Bytes>, take: Take) -> Taken {
    let mut shard = node.shard.borrow_mut();
    let now = now_ms();
    keys.into_iter()
        .map(|k| {
            let ks = shard.db_mut(db);
            let copy = |e: &mut Entry| (e.value.clone(), e.expire_at());
            let entry = match take {
                Take::Copy => ks.get(&k, now).map(copy),
                Take::Read => ks.get_read(&k, now).map(copy),
                Take::Borrow | Take::Move => ks.remove(&k, now).map(Entry::into_parts),
            };
            if take == Take::Move && entry.is_some() {
                shard.touch_watched(db, &k, now);
                shard.notify(db, KeyspaceEvents::GENERIC, "rename_from", &k);
            }
            (k, entry)
        })
        .collect()
}

fn take_entries(db: usize, keys: Vec<Bytes>, take: Take) -> Job {
    on_shard(move |n: &Node| take_from(n, db, keys, take))
}

/// How entries arrive on their owner.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// Back from a gathered run (absent ones stay deleted): no event, the run raised them.
    Back,
    /// Written by a command (RENAME's and COPY's destination): whatever the key held is
    /// deleted and the entry added anew, as Redis does (a `new` event), then this event.
    Written(&'static str),
}

/// Puts entries on `node`'s shard; with `touch`, each counts as written for WATCH.
pub fn put_into(node: &Node, db: usize, entries: Taken, touch: bool, put: Put) {
    let mut shard = node.shard.borrow_mut();
    let now = now_ms();
    for (k, entry) in entries {
        if let Some((value, expire_at)) = entry {
            let ks = shard.db_mut(db);
            match put {
                Put::Back => ks.put_back(&k, value, expire_at, now),
                Put::Written(event) => {
                    ks.remove(&k, now);
                    ks.insert(&k, value, expire_at, now);
                    shard.notify(db, KeyspaceEvents::GENERIC, event, &k);
                }
            }
        }
        if touch {
            shard.touch_watched(db, &k, now);
            shard.waiters.signal(db, &k);
        }
    }
}

fn put_entries(db: usize, entries: Taken, touch: bool, put: Put) -> Job {
    on_shard(move |n: &Node| put_into(n, db, entries, touch, put))
}

/// Hands the events a scratch shard raised to the shards owning their keys, to be published
/// from there.
pub async fn send_events(node: &Rc<Node>, events: Vec<KeyEvent>) {
    let mut by_owner: BTreeMap<usize, Vec<KeyEvent>> = BTreeMap::new();
    for event in events {
        by_owner
            .entry(node.owner_of(&event.key))
            .or_default()
            .push(event);
    }
    for (shard, events) in by_owner {
        let push = on_shard(move |n: &Node| n.shard.borrow_mut().push_events(events));
        node.run_on(shard, push).await;
    }
}

/// Any other multi-key command (SINTERSTORE, SMOVE, LMOVE, ZUNIONSTORE, BITOP, PFMERGE...):
/// its keys are locked on their shards in ascending order and their entries brought here into
/// a scratch shard, where the command's own handler runs exactly as it would on one shard;
/// then every key goes back to its owner as the command left it. A command that may write
/// locks exclusively and moves the entries (O(1) per key, whatever their size); a read-only
/// one locks shared and copies them. No other client can see a key while it is away: its
/// lock is held until it is back.
async fn gathered(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    let keys: Vec<Bytes> = cmd
        .spec
        .key_positions(args)
        .map(|pos| args[pos].clone())
        .collect();
    let mut gathered = Gathered::collect(node, db, &keys, cmd.spec.is_write(), outer).await;
    let reply = gathered
        .scratch
        .execute(cmd.id, cmd.spec, db, args, now_ms(), false);
    // As on one shard, a command that succeeds touches the watches of every key it names,
    // except keys absent before and after.
    let touch = !matches!(reply, Reply::Error(_));
    gathered.finish(node, touch).await;
    reply
}

/// Keys of several shards brought into one scratch shard under the locks of a transaction.
pub struct Gathered {
    pub scratch: Shard,
    tx: Tx,
    /// Moved (may be written: locked exclusive, sent back) or copied (read-only: locked shared).
    moving: bool,
    /// The keys that existed when brought, with their database.
    existed: Vec<(usize, Bytes)>,
}

impl Gathered {
    /// Locks `keys` on their shards in ascending order and brings their entries here.
    pub async fn collect(
        node: &Rc<Node>,
        db: usize,
        keys: &[Bytes],
        moving: bool,
        outer: Option<TxId>,
    ) -> Gathered {
        let mut by_shard: BTreeMap<usize, Vec<Bytes>> = BTreeMap::new();
        for key in keys {
            let list = by_shard.entry(node.owner_of(key)).or_default();
            if !list.contains(key) {
                list.push(key.clone());
            }
        }
        let (mode, take) = if moving {
            (LockMode::Exclusive, Take::Borrow)
        } else {
            (LockMode::Shared, Take::Copy)
        };
        let mut tx = Tx::new(node, outer);
        let mut scratch = scratch_shard(node);
        let now = now_ms();
        let mut existed = Vec::new();
        for (shard, keys) in by_shard {
            let locks = keys.iter().map(|k| (db, k.clone())).collect();
            let taken = tx
                .lock_then(node, shard, locks, mode, Some(take_entries(db, keys, take)))
                .await
                .and_then(|a| a.take::<Taken>())
                .unwrap_or_default();
            for (k, entry) in taken {
                if let Some((value, expire_at)) = entry {
                    scratch.db_mut(db).put_back(&k, value, expire_at, now);
                    existed.push((db, k));
                }
            }
        }
        Gathered {
            scratch,
            tx,
            moving,
            existed,
        }
    }

    /// Sends every key back to its owner as the run left it (with `touch`, as written for
    /// WATCH) and the run's keyspace events with them, then releases the locks.
    pub async fn finish(mut self, node: &Rc<Node>, touch: bool) {
        if self.moving {
            send_home(node, &mut self.scratch, &self.existed, touch).await;
        }
        send_events(node, self.scratch.take_events()).await;
        self.tx.release(node).await;
    }
}

/// A shard for running a command or script on keys brought from their owners: it raises the
/// keyspace events `node`'s shard would.
pub fn scratch_shard(node: &Node) -> Shard {
    let home = node.shard.borrow();
    let mut scratch = Shard::new(node.id, home.databases(), 0).with_shards(node.nshards);
    scratch.set_notify_flags(home.notify_flags());
    scratch
}

/// Moves every entry of a scratch shard to the shard owning its key; a key that `existed` when
/// brought and is gone now is deleted there too (for WATCH: its entry was moved out already).
pub async fn send_home(
    node: &Rc<Node>,
    scratch: &mut Shard,
    existed: &[(usize, Bytes)],
    touch: bool,
) {
    let now = now_ms();
    let mut homes: BTreeMap<(usize, usize), Taken> = BTreeMap::new();
    for db in 0..scratch.databases() {
        let mut keys = Vec::new();
        scratch
            .db(db)
            .for_each(now, |e| keys.push(Bytes::copy_from_slice(e.key())));
        for key in keys {
            let entry = scratch.db_mut(db).remove(&key, now).map(Entry::into_parts);
            homes
                .entry((node.owner_of(&key), db))
                .or_default()
                .push((key, entry));
        }
    }
    for (db, key) in existed {
        let home = homes.entry((node.owner_of(key), *db)).or_default();
        if !home.iter().any(|(k, _)| k == key) {
            home.push((key.clone(), None));
        }
    }
    for ((shard, db), entries) in homes {
        node.run_on(shard, put_entries(db, entries, touch, Put::Back))
            .await;
    }
}

/// Runs each shard's part while taking its locks, then merges: integer sums (DEL, EXISTS),
/// values back in key order (MGET), or OK (MSET).
async fn split_and_merge(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    let parts = split(node, cmd, args);
    let mut tx = Tx::new(node, outer);
    let mode = lock_mode(cmd);
    let mut replies = Vec::with_capacity(parts.len());
    for (shard, part) in parts {
        let keys = cmd
            .spec
            .key_positions(&part.args)
            .map(|i| (db, part.args[i].clone()))
            .collect();
        let answer = tx
            .lock_then(
                node,
                shard,
                keys,
                mode,
                Some(run_part(cmd, db, part.args, tx.id)),
            )
            .await;
        replies.push((single(answer), part.key_indexes));
    }
    tx.release(node).await;
    if let Some((err, _)) = replies.iter().find(|(r, _)| matches!(r, Reply::Error(_))) {
        return err.clone();
    }
    match cmd.spec.split {
        Split::SumInts => Reply::Int(
            replies
                .iter()
                .map(|(r, _)| if let Reply::Int(n) = r { *n } else { 0 })
                .sum(),
        ),
        Split::Gather => {
            let total = replies.iter().map(|(_, idx)| idx.len()).sum();
            let mut out = vec![Reply::Null; total];
            for (reply, indexes) in replies {
                if let Reply::Array(values) = reply {
                    for (v, i) in values.into_iter().zip(indexes) {
                        out[i] = v;
                    }
                }
            }
            Reply::Array(out)
        }
        _ => Reply::ok(),
    }
}

async fn msetnx(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    let mset = CommandTable::get().lookup(b"mset").unwrap_or(cmd);
    let parts = split(node, cmd, args);
    let mut tx = Tx::new(node, outer);
    let mut found = 0;
    for (&shard, part) in &parts {
        let keys: Vec<Bytes> = part.args[1..].iter().step_by(2).cloned().collect();
        let locks = keys.iter().map(|k| (db, k.clone())).collect();
        let probe = count_existing(db, keys);
        let answer = tx
            .lock_then(node, shard, locks, LockMode::Exclusive, Some(probe))
            .await;
        found += answer.and_then(Answer::take::<usize>).unwrap_or(0);
    }
    if found == 0 {
        for (shard, mut part) in parts {
            part.args[0] = Bytes::from_static(b"mset");
            node.run_on(shard, run_part(mset, db, part.args, tx.id))
                .await;
        }
    }
    tx.release(node).await;
    Reply::Int((found == 0) as i64)
}

/// How many of `keys` exist, looked up as MSETNX does, for a write: no hit or miss is counted
/// and no `keymiss` raised.
fn count_existing(db: usize, keys: Vec<Bytes>) -> Job {
    on_shard(move |n: &Node| {
        let mut shard = n.shard.borrow_mut();
        let ks = shard.db_mut(db);
        let now = now_ms();
        keys.iter().filter(|k| ks.contains(k, now)).count()
    })
}

/// A key's value and deadline, read on its owner to be written on another shard.
pub type Exported = Option<(Value, Option<u64>)>;

/// Whether `key` exists; with `read`, a lookup for a read (a miss is a `keymiss` event).
fn exists_on(db: usize, key: Bytes, read: bool) -> Job {
    on_shard(move |n: &Node| {
        let mut shard = n.shard.borrow_mut();
        let ks = shard.db_mut(db);
        let now = now_ms();
        if read {
            ks.get_read(&key, now).is_some()
        } else {
            ks.contains(&key, now)
        }
    })
}

/// One key's entry from its owner: moved out, or copied.
async fn take_one(node: &Rc<Node>, key: &KeyRef, take: Take) -> Exported {
    let taken = node
        .run_on(key.shard, take_entries(key.db, vec![key.key.clone()], take))
        .await
        .take::<Taken>()?;
    taken.into_iter().next()?.1
}

/// A key of a two-key command: its shard, database and name.
struct KeyRef {
    shard: usize,
    db: usize,
    key: Bytes,
}

impl KeyRef {
    fn new(node: &Node, db: usize, key: &Bytes) -> KeyRef {
        KeyRef {
            shard: node.owner_of(key),
            db,
            key: key.clone(),
        }
    }
}

/// Locks two keys in shard order (both at once when they share a shard).
async fn lock_pair(node: &Rc<Node>, tx: &mut Tx, a: &KeyRef, b: &KeyRef, mode: LockMode) {
    let (first, second) = if a.shard <= b.shard { (a, b) } else { (b, a) };
    let lock = |k: &KeyRef| (k.db, k.key.clone());
    if first.shard == second.shard {
        tx.lock_then(
            node,
            first.shard,
            vec![lock(first), lock(second)],
            mode,
            None,
        )
        .await;
    } else {
        tx.lock_then(node, first.shard, vec![lock(first)], mode, None)
            .await;
        tx.lock_then(node, second.shard, vec![lock(second)], mode, None)
            .await;
    }
}

/// What a cross-shard RENAME or COPY found.
enum Transfer {
    NoSource,
    /// The destination exists and the command keeps it (RENAMENX, COPY without REPLACE).
    DestinationKept,
    Done,
}

/// RENAME and COPY across shards: under locks on both keys, writes the source's value and TTL
/// to the destination, unless it exists and `keep_dst`; with `move_src` the source is moved
/// (RENAME) rather than copied (COPY). Each shard raises the events of its key.
async fn transfer(
    node: &Rc<Node>,
    outer: Option<TxId>,
    src: KeyRef,
    dst: KeyRef,
    keep_dst: bool,
    move_src: bool,
) -> Transfer {
    let mut tx = Tx::new(node, outer);
    lock_pair(node, &mut tx, &src, &dst, LockMode::Exclusive).await;
    let outcome = async {
        // The destination check comes first, so the source is only taken when it will be
        // written: moved in O(1) for RENAME, copied for COPY.
        if keep_dst {
            let exists = node.run_on(dst.shard, exists_on(dst.db, dst.key.clone(), false));
            if exists.await.take::<bool>().unwrap_or(false) {
                let probe = exists_on(src.db, src.key.clone(), !move_src);
                let src_exists = node.run_on(src.shard, probe);
                return if src_exists.await.take::<bool>().unwrap_or(false) {
                    Transfer::DestinationKept
                } else {
                    Transfer::NoSource
                };
            }
        }
        let (take, event) = if move_src {
            (Take::Move, "rename_to")
        } else {
            (Take::Read, "copy_to")
        };
        let Some(entry) = take_one(node, &src, take).await else {
            return Transfer::NoSource;
        };
        let entries = vec![(dst.key.clone(), Some(entry))];
        let put = put_entries(dst.db, entries, true, Put::Written(event));
        node.run_on(dst.shard, put).await;
        Transfer::Done
    }
    .await;
    tx.release(node).await;
    outcome
}

async fn rename(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    let nx = cmd.spec.name == "renamenx";
    let (src, dst) = (
        KeyRef::new(node, db, &args[1]),
        KeyRef::new(node, db, &args[2]),
    );
    match transfer(node, outer, src, dst, nx, true).await {
        Transfer::NoSource => Reply::error("ERR no such key"),
        Transfer::DestinationKept => Reply::Int(0),
        Transfer::Done if nx => Reply::Int(1),
        Transfer::Done => Reply::ok(),
    }
}

async fn copy(node: &Rc<Node>, db: usize, args: &[Bytes], outer: Option<TxId>) -> Reply {
    let databases = node.shard.borrow().databases();
    let (dst_db, replace) = match keys::copy_options(&args[3..], db, databases) {
        Ok(o) => o,
        Err(e) => return e.into_reply(),
    };
    let (src, dst) = (
        KeyRef::new(node, db, &args[1]),
        KeyRef::new(node, dst_db, &args[2]),
    );
    match transfer(node, outer, src, dst, !replace, false).await {
        Transfer::NoSource | Transfer::DestinationKept => Reply::Int(0),
        Transfer::Done => Reply::Int(1),
    }
}

/// LCS of two keys on different shards: both read under shared locks, compared here.
async fn lcs(node: &Rc<Node>, db: usize, args: &[Bytes], outer: Option<TxId>) -> Reply {
    let opts = match string::lcs_options(&args[3..]) {
        Ok(o) => o,
        Err(e) => return e.into_reply(),
    };
    let (a, b) = (
        KeyRef::new(node, db, &args[1]),
        KeyRef::new(node, db, &args[2]),
    );
    let mut tx = Tx::new(node, outer);
    lock_pair(node, &mut tx, &a, &b, LockMode::Shared).await;
    let va = take_one(node, &a, Take::Read).await;
    let vb = take_one(node, &b, Take::Read).await;
    tx.release(node).await;
    let text = |v: Exported| -> Result<Bytes, CmdError> {
        match v {
            None => Ok(Bytes::new()),
            Some((value, _)) => value
                .as_str()
                .map(|s| s.to_bytes())
                .ok_or(CmdError::WrongType),
        }
    };
    match (text(va), text(vb)) {
        (Ok(x), Ok(y)) => string::lcs_reply(&x, &y, &opts).unwrap_or_else(|e| e.into_reply()),
        (Err(e), _) | (_, Err(e)) => e.into_reply(),
    }
}

/// Whether a transaction can run on this shard without locks: every command is a data command
/// whose keys are all here, every watched key is here, and no other transaction holds any of
/// them. It then runs in one go, with nothing else running on the shard meanwhile.
fn runs_here(
    node: &Node,
    db: usize,
    queued: &[(&'static Command, Vec<Bytes>)],
    watched: Option<&WatchState>,
) -> bool {
    let shard = node.shard.borrow();
    let here = |key: &[u8]| node.owner_of(key) == node.id;
    let free = |cmd: &Command, args: &[Bytes]| {
        !shard.keys_locked(db, cmd.spec, args, lock_mode(cmd), None)
    };
    queued.iter().all(|(cmd, args)| {
        cmd.server.is_none()
            && cmd
                .spec
                .resolve(args)
                .key_positions(args)
                .all(|i| here(&args[i]))
            && free(cmd, args)
    }) && watched.is_none_or(|w| {
        w.keys.iter().all(|(s, d, k)| {
            *s == node.id
                && (shard.locks.is_empty()
                    || !shard.locks.blocks(*d, [&k[..]], LockMode::Shared, None))
        })
    })
}

/// EXEC of a transaction that `runs_here`: the watch check and the commands in one go.
fn exec_here(
    node: &Node,
    db: usize,
    queued: &[(&'static Command, Vec<Bytes>)],
    watched: Option<WatchState>,
) -> Reply {
    let mut shard = node.shard.borrow_mut();
    let now = now_ms();
    if let Some(w) = watched {
        let mut void = false;
        for (_, d, key) in &w.keys {
            void |= shard.watch_voided(*d, key, &w.token, now);
            shard.watches.unwatch(*d, key, &w.token);
        }
        if void {
            return Reply::NullArray;
        }
    }
    Reply::Array(
        queued
            .iter()
            .map(|(cmd, args)| shard.execute(cmd.id, cmd.spec, db, args, now, true))
            .collect(),
    )
}

/// EXEC: the queued commands run as one transaction. Every key they name is locked first,
/// shard by shard in ascending order (exclusive: the commands may write), so no other client
/// sees or touches any of them until all have run; then the commands run in order, each on its
/// shard under the transaction's locks, and the locks are released.
///
/// Watched keys are locked too (shared: they are only read), in the same pass, and checked and
/// unregistered there: once every lock is held nobody can touch them any more, so the check and
/// the commands are one atomic step. A void watch releases the locks and answers a null array.
pub async fn exec(
    node: &Rc<Node>,
    client: &mut Client,
    queued: Vec<(&'static Command, Vec<Bytes>)>,
    watched: Option<WatchState>,
) -> Reply {
    // A script's keys are only known as it runs: a transaction with one holds every shard.
    let scripted = queued
        .iter()
        .any(|(cmd, _)| cmd.server.is_some_and(ServerCmd::runs_script));
    if !scripted && runs_here(node, client.db, &queued, watched.as_ref()) {
        return exec_here(node, client.db, &queued, watched);
    }
    let databases = node.shard.borrow().databases();
    let mut locks: BTreeMap<usize, Vec<(usize, Bytes)>> = BTreeMap::new();
    let mut db = client.db;
    for (cmd, args) in &queued {
        if cmd.server == Some(ServerCmd::Select) {
            // SELECT inside MULTI moves the keys after it to another database.
            if let Ok(n) = ferrokv_shard::args::int(&args[1]) {
                if n >= 0 && (n as usize) < databases {
                    db = n as usize;
                }
            }
            continue;
        }
        for pos in cmd.spec.resolve(args).key_positions(args) {
            locks
                .entry(node.owner_of(&args[pos]))
                .or_default()
                .push((db, args[pos].clone()));
        }
    }
    let (token, mut watches) = match watched {
        Some(w) => (Some(w.token), multi::by_owner(w.keys)),
        None => (None, BTreeMap::new()),
    };
    let mut shards: Vec<usize> = if scripted {
        (0..node.nshards).collect()
    } else {
        locks.keys().chain(watches.keys()).copied().collect()
    };
    shards.sort_unstable();
    shards.dedup();
    let mut tx = Tx::new(node, None);
    let mut void = false;
    for shard in shards {
        let exclusive = locks.remove(&shard).unwrap_or_default();
        let shared = watches.remove(&shard).unwrap_or_default();
        let token = token.clone();
        let id = tx.id;
        tx.shards.push(shard);
        let answer = node
            .run_on(
                shard,
                job(move |node| async move {
                    if scripted {
                        node.lock_whole(id).await;
                    } else {
                        node.lock_mixed(id, &exclusive, &shared).await;
                    }
                    let mut void = false;
                    if let Some(token) = token {
                        let mut s = node.shard.borrow_mut();
                        let now = now_ms();
                        for (db, key) in &shared {
                            void |= s.watch_voided(*db, key, &token, now);
                            s.watches.unwatch(*db, key, &token);
                        }
                    }
                    Answer::Value(Box::new(void))
                }),
            )
            .await;
        void |= answer.take::<bool>().unwrap_or(false);
    }
    // Touches on any shard before its lock was taken are visible now that every lock is held.
    if void || token.as_ref().is_some_and(watch::is_touched) {
        tx.release(node).await;
        return Reply::NullArray;
    }
    let mut replies = vec![Reply::Null; queued.len()];
    let mut batch: Vec<(usize, usize, Call)> = Vec::new();
    // A command that reads or writes several shards, or the connection, runs after the
    // single-shard ones before it and before the ones after it.
    for (i, (_, args)) in queued.into_iter().enumerate() {
        let route = match dispatch::route(node, client, &args) {
            Route::Local(cmd) => {
                batch.push((i, node.id, Call { cmd, args }));
                continue;
            }
            Route::Remote(shard, cmd) => {
                batch.push((i, shard, Call { cmd, args }));
                continue;
            }
            Route::Reply(r) => {
                replies[i] = r;
                continue;
            }
            route => route,
        };
        let before = std::mem::take(&mut batch);
        run_batch(node, client.db, tx.id, before, &mut replies).await;
        replies[i] = match route {
            Route::Server(_, ServerCmd::Scripting(cmd)) if cmd.runs_script() => {
                crate::scripting::run_command(node, client, cmd, &args, Some(tx.id)).await
            }
            // Redis runs SUBSCRIBE queued in MULTI, but not SSUBSCRIBE.
            Route::Server(_, ServerCmd::Pubsub(PubsubCmd::Subscribe(SubKind::ShardChannel))) => {
                Reply::error("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
            }
            Route::Server(_, server) => crate::commands::run(node, client, server, &args).await,
            // Inside EXEC a blocking command answers at once, as in Redis.
            Route::Spanning(cmd) | Route::Blocking(cmd) => {
                run(node, client.db, cmd, &args, Some(tx.id)).await
            }
            Route::Local(_) | Route::Remote(..) | Route::Reply(_) => {
                unreachable!("single-shard calls and replies were handled above")
            }
        };
    }
    run_batch(node, client.db, tx.id, batch, &mut replies).await;
    tx.release(node).await;
    Reply::Array(replies)
}

/// Runs consecutive single-shard commands of an EXEC with one hop per shard, every shard at
/// once: each shard runs its commands in their order, and as the transaction holds all their
/// keys, nobody can tell in which order the shards ran. `replies[i]` gets call `i`'s reply.
async fn run_batch(
    node: &Rc<Node>,
    db: usize,
    tx: TxId,
    calls: Vec<(usize, usize, Call)>,
    replies: &mut [Reply],
) {
    let mut by_shard: BTreeMap<usize, (Vec<usize>, Vec<Call>)> = BTreeMap::new();
    for (i, shard, call) in calls {
        let (indexes, calls) = by_shard.entry(shard).or_default();
        indexes.push(i);
        calls.push(call);
    }
    let mut waiting = Vec::with_capacity(by_shard.len());
    let mut local = None;
    for (shard, (indexes, calls)) in by_shard {
        let job = job(move |node| async move {
            let mut out = Vec::with_capacity(calls.len());
            for call in &calls {
                out.push(node.run_local(call.cmd, db, &call.args, Some(tx)).await);
            }
            Answer::Replies(out)
        });
        if shard == node.id {
            local = Some((indexes, job));
        } else {
            let pending = node
                .mesh
                .request(shard, |from, id| Hop::Run { from, id, job })
                .await;
            waiting.push((indexes, pending));
        }
    }
    let mut place = |indexes: Vec<usize>, answer: Answer| {
        let Answer::Replies(out) = answer else {
            return;
        };
        for (i, reply) in indexes.into_iter().zip(out) {
            if let Some(slot) = replies.get_mut(i) {
                *slot = reply;
            }
        }
    };
    if let Some((indexes, job)) = local {
        place(indexes, job(node.clone()).await);
    }
    for (indexes, pending) in waiting {
        place(indexes, pending.await);
    }
}
