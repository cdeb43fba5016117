//! The runtime side: CONFIG GET / CONFIG SET over a shared, versioned [`Config`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::table::{self, Access, Entry, SetContext, Setter};
use super::Config;

/// The live configuration, shared by every executor thread through an `Arc`.
///
/// Reads of hot values should not take the lock per command: cache a [`snapshot`] together
/// with [`version`] and refresh only when `version()` changes.
///
/// [`snapshot`]: ConfigStore::snapshot
/// [`version`]: ConfigStore::version
#[derive(Debug)]
pub struct ConfigStore {
    config: RwLock<Config>,
    version: AtomicU64,
}

impl ConfigStore {
    pub fn new(config: Config) -> Self {
        ConfigStore {
            config: RwLock::new(config),
            version: AtomicU64::new(0),
        }
    }

    // A panic while holding the lock cannot leave a half-applied CONFIG SET behind (the new
    // value is built on a copy and swapped in whole), so a poisoned lock is still consistent.
    fn read(&self) -> RwLockReadGuard<'_, Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Config> {
        self.config.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Bumped by every successful [`set`](ConfigStore::set).
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    pub fn snapshot(&self) -> Config {
        self.read().clone()
    }

    /// One value of the live configuration, without copying the whole of it.
    pub fn with<T>(&self, f: impl FnOnce(&Config) -> T) -> T {
        f(&self.read())
    }

    /// `CONFIG GET p1 p2 ...` (Redis 7): the union of all matches, each name once.
    ///
    /// As in Redis, an argument without `*`, `?` or `[` is a plain lookup that echoes the
    /// name as the client wrote it (`CONFIG GET PORT` answers `PORT`), and aliases such as
    /// `hash-max-ziplist-entries` are listed alongside their primary names.
    pub fn get_many(&self, patterns: &[&[u8]]) -> Vec<(String, String)> {
        let config = self.read();
        let mut out: Vec<(String, String)> = Vec::new();
        let seen = |out: &[(String, String)], name: &[u8]| {
            out.iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for &pattern in patterns {
            if !pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
                if seen(&out, pattern) {
                    continue;
                }
                if let Some(entry) = table::lookup(pattern) {
                    // A lookup hit means the name is ASCII.
                    let name = String::from_utf8_lossy(pattern).into_owned();
                    out.push((name, (entry.directive.get)(&config)));
                }
                continue;
            }
            for entry in table::entries() {
                if !seen(&out, entry.name.as_bytes())
                    && ferrokv_shard::glob::matches(pattern, entry.name.as_bytes(), true)
                {
                    out.push((entry.name.to_string(), (entry.directive.get)(&config)));
                }
            }
        }
        out
    }

    /// `CONFIG SET name value [name value ...]`, all or nothing. The error is the full Redis
    /// error line without the leading `-` (e.g. `ERR Unknown option or number of arguments
    /// for CONFIG SET - 'foo'`). An odd argument count must be rejected by the caller with
    /// `ERR syntax error`, and an empty one with the usual arity error, as Redis does.
    pub fn set<K: AsRef<[u8]>, V: AsRef<[u8]>>(&self, pairs: &[(K, V)]) -> Result<(), String> {
        // Resolve every name before touching anything; the first problem wins, as in Redis.
        let mut resolved: Vec<(Entry, &[u8])> = Vec::with_capacity(pairs.len());
        for (name, value) in pairs {
            let name = name.as_ref();
            let Some(entry) = table::lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    String::from_utf8_lossy(name)
                ));
            };
            let refusal = match entry.directive.access {
                Access::Modifiable => None,
                Access::Immutable => Some("can't set immutable config"),
                Access::Protected => Some("can't set protected config"),
            };
            // Aliases are separate entries in Redis, so `lua-time-limit 1
            // busy-reply-threshold 2` is not a duplicate (the later one wins).
            let refusal = refusal.or_else(|| {
                resolved
                    .iter()
                    .any(|(seen, _)| seen.is_same(&entry))
                    .then_some("duplicate parameter")
            });
            if let Some(reason) = refusal {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {reason}",
                    String::from_utf8_lossy(name)
                ));
            }
            resolved.push((entry, value.as_ref()));
        }

        let mut guard = self.write();
        let mut updated = guard.clone();
        let mut context = SetContext {
            reading_file: false,
            save_loaded: false,
        };
        for (entry, value) in resolved {
            let result = match entry.directive.set {
                Setter::One(set) => set(&mut updated, value),
                Setter::Many(set) => {
                    // Redis splits multi-argument values on single spaces (sdssplitlen), so
                    // "" is zero arguments and "a  b" has an empty one in the middle.
                    let values: Vec<&[u8]> = if value.is_empty() {
                        Vec::new()
                    } else {
                        value.split(|&b| b == b' ').collect()
                    };
                    set(&mut updated, &values, &mut context)
                }
            };
            if let Err(reason) = result {
                return Err(format!(
                    "ERR CONFIG SET failed (possibly related to argument '{}') - {reason}",
                    entry.name
                ));
            }
        }
        *guard = updated;
        self.version.fetch_add(1, Ordering::Release);
        Ok(())
    }
}
