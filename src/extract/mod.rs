//! Reading pages: the character set, the links (with related-article blocks), and the
//! article's fields, from one parse of the page. Never touches the network; never panics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::SelectorConfig;

/// A page to read.
#[derive(Debug, Clone, Copy)]
pub struct PageInput<'a> {
    /// The page's URL (base for relative links unless `<base href>` says otherwise).
    pub url: &'a Url,
    /// The body with any `Content-Encoding` already undone.
    pub body: &'a [u8],
    /// The `Content-Type` response header, if any (for its charset).
    pub content_type: Option<&'a str>,
    /// When the page was fetched (for relative dates, flagged as such).
    pub fetched_at: DateTime<Utc>,
}

/// Compiled CSS selectors of a site profile.
#[derive(Debug, Clone)]
pub struct ProfileSelectors {}

impl ProfileSelectors {
    /// Compiles a profile's selectors (already validated when the profile was loaded).
    pub fn compile(config: &SelectorConfig) -> Result<ProfileSelectors, String> {
        todo!("{config:?}")
    }
}

/// How a link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkSource {
    /// `<a href>` / `<area href>`.
    Anchor,
    /// A page requisite: stylesheet `<link>`, `<script src>`, `<img src>`.
    Asset,
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

/// Reads a page once: links always, the article when `want_article` is true or the page
/// declares itself an article (JSON-LD Article types, `og:type=article`). Non-HTML bodies
/// give no links and no article.
pub fn analyze(
    page: &PageInput<'_>,
    selectors: Option<&ProfileSelectors>,
    want_article: bool,
) -> PageAnalysis {
    todo!("{page:?}{selectors:?}{want_article}")
}

/// The fields of a news article, each with the method that found it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Last modification date-time.
    pub modified: Option<String>,
    /// Language (BCP 47, e.g. `fr`).
    pub language: Option<String>,
    /// Description / standfirst.
    pub description: Option<String>,
    /// Links of the related-articles block.
    pub related: Vec<String>,
    /// The method that found each field: field name → one of
    /// `selector`, `json-ld`, `meta`, `itemprop`, `time`, `text`, `url`, `relative`, `heuristic`.
    pub methods: std::collections::BTreeMap<String, String>,
}
