//! robots.txt: fetching (RFC 9309 status rules, redirects, size cap) and matching,
//! behind [`RobotsMatcher`] so the matching crate can be swapped.

use std::time::Duration;

use url::Url;

use crate::capture::Capture;
use crate::fetch::Fetcher;

/// Matches URLs against one robots.txt body.
pub trait RobotsMatcher: Send + Sync + std::fmt::Debug {
    /// Whether `url` may be fetched by a crawler whose product token is `agent`.
    fn is_allowed(&self, agent: &str, url: &Url) -> bool;
    /// The `Crawl-delay` of the group that applies to `agent`, if any.
    fn crawl_delay(&self, agent: &str) -> Option<Duration>;
    /// The `Sitemap:` URLs.
    fn sitemaps(&self) -> Vec<Url>;
}

/// What robots.txt says for one host.
#[derive(Debug)]
pub enum RobotsRules {
    /// No restrictions (4xx, or robots not obeyed).
    AllowAll,
    /// Nothing may be fetched (5xx or unreachable); `reason` says why.
    DisallowAll {
        /// Why, in words (e.g. "robots.txt answered 503").
        reason: String,
    },
    /// A parsed robots.txt.
    Parsed(Box<dyn RobotsMatcher>),
}

impl RobotsRules {
    /// Builds the rules from a robots.txt body (at most 500 KiB of it is parsed).
    pub fn parse(body: &[u8], base: &Url) -> RobotsRules {
        todo!("{body:?}{base}")
    }

    /// Whether `url` may be fetched by `agent`.
    pub fn is_allowed(&self, agent: &str, url: &Url) -> bool {
        todo!("{agent}{url}")
    }

    /// The crawl delay for `agent`, if any.
    pub fn crawl_delay(&self, agent: &str) -> Option<Duration> {
        todo!("{agent}")
    }
}

/// Fetches `origin`'s `/robots.txt` per RFC 9309: follows up to 5 redirects, maps
/// 2xx → parsed, 4xx → allow all, 5xx and network errors → disallow all. Every HTTP
/// exchange made is handed to `archive` so it can be written to the WARC.
pub async fn fetch_robots(
    fetcher: &Fetcher,
    origin: &Url,
    timeout: Duration,
    archive: &mut (dyn FnMut(Capture) + Send),
) -> RobotsRules {
    todo!("{fetcher:?}{origin}{timeout:?}{}", archive as *const _ as *const () as usize)
}
