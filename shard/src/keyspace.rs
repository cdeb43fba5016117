//! One logical database: keys, values and TTLs.
//!
//! Keys are spread over a fixed number of segments by the top bits of their hash; each segment
//! is its own open-addressing table. That gives SCAN a cursor that stays valid while tables grow
//! (a segment's position never changes), keeps rehashing pauses small (a segment grows, not the
//! whole keyspace), and lets the expiry cycle skip segments holding no key with a TTL.

use std::hash::BuildHasher;

use bytes::Bytes;
use foldhash::fast::FixedState;
use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use rand::Rng;

use crate::value::Value;

const SEGMENT_BITS: u32 = 10;
pub const SEGMENTS: usize = 1 << SEGMENT_BITS;

/// A key and what it holds. The key is a boxed slice (16 bytes) rather than `Bytes` (32 bytes):
/// keys are the most numerous objects in the server.
#[derive(Debug)]
pub struct Entry {
    key: Box<[u8]>,
    pub value: Value,
    /// Absolute deadline in Unix milliseconds; 0 means no TTL.
    expire_at: u64,
    /// Last access, in seconds of the shard's LRU clock (OBJECT IDLETIME).
    pub access: u32,
}

impl Entry {
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    pub fn expire_at(&self) -> Option<u64> {
        (self.expire_at != 0).then_some(self.expire_at)
    }

    /// The value and deadline, for moving an entry to another keyspace.
    pub fn into_parts(self) -> (Value, Option<u64>) {
        let expire_at = self.expire_at();
        (self.value, expire_at)
    }

    fn is_expired(&self, now_ms: u64) -> bool {
        self.expire_at != 0 && self.expire_at <= now_ms
    }
}

#[derive(Default)]
struct Segment {
    table: HashTable<Entry>,
    /// Keys in this segment that have a TTL; the expiry cycle skips segments where it is 0.
    with_ttl: u32,
}

pub struct Keyspace {
    segments: Vec<Segment>,
    hasher: FixedState,
    len: usize,
    with_ttl: usize,
    expire_cursor: usize,
    /// Keys removed because their TTL passed (INFO expired_keys).
    pub expired: u64,
    log: EventLog,
}

/// The keyspace events raised below the commands: Redis's `expired` (lazy and active expiry),
/// `new` (dbAdd) and `keymiss` (a lookup for a read that found nothing). Kept only while
/// enabled, until the shard moves them to its queue in order with the events its commands
/// raise.
#[derive(Default)]
struct EventLog {
    expired: bool,
    new: bool,
    miss: bool,
    events: Vec<(&'static str, Bytes)>,
}

impl EventLog {
    fn missed(&mut self, key: &[u8]) {
        if self.miss {
            self.events.push(("keymiss", Bytes::copy_from_slice(key)));
        }
    }

    fn expired(&mut self, key: &[u8]) {
        if self.expired {
            self.events.push(("expired", Bytes::copy_from_slice(key)));
        }
    }

    fn created(&mut self, key: &[u8]) {
        if self.new {
            self.events.push(("new", Bytes::copy_from_slice(key)));
        }
    }
}

/// What a keyspace holds under a key, as WATCH distinguishes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    Absent,
    Live,
    /// Stored, but past its deadline: Redis's `keyIsExpired` on a key still in the dict.
    Expired,
}

/// Outcome of one bounded pass of the active expiry cycle.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExpireCycle {
    pub examined: usize,
    pub expired: usize,
}

impl Keyspace {
    pub fn new(seed: u64) -> Self {
        Keyspace {
            segments: Vec::new(),
            hasher: FixedState::with_seed(seed),
            len: 0,
            with_ttl: 0,
            expire_cursor: 0,
            expired: 0,
            log: EventLog::default(),
        }
    }

    /// Which of the `expired`, `new` and `keymiss` events to record from now on.
    pub fn log_events(&mut self, expired: bool, new: bool, miss: bool) {
        self.log.expired = expired;
        self.log.new = new;
        self.log.miss = miss;
    }

    /// The events recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> impl Iterator<Item = (&'static str, Bytes)> + '_ {
        self.log.events.drain(..)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys with a TTL (INFO keyspace `expires=`).
    pub fn volatile_len(&self) -> usize {
        self.with_ttl
    }

    fn locate(&self, key: &[u8]) -> (usize, u64) {
        let h = self.hasher.hash_one(key);
        // The table inside a segment takes its bucket and tag bits from the rotated hash, so
        // they do not repeat the segment bits, which are constant within a segment.
        ((h >> (64 - SEGMENT_BITS)) as usize, h.rotate_left(32))
    }

    fn rehash(hasher: &FixedState) -> impl Fn(&Entry) -> u64 + '_ {
        move |e: &Entry| hasher.hash_one(&*e.key).rotate_left(32)
    }

    fn segments_mut(&mut self) -> &mut Vec<Segment> {
        if self.segments.is_empty() {
            self.segments.resize_with(SEGMENTS, Segment::default);
        }
        &mut self.segments
    }

    /// The live entry for `key`; an expired one is removed on the way (lazy expiry).
    pub fn get(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        self.lookup(key, now_ms, false)
    }

    /// As `get`, for a read: finding nothing is a `keymiss` event.
    pub fn get_read(&mut self, key: &[u8], now_ms: u64) -> Option<&mut Entry> {
        self.lookup(key, now_ms, true)
    }

    fn lookup(&mut self, key: &[u8], now_ms: u64, read: bool) -> Option<&mut Entry> {
        let (seg, h) = self.locate(key);
        let found = match self.segments.get_mut(seg) {
            None => None,
            Some(segment) => match segment.table.find_entry(h, |e| *e.key == *key) {
                Ok(occupied) if occupied.get().is_expired(now_ms) => {
                    let (e, _) = occupied.remove();
                    count_ttl_change(&mut segment.with_ttl, &mut self.with_ttl, true, false);
                    self.len -= 1;
                    self.expired += 1;
                    self.log.expired(&e.key);
                    None
                }
                Ok(occupied) => Some(occupied.into_mut()),
                Err(_) => None,
            },
        };
        if found.is_none() && read {
            self.log.missed(key);
        }
        found
    }

    /// Read-only lookup that treats an expired entry as absent without removing it.
    pub fn peek(&self, key: &[u8], now_ms: u64) -> Option<&Entry> {
        let (seg, h) = self.locate(key);
        let e = self.segments.get(seg)?.table.find(h, |e| *e.key == *key)?;
        (!e.is_expired(now_ms)).then_some(e)
    }

    /// Whether `key` is live, absent, or still stored though its deadline has passed (not yet
    /// removed by lazy or active expiry), without removing anything.
    pub fn state(&self, key: &[u8], now_ms: u64) -> KeyState {
        let (seg, h) = self.locate(key);
        match self
            .segments
            .get(seg)
            .and_then(|s| s.table.find(h, |e| *e.key == *key))
        {
            None => KeyState::Absent,
            Some(e) if e.is_expired(now_ms) => KeyState::Expired,
            Some(_) => KeyState::Live,
        }
    }

    pub fn contains(&mut self, key: &[u8], now_ms: u64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Stores `value` under `key` with the deadline `expire_at` (None: no TTL), replacing any
    /// previous entry, which is returned if it was live. Creating the key is a `new` event.
    pub fn insert(
        &mut self,
        key: &[u8],
        value: Value,
        expire_at: Option<u64>,
        now_ms: u64,
    ) -> Option<Entry> {
        self.store(key, value, expire_at, now_ms, true)
    }

    /// As `insert`, for an entry coming back to its keyspace (or into a scratch shard) rather
    /// than written by a command: no `new` event.
    pub fn put_back(&mut self, key: &[u8], value: Value, expire_at: Option<u64>, now_ms: u64) {
        self.store(key, value, expire_at, now_ms, false);
    }

    fn store(
        &mut self,
        key: &[u8],
        value: Value,
        expire_at: Option<u64>,
        now_ms: u64,
        new_event: bool,
    ) -> Option<Entry> {
        let (seg, h) = self.locate(key);
        self.segments_mut();
        let hasher = &self.hasher;
        let segment = &mut self.segments[seg];
        let expire_at = expire_at.unwrap_or(0);
        // A new value counts as just accessed (OBJECT IDLETIME 0), as Redis's new objects do.
        let access = crate::shard::lru_clock(now_ms);
        let fresh = |key: Box<[u8]>| Entry {
            key,
            value,
            expire_at,
            access,
        };
        let mut old = None;
        match segment
            .table
            .entry(h, |e| *e.key == *key, Self::rehash(hasher))
        {
            TableEntry::Occupied(mut occupied) => {
                let slot = occupied.get_mut();
                let had_ttl = slot.expire_at != 0;
                let was_live = !slot.is_expired(now_ms);
                let kept = std::mem::take(&mut slot.key);
                let prev = std::mem::replace(slot, fresh(kept));
                count_ttl_change(
                    &mut segment.with_ttl,
                    &mut self.with_ttl,
                    had_ttl,
                    expire_at != 0,
                );
                if was_live {
                    old = Some(prev);
                } else {
                    self.expired += 1;
                    self.log.expired(key);
                    if new_event {
                        self.log.created(key);
                    }
                }
            }
            TableEntry::Vacant(vacant) => {
                vacant.insert(fresh(key.into()));
                self.len += 1;
                if new_event {
                    self.log.created(key);
                }
                count_ttl_change(
                    &mut segment.with_ttl,
                    &mut self.with_ttl,
                    false,
                    expire_at != 0,
                );
            }
        }
        old
    }

    /// The live entry for `key`, created without TTL from `make()` when absent (or expired).
    pub fn get_or_insert_with(
        &mut self,
        key: &[u8],
        now_ms: u64,
        make: impl FnOnce() -> Value,
    ) -> &mut Entry {
        let (seg, h) = self.locate(key);
        self.segments_mut();
        let hasher = &self.hasher;
        let segment = &mut self.segments[seg];
        let access = crate::shard::lru_clock(now_ms);
        match segment
            .table
            .entry(h, |e| *e.key == *key, Self::rehash(hasher))
        {
            TableEntry::Occupied(occupied) => {
                let slot = occupied.into_mut();
                if slot.is_expired(now_ms) {
                    count_ttl_change(&mut segment.with_ttl, &mut self.with_ttl, true, false);
                    self.expired += 1;
                    self.log.expired(key);
                    self.log.created(key);
                    slot.value = make();
                    slot.expire_at = 0;
                    slot.access = access;
                }
                slot
            }
            TableEntry::Vacant(vacant) => {
                self.len += 1;
                self.log.created(key);
                vacant
                    .insert(Entry {
                        key: key.into(),
                        value: make(),
                        expire_at: 0,
                        access,
                    })
                    .into_mut()
            }
        }
    }

    /// Replaces the value of a live key, keeping its TTL (SET KEEPTTL, SETRANGE and the like);
    /// inserts without TTL when the key is absent.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now_ms: u64) {
        match self.get(key, now_ms) {
            Some(e) => e.value = value,
            None => {
                self.insert(key, value, None, now_ms);
            }
        }
    }

    /// Sets or clears the deadline of a live key. Returns false when the key is absent.
    pub fn set_expire(&mut self, key: &[u8], expire_at: Option<u64>, now_ms: u64) -> bool {
        let (seg, h) = self.locate(key);
        let live = match self
            .segments
            .get(seg)
            .and_then(|s| s.table.find(h, |e| *e.key == *key))
        {
            Some(e) => !e.is_expired(now_ms),
            None => return false,
        };
        if !live {
            // `get` removes it and accounts for the removal.
            let _ = self.get(key, now_ms);
            return false;
        }
        let segment = &mut self.segments[seg];
        let Some(e) = segment.table.find_mut(h, |e| *e.key == *key) else {
            return false;
        };
        let new = expire_at.unwrap_or(0);
        count_ttl_change(
            &mut segment.with_ttl,
            &mut self.with_ttl,
            e.expire_at != 0,
            new != 0,
        );
        e.expire_at = new;
        true
    }

    /// Removes `key`, returning its entry if it was live.
    pub fn remove(&mut self, key: &[u8], now_ms: u64) -> Option<Entry> {
        let e = self.take(key)?;
        if e.is_expired(now_ms) {
            self.expired += 1;
            self.log.expired(&e.key);
            None
        } else {
            Some(e)
        }
    }

    /// Redis's `dbDelete`, which the STORE commands use to drop a destination their result
    /// leaves empty: removes whatever `key` holds, even past its deadline (then a deletion, not
    /// an expiry); returns whether it held something.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.take(key).is_some()
    }

    /// Takes the entry of `key` out of the table, live or not.
    fn take(&mut self, key: &[u8]) -> Option<Entry> {
        let (seg, h) = self.locate(key);
        let segment = self.segments.get_mut(seg)?;
        let occupied = segment.table.find_entry(h, |e| *e.key == *key).ok()?;
        let (e, _) = occupied.remove();
        self.len -= 1;
        count_ttl_change(
            &mut segment.with_ttl,
            &mut self.with_ttl,
            e.expire_at != 0,
            false,
        );
        Some(e)
    }

    pub fn clear(&mut self) {
        self.segments = Vec::new();
        self.len = 0;
        self.with_ttl = 0;
        self.expire_cursor = 0;
    }

    /// Calls `f` for every live entry of segment `seg` (SCAN visits one segment at a time: a
    /// key present for the whole iteration is always returned).
    pub fn for_each_in_segment(&self, seg: usize, now_ms: u64, mut f: impl FnMut(&Entry)) {
        if let Some(segment) = self.segments.get(seg) {
            segment
                .table
                .iter()
                .filter(|e| !e.is_expired(now_ms))
                .for_each(&mut f);
        }
    }

    pub fn for_each(&self, now_ms: u64, mut f: impl FnMut(&Entry)) {
        for seg in 0..self.segments.len() {
            self.for_each_in_segment(seg, now_ms, &mut f);
        }
    }

    /// A uniformly chosen segment, then a uniformly chosen live key in it (RANDOMKEY). Close
    /// to, though not exactly, uniform over keys — as Redis's own RANDOMKEY.
    pub fn random_key(&mut self, now_ms: u64, rng: &mut impl Rng) -> Option<Box<[u8]>> {
        for _ in 0..64 {
            if self.len == 0 {
                return None;
            }
            let seg = rng.gen_range(0..SEGMENTS);
            let table = &self.segments[seg].table;
            if table.is_empty() {
                continue;
            }
            let pick = rng.gen_range(0..table.len());
            if let Some(e) = table.iter().nth(pick) {
                let key = e.key.clone();
                if self.get(&key, now_ms).is_some() {
                    return Some(key);
                }
            }
        }
        // Sparse keyspace: fall back to the first live key found.
        let mut found = None;
        self.for_each(now_ms, |e| {
            if found.is_none() {
                found = Some(e.key.clone());
            }
        });
        found
    }

    /// One bounded step of the active expiry cycle: visits segments holding keys with a TTL,
    /// from where the previous step stopped, until `budget` entries have been examined or
    /// every segment has been seen once.
    pub fn expire_cycle(&mut self, now_ms: u64, budget: usize) -> ExpireCycle {
        let mut out = ExpireCycle::default();
        if self.with_ttl == 0 {
            return out;
        }
        for _ in 0..self.segments.len() {
            let seg = self.expire_cursor;
            self.expire_cursor = (self.expire_cursor + 1) % SEGMENTS;
            let segment = &mut self.segments[seg];
            if segment.with_ttl == 0 {
                continue;
            }
            out.examined += segment.table.len();
            let mut removed = 0;
            let log = &mut self.log;
            segment.table.retain(|e| {
                let dead = e.is_expired(now_ms);
                if dead {
                    removed += 1;
                    log.expired(&e.key);
                }
                !dead
            });
            segment.with_ttl -= removed as u32;
            self.with_ttl -= removed;
            self.len -= removed;
            self.expired += removed as u64;
            out.expired += removed;
            if out.examined >= budget {
                break;
            }
        }
        out
    }
}

/// Keeps a segment's and the keyspace's count of keys with a TTL in step when a key gains or
/// loses one.
fn count_ttl_change(segment: &mut u32, total: &mut usize, had: bool, has: bool) {
    match (had, has) {
        (true, false) => {
            *segment -= 1;
            *total -= 1;
        }
        (false, true) => {
            *segment += 1;
            *total += 1;
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::StrValue;

    fn v(s: &str) -> Value {
        Value::Str(StrValue::from_client(s.as_bytes()))
    }

    #[test]
    fn insert_get_remove() {
        let mut ks = Keyspace::new(1);
        assert!(ks.insert(b"a", v("1"), None, 0).is_none());
        assert!(ks.insert(b"a", v("2"), None, 0).is_some());
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.get(b"a", 0).map(|e| e.value.clone()), Some(v("2")));
        assert!(ks.remove(b"a", 0).is_some());
        assert!(ks.remove(b"a", 0).is_none());
        assert!(ks.is_empty());
    }

    #[test]
    fn lazy_expiry_removes_and_counts() {
        let mut ks = Keyspace::new(1);
        ks.insert(b"a", v("x"), Some(100), 0);
        assert_eq!(ks.volatile_len(), 1);
        assert!(ks.get(b"a", 99).is_some());
        assert!(ks.peek(b"a", 100).is_none());
        assert!(ks.get(b"a", 100).is_none());
        assert_eq!((ks.len(), ks.volatile_len(), ks.expired), (0, 0, 1));
    }

    #[test]
    fn state_tells_expired_entries_from_absent_ones() {
        let mut ks = Keyspace::new(1);
        ks.insert(b"a", v("x"), Some(100), 0);
        assert_eq!(ks.state(b"a", 99), KeyState::Live);
        assert_eq!(ks.state(b"a", 100), KeyState::Expired);
        assert_eq!(ks.state(b"b", 100), KeyState::Absent);
        assert!(ks.get(b"a", 100).is_none());
        assert_eq!(ks.state(b"a", 100), KeyState::Absent);
    }

    #[test]
    fn overwriting_an_expired_key_is_a_fresh_insert() {
        let mut ks = Keyspace::new(1);
        ks.insert(b"a", v("x"), Some(100), 0);
        assert!(ks.insert(b"a", v("y"), None, 200).is_none());
        assert_eq!((ks.len(), ks.volatile_len(), ks.expired), (1, 0, 1));
    }

    #[test]
    fn ttl_counts_follow_set_expire() {
        let mut ks = Keyspace::new(1);
        ks.insert(b"a", v("x"), None, 0);
        assert!(ks.set_expire(b"a", Some(50), 0));
        assert_eq!(ks.volatile_len(), 1);
        assert!(ks.set_expire(b"a", None, 0));
        assert_eq!(ks.volatile_len(), 0);
        assert!(!ks.set_expire(b"missing", Some(1), 0));
        ks.set_expire(b"a", Some(10), 0);
        assert!(!ks.set_expire(b"a", Some(100), 10));
        assert_eq!((ks.len(), ks.volatile_len()), (0, 0));
    }

    #[test]
    fn expire_cycle_is_bounded_and_complete() {
        let mut ks = Keyspace::new(7);
        for i in 0..10_000 {
            ks.insert(format!("k{i}").as_bytes(), v("x"), Some(10), 0);
        }
        ks.insert(b"keep", v("x"), None, 0);
        let first = ks.expire_cycle(20, 100);
        assert!(first.examined < 1_000, "{first:?}");
        let mut total = first.expired;
        while ks.volatile_len() > 0 {
            total += ks.expire_cycle(20, 100).expired;
        }
        assert_eq!(total, 10_000);
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.expired, 10_000);
    }

    #[test]
    fn segments_cover_every_key_once() {
        let mut ks = Keyspace::new(3);
        for i in 0..5_000 {
            ks.insert(format!("k{i}").as_bytes(), v("x"), None, 0);
        }
        let mut seen = std::collections::HashSet::new();
        for seg in 0..SEGMENTS {
            ks.for_each_in_segment(seg, 0, |e| assert!(seen.insert(e.key().to_vec())));
        }
        assert_eq!(seen.len(), 5_000);
    }

    #[test]
    fn random_key_finds_sparse_keys() {
        let mut ks = Keyspace::new(3);
        let mut rng = rand::thread_rng();
        assert!(ks.random_key(0, &mut rng).is_none());
        ks.insert(b"only", v("x"), None, 0);
        assert_eq!(ks.random_key(0, &mut rng).as_deref(), Some(&b"only"[..]));
    }
}
