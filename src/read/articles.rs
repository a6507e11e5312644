//! The article export: one row per extracted article (the `metadata` records holding an
//! [`crate::extract::Article`] as JSON), its latest capture unless all are asked for,
//! filtered by site, category, publication date and words, written as JSON Lines, CSV
//! or Parquet.
//!
//! Two passes keep memory bounded whatever the archive's size: the first reads every
//! WARC file (in parallel, records streamed) and keeps, for each matching article, only
//! its URL, capture date and the place of its record; after sorting and keeping the
//! latest capture of each URL, the second reads those records again by offset, a batch
//! of [`BATCH_ROWS`] at a time, and writes each batch out (one Arrow record batch in
//! Parquet).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::{Item, ReadError, Scan, par_map, parse_warc_date, warc_files};

use crate::extract::Article;

/// One exported article.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRow {
    /// The page URL.
    pub url: String,
    /// Title.
    pub title: Option<String>,
    /// Publication date-time as found (RFC 3339, or a date).
    pub published: Option<String>,
    /// Last modification date-time as found.
    pub modified: Option<String>,
    /// Primary category.
    pub category: Option<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Language (BCP 47).
    pub language: Option<String>,
    /// Body as plain text.
    pub body: Option<String>,
    /// When the page was fetched (the response's `WARC-Date`).
    pub captured_at: DateTime<Utc>,
    /// The WARC file holding the page's response record.
    pub warc_file: String,
    /// Offset of the response record in that file (of the metadata record when the
    /// response is in another file).
    pub warc_offset: u64,
    /// All categories, primary first.
    pub categories: Vec<String>,
}

/// Which articles to export.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Host name (a subdomain matches too; a leading `www.` is ignored).
    pub site: Option<String>,
    /// Category (any of the article's categories, case-insensitive).
    pub category: Option<String>,
    /// Published at or after.
    pub since: Option<DateTime<Utc>>,
    /// Published before (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Words that must all appear in the title or body (case-insensitive).
    pub words: Vec<String>,
}

/// Parses an article date (`published`/`modified`): RFC 3339, a date-time without zone
/// (taken as UTC), or a date (midnight UTC).
pub fn parse_article_date(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(n) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(n.and_utc());
    }
    NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

impl Filter {
    fn matches(&self, a: &Article) -> bool {
        if let Some(site) = &self.site {
            let site = site.trim().to_ascii_lowercase();
            let site = site.strip_prefix("www.").unwrap_or(&site);
            let host = url::Url::parse(&a.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                .unwrap_or_default();
            let host = host.strip_prefix("www.").unwrap_or(&host);
            if host != site && !host.ends_with(&format!(".{site}")) {
                return false;
            }
        }
        if let Some(c) = &self.category {
            let c = c.trim().to_lowercase();
            if !a.categories.iter().any(|x| x.trim().to_lowercase() == c) {
                return false;
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(p) = a.published.as_deref().and_then(parse_article_date) else {
                return false;
            };
            if self.since.is_some_and(|s| p < s) || self.until.is_some_and(|u| p >= u) {
                return false;
            }
        }
        if !self.words.is_empty() {
            let text = format!(
                "{}\n{}",
                a.title.as_deref().unwrap_or(""),
                a.body.as_deref().unwrap_or("")
            )
            .to_lowercase();
            if !self.words.iter().all(|w| text.contains(&w.to_lowercase())) {
                return false;
            }
        }
        true
    }
}

/// Counts of an export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportStats {
    /// WARC files read.
    pub files: usize,
    /// Records read.
    pub records: u64,
    /// Compressed bytes of the files read.
    pub bytes: u64,
    /// Article records found (before filtering).
    pub articles: u64,
    /// Damaged parts skipped (see `glaneur verify`).
    pub damaged: Vec<String>,
}

/// An article record found by the first pass of an export: what orders and selects the
/// rows, and where to read the record again.
#[derive(Debug, Clone)]
struct Found {
    url: String,
    captured_at: DateTime<Utc>,
    /// Index into [`Export::names`].
    file: usize,
    warc_offset: u64,
    /// Offset of the metadata record's frame/member.
    meta_offset: u64,
    /// The row itself, for a record that cannot be read again on its own (it shares its
    /// compressed member with the next record; never in glaneur's files).
    row: Option<Box<ArticleRow>>,
}

struct FileArticles {
    found: Vec<Found>,
    records: u64,
    articles: u64,
    damaged: Vec<String>,
}

fn file_articles(path: &Path, file: usize, filter: &Filter) -> FileArticles {
    let name = file_name(path);
    let mut out = FileArticles {
        found: Vec::new(),
        records: 0,
        articles: 0,
        damaged: Vec::new(),
    };
    let scan = match Scan::open(path) {
        Ok(s) => s,
        Err(e) => {
            out.damaged.push(e.to_string());
            return out;
        }
    };
    // Responses (and revisits) of this file: record id -> (offset, date).
    let mut captures: HashMap<String, (u64, DateTime<Utc>)> = HashMap::new();
    for item in scan {
        let (offset, length, record) = match item {
            Item::Record {
                offset,
                length,
                record,
            } => (offset, length, record),
            Item::Damage {
                offset, message, ..
            } => {
                out.damaged
                    .push(format!("{} at offset {offset}: {message}", path.display()));
                continue;
            }
        };
        out.records += 1;
        match record.record_type() {
            Some("response" | "revisit") => {
                if let (Some(id), Some(date)) = (
                    record.header("WARC-Record-ID"),
                    record.header("WARC-Date").and_then(parse_warc_date),
                ) {
                    captures.insert(id.trim().to_string(), (offset, date));
                }
            }
            _ if super::is_article_record(&record) => {
                let Ok(article) = serde_json::from_slice::<Article>(&record.block) else {
                    out.damaged.push(format!(
                        "{} at offset {offset}: metadata record is not an Article",
                        path.display()
                    ));
                    continue;
                };
                out.articles += 1;
                if !filter.matches(&article) {
                    continue;
                }
                let refers = record
                    .header("WARC-Refers-To")
                    .and_then(|r| captures.get(r.trim()));
                let (warc_offset, captured_at) = match refers {
                    Some(&(o, d)) => (o, d),
                    None => (
                        offset,
                        record
                            .header("WARC-Date")
                            .and_then(parse_warc_date)
                            .unwrap_or_default(),
                    ),
                };
                let url = article.url.clone();
                let row = length
                    .is_none()
                    .then(|| Box::new(row(article, captured_at, name.clone(), warc_offset)));
                out.found.push(Found {
                    url,
                    captured_at,
                    file,
                    warc_offset,
                    meta_offset: offset,
                    row,
                });
            }
            _ => {}
        }
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn row(a: Article, captured_at: DateTime<Utc>, warc_file: String, warc_offset: u64) -> ArticleRow {
    let category = a.categories.first().cloned();
    ArticleRow {
        url: a.url,
        title: a.title,
        published: a.published,
        modified: a.modified,
        category,
        authors: a.authors,
        language: a.language,
        body: a.body,
        captured_at,
        warc_file,
        warc_offset,
        categories: a.categories,
    }
}

/// The articles an export will write, found by a first pass over the archive that keeps
/// only what orders and selects them (URL, capture date, place of the record), so that
/// an archive of any size exports in bounded memory: the rows themselves are read again
/// from their records, a batch at a time ([`Export::batches`]).
#[derive(Debug)]
pub struct Export {
    dir: PathBuf,
    names: Vec<String>,
    found: Vec<Found>,
    /// What the first pass read.
    pub stats: ExportStats,
}

/// Rows per batch when exporting (one Arrow record batch in Parquet).
pub const BATCH_ROWS: usize = 1024;

impl Export {
    /// Finds the articles of the archive folder `dir` that pass `filter` (reading the
    /// WARC files on all cores, records streamed), sorted by URL then capture date; only
    /// the latest capture of each URL unless `all_captures`.
    pub fn plan(dir: &Path, filter: &Filter, all_captures: bool) -> Result<Export, ReadError> {
        let mut files: Vec<PathBuf> = warc_files(dir)?;
        let mut stats = ExportStats {
            files: files.len(),
            bytes: files
                .iter()
                .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
                .sum(),
            ..Default::default()
        };
        // Largest files first, for a better spread over the cores.
        files
            .sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
        let names: Vec<String> = files.iter().map(|p| file_name(p)).collect();
        let indexed: Vec<(usize, &PathBuf)> = files.iter().enumerate().collect();
        let per_file = par_map(&indexed, |&(i, f)| file_articles(f, i, filter));
        let mut found = Vec::new();
        for f in per_file {
            stats.records += f.records;
            stats.articles += f.articles;
            stats.damaged.extend(f.damaged);
            found.extend(f.found);
        }
        found.sort_by(|a, b| {
            (
                a.url.as_str(),
                a.captured_at,
                names[a.file].as_str(),
                a.warc_offset,
            )
                .cmp(&(
                    b.url.as_str(),
                    b.captured_at,
                    names[b.file].as_str(),
                    b.warc_offset,
                ))
        });
        if !all_captures {
            // Keep the last (latest) capture of each URL.
            let mut latest: Vec<Found> = Vec::with_capacity(found.len());
            for f in found {
                if latest.last().is_some_and(|l| l.url == f.url) {
                    latest.pop();
                }
                latest.push(f);
            }
            found = latest;
        }
        Ok(Export {
            dir: dir.to_path_buf(),
            names,
            found,
            stats,
        })
    }

    /// Number of rows the export writes.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// True when no article passed the filter.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// The rows, `size` at a time, in order, each batch read on all cores. A record that
    /// cannot be read again (the file changed since [`Export::plan`]) is left out and
    /// described in the batch's second value.
    pub fn batches(
        &self,
        size: usize,
    ) -> impl Iterator<Item = (Vec<ArticleRow>, Vec<String>)> + '_ {
        self.found.chunks(size.max(1)).map(|chunk| {
            let mut rows = Vec::with_capacity(chunk.len());
            let mut problems = Vec::new();
            for r in par_map(chunk, |f| self.read_row(f)) {
                match r {
                    Ok(row) => rows.push(row),
                    Err(p) => problems.push(p),
                }
            }
            (rows, problems)
        })
    }

    fn read_row(&self, f: &Found) -> Result<ArticleRow, String> {
        if let Some(row) = &f.row {
            return Ok((**row).clone());
        }
        let name = &self.names[f.file];
        let at = || {
            format!(
                "{} at offset {}",
                self.dir.join(name).display(),
                f.meta_offset
            )
        };
        let record = super::read_record_at(&self.dir, name, f.meta_offset)
            .map_err(|e| format!("{}: {e}", at()))?;
        let article = serde_json::from_slice::<Article>(&record.block)
            .map_err(|e| format!("{}: metadata record is not an Article: {e}", at()))?;
        if article.url != f.url {
            return Err(format!(
                "{}: the file changed while exporting (found {})",
                at(),
                article.url
            ));
        }
        Ok(row(article, f.captured_at, name.clone(), f.warc_offset))
    }

    /// Writes every row to `out` in `format`, a batch of [`BATCH_ROWS`] at a time. A
    /// closed pipe (`| head`) ends the export quietly.
    pub fn write<W: Write + Send>(&self, format: Format, out: W) -> Result<WriteReport, ReadError> {
        let mut report = WriteReport::default();
        let res = (|| -> std::io::Result<()> {
            let mut w = RowWriter::new(format, out)?;
            for (rows, problems) in self.batches(BATCH_ROWS) {
                report.problems.extend(problems);
                w.write(&rows)?;
                report.rows += rows.len() as u64;
            }
            w.finish()
        })();
        match res {
            Err(e) if super::is_broken_pipe(&e) => {
                report.closed = true;
                Ok(report)
            }
            Err(e) => Err(ReadError::Output(e.to_string())),
            Ok(()) => Ok(report),
        }
    }
}

/// What [`Export::write`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WriteReport {
    /// Rows written.
    pub rows: u64,
    /// Records that could not be read again, left out.
    pub problems: Vec<String>,
    /// The reader of the output went away (`| head`): writing stopped early.
    pub closed: bool,
}

/// The articles of the archive folder `dir` that pass `filter`, sorted by URL then
/// capture date; only the latest capture of each URL unless `all_captures`. Holds every
/// row in memory: [`Export`] streams them.
pub fn collect_articles(
    dir: &Path,
    filter: &Filter,
    all_captures: bool,
) -> Result<(Vec<ArticleRow>, ExportStats), ReadError> {
    let export = Export::plan(dir, filter, all_captures)?;
    let mut rows = Vec::with_capacity(export.len());
    let mut damaged = Vec::new();
    for (batch, problems) in export.batches(BATCH_ROWS) {
        rows.extend(batch);
        damaged.extend(problems);
    }
    let mut stats = export.stats;
    stats.damaged.extend(damaged);
    Ok((rows, stats))
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row; authors and categories joined with `; `.
    Csv,
    /// Apache Parquet, typed columns ([`parquet_schema`]), zstd-compressed.
    Parquet,
}

/// The export column names, in order (JSON Lines and CSV; Parquet adds
/// `published_text` and `modified_text`).
pub const COLUMNS: [&str; 12] = [
    "url",
    "title",
    "published",
    "modified",
    "category",
    "authors",
    "language",
    "body",
    "captured_at",
    "warc_file",
    "warc_offset",
    "categories",
];

/// Writes `rows` to `out`. A closed pipe (`| head`) is not an error: writing stops.
pub fn write_rows<W: Write + Send>(
    rows: &[ArticleRow],
    format: Format,
    out: W,
) -> Result<(), ReadError> {
    let res = RowWriter::new(format, out).and_then(|mut w| {
        for chunk in rows.chunks(BATCH_ROWS) {
            w.write(chunk)?;
        }
        w.finish()
    });
    match res {
        Err(e) if super::is_broken_pipe(&e) => Ok(()),
        Err(e) => Err(ReadError::Output(e.to_string())),
        Ok(()) => Ok(()),
    }
}

/// Writes rows to an output in one format, batch by batch; [`RowWriter::finish`] ends
/// the output (the Parquet footer).
pub struct RowWriter<W: Write + Send> {
    sink: Sink<W>,
}

enum Sink<W: Write + Send> {
    Jsonl(std::io::BufWriter<W>),
    Csv(Box<csv::Writer<std::io::BufWriter<W>>>),
    Parquet(Box<parquet::arrow::ArrowWriter<std::io::BufWriter<W>>>),
}

fn csv_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

fn parquet_io(e: parquet::errors::ParquetError) -> std::io::Error {
    match e {
        parquet::errors::ParquetError::External(e) => match e.downcast::<std::io::Error>() {
            Ok(io) => *io,
            Err(other) => std::io::Error::other(other.to_string()),
        },
        other => std::io::Error::other(other.to_string()),
    }
}

impl<W: Write + Send> RowWriter<W> {
    /// Starts an output (the CSV header; the Parquet magic number).
    pub fn new(format: Format, out: W) -> std::io::Result<RowWriter<W>> {
        let buf = std::io::BufWriter::with_capacity(256 * 1024, out);
        let sink = match format {
            Format::Jsonl => Sink::Jsonl(buf),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(buf);
                w.write_record(COLUMNS).map_err(csv_io)?;
                Sink::Csv(Box::new(w))
            }
            Format::Parquet => Sink::Parquet(Box::new(
                parquet::arrow::ArrowWriter::try_new(
                    buf,
                    Arc::new(parquet_schema()),
                    Some(parquet_properties()),
                )
                .map_err(parquet_io)?,
            )),
        };
        Ok(RowWriter { sink })
    }

    /// Writes rows.
    pub fn write(&mut self, rows: &[ArticleRow]) -> std::io::Result<()> {
        match &mut self.sink {
            Sink::Jsonl(w) => {
                for r in rows {
                    serde_json::to_writer(&mut *w, r)?;
                    w.write_all(b"\n")?;
                }
                Ok(())
            }
            Sink::Csv(w) => {
                for r in rows {
                    let offset = r.warc_offset.to_string();
                    let captured = r
                        .captured_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let authors = r.authors.join("; ");
                    let categories = r.categories.join("; ");
                    w.write_record([
                        r.url.as_str(),
                        r.title.as_deref().unwrap_or(""),
                        r.published.as_deref().unwrap_or(""),
                        r.modified.as_deref().unwrap_or(""),
                        r.category.as_deref().unwrap_or(""),
                        authors.as_str(),
                        r.language.as_deref().unwrap_or(""),
                        r.body.as_deref().unwrap_or(""),
                        captured.as_str(),
                        r.warc_file.as_str(),
                        offset.as_str(),
                        categories.as_str(),
                    ])
                    .map_err(csv_io)?;
                }
                Ok(())
            }
            Sink::Parquet(w) => {
                if rows.is_empty() {
                    return Ok(());
                }
                let batch = record_batch(rows)?;
                w.write(&batch).map_err(parquet_io)?;
                // Bounded memory: a row group is flushed once it holds this much.
                if w.in_progress_size() >= ROW_GROUP_BYTES {
                    w.flush().map_err(parquet_io)?;
                }
                Ok(())
            }
        }
    }

    /// Ends the output and flushes it.
    pub fn finish(self) -> std::io::Result<()> {
        match self.sink {
            Sink::Jsonl(mut w) => w.flush(),
            Sink::Csv(mut w) => w.flush(),
            Sink::Parquet(w) => {
                let mut buf = w.into_inner().map_err(parquet_io)?;
                buf.flush()
            }
        }
    }
}

/// A Parquet row group is written out once its encoded size reaches this.
const ROW_GROUP_BYTES: usize = 64 << 20;

/// The Arrow schema of the Parquet export:
///
/// | column | type |
/// |---|---|
/// | `url`, `warc_file` | Utf8, not null |
/// | `title`, `category`, `language`, `body` | Utf8 |
/// | `published`, `modified` | Timestamp(µs, "UTC"); a date without time is midnight UTC |
/// | `authors`, `categories` | `List<Utf8>`, not null (empty when none) |
/// | `captured_at` | Timestamp(µs, "UTC"), not null |
/// | `warc_offset` | Int64, not null |
/// | `published_text`, `modified_text` | Utf8: the value as found (offset, or date only) |
pub fn parquet_schema() -> Schema {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let list = || DataType::List(Arc::new(Field::new("item", DataType::Utf8, false)));
    Schema::new(vec![
        Field::new("url", DataType::Utf8, false),
        Field::new("title", DataType::Utf8, true),
        Field::new("published", ts(), true),
        Field::new("modified", ts(), true),
        Field::new("category", DataType::Utf8, true),
        Field::new("authors", list(), false),
        Field::new("language", DataType::Utf8, true),
        Field::new("body", DataType::Utf8, true),
        Field::new("captured_at", ts(), false),
        Field::new("warc_file", DataType::Utf8, false),
        Field::new("warc_offset", DataType::Int64, false),
        Field::new("categories", list(), false),
        Field::new("published_text", DataType::Utf8, true),
        Field::new("modified_text", DataType::Utf8, true),
    ])
}

fn parquet_properties() -> parquet::file::properties::WriterProperties {
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::metadata::KeyValue;
    use parquet::file::properties::WriterProperties;
    use parquet::schema::types::ColumnPath;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_max_row_group_size(128 * 1024)
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "glaneur.version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        )]));
    // Unique long texts: a dictionary only costs time before the writer gives it up.
    for col in ["url", "title", "body", "published_text", "modified_text"] {
        props = props.set_column_dictionary_enabled(ColumnPath::from(col), false);
    }
    props.build()
}

fn micros(d: &DateTime<Utc>) -> i64 {
    d.timestamp_micros()
}

fn record_batch(rows: &[ArticleRow]) -> std::io::Result<RecordBatch> {
    let strings = |f: &dyn Fn(&ArticleRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let dates = |f: &dyn Fn(&ArticleRow) -> Option<i64>| -> ArrayRef {
        Arc::new(
            rows.iter()
                .map(f)
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        )
    };
    let lists = |f: &dyn Fn(&ArticleRow) -> &[String]| -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            false,
        )));
        for r in rows {
            for v in f(r) {
                b.values().append_value(v);
            }
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let date_of = |v: &Option<String>| {
        v.as_deref()
            .and_then(parse_article_date)
            .map(|d| micros(&d))
    };
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| Some(r.url.as_str())),
        strings(&|r| r.title.as_deref()),
        dates(&|r| date_of(&r.published)),
        dates(&|r| date_of(&r.modified)),
        strings(&|r| r.category.as_deref()),
        lists(&|r| &r.authors),
        strings(&|r| r.language.as_deref()),
        strings(&|r| r.body.as_deref()),
        dates(&|r| Some(micros(&r.captured_at))),
        strings(&|r| Some(r.warc_file.as_str())),
        Arc::new(
            rows.iter()
                .map(|r| i64::try_from(r.warc_offset).unwrap_or(i64::MAX))
                .collect::<Int64Array>(),
        ),
        lists(&|r| &r.categories),
        strings(&|r| r.published.as_deref()),
        strings(&|r| r.modified.as_deref()),
    ];
    RecordBatch::try_new(Arc::new(parquet_schema()), columns)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(url: &str, title: &str, cat: &str, published: &str) -> Article {
        Article {
            url: url.into(),
            title: Some(title.into()),
            body: Some("Le nuage souverain arrive.".into()),
            categories: vec![cat.into()],
            published: Some(published.into()),
            ..Default::default()
        }
    }

    #[test]
    fn filters_by_site_category_dates_and_words() {
        let a = article(
            "https://www.lemonde.fr/a",
            "Cloud news",
            "Cloud",
            "2024-05-03T09:15:00+02:00",
        );
        assert!(Filter::default().matches(&a));
        let f = |f: Filter| f.matches(&a);
        assert!(f(Filter {
            site: Some("lemonde.fr".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            site: Some("monde.fr".into()),
            ..Default::default()
        }));
        assert!(f(Filter {
            category: Some("cloud".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            category: Some("IA".into()),
            ..Default::default()
        }));
        let d = |s: &str| parse_article_date(s);
        assert!(f(Filter {
            since: d("2024-05-03"),
            ..Default::default()
        }));
        assert!(!f(Filter {
            since: d("2024-05-04"),
            ..Default::default()
        }));
        assert!(!f(Filter {
            until: d("2024-05-03"),
            ..Default::default()
        }));
        assert!(f(Filter {
            until: d("2024-05-04"),
            ..Default::default()
        }));
        assert!(f(Filter {
            words: vec!["NUAGE".into(), "news".into()],
            ..Default::default()
        }));
        assert!(!f(Filter {
            words: vec!["nuage".into(), "pluie".into()],
            ..Default::default()
        }));
    }

    #[test]
    fn csv_quotes_fields() {
        let rows = vec![row(
            article(
                "http://a.test/x",
                "Un \"titre\", virgule",
                "C",
                "2024-01-01",
            ),
            DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            "f.warc.zst".into(),
            42,
        )];
        let mut out = Vec::new();
        write_rows(&rows, Format::Csv, &mut out).expect("csv");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("url,title,published"));
        assert!(text.contains("\"Un \"\"titre\"\", virgule\""));
        assert!(text.contains("2023-11-14T22:13:20Z,f.warc.zst,42"));
    }

    #[test]
    fn parquet_has_typed_columns_and_keeps_every_value() {
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        use arrow_array::types::{Int64Type, TimestampMicrosecondType};
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

        let captured = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let published = [
            Some("2024-05-03T09:15:00+02:00"),
            Some("2015-02-20"),
            Some("le 3 mai"),
            None,
        ];
        // More rows than one batch, so that several record batches are written.
        let rows: Vec<ArticleRow> = (0..2500u64)
            .map(|i| {
                let mut a = article(
                    &format!("http://a.test/{i:05}"),
                    &format!("Titre {i}"),
                    "Cloud",
                    "",
                );
                a.published = published[(i % 4) as usize].map(String::from);
                a.modified = (i % 2 == 0).then(|| "2024-05-04T10:00:00Z".to_string());
                a.authors = (0..i % 3).map(|k| format!("Auteur {k}")).collect();
                a.categories = vec!["Cloud".into(), "IA".into()];
                a.language = Some("fr".into());
                row(a, captured, "f.warc.zst".into(), i * 1000)
            })
            .collect();
        let mut out = Vec::new();
        write_rows(&rows, Format::Parquet, &mut out).expect("parquet");
        assert_eq!(&out[..4], b"PAR1");

        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(out))
            .expect("parquet footer");
        assert_eq!(reader.schema().fields(), parquet_schema().fields());
        assert_eq!(
            reader
                .schema()
                .metadata()
                .get("glaneur.version")
                .map(String::as_str),
            Some(env!("CARGO_PKG_VERSION"))
        );
        let batches: Vec<RecordBatch> = reader
            .build()
            .expect("reader")
            .collect::<Result<_, _>>()
            .expect("batches");
        let n: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(n, 2500);
        let b = &batches[0];
        let col = |name: &str| b.column_by_name(name).expect(name).clone();
        let ts = col("published");
        let ts = ts.as_primitive::<TimestampMicrosecondType>();
        let utc = |s: &str| parse_article_date(s).map(|d| d.timestamp_micros());
        // An offset is converted to UTC; a day alone is midnight UTC, its text kept.
        assert_eq!(ts.value(0), utc("2024-05-03T07:15:00Z").unwrap_or(0));
        assert_eq!(ts.value(1), utc("2015-02-20T00:00:00Z").unwrap_or(0));
        assert!(ts.is_null(2) && ts.is_null(3));
        let text = col("published_text");
        let text = text.as_string::<i32>();
        assert_eq!(text.value(1), "2015-02-20");
        assert_eq!(text.value(2), "le 3 mai");
        assert!(text.is_null(3));
        let modified = col("modified");
        let modified = modified.as_primitive::<TimestampMicrosecondType>();
        assert_eq!(modified.value(0), utc("2024-05-04T10:00:00Z").unwrap_or(0));
        assert!(modified.is_null(1));
        let captured_at = col("captured_at");
        assert_eq!(
            captured_at
                .as_primitive::<TimestampMicrosecondType>()
                .value(7),
            1_700_000_000_000_000
        );
        let authors = col("authors");
        let authors = authors.as_list::<i32>();
        assert_eq!(authors.value(0).len(), 0);
        let two = authors.value(2);
        let two = two.as_string::<i32>();
        assert_eq!((two.value(0), two.value(1)), ("Auteur 0", "Auteur 1"));
        let cats = col("categories");
        assert_eq!(cats.as_list::<i32>().value(5).len(), 2);
        let offsets = col("warc_offset");
        assert_eq!(offsets.as_primitive::<Int64Type>().value(3), 3000);
        assert_eq!(
            col("url").as_string::<i32>().value(9),
            "http://a.test/00009"
        );
        assert_eq!(col("category").as_string::<i32>().value(9), "Cloud");
        assert_eq!(col("language").as_string::<i32>().value(9), "fr");
        let last = batches.last().expect("a batch");
        let urls = last.column_by_name("url").expect("url").clone();
        let urls = urls.as_string::<i32>();
        assert_eq!(urls.value(urls.len() - 1), "http://a.test/02499");
    }

    #[test]
    fn an_empty_parquet_export_is_a_valid_file() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let mut out = Vec::new();
        write_rows(&[], Format::Parquet, &mut out).expect("parquet");
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(out))
            .expect("parquet footer");
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
        assert_eq!(
            reader.schema().fields().len(),
            parquet_schema().fields().len()
        );
    }
}
