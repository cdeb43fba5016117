//! The compact encoding of small sorted sets (Redis's `listpack` encoding): members and scores
//! alternate in one `Listpack`, in (score, member) order, each score as its 8 IEEE bytes.
//! Every operation walks the buffer, which is what Redis does too while a sorted set stays
//! under `zset-max-listpack-entries`.

use crate::listpack::Listpack;

use super::tree::Scored;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Compact {
    lp: Listpack,
}

fn decode(score: &[u8]) -> f64 {
    score.try_into().map_or(0.0, f64::from_le_bytes)
}

impl Compact {
    pub fn len(&self) -> usize {
        self.lp.len() / 2
    }

    pub fn heap_size(&self) -> usize {
        self.lp.heap_size()
    }

    /// (member, score) pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], f64)> + '_ {
        let mut it = self.lp.iter();
        std::iter::from_fn(move || Some((it.next()?, decode(it.next()?))))
    }

    /// All pairs, for walks that go backwards or jump around.
    pub fn pairs(&self) -> Vec<(&[u8], f64)> {
        self.iter().collect()
    }

    /// The rank and score of `member`.
    pub fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.iter()
            .enumerate()
            .find(|(_, (m, _))| *m == member)
            .map(|(i, (_, s))| (i, s))
    }

    /// Adds `member` (absent). Redis stores a listpack score as an integer when it is one, so a
    /// `-0` comes back as `0`; so does it here.
    pub fn insert(&mut self, member: &[u8], score: f64) {
        let score = score + 0.0;
        let key = Scored::new(member, score);
        let pos = self
            .iter()
            .position(|(m, s)| key.cmp_key(s, m).is_lt())
            .unwrap_or(self.len());
        self.lp.insert(2 * pos, member);
        self.lp.insert(2 * pos + 1, &score.to_le_bytes());
    }

    /// Appends a pair that sorts after every other (building from an ordered source).
    pub fn push(&mut self, member: &[u8], score: f64) {
        self.lp.push(member);
        self.lp.push(&(score + 0.0).to_le_bytes());
    }

    pub fn remove_range(&mut self, start: usize, end: usize) {
        if start < end {
            self.lp.remove(2 * start, 2 * (end - start));
        }
    }
}
