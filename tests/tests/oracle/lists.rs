//! Random commands of the lists family for the oracle (placeholder until the family lands).

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `l0`..`l9`.
pub const PREFIX: &str = "l";

pub fn next(g: &mut Gen) -> Cmd {
    Cmd {
        args: vec![g.name("EXISTS"), g.family_key(PREFIX)],
        cmp: Cmp::Exact,
    }
}

/// Commands that read a key's whole state when it holds this family's type.
pub fn dump(_key: &[u8]) -> Vec<Cmd> {
    Vec::new()
}
