//! One shard thread's state: its shard, its ends of the mesh, its clients. Everything here is
//! touched only by the thread that owns it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::Reply;
use ferrokv_shard::pubsub::Delivery;
use ferrokv_shard::script::ScriptVm;
use ferrokv_shard::txlock::{LockMode, TxId};
use ferrokv_shard::Shard;
use glommio::channels::shared_channel::ConnectedReceiver;

use crate::clients::ClientRegistry;
use crate::config::OutputLimit;
use crate::hop::{Answer, Batch, Hop, Job, Mesh};
use crate::mailbox::{Encoded, Mailbox};
use crate::notify::Notify;
use crate::shared::Shared;
use crate::table::Command;

pub struct Node {
    pub id: usize,
    pub nshards: usize,
    pub shard: RefCell<Shard>,
    pub mesh: Rc<Mesh>,
    pub shared: Arc<Shared>,
    /// Fires when a transaction releases locks on this shard.
    pub unlocked: Notify,
    /// Fires when a blocked client could not be served because another shard was serving it
    /// at that moment (see `serve_again_loop`).
    pub serve_again: Notify,
    pub clients: RefCell<ClientRegistry>,
    /// Connections that are between reading a request and writing its replies; shutdown
    /// waits for them so in-flight replies go out.
    pub busy_connections: Cell<usize>,
    /// Bytes read from and written to this thread's clients (INFO total_net_*). Per thread,
    /// so counting them never touches a cache line another core writes.
    pub net_input: Cell<u64>,
    pub net_output: Cell<u64>,
    /// DEBUG SET-ACTIVE-EXPIRE: tests turn the cycle off to observe lazy expiry alone.
    pub active_expire: Cell<bool>,
    /// This thread's Lua VM: scripts whose keys are on this shard, or that this thread
    /// coordinates, run here.
    pub vm: RefCell<ScriptVm>,
    /// Fires when commands published something or messages were queued for this thread's
    /// connections (`send_loop`).
    pub to_send: Notify,
    /// Connections with messages queued since the last pass of `send_loop`.
    pub unflushed: RefCell<Vec<Rc<Mailbox>>>,
    /// `client-output-buffer-limit pubsub`, with the config version it was read at.
    pub pubsub_limit: Cell<(u64, OutputLimit)>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Shared for read-only commands, exclusive for the rest.
pub fn lock_mode(cmd: &Command) -> LockMode {
    if cmd.spec.is_write() {
        LockMode::Exclusive
    } else {
        LockMode::Shared
    }
}

impl Node {
    pub fn owner_of(&self, key: &[u8]) -> usize {
        ferrokv_shard::slot::shard_of_key(key, self.nshards)
    }

    /// Runs `cmd` on this thread's shard, first waiting while a transaction other than `tx`
    /// holds one of its keys in a conflicting mode (`wait_unlocked`).
    pub async fn run_local(
        &self,
        cmd: &Command,
        db: usize,
        args: &[Bytes],
        tx: Option<TxId>,
    ) -> Reply {
        self.wait_unlocked(cmd, db, args, tx).await;
        let reply =
            self.shard
                .borrow_mut()
                .execute(cmd.id, cmd.spec, db, args, now_ms(), tx.is_none());
        // Waiters now, atomically with the write; what goes to other threads leaves at the
        // end of the batch (`after_write`).
        self.serve_waiters();
        reply
    }

    /// Waits while a transaction other than `tx` holds one of `cmd`'s keys in a conflicting
    /// mode. Returns without yielding when they are free, so the caller's next step runs
    /// before anything else on this shard.
    pub async fn wait_unlocked(&self, cmd: &Command, db: usize, args: &[Bytes], tx: Option<TxId>) {
        loop {
            let blocked = self
                .shard
                .borrow()
                .keys_locked(db, cmd.spec, args, lock_mode(cmd), tx);
            if !blocked {
                return;
            }
            self.unlocked.notified().await;
        }
    }

    /// Takes the locks of `tx` on this shard, waiting for conflicting holders to release.
    pub async fn lock(&self, tx: TxId, keys: &[(usize, Bytes)], mode: LockMode) {
        match mode {
            LockMode::Exclusive => self.lock_mixed(tx, keys, &[]).await,
            LockMode::Shared => self.lock_mixed(tx, &[], keys).await,
        }
    }

    /// Takes exclusive and shared locks of `tx` on this shard at once.
    pub async fn lock_mixed(
        &self,
        tx: TxId,
        exclusive: &[(usize, Bytes)],
        shared: &[(usize, Bytes)],
    ) {
        let exclusive = exclusive.iter().map(|(db, k)| (*db, &k[..]));
        let shared = shared.iter().map(|(db, k)| (*db, &k[..]));
        loop {
            if self
                .shard
                .borrow_mut()
                .locks
                .try_lock_mixed(tx, exclusive.clone(), shared.clone())
            {
                return;
            }
            self.unlocked.notified().await;
        }
    }

    /// Takes this whole shard for `tx`, waiting for other transactions' locks to go.
    pub async fn lock_whole(&self, tx: TxId) {
        while !self.shard.borrow_mut().locks.try_lock_whole(tx) {
            self.unlocked.notified().await;
        }
    }

    pub fn release(&self, tx: TxId) {
        self.shard.borrow_mut().locks.release(tx);
        self.unlocked.notify_all();
        self.after_write();
    }

    /// Runs a job on shard `to`: inline when it is this one, else as a hop.
    pub async fn run_on(self: &Rc<Self>, to: usize, job: Job) -> Answer {
        if to == self.id {
            let answer = job(self.clone()).await;
            self.after_write();
            answer
        } else {
            self.mesh
                .call(to, |from, id| Hop::Run { from, id, job })
                .await
        }
    }

    /// Runs a job on every shard at once and returns the answers in shard order.
    pub async fn run_on_all(self: &Rc<Self>, make: impl Fn() -> Job) -> Vec<Answer> {
        let tasks: Vec<_> = (0..self.nshards)
            .map(|to| {
                let node = self.clone();
                let job = make();
                glommio::spawn_local(async move { node.run_on(to, job).await })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await);
        }
        out
    }

    /// Runs a batch of a connection's commands on this shard and encodes the replies.
    pub async fn run_batch(&self, batch: Batch) -> Answer {
        let mut out = BytesMut::new();
        let mut ends = Vec::with_capacity(batch.calls.len());
        for call in &batch.calls {
            self.run_local(call.cmd, batch.db, &call.args, None)
                .await
                .encode(&mut out, batch.resp);
            ends.push(out.len() as u32);
        }
        Answer::Encoded {
            bytes: out.freeze(),
            ends,
        }
    }

    /// Serves one incoming channel of the mesh until its sender goes away. Never waits on a
    /// lock itself: work that may wait runs in a task of its own, so a lock release queued
    /// behind it on the same channel is still seen.
    pub async fn serve_hops(self: Rc<Self>, rx: ConnectedReceiver<Hop>) {
        while let Some(hop) = rx.recv().await {
            match hop {
                Hop::Batch { from, id, batch } => {
                    let node = self.clone();
                    glommio::spawn_local(async move {
                        let answer = node.run_batch(batch).await;
                        node.after_write();
                        node.mesh.reply(from, id, answer);
                    })
                    .detach();
                }
                Hop::Run { from, id, job } => {
                    let node = self.clone();
                    glommio::spawn_local(async move {
                        let answer = job(node.clone()).await;
                        node.after_write();
                        node.mesh.reply(from, id, answer);
                    })
                    .detach();
                }
                Hop::Reply { id, answer } => self.mesh.complete(id, answer),
                Hop::Release { tx } => self.release(tx),
                Hop::Blocking(work) => work(&self),
                Hop::Deliver(deliveries) => self.deliver_here(deliveries),
                Hop::Served {
                    client,
                    waiter,
                    reply,
                } => self.serve_here(client, waiter, reply),
                Hop::Unpark { waiter } => self.shard.borrow_mut().waiters.remove(waiter),
            }
        }
    }

    /// After commands ran on this shard: serves clients blocked on keys they wrote (unless
    /// a transaction still holds keys here: its release comes back here), then sends the
    /// answers and what was published to the clients' threads. Cheap when there is none.
    pub fn after_write(&self) {
        self.serve_waiters();
        let served = std::mem::take(&mut self.shard.borrow_mut().waiters.served);
        for s in served {
            if s.client.thread == self.id {
                self.serve_here(s.client.client, s.waiter, s.reply);
            } else {
                self.mesh.post_in_order(
                    s.client.thread,
                    Hop::Served {
                        client: s.client.client,
                        waiter: s.waiter,
                        reply: s.reply,
                    },
                );
            }
        }
        let published = {
            let mut shard = self.shard.borrow_mut();
            shard.publish_notifications();
            shard.pubsub.has_outbox()
        };
        if published {
            // Sent once this task yields, together with what other connections of this
            // thread publish meanwhile: one hop per subscriber thread for all of them.
            self.to_send.notify_all();
        }
    }

    /// Once the task that published or delivered yields: sends what this thread's commands
    /// published (one hop per subscriber thread for every connection's publishes together),
    /// then writes each connection of this thread its queued messages in one write, as Redis
    /// writes once per event-loop pass.
    pub async fn send_loop(self: Rc<Self>) {
        loop {
            self.to_send.notified().await;
            self.flush_outbox();
            let touched = std::mem::take(&mut *self.unflushed.borrow_mut());
            for mailbox in touched {
                mailbox.flush();
            }
        }
    }

    /// Serves the clients blocked on keys written since the last pass; their answers wait
    /// for `after_write`.
    pub fn serve_waiters(&self) {
        let mut shard = self.shard.borrow_mut();
        if shard.waiters.has_ready() && shard.serve_ready(now_ms()) {
            // A waiter was being served by another shard at that moment; look again soon.
            self.serve_again.notify_all();
        }
    }

    /// Looks again at keys whose waiters were busy being served elsewhere.
    pub async fn serve_again_loop(self: Rc<Self>) {
        loop {
            self.serve_again.notified().await;
            glommio::timer::sleep(std::time::Duration::from_micros(100)).await;
            self.after_write();
        }
    }

    fn serve_here(&self, client: u64, waiter: u64, reply: Reply) {
        if let Some(mailbox) = self.clients.borrow().mailbox(client) {
            mailbox.serve(waiter, reply);
        }
    }

    /// Sends what this shard's commands published (and the keyspace events they caused) to
    /// the subscribers' threads now.
    pub fn flush_outbox(&self) {
        let deliveries = {
            let mut shard = self.shard.borrow_mut();
            shard.publish_notifications();
            if !shard.pubsub.has_outbox() {
                return;
            }
            shard.pubsub.take_outbox()
        };
        let mut remote: Vec<Vec<Delivery>> = Vec::new();
        let mut here = Vec::new();
        for d in deliveries {
            if d.thread == self.id {
                here.push(d);
            } else if d.thread < self.nshards {
                if remote.is_empty() {
                    remote.resize_with(self.nshards, Vec::new);
                }
                remote[d.thread].push(d);
            }
        }
        for (to, batch) in remote.into_iter().enumerate() {
            if !batch.is_empty() {
                self.mesh.post_in_order(to, Hop::Deliver(batch));
            }
        }
        if !here.is_empty() {
            self.deliver_here(here);
        }
    }

    /// Queues messages for connections of this thread (ones gone since are skipped), then
    /// sends each connection its share in one write.
    fn deliver_here(&self, deliveries: Vec<Delivery>) {
        let limit = self.pubsub_limit();
        let registry = self.clients.borrow();
        let mut touched: Vec<Rc<Mailbox>> = Vec::new();
        for d in deliveries {
            let encoded = Encoded::new(d.message.reply());
            for &id in &d.clients {
                if let Some(mailbox) = registry.mailbox(id) {
                    if mailbox.push(&encoded, limit) {
                        touched.push(mailbox);
                    }
                }
            }
        }
        drop(registry);
        if !touched.is_empty() {
            self.unflushed.borrow_mut().extend(touched);
            self.to_send.notify_all();
        }
    }

    fn pubsub_limit(&self) -> OutputLimit {
        let config = &self.shared.config;
        let (seen, limit) = self.pubsub_limit.get();
        if seen == config.version() {
            return limit;
        }
        let limit = config.with(|c| c.client_output_buffer_limit[2]);
        self.pubsub_limit.set((config.version(), limit));
        limit
    }
}
