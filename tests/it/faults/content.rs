//! Page content: charsets, sizes, nesting, types, odd links.

use super::*;

/// Crawls `content.test`, whose `/` is `page`; every other path is a small page.
pub(super) async fn content_case(
    page: Vec<Step>,
    max_body: Option<u64>,
) -> (RawServer, tempfile::TempDir) {
    let server = RawServer::start(move |hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => page.clone(),
        _ => html("<p>page</p>"),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings_at(
        dir.path(),
        server.addr,
        &["content.test"],
        &["http://content.test/"],
    );
    if let Some(max) = max_body {
        s.policy.default.max_body_bytes = max;
    }
    let summary = run(s).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    (server, dir)
}

pub(super) fn sorted_paths(server: &RawServer) -> Vec<String> {
    let mut paths = server.paths("content.test");
    paths.sort();
    paths
}

#[tokio::test]
async fn invalid_utf8_page_is_archived_byte_exact_and_its_links_followed() {
    let body = b"<html><body>\xff\xfe\xc3\x28 caf\xe9 <a href=\"/p1\">\x80un</a> \xed\xa0\x80 <a href=\"/p2\">deux</a></body></html>".to_vec();
    let (server, dir) = content_case(
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html; charset=utf-8")],
            &body,
        ))],
        None,
    )
    .await;
    assert_eq!(sorted_paths(&server), ["/", "/p1", "/p2", "/robots.txt"]);
    let records = response_for(dir.path(), "http://content.test/");
    assert_eq!(
        records[0].payload().expect("payload").as_ref(),
        body.as_slice()
    );
}

#[tokio::test]
async fn wrong_declared_charset_keeps_bytes_and_links() {
    // Declared windows-1252 in the header and shift_jis in a meta, sent as UTF-8.
    let body = "<html><head><meta charset=\"shift_jis\"></head><body>Déjà vu — « élan » \
                <a href=\"/p1\">un</a> <a href=\"/caf%C3%A9\">café</a></body></html>"
        .as_bytes()
        .to_vec();
    let (server, dir) = content_case(
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html; charset=windows-1252")],
            &body,
        ))],
        None,
    )
    .await;
    assert_eq!(
        sorted_paths(&server),
        ["/", "/caf%C3%A9", "/p1", "/robots.txt"]
    );
    let records = response_for(dir.path(), "http://content.test/");
    assert_eq!(
        records[0].payload().expect("payload").as_ref(),
        body.as_slice()
    );
}

#[tokio::test]
async fn unknown_declared_charset_is_ignored() {
    let body = b"<html><body><a href=\"/p1\">un</a></body></html>".to_vec();
    let (server, _dir) = content_case(
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html; charset=x-no-such-charset")],
            &body,
        ))],
        None,
    )
    .await;
    assert_eq!(sorted_paths(&server), ["/", "/p1", "/robots.txt"]);
}

#[tokio::test]
async fn fifty_megabyte_page_is_truncated_at_max_body_bytes_and_crawl_continues() {
    let mut body = b"<html><body><a href=\"/p1\">un</a><p>".to_vec();
    body.resize(50 << 20, b'x');
    let (server, dir) = content_case(
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html")],
            &body,
        ))],
        Some(2 << 20),
    )
    .await;
    assert_eq!(sorted_paths(&server), ["/", "/p1", "/robots.txt"]);
    let records = response_for(dir.path(), "http://content.test/");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].header("WARC-Truncated"), Some("length"));
    assert_eq!(records[0].payload().expect("payload").len(), 2 << 20);
    records[0].verify_digests().expect("digests");
}

#[tokio::test]
async fn deeply_nested_tags_do_not_overflow_the_stack() {
    let depth = 100_000;
    let mut body = String::from("<html><body><a href=\"/top\">top</a>");
    for i in 0..depth {
        body.push_str(if i % 3 == 0 {
            "<div>"
        } else if i % 3 == 1 {
            "<span>"
        } else {
            "<b>"
        });
    }
    body.push_str("<a href=\"/deep\">deep</a><p>deep text</p>");
    for _ in 0..depth / 2 {
        body.push_str("</div>");
    }
    let body = format!(
        "{body}<article><h1>Titre</h1><p>{}</p></article></body></html>",
        "mot ".repeat(200)
    );
    let (server, dir) = content_case(
        vec![Step::Write(response(
            200,
            &[("Content-Type", "text/html")],
            body.as_bytes(),
        ))],
        None,
    )
    .await;
    let paths = sorted_paths(&server);
    assert!(paths.contains(&"/top".to_string()), "{paths:?}");
    assert_eq!(response_for(dir.path(), "http://content.test/").len(), 1);
}

#[tokio::test]
async fn non_html_types_are_archived_not_parsed() {
    let pdf = b"%PDF-1.4\n1 0 obj << /URI (http://content.test/from-pdf) >>\n<a href=\"/from-pdf\">x</a>\n%%EOF\n".to_vec();
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend_from_slice(b"<html><a href=\"/from-png\">x</a></html>");
    let server = RawServer::start(move |hit| match hit.path.as_str() {
        "/robots.txt" => not_found(),
        "/" => html("<a href=\"/doc.pdf\">pdf</a> <img src=\"/img.png\"> <a href=\"/img.png\">png</a> <a href=\"/data.json\">j</a>"),
        "/doc.pdf" => vec![Step::Write(response(200, &[("Content-Type", "application/pdf")], &pdf))],
        "/img.png" => vec![Step::Write(response(200, &[("Content-Type", "image/png")], &png))],
        "/data.json" => vec![Step::Write(response(200, &[("Content-Type", "application/json")], b"{\"url\": \"<a href='/from-json'>\"}"))],
        _ => html("<p>page</p>"),
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let summary = run(settings_at(
        dir.path(),
        server.addr,
        &["content.test"],
        &["http://content.test/"],
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert_eq!(
        sorted_paths(&server),
        ["/", "/data.json", "/doc.pdf", "/img.png", "/robots.txt"]
    );
    for path in ["/doc.pdf", "/img.png", "/data.json"] {
        let records = response_for(dir.path(), &format!("http://content.test{path}"));
        assert_eq!(records.len(), 1, "{path} archived");
    }
    assert_eq!(
        summary.articles, 0,
        "no article extracted from non-HTML bodies"
    );
}

#[tokio::test]
async fn links_with_odd_schemes_are_ignored() {
    let (server, dir) = content_case(
        html(
            "<a href=\"mailto:a@content.test\">m</a> <a href=\"tel:+33123\">t</a> \
             <a href=\"javascript:alert(1)\">j</a> <a href=\"JaVaScRiPt:alert(1)\">J</a> \
             <a href=\"data:text/html,<a href=/x>\">d</a> <a href=\"ftp://content.test/f\">f</a> \
             <a href=\"file:///etc/passwd\">p</a> <a href=\"about:blank\">a</a> \
             <a href=\"//other.test/x\">o</a> <a href=\"http://[::1]:1/x\">v6</a> \
             <a href=\"http://\">empty</a> <a href=\"http://a b/\">space</a> <a href=\"\">self</a> \
             <a href=\"  /p1  \">ws</a> <a href=\"sms:1\">s</a> <a href=\"ws://content.test/w\">w</a>",
        ),
        None,
    )
    .await;
    assert_eq!(sorted_paths(&server), ["/", "/p1", "/robots.txt"]);
    let uris: Vec<String> = responses(dir.path())
        .iter()
        .filter_map(|r| r.header("WARC-Target-URI").map(str::to_string))
        .collect();
    assert!(
        uris.iter().all(|u| u.starts_with("http://content.test/")),
        "{uris:?}"
    );
}

#[tokio::test]
async fn relative_links_resolve_against_base_href() {
    let (server, _dir) = content_case(
        html(
            "<html><head><base href=\"http://content.test/section/sub/\"></head><body>\
             <a href=\"article\">a</a> <a href=\"../up\">u</a> <a href=\"/root\">r</a> <a href=\"?q=1\">q</a></body></html>",
        ),
        None,
    )
    .await;
    assert_eq!(
        sorted_paths(&server),
        [
            "/",
            "/robots.txt",
            "/root",
            "/section/sub/?q=1",
            "/section/sub/article",
            "/section/up"
        ]
    );
}

#[tokio::test]
async fn tracking_parameters_and_fragments_yield_one_capture() {
    let (server, dir) = content_case(
        html(
            "<a href=\"/a?utm_source=x&amp;utm_medium=y\">1</a> <a href=\"/a#top\">2</a> <a href=\"/a\">3</a> \
             <a href=\"/a?fbclid=123#frag\">4</a> <a href=\"http://CONTENT.test:80/a?\">5</a> \
             <a href=\"/a?UTM_Campaign=z&amp;gclid=9\">6</a> <a href=\"/b?id=7&amp;utm_term=k\">7</a> <a href=\"/b?id=7#x\">8</a>",
        ),
        None,
    )
    .await;
    assert_eq!(sorted_paths(&server), ["/", "/a", "/b?id=7", "/robots.txt"]);
    assert_eq!(response_for(dir.path(), "http://content.test/a").len(), 1);
    assert_eq!(
        response_for(dir.path(), "http://content.test/b?id=7").len(),
        1
    );
}
