//! One shard's state and commands: keyspace, types, expiry, transaction locks.
//!
//! Synchronous code only: no sockets, no threads, no executor. The server owns one `Shard` per
//! thread and calls into it.

pub mod args;
pub mod bitmap;
pub mod blocking;
pub mod command;
pub mod dense_map;
pub mod error;
pub mod glob;
pub mod hash;
pub mod hyperloglog;
pub mod inline_bytes;
pub mod keys;
pub mod keyspace;
pub mod limits;
pub mod list;
pub mod listpack;
pub mod notify;
pub mod pubsub;
pub mod script;
pub mod set;
pub mod shard;
pub mod slot;
pub mod sort;
pub mod stream;
pub mod string;
pub mod strtod;
pub mod txlock;
pub mod value;
pub mod watch;
pub mod zset;

pub use command::{CommandSpec, Handler, Split};
pub use error::{CmdError, CmdResult};
pub use shard::{Ctx, Shard};

/// Every command family implemented inside a shard, for the server's command table.
pub fn families() -> [&'static [CommandSpec]; 12] {
    [
        string::COMMANDS,
        keys::COMMANDS,
        hash::COMMANDS,
        list::COMMANDS,
        set::COMMANDS,
        zset::COMMANDS,
        bitmap::COMMANDS,
        hyperloglog::COMMANDS,
        sort::COMMANDS,
        stream::COMMANDS,
        stream::GROUP_COMMANDS,
        pubsub::COMMANDS,
    ]
}
