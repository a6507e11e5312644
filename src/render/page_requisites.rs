//! Which page a requisite belongs to, in the archive, and the requisites of a page.
//!
//! Each request a rendered page made is archived as a request/response (or revisit) pair
//! and a `metadata` record (`Content-Type: application/warc-fields`) whose
//! `WARC-Refers-To` is that response or revisit, holding the fields the example of the
//! WARC 1.1 standard (annex) gives for an embedded resource: `via` (the page) and
//! `hopsFromSeed` (the page's link hops, `L` each, then `E`: an embed). The rendered
//! page's `conversion` record comes after them: [`page_requisites`] reads from the
//! page's record to its conversion.

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use url::Url;

use crate::read::{Capture, ReadError, is_warc_name, parse_warc_date};
use crate::warc::{Record, WarcReader};

/// `Content-Type` of a requisite's `metadata` record.
pub const REQUISITE_FIELDS_TYPE: &str = "application/warc-fields";

/// How long after its page a requisite may be archived, in minutes (longer than any
/// rendering).
const SCAN_WINDOW_MINUTES: i64 = 30;
/// Records read at most looking for a page's requisites.
const SCAN_LIMIT: usize = 1_000_000;

/// The block of a requisite's `metadata` record, for a page at `depth` link hops.
pub fn requisite_fields(page: &Url, depth: u32) -> String {
    let hops = "L".repeat(usize::try_from(depth.min(64)).unwrap_or(0));
    format!("via: {page}\r\nhopsFromSeed: {hops}E\r\n")
}

/// The page (`via`) of a requisite's `metadata` record; `None` for any other record.
pub fn requisite_page(record: &Record) -> Option<&str> {
    let is_fields = record.record_type() == Some("metadata")
        && record
            .header("Content-Type")
            .is_some_and(|c| c.trim().eq_ignore_ascii_case(REQUISITE_FIELDS_TYPE));
    if !is_fields {
        return None;
    }
    let text = std::str::from_utf8(&record.block).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("via:"))
        .map(str::trim)
}

/// One requisite of a rendered page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requisite {
    /// Its URL.
    pub url: String,
    /// `response` or `revisit` (unchanged since an earlier run).
    pub record_type: String,
    /// HTTP status, when its record was read.
    pub status: Option<u16>,
    /// `WARC-Date` of its record.
    pub date: String,
    /// Its `WARC-Record-ID`.
    pub record_id: String,
}

/// The requisites of a page's capture (a capture [`crate::read::find_capture`] found):
/// the records written while it was rendered, read from the page's record to its
/// `conversion` record (at most [`SCAN_WINDOW_MINUTES`] later, or [`SCAN_LIMIT`] records, when the
/// page was not rendered). Empty for a page that was not rendered.
pub fn page_requisites(dir: &Path, capture: &Capture) -> Result<Vec<Requisite>, ReadError> {
    let page_id = capture
        .record
        .header("WARC-Record-ID")
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let page_url = capture.entry.url.as_str();
    let page_date = capture
        .record
        .header("WARC-Date")
        .and_then(parse_warc_date)
        .unwrap_or_default();
    let mut scan = Scan {
        page_url,
        page_id: &page_id,
        until: page_date + Duration::minutes(SCAN_WINDOW_MINUTES),
        records: 0,
        captures: std::collections::HashMap::new(),
        found: Vec::new(),
    };
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|source| ReadError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| is_warc_name(name) && name.as_str() >= capture.entry.filename.as_str())
        .collect();
    files.sort();
    for name in files {
        let offset = if name == capture.entry.filename {
            capture.entry.offset
        } else {
            0
        };
        let reader = WarcReader::open_at(&dir.join(&name), offset)?;
        for item in reader {
            let (_, record) = item?;
            if scan.read(record) {
                return Ok(scan.found);
            }
        }
    }
    Ok(scan.found)
}

/// The state of [`page_requisites`]' reading.
struct Scan<'a> {
    page_url: &'a str,
    page_id: &'a str,
    until: DateTime<Utc>,
    records: usize,
    /// Responses and revisits seen, by record id: type, status, date.
    captures: std::collections::HashMap<String, (String, Option<u16>, String)>,
    found: Vec<Requisite>,
}

impl Scan<'_> {
    /// Reads one record; true when the page's requisites are all found (its conversion
    /// record), or the scan went far enough.
    fn read(&mut self, record: Record) -> bool {
        self.records += 1;
        let date = record.header("WARC-Date").unwrap_or_default().to_string();
        let id = record.header("WARC-Record-ID").unwrap_or_default().trim();
        let refers_to = record.header("WARC-Refers-To").map(str::trim);
        match record.record_type() {
            Some(kind @ ("response" | "revisit")) => {
                let status = record
                    .http_head()
                    .and_then(|head| std::str::from_utf8(head).ok())
                    .and_then(|head| head.split_whitespace().nth(1))
                    .and_then(|code| code.parse().ok());
                self.captures
                    .insert(id.to_string(), (kind.to_string(), status, date.clone()));
            }
            Some("conversion") if refers_to == Some(self.page_id) => return true,
            _ => {}
        }
        if requisite_page(&record) == Some(self.page_url)
            && let Some(of) = refers_to
        {
            let url = record.header("WARC-Target-URI").unwrap_or_default();
            let (record_type, status, date) = self
                .captures
                .get(of)
                .cloned()
                .unwrap_or_else(|| ("response".into(), None, date.clone()));
            self.found.push(Requisite {
                url: url.to_string(),
                record_type,
                status,
                date,
                record_id: of.to_string(),
            });
        }
        self.records >= SCAN_LIMIT || parse_warc_date(&date).is_some_and(|d| d > self.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requisite_record_names_its_page() {
        let page = Url::parse("http://a.test/a/1.html").expect("url");
        let fields = requisite_fields(&page, 2);
        assert_eq!(
            fields,
            "via: http://a.test/a/1.html\r\nhopsFromSeed: LLE\r\n"
        );
        let record = Record {
            version: "WARC/1.1".into(),
            headers: vec![
                ("WARC-Type".into(), "metadata".into()),
                ("Content-Type".into(), REQUISITE_FIELDS_TYPE.into()),
            ],
            block: fields.into_bytes(),
        };
        assert_eq!(requisite_page(&record), Some("http://a.test/a/1.html"));
        let article = Record {
            headers: vec![
                ("WARC-Type".into(), "metadata".into()),
                ("Content-Type".into(), "application/json".into()),
            ],
            ..record
        };
        assert_eq!(requisite_page(&article), None);
    }
}
