//! The site of the long-run benchmark (`scripts/bench-scale.sh`): the embedded demo news
//! site (`glaneur::demo`) served on loopback under any host name. Every host is a complete
//! site of about `--pages-per-host` resources (articles with their listings, robots.txt,
//! sitemap, feeds); its absolute links (canonical, sitemap, feeds) name the host asked
//! for. `--variants` sites are generated from different seeds and each host is served one
//! of them (by a hash of its name), so that the archive does not hold one page a million
//! times.
//!
//! The server counts the requests and, per host, the requests that came less than a
//! second after the `R`-th request before them (`--rate R`: more than R requests in a
//! one-second window, with 10 ms of tolerance; the strict count has none). It keeps only
//! the last `R` arrival times of each host, and the histogram of the gaps between a host's
//! consecutive arrivals in units of the interval 1/R (`gap_lt0.5`, `gap_ge0.5`, …
//! `gap_ge2`) with the smallest (`min_gap_ms`). Every second it rewrites `--stats FILE` with
//! `key=value` lines; it prints `addr=IP:PORT` on stdout once listening, and runs until
//! killed.
//!
//! usage: scale_site [--port 0] [--pages-per-host 500] [--variants 4] [--rate 1]
//!                   [--stats FILE]

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use clap::Parser;
use glaneur::demo::DemoSite;
use url::Url;

/// The host name the sites are generated under, replaced by the one asked for.
const PLACEHOLDER: &str = "http://scale-site.placeholder";

/// Command line (see the module documentation).
#[derive(Debug, Parser)]
#[command(about = "The demo news site under any host name, with per-host rate accounting")]
struct Args {
    /// Port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Resources per host (the number of articles is chosen to come closest below it).
    #[arg(long, default_value_t = 500)]
    pages_per_host: usize,
    /// Distinct sites (seeds); each host gets one of them.
    #[arg(long, default_value_t = 4)]
    variants: usize,
    /// Requests per second each host allows (for the violation counts).
    #[arg(long, default_value_t = 1.0)]
    rate: f64,
    /// File rewritten every second with the counts (`key=value` lines).
    #[arg(long)]
    stats: Option<PathBuf>,
}

/// One resource, its body cut where the host's URL goes.
struct Page {
    content_type: HeaderValue,
    parts: Vec<Bytes>,
    etag: HeaderValue,
}

/// The last arrivals of one host, and its violations.
#[derive(Default)]
struct HostHits {
    recent: VecDeque<Instant>,
}

/// Upper bounds of the gap histogram, in units of the interval 1/R (the last bucket is
/// open).
const GAP_EDGES: [f64; 9] = [0.5, 0.9, 0.99, 0.999, 1.0, 1.01, 1.1, 1.5, 2.0];

struct Site {
    variants: Vec<HashMap<String, Page>>,
    /// The allowed interval between two requests of a host (1/R).
    interval: Duration,
    /// Gaps between consecutive arrivals of a host, by [`GAP_EDGES`] bucket.
    gaps: [AtomicU64; GAP_EDGES.len() + 1],
    /// The smallest gap seen, in microseconds.
    min_gap_us: AtomicU64,
    /// Requests allowed in any one second, per host.
    per_second: usize,
    requests: AtomicU64,
    violations: AtomicU64,
    strict_violations: AtomicU64,
    hosts: Mutex<HashMap<String, HostHits>>,
}

/// The demo site with about `pages` resources (binary search on the article count).
fn site_of_size(seed: u64, pages: usize, base: &Url) -> DemoSite {
    let (mut low, mut high) = (1u32, glaneur::demo::MAX_ARTICLES);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if DemoSite::generate(seed, mid, base).pages.len() <= pages {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    DemoSite::generate(seed, low, base)
}

fn cut(site: &DemoSite) -> HashMap<String, Page> {
    site.pages
        .iter()
        .map(|(path, page)| {
            let parts = page
                .body
                .split(PLACEHOLDER)
                .map(|p| Bytes::copy_from_slice(p.as_bytes()))
                .collect();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            page.body.hash(&mut hasher);
            let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))
                .unwrap_or(HeaderValue::from_static("\"0\""));
            let content_type = HeaderValue::from_static(page.content_type);
            (
                path.clone(),
                Page {
                    content_type,
                    parts,
                    etag,
                },
            )
        })
        .collect()
}

/// A Host header we answer: letters, digits, dots, hyphens and a port.
fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
}

impl Site {
    fn record(&self, host: &str, at: Instant) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let Ok(mut hosts) = self.hosts.lock() else {
            return;
        };
        let hits = hosts.entry(host.to_string()).or_default();
        if let Some(last) = hits.recent.back() {
            let gap = at.duration_since(*last);
            let ratio = gap.as_secs_f64() / self.interval.as_secs_f64();
            let bucket = GAP_EDGES.iter().filter(|e| ratio >= **e).count();
            self.gaps[bucket].fetch_add(1, Ordering::Relaxed);
            let us = u64::try_from(gap.as_micros()).unwrap_or(u64::MAX);
            self.min_gap_us.fetch_min(us, Ordering::Relaxed);
        }
        if hits.recent.len() == self.per_second
            && let Some(oldest) = hits.recent.pop_front()
        {
            let spanned = at.duration_since(oldest);
            if spanned < Duration::from_secs(1) {
                self.strict_violations.fetch_add(1, Ordering::Relaxed);
            }
            if spanned + Duration::from_millis(10) < Duration::from_secs(1) {
                self.violations.fetch_add(1, Ordering::Relaxed);
            }
        }
        hits.recent.push_back(at);
    }

    fn stats(&self) -> String {
        let hosts = self.hosts.lock().map(|h| h.len()).unwrap_or(0);
        let mut out = format!(
            "requests={}\nviolations={}\nstrict_violations={}\nhosts_seen={hosts}\n",
            self.requests.load(Ordering::Relaxed),
            self.violations.load(Ordering::Relaxed),
            self.strict_violations.load(Ordering::Relaxed),
        );
        let min = self.min_gap_us.load(Ordering::Relaxed);
        if min != u64::MAX {
            out.push_str(&format!("min_gap_ms={:.3}\n", min as f64 / 1000.0));
        }
        for (i, n) in self.gaps.iter().enumerate() {
            let label = match i {
                0 => format!("lt{}", GAP_EDGES[0]),
                i => format!("ge{}", GAP_EDGES[i - 1]),
            };
            out.push_str(&format!("gap_{label}={}\n", n.load(Ordering::Relaxed)));
        }
        out
    }
}

async fn answer(State(site): State<Arc<Site>>, request: Request) -> Response {
    let at = Instant::now();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !valid_host(&host) {
        return (StatusCode::BAD_REQUEST, "bad Host header\n").into_response();
    }
    site.record(&host, at);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    host.hash(&mut hasher);
    let variant = (hasher.finish() % site.variants.len() as u64) as usize;
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let Some(page) = site.variants[variant].get(path) else {
        return (StatusCode::NOT_FOUND, "page introuvable\n").into_response();
    };
    let sent = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == page.etag.as_bytes());
    let headers = [
        (header::CONTENT_TYPE, page.content_type.clone()),
        (header::ETAG, page.etag.clone()),
    ];
    if sent {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let origin = format!("http://{host}");
    let mut body = Vec::with_capacity(page.parts.iter().map(Bytes::len).sum::<usize>() + 256);
    for (i, part) in page.parts.iter().enumerate() {
        if i > 0 {
            body.extend_from_slice(origin.as_bytes());
        }
        body.extend_from_slice(part);
    }
    (StatusCode::OK, headers, Body::from(body)).into_response()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.variants == 0 || args.pages_per_host < 10 || args.rate.is_nan() || args.rate <= 0.0 {
        return Err("--variants must be positive, --pages-per-host at least 10, --rate > 0".into());
    }
    let base = Url::parse(&format!("{PLACEHOLDER}/"))?;
    let variants: Vec<HashMap<String, Page>> = (0..args.variants)
        .map(|v| cut(&site_of_size(2024 + v as u64, args.pages_per_host, &base)))
        .collect();
    let site = Arc::new(Site {
        per_second: args.rate.floor().max(1.0) as usize,
        interval: Duration::from_secs_f64(1.0 / args.rate),
        gaps: Default::default(),
        min_gap_us: AtomicU64::new(u64::MAX),
        requests: AtomicU64::new(0),
        violations: AtomicU64::new(0),
        strict_violations: AtomicU64::new(0),
        hosts: Mutex::new(HashMap::new()),
        variants,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
        let mut out = std::io::stdout();
        writeln!(out, "addr={}", listener.local_addr()?)?;
        writeln!(out, "pages_per_host={}", site.variants[0].len())?;
        out.flush()?;
        if let Some(path) = args.stats.clone() {
            let site = Arc::clone(&site);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let tmp = path.with_extension("tmp");
                    if std::fs::write(&tmp, site.stats()).is_ok() {
                        let _ = std::fs::rename(&tmp, &path);
                    }
                }
            });
        }
        let app = Router::new().fallback(answer).with_state(site);
        axum::serve(listener, app).await?;
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
