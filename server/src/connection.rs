//! One client connection: read, parse every complete command, run them, write the replies.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Limits, ProtocolError, Reply, RequestParser, RespVersion};
use ferrokv_shard::watch::WatchToken;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;

use crate::blocking::{Blocked, Unblock};
use crate::clients::{ClientInfo, ClientRef};
use crate::dispatch;
use crate::mailbox::Mailbox;
use crate::node::Node;
use crate::pubsub::Subscriptions;
use crate::table::Command;

const READ_CHUNK: usize = 16 * 1024;

/// The connection's own state, touched only by its task.
pub struct Client {
    pub id: u64,
    pub db: usize,
    pub resp: RespVersion,
    pub authenticated: bool,
    /// QUIT: reply, then close.
    pub quit: bool,
    /// SHUTDOWN: close without a reply.
    pub close_silently: bool,
    pub info: ClientRef,
    /// Set between MULTI and EXEC/DISCARD.
    pub multi: Option<MultiState>,
    /// Set from the first WATCH to the next UNWATCH/EXEC/DISCARD/RESET.
    pub watch: Option<WatchState>,
    pub subs: Subscriptions,
    /// Where pub/sub messages for this connection arrive (shared with `info`).
    pub mailbox: Rc<Mailbox>,
    /// Set while a blocking command waits; the pipeline's later requests wait in `deferred`.
    pub blocked: Option<Blocked>,
    pub deferred: VecDeque<Vec<Bytes>>,
}

/// The keys a connection watches, registered on their owners under the session's token.
pub struct WatchState {
    pub token: WatchToken,
    /// Owner shard, database and key.
    pub keys: Vec<(usize, usize, Bytes)>,
}

/// Commands queued after MULTI; `dirty` when one was refused (EXEC then aborts).
#[derive(Default)]
pub struct MultiState {
    pub queued: Vec<(&'static Command, Vec<Bytes>)>,
    pub dirty: bool,
}

impl Client {
    /// Shows the transaction state in CLIENT LIST.
    pub fn note_transaction(&self) {
        let mut info = self.info.borrow_mut();
        info.multi = self.multi.as_ref().map(|m| m.queued.len());
        info.watch = self.watch.as_ref().map(|w| w.token.clone());
    }

    /// Whether EXEC will fail: a command was refused while queueing, or a watched key touched.
    pub fn transaction_doomed(&self) -> bool {
        self.multi.as_ref().is_some_and(|m| m.dirty)
            || self
                .watch
                .as_ref()
                .is_some_and(|w| ferrokv_shard::watch::is_touched(&w.token))
    }
}

/// Waits for the client's blocking command to end, keeping an eye on the socket (bytes that
/// arrive are kept in `input`; a closed connection gives up the wait), then puts its reply in
/// `out` and runs the requests that followed it in its pipeline. None when the client left.
async fn end_block(
    node: &Rc<Node>,
    client: &mut Client,
    stream: &mut TcpStream,
    chunk: &mut [u8],
    input: &mut BytesMut,
    out: &mut BytesMut,
) -> Option<()> {
    let blocked = client.blocked.take()?;
    client.info.borrow_mut().blocked = true;
    node.shared.blocked_clients.fetch_add(1, Ordering::Relaxed);
    let ended = wait_blocked(client, &blocked, stream, chunk, input).await;
    client.mailbox.stop_blocking();
    client.info.borrow_mut().blocked = false;
    node.shared.blocked_clients.fetch_sub(1, Ordering::Relaxed);
    crate::blocking::forget(node, blocked.id, &blocked.shards);
    let reply = match ended? {
        Unblock::Served(reply) => match &blocked.forward {
            Some(forward) => {
                crate::blocking::forward_element(node, client.db, forward, reply).await
            }
            None => reply,
        },
        Unblock::TimedOut => Reply::NullArray,
        Unblock::Error => Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
    };
    reply.encode(out, client.resp);
    let deferred = std::mem::take(&mut client.deferred);
    dispatch::run_pipeline(node, client, deferred, out).await;
    Some(())
}

/// How one wait ended; None when the client left.
async fn wait_blocked(
    client: &Client,
    blocked: &Blocked,
    stream: &mut TcpStream,
    chunk: &mut [u8],
    input: &mut BytesMut,
) -> Option<Unblock> {
    enum Wake {
        Read(std::io::Result<usize>),
        Ended(Unblock),
        Deadline,
    }
    let deadline = blocked.deadline_ms;
    loop {
        let wake = futures_lite::future::or(
            async { Wake::Ended(client.mailbox.ended().await) },
            futures_lite::future::or(
                async {
                    match deadline {
                        Some(d) => {
                            let left = d.saturating_sub(crate::node::now_ms());
                            glommio::timer::sleep(Duration::from_millis(left)).await;
                            Wake::Deadline
                        }
                        None => std::future::pending().await,
                    }
                },
                async { Wake::Read(stream.read(chunk).await) },
            ),
        )
        .await;
        match wake {
            Wake::Read(Ok(n)) if n > 0 => input.extend_from_slice(&chunk[..n]),
            // `timeout` does not apply to blocked clients, as in Redis.
            Wake::Read(Err(e)) if e.kind() == ErrorKind::TimedOut => {}
            Wake::Read(_) => {
                if !blocked.claim.give_up() {
                    // A shard served it as it left: the element goes nowhere, as in Redis.
                    client.mailbox.ended().await;
                }
                return None;
            }
            Wake::Deadline if deadline.is_some_and(|d| crate::node::now_ms() < d) => {}
            Wake::Deadline => {
                if blocked.claim.give_up() {
                    return Some(Unblock::TimedOut);
                }
                return Some(client.mailbox.ended().await);
            }
            Wake::Ended(Unblock::Served(reply)) => return Some(Unblock::Served(reply)),
            Wake::Ended(how) => {
                if blocked.claim.give_up() {
                    return Some(how);
                }
                // Served at the same moment: the answer wins.
            }
        }
    }
}

/// Parses every complete request in `input` and runs them, until one blocks (the rest of
/// `input` then waits for it). A protocol error is answered after the requests before it and
/// returned: the connection closes.
async fn run_input(
    node: &Rc<Node>,
    client: &mut Client,
    parser: &mut RequestParser,
    input: &mut BytesMut,
    out: &mut BytesMut,
) -> Option<ProtocolError> {
    if client.blocked.is_some() || input.is_empty() {
        return None;
    }
    node.busy_connections.set(node.busy_connections.get() + 1);
    let mut requests = VecDeque::new();
    let mut protocol_error = None;
    // Before AUTH, Redis accepts only small requests: an unauthenticated client cannot make
    // the server buffer much.
    parser.set_auth_required(!client.authenticated);
    loop {
        match parser.parse(input) {
            Ok(Some(args)) => requests.push_back(args),
            Ok(None) => break,
            Err(e) => {
                protocol_error = Some(e);
                break;
            }
        }
    }
    dispatch::run_pipeline(node, client, requests, out).await;
    if let Some(e) = &protocol_error {
        Reply::error(format!("ERR {e}")).encode(out, client.resp);
    }
    node.busy_connections.set(node.busy_connections.get() - 1);
    protocol_error
}

enum Event {
    Read(std::io::Result<usize>),
    Mail,
}

pub async fn serve(node: Rc<Node>, mut stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let idle_timeout = node.shared.config.snapshot().timeout;
    if idle_timeout > 0 {
        // `timeout`: an idle client is closed; the read fails when the deadline passes.
        let _ = stream.set_read_timeout(Some(Duration::from_secs(idle_timeout as u64)));
    }
    let id = node.shared.next_client_id();
    let config = node.shared.config.snapshot();
    let authenticated = config.requirepass.is_none();
    let now = Instant::now();
    let mailbox = Rc::new(Mailbox::new(RespVersion::Resp2, stream.as_raw_fd()));
    let info = Rc::new(RefCell::new(ClientInfo {
        id,
        addr: stream.peer_addr().ok(),
        laddr: stream.local_addr().ok(),
        fd: stream.as_raw_fd(),
        name: None,
        db: 0,
        resp: RespVersion::Resp2,
        created: now,
        last_interaction: now,
        last_cmd: "NULL".into(),
        multi: None,
        watch: None,
        subscriptions: [0; 3],
        blocked: false,
        mailbox: mailbox.clone(),
    }));
    node.clients.borrow_mut().add(info.clone());
    let mut client = Client {
        id,
        db: 0,
        resp: RespVersion::Resp2,
        authenticated,
        quit: false,
        close_silently: false,
        info,
        multi: None,
        watch: None,
        subs: Subscriptions::default(),
        mailbox,
        blocked: None,
        deferred: VecDeque::new(),
    };
    let limits = Limits {
        max_bulk_len: config.proto_max_bulk_len as usize,
        ..Limits::default()
    };
    let mut parser = RequestParser::new(limits);
    let mut chunk = vec![0u8; READ_CHUNK];
    let mut input = BytesMut::with_capacity(READ_CHUNK);
    let mut out = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let protocol_error = if client.blocked.is_some() {
            if end_block(
                &node,
                &mut client,
                &mut stream,
                &mut chunk,
                &mut input,
                &mut out,
            )
            .await
            .is_none()
            {
                break;
            }
            // Requests that arrived while blocked; one of them may block again.
            run_input(&node, &mut client, &mut parser, &mut input, &mut out).await
        } else {
            client.mailbox.set_idle(true);
            let event = futures_lite::future::or(
                async { Event::Read(stream.read(&mut chunk).await) },
                async {
                    client.mailbox.ready().await;
                    Event::Mail
                },
            )
            .await;
            client.mailbox.set_idle(false);
            match event {
                Event::Mail => None,
                Event::Read(Ok(0)) => break,
                // `timeout` does not apply to subscribers, as in Redis.
                Event::Read(Err(e)) if e.kind() == ErrorKind::TimedOut && client.subs.any() => {
                    continue
                }
                Event::Read(Err(_)) => break,
                Event::Read(Ok(n)) => {
                    node.net_input.set(node.net_input.get() + n as u64);
                    input.extend_from_slice(&chunk[..n]);
                    if let Some(missing) = parser.bulk_bytes_missing(input.len()) {
                        // A large bulk is arriving: make room for all of it at once, not read
                        // by read.
                        input.reserve(missing);
                    }
                    run_input(&node, &mut client, &mut parser, &mut input, &mut out).await
                }
            }
        };
        node.after_write();
        // Messages that arrived while the pipeline ran go after its replies.
        client.mailbox.take_into(&mut out);
        if client.close_silently || client.mailbox.overflowed() {
            out.clear();
        }
        let written = if out.is_empty() {
            Ok(())
        } else {
            // A subscriber that stops reading must not hold the task here forever: its
            // mailbox overflowing closes it.
            futures_lite::future::or(stream.write_all(&out), async {
                client.mailbox.overflow_signal().await;
                Err(ErrorKind::BrokenPipe.into())
            })
            .await
        };
        node.net_output
            .set(node.net_output.get() + out.len() as u64);
        out.clear();
        client.info.borrow_mut().last_interaction = Instant::now();
        if written.is_err()
            || protocol_error.is_some()
            || client.quit
            || client.close_silently
            || client.mailbox.overflowed()
        {
            break;
        }
        if input.is_empty() && input.capacity() > 4 * READ_CHUNK {
            // A large request is done: give its buffer back.
            input = BytesMut::with_capacity(READ_CHUNK);
        }
    }
    // Gone from the registry first: nothing more is queued for it while it unsubscribes. Not
    // idle: a mailbox still waiting for a flush must never write to this socket's number,
    // which a new connection may get once this one is closed.
    client.mailbox.set_idle(false);
    node.clients.borrow_mut().remove(id);
    crate::pubsub::unsubscribe_all(&node, &mut client).await;
    crate::commands::unwatch_all(&node, &mut client).await;
    node.shared
        .connected_clients
        .fetch_sub(1, Ordering::Relaxed);
}
