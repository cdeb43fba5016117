//! `cjson`: Lua CJSON 2.1.0 as Redis 7.0 bundles it.
//!
//! Both directions walk nested data with an explicit stack instead of recursion, so deep
//! data cannot overflow the thread's stack. Decoding keeps the tables it is still filling
//! in a Lua table rather than as Rust handles, as mlua can hold only about 8000 handles at
//! once and Redis allows up to about 8000 levels once `decode_max_depth` is raised.

use std::cell::RefCell;
use std::ptr;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::number::{format_g, strtod};
use super::{
    as_number, c_double_to_i32, fail, raw_get_exact, ret, set_function, type_name, Args, ExactNext,
    Nest, Outcome, Results, MAX_C_STACK,
};

/// Encoding deeper than this fails even when `encode_max_depth` allows more (Redis's own
/// stack stops it between 4000 and 8000 levels): each level holds two mlua handles, and
/// mlua can hold only about 8000.
/// Picks one setting out of the configuration.
type Field = fn(&mut Config) -> &mut i32;

const ENCODE_DEPTH_CAP: usize = 2000;

#[derive(Clone, Copy)]
struct Config {
    encode_sparse_convert: i32,
    encode_sparse_ratio: i32,
    encode_sparse_safe: i32,
    encode_max_depth: i32,
    encode_invalid_numbers: i32,
    encode_number_precision: i32,
    encode_keep_buffer: i32,
    decode_invalid_numbers: i32,
    decode_max_depth: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: 1,
            decode_invalid_numbers: 1,
            decode_max_depth: 1000,
        }
    }
}

pub fn open(lua: &Lua) -> mlua::Result<()> {
    lua.globals().raw_set("cjson", module(lua)?)
}

/// A module table with its own configuration (what `cjson.new()` returns too).
fn module(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Rc::new(RefCell::new(Config::default()));
    let next = ExactNext::new(lua)?;
    let t = lua.create_table()?;

    let c = cfg.clone();
    set_function(lua, &t, "encode", move |lua, args| {
        let cfg = *c.borrow();
        encode(lua, &args, cfg, &next)
    })?;
    let c = cfg.clone();
    set_function(lua, &t, "decode", move |lua, args| {
        let cfg = *c.borrow();
        decode(lua, &args, cfg)
    })?;
    let c = cfg.clone();
    set_function(lua, &t, "encode_sparse_array", move |lua, args| {
        arg_init(&args, 3)?;
        let mut cfg = c.borrow_mut();
        let mut out = MultiValue::new();
        out.push_back(enum_option(
            lua,
            &args,
            1,
            &mut cfg.encode_sparse_convert,
            None,
        )?);
        out.push_back(integer_option(
            &args,
            2,
            &mut cfg.encode_sparse_ratio,
            0,
            i32::MAX,
        )?);
        out.push_back(integer_option(
            &args,
            3,
            &mut cfg.encode_sparse_safe,
            0,
            i32::MAX,
        )?);
        Ok(Results::Values(out))
    })?;
    let integer_options: [(&str, Field, i32); 3] = [
        ("encode_max_depth", |c| &mut c.encode_max_depth, i32::MAX),
        ("decode_max_depth", |c| &mut c.decode_max_depth, i32::MAX),
        (
            "encode_number_precision",
            |c| &mut c.encode_number_precision,
            14,
        ),
    ];
    for (name, field, max) in integer_options {
        let c = cfg.clone();
        set_function(lua, &t, name, move |lua, args| {
            arg_init(&args, 1)?;
            let v = integer_option(&args, 1, field(&mut c.borrow_mut()), 1, max)?;
            ret(lua, v)
        })?;
    }
    let enum_options: [(&str, Field, Option<&'static [&'static str]>); 3] = [
        ("encode_keep_buffer", |c| &mut c.encode_keep_buffer, None),
        (
            "encode_invalid_numbers",
            |c| &mut c.encode_invalid_numbers,
            Some(&["off", "on", "null"]),
        ),
        (
            "decode_invalid_numbers",
            |c| &mut c.decode_invalid_numbers,
            None,
        ),
    ];
    for (name, field, options) in enum_options {
        let c = cfg.clone();
        set_function(lua, &t, name, move |lua, args| {
            arg_init(&args, 1)?;
            let v = enum_option(lua, &args, 1, field(&mut c.borrow_mut()), options)?;
            ret(lua, v)
        })?;
    }
    set_function(lua, &t, "new", |lua, _| ret(lua, module(lua)?))?;
    t.raw_set("null", Value::LightUserData(LightUserData(ptr::null_mut())))?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// `json_arg_init`: too many arguments is an error.
fn arg_init(args: &Args, max: usize) -> Outcome<()> {
    if args.count() > max {
        return Err(args.arg_error(max + 1, "found too many arguments"));
    }
    Ok(())
}

/// `json_integer_option`. The value is stored in a C int (so truncated to 32 bits), and a
/// range error always names argument 1, as in cjson.
fn integer_option(args: &Args, n: usize, setting: &mut i32, min: i32, max: i32) -> Outcome<Value> {
    if !args.is_none_or_nil(n) {
        let value = args.check_integer(n)? as i32;
        if !(min..=max).contains(&value) {
            return Err(args.arg_error(1, format!("expected integer between {min} and {max}")));
        }
        *setting = value;
    }
    Ok(Value::Integer(i64::from(*setting)))
}

/// `json_enum_option` with `bool_true` 1: booleans set 0 or 1, strings name an option.
fn enum_option(
    lua: &Lua,
    args: &Args,
    n: usize,
    setting: &mut i32,
    options: Option<&[&str]>,
) -> Outcome<Value> {
    let options = options.unwrap_or(&["off", "on"]);
    match args.get(n) {
        Value::Nil => {}
        Value::Boolean(b) => *setting = i32::from(*b),
        _ => {
            let name = args.check_bytes(n)?;
            match options.iter().position(|o| o.as_bytes() == name.as_slice()) {
                Some(i) => *setting = i as i32,
                None => {
                    let mut msg = b"invalid option '".to_vec();
                    msg.extend_from_slice(&name);
                    msg.push(b'\'');
                    return Err(args.arg_error(n, msg));
                }
            }
        }
    }
    Ok(match *setting {
        0 | 1 => Value::Boolean(*setting == 1),
        i => match usize::try_from(i).ok().and_then(|i| options.get(i)) {
            Some(name) => Value::String(lua.create_string(name)?),
            None => Value::Nil,
        },
    })
}

// ===== Encoding =====

fn encode(lua: &Lua, args: &Args, cfg: Config, next: &ExactNext) -> Outcome<Results> {
    if args.count() != 1 {
        return Err(args.arg_error(1, "expected 1 argument"));
    }
    let mut enc = Encoder {
        cfg,
        out: Vec::new(),
    };
    enc.run(args.get(1).clone(), next)?;
    ret(lua, lua.create_string(&enc.out)?)
}

enum Walk {
    Array { len: i32, next: i32 },
    Object { key: Value, first: bool },
}

struct Frame {
    table: Table,
    walk: Walk,
    /// How many values Redis's C function has on its Lua stack while in this table.
    slots: usize,
}

struct Encoder {
    cfg: Config,
    out: Vec<u8>,
}

fn null() -> Value {
    Value::LightUserData(LightUserData(ptr::null_mut()))
}

impl Encoder {
    fn run(&mut self, value: Value, next: &ExactNext) -> Outcome<()> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut pending = Some((value, 1usize));
        loop {
            if let Some((value, slots)) = pending.take() {
                match value {
                    Value::Table(table) => self.open_table(&mut stack, table, slots)?,
                    v => self.scalar(&v)?,
                }
            }
            let Some(frame) = stack.last_mut() else {
                return Ok(());
            };
            match &mut frame.walk {
                Walk::Array { len, next } => {
                    if *next > *len {
                        self.out.push(b']');
                        stack.pop();
                        continue;
                    }
                    if *next > 1 {
                        self.out.push(b',');
                    }
                    let v = raw_get_exact(&frame.table, *next)?;
                    *next += 1;
                    pending = Some((v, frame.slots + 1));
                }
                Walk::Object { key, first } => {
                    let Some((k, v)) = next.next(&frame.table, key.clone())? else {
                        self.out.push(b'}');
                        stack.pop();
                        continue;
                    };
                    if !*first {
                        self.out.push(b',');
                    }
                    *first = false;
                    match &k {
                        Value::String(s) => {
                            self.string(&s.as_bytes());
                            self.out.push(b':');
                        }
                        k => match as_number(k) {
                            Some(n) => {
                                self.out.push(b'"');
                                self.number(n)?;
                                self.out.extend_from_slice(b"\":");
                            }
                            None => {
                                return fail(format!(
                                    "Cannot serialise {}: table key must be a number or string",
                                    type_name(k)
                                ))
                            }
                        },
                    }
                    *key = k;
                    pending = Some((v, frame.slots + 2));
                }
            }
        }
    }

    fn open_table(&mut self, stack: &mut Vec<Frame>, table: Table, slots: usize) -> Outcome<()> {
        let depth = stack.len() + 1;
        // Redis checks the depth, and that its C stack has 3 more slots, before anything else.
        if depth as i64 > i64::from(self.cfg.encode_max_depth)
            || slots + 3 > MAX_C_STACK
            || depth > ENCODE_DEPTH_CAP
        {
            return fail(format!("Cannot serialise, excessive nesting ({depth})"));
        }
        let len = self.array_length(&table)?;
        let walk = if len > 0 {
            self.out.push(b'[');
            Walk::Array { len, next: 1 }
        } else {
            self.out.push(b'{');
            Walk::Object {
                key: Value::Nil,
                first: true,
            }
        };
        stack.push(Frame { table, walk, slots });
        Ok(())
    }

    /// `lua_array_length`: the array size when every key is an integer >= 1 and the array is
    /// not excessively sparse; otherwise (-1, or a negative C int overflow) an object.
    fn array_length(&self, table: &Table) -> Outcome<i32> {
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        for pair in table.pairs::<Value, Value>() {
            let (k, _) = pair?;
            match as_number(&k) {
                Some(k) if k != 0.0 && k.floor() == k && k >= 1.0 => {
                    if k > f64::from(max) {
                        max = c_double_to_i32(k);
                    }
                    items = items.wrapping_add(1);
                }
                _ => return Ok(-1),
            }
        }
        let cfg = &self.cfg;
        if cfg.encode_sparse_ratio > 0
            && max > items.wrapping_mul(cfg.encode_sparse_ratio)
            && max > cfg.encode_sparse_safe
        {
            if cfg.encode_sparse_convert == 0 {
                return fail("Cannot serialise table: excessively sparse array");
            }
            return Ok(-1);
        }
        Ok(max)
    }

    fn scalar(&mut self, v: &Value) -> Outcome<()> {
        match v {
            Value::String(s) => self.string(&s.as_bytes()),
            Value::Integer(i) => self.number(*i as f64)?,
            Value::Number(n) => self.number(*n)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            v => {
                return fail(format!(
                    "Cannot serialise {}: type not supported",
                    type_name(v)
                ))
            }
        }
        Ok(())
    }

    fn number(&mut self, n: f64) -> Outcome<()> {
        if n.is_finite() {
            let precision = self.cfg.encode_number_precision.clamp(1, 14) as usize;
            self.out
                .extend_from_slice(format_g(n, precision).as_bytes());
            return Ok(());
        }
        match self.cfg.encode_invalid_numbers {
            0 => return fail("Cannot serialise number: must not be NaN or Inf"),
            1 if n.is_nan() => self.out.extend_from_slice(b"nan"),
            1 => self.out.extend_from_slice(format_g(n, 14).as_bytes()),
            _ => self.out.extend_from_slice(b"null"),
        }
        Ok(())
    }

    fn string(&mut self, s: &[u8]) {
        self.out.reserve(s.len() + 2);
        self.out.push(b'"');
        for &c in s {
            match c {
                b'"' => self.out.extend_from_slice(b"\\\""),
                b'\\' => self.out.extend_from_slice(b"\\\\"),
                b'/' => self.out.extend_from_slice(b"\\/"),
                b'\x08' => self.out.extend_from_slice(b"\\b"),
                b'\t' => self.out.extend_from_slice(b"\\t"),
                b'\n' => self.out.extend_from_slice(b"\\n"),
                b'\x0c' => self.out.extend_from_slice(b"\\f"),
                b'\r' => self.out.extend_from_slice(b"\\r"),
                0..=0x1f | 0x7f => {
                    self.out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
                }
                c => self.out.push(c),
            }
        }
        self.out.push(b'"');
    }
}

// ===== Decoding =====

fn decode(lua: &Lua, args: &Args, cfg: Config) -> Outcome<Results> {
    if args.count() != 1 {
        return Err(args.arg_error(1, "expected 1 argument"));
    }
    let data = args.check_bytes(1)?;
    // Only the first two bytes tell UTF-16/32 from UTF-8 (RFC 4627), as cjson checks.
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return fail("JSON parser does not support UTF-16 or UTF-32");
    }
    let mut parser = Parser {
        data: &data,
        pos: 0,
        cfg,
    };
    let value = parser.document(lua)?;
    ret(lua, value)
}

#[derive(PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

struct Token {
    tok: Tok,
    /// Where the token starts, or where its error is (0-based).
    index: usize,
}

fn parse_error<T>(expected: &str, token: &Token) -> Outcome<T> {
    let found = match &token.tok {
        Tok::ObjBegin => "T_OBJ_BEGIN",
        Tok::ObjEnd => "T_OBJ_END",
        Tok::ArrBegin => "T_ARR_BEGIN",
        Tok::ArrEnd => "T_ARR_END",
        Tok::Str(_) => "T_STRING",
        Tok::Num(_) => "T_NUMBER",
        Tok::Bool(_) => "T_BOOLEAN",
        Tok::Null => "T_NULL",
        Tok::Colon => "T_COLON",
        Tok::Comma => "T_COMMA",
        Tok::End => "T_END",
        Tok::Error(msg) => msg,
    };
    fail(format!(
        "Expected {expected} but found {found} at character {}",
        token.index + 1
    ))
}

/// A container being filled: an array with its next index, or an object with the key its
/// next value goes to.
enum Open {
    Array(i64),
    Object(Vec<u8>),
}

impl Open {
    /// Values Redis's decoder keeps on its Lua stack for this container while it parses a
    /// value inside it: the table, and for an object the key.
    fn slots(&self) -> usize {
        match self {
            Open::Array(_) => 1,
            Open::Object(_) => 2,
        }
    }
}

/// The containers being filled.
struct Builder {
    tables: Nest,
    open: Vec<Open>,
    /// Redis's Lua stack height: the argument plus every open container's slots.
    slots: usize,
}

impl Builder {
    fn open(&mut self, lua: &Lua, kind: Open, max_depth: i32, pos: usize) -> Outcome<()> {
        let depth = self.open.len() + 1;
        let need = kind.slots() + 1;
        if depth as i64 > i64::from(max_depth) || self.slots + need > MAX_C_STACK {
            return fail(format!(
                "Found too many nested data structures ({depth}) at character {pos}"
            ));
        }
        self.tables.open(lua.create_table()?)?;
        self.slots += kind.slots();
        self.open.push(kind);
        Ok(())
    }

    fn close(&mut self) -> Outcome<Value> {
        if let Some(kind) = self.open.pop() {
            self.slots -= kind.slots();
        }
        Ok(self.tables.close()?)
    }

    fn set(&mut self, lua: &Lua, value: Value) -> Outcome<()> {
        let Some(table) = self.tables.current() else {
            return Ok(());
        };
        match self.open.last_mut() {
            Some(Open::Array(i)) => {
                table.raw_set(*i, value)?;
                *i += 1;
            }
            Some(Open::Object(key)) => table.raw_set(lua.create_string(&*key)?, value)?,
            None => {}
        }
        Ok(())
    }
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    cfg: Config,
}

impl Parser<'_> {
    /// The byte at `i`; the input ends, as a C string does, at its end or its first NUL.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn document(&mut self, lua: &Lua) -> Outcome<Value> {
        let mut b = Builder {
            tables: Nest::new(lua)?,
            open: Vec::new(),
            slots: 1,
        };
        let mut token = self.next_token();
        'value: loop {
            let mut value = match token.tok {
                Tok::Str(s) => Value::String(lua.create_string(&s)?),
                Tok::Num(n) => Value::Number(n),
                Tok::Bool(v) => Value::Boolean(v),
                Tok::Null => null(),
                Tok::ArrBegin => {
                    b.open(lua, Open::Array(1), self.cfg.decode_max_depth, self.pos)?;
                    token = self.next_token();
                    if token.tok != Tok::ArrEnd {
                        continue 'value;
                    }
                    b.close()?
                }
                Tok::ObjBegin => {
                    b.open(
                        lua,
                        Open::Object(Vec::new()),
                        self.cfg.decode_max_depth,
                        self.pos,
                    )?;
                    token = self.next_token();
                    if token.tok != Tok::ObjEnd {
                        let key = self.key(token)?;
                        if let Some(Open::Object(k)) = b.open.last_mut() {
                            *k = key;
                        }
                        token = self.next_token();
                        continue 'value;
                    }
                    b.close()?
                }
                _ => return parse_error("value", &token),
            };
            loop {
                let in_array = match b.open.last() {
                    None => {
                        let end = self.next_token();
                        if end.tok != Tok::End {
                            return parse_error("the end", &end);
                        }
                        return Ok(value);
                    }
                    Some(open) => matches!(open, Open::Array(_)),
                };
                b.set(lua, value)?;
                token = self.next_token();
                match (&token.tok, in_array) {
                    (Tok::ArrEnd, true) | (Tok::ObjEnd, false) => value = b.close()?,
                    (Tok::Comma, true) => {
                        token = self.next_token();
                        continue 'value;
                    }
                    (Tok::Comma, false) => {
                        let key_token = self.next_token();
                        let key = self.key(key_token)?;
                        if let Some(Open::Object(k)) = b.open.last_mut() {
                            *k = key;
                        }
                        token = self.next_token();
                        continue 'value;
                    }
                    (_, true) => return parse_error("comma or array end", &token),
                    (_, false) => return parse_error("comma or object end", &token),
                }
            }
        }
    }

    /// An object's key and the colon after it.
    fn key(&mut self, token: Token) -> Outcome<Vec<u8>> {
        let Tok::Str(key) = token.tok else {
            return parse_error("object key string", &token);
        };
        let colon = self.next_token();
        if colon.tok != Tok::Colon {
            return parse_error("colon", &colon);
        }
        Ok(key)
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let single = |tok| (tok, 1);
        let (tok, len) = match self.at(index) {
            b'{' => single(Tok::ObjBegin),
            b'}' => single(Tok::ObjEnd),
            b'[' => single(Tok::ArrBegin),
            b']' => single(Tok::ArrEnd),
            b',' => single(Tok::Comma),
            b':' => single(Tok::Colon),
            0 => (Tok::End, 0),
            b'"' => return self.string_token(),
            b'-' | b'0'..=b'9' => {
                if self.cfg.decode_invalid_numbers == 0 && self.is_invalid_number() {
                    (Tok::Error("invalid number"), 0)
                } else {
                    return self.number_token();
                }
            }
            b't' | b'f' | b'n' | b'i' | b'I' | b'N' | b'+' => {
                let rest = &self.data[index.min(self.data.len())..];
                if rest.starts_with(b"true") {
                    (Tok::Bool(true), 4)
                } else if rest.starts_with(b"false") {
                    (Tok::Bool(false), 5)
                } else if rest.starts_with(b"null") {
                    (Tok::Null, 4)
                } else if self.cfg.decode_invalid_numbers != 0 && self.is_invalid_number() {
                    return self.number_token();
                } else {
                    (Tok::Error("invalid token"), 0)
                }
            }
            _ => (Tok::Error("invalid token"), 0),
        };
        self.pos += len;
        Token { tok, index }
    }

    /// `json_is_invalid_number`: forms strtod reads but JSON forbids (a leading '+' or
    /// zero, hex, inf, nan).
    fn is_invalid_number(&self) -> bool {
        let mut i = self.pos;
        if self.at(i) == b'+' {
            return true;
        }
        if self.at(i) == b'-' {
            i += 1;
        }
        let c = self.at(i);
        if c == b'0' {
            let c2 = self.at(i + 1);
            return c2 | 0x20 == b'x' || c2.is_ascii_digit();
        }
        // C compares a signed char: bytes from 0x80 count as "<= '9'".
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let word = |w: &[u8]| (0..3).all(|k| self.at(i + k).eq_ignore_ascii_case(&w[k]));
        word(b"inf") || word(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let index = self.pos;
        match strtod(&self.data[index.min(self.data.len())..]) {
            Some((n, len)) => {
                self.pos += len;
                Token {
                    tok: Tok::Num(n),
                    index,
                }
            }
            None => Token {
                tok: Tok::Error("invalid number"),
                index,
            },
        }
    }

    fn string_token(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1;
        let mut s = Vec::new();
        loop {
            let c = self.at(self.pos);
            let error = |msg, index| Token {
                tok: Tok::Error(msg),
                index,
            };
            match c {
                b'"' => break,
                0 => return error("unexpected end of string", self.pos),
                b'\\' => {
                    let unescaped = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 0x0c,
                        b'r' => b'\r',
                        b'u' => {
                            if !self.unicode_escape(&mut s) {
                                return error("invalid unicode escape code", self.pos);
                            }
                            continue;
                        }
                        _ => return error("invalid escape code", self.pos),
                    };
                    s.push(unescaped);
                    self.pos += 2;
                }
                c => {
                    s.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token {
            tok: Tok::Str(s),
            index: start,
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, k| {
            (self.at(at + k) as char)
                .to_digit(16)
                .map(|d| (acc << 4) | d)
        })
    }

    /// `\uXXXX` (a surrogate pair takes two) at `pos`, appended as UTF-8.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        match char::from_u32(cp) {
            Some(ch) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            None => return false,
        }
        self.pos += len;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    /// Each chunk with what Redis 7.0.15 answers when it runs it (see `testing::RENDER`).
    const CASES: &[(&str, &str)] = &[
        // encoding scalars and numbers
        (
            r#"return cjson.encode(1), cjson.encode(-1), cjson.encode(1.5), cjson.encode(0.1), cjson.encode(1/3), cjson.encode(-0.0)"#,
            r#"1, -1, 1.5, 0.1, 0.33333333333333, -0"#,
        ),
        (
            r#"return cjson.encode(1e14), cjson.encode(123456789012345), cjson.encode(99999999999999), cjson.encode(2^53), cjson.encode(1e-5), cjson.encode(0.0001)"#,
            r#"1e+14, 1.2345678901234e+14, 99999999999999, 9.007199254741e+15, 1e-05, 0.0001"#,
        ),
        (
            r#"return cjson.encode(1e-300), cjson.encode(5e-324), cjson.encode(1e308), cjson.encode(-1.5e-7)"#,
            r#"1e-300, 4.9406564584125e-324, 1e+308, -1.5e-07"#,
        ),
        (
            r#"return cjson.encode(true), cjson.encode(false), cjson.encode(nil), cjson.encode(cjson.null)"#,
            r#"true, false, null, null"#,
        ),
        (
            r#"return cjson.encode(1/0)"#,
            r#"ERR user_script:21: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode(-1/0)"#,
            r#"ERR user_script:21: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode(0/0)"#,
            r#"ERR user_script:21: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode({1/0})"#,
            r#"ERR user_script:21: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (
            r#"return cjson.encode({[1/0]=1})"#,
            r#"ERR user_script:21: Cannot serialise number: must not be NaN or Inf"#,
        ),
        (r#"return cjson.encode("")"#, r#""""#),
        (
            r#"return cjson.encode("a\"b\\c/d\b\f\n\r\tz")"#,
            r#""a\"b\\c\/d\b\f\n\r\tz""#,
        ),
        (
            r#"return cjson.encode("\0\1\31\127\128\255 ~")"#,
            r#""\u0000\u0001\u001f\u007f\x80\xff ~""#,
        ),
        (
            r#"return cjson.encode("h\195\169llo")"#,
            r#""h\xc3\xa9llo""#,
        ),
        // tables: arrays and objects
        (r#"return cjson.encode({})"#, r#"{}"#),
        (r#"return cjson.encode({1,2,3})"#, r#"[1,2,3]"#),
        (r#"return cjson.encode({1,2,{a=1}})"#, r#"[1,2,{"a":1}]"#),
        (r#"return cjson.encode({a=1})"#, r#"{"a":1}"#),
        (
            r#"return cjson.encode({[1]=1,[2]=2,x=3})"#,
            r#"{"1":1,"2":2,"x":3}"#,
        ),
        (r#"return cjson.encode({1,nil,3})"#, r#"[1,null,3]"#),
        (r#"return cjson.encode({[1]=1,[3]=3})"#, r#"[1,null,3]"#),
        (
            r#"return cjson.encode({[10]=1})"#,
            r#"[null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (
            r#"return cjson.encode({[11]=1})"#,
            r#"ERR user_script:21: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"return cjson.encode({[20]=1, [1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10})"#,
            r#"[1,2,3,4,5,6,7,8,9,10,null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (r#"return cjson.encode({[0]=1})"#, r#"{"0":1}"#),
        (r#"return cjson.encode({[-1]=1})"#, r#"{"-1":1}"#),
        (r#"return cjson.encode({[1.5]=1})"#, r#"{"1.5":1}"#),
        (r#"return cjson.encode({[2^31]=1})"#, r#"{"2147483648":1}"#),
        (r#"return cjson.encode({[2^31]=1, [1]=2})"#, r#"[2]"#),
        (
            r#"return cjson.encode({[true]=1})"#,
            r#"ERR user_script:21: Cannot serialise boolean: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({[{}]=1})"#,
            r#"ERR user_script:21: Cannot serialise table: table key must be a number or string"#,
        ),
        (
            r#"return cjson.encode({f=string.len})"#,
            r#"ERR user_script:21: Cannot serialise function: type not supported"#,
        ),
        (
            r#"return cjson.encode(string.len)"#,
            r#"ERR user_script:21: Cannot serialise function: type not supported"#,
        ),
        (
            r#"return cjson.encode(coroutine.create(function() end))"#,
            r#"ERR user_script:21: Cannot serialise thread: type not supported"#,
        ),
        (
            r#"return cjson.encode({{},{{}},{a={}}})"#,
            r#"[{},[{}],{"a":{}}]"#,
        ),
        (
            r#"return cjson.encode({a={b={c={1,2,"x"}}}})"#,
            r#"{"a":{"b":{"c":[1,2,"x"]}}}"#,
        ),
        (r#"return cjson.encode({["a/b"]=1})"#, r#"{"a\/b":1}"#),
        (
            r#"return cjson.encode({[1]="a",[2]="b",[3.0]="c"})"#,
            r#"["a","b","c"]"#,
        ),
        (
            r#"return cjson.encode()"#,
            r#"ERR user_script:21: bad argument #1 to 'encode' (expected 1 argument)"#,
        ),
        (
            r#"return cjson.encode(1, 2)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode' (expected 1 argument)"#,
        ),
        // object key order follows Lua's table order
        (
            r#"return cjson.encode({a=1,b=2,c=3,d=4,e=5})"#,
            r#"{"a":1,"c":3,"b":2,"e":5,"d":4}"#,
        ),
        (
            r#"return cjson.encode({name="x",age=3,tags={"a","b"},nested={k="v"}})"#,
            r#"{"nested":{"k":"v"},"age":3,"name":"x","tags":["a","b"]}"#,
        ),
        (
            r#"return cjson.encode({[1]=1,[2]=2,[3]=3,[5]=5})"#,
            r#"[1,2,3,null,5]"#,
        ),
        (
            r#"return cjson.encode({[3]=1,[4]=1,[5]=1})"#,
            r#"[null,null,1,1,1]"#,
        ),
        // sparse arrays and their settings
        (r#"return cjson.encode_sparse_array()"#, r#"false, 2, 10"#),
        (
            r#"local c = cjson.new() return c.encode_sparse_array(true)"#,
            r#"true, 2, 10"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_sparse_array(false, 2, 10)"#,
            r#"false, 2, 10"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_sparse_array("on", 0, 0)"#,
            r#"true, 0, 0"#,
        ),
        (
            r#"return cjson.encode_sparse_array("yes")"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_sparse_array' (invalid option 'yes')"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_sparse_array(true, -1)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_sparse_array(true, 1, -1)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_sparse_array' (expected integer between 0 and 2147483647)"#,
        ),
        (
            r#"return cjson.encode_sparse_array(true, 1, 2, 3)"#,
            r#"ERR user_script:21: bad argument #4 to 'encode_sparse_array' (found too many arguments)"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_sparse_array(true, "x")"#,
            r#"ERR user_script:21: bad argument #2 to 'encode_sparse_array' (number expected, got string)"#,
        ),
        (
            r#"local c = cjson.new() c.encode_sparse_array(true) return c.encode({[1000]=1})"#,
            r#"{"1000":1}"#,
        ),
        (
            r#"local c = cjson.new() c.encode_sparse_array(false, 0) return c.encode({[1000]=1})"#,
            r#"[null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,null,1]"#,
        ),
        (
            r#"local c = cjson.new() c.encode_sparse_array(false, 1, 0) return c.encode({[1]=1, [3]=3})"#,
            r#"ERR user_script:21: Cannot serialise table: excessively sparse array"#,
        ),
        (
            r#"local c = cjson.new() c.encode_sparse_array(false, 1, 0) return c.encode({[1]=1, [2]=3})"#,
            r#"[1,3]"#,
        ),
        // nesting
        (
            r#"local t = {} t[1] = t return cjson.encode(t)"#,
            r#"ERR user_script:21: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"local t = {} t.a = t return cjson.encode(t)"#,
            r#"ERR user_script:21: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"local a = {} local x = a for i = 1, 999 do x[1] = {} x = x[1] end return #cjson.encode(a)"#,
            r#"2000"#,
        ),
        (
            r#"local a = {} local x = a for i = 1, 1000 do x[1] = {} x = x[1] end return cjson.encode(a)"#,
            r#"ERR user_script:21: Cannot serialise, excessive nesting (1001)"#,
        ),
        (
            r#"local c = cjson.new() c.encode_max_depth(3) return c.encode({{{1}}})"#,
            r#"[[[1]]]"#,
        ),
        (
            r#"local c = cjson.new() c.encode_max_depth(3) return c.encode({{{{1}}}})"#,
            r#"ERR user_script:21: Cannot serialise, excessive nesting (4)"#,
        ),
        (
            r#"local c = cjson.new() c.encode_max_depth(3) return c.encode({a={b={c={}}}})"#,
            r#"ERR user_script:21: Cannot serialise, excessive nesting (4)"#,
        ),
        (
            r#"local c = cjson.new() c.encode_max_depth(1) return c.encode({1,2}), c.encode(5)"#,
            r#"[1,2], 5"#,
        ),
        (r#"return cjson.encode_max_depth()"#, r#"1000"#),
        (
            r#"return cjson.encode_max_depth(0)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_max_depth(2^32 + 7)"#,
            r#"7"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_max_depth("12")"#,
            r#"12"#,
        ),
        (
            r#"return cjson.encode_max_depth("x")"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_max_depth' (number expected, got string)"#,
        ),
        (
            r#"return cjson.encode_max_depth(1, 2)"#,
            r#"ERR user_script:21: bad argument #2 to 'encode_max_depth' (found too many arguments)"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_max_depth(nil)"#,
            r#"1000"#,
        ),
        // precision and invalid numbers
        (
            r#"local c = cjson.new() c.encode_number_precision(3) return c.encode(3.14159), c.encode(1234567), c.encode(0.000123456)"#,
            r#"3.14, 1.23e+06, 0.000123"#,
        ),
        (
            r#"local c = cjson.new() c.encode_number_precision(1) return c.encode(9.5), c.encode(0.125), c.encode(25)"#,
            r#"1e+01, 0.1, 2e+01"#,
        ),
        (
            r#"local c = cjson.new() c.encode_number_precision(2) return c.encode(0.125), c.encode(0.375)"#,
            r#"0.12, 0.38"#,
        ),
        (
            r#"return cjson.encode_number_precision(15)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"#,
        ),
        (
            r#"return cjson.encode_number_precision(0)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)"#,
        ),
        (r#"return cjson.encode_number_precision()"#, r#"14"#),
        (
            r#"local c = cjson.new() return c.encode_invalid_numbers(true), c.encode(1/0), c.encode(-1/0), c.encode(0/0), c.encode({[1/0]=1})"#,
            r#"true, inf, -inf, nan, {"inf":1}"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_invalid_numbers("null"), c.encode(1/0), c.encode({0/0})"#,
            r#"null, null, [null]"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_invalid_numbers("off"), c.encode_invalid_numbers()"#,
            r#"false, false"#,
        ),
        (
            r#"return cjson.encode_invalid_numbers("maybe")"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_invalid_numbers' (invalid option 'maybe')"#,
        ),
        (
            r#"return cjson.encode_invalid_numbers(1)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_invalid_numbers' (invalid option '1')"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_keep_buffer(), c.encode_keep_buffer(false), c.encode_keep_buffer("on"), c.encode("x")"#,
            r#"true, false, true, "x""#,
        ),
        (
            r#"return cjson.encode_keep_buffer(5)"#,
            r#"ERR user_script:21: bad argument #1 to 'encode_keep_buffer' (invalid option '5')"#,
        ),
        // decoding
        (r#"return cjson.decode("[1,2,3]")"#, r#"{1,2,3}"#),
        (
            r#"return cjson.decode('{"a":1,"b":[true,false,null]}')"#,
            r#"{a=1,b={true,false,cjson.null}}"#,
        ),
        (
            r#"return cjson.decode("[]"), cjson.decode("{}"), #cjson.decode("[]")"#,
            r#"{}, {}, 0"#,
        ),
        (
            r#"return type(cjson.decode("[]")), next(cjson.decode("[]"))"#,
            r#"table, nil"#,
        ),
        (
            r#"return cjson.decode('"abc"'), cjson.decode("12.5"), cjson.decode("true"), cjson.decode("null")"#,
            r#"abc, 12.5, true, cjson.null"#,
        ),
        (
            r#"return cjson.decode(' \t\n\r [ 1 , 2 ] \n ')"#,
            r#"{1,2}"#,
        ),
        (
            r#"return cjson.decode("-0"), cjson.decode("1e3"), cjson.decode("1E-2"), cjson.decode("-12.5e+2"), cjson.decode("0.1")"#,
            r#"-0, 1000, 0.01, -1250, 0.1"#,
        ),
        (
            r#"return cjson.decode("123456789012345678901234567890")"#,
            r#"1.2345678901235e+29"#,
        ),
        (
            r#"return cjson.decode("1e400"), cjson.decode("-1e400"), cjson.decode("1e-400")"#,
            r#"inf, -inf, 0"#,
        ),
        (
            r#"return cjson.decode("0x10"), cjson.decode("+5"), cjson.decode("007"), cjson.decode("1."), cjson.decode("0x1p4"), cjson.decode("1.e2")"#,
            r#"16, 5, 7, 1, 16, 100"#,
        ),
        (
            r#"return cjson.decode(".5")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("0x")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 2"#,
        ),
        (r#"return cjson.decode("-0x1F")"#, r#"-31"#),
        (
            r#"return cjson.decode("0xg")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 2"#,
        ),
        (
            r#"return cjson.decode("inf"), cjson.decode("-inf"), cjson.decode("Infinity"), cjson.decode("-Infinity"), cjson.decode("nan"), cjson.decode("NaN")"#,
            r#"inf, -inf, inf, -inf, nan, nan"#,
        ),
        (r#"return cjson.decode("-nan")"#, r#"-nan"#),
        (
            r#"return cjson.decode("infinit")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 4"#,
        ),
        (r#"return cjson.decode("[1,nan,2]")"#, r#"{1,nan,2}"#),
        (r#"return cjson.decode(123)"#, r#"123"#),
        (r#"return cjson.decode(" 1.5")"#, r#"1.5"#),
        (
            r#"return cjson.decode('"\\u0041\\u00e9\\u20ac\\ud83d\\ude00"')"#,
            r#"A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"#,
        ),
        (
            r#"return cjson.decode('"\\"\\\\\\/\\b\\f\\n\\r\\t"')"#,
            r#""\/\x08\x0c\x0a\x0d\x09"#,
        ),
        (r#"return cjson.decode('"\\u0000x"')"#, r#"\x00x"#),
        (
            r#"return cjson.decode('"\\ud83d"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\ud83dx"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\ud83d\\u0041"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\ude00"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\u12"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\uzzzz"')"#,
            r#"ERR user_script:21: Expected value but found invalid unicode escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"\\x"')"#,
            r#"ERR user_script:21: Expected value but found invalid escape code at character 2"#,
        ),
        (
            r#"return cjson.decode('"abc')"#,
            r#"ERR user_script:21: Expected value but found unexpected end of string at character 5"#,
        ),
        (
            r#"return cjson.decode('["a\\q"]')"#,
            r#"ERR user_script:21: Expected value but found invalid escape code at character 4"#,
        ),
        (
            r#"return cjson.decode('"h\195\169llo"')"#,
            r#"h\xc3\xa9llo"#,
        ),
        (r#"return cjson.decode('{"a":1,"a":2}')"#, r#"{a=2}"#),
        (r#"return cjson.decode('{"1":"x"}')["1"]"#, r#"x"#),
        // decode errors
        (
            r#"return cjson.decode("")"#,
            r#"ERR user_script:21: Expected value but found T_END at character 1"#,
        ),
        (
            r#"return cjson.decode("x")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("  x")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 3"#,
        ),
        (
            r#"return cjson.decode("[1,2")"#,
            r#"ERR user_script:21: Expected comma or array end but found T_END at character 5"#,
        ),
        (
            r#"return cjson.decode("[1 2]")"#,
            r#"ERR user_script:21: Expected comma or array end but found T_NUMBER at character 4"#,
        ),
        (
            r#"return cjson.decode("[1,]")"#,
            r#"ERR user_script:21: Expected value but found T_ARR_END at character 4"#,
        ),
        (
            r#"return cjson.decode("[,1]")"#,
            r#"ERR user_script:21: Expected value but found T_COMMA at character 2"#,
        ),
        (
            r#"return cjson.decode("{1:2}")"#,
            r#"ERR user_script:21: Expected object key string but found T_NUMBER at character 2"#,
        ),
        (
            r#"return cjson.decode('{"a" 1}')"#,
            r#"ERR user_script:21: Expected colon but found T_NUMBER at character 6"#,
        ),
        (
            r#"return cjson.decode('{"a":1,}')"#,
            r#"ERR user_script:21: Expected object key string but found T_OBJ_END at character 8"#,
        ),
        (
            r#"return cjson.decode('{"a":1 "b":2}')"#,
            r#"ERR user_script:21: Expected comma or object end but found T_STRING at character 8"#,
        ),
        (
            r#"return cjson.decode('{"a":}')"#,
            r#"ERR user_script:21: Expected value but found T_OBJ_END at character 6"#,
        ),
        (
            r#"return cjson.decode("{")"#,
            r#"ERR user_script:21: Expected object key string but found T_END at character 2"#,
        ),
        (
            r#"return cjson.decode("}")"#,
            r#"ERR user_script:21: Expected value but found T_OBJ_END at character 1"#,
        ),
        (
            r#"return cjson.decode("]")"#,
            r#"ERR user_script:21: Expected value but found T_ARR_END at character 1"#,
        ),
        (
            r#"return cjson.decode(":")"#,
            r#"ERR user_script:21: Expected value but found T_COLON at character 1"#,
        ),
        (
            r#"return cjson.decode("[1] x")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 5"#,
        ),
        (
            r#"return cjson.decode("[1] [2]")"#,
            r#"ERR user_script:21: Expected the end but found T_ARR_BEGIN at character 5"#,
        ),
        (
            r#"return cjson.decode("1 2")"#,
            r#"ERR user_script:21: Expected the end but found T_NUMBER at character 3"#,
        ),
        (
            r#"return cjson.decode("tru")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("nul")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.decode("falsey")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 6"#,
        ),
        (
            r#"return cjson.decode("-")"#,
            r#"ERR user_script:21: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"return cjson.decode("-x")"#,
            r#"ERR user_script:21: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"return cjson.decode("1.2.3")"#,
            r#"ERR user_script:21: Expected the end but found invalid token at character 4"#,
        ),
        (r#"return cjson.decode("[1]\0garbage")"#, r#"{1}"#),
        (
            r#"return cjson.decode('"ab\0cd"')"#,
            r#"ERR user_script:21: Expected value but found unexpected end of string at character 4"#,
        ),
        (
            r#"return cjson.decode("\0[1]")"#,
            r#"ERR user_script:21: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (
            r#"return cjson.decode("[\0")"#,
            r#"ERR user_script:21: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (
            r#"return cjson.decode("a\0")"#,
            r#"ERR user_script:21: JSON parser does not support UTF-16 or UTF-32"#,
        ),
        (
            r#"return cjson.decode()"#,
            r#"ERR user_script:21: bad argument #1 to 'decode' (expected 1 argument)"#,
        ),
        (
            r#"return cjson.decode(nil)"#,
            r#"ERR user_script:21: bad argument #1 to 'decode' (string expected, got nil)"#,
        ),
        (
            r#"return cjson.decode({})"#,
            r#"ERR user_script:21: bad argument #1 to 'decode' (string expected, got table)"#,
        ),
        (
            r#"return cjson.decode("1", 2)"#,
            r#"ERR user_script:21: bad argument #1 to 'decode' (expected 1 argument)"#,
        ),
        (
            r#"return cjson.decode(true)"#,
            r#"ERR user_script:21: bad argument #1 to 'decode' (string expected, got boolean)"#,
        ),
        // decode depth
        (
            r#"local s = string.rep("[", 1000) .. string.rep("]", 1000) return type(cjson.decode(s))"#,
            r#"table"#,
        ),
        (
            r#"return cjson.decode(string.rep("[", 1001) .. string.rep("]", 1001))"#,
            r#"ERR user_script:21: Found too many nested data structures (1001) at character 1001"#,
        ),
        (
            r#"return cjson.decode(string.rep("[", 1001))"#,
            r#"ERR user_script:21: Found too many nested data structures (1001) at character 1001"#,
        ),
        (
            r#"return cjson.decode(string.rep('{"a":', 1001))"#,
            r#"ERR user_script:21: Found too many nested data structures (1001) at character 5001"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(2) return c.decode("[[1]]")"#,
            r#"{{1}}"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(2) return c.decode("[[[1]]]")"#,
            r#"ERR user_script:21: Found too many nested data structures (3) at character 3"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(2) return c.decode('{"a":{"b":{}}}')"#,
            r#"ERR user_script:21: Found too many nested data structures (3) at character 11"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(10000) local ok, e = pcall(c.decode, string.rep("[", 9000)) return e"#,
            r#"Found too many nested data structures (7999) at character 7999"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(10000) local ok, e = pcall(c.decode, string.rep('{"a":', 9000)) return e"#,
            r#"Found too many nested data structures (4000) at character 19996"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(10000) local ok, e = pcall(c.decode, string.rep('[{"a":', 9000)) return e"#,
            r#"Found too many nested data structures (5333) at character 15997"#,
        ),
        (
            r#"local c = cjson.new() c.decode_max_depth(10000) local s = string.rep("[", 7997) .. string.rep("]", 7997) return type(c.decode(s))"#,
            r#"table"#,
        ),
        (r#"return cjson.decode_max_depth()"#, r#"1000"#),
        (
            r#"return cjson.decode_max_depth(0)"#,
            r#"ERR user_script:21: bad argument #1 to 'decode_max_depth' (expected integer between 1 and 2147483647)"#,
        ),
        // decode_invalid_numbers off
        (
            r#"local c = cjson.new() return c.decode_invalid_numbers(false), c.decode("12"), c.decode("-1.5")"#,
            r#"false, 12, -1.5"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("0x10")"#,
            r#"ERR user_script:21: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("[1, 007]")"#,
            r#"ERR user_script:21: Expected value but found invalid number at character 5"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("+1")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("nan")"#,
            r#"ERR user_script:21: Expected value but found invalid token at character 1"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("-inf")"#,
            r#"ERR user_script:21: Expected value but found invalid number at character 1"#,
        ),
        (
            r#"local c = cjson.new() c.decode_invalid_numbers(false) return c.decode("0")"#,
            r#"0"#,
        ),
        (
            r#"local c = cjson.new() return c.decode_invalid_numbers(), c.decode_invalid_numbers("on")"#,
            r#"true, true"#,
        ),
        (
            r#"return cjson.decode_invalid_numbers("null")"#,
            r#"ERR user_script:21: bad argument #1 to 'decode_invalid_numbers' (invalid option 'null')"#,
        ),
        // round trips and misc
        (
            r#"return cjson.encode(cjson.decode('{"a":[1,2,{"b":null}],"c":"d"}'))"#,
            r#"{"a":[1,2,{"b":null}],"c":"d"}"#,
        ),
        (
            r#"return cjson.encode(cjson.decode('[1,2,3,4,5,6,7,8,9,10,11,12]'))"#,
            r#"[1,2,3,4,5,6,7,8,9,10,11,12]"#,
        ),
        (
            r#"local c = cjson.new() return c ~= cjson, c.encode({1}), c.null == cjson.null, c._NAME, c._VERSION"#,
            r#"true, [1], true, cjson, 2.1.0"#,
        ),
        (
            r#"return cjson._NAME, cjson._VERSION, type(cjson.null), tostring(cjson.null)"#,
            r#"cjson, 2.1.0, userdata, userdata: (nil)"#,
        ),
        (
            r#"return cjson:encode()"#,
            r#"ERR user_script:21: Cannot serialise function: type not supported"#,
        ),
        (
            r#"return pcall(cjson.decode, "x")"#,
            r#"false, Expected value but found invalid token at character 1"#,
        ),
        (
            r#"return cjson.encode({[1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10, [11]=11, [24]=24})"#,
            r#"[1,2,3,4,5,6,7,8,9,10,11,null,null,null,null,null,null,null,null,null,null,null,null,24]"#,
        ),
        (
            r#"return cjson.encode({[1]=1, [2]=2, [3]=3, [4]=4, [5]=5, [6]=6, [7]=7, [8]=8, [9]=9, [10]=10, [11]=11, [23]=23})"#,
            r#"[1,2,3,4,5,6,7,8,9,10,11,null,null,null,null,null,null,null,null,null,null,null,23]"#,
        ),
        (
            r#"local c = cjson.new() return c.encode_max_depth("12"), c.encode_max_depth(nil), c.encode_max_depth(), cjson.encode_max_depth()"#,
            r#"12, 12, 12, 1000"#,
        ),
        (r#"return cjson.encode({["\0"]=1})"#, r#"{"\u0000":1}"#),
        (r#"return cjson.encode({[-0.0]=1})"#, r#"{"-0":1}"#),
        (
            r#"return cjson.encode({1, 2, [4]="x", n=nil})"#,
            r#"[1,2,null,"x"]"#,
        ),
        (
            r#"return cjson.encode(setmetatable({}, {__index=function() return 1 end}))"#,
            r#"{}"#,
        ),
        (r#"return cjson.encode({[1e300]=1})"#, r#"{"1e+300":1}"#),
        (
            r#"return cjson.encode({[1]=1, [2^53]=2})"#,
            r#"{"1":1,"9.007199254741e+15":2}"#,
        ),
        (
            r#"local c = cjson.new() c.encode_sparse_array(false, 2147483647, 0) return c.encode({[1]=1, [2]=2, [3]=3})"#,
            r#"[1,2,3]"#,
        ),
        // numbers mlua would read as 0
        (
            r#"return cjson.encode({1e-300, -0.0, 2}), cjson.encode({a=1e-20}), cjson.encode({[1e-20]=1}), cjson.encode({[-0.0]=1, [1e-30]=2})"#,
            r#"[1e-300,-0,2], {"a":1e-20}, {"1e-20":1}, {"-0":1,"1e-30":2}"#,
        ),
        (
            r#"local t = {} for i = 1, 20 do t["k" .. i] = i end return cjson.encode(t)"#,
            r#"{"k16":16,"k19":19,"k11":11,"k17":17,"k15":15,"k20":20,"k10":10,"k8":8,"k1":1,"k12":12,"k3":3,"k2":2,"k9":9,"k13":13,"k18":18,"k14":14,"k6":6,"k7":7,"k4":4,"k5":5}"#,
        ),
    ];

    #[test]
    fn cjson_matches_redis() {
        check(CASES);
    }
}
