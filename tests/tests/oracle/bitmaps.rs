//! Random commands of the bitmaps family for the oracle: SETBIT GETBIT BITCOUNT BITPOS BITOP
//! BITFIELD BITFIELD_RO with valid and invalid arguments, over strings that look like bitmaps.

use ferrokv_tests::{shard_of, DEFAULT_SHARDS};
use rand::Rng;

use super::{Cmd, Cmp, Gen};

/// Key names of this family: `b0`..`b9`.
pub const PREFIX: &str = "b";

/// Bit offsets: mostly small, then the limits (512MB of bits is 4294967296; valid offsets
/// that large are only read, never written, to keep both servers small).
const BAD_OFFSETS: &[&str] = &[
    "-1",
    "x",
    "",
    " 1",
    "1.5",
    "#3",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
];

const INDEXES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "8",
    "9",
    "15",
    "16",
    "100",
    "-1",
    "-2",
    "-8",
    "-9",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "x",
    "",
];

const UNITS: &[&str] = &["BIT", "BYTE", "bit", "Byte", "bits", "x"];

const FIELD_TYPES: &[&str] = &[
    "i1", "i2", "i3", "i5", "i7", "i8", "i9", "i15", "i16", "i31", "i32", "i33", "i63", "i64",
    "u1", "u2", "u3", "u7", "u8", "u9", "u16", "u31", "u32", "u62", "u63", "u64", "i0", "i65",
    "I8", "x8", "u", "u08", "u+8",
];

const FIELD_VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "100",
    "127",
    "128",
    "-128",
    "-129",
    "255",
    "256",
    "1000",
    "-1000",
    "9223372036854775807",
    "-9223372036854775808",
    "4611686018427387904",
    "x",
    "1.5",
    "",
];

/// Keys for a command that reads several keys, all on the first one's shard: ferrokv answers
/// CROSSSLOT for a spanning BITOP, PFCOUNT or PFMERGE until its coordinator runs them. Once
/// it does, any family keys will do.
pub fn keys_on_one_shard(g: &mut Gen, prefix: &str, n: usize) -> Vec<Vec<u8>> {
    let first = g.family_key(prefix);
    let shard = shard_of(&first, DEFAULT_SHARDS);
    let mut keys = vec![first];
    for _ in 0..200 {
        if keys.len() >= n {
            break;
        }
        let k = g.family_key(prefix);
        if shard_of(&k, DEFAULT_SHARDS) == shard {
            keys.push(k);
        }
    }
    while keys.len() < n {
        keys.push(keys[0].clone());
    }
    keys
}

fn offset(g: &mut Gen) -> Vec<u8> {
    match g.rng.gen_range(0..100) {
        0..=79 => g.rng.gen_range(0..160).to_string().into_bytes(),
        80..=89 => g.rng.gen_range(0..20_000).to_string().into_bytes(),
        _ => g.pick(BAD_OFFSETS).into(),
    }
}

fn index(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.6) {
        g.rng.gen_range(-40..40).to_string().into_bytes()
    } else {
        g.pick(INDEXES).into()
    }
}

/// A string that looks like a bitmap: runs of set, clear and mixed bytes.
fn bitmap_value(g: &mut Gen) -> Vec<u8> {
    if g.chance(0.3) {
        return g.value();
    }
    let len = g.rng.gen_range(0..24);
    (0..len)
        .map(|_| {
            if g.chance(0.2) {
                g.rng.gen()
            } else {
                [0x00u8, 0xff, 0x0f, 0xf0, 0x80, 0x01, 0x55][g.rng.gen_range(0..7)]
            }
        })
        .collect()
}

fn bitfield(g: &mut Gen, key: Vec<u8>) -> Vec<Vec<u8>> {
    let name = if g.chance(0.7) {
        "BITFIELD"
    } else {
        "BITFIELD_RO"
    };
    let mut a = vec![g.name(name), key];
    for _ in 0..g.rng.gen_range(0..5) {
        if g.chance(0.15) {
            a.push(g.name("OVERFLOW"));
            let mode = g.pick(&["WRAP", "SAT", "FAIL", "FAIL", "SAT", "FOO"]);
            a.push(g.name(mode));
            continue;
        }
        let op = match g.rng.gen_range(0..10) {
            0..=3 => "GET",
            4..=6 => "SET",
            _ => "INCRBY",
        };
        a.push(g.name(op));
        let mut field_type: Vec<u8> = g.pick(FIELD_TYPES).into();
        if g.chance(0.02) {
            field_type.extend_from_slice(b"\0junk");
        }
        a.push(field_type);
        let off = match g.rng.gen_range(0..10) {
            0..=5 => g.rng.gen_range(0..130).to_string().into_bytes(),
            6..=8 => format!("#{}", g.rng.gen_range(0..12)).into_bytes(),
            _ => g.pick(&["#", "#-1", "##1", "-1", "x"]).into(),
        };
        // Far offsets are only read: a write there would make strings of hundreds of MB.
        let off = if op == "GET" && g.chance(0.05) {
            g.pick(&["#536870911", "#536870912", "4294967295", "4294967296"])
                .into()
        } else {
            off
        };
        a.push(off);
        if op != "GET" {
            let v = if g.chance(0.5) {
                g.rng.gen_range(-300..300).to_string().into_bytes()
            } else {
                g.pick(FIELD_VALUES).into()
            };
            a.push(v);
        }
    }
    a
}

pub fn next(g: &mut Gen) -> Cmd {
    let key = g.family_key(PREFIX);
    let args = match g.rng.gen_range(0..100) {
        0..=14 => {
            let value = if g.chance(0.95) {
                g.pick(&["0", "1"])
            } else {
                g.pick(&["2", "-1", "x", ""])
            };
            vec![g.name("SETBIT"), key, offset(g), value.into()]
        }
        15..=22 => {
            let off = if g.chance(0.05) {
                b"4294967295".to_vec()
            } else {
                offset(g)
            };
            vec![g.name("GETBIT"), key, off]
        }
        23..=34 => {
            let mut a = vec![g.name("BITCOUNT"), key];
            if g.chance(0.75) {
                a.push(index(g));
                a.push(index(g));
                if g.chance(0.5) {
                    a.push(g.pick(UNITS).into());
                }
            } else if g.chance(0.2) {
                a.push(index(g));
            }
            a
        }
        35..=48 => {
            let bit = if g.chance(0.95) {
                g.pick(&["0", "1"])
            } else {
                g.pick(&["2", "-1", "x"])
            };
            let mut a = vec![g.name("BITPOS"), key, bit.into()];
            let n = g.rng.gen_range(0..4);
            if n >= 1 {
                a.push(index(g));
            }
            if n >= 2 {
                a.push(index(g));
            }
            if n >= 3 {
                a.push(g.pick(UNITS).into());
            }
            if g.chance(0.02) {
                a.push(b"extra".to_vec());
            }
            a
        }
        49..=58 => {
            let op = g.pick(&["AND", "OR", "XOR", "NOT", "NOT", "FOO"]);
            let sources = if op == "NOT" && g.chance(0.9) {
                1
            } else {
                g.rng.gen_range(1..5)
            };
            let keys = keys_on_one_shard(g, PREFIX, sources + 1);
            let mut a = vec![g.name("BITOP"), g.name(op)];
            a.extend(keys);
            a
        }
        59..=78 => bitfield(g, key),
        79..=87 => vec![g.name("SET"), key, bitmap_value(g)],
        88..=91 => vec![g.name("OBJECT"), g.name("ENCODING"), key],
        92..=95 => vec![g.name("STRLEN"), key],
        _ => {
            let v = bitmap_value(g);
            vec![g.name("APPEND"), key, v]
        }
    };
    Cmd {
        args,
        cmp: Cmp::Exact,
    }
}
