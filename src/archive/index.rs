//! The writer side of the archive model: brings the CDXJ index of an archive folder
//! (`index.cdxj`, `metadata.cdxj`, read by [`crate::read::index`] and by pywb) up to date
//! with its closed WARC files. Called by the crawl after closing a WARC file and by
//! `glaneur index`.
//!
//! Indexing is incremental: `index.manifest.json` remembers the [`Stamp`] of every
//! indexed file; [`super::scan::plan`] tells which files are new or changed; only those
//! are read ([`super::scan::scan_rows`], on all cores), their lines sorted in bounded
//! memory ([`super::spool`]: runs written beside the index past [`SPOOL_BUDGET`]) and
//! merged into the sorted files, which are replaced atomically (temporary file +
//! rename). Files still being written (`.open`) are skipped. Memory does not grow with
//! the number of records indexed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;

use super::scan::{CaptureKind, CaptureRow, MetadataRow, Row, Stamp, file_name, plan, scan_rows};
use super::spool::{Spool, replace_file};
use crate::read::index::{CdxjEntry, INDEX_FILE, MANIFEST_FILE, METADATA_INDEX_FILE, cdx_key};
use crate::read::{ReadError, io_err, par_map, timestamp14, warc_files};

/// Bytes of new `index.cdxj` lines held in memory before a sorted run is written out
/// (`metadata.cdxj` gets a quarter of it).
pub const SPOOL_BUDGET: usize = 48 * 1024 * 1024;

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

/// The index lines of one closed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreparedFile {
    /// The file's stamp when it was closed: the lines are valid while it is unchanged.
    pub stamp: Option<Stamp>,
    /// Records written (all types, as a scan counts them).
    pub records: u64,
    /// Lines of `index.cdxj`, in file order.
    pub main: Vec<String>,
    /// Lines of `metadata.cdxj`, in file order.
    pub meta: Vec<String>,
}

impl PreparedFile {
    pub(super) fn bytes(&self) -> usize {
        self.main.iter().chain(&self.meta).map(String::len).sum()
    }
}

/// What a run's writer wrote, file by file: the lines [`super::index`] may take instead
/// of reading a file (made by [`super::live::LiveIndex`]).
#[derive(Debug, Clone, Default)]
pub struct PreparedIndex {
    pub(super) files: HashMap<String, PreparedFile>,
}

impl PreparedIndex {
    /// Takes the lines of the file `name` when it still has `stamp`, the stamp it had
    /// when closed.
    pub fn take_file(&mut self, name: &str, stamp: Option<Stamp>) -> Option<PreparedFile> {
        let file = self.files.get(name)?;
        if file.stamp.is_none() || file.stamp != stamp {
            return None;
        }
        self.files.remove(name)
    }

    /// Files with lines.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file has lines.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The lock file that keeps two indexers off the same folder.
pub const LOCK_FILE: &str = "index.lock";
/// How long a held `index.lock` is waited for before [`ReadError::Busy`].
const BUSY_GRACE: std::time::Duration = std::time::Duration::from_secs(1);
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
        // A lock seen held is asked again for a moment: besides another indexer, a child
        // process started (fork/exec) by this process while the lock was held keeps a copy
        // of the descriptor, and so the lock, until its exec.
        let deadline = std::time::Instant::now() + BUSY_GRACE;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    if std::time::Instant::now() >= deadline {
                        return Err(ReadError::Busy(path));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
            }
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

/// The index entry of a capture of the WARC file `filename`.
pub fn capture_entry(row: &CaptureRow, filename: &str) -> Option<CdxjEntry> {
    let url = url::Url::parse(&row.url).ok()?;
    let mime = match row.kind {
        CaptureKind::Revisit => "warc/revisit".to_string(),
        _ => row.mime.clone().unwrap_or_else(|| "unk".to_string()),
    };
    Some(CdxjEntry {
        key: cdx_key(&url),
        timestamp: timestamp14(row.date),
        url: row.url.clone(),
        mime: Some(mime),
        status: row.status.map(|s| s.to_string()),
        digest: row.digest.clone(),
        length: row.length,
        offset: row.offset,
        inner: row.inner,
        filename: filename.to_string(),
    })
}

/// The index entry of a metadata record of the WARC file `filename`.
pub fn metadata_entry(row: &MetadataRow, filename: &str) -> Option<CdxjEntry> {
    let url = url::Url::parse(&row.url).ok()?;
    Some(CdxjEntry {
        key: cdx_key(&url),
        timestamp: timestamp14(row.date),
        url: row.url.clone(),
        mime: Some(row.mime.clone().unwrap_or_else(|| "unk".to_string())),
        status: None,
        digest: row.digest.clone(),
        length: row.length,
        offset: row.offset,
        inner: row.inner,
        filename: filename.to_string(),
    })
}

/// What indexing one WARC file found.
#[derive(Default)]
struct FileLines {
    records: u64,
    error: Option<String>,
    /// Writing a run out failed (a full disk): the index is left as it was.
    spool_error: Option<ReadError>,
}

/// Lines handed from a file's scan to the shared spools at a time (one lock per batch).
const BATCH_LINES: usize = 4096;

/// The two spools of an update, shared by the threads reading the files.
struct Spools {
    main: Mutex<Spool>,
    meta: Mutex<Spool>,
}

impl Spools {
    fn add(spool: &Mutex<Spool>, batch: &mut Vec<String>) -> Result<(), ReadError> {
        let mut spool = spool
            .lock()
            .map_err(|_| ReadError::Output("index spool poisoned".into()))?;
        spool.extend(batch.drain(..))
    }
}

/// Reads one WARC file and hands its index lines to `spools`, a batch at a time.
fn index_file(path: &Path, spools: &Spools) -> FileLines {
    let name = file_name(path);
    let mut main = Vec::with_capacity(BATCH_LINES);
    let mut meta = Vec::new();
    let mut spool_error = None;
    let scan = scan_rows(path, |row| {
        if spool_error.is_some() {
            return;
        }
        // A record sharing its frame/member with others (a file compressed as one
        // stream) is indexed by its place in the decoded bytes (`inner_offset`).
        match row {
            Row::Capture(c) => main.extend(capture_entry(&c, &name).map(|e| e.to_line())),
            Row::Metadata(m) => meta.extend(metadata_entry(&m, &name).map(|e| e.to_line())),
        }
        let flushed = if main.len() >= BATCH_LINES {
            Spools::add(&spools.main, &mut main)
        } else if meta.len() >= BATCH_LINES {
            Spools::add(&spools.meta, &mut meta)
        } else {
            Ok(())
        };
        spool_error = flushed.err();
    });
    if spool_error.is_none() {
        spool_error = Spools::add(&spools.main, &mut main)
            .and_then(|()| Spools::add(&spools.meta, &mut meta))
            .err();
    }
    FileLines {
        records: scan.records,
        error: scan
            .damaged
            .last()
            .map(|d| format!("{}: {d} (run `glaneur verify`)", path.display())),
        spool_error,
    }
}

fn load_manifest(dir: &Path) -> BTreeMap<String, Stamp> {
    std::fs::read(dir.join(MANIFEST_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Brings `DIR/index.cdxj` and `DIR/metadata.cdxj` up to date with the closed WARC files
/// of `dir`: reads only files not indexed yet (or changed since), on all cores, and
/// drops the lines of files that are gone. Call it after closing a WARC file.
///
/// Another indexer at work on the same folder (holding the lock on `index.lock`) makes it
/// fail with [`ReadError::Busy`].
pub fn index_archive(dir: &Path) -> Result<IndexReport, ReadError> {
    index_within(dir, SPOOL_BUDGET, &mut PreparedIndex::default())
}

/// [`index_archive`] after a crawl: the files whose lines were made as they were written
/// (see [`super::live`]) and are unchanged since are not read again. The lines are taken
/// from `prepared` once the folder's lock is held: after [`ReadError::Busy`] they are all
/// still there for the next attempt.
pub fn index_archive_prepared(
    dir: &Path,
    prepared: &mut PreparedIndex,
) -> Result<IndexReport, ReadError> {
    index_within(dir, SPOOL_BUDGET, prepared)
}

/// Hands the prepared lines of a file to `spools`, as [`index_file`] would after reading it.
fn index_prepared(file: PreparedFile, spools: &Spools) -> FileLines {
    let PreparedFile {
        mut main, mut meta, ..
    } = file;
    let spool_error = Spools::add(&spools.main, &mut main)
        .and_then(|()| Spools::add(&spools.meta, &mut meta))
        .err();
    FileLines {
        records: file.records,
        error: None,
        spool_error,
    }
}

/// [`index_archive`] holding at most about `budget` bytes of new `index.cdxj` lines,
/// taking the lines of `prepared` files instead of reading them.
fn index_within(
    dir: &Path,
    budget: usize,
    prepared: &mut PreparedIndex,
) -> Result<IndexReport, ReadError> {
    let _lock = IndexLock::take(dir)?;
    let files = warc_files(dir)?;
    let manifest = load_manifest(dir);
    let index_path = dir.join(INDEX_FILE);
    let meta_path = dir.join(METADATA_INDEX_FILE);
    let have_indexes = index_path.is_file() && meta_path.is_file();
    let known = |name: &str| have_indexes.then(|| manifest.get(name).copied()).flatten();
    let plan = plan(&files, known, manifest.keys().map(String::as_str));
    let mut report = IndexReport {
        files_unchanged: plan.fresh.len(),
        files_removed: plan.gone.len(),
        bytes: plan
            .todo
            .iter()
            .filter_map(|p| Stamp::of(p))
            .map(|s| s.size)
            .sum(),
        ..IndexReport::default()
    };
    if plan.todo.is_empty() && plan.gone.is_empty() && have_indexes {
        report.total_lines = count_lines(&index_path);
        return Ok(report);
    }
    if !have_indexes {
        // Rebuild from scratch: whatever the old files hold is replaced.
        let _ = std::fs::remove_file(&index_path);
        let _ = std::fs::remove_file(&meta_path);
    }
    let mut drop: HashSet<String> = plan.gone.iter().cloned().collect();
    drop.extend(plan.todo.iter().map(|p| file_name(p)));
    let spools = Spools {
        main: Mutex::new(Spool::new(&index_path, budget)),
        meta: Mutex::new(Spool::new(&meta_path, budget / 4)),
    };
    let prepared = Mutex::new(std::mem::take(prepared));
    let index_one = |path: &std::path::PathBuf| {
        let file = prepared
            .lock()
            .ok()
            .and_then(|mut p| p.take_file(&file_name(path), Stamp::of(path)));
        match file {
            Some(file) => index_prepared(file, &spools),
            None => index_file(path, &spools),
        }
    };
    for r in par_map(&plan.todo, index_one) {
        if let Some(e) = r.spool_error {
            return Err(e);
        }
        report.files_indexed += 1;
        report.records += r.records;
        if let Some(e) = r.error {
            report.errors.push(e);
        }
    }
    let poisoned = |_| ReadError::Output("index spool poisoned".into());
    let main = spools.main.into_inner().map_err(poisoned)?;
    let meta = spools.meta.into_inner().map_err(poisoned)?;
    report.lines = main.pushed();
    report.metadata_lines = meta.pushed();
    report.total_lines = main.merge_into(&drop)?;
    meta.merge_into(&drop)?;
    let stamps: BTreeMap<String, Stamp> = plan.stamps.into_iter().collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warc::Record;

    fn record(kind: &str, url: &str, i: usize, content_type: &str, block: &str) -> Vec<u8> {
        Record {
            version: "WARC/1.1".into(),
            headers: vec![
                ("WARC-Type".into(), kind.into()),
                (
                    "WARC-Record-ID".into(),
                    format!("<urn:uuid:00000000-0000-4000-8000-{i:012}>"),
                ),
                (
                    "WARC-Date".into(),
                    format!("2024-05-01T08:{:02}:00Z", i % 60),
                ),
                ("WARC-Target-URI".into(), url.into()),
                ("Content-Type".into(), content_type.into()),
            ],
            block: block.as_bytes().to_vec(),
        }
        .to_bytes()
    }

    /// A plain `.warc` file of `n` pages of `host`, each a response and a metadata record.
    fn write_file(dir: &Path, name: &str, host: &str, n: usize) {
        let mut bytes = Vec::new();
        for i in 0..n {
            let url = format!("http://{host}/{}/{i}.html", i % 7);
            let page = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>{i}</p>");
            bytes.extend(record(
                "response",
                &url,
                i,
                "application/http;msgtype=response",
                &page,
            ));
            bytes.extend(record("metadata", &url, i, "application/json", "{}"));
        }
        std::fs::write(dir.join(name), bytes).expect("WARC file written");
    }

    fn indexes(dir: &Path) -> (String, String) {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("index file");
        (read(INDEX_FILE), read(METADATA_INDEX_FILE))
    }

    /// Built with sorted runs spilled at every batch, then updated with one more file
    /// and one fewer, the index is the same as built in memory, and no run file is left.
    #[test]
    fn an_index_built_through_sorted_runs_is_the_one_built_in_memory() {
        let small = tempfile::tempdir().expect("temp dir");
        let large = tempfile::tempdir().expect("temp dir");
        for dir in [small.path(), large.path()] {
            write_file(dir, "a.warc", "b.test", 3000);
            write_file(dir, "b.warc", "a.test", 5000);
            write_file(dir, "c.warc", "c.test", 10);
        }
        let tiny =
            index_within(small.path(), 1, &mut PreparedIndex::default()).expect("indexed in runs");
        let whole = index_within(large.path(), usize::MAX / 2, &mut PreparedIndex::default())
            .expect("indexed in memory");
        assert_eq!(tiny, whole);
        assert_eq!(tiny.lines, 8010);
        assert_eq!(tiny.metadata_lines, 8010);
        assert_eq!(tiny.total_lines, 8010);
        assert_eq!(indexes(small.path()), indexes(large.path()));
        let (main, _) = indexes(small.path());
        let lines: Vec<&str> = main.lines().collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted bytewise");

        for dir in [small.path(), large.path()] {
            write_file(dir, "d.warc", "d.test", 2000);
            std::fs::remove_file(dir.join("c.warc")).expect("file removed");
        }
        let tiny =
            index_within(small.path(), 1, &mut PreparedIndex::default()).expect("updated in runs");
        let whole = index_within(large.path(), usize::MAX / 2, &mut PreparedIndex::default())
            .expect("updated in memory");
        assert_eq!(tiny, whole);
        assert_eq!((tiny.files_indexed, tiny.files_removed), (1, 1));
        assert_eq!(tiny.total_lines, 10_000);
        assert_eq!(indexes(small.path()), indexes(large.path()));
        let mut left: Vec<String> = std::fs::read_dir(small.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        left.sort();
        assert!(left.is_empty(), "run files left: {left:?}");
    }
}
