//! What reaches a connection between its own requests: pub/sub messages, and the answer to a
//! blocking command served by another shard. Filled by its thread's hop loop, drained by the
//! connection's task, which waits on it together with its socket.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Reply, RespVersion};

use crate::blocking::Unblock;
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
    /// The connection's socket, and whether its task is idle (waiting for input or mail, with
    /// nothing of its own being written): then a message goes straight to the socket, as
    /// Redis writes it, and only what the socket does not take waits here.
    fd: RawFd,
    idle: Cell<bool>,
    /// The blocking command this connection waits in (its waiter id), and how it ended.
    blocked_on: Cell<Option<u64>>,
    ended: RefCell<Option<Unblock>>,
}

impl Mailbox {
    pub fn new(resp: RespVersion, fd: RawFd) -> Self {
        Mailbox {
            fd,
            idle: Cell::new(false),
            out: RefCell::new(BytesMut::new()),
            resp: Cell::new(resp),
            waker: Cell::new(None),
            overflowed: Cell::new(false),
            soft_since: Cell::new(None),
            blocked_on: Cell::new(None),
            ended: RefCell::new(None),
        }
    }

    /// The connection starts waiting in blocking command `waiter`.
    pub fn block(&self, waiter: u64) {
        self.blocked_on.set(Some(waiter));
        *self.ended.borrow_mut() = None;
    }

    /// A shard served the blocking command.
    pub fn serve(&self, waiter: u64, reply: Reply) {
        if self.blocked_on.get() == Some(waiter) {
            *self.ended.borrow_mut() = Some(Unblock::Served(reply));
            self.wake();
        }
    }

    /// CLIENT UNBLOCK: true when the connection was blocked.
    pub fn unblock(&self, how: Unblock) -> bool {
        if self.blocked_on.get().is_none() {
            return false;
        }
        let mut ended = self.ended.borrow_mut();
        if ended.is_none() {
            *ended = Some(how);
        }
        drop(ended);
        self.wake();
        true
    }

    /// Completes with how the blocking command ended (served, or CLIENT UNBLOCK).
    pub async fn ended(&self) -> Unblock {
        std::future::poll_fn(|cx| {
            if let Some(how) = self.ended.borrow_mut().take() {
                self.blocked_on.set(None);
                return Poll::Ready(how);
            }
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await
    }

    /// The wait is over (timed out, or the client left).
    pub fn stop_blocking(&self) {
        self.blocked_on.set(None);
        *self.ended.borrow_mut() = None;
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
        let bytes = message.for_resp(self.resp.get());
        let pending = {
            let mut out = self.out.borrow_mut();
            let sent = if self.idle.get() && out.is_empty() {
                send_now(self.fd, bytes)
            } else {
                0
            };
            if sent == bytes.len() {
                return;
            }
            out.extend_from_slice(&bytes[sent..]);
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

    /// The connection's task waits for input or mail (true) or works (false).
    pub fn set_idle(&self, idle: bool) {
        self.idle.set(idle);
    }

    /// Completes when there is something to write, or the client must be closed.
    pub fn ready(&self) -> Ready<'_> {
        Ready { mailbox: self }
    }
}

/// Writes what the socket takes at once, without waiting; 0 on any error (the connection's
/// task then meets the error itself).
fn send_now(fd: RawFd, bytes: &[u8]) -> usize {
    // SAFETY: `bytes` is a valid buffer for its length; `fd` is the connection's socket,
    // open while its mailbox is registered (the task closes it only after leaving the
    // registry).
    let n = unsafe {
        libc::send(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    usize::try_from(n).unwrap_or(0)
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
