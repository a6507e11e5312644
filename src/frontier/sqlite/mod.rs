//! The SQLite frontier (the default store).
//!
//! One table `urls` (one row per canonical URL) and one key-value table `meta`. The schema
//! version is kept in `PRAGMA user_version` so later versions can migrate old state files.
//! The database runs in WAL mode with `synchronous=NORMAL`: each call is one transaction,
//! committed without an fsync; a crash of the process loses nothing committed, a power loss
//! or OS crash may roll back the last transactions but never corrupts the file.
//! [`Frontier::finish_capture`] records a page's outcome, capture and links in one commit.
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
use super::sql::{self, StoredRow, capture_columns, to_u32, to_u64};
use super::{
    CaptureState, ClaimedUrl, Completion, Frontier, FrontierError, NewUrl, Outcome, Recheck,
    UrlRecord,
};

/// The SQLite page cache of the crawl's connection, in KiB (the bound of its memory).
pub const SQLITE_CACHE_KIB: i64 = 64 * 1024;

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

/// Up to `?3` due URLs of host `?1`, in claim order (read by [`sql::claimed_url`]).
const CLAIM: &str = concat!(
    "SELECT id, url, site, depth, kind, attempts, ",
    capture_columns!(),
    " FROM urls INDEXED BY urls_claim
     WHERE host = ?1 AND state = 'pending' AND due_at <= ?2
     ORDER BY priority, depth, id LIMIT ?3"
);

const NEXT_HOST: &str = "SELECT host FROM urls INDEXED BY urls_claim
     WHERE state = 'pending' AND host > ?1 ORDER BY host LIMIT 1";

/// Whether `host` has a pending URL due by `?2` (stops at the first one: nearly all are).
const HOST_HAS_DUE: &str = "SELECT 1 FROM urls INDEXED BY urls_claim
     WHERE state = 'pending' AND host = ?1 AND due_at <= ?2 LIMIT 1";

/// When the first pending URL is due (reads the whole claim index, which holds `due_at`).
const FIRST_DUE: &str = "SELECT MIN(due_at) FROM urls INDEXED BY urls_claim
     WHERE state = 'pending'";

/// The pending URLs, counted on the claim index (which holds only them) rather than the
/// table.
const COUNT_PENDING: &str = "SELECT count(*) FROM urls INDEXED BY urls_claim
     WHERE state = 'pending'";

/// A SQLite row as the frontier reads it (times are stored as Unix milliseconds).
impl StoredRow for rusqlite::Row<'_> {
    fn int(&self, i: usize) -> Result<Option<i64>, FrontierError> {
        Ok(self.get(i)?)
    }

    fn text(&self, i: usize) -> Result<Option<String>, FrontierError> {
        Ok(self.get(i)?)
    }

    fn time(&self, i: usize) -> Result<Option<DateTime<Utc>>, FrontierError> {
        Ok(self.get::<_, Option<i64>>(i)?.map(from_millis))
    }

    fn flag(&self, i: usize) -> Result<bool, FrontierError> {
        Ok(self.get(i)?)
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
        let opened = Connection::open(path)
            .map_err(FrontierError::from)
            .and_then(Self::init)
            .and_then(|mut frontier| {
                frontier.checkpointer = Some(Checkpointer::start(path)?);
                Ok(frontier)
            });
        opened.map_err(|source| FrontierError::Open {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
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
        // Up to 64 MiB of page cache (the default is 2 MiB; filled only as the file grows):
        // the upper levels of the indexes of a 10-million-URL frontier (about a fiftieth of
        // their size) stay in memory, the leaves come from the OS's file cache. 256 MiB made
        // the crawl's resident size follow the state's size up to that bound.
        conn.pragma_update(None, "cache_size", -SQLITE_CACHE_KIB)?;
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
                return Err(FrontierError::NewerSchema {
                    found: newer,
                    known: SCHEMA_VERSION,
                });
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

    /// What the frontier knows about `url` (as [`Frontier::lookup`], from a shared borrow).
    pub fn lookup(&self, url: &Url) -> Result<Option<UrlRecord>, FrontierError> {
        self.read_row(sql::LOOKUP, url.as_str(), &|r| sql::url_record(r))
    }

    /// The stored last capture of `url` (as [`Frontier::capture_of`], from a shared borrow).
    pub fn capture_of(&self, url: &Url) -> Result<Option<CaptureState>, FrontierError> {
        let found = self.read_row(sql::CAPTURE_OF, url.as_str(), &|r| {
            sql::capture_of_row(r, 0)
        })?;
        Ok(found.flatten())
    }

    /// The row a statement with one parameter finds, read by `read`.
    fn read_row<T>(
        &self,
        sql: &'static str,
        key: &str,
        read: &dyn Fn(&dyn StoredRow) -> Result<T, FrontierError>,
    ) -> Result<Option<T>, FrontierError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let found = stmt.query_row([key], |r| Ok(read(r))).optional()?;
        found.transpose()
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
        return Err(FrontierError::NotInFlight { id });
    }
    Ok(())
}

/// Stores the last capture of `id` (keeps the earliest first-capture time).
fn store_capture(tx: &Connection, id: i64, c: &CaptureState) -> Result<(), FrontierError> {
    tx.prepare_cached(sql::STORE_CAPTURE)?.execute(params![
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
        id,
    ])?;
    Ok(())
}

impl SqliteFrontier {
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

    fn complete(&mut self, done: Completion<'_>) -> Result<usize, FrontierError> {
        let tx = begin_write(&mut self.conn, &mut self.batch)?;
        finish_in(&tx, done.id, done.outcome)?;
        if let Some(capture) = done.capture {
            store_capture(&tx, done.id, capture)?;
        }
        let (added, seen) = add_in(&tx, &self.known, done.links)?;
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

    fn pending(&mut self) -> Result<u64, FrontierError> {
        self.commit_if_old()?;
        let n: i64 = self
            .conn
            .prepare_cached(COUNT_PENDING)?
            .query_row([], |r| r.get(0))?;
        Ok(to_u64(n))
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
                Ok(sql::claimed_url(r, host))
            })?;
            for row in rows {
                claimed.push(row??);
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
            return Err(FrontierError::NotInFlight { id });
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

    sql::shared_queries!();
}

impl sql::Queries for SqliteFrontier {
    /// Commits the open batch first.
    fn counts(&mut self, sql: &'static str) -> Result<Vec<(String, String, u64)>, FrontierError> {
        self.flush()?;
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                r.required_text(0)?,
                r.required_text(1)?,
                to_u64(r.required_int(2)?),
            ));
        }
        Ok(out)
    }

    fn row_by_key<T>(&mut self, query: sql::ByKey<'_, T>) -> Result<Option<T>, FrontierError> {
        self.read_row(query.sql, query.key, query.read)
    }

    fn execute_texts(&mut self, sql: &'static str, params: &[&str]) -> Result<(), FrontierError> {
        self.conn
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(params))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
