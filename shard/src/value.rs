//! What a key holds. Each data type's module owns its structure; this enum only names them.

use bytes::Bytes;

/// Longest string Redis stores as `embstr` (one allocation with its header).
pub const EMBSTR_MAX: usize = 44;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
}

/// A string value in the encodings Redis reports through OBJECT ENCODING.
#[derive(Clone, Debug, PartialEq)]
pub enum StrValue {
    /// A canonical decimal integer; stored as eight bytes, not as text.
    Int(i64),
    Emb(Bytes),
    Raw(Bytes),
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
        }
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(StrValue::Int(_)) => "int",
            Value::Str(StrValue::Emb(_)) => "embstr",
            Value::Str(StrValue::Raw(_)) => "raw",
        }
    }

    /// Approximate heap bytes held by the value, for MEMORY USAGE and eviction accounting.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(StrValue::Int(_)) => 0,
            Value::Str(StrValue::Emb(b) | StrValue::Raw(b)) => b.len(),
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
        assert_eq!(StrValue::Int(i64::MIN).len(), 20);
    }
}
