//! Lua scripting: one Lua 5.1 VM per shard thread with Redis's environment.

pub mod libs;
pub mod functions;
mod stub;
pub use stub::*;
