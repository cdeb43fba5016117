//! Hops: messages between shard threads over the SPSC channel mesh.
//!
//! Every ordered pair of threads has its own bounded glommio shared channel, so messages from
//! one thread to another arrive in the order they were sent: a lock release sent before a
//! connection's next command is processed before it.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};
use ferrokv_shard::pubsub::Delivery;
use ferrokv_shard::txlock::TxId;
use futures_channel::oneshot;
use futures_lite::future::BoxedLocal;
use glommio::channels::shared_channel::{
    ConnectedReceiver, ConnectedSender, SharedReceiver, SharedSender,
};
use glommio::{GlommioError, ResourceType};
use hashbrown::HashMap;

use crate::node::Node;
use crate::table::Command;

/// Capacity of each channel of the mesh. Senders wait when it is full; replies never do
/// (see `Mesh::reply`).
pub const CHANNEL_CAPACITY: usize = 1024;

/// Work shipped to another shard: built on the sender, run on the owner, where it may wait
/// (for locks) before answering.
pub type Job = Box<dyn FnOnce(Rc<Node>) -> BoxedLocal<Answer> + Send>;

pub enum Answer {
    /// Reply bytes of a batch, encoded by the owner; `ends[i]` is where reply `i` ends.
    Encoded {
        bytes: Bytes,
        ends: Vec<u32>,
    },
    Replies(Vec<Reply>),
    Value(Box<dyn Any + Send>),
}

/// One call of a batch: a command resolved in the table and its arguments.
pub struct Call {
    pub cmd: &'static Command,
    pub args: Vec<Bytes>,
}

/// Consecutive commands of one connection's pipeline bound for one shard.
pub struct Batch {
    pub db: usize,
    pub resp: RespVersion,
    pub calls: Vec<Call>,
}

pub enum Hop {
    Batch {
        from: usize,
        id: u64,
        batch: Batch,
    },
    Run {
        from: usize,
        id: u64,
        job: Job,
    },
    Reply {
        id: u64,
        answer: Answer,
    },
    /// Drop every lock the transaction holds on the receiving shard.
    Release {
        tx: TxId,
    },
    /// Synchronous work whose sender is blocked waiting for it (see `Mesh::call_blocking`):
    /// run at once by the receive loop, answered through the sender's own channel.
    Blocking(Box<dyn FnOnce(&Node) + Send>),
    /// Pub/sub messages for connections of the receiving thread, in publish order.
    Deliver(Vec<Delivery>),
    /// The answer to a blocked client of the receiving thread.
    Served {
        client: u64,
        waiter: u64,
        reply: Reply,
    },
    /// A blocked client no longer waits on the receiving shard.
    Unpark {
        waiter: u64,
    },
}

/// This thread's ends of the mesh.
pub struct Mesh {
    id: usize,
    senders: Vec<Option<ConnectedSender<Hop>>>,
    pending: RefCell<HashMap<u64, oneshot::Sender<Answer>>>,
    next_id: Cell<u64>,
    /// Per destination: hops posted while its channel was full, and whether a task is
    /// sending them (then later posts queue behind them).
    backlog: RefCell<Vec<(VecDeque<Hop>, bool)>>,
}

/// The unconnected channels for one thread, handed to it at start.
pub struct MeshEnds {
    pub senders: Vec<Option<SharedSender<Hop>>>,
    pub receivers: Vec<SharedReceiver<Hop>>,
}

/// Builds the channels between every ordered pair of `n` threads.
pub fn build_mesh(n: usize) -> Vec<MeshEnds> {
    let mut ends: Vec<MeshEnds> = (0..n)
        .map(|_| MeshEnds {
            senders: (0..n).map(|_| None).collect(),
            receivers: Vec::new(),
        })
        .collect();
    for from in 0..n {
        for to in 0..n {
            if from != to {
                let (tx, rx) = glommio::channels::shared_channel::new_bounded(CHANNEL_CAPACITY);
                ends[from].senders[to] = Some(tx);
                ends[to].receivers.push(rx);
            }
        }
    }
    ends
}

impl Mesh {
    /// Connects this thread's ends; every thread must do so concurrently, as a connection
    /// completes only when both sides have joined.
    pub async fn connect(id: usize, ends: MeshEnds) -> (Mesh, Vec<ConnectedReceiver<Hop>>) {
        let senders: Vec<_> = ends
            .senders
            .into_iter()
            .map(|s| {
                glommio::spawn_local(async move {
                    match s {
                        Some(s) => Some(s.connect().await),
                        None => None,
                    }
                })
            })
            .collect();
        let receivers: Vec<_> = ends
            .receivers
            .into_iter()
            .map(|r| glommio::spawn_local(r.connect()))
            .collect();
        let mut connected = Vec::new();
        for s in senders {
            connected.push(s.await);
        }
        let mut rxs = Vec::new();
        for r in receivers {
            rxs.push(r.await);
        }
        let mesh = Mesh {
            id,
            backlog: RefCell::new(
                (0..connected.len())
                    .map(|_| (VecDeque::new(), false))
                    .collect(),
            ),
            senders: connected,
            pending: RefCell::default(),
            next_id: Cell::new(1),
        };
        (mesh, rxs)
    }

    async fn send(&self, to: usize, hop: Hop) {
        let Some(Some(sender)) = self.senders.get(to) else {
            return;
        };
        // A closed peer (shutdown) drops the message; its caller sees the request cancelled.
        let _ = sender.send(hop).await;
    }

    /// Sends a request built by `make` (given its id) and waits for the answer.
    pub async fn call(&self, to: usize, make: impl FnOnce(usize, u64) -> Hop) -> Answer {
        self.request(to, make).await.await
    }

    /// Sends a request and returns the answer to await later, so that several requests can
    /// be in flight at once.
    pub async fn request(
        &self,
        to: usize,
        make: impl FnOnce(usize, u64) -> Hop,
    ) -> impl std::future::Future<Output = Answer> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let (tx, rx) = oneshot::channel();
        self.pending.borrow_mut().insert(id, tx);
        self.send(to, make(self.id, id)).await;
        async move {
            rx.await.unwrap_or_else(|_| {
                Answer::Replies(vec![Reply::error("ERR shard unavailable (shutting down)")])
            })
        }
    }

    /// Runs `f` on shard `to` and blocks this thread until it answers; None if the shard is
    /// gone. Only a script in global mode may do this: it holds every shard, so the owner
    /// never waits on this thread, and no other thread can be blocked on a call at once.
    pub fn call_blocking<T, F>(&self, to: usize, f: F) -> Option<T>
    where
        T: Send + 'static,
        F: FnOnce(&Node) -> T + Send + 'static,
    {
        let sender = self.senders.get(to)?.as_ref()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let mut hop = Hop::Blocking(Box::new(move |node: &Node| {
            let _ = tx.send(f(node));
        }));
        loop {
            match sender.try_send(hop) {
                Ok(()) => break,
                Err(GlommioError::WouldBlock(ResourceType::Channel(back))) => {
                    hop = back;
                    std::thread::yield_now();
                }
                Err(_) => return None,
            }
        }
        rx.recv().ok()
    }

    /// Fire and forget: the per-pair FIFO still orders it before anything sent later.
    pub async fn post(&self, to: usize, hop: Hop) {
        self.send(to, hop).await
    }

    /// Sends without waiting, in order with every other hop posted this way to `to`: when
    /// the channel is full, hops wait in a backlog that a task drains.
    pub fn post_in_order(self: &Rc<Self>, to: usize, hop: Hop) {
        let Some(Some(sender)) = self.senders.get(to) else {
            return;
        };
        let mut backlog = self.backlog.borrow_mut();
        let Some((queue, draining)) = backlog.get_mut(to) else {
            return;
        };
        if *draining {
            queue.push_back(hop);
            return;
        }
        if let Err(GlommioError::WouldBlock(ResourceType::Channel(hop))) = sender.try_send(hop) {
            queue.push_back(hop);
            *draining = true;
            drop(backlog);
            let mesh = self.clone();
            glommio::spawn_local(async move { mesh.drain_backlog(to).await }).detach();
        }
    }

    async fn drain_backlog(&self, to: usize) {
        let Some(Some(sender)) = self.senders.get(to) else {
            return;
        };
        loop {
            let next = {
                let mut backlog = self.backlog.borrow_mut();
                let Some((queue, draining)) = backlog.get_mut(to) else {
                    return;
                };
                let next = queue.pop_front();
                *draining = next.is_some();
                next
            };
            match next {
                Some(hop) => {
                    let _ = sender.send(hop).await;
                }
                None => return,
            }
        }
    }

    /// Answers a request. Never waits in the receive loop: if the channel back is full the
    /// answer is sent from a task of its own, so two threads answering each other cannot
    /// deadlock on full channels.
    pub fn reply(self: &Rc<Self>, to: usize, id: u64, answer: Answer) {
        let Some(Some(sender)) = self.senders.get(to) else {
            return;
        };
        if let Err(GlommioError::WouldBlock(ResourceType::Channel(hop))) =
            sender.try_send(Hop::Reply { id, answer })
        {
            let mesh = self.clone();
            glommio::spawn_local(async move {
                if let Some(Some(sender)) = mesh.senders.get(to) {
                    let _ = sender.send(hop).await;
                }
            })
            .detach();
        }
    }

    pub fn complete(&self, id: u64, answer: Answer) {
        if let Some(tx) = self.pending.borrow_mut().remove(&id) {
            let _ = tx.send(answer);
        }
    }
}

/// Boxes an async closure as a `Job`.
pub fn job<F, Fut>(f: F) -> Job
where
    F: FnOnce(Rc<Node>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Answer> + 'static,
{
    Box::new(move |node| Box::pin(f(node)))
}

/// A job that runs a synchronous closure against the owner's shard and returns a value.
pub fn on_shard<T, F>(f: F) -> Job
where
    T: Send + 'static,
    F: FnOnce(&Node) -> T + Send + 'static,
{
    job(move |node| async move { Answer::Value(Box::new(f(&node))) })
}

impl Answer {
    /// The value of an `on_shard` job.
    pub fn take<T: 'static>(self) -> Option<T> {
        match self {
            Answer::Value(v) => v.downcast::<T>().ok().map(|b| *b),
            _ => None,
        }
    }
}
