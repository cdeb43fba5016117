//! The `multi_set` test of `ferrokv-bench compare`: SET inside MULTI/EXEC, pipelined.
//!
//! redis-benchmark cannot wrap its requests in transactions, so this is its closest
//! equivalent of `redis-benchmark -t set -P <pipeline>` inside MULTI/EXEC: each connection
//! sends `MULTI`, `<pipeline>` SETs of random keys and `EXEC` in one write, then reads the
//! pipeline's replies; one request is one SET. Keys and values are shaped as redis-benchmark's
//! (`key:` and 12 digits; a value of `-d` bytes).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::sys;

/// The name `--tests` knows this test by.
pub const TEST: &str = "multi_set";

pub struct Load {
    pub port: u16,
    pub requests: u64,
    pub clients: u32,
    pub data_size: u32,
    pub keyspace: u64,
    pub pipeline: u32,
    pub pin: Option<usize>,
}

/// Runs the load; returns requests (SETs) per second.
pub fn run(load: &Load) -> Result<f64, String> {
    let pipeline = load.pipeline.max(1) as u64;
    let clients = load.clients.max(1) as u64;
    let rounds = load.requests.div_ceil(pipeline).max(1);
    let started = Instant::now();
    let workers: Vec<_> = (0..clients)
        .map(|c| {
            let my_rounds = rounds / clients + u64::from(c < rounds % clients);
            let (port, size, keyspace, pin) =
                (load.port, load.data_size, load.keyspace.max(1), load.pin);
            std::thread::spawn(move || -> Result<u64, String> {
                if let Some(cpu) = pin {
                    sys::pin_current_thread(cpu).map_err(|e| format!("pin: {e}"))?;
                }
                connection(port, my_rounds, pipeline, size, keyspace, c + 1)
            })
        })
        .collect();
    let mut sent = 0;
    for w in workers {
        sent += w
            .join()
            .map_err(|_| "a load thread panicked".to_string())??;
    }
    Ok(sent as f64 / started.elapsed().as_secs_f64())
}

/// One connection's share: `rounds` transactions of `pipeline` SETs. Returns the SETs sent.
fn connection(
    port: u16,
    rounds: u64,
    pipeline: u64,
    size: u32,
    keyspace: u64,
    seed: u64,
) -> Result<u64, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let value = "x".repeat(size as usize);
    let expected = expected_replies(pipeline);
    let mut reply = vec![0u8; expected.len()];
    let mut request = Vec::new();
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..rounds {
        request.clear();
        request.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        for _ in 0..pipeline {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let key = format!("key:{:012}", rng % keyspace);
            request.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
                    key.len(),
                    value.len()
                )
                .as_bytes(),
            );
        }
        request.extend_from_slice(b"*1\r\n$4\r\nEXEC\r\n");
        stream.write_all(&request).map_err(|e| e.to_string())?;
        stream.read_exact(&mut reply).map_err(|e| e.to_string())?;
        if reply != expected {
            return Err(format!(
                "unexpected reply to MULTI/SET/EXEC: {}",
                String::from_utf8_lossy(&reply)
            ));
        }
    }
    Ok(rounds * pipeline)
}

/// `+OK`, a `+QUEUED` per SET, then EXEC's array of `+OK`s.
fn expected_replies(pipeline: u64) -> Vec<u8> {
    let mut out = b"+OK\r\n".to_vec();
    for _ in 0..pipeline {
        out.extend_from_slice(b"+QUEUED\r\n");
    }
    out.extend_from_slice(format!("*{pipeline}\r\n").as_bytes());
    for _ in 0..pipeline {
        out.extend_from_slice(b"+OK\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_of_one_transaction() {
        assert_eq!(
            expected_replies(2),
            b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n".to_vec()
        );
    }
}
