//! The article table's formats: JSON Lines, CSV and Parquet ([`parquet_schema`]), written
//! a batch of rows at a time ([`RowWriter`]).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ReadError;
use crate::archive::{ArticleStatus, parse_article_date};

/// Rows per batch when exporting (one Arrow record batch in Parquet).
pub const BATCH_ROWS: usize = 1024;

/// One exported article: one row per canonical URL (a page naming another page of its
/// site as canonical is that article), from its latest capture unless all are asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleRow {
    /// The article's URL: the canonical URL when the page names one of its site.
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
    /// response is in another file): where its gzip member or zstd frame starts.
    pub warc_offset: u64,
    /// Where the record starts in the decoded bytes of the member/frame at `warc_offset`:
    /// 0 for glaneur's files (one member/frame per record); in a file compressed as one
    /// stream every record is at `warc_offset` 0 and this tells them apart (as the
    /// index's `inner_offset` does). [`super::read_record_at`] takes both.
    pub warc_inner_offset: u64,
    /// All categories, primary first.
    pub categories: Vec<String>,
    /// `current`, or `gone` when its latest capture is a 404/410 or a redirect away.
    pub status: ArticleStatus,
    /// When it was first found gone (the first such capture after its last presence).
    pub gone_since: Option<DateTime<Utc>>,
    /// Distinct contents among its captures (1 + the corrections seen).
    pub versions: u64,
    /// When its latest content was first captured.
    pub last_changed: Option<DateTime<Utc>>,
    /// The method that found each exported field ([`METHOD_FIELDS`] → `meta`, `json-ld`,
    /// `wp-rest`, `label`, `url`, `listing`…; see [`crate::extract::Article::methods`]):
    /// an object in JSON Lines, one `<field>_method` column each in CSV and Parquet.
    pub methods: BTreeMap<String, String>,
}

/// The fields whose method the export gives, in column order: `<field>_method` columns
/// ([`METHOD_COLUMNS`]) in CSV and Parquet, keys of the `methods` object in JSON Lines.
pub const METHOD_FIELDS: [&str; 7] = [
    "title",
    "published",
    "modified",
    "categories",
    "authors",
    "language",
    "body",
];

/// The method columns of CSV and Parquet, after the others, in this order.
pub const METHOD_COLUMNS: [&str; 7] = [
    "title_method",
    "published_method",
    "modified_method",
    "categories_method",
    "authors_method",
    "language_method",
    "body_method",
];

impl ArticleRow {
    /// The method of an exported field, `""` when none was recorded.
    pub fn method(&self, field: &str) -> &str {
        self.methods.get(field).map(String::as_str).unwrap_or("")
    }
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

/// The export column names, in order (JSON Lines and CSV; JSON Lines adds the `methods`
/// object, CSV the [`METHOD_COLUMNS`], Parquet `published_text`, `modified_text` then
/// the [`METHOD_COLUMNS`]).
pub const COLUMNS: [&str; 17] = [
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
    "warc_inner_offset",
    "categories",
    "status",
    "gone_since",
    "versions",
    "last_changed",
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
                w.write_record(COLUMNS.iter().chain(METHOD_COLUMNS.iter()))
                    .map_err(csv_io)?;
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
                    let inner = r.warc_inner_offset.to_string();
                    let captured = r
                        .captured_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let authors = r.authors.join("; ");
                    let categories = r.categories.join("; ");
                    let date = |d: &Option<DateTime<Utc>>| {
                        d.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_default()
                    };
                    let (gone_since, last_changed) = (date(&r.gone_since), date(&r.last_changed));
                    let versions = r.versions.to_string();
                    let methods = METHOD_FIELDS.map(|f| r.method(f));
                    let fields = [
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
                        inner.as_str(),
                        categories.as_str(),
                        r.status.as_str(),
                        gone_since.as_str(),
                        versions.as_str(),
                        last_changed.as_str(),
                    ];
                    w.write_record(fields.iter().chain(methods.iter()))
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
/// | `warc_offset`, `warc_inner_offset`, `versions` | Int64, not null |
/// | `status` | Utf8, not null (`current` or `gone`) |
/// | `gone_since`, `last_changed` | Timestamp(µs, "UTC") |
/// | `published_text`, `modified_text` | Utf8: the value as found (offset, or date only) |
/// | [`METHOD_COLUMNS`] (`title_method`…`body_method`) | Utf8: the method that found the field |
pub fn parquet_schema() -> Schema {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let list = || DataType::List(Arc::new(Field::new("item", DataType::Utf8, false)));
    let mut fields = vec![
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
        Field::new("warc_inner_offset", DataType::Int64, false),
        Field::new("categories", list(), false),
        Field::new("status", DataType::Utf8, false),
        Field::new("gone_since", ts(), true),
        Field::new("versions", DataType::Int64, false),
        Field::new("last_changed", ts(), true),
        Field::new("published_text", DataType::Utf8, true),
        Field::new("modified_text", DataType::Utf8, true),
    ];
    fields.extend(
        METHOD_COLUMNS
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, true)),
    );
    Schema::new(fields)
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
    let mut columns: Vec<ArrayRef> = vec![
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
        Arc::new(
            rows.iter()
                .map(|r| i64::try_from(r.warc_inner_offset).unwrap_or(i64::MAX))
                .collect::<Int64Array>(),
        ),
        lists(&|r| &r.categories),
        strings(&|r| Some(r.status.as_str())),
        dates(&|r| r.gone_since.as_ref().map(micros)),
        Arc::new(
            rows.iter()
                .map(|r| i64::try_from(r.versions).unwrap_or(i64::MAX))
                .collect::<Int64Array>(),
        ),
        dates(&|r| r.last_changed.as_ref().map(micros)),
        strings(&|r| r.published.as_deref()),
        strings(&|r| r.modified.as_deref()),
    ];
    for field in METHOD_FIELDS {
        columns.push(strings(&|r| r.methods.get(field).map(String::as_str)));
    }
    RecordBatch::try_new(Arc::new(parquet_schema()), columns)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Article;

    fn row(a: Article, captured_at: DateTime<Utc>, file: String, offset: u64) -> ArticleRow {
        ArticleRow::new(a, captured_at, file, offset)
    }

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
        assert!(
            text.contains("2023-11-14T22:13:20Z,f.warc.zst,42,0,C,current,,1,2023-11-14T22:13:20Z")
        );
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
