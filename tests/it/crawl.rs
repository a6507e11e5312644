//! End-to-end crawls against in-process sites on loopback.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use glaneur::crawl::{self, StopReason};
use glaneur::warc::Compression;
use support::*;
use tokio_util::sync::CancellationToken;

const NEWS: &str = "news.test";

fn one_site(pages: Pages) -> HashMap<String, Pages> {
    HashMap::from([(NEWS.to_string(), pages)])
}

fn article_path(i: u32) -> String {
    format!("/2024/05/article-numero-{i:04}/")
}

#[tokio::test]
async fn crawl_captures_every_article_once_following_related_blocks() {
    let server = TestServer::start(one_site(news_site(12))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
    s.max_depth = Some(20);
    let summary = crawl(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);

    let uris = response_uris(&dir.path().join("archive"));
    for i in 1..=12 {
        let url = format!("http://news.test{}", article_path(i));
        assert_eq!(
            uris.iter().filter(|u| **u == url).count(),
            1,
            "{url} captured once"
        );
    }
    // Articles 3..12 are only linked from "À lire aussi" blocks.
    let paths = server.paths(NEWS);
    assert!(paths.contains(&article_path(12)));
    let unique: HashSet<&String> = paths.iter().collect();
    assert_eq!(
        unique.len(),
        paths.len(),
        "no URL requested twice: {paths:?}"
    );
    assert!(
        summary.articles >= 12,
        "article records: {}",
        summary.articles
    );
}

#[tokio::test]
async fn crawl_skips_paths_disallowed_by_robots() {
    let server = TestServer::start(one_site(news_site(4))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = crawl(settings(
        dir.path(),
        &server,
        &[NEWS],
        &["http://news.test/"],
    ))
    .await;
    let paths = server.paths(NEWS);
    assert!(
        !paths.iter().any(|p| p.starts_with("/private/")),
        "{paths:?}"
    );
    assert_eq!(paths.iter().filter(|p| *p == "/robots.txt").count(), 1);
    assert!(summary.robots_denied >= 1);
    // robots.txt itself is archived.
    let uris = response_uris(&dir.path().join("archive"));
    assert!(uris.contains(&"http://news.test/robots.txt".to_string()));
}

#[tokio::test]
async fn robots_server_error_holds_back_only_that_host() {
    let mut broken = news_site(3);
    broken.insert("/robots.txt".into(), Page::text(503, "down"));
    let sites = HashMap::from([
        ("broken.test".to_string(), broken),
        (NEWS.to_string(), news_site(3)),
    ]);
    let server = TestServer::start(sites).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = settings(
        dir.path(),
        &server,
        &["broken.test", NEWS],
        &["http://broken.test/", "http://news.test/"],
    );
    // No retry of robots.txt here (tests/faults.rs covers the retries).
    let mut no_retry = settings.policy.default.clone();
    no_retry.retries = 0;
    settings.policy.hosts.insert("broken.test".into(), no_retry);
    let summary = crawl(settings).await;
    assert_eq!(server.paths("broken.test"), vec!["/robots.txt".to_string()]);
    assert!(server.paths(NEWS).contains(&article_path(3)));
    // broken.test's start URL failed for this run (the next run asks robots.txt again).
    assert_eq!(summary.failed, 1);
}

#[tokio::test]
async fn host_rate_limit_is_never_exceeded() {
    let server = TestServer::start(one_site(news_site(8))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
    s.policy.default.requests_per_second = 5.0;
    s.policy.default.burst = 1;
    s.max_depth = Some(20);
    crawl(s).await;
    let hits = server.hits();
    assert!(
        hits.len() >= 10,
        "enough requests to measure: {}",
        hits.len()
    );
    // At most 5 requests in any one-second window; allow 40 ms for scheduling jitter.
    for (i, first) in hits.iter().enumerate() {
        if let Some(sixth) = hits.get(i + 5) {
            let gap = sixth.at.duration_since(first.at);
            assert!(
                gap >= Duration::from_millis(960),
                "6 requests within {gap:?} starting at request {i}"
            );
        }
    }
}

#[tokio::test]
async fn redirects_are_recorded_as_captures_and_followed_in_scope() {
    let mut pages = news_site(2);
    pages.insert(
        "/".into(),
        Page::html("<html><body><a href=\"/old\">old</a> <a href=\"/away\">away</a></body></html>"),
    );
    pages.insert("/old".into(), Page::redirect(301, &article_path(1)));
    pages.insert(
        "/away".into(),
        Page::redirect(302, "http://elsewhere.test/page"),
    );
    let sites = HashMap::from([
        (NEWS.to_string(), pages),
        ("elsewhere.test".to_string(), news_site(1)),
    ]);
    let server = TestServer::start(sites).await;
    let dir = tempfile::tempdir().expect("temp dir");
    crawl(settings(
        dir.path(),
        &server,
        &[NEWS, "elsewhere.test"],
        &["http://news.test/"],
    ))
    .await;
    let records = all_records(&dir.path().join("archive"));
    let redirect = records
        .iter()
        .find(|r| {
            r.header("WARC-Type") == Some("response")
                && r.header("WARC-Target-URI") == Some("http://news.test/old")
        })
        .expect("the redirect is archived");
    assert!(redirect.block.starts_with(b"HTTP/1.1 301"));
    let uris = response_uris(&dir.path().join("archive"));
    assert!(uris.contains(&format!("http://news.test{}", article_path(1))));
    assert!(uris.contains(&"http://news.test/away".to_string()));
    assert!(
        server.paths("elsewhere.test").is_empty(),
        "out of scope not followed"
    );
}

#[tokio::test]
async fn oversized_bodies_are_truncated_and_marked() {
    let mut pages = news_site(1);
    let big = format!("<html><body>{}</body></html>", "x".repeat(50_000));
    pages.insert("/".into(), Page::html(big));
    let server = TestServer::start(one_site(pages)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
    s.policy.default.max_body_bytes = 10_000;
    crawl(s).await;
    let records = all_records(&dir.path().join("archive"));
    let home = records
        .iter()
        .find(|r| {
            r.header("WARC-Type") == Some("response")
                && r.header("WARC-Target-URI") == Some("http://news.test/")
        })
        .expect("home archived");
    assert_eq!(home.header("WARC-Truncated"), Some("length"));
    let head_end = home
        .block
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP head");
    let body_len = home.block.len() - head_end - 4;
    assert!(body_len <= 10_100, "body cut near the limit: {body_len}");
}

#[tokio::test]
async fn stopped_crawl_resumes_without_fetching_anything_twice() {
    let server = TestServer::start(one_site(news_site(15))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
    first.max_depth = Some(30);
    first.max_pages = Some(6);
    let summary = crawl(first.clone()).await;
    assert_eq!(summary.stop_reason, StopReason::MaxPages);
    assert!(summary.pending > 0, "work left for the second run");

    let mut second = first;
    second.max_pages = None;
    let summary = crawl(second).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);

    let pages: Vec<String> = server
        .paths(NEWS)
        .into_iter()
        .filter(|p| p != "/robots.txt")
        .collect();
    let unique: HashSet<&String> = pages.iter().collect();
    assert_eq!(
        unique.len(),
        pages.len(),
        "a URL was fetched twice: {pages:?}"
    );
    let uris = response_uris(&dir.path().join("archive"));
    for i in 1..=15 {
        let url = format!("http://news.test{}", article_path(i));
        assert_eq!(uris.iter().filter(|u| **u == url).count(), 1, "{url}");
    }
}

#[tokio::test]
async fn interrupted_crawl_saves_state_and_resumes() {
    let mut pages = news_site(10);
    for page in pages.values_mut() {
        page.delay = Duration::from_millis(30);
    }
    let server = TestServer::start(one_site(pages)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
    s.max_depth = Some(30);
    s.policy.default.max_concurrent = 1;
    let stop = CancellationToken::new();
    let run = tokio::spawn(crawl::run(s.clone(), stop.clone()));
    while server.hits().len() < 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.cancel();
    let summary = run.await.expect("join").expect("crawl");
    assert_eq!(summary.stop_reason, StopReason::Interrupted);
    assert!(summary.pending > 0);
    // The interrupted run closed its WARC files: no .open file is left.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("archive"))
        .expect("archive dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".open"))
        .collect();
    assert!(leftovers.is_empty());

    let summary = crawl(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let uris = response_uris(&dir.path().join("archive"));
    for i in 1..=10 {
        let url = format!("http://news.test{}", article_path(i));
        assert_eq!(uris.iter().filter(|u| **u == url).count(), 1, "{url}");
    }
}

#[tokio::test]
async fn archived_records_round_trip_with_valid_digests() {
    for compression in [Compression::Zstd, Compression::Gzip] {
        let server = TestServer::start(one_site(news_site(3))).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = settings(dir.path(), &server, &[NEWS], &["http://news.test/"]);
        s.compression = compression;
        crawl(s).await;
        let files = warc_files(&dir.path().join("archive"));
        assert!(!files.is_empty());
        let records = all_records(&dir.path().join("archive"));
        assert_eq!(records[0].header("WARC-Type"), Some("warcinfo"));
        let mut responses = 0;
        for record in &records {
            record.verify_digests().expect("digests match");
            if record.header("WARC-Type") == Some("response") {
                responses += 1;
                assert!(record.header("WARC-Payload-Digest").is_some());
                assert!(record.header("WARC-IP-Address").is_some());
                let concurrent = record.header("WARC-Concurrent-To").expect("concurrent-to");
                assert!(
                    records
                        .iter()
                        .any(|r| r.header("WARC-Type") == Some("request")
                            && r.header("WARC-Record-ID") == Some(concurrent))
                );
            }
        }
        assert!(responses >= 5, "{responses} responses");
        let metadata = records
            .iter()
            .find(|r| r.header("WARC-Type") == Some("metadata"))
            .expect("an article metadata record");
        let article: serde_json::Value =
            serde_json::from_slice(&metadata.block).expect("article JSON");
        assert!(
            article["title"]
                .as_str()
                .is_some_and(|t| t.contains("Titre de l'article"))
        );
    }
}

#[tokio::test]
async fn several_hosts_are_crawled_side_by_side() {
    let sites = HashMap::from([
        ("a.test".to_string(), news_site(3)),
        ("b.test".to_string(), news_site(3)),
    ]);
    let server = TestServer::start(sites).await;
    let dir = tempfile::tempdir().expect("temp dir");
    crawl(settings(
        dir.path(),
        &server,
        &["a.test", "b.test"],
        &["http://a.test/", "http://b.test/"],
    ))
    .await;
    for host in ["a.test", "b.test"] {
        let paths = server.paths(host);
        assert_eq!(
            paths.first().map(String::as_str),
            Some("/robots.txt"),
            "{host}"
        );
        assert!(paths.contains(&article_path(3)), "{host}: {paths:?}");
    }
}
