//! Archive statistics: captures (response, revisit and resource records) by host,
//! status, MIME type and day; bytes; first and last capture. Files are read in parallel,
//! each once ([`crate::archive::scan::scan_rows`]), each capture counted as it is read
//! (memory bounded by the number of hosts, statuses, types and days, not of records).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ReadError, par_map, warc_files};
use crate::archive::scan::{CaptureKind, CaptureRow, Row, scan_rows};

/// Statistics of an archive folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Closed WARC files.
    pub files: usize,
    /// Their total size on disk (compressed).
    pub file_bytes: u64,
    /// Records of every type.
    pub records: u64,
    /// Records by `WARC-Type`.
    pub by_record_type: BTreeMap<String, u64>,
    /// Captures (response, revisit and resource records).
    pub captures: u64,
    /// Revisit records among them.
    pub revisits: u64,
    /// Article (metadata) records.
    pub articles: u64,
    /// Bytes of the capture payloads (uncompressed, as stored).
    pub payload_bytes: u64,
    /// Captures by host.
    pub by_host: BTreeMap<String, u64>,
    /// Captures by HTTP status (`-` when none).
    pub by_status: BTreeMap<String, u64>,
    /// Captures by MIME type (of the payload; `warc/revisit` for revisits).
    pub by_mime: BTreeMap<String, u64>,
    /// Captures by day (UTC, `YYYY-MM-DD`).
    pub by_day: BTreeMap<String, u64>,
    /// Earliest capture.
    pub first_capture: Option<DateTime<Utc>>,
    /// Latest capture.
    pub last_capture: Option<DateTime<Utc>>,
    /// Damaged parts skipped (see `glaneur verify`).
    pub damaged: Vec<String>,
}

fn add(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    *map.entry(key.to_string()).or_default() += n;
}

impl Stats {
    fn merge(&mut self, o: Stats) {
        self.files += o.files;
        self.file_bytes += o.file_bytes;
        self.records += o.records;
        self.captures += o.captures;
        self.revisits += o.revisits;
        self.articles += o.articles;
        self.payload_bytes += o.payload_bytes;
        for (m, om) in [
            (&mut self.by_record_type, o.by_record_type),
            (&mut self.by_host, o.by_host),
            (&mut self.by_status, o.by_status),
            (&mut self.by_mime, o.by_mime),
            (&mut self.by_day, o.by_day),
        ] {
            for (k, v) in om {
                add(m, &k, v);
            }
        }
        self.first_capture = match (self.first_capture, o.first_capture) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_capture = match (self.last_capture, o.last_capture) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.damaged.extend(o.damaged);
    }
}

impl Stats {
    /// Counts one capture.
    fn add_capture(&mut self, c: &CaptureRow) {
        self.captures += 1;
        let host = url::Url::parse(&c.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "-".into());
        add(&mut self.by_host, &host, 1);
        let status = c.status.map_or_else(|| "-".into(), |s| s.to_string());
        add(&mut self.by_status, &status, 1);
        let mime = if c.kind == CaptureKind::Revisit {
            self.revisits += 1;
            "warc/revisit".to_string()
        } else {
            Some(c.mime_lower())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "unk".into())
        };
        add(&mut self.by_mime, &mime, 1);
        add(&mut self.by_day, &c.date.format("%Y-%m-%d").to_string(), 1);
        self.first_capture = Some(self.first_capture.map_or(c.date, |f| f.min(c.date)));
        self.last_capture = Some(self.last_capture.map_or(c.date, |l| l.max(c.date)));
    }
}

/// The statistics of one file, each capture counted as it is read.
fn file_stats(path: &Path) -> Stats {
    let mut s = Stats::default();
    let scan = scan_rows(path, |row| {
        if let Row::Capture(c) = row {
            s.add_capture(&c);
        }
    });
    Stats {
        files: 1,
        file_bytes: scan.stamp.size,
        records: scan.records,
        by_record_type: scan.record_types,
        articles: scan.article_records,
        payload_bytes: scan.payload_bytes,
        damaged: scan
            .damaged
            .iter()
            .map(|d| format!("{}: {d}", path.display()))
            .collect(),
        ..s
    }
}

/// Statistics of the closed WARC files of `dir`.
pub fn archive_stats(dir: &Path) -> Result<Stats, ReadError> {
    let mut files = warc_files(dir)?;
    files.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
    let mut total = Stats::default();
    for s in par_map(&files, |f| file_stats(f)) {
        total.merge(s);
    }
    Ok(total)
}
