//! What the command table knows about a command: the facts `COMMAND INFO` reports (arity,
//! flags, key positions) plus how a call is executed and split across shards.

use bytes::Bytes;

use crate::error::CmdResult;
use crate::shard::Ctx;

/// Runs a command against one shard. `args[0]` is the command name.
pub type Handler = fn(&mut Ctx<'_>, &[Bytes]) -> CmdResult;

/// Finds the keys of a call whose key positions depend on its arguments (Redis's
/// "movablekeys": ZUNIONSTORE's numkeys, SORT's STORE). A malformed call yields no keys; it
/// then runs on the receiving shard, whose handler answers the error.
pub type KeyFn = fn(&[Bytes]) -> Vec<usize>;

/// Key positions of the common movable shape: `args[pos]` counts the keys that follow it.
pub fn keys_after_numkeys(args: &[Bytes], pos: usize) -> Vec<usize> {
    let n = args
        .get(pos)
        .and_then(|a| crate::value::parse_canonical_i64(a))
        .unwrap_or(0);
    match usize::try_from(n) {
        Ok(n) if n > 0 && pos + n < args.len() => (pos + 1..=pos + n).collect(),
        _ => Vec::new(),
    }
}

/// Command flags, with the names COMMAND reports.
pub mod flag {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const MOVABLE_KEYS: u32 = 1 << 16;
    /// Keys are optional (EVAL with no keys): COMMAND GETKEYS answers an empty list.
    pub const NO_MANDATORY_KEYS: u32 = 1 << 17;

    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_MULTI, "no_multi"),
        (ALLOW_BUSY, "allow_busy"),
        (MOVABLE_KEYS, "movablekeys"),
    ];
}

/// How a call whose keys live on several shards is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// At most one key, or keys that must share a shard: never split.
    None,
    /// Run the per-shard parts and add their integer replies (DEL, EXISTS, TOUCH, UNLINK).
    SumInts,
    /// Run the per-shard parts and put the array replies back in key order (MGET).
    Gather,
    /// Needs the cross-shard transaction protocol the server implements for it
    /// (MSET, MSETNX, RENAME, COPY...).
    Transaction,
}

pub struct CommandSpec {
    /// Lower case, as COMMAND reports it.
    pub name: &'static str,
    /// Redis arity: N means exactly N arguments including the name, -N means at least N.
    pub arity: i32,
    pub flags: u32,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    /// ACL categories without the leading `@`.
    pub acl: &'static [&'static str],
    /// COMMAND DOCS group (`string`, `generic`, `connection`, `server`).
    pub group: &'static str,
    pub summary: &'static str,
    pub since: &'static str,
    /// `None`: the server implements it (connection state, every-shard admin commands).
    pub handler: Option<Handler>,
    pub split: Split,
    /// Subcommands of container commands (`CONFIG GET`...), for COMMAND's reply.
    pub subcommands: &'static [CommandSpec],
    /// Set for movable-keys commands; first/last/step then only describe them to COMMAND.
    pub key_fn: Option<KeyFn>,
}

/// The key positions of one call.
pub enum KeyPositions {
    Range(std::iter::StepBy<std::ops::Range<usize>>),
    Listed(std::vec::IntoIter<usize>),
}

impl Iterator for KeyPositions {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            KeyPositions::Range(r) => r.next(),
            KeyPositions::Listed(l) => l.next(),
        }
    }
}

impl CommandSpec {
    pub const fn is_write(&self) -> bool {
        self.flags & flag::WRITE != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// A movable-keys command: keys found by `f` from the arguments.
    pub const fn movable(mut self, f: KeyFn) -> Self {
        self.key_fn = Some(f);
        self.flags |= flag::MOVABLE_KEYS;
        self
    }

    /// Positions of the key arguments of a call.
    pub fn key_positions(&self, args: &[Bytes]) -> KeyPositions {
        match self.key_fn {
            Some(f) => KeyPositions::Listed(f(args).into_iter()),
            None => KeyPositions::Range(self.fixed_key_positions(args.len())),
        }
    }

    /// Redis's first/last/step rule.
    fn fixed_key_positions(&self, argc: usize) -> std::iter::StepBy<std::ops::Range<usize>> {
        let argc = argc as i32;
        let (first, step) = (self.first_key, self.step.max(1));
        let last = if self.last_key < 0 {
            argc + self.last_key
        } else {
            self.last_key
        };
        let last = last.min(argc - 1);
        let end = if first == 0 { 0 } else { last + 1 };
        (first.max(0) as usize..end.max(first).max(0) as usize).step_by(step as usize)
    }

    /// The spec that describes this call: the matching subcommand of a container command
    /// (`OBJECT ENCODING key` has its key where the container has none), else `self`.
    pub fn resolve(&self, args: &[impl AsRef<[u8]>]) -> &CommandSpec {
        let Some(sub) = args.get(1) else { return self };
        self.subcommands
            .iter()
            .find(|s| {
                s.name
                    .split_once('|')
                    .is_some_and(|(_, name)| name.as_bytes().eq_ignore_ascii_case(sub.as_ref()))
            })
            .unwrap_or(self)
    }

    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        flag::NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
    }
}

/// Shorthand constructor so family tables stay one line per fact.
#[allow(clippy::too_many_arguments)]
pub const fn spec(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: (i32, i32, i32),
    acl: &'static [&'static str],
    group: &'static str,
    summary: &'static str,
    since: &'static str,
    handler: Option<Handler>,
    split: Split,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        first_key: keys.0,
        last_key: keys.1,
        step: keys.2,
        acl,
        group,
        summary,
        since,
        handler,
        split,
        subcommands: &[],
        key_fn: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(arity: i32, keys: (i32, i32, i32)) -> CommandSpec {
        spec(
            "x",
            arity,
            0,
            keys,
            &[],
            "generic",
            "",
            "1.0.0",
            None,
            Split::None,
        )
    }

    #[test]
    fn key_positions_follow_first_last_step() {
        let pos = |spec: &CommandSpec, argc: usize| -> Vec<usize> {
            let args = vec![Bytes::from_static(b"x"); argc];
            spec.key_positions(&args).collect()
        };
        assert_eq!(pos(&s(-3, (1, -1, 2)), 5), vec![1, 3]);
        assert_eq!(pos(&s(-2, (1, -1, 1)), 4), vec![1, 2, 3]);
        assert_eq!(pos(&s(2, (1, 1, 1)), 2), vec![1]);
        assert_eq!(pos(&s(-1, (0, 0, 0)), 3), Vec::<usize>::new());
        assert_eq!(pos(&s(3, (1, 2, 1)), 3), vec![1, 2]);
    }

    #[test]
    fn movable_keys_come_from_the_arguments() {
        let store = s(-4, (1, 1, 1)).movable(|args| {
            let mut k = vec![1];
            k.extend(keys_after_numkeys(args, 2));
            k
        });
        let call = |line: &str| -> Vec<Bytes> {
            line.split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect()
        };
        let keys = |line: &str| store.key_positions(&call(line)).collect::<Vec<_>>();
        assert_eq!(keys("zunionstore d 2 a b"), vec![1, 3, 4]);
        assert_eq!(keys("zunionstore d 2 a b weights 1 2"), vec![1, 3, 4]);
        assert_eq!(keys("zunionstore d 3 a b"), vec![1]);
        assert_eq!(keys("zunionstore d 0 a"), vec![1]);
        assert_eq!(keys("zunionstore d x a"), vec![1]);
        assert!(store.flag_names().any(|f| f == "movablekeys"));
    }

    #[test]
    fn arity_rules() {
        assert!(s(2, (1, 1, 1)).arity_ok(2));
        assert!(!s(2, (1, 1, 1)).arity_ok(3));
        assert!(s(-2, (1, -1, 1)).arity_ok(5));
        assert!(!s(-2, (1, -1, 1)).arity_ok(1));
    }
}
