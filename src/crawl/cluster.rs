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

use super::recover::adopt_orphans;
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

/// Repairs `worker`'s `.open` files of `dir`; returns the closed files.
fn repair_files_of(dir: &Path, worker: &str) -> Result<Vec<PathBuf>, CrawlError> {
    let mut repaired = Vec::new();
    for path in open_files_of(dir, worker)? {
        if let Some(closed) = repair_open_file(&path)? {
            tracing::warn!(
                "repaired {} left open by worker {worker}",
                closed.display()
            );
            repaired.push(closed);
        }
    }
    Ok(repaired)
}

/// Repairs the `.open` files of the gone workers of `dir`: those whose lock file nobody
/// holds (the kernel released it when they died). Their lock files are removed.
fn repair_gone_workers(dir: &Path, me: &str) -> Result<Vec<PathBuf>, CrawlError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CrawlError::Io {
        context: format!("cannot list {}", dir.display()),
        source,
    })?;
    let mut repaired = Vec::new();
    let mut locks: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let worker = StateLock::worker_of_lock(name)?.to_string();
            (worker != me).then_some((p, worker))
        })
        .collect();
    locks.sort();
    for (path, worker) in locks {
        // Held while repairing, so that a worker restarted under that name waits.
        if let Some(lock) = StateLock::try_take(&path)? {
            repaired.extend(repair_files_of(dir, &worker)?);
            drop(lock);
        }
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
    let worker = PostgresWorker::register(options, &WorkerInfo::this_process(archive_dir))
        .map_err(|e| match e {
            RegisterError::NameTaken { .. } => {
                CrawlError::Locked(LockError::WorkerTaken(e.to_string()))
            }
            RegisterError::Database(e) => CrawlError::Frontier(e),
        })?;
    let mut frontier = PostgresFrontier::open(options)?;
    let politeness = PostgresPoliteness::open(options)?;
    let mut repaired_files = repair_files_of(archive_dir, &options.worker)?;
    repaired_files.extend(repair_gone_workers(archive_dir, &options.worker)?);
    let adopted = adopt_orphans(&mut frontier, &repaired_files)?;
    if adopted > 0 {
        tracing::info!("{adopted} responses archived by interrupted runs were kept");
    }
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
                shared.fail(CrawlError::Settings(format!(
                    "worker {} was declared dead by another worker (no heartbeat within {}s) and its work handed out: stopping",
                    cluster.name,
                    cluster.lease.as_secs_f64()
                )));
                return;
            }
            Err(e) if last_beat.elapsed() >= cluster.lease => {
                shared.fail(CrawlError::Settings(format!(
                    "worker {}: no heartbeat for {:.0}s, its leases have expired ({e}): stopping",
                    cluster.name,
                    last_beat.elapsed().as_secs_f64()
                )));
                return;
            }
            Err(e) => tracing::warn!("heartbeat failed: {e}"),
        }
        // Workers of this directory that died: repair their files and keep the responses
        // they archived for URLs still in flight, before their leases are handed out.
        let dir = cluster.archive_dir.clone();
        let me = cluster.name.clone();
        let repaired = tokio::task::spawn_blocking(move || repair_gone_workers(&dir, &me)).await;
        match repaired {
            Ok(Ok(files)) if !files.is_empty() => {
                match db(&shared.frontier, move |f: &mut dyn Frontier| {
                    adopt_orphans(f, &files)
                })
                .await
                {
                    Ok(n) if n > 0 => {
                        tracing::info!("{n} responses archived by a dead worker were kept")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("{e}"),
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!("{e}"),
            Err(e) => tracing::warn!("repairing a dead worker's files failed: {e}"),
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
    fn only_gone_workers_files_are_repaired() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A live worker (lock held), a gone one (lock file free), a single-run file.
        let live = StateLock::acquire_worker(d, "live").unwrap();
        std::fs::write(StateLock::worker_path(d, "gone"), "pid 1\n").unwrap();
        let names = [
            "glaneur-live-20261129101010-00000-h.warc.zst.open",
            "glaneur-gone-20261129101010-00000-h.warc.zst.open",
            "glaneur-20261129101010-00000-h.warc.zst.open",
        ];
        for n in names {
            // Empty files: repaired by removal.
            std::fs::write(d.join(n), b"").unwrap();
        }
        let repaired = repair_gone_workers(d, "me").unwrap();
        assert!(repaired.is_empty(), "empty files hold no record");
        assert!(d.join(names[0]).exists(), "a live worker's file is left alone");
        assert!(!d.join(names[1]).exists(), "a gone worker's file is repaired");
        assert!(d.join(names[2]).exists(), "a single-run file is left alone");
        assert!(!StateLock::worker_path(d, "gone").exists());
        drop(live);
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
