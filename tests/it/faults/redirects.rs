//! Redirects, and the SSRF guard and credentials across hosts.

use super::*;

pub(super) fn redirect(status: u16, location: &str) -> Vec<Step> {
    vec![Step::Write(response(
        status,
        &[("Location", location)],
        b"",
    ))]
}

#[tokio::test]
async fn redirect_loop_captures_each_hop_once_and_ends() {
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => redirect(302, "/a"),
        "/a" => redirect(301, "/b"),
        "/b" => redirect(302, "http://loop.test/a#again"),
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["loop.test"],
        &["http://loop.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert_eq!(server.paths("loop.test"), ["/robots.txt", "/", "/a", "/b"]);
    for url in [
        "http://loop.test/",
        "http://loop.test/a",
        "http://loop.test/b",
    ] {
        let records = response_for(dir.path(), url);
        assert_eq!(records.len(), 1, "{url}");
        assert!((301..=302).contains(&status_of(&records[0])));
    }
}

#[tokio::test]
async fn redirects_to_other_schemes_are_recorded_not_followed() {
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => html(
            "<a href=\"/ftp\">f</a><a href=\"/js\">j</a><a href=\"/mail\">m</a><a href=\"/file\">x</a><a href=\"/data\">d</a>",
        ),
        "/ftp" => redirect(302, "ftp://schemes.test/pub/file.txt"),
        "/js" => redirect(302, "javascript:alert(document.cookie)"),
        "/mail" => redirect(301, "mailto:someone@schemes.test"),
        "/file" => redirect(302, "file:///etc/passwd"),
        "/data" => redirect(302, "data:text/html,<script>alert(1)</script>"),
        _ => not_found(),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["schemes.test"],
        &["http://schemes.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert_eq!(summary.errors, 0);
    let mut paths = server.paths("schemes.test");
    paths.sort();
    assert_eq!(
        paths,
        ["/", "/data", "/file", "/ftp", "/js", "/mail", "/robots.txt"]
    );
    let uris: Vec<String> = responses(dir.path())
        .iter()
        .filter_map(|r| r.header("WARC-Target-URI").map(str::to_string))
        .collect();
    assert_eq!(uris.len(), 7, "{uris:?}");
    assert!(
        uris.iter().all(|u| u.starts_with("http://schemes.test/")),
        "{uris:?}"
    );
}

#[tokio::test]
async fn redirect_to_out_of_scope_host_is_not_followed() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("site.test", "/robots.txt") => not_found(),
        ("site.test", "/") => redirect(302, "http://elsewhere.test/landing"),
        _ => html("<p>elsewhere</p>"),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["site.test", "elsewhere.test"],
        &["http://site.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert!(server.hits_for("elsewhere.test").is_empty());
    assert_eq!(response_for(dir.path(), "http://site.test/").len(), 1);
}

#[tokio::test]
async fn endless_redirect_chain_is_cut_by_the_hop_limit_without_repeating_a_url() {
    // /hop/0 → /hop/1 → … forever. Each hop counts as one level of depth, and a chain may
    // go at most 5 hops past max_depth (10 in these settings): the crawl completes on its
    // own, every hop archived once.
    let server = RawServer::start(|hit| {
        if hit.path == "/robots.txt" {
            return not_found();
        }
        let n: u64 = hit.path.trim_start_matches("/hop/").parse().unwrap_or(0);
        redirect(302, &format!("/hop/{}", n + 1))
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["chain.test"],
        &["http://chain.test/hop/0"],
    );
    s.max_pages = Some(100);
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let paths = server.paths("chain.test");
    assert_eq!(paths.len(), 1 + 16, "robots.txt and hops 0..=15: {paths:?}");
    let unique: std::collections::HashSet<&String> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len());
}

// ---------------------------------------------------------------------------------------
// Security: the SSRF guard and credentials
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn guard_refuses_names_resolving_to_loopback_and_private_literals_before_connecting() {
    let server = RawServer::start(|_| html("<p>internal</p>")).await;
    let f = fetcher(false, vec![("internal.test".into(), server.addr)]);
    let port = server.addr.port();
    for url in [
        "http://internal.test/".to_string(),
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://0.0.0.0:{port}/"),
        format!("http://2130706433:{port}/"), // 127.0.0.1 as one number
        format!("http://0x7f.1:{port}/"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://192.168.1.1/".to_string(),
        "http://[fe80::1]/".to_string(),
        format!("http://localhost:{port}/"),
    ] {
        let result = f.fetch(&request(&url)).await;
        assert!(
            matches!(result, Err(FetchError::Blocked { .. })),
            "{url}: {result:?}"
        );
    }
    assert_eq!(server.connections(), 0, "nothing reached the server");
    // The same server is reachable when private networks are allowed: the test is honest.
    let open = fetcher(true, vec![("internal.test".into(), server.addr)]);
    let capture = open
        .fetch(&request("http://internal.test/"))
        .await
        .expect("allowed");
    assert_eq!(capture.status, 200);
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn guard_refuses_redirect_hops_to_private_addresses() {
    // Each hop is its own fetch: a redirect to a loopback name is refused at connect time.
    let server = RawServer::start(|_| html("<p>internal</p>")).await;
    let f = fetcher(false, vec![("internal.test".into(), server.addr)]);
    let hop = Url::parse("http://internal.test/admin").expect("URL");
    let result = f
        .fetch(&FetchRequest {
            url: hop,
            ..request("http://x.test/")
        })
        .await;
    assert!(
        matches!(result, Err(FetchError::Blocked { .. })),
        "{result:?}"
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn crawl_with_private_networks_forbidden_never_reaches_loopback() {
    let server = RawServer::start(good_site).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["a.test", "b.test"],
        &["http://a.test/", "http://b.test/"],
    );
    s.policy.allow_private_networks = false;
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert_eq!(
        server.connections(),
        0,
        "no connection to a loopback address"
    );
    assert_eq!(summary.pages, 0);
    assert!(responses(dir.path()).is_empty());
    // The start pages are settled (denied by the unreachable robots.txt, or failed), not pending.
    assert_eq!(summary.pending, 0);
    for url in ["http://a.test/", "http://b.test/"] {
        let record = state(dir.path(), url);
        assert_ne!(record.state, "fetched", "{url}");
    }
}

#[tokio::test]
async fn credentials_and_cookies_are_never_sent_to_another_host() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        (_, "/robots.txt") => not_found(),
        ("a.test", "/") => vec![Step::Write(response(
            200,
            &[
                ("Content-Type", "text/html"),
                ("Set-Cookie", "session=s3cr3t; Path=/"),
                ("Set-Cookie", "wide=1; Domain=test; Path=/"),
            ],
            b"<a href=\"/next\">n</a> <a href=\"http://user:pw@a.test/auth\">c</a>",
        ))],
        ("b.test", "/") => html("<a href=\"http://admin:hunter2@b.test/next\">n</a>"),
        _ => html("<p>page</p>"),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["a.test", "b.test"],
        &["http://a.test/", "http://b.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let hits = server.hits();
    assert!(hits.iter().any(|h| h.host == "b.test" && h.path == "/next"));
    assert!(hits.iter().any(|h| h.host == "a.test" && h.path == "/auth"));
    for hit in &hits {
        assert!(hit.header("cookie").is_none(), "{hit:?}");
        assert!(hit.header("authorization").is_none(), "{hit:?}");
    }
    // Nor are they written into the archived requests.
    for r in all_records(&dir.path().join("archive")) {
        let text = String::from_utf8_lossy(&r.block).to_lowercase();
        let uri = r.header("WARC-Target-URI").unwrap_or("");
        assert!(!uri.contains("hunter2") && !uri.contains("pw@"), "{uri}");
        if r.record_type() == Some("request") {
            assert!(
                !text.contains("cookie") && !text.contains("authorization"),
                "{text}"
            );
        }
    }
}
