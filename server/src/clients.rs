//! Connected clients of one shard thread, for CLIENT LIST/INFO and INFO clients.

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use bytes::Bytes;
use ferrokv_protocol::RespVersion;
use ferrokv_shard::watch::{self, WatchToken};

use crate::mailbox::Mailbox;
use hashbrown::HashMap;

/// What CLIENT LIST shows of a connection. The connection task updates it between commands and
/// never holds a borrow across an await.
pub struct ClientInfo {
    pub id: u64,
    pub addr: Option<SocketAddr>,
    pub laddr: Option<SocketAddr>,
    pub fd: i32,
    pub name: Option<Bytes>,
    pub db: usize,
    pub resp: RespVersion,
    pub created: Instant,
    pub last_interaction: Instant,
    pub last_cmd: Cow<'static, str>,
    /// Commands queued since MULTI, while in MULTI (`flags=x`, `multi=`).
    pub multi: Option<usize>,
    /// The WATCH session, whose touch shows as `flags=d`.
    pub watch: Option<WatchToken>,
    /// Channels, patterns and shard channels subscribed (`sub=`, `psub=`, `ssub=`, `flags=P`).
    pub subscriptions: [usize; 3],
    /// Waiting in a blocking command (`flags=b`, INFO blocked_clients).
    pub blocked: bool,
    pub mailbox: Rc<Mailbox>,
}

pub type ClientRef = Rc<RefCell<ClientInfo>>;

#[derive(Default)]
pub struct ClientRegistry {
    clients: HashMap<u64, ClientRef>,
}

impl ClientRegistry {
    pub fn add(&mut self, c: ClientRef) {
        let id = c.borrow().id;
        self.clients.insert(id, c);
    }

    pub fn remove(&mut self, id: u64) {
        self.clients.remove(&id);
    }

    pub fn mailbox(&self, id: u64) -> Option<Rc<Mailbox>> {
        self.clients.get(&id).map(|c| c.borrow().mailbox.clone())
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn lines(&self) -> Vec<(u64, String)> {
        self.clients
            .values()
            .map(|c| {
                let c = c.borrow();
                (c.id, c.list_line())
            })
            .collect()
    }
}

fn addr_str(a: Option<SocketAddr>) -> String {
    a.map(|a| a.to_string()).unwrap_or_default()
}

impl ClientInfo {
    /// One line of CLIENT LIST, with Redis 7.0's fields in Redis's order.
    pub fn list_line(&self) -> String {
        let now = Instant::now();
        let resp = match self.resp {
            RespVersion::Resp2 => 2,
            RespVersion::Resp3 => 3,
        };
        let name = self
            .name
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let mut flags = String::new();
        if self.subscriptions.iter().any(|&n| n > 0) {
            flags.push('P');
        }
        if self.multi.is_some() {
            flags.push('x');
        }
        if self.blocked {
            flags.push('b');
        }
        if self.watch.as_ref().is_some_and(watch::is_touched) {
            flags.push('d');
        }
        if flags.is_empty() {
            flags.push('N');
        }
        format!(
            "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={}",
            self.id,
            addr_str(self.addr),
            addr_str(self.laddr),
            self.fd,
            name,
            now.duration_since(self.created).as_secs(),
            now.duration_since(self.last_interaction).as_secs(),
            flags,
            self.db,
            self.subscriptions[0],
            self.subscriptions[1],
            self.subscriptions[2],
            self.multi.map_or(-1, |n| n as i64),
            self.last_cmd,
            resp,
        )
    }
}
