//! Several workers crawl one site together on a PostgreSQL state: in-process runs sharing
//! the politeness budget, and real processes one of which is killed with SIGKILL halfway.

use crate::pg_support;
use crate::support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use glaneur::crawl::{self, StopReason};
use glaneur::frontier::{PostgresOptions, workers_report};
use pg_support::TestDb;
use support::*;
use tokio_util::sync::CancellationToken;

const HOSTS: [&str; 3] = ["a.news.test", "b.news.test", "c.news.test"];

fn article_path(i: u32) -> String {
    format!("/2024/05/article-numero-{i:04}/")
}

/// The same news site of `n` articles on each host; `slow` answers after `delay`.
fn sites(n: u32, slow: Option<(&str, Duration)>) -> HashMap<String, Pages> {
    HOSTS
        .iter()
        .map(|h| {
            let mut pages = news_site(n);
            if let Some((name, delay)) = slow
                && name == *h
            {
                for page in pages.values_mut() {
                    page.delay = delay;
                }
            }
            (h.to_string(), pages)
        })
        .collect()
}

fn starts() -> Vec<String> {
    HOSTS.iter().map(|h| format!("http://{h}/")).collect()
}

/// Most requests to `host` in any window of `window` (arrival times).
fn max_in_window(hits: &[Hit], host: &str, window: Duration) -> usize {
    let mut times: Vec<Instant> = hits
        .iter()
        .filter(|h| h.host == host)
        .map(|h| h.at)
        .collect();
    times.sort();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|t| **t < times[i] + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Asserts that every article of every host has exactly one response record in `archive`.
fn every_article_once(archive: &Path, n: u32) {
    let uris = response_uris(archive);
    let mut count: HashMap<&str, usize> = HashMap::new();
    for u in &uris {
        *count.entry(u.as_str()).or_default() += 1;
    }
    for host in HOSTS {
        for i in 1..=n {
            let url = format!("http://{host}{}", article_path(i));
            assert_eq!(
                count.get(url.as_str()).copied().unwrap_or(0),
                1,
                "{url}: one response record across all WARC files"
            );
        }
    }
}

/// The worker names in the WARC file names of `archive`.
fn workers_of_files(archive: &Path) -> HashSet<String> {
    warc_files(archive)
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .filter_map(|n| {
            let rest = n.strip_prefix("glaneur-")?;
            let w = rest.split('-').next()?;
            Some(w.to_string())
        })
        .collect()
}

/// `.open` WARC files and worker locks left in `archive` (`index.lock` stays by design).
fn leftovers(archive: &Path) -> Vec<String> {
    std::fs::read_dir(archive)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str().map(str::to_string))
                .filter(|n| {
                    n.ends_with(".open")
                        || (n.starts_with("glaneur-worker-") && n.ends_with(".lock"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_share_the_site_and_its_politeness() {
    let db = TestDb::new("three_workers_share_the_site_and_its_politeness");
    const N: u32 = 12;
    const RATE: f64 = 8.0;
    let slow = ("c.news.test", Duration::from_millis(400));
    let server = TestServer::start(sites(N, Some(slow))).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let start_urls = starts();
    let start_refs: Vec<&str> = start_urls.iter().map(String::as_str).collect();
    let run = |i: u32| {
        let mut s = settings(dir.path(), &server, &HOSTS, &start_refs);
        s.max_depth = Some(30);
        s.policy.default.requests_per_second = RATE;
        s.policy.default.burst = 1;
        s.policy.default.max_concurrent = 2;
        s.shared_state = Some(PostgresOptions {
            url: db.url.clone(),
            worker: format!("w{i}"),
            lease: Duration::from_secs(2),
        });
        crawl::run(s, CancellationToken::new())
    };
    let (r1, r2, r3) = tokio::join!(run(1), run(2), run(3));
    let summaries = [r1, r2, r3].map(|r| r.expect("each worker runs to its end"));
    for s in &summaries {
        assert_eq!(s.stop_reason, StopReason::Completed);
        assert_eq!(s.pending, 0);
    }
    let pages: Vec<u64> = summaries.iter().map(|s| s.pages).collect();
    println!("pages archived by each worker: {pages:?}");
    assert!(
        pages.iter().filter(|p| **p > 0).count() >= 2,
        "the work is shared: pages per worker {pages:?}"
    );

    let archive = dir.path().join("archive");
    every_article_once(&archive, N);
    let hits = server.hits();
    for host in HOSTS {
        let paths = server.paths(host);
        let unique: HashSet<&String> = paths.iter().collect();
        assert_eq!(
            unique.len(),
            paths.len(),
            "{host}: a URL requested twice: {paths:?}"
        );
        assert_eq!(
            paths.iter().filter(|p| *p == "/robots.txt").count(),
            1,
            "{host}: robots.txt fetched once for all workers"
        );
        assert!(!paths.iter().any(|p| p.starts_with("/private/")));
        // The per-host rate holds over all workers together: at most RATE requests in
        // any second (40 ms allowed for scheduling jitter).
        let worst = max_in_window(&hits, host, Duration::from_millis(960));
        assert!(
            worst <= RATE as usize,
            "{host}: {worst} requests within a second from all workers (limit {RATE})"
        );
    }
    // The slow host is held by the in-flight cap (2 over all workers): no three requests
    // overlap, each taking 400 ms.
    let worst = max_in_window(&hits, slow.0, Duration::from_millis(380));
    assert!(
        worst <= 2,
        "{worst} requests in flight at once on {}",
        slow.0
    );

    let names = workers_of_files(&archive);
    assert!(names.len() >= 2, "files of several workers: {names:?}");
    // Each file's warcinfo names the worker that wrote it.
    for file in warc_files(&archive) {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let worker = name.split('-').nth(1).unwrap_or("");
        let records = glaneur::warc::read_records(&file).expect("readable WARC file");
        let info = String::from_utf8_lossy(&records[0].block).into_owned();
        assert_eq!(records[0].record_type(), Some("warcinfo"));
        assert!(
            info.contains(&format!("worker: {worker}\r\n")),
            "{name}: {info}"
        );
    }
    // The index the workers updated as they ended covers the files of all of them.
    let index = std::fs::read_to_string(archive.join("index.cdxj")).expect("index.cdxj");
    for host in HOSTS {
        for i in 1..=N {
            let url = format!("\"url\":\"http://{host}{}\"", article_path(i));
            assert_eq!(index.matches(&url).count(), 1, "{url} in index.cdxj");
        }
    }
    assert!(
        names
            .iter()
            .all(|n| ["w1", "w2", "w3"].contains(&n.as_str()))
    );
    assert!(leftovers(&archive).is_empty(), "{:?}", leftovers(&archive));
    let url = db.url.clone();
    let report = tokio::task::spawn_blocking(move || workers_report(&url))
        .await
        .expect("report task")
        .expect("report");
    assert_eq!((report.pending, report.in_flight), (0, 0));
    assert_eq!(report.workers.len(), 3);
    assert!(report.workers.iter().all(|w| !w.live && w.leases == 0));
}

/// A `glaneur crawl` worker process.
fn spawn_worker(dir: &Path, server: &TestServer, db: &TestDb, name: &str) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glaneur"));
    cmd.arg("crawl")
        .args(starts())
        .arg("--policy")
        .arg(dir.join("policy.toml"))
        .arg("--archive")
        .arg(dir.join("archive"))
        .args(["--state", &db.url, "--worker", name, "--lease", "2s"])
        .args(["--max-depth", "60", "--quiet"]);
    for h in HOSTS {
        cmd.arg("--resolve").arg(format!("{h}={}", server.addr));
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .env("GLANEUR_LOG", "warn")
        .spawn()
        .expect("start a worker")
}

/// Waits for `child` to exit, at most `limit`; its stderr on failure.
async fn wait_for(child: &mut Child, limit: Duration) -> (bool, String) {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read;
                    let _ = e.read_to_string(&mut err);
                }
                return (status.success(), err);
            }
            Ok(None) if start.elapsed() < limit => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return (false, format!("still running after {limit:?}"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_worker_killed_halfway_loses_nothing_and_repeats_only_its_requests_in_flight() {
    let db = TestDb::new("a_worker_killed_halfway");
    const N: u32 = 30;
    let server = TestServer::start(sites(N, None)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("policy.toml"),
        "user_agent = \"glaneur-test/0.1 (+https://example.org/contact)\"\n\
         allow_private_networks = true\n\
         [default]\nrequests_per_second = 10.0\nburst = 1\nmax_concurrent = 2\n\
         timeout_secs = 5\nretries = 1\n",
    )
    .expect("policy file");
    let mut workers: Vec<(String, Child)> = ["w1", "w2", "w3"]
        .into_iter()
        .map(|n| (n.to_string(), spawn_worker(dir.path(), &server, &db, n)))
        .collect();

    // Halfway: about half of the ~(N + 4) requests per host.
    let half = HOSTS.len() * (N as usize + 4) / 2;
    let start = Instant::now();
    while server.hits().len() < half {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the crawl did not get halfway"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Stop the victim first, so that its URLs in flight can be read, then kill it.
    let (victim, mut child) = workers.remove(1);
    let pid = child.id().to_string();
    let stopped = Command::new("kill").args(["-STOP", &pid]).status();
    assert!(stopped.is_ok_and(|s| s.success()), "SIGSTOP the victim");
    let name = victim.clone();
    let in_flight: HashSet<String> = db.query(move |c| {
        c.query(
            "SELECT url FROM urls WHERE state = 'in_flight' AND worker = $1",
            &[&name],
        )
        .expect("in-flight URLs")
        .iter()
        .map(|r| r.get::<_, String>(0))
        .collect()
    });
    child.kill().expect("SIGKILL the victim");
    let _ = child.wait();
    let killed_at = server.hits().len();

    for (name, mut child) in workers {
        let (ok, err) = wait_for(&mut child, Duration::from_secs(90)).await;
        assert!(ok, "worker {name} failed: {err}");
    }
    assert!(
        server.hits().len() > killed_at,
        "the survivors went on after the kill"
    );

    let archive = dir.path().join("archive");
    // Nothing lost: every article once (a response the victim archived for a URL it had
    // in flight was adopted: fetched again, it is a revisit, not a second copy).
    every_article_once(&archive, N);
    // Nothing fetched twice but the victim's requests in flight at the kill.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for h in server.hits() {
        *seen
            .entry(format!("http://{}{}", h.host, h.path))
            .or_default() += 1;
    }
    let repeated = seen.values().filter(|n| **n > 1).count();
    println!(
        "killed after {killed_at} of {} requests with {} URLs in flight; {repeated} fetched again",
        server.hits().len(),
        in_flight.len()
    );
    for (url, n) in &seen {
        if *n > 1 {
            assert!(
                in_flight.contains(url),
                "{url} fetched {n} times but was not in flight at the kill ({in_flight:?})"
            );
        }
    }
    for h in HOSTS {
        assert!(server.paths(h).contains(&article_path(N)));
    }
    // The victim's files were repaired by the survivors; nothing is left open.
    assert!(
        workers_of_files(&archive).contains(&victim),
        "the victim's WARC files are kept"
    );
    assert!(leftovers(&archive).is_empty(), "{:?}", leftovers(&archive));
    let url = db.url.clone();
    let report = tokio::task::spawn_blocking(move || workers_report(&url))
        .await
        .expect("report task")
        .expect("report");
    assert_eq!((report.pending, report.in_flight), (0, 0));
    let dead = report
        .workers
        .iter()
        .find(|w| w.name == victim)
        .expect("the victim is registered");
    assert!(!dead.live);
    assert!(
        dead.stop_reason.as_deref().unwrap_or("").contains("gone"),
        "{:?}",
        dead.stop_reason
    );
}

#[test]
fn the_command_line_refuses_a_live_workers_name_and_reports_workers() {
    let db = TestDb::new("the_command_line_refuses_a_live_workers_name");
    let dir = tempfile::tempdir().expect("temp dir");
    let options = PostgresOptions {
        url: db.url.clone(),
        worker: "dup".into(),
        lease: Duration::from_secs(30),
    };
    let info = glaneur::frontier::WorkerInfo {
        hostname: "elsewhere".into(),
        pid: 1,
        archive: "archive".into(),
    };
    let _live = glaneur::frontier::PostgresWorker::register(&options, &info).expect("register");
    let bin = env!("CARGO_BIN_EXE_glaneur");
    let archive = dir.path().join("archive");
    let out = Command::new(bin)
        .args(["crawl", "http://x.test/", "--quiet", "--state", &db.url])
        .args(["--worker", "dup", "--archive"])
        .arg(&archive)
        .output()
        .expect("run glaneur");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("already named \"dup\""), "{err}");
    assert!(
        leftovers(&archive).is_empty(),
        "the worker lock is released"
    );

    // --worker without a PostgreSQL state is a usage error.
    let out = Command::new(bin)
        .args(["crawl", "http://x.test/", "--worker", "w1", "--archive"])
        .arg(&archive)
        .output()
        .expect("run glaneur");
    assert_eq!(out.status.code(), Some(2));
    // So is `glaneur workers` on a SQLite state.
    let out = Command::new(bin)
        .args(["workers", "--state", "archive/state.sqlite"])
        .output()
        .expect("run glaneur");
    assert_eq!(out.status.code(), Some(2));

    let out = Command::new(bin)
        .args(["workers", "--json", "--state", &db.url])
        .output()
        .expect("run glaneur workers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let workers = report["workers"].as_array().expect("workers");
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0]["name"], "dup");
    assert_eq!(workers[0]["live"], true);
    assert_eq!(workers[0]["hostname"], "elsewhere");
    let out = Command::new(bin)
        .args(["workers", "--state", &db.url])
        .output()
        .expect("run glaneur workers");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("1 live worker(s)"), "{text}");
    assert!(text.contains("dup") && text.contains("elsewhere"), "{text}");
}
