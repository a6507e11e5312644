//! WARC/1.1 records: model, digests, the writer (one zstd frame or gzip member per record,
//! `.open` files, rotation) and a reader.

mod dict;
mod reader;
mod record;
mod repair;
mod writer;

pub use dict::{
    DEFAULT_DICTIONARY_SIZE, DEFAULT_TRAINING_RECORDS, DICTIONARY_FRAME_MAGIC, Dictionary,
    DictionaryError, DictionarySetting, dictionary_frame_sizes,
};
pub use reader::{
    DICTIONARY_COPIES_DIR, MAX_BLOCK_IN_MEMORY, WarcReader, compression_of, dictionary_copy_path,
    is_oversized_record, read_records, skip_line_ends, zstd_dictionary,
};
pub use record::{Record, RecordId, dechunk, http_body_offset, sha1_digest};
pub use repair::{
    DAMAGED_REPORT_SUFFIX, DAMAGED_SUFFIX, DamagedSpan, Repair, RepairReport, repair_file,
};
pub use writer::{
    CORRUPT_SUFFIX, CaptureLocation, Compression, OPEN_SUFFIX, RecordLocation, RecordObserver,
    RevisitOf, RevisitProfile, WarcWriter, WriterConfig, WrittenRecord, ZSTD_LEVEL,
    ZSTD_TEXT_LEVEL, metadata_date, repair_open_file, repair_open_files, rewrite_response_head,
    warc_date,
};

/// A WARC file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A record is malformed.
    #[error("{path} at offset {offset}: {message}")]
    Malformed {
        /// The file.
        path: std::path::PathBuf,
        /// Offset of the record in the (compressed) file.
        offset: u64,
        /// What is wrong.
        message: String,
    },
}
