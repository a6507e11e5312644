//! The requests of rendered pages (their requisites: scripts, JSON calls, images, frames),
//! fetched and archived as pages are: robots.txt, the host's rate and concurrency, the
//! SSRF guard and limits; a `revisit` record (identical payload digest) when unchanged
//! since its last capture, in this run or an earlier one; a 429 or 503 pauses the host
//! for every request (its `Retry-After`, else a short backoff).
//!
//! Requisites are not URLs of the frontier: the last capture of each is kept in a SQLite
//! file of the archive folder, `requisites.sqlite` (one row per URL, written after its
//! record), which the revisits of the next run refer to.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use url::Url;

use super::capture_state::capture_state;
use super::retry::asked_delay;
use super::{Shared, Written, robots};
use crate::capture::Capture;
use crate::fetch::FetchRequest;
use crate::frontier::{CaptureState, ClaimedUrl, StoredRecord, UrlKind};
use crate::politeness::{RobotsRules, backoff_delay};
use crate::render::page_requisites::{REQUISITE_FIELDS_TYPE, requisite_fields};
use crate::urls;
use crate::warc::RevisitOf;

/// File name of the store of the requisites' last captures, in the archive folder.
pub const STORE_FILE: &str = "requisites.sqlite";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS requisites (
    url            TEXT PRIMARY KEY,
    captured_at    INTEGER NOT NULL,
    first_at       INTEGER NOT NULL,
    status         INTEGER NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    payload_digest TEXT NOT NULL,
    rec_file       TEXT NOT NULL,
    rec_offset     INTEGER NOT NULL,
    rec_id         TEXT NOT NULL,
    rec_date       INTEGER NOT NULL
) WITHOUT ROWID;
";

/// The last capture of each requisite (see the module notes), opened on first use.
pub(super) struct RequisiteStore {
    archive_dir: PathBuf,
    connection: Mutex<Option<Connection>>,
}

impl RequisiteStore {
    /// The store of the archive folder `archive_dir` (not opened yet).
    pub(super) fn new(archive_dir: &Path) -> RequisiteStore {
        RequisiteStore {
            archive_dir: archive_dir.to_path_buf(),
            connection: Mutex::new(None),
        }
    }

    /// Runs `call` on the open database (opened, and created, on first use).
    fn with<T>(&self, call: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, String> {
        let mut slot = self
            .connection
            .lock()
            .map_err(|_| "the requisite store is poisoned".to_string())?;
        if slot.is_none() {
            let path = self.archive_dir.join(STORE_FILE);
            let opened = Connection::open(&path).and_then(|c| {
                c.pragma_update(None, "journal_mode", "WAL")?;
                c.pragma_update(None, "synchronous", "NORMAL")?;
                c.execute_batch(SCHEMA)?;
                Ok(c)
            });
            *slot = Some(opened.map_err(|e| format!("{}: {e}", path.display()))?);
        }
        let connection = slot.as_ref().ok_or("the requisite store is closed")?;
        call(connection).map_err(|e| format!("{STORE_FILE}: {e}"))
    }

    /// The last capture of `url`, if it was captured as a requisite before.
    fn get(&self, url: &str) -> Result<Option<CaptureState>, String> {
        self.with(|c| {
            c.query_row(
                "SELECT captured_at, first_at, status, etag, last_modified, payload_digest,
                        rec_file, rec_offset, rec_id, rec_date
                 FROM requisites WHERE url = ?1",
                [url],
                |row| {
                    Ok(CaptureState {
                        captured_at: from_millis(row.get(0)?),
                        first_captured_at: from_millis(row.get(1)?),
                        status: row.get(2)?,
                        etag: row.get(3)?,
                        last_modified: row.get(4)?,
                        payload_digest: row.get(5)?,
                        record: StoredRecord {
                            file: row.get(6)?,
                            offset: row.get::<_, i64>(7)?.try_into().unwrap_or(0),
                            id: row.get(8)?,
                            date: from_millis(row.get(9)?),
                        },
                        described: true,
                    })
                },
            )
            .optional()
        })
    }

    /// Keeps `state` as the last capture of `url`.
    fn put(&self, url: &str, state: &CaptureState) -> Result<(), String> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO requisites VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    url,
                    state.captured_at.timestamp_millis(),
                    state.first_captured_at.timestamp_millis(),
                    state.status,
                    state.etag,
                    state.last_modified,
                    state.payload_digest,
                    state.record.file,
                    i64::try_from(state.record.offset).unwrap_or(i64::MAX),
                    state.record.id,
                    state.record.date.timestamp_millis(),
                ],
            )
            .map(|_| ())
        })
    }
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Why a page's request is made (what it counts as in the run's summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    /// A request the page made in a browser.
    Rendered,
    /// The REST JSON of a WordPress post page (see `wp_rest.rs`).
    WordPressPost,
}

/// The page a requisite belongs to.
pub(super) struct PageOf {
    /// Its site profile.
    pub(super) site: String,
    /// Its URL.
    pub(super) page: Url,
    /// Its depth (links from a start URL).
    pub(super) depth: u32,
    /// Why the request is made.
    pub(super) purpose: Purpose,
}

/// Archives the `metadata` record of a requisite (`application/warc-fields`, see
/// [`requisite_fields`]: which page it belongs to), referring to its response or revisit record.
async fn describe_requisite(
    shared: &Arc<Shared>,
    of: &PageOf,
    url: &Url,
    capture: &Capture,
    written: &Written,
) -> Result<(), String> {
    let fields = requisite_fields(&of.page, of.depth).into_bytes();
    let refers_to = written.location.response.id.clone();
    match shared
        .archive
        .write_metadata(
            url.to_string(),
            refers_to,
            capture.started,
            REQUISITE_FIELDS_TYPE,
            fields,
        )
        .await
    {
        Ok(Ok(location)) => {
            shared
                .counters
                .bytes_written
                .fetch_add(location.length, Ordering::Relaxed);
            Ok(())
        }
        Ok(Err(e)) => {
            let message = e.to_string();
            shared.fail(e.into());
            Err(message)
        }
        Err(closed) => {
            shared.fail(closed.into());
            Err("the WARC writer has stopped".into())
        }
    }
}

/// Runs a blocking call of the store off the reactor.
async fn on_store<T: Send + 'static>(
    shared: &Arc<Shared>,
    call: impl FnOnce(&RequisiteStore) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || call(&shared.rendering.requisite_store))
        .await
        .map_err(|e| format!("the requisite store task failed: {e}"))?
}

/// Fetches a request of a rendered page (`of`) as the crawl fetches a page: robots.txt
/// of its origin, the host's rate and concurrency slot, glaneur's fetcher (SSRF guard,
/// body and time limits, a `Referer` naming the page), the exchange archived as a
/// request/response pair, or as a revisit of its last capture when the payload is the
/// same. Hosts out of the site's scope go through the same gate. Never a conditional
/// request: pywb replays a `server-not-modified` revisit as an empty 304 (it serves a
/// 3xx revisit with its own head), which would break the replayed page's script.
pub(super) async fn fetch_requisite(
    shared: &Arc<Shared>,
    of: &PageOf,
    url: Url,
) -> Result<Capture, String> {
    let (site, page) = (of.site.as_str(), &of.page);
    let previous = {
        let key = url.to_string();
        on_store(shared, move |store| store.get(&key))
            .await
            .unwrap_or_else(|e| {
                tracing::warn!("{e}; {url} fetched in full");
                None
            })
    };
    let capture = fetch_through_gate(shared, site, page, &url).await?;
    let written = archive_requisite(shared, of.purpose, &url, &capture, previous.as_ref()).await?;
    describe_requisite(shared, of, &url, &capture, &written).await?;
    let state = capture_state(&capture, &written, previous.as_ref());
    let key = url.to_string();
    if let Err(e) = on_store(shared, move |store| store.put(&key, &state)).await {
        tracing::warn!("{e}: the next run fetches {url} in full");
    }
    Ok(capture)
}

/// Asks robots.txt, waits for the host's slot and rate, fetches, and pauses the host when the server asks (`Retry-After` on a 429 or 503).
async fn fetch_through_gate(
    shared: &Arc<Shared>,
    site: &str,
    page: &Url,
    url: &Url,
) -> Result<Capture, String> {
    let stopping = || "the crawl is stopping".to_string();
    if shared.stop.is_cancelled() {
        return Err(stopping());
    }
    let host = urls::host_key(url).ok_or_else(|| format!("{url} has no host"))?;
    let policy = shared.host_policy(&host).clone();
    let claimed = ClaimedUrl {
        id: 0,
        url: url.clone(),
        host: host.clone(),
        site: site.to_string(),
        depth: 0,
        kind: UrlKind::Other,
        attempts: 0,
        previous: None,
    };
    let rules = robots::robots_for(shared, &claimed, &policy)
        .await
        .ok_or_else(stopping)?;
    match &*rules {
        RobotsRules::Unavailable { reason, .. } => {
            return Err(format!("robots.txt unavailable: {reason}"));
        }
        RobotsRules::Refused { reason } => {
            shared
                .counters
                .refused_private
                .fetch_add(1, Ordering::Relaxed);
            return Err(reason.clone());
        }
        _ if !rules.is_allowed(shared.policy.product_token(), url) => {
            return Err("robots.txt disallows it".into());
        }
        _ => {}
    }
    let permit = tokio::select! {
        biased;
        _ = shared.stop.cancelled() => return Err(stopping()),
        permit = shared.gate.acquire(&host, &policy) => permit.map_err(|e| e.to_string())?,
    };
    let request = FetchRequest {
        url: url.clone(),
        headers: vec![("Referer".to_string(), page.to_string())],
        max_body_bytes: policy.max_body_bytes,
        timeout: policy.timeout,
        read_timeout: policy.read_timeout,
    };
    let counters = &shared.counters;
    counters.requests.fetch_add(1, Ordering::Relaxed);
    counters.in_flight.fetch_add(1, Ordering::Relaxed);
    let fetched = shared.fetcher.fetch(&request).await;
    counters.in_flight.fetch_sub(1, Ordering::Relaxed);
    drop(permit);
    match fetched {
        Ok(capture) => {
            counters.record_status(capture.status);
            counters
                .bytes_fetched
                .fetch_add(capture.body.len() as u64, Ordering::Relaxed);
            if let Some(delay) = slow_down(&capture) {
                // As for a page: the host waits, for the page and its requisites alike.
                tracing::info!(
                    "{url}: HTTP {}, {host} paused {:.1}s",
                    capture.status,
                    delay.as_secs_f64()
                );
                shared.gate.pause(&host, delay);
            }
            Ok(capture)
        }
        Err(error) => {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            counters.record_fetch_error(&error);
            Err(error.to_string())
        }
    }
}

/// How long the host of a requisite answered 429 or 503 waits: its `Retry-After`, else
/// the first step of the backoff a page would get (1 to 2 s).
fn slow_down(capture: &Capture) -> Option<Duration> {
    if !matches!(capture.status, 429 | 503) {
        return None;
    }
    Some(
        asked_delay(capture)
            .unwrap_or_else(|| backoff_delay(0, Duration::from_secs(2), Duration::from_secs(600))),
    )
}

/// Archives a requisite's exchange: a revisit of its last full response when the server
/// says it did not change (304) or sent the same payload, else request and response.
async fn archive_requisite(
    shared: &Arc<Shared>,
    purpose: Purpose,
    url: &Url,
    capture: &Capture,
    previous: Option<&CaptureState>,
) -> Result<Written, String> {
    let of = previous.map(|p| {
        (
            p.status,
            RevisitOf {
                record_id: p.record.id.clone(),
                target_uri: url.to_string(),
                date: p.record.date,
                payload_digest: p.payload_digest.clone(),
            },
        )
    });
    let written = match shared.archive.write_recapture(capture.clone(), of).await {
        Ok(Ok(written)) => written,
        Ok(Err(e)) => {
            let message = e.to_string();
            shared.fail(e.into());
            return Err(message);
        }
        Err(closed) => {
            shared.fail(closed.into());
            return Err("the WARC writer has stopped".into());
        }
    };
    let location = &written.location;
    let counters = &shared.counters;
    counters.bytes_written.fetch_add(
        location.request.length + location.response.length,
        Ordering::Relaxed,
    );
    let (fetched, revisits) = match purpose {
        Purpose::Rendered => (&counters.requisites, &counters.requisite_revisits),
        Purpose::WordPressPost => (&counters.wp_rest, &counters.wp_rest_revisits),
    };
    fetched.fetch_add(1, Ordering::Relaxed);
    if written.revisit.is_some() {
        revisits.fetch_add(1, Ordering::Relaxed);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_keeps_the_last_capture_of_each_requisite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = RequisiteStore::new(dir.path());
        assert_eq!(store.get("http://a.test/app.js").expect("get"), None);
        let at = from_millis(1_780_000_000_000);
        let state = CaptureState {
            captured_at: at,
            first_captured_at: at,
            status: 200,
            etag: Some("\"v1\"".into()),
            last_modified: None,
            payload_digest: "sha1:ABC".into(),
            record: StoredRecord {
                file: "a.warc.zst".into(),
                offset: 1234,
                id: "<urn:uuid:1>".into(),
                date: at,
            },
            described: true,
        };
        store.put("http://a.test/app.js", &state).expect("put");
        drop(store);
        let reopened = RequisiteStore::new(dir.path());
        assert_eq!(
            reopened.get("http://a.test/app.js").expect("get"),
            Some(state)
        );
    }
}
