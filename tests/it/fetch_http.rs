//! The fetcher against in-process servers on 127.0.0.1: axum for ordinary answers, a raw
//! TCP server where the exact bytes on the wire matter (request reconstruction, chunked
//! bodies, stalls, disconnections).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use glaneur::capture::Truncation;
use glaneur::fetch::{FetchError, FetchRequest, Fetcher, FetcherConfig, decode_content};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

const UA: &str = "glaneur/0.1 (+https://example.org/contact)";

fn fetcher(allow_private: bool, resolve: Vec<(String, SocketAddr)>) -> Fetcher {
    Fetcher::new(FetcherConfig {
        user_agent: UA.to_string(),
        allow_private_networks: allow_private,
        resolve,
        connect_timeout: Duration::from_secs(2),
    })
    .unwrap()
}

fn request(url: &str) -> FetchRequest {
    FetchRequest {
        url: Url::parse(url).unwrap(),
        headers: Vec::new(),
        max_body_bytes: 10 << 20,
        timeout: Duration::from_secs(10),
        read_timeout: Duration::from_secs(5),
    }
}

fn page() -> String {
    (0..2000)
        .map(|i| format!("<p>paragraphe {i}</p>\n"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn axum_server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/plain",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                        (header::ETAG, "\"abc\""),
                    ],
                    "<html>bonjour</html>",
                )
            }),
        )
        .route(
            "/gzip",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/html"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    gzip(page().as_bytes()),
                )
            }),
        )
        .route("/big", get(|| async { vec![b'x'; 100_000] }))
        .route(
            "/moved",
            get(|| async {
                (
                    StatusCode::MOVED_PERMANENTLY,
                    [(header::LOCATION, "/target?x=1")],
                    "",
                )
            }),
        )
        .route("/target", get(|| async { "target" }))
        .route(
            "/echo",
            get(|headers: HeaderMap| async move {
                let ae = headers
                    .get(header::ACCEPT_ENCODING)
                    .map(|v| v.to_str().unwrap().to_string());
                ae.unwrap_or_default().into_response()
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    addr
}

/// What a raw server saw: one request head per request, and the connection count.
#[derive(Default)]
struct Seen {
    heads: Mutex<Vec<Vec<u8>>>,
    connections: AtomicUsize,
}

/// Reads one request head (up to the blank line) from `stream`.
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}

/// A raw HTTP/1.1 server: for every request on every connection, records the head and
/// lets `answer` write the response; `answer` returns whether to keep the connection.
async fn raw_server<F, Fut>(answer: F) -> (SocketAddr, Arc<Seen>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Option<TcpStream>> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            seen2.connections.fetch_add(1, Ordering::SeqCst);
            let (answer, seen) = (answer.clone(), seen2.clone());
            tokio::spawn(async move {
                loop {
                    let Some(head) = read_head(&mut stream).await else {
                        return;
                    };
                    seen.heads.lock().unwrap().push(head);
                    match answer(stream).await {
                        Some(s) => stream = s,
                        None => return,
                    }
                }
            });
        }
    });
    (addr, seen)
}

#[tokio::test]
async fn request_and_response_head_are_reconstructed_byte_exact() {
    let (addr, seen) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 Fine Thanks\r\nContent-Type: text/plain\r\nX-Odd-Value: a  b\tc\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\n\r\nhello")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let f = fetcher(true, vec![("news.test".into(), addr)]);
    let mut req = request(&format!(
        "http://news.test:{}/path/caf%C3%A9?q=1&r=%20#frag",
        addr.port()
    ));
    req.headers.push(("If-None-Match".into(), "\"v1\"".into()));
    req.headers.push(("x-lower".into(), "v".into()));
    let c = f.fetch(&req).await.unwrap();
    let heads = seen.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&c.request),
        String::from_utf8_lossy(&heads[0]),
        "reconstructed request differs from the bytes received"
    );
    assert!(
        c.request
            .starts_with(b"GET /path/caf%C3%A9?q=1&r=%20 HTTP/1.1\r\nHost: news.test:")
    );
    let text = String::from_utf8_lossy(&c.request).to_string();
    for h in [
        format!("User-Agent: {UA}\r\n"),
        "Accept-Encoding: gzip, deflate, br, zstd\r\n".into(),
        "Accept-Language: fr,en;q=0.8\r\n".into(),
        "If-None-Match: \"v1\"\r\n".into(),
        "X-Lower: v\r\n".into(),
    ] {
        assert!(text.contains(&h), "missing {h:?} in {text}");
    }
    assert_eq!(c.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&c.response_head),
        "HTTP/1.1 200 Fine Thanks\r\nContent-Type: text/plain\r\nX-Odd-Value: a  b\tc\r\nSet-Cookie: a=1\r\nContent-Length: 5\r\n\r\n"
    );
    assert_eq!(&c.body[..], b"hello");
    assert_eq!(c.ip, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(c.truncated, None);
    assert_eq!(c.header("x-odd-value"), Some("a  b\tc"));
}

#[tokio::test]
async fn credentials_in_the_url_are_not_sent() {
    let (addr, seen) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://user:secret@{addr}/private")))
        .await
        .unwrap();
    let heads = seen.heads.lock().unwrap().clone();
    assert_eq!(c.request, heads[0]);
    let text = String::from_utf8_lossy(&heads[0]).to_ascii_lowercase();
    assert!(!text.contains("authorization"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn repeated_headers_are_all_kept() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nVary: Accept\r\nSET-COOKIE: b=2\r\nContent-Length: 0\r\n\r\n")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/")))
        .await
        .unwrap();
    // hyper groups repeated names under the first one's position; names come back
    // title-cased; every line and value is kept.
    assert_eq!(
        String::from_utf8_lossy(&c.response_head),
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nVary: Accept\r\nContent-Length: 0\r\n\r\n"
    );
}

#[tokio::test]
async fn canonical_reason_when_the_server_sends_it() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/missing")))
        .await
        .unwrap();
    assert_eq!(c.status, 404);
    assert!(c.response_head.starts_with(b"HTTP/1.1 404 Not Found\r\n"));
    assert!(
        c.request
            .starts_with(format!("GET /missing HTTP/1.1\r\nHost: {addr}\r\n").as_bytes())
    );
}

#[tokio::test]
async fn http_1_0_response_keeps_its_version() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold server")
            .await
            .ok()?;
        None
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&c.response_head),
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
    );
    assert_eq!(&c.body[..], b"old server");
    assert_eq!(c.truncated, None);
}

#[tokio::test]
async fn connections_are_reused() {
    let (addr, seen) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let f = fetcher(true, vec![]);
    for i in 0..3 {
        let c = f
            .fetch(&request(&format!("http://{addr}/{i}")))
            .await
            .unwrap();
        assert_eq!(&c.body[..], b"ok");
    }
    assert_eq!(seen.heads.lock().unwrap().len(), 3);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn gzip_body_is_kept_compressed() {
    let addr = axum_server().await;
    let f = fetcher(true, vec![]);
    let c = f
        .fetch(&request(&format!("http://{addr}/gzip")))
        .await
        .unwrap();
    assert_eq!(c.header("content-encoding"), Some("gzip"));
    assert_eq!(&c.body[..2], &[0x1f, 0x8b], "body is still gzip");
    assert_eq!(
        c.body.len().to_string(),
        c.header("content-length").unwrap()
    );
    assert_eq!(decode_content(&c, 10 << 20).unwrap(), page().as_bytes());

    let c = f
        .fetch(&request(&format!("http://{addr}/echo")))
        .await
        .unwrap();
    assert_eq!(&c.body[..], b"gzip, deflate, br, zstd");
    let c = f
        .fetch(&request(&format!("http://{addr}/plain")))
        .await
        .unwrap();
    assert_eq!(&c.body[..], b"<html>bonjour</html>");
    assert_eq!(c.content_type(), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&c.response_head).contains("Etag: \"abc\"\r\n"));
}

#[tokio::test]
async fn chunked_body_is_dechunked_and_head_keeps_transfer_encoding() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .ok()?;
        for part in ["Bonjour", ", ", "le monde"] {
            s.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
                .await
                .ok()?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        s.write_all(b"0\r\n\r\n").await.ok()?;
        Some(s)
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(&c.body[..], b"Bonjour, le monde");
    assert_eq!(c.truncated, None);
    assert!(String::from_utf8_lossy(&c.response_head).contains("Transfer-Encoding: chunked\r\n"));
}

#[tokio::test]
async fn body_is_cut_at_max_body_bytes() {
    let addr = axum_server().await;
    let mut req = request(&format!("http://{addr}/big"));
    req.max_body_bytes = 10_000;
    let c = fetcher(true, vec![]).fetch(&req).await.unwrap();
    assert_eq!(c.body.len(), 10_000);
    assert_eq!(c.truncated, Some(Truncation::Length));
    // Exactly at the limit is not a truncation.
    req.max_body_bytes = 100_000;
    let c = fetcher(true, vec![]).fetch(&req).await.unwrap();
    assert_eq!(c.body.len(), 100_000);
    assert_eq!(c.truncated, None);
}

#[tokio::test]
async fn read_idle_timeout_mid_body_keeps_what_arrived() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            .await
            .ok()?;
        s.write_all(&[b'a'; 500]).await.ok()?;
        tokio::time::sleep(Duration::from_secs(30)).await;
        None
    })
    .await;
    let mut req = request(&format!("http://{addr}/"));
    req.read_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let c = fetcher(true, vec![]).fetch(&req).await.unwrap();
    assert_eq!(c.body.len(), 500);
    assert_eq!(c.truncated, Some(Truncation::Time));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn total_timeout_mid_body_keeps_what_arrived() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .ok()?;
        loop {
            s.write_all(b"a\r\n0123456789\r\n").await.ok()?;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let mut req = request(&format!("http://{addr}/"));
    req.timeout = Duration::from_secs(1);
    req.read_timeout = Duration::from_secs(5);
    let c = fetcher(true, vec![]).fetch(&req).await.unwrap();
    assert_eq!(c.truncated, Some(Truncation::Time));
    assert!(c.body.len() >= 100, "{} bytes", c.body.len());
    assert!(
        c.elapsed >= Duration::from_millis(900) && c.elapsed < Duration::from_secs(3),
        "{:?}",
        c.elapsed
    );
}

#[tokio::test]
async fn no_headers_within_timeout_is_an_error() {
    let (addr, _) = raw_server(|s: TcpStream| async move {
        let _open = s;
        tokio::time::sleep(Duration::from_secs(30)).await;
        None
    })
    .await;
    let mut req = request(&format!("http://{addr}/"));
    req.timeout = Duration::from_millis(500);
    let err = fetcher(true, vec![]).fetch(&req).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn connection_dropped_mid_body_keeps_what_arrived() {
    let (addr, _) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            .await
            .ok()?;
        s.write_all(&[b'z'; 500]).await.ok()?;
        s.flush().await.ok()?;
        None // closes the connection
    })
    .await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/")))
        .await
        .unwrap();
    assert_eq!(c.body.len(), 500);
    assert_eq!(c.truncated, Some(Truncation::Disconnect));
}

#[tokio::test]
async fn connection_refused_and_closed_before_headers_are_network_errors() {
    let (addr, _) = raw_server(|_s: TcpStream| async move { None }).await;
    let err = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err}");
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = fetcher(true, vec![])
        .fetch(&request(&format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err}");
}

#[tokio::test]
async fn https_client_works_up_to_the_handshake() {
    // A plain-HTTP server answering a TLS client: the handshake fails cleanly (no panic,
    // the rustls provider is installed and the platform verifier built).
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let err = fetcher(true, vec![])
        .fetch(&request(&format!("https://{addr}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err}");
    let err = fetcher(true, vec![])
        .fetch(&request("ftp://example.test/"))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let addr = axum_server().await;
    let c = fetcher(true, vec![])
        .fetch(&request(&format!("http://{addr}/moved")))
        .await
        .unwrap();
    assert_eq!(c.status, 301);
    assert!(c.is_redirect());
    assert_eq!(c.header("location"), Some("/target?x=1"));
    assert_eq!(
        c.redirect_target().unwrap().as_str(),
        format!("http://{addr}/target?x=1")
    );
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let (addr, seen) = raw_server(|mut s: TcpStream| async move {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .await
            .ok()?;
        Some(s)
    })
    .await;
    let resolve = vec![("public.test".to_string(), addr)];
    let guarded = fetcher(false, resolve.clone());
    for url in [
        format!("http://public.test:{}/", addr.port()),
        format!("http://127.0.0.1:{}/", addr.port()),
        format!("http://[::1]:{}/", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/", addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://10.0.0.1/".to_string(),
        format!("http://localhost:{}/", addr.port()),
    ] {
        let err = guarded.fetch(&request(&url)).await.unwrap_err();
        assert!(matches!(err, FetchError::Blocked { .. }), "{url}: {err}");
        assert!(!err.is_transient());
    }
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        0,
        "nothing reached the server"
    );

    let open = fetcher(true, resolve);
    let c = open
        .fetch(&request(&format!("http://public.test:{}/", addr.port())))
        .await
        .unwrap();
    assert_eq!(&c.body[..], b"ok");
    assert!(c.request.starts_with(
        format!("GET / HTTP/1.1\r\nHost: public.test:{}\r\n", addr.port()).as_bytes()
    ));
    let c = open
        .fetch(&request(&format!("http://127.0.0.1:{}/", addr.port())))
        .await
        .unwrap();
    assert_eq!(&c.body[..], b"ok");
    assert_eq!(seen.heads.lock().unwrap().len(), 2);
}
