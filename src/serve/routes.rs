//! The routes. Each page has a JSON twin under `/api/` built from the same value
//! ([`super::data`]):
//!
//! | page | API | what |
//! |---|---|---|
//! | `/` | `/api/overview`, `/api/status` | counts, captures per day, WARC files and their integrity |
//! | `/articles` | `/api/articles` | articles filtered by `site`, `category`, `from`, `to` (days), `status` (`current`, `gone`, `all`), `sort`, `page`, `per_page` |
//! | `/search?q=` | `/api/search?q=` | full-text search, same filters, `sort=relevance\|newest\|oldest` |
//! | `/articles/{id}` | `/api/articles/{id}` | one article: fields, body, related, versions, captures, diff (`from`, `to`, `version`) |
//! | `/capture?url=&at=` | `/api/capture?url=&at=`, `/api/captures?url=` | one capture: headers, the archived page in a sandboxed iframe |
//! | `/replay/{timestamp}/{url}` | | the archived content itself, rewritten, under [`super::replay::REPLAY_CSP`] |
//!
//! A route only parses its parameters ([`Params`]) and chooses HTML or JSON; the values
//! are assembled by [`super::data`] and rendered by [`super::views`], off the reactor
//! (`spawn_blocking`). Bad parameters are 400 with a message (JSON `{"error": …}` under
//! `/api/`), unknown articles and captures 404. Every answer but replayed content
//! carries [`UI_CSP`]: the interface runs no script at all.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use maud::Markup;
use serde::Serialize;

use super::data::{self, AppError, DEFAULT_PER_PAGE, ListSort, MAX_PER_PAGE, VersionChoice};
use super::params::{Filter, Params};
use super::replay::{UI_CSP, replay_content, replay_notice};
use super::search::SearchSort;
use super::{App, views};

/// The style sheet of the interface.
pub const STYLE_CSS: &str = include_str!("style.css");

fn status_code(e: &AppError) -> StatusCode {
    match e {
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn bad(m: String) -> AppError {
    AppError::BadRequest(m)
}

/// An error answered as JSON.
fn api_error(e: &AppError) -> Response {
    #[derive(Serialize)]
    struct Body<'a> {
        error: &'a str,
        status: u16,
    }
    let status = status_code(e);
    (
        status,
        Json(Body {
            error: e.message(),
            status: status.as_u16(),
        }),
    )
        .into_response()
}

/// An error answered as an HTML page.
fn page_error(e: &AppError, app: &App) -> Response {
    let status = status_code(e);
    (
        status,
        views::error_page(status, e.message(), &app.status()),
    )
        .into_response()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// An HTML page: `build` assembles its value and `render` its markup, off the reactor.
async fn page<T>(
    app: Arc<App>,
    build: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
    render: impl FnOnce(&T, &App) -> Markup + Send + 'static,
) -> Response {
    let a = Arc::clone(&app);
    match blocking(move || build(&a).map(|d| render(&d, &a))).await {
        Ok(markup) => markup.into_response(),
        Err(e) => page_error(&e, &app),
    }
}

/// A JSON answer: `build` assembles its value, off the reactor.
async fn api<T: Serialize + Send + 'static>(
    app: Arc<App>,
    build: impl FnOnce(&App) -> Result<T, AppError> + Send + 'static,
) -> Response {
    match blocking(move || build(&app)).await {
        Ok(d) => Json(d).into_response(),
        Err(e) => api_error(&e),
    }
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
        api_error(&e)
    } else {
        page_error(&e, &app)
    }
}

// ---------------------------------------------------------------- overview

fn overview_data(app: &App, raw: Option<&str>) -> Result<data::Overview, AppError> {
    Params::parse(raw, &[]).map_err(bad)?;
    Ok(data::overview(app, &app.catalog()))
}

async fn overview_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    page(
        app,
        move |app| overview_data(app, q.as_deref()),
        |d, app| views::overview(d, &app.catalog()),
    )
    .await
}

async fn api_overview(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    api(app, move |app| overview_data(app, q.as_deref())).await
}

async fn api_status(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    match Params::parse(q.as_deref(), &[]) {
        Ok(_) => Json(app.status()).into_response(),
        Err(e) => api_error(&bad(e)),
    }
}

// ---------------------------------------------------------------- article list

const LIST_PARAMS: &[&str] = &[
    "site", "category", "from", "to", "status", "sort", "page", "per_page",
];

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
    page(
        app,
        move |app| list_data(app, q.as_deref()),
        |d, app| views::article_list(d, &app.catalog(), &app.status()),
    )
    .await
}

async fn api_articles(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    api(app, move |app| list_data(app, q.as_deref())).await
}

// ---------------------------------------------------------------- search

const SEARCH_PARAMS: &[&str] = &[
    "q", "site", "category", "from", "to", "sort", "page", "per_page",
];

/// The search results, or `None` when no words were given.
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
    data::search_page(app, q, filter, sort, page, per_page).map(Some)
}

async fn search_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    page(
        app,
        move |app| search_data(app, q.as_deref()),
        |d, app| views::search(d.as_ref(), &app.catalog(), &app.status()),
    )
    .await
}

async fn api_search(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    api(app, move |app| {
        search_data(app, q.as_deref())?.ok_or_else(|| bad("parameter `q` is required".into()))
    })
    .await
}

// ---------------------------------------------------------------- one article

fn article_data(app: &App, id: &str, raw: Option<&str>) -> Result<data::ArticleView, AppError> {
    let p = Params::parse(raw, &["version", "from", "to"]).map_err(bad)?;
    let number = |name: &str| -> Result<Option<usize>, AppError> {
        p.get(name)
            .map(|_| p.number(name, 1, data::MAX_PAGE).map_err(bad))
            .transpose()
    };
    let choice = VersionChoice {
        version: number("version")?,
        from: number("from")?,
        to: number("to")?,
    };
    data::article_view(app, id, choice)
}

async fn article_page(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(q): RawQuery,
) -> Response {
    page(
        app,
        move |app| article_data(app, &id, q.as_deref()),
        |d, app| views::article(d, &app.status()),
    )
    .await
}

async fn api_article(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<String>,
    RawQuery(q): RawQuery,
) -> Response {
    api(app, move |app| article_data(app, &id, q.as_deref())).await
}

// ---------------------------------------------------------------- captures

fn checked_url(p: &Params) -> Result<String, AppError> {
    let url = p.required("url").map_err(bad)?;
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(url.to_string()),
        _ => Err(bad(format!("`url`: {url:?} is not an http(s) URL"))),
    }
}

async fn api_captures(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    api(app, move |app| {
        let p = Params::parse(q.as_deref(), &["url"]).map_err(bad)?;
        let url = checked_url(&p)?;
        data::captures_of(&app.catalog(), &url)
    })
    .await
}

fn capture_data(app: &App, raw: Option<&str>) -> Result<data::CaptureView, AppError> {
    let p = Params::parse(raw, &["url", "at"]).map_err(bad)?;
    let url = checked_url(&p)?;
    let at = p.timestamp("at").map_err(bad)?;
    data::capture_view(app, &url, at)
}

async fn capture_page(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    page(
        app,
        move |app| capture_data(app, q.as_deref()),
        |d, app| views::capture(d, &app.status()),
    )
    .await
}

async fn api_capture(State(app): State<Arc<App>>, RawQuery(q): RawQuery) -> Response {
    api(app, move |app| capture_data(app, q.as_deref())).await
}

// ---------------------------------------------------------------- replay

async fn replay(State(app): State<Arc<App>>, uri: Uri) -> Response {
    tokio::task::spawn_blocking(move || replay_content(&app, &uri))
        .await
        .unwrap_or_else(|_| {
            replay_notice(StatusCode::INTERNAL_SERVER_ERROR, "internal error", None)
        })
}
