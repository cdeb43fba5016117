//! Routing: each command of a pipeline goes to the shard owning its keys. Local commands run
//! inline; consecutive commands bound for the same remote shard travel as one batch; commands
//! spanning shards go to the coordinator. Replies are written in request order.

use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use ferrokv_protocol::Reply;
use ferrokv_shard::command::flag;

use crate::commands;
use crate::connection::Client;
use crate::coordinator;
use crate::hop::{Answer, Batch, Call, Hop};
use crate::node::Node;
use crate::table::{Command, CommandTable};

enum Route {
    /// Answer at once (unknown command, arity, auth).
    Reply(Reply),
    Server(&'static Command),
    Local(&'static Command),
    Remote(usize, &'static Command),
    Spanning(&'static Command),
}

fn unknown_command(args: &[Bytes]) -> Reply {
    let mut list = String::new();
    for a in &args[1..] {
        if list.len() >= 128 {
            break;
        }
        let room = 128 - list.len();
        let text = String::from_utf8_lossy(a);
        let cut: String = text.chars().take(room).collect();
        list.push_str(&format!("'{cut}' "));
    }
    let name: String = String::from_utf8_lossy(&args[0])
        .chars()
        .take(128)
        .collect();
    let msg = format!("ERR unknown command '{name}', with args beginning with: {list}");
    Reply::error(msg.replace(['\r', '\n'], " "))
}

fn route(node: &Node, client: &Client, args: &[Bytes]) -> Route {
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
    if cmd.server.is_some() {
        return Route::Server(cmd);
    }
    let mut owner = None;
    for i in spec.resolve(args).key_positions(args.len()) {
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

/// Sends the batch gathered for a remote shard and appends its encoded replies to `out`.
async fn flush(
    node: &Node,
    client: &Client,
    pending: &mut Option<(usize, Vec<Call>)>,
    out: &mut BytesMut,
) {
    let Some((to, calls)) = pending.take() else {
        return;
    };
    let batch = Batch {
        db: client.db,
        resp: client.resp,
        calls,
    };
    match node
        .mesh
        .call(to, |from, id| Hop::Batch { from, id, batch })
        .await
    {
        Answer::Encoded(bytes) => out.extend_from_slice(&bytes),
        Answer::Replies(replies) => replies.iter().for_each(|r| r.encode(out, client.resp)),
        Answer::Value(_) => {
            Reply::error("ERR internal error: unexpected hop answer").encode(out, client.resp)
        }
    }
}

pub async fn run_pipeline(
    node: &Rc<Node>,
    client: &mut Client,
    requests: Vec<Vec<Bytes>>,
    out: &mut BytesMut,
) {
    let mut pending: Option<(usize, Vec<Call>)> = None;
    for args in requests {
        if client.quit || client.close_silently {
            break;
        }
        let route = route(node, client, &args);
        if let Route::Remote(to, cmd) = route {
            match &mut pending {
                Some((shard, calls)) if *shard == to => calls.push(Call { cmd, args }),
                _ => {
                    flush(node, client, &mut pending, out).await;
                    pending = Some((to, vec![Call { cmd, args }]));
                }
            }
            note_command(client, cmd);
            continue;
        }
        flush(node, client, &mut pending, out).await;
        let reply = match route {
            Route::Reply(r) => r,
            Route::Local(cmd) => {
                note_command(client, cmd);
                node.run_local(cmd, client.db, &args, None).await
            }
            Route::Server(cmd) => {
                note_command(client, cmd);
                node.shard.borrow_mut().stats.count_call(cmd.id);
                let server = cmd.server.expect("routed as a server command");
                commands::run(node, client, server, &args).await
            }
            Route::Spanning(cmd) => {
                note_command(client, cmd);
                node.shard.borrow_mut().stats.count_call(cmd.id);
                coordinator::run(node, client.db, cmd, &args).await
            }
            Route::Remote(..) => unreachable!("handled above"),
        };
        reply.encode(out, client.resp);
    }
    flush(node, client, &mut pending, out).await;
}

fn note_command(client: &Client, cmd: &'static Command) {
    client.info.borrow_mut().last_cmd = cmd.spec.name;
}
