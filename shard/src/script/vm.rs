//! The Lua VM of one shard thread: Redis's environment (prelude.lua), the script cache, and
//! runs under the watchdog.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{c_int, CStr};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrokv_protocol::Reply;

use mlua::{ffi, ChunkMode, Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value};

use super::convert::{error_table, error_text, lua_args, lua_to_reply, reply_to_lua, unsure_zero};
use super::functions::{FunctionInfo, Library};
use super::rand48::Rand48;
use super::{
    libs, parse_shebang, sha1_hex, shebang_len, RunOptions, ScriptFlags, ScriptHost, Watchdog,
};

/// Redis checks for timeouts and kills every this many VM instructions.
const HOOK_INSTRUCTIONS: c_int = 100_000;
/// Redis runs a step of the garbage collector every this many runs.
const GC_PERIOD: u32 = 50;
const PRELUDE_NAME: &str = "=ferrokv";
const TICK_KEY: &str = "ferrokv.tick";
const TICK_KEY_C: &CStr = c"ferrokv.tick";
const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// Why a run is being stopped before its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Killed,
    Abandoned,
}

/// State the Rust side of the environment shares with the VM.
#[derive(Default)]
struct Shared {
    /// The script's protocol (redis.setresp): 3 when true.
    resp3: Cell<bool>,
    stop: Cell<Option<Stop>>,
    rand: Cell<Rand48>,
    /// The run in progress, set by `ScriptVm::execute` for exactly the time of the run; the
    /// functions of the environment (redis.call, the tick) are built once and find their run here.
    run: Cell<Option<Run>>,
    /// Whether the run's host is lent out (see `Shared::with_host`).
    host_lent: Cell<bool>,
}

/// What the functions of the environment need of the run in progress. The pointers stand for
/// borrows `execute` holds for the whole run (see the SAFETY comment there): the lifetimes are
/// erased because the functions live as long as the VM.
#[derive(Clone, Copy)]
struct Run {
    host: NonNull<dyn ScriptHost>,
    watchdog: NonNull<Watchdog>,
    started: Instant,
    busy_after: Duration,
}

impl Shared {
    /// Lends the host of the run in progress to `f`: None outside a run, or while the host is
    /// already lent (a nested lend would alias the `&mut`).
    fn with_host<R>(&self, f: impl FnOnce(&mut dyn ScriptHost) -> R) -> Option<R> {
        let run = self.run.get()?;
        if self.host_lent.replace(true) {
            return None;
        }
        struct Return<'a>(&'a Cell<bool>);
        impl Drop for Return<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _return = Return(&self.host_lent);
        // SAFETY: `run` is only set while `execute` holds the `&mut dyn ScriptHost` this
        // pointer was made from, without touching it otherwise (see there), so the host is
        // alive and not accessed through any other path; `host_lent` makes this the only
        // `&mut` made from the pointer until `f` returns.
        let host = unsafe { &mut *run.host.as_ptr() };
        Some(f(host))
    }

    /// The watchdog of the run in progress.
    fn watchdog(&self) -> Option<&Watchdog> {
        let run = self.run.get()?;
        // SAFETY: `run` is only set while `execute` holds the `&Watchdog` this pointer was made
        // from; shared references may coexist.
        Some(unsafe { run.watchdog.as_ref() })
    }

    /// Called by the count hook during a run: marks the shard busy past busy-reply-threshold
    /// and stops a run that was killed or abandoned.
    fn tick(&self) -> mlua::Result<()> {
        let (Some(run), Some(watchdog)) = (self.run.get(), self.watchdog()) else {
            return Ok(());
        };
        if run.started.elapsed() >= run.busy_after {
            watchdog.busy.store(true, Ordering::Relaxed);
        }
        let kill = watchdog.kill.load(Ordering::Relaxed);
        let Some(stop) = self.with_host(|h| {
            if h.abandoned() {
                Some(Stop::Abandoned)
            } else if kill && !h.wrote() {
                Some(Stop::Killed)
            } else {
                None
            }
        }) else {
            return Ok(());
        };
        if stop.is_some() {
            self.stop.set(stop);
        }
        match self.stop.get() {
            Some(_) => Err(mlua::Error::runtime("script stopped")),
            None => Ok(()),
        }
    }
}

/// Clears the run of `Shared` when `execute` ends, unwinding included.
struct RunSlot<'a>(&'a Shared);

impl Drop for RunSlot<'_> {
    fn drop(&mut self) {
        self.0.run.set(None);
    }
}

pub struct ScriptVm {
    lua: Lua,
    /// The table scripts see as their globals.
    env: Table,
    /// The error handler runs are called under (see `error_handler`).
    handler: Function,
    shared: Rc<Shared>,
    scripts: HashMap<String, Function>,
    runs: Cell<u32>,
    /// The environment of library code and the functions it registers (see prelude.lua).
    fenv: Table,
    /// prelude.lua's library loader: runs a library's code, collecting what it registers.
    loader: Function,
    /// Libraries loaded in this VM: their version in the registry and callbacks in
    /// registration order (the registry's function order).
    libraries: HashMap<String, (u64, Vec<Function>)>,
    /// The count hook's function for runs (registry key TICK_KEY), replaced while a library
    /// loads.
    tick: Function,
}

/// How long library code may run while loading, as Redis allows.
const LOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// What redis.call and friends return outside of a run.
fn outside_run(lua: &Lua, what: &str) -> mlua::Result<(bool, Value)> {
    let msg = format!("{what} can only be called inside a script invocation");
    Ok((
        false,
        Value::Table(error_table(lua, msg.as_bytes(), false)?),
    ))
}

impl Default for ScriptVm {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptVm {
    pub fn new() -> ScriptVm {
        match Self::build() {
            Ok(vm) => vm,
            // Building the environment only fails when memory is exhausted.
            Err(e) => panic!("cannot build the Lua environment: {e}"),
        }
    }

    fn build() -> mlua::Result<ScriptVm> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )?;
        libs::open_all(&lua)?;
        let shared = Rc::new(Shared::default());
        let rt = lua.create_table()?;
        {
            let s = shared.clone();
            rt.raw_set(
                "stopping",
                lua.create_function(move |_, ()| Ok(s.stop.get().is_some()))?,
            )?;
        }
        rt.raw_set(
            "sha1hex",
            lua.create_function(|_, s: mlua::String| Ok(sha1_hex(&s.as_bytes())))?,
        )?;
        rt.raw_set(
            "errtext",
            lua.create_function(|lua, s: mlua::String| {
                lua.create_string(error_text(&s.as_bytes()))
            })?,
        )?;
        {
            let s = shared.clone();
            rt.raw_set(
                "rand",
                lua.create_function(move |_, ()| {
                    let mut r = s.rand.get();
                    let v = r.next_unit();
                    s.rand.set(r);
                    Ok(v)
                })?,
            )?;
        }
        {
            let s = shared.clone();
            rt.raw_set(
                "srand",
                lua.create_function(move |_, seed: i32| {
                    let mut r = s.rand.get();
                    r.seed(seed);
                    s.rand.set(r);
                    Ok(())
                })?,
            )?;
        }
        {
            let s = shared.clone();
            rt.raw_set(
                "setresp",
                lua.create_function(move |_, resp: i32| {
                    s.resp3.set(resp == 3);
                    Ok(())
                })?,
            )?;
        }
        rt.raw_set(
            "c",
            lua.create_function(|lua, f: Function| c_wrapper(lua, f))?,
        )?;
        rt.raw_set(
            "fname",
            lua.create_function(|lua, level: usize| {
                Ok(lua
                    .inspect_stack(level)
                    .and_then(|d| d.names().name.map(|n| n.into_owned())))
            })?,
        )?;
        rt.raw_set("version", "7.0.15")?;
        rt.raw_set("version_num", 0x07_00_0f)?;
        {
            let s = shared.clone();
            rt.raw_set(
                "call",
                lua.create_function(move |lua, args: MultiValue| bridge_call(lua, &s, &args))?,
            )?;
        }
        {
            let s = shared.clone();
            rt.raw_set(
                "acl",
                lua.create_function(move |lua, args: MultiValue| bridge_acl(lua, &s, &args))?,
            )?;
        }
        let tick = {
            let s = shared.clone();
            lua.create_function(move |_, ()| s.tick())?
        };
        let handler = error_handler(&lua)?;
        let (env, fenv, loader): (Table, Table, Function) = lua
            .load(include_str!("prelude.lua"))
            .set_name(PRELUDE_NAME)
            .call((rt.clone(), handler.clone()))?;
        lua.set_named_registry_value(TICK_KEY, &tick)?;
        set_count_hook(&lua)?;
        Ok(ScriptVm {
            lua,
            env,
            handler,
            shared,
            scripts: HashMap::new(),
            runs: Cell::new(0),
            fenv,
            loader,
            libraries: HashMap::new(),
            tick,
        })
    }

    /// SCRIPT LOAD and EVAL: compiles `body` (cached by `sha` in this VM), with Redis's errors.
    pub fn load(&mut self, sha: &str, body: &[u8]) -> Result<(), Reply> {
        if self.scripts.contains_key(sha) {
            return Ok(());
        }
        parse_shebang(body)?;
        let f = self.compile(&body[shebang_len(body)..], "@user_script")?;
        self.scripts.insert(sha.to_owned(), f);
        Ok(())
    }

    /// Compiles a chunk in the scripts' environment; the shebang line, if any, is already
    /// cut (its newline kept, so line numbers stay the user's).
    fn compile(&self, code: &[u8], name: &str) -> Result<Function, Reply> {
        self.lua
            .load(code)
            .set_name(name)
            .set_mode(ChunkMode::Text)
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                Reply::error(format!("ERR Error compiling script (new function): {msg}"))
            })
    }

    /// EVAL / EVALSHA: runs the script (compiling it first if it is not cached).
    pub fn run(
        &mut self,
        sha: &str,
        body: &[u8],
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn ScriptHost,
        opts: &RunOptions,
    ) -> Reply {
        if let Err(e) = self.load(sha, body) {
            return e;
        }
        let Some(f) = self.scripts.get(sha) else {
            return Reply::error("ERR script vanished from the cache");
        };
        // SAFETY: exec_raw runs the closure as a C function under lua_pcall, which catches the
        // memory errors of the pushes; each global takes at most three stack slots of the
        // LUA_MINSTACK Lua guarantees a C function.
        let globals = unsafe {
            self.lua.exec_raw::<()>((), |state| {
                for (name, items) in [(c"KEYS", keys), (c"ARGV", argv)] {
                    ffi::lua_pushstring(state, name.as_ptr());
                    push_sequence(state, items);
                    ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
                }
            })
        };
        if let Err(e) = globals {
            return Reply::error(format!("ERR Error running script {sha}, {e}"));
        }
        self.execute(f, sha, MultiValue::new(), host, opts)
    }

    /// FUNCTION LOAD and RESTORE: runs a library's code and returns the functions it
    /// registers, with Redis's errors.
    pub fn load_library(&mut self, code: &[u8]) -> Result<Vec<FunctionInfo>, Reply> {
        self.run_library(code).map(|(infos, _)| infos)
    }

    fn run_library(&mut self, code: &[u8]) -> Result<(Vec<FunctionInfo>, Vec<Function>), Reply> {
        let chunk = self
            .lua
            .load(&code[shebang_len(code)..])
            .set_name("@user_function")
            .set_mode(ChunkMode::Text)
            .set_environment(self.fenv.clone())
            .into_function()
            .map_err(|e| {
                let msg = match e {
                    mlua::Error::SyntaxError { message, .. } => message,
                    other => other.to_string(),
                };
                Reply::error(format!("ERR Error compiling function: {msg}"))
            })?;
        let started = Instant::now();
        let timed_out = Rc::new(Cell::new(false));
        let flag = timed_out.clone();
        let outcome = (|| -> mlua::Result<(bool, Value)> {
            let tick = self.lua.create_function(move |_, ()| {
                if started.elapsed() >= LOAD_TIMEOUT {
                    flag.set(true);
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                Ok(())
            })?;
            self.lua.set_named_registry_value(TICK_KEY, tick)?;
            let result = self.loader.call::<(bool, Value)>(chunk);
            self.lua.set_named_registry_value(TICK_KEY, &self.tick)?;
            result
        })();
        let registering = |msg: &[u8]| {
            let mut text = b"ERR Error registering functions: ".to_vec();
            text.extend_from_slice(msg);
            Reply::Error(text.into())
        };
        let (ok, value) = outcome.map_err(|e| registering(e.to_string().as_bytes()))?;
        if timed_out.get() {
            return Err(registering(b"ERR FUNCTION LOAD timeout"));
        }
        let Value::Table(t) = value else {
            return Err(registering(b"ERR unknown error"));
        };
        if !ok {
            let err: Option<mlua::String> = t.raw_get("err").ok();
            return Err(registering(&err.map_or_else(
                || b"ERR unknown error".to_vec(),
                |e| e.as_bytes().to_vec(),
            )));
        }
        let mut infos = Vec::new();
        let mut callbacks = Vec::new();
        for entry in t.sequence_values::<Table>() {
            let read = || -> mlua::Result<(FunctionInfo, Function)> {
                let entry = entry?;
                let name: String = entry.raw_get("name")?;
                let description: Option<mlua::String> = entry.raw_get("description")?;
                let mut flags = ScriptFlags::default();
                for f in entry
                    .raw_get::<Table>("flags")?
                    .sequence_values::<mlua::String>()
                {
                    flags.set(&f?.as_bytes());
                }
                let info = FunctionInfo {
                    name,
                    description: description.map(|d| Bytes::copy_from_slice(&d.as_bytes())),
                    flags,
                };
                Ok((info, entry.raw_get("callback")?))
            };
            let (info, callback) = read().map_err(|e| registering(e.to_string().as_bytes()))?;
            infos.push(info);
            callbacks.push(callback);
        }
        if infos.is_empty() {
            return Err(Reply::error("ERR No functions registered"));
        }
        Ok((infos, callbacks))
    }

    /// FCALL / FCALL_RO: runs function `index` of `library`, loading the library into this VM
    /// first when it has not got this version of it.
    pub fn call_function(
        &mut self,
        library: &Library,
        index: usize,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn ScriptHost,
        opts: &RunOptions,
    ) -> Reply {
        let current = self
            .libraries
            .get(&library.name)
            .is_some_and(|(version, _)| *version == library.version);
        if !current {
            match self.run_library(&library.code) {
                Ok((_, callbacks)) => {
                    self.libraries
                        .insert(library.name.clone(), (library.version, callbacks));
                }
                Err(e) => return e,
            }
        }
        let callback = self
            .libraries
            .get(&library.name)
            .and_then(|(_, callbacks)| callbacks.get(index).cloned());
        let (Some(callback), Some(info)) = (callback, library.functions.get(index)) else {
            return Reply::error("ERR Function not found");
        };
        // SAFETY: exec_raw runs the closure as a C function under lua_pcall, which catches the
        // memory errors of the pushes; the two tables (and a string on top while filling one)
        // fit in the LUA_MINSTACK slots Lua guarantees a C function. They are its results.
        let args = unsafe {
            self.lua.exec_raw::<MultiValue>((), |state| {
                push_sequence(state, keys);
                push_sequence(state, argv);
            })
        };
        match args {
            Ok(args) => self.execute(&callback, &info.name, args, host, opts),
            Err(e) => Reply::error(format!("ERR Error running function {}, {e}", info.name)),
        }
    }

    /// SCRIPT FLUSH: a fresh VM, as Redis resets its Lua interpreter.
    pub fn flush(&mut self) {
        *self = ScriptVm::new();
    }

    /// Calls `f` with `args` under the error handler, as Redis calls scripts and functions
    /// (lua_pcall from C, one result): (true, result) or (false, what the handler made of the
    /// error).
    fn protected_call(&self, f: &Function, args: MultiValue) -> mlua::Result<(bool, Value)> {
        // SAFETY: exec_raw calls the closure as a C function whose stack is exactly the pushed
        // values: the handler at index 1, `f` at 2, then the arguments. lua_pcall pops `f` and
        // the arguments and pushes one value, and its errors are caught by it; the pushed
        // boolean fits in the LUA_MINSTACK slots Lua guarantees a C function. The closure then
        // leaves the status and the value as its two results.
        unsafe {
            self.lua.exec_raw((&self.handler, f, args), |state| {
                let nargs = ffi::lua_gettop(state) - 2;
                let status = ffi::lua_pcall(state, nargs, 1, 1);
                ffi::lua_pushboolean(state, c_int::from(status == 0));
                ffi::lua_replace(state, 1);
            })
        }
    }

    /// Calls `f` with `args` as one run: the redis.call bridge to `host`, the watchdog hook, and
    /// the conversion of the result or error. `name` is what error replies call the script.
    fn execute(
        &self,
        f: &Function,
        name: &str,
        args: MultiValue,
        host: &mut dyn ScriptHost,
        opts: &RunOptions,
    ) -> Reply {
        let shared = &self.shared;
        shared.resp3.set(false);
        shared.stop.set(None);
        let watchdog = opts.watchdog;
        watchdog.kill.store(false, Ordering::Relaxed);
        let host: NonNull<dyn ScriptHost + '_> = NonNull::from(host);
        // SAFETY: only the lifetime of the trait object is erased, the pointer is unchanged.
        // `host` is the caller's exclusive borrow, converted into this pointer and not used
        // otherwise until this function returns; the slot guard clears the run before that
        // (unwinding included), so the pointer is never dereferenced past the borrow.
        let host: NonNull<dyn ScriptHost> = unsafe { std::mem::transmute(host) };
        shared.run.set(Some(Run {
            host,
            watchdog: NonNull::from(watchdog),
            started: Instant::now(),
            busy_after: opts.busy_after,
        }));
        let slot = RunSlot(shared);
        let reply = match self.protected_call(f, args) {
            Ok((true, value)) => lua_to_reply(&value, shared.resp3.get()),
            Ok((false, err)) => error_reply(&err, name, shared.stop.get()),
            Err(e) => Reply::error(format!("ERR Error running script {name}, {e}")),
        };
        drop(slot);
        watchdog.busy.store(false, Ordering::Relaxed);
        watchdog.kill.store(false, Ordering::Relaxed);
        shared.stop.set(None);
        let runs = self.runs.get().wrapping_add(1);
        self.runs.set(runs);
        if runs.is_multiple_of(GC_PERIOD) {
            let _ = self.lua.gc_step_kbytes(GC_PERIOD as i32);
        }
        reply
    }
}

/// The count hook: calls the run's tick function (registry key TICK_KEY), whose error stops
/// the script. It is a raw hook rather than mlua's because coroutines inherit it: mlua's hook
/// serves one Lua thread only, and a script could loop inside a coroutine.
unsafe extern "C-unwind" fn count_hook(state: *mut ffi::lua_State, _: *mut ffi::lua_Debug) {
    ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, TICK_KEY_C.as_ptr());
    if ffi::lua_isfunction(state, -1) != 0 {
        ffi::lua_call(state, 0, 0);
    } else {
        ffi::lua_pop(state, 1);
    }
}

/// Installs the count hook for good: the tick functions do nothing outside a run or a load.
fn set_count_hook(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: lua_sethook only stores the hook in the running state; count_hook uses two
    // stack slots, within the LUA_MINSTACK Lua guarantees a hook.
    unsafe {
        lua.exec_raw((), |state| {
            ffi::lua_sethook(
                state,
                Some(count_hook),
                ffi::LUA_MASKCOUNT,
                HOOK_INSTRUCTIONS,
            );
        })
    }
}

/// Calls its upvalue with its arguments and returns what it returns, errors included.
unsafe extern "C-unwind" fn call_upvalue(state: *mut ffi::lua_State) -> c_int {
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, ffi::lua_gettop(state) - 1, ffi::LUA_MULTRET);
    ffi::lua_gettop(state)
}

/// `f` behind a C function (see prelude.lua for why).
fn c_wrapper(lua: &Lua, f: Function) -> mlua::Result<Function> {
    // SAFETY: `f` is the one value exec_raw pushed; the closure takes it as its upvalue and
    // leaves itself as the one result. call_upvalue uses only stack slots Lua guarantees a C
    // function (its arguments plus LUA_MINSTACK), and raises errors with Lua's own lua_call,
    // as every C function of the standard library does.
    unsafe {
        lua.exec_raw(f, |state| {
            ffi::lua_pushcclosure(state, call_upvalue, 1);
        })
    }
}

/// Pushes a new table holding `items` as strings, in order from index 1.
///
/// # Safety
/// `state` must have two free stack slots, and memory errors must be caught (a protected call).
unsafe fn push_sequence(state: *mut ffi::lua_State, items: &[Bytes]) {
    // The protocol caps a command's arguments far below c_int::MAX.
    ffi::lua_createtable(state, items.len() as c_int, 0);
    for (i, item) in items.iter().enumerate() {
        ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
        ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
    }
}

/// redis.call / redis.pcall: (true, reply) or (false, error table or nil when the run stops);
/// nil without calling when an argument may be a number mlua reads as 0 without being 0 (see
/// `unsure_zero`), so that prelude.lua formats the numbers and calls again.
fn bridge_call(
    lua: &Lua,
    shared: &Shared,
    args: &MultiValue,
) -> mlua::Result<(Option<bool>, Value)> {
    if shared.run.get().is_none() {
        let (ok, err) = outside_run(lua, "redis.call/pcall")?;
        return Ok((Some(ok), err));
    }
    if shared.stop.get().is_some() {
        return Ok((Some(false), Value::Nil));
    }
    if unsure_zero(args) {
        return Ok((None, Value::Nil));
    }
    let argv = match lua_args(args) {
        Ok(argv) => argv,
        Err(msg) => {
            return Ok((
                Some(false),
                Value::Table(error_table(lua, msg.as_bytes(), false)?),
            ))
        }
    };
    let reply = shared
        .with_host(|h| {
            let reply = h.call(&argv);
            (!h.abandoned()).then_some(reply)
        })
        .ok_or(mlua::Error::RecursiveMutCallback)?;
    let Some(reply) = reply else {
        shared.stop.set(Some(Stop::Abandoned));
        return Ok((Some(false), Value::Nil));
    };
    let ok = !matches!(reply, Reply::Error(_));
    Ok((Some(ok), reply_to_lua(lua, &reply, shared.resp3.get())?))
}

/// redis.acl_check_cmd: with no ACLs, every existing command is allowed.
fn bridge_acl(lua: &Lua, shared: &Shared, args: &MultiValue) -> mlua::Result<(bool, Value)> {
    if shared.run.get().is_none() {
        return outside_run(lua, "redis.acl_check_cmd");
    }
    let argv = match lua_args(args) {
        Ok(argv) => argv,
        Err(msg) => {
            return Ok((
                false,
                Value::Table(error_table(lua, msg.as_bytes(), false)?),
            ))
        }
    };
    let exists = shared
        .with_host(|h| h.command_exists(&argv[0]))
        .unwrap_or(false);
    if exists {
        Ok((true, Value::Boolean(true)))
    } else {
        let msg = b"Invalid command passed to redis.acl_check_cmd()";
        Ok((false, Value::Table(error_table(lua, msg, false)?)))
    }
}

/// The error handler of a run (Redis's __redis__err__handler): turns the error into a table
/// `{err=, source=, line=}` where source and line locate the script code that failed.
fn error_handler(lua: &Lua) -> mlua::Result<Function> {
    let tostring: Function = lua.globals().raw_get("tostring")?;
    lua.create_function(move |lua, err: Value| {
        let t = match err {
            Value::Table(t) => t,
            other => {
                let text: mlua::String = tostring.call(other)?;
                let t = lua.create_table()?;
                let mut msg = b"ERR ".to_vec();
                msg.extend_from_slice(&text.as_bytes());
                t.raw_set("err", lua.create_string(msg)?)?;
                t
            }
        };
        // Level 1 raised the error; a C function there (error, redis.call) stands for its
        // caller. The environment's own Lua frames, and the C wrappers and tail calls between
        // them and the script, are skipped the same way.
        let what = |frame: &Option<mlua::Debug>| frame.as_ref().map(|d| d.source().what);
        let internal = |frame: &Option<mlua::Debug>| {
            frame
                .as_ref()
                .is_some_and(|d| d.source().source.as_deref() == Some(PRELUDE_NAME))
        };
        let mut level = 1;
        let mut frame = lua.inspect_stack(level);
        if what(&frame) == Some("C") {
            level += 1;
            frame = lua.inspect_stack(level);
        }
        if internal(&frame) {
            while internal(&frame) || matches!(what(&frame), Some("C" | "tail")) {
                level += 1;
                frame = lua.inspect_stack(level);
            }
        }
        if let Some(d) = frame {
            if let Some(source) = d.source().source {
                t.raw_set("source", lua.create_string(source.as_bytes())?)?;
            }
            t.raw_set("line", d.curr_line())?;
        }
        Ok(t)
    })
}

/// The reply for a run that ended in an error: `-<err> script: <name>, on <source>:<line>.`
fn error_reply(err: &Value, name: &str, stop: Option<Stop>) -> Reply {
    let Value::Table(t) = err else {
        return Reply::error(format!(
            "ERR Error running script {name}, execution failure"
        ));
    };
    let text = |field: &str| -> Option<Vec<u8>> {
        match t.raw_get::<Value>(field).ok()? {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Integer(i) => Some(i.to_string().into_bytes()),
            Value::Number(n) => Some(ferrokv_protocol::format_double(n).into_bytes()),
            _ => None,
        }
    };
    let mut msg = match stop {
        Some(Stop::Killed) => KILLED.as_bytes().to_vec(),
        Some(Stop::Abandoned) => {
            b"ERR script abandoned: it reached a key of another shard".to_vec()
        }
        None => text("err").unwrap_or_else(|| b"ERR unknown error".to_vec()),
    };
    if let (Some(source), Some(line)) = (text("source"), text("line")) {
        msg.extend_from_slice(b" script: ");
        msg.extend_from_slice(name.as_bytes());
        msg.extend_from_slice(b", on ");
        msg.extend_from_slice(&source);
        msg.push(b':');
        msg.extend_from_slice(&line);
        msg.push(b'.');
    }
    Reply::Error(msg.into())
}
