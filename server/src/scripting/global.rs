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

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::script::{other_db, ScriptHost, ShardHost};
use ferrokv_shard::txlock::TxId;

use super::{count_global_run, lookup, Run, SelectDb, WithServer};
use crate::coordinator::{scratch_shard, send_events, send_home, take_from, Take, Taken};
use crate::hop::{job, Answer, Hop};
use crate::node::{now_ms, Node};

/// Locks every shard whole for `tx`, in ascending order.
pub async fn lock_every_shard(node: &Rc<Node>, tx: TxId) {
    for shard in 0..node.nshards {
        node.run_on(
            shard,
            job(move |node: Rc<Node>| async move {
                node.lock_whole(tx).await;
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
    let mut scratch = scratch_shard(node);
    let (reply, existed, wrote) = {
        let mut vm = node.vm.borrow_mut();
        let holds = |_: &[u8]| true;
        let inner = ShardHost::new(
            &mut scratch,
            run.db,
            now_ms(),
            &lookup,
            &holds,
            run.read_only,
            false,
        );
        let db = Cell::new(run.db);
        let host = GlobalHost {
            node,
            inner,
            db: run.db,
            brought: HashSet::new(),
            existed: Vec::new(),
        };
        let mut host = WithServer::new(node, host, &db, true);
        let reply = run.execute(&mut vm, &mut host, node);
        (reply, host.host.existed, host.host.inner.wrote())
    };
    send_home(node, &mut scratch, &existed, wrote).await;
    send_events(node, scratch.take_events()).await;
    if outer.is_none() {
        release_every_shard(node, tx).await;
    }
    reply
}

/// A host that brings each key to the scratch shard before the first command naming it runs.
struct GlobalHost<'a, 's> {
    node: &'a Rc<Node>,
    inner: ShardHost<'s>,
    db: usize,
    brought: HashSet<(usize, Bytes)>,
    /// The keys brought that existed, to be deleted on their owner if the script deleted them.
    existed: Vec<(usize, Bytes)>,
}

impl GlobalHost<'_, '_> {
    fn bring(&mut self, db: usize, key: &Bytes) {
        if !self.brought.insert((db, key.clone())) {
            return;
        }
        let owner = self.node.owner_of(key);
        let keys = vec![key.clone()];
        let taken: Taken = if owner == self.node.id {
            take_from(self.node, db, keys, Take::Borrow)
        } else {
            self.node
                .mesh
                .call_blocking(owner, move |n: &Node| take_from(n, db, keys, Take::Borrow))
                .unwrap_or_default()
        };
        let now = now_ms();
        for (k, entry) in taken {
            if let Some((value, expire_at)) = entry {
                self.existed.push((db, k.clone()));
                self.inner
                    .shard_mut()
                    .db_mut(db)
                    .put_back(&k, value, expire_at, now);
            }
        }
    }
}

impl SelectDb for GlobalHost<'_, '_> {
    fn select(&mut self, db: usize) {
        self.db = db;
        self.inner.set_db(db);
    }
}

impl ScriptHost for GlobalHost<'_, '_> {
    fn call(&mut self, args: &[Bytes]) -> Reply {
        if let Some((_, spec)) = args.first().and_then(|name| lookup(name)) {
            let spec = spec.resolve(args);
            if spec.arity_ok(args.len()) {
                let keys: Vec<Bytes> = spec
                    .key_positions(args)
                    .filter_map(|i| args.get(i).cloned())
                    .collect();
                for key in &keys {
                    self.bring(self.db, key);
                }
                let databases = self.inner.shard_mut().databases();
                if let (Some(db), Some(key)) = (other_db(spec, args, databases), keys.last()) {
                    self.bring(db, key);
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

    fn command_exists(&self, name: &[u8]) -> bool {
        self.inner.command_exists(name)
    }
}
