//! The WARC writer: a `warcinfo` record first in every file, then request/response pairs
//! and metadata records; one zstd frame (or gzip member) per record; files named
//! `glaneur-<YYYYMMDDhhmmss>-<serial>-<hostname>.warc.zst`, written as `….open` and
//! renamed when closed; rotated past `max_file_bytes`.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{RecordId, WarcError};
use crate::capture::Capture;

/// Per-record compression of WARC files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compression {
    /// `.warc.zst`: one zstd frame per record (the default).
    #[default]
    Zstd,
    /// `.warc.gz`: one gzip member per record.
    Gzip,
    /// `.warc`: uncompressed.
    None,
}

/// How to write.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Directory of the WARC files (created if missing).
    pub dir: PathBuf,
    /// Compression.
    pub compression: Compression,
    /// Rotate to a new file once the current one is larger than this.
    pub max_file_bytes: u64,
    /// File name prefix (default `glaneur`).
    pub prefix: String,
    /// Extra `warcinfo` fields (e.g. the politeness settings), written after the standard ones.
    pub warcinfo: Vec<(String, String)>,
}

/// Where a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLocation {
    /// The final file name (without `.open`), relative to the archive directory.
    pub file: String,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Length of the frame/member in the file.
    pub length: u64,
    /// The record's id.
    pub id: RecordId,
}

/// Where a capture's records were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureLocation {
    /// The request record.
    pub request: RecordLocation,
    /// The response record.
    pub response: RecordLocation,
    /// `sha1:<base32>` of the payload.
    pub payload_digest: String,
}

/// Writes WARC files into one directory. Blocking I/O: run it off the async reactor.
#[derive(Debug)]
pub struct WarcWriter {}

impl WarcWriter {
    /// Prepares a writer; the first file is created on the first write.
    pub fn new(config: WriterConfig) -> Result<WarcWriter, WarcError> {
        todo!("{config:?}")
    }

    /// Writes a request and a response record for one exchange.
    pub fn write_capture(&mut self, capture: &Capture) -> Result<CaptureLocation, WarcError> {
        todo!("{capture:?}")
    }

    /// Writes a `metadata` record about `target_uri` that refers to the record `refers_to`.
    pub fn write_metadata(
        &mut self,
        target_uri: &str,
        refers_to: &RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: &[u8],
    ) -> Result<RecordLocation, WarcError> {
        todo!("{target_uri}{refers_to}{date}{content_type}{block:?}")
    }

    /// Flushes buffered bytes to the operating system.
    pub fn flush(&mut self) -> Result<(), WarcError> {
        todo!()
    }

    /// Closes the current file (renaming it from `.open`); returns every file this writer closed.
    pub fn finish(self) -> Result<Vec<PathBuf>, WarcError> {
        todo!()
    }
}

/// Repairs `*.open` files left in `dir` by a crash: cuts each after its last complete
/// record and renames it to its final name. Returns the repaired files.
pub fn repair_open_files(dir: &Path) -> Result<Vec<PathBuf>, WarcError> {
    todo!("{dir:?}")
}
