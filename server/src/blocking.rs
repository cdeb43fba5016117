//! Blocking commands (BLPOP, BZPOPMIN, BLMOVE, XREAD BLOCK, ...) outside MULTI and scripts.
//!
//! The owner of the keys tries the command; finding nothing, it parks the client in its
//! `Waiters` in the same step, so no write can slip between the try and the parking. A
//! later write to one of the keys re-runs the command there, atomically with the write, and
//! the answer travels to the client's thread. A client waiting on keys of several shards is
//! parked on each with one shared `Claim`: the first shard to take it serves, the others
//! drop the waiter. The client's own thread keeps the deadline, CLIENT UNBLOCK and the
//! connection's end, and gives up through the same claim, so an element is only ever popped
//! for a client that will get it.

use std::rc::Rc;
use std::sync::Arc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::args;
use ferrokv_shard::blocking::{Claim, ClientAddr, Waiter};
use ferrokv_shard::slot::shard_of_key;

use crate::connection::Client;
use crate::coordinator;
use crate::hop::{job, Answer, Hop};
use crate::node::{now_ms, Node};
use crate::table::{Command, CommandTable};

/// A client parked by a blocking command.
pub struct Blocked {
    pub id: u64,
    pub claim: Arc<Claim>,
    /// The shards it is parked on.
    pub shards: Vec<usize>,
    pub deadline_ms: Option<u64>,
    /// BLMOVE/BRPOPLPUSH with the destination on another shard: the element served by the
    /// source's shard is pushed here before the client gets it.
    pub forward: Option<Forward>,
}

pub struct Forward {
    pub dest: Bytes,
    /// LPUSH or RPUSH.
    pub push: &'static str,
}

/// How a blocking call ended for the client.
pub enum Unblock {
    Served(Reply),
    /// The deadline passed, or CLIENT UNBLOCK ... TIMEOUT: a null array for every blocking
    /// command, as Redis answers.
    TimedOut,
    /// CLIENT UNBLOCK ... ERROR.
    Error,
}

pub enum Outcome {
    Reply(Reply),
    Blocked(Blocked),
}

/// What one shard answered to a try-or-park.
enum Attempt {
    Served(Reply),
    Parked {
        deadline_ms: Option<u64>,
    },
    /// Another shard served the client first.
    Taken,
}

/// Runs a blocking command for a client that may block.
pub async fn run(
    node: &Rc<Node>,
    client: &Client,
    cmd: &'static Command,
    args: &[Bytes],
) -> Outcome {
    let id = node.shared.next_tx_id();
    // Armed before any shard can park the client: a shard may serve it before this returns.
    client.mailbox.block(id);
    let outcome = try_or_block(node, client, id, cmd, args).await;
    if matches!(outcome, Outcome::Reply(_)) {
        client.mailbox.stop_blocking();
    }
    outcome
}

async fn try_or_block(
    node: &Rc<Node>,
    client: &Client,
    id: u64,
    cmd: &'static Command,
    args: &[Bytes],
) -> Outcome {
    let spec = cmd.spec.resolve(args);
    let mut shards: Vec<usize> = Vec::new();
    for i in spec.key_positions(args) {
        let s = node.owner_of(&args[i]);
        if !shards.contains(&s) {
            shards.push(s);
        }
    }
    let claim = Arc::new(Claim::default());
    let addr = ClientAddr {
        thread: node.id,
        client: client.id,
    };
    if shards.len() <= 1 {
        let to = shards.first().copied().unwrap_or(node.id);
        let attempt = attempt(node, to, cmd, client.db, args.to_vec(), id, &claim, addr).await;
        return on_one_shard(attempt, id, claim, to, None);
    }
    if let Some((source, forward, pop)) = moving(spec.name, args) {
        // Destination elsewhere: try the whole move under the transaction framework, then
        // park on the source alone, as a pop whose element is pushed on before answering.
        let reply = coordinator::run(node, client.db, cmd, args, None).await;
        if reply != Reply::Null {
            return Outcome::Reply(reply);
        }
        let Some(pop_cmd) = CommandTable::get().lookup(pop[0].as_ref()) else {
            return Outcome::Reply(Reply::error("ERR internal error: pop command missing"));
        };
        let to = node.owner_of(&source);
        let attempt = attempt(node, to, pop_cmd, client.db, pop, id, &claim, addr).await;
        if let Attempt::Served(popped) = attempt {
            return Outcome::Reply(forward_element(node, client.db, &forward, popped).await);
        }
        return on_one_shard(attempt, id, claim, to, Some(forward));
    }
    if let Some(reply) = try_several(node, client.db, cmd, args).await {
        return Outcome::Reply(reply);
    }
    // Nothing anywhere: park on each shard with its own keys; the first shard to take the
    // claim serves.
    let mut parked = Vec::new();
    let mut timing = None;
    for &to in &shards {
        let Some(part) = restrict(spec.name, args, |k| node.owner_of(k) == to) else {
            return Outcome::Reply(Reply::error(format!(
                "ERR ferrokv cannot block on keys of several shards with '{}'",
                spec.name
            )));
        };
        match attempt(node, to, cmd, client.db, part, id, &claim, addr).await {
            Attempt::Served(reply) => {
                forget(node, id, &parked);
                return Outcome::Reply(reply);
            }
            Attempt::Parked { deadline_ms } => {
                parked.push(to);
                timing = Some(deadline_ms);
            }
            // Served by a shard parked on earlier: the answer is coming through the mailbox.
            Attempt::Taken => break,
        }
    }
    let Some(deadline_ms) = timing else {
        return Outcome::Reply(Reply::error("ERR internal error: nothing parked"));
    };
    Outcome::Blocked(Blocked {
        id,
        claim,
        shards: parked,
        deadline_ms,
        forward: None,
    })
}

/// The outcome of a try-or-park on the one shard `to`.
fn on_one_shard(
    attempt: Attempt,
    id: u64,
    claim: Arc<Claim>,
    to: usize,
    forward: Option<Forward>,
) -> Outcome {
    match attempt {
        Attempt::Served(reply) => Outcome::Reply(reply),
        Attempt::Parked { deadline_ms } => Outcome::Blocked(Blocked {
            id,
            claim,
            shards: vec![to],
            deadline_ms,
            forward,
        }),
        Attempt::Taken => Outcome::Reply(Reply::error("ERR internal error: lost claim")),
    }
}

/// Keys on several shards, tried without parking, so that what is there is served as
/// Redis serves it; None when nothing is. XREAD answers for every stream that has
/// something and XREADGROUP fails for any stream it cannot read (NOGROUP): those run whole
/// under the transaction framework. The pops try runs of consecutive keys of one shard, in
/// the command's order, so the first key holding something serves, without a transaction.
async fn try_several(
    node: &Rc<Node>,
    db: usize,
    cmd: &'static Command,
    args: &[Bytes],
) -> Option<Reply> {
    let spec = cmd.spec.resolve(args);
    if matches!(spec.name, "xread" | "xreadgroup") {
        let reply = coordinator::run(node, db, cmd, args, None).await;
        return (reply != Reply::NullArray).then_some(reply);
    }
    let keys: Vec<&Bytes> = spec.key_positions(args).map(|i| &args[i]).collect();
    let mut start = 0;
    while start < keys.len() {
        let to = node.owner_of(keys[start]);
        let end = (start..keys.len())
            .find(|&i| node.owner_of(keys[i]) != to)
            .unwrap_or(keys.len());
        let run = &keys[start..end];
        let part = restrict(spec.name, args, |k| run.iter().any(|r| &r[..] == k))?;
        match node
            .run_on(to, run_command(cmd, db, part))
            .await
            .take::<Reply>()
        {
            Some(Reply::NullArray) => {}
            Some(reply) => return Some(reply),
            None => return Some(Reply::error("ERR internal error: no reply")),
        }
        start = end;
    }
    None
}

/// Tries the command on shard `to` and parks the client there if it finds nothing, in one
/// step of that shard.
#[allow(clippy::too_many_arguments)]
async fn attempt(
    node: &Rc<Node>,
    to: usize,
    cmd: &'static Command,
    db: usize,
    args: Vec<Bytes>,
    id: u64,
    claim: &Arc<Claim>,
    client: ClientAddr,
) -> Attempt {
    let claim = claim.clone();
    let job = job(move |n: Rc<Node>| async move {
        // A transaction holding one of the keys (perhaps moved to its coordinator) goes first.
        n.wait_unlocked(cmd, db, &args, None).await;
        let attempt = try_or_park(&n, cmd, db, args, id, claim, client);
        n.after_write();
        Answer::Value(Box::new(attempt))
    });
    node.run_on(to, job)
        .await
        .take::<Attempt>()
        .unwrap_or(Attempt::Taken)
}

/// One step of the owner: the command, or the client parked on its keys when it finds
/// nothing.
fn try_or_park(
    n: &Node,
    cmd: &'static Command,
    db: usize,
    args: Vec<Bytes>,
    id: u64,
    claim: Arc<Claim>,
    client: ClientAddr,
) -> Attempt {
    let mut shard = n.shard.borrow_mut();
    if !claim.begin_spinning() {
        return Attempt::Taken;
    }
    match shard.execute_may_block(cmd.id, cmd.spec, db, &args, now_ms()) {
        Ok(reply) => {
            claim.finish();
            Attempt::Served(reply)
        }
        Err(on) => {
            claim.abandon();
            let keys = on
                .keys
                .iter()
                .filter(|k| shard_of_key(k, n.nshards) == n.id)
                .cloned()
                .collect();
            let waiter = Waiter {
                client,
                db,
                cmd_id: cmd.id,
                spec: cmd.spec,
                args: on.args.clone().unwrap_or(args),
                keys,
                claim,
            };
            shard.block(id, waiter);
            Attempt::Parked {
                deadline_ms: on.deadline_ms,
            }
        }
    }
}

/// Drops the waiter from shards it no longer needs to be parked on.
pub fn forget(node: &Rc<Node>, id: u64, shards: &[usize]) {
    for &to in shards {
        if to == node.id {
            node.shard.borrow_mut().waiters.remove(id);
        } else {
            node.mesh.post_in_order(to, Hop::Unpark { waiter: id });
        }
    }
}

/// Pushes a forwarded element onto its destination and gives the client the element.
pub async fn forward_element(
    node: &Rc<Node>,
    db: usize,
    forward: &Forward,
    popped: Reply,
) -> Reply {
    let Reply::Array(mut pair) = popped else {
        return popped;
    };
    let Some(Reply::Bulk(element)) = pair.pop() else {
        return Reply::error("ERR internal error: unexpected pop reply");
    };
    let Some(push) = CommandTable::get().lookup(forward.push.as_bytes()) else {
        return Reply::error("ERR internal error: push command missing");
    };
    let args = vec![
        Bytes::from_static(forward.push.as_bytes()),
        forward.dest.clone(),
        element.clone(),
    ];
    let to = node.owner_of(&forward.dest);
    let reply = node.run_on(to, run_command(push, db, args)).await;
    match reply.take::<Reply>() {
        Some(Reply::Error(e)) => Reply::Error(e),
        _ => Reply::Bulk(element),
    }
}

/// Runs `cmd` on the owner like any client's command (waiting for transactions' locks).
fn run_command(cmd: &'static Command, db: usize, args: Vec<Bytes>) -> crate::hop::Job {
    job(move |n: Rc<Node>| async move {
        Answer::Value(Box::new(n.run_local(cmd, db, &args, None).await))
    })
}

/// BLMOVE / BRPOPLPUSH: (source, where the element goes, the pop that stands in for it).
fn moving(name: &str, args: &[Bytes]) -> Option<(Bytes, Forward, Vec<Bytes>)> {
    let (source, dest) = (args.get(1)?.clone(), args.get(2)?.clone());
    let (from_left, to_left, timeout) = match name {
        "blmove" => (
            args::is(args.get(3)?, "LEFT"),
            args::is(args.get(4)?, "LEFT"),
            args.get(5)?.clone(),
        ),
        "brpoplpush" => (false, true, args.get(3)?.clone()),
        _ => return None,
    };
    let pop = if from_left { "blpop" } else { "brpop" };
    let push = if to_left { "lpush" } else { "rpush" };
    Some((
        source.clone(),
        Forward { dest, push },
        vec![Bytes::from_static(pop.as_bytes()), source, timeout],
    ))
}

/// The call limited to the keys `keep` selects, for the shard holding them.
fn restrict(name: &str, args: &[Bytes], keep: impl Fn(&[u8]) -> bool) -> Option<Vec<Bytes>> {
    match name {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let (timeout, keys) = args[1..].split_last()?;
            let mut out = vec![args[0].clone()];
            out.extend(keys.iter().filter(|k| keep(k)).cloned());
            out.push(timeout.clone());
            Some(out)
        }
        "blmpop" | "bzmpop" => {
            let n = usize::try_from(args::int(args.get(2)?).ok()?).ok()?;
            let keys = args.get(3..3 + n)?;
            let kept: Vec<Bytes> = keys.iter().filter(|k| keep(k)).cloned().collect();
            let mut out = vec![
                args[0].clone(),
                args[1].clone(),
                Bytes::from(kept.len().to_string()),
            ];
            out.extend(kept);
            out.extend_from_slice(&args[3 + n..]);
            Some(out)
        }
        "xread" | "xreadgroup" => {
            let at = args.iter().position(|a| args::is(a, "STREAMS"))?;
            let rest = &args[at + 1..];
            let n = rest.len() / 2;
            let mut out = args[..=at].to_vec();
            let picked: Vec<usize> = (0..n).filter(|&i| keep(&rest[i])).collect();
            out.extend(picked.iter().map(|&i| rest[i].clone()));
            out.extend(picked.iter().map(|&i| rest[n + i].clone()));
            Some(out)
        }
        _ => None,
    }
}
