//! Streams (Redis's t_stream.c): the `Stream` value and its commands.
//!
//! Public API of `Stream` (other modules, such as consumer groups, build on it; add to it,
//! don't rename):
//! - metadata: `len`, `last_id`, `first_id` (0-0 when empty), `max_deleted_entry_id`,
//!   `entries_added`, `block_count` (Redis's radix-tree keys), `groups` (public field);
//! - reading: `range(start, end, rev)` iterates live entries with IDs in `start..=end`
//!   (`EntryRef`: `id`, `fields()` → `(&[u8], &[u8])` pairs), `get(id)`, `first_entry`,
//!   `last_entry`, `last_valid_id`; `entry_reply` builds the `[id, [f, v, ...]]` reply;
//! - writing: `add` (XADD's ID rules), `delete` (XDEL), `trim` (XTRIM/XADD's trimming),
//!   `set_last_id`, `set_entries_added`, `set_max_deleted_entry_id` (XSETID).

mod commands;
pub mod group;
mod group_commands;
pub mod id;
pub mod store;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::value::Collection;

pub use commands::COMMANDS;
pub use group::{ConsumerGroup, Groups};
pub use group_commands::COMMANDS as GROUP_COMMANDS;
pub use id::{AddId, StreamId};
pub use store::{EntryRef, NodeLimits, Trim, TrimBy};

use store::Store;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    store: Store,
    length: u64,
    last_id: StreamId,
    first_id: StreamId,
    max_deleted_entry_id: StreamId,
    entries_added: u64,
    pub groups: Groups,
}

/// Why XADD could not add an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The last ID is the largest possible one.
    Exhausted,
    /// The ID is not above the last one.
    NotGreater,
    /// The entry is too big for a block, or `<ms>-*` ran out of sequence numbers.
    TooLarge,
}

impl AddError {
    pub fn message(self) -> &'static str {
        match self {
            AddError::Exhausted => {
                "ERR The stream has exhausted the last possible ID, unable to add more items"
            }
            AddError::NotGreater => {
                "ERR The ID specified in XADD is equal or smaller than the target stream top item"
            }
            AddError::TooLarge => "ERR Elements are too large to be stored",
        }
    }
}

impl Collection for Stream {
    const TYPE_NAME: &'static str = "stream";

    fn len(&self) -> usize {
        usize::try_from(self.length).unwrap_or(usize::MAX)
    }

    fn encoding(&self) -> &'static str {
        "stream"
    }

    fn heap_size(&self) -> usize {
        self.store.heap_size() + self.groups.heap_size()
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Live entries (Collection::len as u64).
    pub fn length(&self) -> u64 {
        self.length
    }

    pub fn last_id(&self) -> StreamId {
        self.last_id
    }

    /// The first live entry's ID, 0-0 when empty (XINFO's recorded-first-entry-id).
    pub fn first_id(&self) -> StreamId {
        self.first_id
    }

    pub fn max_deleted_entry_id(&self) -> StreamId {
        self.max_deleted_entry_id
    }

    pub fn entries_added(&self) -> u64 {
        self.entries_added
    }

    pub fn block_count(&self) -> usize {
        self.store.block_count()
    }

    /// The ID of each block's first entry, in order (Redis's radix-tree keys).
    pub fn block_ids(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.store.block_ids()
    }

    /// XADD: adds an entry of `pairs` (`[field, value, ...]`, at least one pair) under the ID
    /// `id` asks for (`Auto` uses `now_ms`); returns the ID given.
    pub fn add<B: AsRef<[u8]>>(
        &mut self,
        id: AddId,
        pairs: &[B],
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AddError> {
        let last = self.last_id;
        if last == StreamId::MAX {
            return Err(AddError::Exhausted);
        }
        let id = match id {
            AddId::Explicit(id) => id,
            AddId::AutoSeq(ms) if ms == last.ms => last
                .next()
                .filter(|n| n.ms == ms)
                .ok_or(AddError::TooLarge)?,
            AddId::AutoSeq(ms) => StreamId::new(ms, 0),
            AddId::Auto if now_ms > last.ms => StreamId::new(now_ms, 0),
            AddId::Auto => last.next().ok_or(AddError::Exhausted)?,
        };
        if id <= last {
            return Err(AddError::NotGreater);
        }
        let size: u64 = pairs.iter().map(|p| p.as_ref().len() as u64).sum();
        if size > store::LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        self.store.push(id, pairs, limits);
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Live entries with IDs in `start..=end`, in ID order or reversed.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> store::Entries<'_> {
        self.store.range(start, end, rev)
    }

    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.store.get(id)
    }

    pub fn first_entry(&self) -> Option<EntryRef<'_>> {
        self.range(StreamId::MIN, StreamId::MAX, false).next()
    }

    pub fn last_entry(&self) -> Option<EntryRef<'_>> {
        self.range(StreamId::MIN, StreamId::MAX, true).next()
    }

    /// The last live entry's ID (Redis's streamLastValidID), 0-0 when empty.
    pub fn last_valid_id(&self) -> StreamId {
        self.last_entry().map_or(StreamId::MIN, |e| e.id)
    }

    /// XDEL of one ID: whether a live entry went. Keeps first_id and max_deleted_entry_id.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if !self.store.delete(id) {
            return false;
        }
        self.length -= 1;
        if id > self.max_deleted_entry_id {
            self.max_deleted_entry_id = id;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.first_entry().map_or(StreamId::MIN, |e| e.id);
        }
        true
    }

    /// Trims from the head; returns how many entries went.
    pub fn trim(&mut self, trim: Trim) -> u64 {
        let removed = self.store.trim(trim, &mut self.length);
        self.first_id = self.first_entry().map_or(StreamId::MIN, |e| e.id);
        removed
    }

    pub fn set_last_id(&mut self, id: StreamId) {
        self.last_id = id;
    }

    pub fn set_entries_added(&mut self, n: u64) {
        self.entries_added = n;
    }

    pub fn set_max_deleted_entry_id(&mut self, id: StreamId) {
        self.max_deleted_entry_id = id;
    }
}

/// An entry as XRANGE and XREAD send it: `[id, [field, value, ...]]`.
pub fn entry_reply(e: &EntryRef<'_>) -> Reply {
    let mut fv = Vec::with_capacity(2 * e.field_count());
    for (f, v) in e.fields() {
        fv.push(Reply::Bulk(Bytes::copy_from_slice(f)));
        fv.push(Reply::Bulk(Bytes::copy_from_slice(v)));
    }
    Reply::Array(vec![Reply::Bulk(e.id.to_bytes()), Reply::Array(fv)])
}
