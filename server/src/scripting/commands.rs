//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO, SCRIPT and FUNCTION: their table
//! entries and the parsing of their arguments.

use std::rc::Rc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::command::{flag::*, keys_after_numkeys};
use ferrokv_shard::script::{parse_shebang, sha1_hex};
use ferrokv_shard::txlock::TxId;
use ferrokv_shard::{args, CommandSpec};

use super::{Code, Run};
use crate::commands::{server, unknown_subcommand, wrong_arity, ServerCmd};
use crate::connection::Client;
use crate::node::Node;

const SCRIPTING: &[&str] = &["slow", "scripting"];
const SCRIPTING_WRITE: &[&str] = &["write", "slow", "scripting"];
const RUN_FLAGS: u32 = NOSCRIPT | STALE | SKIP_MONITOR | NO_MANDATORY_KEYS;

/// A scripting command's table entry (the server runs it).
const fn entry(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    server(name, arity, flags, acl, "scripting", summary, since)
}

/// EVAL-like commands: keys follow numkeys at index 2.
const fn runner(
    name: &'static str,
    flags: u32,
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    entry(name, -3, RUN_FLAGS | flags, SCRIPTING, summary, since)
        .movable(|args| keys_after_numkeys(args, 2))
}

static SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    entry(
        "script|debug",
        3,
        NOSCRIPT,
        SCRIPTING,
        "Sets the debug mode of server-side Lua scripts.",
        "3.2.0",
    ),
    entry(
        "script|exists",
        -3,
        NOSCRIPT,
        SCRIPTING,
        "Determines whether server-side Lua scripts exist in the script cache.",
        "2.6.0",
    ),
    entry(
        "script|flush",
        -2,
        NOSCRIPT,
        SCRIPTING,
        "Removes all server-side Lua scripts from the script cache.",
        "2.6.0",
    ),
    entry(
        "script|help",
        2,
        LOADING | STALE,
        SCRIPTING,
        "Returns helpful text about the different subcommands.",
        "5.0.0",
    ),
    entry(
        "script|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        SCRIPTING,
        "Terminates a server-side Lua script during execution.",
        "2.6.0",
    ),
    entry(
        "script|load",
        3,
        NOSCRIPT | STALE,
        SCRIPTING,
        "Loads a server-side Lua script to the script cache.",
        "2.6.0",
    ),
];

static FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    entry(
        "function|delete",
        3,
        WRITE | NOSCRIPT,
        SCRIPTING_WRITE,
        "Deletes a library and its functions.",
        "7.0.0",
    ),
    entry(
        "function|dump",
        2,
        NOSCRIPT,
        SCRIPTING,
        "Dumps all libraries into a serialized binary payload.",
        "7.0.0",
    ),
    entry(
        "function|flush",
        -2,
        WRITE | NOSCRIPT,
        SCRIPTING_WRITE,
        "Deletes all libraries and functions.",
        "7.0.0",
    ),
    entry(
        "function|help",
        2,
        LOADING | STALE,
        SCRIPTING,
        "Returns helpful text about the different subcommands.",
        "7.0.0",
    ),
    entry(
        "function|kill",
        2,
        NOSCRIPT | ALLOW_BUSY,
        SCRIPTING,
        "Terminates a function during execution.",
        "7.0.0",
    ),
    entry(
        "function|list",
        -2,
        NOSCRIPT,
        SCRIPTING,
        "Returns information about all libraries.",
        "7.0.0",
    ),
    entry(
        "function|load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        SCRIPTING_WRITE,
        "Creates a library.",
        "7.0.0",
    ),
    entry(
        "function|restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        SCRIPTING_WRITE,
        "Restores all libraries from a payload.",
        "7.0.0",
    ),
    entry(
        "function|stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        SCRIPTING,
        "Returns information about a function during execution.",
        "7.0.0",
    ),
];

pub static SPECS: &[CommandSpec] = &[
    runner("eval", 0, "Executes a server-side Lua script.", "2.6.0"),
    runner(
        "evalsha",
        0,
        "Executes a server-side Lua script by SHA1 digest.",
        "2.6.0",
    ),
    runner(
        "eval_ro",
        READONLY,
        "Executes a read-only server-side Lua script.",
        "7.0.0",
    ),
    runner(
        "evalsha_ro",
        READONLY,
        "Executes a read-only server-side Lua script by SHA1 digest.",
        "7.0.0",
    ),
    runner("fcall", 0, "Invokes a function.", "7.0.0"),
    runner(
        "fcall_ro",
        READONLY,
        "Invokes a read-only function.",
        "7.0.0",
    ),
    CommandSpec {
        subcommands: SCRIPT_SUBCOMMANDS,
        ..entry(
            "script",
            -2,
            0,
            &["slow"],
            "A container for Lua scripts management commands.",
            "2.6.0",
        )
    },
    CommandSpec {
        subcommands: FUNCTION_SUBCOMMANDS,
        ..entry(
            "function",
            -2,
            0,
            &["slow"],
            "A container for function commands.",
            "7.0.0",
        )
    },
];

/// The commands of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptCmd {
    Eval,
    EvalSha,
    EvalRo,
    EvalShaRo,
    Fcall,
    FcallRo,
    Script,
    Function,
}

impl ScriptCmd {
    /// Runs a script or function (inside EXEC, it holds every shard).
    pub fn runs_script(self) -> bool {
        !matches!(self, ScriptCmd::Script | ScriptCmd::Function)
    }
}

/// Maps a name of `SPECS` to its implementation.
pub fn server_cmd(name: &str) -> Option<ServerCmd> {
    Some(ServerCmd::Scripting(match name {
        "eval" => ScriptCmd::Eval,
        "evalsha" => ScriptCmd::EvalSha,
        "eval_ro" => ScriptCmd::EvalRo,
        "evalsha_ro" => ScriptCmd::EvalShaRo,
        "fcall" => ScriptCmd::Fcall,
        "fcall_ro" => ScriptCmd::FcallRo,
        "script" => ScriptCmd::Script,
        "function" => ScriptCmd::Function,
        _ => return None,
    }))
}

/// Runs one of this module's commands; `outer` is the enclosing EXEC, if any.
pub async fn run_command(
    node: &Rc<Node>,
    client: &mut Client,
    cmd: ScriptCmd,
    args: &[Bytes],
    outer: Option<TxId>,
) -> Reply {
    let parsed = match cmd {
        ScriptCmd::Eval => eval_args(node, client, args, false, false),
        ScriptCmd::EvalRo => eval_args(node, client, args, false, true),
        ScriptCmd::EvalSha => eval_args(node, client, args, true, false),
        ScriptCmd::EvalShaRo => eval_args(node, client, args, true, true),
        ScriptCmd::Fcall => fcall_args(node, client, args, false),
        ScriptCmd::FcallRo => fcall_args(node, client, args, true),
        ScriptCmd::Script => return script(node, args).await,
        ScriptCmd::Function => return super::functions::command(node, args).await,
    };
    match parsed {
        Ok(run) => super::run(node, run, outer).await,
        Err(reply) => reply,
    }
}

/// The keys and arguments after numkeys, with Redis's checks (FCALL words a numkeys that
/// is not a number its own way).
fn keys_and_argv(args: &[Bytes], fcall: bool) -> Result<(Vec<Bytes>, Vec<Bytes>), Reply> {
    let numkeys = args::int(&args[2]).map_err(|e| {
        if fcall {
            Reply::error("ERR Bad number of keys provided")
        } else {
            e.into_reply()
        }
    })?;
    if numkeys < 0 {
        return Err(Reply::error("ERR Number of keys can't be negative"));
    }
    let rest = &args[3..];
    if numkeys as u64 > rest.len() as u64 {
        return Err(Reply::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let (keys, argv) = rest.split_at(numkeys as usize);
    Ok((keys.to_vec(), argv.to_vec()))
}

fn eval_args(
    node: &Node,
    client: &Client,
    args: &[Bytes],
    by_sha: bool,
    read_only: bool,
) -> Result<Run, Reply> {
    let scripts = &node.shared.scripts;
    let noscript = || Reply::error("NOSCRIPT No matching script. Please use EVAL.");
    if by_sha && args[1].len() != 40 {
        return Err(noscript());
    }
    let (keys, argv) = keys_and_argv(args, false)?;
    let (sha, body) = if by_sha {
        let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
        let body = scripts.body(&sha).ok_or_else(noscript)?;
        (sha, body)
    } else {
        let body = args[1].clone();
        let sha = sha1_hex(&body);
        if !scripts.exists(&sha) {
            // Only a script that compiles is cached, as in Redis.
            node.vm.borrow_mut().load(&sha, &body)?;
            scripts.add(&sha, body.clone());
        }
        (sha, body)
    };
    let flags = parse_shebang(&body)?;
    if read_only && flags.shebang && !flags.no_writes {
        return Err(Reply::error(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    Ok(Run {
        code: Code::Script { sha, body },
        keys,
        argv,
        read_only: read_only || flags.no_writes,
        db: client.db,
        resp: client.resp,
    })
}

fn fcall_args(node: &Node, client: &Client, args: &[Bytes], read_only: bool) -> Result<Run, Reply> {
    let (library, index) = super::functions::resolve(node, &args[1])?;
    let (keys, argv) = keys_and_argv(args, true)?;
    let no_writes = library.functions[index].no_writes();
    if read_only && !no_writes {
        return Err(Reply::error(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    Ok(Run {
        code: Code::Function {
            library,
            index,
            command: args.to_vec(),
        },
        keys,
        argv,
        read_only: read_only || no_writes,
        db: client.db,
        resp: client.resp,
    })
}

/// Checks a container's subcommand arity, as Redis does before running it.
pub(super) fn sub_arity(container: &CommandSpec, args: &[Bytes]) -> Option<Reply> {
    let sub = container.resolve(args);
    if std::ptr::eq(sub, container) || sub.arity_ok(args.len()) {
        return None;
    }
    Some(wrong_arity(sub.name))
}

async fn script(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let Some(container) = SPECS.iter().find(|s| s.name == "script") else {
        return Reply::error("ERR internal error: SCRIPT missing");
    };
    if let Some(err) = sub_arity(container, args) {
        return err;
    }
    let sub = &args[1];
    let scripts = &node.shared.scripts;
    if args::is(sub, "LOAD") {
        let body = args[2].clone();
        let sha = sha1_hex(&body);
        if let Err(e) = parse_shebang(&body) {
            return e;
        }
        if let Err(e) = node.vm.borrow_mut().load(&sha, &body) {
            return e;
        }
        scripts.add(&sha, body);
        Reply::bulk(sha)
    } else if args::is(sub, "EXISTS") {
        Reply::Array(
            args[2..]
                .iter()
                .map(|sha| {
                    let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                    Reply::Int(scripts.exists(&sha) as i64)
                })
                .collect(),
        )
    } else if args::is(sub, "FLUSH") {
        let mode_ok = |m: &Bytes| args::is(m, "SYNC") || args::is(m, "ASYNC");
        if args.len() > 3 || !args.get(2).is_none_or(mode_ok) {
            return Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
        }
        scripts.flush();
        node.run_on_all(|| crate::hop::on_shard(|n: &Node| n.vm.borrow_mut().flush()))
            .await;
        Reply::ok()
    } else if args::is(sub, "KILL") {
        kill(node, false)
    } else if args::is(sub, "DEBUG") {
        if args::is(&args[2], "NO") {
            Reply::ok()
        } else {
            Reply::error("ERR ferrokv does not support the Lua debugger (SCRIPT DEBUG YES|SYNC)")
        }
    } else if args::is(sub, "HELP") {
        Reply::status_lines(SCRIPT_HELP)
    } else {
        unknown_subcommand(sub, "SCRIPT")
    }
}

/// SCRIPT KILL and FUNCTION KILL: stops every run past busy-reply-threshold that has not
/// written, as Redis stops its one running script.
pub(super) fn kill(node: &Node, functions: bool) -> Reply {
    let scripts = &node.shared.scripts;
    let busy: Vec<_> = scripts.watchdogs.iter().filter(|w| w.is_busy()).collect();
    if busy.is_empty() {
        return Reply::error("NOTBUSY No scripts in execution right now.");
    }
    let mine: Vec<_> = busy
        .iter()
        .filter(|w| w.is_function() == functions)
        .collect();
    if mine.is_empty() {
        // SCRIPT KILL does not stop a function, nor FUNCTION KILL a script: Redis answers
        // them as any other command while busy.
        return scripts.busy_reply().unwrap_or_else(Reply::ok);
    }
    if mine.iter().all(|w| w.has_written()) {
        return Reply::error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.");
    }
    for w in mine.iter().filter(|w| !w.has_written()) {
        w.dog.kill.store(true, Ordering::Relaxed);
    }
    Reply::ok()
}

const SCRIPT_HELP: &[&str] = &[
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Prints this help.",
];
