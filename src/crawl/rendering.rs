//! Rendering in a browser within the crawl: which fetched pages go to the browser (the
//! site's `render` mode, or `--render`), the gate every request of a rendered page goes
//! through (robots.txt, the host's rate and concurrency, the SSRF guard, limits; each
//! exchange archived), and the rendered DOM archived as a `conversion` record and read
//! in place of the page the server sent.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::reading::{PageRead, start_reading};
use super::requisites::{self, PageOf, RequisiteStore};
use super::{CrawlError, Shared, Site, Written, classify};
use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::extract::LinkSource;
use crate::fetch::decode_content;
use crate::frontier::ClaimedUrl;
use crate::politeness::GatePermit;
use crate::render::auto::{self, HttpView, KindsRendered};
use crate::render::{Browser, RenderMode, RenderSettings, RequisiteFuture, Requisites};

/// The crawl's browser, started on the first page to render, and what `auto` learnt.
pub(super) struct Rendering {
    settings: RenderSettings,
    browser: tokio::sync::Mutex<Option<Arc<Browser>>>,
    kinds: KindsRendered,
    /// The last capture of each requisite, for revisits on re-crawls.
    pub(super) requisite_store: RequisiteStore,
    /// Places for pages chosen for rendering, `tabs + queue`: a page holds one from the
    /// moment it is chosen until rendered (see [`wait_for_room`]).
    places: Arc<Semaphore>,
    /// Pages holding a place or waiting for one.
    backlog: AtomicU64,
}

impl Rendering {
    pub(super) fn new(settings: RenderSettings, archive_dir: &Path) -> Rendering {
        Rendering {
            browser: tokio::sync::Mutex::new(None),
            kinds: KindsRendered::default(),
            requisite_store: RequisiteStore::new(archive_dir),
            places: Arc::new(Semaphore::new(settings.tabs.max(1) + settings.queue)),
            backlog: AtomicU64::new(0),
            settings,
        }
    }

    /// The mode for a site's pages: `--render` when given, else the profile's.
    fn mode<'a>(&'a self, site: &'a Site) -> &'a RenderMode {
        self.settings.mode.as_ref().unwrap_or(&site.profile.render)
    }

    /// The browser, started on first use.
    async fn browser(&self) -> Result<Arc<Browser>, CrawlError> {
        let mut slot = self.browser.lock().await;
        if let Some(browser) = slot.as_ref() {
            return Ok(Arc::clone(browser));
        }
        let browser = Arc::new(
            Browser::launch(&self.settings)
                .await
                .map_err(|e| CrawlError::Settings(e.to_string()))?,
        );
        *slot = Some(Arc::clone(&browser));
        Ok(browser)
    }

    /// Closes the browser, when one was started and no page uses it any more.
    pub(super) async fn close(&self) {
        let taken = self.browser.lock().await.take();
        if let Some(browser) = taken.and_then(|b| Arc::try_unwrap(b).ok()) {
            browser.close().await;
        }
    }
}

/// What a page being read holds: its host's slot (given back once the page is read) and
/// its share of the bodies in hand (kept until its links are in the frontier). A page
/// waiting for a browser lets go of both.
pub(super) struct PageHold {
    /// The host's slot.
    pub(super) slot: Option<GatePermit>,
    /// The page's share of [`super::readers::BODIES_IN_HAND`].
    pub(super) in_hand: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// After the HTTP fetch of a page and its reading: when the page is to be rendered, the
/// host's slot and the page's share of the bodies in hand (`hold`) are given back (the
/// page's own requests need the slot), the page is rendered, its DOM archived as a
/// `conversion` record referring to the page's response and read instead (its links, but
/// not its requisites: the browser fetched those).
/// Returns what to use of the page, and whether it was rendered.
pub(super) async fn render_if_needed(
    shared: &Arc<Shared>,
    policy: &HostPolicy,
    url: &ClaimedUrl,
    capture: &Capture,
    written: &Written,
    read: PageRead,
    hold: &mut PageHold,
) -> Result<(PageRead, bool), CrawlError> {
    let Some(site) = shared.site(&url.site) else {
        return Ok((read, false));
    };
    if !wants_render(shared, site, url, capture, &read).await {
        return Ok((read, false));
    }
    // A page waiting for a browser holds neither its host's slot nor its share of the
    // bodies in hand (a requisite may need either).
    drop((hold.slot.take(), hold.in_hand.take()));
    let Some(_place) = take_place(shared).await else {
        return Ok((read, false)); // the crawl stops: the page is kept as the server sent it
    };
    let browser = shared.rendering.browser().await?;
    let requisites = Arc::new(PageRequisites {
        shared: Arc::clone(shared),
        of: PageOf {
            site: url.site.clone(),
            page: url.url.clone(),
            depth: url.depth,
            purpose: requisites::Purpose::Rendered,
        },
    });
    let rendered = match browser.render(capture, requisites).await {
        Ok(rendered) => rendered,
        Err(e) => {
            tracing::warn!("{e}; the page is read as the server sent it");
            return Ok((read, false));
        }
    };
    if rendered.timed_out {
        tracing::info!("{}: not idle in time, captured as it was", url.url);
    }
    let dom = rendered.dom.into_bytes();
    let conversion = shared
        .archive
        .write_conversion(
            capture.url.to_string(),
            written.location.response.id.clone(),
            Utc::now(),
            "text/html; charset=utf-8",
            dom.clone(),
        )
        .await??;
    let counters = &shared.counters;
    counters.rendered.fetch_add(1, Ordering::Relaxed);
    counters
        .bytes_written
        .fetch_add(conversion.length, Ordering::Relaxed);
    let mut as_rendered = capture.clone();
    as_rendered.body = dom.into();
    as_rendered.truncated = None;
    as_rendered.headers = http::HeaderMap::new();
    as_rendered.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut reread = start_reading(shared, Some(site), url, &as_rendered, policy)
        .await
        .map_err(CrawlError::task("reading a rendered page"))?;
    reread.feeds = read.feeds;
    if let Some(analysis) = reread.analysis.as_mut() {
        // The page's requisites came through the browser, archived already.
        analysis
            .links
            .retain(|link| link.source != LinkSource::Asset);
    }
    Ok((reread, true))
}

/// Back-pressure of the host loops: before a host whose site may render starts a fetch,
/// waits until a place for rendering is free (behind the pages already waiting for one),
/// so that the pages waiting for a tab stay within `tabs + queue` (plus the pages being
/// fetched when the places ran out). Returns at once for sites that never render, or
/// when the crawl stops.
pub(super) async fn wait_for_room(shared: &Shared, site: &str) {
    let Some(site) = shared.site(site) else {
        return;
    };
    if !shared.rendering.mode(site).may_render() {
        return;
    }
    let places = &shared.rendering.places;
    tokio::select! {
        biased;
        _ = shared.stop.cancelled() => {}
        place = places.acquire() => drop(place),
    }
}

/// A place for a page chosen for rendering, held until it is rendered; counts the backlog
/// (pages holding a place or waiting for one) and its peak. `None` when the crawl stops.
async fn take_place(shared: &Shared) -> Option<(Backlog<'_>, OwnedSemaphorePermit)> {
    let rendering = &shared.rendering;
    let now = rendering.backlog.fetch_add(1, Ordering::SeqCst) + 1;
    let counted = Backlog(&rendering.backlog);
    shared
        .counters
        .render_backlog_peak
        .fetch_max(now, Ordering::Relaxed);
    tokio::select! {
        biased;
        _ = shared.stop.cancelled() => None,
        permit = Arc::clone(&rendering.places).acquire_owned() => {
            permit.ok().map(|permit| (counted, permit))
        }
    }
}

/// One page of the rendering backlog, taken off when dropped.
struct Backlog<'a>(&'a AtomicU64);

impl Drop for Backlog<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether the page goes to the browser: a 2xx HTML page, by the site's mode; with
/// `auto`, when a page of its kind needed it already or the page shows it is built by
/// script (then its kind is remembered).
async fn wants_render(
    shared: &Shared,
    site: &Site,
    url: &ClaimedUrl,
    capture: &Capture,
    read: &PageRead,
) -> bool {
    let html = capture
        .content_type()
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    if !(200..300).contains(&capture.status) || !html || read.discovery.is_some() {
        return false;
    }
    match shared.rendering.mode(site) {
        RenderMode::Never => false,
        RenderMode::Always => true,
        RenderMode::Matching(re) => re.is_match(url.url.as_str()),
        RenderMode::Auto => {
            let kinds = &shared.rendering.kinds;
            if kinds.contains(&url.site, &url.url) {
                return true;
            }
            let needs = script_built(site, url, capture, read).await;
            if needs {
                tracing::info!(
                    "{}: built by script; pages of its kind ({}) are rendered",
                    url.url,
                    auto::page_kind(&url.url)
                );
                kinds.insert(&url.site, &url.url);
            }
            needs
        }
    }
}

/// [`auto::looks_script_built`] on what the HTTP fetch gave (decoded off the reactor).
async fn script_built(site: &Site, url: &ClaimedUrl, capture: &Capture, read: &PageRead) -> bool {
    let article = read.analysis.as_ref().and_then(|a| a.article.as_ref());
    let is_article = article.is_some() || classify::is_article(&site.profile, &url.url);
    let body_chars = article
        .and_then(|a| a.body.as_ref())
        .map(|b| b.chars().count());
    let body_selector_missed = site.profile.selectors.body.is_some()
        && article.is_some_and(|a| a.methods.get("body").map(String::as_str) != Some("selector"));
    let links = read.analysis.as_ref().map_or(0, |a| a.links.len());
    let capture = capture.clone();
    tokio::task::spawn_blocking(move || {
        let Ok(body) = decode_content(&capture, 50_000_000) else {
            return false;
        };
        let html = String::from_utf8_lossy(&body);
        auto::looks_script_built(&HttpView {
            html: &html,
            is_article,
            body_chars,
            body_selector_missed,
            links,
        })
    })
    .await
    .unwrap_or(false)
}

/// The gate of a rendered page's requests.
struct PageRequisites {
    shared: Arc<Shared>,
    of: PageOf,
}

impl Requisites for PageRequisites {
    fn fetch(&self, url: Url) -> RequisiteFuture<'_> {
        Box::pin(requisites::fetch_requisite(&self.shared, &self.of, url))
    }
}
