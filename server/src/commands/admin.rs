//! The admin surface: INFO, CONFIG, COMMAND, TIME, SHUTDOWN, DEBUG.

use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ferrokv_protocol::Reply;
use ferrokv_shard::shard::CommandStat;
use ferrokv_shard::{args, keys, CommandSpec};

use super::{unknown_subcommand, wrong_arity};
use crate::connection::Client;
use crate::hop::{on_shard, Answer};
use crate::node::{now_ms, Node};
use crate::table::CommandTable;

fn bulk_str(s: &str) -> Reply {
    Reply::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

pub fn time() -> Reply {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Reply::Array(vec![
        bulk_str(&now.as_secs().to_string()),
        bulk_str(&now.subsec_micros().to_string()),
    ])
}

pub fn shutdown(node: &Node, client: &mut Client, args: &[Bytes]) -> Reply {
    for a in &args[1..] {
        if !["NOSAVE", "SAVE", "NOW", "FORCE"]
            .iter()
            .any(|o| args::is(a, o))
        {
            return Reply::error("ERR syntax error");
        }
    }
    // Nothing to save until persistence exists; like Redis, a successful SHUTDOWN closes the
    // connection without a reply.
    if node.shared.scripts.busy_reply().is_some() {
        // A thread looping in a script never returns to its executor to stop: as Redis's
        // SHUTDOWN NOSAVE during a busy script, the process ends here.
        std::process::exit(0);
    }
    node.shared.begin_shutdown();
    client.close_silently = true;
    Reply::ok()
}

// ---- COMMAND -------------------------------------------------------------------------------

fn command_entry(spec: &CommandSpec, full_name: &str) -> Reply {
    let set = |items: Vec<Reply>| Reply::Set(items);
    Reply::Array(vec![
        bulk_str(full_name),
        Reply::Int(spec.arity as i64),
        set(spec
            .flag_names()
            .map(|f| Reply::Simple(Bytes::from_static(f.as_bytes())))
            .collect()),
        Reply::Int(spec.first_key as i64),
        Reply::Int(spec.last_key as i64),
        Reply::Int(spec.step as i64),
        set(spec
            .acl
            .iter()
            .map(|c| Reply::Simple(Bytes::from(format!("@{c}"))))
            .collect()),
        Reply::Array(vec![]),
        Reply::Array(vec![]),
        Reply::Array(
            spec.subcommands
                .iter()
                .map(|s| command_entry(s, &format!("{}|{}", spec.name, s.name)))
                .collect(),
        ),
    ])
}

fn command_docs(spec: &CommandSpec) -> Reply {
    Reply::Map(vec![
        (bulk_str("summary"), bulk_str(spec.summary)),
        (bulk_str("since"), bulk_str(spec.since)),
        (bulk_str("group"), bulk_str(spec.group)),
    ])
}

pub fn command(args: &[Bytes]) -> Reply {
    let table = CommandTable::get();
    let Some(sub) = args.get(1) else {
        return Reply::Array(
            table
                .all()
                .iter()
                .map(|c| command_entry(c.spec, c.spec.name))
                .collect(),
        );
    };
    let sub_lower = sub.to_ascii_lowercase();
    match &sub_lower[..] {
        b"count" if args.len() == 2 => Reply::Int(table.len() as i64),
        b"info" => {
            let names: Vec<&Bytes> = args[2..].iter().collect();
            if names.is_empty() {
                return command(&args[..1]);
            }
            Reply::Array(
                names
                    .into_iter()
                    .map(|n| match table.lookup(n) {
                        Some(c) => command_entry(c.spec, c.spec.name),
                        None => Reply::Null,
                    })
                    .collect(),
            )
        }
        b"docs" => {
            let specs: Vec<&CommandSpec> = if args.len() == 2 {
                table.all().iter().map(|c| c.spec).collect()
            } else {
                args[2..]
                    .iter()
                    .filter_map(|n| table.lookup(n))
                    .map(|c| c.spec)
                    .collect()
            };
            Reply::Map(
                specs
                    .into_iter()
                    .map(|s| (bulk_str(s.name), command_docs(s)))
                    .collect(),
            )
        }
        b"list" if args.len() == 2 => {
            Reply::Array(table.all().iter().map(|c| bulk_str(c.spec.name)).collect())
        }
        b"getkeys" if args.len() >= 3 => {
            let Some(c) = table.lookup(&args[2]) else {
                return Reply::error("ERR Invalid command specified");
            };
            let call = &args[2..];
            // A container's keys are its subcommand's (XGROUP CREATE key ...).
            let spec = c.spec.resolve(call);
            if !spec.arity_ok(call.len()) {
                return Reply::error("ERR Invalid number of arguments specified for command");
            }
            let keys: Vec<Reply> = spec
                .key_positions(call)
                .map(|i| Reply::Bulk(call[i].clone()))
                .collect();
            if keys.is_empty() {
                return Reply::error("ERR The command has no key arguments");
            }
            Reply::Array(keys)
        }
        b"help" if args.len() == 2 => Reply::status_lines(&[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "HELP",
            "    Print this help.",
        ]),
        b"count" | b"list" | b"getkeys" | b"help" => {
            wrong_arity(&format!("command|{}", String::from_utf8_lossy(&sub_lower)))
        }
        _ => unknown_subcommand(sub, "COMMAND"),
    }
}

// ---- CONFIG --------------------------------------------------------------------------------

pub async fn config(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let sub = args[1].to_ascii_lowercase();
    let store = &node.shared.config;
    match &sub[..] {
        b"get" if args.len() >= 3 => {
            let patterns: Vec<&[u8]> = args[2..].iter().map(|a| &a[..]).collect();
            let pairs = store.get_many(&patterns);
            Reply::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (bulk_str(&k), bulk_str(&v)))
                    .collect(),
            )
        }
        b"set" if args.len() >= 4 && args.len().is_multiple_of(2) => {
            let pairs: Vec<(Vec<u8>, Vec<u8>)> = args[2..]
                .chunks_exact(2)
                .map(|p| (p[0].to_vec(), p[1].to_vec()))
                .collect();
            match store.set(&pairs) {
                Ok(()) => {
                    let config = store.snapshot();
                    config.publish_shard_limits();
                    if node.shard.borrow().notify_flags() != config.notify_keyspace_events {
                        // Each shard reads the live value, so concurrent CONFIG SETs leave
                        // every shard with the last one.
                        node.run_on_all(|| {
                            on_shard(|n| {
                                let events = n.shared.config.with(|c| c.notify_keyspace_events);
                                n.shard.borrow_mut().set_notify_flags(events);
                            })
                        })
                        .await;
                    }
                    Reply::ok()
                }
                Err(e) => Reply::error(e),
            }
        }
        // Redis takes name/value pairs: a name without its value is a syntax error.
        b"set" if args.len() >= 4 => Reply::error("ERR syntax error"),
        b"resetstat" if args.len() == 2 => {
            node.run_on_all(|| {
                on_shard(|n| {
                    n.shard.borrow_mut().reset_stats();
                    n.net_input.set(0);
                    n.net_output.set(0);
                })
            })
            .await;
            node.shared.reset_stats();
            Reply::ok()
        }
        b"rewrite" if args.len() == 2 => {
            Reply::error("ERR CONFIG REWRITE is not supported by ferrokv yet")
        }
        b"help" if args.len() == 2 => Reply::status_lines(&[
            "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "HELP",
            "    Print this help.",
        ]),
        b"get" | b"set" | b"resetstat" | b"rewrite" | b"help" => {
            wrong_arity(&format!("config|{}", String::from_utf8_lossy(&sub)))
        }
        _ => unknown_subcommand(&args[1], "CONFIG"),
    }
}

// ---- DEBUG ---------------------------------------------------------------------------------

pub async fn debug(node: &Rc<Node>, db: usize, args: &[Bytes]) -> Reply {
    let sub = args[1].to_ascii_lowercase();
    match &sub[..] {
        b"sleep" if args.len() == 3 => {
            let Ok(secs) = args::float(&args[2]) else {
                return Reply::error("ERR value is not a valid float");
            };
            // Like Redis, DEBUG SLEEP blocks the thread: every client of this shard waits.
            std::thread::sleep(Duration::from_secs_f64(secs.max(0.0)));
            Reply::ok()
        }
        b"populate" if (3..=5).contains(&args.len()) => {
            let p = match keys::populate_args(&args[2..]) {
                Ok(p) => p,
                Err(e) => return e.into_reply(),
            };
            node.run_on_all(|| {
                let (prefix, count, size) = (p.prefix.clone(), p.count, p.size);
                on_shard(move |n| {
                    let mut shard = n.shard.borrow_mut();
                    let (nshards, me) = (n.nshards, n.id);
                    keys::populate(shard.db_mut(db), count, &prefix, size, now_ms(), |k| {
                        ferrokv_shard::slot::shard_of_key(k, nshards) == me
                    })
                })
            })
            .await;
            Reply::ok()
        }
        b"set-active-expire" if args.len() == 3 => {
            let on = args[2][..] != b"0"[..];
            node.run_on_all(|| on_shard(move |n| n.active_expire.set(on)))
                .await;
            Reply::ok()
        }
        b"help" => Reply::status_lines(&[
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named key:<num>.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background.",
            "SLEEP <seconds>",
            "    Stop the server for <seconds>. Decimals allowed.",
        ]),
        _ => Reply::error(format!(
            "ERR DEBUG {} is not supported by ferrokv",
            String::from_utf8_lossy(&args[1])
        )),
    }
}

// ---- INFO ----------------------------------------------------------------------------------

/// What INFO needs from one shard.
struct ShardReport {
    keyspace: Vec<(usize, usize)>,
    hits: u64,
    misses: u64,
    expired: u64,
    commands: Vec<CommandStat>,
    clients: usize,
    net_input: u64,
    net_output: u64,
}

fn report(node: &Node) -> ShardReport {
    let shard = node.shard.borrow();
    ShardReport {
        keyspace: (0..shard.databases())
            .map(|i| (shard.db(i).len(), shard.db(i).volatile_len()))
            .collect(),
        hits: shard.stats.keyspace_hits,
        misses: shard.stats.keyspace_misses,
        expired: (0..shard.databases()).map(|i| shard.db(i).expired).sum(),
        commands: shard.stats.commands.clone(),
        clients: node.clients.borrow().len(),
        net_input: node.net_input.get(),
        net_output: node.net_output.get(),
    }
}

fn human_bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1024.0 {
        format!("{n}B")
    } else if n < 1024.0 * 1024.0 {
        format!("{:.2}K", n / 1024.0)
    } else if n < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2}M", n / (1024.0 * 1024.0))
    } else {
        format!("{:.2}G", n / (1024.0 * 1024.0 * 1024.0))
    }
}

pub async fn info(node: &Rc<Node>, args: &[Bytes]) -> Reply {
    let reports: Vec<ShardReport> = node
        .run_on_all(|| on_shard(report))
        .await
        .into_iter()
        .filter_map(Answer::take)
        .collect();
    let sections: Vec<String> = args[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let everything = sections.iter().any(|s| s == "all" || s == "everything");
    let default = sections.is_empty() || sections.iter().any(|s| s == "default");
    let want = |name: &str, in_default: bool| {
        everything || (default && in_default) || sections.iter().any(|s| s == name)
    };
    let shared = &node.shared;
    let config = shared.config.snapshot();
    let mut out = String::new();
    let uptime = shared.started.elapsed().as_secs();
    if want("server", true) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let _ = write!(
            out,
            "# Server\r\nredis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:standalone\r\nos:{} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:io_uring\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\nprocess_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:0\r\nferrokv_version:{}\r\nshards:{}\r\n\r\n",
            crate::REDIS_VERSION,
            std::env::consts::OS,
            std::env::consts::ARCH,
            std::process::id(),
            shared.run_id,
            shared.port,
            now.as_micros(),
            uptime,
            uptime / 86400,
            config.hz,
            config.hz,
            (now_ms() / 1000) & 0xFF_FFFF,
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            shared.config_file.as_deref().unwrap_or(""),
            env!("CARGO_PKG_VERSION"),
            node.nshards,
        );
    }
    if want("clients", true) {
        let clients: usize = reports.iter().map(|r| r.clients).sum();
        let blocked = node
            .shared
            .blocked_clients
            .load(std::sync::atomic::Ordering::Relaxed);
        let _ = write!(
            out,
            "# Clients\r\nconnected_clients:{clients}\r\ncluster_connections:0\r\nmaxclients:{}\r\nclient_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:{blocked}\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n\r\n",
            config.maxclients
        );
    }
    if want("memory", true) {
        let mem = crate::memory::stats();
        let _ = write!(
            out,
            "# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{}\r\nused_memory_peak_human:{}\r\nused_memory_startup:{}\r\nused_memory_dataset:{}\r\nallocator_allocated:{}\r\nallocator_active:{}\r\nallocator_resident:{}\r\ntotal_system_memory:{}\r\ntotal_system_memory_human:{}\r\nused_memory_lua:0\r\nnumber_of_cached_scripts:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nmem_fragmentation_ratio:{:.2}\r\nmem_allocator:jemalloc-5.3.0\r\nlazyfree_pending_objects:0\r\n\r\n",
            mem.allocated,
            human_bytes(mem.allocated),
            mem.resident,
            human_bytes(mem.resident),
            mem.peak,
            human_bytes(mem.peak),
            mem.startup,
            mem.allocated.saturating_sub(mem.startup),
            mem.allocated,
            mem.active,
            mem.resident,
            mem.total_system,
            human_bytes(mem.total_system),
            shared.scripts.cached(),
            config.maxmemory,
            human_bytes(config.maxmemory),
            config.maxmemory_policy.as_str(),
            mem.resident as f64 / mem.allocated.max(1) as f64,
        );
    }
    if want("persistence", true) {
        let _ = write!(
            out,
            "# Persistence\r\nloading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:ok\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\naof_last_write_status:ok\r\n\r\n",
            shared.started_unix
        );
    }
    if want("stats", true) {
        let hits: u64 = reports.iter().map(|r| r.hits).sum();
        let misses: u64 = reports.iter().map(|r| r.misses).sum();
        let expired: u64 = reports.iter().map(|r| r.expired).sum();
        let processed: u64 = reports
            .iter()
            .flat_map(|r| r.commands.iter())
            .map(|c| c.calls)
            .sum();
        let _ = write!(
            out,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\npubsub_channels:0\r\npubsub_patterns:0\r\ntotal_error_replies:0\r\nferrokv_global_scripts:{}\r\nferrokv_global_script_runs:{}\r\n\r\n",
            shared.total_connections.load(std::sync::atomic::Ordering::Relaxed),
            processed,
            reports.iter().map(|r| r.net_input).sum::<u64>(),
            reports.iter().map(|r| r.net_output).sum::<u64>(),
            shared.rejected_connections.load(std::sync::atomic::Ordering::Relaxed),
            expired,
            hits,
            misses,
            shared.scripts.global_count(),
            shared.scripts.global_runs.load(std::sync::atomic::Ordering::Relaxed),
        );
    }
    if want("replication", true) {
        let _ = write!(
            out,
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_repl_offset:0\r\n\r\n",
            shared.run_id
        );
    }
    if want("cpu", true) {
        let (user, sys) = crate::memory::cpu_times();
        let _ = write!(
            out,
            "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\n\r\n"
        );
    }
    if want("commandstats", false) {
        out.push_str("# Commandstats\r\n");
        let table = CommandTable::get();
        for cmd in table.all() {
            let calls: u64 = reports
                .iter()
                .filter_map(|r| r.commands.get(cmd.id))
                .map(|c| c.calls)
                .sum();
            let stats = reports.iter().filter_map(|r| r.commands.get(cmd.id));
            let failed: u64 = stats.clone().map(|c| c.failed_calls).sum();
            let usec = stats.map(|c| c.nanos).sum::<u64>() / 1000;
            if calls > 0 {
                let _ = write!(
                    out,
                    "cmdstat_{}:calls={calls},usec={usec},usec_per_call={:.2},rejected_calls=0,failed_calls={failed}\r\n",
                    cmd.spec.name,
                    usec as f64 / calls as f64
                );
            }
        }
        out.push_str("\r\n");
    }
    if want("keyspace", true) {
        out.push_str("# Keyspace\r\n");
        let dbs = reports.first().map(|r| r.keyspace.len()).unwrap_or(0);
        for db in 0..dbs {
            let keys: usize = reports.iter().map(|r| r.keyspace[db].0).sum();
            let expires: usize = reports.iter().map(|r| r.keyspace[db].1).sum();
            if keys > 0 {
                let _ = write!(out, "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n");
            }
        }
        out.push_str("\r\n");
    }
    while out.ends_with("\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    Reply::Verbatim("txt", Bytes::from(out))
}
