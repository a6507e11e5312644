//! Status codes: Retry-After, server-error storms, 404 and 410.

use super::*;

pub(super) async fn retry_after_case(retry_after: fn() -> String, status: u16, min_wait: Duration) {
    let server = RawServer::start(move |hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("busy.test", "/robots.txt") => not_found(),
        ("busy.test", "/") if hit.nth == 0 => vec![Step::Write(response(
            status,
            &[
                ("Content-Type", "text/plain"),
                ("Retry-After", &retry_after()),
            ],
            b"come back later",
        ))],
        ("busy.test", "/") => html("<a href=\"/p1\">1</a>"),
        ("busy.test", "/p1") => html("<p>1</p>"),
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["busy.test", "good.test"],
        &["http://busy.test/", "http://good.test/"],
    );
    s.policy.default.retries = 2;
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    good_site_complete(&server, "good.test");
    let busy: Vec<RawHit> = server
        .hits_for("busy.test")
        .into_iter()
        .filter(|h| h.path == "/")
        .collect();
    assert_eq!(busy.len(), 2, "asked once, retried once");
    let waited = busy[1].at.duration_since(busy[0].at);
    assert!(waited >= min_wait, "waited {waited:?}, asked {min_wait:?}");
    assert!(
        waited < min_wait + Duration::from_secs(3),
        "waited {waited:?}"
    );
    // The other host was not held up by the pause.
    let good_last = server
        .hits_for("good.test")
        .iter()
        .map(|h| h.at)
        .max()
        .expect("good");
    assert!(good_last < busy[1].at);
    // Both answers are in the archive; the state holds the final one.
    let mut statuses: Vec<u16> = response_for(dir.path(), "http://busy.test/")
        .iter()
        .map(status_of)
        .collect();
    statuses.sort();
    assert_eq!(statuses, [200, status]);
    let record = state(dir.path(), "http://busy.test/");
    assert_eq!(
        (record.state.as_str(), record.status),
        ("fetched", Some(200))
    );
    assert!(server.paths("busy.test").contains(&"/p1".to_string()));
}

#[tokio::test]
async fn too_many_requests_with_retry_after_seconds_pauses_only_that_host() {
    retry_after_case(|| "2".into(), 429, Duration::from_millis(1900)).await;
}

#[tokio::test]
async fn service_unavailable_with_retry_after_http_date_pauses_only_that_host() {
    // An HTTP-date three seconds ahead: whole seconds, so at least two seconds of pause.
    retry_after_case(
        || {
            (chrono::Utc::now() + chrono::Duration::seconds(3))
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        },
        503,
        Duration::from_millis(1900),
    )
    .await;
}

#[tokio::test]
async fn server_error_storm_backs_off_that_host_while_others_keep_their_pace() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        (_, "/robots.txt") => not_found(),
        ("storm.test", _) => vec![Step::Write(response(
            500,
            &[("Content-Type", "text/plain")],
            b"oops",
        ))],
        ("steady.test", "/") => html(
            &(1..=20)
                .map(|i| format!("<a href=\"/s{i}\">{i}</a>"))
                .collect::<String>(),
        ),
        _ => html("<p>steady</p>"),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["storm.test", "steady.test"],
        &["http://storm.test/", "http://steady.test/"],
    );
    s.sites[0].start = (1..=5)
        .map(|i| Url::parse(&format!("http://storm.test/e{i}")).expect("URL"))
        .collect();
    s.policy.default.retries = 1;
    let mut steady = s.policy.default.clone();
    steady.requests_per_second = 10.0;
    steady.burst = 1;
    s.policy.hosts.insert("steady.test".into(), steady);
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);

    // steady.test: 21 pages at its 10/s pace, whatever storm.test does.
    let steady: Vec<Instant> = server
        .hits_for("steady.test")
        .iter()
        .filter(|h| h.path != "/robots.txt")
        .map(|h| h.at)
        .collect();
    assert_eq!(steady.len(), 21);
    for pair in steady.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(80) && gap < Duration::from_millis(600),
            "steady.test gap {gap:?}"
        );
    }
    // storm.test: each URL tried twice (one retry), the retries only after a backoff pause.
    let storm: Vec<RawHit> = server
        .hits_for("storm.test")
        .into_iter()
        .filter(|h| h.path != "/robots.txt")
        .collect();
    assert_eq!(
        storm.len(),
        10,
        "{:?}",
        storm.iter().map(|h| &h.path).collect::<Vec<_>>()
    );
    let first_error = storm[0].at;
    let retries: Vec<&RawHit> = storm.iter().filter(|h| h.nth == 1).collect();
    assert_eq!(retries.len(), 5);
    for r in retries {
        assert!(
            r.at.duration_since(first_error) >= Duration::from_millis(950),
            "{} retried after {:?}",
            r.path,
            r.at.duration_since(first_error)
        );
    }
    for i in 1..=5 {
        let url = format!("http://storm.test/e{i}");
        let records = response_for(dir.path(), &url);
        assert_eq!(records.len(), 2, "{url}: each 500 is archived");
        assert!(records.iter().all(|r| status_of(r) == 500));
        let record = state(dir.path(), &url);
        assert_eq!(record.status, Some(500), "{record:?}");
        assert_eq!(record.attempts, 2, "{record:?}");
    }
}

#[tokio::test]
async fn not_found_and_gone_are_recorded_once_and_not_retried() {
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => html("<a href=\"/missing\">m</a> <a href=\"/gone\">g</a>"),
        "/gone" => vec![Step::Write(response(
            410,
            &[("Content-Type", "text/html")],
            b"<a href=\"/from-gone\">x</a>",
        ))],
        _ => vec![Step::Write(response(
            404,
            &[("Content-Type", "text/html")],
            b"<a href=\"/from-404\">x</a>",
        ))],
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["gone.test"],
        &["http://gone.test/"],
    );
    s.policy.default.retries = 3;
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let mut paths = server.paths("gone.test");
    paths.sort();
    assert_eq!(paths, ["/", "/gone", "/missing", "/robots.txt"]);
    for (path, status) in [("/missing", 404), ("/gone", 410)] {
        let url = format!("http://gone.test{path}");
        let records = response_for(dir.path(), &url);
        assert_eq!(records.len(), 1, "{url}");
        assert_eq!(status_of(&records[0]), status);
        let record = state(dir.path(), &url);
        assert_eq!(
            (record.state.as_str(), record.status),
            ("fetched", Some(status))
        );
        assert_eq!(record.attempts, 1);
    }
}
