//! How the writer spells records: header values made safe, the response head rewritten
//! to frame the stored body, digests, and the WARC header itself.

use std::borrow::Cow;

use sha1::{Digest, Sha1};

use super::super::record::{format_sha1, push_field};

/// Replaces CR and LF (which would end the header line) with spaces.
pub(super) fn clean(value: &str) -> Cow<'_, str> {
    if value.contains(['\r', '\n']) {
        Cow::Owned(value.replace(['\r', '\n'], " "))
    } else {
        Cow::Borrowed(value)
    }
}

/// A URI usable as a header value: whitespace and control characters percent-encoded.
pub(super) fn clean_uri(uri: &str) -> Cow<'_, str> {
    if uri.bytes().any(|b| b <= b' ' || b == 0x7f) {
        let mut out = String::with_capacity(uri.len() + 8);
        for c in uri.chars() {
            if c.is_ascii_control() || c == ' ' {
                out.push_str(&format!("%{:02X}", c as u32));
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(uri)
    }
}

/// A field name made of HTTP token characters only.
pub(super) fn clean_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "x".to_string() } else { s }
}

/// The host name for file names and `warcinfo`: `[A-Za-z0-9.-]` only.
pub(super) fn local_hostname() -> String {
    let raw = gethostname::gethostname().to_string_lossy().into_owned();
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "localhost".to_string()
    } else {
        s
    }
}

/// Rewrites the stored response head so that it frames the stored body (see the module
/// documentation): `Transfer-Encoding` is renamed, and so is a `Content-Length` that does
/// not match a truncated body. Returns the head unchanged (borrowed) in the common case.
pub fn rewrite_response_head(head: &[u8], body_len: usize, truncated: bool) -> Cow<'_, [u8]> {
    const TE: &[u8] = b"transfer-encoding";
    const CL: &[u8] = b"content-length";
    let needs = |name: &[u8], value: &[u8]| {
        name.eq_ignore_ascii_case(TE)
            || (truncated
                && name.eq_ignore_ascii_case(CL)
                && std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    != Some(body_len as u64))
    };
    let split = |line: &'_ [u8]| -> Option<(usize, bool)> {
        let colon = line.iter().position(|&b| b == b':')?;
        let name = line[..colon].trim_ascii();
        let end = line.strip_suffix(b"\n").unwrap_or(line);
        let end = end.strip_suffix(b"\r").unwrap_or(end);
        Some((colon, needs(name, &end[colon + 1..])))
    };
    let mut lines = head.split_inclusive(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    if !lines.clone().any(|l| split(l).is_some_and(|(_, n)| n)) {
        return Cow::Borrowed(head);
    }
    let mut out = Vec::with_capacity(head.len() + 64);
    out.extend_from_slice(first);
    for line in lines {
        match split(line) {
            Some((colon, true)) => {
                let name = line[..colon].trim_ascii();
                out.extend_from_slice(b"X-Glaneur-Orig-");
                if name.eq_ignore_ascii_case(TE) {
                    out.extend_from_slice(b"Transfer-Encoding");
                } else {
                    out.extend_from_slice(b"Content-Length");
                }
                out.extend_from_slice(&line[colon..]);
            }
            _ => out.extend_from_slice(line),
        }
    }
    Cow::Owned(out)
}

/// Block digest of `head + body` and payload digest of `body`, computed in one pass over
/// the body (interleaved in 64 KiB slices to stay in cache).
pub(super) fn digests(head: &[u8], body: &[u8]) -> (String, String) {
    let mut block = Sha1::new();
    let mut payload = Sha1::new();
    block.update(head);
    for chunk in body.chunks(64 * 1024) {
        block.update(chunk);
        payload.update(chunk);
    }
    (
        format_sha1(&block.finalize()),
        format_sha1(&payload.finalize()),
    )
}

/// Builds a WARC header (version line, fields, `Content-Length`, blank line) into `buf`.
pub(super) fn build_header(buf: &mut Vec<u8>, fields: &[(&str, &str)], content_length: usize) {
    buf.clear();
    buf.extend_from_slice(b"WARC/1.1\r\n");
    for (n, v) in fields {
        push_field(buf, n, v);
    }
    push_field(buf, "Content-Length", &content_length.to_string());
    buf.extend_from_slice(b"\r\n");
}
