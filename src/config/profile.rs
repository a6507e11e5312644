//! Site profiles (`seeds/*.toml`): where a site starts, what is in scope, which URLs
//! are articles, and the CSS selectors the extractor uses.

use std::path::{Path, PathBuf};

use regex::Regex;
use url::Url;

use super::ConfigError;

/// CSS selectors of a profile's `[selectors]` table, validated at load time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelectorConfig {
    /// Article title.
    pub title: Option<String>,
    /// Article body container(s).
    pub body: Option<String>,
    /// Category link(s) or label(s).
    pub category: Option<String>,
    /// Published date (a `datetime`/`content` attribute is preferred to text).
    pub published: Option<String>,
    /// Modified date.
    pub modified: Option<String>,
    /// Author name(s).
    pub author: Option<String>,
    /// Container(s) of related-article links.
    pub related: Option<String>,
}

/// One site to crawl.
#[derive(Debug, Clone)]
pub struct SiteProfile {
    /// Short name, unique among the loaded profiles.
    pub name: String,
    /// Start URLs.
    pub start: Vec<Url>,
    /// URL prefixes in scope (default: `scheme://host/` of each start URL).
    pub scope: Vec<String>,
    /// URLs matching any of these are skipped.
    pub deny: Vec<Regex>,
    /// URLs matching this are article pages (None: no URL is classified as an article by URL).
    pub article: Option<Regex>,
    /// Links deeper than this many hops from a start URL are not followed.
    pub max_depth: u32,
    /// Selectors for extraction.
    pub selectors: SelectorConfig,
    /// The file this profile came from (None for a generic profile built from a bare URL).
    pub source: Option<PathBuf>,
}

impl SiteProfile {
    /// A generic profile for a bare URL: scope is the URL's scheme and host, no selectors.
    pub fn generic(url: &Url) -> SiteProfile {
        todo!("{url}")
    }

    /// Parses one profile; `path` is used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<SiteProfile, ConfigError> {
        todo!("{text}{path:?}")
    }

    /// True if `url` starts with one of the scope prefixes and matches no deny pattern.
    pub fn allows(&self, url: &Url) -> bool {
        todo!("{url}")
    }

    /// True if `url` is an article page according to the `article` regex.
    pub fn is_article(&self, url: &Url) -> bool {
        self.article
            .as_ref()
            .is_some_and(|re| re.is_match(url.as_str()))
    }
}

/// Loads every `*.toml` profile from the given files and directories (sorted by file name).
/// Duplicate names are an error.
pub fn load_profiles(paths: &[PathBuf]) -> Result<Vec<SiteProfile>, ConfigError> {
    todo!("{paths:?}")
}
