//! A [`ScriptHost`] that runs a script's commands against one shard, with Redis's checks and an
//! undo log for runs that must be abandoned and re-run elsewhere.

use std::collections::HashSet;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use super::ScriptHost;
use crate::command::{flag, CommandSpec};
use crate::shard::Shard;
use crate::value::{parse_canonical_i64, Value};

/// Finds a command by name (any case): its index in the server's table and its spec.
pub type Lookup<'a> = &'a dyn Fn(&[u8]) -> Option<(usize, &'static CommandSpec)>;

/// What a key held before the run first wrote it: its value and deadline, or nothing.
type Snapshot = Option<(Value, Option<u64>)>;

pub struct ShardHost<'a> {
    shard: &'a mut Shard,
    db: usize,
    now_ms: u64,
    lookup: Lookup<'a>,
    holds: &'a dyn Fn(&[u8]) -> bool,
    read_only: bool,
    /// None when the caller needs no undo (the shard holds every key the script may reach).
    undo: Option<UndoLog>,
    abandoned: bool,
    wrote: bool,
}

struct UndoLog {
    seen: HashSet<(usize, Bytes)>,
    entries: Vec<(usize, Bytes, Snapshot)>,
    /// The shard's pending keyspace events when the run began: the run's own are forgotten
    /// with its writes.
    events: usize,
}

impl<'a> ShardHost<'a> {
    /// `holds` tells whether a key may be touched here; a call reaching another key abandons
    /// the run. `read_only` refuses write commands (EVAL_RO, FCALL_RO, no-writes). `undo`
    /// keeps what each written key held before, for [`ShardHost::undo`].
    pub fn new(
        shard: &'a mut Shard,
        db: usize,
        now_ms: u64,
        lookup: Lookup<'a>,
        holds: &'a dyn Fn(&[u8]) -> bool,
        read_only: bool,
        undo: bool,
    ) -> Self {
        let undo = undo.then(|| UndoLog {
            seen: HashSet::new(),
            entries: Vec::new(),
            events: shard.events_mark(),
        });
        ShardHost {
            shard,
            db,
            now_ms,
            lookup,
            holds,
            read_only,
            undo,
            abandoned: false,
            wrote: false,
        }
    }

    /// The database the script's commands use; SELECT inside a script changes it (the server's
    /// wrapper handles SELECT and calls [`ShardHost::set_db`]).
    pub fn db(&self) -> usize {
        self.db
    }

    pub fn set_db(&mut self, db: usize) {
        self.db = db;
    }

    /// The shard the run works on: a global run brings keys into it as the script reaches them.
    pub fn shard_mut(&mut self) -> &mut Shard {
        self.shard
    }

    /// Puts back every key the run wrote as it was before the run.
    pub fn undo(self) {
        let Some(log) = self.undo else { return };
        for (db, key, before) in log.entries.into_iter().rev() {
            let ks = self.shard.db_mut(db);
            match before {
                Some((value, expire_at)) => ks.put_back(&key, value, expire_at, self.now_ms),
                None => {
                    ks.remove(&key, self.now_ms);
                }
            }
        }
        self.shard.rollback_events(log.events);
    }

    fn snapshot(&mut self, db: usize, key: &Bytes) {
        let Some(log) = &mut self.undo else { return };
        if !log.seen.insert((db, key.clone())) {
            return;
        }
        let before = self
            .shard
            .db(db)
            .peek(key, self.now_ms)
            .map(|e| (e.value.clone(), e.expire_at()));
        log.entries.push((db, key.clone(), before));
    }
}

/// The database a MOVE or COPY ... DB call writes besides the current one, among `databases`.
pub fn other_db(spec: &CommandSpec, args: &[Bytes], databases: usize) -> Option<usize> {
    let arg = match spec.name {
        "move" => args.get(2)?,
        "copy" => {
            let pos = args
                .iter()
                .skip(3)
                .position(|a| a.eq_ignore_ascii_case(b"db"))?;
            args.get(3 + pos + 1)?
        }
        _ => return None,
    };
    let db = usize::try_from(parse_canonical_i64(arg)?).ok()?;
    (db < databases).then_some(db)
}

/// Redis's lookupCommand for a script: a container command needs a known subcommand.
fn resolve<'s>(spec: &'s CommandSpec, args: &[Bytes]) -> Option<&'s CommandSpec> {
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Some(spec);
    }
    let resolved = spec.resolve(args);
    (!std::ptr::eq(resolved, spec)).then_some(resolved)
}

impl ScriptHost for ShardHost<'_> {
    fn call(&mut self, args: &[Bytes]) -> Reply {
        let Some(name) = args.first() else {
            return Reply::error("ERR Unknown Redis command called from script");
        };
        let Some((id, spec)) = (self.lookup)(name) else {
            return Reply::error("ERR Unknown Redis command called from script");
        };
        let Some(spec) = resolve(spec, args) else {
            return Reply::error("ERR Unknown Redis command called from script");
        };
        if !spec.arity_ok(args.len()) {
            return Reply::error("ERR Wrong number of args calling Redis command from script");
        }
        if spec.flags & flag::NOSCRIPT != 0 {
            return Reply::error("ERR This Redis command is not allowed from script");
        }
        if spec.is_write() && self.read_only {
            return Reply::error("ERR Write commands are not allowed from read-only scripts.");
        }
        if spec.handler.is_none() {
            return Reply::error(format!(
                "ERR '{}' is not supported inside scripts by ferrokv",
                spec.name
            ));
        }
        let keys = || spec.key_positions(args).filter_map(|i| args.get(i));
        if keys().any(|k| !(self.holds)(k)) {
            self.abandoned = true;
            return Reply::error("ERR the script reached a key this shard does not hold");
        }
        if spec.is_write() && self.undo.is_some() {
            let mut last = None;
            for key in keys() {
                self.snapshot(self.db, key);
                last = Some(key);
            }
            if let (Some(db), Some(key)) = (other_db(spec, args, self.shard.databases()), last) {
                self.snapshot(db, key);
            }
        }
        self.shard.in_script = true;
        let reply = self
            .shard
            .execute(id, spec, self.db, args, self.now_ms, true);
        self.shard.in_script = false;
        if spec.is_write() && !matches!(reply, Reply::Error(_)) {
            self.wrote = true;
        }
        reply
    }

    fn abandoned(&self) -> bool {
        self.abandoned
    }

    fn wrote(&self) -> bool {
        self.wrote
    }

    fn command_exists(&self, name: &[u8]) -> bool {
        (self.lookup)(name).is_some()
    }
}
