//! The `Host` check against DNS rebinding: a web page of another site, whose name an
//! attacker points at 127.0.0.1, would otherwise read the whole archive through the API
//! from the visitor's browser. Only the names the server is reached by are answered: the
//! bound address, `localhost`, `127.0.0.1`, `[::1]`, and names given with `--allow-host`;
//! any other `Host` (or none) gets `421 Misdirected Request`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The host names a server answers to (lower-case, without port).
#[derive(Debug, Clone)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// `localhost`, `127.0.0.1`, `[::1]`, the address bound (unless unspecified) and
    /// `extra` (from `--allow-host`).
    pub fn new(bound: SocketAddr, extra: &[String]) -> AllowedHosts {
        let mut names: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()];
        if !bound.ip().is_unspecified() {
            names.push(match bound {
                SocketAddr::V4(a) => a.ip().to_string(),
                SocketAddr::V6(a) => format!("[{}]", a.ip()),
            });
        }
        for e in extra {
            let e = normalise(e);
            if !e.is_empty() {
                names.push(e);
            }
        }
        names.sort();
        names.dedup();
        AllowedHosts(names)
    }

    /// True when a `Host` header value names this server.
    pub fn allows(&self, host: &str) -> bool {
        let name = normalise(strip_port(host.trim()));
        !name.is_empty() && self.0.contains(&name)
    }
}

fn normalise(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// `name:port` → `name`; `[v6]:port` → `[v6]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

async fn check_host(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| request.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if allowed.allows(&h) => next.run(request).await,
        _ => (
            StatusCode::MISDIRECTED_REQUEST,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "421 Misdirected Request: this glaneur server does not answer to this host name (add it with --allow-host)\n",
        )
            .into_response(),
    }
}

/// `router` answering only requests whose `Host` is in `allowed`.
pub fn guard(router: Router, allowed: AllowedHosts) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(allowed),
        check_host,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_and_loopback_names_are_allowed_others_are_not() {
        let a = AllowedHosts::new("127.0.0.1:8080".parse().unwrap(), &["Archive.Lan".into()]);
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:9",
            "[::1]:8080",
            "archive.lan",
            "archive.lan.:80",
        ] {
            assert!(a.allows(ok), "{ok}");
        }
        for bad in [
            "evil.test",
            "evil.test:8080",
            "127.0.0.2",
            "",
            "localhost.evil.test",
        ] {
            assert!(!a.allows(bad), "{bad}");
        }
        let v6 = AllowedHosts::new("[::1]:80".parse().unwrap(), &[]);
        assert!(v6.allows("[::1]"));
        let any = AllowedHosts::new("0.0.0.0:80".parse().unwrap(), &[]);
        assert!(!any.allows("0.0.0.0"));
    }
}
