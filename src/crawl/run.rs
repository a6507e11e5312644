//! One run of the crawl, from opening the state to its summary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::archive::{self, ArchiveThread};
use super::{
    Counters, CrawlError, OutputMode, Progress, Shared, SharedFrontier, Site, StateLock, cluster,
    db, host, plan, recover,
};
use crate::config::{Policy, SiteProfile};
use crate::fetch::{Fetcher, FetcherConfig};
use crate::frontier::{Frontier, FrontierStats, NewUrl, PostgresOptions, Recheck, SqliteFrontier};
use crate::politeness::{Gate, HostGate};
use crate::warc::{Compression, WarcWriter, WriterConfig, repair_open_files};

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
    /// Rendering pages in a browser (`--render`, `--render-tabs`).
    pub render: crate::render::RenderSettings,
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
    /// Pages rendered in a browser in this run.
    pub rendered: u64,
    /// Requests of rendered pages fetched and archived in this run (page requisites).
    pub requisites: u64,
    /// Of those, archived as revisits of the last run's capture (unchanged).
    pub requisite_revisits: u64,
    /// REST JSONs of WordPress post pages fetched and archived in this run (profile
    /// setting `wordpress_rest`).
    pub wp_rest: u64,
    /// Of those, archived as revisits (unchanged).
    pub wp_rest_revisits: u64,
    /// Of those asked for, not fetched (robots.txt, network errors).
    pub wp_rest_failed: u64,
    /// Most pages chosen for rendering at once, in a tab or waiting for one (bounded by
    /// `--render-tabs` + `--render-queue`, plus the pages being fetched when it filled).
    pub render_backlog_peak: u64,
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
    /// Repair events: what the repair of those files moved aside (damaged records,
    /// torn tails), from their `.damaged.json` reports.
    pub repairs: Vec<crate::warc::RepairReport>,
    /// Frontier counts at the end.
    pub pending: u64,
    /// URLs fetched over all runs of this state.
    pub fetched_total: u64,
    /// URLs given up over all runs.
    pub failed_total: u64,
}

/// How to crawl a site on a private network, for messages about refused addresses.
pub const PRIVATE_NETWORK_FIX: &str = "if this site is meant to be crawled on a private network, give --allow-private-networks (or allow_private_networks = true in the policy file)";

/// What a run knows about itself besides its counters and the frontier's counts.
struct RunRecord {
    run_id: String,
    rechecked: u64,
    started: DateTime<Utc>,
    stop_reason: StopReason,
    warc_files: Vec<PathBuf>,
    repaired_files: Vec<PathBuf>,
}

impl CrawlSummary {
    /// The summary of a run from its record, its counters and the frontier's counts at
    /// the end.
    fn new(run: RunRecord, counters: &Counters, stats: &FrontierStats) -> CrawlSummary {
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CrawlSummary {
            run_id: run.run_id,
            new: count(&counters.new),
            changed: count(&counters.changed),
            unchanged: count(&counters.unchanged),
            not_modified: count(&counters.not_modified),
            failed: count(&counters.failed),
            rechecked: run.rechecked,
            started: run.started,
            finished: Utc::now(),
            stop_reason: run.stop_reason,
            pages: count(&counters.pages),
            articles: count(&counters.articles),
            rendered: count(&counters.rendered),
            requisites: count(&counters.requisites),
            requisite_revisits: count(&counters.requisite_revisits),
            wp_rest: count(&counters.wp_rest),
            wp_rest_revisits: count(&counters.wp_rest_revisits),
            wp_rest_failed: count(&counters.wp_rest_failed),
            render_backlog_peak: count(&counters.render_backlog_peak),
            requests: count(&counters.requests),
            robots_denied: count(&counters.robots_denied),
            refused_private: count(&counters.refused_private),
            errors: count(&counters.errors),
            bytes_written: count(&counters.bytes_written),
            warc_files: run.warc_files,
            repairs: recover::repair_events(&run.repaired_files),
            repaired_files: run.repaired_files,
            pending: stats.pending + stats.in_flight,
            fetched_total: stats.fetched,
            failed_total: stats.failed,
        }
    }
}

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
    check_browser(&settings)?;
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
    let frontier: SharedFrontier = Arc::new(tokio::sync::Mutex::new(frontier));
    let plan = plan::plan(&settings)?;
    let rechecked = begin_run(&frontier, plan.rechecks, plan.seeds, &run_id).await?;
    let (shared, archive_thread) = start(
        &settings,
        Arc::clone(&frontier),
        gate,
        plan.sites,
        warc_prefix,
        Arc::clone(&counters),
        stop.clone(),
    )?;
    crawl(&settings, Arc::clone(&shared), cluster.as_ref()).await;
    shared.rendering.close().await;

    // Every task has ended: drop the last handle so the writer thread closes its files.
    let Shared {
        archive,
        fatal,
        stop_reason,
        ..
    } = Arc::try_unwrap(shared)
        .map_err(|_| CrawlError::Internal("crawl tasks still running at shutdown"))?;
    drop(archive);
    let closed = archive_thread.finish()?;
    if !closed.files.is_empty() {
        update_index(&settings.archive_dir, closed.index).await;
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
    let record = RunRecord {
        run_id,
        rechecked,
        started,
        stop_reason,
        warc_files: closed.files,
        repaired_files,
    };
    Ok(CrawlSummary::new(record, &counters, &stats))
}

/// When some site may be rendered: the browser must be there (a clear error before
/// anything is fetched rather than at the first page to render).
fn check_browser(settings: &CrawlSettings) -> Result<(), CrawlError> {
    let may_render = match &settings.render.mode {
        Some(mode) => mode.may_render(),
        None => settings.sites.iter().any(|s| s.render.may_render()),
    };
    if may_render {
        crate::render::find_chromium(settings.render.chromium.as_deref())
            .map_err(|e| CrawlError::Settings(e.to_string()))?;
    }
    Ok(())
}

/// Queues the seeds and, when the last run completed, the rechecks; records the run's
/// id. Returns the number of URLs queued again for a recheck.
async fn begin_run(
    frontier: &SharedFrontier,
    rechecks: Vec<Recheck>,
    seeds: Vec<NewUrl>,
    run_id: &str,
) -> Result<u64, CrawlError> {
    let run_id = run_id.to_string();
    let rechecked = db(frontier, move |f| {
        // Work left by a stopped or killed run is finished first, without starting a
        // recheck: a new incremental pass starts only once the last one completed.
        let n = f.begin_run(&rechecks, &seeds)?;
        f.set_meta("last_run_id", &run_id)?;
        Ok(n)
    })
    .await?;
    if rechecked > 0 {
        tracing::info!("incremental run: {rechecked} known URLs are due a recheck");
    }
    Ok(rechecked)
}

/// Builds the HTTP client and starts the WARC writer thread: the state every task shares.
fn start(
    settings: &CrawlSettings,
    frontier: SharedFrontier,
    gate: Gate,
    sites: std::collections::HashMap<String, Site>,
    warc_prefix: String,
    counters: Arc<Counters>,
    stop: CancellationToken,
) -> Result<(Arc<Shared>, ArchiveThread), CrawlError> {
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
        warcinfo: warcinfo_fields(settings),
    })?;
    writer.apply_dictionary_setting(&settings.policy.warc_dictionary)?;
    let (archive, archive_thread) = archive::start(writer).map_err(|source| CrawlError::Io {
        context: "cannot start the WARC writer thread".into(),
        source,
    })?;
    let shared = Arc::new(Shared {
        frontier,
        fetcher,
        gate,
        archive,
        readers: super::readers::PageReaders::per_core(),
        policy: settings.policy.clone(),
        sites,
        robots: Mutex::new(super::robots::RobotsCache::default()),
        counters,
        stop,
        stop_reason: Mutex::new(None),
        fatal: Mutex::new(None),
        started_pages: AtomicU64::new(0),
        max_pages: settings.max_pages,
        rendering: super::rendering::Rendering::new(settings.render.clone(), &settings.archive_dir),
    });
    Ok((shared, archive_thread))
}

/// Crawls until every task has ended: the host tasks, the `--max-duration` timer and,
/// with a shared state, the heartbeat and the care of dead workers.
async fn crawl(settings: &CrawlSettings, shared: Arc<Shared>, cluster: Option<&cluster::Cluster>) {
    let timer = settings.max_duration.map(|limit| {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::time::sleep(limit) => shared.request_stop(StopReason::MaxDuration),
                _ = shared.stop.cancelled() => {}
            }
        })
    });
    let mut progress = Progress::new(settings.output);
    {
        let maintenance_done = CancellationToken::new();
        let crawl = async {
            host::schedule(&shared, &mut progress).await;
            maintenance_done.cancel();
        };
        match cluster {
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
            .map_err(CrawlError::task("opening the shared state"))??;
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
    let lock = StateLock::acquire_with_archive(&settings.state_path, &settings.archive_dir)?;
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

/// Another process updating the index (a worker sharing the archive directory) is waited
/// for this long, then the update is left to `glaneur index`.
const INDEX_BUSY_WAIT: Duration = Duration::from_secs(60);

/// Brings `index.cdxj` up to date with the files this run closed, taking their lines from
/// `prepared` (made as they were written) rather than reading them again. A failure is
/// logged, not fatal: the archive is complete without its index, and `glaneur index`
/// rebuilds it.
async fn update_index(dir: &Path, mut prepared: crate::archive::PreparedIndex) {
    let waited = Instant::now();
    loop {
        let d = dir.to_path_buf();
        // The lines go to the blocking thread and come back (whole after `Busy`).
        let mut lines = std::mem::take(&mut prepared);
        let update = move || {
            let report = crate::archive::index_archive_prepared(&d, &mut lines);
            (report, lines)
        };
        let attempt = tokio::task::spawn_blocking(update)
            .await
            .map(|(report, back)| {
                prepared = back;
                report
            });
        match attempt {
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

/// The `warcinfo` record of the run's WARC files: user agent, robots, politeness, seeds.
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
