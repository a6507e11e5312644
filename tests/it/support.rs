//! Test support: an in-process news site on loopback, several host names through DNS
//! overrides, crawl settings for a temp archive, and helpers that read the records back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use glaneur::config::{Policy, SiteProfile};
use glaneur::crawl::{self, CrawlSettings, CrawlSummary, OutputMode};
use glaneur::warc::{Compression, Record, read_records};

/// One request seen by a test server.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The `Host` header.
    pub host: String,
    /// Path and query.
    pub path: String,
    /// When it arrived.
    pub at: Instant,
    /// Its `If-None-Match` header.
    pub if_none_match: Option<String>,
    /// Its `If-Modified-Since` header.
    pub if_modified_since: Option<String>,
}

/// What a test site answers: path → handler output; unknown paths are 404.
pub type Pages = HashMap<String, Page>;

/// A canned response.
#[derive(Debug, Clone)]
pub struct Page {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Delay before answering.
    pub delay: Duration,
}

impl Page {
    /// A 200 HTML page.
    pub fn html(body: impl Into<String>) -> Page {
        Page {
            status: 200,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: body.into().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// A plain-text page with a status.
    pub fn text(status: u16, body: impl Into<String>) -> Page {
        Page {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    /// A redirect.
    pub fn redirect(status: u16, location: &str) -> Page {
        Page {
            status,
            headers: vec![("location".into(), location.into())],
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Page {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A running test server serving several virtual hosts.
pub struct TestServer {
    /// Its address on loopback.
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    sites: Arc<RwLock<HashMap<String, Pages>>>,
    shutdown: CancellationToken,
}

#[derive(Clone)]
struct ServerState {
    sites: Arc<RwLock<HashMap<String, Pages>>>,
    hits: Arc<Mutex<Vec<Hit>>>,
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn lookup_page(state: &ServerState, host: &str, path: &str) -> Option<Page> {
    let sites = state.sites.read().ok()?;
    sites.get(host).and_then(|pages| pages.get(path)).cloned()
}

async fn serve_page(State(state): State<ServerState>, request: Request) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let if_none_match = header_text(request.headers(), header::IF_NONE_MATCH);
    let if_modified_since = header_text(request.headers(), header::IF_MODIFIED_SINCE);
    if let Ok(mut hits) = state.hits.lock() {
        hits.push(Hit {
            host: host.clone(),
            path: path.clone(),
            at: Instant::now(),
            if_none_match: if_none_match.clone(),
            if_modified_since: if_modified_since.clone(),
        });
    }
    let page = lookup_page(&state, &host, &path);
    let Some(page) = page else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    // Conditional requests: a page with an ETag (or Last-Modified) that matches is a 304.
    let page_header = |name: &str| {
        page.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let not_modified = match (&if_none_match, page_header("etag")) {
        (Some(sent), Some(etag)) => sent.split(',').any(|t| t.trim() == etag),
        (None, _) => matches!(
            (&if_modified_since, page_header("last-modified")),
            (Some(sent), Some(lm)) if *sent == lm
        ),
        _ => false,
    };
    if page.status == 200 && not_modified {
        let mut headers = HeaderMap::new();
        if let Some(Ok(v)) = page_header("etag").map(|v| header::HeaderValue::from_str(&v)) {
            headers.insert(header::ETAG, v);
        }
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    if !page.delay.is_zero() {
        tokio::time::sleep(page.delay).await;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in &page.headers {
        if let (Ok(n), Ok(v)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            header::HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    }
    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, headers, Body::from(page.body)).into_response()
}

impl TestServer {
    /// Serves `sites` (host name → pages) on 127.0.0.1.
    pub async fn start(sites: HashMap<String, Pages>) -> TestServer {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let sites = Arc::new(RwLock::new(sites));
        let state = ServerState {
            sites: Arc::clone(&sites),
            hits: Arc::clone(&hits),
        };
        let app = Router::new().fallback(serve_page).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shutdown = CancellationToken::new();
        let token = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { token.cancelled().await })
                .await;
        });
        TestServer {
            addr,
            hits,
            sites,
            shutdown,
        }
    }

    /// Adds or replaces a page of `host` (the site changes between two crawls).
    pub fn set_page(&self, host: &str, path: &str, page: Page) {
        if let Ok(mut sites) = self.sites.write() {
            sites
                .entry(host.to_string())
                .or_default()
                .insert(path.to_string(), page);
        }
    }

    /// Removes a page of `host` (it answers 404 from now on).
    pub fn remove_page(&self, host: &str, path: &str) {
        if let Ok(mut sites) = self.sites.write()
            && let Some(pages) = sites.get_mut(host)
        {
            pages.remove(path);
        }
    }

    /// A page of `host`, as currently served.
    pub fn page(&self, host: &str, path: &str) -> Option<Page> {
        self.sites
            .read()
            .ok()
            .and_then(|sites| sites.get(host).and_then(|p| p.get(path)).cloned())
    }

    /// Forgets the requests seen so far.
    pub fn clear_hits(&self) {
        if let Ok(mut hits) = self.hits.lock() {
            hits.clear();
        }
    }

    /// Every request seen so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Paths requested on `host`, in order.
    pub fn paths(&self, host: &str) -> Vec<String> {
        self.hits()
            .into_iter()
            .filter(|h| h.host == host)
            .map(|h| h.path)
            .collect()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// An article page of the test news site, with an "À lire aussi" block.
pub fn article_html(id: u32, title: &str, related: &[u32]) -> String {
    let related: String = related
        .iter()
        .map(|r| format!("<li><a href=\"/2024/05/article-numero-{r:04}/\">Article {r}</a></li>"))
        .collect();
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{title} - Test News</title>\
         <link rel=\"canonical\" href=\"/2024/05/article-numero-{id:04}/\"></head><body>\
         <header><nav><a href=\"/\">Accueil</a> <a href=\"/category/cloud/\">Cloud</a> <a href=\"/private/admin\">Admin</a></nav></header>\
         <article><h1 class=\"entry-title\">{title}</h1>\
         <time class=\"entry-date published\" datetime=\"2024-05-{day:02}T09:15:00+02:00\">{day} mai 2024</time>\
         <div class=\"entry-content\"><p>Premier paragraphe de l'article {id}, assez long pour être un vrai paragraphe de texte journalistique.</p>\
         <div class=\"lire-aussi\"><strong>À lire aussi :</strong><ul>{related}</ul></div>\
         <p>Second paragraphe de l'article {id} qui conclut le propos avec quelques mots de plus.</p></div>\
         <div class=\"cat-links\">Categories: <a rel=\"category tag\" href=\"/category/cloud/\">Cloud</a></div>\
         </article><footer><a href=\"mailto:redaction@example.org\">Contact</a> <a href=\"javascript:void(0)\">Haut</a></footer></body></html>",
        day = (id % 28) + 1
    )
}

/// A small news site: home page, a category listing, `n` articles linked in a chain of
/// related blocks, a private area disallowed by robots.txt.
pub fn news_site(n: u32) -> Pages {
    let mut pages = Pages::new();
    pages.insert(
        "/robots.txt".into(),
        Page::text(200, "User-agent: *\nDisallow: /private/\n"),
    );
    let first: String = (1..=n.min(2))
        .map(|i| format!("<a href=\"/2024/05/article-numero-{i:04}/\">Article {i}</a> "))
        .collect();
    pages.insert(
        "/".into(),
        Page::html(format!(
            "<html><body><h1>Test News</h1>{first}<a href=\"/category/cloud/\">Cloud</a> <a href=\"/private/admin\">Admin</a></body></html>"
        )),
    );
    pages.insert(
        "/category/cloud/".into(),
        Page::html(format!("<html><body><h1>Cloud</h1>{first}</body></html>")),
    );
    pages.insert(
        "/private/admin".into(),
        Page::html("<html><body>secret</body></html>"),
    );
    for i in 1..=n {
        let related: Vec<u32> = [i + 1, i + 2].into_iter().filter(|r| *r <= n).collect();
        pages.insert(
            format!("/2024/05/article-numero-{i:04}/"),
            Page::html(article_html(
                i,
                &format!("Titre de l'article {i}"),
                &related,
            )),
        );
    }
    pages
}

/// A policy for tests: private networks allowed (loopback), fast, short timeouts.
pub fn test_policy() -> Policy {
    let mut policy = Policy {
        user_agent: "glaneur-test/0.1 (+https://example.org/contact)".into(),
        allow_private_networks: true,
        ..Policy::default()
    };
    policy.default.requests_per_second = 1000.0;
    policy.default.burst = 100;
    policy.default.max_concurrent = 4;
    policy.default.timeout = Duration::from_secs(5);
    policy.default.read_timeout = Duration::from_secs(2);
    policy.default.connect_timeout = Duration::from_secs(2);
    policy.default.retries = 1;
    policy
}

/// Crawl settings for `start` URLs (generic profiles) into `dir`, names resolved to `server`.
pub fn settings(dir: &Path, server: &TestServer, hosts: &[&str], start: &[&str]) -> CrawlSettings {
    let sites = start
        .iter()
        .map(|s| SiteProfile::generic(&url::Url::parse(s).expect("start URL")))
        .collect();
    CrawlSettings {
        sites,
        policy: test_policy(),
        archive_dir: dir.join("archive"),
        state_path: dir.join("archive").join("state.sqlite"),
        shared_state: None,
        max_pages: None,
        max_depth: None,
        max_duration: None,
        compression: Compression::Zstd,
        resolve: hosts.iter().map(|h| (h.to_string(), server.addr)).collect(),
        output: OutputMode::Quiet,
        render: Default::default(),
    }
}

/// Runs a crawl to its end.
pub async fn crawl(settings: CrawlSettings) -> CrawlSummary {
    crawl::run(settings, CancellationToken::new())
        .await
        .expect("crawl runs")
}

/// The WARC files in `dir`, sorted.
pub fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".warc.zst")
                        || name.ends_with(".warc.gz")
                        || name.ends_with(".warc")
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Every record of every WARC file in `dir`.
pub fn all_records(dir: &Path) -> Vec<Record> {
    warc_files(dir)
        .iter()
        .flat_map(|f| read_records(f).expect("readable WARC file"))
        .collect()
}

/// The target URIs of the response records in `dir`.
pub fn response_uris(dir: &Path) -> Vec<String> {
    all_records(dir)
        .into_iter()
        .filter(|r| r.header("WARC-Type") == Some("response"))
        .filter_map(|r| r.header("WARC-Target-URI").map(str::to_string))
        .collect()
}

/// Runs the `glaneur` binary of this build with `args`, in the current directory.
pub fn glaneur(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args)
        .output()
        .expect("run glaneur")
}

/// Opens `serve`'s app on `archive` (state in `state`), refreshes it once on a blocking
/// thread, and answers one `GET` of `uri` with the JSON body it returns.
pub async fn serve_api(archive: &Path, state: &Path, uri: &str) -> serde_json::Value {
    use tower::ServiceExt;
    let app = glaneur::serve::App::open(&glaneur::serve::ServeConfig {
        archive: archive.to_path_buf(),
        state_dir: Some(state.to_path_buf()),
        verify: false,
    })
    .expect("open");
    let refresh = Arc::clone(&app);
    tokio::task::spawn_blocking(move || refresh.refresh().expect("refresh"))
        .await
        .expect("refresh task");
    let res = glaneur::serve::router(app)
        .oneshot(
            axum::http::Request::get(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("answer");
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .expect("body");
    serde_json::from_slice(&bytes).expect("JSON answer")
}
