//! Random commands of the sorts family for the oracle (placeholder until the family lands).

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `srt0`..`srt9`.
pub const PREFIX: &str = "srt";

pub fn next(g: &mut Gen) -> Cmd {
    Cmd {
        args: vec![g.name("EXISTS"), g.family_key(PREFIX)],
        cmp: Cmp::Exact,
    }
}
