//! Repairing the `.open` WARC files a crash left behind, without losing an intact record.
//!
//! A killed run leaves its current file with the suffix `.open`, maybe with a torn last
//! record; a bad sector or a torn write can also damage a record in its middle. The
//! repair reads the file as `glaneur verify` does, resynchronising past damage, and:
//!
//! - keeps every intact record **at its offset** (the state and the index point at
//!   records by offset): a damaged part in the middle is copied to a sidecar
//!   `<file>.damaged` and overwritten in place with bytes every reader skips (a zstd
//!   skippable frame, empty gzip members, or line ends between plain records);
//! - cuts the torn tail after the last complete record (copied to the sidecar too);
//! - describes what was moved aside, and where, in `<file>.damaged.json`;
//! - renames the file to its final name.
//!
//! The caller reconciles its state with [`Repair::lost_ranges`]: the URLs whose capture
//! was lost are fetched again (see `crate::crawl::recover`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::writer::{CORRUPT_SUFFIX, OPEN_SUFFIX};
use super::{Record, WarcError};

/// Suffix of the sidecar file holding the bytes a repair moved aside.
pub const DAMAGED_SUFFIX: &str = ".damaged";
/// Suffix of the description of what a repair moved aside (JSON).
pub const DAMAGED_REPORT_SUFFIX: &str = ".damaged.json";

/// Magic of the zstd skippable frames that stand in for moved-aside bytes (the WARC-zstd
/// dictionary frame uses `0x184D2A5D`; any of `0x184D2A50..=0x184D2A5F` is skipped).
const FILLER_FRAME_MAGIC: u32 = 0x184D_2A5E;
/// Smallest gzip member (empty, with an empty extra field): 22 bytes.
const GZIP_MEMBER_MIN: u64 = 22;
/// Largest gzip member with an extra field (its length is 16 bits).
const GZIP_MEMBER_MAX: u64 = GZIP_MEMBER_MIN + 65_535;

/// Bytes a repair moved aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamagedSpan {
    /// Offset of the moved bytes in the WARC file.
    pub offset: u64,
    /// How many bytes.
    pub length: u64,
    /// Offset of their copy in the sidecar file.
    pub sidecar_offset: u64,
    /// What the reader found there.
    pub reason: String,
    /// `true` for the torn tail (cut off); `false` for a damaged part in the middle,
    /// overwritten in place by bytes readers skip.
    pub tail: bool,
}

impl DamagedSpan {
    /// The byte range `[start, end)` of the WARC file whose records are gone (the torn
    /// tail reaches to the end of any offset).
    pub fn lost_range(&self) -> (u64, u64) {
        let end = if self.tail {
            u64::MAX
        } else {
            self.offset + self.length
        };
        (self.offset, end)
    }
}

/// What repairing one `.open` file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// The file after repair: its final name, or the `.corrupt` name when it held no
    /// intact record (then nothing else was done to it).
    pub file: PathBuf,
    /// The file now has its final name and can be read.
    pub closed: bool,
    /// Intact records kept.
    pub records_kept: u64,
    /// Parts moved aside, in file order.
    pub damaged: Vec<DamagedSpan>,
    /// The sidecar holding the moved bytes (with its `.json` description), if any.
    pub sidecar: Option<PathBuf>,
    /// `WARC-Record-ID`s of intact responses whose article record may have been lost.
    pub undescribed: Vec<String>,
}

/// One entry of a `<file>.damaged.json` report: a repair, and whether the crawl state
/// was reconciled with it (its lost URLs queued again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairReport {
    /// The repaired file's name.
    pub file: String,
    /// When.
    pub repaired_at: String,
    /// What was moved aside.
    pub spans: Vec<DamagedSpan>,
    /// Responses whose article record may have been lost.
    #[serde(default)]
    pub undescribed: Vec<String>,
    /// The crawl state was reconciled (set by the crawl once its state is updated).
    #[serde(default)]
    pub reconciled: bool,
}

impl RepairReport {
    /// The reports of `<warc file>.damaged.json`, if any.
    pub fn load(warc_file: &Path) -> Vec<RepairReport> {
        std::fs::read(report_path(warc_file))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the reports of `warc_file` (replacing the file, durably).
    pub fn save(warc_file: &Path, reports: &[RepairReport]) -> Result<(), WarcError> {
        let path = report_path(warc_file);
        let text =
            serde_json::to_vec_pretty(reports).map_err(|e| io_err(&path, io::Error::other(e)))?;
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let mut f = File::create(&tmp).map_err(|e| io_err(&tmp, e))?;
        f.write_all(&text)
            .and_then(|()| f.sync_all())
            .map_err(|e| io_err(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_err(&path, e))
    }
}

fn report_path(warc_file: &Path) -> PathBuf {
    PathBuf::from(format!("{}{DAMAGED_REPORT_SUFFIX}", warc_file.display()))
}

impl Repair {
    /// Byte ranges `[start, end)` of the repaired file whose records are gone (the torn
    /// tail reaches to the end of any offset).
    pub fn lost_ranges(&self) -> Vec<(u64, u64)> {
        self.damaged.iter().map(DamagedSpan::lost_range).collect()
    }

    /// True when records were damaged in the middle of the file (not just a torn tail,
    /// which a kill leaves).
    pub fn lost_intact_place(&self) -> bool {
        self.damaged.iter().any(|d| !d.tail)
    }
}

fn io_err(path: &Path, source: io::Error) -> WarcError {
    WarcError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Plain,
    Gzip,
    Zstd,
}

fn container_of(final_path: &Path) -> Container {
    let name = final_path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".zst") {
        Container::Zstd
    } else if name.ends_with(".gz") {
        Container::Gzip
    } else {
        Container::Plain
    }
}

/// What a scan of a damaged file found: intact records, damaged middles, the torn tail.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// Intact records (offset and record), in order.
    pub records: Vec<(u64, Record)>,
    /// Damaged parts `[start, end)` followed by an intact record, with the reason.
    pub middles: Vec<(u64, u64, String)>,
    /// Where the intact part of the file ends (after the last record ending its
    /// frame/member); bytes after it are a torn tail.
    pub good_end: u64,
    /// The reason the tail is unreadable, if it is.
    pub tail_reason: Option<String>,
    /// Intact records too large to hold in memory (stepped over, kept).
    pub oversized: u64,
    /// Where the dictionary frame really ends when the size in its header is damaged:
    /// the size the repair writes back.
    pub dictionary_frame_end: Option<u64>,
}

impl Layout {
    /// Record ids of intact responses whose article record may have been lost: for each
    /// damaged part, the response just before it (or the response a revisit just before
    /// it refers to) when no metadata record of the file refers to it.
    fn undescribed(&self, spans: &[(u64, u64, String)]) -> Vec<String> {
        let mut described = std::collections::HashSet::new();
        let mut revisit_of = std::collections::HashMap::new();
        for (_, r) in &self.records {
            match (r.record_type(), r.header("WARC-Record-ID")) {
                (Some("revisit"), Some(id)) => {
                    if let Some(to) = r.header("WARC-Refers-To") {
                        revisit_of.insert(id.trim().to_string(), to.trim().to_string());
                    }
                }
                (Some("metadata"), _) => {
                    if let Some(to) = r.header("WARC-Refers-To") {
                        described.insert(to.trim().to_string());
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (start, _, _) in spans {
            let before = self
                .records
                .iter()
                .rev()
                .filter(|(offset, _)| offset < start)
                .find(|(_, r)| matches!(r.record_type(), Some("response" | "revisit")));
            let Some((_, r)) = before else { continue };
            let Some(id) = r.header("WARC-Record-ID").map(str::trim) else {
                continue;
            };
            if described.contains(id) {
                continue;
            }
            let response = match revisit_of.get(id) {
                Some(original) if !described.contains(original) => original.clone(),
                Some(_) => continue,
                None => id.to_string(),
            };
            if !out.contains(&response) {
                out.push(response);
            }
        }
        out
    }
}

/// Reads `path` as `verify` does, resynchronising past damage.
pub(crate) fn layout(path: &Path) -> Result<Layout, WarcError> {
    let scan = crate::read::Scan::open(path).map_err(|e| match e {
        crate::read::ReadError::Warc(w) => w,
        other => io_err(path, io::Error::other(other.to_string())),
    })?;
    let mut out = Layout::default();
    // End of the last complete frame/member, and whether one record shares it.
    let mut clean_end = first_unit(path)?;
    let frame_sizes = super::dictionary_frame_sizes(path);
    let size_damage = frame_sizes
        .and_then(|(claimed, own)| own.filter(|&own| own != claimed).map(|own| (claimed, own)));
    // The compressed dictionary damaged too: where the frame ends is not known from it.
    let size_unknown = matches!(frame_sizes, Some((_, None)));
    for item in scan {
        match item {
            crate::read::Item::Record {
                offset,
                length,
                record,
                ..
            } => {
                if let Some(len) = length {
                    clean_end = offset + len;
                    out.good_end = clean_end;
                }
                out.records.push((offset, record));
            }
            crate::read::Item::Damage {
                message,
                resumed_at: Some(at),
                ..
            } if super::is_oversized_record(&message) => {
                // Intact, only too large to hold: kept.
                clean_end = at;
                out.good_end = at;
                out.oversized += 1;
            }
            crate::read::Item::Damage {
                offset: 0,
                message,
                resumed_at: Some(at),
            } if out.records.is_empty() && size_damage.is_some() => {
                // The dictionary frame's size is damaged: the frame ends where its
                // compressed dictionary does; anything between it and `at` is damage.
                let own = size_damage.map_or(at, |(_, own)| own);
                out.dictionary_frame_end = Some(own);
                if at > own {
                    out.middles.push((own, at, message));
                }
                clean_end = at;
            }
            crate::read::Item::Damage {
                offset: 0,
                resumed_at: Some(at),
                ..
            } if out.records.is_empty() && size_unknown => {
                // The size in the header claims an end where no frame starts, and the
                // compressed dictionary cannot tell its own: the frame ends at the first
                // record found after the dictionary's magic (the dictionary's copy reads
                // it), before or past the end claimed.
                out.dictionary_frame_end = Some(at);
                clean_end = at;
            }
            crate::read::Item::Damage {
                offset,
                message,
                resumed_at: Some(at),
            } => {
                let start = offset.max(clean_end).min(at);
                if at > start {
                    out.middles.push((start, at, message));
                }
                clean_end = at;
            }
            crate::read::Item::Damage {
                message,
                resumed_at: None,
                ..
            } => out.tail_reason = Some(message),
        }
    }
    Ok(out)
}

/// True when a zstd file with a dictionary frame holds no whole frame after it (cut
/// while it was being started). Undecided (false) when more than 8 MiB follow the frame.
fn no_whole_frame_after_dictionary(path: &Path, len: u64) -> Result<bool, WarcError> {
    use std::io::{Seek, SeekFrom};
    const PROBE: u64 = 8 << 20;
    let Some((claimed, own)) = super::dictionary_frame_sizes(path) else {
        return Ok(false);
    };
    let end = own.unwrap_or(claimed);
    if end >= len {
        return Ok(true);
    }
    if len - end > PROBE {
        return Ok(false);
    }
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    f.seek(SeekFrom::Start(end)).map_err(|e| io_err(path, e))?;
    let mut rest = Vec::new();
    f.take(PROBE)
        .read_to_end(&mut rest)
        .map_err(|e| io_err(path, e))?;
    Ok(zstd::zstd_safe::find_frame_compressed_size(&rest).is_err())
}

/// Writes back the magic number of a zstd file's dictionary frame when it is damaged:
/// the file does not start with it, but what follows the frame header (at offset 8) is
/// a zstd frame holding a zstd dictionary. Without the magic, readers would skip the
/// frame (another skippable magic) or stop at it, and every record after it would be
/// lost with its dictionary. True when the magic was written back.
fn mend_dictionary_frame_magic(path: &Path) -> Result<bool, WarcError> {
    /// How much of the compressed dictionary is read to see what it holds.
    const PEEK: u64 = 64 << 10;
    let mut head = Vec::new();
    File::open(path)
        .map_err(|e| io_err(path, e))?
        .take(8 + PEEK)
        .read_to_end(&mut head)
        .map_err(|e| io_err(path, e))?;
    let magic = super::DICTIONARY_FRAME_MAGIC.to_le_bytes();
    if head.len() < 12 || head[..4] == magic || head[8..12] != [0x28, 0xb5, 0x2f, 0xfd] {
        return Ok(false);
    }
    let mut first = [0u8; 4];
    let holds_dictionary = zstd::stream::read::Decoder::new(&head[8..])
        .and_then(|mut d| d.read_exact(&mut first))
        .is_ok()
        && u32::from_le_bytes(first) == super::dict::DICTIONARY_MAGIC;
    if !holds_dictionary {
        return Ok(false);
    }
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    file.write_all_at(&magic, 0).map_err(|e| io_err(path, e))?;
    file.sync_all().map_err(|e| io_err(path, e))?;
    Ok(true)
}

/// Offset of the first frame after a zstd dictionary frame (0 otherwise).
fn first_unit(path: &Path) -> Result<u64, WarcError> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut head = [0u8; 12];
    let n = f.read(&mut head).map_err(|e| io_err(path, e))?;
    if n >= 8 && super::dict::opens_with_dictionary_frame(&head[..n]) {
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        return Ok(8 + u64::from(size));
    }
    Ok(0)
}

/// Bytes that every WARC reader skips, exactly `len` long, for a file of this kind;
/// `None` when `len` is too short for such filler.
fn filler(container: Container, len: u64) -> Option<Vec<u8>> {
    let n = usize::try_from(len).ok()?;
    match container {
        Container::Zstd => {
            let size = u32::try_from(len.checked_sub(8)?).ok()?;
            let mut out = Vec::with_capacity(n);
            out.extend_from_slice(&FILLER_FRAME_MAGIC.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.resize(n, 0);
            Some(out)
        }
        Container::Gzip => {
            if len < GZIP_MEMBER_MIN {
                return None;
            }
            let mut out = Vec::with_capacity(n);
            let mut left = len;
            while left > 0 {
                let mut member = left.min(GZIP_MEMBER_MAX);
                if (1..GZIP_MEMBER_MIN).contains(&(left - member)) {
                    member = left - GZIP_MEMBER_MIN;
                }
                let xlen = u16::try_from(member - GZIP_MEMBER_MIN).ok()?;
                // Header with FEXTRA, the extra field, an empty final stored block... an
                // empty fixed-Huffman final block (0x03 0x00), CRC32 0 and size 0.
                out.extend_from_slice(&[0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff]);
                out.extend_from_slice(&xlen.to_le_bytes());
                out.resize(out.len() + usize::from(xlen), 0);
                out.extend_from_slice(&[0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
                left -= member;
            }
            Some(out)
        }
        Container::Plain => {
            // Line ends between records: readers skip them.
            let mut out = b"\r\n".repeat(n / 2);
            if n % 2 == 1 {
                out.push(b'\n');
            }
            Some(out)
        }
    }
}

/// Repairs one `.open` file (see the module documentation). A file with no intact
/// record is removed if empty, else renamed `….corrupt` and left as it is. The final name
/// must be free.
pub fn repair_file(path: &Path) -> Result<Repair, WarcError> {
    let s = path.to_string_lossy();
    let final_path = PathBuf::from(s.strip_suffix(OPEN_SUFFIX).unwrap_or(&s));
    let len = std::fs::metadata(path).map_err(|e| io_err(path, e))?.len();
    if matches!(container_of(&final_path), Container::Zstd) && mend_dictionary_frame_magic(path)? {
        tracing::warn!(
            "{}: the magic number of the zstd dictionary frame was damaged; set back",
            final_path.display()
        );
    }
    let found = match layout(path) {
        Ok(found) => found,
        // The file ends inside its dictionary frame or before its first whole frame (a
        // crash while the file was being started): there is nothing to keep.
        Err(_) if no_whole_frame_after_dictionary(path, len)? => {
            return set_aside_recordless(path, &final_path, len);
        }
        Err(e) => return Err(e),
    };
    if found.records.is_empty() || found.good_end == 0 {
        return set_aside_recordless(path, &final_path, len);
    }
    if final_path.exists() {
        return Err(io_err(
            &final_path,
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "cannot repair: final name already taken",
            ),
        ));
    }
    let Plan {
        mut spans,
        mut planned,
        records_kept,
        cut_at,
    } = plan_spans(&found, container_of(&final_path), len);
    if let Some(size) = found
        .dictionary_frame_end
        .and_then(|end| u32::try_from(end.checked_sub(8)?).ok())
    {
        tracing::warn!(
            "{}: the size in the zstd dictionary frame's header was damaged; set back to {size}",
            final_path.display()
        );
        planned.push((4, size.to_le_bytes().to_vec()));
        // Its magic too, when one bit of it was damaged (another skippable magic).
        planned.push((0, super::DICTIONARY_FRAME_MAGIC.to_le_bytes().to_vec()));
    }
    let undescribed = found.undescribed(&found.middles);
    let sidecar = if spans.is_empty() {
        None
    } else {
        Some(move_aside(path, &final_path, &mut spans, &undescribed)?)
    };
    patch_in_place(path, &planned, cut_at, len)?;
    for d in &spans {
        tracing::warn!(
            "{}: {} bytes at offset {} {} ({}); the intact records around them are kept",
            final_path.display(),
            d.length,
            d.offset,
            if d.tail { "cut off" } else { "moved aside" },
            d.reason
        );
    }
    std::fs::rename(path, &final_path).map_err(|e| io_err(path, e))?;
    Ok(Repair {
        file: final_path,
        closed: true,
        records_kept,
        damaged: spans,
        sidecar,
        undescribed,
    })
}

/// A file without one complete record: removed when empty, else renamed with the
/// corrupt suffix (nothing in it to keep).
fn set_aside_recordless(path: &Path, final_path: &Path, len: u64) -> Result<Repair, WarcError> {
    let corrupt = PathBuf::from(format!("{}{CORRUPT_SUFFIX}", final_path.display()));
    if len == 0 {
        std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
    } else {
        tracing::warn!(
            "{}: no complete WARC record, renamed {}",
            path.display(),
            corrupt.display()
        );
        std::fs::rename(path, &corrupt).map_err(|e| io_err(path, e))?;
    }
    Ok(Repair {
        file: corrupt,
        closed: false,
        records_kept: 0,
        damaged: Vec::new(),
        sidecar: None,
        undescribed: Vec::new(),
    })
}

/// What a repair does to a file: see [`plan_spans`].
struct Plan {
    /// The damaged spans, in order (a tail span last).
    spans: Vec<DamagedSpan>,
    /// The fillers to write over the damaged middles: offset and bytes.
    planned: Vec<(u64, Vec<u8>)>,
    /// The number of records kept.
    records_kept: u64,
    /// The offset the file is cut at (nothing is cut when it is the file's length).
    cut_at: u64,
}

/// A damaged middle too short for a filler (a zstd skippable frame needs 8 bytes) that
/// follows a record: the record's frame read whole but ended early, at bytes that belong
/// to it (one bit of its header can drop its checksum, four bytes). That record is set
/// aside with the middle (its bytes are kept in the sidecar), instead of the file being
/// cut there with every intact record after it. Returns the offset of that record.
fn widen_short_middle(found: &Layout, container: Container, start: u64, end: u64) -> Option<u64> {
    if filler(container, end - start).is_some() {
        return None;
    }
    let record = found
        .records
        .iter()
        .map(|r| r.0)
        .filter(|&o| o < start)
        .max()?;
    filler(container, end - record).map(|_| record)
}

/// What to do with the damage `found` in a file of `len` bytes: the damaged spans, the
/// fillers to write over the middle ones, the number of records kept, and where the
/// file is cut.
fn plan_spans(found: &Layout, container: Container, len: u64) -> Plan {
    let mut spans: Vec<DamagedSpan> = Vec::new();
    let mut planned: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut records_kept = found.records.len() as u64 + found.oversized;
    for (start, end, reason) in &found.middles {
        let (start, reason) = match widen_short_middle(found, container, *start, *end) {
            Some(record) => {
                // The record is set aside with the middle.
                records_kept -= 1;
                let why = format!(
                    "{reason} (a few bytes after the record at {record}, whose frame ends early: both set aside)"
                );
                (record, why)
            }
            None => (*start, reason.clone()),
        };
        let (start, reason) = (&start, &reason);
        match filler(container, end - start) {
            Some(bytes) => {
                planned.push((*start, bytes));
                spans.push(DamagedSpan {
                    offset: *start,
                    length: end - start,
                    sidecar_offset: 0,
                    reason: reason.clone(),
                    tail: false,
                });
            }
            None => {
                // Too short to stand in for: cut here (rare: a few bytes of garbage).
                records_kept = found
                    .records
                    .iter()
                    .filter(|(offset, _)| offset < start)
                    .count() as u64;
                spans.push(DamagedSpan {
                    offset: *start,
                    length: len - start,
                    sidecar_offset: 0,
                    reason: reason.clone(),
                    tail: true,
                });
                break;
            }
        }
    }
    let cut_at = spans
        .iter()
        .find(|d| d.tail)
        .map(|d| d.offset)
        .unwrap_or(found.good_end);
    if cut_at < len && !spans.iter().any(|d| d.tail) {
        spans.push(DamagedSpan {
            offset: cut_at,
            length: len - cut_at,
            sidecar_offset: 0,
            reason: found
                .tail_reason
                .clone()
                .unwrap_or_else(|| "incomplete last record".into()),
            tail: true,
        });
    }
    Plan {
        spans,
        planned,
        records_kept,
        cut_at,
    }
}

/// Writes the fillers of `planned` (those before `cut_at`) over the damaged middles of
/// `path`, cuts it at `cut_at` if shorter than `len`, and syncs it.
fn patch_in_place(
    path: &Path,
    planned: &[(u64, Vec<u8>)],
    cut_at: u64,
    len: u64,
) -> Result<(), WarcError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_err(path, e))?;
    for (offset, bytes) in planned {
        if *offset < cut_at {
            file.write_all_at(bytes, *offset)
                .map_err(|e| io_err(path, e))?;
        }
    }
    if cut_at < len {
        file.set_len(cut_at).map_err(|e| io_err(path, e))?;
    }
    file.sync_all().map_err(|e| io_err(path, e))?;
    Ok(())
}

/// Copies the bytes of `spans` to the sidecar (appended, if one exists from an earlier
/// repair) and writes their description; fills in each span's sidecar offset.
fn move_aside(
    path: &Path,
    final_path: &Path,
    spans: &mut [DamagedSpan],
    undescribed: &[String],
) -> Result<PathBuf, WarcError> {
    let sidecar = PathBuf::from(format!("{}{DAMAGED_SUFFIX}", final_path.display()));
    let mut src = File::open(path).map_err(|e| io_err(path, e))?;
    let mut out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&sidecar)
        .map_err(|e| io_err(&sidecar, e))?;
    let mut at = out.metadata().map_err(|e| io_err(&sidecar, e))?.len();
    for span in spans.iter_mut() {
        span.sidecar_offset = at;
        src.seek(SeekFrom::Start(span.offset))
            .map_err(|e| io_err(path, e))?;
        let copied = io::copy(&mut (&mut src).take(span.length), &mut out)
            .map_err(|e| io_err(&sidecar, e))?;
        at += copied;
    }
    out.sync_all().map_err(|e| io_err(&sidecar, e))?;
    let mut all = RepairReport::load(final_path);
    all.push(RepairReport {
        file: final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        repaired_at: chrono::Utc::now().to_rfc3339(),
        spans: spans.to_vec(),
        undescribed: undescribed.to_vec(),
        reconciled: false,
    });
    RepairReport::save(final_path, &all)?;
    Ok(sidecar)
}

#[cfg(test)]
#[path = "repair_tests.rs"]
mod tests;
