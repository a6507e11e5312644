//! The writer's files on disk outside the records: the spare copy of each zstd dictionary,
//! and the repair of `.open` files a crash left behind.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::super::{Dictionary, WarcError};
use super::{OPEN_SUFFIX, io_err};

/// Keeps a copy of `dictionary` in the archive folder (see
/// [`super::super::DICTIONARY_COPIES_DIR`]), written durably before any file uses it.
pub(super) fn save_dictionary_copy(dir: &Path, dictionary: &Dictionary) -> io::Result<()> {
    let path = super::super::dictionary_copy_path(dir, dictionary.id());
    if std::fs::read(&path).is_ok_and(|b| b == dictionary.as_bytes()) {
        return Ok(());
    }
    let parent = path
        .parent()
        .ok_or_else(|| io::Error::other("no parent folder"))?;
    std::fs::create_dir_all(parent)?;
    let tmp = path.with_extension("zdict.tmp");
    let mut f = File::create(&tmp)?;
    f.write_all(dictionary.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)
}

/// Repairs `*.open` files left in `dir` by a crash ([`super::super::repair_file`]): every intact
/// record is kept at its offset, damaged parts are moved aside to a `.damaged` sidecar
/// (described in `.damaged.json`), a torn tail is cut, and the file gets its final name.
/// Returns the repaired files.
///
/// A record counts as complete when its whole frame/member decodes (zstd checksum, gzip
/// CRC) and holds whole records; in a plain file, when its block and trailing `\r\n\r\n`
/// are all there. A file with no complete record is removed if it is empty, otherwise
/// renamed with a `.corrupt` suffix (kept for inspection, ignored by WARC tools) and not
/// returned. Call it before opening a writer on `dir`: it would cut a file that another
/// live writer is still appending to.
pub fn repair_open_files(dir: &Path) -> Result<Vec<PathBuf>, WarcError> {
    let entries = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    let mut opens = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let path = entry.path();
        if path.is_file() && path.to_string_lossy().ends_with(OPEN_SUFFIX) {
            opens.push(path);
        }
    }
    opens.sort();
    let mut repaired = Vec::new();
    for path in opens {
        if let Some(p) = repair_one(&path)? {
            repaired.push(p);
        }
    }
    Ok(repaired)
}

/// Repairs one `.open` file as [`repair_open_files`] does each of a directory (for a
/// caller that must pick which files to repair, e.g. one worker among several sharing a
/// directory): returns the closed file, or `None` if it held no complete record.
pub fn repair_open_file(path: &Path) -> Result<Option<PathBuf>, WarcError> {
    repair_one(path)
}

fn repair_one(path: &Path) -> Result<Option<PathBuf>, WarcError> {
    let repair = super::super::repair_file(path)?;
    Ok(repair.closed.then_some(repair.file))
}
