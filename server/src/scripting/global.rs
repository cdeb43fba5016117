//! Global mode: a script that reaches keys it did not declare runs holding every shard.
//!
//! Every shard is locked whole, in ascending order, so no other transaction or command can
//! touch any key while the script runs. The script runs on this thread's VM against a scratch
//! shard; each key is brought here the first time a command of the script names it, and every
//! key brought goes back to its owner when the run ends.
//!
//! Bringing a key from another shard is a *blocking* hop: this thread waits for the owner's
//! answer without returning to its executor, because a Lua call cannot be suspended. That is
//! deadlock-free only because a global run holds every shard: no other global run can be
//! waiting at the same time, and the owner's executor never waits on this thread (work it
//! receives waits for locks asynchronously).

use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::script::{ScriptHost, ShardHost};
use ferrokv_shard::txlock::TxId;
use ferrokv_shard::Shard;

use super::{count_global_run, lookup, Run, WithServer};
use crate::coordinator::{put_into, take_from, Taken};
use crate::hop::{job, on_shard, Answer, Hop};
use crate::node::{now_ms, Node};

/// Locks every shard whole for `tx`, in ascending order.
pub async fn lock_every_shard(node: &Rc<Node>, tx: TxId) {
    for shard in 0..node.nshards {
        node.run_on(
            shard,
            job(move |node: Rc<Node>| async move {
                while !node.shard.borrow_mut().locks.try_lock_whole(tx) {
                    node.unlocked.notified().await;
                }
                Answer::Replies(Vec::new())
            }),
        )
        .await;
    }
}

pub async fn release_every_shard(node: &Rc<Node>, tx: TxId) {
    for shard in 0..node.nshards {
        if shard == node.id {
            node.release(tx);
        } else {
            node.mesh.post(shard, Hop::Release { tx }).await;
        }
    }
}

/// Runs `run` holding every shard; `outer` is an enclosing EXEC that already holds them.
pub async fn run(node: &Rc<Node>, run: &Run, outer: Option<TxId>) -> Reply {
    count_global_run(node);
    let tx = outer.unwrap_or_else(|| node.shared.next_tx_id());
    if outer.is_none() {
        lock_every_shard(node, tx).await;
    }
    let databases = node.shard.borrow().databases();
    let mut scratch = Shard::new(node.id, databases, 0).with_shards(node.nshards);
    let mut brought: Vec<(usize, Bytes)> = Vec::new();
    let reply = {
        let mut vm = node.vm.borrow_mut();
        let holds = |_: &Shard, _: usize, _: &[u8]| true;
        let inner = ShardHost::new(
            &mut scratch,
            run.db,
            now_ms(),
            &lookup,
            &holds,
            run.read_only,
            false,
        );
        let mut host = WithServer {
            node,
            host: GlobalHost {
                node,
                inner,
                db: run.db,
                brought: &mut brought,
            },
        };
        run.execute(&mut vm, &mut host, node)
    };
    send_back(node, &mut scratch, brought).await;
    if outer.is_none() {
        release_every_shard(node, tx).await;
    }
    reply
}

/// Puts every key brought to the scratch shard back on its owner, as the script left it.
async fn send_back(node: &Rc<Node>, scratch: &mut Shard, brought: Vec<(usize, Bytes)>) {
    let now = now_ms();
    let mut by_owner: Vec<(usize, usize, Taken)> = Vec::new();
    for (db, key) in brought {
        let entry = scratch
            .db_mut(db)
            .remove(&key, now)
            .map(ferrokv_shard::keyspace::Entry::into_parts);
        let owner = node.owner_of(&key);
        match by_owner.iter_mut().find(|(o, d, _)| *o == owner && *d == db) {
            Some((_, _, list)) => list.push((key, entry)),
            None => by_owner.push((owner, db, vec![(key, entry)])),
        }
    }
    for (owner, db, entries) in by_owner {
        node.run_on(owner, on_shard(move |n: &Node| put_into(n, db, entries)))
            .await;
    }
}

/// A host that brings each key to the scratch shard before the first command naming it runs.
struct GlobalHost<'a, 's> {
    node: &'a Rc<Node>,
    inner: ShardHost<'s>,
    db: usize,
    brought: &'a mut Vec<(usize, Bytes)>,
}

impl GlobalHost<'_, '_> {
    fn bring(&mut self, key: &Bytes) {
        let db = self.db;
        if self.brought.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        let owner = self.node.owner_of(key);
        let keys = vec![key.clone()];
        let taken: Taken = if owner == self.node.id {
            take_from(self.node, db, keys, true)
        } else {
            self.node
                .mesh
                .call_blocking(owner, move |n: &Node| take_from(n, db, keys, true))
                .unwrap_or_default()
        };
        let now = now_ms();
        for (k, entry) in taken {
            if let Some((value, expire_at)) = entry {
                self.inner
                    .shard_mut()
                    .db_mut(db)
                    .insert(&k, value, expire_at, now);
            }
        }
        self.brought.push((db, key.clone()));
    }
}

impl ScriptHost for GlobalHost<'_, '_> {
    fn call(&mut self, args: &[Bytes]) -> Reply {
        if let Some(spec) = args.first().and_then(|name| lookup(name)) {
            if spec.arity_ok(args.len()) {
                for pos in spec.resolve(args).key_positions(args) {
                    self.bring(&args[pos]);
                }
            }
        }
        self.inner.call(args)
    }

    fn abandoned(&self) -> bool {
        false
    }

    fn wrote(&self) -> bool {
        self.inner.wrote()
    }
}
