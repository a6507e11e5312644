//! The politeness budget and robots.txt store shared by the workers of a PostgreSQL state
//! (tables `host_budget`, `host_slots` and `robots`: see [`crate::store::postgres`]).

use std::sync::Mutex;
use std::time::Duration;

use postgres::Client;
use url::Url;

use super::{RobotsClaim, SharedPoliteness, SharedStoreError, SlotGrant, SlotLimits, StoredRobots};
use crate::store::postgres::{
    Conn, PostgresOptions, StoreError, connect_migrated, lease_ms, millis,
};

fn store_err(e: postgres::Error) -> SharedStoreError {
    SharedStoreError(e.to_string())
}

/// The shared politeness budget and robots.txt store in PostgreSQL (see
/// [`crate::politeness::SharedPoliteness`]). Its own connection, behind a mutex.
pub struct PostgresPoliteness {
    conn: Mutex<Conn>,
    worker: String,
    lease: Duration,
}

impl std::fmt::Debug for PostgresPoliteness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresPoliteness")
            .field("worker", &self.worker)
            .finish()
    }
}

impl PostgresPoliteness {
    /// Connects (and migrates) for `options.worker`.
    pub fn open(options: &PostgresOptions) -> Result<Self, StoreError> {
        Ok(PostgresPoliteness {
            conn: Mutex::new(connect_migrated(
                &options.url,
                &options.worker,
                "politeness",
            )?),
            worker: options.worker.clone(),
            lease: options.lease,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, SharedStoreError> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| SharedStoreError("connection lock poisoned".into()))?;
        let client = conn.client().map_err(|e| SharedStoreError(e.to_string()))?;
        f(client).map_err(store_err)
    }
}

fn parse_stored(
    verdict: Option<String>,
    body: Option<Vec<u8>>,
    base: Option<String>,
    reason: Option<String>,
) -> Option<StoredRobots> {
    match verdict.as_deref()? {
        "allow" => Some(StoredRobots::AllowAll),
        "disallow" => Some(StoredRobots::DisallowAll {
            reason: reason.unwrap_or_else(|| "robots.txt disallows everything".into()),
        }),
        "unavailable" => Some(StoredRobots::Unavailable {
            reason: reason.unwrap_or_else(|| "robots.txt unavailable".into()),
        }),
        "body" => Some(StoredRobots::Body {
            base: Url::parse(base.as_deref()?).ok()?,
            body: body.unwrap_or_default(),
        }),
        _ => None,
    }
}

impl SharedPoliteness for PostgresPoliteness {
    fn try_acquire(&self, host: &str, limits: &SlotLimits) -> Result<SlotGrant, SharedStoreError> {
        let interval = millis(limits.interval);
        let burst = i32::try_from(limits.burst).unwrap_or(i32::MAX);
        let cap = i32::try_from(limits.max_concurrent).unwrap_or(i32::MAX);
        let lease = lease_ms(self.lease);
        let row = self.with(|c| {
            c.query_one(
                "SELECT slot_id, wait_ms FROM glaneur_acquire_slot($1, $2, $3, $4, $5, $6)",
                &[&host, &self.worker, &interval, &burst, &cap, &lease],
            )
        })?;
        let slot: Option<i64> = row.get(0);
        let wait: f64 = row.get(1);
        Ok(match slot {
            Some(slot) => SlotGrant::Granted(slot),
            None if wait < 0.0 => SlotGrant::AtCapacity,
            None => SlotGrant::Wait(Duration::from_secs_f64(wait.min(3.6e6) / 1000.0)),
        })
    }

    fn release(&self, slot: i64) -> Result<(), SharedStoreError> {
        self.with(|c| c.execute("DELETE FROM host_slots WHERE id = $1", &[&slot]))?;
        Ok(())
    }

    fn pause(&self, host: &str, delay: Duration) -> Result<(), SharedStoreError> {
        let ms = millis(delay);
        self.with(|c| {
            c.execute(
                "INSERT INTO host_budget (host, paused_until)
                 VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
                 ON CONFLICT (host) DO UPDATE SET paused_until =
                     GREATEST(host_budget.paused_until, excluded.paused_until)",
                &[&host, &ms],
            )
        })?;
        Ok(())
    }

    fn set_min_delay(&self, host: &str, delay: Duration) -> Result<(), SharedStoreError> {
        let ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
        self.with(|c| {
            c.execute(
                "INSERT INTO host_budget (host, min_delay_ms) VALUES ($1, $2)
                 ON CONFLICT (host) DO UPDATE SET min_delay_ms =
                     GREATEST(host_budget.min_delay_ms, excluded.min_delay_ms)",
                &[&host, &ms],
            )
        })?;
        Ok(())
    }

    fn robots(
        &self,
        origin: &str,
        max_age: Duration,
        unavailable_max_age: Duration,
    ) -> Result<RobotsClaim, SharedStoreError> {
        let max_age_ms = millis(max_age);
        let unavailable_ms = millis(unavailable_max_age);
        let lease = millis(self.lease);
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute(
                "INSERT INTO robots (origin) VALUES ($1) ON CONFLICT (origin) DO NOTHING",
                &[&origin],
            )?;
            let r = tx.query_one(
                "SELECT verdict, body, base_url, reason,
                     EXTRACT(EPOCH FROM clock_timestamp() - fetched_at)::float8 * 1000,
                     fetcher IS NOT NULL AND fetcher <> $2
                         AND fetch_lease_until > clock_timestamp()
                 FROM robots WHERE origin = $1 FOR UPDATE",
                &[&origin, &self.worker],
            )?;
            let stored = parse_stored(r.get(0), r.get(1), r.get(2), r.get(3));
            let age_ms: Option<f64> = r.get(4);
            let other_fetching: bool = r.get(5);
            let fresh_for = |r: &StoredRobots| match r {
                StoredRobots::Unavailable { .. } => unavailable_ms,
                _ => max_age_ms,
            };
            let claim = match (stored, age_ms) {
                (Some(robots), Some(age)) if age < fresh_for(&robots) => RobotsClaim::Fresh {
                    robots,
                    age: Duration::from_secs_f64(age.max(0.0) / 1000.0),
                },
                _ if other_fetching => RobotsClaim::Wait,
                _ => {
                    tx.execute(
                        "UPDATE robots SET fetcher = $2,
                             fetch_lease_until = clock_timestamp() + $3 * interval '1 millisecond'
                         WHERE origin = $1",
                        &[&origin, &self.worker, &lease],
                    )?;
                    RobotsClaim::Fetch
                }
            };
            tx.commit()?;
            Ok(claim)
        })
    }

    fn store_robots(&self, origin: &str, robots: &StoredRobots) -> Result<(), SharedStoreError> {
        let (verdict, body, base, reason): (&str, Option<&[u8]>, Option<&str>, Option<&str>) =
            match robots {
                StoredRobots::AllowAll => ("allow", None, None, None),
                StoredRobots::DisallowAll { reason } => {
                    ("disallow", None, None, Some(reason.as_str()))
                }
                StoredRobots::Unavailable { reason } => {
                    ("unavailable", None, None, Some(reason.as_str()))
                }
                StoredRobots::Body { base, body } => {
                    ("body", Some(body.as_slice()), Some(base.as_str()), None)
                }
            };
        self.with(|c| {
            c.execute(
                "INSERT INTO robots (origin, verdict, body, base_url, reason, fetched_at)
                 VALUES ($1, $2, $3, $4, $5, clock_timestamp())
                 ON CONFLICT (origin) DO UPDATE SET verdict = excluded.verdict,
                     body = excluded.body, base_url = excluded.base_url,
                     reason = excluded.reason, fetched_at = excluded.fetched_at,
                     fetcher = NULL, fetch_lease_until = NULL",
                &[&origin, &verdict, &body, &base, &reason],
            )
        })?;
        Ok(())
    }
}
