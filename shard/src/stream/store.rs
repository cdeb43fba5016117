//! A stream's entries, stored compactly: a B-tree of blocks keyed by the ID of each block's
//! first entry, each block one byte buffer (Redis's radix tree of listpacks).
//!
//! A block starts with its "master" field names (those of its first entry); an entry with the
//! same names stores only its values. IDs are delta-encoded against the previous entry of the
//! block. Deleted entries stay as tombstones (a flag bit) until their whole block goes, as in
//! Redis, so XDEL never moves bytes.
//!
//! Block boundaries must be Redis's, because approximate trimming (`~`) removes whole blocks
//! only and its reply counts what it removed. So each block also tracks the size its listpack
//! would have in Redis, and a new block starts exactly when Redis would start a new node
//! (`stream-node-max-bytes`, `stream-node-max-entries`).
//!
//! Block layout: `varint nfields, (varint len, bytes) * nfields` for the master fields, then
//! entries, each `varint128 (ms_delta << 2 | flags), varint seq_code`, then either the values
//! (`(varint len, bytes) * nfields` when `SAME_FIELDS`) or `varint n, (field, value) * n`.
//! `seq_code` is the sequence number itself after a new millisecond, else its distance to
//! the previous one minus one.

use std::collections::BTreeMap;

use super::id::StreamId;

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 2;

/// Redis's `STREAM_LISTPACK_MAX_SIZE`: no listpack grows past 1 GiB.
pub const LISTPACK_MAX_SIZE: u64 = 1 << 30;

/// When a block is full (Redis's `stream-node-max-bytes` / `-entries`; 0 = no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// How XADD/XTRIM trim: by length or by smallest ID kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimBy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    pub by: TrimBy,
    /// `~`: remove whole blocks only.
    pub approx: bool,
    /// Most entries removed by one call (counted in whole blocks); 0 = no limit.
    pub limit: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    blocks: BTreeMap<StreamId, Block>,
}

#[derive(Clone, Debug, PartialEq)]
struct Block {
    buf: Vec<u8>,
    live: u64,
    deleted: u64,
    /// The ID of the block's last entry, deleted or not.
    last: StreamId,
    /// Bytes the block's listpack would have in Redis, without its two counters (their
    /// encodings vary with their values).
    lp_bytes: u64,
}

/// One entry read from a block; its fields borrow the block.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    pub id: StreamId,
    deleted: bool,
    /// The master field names (when `same`), else unused.
    names: &'a [u8],
    /// The values (when `same`), else the field/value pairs.
    body: &'a [u8],
    nfields: usize,
    same: bool,
}

impl<'a> EntryRef<'a> {
    pub fn field_count(&self) -> usize {
        self.nfields
    }

    /// The entry's field/value pairs, in the order they were added.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            names: self.names,
            body: self.body,
            left: self.nfields,
            same: self.same,
        }
    }
}

pub struct Fields<'a> {
    names: &'a [u8],
    body: &'a [u8],
    left: usize,
    same: bool,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = if self.same {
            take_bytes(&mut self.names)
        } else {
            take_bytes(&mut self.body)
        };
        let value = take_bytes(&mut self.body);
        Some((field, value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Fields<'_> {}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(buf: &mut &[u8]) -> u128 {
    let mut v: u128 = 0;
    let mut shift = 0;
    while let Some((&b, rest)) = buf.split_first() {
        *buf = rest;
        v |= u128::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    v
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u128);
    out.extend_from_slice(b);
}

fn take_bytes<'a>(buf: &mut &'a [u8]) -> &'a [u8] {
    let len = (take_varint(buf) as usize).min(buf.len());
    let (b, rest) = buf.split_at(len);
    *buf = rest;
    b
}

fn skip_bytes(buf: &mut &[u8], n: usize) {
    for _ in 0..n {
        take_bytes(buf);
    }
}

/// Bytes an integer element takes in a Redis listpack (encoding and back-length).
fn lp_int_size(v: i64) -> u64 {
    match v {
        0..=127 => 2,
        -4096..=4095 => 3,
        -32768..=32767 => 4,
        -8_388_608..=8_388_607 => 5,
        _ if i32::try_from(v).is_ok() => 6,
        _ => 10,
    }
}

/// Bytes a string element takes in a Redis listpack: stored as an integer when it is one.
fn lp_str_size(s: &[u8]) -> u64 {
    if s.len() <= 20 {
        if let Some(v) = crate::value::parse_canonical_i64(s) {
            return lp_int_size(v);
        }
    }
    let len = s.len() as u64;
    let encoded = len
        + match len {
            0..=63 => 1,
            64..=4095 => 2,
            _ => 5,
        };
    let backlen = match encoded {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    encoded + backlen
}

/// The pairs of an XADD call as a slice of `[field, value, field, value...]`.
fn pair_names<B: AsRef<[u8]>>(pairs: &[B]) -> impl Iterator<Item = &[u8]> {
    pairs.iter().step_by(2).map(AsRef::as_ref)
}

fn pair_values<B: AsRef<[u8]>>(pairs: &[B]) -> impl Iterator<Item = &[u8]> {
    pairs.iter().skip(1).step_by(2).map(AsRef::as_ref)
}

impl Block {
    fn new<B: AsRef<[u8]>>(id: StreamId, pairs: &[B]) -> Block {
        let mut buf = Vec::new();
        let nfields = pairs.len() / 2;
        put_varint(&mut buf, nfields as u128);
        // Redis's master entry: field count, names, a zero terminator (the two counters are
        // added by `redis_size`), inside a 7-byte listpack header and end.
        let mut lp_bytes = 7 + lp_int_size(nfields as i64) + 2;
        for name in pair_names(pairs) {
            put_bytes(&mut buf, name);
            lp_bytes += lp_str_size(name);
        }
        Block {
            buf,
            live: 0,
            deleted: 0,
            last: id,
            lp_bytes,
        }
    }

    /// The listpack size Redis would report for this block.
    fn redis_size(&self) -> u64 {
        self.lp_bytes + lp_int_size(self.live as i64) + lp_int_size(self.deleted as i64)
    }

    fn master(&self) -> (usize, &[u8]) {
        let mut p = &self.buf[..];
        let n = take_varint(&mut p) as usize;
        (n, p)
    }

    /// Whether an entry with these fields stores only its values.
    fn same_fields<B: AsRef<[u8]>>(&self, pairs: &[B]) -> bool {
        let (n, mut names) = self.master();
        n == pairs.len() / 2 && pair_names(pairs).all(|f| take_bytes(&mut names) == f)
    }

    /// Appends an entry; `master` is the block's key (the ID Redis deltas are taken from).
    fn push<B: AsRef<[u8]>>(&mut self, master: StreamId, id: StreamId, pairs: &[B]) {
        let same = self.same_fields(pairs);
        let nfields = pairs.len() / 2;
        let first = self.live + self.deleted == 0;
        // Wrapping: after XSETID went below deleted entries, an ID may be below the block's
        // last (a tombstone); it then costs a long delta but decodes all the same.
        let ms_delta = if first {
            0
        } else {
            id.ms.wrapping_sub(self.last.ms)
        };
        let seq_code = if first {
            0
        } else if ms_delta == 0 {
            id.seq.wrapping_sub(self.last.seq).wrapping_sub(1)
        } else {
            id.seq
        };
        let flags = if same { SAME_FIELDS } else { 0 };
        put_varint(
            &mut self.buf,
            (u128::from(ms_delta) << 2) | u128::from(flags),
        );
        put_varint(&mut self.buf, u128::from(seq_code));
        let mut lp = 2
            + lp_int_size(id.ms.wrapping_sub(master.ms) as i64)
            + lp_int_size(id.seq.wrapping_sub(master.seq) as i64);
        if same {
            for value in pair_values(pairs) {
                put_bytes(&mut self.buf, value);
                lp += lp_str_size(value);
            }
            lp += lp_int_size(nfields as i64 + 3);
        } else {
            put_varint(&mut self.buf, nfields as u128);
            lp += lp_int_size(nfields as i64);
            for item in pairs {
                put_bytes(&mut self.buf, item.as_ref());
                lp += lp_str_size(item.as_ref());
            }
            lp += lp_int_size(2 * nfields as i64 + 4);
        }
        self.lp_bytes += lp;
        self.live += 1;
        self.last = id;
    }

    fn entries(&self, master: StreamId) -> BlockEntries<'_> {
        let (nfields, rest) = self.master();
        let mut names_end = rest;
        skip_bytes(&mut names_end, nfields);
        let names = &rest[..rest.len() - names_end.len()];
        BlockEntries {
            buf: &self.buf,
            pos: self.buf.len() - names_end.len(),
            prev: master,
            first: true,
            names,
            master_nfields: nfields,
        }
    }

    /// Marks the entry at byte `offset` deleted (the flags are the low bits of its first byte).
    fn mark_deleted(&mut self, offset: usize) {
        if let Some(b) = self.buf.get_mut(offset) {
            *b |= DELETED;
        }
        self.live -= 1;
        self.deleted += 1;
    }

    fn heap_size(&self) -> usize {
        self.buf.capacity()
    }
}

/// The entries of one block in order, with the byte offset of each.
struct BlockEntries<'a> {
    buf: &'a [u8],
    pos: usize,
    prev: StreamId,
    first: bool,
    names: &'a [u8],
    master_nfields: usize,
}

impl<'a> Iterator for BlockEntries<'a> {
    type Item = (usize, EntryRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let offset = self.pos;
        let mut p = self.buf.get(offset..).filter(|p| !p.is_empty())?;
        let head = take_varint(&mut p);
        let flags = (head & 3) as u8;
        let ms_delta = (head >> 2) as u64;
        let seq_code = take_varint(&mut p) as u64;
        let id = if self.first {
            self.prev
        } else if ms_delta == 0 {
            StreamId::new(
                self.prev.ms,
                self.prev.seq.wrapping_add(seq_code).wrapping_add(1),
            )
        } else {
            StreamId::new(self.prev.ms.wrapping_add(ms_delta), seq_code)
        };
        let same = flags & SAME_FIELDS != 0;
        let (nfields, body) = if same {
            let body = p;
            skip_bytes(&mut p, self.master_nfields);
            (self.master_nfields, &body[..body.len() - p.len()])
        } else {
            let n = take_varint(&mut p) as usize;
            let body = p;
            skip_bytes(&mut p, 2 * n);
            (n, &body[..body.len() - p.len()])
        };
        self.pos = self.buf.len() - p.len();
        self.prev = id;
        self.first = false;
        Some((
            offset,
            EntryRef {
                id,
                deleted: flags & DELETED != 0,
                names: self.names,
                body,
                nfields,
                same,
            },
        ))
    }
}

impl Store {
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Number of blocks (Redis's radix-tree keys).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// The ID each block is keyed by (its first entry's), in order.
    pub fn block_ids(&self) -> impl Iterator<Item = StreamId> + '_ {
        self.blocks.keys().copied()
    }

    /// Appends an entry with an ID above every stored one. `pairs` is `[field, value, ...]`.
    pub fn push<B: AsRef<[u8]>>(&mut self, id: StreamId, pairs: &[B], limits: NodeLimits) {
        let added: u64 = pairs.iter().map(|p| p.as_ref().len() as u64).sum();
        let max_bytes = match limits.max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        let tail_fits = self.blocks.last_key_value().is_some_and(|(_, b)| {
            b.redis_size() + added < max_bytes
                && (limits.max_entries == 0 || b.live + b.deleted < limits.max_entries)
        });
        if !tail_fits {
            if let Some(mut tail) = self.blocks.last_entry() {
                tail.get_mut().buf.shrink_to_fit();
            }
            self.blocks.insert(id, Block::new(id, pairs));
        }
        if let Some(mut tail) = self.blocks.last_entry() {
            let master = *tail.key();
            tail.get_mut().push(master, id, pairs);
        }
    }

    /// Every entry, tombstones too, from the block where Redis's iterator starts for IDs from
    /// `start`: the last one keyed at or below it, else the first.
    fn cursor(&self, start: StreamId) -> Cursor<'_> {
        let from = self
            .blocks
            .range(..=start)
            .next_back()
            .map_or(StreamId::MIN, |(k, _)| *k);
        Cursor {
            blocks: self.blocks.range(from..),
            block: None,
        }
    }

    /// The live entries with IDs in `start..=end`, in order or in reverse.
    ///
    /// A block may hold tombstones out of order (XSETID may go below deleted entries), so,
    /// like Redis's iterator, this walks entries rather than trusting block keys: forward it
    /// stops at the first live entry above `end`, in reverse at the first below `start`.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Entries<'_> {
        let backward = if rev {
            let upto = self.blocks.range(..=end).next_back().map(|(k, _)| *k);
            Some(match upto {
                Some(k) if !end.is_zero() => self.blocks.range(..=k),
                _ => self.blocks.range(..),
            })
        } else {
            None
        };
        Entries {
            cursor: self.cursor(start),
            backward,
            pending: Vec::new(),
            start,
            end,
            done: false,
        }
    }

    /// The live entry with this ID.
    pub fn get(&self, id: StreamId) -> Option<EntryRef<'_>> {
        self.range(id, id, false).next()
    }

    /// Deletes the live entry with this ID; false when there is none. A block losing its last
    /// live entry goes.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let found = self
            .cursor(id)
            .find(|(_, _, e)| !e.deleted && e.id >= id)
            .filter(|(_, _, e)| e.id == id)
            .map(|(master, offset, _)| (master, offset));
        let Some((master, offset)) = found else {
            return false;
        };
        let Some(block) = self.blocks.get_mut(&master) else {
            return false;
        };
        if block.live == 1 {
            self.blocks.remove(&master);
        } else {
            block.mark_deleted(offset);
        }
        true
    }

    /// Trims from the head as Redis's streamTrim does; `length` is the stream's live count,
    /// updated. Returns how many entries went.
    pub fn trim(&mut self, trim: Trim, length: &mut u64) -> u64 {
        let mut removed = 0;
        while let Some(mut first) = self.blocks.first_entry() {
            if let TrimBy::MaxLen(max) = trim.by {
                if *length <= max {
                    break;
                }
            }
            let block = first.get();
            if trim.limit != 0 && removed + block.live > trim.limit {
                break;
            }
            let whole = match trim.by {
                TrimBy::MaxLen(max) => *length - block.live >= max,
                TrimBy::MinId(min) => block.last < min,
            };
            if whole {
                *length -= block.live;
                removed += block.live;
                first.remove();
                continue;
            }
            if trim.approx {
                break;
            }
            let master = *first.key();
            let block = first.get_mut();
            let mut doomed = Vec::new();
            let mut left = *length;
            for (offset, e) in block.entries(master) {
                let stop = match trim.by {
                    TrimBy::MaxLen(max) => left <= max,
                    TrimBy::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.deleted {
                    doomed.push(offset);
                    left -= 1;
                }
            }
            for offset in &doomed {
                block.mark_deleted(*offset);
            }
            *length = left;
            removed += doomed.len() as u64;
            break;
        }
        removed
    }

    pub fn heap_size(&self) -> usize {
        // A B-tree slot per block: its key and the block header.
        let slot = std::mem::size_of::<StreamId>() + std::mem::size_of::<Block>();
        self.blocks.values().map(|b| slot + b.heap_size()).sum()
    }
}

/// Every entry of the blocks of a B-tree range, with its block's key and byte offset.
struct Cursor<'a> {
    blocks: std::collections::btree_map::Range<'a, StreamId, Block>,
    block: Option<(StreamId, BlockEntries<'a>)>,
}

impl<'a> Iterator for Cursor<'a> {
    type Item = (StreamId, usize, EntryRef<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((master, entries)) = &mut self.block {
                if let Some((offset, e)) = entries.next() {
                    return Some((*master, offset, e));
                }
            }
            let (&master, block) = self.blocks.next()?;
            self.block = Some((master, block.entries(master)));
        }
    }
}

/// Live entries of a range (see `Store::range`).
pub struct Entries<'a> {
    cursor: Cursor<'a>,
    /// In reverse: the blocks left to read, from the back.
    backward: Option<std::collections::btree_map::Range<'a, StreamId, Block>>,
    /// In reverse: the current block's live entries up to `end`, popped from the back.
    pending: Vec<EntryRef<'a>>,
    start: StreamId,
    end: StreamId,
    done: bool,
}

impl<'a> Iterator for Entries<'a> {
    type Item = EntryRef<'a>;

    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.done {
            return None;
        }
        if let Some(blocks) = &mut self.backward {
            loop {
                if let Some(e) = self.pending.pop() {
                    if e.id < self.start {
                        break;
                    }
                    return Some(e);
                }
                let Some((&master, block)) = blocks.next_back() else {
                    break;
                };
                let end = self.end;
                self.pending.extend(
                    block
                        .entries(master)
                        .map(|(_, e)| e)
                        .filter(|e| !e.deleted && e.id <= end),
                );
            }
        } else {
            for (_, _, e) in self.cursor.by_ref() {
                if e.deleted || e.id < self.start {
                    continue;
                }
                if e.id > self.end {
                    break;
                }
                return Some(e);
            }
        }
        self.done = true;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn pairs(s: &str) -> Vec<&[u8]> {
        s.split(' ').map(str::as_bytes).collect()
    }

    fn ids(e: Entries<'_>) -> Vec<StreamId> {
        e.map(|e| e.id).collect()
    }

    fn fields(e: &EntryRef<'_>) -> Vec<(String, String)> {
        e.fields()
            .map(|(f, v)| {
                (
                    String::from_utf8_lossy(f).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn entries_round_trip_with_and_without_master_fields() {
        let mut s = Store::default();
        let l = NodeLimits::default();
        s.push(id(5, 3), &pairs("a 1 b 2"), l);
        s.push(id(5, 4), &pairs("a x b y"), l);
        s.push(id(7, 0), &pairs("c z"), l);
        s.push(id(u64::MAX, u64::MAX), &pairs("a  b "), l);
        let all: Vec<_> = s.range(StreamId::MIN, StreamId::MAX, false).collect();
        assert_eq!(
            all.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![id(5, 3), id(5, 4), id(7, 0), StreamId::MAX]
        );
        assert_eq!(
            fields(&all[1]),
            vec![("a".into(), "x".into()), ("b".into(), "y".into())]
        );
        assert_eq!(fields(&all[2]), vec![("c".into(), "z".into())]);
        assert_eq!(
            fields(&all[3]),
            vec![("a".into(), "".into()), ("b".into(), "".into())]
        );
        assert_eq!(s.block_count(), 1);
        assert_eq!(
            s.get(id(7, 0)).map(|e| fields(&e)),
            Some(vec![("c".into(), "z".into())])
        );
        assert!(s.get(id(7, 1)).is_none());
    }

    #[test]
    fn ranges_forward_and_reverse() {
        let mut s = Store::default();
        let l = NodeLimits {
            max_bytes: 0,
            max_entries: 3,
        };
        for ms in 1..=10 {
            s.push(id(ms, 0), &pairs("f v"), l);
        }
        assert_eq!(s.block_count(), 4);
        assert_eq!(
            ids(s.range(id(3, 0), id(7, 0), false)),
            (3..=7).map(|m| id(m, 0)).collect::<Vec<_>>()
        );
        assert_eq!(
            ids(s.range(id(3, 0), id(7, 0), true)),
            (3..=7).rev().map(|m| id(m, 0)).collect::<Vec<_>>()
        );
        assert_eq!(ids(s.range(id(4, 1), id(4, 5), false)), vec![]);
        assert_eq!(ids(s.range(id(9, 0), id(2, 0), true)), vec![]);
        assert_eq!(ids(s.range(id(0, 5), id(1, 0), true)), vec![id(1, 0)]);
        assert_eq!(
            ids(s.range(id(10, 0), StreamId::MAX, true)),
            vec![id(10, 0)]
        );
    }

    #[test]
    fn delete_leaves_tombstones_then_drops_the_block() {
        let mut s = Store::default();
        let l = NodeLimits {
            max_bytes: 0,
            max_entries: 2,
        };
        for ms in 1..=4 {
            s.push(id(ms, 0), &pairs("f v"), l);
        }
        assert!(s.delete(id(1, 0)));
        assert!(!s.delete(id(1, 0)));
        assert!(!s.delete(id(1, 5)));
        assert_eq!(s.block_count(), 2);
        assert_eq!(
            ids(s.range(StreamId::MIN, StreamId::MAX, false)),
            vec![id(2, 0), id(3, 0), id(4, 0)]
        );
        assert!(s.delete(id(2, 0)));
        assert_eq!(s.block_count(), 1);
        assert!(s.delete(id(4, 0)));
        // The tail block keeps its tombstone, so it still counts toward the entry limit.
        s.push(id(5, 0), &pairs("f v"), l);
        assert_eq!(s.block_count(), 2);
        assert_eq!(
            ids(s.range(StreamId::MIN, StreamId::MAX, true)),
            vec![id(5, 0), id(3, 0)]
        );
    }

    #[test]
    fn blocks_split_where_redis_nodes_do() {
        // 100 entries per node by default.
        let mut s = Store::default();
        for i in 1..=250 {
            s.push(id(i, 0), &pairs("f v"), NodeLimits::default());
        }
        assert_eq!(s.block_count(), 3);
        // 4096 bytes (counts checked against redis-server's XINFO radix-tree-keys).
        let mut s = Store::default();
        let big = "x".repeat(1000);
        let fv = format!("a {big} b {big}");
        for i in 1..=5 {
            s.push(id(i, 0), &pairs(&fv), NodeLimits::default());
        }
        assert_eq!(s.block_count(), 3);
        let fv = format!("a {}", "x".repeat(1000));
        let mut s = Store::default();
        for i in 1..=8 {
            s.push(id(i, 0), &pairs(&fv), NodeLimits::default());
        }
        assert_eq!(s.block_count(), 2);
    }

    #[test]
    fn listpack_sizes() {
        assert_eq!(lp_str_size(b"v1"), 4);
        assert_eq!(lp_str_size(b"12"), 2);
        assert_eq!(lp_str_size(b"-1"), 3);
        assert_eq!(lp_str_size(b"012"), 5);
        assert_eq!(lp_str_size(&[b'x'; 63]), 65);
        assert_eq!(lp_str_size(&[b'x'; 64]), 67);
        assert_eq!(lp_int_size(i64::MIN), 10);
        assert_eq!(lp_int_size(70_000), 5);
    }

    #[test]
    fn exact_and_approximate_trims() {
        let fill = || {
            let mut s = Store::default();
            let l = NodeLimits {
                max_bytes: 0,
                max_entries: 10,
            };
            for ms in 1..=35 {
                s.push(id(ms, 0), &pairs("f v"), l);
            }
            s
        };
        let trim = |by, approx, limit| Trim { by, approx, limit };
        let mut s = fill();
        let mut len = 35;
        assert_eq!(s.trim(trim(TrimBy::MaxLen(12), true, 0), &mut len), 20);
        assert_eq!(len, 15);
        assert_eq!(s.trim(trim(TrimBy::MaxLen(12), false, 0), &mut len), 3);
        assert_eq!(len, 12);
        assert_eq!(
            ids(s.range(StreamId::MIN, StreamId::MAX, false)).first(),
            Some(&id(24, 0))
        );
        let mut s = fill();
        let mut len = 35;
        assert_eq!(s.trim(trim(TrimBy::MaxLen(0), true, 15), &mut len), 10);
        assert_eq!(
            s.trim(trim(TrimBy::MinId(id(25, 0)), true, 0), &mut len),
            10
        );
        assert_eq!(
            s.trim(trim(TrimBy::MinId(id(25, 0)), false, 0), &mut len),
            4
        );
        assert_eq!(len, 11);
        assert_eq!(s.trim(trim(TrimBy::MaxLen(0), false, 0), &mut len), 11);
        assert!(s.is_empty());
    }
}
