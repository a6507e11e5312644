//! Site profiles written by the machine (`glaneur profile new`) and watched by it
//! (`glaneur profile check`).
//!
//! - [`sample`]: polite sampling of a site (robots.txt, the policy's rate, the crawler's
//!   fetcher): the start page, its feed, a sitemap, and linked pages of every URL shape;
//! - [`classify`]: which sampled pages are articles, the `article` regex, `deny`,
//!   `max_depth`;
//! - [`selectors`]: the CSS selector of each field, scored by agreement with the generic
//!   extractor over the sampled articles;
//! - [`write`]: the commented TOML profile;
//! - [`check`]: do a profile's selectors still match the site's recent articles?

pub mod check;
pub mod classify;
pub mod sample;
pub mod selectors;
pub mod write;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::config::Policy;
use classify::ReadPage;
use selectors::{Field, FieldChoice};

/// Why a profile could not be made or checked.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The HTTP client could not be built.
    #[error("cannot fetch: {0}")]
    Fetch(String),
    /// The start page gave nothing (network error, error status, robots.txt).
    #[error(
        "the start page {0} could not be fetched (see the warnings above); check the URL, --resolve and the policy's allow_private_networks"
    )]
    Start(Url),
    /// robots.txt disallows the start page for our user agent.
    #[error("robots.txt of {0} disallows it for this user agent: nothing sampled")]
    RobotsDenied(Url),
    /// No sampled page looks like an article.
    #[error(
        "none of the {0} pages sampled looks like an article (no JSON-LD or og:type article, no dated page with a long body): give a start page that links to articles, or more --pages"
    )]
    NoArticles(usize),
}

/// What `profile new` is asked.
#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The site's start page.
    pub start: Url,
    /// Profile name (default: the host).
    pub name: Option<String>,
    /// HTML pages to sample.
    pub pages: usize,
    /// Politeness policy.
    pub policy: Policy,
    /// Host names pinned to addresses.
    pub resolve: Vec<(String, SocketAddr)>,
}

/// A profile inferred from a sample, with the evidence of every key.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// `name`.
    pub name: String,
    /// `start`.
    pub start: Url,
    /// `scope` (one prefix: the start page's origin).
    pub scope: String,
    /// `deny`: pattern, what it stops, sampled links it stops.
    pub deny: Vec<(String, String, usize)>,
    /// `article` regex.
    pub article: Option<String>,
    /// Sampled non-article URLs the regex matches (should be none).
    pub article_conflicts: Vec<Url>,
    /// `max_depth`.
    pub max_depth: u32,
    /// `feeds`.
    pub feeds: Vec<Url>,
    /// `[selectors]`, per field.
    pub selectors: BTreeMap<Field, FieldChoice>,
    /// HTML pages sampled.
    pub pages: usize,
    /// Of which articles.
    pub articles: usize,
    /// Articles by evidence.
    pub article_evidence: BTreeMap<&'static str, usize>,
    /// HTTP requests made.
    pub requests: u32,
    /// Time spent, in all.
    pub elapsed: Duration,
    /// Of which fetching (robots.txt, feed, sitemap, pages).
    pub sampling: Duration,
    /// The policy's rate for the site's host (requests per second).
    pub rate: f64,
}

/// The policy of a host key (`name` or `name:port`), as the crawler looks it up: an
/// exact entry first, then the name without its port.
pub fn host_policy<'a>(policy: &'a Policy, host: &str) -> &'a crate::config::HostPolicy {
    if let Some(p) = policy.hosts.get(host) {
        return p;
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    policy.for_host(name)
}

/// The site's origin as a scope prefix (`scheme://host[:port]/`).
pub fn origin_prefix(url: &Url) -> String {
    format!("{}/", url.origin().ascii_serialization())
}

/// The deny rules that stop none of the articles and none of the feeds.
fn safe_deny(
    rules: Vec<(String, String, usize)>,
    articles: &[&Url],
    feeds: &[Url],
) -> Vec<(String, String, usize)> {
    rules
        .into_iter()
        .filter(|(pattern, _, _)| {
            regex::Regex::new(pattern).is_ok_and(|re| {
                !articles.iter().any(|u| re.is_match(u.as_str()))
                    && !feeds.iter().any(|u| re.is_match(u.as_str()))
            })
        })
        .collect()
}

/// Samples the site and infers its profile.
pub async fn infer(options: &NewOptions) -> Result<Inferred, ProfileError> {
    let start = crate::urls::canonicalize(&options.start).unwrap_or(options.start.clone());
    let scope = origin_prefix(&start);
    let mut sampler = sample::Sampler::new(&options.policy, &options.resolve)?;
    let sample = sample::sample_site(&mut sampler, &start, &scope, options.pages).await?;
    let pages = sample.pages.len();
    let sampling = sampler.elapsed();
    let read: Vec<ReadPage> = sample
        .pages
        .iter()
        .cloned()
        .map(classify::read_page)
        .collect();
    let articles: Vec<&ReadPage> = read.iter().filter(|p| p.is_article).collect();
    if articles.is_empty() {
        return Err(ProfileError::NoArticles(pages));
    }
    let mut article_evidence = BTreeMap::new();
    for a in &articles {
        *article_evidence.entry(a.evidence).or_insert(0) += 1;
    }
    let article_urls: Vec<&Url> = articles.iter().map(|p| &p.page.url).collect();
    let other_urls: Vec<&Url> = read
        .iter()
        .filter(|p| !p.is_article)
        .map(|p| &p.page.url)
        .collect();
    let article = classify::article_regex(&article_urls);
    let article_conflicts = article
        .as_deref()
        .map(|re| classify::regex_conflicts(re, &other_urls))
        .unwrap_or_default();
    let selectors = selectors::infer(&articles);
    let host = crate::urls::host_key(&start).unwrap_or_default();
    let name = options.name.clone().unwrap_or_else(|| host.clone());
    Ok(Inferred {
        name,
        scope,
        deny: safe_deny(
            classify::deny_rules(&sample.links),
            &article_urls,
            &sample.feeds,
        ),
        article,
        article_conflicts,
        max_depth: classify::max_depth(&articles),
        feeds: sample.feeds.clone(),
        selectors,
        pages,
        articles: articles.len(),
        article_evidence,
        requests: sampler.requests(),
        elapsed: sampler.elapsed(),
        sampling,
        rate: host_policy(&options.policy, &host).requests_per_second,
        start,
    })
}
