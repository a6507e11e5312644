//! Per-host rate limits (one governor limiter per host) and in-flight caps.
//!
//! Each host gets, on first use, a governor GCRA limiter built from its [`HostPolicy`]
//! (`requests_per_second`, `burst`), a semaphore of `max_concurrent` permits, a "paused
//! until" instant (Retry-After, backoff) and a minimum delay between requests (robots
//! `Crawl-delay`). The limiters run on a clock over `tokio::time::Instant`, so tests with
//! paused tokio time are exact. Hosts idle for [`IDLE_EVICTION`] with no permit out are
//! forgotten.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::ops::Add;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use governor::clock::{Clock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use rand::Rng;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::HostPolicy;

/// A host unused for this long, with no request in flight and no pause pending, is evicted.
pub const IDLE_EVICTION: Duration = Duration::from_secs(600);
/// How often the map is swept for idle hosts.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// An instant of [`TokioClock`]: nanoseconds since the clock's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokioInstant(Nanos);

impl Add<Nanos> for TokioInstant {
    type Output = TokioInstant;
    fn add(self, other: Nanos) -> TokioInstant {
        TokioInstant(self.0 + other)
    }
}

impl Reference for TokioInstant {
    fn duration_since(&self, earlier: Self) -> Nanos {
        self.0.duration_since(earlier.0)
    }
    fn saturating_sub(&self, duration: Nanos) -> Self {
        TokioInstant(self.0.saturating_sub(duration))
    }
}

/// A governor clock reading `tokio::time::Instant`, so limiters follow tokio's (possibly
/// paused) time and their waits can be slept with `tokio::time::sleep`.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: Instant,
}

impl TokioClock {
    /// A clock whose zero is now.
    pub fn new() -> TokioClock {
        TokioClock {
            origin: Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock::new()
    }
}

impl Clock for TokioClock {
    type Instant = TokioInstant;
    fn now(&self) -> TokioInstant {
        let elapsed = Instant::now().saturating_duration_since(self.origin);
        TokioInstant(Nanos::from(elapsed))
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<TokioInstant>>;

/// One host's limiter and in-flight cap, built from its policy on first `acquire`.
struct Limits {
    limiter: Limiter,
    clock: TokioClock,
    semaphore: Arc<Semaphore>,
    max_concurrent: u32,
}

/// Where a host is in its opening request (see [`HostGate::acquire`]).
#[derive(Debug, Clone)]
enum Opening {
    /// No request granted yet: the next one is the opening request.
    NotYet,
    /// The opening request is in flight; its permit writes its end time here on drop.
    InFlight(Arc<Mutex<Option<Instant>>>),
    /// The opening request has ended and the schedule restarted from its end.
    Done,
}

/// One host's state. `pause` and `set_min_delay` may come before the first `acquire`
/// (which brings the policy): the limits are then built lazily.
struct HostState {
    limits: Option<Limits>,
    paused_until: Option<Instant>,
    min_delay: Duration,
    last_grant: Option<Instant>,
    last_used: Instant,
    opening: Opening,
}

impl std::fmt::Debug for HostState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostState")
            .field(
                "available",
                &self
                    .limits
                    .as_ref()
                    .map(|l| (l.semaphore.available_permits(), l.max_concurrent)),
            )
            .field("paused_until", &self.paused_until)
            .field("min_delay", &self.min_delay)
            .field("last_grant", &self.last_grant)
            .finish()
    }
}

/// The emission interval for `requests_per_second`: `1 / rps` plus a safety margin of
/// 2 % (at most 25 ms). `rps` consecutive intervals then span 1.02 s: up to 20 ms of
/// network and scheduling jitter between our grant and the server's clock is absorbed
/// before the server could see more than `rps` requests in a one-second window, while
/// a busy host still gets 98 % of its allowed rate. Invalid rates (refused by the
/// config module) fall back to 1 request/s.
pub fn interval_for(requests_per_second: f64) -> Duration {
    let rps = requests_per_second;
    let base = if rps.is_finite() && rps > 0.0 {
        Duration::from_secs_f64((1.0 / rps).min(86_400.0))
    } else {
        Duration::from_secs(1)
    };
    base + (base / 50).min(Duration::from_millis(25))
}

/// The governor quota of a policy: one request per [`interval_for`]`(requests_per_second)`,
/// bursts of `burst`.
pub fn quota_for(policy: &HostPolicy) -> Quota {
    let period = interval_for(policy.requests_per_second);
    let burst = NonZeroU32::new(policy.burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl Limits {
    fn new(policy: &HostPolicy) -> Limits {
        let clock = TokioClock::new();
        let max_concurrent = policy.max_concurrent.max(1);
        Limits {
            limiter: RateLimiter::direct_with_clock(quota_for(policy), clock),
            clock,
            semaphore: Arc::new(Semaphore::new(max_concurrent as usize)),
            max_concurrent,
        }
    }

    /// A fresh rate limiter with one request counted now (the in-flight cap is kept).
    fn restart(&mut self, policy: &HostPolicy) {
        self.limiter = RateLimiter::direct_with_clock(quota_for(policy), self.clock);
        // A fresh limiter always has the cell; the answer is known.
        let _first = self.limiter.check();
    }
}

impl HostState {
    fn new(now: Instant) -> HostState {
        HostState {
            limits: None,
            paused_until: None,
            min_delay: Duration::ZERO,
            last_grant: None,
            last_used: now,
            opening: Opening::NotYet,
        }
    }

    /// The opening request's end, once its permit is dropped: the schedule restarts as if
    /// it had been granted then. Returns true while the opening request is in flight.
    fn opening_in_flight(&mut self, policy: &HostPolicy) -> bool {
        let Opening::InFlight(ended) = &self.opening else {
            return false;
        };
        let ended = *ended.lock().unwrap_or_else(|e| e.into_inner());
        match ended {
            Some(at) => {
                // As if the opening request had been granted now: a fresh limiter with
                // one cell used (and the Crawl-delay counted from its end).
                self.opening = Opening::Done;
                self.last_grant = Some(at);
                self.limits(policy).restart(policy);
                false
            }
            None => true,
        }
    }

    /// The host's limits, built from `policy` on first use.
    fn limits(&mut self, policy: &HostPolicy) -> &mut Limits {
        self.limits.get_or_insert_with(|| Limits::new(policy))
    }

    /// Grants a request now (`Ok`) or says when to try again (`Err(instant)`).
    fn try_grant(&mut self, policy: &HostPolicy, now: Instant) -> Result<(), Instant> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err(until);
            }
            self.paused_until = None;
        }
        if let Some(last) = self.last_grant {
            let next = last + self.min_delay;
            if now < next {
                return Err(next);
            }
        }
        let limits = self.limits(policy);
        match limits.limiter.check() {
            Ok(()) => {
                self.last_grant = Some(now);
                self.last_used = now;
                Ok(())
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(limits.clock.now());
                Err(now + wait.max(Duration::from_nanos(1)))
            }
        }
    }

    fn idle(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_used) >= IDLE_EVICTION
            && self
                .limits
                .as_ref()
                .is_none_or(|l| l.semaphore.available_permits() == l.max_concurrent as usize)
            && self.paused_until.is_none_or(|until| until <= now)
    }
}

#[derive(Debug)]
struct Hosts {
    map: HashMap<String, HostState>,
    last_sweep: Option<Instant>,
}

/// Gatekeeper of every host: a request waits here until its host's rate limiter,
/// in-flight cap and any backoff allow it.
#[derive(Debug)]
pub struct HostGate {
    hosts: Mutex<Hosts>,
}

/// Held while a request is in flight; dropping it frees the host's slot (and, for a
/// host's opening request, restarts its schedule from now).
#[derive(Debug)]
pub struct HostPermit {
    /// Set for a host's opening request: where its end time is written on drop.
    opening_ended: Option<Arc<Mutex<Option<Instant>>>>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        if let Some(ended) = &self.opening_ended {
            *ended.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        // The semaphore permit is released after this, so a waiting request sees the end.
    }
}

impl Default for HostGate {
    fn default() -> Self {
        HostGate::new()
    }
}

impl HostGate {
    /// A gate with no hosts yet; each host is configured on first use from `policy_for`.
    pub fn new() -> HostGate {
        HostGate {
            hosts: Mutex::new(Hosts {
                map: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Hosts> {
        // No code panics while holding the lock; recover the data if one ever did.
        self.hosts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on `host`'s state (created if needed), after evicting idle hosts at most
    /// once a minute.
    fn with_host<T>(&self, host: &str, f: impl FnOnce(&mut HostState, Instant) -> T) -> T {
        let now = Instant::now();
        let key = host.to_ascii_lowercase();
        let mut hosts = self.lock();
        if hosts
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= SWEEP_EVERY)
        {
            hosts.last_sweep = Some(now);
            hosts.map.retain(|_, state| !state.idle(now));
        }
        let state = hosts.map.entry(key).or_insert_with(|| HostState::new(now));
        f(state, now)
    }

    /// Waits until a request to `host` is allowed, then returns a permit.
    ///
    /// Order: a slot under `max_concurrent`, then the end of any pause, then the
    /// `Crawl-delay` since the previous request, then the rate limiter. The host's
    /// limits are built from `policy` on its first request.
    ///
    /// A host's opening request (its first, or the first after it was forgotten as idle)
    /// runs alone, and when it ends the schedule restarts as if it had been granted then:
    /// it usually opens a connection (TCP, TLS), so it reaches the server later than
    /// granted while the next ones, on the open connection, do not; counting from its
    /// grant would let the server see the next requests closer together than the rate
    /// allows.
    pub async fn acquire(&self, host: &str, policy: &HostPolicy) -> HostPermit {
        loop {
            let (semaphore, opening) = self.with_host(host, |state, now| {
                state.last_used = now;
                let opening = matches!(state.opening, Opening::NotYet);
                (state.limits(policy).semaphore.clone(), opening)
            });
            let slots = if opening {
                u32::try_from(semaphore.available_permits().max(1)).unwrap_or(1)
            } else {
                1
            };
            // The semaphore is never closed; if it were, start over.
            let Ok(mut permit) = semaphore.clone().acquire_many_owned(slots).await else {
                continue;
            };
            loop {
                let outcome = self.with_host(host, |state, now| {
                    let same = state
                        .limits
                        .as_ref()
                        .is_some_and(|l| Arc::ptr_eq(&l.semaphore, &semaphore));
                    if !same {
                        // Evicted and re-created meanwhile: our permit is not its permit.
                        return None;
                    }
                    if state.opening_in_flight(policy) {
                        // Another request opened the host meanwhile: wait for its end.
                        return Some(Err(now + Duration::from_millis(5)));
                    }
                    let granted = state.try_grant(policy, now);
                    if granted.is_err() || !matches!(state.opening, Opening::NotYet) {
                        return Some(granted.map(|()| None));
                    }
                    let ended = Arc::new(Mutex::new(None));
                    state.opening = Opening::InFlight(Arc::clone(&ended));
                    Some(Ok(Some(ended)))
                });
                match outcome {
                    None => break,
                    Some(Ok(opening_ended)) => {
                        if opening_ended.is_none() && permit.num_permits() > 1 {
                            // Waited as an opener, but another request opened the host.
                            drop(permit.split(permit.num_permits() - 1));
                        }
                        return HostPermit {
                            opening_ended,
                            _permit: permit,
                        };
                    }
                    Some(Err(at)) => tokio::time::sleep_until(at).await,
                }
            }
        }
    }

    /// Slows `host` to at least `delay` between requests (robots `Crawl-delay`); never speeds it up.
    ///
    /// The effective interval is the longest of the rate limiter's and `delay`; a later,
    /// shorter delay does not lower an earlier one. Works before the host's first request.
    pub fn set_min_delay(&self, host: &str, delay: Duration) {
        self.with_host(host, |state, _| {
            state.min_delay = state.min_delay.max(delay);
        });
    }

    /// Pauses `host` for `delay` (Retry-After, or exponential backoff after errors).
    ///
    /// A pause never shortens one already in force. Works before the host's first request.
    pub fn pause(&self, host: &str, delay: Duration) {
        self.with_host(host, |state, now| {
            let until = now + delay;
            state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
        });
    }

    /// Number of hosts currently tracked (after idle eviction).
    pub fn host_count(&self) -> usize {
        self.lock().map.len()
    }
}

/// Exponential backoff with full jitter: a random delay in `[d/2, d]` where
/// `d = min(max, base * 2^attempt)`. `attempt` counts from 0.
pub fn backoff_delay(attempt: u32, base: Duration, max: Duration) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(31));
    let full = base.saturating_mul(factor).min(max);
    let half = full / 2;
    let jitter_nanos = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
    let extra = if jitter_nanos == 0 {
        0
    } else {
        rand::rng().random_range(0..=jitter_nanos)
    };
    half + Duration::from_nanos(extra)
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP-date (relative to `now`).
/// A date in the past gives zero; the result is capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = value.parse().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let date = httpdate_parse(value)?;
    let delay = date.duration_since(now).unwrap_or(Duration::ZERO);
    Some(delay.min(MAX_RETRY_AFTER))
}

/// An HTTP-date (IMF-fixdate, RFC 850 or asctime form).
fn httpdate_parse(value: &str) -> Option<SystemTime> {
    use chrono::{NaiveDateTime, TimeZone, Utc};
    let formats = [
        "%a, %d %b %Y %H:%M:%S GMT", // IMF-fixdate
        "%A, %d-%b-%y %H:%M:%S GMT", // RFC 850
        "%a %b %e %H:%M:%S %Y",      // asctime
    ];
    let naive = formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())?;
    Some(Utc.from_utc_datetime(&naive).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rps: f64, burst: u32, max_concurrent: u32) -> HostPolicy {
        HostPolicy {
            requests_per_second: rps,
            burst,
            max_concurrent,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            retries: 3,
            ..HostPolicy::default()
        }
    }

    /// Maximum number of instants in any half-open window `[t, t + window)`.
    fn max_in_window(times: &[Instant], window: Duration) -> usize {
        let mut sorted = times.to_vec();
        sorted.sort();
        (0..sorted.len())
            .map(|i| {
                sorted[i..]
                    .iter()
                    .take_while(|t| **t < sorted[i] + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Acquires `n` permits for `host` from `tasks` concurrent tasks, holding each for
    /// `hold`, and returns the grant instants.
    async fn run(
        gate: Arc<HostGate>,
        host: &str,
        p: HostPolicy,
        n: usize,
        hold: Duration,
    ) -> Vec<Instant> {
        let times = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let gate = gate.clone();
            let times = times.clone();
            let p = p.clone();
            let host = host.to_string();
            tasks.push(tokio::spawn(async move {
                let permit = gate.acquire(&host, &p).await;
                times.lock().unwrap().push(Instant::now());
                tokio::time::sleep(hold).await;
                drop(permit);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        times.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn rate_is_never_exceeded() {
        let gate = Arc::new(HostGate::new());
        let start = Instant::now();
        let times = run(gate, "a.test", policy(5.0, 1, 100), 50, Duration::ZERO).await;
        assert_eq!(times.len(), 50);
        assert!(max_in_window(&times, Duration::from_secs(1)) <= 5);
        assert_eq!(max_in_window(&times, Duration::from_millis(200)), 1);
        // Even with 20 ms of jitter between grant and arrival, no 1 s window holds more
        // than 5.
        assert!(max_in_window(&times, Duration::from_millis(1019)) <= 5);
        // And it does go at that pace: 50 requests, one per 200 ms + 4 ms margin.
        let last = times.iter().max().unwrap().duration_since(start);
        assert_eq!(last, Duration::from_millis(49 * 204));
    }

    #[tokio::test(start_paused = true)]
    async fn burst_is_respected() {
        let gate = Arc::new(HostGate::new());
        let start = Instant::now();
        let times = run(gate, "b.test", policy(1.0, 3, 100), 9, Duration::ZERO).await;
        let at_start = times.iter().filter(|t| **t == start).count();
        assert_eq!(at_start, 3, "burst of 3 at once");
        // After the burst, one per second: never more than burst + 1 in any 2 s window.
        assert!(max_in_window(&times, Duration::from_secs(2)) <= 4);
        assert_eq!(
            *times.iter().max().unwrap() - start,
            Duration::from_millis(6 * 1020)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn opening_request_runs_alone_and_restarts_the_schedule() {
        let gate = Arc::new(HostGate::new());
        let p = policy(2.0, 1, 2);
        let start = Instant::now();
        let opening = gate.acquire("o.test", &p).await;
        // While the opening request is in flight, no other starts (max_concurrent is 2).
        let waiting = {
            let (gate, p) = (Arc::clone(&gate), p.clone());
            tokio::spawn(async move {
                let permit = gate.acquire("o.test", &p).await;
                (Instant::now(), permit)
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiting.is_finished());
        drop(opening);
        let (second_at, second) = waiting.await.unwrap();
        // One interval after the opening request ended, not after it was granted.
        assert_eq!(second_at - start, Duration::from_millis(300 + 510));
        // Then the usual pace, and both slots are usable again.
        let third = gate.acquire("o.test", &p).await;
        assert_eq!(Instant::now() - start, Duration::from_millis(300 + 2 * 510));
        drop((second, third));
    }

    #[tokio::test(start_paused = true)]
    async fn in_flight_cap_is_respected() {
        let gate = Arc::new(HostGate::new());
        let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let p = policy(1000.0, 100, 2);
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (gate, in_flight, peak, p) =
                (gate.clone(), in_flight.clone(), peak.clone(), p.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire("c.test", &p).await;
                let now = in_flight.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(1)).await;
                in_flight.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(peak.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn hosts_are_independent() {
        let gate = Arc::new(HostGate::new());
        let p = policy(1.0, 1, 1);
        let start = Instant::now();
        drop(gate.acquire("x.test", &p).await);
        drop(gate.acquire("y.test", &p).await);
        assert_eq!(Instant::now(), start, "another host does not wait");
        drop(gate.acquire("x.test", &p).await);
        assert_eq!(Instant::now() - start, Duration::from_millis(1020));
    }

    #[tokio::test(start_paused = true)]
    async fn pause_is_respected_and_never_shortened() {
        let gate = HostGate::new();
        let p = policy(100.0, 1, 4);
        let start = Instant::now();
        drop(gate.acquire("d.test", &p).await);
        gate.pause("d.test", Duration::from_secs(30));
        gate.pause("d.test", Duration::from_secs(5));
        drop(gate.acquire("d.test", &p).await);
        assert_eq!(Instant::now() - start, Duration::from_secs(30));
        // A pause before the host's first request holds too.
        gate.pause("new.test", Duration::from_secs(7));
        let t = Instant::now();
        drop(gate.acquire("new.test", &p).await);
        assert_eq!(Instant::now() - t, Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_slows_but_never_speeds_up() {
        let gate = Arc::new(HostGate::new());
        let p = policy(10.0, 5, 10);
        drop(gate.acquire("e.test", &p).await);
        gate.set_min_delay("e.test", Duration::from_secs(2));
        let times = run(gate.clone(), "e.test", p.clone(), 5, Duration::ZERO).await;
        let mut sorted = times.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_secs(2), "{:?}", w[1] - w[0]);
        }
        // A crawl delay shorter than the rate's interval changes nothing.
        let slow = policy(0.5, 1, 10);
        drop(gate.acquire("f.test", &slow).await);
        gate.set_min_delay("f.test", Duration::from_millis(100));
        let t = Instant::now();
        drop(gate.acquire("f.test", &slow).await);
        assert_eq!(Instant::now() - t, Duration::from_millis(2025));
    }

    #[tokio::test(start_paused = true)]
    async fn crawl_delay_before_first_request() {
        let gate = HostGate::new();
        let p = policy(100.0, 10, 10);
        gate.set_min_delay("g.test", Duration::from_secs(3));
        let start = Instant::now();
        drop(gate.acquire("g.test", &p).await);
        drop(gate.acquire("g.test", &p).await);
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_hosts_are_evicted() {
        let gate = HostGate::new();
        let p = policy(100.0, 1, 1);
        drop(gate.acquire("old.test", &p).await);
        let held = gate.acquire("busy.test", &p).await;
        assert_eq!(gate.host_count(), 2);
        tokio::time::advance(IDLE_EVICTION + SWEEP_EVERY).await;
        drop(gate.acquire("new.test", &p).await);
        // old.test is gone; busy.test still has a permit out.
        assert_eq!(gate.host_count(), 2);
        drop(held);
        tokio::time::advance(IDLE_EVICTION + SWEEP_EVERY).await;
        drop(gate.acquire("new.test", &p).await);
        assert_eq!(gate.host_count(), 1);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let base = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        for attempt in 0..10 {
            let full = (base * 2u32.pow(attempt)).min(max);
            for _ in 0..50 {
                let d = backoff_delay(attempt, base, max);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        assert!(backoff_delay(u32::MAX, base, max) <= max);
        let samples: std::collections::HashSet<_> =
            (0..20).map(|_| backoff_delay(3, base, max)).collect();
        assert!(samples.len() > 1, "jitter varies");
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("999999999999999999999", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:57 1994", now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            parse_retry_after("Mon, 06 Nov 1995 08:00:00 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }
}
