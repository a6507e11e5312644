//! What a page says it is, from the marks a CMS leaves on every page: a single post
//! (an article), or a page that is no article (a static page, an attachment page, a
//! listing, a search, the second page of a post or of its comments).
//!
//! WordPress, under any theme and any permalink setting (`/?p=123`, `/archives/123`,
//! `/slug/`…), writes the kind of each page twice: in the `<body>` classes
//! (`single single-post postid-21`, `page page-id-2`, `attachment attachmentid-9`,
//! `archive category category-3`, `paged paged-2`, `single-paged-2`, `search-results`,
//! `error404`) and in the REST link of a singular page or of a term listing
//! (`<link rel="alternate" type="application/json" href=".../wp/v2/posts/21">`, also
//! spelled `?rest_route=/wp/v2/posts/21` under plain permalinks). The classes with an id
//! (`postid-21`, `page-id-2`…) and the REST routes are WordPress's own spelling, so a
//! page of another CMS that merely has `class="page"` is not taken for one.

use url::Url;

use super::dom::Dom;

/// What the page declares itself to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeclaredKind {
    /// Nothing said: the URL and the other signals decide.
    #[default]
    Unknown,
    /// A single post: an article.
    Post,
    /// A page that is no article (see the module doc).
    NotArticle,
}

/// The kind a page declares, from its `<body>` classes, its REST link and, for the
/// comment pages of a post (`/slug/comment-page-2/`, `?cpage=2`), its URL. A veto wins
/// over a post mark: the second page of a post carries both.
pub fn declared_kind(dom: &Dom<'_>, url: &Url) -> DeclaredKind {
    if is_comment_page(url) {
        return DeclaredKind::NotArticle;
    }
    let mut kind = DeclaredKind::Unknown;
    for n in &dom.nodes {
        let found = match n.tag {
            "body" => body_kind(n.class),
            "link" => rest_link_kind(n.attr("rel"), n.attr("type"), n.attr("href")),
            _ => DeclaredKind::Unknown,
        };
        match found {
            DeclaredKind::NotArticle => return found,
            DeclaredKind::Post => kind = found,
            DeclaredKind::Unknown => {}
        }
    }
    kind
}

/// A comment page of a post: `/…/comment-page-2/` or a `cpage` query parameter.
pub(crate) fn is_comment_page(url: &Url) -> bool {
    let last = url
        .path_segments()
        .and_then(|mut s| s.rfind(|p| !p.is_empty()));
    last.is_some_and(|s| {
        s.strip_prefix("comment-page-")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    }) || url.query_pairs().any(|(k, _)| k == "cpage")
}

/// True when `token` is `prefix` followed by a number (`postid-21` for `postid-`).
fn numbered(token: &str, prefix: &str) -> bool {
    token
        .strip_prefix(prefix)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The kind WordPress's `body_class()` writes.
fn body_kind(class: &str) -> DeclaredKind {
    let tokens: Vec<&str> = class.split_ascii_whitespace().collect();
    let has = |t: &str| tokens.contains(&t);
    let any_numbered = |prefix: &str| tokens.iter().any(|t| numbered(t, prefix));
    // Only WordPress's own spellings: a class with an id, or a search/404 mark next to one.
    let wordpress = [
        "postid-",
        "page-id-",
        "attachmentid-",
        "paged-",
        "category-",
        "tag-",
        "author-",
    ]
    .iter()
    .any(|p| any_numbered(p))
        || has("wp-embed-responsive");
    if !wordpress {
        return DeclaredKind::Unknown;
    }
    let not_article = any_numbered("page-id-")
        || any_numbered("attachmentid-")
        || has("single-attachment")
        || any_numbered("paged-")
        || any_numbered("single-paged-")
        || has("search-results")
        || has("search-no-results")
        || has("error404")
        || (has("archive") && !has("single"))
        || (has("blog") && !has("single"));
    if not_article {
        DeclaredKind::NotArticle
    } else if has("single") && any_numbered("postid-") {
        DeclaredKind::Post
    } else {
        DeclaredKind::Unknown
    }
}

/// The kind the REST link of a WordPress page names: `wp/v2/posts/N` a post; pages,
/// media (attachments), categories, tags and users no article. Other routes (custom
/// post types) say nothing.
fn rest_link_kind(rel: Option<&str>, kind: Option<&str>, href: Option<&str>) -> DeclaredKind {
    let alternate = rel.is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case("alternate"))
    });
    let json = kind.is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    let Some(href) = href.filter(|_| alternate && json) else {
        return DeclaredKind::Unknown;
    };
    // `/wp-json/wp/v2/posts/21`, or `?rest_route=/wp/v2/posts/21` (maybe escaped).
    let href = href.replace("%2F", "/").replace("%2f", "/");
    let Some((_, route)) = href.split_once("/wp/v2/") else {
        return DeclaredKind::Unknown;
    };
    let mut parts = route.split(['/', '&', '?', '#']);
    let (Some(collection), Some(id)) = (parts.next(), parts.next()) else {
        return DeclaredKind::Unknown;
    };
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return DeclaredKind::Unknown;
    }
    match collection {
        "posts" => DeclaredKind::Post,
        "pages" | "media" | "categories" | "tags" | "users" => DeclaredKind::NotArticle,
        _ => DeclaredKind::Unknown,
    }
}

/// The REST route of the post a page is (`<link rel="alternate" type="application/json"
/// href="…/wp/v2/posts/21">`), absolute, when it is on the page's own host: where
/// WordPress serves the post's JSON (its `modified_gmt` among others).
pub fn rest_post_link(dom: &Dom<'_>, page: &Url) -> Option<Url> {
    dom.nodes
        .iter()
        .filter(|n| n.tag == "link")
        .filter(|n| {
            rest_link_kind(n.attr("rel"), n.attr("type"), n.attr("href")) == DeclaredKind::Post
        })
        .find_map(|n| {
            let url = page.join(n.attr("href")?.trim()).ok()?;
            let same_host = crate::urls::host_key(&url) == crate::urls::host_key(page)
                && matches!(url.scheme(), "http" | "https");
            same_host.then_some(url)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::html;

    fn kind(page: &str, url: &str) -> DeclaredKind {
        let doc = html::parse(std::borrow::Cow::Borrowed(page), 256);
        let dom = Dom::new(&doc);
        declared_kind(&dom, &Url::parse(url).expect("test url"))
    }

    const POST_HEAD: &str = r#"<link rel="alternate" type="application/json" href="http://x.test/index.php?rest_route=/wp/v2/posts/21">"#;

    #[test]
    fn a_wordpress_post_is_an_article_under_any_permalinks() {
        let page = format!(
            "<html><head>{POST_HEAD}</head><body class=\"post-template-default single single-post postid-21 single-format-standard wp-embed-responsive\"><p>x</p></body></html>"
        );
        assert_eq!(kind(&page, "http://x.test/?p=21"), DeclaredKind::Post);
        assert_eq!(kind(&page, "http://x.test/archives/21"), DeclaredKind::Post);
        // The REST link alone (a theme without body_class()) says it too.
        let head_only = format!("<html><head>{POST_HEAD}</head><body><p>x</p></body></html>");
        assert_eq!(kind(&head_only, "http://x.test/?p=21"), DeclaredKind::Post);
        let escaped = r#"<link rel="alternate" type="application/json" href="/wp-json/wp%2Fv2%2Fposts%2F21">"#;
        assert_eq!(kind(escaped, "http://x.test/a/"), DeclaredKind::Post);
    }

    #[test]
    fn pages_attachments_listings_and_continuations_are_no_articles() {
        for (class, rest) in [
            ("page-template-default page page-id-2", "pages/2"),
            (
                "attachment attachment-template-default single single-attachment postid-40 attachmentid-40",
                "media/40",
            ),
            (
                "archive category category-sport category-6 wp-embed-responsive",
                "categories/6",
            ),
            ("home blog paged paged-2 wp-embed-responsive", ""),
            ("search search-results wp-embed-responsive", ""),
            (
                "post-template-default single single-post postid-21 paged-2 single-paged-2",
                "posts/21",
            ),
        ] {
            let page = format!(
                r#"<html><head><link rel="alternate" type="application/json" href="http://x.test/wp-json/wp/v2/{rest}"></head><body class="{class}"></body></html>"#
            );
            assert_eq!(
                kind(&page, "http://x.test/a/"),
                DeclaredKind::NotArticle,
                "{class}"
            );
        }
    }

    #[test]
    fn comment_pages_are_no_articles() {
        let page = format!(
            "<html><head>{POST_HEAD}</head><body class=\"single postid-21\"></body></html>"
        );
        assert_eq!(
            kind(&page, "http://x.test/2024/03/a-b-c/comment-page-2/"),
            DeclaredKind::NotArticle
        );
        assert_eq!(
            kind(&page, "http://x.test/?p=21&cpage=2"),
            DeclaredKind::NotArticle
        );
        assert_eq!(
            kind(&page, "http://x.test/2024/03/comment-page-turner/"),
            DeclaredKind::Post
        );
    }

    /// Pages WordPress 6.1 rendered under the four permalink settings and three stock
    /// themes (`tests/fixtures/wordpress/pages/variants/index.tsv`: file, URL, `article` or
    /// `none`): without a profile and whatever the URL, posts are articles and the rest not.
    #[test]
    fn saved_wordpress_pages_are_told_apart_without_a_profile() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/wordpress/pages/variants");
        let index = std::fs::read_to_string(dir.join("index.tsv")).expect("index.tsv");
        let mut seen = 0;
        for line in index.lines().filter(|l| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [file, url, expected] = fields[..] else {
                panic!("bad index line {line:?}");
            };
            let body = std::fs::read(dir.join(file)).expect("saved page");
            let url = Url::parse(url).expect("index url");
            let page = crate::extract::PageInput {
                url: &url,
                body: &body,
                content_type: Some("text/html; charset=UTF-8"),
                fetched_at: chrono::Utc::now(),
            };
            // Asked for (`glaneur extract`), the article is always there.
            assert!(
                crate::extract::analyze(&page, None, true).article.is_some(),
                "{file}"
            );
            let guess = crate::crawl::classify::looks_like_article(&url);
            let want = crate::extract::Want::Guess(guess);
            let guessed = crate::extract::analyze_wanting(&page, None, want, 100).article;
            assert_eq!(
                guessed.is_some(),
                expected == "article",
                "{file} (guess {guess})"
            );
            let article = crate::extract::analyze(&page, None, false).article;
            assert_eq!(article.is_some(), expected == "article", "{file}");
            if let Some(a) = article {
                // The post with paged comments names its last comment page as canonical.
                let canonical = a.canonical_url.unwrap_or_default();
                assert!(
                    !canonical.contains("comment-page") && !canonical.contains('#'),
                    "{file}: {canonical}"
                );
                assert!(!a.title.unwrap_or_default().is_empty(), "{file}");
            }
            seen += 1;
        }
        assert_eq!(seen, 15, "saved pages");
    }

    #[test]
    fn other_sites_classes_say_nothing() {
        for class in ["page", "single archive", "home blog", "article page-id"] {
            let page = format!("<html><body class=\"{class}\"><p>x</p></body></html>");
            assert_eq!(
                kind(&page, "http://x.test/a/"),
                DeclaredKind::Unknown,
                "{class}"
            );
        }
        let custom =
            r#"<link rel="alternate" type="application/json" href="/wp-json/wp/v2/recipes/4">"#;
        assert_eq!(kind(custom, "http://x.test/a/"), DeclaredKind::Unknown);
        let no_json =
            r#"<link rel="alternate" type="application/rss+xml" href="/wp-json/wp/v2/pages/4">"#;
        assert_eq!(kind(no_json, "http://x.test/a/"), DeclaredKind::Unknown);
    }

    #[test]
    fn the_rest_link_of_a_post_is_read_on_its_own_host_only() {
        let link = |page: &str, url: &str| {
            let doc = html::parse(std::borrow::Cow::Borrowed(page), 256);
            let dom = Dom::new(&doc);
            rest_post_link(&dom, &Url::parse(url).expect("url")).map(String::from)
        };
        let plain = r#"<link rel="alternate" type="application/json" href="/index.php?rest_route=/wp/v2/posts/21">"#;
        assert_eq!(
            link(plain, "http://x.test:8080/?p=21").as_deref(),
            Some("http://x.test:8080/index.php?rest_route=/wp/v2/posts/21")
        );
        let elsewhere = r#"<link rel="alternate" type="application/json" href="http://cdn.test/wp-json/wp/v2/posts/21">"#;
        assert_eq!(link(elsewhere, "http://x.test/a/"), None);
        let page =
            r#"<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">"#;
        assert_eq!(link(page, "http://x.test/a/"), None);
    }
}
