//! Transactions as a connection sees them: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7.0's
//! multi.c). EXEC itself runs in the coordinator, under the transaction framework's locks.

use std::collections::BTreeMap;
use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::watch;

use crate::connection::{Client, MultiState, WatchState};
use crate::hop::on_shard;
use crate::node::{now_ms, Node};

pub fn multi(client: &mut Client) -> Reply {
    if client.multi.is_some() {
        return Reply::error("ERR MULTI calls can not be nested");
    }
    client.multi = Some(MultiState::default());
    client.note_transaction();
    Reply::ok()
}

pub async fn discard(node: &Rc<Node>, client: &mut Client) -> Reply {
    if client.multi.take().is_none() {
        return Reply::error("ERR DISCARD without MULTI");
    }
    unwatch_all(node, client).await;
    Reply::ok()
}

/// EXEC refused before it runs (arity, authentication): Redis discards the transaction and
/// the watches, in MULTI or not, and says why.
pub async fn exec_refused(node: &Rc<Node>, client: &mut Client, refusal: &Reply) -> Reply {
    client.multi = None;
    unwatch_all(node, client).await;
    let Reply::Error(text) = refusal else {
        return refusal.clone();
    };
    let why = text.strip_prefix(b"ERR ").unwrap_or(text);
    Reply::error(format!(
        "EXECABORT Transaction discarded because of: {}",
        String::from_utf8_lossy(why)
    ))
}

pub async fn exec(node: &Rc<Node>, client: &mut Client) -> Reply {
    let Some(state) = client.multi.take() else {
        return Reply::error("ERR EXEC without MULTI");
    };
    if state.dirty {
        unwatch_all(node, client).await;
        return Reply::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if client
        .watch
        .as_ref()
        .is_some_and(|w| watch::is_touched(&w.token))
    {
        // Already void: no need to lock anything to know it.
        unwatch_all(node, client).await;
        return Reply::NullArray;
    }
    // The coordinator checks the watches under the transaction's locks and drops them there.
    let watched = client.watch.take();
    client.note_transaction();
    Box::pin(crate::coordinator::exec(
        node,
        client,
        state.queued,
        watched,
    ))
    .await
}

/// WATCH: each key is registered on its owner, noting whether it is live, absent or expired.
pub async fn watch(node: &Rc<Node>, client: &mut Client, args: &[Bytes]) -> Reply {
    if client.multi.is_some() {
        return Reply::error("ERR WATCH inside MULTI is not allowed");
    }
    let db = client.db;
    let starts = client.watch.is_none();
    let state = client.watch.get_or_insert_with(|| WatchState {
        token: watch::new_token(),
        keys: Vec::new(),
    });
    let mut by_shard: BTreeMap<usize, Vec<Bytes>> = BTreeMap::new();
    for key in &args[1..] {
        if !state.keys.iter().any(|(_, d, k)| *d == db && k == key) {
            let shard = node.owner_of(key);
            state.keys.push((shard, db, key.clone()));
            by_shard.entry(shard).or_default().push(key.clone());
        }
    }
    let session = state.token.clone();
    if starts {
        client.note_transaction();
    }
    for (shard, keys) in by_shard {
        let token = session.clone();
        node.run_on(
            shard,
            on_shard(move |n| {
                let mut shard = n.shard.borrow_mut();
                let now = now_ms();
                for key in &keys {
                    shard.watch(db, key, &token, now);
                }
            }),
        )
        .await;
    }
    Reply::ok()
}

pub async fn unwatch(node: &Rc<Node>, client: &mut Client) -> Reply {
    unwatch_all(node, client).await;
    Reply::ok()
}

/// Drops every watch of the connection from the shards that hold them.
pub async fn unwatch_all(node: &Rc<Node>, client: &mut Client) {
    let Some(state) = client.watch.take() else {
        client.note_transaction();
        return;
    };
    client.note_transaction();
    for (shard, keys) in by_owner(state.keys) {
        let token = state.token.clone();
        node.run_on(
            shard,
            on_shard(move |n| {
                let mut shard = n.shard.borrow_mut();
                for (db, key) in &keys {
                    shard.watches.unwatch(*db, key, &token);
                }
            }),
        )
        .await;
    }
}

/// Watched keys grouped by owner shard, in ascending shard order.
pub fn by_owner(keys: Vec<(usize, usize, Bytes)>) -> BTreeMap<usize, Vec<(usize, Bytes)>> {
    let mut out: BTreeMap<usize, Vec<(usize, Bytes)>> = BTreeMap::new();
    for (shard, db, key) in keys {
        out.entry(shard).or_default().push((db, key));
    }
    out
}
