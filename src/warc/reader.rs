//! Reading records back, from plain, gzip or zstd WARC files, one at a time.

use std::path::Path;

use super::{Record, WarcError};

/// Iterates over the records of one WARC file (`.warc`, `.warc.gz`, `.warc.zst`, or `.open`).
pub struct WarcReader {}

impl Iterator for WarcReader {
    /// The record and the offset of its frame/member in the file.
    type Item = Result<(u64, Record), WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        todo!()
    }
}

impl WarcReader {
    /// Opens a file; the compression is told from its name.
    pub fn open(path: &Path) -> Result<WarcReader, WarcError> {
        todo!("{path:?}")
    }
}

/// Reads every record of a file into memory (tests and small files).
pub fn read_records(path: &Path) -> Result<Vec<Record>, WarcError> {
    WarcReader::open(path)?.map(|r| r.map(|(_, rec)| rec)).collect()
}
