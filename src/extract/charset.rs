//! Character set of a page: byte-order mark, then the `Content-Type` header's charset, then
//! `<meta charset>` / `<meta http-equiv=Content-Type>` in the first bytes, then detection
//! with `chardetng`; decoding with `encoding_rs` (never fails: bad bytes become U+FFFD).

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// How many leading bytes are scanned for a `<meta>` charset declaration.
const PRESCAN_BYTES: usize = 4096;

/// How the character set was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharsetSource {
    /// A byte-order mark.
    Bom,
    /// The `Content-Type` header.
    Header,
    /// A `<meta>` element.
    Meta,
    /// `chardetng` detection (or valid UTF-8).
    Detected,
}

/// Decodes `body` to text, choosing the encoding as browsers do.
pub fn decode(
    body: &[u8],
    content_type: Option<&str>,
    tld: Option<&[u8]>,
) -> (String, &'static Encoding, CharsetSource) {
    let (text, enc, src) = decode_cow(body, content_type, tld);
    (text.into_owned(), enc, src)
}

/// Like [`decode`], borrowing the body when it is valid UTF-8 already.
pub fn decode_cow<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    tld: Option<&[u8]>,
) -> (Cow<'a, str>, &'static Encoding, CharsetSource) {
    if let Some((enc, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = enc.decode_without_bom_handling(&body[bom_len..]);
        return (text, enc, CharsetSource::Bom);
    }
    if let Some(enc) = content_type.and_then(charset_from_content_type) {
        return (decode_with(enc, body), enc, CharsetSource::Header);
    }
    if let Some(enc) = prescan_meta(&body[..body.len().min(PRESCAN_BYTES)]) {
        return (decode_with(enc, body), enc, CharsetSource::Meta);
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return (Cow::Borrowed(text), UTF_8, CharsetSource::Detected);
    }
    let enc = {
        let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        det.feed(body, true);
        // chardetng asserts on upper case, dots or non-ASCII in the TLD.
        let tld = tld.filter(|t| !t.is_empty() && t.iter().all(u8::is_ascii_lowercase));
        det.guess(tld, chardetng::Utf8Detection::Allow)
    };
    (decode_with(enc, body), enc, CharsetSource::Detected)
}

fn decode_with<'a>(enc: &'static Encoding, body: &'a [u8]) -> Cow<'a, str> {
    // A declared UTF-16 in an ASCII-compatible document means UTF-8 (HTML spec).
    let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        UTF_8
    } else {
        enc
    };
    let (text, _) = enc.decode_without_bom_handling(body);
    text
}

/// The encoding named by `charset=` in a `Content-Type` value, if known.
pub fn charset_from_content_type(ct: &str) -> Option<&'static Encoding> {
    let lower = ct.to_ascii_lowercase();
    let pos = lower.find("charset")?;
    let rest = lower[pos + 7..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Encoding::for_label(&rest.as_bytes()[..end])
}

/// Looks for `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…charset=…">`.
fn prescan_meta(head: &[u8]) -> Option<&'static Encoding> {
    let mut i = 0;
    while i + 5 < head.len() {
        let Some(off) = find_ci(&head[i..], b"<meta") else {
            break;
        };
        let start = i + off + 5;
        let end = head[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(head.len(), |p| start + p);
        let tag = String::from_utf8_lossy(&head[start..end]).to_ascii_lowercase();
        if let Some(enc) = meta_tag_charset(&tag) {
            return Some(enc);
        }
        i = end.max(start);
    }
    None
}

fn meta_tag_charset(tag: &str) -> Option<&'static Encoding> {
    // `charset=` appears both as an attribute and inside content="text/html; charset=…".
    let pos = tag.find("charset")?;
    let rest = tag[pos + 7..].trim_start().strip_prefix('=')?.trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c == '/' || c.is_whitespace())
        .unwrap_or(rest.len());
    Encoding::for_label(&rest.as_bytes()[..end])
}

fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins_over_meta() {
        let body = b"<meta charset=\"utf-8\"><p>caf\xe9</p>";
        let (text, enc, src) = decode(body, Some("text/html; charset=ISO-8859-1"), None);
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
        assert_eq!(src, CharsetSource::Header);
        assert!(text.contains("café"));
    }

    #[test]
    fn meta_http_equiv_latin1() {
        let body = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"></head><body>\xc9t\xe9 \x80</body></html>";
        let (text, _, src) = decode(body, Some("text/html"), None);
        assert_eq!(src, CharsetSource::Meta);
        assert!(text.contains("Été €"), "{text}");
    }

    #[test]
    fn bom_wins() {
        let body = b"\xef\xbb\xbf<meta charset=latin1>caf\xc3\xa9";
        let (text, enc, src) = decode(body, Some("text/html; charset=latin1"), None);
        assert_eq!((enc, src), (UTF_8, CharsetSource::Bom));
        assert_eq!(text, "<meta charset=latin1>café");
    }

    #[test]
    fn detection_of_undeclared_windows_1252() {
        let body = "<p>Le président a déclaré qu’il était très préoccupé par la sécurité des données à l’école.</p>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(body);
        let (text, enc, src) = decode(&bytes, None, Some(b"fr"));
        assert_eq!(src, CharsetSource::Detected);
        assert_eq!(enc, encoding_rs::WINDOWS_1252);
        assert_eq!(text, body);
    }

    #[test]
    fn unknown_labels_are_ignored() {
        assert!(charset_from_content_type("text/html; charset=bogus").is_none());
        assert_eq!(
            charset_from_content_type("text/html;charset=\"UTF-8\""),
            Some(UTF_8)
        );
    }
}
