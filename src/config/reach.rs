//! Pre-flight check of the start URLs, before a crawl: does each host resolve, may it be
//! contacted (the private-network guard), and does it accept a connection? Each problem
//! names the profile file and the line of the URL in `start`, says what failed and how to
//! fix it, so that a mistyped host or a dead site is reported at once, not found later in
//! the crawl's statistics.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use super::SiteProfile;
use crate::fetch::is_private_address;

/// A start URL that cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartProblem {
    /// The profile's name.
    pub profile: String,
    /// The profile's file (None for a URL given on the command line).
    pub file: Option<PathBuf>,
    /// The line of the URL in the file's `start` list.
    pub line: Option<usize>,
    /// The start URL.
    pub url: Url,
    /// What failed, in words.
    pub problem: String,
    /// How to fix it.
    pub fix: String,
}

impl std::fmt::Display for StartProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{line}: ", file.display())?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            (None, _) => write!(f, "command line: ")?,
        }
        write!(
            f,
            "start URL {} is unreachable: {}; {}",
            self.url, self.problem, self.fix
        )
    }
}

/// Checks every start URL of `sites`, all at once, each within `timeout`: the host
/// resolves (through `resolve` first, as the crawl does), it has an address the policy
/// allows (`allow_private`), and a TCP connection to it succeeds (it is closed at once;
/// no request is sent). Returns the problems, in profile order.
pub async fn check_start_urls(
    sites: &[SiteProfile],
    allow_private: bool,
    resolve: &[(String, SocketAddr)],
    timeout: Duration,
) -> Vec<StartProblem> {
    let mut checks = tokio::task::JoinSet::new();
    let mut index = 0usize;
    for site in sites {
        for url in &site.start {
            let site_name = site.name.clone();
            let file = site.source.clone();
            let line = site.start_line(url);
            let url = url.clone();
            let overrides: Vec<SocketAddr> = url
                .host_str()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                .map(|h| {
                    resolve
                        .iter()
                        .filter(|(name, _)| *name == h)
                        .map(|(_, a)| *a)
                        .collect()
                })
                .unwrap_or_default();
            let n = index;
            index += 1;
            checks.spawn(async move {
                let outcome = check_one(&url, &overrides, allow_private, timeout).await;
                (
                    n,
                    outcome.err().map(|(problem, fix)| StartProblem {
                        profile: site_name,
                        file,
                        line,
                        url,
                        problem,
                        fix,
                    }),
                )
            });
        }
    }
    let mut found = Vec::new();
    while let Some(joined) = checks.join_next().await {
        if let Ok((n, Some(problem))) = joined {
            found.push((n, problem));
        }
    }
    found.sort_by_key(|(n, _)| *n);
    found.into_iter().map(|(_, p)| p).collect()
}

/// Resolves and connects to `url`'s host; on failure, the problem and its fix.
async fn check_one(
    url: &Url,
    overrides: &[SocketAddr],
    allow_private: bool,
    timeout: Duration,
) -> Result<(), (String, String)> {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err((
            "it has no host".into(),
            "write a full URL like \"https://www.example.org/\"".into(),
        ));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = if overrides.is_empty() {
        match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => {
                return Err((
                    format!("the host {host} does not resolve ({e})"),
                    "check the spelling of the host name, and the machine's DNS and network".into(),
                ));
            }
            Err(_) => {
                return Err((
                    format!("no DNS answer for {host} within {}s", timeout.as_secs_f64()),
                    "check the machine's DNS and network".into(),
                ));
            }
        }
    } else {
        overrides
            .iter()
            .map(|a| {
                if a.port() == 0 {
                    SocketAddr::new(a.ip(), port)
                } else {
                    *a
                }
            })
            .collect()
    };
    if addrs.is_empty() {
        return Err((
            format!("the host {host} has no address"),
            "check the spelling of the host name".into(),
        ));
    }
    let allowed: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| allow_private || !is_private_address(a.ip()))
        .collect();
    let Some(first) = allowed.first().copied() else {
        return Err((
            format!(
                "{host} resolves to {}, a private, loopback or link-local address, and the policy has allow_private_networks = false",
                addrs[0].ip()
            ),
            "give --allow-private-networks (or set `allow_private_networks = true` in the policy file) if this site is meant to be crawled on a private network".into(),
        ));
    };
    let mut last_error = None;
    for addr in &allowed {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_stream)) => return Ok(()),
            Ok(Err(e)) => last_error = Some((*addr, Some(e))),
            Err(_) => last_error = Some((*addr, None)),
        }
    }
    let (addr, error) = last_error.unwrap_or((first, None));
    Err(match error {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => (
            format!("{host} ({addr}) refuses connections on port {port}"),
            "check the port and the scheme (http or https) in the URL, or whether the site is down"
                .into(),
        ),
        Some(e) => (
            format!("cannot connect to {host} ({addr}): {e}"),
            "check the URL and the machine's network".into(),
        ),
        None => (
            format!(
                "{host} ({addr}) did not answer within {}s",
                timeout.as_secs_f64()
            ),
            "check the URL, a firewall or proxy, or whether the site is down".into(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn profile(text: &str) -> SiteProfile {
        let path = Path::new("seeds/site.toml");
        let mut p = SiteProfile::parse(text, path).expect("profile parses");
        p.source = Some(path.to_path_buf());
        p
    }

    #[tokio::test]
    async fn reachable_refused_unresolvable_and_private_hosts() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let open = listener.local_addr().expect("addr");
        // A port that was free a moment ago: nothing listens there.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr")
        };
        // A label longer than 63 bytes: the system resolver refuses the name without
        // sending a query (no traffic leaves the machine).
        let nowhere = format!("{}.invalid", "a".repeat(70));
        let sites = vec![profile(&format!(
            "name = \"s\"\nstart = [\n  \"http://up.test:{}/\",\n  \"http://down.test:{}/\",\n  \"http://{nowhere}/\",\n]\n",
            open.port(),
            closed.port()
        ))];
        let resolve = vec![
            ("up.test".to_string(), open),
            ("down.test".to_string(), closed),
        ];
        let t = Duration::from_secs(2);
        let problems = check_start_urls(&sites, true, &resolve, t).await;
        assert_eq!(problems.len(), 2, "{problems:?}");
        let refused = problems[0].to_string();
        assert!(
            refused.starts_with("seeds/site.toml:4: start URL http://down.test:"),
            "{refused}"
        );
        assert!(refused.contains("refuses connections"), "{refused}");
        assert!(refused.contains("check the port"), "{refused}");
        let unresolved = problems[1].to_string();
        assert!(
            unresolved.starts_with("seeds/site.toml:5: "),
            "{unresolved}"
        );
        assert!(unresolved.contains("does not resolve"), "{unresolved}");
        assert!(unresolved.contains("spelling"), "{unresolved}");

        // With private networks forbidden, loopback is refused before any connection.
        let problems = check_start_urls(&sites[..1], false, &resolve, t).await;
        let private = problems[0].to_string();
        assert!(private.contains("allow_private_networks"), "{private}");
        drop(listener);
    }
}
