//! Looking up one capture through the index: the capture of a URL nearest in time to a
//! date (the latest by default), revisits resolved to the record holding the payload,
//! and the article extracted from it (its `metadata` record).

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Utc};
use url::Url;

use super::index::{CdxjEntry, METADATA_INDEX_FILE, entries_for_key, lookup_entries};
use super::{ReadError, parse_timestamp, parse_warc_date, timestamp14};
use crate::warc::{Record, WarcReader};

/// Most revisit hops followed to reach a payload.
const MAX_HOPS: usize = 8;

/// A capture found through the index.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The index entry of the capture (a response, revisit or resource record).
    pub entry: CdxjEntry,
    /// Its record.
    pub record: Record,
    /// For a revisit: the entry and record holding the payload it refers to.
    pub original: Option<(CdxjEntry, Record)>,
}

impl Capture {
    /// The record holding the payload (the original of a revisit, else the record).
    pub fn payload_record(&self) -> &Record {
        self.original
            .as_ref()
            .map(|(_, r)| r)
            .unwrap_or(&self.record)
    }

    /// The HTTP response head of the payload record, if it is an HTTP response.
    pub fn http_head(&self) -> Option<&[u8]> {
        let r = self.payload_record();
        if r.is_http() { r.http_head() } else { None }
    }

    /// The body with transfer and content codings removed.
    pub fn body(&self) -> Result<Vec<u8>, ReadError> {
        let r = self.payload_record();
        let payload = r
            .payload()
            .ok_or_else(|| ReadError::NotFound("the record has no payload".into()))?;
        match self.http_head() {
            Some(head) => decode_body(head, payload),
            None => Ok(payload.into_owned()),
        }
    }
}

/// Most bytes a read command (`get --body`, `serve`'s replay, exports) decodes from one
/// body: 32 MiB, more than any news page (the crawl's default `max_body_bytes` is 20 MB
/// as received) and small enough for a server answering several replays at once. A body
/// that decodes to more (a compression bomb) is refused with a clear error.
pub const MAX_DECODED_BODY: u64 = 32 << 20;

/// Undoes the `Content-Encoding`s announced by an HTTP head (gzip, deflate, br, zstd;
/// in reverse order; at most [`crate::fetch::MAX_CODINGS`] of them), through the crawl's
/// bounded decoder: at most [`MAX_DECODED_BODY`] bytes.
pub fn decode_body(head: &[u8], payload: Cow<'_, [u8]>) -> Result<Vec<u8>, ReadError> {
    decode_body_limited(head, payload, MAX_DECODED_BODY)
}

/// Like [`decode_body`] with the cap given.
pub fn decode_body_limited(
    head: &[u8],
    payload: Cow<'_, [u8]>,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    let values = http_header_all(head, "Content-Encoding");
    let codings = crate::fetch::codings_of(values.iter().map(String::as_str));
    if codings.is_empty() {
        return Ok(payload.into_owned());
    }
    match crate::fetch::decode_codings_prefix(&codings, &payload, limit, false) {
        Ok((body, true)) => Ok(body),
        Ok((_, false)) => Err(ReadError::NotFound(format!(
            "the body decodes to more than {} MiB (compression bomb?): use --record to get the stored bytes",
            limit >> 20
        ))),
        Err(e) => Err(ReadError::NotFound(format!(
            "cannot decode the body: {e}: use --record to get the stored bytes"
        ))),
    }
}

/// Every value of an HTTP header field in a head (case-insensitive name).
fn http_header_all(head: &[u8], name: &str) -> Vec<String> {
    head.split(|&b| b == b'\n')
        .skip(1)
        .filter_map(|line| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let colon = line.iter().position(|&b| b == b':')?;
            line[..colon]
                .trim_ascii()
                .eq_ignore_ascii_case(name.as_bytes())
                .then(|| String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned())
        })
        .collect()
}

/// Reads the record whose frame/member starts at `offset` in `dir/filename`, `inner`
/// bytes into its decoded bytes (0 but for a file compressed as one stream).
pub fn read_record_at(
    dir: &Path,
    filename: &str,
    offset: u64,
    inner: u64,
) -> Result<Record, ReadError> {
    if filename.contains('/') || filename.contains('\\') || filename.starts_with("..") {
        return Err(ReadError::NotFound(format!(
            "bad file name in index: {filename:?}"
        )));
    }
    let path = dir.join(filename);
    let mut reader = if inner == 0 {
        WarcReader::open_at(&path, offset)?
    } else {
        let dict = WarcReader::open(&path)?.dictionary();
        WarcReader::open_at_inner(&path, offset, inner, dict)?
    };
    match reader.next() {
        Some(Ok((_, record))) => Ok(record),
        Some(Err(e)) => Err(e.into()),
        None => Err(ReadError::NotFound(format!(
            "{}: no record at offset {offset} (index out of date? run `glaneur index`)",
            path.display()
        ))),
    }
}

fn ts_date(e: &CdxjEntry) -> Option<DateTime<Utc>> {
    parse_timestamp(&e.timestamp)
}

/// The entry nearest to `at` (the latest when `None`); ties go to the earlier one.
fn nearest(entries: &[CdxjEntry], at: Option<DateTime<Utc>>) -> Option<&CdxjEntry> {
    match at {
        None => entries.iter().max_by(|a, b| a.timestamp.cmp(&b.timestamp)),
        Some(at) => entries.iter().min_by_key(|e| {
            ts_date(e)
                .map(|d| (d - at).num_seconds().unsigned_abs())
                .unwrap_or(u64::MAX)
        }),
    }
}

/// The capture of `url` nearest in time to `at` (the latest when `None`), through the
/// index of `dir`; a revisit is resolved to the record holding its payload.
pub fn find_capture(
    dir: &Path,
    url: &Url,
    at: Option<DateTime<Utc>>,
) -> Result<Capture, ReadError> {
    let entries = lookup_entries(dir, url)?;
    let entry = nearest(&entries, at)
        .ok_or_else(|| {
            ReadError::NotFound(format!("{url}: not in the index of {}", dir.display()))
        })?
        .clone();
    let record = read_record_at(dir, &entry.filename, entry.offset, entry.inner)?;
    let original = if record.record_type() == Some("revisit") {
        Some(resolve_revisit(dir, &record)?)
    } else {
        None
    };
    Ok(Capture {
        entry,
        record,
        original,
    })
}

/// Follows a revisit's `WARC-Refers-To-Target-URI` and `WARC-Refers-To-Date` (and
/// `WARC-Refers-To` / payload digest to choose among candidates) to the original record.
fn resolve_revisit(dir: &Path, revisit: &Record) -> Result<(CdxjEntry, Record), ReadError> {
    let mut current = revisit.clone();
    for _ in 0..MAX_HOPS {
        let target = current
            .header("WARC-Refers-To-Target-URI")
            .or_else(|| current.header("WARC-Target-URI"))
            .unwrap_or("")
            .trim_matches(['<', '>', ' ']);
        let url = Url::parse(target)
            .map_err(|_| ReadError::NotFound(format!("revisit refers to a bad URI {target:?}")))?;
        let date = current
            .header("WARC-Refers-To-Date")
            .and_then(parse_warc_date);
        let own_ts = current
            .header("WARC-Date")
            .and_then(parse_warc_date)
            .map(timestamp14);
        let refers_to = current.header("WARC-Refers-To").map(str::trim);
        let digest = current.header("WARC-Payload-Digest");
        let mut candidates: Vec<CdxjEntry> = lookup_entries(dir, &url)?
            .into_iter()
            .filter(|e| match date {
                Some(d) => e.timestamp == timestamp14(d),
                None => own_ts.as_ref().is_none_or(|t| &e.timestamp <= t),
            })
            .collect();
        // Prefer non-revisits with the same payload digest, latest first.
        candidates.sort_by_key(|e| {
            (
                e.is_revisit(),
                digest.is_some() && e.digest.as_deref() != digest,
                std::cmp::Reverse(e.timestamp.clone()),
            )
        });
        let mut found = None;
        for e in candidates {
            let rec = read_record_at(dir, &e.filename, e.offset, e.inner)?;
            if refers_to.is_some_and(|id| rec.header("WARC-Record-ID").map(str::trim) != Some(id)) {
                continue;
            }
            found = Some((e, rec));
            break;
        }
        let Some((e, rec)) = found else {
            return Err(ReadError::NotFound(format!(
                "the original capture of revisit {} ({target}) is not in the index",
                revisit.header("WARC-Record-ID").unwrap_or("?")
            )));
        };
        if rec.record_type() != Some("revisit") {
            return Ok((e, rec));
        }
        current = rec;
    }
    Err(ReadError::NotFound("revisit chain too long".into()))
}

/// The `metadata` record (extracted article) of a capture: the one referring to the
/// capture's record (or to its original, for a revisit), found through `metadata.cdxj`.
pub fn find_article(dir: &Path, capture: &Capture) -> Result<(CdxjEntry, Record), ReadError> {
    let url = Url::parse(&capture.entry.url)
        .map_err(|_| ReadError::NotFound(format!("bad URL {:?}", capture.entry.url)))?;
    let mut entries =
        entries_for_key(&dir.join(METADATA_INDEX_FILE), &super::index::cdx_key(&url))?;
    let ids: Vec<&str> = [
        capture.record.header("WARC-Record-ID"),
        capture
            .original
            .as_ref()
            .and_then(|(_, r)| r.header("WARC-Record-ID")),
    ]
    .into_iter()
    .flatten()
    .map(str::trim)
    .collect();
    // Nearest after the capture first.
    let at = ts_date(&capture.entry);
    entries.sort_by_key(|e| {
        let d = ts_date(e);
        match (d, at) {
            (Some(d), Some(at)) => ((d < at), (d - at).num_seconds().unsigned_abs()),
            _ => (true, u64::MAX),
        }
    });
    for e in entries {
        let rec = read_record_at(dir, &e.filename, e.offset, e.inner)?;
        if rec
            .header("WARC-Refers-To")
            .is_some_and(|r| ids.contains(&r.trim()))
        {
            return Ok((e, rec));
        }
    }
    Err(ReadError::NotFound(format!(
        "no article was extracted from the capture of {} at {}",
        capture.entry.url, capture.entry.timestamp
    )))
}
