use mlua::Lua;
pub fn open(_lua: &Lua) -> mlua::Result<()> {
    Ok(())
}
