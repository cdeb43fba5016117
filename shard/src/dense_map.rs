//! The hashtable encoding of hashes and sets: elements in one dense vector, found through a
//! table of 4-byte indexes into it.
//!
//! Against a table of (field, value) slots this costs ~5 bytes per slot instead of ~48 for the
//! empty ones, gives O(1) uniform random picks (SRANDMEMBER, SPOP, HRANDFIELD), and makes
//! HSCAN/SSCAN cursors simple: removal moves the last element into the hole, so a cursor that
//! walks the vector from the end downwards never misses an element that stays put (it may
//! return one twice, which SCAN allows).

use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::inline_bytes::InlineBytes;

/// One seed per process (so a client cannot precompute colliding names), chosen at first use.
fn hasher() -> &'static FixedState {
    static STATE: OnceLock<FixedState> = OnceLock::new();
    STATE.get_or_init(|| FixedState::with_seed(rand::random()))
}

fn hash(key: &[u8]) -> u64 {
    hasher().hash_one(key)
}

#[derive(Clone, Default)]
pub struct DenseMap<V> {
    entries: Vec<(InlineBytes, V)>,
    index: HashTable<u32>,
}

impl<V: PartialEq> PartialEq for DenseMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .entries
                .iter()
                .all(|(k, v)| other.get(k).is_some_and(|w| w == v))
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for DenseMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<V> DenseMap<V> {
    pub fn new() -> Self {
        DenseMap {
            entries: Vec::new(),
            index: HashTable::new(),
        }
    }

    pub fn with_capacity(n: usize) -> Self {
        DenseMap {
            entries: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(hash(key), |&i| &*entries[i as usize].0 == key)
            .map(|&i| i as usize)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        let i = self.find(key)?;
        Some(&mut self.entries[i].1)
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        if let Some(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        let i = self.entries.len() as u32;
        self.entries.push((InlineBytes::new(key), value));
        let entries = &self.entries;
        self.index
            .insert_unique(hash(key), i, |&j| hash(&entries[j as usize].0));
        None
    }

    /// Removes `key`; the last element takes its place in the vector.
    pub fn remove(&mut self, key: &[u8]) -> Option<(InlineBytes, V)> {
        let h = hash(key);
        let entries = &self.entries;
        let slot = self
            .index
            .find_entry(h, |&i| &*entries[i as usize].0 == key)
            .ok()?;
        let (i, _) = slot.remove();
        Some(self.swap_out(i as usize))
    }

    /// Removes the element at vector position `i` (a random pick).
    pub fn remove_at(&mut self, i: usize) -> (InlineBytes, V) {
        let h = hash(&self.entries[i].0);
        if let Ok(slot) = self.index.find_entry(h, |&j| j as usize == i) {
            slot.remove();
        }
        self.swap_out(i)
    }

    /// Takes element `i` out of the vector, whose index entry is already gone, moving the
    /// last element into its place and repointing that element's index entry.
    fn swap_out(&mut self, i: usize) -> (InlineBytes, V) {
        let last = self.entries.len() - 1;
        if i != last {
            let h = hash(&self.entries[last].0);
            if let Some(slot) = self.index.find_mut(h, |&j| j as usize == last) {
                *slot = i as u32;
            }
        }
        let out = self.entries.swap_remove(i);
        if self.entries.capacity() > 64 && self.entries.len() < self.entries.capacity() / 4 {
            self.shrink();
        }
        out
    }

    fn shrink(&mut self) {
        self.entries.shrink_to(self.entries.len() * 2);
        let entries = &self.entries;
        self.index
            .shrink_to(entries.len() * 2, |&j| hash(&entries[j as usize].0));
    }

    /// The element at vector position `i` (for random picks and scans).
    pub fn get_index(&self, i: usize) -> Option<(&InlineBytes, &V)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&InlineBytes, &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &InlineBytes> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }

    /// Heap bytes held by the vector and the index (element bytes outside both excluded).
    pub fn table_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<(InlineBytes, V)>()
            + self.index.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    /// One step of a SCAN-style walk: visits up to `count` elements below `cursor` (0 starts a
    /// walk) and returns the next cursor, 0 when the walk is over.
    pub fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&InlineBytes, &V)) -> u64 {
        let top = if cursor == 0 {
            self.entries.len()
        } else {
            (cursor as usize).min(self.entries.len())
        };
        let bottom = top.saturating_sub(count.max(1));
        for (k, v) in self.entries[bottom..top].iter().rev() {
            visit(k, v);
        }
        bottom as u64
    }
}

impl<V> FromIterator<(InlineBytes, V)> for DenseMap<V> {
    fn from_iter<I: IntoIterator<Item = (InlineBytes, V)>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut m = DenseMap::with_capacity(iter.size_hint().0);
        for (k, v) in iter {
            m.insert(&k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Vec<u8> {
        format!("field:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove() {
        let mut m = DenseMap::new();
        for i in 0..1000 {
            assert_eq!(m.insert(&key(i), i), None);
        }
        assert_eq!(m.insert(&key(7), 70), Some(7));
        assert_eq!(m.len(), 1000);
        for i in (0..1000).step_by(3) {
            assert_eq!(
                m.remove(&key(i)).map(|(_, v)| v),
                Some(if i == 7 { 70 } else { i })
            );
        }
        assert_eq!(m.remove(&key(0)), None);
        for i in 0..1000 {
            let expected = (i % 3 != 0).then_some(if i == 7 { 70 } else { i });
            assert_eq!(m.get(&key(i)).copied(), expected, "{i}");
        }
        while !m.is_empty() {
            m.remove_at(m.len() / 2);
        }
        assert_eq!(m.get(&key(1)), None);
    }

    #[test]
    fn a_scan_returns_every_element_that_stays_while_the_map_changes() {
        let mut m = DenseMap::new();
        for i in 0..500 {
            m.insert(&key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = m.scan(cursor, 7, |k, _| {
                seen.insert(k.to_vec());
            });
            // Churn: remove elements >= 400 and add new ones between steps.
            step += 1;
            m.remove(&key(400 + step));
            m.insert(&key(10_000 + step), ());
            if cursor == 0 {
                break;
            }
        }
        for i in 0..400 {
            assert!(seen.contains(&key(i)), "missed {i}");
        }
    }

    #[test]
    fn equality_ignores_order() {
        let a: DenseMap<u8> = [(InlineBytes::new(b"a"), 1), (InlineBytes::new(b"b"), 2)]
            .into_iter()
            .collect();
        let b: DenseMap<u8> = [(InlineBytes::new(b"b"), 2), (InlineBytes::new(b"a"), 1)]
            .into_iter()
            .collect();
        assert_eq!(a, b);
    }
}
