//! What each page shows, as plain serialisable values, and their assembly from the
//! catalog and the archive: the JSON API returns them as they are and the HTML views
//! render them. The routes only parse parameters ([`super::params`]) and choose HTML or
//! JSON; every function here may block (it runs off the reactor).

pub mod article;

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::integrity::IntegrityState;
use super::params::Filter;
use super::replay::replay_path;
use super::search::{Fragment, SearchQuery, SearchSort};
use super::{App, ServeError, Status};
use crate::archive::ArticleStatus;
use crate::archive::catalog::{ArticleEntry, CaptureRef, Catalog, Totals};
use crate::archive::scan::CaptureKind;
use crate::read::timestamp14;

pub use article::{
    ArticleView, DiffView, FieldView, RelatedView, VersionChoice, VersionView, article_view,
    default_diff_pair, fields, related, versions,
};

/// Why a page or API answer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// Bad parameters (400).
    BadRequest(String),
    /// Nothing there (404).
    NotFound(String),
    /// Something failed (500).
    Internal(String),
}

impl AppError {
    /// The message shown.
    pub fn message(&self) -> &str {
        match self {
            AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Internal(m) => m,
        }
    }
}

impl From<ServeError> for AppError {
    fn from(e: ServeError) -> Self {
        match e {
            ServeError::Read(crate::read::ReadError::NotFound(m)) => AppError::NotFound(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<crate::read::ReadError> for AppError {
    fn from(e: crate::read::ReadError) -> Self {
        AppError::from(ServeError::from(e))
    }
}

/// Most results per page.
pub const MAX_PER_PAGE: usize = 200;
/// Results per page unless asked.
pub const DEFAULT_PER_PAGE: usize = 50;
/// Highest page number accepted.
pub const MAX_PAGE: usize = 1_000_000;

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
    /// `current` or `gone` (deleted: the latest capture is a 404/410 or a redirect away).
    pub status: ArticleStatus,
    /// When it was first found deleted.
    pub gone_since: Option<DateTime<Utc>>,
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
            status: a.status,
            gone_since: a.gone_since,
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
    let matching: Vec<&ArticleEntry> = c.articles.iter().filter(|a| filter.matches(a)).collect();
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
    /// Where the record starts in the decoded bytes of its frame/member.
    pub inner: u64,
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
        inner: row.inner,
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

/// The captures of `url`, or 404 when there is none.
pub fn captures_of(c: &Catalog, url: &str) -> Result<CaptureList, AppError> {
    let list = capture_list(c, url);
    if list.captures.is_empty() {
        return Err(AppError::NotFound(format!("{url}: not in this archive")));
    }
    Ok(list)
}

/// One capture of `url`, the nearest to `at` (the latest when `None`): its record's
/// headers read from the archive.
pub fn capture_view(
    app: &App,
    url: &str,
    at: Option<DateTime<Utc>>,
) -> Result<CaptureView, AppError> {
    let catalog = app.catalog();
    let r = catalog
        .nearest_capture(url, at)
        .ok_or_else(|| AppError::NotFound(format!("{url}: not in this archive")))?;
    let article = catalog.article_by_url(url);
    let item = capture_item(&catalog, r, article);
    let record = crate::read::read_record_at(app.archive(), &item.file, item.offset, item.inner)?;
    let payload = catalog.payload_capture(r).filter(|p| *p != r);
    // The HTTP head of the capture itself (a revisit has its own, e.g. 304).
    let (http_status_line, http_headers) = match record.http_head() {
        Some(head) if record.is_http() => parse_http_head(head),
        _ => (None, Vec::new()),
    };
    let replay_url = match url::Url::parse(&item.url) {
        Ok(u) => replay_path(&item.timestamp, &u),
        Err(_) => String::new(),
    };
    Ok(CaptureView {
        warc_headers: record.headers.clone(),
        http_status_line,
        http_headers,
        payload: payload.map(|pr| capture_item(&catalog, pr, article)),
        article: article.map(ArticleItem::of),
        captures: catalog
            .captures_of(url)
            .iter()
            .map(|c| capture_item(&catalog, *c, article))
            .collect(),
        replay_url,
        capture: item,
    })
}

/// One page of search results for the words `q`.
pub fn search_page(
    app: &App,
    q: &str,
    filter: Filter,
    sort: SearchSort,
    page: usize,
    per_page: usize,
) -> Result<SearchPage, AppError> {
    let query = SearchQuery {
        text: q.to_string(),
        site: filter.site.clone(),
        category: filter.category.clone(),
        from: filter.since(),
        until: filter.until(),
        sort,
        offset: (page - 1) * per_page,
        limit: per_page,
    };
    let start = Instant::now();
    let found = app.search().search(&query).map_err(|e| match e {
        // A query naming a field that cannot be searched so (`id:*`) is the client's
        // error.
        super::search::SearchError::Tantivy(
            tantivy::TantivyError::SchemaError(_)
            | tantivy::TantivyError::InvalidArgument(_)
            | tantivy::TantivyError::FieldNotFound(_),
        ) => AppError::BadRequest(format!("`q`: {e}")),
        other => AppError::Internal(other.to_string()),
    })?;
    let took_ms = start.elapsed().as_secs_f64() * 1000.0;
    let catalog = app.catalog();
    let items = found
        .hits
        .into_iter()
        .filter_map(|h| {
            catalog.article(&h.id).map(|a| SearchItem {
                article: ArticleItem::of(a),
                score: h.score,
                title: h.title,
                snippet: h.snippet,
            })
        })
        .collect();
    Ok(SearchPage {
        q: q.to_string(),
        filter,
        sort,
        took_ms,
        results: Paged {
            total: found.total,
            page,
            per_page,
            pages: pages(found.total, per_page),
            items,
        },
    })
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
