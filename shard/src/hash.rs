//! Hashs: the structure and its commands (placeholder until the family lands).

use crate::command::CommandSpec;
use crate::value::Collection;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Hash {}

impl Collection for Hash {
    const TYPE_NAME: &'static str = "hash";

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
