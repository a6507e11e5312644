//! Politeness shared by several crawl processes ("workers") through a common store.
//!
//! With one process, the in-process [`HostGate`] holds each host's rate limit and in-flight
//! cap. With several workers sharing a frontier (PostgreSQL), each host's budget must be
//! global: [`SharedPoliteness`] is the store side (implemented by
//! [`PostgresPoliteness`](super::PostgresPoliteness)): a request slot is granted atomically in the
//! store when the host's shared rate (GCRA over a theoretical arrival time), pause
//! (Retry-After, backoff), `Crawl-delay` and in-flight cap all allow it; a slot is a row
//! with a lease, so a killed worker's slots free themselves. robots.txt is stored there
//! too, fetched by one worker and read by the others.
//!
//! [`Gate`] is what the crawl waits at: the local gate or the shared one, same calls.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::limits::{HostGate, HostPermit, interval_for};
use super::robots::{MAX_ROBOTS_BYTES, RobotsRules, fetch_robots};
use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::fetch::{Fetcher, decode_content_prefix};

/// A store of shared politeness failed (e.g. the database is unreachable).
#[derive(Debug, Clone, thiserror::Error)]
#[error("shared politeness: {0}")]
pub struct SharedStoreError(pub String);

/// The limits of one host, as the shared store enforces them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotLimits {
    /// Time between two requests at the sustained rate ([`interval_for`] of the policy).
    pub interval: Duration,
    /// Requests allowed in a burst (>= 1).
    pub burst: u32,
    /// Requests in flight at once, over all workers (>= 1).
    pub max_concurrent: u32,
}

impl SlotLimits {
    /// The limits of a host policy.
    pub fn for_policy(policy: &HostPolicy) -> SlotLimits {
        SlotLimits {
            interval: interval_for(policy.requests_per_second),
            burst: policy.burst.max(1),
            max_concurrent: policy.max_concurrent.max(1),
        }
    }
}

/// The answer of [`SharedPoliteness::try_acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotGrant {
    /// A request may start now; release the slot (by id) when it ends.
    Granted(i64),
    /// The host's rate, pause or crawl delay allows the next request in this long.
    Wait(Duration),
    /// The host has `max_concurrent` requests in flight (over all workers).
    AtCapacity,
}

/// What a robots.txt fetch found, in a form that can be stored and shared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredRobots {
    /// No restrictions (a 4xx answer).
    AllowAll,
    /// Nothing may be fetched (e.g. a redirect loop, a refused address).
    DisallowAll {
        /// Why, in words.
        reason: String,
    },
    /// Unavailable (5xx, 429, unreachable, undecodable) after the fetching worker's retries:
    /// nothing may be fetched for now; asked again after a shorter time.
    Unavailable {
        /// Why, in words.
        reason: String,
    },
    /// A robots.txt body, to be parsed against `base` (the URL it was fetched from).
    Body {
        /// The final URL of the fetch (after redirects).
        base: Url,
        /// At most [`MAX_ROBOTS_BYTES`] of the decoded body.
        body: Vec<u8>,
    },
}

impl StoredRobots {
    /// The rules this stands for.
    pub fn rules(&self) -> RobotsRules {
        match self {
            StoredRobots::AllowAll => RobotsRules::AllowAll,
            StoredRobots::DisallowAll { reason } => RobotsRules::DisallowAll {
                reason: reason.clone(),
            },
            StoredRobots::Unavailable { reason } => RobotsRules::Unavailable {
                reason: reason.clone(),
                retry_after: None,
            },
            StoredRobots::Body { base, body } => RobotsRules::parse(body, base),
        }
    }
}

/// The answer of [`SharedPoliteness::robots`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RobotsClaim {
    /// Stored and recent enough: use it. `age` is the time since it was fetched.
    Fresh {
        /// The stored answer.
        robots: StoredRobots,
        /// Time since it was fetched.
        age: Duration,
    },
    /// Nobody has it (or it is too old): this worker fetches it now and stores it with
    /// [`SharedPoliteness::store_robots`] (other workers wait meanwhile).
    Fetch,
    /// Another worker is fetching it: ask again shortly.
    Wait,
}

/// A politeness store shared by every worker of a crawl. Calls block (database round
/// trips): call them off the async reactor, as [`Gate`] does.
pub trait SharedPoliteness: Send + Sync + std::fmt::Debug {
    /// Takes a request slot of `host` if its shared budget allows one now.
    fn try_acquire(&self, host: &str, limits: &SlotLimits) -> Result<SlotGrant, SharedStoreError>;

    /// Frees a slot granted by [`SharedPoliteness::try_acquire`].
    fn release(&self, slot: i64) -> Result<(), SharedStoreError>;

    /// Pauses `host` for every worker for `delay` (never shortens a pause in force).
    fn pause(&self, host: &str, delay: Duration) -> Result<(), SharedStoreError>;

    /// At least `delay` between two requests to `host` (robots `Crawl-delay`); never lowers it.
    fn set_min_delay(&self, host: &str, delay: Duration) -> Result<(), SharedStoreError>;

    /// The stored robots.txt of `origin` if fetched less than `max_age` ago
    /// (`unavailable_max_age` for a [`StoredRobots::Unavailable`]); otherwise whether this
    /// worker should fetch it (and store it) or wait for another one.
    fn robots(
        &self,
        origin: &str,
        max_age: Duration,
        unavailable_max_age: Duration,
    ) -> Result<RobotsClaim, SharedStoreError>;

    /// Stores the robots.txt of `origin` fetched by this worker, for every worker.
    fn store_robots(&self, origin: &str, robots: &StoredRobots) -> Result<(), SharedStoreError>;
}

/// Runs a blocking store call off the reactor.
async fn blocking<T: Send + 'static>(
    store: &Arc<dyn SharedPoliteness>,
    call: impl FnOnce(&dyn SharedPoliteness) -> Result<T, SharedStoreError> + Send + 'static,
) -> Result<T, SharedStoreError> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || call(store.as_ref()))
        .await
        .map_err(|e| SharedStoreError(format!("politeness task failed: {e}")))?
}

/// Longest wait between two polls of a host at its in-flight cap.
const MAX_CAPACITY_POLL: Duration = Duration::from_millis(100);

/// Where requests wait for their host's politeness budget: in this process only
/// ([`HostGate`]) or shared with other workers ([`SharedPoliteness`]).
#[derive(Debug)]
pub enum Gate {
    /// One process: per-host governor limiters and semaphores in memory.
    Local(HostGate),
    /// Several workers: the budget lives in a shared store.
    Shared(Arc<dyn SharedPoliteness>),
}

/// Held while a request is in flight; dropping it frees the host's slot.
#[derive(Debug)]
pub enum GatePermit {
    /// A slot of the local gate.
    Local(HostPermit),
    /// A slot of the shared store (released off the reactor when dropped).
    Shared(SharedPermit),
}

/// A slot of a shared store; released when dropped.
#[derive(Debug)]
pub struct SharedPermit {
    slot: i64,
    store: Arc<dyn SharedPoliteness>,
}

impl Drop for SharedPermit {
    fn drop(&mut self) {
        let store = Arc::clone(&self.store);
        let slot = self.slot;
        let release = move || {
            if let Err(e) = store.release(slot) {
                // The slot's lease expires on its own.
                tracing::warn!("{e}");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn_blocking(release);
            }
            Err(_) => release(),
        }
    }
}

impl Gate {
    /// Waits until a request to `host` is allowed by its policy (over every worker when
    /// shared), then returns a permit. A shared store that fails is an error.
    pub async fn acquire(
        &self,
        host: &str,
        policy: &HostPolicy,
    ) -> Result<GatePermit, SharedStoreError> {
        let store = match self {
            Gate::Local(gate) => return Ok(GatePermit::Local(gate.acquire(host, policy).await)),
            Gate::Shared(store) => store,
        };
        let limits = SlotLimits::for_policy(policy);
        let mut capacity_wait = Duration::from_millis(5);
        loop {
            let h = host.to_string();
            match blocking(store, move |s| s.try_acquire(&h, &limits)).await? {
                SlotGrant::Granted(slot) => {
                    return Ok(GatePermit::Shared(SharedPermit {
                        slot,
                        store: Arc::clone(store),
                    }));
                }
                SlotGrant::Wait(wait) => {
                    tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
                }
                SlotGrant::AtCapacity => {
                    tokio::time::sleep(capacity_wait).await;
                    capacity_wait = (capacity_wait * 2).min(MAX_CAPACITY_POLL);
                }
            }
        }
    }

    /// Pauses `host` for `delay` (Retry-After, backoff). Shared: written in the background;
    /// a failure is logged.
    pub fn pause(&self, host: &str, delay: Duration) {
        match self {
            Gate::Local(gate) => gate.pause(host, delay),
            Gate::Shared(store) => {
                let store = Arc::clone(store);
                let host = host.to_string();
                background(move || store.pause(&host, delay));
            }
        }
    }

    /// At least `delay` between requests to `host` (robots `Crawl-delay`).
    pub fn set_min_delay(&self, host: &str, delay: Duration) {
        match self {
            Gate::Local(gate) => gate.set_min_delay(host, delay),
            Gate::Shared(store) => {
                let store = Arc::clone(store);
                let host = host.to_string();
                background(move || store.set_min_delay(&host, delay));
            }
        }
    }

    /// The shared store, if the budget is shared.
    pub fn shared(&self) -> Option<&Arc<dyn SharedPoliteness>> {
        match self {
            Gate::Local(_) => None,
            Gate::Shared(store) => Some(store),
        }
    }
}

/// Runs a store write off the reactor (or here, outside a runtime); logs its failure.
fn background(call: impl FnOnce() -> Result<(), SharedStoreError> + Send + 'static) {
    let run = move || {
        if let Err(e) = call() {
            tracing::warn!("{e}");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => {
            handle.spawn_blocking(run);
        }
        Err(_) => run(),
    }
}

/// Fetches robots.txt like [`fetch_robots`] and also returns it in storable form.
pub async fn fetch_robots_stored(
    fetcher: &Fetcher,
    origin: &Url,
    timeout: Duration,
    archive: &mut (dyn FnMut(Capture) + Send),
) -> (RobotsRules, StoredRobots) {
    let mut last: Option<Capture> = None;
    let rules = {
        let mut keep = |capture: Capture| {
            last = Some(capture.clone());
            archive(capture);
        };
        fetch_robots(fetcher, origin, timeout, &mut keep).await
    };
    let stored = match &rules {
        RobotsRules::AllowAll => StoredRobots::AllowAll,
        RobotsRules::DisallowAll { reason } => StoredRobots::DisallowAll {
            reason: reason.clone(),
        },
        // Refused here is refused by every worker of the same policy: not stored as a
        // robots.txt answer, so that a worker allowed private networks asks for itself.
        RobotsRules::Refused { reason } => StoredRobots::Unavailable {
            reason: reason.clone(),
        },
        RobotsRules::Unavailable { reason, .. } => StoredRobots::Unavailable {
            reason: reason.clone(),
        },
        RobotsRules::Parsed(_) => match last {
            Some(capture) => match decode_content_prefix(&capture, MAX_ROBOTS_BYTES as u64) {
                Ok((body, _)) => StoredRobots::Body {
                    base: capture.url.clone(),
                    body: body.to_vec(),
                },
                Err(e) => StoredRobots::Unavailable {
                    reason: format!("robots.txt cannot be decoded: {e}"),
                },
            },
            None => StoredRobots::AllowAll,
        },
    };
    (rules, stored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// An in-memory store that grants every other call and counts releases.
    #[derive(Debug, Default)]
    struct Toggle {
        calls: Mutex<u32>,
        released: Mutex<Vec<i64>>,
        paused: Mutex<Vec<(String, Duration)>>,
    }

    impl SharedPoliteness for Toggle {
        fn try_acquire(&self, _: &str, _: &SlotLimits) -> Result<SlotGrant, SharedStoreError> {
            let mut calls = self
                .calls
                .lock()
                .map_err(|e| SharedStoreError(e.to_string()))?;
            *calls += 1;
            Ok(match *calls % 3 {
                1 => SlotGrant::Wait(Duration::from_millis(20)),
                2 => SlotGrant::AtCapacity,
                _ => SlotGrant::Granted(i64::from(*calls)),
            })
        }
        fn release(&self, slot: i64) -> Result<(), SharedStoreError> {
            self.released
                .lock()
                .map_err(|e| SharedStoreError(e.to_string()))?
                .push(slot);
            Ok(())
        }
        fn pause(&self, host: &str, delay: Duration) -> Result<(), SharedStoreError> {
            self.paused
                .lock()
                .map_err(|e| SharedStoreError(e.to_string()))?
                .push((host.to_string(), delay));
            Ok(())
        }
        fn set_min_delay(&self, _: &str, _: Duration) -> Result<(), SharedStoreError> {
            Err(SharedStoreError("refused".into()))
        }
        fn robots(
            &self,
            _: &str,
            _: Duration,
            _: Duration,
        ) -> Result<RobotsClaim, SharedStoreError> {
            Ok(RobotsClaim::Fetch)
        }
        fn store_robots(&self, _: &str, _: &StoredRobots) -> Result<(), SharedStoreError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn shared_gate_waits_then_grants_and_releases_on_drop() {
        let store = Arc::new(Toggle::default());
        let gate = Gate::Shared(store.clone());
        let started = tokio::time::Instant::now();
        let permit = gate
            .acquire("a.test", &HostPolicy::default())
            .await
            .unwrap();
        assert!(started.elapsed() >= Duration::from_millis(20), "waited");
        assert_eq!(*store.calls.lock().unwrap(), 3);
        drop(permit);
        // The release runs on the blocking pool.
        for _ in 0..100 {
            if !store.released.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(*store.released.lock().unwrap(), vec![3]);
        gate.pause("a.test", Duration::from_secs(2));
        gate.set_min_delay("a.test", Duration::from_secs(1));
        for _ in 0..100 {
            if !store.paused.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            *store.paused.lock().unwrap(),
            vec![("a.test".to_string(), Duration::from_secs(2))]
        );
    }

    #[test]
    fn stored_robots_give_the_same_rules() {
        let base = Url::parse("http://a.test/robots.txt").unwrap();
        let stored = StoredRobots::Body {
            base: base.clone(),
            body: b"User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n".to_vec(),
        };
        let rules = stored.rules();
        assert!(!rules.is_allowed("glaneur", &base.join("/private/x").unwrap()));
        assert!(rules.is_allowed("glaneur", &base.join("/public").unwrap()));
        assert_eq!(rules.crawl_delay("glaneur"), Some(Duration::from_secs(2)));
        assert!(
            !StoredRobots::DisallowAll { reason: "x".into() }
                .rules()
                .is_allowed("glaneur", &base)
        );
        assert!(StoredRobots::AllowAll.rules().is_allowed("glaneur", &base));
        assert!(matches!(
            StoredRobots::Unavailable {
                reason: "503".into()
            }
            .rules(),
            RobotsRules::Unavailable { .. }
        ));
    }

    #[test]
    fn slot_limits_follow_the_policy() {
        let p = HostPolicy {
            requests_per_second: 4.0,
            burst: 0,
            max_concurrent: 3,
            ..HostPolicy::default()
        };
        let l = SlotLimits::for_policy(&p);
        assert_eq!(l.interval, interval_for(4.0));
        assert_eq!((l.burst, l.max_concurrent), (1, 3));
    }
}
