//! Lists: the structure and its commands (Redis's t_list.c, without the blocking variants).

mod node;
mod quicklist;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::command::{self, flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;

pub use quicklist::{End, List};

const ACL_READ_FAST: &[&str] = &["read", "list", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "list", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "list", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "list", "slow"];

#[rustfmt::skip]
pub static COMMANDS: &[CommandSpec] = &[
    spec("lpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Prepend one or multiple elements to a list", "1.0.0", Some(lpush), Split::None),
    spec("rpush", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Append one or multiple elements to a list", "1.0.0", Some(rpush), Split::None),
    spec("lpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Prepend an element to a list, only if the list exists", "2.2.0", Some(lpushx), Split::None),
    spec("rpushx", -3, WRITE | DENYOOM | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Append an element to a list, only if the list exists", "2.2.0", Some(rpushx), Split::None),
    spec("lpop", -2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Remove and get the first elements in a list", "1.0.0", Some(lpop), Split::None),
    spec("rpop", -2, WRITE | FAST, (1, 1, 1), ACL_WRITE_FAST, "list", "Remove and get the last elements in a list", "1.0.0", Some(rpop), Split::None),
    spec("llen", 2, READONLY | FAST, (1, 1, 1), ACL_READ_FAST, "list", "Get the length of a list", "1.0.0", Some(llen), Split::None),
    spec("lrange", 4, READONLY, (1, 1, 1), ACL_READ_SLOW, "list", "Get a range of elements from a list", "1.0.0", Some(lrange), Split::None),
    spec("lindex", 3, READONLY, (1, 1, 1), ACL_READ_SLOW, "list", "Get an element from a list by its index", "1.0.0", Some(lindex), Split::None),
    spec("lset", 4, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, "list", "Set the value of an element in a list by its index", "1.0.0", Some(lset), Split::None),
    spec("linsert", 5, WRITE | DENYOOM, (1, 1, 1), ACL_WRITE_SLOW, "list", "Insert an element before or after another element in a list", "2.2.0", Some(linsert), Split::None),
    spec("lrem", 4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, "list", "Remove elements from a list", "1.0.0", Some(lrem), Split::None),
    spec("ltrim", 4, WRITE, (1, 1, 1), ACL_WRITE_SLOW, "list", "Trim a list to the specified range", "1.0.0", Some(ltrim), Split::None),
    spec("lpos", -3, READONLY, (1, 1, 1), ACL_READ_SLOW, "list", "Return the index of matching elements on a list", "6.0.6", Some(lpos), Split::None),
    spec("lmove", 5, WRITE | DENYOOM, (1, 2, 1), ACL_WRITE_SLOW, "list", "Pop an element from a list, push it to another list and return it", "6.2.0", Some(lmove), Split::Transaction),
    spec("rpoplpush", 3, WRITE | DENYOOM, (1, 2, 1), ACL_WRITE_SLOW, "list", "Remove the last element in a list, prepend it to another list and return it", "1.2.0", Some(rpoplpush), Split::Transaction),
    spec("lmpop", -4, WRITE, (0, 0, 0), ACL_WRITE_SLOW, "list", "Pop elements from a list", "7.0.0", Some(lmpop), Split::Transaction).movable(lmpop_keys),
];

fn lmpop_keys(args: &[Bytes]) -> Vec<usize> {
    command::keys_after_numkeys(args, 1)
}

/// LEFT or RIGHT, as Redis's `getListPositionFromObjectOrReply`.
fn end_arg(arg: &[u8]) -> Result<End, CmdError> {
    if args::is(arg, "LEFT") {
        Ok(End::Head)
    } else if args::is(arg, "RIGHT") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// The event of a push at `end`.
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// The event of a pop from `end`.
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// Raises a list event on `key`.
fn notify(ctx: &mut Ctx<'_>, event: &'static str, key: &[u8]) {
    ctx.notify(KeyspaceEvents::LIST, event, key);
}

/// The events of a pop that took `popped` elements from `key`: the pop, then `del` if it
/// emptied the list.
fn notify_popped(ctx: &mut Ctx<'_>, key: &[u8], end: End, popped: bool) {
    if popped {
        notify(ctx, pop_event(end), key);
    }
    ctx.drop_if_empty(key);
}

fn element(elem: &[u8]) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(elem))
}

/// An index counted from the tail when negative; `None` outside the list.
fn element_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

fn push(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, only_existing: bool) -> CmdResult {
    let key = &args[1];
    let list = if only_existing {
        match ctx.write_as::<List>(key)? {
            Some(list) => list,
            None => return Ok(Reply::Int(0)),
        }
    } else {
        ctx.create_as(key, List::new)?
    };
    for elem in &args[2..] {
        list.push(end, elem);
    }
    let len = list.len();
    notify(ctx, push_event(end), key);
    Ok(Reply::Int(len as i64))
}

fn lpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    push(ctx, args, End::Tail, true)
}

/// Pops up to `count` elements from `end`, in the order they leave the list.
fn pop_many(list: &mut List, end: End, count: u64) -> Reply {
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(list.len());
    Reply::Array(
        (0..n)
            .filter_map(|_| list.pop(end))
            .map(Reply::Bulk)
            .collect(),
    )
}

/// LPOP/RPOP: one element as a bulk string, or with a count an array (null array for a
/// missing key, empty array for a count of 0).
fn pop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End, name: &str) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::other(format!(
            "ERR wrong number of arguments for '{name}' command"
        )));
    }
    let count = args.get(2).map(|a| args::non_negative(a)).transpose()?;
    let key = &args[1];
    let Some(list) = ctx.write_as::<List>(key)? else {
        return Ok(match count {
            Some(_) => Reply::NullArray,
            None => Reply::Null,
        });
    };
    let reply = match count {
        None => list.pop(end).map_or(Reply::Null, Reply::Bulk),
        Some(n) => pop_many(list, end, n),
    };
    // A stored list is never empty: only a count of 0 pops nothing.
    notify_popped(ctx, key, end, count != Some(0));
    Ok(reply)
}

fn lpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(ctx, args, End::Head, "lpop")
}

fn rpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    pop(ctx, args, End::Tail, "rpop")
}

fn llen(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let len = ctx.read_as::<List>(&args[1])?.map_or(0, |l| l.len());
    Ok(Reply::Int(len as i64))
}

fn lrange(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (start, end) = (args::int(&args[2])?, args::int(&args[3])?);
    let Some(list) = ctx.read_as::<List>(&args[1])? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some((first, last)) = args::index_range(start, end, list.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::Array(
        list.iter_from(first)
            .take(last - first + 1)
            .map(element)
            .collect(),
    ))
}

fn lindex(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let Some(list) = ctx.read_as::<List>(&args[1])? else {
        return Ok(Reply::Null);
    };
    let index = args::int(&args[2])?;
    Ok(element_index(index, list.len())
        .and_then(|i| list.get(i))
        .map_or(Reply::Null, element))
}

fn lset(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let list = ctx.write_as::<List>(&args[1])?.ok_or(CmdError::NoSuchKey)?;
    let index = args::int(&args[2])?;
    match element_index(index, list.len()) {
        Some(i) if list.set(i, &args[3]) => {
            notify(ctx, "lset", &args[1]);
            Ok(Reply::ok())
        }
        _ => Err(CmdError::other("ERR index out of range")),
    }
}

fn linsert(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let after = if args::is(&args[2], "AFTER") {
        true
    } else if args::is(&args[2], "BEFORE") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(list) = ctx.write_as::<List>(&args[1])? else {
        return Ok(Reply::Int(0));
    };
    let Some(pivot) = list.iter().position(|e| e == &args[3][..]) else {
        return Ok(Reply::Int(-1));
    };
    list.insert(pivot + usize::from(after), &args[4]);
    let len = list.len();
    notify(ctx, "linsert", &args[1]);
    Ok(Reply::Int(len as i64))
}

fn lrem(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let count = args::int(&args[2])?;
    let key = &args[1];
    let Some(list) = ctx.write_as::<List>(key)? else {
        return Ok(Reply::Int(0));
    };
    let removed = list.remove_matching(&args[3], count);
    if removed > 0 {
        notify(ctx, "lrem", key);
        ctx.drop_if_empty(key);
    }
    Ok(Reply::Int(removed as i64))
}

fn ltrim(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (start, end) = (args::int(&args[2])?, args::int(&args[3])?);
    let key = &args[1];
    let Some(list) = ctx.write_as::<List>(key)? else {
        return Ok(Reply::ok());
    };
    let len = list.len();
    let (head, tail) = match args::index_range(start, end, len) {
        Some((first, last)) => (first, len - 1 - last),
        None => (len, 0),
    };
    list.remove_end(End::Head, head);
    list.remove_end(End::Tail, tail);
    notify(ctx, "ltrim", key);
    ctx.drop_if_empty(key);
    Ok(Reply::ok())
}

/// LPOS key element [RANK rank] [COUNT num] [MAXLEN len]. Options are read before the key,
/// so their errors win over WRONGTYPE.
fn lpos(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0u64);
    let mut i = 3;
    while i < args.len() {
        let (opt, value) = match args.get(i + 1) {
            Some(value) => (&args[i], value),
            None => return Err(CmdError::Syntax),
        };
        if args::is(opt, "RANK") {
            rank = args::int(value)?;
            if rank == 0 {
                return Err(CmdError::other(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if args::is(opt, "COUNT") {
            count = Some(
                args::non_negative(value)
                    .map_err(|_| CmdError::other("ERR COUNT can't be negative"))?,
            );
        } else if args::is(opt, "MAXLEN") {
            maxlen = args::non_negative(value)
                .map_err(|_| CmdError::other("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let Some(list) = ctx.read_as::<List>(&args[1])? else {
        return Ok(match count {
            Some(_) => Reply::Array(Vec::new()),
            None => Reply::Null,
        });
    };
    // Redis negates a negative rank to scan from the tail; LONG_MIN stays negative there, so
    // every match counts from the first one and COUNT stops nothing. Kept for compatibility.
    let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let from_tail = rank < 0;
    let (skip, wanted) = match (rank, count) {
        (i64::MIN, None) => (0, 1),
        (i64::MIN, Some(_)) => (0, usize::MAX),
        (_, None) => (to_usize(rank.unsigned_abs() - 1), 1),
        (_, Some(0)) => (to_usize(rank.unsigned_abs() - 1), usize::MAX),
        (_, Some(c)) => (to_usize(rank.unsigned_abs() - 1), to_usize(c)),
    };
    let scanned = match maxlen {
        0 => usize::MAX,
        m => to_usize(m),
    };
    let len = list.len();
    let elem = &args[2][..];
    let elements: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(list.iter().rev())
    } else {
        Box::new(list.iter())
    };
    let mut positions = elements
        .take(scanned)
        .enumerate()
        .filter(|(_, e)| *e == elem)
        .map(|(k, _)| Reply::Int(if from_tail { len - 1 - k } else { k } as i64))
        .skip(skip)
        .take(wanted);
    Ok(match count {
        Some(_) => Reply::Array(positions.collect()),
        None => positions.next().unwrap_or(Reply::Null),
    })
}

/// Pops from `src` and pushes onto `dst` (the same key rotates the list). A missing `src`
/// answers nil before `dst`'s type is checked; a wrong `dst` type pops nothing. Redis raises
/// the push on `dst` before the pop on `src`.
fn move_element(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    if ctx.write_as::<List>(src)?.is_none() {
        return Ok(Reply::Null);
    }
    ctx.check_type::<List>(dst)?;
    let Some(value) = ctx.write_as::<List>(src)?.and_then(|l| l.pop(from)) else {
        return Ok(Reply::Null);
    };
    ctx.create_as(dst, List::new)?.push(to, &value);
    notify(ctx, push_event(to), dst);
    notify_popped(ctx, src, from, true);
    Ok(Reply::Bulk(value))
}

fn lmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (from, to) = (end_arg(&args[3])?, end_arg(&args[4])?);
    move_element(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    move_element(ctx, &args[1], &args[2], End::Tail, End::Head)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: pops from the first non-empty list
/// and answers `[key, [elements]]`, or a null array when every list is empty.
fn lmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let numkeys = match args::int(&args[1]) {
        Ok(n) if n > 0 => n as u64,
        _ => return Err(CmdError::other("ERR numkeys should be greater than 0")),
    };
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&w| w < args.len())
        .ok_or(CmdError::Syntax)?;
    let end = end_arg(&args[where_at])?;
    let mut count = None;
    let mut i = where_at + 1;
    while i < args.len() {
        match args.get(i + 1) {
            Some(value) if count.is_none() && args::is(&args[i], "COUNT") => {
                count = Some(match args::int(value) {
                    Ok(c) if c > 0 => c as u64,
                    _ => return Err(CmdError::other("ERR count should be greater than 0")),
                });
            }
            _ => return Err(CmdError::Syntax),
        }
        i += 2;
    }
    for key in &args[2..where_at] {
        let Some(list) = ctx.write_as::<List>(key)? else {
            continue;
        };
        let popped = pop_many(list, end, count.unwrap_or(1));
        notify_popped(ctx, key, end, true);
        return Ok(Reply::Array(vec![Reply::Bulk(key.clone()), popped]));
    }
    Ok(Reply::NullArray)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::string::test_support::*;

    const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
    const SYNTAX: &str = "ERR syntax error";
    const NOT_INT: &str = "ERR value is not an integer or out of range";

    fn ints(items: &[i64]) -> Reply {
        Reply::Array(items.iter().map(|&i| int(i)).collect())
    }

    fn run(t: &mut TestShard, line: &str) -> Reply {
        t.run(&line.split(' ').collect::<Vec<_>>())
    }

    #[test]
    fn push_pop_and_range() {
        let mut t = TestShard::new();
        assert_eq!(run(&mut t, "rpush l a b c"), int(3));
        assert_eq!(run(&mut t, "lpush l x y"), int(5));
        assert_eq!(
            run(&mut t, "lrange l 0 -1"),
            bulks(&["y", "x", "a", "b", "c"])
        );
        assert_eq!(run(&mut t, "lpushx nokey a"), int(0));
        assert_eq!(run(&mut t, "rpushx l d e"), int(7));
        assert_eq!(run(&mut t, "exists nokey"), int(0));
        assert_eq!(run(&mut t, "lpop l"), bulk("y"));
        assert_eq!(run(&mut t, "rpop l 2"), bulks(&["e", "d"]));
        assert_eq!(run(&mut t, "lpop l 0"), Reply::Array(vec![]));
        assert_eq!(run(&mut t, "lpop l 100"), bulks(&["x", "a", "b", "c"]));
        assert_eq!(run(&mut t, "exists l"), int(0));
        assert_eq!(run(&mut t, "lpop l"), Reply::Null);
        assert_eq!(run(&mut t, "lpop l 0"), Reply::NullArray);
        assert_eq!(run(&mut t, "rpop l 3"), Reply::NullArray);
        assert_eq!(
            run(&mut t, "lpop l -1"),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            run(&mut t, "rpop l 1 2"),
            err("ERR wrong number of arguments for 'rpop' command")
        );
        assert_eq!(run(&mut t, "object encoding l"), Reply::Null);
        run(&mut t, "rpush l a");
        assert_eq!(run(&mut t, "object encoding l"), bulk("quicklist"));
        assert_eq!(run(&mut t, "type l"), Reply::Simple("list".into()));
    }

    #[test]
    fn wrong_type_everywhere() {
        let mut t = TestShard::new();
        run(&mut t, "set s x");
        run(&mut t, "rpush l a");
        for line in [
            "lpush s a",
            "rpushx s a",
            "lpop s",
            "rpop s 0",
            "llen s",
            "lrange s 0 1",
            "lindex s 0",
            "lindex s abc",
            "lset s 0 x",
            "linsert s before a b",
            "lrem s 0 a",
            "ltrim s 0 1",
            "lpos s a",
            "lmove s l left left",
            "lmove l s left left",
            "rpoplpush l s",
            "lmpop 2 nokey s left",
        ] {
            assert_eq!(run(&mut t, line), err(WRONGTYPE), "{line}");
        }
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["a"]));
        // A missing source answers nil before the destination is looked at.
        assert_eq!(run(&mut t, "lmove nokey s left left"), Reply::Null);
        // Argument errors come before the key's type is checked.
        assert_eq!(run(&mut t, "lrange s a 0"), err(NOT_INT));
        assert_eq!(run(&mut t, "linsert s middle a b"), err(SYNTAX));
        assert_eq!(run(&mut t, "lmove s l up left"), err(SYNTAX));
        assert_eq!(
            run(&mut t, "lpop s -1"),
            err("ERR value is out of range, must be positive")
        );
        assert_eq!(
            run(&mut t, "lpos s a count -1"),
            err("ERR COUNT can't be negative")
        );
    }

    #[test]
    fn index_set_insert() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l a b c");
        assert_eq!(run(&mut t, "lindex l 0"), bulk("a"));
        assert_eq!(run(&mut t, "lindex l -1"), bulk("c"));
        assert_eq!(run(&mut t, "lindex l 3"), Reply::Null);
        assert_eq!(run(&mut t, "lindex l -4"), Reply::Null);
        assert_eq!(run(&mut t, "lindex l -9223372036854775808"), Reply::Null);
        assert_eq!(run(&mut t, "lindex l x"), err(NOT_INT));
        assert_eq!(run(&mut t, "lindex nokey x"), Reply::Null);
        assert_eq!(run(&mut t, "lset l -1 z"), ok());
        assert_eq!(run(&mut t, "lset l 3 z"), err("ERR index out of range"));
        assert_eq!(run(&mut t, "lset l x z"), err(NOT_INT));
        assert_eq!(run(&mut t, "lset nokey 0 z"), err("ERR no such key"));
        assert_eq!(run(&mut t, "linsert l before b x"), int(4));
        assert_eq!(run(&mut t, "linsert l AFTER z y"), int(5));
        assert_eq!(run(&mut t, "linsert l after nothere y"), int(-1));
        assert_eq!(run(&mut t, "linsert nokey after a y"), int(0));
        assert_eq!(
            run(&mut t, "lrange l 0 -1"),
            bulks(&["a", "x", "b", "z", "y"])
        );
    }

    #[test]
    fn ranges_and_trims() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l 0 1 2 3 4 5");
        for (range, want) in [
            ("0 2", &["0", "1", "2"][..]),
            ("-2 -1", &["4", "5"]),
            ("-100 1", &["0", "1"]),
            ("4 100", &["4", "5"]),
            ("3 2", &[]),
            ("6 10", &[]),
            ("-1 -2", &[]),
            (
                "-9223372036854775808 9223372036854775807",
                &["0", "1", "2", "3", "4", "5"],
            ),
        ] {
            assert_eq!(
                run(&mut t, &format!("lrange l {range}")),
                bulks(want),
                "{range}"
            );
        }
        assert_eq!(run(&mut t, "lrange nokey 0 -1"), bulks(&[]));
        assert_eq!(run(&mut t, "ltrim l 1 -2"), ok());
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["1", "2", "3", "4"]));
        assert_eq!(run(&mut t, "ltrim l -3 100"), ok());
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["2", "3", "4"]));
        assert_eq!(run(&mut t, "ltrim nokey 0 1"), ok());
        assert_eq!(run(&mut t, "ltrim l 0 x"), err(NOT_INT));
        assert_eq!(run(&mut t, "ltrim l 2 1"), ok());
        assert_eq!(run(&mut t, "exists l"), int(0));
    }

    #[test]
    fn lrem_counts_and_directions() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l a b a c a b a");
        assert_eq!(run(&mut t, "lrem l 2 a"), int(2));
        assert_eq!(
            run(&mut t, "lrange l 0 -1"),
            bulks(&["b", "c", "a", "b", "a"])
        );
        assert_eq!(run(&mut t, "lrem l -1 b"), int(1));
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["b", "c", "a", "a"]));
        assert_eq!(run(&mut t, "lrem l 0 a"), int(2));
        assert_eq!(run(&mut t, "lrem l x a"), err(NOT_INT));
        assert_eq!(run(&mut t, "lrem nokey 0 a"), int(0));
        assert_eq!(run(&mut t, "lrem l -9223372036854775808 b"), int(1));
        assert_eq!(run(&mut t, "lrem l 0 c"), int(1));
        assert_eq!(run(&mut t, "exists l"), int(0));
    }

    #[test]
    fn lpos_options() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l a b c a b c a");
        let rank0 = err(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
             or use negative to start from the end of the list",
        );
        for (opts, want) in [
            ("", int(0)),
            ("RANK 2", int(3)),
            ("RANK -1", int(6)),
            ("RANK -2", int(3)),
            ("RANK 4", Reply::Null),
            ("COUNT 0", ints(&[0, 3, 6])),
            ("COUNT 2", ints(&[0, 3])),
            ("RANK -2 COUNT 0", ints(&[3, 0])),
            ("COUNT 0 MAXLEN 4", ints(&[0, 3])),
            ("RANK -1 COUNT 0 MAXLEN 4", ints(&[6, 3])),
            ("RANK 1 RANK 2", int(3)),
            ("COUNT 2 COUNT 0", ints(&[0, 3, 6])),
            ("RANK -9223372036854775808", int(6)),
            ("RANK -9223372036854775808 COUNT 1", ints(&[6, 3, 0])),
            ("RANK -9223372036854775808 MAXLEN 2 COUNT 0", ints(&[6])),
            ("RANK -9223372036854775807", Reply::Null),
            ("RANK 9223372036854775807 COUNT 0", ints(&[])),
            ("RANK 9223372036854775808", err(NOT_INT)),
            ("RANK 0", rank0.clone()),
            ("RANK 0 FOO", rank0.clone()),
            ("FOO RANK 0", err(SYNTAX)),
            ("RANK", err(SYNTAX)),
            ("COUNT 1 RANK", err(SYNTAX)),
            ("COUNT abc", err("ERR COUNT can't be negative")),
            ("MAXLEN -1", err("ERR MAXLEN can't be negative")),
            ("MAXLEN abc", err("ERR MAXLEN can't be negative")),
        ] {
            let line = format!("lpos l a {opts}");
            assert_eq!(run(&mut t, line.trim_end()), want, "{opts}");
        }
        assert_eq!(run(&mut t, "lpos l zz"), Reply::Null);
        assert_eq!(run(&mut t, "lpos l zz COUNT 0"), ints(&[]));
        assert_eq!(run(&mut t, "lpos nokey a"), Reply::Null);
        assert_eq!(run(&mut t, "lpos nokey a COUNT 1"), ints(&[]));
        assert_eq!(run(&mut t, "lpos nokey a RANK 0"), rank0);
    }

    #[test]
    fn lmove_and_rpoplpush() {
        let mut t = TestShard::new();
        run(&mut t, "rpush a 1 2 3");
        assert_eq!(run(&mut t, "lmove a b left right"), bulk("1"));
        assert_eq!(run(&mut t, "lmove a b RIGHT LEFT"), bulk("3"));
        assert_eq!(run(&mut t, "lrange b 0 -1"), bulks(&["3", "1"]));
        assert_eq!(run(&mut t, "rpoplpush a b"), bulk("2"));
        assert_eq!(run(&mut t, "exists a"), int(0));
        assert_eq!(run(&mut t, "rpoplpush a b"), Reply::Null);
        assert_eq!(run(&mut t, "lrange b 0 -1"), bulks(&["2", "3", "1"]));
        // One key rotates.
        assert_eq!(run(&mut t, "lmove b b left right"), bulk("2"));
        assert_eq!(run(&mut t, "rpoplpush b b"), bulk("2"));
        assert_eq!(run(&mut t, "lrange b 0 -1"), bulks(&["2", "3", "1"]));
        run(&mut t, "rpush one x");
        assert_eq!(run(&mut t, "lmove one one left left"), bulk("x"));
        assert_eq!(run(&mut t, "lrange one 0 -1"), bulks(&["x"]));
    }

    #[test]
    fn lmpop_parsing_and_replies() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l 1 2 3");
        run(&mut t, "set s x");
        let numkeys = err("ERR numkeys should be greater than 0");
        let count = err("ERR count should be greater than 0");
        for (line, want) in [
            ("lmpop 0 a left", numkeys.clone()),
            ("lmpop -1 a left", numkeys.clone()),
            ("lmpop abc a left", numkeys),
            ("lmpop 2 a left", err(SYNTAX)),
            ("lmpop 1 a middle", err(SYNTAX)),
            ("lmpop 1 a left count 0", count.clone()),
            ("lmpop 1 a left count abc", count),
            ("lmpop 1 a left count", err(SYNTAX)),
            ("lmpop 1 a left count 1 count 1", err(SYNTAX)),
            ("lmpop 1 a left foo", err(SYNTAX)),
            ("lmpop 9223372036854775807 a left", err(SYNTAX)),
            ("lmpop 2 nokey s left", err(WRONGTYPE)),
            ("lmpop 1 nokey left", Reply::NullArray),
            (
                "lmpop 3 nokey l s left",
                Reply::Array(vec![bulk("l"), bulks(&["1"])]),
            ),
            (
                "lmpop 1 l RIGHT COUNT 9223372036854775807",
                Reply::Array(vec![bulk("l"), bulks(&["3", "2"])]),
            ),
            ("exists l", int(0)),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
        let spec = COMMANDS.iter().find(|s| s.name == "lmpop").map(|s| {
            let args: Vec<Bytes> = ["lmpop", "2", "a", "b", "left"]
                .iter()
                .map(|s| Bytes::from_static(s.as_bytes()))
                .collect();
            s.key_positions(&args).collect::<Vec<_>>()
        });
        assert_eq!(spec, Some(vec![2, 3]));
    }

    #[test]
    fn keyspace_hits_count_reads_only() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l a");
        run(&mut t, "lpop nokey");
        assert_eq!(t.shard.stats.keyspace_hits, 0);
        assert_eq!(t.shard.stats.keyspace_misses, 0);
        run(&mut t, "lrange l 0 -1");
        run(&mut t, "llen nokey");
        assert_eq!(t.shard.stats.keyspace_hits, 1);
        assert_eq!(t.shard.stats.keyspace_misses, 1);
    }
}
