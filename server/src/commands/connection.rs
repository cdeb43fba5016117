//! Connection commands: PING, HELLO, AUTH, SELECT, RESET, CLIENT.

use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::{Reply, RespVersion};
use ferrokv_shard::args;

use super::{unknown_subcommand, wrong_arity};
use crate::blocking::Unblock;
use crate::connection::Client;
use crate::hop::{on_shard, Answer};
use crate::node::Node;

pub fn ping(args: &[Bytes]) -> Reply {
    match args.len() {
        1 => Reply::simple("PONG"),
        2 => Reply::Bulk(args[1].clone()),
        _ => wrong_arity("ping"),
    }
}

pub fn reset(node: &Node, client: &mut Client) -> Reply {
    client.db = 0;
    client.resp = RespVersion::Resp2;
    client.authenticated = node.shared.config.snapshot().requirepass.is_none();
    let mut info = client.info.borrow_mut();
    info.db = 0;
    info.resp = RespVersion::Resp2;
    info.mailbox.set_resp(RespVersion::Resp2);
    info.name = None;
    Reply::simple("RESET")
}

/// Checks a password for a user; only the `default` user exists until ACLs do. Without
/// requirepass the default user has no password and any password is accepted, as in Redis.
fn check_password(node: &Node, user: &[u8], pass: &[u8]) -> bool {
    let required = node.shared.config.snapshot().requirepass;
    user == b"default"
        && required
            .as_deref()
            .is_none_or(|r| AsRef::<[u8]>::as_ref(r) == pass)
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

pub fn auth(node: &Node, client: &mut Client, args: &[Bytes]) -> Reply {
    let (user, pass) = match args.len() {
        2 => (&b"default"[..], &args[1][..]),
        3 => (&args[1][..], &args[2][..]),
        _ => return Reply::error("ERR syntax error"),
    };
    if args.len() == 2 && node.shared.config.snapshot().requirepass.is_none() {
        return Reply::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    if check_password(node, user, pass) {
        client.authenticated = true;
        Reply::ok()
    } else {
        Reply::error(WRONGPASS)
    }
}

pub fn hello(node: &Node, client: &mut Client, args: &[Bytes]) -> Reply {
    let mut resp = client.resp;
    if args.len() >= 2 {
        match args::int(&args[1]) {
            Ok(2) => resp = RespVersion::Resp2,
            Ok(3) => resp = RespVersion::Resp3,
            Ok(_) => return Reply::error("NOPROTO unsupported protocol version"),
            Err(_) => {
                return Reply::error("ERR Protocol version is not an integer or out of range")
            }
        }
    }
    let mut name = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args::is(&args[i], "AUTH") && more >= 2 {
            if !check_password(node, &args[i + 1], &args[i + 2]) {
                return Reply::error(WRONGPASS);
            }
            client.authenticated = true;
            i += 3;
        } else if args::is(&args[i], "SETNAME") && more >= 1 {
            if let Err(e) = validate_name(&args[i + 1]) {
                return e;
            }
            name = Some(args[i + 1].clone());
            i += 2;
        } else {
            return Reply::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&args[i])
            ));
        }
    }
    if !client.authenticated {
        return Reply::error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    client.resp = resp;
    let mut info = client.info.borrow_mut();
    info.resp = resp;
    info.mailbox.set_resp(resp);
    if let Some(n) = name {
        info.name = if n.is_empty() { None } else { Some(n) };
    }
    let proto = if resp == RespVersion::Resp3 { 3 } else { 2 };
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(crate::REDIS_VERSION)),
        (Reply::bulk("proto"), Reply::Int(proto)),
        (Reply::bulk("id"), Reply::Int(client.id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(vec![])),
    ])
}

pub fn select(node: &Node, client: &mut Client, args: &[Bytes]) -> Reply {
    let Ok(db) = args::int(&args[1]) else {
        return Reply::error("ERR value is not an integer or out of range");
    };
    if db < 0 || db as usize >= node.shard.borrow().databases() {
        return Reply::error("ERR DB index is out of range");
    }
    client.db = db as usize;
    client.info.borrow_mut().db = db as usize;
    Reply::ok()
}

fn validate_name(name: &[u8]) -> Result<(), Reply> {
    if name.iter().any(|&c| !(b'!'..=b'~').contains(&c)) {
        return Err(Reply::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    Ok(())
}

pub async fn client(node: &Rc<Node>, client: &mut Client, args: &[Bytes]) -> Reply {
    let sub = args[1].to_ascii_lowercase();
    let argc = args.len();
    match (&sub[..], argc) {
        (b"id", 2) => Reply::Int(client.id as i64),
        (b"getname", 2) => match &client.info.borrow().name {
            Some(n) => Reply::Bulk(n.clone()),
            None => Reply::Null,
        },
        (b"setname", 3) => {
            if let Err(e) = validate_name(&args[2]) {
                return e;
            }
            let name = (!args[2].is_empty()).then(|| args[2].clone());
            client.info.borrow_mut().name = name;
            Reply::ok()
        }
        (b"info", 2) => {
            Reply::Verbatim("txt", Bytes::from(client.info.borrow().list_line() + "\n"))
        }
        (b"list", _) => client_list(node, &args[2..]).await,
        (b"unblock", 3 | 4) => client_unblock(node, args).await,
        (b"help", 2) => Reply::status_lines(&[
            "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "HELP",
            "    Print this help.",
        ]),
        (b"id" | b"getname" | b"setname" | b"info" | b"help" | b"unblock", _) => {
            wrong_arity(&format!("client|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand(&args[1], "CLIENT"),
    }
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the client was blocked in a command.
async fn client_unblock(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let Ok(id) = args::int(&args[2]) else {
        return Reply::error("ERR value is not an integer or out of range");
    };
    let error = match args.get(3) {
        None => false,
        Some(a) if args::is(a, "TIMEOUT") => false,
        Some(a) if args::is(a, "ERROR") => true,
        Some(_) => return Reply::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let answers = node
        .run_on_all(|| {
            on_shard(move |n: &Node| {
                let how = if error {
                    Unblock::Error
                } else {
                    Unblock::TimedOut
                };
                n.clients
                    .borrow()
                    .mailbox(id as u64)
                    .is_some_and(|m| m.unblock(how))
            })
        })
        .await;
    let unblocked = answers
        .into_iter()
        .any(|a| a.take::<bool>().unwrap_or(false));
    Reply::Int(i64::from(unblocked))
}

async fn client_list(node: &Rc<Node>, opts: &[Bytes]) -> Reply {
    let mut ids: Option<Vec<u64>> = None;
    let mut i = 0;
    while i < opts.len() {
        if args::is(&opts[i], "TYPE") && i + 1 < opts.len() {
            let t = opts[i + 1].to_ascii_lowercase();
            match &t[..] {
                b"normal" => {}
                b"master" | b"replica" | b"slave" | b"pubsub" => ids = Some(Vec::new()),
                _ => {
                    return Reply::error(format!(
                        "ERR Unknown client type '{}'",
                        String::from_utf8_lossy(&opts[i + 1])
                    ))
                }
            }
            i += 2;
        } else if args::is(&opts[i], "ID") && i + 1 < opts.len() {
            let mut list = Vec::new();
            for a in &opts[i + 1..] {
                match args::int(a) {
                    Ok(id) if id > 0 => list.push(id as u64),
                    _ => return Reply::error("ERR Invalid client ID"),
                }
            }
            ids = Some(list);
            i = opts.len();
        } else {
            return Reply::error("ERR syntax error");
        }
    }
    let answers = node
        .run_on_all(|| on_shard(|node| node.clients.borrow().lines()))
        .await;
    let mut lines: Vec<(u64, String)> = answers
        .into_iter()
        .filter_map(Answer::take::<Vec<(u64, String)>>)
        .flatten()
        .filter(|(id, _)| ids.as_ref().is_none_or(|ids| ids.contains(id)))
        .collect();
    lines.sort_by_key(|(id, _)| *id);
    let mut text = String::new();
    for (_, l) in lines {
        text.push_str(&l);
        text.push('\n');
    }
    Reply::Verbatim("txt", Bytes::from(text))
}
