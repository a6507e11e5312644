//! The crawl loop: ties frontier, politeness, fetch, archive and extraction together.
//!
//! One task per host with due URLs claims them one at a time, checks robots.txt, waits at
//! the [`HostGate`](crate::politeness::HostGate) (rate, in-flight cap, backoff) and spawns
//! a fetch job per URL. A job fetches, archives the exchange, reads the page (links and
//! article) off the reactor, archives the article as a metadata record, and only then
//! queues the links and marks the URL done: a crash can cost a re-fetch, never a capture.
//!
//! The rooms: [`run`](run()) opens the state and drives a run to its summary (`run.rs`);
//! `plan.rs` turns the profiles into seeds and rechecks; `host.rs` schedules one task per
//! host and claims its URLs; `robots.rs` answers robots.txt (and queues its sitemaps);
//! `job.rs` fetches, archives and reads one URL (and `wp_rest.rs` the REST JSON of a
//! WordPress post page with it). `archive.rs` is the writer thread,
//! `recover.rs` and `cluster.rs` what a crashed run or a dead worker left, `lock.rs` the
//! state's lock, `progress.rs` what the user sees.

mod archive;
mod budget;
mod capture_state;
pub mod classify;
mod cluster;
mod host;
mod job;
mod lock;
mod plan;
pub mod progress;
mod readers;
mod reading;
mod recover;
mod rendering;
mod requisites;
mod retry;
mod robots;
mod run;
mod wp_rest;

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::config::{HostPolicy, Policy, SiteProfile};
use crate::extract::ProfileSelectors;
use crate::fetch::Fetcher;
use crate::frontier::{Frontier, FrontierError};
use crate::politeness::{Gate, SharedStoreError};

use archive::ArchiveHandle;
pub use archive::{ArchiveClosed, Written};
pub use lock::{LockError, StateLock};
pub use progress::{Counters, OutputMode, Progress};
pub use run::{CrawlSettings, CrawlSummary, PRIVATE_NETWORK_FIX, StopReason, run, run_observed};

/// A crawl that could not go on.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The frontier database failed.
    #[error(transparent)]
    Frontier(#[from] FrontierError),
    /// Writing the archive failed (e.g. disk full).
    #[error("archive: {0}")]
    Archive(#[from] crate::warc::WarcError),
    /// The writer thread stopped after an earlier error.
    #[error("archive: {0}")]
    ArchiveClosed(#[from] ArchiveClosed),
    /// Another run holds the state's lock (exit code 3).
    #[error(transparent)]
    Locked(#[from] LockError),
    /// The HTTP client could not be built.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// Bad settings (a profile's selectors, a worker name).
    #[error("{0}")]
    Settings(String),
    /// The shared politeness store failed.
    #[error(transparent)]
    Politeness(#[from] SharedStoreError),
    /// A local I/O error (e.g. creating the archive directory).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// A task of the crawl panicked or was cancelled.
    #[error("{task} failed: {source}")]
    TaskFailed {
        /// Which task (e.g. "a host task").
        task: &'static str,
        /// Why it ended.
        source: tokio::task::JoinError,
    },
    /// A lock shared by the crawl's tasks was poisoned: a task panicked while holding it.
    #[error("{0} lock poisoned")]
    Poisoned(&'static str),
    /// This worker lost its place among the workers of a shared state (declared dead by
    /// another worker, or its leases expired): it stops.
    #[error("{0}")]
    WorkerLost(String),
    /// A broken invariant of the crawl itself.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl CrawlError {
    /// The error of a task that panicked or was cancelled.
    fn task(task: &'static str) -> impl FnOnce(tokio::task::JoinError) -> CrawlError {
        move |source| CrawlError::TaskFailed { task, source }
    }
}

/// The frontier, shared by every task: an async lock, so that calls waiting for their turn
/// wait as tasks, not as threads of the blocking pool (with a thousand hosts, a thousand
/// jobs may want the frontier at once).
type SharedFrontier = Arc<tokio::sync::Mutex<Box<dyn Frontier>>>;

/// Runs a blocking frontier call off the reactor.
async fn db<T, F>(frontier: &SharedFrontier, call: F) -> Result<T, CrawlError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Frontier) -> Result<T, FrontierError> + Send + 'static,
{
    on_frontier(frontier, move |f| Ok(call(f)?)).await
}

/// Runs a blocking call on the frontier off the reactor (a call that may fail otherwise
/// than the frontier), once it is this call's turn: one blocking thread at a time.
async fn on_frontier<T, F>(frontier: &SharedFrontier, call: F) -> Result<T, CrawlError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Frontier) -> Result<T, CrawlError> + Send + 'static,
{
    let mut guard = Arc::clone(frontier).lock_owned().await;
    let result = tokio::task::spawn_blocking(move || call(guard.as_mut())).await;
    result.map_err(CrawlError::task("a frontier task"))?
}

/// One site profile with what the crawl derives from it.
struct Site {
    profile: SiteProfile,
    selectors: ProfileSelectors,
    max_depth: u32,
}

/// The state shared by every task of a crawl.
struct Shared {
    frontier: SharedFrontier,
    fetcher: Fetcher,
    /// Politeness: in this process, or shared by every worker of a PostgreSQL state.
    gate: Gate,
    archive: ArchiveHandle,
    /// Where pages are read, a few at a time.
    readers: readers::PageReaders,
    policy: Policy,
    sites: HashMap<String, Site>,
    /// robots.txt rules by origin, and when they expire.
    robots: Mutex<robots::RobotsCache>,
    counters: Arc<Counters>,
    stop: CancellationToken,
    stop_reason: Mutex<Option<StopReason>>,
    fatal: Mutex<Option<CrawlError>>,
    /// Pages of the `--max-pages` budget taken (see [`host::PageReservation`]).
    started_pages: AtomicU64,
    max_pages: Option<u64>,
    /// The browser for pages to render, and what `render = "auto"` learnt.
    rendering: rendering::Rendering,
}

impl Shared {
    fn request_stop(&self, reason: StopReason) {
        if let Ok(mut r) = self.stop_reason.lock() {
            r.get_or_insert(reason);
        }
        self.stop.cancel();
    }

    fn fail(&self, error: CrawlError) {
        tracing::error!("{error}");
        if let Ok(mut f) = self.fatal.lock() {
            // A job queued behind a failed write only sees "the writer has stopped": keep
            // the write's own error (e.g. "No space left on device") when it comes later.
            if matches!(*f, Some(CrawlError::ArchiveClosed(_)))
                && !matches!(error, CrawlError::ArchiveClosed(_))
            {
                *f = None;
            }
            f.get_or_insert(error);
        }
        self.request_stop(StopReason::Failed);
    }

    /// The policy of a host key (`name` or `name:port`): an exact entry first, then the name.
    fn host_policy(&self, host: &str) -> &HostPolicy {
        if let Some(policy) = self.policy.hosts.get(host) {
            return policy;
        }
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
            _ => host,
        };
        self.policy.for_host(name)
    }

    fn site(&self, name: &str) -> Option<&Site> {
        self.sites.get(name)
    }
}
