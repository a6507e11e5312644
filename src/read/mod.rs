//! Reading the archive back: the CDXJ index (`index`), capture lookup (`get`), the
//! article export (`articles`, in the formats of `table`), the integrity check (`verify`)
//! and statistics (`stats`). The archive model they share (one scan of the WARC files,
//! one filter) is [`crate::archive`]; readers never write.
//!
//! Every reader streams records one at a time ([`crate::warc::WarcReader`]) and spreads
//! whole files over all cores ([`par_map`]).

pub mod articles;
pub mod completed;
pub mod get;
pub mod index;
pub mod stats;
pub mod table;
pub mod verify;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::warc::{OPEN_SUFFIX, WarcError};

pub use get::{Capture, decode_body, find_article, find_capture, read_record_at};
pub use index::{CdxjEntry, INDEX_FILE, MANIFEST_FILE, METADATA_INDEX_FILE, lookup_entries};

/// Reading the archive failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A WARC file could not be read.
    #[error(transparent)]
    Warc(#[from] WarcError),
    /// A line of an index file is malformed.
    #[error("{path}:{line}: {message}")]
    Index {
        /// The index file.
        path: PathBuf,
        /// Line number (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Nothing found.
    #[error("{0}")]
    NotFound(String),
    /// Another process is indexing this folder.
    #[error("{}: another indexer is at work on this archive; try again when it is done", .0.display())]
    Busy(PathBuf),
    /// Writing the output failed.
    #[error("writing output: {0}")]
    Output(String),
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ReadError + '_ {
    move |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// True for a `metadata` record holding an extracted article as JSON
/// ([`crate::extract::Article`], written by the crawl for every article page).
pub fn is_article_record(record: &crate::warc::Record) -> bool {
    record.record_type() == Some("metadata")
        && record.header("Content-Type").is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
}

/// True for the name of a closed WARC file (`.warc`, `.warc.gz`, `.warc.zst`).
pub fn is_warc_name(name: &str) -> bool {
    name.ends_with(".warc") || name.ends_with(".warc.gz") || name.ends_with(".warc.zst")
}

/// True for a WARC file still being written (`….warc.zst.open` etc.).
pub fn is_open_warc_name(name: &str) -> bool {
    name.strip_suffix(OPEN_SUFFIX).is_some_and(is_warc_name)
}

/// The closed WARC files of an archive folder, sorted by name (`.open` files skipped).
pub fn warc_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    list(dir, is_warc_name)
}

/// The WARC files still open for writing in an archive folder, sorted by name.
pub fn open_warc_files(dir: &Path) -> Result<Vec<PathBuf>, ReadError> {
    list(dir, is_open_warc_name)
}

fn list(dir: &Path, keep: fn(&str) -> bool) -> Result<Vec<PathBuf>, ReadError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry.file_name();
        if keep(&name.to_string_lossy()) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Applies `f` to every item on all cores (one item at a time per thread, largest
/// work first is up to the caller); results come back in the order of `items`.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut res) = results.lock() {
                        res[i] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Parses a `WARC-Date` (`YYYY-MM-DDThh:mm:ss[.fff]Z`, or a shorter W3C form).
pub fn parse_warc_date(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d.with_timezone(&Utc));
    }
    parse_timestamp(&v.chars().filter(char::is_ascii_digit).collect::<String>())
}

/// Parses a timestamp of 4 to 14 digits (`YYYY[MM[DD[hh[mm[ss]]]]]`, the CDXJ and
/// Wayback form), missing parts taken as their first value. Extra digits (milliseconds)
/// are ignored.
pub fn parse_timestamp(digits: &str) -> Option<DateTime<Utc>> {
    if digits.len() < 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut full = digits[..digits.len().min(14)].to_string();
    const PAD: &str = "00000101000000";
    full.push_str(&PAD[full.len()..]);
    NaiveDateTime::parse_from_str(&full, "%Y%m%d%H%M%S")
        .ok()
        .map(|n| n.and_utc())
}

/// The 14-digit timestamp of a date.
pub fn timestamp14(date: DateTime<Utc>) -> String {
    date.format("%Y%m%d%H%M%S").to_string()
}

/// Parses a user-given date or date-time: RFC 3339, `YYYY-MM-DD`, or 4–14 digits.
pub fn parse_user_date(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(n.and_utc());
    }
    parse_timestamp(v)
}

/// True when an I/O error means the reader of our output went away (`| head`).
pub fn is_broken_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_and_format() {
        let d = parse_warc_date("2024-05-03T09:15:07Z").expect("date");
        assert_eq!(timestamp14(d), "20240503091507");
        assert_eq!(parse_timestamp("20240503091507"), Some(d));
        assert_eq!(
            parse_timestamp("2024").map(timestamp14).as_deref(),
            Some("20240101000000")
        );
        assert_eq!(
            parse_user_date("2024-05-03").map(timestamp14).as_deref(),
            Some("20240503000000")
        );
        assert_eq!(parse_timestamp("20x4"), None);
    }

    #[test]
    fn names_tell_closed_from_open_files() {
        assert!(is_warc_name("a.warc.zst"));
        assert!(!is_warc_name("a.warc.zst.open"));
        assert!(is_open_warc_name("a.warc.gz.open"));
        assert!(!is_warc_name("index.cdxj"));
    }

    #[test]
    fn par_map_keeps_order() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            par_map(&items, |x| x * 2),
            (0..100).map(|x| x * 2).collect::<Vec<_>>()
        );
    }
}

/// What [`Scan`] yields.
#[derive(Debug)]
pub enum Item {
    /// An intact record (framing and compression checked; digests not checked).
    Record {
        /// Offset of its frame/member (or of the record, in a plain file).
        offset: u64,
        /// Length of its frame/member, when it ends one (always for glaneur's files).
        length: Option<u64>,
        /// Where it starts in the decoded bytes of the frame/member at `offset`: 0 but
        /// for the records after the first of a file compressed as one stream (see
        /// [`crate::warc::WarcReader::inner_offset`]).
        inner: u64,
        /// The record.
        record: crate::warc::Record,
    },
    /// Unreadable bytes from `offset`: the reader resumed at `resumed_at` (the next
    /// frame/member/record that reads), or never (`None`: damaged or truncated tail).
    Damage {
        /// Where the damage starts.
        offset: u64,
        /// What the reader found.
        message: String,
        /// Where reading resumed.
        resumed_at: Option<u64>,
    },
}

/// Reads every intact record of a WARC file, one at a time, skipping damaged parts:
/// after an unreadable frame/member/record it looks for the next one that reads (a zstd
/// frame or gzip member magic number, or a `WARC/` line in a plain file).
pub struct Scan {
    path: PathBuf,
    reader: Option<crate::warc::WarcReader>,
    pending: Option<Item>,
    magic: &'static [u8],
    file_len: u64,
    /// Where a zstd file's dictionary frame says it ends, and where it really ends when
    /// its compressed dictionary tells (`None` when that is damaged too).
    dictionary_frame: Option<(u64, Option<u64>)>,
}

impl Scan {
    /// Opens a file.
    pub fn open(path: &Path) -> Result<Scan, ReadError> {
        let reader = crate::warc::WarcReader::open(path)?;
        let mut head = [0u8; 4];
        let mut n = 0;
        if let Ok(mut f) = std::fs::File::open(path) {
            use std::io::Read;
            n = f.read(&mut head).unwrap_or(0);
        }
        let name = path.to_string_lossy().to_ascii_lowercase();
        let name = name.strip_suffix(OPEN_SUFFIX).unwrap_or(&name);
        let magic: &'static [u8] = match &head[..n] {
            // The name tells the container when the first bytes are damaged.
            _ if name.ends_with(".zst") => &[0x28, 0xb5, 0x2f, 0xfd],
            _ if name.ends_with(".gz") => &[0x1f, 0x8b, 0x08],
            [0x1f, 0x8b, ..] => &[0x1f, 0x8b, 0x08],
            [0x28, 0xb5, 0x2f, 0xfd] => &[0x28, 0xb5, 0x2f, 0xfd],
            // Skippable frame (zstd dictionary): records are in ordinary frames.
            [0x50..=0x5f, 0x2a, 0x4d, 0x18] => &[0x28, 0xb5, 0x2f, 0xfd],
            _ => b"WARC/1.",
        };
        let file_len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Ok(Scan {
            path: path.to_path_buf(),
            reader: Some(reader),
            pending: None,
            magic,
            file_len,
            dictionary_frame: crate::warc::dictionary_frame_sizes(path),
        })
    }

    /// The size of the file when opened.
    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Looks for the first offset after `from` where a record reads; returns the reader
    /// positioned after that record, and the record. Linear in the file size: a
    /// candidate in a plain file is only read when its header parses and its claimed
    /// length fits in the file, and the zstd dictionary is read once.
    fn resync(
        &self,
        from: u64,
        dict: Option<std::sync::Arc<[u8]>>,
    ) -> Option<(crate::warc::WarcReader, Item)> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = std::fs::File::open(&self.path).ok()?;
        let mut pos = from + 1;
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut buf = vec![0u8; 1 << 20];
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let n = file.read(&mut buf).ok()?;
            if n == 0 {
                return None;
            }
            // `window` starts at `pos - carry.len()`.
            let base = pos - carry.len() as u64;
            let mut window = std::mem::take(&mut carry);
            window.extend_from_slice(&buf[..n]);
            let m = self.magic;
            let mut i = 0;
            while let Some(k) = window[i..].windows(m.len()).position(|w| w == m) {
                let at = base + (i + k) as u64;
                let plain = self.magic == b"WARC/1.";
                // Anywhere, not only at a line start: the damage may be in the CRLF CRLF
                // that ends the record before (the reader checks the whole record, and
                // a candidate whose length cannot fit is refused at once).
                if (!plain || plain_candidate_fits(&window[i + k..], at, self.file_len))
                    && let Ok(mut r) =
                        crate::warc::WarcReader::open_at_with(&self.path, at, dict.clone())
                    && let Some(Ok((offset, record))) = r.next()
                {
                    let length = r.clean_end().map(|e| e - offset);
                    let inner = r.inner_offset();
                    return Some((
                        r,
                        Item::Record {
                            offset,
                            length,
                            inner,
                            record,
                        },
                    ));
                }
                i += k + 1;
            }
            let keep = m.len().min(window.len());
            carry = window[window.len() - keep..].to_vec();
            pos += n as u64;
        }
    }
}

/// False when the bytes at a candidate `WARC/1.` line (`window`, starting at file offset
/// `at`) hold a whole record header whose `Content-Length` cannot fit in the file; true
/// otherwise (the reader decides). Keeps resynchronisation linear: crafted headers
/// claiming huge lengths are refused without reading to the end of the file each.
fn plain_candidate_fits(window: &[u8], at: u64, file_len: u64) -> bool {
    let Some(end) = window
        .windows(4)
        .take(64 * 1024)
        .position(|w| w == b"\r\n\r\n")
    else {
        return true;
    };
    let head = String::from_utf8_lossy(&window[..end]);
    let length = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("Content-Length")
            .then(|| value.trim().parse::<u64>().ok())
    });
    match length {
        Some(Some(n)) => {
            at.saturating_add(end as u64 + 4)
                .saturating_add(n)
                .saturating_add(4)
                <= file_len
        }
        Some(None) => false,
        None => true,
    }
}

impl Iterator for Scan {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(item) = self.pending.take() {
            return Some(item);
        }
        let reader = self.reader.as_mut()?;
        match reader.next() {
            None => {
                self.reader = None;
                None
            }
            Some(Ok((offset, record))) => {
                let length = reader.clean_end().map(|e| e - offset);
                Some(Item::Record {
                    offset,
                    length,
                    inner: reader.inner_offset(),
                    record,
                })
            }
            Some(Err(e)) => {
                let (offset, message) = match e {
                    WarcError::Malformed {
                        offset, message, ..
                    } => (offset, message),
                    other => (0, other.to_string()),
                };
                if let Some(at) = reader.resume_offset() {
                    // A record too large to hold, stepped over: reading goes on.
                    return Some(Item::Damage {
                        offset,
                        message,
                        resumed_at: Some(at),
                    });
                }
                let dict = reader.dictionary();
                self.reader = None;
                // Damage where a damaged dictionary frame header says the frame ends: the
                // reader landed beside the first frame, which begins where the frame
                // really ends, or, when the compressed dictionary is damaged too, at the
                // first record after the dictionary's own magic (maybe before the end
                // the header claims). The damage is then the frame's (offset 0).
                let (from, frame_damage) = match self.dictionary_frame {
                    Some((claimed, Some(own))) if claimed == offset && own != claimed => {
                        (own - 1, true)
                    }
                    Some((claimed, None)) if claimed == offset => (11, true),
                    _ => (offset, false),
                };
                let resumed_at = match self.resync(from, dict) {
                    Some((r, item)) => {
                        let at = match &item {
                            Item::Record { offset, .. } => Some(*offset),
                            Item::Damage { .. } => None,
                        };
                        self.reader = Some(r);
                        self.pending = Some(item);
                        at
                    }
                    None => None,
                };
                // With the dictionary's end unknown, the damage is the frame's only where
                // a record was found again.
                let whole_frame = frame_damage
                    && (resumed_at.is_some() || !matches!(self.dictionary_frame, Some((_, None))));
                let offset = if whole_frame { 0 } else { offset };
                Some(Item::Damage {
                    offset,
                    message,
                    resumed_at,
                })
            }
        }
    }
}
