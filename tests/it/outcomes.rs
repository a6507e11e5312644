//! Honest outcomes and command-line politeness: exit code 5 when nothing could be
//! fetched, private addresses counted as `refused_private` (not robots-denied) with the
//! fix in the message, `--user-agent`/`--rate`/`--concurrency` in the warcinfo record,
//! the placeholder-contact warning, "did you mean http://", and `--metrics` during a crawl.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use glaneur::demo::{self, DemoServer, DemoSite};

use crate::support::{TestServer, all_records, crawl, news_site, settings};

fn glaneur(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run glaneur")
}

#[test]
fn a_start_url_that_does_not_resolve_exits_5_within_10_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let out = glaneur(
        dir.path(),
        &[
            "crawl",
            "http://glaneur-nowhere.invalid/",
            "--archive",
            "a",
            "--json",
        ],
    );
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(
        !stderr.contains('\u{1b}'),
        "escape characters in piped stderr: {stderr:?}"
    );
    assert!(stderr.contains("nothing fetched"), "{stderr}");
    assert!(stderr.contains("placeholder contact"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["stop_reason"], "nothing-fetched");
    assert_eq!(summary["pages"], 0);
}

#[test]
fn a_start_url_without_a_scheme_gets_a_suggestion() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = glaneur(dir.path(), &["crawl", "www.example.org"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean http://www.example.org"),
        "{stderr}"
    );
}

#[test]
fn crawl_help_shows_the_politeness_options_and_exit_code_5() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = glaneur(dir.path(), &["crawl", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--user-agent",
        "--rate",
        "--concurrency",
        "--allow-private-networks",
        "--metrics",
        "--log-format",
        "5  nothing fetched",
    ] {
        assert!(help.contains(needle), "{needle} missing from crawl --help");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_address_is_refused_and_counted_as_such() {
    let server = TestServer::start([("news.test".to_string(), news_site(3))].into()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = settings(dir.path(), &server, &["news.test"], &["http://news.test/"]);
    s.policy.allow_private_networks = false;
    let summary = crawl(s).await;
    assert_eq!(summary.pages, 0);
    assert_eq!(summary.robots_denied, 0, "{summary:?}");
    assert!(summary.refused_private >= 1, "{summary:?}");
    assert!(server.hits().is_empty(), "nothing reaches the server");

    // From the command line: nothing crawled, exit code 5, the fix in the message.
    let addr = server.addr.to_string();
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        glaneur(
            &cwd,
            &[
                "crawl",
                &format!("http://{addr}/"),
                "--archive",
                "b",
                "--json",
            ],
        )
    })
    .await
    .expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("--allow-private-networks"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(summary["refused_private"], 1, "{summary}");
    assert_eq!(summary["stop_reason"], "nothing-fetched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_line_politeness_reaches_the_warcinfo_record() {
    let site = Arc::new(DemoSite::generate(1, 5, &demo::base_url()));
    let server = DemoServer::start(site, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let resolve = format!("{}={}", demo::DEMO_HOST, server.addr());
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        glaneur(
            &cwd,
            &[
                "crawl",
                "http://echo-numerique.test/",
                "--resolve",
                &resolve,
                "--allow-private-networks",
                "--user-agent",
                "test-archive/2.0 (+mailto:archive@example.org)",
                "--rate",
                "40",
                "--concurrency",
                "3",
                "--max-pages",
                "4",
                "--archive",
                "a",
            ],
        )
    })
    .await
    .expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("placeholder contact"), "{stderr}");
    let warcinfo = all_records(&dir.path().join("a"))
        .into_iter()
        .find(|r| r.header("WARC-Type") == Some("warcinfo"))
        .expect("a warcinfo record");
    let text = String::from_utf8_lossy(&warcinfo.block).into_owned();
    assert!(
        text.contains("http-header-user-agent: test-archive/2.0 (+mailto:archive@example.org)"),
        "{text}"
    );
    assert!(text.contains("requests_per_second=40 "), "{text}");
    assert!(text.contains("max_concurrent=3 "), "{text}");
}

/// `GET /metrics` on `addr`, the whole response as text; None when nothing listens.
fn scrape(addr: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn sample(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_follow_the_crawl_and_end_at_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args([
            "demo",
            "--no-serve",
            "--json",
            "--quiet",
            "--articles",
            "40",
            "--rate",
            "25",
            "--archive",
            "a",
            "--metrics",
            &addr,
            "--metrics-linger",
            "3s",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start glaneur demo");
    let mut seen: Vec<f64> = Vec::new();
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match scrape(&addr) {
            Some(text) if text.contains("glaneur_up 0") => {
                last = text;
                break;
            }
            Some(text) => {
                assert!(text.starts_with("HTTP/1.0 200"), "{text}");
                assert!(text.contains("text/plain; version=0.0.4"), "{text}");
                if let Some(pages) = sample(&text, "glaneur_pages_total") {
                    seen.push(pages);
                }
            }
            None => {}
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = child.wait_with_output().expect("glaneur demo ends");
    assert!(out.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let final_pages = sample(&last, "glaneur_pages_total").expect("a last scrape after the crawl");
    assert_eq!(
        Some(final_pages as u64),
        summary["pages"].as_u64(),
        "{last}"
    );
    assert!(seen.windows(2).all(|w| w[1] >= w[0]), "{seen:?}");
    assert!(
        seen.windows(2).filter(|w| w[1] > w[0]).count() >= 2,
        "the page count grew during the crawl: {seen:?}"
    );
    assert_eq!(
        sample(&last, "glaneur_article_records_total").map(|v| v as u64),
        summary["articles"].as_u64()
    );
    assert!(sample(&last, "glaneur_responses_total{class=\"2xx\"}").unwrap_or(0.0) > 0.0);
}

/// An interrupted crawl resumes the URLs its state still holds even when no start URL can
/// be reached today: here the start page's host is down, the articles' host is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_crawl_resumes_its_queue_when_the_start_host_is_down() {
    let site = Arc::new(DemoSite::generate(1, 8, &demo::base_url()));
    let server = DemoServer::start(site, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("portail.toml"),
        r#"name = "portail"
start = ["http://portail.test/"]
scope = ["http://portail.test/", "http://echo-numerique.test/"]
"#,
    )
    .expect("write the profile");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let run = |portail: String, max_pages: Option<&'static str>| {
        let cwd = dir.path().to_path_buf();
        let articles = format!("{}={}", demo::DEMO_HOST, server.addr());
        tokio::task::spawn_blocking(move || {
            let mut args = vec![
                "crawl".to_string(),
                "--seeds".into(),
                "portail.toml".into(),
                "--resolve".into(),
                format!("portail.test={portail}"),
                "--resolve".into(),
                articles,
                "--allow-private-networks".into(),
                "--rate".into(),
                "50".into(),
                "--archive".into(),
                "a".into(),
                "--json".into(),
            ];
            if let Some(n) = max_pages {
                args.extend(["--max-pages".into(), n.into()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            glaneur(&cwd, &args)
        })
    };
    let first = run(server.addr().to_string(), Some("3"))
        .await
        .expect("join");
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let before = all_records(&dir.path().join("a")).len();

    // The start page's host no longer answers (a closed port): the queued articles remain.
    let second = run(closed.to_string(), None).await.expect("join");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!stderr.contains("nothing was crawled"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).expect("JSON summary");
    assert!(summary["pages"].as_u64().unwrap_or(0) > 0, "{summary}");
    let after = all_records(&dir.path().join("a")).len();
    assert!(after > before, "{before} records before, {after} after");
}
