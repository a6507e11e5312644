//! The HTTP client: one request, one [`Capture`]. No automatic redirects (each hop is its
//! own capture), no automatic decompression (the archive keeps the bytes as they came),
//! body size and time limits, and a guard against private addresses.

mod decode;
mod guard;

pub use decode::{
    DecodeError, MAX_CODINGS, codings_of, decode_codings_prefix, decode_content,
    decode_content_prefix,
};
pub use guard::is_private_address;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use chrono::Utc;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use url::{Host, Position, Url};

use crate::capture::{Capture, Truncation};
use guard::{BlockedAddress, GuardedResolver};

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
        matches!(
            self,
            FetchError::Timeout { .. } | FetchError::Network { .. }
        )
    }
}

/// `Accept` sent with every request.
pub const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// `Accept-Language` sent with every request.
pub const ACCEPT_LANGUAGE: &str = "fr,en;q=0.8";
/// `Accept-Encoding` sent with every request (bodies are archived as received and
/// decoded by [`decode_content`]).
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Largest up-front allocation for a body, whatever `Content-Length` claims.
const MAX_CAPACITY_HINT: u64 = 8 << 20;

/// The HTTP client. Cheap to clone; share one per crawl.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    config: Arc<FetcherConfig>,
}

impl Fetcher {
    /// Builds the client.
    pub fn new(config: FetcherConfig) -> Result<Fetcher, FetchError> {
        // reqwest is built without a crypto provider: install ring once per process
        // (an error only means a provider is already installed).
        let _ = rustls::crypto::ring::default_provider().install_default();
        HeaderValue::from_str(&config.user_agent)
            .map_err(|e| FetchError::Client(format!("invalid user agent: {e}")))?;
        let resolver = GuardedResolver::new(&config.resolve, config.allow_private_networks);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .http1_only()
            .http1_title_case_headers()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(8)
            .no_proxy()
            .referer(false)
            .dns_resolver(Arc::new(resolver))
            .tls_backend_rustls()
            .build()
            .map_err(|e| FetchError::Client(error_chain(&e)))?;
        Ok(Fetcher {
            client,
            config: Arc::new(config),
        })
    }

    /// The configuration the client was built with.
    pub fn config(&self) -> &FetcherConfig {
        &self.config
    }

    /// The request headers sent for `request`, in the order they go on the wire
    /// (`Host` first, then `User-Agent`, `Accept`, `Accept-Language`, `Accept-Encoding`,
    /// then the request's extra headers; an extra header replaces a standard one of the
    /// same name).
    fn request_headers(&self, request: &FetchRequest) -> Result<HeaderMap, FetchError> {
        let url = &request.url;
        let invalid = |message: String| FetchError::Network {
            url: url.clone(),
            message,
        };
        let host = url
            .host_str()
            .ok_or_else(|| invalid("URL has no host".to_string()))?;
        let host = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let mut headers = HeaderMap::new();
        let host = HeaderValue::from_str(&host).map_err(|e| invalid(format!("host: {e}")))?;
        headers.insert(http::header::HOST, host);
        let ua = HeaderValue::from_str(&self.config.user_agent)
            .map_err(|e| invalid(format!("user agent: {e}")))?;
        headers.insert(http::header::USER_AGENT, ua);
        headers.insert(http::header::ACCEPT, HeaderValue::from_static(ACCEPT));
        headers.insert(
            http::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static(ACCEPT_LANGUAGE),
        );
        headers.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static(ACCEPT_ENCODING),
        );
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| invalid(format!("header name {name:?}: {e}")))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| invalid(format!("header {name}: {e}")))?;
            headers.insert(name, value);
        }
        Ok(headers)
    }

    /// Makes one request (GET) and returns the exchange as it happened.
    ///
    /// Errors before the response headers arrive are [`FetchError`]s; once headers are in,
    /// a capture is always returned, with [`Capture::truncated`] set when the body was cut
    /// by `max_body_bytes`, a timeout or a disconnection.
    pub async fn fetch(&self, request: &FetchRequest) -> Result<Capture, FetchError> {
        let url = &request.url;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(FetchError::Network {
                url: url.clone(),
                message: format!("unsupported scheme {:?}", url.scheme()),
            });
        }
        if !self.config.allow_private_networks {
            let literal: Option<IpAddr> = match url.host() {
                Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal.filter(|ip| is_private_address(*ip)) {
                return Err(FetchError::Blocked {
                    url: url.clone(),
                    reason: format!("{ip} is a private/loopback/link-local address"),
                });
            }
        }
        let headers = self.request_headers(request)?;
        let raw_request = reconstruct_request(url, &headers);

        let started = Utc::now();
        let clock = Instant::now();
        let deadline = tokio::time::Instant::now() + request.timeout;
        // Credentials in a URL are never sent (reqwest's request builder would turn them
        // into an `Authorization` header); the request is built whole so that exactly
        // `headers` go out.
        let mut send_url = url.clone();
        let _ = send_url.set_username("");
        let _ = send_url.set_password(None);
        let mut outgoing = reqwest::Request::new(reqwest::Method::GET, send_url);
        *outgoing.headers_mut() = headers;
        let send = self.client.execute(outgoing);
        let mut response = match tokio::time::timeout_at(deadline, send).await {
            Err(_) => return Err(FetchError::Timeout { url: url.clone() }),
            Ok(Err(e)) => return Err(classify_error(url, &e)),
            Ok(Ok(response)) => response,
        };

        let status = response.status();
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| r.as_bytes().to_vec())
            .unwrap_or_else(|| status.canonical_reason().unwrap_or("").as_bytes().to_vec());
        let version = if response.version() == http::Version::HTTP_10 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        };
        let response_head =
            reconstruct_response_head(version, status.as_u16(), &reason, response.headers());
        let ip = response.remote_addr().map(|a| a.ip());
        let response_headers = response.headers().clone();

        let hint = response
            .content_length()
            .unwrap_or(0)
            .min(request.max_body_bytes)
            .min(MAX_CAPACITY_HINT);
        let mut body = BodyBuffer::new(usize::try_from(hint).unwrap_or(0));
        let limit = request.max_body_bytes;
        let mut truncated = None;
        loop {
            let idle = tokio::time::Instant::now() + request.read_timeout;
            let wait_until = idle.min(deadline);
            match tokio::time::timeout_at(wait_until, response.chunk()).await {
                Err(_) => {
                    truncated = Some(Truncation::Time);
                    break;
                }
                Ok(Err(e)) => {
                    tracing::debug!(url = %url, error = %error_chain(&e), "body cut short");
                    truncated = Some(Truncation::Disconnect);
                    break;
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    let room = limit.saturating_sub(body.len() as u64);
                    if chunk.len() as u64 > room {
                        let room = usize::try_from(room).unwrap_or(usize::MAX);
                        body.push(chunk.slice(..room));
                        truncated = Some(Truncation::Length);
                        break;
                    }
                    body.push(chunk);
                }
            }
        }

        Ok(Capture {
            url: url.clone(),
            started,
            ip,
            request: raw_request,
            status: status.as_u16(),
            response_head,
            headers: response_headers,
            body: body.finish(),
            truncated,
            elapsed: clock.elapsed(),
        })
    }
}

/// A body being received: a single chunk is kept as is (no copy); from the second chunk
/// on, chunks are gathered in one buffer sized from `Content-Length` (capped).
struct BodyBuffer {
    single: Option<Bytes>,
    gathered: BytesMut,
    hint: usize,
}

impl BodyBuffer {
    fn new(hint: usize) -> BodyBuffer {
        BodyBuffer {
            single: None,
            gathered: BytesMut::new(),
            hint,
        }
    }

    fn len(&self) -> usize {
        self.single.as_ref().map_or(0, Bytes::len) + self.gathered.len()
    }

    fn push(&mut self, chunk: Bytes) {
        if self.single.is_none() && self.gathered.is_empty() {
            self.single = Some(chunk);
            return;
        }
        if let Some(first) = self.single.take() {
            self.gathered
                .reserve(self.hint.max(first.len() + chunk.len()));
            self.gathered.extend_from_slice(&first);
        }
        self.gathered.extend_from_slice(&chunk);
    }

    fn finish(self) -> Bytes {
        match self.single {
            Some(bytes) => bytes,
            None => self.gathered.freeze(),
        }
    }
}

/// The request as hyper writes it: request line in origin form, then the headers in
/// `HeaderMap` order with title-cased names (`http1_title_case_headers`), blank line.
fn reconstruct_request(url: &Url, headers: &HeaderMap) -> Vec<u8> {
    let target = &url[Position::BeforePath..Position::AfterQuery];
    let target = if target.is_empty() { "/" } else { target };
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    write_headers(&mut out, headers);
    out.extend_from_slice(b"\r\n");
    out
}

/// `HTTP/1.x <code> <reason>`, the headers (names title-cased, values byte-exact, in the
/// order hyper parsed them, repeated names grouped), blank line.
fn reconstruct_response_head(
    version: &str,
    status: u16,
    reason: &[u8],
    headers: &HeaderMap,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(format!("{version} {status} ").as_bytes());
    out.extend_from_slice(reason);
    out.extend_from_slice(b"\r\n");
    write_headers(&mut out, headers);
    out.extend_from_slice(b"\r\n");
    out
}

fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        title_case_into(out, name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Title-cases a header name the way hyper does: upper-case the first letter and every
/// letter after a `-`.
fn title_case_into(out: &mut Vec<u8>, name: &[u8]) {
    let mut upper = true;
    for &b in name {
        out.push(if upper { b.to_ascii_uppercase() } else { b });
        upper = b == b'-';
    }
}

/// The error chain in words.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = e.source();
    }
    message
}

/// Maps a reqwest error before headers to a [`FetchError`]: the SSRF guard's refusal,
/// a timeout, or a network error.
fn classify_error(url: &Url, error: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<BlockedAddress>() {
            return FetchError::Blocked {
                url: url.clone(),
                reason: blocked.to_string(),
            };
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout { url: url.clone() };
    }
    FetchError::Network {
        url: url.clone(),
        message: error_chain(error),
    }
}
