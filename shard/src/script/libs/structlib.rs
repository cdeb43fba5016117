//! `struct`: Roberto Ierusalimschy's struct library as Redis bundles it (x86-64 sizes: short
//! 2, int 4, long and size_t 8; native order little-endian; maximum alignment 8).

use mlua::{Lua, Table, Value};

use super::{as_number, c_double_to_i64, fail, ret, set_function, Args, Outcome, Results};

const MAX_INT_SIZE: usize = 32;
const MAX_ALIGN: usize = 8;

pub fn open(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    set_function(lua, &t, "pack", pack)?;
    set_function(lua, &t, "unpack", unpack)?;
    set_function(lua, &t, "size", size)?;
    lua.globals().raw_set("struct", t)
}

struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// The format string up to its first NUL, as C reads it, with a cursor.
struct Format {
    fmt: Vec<u8>,
    pos: usize,
}

impl Format {
    fn new(mut fmt: Vec<u8>) -> Self {
        if let Some(end) = fmt.iter().position(|&b| b == 0) {
            fmt.truncate(end);
        }
        Format { fmt, pos: 0 }
    }

    fn next_option(&mut self) -> Option<u8> {
        let c = self.fmt.get(self.pos).copied();
        self.pos += 1;
        c
    }

    /// `getnum`: the digits at the cursor, or `default` when there are none.
    fn number(&mut self, default: usize) -> Outcome<usize> {
        let mut a: i32 = 0;
        let mut any = false;
        while let Some(&c) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = i32::from(c - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - d {
                return fail("integral size overflow");
            }
            a = a * 10 + d;
            any = true;
            self.pos += 1;
        }
        Ok(if any { a as usize } else { default })
    }

    /// `optsize`: the size of option `opt`, reading its count if it has one.
    fn size(&mut self, opt: u8) -> Outcome<usize> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return fail(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    ));
                }
                size
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment and spaces; anything else is invalid.
    fn control(&mut self, args: &Args, opt: u8, h: &mut Header) -> Outcome<()> {
        match opt {
            b' ' => {}
            b'>' => h.little = false,
            b'<' => h.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return fail(format!("alignment {a} is not a power of 2"));
                }
                h.align = a;
            }
            _ => {
                let mut msg = b"invalid format option '".to_vec();
                msg.push(opt);
                msg.push(b'\'');
                return Err(args.arg_error(1, msg));
            }
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` at offset `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

fn is_integer_option(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

fn pack(lua: &Lua, mut args: Args) -> Outcome<Results> {
    let mut fmt = Format::new(args.check_bytes(1)?);
    // struct pushes a nil after the arguments, which a missing value argument then reads.
    args.push(Value::Nil);
    let mut h = Header::default();
    let mut arg = 2;
    let mut out: Vec<u8> = Vec::new();
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.size(opt)?;
        let pad = to_align(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            o if is_integer_option(o) => {
                let n = args.check_number(arg)?;
                arg += 1;
                // C's casts on x86-64: through long for negatives; 2^64 and up become 0, and
                // NaN 2^63.
                let value = if n < 0.0 {
                    c_double_to_i64(n) as u64
                } else if n.is_nan() {
                    1 << 63
                } else if n < 1.8446744073709552e19 {
                    n as u64
                } else {
                    0
                };
                let mut bytes = [0u8; MAX_INT_SIZE];
                for (i, b) in bytes.iter_mut().take(size.min(8)).enumerate() {
                    *b = (value >> (8 * i)) as u8;
                }
                let bytes = &mut bytes[..size];
                if !h.little {
                    bytes.reverse();
                }
                out.extend_from_slice(bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args.check_number(arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    f.to_le_bytes()
                } else {
                    f.to_be_bytes()
                });
            }
            b'd' => {
                let d = args.check_number(arg)?;
                arg += 1;
                out.extend_from_slice(&if h.little {
                    d.to_le_bytes()
                } else {
                    d.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = args.check_bytes(arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // struct reports the argument after the string.
                    return Err(args.arg_error(arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => fmt.control(&args, opt, &mut h)?,
        }
    }
    ret(lua, lua.create_string(&out)?)
}

/// The values `unpack` leaves on its Lua stack, from slot 3 on (slots 1 and 2 hold the
/// format and the data): kept in a Lua table, as there may be thousands.
struct Stack {
    table: Table,
    len: i64,
}

impl Stack {
    fn push(&mut self, v: Value) -> Outcome<()> {
        self.len += 1;
        self.table.raw_set(self.len, v)?;
        Ok(())
    }
}

fn unpack(lua: &Lua, args: Args) -> Outcome<Results> {
    let mut fmt = Format::new(args.check_bytes(1)?);
    let data = args.check_bytes(2)?;
    let ld = data.len();
    // The offset is read into a size_t, so a negative one passes this check as huge.
    let offset = args.opt_integer(3, 1)? as usize;
    if offset == 0 {
        return Err(args.arg_error(3, "offset must be 1 or greater"));
    }
    let mut pos = offset - 1;
    let mut h = Header::default();
    let mut stack = Stack {
        table: lua.create_table()?,
        len: 2,
    };
    stack.table.raw_set(2, lua.create_string(&data)?)?;
    while let Some(opt) = fmt.next_option() {
        let mut size = fmt.size(opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(args.arg_error(2, "data string too short"));
        }
        // Room for this value and the final position.
        if stack.len + 2 > super::MAX_C_STACK as i64 {
            return fail("stack overflow (too many results)");
        }
        match opt {
            o if is_integer_option(o) => {
                let n = integer(&data[pos..pos + size], h.little, o.is_ascii_lowercase());
                stack.push(Value::Number(n))?;
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                stack.push(Value::Number(f64::from(f)))?;
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                stack.push(Value::Number(d))?;
            }
            b'c' => {
                if size == 0 {
                    // The count is the previous value unpacked, which it replaces.
                    let top: Value = stack.table.raw_get(stack.len)?;
                    let n = match &top {
                        _ if stack.len <= 2 => None,
                        Value::String(s) => lua.coerce_number(Value::String(s.clone()))?,
                        v => as_number(v),
                    };
                    let Some(n) = n else {
                        return fail("format 'c0' needs a previous size");
                    };
                    size = if n < 0.0 {
                        c_double_to_i64(n) as usize
                    } else {
                        n as usize
                    };
                    stack.table.raw_set(stack.len, Value::Nil)?;
                    stack.len -= 1;
                    if size > ld || pos > ld - size {
                        return Err(args.arg_error(2, "data string too short"));
                    }
                }
                stack.push(Value::String(lua.create_string(&data[pos..pos + size])?))?;
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return fail("unfinished string in data");
                };
                stack.push(Value::String(lua.create_string(&data[pos..pos + end])?))?;
                size = end + 1;
            }
            _ => fmt.control(&args, opt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    stack.push(Value::Number(pos.wrapping_add(1) as i64 as f64))?;
    Ok(Results::Stored {
        table: stack.table,
        first: 3,
        count: stack.len - 2,
    })
}

/// `getinteger`: `bytes` as an unsigned long, then sign-extended for signed options (the
/// shift count wraps at 64 as x86's does for sizes over 8).
fn integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: &u8| l = (l << 8) | u64::from(*b);
    if little {
        bytes.iter().rev().for_each(&mut push);
    } else {
        bytes.iter().for_each(&mut push);
    }
    if !signed {
        return l as f64;
    }
    let shift = (bytes.len() as u32 * 8).wrapping_sub(1);
    let mask = u64::MAX.wrapping_shl(shift);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn size(lua: &Lua, args: Args) -> Outcome<Results> {
    let mut fmt = Format::new(args.check_bytes(1)?);
    let mut h = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_option() {
        let size = fmt.size(opt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(args.arg_error(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(args.arg_error(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(&args, opt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    ret(lua, pos as i64 as f64)
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    /// Each chunk with what Redis 7.0.15 answers when it runs it (see `testing::RENDER`).
    const CASES: &[(&str, &str)] = &[
        // pack, as hex
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("b", -1)), hex(struct.pack("B", 255)), hex(struct.pack("h", -2)), hex(struct.pack(">h", -2)), hex(struct.pack("H", 65535)), hex(struct.pack("i", 1)), hex(struct.pack(">i", 1)), hex(struct.pack("I", 2^32-1))"#,
            r#"ff, ff, feff, fffe, ffff, 01000000, 00000001, ffffffff"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("l", -1)), hex(struct.pack(">L", 2^63)), hex(struct.pack(">L", 2^64)), hex(struct.pack(">L", 1e30)), hex(struct.pack(">L", 0/0)), hex(struct.pack(">l", 0/0)), hex(struct.pack(">l", -1e30)), hex(struct.pack("T", 5))"#,
            r#"ffffffffffffffff, 8000000000000000, 0000000000000000, 0000000000000000, 8000000000000000, 8000000000000000, 8000000000000000, 0500000000000000"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("b", 256)), hex(struct.pack("b", 1.9)), hex(struct.pack("b", -1.9)), hex(struct.pack(">i3", -2)), hex(struct.pack("<i3", 65536)), hex(struct.pack(">i16", -1)), hex(struct.pack("<I10", 2^40)), hex(struct.pack("i1", "7"))"#,
            r#"00, 01, ff, fffffe, 000001, 0000000000000000ffffffffffffffff, 00000000000100000000, 07"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("f", 1.5)), hex(struct.pack(">f", 1.5)), hex(struct.pack("d", 1.5)), hex(struct.pack(">d", -0.1)), hex(struct.pack(">d", 1e-300)), hex(struct.pack(">f", 1e300)), hex(struct.pack(">d", 0/0))"#,
            r#"0000c03f, 3fc00000, 000000000000f83f, bfb999999999999a, 01a56e1fc2f8f359, 7f800000, fff8000000000000"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("c", "ab")), hex(struct.pack("c0", "abc")), hex(struct.pack("c2", "abc")), hex(struct.pack("s", "ab")), hex(struct.pack("s", "")), hex(struct.pack("x")), hex(struct.pack("xxb", 1)), hex(struct.pack("c0", 12))"#,
            r#"61, 616263, 6162, 616200, 00, 00, 000001, 3132"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(struct.pack("!bi", 1, 2)), hex(struct.pack("!4bd", 1, 2)), hex(struct.pack("!2bhbi", 1, 2, 3, 4)), hex(struct.pack("!bi3", 1, 2)), hex(struct.pack("!8bc3d", 1, "abc", 1)), hex(struct.pack("b!8d", 1, 2)), hex(struct.pack("!bxi", 1, 2)), hex(struct.pack(" < b > h ", 1, 2))"#,
            r#"0100000002000000, 010000000000000000000040, 01000200030004000000, 010000020000, 0161626300000000000000000000f03f, 01000000000000000000000000000040, 0100000002000000, 010002"#,
        ),
        (
            r#"return struct.pack("c5", "ab")"#,
            r#"ERR user_script:21: bad argument #3 to 'pack' (string too short)"#,
        ),
        (
            r#"return struct.pack("z", 1)"#,
            r#"ERR user_script:21: bad argument #1 to 'pack' (invalid format option 'z')"#,
        ),
        (
            r#"return struct.pack("b")"#,
            r#"ERR user_script:21: bad argument #2 to 'pack' (number expected, got nil)"#,
        ),
        (
            r#"return struct.pack("b", "x")"#,
            r#"ERR user_script:21: bad argument #2 to 'pack' (number expected, got string)"#,
        ),
        (
            r#"return struct.pack("s", {})"#,
            r#"ERR user_script:21: bad argument #2 to 'pack' (string expected, got table)"#,
        ),
        (
            r#"return struct.pack()"#,
            r#"ERR user_script:21: bad argument #1 to 'pack' (string expected, got no value)"#,
        ),
        (
            r#"return struct.pack({})"#,
            r#"ERR user_script:21: bad argument #1 to 'pack' (string expected, got table)"#,
        ),
        (
            r#"return struct.pack("!3b", 1)"#,
            r#"ERR user_script:21: alignment 3 is not a power of 2"#,
        ),
        (
            r#"return struct.pack("i33", 1)"#,
            r#"ERR user_script:21: integral size 33 is larger than limit of 32"#,
        ),
        (
            r#"return struct.pack("i99999999999", 1)"#,
            r#"ERR user_script:21: integral size overflow"#,
        ),
        (
            r#"return struct.pack("c2147483647", "x")"#,
            r#"ERR user_script:21: bad argument #3 to 'pack' (string too short)"#,
        ),
        (
            r#"return struct.pack("\255", 1)"#,
            r#"ERR user_script:21: bad argument #1 to 'pack' (invalid format option '\xff')"#,
        ),
        (r#"return struct.pack("b\0zzz", 1)"#, r#"\x01"#),
        (r#"return struct.pack("", 1)"#, r#""#),
        (r#"return struct.pack("i0", 5)"#, r#""#),
        // unpack
        (r#"return struct.unpack("b", "\255")"#, r#"-1, 2"#),
        (
            r#"return struct.unpack("bBhHiI", struct.pack("bBhHiI", -1, 255, -2, 65535, -3, 4294967295))"#,
            r#"-1, 255, -2, 65535, -3, 4294967295, 15"#,
        ),
        (
            r#"return struct.unpack(">i3<i3", struct.pack(">i3<i3", -2, 65536))"#,
            r#"-2, 65536, 7"#,
        ),
        (
            r#"return struct.unpack("lLT", struct.pack("lLT", -5, 2^53, 7))"#,
            r#"-5, 9.007199254741e+15, 7, 25"#,
        ),
        (
            r#"return struct.unpack(">i16", struct.pack(">i16", -1)), struct.unpack("<I10", struct.pack("<I10", 2^40))"#,
            r#"-1, 1099511627776, 11"#,
        ),
        (
            r#"return struct.unpack(">i16", string.rep("\255", 16)), struct.unpack(">I9", string.rep("\255", 9)), struct.unpack(">i9", "\0\0\0\0\0\0\0\0\1")"#,
            r#"-1, 1.844674407371e+19, 1, 10"#,
        ),
        (
            r#"return struct.unpack("fd", struct.pack("fd", 1.5, -0.1))"#,
            r#"1.5, -0.1, 13"#,
        ),
        (
            r#"return struct.unpack(">d", struct.pack(">d", 1e-300))"#,
            r#"1e-300, 9"#,
        ),
        (
            r#"return struct.unpack("c2c0", "ab")"#,
            r#"ERR user_script:21: format 'c0' needs a previous size"#,
        ),
        (r#"return struct.unpack("bc0", "\3abcd")"#, r#"abc, 5"#),
        (
            r#"return struct.unpack("c0", "3ab")"#,
            r#"ERR user_script:21: format 'c0' needs a previous size"#,
        ),
        (
            r#"return struct.unpack("c0", "2")"#,
            r#"ERR user_script:21: format 'c0' needs a previous size"#,
        ),
        (r#"return struct.unpack("sb", "hi\0\7")"#, r#"hi, 7, 5"#),
        (
            r#"return struct.unpack("s", "hi")"#,
            r#"ERR user_script:21: unfinished string in data"#,
        ),
        (r#"return struct.unpack("xb", "\1\2")"#, r#"2, 3"#),
        (r#"return struct.unpack("b", "\1\2\3", 2)"#, r#"2, 3"#),
        (r#"return struct.unpack("b", "\1\2\3", 3)"#, r#"3, 4"#),
        (
            r#"return struct.unpack("b", "\1\2\3", 4)"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (data string too short)"#,
        ),
        (
            r#"return struct.unpack("b", "\1\2\3", 0)"#,
            r#"ERR user_script:21: bad argument #3 to 'unpack' (offset must be 1 or greater)"#,
        ),
        (
            r#"return struct.unpack("b", "\1\2\3", -1)"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (data string too short)"#,
        ),
        (
            r#"return struct.unpack(">", "", 5)"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (data string too short)"#,
        ),
        (
            r#"return struct.unpack("i", "abc")"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (data string too short)"#,
        ),
        (
            r#"return struct.unpack("!4bi", "\1\0\0\0\2\0\0\0")"#,
            r#"1, 2, 9"#,
        ),
        (
            r#"return struct.unpack("!4bi", "\1\0\0\0\2\0\0")"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (data string too short)"#,
        ),
        (
            r#"return struct.unpack("z", "abc")"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack' (invalid format option 'z')"#,
        ),
        (
            r#"return struct.unpack("b")"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack' (string expected, got no value)"#,
        ),
        (
            r#"return struct.unpack(nil, "x")"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack' (string expected, got nil)"#,
        ),
        (
            r#"return struct.unpack("b", "x", "y")"#,
            r#"ERR user_script:21: bad argument #3 to 'unpack' (number expected, got string)"#,
        ),
        (r#"return struct.unpack("i0", "")"#, r#"0, 1"#),
        (
            r#"return select('#', struct.unpack(string.rep("b", 7997), string.rep("\1", 7997)))"#,
            r#"7998"#,
        ),
        (
            r#"return select('#', struct.unpack(string.rep("b", 7998), string.rep("\1", 7998)))"#,
            r#"ERR user_script:21: stack overflow (too many results)"#,
        ),
        // size
        (
            r#"return struct.size("b"), struct.size("bhilT"), struct.size("!bhilT"), struct.size("!4bd"), struct.size("c10"), struct.size("i3"), struct.size("x"), struct.size(""), struct.size("fd")"#,
            r#"1, 23, 24, 12, 10, 3, 1, 0, 12"#,
        ),
        (
            r#"return struct.size("s")"#,
            r#"ERR user_script:21: bad argument #1 to 'size' (option 's' has no fixed size)"#,
        ),
        (
            r#"return struct.size("c0")"#,
            r#"ERR user_script:21: bad argument #1 to 'size' (option 'c0' has no fixed size)"#,
        ),
        (r#"return struct.size("bz")"#, r#"1"#),
        (r#"return struct.size("b<>!2 b")"#, r#"2"#),
        (
            r#"return struct.size("b?")"#,
            r#"ERR user_script:21: bad argument #1 to 'size' (invalid format option '?')"#,
        ),
        (
            r#"return struct.size("!3")"#,
            r#"ERR user_script:21: alignment 3 is not a power of 2"#,
        ),
        (
            r#"return struct.size()"#,
            r#"ERR user_script:21: bad argument #1 to 'size' (string expected, got no value)"#,
        ),
        (
            r#"return struct.size("i40")"#,
            r#"ERR user_script:21: integral size 40 is larger than limit of 32"#,
        ),
        (r#"return struct.size(12)"#, r#"0"#),
        // round trip
        (
            r#"return struct.unpack("<!4hsdc0", struct.pack("<!4hsdc0", 3, "str", 2.5, "xyz"))"#,
            r#"3, str, xy, 19"#,
        ),
    ];

    #[test]
    fn struct_matches_redis() {
        check(CASES);
    }
}
