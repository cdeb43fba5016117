//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
//! `zunionInterDiffGenericCommand`). Sources may be sorted sets or plain sets, whose members
//! all score 1.

use std::borrow::Cow;
use std::collections::hash_map::Entry as MapEntry;
use std::collections::HashMap;

use bytes::Bytes;
use ferrokv_protocol::Reply;

use crate::args;
use crate::error::{CmdError, CmdResult};
use crate::keyspace::Entry;
use crate::shard::Ctx;
use crate::value::{Collection, Value};

use super::parse::score;
use super::SortedSet;

/// What the sorted-set operations read from a plain set given as a source (the set family
/// implements it for its `Set`).
pub trait MemberSet {
    fn member_count(&self) -> usize;
    fn has_member(&self, member: &[u8]) -> bool;
    /// Every member, integers as their decimal text.
    fn members(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_>;
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's `zunionInterAggregate`. A sum of `inf` and `-inf` is 0; a NaN weighted score
/// (`inf * 0`) loses every MIN/MAX comparison.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

enum Source<'a> {
    Missing,
    Sorted(&'a SortedSet),
    Plain(&'a dyn MemberSet),
}

impl<'a> Source<'a> {
    fn of(entry: Option<&'a Entry>) -> Source<'a> {
        match entry.map(|e| &e.value) {
            Some(Value::ZSet(z)) => Source::Sorted(z),
            Some(Value::Set(s)) => Source::Plain(&**s),
            _ => Source::Missing,
        }
    }

    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Sorted(z) => z.len(),
            Source::Plain(s) => s.member_count(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Sorted(z) => z.score(member),
            Source::Plain(s) => s.has_member(member).then_some(1.0),
        }
    }

    fn entries(&self) -> Box<dyn Iterator<Item = (Cow<'a, [u8]>, f64)> + 'a> {
        match *self {
            Source::Missing => Box::new(std::iter::empty()),
            Source::Sorted(z) => Box::new(z.iter_at(0, false).map(|(m, s)| (Cow::Borrowed(m), s))),
            Source::Plain(s) => Box::new(s.members().map(|m| (m, 1.0))),
        }
    }
}

/// The options after the keys.
struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT; 0 for none.
    limit: usize,
}

fn parse_options(
    rest: &[Bytes],
    setnum: usize,
    op: Op,
    store: bool,
    card_only: bool,
) -> Result<Options, CmdError> {
    let mut o = Options {
        weights: vec![1.0; setnum],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let weighted = op != Op::Diff && !card_only;
    let mut j = 0;
    while j < rest.len() {
        let remaining = rest.len() - j;
        let a = &rest[j];
        if weighted && remaining > setnum && args::is(a, "WEIGHTS") {
            for (w, arg) in o.weights.iter_mut().zip(&rest[j + 1..]) {
                *w =
                    score(arg).ok_or_else(|| CmdError::other("ERR weight value is not a float"))?;
            }
            j += 1 + setnum;
        } else if weighted && remaining >= 2 && args::is(a, "AGGREGATE") {
            let how = &rest[j + 1];
            o.aggregate = if args::is(how, "SUM") {
                Aggregate::Sum
            } else if args::is(how, "MIN") {
                Aggregate::Min
            } else if args::is(how, "MAX") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if !store && !card_only && args::is(a, "WITHSCORES") {
            o.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && args::is(a, "LIMIT") {
            o.limit = match args::int(&rest[j + 1]) {
                Ok(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(CmdError::other("ERR LIMIT can't be negative")),
            };
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// A member of a source, with its (weighted) score.
type Scored<'a> = (Cow<'a, [u8]>, f64);

/// What an operation produced: entries, or only their number (ZINTERCARD).
enum Outcome<'a> {
    Entries(Vec<Scored<'a>>),
    Count(usize),
}

fn intersect<'a>(inputs: &[(Source<'a>, f64)], o: &Options, card_only: bool) -> Outcome<'a> {
    let mut out = Vec::new();
    let mut count = 0;
    let Some(((first, w0), rest)) = inputs.split_first() else {
        return Outcome::Entries(out);
    };
    for (m, s) in first.entries() {
        let mut total = w0 * s;
        if total.is_nan() {
            total = 0.0;
        }
        let everywhere = rest.iter().all(|(src, w)| match src.score(&m) {
            Some(v) => {
                aggregate(&mut total, v * w, o.aggregate);
                true
            }
            None => false,
        });
        if !everywhere {
            continue;
        }
        if card_only {
            count += 1;
            if o.limit > 0 && count >= o.limit {
                break;
            }
        } else {
            out.push((m, total));
        }
    }
    if card_only {
        Outcome::Count(count)
    } else {
        Outcome::Entries(out)
    }
}

fn unite<'a>(inputs: &[(Source<'a>, f64)], o: &Options) -> Vec<Scored<'a>> {
    let largest = inputs.last().map_or(0, |(s, _)| s.len());
    let mut acc: HashMap<Cow<'a, [u8]>, f64> = HashMap::with_capacity(largest);
    for (src, w) in inputs {
        for (m, s) in src.entries() {
            let mut v = w * s;
            if v.is_nan() {
                v = 0.0;
            }
            match acc.entry(m) {
                MapEntry::Occupied(mut e) => aggregate(e.get_mut(), v, o.aggregate),
                MapEntry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
    }
    acc.into_iter().collect()
}

/// The first source minus the others, by whichever of Redis's two algorithms costs less:
/// probing every other source for each member of the first (N*M), or removing every member
/// of the others from a copy of the first (L, all sizes summed).
fn subtract<'a>(inputs: &[(Source<'a>, f64)]) -> Vec<Scored<'a>> {
    let Some(((first, _), rest)) = inputs.split_first() else {
        return Vec::new();
    };
    let probing = first.len() * inputs.len() / 2;
    let removing: usize = inputs.iter().map(|(s, _)| s.len()).sum();
    if probing <= removing {
        return first
            .entries()
            .filter(|(m, _)| rest.iter().all(|(src, _)| src.score(m).is_none()))
            .collect();
    }
    let mut acc: HashMap<Cow<'a, [u8]>, f64> = first.entries().collect();
    for (src, _) in rest {
        for (m, _) in src.entries() {
            acc.remove(&m);
        }
        if acc.is_empty() {
            break;
        }
    }
    acc.into_iter().collect()
}

fn generic(
    ctx: &mut Ctx<'_>,
    args: &[Bytes],
    numkeys_at: usize,
    op: Op,
    card_only: bool,
) -> CmdResult {
    let setnum = args::int(&args[numkeys_at])?;
    if setnum < 1 {
        return Err(args::error_format(&[
            b"ERR at least 1 input key is needed for '",
            &args[0].to_ascii_lowercase(),
            b"' command",
        ]));
    }
    let first_key = numkeys_at + 1;
    let setnum = match usize::try_from(setnum) {
        Ok(n) if n <= args.len() - first_key => n,
        _ => return Err(CmdError::Syntax),
    };
    let keys = &args[first_key..first_key + setnum];
    for k in keys {
        if let Some(e) = ctx.read(k) {
            if !matches!(e.value, Value::ZSet(_) | Value::Set(_)) {
                return Err(CmdError::WrongType);
            }
        }
    }
    // Only the STORE forms have an argument (the destination) before numkeys.
    let store = numkeys_at == 2;
    let o = parse_options(&args[first_key + setnum..], setnum, op, store, card_only)?;
    let now = ctx.now_ms;
    let ks = &*ctx.ks();
    let mut inputs: Vec<(Source<'_>, f64)> = keys
        .iter()
        .zip(&o.weights)
        .map(|(k, &w)| (Source::of(ks.peek(k, now)), w))
        .collect();
    if op != Op::Diff {
        // Smallest first, as Redis's qsort (stable here) leaves them: it decides which set
        // is walked and the order in which sums are added.
        inputs.sort_by_key(|(s, _)| s.len());
    }
    let outcome = match op {
        Op::Inter => intersect(&inputs, &o, card_only),
        Op::Union => Outcome::Entries(unite(&inputs, &o)),
        Op::Diff => Outcome::Entries(subtract(&inputs)),
    };
    let entries = match outcome {
        Outcome::Count(n) => return Ok(Reply::Int(n as i64)),
        Outcome::Entries(e) => e,
    };
    let mut owned: Vec<(Bytes, f64)> = entries
        .into_iter()
        .map(|(m, s)| (Bytes::from(m.into_owned()), s))
        .collect();
    if store {
        let z = SortedSet::from_entries(owned);
        let n = z.len();
        let event = match op {
            Op::Union => "zunionstore",
            Op::Inter => "zinterstore",
            Op::Diff => "zdiffstore",
        };
        super::store(ctx, &args[1], z, event);
        return Ok(Reply::Int(n as i64));
    }
    super::sort_entries(&mut owned);
    Ok(if o.withscores {
        Reply::Pairs(
            owned
                .into_iter()
                .map(|(m, s)| (Reply::Bulk(m), Reply::Double(s)))
                .collect(),
        )
    } else {
        Reply::Array(owned.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    })
}

pub fn zunion(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 1, Op::Union, false)
}

pub fn zinter(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 1, Op::Inter, false)
}

pub fn zdiff(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 1, Op::Diff, false)
}

pub fn zintercard(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 1, Op::Inter, true)
}

pub fn zunionstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 2, Op::Union, false)
}

pub fn zinterstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 2, Op::Inter, false)
}

pub fn zdiffstore(ctx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    generic(ctx, args, 2, Op::Diff, false)
}
