//! Function libraries (FUNCTION LOAD ... FCALL): the registry every thread shares, the
//! library header, and the DUMP/RESTORE payload.
//!
//! The registry only stores what a library is (its code and the functions it registered);
//! running the code belongs to each thread's VM, which loads a library the first time one of
//! its functions is called there, and again when a newer version replaces it.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use ferrokv_protocol::Reply;

use super::ScriptFlags;
use crate::glob;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Bytes>,
    pub flags: ScriptFlags,
}

impl FunctionInfo {
    pub fn no_writes(&self) -> bool {
        self.flags.no_writes
    }
}

#[derive(Debug)]
pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: Vec<FunctionInfo>,
    /// Distinguishes a library from an earlier one of the same name, so that a VM holding the
    /// old one knows to load the new.
    pub version: u64,
}

#[derive(Default)]
pub struct FunctionRegistry {
    /// In load order (FUNCTION LIST and DUMP list them so).
    libraries: Vec<Arc<Library>>,
    next_version: u64,
}

/// Where FUNCTION RESTORE puts the libraries of a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    Flush,
    Append,
    Replace,
}

const RDB_OPCODE_FUNCTION2: u8 = 245;
/// The RDB version Redis 7.0 writes in its DUMP payloads.
const RDB_VERSION: u16 = 10;

fn err(msg: impl Into<String>) -> Reply {
    Reply::error(format!("ERR {}", msg.into()))
}

/// Redis's rule for library and function names.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The `#!<engine> name=<name>` first line of a library: returns the library's name.
pub fn parse_header(code: &[u8]) -> Result<String, Reply> {
    let Some(rest) = code.strip_prefix(b"#!") else {
        return Err(err("Missing library metadata"));
    };
    let Some(end) = rest.iter().position(|&c| c == b'\n') else {
        return Err(err("Invalid library metadata"));
    };
    let mut parts = rest[..end].split(|&c| c == b' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    let mut name = None;
    for part in parts {
        match part.strip_prefix(b"name=") {
            Some(_) if name.is_some() => {
                return Err(err(
                    "Invalid metadata value, name argument was given multiple times",
                ))
            }
            Some(n) => name = Some(n),
            None => {
                return Err(err(format!(
                    "Invalid metadata value given: {}",
                    String::from_utf8_lossy(part)
                )))
            }
        }
    }
    if !engine.eq_ignore_ascii_case(b"lua") {
        return Err(err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(engine)
        )));
    }
    let Some(name) = name else {
        return Err(err("Library name was not given"));
    };
    if !valid_name(name) {
        return Err(err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
    }
    Ok(String::from_utf8_lossy(name).into_owned())
}

impl FunctionRegistry {
    pub fn libraries(&self) -> &[Arc<Library>] {
        &self.libraries
    }

    /// The library holding function `name` (function names ignore case, as in Redis).
    pub fn function(&self, name: &[u8]) -> Option<(Arc<Library>, usize)> {
        self.libraries.iter().find_map(|lib| {
            lib.functions
                .iter()
                .position(|f| f.name.as_bytes().eq_ignore_ascii_case(name))
                .map(|i| (lib.clone(), i))
        })
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.libraries.iter().position(|l| l.name == name)
    }

    /// Stamps a library just loaded by a VM with a version of its own.
    pub fn stamp(&mut self, name: String, code: Bytes, functions: Vec<FunctionInfo>) -> Library {
        self.next_version += 1;
        Library {
            name,
            code,
            functions,
            version: self.next_version,
        }
    }

    /// FUNCTION LOAD: adds `lib`; with `replace` an existing library of its name goes.
    pub fn load(&mut self, lib: Library, replace: bool) -> Result<(), Reply> {
        if !replace && self.position(&lib.name).is_some() {
            return Err(err(format!("Library '{}' already exists", lib.name)));
        }
        self.join(vec![lib], true)
    }

    /// Adds libraries all at once or none: a library of an existing name replaces it when
    /// `replace`, else fails; a function name already owned by another library fails.
    fn join(&mut self, libs: Vec<Library>, replace: bool) -> Result<(), Reply> {
        let mut kept: Vec<Arc<Library>> = self.libraries.clone();
        for lib in &libs {
            if let Some(i) = kept.iter().position(|l| l.name == lib.name) {
                if !replace {
                    return Err(err(format!("Library {} already exists", lib.name)));
                }
                kept.remove(i);
            }
        }
        for lib in &libs {
            for f in &lib.functions {
                let taken = kept
                    .iter()
                    .flat_map(|l| l.functions.iter())
                    .any(|g| g.name.eq_ignore_ascii_case(&f.name));
                if taken {
                    return Err(err(format!("Function {} already exists", f.name)));
                }
            }
        }
        kept.extend(libs.into_iter().map(Arc::new));
        self.libraries = kept;
        Ok(())
    }

    pub fn delete(&mut self, name: &[u8]) -> Result<(), Reply> {
        let i = self
            .libraries
            .iter()
            .position(|l| l.name.as_bytes() == name)
            .ok_or_else(|| err("Library not found"))?;
        self.libraries.remove(i);
        Ok(())
    }

    pub fn flush(&mut self) {
        self.libraries.clear();
    }

    pub fn function_count(&self) -> usize {
        self.libraries.iter().map(|l| l.functions.len()).sum()
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    pub fn list(&self, args: &[Bytes]) -> Reply {
        let mut pattern: Option<&[u8]> = None;
        let mut with_code = false;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if a.eq_ignore_ascii_case(b"WITHCODE") && !with_code {
                with_code = true;
            } else if a.eq_ignore_ascii_case(b"LIBRARYNAME") && pattern.is_none() {
                i += 1;
                match args.get(i) {
                    Some(p) => pattern = Some(p),
                    None => return err("library name argument was not given"),
                }
            } else {
                return err(format!("Unknown argument {}", String::from_utf8_lossy(a)));
            }
            i += 1;
        }
        let bulk = |s: &str| Reply::bulk(Bytes::copy_from_slice(s.as_bytes()));
        let libs = self
            .libraries
            .iter()
            .filter(|l| pattern.is_none_or(|p| glob::matches(p, l.name.as_bytes(), true)))
            .map(|l| {
                let functions = l
                    .functions
                    .iter()
                    .map(|f| {
                        Reply::Map(vec![
                            (bulk("name"), bulk(&f.name)),
                            (
                                bulk("description"),
                                f.description.clone().map_or(Reply::Null, Reply::Bulk),
                            ),
                            (
                                bulk("flags"),
                                Reply::Set(
                                    f.flags.names().into_iter().map(Reply::simple).collect(),
                                ),
                            ),
                        ])
                    })
                    .collect();
                let mut fields = vec![
                    (bulk("library_name"), bulk(&l.name)),
                    (bulk("engine"), bulk("LUA")),
                    (bulk("functions"), Reply::Array(functions)),
                ];
                if with_code {
                    fields.push((bulk("library_code"), Reply::Bulk(l.code.clone())));
                }
                Reply::Map(fields)
            })
            .collect();
        Reply::Array(libs)
    }

    /// FUNCTION DUMP: every library's code as Redis's payload (RDB function opcodes, the RDB
    /// version and a CRC64), so payloads move between ferrokv and Redis both ways.
    pub fn dump(&self) -> Bytes {
        let mut out = BytesMut::new();
        for lib in &self.libraries {
            out.put_u8(RDB_OPCODE_FUNCTION2);
            put_rdb_len(&mut out, lib.code.len() as u64);
            out.extend_from_slice(&lib.code);
        }
        out.put_u16_le(RDB_VERSION);
        let crc = crc64(0, &out);
        out.put_u64_le(crc);
        out.freeze()
    }

    /// FUNCTION RESTORE: `load` turns each library's code into a `Library` (a VM runs it).
    pub fn restore(
        &mut self,
        payload: &[u8],
        policy: RestorePolicy,
        mut load: impl FnMut(&mut Self, Bytes) -> Result<Library, Reply>,
    ) -> Result<(), Reply> {
        let codes = parse_payload(payload)?;
        let mut libs = Vec::with_capacity(codes.len());
        for code in codes {
            let lib = load(self, code)?;
            if libs.iter().any(|l: &Library| l.name == lib.name) {
                return Err(err(format!("Library {} already exists", lib.name)));
            }
            libs.push(lib);
        }
        match policy {
            RestorePolicy::Flush => {
                let old = std::mem::take(&mut self.libraries);
                let result = self.join(libs, false);
                if result.is_err() {
                    self.libraries = old;
                }
                result
            }
            RestorePolicy::Append => self.join(libs, false),
            RestorePolicy::Replace => self.join(libs, true),
        }
    }
}

fn bad_payload() -> Reply {
    err("DUMP payload version or checksum are wrong")
}

/// The library codes of a DUMP payload, after checking its version and checksum.
fn parse_payload(payload: &[u8]) -> Result<Vec<Bytes>, Reply> {
    let body_len = payload.len().checked_sub(10).ok_or_else(bad_payload)?;
    let version = u16::from_le_bytes([payload[body_len], payload[body_len + 1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[body_len + 2..]);
    if version > RDB_VERSION || u64::from_le_bytes(crc) != crc64(0, &payload[..body_len + 2]) {
        return Err(bad_payload());
    }
    let mut codes = Vec::new();
    let mut r = Reader {
        data: &payload[..body_len],
        pos: 0,
    };
    while !r.done() {
        if r.byte()? != RDB_OPCODE_FUNCTION2 {
            return Err(err("given type is not a function"));
        }
        codes.push(Bytes::from(r.string()?));
    }
    Ok(codes)
}

fn put_rdb_len(out: &mut BytesMut, len: u64) {
    if len < 1 << 6 {
        out.put_u8(len as u8);
    } else if len < 1 << 14 {
        out.put_u16((0x40 << 8) | len as u16);
    } else if len <= u32::MAX as u64 {
        out.put_u8(0x80);
        out.put_u32(len as u32);
    } else {
        out.put_u8(0x81);
        out.put_u64(len);
    }
}

/// Reads RDB-encoded strings (plain, integer-encoded or LZF-compressed).
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

fn truncated() -> Reply {
    err("payload is truncated or corrupt")
}

impl Reader<'_> {
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> Result<u8, Reply> {
        let b = *self.data.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Reply> {
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let s = self.data.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(s)
    }

    /// A length, or `Err(Ok(kind))` for the special encodings (11xxxxxx).
    fn len(&mut self) -> Result<Result<u64, u8>, Reply> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Ok((first & 0x3f) as u64),
            1 => Ok((((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 if first == 0x80 => {
                let b = self.take(4)?;
                Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as u64)
            }
            2 if first == 0x81 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(self.take(8)?);
                Ok(u64::from_be_bytes(b))
            }
            2 => return Err(truncated()),
            _ => Err(first & 0x3f),
        })
    }

    fn plain_len(&mut self) -> Result<usize, Reply> {
        match self.len()? {
            Ok(n) => usize::try_from(n).map_err(|_| truncated()),
            Err(_) => Err(truncated()),
        }
    }

    fn string(&mut self) -> Result<Vec<u8>, Reply> {
        match self.len()? {
            Ok(n) => {
                let n = usize::try_from(n).map_err(|_| truncated())?;
                Ok(self.take(n)?.to_vec())
            }
            Err(0) => Ok((self.byte()? as i8).to_string().into_bytes()),
            Err(1) => {
                let b = self.take(2)?;
                Ok(i16::from_le_bytes([b[0], b[1]]).to_string().into_bytes())
            }
            Err(2) => {
                let b = self.take(4)?;
                Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    .to_string()
                    .into_bytes())
            }
            Err(3) => {
                let compressed = self.plain_len()?;
                let len = self.plain_len()?;
                let input = self.take(compressed)?;
                lzf_decompress(input, len).ok_or_else(truncated)
            }
            Err(_) => Err(truncated()),
        }
    }
}

/// LZF decompression (the format of liblzf, which Redis uses for long RDB strings).
fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(len.min(input.len().saturating_mul(256)));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            let run = input.get(i..i + ctrl + 1)?;
            out.extend_from_slice(run);
            i += ctrl + 1;
        } else {
            let mut n = ctrl >> 5;
            if n == 7 {
                n += *input.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *input.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..n + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

/// CRC-64/Jones, reflected, as Redis checksums its RDB and DUMP payloads.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u64; 256];
        for (n, slot) in t.iter_mut().enumerate() {
            let mut c = n as u64;
            for _ in 0..8 {
                c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    for &b in data {
        crc = table[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn lib(reg: &mut FunctionRegistry, name: &str, functions: &[&str]) -> Library {
        let code = Bytes::from(format!("#!lua name={name}\n"));
        let functions = functions
            .iter()
            .map(|f| FunctionInfo {
                name: f.to_string(),
                description: None,
                flags: ScriptFlags::default(),
            })
            .collect();
        reg.stamp(name.to_string(), code, functions)
    }

    #[test]
    fn crc64_is_redis_jones() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn an_empty_dump_matches_redis() {
        // FUNCTION DUMP of redis-server 7.0.15 with no library.
        assert_eq!(
            FunctionRegistry::default().dump()[..],
            b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda"[..]
        );
    }

    #[test]
    fn a_redis_payload_with_lzf_strings_parses() {
        // FUNCTION DUMP of redis-server 7.0.15 holding libraries `b` (long, LZF) and `a`.
        let payload = unhex("f5c3409640ae1f23216c7561206e616d653d620a72656469732e72656769737465725f66756e630474696f6e7bc008005f60270e276662272c2063616c6c6261636b3dc01c1828292072657475726e203120656e642c20666c6167733d7b2720281c6f772d63726f73732d736c6f742d6b657973272c276e6f2d7772697465400b8023026f6f6d801702636c754081200c8018077374616c65277d7df5404323216c7561206e616d653d610a72656469732e72656769737465725f66756e6374696f6e28276661272c2066756e6374696f6e28292072657475726e203120656e64290a008a5a437d6d26531c");
        let codes = parse_payload(&payload).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(&codes[0][..], &b"#!lua name=b\nredis.register_function{function_name='fb', callback=function() return 1 end, flags={'allow-cross-slot-keys','no-writes','allow-oom','no-cluster','allow-stale'}}"[..]);
        assert_eq!(
            &codes[1][..],
            &b"#!lua name=a\nredis.register_function('fa', function() return 1 end)"[..]
        );
        let mut bad = payload.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            parse_payload(&bad),
            Err(Reply::error(
                "ERR DUMP payload version or checksum are wrong"
            ))
        );
        assert_eq!(parse_payload(b"garbage"), Err(bad_payload()));
    }

    #[test]
    fn dump_round_trips_through_restore() {
        let mut reg = FunctionRegistry::default();
        let long = lib(&mut reg, &"x".repeat(70), &["f1"]);
        reg.load(long, false).unwrap();
        let short = lib(&mut reg, "b", &["f2"]);
        reg.load(short, false).unwrap();
        let payload = reg.dump();
        let codes = parse_payload(&payload).unwrap();
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[1], Bytes::from_static(b"#!lua name=b\n"));
        assert_eq!(codes[0].len(), "#!lua name=\n".len() + 70);
    }

    #[test]
    fn headers_are_checked_as_redis_does() {
        let e = |s: &str| Err(Reply::error(format!("ERR {s}")));
        assert_eq!(parse_header(b"return 1"), e("Missing library metadata"));
        assert_eq!(parse_header(b"#!lua\nx"), e("Library name was not given"));
        assert_eq!(
            parse_header(b"#!lua name=x foo=bar\n"),
            e("Invalid metadata value given: foo=bar")
        );
        assert_eq!(parse_header(b"#!py name=x\n"), e("Engine 'py' not found"));
        assert_eq!(parse_header(b"#!lua name=f"), e("Invalid library metadata"));
        assert_eq!(
            parse_header(b"#!lua name=e name=f\n"),
            e("Invalid metadata value, name argument was given multiple times")
        );
        assert_eq!(parse_header(b"#!lua name=x-y\n"), e("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
        assert_eq!(parse_header(b"#!LUA  name=e \n"), Ok("e".to_string()));
    }

    #[test]
    fn libraries_and_functions_collide_as_in_redis() {
        let mut reg = FunctionRegistry::default();
        let a = lib(&mut reg, "mylib", &["myfunc"]);
        reg.load(a, false).unwrap();
        let again = lib(&mut reg, "mylib", &["myfunc"]);
        assert_eq!(
            reg.load(again, false),
            Err(Reply::error("ERR Library 'mylib' already exists"))
        );
        let other = lib(&mut reg, "other", &["MyFunc"]);
        assert_eq!(
            reg.load(other, false),
            Err(Reply::error("ERR Function MyFunc already exists"))
        );
        let newer = lib(&mut reg, "mylib", &["myfunc", "g"]);
        let version = newer.version;
        reg.load(newer, true).unwrap();
        let (found, i) = reg.function(b"MYFUNC").unwrap();
        assert_eq!((found.version, i), (version, 0));
        assert_eq!(reg.function_count(), 2);
        assert_eq!(reg.delete(b"nosuch"), Err(err("Library not found")));
        reg.delete(b"mylib").unwrap();
        assert!(reg.function(b"g").is_none());
    }

    #[test]
    fn restore_policies() {
        let mut reg = FunctionRegistry::default();
        let a = lib(&mut reg, "a", &["fa"]);
        reg.load(a, false).unwrap();
        let payload = reg.dump();
        let load = |r: &mut FunctionRegistry, code: Bytes| {
            let name = parse_header(&code)?;
            Ok(r.stamp(
                name,
                code,
                vec![FunctionInfo {
                    name: "fa".into(),
                    description: None,
                    flags: ScriptFlags::default(),
                }],
            ))
        };
        assert_eq!(
            reg.restore(&payload, RestorePolicy::Append, load),
            Err(Reply::error("ERR Library a already exists"))
        );
        reg.restore(&payload, RestorePolicy::Replace, load).unwrap();
        reg.restore(&payload, RestorePolicy::Flush, load).unwrap();
        assert_eq!(reg.libraries().len(), 1);
    }
}
