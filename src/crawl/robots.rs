//! robots.txt for the crawl: fetched (and archived) once per origin and cached, shared
//! through the store by the workers of a PostgreSQL state; its `Sitemap:` lines queued.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use url::Url;

use super::{Shared, db, plan};
use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::frontier::{ClaimedUrl, NewUrl, UrlKind};
use crate::politeness::{
    IDLE_EVICTION, RobotsClaim, RobotsRules, SharedStoreError, StoredRobots, fetch_robots_stored,
    robots_retry_delay,
};
use crate::urls;

/// How long robots.txt rules are kept.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a robots.txt still unavailable after its retries keeps its host's URLs failing
/// fast before a new series of attempts.
const ROBOTS_UNAVAILABLE_TTL: Duration = Duration::from_secs(3600);

/// The robots.txt rules for `url`'s origin, fetched (and archived) on first use. While
/// robots.txt is unavailable (5xx, 429, network error) the host waits: it is asked again
/// after [`robots_retry_delay`], up to the host's `retries` times, and the rules it then
/// gives are used; if it is still unavailable, that is the answer (cached for an hour).
/// With a shared state, one worker fetches it for all: the others read it from the store,
/// waiting while it is being fetched (and retried). `None` if the crawl stops meanwhile
/// or fails.
pub(super) async fn robots_for(
    shared: &Arc<Shared>,
    claimed: &ClaimedUrl,
    policy: &HostPolicy,
) -> Option<Arc<RobotsRules>> {
    let url = &claimed.url;
    if !shared.policy.obey_robots {
        return Some(Arc::new(RobotsRules::AllowAll));
    }
    let origin = url.origin().ascii_serialization();
    if let Some(rules) = shared
        .robots
        .lock()
        .ok()
        .and_then(|mut cache| cache.get(&origin, Instant::now()))
    {
        return Some(rules);
    }
    let Some(host) = urls::host_key(url) else {
        return Some(Arc::new(RobotsRules::AllowAll));
    };
    let origin_url = match Url::parse(&origin) {
        Ok(u) => u,
        Err(_) => return Some(Arc::new(RobotsRules::AllowAll)),
    };
    if shared.gate.shared().is_some() {
        match from_store(shared, &origin).await {
            FromStore::Rules(rules) => return Some(rules),
            FromStore::Fetch => {}
            FromStore::Stop => return None,
        }
    }
    let (rules, stored) = fetch_with_retries(shared, &host, &origin, &origin_url, policy).await?;
    if let Some(store) = shared.gate.shared() {
        let (store, key) = (Arc::clone(store), origin.clone());
        let saved = tokio::task::spawn_blocking(move || store.store_robots(&key, &stored))
            .await
            .map_err(|e| SharedStoreError(format!("robots.txt task failed: {e}")))
            .and_then(|r| r);
        if let Err(e) = saved {
            shared.fail(e.into());
            return None;
        }
    }
    if let RobotsRules::DisallowAll { reason } = &rules {
        tracing::warn!("{origin}: {reason}; nothing will be fetched from this host");
    }
    if let RobotsRules::Refused { reason } = &rules {
        tracing::warn!(
            "{origin}: {reason}; nothing will be fetched from this host: {}",
            super::PRIVATE_NETWORK_FIX
        );
    }
    if let Some(delay) = rules.crawl_delay(shared.policy.product_token()) {
        shared.gate.set_min_delay(&host, delay);
    }
    queue_sitemaps(shared, claimed, &origin_url, &rules).await;
    let rules = Arc::new(rules);
    remember_robots(shared, origin, &rules, robots_ttl(&rules));
    Some(rules)
}

/// What the store of a shared state says about an origin's robots.txt.
enum FromStore {
    /// Fetched by a worker, still fresh.
    Rules(Arc<RobotsRules>),
    /// This worker is to fetch it.
    Fetch,
    /// The crawl stops (or failed) meanwhile.
    Stop,
}

/// Reads `origin`'s robots.txt from the shared store, waiting while another worker
/// fetches it.
async fn from_store(shared: &Arc<Shared>, origin: &str) -> FromStore {
    let Some(store) = shared.gate.shared() else {
        return FromStore::Fetch;
    };
    loop {
        let (store, key) = (Arc::clone(store), origin.to_string());
        let claim = tokio::task::spawn_blocking(move || {
            store.robots(&key, ROBOTS_TTL, ROBOTS_UNAVAILABLE_TTL)
        })
        .await
        .map_err(|e| SharedStoreError(format!("robots.txt task failed: {e}")))
        .and_then(|r| r);
        match claim {
            Ok(RobotsClaim::Fresh { robots, age }) => {
                // Its crawl delay was stored by the worker that fetched it.
                let rules = Arc::new(robots.rules());
                let ttl = robots_ttl(&rules).saturating_sub(age);
                remember_robots(shared, origin.to_string(), &rules, ttl);
                return FromStore::Rules(rules);
            }
            Ok(RobotsClaim::Fetch) => return FromStore::Fetch,
            Ok(RobotsClaim::Wait) => {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = shared.stop.cancelled() => return FromStore::Stop,
                }
            }
            Err(e) => {
                shared.fail(e.into());
                return FromStore::Stop;
            }
        }
    }
}

/// Fetches (and archives) `origin`'s robots.txt at the host's gate, asking again while it
/// is unavailable, up to the host's `retries` times. `None` if the crawl stops meanwhile
/// or fails.
async fn fetch_with_retries(
    shared: &Arc<Shared>,
    host: &str,
    origin: &str,
    origin_url: &Url,
    policy: &HostPolicy,
) -> Option<(RobotsRules, StoredRobots)> {
    let mut attempt = 0;
    loop {
        let permit = match shared.gate.acquire(host, policy).await {
            Ok(permit) => permit,
            Err(e) => {
                shared.fail(e.into());
                return None;
            }
        };
        let archive = shared.archive.clone();
        let counters = Arc::clone(&shared.counters);
        let mut keep = move |capture: Capture| {
            counters.requests.fetch_add(1, Ordering::Relaxed);
            counters.record_status(capture.status);
            archive.write_capture_detached(capture);
        };
        tracing::trace!(target: "glaneur::request", "start {host} {origin_url}robots.txt");
        let (rules, stored) =
            fetch_robots_stored(&shared.fetcher, origin_url, policy.timeout, &mut keep).await;
        drop(permit);
        let RobotsRules::Unavailable {
            reason,
            retry_after,
        } = &rules
        else {
            return Some((rules, stored));
        };
        shared.counters.errors.fetch_add(1, Ordering::Relaxed);
        if attempt >= policy.retries {
            tracing::warn!(
                "{origin}: {reason}; still unavailable after {} attempts: its URLs are left to the next run",
                attempt + 1
            );
            return Some((rules, stored));
        }
        let delay = robots_retry_delay(attempt, *retry_after);
        tracing::warn!(
            "{origin}: {reason}; nothing is fetched from this host until robots.txt answers: asking again in {:.1}s",
            delay.as_secs_f64()
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            // Not cached nor stored: the next run (or another worker) asks again.
            _ = shared.stop.cancelled() => return None,
        }
        attempt += 1;
    }
}

/// How long robots.txt rules are kept: a day, an hour while it is unavailable.
fn robots_ttl(rules: &RobotsRules) -> Duration {
    match rules {
        RobotsRules::Unavailable { .. } => ROBOTS_UNAVAILABLE_TTL,
        _ => ROBOTS_TTL,
    }
}

/// Caches the rules of `origin` in this process for `ttl`.
fn remember_robots(shared: &Shared, origin: String, rules: &Arc<RobotsRules>, ttl: Duration) {
    if let Ok(mut cache) = shared.robots.lock() {
        cache.insert(origin, Arc::clone(rules), ttl, Instant::now());
    }
}

/// An origin's robots.txt rules in [`RobotsCache`].
struct CachedRobots {
    rules: Arc<RobotsRules>,
    expires: Instant,
    last_used: Instant,
}

/// The robots.txt rules of the origins this process crawls, each until its expiry, and
/// only while its host is crawled: rules unused for [`IDLE_EVICTION`] (as the host's
/// limiter state) are dropped by a sweep every [`SWEEP_EVERY`], and fetched again if the
/// host comes back. Its size follows the hosts crawled in the last minutes, not every
/// host ever crawled (a robots.txt may hold up to 500 KiB).
#[derive(Default)]
pub(super) struct RobotsCache {
    map: std::collections::HashMap<String, CachedRobots>,
    last_sweep: Option<Instant>,
}

impl RobotsCache {
    /// The fresh rules of `origin`, marked as used at `now`.
    fn get(&mut self, origin: &str, now: Instant) -> Option<Arc<RobotsRules>> {
        let cached = self.map.get_mut(origin)?;
        if now >= cached.expires {
            return None;
        }
        cached.last_used = now;
        Some(Arc::clone(&cached.rules))
    }

    /// Keeps `rules` for `origin` for `ttl`, after dropping the expired and idle entries
    /// at most every [`SWEEP_EVERY`].
    fn insert(&mut self, origin: String, rules: Arc<RobotsRules>, ttl: Duration, now: Instant) {
        if self
            .last_sweep
            .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY)
        {
            self.last_sweep = Some(now);
            self.map.retain(|_, c| {
                now < c.expires && now.saturating_duration_since(c.last_used) < IDLE_EVICTION
            });
        }
        let cached = CachedRobots {
            rules,
            expires: now + ttl,
            last_used: now,
        };
        self.map.insert(origin, cached);
    }

    /// Number of origins whose rules are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

/// How often [`RobotsCache`] drops its idle entries.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Queues the in-scope `Sitemap:` URLs of a robots.txt (fetched every run: kind `Other`).
async fn queue_sitemaps(
    shared: &Arc<Shared>,
    claimed: &ClaimedUrl,
    origin: &Url,
    rules: &RobotsRules,
) {
    let Some(site) = shared.site(&claimed.site) else {
        return;
    };
    let found_on = origin.join("/robots.txt").ok();
    let sitemaps: Vec<NewUrl> = rules
        .sitemaps()
        .iter()
        .filter_map(|u| plan::in_scope(site, u))
        .filter_map(|u| plan::new_url(u, &claimed.site, 1, UrlKind::Other, found_on.as_ref()))
        .collect();
    if sitemaps.is_empty() {
        return;
    }
    if let Err(e) = db(&shared.frontier, move |f| f.add(&sitemaps)).await {
        shared.fail(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Arc<RobotsRules> {
        Arc::new(RobotsRules::AllowAll)
    }

    #[test]
    fn robots_rules_expire_and_idle_origins_are_dropped_by_the_sweep() {
        let start = Instant::now();
        let mut cache = RobotsCache::default();
        cache.insert("http://a.test".into(), rules(), ROBOTS_TTL, start);
        cache.insert("http://b.test".into(), rules(), ROBOTS_TTL, start);
        cache.insert(
            "http://c.test".into(),
            rules(),
            Duration::from_secs(5),
            start,
        );
        assert!(
            cache
                .get("http://c.test", start + Duration::from_secs(4))
                .is_some()
        );
        assert!(
            cache
                .get("http://c.test", start + Duration::from_secs(5))
                .is_none(),
            "expired rules are not used"
        );
        // a.test stays in use; b.test and the expired c.test are idle past the limit.
        let later = start + IDLE_EVICTION - Duration::from_secs(1);
        assert!(cache.get("http://a.test", later).is_some());
        let swept = start + IDLE_EVICTION + SWEEP_EVERY;
        cache.insert("http://d.test".into(), rules(), ROBOTS_TTL, swept);
        assert_eq!(cache.len(), 2, "a.test (used) and d.test (new) are kept");
        assert!(cache.get("http://a.test", swept).is_some());
        assert!(cache.get("http://b.test", swept).is_none());
    }
}
