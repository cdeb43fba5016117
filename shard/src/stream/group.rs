//! Consumer groups (Redis's streamCG): each group's last-delivered ID and read counter, its
//! consumers, and its pending entries list (PEL).
//!
//! A pending entry is known twice, as in Redis: in the group's PEL, with its delivery time,
//! delivery count and owner, and in its owner's PEL, by ID alone. The methods here are the only
//! writers of both and keep them in step.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::id::StreamId;

/// The groups of one stream, ordered by name as Redis's radix tree orders them (bytewise).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups {
    by_name: BTreeMap<Bytes, ConsumerGroup>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    /// The last ID delivered to the group's consumers (`>` reads start after it).
    pub last_id: StreamId,
    /// The logical read counter of `last_id`: how many entries of the stream's history come up
    /// to it (XINFO's entries-read). None when it cannot be known.
    pub entries_read: Option<i64>,
    pel: BTreeMap<StreamId, Pending>,
    consumers: BTreeMap<Bytes, Consumer>,
}

/// A delivered entry not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// When it was last delivered, in ms since the epoch.
    pub delivery_time: i64,
    /// How many times it was delivered. Redis keeps an unsigned count and shows it signed.
    pub delivery_count: u64,
    /// The consumer it was delivered to.
    pub owner: Bytes,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Consumer {
    /// When the consumer last read or claimed, in ms since the epoch (XINFO's idle time).
    pub seen_time: i64,
    pel: BTreeSet<StreamId>,
}

/// What a claim does to an entry's delivery count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retries {
    /// Counts one more delivery.
    Count,
    /// Leaves the count (JUSTID).
    Keep,
    /// Sets it (XCLAIM RETRYCOUNT).
    Set(u64),
}

/// The stream-wide counters the read counters and lags are worked out from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub length: u64,
    pub entries_added: u64,
    /// The first live entry's ID, 0-0 when the stream is empty.
    pub first_id: StreamId,
    pub last_id: StreamId,
    /// The highest ID XDEL removed (0-0 for none): entries before it may be missing.
    pub max_deleted_id: StreamId,
}

impl Tally {
    /// Whether an entry may have been deleted at or after `start` (Redis's
    /// streamRangeHasTombstones with an open end).
    fn tombstones_from(&self, start: StreamId) -> bool {
        self.length > 0
            && self.max_deleted_id != StreamId::MIN
            && self.first_id <= self.max_deleted_id
            && start <= self.max_deleted_id
    }

    /// The logical read counter of `id`, when it can be told from the counters alone (Redis's
    /// streamEstimateDistanceFromFirstEverEntry).
    pub fn entries_up_to(&self, id: StreamId) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        // Deletions before the first entry do not fragment what is left.
        if self.max_deleted_id == StreamId::MIN || self.max_deleted_id < self.first_id {
            let before_first = added.wrapping_sub(self.length as i64);
            if id < self.first_id {
                return Some(before_first);
            }
            if id == self.first_id {
                return Some(before_first.wrapping_add(1));
            }
        }
        None
    }

    /// How many entries the group has still to read (XINFO's lag), None when unknown.
    pub fn lag(&self, group: &ConsumerGroup) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        match group.entries_read {
            Some(read) if !self.tombstones_from(group.last_id) => Some(added.wrapping_sub(read)),
            _ => self
                .entries_up_to(group.last_id)
                .map(|read| added.wrapping_sub(read)),
        }
    }
}

impl super::Stream {
    pub fn tally(&self) -> Tally {
        Tally {
            length: self.length(),
            entries_added: self.entries_added(),
            first_id: self.first_id(),
            last_id: self.last_id(),
            max_deleted_id: self.max_deleted_entry_id(),
        }
    }
}

impl Groups {
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn get(&self, name: &[u8]) -> Option<&ConsumerGroup> {
        self.by_name.get(name)
    }

    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut ConsumerGroup> {
        self.by_name.get_mut(name)
    }

    /// Adds a group; false when one of that name exists.
    pub fn create(&mut self, name: &[u8], last_id: StreamId, entries_read: Option<i64>) -> bool {
        if self.by_name.contains_key(name) {
            return false;
        }
        let group = ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        };
        self.by_name.insert(Bytes::copy_from_slice(name), group);
        true
    }

    /// Removes a group; false when there is none of that name.
    pub fn destroy(&mut self, name: &[u8]) -> bool {
        self.by_name.remove(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &ConsumerGroup)> {
        self.by_name.iter()
    }

    /// Approximate heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        self.by_name
            .iter()
            .map(|(name, g)| name.len() + g.heap_size())
            .sum()
    }
}

impl ConsumerGroup {
    pub fn pel_len(&self) -> usize {
        self.pel.len()
    }

    /// The pending entries from `start` to `end` inclusive, in ID order.
    pub fn pending(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl Iterator<Item = (StreamId, &Pending)> + '_ {
        let range = (start <= end).then_some(start..=end);
        range
            .into_iter()
            .flat_map(|r| self.pel.range(r))
            .map(|(id, p)| (*id, p))
    }

    pub fn pending_entry(&self, id: StreamId) -> Option<&Pending> {
        self.pel.get(&id)
    }

    /// The lowest and highest pending IDs.
    pub fn pending_bounds(&self) -> Option<(StreamId, StreamId)> {
        let first = self.pel.keys().next()?;
        let last = self.pel.keys().next_back()?;
        Some((*first, *last))
    }

    pub fn consumers(&self) -> impl Iterator<Item = (&Bytes, &Consumer)> {
        self.consumers.iter()
    }

    pub fn consumers_len(&self) -> usize {
        self.consumers.len()
    }

    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// Adds a consumer seen now; false when it exists (and is left as it was).
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let consumer = Consumer {
            seen_time: now,
            pel: BTreeSet::new(),
        };
        self.consumers
            .insert(Bytes::copy_from_slice(name), consumer);
        true
    }

    /// The consumer `name`, created if new, marked as seen now (a read or a claim by it).
    /// Returns its name as the group stores it.
    pub fn see_consumer(&mut self, name: &[u8], now: i64) -> Bytes {
        if let Some(c) = self.consumers.get_mut(name) {
            c.seen_time = now;
        } else {
            self.create_consumer(name, now);
        }
        self.consumers
            .get_key_value(name)
            .map_or_else(|| Bytes::copy_from_slice(name), |(key, _)| key.clone())
    }

    /// Deletes a consumer and its pending entries; how many it had, None when there was no such
    /// consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Moves `last_id` to `id`, an entry being delivered for the first time, keeping the read
    /// counter when it can be kept (Redis's streamReplyWithRange).
    pub fn advance(&mut self, id: StreamId, tally: &Tally) {
        if id <= self.last_id {
            return;
        }
        match self.entries_read {
            Some(read) if !tally.tombstones_from(id) => {
                self.entries_read = Some(read.wrapping_add(1));
            }
            _ if tally.entries_added > 0 => self.entries_read = tally.entries_up_to(id),
            _ => {}
        }
        self.last_id = id;
    }

    /// Records entry `id` as delivered to `consumer` now, for the first time by a `>` read: a
    /// pending entry of another consumer (the group was moved back by SETID) changes hands and
    /// starts counting again.
    pub fn deliver(&mut self, id: StreamId, consumer: &Bytes, now: i64) {
        self.hand_over(id, consumer);
        self.pel.insert(
            id,
            Pending {
                delivery_time: now,
                delivery_count: 1,
                owner: consumer.clone(),
            },
        );
    }

    /// Counts one more delivery of pending entry `id` (a read of the consumer's history).
    pub fn redeliver(&mut self, id: StreamId, now: i64) {
        if let Some(p) = self.pel.get_mut(&id) {
            p.delivery_time = now;
            p.delivery_count = p.delivery_count.wrapping_add(1);
        }
    }

    /// XCLAIM's and XAUTOCLAIM's transfer of entry `id` to `consumer`; an entry not pending is
    /// made pending first (XCLAIM FORCE), as delivered once.
    pub fn claim(&mut self, id: StreamId, consumer: &Bytes, delivery_time: i64, retries: Retries) {
        self.hand_over(id, consumer);
        let p = self.pel.entry(id).or_insert_with(|| Pending {
            delivery_time,
            delivery_count: 1,
            owner: consumer.clone(),
        });
        p.delivery_time = delivery_time;
        p.owner = consumer.clone();
        match retries {
            Retries::Count => p.delivery_count = p.delivery_count.wrapping_add(1),
            Retries::Keep => {}
            Retries::Set(n) => p.delivery_count = n,
        }
    }

    /// Removes pending entry `id` from the group and its owner (XACK, or the entry is gone
    /// from the stream); false when it was not pending.
    pub fn acknowledge(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&p.owner) {
            c.pel.remove(&id);
        }
        true
    }

    /// Makes `consumer` the owner of `id` in the consumers' PELs (the group's entry is the
    /// caller's to update).
    fn hand_over(&mut self, id: StreamId, consumer: &Bytes) {
        if let Some(p) = self.pel.get(&id) {
            if p.owner != *consumer {
                if let Some(old) = self.consumers.get_mut(&p.owner) {
                    old.pel.remove(&id);
                }
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    fn heap_size(&self) -> usize {
        const PENDING: usize = std::mem::size_of::<(StreamId, Pending)>() + 16;
        const ID: usize = std::mem::size_of::<StreamId>() + 8;
        std::mem::size_of::<ConsumerGroup>()
            + self.pel.len() * PENDING
            + self
                .consumers
                .iter()
                .map(|(name, c)| name.len() + std::mem::size_of::<Consumer>() + c.pel.len() * ID)
                .sum::<usize>()
    }
}

impl Consumer {
    pub fn pel_len(&self) -> usize {
        self.pel.len()
    }

    /// The consumer's pending IDs from `start` on, in order.
    pub fn pending_from(&self, start: StreamId) -> impl Iterator<Item = StreamId> + '_ {
        self.pel.range(start..).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    fn name(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn tally(length: u64, added: u64, first: StreamId, last: StreamId, del: StreamId) -> Tally {
        Tally {
            length,
            entries_added: added,
            first_id: first,
            last_id: last,
            max_deleted_id: del,
        }
    }

    /// The group's PEL and every consumer's agree, entry by entry.
    fn check(g: &ConsumerGroup) {
        let mut owned = 0;
        for (cname, c) in &g.consumers {
            for i in &c.pel {
                assert_eq!(g.pel.get(i).map(|p| &p.owner), Some(cname), "{i:?}");
            }
            owned += c.pel.len();
        }
        assert_eq!(owned, g.pel.len());
    }

    fn group() -> ConsumerGroup {
        let mut groups = Groups::default();
        assert!(groups.create(b"g", StreamId::MIN, None));
        assert!(!groups.create(b"g", id(5, 0), Some(3)));
        groups.get(b"g").cloned().expect("group")
    }

    #[test]
    fn delivery_claim_and_ack_keep_both_pels_in_step() {
        let mut g = group();
        let (a, b) = (name("a"), name("b"));
        assert_eq!(g.see_consumer(b"a", 10), a);
        g.see_consumer(b"b", 10);
        g.deliver(id(1, 0), &a, 10);
        g.deliver(id(2, 0), &a, 11);
        g.deliver(id(3, 0), &b, 12);
        check(&g);
        // A `>` read after SETID takes the entry over and restarts its count.
        g.redeliver(id(1, 0), 20);
        assert_eq!(g.pending_entry(id(1, 0)).map(|p| p.delivery_count), Some(2));
        g.deliver(id(1, 0), &b, 30);
        let p = g.pending_entry(id(1, 0)).cloned().expect("pending");
        assert_eq!(
            (p.owner, p.delivery_count, p.delivery_time),
            (b.clone(), 1, 30)
        );
        check(&g);
        g.claim(id(2, 0), &b, 40, Retries::Keep);
        g.claim(id(3, 0), &a, 41, Retries::Set(7));
        g.claim(id(9, 0), &a, 42, Retries::Count);
        check(&g);
        assert_eq!(g.pending_entry(id(2, 0)).map(|p| p.delivery_count), Some(1));
        assert_eq!(g.pending_entry(id(3, 0)).map(|p| p.delivery_count), Some(7));
        // FORCE: made pending as delivered once, then counted.
        assert_eq!(g.pending_entry(id(9, 0)).map(|p| p.delivery_count), Some(2));
        assert_eq!(g.consumer(b"a").map(Consumer::pel_len), Some(2));
        let pending: Vec<StreamId> = g.pending(id(2, 0), id(3, 0)).map(|(i, _)| i).collect();
        assert_eq!(pending, [id(2, 0), id(3, 0)]);
        assert_eq!(g.pending(id(3, 0), id(2, 0)).count(), 0);
        assert_eq!(g.pending_bounds(), Some((id(1, 0), id(9, 0))));
        assert!(g.acknowledge(id(3, 0)));
        assert!(!g.acknowledge(id(3, 0)));
        check(&g);
        assert_eq!(g.delete_consumer(b"b"), Some(2));
        assert_eq!(g.delete_consumer(b"b"), None);
        check(&g);
        let left: Vec<StreamId> = g.pel.keys().copied().collect();
        assert_eq!(left, [id(9, 0)]);
        let a_pel: Vec<StreamId> = g
            .consumer(b"a")
            .map(|c| c.pending_from(id(0, 0)).collect())
            .unwrap_or_default();
        assert_eq!(a_pel, [id(9, 0)]);
    }

    #[test]
    fn consumers_are_seen_when_they_read_or_claim() {
        let mut g = group();
        assert!(g.create_consumer(b"a", 5));
        assert!(!g.create_consumer(b"a", 9));
        assert_eq!(g.consumer(b"a").map(|c| c.seen_time), Some(5));
        g.see_consumer(b"a", 9);
        assert_eq!(g.consumer(b"a").map(|c| c.seen_time), Some(9));
        g.see_consumer(b"z", 11);
        let names: Vec<&[u8]> = g.consumers().map(|(n, _)| &n[..]).collect();
        assert_eq!(names, [&b"a"[..], b"z"]);
    }

    #[test]
    fn read_counter_follows_deliveries() {
        let t = tally(5, 5, id(1, 0), id(5, 0), StreamId::MIN);
        let mut g = group();
        g.advance(id(1, 0), &t);
        assert_eq!((g.last_id, g.entries_read), (id(1, 0), Some(1)));
        g.advance(id(2, 0), &t);
        assert_eq!(g.entries_read, Some(2));
        // Delivering an older ID leaves the group where it is.
        g.advance(id(1, 0), &t);
        assert_eq!((g.last_id, g.entries_read), (id(2, 0), Some(2)));
        assert_eq!(t.lag(&g), Some(3));
        // A deletion ahead: the counter is lost until the last entry is reached.
        let t = tally(4, 5, id(1, 0), id(5, 0), id(4, 0));
        assert_eq!(t.lag(&g), None);
        g.advance(id(3, 0), &t);
        assert_eq!(g.entries_read, None);
        g.advance(id(5, 0), &t);
        assert_eq!(g.entries_read, Some(5));
        assert_eq!(t.lag(&g), Some(0));
    }

    #[test]
    fn entries_up_to_is_known_only_at_the_edges() {
        let t = tally(3, 5, id(3, 0), id(5, 0), StreamId::MIN);
        assert_eq!(t.entries_up_to(id(5, 0)), Some(5));
        assert_eq!(t.entries_up_to(id(6, 0)), None);
        assert_eq!(t.entries_up_to(id(3, 0)), Some(3));
        assert_eq!(t.entries_up_to(id(1, 0)), Some(2));
        assert_eq!(t.entries_up_to(id(4, 0)), None);
        // A deletion past the first entry fragments the stream.
        let t = tally(3, 5, id(3, 0), id(5, 0), id(4, 0));
        assert_eq!(t.entries_up_to(id(1, 0)), None);
        // One before it does not.
        let t = tally(3, 5, id(3, 0), id(5, 0), id(2, 0));
        assert_eq!(t.entries_up_to(id(1, 0)), Some(2));
        // Empty streams: any ID up to the last has read everything.
        let t = tally(0, 5, StreamId::MIN, id(5, 0), id(5, 0));
        assert_eq!(t.entries_up_to(id(2, 0)), Some(5));
        assert_eq!(t.entries_up_to(id(7, 0)), None);
        let t = tally(0, 0, StreamId::MIN, StreamId::MIN, StreamId::MIN);
        assert_eq!(t.entries_up_to(id(7, 0)), Some(0));
    }

    #[test]
    fn lag_with_an_explicit_counter() {
        let mut g = group();
        g.entries_read = Some(2);
        let t = tally(5, 5, id(1, 0), id(5, 0), StreamId::MIN);
        assert_eq!(t.lag(&g), Some(3));
        // A deletion trimmed away since no longer counts.
        let t = tally(2, 6, id(5, 0), id(6, 0), id(4, 0));
        assert_eq!(t.lag(&g), Some(4));
        // A counter past what was added gives a negative lag, as in Redis.
        g.entries_read = Some(10);
        assert_eq!(t.lag(&g), Some(-4));
        let fresh = tally(0, 0, StreamId::MIN, StreamId::MIN, StreamId::MIN);
        assert_eq!(fresh.lag(&g), Some(0));
    }
}
