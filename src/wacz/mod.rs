//! Sharing an archive with the rest of the web-archiving ecosystem.
//!
//! - [`write_wacz`]: a WACZ 1.1.1 package (ZIP): `archive/*.warc.gz` (the records,
//!   byte for byte, one gzip member each, stored uncompressed in the ZIP),
//!   `indexes/index.cdx` (CDXJ lines, which pywb and ReplayWeb.page both read),
//!   `pages/pages.jsonl` (one line per extracted article), `datapackage.json` (every
//!   file's SHA-256 and size) and `datapackage-digest.json`. The lines of 304
//!   revisits are left out of the index ([`revisits`]).
//! - [`convert`]: recompresses WARC files record by record (zstd ↔ gzip), checked by
//!   reading the output back.
//!
//! Both read records as their exact bytes ([`raw::RawReader`]), so digests never change.

pub mod cdx;
pub mod convert;
pub mod encode;
pub mod package;
pub mod pages;
pub mod raw;
pub mod revisits;

use std::path::{Path, PathBuf};

pub use cdx::IndexFormat;
pub use convert::{Converted, DictChoice, Target, convert};
pub use package::{WACZ_VERSION, WaczOptions, WaczReport, write_wacz};

/// A package or a conversion could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WaczError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A source record is malformed.
    #[error("{path}: record at decompressed byte {position}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Decompressed bytes read before the error.
        position: u64,
        /// What is wrong.
        message: String,
    },
    /// A source file could not be read (dictionary, reader error).
    #[error("{0}")]
    Source(String),
    /// Nothing to read.
    #[error("{0}: no WARC files (.warc, .warc.gz, .warc.zst)")]
    NoWarcFiles(PathBuf),
    /// The output exists already.
    #[error("{0}: exists already; not overwritten")]
    Exists(PathBuf),
    /// The ZIP container could not be written.
    #[error("writing the ZIP container: {0}")]
    Zip(String),
    /// The output read back differs from what was meant to be written.
    #[error("{path}: verification failed: {message}")]
    Verify {
        /// The file.
        path: PathBuf,
        /// What differs.
        message: String,
    },
}

impl WaczError {
    /// Maps an I/O error on `path`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WaczError + '_ {
        move |source| WaczError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

const WARC_SUFFIXES: [&str; 3] = [".warc.zst", ".warc.gz", ".warc"];

/// The name of a WARC file without its `.warc…` extension.
pub fn output_stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower = name.to_ascii_lowercase();
    for suffix in WARC_SUFFIXES {
        if lower.ends_with(suffix) {
            return name[..name.len() - suffix.len()].to_string();
        }
    }
    name
}

/// `path` itself if it is a file, else the closed WARC files of the folder, by name
/// (files still being written, `….open`, are left out).
pub fn warc_files_in(path: &Path) -> Result<Vec<PathBuf>, WaczError> {
    let meta = std::fs::metadata(path).map_err(WaczError::io(path))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(WaczError::io(path))? {
        let entry = entry.map_err(WaczError::io(path))?;
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if WARC_SUFFIXES.iter().any(|s| name.ends_with(s)) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drop_the_warc_extension_only() {
        assert_eq!(output_stem(Path::new("d/a-1.warc.zst")), "a-1");
        assert_eq!(output_stem(Path::new("a.warc.gz")), "a");
        assert_eq!(output_stem(Path::new("a.WARC")), "a");
        assert_eq!(output_stem(Path::new("a.bin")), "a.bin");
    }

    #[test]
    fn folders_list_closed_warc_files_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["b.warc.gz", "a.warc.zst", "c.warc.zst.open", "index.cdxj"] {
            std::fs::write(dir.path().join(name), b"").expect("write");
        }
        let names: Vec<String> = warc_files_in(dir.path())
            .expect("list")
            .iter()
            .map(|p| output_stem(p))
            .collect();
        assert_eq!(names, ["a", "b"]);
    }
}
