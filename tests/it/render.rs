//! Pages built by JavaScript, rendered in a real headless Chromium (Debian's `chromium`)
//! with every request going through glaneur. Built only with `--features chromium-tests`
//! (`scripts/ci-render.sh` installs Chromium and runs them); without Chromium they fail.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use glaneur::capture::Capture;
use glaneur::config::SiteProfile;
use glaneur::fetch::{FetchRequest, Fetcher, FetcherConfig};
use glaneur::render::page_requisites::requisite_page;
use glaneur::render::{Browser, RenderMode, RenderSettings, Requisites};
use glaneur::warc::Record;

use crate::support::{Page, Pages, TestServer, all_records, crawl, settings};

const HOST: &str = "js.test";
const ARTICLES: u32 = 50;
/// Requests per second the test policy allows each host.
const RATE: f64 = 40.0;

/// A 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The script of every article page: body, title and date from a JSON call, three lazy
/// images (`data-src`, loaded when scrolled into view), a related block from another
/// JSON call, and a call robots.txt disallows.
const APP_JS: &str = r#"(async () => {
  const root = document.getElementById('root');
  const id = root.dataset.id;
  const a = await (await fetch('/api/article/' + id + '.json')).json();
  document.title = a.title + ' | JS Info';
  root.innerHTML = '<article><h1>' + a.title + '</h1><time datetime="' + a.date + '">' +
    a.date + '</time>' + a.paragraphs.map(p => '<p>' + p + '</p>').join('') + '</article>';
  for (let k = 0; k < 3; k++) {
    const img = document.createElement('img');
    img.dataset.src = '/img/' + id + '-' + k + '.png';
    img.style = 'display:block;width:300px;height:500px';
    root.appendChild(img);
  }
  const io = new IntersectionObserver(entries => entries.forEach(e => {
    if (e.isIntersecting) { e.target.src = e.target.dataset.src; io.unobserve(e.target); }
  }));
  document.querySelectorAll('img[data-src]').forEach(i => io.observe(i));
  const related = await (await fetch('/api/related/' + id + '.json')).json();
  const aside = document.createElement('aside');
  aside.className = 'related';
  aside.innerHTML = '<h2>À lire aussi</h2><ul>' + related.map(r =>
    '<li><a href="/a/' + r + '.html">Article ' + r + '</a></li>').join('') + '</ul>';
  document.body.appendChild(aside);
  fetch('/api/secret/' + id + '.json').catch(() => {});
})();
"#;

fn shell(id: u32) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Chargement…</title>
<script src="/app.js" defer></script></head><body><div id="root" data-id="{id}"></div>
<noscript>Activez JavaScript pour lire cet article.</noscript></body></html>"#
    )
}

fn title(id: u32) -> String {
    format!("Le titre rendu de l'article {id}")
}

fn date(id: u32) -> String {
    format!("2026-10-{:02}", id % 28 + 1)
}

/// The sentence only article `id`'s body has.
fn marker(id: u32) -> String {
    format!("Phrase unique de l'article numéro {id} construite par script.")
}

fn article_json(id: u32) -> String {
    let filler = "La rédaction a recoupé les témoignages des habitants du quartier, qui \
                  décrivent une soirée agitée et des secours arrivés rapidement sur place.";
    serde_json::json!({
        "title": title(id),
        "date": date(id),
        "paragraphs": [marker(id), filler, filler, "Fin de l'article."],
    })
    .to_string()
}

/// Article `id` links to the article ten further on (so 41–50 are reached only through
/// related blocks inserted by script) and to the next one.
fn related(id: u32) -> Vec<u32> {
    vec![(id + 9) % ARTICLES + 1, id % ARTICLES + 1]
}

fn json(body: String) -> Page {
    Page::text(200, body).with_header("content-type", "application/json")
}

/// The site: a static home page (links to articles 1–40, a static article and a live
/// page), 50 articles built by script, a server-rendered article, a page that never
/// goes idle.
fn js_site() -> Pages {
    let mut pages = Pages::new();
    let mut home = String::from(
        "<!DOCTYPE html><html lang=\"fr\"><head><title>JS Info</title></head><body><h1>JS Info</h1>\
         <p>Le site d'information dont les articles sont construits par script.</p><ul>",
    );
    for id in 1..=40 {
        home.push_str(&format!(
            "<li><a href=\"/a/{id}.html\">Article {id}</a></li>"
        ));
    }
    home.push_str("<li><a href=\"/static/1.html\">Un article statique</a></li>");
    home.push_str("<li><a href=\"/live.html\">En direct</a></li></ul></body></html>");
    pages.insert("/".into(), Page::html(home));
    pages.insert(
        "/robots.txt".into(),
        Page::text(200, "User-agent: *\nDisallow: /api/secret/\n"),
    );
    pages.insert(
        "/app.js".into(),
        Page::text(200, APP_JS).with_header("content-type", "text/javascript"),
    );
    for id in 1..=ARTICLES {
        pages.insert(format!("/a/{id}.html"), Page::html(shell(id)));
        pages.insert(format!("/api/article/{id}.json"), json(article_json(id)));
        let related = serde_json::to_string(&related(id)).expect("json");
        pages.insert(format!("/api/related/{id}.json"), json(related));
        pages.insert(format!("/api/secret/{id}.json"), json("{}".into()));
        for k in 0..3 {
            let mut image = Page::text(200, "");
            image.body = PNG.to_vec();
            image.headers = vec![("content-type".into(), "image/png".into())];
            pages.insert(format!("/img/{id}-{k}.png"), image);
        }
    }
    let paragraph = "<p>Cet article est envoyé tout fait par le serveur, sans script aucun, \
                     avec assez de texte pour que personne ne le croie vide ou incomplet.</p>";
    pages.insert(
        "/static/1.html".into(),
        Page::html(format!(
            "<!DOCTYPE html><html><head><title>Article statique</title></head><body>\
             <article><h1>Article statique</h1><time datetime=\"2026-10-02\">2 octobre</time>\
             {}</article></body></html>",
            paragraph.repeat(4)
        )),
    );
    pages.insert(
        "/live.html".into(),
        Page::html(
            r#"<!DOCTYPE html><html><head><title>En direct</title></head><body><div id="app"></div>
<noscript>Activez JavaScript.</noscript><script>
document.getElementById('app').innerHTML = '<h1>Page en direct</h1>';
setInterval(() => fetch('/api/tick.json?t=' + Date.now()).catch(() => {}), 150);
</script></body></html>"#,
        ),
    );
    pages.insert("/api/tick.json".into(), json("{\"tick\":1}".into()));
    pages
}

fn record_type(r: &Record) -> &str {
    r.header("WARC-Type").unwrap_or("")
}

fn uri(r: &Record) -> &str {
    r.header("WARC-Target-URI").unwrap_or("")
}

/// `--render auto` on the JS-built site: every article's title, body and date, every
/// JSON call and lazy image archived as a response, related links followed, the static
/// pages not rendered, robots.txt obeyed and the rate kept for every request.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn auto_renders_the_script_built_articles_and_nothing_else() {
    let server = TestServer::start(HashMap::from([(HOST.to_string(), js_site())])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let start = format!("http://{HOST}/");
    let mut settings = settings(dir.path(), &server, &[HOST], &[&start]);
    let profile = format!(
        "name = \"js\"\nstart = [\"{start}\"]\narticle = '/(a|static)/\\d+\\.html$'\nmax_depth = 6\n"
    );
    settings.sites =
        vec![SiteProfile::parse(&profile, std::path::Path::new("js.toml")).expect("profile")];
    settings.policy.default.requests_per_second = RATE;
    settings.policy.default.burst = 1;
    settings.policy.default.max_concurrent = 2;
    settings.render = RenderSettings {
        mode: Some(RenderMode::Auto),
        tabs: 2,
        page_timeout: Duration::from_secs(8),
        ..RenderSettings::default()
    };
    let summary = crawl(settings).await;
    let archive = dir.path().join("archive");
    let records = all_records(&archive);

    // Every article read from its rendered DOM: title, body, date; the record says so.
    let mut articles: HashMap<String, serde_json::Value> = HashMap::new();
    let is_json = |r: &Record| r.header("Content-Type") == Some("application/json");
    for r in records
        .iter()
        .filter(|r| record_type(r) == "metadata" && is_json(r))
    {
        let value: serde_json::Value = serde_json::from_slice(&r.block).expect("article JSON");
        articles.insert(uri(r).to_string(), value);
    }
    for id in 1..=ARTICLES {
        let url = format!("http://{HOST}/a/{id}.html");
        let article = articles
            .get(&url)
            .unwrap_or_else(|| panic!("no article for {url}"));
        assert_eq!(article["title"], title(id), "{url}");
        let body = article["body"].as_str().unwrap_or("");
        assert!(body.contains(&marker(id)), "{url}: body {body:?}");
        let published = article["published"].as_str().unwrap_or("");
        assert!(
            published.starts_with(&date(id)),
            "{url}: date {published:?}"
        );
        assert_eq!(article["rendered"], true, "{url}");
    }
    assert_eq!(
        articles
            .get(&format!("http://{HOST}/static/1.html"))
            .map(|a| a.get("rendered").is_some()),
        Some(false),
        "the static article is read as sent, not rendered"
    );

    // Every JSON call and lazy image archived as a response record, with raw bytes.
    let responses: HashMap<&str, &Record> = records
        .iter()
        .filter(|r| record_type(r) == "response")
        .map(|r| (uri(r), r))
        .collect();
    for id in 1..=ARTICLES {
        for path in [
            format!("/api/article/{id}.json"),
            format!("/api/related/{id}.json"),
        ] {
            let url = format!("http://{HOST}{path}");
            assert!(responses.contains_key(url.as_str()), "{url} not archived");
        }
        for k in 0..3 {
            let url = format!("http://{HOST}/img/{id}-{k}.png");
            let record = responses.get(url.as_str()).unwrap_or_else(|| {
                let page = format!("http://{HOST}/a/{id}.html");
                let dom = records
                    .iter()
                    .find(|r| record_type(r) == "conversion" && uri(r) == page)
                    .map(|r| String::from_utf8_lossy(&r.block).into_owned());
                let first = server.hits().first().map(|h| h.at);
                let asked: Vec<String> = server
                    .hits()
                    .iter()
                    .filter(|h| h.path.contains(&format!("/{id}")))
                    .map(|h| format!("{} at {:?}", h.path, first.map(|f| h.at - f)))
                    .collect();
                panic!(
                    "{url} not archived; the page's requests: {asked:?}; the rendered page: {dom:?}"
                )
            });
            let block = record.payload().expect("payload");
            assert!(block.ends_with(PNG), "{url}: raw PNG bytes");
        }
    }

    // Each requisite's metadata record names its page (`via`), referring to its response.
    let record_ids: HashSet<&str> = records
        .iter()
        .filter_map(|r| r.header("WARC-Record-ID"))
        .collect();
    for id in 1..=ARTICLES {
        let page = format!("http://{HOST}/a/{id}.html");
        let url = format!("http://{HOST}/api/article/{id}.json");
        let described = records
            .iter()
            .find(|r| requisite_page(r) == Some(page.as_str()) && uri(r) == url)
            .unwrap_or_else(|| panic!("no metadata record naming {page} for {url}"));
        let refers = described.header("WARC-Refers-To").expect("WARC-Refers-To");
        assert!(record_ids.contains(refers), "{url}: refers to {refers}");
        let fields = String::from_utf8_lossy(&described.block);
        assert!(fields.contains("hopsFromSeed: L"), "{fields}");
        assert!(fields.trim_end().ends_with('E'), "{fields}");
    }

    // One conversion record per rendered page, referring to the page's response.
    let conversions: Vec<&Record> = records
        .iter()
        .filter(|r| record_type(r) == "conversion")
        .collect();
    let converted: HashSet<&str> = conversions.iter().map(|r| uri(r)).collect();
    for id in 1..=ARTICLES {
        assert!(converted.contains(format!("http://{HOST}/a/{id}.html").as_str()));
    }
    for r in &conversions {
        let page = responses.get(uri(r)).expect("the page's response");
        assert_eq!(r.header("WARC-Refers-To"), page.header("WARC-Record-ID"));
        assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    }
    let home = format!("http://{HOST}/");
    let static_page = format!("http://{HOST}/static/1.html");
    assert!(!converted.contains(home.as_str()), "home not rendered");
    assert!(
        !converted.contains(static_page.as_str()),
        "static not rendered"
    );

    // The page that never goes idle: captured at the time limit, as it was.
    let live = conversions
        .iter()
        .find(|r| uri(r) == format!("http://{HOST}/live.html"))
        .expect("the live page rendered");
    let dom = String::from_utf8_lossy(&live.payload().expect("payload")).into_owned();
    assert!(dom.contains("<h1>Page en direct</h1>"), "{dom}");
    let ticks = server
        .paths(HOST)
        .iter()
        .filter(|p| p.starts_with("/api/tick.json"))
        .count();
    assert!(ticks >= 3, "the live page kept polling: {ticks}");
    assert_eq!(summary.rendered, u64::from(ARTICLES) + 1, "{summary:?}");

    // Politeness: robots.txt obeyed by the pages' own calls, the rate kept for all.
    let hits = server.hits();
    assert!(
        !hits.iter().any(|h| h.path.starts_with("/api/secret/")),
        "robots.txt disallows /api/secret/"
    );
    let mut times: Vec<_> = hits
        .iter()
        .filter(|h| h.path != "/robots.txt")
        .map(|h| h.at)
        .collect();
    times.sort();
    // As scripts/check_rate.py reads nginx's log: no one-second window holds more requests
    // than the rate allows (plus the burst of one).
    let allowed = RATE as usize + 1;
    for (i, first) in times.iter().enumerate() {
        let within = times[i..]
            .iter()
            .take_while(|t| **t - *first < Duration::from_secs(1))
            .count();
        assert!(
            within <= allowed,
            "{within} requests within a second (rate {RATE}/s)"
        );
    }
    assert!(times.len() > 300, "{} requests", times.len());
}

/// A gate for the browser test below: glaneur's fetcher with private networks refused.
struct GuardedFetcher {
    fetcher: Fetcher,
}

impl Requisites for GuardedFetcher {
    fn fetch(
        &self,
        url: url::Url,
    ) -> Pin<Box<dyn Future<Output = Result<Capture, String>> + Send + '_>> {
        Box::pin(async move {
            let request = FetchRequest {
                url,
                headers: Vec::new(),
                max_body_bytes: 1 << 20,
                timeout: Duration::from_secs(5),
                read_timeout: Duration::from_secs(5),
            };
            self.fetcher
                .fetch(&request)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// A script's requests to a private address are refused by the SSRF guard (the page,
/// given as already fetched, is on that address: same origin, so nothing but the guard
/// stands in the way), and the browser cannot reach it on its own: the server sees nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_cannot_reach_a_private_address() {
    let mut secret = Pages::new();
    secret.insert("/secret".into(), Page::text(200, "secret"));
    let server = TestServer::start(HashMap::from([("127.0.0.1".to_string(), secret)])).await;
    let html = String::from(
        r#"<!DOCTYPE html><html><body><p id="out">waiting</p><script>
fetch('/secret').then(r => r.text()).then(t => { document.getElementById('out').textContent = 'got ' + t; })
  .catch(() => { document.getElementById('out').textContent = 'blocked'; });
</script><img src="http://10.255.255.1/pixel.png"></body></html>"#,
    );
    let fetcher = Fetcher::new(FetcherConfig {
        user_agent: "glaneur-test/0.1".into(),
        allow_private_networks: false,
        resolve: Vec::new(),
        connect_timeout: Duration::from_secs(2),
    })
    .expect("fetcher");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        "text/html; charset=utf-8".parse().expect("header"),
    );
    let page = Capture {
        url: url::Url::parse(&format!("http://127.0.0.1:{}/page", server.addr.port()))
            .expect("url"),
        started: chrono::Utc::now(),
        ip: None,
        request: Vec::new(),
        status: 200,
        response_head: b"HTTP/1.1 200 OK\r\n\r\n".to_vec(),
        headers,
        body: html.into_bytes().into(),
        truncated: None,
        elapsed: Duration::ZERO,
    };
    let browser = Browser::launch(&RenderSettings {
        page_timeout: Duration::from_secs(10),
        ..RenderSettings::default()
    })
    .await
    .expect("Chromium starts (install Debian's chromium package)");
    let rendered = browser
        .render(&page, Arc::new(GuardedFetcher { fetcher }))
        .await
        .expect("rendered");
    browser.close().await;
    assert!(
        rendered.dom.contains("<p id=\"out\">blocked</p>"),
        "{}",
        rendered.dom
    );
    assert!(rendered.refused >= 1, "{rendered:?}");
    assert!(server.hits().is_empty(), "the private server was reached");
}

/// A small site of `n` articles built by script (the same shell, script and JSON as
/// [`js_site`], related blocks within the site): a home page linking to every article;
/// app.js with an `ETag`, the images with a `Last-Modified`, the JSON with no validator
/// (validators or not, requisites are asked for without conditions).
fn small_js_site(n: u32) -> Pages {
    let mut pages = Pages::new();
    let links: String = (1..=n)
        .map(|id| format!("<li><a href=\"/a/{id}.html\">Article {id}</a></li>"))
        .collect();
    pages.insert(
        "/".into(),
        Page::html(format!(
            "<!DOCTYPE html><html><head><title>JS Info</title></head><body><ul>{links}</ul></body></html>"
        )),
    );
    pages.insert(
        "/robots.txt".into(),
        Page::text(200, "User-agent: *\nDisallow: /api/secret/\n"),
    );
    pages.insert(
        "/app.js".into(),
        Page::text(200, APP_JS)
            .with_header("content-type", "text/javascript")
            .with_header("etag", "\"app-v1\""),
    );
    for id in 1..=n {
        pages.insert(format!("/a/{id}.html"), Page::html(shell(id)));
        pages.insert(format!("/api/article/{id}.json"), json(article_json(id)));
        pages.insert(
            format!("/api/related/{id}.json"),
            json(format!("[{}]", id % n + 1)),
        );
        for k in 0..3 {
            let mut image = Page::text(200, "");
            image.body = PNG.to_vec();
            image.headers = vec![
                ("content-type".into(), "image/png".into()),
                (
                    "last-modified".into(),
                    "Mon, 05 Oct 2026 08:00:00 GMT".into(),
                ),
            ];
            pages.insert(format!("/img/{id}-{k}.png"), image);
        }
    }
    pages
}

/// Crawl settings for the small site: its articles rendered (`tabs`, `queue`), `rate`
/// requests per second and two in flight for the host.
fn small_site_settings(
    dir: &std::path::Path,
    server: &TestServer,
    rate: f64,
    tabs: usize,
    queue: usize,
) -> glaneur::crawl::CrawlSettings {
    let start = format!("http://{HOST}/");
    let mut settings = settings(dir, server, &[HOST], &[&start]);
    settings.policy.default.requests_per_second = rate;
    settings.policy.default.burst = 1;
    settings.policy.default.max_concurrent = 2;
    settings.render = RenderSettings {
        mode: Some(RenderMode::parse(r"/a/\d+\.html$").expect("regex")),
        tabs,
        queue,
        page_timeout: Duration::from_secs(8),
        chromium: None,
    };
    settings
}

/// The requisite URLs of article `id` of the small site.
fn requisites_of(id: u32) -> Vec<String> {
    let mut paths = vec![
        format!("/api/article/{id}.json"),
        format!("/api/related/{id}.json"),
    ];
    paths.extend((0..3).map(|k| format!("/img/{id}-{k}.png")));
    paths
        .into_iter()
        .map(|p| format!("http://{HOST}{p}"))
        .collect()
}

/// A second crawl of the same site: the requisites fetched through the browser's gate
/// are archived as revisits of their last capture (identical payload digest), never as a
/// second full response — and within a run, the script every page loads too. They are
/// asked without conditions (a `server-not-modified` revisit would replay in pywb as an
/// empty 304), so the browser gets them whole and renders the article again.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recrawl_archives_unchanged_requisites_as_revisits() {
    const N: u32 = 4;
    let server = TestServer::start(HashMap::from([(HOST.to_string(), small_js_site(N))])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = small_site_settings(dir.path(), &server, 100.0, 2, 8);
    let first = crawl(settings.clone()).await;
    assert_eq!(first.rendered, u64::from(N), "{first:?}");
    // Within a run, only what every page loads is asked again, a revisit: app.js, and
    // the browser's own /favicon.ico (a 404, when the browser asks it more than once).
    let revisited: Vec<String> = all_records(&dir.path().join("archive"))
        .iter()
        .filter(|r| record_type(r) == "revisit")
        .map(|r| uri(r).to_string())
        .collect();
    assert!(
        revisited
            .iter()
            .all(|u| u.ends_with("/app.js") || u.ends_with("/favicon.ico")),
        "{revisited:?}"
    );
    assert_eq!(
        first.requisite_revisits,
        revisited.len() as u64,
        "{first:?}"
    );
    server.clear_hits();

    let second = crawl(settings).await;
    assert_eq!(second.rendered, u64::from(N), "{second:?}");
    let hits = server.hits();
    let app = hits
        .iter()
        .find(|h| h.path == "/app.js")
        .expect("app.js asked again");
    assert_eq!(
        app.if_none_match, None,
        "no conditional request for a requisite"
    );
    let image = hits
        .iter()
        .find(|h| h.path == "/img/1-0.png")
        .expect("image asked again");
    assert_eq!(image.if_modified_since, None);

    let records = all_records(&dir.path().join("archive"));
    let count = |kind: &str, url: &str| {
        records
            .iter()
            .filter(|r| record_type(r) == kind && uri(r) == url)
            .count()
    };
    let profile_of = |url: &str| {
        records
            .iter()
            .find(|r| record_type(r) == "revisit" && uri(r) == url)
            .and_then(|r| r.header("WARC-Profile"))
            .unwrap_or("")
            .to_string()
    };
    let app_url = format!("http://{HOST}/app.js");
    let app_full = count("response", &app_url);
    assert!(
        (1..=2).contains(&app_full),
        "app.js: {app_full} full responses"
    );
    assert_eq!(count("revisit", &app_url), 2 * N as usize - app_full);
    assert!(profile_of(&app_url).ends_with("identical-payload-digest"));
    let mut urls = Vec::new();
    for id in 1..=N {
        urls.extend(requisites_of(id));
    }
    for url in &urls {
        assert_eq!(count("response", url), 1, "{url}: one full response");
        assert_eq!(count("revisit", url), 1, "{url}: one revisit");
        let profile = profile_of(url);
        assert!(
            profile.ends_with("identical-payload-digest"),
            "{url}: {profile}"
        );
    }
    // (The browser may ask for /favicon.ico too: a 404, unchanged, so a revisit as well.)
    assert!(
        second.requisite_revisits >= urls.len() as u64 + u64::from(N),
        "every requisite of the second run is a revisit: {second:?}"
    );
    assert_eq!(second.requisites, second.requisite_revisits, "{second:?}");
    // `glaneur get --requisites` lists the page's requisites: all revisits in run two.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args([
            "get",
            &format!("http://{HOST}/a/1.html"),
            "--requisites",
            "--archive",
        ])
        .arg(dir.path().join("archive"))
        .output()
        .expect("glaneur runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // (The browser's own /favicon.ico request is a requisite too.)
    let mut listed_urls: Vec<&str> = listed
        .iter()
        .filter_map(|r| r["url"].as_str())
        .filter(|u| !u.ends_with("/favicon.ico"))
        .collect();
    listed_urls.sort();
    let mut want: Vec<String> = requisites_of(1);
    want.push(app_url.clone());
    want.sort();
    assert_eq!(listed_urls, want, "{listed:?}");
    assert!(
        listed.iter().all(|r| r["record_type"] == "revisit"),
        "{listed:?}"
    );

    // The second rendering built the article again.
    for id in 1..=N {
        let page = format!("http://{HOST}/a/{id}.html");
        let doms: Vec<String> = records
            .iter()
            .filter(|r| record_type(r) == "conversion" && uri(r) == page)
            .map(|r| String::from_utf8_lossy(&r.block).into_owned())
            .collect();
        assert_eq!(doms.len(), 2, "{page}: rendered in both runs");
        assert!(
            doms.iter().all(|d| d.contains(&marker(id))),
            "{page}: {doms:?}"
        );
    }
}

/// A requisite answered 429 with `Retry-After: 2` pauses its host for every request —
/// the pages' own fetches and the other pages' requisites — and the rendering goes on
/// (no hang): the page is captured, the crawl ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_requisite_answered_429_slows_the_whole_host() {
    const N: u32 = 6;
    let mut site = small_js_site(N);
    site.insert(
        "/api/related/2.json".into(),
        Page::text(429, "slow down").with_header("retry-after", "2"),
    );
    let server = TestServer::start(HashMap::from([(HOST.to_string(), site)])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // One tab and no queue: the articles are fetched one after another, some after the
    // pause.
    let settings = small_site_settings(dir.path(), &server, 100.0, 1, 0);
    let started = std::time::Instant::now();
    let summary = tokio::time::timeout(Duration::from_secs(120), crawl(settings))
        .await
        .expect("the crawl ends (no rendering hangs)");
    assert_eq!(summary.rendered, u64::from(N), "{summary:?}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the host was paused"
    );
    let hits = server.hits();
    let refused = hits
        .iter()
        .find(|h| h.path == "/api/related/2.json")
        .expect("the 429 requisite asked")
        .at;
    let during: Vec<&str> = hits
        .iter()
        .filter(|h| {
            h.at > refused + Duration::from_millis(100)
                && h.at < refused + Duration::from_millis(1900)
        })
        .map(|h| h.path.as_str())
        .collect();
    assert!(
        during.is_empty(),
        "requests while the host was paused: {during:?}"
    );
    let after: Vec<&str> = hits
        .iter()
        .filter(|h| h.at >= refused + Duration::from_millis(1900))
        .map(|h| h.path.as_str())
        .collect();
    assert!(
        after.iter().any(|p| p.starts_with("/a/"))
            && after
                .iter()
                .any(|p| p.starts_with("/api/") || p.starts_with("/img/")),
        "pages and requisites after the pause: {after:?}"
    );
    let records = all_records(&dir.path().join("archive"));
    let page2 = format!("http://{HOST}/a/2.html");
    let dom = records
        .iter()
        .find(|r| record_type(r) == "conversion" && uri(r) == page2)
        .map(|r| String::from_utf8_lossy(&r.block).into_owned())
        .expect("article 2 captured");
    assert!(dom.contains(&marker(2)), "{dom}");
}

/// With every tab busy, the pages chosen for rendering stay within `tabs + queue` (plus
/// the pages being fetched when the places ran out: two in flight here): the host loop
/// waits instead of fetching every article and holding it for a tab.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_waiting_for_a_tab_are_bounded() {
    const N: u32 = 14;
    let server = TestServer::start(HashMap::from([(HOST.to_string(), small_js_site(N))])).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (tabs, queue, in_flight) = (1, 1, 2);
    let settings = small_site_settings(dir.path(), &server, 200.0, tabs, queue);
    let summary = crawl(settings).await;
    assert_eq!(summary.rendered, u64::from(N), "{summary:?}");
    let bound = (tabs + queue + in_flight) as u64;
    assert!(
        summary.render_backlog_peak <= bound,
        "{} pages chosen for rendering at once (bound {bound})",
        summary.render_backlog_peak
    );
    assert!(summary.render_backlog_peak >= 2, "{summary:?}");
    // Seen from the server: article shells fetched ahead of the articles' own calls.
    let hits = server.hits();
    let mut ahead = 0i64;
    let mut most_ahead = 0i64;
    for h in &hits {
        if h.path.starts_with("/a/") {
            ahead += 1;
        } else if h.path.starts_with("/api/related/") {
            ahead -= 1; // the page's last call: its rendering is nearly done
        }
        most_ahead = most_ahead.max(ahead);
    }
    // (Those chosen, plus those being fetched: never all fourteen.)
    assert!(
        most_ahead <= (bound + in_flight as u64) as i64,
        "{most_ahead} article pages fetched ahead of their rendering"
    );
}
