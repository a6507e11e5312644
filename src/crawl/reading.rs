//! Reading a fetched page off the reactor: decoding it and finding its links, its article,
//! or the entries of a feed or sitemap.

use tokio::task::JoinHandle;
use url::Url;

use super::{Shared, Site, classify};
use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::discover::{self, Discovery};
use crate::extract::{self, PageAnalysis, PageInput, ProfileSelectors};
use crate::fetch::decode_content;
use crate::frontier::{ClaimedUrl, UrlKind};

/// What was read from a page.
#[derive(Default)]
pub(super) struct PageRead {
    /// Links and article of an HTML page.
    pub(super) analysis: Option<PageAnalysis>,
    /// Entries of a feed or sitemap.
    pub(super) discovery: Option<Discovery>,
    /// Feeds announced by a start page.
    pub(super) feeds: Vec<Url>,
}

/// Starts reading the page on a blocking thread, once a reading slot is free (see
/// [`read_page`]).
pub(super) fn start_reading(
    shared: &Shared,
    site: Option<&Site>,
    url: &ClaimedUrl,
    capture: &Capture,
    policy: &HostPolicy,
) -> JoinHandle<PageRead> {
    let selectors = site.map(|s| s.selectors.clone());
    let want_article = site.map_or(extract::Want::Declared, |s| {
        classify::article_wish(&s.profile, &url.url)
    });
    let decode_limit = policy.max_body_bytes.saturating_mul(5).max(10_000_000);
    let capture = capture.clone();
    let is_start = url.kind == UrlKind::Start;
    let max_links = policy.max_links_per_page;
    let page = capture.url.clone();
    shared.readers.spawn(
        move || {
            read_page(
                &capture,
                selectors.as_ref(),
                want_article,
                decode_limit,
                is_start,
                max_links,
            )
        },
        move |e| {
            tracing::error!("reading {page} failed: {e}");
            PageRead::default()
        },
    )
}

/// Decodes and reads a 2xx page: a feed or sitemap, or an HTML page (links and, when
/// wanted, the article; on a start page, the feeds it announces).
fn read_page(
    capture: &Capture,
    selectors: Option<&ProfileSelectors>,
    want_article: extract::Want,
    decode_limit: u64,
    is_start: bool,
    max_links: usize,
) -> PageRead {
    let mut read = PageRead::default();
    if !(200..300).contains(&capture.status) {
        return read;
    }
    let body = match decode_content(capture, decode_limit) {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!("{}: {e}; links not followed", capture.url);
            return read;
        }
    };
    if discover::looks_like_feed_or_sitemap(capture.content_type(), &capture.url, &body) {
        match discover::parse(&body, &capture.url) {
            Ok(discovery) => {
                read.discovery = Some(discovery);
                return read;
            }
            Err(e) => tracing::debug!("{}: {e}", capture.url),
        }
    }
    if is_start {
        read.feeds = discover::feed_links(&String::from_utf8_lossy(&body), &capture.url);
    }
    let page = PageInput {
        url: &capture.url,
        body: &body,
        content_type: capture.content_type(),
        fetched_at: capture.started,
    };
    read.analysis = Some(extract::analyze_wanting(
        &page,
        selectors,
        want_article,
        max_links,
    ));
    read
}
