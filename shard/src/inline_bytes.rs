//! A byte string for collection elements: up to 22 bytes live inside the 24-byte value itself,
//! longer ones in one exact-size heap allocation. Most hash fields, set members and list items
//! are short, so a million of them cost no allocations of their own.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone)]
pub enum InlineBytes {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl InlineBytes {
    pub fn new(b: &[u8]) -> Self {
        if b.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..b.len()].copy_from_slice(b);
            InlineBytes::Inline {
                len: b.len() as u8,
                data,
            }
        } else {
            InlineBytes::Heap(b.into())
        }
    }

    /// Bytes allocated outside the value (0 when inline), for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        match self {
            InlineBytes::Inline { .. } => 0,
            InlineBytes::Heap(b) => b.len(),
        }
    }
}

impl Deref for InlineBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            InlineBytes::Inline { len, data } => &data[..*len as usize],
            InlineBytes::Heap(b) => b,
        }
    }
}

impl AsRef<[u8]> for InlineBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Borrow<[u8]> for InlineBytes {
    fn borrow(&self) -> &[u8] {
        self
    }
}

impl From<&[u8]> for InlineBytes {
    fn from(b: &[u8]) -> Self {
        InlineBytes::new(b)
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for InlineBytes {}

impl PartialOrd for InlineBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for InlineBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (**self).cmp(&**other)
    }
}

/// Hashes as the slice does, so maps keyed by `InlineBytes` can be searched with `&[u8]`.
impl Hash for InlineBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state)
    }
}

impl fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn short_strings_stay_inline() {
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24);
        let s = InlineBytes::new(b"field:12345");
        assert!(matches!(s, InlineBytes::Inline { .. }));
        assert_eq!(&*s, b"field:12345");
        assert_eq!(s.heap_size(), 0);
        let edge = InlineBytes::new(&[7; 22]);
        assert!(matches!(edge, InlineBytes::Inline { .. }));
        let long = InlineBytes::new(&[7; 23]);
        assert!(matches!(long, InlineBytes::Heap(_)));
        assert_eq!(long.heap_size(), 23);
        assert_eq!(&*InlineBytes::new(b""), b"");
    }

    #[test]
    fn compares_and_hashes_as_bytes() {
        let mut set = HashSet::new();
        set.insert(InlineBytes::new(b"a"));
        set.insert(InlineBytes::new(&[b'x'; 40]));
        assert!(set.contains(&b"a"[..]));
        assert!(set.contains(&[b'x'; 40][..]));
        assert!(InlineBytes::new(b"ab") < InlineBytes::new(b"b"));
        assert!(InlineBytes::new(&[b'a'; 30]) < InlineBytes::new(b"b"));
    }
}
