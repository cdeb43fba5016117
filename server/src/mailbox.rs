//! What reaches a connection between its own requests: pub/sub messages, and the answer to a
//! blocking command served by another shard. Filled by its thread's hop loop, drained by the
//! connection's task, which waits on it together with its socket.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Reply, RespVersion};

use crate::config::OutputLimit;

/// A reply encoded once for each protocol, for sending to many clients.
pub struct Encoded {
    resp2: Bytes,
    resp3: Bytes,
}

impl Encoded {
    pub fn new(reply: &Reply) -> Self {
        let encode = |resp| {
            let mut buf = BytesMut::new();
            reply.encode(&mut buf, resp);
            buf.freeze()
        };
        Encoded {
            resp2: encode(RespVersion::Resp2),
            resp3: encode(RespVersion::Resp3),
        }
    }

    pub fn for_resp(&self, resp: RespVersion) -> &[u8] {
        match resp {
            RespVersion::Resp2 => &self.resp2,
            RespVersion::Resp3 => &self.resp3,
        }
    }
}

pub struct Mailbox {
    /// Encoded messages not yet handed to the socket.
    out: RefCell<BytesMut>,
    resp: Cell<RespVersion>,
    waker: Cell<Option<Waker>>,
    /// Set when the output limit was passed: the connection is closed, nothing more queued.
    overflowed: Cell<bool>,
    /// Since when the pending output has been above the soft limit.
    soft_since: Cell<Option<Instant>>,
}

impl Mailbox {
    pub fn new(resp: RespVersion) -> Self {
        Mailbox {
            out: RefCell::new(BytesMut::new()),
            resp: Cell::new(resp),
            waker: Cell::new(None),
            overflowed: Cell::new(false),
            soft_since: Cell::new(None),
        }
    }

    /// Messages are encoded for the protocol the client speaks when they arrive.
    pub fn set_resp(&self, resp: RespVersion) {
        self.resp.set(resp);
    }

    /// Queues a message encoded in both protocols, closing the client instead when `limit`
    /// is passed, as Redis's `client-output-buffer-limit` does.
    pub fn push(&self, message: &Encoded, limit: OutputLimit) {
        if self.overflowed.get() {
            return;
        }
        let pending = {
            let mut out = self.out.borrow_mut();
            out.extend_from_slice(message.for_resp(self.resp.get()));
            out.len() as u64
        };
        if limit.hard > 0 && pending > limit.hard {
            self.overflow();
        } else if limit.soft > 0 && pending > limit.soft {
            match self.soft_since.get() {
                None => self.soft_since.set(Some(Instant::now())),
                Some(since) if since.elapsed().as_secs() >= limit.soft_seconds => self.overflow(),
                Some(_) => {}
            }
        } else {
            self.soft_since.set(None);
        }
        self.wake();
    }

    fn overflow(&self) {
        self.overflowed.set(true);
        self.out.borrow_mut().clear();
        self.soft_since.set(None);
    }

    fn wake(&self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed.get()
    }

    /// Moves the queued messages to `into`.
    pub fn take_into(&self, into: &mut BytesMut) {
        let mut out = self.out.borrow_mut();
        if !out.is_empty() {
            into.extend_from_slice(&out);
            out.clear();
        }
    }

    /// Completes once the client must be closed for its output.
    pub async fn overflow_signal(&self) {
        std::future::poll_fn(|cx| {
            if self.overflowed.get() {
                return Poll::Ready(());
            }
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await
    }

    /// Completes when there is something to write, or the client must be closed.
    pub fn ready(&self) -> Ready<'_> {
        Ready { mailbox: self }
    }
}

pub struct Ready<'a> {
    mailbox: &'a Mailbox,
}

impl Future for Ready<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let m = self.mailbox;
        if m.overflowed.get() || !m.out.borrow().is_empty() {
            return Poll::Ready(());
        }
        m.waker.set(Some(cx.waker().clone()));
        Poll::Pending
    }
}
