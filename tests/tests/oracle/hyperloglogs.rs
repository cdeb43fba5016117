//! Random commands of the hyperloglogs family for the oracle: PFADD (sometimes hundreds of
//! elements, so HLLs turn dense), PFCOUNT, PFMERGE, PFDEBUG, and GET of the HLL strings, which
//! must be Redis's bytes exactly. SET, APPEND and SETRANGE forge and corrupt HLLs to reach the
//! error paths.

use rand::Rng;

use super::bitmaps::keys_on_one_shard;
use super::{Cmd, Cmp, Gen};

/// Key names of this family: `hll0`..`hll9`.
pub const PREFIX: &str = "hll";

/// Strings that are, or almost are, HLLs.
const FORGED: &[&[u8]] = &[
    // Empty, with a stale and with a valid (wrong) cached count.
    b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff",
    b"HYLL\x01\0\0\0\x05\0\0\0\0\0\0\0\x7f\xff",
    // 16383 registers; every register plus one; no registers.
    b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe",
    b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff\xfc",
    b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80",
    // ZERO runs and VAL runs covering every register.
    b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x3f\x84\x7f\xbe",
    // Unknown encoding; dense of the wrong length; too short; not an HLL.
    b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff",
    b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff",
    b"HYLL\x01\0\0",
    b"foo",
    b"12345",
];

/// An element: mostly from a bounded universe, so that adds repeat and merges overlap.
fn element(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.9) {
        format!("e{}", g.rng.gen_range(0..20_000)).into_bytes()
    } else {
        g.value()
    }
}

pub fn next(g: &mut Gen) -> Cmd {
    let args = match g.rng.gen_range(0..100) {
        0..=29 => {
            let n = if g.chance(0.85) {
                g.rng.gen_range(0..6)
            } else {
                g.rng.gen_range(100..1500)
            };
            let mut a = vec![g.name("PFADD"), g.family_key(PREFIX)];
            a.extend((0..n).map(|_| element(g)));
            a
        }
        30..=44 => {
            let n = if g.chance(0.6) {
                1
            } else {
                g.rng.gen_range(2..5)
            };
            let mut a = vec![g.name("PFCOUNT")];
            a.extend(keys_on_one_shard(g, PREFIX, n));
            a
        }
        45..=54 => {
            let n = g.rng.gen_range(1..5);
            let mut a = vec![g.name("PFMERGE")];
            a.extend(keys_on_one_shard(g, PREFIX, n));
            a
        }
        55..=69 => vec![g.name("GET"), g.family_key(PREFIX)],
        70..=79 => {
            let sub = match g.rng.gen_range(0..20) {
                0..=6 => "ENCODING",
                7..=12 => "DECODE",
                13..=17 => "TODENSE",
                18 => "GETREG",
                _ => "FOO",
            };
            vec![g.name("PFDEBUG"), g.name(sub), g.family_key(PREFIX)]
        }
        80..=84 => {
            let forged = FORGED[g.rng.gen_range(0..FORGED.len())];
            vec![g.name("SET"), g.family_key(PREFIX), forged.to_vec()]
        }
        85..=89 => {
            // Whole opcodes only: a string ending in the first byte of an XZERO makes Redis
            // read the byte past its end, which may be left over from an earlier write.
            let key = g.family_key(PREFIX);
            if g.chance(0.5) {
                let ops: &[&[u8]] = &[b"\x00", b"\x3f", b"\x80", b"\xfc", b"\x41\x00"];
                let op = ops[g.rng.gen_range(0..ops.len())];
                vec![g.name("APPEND"), key, op.to_vec()]
            } else {
                // The encoding byte, the cached count and its stale bit.
                let at = g.pick(&["4", "8", "15"]);
                let byte = [0x00u8, 0x3f, 0x80, 0xfc][g.rng.gen_range(0..4)];
                vec![g.name("SETRANGE"), key, at.into(), vec![byte]]
            }
        }
        90..=94 => vec![g.name("OBJECT"), g.name("ENCODING"), g.family_key(PREFIX)],
        _ => vec![g.name("STRLEN"), g.family_key(PREFIX)],
    };
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}
