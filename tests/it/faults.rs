//! Fault injection: hostile servers, bad input and a full disk, on loopback. Each test is
//! one case of the robustness issue and asserts what the crawl does: it goes on with the
//! other hosts, records what it got in the WARC and the state, and reports the error.

mod content;
mod disk;
mod malformed;
mod raw;
mod redirects;
mod robots;
mod slow;
mod status;
use crate::support;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use glaneur::config::{Policy, SiteProfile};
use glaneur::crawl::{self, CrawlSettings, CrawlSummary, OutputMode, StopReason};
use glaneur::fetch::{FetchError, FetchRequest, Fetcher, FetcherConfig};
use glaneur::frontier::SqliteFrontier;
use glaneur::warc::{Compression, Record};
use raw::{RawHit, RawServer, Step, head, html, not_found, response};
use support::{all_records, test_policy};
use tokio_util::sync::CancellationToken;
use url::Url;

/// The test policy with short timeouts and no retries (tests that need retries set them).
fn fault_policy() -> Policy {
    let mut policy = test_policy();
    policy.default.timeout = Duration::from_secs(2);
    policy.default.read_timeout = Duration::from_secs(1);
    policy.default.connect_timeout = Duration::from_secs(1);
    policy.default.retries = 0;
    policy
}

/// Crawl settings: generic profiles for `start`, every host of `hosts` resolved to `addr`.
fn settings_at(dir: &Path, addr: SocketAddr, hosts: &[&str], start: &[&str]) -> CrawlSettings {
    let sites = start
        .iter()
        .map(|s| SiteProfile::generic(&Url::parse(s).expect("start URL")))
        .collect();
    CrawlSettings {
        sites,
        policy: fault_policy(),
        archive_dir: dir.join("archive"),
        state_path: dir.join("state.sqlite"),
        shared_state: None,
        max_pages: None,
        max_depth: Some(10),
        max_duration: None,
        compression: Compression::Zstd,
        resolve: hosts.iter().map(|h| (h.to_string(), addr)).collect(),
        output: OutputMode::Quiet,
        render: Default::default(),
    }
}

async fn run(settings: CrawlSettings) -> CrawlSummary {
    crawl::run(settings, CancellationToken::new())
        .await
        .expect("the crawl runs to its end")
}

fn responses(dir: &Path) -> Vec<Record> {
    all_records(&dir.join("archive"))
        .into_iter()
        .filter(|r| r.record_type() == Some("response"))
        .collect()
}

fn response_for(dir: &Path, url: &str) -> Vec<Record> {
    responses(dir)
        .into_iter()
        .filter(|r| r.header("WARC-Target-URI") == Some(url))
        .collect()
}

fn status_of(record: &Record) -> u16 {
    let head = record.http_head().expect("an HTTP response record");
    let line = String::from_utf8_lossy(head);
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code")
}

fn state(dir: &Path, url: &str) -> glaneur::frontier::UrlRecord {
    let frontier = SqliteFrontier::open(&dir.join("state.sqlite")).expect("state opens");
    frontier
        .lookup(&Url::parse(url).expect("URL"))
        .expect("lookup")
        .unwrap_or_else(|| panic!("{url} is in the state"))
}

/// A well-behaved small site: `/` links to three pages, robots.txt allows everything.
fn good_site(hit: &RawHit) -> Vec<Step> {
    match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => html(
            "<html><body><a href=\"/p1\">1</a> <a href=\"/p2\">2</a> <a href=\"/p3\">3</a></body></html>",
        ),
        "/p1" | "/p2" | "/p3" => html("<html><body><p>page</p></body></html>"),
        _ => not_found(),
    }
}

fn good_site_complete(server: &RawServer, host: &str) {
    let mut paths = server.paths(host);
    paths.sort();
    assert_eq!(paths, ["/", "/p1", "/p2", "/p3", "/robots.txt"], "{host}");
}

fn fetcher(allow_private: bool, resolve: Vec<(String, SocketAddr)>) -> Fetcher {
    Fetcher::new(FetcherConfig {
        user_agent: "glaneur-test/0.1".into(),
        allow_private_networks: allow_private,
        resolve,
        connect_timeout: Duration::from_secs(1),
    })
    .expect("client")
}

fn request(url: &str) -> FetchRequest {
    FetchRequest {
        url: Url::parse(url).expect("URL"),
        headers: Vec::new(),
        max_body_bytes: 1 << 20,
        timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
    }
}
