//! Serves a [`DemoSite`] over HTTP on a local address, in the current tokio runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use super::site::DemoSite;

/// The demo site, listening. Dropping it (or [`DemoServer::stop`]) stops the server.
pub struct DemoServer {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    shutdown: CancellationToken,
}

#[derive(Clone)]
struct Shared {
    site: Arc<DemoSite>,
    requests: Arc<AtomicU64>,
}

impl DemoServer {
    /// Binds `addr` (port 0 for any free port) and serves `site` until stopped.
    pub async fn start(site: Arc<DemoSite>, addr: SocketAddr) -> std::io::Result<DemoServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let shared = Shared {
            site,
            requests: Arc::clone(&requests),
        };
        let app = Router::new().fallback(answer).with_state(shared);
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!("demo site server failed: {e}");
            }
        });
        Ok(DemoServer {
            addr,
            requests,
            shutdown,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Stops serving.
    pub fn stop(&self) {
        self.shutdown.cancel();
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// One response: the page for the path (and query), 304 for a matching conditional
/// request, 404 otherwise.
async fn answer(State(shared): State<Shared>, request: Request) -> Response {
    shared.requests.fetch_add(1, Ordering::Relaxed);
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let Some(page) = shared.site.pages.get(&path) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "page introuvable\n",
        )
            .into_response();
    };
    let etag = format!("\"{:016x}\"", fnv1a(page.body.as_bytes()));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(page.content_type),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(time) = page.last_modified {
        let text = time.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        if let Ok(value) = HeaderValue::from_str(&text) {
            headers.insert(header::LAST_MODIFIED, value);
        }
    }
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent.split(',').any(|t| t.trim() == etag));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (StatusCode::OK, headers, page.body.clone()).into_response()
}

/// FNV-1a, 64 bits: a stable validator for a page body.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
