//! The article export: one row per extracted article (the `metadata` records holding an
//! [`crate::extract::Article`] as JSON), its latest capture unless all are asked for,
//! filtered by site, category, publication date and words, written as JSON Lines or
//! CSV. Files are read in parallel, records streamed.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Item, ReadError, Scan, par_map, parse_warc_date, warc_files};

/// The fields of an extracted article ([`crate::extract::Article`] as stored in a
/// metadata record) that the export uses; missing fields are empty, unknown ones ignored,
/// so records written by other versions of the extractor still read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Article {
    /// The page URL.
    pub url: String,
    /// Title.
    pub title: Option<String>,
    /// Body text.
    pub body: Option<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Publication date-time.
    pub published: Option<String>,
    /// Last modification date-time.
    pub modified: Option<String>,
    /// Language.
    pub language: Option<String>,
}

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

struct FileArticles {
    rows: Vec<ArticleRow>,
    records: u64,
    articles: u64,
    damaged: Vec<String>,
}

fn is_article_json(rec: &crate::warc::Record) -> bool {
    rec.record_type() == Some("metadata")
        && rec.header("Content-Type").is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
}

fn file_articles(path: &Path, filter: &Filter) -> FileArticles {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = FileArticles {
        rows: Vec::new(),
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
        let (offset, record) = match item {
            Item::Record { offset, record, .. } => (offset, record),
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
            _ if is_article_json(&record) => {
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
                out.rows
                    .push(row(article, captured_at, name.clone(), warc_offset));
            }
            _ => {}
        }
    }
    out
}

fn row(a: Article, captured_at: DateTime<Utc>, warc_file: String, warc_offset: u64) -> ArticleRow {
    ArticleRow {
        url: a.url,
        title: a.title,
        published: a.published,
        modified: a.modified,
        category: a.categories.into_iter().next(),
        authors: a.authors,
        language: a.language,
        body: a.body,
        captured_at,
        warc_file,
        warc_offset,
    }
}

/// The articles of the archive folder `dir` that pass `filter`, sorted by URL then
/// capture date; only the latest capture of each URL unless `all_captures`.
pub fn collect_articles(
    dir: &Path,
    filter: &Filter,
    all_captures: bool,
) -> Result<(Vec<ArticleRow>, ExportStats), ReadError> {
    let mut files: Vec<PathBuf> = warc_files(dir)?;
    let mut stats = ExportStats {
        files: files.len(),
        bytes: files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
            .sum(),
        ..Default::default()
    };
    files.sort_by_key(|p| std::cmp::Reverse(std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)));
    let per_file = par_map(&files, |f| file_articles(f, filter));
    let mut rows = Vec::new();
    for f in per_file {
        stats.records += f.records;
        stats.articles += f.articles;
        stats.damaged.extend(f.damaged);
        rows.extend(f.rows);
    }
    rows.sort_by(|a, b| {
        (
            a.url.as_str(),
            a.captured_at,
            a.warc_file.as_str(),
            a.warc_offset,
        )
            .cmp(&(
                b.url.as_str(),
                b.captured_at,
                b.warc_file.as_str(),
                b.warc_offset,
            ))
    });
    if !all_captures {
        // Keep the last (latest) row of each URL.
        let mut latest: Vec<ArticleRow> = Vec::with_capacity(rows.len());
        for r in rows {
            if latest.last().is_some_and(|l| l.url == r.url) {
                latest.pop();
            }
            latest.push(r);
        }
        rows = latest;
    }
    Ok((rows, stats))
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row; authors joined with `; `.
    Csv,
}

/// The export column names, in order.
pub const COLUMNS: [&str; 11] = [
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
];

/// Writes `rows` to `out`. A closed pipe (`| head`) is not an error: writing stops.
pub fn write_rows(
    rows: &[ArticleRow],
    format: Format,
    out: &mut dyn Write,
) -> Result<(), ReadError> {
    let res = match format {
        Format::Jsonl => write_jsonl(rows, out),
        Format::Csv => write_csv(rows, out),
    };
    match res {
        Err(e) if super::is_broken_pipe(&e) => Ok(()),
        Err(e) => Err(ReadError::Output(e.to_string())),
        Ok(()) => Ok(()),
    }
}

fn write_jsonl(rows: &[ArticleRow], out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, out);
    for r in rows {
        serde_json::to_writer(&mut w, r)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}

fn write_csv(rows: &[ArticleRow], out: &mut dyn Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(256 * 1024, out));
    let io = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => std::io::Error::other(format!("{other:?}")),
    };
    w.write_record(COLUMNS).map_err(io)?;
    for r in rows {
        let offset = r.warc_offset.to_string();
        let captured = r
            .captured_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let authors = r.authors.join("; ");
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
        ])
        .map_err(io)?;
    }
    w.flush()
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
}
