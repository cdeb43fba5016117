//! The configured encoding thresholds (`hash-max-listpack-entries` and friends). CONFIG SET
//! changes them for every shard at once, so they are process-wide, read with relaxed loads.

use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering::Relaxed};

/// The thresholds, as the server's configuration holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodingLimits {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub list_max_listpack_size: i64,
    pub stream_node_max_bytes: u64,
    pub stream_node_max_entries: u64,
}

/// Redis 7.0's defaults.
pub const DEFAULT: EncodingLimits = EncodingLimits {
    hash_max_listpack_entries: 512,
    hash_max_listpack_value: 64,
    set_max_intset_entries: 512,
    zset_max_listpack_entries: 128,
    zset_max_listpack_value: 64,
    list_max_listpack_size: -2,
    stream_node_max_bytes: 4096,
    stream_node_max_entries: 100,
};

static HASH_ENTRIES: AtomicUsize = AtomicUsize::new(DEFAULT.hash_max_listpack_entries);
static HASH_VALUE: AtomicUsize = AtomicUsize::new(DEFAULT.hash_max_listpack_value);
static SET_INTSET: AtomicUsize = AtomicUsize::new(DEFAULT.set_max_intset_entries);
static ZSET_ENTRIES: AtomicUsize = AtomicUsize::new(DEFAULT.zset_max_listpack_entries);
static ZSET_VALUE: AtomicUsize = AtomicUsize::new(DEFAULT.zset_max_listpack_value);
static LIST_SIZE: AtomicI64 = AtomicI64::new(DEFAULT.list_max_listpack_size);
static STREAM_BYTES: AtomicU64 = AtomicU64::new(DEFAULT.stream_node_max_bytes);
static STREAM_ENTRIES: AtomicU64 = AtomicU64::new(DEFAULT.stream_node_max_entries);

pub fn set(l: EncodingLimits) {
    HASH_ENTRIES.store(l.hash_max_listpack_entries, Relaxed);
    HASH_VALUE.store(l.hash_max_listpack_value, Relaxed);
    SET_INTSET.store(l.set_max_intset_entries, Relaxed);
    ZSET_ENTRIES.store(l.zset_max_listpack_entries, Relaxed);
    ZSET_VALUE.store(l.zset_max_listpack_value, Relaxed);
    LIST_SIZE.store(l.list_max_listpack_size, Relaxed);
    STREAM_BYTES.store(l.stream_node_max_bytes, Relaxed);
    STREAM_ENTRIES.store(l.stream_node_max_entries, Relaxed);
}

pub fn get() -> EncodingLimits {
    EncodingLimits {
        hash_max_listpack_entries: HASH_ENTRIES.load(Relaxed),
        hash_max_listpack_value: HASH_VALUE.load(Relaxed),
        set_max_intset_entries: SET_INTSET.load(Relaxed),
        zset_max_listpack_entries: ZSET_ENTRIES.load(Relaxed),
        zset_max_listpack_value: ZSET_VALUE.load(Relaxed),
        list_max_listpack_size: LIST_SIZE.load(Relaxed),
        stream_node_max_bytes: STREAM_BYTES.load(Relaxed),
        stream_node_max_entries: STREAM_ENTRIES.load(Relaxed),
    }
}
