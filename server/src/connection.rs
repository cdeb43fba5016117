//! One client connection: read, parse every complete command, run them, write the replies.

use std::cell::RefCell;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Limits, Reply, RequestParser, RespVersion};
use ferrokv_shard::watch::WatchToken;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;

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
    let mailbox = Rc::new(Mailbox::new(RespVersion::Resp2));
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
        let event = futures_lite::future::or(
            async { Event::Read(stream.read(&mut chunk).await) },
            async {
                client.mailbox.ready().await;
                Event::Mail
            },
        )
        .await;
        let n = match event {
            Event::Mail => 0,
            Event::Read(Ok(0)) => break,
            // `timeout` does not apply to subscribers, as in Redis.
            Event::Read(Err(e)) if e.kind() == ErrorKind::TimedOut && client.subs.any() => continue,
            Event::Read(Err(_)) => break,
            Event::Read(Ok(n)) => n,
        };
        let mut protocol_error = None;
        if n > 0 {
            node.net_input.set(node.net_input.get() + n as u64);
            input.extend_from_slice(&chunk[..n]);
            if let Some(missing) = parser.bulk_bytes_missing(input.len()) {
                // A large bulk is arriving: make room for all of it at once, not read by read.
                input.reserve(missing);
            }
            node.busy_connections.set(node.busy_connections.get() + 1);
            let mut requests = Vec::new();
            // Before AUTH, Redis accepts only small requests: an unauthenticated client cannot
            // make the server buffer much.
            parser.set_auth_required(!client.authenticated);
            loop {
                match parser.parse(&mut input) {
                    Ok(Some(args)) => requests.push(args),
                    Ok(None) => break,
                    Err(e) => {
                        protocol_error = Some(e);
                        break;
                    }
                }
            }
            dispatch::run_pipeline(&node, &mut client, requests, &mut out).await;
            node.flush_outbox();
            if let Some(e) = &protocol_error {
                Reply::error(format!("ERR {e}")).encode(&mut out, client.resp);
            }
            node.busy_connections.set(node.busy_connections.get() - 1);
        }
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
    crate::pubsub::unsubscribe_all(&node, &mut client).await;
    crate::commands::unwatch_all(&node, &mut client).await;
    node.clients.borrow_mut().remove(id);
    node.shared
        .connected_clients
        .fetch_sub(1, Ordering::Relaxed);
}
