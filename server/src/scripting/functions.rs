//! FUNCTION's subcommands and FCALL's lookup, over the registry every thread shares.

use std::rc::Rc;
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::args;
use ferrokv_shard::script::functions::{parse_header, FunctionRegistry, Library, RestorePolicy};

use super::commands::{kill, sub_arity, SPECS};
use crate::commands::unknown_subcommand;
use crate::node::Node;

fn registry(node: &Node) -> Result<MutexGuard<'_, FunctionRegistry>, Reply> {
    node.shared
        .scripts
        .functions
        .lock()
        .map_err(|_| Reply::error("ERR internal error: function registry poisoned"))
}

/// FCALL/FCALL_RO: the function's library and index.
pub fn resolve(node: &Node, name: &[u8]) -> Result<(Arc<Library>, usize), Reply> {
    registry(node)?
        .function(name)
        .ok_or_else(|| Reply::error("ERR Function not found"))
}

/// Runs a library's code on this thread's VM to learn its functions, as FUNCTION LOAD and
/// RESTORE do before anything is registered.
fn load(node: &Node, reg: &mut FunctionRegistry, code: Bytes) -> Result<Library, Reply> {
    let name = parse_header(&code)?;
    let functions = node.vm.borrow_mut().load_library(&code)?;
    Ok(reg.stamp(name, code, functions))
}

pub async fn command(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let Some(container) = SPECS.iter().find(|s| s.name == "function") else {
        return Reply::error("ERR internal error: FUNCTION missing");
    };
    if let Some(err) = sub_arity(container, args) {
        return err;
    }
    let sub = &args[1];
    if args::is(sub, "KILL") {
        return kill(node, true);
    }
    if args::is(sub, "HELP") {
        return Reply::status_lines(FUNCTION_HELP);
    }
    let mut reg = match registry(node) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let result = if args::is(sub, "LOAD") {
        let (options, code) = args[2..].split_at(args.len() - 3);
        let mut replace = false;
        for o in options {
            if args::is(o, "REPLACE") {
                replace = true;
            } else {
                return Reply::error(format!(
                    "ERR Unknown option given: {}",
                    String::from_utf8_lossy(o)
                ));
            }
        }
        load(node, &mut reg, code[0].clone()).and_then(|lib| {
            let name = lib.name.clone();
            reg.load(lib, replace).map(|()| Reply::bulk(name))
        })
    } else if args::is(sub, "DELETE") {
        reg.delete(&args[2]).map(|()| Reply::ok())
    } else if args::is(sub, "FLUSH") {
        flush_mode(
            args,
            "FUNCTION",
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        )
        .map(|()| {
            reg.flush();
            Reply::ok()
        })
    } else if args::is(sub, "LIST") {
        Ok(reg.list(&args[2..]))
    } else if args::is(sub, "DUMP") {
        Ok(Reply::Bulk(reg.dump()))
    } else if args::is(sub, "RESTORE") {
        let policy = match args.get(3) {
            _ if args.len() > 4 => {
                return Reply::error("ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.")
            }
            None => RestorePolicy::Append,
            Some(p) if args::is(p, "FLUSH") => RestorePolicy::Flush,
            Some(p) if args::is(p, "APPEND") => RestorePolicy::Append,
            Some(p) if args::is(p, "REPLACE") => RestorePolicy::Replace,
            Some(_) => {
                return Reply::error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
            }
        };
        reg.restore(&args[2], policy, |r, code| load(node, r, code))
            .map(|()| Reply::ok())
    } else if args::is(sub, "STATS") {
        // While an EVAL (not a function) is busy, Redis answers STATS as any other command.
        let scripts = &node.shared.scripts;
        match scripts
            .watchdogs
            .iter()
            .any(|w| w.is_busy() && !w.is_function())
        {
            true => Err(scripts.busy_reply().unwrap_or_else(Reply::ok)),
            false => Ok(stats(node, &reg)),
        }
    } else {
        return unknown_subcommand(sub, "FUNCTION");
    };
    result.unwrap_or_else(|e| e)
}

/// FUNCTION FLUSH's optional mode.
fn flush_mode(args: &[Bytes], container: &str, bad_mode: &str) -> Result<(), Reply> {
    match args.get(2) {
        None => Ok(()),
        Some(_) if args.len() > 3 => Err(Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {container} HELP.",
            String::from_utf8_lossy(&args[1])
        ))),
        Some(mode) if args::is(mode, "SYNC") || args::is(mode, "ASYNC") => Ok(()),
        Some(_) => Err(Reply::error(bad_mode)),
    }
}

fn stats(node: &Node, reg: &FunctionRegistry) -> Reply {
    let bulk = |s: &'static str| Reply::bulk(Bytes::from_static(s.as_bytes()));
    let running = node
        .shared
        .scripts
        .watchdogs
        .iter()
        .find_map(|w| w.running_function())
        .map_or(Reply::Null, |(name, command, elapsed)| {
            Reply::Map(vec![
                (bulk("name"), Reply::bulk(name)),
                (
                    bulk("command"),
                    Reply::Array(command.into_iter().map(Reply::Bulk).collect()),
                ),
                (bulk("duration_ms"), Reply::Int(elapsed.as_millis() as i64)),
            ])
        });
    Reply::Map(vec![
        (bulk("running_script"), running),
        (
            bulk("engines"),
            Reply::Map(vec![(
                bulk("LUA"),
                Reply::Map(vec![
                    (
                        bulk("libraries_count"),
                        Reply::Int(reg.libraries().len() as i64),
                    ),
                    (
                        bulk("functions_count"),
                        Reply::Int(reg.function_count() as i64),
                    ),
                ]),
            )]),
        ),
    ])
}

const FUNCTION_HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];
