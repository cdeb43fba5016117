//! SortedSets: the structure and its commands (placeholder until the family lands).

use crate::command::CommandSpec;
use crate::value::Collection;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SortedSet {}

impl Collection for SortedSet {
    const TYPE_NAME: &'static str = "zset";

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

impl SortedSet {
    pub fn sort_elements(&self) -> Vec<bytes::Bytes> {
        Vec::new()
    }
}

pub static COMMANDS: &[CommandSpec] = &[];
