//! Generic extraction (no profile) on pages written in the styles of real CMSs and news
//! sites: WordPress block and classic themes, Drupal, Ghost, a Medium-like page, French
//! regional press, pages with and without JSON-LD, a date only in the URL, copyright
//! lines, comment dates and "Recent posts" sidebars that must not win, "Mis à jour"
//! after the body; and the robustness of reading (unclosed SVG, a page with many links).

use chrono::{DateTime, TimeZone, Utc};
use glaneur::extract::{Article, PageInput, analyze, analyze_with_limit};
use url::Url;

fn fetched() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn article(page: &str, url: &str) -> Article {
    let u = Url::parse(url).expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html; charset=utf-8"),
        fetched_at: fetched(),
    };
    analyze(&input, None, true).article.expect("article")
}

const FR: &str = "Le conseil municipal a voté jeudi soir le budget de l’année, après un long débat sur les investissements, la rénovation des écoles et le prix de l’eau.";
const EN: &str = "The city council voted on Thursday evening for the budget of the year, after a long debate about investments, the renovation of schools and the price of water.";

fn paragraphs(text: &str, n: usize) -> String {
    (0..n).map(|i| format!("<p>{text} ({i})</p>\n")).collect()
}

/// A WordPress block theme (Twenty Twenty-Four style), French labels, no SEO plugin: the
/// categories are `rel="tag"` links in `.taxonomy-category`, the author a paragraph, the
/// update date after the body with its label in a sibling element.
fn wordpress_block_page(modified_class: bool) -> String {
    let modified_div = if modified_class {
        "wp-block-post-date__modified-date wp-block-post-date"
    } else {
        "wp-block-post-date"
    };
    format!(
        r#"<!DOCTYPE html><html lang="fr-FR"><head><meta charset="UTF-8"><title>Budget voté au conseil &#8211; Le Petit Journal</title>
<link rel="canonical" href="http://127.0.0.1:8081/?p=42"></head>
<body class="post-template-default single single-post"><div class="wp-site-blocks">
<header class="wp-block-template-part"><div class="wp-block-group"><p class="wp-block-site-title"><a href="/">Le Petit Journal</a></p>
<nav class="wp-block-navigation"><ul><li><a href="/category/politique/">Politique</a></li><li><a href="/category/sport/">Sport</a></li></ul></nav></div></header>
<main class="wp-block-group"><div class="wp-block-group"><h1 class="wp-block-post-title">Budget voté au conseil</h1>
<div class="wp-block-group"><div class="wp-block-post-date"><time datetime="2024-03-01T09:30:00+01:00">1 mars 2024</time></div>
<div class="wp-block-post-author"><div class="wp-block-post-author__avatar"><img alt="" src="/avatar.png"></div><div class="wp-block-post-author__content"><p class="wp-block-post-author__byline">Auteur/autrice</p><p class="wp-block-post-author__name">Camille Durand</p></div></div></div></div>
<div class="entry-content wp-block-post-content">{body}</div>
<div class="wp-block-group"><p>Mis à jour le</p><div class="{modified_div}"><time datetime="2024-03-05T14:07:00+01:00">5 mars 2024</time></div>
<div class="taxonomy-category wp-block-post-terms"><a href="/category/politique/" rel="tag">Politique</a><span class="wp-block-post-terms__separator">, </span><a href="/category/region/" rel="tag">Région</a></div>
<div class="taxonomy-post_tag wp-block-post-terms"><a href="/tag/budget/" rel="tag">budget</a></div></div>
<div class="wp-block-comments"><h2>2 réponses</h2><ol class="wp-block-comment-template"><li class="comment"><div class="wp-block-comment-author-name">Lecteur</div><div class="wp-block-comment-date"><time datetime="2024-03-08T10:00:00+01:00">8 mars 2024</time></div><div class="wp-block-comment-content"><p>Un commentaire de lecteur assez long pour ressembler à un paragraphe du texte, avec des virgules.</p></div></li></ol></div>
<div class="wp-block-query"><h2>Plus d’articles</h2><ul class="wp-block-post-template"><li class="wp-block-post post-12 post type-post category-sport"><h2 class="wp-block-post-title"><a href="/?p=12">Le club gagne</a></h2><div class="taxonomy-category wp-block-post-terms"><a href="/category/sport/" rel="tag">Sport</a></div><div class="wp-block-post-date"><time datetime="2024-02-01T08:00:00+01:00">1 février 2024</time></div></li></ul></div>
</main><footer class="wp-block-template-part"><p>© 2024 Le Petit Journal — Fièrement propulsé par WordPress</p></footer></div></body></html>"#,
        body = paragraphs(FR, 4)
    )
}

#[test]
fn wordpress_block_theme_without_profile() {
    for modified_class in [true, false] {
        let a = article(
            &wordpress_block_page(modified_class),
            "http://127.0.0.1:8081/?p=42",
        );
        assert_eq!(a.title.as_deref(), Some("Budget voté au conseil"));
        assert_eq!(a.published.as_deref(), Some("2024-03-01T09:30:00+01:00"));
        assert_eq!(
            a.modified.as_deref(),
            Some("2024-03-05T14:07:00+01:00"),
            "modified class {modified_class}"
        );
        assert_eq!(a.categories, vec!["Politique", "Région"]);
        assert_eq!(a.methods["categories"], "class");
        assert_eq!(a.tags, vec!["budget"]);
        assert_eq!(a.authors, vec!["Camille Durand"]);
        let body = a.body.expect("body");
        assert_eq!(body.matches("Le conseil municipal").count(), 4, "{body}");
        assert!(!body.contains("commentaire"), "{body}");
        assert!(!body.contains("Le club gagne"), "{body}");
    }
}

#[test]
fn wordpress_classic_theme_english() {
    let page = format!(
        r#"<!DOCTYPE html><html lang="en-US"><head><title>Council passes the budget | Town News</title></head>
<body class="single"><header id="site-header"><nav><a href="/category/sports/">Sports</a></nav></header>
<main id="site-content"><article class="post-7 post type-post status-publish hentry category-news">
<header class="entry-header"><div class="entry-categories"><span class="screen-reader-text">Categories</span><div class="entry-categories-inner"><a href="/category/news/" rel="category tag">News</a> <a href="/category/local/" rel="category tag">Local</a></div></div>
<h1 class="entry-title">Council passes the budget</h1>
<div class="post-meta-wrapper"><ul class="post-meta"><li class="post-author meta-wrapper"><span class="meta-text">By <a href="/author/jdoe/">John Doe</a></span></li>
<li class="post-date meta-wrapper"><span class="meta-text"><a href="/?p=7"><time class="entry-date published" datetime="2024-03-04T18:00:00-05:00">March 4, 2024</time><time class="updated" datetime="2024-03-06T07:45:00-05:00">March 6, 2024</time></a></span></li></ul></div></header>
<div class="entry-content">{body}</div></article>
<div class="comments-wrapper" id="comments"><div class="comment"><time datetime="2024-03-07T09:00:00-05:00">March 7, 2024 at 9:00 am</time><p>{EN}</p></div></div></main>
<aside class="widget-area"><section class="widget widget_recent_entries"><h2>Recent Posts</h2><ul><li><a href="/?p=9">Another post</a><span class="post-date">March 9, 2024</span></li></ul></section></aside>
<footer id="site-footer"><p>&copy; 2024 Town News</p></footer></body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "http://127.0.0.1:8082/?p=7");
    assert_eq!(a.title.as_deref(), Some("Council passes the budget"));
    assert_eq!(a.published.as_deref(), Some("2024-03-04T18:00:00-05:00"));
    assert_eq!(a.modified.as_deref(), Some("2024-03-06T07:45:00-05:00"));
    assert_eq!(a.categories, vec!["News", "Local"]);
    assert_eq!(a.methods["categories"], "rel");
    assert_eq!(a.authors, vec!["John Doe"]);
}

#[test]
fn drupal_node_with_submitted_line() {
    let page = format!(
        r#"<!DOCTYPE html><html lang="en" dir="ltr"><head><title>Water prices to rise | City Portal</title></head>
<body class="path-node page-node-type-article"><div class="dialog-off-canvas-main-canvas"><header role="banner"><a href="/">Home</a></header>
<main role="main"><div class="region region-content"><article role="article" class="node node--type-article node--view-mode-full">
<h1 class="page-title"><span class="field field--name-title">Water prices to rise</span></h1>
<div class="node__meta"><span class="field field--name-uid">Submitted by <span>editor</span></span> on <span class="field field--name-created">Tue, 03/05/2024 - 14:07</span></div>
<div class="node__content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary">{body}</div>
<div class="field field--name-field-tags"><div class="field__label">Tags</div><div class="field__items"><div class="field__item"><a href="/taxonomy/term/3" hreflang="en">Water</a></div></div></div></div></article></div></main>
<footer role="contentinfo"><p>Copyright 2024 City</p></footer></div></body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "http://127.0.0.1:8083/node/12");
    assert_eq!(a.title.as_deref(), Some("Water prices to rise"));
    assert_eq!(a.published_day.as_deref(), Some("2024-03-05"));
    assert_eq!(a.published.as_deref(), Some("2024-03-05T14:07:00"));
    let body = a.body.expect("body");
    assert_eq!(body.matches("The city council").count(), 3, "{body}");
}

#[test]
fn ghost_post_without_json_ld() {
    let page = format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Notes from the river</title><meta property="og:type" content="article"></head>
<body class="post-template"><div class="site"><header class="gh-head"><a class="gh-head-logo" href="/">Blog</a></header>
<main class="site-main"><article class="article post">
<header class="article-header gh-canvas"><div class="article-tag post-card-primary-tag"><a href="/tag/travel/">Travel</a></div>
<h1 class="article-title">Notes from the river</h1>
<div class="article-byline"><section class="article-byline-content"><div class="article-byline-meta"><h4 class="author-name"><a href="/author/jane/">Jane Roe</a></h4>
<div class="byline-meta-content"><time class="byline-meta-date" datetime="2024-02-27">Feb 27, 2024</time><span class="byline-reading-time"><span class="bull">•</span> 4 min read</span></div></div></section></div></header>
<section class="gh-content gh-canvas">{body}</section></article>
<aside class="read-more-wrap"><article class="post-card"><h3>Older post</h3><time datetime="2024-01-02">Jan 2, 2024</time></article></aside></main>
<footer class="site-footer">Blog © 2024 · Powered by Ghost</footer></div></body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "http://127.0.0.1:8084/notes-from-the-river/");
    assert_eq!(a.title.as_deref(), Some("Notes from the river"));
    assert_eq!(a.published.as_deref(), Some("2024-02-27"));
    // No update shown: the article is as published.
    assert_eq!(a.modified.as_deref(), Some("2024-02-27"));
    assert_eq!(a.methods["modified"], "published");
    assert_eq!(a.authors, vec!["Jane Roe"]);
}

#[test]
fn french_regional_press_without_json_ld() {
    let page = format!(
        r#"<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Incendie dans un entrepôt à Vénissieux - Le Quotidien du Rhône</title></head>
<body><div id="header"><ul class="menu"><li><a href="/faits-divers/">Faits divers</a></li><li><a href="/sport/">Sport</a></li></ul></div>
<nav class="breadcrumb"><a href="/">Accueil</a> &gt; <a href="/faits-divers/">Faits divers</a> &gt; <a href="/faits-divers/lyon/">Lyon</a></nav>
<div class="article"><h1>Incendie dans un entrepôt à Vénissieux</h1>
<div class="article-meta">Publié le 05/03/2024 à 14h07 | Mis à jour le 06/03/2024 à 08h00</div>
<div class="signature">Par <strong>Jean Martin</strong></div>
<div class="texte">{body}</div></div>
<div class="agenda"><p>Prochain conseil : 12 juin 2030</p></div>
<div id="pied"><p>© Le Quotidien du Rhône 2025 — Tous droits réservés</p></div></body></html>"#,
        body = paragraphs(FR, 3)
    );
    let a = article(
        &page,
        "http://127.0.0.1:8085/faits-divers/lyon/incendie-entrepot",
    );
    assert_eq!(
        a.title.as_deref(),
        Some("Incendie dans un entrepôt à Vénissieux")
    );
    assert_eq!(a.published.as_deref(), Some("2024-03-05T14:07:00"));
    assert_eq!(a.modified.as_deref(), Some("2024-03-06T08:00:00"));
    assert_eq!(a.categories, vec!["Lyon", "Faits divers"]);
    assert_eq!(a.methods["categories"], "breadcrumb");
    assert_eq!(a.authors, vec!["Jean Martin"]);
}

#[test]
fn a_date_only_in_the_url_wins_over_copyright_and_comment_dates() {
    let page = format!(
        r#"<html><head><title>Une histoire de quartier</title></head><body>
<div class="content"><h1>Une histoire de quartier</h1>{body}</div>
<div id="comments"><div class="comment"><span>12 mars 2024</span><p>{FR}</p></div></div>
<div class="footer">© 2024 Mon blog. Dernier article le 9 mars 2024.</div></body></html>"#,
        body = paragraphs(FR, 3)
    );
    let a = article(
        &page,
        "http://127.0.0.1:8086/2024/03/05/une-histoire-de-quartier/",
    );
    assert_eq!(a.published.as_deref(), Some("2024-03-05"));
    assert_eq!(a.methods["published"], "url");
    // The other URL forms.
    for (url, day) in [
        ("http://127.0.0.1:8086/news/2023-11-28-slug", "2023-11-28"),
        ("http://127.0.0.1:8086/a/20221005/slug.html", "2022-10-05"),
    ] {
        assert_eq!(article(&page, url).published.as_deref(), Some(day), "{url}");
    }
}

#[test]
fn the_most_plausible_visible_date_when_nothing_else_says_it() {
    // The date stands at the end of the article, far from the title, in a plain
    // paragraph; a sidebar of recent posts, comments, a copyright line and a future
    // event hold other dates.
    let mut body = paragraphs(FR, 40);
    body.push_str("<p><em>Article rédigé le 4 mars 2024.</em></p>");
    let page = format!(
        r#"<html lang="fr"><head><title>Le marché couvert rouvre</title></head><body>
<div class="col-left"><h1>Le marché couvert rouvre</h1><div>{body}</div><p>Prochaine réunion publique le 4 avril 2031.</p></div>
<div class="recent-posts"><ul><li><a href="/x">Un autre</a> 8 mars 2024</li><li><a href="/y">Encore</a> 8 mars 2024</li></ul></div>
<div class="comments"><p>9 mars 2024</p><p>{FR}</p></div>
<p>© 2024 Gazette</p></body></html>"#
    );
    let a = article(&page, "http://127.0.0.1:8087/marche-couvert");
    assert_eq!(a.published.as_deref(), Some("2024-03-04"));
    // "rédigé le" labels the date: the labelled-line fallback answers before the search.
    assert_eq!(a.methods["published"], "label");
    // Only a copyright line, comments and future dates: no date at all.
    let page = format!(
        r#"<html><head><title>Sans date</title></head><body><h1>Sans date</h1>{body}
<div class="comments"><p>9 mars 2024</p></div><p>Rendez-vous le 4 avril 2031.</p><p>© 2024 Gazette</p></body></html>"#,
        body = paragraphs(FR, 3)
    );
    let a = article(&page, "http://127.0.0.1:8087/sans-date");
    assert_eq!(a.published, None, "{:?}", a.methods);
}

#[test]
fn json_ld_author_by_id_breadcrumb_and_section() {
    let page = format!(
        r#"<html lang="en"><head><title>Rates stay put - Daily</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@graph":[
{{"@type":"NewsArticle","@id":"https://daily.test/rates/#article","headline":"Rates stay put","datePublished":"2024-03-05T10:00:00+00:00","author":{{"@id":"https://daily.test/#/schema/person/1"}}}},
{{"@type":"Person","@id":"https://daily.test/#/schema/person/1","name":"Ann Lee"}},
{{"@type":"BreadcrumbList","itemListElement":[{{"@type":"ListItem","position":1,"name":"Home","item":"https://daily.test/"}},{{"@type":"ListItem","position":2,"name":"Economy","item":"https://daily.test/economy/"}},{{"@type":"ListItem","position":3,"name":"Rates stay put","item":"https://daily.test/rates/"}}]}}]}}</script>
</head><body><h1>Rates stay put</h1>{body}</body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "https://daily.test/rates/");
    assert_eq!(a.authors, vec!["Ann Lee"]);
    assert_eq!(a.methods["authors"], "json-ld");
    assert_eq!(a.categories, vec!["Economy"]);
    assert_eq!(a.methods["categories"], "breadcrumb");
    // With a section in JSON-LD, the section is the primary category.
    let with_section = page.replace(
        r#""headline":"Rates stay put","#,
        r#""headline":"Rates stay put","articleSection":["Markets","Economy"],"#,
    );
    let a = article(&with_section, "https://daily.test/rates/");
    assert_eq!(a.categories, vec!["Markets", "Economy"]);
    assert_eq!(a.methods["categories"], "json-ld");
}

#[test]
fn category_from_a_label_or_a_listing_href() {
    let labelled = format!(
        r#"<html lang="fr"><head><title>La fête du village</title></head><body><h1>La fête du village</h1>
<p class="infos">Rubrique : Société</p>{body}</body></html>"#,
        body = paragraphs(FR, 3)
    );
    let a = article(&labelled, "http://127.0.0.1:8088/fete");
    assert_eq!(a.categories, vec!["Société"]);
    assert_eq!(a.methods["categories"], "label");
    let by_href = format!(
        r#"<html lang="fr"><head><title>Un festival</title></head><body>
<header><ul class="main-menu"><li><a href="/rubrique/sport/">Sport</a></li></ul></header>
<article><div class="kicker"><a href="/rubrique/culture/">Culture</a></div><h1>Un festival</h1>{body}</article></body></html>"#,
        body = paragraphs(FR, 3)
    );
    let a = article(&by_href, "http://127.0.0.1:8088/festival");
    assert_eq!(a.categories, vec!["Culture"]);
    assert_eq!(a.methods["categories"], "href");
}

#[test]
fn medium_like_byline_date() {
    let page = format!(
        r#"<html lang="en"><head><title>What I learned | by Sam Poe | Medium</title></head><body>
<article><div><section><div><h1 id="a1b2">What I learned</h1>
<div class="pw-author"><div><a href="/@sampoe" rel="noopener">Sam Poe</a></div><div><span>5 min read</span><span>·</span><span>Mar 5, 2024</span></div></div>
{body}</div></section></div></article></body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "http://127.0.0.1:8089/what-i-learned-0a1b2c");
    assert_eq!(a.published.as_deref(), Some("2024-03-05"));
    assert_eq!(a.authors, vec!["Sam Poe"]);
}

#[test]
fn an_unclosed_svg_does_not_swallow_the_article() {
    let page = format!(
        r#"<html><head><title>Icons</title></head><body><h1>Icons</h1>
<div class="entry-content"><svg class="icon" viewBox="0 0 24 24"><path d="M0 0h24v24H0z">{body}</div></body></html>"#,
        body = paragraphs(EN, 3)
    );
    let a = article(&page, "http://127.0.0.1:8090/icons");
    let body = a.body.expect("body");
    assert_eq!(body.matches("The city council").count(), 3, "{body}");
    let math = page.replace("<svg", "<math").replace("<path", "<mrow");
    let body = article(&math, "http://127.0.0.1:8090/icons")
        .body
        .expect("body");
    assert_eq!(body.matches("The city council").count(), 3, "{body}");
}

#[test]
fn links_read_from_one_page_are_bounded() {
    let mut page = String::from("<html><body><h1>Many links</h1>");
    for i in 0..25_000 {
        page.push_str(&format!("<a href=\"/l{i}\">link {i}</a> "));
    }
    page.push_str("</body></html>");
    let u = Url::parse("http://127.0.0.1:8091/").expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html"),
        fetched_at: fetched(),
    };
    let links = analyze(&input, None, false).links;
    assert_eq!(links.len(), glaneur::extract::DEFAULT_MAX_LINKS);
    assert_eq!(links[0].url.as_str(), "http://127.0.0.1:8091/l0");
    assert_eq!(analyze_with_limit(&input, None, false, 50).links.len(), 50);
}
