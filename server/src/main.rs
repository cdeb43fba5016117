//! ferrokv-server: a Redis-compatible server, one shard per core.

mod blocking;
mod clients;
mod commands;
mod config;
mod connection;
mod coordinator;
mod dispatch;
mod hop;
mod mailbox;
mod memory;
mod node;
mod notify;
mod pubsub;
mod runtime;
mod scripting;
mod shared;
mod table;

use std::io::IsTerminal;
use std::sync::Arc;

use config::{Config, LogLevel};

/// The Redis version whose behaviour ferrokv matches; clients read it from INFO and HELLO.
pub const REDIS_VERSION: &str = "7.0.15";

fn init_logging(config: &Config) {
    let level = match config.loglevel {
        LogLevel::Debug => tracing::Level::DEBUG,
        LogLevel::Verbose => tracing::Level::DEBUG,
        LogLevel::Notice => tracing::Level::INFO,
        LogLevel::Warning => tracing::Level::WARN,
        LogLevel::Nothing => tracing::Level::ERROR,
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false);
    match &config.logfile {
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => builder
                .with_ansi(false)
                .with_writer(std::sync::Mutex::new(file))
                .init(),
            Err(e) => {
                eprintln!("Can't open the log file: {e}");
                std::process::exit(1);
            }
        },
        None => builder.with_ansi(std::io::stdout().is_terminal()).init(),
    }
}

fn main() {
    let config = match config::load_from_args(std::env::args().collect()) {
        Ok(c) => c,
        Err(e) => {
            if e.exit_code() == 0 {
                println!("{e}");
            } else {
                eprintln!("{e}");
            }
            std::process::exit(e.exit_code());
        }
    };
    init_logging(&config);
    config.publish_shard_limits();
    let store = Arc::new(config::ConfigStore::new(config.clone()));
    let shared = Arc::new(shared::Shared::new(store));
    std::process::exit(runtime::run(config, shared));
}
