//! One row per article, from a real crawl of an in-process site (issue 15, item 5): a page
//! naming another in-scope URL as canonical leads the crawl to that URL (even when no
//! anchor links to it) and is grouped under it in the export; a `noindex` page with a
//! canonical elsewhere (on the site or off it) is archived but is no article; a
//! `rel="nofollow"` link that only adds query parameters to a known URL is not followed.
//! And the category the crawl gives an article whose page names none: the URL segment of
//! a listing page captured in the crawl.

use crate::support;

use std::collections::HashMap;

use glaneur::read::articles::{Export, Filter};
use support::{Page, TestServer, article_html, crawl, response_uris, settings};

const HOST: &str = "canon.test";
/// The article's own address: linked by no anchor, only named as canonical.
const ARTICLE: &str = "/2024/05/article-numero-0007/";
/// Another address of the article (same content, canonical link to [`ARTICLE`]).
const ALIAS: &str = "/2024/05/titre-de-l-article-sept-copie/";
/// A `noindex` copy of the article (comments view), canonical to [`ARTICLE`].
const NOINDEX_COPY: &str = "/2024/05/article-numero-0007-commentaires/";
/// A `noindex` page whose canonical is on another site (a syndicated article).
const SYNDICATED: &str = "/2024/05/reprise-d-un-article-publie-ailleurs/";

fn url(path: &str) -> String {
    format!("http://{HOST}{path}")
}

fn noindex(html: &str) -> String {
    html.replace(
        "<meta charset=\"utf-8\">",
        "<meta charset=\"utf-8\"><meta name=\"robots\" content=\"noindex, follow\">",
    )
}

fn site() -> HashMap<String, Page> {
    let mut pages = HashMap::new();
    pages.insert(
        "/".to_string(),
        Page::html(format!(
            "<html><body><h1>Canon</h1><a href=\"{ALIAS}\">Sept</a> \
             <a href=\"{NOINDEX_COPY}\">Commentaires</a> <a href=\"{SYNDICATED}\">Reprise</a></body></html>"
        )),
    );
    let title = "Titre de l'article 7";
    // The article itself carries comment-sort and reaction links marked nofollow (copies
    // of the page), and one nofollow link to another page, which is followed.
    let own = article_html(7, title, &[]).replace(
        "</article>",
        "<a rel=\"nofollow\" href=\"?tri=anciens#comments\">Plus anciens</a>\
         <a rel=\"nofollow ugc\" href=\"/2024/05/article-numero-0007/?reaction=3\">J'aime</a>\
         <a rel=\"nofollow\" href=\"/inscription/?depuis=7\">S'inscrire</a></article>",
    );
    pages.insert(ARTICLE.to_string(), Page::html(own));
    pages.insert(ALIAS.to_string(), Page::html(article_html(7, title, &[])));
    pages.insert(
        NOINDEX_COPY.to_string(),
        Page::html(noindex(&article_html(7, title, &[]))),
    );
    pages.insert(
        SYNDICATED.to_string(),
        Page::html(noindex(&article_html(8, "Reprise", &[]).replace(
            "href=\"/2024/05/article-numero-0008/\"",
            "href=\"http://ailleurs.test/2024/05/original/\"",
        ))),
    );
    pages.insert(
        "/inscription/".to_string(),
        Page::html("<html><body>Inscription</body></html>"),
    );
    pages
}

#[tokio::test(flavor = "multi_thread")]
async fn canonical_urls_are_queued_and_grouped_noindex_copies_are_no_articles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(HashMap::from([(HOST.to_string(), site())])).await;
    let mut s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    s.max_depth = Some(3);
    let archive = s.archive_dir.clone();
    crawl(s).await;

    // The canonical URL was fetched though no anchor links to it; the nofollow copies of
    // a known page were not, the nofollow link to another page was.
    let paths = server.paths(HOST);
    assert!(paths.iter().any(|p| p == ARTICLE), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("tri=") || p.contains("reaction=")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p == "/inscription/?depuis=7"),
        "{paths:?}"
    );

    // Every page is archived as fetched.
    let archived = response_uris(&archive);
    for path in [ARTICLE, ALIAS, NOINDEX_COPY, SYNDICATED] {
        assert!(archived.contains(&url(path)), "{path}: {archived:?}");
    }

    // One article: the alias is grouped under its canonical URL, the noindex pages are
    // none (their canonical is elsewhere).
    let export = Export::plan(&archive, &Filter::default(), true).expect("plan");
    let mut rows = Vec::new();
    for (batch, problems) in export.batches(64) {
        assert!(problems.is_empty(), "{problems:?}");
        rows.extend(batch);
    }
    let urls: Vec<&str> = rows.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [url(ARTICLE), url(ARTICLE)],
        "two captures of one article"
    );
    let latest = Export::plan(&archive, &Filter::default(), false).expect("plan");
    assert_eq!(latest.len(), 1);
    assert!(
        rows.iter()
            .all(|r| r.title.as_deref() == Some("Titre de l'article 7"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_article_without_a_category_gets_the_listing_page_of_its_url_segment() {
    let no_category = |id: u32, title: &str| {
        let html = article_html(id, title, &[]);
        let start = html
            .find("<div class=\"cat-links\">")
            .expect("category block");
        let end = start + html[start..].find("</div>").expect("its end") + "</div>".len();
        let html = format!("{}{}", &html[..start], &html[end..]);
        // Its canonical link is its own address.
        html.replace(
            &format!("/2024/05/article-numero-{id:04}/"),
            &format!("/economie/entreprises/titre-numero-{id}-sans-rubrique/"),
        )
    };
    let mut pages = HashMap::new();
    let listing = |links: &str| {
        Page::html(format!(
            "<html><body><h1>Rubrique</h1>{links}</body></html>"
        ))
    };
    pages.insert(
        "/".to_string(),
        listing("<a href=\"/economie/\">Économie</a> <a href=\"/economie/entreprises/\">Entreprises</a>"),
    );
    pages.insert(
        "/economie/".to_string(),
        listing("<a href=\"/economie/entreprises/titre-numero-1-sans-rubrique/\">1</a>"),
    );
    pages.insert(
        "/economie/entreprises/".to_string(),
        listing(
            "<a href=\"/economie/entreprises/titre-numero-2-sans-rubrique/\">2</a> \
                 <a href=\"/2024/05/article-numero-0003/\">3</a>",
        ),
    );
    for id in [1, 2] {
        pages.insert(
            format!("/economie/entreprises/titre-numero-{id}-sans-rubrique/"),
            Page::html(no_category(id, &format!("Sans rubrique {id}"))),
        );
    }
    // An article whose page names its category keeps it.
    pages.insert(
        "/2024/05/article-numero-0003/".to_string(),
        Page::html(article_html(3, "Avec rubrique", &[])),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(HashMap::from([(HOST.to_string(), pages)])).await;
    let mut s = settings(dir.path(), &server, &[HOST], &[&url("/")]);
    s.max_depth = Some(3);
    let archive = s.archive_dir.clone();
    crawl(s).await;

    let export = Export::plan(&archive, &Filter::default(), false).expect("plan");
    let mut categories = HashMap::new();
    for (batch, problems) in export.batches(64) {
        assert!(problems.is_empty(), "{problems:?}");
        for r in batch {
            categories.insert(r.url.clone(), (r.category.clone(), r.categories.clone()));
        }
    }
    assert_eq!(categories.len(), 3, "{categories:?}");
    for id in [1, 2] {
        let got = &categories[&url(&format!(
            "/economie/entreprises/titre-numero-{id}-sans-rubrique/"
        ))];
        assert_eq!(got.0.as_deref(), Some("entreprises"), "{got:?}");
        assert_eq!(got.1, ["entreprises", "economie"]);
    }
    let got = &categories[&url("/2024/05/article-numero-0003/")];
    assert_eq!(got.1, ["Cloud"], "{got:?}");
}
