//! Random commands of the hyperloglogs family for the oracle (placeholder until the family lands).

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `hll0`..`hll9`.
pub const PREFIX: &str = "hll";

pub fn next(g: &mut Gen) -> Cmd {
    Cmd {
        args: vec![g.name("EXISTS"), g.family_key(PREFIX)],
        cmp: Cmp::Exact,
    }
}
