//! One shard's copy of the pub/sub registry, and PUBLISH/SPUBLISH.
//!
//! Every shard keeps every channel and pattern subscription, so PUBLISH runs on the
//! publisher's own thread without a hop (and inside any script), and keyspace notifications
//! leave from the shard owning the key. Messages of one publisher leave one thread, in
//! order, over the per-pair FIFO channels. Shard channels (SSUBSCRIBE) are kept only by the
//! shard owning their slot, where SPUBLISH, routed like a key, runs.
//!
//! Subscribers are opaque (thread, client) pairs: the server turns the outbox into messages
//! for the connections of each thread.

use bytes::Bytes;
use ferrokv_protocol::Reply;
use hashbrown::HashMap;

use crate::command::{flag::*, spec};
use crate::error::CmdResult;
use crate::glob;
use crate::{CommandSpec, Ctx, Split};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Subscriber {
    pub thread: usize,
    pub client: u64,
}

/// Which namespace a subscription lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubKind {
    /// SUBSCRIBE / PUBLISH.
    Channel,
    /// PSUBSCRIBE: glob patterns over channel names.
    Pattern,
    /// SSUBSCRIBE / SPUBLISH.
    ShardChannel,
}

impl SubKind {
    pub const ALL: [SubKind; 3] = [SubKind::Channel, SubKind::Pattern, SubKind::ShardChannel];

    /// Where this kind sits in a per-kind array.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// What a subscriber receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Message {
        channel: Bytes,
        payload: Bytes,
    },
    PMessage {
        pattern: Bytes,
        channel: Bytes,
        payload: Bytes,
    },
    SMessage {
        channel: Bytes,
        payload: Bytes,
    },
}

impl Message {
    /// The push frame (an array in RESP2) a subscriber is sent.
    pub fn reply(&self) -> Reply {
        let b = |s: &'static str| Reply::Bulk(Bytes::from_static(s.as_bytes()));
        match self {
            Message::Message { channel, payload } => Reply::Push(vec![
                b("message"),
                Reply::Bulk(channel.clone()),
                Reply::Bulk(payload.clone()),
            ]),
            Message::PMessage {
                pattern,
                channel,
                payload,
            } => Reply::Push(vec![
                b("pmessage"),
                Reply::Bulk(pattern.clone()),
                Reply::Bulk(channel.clone()),
                Reply::Bulk(payload.clone()),
            ]),
            Message::SMessage { channel, payload } => Reply::Push(vec![
                b("smessage"),
                Reply::Bulk(channel.clone()),
                Reply::Bulk(payload.clone()),
            ]),
        }
    }
}

/// One message for some clients of one thread.
#[derive(Debug)]
pub struct Delivery {
    pub thread: usize,
    pub clients: Vec<u64>,
    pub message: Message,
}

#[derive(Default)]
pub struct PubSub {
    /// Subscribers by name, one table per kind (`SubKind::index`).
    tables: [HashMap<Bytes, Vec<Subscriber>>; 3],
    /// Messages published since the server last took them.
    outbox: Vec<Delivery>,
}

impl PubSub {
    fn table(&self, kind: SubKind) -> &HashMap<Bytes, Vec<Subscriber>> {
        &self.tables[kind.index()]
    }

    /// Adds `sub` to `name`; false when it was already there.
    pub fn subscribe(&mut self, kind: SubKind, name: Bytes, sub: Subscriber) -> bool {
        let subs = self.tables[kind.index()].entry(name).or_default();
        if subs.contains(&sub) {
            return false;
        }
        subs.push(sub);
        true
    }

    /// Removes `sub` from `name`; false when it was not there.
    pub fn unsubscribe(&mut self, kind: SubKind, name: &[u8], sub: Subscriber) -> bool {
        let table = &mut self.tables[kind.index()];
        let Some(subs) = table.get_mut(name) else {
            return false;
        };
        let Some(i) = subs.iter().position(|s| *s == sub) else {
            return false;
        };
        subs.swap_remove(i);
        if subs.is_empty() {
            table.remove(name);
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        self.tables.iter().all(HashMap::is_empty)
    }

    /// Queues `payload` for the subscribers of `channel` and of every matching pattern;
    /// returns how many receive it (a client matching twice counts twice, as in Redis).
    pub fn publish(&mut self, channel: &Bytes, payload: &Bytes) -> usize {
        let mut count = 0;
        if let Some(subs) = self.tables[SubKind::Channel.index()].get(channel) {
            count += subs.len();
            let message = Message::Message {
                channel: channel.clone(),
                payload: payload.clone(),
            };
            queue(&mut self.outbox, subs, message);
        }
        for (pattern, subs) in &self.tables[SubKind::Pattern.index()] {
            if glob::matches(pattern, channel, false) {
                count += subs.len();
                let message = Message::PMessage {
                    pattern: pattern.clone(),
                    channel: channel.clone(),
                    payload: payload.clone(),
                };
                queue(&mut self.outbox, subs, message);
            }
        }
        count
    }

    /// SPUBLISH: shard channels have no patterns.
    pub fn spublish(&mut self, channel: &Bytes, payload: &Bytes) -> usize {
        let Some(subs) = self.tables[SubKind::ShardChannel.index()].get(channel) else {
            return 0;
        };
        let message = Message::SMessage {
            channel: channel.clone(),
            payload: payload.clone(),
        };
        queue(&mut self.outbox, subs, message);
        subs.len()
    }

    pub fn has_outbox(&self) -> bool {
        !self.outbox.is_empty()
    }

    pub fn take_outbox(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.outbox)
    }

    /// Names with subscribers, matching `pattern` when given.
    pub fn names(&self, kind: SubKind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.table(kind)
            .keys()
            .filter(|n| pattern.is_none_or(|p| glob::matches(p, n, false)))
            .cloned()
            .collect()
    }

    /// Distinct patterns subscribed (PUBSUB NUMPAT); every shard holds them all.
    pub fn pattern_count(&self) -> usize {
        self.table(SubKind::Pattern).len()
    }

    /// Subscribers of one channel (PUBSUB NUMSUB).
    pub fn count(&self, kind: SubKind, name: &[u8]) -> usize {
        self.table(kind).get(name).map_or(0, Vec::len)
    }
}

/// Adds one delivery per thread for `subs`.
fn queue(outbox: &mut Vec<Delivery>, subs: &[Subscriber], message: Message) {
    let first = outbox.len();
    for sub in subs {
        match outbox[first..].iter_mut().find(|d| d.thread == sub.thread) {
            Some(d) => d.clients.push(sub.client),
            None => outbox.push(Delivery {
                thread: sub.thread,
                clients: vec![sub.client],
                message: message.clone(),
            }),
        }
    }
}

fn publish(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(
        ctx.shard.pubsub.publish(&args[1], &args[2]) as i64
    ))
}

fn spublish(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(Reply::Int(
        ctx.shard.pubsub.spublish(&args[1], &args[2]) as i64
    ))
}

const PUBSUB_ACL: &[&str] = &["pubsub", "fast"];

pub static COMMANDS: &[CommandSpec] = &[
    spec(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (0, 0, 0),
        PUBSUB_ACL,
        "pubsub",
        "Posts a message to a channel.",
        "2.0.0",
        Some(publish),
        Split::None,
    ),
    spec(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST,
        (1, 1, 1),
        PUBSUB_ACL,
        "pubsub",
        "Post a message to a shard channel",
        "7.0.0",
        Some(spublish),
        Split::None,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(thread: usize, client: u64) -> Subscriber {
        Subscriber { thread, client }
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn publish_counts_channel_and_pattern_receivers_and_groups_by_thread() {
        let mut ps = PubSub::default();
        assert!(ps.subscribe(SubKind::Channel, b("news"), sub(0, 1)));
        assert!(!ps.subscribe(SubKind::Channel, b("news"), sub(0, 1)));
        ps.subscribe(SubKind::Channel, b("news"), sub(0, 2));
        ps.subscribe(SubKind::Channel, b("news"), sub(1, 3));
        ps.subscribe(SubKind::Pattern, b("ne*"), sub(0, 1));
        ps.subscribe(SubKind::Pattern, b("x*"), sub(0, 1));
        assert_eq!(ps.publish(&b("news"), &b("hi")), 4);
        let out = ps.take_outbox();
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].thread, out[0].clients.clone()), (0, vec![1, 2]));
        assert_eq!((out[1].thread, out[1].clients.clone()), (1, vec![3]));
        assert_eq!(
            out[2].message,
            Message::PMessage {
                pattern: b("ne*"),
                channel: b("news"),
                payload: b("hi")
            }
        );
        assert!(!ps.has_outbox());
        assert_eq!(ps.publish(&b("other"), &b("x")), 0);
    }

    #[test]
    fn unsubscribe_forgets_empty_names() {
        let mut ps = PubSub::default();
        ps.subscribe(SubKind::ShardChannel, b("s"), sub(0, 1));
        assert!(!ps.unsubscribe(SubKind::ShardChannel, b"s", sub(0, 2)));
        assert!(ps.unsubscribe(SubKind::ShardChannel, b"s", sub(0, 1)));
        assert!(ps.is_empty());
        assert_eq!(ps.spublish(&b("s"), &b("m")), 0);
        assert_eq!(ps.count(SubKind::ShardChannel, b"s"), 0);
    }

    #[test]
    fn names_match_an_optional_pattern() {
        let mut ps = PubSub::default();
        ps.subscribe(SubKind::Channel, b("__keyspace@0__:k"), sub(0, 1));
        ps.subscribe(SubKind::Channel, b("plain"), sub(0, 1));
        let mut all = ps.names(SubKind::Channel, None);
        all.sort();
        assert_eq!(all, vec![b("__keyspace@0__:k"), b("plain")]);
        assert_eq!(ps.names(SubKind::Channel, Some(b"p*")), vec![b("plain")]);
        assert!(ps.names(SubKind::ShardChannel, None).is_empty());
    }
}
