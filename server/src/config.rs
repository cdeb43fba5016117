//! Server configuration: redis.conf syntax, `ferrokv-server [redis.conf] [--name value ...]`,
//! and the CONFIG GET/SET surface, all driven by one directive table so the three agree.
//!
//! Redis 7.0.15 is the reference: parsing, error texts and CONFIG GET formatting follow
//! `config.c` and were checked against a real `redis-server` 7.0.15. Deliberate differences
//! are called out where they are implemented.

use ferrokv_shard::limits;
use ferrokv_shard::notify::KeyspaceEvents;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;

// Explicit paths: this file is also compiled through `#[path]` from scratch crates, where
// default submodule lookup would resolve relative to a different directory.
#[path = "config/store.rs"]
mod store;
#[path = "config/syntax.rs"]
mod syntax;
#[path = "config/table.rs"]
mod table;
#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;

pub use store::ConfigStore;

use syntax::{glob_paths, has_glob_chars, repr, split_args, strerror, trim_line};
use table::{SetContext, Setter, DEPRECATED, REDIS_ONLY};

// A macro so the version can also be spliced into `concat!` (clap wants `&'static str`).
macro_rules! redis_version {
    () => {
        "7.0.15"
    };
}

/// The Redis release whose behaviour ferrokv matches (reported as `redis_version` in INFO).
pub const REDIS_VERSION: &str = redis_version!();

/// ferrokv's own version, shown in place of Redis's in fatal configuration errors.
pub const FERROKV_VERSION: &str = env!("CARGO_PKG_VERSION");

const MIN_HZ: i64 = 1;
const MAX_HZ: i64 = 500;
/// Upper bound for `shards`: far above any core count we run on, low enough that a typo
/// (`shards 10000000`) fails at startup instead of trying to spawn millions of threads.
pub const MAX_SHARDS: usize = 1024;
/// Redis has no limit and recurses until the stack overflows on an include loop.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Typed server configuration. Field names mirror the redis.conf directives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Absolute path of the config file given on the command line, if any.
    pub config_file: Option<PathBuf>,
    pub port: u16,
    /// Listen addresses as written (`-` prefix = optional, `*` = any IPv4, `::*` = any IPv6);
    /// empty means Redis's all-interfaces default. See [`Config::bind_addrs`].
    pub bind: Vec<String>,
    pub protected_mode: bool,
    /// `None` when no password is required (Redis stores `requirepass ""` the same way).
    /// Passwords that are not valid UTF-8 are rejected rather than altered.
    pub requirepass: Option<String>,
    pub databases: usize,
    /// Idle client timeout in seconds; 0 disables.
    pub timeout: u32,
    /// Seconds; 0 disables.
    pub tcp_keepalive: u32,
    pub maxclients: u32,
    pub loglevel: LogLevel,
    /// `None` logs to standard output.
    pub logfile: Option<PathBuf>,
    /// Canonical absolute path; not `chdir`ed into (see the `dir` setter).
    pub dir: PathBuf,
    /// Always false: `daemonize yes` is rejected.
    pub daemonize: bool,
    /// Snapshot points; empty when saving is disabled. Accepted for compatibility; ferrokv
    /// has no snapshotting yet, so nothing acts on them.
    pub save: Vec<SavePoint>,
    /// Always false: `appendonly yes` is rejected.
    pub appendonly: bool,
    pub appendfsync: AppendFsync,
    /// Bytes.
    pub proto_max_bulk_len: u64,
    /// Bytes; 0 means no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    /// Already clamped to 1..=500, as Redis does.
    pub hz: u32,
    /// Milliseconds (`busy-reply-threshold`, alias `lua-time-limit`).
    pub busy_reply_threshold: u64,
    pub notify_keyspace_events: KeyspaceEvents,
    /// `client-output-buffer-limit` for normal, replica and pubsub clients, in that order.
    pub client_output_buffer_limit: [OutputLimit; 3],
    /// ferrokv: number of shard executors.
    pub shards: usize,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Positive: max entries per list node; -1..-5: max node size 4kb..64kb.
    pub list_max_listpack_size: i32,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            config_file: None,
            port: 6379,
            bind: vec!["127.0.0.1".to_string(), "-::1".to_string()],
            protected_mode: true,
            requirepass: None,
            databases: 16,
            timeout: 0,
            tcp_keepalive: 300,
            maxclients: 10000,
            loglevel: LogLevel::Notice,
            logfile: None,
            dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            daemonize: false,
            save: [(3600, 1), (300, 100), (60, 10000)]
                .into_iter()
                .map(|(seconds, changes)| SavePoint { seconds, changes })
                .collect(),
            appendonly: false,
            appendfsync: AppendFsync::Everysec,
            proto_max_bulk_len: 512 * 1024 * 1024,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            hz: 10,
            busy_reply_threshold: 5000,
            notify_keyspace_events: KeyspaceEvents::NONE,
            client_output_buffer_limit: [
                OutputLimit::default(),
                OutputLimit {
                    hard: 256 << 20,
                    soft: 64 << 20,
                    soft_seconds: 60,
                },
                OutputLimit::PUBSUB_DEFAULT,
            ],
            shards: std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_SHARDS)),
            hash_max_listpack_entries: limits::DEFAULT.hash_max_listpack_entries,
            hash_max_listpack_value: limits::DEFAULT.hash_max_listpack_value,
            set_max_intset_entries: limits::DEFAULT.set_max_intset_entries,
            zset_max_listpack_entries: limits::DEFAULT.zset_max_listpack_entries,
            zset_max_listpack_value: limits::DEFAULT.zset_max_listpack_value,
            list_max_listpack_size: limits::DEFAULT.list_max_listpack_size as i32,
            stream_node_max_bytes: limits::DEFAULT.stream_node_max_bytes,
            stream_node_max_entries: limits::DEFAULT.stream_node_max_entries,
        }
    }
}

/// One listen address with Redis's `bind` conventions already applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindAddr {
    /// `0.0.0.0` for `*`, `::` for `::*`, otherwise the address as written.
    pub host: String,
    /// Written with a leading `-`: failing to bind it (e.g. no IPv6) is not fatal.
    pub optional: bool,
}

impl Config {
    /// Hands the settings the shard crate reads on every command (string size cap, encoding
    /// thresholds) to it; called at startup and after every CONFIG SET.
    pub fn publish_shard_limits(&self) {
        ferrokv_shard::string::set_proto_max_bulk_len(self.proto_max_bulk_len);
        limits::set(limits::EncodingLimits {
            hash_max_listpack_entries: self.hash_max_listpack_entries,
            hash_max_listpack_value: self.hash_max_listpack_value,
            set_max_intset_entries: self.set_max_intset_entries,
            zset_max_listpack_entries: self.zset_max_listpack_entries,
            zset_max_listpack_value: self.zset_max_listpack_value,
            list_max_listpack_size: self.list_max_listpack_size as i64,
            stream_node_max_bytes: self.stream_node_max_bytes,
            stream_node_max_entries: self.stream_node_max_entries,
        });
    }

    /// The addresses to listen on. An empty `bind` means what it means in Redis 7:
    /// `* -::*`, every IPv4 interface and, if available, every IPv6 one.
    pub fn bind_addrs(&self) -> Vec<BindAddr> {
        let default = ["*".to_string(), "-::*".to_string()];
        let addrs = if self.bind.is_empty() {
            &default[..]
        } else {
            &self.bind[..]
        };
        addrs
            .iter()
            .map(|a| {
                let (optional, host) = match a.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, a.as_str()),
                };
                let host = match host {
                    "*" => "0.0.0.0",
                    "::*" => "::",
                    other => other,
                };
                BindAddr {
                    host: host.to_string(),
                    optional,
                }
            })
            .collect()
    }
}

/// A `save <seconds> <changes>` point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavePoint {
    pub seconds: u64,
    pub changes: u64,
}

/// Ordered from most to least verbose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    /// Redis 7.2's addition (7.0.15 lacks it); accepting it costs nothing and lets newer
    /// configs load. The only visible difference is the longer list in the error message.
    Nothing,
}

impl LogLevel {
    // Order matters: it is the order Redis lists the choices in its error message.
    const ALL: &'static [(&'static str, LogLevel)] = &[
        ("debug", LogLevel::Debug),
        ("verbose", LogLevel::Verbose),
        ("notice", LogLevel::Notice),
        ("warning", LogLevel::Warning),
        ("nothing", LogLevel::Nothing),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Verbose => "verbose",
            LogLevel::Notice => "notice",
            LogLevel::Warning => "warning",
            LogLevel::Nothing => "nothing",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    Everysec,
    Always,
    No,
}

impl AppendFsync {
    const ALL: &'static [(&'static str, AppendFsync)] = &[
        ("everysec", AppendFsync::Everysec),
        ("always", AppendFsync::Always),
        ("no", AppendFsync::No),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppendFsync::Everysec => "everysec",
            AppendFsync::Always => "always",
            AppendFsync::No => "no",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl MaxmemoryPolicy {
    const ALL: &'static [(&'static str, MaxmemoryPolicy)] = &[
        ("volatile-lru", MaxmemoryPolicy::VolatileLru),
        ("volatile-lfu", MaxmemoryPolicy::VolatileLfu),
        ("volatile-random", MaxmemoryPolicy::VolatileRandom),
        ("volatile-ttl", MaxmemoryPolicy::VolatileTtl),
        ("allkeys-lru", MaxmemoryPolicy::AllkeysLru),
        ("allkeys-lfu", MaxmemoryPolicy::AllkeysLfu),
        ("allkeys-random", MaxmemoryPolicy::AllkeysRandom),
        ("noeviction", MaxmemoryPolicy::NoEviction),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::NoEviction => "noeviction",
        }
    }
}

// CONFIG GET and INFO spell these exactly as redis.conf does.
macro_rules! display_as_str {
    ($($t:ty),*) => {
        $(impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        })*
    };
}

display_as_str!(LogLevel, AppendFsync, MaxmemoryPolicy);

/// One class of `client-output-buffer-limit`: a client is closed when its pending output
/// passes `hard` bytes, or stays above `soft` bytes for `soft_seconds`; 0 disables a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: u64,
}

impl OutputLimit {
    pub const PUBSUB_DEFAULT: OutputLimit = OutputLimit {
        hard: 32 << 20,
        soft: 8 << 20,
        soft_seconds: 60,
    };
}

/// Why startup configuration did not produce a [`Config`].
///
/// `Display` renders exactly what should be printed, without a trailing newline:
/// `Help`/`Version` go to stdout with exit status 0, the rest to stderr with exit status 1
/// (see [`ConfigError::exit_code`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// `-h` / `--help` as the first argument.
    Help(String),
    /// `-v` / `--version` as the first argument.
    Version(String),
    /// Redis's "FATAL CONFIG FILE ERROR" report. `line` is the 1-based line number within the
    /// text being parsed (the config file followed by the command-line options, or an
    /// included file) and the offending line as written.
    Fatal {
        line: Option<(usize, String)>,
        message: String,
    },
    /// A config file or non-wildcard `include` that cannot be read.
    CantOpen { path: String, reason: String },
}

impl ConfigError {
    pub fn exit_code(&self) -> i32 {
        match self {
            ConfigError::Help(_) | ConfigError::Version(_) => 0,
            ConfigError::Fatal { .. } | ConfigError::CantOpen { .. } => 1,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Help(text) | ConfigError::Version(text) => f.write_str(text),
            ConfigError::Fatal { line, message } => {
                writeln!(f)?;
                writeln!(
                    f,
                    "*** FATAL CONFIG FILE ERROR (ferrokv {FERROKV_VERSION}) ***"
                )?;
                if let Some((number, text)) = line {
                    writeln!(f, "Reading the configuration file, at line {number}")?;
                    writeln!(f, ">>> '{text}'")?;
                }
                f.write_str(message)
            }
            ConfigError::CantOpen { path, reason } => {
                write!(f, "Fatal error, can't open config file '{path}': {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Builds the startup configuration from the process arguments, `args[0]` being the program
/// name (pass `std::env::args().collect()`).
///
/// Follows `redis-server`: an optional first argument not starting with `-` is the config
/// file; every following `--name value...` becomes the config line `name "value" ...` appended
/// after the file, so the command line overrides the file; a lone `-` as first or last
/// argument also reads config from stdin. `-h`/`--help` and `-v`/`--version` are only
/// recognised as the first argument, as in Redis.
pub fn load_from_args(args: Vec<String>) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    // Redis doesn't run the loader at all without arguments; neither do we, so a plain
    // `ferrokv-server` never touches the filesystem.
    let Some(first) = args.get(1) else {
        return Ok(config);
    };
    match first.as_str() {
        "-v" | "--version" => return Err(ConfigError::Version(version_text())),
        "-h" | "--help" => return Err(ConfigError::Help(help_text())),
        _ => {}
    }

    let mut text = Vec::new();
    let mut options_start = 1;
    if !first.starts_with('-') {
        text = read_config_source(first.as_bytes())?;
        config.config_file = Some(std::path::absolute(first).unwrap_or_else(|_| first.into()));
        options_start = 2;
    }
    let (options, from_stdin) = options_from_args(&args, options_start);
    if from_stdin {
        // Like Redis's fgets loop, a read error simply ends the input.
        let _ = std::io::stdin().read_to_end(&mut text);
    }
    text.push(b'\n');
    text.extend_from_slice(options.as_bytes());

    let mut loader = Loader {
        config,
        context: SetContext {
            reading_file: true,
            save_loaded: false,
        },
        depth: 0,
    };
    loader.load_text(&text)?;
    loader.finish()
}

/// The part of Redis's `main()` that turns argv into config lines. Returns the lines and
/// whether a lone `-` asked for stdin.
fn options_from_args(args: &[String], start: usize) -> (String, bool) {
    let mut options = String::new();
    let mut from_stdin = false;
    // False right after an option name that came without a value: the next argument is its
    // value even if it starts with `--` (`--appendonly --save` sets appendonly to "--save").
    let mut handled_last_option = true;
    let last = args.len().saturating_sub(1);
    for j in start..args.len() {
        let arg = &args[j];
        if arg == "-" && (j == 1 || j == last) {
            from_stdin = true;
        } else if handled_last_option && arg.starts_with("--") {
            if !options.is_empty() {
                options.push('\n');
            }
            options.push_str(&arg[2..]);
            options.push(' ');
            // "--port 6380" as a single argument carries its own value.
            if split_args(arg.as_bytes()).is_some_and(|v| v.len() == 1) {
                handled_last_option = false;
                let next_is_option = j != last && args[j + 1].starts_with("--");
                // `--save` with no value means `save ""` (pre-7.0 compatibility in Redis).
                if arg.eq_ignore_ascii_case("--save") && (next_is_option || j == last) {
                    options.push_str("\"\"");
                    handled_last_option = next_is_option;
                }
            } else {
                handled_last_option = true;
            }
        } else {
            options.push_str(&repr(arg.as_bytes()));
            options.push(' ');
            handled_last_option = true;
        }
    }
    (options, from_stdin)
}

/// Reads a config file, or every file a wildcard pattern matches (in sorted order), the way
/// Redis's `loadServerConfig` does: contents are concatenated as they are.
fn read_config_source(path: &[u8]) -> Result<Vec<u8>, ConfigError> {
    use std::os::unix::ffi::OsStrExt;
    let files = if has_glob_chars(path) {
        glob_paths(path)
    } else {
        vec![PathBuf::from(std::ffi::OsStr::from_bytes(path))]
    };
    let mut text = Vec::new();
    for file in files {
        let content = std::fs::read(&file).map_err(|e| ConfigError::CantOpen {
            path: file.display().to_string(),
            reason: strerror(&e),
        })?;
        text.extend_from_slice(&content);
    }
    Ok(text)
}

struct Loader {
    config: Config,
    context: SetContext,
    depth: usize,
}

impl Loader {
    /// Redis's `loadServerConfigFromString`: line numbers restart for every included file.
    fn load_text(&mut self, text: &[u8]) -> Result<(), ConfigError> {
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim_line(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fatal = |message: &str| ConfigError::Fatal {
                line: Some((index + 1, String::from_utf8_lossy(line).into_owned())),
                message: message.to_string(),
            };
            let argv =
                split_args(line).ok_or_else(|| fatal("Unbalanced quotes in configuration line"))?;
            let Some((name, values)) = argv.split_first() else {
                continue;
            };
            let name = name.to_ascii_lowercase();
            let values: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();

            if let Some(entry) = table::lookup(&name) {
                match entry.directive.set {
                    Setter::One(set) => {
                        let [value] = values[..] else {
                            return Err(fatal("wrong number of arguments"));
                        };
                        set(&mut self.config, value).map_err(|m| fatal(&m))?;
                    }
                    Setter::Many(set) => {
                        set(&mut self.config, &values, &mut self.context).map_err(|m| fatal(&m))?
                    }
                }
                continue;
            }
            let name = String::from_utf8_lossy(&name);
            if values.len() == 1 && DEPRECATED.contains(&name.as_ref()) {
                continue;
            }
            if name == "include" && values.len() == 1 {
                if self.depth >= MAX_INCLUDE_DEPTH {
                    return Err(fatal(
                        "include nesting is too deep (does a file include itself?)",
                    ));
                }
                let included = read_config_source(values[0])?;
                self.depth += 1;
                let result = self.load_text(&included);
                self.depth -= 1;
                result?;
                continue;
            }
            if REDIS_ONLY.split_ascii_whitespace().any(|n| n == name) {
                return Err(fatal(&format!(
                    "'{name}' is a Redis directive that ferrokv does not support"
                )));
            }
            return Err(fatal("Bad directive or wrong number of arguments"));
        }
        Ok(())
    }

    fn finish(self) -> Result<Config, ConfigError> {
        // Redis opens the log file once while loading so that an unwritable path fails
        // startup instead of silently losing logs later.
        if let Some(path) = &self.config.logfile {
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| ConfigError::Fatal {
                    line: None,
                    message: format!("Can't open the log file: {}", strerror(&e)),
                })?;
        }
        Ok(self.config)
    }
}

const VERSION_STRING: &str = concat!(
    "v=",
    env!("CARGO_PKG_VERSION"),
    " redis_version=",
    redis_version!()
);

fn cli_command() -> clap::Command {
    use clap::{Arg, ArgAction, Command};
    let mut command = Command::new("ferrokv-server")
        .version(VERSION_STRING)
        .about(format!(
            "ferrokv: a Redis-compatible server (behaves as Redis {REDIS_VERSION})"
        ))
        .override_usage(
            "ferrokv-server [/path/to/redis.conf] [--<directive> <value>...] [-]\n       \
             ferrokv-server -v | --version\n       \
             ferrokv-server -h | --help",
        )
        .after_help(
            "Options after the config file are appended to it as config lines, so they win \
             over the file.\n\
             Memory values accept 1k=1000, 1kb=1024, m/mb, g/gb. A lone '-' reads more config \
             from stdin.\n\n\
             Examples:\n  \
             ferrokv-server /etc/ferrokv/redis.conf\n  \
             ferrokv-server --port 7777 --save ''\n  \
             ferrokv-server --bind 127.0.0.1 ::1 --maxmemory 2gb --maxmemory-policy allkeys-lru\n  \
             echo 'maxmemory 128mb' | ferrokv-server -",
        )
        .arg(
            Arg::new("config")
                .value_name("/path/to/redis.conf")
                .help("redis.conf-syntax file, read before the options"),
        );
    for directive in table::DIRECTIVES {
        let mut arg = Arg::new(directive.name)
            .long(directive.name)
            .value_name("VALUE")
            .num_args(1..)
            .action(ArgAction::Append)
            .help(directive.help);
        if let Some(alias) = directive.alias {
            arg = arg.visible_alias(alias);
        }
        command = command.arg(arg);
    }
    command
}

fn help_text() -> String {
    cli_command()
        .render_help()
        .to_string()
        .trim_end()
        .to_string()
}

fn version_text() -> String {
    cli_command().render_version().trim_end().to_string()
}
