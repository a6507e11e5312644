//! What the frontier keeps of a capture: the validators of the next conditional request
//! and the record later revisits refer to.

use super::Written;
use crate::capture::Capture;
use crate::frontier::{CaptureState, StoredRecord};

/// `If-None-Match` / `If-Modified-Since` from the last capture, when it was a complete 200.
pub(super) fn conditional_headers(previous: Option<&CaptureState>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(p) = previous.filter(|p| p.status == 200) {
        if let Some(etag) = &p.etag {
            headers.push(("If-None-Match".to_string(), etag.clone()));
        }
        if let Some(lm) = &p.last_modified {
            headers.push(("If-Modified-Since".to_string(), lm.clone()));
        }
    }
    headers
}

/// A validator header worth keeping: printable, bounded.
fn validator(capture: &Capture, name: &str) -> Option<String> {
    capture
        .header(name)
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 512)
        .map(str::to_string)
}

/// The state to keep about a URL after this capture: a full response becomes the record
/// later revisits refer to; a revisit keeps the earlier record and refreshes the validators.
pub(super) fn capture_state(
    capture: &Capture,
    written: &Written,
    previous: Option<&CaptureState>,
) -> CaptureState {
    let complete = capture.truncated.is_none();
    let etag = validator(capture, "etag").filter(|_| complete);
    let last_modified = validator(capture, "last-modified").filter(|_| complete);
    match (written.revisit, previous) {
        (Some(_), Some(p)) => CaptureState {
            captured_at: capture.started,
            first_captured_at: p.first_captured_at,
            status: p.status,
            etag: etag.or_else(|| p.etag.clone()),
            last_modified: last_modified.or_else(|| p.last_modified.clone()),
            payload_digest: p.payload_digest.clone(),
            record: p.record.clone(),
            described: true,
        },
        _ => CaptureState {
            captured_at: capture.started,
            first_captured_at: previous.map_or(capture.started, |p| p.first_captured_at),
            status: capture.status,
            etag,
            last_modified,
            payload_digest: written.location.payload_digest.clone(),
            record: StoredRecord {
                file: written.location.response.file.clone(),
                offset: written.location.response.offset,
                id: written.location.response.id.0.clone(),
                date: capture.started,
            },
            described: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn conditional_requests_use_the_validators_of_the_last_200() {
        let previous = CaptureState {
            captured_at: Utc::now(),
            first_captured_at: "2026-01-01T00:00:00Z".parse().expect("date"),
            status: 200,
            etag: Some("\"old\"".into()),
            last_modified: None,
            payload_digest: "sha1:OLD".into(),
            record: StoredRecord {
                file: "a.warc.zst".into(),
                offset: 10,
                id: "<urn:uuid:1>".into(),
                date: Utc::now(),
            },
            described: false,
        };
        let headers = conditional_headers(Some(&previous));
        assert_eq!(
            headers,
            vec![("If-None-Match".to_string(), "\"old\"".to_string())]
        );
        let gone = CaptureState {
            status: 404,
            ..previous.clone()
        };
        assert!(conditional_headers(Some(&gone)).is_empty());
        assert!(conditional_headers(None).is_empty());
        let mut headers = http::HeaderMap::new();
        headers.insert("etag", "\"new\"".parse().expect("header value"));
        let not_modified = Capture {
            url: "http://news.test/a".parse().expect("url"),
            started: Utc::now(),
            ip: None,
            request: Vec::new(),
            status: 304,
            response_head: Vec::new(),
            headers,
            body: bytes::Bytes::new(),
            truncated: None,
            elapsed: std::time::Duration::ZERO,
        };
        assert_eq!(validator(&not_modified, "etag").as_deref(), Some("\"new\""));
        assert_eq!(validator(&not_modified, "last-modified"), None);
    }
}
