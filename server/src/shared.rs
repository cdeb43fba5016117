//! State shared by every shard thread: configuration, ids, global counters. Only atomics and
//! rarely-read structures live here; the keyspace never does.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::ConfigStore;
use crate::scripting::Scripts;

pub struct Shared {
    pub config: Arc<ConfigStore>,
    pub nshards: usize,
    pub started: Instant,
    pub port: u16,
    pub started_unix: u64,
    /// 40 hex characters, new at every start (INFO run_id).
    pub run_id: String,
    pub config_file: Option<String>,
    next_client_id: AtomicU64,
    next_tx_id: AtomicU64,
    pub connected_clients: AtomicI64,
    /// Clients waiting in a blocking command (INFO blocked_clients).
    pub blocked_clients: AtomicI64,
    pub total_connections: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub shutting_down: AtomicBool,
    /// Per-shard write ends of the stop signal (see `runtime`).
    pub stop_signals: Mutex<Vec<std::os::unix::net::UnixStream>>,
    pub scripts: Scripts,
}

impl Shared {
    pub fn new(config: Arc<ConfigStore>) -> Self {
        let snapshot = config.snapshot();
        Shared {
            nshards: snapshot.shards.max(1),
            port: snapshot.port,
            config_file: snapshot
                .config_file
                .as_ref()
                .map(|p| p.display().to_string()),
            config,
            started: Instant::now(),
            started_unix: crate::node::now_ms() / 1000,
            run_id: (0..40)
                .map(|_| char::from_digit(rand::random::<u32>() % 16, 16).unwrap_or('0'))
                .collect(),
            next_client_id: AtomicU64::new(1),
            next_tx_id: AtomicU64::new(1),
            connected_clients: AtomicI64::new(0),
            blocked_clients: AtomicI64::new(0),
            total_connections: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            shutting_down: AtomicBool::new(false),
            stop_signals: Mutex::new(Vec::new()),
            scripts: Scripts::new(snapshot.shards.max(1)),
        }
    }

    /// CONFIG RESETSTAT's share of the global counters.
    pub fn reset_stats(&self) {
        self.total_connections.store(0, Ordering::Relaxed);
        self.rejected_connections.store(0, Ordering::Relaxed);
    }

    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn next_tx_id(&self) -> u64 {
        self.next_tx_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Asks every shard thread to stop: they stop accepting, let in-flight replies go out and
    /// return, after which the process exits 0.
    pub fn begin_shutdown(&self) {
        if self.shutting_down.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Ok(signals) = self.stop_signals.lock() {
            for mut s in signals.iter() {
                let _ = std::io::Write::write_all(&mut s, b"x");
            }
        }
    }
}
