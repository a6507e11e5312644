//! End-to-end tests of `glaneur::extract::analyze` on whole pages: a WordPress-like
//! French article (profile and generic paths), an undeclared Latin-1 page, a legacy page
//! with a French date only, relative dates in sidebars, non-HTML bodies, deep nesting,
//! and every article of the embedded demo site against its ground truth.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use glaneur::config::SelectorConfig;
use glaneur::extract::{LinkSource, PageInput, ProfileSelectors, analyze};
use url::Url;

fn fetched() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn profile() -> ProfileSelectors {
    ProfileSelectors::compile(&SelectorConfig {
        title: Some("h1.entry-title".into()),
        body: Some("div.entry-content".into()),
        category: Some("div.cat-links a[rel=\"category tag\"]".into()),
        published: Some("time.entry-date.published".into()),
        modified: Some("time.updated".into()),
        author: None,
        related: None,
    })
    .expect("valid selectors")
}

const PARA: &str = "Le fournisseur de services cloud annonce une nouvelle offre, destinée aux entreprises qui veulent garder leurs données en France, avec un contrat de niveau de service renforcé.";

fn wordpress_page(datetime: bool, meta: bool) -> String {
    let pubtime = if datetime {
        r#"<time class="entry-date published" datetime="2016-11-28T09:15:00+01:00">28 novembre 2016</time>"#
    } else {
        r#"<time class="entry-date published">28 novembre 2016</time>"#
    };
    let updtime = if datetime {
        r#"<time class="updated" datetime="2016-11-29T10:00:00+01:00">29 novembre 2016</time>"#
    } else {
        r#"<time class="updated">29 novembre 2016</time>"#
    };
    let og = if meta {
        r#"<meta property="og:type" content="article"><meta property="article:published_time" content="2016-11-28T09:15:00+01:00"><meta property="article:section" content="Cloud">"#
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html><html lang="fr-FR"><head><meta charset="utf-8"><title>Cloud souverain : l’offre arrive - Silicon Lab</title>{og}
<link rel="stylesheet" href="/wp-content/style.css"><script src="/wp-includes/app.js"></script><script>var x = "<div>";</script></head>
<body><header id="masthead"><nav class="main-navigation"><a href="/">Accueil</a> <a href="/category/cloud/">Cloud</a> <a href="/wp-admin/">Connexion</a></nav></header>
<div class="breadcrumbs"><a href="/">Accueil</a> » <a href="/category/cloud/">Cloud</a></div>
<div id="primary"><article class="post hentry"><header class="entry-header"><h1 class="entry-title">Cloud souverain&nbsp;: l’offre arrive</h1>
<div class="entry-meta">Par <a rel="author" href="/author/ana/">Ana Martin</a> {pubtime} {updtime}</div></header>
<div class="entry-content"><p>{PARA}</p><p>{PARA} Deuxième paragraphe.</p>
<div class="lire-aussi"><strong>À lire aussi :</strong><ul><li><a href="/2016/10/autre-article-0042/">Autre</a></li><li><a href="/2016/09/encore-0041/#comments">Encore</a></li></ul></div>
<p>{PARA} Troisième, avec <a href="/2015/01/lien-0001/">un lien</a>.</p>
<div class="sharedaddy"><a href="https://share.invalid/x">Partager</a> <a href="javascript:void(0)">Imprimer</a> <a href="mailto:a@b.fr">Mail</a></div></div>
<footer class="entry-footer"><div class="cat-links">Categories: <a href="/category/cloud/" rel="category tag">Cloud</a>, <a href="/category/business/" rel="category tag">Business</a></div></footer>
</article><div id="comments" class="comments-area"><p>Un commentaire très long qui ne fait pas partie de l’article, publié par un lecteur, avec des virgules, et encore des mots pour être long.</p><time datetime="2017-01-01T10:00:00+01:00">1 janvier 2017</time></div></div>
<aside id="secondary" class="widget-area"><section class="widget"><h2>Recent Posts</h2><ul><li><a href="/2016/12/x-0050/">Un autre</a> <span>il y a 2 heures</span></li><li><a href="/2016/12/y-0051/">Encore un</a> <span>3 jours ago</span></li></ul></section></aside>
<footer id="colophon"><a href="/mentions-legales/">Mentions légales</a> <img src="/logo.png"></footer></body></html>"#
    )
}

fn url() -> Url {
    Url::parse("http://127.0.0.1:18080/2016/11/cloud-souverain-0731/").expect("valid URL")
}

#[test]
fn wordpress_article_with_profile() {
    let page = wordpress_page(true, false);
    let u = url();
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let sel = profile();
    let a = analyze(&input, Some(&sel), true).article.expect("article");
    assert_eq!(
        a.title.as_deref(),
        Some("Cloud souverain\u{a0}: l’offre arrive")
    );
    assert_eq!(a.published.as_deref(), Some("2016-11-28T09:15:00+01:00"));
    assert_eq!(a.modified.as_deref(), Some("2016-11-29T10:00:00+01:00"));
    assert_eq!(a.categories, vec!["Cloud", "Business"]);
    assert_eq!(a.methods["title"], "selector");
    assert_eq!(a.methods["published"], "selector");
    let body = a.body.expect("body");
    assert_eq!(body.matches("Le fournisseur").count(), 3, "{body}");
    assert!(!body.contains("lire aussi"), "{body}");
    assert!(!body.contains("Partager"), "{body}");
    assert!(!body.contains("commentaire"), "{body}");
    assert!(body.contains("\n\n"));
    assert_eq!(a.language.as_deref(), Some("fr-FR"));
    assert_eq!(
        a.related,
        vec![
            "http://127.0.0.1:18080/2016/10/autre-article-0042/",
            "http://127.0.0.1:18080/2016/09/encore-0041/"
        ]
    );
    assert_eq!(a.authors, vec!["Ana Martin"]);
}

#[test]
fn wordpress_article_generic() {
    let page = wordpress_page(true, false);
    let u = url();
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html; charset=utf-8"),
        fetched_at: fetched(),
    };
    let a = analyze(&input, None, true).article.expect("article");
    assert_eq!(
        a.title.as_deref(),
        Some("Cloud souverain\u{a0}: l’offre arrive")
    );
    assert_eq!(a.published.as_deref(), Some("2016-11-28T09:15:00+01:00"));
    assert_eq!(a.methods["published"], "time");
    assert_eq!(a.modified.as_deref(), Some("2016-11-29T10:00:00+01:00"));
    assert_eq!(a.categories.first().map(String::as_str), Some("Cloud"));
    let body = a.body.expect("body");
    assert_eq!(body.matches("Le fournisseur").count(), 3, "{body}");
    assert!(!body.contains("Autre"), "{body}");
    assert!(!body.contains("Recent Posts"), "{body}");
    assert!(!body.contains("commentaire"), "{body}");
}

#[test]
fn links_are_classified_and_filtered() {
    let page = wordpress_page(true, true);
    let u = url();
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let r = analyze(&input, None, false);
    // og:type=article: the page declares itself an article.
    assert!(r.article.is_some());
    let by_url: HashMap<String, (bool, LinkSource)> = r
        .links
        .iter()
        .map(|l| (l.url.to_string(), (l.related, l.source)))
        .collect();
    assert_eq!(by_url.len(), r.links.len(), "deduplicated");
    let base = "http://127.0.0.1:18080";
    assert_eq!(
        by_url[&format!("{base}/2016/10/autre-article-0042/")],
        (true, LinkSource::Anchor)
    );
    assert_eq!(
        by_url[&format!("{base}/2016/09/encore-0041/")],
        (true, LinkSource::Anchor)
    );
    assert_eq!(
        by_url[&format!("{base}/2015/01/lien-0001/")],
        (false, LinkSource::Anchor)
    );
    assert_eq!(
        by_url[&format!("{base}/wp-content/style.css")],
        (false, LinkSource::Asset)
    );
    assert_eq!(
        by_url[&format!("{base}/wp-includes/app.js")],
        (false, LinkSource::Asset)
    );
    assert_eq!(
        by_url[&format!("{base}/logo.png")],
        (false, LinkSource::Asset)
    );
    assert!(by_url.contains_key("https://share.invalid/x"));
    assert!(
        r.links
            .iter()
            .all(|l| matches!(l.url.scheme(), "http" | "https"))
    );
    assert!(r.links.iter().all(|l| l.url.fragment().is_none()));
    assert_eq!(r.links.iter().filter(|l| l.related).count(), 2);
}

#[test]
fn legacy_page_french_date_and_no_relative_dates_from_sidebar() {
    let page = wordpress_page(false, false);
    // A URL without a date, so only the visible French date can give the day.
    let u = Url::parse("http://127.0.0.1:18080/article/cloud-souverain/").expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let a = analyze(&input, None, true).article.expect("article");
    assert_eq!(a.published.as_deref(), Some("2016-11-28"));
    assert_eq!(a.modified.as_deref(), Some("2016-11-29"));
    // Without any date but the sidebar's relative ones, no date at all.
    let stripped = page
        .replace(
            r#"<time class="entry-date published">28 novembre 2016</time>"#,
            "",
        )
        .replace(r#"<time class="updated">29 novembre 2016</time>"#, "")
        .replace(
            r#"<time datetime="2017-01-01T10:00:00+01:00">1 janvier 2017</time>"#,
            "",
        );
    let input = PageInput {
        url: &u,
        body: stripped.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let a = analyze(&input, None, true).article.expect("article");
    assert_eq!(a.published, None, "{:?}", a.methods);
}

#[test]
fn relative_date_in_byline_is_flagged() {
    let page = format!(
        r#"<html><body><article><h1>Titre de l’article du jour</h1><div class="byline"><span class="date">il y a 3 jours</span></div><p>{PARA}</p><p>{PARA}</p></article></body></html>"#
    );
    let u = Url::parse("http://news.test/article").expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: None,
        fetched_at: fetched(),
    };
    let a = analyze(&input, None, true).article.expect("article");
    assert_eq!(a.published.as_deref(), Some("2024-03-07"));
    assert_eq!(a.methods["published"], "relative");
}

#[test]
fn latin1_page_without_charset_header() {
    let html = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\"><title>Sécurité : l&#8217;été</title></head><body><h1 class=\"entry-title\">Sécurité : l&#8217;été chaud</h1><div class=\"entry-content\"><p>Données protégées à Paris, été 2016, coût 5 €.</p></div></body></html>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(html);
    let u = url();
    let input = PageInput {
        url: &u,
        body: &bytes,
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let sel = profile();
    let a = analyze(&input, Some(&sel), true).article.expect("article");
    assert_eq!(a.title.as_deref(), Some("Sécurité : l’été chaud"));
    assert_eq!(
        a.body.as_deref(),
        Some("Données protégées à Paris, été 2016, coût 5 €.")
    );
}

#[test]
fn json_ld_graph_article() {
    let page = format!(
        r#"<html><head><title>Storm hits the coast | CNN</title><meta property="og:site_name" content="CNN">
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[{{"@type":"WebSite","name":"CNN"}},{{"@type":"NewsArticle","headline":"Storm hits the coast","datePublished":"2023-12-17T10:00:00-05:00","dateModified":"2023-12-18T08:00:00-05:00","articleSection":"Weather","author":{{"@type":"Person","name":"Jo Doe"}},"inLanguage":"en"}}]}}</script></head>
<body><div class="story"><p>{PARA}</p><p>{PARA}</p></div></body></html>"#
    );
    let u = Url::parse("https://edition.cnn.test/weather/storm").expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let r = analyze(&input, None, false);
    let a = r.article.expect("declared article");
    assert_eq!(a.title.as_deref(), Some("Storm hits the coast"));
    assert_eq!(a.published.as_deref(), Some("2023-12-17T10:00:00-05:00"));
    assert_eq!(a.modified.as_deref(), Some("2023-12-18T08:00:00-05:00"));
    assert_eq!(a.categories, vec!["Weather"]);
    assert_eq!(a.authors, vec!["Jo Doe"]);
    assert_eq!(a.methods["published"], "json-ld");
    assert_eq!(a.language.as_deref(), Some("en"));
}

fn generic(page: &str, url: &str) -> glaneur::extract::Article {
    let u = Url::parse(url).expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: None,
        fetched_at: fetched(),
    };
    analyze(&input, None, true).article.expect("article")
}

#[test]
fn utc_dates_are_shown_in_the_publishers_time_zone() {
    // JSON-LD gives UTC, a <time> element the same instant with its offset.
    let page = format!(
        r#"<!DOCTYPE html><html><head><script type="application/ld+json">{{"@type":"NewsArticle","headline":"H","datePublished":"2023-12-23T03:22:07Z"}}</script></head>
<body><h1>H</h1><time datetime="2023-12-22T22:22:07-0500">Dec. 22, 2023</time><div class="body"><p>{PARA}</p></div></body></html>"#
    );
    let a = generic(&page, "https://news.test/story");
    assert_eq!(a.published.as_deref(), Some("2023-12-22T22:22:07-05:00"));
    assert_eq!(a.published_day.as_deref(), Some("2023-12-22"));
    // Only UTC is given; the URL says which day it was where the article was published.
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta property="article:published_time" content="2023-12-23T01:48:19Z"></head>
<body><h1>H</h1><div class="body"><p>{PARA}</p></div></body></html>"#
    );
    let a = generic(&page, "https://news.test/2023/12/22/story/");
    assert_eq!(a.published.as_deref(), Some("2023-12-23T01:48:19+00:00"));
    assert_eq!(a.published_day.as_deref(), Some("2023-12-22"));
    // A day shown far from the UTC day is another date: the UTC day stays.
    let a = generic(&page, "https://news.test/2023/11/02/story/");
    assert_eq!(a.published_day.as_deref(), Some("2023-12-23"));
}

#[test]
fn title_without_the_headings_kicker_and_json_ld_references_decoded() {
    let page = format!(
        r#"<!DOCTYPE html><html><head><meta property="og:title" content="Let kids be kids">
<script type="application/ld+json">{{"@type":"NewsArticle","headline":"Rowing into glory: &#8216;The Boys&#8217;","author":{{"name":"Jo &amp; Al"}}}}</script></head>
<body><h1><span class="kicker">Opinion |</span> Let kids be kids</h1><div class="body"><p>{PARA}</p></div></body></html>"#
    );
    let a = generic(&page, "https://news.test/opinion/story");
    assert_eq!(a.title.as_deref(), Some("Let kids be kids"));
    assert_eq!(a.authors, vec!["Jo & Al"]);
    let page = page.replace(
        r#"<meta property="og:title" content="Let kids be kids">"#,
        "",
    );
    let page = page.replace(
        "<h1><span class=\"kicker\">Opinion |</span> Let kids be kids</h1>",
        "",
    );
    let a = generic(&page, "https://news.test/opinion/story");
    assert_eq!(a.title.as_deref(), Some("Rowing into glory: ‘The Boys’"));
}

#[test]
fn json_ld_article_body_when_the_page_shows_little() {
    let long = PARA.repeat(6);
    let page = format!(
        r#"<!DOCTYPE html><html><head><script type="application/ld+json">{{"@type":"NewsArticle","headline":"H","articleBody":"{long}\n{long}"}}</script></head>
<body><h1>H</h1><div class="teaser"><p>Subscribe to read the rest of this story today.</p></div></body></html>"#
    );
    let a = generic(&page, "https://news.test/story");
    assert_eq!(a.methods["body"], "json-ld");
    assert_eq!(
        a.body
            .as_deref()
            .map(|b| b.matches("Le fournisseur").count()),
        Some(12)
    );
    assert!(a.body.as_deref().is_some_and(|b| b.contains("\n\n")));
}

#[test]
fn stand_first_comes_first_and_a_page_opening_with_a_style_is_html() {
    let page = format!(
        r#"<style>{css}</style><html><head><meta name="description" content="Un résumé de l’article en une phrase, sous le titre."></head>
<body><article><header><h1>Le titre</h1><p class="chapo">Un résumé de l’article en une phrase, sous le titre.</p><div class="byline">Par Ana</div></header>
<div class="entry-content"><p>{PARA}</p><p>{PARA}</p></div></article></body></html>"#,
        css = "p { color: red; } ".repeat(400)
    );
    let u = url();
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: None,
        fetched_at: fetched(),
    };
    let a = analyze(&input, None, true).article.expect("HTML");
    let body = a.body.unwrap_or_default();
    assert!(
        body.starts_with("Un résumé de l’article en une phrase, sous le titre.\n\nLe fournisseur"),
        "{body}"
    );
    assert!(!body.contains("Par Ana"), "{body}");
}

#[test]
fn non_html_bodies_give_nothing() {
    let u = url();
    for (ct, body) in [
        (
            Some("application/pdf"),
            b"%PDF-1.4 <a href=\"/x\">".as_slice(),
        ),
        (Some("application/json"), b"{\"a\": \"<html>\"}".as_slice()),
        (None, b"\x89PNG\r\n\x1a\n".as_slice()),
        (Some("text/plain"), b"hello <a href=/x>".as_slice()),
    ] {
        let input = PageInput {
            url: &u,
            body,
            content_type: ct,
            fetched_at: fetched(),
        };
        let r = analyze(&input, None, true);
        assert!(r.links.is_empty(), "{ct:?}");
        assert!(r.article.is_none(), "{ct:?}");
    }
    // An HTML start without a Content-Type is HTML.
    let input = PageInput {
        url: &u,
        body: b"  <!DOCTYPE html><html><body><a href=\"/x\">x</a></body></html>",
        content_type: None,
        fetched_at: fetched(),
    };
    assert_eq!(analyze(&input, None, false).links.len(), 1);
}

#[test]
fn deep_nesting_on_a_small_stack() {
    let mut page = String::from("<html><body>");
    for _ in 0..100_000 {
        page.push_str("<div>");
    }
    page.push_str("<p>deep text <a href=\"/deep\">link</a></p>");
    for _ in 0..100_000 {
        page.push_str("</div>");
    }
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let u = Url::parse("http://h.test/").expect("valid URL");
            let input = PageInput {
                url: &u,
                body: page.as_bytes(),
                content_type: Some("text/html"),
                fetched_at: fetched(),
            };
            let r = analyze(&input, None, true);
            (
                r.links.len(),
                r.article.and_then(|a| a.body).unwrap_or_default(),
            )
        })
        .expect("spawn");
    let (links, body) = handle.join().expect("no stack overflow, no panic");
    assert_eq!(links, 1);
    assert!(body.contains("deep text"), "{body}");
}

/// The embedded demo site: every article of a 60-article site, with and without the
/// profile, against the site's ground truth.
#[test]
fn demo_site_articles_match_their_truth() {
    let base = Url::parse("http://127.0.0.1:18080/").expect("base");
    let site = glaneur::demo::DemoSite::generate(glaneur::demo::DEFAULT_SEED, 60, &base);
    let sel = profile();
    let mut n = 0;
    for t in &site.articles {
        let body = site.pages[&t.path].body.as_bytes();
        let u = base.join(&t.path).expect("url");
        for with_profile in [true, false] {
            let input = PageInput {
                url: &u,
                body,
                content_type: Some("text/html"),
                fetched_at: fetched(),
            };
            let r = analyze(&input, with_profile.then_some(&sel), true);
            let a = r.article.expect("article");
            let path = &t.path;
            assert_eq!(a.title.as_deref(), Some(t.title.as_str()), "{path}");
            assert_eq!(
                a.categories.first().map(String::as_str),
                Some(t.category.as_str()),
                "{path}"
            );
            let mut related: Vec<String> = r
                .links
                .iter()
                .filter(|l| l.related)
                .map(|l| l.url.path().to_string())
                .collect();
            let mut truth_related = t.related.clone();
            related.sort();
            truth_related.sort();
            assert_eq!(related, truth_related, "{path}");
            let words = a.body.as_deref().unwrap_or("").split_whitespace().count();
            assert_eq!(words, t.words, "{path}");
            assert_eq!(
                a.published.as_deref().and_then(|p| p.get(..10)),
                t.published.get(..10),
                "{path}"
            );
            if !with_profile {
                assert_eq!(a.authors.first(), Some(&t.author), "{path}");
            }
        }
        n += 1;
    }
    assert_eq!(n, 60);
}

#[test]
fn a_publication_key_in_the_page_state_script_is_the_date_of_last_resort_but_one() {
    // No structured, visible or URL date: the front-end's state names the publication
    // (after a script that only names an update).
    let page = format!(
        r#"<!DOCTYPE html><html><head><script>var meta = {{"updatedAt":"2024-04-01T08:00:00Z"}};</script>
<script id="__NEXT_DATA__" type="application/json">{{"props":{{"article":{{"title":"H","publishedAt":"2024-03-05T09:00:00+01:00"}},"more":[{{"publishedAt":"2024-02-01T09:00:00Z"}}]}}}}</script></head>
<body><h1>H</h1><div class="body"><p>{PARA}</p></div></body></html>"#
    );
    let a = generic(&page, "https://news.test/story");
    assert_eq!(a.published.as_deref(), Some("2024-03-05T09:00:00+01:00"));
    assert_eq!(a.methods["published"], "script");
    // A date shown under the title is more trusted than the script.
    let shown = page.replace("<h1>H</h1>", "<h1>H</h1><p>Le 12 janvier 2024</p>");
    let a = generic(&shown, "https://news.test/story");
    assert_eq!(a.published.as_deref(), Some("2024-01-12"));
    // A date after the fetch is never one.
    let future = page.replace("2024-03-05T09:00:00+01:00", "2099-03-05T09:00:00+01:00");
    let a = generic(&future, "https://news.test/story");
    assert_ne!(a.published.as_deref(), Some("2099-03-05T09:00:00+01:00"));
}
