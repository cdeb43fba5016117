//! BITFIELD and BITFIELD_RO: integers of 1 to 64 bits at arbitrary bit offsets.

use bytes::Bytes;
use ferrokv_protocol::Reply;

use super::{bit_offset, edit_bits, string_bytes};
use crate::args;
use crate::error::{CmdError, CmdResult};
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;
use crate::value::parse_canonical_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

/// An integer type: `i1`..`i64` or `u1`..`u63`.
#[derive(Clone, Copy)]
struct Field {
    signed: bool,
    bits: u32,
}

struct Op {
    kind: OpKind,
    field: Field,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// Redis's `getBitfieldTypeFromArgument`. The width is read as a C string, so whatever
/// follows a NUL byte is ignored.
fn field_type(arg: &[u8]) -> Result<Field, CmdError> {
    let invalid = || {
        CmdError::other(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(invalid()),
    };
    let bits = parse_canonical_i64(args::c_str(&arg[1..])).ok_or_else(invalid)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(invalid());
    }
    Ok(Field {
        signed,
        bits: bits as u32,
    })
}

/// Parses the subcommands; errors come in argument order, as Redis reports them.
fn parse_ops(args: &[Bytes]) -> Result<Vec<Op>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let kind = if args::is(sub, "GET") && remaining >= 2 {
            OpKind::Get
        } else if args::is(sub, "SET") && remaining >= 3 {
            OpKind::Set
        } else if args::is(sub, "INCRBY") && remaining >= 3 {
            OpKind::IncrBy
        } else if args::is(sub, "OVERFLOW") && remaining >= 1 {
            let name = &args[j + 1];
            overflow = [
                ("WRAP", Overflow::Wrap),
                ("SAT", Overflow::Sat),
                ("FAIL", Overflow::Fail),
            ]
            .into_iter()
            .find(|(n, _)| args::is(name, n))
            .map(|(_, o)| o)
            .ok_or_else(|| CmdError::other("ERR Invalid OVERFLOW type specified"))?;
            j += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let field = field_type(&args[j + 1])?;
        let offset = bit_offset(&args[j + 2], Some(field.bits))?;
        let value = if kind == OpKind::Get {
            0
        } else {
            args::int(&args[j + 3])?
        };
        ops.push(Op {
            kind,
            field,
            offset,
            value,
            overflow,
        });
        j += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// The `bits`-wide unsigned integer at bit `offset` of `s`; bytes past the end read as zero.
fn get_bits(s: &[u8], offset: u64, bits: u32) -> u64 {
    let first = (offset >> 3) as usize;
    // Nine bytes hold any 64-bit field whatever its alignment.
    let mut window: u128 = 0;
    for i in 0..9 {
        window = window << 8 | s.get(first + i).copied().unwrap_or(0) as u128;
    }
    let shift = 72 - (offset & 7) as u32 - bits;
    ((window >> shift) & field_mask(bits)) as u64
}

/// Writes the low `bits` bits of `value` at bit `offset` of `s`, which holds them.
fn set_bits(s: &mut [u8], offset: u64, bits: u32, value: u64) {
    let first = (offset >> 3) as usize;
    let width = ((offset & 7) as usize + bits as usize).div_ceil(8);
    let Some(bytes) = s.get_mut(first..first + width) else {
        return;
    };
    let mut window: u128 = 0;
    for b in bytes.iter() {
        window = window << 8 | *b as u128;
    }
    let shift = (width * 8) as u32 - (offset & 7) as u32 - bits;
    window &= !(field_mask(bits) << shift);
    window |= (value as u128 & field_mask(bits)) << shift;
    for (i, b) in bytes.iter_mut().rev().enumerate() {
        *b = (window >> (8 * i)) as u8;
    }
}

fn field_mask(bits: u32) -> u128 {
    (1u128 << bits) - 1
}

impl Field {
    fn read(self, s: &[u8], offset: u64) -> i64 {
        self.value_of(get_bits(s, offset, self.bits))
    }

    /// `value + incr` in this type (for SET, `incr` is 0 and `value` the argument, which an
    /// unsigned field reads as its two's complement bits), or `None` when it overflows under
    /// FAIL. The overflow tests are Redis's `check*BitfieldOverflow` to the letter: their
    /// differences wrap for far out-of-range values, so that, say, SET i63 of -2^63 counts as
    /// overflowing upwards and saturates to the maximum, as in Redis.
    fn add(self, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
        let bits = self.bits;
        let saturated = if self.signed {
            let max = if bits == 64 {
                i64::MAX
            } else {
                (1i64 << (bits - 1)) - 1
            };
            let min = -max - 1;
            let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
            let min_incr = min.wrapping_sub(value);
            if value > max
                || (bits != 64 && incr > max_incr)
                || (value >= 0 && incr > 0 && incr > max_incr)
            {
                Some(max)
            } else if value < min
                || (bits != 64 && incr < min_incr)
                || (value < 0 && incr < 0 && incr < min_incr)
            {
                Some(min)
            } else {
                None
            }
        } else {
            let value = value as u64;
            let max = (1u64 << bits) - 1;
            let max_incr = max.wrapping_sub(value) as i64;
            let min_incr = value.wrapping_neg() as i64;
            if value > max || (incr > 0 && incr > max_incr) {
                Some(max as i64)
            } else if incr < 0 && incr < min_incr {
                Some(0)
            } else {
                None
            }
        };
        let sum = self.value_of((value as u64).wrapping_add(incr as u64));
        match (saturated, overflow) {
            (None, _) | (Some(_), Overflow::Wrap) => Some(sum),
            (Some(limit), Overflow::Sat) => Some(limit),
            (Some(_), Overflow::Fail) => None,
        }
    }

    /// The low `bits` bits of `raw` as a value of this type.
    fn value_of(self, raw: u64) -> i64 {
        let unused = 64 - self.bits;
        if self.signed {
            ((raw << unused) as i64) >> unused
        } else {
            ((raw << unused) >> unused) as i64
        }
    }
}

pub(super) fn bitfield(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, false)
}

pub(super) fn bitfield_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    run(ctx, args, true)
}

fn run(ctx: &mut Ctx<'_>, args: &[Bytes], read_only: bool) -> CmdResult {
    let ops = parse_ops(args)?;
    let key = &args[1];
    let highest_write = ops
        .iter()
        .filter(|op| op.kind != OpKind::Get)
        .map(|op| op.offset + op.field.bits as u64 - 1)
        .max();
    let Some(highest_write) = highest_write else {
        let s = string_bytes(ctx, key)?.unwrap_or_default();
        let replies = ops
            .iter()
            .map(|op| Reply::Int(op.field.read(&s, op.offset)))
            .collect();
        return Ok(Reply::Array(replies));
    };
    if read_only {
        return Err(CmdError::other(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    // The string grows to hold every written field before any runs, even one that fails.
    // A write that stores something counts as a change when the string grew or the field's
    // value differs, as in Redis.
    let mut changed = false;
    let replies = edit_bits(ctx, key, highest_write, |buf, grown| {
        ops.iter()
            .map(|op| {
                let old = op.field.read(buf, op.offset);
                let (new, reply) = match op.kind {
                    OpKind::Get => return Reply::Int(old),
                    OpKind::Set => (op.field.add(op.value, 0, op.overflow), old),
                    OpKind::IncrBy => {
                        let new = op.field.add(old, op.value, op.overflow);
                        (new, new.unwrap_or(0))
                    }
                };
                match new {
                    Some(new) => {
                        set_bits(buf, op.offset, op.field.bits, new as u64);
                        changed |= grown || new != old;
                        Reply::Int(reply)
                    }
                    None => Reply::Null,
                }
            })
            .collect()
    })?;
    if changed {
        ctx.notify(KeyspaceEvents::STRING, "setbit", key);
    }
    Ok(Reply::Array(replies))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_support::*;

    const TYPE_ERR: &str =
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
    const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
    const SYNTAX: &str = "ERR syntax error";

    fn arr(v: Vec<Reply>) -> Reply {
        Reply::Array(v)
    }

    #[test]
    fn bits_round_trip_at_any_alignment() {
        let mut s = vec![0u8; 12];
        for offset in 0..20 {
            for bits in [1, 7, 8, 13, 63, 64] {
                let v = 0xA5A5_5A5A_F00F_1234u64 & (u64::MAX >> (64 - bits));
                set_bits(&mut s, offset, bits, v);
                assert_eq!(get_bits(&s, offset, bits), v, "{offset} {bits}");
            }
        }
        assert_eq!(get_bits(&[0xFF], 4, 8), 0xF0);
    }

    #[test]
    fn argument_errors_in_order() {
        let mut t = TestShard::new();
        for (cmd, want) in [
            ("bitfield k", arr(vec![])),
            ("bitfield k overflow sat", arr(vec![])),
            ("bitfield k get i8 0", arr(vec![int(0)])),
            ("exists k", int(0)),
            ("bitfield k get I8 0", err(TYPE_ERR)),
            ("bitfield k get i0 0", err(TYPE_ERR)),
            ("bitfield k get i65 0", err(TYPE_ERR)),
            ("bitfield k get u64 0", err(TYPE_ERR)),
            ("bitfield k get u08 0", err(TYPE_ERR)),
            ("bitfield k get i 0", err(TYPE_ERR)),
            ("bitfield k get u63 0", arr(vec![int(0)])),
            ("bitfield k get i8 #", err(OFFSET_ERR)),
            ("bitfield k get i8 #-1", err(OFFSET_ERR)),
            ("bitfield k get i8 ##1", err(OFFSET_ERR)),
            ("bitfield k get i8 #536870911", arr(vec![int(0)])),
            ("bitfield k get i8 #536870912", err(OFFSET_ERR)),
            ("bitfield k get i8 #1152921504606846976", err(OFFSET_ERR)),
            // Redis's multiplication wraps to offset 0.
            ("bitfield k get i8 #2305843009213693952", arr(vec![int(0)])),
            ("bitfield k get i8 4294967296", err(OFFSET_ERR)),
            ("bitfield k get i8", err(SYNTAX)),
            ("bitfield k foo", err(SYNTAX)),
            ("bitfield k overflow", err(SYNTAX)),
            (
                "bitfield k overflow foo get x 0",
                err("ERR Invalid OVERFLOW type specified"),
            ),
            ("bitfield k get x 0 overflow foo", err(TYPE_ERR)),
            ("bitfield k set i8 0", err(SYNTAX)),
            (
                "bitfield k set i8 0 1.5",
                err("ERR value is not an integer or out of range"),
            ),
            ("bitfield k get i8 0 set i8 x 1", err(OFFSET_ERR)),
            (
                "bitfield_ro k set i8 0 x",
                err("ERR value is not an integer or out of range"),
            ),
            (
                "bitfield_ro k incrby i8 0 1",
                err("ERR BITFIELD_RO only supports the GET subcommand"),
            ),
            ("bitfield_ro k get i8 0 overflow fail", arr(vec![int(0)])),
            ("exists k", int(0)),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
        assert_eq!(
            t.run_bytes(&[b"bitfield", b"k", b"get", b"u8\0x", b"0"]),
            arr(vec![int(0)])
        );
    }

    #[test]
    fn overflow_modes() {
        let mut t = TestShard::new();
        for (cmd, want) in [
            (
                "bitfield k set u8 0 255 get u8 0",
                arr(vec![int(0), int(255)]),
            ),
            ("bitfield k incrby u8 0 10", arr(vec![int(9)])),
            (
                "bitfield k overflow sat incrby u8 0 300",
                arr(vec![int(255)]),
            ),
            (
                "bitfield k overflow fail incrby u8 0 1",
                arr(vec![Reply::Null]),
            ),
            (
                "bitfield k overflow sat incrby u8 0 -300",
                arr(vec![int(0)]),
            ),
            (
                "bitfield k overflow wrap incrby u8 0 -1",
                arr(vec![int(255)]),
            ),
            (
                "bitfield k set i8 0 127 incrby i8 0 1",
                arr(vec![int(-1), int(-128)]),
            ),
            (
                "bitfield k overflow sat incrby i8 0 -1",
                arr(vec![int(-128)]),
            ),
            (
                "bitfield k overflow sat set i8 0 1000 get i8 0",
                arr(vec![int(-128), int(127)]),
            ),
            (
                "bitfield k overflow fail set i8 0 -129 get i8 0",
                arr(vec![Reply::Null, int(127)]),
            ),
            // An unsigned SET reads a negative argument as its two's complement.
            ("bitfield k overflow sat set u8 0 -1", arr(vec![int(127)])),
            (
                "bitfield k set u8 0 -2 get u8 0",
                arr(vec![int(255), int(254)]),
            ),
            (
                "bitfield k set i64 0 -9223372036854775808 incrby i64 0 -1",
                arr(vec![int(-144115188075855872), int(i64::MAX)]),
            ),
            (
                "bitfield k overflow sat incrby i64 0 9223372036854775807",
                arr(vec![int(i64::MAX)]),
            ),
            (
                "bitfield k set u63 0 -1 get u63 0",
                arr(vec![int(4611686018427387903), int(i64::MAX)]),
            ),
            (
                "bitfield k set i1 100 -1 get u1 100 get i1 100",
                arr(vec![int(0), int(1), int(-1)]),
            ),
            // Redis's overflow test wraps for values this far below an i63's range.
            (
                "bitfield w overflow sat set i63 0 -9223372036854775808 get i63 0",
                arr(vec![int(0), int(4611686018427387903)]),
            ),
            (
                "bitfield w overflow sat set i63 0 -4611686018427387905 get i63 0",
                arr(vec![int(4611686018427387903), int(4611686018427387903)]),
            ),
            (
                "bitfield w overflow sat set i63 0 -4611686018427387904 get i63 0",
                arr(vec![int(4611686018427387903), int(-4611686018427387904)]),
            ),
            (
                "bitfield w overflow fail set i63 0 -9223372036854775808",
                arr(vec![Reply::Null]),
            ),
            (
                "bitfield w overflow wrap set i63 0 -9223372036854775808 get i63 0",
                arr(vec![int(-4611686018427387904), int(0)]),
            ),
            (
                "bitfield n overflow fail incrby u2 100 5",
                arr(vec![Reply::Null]),
            ),
            ("strlen n", int(13)),
            ("set s 12", ok()),
            ("bitfield s get u8 0 get i4 #1", arr(vec![int(49), int(1)])),
            ("object encoding s", bulk("int")),
            ("bitfield s set u8 #1 51", arr(vec![int(50)])),
            ("get s", bulk("13")),
            ("object encoding s", bulk("raw")),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }
}
