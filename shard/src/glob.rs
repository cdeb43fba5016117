//! Redis's glob matching (`stringmatchlen`), shared by KEYS, SCAN, CONFIG GET and `include`.

/// `stringmatchlen`: Redis's glob (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`). CONFIG GET uses
/// it case-insensitively; KEYS, SCAN and `include` patterns case-sensitively.
pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn bytes_eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

// Index-based so that the unterminated-class case can step back one position exactly like the
// C code does (`pattern--; patternLen++`).
fn match_impl(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    // Each `*` recurses; a client-supplied pattern must not be able to exhaust the stack.
    if nesting > 1000 {
        return false;
    }
    let (plen, slen) = (pat.len(), s.len());
    let (mut p, mut si) = (0usize, 0usize);
    while p < plen && si < slen {
        match pat[p] {
            b'*' => {
                while p + 1 < plen && pat[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == plen {
                    return true;
                }
                while si < slen {
                    if match_impl(&pat[p + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    // The tail already failed at every later offset; a longer `*` can't help.
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = pat.get(p) == Some(&b'^');
                if not {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    if pat.get(p) == Some(&b'\\') && plen - p >= 2 {
                        p += 1;
                        if pat[p] == s[si] {
                            matched = true;
                        }
                    } else if pat.get(p) == Some(&b']') {
                        break;
                    } else if p >= plen {
                        p -= 1;
                        break;
                    } else if plen - p >= 3 && pat[p + 1] == b'-' {
                        let (mut start, mut end, mut c) = (pat[p], pat[p + 2], s[si]);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = start.to_ascii_lowercase();
                            end = end.to_ascii_lowercase();
                            c = c.to_ascii_lowercase();
                        }
                        p += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if bytes_eq(pat[p], s[si], nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            c => {
                let literal = if c == b'\\' && plen - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    c
                };
                if !bytes_eq(literal, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == slen {
            while p < plen && pat[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p == plen && si == slen
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        // As Redis: KEYS and SCAN treat a lone `*` as "everything" before matching.
        assert!(!matches(b"*", b"", false));
        assert!(matches(b"key:*", b"key:1", false));
        assert!(!matches(b"key:*", b"kex:1", false));
        assert!(matches(b"h?llo", b"hello", false));
        assert!(matches(b"h[ae]llo", b"hallo", false));
        assert!(!matches(b"h[^e]llo", b"hello", false));
        assert!(matches(b"h[a-b]llo", b"hbllo", false));
        assert!(matches(b"h[b-a]llo", b"hbllo", false));
        assert!(matches(b"h\\*llo", b"h*llo", false));
        assert!(!matches(b"h\\*llo", b"hello", false));
        assert!(matches(b"SAVE", b"save", true));
        assert!(!matches(b"SAVE", b"save", false));
        assert!(matches(b"*a*b*c", b"xxaxxbxxc", false));
        assert!(!matches(b"a", b"ab", false));
        assert!(matches(b"[abc", b"a", false));
    }
}
