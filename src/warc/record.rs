//! The WARC record model, digests (`sha1:` + Base32) and the HTTP helpers the writer and
//! the verifier share: locating the HTTP body in a block and removing chunked framing.

use std::borrow::Cow;

use sha1::{Digest, Sha1};

/// A `WARC-Record-ID` value, `<urn:uuid:…>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(pub String);

impl RecordId {
    /// A new random id.
    pub fn new() -> RecordId {
        RecordId(format!("<urn:uuid:{}>", uuid::Uuid::new_v4()))
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One WARC record: named header fields (in order) and the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The version line's version, e.g. `WARC/1.1`.
    pub version: String,
    /// Header fields in order (`Content-Length` included when read from a file).
    pub headers: Vec<(String, String)>,
    /// The record block.
    pub block: Vec<u8>,
}

impl Record {
    /// The first value of a header field (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header field (case-insensitive name), in order.
    pub fn header_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, e.g. `response`.
    pub fn record_type(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// `WARC-Record-ID`.
    pub fn id(&self) -> Option<RecordId> {
        self.header("WARC-Record-ID")
            .map(|v| RecordId(v.to_string()))
    }

    /// True when the block is an HTTP message (`Content-Type: application/http…`).
    pub fn is_http(&self) -> bool {
        self.header("Content-Type").is_some_and(|ct| {
            ct.trim()
                .to_ascii_lowercase()
                .starts_with("application/http")
        })
    }

    /// The HTTP header part of an `application/http` block (status or request line and
    /// headers, up to and including the blank line), or `None` if the block has no end of
    /// headers.
    pub fn http_head(&self) -> Option<&[u8]> {
        http_body_offset(&self.block).map(|off| &self.block[..off])
    }

    /// The payload as defined by WARC 1.1 for this record: for an `application/http`
    /// request or response, the entity body after the HTTP headers with chunked transfer
    /// coding removed (when the headers still announce it and the framing decodes);
    /// for `resource` and `conversion` records, the whole block. `None` otherwise.
    pub fn payload(&self) -> Option<Cow<'_, [u8]>> {
        match self.record_type()? {
            "resource" | "conversion" => Some(Cow::Borrowed(&self.block)),
            "response" | "request" if self.is_http() => {
                let off = http_body_offset(&self.block)?;
                let head = &self.block[..off];
                let body = &self.block[off..];
                if head_is_chunked(head)
                    && let Some(decoded) = dechunk(body)
                {
                    return Some(Cow::Owned(decoded));
                }
                Some(Cow::Borrowed(body))
            }
            _ => None,
        }
    }

    /// Recomputes `WARC-Block-Digest` and (except on revisits) `WARC-Payload-Digest` and
    /// compares them with the header values. Only `sha1` digests are checked (Base32 or
    /// Base16); another algorithm is an error. A payload digest over the raw bytes after
    /// the HTTP headers (as some tools compute it for chunked bodies) is accepted too.
    pub fn verify_digests(&self) -> Result<(), String> {
        if let Some(bd) = self.header("WARC-Block-Digest") {
            let want = decode_sha1(bd)?;
            if sha1_raw(&self.block) != want {
                return Err(format!("WARC-Block-Digest mismatch ({bd})"));
            }
        }
        let Some(pd) = self.header("WARC-Payload-Digest") else {
            return Ok(());
        };
        if matches!(self.record_type(), Some("revisit" | "continuation")) {
            return Ok(());
        }
        let want = decode_sha1(pd)?;
        let Some(payload) = self.payload() else {
            return Err("WARC-Payload-Digest on a record without a payload".to_string());
        };
        if sha1_raw(&payload) == want {
            return Ok(());
        }
        if let Some(off) = http_body_offset(&self.block)
            && sha1_raw(&self.block[off..]) == want
        {
            return Ok(());
        }
        Err(format!("WARC-Payload-Digest mismatch ({pd})"))
    }

    /// Serialises the record (version line, headers, blank line, block, `\r\n\r\n`).
    /// `Content-Length` is written from the block length; a `Content-Length` among
    /// `headers` is replaced.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.block.len() + 512);
        out.extend_from_slice(self.version.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case("Content-Length") {
                continue;
            }
            push_field(&mut out, n, v);
        }
        push_field(&mut out, "Content-Length", &self.block.len().to_string());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }
}

/// Appends `Name: value\r\n`.
pub(crate) fn push_field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// `sha1:` + Base32 of the SHA-1 of `data`.
pub fn sha1_digest(data: &[u8]) -> String {
    format_sha1(&sha1_raw(data))
}

/// `sha1:` + Base32 of a raw SHA-1 value.
pub(crate) fn format_sha1(raw: &[u8]) -> String {
    format!("sha1:{}", data_encoding::BASE32.encode(raw))
}

fn sha1_raw(data: &[u8]) -> [u8; 20] {
    Sha1::digest(data).into()
}

/// Decodes a `sha1:` labelled digest, Base32 (padded or not) or Base16.
fn decode_sha1(labelled: &str) -> Result<[u8; 20], String> {
    let (label, value) = labelled
        .split_once(':')
        .ok_or_else(|| format!("digest {labelled:?} is not algorithm:value"))?;
    let label = label.trim().to_ascii_lowercase();
    if label != "sha1" && label != "sha-1" {
        return Err(format!("unsupported digest algorithm {label:?}"));
    }
    let value = value.trim();
    let raw = if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        data_encoding::HEXLOWER_PERMISSIVE.decode(value.as_bytes())
    } else {
        let mut v = value.to_ascii_uppercase();
        while v.len() % 8 != 0 {
            v.push('=');
        }
        data_encoding::BASE32.decode(v.as_bytes())
    }
    .map_err(|e| format!("bad digest value {value:?}: {e}"))?;
    raw.try_into()
        .map_err(|_| format!("digest {labelled:?} has the wrong length for sha1"))
}

/// Offset of the HTTP body in an `application/http` block: just after the first
/// `\r\n\r\n` (or `\n\n`).
pub fn http_body_offset(block: &[u8]) -> Option<usize> {
    if let Some(i) = find(block, b"\r\n\r\n") {
        return Some(i + 4);
    }
    find(block, b"\n\n").map(|i| i + 2)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Header lines of an HTTP head (start line skipped), as (name, value) byte slices.
pub(crate) fn head_fields(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    head.split(|&b| b == b'\n').skip(1).filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        Some((line[..colon].trim_ascii(), line[colon + 1..].trim_ascii()))
    })
}

/// True when the HTTP head announces `Transfer-Encoding: …chunked`.
pub(crate) fn head_is_chunked(head: &[u8]) -> bool {
    head_fields(head).any(|(n, v)| {
        n.eq_ignore_ascii_case(b"transfer-encoding")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"chunked"))
    })
}

/// Removes chunked transfer coding; `None` if the framing is broken or incomplete.
pub fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len());
    loop {
        let eol = find(data, b"\r\n")?;
        let line = &data[..eol];
        let size_part = line.split(|&b| b == b';').next()?.trim_ascii();
        let size = usize::from_str_radix(std::str::from_utf8(size_part).ok()?, 16).ok()?;
        data = &data[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size + 2 || &data[size..size + 2] != b"\r\n" {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_record(rtype: &str, block: &[u8]) -> Record {
        Record {
            version: "WARC/1.1".into(),
            headers: vec![
                ("WARC-Type".into(), rtype.into()),
                (
                    "Content-Type".into(),
                    "application/http;msgtype=response".into(),
                ),
            ],
            block: block.to_vec(),
        }
    }

    #[test]
    fn sha1_of_empty_is_the_known_value() {
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn dechunk_decodes_and_rejects_bad_framing() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(dechunk(b"5\r\nhel"), None);
        assert_eq!(dechunk(b"zz\r\n"), None);
        assert_eq!(dechunk(b"5\r\nhelloXX0\r\n\r\n"), None);
    }

    #[test]
    fn payload_of_chunked_response_is_decoded() {
        let mut r = http_record(
            "response",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        );
        assert_eq!(r.payload().as_deref(), Some(&b"abc"[..]));
        r.headers
            .push(("WARC-Payload-Digest".into(), sha1_digest(b"abc")));
        r.headers
            .push(("WARC-Block-Digest".into(), sha1_digest(&r.block)));
        assert_eq!(r.verify_digests(), Ok(()));
        r.headers[2].1 = sha1_digest(b"abd");
        assert!(r.verify_digests().is_err());
    }

    #[test]
    fn verify_accepts_base16_and_rejects_other_algorithms() {
        let mut r = http_record("response", b"HTTP/1.1 200 OK\r\n\r\nxyz");
        let hex = data_encoding::HEXLOWER.encode(&sha1_raw(b"xyz"));
        r.headers
            .push(("WARC-Payload-Digest".into(), format!("sha1:{hex}")));
        assert_eq!(r.verify_digests(), Ok(()));
        r.headers
            .push(("WARC-Block-Digest".into(), "sha256:AAAA".into()));
        assert!(r.verify_digests().unwrap_err().contains("unsupported"));
    }

    #[test]
    fn block_digest_mismatch_is_reported() {
        let mut r = http_record("response", b"HTTP/1.1 200 OK\r\n\r\nxyz");
        r.headers
            .push(("WARC-Block-Digest".into(), sha1_digest(b"other")));
        assert!(r.verify_digests().unwrap_err().contains("Block"));
    }

    #[test]
    fn to_bytes_writes_content_length_from_block() {
        let r = Record {
            version: "WARC/1.1".into(),
            headers: vec![
                ("WARC-Type".into(), "resource".into()),
                ("Content-Length".into(), "99".into()),
            ],
            block: b"abc".to_vec(),
        };
        assert_eq!(
            r.to_bytes(),
            b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n"
        );
    }
}
