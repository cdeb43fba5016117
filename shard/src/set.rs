//! Sets: the structure and its commands (Redis 7.0's t_set.c).
//!
//! Redis 7.0 keeps a set as an `intset` (sorted integers) while every member is a canonical
//! integer and there are at most `set-max-intset-entries` of them, and as a `hashtable`
//! otherwise; it has no listpack sets (7.2 added those). Conversions happen exactly where Redis
//! makes them, including the fresh sets SINTERSTORE, SUNIONSTORE, SDIFFSTORE and SPOP build, so
//! OBJECT ENCODING agrees with Redis, and so does the order Redis shows for an intset
//! (ascending). The hashtable is a `DenseMap`, whose vector gives O(1) uniform random picks.

use std::collections::HashSet;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use rand::rngs::SmallRng;
use rand::Rng;

use crate::args;
use crate::command::{flag::*, keys_after_numkeys, spec, CommandSpec, Split};
use crate::dense_map::DenseMap;
use crate::error::{CmdError, CmdResult};
use crate::glob;
use crate::inline_bytes::InlineBytes;
use crate::keys::{collection_scan_options, scan_cursor};
use crate::limits;
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;
use crate::value::{parse_canonical_i64, Collection, Kind};

const ACL_READ_FAST: &[&str] = &["read", "set", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "set", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "set", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "set", "slow"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("sadd", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "set", "Add one or more members to a set", "1.0.0", Some(sadd), Split::None),
    spec("srem", -3, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "set", "Remove one or more members from a set", "1.0.0", Some(srem), Split::None),
    spec("smembers", 2, READONLY, (1, 1, 1), ACL_READ_SLOW, "set", "Get all the members in a set", "1.0.0", Some(sinter), Split::None),
    spec("sismember", 3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "set", "Determine if a given value is a member of a set", "1.0.0", Some(sismember), Split::None),
    spec("smismember", -3, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "set", "Returns the membership associated with the given elements for a set", "6.2.0", Some(smismember), Split::None),
    spec("scard", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "set", "Get the number of members in a set", "1.0.0", Some(scard), Split::None),
    spec("spop", -2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "set", "Remove and return one or multiple random members from a set", "1.0.0", Some(spop), Split::None),
    spec("srandmember", -2, READONLY, (1, 1, 1), ACL_READ_SLOW, "set", "Get one or multiple random members from a set", "1.0.0", Some(srandmember), Split::None),
    spec("smove", 4, WRITE | FAST, (1, 2, 1), ACL_WRITE_FAST, "set", "Move a member from one set to another", "1.0.0", Some(smove), Split::Transaction),
    spec("sinter", -2, READONLY, (1, -1, 1), ACL_READ_SLOW, "set", "Intersect multiple sets", "1.0.0", Some(sinter), Split::Transaction),
    spec("sintercard", -3, READONLY, (0, 0, 0), ACL_READ_SLOW, "set", "Intersect multiple sets and return the cardinality of the result", "7.0.0", Some(sintercard), Split::Transaction)
        .movable(|args| keys_after_numkeys(args, 1)),
    spec("sunion", -2, READONLY, (1, -1, 1), ACL_READ_SLOW, "set", "Add multiple sets", "1.0.0", Some(sunion), Split::Transaction),
    spec("sdiff", -2, READONLY, (1, -1, 1), ACL_READ_SLOW, "set", "Subtract multiple sets", "1.0.0", Some(sdiff), Split::Transaction),
    spec("sinterstore", -3, WRITE | DENYOOM, (1, -1, 1), ACL_WRITE_SLOW, "set", "Intersect multiple sets and store the resulting set in a key", "1.0.0", Some(sinterstore), Split::Transaction),
    spec("sunionstore", -3, WRITE | DENYOOM, (1, -1, 1), ACL_WRITE_SLOW, "set", "Add multiple sets and store the resulting set in a key", "1.0.0", Some(sunionstore), Split::Transaction),
    spec("sdiffstore", -3, WRITE | DENYOOM, (1, -1, 1), ACL_WRITE_SLOW, "set", "Subtract multiple sets and store the resulting set in a key", "1.0.0", Some(sdiffstore), Split::Transaction),
    spec("sscan", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, "set", "Incrementally iterate Set elements", "2.8.0", Some(sscan), Split::None),
];

/// Most picks SRANDMEMBER with a negative count may return. Redis accepts counts down to
/// -(2^63-1) and fills memory trying to build such a reply; this bound keeps a reply under
/// about a gigabyte.
const MAX_REPEATED_PICKS: i64 = 1 << 23;

#[derive(Clone, Debug, PartialEq)]
pub enum Set {
    /// Sorted and distinct.
    Intset(Vec<i64>),
    Hashtable(DenseMap<()>),
}

/// One member as a set holds it: an intset's integer or a hashtable's string.
#[derive(Clone, Copy, Debug)]
enum Member<'a> {
    Int(i64),
    Str(&'a [u8]),
}

/// The decimal text of `v` (what Redis's `sdsfromlonglong` makes), written into `buf`.
fn int_text(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut rest = v.unsigned_abs();
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if v < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    &buf[start..]
}

impl Member<'_> {
    /// The integer an intset would store for this member, if it is one.
    fn as_int(self) -> Option<i64> {
        match self {
            Member::Int(v) => Some(v),
            Member::Str(s) => parse_canonical_i64(s),
        }
    }

    /// Calls `f` with the member's text, without allocating for an integer.
    fn with_text<T>(self, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            Member::Int(v) => f(int_text(v, &mut [0; 20])),
            Member::Str(s) => f(s),
        }
    }

    fn to_bytes(self) -> Bytes {
        self.with_text(Bytes::copy_from_slice)
    }

    fn reply(self) -> Reply {
        Reply::Bulk(self.to_bytes())
    }
}

fn ints_to_hashtable(ints: &[i64]) -> DenseMap<()> {
    let mut map = DenseMap::with_capacity(ints.len());
    for &v in ints {
        map.insert(int_text(v, &mut [0; 20]), ());
    }
    map
}

impl Set {
    /// Redis's `setTypeCreate`: a new key's encoding follows its first member.
    fn for_first(member: &[u8]) -> Set {
        if parse_canonical_i64(member).is_some() {
            Set::Intset(Vec::new())
        } else {
            Set::Hashtable(DenseMap::new())
        }
    }

    /// The fresh set Redis fills for SINTERSTORE, SUNION and friends (`createIntsetObject`).
    fn empty() -> Set {
        Set::Intset(Vec::new())
    }

    fn convert_to_hashtable(&mut self) {
        if let Set::Intset(ints) = self {
            *self = Set::Hashtable(ints_to_hashtable(ints));
        }
    }

    /// Redis's `setTypeAdd`: an intset becomes a hashtable on a member that is not an integer
    /// or when it grows past `set-max-intset-entries`. Returns whether the member was new.
    fn add(&mut self, member: Member<'_>) -> bool {
        match self {
            Set::Hashtable(map) => member.with_text(|t| map.insert(t, ()).is_none()),
            Set::Intset(ints) => match member.as_int() {
                Some(v) => {
                    let Err(pos) = ints.binary_search(&v) else {
                        return false;
                    };
                    ints.insert(pos, v);
                    if ints.len() > limits::get().set_max_intset_entries {
                        self.convert_to_hashtable();
                    }
                    true
                }
                None => {
                    let mut map = ints_to_hashtable(ints);
                    member.with_text(|t| map.insert(t, ()));
                    *self = Set::Hashtable(map);
                    true
                }
            },
        }
    }

    fn remove(&mut self, member: Member<'_>) -> bool {
        match self {
            Set::Intset(ints) => match member.as_int().map(|v| ints.binary_search(&v)) {
                Some(Ok(pos)) => {
                    ints.remove(pos);
                    true
                }
                _ => false,
            },
            Set::Hashtable(map) => member.with_text(|t| map.remove(t).is_some()),
        }
    }

    /// O(1) for a hashtable, O(log n) for an intset.
    fn contains(&self, member: Member<'_>) -> bool {
        match self {
            Set::Intset(ints) => member
                .as_int()
                .is_some_and(|v| ints.binary_search(&v).is_ok()),
            Set::Hashtable(map) => member.with_text(|t| map.contains(t)),
        }
    }

    /// The member at position `i`: intsets in ascending order, hashtables in vector order.
    fn member(&self, i: usize) -> Option<Member<'_>> {
        match self {
            Set::Intset(ints) => ints.get(i).map(|&v| Member::Int(v)),
            Set::Hashtable(map) => map.get_index(i).map(|(k, _)| Member::Str(k)),
        }
    }

    fn members(&self) -> impl Iterator<Item = Member<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.member(i))
    }

    /// Takes out the member at position `i` (`i < len`).
    fn remove_at(&mut self, i: usize) -> Bytes {
        match self {
            Set::Intset(ints) => Member::Int(ints.remove(i)).to_bytes(),
            Set::Hashtable(map) => Bytes::copy_from_slice(&map.remove_at(i).0),
        }
    }

    /// The set Redis gets by copying this one member by member into a fresh set (the SUNION
    /// of one set; what SPOP keeps when it pops most of a set): an intset exactly when every
    /// member is an integer and they fit in `set-max-intset-entries`.
    fn rebuilt(self) -> Set {
        let max = limits::get().set_max_intset_entries;
        match self {
            Set::Intset(ints) if ints.len() > max => Set::Hashtable(ints_to_hashtable(&ints)),
            Set::Hashtable(map) if map.len() <= max => {
                let ints: Option<Vec<i64>> = map.keys().map(|k| parse_canonical_i64(k)).collect();
                match ints {
                    Some(mut ints) => {
                        ints.sort_unstable();
                        Set::Intset(ints)
                    }
                    None => Set::Hashtable(map),
                }
            }
            set => set,
        }
    }

    /// The members as strings, in the set's own order (SORT's input).
    pub fn sort_elements(&self) -> Vec<Bytes> {
        self.members().map(Member::to_bytes).collect()
    }

    fn reply(&self) -> Reply {
        Reply::Set(self.members().map(Member::reply).collect())
    }
}

/// A set as a source of ZUNION, ZINTER and ZDIFF (every member scores 1 there).
impl crate::zset::MemberSet for Set {
    fn member_count(&self) -> usize {
        self.len()
    }

    fn has_member(&self, member: &[u8]) -> bool {
        self.contains(Member::Str(member))
    }

    fn members(&self) -> Box<dyn Iterator<Item = std::borrow::Cow<'_, [u8]>> + '_> {
        Box::new(self.members().map(|m| match m {
            Member::Int(v) => std::borrow::Cow::Owned(int_text(v, &mut [0; 20]).to_vec()),
            Member::Str(s) => std::borrow::Cow::Borrowed(s),
        }))
    }
}

impl Collection for Set {
    const TYPE_NAME: &'static str = "set";

    fn len(&self) -> usize {
        match self {
            Set::Intset(ints) => ints.len(),
            Set::Hashtable(map) => map.len(),
        }
    }

    fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Hashtable(_) => "hashtable",
        }
    }

    fn heap_size(&self) -> usize {
        match self {
            Set::Intset(ints) => ints.capacity() * std::mem::size_of::<i64>(),
            Set::Hashtable(map) => {
                map.table_bytes() + map.keys().map(InlineBytes::heap_size).sum::<usize>()
            }
        }
    }
}

/// Raises a set event on `key`.
fn notify(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    ctx.notify(KeyspaceEvents::SET, event, key);
}

/// The events of a command that removed members from `key`: `event`, then `del` if the set
/// is empty now.
fn notify_removed(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    notify(ctx, event, key);
    ctx.drop_if_empty(key);
}

fn sadd(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = ctx.create_as::<Set>(&args[1], || Set::for_first(&args[2]))?;
    let added = args[2..].iter().filter(|m| set.add(Member::Str(m))).count();
    if added > 0 {
        notify(ctx, "sadd", &args[1]);
    }
    Ok(Reply::Int(added as i64))
}

fn srem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(set) = ctx.write_as::<Set>(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    let removed = args[2..]
        .iter()
        .filter(|m| set.remove(Member::Str(m)))
        .count();
    if removed > 0 {
        notify_removed(ctx, "srem", &args[1]);
    }
    Ok(Reply::Int(removed as i64))
}

fn sismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let found = ctx
        .read_as::<Set>(&args[1])?
        .is_some_and(|s| s.contains(Member::Str(&args[2])));
    Ok(Reply::Int(found as i64))
}

fn smismember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let set = ctx.read_as::<Set>(&args[1])?;
    Ok(Reply::Array(
        args[2..]
            .iter()
            .map(|m| {
                let found = set.as_ref().is_some_and(|s| s.contains(Member::Str(m)));
                Reply::Int(found as i64)
            })
            .collect(),
    ))
}

fn scard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx.read_as::<Set>(&args[1])?.map_or(0, |s| s.len());
    Ok(Reply::Int(len as i64))
}

/// Runs `f` with the shard's random generator beside the context, so that a command can hold
/// a set borrowed from the keyspace while it draws.
fn with_rng<T>(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut Ctx<'_>, &mut SmallRng) -> T) -> T {
    let mut rng = ctx.shard.rng.clone();
    let out = f(ctx, &mut rng);
    ctx.shard.rng = rng;
    out
}

/// `k` distinct positions below `n` (`k < n`), uniformly and in random order: a partial
/// shuffle when `k` is a large part of `n`, else draws with repeats rejected; O(k) either way.
fn distinct_positions(rng: &mut SmallRng, n: usize, k: usize) -> Vec<usize> {
    if k * 3 > n {
        let mut all: Vec<usize> = (0..n).collect();
        for i in 0..k {
            let j = rng.gen_range(i..n);
            all.swap(i, j);
        }
        all.truncate(k);
        return all;
    }
    let mut seen = HashSet::with_capacity(k);
    let mut out = Vec::with_capacity(k);
    while out.len() < k {
        let i = rng.gen_range(0..n);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

fn spop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        2 => spop_one(ctx, &args[1]),
        3 => spop_count(ctx, &args[1], &args[2]),
        _ => Err(CmdError::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx<'_>, key: &[u8]) -> CmdResult {
    let popped = with_rng(ctx, |ctx, rng| {
        Ok::<_, CmdError>(ctx.write_as::<Set>(key)?.map(|set| {
            let i = rng.gen_range(0..set.len());
            set.remove_at(i)
        }))
    })?;
    if popped.is_some() {
        notify_removed(ctx, "spop", key);
    }
    Ok(popped.map_or(Reply::Null, Reply::Bulk))
}

/// Redis's SPOP of `count`: the whole set when `count` covers it (the key goes), else `count`
/// random members. When fewer than a fifth of `count` stay, Redis rebuilds the set from the
/// ones that stay, which may turn a hashtable back into an intset; so does this.
fn spop_count(ctx: &mut Ctx<'_>, key: &[u8], count: &[u8]) -> CmdResult {
    let count = args::non_negative(count)?;
    let popped = with_rng(ctx, |ctx, rng| {
        let Some(set) = ctx.write_as::<Set>(key)? else {
            return Ok(Vec::new());
        };
        if count == 0 {
            return Ok(Vec::new());
        }
        let size = set.len();
        let Some(count) = usize::try_from(count).ok().filter(|&c| c < size) else {
            let whole = std::mem::replace(set, Set::empty()).rebuilt();
            return Ok(whole.members().map(Member::reply).collect());
        };
        let popped: Vec<Reply> = match set {
            Set::Intset(ints) => {
                let mut chosen = vec![false; size];
                for i in distinct_positions(rng, size, count) {
                    chosen[i] = true;
                }
                let mut popped = Vec::with_capacity(count);
                let mut i = 0;
                ints.retain(|&v| {
                    let pop = chosen[i];
                    i += 1;
                    if pop {
                        popped.push(Member::Int(v).reply());
                    }
                    !pop
                });
                popped
            }
            Set::Hashtable(_) => (0..count)
                .map(|_| {
                    let i = rng.gen_range(0..set.len());
                    Reply::Bulk(set.remove_at(i))
                })
                .collect(),
        };
        if (size - count) * 5 <= count {
            *set = std::mem::replace(set, Set::empty()).rebuilt();
        }
        Ok::<_, CmdError>(popped)
    })?;
    if !popped.is_empty() {
        notify_removed(ctx, "spop", key);
    }
    Ok(Reply::Set(popped))
}

fn srandmember(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        2 => with_rng(ctx, |ctx, rng| {
            Ok(ctx.read_as::<Set>(&args[1])?.map_or(Reply::Null, |set| {
                let i = rng.gen_range(0..set.len());
                set.member(i).map_or(Reply::Null, Member::reply)
            }))
        }),
        3 => srandmember_count(ctx, &args[1], &args[2]),
        _ => Err(CmdError::Syntax),
    }
}

/// Redis's SRANDMEMBER with a count: a negative count picks that many times with repeats; a
/// positive one returns that many distinct members, or the whole set in its order.
fn srandmember_count(ctx: &mut Ctx<'_>, key: &[u8], count: &[u8]) -> CmdResult {
    let count = args::int(count)?;
    // Redis refuses only i64::MIN, whose negation overflows; a count below -MAX_REPEATED_PICKS
    // is refused here too, with the same message naming this bound.
    let lowest = if count == i64::MIN {
        -i64::MAX
    } else {
        -MAX_REPEATED_PICKS
    };
    if count < lowest {
        return Err(CmdError::other(format!(
            "ERR value is out of range, value must between {lowest} and {}",
            i64::MAX
        )));
    }
    with_rng(ctx, |ctx, rng| {
        let Some(set) = ctx.read_as::<Set>(key)? else {
            return Ok(Reply::Array(Vec::new()));
        };
        let size = set.len();
        let picks: Vec<Reply> = match usize::try_from(count) {
            Ok(0) => Vec::new(),
            Ok(n) if n >= size => set.members().map(Member::reply).collect(),
            Ok(n) if n > 1 => distinct_positions(rng, size, n)
                .into_iter()
                .filter_map(|i| set.member(i).map(Member::reply))
                .collect(),
            _ => (0..count.unsigned_abs())
                .filter_map(|_| set.member(rng.gen_range(0..size)).map(Member::reply))
                .collect(),
        };
        Ok(Reply::Array(picks))
    })
}

fn smove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (src, dst, member) = (&args[1], &args[2], Member::Str(&args[3]));
    if ctx.write_as::<Set>(src)?.is_none() {
        return Ok(Reply::Int(0));
    }
    ctx.check_type::<Set>(dst)?;
    if src == dst {
        let found = ctx
            .write_as::<Set>(src)?
            .is_some_and(|s| s.contains(member));
        return Ok(Reply::Int(found as i64));
    }
    let removed = ctx.write_as::<Set>(src)?.is_some_and(|s| s.remove(member));
    if !removed {
        return Ok(Reply::Int(0));
    }
    // Redis is done with the source (`del` included) before it creates the destination.
    notify_removed(ctx, "srem", src);
    let added = ctx
        .create_as::<Set>(dst, || Set::for_first(&args[3]))?
        .add(member);
    if added {
        notify(ctx, "sadd", dst);
    }
    Ok(Reply::Int(1))
}

/// The sets at `keys` (`None` for a missing key), looked up in order as Redis's
/// `lookupKeyRead` loop does: the first key of another type is WRONGTYPE, even after a
/// missing one.
fn lookup_sets<'a>(ctx: &'a mut Ctx<'_>, keys: &[Bytes]) -> Result<Vec<Option<&'a Set>>, CmdError> {
    for key in keys {
        ctx.read_as::<Set>(key)?;
    }
    let now = ctx.now_ms;
    let ks = &*ctx.ks();
    Ok(keys
        .iter()
        .map(|k| ks.peek(k, now).and_then(|e| Set::of(&e.value)))
        .collect())
}

/// Redis's intersection walk: the members of the smallest set (the first of the smallest,
/// as Redis's sort leaves them) that every other set holds, in that set's order.
fn intersection<'a>(sets: &[&'a Set]) -> impl Iterator<Item = Member<'a>> + 'a {
    let mut by_size = sets.to_vec();
    by_size.sort_by_key(|s| s.len());
    let smallest = by_size.first().copied();
    let others: Vec<&Set> = by_size
        .into_iter()
        .skip(1)
        .filter(|s| !smallest.is_some_and(|first| std::ptr::eq(first, *s)))
        .collect();
    smallest
        .into_iter()
        .flat_map(Set::members)
        .filter(move |m| others.iter().all(|s| s.contains(*m)))
}

/// All the sets, or `None` when one is missing (an intersection with it is empty).
fn all_present(sets: Vec<Option<&Set>>) -> Option<Vec<&Set>> {
    sets.into_iter().collect()
}

fn sinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sets = lookup_sets(ctx, &args[1..])?;
    Ok(Reply::Set(
        all_present(sets).map_or_else(Vec::new, |sets| {
            intersection(&sets).map(Member::reply).collect()
        }),
    ))
}

fn sinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sets = lookup_sets(ctx, &args[2..])?;
    let mut result = Set::empty();
    if let Some(sets) = all_present(sets) {
        for m in intersection(&sets) {
            result.add(m);
        }
    }
    store(ctx, &args[1], result, "sinterstore")
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let numkeys = args::int(&args[1])
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::other("ERR numkeys should be greater than 0"))?;
    let keys = usize::try_from(numkeys)
        .ok()
        .and_then(|n| args.get(2..2 + n))
        .ok_or_else(|| {
            CmdError::other("ERR Number of keys can't be greater than number of args")
        })?;
    let mut limit = 0;
    let mut options = args[2 + keys.len()..].iter();
    while let Some(option) = options.next() {
        match options.next() {
            Some(value) if args::is(option, "LIMIT") => {
                limit = args::non_negative(value)
                    .map_err(|_| CmdError::other("ERR LIMIT can't be negative"))?;
            }
            _ => return Err(CmdError::Syntax),
        }
    }
    let sets = lookup_sets(ctx, keys)?;
    let card = all_present(sets).map_or(0, |sets| {
        let common = intersection(&sets);
        match usize::try_from(limit) {
            Ok(limit) if limit > 0 => common.take(limit).count(),
            _ => common.count(),
        }
    });
    Ok(Reply::Int(card as i64))
}

fn union(sets: &[Option<&Set>]) -> Set {
    let mut result = Set::empty();
    for set in sets.iter().flatten() {
        for m in set.members() {
            result.add(m);
        }
    }
    result
}

/// Redis's SDIFF, including its choice between two algorithms by estimated work, because the
/// choice shows in the result's encoding: the second copies the whole first set before
/// removing, so the result is a hashtable whenever the first set could not be an intset.
fn difference(sets: &[Option<&Set>]) -> Set {
    let mut result = Set::empty();
    let Some(Some(first)) = sets.first().copied() else {
        return result;
    };
    let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
    if others.iter().any(|s| std::ptr::eq(*s, first)) {
        return result;
    }
    let one_by_one = first.len() * (others.len() + 1) / 2;
    let copy_then_remove = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
    if one_by_one <= copy_then_remove {
        let mut others = others;
        others.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for m in first.members() {
            if !others.iter().any(|s| s.contains(m)) {
                result.add(m);
            }
        }
    } else {
        for m in first.members() {
            result.add(m);
        }
        for set in others {
            for m in set.members() {
                result.remove(m);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}

fn sunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(union(&lookup_sets(ctx, &args[1..])?).reply())
}

fn sdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    Ok(difference(&lookup_sets(ctx, &args[1..])?).reply())
}

fn sunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let result = union(&lookup_sets(ctx, &args[2..])?);
    store(ctx, &args[1], result, "sunionstore")
}

fn sdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let result = difference(&lookup_sets(ctx, &args[2..])?);
    store(ctx, &args[1], result, "sdiffstore")
}

/// The store step of the STORE commands: the result replaces `dest` (and its TTL), an empty
/// one deletes it; the reply is the result's size.
fn store(ctx: &mut Ctx<'_>, dest: &[u8], result: Set, event: &'static str) -> CmdResult {
    let len = result.len();
    ctx.store(dest, result, KeyspaceEvents::SET, event);
    Ok(Reply::Int(len as i64))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]. As in Redis, the cursor is read first and
/// the options only for a key that exists; an intset is returned whole with cursor 0.
fn sscan(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let cursor = scan_cursor(&args[2])?;
    let Some(set) = ctx.read_as::<Set>(&args[1])? else {
        return Ok(crate::keys::scan_reply(0, Vec::new()));
    };
    let options = collection_scan_options(args)?;
    let wanted = |text: &[u8]| {
        options
            .pattern
            .as_ref()
            .is_none_or(|p| glob::matches(p, text, false))
    };
    let mut found = Vec::new();
    let next = match set {
        Set::Intset(ints) => {
            for &v in ints.iter() {
                let m = Member::Int(v);
                if m.with_text(wanted) {
                    found.push(m.reply());
                }
            }
            0
        }
        Set::Hashtable(map) => map.scan(cursor, options.count, |k, _| {
            if wanted(k) {
                found.push(Member::Str(k).reply());
            }
        }),
    };
    Ok(crate::keys::scan_reply(next, found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_support::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";

    fn run(t: &mut TestShard, line: &str) -> Reply {
        t.run(&line.split(' ').collect::<Vec<_>>())
    }

    /// Runs a command with `words` followed by `members`.
    fn run_with(t: &mut TestShard, words: &str, members: impl Iterator<Item = String>) -> Reply {
        let mut cmd: Vec<String> = words.split(' ').map(String::from).collect();
        cmd.extend(members);
        t.run(&cmd.iter().map(String::as_str).collect::<Vec<_>>())
    }

    fn encoding(t: &mut TestShard, key: &str) -> Reply {
        t.run(&["object", "encoding", key])
    }

    fn set_of(items: &[&str]) -> Reply {
        Reply::Set(items.iter().map(|s| bulk(s)).collect())
    }

    fn texts(r: &Reply) -> Vec<String> {
        let (Reply::Set(items) | Reply::Array(items)) = r else {
            panic!("not an aggregate: {r:?}")
        };
        items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk: {other:?}"),
            })
            .collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    fn numbers(range: std::ops::Range<i64>) -> impl Iterator<Item = String> {
        range.map(|i| i.to_string())
    }

    #[test]
    fn int_text_matches_to_string() {
        for v in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            assert_eq!(int_text(v, &mut [0; 20]), v.to_string().as_bytes());
        }
    }

    #[test]
    fn intsets_hold_canonical_integers_in_order() {
        let mut t = TestShard::new();
        assert_eq!(run(&mut t, "sadd s 5 -3 10 5 9223372036854775807"), int(4));
        assert_eq!(encoding(&mut t, "s"), bulk("intset"));
        assert_eq!(
            run(&mut t, "smembers s"),
            set_of(&["-3", "5", "10", "9223372036854775807"])
        );
        // Not canonical: stored as strings, so the set becomes a hashtable.
        assert_eq!(run(&mut t, "sismember s 05"), int(0));
        assert_eq!(run(&mut t, "sadd s 05"), int(1));
        assert_eq!(encoding(&mut t, "s"), bulk("hashtable"));
        assert_eq!(run(&mut t, "sismember s 05"), int(1));
        assert_eq!(run(&mut t, "sismember s 5"), int(1));
        assert_eq!(run(&mut t, "srem s 05 5 nope"), int(2));
        // Never converted back.
        assert_eq!(encoding(&mut t, "s"), bulk("hashtable"));
        assert_eq!(run(&mut t, "scard s"), int(3));
        // The first member decides a new key's encoding.
        assert_eq!(run(&mut t, "sadd h a 1"), int(2));
        assert_eq!(encoding(&mut t, "h"), bulk("hashtable"));
    }

    #[test]
    fn an_intset_becomes_a_hashtable_past_the_limit() {
        let mut t = TestShard::new();
        assert_eq!(run_with(&mut t, "sadd s", numbers(0..512)), int(512));
        assert_eq!(encoding(&mut t, "s"), bulk("intset"));
        assert_eq!(run(&mut t, "sadd s 0 511"), int(0));
        assert_eq!(encoding(&mut t, "s"), bulk("intset"));
        assert_eq!(run(&mut t, "sadd s 512"), int(1));
        assert_eq!(encoding(&mut t, "s"), bulk("hashtable"));
        assert_eq!(run(&mut t, "scard s"), int(513));
        assert_eq!(run(&mut t, "sismember s 300"), int(1));
    }

    #[test]
    fn srem_deletes_the_emptied_key() {
        let mut t = TestShard::new();
        assert_eq!(run(&mut t, "srem s a"), int(0));
        run(&mut t, "sadd s a b");
        assert_eq!(run(&mut t, "srem s a b c"), int(2));
        assert_eq!(run(&mut t, "exists s"), int(0));
        run(&mut t, "set str x");
        assert_eq!(run(&mut t, "srem str a"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "sadd str a"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "smismember str a"), err(WRONGTYPE));
        assert_eq!(
            run(&mut t, "smismember none a b"),
            Reply::Array(vec![int(0), int(0)])
        );
    }

    #[test]
    fn set_algebra_follows_redis_including_result_encodings() {
        let mut t = TestShard::new();
        run(&mut t, "sadd a 1 2 3 4");
        run(&mut t, "sadd b 3 4 5 x");
        run(&mut t, "set str v");
        assert_eq!(run(&mut t, "sinter a b"), set_of(&["3", "4"]));
        assert_eq!(run(&mut t, "sinter a missing"), set_of(&[]));
        assert_eq!(run(&mut t, "sinter missing str"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "sunion a"), set_of(&["1", "2", "3", "4"]));
        assert_eq!(
            sorted(texts(&run(&mut t, "sunion a b missing"))),
            ["1", "2", "3", "4", "5", "x"]
        );
        assert_eq!(run(&mut t, "sdiff a b"), set_of(&["1", "2"]));
        assert_eq!(run(&mut t, "sdiff a a"), set_of(&[]));
        assert_eq!(run(&mut t, "sdiff missing a"), set_of(&[]));
        assert_eq!(run(&mut t, "sdiff missing str"), err(WRONGTYPE));
        // Intersections of intsets give intsets; a string member makes a hashtable.
        assert_eq!(run(&mut t, "sinterstore d a b"), int(2));
        assert_eq!(encoding(&mut t, "d"), bulk("intset"));
        assert_eq!(run(&mut t, "sunionstore d a b"), int(6));
        assert_eq!(encoding(&mut t, "d"), bulk("hashtable"));
        // A destination of another type is replaced; an empty result deletes it.
        assert_eq!(run(&mut t, "sdiffstore str a b"), int(2));
        assert_eq!(run(&mut t, "type str"), Reply::simple("set"));
        assert_eq!(run(&mut t, "sinterstore str a missing"), int(0));
        assert_eq!(run(&mut t, "exists str"), int(0));
        // The destination may be a source.
        assert_eq!(run(&mut t, "sunionstore a a b"), int(6));
        assert_eq!(run(&mut t, "scard a"), int(6));
    }

    #[test]
    fn sdiff_result_encoding_depends_on_the_algorithm_redis_picks() {
        let mut t = TestShard::new();
        // 600 integers: a hashtable.
        run_with(&mut t, "sadd big", numbers(0..600));
        run(&mut t, "sadd one 0");
        run(&mut t, "sadd two 1");
        // 600*2/2 <= 600+1: members are tested one by one, only the 599 survivors added.
        run_with(&mut t, "sadd most", numbers(0..590));
        assert_eq!(run(&mut t, "sdiffstore d big most"), int(10));
        assert_eq!(encoding(&mut t, "d"), bulk("intset"));
        // 600*3/2 > 600+2: the whole first set is copied, then members are removed.
        assert_eq!(run(&mut t, "sdiffstore d big one two"), int(598));
        assert_eq!(encoding(&mut t, "d"), bulk("hashtable"));
        run_with(&mut t, "sadd small", numbers(0..8));
        run(&mut t, "sadd x a");
        run(&mut t, "sadd y 1 2 3 4");
        assert_eq!(run(&mut t, "sdiffstore d small x y"), int(4));
        assert_eq!(encoding(&mut t, "d"), bulk("intset"));
    }

    #[test]
    fn sintercard_options() {
        let mut t = TestShard::new();
        run(&mut t, "sadd a 1 2 3");
        run(&mut t, "sadd b 2 3 4");
        run(&mut t, "set str v");
        let numkeys = err("ERR numkeys should be greater than 0");
        let limit = err("ERR LIMIT can't be negative");
        for (line, want) in [
            ("sintercard 2 a b", int(2)),
            ("sintercard 2 a b LIMIT 1", int(1)),
            ("sintercard 2 a b limit 0", int(2)),
            ("sintercard 2 a b limit 1 limit 5", int(2)),
            ("sintercard 1 a", int(3)),
            ("sintercard 2 a missing", int(0)),
            ("sintercard 2 missing str", err(WRONGTYPE)),
            ("sintercard 0 a", numkeys.clone()),
            ("sintercard -1 a", numkeys.clone()),
            ("sintercard x a", numkeys),
            (
                "sintercard 3 a b",
                err("ERR Number of keys can't be greater than number of args"),
            ),
            ("sintercard 2 a b limit -1", limit.clone()),
            ("sintercard 2 a str limit x", limit),
            ("sintercard 2 a b limit", err("ERR syntax error")),
            ("sintercard 1 a b", err("ERR syntax error")),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
    }

    #[test]
    fn smove_checks_in_redis_order() {
        let mut t = TestShard::new();
        run(&mut t, "sadd s 1 2");
        run(&mut t, "set str x");
        assert_eq!(run(&mut t, "smove missing str 1"), int(0));
        assert_eq!(run(&mut t, "smove s str 1"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "smove str s 1"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "smove s s 1"), int(1));
        assert_eq!(run(&mut t, "smove s s 9"), int(0));
        assert_eq!(run(&mut t, "smove s d 9"), int(0));
        assert_eq!(run(&mut t, "exists d"), int(0));
        assert_eq!(run(&mut t, "smove s d 1"), int(1));
        assert_eq!(encoding(&mut t, "d"), bulk("intset"));
        assert_eq!(run(&mut t, "smove s d 2"), int(1));
        assert_eq!(run(&mut t, "exists s"), int(0));
        assert_eq!(run(&mut t, "smembers d"), set_of(&["1", "2"]));
        run(&mut t, "sadd h a");
        assert_eq!(run(&mut t, "smove h d a"), int(1));
        assert_eq!(encoding(&mut t, "d"), bulk("hashtable"));
    }

    #[test]
    fn spop_with_a_count() {
        let mut t = TestShard::new();
        let positive = err("ERR value is out of range, must be positive");
        assert_eq!(run(&mut t, "spop s -1"), positive);
        assert_eq!(run(&mut t, "spop s x"), positive);
        assert_eq!(run(&mut t, "spop s 1"), set_of(&[]));
        assert_eq!(run(&mut t, "spop s"), Reply::Null);
        assert_eq!(run(&mut t, "spop s 1 2"), err("ERR syntax error"));
        run(&mut t, "sadd s 3 1 2");
        assert_eq!(run(&mut t, "spop s 0"), set_of(&[]));
        assert_eq!(
            run(&mut t, "spop s 9223372036854775807"),
            set_of(&["1", "2", "3"])
        );
        assert_eq!(run(&mut t, "exists s"), int(0));

        // Fewer than a fifth of the count stay: the set is rebuilt from them (an intset again).
        run_with(&mut t, "sadd big", numbers(0..600));
        assert_eq!(encoding(&mut t, "big"), bulk("hashtable"));
        let popped = texts(&run(&mut t, "spop big 590"));
        assert_eq!(popped.len(), 590);
        assert_eq!(encoding(&mut t, "big"), bulk("intset"));
        let mut all = popped;
        all.extend(texts(&run(&mut t, "smembers big")));
        all.sort_by_key(|s| s.parse::<i64>().unwrap());
        assert_eq!(all, numbers(0..600).collect::<Vec<_>>());

        // Otherwise members are popped one by one and the encoding stays.
        run_with(&mut t, "sadd big2", numbers(0..600));
        assert_eq!(texts(&run(&mut t, "spop big2 100")).len(), 100);
        assert_eq!(run(&mut t, "scard big2"), int(500));
        assert_eq!(encoding(&mut t, "big2"), bulk("hashtable"));

        run_with(&mut t, "sadd ints", numbers(0..100));
        let popped = texts(&run(&mut t, "spop ints 60"));
        assert_eq!(popped.len(), 60);
        let rest = texts(&run(&mut t, "smembers ints"));
        assert_eq!(rest.len(), 40);
        assert!(popped.iter().all(|p| !rest.contains(p)));
        let mut rest_sorted = rest.clone();
        rest_sorted.sort_by_key(|s| s.parse::<i64>().unwrap());
        assert_eq!(rest, rest_sorted, "an intset stays sorted");
    }

    #[test]
    fn spop_one_until_empty() {
        let mut t = TestShard::new();
        run(&mut t, "sadd s a b c");
        let mut seen: Vec<String> = (0..3)
            .map(|_| match run(&mut t, "spop s") {
                Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
                other => panic!("{other:?}"),
            })
            .collect();
        seen.sort();
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(run(&mut t, "exists s"), int(0));
        run(&mut t, "set str x");
        assert_eq!(run(&mut t, "spop str"), err(WRONGTYPE));
        assert_eq!(run(&mut t, "spop str 1"), err(WRONGTYPE));
    }

    #[test]
    fn srandmember_counts() {
        let mut t = TestShard::new();
        assert_eq!(run(&mut t, "srandmember s"), Reply::Null);
        assert_eq!(run(&mut t, "srandmember s 5"), Reply::Array(vec![]));
        assert_eq!(run(&mut t, "srandmember s -5"), Reply::Array(vec![]));
        assert_eq!(
            run(&mut t, "srandmember s x"),
            err("ERR value is not an integer or out of range")
        );
        assert_eq!(
            run(&mut t, "srandmember s -9223372036854775808"),
            err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
        );
        assert_eq!(
            run(&mut t, "srandmember s -8388609"),
            err("ERR value is out of range, value must between -8388608 and 9223372036854775807")
        );
        run(&mut t, "sadd s 3 1 2");
        assert_eq!(
            run(&mut t, "srandmember s 3"),
            Reply::Array(vec![bulk("1"), bulk("2"), bulk("3")])
        );
        assert_eq!(run(&mut t, "srandmember s 0"), Reply::Array(vec![]));
        assert_eq!(texts(&run(&mut t, "srandmember s -7")).len(), 7);
        run_with(&mut t, "sadd big", (0..1000).map(|i| format!("m{i}")));
        for n in [2, 10, 333, 334, 999] {
            let picks = texts(&run(&mut t, &format!("srandmember big {n}")));
            let distinct: HashSet<&String> = picks.iter().collect();
            assert_eq!((picks.len(), distinct.len()), (n, n));
        }
        let picks = texts(&run(&mut t, "srandmember big -2000"));
        assert_eq!(picks.len(), 2000);
        assert!(picks.iter().all(|p| p.starts_with('m')));
    }

    #[test]
    fn distinct_positions_are_distinct_and_in_range() {
        use rand::SeedableRng;
        let mut rng = SmallRng::seed_from_u64(1);
        for (n, k) in [(10, 9), (10, 1), (1000, 10), (1000, 400), (3, 1)] {
            let picks = distinct_positions(&mut rng, n, k);
            let set: HashSet<usize> = picks.iter().copied().collect();
            assert_eq!((picks.len(), set.len()), (k, k));
            assert!(picks.iter().all(|&i| i < n));
        }
    }

    #[test]
    fn sscan_of_an_intset_and_of_a_hashtable() {
        let mut t = TestShard::new();
        assert_eq!(
            run(&mut t, "sscan s 0 count 0"),
            Reply::Array(vec![bulk("0"), Reply::Array(vec![])])
        );
        assert_eq!(run(&mut t, "sscan s x"), err("ERR invalid cursor"));
        run_with(&mut t, "sadd s", numbers(0..20));
        let r = run(&mut t, "sscan s 0 count 2 match 1*");
        let want: Vec<Reply> = [
            "1", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19",
        ]
        .iter()
        .map(|s| bulk(s))
        .collect();
        assert_eq!(r, Reply::Array(vec![bulk("0"), Reply::Array(want)]));
        assert_eq!(run(&mut t, "sscan s 0 count 0"), err("ERR syntax error"));
        run_with(&mut t, "sadd h", (0..100).map(|i| format!("m{i}")));
        let mut seen = Vec::new();
        let mut cursor = "0".to_string();
        loop {
            let Reply::Array(parts) = run(&mut t, &format!("sscan h {cursor} count 7")) else {
                panic!("not an array")
            };
            let [Reply::Bulk(next), items @ Reply::Array(_)] = &parts[..] else {
                panic!("bad reply {parts:?}")
            };
            seen.extend(texts(items));
            cursor = String::from_utf8_lossy(next).into_owned();
            if cursor == "0" {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 100);
    }
}
