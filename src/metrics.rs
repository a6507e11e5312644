//! Prometheus metrics of a running crawl (`glaneur crawl --metrics ADDR`): the crawl's own
//! [`Counters`] (the numbers of the progress line and of the JSON summary) rendered in the
//! Prometheus text exposition format (version 0.0.4) at `/metrics`.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use crate::crawl::Counters;

/// The `Content-Type` of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What `/metrics` shows: the live counters of one crawl.
#[derive(Debug)]
pub struct CrawlMetrics {
    /// The crawl's counters (shared with the crawl).
    pub counters: Arc<Counters>,
    /// When the process started crawling.
    pub started: DateTime<Utc>,
    /// False once the crawl has ended (`glaneur_up` 0 while the endpoint lingers).
    pub running: AtomicBool,
}

impl CrawlMetrics {
    /// Metrics over `counters`, for a crawl starting now.
    pub fn new(counters: Arc<Counters>) -> CrawlMetrics {
        CrawlMetrics {
            counters,
            started: Utc::now(),
            running: AtomicBool::new(true),
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.render_liveness(&mut out);
        self.render_requests(&mut out);
        self.render_outcomes(&mut out);
        self.render_rate_waits(&mut out);
        out
    }

    /// `glaneur_up` and `glaneur_start_time_seconds`.
    fn render_liveness(&self, out: &mut String) {
        let up = u64::from(self.running.load(Ordering::Relaxed));
        gauge(
            out,
            "glaneur_up",
            "1 while the crawl runs, 0 once it ended.",
            up,
        );
        let start = self.started.timestamp_millis() as f64 / 1000.0;
        metric(
            out,
            "glaneur_start_time_seconds",
            "gauge",
            "Start of the crawl, seconds since the Unix epoch.",
            &[(String::new(), format!("{start:.3}"))],
        );
    }

    /// Pages, requests, responses by status class and fetch errors by kind.
    fn render_requests(&self, out: &mut String) {
        let c = &self.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        counter(
            out,
            "glaneur_pages_total",
            "Pages archived (robots.txt excluded).",
            get(&c.pages),
        );
        counter(
            out,
            "glaneur_requests_total",
            "HTTP requests sent, robots.txt included.",
            get(&c.requests),
        );
        let classes: Vec<(String, String)> = c
            .status_classes
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{{class=\"{}xx\"}}", i + 1), get(n).to_string()))
            .collect();
        metric(
            out,
            "glaneur_responses_total",
            "counter",
            "HTTP responses by status class.",
            &classes,
        );
        let errors = [
            ("timeout", get(&c.errors_timeout)),
            ("network", get(&c.errors_network)),
            ("refused_private", get(&c.refused_private)),
            ("other", get(&c.errors_other)),
        ];
        let errors: Vec<(String, String)> = errors
            .iter()
            .map(|(kind, n)| (format!("{{kind=\"{kind}\"}}"), n.to_string()))
            .collect();
        metric(
            out,
            "glaneur_fetch_errors_total",
            "counter",
            "Fetch errors by kind (a retried URL counts once per attempt).",
            &errors,
        );
    }

    /// The summary's totals (errors, denials, bytes, articles) and the frontier's gauges.
    fn render_outcomes(&self, out: &mut String) {
        let c = &self.counters;
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        counter(
            out,
            "glaneur_errors_total",
            "Errors, as in the crawl summary.",
            get(&c.errors),
        );
        counter(
            out,
            "glaneur_robots_denied_total",
            "URLs skipped because robots.txt disallows them.",
            get(&c.robots_denied),
        );
        counter(
            out,
            "glaneur_refused_private_total",
            "Requests refused: the address is on a private network.",
            get(&c.refused_private),
        );
        counter(
            out,
            "glaneur_failed_urls_total",
            "URLs given up in this run.",
            get(&c.failed),
        );
        counter(
            out,
            "glaneur_fetched_bytes_total",
            "Bytes of HTTP bodies received.",
            get(&c.bytes_fetched),
        );
        counter(
            out,
            "glaneur_warc_bytes_written_total",
            "Bytes written to WARC files (compressed).",
            get(&c.bytes_written),
        );
        counter(
            out,
            "glaneur_article_records_total",
            "Article metadata records written.",
            get(&c.articles),
        );
        gauge(
            out,
            "glaneur_queue_length",
            "URLs waiting in the frontier.",
            get(&c.queued),
        );
        gauge(
            out,
            "glaneur_in_flight",
            "Requests in flight.",
            get(&c.in_flight),
        );
    }

    /// The waits for each host's rate: how many, and how long.
    fn render_rate_waits(&self, out: &mut String) {
        let c = &self.counters;
        let waits = c.rate_waits.lock().map(|w| w.by_host()).unwrap_or_default();
        let mut hosts: Vec<_> = waits.into_iter().collect();
        hosts.sort_by(|a, b| a.0.cmp(&b.0));
        let counts: Vec<(String, String)> = hosts
            .iter()
            .map(|(h, w)| {
                (
                    format!("{{host=\"{}\"}}", label_value(h)),
                    w.count.to_string(),
                )
            })
            .collect();
        metric(
            out,
            "glaneur_rate_waits_total",
            "counter",
            "Requests that waited for their host's rate, by host.",
            &counts,
        );
        let seconds: Vec<(String, String)> = hosts
            .iter()
            .map(|(h, w)| {
                (
                    format!("{{host=\"{}\"}}", label_value(h)),
                    format!("{:.3}", w.seconds),
                )
            })
            .collect();
        metric(
            out,
            "glaneur_rate_wait_seconds_total",
            "counter",
            "Seconds spent waiting for the host's rate, by host.",
            &seconds,
        );
    }
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    metric(
        out,
        name,
        "counter",
        help,
        &[(String::new(), value.to_string())],
    );
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    metric(
        out,
        name,
        "gauge",
        help,
        &[(String::new(), value.to_string())],
    );
}

/// One metric family: `# HELP`, `# TYPE`, then one sample per `(labels, value)`.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, String)]) {
    let _ = writeln!(
        out,
        "# HELP {name} {}",
        help.replace('\\', "\\\\").replace('\n', "\\n")
    );
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// A label value escaped as the exposition format requires (`\`, `"`, newline).
fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `/metrics` on `addr` until `stop` is cancelled; returns the bound address.
pub async fn serve(
    metrics: Arc<CrawlMetrics>,
    addr: SocketAddr,
    stop: CancellationToken,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(exposition))
        .with_state(metrics);
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("metrics endpoint failed: {e}");
        }
    });
    Ok(bound)
}

async fn exposition(State(metrics): State<Arc<CrawlMetrics>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_help_type_and_samples() {
        let counters = Arc::new(Counters::default());
        counters.pages.fetch_add(7, Ordering::Relaxed);
        counters.record_status(200);
        counters.record_status(404);
        counters.record_status(99);
        counters.record_rate_wait("a\"b.example", std::time::Duration::from_millis(250));
        let text = CrawlMetrics::new(counters).render();
        assert!(text.contains("# TYPE glaneur_pages_total counter\nglaneur_pages_total 7\n"));
        assert!(text.contains("glaneur_responses_total{class=\"2xx\"} 1\n"));
        assert!(text.contains("glaneur_responses_total{class=\"4xx\"} 1\n"));
        assert!(text.contains("glaneur_up 1\n"));
        assert!(text.contains("glaneur_rate_waits_total{host=\"a\\\"b.example\"} 1\n"));
        assert!(text.contains("glaneur_rate_wait_seconds_total{host=\"a\\\"b.example\"} 0.250\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (name, value) = line.rsplit_once(' ').expect("name value");
            assert!(name.starts_with("glaneur_"), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
