//! After a crash: responses that a killed run archived but did not record in the state.
//!
//! A run killed between writing a capture and committing its outcome leaves the URL in
//! flight; it is fetched again. So that this does not store the page a second time, the
//! `.open` files repaired at start are read back, and a response found there for an
//! in-flight URL becomes the URL's last capture (without validators, so the new request is
//! unconditional and its links are read again): the re-fetch then writes an
//! identical-payload-digest revisit. A 2xx response whose article metadata record is not
//! in the file is marked `described = false`, so the re-fetch writes the article.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::frontier::{CaptureState, Frontier, FrontierError, StoredRecord};
use crate::warc::{Record, WarcReader};

/// A response record found in a repaired file.
struct Found {
    file: String,
    offset: u64,
    record: Record,
}

/// HTTP status of a response record's head.
fn status_of(record: &Record) -> Option<u16> {
    let head = record.http_head()?;
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Adopts the orphan responses of `repaired` files for the frontier's in-flight URLs;
/// returns how many. Unreadable files are skipped (their records stay in the archive).
pub fn adopt_orphans(
    frontier: &mut dyn Frontier,
    repaired: &[PathBuf],
) -> Result<u64, FrontierError> {
    if repaired.is_empty() {
        return Ok(0);
    }
    let in_flight: HashMap<String, i64> = frontier
        .in_flight()?
        .into_iter()
        .map(|(id, url)| (url.to_string(), id))
        .collect();
    if in_flight.is_empty() {
        return Ok(0);
    }
    let mut responses: HashMap<String, Found> = HashMap::new();
    let mut described: HashSet<String> = HashSet::new();
    for path in repaired {
        read_file(path, &in_flight, &mut responses, &mut described);
    }
    let mut adopted = 0;
    for (uri, found) in responses {
        let Some(id) = in_flight.get(&uri) else {
            continue;
        };
        let Some(status) = status_of(&found.record) else {
            continue;
        };
        let (Some(record_id), Some(digest), Some(date)) = (
            found.record.header("WARC-Record-ID"),
            found.record.header("WARC-Payload-Digest"),
            found
                .record
                .header("WARC-Date")
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                .map(|d| d.with_timezone(&Utc)),
        ) else {
            continue;
        };
        let has_meta = !(200..300).contains(&status) || described.contains(record_id);
        let state = CaptureState {
            captured_at: date,
            first_captured_at: date,
            status,
            etag: None,
            last_modified: None,
            payload_digest: digest.to_string(),
            record: StoredRecord {
                file: found.file,
                offset: found.offset,
                id: record_id.to_string(),
                date,
            },
            described: has_meta,
        };
        frontier.set_capture(*id, &state)?;
        adopted += 1;
    }
    Ok(adopted)
}

fn read_file(
    path: &Path,
    in_flight: &HashMap<String, i64>,
    responses: &mut HashMap<String, Found>,
    described: &mut HashSet<String>,
) {
    let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let reader = match WarcReader::open(path) {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!("cannot read {} back after a crash: {e}", path.display());
            return;
        }
    };
    for item in reader {
        let Ok((offset, record)) = item else {
            break;
        };
        match record.record_type() {
            Some("response") => {
                if let Some(uri) = record.header("WARC-Target-URI")
                    && in_flight.contains_key(uri)
                {
                    responses.insert(
                        uri.to_string(),
                        Found {
                            file: file.to_string(),
                            offset,
                            record,
                        },
                    );
                }
            }
            Some("metadata") => {
                if let Some(refers) = record.header("WARC-Refers-To") {
                    described.insert(refers.to_string());
                }
            }
            _ => {}
        }
    }
}
