//! Bitmaps: bit-level commands over string values (Redis's bitops.c). A bitmap is a plain
//! string; bit 0 is the most significant bit of the first byte.

mod bitfield;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::notify::KeyspaceEvents;
use crate::shard::{lru_clock, Ctx};
use crate::string::{proto_max_bulk_len, read_str};
use crate::value::{StrValue, Value};

const ACL_READ_FAST: &[&str] = &["read", "bitmap", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "bitmap", "slow"];
const ACL_WRITE_SLOW: &[&str] = &["write", "bitmap", "slow"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("setbit", 4, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, "bitmap", "Sets or clears the bit at offset in the string value stored at key", "2.2.0", Some(setbit), Split::None),
    spec("getbit", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "bitmap", "Returns the bit value at offset in the string value stored at key", "2.2.0", Some(getbit), Split::None),
    spec("bitcount", -2, READONLY, (1, 1, 1), ACL_READ_SLOW, "bitmap", "Count set bits in a string", "2.6.0", Some(bitcount), Split::None),
    spec("bitpos", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, "bitmap", "Find first bit set or clear in a string", "2.8.7", Some(bitpos), Split::None),
    spec("bitop", -4, WRITE | DENYOOM, (2, -1, 1), ACL_WRITE_SLOW, "bitmap", "Perform bitwise operations between strings", "2.6.0", Some(bitop), Split::Transaction),
    spec("bitfield", -2, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, "bitmap", "Perform arbitrary bitfield integer operations on strings", "3.2.0", Some(bitfield::bitfield), Split::None),
    spec("bitfield_ro", -2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "bitmap", "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD", "6.0.0", Some(bitfield::bitfield_ro), Split::None),
];

/// Redis's `getBitOffsetFromArgument`: a bit offset below `proto-max-bulk-len` bytes. With
/// `field_bits` (BITFIELD), `#n` means the n-th field of that width; the product wraps as
/// Redis's does, so an absurd `#n` may land anywhere, even on a valid offset.
fn bit_offset(arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let invalid = || CmdError::other("ERR bit offset is not an integer or out of range");
    let (digits, scale) = match (arg, field_bits) {
        ([b'#', rest @ ..], Some(bits)) => (rest, bits as i64),
        _ => (arg, 1),
    };
    let offset = args::int(digits)
        .map_err(|_| invalid())?
        .wrapping_mul(scale);
    if offset < 0 || (offset >> 3) as u64 >= proto_max_bulk_len() {
        return Err(invalid());
    }
    Ok(offset as u64)
}

/// The bytes of a string for reading: its text, even when it is stored as an integer.
fn string_bytes(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<Bytes>, CmdError> {
    Ok(read_str(ctx, key)?.map(StrValue::to_bytes))
}

/// Redis's `lookupStringForBitCommand` followed by the edit: the string at `key` (created when
/// absent) zero-padded to hold bit `max_bit`, then `edit`ed in place, told whether the string
/// was created or grew (Redis's `dirty`: a change whatever the edit does). The value ends
/// `raw`.
fn edit_bits<R>(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    max_bit: u64,
    edit: impl FnOnce(&mut BytesMut, bool) -> R,
) -> Result<R, CmdError> {
    let len = (max_bit >> 3) as usize + 1;
    let now = ctx.now_ms;
    let e = ctx
        .ks()
        .get_or_insert_with(key, now, || Value::Str(StrValue::Raw(Bytes::new())));
    e.access = lru_clock(now);
    let s = e.value.as_str_mut().ok_or(CmdError::WrongType)?;
    Ok(s.edit_raw(|buf| {
        let grown = buf.len() < len;
        if grown {
            buf.resize(len, 0);
        }
        edit(buf, grown)
    }))
}

/// Mask of bit `bit` (0 = most significant) within its byte.
fn bit_mask(bit: u64) -> u8 {
    0x80 >> (bit & 7)
}

fn setbit(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(&args[2], None)?;
    let on = match args::int(&args[3]) {
        Ok(v @ (0 | 1)) => v == 1,
        _ => return Err(CmdError::other("ERR bit is not an integer or out of range")),
    };
    let (old, changed) = edit_bits(ctx, &args[1], offset, |buf, grown| {
        let byte = &mut buf[(offset >> 3) as usize];
        let old = *byte & bit_mask(offset) != 0;
        if on {
            *byte |= bit_mask(offset);
        } else {
            *byte &= !bit_mask(offset);
        }
        (old, grown || old != on)
    })?;
    if changed {
        ctx.notify(KeyspaceEvents::STRING, "setbit", &args[1]);
    }
    Ok(Reply::Int(old as i64))
}

fn getbit(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let offset = bit_offset(&args[2], None)?;
    let bit = string_bytes(ctx, &args[1])?
        .and_then(|s| s.get((offset >> 3) as usize).copied())
        .is_some_and(|byte| byte & bit_mask(offset) != 0);
    Ok(Reply::Int(bit as i64))
}

/// The unit of BITCOUNT's and BITPOS's indexes.
fn index_unit(arg: &[u8]) -> Result<bool, CmdError> {
    if args::is(arg, "BIT") {
        Ok(true)
    } else if args::is(arg, "BYTE") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Inclusive `start..=end` indexes over `total` units turned into an inclusive range of bits of
/// a string, Redis's way: negative indexes count from the end, both ends are clamped into
/// the string, and `None` means empty.
fn bit_range(start: i64, end: i64, total: i64, in_bits: bool) -> Option<(u64, u64)> {
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (start, end) = (from_end(start), from_end(end).min(total - 1));
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(if in_bits {
        (start, end)
    } else {
        (start * 8, end * 8 + 7)
    })
}

/// Set bits among bits `from..=to` of `s` (both inside `s`).
fn count_bits(s: &[u8], from: u64, to: u64) -> u64 {
    let (first, last) = ((from >> 3) as usize, (to >> 3) as usize);
    let Some(bytes) = s.get(first..=last) else {
        return 0;
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u64 = chunks
        .by_ref()
        .map(|c| {
            u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]).count_ones() as u64
        })
        .sum();
    n += chunks
        .remainder()
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>();
    let before = bytes[0] & !(0xFF >> (from & 7));
    let after = bytes[bytes.len() - 1] & (0xFFu16 >> ((to & 7) + 1)) as u8;
    n - before.count_ones() as u64 - after.count_ones() as u64
}

fn bitcount(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    // Redis 7.0 looks the key up before reading the arguments: a missing key is 0 whatever
    // follows it.
    let Some(s) = string_bytes(ctx, &args[1])? else {
        return Ok(Reply::Int(0));
    };
    let len = s.len() as i64;
    let range = match args.len() {
        2 => bit_range(0, -1, len, false),
        4 | 5 => {
            let start = args::int(&args[2])?;
            let end = args::int(&args[3])?;
            // Checked before the unit is read: a bad unit goes unnoticed here.
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Int(0));
            }
            let in_bits = match args.get(4) {
                Some(unit) => index_unit(unit)?,
                None => false,
            };
            bit_range(start, end, if in_bits { len * 8 } else { len }, in_bits)
        }
        _ => return Err(CmdError::Syntax),
    };
    let n = range.map_or(0, |(from, to)| count_bits(&s, from, to));
    Ok(Reply::Int(n as i64))
}

/// The first bit equal to `bit` among bits `from..=to` of `s` (both inside `s`).
fn find_bit(s: &[u8], from: u64, to: u64, bit: bool) -> Option<u64> {
    let (first, last) = ((from >> 3) as usize, (to >> 3) as usize);
    // Look for a set bit in each byte, inverted when looking for a clear one.
    let wanted = |b: u8| if bit { b } else { !b };
    let skip = wanted(0);
    let mut i = first;
    while i <= last {
        let mut b = wanted(*s.get(i)?);
        if i == first {
            b &= 0xFF >> (from & 7);
        }
        if i == last {
            b &= !((0xFFu16 >> ((to & 7) + 1)) as u8);
        }
        if b != 0 {
            return Some(i as u64 * 8 + b.leading_zeros() as u64);
        }
        i += 1;
        if i < last {
            // Whole bytes in between: skip the ones without a match quickly.
            let run = s.get(i..last)?.iter().position(|&x| x != skip);
            i = run.map_or(last, |r| i + r);
        }
    }
    None
}

fn bitpos(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let bit = match args::int(&args[2])? {
        v @ (0 | 1) => v == 1,
        _ => return Err(CmdError::other("ERR The bit argument must be 1 or 0.")),
    };
    // A missing key is an infinite run of clear bits.
    let Some(s) = string_bytes(ctx, &args[1])? else {
        return Ok(Reply::Int(if bit { -1 } else { 0 }));
    };
    let len = s.len() as i64;
    let (range, end_given) = match args.len() {
        3 => (bit_range(0, -1, len, false), false),
        4..=6 => {
            let start = args::int(&args[3])?;
            let in_bits = match args.get(5) {
                Some(unit) => index_unit(unit)?,
                None => false,
            };
            let end = match args.get(4) {
                Some(end) => Some(args::int(end)?),
                None => None,
            };
            let total = if in_bits { len * 8 } else { len };
            (
                bit_range(start, end.unwrap_or(-1), total, in_bits),
                end.is_some(),
            )
        }
        _ => return Err(CmdError::Syntax),
    };
    let Some((from, to)) = range else {
        return Ok(Reply::Int(-1));
    };
    let pos = match find_bit(&s, from, to, bit) {
        Some(pos) => pos as i64,
        // Without an explicit end the string counts as padded with clear bits.
        None if !bit && !end_given => to as i64 + 1,
        None => -1,
    };
    Ok(Reply::Int(pos))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

fn bitop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let op = [
        ("AND", BitOp::And),
        ("OR", BitOp::Or),
        ("XOR", BitOp::Xor),
        ("NOT", BitOp::Not),
    ]
    .into_iter()
    .find(|(name, _)| args::is(&args[1], name))
    .map(|(_, op)| op)
    .ok_or(CmdError::Syntax)?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::other(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        sources.push(string_bytes(ctx, key)?.unwrap_or_default());
    }
    let dest = &args[2];
    let now = ctx.now_ms;
    let len = sources.iter().map(Bytes::len).max().unwrap_or(0);
    if len == 0 {
        if ctx.ks().delete(dest) {
            ctx.notify(KeyspaceEvents::GENERIC, "del", dest);
        }
        return Ok(Reply::Int(0));
    }
    // Every source counts as zero-padded to the longest one.
    let mut out = vec![0u8; len];
    out[..sources[0].len()].copy_from_slice(&sources[0]);
    match op {
        BitOp::Not => out.iter_mut().for_each(|b| *b = !*b),
        BitOp::And => {
            for s in &sources[1..] {
                out.iter_mut().zip(s.iter()).for_each(|(o, b)| *o &= b);
                out[s.len()..].fill(0);
            }
        }
        BitOp::Or => {
            for s in &sources[1..] {
                out.iter_mut().zip(s.iter()).for_each(|(o, b)| *o |= b);
            }
        }
        BitOp::Xor => {
            for s in &sources[1..] {
                out.iter_mut().zip(s.iter()).for_each(|(o, b)| *o ^= b);
            }
        }
    }
    let value = Value::Str(StrValue::Raw(Bytes::from(out)));
    ctx.ks().insert(dest, value, None, now);
    ctx.notify(KeyspaceEvents::STRING, "set", dest);
    Ok(Reply::Int(len as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hyperloglog::tests::plant_hash;
    use crate::string::test_support::*;

    const OFFSET_ERR: &str = "ERR bit offset is not an integer or out of range";
    const NOT_INT: &str = "ERR value is not an integer or out of range";
    const SYNTAX: &str = "ERR syntax error";
    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn set(t: &mut TestShard, key: &str, value: &[u8]) {
        assert_eq!(t.run_bytes(&[b"set", key.as_bytes(), value]), ok());
    }

    #[test]
    fn setbit_and_getbit() {
        let mut t = TestShard::new();
        plant_hash(&mut t, "l");
        let bit_err = err("ERR bit is not an integer or out of range");
        let replies = t.script(&[
            "setbit b 7 1",
            "object encoding b",
            "get b",
            "setbit b 7 0",
            "setbit b 7 2",
            "setbit b -1 1",
            "setbit b 4294967296 1",
            "setbit b x 1",
            "setbit b 1 x",
            "setbit b x x",
            "set s 12",
            "setbit s 0 0",
            "object encoding s",
            "getbit s 2",
            "getbit s 3",
            "getbit s 100",
            "getbit nokey 100",
            "getbit nokey x",
            "getbit s #1",
            "getbit l 0",
            "getbit l x",
            "setbit l 1 5",
            "setbit l 1 1",
            "setbit n 20 1",
            "strlen n",
        ]);
        assert_eq!(
            replies,
            vec![
                int(0),
                bulk("raw"),
                bulk("\x01"),
                int(1),
                bit_err.clone(),
                err(OFFSET_ERR),
                err(OFFSET_ERR),
                err(OFFSET_ERR),
                bit_err.clone(),
                err(OFFSET_ERR),
                ok(),
                int(0),
                bulk("raw"),
                int(1),
                int(1),
                int(0),
                int(0),
                err(OFFSET_ERR),
                err(OFFSET_ERR),
                err(WRONGTYPE),
                err(OFFSET_ERR),
                bit_err,
                err(WRONGTYPE),
                int(0),
                int(3),
            ]
        );
    }

    #[test]
    fn bitcount_ranges() {
        let mut t = TestShard::new();
        set(&mut t, "s", b"foobar");
        set(&mut t, "e", b"");
        set(&mut t, "i", b"255");
        for (cmd, want) in [
            ("bitcount s", int(26)),
            ("bitcount s 0 0", int(4)),
            ("bitcount s 1 1", int(6)),
            ("bitcount s 1 1 BYTE", int(6)),
            ("bitcount s 5 30 BIT", int(17)),
            ("bitcount s 0 -1 bit", int(26)),
            ("bitcount s -3 -1 bit", int(1)),
            ("bitcount s -100 -200", int(0)),
            ("bitcount s -200 -100", int(4)),
            ("bitcount s -1 -5", int(0)),
            ("bitcount s 100 200", int(0)),
            ("bitcount s 9 9 bit", int(1)),
            ("bitcount s 8 8 bit", int(0)),
            (
                "bitcount s -9223372036854775808 9223372036854775807 bit",
                int(26),
            ),
            (
                "bitcount s 9223372036854775807 -9223372036854775808 bit",
                int(0),
            ),
            ("bitcount e", int(0)),
            ("bitcount e 0 -1 bit", int(0)),
            ("bitcount i", int(11)),
            ("bitcount s 1", err(SYNTAX)),
            ("bitcount s 1 2 3", err(SYNTAX)),
            ("bitcount s 1 1 foo", err(SYNTAX)),
            ("bitcount s a 1", err(NOT_INT)),
            ("bitcount s 1 a foo", err(NOT_INT)),
            ("bitcount s 1 2 bit x", err(SYNTAX)),
            ("bitcount s -1 -2 foo", int(0)),
            // A missing key is 0 before anything else is read.
            ("bitcount nokey a b", int(0)),
            ("bitcount nokey 1", int(0)),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }

    #[test]
    fn bitpos_ranges() {
        let mut t = TestShard::new();
        set(&mut t, "s", b"foobar");
        set(&mut t, "f", b"\xff\xff");
        set(&mut t, "g", b"\x00\xff\x00");
        set(&mut t, "e", b"");
        for (cmd, want) in [
            ("bitpos nokey 1", int(-1)),
            ("bitpos nokey 0", int(0)),
            ("bitpos nokey 0 x", int(0)),
            (
                "bitpos nokey 2",
                err("ERR The bit argument must be 1 or 0."),
            ),
            ("bitpos nokey x", err(NOT_INT)),
            ("bitpos e 0", int(-1)),
            ("bitpos e 1", int(-1)),
            ("bitpos e 0 0 -1 bit", int(-1)),
            ("bitpos f 0", int(16)),
            ("bitpos f 0 0", int(16)),
            ("bitpos f 0 0 -1", int(-1)),
            ("bitpos f 0 1 -1 bit", int(-1)),
            ("bitpos f 0 3 13 bit", int(-1)),
            ("bitpos f 1 3 13 bit", int(3)),
            ("bitpos f 0 3 bit", err(NOT_INT)),
            ("bitpos g 1", int(8)),
            ("bitpos g 1 1 1", int(8)),
            ("bitpos g 0 1 1", int(-1)),
            ("bitpos g 0 1", int(16)),
            ("bitpos g 0 8 15 bit", int(-1)),
            ("bitpos g 0 9 14 bit", int(-1)),
            ("bitpos g 1 0 7 bit", int(-1)),
            ("bitpos g 1 5 12 bit", int(8)),
            ("bitpos g 0 12 20 bit", int(16)),
            ("bitpos g 1 -100 -200", int(-1)),
            ("bitpos s 1 -100 -200", int(1)),
            ("bitpos s 1 -100 -200 bit", int(-1)),
            (
                "bitpos s 1 -9223372036854775808 9223372036854775807 bit",
                int(1),
            ),
            ("bitpos s 0 0 9223372036854775807", int(0)),
            ("bitpos s 1 0 -1 BYTE", int(1)),
            ("bitpos s 1 0 -1 bytes", err(SYNTAX)),
            ("bitpos s 1 0 x foo", err(SYNTAX)),
            ("bitpos s 1 0 1 2 3", err(SYNTAX)),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }

    #[test]
    fn find_bit_crosses_long_runs() {
        let mut s = vec![0u8; 100];
        s[77] = 0x10;
        assert_eq!(find_bit(&s, 0, 799, true), Some(77 * 8 + 3));
        assert_eq!(find_bit(&s, 0, 77 * 8 + 2, true), None);
        assert_eq!(find_bit(&s, 0, 799, false), Some(0));
        let ones = vec![0xFFu8; 100];
        assert_eq!(find_bit(&ones, 3, 799, false), None);
        assert_eq!(count_bits(&ones, 3, 796), 794);
    }

    #[test]
    fn bitop_operations() {
        let mut t = TestShard::new();
        set(&mut t, "a", b"\x0f");
        set(&mut t, "b", b"\xf0\xff");
        set(&mut t, "e", b"");
        let get = |t: &mut TestShard| t.run(&["get", "d"]);
        assert_eq!(t.run(&["bitop", "or", "d", "a", "b"]), int(2));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\xff\xff")));
        assert_eq!(t.run(&["bitop", "AND", "d", "a", "b"]), int(2));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\x00\x00")));
        assert_eq!(t.run(&["bitop", "xor", "d", "a", "b", "nokey"]), int(2));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\xff\xff")));
        assert_eq!(t.run(&["bitop", "not", "d", "a"]), int(1));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\xf0")));
        assert_eq!(t.run(&["object", "encoding", "d"]), bulk("raw"));
        assert_eq!(t.run(&["expire", "d", "100"]), int(1));
        assert_eq!(t.run(&["bitop", "and", "d", "a", "nokey"]), int(1));
        assert_eq!(t.run(&["ttl", "d"]), int(-1));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\x00")));
        // An empty result deletes the destination.
        assert_eq!(t.run(&["bitop", "not", "d", "e"]), int(0));
        assert_eq!(t.run(&["exists", "d"]), int(0));
        set(&mut t, "n", b"12");
        assert_eq!(t.run(&["bitop", "not", "d", "n"]), int(2));
        assert_eq!(get(&mut t), Reply::Bulk(Bytes::from_static(b"\xce\xcd")));
        plant_hash(&mut t, "l");
        for (cmd, want) in [
            ("bitop foo d a", err(SYNTAX)),
            ("bitop foo d l", err(SYNTAX)),
            (
                "bitop not d a b",
                err("ERR BITOP NOT must be called with a single source key."),
            ),
            ("bitop and d a l", err(WRONGTYPE)),
            ("bitop not d l", err(WRONGTYPE)),
            ("bitop not l a", int(1)),
            ("type l", Reply::Simple(Bytes::from_static(b"string"))),
        ] {
            assert_eq!(t.run(&cmd.split(' ').collect::<Vec<_>>()), want, "{cmd}");
        }
    }
}
