//! Lua scripting: one Lua 5.1 VM per shard thread with Redis's environment.

mod convert;
pub mod functions;
pub mod libs;
mod rand48;
mod shard_host;
mod vm;

#[cfg(test)]
mod tests;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};

pub use shard_host::{other_db, ShardHost};
pub use vm::ScriptVm;

/// The SHA1 of a script body as Redis names scripts: 40 lowercase hex digits.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// The flags a script declares in its `#!lua flags=...` line (and a function in its
/// registration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    pub no_writes: bool,
    pub allow_oom: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
    pub allow_stale: bool,
    /// The script has a shebang line: without one, Redis runs it in EVAL's compatibility mode
    /// (flags come from the commands it calls, not from its declaration).
    pub shebang: bool,
}

impl ScriptFlags {
    /// Sets the flag named `name` as Redis spells it; false for an unknown name.
    pub fn set(&mut self, name: &[u8]) -> bool {
        let flag = match name {
            b"no-writes" => &mut self.no_writes,
            b"allow-oom" => &mut self.allow_oom,
            b"allow-stale" => &mut self.allow_stale,
            b"no-cluster" => &mut self.no_cluster,
            b"allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The flag names as FUNCTION LIST reports them, in Redis's order.
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.no_writes, "no-writes"),
            (self.allow_oom, "allow-oom"),
            (self.allow_stale, "allow-stale"),
            (self.no_cluster, "no-cluster"),
            (self.allow_cross_slot_keys, "allow-cross-slot-keys"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect()
    }
}

/// Length of the shebang line of `body` (up to, not including, its newline); 0 without one.
fn shebang_len(body: &[u8]) -> usize {
    if !body.starts_with(b"#!") {
        return 0;
    }
    body.iter().position(|&b| b == b'\n').unwrap_or(body.len())
}

/// Parses the `#!lua flags=a,b` line of an EVAL script as Redis's evalExtractShebangFlags does.
pub fn parse_shebang(body: &[u8]) -> Result<ScriptFlags, Reply> {
    let mut flags = ScriptFlags::default();
    if !body.starts_with(b"#!") {
        return Ok(flags);
    }
    if !body.contains(&b'\n') {
        return Err(Reply::error("ERR Invalid script shebang"));
    }
    let parts = match ferrokv_protocol::split_args(&body[..shebang_len(body)]) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err(Reply::error("ERR Invalid engine in script shebang")),
    };
    if parts[0].as_ref() != b"#!lua" {
        return Err(error_quoting(
            "ERR Unexpected engine in script shebang: ",
            &parts[0],
        ));
    }
    flags.shebang = true;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(error_quoting("ERR Unknown lua shebang option: ", part));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            if !flags.set(name) {
                return Err(error_quoting(
                    "ERR Unexpected flag in script shebang: ",
                    name,
                ));
            }
        }
    }
    Ok(flags)
}

/// An error reply made of a fixed text and client bytes, which need not be UTF-8.
fn error_quoting(prefix: &str, quoted: &[u8]) -> Reply {
    let mut text = prefix.as_bytes().to_vec();
    text.extend_from_slice(quoted);
    Reply::Error(text.into())
}

/// What a running script reaches the keyspace through.
pub trait ScriptHost {
    /// One redis.call/redis.pcall; args[0] is the command name as written by the script.
    /// Returns the command's reply; command errors come back as Reply::Error. The host does the
    /// command lookup, arity, NOSCRIPT/not-allowed checks, read-only-script checks and key
    /// ownership.
    fn call(&mut self, args: &[Bytes]) -> Reply;
    /// True once the host refused a key it does not hold: the VM stops the run as fast as
    /// possible (even if the script pcall'ed the error) and returns anything; the caller re-runs
    /// it elsewhere.
    fn abandoned(&self) -> bool;
    /// Whether the run has performed a write (SCRIPT KILL answers UNKILLABLE then).
    fn wrote(&self) -> bool;
    /// redis.acl_check_cmd: whether `name` names a command (there are no ACLs to check).
    fn command_exists(&self, name: &[u8]) -> bool;
}

/// Shared between threads: lets SCRIPT KILL stop a run and tells others the shard is BUSY.
#[derive(Debug, Default)]
pub struct Watchdog {
    /// Set by SCRIPT KILL (FUNCTION KILL); the run stops at its next check unless it wrote.
    /// Cleared when a run starts and when it ends.
    pub kill: AtomicBool,
    /// Set while a run has lasted longer than busy-reply-threshold; cleared when it ends.
    pub busy: AtomicBool,
}

pub struct RunOptions<'a> {
    /// EVAL_RO, FCALL_RO or a no-writes script: the host refuses writes (the VM only passes it on).
    pub read_only: bool,
    /// The client's protocol. The VM's replies do not depend on it: as in Redis, the script's
    /// own protocol (redis.setresp) decides the conversion, and the encoding downgrades RESP3
    /// types for a RESP2 client.
    pub resp: RespVersion,
    /// busy-reply-threshold (lua-time-limit).
    pub busy_after: Duration,
    pub watchdog: &'a Watchdog,
}
