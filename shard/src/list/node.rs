//! One node of a list: a run of elements packed in one buffer, as a quicklist node's listpack.
//!
//! Each entry is `[length][bytes][length, bytes reversed]`; the length is LEB128 (one byte below
//! 128). The copy at the end lets a list be walked, popped and indexed from its tail as cheaply
//! as from its head, which the shared forward-only `Listpack` cannot do. A short element costs
//! its bytes plus two, as in Redis's listpack.

use std::ops::Range;

use bytes::Bytes;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    buf: Vec<u8>,
    count: u32,
}

/// The largest node byte limit (`list-max-listpack-size -5`); see `Node::grow_for`.
const MAX_ROUNDED: usize = 64 * 1024;

/// Where one entry lies in the buffer.
#[derive(Clone, Debug)]
struct Span {
    entry: Range<usize>,
    data: Range<usize>,
}

/// Bytes an element takes in a node.
pub fn entry_size(elem_len: usize) -> usize {
    2 * header(elem_len).1 + elem_len
}

/// The LEB128 length an entry starts with (it ends with the same bytes reversed) and how many
/// bytes of the array it takes.
fn header(len: usize) -> ([u8; 10], usize) {
    let mut header = [0u8; 10];
    let mut n = len;
    let mut h = 0;
    loop {
        let group = (n & 0x7f) as u8;
        n >>= 7;
        header[h] = if n == 0 { group } else { group | 0x80 };
        h += 1;
        if n == 0 {
            return (header, h);
        }
    }
}

/// The entry starting at `start`.
fn span_at(buf: &[u8], start: usize) -> Span {
    let (mut n, mut shift, mut at) = (0usize, 0, start);
    loop {
        let b = buf[at];
        n |= ((b & 0x7f) as usize) << shift;
        at += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let header = at - start;
    Span {
        entry: start..at + n + header,
        data: at..at + n,
    }
}

/// The entry ending at `end`.
fn span_before(buf: &[u8], end: usize) -> Span {
    let (mut n, mut shift, mut at) = (0usize, 0, end);
    loop {
        at -= 1;
        let b = buf[at];
        n |= ((b & 0x7f) as usize) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let trailer = end - at;
    let data_start = at - n;
    Span {
        entry: data_start - trailer..end,
        data: data_start..at,
    }
}

impl Node {
    pub fn with(elem: &[u8]) -> Node {
        let mut node = Node::default();
        node.push_back(elem);
        node
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of packed entries: what the node's fill limit is measured against.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter(self.spans())
    }

    /// The entry at `index`, walking from the nearer end.
    fn span(&self, index: usize) -> Span {
        debug_assert!(index < self.len());
        if index <= self.len() / 2 {
            let mut s = span_at(&self.buf, 0);
            for _ in 0..index {
                s = span_at(&self.buf, s.entry.end);
            }
            s
        } else {
            let mut s = span_before(&self.buf, self.buf.len());
            for _ in index + 1..self.len() {
                s = span_before(&self.buf, s.entry.start);
            }
            s
        }
    }

    pub fn get(&self, index: usize) -> &[u8] {
        &self.buf[self.span(index).data]
    }

    /// Writes `elem`'s entry over `range` of the buffer (an empty range inserts it).
    fn put_entry(&mut self, range: Range<usize>, elem: &[u8]) {
        let (header, h) = header(elem.len());
        let (at, size) = (range.start, 2 * h + elem.len());
        self.grow_for(size.saturating_sub(range.len()));
        self.buf.splice(range, std::iter::repeat_n(0, size));
        let (head, rest) = self.buf[at..at + size].split_at_mut(h);
        let (data, tail) = rest.split_at_mut(elem.len());
        head.copy_from_slice(&header[..h]);
        data.copy_from_slice(elem);
        for (d, s) in tail.iter_mut().zip(header[..h].iter().rev()) {
            *d = *s;
        }
    }

    pub fn push_back(&mut self, elem: &[u8]) {
        let end = self.buf.len();
        self.put_entry(end..end, elem);
        self.count += 1;
    }

    pub fn push_front(&mut self, elem: &[u8]) {
        self.put_entry(0..0, elem);
        self.count += 1;
    }

    /// Inserts before entry `index` (`len()` appends).
    pub fn insert(&mut self, index: usize, elem: &[u8]) {
        let at = if index == self.len() {
            self.buf.len()
        } else {
            self.span(index).entry.start
        };
        self.put_entry(at..at, elem);
        self.count += 1;
    }

    pub fn replace(&mut self, index: usize, elem: &[u8]) {
        let span = self.span(index);
        self.put_entry(span.entry, elem);
    }

    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.is_empty() {
            return None;
        }
        let span = span_at(&self.buf, 0);
        let value = Bytes::copy_from_slice(&self.buf[span.data]);
        self.buf.drain(span.entry);
        self.count -= 1;
        Some(value)
    }

    pub fn pop_back(&mut self) -> Option<Bytes> {
        if self.is_empty() {
            return None;
        }
        let span = span_before(&self.buf, self.buf.len());
        let value = Bytes::copy_from_slice(&self.buf[span.data]);
        self.buf.truncate(span.entry.start);
        self.count -= 1;
        Some(value)
    }

    /// Removes the first `n` entries (`n < len()`).
    pub fn remove_front(&mut self, n: usize) {
        let end = if n == 0 {
            0
        } else {
            self.span(n - 1).entry.end
        };
        self.buf.drain(..end);
        self.count -= n as u32;
        self.release_slack();
    }

    /// Removes the last `n` entries (`n < len()`).
    pub fn remove_back(&mut self, n: usize) {
        let start = if n == 0 {
            self.buf.len()
        } else {
            self.span(self.len() - n).entry.start
        };
        self.buf.truncate(start);
        self.count -= n as u32;
        self.release_slack();
    }

    /// Removes up to `quota` entries equal to `elem`, the first ones or (`from_back`) the last
    /// ones; returns how many went.
    pub fn remove_matching(&mut self, elem: &[u8], quota: usize, from_back: bool) -> usize {
        let matching = |s: &Span| &self.buf[s.data.clone()] == elem;
        let mut doomed: Vec<Range<usize>> = if from_back {
            let mut v: Vec<_> = self
                .spans()
                .rev()
                .filter(matching)
                .take(quota)
                .map(|s| s.entry)
                .collect();
            v.reverse();
            v
        } else {
            self.spans()
                .filter(matching)
                .take(quota)
                .map(|s| s.entry)
                .collect()
        };
        if doomed.is_empty() {
            return 0;
        }
        let removed = doomed.len();
        let mut kept = Vec::with_capacity(self.buf.len());
        let mut from = 0;
        for r in doomed.drain(..) {
            kept.extend_from_slice(&self.buf[from..r.start]);
            from = r.end;
        }
        kept.extend_from_slice(&self.buf[from..]);
        self.buf = kept;
        self.count -= removed as u32;
        removed
    }

    /// Moves the second half (by bytes) of a node of two or more entries into a new node.
    pub fn split_off(&mut self) -> Node {
        let half = self.buf.len() / 2;
        let mut at = 0;
        let mut kept = 0;
        for s in self.spans() {
            at = s.entry.end;
            kept += 1;
            if at >= half || kept + 1 == self.len() {
                break;
            }
        }
        let tail = Node {
            buf: self.buf[at..].to_vec(),
            count: self.count - kept as u32,
        };
        self.buf.truncate(at);
        self.count = kept as u32;
        self.release_slack();
        tail
    }

    /// Appends every entry of `other`.
    pub fn append(&mut self, other: &Node) {
        self.grow_for(other.buf.len());
        self.buf.extend_from_slice(&other.buf);
        self.count += other.count;
    }

    /// Makes room for `additional` more bytes. Capacities go by powers of two, so a node
    /// filled to its byte limit (a power of two) ends with no slack, where doubling from its
    /// first entry's size would overshoot into the next allocator size class; a node bigger
    /// than any limit holds one big element and gets its exact size.
    fn grow_for(&mut self, additional: usize) {
        let needed = self.buf.len() + additional;
        if needed > self.buf.capacity() {
            let target = if needed <= MAX_ROUNDED {
                needed.next_power_of_two()
            } else {
                needed
            };
            self.buf.reserve_exact(target - self.buf.len());
        }
    }

    /// Returns capacity a shrunken node no longer needs (removals must not pin memory).
    fn release_slack(&mut self) {
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
    }

    fn spans(&self) -> Spans<'_> {
        Spans {
            buf: &self.buf,
            front: 0,
            back: self.buf.len(),
        }
    }
}

/// Entries from either end.
struct Spans<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl Iterator for Spans<'_> {
    type Item = Span;

    fn next(&mut self) -> Option<Span> {
        if self.front >= self.back {
            return None;
        }
        let s = span_at(self.buf, self.front);
        self.front = s.entry.end;
        Some(s)
    }
}

impl DoubleEndedIterator for Spans<'_> {
    fn next_back(&mut self) -> Option<Span> {
        if self.front >= self.back {
            return None;
        }
        let s = span_before(self.buf, self.back);
        self.back = s.entry.start;
        Some(s)
    }
}

/// The elements of a node, from either end.
pub struct Iter<'a>(Spans<'a>);

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let buf = self.0.buf;
        self.0.next().map(|s| &buf[s.data])
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<&'a [u8]> {
        let buf = self.0.buf;
        self.0.next_back().map(|s| &buf[s.data])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: &Node) -> Vec<Vec<u8>> {
        n.iter().map(<[u8]>::to_vec).collect()
    }

    fn node(elems: &[&[u8]]) -> Node {
        let mut n = Node::default();
        for e in elems {
            n.push_back(e);
        }
        n
    }

    #[test]
    fn both_ends() {
        let big = vec![7u8; 20_000];
        let mut n = Node::with(b"b");
        n.push_front(b"a");
        n.push_back(&big);
        n.push_back(b"");
        assert_eq!(n.len(), 4);
        assert_eq!(n.bytes(), 3 + 3 + entry_size(20_000) + 2);
        assert_eq!(entry_size(20_000), 20_006);
        assert_eq!(
            n.iter().rev().map(<[u8]>::len).collect::<Vec<_>>(),
            [0, 20_000, 1, 1]
        );
        assert_eq!(n.get(2), &big[..]);
        assert_eq!(n.get(1), b"b");
        assert_eq!(n.pop_back().as_deref(), Some(&b""[..]));
        assert_eq!(n.pop_back().map(|b| b.len()), Some(20_000));
        assert_eq!(n.pop_front().as_deref(), Some(&b"a"[..]));
        assert_eq!(n.pop_front().as_deref(), Some(&b"b"[..]));
        assert_eq!(n.pop_front(), None);
        assert_eq!(n.pop_back(), None);
        assert_eq!(n.bytes(), 0);
    }

    #[test]
    fn a_full_node_has_no_slack() {
        let mut n = Node::default();
        while n.bytes() + entry_size(12) <= 8192 {
            n.push_back(b"value:123456");
        }
        assert_eq!(n.buf.capacity(), 8192);
        let mut big = Node::with(&[1; 100_000]);
        assert_eq!(big.buf.capacity(), entry_size(100_000));
        big.push_front(b"x");
        assert_eq!(big.buf.capacity(), entry_size(100_000) + 3);
    }

    #[test]
    fn iterators_meet_in_the_middle() {
        let n = node(&[b"1", b"2", b"3"]);
        let mut it = n.iter();
        assert_eq!(it.next(), Some(&b"1"[..]));
        assert_eq!(it.next_back(), Some(&b"3"[..]));
        assert_eq!(it.next(), Some(&b"2"[..]));
        assert_eq!(it.next_back(), None);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn edits_in_the_middle() {
        let mut n = node(&[b"a", b"b", b"c", b"d", b"e"]);
        n.insert(0, b"0");
        n.insert(3, b"x");
        n.insert(7, b"z");
        n.replace(5, &[b'L'; 200]);
        assert_eq!(n.get(5).len(), 200);
        n.replace(5, b"D");
        assert_eq!(
            items(&n),
            [&b"0"[..], b"a", b"b", b"x", b"c", b"D", b"e", b"z"]
        );
        n.remove_front(2);
        n.remove_back(3);
        assert_eq!(items(&n), [&b"b"[..], b"x", b"c"]);
        n.remove_front(0);
        n.remove_back(0);
        assert_eq!(n.len(), 3);
    }

    #[test]
    fn removes_matches_from_either_end() {
        let mut n = node(&[b"a", b"b", b"a", b"c", b"a"]);
        assert_eq!(n.remove_matching(b"a", 1, true), 1);
        assert_eq!(items(&n), [&b"a"[..], b"b", b"a", b"c"]);
        assert_eq!(n.remove_matching(b"a", 1, false), 1);
        assert_eq!(items(&n), [&b"b"[..], b"a", b"c"]);
        assert_eq!(n.remove_matching(b"z", 5, false), 0);
        assert_eq!(n.remove_matching(b"a", usize::MAX, false), 1);
        assert_eq!(items(&n), [&b"b"[..], b"c"]);
    }

    #[test]
    fn split_and_append() {
        let mut n = node(&[b"aaaa", b"b", b"c", b"dddd"]);
        let tail = n.split_off();
        assert_eq!(items(&n), [&b"aaaa"[..], b"b"]);
        assert_eq!(items(&tail), [&b"c"[..], b"dddd"]);
        n.append(&tail);
        assert_eq!(n.len(), 4);
        assert_eq!(n.get(3), b"dddd");
        // A node of two never keeps both halves in one.
        let mut two = node(&[&[b'x'; 300], b"y"]);
        let tail = two.split_off();
        assert_eq!((two.len(), tail.len()), (1, 1));
    }
}
