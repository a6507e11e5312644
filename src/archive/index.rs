//! The writer side of the archive model: brings the CDXJ index of an archive folder
//! (`index.cdxj`, `metadata.cdxj`, read by [`crate::read::index`] and by pywb) up to date
//! with its closed WARC files. Called by the crawl after closing a WARC file and by
//! `glaneur index`.
//!
//! Indexing is incremental: `index.manifest.json` remembers the [`Stamp`] of every
//! indexed file; [`super::scan::plan`] tells which files are new or changed; only those
//! are read ([`super::scan::scan_records`], on all cores), their lines merged into the
//! sorted files, which are replaced atomically (temporary file + rename). Files still
//! being written (`.open`) are skipped.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::scan::{
    CaptureKind, CaptureRow, FileScan, MetadataRow, Stamp, file_name, plan, scan_records,
};
use crate::read::index::{CdxjEntry, INDEX_FILE, MANIFEST_FILE, METADATA_INDEX_FILE, cdx_key};
use crate::read::{ReadError, io_err, par_map, timestamp14, warc_files};

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

/// Lines of one WARC file.
#[derive(Default)]
struct FileLines {
    main: Vec<String>,
    meta: Vec<String>,
    records: u64,
    error: Option<String>,
}

fn index_file(path: &Path) -> FileLines {
    let scan: FileScan = scan_records(path);
    let mut out = FileLines {
        records: scan.records,
        ..FileLines::default()
    };
    if let Some(d) = scan.damaged.last() {
        out.error = Some(format!("{}: {d} (run `glaneur verify`)", path.display()));
    }
    // A record sharing its frame/member with others (a file compressed as one stream)
    // is indexed by its place in the decoded bytes (`inner_offset`).
    for row in &scan.captures {
        if let Some(e) = capture_entry(row, &scan.name) {
            out.main.push(e.to_line());
        }
    }
    for row in &scan.metadata {
        if let Some(e) = metadata_entry(row, &scan.name) {
            out.meta.push(e.to_line());
        }
    }
    out.main.sort_unstable();
    out.meta.sort_unstable();
    out
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
    let results = par_map(&plan.todo, |path| index_file(path));
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
