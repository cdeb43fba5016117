//! Consumer groups of a stream (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM...).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::id::StreamId;

/// A stream's consumer groups by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups(pub BTreeMap<Bytes, ConsumerGroup>);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsumerGroup {
    /// The last ID delivered to the group's consumers.
    pub last_id: StreamId,
    /// How many entries the group has read, when known (Redis's `entries_read`, -1 unknown).
    pub entries_read: i64,
}

impl Groups {
    /// Approximate heap bytes held, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        self.0
            .keys()
            .map(|name| name.len() + std::mem::size_of::<(Bytes, ConsumerGroup)>())
            .sum()
    }
}
