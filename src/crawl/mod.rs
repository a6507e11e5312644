//! The crawl loop: ties frontier, politeness, fetch, archive and extraction together.
//!
//! One task per host with due URLs claims them one at a time, checks robots.txt, waits at
//! the [`HostGate`] (rate, in-flight cap, backoff) and spawns a fetch job per URL. A job
//! fetches, archives the exchange, reads the page (links and article) off the reactor,
//! archives the article as a metadata record, and only then queues the links and marks
//! the URL done: a crash can cost a re-fetch, never a capture.

mod archive;
pub mod classify;
mod cluster;
mod lock;
pub mod progress;
mod recover;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::capture::Capture;
use crate::config::{HostPolicy, Policy, SiteProfile};
use crate::discover;
use crate::extract::{self, PageInput, ProfileSelectors};
use crate::fetch::{FetchRequest, Fetcher, FetcherConfig, decode_content};
use crate::frontier::{
    CaptureState, ClaimedUrl, Frontier, FrontierError, FrontierStats, NewUrl, Outcome,
    PostgresOptions, Recheck, SqliteFrontier, StoredRecord, UrlKind,
};
use crate::politeness::{
    Gate, HostGate, RobotsClaim, RobotsRules, SharedStoreError, backoff_delay, fetch_robots_stored,
    parse_retry_after, robots_retry_delay,
};
use crate::urls;
use crate::warc::{
    Compression, RevisitOf, RevisitProfile, WarcWriter, WriterConfig, repair_open_files,
};

use archive::ArchiveHandle;
pub use archive::{ArchiveClosed, Written};
pub use lock::{LockError, StateLock};
pub use progress::{Counters, OutputMode, Progress};

/// Everything a crawl needs, resolved from the command line and the configuration files.
#[derive(Debug, Clone)]
pub struct CrawlSettings {
    /// The sites to crawl.
    pub sites: Vec<SiteProfile>,
    /// Politeness.
    pub policy: Policy,
    /// Directory of the WARC files.
    pub archive_dir: PathBuf,
    /// The frontier database (SQLite), unless `shared_state` is set.
    pub state_path: PathBuf,
    /// Share the frontier, the politeness budget and robots.txt with other workers in
    /// this PostgreSQL database (`state_path` is then not used). `None`: one run at a
    /// time on the SQLite file at `state_path`.
    pub shared_state: Option<PostgresOptions>,
    /// Stop after this many pages (robots.txt excluded).
    pub max_pages: Option<u64>,
    /// Overrides every profile's `max_depth`.
    pub max_depth: Option<u32>,
    /// Stop after this long (in-flight requests finish, state is saved).
    pub max_duration: Option<Duration>,
    /// WARC compression.
    pub compression: Compression,
    /// Host names resolved to fixed addresses (tests, `--resolve`).
    pub resolve: Vec<(String, SocketAddr)>,
    /// Output mode.
    pub output: OutputMode,
}

/// Why a crawl ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// Nothing left to fetch.
    Completed,
    /// `--max-pages` reached.
    MaxPages,
    /// `--max-duration` reached.
    MaxDuration,
    /// Interrupted by a signal (Ctrl-C, SIGTERM).
    Interrupted,
    /// A fatal error (see the error).
    Failed,
}

/// What a crawl did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrawlSummary {
    /// A new id for every run (UUID).
    pub run_id: String,
    /// Full responses for URLs never captured before.
    pub new: u64,
    /// Full responses for URLs captured before, whose payload changed.
    pub changed: u64,
    /// Responses identical to the last capture (identical-payload-digest revisits).
    pub unchanged: u64,
    /// 304 answers to conditional requests (server-not-modified revisits).
    pub not_modified: u64,
    /// URLs given up in this run (errors after retries).
    pub failed: u64,
    /// Fetched URLs queued again at the start of this incremental run.
    pub rechecked: u64,
    /// Start of the run.
    pub started: DateTime<Utc>,
    /// End of the run.
    pub finished: DateTime<Utc>,
    /// Why it ended.
    pub stop_reason: StopReason,
    /// Responses archived in this run (robots.txt excluded).
    pub pages: u64,
    /// Article metadata records written in this run.
    pub articles: u64,
    /// Requests made in this run (robots.txt included).
    pub requests: u64,
    /// URLs skipped because of robots.txt in this run.
    pub robots_denied: u64,
    /// URLs not fetched because their host's address is on a private network that the
    /// policy forbids (`--allow-private-networks` allows it).
    pub refused_private: u64,
    /// Fetch errors in this run (retried or given up).
    pub errors: u64,
    /// Bytes written to WARC files in this run.
    pub bytes_written: u64,
    /// WARC files closed by this run.
    pub warc_files: Vec<PathBuf>,
    /// `.open` files from an earlier crash that were repaired and closed.
    pub repaired_files: Vec<PathBuf>,
    /// Frontier counts at the end.
    pub pending: u64,
    /// URLs fetched over all runs of this state.
    pub fetched_total: u64,
    /// URLs given up over all runs.
    pub failed_total: u64,
}

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
    /// Bad settings.
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
}

type SharedFrontier = Arc<Mutex<Box<dyn Frontier>>>;

/// Runs a blocking frontier call off the reactor.
async fn db<T, F>(frontier: &SharedFrontier, call: F) -> Result<T, CrawlError>
where
    T: Send + 'static,
    F: FnOnce(&mut dyn Frontier) -> Result<T, FrontierError> + Send + 'static,
{
    let frontier = Arc::clone(frontier);
    let joined = tokio::task::spawn_blocking(move || {
        let mut guard = frontier
            .lock()
            .map_err(|_| FrontierError::Database("frontier lock poisoned".into()))?;
        call(guard.as_mut())
    })
    .await;
    match joined {
        Ok(result) => Ok(result?),
        Err(e) => Err(CrawlError::Frontier(FrontierError::Database(format!(
            "frontier task failed: {e}"
        )))),
    }
}

/// One site profile with what the crawl derives from it.
struct Site {
    profile: SiteProfile,
    selectors: Option<ProfileSelectors>,
    max_depth: u32,
}

/// The state shared by every task of a crawl.
struct Shared {
    frontier: SharedFrontier,
    fetcher: Fetcher,
    /// Politeness: in this process, or shared by every worker of a PostgreSQL state.
    gate: Gate,
    archive: ArchiveHandle,
    policy: Policy,
    sites: HashMap<String, Site>,
    /// robots.txt rules by origin, and when they expire.
    robots: Mutex<HashMap<String, (Arc<RobotsRules>, Instant)>>,
    counters: Arc<Counters>,
    stop: CancellationToken,
    stop_reason: Mutex<Option<StopReason>>,
    fatal: Mutex<Option<CrawlError>>,
    started_pages: AtomicU64,
    max_pages: Option<u64>,
}

/// Redirect hops allowed past a profile's `max_depth`.
const MAX_REDIRECT_HOPS: u32 = 5;

const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a robots.txt still unavailable after its retries keeps its host's URLs failing
/// fast before a new series of attempts.
const ROBOTS_UNAVAILABLE_TTL: Duration = Duration::from_secs(3600);

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

/// How to crawl a site on a private network, for messages about refused addresses.
pub const PRIVATE_NETWORK_FIX: &str = "if this site is meant to be crawled on a private network, give --allow-private-networks (or allow_private_networks = true in the policy file)";

/// Runs a crawl until nothing is left, a limit is reached or `stop` is cancelled
/// (Ctrl-C: in-flight requests finish and are archived, the state is saved).
pub async fn run(
    settings: CrawlSettings,
    stop: CancellationToken,
) -> Result<CrawlSummary, CrawlError> {
    run_observed(settings, stop, Arc::new(Counters::default())).await
}

/// [`run`], counting into `counters`, which the caller may read while the crawl runs
/// (the metrics endpoint); the summary is read from them too.
pub async fn run_observed(
    settings: CrawlSettings,
    stop: CancellationToken,
    counters: Arc<Counters>,
) -> Result<CrawlSummary, CrawlError> {
    let started = Utc::now();
    std::fs::create_dir_all(&settings.archive_dir).map_err(|source| CrawlError::Io {
        context: format!(
            "cannot create the archive directory {}",
            settings.archive_dir.display()
        ),
        source,
    })?;
    let State {
        frontier,
        gate,
        repaired_files,
        cluster,
        warc_prefix,
        _lock,
    } = open_state(&settings).await?;
    let run_id = uuid::Uuid::new_v4().to_string();
    let frontier: SharedFrontier = Arc::new(Mutex::new(frontier));

    let mut sites = HashMap::new();
    let mut seeds = Vec::new();
    let mut rechecks = Vec::new();
    for profile in &settings.sites {
        let now = Utc::now();
        let ago =
            |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        rechecks.push(Recheck {
            site: profile.name.clone(),
            now,
            captured_before: ago(profile.recheck_articles),
            first_captured_after: ago(profile.fresh_articles),
        });
        for url in &profile.feeds {
            let (Some(url), Some(host)) = (urls::canonicalize(url), urls::host_key(url)) else {
                continue;
            };
            seeds.push(NewUrl {
                url,
                host,
                site: profile.name.clone(),
                depth: 0,
                kind: UrlKind::Start,
                found_on: None,
            });
        }
        let selectors = ProfileSelectors::compile(&profile.selectors)
            .map_err(|e| CrawlError::Settings(format!("profile {}: {e}", profile.name)))?;
        let max_depth = settings.max_depth.unwrap_or(profile.max_depth);
        for url in &profile.start {
            let (Some(url), Some(host)) = (urls::canonicalize(url), urls::host_key(url)) else {
                continue;
            };
            seeds.push(NewUrl {
                url,
                host,
                site: profile.name.clone(),
                depth: 0,
                kind: UrlKind::Start,
                found_on: None,
            });
        }
        sites.insert(
            profile.name.clone(),
            Site {
                profile: profile.clone(),
                selectors: Some(selectors),
                max_depth,
            },
        );
    }
    let run_for_meta = run_id.clone();
    let rechecked = db(&frontier, move |f| {
        // Work left by a stopped or killed run is finished first, without starting a
        // recheck: a new incremental pass starts only once the last one completed.
        let n = f.begin_run(&rechecks, &seeds)?;
        f.set_meta("last_run_id", &run_for_meta)?;
        Ok(n)
    })
    .await?;
    if rechecked > 0 {
        tracing::info!("incremental run: {rechecked} known URLs are due a recheck");
    }

    let fetcher = Fetcher::new(FetcherConfig {
        user_agent: settings.policy.user_agent.clone(),
        allow_private_networks: settings.policy.allow_private_networks,
        resolve: settings.resolve.clone(),
        connect_timeout: settings.policy.default.connect_timeout,
    })?;
    let mut writer = WarcWriter::new(WriterConfig {
        dir: settings.archive_dir.clone(),
        compression: settings.compression,
        max_file_bytes: settings.policy.warc_max_bytes,
        prefix: warc_prefix,
        warcinfo: warcinfo_fields(&settings),
    })?;
    writer.apply_dictionary_setting(&settings.policy.warc_dictionary)?;
    let (archive, archive_thread) = archive::start(writer).map_err(|source| CrawlError::Io {
        context: "cannot start the WARC writer thread".into(),
        source,
    })?;

    let shared = Arc::new(Shared {
        frontier: Arc::clone(&frontier),
        fetcher,
        gate,
        archive,
        policy: settings.policy.clone(),
        sites,
        robots: Mutex::new(HashMap::new()),
        counters: Arc::clone(&counters),
        stop: stop.clone(),
        stop_reason: Mutex::new(None),
        fatal: Mutex::new(None),
        started_pages: AtomicU64::new(0),
        max_pages: settings.max_pages,
    });

    let timer = settings.max_duration.map(|limit| {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(limit) => shared.request_stop(StopReason::MaxDuration),
                _ = shared.stop.cancelled() => {}
            }
        })
    });

    // With a shared state: heartbeat and care of dead workers while the crawl runs.
    let mut progress = Progress::new(settings.output);
    {
        let maintenance_done = CancellationToken::new();
        let crawl = async {
            schedule(&shared, &mut progress).await;
            maintenance_done.cancel();
        };
        match &cluster {
            Some(cluster) => {
                let maintenance =
                    cluster::maintain(cluster, Arc::clone(&shared), maintenance_done.clone());
                tokio::join!(crawl, maintenance);
            }
            None => crawl.await,
        }
    }
    progress.finish();
    if let Some(timer) = timer {
        // The crawl may end before the limit: stop the timer and release its handle.
        timer.abort();
        let _ = timer.await;
    }

    // Every task has ended: drop the last handle so the writer thread closes its files.
    let shared = match Arc::try_unwrap(shared) {
        Ok(shared) => shared,
        Err(_) => {
            return Err(CrawlError::Settings(
                "internal error: crawl tasks still running at shutdown".into(),
            ));
        }
    };
    let Shared {
        archive,
        fatal,
        stop_reason,
        ..
    } = shared;
    drop(archive);
    let warc_files = archive_thread.finish()?;
    if !warc_files.is_empty() {
        update_index(&settings.archive_dir).await;
    }
    if let Some(error) = fatal.into_inner().ok().flatten() {
        return Err(error);
    }
    if let Some(cluster) = cluster {
        let reason = if stop.is_cancelled() {
            "stopped"
        } else {
            "finished"
        };
        cluster.finish(reason).await?;
    }
    let stats: FrontierStats = db(&frontier, |f| f.stats()).await?;
    let stop_reason = stop_reason
        .into_inner()
        .ok()
        .flatten()
        .unwrap_or(if stop.is_cancelled() {
            StopReason::Interrupted
        } else {
            StopReason::Completed
        });
    Ok(CrawlSummary {
        run_id,
        new: counters.new.load(Ordering::Relaxed),
        changed: counters.changed.load(Ordering::Relaxed),
        unchanged: counters.unchanged.load(Ordering::Relaxed),
        not_modified: counters.not_modified.load(Ordering::Relaxed),
        failed: counters.failed.load(Ordering::Relaxed),
        rechecked,
        started,
        finished: Utc::now(),
        stop_reason,
        pages: counters.pages.load(Ordering::Relaxed),
        articles: counters.articles.load(Ordering::Relaxed),
        requests: counters.requests.load(Ordering::Relaxed),
        robots_denied: counters.robots_denied.load(Ordering::Relaxed),
        refused_private: counters.refused_private.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        bytes_written: counters.bytes_written.load(Ordering::Relaxed),
        warc_files,
        repaired_files,
        pending: stats.pending + stats.in_flight,
        fetched_total: stats.fetched,
        failed_total: stats.failed,
    })
}

/// The state a run works on, opened and recovered.
struct State {
    frontier: Box<dyn Frontier>,
    gate: Gate,
    repaired_files: Vec<PathBuf>,
    /// The worker's registration, with a shared state.
    cluster: Option<cluster::Cluster>,
    /// WARC file name prefix (the worker's name is in it with a shared state).
    warc_prefix: String,
    /// The lock of the SQLite state (one run at a time), held for the run.
    _lock: Option<StateLock>,
}

/// Opens the state: the SQLite file (one run at a time: its lock is taken before touching
/// the archive or the state) or, with `shared_state`, the PostgreSQL database as one
/// worker among several. Either way, what a crashed run left is recovered: `.open` WARC
/// files repaired, their responses adopted, URLs in flight queued again.
async fn open_state(settings: &CrawlSettings) -> Result<State, CrawlError> {
    if let Some(options) = settings.shared_state.clone() {
        let dir = settings.archive_dir.clone();
        let opened = tokio::task::spawn_blocking(move || cluster::open(&options, &dir))
            .await
            .map_err(|e| CrawlError::Settings(format!("opening the shared state failed: {e}")))??;
        let warc_prefix = cluster::warc_prefix(opened.cluster.name());
        return Ok(State {
            frontier: Box::new(opened.frontier),
            gate: opened.gate,
            repaired_files: opened.repaired_files,
            cluster: Some(opened.cluster),
            warc_prefix,
            _lock: None,
        });
    }
    if let Some(parent) = settings
        .state_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| CrawlError::Io {
            context: format!("cannot create the state directory {}", parent.display()),
            source,
        })?;
    }
    let lock = StateLock::acquire(&settings.state_path)?;
    let repaired_files = repair_open_files(&settings.archive_dir)?;
    for file in &repaired_files {
        tracing::warn!("repaired {} left open by an earlier run", file.display());
    }
    let mut frontier = SqliteFrontier::open(&settings.state_path)?;
    let adopted = recover::adopt_orphans(
        &mut frontier,
        &recover::files_to_scan(&settings.archive_dir, &repaired_files),
    )?;
    if adopted > 0 {
        tracing::info!("{adopted} responses archived by the interrupted run were kept");
    }
    let recovered = frontier.recover_in_flight()?;
    if recovered > 0 {
        tracing::info!("resuming: {recovered} URLs that were in flight are queued again");
    }
    // Outcomes and links are committed in groups (claims at once): see `batch_commits`.
    frontier.batch_commits(256, Duration::from_millis(250));
    Ok(State {
        frontier: Box::new(frontier),
        gate: Gate::Local(HostGate::new()),
        repaired_files,
        cluster: None,
        warc_prefix: "glaneur".into(),
        _lock: Some(lock),
    })
}

/// Brings `index.cdxj` up to date with the files this run closed. A failure is logged, not
/// fatal: the archive is complete without its index, and `glaneur index` rebuilds it.
/// Another process updating the index (a worker sharing the archive directory) is waited
/// for this long, then the update is left to `glaneur index`.
const INDEX_BUSY_WAIT: Duration = Duration::from_secs(60);

async fn update_index(dir: &std::path::Path) {
    let waited = Instant::now();
    loop {
        let d = dir.to_path_buf();
        match tokio::task::spawn_blocking(move || crate::read::index_archive(&d)).await {
            Ok(Ok(report)) => {
                tracing::info!(
                    "index.cdxj updated: {} file(s), {} record(s)",
                    report.files_indexed,
                    report.records
                );
                return;
            }
            Ok(Err(crate::read::ReadError::Busy(_))) if waited.elapsed() < INDEX_BUSY_WAIT => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(Err(e)) => {
                tracing::warn!("index not updated ({e}); run `glaneur index` to update it");
                return;
            }
            Err(e) => {
                tracing::warn!("index not updated ({e}); run `glaneur index` to update it");
                return;
            }
        }
    }
}

fn warcinfo_fields(settings: &CrawlSettings) -> Vec<(String, String)> {
    let p = &settings.policy;
    let d = &p.default;
    let mut fields = vec![
        ("http-header-user-agent".to_string(), p.user_agent.clone()),
        (
            "robots".to_string(),
            if p.obey_robots { "obey" } else { "ignore" }.to_string(),
        ),
        (
            "politeness".to_string(),
            format!(
                "requests_per_second={} burst={} max_concurrent={} timeout_secs={} max_body_bytes={} retries={}",
                d.requests_per_second,
                d.burst,
                d.max_concurrent,
                d.timeout.as_secs(),
                d.max_body_bytes,
                d.retries
            ),
        ),
    ];
    if let Some(shared) = &settings.shared_state {
        // One of several workers sharing a frontier: which one wrote this file.
        fields.push(("worker".to_string(), shared.worker.clone()));
    }
    let mut hosts: Vec<_> = p.hosts.iter().collect();
    hosts.sort_by(|a, b| a.0.cmp(b.0));
    for (host, h) in hosts {
        fields.push((
            "politeness-host".to_string(),
            format!(
                "{host} requests_per_second={} burst={} max_concurrent={}",
                h.requests_per_second, h.burst, h.max_concurrent
            ),
        ));
    }
    for site in &settings.sites {
        let starts: Vec<&str> = site.start.iter().map(Url::as_str).collect();
        fields.push((
            "seed".to_string(),
            format!("{} {}", site.name, starts.join(" ")),
        ));
    }
    fields
}

/// Starts a task for every host with due URLs, until nothing is left or the crawl stops.
async fn schedule(shared: &Arc<Shared>, progress: &mut Progress) {
    let mut hosts: JoinSet<String> = JoinSet::new();
    let mut active: HashSet<String> = HashSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_progress = Instant::now();
    let mut queued = 0;
    loop {
        if !shared.stop.is_cancelled() {
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
            if shared.stop.is_cancelled() {
                break;
            }
            match db(&shared.frontier, |f| f.next_due()).await {
                Ok(None) => break,
                Ok(Some(due)) => {
                    let wait = (due - Utc::now()).to_std().unwrap_or_default();
                    tokio::select! {
                        _ = tokio::time::sleep(wait.min(Duration::from_secs(1))) => {}
                        _ = shared.stop.cancelled() => {}
                    }
                }
                Err(e) => {
                    shared.fail(e);
                    break;
                }
            }
        } else {
            tokio::select! {
                done = hosts.join_next() => {
                    match done {
                        Some(Ok(host)) => { active.remove(&host); }
                        Some(Err(e)) => shared.fail(CrawlError::Settings(format!("a host task failed: {e}"))),
                        None => {}
                    }
                }
                _ = tick.tick() => {}
            }
        }
        if last_progress.elapsed() >= Duration::from_secs(1) {
            last_progress = Instant::now();
            if let Ok(stats) = db(&shared.frontier, |f| f.stats()).await {
                queued = stats.pending;
            }
            progress.update(&shared.counters, queued);
        }
    }
    while let Some(done) = hosts.join_next().await {
        if let Err(e) = done {
            shared.fail(CrawlError::Settings(format!("a host task failed: {e}")));
        }
    }
}

/// Fetches the due URLs of one host, within its politeness limits, until none is left.
async fn host_loop(shared: &Arc<Shared>, host: &str) {
    let policy = shared.host_policy(host).clone();
    let mut jobs: JoinSet<()> = JoinSet::new();
    // URLs are claimed several at a time (as many as may be in flight): one frontier
    // transaction, and one commit of the grouped outcome writes, per batch rather than
    // per page. With --max-pages, one at a time, so no URL is claimed beyond the budget.
    // URLs claimed but not started when the crawl stops stay in flight, like the one a
    // stopping host loop holds, and are queued again by the next run.
    let claim_batch = if shared.max_pages.is_some() {
        1
    } else {
        usize::try_from(policy.max_concurrent)
            .unwrap_or(1)
            .clamp(1, 64)
    };
    let mut claimed_ahead: std::collections::VecDeque<ClaimedUrl> =
        std::collections::VecDeque::new();
    loop {
        if shared.stop.is_cancelled() {
            break;
        }
        // Reserve a page of the --max-pages budget before claiming.
        let reserved = shared.started_pages.fetch_add(1, Ordering::SeqCst);
        if shared.max_pages.is_some_and(|max| reserved >= max) {
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            shared.request_stop(StopReason::MaxPages);
            break;
        }
        let next = match claimed_ahead.pop_front() {
            Some(url) => Some(url),
            None => {
                let host_owned = host.to_string();
                match db(&shared.frontier, move |f| {
                    f.claim(&host_owned, Utc::now(), claim_batch)
                })
                .await
                {
                    Ok(claimed) => {
                        claimed_ahead.extend(claimed);
                        claimed_ahead.pop_front()
                    }
                    Err(e) => {
                        shared.started_pages.fetch_sub(1, Ordering::SeqCst);
                        shared.fail(e);
                        break;
                    }
                }
            }
        };
        let Some(url) = next else {
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            // Nothing due now: wait for running jobs, which may queue more for this host.
            match jobs.join_next().await {
                Some(_) => continue,
                None => break,
            }
        };
        let Some(rules) = robots_for(shared, &url, &policy).await else {
            // Stopping (or failed): the URL stays claimed and is recovered.
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            break;
        };
        if let RobotsRules::Unavailable { reason, .. } = &*rules {
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            if shared.stop.is_cancelled() {
                break; // left in flight: queued again by the next run
            }
            // Still unavailable after the retries: this run gives the URL up as failed
            // (not robots-denied), so that the next run tries again.
            shared.counters.failed.fetch_add(1, Ordering::Relaxed);
            let id = url.id;
            let error = format!("{reason} (after {} attempts)", policy.retries + 1);
            if let Err(e) = db(&shared.frontier, move |f| {
                f.finish(id, &Outcome::Failed { error })
            })
            .await
            {
                shared.fail(e);
                break;
            }
            continue;
        }
        if let RobotsRules::Refused { reason } = &*rules {
            // A private address the policy forbids: not a robots.txt decision.
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            shared
                .counters
                .refused_private
                .fetch_add(1, Ordering::Relaxed);
            shared.counters.failed.fetch_add(1, Ordering::Relaxed);
            let id = url.id;
            let error = format!("{reason}; {PRIVATE_NETWORK_FIX}");
            if let Err(e) = db(&shared.frontier, move |f| {
                f.finish(id, &Outcome::Failed { error })
            })
            .await
            {
                shared.fail(e);
                break;
            }
            continue;
        }
        if !rules.is_allowed(shared.policy.product_token(), &url.url) {
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
            shared
                .counters
                .robots_denied
                .fetch_add(1, Ordering::Relaxed);
            tracing::debug!("robots.txt disallows {}", url.url);
            let id = url.id;
            if let Err(e) = db(&shared.frontier, move |f| {
                f.finish(id, &Outcome::RobotsDenied)
            })
            .await
            {
                shared.fail(e);
                break;
            }
            continue;
        }
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
                    shared.started_pages.fetch_sub(1, Ordering::SeqCst);
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
            let _permit = permit;
            if let Err(e) = fetch_one(&shared_job, &policy_job, url).await {
                shared_job.fail(e);
            }
        });
        // Reap finished jobs without waiting.
        while jobs.try_join_next().is_some() {}
    }
    while jobs.join_next().await.is_some() {}
}

/// The robots.txt rules for `url`'s origin, fetched (and archived) on first use. While
/// robots.txt is unavailable (5xx, 429, network error) the host waits: it is asked again
/// after [`robots_retry_delay`], up to the host's `retries` times, and the rules it then
/// gives are used; if it is still unavailable, that is the answer (cached for an hour).
/// With a shared state, one worker fetches it for all: the others read it from the store,
/// waiting while it is being fetched (and retried). `None` if the crawl stops meanwhile
/// or fails.
async fn robots_for(
    shared: &Arc<Shared>,
    claimed: &ClaimedUrl,
    policy: &HostPolicy,
) -> Option<Arc<RobotsRules>> {
    let url = &claimed.url;
    if !shared.policy.obey_robots {
        return Some(Arc::new(RobotsRules::AllowAll));
    }
    let origin = url.origin().ascii_serialization();
    if let Ok(cache) = shared.robots.lock()
        && let Some((rules, expires)) = cache.get(&origin)
        && Instant::now() < *expires
    {
        return Some(Arc::clone(rules));
    }
    let Some(host) = urls::host_key(url) else {
        return Some(Arc::new(RobotsRules::AllowAll));
    };
    let origin_url = match Url::parse(&origin) {
        Ok(u) => u,
        Err(_) => return Some(Arc::new(RobotsRules::AllowAll)),
    };
    if let Some(store) = shared.gate.shared() {
        loop {
            let (store, key) = (Arc::clone(store), origin.clone());
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
                    remember_robots(shared, origin, &rules, ttl);
                    return Some(rules);
                }
                Ok(RobotsClaim::Fetch) => break,
                Ok(RobotsClaim::Wait) => {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = shared.stop.cancelled() => return None,
                    }
                }
                Err(e) => {
                    shared.fail(e.into());
                    return None;
                }
            }
        }
    }
    let mut attempt = 0;
    let (rules, stored) = loop {
        let permit = match shared.gate.acquire(&host, policy).await {
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
        let (rules, stored) =
            fetch_robots_stored(&shared.fetcher, &origin_url, policy.timeout, &mut keep).await;
        drop(permit);
        let RobotsRules::Unavailable {
            reason,
            retry_after,
        } = &rules
        else {
            break (rules, stored);
        };
        shared.counters.errors.fetch_add(1, Ordering::Relaxed);
        if attempt >= policy.retries {
            tracing::warn!(
                "{origin}: {reason}; still unavailable after {} attempts: its URLs are left to the next run",
                attempt + 1
            );
            break (rules, stored);
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
    };
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
            "{origin}: {reason}; nothing will be fetched from this host: {PRIVATE_NETWORK_FIX}"
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
        cache.insert(origin, (Arc::clone(rules), Instant::now() + ttl));
    }
}

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
        .filter_map(urls::canonicalize)
        .filter(|u| site.profile.allows(u))
        .filter_map(|u| {
            Some(NewUrl {
                host: urls::host_key(&u)?,
                url: u,
                site: claimed.site.clone(),
                depth: 1,
                kind: UrlKind::Other,
                found_on: found_on.clone(),
            })
        })
        .collect();
    if sitemaps.is_empty() {
        return;
    }
    if let Err(e) = db(&shared.frontier, move |f| f.add(&sitemaps)).await {
        shared.fail(e);
    }
}

/// The URLs a feed or sitemap leads to, and the `lastmod` dates of those it says changed.
fn discovered_to_queue(
    site: &Site,
    page: &ClaimedUrl,
    discovery: &discover::Discovery,
) -> (Vec<NewUrl>, Vec<(Url, DateTime<Utc>)>) {
    let mut queue = Vec::new();
    let mut changed = Vec::new();
    let index = discovery.kind == discover::DocumentKind::SitemapIndex;
    for entry in &discovery.entries {
        let Some(url) = urls::canonicalize(&entry.url) else {
            continue;
        };
        if !site.profile.allows(&url) {
            continue;
        }
        let Some(host) = urls::host_key(&url) else {
            continue;
        };
        let (depth, kind) = if index {
            (page.depth, UrlKind::Other)
        } else if classify::is_article(&site.profile, &url) {
            ((page.depth + 1).min(site.max_depth), UrlKind::Article)
        } else {
            ((page.depth + 1).min(site.max_depth), UrlKind::Other)
        };
        if let Some(modified) = entry.modified {
            changed.push((url.clone(), modified));
        }
        queue.push(NewUrl {
            url,
            host,
            site: page.site.clone(),
            depth,
            kind,
            found_on: Some(page.url.clone()),
        });
    }
    (queue, changed)
}

/// Fetches one URL, archives the exchange, reads the page and queues its links.
async fn fetch_one(
    shared: &Arc<Shared>,
    policy: &HostPolicy,
    url: ClaimedUrl,
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
            shared.started_pages.fetch_sub(1, Ordering::SeqCst);
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
            return Ok(());
        }
    };
    let status = capture.status;
    tracing::debug!("{status} {}", capture.url);

    // Read the page off the reactor while the writer thread archives it.
    let site = shared.site(&url.site);
    let selectors = site.and_then(|s| s.selectors.clone());
    let want_article = site.is_some_and(|s| classify::is_article(&s.profile, &url.url));
    let decode_limit = policy.max_body_bytes.saturating_mul(5).max(10_000_000);
    let page_capture = capture.clone();
    let is_start = url.kind == UrlKind::Start;
    let reading = tokio::task::spawn_blocking(move || {
        read_page(
            &page_capture,
            selectors.as_ref(),
            want_article,
            decode_limit,
            is_start,
        )
    });
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
    let location = written.location.clone();
    shared.counters.pages.fetch_add(1, Ordering::Relaxed);
    let counter = match (written.revisit, &url.previous) {
        (Some(RevisitProfile::ServerNotModified), _) => &shared.counters.not_modified,
        (Some(RevisitProfile::IdenticalPayloadDigest), _) => &shared.counters.unchanged,
        (None, Some(_)) => &shared.counters.changed,
        (None, None) => &shared.counters.new,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    shared.counters.bytes_written.fetch_add(
        location.request.length + location.response.length,
        Ordering::Relaxed,
    );
    let PageRead {
        analysis,
        discovery,
        feeds,
    } = reading.await.unwrap_or_else(|e| {
        tracing::error!("reading {} failed: {e}", url.url);
        PageRead::default()
    });
    let mut changed_since: Vec<(Url, DateTime<Utc>)> = Vec::new();

    let mut queue = Vec::new();
    if let Some(site) = site {
        if let Some(target) = capture
            .redirect_target()
            .and_then(|t| urls::canonicalize(&t))
            && site.profile.allows(&target)
            && url.depth < site.max_depth + MAX_REDIRECT_HOPS
            && let Some(host) = urls::host_key(&target)
        {
            let kind = if classify::is_article(&site.profile, &target) {
                UrlKind::Article
            } else {
                url.kind
            };
            queue.push(NewUrl {
                url: target,
                host,
                site: url.site.clone(),
                // Each hop counts, so a redirect chain or loop ends; a page at the
                // depth limit may still be reached through a few redirects.
                depth: url.depth + 1,
                kind,
                found_on: Some(url.url.clone()),
            });
        }
        if let Some(discovery) = &discovery {
            let (found, changed) = discovered_to_queue(site, &url, discovery);
            queue.extend(found);
            changed_since = changed;
        }
        for feed in feeds {
            if let (Some(feed), true) = (urls::canonicalize(&feed), site.profile.allows(&feed))
                && let Some(host) = urls::host_key(&feed)
            {
                queue.push(NewUrl {
                    url: feed,
                    host,
                    site: url.site.clone(),
                    depth: url.depth,
                    kind: UrlKind::Start,
                    found_on: Some(url.url.clone()),
                });
            }
        }
        if let Some(analysis) = &analysis {
            queue.extend(classify::links_to_queue(
                &site.profile,
                site.max_depth,
                &url.url,
                url.depth,
                &analysis.links,
            ));
        }
    }

    // An unchanged page has the article of its last full capture: no new metadata record.
    if let Some(article) = analysis.and_then(|a| a.article).filter(|_| {
        written.revisit.is_none() || url.previous.as_ref().is_some_and(|p| !p.described)
    }) {
        match serde_json::to_vec(&article) {
            Ok(json) => {
                let meta = shared
                    .archive
                    .write_metadata(
                        capture.url.to_string(),
                        location.response.id.clone(),
                        crate::warc::metadata_date(&capture),
                        "application/json",
                        json,
                    )
                    .await??;
                shared.counters.articles.fetch_add(1, Ordering::Relaxed);
                shared
                    .counters
                    .bytes_written
                    .fetch_add(meta.length, Ordering::Relaxed);
            }
            Err(e) => tracing::error!("cannot serialise the article of {}: {e}", url.url),
        }
    }

    let id = url.id;
    let retry = retry_delay(&capture, url.attempts, policy);
    if let Some(delay) = retry.or_else(|| asked_delay(&capture)) {
        // A Retry-After pauses the host even when this URL has no retry left.
        shared.gate.pause(&url.host, delay);
    }
    let outcome_message = format!("HTTP {status}");
    let state = capture_state(&capture, &written, url.previous.as_ref());
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

/// `If-None-Match` / `If-Modified-Since` from the last capture, when it was a complete 200.
fn conditional_headers(previous: Option<&CaptureState>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(p) = previous.filter(|p| p.status == 200) {
        if let Some(etag) = &p.etag {
            headers.push(("If-None-Match".to_string(), etag.clone()));
        }
        if let Some(lm) = &p.last_modified {
            headers.push(("If-Modified-Since".to_string(), lm.clone()));
        }
    }
    headers
}

/// A validator header worth keeping: printable, bounded.
fn validator(capture: &Capture, name: &str) -> Option<String> {
    capture
        .header(name)
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 512)
        .map(str::to_string)
}

/// The state to keep about a URL after this capture: a full response becomes the record
/// later revisits refer to; a revisit keeps the earlier record and refreshes the validators.
fn capture_state(
    capture: &Capture,
    written: &Written,
    previous: Option<&CaptureState>,
) -> CaptureState {
    let complete = capture.truncated.is_none();
    let etag = validator(capture, "etag").filter(|_| complete);
    let last_modified = validator(capture, "last-modified").filter(|_| complete);
    match (written.revisit, previous) {
        (Some(_), Some(p)) => CaptureState {
            captured_at: capture.started,
            first_captured_at: p.first_captured_at,
            status: p.status,
            etag: etag.or_else(|| p.etag.clone()),
            last_modified: last_modified.or_else(|| p.last_modified.clone()),
            payload_digest: p.payload_digest.clone(),
            record: p.record.clone(),
            described: true,
        },
        _ => CaptureState {
            captured_at: capture.started,
            first_captured_at: previous.map_or(capture.started, |p| p.first_captured_at),
            status: capture.status,
            etag,
            last_modified,
            payload_digest: written.location.payload_digest.clone(),
            record: StoredRecord {
                file: written.location.response.file.clone(),
                offset: written.location.response.offset,
                id: written.location.response.id.0.clone(),
                date: capture.started,
            },
            described: true,
        },
    }
}

/// When a response asks to come back later (429, 5xx) and retries remain: how long to wait.
fn retry_delay(capture: &Capture, attempts: u32, policy: &HostPolicy) -> Option<Duration> {
    let status = capture.status;
    if !(status == 429 || (500..600).contains(&status)) || attempts >= policy.retries {
        return None;
    }
    let backoff = backoff_delay(attempts, Duration::from_secs(2), Duration::from_secs(600));
    Some(asked_delay(capture).unwrap_or(backoff))
}

/// The `Retry-After` of a 429 or 503 (seconds or HTTP-date), at least 100 ms.
fn asked_delay(capture: &Capture) -> Option<Duration> {
    (capture.status == 429 || capture.status == 503)
        .then(|| capture.header("retry-after"))
        .flatten()
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()))
        .map(|d| d.max(Duration::from_millis(100)))
}

/// What was read from a page.
#[derive(Default)]
struct PageRead {
    /// Links and article of an HTML page.
    analysis: Option<extract::PageAnalysis>,
    /// Entries of a feed or sitemap.
    discovery: Option<discover::Discovery>,
    /// Feeds announced by a start page.
    feeds: Vec<Url>,
}

/// Decodes and reads a 2xx page: a feed or sitemap, or an HTML page (links and, when
/// wanted, the article; on a start page, the feeds it announces).
fn read_page(
    capture: &Capture,
    selectors: Option<&ProfileSelectors>,
    want_article: bool,
    decode_limit: u64,
    is_start: bool,
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
    read.analysis = Some(extract::analyze(&page, selectors, want_article));
    read
}
