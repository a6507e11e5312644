//! The PostgreSQL frontier: several `glaneur crawl` workers, on any machines, share one
//! frontier (the store, its schema and connections: [`crate::store::postgres`]).
//!
//! Leases: [`Frontier::claim`] takes due rows with `FOR UPDATE SKIP LOCKED` (two workers
//! never claim the same row and never wait for each other) and stamps them with the
//! worker's name and a lease expiry. A live worker renews its leases
//! ([`PostgresWorker::heartbeat`](super::PostgresWorker::heartbeat)); a dead one's leases
//! expire and any worker puts its URLs back to pending
//! ([`PostgresWorker::retire_dead`](super::PostgresWorker::retire_dead)). Recovery after a
//! crash ([`Frontier::recover_in_flight`]) only takes back this worker's own leases and
//! expired ones, never a live worker's.
//!
//! Times of leases are the database server's clock (`clock_timestamp()`), so the workers'
//! clocks need not agree; due times of URLs are the workers' clocks.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postgres::{Row, Transaction};
use url::Url;

use postgres::types::Type;

use super::sql::{self, StoredRow, capture_columns, to_u64};
use super::{
    CaptureState, Claimed, Completion, Frontier, FrontierError, NewUrl, Outcome, Recheck, UrlKind,
    UrlState,
};
use crate::store::postgres::{
    ADVISORY_KEY, Conn, PostgresOptions, StoreError, TxError, connect_migrated, in_transaction,
    millis, redact_url, schema_version_in,
};

impl From<postgres::Error> for FrontierError {
    fn from(e: postgres::Error) -> Self {
        FrontierError::Postgres(StoreError::Database(e))
    }
}

/// Claims up to `$3` due URLs of host `$1` for worker `$4`, with a lease of `$5` ms.
const CLAIM: &str = concat!(
    "UPDATE urls SET state = 'in_flight', worker = $4,
         lease_until = clock_timestamp() + $5 * interval '1 millisecond'
     WHERE id IN (
         SELECT id FROM urls
         WHERE host = $1 AND state = 'pending' AND due_at <= $2
         ORDER BY priority, depth, id
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
     RETURNING id, url, site, depth, kind, attempts, ",
    capture_columns!(),
    ", priority"
);

/// The `(id, url)` rows of a query of URLs (a URL that no longer parses is left out).
pub(super) fn ids_and_urls(rows: &[Row]) -> Vec<(i64, Url)> {
    rows.iter()
        .filter_map(|r| {
            let url: String = r.get(1);
            Url::parse(&url).ok().map(|u| (r.get(0), u))
        })
        .collect()
}

fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// A PostgreSQL row as the frontier reads it (see [`StoredRow`]).
impl StoredRow for Row {
    fn int(&self, i: usize) -> Result<Option<i64>, FrontierError> {
        let column = self
            .columns()
            .get(i)
            .ok_or_else(|| FrontierError::Corrupt(format!("no column {i}")))?;
        Ok(match *column.type_() {
            Type::INT2 => self.try_get::<_, Option<i16>>(i)?.map(i64::from),
            Type::INT4 => self.try_get::<_, Option<i32>>(i)?.map(i64::from),
            _ => self.try_get::<_, Option<i64>>(i)?,
        })
    }

    fn text(&self, i: usize) -> Result<Option<String>, FrontierError> {
        Ok(self.try_get(i)?)
    }

    fn time(&self, i: usize) -> Result<Option<DateTime<Utc>>, FrontierError> {
        Ok(self.try_get(i)?)
    }

    fn flag(&self, i: usize) -> Result<bool, FrontierError> {
        Ok(self.try_get(i)?)
    }
}

/// 128-bit key of a URL for the in-memory cache of known URLs (as in the SQLite store).
fn url_key(url: &str) -> u128 {
    let (a, b) = super::known::url_hashes(url);
    (u128::from(a) << 64) | u128::from(b)
}

fn store_capture(
    tx: &mut Transaction<'_>,
    id: i64,
    c: &CaptureState,
) -> Result<(), TxError<FrontierError>> {
    tx.execute(
        sql::STORE_CAPTURE,
        &[
            &c.captured_at,
            &c.first_captured_at,
            &i32::from(c.status),
            &c.etag,
            &c.last_modified,
            &c.payload_digest,
            &c.record.file,
            &i64::try_from(c.record.offset).unwrap_or(i64::MAX),
            &c.record.id,
            &c.record.date,
            &c.described,
            &id,
        ],
    )?;
    Ok(())
}

/// What became of a finish call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finished {
    /// Recorded.
    Recorded,
    /// Another worker recorded it first (this worker's lease had expired): the links are
    /// still added, the outcome and capture of the first worker are kept.
    AlreadyDone,
}

/// A merged batch of URLs to add: one entry per URL (smallest depth, highest priority).
struct Batch<'a> {
    entries: Vec<(&'a NewUrl, u32, UrlKind)>,
}

impl<'a> Batch<'a> {
    fn new(urls: &'a [NewUrl]) -> Batch<'a> {
        let mut by_url: HashMap<&str, usize> = HashMap::new();
        let mut entries: Vec<(&NewUrl, u32, UrlKind)> = Vec::new();
        for u in urls {
            match by_url.get(u.url.as_str()) {
                Some(&i) => {
                    let e = &mut entries[i];
                    e.1 = e.1.min(u.depth);
                    if u.kind.priority() < e.2.priority() {
                        e.2 = u.kind;
                    }
                }
                None => {
                    by_url.insert(u.url.as_str(), entries.len());
                    entries.push((u, u.depth, u.kind));
                }
            }
        }
        // One lock order for every worker: concurrent batches do not deadlock.
        entries.sort_by(|a, b| a.0.url.as_str().cmp(b.0.url.as_str()));
        Batch { entries }
    }
}

/// Adds `urls` within `tx`; returns how many rows are new. URLs the cache knows at the
/// same or a better depth and priority cost nothing.
fn add_in(
    tx: &mut Transaction<'_>,
    known: &HashMap<u128, (u32, i16)>,
    urls: &[NewUrl],
) -> Result<usize, TxError<FrontierError>> {
    let batch = Batch::new(urls);
    let todo: Vec<&(&NewUrl, u32, UrlKind)> = batch
        .entries
        .iter()
        .filter(|(u, depth, kind)| {
            !matches!(known.get(&url_key(u.url.as_str())),
                Some(&(d, p)) if d <= *depth && i64::from(p) <= kind.priority())
        })
        .collect();
    if todo.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let url: Vec<&str> = todo.iter().map(|e| e.0.url.as_str()).collect();
    let host: Vec<&str> = todo.iter().map(|e| e.0.host.as_str()).collect();
    let site: Vec<&str> = todo.iter().map(|e| e.0.site.as_str()).collect();
    let depth: Vec<i32> = todo.iter().map(|e| to_i32(e.1)).collect();
    let kind: Vec<&str> = todo.iter().map(|e| e.2.as_str()).collect();
    let priority: Vec<i16> = todo
        .iter()
        .map(|e| i16::try_from(e.2.priority()).unwrap_or(i16::MAX))
        .collect();
    let found_on: Vec<Option<&str>> = todo
        .iter()
        .map(|e| e.0.found_on.as_ref().map(Url::as_str))
        .collect();
    // ON CONFLICT DO NOTHING locks no existing row (DO UPDATE would lock every known
    // link, and two pages finishing at once would deadlock).
    let inserted = tx.query(
        "INSERT INTO urls (url, host, site, depth, kind, priority, found_on, due_at, added_at)
         SELECT u, h, s, d, k, p, f, $8, $8
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[], $6::int2[],
                     $7::text[]) AS t(u, h, s, d, k, p, f)
         ORDER BY u
         ON CONFLICT (url) DO NOTHING
         RETURNING url",
        &[
            &url, &host, &site, &depth, &kind, &priority, &found_on, &now,
        ],
    )?;
    let new: std::collections::HashSet<String> =
        inserted.iter().map(|r| r.get::<_, String>(0)).collect();
    // Known URLs seen shallower, or with a higher priority while still pending.
    let mut known_url = Vec::new();
    let mut known_depth = Vec::new();
    let mut known_kind = Vec::new();
    let mut known_priority = Vec::new();
    for (i, u) in url.iter().enumerate() {
        if !new.contains(*u) {
            known_url.push(*u);
            known_depth.push(depth[i]);
            known_kind.push(kind[i]);
            known_priority.push(priority[i]);
        }
    }
    if !known_url.is_empty() {
        tx.execute(
            "UPDATE urls SET depth = LEAST(urls.depth, t.d),
                 kind = CASE WHEN urls.state = 'pending' AND t.p < urls.priority
                             THEN t.k ELSE urls.kind END,
                 priority = CASE WHEN urls.state = 'pending' AND t.p < urls.priority
                                 THEN t.p ELSE urls.priority END
             FROM unnest($1::text[], $2::int4[], $3::text[], $4::int2[]) AS t(u, d, k, p)
             WHERE urls.url = t.u
               AND (t.d < urls.depth OR (urls.state = 'pending' AND t.p < urls.priority))",
            &[&known_url, &known_depth, &known_kind, &known_priority],
        )?;
    }
    Ok(new.len())
}

/// The frontier in a PostgreSQL database, shared by several workers (see the module notes).
///
/// Keeps a cache of the URLs this worker has added (key → smallest depth and priority
/// written): the stored values only ever decrease, so skipping a URL the cache knows at
/// the same or a better depth is right even when other workers write too.
pub struct PostgresFrontier {
    conn: Conn,
    worker: String,
    lease: Duration,
    url: String,
    known: HashMap<u128, (u32, i16)>,
}

impl std::fmt::Debug for PostgresFrontier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresFrontier")
            .field("url", &redact_url(&self.url))
            .field("worker", &self.worker)
            .field("lease", &self.lease)
            .finish()
    }
}

impl PostgresFrontier {
    /// Connects, creates or migrates the schema. Refuses a database migrated by a newer
    /// glaneur. Does not register the worker (see [`PostgresWorker`]).
    pub fn open(options: &PostgresOptions) -> Result<Self, FrontierError> {
        let conn = connect_migrated(&options.url, &options.worker, "frontier")?;
        Ok(PostgresFrontier {
            conn,
            worker: options.worker.clone(),
            lease: options.lease,
            url: options.url.clone(),
            known: HashMap::new(),
        })
    }

    /// The worker name this frontier claims URLs for.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// The schema version of the database (the last migration applied).
    pub fn schema_version(&mut self) -> Result<i32, FrontierError> {
        Ok(schema_version_in(self.conn.client()?)?)
    }

    /// The worker holding (or that last held) the lease of `url`, and whether it is in flight.
    pub fn lease_of(&mut self, url: &Url) -> Result<Option<(String, bool)>, FrontierError> {
        let row = self.conn.client()?.query_opt(
            "SELECT worker, state = 'in_flight' FROM urls WHERE url = $1 AND worker IS NOT NULL",
            &[&url.as_str()],
        )?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Number of URLs known, in any state.
    pub fn len(&mut self) -> Result<u64, FrontierError> {
        let n: i64 = self
            .conn
            .client()?
            .query_one("SELECT count(*) FROM urls", &[])?
            .get(0);
        Ok(to_u64(n))
    }

    /// True if no URL is known.
    pub fn is_empty(&mut self) -> Result<bool, FrontierError> {
        Ok(self.len()? == 0)
    }

    fn remember(&mut self, urls: &[NewUrl]) {
        for u in urls {
            let priority = i16::try_from(u.kind.priority()).unwrap_or(i16::MAX);
            let entry = self
                .known
                .entry(url_key(u.url.as_str()))
                .or_insert((u.depth, priority));
            entry.0 = entry.0.min(u.depth);
            entry.1 = entry.1.min(priority);
        }
    }

    /// Records the outcome of `id`, tolerating a lease lost to another worker.
    fn finish_in(
        tx: &mut Transaction<'_>,
        worker: &str,
        id: i64,
        outcome: &Outcome,
    ) -> Result<Finished, TxError<FrontierError>> {
        let (state, status, tried, error): (&str, Option<i32>, i32, Option<&str>) = match outcome {
            Outcome::Fetched { status } => ("fetched", Some(i32::from(*status)), 1, None),
            Outcome::RobotsDenied => ("robots_denied", None, 0, None),
            Outcome::Failed { error } => ("failed", None, 1, Some(error.as_str())),
        };
        let set = "SET state = $2, status = COALESCE($3, status), attempts = attempts + $4,
                 last_error = COALESCE($5, last_error), finished_at = now(), worker = $6,
                 lease_until = NULL";
        let n = tx.execute(
            &format!("UPDATE urls {set} WHERE id = $1 AND state = 'in_flight' AND worker = $6"),
            &[&id, &state, &status, &tried, &error, &worker],
        )?;
        if n == 1 {
            return Ok(Finished::Recorded);
        }
        match Self::lost_lease(tx, worker, id)? {
            Lost::StillOpen => {
                tracing::warn!(
                    "URL id {id}: this worker's lease had expired; recording its outcome anyway"
                );
                tx.execute(
                    &format!(
                        "UPDATE urls {set} WHERE id = $1 AND state IN ('in_flight', 'pending')"
                    ),
                    &[&id, &state, &status, &tried, &error, &worker],
                )?;
                Ok(Finished::Recorded)
            }
            Lost::DoneByOther => Ok(Finished::AlreadyDone),
        }
    }

    /// Why `id` is not in flight for `worker`: its lease expired (and the URL is pending
    /// again, or claimed by another worker), another worker finished it, or a caller bug.
    fn lost_lease(
        tx: &mut Transaction<'_>,
        worker: &str,
        id: i64,
    ) -> Result<Lost, TxError<FrontierError>> {
        let row = tx.query_opt(
            "SELECT state, worker FROM urls WHERE id = $1 FOR UPDATE",
            &[&id],
        )?;
        let Some(row) = row else {
            return Err(TxError::Refused(FrontierError::UnknownId { id }));
        };
        let state = sql::state_of(&row.required_text(0).map_err(TxError::Refused)?)
            .map_err(TxError::Refused)?;
        let last: Option<String> = row.get(1);
        let mine = last.as_deref() == Some(worker);
        match state {
            UrlState::InFlight if !mine => Ok(Lost::StillOpen),
            UrlState::Pending if mine => Ok(Lost::StillOpen),
            UrlState::Fetched | UrlState::RobotsDenied | UrlState::Failed
                if !mine && last.is_some() =>
            {
                Ok(Lost::DoneByOther)
            }
            _ => Err(TxError::Refused(FrontierError::NotInFlight { id })),
        }
    }

    fn finish_all(&mut self, done: Completion<'_>) -> Result<usize, FrontierError> {
        let Completion {
            id,
            outcome,
            capture,
            links,
        } = done;
        let worker = self.worker.clone();
        let known = &self.known;
        let client = self.conn.client()?;
        let added = in_transaction(client, |tx| {
            let finished = Self::finish_in(tx, &worker, id, outcome)?;
            if let (Some(c), Finished::Recorded) = (capture, finished) {
                store_capture(tx, id, c)?;
            }
            add_in(tx, known, links)
        })?;
        self.remember(links);
        Ok(added)
    }
}

impl sql::Queries for PostgresFrontier {
    fn counts(&mut self, sql: &'static str) -> Result<Vec<(String, String, u64)>, FrontierError> {
        let rows = self.conn.client()?.query(sql, &[])?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.required_text(0)?,
                    r.required_text(1)?,
                    to_u64(r.required_int(2)?),
                ))
            })
            .collect()
    }

    fn row_by_key<T>(&mut self, query: sql::ByKey<'_, T>) -> Result<Option<T>, FrontierError> {
        let row = self.conn.client()?.query_opt(query.sql, &[&query.key])?;
        row.map(|r| (query.read)(&r)).transpose()
    }

    fn execute_texts(&mut self, sql: &'static str, params: &[&str]) -> Result<(), FrontierError> {
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|p| p as &(dyn postgres::types::ToSql + Sync))
            .collect();
        self.conn.client()?.execute(sql, &params)?;
        Ok(())
    }
}

/// See [`PostgresFrontier::lost_lease`].
enum Lost {
    StillOpen,
    DoneByOther,
}

/// Reschedules the URLs of `recheck` within `tx` (as [`Frontier::reschedule`]).
fn reschedule_in(
    tx: &mut Transaction<'_>,
    recheck: &Recheck,
) -> Result<u64, TxError<FrontierError>> {
    Ok(tx.execute(
        "UPDATE urls SET state = 'pending', due_at = $2, attempts = 0, last_error = NULL
         WHERE site = $1 AND state IN ('fetched', 'failed') AND (
            kind IN ('start', 'other')
            OR COALESCE(cap_at, finished_at, 'epoch'::timestamptz) <= $3
            OR COALESCE(first_cap_at, added_at) >= $4)",
        &[
            &recheck.site,
            &recheck.now,
            &recheck.captured_before,
            &recheck.first_captured_after,
        ],
    )?)
}

impl Frontier for PostgresFrontier {
    fn add(&mut self, urls: &[NewUrl]) -> Result<usize, FrontierError> {
        if urls.is_empty() {
            return Ok(0);
        }
        let known = &self.known;
        let added = in_transaction(self.conn.client()?, |tx| add_in(tx, known, urls))?;
        self.remember(urls);
        Ok(added)
    }

    /// Hosts with a due pending URL: one index probe per host (a skip scan).
    fn ready_hosts(&mut self, now: DateTime<Utc>) -> Result<Vec<String>, FrontierError> {
        let rows = self.conn.client()?.query(
            "WITH RECURSIVE h(host) AS (
                     SELECT min(host) FROM urls WHERE state = 'pending'
                     UNION ALL
                     SELECT (SELECT min(u.host) FROM urls u
                             WHERE u.state = 'pending' AND u.host > h.host)
                     FROM h WHERE h.host IS NOT NULL)
                 SELECT host FROM h WHERE host IS NOT NULL AND EXISTS (
                     SELECT 1 FROM urls u
                     WHERE u.state = 'pending' AND u.host = h.host AND u.due_at <= $1)",
            &[&now],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// The earliest due time of a pending URL, or, while other workers hold URLs in
    /// flight (whose pages may queue more, or whose leases may expire), a time shortly
    /// after now: a worker does not end while others may still hand it work.
    fn next_due(&mut self) -> Result<Option<DateTime<Utc>>, FrontierError> {
        let row = self.conn.client()?.query_one(
            "SELECT (SELECT min(due_at) FROM urls WHERE state = 'pending'),
                        EXISTS (SELECT 1 FROM urls WHERE state = 'in_flight'
                                AND worker IS DISTINCT FROM $1)",
            &[&self.worker],
        )?;
        let due: Option<DateTime<Utc>> = row.get(0);
        let others: bool = row.get(1);
        let soon = Utc::now() + chrono::Duration::milliseconds(250);
        Ok(match (due, others) {
            (Some(due), true) => Some(due.min(soon)),
            (Some(due), false) => Some(due),
            (None, true) => Some(soon),
            (None, false) => None,
        })
    }

    /// Claims with `FOR UPDATE SKIP LOCKED`: rows another worker is claiming are skipped,
    /// never waited for nor handed out twice. Each claimed row gets this worker's lease.
    fn claim_due(&mut self, host: &str, now: DateTime<Utc>, limit: i64) -> Claimed {
        let lease = millis(self.lease);
        let rows = self
            .conn
            .client()?
            .query(CLAIM, &[&host, &now, &limit, &self.worker, &lease])?;
        let mut claimed = Vec::with_capacity(rows.len());
        let mut order = Vec::with_capacity(rows.len());
        for r in &rows {
            let url = sql::claimed_url(r, host)?;
            let priority: i16 = r.try_get(17)?;
            order.push((priority, url.depth, url.id));
            claimed.push(url);
        }
        // RETURNING does not keep the subquery's order.
        let mut paired: Vec<_> = order.into_iter().zip(claimed).collect();
        paired.sort_by_key(|(key, _)| *key);
        Ok(paired.into_iter().map(|(_, c)| c).collect())
    }

    fn complete(&mut self, done: Completion<'_>) -> Result<usize, FrontierError> {
        self.finish_all(done)
    }

    fn reschedule(&mut self, recheck: &Recheck) -> Result<u64, FrontierError> {
        in_transaction(self.conn.client()?, |tx| reschedule_in(tx, recheck))
    }

    fn recheck_if_older(
        &mut self,
        urls: &[(Url, DateTime<Utc>)],
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError> {
        let mut sorted: Vec<&(Url, DateTime<Utc>)> = urls.iter().collect();
        if sorted.is_empty() {
            return Ok(0);
        }
        sorted.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let list: Vec<&str> = sorted.iter().map(|(u, _)| u.as_str()).collect();
        let changed: Vec<DateTime<Utc>> = sorted.iter().map(|(_, t)| *t).collect();
        in_transaction(self.conn.client()?, |tx| {
            Ok(tx.execute(
                "UPDATE urls SET state = 'pending', due_at = $3, attempts = 0
                 FROM unnest($1::text[], $2::timestamptz[]) AS t(u, changed)
                 WHERE urls.url = t.u AND urls.state = 'fetched'
                   AND COALESCE(urls.cap_at, urls.finished_at, 'epoch'::timestamptz) < t.changed",
                &[&list, &changed, &now],
            )?)
        })
    }

    fn retry_at(&mut self, id: i64, at: DateTime<Utc>, error: &str) -> Result<(), FrontierError> {
        let worker = self.worker.clone();
        in_transaction(self.conn.client()?, |tx| {
            let n = tx.execute(
                "UPDATE urls SET state = 'pending', due_at = $2, last_error = $3,
                     attempts = attempts + 1, lease_until = NULL
                 WHERE id = $1 AND state = 'in_flight' AND worker = $4",
                &[&id, &at, &error, &worker],
            )?;
            if n == 0 {
                // Lost to another worker (or already pending again): nothing to do.
                Self::lost_lease(tx, &worker, id)?;
                tracing::warn!("URL id {id}: this worker's lease had expired; retry not recorded");
            }
            Ok(())
        })
    }

    /// This worker's URLs in flight, and those whose lease expired (a dead worker's).
    fn in_flight(&mut self) -> Result<Vec<(i64, Url)>, FrontierError> {
        let rows = self.conn.client()?.query(
            "SELECT id, url FROM urls WHERE state = 'in_flight'
                 AND (worker = $1 OR lease_until < clock_timestamp())",
            &[&self.worker],
        )?;
        Ok(ids_and_urls(&rows))
    }

    fn set_capture(&mut self, id: i64, capture: &CaptureState) -> Result<(), FrontierError> {
        in_transaction(self.conn.client()?, |tx| store_capture(tx, id, capture))
    }

    fn requeue_lost(
        &mut self,
        lost: &super::LostRecords,
        now: DateTime<Utc>,
    ) -> Result<u64, FrontierError> {
        in_transaction(self.conn.client()?, |tx| {
            let mut n = 0;
            for &(start, end) in &lost.ranges {
                let start = i64::try_from(start).unwrap_or(i64::MAX);
                let end = i64::try_from(end).unwrap_or(i64::MAX);
                n += tx.execute(
                    "UPDATE urls SET
                         state = CASE WHEN state = 'in_flight' THEN state ELSE 'pending' END,
                         due_at = $4, attempts = 0, last_error = NULL, cap_at = NULL,
                         cap_status = NULL, etag = NULL, last_modified = NULL,
                         payload_digest = NULL, rec_file = NULL, rec_offset = NULL,
                         rec_id = NULL, rec_date = NULL, described = TRUE
                     WHERE rec_file = $1 AND rec_offset >= $2 AND rec_offset < $3",
                    &[&lost.file, &start, &end, &now],
                )?;
            }
            for id in &lost.undescribed {
                n += tx.execute(
                    "UPDATE urls SET
                         state = CASE WHEN state = 'in_flight' THEN state ELSE 'pending' END,
                         due_at = $2, attempts = 0, last_error = NULL, etag = NULL,
                         last_modified = NULL, described = FALSE
                     WHERE rec_id = $1",
                    &[id, &now],
                )?;
            }
            Ok(n)
        })
    }

    /// Puts back to pending this worker's URLs in flight and those whose lease expired;
    /// the URLs other live workers are fetching are left alone.
    fn recover_in_flight(&mut self) -> Result<u64, FrontierError> {
        let worker = self.worker.clone();
        in_transaction(self.conn.client()?, |tx| {
            Ok(tx.execute(
                "UPDATE urls SET state = 'pending', lease_until = NULL
                 WHERE state = 'in_flight' AND (worker = $1 OR lease_until < clock_timestamp())",
                &[&worker],
            )?)
        })
    }

    sql::shared_queries!();

    /// In one transaction under an advisory lock, so that workers starting at once
    /// reschedule an incremental pass once.
    fn begin_run(&mut self, rechecks: &[Recheck], seeds: &[NewUrl]) -> Result<u64, FrontierError> {
        let known = &self.known;
        let n = in_transaction(self.conn.client()?, |tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&(ADVISORY_KEY + 1)])?;
            let row = tx.query_one(
                "SELECT EXISTS (SELECT 1 FROM urls WHERE state IN ('pending', 'in_flight'))",
                &[],
            )?;
            let resuming: bool = row.get(0);
            let mut n = 0;
            if !resuming {
                for recheck in rechecks {
                    n += reschedule_in(tx, recheck)?;
                }
            }
            add_in(tx, known, seeds)?;
            Ok(n)
        })?;
        self.remember(seeds);
        Ok(n)
    }
}
