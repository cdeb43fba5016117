//! What reaches a connection between its own requests: pub/sub messages, and the answer to a
//! blocking command served by another shard. Filled by its thread's hop loop, drained by the
//! connection's task, which waits on it together with its socket.

use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Reply, RespVersion};

use crate::blocking::Unblock;
use crate::config::OutputLimit;

/// A reply encoded at most once for each protocol, for sending to many clients.
pub struct Encoded {
    reply: Reply,
    resp2: OnceCell<Bytes>,
    resp3: OnceCell<Bytes>,
}

impl Encoded {
    pub fn new(reply: Reply) -> Self {
        Encoded {
            reply,
            resp2: OnceCell::new(),
            resp3: OnceCell::new(),
        }
    }

    pub fn for_resp(&self, resp: RespVersion) -> &[u8] {
        let cell = match resp {
            RespVersion::Resp2 => &self.resp2,
            RespVersion::Resp3 => &self.resp3,
        };
        cell.get_or_init(|| {
            let mut buf = BytesMut::new();
            self.reply.encode(&mut buf, resp);
            buf.freeze()
        })
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
    /// nothing of its own being written): then `flush` writes messages straight to the
    /// socket, as Redis writes them, and only what the socket does not take waits here.
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

    /// Queues a message (`flush` sends it), closing the client instead when `limit` is
    /// passed, as Redis's `client-output-buffer-limit` does. True when nothing was pending
    /// before: the caller then owes it a `flush`.
    pub fn push(&self, message: &Encoded, limit: OutputLimit) -> bool {
        if self.overflowed.get() {
            return false;
        }
        let (first, pending) = {
            let mut out = self.out.borrow_mut();
            let first = out.is_empty();
            out.extend_from_slice(message.for_resp(self.resp.get()));
            (first, out.len() as u64)
        };
        if limit.hard > 0 && pending > limit.hard {
            self.overflow();
            self.wake();
        } else if limit.soft > 0 && pending > limit.soft {
            match self.soft_since.get() {
                None => self.soft_since.set(Some(Instant::now())),
                Some(since) if since.elapsed().as_secs() >= limit.soft_seconds => {
                    self.overflow();
                    self.wake();
                }
                Some(_) => {}
            }
        } else {
            self.soft_since.set(None);
        }
        first
    }

    /// After a batch of messages: an idle connection gets them written now, in one write;
    /// a busy one (or what the socket did not take) is left to the connection's task.
    pub fn flush(&self) {
        if self.idle.get() && !self.overflowed.get() {
            let mut out = self.out.borrow_mut();
            if out.is_empty() {
                return;
            }
            let sent = send_now(self.fd, &out);
            if sent == out.len() {
                // Cleared, not split: the buffer keeps its allocation for the next batch.
                out.clear();
                return;
            }
            bytes::Buf::advance(&mut *out, sent);
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
