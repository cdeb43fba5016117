//! Commands the server implements itself: connection state (connection.rs), commands over every
//! shard's keyspace (keyspace.rs) and the admin surface (admin.rs). Data commands live in the
//! shard crate's families.

mod admin;
mod connection;
mod keyspace;
pub(crate) mod multi;

use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};
use ferrokv_shard::command::{flag::*, spec};
use ferrokv_shard::{CommandSpec, Split};

pub use self::multi::{exec_refused, unwatch_all};
use crate::connection::Client;
use crate::node::Node;
use crate::pubsub::PubsubCmd;
use crate::scripting::ScriptCmd;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerCmd {
    Ping,
    Echo,
    Quit,
    Reset,
    Hello,
    Auth,
    Select,
    Client,
    Command,
    Config,
    Info,
    Time,
    DbSize,
    FlushDb,
    FlushAll,
    Keys,
    Scan,
    RandomKey,
    SwapDb,
    Shutdown,
    Debug,
    LastSave,
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    /// EVAL, FCALL, SCRIPT, FUNCTION and their kin (`crate::scripting`).
    Scripting(ScriptCmd),
    /// (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE and PUBSUB (`crate::pubsub`).
    Pubsub(PubsubCmd),
}

impl ServerCmd {
    /// Scripts and functions: inside EXEC they run holding every shard.
    pub fn runs_script(self) -> bool {
        matches!(self, ServerCmd::Scripting(c) if c.runs_script())
    }
}

const CONN: &[&str] = &["fast", "connection"];
const KEYSPACE_READ: &[&str] = &["keyspace", "read", "slow"];
const KEYSPACE_WRITE: &[&str] = &["keyspace", "write", "slow", "dangerous"];
const ADMIN_ACL: &[&str] = &["admin", "slow", "dangerous"];

pub(crate) const fn server(
    name: &'static str,
    arity: i32,
    flags: u32,
    acl: &'static [&'static str],
    group: &'static str,
    summary: &'static str,
    since: &'static str,
) -> CommandSpec {
    spec(
        name,
        arity,
        flags,
        (0, 0, 0),
        acl,
        group,
        summary,
        since,
        None,
        Split::None,
    )
}

pub static SPECS: &[CommandSpec] = &[
    server(
        "ping",
        -1,
        FAST,
        CONN,
        "connection",
        "Returns the server's liveliness response.",
        "1.0.0",
    ),
    server(
        "echo",
        2,
        FAST,
        CONN,
        "connection",
        "Returns the given string.",
        "1.0.0",
    ),
    server(
        "quit",
        -1,
        ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        CONN,
        "connection",
        "Closes the connection.",
        "1.0.0",
    ),
    server(
        "reset",
        1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONN,
        "connection",
        "Resets the connection.",
        "6.2.0",
    ),
    server(
        "hello",
        -1,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONN,
        "connection",
        "Handshakes with the Redis server.",
        "6.0.0",
    ),
    server(
        "auth",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
        CONN,
        "connection",
        "Authenticates the connection.",
        "1.0.0",
    ),
    server(
        "select",
        2,
        LOADING | STALE | FAST,
        CONN,
        "connection",
        "Changes the selected database.",
        "1.0.0",
    ),
    server(
        "client",
        -2,
        0,
        &["slow"],
        "connection",
        "A container for client connection commands.",
        "2.4.0",
    ),
    server(
        "command",
        -1,
        LOADING | STALE,
        &["slow", "connection"],
        "server",
        "Returns detailed information about all commands.",
        "2.8.13",
    ),
    server(
        "config",
        -2,
        0,
        &["slow"],
        "server",
        "A container for server configuration commands.",
        "2.0.0",
    ),
    server(
        "info",
        -1,
        LOADING | STALE,
        &["slow", "dangerous"],
        "server",
        "Returns information and statistics about the server.",
        "1.0.0",
    ),
    server(
        "time",
        1,
        LOADING | STALE | FAST,
        &["fast"],
        "server",
        "Returns the server time.",
        "2.6.0",
    ),
    server(
        "dbsize",
        1,
        READONLY | FAST,
        &["keyspace", "read", "fast"],
        "server",
        "Returns the number of keys in the database.",
        "1.0.0",
    ),
    server(
        "flushdb",
        -1,
        WRITE,
        KEYSPACE_WRITE,
        "server",
        "Removes all keys from the current database.",
        "1.0.0",
    ),
    server(
        "flushall",
        -1,
        WRITE,
        KEYSPACE_WRITE,
        "server",
        "Removes all keys from all databases.",
        "1.0.0",
    ),
    server(
        "keys",
        2,
        READONLY,
        &["keyspace", "read", "slow", "dangerous"],
        "generic",
        "Returns all key names that match a pattern.",
        "1.0.0",
    ),
    server(
        "scan",
        -2,
        READONLY,
        KEYSPACE_READ,
        "generic",
        "Iterates over the key names in the database.",
        "2.8.0",
    ),
    server(
        "randomkey",
        1,
        READONLY,
        KEYSPACE_READ,
        "generic",
        "Returns a random key name from the database.",
        "1.0.0",
    ),
    server(
        "swapdb",
        3,
        WRITE | FAST,
        &["keyspace", "write", "fast", "dangerous"],
        "server",
        "Swaps two Redis databases.",
        "4.0.0",
    ),
    server(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        ADMIN_ACL,
        "server",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        "1.0.0",
    ),
    server(
        "debug",
        -2,
        ADMIN | NOSCRIPT | LOADING | STALE,
        ADMIN_ACL,
        "server",
        "A container for debugging commands.",
        "1.0.0",
    ),
    server(
        "lastsave",
        1,
        LOADING | STALE | FAST,
        &["admin", "fast", "dangerous"],
        "server",
        "Returns the Unix timestamp of the last successful save to disk.",
        "1.0.0",
    ),
    server(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        &["fast", "transaction"],
        "transactions",
        "Starts a transaction.",
        "1.2.0",
    ),
    server(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        &["slow", "transaction"],
        "transactions",
        "Executes all commands in a transaction.",
        "1.2.0",
    ),
    server(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        &["fast", "transaction"],
        "transactions",
        "Discards a transaction.",
        "2.0.0",
    ),
    spec(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        (1, -1, 1),
        &["fast", "transaction"],
        "transactions",
        "Monitors changes to keys to determine the execution of a transaction.",
        "2.2.0",
        None,
        Split::None,
    ),
    server(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        &["fast", "transaction"],
        "transactions",
        "Forgets about all watched keys of a transaction.",
        "2.2.0",
    ),
];

/// Maps a server-implemented spec to its implementation; every name in SPECS must appear.
pub fn server_cmd(name: &str) -> ServerCmd {
    match name {
        "ping" => ServerCmd::Ping,
        "echo" => ServerCmd::Echo,
        "quit" => ServerCmd::Quit,
        "reset" => ServerCmd::Reset,
        "hello" => ServerCmd::Hello,
        "auth" => ServerCmd::Auth,
        "select" => ServerCmd::Select,
        "client" => ServerCmd::Client,
        "command" => ServerCmd::Command,
        "config" => ServerCmd::Config,
        "info" => ServerCmd::Info,
        "time" => ServerCmd::Time,
        "dbsize" => ServerCmd::DbSize,
        "flushdb" => ServerCmd::FlushDb,
        "flushall" => ServerCmd::FlushAll,
        "keys" => ServerCmd::Keys,
        "scan" => ServerCmd::Scan,
        "randomkey" => ServerCmd::RandomKey,
        "swapdb" => ServerCmd::SwapDb,
        "shutdown" => ServerCmd::Shutdown,
        "debug" => ServerCmd::Debug,
        "lastsave" => ServerCmd::LastSave,
        "multi" => ServerCmd::Multi,
        "exec" => ServerCmd::Exec,
        "discard" => ServerCmd::Discard,
        "watch" => ServerCmd::Watch,
        "unwatch" => ServerCmd::Unwatch,
        other => crate::scripting::server_cmd(other)
            .or_else(|| crate::pubsub::server_cmd(other))
            .unwrap_or_else(|| unreachable!("server command {other} has no implementation")),
    }
}

pub async fn run(node: &Rc<Node>, client: &mut Client, cmd: ServerCmd, args: &[Bytes]) -> Reply {
    match cmd {
        ServerCmd::Ping if client.resp == RespVersion::Resp2 && client.subs.any() => {
            match args.len() {
                1 | 2 => crate::pubsub::subscribed_ping(args),
                _ => wrong_arity("ping"),
            }
        }
        ServerCmd::Ping => connection::ping(args),
        ServerCmd::Echo => Reply::Bulk(args[1].clone()),
        ServerCmd::Quit => {
            client.quit = true;
            Reply::ok()
        }
        ServerCmd::Reset => {
            client.multi = None;
            unwatch_all(node, client).await;
            crate::pubsub::unsubscribe_all(node, client).await;
            connection::reset(node, client)
        }
        ServerCmd::Hello => connection::hello(node, client, args),
        ServerCmd::Auth => connection::auth(node, client, args),
        ServerCmd::Select => connection::select(node, client, args),
        ServerCmd::Client => connection::client(node, client, args).await,
        ServerCmd::Command => admin::command(args),
        ServerCmd::Config => admin::config(node, args).await,
        ServerCmd::Info => admin::info(node, args).await,
        ServerCmd::Time => admin::time(),
        ServerCmd::DbSize => keyspace::dbsize(node, client.db).await,
        ServerCmd::FlushDb => keyspace::flush(node, Some(client.db), args).await,
        ServerCmd::FlushAll => keyspace::flush(node, None, args).await,
        ServerCmd::Keys => keyspace::keys(node, client.db, args).await,
        ServerCmd::Scan => keyspace::scan(node, client.db, args).await,
        ServerCmd::RandomKey => keyspace::randomkey(node, client.db).await,
        ServerCmd::SwapDb => keyspace::swapdb(node, args).await,
        ServerCmd::Shutdown => admin::shutdown(node, client, args),
        ServerCmd::Debug => admin::debug(node, client.db, args).await,
        ServerCmd::LastSave => Reply::Int(node.shared.started_unix as i64),
        ServerCmd::Multi => multi::multi(client),
        ServerCmd::Discard => multi::discard(node, client).await,
        ServerCmd::Exec => multi::exec(node, client).await,
        ServerCmd::Watch => multi::watch(node, client, args).await,
        ServerCmd::Unwatch => multi::unwatch(node, client).await,
        ServerCmd::Scripting(cmd) => {
            Box::pin(crate::scripting::run_command(node, client, cmd, args, None)).await
        }
        ServerCmd::Pubsub(cmd) => crate::pubsub::run(node, client, cmd, args).await,
    }
}

/// A server command called by a script (`redis.call('TIME')`): those that need neither a
/// connection nor every shard answer here; the rest are refused inside scripts.
pub fn in_script(node: &Node, cmd: ServerCmd, args: &[Bytes]) -> Reply {
    match cmd {
        ServerCmd::Ping => connection::ping(args),
        ServerCmd::Echo => Reply::Bulk(args[1].clone()),
        ServerCmd::Time => admin::time(),
        ServerCmd::LastSave => Reply::Int(node.shared.started_unix as i64),
        // Every subcommand of these is flagged noscript in Redis.
        ServerCmd::Config | ServerCmd::Client => {
            Reply::error("ERR This Redis command is not allowed from script")
        }
        _ => Reply::error(format!(
            "ERR ferrokv does not support '{}' inside scripts",
            String::from_utf8_lossy(&args[0]).to_ascii_lowercase()
        )),
    }
}

/// `ERR unknown subcommand 'x'. Try CONFIG HELP.`
pub fn unknown_subcommand(sub: &[u8], container: &str) -> Reply {
    Reply::error(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        container
    ))
}

pub fn wrong_arity(name: &str) -> Reply {
    Reply::error(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}
