//! Memory per element: fills one big collection of each type on redis-server and on ferrokv and
//! reports the growth of `used_memory` (INFO memory) divided by the number of elements.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use crate::compare::{Server, Which};
use crate::resp::Conn;

#[derive(Args, Debug, Clone)]
pub struct MemoryArgs {
    /// The ferrokv-server binary.
    #[arg(long, default_value = "target/release/ferrokv-server")]
    pub ferrokv: PathBuf,
    /// The redis-server binary.
    #[arg(long, default_value = "redis-server")]
    pub redis: PathBuf,
    /// Elements per collection.
    #[arg(short = 'n', long, default_value_t = 1_000_000)]
    pub elements: usize,
    /// Types to measure: hash, set, intset, zset, list, string (one key per element), stream
    /// (one entry of three small fields per element).
    #[arg(long, value_delimiter = ',', action = ArgAction::Set, default_value = "hash,set,zset,list,string,stream")]
    pub types: Vec<String>,
}

/// Elements per fill command.
const BATCH: usize = 1000;

/// `used_memory` from INFO memory.
fn used_memory(conn: &mut Conn) -> Result<u64, String> {
    let info = conn.call(&[b"INFO".to_vec(), b"memory".to_vec()])?;
    String::from_utf8_lossy(&info)
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| "no used_memory in INFO".to_string())
}

/// The commands that add elements `from..to` of `kind`: one command for them all, or one per
/// element for streams (XADD adds one entry).
fn fill_commands(kind: &str, from: usize, to: usize) -> Option<Vec<Vec<Vec<u8>>>> {
    if kind == "stream" {
        let xadd = [
            "XADD",
            "mem:stream",
            "*",
            "f1",
            "v1",
            "f2",
            "v2",
            "f3",
            "v3",
        ];
        let xadd: Vec<Vec<u8>> = xadd.iter().map(|a| a.as_bytes().to_vec()).collect();
        return Some(vec![xadd; to - from]);
    }
    let mut a: Vec<Vec<u8>> = match kind {
        "hash" => vec![b"HSET".to_vec(), b"mem:hash".to_vec()],
        "set" | "intset" => vec![b"SADD".to_vec(), b"mem:set".to_vec()],
        "zset" => vec![b"ZADD".to_vec(), b"mem:zset".to_vec()],
        "list" => vec![b"RPUSH".to_vec(), b"mem:list".to_vec()],
        "string" => vec![b"MSET".to_vec()],
        _ => return None,
    };
    for i in from..to {
        match kind {
            "hash" => {
                a.push(format!("field:{i}").into_bytes());
                a.push(format!("value:{i}").into_bytes());
            }
            "set" => a.push(format!("member:{i}").into_bytes()),
            "intset" => a.push(i.to_string().into_bytes()),
            "zset" => {
                a.push(i.to_string().into_bytes());
                a.push(format!("member:{i}").into_bytes());
            }
            "list" => a.push(format!("value:{i}").into_bytes()),
            _ => {
                a.push(format!("key:{i}").into_bytes());
                a.push(format!("value:{i}").into_bytes());
            }
        }
    }
    Some(vec![a])
}

/// Bytes of `used_memory` growth per element after filling `kind` on a fresh database.
fn measure(conn: &mut Conn, kind: &str, n: usize) -> Result<f64, String> {
    conn.call(&[b"FLUSHALL".to_vec()])?;
    let before = used_memory(conn)?;
    let mut i = 0;
    while i < n {
        let to = (i + BATCH).min(n);
        let cmds = fill_commands(kind, i, to).ok_or_else(|| format!("unknown type {kind}"))?;
        conn.pipeline(&cmds)?;
        i = to;
    }
    let after = used_memory(conn)?;
    conn.call(&[b"FLUSHALL".to_vec()])?;
    Ok((after.saturating_sub(before)) as f64 / n as f64)
}

pub fn run(args: MemoryArgs) -> Result<(), String> {
    let mut results: Vec<(String, f64, f64)> = Vec::new();
    let mut redis = Server::start(Which::Redis, &args.redis, 0, None)?;
    let mut ferrokv = Server::start(Which::Ferrokv, &args.ferrokv, 1, None)?;
    let mut rc = Conn::open(redis.port)?;
    let mut fc = Conn::open(ferrokv.port)?;
    for kind in &args.types {
        let r = measure(&mut rc, kind, args.elements)?;
        let f = measure(&mut fc, kind, args.elements)?;
        eprintln!("  {kind}: redis {r:.1} B/elem, ferrokv {f:.1} B/elem");
        results.push((kind.clone(), r, f));
    }
    for s in [&mut redis, &mut ferrokv] {
        if !s.alive() {
            return Err(format!("{} died", s.which.name()));
        }
    }
    println!(
        "- command: {}",
        std::env::args().collect::<Vec<_>>().join(" ")
    );
    println!();
    println!("| type | elements | redis bytes/elem | ferrokv bytes/elem | ferrokv/redis |");
    println!("|---|---:|---:|---:|---:|");
    for (kind, r, f) in results {
        println!(
            "| {kind} | {} | {r:.1} | {f:.1} | {:.2} |",
            args.elements,
            f / r
        );
    }
    Ok(())
}
