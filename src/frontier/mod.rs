//! The frontier: every URL the crawl knows, its state, and which one to fetch next.
//! Persistent (SQLite by default), so a stopped or crashed crawl resumes where it stopped.
//! In PostgreSQL ([`PostgresFrontier`]), several workers share it through leases.

mod checkpoint;
mod known;
mod postgres;
mod sqlite;

pub use postgres::{
    Beat, DEFAULT_LEASE, HostQueue, PostgresFrontier, PostgresOptions, PostgresPoliteness,
    PostgresWorker, RegisterError, SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION, WorkerInfo,
    WorkerStatus, WorkersReport, default_worker_name, is_postgres_url, redact_url,
    valid_worker_name, workers_report,
};
pub use sqlite::SqliteFrontier;

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

/// The stored capture columns of a URL row as the backends read them (each nullable: a URL
/// never fetched has none), before they are checked into a [`CaptureState`].
#[derive(Debug, Default)]
pub(crate) struct CaptureColumns {
    pub captured_at: Option<DateTime<Utc>>,
    pub first_captured_at: Option<DateTime<Utc>>,
    pub status: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub payload_digest: Option<String>,
    pub file: Option<String>,
    pub offset: Option<i64>,
    pub record_id: Option<String>,
    pub record_date: Option<DateTime<Utc>>,
    pub described: bool,
}

impl CaptureColumns {
    /// The capture, or `None` when a column it needs is missing (no full response yet).
    pub fn into_state(self) -> Option<CaptureState> {
        let captured_at = self.captured_at?;
        Some(CaptureState {
            captured_at,
            first_captured_at: self.first_captured_at.unwrap_or(captured_at),
            status: u16::try_from(self.status?).unwrap_or(0),
            etag: self.etag,
            last_modified: self.last_modified,
            payload_digest: self.payload_digest?,
            record: StoredRecord {
                file: self.file?,
                offset: u64::try_from(self.offset?).unwrap_or(0),
                id: self.record_id?,
                date: self.record_date?,
            },
            described: self.described,
        })
    }
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
    /// Adds `n` URLs in the state named `state` (the name stored by the backends:
    /// `pending`, `in_flight`, `fetched`, `robots_denied`, `failed`; others are ignored).
    pub fn add_state(&mut self, state: &str, n: u64) {
        match state {
            "pending" => self.pending += n,
            "in_flight" => self.in_flight += n,
            "fetched" => self.fetched += n,
            "robots_denied" => self.robots_denied += n,
            "failed" => self.failed += n,
            _ => {}
        }
    }
}

/// The URL kind of its stored name, or an error naming it.
pub(crate) fn kind_of(name: &str) -> Result<UrlKind, FrontierError> {
    UrlKind::from_name(name)
        .ok_or_else(|| FrontierError::Database(format!("unknown URL kind {name:?} in frontier")))
}

/// Totals by state from `(state, _, count)` rows (a backend's `GROUP BY state`).
pub(crate) fn stats_from_rows(rows: Vec<(String, String, u64)>) -> FrontierStats {
    let mut stats = FrontierStats::default();
    for (state, _, n) in rows {
        stats.add_state(&state, n);
    }
    stats
}

/// Totals by URL kind and state from `(kind, state, count)` rows (a backend's
/// `GROUP BY kind, state`), sorted by kind.
pub(crate) fn stats_by_kind_from_rows(
    rows: Vec<(String, String, u64)>,
) -> Result<Vec<(UrlKind, FrontierStats)>, FrontierError> {
    let mut out: Vec<(UrlKind, FrontierStats)> = Vec::new();
    for (kind, state, n) in rows {
        let kind = kind_of(&kind)?;
        let i = match out.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                out.push((kind, FrontierStats::default()));
                out.len() - 1
            }
        };
        out[i].1.add_state(&state, n);
    }
    out.sort_by_key(|(k, _)| *k);
    Ok(out)
}

/// What the frontier knows about one URL (see [`SqliteFrontier::lookup`]).
#[derive(Debug, Clone, PartialEq)]
pub struct UrlRecord {
    /// Row id.
    pub id: i64,
    /// State: `pending`, `in_flight`, `fetched`, `robots_denied` or `failed`.
    pub state: String,
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
    /// The database failed.
    #[error("frontier database: {0}")]
    Database(String),
}

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
    fn claim(
        &mut self,
        host: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedUrl>, FrontierError>;

    /// Records the outcome of a claimed URL. An error if `id` is not in flight.
    fn finish(&mut self, id: i64, outcome: &Outcome) -> Result<(), FrontierError>;

    /// Records the outcome of a claimed URL and adds the links found on it, atomically
    /// where the store allows (the SQLite store does: one transaction, so a crash can
    /// neither lose the links of a fetched page nor leave it to be fetched again); returns
    /// how many links were new. Also cheaper than `finish` + `add` (one commit).
    fn finish_with_links(
        &mut self,
        id: i64,
        outcome: &Outcome,
        links: &[NewUrl],
    ) -> Result<usize, FrontierError> {
        self.finish(id, outcome)?;
        self.add(links)
    }

    /// Like [`Frontier::finish_with_links`], and also stores `capture` as the URL's last
    /// capture, in the same transaction where the store allows (SQLite does).
    fn finish_capture(
        &mut self,
        id: i64,
        outcome: &Outcome,
        capture: &CaptureState,
        links: &[NewUrl],
    ) -> Result<usize, FrontierError>;

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

    /// Counts by state for each kind of URL (kinds without URLs are left out).
    fn stats_by_kind(&mut self) -> Result<Vec<(UrlKind, FrontierStats)>, FrontierError>;

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
