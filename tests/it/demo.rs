//! The embedded demo site: crawled through the normal crawl path it is archived whole
//! (robots.txt obeyed, sitemap and feeds read), its articles extracted as its ground truth
//! says; `glaneur demo --no-serve` crawls it from the command line and `verify` passes.

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;

use glaneur::crawl::{OutputMode, StopReason};
use glaneur::demo::{self, DemoServer, DemoSite};

use crate::support::{crawl, response_uris};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawl_of_the_demo_site_archives_every_article() {
    let site = Arc::new(DemoSite::generate(5, 25, &demo::base_url()));
    let server = DemoServer::start(Arc::clone(&site), "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive");
    let summary = crawl(demo::crawl_settings(
        &archive,
        server.addr(),
        OutputMode::Quiet,
    ))
    .await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    assert_eq!(summary.errors, 0, "{summary:?}");
    assert!(
        summary.robots_denied >= 1,
        "the search page is disallowed: {summary:?}"
    );
    let archived: BTreeSet<String> = response_uris(&archive).into_iter().collect();
    for article in &site.articles {
        assert!(
            archived.contains(&site.url(&article.path)),
            "{} not archived",
            article.path
        );
    }
    for path in ["/sitemap.xml", "/page/2/", "/categorie/cloud/"] {
        assert!(archived.contains(&site.url(path)), "{path} not archived");
    }
    assert!(
        !archived.iter().any(|u| u.contains("/recherche/")),
        "robots.txt disallows /recherche/"
    );
    assert!(
        summary.articles >= site.articles.len() as u64,
        "{} articles extracted for {}",
        summary.articles,
        site.articles.len()
    );
}

#[test]
fn glaneur_demo_no_serve_crawls_and_verify_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("demo");
    let archive_arg = archive.to_str().expect("utf-8 path");
    let out = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args([
            "demo",
            "--no-serve",
            "--json",
            "--articles",
            "12",
            "--archive",
            archive_arg,
        ])
        .current_dir(dir.path())
        .output()
        .expect("run glaneur demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON summary on stdout");
    assert_eq!(summary["stop_reason"], "completed", "{summary}");
    assert!(summary["pages"].as_u64().unwrap_or(0) > 12, "{summary}");
    let verify = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(["verify", archive_arg])
        .output()
        .expect("run glaneur verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let articles = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(["articles", "--archive", archive_arg])
        .output()
        .expect("run glaneur articles");
    assert!(articles.status.success());
    let titles: BTreeSet<String> = String::from_utf8_lossy(&articles.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|a| a["title"].as_str().map(str::to_string))
        .collect();
    let site = DemoSite::generate(demo::DEFAULT_SEED, 12, &demo::base_url());
    for article in &site.articles {
        assert!(titles.contains(&article.title), "{} missing", article.title);
    }

    // `get URL` prints the archived page, as curl would; `--info` describes the capture.
    let first = &site.articles[0];
    let url = site.url(&first.path);
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_glaneur"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run glaneur")
    };
    let page = run(&["get", &url, "--archive", archive_arg]);
    assert!(page.status.success());
    assert_eq!(page.stdout, site.pages[&first.path].body.as_bytes());
    let info = run(&["get", &url, "--archive", archive_arg, "--info"]);
    let info: serde_json::Value = serde_json::from_slice(&info.stdout).expect("JSON");
    assert_eq!(info["status"], "200", "{info}");

    // `extract page.html` takes the page's canonical URL when --url is not given.
    let saved = dir.path().join("page.html");
    std::fs::write(&saved, &page.stdout).expect("save page");
    let extracted = run(&["extract", saved.to_str().expect("utf-8")]);
    let article: serde_json::Value = serde_json::from_slice(&extracted.stdout).expect("JSON");
    assert_eq!(article["url"], url.as_str(), "{article}");
    assert_eq!(article["title"], first.title.as_str());

    // `articles --format csv --bom` starts with a byte order mark, once.
    let csv = run(&[
        "articles",
        "--archive",
        archive_arg,
        "--format",
        "csv",
        "--bom",
    ]);
    assert!(csv.status.success());
    assert!(
        csv.stdout.starts_with(b"\xEF\xBB\xBFurl,"),
        "{:?}",
        &csv.stdout[..16]
    );
    assert_eq!(
        csv.stdout
            .windows(3)
            .filter(|w| w == b"\xEF\xBB\xBF")
            .count(),
        1
    );
    let plain = run(&["articles", "--archive", archive_arg, "--format", "csv"]);
    assert!(plain.stdout.starts_with(b"url,"));
}

#[test]
fn demo_rejects_a_zero_article_site() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(["demo", "--no-serve", "--articles", "0"])
        .current_dir(dir.path())
        .output()
        .expect("run glaneur demo");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--articles"));
}
