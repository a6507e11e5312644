//! The HTTP client: one request, one [`Capture`]. No automatic redirects (each hop is its
//! own capture), no automatic decompression (the archive keeps the bytes as they came),
//! body size and time limits, and a guard against private addresses.

mod decode;

pub use decode::{DecodeError, decode_content};

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::capture::Capture;

/// How to build the client.
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Allow connections to loopback, private, link-local and metadata addresses.
    pub allow_private_networks: bool,
    /// Host names resolved to fixed addresses instead of DNS (tests, and `--resolve`).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Time to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
}

/// One request to make.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    /// The URL (http or https).
    pub url: Url,
    /// Extra request headers (e.g. `If-None-Match`), sent after the standard ones.
    pub headers: Vec<(String, String)>,
    /// Cut the body after this many bytes (`Truncation::Length`).
    pub max_body_bytes: u64,
    /// Total time for the exchange; on expiry mid-body the capture is kept (`Truncation::Time`).
    pub timeout: Duration,
    /// Longest silence while reading the body.
    pub read_timeout: Duration,
}

/// A request that produced no response to archive.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL's address is private/loopback/link-local and such addresses are not allowed.
    #[error("refused to connect to {url}: {reason}")]
    Blocked {
        /// The URL.
        url: Url,
        /// Why.
        reason: String,
    },
    /// No response headers within the timeout.
    #[error("timed out waiting for {url}")]
    Timeout {
        /// The URL.
        url: Url,
    },
    /// DNS, connection, TLS or protocol failure before a response arrived.
    #[error("cannot fetch {url}: {message}")]
    Network {
        /// The URL.
        url: Url,
        /// The error chain in words.
        message: String,
    },
    /// The client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    /// Whether trying again later may help (timeouts and network errors).
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Timeout { .. } | FetchError::Network { .. })
    }
}

/// The HTTP client. Cheap to clone; share one per crawl.
#[derive(Debug, Clone)]
pub struct Fetcher {}

impl Fetcher {
    /// Builds the client.
    pub fn new(config: FetcherConfig) -> Result<Fetcher, FetchError> {
        todo!("{config:?}")
    }

    /// Makes one request (GET) and returns the exchange as it happened.
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Capture, FetchError> {
        todo!("{request:?}")
    }
}
