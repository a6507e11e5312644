//! robots.txt fetching per RFC 9309 against in-process axum servers on 127.0.0.1, with
//! several host names mapped there through the fetcher's `resolve` overrides.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use glaneur::capture::{Capture, Truncation};
use glaneur::fetch::{Fetcher, FetcherConfig};
use glaneur::politeness::{RobotsRules, fetch_robots};
use tokio::net::TcpListener;
use url::Url;

const UA: &str = "glaneur/0.1 (+https://example.org/contact)";

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// Host `a.test` on one server, `b.test` on another; returns the fetcher and both ports.
async fn setup(a: Router, b: Router, allow_private: bool) -> (Fetcher, u16, u16) {
    let a = serve(a).await;
    let b = serve(b).await;
    let fetcher = Fetcher::new(FetcherConfig {
        user_agent: UA.to_string(),
        allow_private_networks: allow_private,
        resolve: vec![("a.test".into(), a), ("b.test".into(), b)],
        connect_timeout: Duration::from_secs(2),
    })
    .unwrap();
    (fetcher, a.port(), b.port())
}

async fn robots(fetcher: &Fetcher, port: u16) -> (RobotsRules, Vec<Capture>) {
    let origin = Url::parse(&format!("http://a.test:{port}/")).unwrap();
    let mut captures = Vec::new();
    let rules = fetch_robots(fetcher, &origin, Duration::from_secs(2), &mut |c| {
        captures.push(c)
    })
    .await;
    (rules, captures)
}

fn url(port: u16, path: &str) -> Url {
    Url::parse(&format!("http://a.test:{port}{path}")).unwrap()
}

fn single(status: StatusCode, body: &'static str) -> Router {
    Router::new().route("/robots.txt", get(move || async move { (status, body) }))
}

#[tokio::test]
async fn ok_with_rules_is_parsed() {
    let body = "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\nSitemap: /sitemap.xml\n";
    let (f, a, _) = setup(single(StatusCode::OK, body), Router::new(), true).await;
    let (rules, captures) = robots(&f, a).await;
    assert!(matches!(rules, RobotsRules::Parsed(_)));
    assert!(!rules.is_allowed(UA, &url(a, "/private/x")));
    assert!(rules.is_allowed(UA, &url(a, "/public")));
    assert_eq!(rules.crawl_delay(UA), Some(Duration::from_secs(3)));
    assert_eq!(rules.sitemaps(), vec![url(a, "/sitemap.xml")]);
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0].url, url(a, "/robots.txt"));
    assert_eq!(&captures[0].body[..], body.as_bytes());
}

#[tokio::test]
async fn client_errors_allow_everything() {
    for status in [
        StatusCode::NOT_FOUND,
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::GONE,
    ] {
        let (f, a, _) = setup(
            single(status, "User-agent: *\nDisallow: /\n"),
            Router::new(),
            true,
        )
        .await;
        let (rules, captures) = robots(&f, a).await;
        assert!(
            matches!(rules, RobotsRules::AllowAll),
            "{status}: {rules:?}"
        );
        assert!(rules.is_allowed(UA, &url(a, "/anything")));
        assert_eq!(captures.len(), 1);
        assert_eq!(captures[0].status, status.as_u16());
    }
}

#[tokio::test]
async fn server_errors_make_robots_unavailable_for_now() {
    let (f, a, _) = setup(
        single(StatusCode::SERVICE_UNAVAILABLE, "busy"),
        Router::new(),
        true,
    )
    .await;
    let (rules, captures) = robots(&f, a).await;
    match &rules {
        RobotsRules::Unavailable {
            reason,
            retry_after,
        } => {
            assert!(reason.contains("503"), "{reason}");
            assert_eq!(*retry_after, None);
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert!(!rules.is_allowed(UA, &url(a, "/")));
    assert_eq!(captures.len(), 1);
}

#[tokio::test]
async fn redirect_chain_to_another_host_is_followed_and_archived() {
    let (f, a, b) = {
        // b first, so that a can redirect to it.
        let b_app = Router::new()
            .route(
                "/step",
                get(|| async {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, "/final-robots.txt")],
                        "",
                    )
                }),
            )
            .route(
                "/final-robots.txt",
                get(|| async { "User-agent: glaneur\nDisallow: /from-b/\n" }),
            );
        let b = serve(b_app).await;
        let b_port = b.port();
        let a_app = Router::new().route(
            "/robots.txt",
            get(move || async move {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, format!("http://b.test:{b_port}/step"))],
                    "",
                )
            }),
        );
        let a = serve(a_app).await;
        let fetcher = Fetcher::new(FetcherConfig {
            user_agent: UA.to_string(),
            allow_private_networks: true,
            resolve: vec![("a.test".into(), a), ("b.test".into(), b)],
            connect_timeout: Duration::from_secs(2),
        })
        .unwrap();
        (fetcher, a.port(), b.port())
    };
    let (rules, captures) = robots(&f, a).await;
    assert!(matches!(rules, RobotsRules::Parsed(_)), "{rules:?}");
    assert!(!rules.is_allowed(UA, &url(a, "/from-b/page")));
    assert!(rules.is_allowed(UA, &url(a, "/other")));
    let statuses: Vec<u16> = captures.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [301, 302, 200]);
    assert_eq!(captures[1].url.as_str(), format!("http://b.test:{b}/step"));
    assert_eq!(
        captures[2].url.as_str(),
        format!("http://b.test:{b}/final-robots.txt")
    );
}

#[tokio::test]
async fn too_many_redirects_disallow_everything() {
    let app = Router::new()
        .route(
            "/robots.txt",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/r/1")], "") }),
        )
        .route(
            "/r/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, format!("/r/{}", n + 1))],
                        "",
                    )
                },
            ),
        );
    let (f, a, _) = setup(app, Router::new(), true).await;
    let (rules, captures) = robots(&f, a).await;
    match &rules {
        RobotsRules::DisallowAll { reason } => assert!(reason.contains("redirects"), "{reason}"),
        other => panic!("expected DisallowAll, got {other:?}"),
    }
    // The first request and five redirects followed, each archived.
    assert_eq!(captures.len(), 6);
}

#[tokio::test]
async fn timeout_and_unreachable_disallow_everything() {
    let app = Router::new().route(
        "/robots.txt",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "User-agent: *\nDisallow:\n"
        }),
    );
    let (f, a, _) = setup(app, Router::new(), true).await;
    let origin = Url::parse(&format!("http://a.test:{a}/")).unwrap();
    let mut captures = Vec::new();
    let started = std::time::Instant::now();
    let rules = fetch_robots(&f, &origin, Duration::from_millis(500), &mut |c| {
        captures.push(c)
    })
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(rules, RobotsRules::Unavailable { .. }),
        "{rules:?}"
    );
    assert!(captures.is_empty());

    // Nobody listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let origin = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let rules = fetch_robots(&f, &origin, Duration::from_secs(1), &mut |c| {
        captures.push(c)
    })
    .await;
    assert!(
        matches!(rules, RobotsRules::Unavailable { .. }),
        "{rules:?}"
    );
}

#[tokio::test]
async fn private_address_is_refused_and_disallows() {
    let (f, a, _) = setup(
        single(StatusCode::OK, "User-agent: *\nDisallow:\n"),
        Router::new(),
        false,
    )
    .await;
    let (rules, captures) = robots(&f, a).await;
    match &rules {
        // Not a robots.txt decision: counted as refused_private by the crawl.
        RobotsRules::Refused { reason } => assert!(reason.contains("refused"), "{reason}"),
        other => panic!("expected Refused, got {other:?}"),
    }
    assert!(captures.is_empty());
}

#[tokio::test]
async fn invalid_bytes_are_decoded_lossily() {
    let app = Router::new().route(
        "/robots.txt",
        get(|| async {
            let body: Vec<u8> =
                b"\xef\xbb\xbfUser-agent: *\nDisallow: /caf\xe9\xff/\nDisallow: /admin/\n".to_vec();
            ([(header::CONTENT_TYPE, "text/plain")], body)
        }),
    );
    let (f, a, _) = setup(app, Router::new(), true).await;
    let (rules, _) = robots(&f, a).await;
    assert!(!rules.is_allowed(UA, &url(a, "/admin/x")));
    assert!(rules.is_allowed(UA, &url(a, "/ok")));
}

#[tokio::test]
async fn huge_file_is_cut_and_its_prefix_parsed() {
    let app = Router::new().route(
        "/robots.txt",
        get(|| async {
            let mut body = String::from("User-agent: *\nDisallow: /early/\n");
            while body.len() < 10_000_000 {
                body.push_str("Disallow: /filler/that/matches/nothing/we/ask/for\n");
            }
            body.push_str("Disallow: /late/\n");
            body.into_response()
        }),
    );
    let (f, a, _) = setup(app, Router::new(), true).await;
    let (rules, captures) = robots(&f, a).await;
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0].body.len(), 500 * 1024);
    assert_eq!(captures[0].truncated, Some(Truncation::Length));
    assert!(!rules.is_allowed(UA, &url(a, "/early/x")));
    assert!(rules.is_allowed(UA, &url(a, "/late/x")));
}

#[tokio::test]
async fn gzip_encoded_robots_is_decoded() {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b"User-agent: *\nDisallow: /zipped/\n").unwrap();
    let gz = e.finish().unwrap();
    let app = Router::new().route(
        "/robots.txt",
        get(move || {
            let gz = gz.clone();
            async move { ([(header::CONTENT_ENCODING, "gzip")], gz) }
        }),
    );
    let (f, a, _) = setup(app, Router::new(), true).await;
    let (rules, captures) = robots(&f, a).await;
    assert_eq!(&captures[0].body[..2], &[0x1f, 0x8b]);
    assert!(!rules.is_allowed(UA, &url(a, "/zipped/x")));
    assert!(rules.is_allowed(UA, &url(a, "/plain")));
}
