//! Key → slot → shard, as Redis Cluster maps keys to slots.

pub const SLOTS: u16 = 16384;

/// The part of a key that is hashed: the content of the first non-empty `{...}`, else the key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

pub fn key_slot(key: &[u8]) -> u16 {
    crc16::State::<crc16::XMODEM>::calculate(hash_tag(key)) % SLOTS
}

/// Slots are split into `nshards` contiguous ranges, so a shard owns a slot range as a
/// cluster node would.
pub fn shard_of_slot(slot: u16, nshards: usize) -> usize {
    slot as usize * nshards / SLOTS as usize
}

pub fn shard_of_key(key: &[u8], nshards: usize) -> usize {
    if nshards == 1 {
        return 0;
    }
    shard_of_slot(key_slot(key), nshards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Values from the Redis Cluster specification and CLUSTER KEYSLOT.
        assert_eq!(key_slot(b"123456789"), 0x31C3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), key_slot(b"foo{}{bar}"));
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"{"), b"{");
    }

    #[test]
    fn shards_partition_slots() {
        assert_eq!(shard_of_slot(0, 4), 0);
        assert_eq!(shard_of_slot(16383, 4), 3);
        assert_eq!(shard_of_slot(4096, 4), 1);
        assert_eq!(shard_of_key(b"anything", 1), 0);
    }
}
