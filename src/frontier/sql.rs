//! What the two stores share: the statements both SQL dialects read alike (placeholders
//! `$1`, `$2`… in order of first use, which SQLite binds by position too) and the decoding
//! of stored rows into frontier values, once for both.

use chrono::{DateTime, Utc};
use url::Url;

use super::{CaptureState, ClaimedUrl, FrontierError, FrontierStats, StoredRecord, UrlKind};
use super::{UrlRecord, UrlState};

/// The capture columns of `urls`, in the order [`capture_of_row`] reads them.
macro_rules! capture_columns {
    () => {
        "cap_at, first_cap_at, cap_status, etag, last_modified, payload_digest, \
         rec_file, rec_offset, rec_id, rec_date, described"
    };
}
pub(crate) use capture_columns;

/// What the frontier knows about one URL (read by [`url_record`]).
pub(crate) const LOOKUP: &str = "SELECT id, state, depth, kind, attempts, status, last_error, found_on FROM urls WHERE url = $1";

/// The stored last capture of one URL (read by [`capture_of_row`]).
pub(crate) const CAPTURE_OF: &str =
    concat!("SELECT ", capture_columns!(), " FROM urls WHERE url = $1");

/// Stores the last capture of URL `$12`, keeping its earliest first-capture time.
pub(crate) const STORE_CAPTURE: &str = "UPDATE urls SET cap_at = $1,
     first_cap_at = COALESCE(first_cap_at, $2), cap_status = $3, etag = $4,
     last_modified = $5, payload_digest = $6, rec_file = $7, rec_offset = $8, rec_id = $9,
     rec_date = $10, described = $11
     WHERE id = $12";

/// URLs by state (read by [`stats_from_rows`]).
pub(crate) const COUNT_BY_STATE: &str = "SELECT state, '', count(*) FROM urls GROUP BY state";

/// URLs by kind and state (read by [`stats_by_kind_from_rows`]).
pub(crate) const COUNT_BY_KIND: &str =
    "SELECT kind, state, count(*) FROM urls GROUP BY kind, state";

/// A run metadata value.
pub(crate) const GET_META: &str = "SELECT value FROM meta WHERE key = $1";

/// Sets a run metadata value.
pub(crate) const SET_META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// The plain queries both stores answer alike: the shared half of [`super::Frontier`]
/// ([`shared_queries`]) is written once over them.
pub(crate) trait Queries {
    /// The `(text, text, count)` rows of a counting statement ([`COUNT_BY_STATE`],
    /// [`COUNT_BY_KIND`]), with every write before it visible.
    fn counts(&mut self, sql: &'static str) -> Result<Vec<(String, String, u64)>, FrontierError>;

    /// The row a statement with one text parameter finds, read by its reader.
    fn row_by_key<T>(&mut self, query: ByKey<'_, T>) -> Result<Option<T>, FrontierError>;

    /// Runs a statement with text parameters.
    fn execute_texts(&mut self, sql: &'static str, params: &[&str]) -> Result<(), FrontierError>;

    /// What the store knows about the URL `$1` (the columns of [`LOOKUP`]).
    const LOOKUP_URL: &'static str = LOOKUP;

    /// The stored last capture of the URL `$1` (the columns of [`CAPTURE_OF`]).
    const CAPTURE_OF_URL: &'static str = CAPTURE_OF;

    /// The row a statement on one URL ([`Queries::LOOKUP_URL`], [`Queries::CAPTURE_OF_URL`])
    /// finds: by default the URL is its only parameter; a store that finds URLs by a key
    /// of their own binds it here.
    fn row_by_url<T>(&mut self, query: ByKey<'_, T>) -> Result<Option<T>, FrontierError> {
        self.row_by_key(query)
    }
}

/// A statement with one text parameter `$1`, and how to read the row it finds.
pub(crate) struct ByKey<'a, T> {
    /// The statement.
    pub sql: &'static str,
    /// The value of `$1`.
    pub key: &'a str,
    /// Reads the row.
    pub read: &'a dyn Fn(&dyn StoredRow) -> Result<T, FrontierError>,
}

/// The methods of [`super::Frontier`] that both stores answer with the same statements,
/// over [`Queries`]: counts, lookups, run metadata.
macro_rules! shared_queries {
    () => {
        fn stats(
            &mut self,
        ) -> Result<$crate::frontier::FrontierStats, $crate::frontier::FrontierError> {
            let rows = $crate::frontier::sql::Queries::counts(
                self,
                $crate::frontier::sql::COUNT_BY_STATE,
            )?;
            Ok($crate::frontier::sql::stats_from_rows(rows))
        }

        fn stats_by_kind(
            &mut self,
        ) -> Result<
            Vec<($crate::frontier::UrlKind, $crate::frontier::FrontierStats)>,
            $crate::frontier::FrontierError,
        > {
            let rows =
                $crate::frontier::sql::Queries::counts(self, $crate::frontier::sql::COUNT_BY_KIND)?;
            $crate::frontier::sql::stats_by_kind_from_rows(rows)
        }

        fn lookup(
            &mut self,
            url: &url::Url,
        ) -> Result<Option<$crate::frontier::UrlRecord>, $crate::frontier::FrontierError> {
            $crate::frontier::sql::Queries::row_by_url(
                self,
                $crate::frontier::sql::ByKey {
                    sql: <Self as $crate::frontier::sql::Queries>::LOOKUP_URL,
                    key: url.as_str(),
                    read: &|r| $crate::frontier::sql::url_record(r),
                },
            )
        }

        fn capture_of(
            &mut self,
            url: &url::Url,
        ) -> Result<Option<$crate::frontier::CaptureState>, $crate::frontier::FrontierError> {
            let found = $crate::frontier::sql::Queries::row_by_url(
                self,
                $crate::frontier::sql::ByKey {
                    sql: <Self as $crate::frontier::sql::Queries>::CAPTURE_OF_URL,
                    key: url.as_str(),
                    read: &|r| $crate::frontier::sql::capture_of_row(r, 0),
                },
            )?;
            Ok(found.flatten())
        }

        fn get_meta(
            &mut self,
            key: &str,
        ) -> Result<Option<String>, $crate::frontier::FrontierError> {
            let found = $crate::frontier::sql::Queries::row_by_key(
                self,
                $crate::frontier::sql::ByKey {
                    sql: $crate::frontier::sql::GET_META,
                    key,
                    read: &|r| $crate::frontier::sql::StoredRow::text(r, 0),
                },
            )?;
            Ok(found.flatten())
        }

        fn set_meta(
            &mut self,
            key: &str,
            value: &str,
        ) -> Result<(), $crate::frontier::FrontierError> {
            $crate::frontier::sql::Queries::execute_texts(
                self,
                $crate::frontier::sql::SET_META,
                &[key, value],
            )
        }
    };
}
pub(crate) use shared_queries;

/// A stored row, read by column index, whichever the store: the values the frontier keeps
/// are integers, texts, times and flags (each store maps its own column types to these).
pub(crate) trait StoredRow {
    /// An integer column (NULL: `None`).
    fn int(&self, i: usize) -> Result<Option<i64>, FrontierError>;
    /// A text column.
    fn text(&self, i: usize) -> Result<Option<String>, FrontierError>;
    /// A time column.
    fn time(&self, i: usize) -> Result<Option<DateTime<Utc>>, FrontierError>;
    /// A boolean column.
    fn flag(&self, i: usize) -> Result<bool, FrontierError>;

    /// A column that is never NULL.
    fn required_int(&self, i: usize) -> Result<i64, FrontierError> {
        self.int(i)?
            .ok_or_else(|| FrontierError::Corrupt(format!("column {i} is NULL")))
    }

    /// A text column that is never NULL.
    fn required_text(&self, i: usize) -> Result<String, FrontierError> {
        self.text(i)?
            .ok_or_else(|| FrontierError::Corrupt(format!("column {i} is NULL")))
    }
}

/// A stored count, depth or attempt number as an unsigned value (negatives as 0).
pub(crate) fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// A stored count as an unsigned value (negatives as 0).
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The URL kind of its stored name.
pub(crate) fn kind_of(name: &str) -> Result<UrlKind, FrontierError> {
    UrlKind::from_name(name)
        .ok_or_else(|| FrontierError::Corrupt(format!("unknown URL kind {name:?}")))
}

/// The URL state of its stored name.
pub(crate) fn state_of(name: &str) -> Result<UrlState, FrontierError> {
    UrlState::from_name(name)
        .ok_or_else(|| FrontierError::Corrupt(format!("unknown URL state {name:?}")))
}

/// A stored URL.
pub(crate) fn url_of(url: &str) -> Result<Url, FrontierError> {
    Url::parse(url).map_err(|e| FrontierError::Corrupt(format!("invalid URL {url:?}: {e}")))
}

/// Reads the capture columns starting at `at` (in the order of [`capture_columns`]): the
/// capture, or `None` when a column it needs is missing (no full response yet).
pub(crate) fn capture_of_row(
    r: &(impl StoredRow + ?Sized),
    at: usize,
) -> Result<Option<CaptureState>, FrontierError> {
    let Some(captured_at) = r.time(at)? else {
        return Ok(None);
    };
    let (Some(status), Some(payload_digest)) = (r.int(at + 2)?, r.text(at + 5)?) else {
        return Ok(None);
    };
    let record = match (
        r.text(at + 6)?,
        r.int(at + 7)?,
        r.text(at + 8)?,
        r.time(at + 9)?,
    ) {
        (Some(file), Some(offset), Some(id), Some(date)) => StoredRecord {
            file,
            offset: u64::try_from(offset).unwrap_or(0),
            id,
            date,
        },
        _ => return Ok(None),
    };
    Ok(Some(CaptureState {
        captured_at,
        first_captured_at: r.time(at + 1)?.unwrap_or(captured_at),
        status: u16::try_from(status).unwrap_or(0),
        etag: r.text(at + 3)?,
        last_modified: r.text(at + 4)?,
        payload_digest,
        record,
        described: r.flag(at + 10)?,
    }))
}

/// Reads a row of [`LOOKUP`].
pub(crate) fn url_record(r: &(impl StoredRow + ?Sized)) -> Result<UrlRecord, FrontierError> {
    Ok(UrlRecord {
        id: r.required_int(0)?,
        state: state_of(&r.required_text(1)?)?,
        depth: to_u32(r.required_int(2)?),
        kind: kind_of(&r.required_text(3)?)?,
        attempts: to_u32(r.required_int(4)?),
        status: r.int(5)?.and_then(|s| u16::try_from(s).ok()),
        last_error: r.text(6)?,
        found_on: r.text(7)?,
    })
}

/// Reads a claimed row of `host`: `id, url, site, depth, kind, attempts`, then the capture
/// columns.
pub(crate) fn claimed_url(
    r: &(impl StoredRow + ?Sized),
    host: &str,
) -> Result<ClaimedUrl, FrontierError> {
    Ok(ClaimedUrl {
        id: r.required_int(0)?,
        url: url_of(&r.required_text(1)?)?,
        host: host.to_string(),
        site: r.required_text(2)?,
        depth: to_u32(r.required_int(3)?),
        kind: kind_of(&r.required_text(4)?)?,
        attempts: to_u32(r.required_int(5)?),
        previous: capture_of_row(r, 6)?,
    })
}

/// Totals by state from the rows of [`COUNT_BY_STATE`] (unknown states are left out).
pub(crate) fn stats_from_rows(rows: Vec<(String, String, u64)>) -> FrontierStats {
    let mut stats = FrontierStats::default();
    for (state, _, n) in rows {
        if let Some(state) = UrlState::from_name(&state) {
            stats.add(state, n);
        }
    }
    stats
}

/// Totals by URL kind and state from the rows of [`COUNT_BY_KIND`], sorted by kind.
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
        if let Some(state) = UrlState::from_name(&state) {
            out[i].1.add(state, n);
        }
    }
    out.sort_by_key(|(k, _)| *k);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `$n` placeholders of a statement in order of first use.
    fn placeholders(sql: &str) -> Vec<u32> {
        let mut seen = Vec::new();
        let mut rest = sql;
        while let Some(i) = rest.find('$') {
            let digits: String = rest[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<u32>()
                && !seen.contains(&n)
            {
                seen.push(n);
            }
            rest = &rest[i + 1..];
        }
        seen
    }

    #[test]
    fn shared_placeholders_are_first_used_in_order_so_sqlite_binds_them_by_position() {
        for (sql, count) in [
            (LOOKUP, 1),
            (CAPTURE_OF, 1),
            (STORE_CAPTURE, 12),
            (COUNT_BY_STATE, 0),
            (COUNT_BY_KIND, 0),
            (GET_META, 1),
            (SET_META, 2),
        ] {
            assert_eq!(
                placeholders(sql),
                (1..=count).collect::<Vec<u32>>(),
                "{sql}"
            );
        }
    }
}
