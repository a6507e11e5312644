//! A crawl as one worker among several on a PostgreSQL state.
//!
//! At start: the worker takes the lock of its name on the archive directory, registers
//! (a live worker of the same name is refused), repairs its own `.open` WARC files and
//! those of gone workers of this directory, adopts the responses found there, and puts
//! back its own and expired leases. While it runs, [`maintain`] beats every quarter of
//! the lease: it renews the worker's leases, repairs the files of workers of this
//! directory that died meanwhile, and hands out the work of workers whose heartbeat is
//! older than their lease. At the end, its leases are released.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use regex::Regex;
use tokio_util::sync::CancellationToken;

use super::recover::{adopt_orphans, adopt_orphans_of, files_to_scan};
use super::{CrawlError, LockError, Shared, StateLock, db};
use crate::frontier::{
    Beat, Frontier, FrontierError, PostgresFrontier, PostgresOptions, PostgresPoliteness,
    PostgresWorker, RegisterError, WorkerInfo, valid_worker_name,
};
use crate::politeness::Gate;
use crate::warc::{OPEN_SUFFIX, repair_open_file};

/// The WARC file prefix of a worker: its files are `glaneur-<worker>-<time>-<serial>-…`.
pub(super) fn warc_prefix(worker: &str) -> String {
    format!("glaneur-{worker}")
}

/// The worker that wrote a WARC file, from its name (None for a single-run file).
fn worker_of_file(name: &str) -> Option<&str> {
    static PATTERN: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let re = PATTERN
        .get_or_init(|| Regex::new(r"^glaneur-(.+?)-\d{14}-\d{5}-").ok())
        .as_ref()?;
    re.captures(name)?.get(1).map(|m| m.as_str())
}

/// The `.open` files of `worker` in `dir`.
fn open_files_of(dir: &Path, worker: &str) -> Result<Vec<PathBuf>, CrawlError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CrawlError::Io {
        context: format!("cannot list {}", dir.display()),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(OPEN_SUFFIX) && worker_of_file(n) == Some(worker))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The files of `worker` in `dir` that may hold responses it archived without recording
/// them (see [`files_to_scan`]): its repaired files and its closed files not yet indexed.
fn files_of_worker_to_scan(dir: &Path, repaired: &[PathBuf], worker: &str) -> Vec<PathBuf> {
    files_to_scan(dir, repaired)
        .into_iter()
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| worker_of_file(n) == Some(worker))
        })
        .collect()
}

/// Repairs `worker`'s `.open` files of `dir`; returns the closed files.
fn repair_files_of(dir: &Path, worker: &str) -> Result<Vec<PathBuf>, CrawlError> {
    let mut repaired = Vec::new();
    for path in open_files_of(dir, worker)? {
        if let Some(closed) = repair_open_file(&path)? {
            tracing::warn!("repaired {} left open by worker {worker}", closed.display());
            repaired.push(closed);
        }
    }
    Ok(repaired)
}

/// A gone worker of this archive directory, its lock taken over.
struct Gone {
    name: String,
    /// Its lock, held while taking over (a worker restarted under its name waits);
    /// its file is removed once taken over.
    lock: StateLock,
    /// Still live in the registry (it ran on this machine and died within its lease).
    live: bool,
    /// Its `.open` files, once repaired.
    repaired: Vec<PathBuf>,
    /// The files to read its orphan responses from (repaired, or closed but not indexed).
    scan: Vec<PathBuf>,
}

/// Finds the gone workers of `dir`: those whose lock file nobody holds (the kernel
/// released it when they died). A worker of another machine that still beats (a network
/// file system's lock is not proof enough) is left alone. Quick: no file is read.
fn find_gone_workers(dir: &Path, worker: &mut PostgresWorker) -> Result<Vec<Gone>, CrawlError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CrawlError::Io {
        context: format!("cannot list {}", dir.display()),
        source,
    })?;
    let me = worker.name().to_string();
    let here = gethostname::gethostname().to_string_lossy().into_owned();
    let mut locks: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let other = StateLock::worker_of_lock(name)?.to_string();
            (other != me).then_some((p, other))
        })
        .collect();
    locks.sort();
    let mut gone = Vec::new();
    for (path, name) in locks {
        let Some(lock) = StateLock::try_take(&path)? else {
            continue;
        };
        let (same_machine, live) = match worker.peer(&name)? {
            Some((host, live)) => (host == here, live),
            None => (false, false),
        };
        if live && !same_machine {
            continue;
        }
        gone.push(Gone {
            name,
            lock,
            live,
            repaired: Vec::new(),
            scan: Vec::new(),
        });
    }
    Ok(gone)
}

/// Repairs the `.open` files of the gone workers (reads them: may take a while).
fn repair_gone_workers(dir: &Path, gone: &mut [Gone]) -> Result<(), CrawlError> {
    for g in gone {
        g.repaired = repair_files_of(dir, &g.name)?;
        g.scan = files_of_worker_to_scan(dir, &g.repaired, &g.name);
    }
    Ok(())
}

/// Adopts the responses the gone workers archived for the URLs they had in flight (so
/// that fetching them again writes revisits, not second copies), then, for those still
/// live in the registry, hands their work out at once instead of after their lease.
/// Releases their locks and removes their lock files. Returns the repaired files.
fn settle_gone_workers(
    gone: Vec<Gone>,
    worker: &mut PostgresWorker,
    frontier: &mut dyn Frontier,
) -> Result<Vec<PathBuf>, FrontierError> {
    let mut repaired = Vec::new();
    for g in gone {
        let in_flight = worker.in_flight_of(&g.name)?;
        let adopted = adopt_orphans_of(frontier, in_flight, &g.scan)?;
        if adopted > 0 {
            tracing::info!(
                "{adopted} responses archived by worker {} were kept",
                g.name
            );
        }
        if g.live {
            let n = worker.retire(&g.name)?;
            tracing::warn!(
                "worker {} is gone: its {n} URLs in flight are handed out",
                g.name
            );
        }
        repaired.extend(g.repaired);
        // Taken over: its lock file goes (kept, and tried again, after any failure).
        let mut lock = g.lock;
        lock.remove_on_release();
    }
    Ok(repaired)
}

/// What [`open`] sets up for a worker.
pub(super) struct Opened {
    pub frontier: PostgresFrontier,
    pub gate: Gate,
    pub cluster: Cluster,
    pub repaired_files: Vec<PathBuf>,
}

/// The worker's registration and archive lock, for the maintenance task and the end.
pub(super) struct Cluster {
    worker: Arc<Mutex<PostgresWorker>>,
    name: String,
    archive_dir: PathBuf,
    heartbeat: Duration,
    lease: Duration,
    _lock: StateLock,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("name", &self.name).finish()
    }
}

/// Opens the shared state as worker `options.worker` writing to `archive_dir` (blocking:
/// call it off the reactor). Recovers what crashed runs left (see the module notes).
pub(super) fn open(options: &PostgresOptions, archive_dir: &Path) -> Result<Opened, CrawlError> {
    if !valid_worker_name(&options.worker) {
        return Err(CrawlError::Settings(format!(
            "invalid worker name {:?}: use 1 to 64 letters, digits, '.', '_' or '-' (not first)",
            options.worker
        )));
    }
    let lock = StateLock::acquire_worker(archive_dir, &options.worker)?;
    let mut worker = PostgresWorker::register(options, &WorkerInfo::this_process(archive_dir))
        .map_err(|e| match e {
            RegisterError::NameTaken { .. } => {
                CrawlError::Locked(LockError::WorkerTaken(e.to_string()))
            }
            RegisterError::Database(e) => CrawlError::Frontier(e),
        })?;
    let mut frontier = PostgresFrontier::open(options)?;
    let politeness = PostgresPoliteness::open(options)?;
    // This worker's own files (a crashed run of the same name), then gone workers'.
    let mut repaired_files = repair_files_of(archive_dir, &options.worker)?;
    let adopted = adopt_orphans(
        &mut frontier,
        &files_of_worker_to_scan(archive_dir, &repaired_files, &options.worker),
    )?;
    if adopted > 0 {
        tracing::info!("{adopted} responses archived by the interrupted run were kept");
    }
    let mut gone = find_gone_workers(archive_dir, &mut worker)?;
    repair_gone_workers(archive_dir, &mut gone)?;
    repaired_files.extend(settle_gone_workers(gone, &mut worker, &mut frontier)?);
    let recovered = frontier.recover_in_flight()?;
    if recovered > 0 {
        tracing::info!(
            "resuming: {recovered} URLs this worker (or a dead one) had in flight are queued again"
        );
    }
    Ok(Opened {
        frontier,
        gate: Gate::Shared(Arc::new(politeness)),
        cluster: Cluster {
            heartbeat: worker.heartbeat_interval(),
            lease: worker.lease(),
            worker: Arc::new(Mutex::new(worker)),
            name: options.worker.clone(),
            archive_dir: archive_dir.to_path_buf(),
            _lock: lock,
        },
        repaired_files,
    })
}

impl Cluster {
    /// The worker's name.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` on the registration off the reactor.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PostgresWorker) -> Result<T, FrontierError> + Send + 'static,
    ) -> Result<T, FrontierError> {
        let worker = Arc::clone(&self.worker);
        tokio::task::spawn_blocking(move || {
            let mut w = worker
                .lock()
                .map_err(|_| FrontierError::Database("worker lock poisoned".into()))?;
            f(&mut w)
        })
        .await
        .map_err(|e| FrontierError::Database(format!("worker task failed: {e}")))?
    }

    /// Releases this worker's leases and marks it stopped (end of the run).
    pub(super) async fn finish(self, reason: &'static str) -> Result<(), CrawlError> {
        let released = self.call(move |w| w.unregister(reason)).await?;
        if released > 0 {
            tracing::info!("{released} claimed URLs released for the other workers");
        }
        // The lock (and its file) goes with `self`.
        Ok(())
    }
}

/// Takes over the gone workers of the archive directory while the crawl runs: their
/// files are repaired without holding the frontier, then their responses adopted and
/// their work handed out.
async fn take_over_gone_workers(cluster: &Cluster, shared: &Arc<Shared>) -> Result<(), CrawlError> {
    let dir = cluster.archive_dir.clone();
    let worker = Arc::clone(&cluster.worker);
    let gone = tokio::task::spawn_blocking(move || {
        let mut w = worker.lock().map_err(|_| CrawlError::Poisoned("worker"))?;
        find_gone_workers(&dir, &mut w)
    })
    .await
    .map_err(CrawlError::task("finding gone workers"))??;
    if gone.is_empty() {
        return Ok(());
    }
    let dir = cluster.archive_dir.clone();
    let gone = tokio::task::spawn_blocking(move || {
        let mut gone = gone;
        repair_gone_workers(&dir, &mut gone).map(|()| gone)
    })
    .await
    .map_err(CrawlError::task("repairing the files of gone workers"))??;
    let worker = Arc::clone(&cluster.worker);
    db(&shared.frontier, move |f: &mut dyn Frontier| {
        let mut w = worker
            .lock()
            .map_err(|_| FrontierError::Database("worker lock poisoned".into()))?;
        settle_gone_workers(gone, &mut w, f)
    })
    .await?;
    Ok(())
}

/// Pages per second over the last minute, from samples of the pages counter.
struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    fn rate(&mut self, now: Instant, pages: u64) -> f64 {
        self.samples.push_back((now, pages));
        while self.samples.len() > 2
            && self
                .samples
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > Duration::from_secs(60))
        {
            self.samples.pop_front();
        }
        match self.samples.front() {
            Some(&(t, p)) if now > t => {
                pages.saturating_sub(p) as f64 / now.duration_since(t).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

/// The worker's heartbeat and the care of dead workers, until `done` is cancelled (after
/// the crawl's tasks have ended, so that leases stay renewed while requests finish).
pub(super) async fn maintain(cluster: &Cluster, shared: Arc<Shared>, done: CancellationToken) {
    let mut window = RateWindow {
        samples: VecDeque::new(),
    };
    let mut last_beat = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(cluster.heartbeat) => {}
            _ = done.cancelled() => return,
        }
        let pages = shared.counters.pages.load(Ordering::Relaxed);
        let rate = window.rate(Instant::now(), pages);
        match cluster.call(move |w| w.heartbeat(pages, rate)).await {
            Ok(Beat::Alive) => last_beat = Instant::now(),
            Ok(Beat::Evicted) => {
                shared.fail(CrawlError::WorkerLost(format!(
                    "worker {} was declared dead by another worker (no heartbeat within {}s) and its work handed out: stopping",
                    cluster.name,
                    cluster.lease.as_secs_f64()
                )));
                return;
            }
            Err(e) if last_beat.elapsed() >= cluster.lease => {
                shared.fail(CrawlError::WorkerLost(format!(
                    "worker {}: no heartbeat for {:.0}s, its leases have expired ({e}): stopping",
                    cluster.name,
                    last_beat.elapsed().as_secs_f64()
                )));
                return;
            }
            Err(e) => tracing::warn!("heartbeat failed: {e}"),
        }
        // Workers of this directory that died: repair their files and keep the responses
        // they archived for URLs still in flight, before their work is handed out.
        if let Err(e) = take_over_gone_workers(cluster, &shared).await {
            tracing::warn!("taking over a gone worker: {e}");
        }
        match cluster.call(|w| w.retire_dead()).await {
            Ok((dead, n)) => {
                for name in &dead {
                    tracing::warn!("worker {name} stopped beating: its work is handed out");
                }
                if n > 0 {
                    tracing::info!("{n} URLs with an expired lease are queued again");
                }
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names_are_read_back_from_file_names() {
        assert_eq!(
            worker_of_file("glaneur-w1-20261129101010-00000-box.warc.zst.open"),
            Some("w1")
        );
        assert_eq!(
            worker_of_file("glaneur-box-1234-20261129101010-00003-box.warc.gz"),
            Some("box-1234")
        );
        assert_eq!(
            worker_of_file("glaneur-20261129101010-00000-box.warc.zst.open"),
            None,
            "a single-run file has no worker"
        );
    }

    #[test]
    fn a_workers_files_are_told_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let names = [
            "glaneur-w1-20261129101010-00000-h.warc.zst.open",
            "glaneur-w1-x-20261129101010-00000-h.warc.zst.open",
            "glaneur-w1-20261129101010-00001-h.warc.zst",
            "glaneur-20261129101010-00000-h.warc.zst.open",
        ];
        for n in names {
            // Empty files: a repair removes them.
            std::fs::write(d.join(n), b"").unwrap();
        }
        assert_eq!(open_files_of(d, "w1").unwrap(), vec![d.join(names[0])]);
        assert!(
            repair_files_of(d, "w1").unwrap().is_empty(),
            "no record in it"
        );
        assert!(!d.join(names[0]).exists(), "w1's open file is repaired");
        for n in &names[1..] {
            assert!(d.join(n).exists(), "{n} is not w1's open file");
        }
    }

    #[test]
    fn rate_is_pages_per_second_over_the_window() {
        let mut w = RateWindow {
            samples: VecDeque::new(),
        };
        let t0 = Instant::now();
        assert_eq!(w.rate(t0, 0), 0.0);
        let r = w.rate(t0 + Duration::from_secs(10), 50);
        assert!((r - 5.0).abs() < 1e-9, "{r}");
    }
}
