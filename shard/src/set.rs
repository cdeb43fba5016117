//! Sets: the structure and its commands (placeholder until the family lands).

use crate::command::CommandSpec;
use crate::value::Collection;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Set {}

impl Collection for Set {
    const TYPE_NAME: &'static str = "set";

    fn len(&self) -> usize {
        0
    }

    fn encoding(&self) -> &'static str {
        "listpack"
    }

    fn heap_size(&self) -> usize {
        0
    }
}

pub static COMMANDS: &[CommandSpec] = &[];
