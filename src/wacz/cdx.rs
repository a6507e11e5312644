//! The package's replay index: CDXJ lines (`<SURT> <timestamp> {json}`), one per response,
//! revisit or resource record, sorted bytewise with bounded memory (sorted runs spilled to
//! temporary files, then merged).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use url::Url;

use super::raw::RawRecord;

/// Bytes of index lines held in memory before a sorted run is written to disk.
pub const RUN_BYTES: usize = 32 << 20;

#[derive(Serialize)]
struct Fields<'a> {
    url: &'a str,
    mime: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<&'a str>,
    length: String,
    offset: String,
    filename: &'a str,
}

/// The 14-digit timestamp of a `WARC-Date` value (`2024-05-01T10:00:00Z` → `20240501100000`).
pub fn timestamp14(warc_date: &str) -> Option<String> {
    let digits: String = warc_date
        .chars()
        .take_while(|c| *c != '.' && *c != 'Z' && *c != '+')
        .filter(char::is_ascii_digit)
        .collect();
    (digits.len() == 14).then_some(digits)
}

/// The index line of a record written at `offset` (member of `length` bytes) in the
/// package's `filename`, or `None` for records a replay tool does not serve: `warcinfo`,
/// `request`, and `metadata` (glaneur's extracted articles share their page's URL and,
/// indexed, would be replayed in its place).
pub fn cdx_line(record: &RawRecord, filename: &str, offset: u64, length: u64) -> Option<String> {
    let rtype = record.record_type()?;
    if !matches!(rtype, "response" | "revisit" | "resource") {
        return None;
    }
    let url = record.target_uri()?;
    let key = crate::urls::surt(&Url::parse(url).ok()?);
    let ts = timestamp14(record.header("WARC-Date")?)?;
    let is_http = record.header("Content-Type").is_some_and(|c| {
        c.trim()
            .to_ascii_lowercase()
            .starts_with("application/http")
    });
    let head = if is_http {
        let block = record.block();
        crate::warc::http_body_offset(block).map(|off| &block[..off])
    } else {
        None
    };
    let status = head.and_then(http_status);
    let content_type;
    let mime = if rtype == "revisit" {
        "warc/revisit"
    } else if let Some(head) = head {
        content_type = http_content_type(head).unwrap_or_else(|| "unk".into());
        &content_type
    } else {
        content_type = record
            .header("Content-Type")
            .map(short_mime)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "unk".into());
        &content_type
    };
    let fields = Fields {
        url,
        mime,
        status: status.as_deref(),
        digest: record.header("WARC-Payload-Digest"),
        length: length.to_string(),
        offset: offset.to_string(),
        filename,
    };
    let json = serde_json::to_string(&fields).ok()?;
    Some(format!("{key} {ts} {json}"))
}

fn short_mime(v: &str) -> String {
    v.trim()
        .split([';', ' ', '\t'])
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn http_status(head: &[u8]) -> Option<String> {
    let first = head.split(|&b| b == b'\n').next()?;
    let mut parts = std::str::from_utf8(first).ok()?.split_whitespace();
    if !parts.next()?.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())).then(|| code.to_string())
}

fn http_content_type(head: &[u8]) -> Option<String> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        if !line[..colon]
            .trim_ascii()
            .eq_ignore_ascii_case(b"content-type")
        {
            return None;
        }
        let mime = short_mime(&String::from_utf8_lossy(&line[colon + 1..]));
        (!mime.is_empty()).then_some(mime)
    })
}

/// Sorts lines with bounded memory: runs of [`RUN_BYTES`] are sorted and written to
/// temporary files in `dir`, then merged.
pub struct ExternalSort {
    dir: PathBuf,
    lines: Vec<String>,
    bytes: usize,
    runs: Vec<PathBuf>,
    limit: usize,
}

impl ExternalSort {
    /// A sorter spilling its runs into `dir`.
    pub fn new(dir: &Path) -> ExternalSort {
        ExternalSort::with_limit(dir, RUN_BYTES)
    }

    /// A sorter spilling every `limit` bytes of lines (for tests).
    pub fn with_limit(dir: &Path, limit: usize) -> ExternalSort {
        ExternalSort {
            dir: dir.to_path_buf(),
            lines: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
            limit,
        }
    }

    /// Adds a line (without line end).
    pub fn push(&mut self, line: String) -> io::Result<()> {
        self.bytes += line.len() + 24;
        self.lines.push(line);
        if self.bytes >= self.limit {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.lines.sort_unstable();
        let path = self.dir.join(format!("run-{}.cdx", self.runs.len()));
        let mut out = BufWriter::new(File::create(&path)?);
        for l in self.lines.drain(..) {
            out.write_all(l.as_bytes())?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        self.runs.push(path);
        self.bytes = 0;
        Ok(())
    }

    /// Writes every line, sorted, each followed by `\n`; returns the number of lines.
    pub fn finish(mut self, out: &mut dyn Write) -> io::Result<u64> {
        if self.runs.is_empty() {
            self.lines.sort_unstable();
            for l in &self.lines {
                out.write_all(l.as_bytes())?;
                out.write_all(b"\n")?;
            }
            return Ok(self.lines.len() as u64);
        }
        if !self.lines.is_empty() {
            self.spill()?;
        }
        let mut readers = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            readers.push(BufReader::new(File::open(run)?).lines());
        }
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(line) = r.next().transpose()? {
                heap.push(Reverse((line, i)));
            }
        }
        let mut n = 0;
        while let Some(Reverse((line, i))) = heap.pop() {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            n += 1;
            if let Some(next) = readers[i].next().transpose()? {
                heap.push(Reverse((next, i)));
            }
        }
        for run in &self.runs {
            let _ = std::fs::remove_file(run);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(uri: &str, ctype_line: &str) -> RawRecord {
        let block = format!("HTTP/1.1 200 OK\r\n{ctype_line}\r\n\r\nbody");
        let head = format!(
            "WARC/1.1\r\nWARC-Type: response\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http;msgtype=response\r\nWARC-Payload-Digest: sha1:ABC\r\nContent-Length: {}\r\n\r\n",
            block.len()
        );
        let bytes = format!("{head}{block}\r\n\r\n").into_bytes();
        let fields = vec![
            ("WARC-Type".into(), "response".into()),
            ("WARC-Date".into(), "2024-05-01T10:00:00Z".into()),
            ("WARC-Target-URI".into(), uri.into()),
            (
                "Content-Type".into(),
                "application/http;msgtype=response".into(),
            ),
            ("WARC-Payload-Digest".into(), "sha1:ABC".into()),
        ];
        RawRecord {
            header_len: head.len(),
            bytes,
            fields,
        }
    }

    #[test]
    fn response_line_has_key_status_mime_and_location() {
        let r = response(
            "http://www.Example.com/a?b=1",
            "Content-Type: text/HTML; charset=utf-8",
        );
        let line = cdx_line(&r, "x.warc.gz", 10, 20).expect("line");
        assert_eq!(
            line,
            r#"com,example)/a?b=1 20240501100000 {"url":"http://www.Example.com/a?b=1","mime":"text/html","status":"200","digest":"sha1:ABC","length":"20","offset":"10","filename":"x.warc.gz"}"#
        );
    }

    #[test]
    fn metadata_and_requests_are_not_indexed() {
        let mut r = response("http://example.com/", "Content-Type: text/html");
        r.fields[0].1 = "metadata".into();
        assert_eq!(cdx_line(&r, "x", 0, 1), None);
        r.fields[0].1 = "request".into();
        assert_eq!(cdx_line(&r, "x", 0, 1), None);
        r.fields[0].1 = "revisit".into();
        assert!(
            cdx_line(&r, "x", 0, 1)
                .expect("line")
                .contains(r#""mime":"warc/revisit""#)
        );
    }

    #[test]
    fn external_sort_merges_spilled_runs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut sort = ExternalSort::with_limit(dir.path(), 100);
        let mut want: Vec<String> = (0..500)
            .map(|i| format!("k{:05} {}", (i * 7919) % 1000, i))
            .collect();
        for l in &want {
            sort.push(l.clone()).expect("push");
        }
        let mut out = Vec::new();
        assert_eq!(sort.finish(&mut out).expect("finish"), 500);
        want.sort();
        assert_eq!(
            String::from_utf8(out).expect("utf8"),
            want.join("\n") + "\n"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "runs removed"
        );
    }

    #[test]
    fn timestamps_keep_fourteen_digits() {
        assert_eq!(
            timestamp14("2024-05-01T10:00:00.123Z").as_deref(),
            Some("20240501100000")
        );
        assert_eq!(timestamp14("2024-05-01"), None);
    }
}
