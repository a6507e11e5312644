//! `server-not-modified` revisits are left out of the package's index.
//!
//! An incremental crawl that gets `304 Not Modified` writes a revisit whose block is the
//! 304 head and whose `WARC-Payload-Digest` is the earlier capture's. Both readers replay
//! such a revisit as an empty 304: pywb 2.10 serves the revisit's own head with the
//! original payload, and ReplayWeb.page (wabac.js) answers any revisit with a 3xx status
//! from its head alone. An index line that names the original record at the revisit's
//! time does not help either: pywb then replays the article, but ReplayWeb.page refuses a
//! record whose `WARC-Date` differs from the line's timestamp ("Wrong timestamp"). So the
//! line of a 304 revisit is left out: both readers replay the capture the server confirmed,
//! at its own date. The revisit record itself stays in `archive/`, byte for byte.
//!
//! Revisits of an identical payload (a 200 answer with the same digest) are indexed as
//! revisits: both readers resolve them to the original payload with their own 200 head.

use super::cdx::http_head;
use super::raw::RawRecord;
use crate::read::index::http_status;

/// True for a revisit record whose HTTP head is a `304 Not Modified` (see the module
/// documentation): its record is packaged, its index line is not written.
pub fn is_not_modified_revisit(record: &RawRecord) -> bool {
    record.record_type() == Some("revisit")
        && http_head(record).and_then(http_status).as_deref() == Some("304")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rtype: &str, status: &str, content_type: &str) -> RawRecord {
        let block = format!("HTTP/1.1 {status} X\r\nETag: \"a\"\r\n\r\n");
        let head = format!(
            "WARC/1.1\r\nWARC-Type: {rtype}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\nWARC-Target-URI: http://news.test/a\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            block.len()
        );
        RawRecord {
            header_len: head.len(),
            bytes: format!("{head}{block}\r\n\r\n").into_bytes(),
            fields: vec![
                ("WARC-Type".into(), rtype.into()),
                ("WARC-Date".into(), "2024-05-01T10:00:00Z".into()),
                ("WARC-Target-URI".into(), "http://news.test/a".into()),
                ("Content-Type".into(), content_type.into()),
            ],
        }
    }

    const HTTP: &str = "application/http;msgtype=response";

    #[test]
    fn only_304_revisits_are_left_out() {
        let left_out = [
            record("response", "200", HTTP),
            record("revisit", "304", HTTP),
            // An identical-payload revisit (200): the readers resolve it.
            record("revisit", "200", HTTP),
            // A 304 response that is no revisit, and a revisit that is no HTTP exchange.
            record("response", "304", HTTP),
            record("revisit", "304", "text/plain"),
        ]
        .iter()
        .map(is_not_modified_revisit)
        .collect::<Vec<_>>();
        assert_eq!(left_out, [false, true, false, false, false]);
    }
}
