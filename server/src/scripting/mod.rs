//! Lua scripts and functions: where a run happens, and the state every thread shares about them.
//!
//! A run happens where its declared keys live, cheapest first:
//! - **One shard** (or no keys: the connection's own shard): on that shard's VM, synchronously,
//!   so it is atomic for free. When the server has other shards, every write keeps an undo
//!   record, because the script may still touch a key another shard owns.
//! - **Several shards**: the declared keys are locked through the transaction framework and
//!   brought to a scratch shard on the coordinator, where the script runs on the coordinator's
//!   VM (see `coordinator::gather`); then they go back.
//! - **Global**: a script that touched a key it did not declare on a shard it does not hold is
//!   rolled back from its undo record, its SHA is remembered as global, and it runs again holding
//!   every shard; later runs of that SHA go global at once. Keys are brought to the coordinator
//!   as the script first touches them (see `global`).
//!
//! Every shard thread has its own VM, so no run ever waits for another thread's VM; a script
//! loaded on any connection is known to all of them through [`Scripts`].

mod commands;
mod functions;
mod global;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};
use ferrokv_shard::command::flag::NOSCRIPT;
use ferrokv_shard::command::CommandSpec;
use ferrokv_shard::script::functions::{FunctionRegistry, Library};
use ferrokv_shard::script::{other_db, RunOptions, ScriptHost, ScriptVm, ShardHost, Watchdog};
use ferrokv_shard::txlock::{LockMode, TxId};

pub use commands::{run_command, server_cmd, ScriptCmd, SPECS};

use crate::commands::ServerCmd;
use crate::coordinator::Gathered;
use crate::hop::{job, Answer};
use crate::node::{now_ms, Node};
use crate::table::CommandTable;

/// What every thread knows about scripts: their bodies by SHA, which of them run global, the
/// function libraries, and each thread's watchdog (SCRIPT KILL and BUSY replies).
pub struct Scripts {
    bodies: RwLock<HashMap<Box<str>, Bytes>>,
    global: RwLock<HashSet<Box<str>>>,
    any_global: AtomicBool,
    pub functions: Mutex<FunctionRegistry>,
    pub watchdogs: Vec<RunWatch>,
    /// Runs that went global (INFO).
    pub global_runs: AtomicU64,
}

impl Scripts {
    pub fn new(threads: usize) -> Scripts {
        Scripts {
            bodies: RwLock::default(),
            global: RwLock::default(),
            any_global: AtomicBool::new(false),
            functions: Mutex::new(FunctionRegistry::default()),
            watchdogs: (0..threads).map(|_| RunWatch::default()).collect(),
            global_runs: AtomicU64::new(0),
        }
    }

    pub fn body(&self, sha: &str) -> Option<Bytes> {
        self.bodies.read().ok()?.get(sha).cloned()
    }

    pub fn add(&self, sha: &str, body: Bytes) {
        if self.body(sha).is_none() {
            if let Ok(mut bodies) = self.bodies.write() {
                bodies.insert(sha.into(), body);
            }
        }
    }

    /// How many scripts EVAL and SCRIPT LOAD have cached (INFO).
    pub fn cached(&self) -> usize {
        self.bodies.read().map_or(0, |b| b.len())
    }

    pub fn exists(&self, sha: &str) -> bool {
        self.bodies.read().is_ok_and(|b| b.contains_key(sha))
    }

    /// SCRIPT FLUSH: forget every script (the VMs drop their compiled copies separately).
    pub fn flush(&self) {
        if let Ok(mut b) = self.bodies.write() {
            b.clear();
        }
        if let Ok(mut g) = self.global.write() {
            g.clear();
            self.any_global.store(false, Ordering::Relaxed);
        }
    }

    fn is_global(&self, id: &str) -> bool {
        // Most servers never see a global script: no shared lock on every run for them.
        self.any_global.load(Ordering::Relaxed) && self.global.read().is_ok_and(|g| g.contains(id))
    }

    fn mark_global(&self, id: &str) {
        if let Ok(mut g) = self.global.write() {
            g.insert(id.into());
            self.any_global.store(true, Ordering::Relaxed);
        }
    }

    /// How many scripts and functions are known to run global (INFO).
    pub fn global_count(&self) -> usize {
        self.global.read().map_or(0, |g| g.len())
    }

    /// Redis's answer while a run has passed busy-reply-threshold, to every command but the
    /// few allowed then (SCRIPT KILL, SHUTDOWN NOSAVE...).
    pub fn busy_reply(&self) -> Option<Reply> {
        let busy = self.watchdogs.iter().find(|w| w.is_busy())?;
        Some(Reply::error(if busy.is_function() {
            "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        } else {
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }))
    }
}

/// What other threads may know of the run on one thread's VM: SCRIPT KILL and FUNCTION KILL
/// stop it through `dog`, unless it wrote; BUSY replies name the right KILL.
///
/// Every command on every thread reads `dog.busy`: each thread's watch has cache lines of its
/// own, and a run only writes them when a value changes.
#[derive(Default)]
#[repr(align(128))]
pub struct RunWatch {
    pub dog: Watchdog,
    function: AtomicBool,
    wrote: AtomicBool,
    /// The function running, its FCALL and when it started (FUNCTION STATS).
    current: Mutex<Option<(String, Vec<Bytes>, Instant)>>,
}

impl RunWatch {
    fn running(&self, name: &str, command: &[Bytes]) {
        if let Ok(mut c) = self.current.lock() {
            *c = Some((name.to_string(), command.to_vec(), Instant::now()));
        }
    }

    fn done(&self) {
        if let Ok(mut c) = self.current.lock() {
            *c = None;
        }
    }

    /// The function running on this thread: name, FCALL and time so far.
    pub fn running_function(&self) -> Option<(String, Vec<Bytes>, Duration)> {
        let c = self.current.lock().ok()?;
        let (name, command, started) = c.as_ref()?;
        Some((name.clone(), command.clone(), started.elapsed()))
    }

    pub fn is_busy(&self) -> bool {
        self.dog.busy.load(Ordering::Relaxed)
    }

    pub fn is_function(&self) -> bool {
        self.function.load(Ordering::Relaxed)
    }

    pub fn has_written(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }
}

/// What to run: a script by SHA, or a function of a library.
#[derive(Clone)]
pub enum Code {
    Script {
        sha: String,
        body: Bytes,
    },
    Function {
        library: Arc<Library>,
        index: usize,
        /// The FCALL as sent, for FUNCTION STATS.
        command: Vec<Bytes>,
    },
}

impl Code {
    /// The name under which a run is remembered as global.
    fn id(&self) -> Cow<'_, str> {
        match self {
            Code::Script { sha, .. } => Cow::Borrowed(sha),
            Code::Function { library, index, .. } => Cow::Owned(format!(
                "function:{}",
                library.functions[*index].name.to_lowercase()
            )),
        }
    }
}

/// One call of EVAL/EVALSHA/FCALL and their read-only forms, parsed.
#[derive(Clone)]
pub struct Run {
    pub code: Code,
    pub keys: Vec<Bytes>,
    pub argv: Vec<Bytes>,
    pub read_only: bool,
    pub db: usize,
    pub resp: RespVersion,
}

/// How a run on one VM ended.
enum Outcome {
    Done(Reply),
    /// The script touched a key this place does not hold; its writes were undone.
    Abandoned,
}

impl Run {
    fn execute(&self, vm: &mut ScriptVm, host: &mut dyn ScriptHost, node: &Node) -> Reply {
        let busy_after = node.shared.config.with(|c| c.busy_reply_threshold);
        let watch = &node.shared.scripts.watchdogs[node.id];
        if watch.wrote.load(Ordering::Relaxed) {
            watch.wrote.store(false, Ordering::Relaxed);
        }
        let function = matches!(self.code, Code::Function { .. });
        if watch.function.load(Ordering::Relaxed) != function {
            watch.function.store(function, Ordering::Relaxed);
        }
        let opts = RunOptions {
            read_only: self.read_only,
            resp: self.resp,
            busy_after: Duration::from_millis(busy_after),
            watchdog: &watch.dog,
        };
        match &self.code {
            Code::Script { sha, body } => vm.run(sha, body, &self.keys, &self.argv, host, &opts),
            Code::Function {
                library,
                index,
                command,
            } => {
                watch.running(&library.functions[*index].name, command);
                let reply = vm.call_function(library, *index, &self.keys, &self.argv, host, &opts);
                watch.done();
                reply
            }
        }
    }
}

/// A host whose current database SELECT inside a script can change.
trait SelectDb {
    fn select(&mut self, db: usize);
}

impl SelectDb for ShardHost<'_> {
    fn select(&mut self, db: usize) {
        self.set_db(db);
    }
}

/// Wraps a host: the server's own commands a script may call (PING, TIME, SELECT...) are
/// answered here, data commands go to the host. `db` is the script's current database, which
/// the host's `holds` rule reads too.
struct WithServer<'n, 'c, H> {
    node: &'n Node,
    host: H,
    db: &'c Cell<usize>,
    /// Whether MOVE and COPY ... DB may reach another database than the script's: not when
    /// the place it runs only holds the declared keys, nor past a lock of another transaction.
    other_dbs: bool,
    /// Set when a call reached what this place does not hold before the host saw it.
    abandoned: bool,
    /// Read once: the shard may be borrowed by the host for the whole run.
    databases: usize,
}

impl<'n, 'c, H: ScriptHost + SelectDb> WithServer<'n, 'c, H> {
    fn new(node: &'n Node, host: H, db: &'c Cell<usize>, other_dbs: bool) -> Self {
        WithServer {
            node,
            host,
            db,
            other_dbs,
            abandoned: false,
            databases: node.shared.config.with(|c| c.databases),
        }
    }

    fn select(&mut self, args: &[Bytes]) -> Reply {
        match ferrokv_shard::args::int(&args[1]) {
            Ok(n) if n >= 0 && (n as u64) < self.databases as u64 => {
                self.db.set(n as usize);
                self.host.select(n as usize);
                Reply::ok()
            }
            Ok(_) => Reply::error("ERR DB index is out of range"),
            Err(e) => e.into_reply(),
        }
    }
}

impl<H: ScriptHost + SelectDb> ScriptHost for WithServer<'_, '_, H> {
    fn call(&mut self, args: &[Bytes]) -> Reply {
        let cmd = args
            .first()
            .and_then(|name| CommandTable::get().lookup(name));
        if let Some(cmd) = cmd {
            let spec = cmd.spec.resolve(args);
            let callable = spec.flags & NOSCRIPT == 0 && spec.arity_ok(args.len());
            match cmd.server {
                Some(ServerCmd::Select) if callable => return self.select(args),
                Some(server) if callable => {
                    return crate::commands::in_script(self.node, server, args)
                }
                _ => {}
            }
            if !self.other_dbs && other_db(spec, args, self.databases).is_some() {
                self.abandoned = true;
                return Reply::error("ERR the script reached a database this run does not hold");
            }
        }
        let reply = self.host.call(args);
        if self.host.wrote() {
            let wrote = &self.node.shared.scripts.watchdogs[self.node.id].wrote;
            if !wrote.load(Ordering::Relaxed) {
                wrote.store(true, Ordering::Relaxed);
            }
        }
        reply
    }

    fn abandoned(&self) -> bool {
        self.abandoned || self.host.abandoned()
    }

    fn wrote(&self) -> bool {
        self.host.wrote()
    }

    fn command_exists(&self, name: &[u8]) -> bool {
        CommandTable::get().lookup(name).is_some()
    }
}

/// The command table's view for scripts: a command's spec by name.
fn lookup(name: &[u8]) -> Option<(usize, &'static CommandSpec)> {
    CommandTable::get().lookup(name).map(|c| (c.id, c.spec))
}

/// Runs a script or function call; `outer` is the enclosing EXEC, which holds every shard.
pub async fn run(node: &Rc<Node>, run: Run, outer: Option<TxId>) -> Reply {
    let scripts = &node.shared.scripts;
    let id = run.code.id();
    if outer.is_some() || scripts.is_global(&id) {
        return global::run(node, &run, outer).await;
    }
    let mut owners: Vec<usize> = run.keys.iter().map(|k| node.owner_of(k)).collect();
    owners.sort_unstable();
    owners.dedup();
    let outcome = match owners[..] {
        [] => on_one_shard(node, node.id, &run).await,
        [shard] => on_one_shard(node, shard, &run).await,
        _ => on_gathered_keys(node, &run).await,
    };
    match outcome {
        Outcome::Done(reply) => reply,
        Outcome::Abandoned => {
            scripts.mark_global(&id);
            global::run(node, &run, None).await
        }
    }
}

/// A run on the shard that owns every declared key, on that shard's thread. It waits while a
/// transaction holds one of those keys; an undeclared key is usable when this shard owns it
/// and no transaction holds it.
async fn on_one_shard(node: &Rc<Node>, shard: usize, run: &Run) -> Outcome {
    if shard == node.id {
        wait_for_keys(node, run).await;
        return run_here(node, run);
    }
    let run = run.clone();
    let answer = node
        .run_on(
            shard,
            job(move |node: Rc<Node>| async move {
                wait_for_keys(&node, &run).await;
                Answer::Value(Box::new(run_here(&node, &run)))
            }),
        )
        .await;
    answer
        .take::<Outcome>()
        .unwrap_or_else(|| Outcome::Done(Reply::error("ERR internal error: lost script run")))
}

/// Waits while a transaction holds one of the run's declared keys on this shard.
async fn wait_for_keys(node: &Node, run: &Run) {
    let mode = if run.read_only {
        LockMode::Shared
    } else {
        LockMode::Exclusive
    };
    while node
        .shard
        .borrow()
        .locks
        .blocks(run.db, run.keys.iter().map(|k| &k[..]), mode, None)
    {
        node.unlocked.notified().await;
    }
}

/// Runs on this thread's VM against this thread's shard.
fn run_here(node: &Node, run: &Run) -> Outcome {
    let mut shard = node.shard.borrow_mut();
    let mut vm = node.vm.borrow_mut();
    let me = node.id;
    let nshards = node.nshards;
    // A transaction holding keys here may be mid-way: an undeclared key is only safe to touch
    // when none is (the declared ones were waited for).
    let quiet = shard.locks.is_empty();
    let declared: HashSet<&[u8]> = run.keys.iter().map(|k| &k[..]).collect();
    let db = Cell::new(run.db);
    let holds = |key: &[u8]| {
        (db.get() == run.db && declared.contains(key))
            || (quiet && ferrokv_shard::slot::shard_of_key(key, nshards) == me)
    };
    let host = ShardHost::new(
        &mut shard,
        run.db,
        now_ms(),
        &lookup,
        &holds,
        run.read_only,
        nshards > 1,
    );
    let mut host = WithServer::new(node, host, &db, quiet);
    let reply = run.execute(&mut vm, &mut host, node);
    if host.abandoned() {
        host.host.undo();
        return Outcome::Abandoned;
    }
    Outcome::Done(reply)
}

/// A run whose declared keys span shards: they are locked and brought here, the script runs
/// on this thread's VM against them, and they go back.
async fn on_gathered_keys(node: &Rc<Node>, run: &Run) -> Outcome {
    let mut gathered = Gathered::collect(node, run.db, &run.keys, !run.read_only, None).await;
    let outcome = {
        let mut vm = node.vm.borrow_mut();
        let declared: HashSet<Bytes> = run.keys.iter().cloned().collect();
        let db = Cell::new(run.db);
        let holds = |key: &[u8]| db.get() == run.db && declared.contains(key);
        let host = ShardHost::new(
            &mut gathered.scratch,
            run.db,
            now_ms(),
            &lookup,
            &holds,
            run.read_only,
            true,
        );
        let mut host = WithServer::new(node, host, &db, false);
        let reply = run.execute(&mut vm, &mut host, node);
        if host.abandoned() {
            host.host.undo();
            (Outcome::Abandoned, false)
        } else {
            (Outcome::Done(reply), host.wrote())
        }
    };
    let (outcome, wrote) = outcome;
    gathered.finish(node, wrote).await;
    outcome
}

/// Counts a run that went global, for INFO.
fn count_global_run(node: &Node) {
    node.shared
        .scripts
        .global_runs
        .fetch_add(1, Ordering::Relaxed);
}
