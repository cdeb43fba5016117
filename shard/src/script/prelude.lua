-- Redis 7.0's script environment, built once per VM on top of Lua's base, table, string and
-- math libraries and the libraries of libs/. `rt` holds the Rust side (rt.call and rt.acl serve
-- the run in progress); `handler` is the error handler that adds the script position.
--
-- Redis 7.0 makes every table reachable from the globals read-only with a patch of Lua's
-- internals. Stock Lua has no such thing, so each of those tables is replaced by an empty proxy
-- whose metatable reads through to it and refuses writes; rawset, setmetatable, rawget, next
-- and pairs see through the proxies. Scripts run with the proxy of the globals as environment.
--
-- Every function given to scripts is wrapped by rt.c in a C function that calls it: a script's
-- tail call (`return redis.call(...)`) then keeps the script's frame, whose line the error
-- handler reports, as it does for Redis's C functions. So `error(msg, 3)` here blames the
-- script: level 1 is the Lua function, level 2 the C wrapper.
local rt, handler = ...
local c = rt.c

local G = _G
local error, type, select, tostring, tonumber, unpack = error, type, select, tostring, tonumber, unpack
local rawset, rawget, setmetatable, next = rawset, rawget, setmetatable, next
local pcall, xpcall, setfenv = pcall, xpcall, setfenv
local loadstring, load = loadstring, load
local resume = coroutine.resume
local floor, ceil = math.floor, math.ceil
local format = string.format

local stopping = rt.stopping

-- C's (int) cast of lua_tonumber(): 0 for what is not a number.
local function to_int(v)
  local n = tonumber(v)
  if n == nil then return 0 end
  if n ~= n then return -2147483648 end
  if n >= 0 then return floor(n) end
  return ceil(n)
end

-- Redis's luaPushError + lua_error: errors of the redis library are tables.
local function raise(msg)
  error({err = msg})
end

local redis = {}

-- Numbers become arguments as C's "%.17g" prints them; Lua's own format is C's.
local function command_args(...)
  local args, n = {...}, select('#', ...)
  for i = 1, n do
    if type(args[i]) == 'number' then args[i] = format('%.17g', args[i]) end
  end
  return unpack(args, 1, n)
end

-- rt.call formats numbers itself, but the Rust side reads numbers close to 0 (-0 included) as
-- 0; for those it answers nil without running the command, and they are formatted here.
local call = rt.call

function redis.call(...)
  local ok, v = call(...)
  if ok == nil then ok, v = call(command_args(...)) end
  if not ok then error(v) end
  return v
end

function redis.pcall(...)
  local ok, v = call(...)
  if ok == nil then ok, v = call(command_args(...)) end
  if not ok and stopping() then error(v) end
  return v
end

function redis.acl_check_cmd(...)
  local ok, v = rt.acl(command_args(...))
  if not ok then error(v) end
  return v
end

function redis.sha1hex(...)
  if select('#', ...) ~= 1 then raise('ERR wrong number of arguments') end
  local s = ...
  if type(s) == 'number' then
    s = tostring(s)
  elseif type(s) ~= 'string' then
    s = ''
  end
  return rt.sha1hex(s)
end

function redis.error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return {err = rt.errtext(e)}
end

function redis.status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = s}
end

function redis.log(...)
  if select('#', ...) < 2 then raise('ERR redis.log() requires two arguments or more.') end
  local level = ...
  if tonumber(level) == nil then raise('ERR First argument must be a number (log level).') end
  level = to_int(level)
  if level < 0 or level > 3 then raise('ERR Invalid debug level.') end
end

function redis.setresp(...)
  if select('#', ...) ~= 1 then raise('ERR redis.setresp() requires one argument.') end
  local resp = to_int((...))
  if resp ~= 2 and resp ~= 3 then raise('ERR RESP version must be 2 or 3.') end
  rt.setresp(resp)
end

function redis.set_repl(...)
  if select('#', ...) ~= 1 then raise('ERR redis.set_repl() requires two arguments.') end
  local flags = to_int((...))
  if flags < 0 or flags > 3 then
    raise('ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.')
  end
end

function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end

for name, f in next, redis do
  if type(f) == 'function' then redis[name] = c(f) end
end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = rt.version
redis.REDIS_VERSION_NUM = rt.version_num

G.redis = redis

-- luaL_argerror for the C wrapper `up` levels above the caller of argerror: the function is
-- named as the script named it, and the script's position prefixes the message.
local function argerror(n, msg, up)
  local name = rt.fname(up + 1) or '?'
  error(format("bad argument #%d to '%s' (%s)", n, name, msg), up + 2)
end

-- luaL_checkint as math.random and math.randomseed use it.
local function checkint(n, present, v)
  local x = tonumber(v)
  if x == nil then
    argerror(n, 'number expected, got ' .. (present and type(v) or 'no value'), 3)
  end
  return to_int(x)
end

math.random = c(function(...)
  local argc = select('#', ...)
  local r = rt.rand()
  if argc == 0 then return r end
  if argc == 1 then
    local u = checkint(1, true, (...))
    if u < 1 then argerror(1, 'interval is empty', 2) end
    return floor(r * u) + 1
  end
  if argc == 2 then
    local l = checkint(1, true, (...))
    local u = checkint(2, true, select(2, ...))
    if l > u then argerror(2, 'interval is empty', 2) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 3)
end)

math.randomseed = c(function(...)
  rt.srand(checkint(1, select('#', ...) > 0, (...)))
end)

-- What Redis 7.0 leaves out of the globals.
for _, name in ipairs({'print', 'dofile', 'loadfile', 'getfenv', 'setfenv', 'newproxy',
                       'module', 'require', 'package', 'io', 'os', 'debug'}) do
  G[name] = nil
end

local READONLY = 'Attempt to modify a readonly table'
local function deny()
  error(READONLY, 2)
end

-- proxy -> the table it stands for
local real = setmetatable({}, {__mode = 'k'})

local function proxy(t)
  local p = setmetatable({}, {__index = t, __newindex = deny, __metatable = false})
  real[p] = t
  return p
end

local function protect(t, seen)
  if seen[t] then return seen[t] end
  local p = proxy(t)
  seen[t] = p
  for k, v in next, t do
    if type(v) == 'table' then rawset(t, k, protect(v, seen)) end
  end
  return p
end

local env = proxy(G)
local seen = {[G] = env}

G.pcall = c(function(...)
  return (function(ok, ...)
    if ok then return true, ... end
    local e = ...
    if stopping() then error(e, 0) end
    if type(e) == 'table' then
      local msg = e.err
      if type(msg) == 'string' or type(msg) == 'number' then e = msg end
    end
    return false, e
  end)(pcall(...))
end)

-- Neither xpcall nor a coroutine may swallow the error that stops a killed or abandoned run.
local function unless_stopping(ok, ...)
  if not ok and stopping() then error((...), 0) end
  return ok, ...
end

G.xpcall = c(function(f, h)
  return unless_stopping(xpcall(f, h))
end)

coroutine.resume = c(function(...)
  return unless_stopping(resume(...))
end)

G.rawset = c(function(t, k, v)
  if real[t] then error(READONLY, 0) end
  return rawset(t, k, v)
end)

G.setmetatable = c(function(t, mt)
  if real[t] then error(READONLY, 0) end
  return setmetatable(t, mt)
end)

G.rawget = c(function(t, k)
  return rawget(real[t] or t, k)
end)

G.next = c(function(t, k)
  return next(real[t] or t, k)
end)

G.pairs = c(function(t)
  return G.next, t, nil
end)

-- Chunks loaded by a script get the script's environment, as they get Redis's globals.
G.loadstring = c(function(...)
  local f, e = loadstring(...)
  if f then setfenv(f, env) end
  return f, e
end)

G.load = c(function(...)
  local f, e = load(...)
  if f then setfenv(f, env) end
  return f, e
end)

G.__redis__err__handler = handler

for k, v in next, G do
  if type(v) == 'table' and v ~= G then rawset(G, k, protect(v, seen)) end
end
rawset(G, '_G', env)
-- Methods on strings ("x"):rep(2) read the string library through its proxy too.
getmetatable('').__index = G.string

setmetatable(G, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})

-- Function libraries (FUNCTION LOAD). A library's code runs with only the library API as its
-- globals; the functions it registers keep that environment, which once the library is loaded
-- reads the scripts' globals instead, as Redis swaps what its globals read through. KEYS and
-- ARGV stay out of sight: functions get their keys and arguments as parameters.
local registering = nil
local FLAG_BITS = {['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true,
                   ['no-cluster'] = true, ['allow-cross-slot-keys'] = true}

local function add_function(name, callback, flags, description)
  if not name:match('^[A-Za-z0-9_]+$') then
    raise('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  for _, f in ipairs(registering) do
    if f.name == name then raise('ERR Function already exists in the library') end
  end
  registering[#registering + 1] = {name = name, callback = callback, flags = flags,
                                   description = description}
end

local function register_function(...)
  local n = select('#', ...)
  if n == 2 then
    local name, callback = ...
    if type(name) ~= 'string' and type(name) ~= 'number' then
      raise('ERR first argument to redis.register_function must be a string')
    end
    if type(callback) ~= 'function' then
      raise('ERR second argument to redis.register_function must be a function')
    end
    return add_function(tostring(name), callback, {}, nil)
  end
  if n ~= 1 then raise('ERR wrong number of arguments to redis.register_function') end
  local args = ...
  if type(args) ~= 'table' then
    raise('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
  end
  local name, callback, flags, description = nil, nil, {}, nil
  for k, v in next, args do
    if k == 'function_name' then
      if type(v) ~= 'string' and type(v) ~= 'number' then
        raise('ERR function_name argument given to redis.register_function must be a string')
      end
      name = tostring(v)
    elseif k == 'callback' then
      if type(v) ~= 'function' then
        raise('ERR callback argument given to redis.register_function must be a function')
      end
      callback = v
    elseif k == 'flags' then
      if type(v) ~= 'table' then
        raise('ERR flags argument to redis.register_function must be a table representing function flags')
      end
      for _, flag in next, v do
        if type(flag) ~= 'string' or not FLAG_BITS[flag] then raise('ERR unknown flag given') end
        flags[#flags + 1] = flag
      end
    elseif k == 'description' then
      if type(v) ~= 'string' and type(v) ~= 'number' then
        raise('ERR description argument given to redis.register_function must be a string')
      end
      description = tostring(v)
    else
      raise('ERR unknown argument given to redis.register_function')
    end
  end
  if name == nil then raise('ERR redis.register_function must get a function name argument') end
  if callback == nil then raise('ERR redis.register_function must get a callback argument') end
  return add_function(name, callback, flags, description)
end

local api_redis = {
  register_function = c(register_function),
  log = redis.log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE,
  LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
local api = {redis = setmetatable({}, {
  __index = function(_, k)
    local v = api_redis[k]
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = deny, __metatable = false})}

local fenv = setmetatable({}, {
  __index = function(_, k)
    local v
    if registering then
      v = api[k]
    elseif k ~= 'KEYS' and k ~= 'ARGV' then
      v = rawget(G, k)
    end
    if v == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = deny, __metatable = false})

-- Runs a library's code: true and the functions it registered, or false and the error.
local function load_library(chunk)
  registering = {}
  local ok, err = xpcall(chunk, handler)
  local registered = registering
  registering = nil
  if not ok then return false, err end
  return true, registered
end

return env, fenv, load_library
