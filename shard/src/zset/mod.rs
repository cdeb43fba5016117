//! Sorted sets (Redis's t_zset.c): the structure and its commands.
//!
//! A sorted set starts compact (`listpack`: one buffer, O(n) operations for small n) and turns
//! into the indexed encoding (`skiplist` to OBJECT ENCODING) when it outgrows
//! `zset-max-listpack-entries` / `-value`, exactly when Redis converts. The indexed encoding is
//! an order-statistic B+tree (O(log n) insert, delete, rank, select) beside a member → score
//! hash map (O(1) ZSCORE), as Redis pairs its skiplist with a dict.

mod commands;
mod compact;
mod parse;
mod ranges;
mod setops;
mod tree;

use bytes::Bytes;

use crate::command::{flag::*, keys_after_numkeys, spec, CommandSpec, Split};
use crate::dense_map::DenseMap;
use crate::limits;
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;
use crate::value::Collection;

use compact::Compact;
use parse::Interval;
use tree::{ScoreTree, Scored};

pub use setops::MemberSet;

/// Raises a sorted set event on `key`.
fn notify(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    ctx.notify(KeyspaceEvents::ZSET, event, key);
}

/// The events of a command that removed members from `key`: `event`, then `del` if the
/// sorted set is empty now.
fn notify_removed(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    notify(ctx, event, key);
    ctx.drop_if_empty(key);
}

/// The store step of ZRANGESTORE and the ZUNIONSTORE family, raising `event`.
fn store(ctx: &mut Ctx<'_>, dest: &[u8], result: SortedSet, event: &'static str) {
    ctx.store(dest, result, KeyspaceEvents::ZSET, event);
}

#[derive(Clone, Debug, PartialEq)]
pub enum SortedSet {
    Compact(Compact),
    Indexed(Box<Indexed>),
}

/// The big encoding: the tree orders the entries, the map finds a member's score.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Indexed {
    tree: ScoreTree,
    scores: DenseMap<f64>,
    /// Bytes of members too long to be stored inline (held twice: tree and map).
    long_member_bytes: usize,
}

impl Default for SortedSet {
    fn default() -> Self {
        SortedSet::Compact(Compact::default())
    }
}

impl Collection for SortedSet {
    const TYPE_NAME: &'static str = "zset";

    fn len(&self) -> usize {
        match self {
            SortedSet::Compact(c) => c.len(),
            SortedSet::Indexed(x) => x.tree.len(),
        }
    }

    fn encoding(&self) -> &'static str {
        match self {
            SortedSet::Compact(_) => "listpack",
            SortedSet::Indexed(_) => "skiplist",
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            SortedSet::Compact(c) => c.heap_size(),
            SortedSet::Indexed(x) => {
                std::mem::size_of::<Indexed>()
                    + x.tree.heap_bytes()
                    + x.scores.table_bytes()
                    + 2 * x.long_member_bytes
            }
        }
    }
}

impl Indexed {
    /// Built from entries in order, O(n).
    fn from_sorted(entries: Vec<Scored>) -> Indexed {
        let mut scores = DenseMap::with_capacity(entries.len());
        let mut long_member_bytes = 0;
        for e in &entries {
            scores.insert(&e.member, e.score);
            long_member_bytes += e.member.heap_size();
        }
        Indexed {
            tree: ScoreTree::from_sorted(entries),
            scores,
            long_member_bytes,
        }
    }

    fn insert(&mut self, member: &[u8], score: f64) {
        let entry = Scored::new(member, score);
        self.long_member_bytes += entry.member.heap_size();
        self.tree.insert(entry);
        self.scores.insert(member, score);
    }

    fn remove(&mut self, member: &[u8]) -> bool {
        let Some((m, score)) = self.scores.remove(member) else {
            return false;
        };
        self.long_member_bytes -= m.heap_size();
        self.tree.remove(score, member)
    }
}

/// Entries walked from a rank, forwards or backwards.
pub enum Entries<'a> {
    Compact(std::vec::IntoIter<(&'a [u8], f64)>),
    Tree(tree::Iter<'a>),
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<(&'a [u8], f64)> {
        match self {
            Entries::Compact(it) => it.next(),
            Entries::Tree(it) => it.next().map(|e| (&*e.member, e.score)),
        }
    }
}

impl SortedSet {
    /// A sorted set holding `entries` (distinct members, any order), in the encoding Redis
    /// gives the result of ZUNIONSTORE and friends: compact when small enough.
    pub fn from_entries(mut entries: Vec<(Bytes, f64)>) -> SortedSet {
        sort_entries(&mut entries);
        let l = limits::get();
        let longest = entries.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
        if entries.len() <= l.zset_max_listpack_entries && longest <= l.zset_max_listpack_value {
            let mut c = Compact::default();
            for (m, s) in &entries {
                c.push(m, *s);
            }
            return SortedSet::Compact(c);
        }
        let entries = entries
            .into_iter()
            .map(|(m, s)| Scored::new(&m, s))
            .collect();
        SortedSet::Indexed(Box::new(Indexed::from_sorted(entries)))
    }

    /// An empty sorted set about to receive `n` members: indexed from the start when they
    /// will not fit the compact encoding (Redis's `zsetTypeCreate`).
    pub fn sized_for(n: usize) -> SortedSet {
        if n > limits::get().zset_max_listpack_entries {
            SortedSet::Indexed(Box::default())
        } else {
            SortedSet::default()
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            SortedSet::Compact(c) => c.find(member).map(|(_, s)| s),
            SortedSet::Indexed(x) => x.scores.get(member).copied(),
        }
    }

    /// 0-based position of `member` in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        match self {
            SortedSet::Compact(c) => c.find(member).map(|(i, _)| i),
            SortedSet::Indexed(x) => {
                let score = *x.scores.get(member)?;
                x.tree.rank(score, member)
            }
        }
    }

    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.iter_at(rank, false).next()
    }

    /// Entries from `rank` towards the end, or towards the start when `rev`.
    pub fn iter_at(&self, rank: usize, rev: bool) -> Entries<'_> {
        match self {
            SortedSet::Compact(c) => {
                let mut v = c.pairs();
                if rank >= v.len() {
                    v.clear();
                } else if rev {
                    v.truncate(rank + 1);
                    v.reverse();
                } else {
                    v.drain(..rank);
                }
                Entries::Compact(v.into_iter())
            }
            SortedSet::Indexed(x) => Entries::Tree(x.tree.iter_at(rank, rev)),
        }
    }

    /// Adds a member that is not in the set, converting to the indexed encoding first when
    /// the set would outgrow the compact one (as Redis does before inserting).
    pub fn add(&mut self, member: &[u8], score: f64) {
        if let SortedSet::Compact(c) = self {
            let l = limits::get();
            if c.len() < l.zset_max_listpack_entries && member.len() <= l.zset_max_listpack_value {
                c.insert(member, score);
                return;
            }
            self.convert();
        }
        if let SortedSet::Indexed(x) = self {
            x.insert(member, score);
        }
    }

    fn convert(&mut self) {
        if let SortedSet::Compact(c) = self {
            let entries = c.iter().map(|(m, s)| Scored::new(m, s)).collect();
            *self = SortedSet::Indexed(Box::new(Indexed::from_sorted(entries)));
        }
    }

    /// Moves an existing member to a new score.
    pub fn set_score(&mut self, member: &[u8], score: f64) {
        match self {
            SortedSet::Compact(c) => {
                if let Some((i, _)) = c.find(member) {
                    c.remove_range(i, i + 1);
                    c.insert(member, score);
                }
            }
            SortedSet::Indexed(x) => {
                if let Some(old) = x.scores.insert(member, score) {
                    x.tree.remove(old, member);
                    x.tree.insert(Scored::new(member, score));
                }
            }
        }
    }

    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SortedSet::Compact(c) => match c.find(member) {
                Some((i, _)) => {
                    c.remove_range(i, i + 1);
                    true
                }
                None => false,
            },
            SortedSet::Indexed(x) => x.remove(member),
        }
    }

    /// Removes the entries of ranks `start..end`; returns how many went.
    pub fn remove_ranks(&mut self, start: usize, end: usize) -> usize {
        let end = end.min(self.len());
        if start >= end {
            return 0;
        }
        match self {
            SortedSet::Compact(c) => c.remove_range(start, end),
            SortedSet::Indexed(x) => {
                let Indexed {
                    tree,
                    scores,
                    long_member_bytes,
                } = &mut **x;
                tree.remove_range(start, end, |e| {
                    *long_member_bytes -= e.member.heap_size();
                    scores.remove(&e.member);
                });
            }
        }
        end - start
    }

    /// Redis's `zslIsInRange`/`zzlIsInRange`: false when the interval is empty or lies past
    /// either end of the set.
    fn may_overlap(&self, r: &impl Interval) -> bool {
        let len = self.len();
        if r.is_empty() || len == 0 {
            return false;
        }
        let above = self.get(len - 1).is_some_and(|(m, s)| r.above_min(m, s));
        let below = self.get(0).is_some_and(|(m, s)| r.below_max(m, s));
        above && below
    }

    /// Rank of the first entry in `r` (Redis's `zslFirstInRange` and its listpack twin,
    /// including their answers on member orders a lex range does not follow).
    pub fn first_in(&self, r: &impl Interval) -> Option<usize> {
        if !self.may_overlap(r) {
            return None;
        }
        let i = match self {
            SortedSet::Compact(c) => c.iter().position(|(m, s)| r.above_min(m, s))?,
            SortedSet::Indexed(x) => x.tree.partition_point(|e| !r.above_min(&e.member, e.score)),
        };
        self.get(i).filter(|&(m, s)| r.below_max(m, s)).map(|_| i)
    }

    /// Rank of the last entry in `r` (`zslLastInRange`).
    pub fn last_in(&self, r: &impl Interval) -> Option<usize> {
        if !self.may_overlap(r) {
            return None;
        }
        let i = match self {
            SortedSet::Compact(c) => c.pairs().iter().rposition(|&(m, s)| r.below_max(m, s))?,
            SortedSet::Indexed(x) => x
                .tree
                .partition_point(|e| r.below_max(&e.member, e.score))
                .checked_sub(1)?,
        };
        self.get(i).filter(|&(m, s)| r.above_min(m, s)).map(|_| i)
    }

    /// How many entries the range walk from `first_in` covers (ZCOUNT, ZLEXCOUNT): a scan on
    /// the compact encoding, two rank lookups on the indexed one.
    pub fn count_in(&self, r: &impl Interval) -> usize {
        let Some(first) = self.first_in(r) else {
            return 0;
        };
        match self {
            SortedSet::Compact(_) => self.walk_len(first, r),
            SortedSet::Indexed(_) => match self.last_in(r) {
                Some(last) => (last + 1).saturating_sub(first),
                None => self.len() - first,
            },
        }
    }

    /// Entries from `first` upwards while they stay below the interval's max.
    fn walk_len(&self, first: usize, r: &impl Interval) -> usize {
        self.iter_at(first, false)
            .take_while(|&(m, s)| r.below_max(m, s))
            .count()
    }

    /// Removes the entries of `r` (ZREMRANGEBYSCORE, ZREMRANGEBYLEX); returns how many.
    pub fn remove_in(&mut self, r: &impl Interval) -> usize {
        let Some(first) = self.first_in(r) else {
            return 0;
        };
        let n = self.walk_len(first, r);
        self.remove_ranks(first, first + n)
    }

    /// The members in order, for SORT.
    pub fn sort_elements(&self) -> Vec<Bytes> {
        self.iter_at(0, false)
            .map(|(m, _)| Bytes::copy_from_slice(m))
            .collect()
    }
}

/// Puts (member, score) pairs in sorted-set order.
fn sort_entries(entries: &mut [(Bytes, f64)]) {
    entries.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
}

const ACL_READ_FAST: &[&str] = &["read", "sortedset", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "sortedset", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "sortedset", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "sortedset", "slow"];
const ACL_BLOCKING_FAST: &[&str] = &["write", "sortedset", "fast", "blocking"];
const ACL_BLOCKING_SLOW: &[&str] = &["write", "sortedset", "slow", "blocking"];
const GROUP: &str = "sorted-set";

/// `numkeys key...` right after the command name.
fn keys_at_1(args: &[Bytes]) -> Vec<usize> {
    keys_after_numkeys(args, 1)
}

/// A timeout, then `numkeys key...`.
fn keys_at_2(args: &[Bytes]) -> Vec<usize> {
    keys_after_numkeys(args, 2)
}

/// A destination, then `numkeys key...`.
fn dest_and_keys_at_2(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    keys.extend(keys_after_numkeys(args, 2));
    keys
}

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("zadd", -4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, GROUP, "Add one or more members to a sorted set, or update its score if it already exists", "1.2.0", Some(commands::zadd), Split::None),
    spec("zincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, GROUP, "Increment the score of a member in a sorted set", "1.2.0", Some(commands::zincrby), Split::None),
    spec("zrem", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, GROUP, "Remove one or more members from a sorted set", "1.2.0", Some(commands::zrem), Split::None),
    spec("zscore", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Get the score associated with the given member in a sorted set", "1.2.0", Some(commands::zscore), Split::None),
    spec("zmscore", -3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Get the score associated with the given members in a sorted set", "6.2.0", Some(commands::zmscore), Split::None),
    spec("zcard", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Get the number of members in a sorted set", "1.2.0", Some(commands::zcard), Split::None),
    spec("zrank", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Determine the index of a member in a sorted set", "2.0.0", Some(commands::zrank), Split::None),
    spec("zrevrank", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Determine the index of a member in a sorted set, with scores ordered from high to low", "2.0.0", Some(commands::zrevrank), Split::None),
    spec("zpopmin", -2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, GROUP, "Remove and return members with the lowest scores in a sorted set", "5.0.0", Some(commands::zpopmin), Split::None),
    spec("zpopmax", -2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, GROUP, "Remove and return members with the highest scores in a sorted set", "5.0.0", Some(commands::zpopmax), Split::None),
    spec("zmpop", -4, WRITE, (0, 0, 0), ACL_WRITE_SLOW, GROUP, "Remove and return members with scores in a sorted set", "7.0.0", Some(commands::zmpop), Split::Transaction).movable(keys_at_1),
    spec("bzpopmin", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), ACL_BLOCKING_FAST, GROUP, "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", "5.0.0", Some(commands::bzpopmin), Split::Transaction),
    spec("bzpopmax", -3, WRITE | NOSCRIPT | BLOCKING | FAST, (1, -2, 1), ACL_BLOCKING_FAST, GROUP, "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", "5.0.0", Some(commands::bzpopmax), Split::Transaction),
    spec("bzmpop", -5, WRITE | BLOCKING, (0, 0, 0), ACL_BLOCKING_SLOW, GROUP, "Remove and return members with scores in a sorted set or block until one is available", "7.0.0", Some(commands::bzmpop), Split::Transaction).movable(keys_at_2),
    spec("zrandmember", -2, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Get one or multiple random elements from a sorted set", "6.2.0", Some(commands::zrandmember), Split::None),
    spec("zscan", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Incrementally iterate sorted sets elements and associated scores", "2.8.0", Some(commands::zscan), Split::None),
    spec("zcount", 4, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Count the members in a sorted set with scores within the given values", "2.0.0", Some(ranges::zcount), Split::None),
    spec("zlexcount", 4, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, GROUP, "Count the number of members in a sorted set between a given lexicographical range", "2.8.9", Some(ranges::zlexcount), Split::None),
    spec("zrange", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set", "1.2.0", Some(ranges::zrange), Split::None),
    spec("zrangestore", -5, WRITE | DENYOOM, (1, 2, 1), ACL_WRITE_SLOW, GROUP, "Store a range of members from sorted set into another key", "6.2.0", Some(ranges::zrangestore), Split::Transaction),
    spec("zrevrange", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set, by index, with scores ordered from high to low", "1.2.0", Some(ranges::zrevrange), Split::None),
    spec("zrangebyscore", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set, by score", "1.0.5", Some(ranges::zrangebyscore), Split::None),
    spec("zrevrangebyscore", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set, by score, with scores ordered from high to low", "2.2.0", Some(ranges::zrevrangebyscore), Split::None),
    spec("zrangebylex", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set, by lexicographical range", "2.8.9", Some(ranges::zrangebylex), Split::None),
    spec("zrevrangebylex", -4, READONLY, (1, 1, 1), ACL_READ_SLOW, GROUP, "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", "2.8.9", Some(ranges::zrevrangebylex), Split::None),
    spec("zremrangebyscore", 4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Remove all members in a sorted set within the given scores", "1.2.0", Some(ranges::zremrangebyscore), Split::None),
    spec("zremrangebyrank", 4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Remove all members in a sorted set within the given indexes", "2.0.0", Some(ranges::zremrangebyrank), Split::None),
    spec("zremrangebylex", 4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Remove all members in a sorted set between the given lexicographical range", "2.8.9", Some(ranges::zremrangebylex), Split::None),
    spec("zunion", -3, READONLY, (0, 0, 0), ACL_READ_SLOW, GROUP, "Add multiple sorted sets", "6.2.0", Some(setops::zunion), Split::Transaction).movable(keys_at_1),
    spec("zinter", -3, READONLY, (0, 0, 0), ACL_READ_SLOW, GROUP, "Intersect multiple sorted sets", "6.2.0", Some(setops::zinter), Split::Transaction).movable(keys_at_1),
    spec("zdiff", -3, READONLY, (0, 0, 0), ACL_READ_SLOW, GROUP, "Subtract multiple sorted sets", "6.2.0", Some(setops::zdiff), Split::Transaction).movable(keys_at_1),
    spec("zintercard", -3, READONLY, (0, 0, 0), ACL_READ_SLOW, GROUP, "Intersect multiple sorted sets and return the cardinality of the result", "7.0.0", Some(setops::zintercard), Split::Transaction).movable(keys_at_1),
    spec("zunionstore", -4, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Add multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", Some(setops::zunionstore), Split::Transaction).movable(dest_and_keys_at_2),
    spec("zinterstore", -4, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Intersect multiple sorted sets and store the resulting sorted set in a new key", "2.0.0", Some(setops::zinterstore), Split::Transaction).movable(dest_and_keys_at_2),
    spec("zdiffstore", -4, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, GROUP, "Subtract multiple sorted sets and store the resulting sorted set in a new key", "6.2.0", Some(setops::zdiffstore), Split::Transaction).movable(dest_and_keys_at_2),
];

#[cfg(test)]
mod tests {
    use super::parse::{LexRange, ScoreRange};
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn contents(z: &SortedSet) -> Vec<(Vec<u8>, f64)> {
        z.iter_at(0, false).map(|(m, s)| (m.to_vec(), s)).collect()
    }

    /// The two encodings answer every query alike (scores kept away from -0, which only the
    /// compact one normalizes; lex ranges only over one score, as Redis's skiplist answers
    /// them by chance otherwise).
    #[test]
    fn compact_and_indexed_agree() {
        let mut rng = SmallRng::seed_from_u64(3);
        for round in 0..200 {
            // Every other round keeps one score, so that members are in lex order too.
            let one_score = round % 2 == 0;
            let mut small = SortedSet::default();
            let mut big = SortedSet::Indexed(Box::default());
            for _ in 0..rng.gen_range(0..100) {
                let m = format!("m{}", rng.gen_range(0..60)).into_bytes();
                let s = if one_score {
                    0.25
                } else {
                    rng.gen_range(-5..5) as f64 / 2.0 + 0.25
                };
                match (small.score(&m), rng.gen_range(0..10)) {
                    (None, _) => {
                        small.add(&m, s);
                        big.add(&m, s);
                    }
                    (Some(_), 0..=2) => {
                        assert!(small.remove(&m) && big.remove(&m));
                    }
                    (Some(_), _) => {
                        small.set_score(&m, s);
                        big.set_score(&m, s);
                    }
                }
            }
            assert!(matches!(small, SortedSet::Compact(_)));
            assert_eq!(contents(&small), contents(&big));
            let len = small.len();
            for m in ["m1", "m7", "m30", "nope"] {
                assert_eq!(small.rank(m.as_bytes()), big.rank(m.as_bytes()));
                assert_eq!(small.score(m.as_bytes()), big.score(m.as_bytes()));
            }
            for _ in 0..5 {
                let (a, b) = (rng.gen_range(-3..4) as f64, rng.gen_range(-3..4) as f64);
                let r = ScoreRange {
                    min: a,
                    max: b,
                    min_ex: rng.gen_bool(0.5),
                    max_ex: rng.gen_bool(0.5),
                };
                assert_eq!(small.first_in(&r), big.first_in(&r), "{r:?}");
                assert_eq!(small.last_in(&r), big.last_in(&r), "{r:?}");
                assert_eq!(small.count_in(&r), big.count_in(&r), "{r:?}");
                let rank = rng.gen_range(0..len + 2);
                let rev = rng.gen_bool(0.5);
                assert!(small.iter_at(rank, rev).eq(big.iter_at(rank, rev)));
            }
            if one_score {
                let lex = LexRange::parse(&Bytes::from_static(b"[m2"), &Bytes::from_static(b"(m4"));
                let lex = lex.unwrap_or_else(|e| panic!("{e:?}"));
                assert_eq!(small.first_in(&lex), big.first_in(&lex));
                assert_eq!(small.last_in(&lex), big.last_in(&lex));
                assert_eq!(small.count_in(&lex), big.count_in(&lex));
            }
            let r = ScoreRange {
                min: -1.0,
                max: 1.0,
                min_ex: false,
                max_ex: true,
            };
            assert_eq!(small.remove_in(&r), big.remove_in(&r));
            let (a, b) = (rng.gen_range(0..len + 1), rng.gen_range(0..len + 1));
            assert_eq!(small.remove_ranks(a, b), big.remove_ranks(a, b));
            assert_eq!(contents(&small), contents(&big));
        }
    }

    #[test]
    fn compact_scores_drop_the_sign_of_zero() {
        let mut small = SortedSet::default();
        small.add(b"a", -0.0);
        assert!(small.score(b"a").is_some_and(|s| s.is_sign_positive()));
        let mut big = SortedSet::Indexed(Box::default());
        big.add(b"a", -0.0);
        assert!(big.score(b"a").is_some_and(|s| s.is_sign_negative()));
        let built = SortedSet::from_entries(vec![(Bytes::from_static(b"b"), -0.0)]);
        assert!(built.score(b"b").is_some_and(|s| s.is_sign_positive()));
    }
}
