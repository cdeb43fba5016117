//! ferrokv-bench: side-by-side comparison with redis-server, and a cross-thread hop
//! micro-benchmark.

use clap::{Parser, Subcommand};

mod compare;
mod hop;
mod memory;
mod messaging;
mod multi;
mod resp;
mod scripts;
mod spsc;
mod sys;

#[derive(Parser, Debug)]
#[command(name = "ferrokv-bench", version, about, args_override_self = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run redis-benchmark against redis-server and ferrokv, interleaved, and print
    /// requests/s and server CPU µs per request as a markdown table.
    #[command(args_override_self = true)]
    Compare(compare::CompareArgs),
    /// Measure cross-thread hop mechanisms: glommio shared_channel, an SPSC ring with an
    /// eventfd waker, and Mutex+Condvar.
    Hop(hop::HopArgs),
    /// Fill one big collection of each type on redis-server and ferrokv and print the
    /// used_memory growth per element.
    Memory(memory::MemoryArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Cmd::Compare(args) => compare::run(args),
        Cmd::Hop(args) => hop::run(args),
        Cmd::Memory(args) => memory::run(args),
    };
    if let Err(e) = result {
        eprintln!("ferrokv-bench: {e}");
        std::process::exit(1);
    }
}
