//! The registry of the workers sharing a PostgreSQL frontier: registration, heartbeat and
//! lease renewal, the care of dead workers, and the report of `glaneur workers`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::sql::{self, StoredRow, to_u64};
use super::{FrontierError, FrontierStats};
use crate::store::postgres::{
    Conn, PostgresOptions, StoreError, connect_migrated, in_transaction, lease_ms, millis,
    redact_url,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    /// Host name of the machine.
    pub hostname: String,
    /// Process id.
    pub pid: u32,
    /// The archive directory it writes to (as given).
    pub archive: String,
}

impl WorkerInfo {
    /// This process, writing to `archive`.
    pub fn this_process(archive: &std::path::Path) -> WorkerInfo {
        WorkerInfo {
            hostname: gethostname::gethostname().to_string_lossy().into_owned(),
            pid: std::process::id(),
            archive: archive.display().to_string(),
        }
    }
}

/// A worker of the registry, as `glaneur workers` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkerStatus {
    /// Worker name.
    pub name: String,
    /// Machine.
    pub hostname: String,
    /// Process id.
    pub pid: u32,
    /// Archive directory.
    pub archive: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub heartbeat_at: DateTime<Utc>,
    /// Seconds since its last heartbeat (database clock).
    pub heartbeat_age_secs: f64,
    /// Its lease length in seconds.
    pub lease_secs: f64,
    /// Alive: not stopped, heartbeat within its lease.
    pub live: bool,
    /// When it stopped (or was declared dead), and why.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Why it stopped.
    pub stop_reason: Option<String>,
    /// URLs it holds in flight.
    pub leases: u64,
    /// Request slots it holds.
    pub slots: u64,
    /// Pages archived by its current run.
    pub pages: u64,
    /// Pages per second over about the last minute.
    pub rate: f64,
}

/// One host's queue, as `glaneur workers` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HostQueue {
    /// Host key.
    pub host: String,
    /// Pending URLs.
    pub pending: u64,
    /// Pending URLs due now.
    pub due: u64,
    /// URLs in flight.
    pub in_flight: u64,
    /// URLs fetched.
    pub fetched: u64,
    /// Request slots held now (over all workers).
    pub slots: u64,
    /// Seconds until its shared rate allows the next request (0: now).
    pub next_request_in_secs: f64,
    /// Seconds until a pause (Retry-After, backoff) ends, if paused.
    pub paused_for_secs: Option<f64>,
}

/// Everything `glaneur workers` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkersReport {
    /// Database schema version.
    pub schema_version: i32,
    /// Every registered worker, live ones first.
    pub workers: Vec<WorkerStatus>,
    /// Hosts with URLs not yet fetched, longest queues first.
    pub hosts: Vec<HostQueue>,
    /// Frontier counts.
    pub pending: u64,
    /// URLs in flight.
    pub in_flight: u64,
    /// URLs fetched.
    pub fetched: u64,
    /// URLs given up.
    pub failed: u64,
    /// URLs denied by robots.txt.
    pub robots_denied: u64,
}

/// Another live worker already has this name.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A live worker has the name.
    #[error(
        "a live worker is already named {name:?} (pid {pid} on {hostname}, last heartbeat {age:.1}s ago): give each worker its own --worker name, or wait {wait:.0}s for its lease to expire"
    )]
    NameTaken {
        /// The name.
        name: String,
        /// Its machine.
        hostname: String,
        /// Its pid.
        pid: u32,
        /// Seconds since its heartbeat.
        age: f64,
        /// Seconds until it counts as dead.
        wait: f64,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] FrontierError),
}

/// The result of a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Leases renewed.
    Alive,
    /// Another worker declared this one dead (its heartbeat was too late) and handed its
    /// work out: it must stop.
    Evicted,
}

/// A worker's registration: heartbeat, lease renewal, and the handling of dead workers.
/// Uses its own connection, so heartbeats never queue behind frontier calls.
pub struct PostgresWorker {
    conn: Conn,
    name: String,
    instance: String,
    lease: Duration,
}

impl std::fmt::Debug for PostgresWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresWorker")
            .field("name", &self.name)
            .field("lease", &self.lease)
            .finish()
    }
}

/// True if process `pid` runs on this machine (Linux: `/proc`; elsewhere: assumed).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

impl PostgresWorker {
    /// Connects and registers `options.worker`. Refuses a name held by a live worker: one
    /// whose heartbeat is within its lease, unless it was a process of this machine that
    /// is gone (a crashed run restarted at once under the same name).
    pub fn register(options: &PostgresOptions, info: &WorkerInfo) -> Result<Self, RegisterError> {
        let mut conn = connect_migrated(&options.url, &options.worker, "worker")
            .map_err(FrontierError::from)?;
        let instance = uuid::Uuid::new_v4().to_string();
        let name = options.worker.clone();
        let lease = lease_ms(options.lease);
        let client = conn.client().map_err(FrontierError::from)?;
        let taken = in_transaction::<_, FrontierError>(client, |tx| {
            let row = tx.query_opt(
                "SELECT hostname, pid, stopped_at IS NULL
                     AND heartbeat_at + lease_ms * interval '1 millisecond' > clock_timestamp(),
                     EXTRACT(EPOCH FROM clock_timestamp() - heartbeat_at)::float8,
                     lease_ms
                 FROM workers WHERE name = $1 FOR UPDATE",
                &[&name],
            )?;
            if let Some(row) = row {
                let hostname: String = row.get(0);
                let pid = u32::try_from(row.get::<_, i64>(1)).unwrap_or(0);
                let live: bool = row.get(2);
                let age: f64 = row.get(3);
                let their_lease: i64 = row.get(4);
                let gone_here =
                    hostname == info.hostname && (pid == info.pid || !process_alive(pid));
                if live && !gone_here {
                    return Ok(Some(RegisterError::NameTaken {
                        name: name.clone(),
                        hostname,
                        pid,
                        age,
                        wait: (their_lease as f64 / 1000.0 - age).max(0.0),
                    }));
                }
            }
            tx.execute(
                "INSERT INTO workers (name, instance, hostname, pid, archive, started_at,
                     heartbeat_at, lease_ms, stopped_at, stop_reason, pages, rate)
                 VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp(), $6,
                     NULL, NULL, 0, 0)
                 ON CONFLICT (name) DO UPDATE SET instance = excluded.instance,
                     hostname = excluded.hostname, pid = excluded.pid,
                     archive = excluded.archive, started_at = excluded.started_at,
                     heartbeat_at = excluded.heartbeat_at, lease_ms = excluded.lease_ms,
                     stopped_at = NULL, stop_reason = NULL, pages = 0, rate = 0",
                &[
                    &name,
                    &instance,
                    &info.hostname,
                    &i64::from(info.pid),
                    &info.archive,
                    &lease,
                ],
            )?;
            Ok(None)
        })?;
        if let Some(error) = taken {
            return Err(error);
        }
        Ok(PostgresWorker {
            conn,
            name: options.worker.clone(),
            instance,
            lease: options.lease,
        })
    }

    /// This worker's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How often to call [`PostgresWorker::heartbeat`]: a quarter of the lease.
    pub fn heartbeat_interval(&self) -> Duration {
        (self.lease / 4).max(Duration::from_millis(50))
    }

    /// The lease length.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Renews this worker's leases (URLs in flight, request slots, a robots.txt fetch) and
    /// records its progress. [`Beat::Evicted`] if it was declared dead meanwhile.
    pub fn heartbeat(&mut self, pages: u64, rate: f64) -> Result<Beat, FrontierError> {
        let name = self.name.clone();
        let instance = self.instance.clone();
        let lease = millis(self.lease);
        let pages = i64::try_from(pages).unwrap_or(i64::MAX);
        in_transaction(self.conn.client()?, |tx| {
            let n = tx.execute(
                "UPDATE workers SET heartbeat_at = clock_timestamp(), pages = $3, rate = $4
                 WHERE name = $1 AND instance = $2 AND stopped_at IS NULL",
                &[&name, &instance, &pages, &rate],
            )?;
            if n == 0 {
                return Ok(Beat::Evicted);
            }
            let until = "clock_timestamp() + $2 * interval '1 millisecond'";
            tx.execute(
                &format!(
                    "UPDATE urls SET lease_until = {until}
                     WHERE state = 'in_flight' AND worker = $1"
                ),
                &[&name, &lease],
            )?;
            tx.execute(
                &format!("UPDATE host_slots SET lease_until = {until} WHERE worker = $1"),
                &[&name, &lease],
            )?;
            tx.execute(
                &format!(
                    "UPDATE robots SET fetch_lease_until = {until}
                     WHERE fetcher = $1 AND fetch_lease_until IS NOT NULL"
                ),
                &[&name, &lease],
            )?;
            Ok(Beat::Alive)
        })
    }

    /// Workers whose heartbeat is older than their lease, not yet retired (other than this one).
    pub fn stale_workers(&mut self) -> Result<Vec<String>, FrontierError> {
        let rows = self.conn.client()?.query(
            "SELECT name FROM workers WHERE stopped_at IS NULL AND name <> $1
                   AND heartbeat_at + lease_ms * interval '1 millisecond' < clock_timestamp()",
            &[&self.name],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    /// Declares dead the workers whose heartbeat is older than their lease, puts their URLs
    /// in flight back to pending and frees their slots; then puts back any other URL
    /// whose lease expired. Returns the workers retired and the URLs put back.
    pub fn retire_dead(&mut self) -> Result<(Vec<String>, u64), FrontierError> {
        let me = self.name.clone();
        in_transaction(self.conn.client()?, |tx| {
            let dead: Vec<String> = tx
                .query(
                    "UPDATE workers SET stopped_at = clock_timestamp(),
                         stop_reason = 'no heartbeat within its lease; work handed out by ' || $1
                     WHERE stopped_at IS NULL AND name <> $1
                       AND heartbeat_at + lease_ms * interval '1 millisecond' < clock_timestamp()
                     RETURNING name",
                    &[&me],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let mut n = 0;
            if !dead.is_empty() {
                n += tx.execute(
                    "UPDATE urls SET state = 'pending', lease_until = NULL
                     WHERE state = 'in_flight' AND worker = ANY($1)",
                    &[&dead],
                )?;
                tx.execute("DELETE FROM host_slots WHERE worker = ANY($1)", &[&dead])?;
                tx.execute(
                    "UPDATE robots SET fetcher = NULL, fetch_lease_until = NULL
                     WHERE fetcher = ANY($1)",
                    &[&dead],
                )?;
            }
            n += tx.execute(
                "UPDATE urls SET state = 'pending', lease_until = NULL
                 WHERE id IN (SELECT id FROM urls
                              WHERE state = 'in_flight' AND lease_until < clock_timestamp()
                              FOR UPDATE SKIP LOCKED)",
                &[],
            )?;
            // The registry keeps stopped workers a week (`glaneur workers --all`).
            tx.execute(
                "DELETE FROM workers WHERE stopped_at < clock_timestamp() - interval '7 days'",
                &[],
            )?;
            Ok((dead, n))
        })
    }

    /// What the registry says of worker `name`: its machine, and whether it is live (not
    /// stopped, heartbeat within its lease). `None` if unknown.
    pub fn peer(&mut self, name: &str) -> Result<Option<(String, bool)>, FrontierError> {
        let row = self.conn.client()?.query_opt(
            "SELECT hostname, stopped_at IS NULL
                     AND heartbeat_at + lease_ms * interval '1 millisecond' > clock_timestamp()
                 FROM workers WHERE name = $1",
            &[&name],
        )?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// The URLs worker `name` holds in flight (row id and URL).
    pub fn in_flight_of(&mut self, name: &str) -> Result<Vec<(i64, Url)>, FrontierError> {
        let rows = self.conn.client()?.query(
            "SELECT id, url FROM urls WHERE state = 'in_flight' AND worker = $1",
            &[&name],
        )?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let url: String = r.get(1);
                Url::parse(&url).ok().map(|u| (r.get(0), u))
            })
            .collect())
    }

    /// Declares worker `name` dead now (its process is known to be gone: its lock on an
    /// archive directory of this machine was free) and hands its work out at once, without
    /// waiting for its leases to expire. Returns the URLs put back to pending.
    pub fn retire(&mut self, name: &str) -> Result<u64, FrontierError> {
        let me = self.name.clone();
        let name = name.to_string();
        in_transaction(self.conn.client()?, |tx| {
            tx.execute(
                "UPDATE workers SET stopped_at = clock_timestamp(),
                     stop_reason = 'process gone; work handed out by ' || $2
                 WHERE name = $1 AND stopped_at IS NULL",
                &[&name, &me],
            )?;
            let n = tx.execute(
                "UPDATE urls SET state = 'pending', lease_until = NULL
                 WHERE state = 'in_flight' AND worker = $1",
                &[&name],
            )?;
            tx.execute("DELETE FROM host_slots WHERE worker = $1", &[&name])?;
            tx.execute(
                "UPDATE robots SET fetcher = NULL, fetch_lease_until = NULL WHERE fetcher = $1",
                &[&name],
            )?;
            Ok(n)
        })
    }

    /// Ends this worker's registration: its URLs in flight go back to pending (a stopped
    /// run leaves some claimed), its slots are freed.
    pub fn unregister(&mut self, reason: &str) -> Result<u64, FrontierError> {
        let name = self.name.clone();
        let instance = self.instance.clone();
        in_transaction(self.conn.client()?, |tx| {
            let n = tx.execute(
                "UPDATE urls SET state = 'pending', lease_until = NULL
                 WHERE state = 'in_flight' AND worker = $1",
                &[&name],
            )?;
            tx.execute("DELETE FROM host_slots WHERE worker = $1", &[&name])?;
            tx.execute(
                "UPDATE robots SET fetcher = NULL, fetch_lease_until = NULL WHERE fetcher = $1",
                &[&name],
            )?;
            tx.execute(
                "UPDATE workers SET stopped_at = clock_timestamp(), stop_reason = $3
                 WHERE name = $1 AND instance = $2",
                &[&name, &instance, &reason],
            )?;
            Ok(n)
        })
    }
}

/// Reads the registry and the queues for `glaneur workers`.
pub fn workers_report(url: &str) -> Result<WorkersReport, FrontierError> {
    let mut conn = Conn::connect(url, "report", "workers")?;
    let client = conn.client()?;
    let version: Option<i32> = client
        .query_one(
            "SELECT CASE WHEN to_regclass('glaneur_migrations') IS NULL THEN NULL
                    ELSE (SELECT max(version) FROM glaneur_migrations) END",
            &[],
        )?
        .get(0);
    let Some(schema_version) = version else {
        return Err(StoreError::NotACrawl {
            url: redact_url(url),
        }
        .into());
    };
    let workers = client
        .query(
            "SELECT w.name, w.hostname, w.pid, w.archive, w.started_at, w.heartbeat_at,
                 EXTRACT(EPOCH FROM clock_timestamp() - w.heartbeat_at)::float8,
                 w.lease_ms, w.stopped_at, w.stop_reason, w.pages, w.rate,
                 (SELECT count(*) FROM urls u WHERE u.state = 'in_flight' AND u.worker = w.name),
                 (SELECT count(*) FROM host_slots s
                  WHERE s.worker = w.name AND s.lease_until > clock_timestamp())
             FROM workers w ORDER BY w.name",
            &[],
        )?
        .iter()
        .map(|r| {
            let age: f64 = r.get(6);
            let lease_ms: i64 = r.get(7);
            let stopped_at: Option<DateTime<Utc>> = r.get(8);
            WorkerStatus {
                name: r.get(0),
                hostname: r.get(1),
                pid: u32::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                archive: r.get(3),
                started_at: r.get(4),
                heartbeat_at: r.get(5),
                heartbeat_age_secs: age,
                lease_secs: lease_ms as f64 / 1000.0,
                live: stopped_at.is_none() && age * 1000.0 < lease_ms as f64,
                stopped_at,
                stop_reason: r.get(9),
                leases: to_u64(r.get(12)),
                slots: to_u64(r.get(13)),
                pages: to_u64(r.get(10)),
                rate: r.get(11),
            }
        })
        .collect::<Vec<_>>();
    let mut workers = workers;
    workers.sort_by(|a, b| b.live.cmp(&a.live).then_with(|| a.name.cmp(&b.name)));
    let hosts = client
        .query(
            "WITH q AS (
                 SELECT host,
                     count(*) FILTER (WHERE state = 'pending') AS pending,
                     count(*) FILTER (WHERE state = 'pending' AND due_at <= now()) AS due,
                     count(*) FILTER (WHERE state = 'in_flight') AS in_flight,
                     count(*) FILTER (WHERE state = 'fetched') AS fetched
                 FROM urls GROUP BY host)
             SELECT q.host, q.pending, q.due, q.in_flight, q.fetched,
                 (SELECT count(*) FROM host_slots s
                  WHERE s.host = q.host AND s.lease_until > clock_timestamp()),
                 GREATEST(EXTRACT(EPOCH FROM b.tat - clock_timestamp())::float8, 0),
                 CASE WHEN b.paused_until > clock_timestamp()
                      THEN EXTRACT(EPOCH FROM b.paused_until - clock_timestamp())::float8 END
             FROM q LEFT JOIN host_budget b ON b.host = q.host
             WHERE q.pending + q.in_flight > 0
             ORDER BY q.pending DESC, q.host",
            &[],
        )?
        .iter()
        .map(|r| HostQueue {
            host: r.get(0),
            pending: to_u64(r.get(1)),
            due: to_u64(r.get(2)),
            in_flight: to_u64(r.get(3)),
            fetched: to_u64(r.get(4)),
            slots: to_u64(r.get(5)),
            next_request_in_secs: r.get::<_, Option<f64>>(6).unwrap_or(0.0),
            paused_for_secs: r.get(7),
        })
        .collect();
    let mut stats = FrontierStats::default();
    for r in client.query(sql::COUNT_BY_STATE, &[])? {
        stats.add(sql::state_of(&r.required_text(0)?)?, to_u64(r.get(2)));
    }
    Ok(WorkersReport {
        schema_version,
        workers,
        hosts,
        pending: stats.pending,
        in_flight: stats.in_flight,
        fetched: stats.fetched,
        failed: stats.failed,
        robots_denied: stats.robots_denied,
    })
}
