//! Redis's glob matching (`stringmatchlen`): `*`, `?`, `[...]` with `^` and ranges, `\` escapes.

pub fn matches(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    match_from(pattern, s, nocase, 0)
}

fn eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

// Recursion depth is bounded like Redis does, so a pathological pattern cannot blow the stack.
fn match_from(mut p: &[u8], mut s: &[u8], nocase: bool, depth: u32) -> bool {
    if depth > 1000 {
        return false;
    }
    while let Some(&pc) = p.first() {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                loop {
                    if match_from(&p[1..], s, nocase, depth + 1) {
                        return true;
                    }
                    if s.is_empty() {
                        return false;
                    }
                    s = &s[1..];
                }
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                let Some(&c) = s.first() else { return false };
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    match p {
                        [b'\\', esc, ..] => {
                            if *esc == c {
                                matched = true;
                            }
                            p = &p[2..];
                        }
                        [b']', ..] => break,
                        [] => {
                            // Unterminated class: Redis treats the end of pattern as its end.
                            p = &p[..0];
                            break;
                        }
                        [lo, b'-', hi, ..] => {
                            let (mut lo, mut hi, mut c) = (*lo, *hi, c);
                            if lo > hi {
                                std::mem::swap(&mut lo, &mut hi);
                            }
                            if nocase {
                                lo = lo.to_ascii_lowercase();
                                hi = hi.to_ascii_lowercase();
                                c = c.to_ascii_lowercase();
                            }
                            if c >= lo && c <= hi {
                                matched = true;
                            }
                            p = &p[3..];
                        }
                        [x, ..] => {
                            if eq(*x, c, nocase) {
                                matched = true;
                            }
                            p = &p[1..];
                        }
                    }
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                match s.first() {
                    Some(&c) if eq(p[0], c, nocase) => s = &s[1..],
                    _ => return false,
                }
            }
            _ => match s.first() {
                Some(&c) if eq(pc, c, nocase) => s = &s[1..],
                _ => return false,
            },
        }
        p = &p[1..];
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(b"*", b"", false));
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
