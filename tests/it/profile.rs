//! `glaneur profile new` and `profile check` on the embedded demo site, through the
//! command line: the generated profile crawls the hand-written profile's article set
//! (tests/fixtures/demo/echo-numerique.toml) with exact fields; an existing file is not
//! overwritten without --force; `profile check` exits 0 on the site, then 6 naming the
//! broken fields once the article template's classes are renamed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use glaneur::demo::{self, ArticleTruth, DemoServer, DemoSite};

const POLICY: &str = r#"
user_agent = "glaneur-test/0.1 (+https://example.org/contact)"
allow_private_networks = true
[default]
requests_per_second = 100.0
burst = 8
max_concurrent = 4
timeout_secs = 10
"#;

fn glaneur(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run glaneur")
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A demo site served on loopback, in its own runtime (the commands block this thread).
struct Served {
    _runtime: tokio::runtime::Runtime,
    server: DemoServer,
}

fn serve(site: DemoSite) -> Served {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime
        .block_on(DemoServer::start(
            Arc::new(site),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .expect("demo server");
    Served {
        _runtime: runtime,
        server,
    }
}

fn resolve(served: &Served) -> String {
    format!("{}={}", demo::DEMO_HOST, served.server.addr())
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo/echo-numerique.toml")
}

/// Crawls with `profile` and exports the articles: URL → row.
fn crawl_and_export(
    dir: &Path,
    served: &Served,
    profile: &Path,
    name: &str,
) -> BTreeMap<String, serde_json::Value> {
    let archive = dir.join(name);
    let archive = archive.to_str().expect("utf-8 path");
    let profile = profile.to_str().expect("utf-8 path");
    let crawl = glaneur(
        &[
            "crawl",
            "--quiet",
            "--seeds",
            profile,
            "--policy",
            "policy.toml",
            "--archive",
            archive,
            "--resolve",
            &resolve(served),
        ],
        dir,
    );
    assert_eq!(crawl.status.code(), Some(0), "{}", text(&crawl));
    let export = glaneur(&["articles", "--archive", archive], dir);
    assert!(export.status.success(), "{}", text(&export));
    String::from_utf8_lossy(&export.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|row| Some((row["url"].as_str()?.to_string(), row)))
        .collect()
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// F1 of 4-word shingles (multisets), as scripts/wordpress/score.py computes it.
fn shingle_f1(truth: &str, found: &str) -> f64 {
    fn shingles(t: &str) -> BTreeMap<Vec<String>, i64> {
        let words: Vec<String> = t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let mut out = BTreeMap::new();
        for w in words.windows(4) {
            *out.entry(w.to_vec()).or_insert(0) += 1;
        }
        out
    }
    let (t, f) = (shingles(truth), shingles(found));
    let common: i64 = t
        .iter()
        .map(|(k, n)| (*n).min(f.get(k).copied().unwrap_or(0)))
        .sum();
    let (nt, nf): (i64, i64) = (t.values().sum(), f.values().sum());
    if nt == 0 || nf == 0 {
        return 0.0;
    }
    let (p, r) = (common as f64 / nf as f64, common as f64 / nt as f64);
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Field accuracy of exported rows against the site's truth: (title, published,
/// modified, category exact shares; mean body F1).
fn score(site: &DemoSite, rows: &BTreeMap<String, serde_json::Value>) -> [f64; 5] {
    let mut hits = [0usize; 4];
    let mut f1 = 0.0;
    for truth in &site.articles {
        let row = &rows[&site.url(&truth.path)];
        let s = |k: &str| row[k].as_str().unwrap_or("").to_string();
        hits[0] += usize::from(s("title") == truth.title);
        hits[1] += usize::from(same_instant(&s("published"), &truth.published));
        let modified = truth.modified.as_deref().unwrap_or(&truth.published);
        hits[2] += usize::from(same_instant(&s("modified"), modified));
        hits[3] += usize::from(s("category") == truth.category);
        f1 += shingle_f1(&truth.paragraphs.join("\n\n"), &s("body"));
    }
    let n = site.articles.len() as f64;
    [
        hits[0] as f64 / n,
        hits[1] as f64 / n,
        hits[2] as f64 / n,
        hits[3] as f64 / n,
        f1 / n,
    ]
}

fn article_urls(site: &DemoSite) -> BTreeSet<String> {
    site.articles
        .iter()
        .map(|a: &ArticleTruth| site.url(&a.path))
        .collect()
}

#[test]
fn profile_new_reproduces_the_hand_written_profile_on_the_demo_site() {
    let site = DemoSite::generate(7, 60, &demo::base_url());
    let served = serve(site.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    std::fs::write(dir.join("policy.toml"), POLICY).expect("policy");
    let start = demo::base_url().to_string();
    let new = glaneur(
        &[
            "profile",
            "new",
            &start,
            "--out",
            "generated.toml",
            "--policy",
            "policy.toml",
            "--resolve",
            &resolve(&served),
        ],
        dir,
    );
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    let generated = std::fs::read_to_string(dir.join("generated.toml")).expect("written");
    // The table names every field; the file gives its evidence.
    let table = String::from_utf8_lossy(&new.stdout);
    for field in [
        "title",
        "body",
        "category",
        "published",
        "modified",
        "author",
    ] {
        assert!(table.contains(field), "{table}");
    }
    assert!(generated.contains("sampled articles"), "{generated}");
    assert!(!generated.contains("nth-"), "{generated}");
    let profile = glaneur::config::SiteProfile::load(&dir.join("generated.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{generated}"));
    for field in [
        &profile.selectors.title,
        &profile.selectors.body,
        &profile.selectors.published,
        &profile.selectors.modified,
        &profile.selectors.category,
    ] {
        assert!(field.is_some(), "a selector is missing:\n{generated}");
    }
    assert!(
        profile
            .deny
            .iter()
            .any(|d| d.is_match("http://echo-numerique.test/recherche/?q=x"))
    );
    assert_eq!(profile.feeds.len(), 1, "{generated}");
    // 40 pages at most, and the requests for robots.txt, the feed and the sitemap.
    let requests = served.server.requests();
    assert!(
        (40..=46).contains(&requests),
        "{requests} requests\n{generated}"
    );

    let hand = crawl_and_export(dir, &served, &fixture(), "hand");
    let auto = crawl_and_export(dir, &served, &dir.join("generated.toml"), "auto");
    let hand_set: BTreeSet<String> = hand.keys().cloned().collect();
    let auto_set: BTreeSet<String> = auto.keys().cloned().collect();
    assert_eq!(auto_set, hand_set, "article sets differ\n{generated}");
    let truth = article_urls(&site);
    assert!(truth.is_subset(&auto_set), "articles missing\n{generated}");
    let [title, published, modified, category, body] = score(&site, &auto);
    assert_eq!(
        [title, published, modified, category],
        [1.0; 4],
        "title, published, modified, category\n{generated}"
    );
    assert!(body >= 0.99, "body F1 {body}\n{generated}");
    let reference = score(&site, &hand);
    assert_eq!(reference[..4], [1.0; 4], "the hand-written profile");
}

#[test]
fn profile_new_never_overwrites_without_force() {
    let site = DemoSite::generate(3, 20, &demo::base_url());
    let served = serve(site);
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    std::fs::write(dir.join("policy.toml"), POLICY).expect("policy");
    std::fs::write(dir.join("mine.toml"), "# my own profile\n").expect("file");
    let start = demo::base_url().to_string();
    let args = |force: bool| {
        let mut a = vec![
            "profile".to_string(),
            "new".into(),
            start.clone(),
            "--out".into(),
            "mine.toml".into(),
            "--pages".into(),
            "12".into(),
            "--policy".into(),
            "policy.toml".into(),
            "--resolve".into(),
            resolve(&served),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let refused = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args(false))
        .current_dir(dir)
        .output()
        .expect("run");
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(dir.join("mine.toml")).expect("kept"),
        "# my own profile\n"
    );
    assert_eq!(
        served.server.requests(),
        0,
        "nothing fetched before refusing"
    );
    let forced = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args(true))
        .current_dir(dir)
        .output()
        .expect("run");
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    let written = std::fs::read_to_string(dir.join("mine.toml")).expect("written");
    assert!(written.contains("[selectors]"), "{written}");
    // The default name is seeds/<host>.toml.
    let default = glaneur(
        &[
            "profile",
            "new",
            &start,
            "--pages",
            "6",
            "--policy",
            "policy.toml",
            "--resolve",
            &resolve(&served),
        ],
        dir,
    );
    assert_eq!(default.status.code(), Some(0), "{}", text(&default));
    assert!(dir.join("seeds/echo-numerique.test.toml").is_file());
}

#[test]
fn profile_check_is_healthy_then_names_the_fields_a_redesign_broke() {
    let site = DemoSite::generate(11, 30, &demo::base_url());
    let served = serve(site.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    std::fs::write(dir.join("policy.toml"), POLICY).expect("policy");
    let fixture = fixture();
    let fixture = fixture.to_str().expect("utf-8");
    let check = |served: &Served| {
        glaneur(
            &[
                "profile",
                "check",
                fixture,
                "--json",
                "--policy",
                "policy.toml",
                "--resolve",
                &resolve(served),
            ],
            dir,
        )
    };
    let healthy = check(&served);
    assert_eq!(healthy.status.code(), Some(0), "{}", text(&healthy));
    let report: serde_json::Value = serde_json::from_slice(&healthy.stdout).expect("JSON");
    assert_eq!(report["healthy"], true, "{report}");
    assert_eq!(
        report["articles"].as_array().map(Vec::len),
        Some(5),
        "{report}"
    );

    // The publisher renames the article template's classes.
    drop(served);
    let mut redesigned = site;
    redesigned.redesign();
    let served = serve(redesigned);
    let broken = check(&served);
    assert_eq!(broken.status.code(), Some(6), "{}", text(&broken));
    let report: serde_json::Value = serde_json::from_slice(&broken.stdout).expect("JSON");
    let fields = report["fields"].as_array().expect("fields");
    let renamed = |css: &str| {
        DemoSite::REDESIGN.iter().any(|(old, _)| {
            old.split(' ')
                .any(|class| css.contains(&format!(".{class}")))
        })
    };
    let mut broken_names = Vec::new();
    for f in fields {
        let css = f["selector"].as_str().unwrap_or("");
        let is_broken = f["broken"].as_bool().unwrap_or(false);
        if f["checked"] == 0 {
            // `modified` when none of the recent articles shows an update: nothing to judge.
            assert!(!is_broken, "{f}");
            continue;
        }
        // `author` (rel="author") survives the redesign; the renamed classes do not.
        assert_eq!(is_broken, renamed(css), "{f}");
        if is_broken {
            broken_names.push(f["field"].as_str().unwrap_or("").to_string());
            assert!(
                f["problem"].as_str().is_some_and(|p| p.contains(css)),
                "{f}"
            );
        }
    }
    for field in ["title", "body", "category", "published"] {
        assert!(broken_names.iter().any(|b| b == field), "{field}: {report}");
    }
    // Suggestions use the new classes.
    let title = fields
        .iter()
        .find(|f| f["field"] == "title")
        .expect("title");
    assert!(
        title["suggestion"]
            .as_str()
            .is_some_and(|s| s.contains("post-heading")),
        "{title}"
    );
    // The text output names the field, its selector and the replacement.
    let plain = glaneur(
        &[
            "profile",
            "check",
            fixture,
            "--policy",
            "policy.toml",
            "--resolve",
            &resolve(&served),
        ],
        dir,
    );
    assert_eq!(plain.status.code(), Some(6));
    let out = String::from_utf8_lossy(&plain.stdout);
    assert!(
        out.contains("BROKEN") && out.contains("h1.entry-title"),
        "{out}"
    );
    assert!(out.contains("suggested replacement: title = "), "{out}");
}

#[test]
fn profile_new_keeps_the_policy_rate() {
    let site = DemoSite::generate(5, 30, &demo::base_url());
    let served = serve(site);
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let slow = POLICY
        .replace("requests_per_second = 100.0", "requests_per_second = 20.0")
        .replace("burst = 8", "burst = 1");
    std::fs::write(dir.join("policy.toml"), slow).expect("policy");
    let start = demo::base_url().to_string();
    let began = std::time::Instant::now();
    let new = glaneur(
        &[
            "profile",
            "new",
            &start,
            "--out",
            "p.toml",
            "--pages",
            "16",
            "--policy",
            "policy.toml",
            "--resolve",
            &resolve(&served),
        ],
        dir,
    );
    let took = began.elapsed().as_secs_f64();
    assert_eq!(new.status.code(), Some(0), "{}", text(&new));
    let requests = served.server.requests();
    // 16 pages, robots.txt, the feed and the sitemap.
    assert!((16..=22).contains(&requests), "{requests} requests");
    // One request per 50 ms at most: the first is free, the others wait their turn.
    let least = (requests - 1) as f64 / 20.0;
    assert!(
        took >= least,
        "{requests} requests in {took:.2} s (at least {least:.2} s)"
    );
    let log = String::from_utf8_lossy(&new.stderr);
    assert!(log.contains(&format!("{requests} requests")), "{log}");
}
