//! Site profiles (`seeds/*.toml`): where a site starts, what is in scope, which URLs
//! are articles, and the CSS selectors the extractor uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use serde_spanned::Spanned;
use url::Url;

use super::profile_hints::{regex_fix, selector_problem};
use super::{ConfigError, read_file};
use crate::render::RenderMode;

/// Default `max_depth`.
pub const DEFAULT_MAX_DEPTH: u32 = 4;

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
    /// RSS/Atom feeds of the site (`feeds = [...]`), http(s) URLs, fetched every run.
    pub feeds: Vec<Url>,
    /// Incremental runs re-check articles last fetched longer ago than this
    /// (`recheck_articles = "7d"`).
    pub recheck_articles: Duration,
    /// Incremental runs re-check, every run, articles first fetched less than this long
    /// ago (`fresh_articles = "2d"`).
    pub fresh_articles: Duration,
    /// Query parameters that make another address of the same page on this site, removed
    /// from its URLs besides [`crate::urls::DUPLICATE_PARAMS`] (`duplicate_params =
    /// ["xtor", "ref_*"]`; a name ending in `*` is a prefix).
    pub duplicate_params: Vec<String>,
    /// When its pages are rendered in a browser (`render = "auto"`; see [`RenderMode`]).
    pub render: RenderMode,
    /// Whether the crawl archives the REST JSON of each WordPress post page with it
    /// (`wordpress_rest = false` turns it off; on by default).
    pub wordpress_rest: bool,
    /// The file this profile came from (None for a generic profile built from a bare URL).
    pub source: Option<PathBuf>,
    /// The 1-based line of each start URL in [`SiteProfile::source`] (see
    /// [`SiteProfile::start_line`]); empty for a generic profile.
    pub start_lines: Vec<(Url, usize)>,
}

/// A profile file as written (positions kept for error messages).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: Option<Spanned<String>>,
    start: Option<Spanned<Vec<Spanned<String>>>>,
    scope: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    article: Option<Spanned<String>>,
    max_depth: Option<u32>,
    #[serde(default)]
    selectors: RawSelectors,
    #[serde(default)]
    feeds: Vec<Spanned<String>>,
    recheck_articles: Option<Spanned<String>>,
    fresh_articles: Option<Spanned<String>>,
    #[serde(default)]
    duplicate_params: Vec<String>,
    render: Option<Spanned<String>>,
    wordpress_rest: Option<bool>,
}

/// Default `recheck_articles`: a week.
pub const DEFAULT_RECHECK_ARTICLES: Duration = Duration::from_secs(7 * 24 * 3600);
/// Default `fresh_articles`: two days.
pub const DEFAULT_FRESH_ARTICLES: Duration = Duration::from_secs(2 * 24 * 3600);

/// The `[selectors]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSelectors {
    title: Option<Spanned<String>>,
    body: Option<Spanned<String>>,
    category: Option<Spanned<String>>,
    published: Option<Spanned<String>>,
    modified: Option<Spanned<String>>,
    author: Option<Spanned<String>>,
    related: Option<Spanned<String>>,
}

/// `scheme://host[:port]/` of a URL.
fn origin_prefix(url: &Url) -> String {
    match crate::urls::host_key(url) {
        Some(host) => format!("{}://{host}/", url.scheme()),
        None => url.as_str().to_string(),
    }
}

/// The start URLs of a profile, the line of each, and its scope prefixes.
struct StartAndScope(Vec<Url>, Vec<(Url, usize)>, Vec<String>);

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err<T>(&self, span: std::ops::Range<usize>, message: String) -> Result<T, ConfigError> {
        Err(ConfigError::at(
            self.path,
            self.text,
            Some(span.start),
            message,
        ))
    }

    /// An absolute http(s) URL with a host.
    fn http_url(&self, key: &str, v: &Spanned<String>) -> Result<Url, ConfigError> {
        let text = v.get_ref().trim();
        match Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
            Ok(u) => self.err(
                v.span(),
                format!(
                    "`{key}`: {text:?} is not an http or https URL (scheme {:?}); write a web address starting with https:// or http://, like \"https://www.example.org/\"",
                    u.scheme()
                ),
            ),
            Err(url::ParseError::RelativeUrlWithoutBase) => self.err(
                v.span(),
                format!(
                    "`{key}`: {text:?} is not a full URL; write it with its scheme and host, like \"https://www.example.org{}\"",
                    if text.starts_with('/') { text } else { "/" }
                ),
            ),
            Err(e) => self.err(
                v.span(),
                format!(
                    "`{key}`: {text:?} is not a valid URL ({e}); write it like \"https://www.example.org/\""
                ),
            ),
        }
    }

    /// A duration such as `"7d"`, `"36h"` or `"90m"` (humantime syntax).
    fn duration(
        &self,
        key: &str,
        v: &Option<Spanned<String>>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(v) = v else {
            return Ok(default);
        };
        let text = v.get_ref().trim();
        match humantime::parse_duration(text) {
            Ok(d) => Ok(d),
            Err(e) => self.err(
                v.span(),
                format!(
                    "`{key}`: {text:?} is not a duration ({e}); write a number and a unit, like `{key} = \"7d\"`, \"36h\" or \"90m\""
                ),
            ),
        }
    }

    fn regex(&self, key: &str, v: &Spanned<String>) -> Result<Regex, ConfigError> {
        Regex::new(v.get_ref()).or_else(|e| {
            // The regex error is multi-line (pattern, caret, reason): keep it on one line.
            let reason = e
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            self.err(
                v.span(),
                format!(
                    "`{key}`: invalid regex {:?}: {reason}; {}",
                    v.get_ref(),
                    regex_fix(&reason)
                ),
            )
        })
    }

    fn selector(
        &self,
        key: &str,
        v: &Option<Spanned<String>>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(v) = v else { return Ok(None) };
        let css = v.get_ref().trim();
        if css.is_empty() {
            return Ok(None);
        }
        match scraper::Selector::parse(css) {
            Ok(_) => Ok(Some(css.to_string())),
            Err(e) => self.err(
                v.span(),
                format!(
                    "`selectors.{key}`: invalid CSS selector {css:?}: {}; write a CSS selector like \"div.entry-content\", \"h1.title\" or \"a[rel~='category']\" (try it in the browser console with document.querySelectorAll)",
                    selector_problem(&e)
                ),
            ),
        }
    }

    /// The `start` URLs (canonicalised, each once, with the line of each) and the `scope`
    /// prefixes (by default the start URLs' origins), every start URL inside the scope.
    fn start_and_scope(&self, raw: &RawProfile) -> Result<StartAndScope, ConfigError> {
        let Some(start_list) = &raw.start else {
            return Err(ConfigError::at(
                self.path,
                self.text,
                Some(0),
                "missing key `start` (the start URLs); add a line like `start = [\"https://www.example.org/\"]`",
            ));
        };
        if start_list.get_ref().is_empty() {
            return self.err(
                start_list.span(),
                "`start` must list at least one URL; write it like `start = [\"https://www.example.org/\"]`".into(),
            );
        }
        let mut start = Vec::new();
        let mut start_lines = Vec::new();
        for v in start_list.get_ref() {
            let url = self.http_url("start", v)?;
            let url = crate::urls::canonicalize(&url).unwrap_or(url);
            if !start.contains(&url) {
                start_lines.push((url.clone(), super::line_of(self.text, v.span().start)));
                start.push(url);
            }
        }

        let mut scope: Vec<String> = Vec::new();
        match &raw.scope {
            Some(list) => {
                if list.get_ref().is_empty() {
                    return self.err(
                        list.span(),
                        "`scope` must list at least one URL prefix; remove the line to crawl the start URLs' hosts, or write it like `scope = [\"https://www.example.org/news/\"]`".into(),
                    );
                }
                for v in list.get_ref() {
                    let prefix = self.http_url("scope", v)?.to_string();
                    if !scope.contains(&prefix) {
                        scope.push(prefix);
                    }
                }
            }
            None => {
                for url in &start {
                    let prefix = origin_prefix(url);
                    if !scope.contains(&prefix) {
                        scope.push(prefix);
                    }
                }
            }
        }
        for url in &start {
            if !scope.iter().any(|p| url.as_str().starts_with(p.as_str())) {
                let at = start_list
                    .get_ref()
                    .iter()
                    .find(|v| {
                        Url::parse(v.get_ref().trim())
                            .ok()
                            .and_then(|u| crate::urls::canonicalize(&u))
                            .as_ref()
                            == Some(url)
                    })
                    .map(|v| v.span())
                    .unwrap_or_else(|| start_list.span());
                return self.err(
                    at,
                    format!(
                        "start URL {url} is outside every `scope` prefix; add a prefix of it to `scope`, like \"{}\", or remove `scope`",
                        origin_prefix(url)
                    ),
                );
            }
        }
        Ok(StartAndScope(start, start_lines, scope))
    }
}

impl SiteProfile {
    /// A generic profile for a bare URL: scope is the URL's scheme and host, no selectors.
    /// Its name is the URL's host (with `:port` when not default); no article pattern
    /// (the crawl decides), `max_depth` 4.
    pub fn generic(url: &Url) -> SiteProfile {
        let start = crate::urls::canonicalize(url).unwrap_or_else(|| url.clone());
        SiteProfile {
            name: crate::urls::host_key(url).unwrap_or_else(|| url.as_str().to_string()),
            scope: vec![origin_prefix(&start)],
            start: vec![start],
            deny: Vec::new(),
            article: None,
            max_depth: DEFAULT_MAX_DEPTH,
            selectors: SelectorConfig::default(),
            feeds: Vec::new(),
            recheck_articles: DEFAULT_RECHECK_ARTICLES,
            fresh_articles: DEFAULT_FRESH_ARTICLES,
            duplicate_params: Vec::new(),
            render: RenderMode::Never,
            wordpress_rest: true,
            source: None,
            start_lines: Vec::new(),
        }
    }

    /// The canonical form of a URL of this site ([`crate::urls::canonicalize_with`] its
    /// `duplicate_params`).
    pub fn canonicalize(&self, url: &Url) -> Option<Url> {
        crate::urls::canonicalize_with(url, &self.duplicate_params)
    }

    /// [`SiteProfile::canonicalize`] taking the URL (no copy when it is canonical already).
    pub fn canonicalize_owned(&self, url: Url) -> Option<Url> {
        crate::urls::canonicalize_owned(url, &self.duplicate_params)
    }

    /// The line of `url` in the `start` list of the profile's file, if it is listed there.
    pub fn start_line(&self, url: &Url) -> Option<usize> {
        self.start_lines
            .iter()
            .find(|(u, _)| u == url)
            .map(|(_, line)| *line)
    }

    /// Reads and validates one profile file.
    pub fn load(path: &Path) -> Result<SiteProfile, ConfigError> {
        let text = read_file(path)?;
        let mut profile = SiteProfile::parse(&text, path)?;
        profile.source = Some(path.to_path_buf());
        Ok(profile)
    }

    /// Parses one profile; `path` is used in error messages.
    ///
    /// Start URLs are canonicalised ([`crate::urls::canonicalize`]); scope prefixes are
    /// normalised by URL parsing (`https://Example.org` → `https://example.org/`).
    pub fn parse(text: &str, path: &Path) -> Result<SiteProfile, ConfigError> {
        Self::parse_spanned(text, path).map(|(profile, _)| profile)
    }

    /// [`SiteProfile::parse`], also returning the byte offset of the `name` value.
    fn parse_spanned(text: &str, path: &Path) -> Result<(SiteProfile, usize), ConfigError> {
        let raw: RawProfile =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        let cx = Ctx { path, text };

        let Some(name) = &raw.name else {
            return Err(ConfigError::at(
                path,
                text,
                Some(0),
                "missing key `name` (the site's short name); add a line like `name = \"example\"`",
            ));
        };
        let name_str = name.get_ref().trim();
        if name_str.is_empty() || name_str.contains(char::is_control) {
            return cx.err(
                name.span(),
                "`name` must be a non-empty line of text; write it like `name = \"example\"`"
                    .into(),
            );
        }

        let StartAndScope(start, start_lines, scope) = cx.start_and_scope(&raw)?;

        let deny = raw
            .deny
            .iter()
            .map(|v| cx.regex("deny", v))
            .collect::<Result<Vec<_>, _>>()?;
        let article = raw
            .article
            .as_ref()
            .filter(|v| !v.get_ref().is_empty())
            .map(|v| cx.regex("article", v))
            .transpose()?;
        let feeds = raw
            .feeds
            .iter()
            .map(|v| cx.http_url("feeds", v))
            .collect::<Result<Vec<_>, _>>()?;
        let recheck_articles = cx.duration(
            "recheck_articles",
            &raw.recheck_articles,
            DEFAULT_RECHECK_ARTICLES,
        )?;
        let fresh_articles = cx.duration(
            "fresh_articles",
            &raw.fresh_articles,
            DEFAULT_FRESH_ARTICLES,
        )?;
        let render = match &raw.render {
            Some(v) => RenderMode::parse(v.get_ref()).or_else(|e| {
                let fix = "write \"never\", \"auto\", \"always\" or a regex of the URLs to render";
                cx.err(
                    v.span(),
                    format!(
                        "bad `render` ({}): {fix}",
                        e.to_string().lines().last().unwrap_or("")
                    ),
                )
            })?,
            None => RenderMode::Never,
        };
        let s = &raw.selectors;
        let selectors = SelectorConfig {
            title: cx.selector("title", &s.title)?,
            body: cx.selector("body", &s.body)?,
            category: cx.selector("category", &s.category)?,
            published: cx.selector("published", &s.published)?,
            modified: cx.selector("modified", &s.modified)?,
            author: cx.selector("author", &s.author)?,
            related: cx.selector("related", &s.related)?,
        };
        Ok((
            SiteProfile {
                name: name_str.to_string(),
                start,
                scope,
                deny,
                article,
                max_depth: raw.max_depth.unwrap_or(DEFAULT_MAX_DEPTH),
                selectors,
                feeds,
                recheck_articles,
                fresh_articles,
                duplicate_params: raw.duplicate_params.clone(),
                render,
                wordpress_rest: raw.wordpress_rest.unwrap_or(true),
                source: None,
                start_lines,
            },
            name.span().start,
        ))
    }

    /// True if `url` starts with one of the scope prefixes and matches no deny pattern.
    pub fn allows(&self, url: &Url) -> bool {
        let s = url.as_str();
        self.scope.iter().any(|p| s.starts_with(p.as_str()))
            && !self.deny.iter().any(|re| re.is_match(s))
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
///
/// A file given by name is loaded whatever its extension; a directory contributes its
/// `*.toml` files (not recursively), and a directory without any is not an error.
pub fn load_profiles(paths: &[PathBuf]) -> Result<Vec<SiteProfile>, ConfigError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            let mut found = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|source| ConfigError::Io {
                    path: path.clone(),
                    source,
                })?;
                let file = entry.path();
                if file.extension().is_some_and(|e| e == "toml") && file.is_file() {
                    found.push(file);
                }
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut profiles: Vec<SiteProfile> = Vec::new();
    for file in files {
        let text = read_file(&file)?;
        let (mut profile, name_at) = SiteProfile::parse_spanned(&text, &file)?;
        profile.source = Some(file.clone());
        if let Some(first) = profiles.iter().find(|p| p.name == profile.name) {
            return Err(ConfigError::at(
                &file,
                &text,
                Some(name_at),
                format!(
                    "profile name {:?} is already used by {}; give each profile its own `name`",
                    profile.name,
                    first
                        .source
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ),
            ));
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "seeds/example.toml";

    fn parse(text: &str) -> Result<SiteProfile, ConfigError> {
        SiteProfile::parse(text, Path::new(FILE))
    }

    fn fails(text: &str) -> (Option<usize>, String) {
        let err = parse(text).expect_err("must be refused");
        let msg = err.to_string();
        assert!(msg.starts_with(FILE), "error does not name the file: {msg}");
        (err.line(), msg)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    const GOOD: &str = r#"
name = "example"
start = ["https://WWW.Example.org/news/?utm_source=x#top", "https://www.example.org/news/"]
scope = ["https://www.example.org/news", "http://cdn.example.org/img/"]
deny = ['/wp-admin/', 'replytocom=']
article = '-\d+\.html$'
max_depth = 2
feeds = ["https://www.example.org/feed"]
recheck_articles = "3d"
fresh_articles = "12h"
[selectors]
title = "h1.entry-title"
body = ".entry-content"
category = "a[rel~='category']"
published = "time.entry-date.published"
modified = ""
related = "  "
"#;

    #[test]
    fn good_profile_parses_to_the_expected_values() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.name, "example");
        // Start URLs are canonicalised and deduplicated.
        assert_eq!(p.start, vec![url("https://www.example.org/news/")]);
        assert_eq!(p.start_line(&url("https://www.example.org/news/")), Some(3));
        assert_eq!(p.start_line(&url("https://www.example.org/other/")), None);
        assert_eq!(
            p.scope,
            vec![
                "https://www.example.org/news".to_string(),
                "http://cdn.example.org/img/".to_string()
            ]
        );
        assert_eq!(p.deny.len(), 2);
        assert_eq!(p.max_depth, 2);
        assert_eq!(p.feeds, vec![url("https://www.example.org/feed")]);
        assert_eq!(p.recheck_articles, Duration::from_secs(3 * 86400));
        assert_eq!(p.fresh_articles, Duration::from_secs(12 * 3600));
        assert_eq!(p.selectors.title.as_deref(), Some("h1.entry-title"));
        assert_eq!(p.selectors.body.as_deref(), Some(".entry-content"));
        assert_eq!(p.selectors.category.as_deref(), Some("a[rel~='category']"));
        assert_eq!(
            p.selectors.published.as_deref(),
            Some("time.entry-date.published")
        );
        assert_eq!(p.selectors.modified, None);
        assert_eq!(p.selectors.related, None);
        assert_eq!(p.selectors.author, None);
        assert_eq!(p.source, None);

        assert!(p.allows(&url("https://www.example.org/news/a-12.html")));
        assert!(p.allows(&url("http://cdn.example.org/img/x.png")));
        assert!(!p.allows(&url("https://www.example.org/about")));
        assert!(!p.allows(&url("https://www.example.org/news/wp-admin/x")));
        assert!(!p.allows(&url("https://www.example.org/news/a-1.html?replytocom=3")));
        assert!(!p.allows(&url("https://evil.test/news/a-12.html")));
        assert!(p.is_article(&url("https://www.example.org/news/a-12.html")));
        assert!(!p.is_article(&url("https://www.example.org/news/")));
    }

    #[test]
    fn defaults_when_keys_are_missing() {
        let p =
            parse("name = \"x\"\nstart = [\"http://Example.org:8080/a\", \"https://b.test/\"]\n")
                .unwrap();
        assert_eq!(p.scope, vec!["http://example.org:8080/", "https://b.test/"]);
        assert_eq!(p.max_depth, DEFAULT_MAX_DEPTH);
        assert!(p.deny.is_empty());
        assert!(p.article.is_none());
        assert!(p.feeds.is_empty());
        assert_eq!(p.recheck_articles, DEFAULT_RECHECK_ARTICLES);
        assert_eq!(p.fresh_articles, DEFAULT_FRESH_ARTICLES);
        assert_eq!(p.selectors, SelectorConfig::default());
        assert!(p.allows(&url("http://example.org:8080/zzz")));
        assert!(!p.allows(&url("http://example.org/zzz")));
        assert!(!p.is_article(&url("http://example.org:8080/a-1.html")));
        assert!(matches!(p.render, RenderMode::Never));
        assert!(p.wordpress_rest);
        let off = parse("name = \"x\"\nstart = [\"http://a.test/\"]\nwordpress_rest = false\n")
            .expect("wordpress_rest");
        assert!(!off.wordpress_rest);
    }

    #[test]
    fn render_is_a_mode_or_a_regex_and_a_bad_one_names_its_line() {
        let base = "name = \"x\"\nstart = [\"http://a.test/\"]\n";
        let auto = parse(&format!("{base}render = \"auto\"\n")).expect("auto");
        assert!(matches!(auto.render, RenderMode::Auto));
        let some = parse(&format!("{base}render = '/live/\\d+'\n")).expect("regex");
        assert!(matches!(some.render, RenderMode::Matching(_)));
        let (at, message) = fails(&format!("{base}render = '(unclosed'\n"));
        assert!(at.is_some() && message.contains("render"), "{message}");
        assert!(message.contains("\"auto\""), "{message}");
    }

    #[test]
    fn generic_profile() {
        let p = SiteProfile::generic(&url("http://127.0.0.1:8000/start?utm_source=x#f"));
        assert_eq!(p.name, "127.0.0.1:8000");
        assert_eq!(p.start, vec![url("http://127.0.0.1:8000/start")]);
        assert_eq!(p.scope, vec!["http://127.0.0.1:8000/"]);
        assert_eq!(p.max_depth, 4);
        assert!(p.article.is_none());
        assert!(p.allows(&url("http://127.0.0.1:8000/x")));
        assert!(!p.allows(&url("http://127.0.0.1:8001/x")));
        assert!(!p.allows(&url("https://127.0.0.1:8000/x")));
        let p = SiteProfile::generic(&url("https://News.Example.org/"));
        assert_eq!(p.name, "news.example.org");
        assert_eq!(p.scope, vec!["https://news.example.org/"]);
    }

    #[test]
    fn bad_profiles_name_file_and_line() {
        for (text, want, what) in [
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nfoo = 1\n",
                3,
                "foo",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\n[selectors]\ntitle = \"h1\"\nauthr = \"x\"\n",
                5,
                "authr",
            ),
            ("name = \"x\"\nstart = []\n", 2, "at least one"),
            (
                "name = \"x\"\nstart = [\n  \"https://a.test/\",\n  \"ftp://a.test/\",\n]\n",
                4,
                "http",
            ),
            (
                "name = \"x\"\nstart = [\"not a url\"]\n",
                2,
                "not a full URL",
            ),
            (
                "name = \"x\"\nstart = \"https://a.test/\"\n",
                2,
                "list in brackets",
            ),
            ("name = \"\"\nstart = [\"https://a.test/\"]\n", 1, "name"),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nscope = []\n",
                3,
                "scope",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nscope = [\"https://b.test/\"]\n",
                2,
                "outside",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\ndeny = [\n 'ok',\n '(unclosed',\n]\n",
                5,
                "invalid regex",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\n\narticle = '[z-a]'\n",
                4,
                "article",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nmax_depth = -1\n",
                3,
                "max_depth",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\n[selectors]\ntitle = \"h1\"\nbody = \"div[\"\n",
                5,
                "selectors.body",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\n[selectors]\nrelated = \"::nope\"\n",
                4,
                "related",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nfeeds = [\"/feed\"]\n",
                3,
                "feeds",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\n\nrecheck_articles = \"weekly\"\n",
                4,
                "recheck_articles",
            ),
            (
                "name = \"x\"\nstart = [\"https://a.test/\"]\nfresh_articles = \"2x\"\n",
                3,
                "fresh_articles",
            ),
            ("name = \"x\"\nstart = [\"https://a.test/\"\n", 2, ""),
        ] {
            let (line, msg) = fails(text);
            assert_eq!(line, Some(want), "{text:?}: {msg}");
            assert!(msg.contains(&format!("{FILE}:{want}: ")), "{msg}");
            assert!(msg.contains(what), "{text:?}: {msg}");
        }
    }

    #[test]
    fn missing_required_keys() {
        let (_, msg) = fails("start = [\"https://a.test/\"]\n");
        assert!(msg.contains("`name`"), "{msg}");
        let (_, msg) = fails("name = \"x\"\n");
        assert!(msg.contains("`start`"), "{msg}");
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn load_profiles_from_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let seeds = dir.path().join("seeds");
        std::fs::create_dir(&seeds).unwrap();
        write(
            &seeds,
            "b.toml",
            "name = \"b\"\nstart = [\"https://b.test/\"]\n",
        );
        write(
            &seeds,
            "a.toml",
            "name = \"a\"\nstart = [\"https://a.test/\"]\n",
        );
        write(&seeds, "notes.txt", "not a profile");
        let extra = write(
            dir.path(),
            "c.conf",
            "name = \"c\"\nstart = [\"https://c.test/\"]\n",
        );
        let got = load_profiles(&[seeds.clone(), extra.clone()]).unwrap();
        let names: Vec<&str> = got.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "c"]);
        assert_eq!(
            got[0].source.as_deref(),
            Some(seeds.join("a.toml").as_path())
        );
        assert_eq!(got[2].source.as_deref(), Some(extra.as_path()));

        // An empty directory is fine.
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(load_profiles(&[empty]).unwrap().is_empty());

        // A missing path is an I/O error naming it.
        let err = load_profiles(&[dir.path().join("nope.toml")]).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert!(err.to_string().contains("nope.toml"));

        // A duplicate name is refused, at the line of the second `name`.
        let dup = write(
            dir.path(),
            "dup.toml",
            "# same name\nstart = [\"https://d.test/\"]\nname = \"a\"\n",
        );
        let err = load_profiles(&[seeds.clone(), dup]).unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("dup.toml:3:") && msg.contains("a.toml"),
            "{msg}"
        );

        // A bad file in a directory names that file.
        write(
            &seeds,
            "z.toml",
            "name = \"z\"\nstart = [\"https://z.test/\"]\nmax_depht = 3\n",
        );
        let err = load_profiles(&[seeds]).unwrap_err();
        assert!(err.to_string().contains("z.toml:3:"), "{err}");
    }

    #[test]
    fn shipped_silicon_profile() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds/silicon.fr.toml");
        let p = SiteProfile::load(&path).unwrap();
        assert_eq!(p.name, "silicon.fr");
        assert_eq!(p.start, vec![url("https://www.silicon.fr/")]);
        assert_eq!(p.feeds, vec![url("https://www.silicon.fr/feed")]);
        assert_eq!(p.selectors.title.as_deref(), Some("h1.entry-title"));
        assert_eq!(p.selectors.related, None);
        for article in [
            "https://www.silicon.fr/cloud-souverain-ovhcloud-470123.html",
            "https://www.silicon.fr/ia-generative-les-dsi-face-au-shadow-ai-481234.html",
            "https://www.silicon.fr/cybersecurite-1371/ransomware-hopital-485012",
            "https://www.silicon.fr/data-ia-1372/mistral-ai-leve-600-millions-479876/",
        ] {
            let u = url(article);
            assert!(p.is_article(&u), "{article}");
            assert!(p.allows(&u), "{article}");
        }
        for other in [
            "https://www.silicon.fr/",
            "https://www.silicon.fr/cybersecurite-1371/",
            "https://www.silicon.fr/cybersecurite-1371",
            "https://www.silicon.fr/cybersecurite-1371/page/2",
            "https://www.silicon.fr/feed",
            "https://www.silicon.fr/cloud-souverain-470123.html?replytocom=12",
            "https://www.silicon.fr/auteur/jean-dupont",
            "https://www.silicon.fr/tag/ia",
            "https://www.silicon.fr/dossiers/cybersecurite-1371/ransomware-hopital-485012",
        ] {
            assert!(!p.is_article(&url(other)), "{other}");
        }
        for denied in [
            "https://www.silicon.fr/wp-admin/edit.php",
            "https://www.silicon.fr/?s=cloud",
            "https://www.silicon.fr/a-1.html?replytocom=5",
            "https://www.silicon.fr/wp-json/wp/v2/posts",
        ] {
            assert!(!p.allows(&url(denied)), "{denied}");
        }
        assert!(!p.allows(&url("https://silicon.fr/a-123.html")));
        assert!(p.allows(&url("https://www.silicon.fr/cybersecurite-1371/")));
    }
}
