//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis 7.0 bundles it.
//!
//! Unpacking walks nested data without recursion and keeps the tables it is filling, the
//! map keys waiting for their values and the values unpacked so far in Lua tables, not as
//! mlua handles (mlua holds only about 8000); Redis's own Lua stack limit is emulated so
//! deep or long input fails where it fails in Redis.

use mlua::{Lua, MultiValue, Table, Value};

use super::{
    as_number, fail, fits_i64, raw_get_exact, set_function, Args, ExactNext, Fail, Nest, Outcome,
    Results, MAX_C_STACK,
};

/// Tables nested deeper than this are packed as nil, which also stops cycles.
const MAX_NESTING: usize = 16;

pub fn open(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    let next = ExactNext::new(lua)?;
    set_function(lua, &t, "pack", move |lua, args| pack(lua, &args, &next))?;
    set_function(lua, &t, "unpack", |lua, args| {
        unpack(lua, &args, Limit::All, 0)
    })?;
    set_function(lua, &t, "unpack_one", |lua, args| {
        let offset = args.opt_integer(2, 0)?;
        unpack(lua, &args, Limit::Count(1), offset)
    })?;
    set_function(lua, &t, "unpack_limit", |lua, args| {
        let limit = args.check_integer(2)?;
        let offset = args.opt_integer(3, 0)?;
        unpack(lua, &args, Limit::Count(limit), offset)
    })?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    lua.globals().raw_set("cmsgpack", t)
}

// ===== Packing =====

fn pack(lua: &Lua, args: &Args, next: &ExactNext) -> Outcome<Results> {
    let nargs = args.count();
    if nargs == 0 {
        return Err(args.arg_error(0, "MessagePack pack needs input."));
    }
    // lua_checkstack(L, nargs) with the nargs arguments already on the stack.
    if nargs * 2 > MAX_C_STACK {
        return Err(args.arg_error(0, "Too many arguments for MessagePack pack."));
    }
    let mut buf = Vec::new();
    for i in 1..=nargs {
        encode(&mut buf, args.get(i).clone(), 0, next)?;
    }
    let mut out = MultiValue::new();
    out.push_back(Value::String(lua.create_string(&buf)?));
    Ok(Results::Values(out))
}

fn encode(buf: &mut Vec<u8>, v: Value, level: usize, next: &ExactNext) -> Outcome<()> {
    match v {
        Value::String(s) => encode_bytes(buf, &s.as_bytes()),
        Value::Boolean(b) => buf.push(if b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(buf, i as f64),
        Value::Number(n) => encode_number(buf, n),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(&t)? {
                let len = t.raw_len();
                encode_header(buf, len as u64, 0x90, 0xdc);
                for i in 1..=len {
                    encode(buf, raw_get_exact(&t, i)?, level + 1, next)?;
                }
            } else {
                let mut count = 0u64;
                let mut key = Value::Nil;
                while let Some((k, _)) = next.next(&t, key)? {
                    count += 1;
                    key = k;
                }
                encode_header(buf, count, 0x80, 0xde);
                let mut key = Value::Nil;
                while let Some((k, v)) = next.next(&t, key)? {
                    encode(buf, k.clone(), level + 1, next)?;
                    encode(buf, v, level + 1, next)?;
                    key = k;
                }
            }
        }
        _ => buf.push(0xc0),
    }
    Ok(())
}

/// `table_is_an_array`: every key a positive integer that fits a C int, and the largest
/// equal to their count. Stops at the first other key.
fn is_array(t: &Table) -> Outcome<bool> {
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    for pair in t.pairs::<Value, Value>() {
        let (k, _) = pair?;
        match as_number(&k) {
            Some(n) if n > 0.0 && n < 2_147_483_648.0 && n.trunc() == n => {
                max = max.max(n as i32);
                count += 1;
            }
            _ => return Ok(false),
        }
    }
    Ok(max == count)
}

fn encode_number(buf: &mut Vec<u8>, n: f64) {
    // (int64_t)n == n on x86-64: finite, integral and within [-2^63, 2^63).
    if n.trunc() == n && fits_i64(n) {
        encode_int(buf, n as i64);
    } else if f64::from(n as f32) == n {
        buf.push(0xca);
        buf.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        buf.push(0xcb);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_int(buf: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        match n {
            0..=127 => buf.push(n as u8),
            128..=0xff => buf.extend_from_slice(&[0xcc, n as u8]),
            0x100..=0xffff => {
                buf.push(0xcd);
                buf.extend_from_slice(&(n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                buf.push(0xce);
                buf.extend_from_slice(&(n as u32).to_be_bytes());
            }
            _ => {
                buf.push(0xcf);
                buf.extend_from_slice(&n.to_be_bytes());
            }
        }
    } else {
        match n {
            -32..=-1 => buf.push(n as u8),
            -128..=-33 => buf.extend_from_slice(&[0xd0, n as u8]),
            -32768..=-129 => {
                buf.push(0xd1);
                buf.extend_from_slice(&(n as i16).to_be_bytes());
            }
            -2_147_483_648..=-32769 => {
                buf.push(0xd2);
                buf.extend_from_slice(&(n as i32).to_be_bytes());
            }
            _ => {
                buf.push(0xd3);
                buf.extend_from_slice(&n.to_be_bytes());
            }
        }
    }
}

fn encode_bytes(buf: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(s);
}

/// An array or map header: the fix form, the 16-bit form (`code16`) or the 32-bit one.
fn encode_header(buf: &mut Vec<u8>, n: u64, fix: u8, code16: u8) {
    if n <= 15 {
        buf.push(fix | n as u8);
    } else if n <= 0xffff {
        buf.push(code16);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(code16 + 1);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

// ===== Unpacking =====

enum Limit {
    All,
    Count(i64),
}

fn unpack(lua: &Lua, args: &Args, limit: Limit, offset: i64) -> Outcome<Results> {
    let data = args.check_bytes(1)?;
    let len = data.len();
    let (decode_all, limit) = match limit {
        Limit::All => (true, i64::from(i32::MAX)),
        Limit::Count(0) if offset == 0 => (true, i64::from(i32::MAX)),
        Limit::Count(n) => (false, n),
    };
    if offset < 0 || limit < 0 {
        // Redis prints the input length where it means the limit.
        return fail(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        ));
    }
    if offset as u64 > len as u64 {
        return fail(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        ));
    }
    // Redis's Lua stack: the input string, then (for unpack_one/unpack_limit) the offset
    // it returns first, then the values.
    let results = lua.create_table()?;
    let first = if decode_all { 2 } else { 3 };
    let mut d = Decoder {
        lua,
        data: &data,
        pos: offset as usize,
        tables: Nest::new(lua)?,
        keys: lua.create_table()?,
        open: Vec::new(),
        slots: 1,
    };
    let mut count: i64 = 0;
    while d.pos < len && count < limit {
        let v = match d.value() {
            Ok(v) => v,
            Err(Decode::Eof) => return fail("Missing bytes in input."),
            Err(Decode::BadFormat) => return fail("Bad data format in input."),
            Err(Decode::Fail(f)) => return Err(f),
        };
        results.raw_set(first + count, v)?;
        count += 1;
        d.slots += 1;
    }
    if !decode_all {
        if d.slots + 1 > MAX_C_STACK {
            return fail("stack overflow (in function mp_unpack_full)");
        }
        let next = if d.pos >= len { -1 } else { d.pos as i64 };
        results.raw_set(2, next)?;
        count += 1;
    }
    Ok(Results::Stored {
        table: results,
        first: 2,
        count,
    })
}

enum Decode {
    Eof,
    BadFormat,
    Fail(Fail),
}

impl From<mlua::Error> for Decode {
    fn from(e: mlua::Error) -> Self {
        Decode::Fail(Fail::Lua(e))
    }
}

/// A container being filled: how many items are still to come, and for an array the next
/// index, for a map whether its key is waiting (in `Decoder::keys`) for the value.
enum Open {
    Array { left: u64, index: i64 },
    Map { left: u64, has_key: bool },
}

impl Open {
    /// What Redis keeps on its Lua stack for this container while decoding inside it: the
    /// table, and the index (array) or the key once read (map).
    fn slots(&self) -> usize {
        match self {
            Open::Array { .. } => 2,
            Open::Map { has_key, .. } => 1 + usize::from(*has_key),
        }
    }
}

struct Decoder<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// The containers being filled.
    tables: Nest,
    /// Map keys waiting for their values, by depth.
    keys: Table,
    open: Vec<Open>,
    /// Redis's Lua stack height outside the open containers.
    slots: usize,
}

impl Decoder<'_> {
    fn need(&self, n: usize) -> Result<&[u8], Decode> {
        self.data
            .get(self.pos..)
            .and_then(|rest| rest.get(..n))
            .ok_or(Decode::Eof)
    }

    fn stack_height(&self) -> usize {
        self.slots + self.open.iter().map(Open::slots).sum::<usize>()
    }

    fn stack_overflow(what: &str) -> Decode {
        Decode::Fail(Fail::Msg(format!("stack overflow ({what})").into_bytes()))
    }

    /// One whole value, nested containers included.
    fn value(&mut self) -> Result<Value, Decode> {
        let base = self.open.len();
        loop {
            let mut value = self.item()?;
            loop {
                if self.open.len() == base {
                    return Ok(value);
                }
                let depth = self.open.len();
                let current = self.tables.current().cloned();
                let Some(table) = current else {
                    return Ok(value);
                };
                let finished = match self.open.last_mut() {
                    Some(Open::Array { left, index }) => {
                        table.raw_set(*index, value)?;
                        *index += 1;
                        *left -= 1;
                        *left == 0
                    }
                    Some(Open::Map { left, has_key }) => {
                        if *has_key {
                            let key: Value = self.keys.raw_get(depth)?;
                            self.keys.raw_set(depth, Value::Nil)?;
                            *has_key = false;
                            *left -= 1;
                            match key {
                                Value::Nil => return Err(runtime("table index is nil")),
                                Value::Number(n) if n.is_nan() => {
                                    return Err(runtime("table index is NaN"))
                                }
                                key => table.raw_set(key, value)?,
                            }
                            *left == 0
                        } else {
                            self.keys.raw_set(depth, value)?;
                            *has_key = true;
                            false
                        }
                    }
                    None => true,
                };
                if !finished {
                    break;
                }
                value = self.close()?;
            }
        }
    }

    /// Reads one item: a scalar, an empty container, or the header of a container it opens
    /// (then nil is returned only after the container closes, through `value`).
    fn item(&mut self) -> Result<Value, Decode> {
        loop {
            let b = self.need(1)?[0];
            if self.stack_height() + 1 > MAX_C_STACK {
                return Err(Self::stack_overflow(
                    "too many return values at once; use unpack_one or unpack_limit instead.",
                ));
            }
            let (value, len): (Value, usize) = match b {
                0xcc => (Value::Number(f64::from(self.need(2)?[1])), 2),
                0xd0 => (Value::Number(f64::from(self.need(2)?[1] as i8)), 2),
                0xcd => (
                    Value::Number(f64::from(u16::from_be_bytes(self.fixed(1)?))),
                    3,
                ),
                0xd1 => (
                    Value::Number(f64::from(i16::from_be_bytes(self.fixed(1)?))),
                    3,
                ),
                0xce => (
                    Value::Number(f64::from(u32::from_be_bytes(self.fixed(1)?))),
                    5,
                ),
                0xd2 => (
                    Value::Number(f64::from(i32::from_be_bytes(self.fixed(1)?))),
                    5,
                ),
                // Pushed through lua_Integer, so 2^63 and up come out negative.
                0xcf => (
                    Value::Number(u64::from_be_bytes(self.fixed(1)?) as i64 as f64),
                    9,
                ),
                0xd3 => (Value::Number(i64::from_be_bytes(self.fixed(1)?) as f64), 9),
                0xc0 => (Value::Nil, 1),
                0xc3 => (Value::Boolean(true), 1),
                0xc2 => (Value::Boolean(false), 1),
                0xca => (
                    Value::Number(f64::from(f32::from_be_bytes(self.fixed(1)?))),
                    5,
                ),
                0xcb => (Value::Number(f64::from_be_bytes(self.fixed(1)?)), 9),
                0xd9 => {
                    let l = usize::from(self.need(2)?[1]);
                    self.string(2, l)?
                }
                0xda => {
                    let l = usize::from(u16::from_be_bytes(self.fixed(1)?));
                    self.string(3, l)?
                }
                0xdb => {
                    let l = u32::from_be_bytes(self.fixed(1)?) as usize;
                    self.string(5, l)?
                }
                0xdc | 0xde => {
                    let l = u64::from(u16::from_be_bytes(self.fixed(1)?));
                    self.pos += 3;
                    match self.open_container(b == 0xdc, l)? {
                        Some(v) => return Ok(v),
                        None => continue,
                    }
                }
                0xdd | 0xdf => {
                    let l = u64::from(u32::from_be_bytes(self.fixed(1)?));
                    self.pos += 5;
                    match self.open_container(b == 0xdd, l)? {
                        Some(v) => return Ok(v),
                        None => continue,
                    }
                }
                b if b & 0x80 == 0 => (Value::Number(f64::from(b)), 1),
                b if b & 0xe0 == 0xe0 => (Value::Number(f64::from(b as i8)), 1),
                b if b & 0xe0 == 0xa0 => self.string(1, usize::from(b & 0x1f))?,
                b if b & 0xf0 == 0x90 || b & 0xf0 == 0x80 => {
                    self.pos += 1;
                    match self.open_container(b & 0xf0 == 0x90, u64::from(b & 0xf))? {
                        Some(v) => return Ok(v),
                        None => continue,
                    }
                }
                _ => return Err(Decode::BadFormat),
            };
            self.pos += len;
            return Ok(value);
        }
    }

    /// The `N` bytes after the type byte at `skip`.
    fn fixed<const N: usize>(&self, skip: usize) -> Result<[u8; N], Decode> {
        let bytes = self.need(skip + N)?;
        let mut out = [0; N];
        out.copy_from_slice(&bytes[skip..]);
        Ok(out)
    }

    fn string(&mut self, header: usize, len: usize) -> Result<(Value, usize), Decode> {
        let total = header.checked_add(len).ok_or(Decode::Eof)?;
        let bytes = &self.need(total)?[header..];
        Ok((Value::String(self.lua.create_string(bytes)?), total))
    }

    /// Opens a container of `len` items; an empty one is returned right away.
    fn open_container(&mut self, array: bool, len: u64) -> Result<Option<Value>, Decode> {
        let table = self.lua.create_table()?;
        if array && self.stack_height() + 2 > MAX_C_STACK {
            return Err(Self::stack_overflow("in function mp_decode_to_lua_array"));
        }
        if len == 0 {
            return Ok(Some(Value::Table(table)));
        }
        self.tables.open(table)?;
        self.open.push(if array {
            Open::Array {
                left: len,
                index: 1,
            }
        } else {
            Open::Map {
                left: len,
                has_key: false,
            }
        });
        Ok(None)
    }

    fn close(&mut self) -> Result<Value, Decode> {
        self.open.pop();
        Ok(self.tables.close()?)
    }
}

fn runtime(msg: &str) -> Decode {
    Decode::Fail(Fail::Runtime(msg.as_bytes().to_vec()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    /// Each chunk with what Redis 7.0.15 answers when it runs it (see `testing::RENDER`).
    const CASES: &[(&str, &str)] = &[
        // packing, as hex
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(0)), hex(cmsgpack.pack(1)), hex(cmsgpack.pack(127)), hex(cmsgpack.pack(128)), hex(cmsgpack.pack(255)), hex(cmsgpack.pack(256)), hex(cmsgpack.pack(65535)), hex(cmsgpack.pack(65536)), hex(cmsgpack.pack(2^32-1)), hex(cmsgpack.pack(2^32))"#,
            r#"00, 01, 7f, cc80, ccff, cd0100, cdffff, ce00010000, ceffffffff, cf0000000100000000"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(-1)), hex(cmsgpack.pack(-32)), hex(cmsgpack.pack(-33)), hex(cmsgpack.pack(-128)), hex(cmsgpack.pack(-129)), hex(cmsgpack.pack(-32768)), hex(cmsgpack.pack(-32769)), hex(cmsgpack.pack(-2^31)), hex(cmsgpack.pack(-2^31-1)), hex(cmsgpack.pack(-2^63))"#,
            r#"ff, e0, d0df, d080, d1ff7f, d18000, d2ffff7fff, d280000000, d3ffffffff7fffffff, d38000000000000000"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(2^53)), hex(cmsgpack.pack(2^63)), hex(cmsgpack.pack(2^64)), hex(cmsgpack.pack(-2^64)), hex(cmsgpack.pack(-0.0)), hex(cmsgpack.pack(1e-300))"#,
            r#"cf0020000000000000, ca5f000000, ca5f800000, cadf800000, 00, cb01a56e1fc2f8f359"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(0.5)), hex(cmsgpack.pack(1.5)), hex(cmsgpack.pack(0.1)), hex(cmsgpack.pack(-2.25)), hex(cmsgpack.pack(1/0)), hex(cmsgpack.pack(-1/0)), hex(cmsgpack.pack(0/0)), hex(cmsgpack.pack(3.4e38)), hex(cmsgpack.pack(1e39))"#,
            r#"ca3f000000, ca3fc00000, cb3fb999999999999a, cac0100000, ca7f800000, caff800000, cbfff8000000000000, cb47eff933c78cdfad, cb48078287f49c4a1d"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack("")), hex(cmsgpack.pack("abc")), hex(cmsgpack.pack(string.rep("x", 31))), hex(cmsgpack.pack(string.rep("x", 32))):sub(1, 8), hex(cmsgpack.pack(string.rep("x", 255))):sub(1, 8), hex(cmsgpack.pack(string.rep("x", 256))):sub(1, 8), hex(cmsgpack.pack(string.rep("x", 65535))):sub(1, 8), hex(cmsgpack.pack(string.rep("x", 65536))):sub(1, 12)"#,
            r#"a0, a3616263, bf78787878787878787878787878787878787878787878787878787878787878, d9207878, d9ff7878, da010078, daffff78, db0001000078"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(true)), hex(cmsgpack.pack(false)), hex(cmsgpack.pack(nil)), hex(cmsgpack.pack(string.len)), hex(cmsgpack.pack(cjson.null)), hex(cmsgpack.pack(coroutine.create(function() end)))"#,
            r#"c3, c2, c0, c0, c0, c0"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack({})), hex(cmsgpack.pack({1,2,3})), hex(cmsgpack.pack({a=1})), hex(cmsgpack.pack({1,2,{a=1}})), hex(cmsgpack.pack({[1]=1,[3]=3})), hex(cmsgpack.pack({[0]=1})), hex(cmsgpack.pack({[1.5]=1})), hex(cmsgpack.pack({1, nil, 3}))"#,
            r#"90, 93010203, 81a16101, 93010281a16101, 8201010303, 810001, 81ca3fc0000001, 8201010303"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local t = {} for i = 1, 16 do t[i] = i end local m = {} for i = 1, 16 do m["k" .. i] = 1 end return hex(cmsgpack.pack(t)), #cmsgpack.pack(m), hex(cmsgpack.pack(m)):sub(1, 6)"#,
            r#"dc00100102030405060708090a0b0c0d0e0f10, 74, de0010"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local t = {} for i = 1, 65536 do t[i] = 0 end return hex(cmsgpack.pack(t)):sub(1, 12), #cmsgpack.pack(t)"#,
            r#"dd0001000000, 65541"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack({a=1,b=2,c=3,d=4,e=5})), hex(cmsgpack.pack({[true]=1})), hex(cmsgpack.pack({[{}]={}}))"#,
            r#"85a16101a16303a16202a16505a16404, 81c301, 819090"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack(1, "a", {2}, nil, true))"#,
            r#"01a1619102c0c3"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local t = {} t[1] = t return hex(cmsgpack.pack(t))"#,
            r#"91919191919191919191919191919191c0"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local t = {} t.a = t return hex(cmsgpack.pack(t))"#,
            r#"81a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a16181a161c0"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end return hex(cmsgpack.pack({[2^31]=1})), hex(cmsgpack.pack({[2^31-1]=1})), hex(cmsgpack.pack({1e-300, -0.0}))"#,
            r#"81ce8000000001, 81ce7fffffff01, 92cb01a56e1fc2f8f35900"#,
        ),
        (
            r#"return cmsgpack.pack()"#,
            r#"ERR user_script:21: bad argument #0 to 'pack' (MessagePack pack needs input.)"#,
        ),
        (
            r#"return #cmsgpack.pack(unpack({1,2,3,4,5,6,7,8,9,10}))"#,
            r#"10"#,
        ),
        (
            r#"local t = {} for i = 1, 4000 do t[i] = i end return #cmsgpack.pack(unpack(t))"#,
            r#"11618"#,
        ),
        (
            r#"local t = {} for i = 1, 4001 do t[i] = i end return #cmsgpack.pack(unpack(t))"#,
            r#"ERR user_script:21: bad argument #0 to 'pack' (Too many arguments for MessagePack pack.)"#,
        ),
        (
            r#"return pcall(cmsgpack.pack)"#,
            r#"false, bad argument #0 to '?' (MessagePack pack needs input.)"#,
        ),
        // unpacking
        (
            r#"return cmsgpack.unpack(cmsgpack.pack({1,2,3}))"#,
            r#"{1,2,3}"#,
        ),
        (
            r#"return cmsgpack.unpack(cmsgpack.pack({a=1, b={true, false}, c="x"}))"#,
            r#"{a=1,b={true,false},c=x}"#,
        ),
        (
            r#"return cmsgpack.unpack(cmsgpack.pack(1, "two", {3}, nil, false, 0.5, -7))"#,
            r#"1, two, {3}, nil, false, 0.5, -7"#,
        ),
        (r#"return select('#', cmsgpack.unpack(""))"#, r#"0"#),
        (
            r#"return cmsgpack.unpack("\204\255", "\208\255", "\205\1\2", "\209\255\254", "\206\1\2\3\4", "\210\255\255\255\254")"#,
            r#"255"#,
        ),
        (
            r#"return cmsgpack.unpack("\204\255\208\255\205\1\2\209\255\254\206\1\2\3\4\210\255\255\255\254")"#,
            r#"255, -1, 258, -2, 16909060, -2"#,
        ),
        (
            r#"return cmsgpack.unpack("\207\0\0\0\1\0\0\0\0\207\255\255\255\255\255\255\255\255\211\255\255\255\255\255\255\255\254\211\128\0\0\0\0\0\0\0")"#,
            r#"4294967296, -1, -2, -9.2233720368548e+18"#,
        ),
        (
            r#"return cmsgpack.unpack("\202\63\192\0\0\203\63\248\0\0\0\0\0\0\202\127\128\0\0")"#,
            r#"1.5, 1.5, inf"#,
        ),
        (
            r#"return cmsgpack.unpack("\127\128\224\255\192\195\194")"#,
            r#"127, {}, -32, -1, nil, true, false"#,
        ),
        (
            r#"return cmsgpack.unpack("\217\3abc\218\0\2xy\219\0\0\0\1z\160")"#,
            r#"abc, xy, z, "#,
        ),
        (
            r#"return cmsgpack.unpack("\220\0\2\1\2\221\0\0\0\1\3\222\0\1\1\2\223\0\0\0\1\161k\161v")"#,
            r#"{1,2}, {3}, {2}, {k=v}"#,
        ),
        (r#"return cmsgpack.unpack("\147\1\192\3")"#, r#"{1,3=3}"#),
        (
            r#"return cmsgpack.unpack("\129\192\1")"#,
            r#"ERR table index is nil"#,
        ),
        (
            r#"return cmsgpack.unpack("\129\203\255\248\0\0\0\0\0\0\1")"#,
            r#"ERR table index is NaN"#,
        ),
        (r#"return cmsgpack.unpack("\130\1\161a\1\161b")"#, r#"{b}"#),
        (r#"return cmsgpack.unpack("\129\145\1\2")"#, r#"{{1}=2}"#),
        (r#"return cmsgpack.unpack("\144\128")"#, r#"{}, {}"#),
        (
            r#"return cmsgpack.unpack("\193")"#,
            r#"ERR user_script:21: Bad data format in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\196\1a")"#,
            r#"ERR user_script:21: Bad data format in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\212\1\1")"#,
            r#"ERR user_script:21: Bad data format in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\1\193")"#,
            r#"ERR user_script:21: Bad data format in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\204")"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\147\1\2")"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\163ab")"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\219\255\255\255\255")"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        (
            r#"return cmsgpack.unpack("\221\255\255\255\255\1")"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        (
            r#"return cmsgpack.unpack()"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack' (string expected, got no value)"#,
        ),
        (
            r#"return cmsgpack.unpack({})"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack' (string expected, got table)"#,
        ),
        (r#"return cmsgpack.unpack(12)"#, r#"49, 50"#),
        (r#"return cmsgpack.unpack("\1", "ignored")"#, r#"1"#),
        // unpack_one and unpack_limit
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))"#,
            r#"1, 1"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)"#,
            r#"2, 2"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)"#,
            r#"-1, 3"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)"#,
            r#"-1"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)"#,
            r#"ERR user_script:21: Start offset 4 greater than input length 3."#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)"#,
            r#"ERR user_script:21: Invalid request to unpack with offset of -1 and limit of 3."#,
        ),
        (r#"return cmsgpack.unpack_one("", 0)"#, r#"-1"#),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), "x")"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack_one' (number expected, got string)"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), nil)"#,
            r#"1, 1"#,
        ),
        (
            r#"return cmsgpack.unpack_one(cmsgpack.pack({1}, "x"))"#,
            r#"2, {1}"#,
        ),
        (
            r#"return cmsgpack.unpack_one()"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack_one' (string expected, got no value)"#,
        ),
        (
            r#"return cmsgpack.unpack_one(nil, 1)"#,
            r#"ERR user_script:21: bad argument #1 to 'unpack_one' (string expected, got nil)"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)"#,
            r#"2, 1, 2"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 2)"#,
            r#"-1, 3"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)"#,
            r#"1, 2, 3"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)"#,
            r#"1"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 10)"#,
            r#"-1, 1, 2, 3"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)"#,
            r#"ERR user_script:21: Invalid request to unpack with offset of 0 and limit of 3."#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, -5)"#,
            r#"ERR user_script:21: Invalid request to unpack with offset of -5 and limit of 3."#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))"#,
            r#"ERR user_script:21: bad argument #2 to 'unpack_limit' (number expected, got no value)"#,
        ),
        (
            r#"return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 1, 7)"#,
            r#"ERR user_script:21: Start offset 7 greater than input length 3."#,
        ),
        (
            r#"return cmsgpack.unpack_limit("\204", 1)"#,
            r#"ERR user_script:21: Missing bytes in input."#,
        ),
        // limits of Redis's Lua stack
        (
            r#"return select('#', cmsgpack.unpack(string.rep("\1", 7999)))"#,
            r#"7999"#,
        ),
        (
            r#"return select('#', cmsgpack.unpack(string.rep("\1", 8000)))"#,
            r#"ERR user_script:21: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"#,
        ),
        (
            r#"return select('#', cmsgpack.unpack_limit(string.rep("\1", 9000), 7998))"#,
            r#"7999"#,
        ),
        (
            r#"return select('#', cmsgpack.unpack_limit(string.rep("\1", 9000), 7999))"#,
            r#"ERR user_script:21: stack overflow (in function mp_unpack_full)"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\145", 3998) .. "\1"))"#,
            r#"table"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\145", 3999) .. "\1"))"#,
            r#"table"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\145", 4000) .. "\1"))"#,
            r#"ERR user_script:21: stack overflow (in function mp_decode_to_lua_array)"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\129\1", 3999) .. "\1"))"#,
            r#"table"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\129\1", 4000) .. "\1"))"#,
            r#"ERR user_script:21: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\129\1", 8000) .. "\1"))"#,
            r#"ERR user_script:21: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"#,
        ),
        (
            r#"return type(cmsgpack.unpack(string.rep("\129", 8000) .. "\1"))"#,
            r#"ERR user_script:21: stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)"#,
        ),
        // round trips
        (
            r#"local t = cmsgpack.unpack(cmsgpack.pack({1, {2, {3, {a = "b"}}}, "c"})) return t[2][2][2].a, t[3]"#,
            r#"b, c"#,
        ),
        (
            r#"return cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION"#,
            r#"cmsgpack, lua-cmsgpack 0.4.0, Copyright (C) 2012, Salvatore Sanfilippo, MessagePack C implementation for Lua"#,
        ),
        (
            r#"return cmsgpack:pack()"#,
            r#"\x88\xac_DESCRIPTION\xd9$MessagePack C implementation for Lua\xa4pack\xc0\xa5_NAME\xa8cmsgpack\xa6unpack\xc0\xaa_COPYRIGHT\xd9(Copyright (C) 2012, Salvatore Sanfilippo\xa8_VERSION\xb2lua-cmsgpack 0.4.0\xaaunpack_one\xc0\xacunpack_limit\xc0"#,
        ),
        (
            r#"local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end local t = {} for i = 1, 20 do t["k" .. i] = i end return hex(cmsgpack.pack(t))"#,
            r#"de0014a36b313610a36b313913a36b31310ba36b313711a36b31350fa36b323014a36b31300aa26b3808a26b3101a36b31320ca26b3303a26b3202a26b3909a36b31330da36b313812a36b31340ea26b3606a26b3707a26b3404a26b3505"#,
        ),
    ];

    #[test]
    fn cmsgpack_matches_redis() {
        check(CASES);
    }
}
