//! `bit`: LuaBitOp 1.0.2 as Redis bundles it. Numbers are doubles; an argument becomes 32
//! bits the way LuaBitOp does it, by adding 2^52+2^51 and keeping the low word of the sum,
//! which rounds to the nearest integer (ties to even) and wraps modulo 2^32.

use mlua::Lua;

use super::{ret, set_function, Args, Outcome, Results};

type Unary = fn(u32) -> u32;
type Binary = fn(u32, u32) -> u32;

pub fn open(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    let unary: [(&str, Unary); 3] = [
        ("tobit", |b| b),
        ("bnot", |b| !b),
        ("bswap", u32::swap_bytes),
    ];
    for (name, op) in unary {
        set_function(lua, &bit, name, move |lua, args| {
            result(lua, op(barg(&args, 1)?))
        })?;
    }
    let folds: [(&str, Binary); 3] = [
        ("band", |a, b| a & b),
        ("bor", |a, b| a | b),
        ("bxor", |a, b| a ^ b),
    ];
    for (name, op) in folds {
        set_function(lua, &bit, name, move |lua, args| {
            let mut b = barg(&args, 1)?;
            // LuaBitOp reads the other arguments last to first, which decides which bad
            // argument is reported.
            for i in (2..=args.count()).rev() {
                b = op(b, barg(&args, i)?);
            }
            result(lua, b)
        })?;
    }
    let shifts: [(&str, Binary); 5] = [
        ("lshift", |b, n| b << n),
        ("rshift", |b, n| b >> n),
        ("arshift", |b, n| ((b as i32) >> n) as u32),
        ("rol", u32::rotate_left),
        ("ror", u32::rotate_right),
    ];
    for (name, op) in shifts {
        set_function(lua, &bit, name, move |lua, args| {
            let b = barg(&args, 1)?;
            let n = barg(&args, 2)? & 31;
            result(lua, op(b, n))
        })?;
    }
    set_function(lua, &bit, "tohex", |lua, args| {
        let mut b = barg(&args, 1)?;
        let n = if args.is_none(2) {
            8
        } else {
            barg(&args, 2)? as i32
        };
        let digits = if n < 0 {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let n = n.unsigned_abs().min(8) as usize;
        let mut buf = [0u8; 8];
        for slot in buf[..n].iter_mut().rev() {
            *slot = digits[(b & 15) as usize];
            b >>= 4;
        }
        ret(lua, lua.create_string(&buf[..n])?)
    })?;
    lua.globals().raw_set("bit", bit)
}

/// LuaBitOp's `barg`.
fn barg(args: &Args, n: usize) -> Outcome<u32> {
    match args.to_number(n)? {
        Some(x) => Ok((x + 6_755_399_441_055_744.0).to_bits() as u32),
        None => Err(args.type_error(n, "number")),
    }
}

fn result(lua: &Lua, b: u32) -> Outcome<Results> {
    ret(lua, f64::from(b as i32))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    /// Each chunk with what Redis 7.0.15 answers when it runs it (see `testing::RENDER`).
    const CASES: &[(&str, &str)] = &[
        (r#"return bit.tobit(0xffffffff)"#, r#"-1"#),
        (r#"return bit.tobit(0xffffffff + 1)"#, r#"0"#),
        (r#"return bit.tobit(2^40 + 1234)"#, r#"1234"#),
        (r#"return bit.tobit(-1)"#, r#"-1"#),
        (
            r#"return bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-2.5), bit.tobit(3.5), bit.tobit(-0.5), bit.tobit(0.5000001)"#,
            r#"2, 2, -2, 4, 0, 1"#,
        ),
        (
            r#"return bit.tobit(2^52 + 3), bit.tobit(2^53 + 3), bit.tobit(2^60 + 2^33 + 7), bit.tobit(-2^31), bit.tobit(2^31)"#,
            r#"2, 2, 33554432, -2147483648, -2147483648"#,
        ),
        (
            r#"return bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(0/0), bit.tobit(1e-300), bit.tobit(-0)"#,
            r#"0, 0, 0, 0, 0"#,
        ),
        (
            r#"return bit.tobit('12'), bit.tobit(' 0x10 '), bit.tobit('1e3'), bit.tobit(1e10)"#,
            r#"12, 16, 1000, 1410065408"#,
        ),
        (
            r#"return bit.tobit('12x')"#,
            r#"ERR user_script:21: bad argument #1 to 'tobit' (number expected, got string)"#,
        ),
        (r#"return bit.tobit('0')"#, r#"0"#),
        (
            r#"return bit.bnot(0), bit.bnot(5), bit.bnot(-1), bit.bnot(2^32)"#,
            r#"-1, -6, 0, -1"#,
        ),
        (
            r#"return bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4, 8), bit.bxor(0xff, 0x0f), bit.band(7), bit.bxor(1,1,1)"#,
            r#"3, 15, 240, 7, 1"#,
        ),
        (
            r#"return bit.band()"#,
            r#"ERR user_script:21: bad argument #1 to 'band' (number expected, got no value)"#,
        ),
        (
            r#"return bit.band(1, 'x', {})"#,
            r#"ERR user_script:21: bad argument #3 to 'band' (number expected, got table)"#,
        ),
        (
            r#"return bit.bor(1, nil)"#,
            r#"ERR user_script:21: bad argument #2 to 'bor' (number expected, got nil)"#,
        ),
        (
            r#"return bit.bxor(1, 2, '3', true, 5)"#,
            r#"ERR user_script:21: bad argument #4 to 'bxor' (number expected, got boolean)"#,
        ),
        (
            r#"return bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(1, -1), bit.lshift(3, 2.5)"#,
            r#"-2147483648, 1, 2, -2147483648, 12"#,
        ),
        (
            r#"return bit.rshift(-1, 28), bit.rshift(-1, 0), bit.rshift(256, 36)"#,
            r#"15, -1, 16"#,
        ),
        (
            r#"return bit.arshift(-256, 4), bit.arshift(256, 4), bit.arshift(-1, 31), bit.arshift(-2^31, 31)"#,
            r#"-16, 16, -1, -1"#,
        ),
        (
            r#"return bit.rol(0x12345678, 12), bit.ror(0x12345678, 12), bit.rol(1, 0), bit.ror(1, 0), bit.rol(1, 31), bit.ror(1, 33)"#,
            r#"1164411171, 1736516421, 1, 1, -2147483648, -2147483648"#,
        ),
        (
            r#"return bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(1)"#,
            r#"2018915346, -1, 16777216"#,
        ),
        (
            r#"return bit.lshift(1)"#,
            r#"ERR user_script:21: bad argument #2 to 'lshift' (number expected, got no value)"#,
        ),
        (
            r#"return bit.rol('a', 1)"#,
            r#"ERR user_script:21: bad argument #1 to 'rol' (number expected, got string)"#,
        ),
        (
            r#"return bit.tohex(65535), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 20), bit.tohex(0x12345678, 0), bit.tohex(0x12345678, -20), bit.tohex(1, 2^32 + 3)"#,
            r#"0000ffff, ffffffff, ff, 00FF, 12345678, , 12345678, 001"#,
        ),
        (
            r#"return bit.tohex(1, nil)"#,
            r#"ERR user_script:21: bad argument #2 to 'tohex' (number expected, got nil)"#,
        ),
        (
            r#"return bit.tohex('x')"#,
            r#"ERR user_script:21: bad argument #1 to 'tohex' (number expected, got string)"#,
        ),
        (
            r#"return bit.tohex()"#,
            r#"ERR user_script:21: bad argument #1 to 'tohex' (number expected, got no value)"#,
        ),
        (
            r#"local f = bit.tohex return f(true)"#,
            r#"ERR user_script:21: bad argument #1 to 'f' (number expected, got boolean)"#,
        ),
        (
            r#"return pcall(bit.bnot)"#,
            r#"false, bad argument #1 to '?' (number expected, got no value)"#,
        ),
        (
            r#"return bit:tohex()"#,
            r#"ERR user_script:21: calling 'tohex' on bad self (number expected, got table)"#,
        ),
        (
            r#"return bit:band(1)"#,
            r#"ERR user_script:21: calling 'band' on bad self (number expected, got table)"#,
        ),
        (r#"return bit.tohex(-2^31, -2^31)"#, r#"80000000"#),
        (r#"return bit.tohex(12, -2^31)"#, r#"0000000C"#),
    ];

    #[test]
    fn bit_matches_redis() {
        check(CASES);
    }
}
