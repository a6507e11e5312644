//! The SQLite frontier's schema and the migrations of older state files.
//!
//! Version 4 keeps a known URL in about half the bytes of version 3 (the state's size per
//! known URL was 420–500 bytes on the many-hosts benchmark):
//! - host, site, WARC file names and the pages links were found on outside the table
//!   (sitemaps, robots.txt) are stored once in `names`, and the rows refer to them by id;
//! - `found_on` is the id of the referring URL's row when it is a known URL (positive), else
//!   minus the id of its name;
//! - the URLs are found by a 64-bit key of their text (`url_key`, the first of
//!   [`url_hashes`]) instead of a unique index holding the whole text a second time;
//! - record ids, digests and HTTP dates are stored in their compact forms
//!   ([`super::compact`]): their columns have no declared type, so SQLite keeps BLOBs and
//!   INTEGERs as they are.

use rusqlite::{Connection, params};

use super::compact::compact_opt;
use crate::frontier::FrontierError;
use crate::frontier::known::url_hashes;

/// Schema version written to `PRAGMA user_version`.
pub(super) const SCHEMA_VERSION: i64 = 4;

/// Version 1 (older files only: new files are made with [`SCHEMA_V4`]; the tests make old
/// files with it).
#[cfg(test)]
pub(super) const SCHEMA: &str = "
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

/// Version 2: the last capture of each URL (incremental re-crawls). Added to version-1
/// files by `ALTER TABLE`; their fetched URLs have no capture state until fetched again.
pub(super) const MIGRATE_V2: &str = "
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
pub(super) const MIGRATE_V3: &str = "DROP INDEX IF EXISTS urls_due;";

/// The `urls` table of version 4 (named `urls_v4` while a migration fills it).
macro_rules! urls_v4 {
    ($name:literal) => {
        concat!(
            "CREATE TABLE ",
            $name,
            " (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL,
    url_key        INTEGER NOT NULL,
    host           INTEGER NOT NULL,
    site           INTEGER NOT NULL,
    depth          INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    found_on       INTEGER,
    state          TEXT NOT NULL DEFAULT 'pending',
    status         INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    due_at         INTEGER NOT NULL,
    last_error     TEXT,
    added_at       INTEGER NOT NULL,
    finished_at    INTEGER,
    cap_at         INTEGER,
    first_cap_at   INTEGER,
    cap_status     INTEGER,
    etag           TEXT,
    last_modified,
    payload_digest,
    rec_file       INTEGER,
    rec_offset     INTEGER,
    rec_id,
    rec_date       INTEGER,
    described      INTEGER NOT NULL DEFAULT 1
);"
        )
    };
}

/// The names table of version 4.
const NAMES_V4: &str = "
CREATE TABLE IF NOT EXISTS names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);";

/// The indexes of version 4's `urls`.
const INDEXES_V4: &str = "
CREATE INDEX IF NOT EXISTS urls_key ON urls (url_key);
CREATE INDEX IF NOT EXISTS urls_claim ON urls (host, priority, depth, id, due_at)
    WHERE state = 'pending';";

/// A new state file.
pub(super) const SCHEMA_V4: &str = concat!(
    urls_v4!("urls"),
    "
CREATE INDEX urls_key ON urls (url_key);
CREATE INDEX urls_claim ON urls (host, priority, depth, id, due_at)
    WHERE state = 'pending';
CREATE TABLE names (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;"
);

/// Version 3 → 4, the table copied in SQL (names collected first, `found_on` resolved by
/// the old unique index on `url`); keys and compact forms are filled in by
/// [`migrate_to_v4`].
const COPY_TO_V4: &str = concat!(
    "INSERT OR IGNORE INTO names (name) SELECT host FROM urls;
INSERT OR IGNORE INTO names (name) SELECT site FROM urls;
INSERT OR IGNORE INTO names (name) SELECT rec_file FROM urls WHERE rec_file IS NOT NULL;
INSERT OR IGNORE INTO names (name) SELECT o.found_on FROM urls o
    WHERE o.found_on IS NOT NULL AND NOT EXISTS (SELECT 1 FROM urls u WHERE u.url = o.found_on);
",
    urls_v4!("urls_v4"),
    "
INSERT INTO urls_v4 (id, url, url_key, host, site, depth, kind, priority, found_on, state,
    status, attempts, due_at, last_error, added_at, finished_at, cap_at, first_cap_at,
    cap_status, etag, last_modified, payload_digest, rec_file, rec_offset, rec_id, rec_date,
    described)
SELECT o.id, o.url, 0,
    (SELECT id FROM names WHERE name = o.host),
    (SELECT id FROM names WHERE name = o.site),
    o.depth, o.kind, o.priority,
    CASE WHEN o.found_on IS NULL THEN NULL
         ELSE COALESCE((SELECT u.id FROM urls u WHERE u.url = o.found_on),
                       -(SELECT id FROM names WHERE name = o.found_on)) END,
    o.state, o.status, o.attempts, o.due_at, o.last_error, o.added_at, o.finished_at,
    o.cap_at, o.first_cap_at, o.cap_status, o.etag, o.last_modified, o.payload_digest,
    (SELECT id FROM names WHERE name = o.rec_file),
    o.rec_offset, o.rec_id, o.rec_date, o.described
FROM urls o;
DROP TABLE urls;
ALTER TABLE urls_v4 RENAME TO urls;
"
);

/// The key a URL is found by in version 4 (the first SipHash of [`url_hashes`], as a
/// signed integer).
pub(super) fn url_key(url: &str) -> i64 {
    i64::from_ne_bytes(url_hashes(url).0.to_ne_bytes())
}

/// Makes the schema of a new file, or migrates an older one to [`SCHEMA_VERSION`], within
/// `tx`. Refuses a file written by a newer schema version.
pub(super) fn create_or_migrate(tx: &Connection) -> Result<(), FrontierError> {
    let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    match version {
        0 => tx.execute_batch(SCHEMA_V4)?,
        1..=3 => {
            if version == 1 {
                tx.execute_batch(MIGRATE_V2)?;
            }
            tx.execute_batch(MIGRATE_V3)?;
            migrate_to_v4(tx)?;
        }
        SCHEMA_VERSION => return Ok(()),
        newer => {
            return Err(FrontierError::NewerSchema {
                found: newer,
                known: SCHEMA_VERSION,
            });
        }
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// Migrates a version-3 file to version 4 within `tx`: every URL keeps its id, state,
/// capture and referrer.
pub(super) fn migrate_to_v4(tx: &Connection) -> Result<(), FrontierError> {
    tx.execute_batch(NAMES_V4)?;
    tx.execute_batch(COPY_TO_V4)?;
    // In slices of ids, each read to its end before it is written: memory stays bounded
    // on a big file, and no statement reads the table while it is being changed.
    let mut after = i64::MIN;
    loop {
        let mut rows = Vec::new();
        {
            let mut read = tx.prepare_cached(
                "SELECT id, url, last_modified, payload_digest, rec_id FROM urls
                 WHERE id > ?1 ORDER BY id LIMIT 65536",
            )?;
            let mut found = read.query([after])?;
            while let Some(r) = found.next()? {
                let id: i64 = r.get(0)?;
                let url: String = r.get(1)?;
                let texts: [Option<String>; 3] = [r.get(2)?, r.get(3)?, r.get(4)?];
                rows.push((id, url_key(&url), texts));
            }
        }
        let Some(&(last, _, _)) = rows.last() else {
            break;
        };
        write_keys(tx, rows)?;
        after = last;
    }
    tx.execute_batch(INDEXES_V4)?;
    Ok(())
}

/// Writes the keys and compact forms of `rows`.
fn write_keys(
    tx: &Connection,
    rows: Vec<(i64, i64, [Option<String>; 3])>,
) -> Result<(), FrontierError> {
    let mut write = tx.prepare_cached(
        "UPDATE urls SET url_key = ?2, last_modified = ?3, payload_digest = ?4, rec_id = ?5
         WHERE id = ?1",
    )?;
    for (id, key, [modified, digest, record]) in rows {
        write.execute(params![
            id,
            key,
            compact_opt(modified.as_deref()),
            compact_opt(digest.as_deref()),
            compact_opt(record.as_deref()),
        ])?;
    }
    Ok(())
}
