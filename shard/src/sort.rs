//! SORT and SORT_RO: the elements of a list, set or sorted set, ordered numerically or
//! alphabetically, by themselves or by weights read from other keys (BY), returned as they are
//! or as values read from other keys (GET), optionally stored as a list (STORE).
//!
//! BY and GET read keys built from the elements; those must live on the sorted key's shard
//! (a hash tag keeps them there). A pattern that reaches a key owned by another shard is
//! answered with an error rather than a silent nil.

use std::cmp::Ordering;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::hash::Hash;
use crate::list::List;
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;
use crate::slot;
use crate::strtod::strtod;
use crate::value::{Kind, Value};

const ACL: &[&str] = &["write", "set", "sortedset", "list", "slow", "dangerous"];
const ACL_RO: &[&str] = &["read", "set", "sortedset", "list", "slow", "dangerous"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("sort", -2, WRITE | DENYOOM, (1, 1, 1), ACL, "generic", "Sort the elements in a list, set or sorted set", "1.0.0", Some(sort), Split::Transaction).movable(sort_keys),
    // Movable like SORT, as COMMAND reports it (BY/GET read keys named by the data), though
    // only the sorted key is declared.
    spec("sort_ro", -2, READONLY, (1, 1, 1), ACL_RO, "generic", "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", "7.0.0", Some(sort_ro), Split::None).movable(|_| vec![1]),
];

/// Positions of the STORE keywords that have a value after them, walking the options as
/// Redis's `sortGetKeys` does: LIMIT takes two arguments, BY and GET one, so a value named
/// "store" is not mistaken for the keyword.
fn store_positions(args: &[Bytes]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut i = 2;
    while i < args.len() {
        let skip = if args::is(&args[i], "LIMIT") {
            2
        } else if args::is(&args[i], "GET") || args::is(&args[i], "BY") {
            1
        } else if args::is(&args[i], "STORE") {
            if i + 1 < args.len() {
                found.push(i);
            }
            1
        } else {
            0
        };
        i += skip + 1;
    }
    found
}

/// The sorted key and the STORE destination, if any (the last STORE wins).
fn sort_keys(args: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    keys.extend(store_positions(args).last().map(|i| i + 1));
    keys
}

/// The destination of a SORT ... STORE, if the call has one.
pub fn store_key(args: &[Bytes]) -> Option<&Bytes> {
    store_positions(args).last().map(|&i| &args[i + 1])
}

/// Writes a sorted result to `dest` as a list (an empty result deletes it); returns its length.
pub fn store_result(ctx: &mut Ctx<'_>, dest: &[u8], items: Vec<Bytes>) -> usize {
    let n = items.len();
    let list = List::from_elements(items);
    ctx.store(dest, list, KeyspaceEvents::LIST, "sortstore");
    n
}

#[derive(Default)]
struct SortOptions {
    by: Option<Bytes>,
    /// BY a pattern without `*`: keep the collection's order.
    dont_sort: bool,
    limit: Option<(i64, i64)>,
    get: Vec<Bytes>,
    desc: bool,
    alpha: bool,
    store: Option<Bytes>,
}

fn parse(args: &[Bytes], read_only: bool) -> Result<SortOptions, CmdError> {
    let mut o = SortOptions::default();
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        let a = &args[i];
        if args::is(a, "ASC") {
            o.desc = false;
        } else if args::is(a, "DESC") {
            o.desc = true;
        } else if args::is(a, "ALPHA") {
            o.alpha = true;
        } else if args::is(a, "LIMIT") && left >= 2 {
            o.limit = Some((args::int(&args[i + 1])?, args::int(&args[i + 2])?));
            i += 2;
        } else if args::is(a, "STORE") && left >= 1 && !read_only {
            o.store = Some(args[i + 1].clone());
            i += 1;
        } else if args::is(a, "BY") && left >= 1 {
            let pattern = args[i + 1].clone();
            // Once a BY without `*` is seen the call stays unsorted, as in Redis.
            o.dont_sort |= !pattern.contains(&b'*');
            o.by = Some(pattern);
            i += 1;
        } else if args::is(a, "GET") && left >= 1 {
            o.get.push(args[i + 1].clone());
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

fn sort(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// One element being sorted and what it is compared by.
struct Item {
    elem: Bytes,
    score: f64,
    by: Option<Bytes>,
}

fn sort_generic(ctx: &mut Ctx<'_>, args: &[Bytes], read_only: bool) -> CmdResult {
    let mut o = parse(args, read_only)?;
    let out = run_sort(ctx, &args[1], &mut o)?;
    store_or_reply(ctx, &o, out)
}

/// What SORT ... STORE would store, without storing it: for a destination on another shard,
/// where the coordinator writes it. The call keeps its STORE option, which changes the sort
/// (an unsorted set is sorted anyway).
pub fn sorted_for_store(ctx: &mut Ctx<'_>, args: &[Bytes]) -> Result<Vec<Bytes>, CmdError> {
    let mut o = parse(args, false)?;
    let out = run_sort(ctx, &args[1], &mut o)?;
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

/// The sorted (and GET-mapped) output of SORT on `key`; empty for a missing key.
fn run_sort(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    o: &mut SortOptions,
) -> Result<Vec<Option<Bytes>>, CmdError> {
    let Some((mut elems, is_set)) = elements(ctx, key)? else {
        return Ok(Vec::new());
    };
    // Unsorted, a list or sorted set keeps its own order, which DESC reverses.
    if o.dont_sort && o.desc && !is_set {
        elems.reverse();
    }
    // Redis sorts a set anyway when it must be deterministic (STORE), since its order is
    // the hash table's.
    if o.dont_sort && o.store.is_some() && is_set {
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    let mut items = Vec::with_capacity(elems.len());
    for elem in elems.drain(..) {
        let mut item = Item {
            elem,
            score: 0.0,
            by: None,
        };
        if !o.dont_sort {
            let weight = match &o.by {
                Some(p) => lookup(ctx, p, &item.elem)?,
                None => Some(item.elem.clone()),
            };
            if o.alpha {
                item.by = weight;
            } else if let Some(w) = weight {
                item.score = parse_score(&w)?;
            }
        }
        items.push(item);
    }
    if !o.dont_sort {
        let by_pattern = o.by.is_some();
        items.sort_by(|a, b| {
            let c = compare(a, b, o.alpha, by_pattern);
            if o.desc {
                c.reverse()
            } else {
                c
            }
        });
    }
    let (start, end) = window(o.limit, items.len());
    let mut out = Vec::new();
    for item in items.iter().take(end).skip(start) {
        if o.get.is_empty() {
            out.push(Some(item.elem.clone()));
        }
        for pattern in &o.get {
            out.push(lookup(ctx, pattern, &item.elem)?);
        }
    }
    Ok(out)
}

/// Redis's LIMIT arithmetic: a negative offset is 0, a negative count means all.
fn window(limit: Option<(i64, i64)>, len: usize) -> (usize, usize) {
    let Some((offset, count)) = limit else {
        return (0, len);
    };
    let start = usize::try_from(offset.max(0))
        .unwrap_or(usize::MAX)
        .min(len);
    let end = if count < 0 {
        len
    } else {
        start
            .saturating_add(usize::try_from(count).unwrap_or(usize::MAX))
            .min(len)
    };
    (start, end)
}

fn compare(a: &Item, b: &Item, alpha: bool, by_pattern: bool) -> Ordering {
    if !alpha {
        // Equal weights fall back to the elements, so the result is deterministic.
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.elem.cmp(&b.elem));
    }
    if by_pattern {
        // A missing weight sorts first.
        return match (&a.by, &b.by) {
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        };
    }
    a.elem.cmp(&b.elem)
}

/// A weight as Redis's SORT reads it: `strtod` must take the whole (C) string, leading spaces
/// allowed and an empty string read as 0; NaN, or any result strtod flags ERANGE (overflow,
/// underflow, subnormal), is an error.
fn parse_score(w: &[u8]) -> Result<f64, CmdError> {
    let text = args::c_str(w);
    let p = strtod(text);
    if p.len != text.len() || p.erange() || p.value.is_nan() {
        return Err(CmdError::other(
            "ERR One or more scores can't be converted into double",
        ));
    }
    Ok(p.value)
}

/// The value a BY/GET pattern names for `elem`: `#` is the element itself; otherwise the
/// first `*` is replaced by the element, and `->field` reads a hash field.
fn lookup(ctx: &mut Ctx<'_>, pattern: &[u8], elem: &[u8]) -> Result<Option<Bytes>, CmdError> {
    if pattern == b"#" {
        return Ok(Some(Bytes::copy_from_slice(elem)));
    }
    let Some(star) = pattern.iter().position(|&c| c == b'*') else {
        return Ok(None);
    };
    let arrow = pattern[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|p| star + 1 + p)
        .filter(|&p| p + 2 < pattern.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    if ctx.shard.shards > 1 && slot::shard_of_key(&key, ctx.shard.shards) != ctx.shard.id {
        return Err(args::error_format(&[
            b"ERR SORT BY/GET pattern reaches key '",
            args::c_str(&key[..key.len().min(128)]),
            b"', which lives on another shard: ferrokv needs pattern keys on the sorted key's shard (use a hash tag)",
        ]));
    }
    let Some(entry) = ctx.read(&key) else {
        return Ok(None);
    };
    Ok(match arrow {
        Some(a) => Hash::of(&entry.value).and_then(|h| h.field(&pattern[a + 2..])),
        None => entry.value.as_str().map(|s| s.to_bytes()),
    })
}

/// The elements of the sorted key in its own order, and whether it is a set (whose order is
/// its hash table's); None when it does not exist.
fn elements(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Option<(Vec<Bytes>, bool)>, CmdError> {
    let Some(entry) = ctx.read(key) else {
        return Ok(None);
    };
    match &entry.value {
        Value::List(l) => Ok(Some((l.sort_elements(), false))),
        Value::Set(s) => Ok(Some((s.sort_elements(), true))),
        Value::ZSet(z) => Ok(Some((z.sort_elements(), false))),
        _ => Err(CmdError::WrongType),
    }
}

fn store_or_reply(ctx: &mut Ctx<'_>, o: &SortOptions, out: Vec<Option<Bytes>>) -> CmdResult {
    let Some(dest) = &o.store else {
        return Ok(Reply::Array(
            out.into_iter()
                .map(|v| v.map_or(Reply::Null, Reply::Bulk))
                .collect(),
        ));
    };
    let items = out.into_iter().map(Option::unwrap_or_default).collect();
    Ok(Reply::Int(store_result(ctx, dest, items) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_support::*;

    #[test]
    fn weights_read_like_strtod() {
        for (w, v) in [
            ("", 0.0),
            (" 1", 1.0),
            ("0x10", 16.0),
            ("-inf", f64::NEG_INFINITY),
        ] {
            assert_eq!(parse_score(w.as_bytes()), Ok(v), "{w:?}");
        }
        assert_eq!(parse_score(b"2\0junk"), Ok(2.0));
        for w in [
            "a", "1 ", "   ", "nan", "1e999", "5e-324", "1e-308", "1e-400",
        ] {
            assert!(parse_score(w.as_bytes()).is_err(), "{w:?}");
        }
    }

    #[test]
    fn limit_windows() {
        assert_eq!(window(None, 4), (0, 4));
        assert_eq!(window(Some((1, 2)), 4), (1, 3));
        assert_eq!(window(Some((-5, 2)), 4), (0, 2));
        assert_eq!(window(Some((1, -1)), 4), (1, 4));
        assert_eq!(window(Some((10, 2)), 4), (4, 4));
        assert_eq!(window(Some((i64::MAX, i64::MAX)), 4), (4, 4));
    }

    #[test]
    fn store_keys_skip_option_values() {
        let args = |line: &str| -> Vec<Bytes> {
            line.split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect()
        };
        let keys = |line: &str| sort_keys(&args(line));
        assert_eq!(keys("sort l"), vec![1]);
        assert_eq!(keys("sort l store d"), vec![1, 3]);
        assert_eq!(keys("sort l get store store d"), vec![1, 5]);
        assert_eq!(keys("sort l limit store store store e"), vec![1, 6]);
        assert_eq!(keys("sort l store a store b"), vec![1, 5]);
        assert_eq!(keys("sort l store"), vec![1]);
    }

    #[test]
    fn sorts_a_list_and_stores_it() {
        let mut t = TestShard::new();
        let replies = t.script(&[
            "rpush l 3 1 2",
            "sort l desc store d",
            "lrange d 0 -1",
            "sort l by nosort get #",
            "sort nokey store d",
            "exists d",
        ]);
        assert_eq!(
            replies,
            vec![
                int(3),
                int(3),
                bulks(&["3", "2", "1"]),
                bulks(&["3", "1", "2"]),
                int(0),
                int(0),
            ]
        );
    }
}
