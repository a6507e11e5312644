//! Crashes: the real `glaneur crawl` is killed with SIGKILL at random moments, twenty
//! times, and run again each time; then it runs to its end. Afterwards every page of the
//! site is captured, `glaneur verify` passes and the index holds no duplicated record.
//!
//! "Duplicated" means: two full `response` records for the same URL with the same payload
//! digest, i.e. a page already archived that was fetched and archived in full again. A
//! kill may leave requests in flight, and those URLs are fetched again by the next run;
//! when the killed run had already archived the response but not recorded it in the state,
//! the next run adopts that orphan record (crawl/recover.rs) and archives the new fetch as
//! an identical-payload-digest `revisit` record, which is not a duplicate. robots.txt is
//! fetched once per run by design (every run obeys the rules of the day) and archived each
//! time: it is not counted, but it may not be archived more often than there were runs.
//!
//! The kill times come from a seeded generator; the seed is printed, and the environment
//! variable `GLANEUR_CRASH_SEED` replays a run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::{Rng, SeedableRng};

/// Sections of the test site, and articles per section.
const SECTIONS: usize = 8;
const ARTICLES: usize = 30;

/// Kills, and the window after each start in which the kill lands.
const KILLS: usize = 20;
const KILL_AFTER_MS: std::ops::Range<u64> = 30..700;

/// Every page of the site (paths), robots.txt excluded.
fn site_paths() -> BTreeSet<String> {
    let mut paths = BTreeSet::from(["/".to_string()]);
    for s in 0..SECTIONS {
        paths.insert(format!("/section/{s}"));
        for a in 0..ARTICLES {
            paths.insert(format!("/article/{s}-{a}.html"));
        }
    }
    paths
}

/// A small news site: `/` lists the sections, each section its articles, each article
/// links to the next one and back. Answers take a few milliseconds, like a real server.
async fn page(UrlPath(path): UrlPath<String>, State(hits): State<Arc<AtomicU64>>) -> Response {
    hits.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(3)).await;
    let html = |body: String| {
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!("<!doctype html><html><head><title>t</title></head><body>{body}</body></html>"),
        )
            .into_response()
    };
    if path == "robots.txt" {
        return (
            [(header::CONTENT_TYPE, "text/plain")],
            "User-agent: *\nDisallow: /private/\n",
        )
            .into_response();
    }
    if path.is_empty() {
        let links: String = (0..SECTIONS)
            .map(|s| format!("<a href=\"/section/{s}\">section {s}</a> "))
            .collect();
        return html(format!(
            "<h1>Front page</h1>{links}<a href=\"/private/x\">x</a>"
        ));
    }
    if let Some(s) = path.strip_prefix("section/") {
        let Ok(s) = s.parse::<usize>() else {
            return StatusCode::NOT_FOUND.into_response();
        };
        let links: String = (0..ARTICLES)
            .map(|a| format!("<li><a href=\"/article/{s}-{a}.html\">article {a}</a></li>"))
            .collect();
        return html(format!("<h1>Section {s}</h1><ul>{links}</ul>"));
    }
    if let Some(name) = path
        .strip_prefix("article/")
        .and_then(|n| n.strip_suffix(".html"))
        && let Some((s, a)) = name.split_once('-')
        && let (Ok(s), Ok(a)) = (s.parse::<usize>(), a.parse::<usize>())
    {
        let text: String = (0..12)
            .map(|p| {
                format!(
                    "<p>Paragraph {p} of article {a} in section {s}: the council met on \
                     Tuesday and voted the budget, {} votes to {}.</p>",
                    (s * 31 + a * 7 + p) % 97,
                    (a * 13 + p) % 89
                )
            })
            .collect();
        return html(format!(
            "<article><h1>Article {a} of section {s}</h1>\
             <time datetime=\"2026-11-{:02}T08:00:00Z\">date</time>{text}\
             <a href=\"/article/{s}-{}.html\">next</a> <a href=\"/section/{s}\">back</a>\
             </article>",
            1 + a % 28,
            (a + 1) % ARTICLES
        ));
    }
    StatusCode::NOT_FOUND.into_response()
}

async fn front(state: State<Arc<AtomicU64>>) -> Response {
    page(UrlPath(String::new()), state).await
}

/// Starts the site on a loopback port, on its own runtime (the test drives processes).
fn start_site() -> (tokio::runtime::Runtime, SocketAddr, Arc<AtomicU64>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let hits = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/", get(front))
        .route("/{*path}", get(page))
        .with_state(Arc::clone(&hits));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime.spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (runtime, addr, hits)
}

fn glaneur(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glaneur"));
    command
        .current_dir(dir)
        .env("GLANEUR_LOG", "error")
        .stdin(Stdio::null());
    command
}

/// The lines of a CDXJ file (`index.cdxj`, `metadata.cdxj`): the URL, and the fields of
/// its JSON block.
fn index_lines(archive: &Path, file: &str) -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(archive.join(file))
        .unwrap_or_else(|e| panic!("{file} cannot be read: {e}"));
    text.lines()
        .map(|line| {
            let json = line.splitn(3, ' ').nth(2).expect("a CDXJ line");
            let value: serde_json::Value = serde_json::from_str(json).expect("CDXJ JSON");
            let url = value["url"].as_str().expect("url").to_string();
            (url, value)
        })
        .collect()
}

#[test]
fn twenty_sigkills_then_resume_capture_every_page_once() {
    let seed: u64 = std::env::var("GLANEUR_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    eprintln!("crash test seed: {seed} (replay with GLANEUR_CRASH_SEED={seed})");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let (_runtime, addr, hits) = start_site();
    let dir = tempfile::tempdir().expect("temp dir");
    // Small WARC files, so that kills also land around file rotations.
    std::fs::write(
        dir.path().join("policy.toml"),
        "allow_private_networks = true\nwarc_max_bytes = 40000\n[default]\n\
         requests_per_second = 30\nburst = 4\nmax_concurrent = 4\ntimeout_secs = 5\nretries = 2\n",
    )
    .expect("write policy");
    let start = format!("http://{addr}/");
    // A profile, so that articles are recognised and described by metadata records.
    std::fs::write(
        dir.path().join("site.toml"),
        format!("name = \"site\"\nstart = [\"{start}\"]\narticle = '/article/\\d+-\\d+\\.html$'\n"),
    )
    .expect("write profile");
    let args = [
        "crawl",
        "--seeds",
        "site.toml",
        "--policy",
        "policy.toml",
        "--archive",
        "out",
        "--quiet",
    ];

    let began = Instant::now();
    let mut killed = 0;
    let mut ended_alone = 0;
    for round in 0..KILLS {
        let mut child = glaneur(dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start glaneur");
        let delay = Duration::from_millis(rng.random_range(KILL_AFTER_MS));
        let deadline = Instant::now() + delay;
        let mut status = None;
        while Instant::now() < deadline {
            if let Some(s) = child.try_wait().expect("wait") {
                status = Some(s);
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        match status {
            Some(s) => {
                // The run ended before its kill: it must have ended well.
                let out = child.wait_with_output().expect("output");
                assert!(
                    s.success(),
                    "round {round}: exit {s}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                ended_alone += 1;
            }
            None => {
                child.kill().expect("SIGKILL"); // SIGKILL on Unix
                let out = child.wait_with_output().expect("reap");
                assert!(!out.status.success(), "round {round}: killed");
                killed += 1;
            }
        }
    }
    eprintln!(
        "{killed} runs killed, {ended_alone} ended before their kill, in {:.1}s; {} requests so far",
        began.elapsed().as_secs_f64(),
        hits.load(Ordering::Relaxed)
    );
    assert!(killed >= KILLS / 2, "most runs were killed mid-way");

    // The last resume runs to its end.
    let out = glaneur(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .expect("run glaneur");
    assert!(
        out.status.success(),
        "final run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON summary");
    assert_eq!(summary["stop_reason"], "completed", "{summary}");
    assert_eq!(summary["pending"], 0, "{summary}");
    assert_eq!(summary["failed_total"], 0, "{summary}");

    // Every record is well-formed, every digest right.
    let verify = glaneur(dir.path())
        .args(["verify", "out"])
        .output()
        .expect("run verify");
    assert!(
        verify.status.success(),
        "glaneur verify: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        !std::fs::read_dir(dir.path().join("out"))
            .expect("archive dir")
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().ends_with(".open")),
        "no .open file left"
    );

    // Every page is in the index with a 200 response; none is archived in full twice.
    let lines = index_lines(&dir.path().join("out"), "index.cdxj");
    let mut full: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut captured: BTreeSet<String> = BTreeSet::new();
    let mut revisits = 0;
    let mut robots = 0;
    for (url, fields) in &lines {
        let path = url
            .strip_prefix(&format!("http://{addr}"))
            .unwrap_or(url)
            .to_string();
        if fields["mime"] == "warc/revisit" {
            revisits += 1;
            continue;
        }
        if path == "/robots.txt" {
            robots += 1;
            continue;
        }
        if fields["status"] == "200" || fields["status"] == 200 {
            captured.insert(path.clone());
        }
        let digest = fields["digest"].as_str().unwrap_or_default().to_string();
        *full.entry((path, digest)).or_default() += 1;
    }
    let expected = site_paths();
    let not_captured: Vec<&String> = expected.difference(&captured).collect();
    assert!(
        not_captured.is_empty(),
        "pages never captured: {not_captured:?}"
    );
    let duplicated: Vec<_> = full.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        duplicated.is_empty(),
        "pages archived in full more than once (seed {seed}): {duplicated:?}"
    );
    // Nor is an article described twice (its metadata record written again).
    let mut described: BTreeMap<String, usize> = BTreeMap::new();
    for (url, _) in index_lines(&dir.path().join("out"), "metadata.cdxj") {
        *described.entry(url).or_default() += 1;
    }
    let twice: Vec<_> = described.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "articles described twice: {twice:?}");
    assert!(
        robots <= KILLS + 1,
        "robots.txt archived {robots} times in {} runs",
        KILLS + 1
    );
    eprintln!(
        "{} pages captured once each; {} articles described once each; {revisits} revisit records (re-fetches after kills); {robots} robots.txt captures; {} requests in all; {:.1}s",
        expected.len(),
        described.len(),
        hits.load(Ordering::Relaxed),
        began.elapsed().as_secs_f64()
    );
}
