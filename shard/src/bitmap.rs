//! bitmap commands (placeholder until the family lands).

use crate::command::CommandSpec;

pub static COMMANDS: &[CommandSpec] = &[];
