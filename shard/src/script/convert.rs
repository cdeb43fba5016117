//! Conversions between Redis replies and Lua values, both ways, as Redis's script_lua.c does
//! them (luaReplyToRedisReply, redisProtocolToLuaType, luaArgsToRedisArgv).

use std::cell::RefCell;
use std::collections::HashSet;

use bytes::Bytes;
use ferrokv_protocol::{format_double, Reply};
use mlua::{Lua, MultiValue, Table, Value};

/// How deep a returned table may nest before the reply gets Redis's "reached lua stack limit"
/// error in its place. Redis runs out of Lua stack (LUAI_MAXCSTACK) at depth 7995; replies
/// that deep would strain the stack of the code that encodes and drops them, so the limit is
/// lower here. Only self-referencing tables get near either.
const MAX_REPLY_DEPTH: usize = 1000;

/// A Lua number as C's `(long long)` cast gives it on x86-64: NaN and out-of-range values
/// become i64::MIN.
pub fn lua_number_to_i64(n: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// The text of the `err` field Redis builds from an error buffer (luaPushErrorBuff): `-CODE
/// msg` keeps its code, anything else gets `ERR`; CR/LF are trimmed from the message's ends.
pub fn error_text(buf: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match buf.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", buf),
    };
    let is_crlf = |b: &u8| *b == b'\r' || *b == b'\n';
    let start = msg.iter().position(|b| !is_crlf(b)).unwrap_or(msg.len());
    let end = msg
        .iter()
        .rposition(|b| !is_crlf(b))
        .map_or(start, |e| e + 1);
    let mut text = Vec::with_capacity(code.len() + 1 + end - start);
    text.extend_from_slice(code);
    text.push(b' ');
    text.extend_from_slice(&msg[start..end]);
    text
}

/// The `{err=...}` table redis.pcall returns for an error reply or a refused call. `counted`:
/// Redis marks the errors of commands it already counted in its error statistics, and scripts
/// can see the mark.
pub fn error_table(lua: &Lua, buf: &[u8], counted: bool) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(0, 2)?;
    t.raw_set("err", lua.create_string(error_text(buf))?)?;
    if counted {
        t.raw_set("ignore_error_stats_update", true)?;
    }
    Ok(t)
}

/// A command reply as the script sees it; `resp3` is the script's protocol (redis.setresp).
pub fn reply_to_lua(lua: &Lua, reply: &Reply, resp3: bool) -> mlua::Result<Value> {
    let null = if resp3 {
        Value::Nil
    } else {
        Value::Boolean(false)
    };
    let wrap = |field: &str, value: Value| -> mlua::Result<Value> {
        let t = lua.create_table_with_capacity(0, 1)?;
        t.raw_set(field, value)?;
        Ok(Value::Table(t))
    };
    let string = |b: &[u8]| -> mlua::Result<Value> { lua.create_string(b).map(Value::String) };
    Ok(match reply {
        Reply::Simple(s) => wrap("ok", string(s)?)?,
        Reply::Error(e) => {
            let mut buf = Vec::with_capacity(e.len() + 1);
            buf.push(b'-');
            buf.extend_from_slice(e);
            Value::Table(error_table(lua, &buf, true)?)
        }
        Reply::Int(n) => Value::Number(*n as f64),
        Reply::Bulk(b) => string(b)?,
        Reply::Null | Reply::NullArray => null,
        Reply::Array(items) | Reply::Push(items) | Reply::Sequence(items) => {
            array(lua, items.iter(), resp3)?
        }
        Reply::Set(items) if resp3 => {
            let set = lua.create_table_with_capacity(0, items.len())?;
            for item in items {
                set.raw_set(reply_to_lua(lua, item, resp3)?, true)?;
            }
            wrap("set", Value::Table(set))?
        }
        Reply::Set(items) => array(lua, items.iter(), resp3)?,
        Reply::Map(pairs) | Reply::NestedMap(pairs) if resp3 => {
            let map = lua.create_table_with_capacity(0, pairs.len())?;
            for (k, v) in pairs {
                map.raw_set(reply_to_lua(lua, k, resp3)?, reply_to_lua(lua, v, resp3)?)?;
            }
            wrap("map", Value::Table(map))?
        }
        // RESP2 sends a NestedMap as the array of pairs RESP3 sends Pairs as.
        Reply::Pairs(pairs) if resp3 => pair_arrays(lua, pairs, resp3)?,
        Reply::NestedMap(pairs) => pair_arrays(lua, pairs, resp3)?,
        Reply::Map(pairs) | Reply::Pairs(pairs) => {
            array(lua, pairs.iter().flat_map(|(k, v)| [k, v]), resp3)?
        }
        Reply::Double(d) if resp3 => wrap("double", Value::Number(*d))?,
        Reply::Double(d) => string(format_double(*d).as_bytes())?,
        Reply::Bool(b) if resp3 => Value::Boolean(*b),
        Reply::Bool(b) => Value::Number(f64::from(u8::from(*b))),
        Reply::Verbatim(format, text) if resp3 => {
            let t = lua.create_table_with_capacity(0, 2)?;
            t.raw_set("string", lua.create_string(text)?)?;
            t.raw_set("format", *format)?;
            wrap("verbatim_string", Value::Table(t))?
        }
        Reply::BigNumber(n) if resp3 => wrap("big_number", string(n)?)?,
        Reply::Verbatim(_, b) | Reply::BigNumber(b) => string(b)?,
    })
}

fn pair_arrays(lua: &Lua, pairs: &[(Reply, Reply)], resp3: bool) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(pairs.len(), 0)?;
    for (i, (a, b)) in pairs.iter().enumerate() {
        let pair = lua.create_table_with_capacity(2, 0)?;
        pair.raw_set(1, reply_to_lua(lua, a, resp3)?)?;
        pair.raw_set(2, reply_to_lua(lua, b, resp3)?)?;
        t.raw_set(i + 1, pair)?;
    }
    Ok(Value::Table(t))
}

fn array<'r>(
    lua: &Lua,
    items: impl Iterator<Item = &'r Reply>,
    resp3: bool,
) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(items.size_hint().0, 0)?;
    for (i, item) in items.enumerate() {
        t.raw_set(i + 1, reply_to_lua(lua, item, resp3)?)?;
    }
    Ok(Value::Table(t))
}

/// The reply for a script's return value; `resp3` is the script's protocol (redis.setresp).
///
/// Nested tables are walked with an explicit stack: a script can return a table nested
/// (or referencing itself) as deep as the depth limit, which must not exhaust the thread's stack.
pub fn lua_to_reply(value: &Value, resp3: bool) -> Reply {
    let mut stack: Vec<Open> = Vec::new();
    let mut next = step(value, resp3, 0);
    loop {
        let done = match next {
            Step::Leaf(reply) => reply,
            Step::Open(open) => {
                stack.push(open);
                match stack.last_mut().and_then(|o| o.children.pop()) {
                    Some(child) => {
                        next = step(&child, resp3, stack.len());
                        continue;
                    }
                    None => match stack.pop() {
                        Some(open) => open.finish(),
                        None => return Reply::Null,
                    },
                }
            }
        };
        let mut reply = done;
        loop {
            let Some(parent) = stack.last_mut() else {
                return reply;
            };
            parent.done.push(reply);
            match parent.children.pop() {
                Some(child) => {
                    next = step(&child, resp3, stack.len());
                    break;
                }
                None => match stack.pop() {
                    Some(open) => reply = open.finish(),
                    None => return Reply::Null,
                },
            }
        }
    }
}

enum Shape {
    Array,
    Map,
    Set,
}

/// A table being converted: its children still to convert (last first) and those done.
struct Open {
    shape: Shape,
    children: Vec<Value>,
    done: Vec<Reply>,
}

impl Open {
    fn new(shape: Shape, mut children: Vec<Value>) -> Open {
        children.reverse();
        let done = Vec::with_capacity(children.len());
        Open {
            shape,
            children,
            done,
        }
    }

    fn finish(self) -> Reply {
        match self.shape {
            Shape::Array => Reply::Array(self.done),
            Shape::Set => Reply::Set(self.done),
            Shape::Map => {
                let mut items = self.done.into_iter();
                let mut pairs = Vec::with_capacity(items.len() / 2);
                while let (Some(k), Some(v)) = (items.next(), items.next()) {
                    pairs.push((k, v));
                }
                Reply::Map(pairs)
            }
        }
    }
}

enum Step {
    Leaf(Reply),
    Open(Open),
}

/// One value at nesting `depth`: a finished reply, or a table whose children come next.
fn step(value: &Value, resp3: bool, depth: usize) -> Step {
    Step::Leaf(match value {
        Value::String(s) => Reply::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        Value::Boolean(b) if resp3 => Reply::Bool(*b),
        Value::Boolean(true) => Reply::Int(1),
        Value::Integer(i) => Reply::Int(*i as f64 as i64),
        Value::Number(n) => Reply::Int(lua_number_to_i64(*n)),
        Value::Table(_) if depth >= MAX_REPLY_DEPTH => Reply::error("ERR reached lua stack limit"),
        Value::Table(t) => return table_step(t),
        _ => Reply::Null,
    })
}

fn table_step(t: &Table) -> Step {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    // Redis copies both as C strings: they end at a NUL byte.
    if let Value::String(s) = field("err") {
        return Step::Leaf(Reply::Error(Bytes::copy_from_slice(crate::args::c_str(
            &s.as_bytes(),
        ))));
    }
    if let Value::String(s) = field("ok") {
        return Step::Leaf(Reply::Simple(Bytes::copy_from_slice(crate::args::c_str(
            &s.as_bytes(),
        ))));
    }
    if let Some(d) = number(&field("double")) {
        return Step::Leaf(Reply::Double(d));
    }
    if let Value::String(s) = field("big_number") {
        return Step::Leaf(Reply::BigNumber(Bytes::from(crlf_to_spaces(&s.as_bytes()))));
    }
    if let Value::Table(v) = field("verbatim_string") {
        if let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            return Step::Leaf(Reply::Verbatim(
                verbatim_format(&format.as_bytes()),
                Bytes::copy_from_slice(&text.as_bytes()),
            ));
        }
    }
    if let Value::Table(map) = field("map") {
        let children = map
            .pairs::<Value, Value>()
            .flatten()
            .flat_map(|(k, v)| [k, v])
            .collect();
        return Step::Open(Open::new(Shape::Map, children));
    }
    if let Value::Table(set) = field("set") {
        let children = set
            .pairs::<Value, Value>()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        return Step::Open(Open::new(Shape::Set, children));
    }
    let mut children = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => children.push(v),
        }
    }
    Step::Open(Open::new(Shape::Array, children))
}

fn crlf_to_spaces(b: &[u8]) -> Vec<u8> {
    b.iter()
        .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
        .collect()
}

thread_local! {
    static FORMATS: RefCell<HashSet<&'static str>> = RefCell::new(HashSet::from(["txt", "mkd"]));
}

/// The three-byte format of a verbatim reply: Redis copies at most three bytes of what the
/// script gave and pads with spaces. The reply type wants a static string, so each distinct
/// format is kept once per thread (there are at most 256^3 of them, and scripts use two).
fn verbatim_format(format: &[u8]) -> &'static str {
    let mut f = [b' '; 3];
    for (dst, src) in f.iter_mut().zip(format.iter().take_while(|&&b| b != 0)) {
        *dst = *src;
    }
    let Ok(f) = std::str::from_utf8(&f) else {
        return "txt";
    };
    FORMATS.with(|formats| {
        let mut formats = formats.borrow_mut();
        match formats.get(f) {
            Some(known) => known,
            None => {
                let leaked: &'static str = Box::leak(f.to_owned().into_boxed_str());
                formats.insert(leaked);
                leaked
            }
        }
    })
}

/// The arguments of redis.call as Redis builds them: numbers print as `%.17g`, strings as
/// they are; anything else refuses the call.
pub fn lua_args(values: &MultiValue) -> Result<Vec<Bytes>, &'static str> {
    if values.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    values
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(Bytes::copy_from_slice(&s.as_bytes())),
            Value::Integer(i) => Ok(Bytes::from(format_double(*i as f64))),
            Value::Number(n) => Ok(Bytes::from(format_double(*n))),
            _ => Err("Lua redis lib command arguments must be strings or integers"),
        })
        .collect()
}

/// Whether an argument is a number mlua read as 0: it reads every number within an epsilon of
/// an integer as that integer, which is exact except near 0 (-0, and tiny numbers that print
/// as themselves with `%.17g`).
pub fn unsure_zero(values: &MultiValue) -> bool {
    values.iter().any(|v| matches!(v, Value::Integer(0)))
}
