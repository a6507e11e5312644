//! Reading pages: the character set, the links (with related-article blocks), and the
//! article's fields, from one parse of the page. Never touches the network; never panics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::SelectorConfig;

mod article;
pub mod batch;
mod body;
mod body_end;
mod body_noise;
pub mod charset;
mod dates;
mod dom;
mod hints;
mod html;
mod kind;
mod links;
mod meta;
mod teasers;
mod title;

pub use dates::{FRENCH_MONTHS, ParsedDate, french_date, parse_date};
pub use dom::CssSelector;
pub use links::is_related_label;

/// Elements nested deeper than this are flattened while parsing (see `html::parse`).
pub(crate) const MAX_NESTING: usize = 512;

/// Links read from one page by [`analyze`] (the crawl's policy may pass its own bound to
/// [`analyze_with_limit`]).
pub const DEFAULT_MAX_LINKS: usize = 10_000;

/// A page to read.
#[derive(Debug, Clone, Copy)]
pub struct PageInput<'a> {
    /// The page's URL (base for relative links unless `<base href>` says otherwise).
    pub url: &'a Url,
    /// The body with any `Content-Encoding` already undone.
    pub body: &'a [u8],
    /// The `Content-Type` response header, if any (for its charset).
    pub content_type: Option<&'a str>,
    /// When the page was fetched (for relative dates, flagged as such), or
    /// [`PageInput::UNKNOWN_FETCH_TIME`] for a saved page fetched at a time not known.
    pub fetched_at: DateTime<Utc>,
}

impl PageInput<'_> {
    /// `fetched_at` of a saved page whose fetch time is not known: relative dates ("2 days
    /// ago", "il y a 3 heures") are then refused rather than read against the present.
    pub const UNKNOWN_FETCH_TIME: DateTime<Utc> = DateTime::<Utc>::MIN_UTC;

    /// When the page was fetched, if known.
    pub fn fetch_time(&self) -> Option<DateTime<Utc>> {
        (self.fetched_at != Self::UNKNOWN_FETCH_TIME).then_some(self.fetched_at)
    }
}

/// Compiled CSS selectors of a site profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileSelectors {
    /// Article title.
    pub title: Option<CssSelector>,
    /// Body container(s).
    pub body: Option<CssSelector>,
    /// Category link(s) or label(s).
    pub category: Option<CssSelector>,
    /// Published date.
    pub published: Option<CssSelector>,
    /// Modified date.
    pub modified: Option<CssSelector>,
    /// Author name(s).
    pub author: Option<CssSelector>,
    /// Related-links container(s).
    pub related: Option<CssSelector>,
}

impl ProfileSelectors {
    /// Compiles a profile's selectors (already validated when the profile was loaded).
    /// Empty selectors count as absent; the error names the field and the reason.
    pub fn compile(config: &SelectorConfig) -> Result<ProfileSelectors, String> {
        fn one(name: &str, css: &Option<String>) -> Result<Option<CssSelector>, String> {
            match css.as_deref().map(str::trim) {
                None | Some("") => Ok(None),
                Some(text) => CssSelector::parse(text)
                    .map(Some)
                    .map_err(|e| format!("selectors.{name}: invalid CSS selector {text:?}: {e}")),
            }
        }
        Ok(ProfileSelectors {
            title: one("title", &config.title)?,
            body: one("body", &config.body)?,
            category: one("category", &config.category)?,
            published: one("published", &config.published)?,
            modified: one("modified", &config.modified)?,
            author: one("author", &config.author)?,
            related: one("related", &config.related)?,
        })
    }
}

/// How a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkSource {
    /// `<a href>` / `<area href>`.
    Anchor,
    /// A page requisite: stylesheet `<link>`, `<script src>`, `<img src>`.
    Asset,
    /// The page's `<link rel="canonical">`: another address of the same document.
    Canonical,
}

/// A link found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundLink {
    /// Absolute URL (against `<base href>` or the page URL), fragment removed; http(s) only.
    pub url: Url,
    /// In a related-articles block ("À lire aussi", "Lire aussi", "Voir aussi", …, or the profile's `related` selector).
    pub related: bool,
    /// How it was found.
    pub source: LinkSource,
}

/// Everything read from one page.
#[derive(Debug, Clone)]
pub struct PageAnalysis {
    /// Links, in document order, each URL once.
    pub links: Vec<FoundLink>,
    /// The article, when asked for (`want_article`) or when the page declares itself an article.
    pub article: Option<Article>,
}

/// Whether the caller wants the article of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Always (`glaneur extract`, a profile's `article` pattern matched).
    Yes,
    /// Only when the page declares itself an article (JSON-LD Article types,
    /// `og:type=article`, a WordPress post's marks) and not no article.
    Declared,
    /// A guess from the URL (no profile pattern: `crawl::classify::looks_like_article`):
    /// when it guesses yes, or the page declares itself an article; never when the page
    /// declares itself no article (a WordPress static page, attachment page, listing,
    /// search, the second page of a post or a comment page, see `kind.rs`).
    Guess(bool),
}

/// Reads a page once: links always, the article when `want_article` is true or the page
/// declares itself an article (see [`Want::Declared`]). Non-HTML bodies give no links and
/// no article. At most [`DEFAULT_MAX_LINKS`] links are read.
pub fn analyze(
    page: &PageInput<'_>,
    selectors: Option<&ProfileSelectors>,
    want_article: bool,
) -> PageAnalysis {
    analyze_with_limit(page, selectors, want_article, DEFAULT_MAX_LINKS)
}

/// [`analyze`] reading at most `max_links` distinct links (the first ones in document
/// order): a page with a million links costs no more than one with `max_links`.
pub fn analyze_with_limit(
    page: &PageInput<'_>,
    selectors: Option<&ProfileSelectors>,
    want_article: bool,
    max_links: usize,
) -> PageAnalysis {
    let want = if want_article {
        Want::Yes
    } else {
        Want::Declared
    };
    analyze_wanting(page, selectors, want, max_links)
}

/// [`analyze_with_limit`] with the finer [`Want`] the crawl knows.
pub fn analyze_wanting(
    page: &PageInput<'_>,
    selectors: Option<&ProfileSelectors>,
    want: Want,
    max_links: usize,
) -> PageAnalysis {
    if !is_html(page.content_type, page.body) {
        return PageAnalysis {
            links: Vec::new(),
            article: None,
        };
    }
    let tld = page
        .url
        .host_str()
        .and_then(|h| h.rsplit('.').next())
        .map(str::as_bytes);
    let (text, _, _) = charset::decode_cow(page.body, page.content_type, tld);
    let doc = html::parse(text, MAX_NESTING);
    let dom = dom::Dom::new(&doc);
    let profile_related = selectors
        .and_then(|s| s.related.as_ref())
        .map(|sel| dom.select(sel))
        .unwrap_or_default();
    let related = links::related_blocks(&dom, &profile_related);
    let links = links::collect_links(&dom, page.url, &related, max_links);
    let meta = meta::Meta::collect(&dom);
    // A page that says it is a post is an article whatever its URL (`/?p=123`); one that
    // says it is a static page, an attachment, a listing or a continuation is none.
    let declared = kind::declared_kind(&dom, page.url);
    let says_article = meta.declares_article() || declared == kind::DeclaredKind::Post;
    let wanted = match want {
        Want::Yes => true,
        Want::Declared => says_article,
        Want::Guess(guess) => guess || says_article,
    };
    let article = if wanted && (want == Want::Yes || declared != kind::DeclaredKind::NotArticle) {
        let mut article = article::build(page, &dom, &meta, selectors, &related, &links);
        article.wp_rest = kind::rest_post_link(&dom, page.url).map(String::from);
        Some(article)
    } else {
        None
    };
    PageAnalysis { links, article }
}

/// True if the body is HTML: an HTML/XHTML `Content-Type`, or a start that looks like HTML.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if let Some(ct) = content_type {
        let ct = ct.to_ascii_lowercase();
        if ct.contains("html") {
            return true;
        }
    }
    let start = body
        .strip_prefix(b"\xef\xbb\xbf".as_slice())
        .unwrap_or(body);
    let head: Vec<u8> = start
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(4096)
        .map(u8::to_ascii_lowercase)
        .collect();
    if head.first() != Some(&b'<') || head.starts_with(b"<?xml") && !contains(&head, b"<html") {
        return false;
    }
    // A page may open with a long inline style or script before any other tag.
    const FIRST_TAGS: &[&[u8]] = &[b"<style", b"<script", b"<!--", b"<noscript", b"<div"];
    if FIRST_TAGS.iter().any(|t| head.starts_with(t)) {
        return true;
    }
    [
        b"<!doctype html".as_slice(),
        b"<html",
        b"<head",
        b"<body",
        b"<meta",
        b"<title",
        b"<div",
        b"<p>",
        b"<table",
        b"<br",
        b"<a href",
        b"<link",
    ]
    .iter()
    .any(|p| contains(&head, p))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

impl Article {
    /// True when the page is not an article of its own: it asks not to be indexed
    /// (`noindex`) and names another URL as canonical (on its site or elsewhere). The
    /// crawl archives such a page but writes no article record for it.
    pub fn defers_to_canonical(&self) -> bool {
        self.noindex
            && self
                .canonical_url
                .as_deref()
                .is_some_and(|c| !same_address(&self.url, c))
    }
}

/// True when two absolute URLs name the same resource once canonicalised
/// ([`crate::urls::canonicalize`]); an unparsable one is compared as written.
fn same_address(a: &str, b: &str) -> bool {
    let canonical = |s: &str| {
        Url::parse(s)
            .ok()
            .and_then(|u| crate::urls::canonicalize(&u))
            .map(String::from)
            .unwrap_or_else(|| s.to_string())
    };
    canonical(a) == canonical(b)
}

/// The fields of a news article, each with the method that found it.
///
/// Stored as JSON in the crawl's `metadata` records; every field has a default, so records
/// written by other versions of glaneur (fields missing or added) still read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Article {
    /// The page URL.
    pub url: String,
    /// `<link rel="canonical">` or `og:url`.
    pub canonical_url: Option<String>,
    /// Title (site-name suffix removed).
    pub title: Option<String>,
    /// Body as plain text, paragraphs separated by blank lines.
    pub body: Option<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// Tags / keywords.
    pub tags: Vec<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Publication date-time (RFC 3339; a date-only value has no time part).
    pub published: Option<String>,
    /// The publication day as the page shows it, `YYYY-MM-DD`: the publisher's local day,
    /// which differs from the UTC day of `published` when only a UTC time is given and
    /// the page's URL or byline shows the day before or after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_day: Option<String>,
    /// Last modification date-time (the publication date when the page shows no update).
    pub modified: Option<String>,
    /// Language (BCP 47, e.g. `fr`).
    pub language: Option<String>,
    /// Description / standfirst.
    pub description: Option<String>,
    /// Links of the related-articles block.
    pub related: Vec<String>,
    /// The page asks not to be indexed (`<meta name="robots" content="noindex">`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noindex: bool,
    /// The REST route of the WordPress post the page is (`…/wp-json/wp/v2/posts/21`), on
    /// the page's host: the crawl archives its JSON, which completes the modification
    /// date the page does not show (method `wp-rest`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_rest: Option<String>,
    /// The method that found each field: field name → one of
    /// `selector`, `json-ld`, `meta`, `itemprop`, `time`, `text`, `url`, `relative`,
    /// `wp-rest` (filled on reading from the WordPress post's own JSON),
    /// `script` (a publication key in an inline script), `label` (a date after a
    /// publication label), `dateline` (a dateline at the head of the text), `search` (the most plausible
    /// date shown), `heuristic`, `published` (a modification date that is the
    /// publication date, no update being shown), and for categories and authors `rel`,
    /// `class`, `href`, `breadcrumb`, `label`.
    pub methods: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_noindex_page_with_a_canonical_elsewhere_defers_to_it() {
        let page = |noindex: bool, canonical: Option<&str>| Article {
            url: "http://h.test/post/?comments=all".into(),
            canonical_url: canonical.map(str::to_string),
            noindex,
            ..Article::default()
        };
        assert!(page(true, Some("http://h.test/post/")).defers_to_canonical());
        assert!(page(true, Some("https://other.test/original")).defers_to_canonical());
        // Its own address (once canonicalised), no canonical, or indexable: an article.
        assert!(
            !page(
                true,
                Some("http://H.test/post/?comments=all&utm_source=x#c")
            )
            .defers_to_canonical()
        );
        assert!(!page(true, None).defers_to_canonical());
        assert!(!page(false, Some("http://h.test/post/")).defers_to_canonical());
    }

    #[test]
    fn noindex_is_stored_only_when_set() {
        let plain = serde_json::to_string(&Article::default()).expect("json");
        assert!(!plain.contains("noindex"), "{plain}");
        let marked = Article {
            noindex: true,
            ..Article::default()
        };
        let json = serde_json::to_string(&marked).expect("json");
        let back: Article = serde_json::from_str(&json).expect("read back");
        assert!(back.noindex);
    }
}
