//! Hashes: the structure and its commands (Redis's t_hash.c).
//!
//! A small hash is one listpack of alternating fields and values in insertion order, as Redis
//! keeps it, so HGETALL, HKEYS, HVALS and HSCAN answer in the order Redis does. Once it holds
//! more than `hash-max-listpack-entries` fields, or is given a field or value longer than
//! `hash-max-listpack-value`, it becomes a `DenseMap` (O(1) field access) and stays one, as in
//! Redis, which never converts back.

use bytes::Bytes;
use ferrokv_protocol::Reply;
use rand::rngs::SmallRng;
use rand::Rng;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::dense_map::DenseMap;
use crate::error::{CmdError, CmdResult};
use crate::glob;
use crate::inline_bytes::InlineBytes;
use crate::keys;
use crate::limits::{self, EncodingLimits};
use crate::listpack::Listpack;
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;
use crate::string::add_long_double;
use crate::string::longdouble::LongDouble;
use crate::value::{parse_canonical_i64, Collection};

const ACL_READ_FAST: &[&str] = &["read", "hash", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "hash", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "hash", "fast"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("hset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Set the string value of a hash field", "2.0.0", Some(hset), Split::None),
    spec("hsetnx", 4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Set the value of a hash field, only if the field does not exist", "2.0.0", Some(hsetnx), Split::None),
    spec("hget", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "hash", "Get the value of a hash field", "2.0.0", Some(hget), Split::None),
    spec("hmset", -4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Set multiple hash fields to multiple values", "2.0.0", Some(hmset), Split::None),
    spec("hmget", -3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "hash", "Get the values of all the given hash fields", "2.0.0", Some(hmget), Split::None),
    spec("hgetall", 2, READONLY, (1, 1, 1), ACL_READ_SLOW, "hash", "Get all the fields and values in a hash", "2.0.0", Some(hgetall), Split::None),
    spec("hdel", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Delete one or more hash fields", "2.0.0", Some(hdel), Split::None),
    spec("hexists", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "hash", "Determine if a hash field exists", "2.0.0", Some(hexists), Split::None),
    spec("hlen", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "hash", "Get the number of fields in a hash", "2.0.0", Some(hlen), Split::None),
    spec("hstrlen", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "hash", "Get the length of the value of a hash field", "3.2.0", Some(hstrlen), Split::None),
    spec("hkeys", 2, READONLY, (1, 1, 1), ACL_READ_SLOW, "hash", "Get all the fields in a hash", "2.0.0", Some(hkeys), Split::None),
    spec("hvals", 2, READONLY, (1, 1, 1), ACL_READ_SLOW, "hash", "Get all the values in a hash", "2.0.0", Some(hvals), Split::None),
    spec("hincrby", 4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Increment the integer value of a hash field by the given number", "2.0.0", Some(hincrby), Split::None),
    spec("hincrbyfloat", 4, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "hash", "Increment the float value of a hash field by the given amount", "2.6.0", Some(hincrbyfloat), Split::None),
    spec("hrandfield", -2, READONLY, (1, 1, 1), ACL_READ_SLOW, "hash", "Get one or multiple random fields from a hash", "6.2.0", Some(hrandfield), Split::None),
    spec("hscan", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, "hash", "Incrementally iterate hash fields and associated values", "2.8.0", Some(hscan), Split::None),
];

/// Redis's `LISTPACK_MAX_SAFETY_SIZE`: a hash whose listpack would grow past 1GB converts.
const LISTPACK_SAFETY_SIZE: usize = 1 << 30;

/// Most elements one HRANDFIELD with a negative count may return. Redis streams any count
/// (up to LONG_MAX) into the client's buffer; ferrokv builds the reply first, so a count like
/// -9223372036854775807 would exhaust memory. Beyond this it answers Redis's out-of-range
/// error instead.
const MAX_RANDOM_PICKS: u64 = 1 << 22;

#[derive(Clone, Debug, PartialEq)]
pub struct Hash {
    enc: Encoding,
}

#[derive(Clone, Debug, PartialEq)]
enum Encoding {
    /// Field, value, field, value... in insertion order.
    Listpack(Listpack),
    Table(DenseMap<InlineBytes>),
}

impl Default for Hash {
    fn default() -> Self {
        Hash::new()
    }
}

/// A listpack's elements taken two at a time.
fn pairs(lp: &Listpack) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut items = lp.iter();
    std::iter::from_fn(move || Some((items.next()?, items.next()?)))
}

/// Which pair of the listpack holds `field`.
fn pair_index(lp: &Listpack, field: &[u8]) -> Option<usize> {
    pairs(lp).position(|(f, _)| f == field)
}

impl Hash {
    pub fn new() -> Hash {
        Hash {
            enc: Encoding::Listpack(Listpack::new()),
        }
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match &self.enc {
            Encoding::Listpack(lp) => pairs(lp).find(|(f, _)| *f == field).map(|(_, v)| v),
            Encoding::Table(map) => map.get(field).map(|v| &**v),
        }
    }

    /// A field's value as an owned string, for SORT's `BY`/`GET` `*->field` patterns.
    pub fn field(&self, field: &[u8]) -> Option<Bytes> {
        self.get(field).map(Bytes::copy_from_slice)
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        self.get(field).is_some()
    }

    /// Fields and values in the order HGETALL returns them.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let (lp, map) = match &self.enc {
            Encoding::Listpack(lp) => (Some(pairs(lp)), None),
            Encoding::Table(map) => (None, Some(map.iter().map(|(f, v)| (&**f, &**v)))),
        };
        lp.into_iter().flatten().chain(map.into_iter().flatten())
    }

    /// Redis's `hashTypeTryConversion`, before a command adds the fields and values `args`:
    /// converts when one of them is longer than a listpack may hold, or when they would take
    /// the listpack past its safety size.
    fn prepare_for(&mut self, args: &[Bytes], limits: &EncodingLimits) {
        let Encoding::Listpack(lp) = &self.enc else {
            return;
        };
        if args
            .iter()
            .any(|a| a.len() > limits.hash_max_listpack_value)
            || lp.heap_size() + args.iter().map(|a| a.len()).sum::<usize>() > LISTPACK_SAFETY_SIZE
        {
            self.convert();
        }
    }

    /// Redis's `hashTypeSet`: sets `field` to `value` and says whether the field is new. A
    /// listpack converts first if either is too long (HINCRBY and HINCRBYFLOAT reach here
    /// without `prepare_for`), and afterwards if it now holds too many fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: &EncodingLimits) -> bool {
        let max_len = limits.hash_max_listpack_value;
        if matches!(self.enc, Encoding::Listpack(_))
            && (field.len() > max_len || value.len() > max_len)
        {
            self.convert();
        }
        match &mut self.enc {
            Encoding::Listpack(lp) => {
                if let Some(i) = pair_index(lp, field) {
                    lp.replace(2 * i + 1, value);
                    return false;
                }
                lp.push(field);
                lp.push(value);
                if lp.len() / 2 > limits.hash_max_listpack_entries {
                    self.convert();
                }
                true
            }
            Encoding::Table(map) => map.insert(field, InlineBytes::new(value)).is_none(),
        }
    }

    /// Removes `field`; says whether it was there.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.enc {
            Encoding::Listpack(lp) => match pair_index(lp, field) {
                Some(i) => {
                    lp.remove(2 * i, 2);
                    true
                }
                None => false,
            },
            Encoding::Table(map) => map.remove(field).is_some(),
        }
    }

    fn convert(&mut self) {
        let Encoding::Listpack(lp) = &self.enc else {
            return;
        };
        let mut map = DenseMap::with_capacity(lp.len() / 2);
        for (f, v) in pairs(lp) {
            map.insert(f, InlineBytes::new(v));
        }
        self.enc = Encoding::Table(map);
    }

    /// Positional access for random picks.
    fn positions(&self) -> Positions<'_> {
        match &self.enc {
            Encoding::Listpack(lp) => Positions::Listpack(pairs(lp).collect()),
            Encoding::Table(map) => Positions::Table(map),
        }
    }

    /// One HSCAN step: visits the fields and values from `cursor`, about `count` of them, and
    /// returns the next cursor (0 when done). A listpack is returned whole with cursor 0,
    /// whatever the cursor, as Redis does.
    fn scan(&self, cursor: u64, count: usize, mut visit: impl FnMut(&[u8], &[u8])) -> u64 {
        match &self.enc {
            Encoding::Listpack(lp) => {
                pairs(lp).for_each(|(f, v)| visit(f, v));
                0
            }
            Encoding::Table(map) => map.scan(cursor, count, |f, v| visit(f, v)),
        }
    }
}

/// The pairs of a hash by position: a listpack is walked once into a vector, a table is
/// indexed in place.
enum Positions<'a> {
    Listpack(Vec<(&'a [u8], &'a [u8])>),
    Table(&'a DenseMap<InlineBytes>),
}

impl<'a> Positions<'a> {
    fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self {
            Positions::Listpack(v) => v.get(i).copied(),
            Positions::Table(map) => map.get_index(i).map(|(f, v)| (&**f, &**v)),
        }
    }
}

impl Collection for Hash {
    const TYPE_NAME: &'static str = "hash";

    fn len(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(lp) => lp.len() / 2,
            Encoding::Table(map) => map.len(),
        }
    }

    fn encoding(&self) -> &'static str {
        match &self.enc {
            Encoding::Listpack(_) => "listpack",
            Encoding::Table(_) => "hashtable",
        }
    }

    fn heap_size(&self) -> usize {
        match &self.enc {
            Encoding::Listpack(lp) => lp.heap_size(),
            Encoding::Table(map) => {
                map.table_bytes()
                    + map
                        .iter()
                        .map(|(f, v)| f.heap_size() + v.heap_size())
                        .sum::<usize>()
            }
        }
    }
}

fn bulk(b: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(b))
}

fn hset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    set_pairs(ctx, args, "hset").map(Reply::Int)
}

fn hmset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    set_pairs(ctx, args, "hmset").map(|_| Reply::ok())
}

/// HSET and HMSET: stores the field/value pairs after the key and counts the new fields.
fn set_pairs(ctx: &mut Ctx<'_>, args: &[Bytes], name: &str) -> Result<i64, CmdError> {
    // The name, the key, then pairs: an even count.
    if args.len() % 2 == 1 {
        return Err(CmdError::other(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    let limits = limits::get();
    let h = ctx.create_as::<Hash>(&args[1], Hash::new)?;
    h.prepare_for(&args[2..], &limits);
    let mut created = 0;
    for pair in args[2..].chunks_exact(2) {
        if h.set(&pair[0], &pair[1], &limits) {
            created += 1;
        }
    }
    notify(ctx, "hset", &args[1]);
    Ok(created)
}

/// Raises a hash event on `key`.
fn notify(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    ctx.notify(KeyspaceEvents::HASH, event, key);
}

fn hsetnx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let limits = limits::get();
    let h = ctx.create_as::<Hash>(&args[1], Hash::new)?;
    if h.contains(&args[2]) {
        return Ok(Reply::Int(0));
    }
    h.prepare_for(&args[2..4], &limits);
    h.set(&args[2], &args[3], &limits);
    notify(ctx, "hset", &args[1]);
    Ok(Reply::Int(1))
}

fn hget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let value = ctx.read_as::<Hash>(&args[1])?.and_then(|h| h.get(&args[2]));
    Ok(value.map_or(Reply::Null, bulk))
}

fn hmget(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let h = ctx.read_as::<Hash>(&args[1])?;
    let values = args[2..]
        .iter()
        .map(|f| h.as_ref().and_then(|h| h.get(f)).map_or(Reply::Null, bulk))
        .collect();
    Ok(Reply::Array(values))
}

fn hgetall(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let pairs = ctx.read_as::<Hash>(&args[1])?.map_or_else(Vec::new, |h| {
        h.iter().map(|(f, v)| (bulk(f), bulk(v))).collect()
    });
    Ok(Reply::Map(pairs))
}

fn hkeys(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let fields = ctx
        .read_as::<Hash>(&args[1])?
        .map_or_else(Vec::new, |h| h.iter().map(|(f, _)| bulk(f)).collect());
    Ok(Reply::Array(fields))
}

fn hvals(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let values = ctx
        .read_as::<Hash>(&args[1])?
        .map_or_else(Vec::new, |h| h.iter().map(|(_, v)| bulk(v)).collect());
    Ok(Reply::Array(values))
}

fn hdel(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(h) = ctx.write_as::<Hash>(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    let mut deleted = 0;
    for field in &args[2..] {
        if h.remove(field) {
            deleted += 1;
        }
    }
    if deleted > 0 {
        notify(ctx, "hdel", &args[1]);
        ctx.drop_if_empty(&args[1]);
    }
    Ok(Reply::Int(deleted))
}

fn hexists(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = ctx
        .read_as::<Hash>(&args[1])?
        .is_some_and(|h| h.contains(&args[2]));
    Ok(Reply::Int(found.into()))
}

fn hlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx.read_as::<Hash>(&args[1])?.map_or(0, |h| h.len());
    Ok(Reply::Int(len as i64))
}

fn hstrlen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx
        .read_as::<Hash>(&args[1])?
        .and_then(|h| h.get(&args[2]))
        .map_or(0, <[u8]>::len);
    Ok(Reply::Int(len as i64))
}

// HINCRBY and HINCRBYFLOAT create the hash before reading the field, as Redis does. A new hash
// has no such field, so their errors can only come from a hash that existed: none leaves an
// empty hash behind.

fn hincrby(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let incr = args::int(&args[3])?;
    let limits = limits::get();
    let h = ctx.create_as::<Hash>(&args[1], Hash::new)?;
    let current = match h.get(&args[2]) {
        Some(v) => parse_canonical_i64(v)
            .ok_or_else(|| CmdError::other("ERR hash value is not an integer"))?,
        None => 0,
    };
    let value = current.checked_add(incr).ok_or(CmdError::Overflow)?;
    h.set(&args[2], value.to_string().as_bytes(), &limits);
    notify(ctx, "hincrby", &args[1]);
    Ok(Reply::Int(value))
}

fn hincrbyfloat(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match LongDouble::parse(&args[3]) {
        None => return Err(CmdError::NotFloat),
        Some(LongDouble::Infinite { .. }) => {
            return Err(CmdError::other("ERR value is NaN or Infinity"))
        }
        Some(LongDouble::Finite { .. }) => {}
    }
    let limits = limits::get();
    let h = ctx.create_as::<Hash>(&args[1], Hash::new)?;
    let current = match h.get(&args[2]) {
        Some(v) => {
            LongDouble::parse(v).ok_or_else(|| CmdError::other("ERR hash value is not a float"))?
        }
        None => LongDouble::from_i64(0),
    };
    let text = add_long_double(current, &args[3])?;
    h.set(&args[2], text.as_bytes(), &limits);
    notify(ctx, "hincrbyfloat", &args[1]);
    // A bulk string in RESP3 too: Redis replies with the text it stored.
    Ok(Reply::Bulk(Bytes::from(text)))
}

fn hrandfield(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let key = &args[1];
    let Some(count) = args.get(2) else {
        return random_field(ctx, key);
    };
    let count = args::int(count)?;
    if count == i64::MIN {
        return Err(CmdError::other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    let with_values = match &args[3..] {
        [] => false,
        [opt] if args::is(opt, "WITHVALUES") => true,
        _ => return Err(CmdError::Syntax),
    };
    // Redis's bound, so that the count of replied elements (two per pick) cannot overflow.
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::other("ERR value is out of range"));
    }
    // The hash borrows the shard, so the generator is copied out and put back.
    let mut rng = ctx.shard.rng.clone();
    let Some(h) = ctx.read_as::<Hash>(key)? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let picks = random_positions(h.len(), count, &mut rng)?;
    let positions = h.positions();
    let picked = picks.iter().filter_map(|&i| positions.get(i));
    let reply = if with_values {
        Reply::Pairs(picked.map(|(f, v)| (bulk(f), bulk(v))).collect())
    } else {
        Reply::Array(picked.map(|(f, _)| bulk(f)).collect())
    };
    ctx.shard.rng = rng;
    Ok(reply)
}

/// HRANDFIELD without a count: one field, or nil.
fn random_field(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let mut rng = ctx.shard.rng.clone();
    let h = match ctx.read_as::<Hash>(key)? {
        Some(h) if !h.is_empty() => h,
        _ => return Ok(Reply::Null),
    };
    let i = rng.gen_range(0..h.len());
    let reply = h.positions().get(i).map_or(Reply::Null, |(f, _)| bulk(f));
    ctx.shard.rng = rng;
    Ok(reply)
}

/// The positions HRANDFIELD returns from a hash of `len` pairs: a negative count picks with
/// repetition, in random order; a positive one picks distinct pairs, in the hash's order (as
/// Redis does for a listpack), all of them when the count reaches the size.
fn random_positions(len: usize, count: i64, rng: &mut SmallRng) -> Result<Vec<usize>, CmdError> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if count < 0 {
        let n = count.unsigned_abs();
        if n > MAX_RANDOM_PICKS {
            return Err(CmdError::other("ERR value is out of range"));
        }
        return Ok((0..n).map(|_| rng.gen_range(0..len)).collect());
    }
    let n = usize::try_from(count).unwrap_or(usize::MAX);
    if n >= len {
        return Ok((0..len).collect());
    }
    let mut picks = rand::seq::index::sample(rng, len, n).into_vec();
    picks.sort_unstable();
    Ok(picks)
}

fn hscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = keys::scan_cursor(&args[2])?;
    // Redis reads the options only once it has found the hash.
    let Some(h) = ctx.read_as::<Hash>(&args[1])? else {
        return Ok(crate::keys::scan_reply(0, Vec::new()));
    };
    let o = keys::collection_scan_options(args)?;
    let pattern = o.pattern.as_deref();
    let mut found = Vec::new();
    let next = h.scan(cursor, o.count, |f, v| {
        if pattern.is_none_or(|p| glob::matches(p, f, false)) {
            found.push(bulk(f));
            found.push(bulk(v));
        }
    });
    Ok(crate::keys::scan_reply(next, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::scan_reply;
    use crate::string::test_support::{bulks, err, int, ok, TestShard};

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const NOT_INT: &str = "ERR value is not an integer or out of range";
    const SYNTAX: &str = "ERR syntax error";

    fn map(items: &[(&str, &str)]) -> Reply {
        Reply::Map(
            items
                .iter()
                .map(|(f, v)| (bulk(f.as_bytes()), bulk(v.as_bytes())))
                .collect(),
        )
    }

    fn encoding(t: &mut TestShard, key: &str) -> Reply {
        t.run(&["object", "encoding", key])
    }

    fn limits_with(entries: usize, value: usize) -> EncodingLimits {
        EncodingLimits {
            hash_max_listpack_entries: entries,
            hash_max_listpack_value: value,
            ..limits::DEFAULT
        }
    }

    #[test]
    fn set_get_and_arity() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "hset h a 1 b 2",
            "hset h a 10 c 3",
            "hset h a",
            "hset h a 1 b",
            "hmset h a",
            "hmset h d 4",
            "hget h a",
            "hget h zz",
            "hget nokey a",
            "hmget h a zz d",
            "hmget nokey a",
            "hgetall h",
            "hkeys h",
            "hvals h",
            "hlen h",
            "hlen nokey",
            "hgetall nokey",
            "object encoding h",
        ]);
        assert_eq!(
            replies,
            vec![
                int(2),
                int(1),
                err("ERR wrong number of arguments for 'hset' command"),
                err("ERR wrong number of arguments for 'hset' command"),
                err("ERR wrong number of arguments for 'hmset' command"),
                ok(),
                bulk(b"10"),
                Reply::Null,
                Reply::Null,
                Reply::Array(vec![bulk(b"10"), Reply::Null, bulk(b"4")]),
                Reply::Array(vec![Reply::Null]),
                map(&[("a", "10"), ("b", "2"), ("c", "3"), ("d", "4")]),
                bulks(&["a", "b", "c", "d"]),
                bulks(&["10", "2", "3", "4"]),
                int(4),
                int(0),
                Reply::Map(vec![]),
                bulk(b"listpack"),
            ]
        );
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut t = TestShard::new();
        t.run(&["set", "s", "x"]);
        for cmd in [
            "hset s a 1",
            "hsetnx s a 1",
            "hget s a",
            "hmset s a 1",
            "hmget s a",
            "hgetall s",
            "hdel s a",
            "hexists s a",
            "hlen s",
            "hstrlen s a",
            "hkeys s",
            "hvals s",
            "hincrby s a 1",
            "hincrbyfloat s a 1",
            "hrandfield s",
            "hrandfield s 0",
            "hrandfield s -3 withvalues",
            "hscan s 0",
            "hscan s 0 foo",
        ] {
            assert_eq!(
                t.run(&cmd.split(' ').collect::<Vec<_>>()),
                err(WRONGTYPE),
                "{cmd}"
            );
        }
        assert_eq!(t.run(&["get", "s"]), bulk(b"x"));
    }

    #[test]
    fn delete_exists_strlen_setnx() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "hsetnx h a 1",
            "hsetnx h a 2",
            "hsetnx h b 22",
            "hexists h a",
            "hexists h zz",
            "hexists nokey a",
            "hstrlen h b",
            "hstrlen h zz",
            "hstrlen nokey b",
            "hdel h zz",
            "hdel h a a zz",
            "hdel nokey a",
            "hdel h b",
            "exists h",
            "hdel h b",
        ]);
        assert_eq!(
            replies,
            vec![
                int(1),
                int(0),
                int(1),
                int(1),
                int(0),
                int(0),
                int(2),
                int(0),
                int(0),
                int(0),
                int(1),
                int(0),
                int(1),
                int(0),
                int(0),
            ]
        );
    }

    #[test]
    fn listpack_keeps_insertion_order_through_updates_and_deletes() {
        let mut t = TestShard::new();
        t.script(&[
            "hset h c 1 a 2 b 3",
            "hset h a 20",
            "hdel h c",
            "hset h c 4",
            "hincrby h b 1",
        ]);
        assert_eq!(
            t.run(&["hgetall", "h"]),
            map(&[("a", "20"), ("b", "4"), ("c", "4")])
        );
        assert_eq!(
            t.run(&["hscan", "h", "12345", "COUNT", "1"]),
            scan_reply(
                0,
                ["a", "20", "b", "4", "c", "4"]
                    .iter()
                    .map(|s| bulk(s.as_bytes()))
                    .collect()
            )
        );
    }

    #[test]
    fn incrby() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "hincrby h n 5",
            "hincrby h n -7",
            "hset h s abc t 007 u 9223372036854775807 m -9223372036854775808",
            "hincrby h s 1",
            "hincrby h t 1",
            "hincrby h u 1",
            "hincrby h u 0",
            "hincrby h m -1",
            "hincrby h m 1",
            "hincrby h n x",
            "hincrby h n 1.5",
            "hincrby nokey n x",
            "exists nokey",
            "hget h n",
        ]);
        assert_eq!(
            replies,
            vec![
                int(5),
                int(-2),
                int(4),
                err("ERR hash value is not an integer"),
                err("ERR hash value is not an integer"),
                err("ERR increment or decrement would overflow"),
                int(i64::MAX),
                err("ERR increment or decrement would overflow"),
                int(i64::MIN + 1),
                err(NOT_INT),
                err(NOT_INT),
                err(NOT_INT),
                int(0),
                bulk(b"-2"),
            ]
        );
    }

    #[test]
    fn incrbyfloat_formats_as_redis() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "hincrbyfloat h f 0.1",
            "hincrbyfloat h f 0.2",
            "hset h t 007 s abc big 1e4932",
            "hincrbyfloat h t 0.1",
            "hincrbyfloat h s 1",
            "hincrbyfloat h big 1e4932",
            "hincrbyfloat h f inf",
            "hincrbyfloat h f -inf",
            "hincrbyfloat h f nan",
            "hincrbyfloat h f abc",
            "hincrbyfloat h f 1e5000",
            "hincrbyfloat nokey f inf",
            "exists nokey",
            "hincrbyfloat h i 3.0e3",
            "hincrbyfloat h i -3000",
            "hget h f",
        ]);
        assert_eq!(
            replies,
            vec![
                bulk(b"0.1"),
                bulk(b"0.3"),
                int(3),
                bulk(b"7.1"),
                err("ERR hash value is not a float"),
                err("ERR increment would produce NaN or Infinity"),
                err("ERR value is NaN or Infinity"),
                err("ERR value is NaN or Infinity"),
                err("ERR value is not a valid float"),
                err("ERR value is not a valid float"),
                err("ERR value is not a valid float"),
                err("ERR value is NaN or Infinity"),
                int(0),
                bulk(b"3000"),
                bulk(b"0"),
                bulk(b"0.3"),
            ]
        );
    }

    #[test]
    fn a_long_incrbyfloat_result_converts() {
        let mut t = TestShard::new();
        t.run(&["hset", "h", "f", "1"]);
        let Reply::Bulk(text) = t.run(&["hincrbyfloat", "h", "f", "1e300"]) else {
            panic!("not a bulk")
        };
        assert_eq!(text.len(), 301);
        assert!(text.starts_with(b"1000000000000000000008997"));
        assert_eq!(encoding(&mut t, "h"), bulk(b"hashtable"));
    }

    #[test]
    fn conversions_follow_redis_rules() {
        let long = "x".repeat(65);
        let edge = "x".repeat(64);
        let mut t = TestShard::new();
        t.run(&["hset", "a", "f", &edge]);
        assert_eq!(encoding(&mut t, "a"), bulk(b"listpack"));
        t.run(&["hset", "a", "g", &long]);
        assert_eq!(encoding(&mut t, "a"), bulk(b"hashtable"));
        // HSETNX on an existing field leaves the encoding alone, however long the value.
        t.run(&["hset", "b", "f", "1"]);
        assert_eq!(t.run(&["hsetnx", "b", "f", &long]), int(0));
        assert_eq!(encoding(&mut t, "b"), bulk(b"listpack"));
        assert_eq!(t.run(&["hsetnx", "b", &long, "1"]), int(1));
        assert_eq!(encoding(&mut t, "b"), bulk(b"hashtable"));
        // HINCRBY on a long field name.
        t.run(&["hset", "c", "f", "1"]);
        assert_eq!(t.run(&["hincrby", "c", &long, "1"]), int(1));
        assert_eq!(encoding(&mut t, "c"), bulk(b"hashtable"));
        // An HSET that fails its arity check changes nothing.
        t.run(&["hset", "d", "f", "1"]);
        t.run(&["hset", "d", &long, "1", "2"]);
        assert_eq!(encoding(&mut t, "d"), bulk(b"listpack"));
        // 512 fields stay a listpack, the 513th converts; deleting does not convert back.
        let mut args = vec!["hset".to_string(), "e".to_string()];
        for i in 0..512 {
            args.push(format!("f{i}"));
            args.push(i.to_string());
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(t.run(&refs), int(512));
        assert_eq!(encoding(&mut t, "e"), bulk(b"listpack"));
        t.run(&["hset", "e", "one-more", "x"]);
        assert_eq!(encoding(&mut t, "e"), bulk(b"hashtable"));
        t.run(&["hdel", "e", "one-more", "f0", "f1"]);
        assert_eq!(encoding(&mut t, "e"), bulk(b"hashtable"));
        assert_eq!(t.run(&["hlen", "e"]), int(510));
        assert_eq!(t.run(&["hget", "e", "f511"]), bulk(b"511"));
    }

    #[test]
    fn thresholds_are_read_at_each_command() {
        let mut h = Hash::new();
        let tight = limits_with(2, 3);
        assert!(h.set(b"a", b"1", &tight));
        assert!(h.set(b"b", b"2", &tight));
        assert_eq!(h.encoding(), "listpack");
        assert!(!h.set(b"b", b"22", &tight));
        assert!(h.set(b"c", b"3", &tight));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 3);

        let mut h = Hash::new();
        h.set(b"a", b"abc", &tight);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"a", b"abcd", &tight);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.get(b"a"), Some(&b"abcd"[..]));
        assert_eq!(h.field(b"a"), Some(Bytes::from_static(b"abcd")));
        assert_eq!(h.field(b"b"), None);

        let mut h = Hash::new();
        h.set(b"a", b"", &limits_with(0, 64));
        assert_eq!(h.encoding(), "hashtable");

        let mut h = Hash::new();
        let zero_len = limits_with(512, 0);
        h.set(b"", b"", &zero_len);
        assert_eq!(h.encoding(), "listpack");
        h.prepare_for(&[Bytes::from_static(b"a")], &zero_len);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn table_encoding_answers_every_command() {
        let mut t = TestShard::new();
        let long = "v".repeat(100);
        t.run(&["hset", "h", "a", "1", "b", &long, "n", "10", "f", "1.5"]);
        assert_eq!(encoding(&mut t, "h"), bulk(b"hashtable"));
        let replies = t.script(&[
            "hget h a",
            "hstrlen h b",
            "hexists h n",
            "hincrby h n 5",
            "hincrbyfloat h f 1",
            "hsetnx h a 2",
            "hdel h a zz",
            "hlen h",
            "hmget h a n f",
        ]);
        assert_eq!(
            replies,
            vec![
                bulk(b"1"),
                int(100),
                int(1),
                int(15),
                bulk(b"2.5"),
                int(0),
                int(1),
                int(3),
                Reply::Array(vec![Reply::Null, bulk(b"15"), bulk(b"2.5")]),
            ]
        );
        let Reply::Map(pairs) = t.run(&["hgetall", "h"]) else {
            panic!("not a map")
        };
        let mut fields: Vec<Reply> = pairs.into_iter().map(|(f, _)| f).collect();
        fields.sort_by_key(|f| format!("{f:?}"));
        assert_eq!(fields, vec![bulk(b"b"), bulk(b"f"), bulk(b"n")]);
        t.run(&["hdel", "h", "b", "f", "n"]);
        assert_eq!(t.run(&["exists", "h"]), int(0));
    }

    #[test]
    fn scan_options_and_cursor() {
        let mut t = TestShard::new();
        t.run(&["hset", "h", "a1", "1", "b1", "2", "a2", "3"]);
        let replies = t.script(&[
            "hscan h 0 MATCH a*",
            "hscan h 0 COUNT 0",
            "hscan h 0 COUNT",
            "hscan h 0 COUNT x",
            "hscan h 0 TYPE string",
            "hscan h x",
            "hscan nokey x",
            "hscan nokey 0 COUNT 0",
            "hscan h -1 MATCH b*",
        ]);
        let items = |v: &[&str]| v.iter().map(|s| bulk(s.as_bytes())).collect();
        assert_eq!(
            replies,
            vec![
                scan_reply(0, items(&["a1", "1", "a2", "3"])),
                err(SYNTAX),
                err(SYNTAX),
                err(NOT_INT),
                err(SYNTAX),
                err("ERR invalid cursor"),
                err("ERR invalid cursor"),
                scan_reply(0, vec![]),
                scan_reply(0, items(&["b1", "2"])),
            ]
        );
    }

    #[test]
    fn scan_walks_a_table_to_the_end() {
        let mut t = TestShard::new();
        for i in 0..1000 {
            t.run(&["hset", "h", &format!("f{i}"), &i.to_string()]);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut steps = 0;
        loop {
            let Reply::Array(reply) = t.run(&["hscan", "h", &cursor, "COUNT", "7"]) else {
                panic!("not an array")
            };
            let [Reply::Bulk(next), Reply::Array(items)] = &reply[..] else {
                panic!("bad shape")
            };
            for pair in items.chunks(2) {
                let [Reply::Bulk(f), Reply::Bulk(v)] = pair else {
                    panic!("bad pair")
                };
                assert_eq!(&f[1..], &v[..]);
                seen.insert(f.clone());
            }
            steps += 1;
            cursor = String::from_utf8(next.to_vec()).unwrap_or_default();
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        assert!(steps > 100, "{steps}");
    }

    #[test]
    fn randfield_arguments() {
        let mut t = TestShard::new();
        t.run(&["hset", "h", "a", "1", "b", "2", "c", "3"]);
        let range =
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
        let replies = t.script(&[
            "hrandfield nokey",
            "hrandfield nokey 5",
            "hrandfield nokey 5 WITHVALUES",
            "hrandfield nokey x",
            "hrandfield h x",
            "hrandfield h 1.5",
            "hrandfield h 1 withvalue",
            "hrandfield h 1 withvalues x",
            "hrandfield h -9223372036854775808",
            "hrandfield h 4611686018427387904 withvalues",
            "hrandfield h -4611686018427387904 withvalues",
            "hrandfield h 0",
            "hrandfield h 0 withvalues",
            "hrandfield h 3",
            "hrandfield h 9223372036854775807 WITHVALUES",
            "hrandfield h 4611686018427387903 withvalues",
            "hrandfield h -4194305",
        ]);
        let all = Reply::Pairs(vec![
            (bulk(b"a"), bulk(b"1")),
            (bulk(b"b"), bulk(b"2")),
            (bulk(b"c"), bulk(b"3")),
        ]);
        assert_eq!(
            replies,
            vec![
                Reply::Null,
                Reply::Array(vec![]),
                Reply::Array(vec![]),
                err(NOT_INT),
                err(NOT_INT),
                err(NOT_INT),
                err(SYNTAX),
                err(SYNTAX),
                err(range),
                err("ERR value is out of range"),
                err("ERR value is out of range"),
                Reply::Array(vec![]),
                Reply::Pairs(vec![]),
                bulks(&["a", "b", "c"]),
                err("ERR value is out of range"),
                all,
                err("ERR value is out of range"),
            ]
        );
    }

    #[test]
    fn randfield_picks() {
        let mut t = TestShard::new();
        for key in ["small", "big"] {
            for i in 0..600 {
                if key == "small" && i >= 10 {
                    break;
                }
                t.run(&["hset", key, &format!("f{i}"), &format!("v{i}")]);
            }
        }
        assert_eq!(encoding(&mut t, "small"), bulk(b"listpack"));
        assert_eq!(encoding(&mut t, "big"), bulk(b"hashtable"));
        for (key, size) in [("small", 10), ("big", 600)] {
            let Reply::Bulk(one) = t.run(&["hrandfield", key]) else {
                panic!("not a bulk")
            };
            assert_eq!(one[0], b'f');
            // Distinct picks, in the hash's order for a listpack.
            let Reply::Array(picks) = t.run(&["hrandfield", key, "4"]) else {
                panic!("not an array")
            };
            assert_eq!(picks.len(), 4);
            let mut dedup = picks.clone();
            dedup.dedup();
            assert_eq!(dedup.len(), 4);
            // Repetition: more picks than fields, all of them real pairs.
            let n = (size * 3).to_string();
            let Reply::Pairs(pairs) = t.run(&["hrandfield", key, &format!("-{n}"), "withvalues"])
            else {
                panic!("not pairs")
            };
            assert_eq!(pairs.len(), size * 3);
            for (f, v) in pairs {
                let (Reply::Bulk(f), Reply::Bulk(v)) = (f, v) else {
                    panic!("bad pair")
                };
                assert_eq!(&f[1..], &v[1..]);
            }
        }
        let Reply::Array(picks) = t.run(&["hrandfield", "small", "5"]) else {
            panic!("not an array")
        };
        let mut sorted = picks.clone();
        sorted.sort_by_key(|r| {
            let Reply::Bulk(b) = r else { return 0 };
            String::from_utf8_lossy(&b[1..]).parse::<u32>().unwrap_or(0)
        });
        assert_eq!(picks, sorted);
    }

    #[test]
    fn heap_size_counts_long_elements() {
        let limits = limits::DEFAULT;
        let mut h = Hash::new();
        h.set(b"a", b"1", &limits);
        assert!(h.heap_size() >= 4);
        let long = vec![b'x'; 1000];
        h.set(b"b", &long, &limits);
        assert_eq!(h.encoding(), "hashtable");
        assert!(h.heap_size() >= 1000 + h.len() * 48);
    }
}
