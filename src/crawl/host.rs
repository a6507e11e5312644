//! One task per host with due URLs: it claims them, asks robots.txt, waits at the host's
//! gate and spawns a fetch job per URL, within the `--max-pages` budget.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;

use super::budget::PageReservation;
use super::{CrawlError, Progress, Shared, StopReason, db, job, robots};
use crate::config::HostPolicy;
use crate::frontier::{ClaimedUrl, Outcome};
use crate::politeness::RobotsRules;

/// Starts a task for every host with due URLs, until nothing is left or the crawl stops.
pub(super) async fn schedule(shared: &Arc<Shared>, progress: &mut Progress) {
    let mut hosts: JoinSet<String> = JoinSet::new();
    let mut active: HashSet<String> = HashSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_progress = Instant::now();
    let mut count_every = Duration::from_secs(1);
    let mut last_count: Option<Instant> = None;
    let mut queued = 0;
    // When the frontier was last asked for ready hosts, and whether to ask at the next
    // tick (a host task ended: its host may be ready again).
    let mut last_scan: Option<Instant> = None;
    let mut rescan = true;
    loop {
        let scan = rescan || last_scan.is_none_or(|at| at.elapsed() >= FULL_SCAN_EVERY);
        if scan && !shared.stop.is_cancelled() {
            rescan = false;
            last_scan = Some(Instant::now());
            match db(&shared.frontier, |f| f.ready_hosts(Utc::now())).await {
                Ok(ready) => {
                    for host in ready {
                        if active.insert(host.clone()) {
                            let shared = Arc::clone(shared);
                            hosts.spawn(async move {
                                host_loop(&shared, &host).await;
                                host
                            });
                        }
                    }
                }
                Err(e) => shared.fail(e),
            }
        }
        if hosts.is_empty() {
            if shared.stop.is_cancelled() || !wait_for_due(shared).await {
                break;
            }
            rescan = true;
        } else {
            tokio::select! {
                done = hosts.join_next() => {
                    match done {
                        Some(Ok(host)) => {
                            active.remove(&host);
                            rescan = true;
                        }
                        Some(Err(e)) => shared.fail(CrawlError::task("a host task")(e)),
                        None => {}
                    }
                }
                _ = tick.tick() => {}
            }
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            if last_count.is_none_or(|at| at.elapsed() >= count_every) {
                let counting = Instant::now();
                if let Ok(pending) = db(&shared.frontier, |f| f.pending()).await {
                    queued = pending;
                }
                last_count = Some(Instant::now());
                count_every = count_interval(counting.elapsed());
            }
            progress.update(&shared.counters, queued);
        }
    }
    while let Some(done) = hosts.join_next().await {
        if let Err(e) = done {
            shared.fail(CrawlError::task("a host task")(e));
        }
    }
}

/// How often the frontier is asked for ready hosts when no host task has ended since the
/// last time (a host with a task of its own needs none; a new host found through another
/// host's links waits this long at most). Each ask seeks the claim index twice per host
/// with pending URLs, holding the frontier meanwhile: asked every tick (250 ms), that was
/// 16,000 seeks a second with 2,000 hosts, however few of them needed a task.
const FULL_SCAN_EVERY: Duration = Duration::from_secs(2);

/// How long the queue length shown is kept before it is counted again, given how long
/// the last count took: a second, or 50 times as long (counting reads every pending URL;
/// on a queue of millions it would otherwise take a growing share of the frontier's time,
/// which every page waits for: here at most 2 %).
fn count_interval(took: Duration) -> Duration {
    took.saturating_mul(50).max(Duration::from_secs(1))
}

/// With no host task running: waits (a second at most) for the next URL to be due.
/// `false` when nothing is left to fetch (or the frontier failed).
async fn wait_for_due(shared: &Arc<Shared>) -> bool {
    match db(&shared.frontier, |f| f.next_due()).await {
        Ok(None) => false,
        Ok(Some(due)) => {
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            tokio::select! {
                _ = tokio::time::sleep(wait.min(Duration::from_secs(1))) => {}
                _ = shared.stop.cancelled() => {}
            }
            true
        }
        Err(e) => {
            shared.fail(e);
            false
        }
    }
}

/// Fetches the due URLs of one host, within its politeness limits, until none is left.
async fn host_loop(shared: &Arc<Shared>, host: &str) {
    let policy = shared.host_policy(host).clone();
    let mut jobs: JoinSet<()> = JoinSet::new();
    let mut claims = Claims::new(shared, host, &policy);
    loop {
        if shared.stop.is_cancelled() {
            break;
        }
        // Reserve a page of the --max-pages budget before claiming.
        let Some(page) = PageReservation::take(shared) else {
            shared.request_stop(StopReason::MaxPages);
            break;
        };
        let url = match claims.next(shared).await {
            Ok(Some(url)) => url,
            Ok(None) => {
                drop(page);
                // Nothing due now: wait for running jobs, which may queue more for this host.
                match jobs.join_next().await {
                    Some(_) => continue,
                    None => break,
                }
            }
            Err(e) => {
                shared.fail(e);
                break;
            }
        };
        match admit(shared, &url, &policy).await {
            Admission::Fetch => {}
            Admission::Finish(outcome) => {
                drop(page);
                let id = url.id;
                match db(&shared.frontier, move |f| f.finish(id, &outcome)).await {
                    Ok(()) => continue,
                    Err(e) => {
                        shared.fail(e);
                        break;
                    }
                }
            }
            Admission::Stop => break,
        }
        // Pages waiting for a browser tab hold back new fetches (bounded backlog).
        super::rendering::wait_for_room(shared, &url.site).await;
        let waiting = Instant::now();
        let permit = tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break,
            permit = shared.gate.acquire(host, &policy) => match permit {
                Ok(permit) => {
                    shared.counters.record_rate_wait(host, waiting.elapsed());
                    permit
                }
                Err(e) => {
                    shared.fail(e.into());
                    break;
                }
            },
        };
        if shared.stop.is_cancelled() {
            break;
        }
        let shared_job = Arc::clone(shared);
        let policy_job = policy.clone();
        jobs.spawn(async move {
            if let Err(e) = job::fetch_one(&shared_job, &policy_job, url, page, permit).await {
                shared_job.fail(e);
            }
        });
        // Reap finished jobs without waiting.
        while jobs.try_join_next().is_some() {}
    }
    while jobs.join_next().await.is_some() {}
}

/// The URLs of one host, claimed several at a time (as many as may be in flight): one
/// frontier transaction, and one commit of the grouped outcome writes, per batch rather
/// than per page. With `--max-pages`, one at a time, so no URL is claimed beyond the
/// budget. URLs claimed but not started when the crawl stops stay in flight, like the
/// one a stopping host loop holds, and are queued again by the next run.
struct Claims {
    host: String,
    batch: usize,
    ahead: VecDeque<ClaimedUrl>,
}

impl Claims {
    fn new(shared: &Shared, host: &str, policy: &HostPolicy) -> Claims {
        Claims {
            host: host.to_string(),
            batch: claim_batch(policy, shared.max_pages.is_some()),
            ahead: VecDeque::new(),
        }
    }

    /// The next URL due for this host, `None` when none is due now.
    async fn next(&mut self, shared: &Shared) -> Result<Option<ClaimedUrl>, CrawlError> {
        if let Some(url) = self.ahead.pop_front() {
            return Ok(Some(url));
        }
        let (host, batch) = (self.host.clone(), self.batch);
        let claimed = db(&shared.frontier, move |f| f.claim(&host, Utc::now(), batch)).await?;
        self.ahead.extend(claimed);
        Ok(self.ahead.pop_front())
    }
}

/// How far ahead of its fetches a host claims: [`CLAIM_AHEAD`] of its rate.
const CLAIM_AHEAD: Duration = Duration::from_secs(2);

/// URLs claimed per frontier call for a host: as many as may be in flight, or as its rate
/// fetches in [`CLAIM_AHEAD`] if more (a host at one request per second claims two at a
/// time: one claim, which commits at once, per two pages instead of per page); at most
/// 64; one at a time with `--max-pages` (`budgeted`).
fn claim_batch(policy: &HostPolicy, budgeted: bool) -> usize {
    if budgeted {
        return 1;
    }
    let in_flight = usize::try_from(policy.max_concurrent).unwrap_or(1);
    let by_rate = (policy.requests_per_second * CLAIM_AHEAD.as_secs_f64()).ceil();
    // Saturating float-to-int cast: an unlimited rate claims the most.
    let by_rate = if by_rate.is_finite() {
        by_rate as usize
    } else {
        64
    };
    in_flight.max(by_rate).clamp(1, 64)
}

/// What robots.txt makes of a claimed URL.
enum Admission {
    /// Allowed: fetch it.
    Fetch,
    /// Disallowed, or robots.txt still unavailable: the URL ends without a fetch.
    Finish(Outcome),
    /// The crawl stops (or failed): the URL stays claimed and is recovered.
    Stop,
}

/// Asks robots.txt about `url`: the outcome of a URL it disallows, or whose robots.txt
/// is still unavailable after its retries, is counted here and left to record.
async fn admit(shared: &Arc<Shared>, url: &ClaimedUrl, policy: &HostPolicy) -> Admission {
    let Some(rules) = robots::robots_for(shared, url, policy).await else {
        return Admission::Stop;
    };
    if let RobotsRules::Unavailable { reason, .. } = &*rules {
        if shared.stop.is_cancelled() {
            return Admission::Stop; // left in flight: queued again by the next run
        }
        // Still unavailable after the retries: this run gives the URL up as failed
        // (not robots-denied), so that the next run tries again.
        shared.counters.failed.fetch_add(1, Ordering::Relaxed);
        let error = format!("{reason} (after {} attempts)", policy.retries + 1);
        return Admission::Finish(Outcome::Failed { error });
    }
    if let RobotsRules::Refused { reason } = &*rules {
        // A private address the policy forbids: not a robots.txt decision.
        shared
            .counters
            .refused_private
            .fetch_add(1, Ordering::Relaxed);
        shared.counters.failed.fetch_add(1, Ordering::Relaxed);
        let error = format!("{reason}; {}", super::PRIVATE_NETWORK_FIX);
        return Admission::Finish(Outcome::Failed { error });
    }
    if !rules.is_allowed(shared.policy.product_token(), &url.url) {
        shared
            .counters
            .robots_denied
            .fetch_add(1, Ordering::Relaxed);
        tracing::debug!("robots.txt disallows {}", url.url);
        return Admission::Finish(Outcome::RobotsDenied);
    }
    Admission::Fetch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_claim_two_seconds_of_their_rate_or_their_slots_at_most_64() {
        let policy = |rps: f64, slots: u32| HostPolicy {
            requests_per_second: rps,
            max_concurrent: slots,
            ..HostPolicy::default()
        };
        assert_eq!(claim_batch(&policy(1.0, 1), false), 2);
        assert_eq!(claim_batch(&policy(2.0, 1), false), 4);
        assert_eq!(claim_batch(&policy(0.5, 1), false), 1);
        assert_eq!(claim_batch(&policy(0.5, 6), false), 6);
        assert_eq!(claim_batch(&policy(1_000_000.0, 16), false), 64);
        assert_eq!(claim_batch(&policy(f64::INFINITY, 1), false), 64);
        assert_eq!(claim_batch(&policy(0.1, 100), false), 64);
        assert_eq!(claim_batch(&policy(5.0, 4), true), 1, "--max-pages");
    }

    #[test]
    fn the_queue_is_counted_at_most_a_fiftieth_of_the_time() {
        assert_eq!(
            count_interval(Duration::from_millis(3)),
            Duration::from_secs(1)
        );
        assert_eq!(
            count_interval(Duration::from_millis(100)),
            Duration::from_secs(5)
        );
        assert_eq!(
            count_interval(Duration::from_millis(400)),
            Duration::from_secs(20)
        );
    }
}
