//! The frontier: every URL the crawl knows, its state, and which one to fetch next.
//! Persistent (SQLite by default), so a stopped or crashed crawl resumes where it stopped.
//! In PostgreSQL ([`PostgresFrontier`]), several workers share it through leases.

mod checkpoint;
mod known;
mod postgres;
pub(crate) mod sql;
mod sqlite;
mod workers;

pub use crate::store::postgres::{
    DEFAULT_LEASE, PostgresOptions, SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION, StoreError,
    default_worker_name, is_postgres_url, redact_url, valid_worker_name,
};
pub use postgres::PostgresFrontier;
pub use sqlite::SqliteFrontier;
pub use workers::{
    Beat, HostQueue, PostgresWorker, RegisterError, WorkerInfo, WorkerStatus, WorkersReport,
    workers_report,
};

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use url::Url;

/// Why a URL is in the frontier; also its priority (lower value first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UrlKind {
    /// A start URL of a profile (or a bare URL given on the command line).
    Start,
    /// A page matching the profile's article pattern.
    Article,
    /// A link found in a related-articles block ("À lire aussi").
    Related,
    /// Anything else in scope (listings, categories, assets).
    Other,
}

impl UrlKind {
    /// All kinds, highest priority first.
    pub const ALL: [UrlKind; 4] = [
        UrlKind::Start,
        UrlKind::Article,
        UrlKind::Related,
        UrlKind::Other,
    ];

    /// Parses the stored name back (inverse of [`UrlKind::as_str`]).
    pub fn from_name(name: &str) -> Option<UrlKind> {
        UrlKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Priority as stored: lower is fetched first.
    pub fn priority(self) -> i64 {
        match self {
            UrlKind::Start => 0,
            UrlKind::Article => 1,
            UrlKind::Related => 2,
            UrlKind::Other => 3,
        }
    }

    /// Stable lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlKind::Start => "start",
            UrlKind::Article => "article",
            UrlKind::Related => "related",
            UrlKind::Other => "other",
        }
    }
}

/// A URL to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUrl {
    /// Canonical URL (see [`crate::urls::canonicalize`]).
    pub url: Url,
    /// Politeness key of the URL's host (see [`crate::urls::host_key`]).
    pub host: String,
    /// Name of the site profile the URL belongs to.
    pub site: String,
    /// Hops from a start URL.
    pub depth: u32,
    /// Why it was queued.
    pub kind: UrlKind,
    /// The page it was found on.
    pub found_on: Option<Url>,
}

/// A URL handed out for fetching; it stays "in flight" until finished or rescheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedUrl {
    /// Row id, to report the outcome.
    pub id: i64,
    /// The URL.
    pub url: Url,
    /// Host key.
    pub host: String,
    /// Site profile name.
    pub site: String,
    /// Hops from a start URL.
    pub depth: u32,
    /// Why it was queued.
    pub kind: UrlKind,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The last capture of this URL in an earlier run (for conditional requests and
    /// revisit records); `None` for a URL never fetched.
    pub previous: Option<CaptureState>,
}

/// Where the last full response record of a URL is, for `revisit` records to refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// WARC file name, relative to the archive directory.
    pub file: String,
    /// Offset of the record in the file.
    pub offset: u64,
    /// `WARC-Record-ID` (`<urn:uuid:...>`).
    pub id: String,
    /// Its `WARC-Date`.
    pub date: DateTime<Utc>,
}

/// What the state keeps about the last capture of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureState {
    /// When it was last fetched (a revisit counts).
    pub captured_at: DateTime<Utc>,
    /// When it was first fetched.
    pub first_captured_at: DateTime<Utc>,
    /// HTTP status of the last full response.
    pub status: u16,
    /// `ETag` of the last response, if any.
    pub etag: Option<String>,
    /// `Last-Modified` of the last response, if any.
    pub last_modified: Option<String>,
    /// `sha1:<base32>` payload digest of the last full response.
    pub payload_digest: String,
    /// The last full response record.
    pub record: StoredRecord,
    /// False when the record's article metadata may be missing (a response a killed run
    /// archived without its metadata record): the next capture writes it even if unchanged.
    pub described: bool,
}

/// Which fetched URLs of a site a new run fetches again (see [`Frontier::reschedule`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recheck {
    /// Site profile name.
    pub site: String,
    /// Due time given to the rescheduled URLs.
    pub now: DateTime<Utc>,
    /// Articles (kinds `Article` and `Related`) last fetched at or before this time are
    /// fetched again (`recheck_articles`).
    pub captured_before: DateTime<Utc>,
    /// Articles first fetched at or after this time are fetched again every run
    /// (`fresh_articles`).
    pub first_captured_after: DateTime<Utc>,
}

/// How a claimed URL ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Fetched and archived with this HTTP status.
    Fetched {
        /// HTTP status.
        status: u16,
    },
    /// Not fetched because robots.txt disallows it.
    RobotsDenied,
    /// Given up after errors; the last error in words.
    Failed {
        /// The last error.
        error: String,
    },
}

/// Counts by state, for progress and summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontierStats {
    /// Waiting to be fetched (including those waiting for a retry time).
    pub pending: u64,
    /// Claimed and not yet finished.
    pub in_flight: u64,
    /// Fetched and archived.
    pub fetched: u64,
    /// Skipped because of robots.txt.
    pub robots_denied: u64,
    /// Given up.
    pub failed: u64,
}

impl FrontierStats {
    /// Adds `n` URLs in `state`.
    pub fn add(&mut self, state: UrlState, n: u64) {
        let count = match state {
            UrlState::Pending => &mut self.pending,
            UrlState::InFlight => &mut self.in_flight,
            UrlState::Fetched => &mut self.fetched,
            UrlState::RobotsDenied => &mut self.robots_denied,
            UrlState::Failed => &mut self.failed,
        };
        *count += n;
    }
}

/// Where a URL is in its life: pending, claimed (in flight), then fetched, denied by
/// robots.txt or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlState {
    /// Waiting to be fetched (maybe not before a retry time).
    Pending,
    /// Claimed, not yet finished.
    InFlight,
    /// Fetched and archived.
    Fetched,
    /// Skipped because of robots.txt.
    RobotsDenied,
    /// Given up after errors.
    Failed,
}

impl UrlState {
    /// Every state, in the order of a URL's life.
    pub const ALL: [UrlState; 5] = [
        UrlState::Pending,
        UrlState::InFlight,
        UrlState::Fetched,
        UrlState::RobotsDenied,
        UrlState::Failed,
    ];

    /// Stable lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlState::Pending => "pending",
            UrlState::InFlight => "in_flight",
            UrlState::Fetched => "fetched",
            UrlState::RobotsDenied => "robots_denied",
            UrlState::Failed => "failed",
        }
    }

    /// Parses the stored name back (inverse of [`UrlState::as_str`]).
    pub fn from_name(name: &str) -> Option<UrlState> {
        UrlState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl std::fmt::Display for UrlState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state equals its stored name (`state == "fetched"`).
impl PartialEq<&str> for UrlState {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

/// What the frontier knows about one URL (see [`Frontier::lookup`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UrlRecord {
    /// Row id.
    pub id: i64,
    /// Where it is in its life.
    pub state: UrlState,
    /// Hops from a start URL.
    pub depth: u32,
    /// Why it was queued.
    pub kind: UrlKind,
    /// Attempts made so far.
    pub attempts: u32,
    /// HTTP status of the capture, once fetched.
    pub status: Option<u16>,
    /// The last error, if any.
    pub last_error: Option<String>,
    /// The page it was first found on.
    pub found_on: Option<String>,
}

/// Records a repair of a damaged WARC file could not keep (see [`Frontier::requeue_lost`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LostRecords {
    /// WARC file name, relative to the archive directory.
    pub file: String,
    /// Byte ranges `[start, end)` of the file whose records are gone (moved aside).
    pub ranges: Vec<(u64, u64)>,
    /// `WARC-Record-ID`s of intact responses whose article record was lost.
    pub undescribed: Vec<String>,
}

/// A frontier store error.
#[derive(Debug, thiserror::Error)]
pub enum FrontierError {
    /// The SQLite database failed.
    #[error("frontier database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL store failed (connection, migration, statement).
    #[error("frontier database: {0}")]
    Postgres(#[from] StoreError),
    /// A state file could not be opened as a frontier.
    #[error("frontier database: {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Box<FrontierError>,
    },
    /// The state file was written by a newer glaneur.
    #[error("state file has schema version {found}, this glaneur knows up to {known}")]
    NewerSchema {
        /// Its schema version.
        found: i64,
        /// The last version this glaneur knows.
        known: i64,
    },
    /// The URL is not in flight (finished already, or never claimed): a caller's mistake.
    #[error("URL id {id} is not in flight")]
    NotInFlight {
        /// Its row id.
        id: i64,
    },
    /// No URL has this id.
    #[error("URL id {id} is unknown")]
    UnknownId {
        /// The id asked for.
        id: i64,
    },
    /// A stored value this glaneur cannot read (unknown kind or state, invalid URL).
    #[error("unreadable frontier row: {0}")]
    Corrupt(String),
    /// A local I/O error (e.g. starting the checkpoint thread).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

/// What became of a claimed URL, written by one [`Frontier::complete`] call.
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    /// The claimed URL's id.
    pub id: i64,
    /// Its outcome.
    pub outcome: &'a Outcome,
    /// Its capture, kept as its last capture (for conditional requests and revisits).
    pub capture: Option<&'a CaptureState>,
    /// The links found on it.
    pub links: &'a [NewUrl],
}

/// What a claim returns: the claimed URLs, in claim order.
pub type Claimed = Result<Vec<ClaimedUrl>, FrontierError>;

/// The frontier store. Calls block (disk I/O): call them off the async reactor.
pub trait Frontier: Send {
    /// Adds URLs not yet known (by canonical URL); returns how many were new.
    /// Known URLs are left as they are (their depth may decrease).
    fn add(&mut self, urls: &[NewUrl]) -> Result<usize, FrontierError>;

    /// Hosts that have pending URLs due at or before `now`.
    fn ready_hosts(&mut self, now: DateTime<Utc>) -> Result<Vec<String>, FrontierError>;

    /// The earliest time a pending URL becomes due (None if nothing is pending).
    fn next_due(&mut self) -> Result<Option<DateTime<Utc>>, FrontierError>;

    /// Claims up to `limit` due URLs of `host`, highest priority first (Start, Article,
    /// Related, Other; then lowest depth; then insertion order); marks them in flight.
    /// A `limit` of 0 claims nothing and does not touch the store.
    fn claim(&mut self, host: &str, now: DateTime<Utc>, limit: usize) -> Claimed {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.claim_due(host, now, i64::try_from(limit).unwrap_or(i64::MAX))
    }

    /// The backend's half of [`Frontier::claim`]: claims up to `limit` (at least 1) due
    /// URLs of `host` in claim order and marks them in flight.
    fn claim_due(&mut self, host: &str, now: DateTime<Utc>, limit: i64) -> Claimed;

    /// Records what became of a claimed URL in one transaction: its outcome, its capture
    /// (stored as its last capture) and the links found on it, so that a crash can neither
    /// lose the links of a fetched page nor leave it to be fetched again. Returns how many
    /// links were new. An error if the URL is not in flight.
    fn complete(&mut self, done: Completion<'_>) -> Result<usize, FrontierError>;

    /// Records the outcome of a claimed URL. An error if `id` is not in flight.
    fn finish(&mut self, id: i64, outcome: &Outcome) -> Result<(), FrontierError> {
        let done = Completion {
            id,
            outcome,
            capture: None,
            links: &[],
        };
        self.complete(done).map(|_| ())
    }

    /// Records the outcome of a fetched URL with its capture and links (see
    /// [`Frontier::complete`]); returns how many links were new.
    fn finish_capture(
        &mut self,
        id: i64,
        outcome: &Outcome,
        capture: &CaptureState,
        links: &[NewUrl],
    ) -> Result<usize, FrontierError> {
        self.complete(Completion {
            id,
            outcome,
            capture: Some(capture),
            links,
        })
    }

    /// Starts an incremental run of one site: puts its fetched (and given up) URLs back to
    /// pending when they are due a recheck: start and other non-article pages always,
    /// articles per `recheck`. Returns how many were queued again.
    fn reschedule(&mut self, recheck: &Recheck) -> Result<u64, FrontierError>;

    /// Queues again, due `now`, the fetched URLs among `urls` last fetched before the
    /// given time (a sitemap's `lastmod`); unknown URLs are ignored. Returns how many.
    fn recheck_if_older(
        &mut self,
        urls: &[(Url, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError>;

    /// Puts a claimed URL back to pending, due at `at`, with attempts incremented.
    fn retry_at(&mut self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), FrontierError>;

    /// The URLs in flight (row id and URL), e.g. those a killed run was fetching.
    fn in_flight(&mut self) -> Result<Vec<(i64, Url)>, FrontierError>;

    /// Stores `capture` as the last capture of URL `id`, whatever its state (used after a
    /// crash for a response archived just before the run was killed).
    fn set_capture(&mut self, id: i64, capture: &CaptureState) -> Result<(), FrontierError>;

    /// Puts every in-flight URL back to pending (after a crash or stop); returns how many.
    fn recover_in_flight(&mut self) -> Result<u64, FrontierError>;

    /// Reconciles the state with a repaired WARC file: a URL whose last capture was in
    /// one of `lost.ranges` of `lost.file` forgets it (fetched again as a new URL: no
    /// validators, and no revisit can refer to the lost record); a URL whose capture's
    /// record id is in `lost.undescribed` keeps it but is fetched again without
    /// validators with `described = false` (its article is written again). Both are due
    /// at `now`. Returns how many URLs were queued again.
    fn requeue_lost(
        &mut self,
        lost: &LostRecords,
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError>;

    /// Counts by state.
    fn stats(&mut self) -> Result<FrontierStats, FrontierError>;

    /// The number of pending URLs (the queue length), which a store may count more cheaply
    /// than [`Frontier::stats`] (which reads every URL).
    fn pending(&mut self) -> Result<u64, FrontierError> {
        Ok(self.stats()?.pending)
    }

    /// Counts by state for each kind of URL (kinds without URLs are left out).
    fn stats_by_kind(&mut self) -> Result<Vec<(UrlKind, FrontierStats)>, FrontierError>;

    /// What the frontier knows about `url` (canonical form), if anything.
    fn lookup(&mut self, url: &Url) -> Result<Option<UrlRecord>, FrontierError>;

    /// The stored last capture of `url`, if any.
    fn capture_of(&mut self, url: &Url) -> Result<Option<CaptureState>, FrontierError>;

    /// Reads a run metadata value (e.g. the crawl's configuration fingerprint).
    fn get_meta(&mut self, key: &str) -> Result<Option<String>, FrontierError>;

    /// Stores a run metadata value, replacing any previous value of `key`.
    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), FrontierError>;

    /// Starts a run: unless work is left from an earlier run (URLs pending or in flight),
    /// queues again the URLs due a recheck ([`Frontier::reschedule`] for each of
    /// `rechecks`); then adds `seeds`. Returns how many URLs were queued again. A store
    /// shared by several workers does it atomically, so that workers starting at once
    /// start one incremental pass, not one each.
    fn begin_run(&mut self, rechecks: &[Recheck], seeds: &[NewUrl]) -> Result<u64, FrontierError> {
        let stats = self.stats()?;
        let mut n = 0;
        if stats.pending + stats.in_flight == 0 {
            for recheck in rechecks {
                n += self.reschedule(recheck)?;
            }
        }
        self.add(seeds)?;
        Ok(n)
    }
}
