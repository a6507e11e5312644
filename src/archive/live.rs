//! The index lines of the WARC files a crawl writes, made as it writes them.
//!
//! At the end of a crawl the index is brought up to date with the files the run closed
//! ([`super::index`]). Reading those files back (every record decompressed again, to
//! learn its URL, date, status and type) costs about a twentieth of the crawl's CPU,
//! though the writer knew all of it when it wrote them. So the writer is watched
//! ([`crate::warc::RecordObserver`]): each record's header (and the HTTP head of a
//! response) goes through the same [`super::scan::row_of`] as a scan, into the same
//! CDXJ lines, kept per file. The index update takes a file's lines from here instead of
//! reading it when the file is unchanged since it was closed (same [`Stamp`]); any other
//! file (an earlier run's, a worker's, a file cut back after a write error, a file whose
//! lines outgrew [`LIVE_INDEX_BUDGET`]) is read as before.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::index::{PreparedFile, PreparedIndex, capture_entry, metadata_entry};
use super::scan::{Row, Stamp, row_of};
use crate::warc::{Record, RecordObserver, WrittenRecord};

/// Bytes of index lines held for the files of a run, at most; the files whose lines
/// do not fit are read at the end, as without a live index.
pub const LIVE_INDEX_BUDGET: usize = 32 << 20;

#[derive(Debug, Default)]
struct State {
    /// Files closed whole.
    closed: PreparedIndex,
    /// The file being written, by name.
    open: HashMap<String, PreparedFile>,
    /// Files whose lines are not kept (over the budget): read at the end.
    dropped: std::collections::HashSet<String>,
    /// Bytes of lines held.
    held: usize,
}

/// Watches a writer and keeps the index lines of what it writes. Cloning shares the
/// lines: give one clone to the writer ([`crate::warc::WarcWriter::observe`]) and
/// [`LiveIndex::take`] the lines from another once the writer is finished.
#[derive(Debug, Clone)]
pub struct LiveIndex {
    state: Arc<Mutex<State>>,
    budget: usize,
}

impl Default for LiveIndex {
    fn default() -> LiveIndex {
        LiveIndex::with_budget(LIVE_INDEX_BUDGET)
    }
}

impl LiveIndex {
    /// A live index holding at most `budget` bytes of lines.
    pub fn with_budget(budget: usize) -> LiveIndex {
        LiveIndex {
            state: Arc::new(Mutex::new(State::default())),
            budget,
        }
    }

    /// The lines of the files closed so far (taken: later calls start empty).
    pub fn take(&self) -> PreparedIndex {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.held = state.open.values().map(PreparedFile::bytes).sum();
        std::mem::take(&mut state.closed)
    }
}

/// Splits a WARC header as the writer builds it (`Name: value` lines after the version
/// line, no continuation lines) into a record with `block` as its block.
fn parse_written(header: &[u8], block: Vec<u8>) -> Option<Record> {
    let text = std::str::from_utf8(header).ok()?;
    let mut lines = text.split("\r\n");
    let version = lines.next()?.to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Record {
        version,
        headers,
        block,
    })
}

/// The value of `WARC-Type` in a header as written.
fn record_type(header: &[u8]) -> Option<&[u8]> {
    const FIELD: &[u8] = b"\r\nWARC-Type: ";
    let at = header.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let rest = &header[at..];
    let end = rest.iter().position(|&b| b == b'\r').unwrap_or(rest.len());
    Some(&rest[..end])
}

impl RecordObserver for LiveIndex {
    fn written(&mut self, record: &WrittenRecord<'_>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.dropped.contains(record.file) {
            return;
        }
        // The file's name is copied once, for its first record.
        if !state.open.contains_key(record.file) {
            state
                .open
                .insert(record.file.to_string(), PreparedFile::default());
        }
        let Some(file) = state.open.get_mut(record.file) else {
            return;
        };
        file.records += 1;
        // Requests and warcinfo records are not indexed: their header is not even parsed.
        let kind = record_type(record.header);
        let indexed = matches!(
            kind,
            Some(b"response" | b"revisit" | b"resource" | b"metadata")
        );
        if !indexed {
            return;
        }
        // A capture's row needs its HTTP head (status, type, location); nothing else
        // needs the block (every written capture has its payload digest).
        let block = match kind {
            Some(b"metadata") => Vec::new(),
            _ => record.block_start.to_vec(),
        };
        let Some(parsed) = parse_written(record.header, block) else {
            return;
        };
        let line = match row_of(&parsed, record.offset, record.length) {
            Some(Row::Capture(c)) => capture_entry(&c, record.file).map(|e| (true, e.to_line())),
            Some(Row::Metadata(m)) => metadata_entry(&m, record.file).map(|e| (false, e.to_line())),
            None => None,
        };
        let Some((main, line)) = line else {
            return;
        };
        let added = line.len();
        if main {
            file.main.push(line);
        } else {
            file.meta.push(line);
        }
        state.held += added;
        if state.held > self.budget {
            // Over the budget: this file is read at the end instead.
            if let Some(file) = state.open.remove(record.file) {
                state.held -= file.bytes();
            }
            state.dropped.insert(record.file.to_string());
        }
    }

    fn closed(&mut self, name: &str, path: &Path) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut file) = state.open.remove(name) {
            file.stamp = Stamp::of(path);
            state.closed.files.insert(name.to_string(), file);
        }
    }

    fn abandoned(&mut self, name: &str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(file) = state.open.remove(name) {
            state.held -= file.bytes();
        }
        state.dropped.insert(name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::index::{index_archive, index_archive_prepared};
    use crate::capture::Capture;
    use crate::warc::{RecordId, RevisitOf, RevisitProfile, WarcWriter, WriterConfig};
    use chrono::Utc;

    fn capture(url: &str, status: u16, extra: &str, body: &str) -> Capture {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\n{extra}Content-Length: {}\r\n\r\n",
            body.len()
        );
        Capture {
            url: url::Url::parse(url).expect("url"),
            started: Utc::now(),
            ip: None,
            request: b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".to_vec(),
            status,
            response_head: head.into_bytes(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(body.to_string()),
            truncated: None,
            elapsed: std::time::Duration::from_millis(5),
        }
    }

    /// Writes captures of every kind the crawl writes into `dir`, watched by a live index
    /// of `budget` bytes, in files rotated after about 2 kB; returns the lines made.
    fn write_archive(dir: &Path, budget: usize) -> (PreparedIndex, usize) {
        let mut config = WriterConfig::new(dir);
        config.max_file_bytes = 2_000;
        let mut writer = WarcWriter::new(config).expect("writer");
        let live = LiveIndex::with_budget(budget);
        writer.observe(Box::new(live.clone()));
        for i in 0..12 {
            let url = format!("http://a.test/article-{i}");
            let page = capture(&url, 200, "", &format!("<p>page {i}</p>"));
            let at = writer.write_capture(&page).expect("capture");
            let json = format!("{{\"url\":\"{url}\",\"title\":\"T{i}\"}}");
            writer
                .write_capture_metadata(&page, &at.response.id, "application/json", json.as_bytes())
                .expect("metadata");
            let of = RevisitOf {
                record_id: at.response.id.0.clone(),
                target_uri: url.clone(),
                date: page.started,
                payload_digest: at.payload_digest.clone(),
            };
            let again = capture(&url, 304, "", "");
            writer
                .write_revisit(&again, RevisitProfile::ServerNotModified, &of)
                .expect("revisit");
        }
        let moved = capture("http://a.test/old", 301, "Location: /new\r\n", "");
        writer.write_capture(&moved).expect("redirect");
        let gone = capture("http://a.test/gone", 404, "", "not here");
        writer.write_capture(&gone).expect("404");
        writer
            .write_metadata(
                "http://a.test/x",
                &RecordId::new(),
                Utc::now(),
                "application/warc-fields",
                b"a: b\r\n",
            )
            .expect("warc-fields");
        let files = writer.finish().expect("finish").len();
        (live.take(), files)
    }

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).expect("index file")
    }

    /// The index made from the live lines, and the one made by reading the same files.
    fn both_indexes(
        mut prepared: PreparedIndex,
        dir: &Path,
    ) -> ((String, String), (String, String)) {
        let copy = tempfile::tempdir().expect("temp dir");
        for entry in std::fs::read_dir(dir).expect("dir").flatten() {
            if entry.path().is_file() {
                std::fs::copy(entry.path(), copy.path().join(entry.file_name())).expect("copy");
            }
        }
        let live = index_archive_prepared(dir, &mut prepared).expect("indexed from lines");
        let scanned = index_archive(copy.path()).expect("indexed by reading");
        assert_eq!(live.records, scanned.records);
        assert_eq!(live.lines, scanned.lines);
        assert_eq!(live.metadata_lines, scanned.metadata_lines);
        (
            (
                read(&dir.join("index.cdxj")),
                read(&dir.join("metadata.cdxj")),
            ),
            (
                read(&copy.path().join("index.cdxj")),
                read(&copy.path().join("metadata.cdxj")),
            ),
        )
    }

    #[test]
    fn lines_made_while_writing_are_the_lines_of_a_scan() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (prepared, files) = write_archive(dir.path(), LIVE_INDEX_BUDGET);
        assert!(files > 3, "rotated into {files} files");
        assert_eq!(prepared.len(), files, "every closed file has its lines");
        let (live, scanned) = both_indexes(prepared, dir.path());
        assert_eq!(live, scanned);
        assert!(live.0.contains("\"status\": \"301\"") || live.0.contains("\"status\":\"301\""));
        assert!(live.0.contains("warc/revisit"));
        assert_eq!(
            live.1.lines().count(),
            12,
            "warc-fields metadata is not indexed"
        );
    }

    #[test]
    fn files_over_the_budget_or_changed_since_are_read_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        // Room for about one file's lines: the others are read.
        let (prepared, files) = write_archive(dir.path(), 1_500);
        assert!(
            prepared.len() < files,
            "{} of {files} files kept",
            prepared.len()
        );
        let (live, scanned) = both_indexes(prepared, dir.path());
        assert_eq!(live, scanned);

        let dir = tempfile::tempdir().expect("temp dir");
        let (mut prepared, _) = write_archive(dir.path(), LIVE_INDEX_BUDGET);
        let mut names: Vec<String> = prepared.files.keys().cloned().collect();
        names.sort();
        let path = dir.path().join(&names[0]);
        let stamp = Stamp::of(&path);
        assert!(prepared.take_file(&names[0], None).is_none());
        let mut changed = stamp.expect("stamp");
        changed.size += 1;
        assert!(prepared.take_file(&names[0], Some(changed)).is_none());
        assert!(prepared.take_file(&names[0], stamp).is_some());
    }

    #[test]
    fn lines_wait_whole_while_another_indexer_holds_the_folder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (mut prepared, files) = write_archive(dir.path(), LIVE_INDEX_BUDGET);
        let held = std::fs::File::create(dir.path().join(crate::archive::index::LOCK_FILE))
            .expect("lock file");
        held.try_lock().expect("lock taken");
        let busy = index_archive_prepared(dir.path(), &mut prepared);
        assert!(
            matches!(busy, Err(crate::read::ReadError::Busy(_))),
            "{busy:?}"
        );
        assert_eq!(prepared.len(), files, "no line taken");
        drop(held);
        index_archive_prepared(dir.path(), &mut prepared).expect("indexed");
        assert!(prepared.is_empty(), "every file's lines taken");
    }

    #[test]
    fn an_abandoned_file_has_no_lines() {
        let live = LiveIndex::default();
        let mut watcher = live.clone();
        let header = b"WARC/1.1\r\nWARC-Type: metadata\r\nWARC-Target-URI: http://a.test/\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: application/json\r\n\r\n";
        let record = WrittenRecord {
            file: "f.warc",
            offset: 0,
            length: 10,
            header,
            block_start: b"{}",
        };
        watcher.written(&record);
        watcher.abandoned("f.warc");
        watcher.written(&record);
        watcher.closed("f.warc", Path::new("f.warc"));
        assert!(live.take().is_empty());
        assert_eq!(live.state.lock().expect("lock").held, 0);
    }
}
