//! Keyspace notifications (Redis's notify.c): the classes `notify-keyspace-events` enables,
//! and the events a shard raises on its keys until the server publishes them.
//!
//! Commands raise their events with `Ctx::notify` at the points Redis calls
//! `notifyKeyspaceEvent`; the keyspace itself records `expired` (lazy and active expiry), `new`
//! (a key created) and `keymiss` (a read lookup finding nothing), which join the queue in
//! order the next time an event is raised or taken. The server takes the queue with
//! `Shard::take_notifications` after anything ran on the shard (commands, jobs, the expiry
//! cycle) and publishes it from there. A scratch shard, which runs a command on keys brought
//! from other shards, hands its events back with `Shard::take_events`, and each owner queues
//! its keys' events with `Shard::push_events`.

use std::fmt;
use std::ops::BitOr;

use bytes::{BufMut, Bytes, BytesMut};

/// `notify-keyspace-events` classes as the bit set Redis uses (same bit values as Redis's
/// `NOTIFY_*`), so emitters can test a class with one AND.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyspaceEvents(u32);

impl KeyspaceEvents {
    pub const NONE: Self = Self(0);
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: Self = Self(1 << 0);
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: Self = Self(1 << 1);
    pub const GENERIC: Self = Self(1 << 2);
    pub const STRING: Self = Self(1 << 3);
    pub const LIST: Self = Self(1 << 4);
    pub const SET: Self = Self(1 << 5);
    pub const HASH: Self = Self(1 << 6);
    pub const ZSET: Self = Self(1 << 7);
    pub const EXPIRED: Self = Self(1 << 8);
    pub const EVICTED: Self = Self(1 << 9);
    pub const STREAM: Self = Self(1 << 10);
    /// `m`: deliberately not part of `A`, as in Redis.
    pub const KEY_MISS: Self = Self(1 << 11);
    pub const MODULE: Self = Self(1 << 13);
    /// `n`: deliberately not part of `A`, as in Redis.
    pub const NEW: Self = Self(1 << 14);
    /// `A`: `g$lshzxetd`.
    pub const ALL: Self = Self(
        Self::GENERIC.0
            | Self::STRING.0
            | Self::LIST.0
            | Self::SET.0
            | Self::HASH.0
            | Self::ZSET.0
            | Self::EXPIRED.0
            | Self::EVICTED.0
            | Self::STREAM.0
            | Self::MODULE.0,
    );

    /// True when every class in `other` is enabled.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when at least one class in `other` is enabled.
    pub fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Redis's `keyspaceEventsStringToFlags`; `None` on an unknown class character.
    pub fn parse(classes: &[u8]) -> Option<Self> {
        let mut bits = 0;
        for &c in classes {
            bits |= match c {
                b'A' => Self::ALL.0,
                b'g' => Self::GENERIC.0,
                b'$' => Self::STRING.0,
                b'l' => Self::LIST.0,
                b's' => Self::SET.0,
                b'h' => Self::HASH.0,
                b'z' => Self::ZSET.0,
                b'x' => Self::EXPIRED.0,
                b'e' => Self::EVICTED.0,
                b'K' => Self::KEYSPACE.0,
                b'E' => Self::KEYEVENT.0,
                b't' => Self::STREAM.0,
                b'm' => Self::KEY_MISS.0,
                b'd' => Self::MODULE.0,
                b'n' => Self::NEW.0,
                _ => return None,
            };
        }
        Some(Self(bits))
    }
}

/// Redis's `keyspaceEventsFlagsToString`, so CONFIG GET shows `AKE` for `KEA`. Like Redis it
/// prints `A` alone when all of `A` is set, which hides an `n` set alongside it.
impl fmt::Display for KeyspaceEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        if self.contains(Self::ALL) {
            out.push('A');
        } else {
            for (flag, c) in [
                (Self::GENERIC, 'g'),
                (Self::STRING, '$'),
                (Self::LIST, 'l'),
                (Self::SET, 's'),
                (Self::HASH, 'h'),
                (Self::ZSET, 'z'),
                (Self::EXPIRED, 'x'),
                (Self::EVICTED, 'e'),
                (Self::STREAM, 't'),
                (Self::MODULE, 'd'),
                (Self::NEW, 'n'),
            ] {
                if self.intersects(flag) {
                    out.push(c);
                }
            }
        }
        for (flag, c) in [
            (Self::KEYSPACE, 'K'),
            (Self::KEYEVENT, 'E'),
            (Self::KEY_MISS, 'm'),
        ] {
            if self.intersects(flag) {
                out.push(c);
            }
        }
        f.write_str(&out)
    }
}

impl BitOr for KeyspaceEvents {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// A message for the server to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub channel: Bytes,
    pub message: Bytes,
}

/// An event raised on a key and not yet published. It keeps its key rather than its channels,
/// so that an event raised on a scratch shard can be handed to the shard owning the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub db: usize,
    pub event: &'static str,
    pub key: Bytes,
}

impl KeyEvent {
    /// Redis's `notifyKeyspaceEvent`: the keyspace message (K) then the keyevent one (E).
    fn publish(&self, flags: KeyspaceEvents, out: &mut Vec<Notification>) {
        let event = Bytes::from_static(self.event.as_bytes());
        if flags.intersects(KeyspaceEvents::KEYSPACE) {
            out.push(Notification {
                channel: channel("__keyspace@", self.db, &self.key),
                message: event.clone(),
            });
        }
        if flags.intersects(KeyspaceEvents::KEYEVENT) {
            out.push(Notification {
                channel: channel("__keyevent@", self.db, &event),
                message: self.key.clone(),
            });
        }
    }
}

/// `<prefix><db>__:<name>`.
fn channel(prefix: &str, db: usize, name: &[u8]) -> Bytes {
    let db = db.to_string();
    let mut out = BytesMut::with_capacity(prefix.len() + db.len() + 3 + name.len());
    out.put_slice(prefix.as_bytes());
    out.put_slice(db.as_bytes());
    out.put_slice(b"__:");
    out.put_slice(name);
    out.freeze()
}

/// A shard's notification settings and the events it raised since the server last took them.
#[derive(Debug, Default)]
pub struct Notifier {
    flags: KeyspaceEvents,
    /// The enabled classes when K or E is on, else none: raising an event of a disabled class
    /// costs one test of this.
    active: u32,
    pending: Vec<KeyEvent>,
}

impl Notifier {
    pub fn flags(&self) -> KeyspaceEvents {
        self.flags
    }

    pub fn set_flags(&mut self, flags: KeyspaceEvents) {
        self.flags = flags;
        let channels = KeyspaceEvents::KEYSPACE.0 | KeyspaceEvents::KEYEVENT.0;
        self.active = if flags.0 & channels != 0 {
            flags.0 & !channels
        } else {
            0
        };
    }

    /// Whether an event of `class` is published.
    pub fn enabled(&self, class: KeyspaceEvents) -> bool {
        self.active & class.0 != 0
    }

    /// Whether any class is published.
    pub fn any_enabled(&self) -> bool {
        self.active != 0
    }

    pub fn push(&mut self, event: KeyEvent) {
        self.pending.push(event);
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn truncate(&mut self, len: usize) {
        self.pending.truncate(len);
    }

    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        std::mem::take(&mut self.pending)
    }

    /// The pending events as the messages to publish, in the order they were raised.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        let mut out = Vec::with_capacity(self.pending.len() * 2);
        for event in self.pending.drain(..) {
            event.publish(self.flags, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests;
