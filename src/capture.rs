//! One HTTP exchange as it went over the wire: what the fetcher produces, what the
//! WARC writer stores and what the extractor reads.

use std::net::IpAddr;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

/// Why a response body was cut short; written as `WARC-Truncated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// The body exceeded the configured `max_body_bytes`.
    Length,
    /// The total or read-idle timeout expired mid-body.
    Time,
    /// The connection closed or reset mid-body.
    Disconnect,
}

impl Truncation {
    /// The value of the `WARC-Truncated` header.
    pub fn as_warc_value(self) -> &'static str {
        match self {
            Truncation::Length => "length",
            Truncation::Time => "time",
            Truncation::Disconnect => "disconnect",
        }
    }
}

/// One request and its response.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The URL requested.
    pub url: Url,
    /// When the request started (becomes `WARC-Date`).
    pub started: DateTime<Utc>,
    /// The server's IP address, when known (becomes `WARC-IP-Address`).
    pub ip: Option<IpAddr>,
    /// The request as sent: request line, headers, blank line (and body, if any).
    pub request: Vec<u8>,
    /// HTTP status code.
    pub status: u16,
    /// Status line and header lines as received, ending with the blank line (`\r\n\r\n`).
    pub response_head: Vec<u8>,
    /// The parsed response headers (same content as `response_head`).
    pub headers: http::HeaderMap,
    /// The entity body as received: `Content-Encoding` intact, transfer coding removed.
    pub body: Bytes,
    /// Set when the body was cut short.
    pub truncated: Option<Truncation>,
    /// Time from request start to the end of the body.
    pub elapsed: Duration,
}

impl Capture {
    /// The first value of a response header, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Content-Type` header's value, if any.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// True for 301, 302, 303, 307 and 308.
    pub fn is_redirect(&self) -> bool {
        matches!(self.status, 301 | 302 | 303 | 307 | 308)
    }

    /// The redirect target, resolved against the request URL, for a redirect status.
    pub fn redirect_target(&self) -> Option<Url> {
        if !self.is_redirect() {
            return None;
        }
        let location = self.header("location")?;
        self.url.join(location.trim()).ok()
    }
}
