//! Misbehaving HTTP servers for the fault-injection suite: a raw TCP listener on loopback
//! that reads a request head and then follows a script (write bytes, pause, reset the
//! connection, hang), chosen per request by a closure. It counts connections and records
//! every request it parsed, so tests can assert what reached it and when.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// One request as the raw server parsed it.
#[derive(Debug, Clone)]
pub struct RawHit {
    /// The `Host` header, without the port.
    pub host: String,
    /// The request target (path and query).
    pub path: String,
    /// Every header, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// When the head was complete.
    pub at: Instant,
    /// How many requests were made to this exact host and path before this one.
    pub nth: usize,
}

impl RawHit {
    /// The value of a header (name lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One step of a server's answer.
#[derive(Debug, Clone)]
pub enum Step {
    /// Write these bytes.
    Write(Vec<u8>),
    /// Write these bytes one at a time, pausing between bytes.
    Drip(Vec<u8>, Duration),
    /// Write this chunk again and again, forever (until the peer goes away).
    Forever(Vec<u8>),
    /// Pause.
    Sleep(Duration),
    /// Reset the connection (RST: linger 0, then close).
    Reset,
    /// Close the connection normally (FIN).
    Close,
    /// Keep the connection open and silent until the server is dropped.
    Hang,
}

/// A script: what to do for a request.
pub type Script = Arc<dyn Fn(&RawHit) -> Vec<Step> + Send + Sync>;

/// A complete HTTP/1.1 response with a correct `Content-Length`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (n, v) in headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
    out
}

/// A response head only (the caller writes the body), with the given headers verbatim.
pub fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status)).into_bytes();
    for (n, v) in headers {
        out.extend_from_slice(format!("{n}: {v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// An HTML page.
pub fn html(body: &str) -> Vec<Step> {
    vec![Step::Write(response(
        200,
        &[("Content-Type", "text/html; charset=utf-8")],
        body.as_bytes(),
    ))]
}

/// A 404.
pub fn not_found() -> Vec<Step> {
    vec![Step::Write(response(
        404,
        &[("Content-Type", "text/plain")],
        b"not found",
    ))]
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// A raw misbehaving server on 127.0.0.1.
pub struct RawServer {
    /// Its address.
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<RawHit>>>,
    connections: Arc<AtomicUsize>,
    shutdown: CancellationToken,
}

impl RawServer {
    /// Starts a server that answers every request with `script(hit)`.
    pub async fn start(script: impl Fn(&RawHit) -> Vec<Step> + Send + Sync + 'static) -> RawServer {
        let script: Script = Arc::new(script);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let hits = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let (h, c, s) = (
            Arc::clone(&hits),
            Arc::clone(&connections),
            shutdown.clone(),
        );
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = s.cancelled() => break,
                };
                let Ok((stream, _)) = accepted else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                let (h, script, s) = (Arc::clone(&h), Arc::clone(&script), s.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        _ = serve(stream, h, script) => {}
                        _ = s.cancelled() => {}
                    }
                });
            }
        });
        RawServer {
            addr,
            hits,
            connections,
            shutdown,
        }
    }

    /// Every request parsed so far.
    pub fn hits(&self) -> Vec<RawHit> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// Requests for `host`, in order.
    pub fn hits_for(&self, host: &str) -> Vec<RawHit> {
        self.hits().into_iter().filter(|h| h.host == host).collect()
    }

    /// Paths requested on `host`, in order.
    pub fn paths(&self, host: &str) -> Vec<String> {
        self.hits_for(host).into_iter().map(|h| h.path).collect()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn serve(mut stream: TcpStream, hits: Arc<Mutex<Vec<RawHit>>>, script: Script) {
    let mut buf = Vec::new();
    loop {
        // Read one request head.
        let end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let text = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end);
        let mut lines = text.split("\r\n");
        let path = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .unwrap_or("/")
            .to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let host = headers
            .iter()
            .find(|(n, _)| n == "host")
            .map(|(_, v)| v.split(':').next().unwrap_or("").to_string())
            .unwrap_or_default();
        let hit = {
            let Ok(mut all) = hits.lock() else { return };
            let nth = all
                .iter()
                .filter(|h| h.host == host && h.path == path)
                .count();
            let hit = RawHit {
                host,
                path,
                headers,
                at: Instant::now(),
                nth,
            };
            all.push(hit.clone());
            hit
        };
        for step in script(&hit) {
            match step {
                Step::Write(bytes) => {
                    if stream.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Drip(bytes, pause) => {
                    for b in bytes {
                        if stream.write_all(&[b]).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(pause).await;
                    }
                }
                Step::Forever(chunk) => loop {
                    if stream.write_all(&chunk).await.is_err() {
                        return;
                    }
                },
                Step::Sleep(d) => tokio::time::sleep(d).await,
                #[allow(deprecated)] // SO_LINGER 0 is exactly what a reset needs
                Step::Reset => {
                    let _ = stream.set_linger(Some(Duration::ZERO));
                    return;
                }
                Step::Close => {
                    let _ = stream.shutdown().await;
                    return;
                }
                Step::Hang => std::future::pending::<()>().await,
            }
        }
    }
}
