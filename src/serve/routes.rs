//! The routes. Each page has a JSON twin under `/api/` built from the same value
//! ([`super::data`]):
//!
//! | page | API | what |
//! |---|---|---|
//! | `/` | `/api/overview`, `/api/status` | counts, captures per day, WARC files and their integrity |
//! | `/articles` | `/api/articles` | articles filtered by `site`, `category`, `from`, `to` (days), `sort`, `page`, `per_page` |
//! | `/search?q=` | `/api/search?q=` | full-text search, same filters, `sort=relevance\|newest\|oldest` |
//! | `/articles/{id}` | `/api/articles/{id}` | one article: fields, body, related, versions, captures, diff (`from`, `to`, `version`) |
//! | `/capture?url=&at=` | `/api/capture?url=&at=`, `/api/captures?url=` | one capture: headers, the archived page in a sandboxed iframe |
//! | `/replay/{timestamp}/{url}` | | the archived content itself, rewritten, under [`REPLAY_CSP`] |
//!
//! Bad parameters are 400 with a message (JSON `{"error": …}` under `/api/`), unknown
//! articles and captures 404. Every answer but replayed content carries [`UI_CSP`]: the
//! interface runs no script at all.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Serialize;

use super::catalog::{CaptureKind, Catalog};
use super::data::{self, DEFAULT_PER_PAGE, Filter, ListSort, MAX_PER_PAGE, Params};
use super::replay::{REPLAY_CSP, UI_CSP, replay_path, rewrite_css, rewrite_html};
use super::search::{SearchQuery, SearchSort};
use super::{App, views};
use crate::read::{decode_body, timestamp14};

/// The style sheet of the interface.
pub const STYLE_CSS: &str = include_str!("style.css");

/// An error answer.
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
    fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> &str {
        match self {
            AppError::BadRequest(m) | AppError::NotFound(m) | AppError::Internal(m) => m,
        }
    }
}

fn bad(m: String) -> AppError {
    AppError::BadRequest(m)
}

impl From<super::ServeError> for AppError {
    fn from(e: super::ServeError) -> Self {
        match e {
            super::ServeError::Read(crate::read::ReadError::NotFound(m)) => AppError::NotFound(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// An error answered as JSON.
struct ApiError(AppError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            status: u16,
        }
        let status = self.0.status();
        (
            status,
            Json(Body {
                error: self.0.message(),
                status: status.as_u16(),
            }),
        )
            .into_response()
    }
}

/// An error answered as an HTML page.
struct PageError(AppError, super::Status);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        (status, views::error_page(status, self.0.message(), &self.1)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// The router of the interface and API for `app`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(overview_page))
        .route("/articles", get(articles_page))
        .route("/articles/{id}", get(article_page))
        .route("/search", get(search_page))
        .route("/capture", get(capture_page))
        .route("/replay/{*rest}", get(replay))
        .route("/static/style.css", get(style))
        .route("/api/status", get(api_status))
        .route("/api/overview", get(api_overview))
        .route("/api/articles", get(api_articles))
        .route("/api/articles/{id}", get(api_article))
        .route("/api/search", get(api_search))
        .route("/api/captures", get(api_captures))
        .route("/api/capture", get(api_capture))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(UI_CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    res
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
        .into_response()
}

async fn not_found(State(app): State<Arc<App>>, uri: Uri) -> Response {
    let e = AppError::NotFound(format!("no page at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        ApiError(e).into_response()
    } else {
        PageError(e, app.status()).into_response()
    }
}

// ---------------------------------------------------------------- overview

fn overview_data(app: &App, raw: Option<&str>) -> Result<data::Overview, AppError> {
    Params::parse(raw, &[]).map_err(bad)?;
    Ok(data::overview(app, &app.catalog()))
}

async fn overview_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    match overview_data(&app, q.as_deref()) {
        Ok(d) => views::overview(&d, &app.catalog()).into_response(),
        Err(e) => PageError(e, app.status()).into_response(),
    }
}

async fn api_overview(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::Overview> {
    overview_data(&app, q.as_deref())
        .map(Json)
        .map_err(ApiError)
}

async fn api_status(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<super::Status> {
    Params::parse(q.as_deref(), &[]).map_err(|e| ApiError(bad(e)))?;
    Ok(Json(app.status()))
}

// ---------------------------------------------------------------- article list

const LIST_PARAMS: &[&str] = &["site", "category", "from", "to", "sort", "page", "per_page"];

fn list_data(app: &App, raw: Option<&str>) -> Result<data::ArticleList, AppError> {
    let p = Params::parse(raw, LIST_PARAMS).map_err(bad)?;
    let filter = Filter::from_params(&p).map_err(bad)?;
    let sort = match p.get("sort") {
        None | Some("newest") => ListSort::Newest,
        Some("oldest") => ListSort::Oldest,
        Some(o) => return Err(bad(format!("`sort`: {o:?} is not one of newest, oldest"))),
    };
    let page = p.number("page", 1, data::MAX_PAGE).map_err(bad)?;
    let per_page = p
        .number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
        .map_err(bad)?;
    Ok(data::article_list(
        &app.catalog(),
        filter,
        sort,
        page,
        per_page,
    ))
}

async fn articles_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    match list_data(&app, q.as_deref()) {
        Ok(d) => views::article_list(&d, &app.catalog(), &app.status()).into_response(),
        Err(e) => PageError(e, app.status()).into_response(),
    }
}

async fn api_articles(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::ArticleList> {
    list_data(&app, q.as_deref()).map(Json).map_err(ApiError)
}

// ---------------------------------------------------------------- search

const SEARCH_PARAMS: &[&str] = &[
    "q", "site", "category", "from", "to", "sort", "page", "per_page",
];

fn search_data(app: &App, raw: Option<&str>) -> Result<Option<data::SearchPage>, AppError> {
    let p = Params::parse(raw, SEARCH_PARAMS).map_err(bad)?;
    let filter = Filter::from_params(&p).map_err(bad)?;
    let sort = match p.get("sort") {
        None | Some("relevance") => SearchSort::Relevance,
        Some("newest") => SearchSort::Newest,
        Some("oldest") => SearchSort::Oldest,
        Some(o) => {
            return Err(bad(format!(
                "`sort`: {o:?} is not one of relevance, newest, oldest"
            )));
        }
    };
    let page = p.number("page", 1, 10_000).map_err(bad)?;
    let per_page = p.number("per_page", 20, MAX_PER_PAGE).map_err(bad)?;
    let Some(q) = p.get("q") else {
        return Ok(None);
    };
    if q.chars().count() > 500 {
        return Err(bad("`q`: at most 500 characters".into()));
    }
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
        // A query naming a field that cannot be searched so (`id:*`) is the
        // client's error.
        super::search::SearchError::Tantivy(
            tantivy::TantivyError::SchemaError(_)
            | tantivy::TantivyError::InvalidArgument(_)
            | tantivy::TantivyError::FieldNotFound(_),
        ) => bad(format!("`q`: {e}")),
        other => AppError::Internal(other.to_string()),
    })?;
    let took_ms = start.elapsed().as_secs_f64() * 1000.0;
    let catalog = app.catalog();
    let items = found
        .hits
        .into_iter()
        .filter_map(|h| {
            catalog.article(&h.id).map(|a| data::SearchItem {
                article: data::ArticleItem::of(a),
                score: h.score,
                title: h.title,
                snippet: h.snippet,
            })
        })
        .collect();
    Ok(Some(data::SearchPage {
        q: q.to_string(),
        filter,
        sort,
        took_ms,
        results: data::Paged {
            total: found.total,
            page,
            per_page,
            pages: data::pages(found.total, per_page),
            items,
        },
    }))
}

async fn search_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let a = Arc::clone(&app);
    match blocking(move || search_data(&a, q.as_deref())).await {
        Ok(d) => views::search(d.as_ref(), &app.catalog(), &app.status()).into_response(),
        Err(e) => PageError(e, app.status()).into_response(),
    }
}

async fn api_search(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::SearchPage> {
    match blocking(move || search_data(&app, q.as_deref())).await {
        Ok(Some(d)) => Ok(Json(d)),
        Ok(None) => Err(ApiError(bad("parameter `q` is required".into()))),
        Err(e) => Err(ApiError(e)),
    }
}

// ---------------------------------------------------------------- one article

fn article_data(app: &App, id: &str, raw: Option<&str>) -> Result<data::ArticleView, AppError> {
    let p = Params::parse(raw, &["version", "from", "to"]).map_err(bad)?;
    let catalog = app.catalog();
    let a = catalog
        .article(id)
        .ok_or_else(|| AppError::NotFound(format!("no article {id:?} in this archive")))?;
    let n = a.versions.len();
    let version = p.number("version", n, n.max(1)).map_err(bad)?;
    let v = &a.versions[version - 1];
    let stored = app.read_article(&v.file, v.offset)?;
    let pair = match (p.get("from"), p.get("to")) {
        (None, None) => data::default_diff_pair(a),
        _ => {
            let from = p.number("from", 1, n).map_err(bad)?;
            let to = p.number("to", n, n).map_err(bad)?;
            if from == to {
                return Err(bad("`from` and `to` are the same version".into()));
            }
            Some((from.min(to), from.max(to)))
        }
    };
    let diff = match pair {
        Some((from, to)) => {
            let (va, vb) = (&a.versions[from - 1], &a.versions[to - 1]);
            let old = app.read_article(&va.file, va.offset)?;
            let new = if to == version {
                stored.clone()
            } else {
                app.read_article(&vb.file, vb.offset)?
            };
            let (lines, stats) = super::diff::diff_bodies(
                old.body.as_deref().unwrap_or(""),
                new.body.as_deref().unwrap_or(""),
            );
            Some(data::DiffView {
                from,
                to,
                from_timestamp: timestamp14(va.captured_at),
                to_timestamp: timestamp14(vb.captured_at),
                stats,
                lines,
            })
        }
        None => None,
    };
    Ok(data::ArticleView {
        id: a.id.clone(),
        url: a.url.clone(),
        site: a.site.clone(),
        title: stored.title.clone(),
        version,
        fields: data::fields(&stored),
        related: data::related(&catalog, &stored),
        versions: data::versions(a),
        captures: catalog
            .captures_of(&a.url)
            .iter()
            .map(|r| data::capture_item(&catalog, *r, Some(a)))
            .collect(),
        article: stored,
        diff,
    })
}

async fn article_page(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let a = Arc::clone(&app);
    match blocking(move || article_data(&a, &id, q.as_deref())).await {
        Ok(d) => views::article(&d, &app.status()).into_response(),
        Err(e) => PageError(e, app.status()).into_response(),
    }
}

async fn api_article(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::ArticleView> {
    blocking(move || article_data(&app, &id, q.as_deref()))
        .await
        .map(Json)
        .map_err(ApiError)
}

// ---------------------------------------------------------------- captures

fn checked_url(p: &Params) -> Result<String, AppError> {
    let url = p.required("url").map_err(bad)?;
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(url.to_string()),
        _ => Err(bad(format!("`url`: {url:?} is not an http(s) URL"))),
    }
}

async fn api_captures(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::CaptureList> {
    let p = Params::parse(q.as_deref(), &["url"]).map_err(|e| ApiError(bad(e)))?;
    let url = checked_url(&p).map_err(ApiError)?;
    let list = data::capture_list(&app.catalog(), &url);
    if list.captures.is_empty() {
        return Err(ApiError(AppError::NotFound(format!(
            "{url}: not in this archive"
        ))));
    }
    Ok(Json(list))
}

fn capture_data(app: &App, raw: Option<&str>) -> Result<data::CaptureView, AppError> {
    let p = Params::parse(raw, &["url", "at"]).map_err(bad)?;
    let url = checked_url(&p)?;
    let at = p.timestamp("at").map_err(bad)?;
    let catalog = app.catalog();
    let r = catalog
        .nearest_capture(&url, at)
        .ok_or_else(|| AppError::NotFound(format!("{url}: not in this archive")))?;
    let article = catalog.article_by_url(&url);
    let item = data::capture_item(&catalog, r, article);
    let record = crate::read::read_record_at(app.archive(), &item.file, item.offset)
        .map_err(|e| AppError::from(super::ServeError::from(e)))?;
    let payload = catalog.payload_capture(r).filter(|p| *p != r);
    // The HTTP head of the capture itself (a revisit has its own, e.g. 304).
    let (http_status_line, http_headers) = if record.is_http() {
        record
            .http_head()
            .map(data::parse_http_head)
            .unwrap_or((None, Vec::new()))
    } else {
        (None, Vec::new())
    };
    let replay_url = match url::Url::parse(&item.url) {
        Ok(u) => replay_path(&item.timestamp, &u),
        Err(_) => String::new(),
    };
    Ok(data::CaptureView {
        warc_headers: record
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        http_status_line,
        http_headers,
        payload: payload.map(|pr| data::capture_item(&catalog, pr, article)),
        article: article.map(data::ArticleItem::of),
        captures: catalog
            .captures_of(&url)
            .iter()
            .map(|c| data::capture_item(&catalog, *c, article))
            .collect(),
        replay_url,
        capture: item,
    })
}

async fn capture_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    let a = Arc::clone(&app);
    match blocking(move || capture_data(&a, q.as_deref())).await {
        Ok(d) => views::capture(&d, &app.status()).into_response(),
        Err(e) => PageError(e, app.status()).into_response(),
    }
}

async fn api_capture(
    State(app): State<Arc<App>>,
    RawQuery(q): RawQuery,
) -> ApiResult<data::CaptureView> {
    blocking(move || capture_data(&app, q.as_deref()))
        .await
        .map(Json)
        .map_err(ApiError)
}

// ---------------------------------------------------------------- replay

fn replay_headers(content_type: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(&mut h, header::CONTENT_TYPE, content_type);
    set(&mut h, header::CONTENT_SECURITY_POLICY, REPLAY_CSP);
    set(&mut h, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    set(&mut h, header::CACHE_CONTROL, "private, max-age=300");
    set(
        &mut h,
        header::HeaderName::from_static("x-dns-prefetch-control"),
        "off",
    );
    h
}

/// A small page shown in the frame instead of archived content.
fn replay_notice(status: StatusCode, text: &str, link: Option<(&str, &str)>) -> Response {
    let body = maud::html! {
        (maud::DOCTYPE)
        html { head { meta charset="utf-8"; title { (text) } }
            body style="font-family:sans-serif;padding:1em" {
                p { (text) }
                @if let Some((href, label)) = link { p { a href=(href) { (label) } } }
            }
        }
    };
    (
        status,
        replay_headers("text/html; charset=utf-8"),
        body.into_string(),
    )
        .into_response()
}

/// Splits `/replay/{ts}/{url}` (the URL as sent, query included) into its parts.
fn replay_target(uri: &Uri) -> Option<(String, String)> {
    let path = uri.path().strip_prefix("/replay/")?;
    let (ts, rest) = path.split_once('/')?;
    if ts.is_empty() || ts.len() > 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut url = rest.to_string();
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    Some((ts.to_string(), url))
}

/// The image type the bytes of `body` show (by their magic number), if a known one.
fn sniff_image(body: &[u8]) -> Option<&'static str> {
    Some(match body {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xff, 0xd8, 0xff, ..] => "image/jpeg",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => "image/webp",
        [
            _,
            _,
            _,
            _,
            b'f',
            b't',
            b'y',
            b'p',
            b'a',
            b'v',
            b'i',
            b'f',
            ..,
        ] => "image/avif",
        [0, 0, 1, 0, ..] => "image/x-icon",
        [b'B', b'M', ..] => "image/bmp",
        _ => return None,
    })
}

/// True for one plain media type token (`type/subtype`, no list, no parameters).
fn is_plain_media_type(m: &str) -> bool {
    let mut parts = m.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

fn is_html_mime(m: &str) -> bool {
    matches!(m, "text/html" | "application/xhtml+xml")
}

fn replay_content(app: &App, uri: &Uri) -> Response {
    let Some((ts, url)) = replay_target(uri) else {
        return replay_notice(
            StatusCode::BAD_REQUEST,
            "Not a replay address: expected /replay/{timestamp}/{url}.",
            None,
        );
    };
    let Ok(parsed) = url::Url::parse(&url) else {
        return replay_notice(StatusCode::BAD_REQUEST, "Not an archived address.", None);
    };
    let catalog: Arc<Catalog> = app.catalog();
    let Some(r) = catalog.nearest_capture(&url, crate::read::parse_timestamp(&ts)) else {
        return replay_notice(
            StatusCode::NOT_FOUND,
            &format!("Not in the archive: {url}"),
            None,
        );
    };
    let Some(pr) = catalog.payload_capture(r) else {
        return replay_notice(
            StatusCode::NOT_FOUND,
            &format!("The payload of this revisit is not in the archive: {url}"),
            None,
        );
    };
    let row = catalog.row(pr);
    let record = match crate::read::read_record_at(app.archive(), catalog.file_name(pr), row.offset)
    {
        Ok(rec) => rec,
        Err(e) => {
            return replay_notice(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("Cannot read the capture: {e}"),
                None,
            );
        }
    };
    let capture_url = url::Url::parse(&row.url).unwrap_or(parsed);
    let head = if record.is_http() {
        record.http_head()
    } else {
        None
    };
    if let Some(status) = row.status.filter(|s| (300..400).contains(s)) {
        let location = head
            .and_then(|h| crate::read::index::http_header(h, "Location"))
            .and_then(|l| capture_url.join(&l).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        let target = location.as_ref().map(|l| replay_path(&ts, l));
        return replay_notice(
            StatusCode::OK,
            &format!("Archived redirect (HTTP {status})"),
            target
                .as_deref()
                .zip(location.as_ref().map(url::Url::as_str)),
        );
    }
    let payload = record.payload().unwrap_or_default();
    let body = match head {
        Some(h) => decode_body(h, payload),
        None => Ok(payload.into_owned()),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return replay_notice(
                StatusCode::OK,
                &format!("Cannot decode the archived body: {e}"),
                None,
            );
        }
    };
    let content_type = head
        .and_then(|h| crate::read::index::http_header(h, "Content-Type"))
        .or_else(|| record.header("Content-Type").map(str::to_string));
    let mime = row.mime.clone().unwrap_or_default();
    // HTML is always rewritten, whatever else the capture claims (a `Content-Type:
    // image/png, text/html` renders as HTML in browsers): the declared types and the
    // body are both looked at.
    let sniff_html =
        mime.contains("html") || crate::extract::is_html(content_type.as_deref(), &body);
    // Other types are replayed only under one plain `type/subtype` token.
    let mime = if is_plain_media_type(&mime) {
        mime
    } else {
        String::new()
    };
    // Links keep the time asked for: each page then replays its capture nearest to it.
    let link_ts = ts.as_str();
    if is_html_mime(&mime) || sniff_html {
        let (text, _, _) = crate::extract::charset::decode(&body, content_type.as_deref(), None);
        return match rewrite_html(&text, &capture_url, link_ts) {
            Ok(html) => (
                StatusCode::OK,
                replay_headers("text/html; charset=utf-8"),
                html,
            )
                .into_response(),
            Err(e) => replay_notice(
                StatusCode::OK,
                &format!("This archived page cannot be shown safely ({e})."),
                None,
            ),
        };
    }
    if mime == "text/css" {
        let (text, _, _) = crate::extract::charset::decode(&body, content_type.as_deref(), None);
        let css = rewrite_css(&text, &capture_url, link_ts);
        return (
            StatusCode::OK,
            replay_headers("text/css; charset=utf-8"),
            css,
        )
            .into_response();
    }
    let passthrough = mime.starts_with("image/") && mime != "image/svg+xml"
        || mime.starts_with("font/")
        || mime.starts_with("audio/")
        || mime.starts_with("video/")
        || matches!(
            mime.as_str(),
            "application/font-woff" | "application/font-woff2" | "application/vnd.ms-fontobject"
        );
    if passthrough {
        // An image is served under the type its bytes show, never only the one claimed.
        let served = if mime.starts_with("image/") {
            sniff_image(&body)
        } else {
            Some(mime.as_str())
        };
        if let Some(served) = served {
            return (StatusCode::OK, replay_headers(served), body).into_response();
        }
    }
    if mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.ends_with("+xml")
        || mime.ends_with("/xml")
    {
        // Scripts and markup that is not rewritten are shown as text.
        let (text, _, _) = crate::extract::charset::decode(&body, content_type.as_deref(), None);
        return (
            StatusCode::OK,
            replay_headers("text/plain; charset=utf-8"),
            text,
        )
            .into_response();
    }
    let mut h = replay_headers("application/octet-stream");
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    (StatusCode::OK, h, body).into_response()
}

async fn replay(State(app): State<Arc<App>>, uri: Uri) -> Response {
    tokio::task::spawn_blocking(move || replay_content(&app, &uri))
        .await
        .unwrap_or_else(|_| {
            replay_notice(StatusCode::INTERNAL_SERVER_ERROR, "internal error", None)
        })
}

/// The capture kind's name.
pub fn kind_name(k: CaptureKind) -> &'static str {
    match k {
        CaptureKind::Response => "response",
        CaptureKind::Revisit => "revisit",
        CaptureKind::Resource => "resource",
    }
}
