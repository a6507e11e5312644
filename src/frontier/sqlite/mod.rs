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
use super::sql::{self, StoredRow, to_u32, to_u64};
use super::{
    CaptureState, Claimed, Completion, Frontier, FrontierError, NewUrl, Outcome, Recheck, UrlRecord,
};

mod compact;
mod schema;

use compact::{compact, compact_opt};
#[cfg(test)]
use schema::SCHEMA_VERSION;
use schema::url_key;
#[cfg(test)]
use schema::{MIGRATE_V2, SCHEMA};

/// The SQLite page cache of the crawl's connection, in KiB (the bound of its memory).
pub const SQLITE_CACHE_KIB: i64 = 64 * 1024;

/// Adds a URL not known yet (the caller's index of known URLs says so; if it is known
/// after all, nothing changes and [`IMPROVE`] is run instead).
const INSERT_NEW: &str = "INSERT INTO urls (url, url_key, host, site, depth, kind, priority,
        found_on, due_at, added_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)";

/// On a known URL, lowers its depth and raises the priority of a pending one (a link
/// first seen as "other" and later in a related block).
const IMPROVE: &str = "UPDATE urls SET
        depth = MIN(depth, ?2),
        kind = CASE WHEN state = 'pending' AND ?4 < priority THEN ?3 ELSE kind END,
        priority = CASE WHEN state = 'pending' AND ?4 < priority THEN ?4 ELSE priority END
     WHERE url_key = ?5 AND url = ?1 AND (?2 < depth OR (state = 'pending' AND ?4 < priority))";

/// The id of a name (a host, site, file or referrer).
const NAME_ID: &str = "SELECT id FROM names WHERE name = ?1";

/// A name by its id.
const NAME_OF: &str = "SELECT name FROM names WHERE id = ?1";

/// The capture columns of a row of `urls`, in the order [`sql::capture_of_row`] reads them
/// (the record's file by its name; a record dated as the capture has no date of its own,
/// see [`STORE_CAPTURE`]).
macro_rules! capture_columns_v4 {
    () => {
        "cap_at, first_cap_at, cap_status, etag, last_modified, payload_digest,
         (SELECT name FROM names WHERE names.id = urls.rec_file), rec_offset, rec_id,
         COALESCE(rec_date, cap_at), described"
    };
}

/// What the frontier knows about URL `?2` of key `?1` (read by [`sql::url_record`]).
const LOOKUP: &str = "SELECT id, state, depth, kind, attempts, status, last_error,
        CASE WHEN found_on > 0 THEN (SELECT f.url FROM urls f WHERE f.id = urls.found_on)
             ELSE (SELECT name FROM names WHERE names.id = -urls.found_on) END
     FROM urls WHERE url_key = ?1 AND url = ?2";

/// The stored last capture of URL `?2` of key `?1` (read by [`sql::capture_of_row`]).
const CAPTURE_OF: &str = concat!(
    "SELECT ",
    capture_columns_v4!(),
    " FROM urls WHERE url_key = ?1 AND url = ?2"
);

/// Stores the last capture of URL `?12`, keeping its earliest first-capture time (the
/// record's file by its name id, texts in their compact forms).
///
/// Two times that nearly always equal the capture's are left out when they do (12 of the
/// ~290 bytes of a fetched URL): the first capture time of a URL captured once (read back
/// as the capture time, by [`sql::capture_of_row`] and [`RESCHEDULE`]), and the date of
/// a record written by this capture (a revisit's refers to an older record and is kept).
const STORE_CAPTURE: &str = "UPDATE urls SET cap_at = ?1,
     first_cap_at = NULLIF(COALESCE(first_cap_at, cap_at, ?2), ?1), cap_status = ?3,
     etag = ?4, last_modified = ?5, payload_digest = ?6, rec_file = ?7, rec_offset = ?8,
     rec_id = ?9, rec_date = NULLIF(?10, ?1), described = ?11
     WHERE id = ?12";

/// Queues again the fetched and failed URLs of site `?1` that a re-crawl checks (the start
/// pages and listings, pages captured before `?3`, pages first captured after `?4`).
const RESCHEDULE: &str = "UPDATE urls SET state = 'pending', due_at = ?2, attempts = 0,
         last_error = NULL
     WHERE site = (SELECT id FROM names WHERE name = ?1)
       AND state IN ('fetched', 'failed') AND (
        kind IN ('start', 'other')
        OR COALESCE(cap_at, finished_at, 0) <= ?3
        OR COALESCE(first_cap_at, cap_at, added_at) >= ?4)";

/// Up to `?3` due URLs of host `?1`, in claim order (read by [`sql::claimed_url`]).
const CLAIM: &str = concat!(
    "SELECT id, url, (SELECT name FROM names WHERE names.id = urls.site), depth, kind,
        attempts, ",
    capture_columns_v4!(),
    " FROM urls INDEXED BY urls_claim
     WHERE host = (SELECT id FROM names WHERE name = ?1) AND state = 'pending' AND due_at <= ?2
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

    /// Expands the compact forms of schema version 4 ([`compact`]).
    fn text(&self, i: usize) -> Result<Option<String>, FrontierError> {
        compact::unpack(self.get_ref(i)?)
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
        schema::create_or_migrate(&tx)?;
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
        self.read_url_row(LOOKUP, url.as_str(), &|r| sql::url_record(r))
    }

    /// The stored last capture of `url` (as [`Frontier::capture_of`], from a shared borrow).
    pub fn capture_of(&self, url: &Url) -> Result<Option<CaptureState>, FrontierError> {
        let found = self.read_url_row(CAPTURE_OF, url.as_str(), &|r| sql::capture_of_row(r, 0))?;
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

    /// The row a statement on URL `?2` of key `?1` finds, read by `read`.
    fn read_url_row<T>(
        &self,
        sql: &'static str,
        url: &str,
        read: &dyn Fn(&dyn StoredRow) -> Result<T, FrontierError>,
    ) -> Result<Option<T>, FrontierError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let found = stmt
            .query_row(params![url_key(url), url], |r| Ok(read(r)))
            .optional()?;
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

    /// The name id of each host with pending URLs, in order (a skip scan of the claim
    /// index).
    fn for_each_pending_host(
        &self,
        mut f: impl FnMut(i64) -> Result<(), FrontierError>,
    ) -> Result<(), FrontierError> {
        let mut next = self.conn.prepare_cached(NEXT_HOST)?;
        let mut last = i64::MIN;
        while let Some(host) = next.query_row([last], |r| r.get::<_, i64>(0)).optional()? {
            f(host)?;
            last = host;
        }
        Ok(())
    }
}

/// Known-URL index entries to apply once a transaction has committed.
type Seen = Vec<(UrlKey, u32, u8)>;

/// The id of `name` in `names`, added if new (within the caller's transaction).
fn name_id(tx: &Connection, name: &str) -> Result<i64, FrontierError> {
    let mut find = tx.prepare_cached(NAME_ID)?;
    if let Some(id) = find.query_row([name], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO names (name) VALUES (?1)")?
        .execute([name])?;
    Ok(tx.last_insert_rowid())
}

/// The id of the row of known URL `url`, if it is known.
fn url_id(tx: &Connection, url: &str) -> Result<Option<i64>, FrontierError> {
    Ok(tx
        .prepare_cached("SELECT id FROM urls WHERE url_key = ?1 AND url = ?2")?
        .query_row(params![url_key(url), url], |r| r.get(0))
        .optional()?)
}

/// The stored form of a referrer: the id of its row when it is a known URL, else minus the
/// id of its name.
fn referrer_id(tx: &Connection, url: &str) -> Result<i64, FrontierError> {
    match url_id(tx, url)? {
        Some(id) => Ok(id),
        None => Ok(-name_id(tx, url)?),
    }
}

/// The ids of the last names asked for (the links of a page share their site, referrer and
/// mostly their host): each name costs one lookup per call, not one per URL.
#[derive(Default)]
struct NameIds {
    last: Vec<(String, i64)>,
}

impl NameIds {
    fn id(
        &mut self,
        name: &str,
        resolve: impl FnOnce() -> Result<i64, FrontierError>,
    ) -> Result<i64, FrontierError> {
        if let Some((_, id)) = self.last.iter().find(|(n, _)| n == name) {
            return Ok(*id);
        }
        let id = resolve()?;
        if self.last.len() >= 8 {
            self.last.remove(0);
        }
        self.last.push((name.to_string(), id));
        Ok(id)
    }
}

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
    let (mut names, mut referrers) = (NameIds::default(), NameIds::default());
    // URLs inserted by this call (a page may link to one twice): the index learns of them
    // only after the commit.
    let mut inserted = std::collections::HashSet::new();
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
        if known_as.is_some() || inserted.contains(&key) {
            improve.execute(params![
                url,
                i64::from(u.depth),
                u.kind.as_str(),
                priority,
                url_key(url)
            ])?;
            continue;
        }
        let found_on = match &u.found_on {
            Some(f) => Some(referrers.id(f.as_str(), || referrer_id(tx, f.as_str()))?),
            None => None,
        };
        insert.execute(params![
            url,
            url_key(url),
            names.id(&u.host, || name_id(tx, &u.host))?,
            names.id(&u.site, || name_id(tx, &u.site))?,
            i64::from(u.depth),
            u.kind.as_str(),
            priority,
            found_on,
            now,
        ])?;
        inserted.insert(key);
        added += 1;
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
    tx.prepare_cached(STORE_CAPTURE)?.execute(params![
        millis(c.captured_at),
        millis(c.first_captured_at),
        i64::from(c.status),
        c.etag,
        compact_opt(c.last_modified.as_deref()),
        compact(&c.payload_digest),
        name_id(tx, &c.record.file)?,
        i64::try_from(c.record.offset).unwrap_or(i64::MAX),
        compact(&c.record.id),
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
            RESCHEDULE,
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
                 WHERE url_key = ?4 AND url = ?1 AND state = 'fetched'
                   AND COALESCE(cap_at, finished_at, 0) < ?3",
            )?;
            for (url, changed) in urls {
                let (key, url) = (url_key(url.as_str()), url.as_str());
                n += stmt.execute(params![url, millis(now), millis(*changed), key])? as u64;
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
        let mut name_of = self.conn.prepare_cached(NAME_OF)?;
        let mut ready = Vec::new();
        self.for_each_pending_host(|host| {
            if has_due
                .query_row(params![host, now], |_| Ok(()))
                .optional()?
                .is_some()
            {
                ready.push(name_of.query_row([host], |r| r.get::<_, String>(0))?);
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

    fn claim_due(&mut self, host: &str, now: DateTime<Utc>, limit: i64) -> Claimed {
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
                         due_at = ?4, attempts = 0, last_error = NULL,
                         first_cap_at = COALESCE(first_cap_at, cap_at), cap_at = NULL,
                         cap_status = NULL, etag = NULL, last_modified = NULL,
                         payload_digest = NULL, rec_file = NULL, rec_offset = NULL,
                         rec_id = NULL, rec_date = NULL, described = 1
                     WHERE rec_file = (SELECT id FROM names WHERE name = ?1)
                       AND rec_offset >= ?2 AND rec_offset < ?3",
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
                .execute(params![compact(id), millis(now)])?;
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

    const LOOKUP_URL: &'static str = LOOKUP;
    const CAPTURE_OF_URL: &'static str = CAPTURE_OF;

    /// Binds the URL's key and the URL.
    fn row_by_url<T>(&mut self, query: sql::ByKey<'_, T>) -> Result<Option<T>, FrontierError> {
        self.read_url_row(query.sql, query.key, query.read)
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
