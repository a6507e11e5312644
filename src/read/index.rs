//! The CDXJ index of an archive folder, as pywb reads it: one line per capture,
//! `<SURT key> <14-digit timestamp> {"url", "mime", "status", "digest", "length",
//! "offset", "filename"}`, sorted bytewise.
//!
//! `index.cdxj` holds the `response`, `revisit` and `resource` records (what a replay
//! tool serves). The `metadata` records (the extracted articles) go to a second file,
//! `metadata.cdxj`, in the same format: pywb serves the closest capture in time for a
//! URL, and a metadata record dated after its page would otherwise be "the latest
//! capture" of every article. Indexing is incremental: `index.manifest.json` remembers
//! the size and modification time of every indexed file; only new or changed files are
//! read, their lines merged into the sorted files, which are replaced atomically
//! (temporary file + rename). Files still being written (`.open`) are skipped.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{Item, ReadError, Scan, io_err, par_map, parse_warc_date, timestamp14, warc_files};
use crate::warc::{Record, sha1_digest};

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
            filename: j.filename,
        })
    }

    /// True for a revisit record.
    pub fn is_revisit(&self) -> bool {
        self.mime.as_deref() == Some("warc/revisit")
    }
}

/// What [`index_archive`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IndexReport {
    /// WARC files read this time.
    pub files_indexed: usize,
    /// WARC files already indexed and unchanged.
    pub files_unchanged: usize,
    /// Files indexed before that are gone (their lines were dropped).
    pub files_removed: usize,
    /// Records read.
    pub records: u64,
    /// Lines added to `index.cdxj`.
    pub lines: u64,
    /// Lines added to `metadata.cdxj`.
    pub metadata_lines: u64,
    /// Compressed bytes read.
    pub bytes: u64,
    /// Lines in `index.cdxj` afterwards.
    pub total_lines: u64,
    /// Files that could not be read to the end (records before the damage are indexed).
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    size: u64,
    mtime_ns: u64,
}

fn stamp(path: &Path) -> Result<Stamp, ReadError> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    Ok(Stamp {
        size: meta.len(),
        mtime_ns,
    })
}

/// Lines of one WARC file.
#[derive(Default)]
struct FileLines {
    main: Vec<String>,
    meta: Vec<String>,
    records: u64,
    error: Option<String>,
}

/// The index entry of a record at `offset` (frame/member of `length` bytes), or `None`
/// for records that are not indexed (`warcinfo`, `request`, …). The second value is
/// true for a metadata record.
pub fn entry_for(
    record: &Record,
    filename: &str,
    offset: u64,
    length: u64,
) -> Option<(CdxjEntry, bool)> {
    let rtype = record.record_type()?;
    let is_meta = match rtype {
        "response" | "revisit" | "resource" => false,
        "metadata" => {
            // As cdxj-indexer: warc-fields metadata is not indexed.
            if record
                .header("Content-Type")
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("application/warc-fields"))
            {
                return None;
            }
            true
        }
        _ => return None,
    };
    let url = record.header("WARC-Target-URI")?.trim();
    let url = url
        .strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(url);
    let parsed = Url::parse(url).ok()?;
    let date = parse_warc_date(record.header("WARC-Date")?)?;
    let (mime, status) = if record.is_http() && rtype != "metadata" {
        let head = record.http_head().unwrap_or(&record.block);
        let status = http_status(head);
        let mime = if rtype == "revisit" {
            Some("warc/revisit".to_string())
        } else {
            Some(http_content_type(head).unwrap_or_else(|| "unk".to_string()))
        };
        (mime, status)
    } else if rtype == "revisit" {
        (Some("warc/revisit".to_string()), None)
    } else {
        let ct = record
            .header("Content-Type")
            .map(short_mime)
            .unwrap_or_else(|| "unk".to_string());
        (Some(ct), None)
    };
    let digest = if is_meta {
        record.header("WARC-Block-Digest").map(str::to_string)
    } else {
        record
            .header("WARC-Payload-Digest")
            .map(str::to_string)
            .or_else(|| record.payload().map(|p| sha1_digest(&p)))
    };
    Some((
        CdxjEntry {
            key: cdx_key(&parsed),
            timestamp: timestamp14(date),
            url: url.to_string(),
            mime,
            status,
            digest,
            length,
            offset,
            filename: filename.to_string(),
        },
        is_meta,
    ))
}

/// The CDXJ search key of a URL: [`crate::urls::surt`], the SURT form pywb and
/// cdxj-indexer compute (one implementation for the crawler and the readers).
pub fn cdx_key(url: &Url) -> String {
    crate::urls::surt(url)
}

fn short_mime(v: &str) -> String {
    v.split([';', ' ', '\t'])
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
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

fn http_content_type(head: &[u8]) -> Option<String> {
    http_header(head, "Content-Type")
        .map(|v| short_mime(&v))
        .filter(|m| !m.is_empty())
}

fn index_file(path: &Path, filename: &str) -> FileLines {
    let mut out = FileLines::default();
    let scan = match Scan::open(path) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    for item in scan {
        match item {
            Item::Record {
                offset,
                length,
                record,
            } => {
                out.records += 1;
                let Some(length) = length else {
                    out.error = Some(format!(
                        "{}: record at {offset} shares its frame with the next one: not indexable",
                        path.display()
                    ));
                    continue;
                };
                if let Some((entry, is_meta)) = entry_for(&record, filename, offset, length) {
                    if is_meta {
                        out.meta.push(entry.to_line());
                    } else {
                        out.main.push(entry.to_line());
                    }
                }
            }
            Item::Damage {
                offset, message, ..
            } => {
                out.error = Some(format!(
                    "{} at offset {offset}: {message} (run `glaneur verify`)",
                    path.display()
                ))
            }
        }
    }
    out.main.sort_unstable();
    out.meta.sort_unstable();
    out
}

/// The names of the WARC files of `dir` that `index.manifest.json` lists as indexed
/// (none when there is no index yet).
pub fn indexed_files(dir: &Path) -> HashSet<String> {
    load_manifest(dir).into_keys().collect()
}

fn load_manifest(dir: &Path) -> BTreeMap<String, Stamp> {
    std::fs::read(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder + rename).
fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), ReadError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let res = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(io_err(path))
}

/// Merges the sorted `new` lines into the sorted index file `path`, dropping its lines
/// whose `filename` is in `drop`. Returns the number of lines written.
fn merge_into(path: &Path, new: &[String], drop: &HashSet<String>) -> Result<u64, ReadError> {
    let old: Option<BufReader<File>> = match File::open(path) {
        Ok(f) => Some(BufReader::with_capacity(256 * 1024, f)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut count = 0u64;
    replace_file(path, |w| {
        let mut new = new.iter().peekable();
        if let Some(old) = old {
            for line in old.lines() {
                let line = line?;
                if line.is_empty() {
                    continue;
                }
                if !drop.is_empty()
                    && !line.starts_with('!')
                    && CdxjEntry::parse(&line).is_ok_and(|e| drop.contains(&e.filename))
                {
                    continue;
                }
                while let Some(n) = new.next_if(|n| n.as_str() < line.as_str()) {
                    w.write_all(n.as_bytes())?;
                    w.write_all(b"\n")?;
                    count += 1;
                }
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
                count += 1;
            }
        }
        for n in new {
            w.write_all(n.as_bytes())?;
            w.write_all(b"\n")?;
            count += 1;
        }
        Ok(())
    })?;
    Ok(count)
}

/// The lock file that keeps two indexers off the same folder.
pub const LOCK_FILE: &str = "index.lock";
/// Holds an exclusive advisory lock (`flock` on Unix) on `index.lock` while indexing.
/// The kernel releases it when the process ends, however it ends (SIGKILL included), so
/// a killed indexer never blocks the next one; the file itself stays.
struct IndexLock(#[allow(dead_code)] File);

impl IndexLock {
    fn take(dir: &Path) -> Result<IndexLock, ReadError> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(ReadError::Busy(path)),
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
        }
        // Temporary files of an indexer killed while replacing an index: none is being
        // written now that the lock is held.
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if (name.starts_with("index.") || name.starts_with("metadata."))
                    && name.contains(".tmp-")
                    && entry.path().is_file()
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(IndexLock(file))
    }
}

/// Brings `DIR/index.cdxj` and `DIR/metadata.cdxj` up to date with the closed WARC files
/// of `dir`: reads only files not indexed yet (or changed since), on all cores, and
/// drops the lines of files that are gone. Call it after closing a WARC file.
///
/// Another indexer at work on the same folder (holding the lock on `index.lock`) makes it
/// fail with [`ReadError::Busy`].
pub fn index_archive(dir: &Path) -> Result<IndexReport, ReadError> {
    let _lock = IndexLock::take(dir)?;
    let files = warc_files(dir)?;
    let manifest = load_manifest(dir);
    let index_path = dir.join(INDEX_FILE);
    let meta_path = dir.join(METADATA_INDEX_FILE);
    let have_indexes = index_path.is_file() && meta_path.is_file();
    let mut report = IndexReport::default();
    let mut stamps = BTreeMap::new();
    let mut todo: Vec<(PathBuf, String)> = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let s = stamp(f)?;
        if have_indexes && manifest.get(&name) == Some(&s) {
            report.files_unchanged += 1;
        } else {
            todo.push((f.clone(), name.clone()));
            report.bytes += s.size;
        }
        stamps.insert(name, s);
    }
    let mut drop: HashSet<String> = manifest
        .keys()
        .filter(|k| !stamps.contains_key(*k))
        .cloned()
        .collect();
    report.files_removed = drop.len();
    if todo.is_empty() && drop.is_empty() && have_indexes {
        report.total_lines = count_lines(&index_path);
        return Ok(report);
    }
    if !have_indexes {
        // Rebuild from scratch: whatever the old files hold is replaced.
        let _ = std::fs::remove_file(&index_path);
        let _ = std::fs::remove_file(&meta_path);
    }
    drop.extend(todo.iter().map(|(_, n)| n.clone()));
    // Largest files first, for a better spread over the cores.
    todo.sort_by_key(|(p, _)| {
        std::cmp::Reverse(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
    });
    let results = par_map(&todo, |(path, name)| index_file(path, name));
    let mut main = Vec::new();
    let mut meta = Vec::new();
    for r in results {
        report.files_indexed += 1;
        report.records += r.records;
        report.lines += r.main.len() as u64;
        report.metadata_lines += r.meta.len() as u64;
        main.extend(r.main);
        meta.extend(r.meta);
        if let Some(e) = r.error {
            report.errors.push(e);
        }
    }
    main.sort_unstable();
    meta.sort_unstable();
    report.total_lines = merge_into(&index_path, &main, &drop)?;
    merge_into(&meta_path, &meta, &drop)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let json = serde_json::to_vec_pretty(&stamps).map_err(|e| ReadError::Output(e.to_string()))?;
    replace_file(&manifest_path, |w| w.write_all(&json))?;
    Ok(report)
}

fn count_lines(path: &Path) -> u64 {
    File::open(path)
        .map(|f| BufReader::new(f).lines().count() as u64)
        .unwrap_or(0)
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
        assert_eq!(http_content_type(head).as_deref(), Some("text/html"));
        assert_eq!(http_status(b"GET / HTTP/1.1\r\n"), None);
    }
}
