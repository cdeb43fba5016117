//! The libraries Redis gives scripts besides Lua's own: cjson, cmsgpack, bit and struct.
//!
//! Each function is written in Rust but must look to scripts exactly like Redis's C
//! functions: its failures are plain string errors (what `luaL_error` raises, so `pcall`
//! hands a script the message itself), and `luaL_argerror` names the function the way the
//! calling instruction names it. [`function`] gives both.

mod bit;
mod cjson;
mod cmsgpack;
mod number;
mod structlib;

use std::ffi::c_int;

use mlua::{ffi, Function, IntoLua, Lua, MultiValue, Table, Value};

/// Registers every library as a global table of `lua`.
pub fn open_all(lua: &Lua) -> mlua::Result<()> {
    cjson::open(lua)?;
    cmsgpack::open(lua)?;
    bit::open(lua)?;
    structlib::open(lua)
}

/// Why a library function gives no result.
pub(crate) enum Fail {
    /// A script error: the message reaches the script as a string, as `luaL_error` raises it.
    Msg(Vec<u8>),
    /// An error the Lua core raises inside a C function (`lua_settable`'s "table index is
    /// nil"): a string without the caller's position.
    Runtime(Vec<u8>),
    /// The Lua state itself failed (memory, a metamethod's error); passed on unchanged.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Self {
        Fail::Lua(e)
    }
}

pub(crate) type Outcome<T> = Result<T, Fail>;

/// What a library function returns.
pub(crate) enum Results {
    Values(MultiValue),
    /// `count` values stored in `table` from index `first` on. Functions that can return
    /// thousands of values use this: mlua could not hold them all as handles at once.
    Stored {
        table: Table,
        first: i64,
        count: i64,
    },
}

/// A script error carrying `msg`.
pub(crate) fn fail<T>(msg: impl Into<Vec<u8>>) -> Outcome<T> {
    Err(Fail::Msg(msg.into()))
}

/// Lua 5.1's `luaL_checkstack` limit (LUAI_MAXCSTACK): a C function's stack never holds more
/// values than this. Redis's libraries run into it on deep data, and so must we, at the same
/// depth.
pub(crate) const MAX_C_STACK: usize = 8000;

/// Makes a Lua function of `f`. Scripts call a C function (as in Redis) that calls `f` and
/// raises its `Fail::Msg` as a string error.
pub(crate) fn function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, Args) -> Outcome<Results> + 'static,
{
    let inner = lua.create_function(move |lua, mut vals: MultiValue| {
        let exact = vals.pop_front();
        let mut vals: Vec<Value> = vals.into_iter().collect();
        if let Some(Value::String(bits)) = exact {
            restore_exact_numbers(&mut vals, &bits.as_bytes());
        }
        let mut out = MultiValue::new();
        match f(lua, Args { lua, vals }) {
            Ok(Results::Values(vals)) => {
                out = vals;
                out.push_front(Value::Boolean(true));
            }
            Ok(Results::Stored {
                table,
                first,
                count,
            }) => {
                out.push_back(Value::Integer(1));
                out.push_back(Value::Table(table));
                out.push_back(Value::Integer(first));
                out.push_back(Value::Integer(count));
            }
            Err(Fail::Msg(msg)) => {
                out.push_back(Value::Boolean(false));
                out.push_back(Value::String(lua.create_string(msg)?));
            }
            Err(Fail::Runtime(msg)) => {
                out.push_back(Value::Boolean(false));
                out.push_back(Value::String(lua.create_string(msg)?));
                out.push_back(Value::Boolean(true));
            }
            Err(Fail::Lua(e)) => return Err(e),
        }
        Ok(out)
    })?;
    // SAFETY: exec_raw runs the closure in a protected call whose stack holds exactly the one
    // argument, `inner`, which lua_pushcclosure takes as the wrapper's upvalue.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, call_raising, 1);
        })
    }
}

/// mlua reads a Lua number within f64::EPSILON of zero (and -0) as the integer 0, losing it.
fn is_lossy(n: f64) -> bool {
    n.abs() < f64::EPSILON && (n != 0.0 || n.is_sign_negative())
}

fn restore_exact_numbers(vals: &mut [Value], bits: &[u8]) {
    for (val, chunk) in vals.iter_mut().zip(bits.chunks_exact(8)) {
        if let (Value::Integer(0), Ok(raw)) = (&val, <[u8; 8]>::try_from(chunk)) {
            *val = Value::Number(f64::from_le_bytes(raw));
        }
    }
}

/// The C function scripts call. Upvalue 1 is the Rust implementation, called with the
/// arguments preceded by nil or, when an argument is a number mlua would read as 0 though it
/// is not, a string of every argument's f64 bits. It answers `true, results...`;
/// `1, table, first, count` for results stored in a table; or `false, message[, plain]`.
/// The message is raised here, from a C frame holding nothing to drop, after the position
/// of the calling Lua code as `luaL_error` puts it unless `plain`.
unsafe extern "C-unwind" fn call_raising(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    let lossy = (1..=nargs).any(|i| {
        ffi::lua_type(state, i) == ffi::LUA_TNUMBER && is_lossy(ffi::lua_tonumber(state, i))
    });
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    if lossy {
        for i in 2..=nargs + 1 {
            let bits = if ffi::lua_type(state, i) == ffi::LUA_TNUMBER {
                ffi::lua_tonumber(state, i).to_le_bytes()
            } else {
                [0; 8]
            };
            ffi::lua_pushlstring(state, bits.as_ptr().cast(), bits.len());
            if i > 2 {
                ffi::lua_concat(state, 2);
            }
        }
    } else {
        ffi::lua_pushnil(state);
    }
    ffi::lua_insert(state, 2);
    ffi::lua_call(state, nargs + 1, ffi::LUA_MULTRET);
    if ffi::lua_type(state, 1) == ffi::LUA_TNUMBER {
        let first = ffi::lua_tointeger(state, 3) as c_int;
        let count = ffi::lua_tointeger(state, 4) as c_int;
        ffi::lua_settop(state, 2);
        ffi::lua_replace(state, 1);
        if ffi::lua_checkstack(state, count) == 0 {
            ffi::lua_pushstring(state, c"stack overflow (too many results)".as_ptr());
            ffi::lua_error(state)
        }
        for i in first..first + count {
            ffi::lua_rawgeti(state, 1, i.into());
        }
        ffi::lua_remove(state, 1);
        return count;
    }
    if ffi::lua_toboolean(state, 1) != 0 {
        ffi::lua_remove(state, 1);
        return ffi::lua_gettop(state);
    }
    let plain = ffi::lua_toboolean(state, 3) != 0;
    ffi::lua_settop(state, 2);
    if !plain {
        ffi::luaL_where(state, 1);
        ffi::lua_insert(state, 2);
        ffi::lua_concat(state, 2);
    }
    ffi::lua_error(state)
}

/// Sets `name` in `table` to a library function.
/// The tables a decoder is filling, innermost last. Only the innermost is held as a handle
/// (mlua holds few at once); its ancestors wait in a Lua table, indexed by depth.
pub(crate) struct Nest {
    parents: Table,
    current: Option<Table>,
    depth: usize,
}

impl Nest {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Nest> {
        Ok(Nest {
            parents: lua.create_table()?,
            current: None,
            depth: 0,
        })
    }

    /// The innermost open table.
    pub(crate) fn current(&self) -> Option<&Table> {
        self.current.as_ref()
    }

    pub(crate) fn open(&mut self, table: Table) -> mlua::Result<()> {
        if let Some(parent) = self.current.replace(table) {
            self.parents.raw_set(self.depth, parent)?;
        }
        self.depth += 1;
        Ok(())
    }

    /// Closes the innermost table and returns it; its parent becomes the innermost.
    pub(crate) fn close(&mut self) -> mlua::Result<Value> {
        let table = self.current.take();
        self.depth = self.depth.saturating_sub(1);
        if self.depth > 0 {
            self.current = Some(self.parents.raw_get(self.depth)?);
            self.parents.raw_set(self.depth, Value::Nil)?;
        }
        Ok(table.map_or(Value::Nil, Value::Table))
    }
}

pub(crate) fn set_function<F>(lua: &Lua, table: &Table, name: &str, f: F) -> mlua::Result<()>
where
    F: Fn(&Lua, Args) -> Outcome<Results> + 'static,
{
    table.raw_set(name, function(lua, f)?)
}

/// One value as the results of a library function.
pub(crate) fn ret(lua: &Lua, v: impl IntoLua) -> Outcome<Results> {
    let mut out = MultiValue::new();
    out.push_back(v.into_lua(lua)?);
    Ok(Results::Values(out))
}

/// Lua's `lua_typename` of a value.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The number a Lua number value holds.
pub(crate) fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// `t[key]` read raw, with numbers exactly as Lua holds them (see [`is_lossy`]).
pub(crate) fn raw_get_exact(t: &Table, key: impl IntoLua + Clone) -> mlua::Result<Value> {
    match t.raw_get::<Value>(key.clone())? {
        Value::Integer(0) => Ok(Value::Number(t.raw_get::<f64>(key)?)),
        v => Ok(v),
    }
}

/// Lua's `next`, answering numbers exactly (see [`is_lossy`]): a number key or value comes
/// back once more as an f64, which mlua reads without loss.
pub(crate) struct ExactNext(Function);

impl ExactNext {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Self> {
        let f = lua
            .load(
                r#"local next, type = ...
                return function(t, k)
                    local k2, v = next(t, k)
                    return k2, v, type(k2) == "number" and k2 or nil, type(v) == "number" and v or nil
                end"#,
            )
            .call::<Function>((lua.globals().raw_get::<Function>("next")?, lua.globals().raw_get::<Function>("type")?))?;
        Ok(ExactNext(f))
    }

    /// The pair after `key` in `table` (the first for nil), or None at the end.
    pub(crate) fn next(&self, table: &Table, key: Value) -> mlua::Result<Option<(Value, Value)>> {
        let (k, v, kn, vn): (Value, Value, Option<f64>, Option<f64>) =
            self.0.call((table.clone(), key))?;
        if k == Value::Nil {
            return Ok(None);
        }
        Ok(Some((
            kn.map_or(k, Value::Number),
            vn.map_or(v, Value::Number),
        )))
    }
}

/// C's conversion of a double to a 64-bit integer on x86-64 (cvttsd2si): truncation, and the
/// "integer indefinite" value for NaN and out-of-range numbers.
pub(crate) fn c_double_to_i64(n: f64) -> i64 {
    if fits_i64(n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// Whether C converts `n` to a 64-bit integer without overflow: within [-2^63, 2^63).
pub(crate) fn fits_i64(n: f64) -> bool {
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    (-TWO_POW_63..TWO_POW_63).contains(&n)
}

/// C's conversion of a double to a 32-bit int on x86-64.
pub(crate) fn c_double_to_i32(n: f64) -> i32 {
    if (-2_147_483_648.0..2_147_483_648.0).contains(&n) {
        n as i32
    } else {
        i32::MIN
    }
}

/// The arguments of a library function, read the way lauxlib's `luaL_check*` read them.
pub(crate) struct Args<'a> {
    lua: &'a Lua,
    vals: Vec<Value>,
}

impl Args<'_> {
    /// How many arguments were passed (`lua_gettop`).
    pub(crate) fn count(&self) -> usize {
        self.vals.len()
    }

    /// Adds a value after the arguments, as a C function pushing onto its stack does.
    pub(crate) fn push(&mut self, v: Value) {
        self.vals.push(v);
    }

    /// Argument `n` (1-based); nil when absent.
    pub(crate) fn get(&self, n: usize) -> &Value {
        n.checked_sub(1)
            .and_then(|i| self.vals.get(i))
            .unwrap_or(&Value::Nil)
    }

    pub(crate) fn is_none(&self, n: usize) -> bool {
        n == 0 || n > self.vals.len()
    }

    pub(crate) fn is_none_or_nil(&self, n: usize) -> bool {
        matches!(self.get(n), Value::Nil)
    }

    /// `luaL_argerror`: the function is named as its caller named it.
    pub(crate) fn arg_error(&self, n: usize, extra: impl AsRef<[u8]>) -> Fail {
        let (name, method) = match self.lua.inspect_stack(1) {
            Some(ar) => {
                let names = ar.names();
                let method = names.name_what == Some("method");
                (names.name.map(|s| s.into_owned()), method)
            }
            None => (None, false),
        };
        let mut n = n as i64;
        let mut msg = Vec::new();
        if method {
            n -= 1;
            if n == 0 {
                msg.extend_from_slice(b"calling '");
                msg.extend_from_slice(name.as_deref().unwrap_or("?").as_bytes());
                msg.extend_from_slice(b"' on bad self (");
                msg.extend_from_slice(extra.as_ref());
                msg.push(b')');
                return Fail::Msg(msg);
            }
        }
        msg.extend_from_slice(format!("bad argument #{n} to '").as_bytes());
        msg.extend_from_slice(name.as_deref().unwrap_or("?").as_bytes());
        msg.extend_from_slice(b"' (");
        msg.extend_from_slice(extra.as_ref());
        msg.push(b')');
        Fail::Msg(msg)
    }

    /// `luaL_typerror`.
    pub(crate) fn type_error(&self, n: usize, expected: &str) -> Fail {
        let got = if self.is_none(n) {
            "no value"
        } else {
            type_name(self.get(n))
        };
        self.arg_error(n, format!("{expected} expected, got {got}"))
    }

    /// `lua_tonumber` and `lua_isnumber`: numbers, and strings Lua converts to numbers.
    pub(crate) fn to_number(&self, n: usize) -> Outcome<Option<f64>> {
        Ok(match self.get(n) {
            Value::String(s) => self.lua.coerce_number(Value::String(s.clone()))?,
            v => as_number(v),
        })
    }

    pub(crate) fn check_number(&self, n: usize) -> Outcome<f64> {
        self.to_number(n)?
            .ok_or_else(|| self.type_error(n, "number"))
    }

    /// `luaL_checkinteger`: the number truncated as Lua 5.1 does (a C cast).
    pub(crate) fn check_integer(&self, n: usize) -> Outcome<i64> {
        self.check_number(n).map(c_double_to_i64)
    }

    pub(crate) fn opt_integer(&self, n: usize, default: i64) -> Outcome<i64> {
        if self.is_none_or_nil(n) {
            Ok(default)
        } else {
            self.check_integer(n)
        }
    }

    /// `luaL_checklstring`: strings, and numbers as Lua formats them (`%.14g`).
    pub(crate) fn check_bytes(&self, n: usize) -> Outcome<Vec<u8>> {
        match self.get(n) {
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            v => match as_number(v) {
                Some(x) => Ok(number::format_g(x, 14).into_bytes()),
                None => Err(self.type_error(n, "string")),
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use mlua::Lua;

    /// Renders what a chunk returns, or the message of the error it raises, as one string;
    /// the same text is run through Redis's EVAL to get the answers the tests expect.
    const RENDER: &str = r#"local function show(v, depth)
  if type(v) == 'string' then
    return (v:gsub('[^\32-\126]', function(c) return string.format('\\x%02x', c:byte()) end))
  elseif type(v) == 'table' and depth < 4 then
    local n, parts, keys = #v, {}, {}
    for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1) end
    for k in pairs(v) do
      if not (type(k) == 'number' and k >= 1 and k <= n and k % 1 == 0) then keys[#keys + 1] = k end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do parts[#parts + 1] = show(k, depth + 1) .. '=' .. show(v[k], depth + 1) end
    return '{' .. table.concat(parts, ',') .. '}'
  elseif type(v) == 'table' then
    return 'table'
  elseif type(v) == 'userdata' and tostring(v) == 'userdata: (nil)' then
    return 'cjson.null'
  end
  return tostring(v)
end
local function pack(...) return {n = select('#', ...), ...} end
local r = pack(pcall(function(...) CHUNK end))
if not r[1] then return 'ERR ' .. show(r[2], 0) end
local out = {}
for i = 2, r.n do out[#out + 1] = show(r[i], 0) end
return table.concat(out, ', ')
"#;

    /// A plain Lua state with every library opened.
    pub(crate) fn lua() -> Lua {
        let lua = Lua::new();
        if let Err(e) = super::open_all(&lua) {
            panic!("opening the libraries failed: {e}");
        }
        lua
    }

    pub(crate) fn run(lua: &Lua, chunk: &str) -> String {
        let source = RENDER.replace("CHUNK", chunk);
        match lua
            .load(source)
            .set_name("@user_script")
            .eval::<mlua::String>()
        {
            Ok(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Err(e) => format!("SCRIPTERR {e}"),
        }
    }

    /// Runs every `(chunk, Redis's answer)` case and reports all mismatches at once.
    pub(crate) fn check(cases: &[(&str, &str)]) {
        let lua = lua();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(chunk, want)| {
                let got = run(&lua, chunk);
                (got != *want).then(|| format!("{chunk}\n   redis: {want}\n    ours: {got}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
