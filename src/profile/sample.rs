//! Polite sampling of a site for `profile new` and `profile check`: robots.txt first (and
//! obeyed), every request through the crawler's own [`Fetcher`] and the policy's
//! per-host gate ([`HostGate`]: rate, burst, concurrency, `Crawl-delay`), redirects
//! followed hop by hop, bodies bounded by the policy's `max_body_bytes`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use url::Url;

use crate::config::Policy;
use crate::discover::{self, DocumentKind};
use crate::extract::{self, PageInput};
use crate::fetch::{FetchRequest, Fetcher, FetcherConfig, decode_content};
use crate::politeness::{HostGate, RobotsRules, fetch_robots};

use super::ProfileError;

/// Redirect hops followed for one page.
const MAX_REDIRECTS: usize = 5;
/// Sitemaps read (an index's children included) while sampling.
const MAX_SITEMAPS: usize = 3;

/// One fetched HTML page of the sample.
#[derive(Debug, Clone)]
pub struct SampledPage {
    /// The final URL (after redirects).
    pub url: Url,
    /// The decoded body.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
    /// Hops from the start page (feed and sitemap entries count as 1).
    pub depth: u32,
    /// Listed in a feed (strong evidence of an article).
    pub in_feed: bool,
}

/// What sampling found.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// HTML pages fetched, start page first.
    pub pages: Vec<SampledPage>,
    /// Feeds the start page announces (`<link rel="alternate">`), comment feeds left out.
    pub feeds: Vec<Url>,
    /// URLs of feed entries (newest first, as the feed lists them).
    pub feed_entries: Vec<Url>,
    /// URLs of sitemap entries read.
    pub sitemap_entries: Vec<Url>,
    /// Every link seen on the fetched pages (in scope or not), each once.
    pub links: Vec<Url>,
    /// HTTP requests made (robots.txt, redirects, feeds and sitemaps included).
    pub requests: u32,
    /// Time spent.
    pub elapsed: Duration,
    /// URLs robots.txt kept us from fetching.
    pub robots_denied: u32,
}

/// The client side of sampling: the fetcher, the gate and the robots.txt rules.
pub struct Sampler {
    fetcher: Fetcher,
    gate: HostGate,
    policy: Policy,
    robots: Option<RobotsRules>,
    requests: u32,
    started: Instant,
}

impl Sampler {
    /// A sampler with the policy's user agent and limits, names in `resolve` pinned.
    pub fn new(
        policy: &Policy,
        resolve: &[(String, std::net::SocketAddr)],
    ) -> Result<Sampler, ProfileError> {
        let fetcher = Fetcher::new(FetcherConfig {
            user_agent: policy.user_agent.clone(),
            allow_private_networks: policy.allow_private_networks,
            resolve: resolve.to_vec(),
            connect_timeout: policy.default.connect_timeout,
        })
        .map_err(|e| ProfileError::Fetch(e.to_string()))?;
        Ok(Sampler {
            fetcher,
            gate: HostGate::new(),
            policy: policy.clone(),
            robots: None,
            requests: 0,
            started: Instant::now(),
        })
    }

    /// Requests made so far.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Time since the sampler was made.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Reads robots.txt of `origin` once (through the gate), and applies its `Crawl-delay`.
    pub async fn load_robots(&mut self, origin: &Url) {
        if !self.policy.obey_robots {
            self.robots = Some(RobotsRules::AllowAll);
            return;
        }
        let host = crate::urls::host_key(origin).unwrap_or_default();
        let host_policy = super::host_policy(&self.policy, &host).clone();
        let rules = {
            let _permit = self.gate.acquire(&host, &host_policy).await;
            self.requests += 1;
            fetch_robots(&self.fetcher, origin, host_policy.timeout, &mut |_| {}).await
        };
        if let Some(delay) = rules.crawl_delay(self.policy.product_token()) {
            self.gate.set_min_delay(&host, delay);
        }
        self.robots = Some(rules);
    }

    /// Sitemaps robots.txt names.
    pub fn robots_sitemaps(&self) -> Vec<Url> {
        self.robots
            .as_ref()
            .map(RobotsRules::sitemaps)
            .unwrap_or_default()
    }

    /// True if robots.txt allows `url` (always, when the policy does not obey it).
    pub fn allowed(&self, url: &Url) -> bool {
        self.robots
            .as_ref()
            .is_none_or(|r| r.is_allowed(self.policy.product_token(), url))
    }

    /// GETs `url` politely, following redirects; the final URL and its decoded body
    /// (`None` for an error status, a refused URL or a network failure, logged).
    pub async fn get(&mut self, url: &Url) -> Option<(Url, Vec<u8>, Option<String>)> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            if !self.allowed(&url) {
                return None;
            }
            let host = crate::urls::host_key(&url)?;
            let host_policy = super::host_policy(&self.policy, &host).clone();
            let request = FetchRequest {
                url: url.clone(),
                headers: Vec::new(),
                max_body_bytes: host_policy.max_body_bytes,
                timeout: host_policy.timeout,
                read_timeout: host_policy.read_timeout,
            };
            let capture = {
                let _permit = self.gate.acquire(&host, &host_policy).await;
                self.requests += 1;
                self.fetcher.fetch(&request).await
            };
            let capture = match capture {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("{url}: {e}");
                    return None;
                }
            };
            if let Some(next) = capture.redirect_target() {
                url = next;
                continue;
            }
            if capture.status != 200 {
                tracing::info!("{url}: HTTP {}", capture.status);
                return None;
            }
            let body = decode_content(&capture, host_policy.max_body_bytes)
                .ok()?
                .into_owned();
            return Some((url, body, capture.content_type().map(str::to_string)));
        }
        tracing::warn!("{url}: too many redirects");
        None
    }
}

/// True for a feed meant for comments (not the site's article feed).
fn is_comment_feed(url: &Url) -> bool {
    url.as_str().to_ascii_lowercase().contains("comment")
}

/// URLs of a feed or sitemap document at `url` (a sitemap index's children are read too,
/// up to [`MAX_SITEMAPS`] documents in all).
async fn read_listing(sampler: &mut Sampler, url: &Url, budget: &mut usize) -> Vec<Url> {
    let mut queue = VecDeque::from([url.clone()]);
    let mut out = Vec::new();
    while let Some(doc) = queue.pop_front() {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let Some((final_url, body, _)) = sampler.get(&doc).await else {
            continue;
        };
        match discover::parse(&body, &final_url) {
            Ok(found) if found.kind == DocumentKind::SitemapIndex => {
                // Post sitemaps first (WordPress: wp-sitemap-posts-post-1.xml).
                let mut children: Vec<Url> = found.entries.into_iter().map(|e| e.url).collect();
                children.sort_by_key(|u| !u.path().contains("post"));
                queue.extend(children);
            }
            Ok(found) => out.extend(found.entries.into_iter().map(|e| e.url)),
            Err(e) => tracing::info!("{final_url}: {e}"),
        }
    }
    out
}

/// A rough shape of a URL for diversity: the path's segment count and its segments with
/// digits replaced, the last one reduced to whether it has digits.
fn shape(url: &Url) -> String {
    let segments: Vec<String> = url
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();
    let n = segments.len();
    let mut parts: Vec<String> = Vec::new();
    for (i, s) in segments.iter().enumerate() {
        if i + 1 == n {
            parts.push(if s.chars().any(|c| c.is_ascii_digit()) {
                "#".into()
            } else {
                "*".into()
            });
        } else if s.chars().all(|c| c.is_ascii_digit()) {
            parts.push("#".into());
        } else if i == 0 {
            parts.push(s.clone());
        } else {
            parts.push("*".into());
        }
    }
    format!(
        "{}:{}{}",
        n,
        parts.join("/"),
        url.query().map_or("", |_| "?")
    )
}

/// Samples up to `pages` HTML pages of the site at `start`, in scope `scope` (URL
/// prefix): the start page, feed entries and sitemap entries, then links of the fetched
/// pages, taken round-robin over URL shapes so that articles and listings both appear.
pub async fn sample_site(
    sampler: &mut Sampler,
    start: &Url,
    scope: &str,
    pages: usize,
) -> Result<Sample, ProfileError> {
    sampler.load_robots(start).await;
    let mut sample = Sample::default();
    if !sampler.allowed(start) {
        return Err(ProfileError::RobotsDenied(start.clone()));
    }
    let Some((start_url, body, content_type)) = sampler.get(start).await else {
        return Err(ProfileError::Start(start.clone()));
    };
    let in_scope =
        |u: &Url| u.as_str().starts_with(scope) || u.as_str().starts_with(start_url.as_str());
    let start_html = String::from_utf8_lossy(&body).into_owned();
    sample.feeds = discover::feed_links(&start_html, &start_url)
        .into_iter()
        .filter(|u| !is_comment_feed(u))
        .collect();
    let mut seen: HashSet<Url> = HashSet::from([start.clone(), start_url.clone()]);
    let mut all_links: HashSet<Url> = HashSet::new();
    let mut queues = ShapeQueues::default();
    let enqueue =
        |queues: &mut ShapeQueues, seen: &mut HashSet<Url>, url: Url, depth: u32, in_feed: bool| {
            if in_scope(&url)
                && !discover::looks_like_feed_or_sitemap(None, &url, b"")
                && seen.insert(url.clone())
            {
                queues.push(url, depth, in_feed);
            }
        };
    let first = page_of(start_url.clone(), body, content_type, 0, false);
    for link in page_links(&first) {
        all_links.insert(link.clone());
        enqueue(&mut queues, &mut seen, link, 1, false);
    }
    all_links.extend(head_links(&first));
    sample.pages.push(first);

    // Feed and sitemap entries: likely articles, two of every three pages fetched.
    let mut listed = ShapeQueues::default();
    let mut budget = MAX_SITEMAPS;
    for feed in sample.feeds.clone().iter().take(1) {
        let entries = read_listing(sampler, feed, &mut budget).await;
        for url in &entries {
            if in_scope(url) {
                listed.push(url.clone(), 1, true);
            }
        }
        sample.feed_entries.extend(entries);
    }
    let mut budget = MAX_SITEMAPS;
    for sitemap in sampler.robots_sitemaps().iter().take(1) {
        let entries = read_listing(sampler, sitemap, &mut budget).await;
        for url in entries.iter().rev().take(pages) {
            if in_scope(url) {
                listed.push(url.clone(), 1, false);
            }
        }
        sample.sitemap_entries.extend(entries);
    }
    let feed_set: HashSet<&Url> = sample.feed_entries.iter().collect();
    let feed_set: HashSet<Url> = feed_set.into_iter().cloned().collect();

    let mut fetched: HashSet<Url> = HashSet::from([start.clone(), start_url.clone()]);
    let mut picks = 0usize;
    while sample.pages.len() < pages {
        picks += 1;
        let next = if picks.is_multiple_of(3) {
            queues.pop().or_else(|| listed.pop())
        } else {
            listed.pop().or_else(|| queues.pop())
        };
        let Some((url, depth, in_feed)) = next else {
            break;
        };
        if !fetched.insert(url.clone()) {
            continue;
        }
        if !sampler.allowed(&url) {
            sample.robots_denied += 1;
            continue;
        }
        let Some((final_url, body, content_type)) = sampler.get(&url).await else {
            continue;
        };
        if !extract::is_html(content_type.as_deref(), &body) {
            continue;
        }
        let in_feed = in_feed || feed_set.contains(&final_url);
        let page = page_of(final_url, body, content_type, depth, in_feed);
        for link in page_links(&page) {
            all_links.insert(link.clone());
            enqueue(&mut queues, &mut seen, link, depth + 1, false);
        }
        all_links.extend(head_links(&page));
        sample.pages.push(page);
    }
    let mut links: Vec<Url> = all_links.into_iter().collect();
    links.sort();
    sample.links = links;
    sample.requests = sampler.requests();
    sample.elapsed = sampler.elapsed();
    Ok(sample)
}

/// Queued URLs (with depth and feed flag) by URL shape, taken round-robin over shapes.
#[derive(Default)]
struct ShapeQueues {
    order: VecDeque<String>,
    queues: HashMap<String, VecDeque<(Url, u32, bool)>>,
}

impl ShapeQueues {
    fn push(&mut self, url: Url, depth: u32, in_feed: bool) {
        let key = shape(&url);
        let queue = self.queues.entry(key.clone()).or_default();
        if queue.is_empty() {
            self.order.push_back(key);
        }
        queue.push_back((url, depth, in_feed));
    }

    /// The first URL of the next shape; the shape goes to the back of the rotation.
    fn pop(&mut self) -> Option<(Url, u32, bool)> {
        let key = self.order.pop_front()?;
        let queue = self.queues.get_mut(&key)?;
        let item = queue.pop_front();
        if !queue.is_empty() {
            self.order.push_back(key);
        }
        item
    }
}

fn page_of(
    url: Url,
    body: Vec<u8>,
    content_type: Option<String>,
    depth: u32,
    in_feed: bool,
) -> SampledPage {
    SampledPage {
        url,
        body,
        content_type,
        fetched_at: Utc::now(),
        depth,
        in_feed,
    }
}

/// The anchor links of a page, canonicalised (duplicate-making parameters kept: they are
/// evidence for `deny`).
fn page_links(page: &SampledPage) -> Vec<Url> {
    let input = PageInput {
        url: &page.url,
        body: &page.body,
        content_type: page.content_type.as_deref(),
        fetched_at: page.fetched_at,
    };
    extract::analyze(&input, None, false)
        .links
        .into_iter()
        .filter(|l| l.source == extract::LinkSource::Anchor)
        .map(|l| l.url)
        .collect()
}

/// The `<link href>` URLs of a page (feeds, API and edit endpoints, AMP copies): not
/// followed, but evidence for `deny`.
fn head_links(page: &SampledPage) -> Vec<Url> {
    let html = String::from_utf8_lossy(&page.body);
    let doc = scraper::Html::parse_document(&html);
    let Ok(links) = scraper::Selector::parse("link[href]") else {
        return Vec::new();
    };
    doc.select(&links)
        .filter_map(|l| l.value().attr("href"))
        .filter_map(|href| page.url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .collect()
}

/// Fetches the pages at `urls` (up to `pages` of them, HTML only), for `profile check`.
pub async fn fetch_pages(sampler: &mut Sampler, urls: &[Url], pages: usize) -> Vec<SampledPage> {
    let mut out = Vec::new();
    for url in urls {
        if out.len() >= pages {
            break;
        }
        if let Some((final_url, body, content_type)) = sampler.get(url).await
            && extract::is_html(content_type.as_deref(), &body)
        {
            out.push(page_of(final_url, body, content_type, 1, false));
        }
    }
    out
}

/// URLs listed by the feeds or, failing that, the sitemaps robots.txt names (newest
/// first for a feed; last entries first for a sitemap).
pub async fn recent_urls(sampler: &mut Sampler, feeds: &[Url]) -> Vec<Url> {
    let mut budget = MAX_SITEMAPS;
    for feed in feeds {
        let entries = read_listing(sampler, feed, &mut budget).await;
        if !entries.is_empty() {
            return entries;
        }
    }
    let mut budget = MAX_SITEMAPS;
    for sitemap in sampler.robots_sitemaps() {
        let entries = read_listing(sampler, &sitemap, &mut budget).await;
        if !entries.is_empty() {
            return entries.into_iter().rev().collect();
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn shapes_group_articles_apart_from_listings() {
        assert_eq!(
            shape(&u("http://x.test/2024/01/un-titre-0001/")),
            shape(&u("http://x.test/2023/12/autre-0042/"))
        );
        assert_ne!(
            shape(&u("http://x.test/2024/01/un-titre-0001/")),
            shape(&u("http://x.test/categorie/cloud/"))
        );
        assert_ne!(
            shape(&u("http://x.test/categorie/cloud/")),
            shape(&u("http://x.test/auteur/sophie/"))
        );
    }

    #[test]
    fn shape_queues_take_turns() {
        let mut q = ShapeQueues::default();
        for s in [
            "http://x.test/2024/01/a-1/",
            "http://x.test/2024/01/b-2/",
            "http://x.test/2024/01/c-3/",
            "http://x.test/categorie/cloud/",
        ] {
            q.push(u(s), 1, false);
        }
        let order: Vec<String> = std::iter::from_fn(|| q.pop())
            .map(|(url, _, _)| url.path().to_string())
            .collect();
        assert_eq!(
            order,
            vec![
                "/2024/01/a-1/",
                "/categorie/cloud/",
                "/2024/01/b-2/",
                "/2024/01/c-3/"
            ]
        );
    }
}
