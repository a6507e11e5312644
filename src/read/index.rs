//! The CDXJ index of an archive folder, as pywb reads it: one line per capture,
//! `<SURT key> <14-digit timestamp> {"url", "mime", "status", "digest", "length",
//! "offset", "filename"}`, sorted bytewise.
//!
//! `index.cdxj` holds the `response`, `revisit` and `resource` records (what a replay
//! tool serves). The `metadata` records (the extracted articles) go to a second file,
//! `metadata.cdxj`, in the same format: pywb serves the closest capture in time for a
//! URL, and a metadata record dated after its page would otherwise be "the latest
//! capture" of every article.
//!
//! This module reads the index; it is written by [`crate::archive::index`] (called by
//! the crawl and `glaneur index`), which keeps `index.manifest.json`.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{ReadError, io_err};

/// The replay index file in an archive folder.
pub const INDEX_FILE: &str = "index.cdxj";
/// The index of the `metadata` records (extracted articles).
pub const METADATA_INDEX_FILE: &str = "metadata.cdxj";
/// Size and modification time of every indexed WARC file.
pub const MANIFEST_FILE: &str = "index.manifest.json";

/// One line of a CDXJ index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdxjEntry {
    /// SURT form of the URL (the search key).
    pub key: String,
    /// 14-digit `WARC-Date`.
    pub timestamp: String,
    /// `WARC-Target-URI`.
    pub url: String,
    /// MIME type of the payload (`warc/revisit` for revisits).
    pub mime: Option<String>,
    /// HTTP status code.
    pub status: Option<String>,
    /// `WARC-Payload-Digest` (block digest for metadata records).
    pub digest: Option<String>,
    /// Length of the record's frame/member in the file.
    pub length: u64,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Where the record starts in the decoded bytes of that frame/member (JSON key
    /// `inner_offset`, written when not 0: a file compressed as one stream).
    pub inner: u64,
    /// WARC file name, relative to the archive folder.
    pub filename: String,
}

#[derive(Serialize, Deserialize)]
struct Json {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    mime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    digest: Option<String>,
    length: serde_json::Value,
    offset: serde_json::Value,
    #[serde(
        rename = "inner_offset",
        skip_serializing_if = "Option::is_none",
        default
    )]
    inner: Option<u64>,
    filename: String,
}

fn number(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

impl CdxjEntry {
    /// The CDXJ line (without line end).
    pub fn to_line(&self) -> String {
        let json = Json {
            url: self.url.clone(),
            mime: self.mime.clone(),
            status: self.status.clone(),
            digest: self.digest.clone(),
            length: self.length.to_string().into(),
            offset: self.offset.to_string().into(),
            inner: (self.inner > 0).then_some(self.inner),
            filename: self.filename.clone(),
        };
        let json = serde_json::to_string(&json).unwrap_or_else(|_| "{}".to_string());
        format!("{} {} {}", self.key, self.timestamp, json)
    }

    /// Parses a CDXJ line.
    pub fn parse(line: &str) -> Result<CdxjEntry, String> {
        let mut parts = line.splitn(3, ' ');
        let (Some(key), Some(ts), Some(json)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("expected `<key> <timestamp> <json>`".into());
        };
        let j: Json = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(CdxjEntry {
            key: key.to_string(),
            timestamp: ts.to_string(),
            url: j.url,
            mime: j.mime,
            status: j.status,
            digest: j.digest,
            length: number(&j.length).ok_or("bad length")?,
            offset: number(&j.offset).ok_or("bad offset")?,
            inner: j.inner.unwrap_or(0),
            filename: j.filename,
        })
    }

    /// True for a revisit record.
    pub fn is_revisit(&self) -> bool {
        self.mime.as_deref() == Some("warc/revisit")
    }
}

/// The CDXJ search key of a URL: [`crate::urls::surt`], the SURT form pywb and
/// cdxj-indexer compute (one implementation for the crawler and the readers).
pub fn cdx_key(url: &Url) -> String {
    crate::urls::surt(url)
}

/// The status code of an HTTP response head (`HTTP/1.1 200 OK` → `200`).
pub fn http_status(head: &[u8]) -> Option<String> {
    let first = head.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(first).ok()?;
    let mut parts = text.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.to_string())
}

/// A header of an HTTP head (first occurrence, case-insensitive name).
pub fn http_header(head: &[u8], name: &str) -> Option<String> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(name.as_bytes())
            .then(|| String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned())
    })
}

/// The names of the WARC files of `dir` that `index.manifest.json` lists as indexed
/// (none when there is no index yet).
pub fn indexed_files(dir: &Path) -> HashSet<String> {
    load_manifest(dir).into_keys().collect()
}

fn load_manifest(dir: &Path) -> BTreeMap<String, serde_json::Value> {
    std::fs::read(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// The entries of the index file `path` whose key is `key`, in index order (by
/// timestamp). The file is sorted: reading stops after the key's lines.
pub fn entries_for_key(path: &Path, key: &str) -> Result<Vec<CdxjEntry>, ReadError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let prefix = format!("{key} ");
    let mut out = Vec::new();
    for (i, line) in BufReader::with_capacity(256 * 1024, file)
        .lines()
        .enumerate()
    {
        let line = line.map_err(io_err(path))?;
        if line.starts_with(&prefix) {
            let entry = CdxjEntry::parse(&line).map_err(|message| ReadError::Index {
                path: path.to_path_buf(),
                line: i + 1,
                message,
            })?;
            out.push(entry);
        } else if line.as_str() > prefix.as_str() && !line.starts_with('!') {
            break;
        }
    }
    Ok(out)
}

/// The captures of `url` in the replay index of `dir` (responses, revisits, resources),
/// oldest first.
pub fn lookup_entries(dir: &Path, url: &Url) -> Result<Vec<CdxjEntry>, ReadError> {
    entries_for_key(&dir.join(INDEX_FILE), &cdx_key(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_roundtrip() {
        let e = CdxjEntry {
            key: "test,news)/a".into(),
            timestamp: "20240503091507".into(),
            url: "http://news.test/a".into(),
            mime: Some("text/html".into()),
            status: Some("200".into()),
            digest: Some("sha1:AAAA".into()),
            length: 1234,
            offset: 56,
            inner: 0,
            filename: "x.warc.gz".into(),
        };
        let line = e.to_line();
        assert_eq!(
            line,
            "test,news)/a 20240503091507 {\"url\":\"http://news.test/a\",\"mime\":\"text/html\",\"status\":\"200\",\"digest\":\"sha1:AAAA\",\"length\":\"1234\",\"offset\":\"56\",\"filename\":\"x.warc.gz\"}"
        );
        assert_eq!(CdxjEntry::parse(&line), Ok(e));
        assert!(CdxjEntry::parse("nokey").is_err());
    }

    #[test]
    fn keys_match_python_surt() {
        // Expected values computed with Python's surt 0.3.1 (`surt.surt(url)`).
        let cases = [
            (
                "http://127.0.0.1:18091/2015/04/a-0014/",
                "1,0,0,127:18091)/2015/04/a-0014",
            ),
            ("http://www.Example.com/", "com,example)/"),
            (
                "https://www2.example.com:443/A/B/?b=2&a=1&c",
                "com,example)/a/b?a=1&b=2&c",
            ),
            ("http://news.test/x?", "test,news)/x"),
            ("http://example.com:8080", "com,example:8080)/"),
        ];
        for (url, want) in cases {
            let url = Url::parse(url).expect("url");
            assert_eq!(cdx_key(&url), want, "{url}");
        }
    }

    #[test]
    fn http_head_fields() {
        let head = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html; charset=utf-8\r\n\r\n";
        assert_eq!(http_status(head).as_deref(), Some("404"));
        assert_eq!(
            http_header(head, "content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(http_status(b"GET / HTTP/1.1\r\n"), None);
    }
}
