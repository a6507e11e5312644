//! The `glaneur crawl` process as a scheduler sees it: the JSON summary, exit code 3 while
//! another run holds the lock, and a run killed with SIGKILL finished by the next one.

use crate::support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use glaneur::crawl::StateLock;
use support::{Pages, TestServer, all_records, news_site, warc_files};

const HOST: &str = "news.test";

fn one_site(pages: Pages) -> HashMap<String, Pages> {
    HashMap::from([(HOST.to_string(), pages)])
}

/// A policy allowing loopback, one request at a time.
fn write_policy(dir: &Path) {
    std::fs::write(
        dir.join("policy.toml"),
        "user_agent = \"glaneur-test/0.1 (+https://example.org/contact)\"\n\
         allow_private_networks = true\n\
         [default]\nrequests_per_second = 1000.0\nburst = 100\nmax_concurrent = 1\n\
         timeout_secs = 5\nconnect_timeout_secs = 2\nread_timeout_secs = 2\nretries = 1\n",
    )
    .expect("write policy");
}

fn crawl_command(dir: &Path, server: &TestServer) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glaneur"));
    cmd.args([
        "crawl",
        &format!("http://{HOST}/"),
        "--policy",
        "policy.toml",
        "--archive",
        "archive",
        "--max-depth",
        "100",
        "--resolve",
        &format!("{HOST}={}", server.addr),
        "--json",
        "--quiet",
    ])
    .current_dir(dir)
    .env("GLANEUR_LOG", "error");
    cmd
}

async fn run_to_end(dir: &Path, server: &TestServer) -> Output {
    let mut cmd = crawl_command(dir, server);
    tokio::task::spawn_blocking(move || cmd.output().expect("run glaneur"))
        .await
        .expect("join")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON summary ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_summary_and_exit_code_3_while_locked() {
    let server = TestServer::start(one_site(news_site(3))).await;
    let dir = tempfile::tempdir().unwrap();
    write_policy(dir.path());

    let out = run_to_end(dir.path(), &server).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    for key in [
        "run_id",
        "started",
        "finished",
        "pages",
        "new",
        "changed",
        "unchanged",
        "not_modified",
        "failed",
        "bytes_written",
        "warc_files",
    ] {
        assert!(summary.get(key).is_some(), "{key} missing: {summary}");
    }
    assert_eq!(summary["new"], summary["pages"]);
    assert_eq!(summary["changed"], 0);

    // Another process holds the lock: exit 3 at once, nothing fetched.
    let lock = StateLock::acquire(&dir.path().join("archive/state.sqlite")).unwrap();
    server.clear_hits();
    let started = Instant::now();
    let out = run_to_end(dir.path(), &server).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("lock") && err.contains("pid"), "{err}");
    assert!(server.hits().is_empty());
    drop(lock);

    // Released: the next run is incremental and finds nothing changed.
    let out = run_to_end(dir.path(), &server).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    assert_eq!(summary["new"], 0, "{summary}");
    assert_eq!(summary["changed"], 0, "{summary}");
    assert_eq!(summary["unchanged"], summary["pages"], "{summary}");
    assert_ne!(summary["run_id"], serde_json::Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_killed_with_sigkill_is_finished_by_the_next_run() {
    const N: u32 = 40;
    let mut pages = news_site(N);
    for (path, page) in pages.iter_mut() {
        if path.contains("/article-numero-") {
            page.delay = Duration::from_millis(40);
        }
    }
    let server = TestServer::start(one_site(pages)).await;
    let dir = tempfile::tempdir().unwrap();
    write_policy(dir.path());

    let mut child = crawl_command(dir.path(), &server)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start glaneur");
    // Kill it in the middle: after a dozen articles were requested.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let articles = server
            .paths(HOST)
            .iter()
            .filter(|p| p.contains("/article-numero-"))
            .count();
        if articles >= 12 {
            break;
        }
        assert!(Instant::now() < deadline, "the crawl did not progress");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the crawl ended before it was killed: {status}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), None, "killed by a signal");
    let archive = dir.path().join("archive");
    let open_files = std::fs::read_dir(&archive)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".open"))
        .count();
    assert_eq!(open_files, 1, "the killed run left its file open");

    // The lock of the killed run is not stuck: the next run takes it and finishes.
    let out = run_to_end(dir.path(), &server).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = json(&out);
    assert_eq!(summary["repaired_files"].as_array().map(Vec::len), Some(1));
    assert_eq!(summary["pending"], 0);

    let files = warc_files(&archive);
    assert!(files.len() >= 2);
    assert!(
        std::fs::read_dir(&archive)
            .unwrap()
            .filter_map(|e| e.ok())
            .all(|e| !e.file_name().to_string_lossy().ends_with(".open"))
    );
    let records = all_records(&archive);
    for r in &records {
        r.verify_digests()
            .unwrap_or_else(|e| panic!("{:?}: {e}", r.header("WARC-Target-URI")));
    }
    // Every article: exactly one full response and one article record.
    for i in 1..=N {
        let uri = format!("http://{HOST}/2024/05/article-numero-{i:04}/");
        let count = |kind: &str| {
            records
                .iter()
                .filter(|r| {
                    r.header("WARC-Type") == Some(kind) && r.header("WARC-Target-URI") == Some(&uri)
                })
                .count()
        };
        assert_eq!(count("response"), 1, "{uri}");
        assert_eq!(count("metadata"), 1, "{uri}");
    }
}
