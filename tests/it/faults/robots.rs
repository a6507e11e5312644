//! robots.txt that fails, times out, is huge, invalid or redirected.

use super::redirects::redirect;
use super::*;

/// A site whose `/` links to `/p1` and `/private/x`; robots.txt comes from `robots`.
pub(super) async fn robots_case(
    robots: impl Fn(&RawHit) -> Vec<Step> + Send + Sync + 'static,
) -> (RawServer, tempfile::TempDir, CrawlSummary) {
    robots_case_with(robots, |_| {}).await
}

/// [`robots_case`] with the settings adjusted by `adjust` (e.g. retries for site.test).
async fn robots_case_with(
    robots: impl Fn(&RawHit) -> Vec<Step> + Send + Sync + 'static,
    adjust: impl FnOnce(&mut CrawlSettings),
) -> (RawServer, tempfile::TempDir, CrawlSummary) {
    let server = robots_server(robots).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(robots_settings(dir.path(), &server, adjust)).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    good_site_complete(&server, "good.test");
    (server, dir, summary)
}

async fn robots_server(robots: impl Fn(&RawHit) -> Vec<Step> + Send + Sync + 'static) -> RawServer {
    RawServer::start(move |hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("site.test", "/robots.txt") | ("rules.test", "/robots.txt") => robots(hit),
        ("site.test", "/") => html("<a href=\"/p1\">1</a> <a href=\"/private/x\">x</a>"),
        ("site.test", _) => html("<p>page</p>"),
        _ => good_site(hit),
    })
    .await
}

fn robots_settings(
    dir: &Path,
    server: &RawServer,
    adjust: impl FnOnce(&mut CrawlSettings),
) -> CrawlSettings {
    let mut settings = settings_at(
        dir,
        server.addr,
        &["site.test", "good.test", "rules.test"],
        &["http://site.test/", "http://good.test/"],
    );
    adjust(&mut settings);
    settings
}

/// Gives site.test `retries` retries (the fault policy has none).
fn site_retries(retries: u32) -> impl FnOnce(&mut CrawlSettings) {
    move |settings: &mut CrawlSettings| {
        let mut policy = settings.policy.default.clone();
        policy.retries = retries;
        settings.policy.hosts.insert("site.test".into(), policy);
    }
}

/// robots.txt rules disallowing `/private/`.
fn private_rules() -> Vec<Step> {
    vec![Step::Write(response(
        200,
        &[("Content-Type", "text/plain")],
        b"User-agent: *\nDisallow: /private/\n",
    ))]
}

#[tokio::test]
async fn robots_txt_server_error_holds_the_host_back_and_fails_its_urls_for_this_run() {
    // No retries: the one answer is 503, so nothing is fetched from the host (RFC 9309:
    // complete disallow), and its URL is failed for this run, not robots-denied for good.
    let (server, dir, summary) =
        robots_case(|_| vec![Step::Write(response(503, &[], b"down"))]).await;
    assert_eq!(server.paths("site.test"), ["/robots.txt"]);
    let start = state(dir.path(), "http://site.test/");
    assert_eq!(start.state, "failed");
    let error = start.last_error.unwrap_or_default();
    assert!(
        error.contains("robots.txt") && error.contains("503"),
        "{error}"
    );
    assert_eq!(summary.robots_denied, 0);
    assert_eq!(summary.failed, 1);
    // The robots.txt answer itself is archived.
    assert_eq!(
        response_for(dir.path(), "http://site.test/robots.txt").len(),
        1
    );
}

#[tokio::test]
async fn robots_txt_timeout_holds_the_host_back_and_fails_its_urls_for_this_run() {
    let started = Instant::now();
    let (server, dir, _) = robots_case(|_| vec![Step::Hang]).await;
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(server.paths("site.test"), ["/robots.txt"]);
    let start = state(dir.path(), "http://site.test/");
    assert_eq!(start.state, "failed");
    assert!(
        start.last_error.unwrap_or_default().contains("robots.txt"),
        "the error names robots.txt"
    );
}

#[tokio::test]
async fn robots_txt_server_errors_are_asked_again_and_a_later_answer_lets_the_host_through() {
    // 503 then 429 (each with Retry-After: 1), then the rules: the host waits (other hosts
    // go on), asks again after each delay, and then obeys the rules it gets.
    let started = Instant::now();
    let (server, dir, summary) = robots_case_with(
        |hit| match hit.nth {
            0 => vec![Step::Write(response(503, &[("Retry-After", "1")], b"down"))],
            1 => vec![Step::Write(response(429, &[("Retry-After", "1")], b"slow"))],
            _ => private_rules(),
        },
        site_retries(2),
    )
    .await;
    let hits: Vec<RawHit> = server
        .hits_for("site.test")
        .into_iter()
        .filter(|h| h.path == "/robots.txt")
        .collect();
    assert_eq!(hits.len(), 3, "robots.txt asked three times");
    for pair in hits.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(950),
            "Retry-After obeyed: {gap:?}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut paths = server.paths("site.test");
    paths.sort();
    assert_eq!(
        paths,
        ["/", "/p1", "/robots.txt", "/robots.txt", "/robots.txt"]
    );
    // The other host did not wait for site.test's robots.txt.
    let good_last = server
        .hits_for("good.test")
        .iter()
        .map(|h| h.at)
        .max()
        .expect("good.test was crawled");
    assert!(
        good_last < hits[1].at,
        "good.test finished before the first retry"
    );
    assert_eq!(state(dir.path(), "http://site.test/").state, "fetched");
    assert_eq!(
        state(dir.path(), "http://site.test/private/x").state,
        "robots_denied"
    );
    assert_eq!(summary.failed, 0);
    // Every robots.txt answer is archived.
    assert_eq!(
        response_for(dir.path(), "http://site.test/robots.txt").len(),
        3
    );
}

#[tokio::test]
async fn robots_txt_unavailable_through_a_run_is_asked_again_by_the_next_run() {
    let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let up_server = std::sync::Arc::clone(&up);
    let server = robots_server(move |_| {
        if up_server.load(std::sync::atomic::Ordering::SeqCst) {
            private_rules()
        } else {
            vec![Step::Write(response(503, &[("Retry-After", "0")], b"down"))]
        }
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Run 1: one retry, still 503: the host's URL is failed for this run.
    let first = run(robots_settings(dir.path(), &server, site_retries(1))).await;
    assert_eq!(server.paths("site.test"), ["/robots.txt", "/robots.txt"]);
    assert_eq!(first.failed, 1);
    assert_eq!(state(dir.path(), "http://site.test/").state, "failed");
    // Run 2: robots.txt is back; the host is crawled, its rules obeyed.
    up.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = run(robots_settings(dir.path(), &server, site_retries(1))).await;
    assert_eq!(second.stop_reason, StopReason::Completed);
    assert_eq!(state(dir.path(), "http://site.test/").state, "fetched");
    assert_eq!(state(dir.path(), "http://site.test/p1").state, "fetched");
    assert_eq!(
        state(dir.path(), "http://site.test/private/x").state,
        "robots_denied"
    );
}

#[tokio::test]
async fn huge_robots_txt_is_cut_and_its_prefix_obeyed() {
    let mut body = b"User-agent: *\nDisallow: /private/\n".to_vec();
    while body.len() < 10 << 20 {
        body.extend_from_slice(b"# padding padding padding padding padding padding padding\n");
    }
    let (server, dir, _) = robots_case(move |_| {
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/plain")],
            &body,
        ))]
    })
    .await;
    let mut paths = server.paths("site.test");
    paths.sort();
    assert_eq!(paths, ["/", "/p1", "/robots.txt"]);
    let robots = response_for(dir.path(), "http://site.test/robots.txt");
    assert_eq!(robots.len(), 1);
    assert_eq!(robots[0].header("WARC-Truncated"), Some("length"));
}

#[tokio::test]
async fn robots_txt_with_invalid_bytes_is_still_obeyed() {
    let (server, _dir, _) = robots_case(|_| {
        let mut body = b"\xef\xbb\xbf\xff\xfe\x00garbage\x00\x01\n".to_vec();
        body.extend_from_slice(b"User-agent: *\r\nDisallow: /caf\xe9/\r\n\x80\x81\x82: \xc3\x28\n");
        body.extend_from_slice(b"Disallow: /private/\n");
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/plain; charset=utf-8")],
            &body,
        ))]
    })
    .await;
    let mut paths = server.paths("site.test");
    paths.sort();
    assert_eq!(paths, ["/", "/p1", "/robots.txt"]);
}

#[tokio::test]
async fn robots_txt_redirected_to_another_host_is_followed_and_obeyed() {
    let (server, dir, _) = robots_case(|hit| {
        if hit.host == "site.test" {
            redirect(301, "http://rules.test/robots.txt")
        } else {
            vec![Step::Write(response(
                200,
                &[("Content-Type", "text/plain")],
                b"User-agent: *\nDisallow: /private/\n",
            ))]
        }
    })
    .await;
    let mut paths = server.paths("site.test");
    paths.sort();
    assert_eq!(paths, ["/", "/p1", "/robots.txt"]);
    assert_eq!(server.paths("rules.test"), ["/robots.txt"]);
    // Both hops are archived.
    assert_eq!(
        response_for(dir.path(), "http://site.test/robots.txt").len(),
        1
    );
    assert_eq!(
        response_for(dir.path(), "http://rules.test/robots.txt").len(),
        1
    );
}
