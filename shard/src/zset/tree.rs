//! The order-statistic structure of big sorted sets: a B+tree of (score, member) entries whose
//! inner nodes count the entries under each child.
//!
//! Redis uses a skiplist with spans; a B+tree gives the same O(log n) insert, delete, rank and
//! select in safe code, with far fewer allocations: entries sit 64 to a leaf, so a million of
//! them cost ~16k allocations instead of a million nodes. Leaves split at the insertion point
//! when it is at an end, so the common ascending (timestamps, counters) and descending insert
//! orders leave full leaves behind instead of half-empty ones; a full leaf with a neighbour
//! that has room lends it an entry instead of splitting.
//!
//! Each inner node keeps one lower bound per child but the first: every entry of child `i` is
//! `>= bounds[i - 1]` and every entry of the children before it is `< bounds[i - 1]`. A bound is
//! a copy of the first entry its child had when it was set; deleting that entry leaves the bound
//! in place, still a valid separator.

use std::cmp::Ordering;

use crate::inline_bytes::InlineBytes;

/// Most entries in a leaf, most children of an inner node.
const MAX_WIDTH: usize = 64;
/// A node narrower than this (not the root) is merged with or refilled from a sibling.
const MIN_WIDTH: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub score: f64,
    pub member: InlineBytes,
}

impl Scored {
    pub fn new(member: &[u8], score: f64) -> Scored {
        Scored {
            score,
            member: InlineBytes::new(member),
        }
    }

    /// The sorted-set order: by score, then by member bytes. Scores are never NaN; `-0` and
    /// `0` compare equal, as in Redis.
    pub fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        match self.score.partial_cmp(&score) {
            Some(Ordering::Equal) | None => (*self.member).cmp(member),
            Some(o) => o,
        }
    }

    fn is_before(&self, other: &Scored) -> bool {
        self.cmp_key(other.score, &other.member) == Ordering::Less
    }
}

#[derive(Clone, Debug)]
enum Node {
    Leaf(Vec<Scored>),
    Inner(Box<Inner>),
}

#[derive(Clone, Debug)]
struct Inner {
    children: Vec<Node>,
    /// Entries under each child.
    counts: Vec<usize>,
    /// `bounds[i]` separates `children[i]` from `children[i + 1]`.
    bounds: Vec<Scored>,
}

impl Node {
    /// Entries or children: what the fill limits are about.
    fn width(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.children.len(),
        }
    }

    fn entries(&self) -> usize {
        match self {
            Node::Leaf(v) => v.len(),
            Node::Inner(n) => n.counts.iter().sum(),
        }
    }

    fn first(&self) -> Option<&Scored> {
        match self {
            Node::Leaf(v) => v.first(),
            Node::Inner(n) => n.children.first().and_then(Node::first),
        }
    }

    /// Moves every entry of the subtree, in order, to `visit`.
    fn drain_into(self, visit: &mut dyn FnMut(Scored)) {
        match self {
            Node::Leaf(v) => v.into_iter().for_each(visit),
            Node::Inner(n) => n.children.into_iter().for_each(|c| c.drain_into(visit)),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Node::Leaf(v) => v.capacity() * std::mem::size_of::<Scored>(),
            Node::Inner(n) => {
                std::mem::size_of::<Inner>()
                    + n.children.capacity() * std::mem::size_of::<Node>()
                    + n.counts.capacity() * std::mem::size_of::<usize>()
                    + n.bounds.capacity() * std::mem::size_of::<Scored>()
                    + n.bounds.iter().map(|b| b.member.heap_size()).sum::<usize>()
                    + n.children.iter().map(Node::heap_bytes).sum::<usize>()
            }
        }
    }

    /// Adds `item` (absent) under this node; returns the new right sibling and its bound when
    /// the node had to split.
    fn insert(&mut self, item: Scored) -> Option<(Scored, Node)> {
        match self {
            Node::Leaf(v) => {
                let pos = v.partition_point(|x| x.is_before(&item));
                if v.len() < MAX_WIDTH {
                    v.insert(pos, item);
                    return None;
                }
                let right = if pos == v.len() {
                    vec![item]
                } else if pos == 0 {
                    std::mem::replace(v, vec![item])
                } else {
                    let mut right = v.split_off(MAX_WIDTH / 2);
                    if pos <= v.len() {
                        v.insert(pos, item);
                    } else {
                        right.insert(pos - MAX_WIDTH / 2, item);
                    }
                    right
                };
                let bound = right.first()?.clone();
                Some((bound, Node::Leaf(right)))
            }
            Node::Inner(n) => n.insert(item),
        }
    }

    /// Removes and returns the entry at `rank` (which must be below `entries()`).
    fn remove_at(&mut self, rank: usize) -> Option<Scored> {
        match self {
            Node::Leaf(v) => (rank < v.len()).then(|| v.remove(rank)),
            Node::Inner(n) => {
                let (i, local) = n.locate(rank)?;
                let removed = n.children[i].remove_at(local)?;
                n.counts[i] -= 1;
                n.fix_from(i);
                Some(removed)
            }
        }
    }

    /// Removes the entries of ranks `start..end` (within the subtree), in order, to `visit`.
    fn remove_range(&mut self, start: usize, end: usize, visit: &mut dyn FnMut(Scored)) {
        match self {
            Node::Leaf(v) => {
                let end = end.min(v.len());
                if start < end {
                    v.drain(start..end).for_each(visit);
                }
            }
            Node::Inner(n) => n.remove_range(start, end, visit),
        }
    }

    /// Appends `right` (the next sibling, of the same height) to this node; `bound` is the
    /// bound that separated them.
    fn absorb(&mut self, right: Node, bound: Scored) {
        match (self, right) {
            (Node::Leaf(l), Node::Leaf(r)) => l.extend(r),
            (Node::Inner(l), Node::Inner(r)) => {
                let r = *r;
                l.bounds.push(bound);
                l.bounds.extend(r.bounds);
                l.children.extend(r.children);
                l.counts.extend(r.counts);
            }
            // Siblings always have the same height.
            _ => {}
        }
    }
}

impl Inner {
    /// The child holding `rank` and the rank inside it.
    fn locate(&self, mut rank: usize) -> Option<(usize, usize)> {
        for (i, &c) in self.counts.iter().enumerate() {
            if rank < c {
                return Some((i, rank));
            }
            rank -= c;
        }
        None
    }

    /// The child an entry `item` belongs under.
    fn route(&self, item: &Scored) -> usize {
        self.bounds.partition_point(|b| !item.is_before(b))
    }

    fn insert(&mut self, item: Scored) -> Option<(Scored, Node)> {
        let mut i = self.route(&item);
        if self.lend_to_sibling(i) {
            i = self.route(&item);
        }
        self.counts[i] += 1;
        let (bound, right) = self.children[i].insert(item)?;
        let moved = right.entries();
        self.counts[i] -= moved;
        self.children.insert(i + 1, right);
        self.counts.insert(i + 1, moved);
        self.bounds.insert(i, bound);
        if self.children.len() <= MAX_WIDTH {
            return None;
        }
        // Same policy as leaves: a child added at an end starts a new node of its own.
        let at = match i + 1 {
            1 => 1,
            last if last == MAX_WIDTH => MAX_WIDTH,
            _ => self.children.len() / 2,
        };
        self.split(at)
    }

    /// Moves children `at..` into a new right sibling; returns it with its bound.
    fn split(&mut self, at: usize) -> Option<(Scored, Node)> {
        let children = self.children.split_off(at);
        let counts = self.counts.split_off(at);
        let bounds = self.bounds.split_off(at);
        let bound = self.bounds.pop()?;
        Some((
            bound,
            Node::Inner(Box::new(Inner {
                children,
                counts,
                bounds,
            })),
        ))
    }

    /// Makes room in the full leaf `i` by moving its edge entry into a neighbour with room
    /// for two (so that either can then take the new entry), rather than splitting it. Leaves
    /// then stay fuller under random inserts, and interleaved inserts at a leaf's edge cannot
    /// leave a trail of one-entry leaves. Returns whether it moved one.
    fn lend_to_sibling(&mut self, i: usize) -> bool {
        if self.children[i].width() < MAX_WIDTH || !matches!(self.children[i], Node::Leaf(_)) {
            return false;
        }
        let roomy = |n: &Node| n.width() + 2 <= MAX_WIDTH;
        if self.children.get(i + 1).is_some_and(roomy) {
            let (left, right) = self.children.split_at_mut(i + 1);
            if let (Node::Leaf(a), Node::Leaf(b)) = (&mut left[i], &mut right[0]) {
                if let Some(last) = a.pop() {
                    self.bounds[i] = last.clone();
                    b.insert(0, last);
                    self.counts[i] -= 1;
                    self.counts[i + 1] += 1;
                    return true;
                }
            }
        }
        if i > 0 && roomy(&self.children[i - 1]) {
            let (left, right) = self.children.split_at_mut(i);
            if let (Node::Leaf(a), Node::Leaf(b)) = (&mut left[i - 1], &mut right[0]) {
                if b.len() > 1 {
                    a.push(b.remove(0));
                    self.bounds[i - 1] = b[0].clone();
                    self.counts[i - 1] += 1;
                    self.counts[i] -= 1;
                    return true;
                }
            }
        }
        false
    }

    /// After child `i` lost entries: drops it if empty, else merges or refills it (and any
    /// neighbour that ends up too narrow) until every child but a lone one is wide enough.
    fn fix_from(&mut self, mut i: usize) {
        while i < self.children.len() {
            if self.children[i].width() == 0 {
                self.children.remove(i);
                self.counts.remove(i);
                if !self.bounds.is_empty() {
                    self.bounds.remove(i.saturating_sub(1));
                }
                i = i.saturating_sub(1);
                continue;
            }
            if self.children.len() > 1 && self.children[i].width() < MIN_WIDTH {
                let left = i.saturating_sub(1);
                self.rebalance(left);
                i = left;
                if self.children[left].width() < MIN_WIDTH && self.children.len() > 1 {
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Merges children `l` and `l + 1`, or spreads their contents evenly when that would be
    /// too wide.
    fn rebalance(&mut self, l: usize) {
        if l + 1 >= self.children.len() {
            return;
        }
        let total = self.children[l].width() + self.children[l + 1].width();
        if total <= MAX_WIDTH {
            let right = self.children.remove(l + 1);
            let moved = self.counts.remove(l + 1);
            let bound = self.bounds.remove(l);
            self.children[l].absorb(right, bound);
            self.counts[l] += moved;
            return;
        }
        let target = total / 2;
        if self.children[l].width() == target {
            return;
        }
        let (left, right) = self.children.split_at_mut(l + 1);
        let (left, right) = (&mut left[l], &mut right[0]);
        let bound = &mut self.bounds[l];
        match (left, right) {
            (Node::Leaf(a), Node::Leaf(b)) => {
                if a.len() < target {
                    let k = target - a.len();
                    a.extend(b.drain(..k));
                } else {
                    let k = a.len() - target;
                    let tail: Vec<Scored> = a.drain(a.len() - k..).collect();
                    b.splice(0..0, tail);
                }
                if let Some(first) = b.first() {
                    *bound = first.clone();
                }
            }
            (Node::Inner(a), Node::Inner(b)) => {
                if a.children.len() < target {
                    let k = target - a.children.len();
                    a.children.extend(b.children.drain(..k));
                    a.counts.extend(b.counts.drain(..k));
                    let mut moved: Vec<Scored> = b.bounds.drain(..k).collect();
                    if let Some(new_bound) = moved.pop() {
                        a.bounds.push(std::mem::replace(bound, new_bound));
                        a.bounds.extend(moved);
                    }
                } else {
                    let k = a.children.len() - target;
                    let m = a.children.len();
                    let children: Vec<Node> = a.children.drain(m - k..).collect();
                    let counts: Vec<usize> = a.counts.drain(m - k..).collect();
                    let mut moved: Vec<Scored> = a.bounds.drain(m - k - 1..).collect();
                    let new_bound = moved.remove(0);
                    moved.push(std::mem::replace(bound, new_bound));
                    b.bounds.splice(0..0, moved);
                    b.children.splice(0..0, children);
                    b.counts.splice(0..0, counts);
                }
            }
            _ => {}
        }
        self.counts[l] = self.children[l].entries();
        self.counts[l + 1] = self.children[l + 1].entries();
    }

    fn remove_range(&mut self, start: usize, end: usize, visit: &mut dyn FnMut(Scored)) {
        let mut offset = 0;
        let mut i = 0;
        let mut first_touched = None;
        while i < self.children.len() && offset < end {
            let c = self.counts[i];
            let (lo, hi) = (start.max(offset), end.min(offset + c));
            if lo < hi && lo == offset && hi == offset + c {
                let child = self.children.remove(i);
                self.counts.remove(i);
                if !self.bounds.is_empty() {
                    self.bounds.remove(i.saturating_sub(1));
                }
                child.drain_into(visit);
                first_touched.get_or_insert(i);
                offset += c;
                continue;
            }
            if lo < hi {
                self.children[i].remove_range(lo - offset, hi - offset, visit);
                self.counts[i] -= hi - lo;
                first_touched.get_or_insert(i);
            }
            offset += c;
            i += 1;
        }
        if let Some(i) = first_touched {
            self.fix_from(i.saturating_sub(1));
        }
    }
}

/// Entries in (score, member) order, with O(log n) access by rank.
#[derive(Clone, Debug)]
pub struct ScoreTree {
    root: Node,
    len: usize,
}

impl Default for ScoreTree {
    fn default() -> Self {
        ScoreTree {
            root: Node::Leaf(Vec::new()),
            len: 0,
        }
    }
}

impl PartialEq for ScoreTree {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter_at(0, false).eq(other.iter_at(0, false))
    }
}

impl ScoreTree {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Builds the tree from entries already in order, with full nodes (O(n)).
    pub fn from_sorted(items: Vec<Scored>) -> ScoreTree {
        let len = items.len();
        let mut level: Vec<Node> = chunks(items)
            .into_iter()
            .map(Node::Leaf)
            .collect::<Vec<_>>();
        while level.len() > 1 {
            level = chunks(level)
                .into_iter()
                .map(|children| {
                    let counts = children.iter().map(Node::entries).collect();
                    let bounds = children
                        .iter()
                        .skip(1)
                        .filter_map(|c| c.first().cloned())
                        .collect();
                    Node::Inner(Box::new(Inner {
                        children,
                        counts,
                        bounds,
                    }))
                })
                .collect();
        }
        ScoreTree {
            root: level.pop().unwrap_or(Node::Leaf(Vec::new())),
            len,
        }
    }

    /// How many entries, from the first, satisfy `pred`, which must hold for a prefix of the
    /// order (binary search, as `slice::partition_point`).
    pub fn partition_point(&self, pred: impl Fn(&Scored) -> bool) -> usize {
        let mut node = &self.root;
        let mut rank = 0;
        loop {
            match node {
                Node::Leaf(v) => return rank + v.partition_point(&pred),
                Node::Inner(n) => {
                    let i = n.bounds.partition_point(&pred);
                    rank += n.counts[..i].iter().sum::<usize>();
                    node = &n.children[i];
                }
            }
        }
    }

    /// The rank of the entry (`score`, `member`), if present.
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let r = self.partition_point(|x| x.cmp_key(score, member) == Ordering::Less);
        self.get(r)
            .filter(|x| x.cmp_key(score, member) == Ordering::Equal)
            .map(|_| r)
    }

    pub fn get(&self, mut rank: usize) -> Option<&Scored> {
        if rank >= self.len {
            return None;
        }
        let mut node = &self.root;
        loop {
            match node {
                Node::Leaf(v) => return v.get(rank),
                Node::Inner(n) => {
                    let (i, local) = n.locate(rank)?;
                    rank = local;
                    node = &n.children[i];
                }
            }
        }
    }

    /// Adds an entry whose member is not in the tree.
    pub fn insert(&mut self, item: Scored) {
        self.len += 1;
        if let Some((bound, right)) = self.root.insert(item) {
            let left = std::mem::replace(&mut self.root, Node::Leaf(Vec::new()));
            let counts = vec![left.entries(), right.entries()];
            self.root = Node::Inner(Box::new(Inner {
                children: vec![left, right],
                counts,
                bounds: vec![bound],
            }));
        }
    }

    pub fn remove(&mut self, score: f64, member: &[u8]) -> bool {
        match self.rank(score, member) {
            Some(r) => self.remove_at(r).is_some(),
            None => false,
        }
    }

    pub fn remove_at(&mut self, rank: usize) -> Option<Scored> {
        if rank >= self.len {
            return None;
        }
        let removed = self.root.remove_at(rank);
        if removed.is_some() {
            self.len -= 1;
            self.collapse_root();
        }
        removed
    }

    /// Removes the entries of ranks `start..end`, passing each to `visit` in order:
    /// O(log n + removed).
    pub fn remove_range(&mut self, start: usize, end: usize, mut visit: impl FnMut(Scored)) {
        let end = end.min(self.len);
        if start >= end {
            return;
        }
        let mut removed = 0;
        self.root.remove_range(start, end, &mut |x| {
            removed += 1;
            visit(x)
        });
        self.len -= removed;
        self.collapse_root();
    }

    fn collapse_root(&mut self) {
        loop {
            match &mut self.root {
                Node::Inner(n) if n.children.len() == 1 => {
                    if let Some(only) = n.children.pop() {
                        self.root = only;
                    }
                }
                Node::Inner(n) if n.children.is_empty() => self.root = Node::Leaf(Vec::new()),
                _ => return,
            }
        }
    }

    /// Entries from rank `rank` upwards, or downwards when `rev`.
    pub fn iter_at(&self, rank: usize, rev: bool) -> Iter<'_> {
        let mut it = Iter {
            path: Vec::new(),
            leaf: &[],
            pos: 0,
            rev,
        };
        if rank >= self.len {
            return it;
        }
        let mut node = &self.root;
        let mut rank = rank;
        loop {
            match node {
                Node::Leaf(v) => {
                    it.leaf = v;
                    it.pos = rank;
                    return it;
                }
                Node::Inner(n) => match n.locate(rank) {
                    Some((i, local)) => {
                        it.path.push((n, i));
                        rank = local;
                        node = &n.children[i];
                    }
                    None => return it,
                },
            }
        }
    }

    /// Heap bytes of the nodes (entries included; long members' own bytes excluded).
    pub fn heap_bytes(&self) -> usize {
        self.root.heap_bytes()
    }
}

/// Splits `items` into runs of at most `MAX_WIDTH`, the last two evened out so that none is
/// narrower than `MIN_WIDTH` (unless there is only one).
fn chunks<T>(items: Vec<T>) -> Vec<Vec<T>> {
    let n = items.len();
    let mut out = Vec::with_capacity(n.div_ceil(MAX_WIDTH));
    let mut it = items.into_iter();
    let mut left = n;
    while left > 0 {
        let take = if left > MAX_WIDTH && left < MAX_WIDTH + MIN_WIDTH {
            left / 2
        } else {
            left.min(MAX_WIDTH)
        };
        let mut chunk = Vec::with_capacity(MAX_WIDTH);
        chunk.extend(it.by_ref().take(take));
        out.push(chunk);
        left -= take;
    }
    out
}

/// Walks entries leaf by leaf, forwards or backwards.
pub struct Iter<'a> {
    path: Vec<(&'a Inner, usize)>,
    leaf: &'a [Scored],
    /// Position in `leaf` of the next entry; past the end when done.
    pos: usize,
    rev: bool,
}

impl<'a> Iter<'a> {
    /// Moves to the next (or previous) non-empty leaf; false at the end of the tree.
    fn step_leaf(&mut self) -> bool {
        while let Some((n, i)) = self.path.pop() {
            let next = if self.rev {
                i.checked_sub(1)
            } else {
                Some(i + 1).filter(|&j| j < n.children.len())
            };
            let Some(j) = next else { continue };
            self.path.push((n, j));
            let mut node = &n.children[j];
            loop {
                match node {
                    Node::Leaf(v) => {
                        self.leaf = v;
                        if v.is_empty() {
                            break;
                        }
                        self.pos = if self.rev { v.len() - 1 } else { 0 };
                        return true;
                    }
                    Node::Inner(m) => {
                        let k = if self.rev { m.children.len() - 1 } else { 0 };
                        self.path.push((m, k));
                        node = &m.children[k];
                    }
                }
            }
        }
        false
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Scored;

    fn next(&mut self) -> Option<&'a Scored> {
        let item = self.leaf.get(self.pos)?;
        let more = if self.rev {
            match self.pos.checked_sub(1) {
                Some(p) => {
                    self.pos = p;
                    true
                }
                None => self.step_leaf(),
            }
        } else {
            self.pos += 1;
            self.pos < self.leaf.len() || self.step_leaf()
        };
        if !more {
            self.pos = usize::MAX;
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn entry(score: f64, member: &str) -> Scored {
        Scored::new(member.as_bytes(), score)
    }

    /// Checks the structure: counts, bounds, equal leaf depth, widths; returns the depth.
    fn check(node: &Node, lo: Option<&Scored>, hi: Option<&Scored>, root: bool) -> usize {
        assert!(node.width() <= MAX_WIDTH, "too wide: {}", node.width());
        if !root {
            assert!(node.width() > 0, "empty node");
        }
        match node {
            Node::Leaf(v) => {
                assert!(
                    v.capacity() <= 2 * MAX_WIDTH,
                    "leaf capacity {}",
                    v.capacity()
                );
                for w in v.windows(2) {
                    assert!(w[0].is_before(&w[1]));
                }
                if let (Some(lo), Some(first)) = (lo, v.first()) {
                    assert!(!first.is_before(lo), "entry below its bound");
                }
                if let (Some(hi), Some(last)) = (hi, v.last()) {
                    assert!(last.is_before(hi), "entry not below the next bound");
                }
                0
            }
            Node::Inner(n) => {
                assert_eq!(n.children.len(), n.counts.len());
                assert_eq!(n.bounds.len() + 1, n.children.len());
                let mut depth = None;
                for (i, c) in n.children.iter().enumerate() {
                    assert_eq!(n.counts[i], c.entries());
                    let clo = if i == 0 { lo } else { Some(&n.bounds[i - 1]) };
                    let chi = n.bounds.get(i).or(hi);
                    let d = check(c, clo, chi, false);
                    assert_eq!(*depth.get_or_insert(d), d, "leaves at different depths");
                }
                depth.unwrap_or(0) + 1
            }
        }
    }

    fn verify(t: &ScoreTree, model: &[Scored]) {
        check(&t.root, None, None, true);
        assert_eq!(t.len(), model.len());
        assert_eq!(t.root.entries(), model.len());
        let all: Vec<&Scored> = t.iter_at(0, false).collect();
        assert_eq!(all.len(), model.len());
        assert!(all.iter().zip(model).all(|(a, b)| *a == b));
        if let Some(last) = model.len().checked_sub(1) {
            let back: Vec<&Scored> = t.iter_at(last, true).collect();
            assert!(back.iter().rev().zip(model).all(|(a, b)| *a == b));
        }
    }

    /// Random operations checked against a sorted vector: `phases` of (steps, percent of
    /// inserts), so the tree grows to several levels and shrinks back.
    fn random_run(seed: u64, phases: &[(usize, u32)]) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut t = ScoreTree::default();
        let mut model: Vec<Scored> = Vec::new();
        let steps = phases.iter().flat_map(|&(n, p)| std::iter::repeat_n(p, n));
        for (step, insert_pct) in steps.enumerate() {
            let op = rng.gen_range(0..100);
            if op < insert_pct || model.len() < 10 {
                // Few distinct scores, so members decide many comparisons.
                let e = entry(
                    rng.gen_range(0..50) as f64,
                    &format!("m{}", rng.gen_range(0..50_000)),
                );
                if model.iter().any(|x| x.member == e.member) {
                    continue;
                }
                let pos = model.partition_point(|x| x.is_before(&e));
                model.insert(pos, e.clone());
                t.insert(e);
            } else if op < insert_pct + (100 - insert_pct) * 6 / 10 {
                let i = rng.gen_range(0..model.len());
                let e = model.remove(i);
                assert!(t.remove(e.score, &e.member));
                assert!(!t.remove(e.score, &e.member));
            } else if op < insert_pct + (100 - insert_pct) * 9 / 10 {
                let i = rng.gen_range(0..model.len());
                assert_eq!(t.remove_at(i).as_ref(), Some(&model[i]));
                model.remove(i);
            } else {
                let a = rng.gen_range(0..model.len());
                let b = (a + rng.gen_range(0..300)).min(model.len());
                let mut gone = Vec::new();
                t.remove_range(a, b, |e| gone.push(e));
                let want: Vec<Scored> = model.drain(a..b).collect();
                assert_eq!(gone, want);
            }
            if step % 197 == 0 {
                verify(&t, &model);
            }
            if !model.is_empty() {
                let i = rng.gen_range(0..model.len());
                assert_eq!(t.get(i), Some(&model[i]));
                assert_eq!(t.rank(model[i].score, &model[i].member), Some(i));
                let s = model[i].score;
                assert_eq!(
                    t.partition_point(|x| x.score < s),
                    model.partition_point(|x| x.score < s)
                );
            }
        }
        verify(&t, &model);
        let n = model.len();
        t.remove_range(0, n, |_| {});
        verify(&t, &[]);
        assert_eq!(t.get(0), None);
        assert_eq!(t.iter_at(0, false).next(), None);
    }

    #[test]
    fn random_operations_match_a_sorted_vector() {
        random_run(42, &[(20_000, 60)]);
        random_run(7, &[(30_000, 95), (10_000, 50), (40_000, 5)]);
    }

    #[test]
    fn edge_inserts_keep_leaves_full() {
        let mut up = ScoreTree::default();
        let mut down = ScoreTree::default();
        let n = 100_000;
        for i in 0..n {
            up.insert(entry(i as f64, "m"));
            down.insert(entry(-(i as f64), "m"));
        }
        for t in [&up, &down] {
            check(&t.root, None, None, true);
            let per_entry = t.heap_bytes() as f64 / n as f64;
            assert!(per_entry < 34.0, "{per_entry} bytes per entry");
        }
        // Random order: full leaves lend to their neighbours before they split.
        let mut rng = SmallRng::seed_from_u64(9);
        let mut t = ScoreTree::default();
        for i in 0..n {
            t.insert(entry(rng.gen(), &i.to_string()));
        }
        check(&t.root, None, None, true);
        let per_entry = t.heap_bytes() as f64 / n as f64;
        assert!(per_entry < 42.0, "{per_entry} bytes per entry");
        // Inserts that keep landing just past the end of a full leaf fill its neighbour.
        let mut t = ScoreTree::default();
        for i in 0..64 {
            t.insert(entry(i as f64, "a"));
        }
        t.insert(entry(1000.0, "a"));
        let mut x = 500.0;
        for _ in 0..2000 {
            t.insert(entry(63.0 + x / 1000.0, "a"));
            x /= 1.001;
        }
        check(&t.root, None, None, true);
        assert!(
            t.heap_bytes() / t.len() < 48,
            "{}",
            t.heap_bytes() / t.len()
        );
    }

    #[test]
    fn bulk_load_and_iterate_from_a_rank() {
        for n in [0, 1, 63, 64, 65, 79, 80, 129, 4096, 4097, 10_000] {
            let items: Vec<Scored> = (0..n).map(|i| entry(i as f64, "x")).collect();
            let t = ScoreTree::from_sorted(items.clone());
            verify(&t, &items);
            if n > 10 {
                let mid: Vec<f64> = t.iter_at(n / 2, true).take(3).map(|e| e.score).collect();
                let h = (n / 2) as f64;
                assert_eq!(mid, vec![h, h - 1.0, h - 2.0]);
                assert_eq!(t.iter_at(n - 1, false).count(), 1);
                assert_eq!(t.iter_at(n, false).count(), 0);
            }
        }
    }

    #[test]
    fn order_is_score_then_member() {
        let a = entry(1.0, "b");
        assert!(entry(1.0, "a").is_before(&a));
        assert!(a.is_before(&entry(2.0, "a")));
        assert!(entry(-0.0, "a").is_before(&entry(0.0, "b")));
        assert!(entry(f64::NEG_INFINITY, "z").is_before(&entry(-1e308, "a")));
    }
}
