//! TEMPORARY compile stand-in for the VM API until wt-vm lands. Not to be committed.
#![allow(dead_code, unused_variables)]
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};

use crate::command::CommandSpec;
use crate::Shard;

pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}
#[derive(Default)]
pub struct ScriptFlags {
    pub no_writes: bool,
}
pub fn parse_shebang(body: &[u8]) -> Result<ScriptFlags, Reply> {
    Ok(ScriptFlags::default())
}
pub trait ScriptHost {
    fn call(&mut self, args: &[Bytes]) -> Reply;
    fn abandoned(&self) -> bool;
    fn wrote(&self) -> bool;
}
#[derive(Default)]
pub struct Watchdog {
    pub kill: AtomicBool,
}
impl Watchdog {
    pub fn is_busy(&self) -> bool {
        false
    }
    pub fn is_function(&self) -> bool {
        false
    }
    pub fn has_written(&self) -> bool {
        false
    }
}
pub struct RunOptions<'a> {
    pub read_only: bool,
    pub resp: RespVersion,
    pub busy_after: Duration,
    pub watchdog: &'a Watchdog,
}
pub struct ScriptVm;
impl Default for ScriptVm {
    fn default() -> Self {
        ScriptVm
    }
}
impl ScriptVm {
    pub fn new() -> ScriptVm {
        ScriptVm
    }
    pub fn load(&mut self, sha: &str, body: &[u8]) -> Result<(), Reply> {
        Ok(())
    }
    pub fn run(
        &mut self,
        sha: &str,
        body: &[u8],
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn ScriptHost,
        opts: &RunOptions,
    ) -> Reply {
        todo!()
    }
    pub fn flush(&mut self) {}
    pub fn load_library(&mut self, code: &[u8]) -> Result<Vec<super::functions::FunctionInfo>, Reply> {
        todo!()
    }
    pub fn call_function(
        &mut self,
        library: &super::functions::Library,
        index: usize,
        keys: &[Bytes],
        argv: &[Bytes],
        host: &mut dyn ScriptHost,
        opts: &RunOptions,
    ) -> Reply {
        todo!()
    }
}
pub type Lookup<'a> = &'a dyn Fn(&[u8]) -> Option<&'static CommandSpec>;
pub type Holds<'a> = &'a dyn Fn(&Shard, usize, &[u8]) -> bool;
pub struct ShardHost<'a> {
    shard: &'a mut Shard,
}
impl<'a> ShardHost<'a> {
    pub fn new(
        shard: &'a mut Shard,
        db: usize,
        now_ms: u64,
        lookup: Lookup<'a>,
        holds: Holds<'a>,
        read_only: bool,
        undo: bool,
    ) -> Self {
        ShardHost { shard }
    }
    pub fn undo(self) {}
    pub fn shard_mut(&mut self) -> &mut Shard {
        self.shard
    }
}
impl ScriptHost for ShardHost<'_> {
    fn call(&mut self, args: &[Bytes]) -> Reply {
        todo!()
    }
    fn abandoned(&self) -> bool {
        false
    }
    fn wrote(&self) -> bool {
        false
    }
}
