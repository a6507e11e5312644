//! One fetch job: fetches a claimed URL, archives the exchange, reads the page off the
//! reactor, archives its article, then queues its links and records the outcome (in that
//! order: a crash can cost a re-fetch, never a capture).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::budget::PageReservation;
use super::capture_state::{capture_state, conditional_headers};
use super::reading::{PageRead, start_reading};
use super::retry::{asked_delay, retry_delay};
use super::{CrawlError, Shared, Site, Written, classify, db, plan, rendering, wp_rest};
use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::discover::{Discovery, DocumentKind};
use crate::extract::PageAnalysis;
use crate::fetch::{FetchError, FetchRequest};
use crate::frontier::{ClaimedUrl, NewUrl, Outcome, UrlKind};
use crate::politeness::{GatePermit, backoff_delay};
use crate::urls;
use crate::warc::{RevisitOf, RevisitProfile};

/// Links added to the frontier in one call, at most (see [`record_outcome`]).
const ADD_SLICE: usize = 2_000;

/// Redirect hops allowed past a profile's `max_depth`.
const MAX_REDIRECT_HOPS: u32 = 5;

/// Fetches one URL, archives the exchange, reads the page and queues its links. `page`
/// is its page of the `--max-pages` budget: kept once the server answered; `permit` the
/// host's slot, held until the page is read (or given back before rendering it).
pub(super) async fn fetch_one(
    shared: &Arc<Shared>,
    policy: &HostPolicy,
    url: ClaimedUrl,
    page: PageReservation,
    permit: GatePermit,
) -> Result<(), CrawlError> {
    let request = FetchRequest {
        url: url.url.clone(),
        headers: conditional_headers(url.previous.as_ref()),
        max_body_bytes: policy.max_body_bytes,
        timeout: policy.timeout,
        read_timeout: policy.read_timeout,
    };
    shared.counters.requests.fetch_add(1, Ordering::Relaxed);
    shared.counters.in_flight.fetch_add(1, Ordering::Relaxed);
    // The start of each request, for checking the rate from the crawler's side
    // (`GLANEUR_LOG=glaneur::request=trace`; see scripts/bench_scale.py gaps).
    tracing::trace!(target: "glaneur::request", "start {} {}", url.host, url.url);
    let fetched = shared.fetcher.fetch(&request).await;
    shared.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
    let capture = match fetched {
        Ok(capture) => {
            shared.counters.record_status(capture.status);
            let body = capture.body.len() as u64;
            shared
                .counters
                .bytes_fetched
                .fetch_add(body, Ordering::Relaxed);
            capture
        }
        Err(error) => {
            shared.counters.errors.fetch_add(1, Ordering::Relaxed);
            shared.counters.record_fetch_error(&error);
            drop(page);
            return fetch_failed(shared, policy, &url, error).await;
        }
    };
    page.keep();
    tracing::debug!("{} {}", capture.status, capture.url);

    // Read the page off the reactor while the writer thread archives it, once its body
    // fits in the bodies in hand (held until its links are in the frontier).
    let mut hold = rendering::PageHold {
        slot: Some(permit),
        in_hand: shared.readers.hold(capture.body.len()).await,
    };
    let site = shared.site(&url.site);
    let reading = start_reading(shared, site, &url, &capture, policy);
    let written = archive_capture(shared, &url, &capture).await?;
    let read = reading.await.unwrap_or_else(|e| {
        tracing::error!("reading {} failed: {e}", url.url);
        PageRead::default()
    });
    let (mut read, rendered) =
        rendering::render_if_needed(shared, policy, &url, &capture, &written, read, &mut hold)
            .await?;
    // The page is read: its host may be asked for the next one.
    drop(hold.slot.take());
    let found = match site {
        Some(site) => Found {
            queue: links_to_queue(site, &url, &capture, &mut read),
            changed_since: read
                .discovery
                .as_ref()
                .map(|discovery| lastmod_changes(site, discovery))
                .unwrap_or_default(),
        },
        None => Found::default(),
    };
    let rest = read
        .analysis
        .as_ref()
        .and_then(|a| a.article.as_ref()?.wp_rest.clone());
    let described =
        archive_article(shared, &url, &capture, &written, read.analysis, rendered).await?;
    if let (true, Some(rest)) = (described, rest) {
        // Before the outcome: a crash before it fetches the page, and its JSON, again.
        wp_rest::archive_post_json(shared, &url, &rest).await;
    }
    record_outcome(shared, policy, &url, &capture, &written, found).await
}

/// A fetch that got no response: retried later while retries remain (a transient error),
/// else given up.
async fn fetch_failed(
    shared: &Arc<Shared>,
    policy: &HostPolicy,
    url: &ClaimedUrl,
    error: FetchError,
) -> Result<(), CrawlError> {
    let message = error.to_string();
    let id = url.id;
    if error.is_transient() && url.attempts < policy.retries {
        let delay = backoff_delay(
            url.attempts,
            Duration::from_secs(2),
            Duration::from_secs(600),
        );
        tracing::warn!("{message}; retrying in {}s", delay.as_secs());
        shared.gate.pause(&url.host, delay);
        let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        db(&shared.frontier, move |f| f.retry_at(id, at, &message)).await?;
    } else {
        tracing::warn!("{message}; giving up");
        shared.counters.failed.fetch_add(1, Ordering::Relaxed);
        db(&shared.frontier, move |f| {
            f.finish(id, &Outcome::Failed { error: message })
        })
        .await?;
    }
    Ok(())
}

/// Archives the exchange: a response record, or a revisit of the last capture when the
/// server says it did not change (304) or sent the same payload again.
async fn archive_capture(
    shared: &Shared,
    url: &ClaimedUrl,
    capture: &Capture,
) -> Result<Written, CrawlError> {
    let previous = url.previous.as_ref().map(|p| {
        (
            p.status,
            RevisitOf {
                record_id: p.record.id.clone(),
                target_uri: url.url.to_string(),
                date: p.record.date,
                payload_digest: p.payload_digest.clone(),
            },
        )
    });
    let written = shared
        .archive
        .write_recapture(capture.clone(), previous)
        .await??;
    let counters = &shared.counters;
    counters.pages.fetch_add(1, Ordering::Relaxed);
    let counter = match (written.revisit, &url.previous) {
        (Some(RevisitProfile::ServerNotModified), _) => &counters.not_modified,
        (Some(RevisitProfile::IdenticalPayloadDigest), _) => &counters.unchanged,
        (None, Some(_)) => &counters.changed,
        (None, None) => &counters.new,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    let location = &written.location;
    counters.bytes_written.fetch_add(
        location.request.length + location.response.length,
        Ordering::Relaxed,
    );
    Ok(written)
}

/// The body of an article's metadata record: the article's fields, and `rendered` when a
/// browser built the page.
#[derive(serde::Serialize)]
struct ArticleRecord<'a> {
    #[serde(flatten)]
    article: &'a crate::extract::Article,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    rendered: bool,
}

/// Archives the article of a page as a metadata record. An unchanged page has the article
/// of its last full capture: no new record (unless that capture's record may be missing).
/// The article of a page rendered in a browser says so (`"rendered": true`). True when
/// an article record was written.
async fn archive_article(
    shared: &Shared,
    url: &ClaimedUrl,
    capture: &Capture,
    written: &Written,
    analysis: Option<PageAnalysis>,
    rendered: bool,
) -> Result<bool, CrawlError> {
    // A `noindex` page naming another as canonical is archived but is no article.
    let Some(article) = analysis.and_then(|a| a.article).filter(|a| {
        !a.defers_to_canonical()
            && (written.revisit.is_none() || url.previous.as_ref().is_some_and(|p| !p.described))
    }) else {
        return Ok(false);
    };
    let described = ArticleRecord {
        article: &article,
        rendered,
    };
    let json = match serde_json::to_vec(&described) {
        Ok(json) => json,
        Err(e) => {
            tracing::error!("cannot serialise the article of {}: {e}", url.url);
            return Ok(false);
        }
    };
    let meta = shared
        .archive
        .write_metadata(
            capture.url.to_string(),
            written.location.response.id.clone(),
            crate::warc::metadata_date(capture),
            "application/json",
            json,
        )
        .await??;
    shared.counters.articles.fetch_add(1, Ordering::Relaxed);
    shared
        .counters
        .bytes_written
        .fetch_add(meta.length, Ordering::Relaxed);
    Ok(true)
}

/// What a page leads to.
#[derive(Default)]
struct Found {
    /// The URLs to queue (see [`links_to_queue`]).
    queue: Vec<NewUrl>,
    /// The URLs a feed or sitemap says changed, and when (see [`lastmod_changes`]).
    changed_since: Vec<(Url, DateTime<Utc>)>,
}

/// Records the outcome of a fetched URL with what it leads to, or its retry when the
/// server asked to come back later (429, 5xx) and retries remain.
async fn record_outcome(
    shared: &Shared,
    policy: &HostPolicy,
    url: &ClaimedUrl,
    capture: &Capture,
    written: &Written,
    found: Found,
) -> Result<(), CrawlError> {
    let id = url.id;
    let status = capture.status;
    let retry = retry_delay(capture, url.attempts, policy);
    if let Some(delay) = retry.or_else(|| asked_delay(capture)) {
        // A Retry-After pauses the host even when this URL has no retry left.
        shared.gate.pause(&url.host, delay);
    }
    let outcome_message = format!("HTTP {status}");
    let state = capture_state(capture, written, url.previous.as_ref());
    let Found {
        queue,
        changed_since,
    } = found;
    // The links of a big sitemap go in slices, each in a call of its own, so the others
    // waiting for the frontier (claims, small pages) are not held up behind one.
    // The last slice goes with the outcome.
    let mut links = queue.into_iter();
    let mut queue: Vec<NewUrl> = links.by_ref().take(ADD_SLICE).collect();
    loop {
        let next: Vec<NewUrl> = links.by_ref().take(ADD_SLICE).collect();
        if next.is_empty() {
            break;
        }
        let slice = std::mem::replace(&mut queue, next);
        db(&shared.frontier, move |f| f.add(&slice)).await?;
    }
    db(&shared.frontier, move |f| match retry {
        Some(delay) => {
            if !queue.is_empty() {
                f.add(&queue)?;
            }
            let at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            f.retry_at(id, at, &outcome_message)
        }
        None => {
            if !changed_since.is_empty() {
                f.recheck_if_older(&changed_since, Utc::now())?;
            }
            f.finish_capture(id, &Outcome::Fetched { status }, &state, &queue)
                .map(|_| ())
        }
    })
    .await?;
    if retry.is_some() {
        shared.counters.errors.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// The URLs a fetched page leads to, in this order: its redirect target, the entries of a
/// feed or sitemap, the feeds a start page announces, the links of an HTML page. Only
/// URLs in the site's scope, within its depth (a redirect may go
/// [`MAX_REDIRECT_HOPS`] past it).
fn links_to_queue(
    site: &Site,
    claimed: &ClaimedUrl,
    capture: &Capture,
    page: &mut PageRead,
) -> Vec<NewUrl> {
    let mut queue = Vec::new();
    if let Some(target) = capture
        .redirect_target()
        .and_then(|t| plan::in_scope(site, &t))
        .filter(|_| claimed.depth < site.max_depth + MAX_REDIRECT_HOPS)
    {
        let kind = if classify::is_article(&site.profile, &target) {
            UrlKind::Article
        } else {
            claimed.kind
        };
        // Each hop counts, so a redirect chain or loop ends; a page at the depth limit
        // may still be reached through a few redirects.
        let depth = claimed.depth + 1;
        queue.extend(plan::new_url(
            target,
            &claimed.site,
            depth,
            kind,
            Some(&claimed.url),
        ));
    }
    if let Some(discovery) = &page.discovery {
        queue.extend(discovered_to_queue(site, claimed, discovery));
    }
    for feed in &page.feeds {
        // The scope is checked on the URL as the page announces it.
        let Some(canonical) = urls::canonicalize(feed).filter(|_| site.profile.allows(feed)) else {
            continue;
        };
        let (depth, found_on) = (claimed.depth, Some(&claimed.url));
        queue.extend(plan::new_url(
            canonical,
            &claimed.site,
            depth,
            UrlKind::Start,
            found_on,
        ));
    }
    if let Some(analysis) = &mut page.analysis {
        // Taken: the links are not needed once queued.
        queue.extend(classify::links_to_queue(
            &site.profile,
            site.max_depth,
            &claimed.url,
            claimed.depth,
            std::mem::take(&mut analysis.links),
        ));
    }
    queue
}

/// The URLs a feed or sitemap leads to: the sitemaps of an index at the index's depth,
/// the entries of a feed or sitemap one deeper (at most the site's `max_depth`).
fn discovered_to_queue(site: &Site, page: &ClaimedUrl, discovery: &Discovery) -> Vec<NewUrl> {
    let index = discovery.kind == DocumentKind::SitemapIndex;
    let deeper = (page.depth + 1).min(site.max_depth);
    discovery
        .entries
        .iter()
        .filter_map(|entry| plan::in_scope(site, &entry.url))
        .filter_map(|url| {
            let (depth, kind) = if index {
                (page.depth, UrlKind::Other)
            } else if classify::is_article(&site.profile, &url) {
                (deeper, UrlKind::Article)
            } else {
                (deeper, UrlKind::Other)
            };
            plan::new_url(url, &page.site, depth, kind, Some(&page.url))
        })
        .collect()
}

/// The in-scope URLs of a feed or sitemap with the date it says they last changed.
fn lastmod_changes(site: &Site, discovery: &Discovery) -> Vec<(Url, DateTime<Utc>)> {
    discovery
        .entries
        .iter()
        .filter_map(|entry| Some((plan::in_scope(site, &entry.url)?, entry.modified?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteProfile;
    use crate::discover::Entry;
    use crate::extract::{FoundLink, LinkSource};

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    /// A site in `http://news.test/` (not its `/private/`), articles end in `-<id>.html`.
    fn site(max_depth: u32) -> Site {
        let text = format!(
            "name = \"news\"\nstart = [\"http://news.test/\"]\ndeny = ['/private/']\n\
             article = '-\\d+\\.html$'\nmax_depth = {max_depth}\n"
        );
        let profile =
            SiteProfile::parse(&text, std::path::Path::new("news.toml")).expect("test profile");
        Site {
            selectors: crate::extract::ProfileSelectors::compile(&profile.selectors)
                .expect("no selectors"),
            max_depth: profile.max_depth,
            profile,
        }
    }

    fn claimed(url: &str, depth: u32, kind: UrlKind) -> ClaimedUrl {
        ClaimedUrl {
            id: 7,
            url: u(url),
            host: "news.test".into(),
            site: "news".into(),
            depth,
            kind,
            attempts: 0,
            previous: None,
        }
    }

    fn capture(url: &str, status: u16, location: Option<&str>) -> Capture {
        let mut headers = http::HeaderMap::new();
        if let Some(location) = location {
            headers.insert("location", location.parse().expect("header value"));
        }
        Capture {
            url: u(url),
            started: Utc::now(),
            ip: None,
            request: Vec::new(),
            status,
            response_head: Vec::new(),
            headers,
            body: bytes::Bytes::new(),
            truncated: None,
            elapsed: Duration::ZERO,
        }
    }

    fn entry(url: &str, modified: Option<&str>) -> Entry {
        Entry {
            url: u(url),
            modified: modified.map(|d| d.parse().expect("test date")),
        }
    }

    /// (url, depth, kind) of each queued URL, in order.
    fn summary(queue: &[NewUrl]) -> Vec<(&str, u32, UrlKind)> {
        queue
            .iter()
            .map(|n| (n.url.as_str(), n.depth, n.kind))
            .collect()
    }

    #[test]
    fn a_redirect_in_scope_is_followed_one_hop_deeper() {
        let site = site(2);
        let page = claimed("http://news.test/old", 1, UrlKind::Related);
        let moved = capture("http://news.test/old", 301, Some("/new?utm_source=feed"));
        let queue = links_to_queue(&site, &page, &moved, &mut PageRead::default());
        assert_eq!(
            summary(&queue),
            vec![("http://news.test/new", 2, UrlKind::Related)]
        );
        assert_eq!(queue[0].found_on.as_ref(), Some(&page.url));
        assert_eq!(
            (queue[0].host.as_str(), queue[0].site.as_str()),
            ("news.test", "news")
        );

        let to_article = capture("http://news.test/old", 302, Some("/a-12345.html"));
        let queue = links_to_queue(&site, &page, &to_article, &mut PageRead::default());
        assert_eq!(
            summary(&queue),
            vec![("http://news.test/a-12345.html", 2, UrlKind::Article)]
        );
    }

    #[test]
    fn a_redirect_out_of_scope_or_past_its_hops_is_not_followed() {
        let site = site(2);
        let page = claimed("http://news.test/old", 1, UrlKind::Other);
        for target in ["http://elsewhere.test/", "/private/x", "mailto:a@b.c"] {
            let moved = capture("http://news.test/old", 301, Some(target));
            assert!(
                links_to_queue(&site, &page, &moved, &mut PageRead::default()).is_empty(),
                "{target}"
            );
        }
        let moved = capture("http://news.test/old", 301, Some("/new"));
        let deep = claimed(
            "http://news.test/old",
            2 + MAX_REDIRECT_HOPS - 1,
            UrlKind::Other,
        );
        assert_eq!(
            links_to_queue(&site, &deep, &moved, &mut PageRead::default()).len(),
            1
        );
        let deeper = claimed(
            "http://news.test/old",
            2 + MAX_REDIRECT_HOPS,
            UrlKind::Other,
        );
        assert!(links_to_queue(&site, &deeper, &moved, &mut PageRead::default()).is_empty());
        let not_a_redirect = capture("http://news.test/old", 200, Some("/new"));
        assert!(links_to_queue(&site, &page, &not_a_redirect, &mut PageRead::default()).is_empty());
    }

    #[test]
    fn sitemap_entries_go_one_deeper_at_most_to_the_limit_index_entries_stay() {
        let site = site(2);
        let page = claimed("http://news.test/sitemap.xml", 2, UrlKind::Other);
        let ok = capture("http://news.test/sitemap.xml", 200, None);
        let mut sitemap = PageRead {
            discovery: Some(Discovery {
                kind: DocumentKind::Sitemap,
                entries: vec![
                    entry("http://news.test/a-1234.html", Some("2026-11-01T00:00:00Z")),
                    entry("http://news.test/private/b", Some("2026-11-01T00:00:00Z")),
                    entry("http://other.test/c", None),
                    entry("http://news.test/rubrique/", None),
                ],
            }),
            ..PageRead::default()
        };
        assert_eq!(
            summary(&links_to_queue(&site, &page, &ok, &mut sitemap)),
            vec![
                ("http://news.test/a-1234.html", 2, UrlKind::Article),
                ("http://news.test/rubrique/", 2, UrlKind::Other),
            ]
        );
        let changes = lastmod_changes(&site, sitemap.discovery.as_ref().expect("set"));
        assert_eq!(changes.len(), 1, "only in-scope entries with a date");
        assert_eq!(changes[0].0.as_str(), "http://news.test/a-1234.html");

        let mut index = PageRead {
            discovery: Some(Discovery {
                kind: DocumentKind::SitemapIndex,
                entries: vec![entry("http://news.test/sitemap-1.xml", None)],
            }),
            ..PageRead::default()
        };
        let top = claimed("http://news.test/sitemap.xml", 1, UrlKind::Other);
        assert_eq!(
            summary(&links_to_queue(&site, &top, &ok, &mut index)),
            vec![("http://news.test/sitemap-1.xml", 1, UrlKind::Other)]
        );
    }

    #[test]
    fn announced_feeds_and_page_links_are_queued_after_the_redirect_in_order() {
        let site = site(3);
        let page = claimed("http://news.test/", 0, UrlKind::Start);
        let ok = capture("http://news.test/", 200, None);
        let link = |url: &str, related: bool, source: LinkSource| FoundLink {
            url: u(url),
            related,
            source,
        };
        let mut read = PageRead {
            feeds: vec![u("http://news.test/feed/"), u("http://other.test/feed/")],
            analysis: Some(PageAnalysis {
                links: vec![
                    link("http://news.test/a-99999.html", false, LinkSource::Anchor),
                    link("http://news.test/dossier/", true, LinkSource::Anchor),
                    link("http://news.test/style.css", false, LinkSource::Asset),
                    link("http://other.test/x", false, LinkSource::Anchor),
                ],
                article: None,
            }),
            ..PageRead::default()
        };
        assert_eq!(
            summary(&links_to_queue(&site, &page, &ok, &mut read)),
            vec![
                ("http://news.test/feed/", 0, UrlKind::Start),
                ("http://news.test/a-99999.html", 1, UrlKind::Article),
                ("http://news.test/dossier/", 1, UrlKind::Related),
                ("http://news.test/style.css", 1, UrlKind::Other),
            ]
        );
    }
}
