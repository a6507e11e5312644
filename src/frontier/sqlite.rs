//! The SQLite frontier (the default store).
//!
//! One table `urls` (one row per canonical URL) and one key-value table `meta`. The schema
//! version is kept in `PRAGMA user_version` so later versions can migrate old state files.
//! The database runs in WAL mode with `synchronous=NORMAL`: each call is one transaction,
//! committed without an fsync; a crash of the process loses nothing committed, a power loss
//! or OS crash may roll back the last transactions but never corrupts the file.
//! Prefer [`Frontier::finish_with_links`] to `finish` + `add`: one commit, and atomic.
//!
//! One partial index covers the pending URLs only (it shrinks as the crawl advances):
//! `urls_claim (host, priority, depth, id, due_at)` hands out URLs in priority order
//! without sorting, and answers "which hosts are due" with a skip scan (one seek per host,
//! and one more to find a due URL of the host: nearly all are due as soon as found, only
//! retries wait). Every index costs each new URL a B-tree insertion, so there are two (this
//! one and the unique `url`); schema version 2 had a third, `urls_due (host, due_at)`.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use url::Url;

use super::checkpoint::Checkpointer;
use super::known::{KnownUrls, UrlKey, priority8};
use super::{
    CaptureState, ClaimedUrl, Frontier, FrontierError, FrontierStats, NewUrl, Outcome, Recheck,
    UrlKind, UrlRecord,
};

/// Schema version written to `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 3;

/// Version 2: the last capture of each URL (incremental re-crawls). Added to version-1
/// files by `ALTER TABLE`; their fetched URLs have no capture state until fetched again.
const MIGRATE_V2: &str = "
ALTER TABLE urls ADD COLUMN cap_at INTEGER;
ALTER TABLE urls ADD COLUMN first_cap_at INTEGER;
ALTER TABLE urls ADD COLUMN cap_status INTEGER;
ALTER TABLE urls ADD COLUMN etag TEXT;
ALTER TABLE urls ADD COLUMN last_modified TEXT;
ALTER TABLE urls ADD COLUMN payload_digest TEXT;
ALTER TABLE urls ADD COLUMN rec_file TEXT;
ALTER TABLE urls ADD COLUMN rec_offset INTEGER;
ALTER TABLE urls ADD COLUMN rec_id TEXT;
ALTER TABLE urls ADD COLUMN rec_date INTEGER;
ALTER TABLE urls ADD COLUMN described INTEGER NOT NULL DEFAULT 1;
";

/// Version 3: no `urls_due` index (the claim index answers for due hosts; one index less
/// to update for every new URL).
const MIGRATE_V3: &str = "DROP INDEX IF EXISTS urls_due;";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS urls (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL UNIQUE,
    host        TEXT NOT NULL,
    site        TEXT NOT NULL,
    depth       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    priority    INTEGER NOT NULL,
    found_on    TEXT,
    state       TEXT NOT NULL DEFAULT 'pending',
    status      INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      INTEGER NOT NULL,
    last_error  TEXT,
    added_at    INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS urls_claim ON urls (host, priority, depth, id, due_at)
    WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
";

/// Adds a URL not known yet (the caller's index of known URLs says so; if it is known
/// after all, nothing changes and [`IMPROVE`] is run instead).
const INSERT_NEW: &str =
    "INSERT OR IGNORE INTO urls (url, host, site, depth, kind, priority, found_on, due_at, added_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)";

/// On a known URL, lowers its depth and raises the priority of a pending one (a link
/// first seen as "other" and later in a related block).
const IMPROVE: &str = "UPDATE urls SET
        depth = MIN(depth, ?2),
        kind = CASE WHEN state = 'pending' AND ?4 < priority THEN ?3 ELSE kind END,
        priority = CASE WHEN state = 'pending' AND ?4 < priority THEN ?4 ELSE priority END
     WHERE url = ?1 AND (?2 < depth OR (state = 'pending' AND ?4 < priority))";

const CLAIM: &str = "SELECT id, url, site, depth, kind, attempts,
     cap_at, first_cap_at, cap_status, etag, last_modified, payload_digest,
     rec_file, rec_offset, rec_id, rec_date, described FROM urls INDEXED BY urls_claim
     WHERE host = ?1 AND state = 'pending' AND due_at <= ?2
     ORDER BY priority, depth, id LIMIT ?3";

const NEXT_HOST: &str = "SELECT host FROM urls INDEXED BY urls_claim
     WHERE state = 'pending' AND host > ?1 ORDER BY host LIMIT 1";

/// Whether `host` has a pending URL due by `?2` (stops at the first one: nearly all are).
const HOST_HAS_DUE: &str = "SELECT 1 FROM urls INDEXED BY urls_claim
     WHERE state = 'pending' AND host = ?1 AND due_at <= ?2 LIMIT 1";

/// When the first pending URL is due (reads the whole claim index, which holds `due_at`).
const FIRST_DUE: &str = "SELECT MIN(due_at) FROM urls INDEXED BY urls_claim
     WHERE state = 'pending'";

impl From<rusqlite::Error> for FrontierError {
    fn from(e: rusqlite::Error) -> Self {
        FrontierError::Database(e.to_string())
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The frontier in a SQLite file.
///
/// Keeps an in-memory index of the known URLs ([`KnownUrls`], loaded at open), so that
/// re-adding a known link (most of the ~100 links of a page) costs no database statement
/// when it would change nothing, and a new URL is inserted without a conflict check. It
/// assumes this value is the only writer of the database, as in a crawl (the state file is
/// locked by the crawl; about 18 bytes of memory per URL).
pub struct SqliteFrontier {
    conn: Connection,
    known: KnownUrls,
    /// Group commits (see [`SqliteFrontier::batch_commits`]); `None`: one commit per call.
    batch: Option<Batch>,
    /// Checkpoints the WAL on a thread of its own (files only; stopped after the drop's
    /// last commit, fields being dropped after `Drop::drop`).
    checkpointer: Option<Checkpointer>,
}

/// Commits grouped over several calls: one transaction stays open, each call runs in a
/// savepoint of it (so a failed call undoes only its own changes), and the transaction
/// is committed after `max_calls` calls or `max_age`, whichever comes first.
#[derive(Debug, Clone, Copy)]
struct Batch {
    max_calls: usize,
    max_age: Duration,
    calls: usize,
    since: Option<std::time::Instant>,
}

/// A write: its own transaction, or a savepoint of the open batch transaction.
enum WriteTx<'c> {
    Own(rusqlite::Transaction<'c>),
    InBatch(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Own(tx) => tx,
            WriteTx::InBatch(sp) => sp,
        }
    }
}

impl WriteTx<'_> {
    /// Commits the transaction, or releases the savepoint into the batch.
    fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Own(tx) => tx.commit(),
            WriteTx::InBatch(sp) => sp.commit(),
        }
    }
}

/// Starts a write: a transaction of its own, or (batching) a savepoint of the batch
/// transaction, which is begun if none is open.
fn begin_write<'c>(
    conn: &'c mut Connection,
    batch: &mut Option<Batch>,
) -> rusqlite::Result<WriteTx<'c>> {
    match batch {
        None => Ok(WriteTx::Own(
            conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
        )),
        Some(b) => {
            if conn.is_autocommit() {
                conn.execute_batch("BEGIN IMMEDIATE")?;
                b.since = Some(std::time::Instant::now());
                b.calls = 0;
            }
            Ok(WriteTx::InBatch(conn.savepoint()?))
        }
    }
}

impl Drop for SqliteFrontier {
    /// Commits the open batch (best effort: an error is logged).
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!("frontier: the last batch could not be committed: {e}");
        }
    }
}

impl std::fmt::Debug for SqliteFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteFrontier")
            .field("path", &self.conn.path())
            .finish()
    }
}

impl SqliteFrontier {
    /// Opens (or creates) the frontier database at `path`, creating the schema if needed.
    /// Refuses a file written by a newer schema version.
    pub fn open(path: &Path) -> Result<Self, FrontierError> {
        let conn = Connection::open(path)
            .map_err(|e| FrontierError::Database(format!("{}: {e}", path.display())))?;
        let mut frontier = Self::init(conn).map_err(|e| match e {
            FrontierError::Database(m) => {
                FrontierError::Database(format!("{}: {m}", path.display()))
            }
        })?;
        frontier.checkpointer = Some(Checkpointer::start(path)?);
        Ok(frontier)
    }

    /// A frontier in memory (for tests and one-off crawls); lost when dropped.
    pub fn open_in_memory() -> Result<Self, FrontierError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, FrontierError> {
        conn.busy_timeout(Duration::from_secs(10))?;
        // `journal_mode` returns the mode in force ("memory" for in-memory databases).
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Up to 256 MiB of page cache (the default is 2 MiB; filled only as the file grows):
        // the upper levels of the indexes of a 10-million-URL frontier stay in memory.
        conn.pragma_update(None, "cache_size", -262_144)?;
        // The WAL is checkpointed by a thread of its own (`checkpoint`); past 64 MiB of
        // WAL the writer checkpoints too.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        conn.set_prepared_statement_cache_capacity(32);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.execute_batch(MIGRATE_V2)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            1 => {
                tx.execute_batch(MIGRATE_V2)?;
                tx.execute_batch(MIGRATE_V3)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            2 => {
                tx.execute_batch(MIGRATE_V3)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            newer => {
                return Err(FrontierError::Database(format!(
                    "state file has schema version {newer}, this glaneur knows up to {SCHEMA_VERSION}"
                )));
            }
        }
        tx.commit()?;
        let mut known = KnownUrls::new();
        {
            let mut stmt = conn.prepare("SELECT url, depth, priority FROM urls")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let url: String = row.get(0)?;
                let depth: i64 = row.get(1)?;
                let priority = priority8(row.get::<_, i64>(2)?);
                known.remember(UrlKey::of(&url), to_u32(depth), priority);
            }
        }
        Ok(SqliteFrontier {
            conn,
            known,
            batch: None,
            checkpointer: None,
        })
    }

    /// Groups commits: from now on the writes of up to `max_calls` calls, or of `max_age`,
    /// are committed together (one transaction, each call in a savepoint of it). Claims
    /// still commit at once (taking the open group with them), so a URL handed out is
    /// in flight on disk. A crash loses at most the last uncommitted group: its URLs stay
    /// in flight and are fetched again (the crawl records a page as fetched only after
    /// its records are in the WARC file, and adopts the responses of a killed run).
    /// Committed by [`SqliteFrontier::flush`], [`Frontier::stats`], claims, and on drop.
    pub fn batch_commits(&mut self, max_calls: usize, max_age: Duration) {
        self.batch = Some(Batch {
            max_calls: max_calls.max(1),
            max_age,
            calls: 0,
            since: None,
        });
    }

    /// Commits the open batch, if any.
    pub fn flush(&mut self) -> Result<(), FrontierError> {
        if self.batch.is_some() && !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    /// After a write: commits the batch when it is full or old enough.
    fn after_write(&mut self) -> Result<(), FrontierError> {
        if let Some(b) = self.batch.as_mut() {
            b.calls += 1;
            if b.calls >= b.max_calls {
                return self.flush();
            }
        }
        self.commit_if_old()
    }

    /// Commits the batch if it has been open for longer than its age limit (called by
    /// reads too, so a quiet crawl does not keep its last writes uncommitted).
    fn commit_if_old(&mut self) -> Result<(), FrontierError> {
        if let Some(b) = self.batch
            && b.since.is_some_and(|t| t.elapsed() >= b.max_age)
        {
            return self.flush();
        }
        Ok(())
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, FrontierError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// What the frontier knows about `url` (canonical form), if anything.
    pub fn lookup(&self, url: &Url) -> Result<Option<UrlRecord>, FrontierError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, state, depth, kind, attempts, status, last_error, found_on
                 FROM urls WHERE url = ?1",
            )?
            .query_row([url.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .optional()?;
        row.map(
            |(id, state, depth, kind, attempts, status, last_error, found_on)| {
                Ok(UrlRecord {
                    id,
                    state,
                    depth: to_u32(depth),
                    kind: super::kind_of(&kind)?,
                    attempts: to_u32(attempts),
                    status: status.and_then(|s| u16::try_from(s).ok()),
                    last_error,
                    found_on,
                })
            },
        )
        .transpose()
    }

    /// Number of URLs known, in any state.
    pub fn len(&self) -> Result<u64, FrontierError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM urls", [], |r| r.get(0))?;
        Ok(to_u64(n))
    }

    /// True if no URL is known.
    pub fn is_empty(&self) -> Result<bool, FrontierError> {
        Ok(self.len()? == 0)
    }

    /// Each host with pending URLs, in order (a skip scan of the claim index).
    fn for_each_pending_host(
        &self,
        mut f: impl FnMut(&str) -> Result<(), FrontierError>,
    ) -> Result<(), FrontierError> {
        let mut next = self.conn.prepare_cached(NEXT_HOST)?;
        let mut last = String::new();
        while let Some(host) = next
            .query_row([&last], |r| r.get::<_, String>(0))
            .optional()?
        {
            f(&host)?;
            last = host;
        }
        Ok(())
    }

    fn count_states(&self, sql: &str) -> Result<Vec<(String, String, u64)>, FrontierError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (a, b, n) = row?;
            out.push((a, b, to_u64(n)));
        }
        Ok(out)
    }
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Known-URL index entries to apply once a transaction has committed.
type Seen = Vec<(UrlKey, u32, u8)>;

/// Adds `urls` within `tx`; returns how many rows are new and the index updates to apply
/// after the commit (a failed transaction must leave the index as it was).
fn add_in(
    tx: &Connection,
    known: &KnownUrls,
    urls: &[NewUrl],
) -> Result<(usize, Seen), FrontierError> {
    let mut seen = Vec::new();
    if urls.is_empty() {
        return Ok((0, seen));
    }
    let now = millis(Utc::now());
    let mut added = 0;
    let mut insert = tx.prepare_cached(INSERT_NEW)?;
    let mut improve = tx.prepare_cached(IMPROVE)?;
    for u in urls {
        let url = u.url.as_str();
        let key = UrlKey::of(url);
        let priority = u.kind.priority();
        let known_as = known.get(key);
        if known_as.is_some_and(|k| k.covers(u.depth, priority)) {
            // Known, and neither shallower nor of higher priority: nothing to write.
            continue;
        }
        seen.push((key, u.depth, priority8(priority)));
        let inserted = known_as.is_none()
            && insert.execute(params![
                url,
                u.host,
                u.site,
                i64::from(u.depth),
                u.kind.as_str(),
                priority,
                u.found_on.as_ref().map(Url::as_str),
                now,
            ])? == 1;
        if inserted {
            added += 1;
        } else {
            improve.execute(params![url, i64::from(u.depth), u.kind.as_str(), priority])?;
        }
    }
    Ok((added, seen))
}

/// Records the outcome of in-flight URL `id` within `tx`.
fn finish_in(tx: &Connection, id: i64, outcome: &Outcome) -> Result<(), FrontierError> {
    let now = millis(Utc::now());
    let n = match outcome {
        Outcome::Fetched { status } => tx
            .prepare_cached(
                "UPDATE urls SET state = 'fetched', status = ?2, attempts = attempts + 1,
                     finished_at = ?3
                 WHERE id = ?1 AND state = 'in_flight'",
            )?
            .execute(params![id, i64::from(*status), now])?,
        Outcome::RobotsDenied => tx
            .prepare_cached(
                "UPDATE urls SET state = 'robots_denied', finished_at = ?2
                 WHERE id = ?1 AND state = 'in_flight'",
            )?
            .execute(params![id, now])?,
        Outcome::Failed { error } => tx
            .prepare_cached(
                "UPDATE urls SET state = 'failed', last_error = ?2, attempts = attempts + 1,
                     finished_at = ?3
                 WHERE id = ?1 AND state = 'in_flight'",
            )?
            .execute(params![id, error, now])?,
    };
    if n == 0 {
        return Err(FrontierError::Database(format!(
            "URL id {id} is not in flight"
        )));
    }
    Ok(())
}

/// Reads the eleven capture columns starting at `at` (in the order of [`CLAIM`]).
fn capture_state(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Option<CaptureState>> {
    let time = |i: usize| r.get::<_, Option<i64>>(i).map(|v| v.map(from_millis));
    Ok(super::CaptureColumns {
        captured_at: time(at)?,
        first_captured_at: time(at + 1)?,
        status: r.get(at + 2)?,
        etag: r.get(at + 3)?,
        last_modified: r.get(at + 4)?,
        payload_digest: r.get(at + 5)?,
        file: r.get(at + 6)?,
        offset: r.get(at + 7)?,
        record_id: r.get(at + 8)?,
        record_date: time(at + 9)?,
        described: r.get::<_, i64>(at + 10)? != 0,
    }
    .into_state())
}

/// Stores the last capture of `id` (keeps the earliest first-capture time).
fn store_capture(tx: &Connection, id: i64, c: &CaptureState) -> Result<(), FrontierError> {
    tx.prepare_cached(
        "UPDATE urls SET cap_at = ?2, first_cap_at = COALESCE(first_cap_at, ?3),
             cap_status = ?4, etag = ?5, last_modified = ?6, payload_digest = ?7,
             rec_file = ?8, rec_offset = ?9, rec_id = ?10, rec_date = ?11, described = ?12
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        millis(c.captured_at),
        millis(c.first_captured_at),
        i64::from(c.status),
        c.etag,
        c.last_modified,
        c.payload_digest,
        c.record.file,
        i64::try_from(c.record.offset).unwrap_or(i64::MAX),
        c.record.id,
        millis(c.record.date),
        c.described,
    ])?;
    Ok(())
}

impl SqliteFrontier {
    /// The stored last capture of `url`, if any.
    pub fn capture_of(&self, url: &Url) -> Result<Option<CaptureState>, FrontierError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT cap_at, first_cap_at, cap_status, etag, last_modified, payload_digest,
                     rec_file, rec_offset, rec_id, rec_date, described FROM urls WHERE url = ?1",
            )?
            .query_row([url.as_str()], |r| capture_state(r, 0))
            .optional()?
            .flatten())
    }

    fn remember(&mut self, seen: Seen) {
        for (key, depth, priority) in seen {
            self.known.remember(key, depth, priority);
        }
    }
}

impl Frontier for SqliteFrontier {
    fn add(&mut self, urls: &[NewUrl]) -> Result<usize, FrontierError> {
        if urls.is_empty() {
            return Ok(0);
        }
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        let (added, seen) = add_in(&tx, &self.known, urls)?;
        tx.commit()?;
        self.after_write()?;
        self.remember(seen);
        Ok(added)
    }

    /// One transaction: a crash can neither lose the page's links nor fetch it twice.
    fn finish_with_links(
        &mut self,
        id: i64,
        outcome: &Outcome,
        links: &[NewUrl],
    ) -> Result<usize, FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        finish_in(&tx, id, outcome)?;
        let (added, seen) = add_in(&tx, &self.known, links)?;
        tx.commit()?;
        self.after_write()?;
        self.remember(seen);
        Ok(added)
    }

    fn finish_capture(
        &mut self,
        id: i64,
        outcome: &Outcome,
        capture: &CaptureState,
        links: &[NewUrl],
    ) -> Result<usize, FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        finish_in(&tx, id, outcome)?;
        store_capture(&tx, id, capture)?;
        let (added, seen) = add_in(&tx, &self.known, links)?;
        tx.commit()?;
        self.after_write()?;
        self.remember(seen);
        Ok(added)
    }

    fn reschedule(&mut self, recheck: &Recheck) -> Result<u64, FrontierError> {
        let n = self.conn.execute(
            "UPDATE urls SET state = 'pending', due_at = ?2, attempts = 0, last_error = NULL
             WHERE site = ?1 AND state IN ('fetched', 'failed') AND (
                kind IN ('start', 'other')
                OR COALESCE(cap_at, finished_at, 0) <= ?3
                OR COALESCE(first_cap_at, added_at) >= ?4)",
            params![
                recheck.site,
                millis(recheck.now),
                millis(recheck.captured_before),
                millis(recheck.first_captured_after)
            ],
        )?;
        Ok(n as u64)
    }

    fn recheck_if_older(
        &mut self,
        urls: &[(Url, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError> {
        if urls.is_empty() {
            return Ok(0);
        }
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        let mut n = 0;
        {
            let mut stmt = tx.prepare_cached(
                "UPDATE urls SET state = 'pending', due_at = ?2, attempts = 0
                 WHERE url = ?1 AND state = 'fetched'
                   AND COALESCE(cap_at, finished_at, 0) < ?3",
            )?;
            for (url, changed) in urls {
                n += stmt.execute(params![url.as_str(), millis(now), millis(*changed)])? as u64;
            }
        }
        tx.commit()?;
        self.after_write()?;
        Ok(n)
    }

    fn ready_hosts(&mut self, now: DateTime<Utc>) -> Result<Vec<String>, FrontierError> {
        self.commit_if_old()?;
        let now = millis(now);
        let mut has_due = self.conn.prepare_cached(HOST_HAS_DUE)?;
        let mut ready = Vec::new();
        self.for_each_pending_host(|host| {
            if has_due
                .query_row(params![host, now], |_| Ok(()))
                .optional()?
                .is_some()
            {
                ready.push(host.to_string());
            }
            Ok(())
        })?;
        Ok(ready)
    }

    /// Reads every pending URL's due time: the crawl asks only when no host is ready, when
    /// what is pending is retries waiting for their time.
    fn next_due(&mut self) -> Result<Option<DateTime<Utc>>, FrontierError> {
        let first: Option<i64> = self
            .conn
            .prepare_cached(FIRST_DUE)?
            .query_row([], |r| r.get(0))?;
        Ok(first.map(from_millis))
    }

    fn claim(
        &mut self,
        host: &str,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<ClaimedUrl>, FrontierError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // A claim is committed at once (with the batch before it): after a crash, a URL
        // whose outcome was lost is in flight, so `crawl::recover` adopts the response
        // that the killed run archived for it, and the re-fetch writes a revisit.
        self.flush()?;
        let tx = WriteTx::Own(
            self.conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?,
        );
        let mut claimed = Vec::new();
        {
            let mut select = tx.prepare_cached(CLAIM)?;
            let rows = select.query_map(params![host, millis(now), limit], |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                    ),
                    capture_state(r, 6)?,
                ))
            })?;
            for row in rows {
                let ((id, url, site, depth, kind, attempts), previous) = row?;
                let url = Url::parse(&url).map_err(|e| {
                    FrontierError::Database(format!("invalid URL {url:?} in frontier: {e}"))
                })?;
                claimed.push(ClaimedUrl {
                    id,
                    url,
                    host: host.to_string(),
                    site,
                    depth: to_u32(depth),
                    kind: super::kind_of(&kind)?,
                    attempts: to_u32(attempts),
                    previous,
                });
            }
            let mut mark =
                tx.prepare_cached("UPDATE urls SET state = 'in_flight' WHERE id = ?1")?;
            for c in &claimed {
                mark.execute([c.id])?;
            }
        }
        tx.commit()?;
        self.after_write()?;
        Ok(claimed)
    }

    fn finish(&mut self, id: i64, outcome: &Outcome) -> Result<(), FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        finish_in(&tx, id, outcome)?;
        tx.commit()?;
        self.after_write()?;
        Ok(())
    }

    fn retry_at(&mut self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), FrontierError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE urls SET state = 'pending', due_at = ?2, last_error = ?3,
                     attempts = attempts + 1
                 WHERE id = ?1 AND state = 'in_flight'",
            )?
            .execute(params![id, millis(at), error])?;
        if n == 0 {
            return Err(FrontierError::Database(format!(
                "URL id {id} is not in flight"
            )));
        }
        Ok(())
    }

    fn in_flight(&mut self) -> Result<Vec<(i64, Url)>, FrontierError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, url FROM urls WHERE state = 'in_flight'")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, url) = row?;
            if let Ok(url) = Url::parse(&url) {
                out.push((id, url));
            }
        }
        Ok(out)
    }

    fn set_capture(&mut self, id: i64, capture: &CaptureState) -> Result<(), FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        store_capture(&tx, id, capture)?;
        tx.commit()?;
        self.after_write()?;
        Ok(())
    }

    fn recover_in_flight(&mut self) -> Result<u64, FrontierError> {
        let n = self.conn.execute(
            "UPDATE urls SET state = 'pending' WHERE state = 'in_flight'",
            [],
        )?;
        Ok(n as u64)
    }

    fn requeue_lost(
        &mut self,
        lost: &super::LostRecords,
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        let mut n = 0;
        for &(start, end) in &lost.ranges {
            n += tx
                .prepare_cached(
                    "UPDATE urls SET
                         state = CASE WHEN state = 'in_flight' THEN state ELSE 'pending' END,
                         due_at = ?4, attempts = 0, last_error = NULL, cap_at = NULL,
                         cap_status = NULL, etag = NULL, last_modified = NULL,
                         payload_digest = NULL, rec_file = NULL, rec_offset = NULL,
                         rec_id = NULL, rec_date = NULL, described = 1
                     WHERE rec_file = ?1 AND rec_offset >= ?2 AND rec_offset < ?3",
                )?
                .execute(params![
                    lost.file,
                    i64::try_from(start).unwrap_or(i64::MAX),
                    i64::try_from(end).unwrap_or(i64::MAX),
                    millis(now)
                ])?;
        }
        for id in &lost.undescribed {
            n += tx
                .prepare_cached(
                    "UPDATE urls SET
                         state = CASE WHEN state = 'in_flight' THEN state ELSE 'pending' END,
                         due_at = ?2, attempts = 0, last_error = NULL, etag = NULL,
                         last_modified = NULL, described = 0
                     WHERE rec_id = ?1",
                )?
                .execute(params![id, millis(now)])?;
        }
        tx.commit()?;
        self.after_write()?;
        Ok(n as u64)
    }

    fn stats(&mut self) -> Result<FrontierStats, FrontierError> {
        self.flush()?;
        Ok(super::stats_from_rows(self.count_states(
            "SELECT state, '', COUNT(*) FROM urls GROUP BY state",
        )?))
    }

    fn stats_by_kind(&mut self) -> Result<Vec<(UrlKind, FrontierStats)>, FrontierError> {
        super::stats_by_kind_from_rows(
            self.count_states("SELECT kind, state, COUNT(*) FROM urls GROUP BY kind, state")?,
        )
    }

    fn get_meta(&mut self, key: &str) -> Result<Option<String>, FrontierError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<(), FrontierError> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, value])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontier::StoredRecord;
    use chrono::TimeDelta;

    fn new_url(s: &str, depth: u32, kind: UrlKind) -> NewUrl {
        let url = Url::parse(s).unwrap();
        NewUrl {
            host: crate::urls::host_key(&url).unwrap(),
            url,
            site: "test".into(),
            depth,
            kind,
            found_on: None,
        }
    }

    #[test]
    fn batched_writes_are_committed_by_size_age_claims_and_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let count_on_disk = |state: &str| -> i64 {
            let c = Connection::open(&path).unwrap();
            c.query_row("SELECT COUNT(*) FROM urls WHERE state = ?1", [state], |r| {
                r.get(0)
            })
            .unwrap()
        };
        let mut f = SqliteFrontier::open(&path).unwrap();
        f.batch_commits(3, Duration::from_secs(3600));
        f.add(&[new_url("http://a.test/1", 0, UrlKind::Start)])
            .unwrap();
        f.add(&[new_url("http://a.test/2", 1, UrlKind::Other)])
            .unwrap();
        // Visible to this frontier, not yet on disk.
        assert_eq!(f.len().unwrap(), 2);
        assert_eq!(count_on_disk("pending"), 0);
        // A claim commits at once, with the group before it.
        let now = Utc::now();
        let claimed = f.claim("a.test", now, 1).unwrap();
        assert_eq!(count_on_disk("in_flight"), 1);
        assert_eq!(count_on_disk("pending"), 1);
        // Outcomes wait for the group to fill up (3 calls).
        f.finish(claimed[0].id, &Outcome::Fetched { status: 200 })
            .unwrap();
        f.add(&[new_url("http://a.test/3", 1, UrlKind::Other)])
            .unwrap();
        assert_eq!(count_on_disk("fetched"), 0);
        // A failed call undoes its own changes only.
        assert!(f.finish(999, &Outcome::RobotsDenied).is_err());
        f.add(&[new_url("http://a.test/4", 1, UrlKind::Other)])
            .unwrap();
        assert_eq!(count_on_disk("fetched"), 1);
        assert_eq!(count_on_disk("pending"), 3);
        f.add(&[new_url("http://a.test/5", 1, UrlKind::Other)])
            .unwrap();
        assert_eq!(count_on_disk("pending"), 3);
        drop(f);
        assert_eq!(count_on_disk("pending"), 4);

        // By age: a read after the age limit commits.
        let mut f = SqliteFrontier::open(&path).unwrap();
        f.batch_commits(1000, Duration::from_millis(20));
        f.add(&[new_url("http://a.test/6", 1, UrlKind::Other)])
            .unwrap();
        assert_eq!(count_on_disk("pending"), 4);
        std::thread::sleep(Duration::from_millis(30));
        f.ready_hosts(Utc::now()).unwrap();
        assert_eq!(count_on_disk("pending"), 5);
    }

    #[test]
    fn add_dedups_and_lowers_depth() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        let n = f
            .add(&[
                new_url("http://a.test/1", 2, UrlKind::Other),
                new_url("http://a.test/2", 1, UrlKind::Other),
                new_url("http://a.test/1", 3, UrlKind::Other),
            ])
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            f.add(&[new_url("http://a.test/1", 1, UrlKind::Related)])
                .unwrap(),
            0
        );
        let rec = f
            .lookup(&Url::parse("http://a.test/1").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(rec.depth, 1);
        assert_eq!(rec.kind, UrlKind::Related);
        assert_eq!(rec.state, "pending");
        // A deeper or lower-priority sighting changes nothing.
        f.add(&[new_url("http://a.test/1", 4, UrlKind::Other)])
            .unwrap();
        let rec2 = f
            .lookup(&Url::parse("http://a.test/1").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(rec2, rec);
        assert_eq!(f.len().unwrap(), 2);
    }

    #[test]
    fn claim_order_and_states() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        f.add(&[
            new_url("http://a.test/other", 1, UrlKind::Other),
            new_url("http://a.test/rel", 2, UrlKind::Related),
            new_url("http://a.test/art-deep", 3, UrlKind::Article),
            new_url("http://a.test/art", 1, UrlKind::Article),
            new_url("http://a.test/", 0, UrlKind::Start),
            new_url("http://b.test:8080/", 0, UrlKind::Start),
        ])
        .unwrap();
        let now = Utc::now();
        let mut hosts = f.ready_hosts(now).unwrap();
        hosts.sort();
        assert_eq!(hosts, vec!["a.test", "b.test:8080"]);
        let got: Vec<String> = f
            .claim("a.test", now, 10)
            .unwrap()
            .into_iter()
            .map(|c| c.url.path().to_string())
            .collect();
        assert_eq!(got, vec!["/", "/art", "/art-deep", "/rel", "/other"]);
        // Claimed URLs are not handed out again.
        assert!(f.claim("a.test", now, 10).unwrap().is_empty());
        assert_eq!(f.ready_hosts(now).unwrap(), vec!["b.test:8080"]);
        let stats = f.stats().unwrap();
        assert_eq!(stats.in_flight, 5);
        assert_eq!(stats.pending, 1);
        assert_eq!(f.claim("a.test", now, 0).unwrap(), vec![]);
    }

    #[test]
    fn finish_retry_and_recover() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        f.add(&[
            new_url("http://a.test/1", 0, UrlKind::Start),
            new_url("http://a.test/2", 1, UrlKind::Article),
            new_url("http://a.test/3", 1, UrlKind::Article),
            new_url("http://a.test/4", 1, UrlKind::Article),
        ])
        .unwrap();
        let now = Utc::now();
        let c = f.claim("a.test", now, 4).unwrap();
        f.finish(c[0].id, &Outcome::Fetched { status: 200 })
            .unwrap();
        f.finish(c[1].id, &Outcome::RobotsDenied).unwrap();
        f.finish(
            c[2].id,
            &Outcome::Failed {
                error: "boom".into(),
            },
        )
        .unwrap();
        let later = now + TimeDelta::seconds(60);
        f.retry_at(c[3].id, later, "timeout").unwrap();
        // Finishing twice is a caller bug and is reported.
        assert!(f.finish(c[0].id, &Outcome::RobotsDenied).is_err());
        assert!(f.retry_at(c[0].id, later, "x").is_err());

        assert_eq!(
            f.stats().unwrap(),
            FrontierStats {
                pending: 1,
                in_flight: 0,
                fetched: 1,
                robots_denied: 1,
                failed: 1
            }
        );
        // The retried URL is not due yet.
        assert!(f.ready_hosts(now).unwrap().is_empty());
        assert!(f.claim("a.test", now, 10).unwrap().is_empty());
        let due = f.next_due().unwrap().unwrap();
        assert_eq!(due.timestamp_millis(), later.timestamp_millis());
        let again = f.claim("a.test", later, 10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 1);
        assert_eq!(again[0].url.path(), "/4");
        assert_eq!(f.recover_in_flight().unwrap(), 1);
        assert_eq!(f.stats().unwrap().pending, 1);
        let rec = f
            .lookup(&Url::parse("http://a.test/1").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            (rec.state.as_str(), rec.status, rec.attempts),
            ("fetched", Some(200), 1)
        );
        let rec = f
            .lookup(&Url::parse("http://a.test/3").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(rec.last_error.as_deref(), Some("boom"));
        let by_kind = f.stats_by_kind().unwrap();
        assert_eq!(by_kind.len(), 2);
        assert_eq!(by_kind[0].0, UrlKind::Start);
        assert_eq!(by_kind[0].1.fetched, 1);
        assert_eq!(by_kind[1].1.robots_denied, 1);
        assert_eq!(by_kind[1].1.pending, 1);
        // Nothing pending anywhere: no next due time.
        let c = f.claim("a.test", later, 10).unwrap();
        f.finish(c[0].id, &Outcome::Fetched { status: 404 })
            .unwrap();
        assert_eq!(f.next_due().unwrap(), None);
    }

    #[test]
    fn finish_with_links_is_atomic() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        f.add(&[new_url("http://a.test/", 0, UrlKind::Start)])
            .unwrap();
        let c = f.claim("a.test", Utc::now(), 1).unwrap();
        let links = [
            new_url("http://a.test/x-1.html", 1, UrlKind::Article),
            new_url("http://a.test/", 1, UrlKind::Other),
            new_url("http://b.test/", 1, UrlKind::Other),
        ];
        assert_eq!(
            f.finish_with_links(c[0].id, &Outcome::Fetched { status: 200 }, &links)
                .unwrap(),
            2
        );
        assert_eq!(f.stats().unwrap().fetched, 1);
        assert_eq!(f.stats().unwrap().pending, 2);
        // Finishing again fails, and the new link given with it is not added either.
        let more = [new_url("http://a.test/y-2.html", 1, UrlKind::Article)];
        assert!(
            f.finish_with_links(c[0].id, &Outcome::Fetched { status: 200 }, &more)
                .is_err()
        );
        assert_eq!(f.lookup(&more[0].url).unwrap(), None);
        // The in-memory index was not updated by the rolled-back transaction.
        assert_eq!(f.add(&more).unwrap(), 1);
    }

    #[test]
    fn reopened_file_knows_its_urls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let links = [
            new_url("http://a.test/1", 3, UrlKind::Other),
            new_url("http://a.test/2", 3, UrlKind::Other),
        ];
        assert_eq!(SqliteFrontier::open(&path).unwrap().add(&links).unwrap(), 2);
        let mut f = SqliteFrontier::open(&path).unwrap();
        assert_eq!(f.add(&links).unwrap(), 0);
        // A shallower sighting after reopening still lowers the depth.
        f.add(&[new_url("http://a.test/2", 1, UrlKind::Related)])
            .unwrap();
        let rec = f.lookup(&links[1].url).unwrap().unwrap();
        assert_eq!((rec.depth, rec.kind), (1, UrlKind::Related));
    }

    fn capture(at: DateTime<Utc>, digest: &str) -> CaptureState {
        CaptureState {
            captured_at: at,
            first_captured_at: at,
            status: 200,
            etag: Some("\"e1\"".into()),
            last_modified: None,
            payload_digest: digest.into(),
            record: StoredRecord {
                file: "f.warc.zst".into(),
                offset: 1234,
                id: "<urn:uuid:00000000-0000-4000-8000-000000000001>".into(),
                date: from_millis(at.timestamp() * 1000),
            },
            described: true,
        }
    }

    #[test]
    fn version_2_files_lose_the_due_index_and_keep_their_queue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute_batch(MIGRATE_V2).unwrap();
            conn.execute_batch(
                "CREATE INDEX urls_due ON urls (host, due_at) WHERE state = 'pending';",
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute(
                "INSERT INTO urls (url, host, site, depth, kind, priority, due_at, added_at)
                 VALUES ('http://a.test/1', 'a.test', 'test', 1, 'other', 3, 0, 0),
                        ('http://b.test/1', 'b.test', 'test', 1, 'other', 3, 4e15, 0)",
                [],
            )
            .unwrap();
        }
        let mut f = SqliteFrontier::open(&path).unwrap();
        assert_eq!(f.schema_version().unwrap(), SCHEMA_VERSION);
        let due_index: i64 = f
            .conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'urls_due'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(due_index, 0);
        // a.test is due, b.test only far in the future; both URLs are still known.
        assert_eq!(f.ready_hosts(Utc::now()).unwrap(), vec!["a.test"]);
        assert_eq!(
            f.add(&[new_url("http://b.test/1", 1, UrlKind::Other)])
                .unwrap(),
            0
        );
        assert_eq!(f.claim("a.test", Utc::now(), 5).unwrap().len(), 1);
        assert_eq!(
            f.next_due().unwrap(),
            Some(from_millis(4_000_000_000_000_000))
        );
    }

    #[test]
    fn version_1_files_are_migrated_and_keep_their_urls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO urls (url, host, site, depth, kind, priority, state, status,
                     due_at, added_at, finished_at)
                 VALUES ('http://a.test/x-1.html', 'a.test', 'test', 1, 'article', 1,
                     'fetched', 200, 0, 0, 0)",
                [],
            )
            .unwrap();
        }
        let mut f = SqliteFrontier::open(&path).unwrap();
        let version: i64 = f
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let url = Url::parse("http://a.test/x-1.html").unwrap();
        assert_eq!(f.lookup(&url).unwrap().unwrap().state, "fetched");
        assert_eq!(f.capture_of(&url).unwrap(), None);
        // Fetched by version 1 long ago: due for a recheck.
        let now = Utc::now();
        let n = f
            .reschedule(&Recheck {
                site: "test".into(),
                now,
                captured_before: now - TimeDelta::days(7),
                first_captured_after: now - TimeDelta::days(2),
            })
            .unwrap();
        assert_eq!(n, 1);
        let claimed = f.claim("a.test", now, 1).unwrap();
        assert_eq!(claimed[0].previous, None);
        // Reopening a version-2 file changes nothing.
        drop(f);
        assert!(SqliteFrontier::open(&path).is_ok());
    }

    #[test]
    fn captures_are_stored_and_drive_rechecks() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        f.add(&[
            new_url("http://a.test/", 0, UrlKind::Start),
            new_url("http://a.test/old-1.html", 1, UrlKind::Article),
            new_url("http://a.test/fresh-2.html", 1, UrlKind::Related),
            new_url("http://a.test/mid-3.html", 1, UrlKind::Article),
        ])
        .unwrap();
        let now = Utc::now();
        let c = f.claim("a.test", now, 10).unwrap();
        assert!(c.iter().all(|c| c.previous.is_none()));
        for claimed in &c {
            let at = match claimed.url.path() {
                "/old-1.html" => now - TimeDelta::days(30),
                "/mid-3.html" => now - TimeDelta::days(4),
                _ => now - TimeDelta::hours(1),
            };
            let mut cap = capture(at, "sha1:AAAA");
            if claimed.url.path() == "/mid-3.html" {
                cap.first_captured_at = now - TimeDelta::days(20);
            }
            if claimed.url.path() == "/old-1.html" {
                cap.first_captured_at = now - TimeDelta::days(60);
            }
            f.finish_capture(claimed.id, &Outcome::Fetched { status: 200 }, &cap, &[])
                .unwrap();
        }
        // fresh-2 is first captured an hour ago: fresh.
        let recheck = Recheck {
            site: "test".into(),
            now,
            captured_before: now - TimeDelta::days(7),
            first_captured_after: now - TimeDelta::days(2),
        };
        assert_eq!(f.reschedule(&recheck).unwrap(), 3);
        let mut got: Vec<(String, bool)> = f
            .claim("a.test", now, 10)
            .unwrap()
            .into_iter()
            .map(|c| (c.url.path().to_string(), c.previous.is_some()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("/".to_string(), true),
                ("/fresh-2.html".to_string(), true),
                ("/old-1.html".to_string(), true)
            ]
        );
        // Another site's recheck touches nothing here.
        f.recover_in_flight().unwrap();
        let other = Recheck {
            site: "other".into(),
            ..recheck
        };
        assert_eq!(f.reschedule(&other).unwrap(), 0);
        // A sitemap lastmod newer than the capture queues mid-3 again; an older one does not.
        let mid = Url::parse("http://a.test/mid-3.html").unwrap();
        assert_eq!(
            f.recheck_if_older(&[(mid.clone(), now - TimeDelta::days(10))], now)
                .unwrap(),
            0
        );
        assert_eq!(
            f.recheck_if_older(&[(mid.clone(), now - TimeDelta::days(1))], now)
                .unwrap(),
            1
        );
        let stored = f.capture_of(&mid).unwrap().unwrap();
        assert_eq!(stored.record.offset, 1234);
        assert_eq!(stored.etag.as_deref(), Some("\"e1\""));
        assert_eq!(
            stored.first_captured_at.timestamp_millis(),
            (now - TimeDelta::days(20)).timestamp_millis()
        );
    }

    #[test]
    fn meta_round_trip() {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        assert_eq!(f.get_meta("fingerprint").unwrap(), None);
        f.set_meta("fingerprint", "abc").unwrap();
        f.set_meta("fingerprint", "def").unwrap();
        assert_eq!(f.get_meta("fingerprint").unwrap().as_deref(), Some("def"));
    }

    #[test]
    fn claim_uses_the_partial_index() {
        let f = SqliteFrontier::open_in_memory().unwrap();
        let plan: Vec<String> = f
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {CLAIM}"))
            .unwrap()
            .query_map(params!["h", 0, 1], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(plan.contains("urls_claim"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "claim sorts: {plan}");
    }
}
