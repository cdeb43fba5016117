//! Lists: the structure and its commands (Redis's t_list.c).

mod node;
mod quicklist;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::blocking::{self, TimeoutUnit};
use crate::command::{self, flag::*, spec, CommandSpec, Split};
use crate::error::{CmdError, CmdResult};
use crate::notify::KeyspaceEvents;
use crate::shard::Ctx;

pub use quicklist::{End, List};

const ACL_READ_FAST: &[&str] = &["read", "list", "fast"];
const ACL_READ_SLOW: &[&str] = &["read", "list", "slow"];
const ACL_WRITE_FAST: &[&str] = &["write", "list", "fast"];
const ACL_WRITE_SLOW: &[&str] = &["write", "list", "slow"];
const ACL_BLOCKING: &[&str] = &["write", "list", "slow", "blocking"];

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
    spec("blpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), ACL_BLOCKING, "list", "Remove and get the first element in a list, or block until one is available", "2.0.0", Some(blpop), Split::Transaction),
    spec("brpop", -3, WRITE | NOSCRIPT | BLOCKING, (1, -2, 1), ACL_BLOCKING, "list", "Remove and get the last element in a list, or block until one is available", "2.0.0", Some(brpop), Split::Transaction),
    spec("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), ACL_BLOCKING, "list", "Pop an element from a list, push it to another list and return it; or block until one is available", "6.2.0", Some(blmove), Split::Transaction),
    spec("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, (1, 2, 1), ACL_BLOCKING, "list", "Pop an element from a list, push it to another list and return it; or block until one is available", "2.2.0", Some(brpoplpush), Split::Transaction),
    spec("blmpop", -5, WRITE | BLOCKING, (0, 0, 0), ACL_BLOCKING, "list", "Pop elements from a list, or block until one is available", "7.0.0", Some(blmpop), Split::Transaction).movable(blmpop_keys),
];

fn lmpop_keys(args: &[Bytes]) -> Vec<usize> {
    command::keys_after_numkeys(args, 1)
}

/// BLMPOP's keys: `numkeys` comes after the timeout.
fn blmpop_keys(args: &[Bytes]) -> Vec<usize> {
    command::keys_after_numkeys(args, 2)
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

/// Pops up to `count` elements from `end` of the list at `key`, in the order they leave it,
/// deleting the key when it empties.
fn pop_from(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) -> Result<Vec<Bytes>, CmdError> {
    let Some(list) = ctx.write_as::<List>(key)? else {
        return Ok(Vec::new());
    };
    let n = count.min(list.len());
    let popped: Vec<Bytes> = (0..n).filter_map(|_| list.pop(end)).collect();
    notify_popped(ctx, key, end, !popped.is_empty());
    Ok(popped)
}

fn elements_reply(elements: Vec<Bytes>) -> Reply {
    Reply::Array(elements.into_iter().map(Reply::Bulk).collect())
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
    if ctx.write_as::<List>(key)?.is_none() {
        return Ok(match count {
            Some(_) => Reply::NullArray,
            None => Reply::Null,
        });
    }
    let n = count.map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let popped = pop_from(ctx, key, end, n)?;
    Ok(match count {
        None => popped.into_iter().next().map_or(Reply::Null, Reply::Bulk),
        Some(_) => elements_reply(popped),
    })
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
    let (keys, end, count) = args::mpop(args, 1, end_arg)?;
    Ok(mpop_first(ctx, keys, end, count)?.unwrap_or(Reply::NullArray))
}

/// LMPOP's `[key, [elements]]` from the first of `keys` holding a list; None when none does.
fn mpop_first(
    ctx: &mut Ctx<'_>,
    keys: &[Bytes],
    end: End,
    count: usize,
) -> Result<Option<Reply>, CmdError> {
    let Some(key) = ctx.first_of::<List>(keys)? else {
        return Ok(None);
    };
    let popped = pop_from(ctx, key, end, count)?;
    Ok(Some(Reply::Array(vec![
        Reply::Bulk(key.clone()),
        elements_reply(popped),
    ])))
}

/// BLPOP/BRPOP key [key ...] timeout: `[key, element]` from the first non-empty list.
fn blocking_pop(ctx: &mut Ctx<'_>, args: &[Bytes], end: End) -> CmdResult {
    let Some((timeout, [_, keys @ ..])) = args.split_last() else {
        return Err(CmdError::Syntax);
    };
    let deadline = blocking::parse_timeout(timeout, TimeoutUnit::Seconds, ctx.now_ms)?;
    let Some(key) = ctx.first_of::<List>(keys)? else {
        return blocking::nothing_yet(ctx, keys, deadline, Reply::NullArray);
    };
    let popped = pop_from(ctx, key, end, 1)?;
    Ok(match popped.into_iter().next() {
        Some(elem) => Reply::Array(vec![Reply::Bulk(key.clone()), Reply::Bulk(elem)]),
        None => Reply::NullArray,
    })
}

fn blpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    blocking_pop(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    blocking_pop(ctx, args, End::Tail)
}

/// BLMOVE/BRPOPLPUSH: LMOVE once the source holds a list. Only the source is waited on; a
/// destination of another type is found when there is something to move.
fn blocking_move(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    from: End,
    to: End,
    timeout: &[u8],
) -> CmdResult {
    let deadline = blocking::parse_timeout(timeout, TimeoutUnit::Seconds, ctx.now_ms)?;
    let src = &args[1];
    if ctx.write_as::<List>(src)?.is_none() {
        let keys = std::slice::from_ref(src);
        return blocking::nothing_yet(ctx, keys, deadline, Reply::Null);
    }
    move_element(ctx, src, &args[2], from, to)
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout.
fn blmove(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (from, to) = (end_arg(&args[3])?, end_arg(&args[4])?);
    blocking_move(ctx, args, from, to, &args[5])
}

fn brpoplpush(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    blocking_move(ctx, args, End::Tail, End::Head, &args[3])
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the timeout is read after
/// the rest, as Redis does.
fn blmpop(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let (keys, end, count) = args::mpop(args, 2, end_arg)?;
    let deadline = blocking::parse_timeout(&args[1], TimeoutUnit::Seconds, ctx.now_ms)?;
    match mpop_first(ctx, keys, end, count)? {
        Some(reply) => Ok(reply),
        None => blocking::nothing_yet(ctx, keys, deadline, Reply::NullArray),
    }
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

    const NOW: u64 = 1_700_000_000_000;

    fn pair(key: &str, elem: &str) -> Reply {
        bulks(&[key, elem])
    }

    fn answers(t: &mut TestShard, line: &str) -> Reply {
        t.run_may_block(line)
            .unwrap_or_else(|on| panic!("{line} waits on {on:?}"))
    }

    #[test]
    fn blpop_and_brpop_serve_the_first_non_empty_list() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l a b c");
        run(&mut t, "rpush m x");
        assert_eq!(run(&mut t, "blpop nokey l m 0"), pair("l", "a"));
        assert_eq!(run(&mut t, "brpop nokey l 0.01"), pair("l", "c"));
        assert_eq!(answers(&mut t, "BRPOP m l 1.5"), pair("m", "x"));
        assert_eq!(run(&mut t, "exists m"), int(0));
        assert_eq!(answers(&mut t, "blpop l l 0"), pair("l", "b"));
        assert_eq!(run(&mut t, "exists l"), int(0));
        // Inside MULTI or a script nothing waits: the timeout reply at once, even for 0.
        assert_eq!(run(&mut t, "blpop l m 0"), Reply::NullArray);
        assert_eq!(run(&mut t, "brpop l 0.01"), Reply::NullArray);
    }

    #[test]
    fn blpop_waits_on_its_keys_until_its_deadline() {
        let mut t = TestShard::new();
        assert_eq!(t.waits("blpop a b a 0"), blocked(&["a", "b", "a"], None));
        for (timeout, deadline) in [
            ("0.01", Some(NOW + 10)),
            ("0.0001", Some(NOW + 1)),
            ("1e-10", Some(NOW + 1)),
            ("2.0005", Some(NOW + 2001)),
            ("0x10", Some(NOW + 16_000)),
            ("-0.001", None),
            ("0.0", None),
        ] {
            let on = t.waits(&format!("brpop a {timeout}"));
            assert_eq!(on.deadline_ms, deadline, "{timeout}");
        }
        // The server re-runs the call once a key is written.
        run(&mut t, "rpush b 1 2");
        assert_eq!(answers(&mut t, "blpop a b a 0"), pair("b", "1"));
    }

    #[test]
    fn blocking_pops_check_types_in_key_order() {
        let mut t = TestShard::new();
        run(&mut t, "set s x");
        run(&mut t, "sadd set x");
        run(&mut t, "rpush l a b c");
        for line in [
            "blpop nokey s l 0",
            "brpop s 0",
            "blpop set 0",
            "blmove s l left left 0",
            "blmove l s left left 0",
            "brpoplpush l s 0",
            "blmpop 0 2 nokey s left",
        ] {
            assert_eq!(run(&mut t, line), err(WRONGTYPE), "{line}");
            assert_eq!(answers(&mut t, line), err(WRONGTYPE), "{line}");
        }
        // A key of another type after the one served is not looked at.
        assert_eq!(run(&mut t, "blpop l s 0"), pair("l", "a"));
        assert_eq!(
            run(&mut t, "blmpop 0 2 l s right"),
            Reply::Array(vec![bulk("l"), bulks(&["c"])])
        );
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["b"]));
        // An empty source waits (or answers nil) whatever the destination holds.
        assert_eq!(run(&mut t, "blmove nokey s left left 0"), Reply::Null);
        assert_eq!(t.waits("brpoplpush nokey s 0"), blocked(&["nokey"], None));
    }

    #[test]
    fn blocking_timeouts_are_checked_first() {
        let mut t = TestShard::new();
        run(&mut t, "set s x");
        run(&mut t, "rpush l a");
        let not_float = err("ERR timeout is not a float or out of range");
        let negative = err("ERR timeout is negative");
        for (line, want) in [
            ("blpop s abc", not_float.clone()),
            ("blpop l abc", not_float.clone()),
            ("brpop l 1e5000", not_float.clone()),
            ("blpop l nan", not_float.clone()),
            ("blpop l -1", negative.clone()),
            ("blpop l -0.002", negative.clone()),
            ("brpop l inf", negative.clone()),
            ("blpop l 9223372036854775807", negative.clone()),
            ("brpoplpush s l x", not_float.clone()),
            ("brpoplpush l l -1", negative.clone()),
            ("blmove s l left left x", not_float.clone()),
            ("blmove l l left left -5", negative),
            ("blmove s l up left x", err(SYNTAX)),
            ("blmove s l left up x", err(SYNTAX)),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
        assert_eq!(run(&mut t, "lrange l 0 -1"), bulks(&["a"]));
    }

    #[test]
    fn blmove_and_brpoplpush() {
        let mut t = TestShard::new();
        run(&mut t, "rpush a 1 2 3");
        assert_eq!(run(&mut t, "blmove a b left right 0"), bulk("1"));
        assert_eq!(answers(&mut t, "BLMOVE a b RIGHT LEFT 0.5"), bulk("3"));
        assert_eq!(run(&mut t, "brpoplpush a b 0"), bulk("2"));
        assert_eq!(run(&mut t, "exists a"), int(0));
        assert_eq!(run(&mut t, "lrange b 0 -1"), bulks(&["2", "3", "1"]));
        // One key rotates.
        assert_eq!(run(&mut t, "blmove b b left right 0"), bulk("2"));
        assert_eq!(run(&mut t, "brpoplpush b b 0"), bulk("2"));
        assert_eq!(run(&mut t, "lrange b 0 -1"), bulks(&["2", "3", "1"]));
        // A null bulk where it cannot wait, but a null array once a wait times out.
        assert_eq!(run(&mut t, "blmove a b left left 0"), Reply::Null);
        assert_eq!(run(&mut t, "brpoplpush a b 0"), Reply::Null);
        assert_eq!(
            t.waits("blmove a b left left 0.25"),
            blocked(&["a"], Some(NOW + 250))
        );
        assert_eq!(t.waits("brpoplpush a a 0"), blocked(&["a"], None));
        run(&mut t, "lpush a x");
        assert_eq!(answers(&mut t, "brpoplpush a c 0"), bulk("x"));
        assert_eq!(run(&mut t, "lrange c 0 -1"), bulks(&["x"]));
        assert_eq!(run(&mut t, "exists a"), int(0));
    }

    #[test]
    fn blmpop_parsing_and_replies() {
        let mut t = TestShard::new();
        run(&mut t, "rpush l 1 2 3 4");
        let numkeys = err("ERR numkeys should be greater than 0");
        let count = err("ERR count should be greater than 0");
        // The timeout is read after everything else.
        for (line, want) in [
            ("blmpop abc 0 a left", numkeys.clone()),
            ("blmpop abc -1 a left", numkeys.clone()),
            ("blmpop 0 abc a left", numkeys),
            ("blmpop abc 2 a left", err(SYNTAX)),
            ("blmpop abc 1 a middle", err(SYNTAX)),
            ("blmpop abc 1 a left count 0", count.clone()),
            ("blmpop abc 1 a left count x", count),
            ("blmpop abc 1 a left count", err(SYNTAX)),
            ("blmpop abc 1 a left count 1 count 1", err(SYNTAX)),
            ("blmpop abc 1 a left foo", err(SYNTAX)),
            ("blmpop 0 9223372036854775807 a left", err(SYNTAX)),
            (
                "blmpop abc 1 a left",
                err("ERR timeout is not a float or out of range"),
            ),
            ("blmpop -1 1 l left", err("ERR timeout is negative")),
            ("blmpop 0 1 nokey left", Reply::NullArray),
            (
                "blmpop 0 2 nokey l LEFT",
                Reply::Array(vec![bulk("l"), bulks(&["1"])]),
            ),
            (
                "blmpop 0.5 1 l right COUNT 2",
                Reply::Array(vec![bulk("l"), bulks(&["4", "3"])]),
            ),
            (
                "blmpop 0 1 l left count 9223372036854775807",
                Reply::Array(vec![bulk("l"), bulks(&["2"])]),
            ),
            ("exists l", int(0)),
        ] {
            assert_eq!(run(&mut t, line), want, "{line}");
        }
        assert_eq!(
            t.waits("blmpop 1.5 2 a b right count 3"),
            blocked(&["a", "b"], Some(NOW + 1500))
        );
        run(&mut t, "rpush b x y");
        assert_eq!(
            answers(&mut t, "blmpop 1.5 2 a b right count 3"),
            Reply::Array(vec![bulk("b"), bulks(&["y", "x"])])
        );
        assert_eq!(run(&mut t, "exists b"), int(0));
    }

    #[test]
    fn blocking_specs_match_redis() {
        let spec = |name: &str| {
            COMMANDS
                .iter()
                .find(|s| s.name == name)
                .unwrap_or_else(|| panic!("{name}"))
        };
        let call = |line: &str| -> Vec<Bytes> {
            line.split(' ')
                .map(|w| Bytes::copy_from_slice(w.as_bytes()))
                .collect()
        };
        for (name, arity, flags, keys) in [
            ("blpop", -3, "write noscript blocking", (1, -2, 1)),
            ("brpop", -3, "write noscript blocking", (1, -2, 1)),
            ("blmove", 6, "write denyoom noscript blocking", (1, 2, 1)),
            (
                "brpoplpush",
                4,
                "write denyoom noscript blocking",
                (1, 2, 1),
            ),
            ("blmpop", -5, "write blocking movablekeys", (0, 0, 0)),
        ] {
            let s = spec(name);
            assert_eq!(s.arity, arity, "{name}");
            assert_eq!(
                s.flag_names().collect::<Vec<_>>().join(" "),
                flags,
                "{name}"
            );
            assert_eq!((s.first_key, s.last_key, s.step), keys, "{name}");
            assert_eq!(s.acl, ["write", "list", "slow", "blocking"], "{name}");
        }
        let keys =
            |name: &str, line: &str| spec(name).key_positions(&call(line)).collect::<Vec<_>>();
        assert_eq!(keys("blpop", "blpop a b c 0"), vec![1, 2, 3]);
        assert_eq!(keys("blmove", "blmove a b left left 0"), vec![1, 2]);
        assert_eq!(keys("blmpop", "blmpop 0 2 a b left count 2"), vec![3, 4]);
        assert_eq!(keys("blmpop", "blmpop 0 4 a b left"), Vec::<usize>::new());
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
