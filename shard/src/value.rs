//! What a key holds. Each data type's module owns its structure; this enum only names them.

use bytes::{Bytes, BytesMut};

use crate::hash::Hash;
use crate::list::List;
use crate::set::Set;
use crate::stream::Stream;
use crate::zset::SortedSet;

/// Longest string Redis stores as `embstr` (one allocation with its header).
pub const EMBSTR_MAX: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    Hash(Box<Hash>),
    List(Box<List>),
    Set(Box<Set>),
    ZSet(Box<SortedSet>),
    Stream(Box<Stream>),
}

/// What every collection type tells the generic commands (TYPE, OBJECT ENCODING, MEMORY USAGE).
pub trait Collection {
    /// The name TYPE reports.
    const TYPE_NAME: &'static str;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The name OBJECT ENCODING reports, as Redis 7.0 would for the same data.
    fn encoding(&self) -> &'static str;
    /// Approximate heap bytes held, for MEMORY USAGE.
    fn heap_size(&self) -> usize;
}

/// A collection type stored in a `Value` variant: typed access for the type's commands.
pub trait Kind: Collection + Sized {
    fn of(v: &Value) -> Option<&Self>;
    fn of_mut(v: &mut Value) -> Option<&mut Self>;
    fn into_value(self) -> Value;
}

macro_rules! kind {
    ($ty:ty, $variant:ident) => {
        impl Kind for $ty {
            fn of(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }

            fn of_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => Some(x),
                    _ => None,
                }
            }

            fn into_value(self) -> Value {
                Value::$variant(Box::new(self))
            }
        }
    };
}

kind!(Hash, Hash);
kind!(List, List);
kind!(Set, Set);
kind!(SortedSet, ZSet);
kind!(Stream, Stream);

/// A string value in the encodings Redis reports through OBJECT ENCODING.
#[derive(Clone, Debug, PartialEq)]
pub enum StrValue {
    /// A canonical decimal integer; stored as eight bytes, not as text.
    Int(i64),
    Emb(Bytes),
    Raw(Bytes),
}

impl Value {
    /// The string inside, `None` for any other type (the caller answers WRONGTYPE).
    pub fn as_str(&self) -> Option<&StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_str_mut(&mut self) -> Option<&mut StrValue> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => Hash::TYPE_NAME,
            Value::List(_) => List::TYPE_NAME,
            Value::Set(_) => Set::TYPE_NAME,
            Value::ZSet(_) => SortedSet::TYPE_NAME,
            Value::Stream(_) => Stream::TYPE_NAME,
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(StrValue::Int(_)) => "int",
            Value::Str(StrValue::Emb(_)) => "embstr",
            Value::Str(StrValue::Raw(_)) => "raw",
            Value::Hash(v) => v.encoding(),
            Value::List(v) => v.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(v) => v.encoding(),
            Value::Stream(v) => v.encoding(),
        }
    }

    /// Approximate heap bytes held by the value, for MEMORY USAGE and eviction accounting.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(StrValue::Int(_)) => 0,
            Value::Str(StrValue::Emb(b) | StrValue::Raw(b)) => b.len(),
            Value::Hash(v) => v.heap_size(),
            Value::List(v) => v.heap_size(),
            Value::Set(v) => v.heap_size(),
            Value::ZSet(v) => v.heap_size(),
            Value::Stream(v) => v.heap_size(),
        }
    }
}

impl StrValue {
    /// Encodes a client-supplied string as Redis's `tryObjectEncoding` would: an integer when
    /// the text is a canonical integer of at most 20 characters, else embstr/raw by length.
    /// The bytes are copied so the stored value never pins a connection's read buffer.
    pub fn from_client(b: &[u8]) -> StrValue {
        if b.len() <= 20 {
            if let Some(i) = parse_canonical_i64(b) {
                return StrValue::Int(i);
            }
        }
        StrValue::from_bytes_uncoded(b)
    }

    /// A string built by the server (results of INCRBYFLOAT and the like): embstr or raw by
    /// length, never int-encoded.
    pub fn from_bytes_uncoded(b: &[u8]) -> StrValue {
        if b.len() <= EMBSTR_MAX {
            StrValue::Emb(Bytes::copy_from_slice(b))
        } else {
            StrValue::Raw(Bytes::copy_from_slice(b))
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        match self {
            StrValue::Int(i) => Bytes::from(i.to_string()),
            StrValue::Emb(b) | StrValue::Raw(b) => b.clone(),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            StrValue::Int(i) => int_len(*i),
            StrValue::Emb(b) | StrValue::Raw(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer the way Redis's `getLongLongFromObject` reads a string: int
    /// encoding as is, text only when it is a canonical integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StrValue::Int(i) => Some(*i),
            StrValue::Emb(b) | StrValue::Raw(b) => parse_canonical_i64(b),
        }
    }

    /// Appends in place and returns the new length. The result is always `raw`, as Redis's
    /// `dbUnshareStringValue` makes it; a buffer nobody else holds grows without a copy, so a
    /// loop of APPENDs stays linear.
    pub fn append(&mut self, data: &[u8]) -> usize {
        self.edit_raw(|buf| {
            buf.extend_from_slice(data);
            buf.len()
        })
    }

    /// Overwrites from `offset`, padding with zero bytes when the string is shorter; returns
    /// the new length. The result is `raw`, as in Redis.
    pub fn set_range(&mut self, offset: usize, data: &[u8]) -> usize {
        self.edit_raw(|buf| {
            let end = offset + data.len();
            if buf.len() < end {
                buf.resize(end, 0);
            }
            buf[offset..end].copy_from_slice(data);
            buf.len()
        })
    }

    /// Edits the bytes in place (SETBIT, PFADD...). The result is `raw`, as Redis's
    /// `dbUnshareStringValue` makes it; a buffer nobody else holds is edited without a copy.
    pub fn edit_raw<R>(&mut self, edit: impl FnOnce(&mut BytesMut) -> R) -> R {
        let mut buf = std::mem::replace(self, StrValue::Int(0)).into_mut();
        let result = edit(&mut buf);
        *self = StrValue::Raw(buf.freeze());
        result
    }

    fn into_mut(self) -> BytesMut {
        match self {
            StrValue::Int(i) => BytesMut::from(i.to_string().as_bytes()),
            StrValue::Emb(b) | StrValue::Raw(b) => b
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..])),
        }
    }
}

fn int_len(i: i64) -> usize {
    let mut n = if i < 0 { 2 } else { 1 };
    let mut v = i.unsigned_abs();
    while v >= 10 {
        v /= 10;
        n += 1;
    }
    n
}

/// Redis's `string2ll`: optional '-', digits, no leading zeros (except "0"), no '+', no
/// spaces, within i64. "-0" is rejected.
pub fn parse_canonical_i64(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    match digits {
        [] => return None,
        [b'0'] if !neg => return Some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    if digits.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    if neg {
        if v > i64::MAX as u64 + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else {
        i64::try_from(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_integers() {
        assert_eq!(parse_canonical_i64(b"0"), Some(0));
        assert_eq!(parse_canonical_i64(b"-1"), Some(-1));
        assert_eq!(parse_canonical_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_canonical_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_canonical_i64(b"9223372036854775808"), None);
        assert_eq!(parse_canonical_i64(b"-0"), None);
        assert_eq!(parse_canonical_i64(b"01"), None);
        assert_eq!(parse_canonical_i64(b"+1"), None);
        assert_eq!(parse_canonical_i64(b" 1"), None);
        assert_eq!(parse_canonical_i64(b""), None);
        assert_eq!(parse_canonical_i64(b"-"), None);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(StrValue::from_client(b"123"), StrValue::Int(123));
        assert!(matches!(StrValue::from_client(b"0123"), StrValue::Emb(_)));
        assert!(matches!(
            StrValue::from_client(&[b'a'; 44]),
            StrValue::Emb(_)
        ));
        assert!(matches!(
            StrValue::from_client(&[b'a'; 45]),
            StrValue::Raw(_)
        ));
        assert_eq!(StrValue::Int(-120).len(), 4);
        assert_eq!(StrValue::from_bytes_uncoded(b"12").as_i64(), Some(12));
        assert_eq!(StrValue::from_bytes_uncoded(b"012").as_i64(), None);
        assert_eq!(StrValue::Int(i64::MIN).len(), 20);
    }

    #[test]
    fn append_and_set_range_make_raw() {
        let mut v = StrValue::Int(12);
        assert_eq!(v.append(b"3"), 3);
        assert_eq!(v, StrValue::Raw(Bytes::from_static(b"123")));
        let mut v = StrValue::from_client(b"ab");
        assert_eq!(v.set_range(4, b"cd"), 6);
        assert_eq!(v, StrValue::Raw(Bytes::from_static(b"ab\0\0cd")));
        assert_eq!(v.set_range(0, b"x"), 6);
        assert_eq!(v.to_bytes(), Bytes::from_static(b"xb\0\0cd"));
    }

    #[test]
    fn append_reuses_an_unshared_buffer() {
        let mut v = StrValue::from_client(b"x");
        for _ in 0..1000 {
            v.append(b"0123456789");
        }
        let StrValue::Raw(b) = &v else {
            panic!("not raw")
        };
        let before = b.as_ptr();
        v.append(b"y");
        let StrValue::Raw(b) = &v else {
            panic!("not raw")
        };
        assert_eq!(b.len(), 10_002);
        // Growth is amortized: one more byte does not move a buffer that had room.
        assert_eq!(b.as_ptr(), before);
    }
}
