//! What each page shows, as plain serialisable values: the JSON API returns them as they
//! are and the HTML views render them. Also the validation of query parameters (every
//! error a clear message for a 400 answer).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::catalog::{ArticleEntry, CaptureKind, CaptureRef, Catalog, Totals};
use super::diff::{DiffLine, DiffStats};
use super::integrity::IntegrityState;
use super::search::{Fragment, SearchSort};
use super::{App, Status};
use crate::read::timestamp14;

/// Most results per page.
pub const MAX_PER_PAGE: usize = 200;
/// Results per page unless asked.
pub const DEFAULT_PER_PAGE: usize = 50;
/// Highest page number accepted.
pub const MAX_PAGE: usize = 1_000_000;

/// A query string, checked: only known names, each at most once; empty values are absent.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Parses `raw` (the query string), allowing only `allowed` names.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, String> {
        let mut values = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(if allowed.is_empty() {
                    format!("unknown parameter `{k}`: this route takes none")
                } else {
                    format!("unknown parameter `{k}` (expected: {})", allowed.join(", "))
                });
            }
            if values.insert(k.to_string(), v.trim().to_string()).is_some() {
                return Err(format!("parameter `{k}` given twice"));
            }
        }
        values.retain(|_, v| !v.is_empty());
        Ok(Params { values })
    }

    /// A value, if given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required value.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("parameter `{name}` is required"))
    }

    /// A day (`YYYY-MM-DD`).
    pub fn day(&self, name: &str) -> Result<Option<NaiveDate>, String> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| format!("`{name}`: {v:?} is not a date (expected YYYY-MM-DD)"))
            })
            .transpose()
    }

    /// A positive integer, at most `max`.
    pub fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!(
                    "`{name}`: {v:?} is not a whole number from 1 to {max}"
                )),
            },
        }
    }

    /// A timestamp (4 to 14 digits, `YYYYMMDDhhmmss`).
    pub fn timestamp(&self, name: &str) -> Result<Option<DateTime<Utc>>, String> {
        self.get(name)
            .map(|v| {
                crate::read::parse_timestamp(v).ok_or_else(|| {
                    format!("`{name}`: {v:?} is not a timestamp (expected YYYYMMDDhhmmss)")
                })
            })
            .transpose()
    }
}

/// The filters of the article list and of the search.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Site (host without `www.`).
    pub site: Option<String>,
    /// Category (case-insensitive).
    pub category: Option<String>,
    /// Published on or after this day.
    pub from: Option<NaiveDate>,
    /// Published on or before this day.
    pub to: Option<NaiveDate>,
    /// The category trimmed and in lower case.
    #[serde(skip)]
    pub category_key: Option<String>,
}

impl Filter {
    /// The filter parameters of a query.
    pub fn from_params(p: &Params) -> Result<Filter, String> {
        let f = Filter {
            site: p.get("site").map(|s| {
                let s = s.to_ascii_lowercase();
                s.strip_prefix("www.").unwrap_or(&s).to_string()
            }),
            category: p.get("category").map(str::to_string),
            from: p.day("from")?,
            to: p.day("to")?,
            category_key: p.get("category").map(|c| c.trim().to_lowercase()),
        };
        if let (Some(a), Some(b)) = (f.from, f.to)
            && a > b
        {
            return Err(format!("`from` ({a}) is after `to` ({b})"));
        }
        Ok(f)
    }

    /// The first instant included.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    }

    /// The first instant excluded (the day after `to`).
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.to
            .map(|d| d + Duration::days(1))
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    }

    /// True when `a` passes.
    pub fn matches(&self, a: &ArticleEntry) -> bool {
        self.matches_between(a, self.since(), self.until())
    }

    /// [`Filter::matches`] with the date bounds computed once.
    fn matches_between(
        &self,
        a: &ArticleEntry,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> bool {
        if self.site.as_deref().is_some_and(|s| s != a.site) {
            return false;
        }
        if let Some(c) = &self.category_key
            && !a.category_keys.iter().any(|x| x == c)
        {
            return false;
        }
        if self.from.is_some() || self.to.is_some() {
            let Some(p) = a.published_at else {
                return false;
            };
            if since.is_some_and(|s| p < s) || until.is_some_and(|u| p >= u) {
                return false;
            }
        }
        true
    }

    /// The filter as query-string pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(s) = &self.site {
            v.push(("site", s.clone()));
        }
        if let Some(c) = &self.category {
            v.push(("category", c.clone()));
        }
        if let Some(d) = self.from {
            v.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            v.push(("to", d.to_string()));
        }
        v
    }
}

/// Builds a query string (`?a=1&b=2`, or empty).
pub fn query_string(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    format!("?{}", s.finish())
}

/// A URL-encoded value for a query string.
pub fn enc(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// The link to the capture page of `url` at `ts`.
pub fn capture_link(url: &str, ts: &str) -> String {
    format!("/capture?url={}&at={ts}", enc(url))
}

/// An article in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleItem {
    /// Id (for `/articles/{id}`).
    pub id: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Title.
    pub title: Option<String>,
    /// Primary category.
    pub category: Option<String>,
    /// Every category.
    pub categories: Vec<String>,
    /// Publication date as found.
    pub published: Option<String>,
    /// Latest capture.
    pub captured_at: Option<DateTime<Utc>>,
    /// Versions (article records) in the archive.
    pub versions: usize,
}

impl ArticleItem {
    /// The list item of an article.
    pub fn of(a: &ArticleEntry) -> ArticleItem {
        ArticleItem {
            id: a.id.clone(),
            url: a.url.clone(),
            site: a.site.clone(),
            title: a.title.clone(),
            category: a.category().map(str::to_string),
            categories: a.categories.clone(),
            published: a.published.clone(),
            captured_at: a.latest().map(|v| v.captured_at),
            versions: a.versions.len(),
        }
    }
}

/// A page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    /// Matching items.
    pub total: usize,
    /// This page (from 1).
    pub page: usize,
    /// Items per page.
    pub per_page: usize,
    /// Pages.
    pub pages: usize,
    /// The items of this page.
    pub items: Vec<T>,
}

/// Order of the article list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListSort {
    /// Newest publication first (undated last).
    #[default]
    Newest,
    /// Oldest publication first (undated last).
    Oldest,
}

/// The article list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleList {
    /// Filters applied.
    pub filter: Filter,
    /// Order.
    pub sort: ListSort,
    /// The page.
    #[serde(flatten)]
    pub results: Paged<ArticleItem>,
}

/// Pages for `total` items.
pub fn pages(total: usize, per_page: usize) -> usize {
    total.div_ceil(per_page.max(1)).max(1)
}

/// The article list for a filter.
pub fn article_list(
    c: &Catalog,
    filter: Filter,
    sort: ListSort,
    page: usize,
    per_page: usize,
) -> ArticleList {
    let (since, until) = (filter.since(), filter.until());
    let matching: Vec<&ArticleEntry> = c
        .articles
        .iter()
        .filter(|a| filter.matches_between(a, since, until))
        .collect();
    let total = matching.len();
    let skip = (page - 1).saturating_mul(per_page);
    let items: Vec<ArticleItem> = match sort {
        ListSort::Newest => matching
            .iter()
            .skip(skip)
            .take(per_page)
            .map(|a| ArticleItem::of(a))
            .collect(),
        ListSort::Oldest => {
            // Dated articles oldest first, then the undated ones.
            let dated = matching.iter().filter(|a| a.published_at.is_some()).count();
            let order = matching[..dated]
                .iter()
                .rev()
                .chain(matching[dated..].iter());
            order
                .skip(skip)
                .take(per_page)
                .map(|a| ArticleItem::of(a))
                .collect()
        }
    };
    ArticleList {
        filter,
        sort,
        results: Paged {
            total,
            page,
            per_page,
            pages: pages(total, per_page),
            items,
        },
    }
}

/// A name and a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Name.
    pub name: String,
    /// Count.
    pub count: u64,
}

fn counts(map: &std::collections::BTreeMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = map
        .iter()
        .map(|(k, n)| Count {
            name: k.clone(),
            count: *n,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    v
}

/// A WARC file on the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileView {
    /// Name.
    pub name: String,
    /// Size on disk.
    pub bytes: u64,
    /// Records.
    pub records: u64,
    /// Captures.
    pub captures: u64,
    /// Article records.
    pub articles: u64,
    /// Damage found while reading it.
    pub damaged: Vec<String>,
    /// Integrity check state.
    pub integrity: IntegrityState,
}

/// The overview.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Archive folder.
    pub archive: String,
    /// Server status.
    pub status: Status,
    /// Totals.
    pub totals: Totals,
    /// Captures per day (`YYYY-MM-DD`).
    pub captures_by_day: Vec<Count>,
    /// Articles per site.
    pub articles_by_site: Vec<Count>,
    /// Articles per primary category.
    pub articles_by_category: Vec<Count>,
    /// WARC files.
    pub files: Vec<FileView>,
}

/// The overview of the archive.
pub fn overview(app: &App, c: &Catalog) -> Overview {
    Overview {
        archive: app.archive().display().to_string(),
        status: app.status(),
        totals: c.totals.clone(),
        captures_by_day: c
            .captures_by_day
            .iter()
            .map(|(k, n)| Count {
                name: k.clone(),
                count: *n,
            })
            .collect(),
        articles_by_site: counts(&c.articles_by_site),
        articles_by_category: counts(&c.articles_by_category),
        files: c
            .scans
            .iter()
            .map(|s| FileView {
                name: s.name.clone(),
                bytes: s.stamp.size,
                records: s.records,
                captures: s.captures.len() as u64,
                articles: s.articles.len() as u64,
                damaged: s.damaged.clone(),
                integrity: app.integrity().state(&s.name, s.stamp),
            })
            .collect(),
    }
}

/// A capture in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureItem {
    /// 14-digit timestamp (for `/capture?url=…&at=…` and `/replay/{timestamp}/{url}`).
    pub timestamp: String,
    /// `WARC-Date`.
    pub date: DateTime<Utc>,
    /// The URL as captured.
    pub url: String,
    /// Record type.
    pub kind: CaptureKind,
    /// HTTP status.
    pub status: Option<u16>,
    /// MIME type.
    pub mime: Option<String>,
    /// WARC file.
    pub file: String,
    /// Offset of the record.
    pub offset: u64,
    /// Length of the record.
    pub length: u64,
    /// `WARC-Record-ID`.
    pub record_id: String,
    /// For a revisit: timestamp of the capture holding the payload.
    pub revisit_of: Option<String>,
    /// The article version (1-based) extracted from this capture, if any.
    pub article_version: Option<usize>,
}

/// The list item of a capture; `article` to number its article version.
pub fn capture_item(c: &Catalog, r: CaptureRef, article: Option<&ArticleEntry>) -> CaptureItem {
    let row = c.row(r);
    let revisit_of = (row.kind == CaptureKind::Revisit)
        .then(|| c.payload_capture(r))
        .flatten()
        .filter(|p| *p != r)
        .map(|p| timestamp14(c.row(p).date));
    let article_version = article.and_then(|a| {
        let v = c.version_of_capture(a, r)?;
        a.versions
            .iter()
            .position(|x| std::ptr::eq(x, v))
            .map(|i| i + 1)
    });
    CaptureItem {
        timestamp: timestamp14(row.date),
        date: row.date,
        url: row.url.clone(),
        kind: row.kind,
        status: row.status,
        mime: row.mime.clone(),
        file: c.file_name(r).to_string(),
        offset: row.offset,
        length: row.length,
        record_id: row.record_id.clone(),
        revisit_of,
        article_version,
    }
}

/// The captures of a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureList {
    /// The URL asked for.
    pub url: String,
    /// Its article, if one was extracted.
    pub article_id: Option<String>,
    /// Captures, oldest first (every spelling of the URL with the same SURT key).
    pub captures: Vec<CaptureItem>,
}

/// The captures of `url`.
pub fn capture_list(c: &Catalog, url: &str) -> CaptureList {
    let article = c.article_by_url(url);
    CaptureList {
        url: url.to_string(),
        article_id: article.map(|a| a.id.clone()),
        captures: c
            .captures_of(url)
            .iter()
            .map(|r| capture_item(c, *r, article))
            .collect(),
    }
}

/// One field of an article and the method that found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldView {
    /// Field name.
    pub name: String,
    /// Value (lists joined with `, `).
    pub value: String,
    /// Method (`selector`, `json-ld`, `meta`, …).
    pub method: Option<String>,
}

/// A related article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedView {
    /// URL as linked.
    pub url: String,
    /// The article's id, when it is in the archive.
    pub article_id: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Latest capture timestamp, when the URL was captured (article or not).
    pub captured: Option<String>,
    /// HTTP status of that capture.
    pub status: Option<u16>,
}

/// One version of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    /// 1-based number.
    pub number: usize,
    /// Capture timestamp (14 digits).
    pub timestamp: String,
    /// Capture date.
    pub captured_at: DateTime<Utc>,
    /// WARC file of the article record.
    pub file: String,
    /// Offset of the article record.
    pub offset: u64,
    /// Words in the body.
    pub words: usize,
    /// True when the body differs from the previous version's.
    pub changed: bool,
}

/// A diff between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffView {
    /// Older version number.
    pub from: usize,
    /// Newer version number.
    pub to: usize,
    /// Older version's timestamp.
    pub from_timestamp: String,
    /// Newer version's timestamp.
    pub to_timestamp: String,
    /// Counts.
    pub stats: DiffStats,
    /// The paragraphs.
    pub lines: Vec<DiffLine>,
}

/// One article, in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    /// Id.
    pub id: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Title.
    pub title: Option<String>,
    /// The version shown (1-based; the latest unless asked).
    pub version: usize,
    /// The extracted fields with their methods, in display order.
    pub fields: Vec<FieldView>,
    /// The article as extracted (every field).
    pub article: super::StoredArticle,
    /// Related articles.
    pub related: Vec<RelatedView>,
    /// Versions, oldest first.
    pub versions: Vec<VersionView>,
    /// Every capture of the URL (responses and revisits), oldest first.
    pub captures: Vec<CaptureItem>,
    /// The diff between two versions, when there are several.
    pub diff: Option<DiffView>,
}

/// The fields of an article with their methods.
pub fn fields(a: &super::StoredArticle) -> Vec<FieldView> {
    let mut out = Vec::new();
    let mut push = |name: &str, method_key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push(FieldView {
                name: name.to_string(),
                value,
                method: a.methods.get(method_key).cloned(),
            });
        }
    };
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    push("title", "title", a.title.clone());
    push("published", "published", a.published.clone());
    push("modified", "modified", a.modified.clone());
    push("categories", "categories", list(&a.categories));
    push("authors", "authors", list(&a.authors));
    push("tags", "tags", list(&a.tags));
    push("language", "language", a.language.clone());
    push("description", "description", a.description.clone());
    push("canonical URL", "canonical_url", a.canonical_url.clone());
    out
}

/// Versions of an article.
pub fn versions(a: &ArticleEntry) -> Vec<VersionView> {
    a.versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionView {
            number: i + 1,
            timestamp: timestamp14(v.captured_at),
            captured_at: v.captured_at,
            file: v.file.clone(),
            offset: v.offset,
            words: v.words,
            changed: i > 0 && a.versions[i - 1].body_digest != v.body_digest,
        })
        .collect()
}

/// The default pair of versions to diff: the latest, and the latest earlier version with
/// another body (else the one before it). `None` with a single version.
pub fn default_diff_pair(a: &ArticleEntry) -> Option<(usize, usize)> {
    let n = a.versions.len();
    if n < 2 {
        return None;
    }
    let last = &a.versions[n - 1];
    let from = (0..n - 1)
        .rev()
        .find(|&i| a.versions[i].body_digest != last.body_digest)
        .unwrap_or(n - 2);
    Some((from + 1, n))
}

/// The related articles of `stored`, looked up in the catalog.
pub fn related(c: &Catalog, stored: &super::StoredArticle) -> Vec<RelatedView> {
    stored
        .related
        .iter()
        .map(|u| {
            let article = c.article_by_url(u);
            let latest = c.nearest_capture(u, None).map(|r| c.row(r));
            RelatedView {
                url: u.clone(),
                article_id: article.map(|a| a.id.clone()),
                title: article.and_then(|a| a.title.clone()),
                captured: latest.map(|r| timestamp14(r.date)),
                status: latest.and_then(|r| r.status),
            }
        })
        .collect()
}

/// A search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchItem {
    /// The article.
    pub article: ArticleItem,
    /// Score.
    pub score: f32,
    /// Title fragments (highlighted words), empty when the title did not match.
    pub title: Vec<Fragment>,
    /// Body snippet fragments.
    pub snippet: Vec<Fragment>,
}

/// A search page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchPage {
    /// The words.
    pub q: String,
    /// Filters.
    pub filter: Filter,
    /// Order.
    pub sort: SearchSort,
    /// Time spent searching, in milliseconds.
    pub took_ms: f64,
    /// Results.
    #[serde(flatten)]
    pub results: Paged<SearchItem>,
}

/// One capture, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaptureView {
    /// The capture.
    pub capture: CaptureItem,
    /// The WARC record's header fields.
    pub warc_headers: Vec<(String, String)>,
    /// The HTTP status line.
    pub http_status_line: Option<String>,
    /// The HTTP header fields.
    pub http_headers: Vec<(String, String)>,
    /// For a revisit: the capture holding the payload.
    pub payload: Option<CaptureItem>,
    /// The article extracted from this URL, if any.
    pub article: Option<ArticleItem>,
    /// Every capture of the URL.
    pub captures: Vec<CaptureItem>,
    /// Where the archived page is served (sandboxed).
    pub replay_url: String,
}

/// Splits an HTTP head into its status line and header fields.
pub fn parse_http_head(head: &[u8]) -> (Option<String>, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let status = lines.next().map(str::to_string).filter(|s| !s.is_empty());
    let headers = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    (status, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_checked() {
        let p = Params::parse(
            Some("site=www.A.test&from=2024-05-01&page=2&q="),
            &["site", "from", "page", "q"],
        )
        .expect("ok");
        assert_eq!(p.get("q"), None);
        assert_eq!(p.number("page", 1, 10), Ok(2));
        let f = Filter::from_params(&p).expect("filter");
        assert_eq!(f.site.as_deref(), Some("a.test"));
        assert!(
            Params::parse(Some("sitee=x"), &["site"])
                .unwrap_err()
                .contains("unknown parameter `sitee`")
        );
        assert!(
            Params::parse(Some("a=1&a=2"), &["a"])
                .unwrap_err()
                .contains("twice")
        );
        let p = Params::parse(
            Some("from=2024-13-01&page=0&at=20x"),
            &["from", "page", "at"],
        )
        .expect("ok");
        assert!(p.day("from").unwrap_err().contains("not a date"));
        assert!(
            p.number("page", 1, 10)
                .unwrap_err()
                .contains("whole number")
        );
        assert!(p.timestamp("at").is_err());
        let p = Params::parse(Some("from=2024-05-02&to=2024-05-01"), &["from", "to"]).expect("ok");
        assert!(Filter::from_params(&p).unwrap_err().contains("after"));
    }

    #[test]
    fn http_heads_split() {
        let (s, h) =
            parse_http_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: b:c\r\n\r\n");
        assert_eq!(s.as_deref(), Some("HTTP/1.1 200 OK"));
        assert_eq!(
            h,
            vec![
                ("Content-Type".into(), "text/html".into()),
                ("X-A".into(), "b:c".into())
            ]
        );
    }
}
