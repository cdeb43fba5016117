//! The one command table: every command the server knows, from the shard families and the
//! server's own. The router, COMMAND and (later) ACL all read it.

use std::sync::OnceLock;

use ferrokv_shard::CommandSpec;
use hashbrown::HashMap;

use crate::commands::{self, ServerCmd};

pub struct Command {
    /// Index in the table; shards keep per-command statistics by it.
    pub id: usize,
    pub spec: &'static CommandSpec,
    /// Set for commands the server implements itself.
    pub server: Option<ServerCmd>,
}

pub struct CommandTable {
    commands: Vec<Command>,
    by_name: HashMap<Box<[u8]>, usize>,
}

impl CommandTable {
    pub fn get() -> &'static CommandTable {
        static TABLE: OnceLock<CommandTable> = OnceLock::new();
        TABLE.get_or_init(CommandTable::build)
    }

    fn build() -> CommandTable {
        let mut commands = Vec::new();
        let families = ferrokv_shard::families();
        let shard_specs = families.iter().flat_map(|f| f.iter()).map(|s| (s, None));
        let server_specs = commands::SPECS
            .iter()
            .chain(crate::scripting::SPECS)
            .chain(crate::pubsub::SPECS)
            .map(|s| (s, Some(commands::server_cmd(s.name))));
        for (spec, server) in shard_specs.chain(server_specs) {
            commands.push(Command {
                id: commands.len(),
                spec,
                server,
            });
        }
        let by_name = commands
            .iter()
            .map(|c| (Box::from(c.spec.name.as_bytes()), c.id))
            .collect();
        CommandTable { commands, by_name }
    }

    /// Case-insensitive lookup of a command name.
    pub fn lookup(&'static self, name: &[u8]) -> Option<&'static Command> {
        let mut buf = [0u8; 32];
        let lower = buf.get_mut(..name.len())?;
        lower.copy_from_slice(name);
        lower.make_ascii_lowercase();
        self.by_name.get(&*lower).map(|&i| &self.commands[i])
    }

    pub fn all(&'static self) -> &'static [Command] {
        &self.commands
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let t = CommandTable::get();
        let mut seen = std::collections::HashSet::new();
        for c in t.all() {
            assert_eq!(c.spec.name, c.spec.name.to_ascii_lowercase());
            assert!(seen.insert(c.spec.name), "duplicate {}", c.spec.name);
            assert_eq!(
                c.spec.handler.is_none(),
                c.server.is_some(),
                "{}",
                c.spec.name
            );
        }
        assert_eq!(t.lookup(b"GeT").map(|c| c.spec.name), Some("get"));
        assert!(t.lookup(b"nosuchcommand").is_none());
        assert!(t.lookup(&[b'a'; 100]).is_none());
    }
}
