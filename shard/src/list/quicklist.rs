//! The list structure: a deque of packed nodes, as Redis's quicklist.
//!
//! Elements live in nodes of a few kilobytes (`list-max-listpack-size`), each one buffer of
//! packed entries, so a list of short strings costs about their bytes plus two each; the deque
//! of nodes makes both ends O(1), and reaching index i walks whole nodes from the nearer end
//! before walking entries inside one.

use std::collections::VecDeque;

use bytes::Bytes;

use super::node::{entry_size, Node};
use crate::limits;
use crate::value::Collection;

/// Which end of a list (LEFT is the head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
    /// Packed bytes over all nodes, so MEMORY USAGE does not walk the list.
    bytes: usize,
}

/// How far a node may fill, from `list-max-listpack-size`: negative values cap its bytes
/// (-1 = 4 KB ... -5 = 64 KB), positive ones its entries (under an 8 KB safety cap), as the
/// quicklist fill factor does.
#[derive(Clone, Copy)]
struct Fill {
    max_bytes: usize,
    max_count: usize,
}

const SIZE_SAFETY_LIMIT: usize = 8192;

impl Fill {
    fn current() -> Fill {
        let fill = limits::get().list_max_listpack_size;
        if fill < 0 {
            let level = fill.unsigned_abs().min(5) as u32;
            Fill {
                max_bytes: 4096 << (level - 1),
                max_count: usize::MAX,
            }
        } else {
            Fill {
                max_bytes: SIZE_SAFETY_LIMIT,
                max_count: (fill as usize).max(1),
            }
        }
    }

    fn admits(&self, node: &Node, elem_len: usize) -> bool {
        node.len() < self.max_count && node.bytes() + entry_size(elem_len) <= self.max_bytes
    }

    fn overfull(&self, node: &Node) -> bool {
        node.len() > 1 && (node.len() > self.max_count || node.bytes() > self.max_bytes)
    }

    fn can_merge(&self, a: &Node, b: &Node) -> bool {
        a.len() + b.len() <= self.max_count && a.bytes() + b.bytes() <= self.max_bytes
    }
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    /// A list of `elems` in order (SORT ... STORE).
    pub fn from_elements<E: AsRef<[u8]>>(elems: impl IntoIterator<Item = E>) -> List {
        let mut list = List::new();
        for e in elems {
            list.push(End::Tail, e.as_ref());
        }
        list
    }

    /// The elements in order, owned (what SORT sorts).
    pub fn sort_elements(&self) -> Vec<Bytes> {
        self.iter().map(Bytes::copy_from_slice).collect()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        self.nodes.iter().flat_map(Node::iter)
    }

    /// The elements from index `start` on (none when `start >= len()`).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (node, inner) = self.locate(start);
        self.nodes.range(node..).flat_map(Node::iter).skip(inner)
    }

    /// Runs `edit` on node `i`, keeping the byte count in step.
    fn edit<R>(&mut self, i: usize, edit: impl FnOnce(&mut Node) -> R) -> R {
        let node = &mut self.nodes[i];
        let before = node.bytes();
        let r = edit(node);
        self.bytes = self.bytes - before + node.bytes();
        r
    }

    /// Index of the node at `end`, if any.
    fn end_node(&self, end: End) -> Option<usize> {
        match end {
            End::Head => (!self.nodes.is_empty()).then_some(0),
            End::Tail => self.nodes.len().checked_sub(1),
        }
    }

    pub fn push(&mut self, end: End, elem: &[u8]) {
        let fill = Fill::current();
        match self.end_node(end) {
            Some(i) if fill.admits(&self.nodes[i], elem.len()) => self.edit(i, |n| match end {
                End::Head => n.push_front(elem),
                End::Tail => n.push_back(elem),
            }),
            _ => {
                let node = Node::with(elem);
                self.bytes += node.bytes();
                if self.nodes.is_empty() {
                    // Most lists are short: one node slot, not the four a push would reserve.
                    self.nodes.reserve_exact(1);
                }
                match end {
                    End::Head => self.nodes.push_front(node),
                    End::Tail => self.nodes.push_back(node),
                }
            }
        }
        self.len += 1;
    }

    pub fn pop(&mut self, end: End) -> Option<Bytes> {
        let i = self.end_node(end)?;
        let value = self.edit(i, |n| match end {
            End::Head => n.pop_front(),
            End::Tail => n.pop_back(),
        })?;
        if self.nodes[i].is_empty() {
            self.nodes.remove(i);
        }
        self.len -= 1;
        Some(value)
    }

    /// The node holding index `index` and the index inside it; `(nodes, 0)` past the end.
    /// Walks whole nodes from the nearer end of the list.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index >= self.len {
            return (self.nodes.len(), 0);
        }
        if index < self.len / 2 {
            let mut rest = index;
            for (i, n) in self.nodes.iter().enumerate() {
                if rest < n.len() {
                    return (i, rest);
                }
                rest -= n.len();
            }
        } else {
            let mut rest = self.len - 1 - index;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                if rest < n.len() {
                    return (i, n.len() - 1 - rest);
                }
                rest -= n.len();
            }
        }
        (self.nodes.len(), 0)
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        let (node, inner) = self.locate(index);
        Some(self.nodes.get(node)?.get(inner))
    }

    /// Replaces the element at `index`; false when out of range.
    pub fn set(&mut self, index: usize, elem: &[u8]) -> bool {
        let (node, inner) = self.locate(index);
        if node == self.nodes.len() {
            return false;
        }
        self.edit(node, |n| n.replace(inner, elem));
        self.split_overfull(node, Fill::current());
        true
    }

    /// Inserts before the element at `index` (`len()` appends).
    pub fn insert(&mut self, index: usize, elem: &[u8]) {
        if index >= self.len {
            return self.push(End::Tail, elem);
        }
        let (node, inner) = self.locate(index);
        self.edit(node, |n| n.insert(inner, elem));
        self.len += 1;
        self.split_overfull(node, Fill::current());
    }

    /// Splits node `i` until its parts fit (an edit in the middle can overfill it).
    fn split_overfull(&mut self, i: usize, fill: Fill) {
        if fill.overfull(&self.nodes[i]) {
            let tail = self.nodes[i].split_off();
            self.nodes.insert(i + 1, tail);
            self.split_overfull(i + 1, fill);
            self.split_overfull(i, fill);
        }
    }

    /// Removes `n` elements from `end` (all of them when `n >= len()`).
    pub fn remove_end(&mut self, end: End, n: usize) {
        let mut n = n.min(self.len);
        self.len -= n;
        while let Some(i) = self.end_node(end).filter(|_| n > 0) {
            let node_len = self.nodes[i].len();
            if node_len <= n {
                n -= node_len;
                if let Some(node) = self.nodes.remove(i) {
                    self.bytes -= node.bytes();
                }
            } else {
                self.edit(i, |node| match end {
                    End::Head => node.remove_front(n),
                    End::Tail => node.remove_back(n),
                });
                n = 0;
            }
        }
    }

    /// LREM: removes elements equal to `elem`, up to `count` from the head (`count > 0`), up
    /// to `-count` from the tail (`count < 0`) or all (`count == 0`); returns how many.
    pub fn remove_matching(&mut self, elem: &[u8], count: i64) -> usize {
        let from_back = count < 0;
        let mut quota = match count {
            0 => usize::MAX,
            c => usize::try_from(c.unsigned_abs()).unwrap_or(usize::MAX),
        };
        let mut removed = 0;
        for step in 0..self.nodes.len() {
            if quota == 0 {
                break;
            }
            let i = if from_back {
                self.nodes.len() - 1 - step
            } else {
                step
            };
            let n = self.edit(i, |node| node.remove_matching(elem, quota, from_back));
            quota -= n;
            removed += n;
        }
        if removed > 0 {
            self.len -= removed;
            self.compact(Fill::current());
        }
        removed
    }

    /// Drops emptied nodes and merges neighbours that fit in one, so a list thinned out by
    /// removals does not keep a node per survivor.
    fn compact(&mut self, fill: Fill) {
        let mut merged: VecDeque<Node> = VecDeque::with_capacity(self.nodes.len());
        for node in self.nodes.drain(..).filter(|n| !n.is_empty()) {
            match merged.back_mut() {
                Some(last) if fill.can_merge(last, &node) => last.append(&node),
                _ => merged.push_back(node),
            }
        }
        self.nodes = merged;
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Collection for List {
    const TYPE_NAME: &'static str = "list";

    fn len(&self) -> usize {
        self.len
    }

    fn encoding(&self) -> &'static str {
        "quicklist"
    }

    fn heap_size(&self) -> usize {
        self.bytes + self.nodes.capacity() * std::mem::size_of::<Node>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<String> {
        l.iter()
            .map(|e| String::from_utf8_lossy(e).into_owned())
            .collect()
    }

    fn numbers(n: usize) -> List {
        let mut l = List::new();
        for i in 0..n {
            l.push(End::Tail, format!("value:{i}").as_bytes());
        }
        l
    }

    /// The invariants every operation keeps.
    fn check(l: &List) {
        assert_eq!(l.nodes.iter().map(Node::len).sum::<usize>(), l.len);
        assert_eq!(l.nodes.iter().map(Node::bytes).sum::<usize>(), l.bytes);
        assert!(l.nodes.iter().all(|n| !n.is_empty()));
        let fill = Fill::current();
        assert!(l.nodes.iter().all(|n| !fill.overfull(n)));
    }

    #[test]
    fn many_elements_fill_nodes_of_8kb() {
        let l = numbers(100_000);
        check(&l);
        assert!(
            l.nodes.len() > 100 && l.nodes.len() < 200,
            "{}",
            l.nodes.len()
        );
        assert_eq!(l.get(0), Some(&b"value:0"[..]));
        assert_eq!(l.get(99_999), Some(&b"value:99999"[..]));
        assert_eq!(l.get(54_321), Some(&b"value:54321"[..]));
        assert_eq!(l.get(100_000), None);
        assert_eq!(l.iter_from(99_998).count(), 2);
        assert_eq!(l.iter_from(100_000).count(), 0);
        assert_eq!(l.iter_from(40_000).next(), Some(&b"value:40000"[..]));
        assert_eq!(l.iter().rev().nth(1), Some(&b"value:99998"[..]));
        // About the packed bytes plus two per element.
        let payload: usize = l.iter().map(|e| e.len() + 2).sum();
        assert!(l.heap_size() < payload + payload / 50);
    }

    #[test]
    fn a_short_list_is_small() {
        let mut l = List::new();
        l.push(End::Tail, b"a");
        assert_eq!(l.nodes.capacity(), 1);
        assert_eq!(l.heap_size(), 3 + std::mem::size_of::<Node>());
        l.push(End::Head, &[b'x'; 9000]);
        assert_eq!(l.nodes.len(), 2);
    }

    #[test]
    fn pushes_and_pops_at_both_ends() {
        let mut l = List::new();
        for i in 0..5000 {
            l.push(End::Head, format!("h{i}").as_bytes());
            l.push(End::Tail, format!("t{i}").as_bytes());
        }
        check(&l);
        assert_eq!(l.len(), 10_000);
        assert_eq!(l.get(0), Some(&b"h4999"[..]));
        assert_eq!(l.get(9999), Some(&b"t4999"[..]));
        for i in (0..5000).rev() {
            assert_eq!(
                l.pop(End::Head).as_deref(),
                Some(format!("h{i}").as_bytes())
            );
        }
        for i in (0..5000).rev() {
            assert_eq!(
                l.pop(End::Tail).as_deref(),
                Some(format!("t{i}").as_bytes())
            );
        }
        check(&l);
        assert!(l.is_empty() && l.nodes.is_empty());
        assert_eq!(l.pop(End::Head), None);
        assert_eq!(l.pop(End::Tail), None);
    }

    #[test]
    fn set_and_insert_split_overfull_nodes() {
        let mut l = numbers(3000);
        let big = vec![b'x'; 6000];
        assert!(l.set(1500, &big));
        check(&l);
        assert!(l.set(0, &big) && l.set(2999, &big));
        assert!(!l.set(3000, b"x"));
        l.insert(1500, &big);
        l.insert(0, b"first");
        l.insert(l.len(), b"last");
        check(&l);
        assert_eq!(l.len(), 3003);
        assert_eq!(l.get(0), Some(&b"first"[..]));
        assert_eq!(l.get(1), Some(&big[..]));
        assert_eq!(l.get(1501), Some(&big[..]));
        assert_eq!(l.get(1502), Some(&big[..]));
        assert_eq!(l.get(1503), Some(&b"value:1501"[..]));
        assert_eq!(l.get(3002), Some(&b"last"[..]));
    }

    #[test]
    fn remove_matching_and_compaction() {
        let mut l = List::new();
        for i in 0..20_000 {
            l.push(End::Tail, if i % 10 == 0 { b"keep" } else { b"drop" });
        }
        let nodes_before = l.nodes.len();
        assert_eq!(l.remove_matching(b"drop", 0), 18_000);
        check(&l);
        assert_eq!(l.len(), 2000);
        assert!(l.nodes.len() * 5 < nodes_before);
        assert_eq!(l.remove_matching(b"keep", -3), 3);
        assert_eq!(l.remove_matching(b"keep", 2), 2);
        assert_eq!(l.remove_matching(b"none", 0), 0);
        assert_eq!(l.remove_matching(b"keep", i64::MIN), 1995);
        check(&l);
        assert!(l.is_empty());
    }

    #[test]
    fn remove_matching_honours_direction() {
        let mut l = List::new();
        for e in ["a", "b", "a", "c", "a"] {
            l.push(End::Tail, e.as_bytes());
        }
        assert_eq!(l.remove_matching(b"a", -2), 2);
        assert_eq!(items(&l), ["a", "b", "c"]);
    }

    #[test]
    fn remove_from_ends() {
        let mut l = numbers(10_000);
        l.remove_end(End::Head, 2500);
        l.remove_end(End::Tail, 2500);
        check(&l);
        assert_eq!(l.len(), 5000);
        assert_eq!(l.get(0), Some(&b"value:2500"[..]));
        assert_eq!(l.get(4999), Some(&b"value:7499"[..]));
        l.remove_end(End::Tail, 0);
        l.remove_end(End::Head, usize::MAX);
        check(&l);
        assert!(l.is_empty());
    }

    #[test]
    fn equality_ignores_node_layout() {
        let a = numbers(5000);
        let mut b = numbers(5000);
        b.insert(10, &[b'y'; 8000]);
        assert_ne!(a, b);
        b.remove_matching(&[b'y'; 8000], 0);
        assert_eq!(a, b);
    }
}
