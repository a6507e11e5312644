//! What the writer tells its callers about the records it wrote: where they went, and
//! what a `revisit` record refers to.

use chrono::{DateTime, Utc};

use super::super::RecordId;

/// Where a record was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordLocation {
    /// The final file name (without `.open`), relative to the archive directory.
    pub file: String,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Length of the frame/member in the file.
    pub length: u64,
    /// The record's id.
    pub id: RecordId,
}

/// Where a capture's records were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureLocation {
    /// The request record.
    pub request: RecordLocation,
    /// The response record.
    pub response: RecordLocation,
    /// `sha1:<base32>` of the payload.
    pub payload_digest: String,
}

/// The profile of a `revisit` record (WARC 1.1, section 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisitProfile {
    /// The server answered `304 Not Modified` to a conditional request.
    ServerNotModified,
    /// The server sent a payload identical (same digest) to an earlier capture.
    IdenticalPayloadDigest,
}

impl RevisitProfile {
    /// The `WARC-Profile` URI.
    pub fn uri(self) -> &'static str {
        match self {
            RevisitProfile::ServerNotModified => {
                "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
            }
            RevisitProfile::IdenticalPayloadDigest => {
                "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
            }
        }
    }
}

/// The earlier full response a `revisit` record refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisitOf {
    /// Its `WARC-Record-ID` (`WARC-Refers-To`).
    pub record_id: String,
    /// Its `WARC-Target-URI` (`WARC-Refers-To-Target-URI`).
    pub target_uri: String,
    /// Its `WARC-Date` (`WARC-Refers-To-Date`).
    pub date: DateTime<Utc>,
    /// Its `WARC-Payload-Digest`.
    pub payload_digest: String,
}

/// What the records of one exchange share: date, URI, address, file and the two ids.
pub(super) struct Exchange {
    pub(super) date: String,
    pub(super) uri: String,
    pub(super) ip: Option<String>,
    pub(super) warcinfo_id: String,
    pub(super) file: String,
    pub(super) request_id: RecordId,
    pub(super) response_id: RecordId,
}

impl Exchange {
    /// Where the exchange's two records went.
    pub(super) fn locations(
        self,
        (req_off, req_len): (u64, u64),
        (resp_off, resp_len): (u64, u64),
        payload_digest: String,
    ) -> CaptureLocation {
        CaptureLocation {
            request: RecordLocation {
                file: self.file.clone(),
                offset: req_off,
                length: req_len,
                id: self.request_id,
            },
            response: RecordLocation {
                file: self.file,
                offset: resp_off,
                length: resp_len,
                id: self.response_id,
            },
            payload_digest,
        }
    }
}
