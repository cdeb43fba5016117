//! Starting and stopping the shard threads: one glommio executor per shard, pinned to a core
//! when the system allows, each listening on the port with SO_REUSEPORT.

use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::net::UnixStream as StdUnixStream;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use ferrokv_shard::script::ScriptVm;
use ferrokv_shard::Shard;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, UnixStream};
use glommio::{LocalExecutorBuilder, Placement};

use crate::clients::ClientRegistry;
use crate::config::Config;
use crate::config::OutputLimit;
use crate::connection;
use crate::hop::{build_mesh, Mesh, MeshEnds};
use crate::node::{now_ms, Node};
use crate::notify::Notify;
use crate::shared::Shared;

/// Work the expiry cycle may do per database per tick, in entries examined; keeps a tick short
/// however many keys expire at once.
const EXPIRE_BUDGET: usize = 20_000;

/// How long a shard thread keeps polling after it had work, when there are hops to answer.
const HOP_SPIN: Duration = Duration::from_micros(50);

/// Runs the server until SHUTDOWN or a signal; returns the process exit code.
pub fn run(config: Config, shared: Arc<Shared>) -> i32 {
    if let Err(e) = check_port_free(&config) {
        tracing::error!("{e}");
        eprintln!("{e}");
        return 1;
    }
    let nshards = shared.nshards;
    let mut ends = build_mesh(nshards);
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let cores = core_affinity::get_core_ids().unwrap_or_default();
    let mut handles = Vec::new();
    for id in (0..nshards).rev() {
        let mesh_ends = ends.pop().expect("one set of mesh ends per shard");
        let (stop_read, stop_write) = match StdUnixStream::pair() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("cannot create the stop signal: {e}");
                return 1;
            }
        };
        if let Ok(mut signals) = shared.stop_signals.lock() {
            signals.push(stop_write);
        }
        let stop_fd = stop_read.into_raw_fd();
        let placement = match cores.get(id) {
            Some(core) if pinning_allowed(core) => Placement::Fixed(core.id),
            // Pinning can be refused (containers, cgroups) or cores can be fewer than shards:
            // run unpinned rather than not at all.
            _ => Placement::Unbound,
        };
        let (shared2, config2, ready) = (shared.clone(), config.clone(), ready_tx.clone());
        let mut builder = LocalExecutorBuilder::new(placement).name(&format!("shard-{id}"));
        if nshards > 1 {
            // Waking a parked thread costs tens of µs here (bench: `ferrokv-bench hop`); a
            // short spin after activity keeps a hop between busy shards cheap, and an idle
            // server still parks.
            builder = builder.spin_before_park(HOP_SPIN);
        }
        let spawned =
            builder.spawn(move || shard_main(id, config2, shared2, mesh_ends, stop_fd, ready));
        let handle = match spawned {
            Ok(h) => h,
            Err(e) => {
                eprintln!("cannot start shard {id}: {e}");
                return 1;
            }
        };
        handles.push(handle);
    }
    // Before any shard can answer a client: a SIGTERM right after the first reply must find
    // the handler (every stop signal is registered by now).
    watch_signals(shared.clone());
    drop(ready_tx);
    for _ in 0..nshards {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!("{e}");
                eprintln!("{e}");
                shared.begin_shutdown();
                for h in handles {
                    let _ = h.join();
                }
                return 1;
            }
            Err(_) => return 1,
        }
    }
    crate::memory::mark_startup();
    tracing::info!(
        "ferrokv {} ready: port {}, {} shards, pid {}",
        env!("CARGO_PKG_VERSION"),
        shared.port,
        nshards,
        std::process::id()
    );
    for h in handles {
        let _ = h.join();
    }
    tracing::info!("ferrokv is now ready to exit, bye bye...");
    0
}

/// Whether this process may pin a thread to `core` (a throwaway thread tries).
fn pinning_allowed(core: &core_affinity::CoreId) -> bool {
    let core = *core;
    std::thread::spawn(move || core_affinity::set_for_current(core))
        .join()
        .unwrap_or(false)
}

/// SIGINT/SIGTERM start a clean shutdown, as SHUTDOWN does.
fn watch_signals(shared: Arc<Shared>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    tracing::warn!("received signal {sig}, shutting down");
                    shared.begin_shutdown();
                }
            });
        }
        Err(e) => tracing::warn!("cannot watch signals: {e}"),
    }
}

/// The shards' listeners share the port through SO_REUSEPORT, which would just as silently
/// share it with another process's listener (each would get part of the connections). Refuse
/// a port something already listens on for an overlapping address, as Redis's bind would.
/// (A plain probe bind would not do: after a kill -9 the dead server's connections still hold
/// the port without SO_REUSEADDR, and a restart must work.)
fn check_port_free(config: &Config) -> Result<(), String> {
    let taken = listeners_on(config.port);
    for addr in config.bind_addrs() {
        let Ok(ours) = addr.host.parse::<IpAddr>() else {
            continue;
        };
        let overlaps = |t: &IpAddr| t.is_unspecified() || ours.is_unspecified() || *t == ours;
        if !addr.optional && taken.iter().any(overlaps) {
            return Err(format!(
                "Warning: Could not create server TCP listening socket {}:{}: bind: Address already in use",
                addr.host, config.port
            ));
        }
    }
    Ok(())
}

/// Local addresses of the TCP sockets listening on `port`, from /proc/net/tcp and tcp6.
fn listeners_on(port: u16) -> Vec<IpAddr> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st ...; 0A is LISTEN.
            let (Some(local), Some("0A")) = (fields.get(1), fields.get(3).copied()) else {
                continue;
            };
            let Some((ip, p)) = local.split_once(':') else {
                continue;
            };
            if u16::from_str_radix(p, 16) != Ok(port) {
                continue;
            }
            if let Some(ip) = proc_net_ip(ip) {
                found.push(ip);
            }
        }
    }
    found
}

/// An address as /proc/net/tcp{,6} prints it: 32-bit words in hex, each in host byte order.
fn proc_net_ip(hex: &str) -> Option<IpAddr> {
    let words: Vec<u32> = (0..hex.len() / 8)
        .map(|i| u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

fn bind_all(config: &Config) -> Result<Vec<TcpListener>, String> {
    let mut listeners = Vec::new();
    for addr in config.bind_addrs() {
        let host = if addr.host.contains(':') {
            format!("[{}]", addr.host)
        } else {
            addr.host.clone()
        };
        match TcpListener::bind(format!("{host}:{}", config.port)) {
            Ok(l) => listeners.push(l),
            Err(e) if addr.optional => tracing::debug!("skipping optional bind {}: {e}", addr.host),
            Err(e) => {
                return Err(format!(
                    "Warning: Could not create server TCP listening socket {}:{}: {e}",
                    addr.host, config.port
                ))
            }
        }
    }
    if listeners.is_empty() {
        return Err(format!(
            "Failed listening on port {} (tcp), aborting.",
            config.port
        ));
    }
    Ok(listeners)
}

async fn shard_main(
    id: usize,
    config: Config,
    shared: Arc<Shared>,
    ends: MeshEnds,
    stop_fd: i32,
    ready: mpsc::Sender<Result<(), String>>,
) {
    let (mesh, receivers) = Mesh::connect(id, ends).await;
    let seed = rand::random::<u64>();
    let mut shard = Shard::new(id, config.databases, seed).with_shards(config.shards);
    shard.set_notify_flags(config.notify_keyspace_events);
    let node = Rc::new(Node {
        id,
        nshards: shared.nshards,
        shard: RefCell::new(shard),
        mesh: Rc::new(mesh),
        shared: shared.clone(),
        unlocked: Notify::default(),
        serve_again: Notify::default(),
        unflushed: RefCell::new(Vec::new()),
        to_send: Notify::default(),
        clients: RefCell::new(ClientRegistry::default()),
        busy_connections: Cell::new(0),
        net_input: Cell::new(0),
        net_output: Cell::new(0),
        active_expire: Cell::new(true),
        vm: RefCell::new(ScriptVm::new()),
        pubsub_limit: Cell::new((u64::MAX, OutputLimit::PUBSUB_DEFAULT)),
    });
    for rx in receivers {
        glommio::spawn_local(node.clone().serve_hops(rx)).detach();
    }
    glommio::spawn_local(node.clone().serve_again_loop()).detach();
    glommio::spawn_local(node.clone().send_loop()).detach();
    let listeners = match bind_all(&config) {
        Ok(l) => l,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    for listener in listeners {
        glommio::spawn_local(accept_loop(node.clone(), listener, config.tcp_keepalive)).detach();
    }
    glommio::spawn_local(expire_cycle(node.clone())).detach();
    let _ = ready.send(Ok(()));

    // SAFETY: the fd comes from `into_raw_fd` of a socket this thread now owns alone.
    let mut stop = unsafe { UnixStream::from_raw_fd(stop_fd) };
    let mut byte = [0u8; 1];
    let _ = stop.read(&mut byte).await;
    // Let replies already being produced go out, within reason.
    for _ in 0..200 {
        if node.busy_connections.get() == 0 {
            break;
        }
        glommio::timer::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.close().await;
}

async fn accept_loop(node: Rc<Node>, listener: TcpListener, keepalive: u32) {
    loop {
        let stream = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                glommio::timer::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        if node.shared.shutting_down.load(Ordering::Relaxed) {
            continue;
        }
        node.shared
            .total_connections
            .fetch_add(1, Ordering::Relaxed);
        let maxclients = node.shared.config.snapshot().maxclients as i64;
        if node
            .shared
            .connected_clients
            .fetch_add(1, Ordering::Relaxed)
            >= maxclients
        {
            node.shared
                .connected_clients
                .fetch_sub(1, Ordering::Relaxed);
            node.shared
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            let mut stream = stream;
            glommio::spawn_local(async move {
                let _ = stream
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
            })
            .detach();
            continue;
        }
        if keepalive > 0 {
            set_keepalive(stream.as_raw_fd(), keepalive);
        }
        glommio::spawn_local(connection::serve(node.clone(), stream)).detach();
    }
}

/// SO_KEEPALIVE with Redis's timings (anetKeepAlive): probes after `interval` idle seconds,
/// then every interval/3, three times.
fn set_keepalive(fd: i32, interval: u32) {
    let set = |level, name, value: i32| {
        // SAFETY: setsockopt reads an int of the given size from a valid pointer.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                &value as *const i32 as *const libc::c_void,
                std::mem::size_of::<i32>() as libc::socklen_t,
            )
        }
    };
    let interval = interval.min(i32::MAX as u32) as i32;
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, interval);
    set(
        libc::IPPROTO_TCP,
        libc::TCP_KEEPINTVL,
        (interval / 3).max(1),
    );
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

/// The active expiry cycle: `hz` times a second, remove expired keys with bounded work.
async fn expire_cycle(node: Rc<Node>) {
    let config = &node.shared.config;
    let (mut seen, mut hz) = (config.version(), config.snapshot().hz);
    loop {
        if config.version() != seen {
            seen = config.version();
            hz = config.snapshot().hz;
        }
        let hz = hz.clamp(1, 500);
        glommio::timer::sleep(Duration::from_millis(1000 / hz as u64)).await;
        if !node.active_expire.get() {
            continue;
        }
        {
            let mut shard = node.shard.borrow_mut();
            let now = now_ms();
            for db in 0..shard.databases() {
                shard.db_mut(db).expire_cycle(now, EXPIRE_BUDGET);
            }
        }
        // `expired` events.
        node.after_write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_addresses() {
        // /proc prints each 32-bit word in host order; these are what a little-endian machine shows.
        if cfg!(target_endian = "little") {
            assert_eq!(proc_net_ip("0100007F"), "127.0.0.1".parse().ok());
            assert_eq!(proc_net_ip("00000000"), "0.0.0.0".parse().ok());
            assert_eq!(
                proc_net_ip("00000000000000000000000001000000"),
                "::1".parse().ok()
            );
        }
        assert_eq!(proc_net_ip("zz"), None);
    }

    #[test]
    fn a_listening_socket_is_found() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        assert!(listeners_on(port).contains(&"127.0.0.1".parse().expect("ip")));
        drop(l);
        assert!(listeners_on(port).is_empty());
    }
}
