//! Deleted, corrected and duplicated articles, read from a real crawl of the in-process
//! news site: an article deleted between two crawls (404 on re-crawl) or redirected away
//! is `gone` for `glaneur articles` (left out unless `--include-gone`) and for
//! `glaneur serve` ("deleted on …", `status=gone`); a correction counts as a version; a
//! page naming another as canonical is that article, not a second row.

use crate::support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use glaneur::read::articles::{ArticleRow, ArticleStatus, Export, Filter, StatusFilter};
use glaneur::serve::{App, ServeConfig, router};
use support::{Page, TestServer, article_html, crawl, news_site, settings};
use tower::ServiceExt;

const HOST: &str = "news.test";
/// A second address of article 1 (same content, canonical link to article 1).
const COPY_PATH: &str = "/2024/05/article-numero-0001-copie/";

fn article_path(i: u32) -> String {
    format!("/2024/05/article-numero-{i:04}/")
}

fn url(path: &str) -> String {
    format!("http://{HOST}{path}")
}

/// Crawls the site twice into `dir/archive`: between the crawls article 2 is deleted
/// (404), article 3 redirects to the home page and article 4 is corrected.
async fn crawl_twice(dir: &Path) -> std::path::PathBuf {
    let mut pages = news_site(5);
    pages.insert(
        COPY_PATH.into(),
        Page::html(article_html(1, "Titre de l'article 1", &[])),
    );
    if let Some(home) = pages.get_mut("/") {
        let text = String::from_utf8_lossy(&home.body).replace(
            "</body>",
            &format!("<a href=\"{COPY_PATH}\">Copie</a></body>"),
        );
        home.body = text.into_bytes();
    }
    let server = TestServer::start(HashMap::from([(HOST.to_string(), pages)])).await;
    let mut s = settings(dir, &server, &[HOST], &[&url("/")]);
    s.max_depth = Some(20);
    for site in &mut s.sites {
        site.fresh_articles = Duration::ZERO;
        site.recheck_articles = Duration::ZERO;
    }
    let first = crawl(s.clone()).await;
    assert!(first.articles >= 6, "five articles and the copy: {first:?}");
    server.remove_page(HOST, &article_path(2));
    server.set_page(HOST, &article_path(3), Page::redirect(301, "/"));
    let corrected = article_html(4, "Titre corrigé de l'article 4", &[5]).replace(
        "qui conclut le propos avec quelques mots de plus",
        "qui conclut autrement, avec une correction importante",
    );
    server.set_page(HOST, &article_path(4), Page::html(corrected));
    crawl(s.clone()).await;
    s.archive_dir.clone()
}

fn rows(archive: &Path, status: StatusFilter) -> HashMap<String, ArticleRow> {
    let filter = Filter {
        status,
        ..Filter::default()
    };
    let export = Export::plan(archive, &filter, false).expect("plan");
    let mut out = HashMap::new();
    for (batch, problems) in export.batches(64) {
        assert!(problems.is_empty(), "{problems:?}");
        for r in batch {
            assert!(
                out.insert(r.url.clone(), r).is_none(),
                "one row per article"
            );
        }
    }
    out
}

async fn get_text(app: &std::sync::Arc<App>, path: &str) -> (StatusCode, String) {
    let res = router(std::sync::Arc::clone(app))
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_articles_are_gone_corrections_are_versions_and_copies_are_one_article() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawl_twice(dir.path()).await;

    // By default only current articles: 1, 4 and 5; the copy of 1 is article 1.
    let current = rows(&archive, StatusFilter::Current);
    let mut urls: Vec<&String> = current.keys().collect();
    urls.sort();
    assert_eq!(
        urls,
        [1, 4, 5]
            .map(|i| url(&article_path(i)))
            .iter()
            .collect::<Vec<_>>(),
        "{current:#?}"
    );
    assert!(current.values().all(|r| r.status == ArticleStatus::Current));
    let a4 = &current[&url(&article_path(4))];
    assert_eq!(a4.title.as_deref(), Some("Titre corrigé de l'article 4"));
    assert_eq!(a4.versions, 2, "{a4:?}");
    assert_eq!(a4.last_changed, Some(a4.captured_at));
    assert_eq!(current[&url(&article_path(5))].versions, 1);

    // With the deleted ones: 2 (404) and 3 (redirected to the home page) are gone since
    // the second crawl.
    let all = rows(&archive, StatusFilter::All);
    assert_eq!(all.len(), 5);
    for i in [2, 3] {
        let r = &all[&url(&article_path(i))];
        assert_eq!(r.status, ArticleStatus::Gone, "{r:?}");
        let since = r.gone_since.expect("gone since");
        assert!(
            since >= r.captured_at,
            "deleted after its last capture: {r:?}"
        );
    }
    assert_eq!(rows(&archive, StatusFilter::Gone).len(), 2);

    // The command line: left out by default, back with --include-gone, in every format.
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_glaneur"))
            .args(args)
            .output()
            .expect("run glaneur");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let a = archive.to_str().expect("utf-8 path");
    assert_eq!(run(&["articles", "--archive", a]).lines().count(), 3);
    let jsonl = run(&["articles", "--archive", a, "--include-gone"]);
    let gone: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|v| v["status"] == "gone")
        .collect();
    assert_eq!(gone.len(), 2);
    assert!(
        gone.iter()
            .all(|v| v["gone_since"].is_string() && v["versions"] == 1)
    );
    let csv = run(&[
        "articles",
        "--archive",
        a,
        "--include-gone",
        "--format",
        "csv",
    ]);
    let header = csv.lines().next().expect("header");
    assert!(
        header.contains(",status,gone_since,versions,last_changed,title_method,"),
        "{header}"
    );
    assert_eq!(csv.lines().filter(|l| l.contains(",gone,")).count(), 2);

    // The server: deleted articles are marked, and a filter lists them.
    let state = dir.path().join("state");
    let app = App::open(&ServeConfig {
        archive: archive.clone(),
        state_dir: Some(state),
        verify: false,
    })
    .expect("open");
    app.refresh().expect("refresh");
    let (status, body) = get_text(&app, "/api/articles?status=gone").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(list["total"], 2, "{list}");
    let (_, body) = get_text(&app, "/api/articles").await;
    let list: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(
        list["total"], 5,
        "every article, one for 1 and its copy: {list}"
    );
    let catalog = app.catalog();
    let a1 = catalog
        .article_by_url(&url(COPY_PATH))
        .expect("the copy is article 1");
    assert_eq!(a1.url, url(&article_path(1)));
    assert_eq!(a1.duplicates, [url(COPY_PATH)]);
    let a2 = catalog
        .article_by_url(&url(&article_path(2)))
        .expect("article 2");
    let (status, page) = get_text(&app, &format!("/articles/{}", a2.id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Deleted on"), "{page}");
    let (status, _) = get_text(&app, "/api/articles?status=deleted").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn a_profile_adds_its_own_duplicate_making_parameters() {
    use glaneur::config::SiteProfile;
    let u = |s: &str| url::Url::parse(s).expect("url");
    let text =
        "name = \"n\"\nstart = [\"https://n.test/\"]\nduplicate_params = [\"xtor\", \"ref_*\"]\n";
    let p = SiteProfile::parse(text, Path::new("seeds/n.toml")).expect("profile");
    assert_eq!(p.duplicate_params, ["xtor", "ref_*"]);
    let got = p.canonicalize(&u("https://n.test/a?xtor=RSS-1&replytocom=2&ref_x=1&id=4"));
    assert_eq!(
        got.map(|u| u.to_string()).as_deref(),
        Some("https://n.test/a?id=4")
    );
    // Without the key only the generic list applies.
    let generic = SiteProfile::generic(&u("https://n.test/"));
    let got = generic.canonicalize(&u("https://n.test/a?xtor=RSS-1&replytocom=2&id=4"));
    assert_eq!(
        got.map(|u| u.to_string()).as_deref(),
        Some("https://n.test/a?xtor=RSS-1&id=4")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_and_the_jsonl_export_agree_on_deletions_and_versions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let archive = crawl_twice(dir.path()).await;
    let out = support::glaneur(&[
        "articles",
        "--archive",
        archive.to_str().expect("utf-8 path"),
        "--include-gone",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: HashMap<String, serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON row"))
        .map(|v| (v["url"].as_str().unwrap_or("").to_string(), v))
        .collect();
    let app = App::open(&ServeConfig {
        archive: archive.clone(),
        state_dir: Some(dir.path().join("state")),
        verify: false,
    })
    .expect("open");
    app.refresh().expect("refresh");
    let date = |v: &serde_json::Value| {
        v.as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    // Deleted (2), redirected away (3), corrected (4), unchanged (5).
    for (i, status, versions) in [
        (2, "gone", 1),
        (3, "gone", 1),
        (4, "current", 2),
        (5, "current", 1),
    ] {
        let u = url(&article_path(i));
        let row = &exported[&u];
        let id = glaneur::archive::scan::article_id(&u);
        let (code, body) = get_text(&app, &format!("/api/articles/{id}")).await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let served: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(row["status"], status, "{u}");
        assert_eq!(served["status"], row["status"], "{u}");
        assert_eq!(row["versions"], versions, "{u}");
        assert_eq!(served["distinct_versions"], row["versions"], "{u}");
        assert!(date(&row["last_changed"]).is_some(), "{u}: {row}");
        assert_eq!(
            date(&served["last_changed"]),
            date(&row["last_changed"]),
            "{u}"
        );
        assert_eq!(date(&served["gone_since"]), date(&row["gone_since"]), "{u}");
        assert_eq!(row["gone_since"].is_null(), status == "current", "{u}");
        // The page says the same.
        let (_, page) = get_text(&app, &format!("/articles/{id}")).await;
        assert_eq!(page.contains("Deleted on"), status == "gone", "{u}");
        assert!(
            page.contains(&format!("{versions} distinct version(s)")),
            "{u}"
        );
    }
}
