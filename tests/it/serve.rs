//! Handler tests of `glaneur serve` (every route, through the router with tower's
//! `oneshot`) on an archive written by two real crawls of the in-process news site: one
//! page is hostile (scripts, HTML in its title, `</iframe>` in its body, links to the
//! live web), one article changes between the crawls, the others come back as revisits.

use crate::support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use glaneur::serve::replay::{REPLAY_CSP, UI_CSP};
use glaneur::serve::{App, ServeConfig, router};
use support::*;
use tower::ServiceExt;

const HOST: &str = "news.test";
const N: u32 = 6;
const HOSTILE_PATH: &str = "/2024/05/un-article-piege-0099/";
/// A word found only in the hostile article's body.
const RARE_WORD: &str = "zeppelinophile";

fn article_path(i: u32) -> String {
    format!("/2024/05/article-numero-{i:04}/")
}

fn url(path: &str) -> String {
    format!("http://{HOST}{path}")
}

fn hostile_page() -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <title>Le &lt;script&gt;alert(\"titre\")&lt;/script&gt; piège - Test News</title>\
         <script>document.title='pwned'</script>\
         <meta http-equiv=\"refresh\" content=\"5;url=http://live.invalid/\"></head><body onload=\"alert(0)\">\
         <article><h1 class=\"entry-title\">Le &lt;script&gt;alert(\"titre\")&lt;/script&gt; piège</h1>\
         <time class=\"entry-date published\" datetime=\"2024-05-20T09:15:00+02:00\">20 mai 2024</time>\
         <div class=\"entry-content\"><p>Un paragraphe hostile qui contient &lt;/iframe&gt;&lt;script&gt;alert(\"corps\")&lt;/script&gt; \
         et le mot {RARE_WORD} pour la recherche, assez long pour compter comme un vrai paragraphe de texte.</p>\
         <p>Une image <img src=\"http://live.invalid/pixel.png\" onerror=\"alert(3)\"> et un lien \
         <a href=\"http://live.invalid/page\">vivant</a> et <a href=\"javascript:alert(4)\">js</a> dans un second paragraphe assez long.</p>\
         <div class=\"lire-aussi\"><strong>À lire aussi :</strong><ul><li><a href=\"{a1}\">Article 1</a></li>\
         <li><a href=\"/2024/05/jamais-archive/\">Absent</a></li></ul></div></div>\
         <div class=\"cat-links\">Categories: <a rel=\"category tag\" href=\"/category/cloud/\">Cloud</a></div>\
         </article><script>document.body.innerHTML='pwned'</script></body></html>",
        a1 = article_path(1)
    )
}

struct Fixture {
    _dir: tempfile::TempDir,
    archive: PathBuf,
}

async fn build_fixture() -> Fixture {
    let mut pages = news_site(N);
    pages.insert(HOSTILE_PATH.into(), Page::html(hostile_page()));
    if let Some(home) = pages.get_mut("/") {
        let text = String::from_utf8_lossy(&home.body).replace(
            "</body>",
            &format!("<a href=\"{HOSTILE_PATH}\">Piège</a></body>"),
        );
        home.body = text.into_bytes();
    }
    let server = TestServer::start(HashMap::from([(HOST.to_string(), pages)])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    s.max_depth = Some(20);
    for site in &mut s.sites {
        site.fresh_articles = Duration::ZERO;
        site.recheck_articles = Duration::ZERO;
    }
    let first = crawl(s.clone()).await;
    assert!(first.articles > u64::from(N), "{first:?}");
    // Between the crawls, article 3's second paragraph changes.
    let mut p3 = server.page(HOST, &article_path(3)).expect("article 3");
    p3.body = String::from_utf8_lossy(&p3.body)
        .replace(
            "qui conclut le propos avec quelques mots de plus",
            "qui conclut autrement, avec une correction importante",
        )
        .into_bytes();
    server.set_page(HOST, &article_path(3), p3);
    let second = crawl(s.clone()).await;
    assert!(second.unchanged + second.not_modified > 0, "{second:?}");
    Fixture {
        archive: s.archive_dir.clone(),
        _dir: dir,
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Runtime::new().expect("runtime");
            rt.block_on(build_fixture())
        })
        .join()
        .expect("fixture built")
    })
}

/// An app over the fixture with its own state folder, read completely.
fn open_app(state: &Path) -> Arc<App> {
    let app = App::open(&ServeConfig {
        archive: fixture().archive.clone(),
        state_dir: Some(state.to_path_buf()),
        verify: true,
    })
    .expect("open");
    app.refresh().expect("refresh");
    app
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    let res = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Distinct article URLs, and the primary category of the latest article record of
/// each, read straight from the WARC files.
fn truth(archive: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in all_records(archive) {
        if r.header("WARC-Type") != Some("metadata")
            || !r
                .header("Content-Type")
                .is_some_and(|c| c.starts_with("application/json"))
        {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&r.block).expect("article json");
        let url = v["url"].as_str().unwrap_or("").to_string();
        let cat = v["categories"][0].as_str().unwrap_or("(none)").to_string();
        let date = r.header("WARC-Date").unwrap_or("").to_string();
        let e = out.entry(url).or_insert((date.clone(), cat.clone()));
        if date >= e.0 {
            *e = (date, cat);
        }
    }
    out.into_iter().map(|(k, (_, c))| (k, c)).collect()
}

fn ui_headers_are_strict(a: &Answer) {
    assert_eq!(a.header(header::CONTENT_SECURITY_POLICY), UI_CSP);
    assert!(UI_CSP.contains("default-src 'none'"));
    assert!(!UI_CSP.contains("script-src"));
    assert_eq!(a.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(a.header(header::X_FRAME_OPTIONS), "DENY");
}

#[tokio::test]
async fn overview_counts_match_the_records_and_headers_are_strict() {
    let state = tempfile::tempdir().expect("tmp");
    let app = open_app(state.path());
    let r = router(Arc::clone(&app));
    let truth = truth(&fixture().archive);

    let a = get(&r, "/api/overview").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(
        a.header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    let v = a.json();
    assert_eq!(v["totals"]["articles"], truth.len() as u64);
    assert!(v["totals"]["revisits"].as_u64().unwrap_or(0) > 0, "{v}");
    assert_eq!(v["totals"]["files"], 2);
    let mut by_cat: BTreeMap<String, u64> = BTreeMap::new();
    for c in truth.values() {
        *by_cat.entry(c.clone()).or_default() += 1;
    }
    let got: BTreeMap<String, u64> = v["articles_by_category"]
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(got, by_cat);
    assert_eq!(v["articles_by_site"][0]["name"], HOST);
    assert!(v["status"]["ready"].as_bool().unwrap_or(false));

    let a = get(&r, "/").await;
    assert_eq!(a.status, StatusCode::OK);
    ui_headers_are_strict(&a);
    assert!(
        a.body
            .contains(&format!("<dd id=\"total-articles\">{}</dd>", truth.len())),
        "{}",
        a.body
    );
    assert!(a.body.contains("<svg class=\"chart\""));
    assert!(a.body.contains("<rect class=\"bar\""));
    assert!(a.body.contains("href=\"/articles?category=Cloud\""));
    // WARC files and their integrity, once checked.
    assert!(
        a.body.contains("pending") || a.body.contains("checking"),
        "{}",
        a.body
    );
    app.verify_pending();
    let a = get(&r, "/").await;
    assert_eq!(
        a.body.matches("<span class=\"badge ok\"").count(),
        2,
        "{}",
        a.body
    );
    let v = get(&r, "/api/overview").await.json();
    assert_eq!(v["files"][0]["integrity"]["state"], "ok");

    let a = get(&r, "/api/status").await;
    assert_eq!(a.json()["files_total"], 2);
    let a = get(&r, "/?x=1").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("unknown parameter `x`"));
    let a = get(&r, "/static/style.css").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.header(header::CONTENT_TYPE).starts_with("text/css"));
    let a = get(&r, "/no/such/page").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    ui_headers_are_strict(&a);
    let a = get(&r, "/api/nothing").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["status"], 404);
}

#[tokio::test]
async fn article_list_filters_sorts_pages_and_rejects_bad_parameters() {
    let state = tempfile::tempdir().expect("tmp");
    let r = router(open_app(state.path()));
    let truth = truth(&fixture().archive);

    let v = get(&r, "/api/articles?per_page=200").await.json();
    assert_eq!(v["total"], truth.len() as u64);
    let items = v["items"].as_array().expect("items");
    // Newest publication first.
    let dates: Vec<&str> = items
        .iter()
        .filter_map(|i| i["published"].as_str())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    assert_eq!(
        items[0]["url"],
        url(HOSTILE_PATH),
        "the hostile article is the newest"
    );
    let v = get(&r, "/api/articles?sort=oldest&per_page=2&page=2")
        .await
        .json();
    assert_eq!(v["page"], 2);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["pages"], (truth.len() as u64).div_ceil(2));

    let v = get(
        &r,
        "/api/articles?site=www.news.test&category=cloud&from=2024-05-02&to=2024-05-04",
    )
    .await
    .json();
    let urls: HashSet<&str> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["url"].as_str())
        .collect();
    // news_site(n): article i is published on May (i % 28) + 1.
    let want: HashSet<String> = [1, 2, 3].iter().map(|i| url(&article_path(*i))).collect();
    assert_eq!(urls, want.iter().map(String::as_str).collect());
    assert_eq!(
        get(&r, "/api/articles?site=other.test").await.json()["total"],
        0
    );

    for (q, msg) in [
        ("from=2024-02-30", "`from`: \"2024-02-30\" is not a date"),
        ("to=yesterday", "`to`: \"yesterday\" is not a date"),
        ("from=2024-05-04&to=2024-05-01", "is after `to`"),
        ("page=0", "`page`: \"0\" is not a whole number"),
        ("page=-1", "`page`"),
        ("per_page=100000", "`per_page`"),
        ("sort=random", "`sort`"),
        ("colour=red", "unknown parameter `colour`"),
        ("page=1&page=2", "given twice"),
    ] {
        let a = get(&r, &format!("/api/articles?{q}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
        let e = a.json()["error"].as_str().unwrap_or("").to_string();
        assert!(e.contains(msg), "{q}: {e}");
        let a = get(&r, &format!("/articles?{q}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}");
        assert!(a.header(header::CONTENT_TYPE).starts_with("text/html"));
    }

    let a = get(&r, "/articles?category=Cloud&per_page=3").await;
    assert_eq!(a.status, StatusCode::OK);
    ui_headers_are_strict(&a);
    assert!(
        a.body.contains("<option value=\"Cloud\" selected>"),
        "{}",
        a.body
    );
    assert!(
        a.body
            .contains("rel=\"next\" href=\"/articles?category=Cloud&amp;page=2\""),
        "{}",
        a.body
    );
    // The empty fields of a submitted form are no filter.
    let a = get(&r, "/articles?site=&category=&from=&to=&sort=newest").await;
    assert!(a.body.contains(&format!("{} article(s)", truth.len())));
}

#[tokio::test]
async fn hostile_content_is_escaped_everywhere() {
    let state = tempfile::tempdir().expect("tmp");
    let app = open_app(state.path());
    let r = router(Arc::clone(&app));
    let id = app
        .catalog()
        .article_by_url(&url(HOSTILE_PATH))
        .expect("hostile article")
        .id
        .clone();
    let v = get(&r, &format!("/api/articles/{id}")).await.json();
    assert_eq!(v["title"], "Le <script>alert(\"titre\")</script> piège");
    assert!(
        v["article"]["body"]
            .as_str()
            .unwrap_or("")
            .contains("</iframe><script>alert(\"corps\")</script>")
    );

    for page in [
        "/articles".to_string(),
        format!("/articles/{id}"),
        format!("/search?q={RARE_WORD}"),
        format!("/capture?url={}", enc(&url(HOSTILE_PATH))),
    ] {
        let a = get(&r, &page).await;
        assert_eq!(a.status, StatusCode::OK, "{page}");
        ui_headers_are_strict(&a);
        assert!(!a.body.contains("<script"), "{page}: {}", a.body);
        assert!(!a.body.contains("alert(\"titre\")</script>"), "{page}");
        assert!(
            a.body
                .contains("Le &lt;script&gt;alert(&quot;titre&quot;)&lt;/script&gt; piège"),
            "{page}: {}",
            a.body
        );
        // No archived URL is ever a link of the interface.
        assert!(!a.body.contains("href=\"http"), "{page}");
        assert!(!a.body.contains("src=\"http"), "{page}");
    }
    let a = get(&r, &format!("/articles/{id}")).await;
    assert!(
        a.body
            .contains("&lt;/iframe&gt;&lt;script&gt;alert(&quot;corps&quot;)"),
        "{}",
        a.body
    );
    assert_eq!(a.body.matches("</iframe>").count(), 0);
    let a = get(&r, &format!("/capture?url={}", enc(&url(HOSTILE_PATH)))).await;
    assert_eq!(
        a.body.matches("</iframe>").count(),
        1,
        "only the sandbox frame"
    );
    assert!(
        a.body
            .contains("<iframe class=\"replay\" sandbox=\"\" src=\"/replay/"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("allow-scripts") && !a.body.contains("allow-same-origin"));
}

#[tokio::test]
async fn replayed_pages_run_no_script_and_never_reach_the_live_web() {
    let state = tempfile::tempdir().expect("tmp");
    let app = open_app(state.path());
    let r = router(Arc::clone(&app));
    let cap = get(&r, &format!("/api/capture?url={}", enc(&url(HOSTILE_PATH))))
        .await
        .json();
    let replay = cap["replay_url"].as_str().expect("replay url").to_string();
    let ts = cap["capture"]["timestamp"]
        .as_str()
        .expect("ts")
        .to_string();
    assert_eq!(replay, format!("/replay/{ts}/{}", url(HOSTILE_PATH)));

    let a = get(&r, &replay).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header(header::CONTENT_SECURITY_POLICY), REPLAY_CSP);
    assert!(REPLAY_CSP.contains("default-src 'none'") && REPLAY_CSP.ends_with("sandbox"));
    assert!(!REPLAY_CSP.contains("script-src"));
    assert_eq!(a.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(a.header(header::CONTENT_TYPE).starts_with("text/html"));
    let html = &a.body;
    assert!(html.contains(RARE_WORD));
    for gone in [
        "<script",
        "pwned",
        "onload",
        "onerror",
        "javascript:",
        "http-equiv",
    ] {
        assert!(!html.contains(gone), "{gone}: {html}");
    }
    let prefix = format!("/replay/{ts}/");
    assert!(
        html.contains(&format!("href=\"{prefix}http://live.invalid/page\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("src=\"{prefix}http://live.invalid/pixel.png\"")),
        "{html}"
    );
    for (at, _) in html.match_indices("http://") {
        assert!(
            html[..at].ends_with(&prefix),
            "a URL outside the archive at {at}: {}",
            &html[at.saturating_sub(40)..at + 40]
        );
    }
    // A link to a page that was never archived answers inside the frame, same policy.
    let a = get(&r, &format!("{prefix}http://live.invalid/page")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.header(header::CONTENT_SECURITY_POLICY), REPLAY_CSP);
    assert!(a.body.contains("Not in the archive"));
    // Query strings are part of the archived URL; bad addresses are refused.
    assert_eq!(
        get(&r, "/replay/notadate/http://news.test/").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&r, "/replay/2024/notaurl").await.status,
        StatusCode::BAD_REQUEST
    );
    // An archived redirect or another page of the site replays too.
    let home = get(&r, &format!("/replay/{ts}/http://{HOST}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body
            .contains(&format!("href=\"{prefix}http://{HOST}/category/cloud/\"")),
        "{}",
        home.body
    );
}

#[tokio::test]
async fn search_finds_the_article_first_with_highlighted_snippets() {
    let state = tempfile::tempdir().expect("tmp");
    let app = open_app(state.path());
    let r = router(Arc::clone(&app));
    let hostile = app
        .catalog()
        .article_by_url(&url(HOSTILE_PATH))
        .expect("a")
        .id
        .clone();

    let v = get(&r, &format!("/api/search?q={RARE_WORD}")).await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["article"]["id"], hostile);
    let snippet = &v["items"][0]["snippet"];
    assert!(
        snippet
            .as_array()
            .expect("fragments")
            .iter()
            .any(|f| f["hit"] == true && f["text"] == RARE_WORD),
        "{snippet}"
    );
    assert!(v["took_ms"].as_f64().is_some());

    // Accents folded, words of the title and body, filters, pages.
    let v = get(&r, "/api/search?q=piege").await.json();
    assert_eq!(v["items"][0]["article"]["id"], hostile);
    let v = get(&r, "/api/search?q=paragraphe&per_page=2").await.json();
    assert!(v["total"].as_u64().unwrap_or(0) > 2, "{v}");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["pages"], v["total"].as_u64().unwrap_or(0).div_ceil(2));
    let v = get(&r, "/api/search?q=paragraphe&from=2024-05-20")
        .await
        .json();
    assert_eq!(v["total"], 1);
    let v = get(&r, "/api/search?q=paragraphe&category=nope")
        .await
        .json();
    assert_eq!(v["total"], 0);
    let v = get(&r, &format!("/api/search?q=article+{}", "4"))
        .await
        .json();
    assert_eq!(
        v["items"][0]["article"]["url"],
        url(&article_path(4)),
        "{v}"
    );
    let v = get(&r, "/api/search?q=paragraphe&sort=newest").await.json();
    assert_eq!(v["items"][0]["article"]["id"], hostile);

    let a = get(&r, &format!("/search?q={RARE_WORD}")).await;
    assert!(
        a.body.contains(&format!("<mark>{RARE_WORD}</mark>")),
        "{}",
        a.body
    );
    assert!(a.body.contains("1 result(s)"));
    assert!(a.body.contains(&format!("href=\"/articles/{hostile}\"")));
    let a = get(&r, "/search").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("name=\"q\""));

    assert_eq!(get(&r, "/api/search").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&r, "/api/search?q=x&sort=best").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&r, &format!("/api/search?q={}", "a".repeat(600)))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Query syntax errors are not failures.
    assert_eq!(
        get(&r, "/api/search?q=%22unclosed").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn article_page_shows_fields_related_captures_revisits_and_the_diff() {
    let state = tempfile::tempdir().expect("tmp");
    let app = open_app(state.path());
    let r = router(Arc::clone(&app));
    let c = app.catalog();
    let a3 = c
        .article_by_url(&url(&article_path(3)))
        .expect("article 3")
        .id
        .clone();
    let a1 = c
        .article_by_url(&url(&article_path(1)))
        .expect("article 1")
        .id
        .clone();

    let v = get(&r, &format!("/api/articles/{a3}")).await.json();
    assert_eq!(v["url"], url(&article_path(3)));
    assert_eq!(v["versions"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["versions"][1]["changed"], true);
    let fields = v["fields"].as_array().expect("fields");
    let title = fields
        .iter()
        .find(|f| f["name"] == "title")
        .expect("title field");
    assert_eq!(title["value"], "Titre de l'article 3");
    assert!(title["method"].is_string(), "{title}");
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "published" && f["method"].is_string())
    );
    // Related articles of the "À lire aussi" block, linked to their pages.
    let related = v["related"].as_array().expect("related");
    assert_eq!(related.len(), 2, "{related:?}");
    assert!(related.iter().all(|x| x["article_id"].is_string()));
    // The diff between the two versions.
    let diff = &v["diff"];
    assert_eq!(
        (diff["from"].as_u64(), diff["to"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(diff["stats"]["deleted"], 1);
    assert_eq!(diff["stats"]["inserted"], 1);
    let ins = diff["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["tag"] == "insert")
        .expect("insert");
    assert!(
        ins["parts"]
            .as_array()
            .expect("parts")
            .iter()
            .any(|p| p["emph"] == true && p["text"].as_str().unwrap_or("").contains("correction")),
        "{ins}"
    );
    let captures = v["captures"].as_array().expect("captures");
    assert_eq!(captures.len(), 2);
    assert!(captures.iter().all(|c| c["kind"] == "response"));

    let page = get(&r, &format!("/articles/{a3}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<ins>"), "{}", page.body);
    assert!(page.body.contains("id=\"history\""));
    assert!(page.body.contains("1 paragraph(s) removed, 1 added"));
    // An older version, and an explicit comparison.
    let old = get(&r, &format!("/api/articles/{a3}?version=1"))
        .await
        .json();
    assert!(
        old["article"]["body"]
            .as_str()
            .unwrap_or("")
            .contains("quelques mots de plus")
    );
    let v = get(&r, &format!("/api/articles/{a3}?from=2&to=1"))
        .await
        .json();
    assert_eq!(
        (v["diff"]["from"].as_u64(), v["diff"]["to"].as_u64()),
        (Some(1), Some(2))
    );
    for q in ["version=3", "version=0", "from=1&to=1", "from=9", "bogus=1"] {
        assert_eq!(
            get(&r, &format!("/api/articles/{a3}?{q}")).await.status,
            StatusCode::BAD_REQUEST,
            "{q}"
        );
    }
    assert_eq!(
        get(&r, "/api/articles/0000000000000000").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&r, "/articles/0000000000000000").await.status,
        StatusCode::NOT_FOUND
    );

    // Article 1 did not change: its second capture is a revisit, same version.
    let v = get(&r, &format!("/api/articles/{a1}")).await.json();
    let captures = v["captures"].as_array().expect("captures");
    assert_eq!(captures.len(), 2, "{v}");
    assert_eq!(captures[1]["kind"], "revisit");
    assert_eq!(captures[1]["revisit_of"], captures[0]["timestamp"]);
    assert_eq!(captures[1]["article_version"], 1);
    assert!(v["diff"].is_null());
    // The hostile article links to article 1 (in the archive) and to a page that answered 404.
    let h = c.article_by_url(&url(HOSTILE_PATH)).expect("h").id.clone();
    let page = get(&r, &format!("/articles/{h}")).await;
    assert!(
        page.body.contains(&format!("href=\"/articles/{a1}\"")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("(captured, HTTP 404, no article)"),
        "{}",
        page.body
    );
    let v = get(&r, &format!("/api/articles/{h}")).await.json();
    let missing = v["related"]
        .as_array()
        .expect("related")
        .iter()
        .find(|x| x["article_id"].is_null())
        .expect("404 link");
    assert_eq!(missing["url"], url("/2024/05/jamais-archive/"));
    assert_eq!(missing["status"], 404);
}

#[tokio::test]
async fn capture_routes_show_headers_and_every_capture() {
    let state = tempfile::tempdir().expect("tmp");
    let r = router(open_app(state.path()));
    let u = url(&article_path(1));
    let v = get(&r, &format!("/api/captures?url={}", enc(&u)))
        .await
        .json();
    let list = v["captures"].as_array().expect("captures");
    assert_eq!(list.len(), 2);
    assert!(v["article_id"].is_string());
    // Another spelling of the same URL (SURT key) finds the same captures.
    let v2 = get(
        &r,
        &format!(
            "/api/captures?url={}",
            enc(u.replace("http://", "http://www.").trim_end_matches('/'))
        ),
    )
    .await
    .json();
    assert_eq!(v2["captures"], v["captures"]);
    let first_ts = list[0]["timestamp"].as_str().expect("ts");

    let v = get(&r, &format!("/api/capture?url={}&at={first_ts}", enc(&u)))
        .await
        .json();
    assert_eq!(v["capture"]["kind"], "response");
    assert_eq!(v["http_status_line"], "HTTP/1.1 200 OK");
    assert!(v["http_headers"].as_array().expect("h").iter().any(|h| {
        h[0].as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case("content-type"))
    }));
    assert!(
        v["warc_headers"]
            .as_array()
            .expect("h")
            .iter()
            .any(|h| h[0] == "WARC-Record-ID")
    );
    // The latest is the revisit, whose payload is the first capture.
    let v = get(&r, &format!("/api/capture?url={}", enc(&u)))
        .await
        .json();
    assert_eq!(v["capture"]["kind"], "revisit");
    assert_eq!(v["payload"]["timestamp"], first_ts);
    let a = get(&r, &format!("/capture?url={}", enc(&u))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("A revisit: the page had not changed"));
    assert!(a.body.contains("id=\"article-link\""));
    // The revisit replays the original payload.
    let replay = v["replay_url"].as_str().expect("replay");
    let page = get(&r, replay).await;
    assert!(page.body.contains("Premier paragraphe de l'article 1"));

    for (q, status) in [
        ("", StatusCode::BAD_REQUEST),
        ("url=ftp://x/", StatusCode::BAD_REQUEST),
        ("url=notaurl", StatusCode::BAD_REQUEST),
        ("url=http://news.test/none&at=2024", StatusCode::NOT_FOUND),
        ("url=http://news.test/&at=20x", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(
            get(&r, &format!("/api/capture?{q}")).await.status,
            status,
            "{q}"
        );
        assert_eq!(
            get(&r, &format!("/capture?{q}")).await.status,
            status,
            "{q}"
        );
    }
    assert_eq!(
        get(&r, "/api/captures?url=http://news.test/none")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&r, "/api/captures").await.status,
        StatusCode::BAD_REQUEST
    );
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == ".glaneur") {
            continue;
        }
        if let Ok(m) = e.metadata()
            && m.is_file()
        {
            out.insert(p, (m.len(), m.modified().expect("mtime")));
        }
    }
    out
}

#[tokio::test]
async fn nothing_is_written_to_the_archive_but_the_state_folder() {
    let archive = &fixture().archive;
    let before = snapshot(archive);
    let app = App::open(&ServeConfig {
        archive: archive.clone(),
        state_dir: None,
        verify: true,
    })
    .expect("open");
    app.refresh().expect("refresh");
    app.verify_pending();
    let r = router(Arc::clone(&app));
    assert_eq!(
        get(&r, "/api/search?q=article").await.status,
        StatusCode::OK
    );
    drop(r);
    drop(app);
    assert_eq!(snapshot(archive), before);
    let state = archive.join(".glaneur");
    assert!(state.join("search").join("meta.json").is_file());
    assert!(state.join("integrity.json").is_file());
    assert_eq!(
        std::fs::read_dir(state.join("catalog"))
            .expect("catalog")
            .count(),
        2
    );
    std::fs::remove_dir_all(&state).expect("cleanup");
}

#[tokio::test]
async fn new_warc_files_are_read_and_indexed_incrementally() {
    let server = TestServer::start(HashMap::from([(HOST.to_string(), news_site(3))])).await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    for site in &mut s.sites {
        site.fresh_articles = Duration::ZERO;
        site.recheck_articles = Duration::ZERO;
    }
    crawl(s.clone()).await;
    let state = dir.path().join("state");
    let config = ServeConfig {
        archive: s.archive_dir.clone(),
        state_dir: Some(state.clone()),
        verify: false,
    };
    let app = App::open(&config).expect("open");
    // Before the first refresh: nothing yet, and the pages say so.
    assert!(!app.status().ready);
    let page = get(&router(Arc::clone(&app)), "/").await;
    assert!(page.body.contains("id=\"loading\""));
    let first = app.refresh().expect("refresh");
    assert_eq!((first.files_read, first.files_cached), (1, 0));
    assert_eq!(first.indexed, 3);
    let r = router(Arc::clone(&app));
    assert_eq!(get(&r, "/api/search?q=zythophile").await.json()["total"], 0);

    // A new article appears; the next crawl writes a second WARC file.
    server.set_page(
        HOST,
        &article_path(9),
        Page::html(article_html(9, "Le zythophile amateur", &[1])),
    );
    let mut home = server.page(HOST, "/").expect("home");
    home.body = String::from_utf8_lossy(&home.body)
        .replace(
            "</body>",
            &format!("<a href=\"{}\">9</a></body>", article_path(9)),
        )
        .into_bytes();
    server.set_page(HOST, "/", home);
    crawl(s.clone()).await;
    let second = app.refresh().expect("refresh");
    assert_eq!(
        (second.files_read, second.files_cached),
        (1, 1),
        "{second:?}"
    );
    assert_eq!(second.indexed, 1, "only the new article: {second:?}");
    let v = get(&r, "/api/search?q=zythophile").await.json();
    assert_eq!(v["total"], 1);
    assert_eq!(v["items"][0]["article"]["url"], url(&article_path(9)));
    assert_eq!(
        get(&r, "/api/overview").await.json()["totals"]["articles"],
        4
    );
    drop(r);
    drop(app);

    // Reopened: everything comes from the caches and the index.
    let app = App::open(&config).expect("reopen");
    assert_eq!(app.catalog().totals.articles, 4);
    let again = app.refresh().expect("refresh");
    assert_eq!(
        (again.files_read, again.files_cached, again.indexed),
        (0, 2, 0)
    );
    // A removed file disappears from the catalog and the index.
    let files = warc_files(&s.archive_dir);
    std::fs::remove_file(&files[1]).expect("remove");
    let gone = app.refresh().expect("refresh");
    assert_eq!(gone.files_removed, 1);
    let r = router(Arc::clone(&app));
    assert_eq!(get(&r, "/api/search?q=zythophile").await.json()["total"], 0);
    assert_eq!(
        get(&r, "/api/overview").await.json()["totals"]["articles"],
        3
    );
    // A second server on the same state folder is refused.
    assert!(App::open(&config).is_err());
}
