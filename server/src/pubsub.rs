//! The connection side of pub/sub: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE and PUBSUB. Each shard
//! keeps its slice of the registry (`ferrokv_shard::pubsub`); a connection remembers what it
//! subscribed, registers it at the shards that deliver it, and gets messages in its mailbox.

use std::rc::Rc;

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::command::flag::*;
use ferrokv_shard::pubsub::{SubKind, Subscriber};
use ferrokv_shard::{args, CommandSpec};
use hashbrown::HashSet;

use crate::commands::{server, unknown_subcommand, wrong_arity, ServerCmd};
use crate::connection::Client;
use crate::hop::{on_shard, Answer};
use crate::node::Node;

/// What one connection is subscribed to, by kind (`SubKind::index`).
#[derive(Default)]
pub struct Subscriptions {
    sets: [HashSet<Bytes>; 3],
}

impl Subscriptions {
    /// Whether the connection is in subscribed mode.
    pub fn any(&self) -> bool {
        self.sets.iter().any(|s| !s.is_empty())
    }

    /// The count Redis puts in (un)subscribe replies: channels and patterns together, shard
    /// channels apart.
    fn count(&self, kind: SubKind) -> i64 {
        match kind {
            SubKind::ShardChannel => self.sets[2].len() as i64,
            _ => (self.sets[0].len() + self.sets[1].len()) as i64,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PubsubCmd {
    Subscribe(SubKind),
    Unsubscribe(SubKind),
    Pubsub,
}

const PUBSUB_ACL: &[&str] = &["pubsub", "slow"];
const SUB_FLAGS: u32 = PUBSUB | NOSCRIPT | LOADING | STALE;

const fn entry(name: &'static str, arity: i32, flags: u32, summary: &'static str) -> CommandSpec {
    server(name, arity, flags, PUBSUB_ACL, "pubsub", summary, "2.8.0")
}

static PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    entry(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        "Returns the active channels.",
    ),
    entry(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        "Returns a count of unique pattern subscriptions.",
    ),
    entry(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        "Returns a count of subscribers to channels.",
    ),
    CommandSpec {
        since: "7.0.0",
        ..entry(
            "pubsub|shardchannels",
            -2,
            PUBSUB | LOADING | STALE,
            "Returns the active shard channels.",
        )
    },
    CommandSpec {
        since: "7.0.0",
        ..entry(
            "pubsub|shardnumsub",
            -2,
            PUBSUB | LOADING | STALE,
            "Returns the count of subscribers of shard channels.",
        )
    },
    CommandSpec {
        acl: &["slow"],
        since: "6.2.0",
        ..entry(
            "pubsub|help",
            2,
            LOADING | STALE,
            "Returns helpful text about the different subcommands.",
        )
    },
];

/// The shard-channel commands name their channels where keys go, as Redis's key specs do.
const fn shard_entry(name: &'static str, arity: i32, summary: &'static str) -> CommandSpec {
    CommandSpec {
        first_key: 1,
        last_key: -1,
        step: 1,
        since: "7.0.0",
        ..entry(name, arity, SUB_FLAGS, summary)
    }
}

pub static SPECS: &[CommandSpec] = &[
    CommandSpec {
        since: "2.0.0",
        ..entry(
            "subscribe",
            -2,
            SUB_FLAGS,
            "Listens for messages published to channels.",
        )
    },
    CommandSpec {
        since: "2.0.0",
        ..entry(
            "unsubscribe",
            -1,
            SUB_FLAGS,
            "Stops listening to messages posted to channels.",
        )
    },
    CommandSpec {
        since: "2.0.0",
        ..entry(
            "psubscribe",
            -2,
            SUB_FLAGS,
            "Listens for messages published to channels that match one or more patterns.",
        )
    },
    CommandSpec {
        since: "2.0.0",
        ..entry(
            "punsubscribe",
            -1,
            SUB_FLAGS,
            "Stops listening to messages published to channels that match one or more patterns.",
        )
    },
    shard_entry(
        "ssubscribe",
        -2,
        "Listens for messages published to shard channels.",
    ),
    shard_entry(
        "sunsubscribe",
        -1,
        "Stops listening to messages posted to shard channels.",
    ),
    CommandSpec {
        subcommands: PUBSUB_SUBCOMMANDS,
        acl: &["slow"],
        ..entry("pubsub", -2, 0, "A container for Pub/Sub commands.")
    },
];

/// Maps a name of `SPECS` to its implementation.
pub fn server_cmd(name: &str) -> Option<ServerCmd> {
    Some(ServerCmd::Pubsub(match name {
        "subscribe" => PubsubCmd::Subscribe(SubKind::Channel),
        "psubscribe" => PubsubCmd::Subscribe(SubKind::Pattern),
        "ssubscribe" => PubsubCmd::Subscribe(SubKind::ShardChannel),
        "unsubscribe" => PubsubCmd::Unsubscribe(SubKind::Channel),
        "punsubscribe" => PubsubCmd::Unsubscribe(SubKind::Pattern),
        "sunsubscribe" => PubsubCmd::Unsubscribe(SubKind::ShardChannel),
        "pubsub" => PubsubCmd::Pubsub,
        _ => return None,
    }))
}

/// Whether a RESP2 connection in subscribed mode may run `cmd`.
pub fn allowed_when_subscribed(cmd: ServerCmd) -> bool {
    matches!(
        cmd,
        ServerCmd::Pubsub(PubsubCmd::Subscribe(_) | PubsubCmd::Unsubscribe(_))
            | ServerCmd::Ping
            | ServerCmd::Quit
            | ServerCmd::Reset
    )
}

pub fn subscribed_mode_error(name: &str) -> Reply {
    Reply::error(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

pub async fn run(node: &Rc<Node>, client: &mut Client, cmd: PubsubCmd, args: &[Bytes]) -> Reply {
    match cmd {
        PubsubCmd::Subscribe(kind) => subscribe(node, client, kind, &args[1..]).await,
        PubsubCmd::Unsubscribe(kind) => unsubscribe(node, client, kind, &args[1..]).await,
        PubsubCmd::Pubsub => pubsub(node, args).await,
    }
}

/// The shards that keep subscribers of `name`: every shard, but the owner alone for a shard
/// channel.
fn keepers(node: &Node, kind: SubKind, name: &[u8]) -> Keepers {
    match kind {
        SubKind::ShardChannel => Keepers::One(node.owner_of(name)),
        SubKind::Channel | SubKind::Pattern => Keepers::All,
    }
}

enum Keepers {
    All,
    One(usize),
}

/// Registers (or drops) `names` of each kind for this connection at the shards keeping
/// them: one hop per shard for all of them, every shard at once.
async fn register(node: &Rc<Node>, client: &Client, names: Vec<(SubKind, Bytes)>, add: bool) {
    if names.is_empty() {
        return;
    }
    let sub = Subscriber {
        thread: node.id,
        client: client.id,
    };
    let mut per_shard: Vec<Vec<(SubKind, Bytes)>> = vec![Vec::new(); node.nshards];
    for (kind, name) in names {
        match keepers(node, kind, &name) {
            Keepers::All => per_shard
                .iter_mut()
                .for_each(|s| s.push((kind, name.clone()))),
            Keepers::One(s) => per_shard[s].push((kind, name)),
        }
    }
    let tasks: Vec<_> = per_shard
        .into_iter()
        .enumerate()
        .filter(|(_, names)| !names.is_empty())
        .map(|(to, names)| {
            let node = node.clone();
            glommio::spawn_local(async move {
                let job = on_shard(move |n: &Node| {
                    let mut shard = n.shard.borrow_mut();
                    for (kind, name) in names {
                        if add {
                            shard.pubsub.subscribe(kind, name, sub);
                        } else {
                            shard.pubsub.unsubscribe(kind, &name, sub);
                        }
                    }
                });
                node.run_on(to, job).await
            })
        })
        .collect();
    for t in tasks {
        t.await;
    }
}

fn tagged(kind: SubKind, names: Vec<Bytes>) -> Vec<(SubKind, Bytes)> {
    names.into_iter().map(|n| (kind, n)).collect()
}

fn confirmation(verb: &'static str, name: Option<Bytes>, count: i64) -> Reply {
    Reply::Push(vec![
        Reply::Bulk(Bytes::from_static(verb.as_bytes())),
        name.map_or(Reply::Null, Reply::Bulk),
        Reply::Int(count),
    ])
}

fn verbs(kind: SubKind) -> (&'static str, &'static str) {
    match kind {
        SubKind::Channel => ("subscribe", "unsubscribe"),
        SubKind::Pattern => ("psubscribe", "punsubscribe"),
        SubKind::ShardChannel => ("ssubscribe", "sunsubscribe"),
    }
}

fn note(client: &Client) {
    let mut info = client.info.borrow_mut();
    for (i, set) in client.subs.sets.iter().enumerate() {
        info.subscriptions[i] = set.len();
    }
}

/// One confirmation per name, in the order given, each with the count after it.
async fn subscribe(node: &Rc<Node>, client: &mut Client, kind: SubKind, names: &[Bytes]) -> Reply {
    let fresh: Vec<Bytes> = {
        let mut seen = HashSet::new();
        names
            .iter()
            .filter(|n| !client.subs.sets[kind.index()].contains(*n) && seen.insert(*n))
            .cloned()
            .collect()
    };
    register(node, client, tagged(kind, fresh), true).await;
    let verb = verbs(kind).0;
    let mut replies = Vec::with_capacity(names.len());
    for name in names {
        client.subs.sets[kind.index()].insert(name.clone());
        replies.push(confirmation(
            verb,
            Some(name.clone()),
            client.subs.count(kind),
        ));
    }
    note(client);
    Reply::Sequence(replies)
}

async fn unsubscribe(
    node: &Rc<Node>,
    client: &mut Client,
    kind: SubKind,
    names: &[Bytes],
) -> Reply {
    let names: Vec<Bytes> = if names.is_empty() {
        client.subs.sets[kind.index()].iter().cloned().collect()
    } else {
        names.to_vec()
    };
    let verb = verbs(kind).1;
    if names.is_empty() {
        return confirmation(verb, None, client.subs.count(kind));
    }
    let held: Vec<Bytes> = names
        .iter()
        .filter(|n| client.subs.sets[kind.index()].contains(*n))
        .cloned()
        .collect();
    register(node, client, tagged(kind, held), false).await;
    let mut replies = Vec::with_capacity(names.len());
    for name in names {
        client.subs.sets[kind.index()].remove(&name);
        replies.push(confirmation(verb, Some(name), client.subs.count(kind)));
    }
    note(client);
    Reply::Sequence(replies)
}

/// Drops every subscription of a closing or RESET connection.
pub async fn unsubscribe_all(node: &Rc<Node>, client: &mut Client) {
    // All kinds in one hop per shard: once a shard shows no channel of this client, it
    // holds none of its patterns either.
    let mut names = Vec::new();
    for kind in SubKind::ALL {
        names.extend(tagged(
            kind,
            client.subs.sets[kind.index()].drain().collect(),
        ));
    }
    register(node, client, names, false).await;
    note(client);
}

async fn pubsub(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let Some(container) = SPECS.iter().find(|s| s.name == "pubsub") else {
        return Reply::error("ERR internal error: PUBSUB missing");
    };
    let sub = container.resolve(args);
    if std::ptr::eq(sub, container) {
        return unknown_subcommand(&args[1], "PUBSUB");
    }
    if !sub.arity_ok(args.len()) {
        return wrong_arity(sub.name);
    }
    let kind = if args::is(&args[1], "CHANNELS") || args::is(&args[1], "NUMSUB") {
        SubKind::Channel
    } else {
        SubKind::ShardChannel
    };
    if args::is(&args[1], "CHANNELS") || args::is(&args[1], "SHARDCHANNELS") {
        if args.len() > 3 {
            // Redis's older wording, kept for these two.
            return Reply::error(format!(
                "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
                String::from_utf8_lossy(&args[1])
            ));
        }
        let pattern = args.get(2).cloned();
        // Shard channels are each on one shard. Every shard keeps every channel, but a
        // subscription being dropped reaches them one by one: the union has it until all
        // have dropped it, after which PUBLISH anywhere finds nobody.
        let answers = node
            .run_on_all(|| {
                let pattern = pattern.clone();
                on_shard(move |n: &Node| n.shard.borrow().pubsub.names(kind, pattern.as_deref()))
            })
            .await;
        let mut names: Vec<Bytes> = answers
            .into_iter()
            .filter_map(Answer::take::<Vec<Bytes>>)
            .flatten()
            .collect();
        names.sort();
        names.dedup();
        return Reply::Array(names.into_iter().map(Reply::Bulk).collect());
    }
    if args::is(&args[1], "NUMSUB") || args::is(&args[1], "SHARDNUMSUB") {
        let mut out = Vec::with_capacity((args.len() - 2) * 2);
        for channel in &args[2..] {
            let name = channel.clone();
            let job = on_shard(move |n: &Node| n.shard.borrow().pubsub.count(kind, &name));
            let keeper = match keepers(node, kind, channel) {
                Keepers::One(s) => s,
                Keepers::All => node.id,
            };
            let count = node.run_on(keeper, job).await.take::<usize>().unwrap_or(0);
            out.push(Reply::Bulk(channel.clone()));
            out.push(Reply::Int(count as i64));
        }
        return Reply::Array(out);
    }
    if args::is(&args[1], "NUMPAT") {
        let answers = node
            .run_on_all(|| on_shard(|n: &Node| n.shard.borrow().pubsub.pattern_count()))
            .await;
        let count = answers.into_iter().filter_map(Answer::take::<usize>).max();
        return Reply::Int(count.unwrap_or(0) as i64);
    }
    help()
}

fn help() -> Reply {
    Reply::status_lines(&[
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Print this help.",
    ])
}

/// PING in RESP2 subscribed mode answers as a message: `pong` and the argument (or "").
pub fn subscribed_ping(args: &[Bytes]) -> Reply {
    Reply::Array(vec![
        Reply::Bulk(Bytes::from_static(b"pong")),
        Reply::Bulk(args.get(1).cloned().unwrap_or_default()),
    ])
}
