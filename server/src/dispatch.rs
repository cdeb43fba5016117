//! Routing: each command of a pipeline goes to the shard owning its keys. Local commands run
//! inline; consecutive commands bound for the same remote shard travel as one batch; commands
//! spanning shards go to the coordinator. Replies are written in request order.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::{Reply, RespVersion};
use ferrokv_shard::args;
use ferrokv_shard::command::flag;

use crate::blocking::{self, Outcome};
use crate::commands::{self, ServerCmd};
use crate::connection::Client;
use crate::coordinator;
use crate::hop::{Answer, Batch, Call, Hop};
use crate::node::Node;
use crate::table::{Command, CommandTable};

pub(crate) enum Route {
    /// Answer at once (unknown command, arity, auth).
    Reply(Reply),
    Server(&'static Command, ServerCmd),
    Local(&'static Command),
    Remote(usize, &'static Command),
    Spanning(&'static Command),
    /// A blocking command that may block (outside MULTI): see `crate::blocking`.
    Blocking(&'static Command),
}

/// Redis's text: each argument quoted, cut at a NUL byte (C strings), the list stopping once
/// it passes 128 bytes; the bytes go out as sent (the encoder turns CR/LF into spaces).
fn unknown_command(args: &[Bytes]) -> Reply {
    let mut list = Vec::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let a = args::c_str(a);
        let room = (128 - list.len()).min(a.len());
        list.extend_from_slice(&[b"'", &a[..room], b"' "].concat());
    }
    let name = args::c_str(&args[0]);
    let name = &name[..name.len().min(128)];
    args::error_format(&[
        b"ERR unknown command '",
        name,
        b"', with args beginning with: ",
        &list,
    ])
    .into_reply()
}

pub(crate) fn route(node: &Node, client: &Client, args: &[Bytes]) -> Route {
    let Some(cmd) = CommandTable::get().lookup(&args[0]) else {
        return Route::Reply(unknown_command(args));
    };
    let spec = cmd.spec;
    if !spec.arity_ok(args.len()) {
        return Route::Reply(commands::wrong_arity(spec.name));
    }
    if !client.authenticated && spec.flags & flag::NO_AUTH == 0 {
        return Route::Reply(Reply::error("NOAUTH Authentication required."));
    }
    if spec.resolve(args).flags & flag::ALLOW_BUSY == 0 {
        if let Some(busy) = node.shared.scripts.busy_reply() {
            return Route::Reply(busy);
        }
    }
    if client.resp == RespVersion::Resp2
        && client.subs.any()
        && !cmd
            .server
            .is_some_and(crate::pubsub::allowed_when_subscribed)
    {
        return Route::Reply(crate::pubsub::subscribed_mode_error(&full_name(cmd, args)));
    }
    if let Some(server) = cmd.server {
        return Route::Server(cmd, server);
    }
    if spec.flags & flag::BLOCKING != 0 && may_block(spec.name, args) {
        return Route::Blocking(cmd);
    }
    let mut owner = None;
    for i in spec.resolve(args).key_positions(args) {
        let s = node.owner_of(&args[i]);
        match owner {
            None => owner = Some(s),
            Some(o) if o != s => return Route::Spanning(cmd),
            Some(_) => {}
        }
    }
    match owner {
        Some(s) if s != node.id => Route::Remote(s, cmd),
        _ => Route::Local(cmd),
    }
}

/// XREAD and XREADGROUP block only with a BLOCK option; the others always may.
fn may_block(name: &str, args: &[Bytes]) -> bool {
    !name.starts_with('x') || args.iter().any(|a| args::is(a, "BLOCK"))
}

/// Commands of a pipeline that each touch one shard, gathered until a command that must run
/// alone (a server or spanning command) or the end of the pipeline.
struct Segment {
    calls: Vec<(usize, Call)>,
}

/// Where a reply of a segment comes from: the local shard's buffer or a batch's answer.
struct Source {
    bytes: Bytes,
    ends: Vec<u32>,
    next: usize,
}

impl Source {
    fn next_reply(&mut self) -> &[u8] {
        let start = if self.next == 0 {
            0
        } else {
            self.ends[self.next - 1] as usize
        };
        let end = self.ends.get(self.next).map_or(start, |&e| e as usize);
        self.next += 1;
        &self.bytes[start..end]
    }
}

/// Runs a segment: one batch per remote shard, all in flight at once, while the local
/// commands run inline; then the replies go out in request order. Commands on one key keep
/// their order (one key, one shard, one FIFO); commands on different shards may run
/// concurrently, as their keys are independent.
async fn run_segment(node: &Rc<Node>, client: &Client, segment: &mut Segment, out: &mut BytesMut) {
    let calls = std::mem::take(&mut segment.calls);
    let Some(&(first_shard, _)) = calls.first() else {
        return;
    };
    if calls.iter().all(|(s, _)| *s == first_shard) {
        // One destination: no reordering needed.
        if first_shard == node.id {
            for (_, call) in &calls {
                let reply = node.run_local(call.cmd, client.db, &call.args, None).await;
                if client.subs.any() {
                    // A message a command sent to its own connection goes before its reply.
                    node.after_write();
                    node.flush_outbox();
                    client.mailbox.take_into(out);
                }
                reply.encode(out, client.resp);
            }
        } else {
            let batch = Batch {
                db: client.db,
                resp: client.resp,
                calls: calls.into_iter().map(|(_, c)| c).collect(),
            };
            let answer = node
                .mesh
                .call(first_shard, |from, id| Hop::Batch { from, id, batch })
                .await;
            client.mailbox.take_into(out);
            append_answer(answer, client, out);
        }
        return;
    }
    let mut order = Vec::with_capacity(calls.len());
    let mut batches: Vec<(usize, Vec<Call>)> = Vec::new();
    let mut local = Vec::new();
    for (shard, call) in calls {
        order.push(shard);
        if shard == node.id {
            local.push(call);
        } else {
            match batches.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, list)) => list.push(call),
                None => batches.push((shard, vec![call])),
            }
        }
    }
    let mut waiting = Vec::with_capacity(batches.len());
    for (shard, calls) in batches {
        let batch = Batch {
            db: client.db,
            resp: client.resp,
            calls,
        };
        waiting.push((
            shard,
            node.mesh
                .request(shard, |from, id| Hop::Batch { from, id, batch })
                .await,
        ));
    }
    let mut sources: Vec<(usize, Source)> = Vec::with_capacity(waiting.len() + 1);
    if !local.is_empty() {
        let mut buf = BytesMut::new();
        let mut ends = Vec::with_capacity(local.len());
        for call in &local {
            node.run_local(call.cmd, client.db, &call.args, None)
                .await
                .encode(&mut buf, client.resp);
            ends.push(buf.len() as u32);
        }
        sources.push((
            node.id,
            Source {
                bytes: buf.freeze(),
                ends,
                next: 0,
            },
        ));
    }
    for (shard, pending) in waiting {
        let mut scratch = BytesMut::new();
        let source = match pending.await {
            Answer::Encoded { bytes, ends } => Source {
                bytes,
                ends,
                next: 0,
            },
            other => {
                append_answer(other, client, &mut scratch);
                Source {
                    bytes: scratch.freeze(),
                    ends: Vec::new(),
                    next: 0,
                }
            }
        };
        sources.push((shard, source));
    }
    client.mailbox.take_into(out);
    for shard in order {
        if let Some((_, source)) = sources.iter_mut().find(|(s, _)| *s == shard) {
            out.extend_from_slice(source.next_reply());
        }
    }
}

fn append_answer(answer: Answer, client: &Client, out: &mut BytesMut) {
    match answer {
        Answer::Encoded { bytes, .. } => out.extend_from_slice(&bytes),
        Answer::Replies(replies) => replies.iter().for_each(|r| r.encode(out, client.resp)),
        Answer::Value(_) => {
            Reply::error("ERR internal error: unexpected hop answer").encode(out, client.resp)
        }
    }
}

/// Runs a pipeline's requests in order, until the end or until one blocks: the client is
/// then `blocked` and the requests after it wait in `deferred`.
pub async fn run_pipeline(
    node: &Rc<Node>,
    client: &mut Client,
    requests: VecDeque<Vec<Bytes>>,
    out: &mut BytesMut,
) {
    let mut segment = Segment { calls: Vec::new() };
    let mut requests = requests;
    while let Some(args) = requests.pop_front() {
        if client.quit || client.close_silently {
            break;
        }
        let route = route(node, client, &args);
        if let Route::Reply(refusal) = &route {
            if args[0].eq_ignore_ascii_case(b"exec") {
                run_segment(node, client, &mut segment, out).await;
                commands::exec_refused(node, client, refusal)
                    .await
                    .encode(out, client.resp);
                continue;
            }
        }
        if client.multi.is_some() && queues(&route) {
            run_segment(node, client, &mut segment, out).await;
            queue(client, route, args).encode(out, client.resp);
            continue;
        }
        match route {
            Route::Local(cmd) => {
                note_command(client, cmd, &args);
                segment.calls.push((node.id, Call { cmd, args }));
                continue;
            }
            Route::Remote(to, cmd) => {
                note_command(client, cmd, &args);
                segment.calls.push((to, Call { cmd, args }));
                continue;
            }
            _ => {}
        }
        run_segment(node, client, &mut segment, out).await;
        let reply = match route {
            Route::Reply(r) => r,
            Route::Server(cmd, server) => {
                note_command(client, cmd, &args);
                let started = Instant::now();
                let reply = commands::run(node, client, server, &args).await;
                count_call(node, cmd, started);
                reply
            }
            Route::Spanning(cmd) => {
                note_command(client, cmd, &args);
                let started = Instant::now();
                let reply = coordinator::run(node, client.db, cmd, &args, None).await;
                count_call(node, cmd, started);
                reply
            }
            Route::Blocking(cmd) => {
                note_command(client, cmd, &args);
                match blocking::run(node, client, cmd, &args).await {
                    Outcome::Reply(reply) => reply,
                    Outcome::Blocked(blocked) => {
                        client.blocked = Some(blocked);
                        client.deferred = requests;
                        return;
                    }
                }
            }
            Route::Local(_) | Route::Remote(..) => unreachable!("gathered into the segment above"),
        };
        client.mailbox.take_into(out);
        reply.encode(out, client.resp);
    }
    run_segment(node, client, &mut segment, out).await;
}

/// Counts a call the server ran itself (shards count their own) for INFO commandstats.
fn count_call(node: &Node, cmd: &Command, started: Instant) {
    let elapsed = started.elapsed().as_nanos() as u64;
    node.shard.borrow_mut().stats.count_call(cmd.id).nanos += elapsed;
}

/// Whether a command sent after MULTI is queued: everything but the commands that drive the
/// transaction or the connection, which run at once as in Redis.
fn queues(route: &Route) -> bool {
    !matches!(
        route,
        Route::Server(
            _,
            ServerCmd::Exec
                | ServerCmd::Discard
                | ServerCmd::Multi
                | ServerCmd::Watch
                | ServerCmd::Quit
                | ServerCmd::Reset
        )
    )
}

/// Queues a command inside MULTI, or flags the transaction when the command is refused.
fn queue(client: &mut Client, route: Route, args: Vec<Bytes>) -> Reply {
    let doomed = client.transaction_doomed();
    let Some(multi) = client.multi.as_mut() else {
        return Reply::error("ERR EXEC without MULTI");
    };
    let cmd = match route {
        Route::Reply(err) => {
            multi.dirty = true;
            return err;
        }
        Route::Server(cmd, _) if cmd.spec.flags & flag::NO_MULTI != 0 => {
            multi.dirty = true;
            return Reply::error("ERR Command not allowed inside a transaction");
        }
        Route::Server(cmd, _)
        | Route::Local(cmd)
        | Route::Remote(_, cmd)
        | Route::Spanning(cmd)
        | Route::Blocking(cmd) => cmd,
    };
    // A transaction that EXEC will refuse keeps nothing (as Redis, which then shows multi=0).
    if !doomed {
        multi.queued.push((cmd, args));
        client.note_transaction();
    }
    Reply::simple("QUEUED")
}

/// Records the command for CLIENT LIST's `cmd=`.
fn note_command(client: &Client, cmd: &'static Command, args: &[Bytes]) {
    client.info.borrow_mut().last_cmd = full_name(cmd, args);
}

/// Redis's `fullname` of a call: `name`, or `name|sub` for containers.
fn full_name(cmd: &'static Command, args: &[Bytes]) -> Cow<'static, str> {
    let spec = cmd.spec;
    match args.get(1) {
        Some(sub) if CONTAINERS.contains(&spec.name) && std::ptr::eq(spec.resolve(args), spec) => {
            Cow::Owned(format!(
                "{}|{}",
                spec.name,
                String::from_utf8_lossy(sub).to_ascii_lowercase()
            ))
        }
        _ => Cow::Borrowed(spec.resolve(args).name),
    }
}

/// Server-implemented commands with subcommands.
const CONTAINERS: &[&str] = &["client", "config", "command", "debug"];
