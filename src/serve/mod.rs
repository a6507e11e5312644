//! `glaneur serve`: a web interface and JSON API over an archive folder.
//!
//! [`App::open`] loads what is cached under the state folder (by default
//! `ARCHIVE/.glaneur/`: the scans of the WARC files in `catalog/`, the tantivy index in
//! `search/`, integrity results in `integrity.json`) and is ready at once;
//! [`App::refresh`] reads new or changed WARC files, rebuilds the in-memory
//! [`Catalog`] and brings the search index up to date (the server runs it in the
//! background at startup and then periodically). Nothing is ever written to the WARC
//! files or anywhere in the archive folder but the state folder. [`router`] gives the
//! axum routes (see `routes`); [`serve`] runs them on a listener until shutdown.

pub mod chart;
pub mod data;
pub mod diff;
pub mod host;
pub mod integrity;
pub mod params;
pub mod replay;
pub mod routes;
pub mod search;
pub mod views;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::archive::Catalog;
use crate::archive::scan::{FileScan, ScannedArticle, file_name, plan, scan_file};
/// An article as stored in its metadata record.
pub use crate::extract::Article as StoredArticle;
use integrity::Integrity;
pub use routes::router;
use search::{SearchDoc, SearchIndex};

/// The state folder inside the archive folder, by default.
pub const STATE_DIR: &str = ".glaneur";
/// Most article bodies kept in memory between reading a file and indexing it (bytes);
/// past it, bodies are read again from the WARC files.
const BODY_BUDGET: usize = 256 << 20;
/// Documents per search index commit.
const INDEX_BATCH: usize = 5_000;

/// Errors of the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The archive could not be read.
    #[error(transparent)]
    Read(#[from] crate::read::ReadError),
    /// The search index failed.
    #[error(transparent)]
    Search(#[from] search::SearchError),
    /// The state folder could not be written.
    #[error("state folder {path}: {message}")]
    State {
        /// The folder.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Serving failed.
    #[error("server: {0}")]
    Server(String),
}

/// How to open an archive.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The archive folder.
    pub archive: PathBuf,
    /// The state folder (default `ARCHIVE/.glaneur`).
    pub state_dir: Option<PathBuf>,
    /// Check the integrity of the WARC files in the background.
    pub verify: bool,
}

/// What the server is doing, as shown on every page and by `/api/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// True once the archive has been read completely at least once.
    pub ready: bool,
    /// True while WARC files are being read.
    pub refreshing: bool,
    /// WARC files (closed) in the archive at the last refresh.
    pub files_total: usize,
    /// Of which read (or found in the cache).
    pub files_done: usize,
    /// Files still being written by a crawl (`.open`): not shown until closed.
    pub open_files: usize,
    /// Documents in the search index.
    pub search_documents: u64,
    /// When the last refresh ended.
    pub last_refresh: Option<DateTime<Utc>>,
    /// The last refresh's error, if it failed.
    pub last_error: Option<String>,
}

/// What a refresh did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// WARC files read.
    pub files_read: usize,
    /// WARC files whose cached scan was used.
    pub files_cached: usize,
    /// Files gone since the last refresh.
    pub files_removed: usize,
    /// Search documents added or replaced.
    pub indexed: usize,
    /// Search documents removed.
    pub unindexed: usize,
}

/// An opened archive: catalog, search index, integrity checks, status.
pub struct App {
    archive: PathBuf,
    state_dir: PathBuf,
    catalog: RwLock<Arc<Catalog>>,
    search: SearchIndex,
    integrity: Integrity,
    status: Mutex<Status>,
    refresh_lock: Mutex<()>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("archive", &self.archive)
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

fn state_err(path: &Path) -> impl Fn(std::io::Error) -> ServeError + '_ {
    move |e| ServeError::State {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl App {
    /// Opens an archive: creates the state folder if needed, loads the cached scans of
    /// the WARC files that did not change and opens the search index. Fast: files are
    /// read by [`App::refresh`].
    pub fn open(config: &ServeConfig) -> Result<Arc<App>, ServeError> {
        let archive = config.archive.clone();
        if !archive.is_dir() {
            return Err(crate::read::ReadError::NotFound(format!(
                "{}: no such archive folder",
                archive.display()
            ))
            .into());
        }
        let state_dir = config
            .state_dir
            .clone()
            .unwrap_or_else(|| archive.join(STATE_DIR));
        let cache_dir = state_dir.join("catalog");
        std::fs::create_dir_all(&cache_dir).map_err(state_err(&state_dir))?;
        let (search, _fresh) = SearchIndex::open(
            &state_dir.join("search"),
            &state_dir.join("search-state.json"),
        )?;
        let integrity = Integrity::open(&state_dir.join("integrity.json"), config.verify);
        let files = crate::read::warc_files(&archive)?;
        let mut cached: HashMap<String, FileScan> = HashMap::new();
        let plan = plan(
            &files,
            |name| {
                let scan = FileScan::load(&cache_dir, name)?;
                let stamp = scan.stamp;
                cached.insert(name.to_string(), scan);
                Some(stamp)
            },
            [],
        );
        let scans: Vec<Arc<FileScan>> = plan
            .fresh
            .iter()
            .filter_map(|n| cached.remove(n).map(Arc::new))
            .collect();
        let status = Status {
            files_total: files.len(),
            files_done: scans.len(),
            search_documents: search.len(),
            ..Status::default()
        };
        Ok(Arc::new(App {
            archive,
            state_dir,
            catalog: RwLock::new(Arc::new(Catalog::build(scans))),
            search,
            integrity,
            status: Mutex::new(status),
            refresh_lock: Mutex::new(()),
        }))
    }

    /// The archive folder.
    pub fn archive(&self) -> &Path {
        &self.archive
    }

    /// The state folder.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The current catalog.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_default()
    }

    /// The search index.
    pub fn search(&self) -> &SearchIndex {
        &self.search
    }

    /// The integrity checker.
    pub fn integrity(&self) -> &Integrity {
        &self.integrity
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set_status(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut s) = self.status.lock() {
            f(&mut s);
        }
    }

    /// Reads the WARC files that are new or changed since the last refresh (or whose
    /// cached scan is missing), drops those that are gone, rebuilds the catalog and
    /// updates the search index. Blocking; runs one at a time.
    pub fn refresh(&self) -> Result<RefreshReport, ServeError> {
        let Ok(_guard) = self.refresh_lock.lock() else {
            return Err(ServeError::Server("refresh lock poisoned".into()));
        };
        self.set_status(|s| s.refreshing = true);
        let result = self.refresh_inner();
        self.set_status(|s| {
            s.refreshing = false;
            s.last_refresh = Some(Utc::now());
            match &result {
                Ok(_) => {
                    s.ready = true;
                    s.last_error = None;
                }
                Err(e) => s.last_error = Some(e.to_string()),
            }
            s.search_documents = self.search.len();
        });
        result
    }

    fn refresh_inner(&self) -> Result<RefreshReport, ServeError> {
        let mut report = RefreshReport::default();
        let cache_dir = self.state_dir.join("catalog");
        let files = crate::read::warc_files(&self.archive)?;
        let open_files = crate::read::open_warc_files(&self.archive)?.len();
        let current = self.catalog();
        let known: HashMap<&str, &Arc<FileScan>> =
            current.scans.iter().map(|s| (s.name.as_str(), s)).collect();
        // In memory first, else the cached scan of an earlier run.
        let mut cached: HashMap<String, Arc<FileScan>> = HashMap::new();
        let plan = plan(
            &files,
            |name| {
                let scan = match known.get(name) {
                    Some(s) => Arc::clone(s),
                    None => Arc::new(FileScan::load(&cache_dir, name)?),
                };
                let stamp = scan.stamp;
                cached.insert(name.to_string(), scan);
                Some(stamp)
            },
            known.keys().copied(),
        );
        let mut scans: Vec<Arc<FileScan>> =
            plan.fresh.iter().filter_map(|n| cached.remove(n)).collect();
        let todo = plan.todo;
        report.files_cached = scans.len();
        report.files_read = todo.len();
        report.files_removed = plan.gone.len();
        self.set_status(|s| {
            s.files_total = files.len();
            s.files_done = scans.len();
            s.open_files = open_files;
        });
        if todo.is_empty() && report.files_removed == 0 && self.status().ready {
            // Nothing changed since the last complete refresh.
            return Ok(report);
        }
        // Read new and changed files on all cores, largest first.
        let budget = AtomicUsize::new(BODY_BUDGET);
        let read = crate::read::par_map(&todo, |path| {
            let mut kept: Vec<ScannedArticle> = Vec::new();
            let scan = scan_file(path, |a| {
                let len = a.article.body.as_ref().map_or(0, String::len) + 1024;
                let left = budget.load(Ordering::Relaxed);
                if left >= len {
                    budget.fetch_sub(len, Ordering::Relaxed);
                    kept.push(a);
                }
            });
            if let Err(e) = scan.store(&cache_dir) {
                tracing::warn!("cannot cache the scan of {}: {e}", path.display());
            }
            self.set_status(|s| s.files_done += 1);
            (scan, kept)
        });
        let mut bodies: HashMap<Place, StoredArticle> = HashMap::new();
        for (scan, kept) in read {
            for a in kept {
                bodies.insert((scan.name.clone(), a.offset, a.inner), a.article);
            }
            scans.push(Arc::new(scan));
        }
        // Forget the cached scans of files that are gone.
        let names: HashSet<String> = files.iter().map(|f| file_name(f)).collect();
        if let Ok(entries) = std::fs::read_dir(&cache_dir) {
            for e in entries.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if let Some(warc) = n.strip_suffix(".json")
                    && !names.contains(warc)
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let catalog = Arc::new(Catalog::build(scans));
        let (indexed, unindexed) = self.sync_search(&catalog, bodies)?;
        report.indexed = indexed;
        report.unindexed = unindexed;
        if let Ok(mut c) = self.catalog.write() {
            *c = catalog;
        }
        Ok(report)
    }

    /// Brings the search index in line with `catalog`: one document per article, from
    /// its latest version. Bodies come from `bodies` or are read from the WARC files.
    fn sync_search(
        &self,
        catalog: &Catalog,
        mut bodies: HashMap<Place, StoredArticle>,
    ) -> Result<(usize, usize), ServeError> {
        let indexed = self.search.indexed();
        let mut wanted: Vec<(usize, String)> = Vec::new();
        let mut ids: HashSet<&str> = HashSet::with_capacity(catalog.articles.len());
        for (i, a) in catalog.articles.iter().enumerate() {
            ids.insert(a.id.as_str());
            let Some(v) = a.latest() else { continue };
            let key = match v.inner {
                0 => format!("{}@{}", v.file, v.offset),
                inner => format!("{}@{}+{inner}", v.file, v.offset),
            };
            if indexed.get(&a.id) != Some(&key) {
                wanted.push((i, key));
            }
        }
        let deletes: Vec<String> = indexed
            .keys()
            .filter(|id| !ids.contains(id.as_str()))
            .cloned()
            .collect();
        // Read the missing bodies, file by file.
        let mut missing: HashMap<String, HashSet<(u64, u64)>> = HashMap::new();
        for (i, _) in &wanted {
            if let Some(v) = catalog.articles[*i].latest()
                && !bodies.contains_key(&(v.file.clone(), v.offset, v.inner))
            {
                missing
                    .entry(v.file.clone())
                    .or_default()
                    .insert((v.offset, v.inner));
            }
        }
        for (file, places) in missing {
            read_articles(&self.archive, &file, &places, |(offset, inner), a| {
                bodies.insert((file.clone(), offset, inner), a);
            });
        }
        let n = wanted.len();
        let mut first = true;
        for chunk in wanted.chunks(INDEX_BATCH) {
            let docs: Vec<(SearchDoc, String)> = chunk
                .iter()
                .map(|(i, key)| {
                    let a = &catalog.articles[*i];
                    let stored = a
                        .latest()
                        .and_then(|v| bodies.remove(&(v.file.clone(), v.offset, v.inner)))
                        .unwrap_or_default();
                    (
                        SearchDoc {
                            id: a.id.clone(),
                            url: a.url.clone(),
                            site: a.site.clone(),
                            title: a.title.clone().unwrap_or_default(),
                            body: stored.body.unwrap_or_default(),
                            categories: a.categories.clone(),
                            published: a.published_at,
                        },
                        key.clone(),
                    )
                })
                .collect();
            let del: &[String] = if first { &deletes } else { &[] };
            first = false;
            self.search.apply(docs, del)?;
        }
        if first {
            self.search.apply(Vec::new(), &deletes)?;
        }
        Ok((n, deletes.len()))
    }

    /// Checks the integrity of the WARC files that have no result yet (blocking).
    pub fn verify_pending(&self) {
        let catalog = self.catalog();
        let files: Vec<(String, crate::archive::Stamp)> = catalog
            .scans
            .iter()
            .map(|s| (s.name.clone(), s.stamp))
            .collect();
        self.integrity.run_pending(&self.archive, &files);
    }

    /// Reads the full article record at `offset` of `file` (`inner` bytes into its
    /// decoded frame/member: 0 but in a file compressed as one stream).
    pub fn read_article(
        &self,
        file: &str,
        offset: u64,
        inner: u64,
    ) -> Result<StoredArticle, ServeError> {
        let record = crate::read::read_record_at(&self.archive, file, offset, inner)?;
        serde_json::from_slice(&record.block).map_err(|e| {
            crate::read::ReadError::NotFound(format!(
                "{file} at offset {offset}: not an article record ({e})"
            ))
            .into()
        })
    }
}

/// A record's place: WARC file name, offset of its frame/member, offset in its decoded
/// bytes.
type Place = (String, u64, u64);

/// Reads the article records at `places` (offset, inner offset) of one WARC file: one by
/// one when there are few (and each starts its frame/member), else in one pass over the
/// file.
fn read_articles(
    archive: &Path,
    file: &str,
    places: &HashSet<(u64, u64)>,
    mut found: impl FnMut((u64, u64), StoredArticle),
) {
    if places.len() <= 16 && places.iter().all(|&(_, inner)| inner == 0) {
        for &(offset, inner) in places {
            match crate::read::read_record_at(archive, file, offset, inner) {
                Ok(r) => {
                    if let Ok(a) = serde_json::from_slice(&r.block) {
                        found((offset, inner), a);
                    }
                }
                Err(e) => tracing::warn!("{file} at {offset}: {e}"),
            }
        }
        return;
    }
    let Ok(scan) = crate::read::Scan::open(&archive.join(file)) else {
        return;
    };
    for item in scan {
        if let crate::read::Item::Record {
            offset,
            inner,
            record,
            ..
        } = item
            && places.contains(&(offset, inner))
            && let Ok(a) = serde_json::from_slice(&record.block)
        {
            found((offset, inner), a);
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, answering only requests for
/// the bound address or a loopback name (see [`host`]).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    serve_for_hosts(app, listener, &[], shutdown).await
}

/// Like [`serve`], also answering to the host names `allow_hosts` (`--allow-host`).
pub async fn serve_for_hosts(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    allow_hosts: &[String],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let bound = listener
        .local_addr()
        .map_err(|e| ServeError::Server(e.to_string()))?;
    let allowed = host::AllowedHosts::new(bound, allow_hosts);
    axum::serve(listener, host::guard(router(app), allowed))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| ServeError::Server(e.to_string()))
}
