//! Watching a writer: an observer is told of every record as it is written and of every
//! file as it is closed or abandoned, so that what the writer knows (where each record
//! went, its header) is not read back from the file later (the crawl's live index,
//! [`crate::archive::LiveIndex`]).

use std::path::Path;

/// A record the writer has just handed to its file.
#[derive(Debug, Clone, Copy)]
pub struct WrittenRecord<'a> {
    /// The final name of the file (without `.open`).
    pub file: &'a str,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Length of the frame/member.
    pub length: u64,
    /// The record's WARC header as written, from the version line to the blank line.
    pub header: &'a [u8],
    /// The first piece of its block: the HTTP head of a response or revisit (which
    /// ends at its blank line), the whole block of any other record.
    pub block_start: &'a [u8],
}

/// Told what a [`super::WarcWriter`] writes.
///
/// A record reported by [`RecordObserver::written`] may still be cut away by a write
/// error: the file is then reported by [`RecordObserver::abandoned`], and only the
/// records of files reported by [`RecordObserver::closed`] are known to be in them.
pub trait RecordObserver: Send {
    /// A record was written to the current file.
    fn written(&mut self, record: &WrittenRecord<'_>);
    /// The file `name` was closed whole, and renamed to `path`.
    fn closed(&mut self, name: &str, path: &Path);
    /// The file `name` was cut back after a write error: what was reported of it is not
    /// to be trusted.
    fn abandoned(&mut self, name: &str);
}
