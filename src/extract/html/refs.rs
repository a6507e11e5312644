//! Character references (`&amp;`, `&#233;`, `&#x2019;`, legacy `&eacute` without `;`).

use memchr::memchr;

/// Decodes character references (`&amp;`, `&#233;`, `&#x2019;`, `&eacute`). In attribute
/// values, a reference without `;` followed by `=` or an alphanumeric is left as is.
pub fn decode_refs(s: &str, in_attr: bool) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = memchr(b'&', &b[i..]) {
        let p = i + off;
        i = p + 1;
        let Some((ch, len)) = char_ref(&b[p + 1..], in_attr) else {
            continue;
        };
        out.push_str(&s[copied..p]);
        out.push_str(&ch);
        copied = p + 1 + len;
        i = copied;
    }
    out.push_str(&s[copied..]);
    out
}

/// One character reference after `&`: the decoded text and the bytes consumed.
fn char_ref(b: &[u8], in_attr: bool) -> Option<(String, usize)> {
    if b.first() == Some(&b'#') {
        let (hex, start) = match b.get(1) {
            Some(b'x' | b'X') => (true, 2),
            _ => (false, 1),
        };
        let mut j = start;
        let mut n: u32 = 0;
        while j < b.len() && j < start + 8 {
            let d = match (hex, b[j]) {
                (_, c @ b'0'..=b'9') => (c - b'0') as u32,
                (true, c @ b'a'..=b'f') => (c - b'a' + 10) as u32,
                (true, c @ b'A'..=b'F') => (c - b'A' + 10) as u32,
                _ => break,
            };
            n = n
                .saturating_mul(if hex { 16 } else { 10 })
                .saturating_add(d);
            j += 1;
        }
        if j == start {
            return None;
        }
        // Longer digit runs are consumed too.
        while j < b.len() && (b[j].is_ascii_digit() || (hex && b[j].is_ascii_hexdigit())) {
            n = u32::MAX;
            j += 1;
        }
        if b.get(j) == Some(&b';') {
            j += 1;
        }
        let c = match n {
            0x80..=0x9f => html5ever::data::C1_REPLACEMENTS[(n - 0x80) as usize]
                .unwrap_or(char::from_u32(n).unwrap_or('\u{fffd}')),
            0 => '\u{fffd}',
            n => char::from_u32(n).unwrap_or('\u{fffd}'),
        };
        return Some((c.to_string(), j));
    }
    let mut j = 0;
    while j < b.len() && j < 40 && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    if j == 0 {
        return None;
    }
    // `b[..j]` is ASCII.
    let name = std::str::from_utf8(&b[..j]).ok()?;
    let ents = &html5ever::data::NAMED_ENTITIES;
    if b.get(j) == Some(&b';') {
        let mut key = String::with_capacity(j + 1);
        key.push_str(name);
        key.push(';');
        if let Some(&(c1, c2)) = ents.get(key.as_str())
            && c1 != 0
        {
            return Some((chars(c1, c2), j + 1));
        }
    }
    // Legacy references without `;`: the longest known prefix.
    for k in (2..=j.min(8)).rev() {
        if let Some(&(c1, c2)) = ents.get(&name[..k])
            && c1 != 0
        {
            if in_attr
                && b.get(k)
                    .is_some_and(|c| *c == b'=' || c.is_ascii_alphanumeric())
            {
                return None;
            }
            return Some((chars(c1, c2), k));
        }
    }
    None
}

fn chars(c1: u32, c2: u32) -> String {
    let mut s = String::new();
    s.extend(char::from_u32(c1));
    if c2 != 0 {
        s.extend(char::from_u32(c2));
    }
    s
}
