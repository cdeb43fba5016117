//! The compact encoding of small collections (Redis's listpack): every element in one buffer,
//! each a LEB128 length followed by its bytes. A 5-field hash of short strings is one
//! allocation of a few dozen bytes; lookups walk the buffer, which is cheap while the
//! collection stays under the `*-max-listpack-*` thresholds.

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listpack {
    buf: Vec<u8>,
    len: u32,
}

fn read_len(buf: &[u8], at: usize) -> (usize, usize) {
    let (mut n, mut shift, mut i) = (0usize, 0, at);
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b & 0x80 == 0 {
            return (n, i);
        }
        shift += 7;
    }
}

fn encode(elem: &[u8], out: &mut Vec<u8>) {
    let mut n = elem.len();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(elem);
}

impl Listpack {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held on the heap, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        self.buf.capacity()
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            buf: &self.buf,
            at: 0,
        }
    }

    /// Byte offset of element `index` (`len()` gives the end of the buffer).
    fn offset(&self, index: usize) -> usize {
        let mut at = 0;
        for _ in 0..index {
            let (n, data) = read_len(&self.buf, at);
            at = data + n;
        }
        at
    }

    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.iter().nth(index)
    }

    pub fn push(&mut self, elem: &[u8]) {
        encode(elem, &mut self.buf);
        self.len += 1;
    }

    /// Inserts before element `index` (`index == len()` appends).
    pub fn insert(&mut self, index: usize, elem: &[u8]) {
        debug_assert!(index <= self.len());
        let at = self.offset(index);
        let mut encoded = Vec::with_capacity(elem.len() + 2);
        encode(elem, &mut encoded);
        self.buf.splice(at..at, encoded);
        self.len += 1;
    }

    pub fn replace(&mut self, index: usize, elem: &[u8]) {
        let at = self.offset(index);
        let (n, data) = read_len(&self.buf, at);
        let mut encoded = Vec::with_capacity(elem.len() + 2);
        encode(elem, &mut encoded);
        self.buf.splice(at..data + n, encoded);
    }

    /// Removes `count` elements starting at `index` (fewer if the list ends first).
    pub fn remove(&mut self, index: usize, count: usize) {
        if index >= self.len() {
            return;
        }
        let count = count.min(self.len() - index);
        let start = self.offset(index);
        let mut end = start;
        for _ in 0..count {
            let (n, data) = read_len(&self.buf, end);
            end = data + n;
        }
        self.buf.drain(start..end);
        self.len -= count as u32;
        if self.buf.capacity() > 2 * self.buf.len() + 64 {
            self.buf.shrink_to_fit();
        }
    }
}

pub struct Iter<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.at >= self.buf.len() {
            return None;
        }
        let (n, data) = read_len(self.buf, self.at);
        self.at = data + n;
        Some(&self.buf[data..data + n])
    }
}

impl<'a> IntoIterator for &'a Listpack {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    #[test]
    fn push_insert_replace_remove() {
        let mut lp = Listpack::new();
        lp.push(b"b");
        lp.push(&[b'x'; 300]);
        lp.insert(0, b"a");
        lp.insert(3, b"");
        assert_eq!(lp.len(), 4);
        assert_eq!(lp.get(0), Some(&b"a"[..]));
        assert_eq!(lp.get(2).map(<[u8]>::len), Some(300));
        assert_eq!(lp.get(3), Some(&b""[..]));
        assert_eq!(lp.get(4), None);
        lp.replace(2, b"c");
        assert_eq!(
            items(&lp),
            vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), vec![]]
        );
        lp.remove(1, 2);
        assert_eq!(items(&lp), vec![b"a".to_vec(), vec![]]);
        lp.remove(1, 10);
        lp.remove(5, 1);
        assert_eq!(items(&lp), vec![b"a".to_vec()]);
        lp.remove(0, 1);
        assert!(lp.is_empty());
    }

    #[test]
    fn long_elements_take_multibyte_lengths() {
        let mut lp = Listpack::new();
        let big = vec![9u8; 70_000];
        lp.push(&big);
        lp.push(b"tail");
        assert_eq!(lp.get(0).map(<[u8]>::len), Some(70_000));
        assert_eq!(lp.get(1), Some(&b"tail"[..]));
    }
}
