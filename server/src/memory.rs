//! Process memory and CPU figures for INFO, from jemalloc's statistics and getrusage.

use std::sync::atomic::{AtomicU64, Ordering};

use tikv_jemalloc_ctl::{epoch, stats};

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

static PEAK: AtomicU64 = AtomicU64::new(0);
static STARTUP: AtomicU64 = AtomicU64::new(0);

pub struct MemoryStats {
    pub allocated: u64,
    pub active: u64,
    pub resident: u64,
    pub peak: u64,
    pub startup: u64,
    pub total_system: u64,
}

pub fn stats() -> MemoryStats {
    // jemalloc caches its statistics; advancing the epoch refreshes them.
    let _ = epoch::advance();
    let allocated = stats::allocated::read().unwrap_or(0) as u64;
    let peak = PEAK.fetch_max(allocated, Ordering::Relaxed).max(allocated);
    MemoryStats {
        allocated,
        active: stats::active::read().unwrap_or(0) as u64,
        resident: stats::resident::read().unwrap_or(0) as u64,
        peak,
        startup: STARTUP.load(Ordering::Relaxed),
        total_system: total_system_memory(),
    }
}

/// Records the baseline reported as used_memory_startup.
pub fn mark_startup() {
    let _ = epoch::advance();
    STARTUP.store(
        stats::allocated::read().unwrap_or(0) as u64,
        Ordering::Relaxed,
    );
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages.max(0) as u64) * (size.max(0) as u64)
}

/// (user, system) CPU seconds of the whole process.
pub fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}
