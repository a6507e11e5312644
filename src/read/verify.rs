//! The integrity check: every record of every file is read, its framing and
//! `Content-Length` checked (by the reader), its block and payload digests recomputed;
//! damaged parts and a truncated tail are reported with how to repair them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Item, ReadError, Scan, is_open_warc_name, open_warc_files, par_map, warc_files};

/// One problem found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `digest` (a record reads but its digests do not match), `damaged` (unreadable
    /// bytes followed by readable records), `too_large` (a record larger than glaneur
    /// reads, stepped over), `truncated` (unreadable tail) or `empty` (an empty file).
    pub kind: String,
    /// Offset of the record's frame/member (or of the damage).
    pub offset: u64,
    /// `WARC-Record-ID`, when the record could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// `WARC-Type`, when the record could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// `WARC-Target-URI`, when the record could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_uri: Option<String>,
    /// What is wrong.
    pub message: String,
    /// For unreadable records: the URL the index gives for this offset, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed_url: Option<String>,
    /// For `damaged`: where the next readable record starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_at: Option<u64>,
}

/// The check of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Intact records.
    pub records: u64,
    /// Still being written (or left by a crash): `….open`.
    pub open: bool,
    /// The problems, in file order.
    pub problems: Vec<Problem>,
    /// How to repair the file, when something is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<String>,
}

impl FileReport {
    /// True when nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The files to check for command-line `paths`: a folder stands for its WARC files
/// (closed and `.open`), a file for itself.
pub fn files_to_check(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(warc_files(p)?);
            out.extend(open_warc_files(p)?);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(ReadError::NotFound(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    Ok(out)
}

/// Checks one file.
pub fn verify_file(path: &Path) -> FileReport {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let open = is_open_warc_name(&name);
    let mut report = FileReport {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        records: 0,
        open,
        problems: Vec::new(),
        repair: None,
    };
    let scan = match Scan::open(path) {
        Ok(s) => s,
        Err(e) => {
            report.problems.push(Problem {
                kind: "unreadable".into(),
                offset: 0,
                record_id: None,
                record_type: None,
                target_uri: None,
                message: e.to_string(),
                indexed_url: None,
                resumed_at: None,
            });
            return report;
        }
    };
    let (tail, digest_bad) = scan_problems(path, scan, &mut report);
    let hints = repair_hints(path, &mut report, tail, digest_bad);
    if !hints.is_empty() {
        report.repair = Some(hints.join("; "));
    }
    report
}

/// Reads every record of `scan` into `report`: counts the records and notes each digest
/// mismatch and each damaged or truncated stretch. Returns the offset of an unreadable
/// tail (if any) and whether a digest did not match.
fn scan_problems(path: &Path, scan: Scan, report: &mut FileReport) -> (Option<u64>, bool) {
    let mut tail: Option<u64> = None;
    let mut digest_bad = false;
    for item in scan {
        match item {
            Item::Record { offset, record, .. } => {
                report.records += 1;
                if let Err(message) = record.verify_digests() {
                    digest_bad = true;
                    report.problems.push(Problem {
                        kind: "digest".into(),
                        offset,
                        record_id: record.header("WARC-Record-ID").map(str::to_string),
                        record_type: record.record_type().map(str::to_string),
                        target_uri: record.header("WARC-Target-URI").map(str::to_string),
                        message,
                        indexed_url: None,
                        resumed_at: None,
                    });
                }
            }
            Item::Damage {
                offset,
                message,
                resumed_at,
            } => {
                if resumed_at.is_none() {
                    tail = Some(offset);
                }
                report.problems.push(Problem {
                    kind: if resumed_at.is_some() {
                        "damaged"
                    } else {
                        "truncated"
                    }
                    .into(),
                    offset,
                    record_id: None,
                    record_type: None,
                    target_uri: None,
                    message,
                    indexed_url: indexed_url(path, offset),
                    resumed_at,
                });
            }
        }
    }
    (tail, digest_bad)
}

/// The advice for what `report` found (an empty file, a torn tail, records too large,
/// damage in the middle, altered records), in that order; marks the oversized records
/// as `too_large` and an empty file as `empty` on the way.
fn repair_hints(
    path: &Path,
    report: &mut FileReport,
    tail: Option<u64>,
    digest_bad: bool,
) -> Vec<String> {
    let open = report.open;
    let mut hints = Vec::new();
    if report.bytes == 0 && report.problems.is_empty() {
        report.problems.push(Problem {
            kind: "empty".into(),
            offset: 0,
            record_id: None,
            record_type: None,
            target_uri: None,
            message: "empty file: it holds no WARC record".into(),
            indexed_url: None,
            resumed_at: None,
        });
        hints.push("an empty file holds nothing to lose; nothing to repair".into());
    }
    if let Some(t) = tail {
        hints.push(tail_hint(path, report.records, open, t));
    }
    for p in report.problems.iter_mut() {
        if p.kind == "damaged" && crate::warc::is_oversized_record(&p.message) {
            p.kind = "too_large".into();
        }
    }
    if report.problems.iter().any(|p| p.kind == "too_large") {
        hints.push(format!(
            "records larger than {} MiB are not read by glaneur (they may be intact): nothing to cut",
            crate::warc::MAX_BLOCK_IN_MEMORY >> 20
        ));
    }
    if report.problems.iter().any(|p| p.kind == "damaged") {
        hints.push(if open {
            "damaged records in the middle: the records after them are intact; the next `glaneur crawl` on this archive moves the damaged bytes to a .damaged sidecar and fetches their pages again".into()
        } else {
            "damaged records in the middle: the records after them are intact and still read; restore the file from a copy if you have one".into()
        });
    }
    if digest_bad {
        hints.push("records whose digests do not match were altered after writing: restore the file from a copy if you have one".into());
    }
    hints
}

/// The advice for a file whose reading stopped at offset `t` (`records` read before it):
/// never a command that could remove an intact record.
fn tail_hint(path: &Path, records: u64, open: bool, t: u64) -> String {
    let shown = path.display();
    let symlink = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    // Never advise a command that could remove an intact record: not through a
    // symbolic link, not when nothing read (not a WARC file, or its dictionary is
    // lost), not when the unreadable tail holds other frame/member starts (another
    // file joined to this one, records this reader cannot decode).
    let other_starts = tail_has_unit_starts(path, t);
    if symlink {
        format!("{shown} is a symbolic link: check the file it points to, not the link")
    } else if records == 0 {
        "no record reads: not a WARC file, or one whose zstd dictionary is lost; nothing was changed and nothing should be cut".into()
    } else if other_starts {
        format!(
            "the unreadable part from offset {t} holds what look like other records (another file joined to this one?): keep the file as it is; do not cut it"
        )
    } else if open {
        format!(
            "unfinished file left by a crash: the next `glaneur crawl` on this archive repairs it (keeps the {} complete records, moves the torn tail from offset {t} to a .damaged sidecar, then renames it)",
            records
        )
    } else {
        format!(
            "cut the damaged tail: `truncate -s {t} {shown}` keeps the {} complete records before it",
            records
        )
    }
}

/// True when the bytes of `path` after `from` hold the start of another zstd frame (or
/// skippable frame), gzip member or plain record: what an unreadable tail holds then may
/// be intact records of another file joined to this one, not a torn last record.
fn tail_has_unit_starts(path: &Path, from: u64) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return true;
    };
    if f.seek(SeekFrom::Start(from + 1)).is_err() {
        return true;
    }
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(_) => return true,
        };
        let mut window = std::mem::take(&mut carry);
        window.extend_from_slice(&buf[..n]);
        let found = window.windows(4).any(|w| {
            w == [0x28, 0xb5, 0x2f, 0xfd]
                || (w[1..] == [0x2a, 0x4d, 0x18] && (0x50..=0x5f).contains(&w[0]))
                || w[..3] == [0x1f, 0x8b, 0x08]
        }) || window.windows(8).any(|w| w == b"\nWARC/1.");
        if found {
            return true;
        }
        carry = window[window.len().saturating_sub(8)..].to_vec();
    }
}

/// The URL that `index.cdxj` (or `metadata.cdxj`) next to `path` gives for the record
/// at `offset` of that file, to name a record that can no longer be read.
fn indexed_url(path: &Path, offset: u64) -> Option<String> {
    use std::io::BufRead;
    let dir = path.parent()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    for index in [super::INDEX_FILE, super::METADATA_INDEX_FILE] {
        let Ok(file) = std::fs::File::open(dir.join(index)) else {
            continue;
        };
        for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
            if !line.contains(&name) {
                continue;
            }
            if let Ok(e) = super::CdxjEntry::parse(&line)
                && e.filename == name
                && e.offset == offset
            {
                return Some(e.url);
            }
        }
    }
    None
}

/// Checks files on all cores; reports in the order of `files`.
pub fn verify_files(files: &[PathBuf]) -> Vec<FileReport> {
    par_map(files, |f| verify_file(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_path_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(files_to_check(&[dir.path().join("nope")]).is_err());
        assert_eq!(
            files_to_check(&[dir.path().to_path_buf()]).ok(),
            Some(vec![])
        );
    }
}
