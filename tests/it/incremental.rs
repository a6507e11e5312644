//! Incremental re-crawls against the in-process news site: conditional requests, revisit
//! records of both profiles, changed, new and deleted pages, recheck scheduling, the lock.

use crate::support;

use std::collections::HashMap;
use std::time::Duration;

use glaneur::crawl::{CrawlError, StateLock};
use glaneur::frontier::SqliteFrontier;
use glaneur::warc::Record;
use support::{Page, Pages, TestServer, all_records, article_html, crawl, news_site, settings};

const HOST: &str = "news.test";

fn article_path(i: u32) -> String {
    format!("/2024/05/article-numero-{i:04}/")
}

fn article_url(i: u32) -> String {
    format!("http://{HOST}{}", article_path(i))
}

fn one_site(pages: Pages) -> HashMap<String, Pages> {
    HashMap::from([(HOST.to_string(), pages)])
}

/// Records of `kind` whose target is `uri`.
fn records_for<'a>(records: &'a [Record], kind: &str, uri: &str) -> Vec<&'a Record> {
    records
        .iter()
        .filter(|r| r.header("WARC-Type") == Some(kind) && r.header("WARC-Target-URI") == Some(uri))
        .collect()
}

/// A news site of `n` articles where article 1 has an ETag, article 2 a Last-Modified,
/// and the others no validator.
fn site_with_validators(n: u32) -> Pages {
    let mut pages = news_site(n);
    if let Some(p) = pages.get_mut(&article_path(1)) {
        p.headers.push(("etag".into(), "\"v1-article-1\"".into()));
    }
    if let Some(p) = pages.get_mut(&article_path(2)) {
        p.headers.push((
            "last-modified".into(),
            "Wed, 01 May 2024 07:15:00 GMT".into(),
        ));
    }
    pages
}

#[tokio::test]
async fn second_run_records_unchanged_pages_as_revisits_and_changes_in_full() {
    let server = TestServer::start(one_site(site_with_validators(5))).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path(), &server, &[HOST], &[&format!("http://{HOST}/")]);
    let archive = settings.archive_dir.clone();

    let first = crawl(settings.clone()).await;
    assert_eq!(first.new, first.pages, "{first:?}");
    assert_eq!(
        (first.changed, first.unchanged, first.not_modified),
        (0, 0, 0)
    );
    assert_eq!(first.articles, 5);
    let first_bytes = first.bytes_written;

    // Between runs: article 3 changes, article 4 is deleted, article 6 is new and linked
    // from the home page.
    server.set_page(
        HOST,
        &article_path(3),
        Page::html(article_html(3, "Titre corrigé de l'article 3", &[4, 5])),
    );
    server.remove_page(HOST, &article_path(4));
    server.set_page(
        HOST,
        &article_path(6),
        Page::html(article_html(6, "Titre de l'article 6", &[])),
    );
    let mut home = server.page(HOST, "/").unwrap();
    let text = String::from_utf8(home.body.clone()).unwrap().replace(
        "</body>",
        &format!("<a href=\"{}\">Article 6</a></body>", article_path(6)),
    );
    home.body = text.into_bytes();
    server.set_page(HOST, "/", home);
    server.clear_hits();

    let second = crawl(settings.clone()).await;
    // Conditional requests were sent where the last capture had validators.
    let hits = server.hits();
    let a1 = hits.iter().find(|h| h.path == article_path(1)).unwrap();
    assert_eq!(a1.if_none_match.as_deref(), Some("\"v1-article-1\""));
    let a2 = hits.iter().find(|h| h.path == article_path(2)).unwrap();
    assert_eq!(
        a2.if_modified_since.as_deref(),
        Some("Wed, 01 May 2024 07:15:00 GMT")
    );
    let a5 = hits.iter().find(|h| h.path == article_path(5)).unwrap();
    assert_eq!(
        (a5.if_none_match.as_ref(), a5.if_modified_since.as_ref()),
        (None, None)
    );

    // 1 and 2: 304; 5, home's siblings (category) unchanged: identical digest;
    // 3 changed, 4 now 404 (changed), home changed; 6 new.
    assert_eq!(second.not_modified, 2, "{second:?}");
    assert_eq!(second.new, 1, "{second:?}");
    assert_eq!(second.changed, 3, "{second:?}");
    assert_eq!(second.unchanged, 2, "{second:?}");
    assert_eq!(
        second.articles, 2,
        "only the changed and the new article: {second:?}"
    );
    assert!(second.rechecked >= 7, "{second:?}");
    assert_ne!(second.run_id, first.run_id);
    assert!(
        second.bytes_written < first_bytes,
        "{} >= {first_bytes}",
        second.bytes_written
    );

    let records = all_records(&archive);
    for r in &records {
        r.verify_digests().unwrap();
    }
    let a1_full = records_for(&records, "response", &article_url(1));
    assert_eq!(a1_full.len(), 1);
    let a1_rev = records_for(&records, "revisit", &article_url(1));
    assert_eq!(a1_rev.len(), 1);
    let rev = a1_rev[0];
    assert_eq!(
        rev.header("WARC-Profile"),
        Some("http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    );
    assert_eq!(
        rev.header("WARC-Refers-To"),
        a1_full[0].header("WARC-Record-ID")
    );
    assert_eq!(
        rev.header("WARC-Refers-To-Target-URI"),
        Some(article_url(1).as_str())
    );
    assert_eq!(
        rev.header("WARC-Refers-To-Date"),
        a1_full[0].header("WARC-Date")
    );
    assert_eq!(
        rev.header("WARC-Payload-Digest"),
        a1_full[0].header("WARC-Payload-Digest")
    );
    // The revisit's block is the HTTP head only.
    assert!(
        rev.block.starts_with(b"HTTP/1.1 304"),
        "{:?}",
        String::from_utf8_lossy(&rev.block)
    );
    assert!(rev.block.ends_with(b"\r\n\r\n"));

    let a5_rev = records_for(&records, "revisit", &article_url(5));
    assert_eq!(a5_rev.len(), 1);
    assert_eq!(
        a5_rev[0].header("WARC-Profile"),
        Some("http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
    );
    let a5_full = records_for(&records, "response", &article_url(5));
    assert_eq!(a5_full.len(), 1);
    assert_eq!(
        a5_rev[0].header("WARC-Payload-Digest"),
        a5_full[0].header("WARC-Payload-Digest")
    );
    assert!(a5_rev[0].block.starts_with(b"HTTP/1.1 200"));

    // The changed article: two full responses and two metadata records, the new title.
    assert_eq!(records_for(&records, "response", &article_url(3)).len(), 2);
    let meta3 = records_for(&records, "metadata", &article_url(3));
    assert_eq!(meta3.len(), 2);
    assert!(
        meta3
            .iter()
            .any(|m| String::from_utf8_lossy(&m.block).contains("Titre corrigé"))
    );
    // The deleted one: a 404 response.
    let a4 = records_for(&records, "response", &article_url(4));
    assert_eq!(a4.len(), 2);
    assert!(a4.iter().any(|r| r.block.starts_with(b"HTTP/1.1 404")));
    // The new one.
    assert_eq!(records_for(&records, "response", &article_url(6)).len(), 1);
    assert_eq!(records_for(&records, "metadata", &article_url(6)).len(), 1);

    // A third run with no change writes no full response for any article.
    let before = records.len();
    let third = crawl(settings).await;
    assert_eq!((third.new, third.changed), (0, 0), "{third:?}");
    let records = all_records(&archive);
    let new_responses = records[before..]
        .iter()
        .filter(|r| r.header("WARC-Type") == Some("response"))
        .filter(|r| {
            r.header("WARC-Target-URI")
                .is_some_and(|u| u.contains("/article-numero-"))
        })
        .count();
    assert_eq!(new_responses, 0);
    for r in &records {
        r.verify_digests().unwrap();
    }
}

#[tokio::test]
async fn articles_are_rechecked_on_the_profile_schedule() {
    let server = TestServer::start(one_site(news_site(4))).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path(), &server, &[HOST], &[&format!("http://{HOST}/")]);
    // Nothing counts as fresh; articles are rechecked after a week.
    for site in &mut settings.sites {
        site.fresh_articles = Duration::ZERO;
        site.recheck_articles = Duration::from_secs(7 * 86400);
    }
    let first = crawl(settings.clone()).await;
    assert_eq!(first.articles, 4);
    server.clear_hits();

    let second = crawl(settings.clone()).await;
    let paths = server.paths(HOST);
    // Start and listing pages are fetched again; articles are not due.
    assert!(paths.contains(&"/".to_string()), "{paths:?}");
    assert!(paths.contains(&"/category/cloud/".to_string()), "{paths:?}");
    assert!(
        !paths.iter().any(|p| p.contains("/article-numero-")),
        "{paths:?}"
    );
    assert_eq!(second.articles, 0);

    // With a zero recheck period every article is due again.
    for site in &mut settings.sites {
        site.recheck_articles = Duration::ZERO;
    }
    server.clear_hits();
    let third = crawl(settings).await;
    let paths = server.paths(HOST);
    for i in 1..=4 {
        assert!(paths.contains(&article_path(i)), "{i}: {paths:?}");
    }
    assert_eq!(
        third.unchanged + third.not_modified,
        third.pages,
        "{third:?}"
    );
}

#[tokio::test]
async fn a_run_on_a_locked_state_is_refused_and_the_lock_is_released_after() {
    let server = TestServer::start(one_site(news_site(1))).await;
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(dir.path(), &server, &[HOST], &[&format!("http://{HOST}/")]);
    std::fs::create_dir_all(&settings.archive_dir).unwrap();
    let lock = StateLock::acquire(&settings.state_path).unwrap();
    let refused = glaneur::crawl::run(settings.clone(), Default::default()).await;
    match refused {
        Err(CrawlError::Locked(e)) => {
            let message = e.to_string();
            assert!(
                message.contains(&format!("pid {}", std::process::id())),
                "{message}"
            );
        }
        other => panic!("expected a lock error, got {other:?}"),
    }
    assert!(server.hits().is_empty(), "a refused run fetched something");
    drop(lock);
    let summary = crawl(settings.clone()).await;
    assert_eq!(summary.articles, 1);
    // The frontier knows the capture.
    let frontier = SqliteFrontier::open(&settings.state_path).unwrap();
    let state = frontier
        .capture_of(&url::Url::parse(&article_url(1)).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(state.status, 200);
    assert!(state.payload_digest.starts_with("sha1:"));
    assert!(state.record.id.starts_with("<urn:uuid:"));
}

/// A gzip member of `data`.
fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn sitemap(entries: &[(u32, &str)]) -> Page {
    let urls: String = entries
        .iter()
        .map(|(i, lastmod)| {
            format!(
                "<url><loc>{}</loc><lastmod>{lastmod}</lastmod></url>",
                article_url(*i)
            )
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">{urls}</urlset>"
    );
    Page {
        status: 200,
        headers: vec![("content-type".into(), "application/gzip".into())],
        body: gzip(xml.as_bytes()),
        delay: Duration::ZERO,
    }
}

fn rss(items: &[u32]) -> Page {
    let items: String = items
        .iter()
        .map(|i| {
            format!(
                "<item><title>{i}</title><link>{}</link></item>",
                article_url(*i)
            )
        })
        .collect();
    Page::html(format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
         <link>http://{HOST}/</link>{items}</channel></rss>"
    ))
    .with_header("content-type", "application/rss+xml")
}

fn atom(entries: &[u32]) -> Page {
    let entries: String = entries
        .iter()
        .map(|i| {
            format!(
                "<entry><link rel=\"alternate\" href=\"{}\"/></entry>",
                article_url(*i)
            )
        })
        .collect();
    Page::html(format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title>{entries}</feed>"
    ))
}

#[tokio::test]
async fn feeds_and_sitemaps_discover_new_and_changed_articles() {
    // Articles 1-2 are linked from the home page (chain of related blocks up to 2 only);
    // 3-4 only in the gzipped sitemap (via robots.txt and a sitemap index), 5 only in the
    // RSS feed announced by the home page, 6 only in the Atom feed of the profile.
    let mut pages = news_site(2);
    for i in 3..=6 {
        pages.insert(
            article_path(i),
            Page::html(article_html(i, &format!("Titre de l'article {i}"), &[])),
        );
    }
    pages.insert(
        "/robots.txt".into(),
        Page::text(
            200,
            format!(
                "User-agent: *\nDisallow: /private/\nSitemap: http://{HOST}/sitemap_index.xml\n"
            ),
        ),
    );
    pages.insert(
        "/sitemap_index.xml".into(),
        Page::html(format!(
            "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\
             <sitemap><loc>http://{HOST}/sitemap-1.xml.gz</loc></sitemap></sitemapindex>"
        ))
        .with_header("content-type", "application/xml"),
    );
    pages.insert(
        "/sitemap-1.xml.gz".into(),
        sitemap(&[(3, "2024-05-01"), (4, "2024-05-01")]),
    );
    pages.insert("/feed/".into(), rss(&[5]));
    pages.insert("/atom.xml".into(), atom(&[6]));
    let home = pages.get_mut("/").unwrap();
    let body = String::from_utf8(home.body.clone()).unwrap().replace(
        "<html>",
        "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed/\"></head>",
    );
    home.body = body.into_bytes();

    let server = TestServer::start(one_site(pages)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path(), &server, &[HOST], &[&format!("http://{HOST}/")]);
    for site in &mut settings.sites {
        site.feeds = vec![url::Url::parse(&format!("http://{HOST}/atom.xml")).unwrap()];
        site.fresh_articles = Duration::ZERO;
        site.recheck_articles = Duration::from_secs(7 * 86400);
    }
    let first = crawl(settings.clone()).await;
    assert_eq!(first.articles, 6, "{first:?}");
    let uris = support::response_uris(&settings.archive_dir);
    for i in 1..=6 {
        assert!(uris.contains(&article_url(i)), "{i}: {uris:?}");
    }

    // Article 3 changes (its lastmod moves on), 7 appears in the RSS feed only.
    server.set_page(
        HOST,
        &article_path(3),
        Page::html(article_html(3, "Titre mis à jour 3", &[])),
    );
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    server.set_page(
        HOST,
        "/sitemap-1.xml.gz",
        sitemap(&[(3, &tomorrow), (4, "2024-05-01")]),
    );
    server.set_page(
        HOST,
        &article_path(7),
        Page::html(article_html(7, "Titre de l'article 7", &[])),
    );
    server.set_page(HOST, "/feed/", rss(&[5, 7]));
    server.clear_hits();

    let second = crawl(settings).await;
    let paths = server.paths(HOST);
    for listing in [
        "/",
        "/feed/",
        "/atom.xml",
        "/sitemap_index.xml",
        "/sitemap-1.xml.gz",
    ] {
        assert!(paths.contains(&listing.to_string()), "{listing}: {paths:?}");
    }
    let mut articles: Vec<&String> = paths
        .iter()
        .filter(|p| p.contains("/article-numero-"))
        .collect();
    articles.sort();
    assert_eq!(
        articles,
        vec![&article_path(3), &article_path(7)],
        "{paths:?}"
    );
    assert_eq!((second.new, second.articles), (1, 2), "{second:?}");
}
