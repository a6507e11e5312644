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
        page_timeout: Duration::from_secs(4),
        chromium: None,
    };
    let summary = crawl(settings).await;
    let archive = dir.path().join("archive");
    let records = all_records(&archive);

    // Every article read from its rendered DOM: title, body, date; the record says so.
    let mut articles: HashMap<String, serde_json::Value> = HashMap::new();
    for r in records.iter().filter(|r| record_type(r) == "metadata") {
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
                panic!("{url} not archived; the rendered page: {dom:?}")
            });
            let block = record.payload().expect("payload");
            assert!(block.ends_with(PNG), "{url}: raw PNG bytes");
        }
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
