//! The directive table: one entry per name that redis.conf, `--name value` and CONFIG GET/SET
//! understand. Keeping parsing, formatting and mutability in a single row per directive is what
//! guarantees the file, the command line and CONFIG see exactly the same set.

use std::path::PathBuf;

use super::syntax::{memtoull, strerror, string2ll, strtoll_whole};
use super::{
    AppendFsync, Config, KeyspaceEvents, LogLevel, MaxmemoryPolicy, OutputLimit, SavePoint,
    MAX_SHARDS,
};

/// Whether CONFIG SET may change a directive, with Redis's wording for the refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    Modifiable,
    /// "can't set immutable config".
    Immutable,
    /// "can't set protected config" — what Redis 7 answers for `dir` unless
    /// `enable-protected-configs` is on, which ferrokv doesn't offer.
    Protected,
}

/// Where a value comes from; only `save` behaves differently between the two.
pub(super) struct SetContext {
    pub reading_file: bool,
    /// Redis keeps the default save points until the first `save` line, which then replaces
    /// them; later lines append.
    pub save_loaded: bool,
}

pub(super) type SetOne = fn(&mut Config, &[u8]) -> Result<(), String>;
pub(super) type SetMany = fn(&mut Config, &[&[u8]], &mut SetContext) -> Result<(), String>;

#[derive(Clone, Copy)]
pub(super) enum Setter {
    /// Exactly one argument in a config line; the whole CONFIG SET value.
    One(SetOne),
    /// Any number of arguments in a config line; CONFIG SET splits its value on spaces.
    Many(SetMany),
}

pub(super) struct Directive {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub access: Access,
    pub set: Setter,
    pub get: fn(&Config) -> String,
    pub help: &'static str,
}

const INT_MAX: i64 = i32::MAX as i64;
const INT_MIN: i64 = i32::MIN as i64;
const LONG_MAX: u64 = i64::MAX as u64;

const NOT_AN_INTEGER: &str = "argument couldn't be parsed into an integer";
const NOT_A_MEMORY_VALUE: &str = "argument must be a memory value";
const NOT_YES_NO: &str = "argument must be 'yes' or 'no'";

pub(super) const APPENDONLY_UNSUPPORTED: &str =
    "appendonly yes is not supported: ferrokv has no persistence yet, data lives in memory only";
pub(super) const DAEMONIZE_UNSUPPORTED: &str =
    "daemonize yes is not supported: ferrokv runs in the foreground, let systemd (or another \
     supervisor) run it in the background";

fn signed_bounds(value: i64, lo: i64, hi: i64) -> Result<i64, String> {
    if value < lo || value > hi {
        return Err(format!("argument must be between {lo} and {hi} inclusive"));
    }
    Ok(value)
}

// Redis compares unsigned configs after reinterpreting the parsed long long as unsigned, so
// `maxclients -1` is reported as out of range, not as unparsable.
fn unsigned_bounds(value: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if value < lo || value > hi {
        return Err(format!("argument must be between {lo} and {hi} inclusive"));
    }
    Ok(value)
}

fn int_arg(v: &[u8], lo: i64, hi: i64) -> Result<i64, String> {
    signed_bounds(string2ll(v).ok_or(NOT_AN_INTEGER)?, lo, hi)
}

fn uint_arg(v: &[u8], lo: u64, hi: u64) -> Result<u64, String> {
    unsigned_bounds(string2ll(v).ok_or(NOT_AN_INTEGER)? as u64, lo, hi)
}

fn memory_arg(v: &[u8], lo: u64, hi: u64) -> Result<u64, String> {
    unsigned_bounds(memtoull(v).ok_or(NOT_A_MEMORY_VALUE)?, lo, hi)
}

// For Redis's signed `long long` memory configs a value above LLONG_MAX wraps negative and
// then fails the signed bound check; reproduce that rather than accepting it.
fn signed_memory_arg(v: &[u8], lo: i64, hi: i64) -> Result<i64, String> {
    signed_bounds(memtoull(v).ok_or(NOT_A_MEMORY_VALUE)? as i64, lo, hi)
}

fn usize_from(value: u64) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("argument must be at most {}", usize::MAX))
}

fn yes_no(v: &[u8]) -> Result<bool, String> {
    if v.eq_ignore_ascii_case(b"yes") {
        Ok(true)
    } else if v.eq_ignore_ascii_case(b"no") {
        Ok(false)
    } else {
        Err(NOT_YES_NO.to_string())
    }
}

fn yes_no_str(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn enum_arg<T: Copy>(v: &[u8], options: &[(&str, T)]) -> Result<T, String> {
    options
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(v))
        .map(|&(_, value)| value)
        .ok_or_else(|| {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            format!(
                "argument(s) must be one of the following: {}",
                names.join(", ")
            )
        })
}

fn utf8_arg(v: &[u8]) -> Result<String, String> {
    String::from_utf8(v.to_vec()).map_err(|_| "argument must be valid UTF-8".to_string())
}

/// Redis checks every class before applying any, so a bad one leaves all unchanged.
fn set_output_limits(c: &mut Config, args: &[&[u8]], _: &mut SetContext) -> Result<(), String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut parsed = Vec::with_capacity(args.len() / 4);
    for class in args.chunks_exact(4) {
        let slot = match &class[0].to_ascii_lowercase()[..] {
            b"normal" => 0,
            b"replica" | b"slave" => 1,
            b"pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_string(),
                )
            }
        };
        let bad = || "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        let hard = memtoull(class[1]).ok_or_else(bad)?;
        let soft = memtoull(class[2]).ok_or_else(bad)?;
        let seconds = strtoll_whole(class[3])
            .filter(|&s| s >= 0)
            .ok_or_else(bad)?;
        parsed.push((
            slot,
            OutputLimit {
                hard,
                soft,
                soft_seconds: seconds as u64,
            },
        ));
    }
    for (slot, limit) in parsed {
        c.client_output_buffer_limit[slot] = limit;
    }
    Ok(())
}

fn get_output_limits(c: &Config) -> String {
    ["normal", "slave", "pubsub"]
        .iter()
        .zip(&c.client_output_buffer_limit)
        .map(|(class, l)| format!("{class} {} {} {}", l.hard, l.soft, l.soft_seconds))
        .collect::<Vec<_>>()
        .join(" ")
}

fn set_save(c: &mut Config, args: &[&[u8]], ctx: &mut SetContext) -> Result<(), String> {
    let mut args = args;
    // Redis 7.0 resets on `save ""` wherever it appears, before any other rule applies.
    if args.len() == 1 && args[0].is_empty() {
        c.save.clear();
        args = &[];
    }
    if args.len() % 2 == 1 {
        return Err("Invalid save parameters".to_string());
    }
    let mut points = Vec::with_capacity(args.len() / 2);
    for pair in args.chunks_exact(2) {
        let seconds = strtoll_whole(pair[0]).filter(|&s| s >= 1);
        let changes = strtoll_whole(pair[1]).filter(|&c| c >= 0);
        match (seconds, changes) {
            (Some(seconds), Some(changes)) => points.push(SavePoint {
                seconds: seconds as u64,
                changes: changes as u64,
            }),
            _ => return Err("Invalid save parameters".to_string()),
        }
    }
    // Redis 7.0.15 also clears its "reading a file" flag when an `include` returns, so every
    // `save` line after an include replaces instead of appending. That is an accident of its
    // implementation; here a whole load (file, includes, command line) appends consistently.
    if !ctx.reading_file || !ctx.save_loaded {
        c.save.clear();
    }
    if ctx.reading_file {
        ctx.save_loaded = true;
    }
    c.save.extend(points);
    Ok(())
}

fn get_save(c: &Config) -> String {
    let parts: Vec<String> = c
        .save
        .iter()
        .map(|p| format!("{} {}", p.seconds, p.changes))
        .collect();
    parts.join(" ")
}

// Redis's CONFIG_BINDADDR_MAX.
const BIND_ADDR_MAX: usize = 16;

fn set_bind(c: &mut Config, args: &[&[u8]], _: &mut SetContext) -> Result<(), String> {
    if args.len() > BIND_ADDR_MAX {
        return Err("Too many bind addresses specified.".to_string());
    }
    let args = if args.len() == 1 && args[0].is_empty() {
        &[][..]
    } else {
        args
    };
    c.bind = args.iter().map(|a| utf8_arg(a)).collect::<Result<_, _>>()?;
    Ok(())
}

// Redis chdir()s here; ferrokv only validates and records the absolute path, because changing
// the working directory of a multi-threaded process (and of the test harness) from inside
// config parsing would surprise every other thread. The error texts are chdir's.
fn set_dir(c: &mut Config, v: &[u8]) -> Result<(), String> {
    let path = PathBuf::from(utf8_arg(v)?);
    let resolved = std::fs::canonicalize(&path).map_err(|e| strerror(&e))?;
    if !resolved.is_dir() {
        return Err("Not a directory".to_string());
    }
    c.dir = resolved;
    Ok(())
}

macro_rules! getter {
    ($field:ident) => {
        |c: &Config| c.$field.to_string()
    };
}

pub(super) static DIRECTIVES: &[Directive] = &[
    Directive {
        name: "port",
        alias: None,
        access: Access::Immutable,
        set: Setter::One(|c, v| {
            c.port = int_arg(v, 0, 65535)? as u16;
            Ok(())
        }),
        get: getter!(port),
        help: "TCP port to listen on [default: 6379]",
    },
    Directive {
        name: "bind",
        alias: None,
        access: Access::Immutable,
        set: Setter::Many(set_bind),
        get: |c| c.bind.join(" "),
        help: "Addresses to listen on; a leading '-' makes one optional [default: 127.0.0.1 -::1]",
    },
    Directive {
        name: "protected-mode",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.protected_mode = yes_no(v)?;
            Ok(())
        }),
        get: |c| yes_no_str(c.protected_mode),
        help: "yes|no: refuse non-loopback clients when no password is set [default: yes]",
    },
    Directive {
        name: "requirepass",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.requirepass = (!v.is_empty()).then(|| utf8_arg(v)).transpose()?;
            Ok(())
        }),
        get: |c| c.requirepass.clone().unwrap_or_default(),
        help: "Password clients must AUTH with; empty disables [default: none]",
    },
    Directive {
        name: "databases",
        alias: None,
        access: Access::Immutable,
        set: Setter::One(|c, v| {
            c.databases = int_arg(v, 1, INT_MAX)? as usize;
            Ok(())
        }),
        get: getter!(databases),
        help: "Number of logical databases [default: 16]",
    },
    Directive {
        name: "timeout",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.timeout = int_arg(v, 0, INT_MAX)? as u32;
            Ok(())
        }),
        get: getter!(timeout),
        help: "Close idle clients after this many seconds, 0 = never [default: 0]",
    },
    Directive {
        name: "tcp-keepalive",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.tcp_keepalive = int_arg(v, 0, INT_MAX)? as u32;
            Ok(())
        }),
        get: getter!(tcp_keepalive),
        help: "TCP keepalive interval in seconds, 0 = off [default: 300]",
    },
    Directive {
        name: "maxclients",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.maxclients = uint_arg(v, 1, u64::from(u32::MAX))? as u32;
            Ok(())
        }),
        get: getter!(maxclients),
        help: "Maximum number of connected clients [default: 10000]",
    },
    Directive {
        name: "loglevel",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.loglevel = enum_arg(v, LogLevel::ALL)?;
            Ok(())
        }),
        get: getter!(loglevel),
        help: "debug|verbose|notice|warning|nothing [default: notice]",
    },
    Directive {
        name: "logfile",
        alias: None,
        access: Access::Immutable,
        set: Setter::One(|c, v| {
            c.logfile = (!v.is_empty())
                .then(|| utf8_arg(v).map(PathBuf::from))
                .transpose()?;
            Ok(())
        }),
        get: |c| {
            c.logfile
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        },
        help: "Log file path; empty logs to standard output [default: \"\"]",
    },
    Directive {
        name: "dir",
        alias: None,
        access: Access::Protected,
        set: Setter::One(set_dir),
        get: |c| c.dir.display().to_string(),
        help: "Working directory for persistence files [default: the current directory]",
    },
    Directive {
        name: "daemonize",
        alias: None,
        access: Access::Immutable,
        set: Setter::One(|c, v| {
            if yes_no(v)? {
                return Err(DAEMONIZE_UNSUPPORTED.to_string());
            }
            c.daemonize = false;
            Ok(())
        }),
        get: |c| yes_no_str(c.daemonize),
        help: "Only 'no' is accepted: run under systemd or another supervisor instead",
    },
    Directive {
        name: "save",
        alias: None,
        access: Access::Modifiable,
        set: Setter::Many(set_save),
        get: get_save,
        help: "\"<seconds> <changes> ...\" snapshot points; \"\" clears [default: 3600 1 300 100 60 10000]",
    },
    Directive {
        name: "appendonly",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            if yes_no(v)? {
                return Err(APPENDONLY_UNSUPPORTED.to_string());
            }
            c.appendonly = false;
            Ok(())
        }),
        get: |c| yes_no_str(c.appendonly),
        help: "Only 'no' is accepted until persistence is implemented",
    },
    Directive {
        name: "appendfsync",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.appendfsync = enum_arg(v, AppendFsync::ALL)?;
            Ok(())
        }),
        get: getter!(appendfsync),
        help: "everysec|always|no [default: everysec]",
    },
    Directive {
        name: "proto-max-bulk-len",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.proto_max_bulk_len = signed_memory_arg(v, 1024 * 1024, i64::MAX)? as u64;
            Ok(())
        }),
        get: getter!(proto_max_bulk_len),
        help: "Largest bulk string a client may send, memory units allowed [default: 512mb]",
    },
    Directive {
        name: "maxmemory",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.maxmemory = memory_arg(v, 0, u64::MAX)?;
            Ok(())
        }),
        get: getter!(maxmemory),
        help: "Memory limit in bytes (1k=1000, 1kb=1024, m/mb, g/gb), 0 = none [default: 0]",
    },
    Directive {
        name: "maxmemory-policy",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.maxmemory_policy = enum_arg(v, MaxmemoryPolicy::ALL)?;
            Ok(())
        }),
        get: getter!(maxmemory_policy),
        help: "Eviction policy when maxmemory is reached [default: noeviction]",
    },
    Directive {
        name: "hz",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            // Redis accepts any int and clamps, treating hz as a hint.
            c.hz = int_arg(v, 0, INT_MAX)?.clamp(super::MIN_HZ, super::MAX_HZ) as u32;
            Ok(())
        }),
        get: getter!(hz),
        help: "Background task frequency, clamped to 1..500 [default: 10]",
    },
    Directive {
        name: "busy-reply-threshold",
        alias: Some("lua-time-limit"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.busy_reply_threshold = int_arg(v, 0, i64::MAX)? as u64;
            Ok(())
        }),
        get: getter!(busy_reply_threshold),
        help: "Milliseconds a script may run before BUSY replies start [default: 5000]",
    },
    Directive {
        name: "client-output-buffer-limit",
        alias: None,
        access: Access::Modifiable,
        set: Setter::Many(set_output_limits),
        get: get_output_limits,
        help: "\"<class> <hard> <soft> <soft-seconds> ...\" for normal, replica and pubsub clients [default: normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60]",
    },
    Directive {
        name: "notify-keyspace-events",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.notify_keyspace_events = KeyspaceEvents::parse(v).ok_or(
                "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
            )?;
            Ok(())
        }),
        get: getter!(notify_keyspace_events),
        help: "Keyspace notification classes, e.g. KEA; empty disables [default: \"\"]",
    },
    Directive {
        name: "shards",
        alias: None,
        access: Access::Immutable,
        set: Setter::One(|c, v| {
            c.shards = int_arg(v, 1, MAX_SHARDS as i64)? as usize;
            Ok(())
        }),
        get: getter!(shards),
        help: "ferrokv: number of shard executor threads [default: one per available core]",
    },
    Directive {
        name: "hash-max-listpack-entries",
        alias: Some("hash-max-ziplist-entries"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.hash_max_listpack_entries = usize_from(uint_arg(v, 0, LONG_MAX)?)?;
            Ok(())
        }),
        get: getter!(hash_max_listpack_entries),
        help: "Compact hash encoding up to this many fields [default: 512]",
    },
    Directive {
        name: "hash-max-listpack-value",
        alias: Some("hash-max-ziplist-value"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.hash_max_listpack_value = usize_from(memory_arg(v, 0, LONG_MAX)?)?;
            Ok(())
        }),
        get: getter!(hash_max_listpack_value),
        help: "Compact hash encoding while values are at most this many bytes [default: 64]",
    },
    Directive {
        name: "set-max-intset-entries",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.set_max_intset_entries = usize_from(uint_arg(v, 0, LONG_MAX)?)?;
            Ok(())
        }),
        get: getter!(set_max_intset_entries),
        help: "Integer-set encoding up to this many members [default: 512]",
    },
    Directive {
        name: "zset-max-listpack-entries",
        alias: Some("zset-max-ziplist-entries"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.zset_max_listpack_entries = usize_from(uint_arg(v, 0, LONG_MAX)?)?;
            Ok(())
        }),
        get: getter!(zset_max_listpack_entries),
        help: "Compact sorted-set encoding up to this many members [default: 128]",
    },
    Directive {
        name: "zset-max-listpack-value",
        alias: Some("zset-max-ziplist-value"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.zset_max_listpack_value = usize_from(memory_arg(v, 0, LONG_MAX)?)?;
            Ok(())
        }),
        get: getter!(zset_max_listpack_value),
        help: "Compact sorted-set encoding while members are at most this many bytes [default: 64]",
    },
    Directive {
        name: "list-max-listpack-size",
        alias: Some("list-max-ziplist-size"),
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.list_max_listpack_size = int_arg(v, INT_MIN, INT_MAX)? as i32;
            Ok(())
        }),
        get: getter!(list_max_listpack_size),
        help: "List node size: >0 entries, -1..-5 = 4kb..64kb [default: -2]",
    },
    Directive {
        name: "stream-node-max-bytes",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.stream_node_max_bytes = memory_arg(v, 0, LONG_MAX)?;
            Ok(())
        }),
        get: getter!(stream_node_max_bytes),
        help: "Largest stream block in bytes, 0 = no limit [default: 4096]",
    },
    Directive {
        name: "stream-node-max-entries",
        alias: None,
        access: Access::Modifiable,
        set: Setter::One(|c, v| {
            c.stream_node_max_entries = int_arg(v, 0, i64::MAX)? as u64;
            Ok(())
        }),
        get: getter!(stream_node_max_entries),
        help: "Most entries in a stream block, 0 = no limit [default: 100]",
    },
];

/// Directives Redis 7.0 still accepts in files but ignores (argument count 2 only).
pub(super) const DEPRECATED: &[&str] = &[
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// Every other directive Redis 7.0.15 accepts (whitespace-separated). Naming them lets the
/// startup error say "not supported by ferrokv" instead of implying the user made a typo.
pub(super) const REDIS_ONLY: &str = "\
    acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min \
    active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower \
    active-defrag-threshold-upper active-expire-effort activedefrag activerehashing \
    always-show-logo aof-disable-auto-gc aof-load-truncated aof-rewrite-incremental-fsync \
    aof-timestamp-enabled aof-use-rdb-preamble aof_rewrite_cpulist appenddirname \
    appendfilename auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist \
    bind-source-addr bio_cpulist client-query-buffer-limit \
    cluster-allow-pubsubshard-when-down cluster-allow-reads-when-down \
    cluster-allow-replica-migration cluster-announce-bus-port cluster-announce-hostname \
    cluster-announce-ip cluster-announce-port cluster-announce-tls-port cluster-config-file \
    cluster-enabled cluster-link-sendbuf-limit cluster-migration-barrier cluster-node-timeout \
    cluster-port cluster-preferred-endpoint-type cluster-replica-no-failover \
    cluster-replica-validity-factor cluster-require-full-coverage cluster-slave-no-failover \
    cluster-slave-validity-factor crash-log-enabled crash-memcheck-enabled dbfilename \
    disable-thp dynamic-hz enable-debug-command enable-module-command enable-protected-configs \
    hll-sparse-max-bytes ignore-warnings io-threads io-threads-do-reads jemalloc-bg-thread \
    latency-monitor-threshold latency-tracking latency-tracking-info-percentiles \
    lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del \
    lazyfree-lazy-user-del lazyfree-lazy-user-flush lfu-decay-time lfu-log-factor \
    list-compress-depth masterauth masteruser maxmemory-clients maxmemory-eviction-tenacity \
    maxmemory-samples min-replicas-max-lag min-replicas-to-write min-slaves-max-lag \
    min-slaves-to-write no-appendfsync-on-rewrite oom-score-adj oom-score-adj-values pidfile \
    proc-title-template propagation-error-behavior rdb-del-sync-files \
    rdb-save-incremental-fsync rdbchecksum rdbcompression repl-backlog-size repl-backlog-ttl \
    repl-disable-tcp-nodelay repl-diskless-load repl-diskless-sync repl-diskless-sync-delay \
    repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period \
    repl-timeout replica-announce-ip replica-announce-port replica-announced \
    replica-ignore-disk-write-errors replica-ignore-maxmemory replica-lazy-flush \
    replica-priority replica-read-only replica-serve-stale-data replicaof \
    sanitize-dump-payload server_cpulist set-proc-title shutdown-on-sigint shutdown-on-sigterm \
    shutdown-timeout slave-announce-ip slave-announce-port slave-ignore-maxmemory \
    slave-lazy-flush slave-priority slave-read-only slave-serve-stale-data slaveof \
    slowlog-log-slower-than slowlog-max-len socket-mark-id stop-writes-on-bgsave-error \
    supervised syslog-enabled syslog-facility \
    syslog-ident tcp-backlog tls-auth-clients tls-ca-cert-dir tls-ca-cert-file tls-cert-file \
    tls-ciphers tls-ciphersuites tls-client-cert-file tls-client-key-file \
    tls-client-key-file-pass tls-cluster tls-dh-params-file tls-key-file tls-key-file-pass \
    tls-port tls-prefer-server-ciphers tls-protocols tls-replication tls-session-cache-size \
    tls-session-cache-timeout tls-session-caching tracking-table-max-keys unixsocket \
    unixsocketperm rename-command user loadmodule sentinel";

/// A name as CONFIG sees it: Redis registers aliases as entries of their own, which matters
/// for duplicate detection and for the name echoed in CONFIG SET errors.
#[derive(Clone, Copy)]
pub(super) struct Entry {
    pub directive: &'static Directive,
    pub name: &'static str,
}

impl Entry {
    pub fn is_same(&self, other: &Entry) -> bool {
        std::ptr::eq(self.directive, other.directive) && self.name == other.name
    }
}

pub(super) fn entries() -> impl Iterator<Item = Entry> {
    DIRECTIVES.iter().flat_map(|d| {
        std::iter::once(Entry {
            directive: d,
            name: d.name,
        })
        .chain(d.alias.map(|alias| Entry {
            directive: d,
            name: alias,
        }))
    })
}

pub(super) fn lookup(name: &[u8]) -> Option<Entry> {
    entries().find(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
}
