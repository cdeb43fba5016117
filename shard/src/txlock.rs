//! Key-level intent locks held by cross-shard transactions on one shard.
//!
//! A transaction takes its locks shard by shard in ascending shard order, all keys of one
//! shard at once or none, so two transactions can never wait on each other in a cycle.
//! Ordinary commands do not lock: they run to completion on the owner. They only wait while a
//! key they touch is locked in a conflicting mode, so nobody observes half of a transaction.

use hashbrown::HashMap;

pub type TxId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// Readers (multi-shard MGET): many at once.
    Shared,
    /// Writers: alone.
    Exclusive,
}

#[derive(Default, Debug)]
struct KeyLock {
    exclusive: Option<TxId>,
    shared: Vec<TxId>,
}

/// A key in a database: what a lock names.
type LockedKey = (usize, Box<[u8]>);

#[derive(Default)]
pub struct TxLocks {
    keys: HashMap<LockedKey, KeyLock>,
    by_tx: HashMap<TxId, Vec<LockedKey>>,
    /// A transaction holding the whole shard (a script in global mode, whose keys are only
    /// known as it runs): every key of every database is locked for everyone else.
    whole: Option<TxId>,
}

impl TxLocks {
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.whole.is_none()
    }

    /// Whether a transaction other than `tx` holds the whole shard.
    pub fn whole_held_by_other(&self, tx: Option<TxId>) -> bool {
        self.whole.is_some_and(|t| Some(t) != tx)
    }

    /// Takes the whole shard for `tx`, when no other transaction holds any lock here.
    pub fn try_lock_whole(&mut self, tx: TxId) -> bool {
        let others_hold_keys = self
            .keys
            .values()
            .any(|l| l.exclusive.is_some_and(|t| t != tx) || l.shared.iter().any(|&t| t != tx));
        if self.whole_held_by_other(Some(tx)) || others_hold_keys {
            return false;
        }
        self.whole = Some(tx);
        true
    }

    fn conflicts(&self, db: usize, key: &[u8], mode: LockMode, tx: Option<TxId>) -> bool {
        if self.whole_held_by_other(tx) {
            return true;
        }
        let Some(lock) = self.keys.get(&(db, Box::<[u8]>::from(key))) else {
            return false;
        };
        let other_excl = lock.exclusive.is_some_and(|t| Some(t) != tx);
        match mode {
            LockMode::Shared => other_excl,
            LockMode::Exclusive => other_excl || lock.shared.iter().any(|&t| Some(t) != tx),
        }
    }

    /// Whether a command touching `keys` with `mode` must wait. `tx` is the transaction the
    /// command runs for, whose own locks never block it.
    pub fn blocks<'k>(
        &self,
        db: usize,
        keys: impl IntoIterator<Item = &'k [u8]>,
        mode: LockMode,
        tx: Option<TxId>,
    ) -> bool {
        self.whole_held_by_other(tx)
            || (!self.keys.is_empty() && keys.into_iter().any(|k| self.conflicts(db, k, mode, tx)))
    }

    /// Takes every lock or none; keys are `(database, key)`. Returns false when some key is
    /// held in a conflicting mode (the caller waits for a release and tries again).
    pub fn try_lock<'k>(
        &mut self,
        tx: TxId,
        keys: impl IntoIterator<Item = (usize, &'k [u8])> + Clone,
        mode: LockMode,
    ) -> bool {
        match mode {
            LockMode::Exclusive => self.try_lock_mixed(tx, keys, []),
            LockMode::Shared => self.try_lock_mixed(tx, [], keys),
        }
    }

    /// Takes `exclusive` and `shared` together, every lock or none (EXEC: the keys its
    /// commands touch and the keys it watches).
    pub fn try_lock_mixed<'k>(
        &mut self,
        tx: TxId,
        exclusive: impl IntoIterator<Item = (usize, &'k [u8])> + Clone,
        shared: impl IntoIterator<Item = (usize, &'k [u8])> + Clone,
    ) -> bool {
        let conflicts = |(db, k): (usize, &[u8]), mode| self.conflicts(db, k, mode, Some(tx));
        if exclusive
            .clone()
            .into_iter()
            .any(|k| conflicts(k, LockMode::Exclusive))
            || shared
                .clone()
                .into_iter()
                .any(|k| conflicts(k, LockMode::Shared))
        {
            return false;
        }
        self.take(tx, exclusive, LockMode::Exclusive);
        self.take(tx, shared, LockMode::Shared);
        true
    }

    fn take<'k>(
        &mut self,
        tx: TxId,
        keys: impl IntoIterator<Item = (usize, &'k [u8])>,
        mode: LockMode,
    ) {
        let held = self.by_tx.entry(tx).or_default();
        for (db, k) in keys {
            let id = (db, Box::<[u8]>::from(k));
            let lock = self.keys.entry(id.clone()).or_default();
            let newly = match mode {
                LockMode::Exclusive => lock.exclusive.replace(tx).is_none(),
                LockMode::Shared if !lock.shared.contains(&tx) => {
                    lock.shared.push(tx);
                    true
                }
                LockMode::Shared => false,
            };
            if newly {
                held.push(id);
            }
        }
    }

    /// Drops every lock `tx` holds on this shard.
    pub fn release(&mut self, tx: TxId) {
        if self.whole == Some(tx) {
            self.whole = None;
        }
        for id in self.by_tx.remove(&tx).unwrap_or_default() {
            if let Some(lock) = self.keys.get_mut(&id) {
                if lock.exclusive == Some(tx) {
                    lock.exclusive = None;
                }
                lock.shared.retain(|&t| t != tx);
                if lock.exclusive.is_none() && lock.shared.is_empty() {
                    self.keys.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: (usize, &[u8]) = (0, b"a");
    const B: (usize, &[u8]) = (0, b"b");

    #[test]
    fn exclusive_excludes_everyone_else() {
        let mut l = TxLocks::default();
        assert!(l.try_lock(1, [A, B], LockMode::Exclusive));
        assert!(!l.try_lock(2, [B], LockMode::Shared));
        assert!(!l.try_lock(2, [A], LockMode::Exclusive));
        assert!(l.blocks(0, [A.1], LockMode::Shared, None));
        assert!(!l.blocks(0, [A.1], LockMode::Exclusive, Some(1)));
        assert!(
            !l.blocks(1, [A.1], LockMode::Exclusive, None),
            "other db is not locked"
        );
        l.release(1);
        assert!(l.is_empty());
        assert!(l.try_lock(2, [A], LockMode::Exclusive));
    }

    #[test]
    fn shared_locks_coexist_and_block_writers() {
        let mut l = TxLocks::default();
        assert!(l.try_lock(1, [A], LockMode::Shared));
        assert!(l.try_lock(2, [A], LockMode::Shared));
        assert!(!l.blocks(0, [A.1], LockMode::Shared, None));
        assert!(l.blocks(0, [A.1], LockMode::Exclusive, None));
        assert!(!l.try_lock(3, [A], LockMode::Exclusive));
        l.release(1);
        assert!(l.blocks(0, [A.1], LockMode::Exclusive, None));
        l.release(2);
        assert!(l.is_empty());
    }

    #[test]
    fn whole_shard_lock_excludes_every_key_and_waits_for_holders() {
        let mut l = TxLocks::default();
        assert!(l.try_lock(1, [A], LockMode::Shared));
        assert!(!l.try_lock_whole(2), "a key is held by another");
        assert!(l.try_lock_whole(1), "its own locks do not block it");
        assert!(l.blocks(3, std::iter::empty(), LockMode::Shared, None));
        assert!(l.blocks(0, [B.1], LockMode::Shared, Some(2)));
        assert!(!l.blocks(0, [B.1], LockMode::Exclusive, Some(1)));
        assert!(!l.try_lock(2, [B], LockMode::Shared));
        assert!(!l.try_lock_whole(2));
        l.release(1);
        assert!(l.is_empty());
        assert!(l.try_lock_whole(2));
        assert!(l.whole_held_by_other(None));
        assert!(!l.whole_held_by_other(Some(2)));
    }

    #[test]
    fn mixed_modes_are_all_or_nothing() {
        let mut l = TxLocks::default();
        assert!(l.try_lock(1, [B], LockMode::Shared));
        assert!(!l.try_lock_mixed(2, [B], [A]), "B is shared by 1");
        assert!(!l.blocks(0, [A.1], LockMode::Exclusive, None));
        assert!(l.try_lock_mixed(2, [A], [B]));
        assert!(l.blocks(0, [A.1], LockMode::Shared, None));
        assert!(l.blocks(0, [B.1], LockMode::Exclusive, None));
        assert!(!l.blocks(0, [B.1], LockMode::Shared, None));
        assert!(l.try_lock_mixed(2, [A], [A]), "a transaction's own locks");
        l.release(1);
        l.release(2);
        assert!(l.is_empty());
    }

    #[test]
    fn all_or_nothing_and_reentrant() {
        let mut l = TxLocks::default();
        assert!(l.try_lock(1, [B], LockMode::Exclusive));
        assert!(!l.try_lock(2, [A, B], LockMode::Exclusive));
        assert!(
            !l.blocks(0, [A.1], LockMode::Exclusive, None),
            "nothing taken on failure"
        );
        assert!(l.try_lock(1, [A, B, B], LockMode::Exclusive));
        l.release(1);
        assert!(l.is_empty());
    }
}
