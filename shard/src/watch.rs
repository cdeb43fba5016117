//! WATCH on one shard: which connections watch which of its keys, and Redis 7.0's rules for
//! when a watched key counts as touched (multi.c: touchWatchedKey, touchAllWatchedKeysInDb,
//! isWatchedKeyExpired).
//!
//! A connection may live on another thread than the keys it watches, so what a touch marks is a
//! token shared with the connection, not the connection itself.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hashbrown::{Equivalent, HashMap};

use crate::keyspace::KeyState;

/// One WATCH session of a connection: set when a key it watches is touched. A connection
/// starts a new session after each UNWATCH/EXEC/DISCARD, so a touch of a registration that
/// is still being dropped cannot mark a later session.
pub type WatchToken = Arc<AtomicBool>;

pub fn new_token() -> WatchToken {
    Arc::new(AtomicBool::new(false))
}

pub fn is_touched(token: &WatchToken) -> bool {
    token.load(Ordering::Acquire)
}

struct Watcher {
    token: WatchToken,
    /// Redis's `expired` flag: the key was stored but past its deadline at WATCH time, so its
    /// removal is no change.
    expired: bool,
    /// The key was live at WATCH time. Redis touches a key when expiry deletes it; ferrokv
    /// removes expired keys silently, so EXEC counts a key that was live and is gone as touched.
    live: bool,
}

impl Watcher {
    fn touch(&self) {
        self.token.store(true, Ordering::Release);
    }
}

/// A `(db, key)` lookup without allocating a boxed key.
struct Query<'a>(usize, &'a [u8]);

impl Hash for Query<'_> {
    // Must hash as the `(usize, Box<[u8]>)` keys of the table do.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
        self.1.hash(state);
    }
}

impl Equivalent<(usize, Box<[u8]>)> for Query<'_> {
    fn equivalent(&self, key: &(usize, Box<[u8]>)) -> bool {
        self.0 == key.0 && *self.1 == *key.1
    }
}

/// What a database holds under a key (SWAPDB's incoming database).
pub type KeyStateOf<'a> = dyn Fn(&[u8]) -> KeyState + 'a;

#[derive(Default)]
pub struct WatchTable {
    keys: HashMap<(usize, Box<[u8]>), Vec<Watcher>>,
}

impl WatchTable {
    /// No key watched: writes skip the touch entirely.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Registers `token` on `key` (once), noting what the key was at WATCH time.
    pub fn watch(&mut self, db: usize, key: &[u8], token: &WatchToken, state: KeyState) {
        let watchers = match self.keys.get_mut(&Query(db, key)) {
            Some(w) => w,
            None => self.keys.entry((db, key.into())).or_default(),
        };
        if watchers.iter().any(|w| Arc::ptr_eq(&w.token, token)) {
            return;
        }
        watchers.push(Watcher {
            token: token.clone(),
            expired: state == KeyState::Expired,
            live: state == KeyState::Live,
        });
    }

    pub fn is_watched(&self, db: usize, key: &[u8]) -> bool {
        self.keys.contains_key(&Query(db, key))
    }

    pub fn unwatch(&mut self, db: usize, key: &[u8], token: &WatchToken) {
        let Some(watchers) = self.keys.get_mut(&Query(db, key)) else {
            return;
        };
        watchers.retain(|w| !Arc::ptr_eq(&w.token, token));
        if watchers.is_empty() {
            self.keys.remove(&Query(db, key));
        }
    }

    /// A command wrote `key`, which is now in `state`: its watchers are touched, except one
    /// that watched an already expired key that is now gone (no logical change).
    pub fn touch(&mut self, db: usize, key: &[u8], state: impl FnOnce() -> KeyState) {
        let Some(watchers) = self.keys.get_mut(&Query(db, key)) else {
            return;
        };
        let state = state();
        for w in watchers {
            if w.expired && state == KeyState::Absent {
                w.expired = false;
            } else {
                w.touch();
            }
        }
    }

    /// EXEC's check of one watched key, under the transaction's lock: whether `token`'s
    /// watch on it is void although no write touched it (the key expired since WATCH).
    pub fn expired_since_watch(
        &self,
        db: usize,
        key: &[u8],
        token: &WatchToken,
        state: KeyState,
    ) -> bool {
        let Some(w) = self
            .keys
            .get(&Query(db, key))
            .and_then(|ws| ws.iter().find(|w| Arc::ptr_eq(&w.token, token)))
        else {
            return false;
        };
        (!w.expired && state == KeyState::Expired) || (w.live && state != KeyState::Live)
    }

    /// FLUSHDB/FLUSHALL (`replaced_with` None) or SWAPDB empty database `db`: a watched key
    /// stored in it, or in the database replacing it, is touched — with Redis's exceptions for
    /// keys that were already expired, or that an expired key replaces.
    pub fn touch_db(
        &mut self,
        db: usize,
        emptied: impl Fn(&[u8]) -> KeyState,
        replaced_with: Option<&KeyStateOf<'_>>,
    ) {
        for ((d, key), watchers) in self.keys.iter_mut() {
            if *d != db {
                continue;
            }
            let in_emptied = emptied(key) != KeyState::Absent;
            let incoming = replaced_with.map_or(KeyState::Absent, |f| f(key));
            if !in_emptied && incoming == KeyState::Absent {
                continue;
            }
            for w in watchers {
                if w.expired {
                    match incoming {
                        KeyState::Absent => {
                            w.expired = false;
                            continue;
                        }
                        KeyState::Expired => continue,
                        KeyState::Live => {}
                    }
                } else if !in_emptied && incoming == KeyState::Expired {
                    w.expired = true;
                    continue;
                }
                w.touch();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use KeyState::*;

    #[test]
    fn a_touch_marks_every_watcher_of_the_key_only() {
        let mut t = WatchTable::default();
        let (a, b) = (new_token(), new_token());
        t.watch(0, b"k", &a, Live);
        t.watch(0, b"k", &b, Absent);
        t.watch(0, b"other", &b, Absent);
        t.touch(1, b"k", || Live);
        t.touch(0, b"unwatched", || Live);
        assert!(!is_touched(&a) && !is_touched(&b), "other db, other key");
        t.touch(0, b"k", || Absent);
        assert!(is_touched(&a) && is_touched(&b));
    }

    #[test]
    fn unwatch_drops_the_registration_and_the_empty_entry() {
        let mut t = WatchTable::default();
        let a = new_token();
        t.watch(0, b"k", &a, Live);
        t.watch(0, b"k", &a, Live);
        t.unwatch(0, b"k", &a);
        assert!(t.is_empty());
        t.touch(0, b"k", || Live);
        assert!(!is_touched(&a));
    }

    #[test]
    fn removing_a_key_expired_at_watch_is_no_change() {
        let mut t = WatchTable::default();
        let a = new_token();
        t.watch(0, b"k", &a, Expired);
        assert!(!t.expired_since_watch(0, b"k", &a, Expired));
        t.touch(0, b"k", || Absent);
        assert!(!is_touched(&a));
        // The flag is gone with the key: creating it now is a change.
        t.touch(0, b"k", || Live);
        assert!(is_touched(&a));
    }

    #[test]
    fn writing_a_key_expired_at_watch_is_a_change() {
        let mut t = WatchTable::default();
        let a = new_token();
        t.watch(0, b"k", &a, Expired);
        t.touch(0, b"k", || Live);
        assert!(is_touched(&a));
    }

    #[test]
    fn a_key_live_at_watch_that_expired_voids_the_watch() {
        let mut t = WatchTable::default();
        let a = new_token();
        t.watch(0, b"k", &a, Live);
        assert!(!t.expired_since_watch(0, b"k", &a, Live));
        assert!(t.expired_since_watch(0, b"k", &a, Expired));
        assert!(
            t.expired_since_watch(0, b"k", &a, Absent),
            "removed silently"
        );
        let b = new_token();
        t.watch(0, b"missing", &b, Absent);
        assert!(!t.expired_since_watch(0, b"missing", &b, Absent));
        assert!(!t.expired_since_watch(0, b"missing", &new_token(), Live));
    }

    #[test]
    fn flush_touches_only_keys_it_removes() {
        let mut t = WatchTable::default();
        let (present, missing, expired) = (new_token(), new_token(), new_token());
        t.watch(0, b"p", &present, Live);
        t.watch(0, b"m", &missing, Absent);
        t.watch(0, b"e", &expired, Expired);
        t.watch(1, b"p", &missing, Absent);
        let db0 = |k: &[u8]| match k {
            b"p" => Live,
            b"e" => Expired,
            _ => Absent,
        };
        t.touch_db(0, db0, None);
        assert!(is_touched(&present));
        assert!(!is_touched(&missing));
        assert!(!is_touched(&expired), "an expired key flushed is no change");
        t.touch(0, b"e", || Live);
        assert!(is_touched(&expired), "created after the flush");
    }

    #[test]
    fn swapdb_touches_keys_in_either_database() {
        let mut t = WatchTable::default();
        let (incoming, outgoing, neither, to_expired) =
            (new_token(), new_token(), new_token(), new_token());
        t.watch(0, b"in", &incoming, Absent);
        t.watch(0, b"out", &outgoing, Live);
        t.watch(0, b"none", &neither, Absent);
        t.watch(0, b"exp", &to_expired, Absent);
        let db0 = |k: &[u8]| if k == b"out" { Live } else { Absent };
        let db1 = |k: &[u8]| match k {
            b"in" => Live,
            b"exp" => Expired,
            _ => Absent,
        };
        t.touch_db(0, db0, Some(&db1));
        assert!(is_touched(&incoming) && is_touched(&outgoing));
        assert!(!is_touched(&neither));
        assert!(
            !is_touched(&to_expired),
            "an absent key replaced by an expired one"
        );
        assert!(!t.expired_since_watch(0, b"exp", &to_expired, Expired));
    }
}
