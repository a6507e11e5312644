//! The catalog of an archive: what `glaneur serve` knows without reading WARC files per
//! request. Every closed WARC file is read once ([`scan_file`]) into a [`FileScan`]: its
//! captures (response, revisit and resource records: URL, date, status, type, location)
//! and its article records (the extracted fields the lists need, without the body).
//! Scans are cached as JSON under the state folder (`catalog/<warc name>.json`) with the
//! file's size and modification time, so a restart reads only new or changed files.
//! [`Catalog::build`] joins the scans into lookup tables: captures by URL (SURT key) and
//! record id, one [`ArticleEntry`] per article URL with every version (capture) of it,
//! and the overview's counts.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::read::index::{cdx_key, http_header, http_status};
use crate::read::{Item, Scan, parse_warc_date};

/// Bumped when [`FileScan`] changes shape: older cache files are then read again.
pub const SCAN_FORMAT: u32 = 1;

/// Size and modification time of a WARC file: a cached scan is valid while they match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: u64,
}

impl Stamp {
    /// The stamp of a file, or `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Some(Stamp {
            size: meta.len(),
            mtime_ns,
        })
    }
}

/// The kind of a capture record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureKind {
    /// A `response` record: the page as fetched.
    Response,
    /// A `revisit` record: fetched again, unchanged (its payload is in an earlier record).
    Revisit,
    /// A `resource` record.
    Resource,
}

/// One capture record of a WARC file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRow {
    /// `WARC-Target-URI`.
    pub url: String,
    /// `WARC-Date`.
    pub date: DateTime<Utc>,
    /// Record type.
    pub kind: CaptureKind,
    /// HTTP status code, for HTTP responses.
    pub status: Option<u16>,
    /// MIME type of the payload (from the HTTP `Content-Type`).
    pub mime: Option<String>,
    /// `WARC-Record-ID`.
    pub record_id: String,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Length of the frame/member (0 when unknown).
    pub length: u64,
    /// `WARC-Payload-Digest`.
    pub digest: Option<String>,
    /// For a revisit: `WARC-Refers-To` (the record holding the payload).
    pub refers_to: Option<String>,
    /// For a revisit: `WARC-Refers-To-Target-URI`.
    pub refers_to_url: Option<String>,
    /// For a revisit: `WARC-Refers-To-Date`.
    pub refers_to_date: Option<DateTime<Utc>>,
}

/// One article record (`metadata` record holding the extracted article as JSON) of a
/// WARC file, without the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRow {
    /// The page URL.
    pub url: String,
    /// Title.
    pub title: Option<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// Publication date as found.
    pub published: Option<String>,
    /// The metadata record's `WARC-Date`.
    pub date: DateTime<Utc>,
    /// `WARC-Refers-To`: the response record the article was extracted from.
    pub refers_to: Option<String>,
    /// Offset of the metadata record in the file.
    pub offset: u64,
    /// A short digest of the body (tells whether the body changed between captures).
    pub body_digest: String,
    /// Words in the body.
    pub words: usize,
}

/// What one WARC file holds, as cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileScan {
    /// [`SCAN_FORMAT`] when written.
    pub format: u32,
    /// File name (in the archive folder).
    pub name: String,
    /// The file's stamp when read.
    pub stamp: Stamp,
    /// Records read.
    pub records: u64,
    /// Damaged parts skipped while reading.
    pub damaged: Vec<String>,
    /// Capture records, in file order.
    pub captures: Vec<CaptureRow>,
    /// Article records, in file order.
    pub articles: Vec<ArticleRow>,
}

pub use crate::extract::Article as StoredArticle;
pub use crate::read::is_article_record;

/// The stable id of an article: the first 16 hex digits of the SHA-1 of its URL.
pub fn article_id(url: &str) -> String {
    let digest = Sha1::digest(url.as_bytes());
    data_encoding::HEXLOWER.encode(&digest[..8])
}

fn body_digest(body: &str) -> String {
    let digest = Sha1::digest(body.as_bytes());
    data_encoding::HEXLOWER.encode(&digest[..6])
}

fn clean_uri(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(v)
        .to_string()
}

fn short_mime(v: &str) -> Option<String> {
    let m = v
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    (!m.is_empty()).then_some(m)
}

/// An article read while scanning, body included (for the search index).
#[derive(Debug, Clone)]
pub struct ScannedArticle {
    /// Offset of its metadata record.
    pub offset: u64,
    /// The article.
    pub article: StoredArticle,
}

/// Reads every record of a WARC file. `keep` is called with each article record read
/// (with its body), for callers that index them.
pub fn scan_file(path: &Path, mut keep: impl FnMut(ScannedArticle)) -> FileScan {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = Stamp::of(path).unwrap_or(Stamp {
        size: 0,
        mtime_ns: 0,
    });
    let mut out = FileScan {
        format: SCAN_FORMAT,
        name,
        stamp,
        records: 0,
        damaged: Vec::new(),
        captures: Vec::new(),
        articles: Vec::new(),
    };
    let scan = match Scan::open(path) {
        Ok(s) => s,
        Err(e) => {
            out.damaged.push(e.to_string());
            return out;
        }
    };
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
                out.damaged.push(format!("offset {offset}: {message}"));
                continue;
            }
        };
        out.records += 1;
        let rtype = record.record_type().unwrap_or("");
        let kind = match rtype {
            "response" => Some(CaptureKind::Response),
            "revisit" => Some(CaptureKind::Revisit),
            "resource" => Some(CaptureKind::Resource),
            _ => None,
        };
        let date = record.header("WARC-Date").and_then(parse_warc_date);
        if let Some(kind) = kind {
            let (Some(url), Some(date)) = (record.header("WARC-Target-URI"), date) else {
                continue;
            };
            let head = if record.is_http() {
                record.http_head()
            } else {
                None
            };
            let status = head
                .and_then(http_status)
                .and_then(|s| s.parse::<u16>().ok());
            let mime = if kind == CaptureKind::Revisit {
                None
            } else {
                head.and_then(|h| http_header(h, "Content-Type"))
                    .or_else(|| record.header("Content-Type").map(str::to_string))
                    .and_then(|m| short_mime(&m))
            };
            out.captures.push(CaptureRow {
                url: clean_uri(url),
                date,
                kind,
                status,
                mime,
                record_id: record
                    .header("WARC-Record-ID")
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                offset,
                length: length.unwrap_or(0),
                digest: record.header("WARC-Payload-Digest").map(str::to_string),
                refers_to: record
                    .header("WARC-Refers-To")
                    .map(|v| v.trim().to_string()),
                refers_to_url: record.header("WARC-Refers-To-Target-URI").map(clean_uri),
                refers_to_date: record
                    .header("WARC-Refers-To-Date")
                    .and_then(parse_warc_date),
            });
        } else if is_article_record(&record) {
            let Ok(article) = serde_json::from_slice::<StoredArticle>(&record.block) else {
                out.damaged.push(format!(
                    "offset {offset}: metadata record is not an article"
                ));
                continue;
            };
            let url = if article.url.is_empty() {
                record
                    .header("WARC-Target-URI")
                    .map(clean_uri)
                    .unwrap_or_default()
            } else {
                article.url.clone()
            };
            if url.is_empty() {
                continue;
            }
            let body = article.body.as_deref().unwrap_or("");
            out.articles.push(ArticleRow {
                url,
                title: article.title.clone(),
                categories: article.categories.clone(),
                published: article.published.clone(),
                date: date.unwrap_or_default(),
                refers_to: record
                    .header("WARC-Refers-To")
                    .map(|v| v.trim().to_string()),
                offset,
                body_digest: body_digest(body),
                words: body.split_whitespace().count(),
            });
            keep(ScannedArticle { offset, article });
        }
    }
    out
}

/// The cache file of a WARC file's scan.
pub fn cache_path(cache_dir: &Path, warc_name: &str) -> PathBuf {
    cache_dir.join(format!("{warc_name}.json"))
}

/// Reads a cached scan, if present, readable and of the current format.
pub fn load_cached(cache_dir: &Path, warc_name: &str) -> Option<FileScan> {
    let bytes = std::fs::read(cache_path(cache_dir, warc_name)).ok()?;
    let scan: FileScan = serde_json::from_slice(&bytes).ok()?;
    (scan.format == SCAN_FORMAT && scan.name == warc_name).then_some(scan)
}

/// Writes a scan to the cache (temporary file + rename).
pub fn store_cached(cache_dir: &Path, scan: &FileScan) -> std::io::Result<()> {
    let path = cache_path(cache_dir, &scan.name);
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let bytes = serde_json::to_vec(scan).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, &path)
}

/// The site of a URL: its host, lower case, without a leading `www.`.
pub fn site_of(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    host.strip_prefix("www.").unwrap_or(&host).to_string()
}

/// The lookup key of a URL (SURT form, as in the CDXJ index): scheme, `www.`, case of the
/// host, trailing slash and query order do not matter.
pub fn url_key(url: &str) -> Option<String> {
    url::Url::parse(url.trim()).ok().map(|u| cdx_key(&u))
}

/// A capture of the catalog: which file, and the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureRef {
    /// Index in [`Catalog::files`].
    pub file: u32,
    /// Index in that file's captures.
    pub row: u32,
}

/// One version of an article: one article record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleVersion {
    /// The WARC file holding the article record.
    pub file: String,
    /// Offset of the article record.
    pub offset: u64,
    /// When the page was fetched (the referred response's date, else the record's).
    pub captured_at: DateTime<Utc>,
    /// The response record the article was extracted from.
    pub refers_to: Option<String>,
    /// Digest of the body.
    pub body_digest: String,
    /// Words in the body.
    pub words: usize,
}

/// An article of the catalog: its latest version's fields, and every version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleEntry {
    /// Stable id ([`article_id`] of the URL).
    pub id: String,
    /// The page URL.
    pub url: String,
    /// Site ([`site_of`]).
    pub site: String,
    /// Title.
    pub title: Option<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// The categories trimmed and in lower case (for filters).
    #[serde(skip)]
    pub category_keys: Vec<String>,
    /// Publication date as found.
    pub published: Option<String>,
    /// Publication date parsed.
    pub published_at: Option<DateTime<Utc>>,
    /// Versions, oldest first.
    pub versions: Vec<ArticleVersion>,
}

impl ArticleEntry {
    /// The latest version.
    pub fn latest(&self) -> Option<&ArticleVersion> {
        self.versions.last()
    }

    /// The primary category.
    pub fn category(&self) -> Option<&str> {
        self.categories.first().map(String::as_str)
    }
}

/// One WARC file as shown on the overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// File name.
    pub name: String,
    /// Size on disk.
    pub bytes: u64,
    /// Records read.
    pub records: u64,
    /// Capture records.
    pub captures: u64,
    /// Article records.
    pub articles: u64,
    /// Damaged parts found while reading.
    pub damaged: Vec<String>,
}

/// Counts shown on the overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Closed WARC files.
    pub files: usize,
    /// Their size on disk.
    pub bytes: u64,
    /// Records.
    pub records: u64,
    /// Captures (response, revisit and resource records).
    pub captures: u64,
    /// Revisits among them.
    pub revisits: u64,
    /// Article records (every version).
    pub article_records: u64,
    /// Distinct articles (URLs).
    pub articles: u64,
    /// Earliest capture.
    pub first_capture: Option<DateTime<Utc>>,
    /// Latest capture.
    pub last_capture: Option<DateTime<Utc>>,
}

/// The joined scans of an archive.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The scans, sorted by file name.
    pub scans: Vec<Arc<FileScan>>,
    /// Articles, newest publication first (undated last, then by URL).
    pub articles: Vec<ArticleEntry>,
    by_id: HashMap<String, u32>,
    article_by_key: HashMap<String, u32>,
    captures_by_key: HashMap<String, Vec<CaptureRef>>,
    capture_by_record: HashMap<String, CaptureRef>,
    /// Captures by day (UTC `YYYY-MM-DD`).
    pub captures_by_day: BTreeMap<String, u64>,
    /// Articles by site.
    pub articles_by_site: BTreeMap<String, u64>,
    /// Articles by primary category (`(none)` when there is none).
    pub articles_by_category: BTreeMap<String, u64>,
    /// Totals.
    pub totals: Totals,
}

/// The category name used for articles without one.
pub const NO_CATEGORY: &str = "(none)";

impl Catalog {
    /// Joins scans (any order) into a catalog.
    pub fn build(mut scans: Vec<Arc<FileScan>>) -> Catalog {
        scans.sort_by(|a, b| a.name.cmp(&b.name));
        let mut c = Catalog::default();
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        for (fi, scan) in scans.iter().enumerate() {
            c.totals.files += 1;
            c.totals.bytes += scan.stamp.size;
            c.totals.records += scan.records;
            for (ri, cap) in scan.captures.iter().enumerate() {
                let r = CaptureRef {
                    file: fi as u32,
                    row: ri as u32,
                };
                c.totals.captures += 1;
                if cap.kind == CaptureKind::Revisit {
                    c.totals.revisits += 1;
                }
                *c.captures_by_day
                    .entry(cap.date.format("%Y-%m-%d").to_string())
                    .or_default() += 1;
                first = Some(first.map_or(cap.date, |f| f.min(cap.date)));
                last = Some(last.map_or(cap.date, |l| l.max(cap.date)));
                if let Some(key) = url_key(&cap.url) {
                    c.captures_by_key.entry(key).or_default().push(r);
                }
                if !cap.record_id.is_empty() {
                    c.capture_by_record.insert(cap.record_id.clone(), r);
                }
            }
        }
        c.totals.first_capture = first;
        c.totals.last_capture = last;
        for list in c.captures_by_key.values_mut() {
            list.sort_by_key(|r| {
                let row = &scans[r.file as usize].captures[r.row as usize];
                (row.date, r.file, row.offset)
            });
        }
        // Articles: every article record, grouped by URL.
        let mut groups: HashMap<String, Vec<(u32, &ArticleRow)>> = HashMap::new();
        for (fi, scan) in scans.iter().enumerate() {
            for a in &scan.articles {
                c.totals.article_records += 1;
                groups
                    .entry(a.url.clone())
                    .or_default()
                    .push((fi as u32, a));
            }
        }
        let mut articles: Vec<ArticleEntry> = Vec::with_capacity(groups.len());
        for (url, rows) in groups {
            let mut versions: Vec<(ArticleVersion, &ArticleRow)> = rows
                .into_iter()
                .map(|(fi, a)| {
                    let captured_at = a
                        .refers_to
                        .as_ref()
                        .and_then(|id| c.capture_by_record.get(id))
                        .map(|r| scans[r.file as usize].captures[r.row as usize].date)
                        .unwrap_or(a.date);
                    (
                        ArticleVersion {
                            file: scans[fi as usize].name.clone(),
                            offset: a.offset,
                            captured_at,
                            refers_to: a.refers_to.clone(),
                            body_digest: a.body_digest.clone(),
                            words: a.words,
                        },
                        a,
                    )
                })
                .collect();
            versions.sort_by(|a, b| {
                (a.0.captured_at, &a.0.file, a.0.offset).cmp(&(
                    b.0.captured_at,
                    &b.0.file,
                    b.0.offset,
                ))
            });
            let Some((_, latest)) = versions.last() else {
                continue;
            };
            let published_at = latest
                .published
                .as_deref()
                .and_then(crate::read::articles::parse_article_date);
            articles.push(ArticleEntry {
                id: article_id(&url),
                site: site_of(&url),
                title: latest.title.clone(),
                categories: latest.categories.clone(),
                category_keys: latest
                    .categories
                    .iter()
                    .map(|c| c.trim().to_lowercase())
                    .collect(),
                published: latest.published.clone(),
                published_at,
                url,
                versions: versions.into_iter().map(|(v, _)| v).collect(),
            });
        }
        articles.sort_by(|a, b| {
            b.published_at
                .is_some()
                .cmp(&a.published_at.is_some())
                .then(b.published_at.cmp(&a.published_at))
                .then(a.url.cmp(&b.url))
        });
        for (i, a) in articles.iter().enumerate() {
            c.by_id.insert(a.id.clone(), i as u32);
            if let Some(key) = url_key(&a.url) {
                c.article_by_key.entry(key).or_insert(i as u32);
            }
            *c.articles_by_site.entry(a.site.clone()).or_default() += 1;
            *c.articles_by_category
                .entry(a.category().unwrap_or(NO_CATEGORY).to_string())
                .or_default() += 1;
        }
        c.totals.articles = articles.len() as u64;
        c.articles = articles;
        c.scans = scans;
        c
    }

    /// The article with this id.
    pub fn article(&self, id: &str) -> Option<&ArticleEntry> {
        self.by_id
            .get(id)
            .and_then(|&i| self.articles.get(i as usize))
    }

    /// The article of a URL (any form with the same SURT key).
    pub fn article_by_url(&self, url: &str) -> Option<&ArticleEntry> {
        let key = url_key(url)?;
        self.article_by_key
            .get(&key)
            .and_then(|&i| self.articles.get(i as usize))
    }

    /// The row of a capture.
    pub fn row(&self, r: CaptureRef) -> &CaptureRow {
        &self.scans[r.file as usize].captures[r.row as usize]
    }

    /// The name of the file of a capture.
    pub fn file_name(&self, r: CaptureRef) -> &str {
        &self.scans[r.file as usize].name
    }

    /// Every capture of a URL (any form with the same SURT key), oldest first.
    pub fn captures_of(&self, url: &str) -> &[CaptureRef] {
        url_key(url)
            .and_then(|k| self.captures_by_key.get(&k))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The capture of a record id.
    pub fn capture_by_record(&self, id: &str) -> Option<CaptureRef> {
        self.capture_by_record.get(id.trim()).copied()
    }

    /// The capture of `url` nearest in time to `at` (the latest when `None`); ties go to
    /// the earlier one, and a response beats a revisit of the same second.
    pub fn nearest_capture(&self, url: &str, at: Option<DateTime<Utc>>) -> Option<CaptureRef> {
        let list = self.captures_of(url);
        match at {
            None => list.last().copied(),
            Some(at) => list.iter().copied().min_by_key(|r| {
                let row = self.row(*r);
                (
                    (row.date - at).num_seconds().unsigned_abs(),
                    row.kind == CaptureKind::Revisit,
                )
            }),
        }
    }

    /// The capture holding the payload of `r`: itself, or for a revisit the record it
    /// refers to (by id, else the latest non-revisit of the refers-to URL and date).
    pub fn payload_capture(&self, r: CaptureRef) -> Option<CaptureRef> {
        let mut current = r;
        for _ in 0..8 {
            let row = self.row(current);
            if row.kind != CaptureKind::Revisit {
                return Some(current);
            }
            let next = row
                .refers_to
                .as_deref()
                .and_then(|id| self.capture_by_record(id))
                .or_else(|| {
                    let url = row.refers_to_url.as_deref().unwrap_or(&row.url);
                    self.captures_of(url).iter().copied().rfind(|c| {
                        let cr = self.row(*c);
                        cr.kind != CaptureKind::Revisit
                            && match row.refers_to_date {
                                Some(d) => cr.date == d,
                                None => cr.date <= row.date,
                            }
                    })
                })?;
            current = next;
        }
        None
    }

    /// The version of `article` extracted from capture `r` (for a revisit: from the
    /// capture holding its payload, else the latest version before it).
    pub fn version_of_capture<'a>(
        &self,
        article: &'a ArticleEntry,
        r: CaptureRef,
    ) -> Option<&'a ArticleVersion> {
        let payload = self.payload_capture(r).unwrap_or(r);
        let id = &self.row(payload).record_id;
        article
            .versions
            .iter()
            .find(|v| v.refers_to.as_deref() == Some(id.as_str()))
            .or_else(|| {
                let date = self.row(r).date;
                article
                    .versions
                    .iter()
                    .rev()
                    .find(|v| v.captured_at <= date)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> DateTime<Utc> {
        parse_warc_date(s).unwrap_or_default()
    }

    fn capture(
        url: &str,
        d: &str,
        kind: CaptureKind,
        id: &str,
        refers: Option<&str>,
    ) -> CaptureRow {
        CaptureRow {
            url: url.into(),
            date: date(d),
            kind,
            status: Some(200),
            mime: Some("text/html".into()),
            record_id: id.into(),
            offset: 0,
            length: 0,
            digest: None,
            refers_to: refers.map(str::to_string),
            refers_to_url: None,
            refers_to_date: None,
        }
    }

    fn article(url: &str, d: &str, refers: &str, published: &str, cat: &str) -> ArticleRow {
        ArticleRow {
            url: url.into(),
            title: Some(format!("Title of {url}")),
            categories: vec![cat.into()],
            published: Some(published.into()),
            date: date(d),
            refers_to: Some(refers.into()),
            offset: 10,
            body_digest: refers.into(),
            words: 3,
        }
    }

    #[test]
    fn versions_revisits_and_counts() {
        let a = "http://news.test/a/";
        let b = "http://www.news.test/b";
        let f1 = FileScan {
            format: SCAN_FORMAT,
            name: "f1.warc.zst".into(),
            stamp: Stamp {
                size: 100,
                mtime_ns: 1,
            },
            records: 4,
            damaged: vec![],
            captures: vec![
                capture(
                    a,
                    "2024-05-01T10:00:00Z",
                    CaptureKind::Response,
                    "<r1>",
                    None,
                ),
                capture(
                    b,
                    "2024-05-01T10:00:01Z",
                    CaptureKind::Response,
                    "<r2>",
                    None,
                ),
            ],
            articles: vec![
                article(a, "2024-05-01T10:00:02Z", "<r1>", "2024-04-30", "Cloud"),
                article(b, "2024-05-01T10:00:03Z", "<r2>", "2024-05-01", "IA"),
            ],
        };
        let f2 = FileScan {
            name: "f2.warc.zst".into(),
            captures: vec![
                capture(
                    a,
                    "2024-06-01T10:00:00Z",
                    CaptureKind::Revisit,
                    "<r3>",
                    Some("<r1>"),
                ),
                capture(
                    b,
                    "2024-06-01T10:00:01Z",
                    CaptureKind::Response,
                    "<r4>",
                    None,
                ),
            ],
            articles: vec![article(
                b,
                "2024-06-01T10:00:03Z",
                "<r4>",
                "2024-05-01",
                "IA",
            )],
            ..f1.clone()
        };
        let c = Catalog::build(vec![Arc::new(f2), Arc::new(f1)]);
        assert_eq!(c.totals.files, 2);
        assert_eq!(c.totals.captures, 4);
        assert_eq!(c.totals.revisits, 1);
        assert_eq!(c.totals.articles, 2);
        assert_eq!(c.totals.article_records, 3);
        // Newest publication first.
        assert_eq!(c.articles[0].url, b);
        assert_eq!(c.articles[0].versions.len(), 2);
        assert_eq!(c.articles_by_category.get("Cloud"), Some(&1));
        assert_eq!(c.articles_by_site.get("news.test"), Some(&2));
        // Other spellings of the URL find the same captures.
        assert_eq!(c.captures_of("http://news.test/a").len(), 2);
        assert_eq!(c.captures_of("https://www.news.test/b/").len(), 2);
        let latest = c.nearest_capture(a, None).expect("capture");
        assert_eq!(c.row(latest).kind, CaptureKind::Revisit);
        let payload = c.payload_capture(latest).expect("payload");
        assert_eq!(c.row(payload).record_id, "<r1>");
        let art = c.article_by_url(a).expect("article");
        assert_eq!(art.id, article_id(a));
        let v = c.version_of_capture(art, latest).expect("version");
        assert_eq!(v.refers_to.as_deref(), Some("<r1>"));
        let near = c
            .nearest_capture(a, Some(date("2024-05-02T00:00:00Z")))
            .expect("near");
        assert_eq!(c.row(near).record_id, "<r1>");
        assert_eq!(c.captures_by_day.get("2024-06-01"), Some(&2));
    }

    #[test]
    fn ids_are_stable_and_short() {
        assert_eq!(article_id("http://a.test/x").len(), 16);
        assert_eq!(article_id("http://a.test/x"), article_id("http://a.test/x"));
        assert_ne!(article_id("http://a.test/x"), article_id("http://a.test/y"));
        assert_eq!(site_of("https://www.Example.org/a"), "example.org");
    }
}
