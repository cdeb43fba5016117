//! Random commands of the bitmaps family for the oracle (placeholder until the family lands).

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `b0`..`b9`.
pub const PREFIX: &str = "b";

pub fn next(g: &mut Gen) -> Cmd {
    Cmd {
        args: vec![g.name("EXISTS"), g.family_key(PREFIX)],
        cmp: Cmp::Exact,
    }
}
