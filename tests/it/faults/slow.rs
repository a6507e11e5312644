//! Slow, silent and broken servers, and bodies whose encoding would inflate them.

use super::*;

#[tokio::test]
async fn slowloris_server_does_not_stall_other_hosts() {
    // slow.test sends its headers, then one body byte every 400 ms (never idle long enough
    // for the read timeout): only the total timeout (2 s) ends the exchange.
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("slow.test", "/robots.txt") => not_found(),
        ("slow.test", _) => vec![
            Step::Write(head(
                200,
                &[("Content-Type", "text/html"), ("Content-Length", "100000")],
            )),
            Step::Drip(vec![b'a'; 100_000], Duration::from_millis(400)),
        ],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["slow.test", "good.test"],
        &["http://slow.test/", "http://good.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    good_site_complete(&server, "good.test");
    // good.test was done before the slow exchange ended.
    let slow_first = server
        .hits_for("slow.test")
        .iter()
        .map(|h| h.at)
        .min()
        .expect("slow hit");
    let good_last = server
        .hits_for("good.test")
        .iter()
        .map(|h| h.at)
        .max()
        .expect("good hit");
    assert!(good_last.duration_since(slow_first) < Duration::from_millis(1500));

    let slow = response_for(dir.path(), "http://slow.test/");
    assert_eq!(slow.len(), 1, "the slow capture is kept");
    assert_eq!(slow[0].header("WARC-Truncated"), Some("time"));
    let body = slow[0].payload().expect("payload");
    assert!(!body.is_empty() && body.len() < 20, "{} bytes", body.len());
    assert!(body.iter().all(|b| *b == b'a'));
}

#[tokio::test]
async fn server_that_accepts_and_never_answers_times_out_and_is_recorded_failed() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("mute.test", "/robots.txt") => not_found(),
        ("mute.test", _) => vec![Step::Hang],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["mute.test", "good.test"],
        &["http://mute.test/", "http://good.test/"],
    ))
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary.stop_reason, StopReason::Completed);
    good_site_complete(&server, "good.test");
    assert_eq!(summary.errors, 1);
    assert_eq!(summary.failed_total, 1);
    assert!(response_for(dir.path(), "http://mute.test/").is_empty());
    let record = state(dir.path(), "http://mute.test/");
    assert_eq!(record.state, "failed");
    assert!(
        record
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("timed out"),
        "{record:?}"
    );
}

#[tokio::test]
async fn fetcher_gives_up_on_a_silent_server_within_the_total_timeout() {
    let server = RawServer::start(|_| vec![Step::Hang]).await;
    let f = fetcher(true, vec![("mute.test".into(), server.addr)]);
    let started = Instant::now();
    let result = f.fetch(&request("http://mute.test/")).await;
    let took = started.elapsed();
    assert!(
        matches!(result, Err(FetchError::Timeout { .. })),
        "{result:?}"
    );
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[tokio::test]
async fn endless_body_is_cut_at_max_body_bytes_and_crawl_continues() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("endless.test", "/robots.txt") => not_found(),
        ("endless.test", _) => vec![
            Step::Write(head(
                200,
                &[
                    ("Content-Type", "text/html"),
                    ("Transfer-Encoding", "chunked"),
                ],
            )),
            Step::Forever(
                b"2000\r\n"
                    .iter()
                    .copied()
                    .chain([b'x'; 0x2000])
                    .chain(*b"\r\n")
                    .collect(),
            ),
        ],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["endless.test", "good.test"],
        &["http://endless.test/", "http://good.test/"],
    );
    s.policy.default.max_body_bytes = 1_000_000;
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    good_site_complete(&server, "good.test");
    let endless = response_for(dir.path(), "http://endless.test/");
    assert_eq!(endless.len(), 1);
    assert_eq!(endless[0].header("WARC-Truncated"), Some("length"));
    assert_eq!(endless[0].payload().expect("payload").len(), 1_000_000);
    endless[0]
        .verify_digests()
        .expect("digests of the kept prefix");
}

#[tokio::test]
async fn content_length_larger_than_body_is_kept_as_disconnect_truncation() {
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => vec![
            Step::Write(head(
                200,
                &[("Content-Type", "text/html"), ("Content-Length", "5000")],
            )),
            Step::Write(b"<html><body><a href=\"/p1\">1</a>".to_vec()),
            Step::Close,
        ],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["short.test"],
        &["http://short.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let records = response_for(dir.path(), "http://short.test/");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].header("WARC-Truncated"), Some("disconnect"));
    assert_eq!(
        records[0].payload().expect("payload").as_ref(),
        b"<html><body><a href=\"/p1\">1</a>"
    );
    records[0].verify_digests().expect("digests");
    // The partial page was still read: its link was followed.
    assert!(server.paths("short.test").contains(&"/p1".to_string()));
}

#[tokio::test]
async fn content_length_smaller_than_body_keeps_declared_length_and_next_request_is_clean() {
    // The server declares 11 bytes, sends 40 and keeps the connection open: the extra bytes
    // must not be taken for the start of the next response on a reused connection.
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/long" => vec![Step::Write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello worldHTTP/1.1 200 OK\r\nX-Evil: 1\r\n\r\n".to_vec(),
        )],
        _ => vec![Step::Write(response(200, &[("Content-Type", "text/plain")], b"next page"))],
    })
    .await;
    let f = fetcher(true, vec![("lie.test".into(), server.addr)]);
    let first = f
        .fetch(&request("http://lie.test/long"))
        .await
        .expect("first");
    assert_eq!(first.body.as_ref(), b"hello world");
    assert_eq!(first.truncated, None);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = f.fetch(&request("http://lie.test/next")).await;
    match second {
        Ok(capture) => {
            assert_eq!(capture.status, 200);
            assert_eq!(capture.body.as_ref(), b"next page");
            assert!(capture.header("x-evil").is_none());
        }
        Err(e) => panic!("the second request failed: {e}"),
    }
}

#[tokio::test]
async fn connection_reset_mid_body_keeps_the_partial_capture() {
    let server = RawServer::start(|hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("reset.test", "/robots.txt") => not_found(),
        ("reset.test", _) => vec![
            Step::Write(head(
                200,
                &[("Content-Type", "text/html"), ("Content-Length", "100000")],
            )),
            Step::Write(vec![b'z'; 3000]),
            Step::Sleep(Duration::from_millis(100)),
            Step::Reset,
        ],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["reset.test", "good.test"],
        &["http://reset.test/", "http://good.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    good_site_complete(&server, "good.test");
    let records = response_for(dir.path(), "http://reset.test/");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].header("WARC-Truncated"), Some("disconnect"));
    assert_eq!(records[0].payload().expect("payload").len(), 3000);
}

// ---------------------------------------------------------------------------------------
// Compression
// ---------------------------------------------------------------------------------------

fn gzip_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..size >> 20 {
        e.write_all(&chunk).expect("compress");
    }
    e.finish().expect("compress")
}

fn brotli_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 1 << 16, 1, 22);
        let chunk = vec![b' '; 1 << 20];
        for _ in 0..size >> 20 {
            w.write_all(&chunk).expect("compress");
        }
    }
    out
}

async fn bomb_case(encoding: &'static str, bomb: Vec<u8>) {
    let bomb_len = bomb.len();
    let server = RawServer::start(move |hit| match (hit.host.as_str(), hit.path.as_str()) {
        ("bomb.test", "/robots.txt") => not_found(),
        ("bomb.test", "/") => {
            html("<html><body><a href=\"/bomb\">b</a> <a href=\"/after\">a</a></body></html>")
        }
        ("bomb.test", "/bomb") => vec![Step::Write(response(
            200,
            &[
                ("Content-Type", "text/html"),
                ("Content-Encoding", encoding),
            ],
            &bomb,
        ))],
        ("bomb.test", "/after") => html("<html><body>after</body></html>"),
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["bomb.test", "good.test"],
        &["http://bomb.test/", "http://good.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    good_site_complete(&server, "good.test");
    assert!(server.paths("bomb.test").contains(&"/after".to_string()));
    let records = response_for(dir.path(), "http://bomb.test/bomb");
    assert_eq!(records.len(), 1);
    // Archived as received: the compressed bytes, with their Content-Encoding.
    assert_eq!(records[0].payload().expect("payload").len(), bomb_len);
    assert_eq!(records[0].header("WARC-Truncated"), None);
    let head = String::from_utf8_lossy(records[0].http_head().expect("head")).to_lowercase();
    assert!(
        head.contains(&format!("content-encoding: {encoding}")),
        "{head}"
    );
    assert_eq!(state(dir.path(), "http://bomb.test/bomb").state, "fetched");
}

#[tokio::test]
async fn gzip_bomb_is_archived_as_received_not_inflated_and_crawl_continues() {
    // 200 MiB of spaces (~200 KB gzipped), twice the decoding cap.
    bomb_case("gzip", gzip_bomb(200 << 20)).await;
}

#[tokio::test]
async fn brotli_bomb_is_archived_as_received_not_inflated_and_crawl_continues() {
    // 200 MiB of spaces: a few hundred bytes of brotli.
    bomb_case("br", brotli_bomb(200 << 20)).await;
}

#[tokio::test]
async fn wrong_content_encoding_is_archived_and_crawl_continues() {
    // Declared gzip, sent as plain HTML.
    let server = RawServer::start(|hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            b"<html><body><a href=\"/p1\">1</a></body></html>",
        ))],
        _ => good_site(hit),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["liar.test"],
        &["http://liar.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let records = response_for(dir.path(), "http://liar.test/");
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].payload().expect("payload").as_ref(),
        b"<html><body><a href=\"/p1\">1</a></body></html>"
    );
    assert_eq!(state(dir.path(), "http://liar.test/").state, "fetched");
}
