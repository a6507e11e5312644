//! The package's replay index: CDXJ lines (`<SURT> <timestamp> {json}`), one per response,
//! revisit or resource record, sorted bytewise with bounded memory (sorted runs spilled to
//! temporary files, then merged).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::Digest;
use url::Url;

use super::raw::RawRecord;
use crate::read::index::http_status;

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
    let head = http_head(record);
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

/// The HTTP head of a record holding an HTTP exchange (`Content-Type: application/http`).
pub(super) fn http_head(record: &RawRecord) -> Option<&[u8]> {
    let is_http = record.header("Content-Type").is_some_and(|c| {
        c.trim()
            .to_ascii_lowercase()
            .starts_with("application/http")
    });
    let block = record.block();
    is_http
        .then(|| crate::warc::http_body_offset(block).map(|off| &block[..off]))
        .flatten()
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

/// The form of a package's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum IndexFormat {
    /// `indexes/index.cdx` up to [`ZIPNUM_FROM_LINES`] lines, ZipNum past that.
    #[default]
    Auto,
    /// `indexes/index.cdx`: plain CDXJ, which readers load whole.
    Cdx,
    /// `indexes/index.cdx.gz` + `indexes/index.idx` (ZipNum): blocks of
    /// [`ZIPNUM_BLOCK_LINES`] lines, each one gzip member, and the first key of each block
    /// with its place, so that a reader loads only the blocks a lookup needs.
    Zipnum,
}

impl IndexFormat {
    /// Whether an index of `lines` lines is written as ZipNum.
    pub fn zipnum_for(self, lines: u64) -> bool {
        match self {
            IndexFormat::Auto => lines > ZIPNUM_FROM_LINES,
            IndexFormat::Cdx => false,
            IndexFormat::Zipnum => true,
        }
    }
}

/// Index lines past which `--index auto` writes ZipNum: about 5 MB of CDXJ, which
/// ReplayWeb.page would otherwise load whole before showing anything.
pub const ZIPNUM_FROM_LINES: u64 = 20_000;

/// CDXJ lines per ZipNum block (py-wacz writes 1024 too).
pub const ZIPNUM_BLOCK_LINES: usize = 1024;

/// The ZipNum format named in the first line of `index.idx`, as py-wacz and ReplayWeb.page
/// write and read it.
pub const ZIPNUM_FORMAT: &str = "cdxj-gzip-1.0";

/// Writes sorted CDXJ lines (given as bytes, each line ending with `\n`) as ZipNum
/// blocks: every [`ZIPNUM_BLOCK_LINES`] lines one gzip member written to `inner`, and
/// for each block one `index.idx` line: `<key> <timestamp> {"offset", "length",
/// "digest", "filename"}` (the block's first key, its place in `filename`, the SHA-256 of
/// its compressed bytes).
pub struct ZipNumWriter<W: Write> {
    inner: W,
    filename: String,
    block: Vec<u8>,
    lines_in_block: usize,
    per_block: usize,
    offset: u64,
    idx: Vec<String>,
}

impl<W: Write> ZipNumWriter<W> {
    /// A writer of blocks of `per_block` lines into `inner`, the file named `filename`
    /// in the index folder.
    pub fn new(inner: W, filename: &str, per_block: usize) -> ZipNumWriter<W> {
        ZipNumWriter {
            inner,
            filename: filename.to_string(),
            block: Vec::new(),
            lines_in_block: 0,
            per_block: per_block.max(1),
            offset: 0,
            idx: vec![format!(
                "!meta 0 {}",
                serde_json::json!({"format": ZIPNUM_FORMAT, "filename": filename})
            )],
        }
    }

    fn flush_block(&mut self) -> io::Result<()> {
        if self.block.is_empty() {
            return Ok(());
        }
        let first = self.block.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let first = String::from_utf8_lossy(first);
        let prefix = first
            .split_once(" {")
            .map_or(first.trim(), |(p, _)| p.trim());
        let member = super::encode::gzip_member_at(&self.block, 6)?;
        let digest = sha2::Sha256::digest(&member);
        let json = serde_json::json!({
            "offset": self.offset,
            "length": member.len(),
            "digest": format!("sha256:{}", data_encoding::HEXLOWER.encode(&digest)),
            "filename": self.filename,
        });
        self.idx.push(format!("{prefix} {json}"));
        self.inner.write_all(&member)?;
        self.offset += member.len() as u64;
        self.block.clear();
        self.lines_in_block = 0;
        Ok(())
    }

    /// Writes the last block; returns the inner writer and the lines of `index.idx`
    /// (without line ends; the first is the `!meta` line).
    pub fn finish(mut self) -> io::Result<(W, Vec<String>)> {
        self.flush_block()?;
        Ok((self.inner, self.idx))
    }
}

impl<W: Write> Write for ZipNumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            self.block.extend_from_slice(&rest[..=i]);
            rest = &rest[i + 1..];
            self.lines_in_block += 1;
            if self.lines_in_block == self.per_block {
                self.flush_block()?;
            }
        }
        self.block.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Sorts lines with bounded memory: runs of [`RUN_BYTES`] are sorted and written to
/// temporary files in `dir`, then merged.
pub struct ExternalSort {
    dir: PathBuf,
    lines: Vec<String>,
    bytes: usize,
    runs: Vec<PathBuf>,
    limit: usize,
    pushed: u64,
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
            pushed: 0,
        }
    }

    /// Lines pushed so far.
    pub fn len(&self) -> u64 {
        self.pushed
    }

    /// True when no line was pushed.
    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Adds a line (without line end).
    pub fn push(&mut self, line: String) -> io::Result<()> {
        self.bytes += line.len() + 24;
        self.pushed += 1;
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
        let mut n = 0;
        let mut emit = |line: &str, out: &mut dyn Write| -> io::Result<()> {
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            n += 1;
            Ok(())
        };
        if self.runs.is_empty() {
            self.lines.sort_unstable();
            for l in &self.lines {
                emit(l, out)?;
            }
            return Ok(n);
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
        while let Some(Reverse((line, i))) = heap.pop() {
            emit(&line, out)?;
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

    /// A ZipNum index reads back as the plain lines: every block one gzip member at the
    /// place its `.idx` line names, starting with the key named, its digest right.
    #[test]
    fn zipnum_blocks_hold_the_lines_at_the_places_the_idx_names() {
        use std::io::Read;
        let lines: Vec<String> = (0..2500)
            .map(|i| {
                format!(
                    "com,example)/p{i:05} 20240501100000 {{\"url\":\"http://example.com/p{i:05}\"}}"
                )
            })
            .collect();
        let mut z = ZipNumWriter::new(Vec::new(), "index.cdx.gz", 1000);
        for l in &lines {
            z.write_all(l.as_bytes()).expect("write");
            z.write_all(b"\n").expect("write");
        }
        let (data, idx) = z.finish().expect("finish");
        let meta: serde_json::Value =
            serde_json::from_str(idx[0].strip_prefix("!meta 0 ").expect("meta line"))
                .expect("meta JSON");
        assert_eq!(
            (meta["format"].as_str(), meta["filename"].as_str()),
            (Some(ZIPNUM_FORMAT), Some("index.cdx.gz"))
        );
        assert_eq!(idx.len(), 4, "3 blocks: 1000, 1000, 500 lines");
        let mut all = String::new();
        let mut end = 0;
        for (n, line) in idx[1..].iter().enumerate() {
            let (prefix, json) = line.split_once(" {").expect("prefix and JSON");
            assert_eq!(
                prefix,
                &lines[n * 1000][..lines[n * 1000].find(" {").expect("{")]
            );
            let j: serde_json::Value = serde_json::from_str(&format!("{{{json}")).expect("json");
            let (offset, length) = (
                j["offset"].as_u64().expect("offset") as usize,
                j["length"].as_u64().expect("length") as usize,
            );
            assert_eq!(offset, end, "blocks follow each other");
            end = offset + length;
            let member = &data[offset..end];
            let digest = sha2::Sha256::digest(member);
            assert_eq!(
                j["digest"],
                format!("sha256:{}", data_encoding::HEXLOWER.encode(&digest))
            );
            let mut d = flate2::read::GzDecoder::new(member);
            let mut text = String::new();
            d.read_to_string(&mut text).expect("one gzip member");
            assert_eq!(d.into_inner().len(), 0, "one member per block");
            all.push_str(&text);
        }
        assert_eq!(end, data.len());
        assert_eq!(all, lines.join("\n") + "\n");
        assert!(IndexFormat::Auto.zipnum_for(ZIPNUM_FROM_LINES + 1));
        assert!(!IndexFormat::Auto.zipnum_for(ZIPNUM_FROM_LINES));
        assert!(IndexFormat::Zipnum.zipnum_for(1) && !IndexFormat::Cdx.zipnum_for(u64::MAX));
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
