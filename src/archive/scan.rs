//! The one scan of a WARC file: every record read once ([`scan_file`]) into a
//! [`FileScan`] holding its captures (response, revisit and resource records), its other
//! indexed `metadata` records, and a summary of each extracted article. The CDXJ index,
//! the article export, the statistics and the server's catalog are all built from it.
//!
//! A scan is valid while the file's [`Stamp`] (size and modification time) is unchanged:
//! [`plan`] is the one staleness check, used by the index writer (against its manifest)
//! and by the server (against its cached scans, [`FileScan::load`]).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use super::wp_rest::{MAX_JSON_BYTES, RestPost, RestPostRow, post_route_id, read_post_json};
use crate::extract::Article;
use crate::read::index::{http_header, http_status};
use crate::read::{Item, Scan, is_article_record, parse_warc_date};
use crate::warc::{Record, sha1_digest};

/// Bumped when [`FileScan`] changes shape: older cached scans are then read again.
pub const SCAN_FORMAT: u32 = 5;

/// Size and modification time of a WARC file: a scan of it is valid while they match.
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

/// What [`plan`] found: which files must be read again.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Every current file's name and stamp, in the order given.
    pub stamps: Vec<(String, Stamp)>,
    /// Files whose earlier scan is still valid.
    pub fresh: Vec<String>,
    /// Files to read (new or changed), largest first (for a better spread over cores).
    pub todo: Vec<PathBuf>,
    /// Names known before that are no longer in the folder.
    pub gone: Vec<String>,
}

/// The one staleness check: compares the current `files` with what an earlier pass
/// knew (`known`: file name → stamp of its scan). A file is fresh when its stamp is
/// unchanged; `known_names` lists every name known, to find those that are gone.
pub fn plan<'a>(
    files: &[PathBuf],
    mut known: impl FnMut(&str) -> Option<Stamp>,
    known_names: impl IntoIterator<Item = &'a str>,
) -> Plan {
    let mut plan = Plan::default();
    let mut sized: Vec<(u64, PathBuf)> = Vec::new();
    for path in files {
        let name = file_name(path);
        let Some(stamp) = Stamp::of(path) else {
            continue;
        };
        if known(&name) == Some(stamp) {
            plan.fresh.push(name.clone());
        } else {
            sized.push((stamp.size, path.clone()));
        }
        plan.stamps.push((name, stamp));
    }
    sized.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    plan.todo = sized.into_iter().map(|(_, p)| p).collect();
    let current: HashSet<&str> = plan.stamps.iter().map(|(n, _)| n.as_str()).collect();
    plan.gone = known_names
        .into_iter()
        .filter(|n| !current.contains(n))
        .map(str::to_string)
        .collect();
    plan
}

/// The name of a file (its last path component).
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
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

impl CaptureKind {
    /// The record type's name (`response`, `revisit`, `resource`).
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureKind::Response => "response",
            CaptureKind::Revisit => "revisit",
            CaptureKind::Resource => "resource",
        }
    }

    fn of(record_type: &str) -> Option<CaptureKind> {
        match record_type {
            "response" => Some(CaptureKind::Response),
            "revisit" => Some(CaptureKind::Revisit),
            "resource" => Some(CaptureKind::Resource),
            _ => None,
        }
    }
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
    /// HTTP status code, for HTTP responses and revisits.
    pub status: Option<u16>,
    /// MIME type of the payload as found (HTTP `Content-Type`, or the record's for a
    /// record that is not HTTP); `None` for revisits.
    pub mime: Option<String>,
    /// `WARC-Record-ID`.
    pub record_id: String,
    /// Offset of the record's frame/member in the file.
    pub offset: u64,
    /// Length of the frame/member (0 when the record shares its frame with the next).
    pub length: u64,
    /// Where the record starts in the decoded bytes of its frame/member (0 but in a file
    /// compressed as one stream; see [`crate::warc::WarcReader::inner_offset`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inner: u64,
    /// `WARC-Payload-Digest` (computed when the header is missing).
    pub digest: Option<String>,
    /// For a revisit: `WARC-Refers-To` (the record holding the payload).
    pub refers_to: Option<String>,
    /// For a revisit: `WARC-Refers-To-Target-URI`.
    pub refers_to_url: Option<String>,
    /// For a revisit: `WARC-Refers-To-Date`.
    pub refers_to_date: Option<DateTime<Utc>>,
    /// For a redirect: the HTTP `Location` as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl CaptureRow {
    /// The MIME type in lower case (empty when unknown).
    pub fn mime_lower(&self) -> String {
        self.mime.as_deref().unwrap_or("").to_ascii_lowercase()
    }
}

/// A `metadata` record that is indexed (any but `application/warc-fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataRow {
    /// `WARC-Target-URI`.
    pub url: String,
    /// `WARC-Date`.
    pub date: DateTime<Utc>,
    /// Its `Content-Type` without parameters.
    pub mime: Option<String>,
    /// `WARC-Block-Digest`.
    pub digest: Option<String>,
    /// Offset of the record's frame/member.
    pub offset: u64,
    /// Length of the frame/member (0 when unknown).
    pub length: u64,
    /// Where the record starts in the decoded bytes of its frame/member (0 but in a file
    /// compressed as one stream; see [`crate::warc::WarcReader::inner_offset`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inner: u64,
}

/// One article record (`metadata` record holding the extracted article as JSON), without
/// the body: what lists, filters and groups need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSummary {
    /// The page URL.
    pub url: String,
    /// Title.
    pub title: Option<String>,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// Publication date as found.
    pub published: Option<String>,
    /// The canonical URL the page names (`<link rel="canonical">`), when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    /// The metadata record's `WARC-Date`.
    pub date: DateTime<Utc>,
    /// `WARC-Refers-To`: the response record the article was extracted from.
    pub refers_to: Option<String>,
    /// Offset of the metadata record in the file.
    pub offset: u64,
    /// Length of its frame/member (0 when it shares it with the next record).
    #[serde(default)]
    pub length: u64,
    /// Where the record starts in the decoded bytes of its frame/member (0 but in a file
    /// compressed as one stream; see [`crate::warc::WarcReader::inner_offset`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub inner: u64,
    /// A short digest of the body (tells whether the body changed between captures).
    pub body_digest: String,
    /// Words in the body.
    pub words: usize,
    /// The REST route of the WordPress post the page is ([`Article::wp_rest`]): its JSON
    /// completes a publication date the page does not show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wp_rest: Option<String>,
}

/// What one WARC file holds.
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
    /// Records by `WARC-Type` (`-` when none).
    #[serde(default)]
    pub record_types: BTreeMap<String, u64>,
    /// Bytes of the capture payloads (as stored).
    #[serde(default)]
    pub payload_bytes: u64,
    /// Damaged parts skipped while reading (`offset N: message`).
    pub damaged: Vec<String>,
    /// Capture records, in file order.
    pub captures: Vec<CaptureRow>,
    /// Indexed metadata records (articles included), in file order.
    #[serde(default)]
    pub metadata: Vec<MetadataRow>,
    /// Article records, in file order (empty for a [`scan_rows`] scan).
    pub articles: Vec<ArticleSummary>,
    /// Article records found (JSON `metadata` records), read or not.
    #[serde(default)]
    pub article_records: u64,
    /// The WordPress post JSONs among the responses (see [`super::wp_rest`]).
    #[serde(default)]
    pub wp_posts: Vec<RestPostRow>,
}

/// An article read while scanning, body included.
#[derive(Debug, Clone)]
pub struct ScannedArticle {
    /// Offset of its metadata record.
    pub offset: u64,
    /// Length of its frame/member (0 when it shares it with the next record).
    pub length: u64,
    /// Where it starts in the decoded bytes of its frame/member (see [`CaptureRow::inner`]).
    pub inner: u64,
    /// The article.
    pub article: Article,
}

/// The stable id of an article: the first 16 hex digits of the SHA-1 of its URL.
pub fn article_id(url: &str) -> String {
    let digest = Sha1::digest(url.as_bytes());
    data_encoding::HEXLOWER.encode(&digest[..8])
}

fn body_digest(body: &str) -> String {
    let digest = Sha1::digest(body.as_bytes());
    data_encoding::HEXLOWER.encode(&digest[..6])
}

/// A `WARC-Target-URI` without the angle brackets some writers put around it.
pub fn clean_uri(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(v)
        .to_string()
}

/// A MIME type without its parameters (`text/html; charset=utf-8` → `text/html`).
pub fn short_mime(v: &str) -> Option<String> {
    let m = v.split([';', ' ', '\t']).next().unwrap_or("").trim();
    (!m.is_empty()).then(|| m.to_string())
}

impl FileScan {
    fn empty(path: &Path) -> FileScan {
        FileScan {
            format: SCAN_FORMAT,
            name: file_name(path),
            stamp: Stamp::of(path).unwrap_or(Stamp {
                size: 0,
                mtime_ns: 0,
            }),
            records: 0,
            record_types: BTreeMap::new(),
            payload_bytes: 0,
            damaged: Vec::new(),
            captures: Vec::new(),
            metadata: Vec::new(),
            articles: Vec::new(),
            article_records: 0,
            wp_posts: Vec::new(),
        }
    }

    /// The cache file of a scan in `cache_dir`.
    pub fn cache_path(cache_dir: &Path, warc_name: &str) -> PathBuf {
        cache_dir.join(format!("{warc_name}.json"))
    }

    /// Reads a cached scan, if present, readable and of the current format.
    pub fn load(cache_dir: &Path, warc_name: &str) -> Option<FileScan> {
        let bytes = std::fs::read(FileScan::cache_path(cache_dir, warc_name)).ok()?;
        let scan: FileScan = serde_json::from_slice(&bytes).ok()?;
        (scan.format == SCAN_FORMAT && scan.name == warc_name).then_some(scan)
    }

    /// Writes a scan to the cache (temporary file + rename).
    pub fn store(&self, cache_dir: &Path) -> std::io::Result<()> {
        let path = FileScan::cache_path(cache_dir, &self.name);
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }
}

/// Reads every record of a WARC file once. `keep` is called with each article record
/// read (with its body), for callers that need more than the summary.
pub fn scan_file(path: &Path, keep: impl FnMut(ScannedArticle)) -> FileScan {
    scan(path, true, keep, None)
}

/// A row of the index, handed over by [`scan_rows`] as soon as its record is read.
#[derive(Debug, Clone)]
pub enum Row {
    /// A capture record.
    Capture(CaptureRow),
    /// An indexed metadata record.
    Metadata(MetadataRow),
}

/// [`scan_file`] without reading the articles (their JSON is not parsed: `articles` stays
/// empty, `article_records` counts them), handing each capture and indexed metadata row
/// to `row` as it is read instead of keeping it (`captures` and `metadata` stay empty):
/// what the index writer and the statistics need, in memory that does not grow with the
/// number of records in the file.
pub fn scan_rows(path: &Path, mut row: impl FnMut(Row)) -> FileScan {
    scan(path, false, |_| {}, Some(&mut row))
}

fn scan(
    path: &Path,
    articles: bool,
    mut keep: impl FnMut(ScannedArticle),
    mut rows: Option<&mut dyn FnMut(Row)>,
) -> FileScan {
    let mut out = FileScan::empty(path);
    let scan = match Scan::open(path) {
        Ok(s) => s,
        Err(e) => {
            out.damaged.push(e.to_string());
            return out;
        }
    };
    for item in scan {
        match item {
            Item::Record {
                offset,
                length,
                inner,
                record,
            } => {
                let place = Place {
                    offset,
                    length: length.unwrap_or(0),
                    inner,
                };
                if let Some(a) = out.add(&record, place, articles) {
                    keep(a);
                }
                if let Some(rows) = rows.as_mut() {
                    out.captures.drain(..).for_each(|c| rows(Row::Capture(c)));
                    out.metadata.drain(..).for_each(|m| rows(Row::Metadata(m)));
                }
            }
            Item::Damage {
                offset, message, ..
            } => out.damaged.push(format!("offset {offset}: {message}")),
        }
    }
    out
}

impl FileScan {
    /// Adds one record; returns the article it holds, if any.
    fn add(&mut self, record: &Record, place: Place, articles: bool) -> Option<ScannedArticle> {
        let Place {
            offset,
            length,
            inner,
        } = place;
        self.records += 1;
        let rtype = record.record_type().unwrap_or("-");
        *self.record_types.entry(rtype.to_string()).or_default() += 1;
        if let Some(kind) = CaptureKind::of(rtype) {
            if let Some(row) = capture_row(record, kind, place) {
                self.payload_bytes += record.payload().map_or(0, |p| p.len() as u64);
                if let Some(post) = wp_post_json(record, &row) {
                    self.wp_posts.push(RestPostRow {
                        record_id: row.record_id.clone(),
                        post,
                    });
                }
                self.captures.push(row);
            }
            return None;
        }
        if rtype != "metadata" {
            return None;
        }
        if is_warc_fields(record) {
            return None;
        }
        if let Some(row) = metadata_row(record, place) {
            self.metadata.push(row);
        }
        if !is_article_record(record) {
            return None;
        }
        self.article_records += 1;
        if !articles {
            return None;
        }
        let Ok(article) = serde_json::from_slice::<Article>(&record.block) else {
            self.damaged.push(format!(
                "offset {offset}: metadata record is not an article"
            ));
            return None;
        };
        let url = if article.url.is_empty() {
            clean_uri(record.header("WARC-Target-URI").unwrap_or(""))
        } else {
            article.url.clone()
        };
        if url.is_empty() {
            return None;
        }
        let body = article.body.as_deref().unwrap_or("");
        self.articles.push(ArticleSummary {
            url,
            title: article.title.clone(),
            categories: article.categories.clone(),
            published: article.published.clone(),
            canonical_url: article.canonical_url.clone(),
            date: record
                .header("WARC-Date")
                .and_then(parse_warc_date)
                .unwrap_or_default(),
            refers_to: record
                .header("WARC-Refers-To")
                .map(|v| v.trim().to_string()),
            offset,
            length,
            inner,
            body_digest: body_digest(body),
            words: body.split_whitespace().count(),
            wp_rest: article.wp_rest.clone(),
        });
        Some(ScannedArticle {
            offset,
            length,
            inner,
            article,
        })
    }
}

/// The WordPress post JSON a response holds: a 200 JSON answer of a post's REST route
/// that reads as a post (see [`super::wp_rest::read_post_json`]).
fn wp_post_json(record: &Record, row: &CaptureRow) -> Option<RestPost> {
    if row.kind != CaptureKind::Response
        || row.status != Some(200)
        || !row.mime_lower().contains("json")
        || post_route_id(&row.url).is_none()
    {
        return None;
    }
    let head = record.http_head()?;
    let payload = record.payload()?;
    if payload.len() as u64 > MAX_JSON_BYTES {
        return None;
    }
    let body = crate::read::get::decode_body_limited(head, payload, MAX_JSON_BYTES).ok()?;
    read_post_json(&body).ok()
}

/// Where a record is in its file.
#[derive(Debug, Clone, Copy)]
struct Place {
    offset: u64,
    length: u64,
    inner: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The index row of one record at `offset` (its frame/member `length` bytes long, 0 when
/// unknown), as [`scan_rows`] would hand it over: `None` for a record that is not indexed
/// (requests, `warcinfo`, `application/warc-fields` metadata) or whose URL or date is
/// unreadable. Lets a writer index what it writes without reading it back.
pub fn row_of(record: &Record, offset: u64, length: u64) -> Option<Row> {
    let place = Place {
        offset,
        length,
        inner: 0,
    };
    let rtype = record.record_type().unwrap_or("-");
    if let Some(kind) = CaptureKind::of(rtype) {
        return capture_row(record, kind, place).map(Row::Capture);
    }
    if rtype != "metadata" || is_warc_fields(record) {
        return None;
    }
    metadata_row(record, place).map(Row::Metadata)
}

/// A `metadata` record of `application/warc-fields`: as cdxj-indexer, not indexed.
fn is_warc_fields(record: &Record) -> bool {
    record
        .header("Content-Type")
        .unwrap_or("")
        .trim()
        .eq_ignore_ascii_case("application/warc-fields")
}

/// The row of a `metadata` record, or `None` when its URL or date is unreadable.
fn metadata_row(record: &Record, place: Place) -> Option<MetadataRow> {
    let url = clean_uri(record.header("WARC-Target-URI").unwrap_or(""));
    let date = record.header("WARC-Date").and_then(parse_warc_date)?;
    url::Url::parse(&url).ok()?;
    Some(MetadataRow {
        url,
        date,
        mime: short_mime(record.header("Content-Type").unwrap_or("")),
        digest: record.header("WARC-Block-Digest").map(str::to_string),
        offset: place.offset,
        length: place.length,
        inner: place.inner,
    })
}

/// The row of a capture record, or `None` when its URL or date is unreadable.
fn capture_row(record: &Record, kind: CaptureKind, place: Place) -> Option<CaptureRow> {
    let url = clean_uri(record.header("WARC-Target-URI")?);
    url::Url::parse(&url).ok()?;
    let date = parse_warc_date(record.header("WARC-Date")?)?;
    let head = if record.is_http() {
        record.http_head()
    } else {
        None
    };
    let status = head
        .and_then(http_status)
        .and_then(|s| s.parse::<u16>().ok());
    let mime = match (kind, head) {
        (CaptureKind::Revisit, _) => None,
        (_, Some(h)) => http_header(h, "Content-Type").and_then(|m| short_mime(&m)),
        (_, None) => record.header("Content-Type").and_then(short_mime),
    };
    let location = head
        .filter(|_| status.is_some_and(|s| (300..400).contains(&s)))
        .and_then(|h| http_header(h, "Location"));
    let digest = record
        .header("WARC-Payload-Digest")
        .map(str::to_string)
        .or_else(|| {
            (kind != CaptureKind::Revisit)
                .then(|| record.payload().map(|p| sha1_digest(&p)))
                .flatten()
        });
    Some(CaptureRow {
        url,
        date,
        kind,
        status,
        mime,
        record_id: record
            .header("WARC-Record-ID")
            .unwrap_or("")
            .trim()
            .to_string(),
        offset: place.offset,
        length: place.length,
        inner: place.inner,
        digest,
        refers_to: record
            .header("WARC-Refers-To")
            .map(|v| v.trim().to_string()),
        refers_to_url: record.header("WARC-Refers-To-Target-URI").map(clean_uri),
        refers_to_date: record
            .header("WARC-Refers-To-Date")
            .and_then(parse_warc_date),
        location,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_finds_new_changed_and_gone_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let a = dir.path().join("a.warc");
        let b = dir.path().join("b.warc");
        std::fs::write(&a, b"aaaa").expect("write");
        std::fs::write(&b, b"bb").expect("write");
        let stamp_a = Stamp::of(&a);
        let known = |n: &str| if n == "a.warc" { stamp_a } else { None };
        let p = plan(&[a.clone(), b.clone()], known, ["a.warc", "old.warc"]);
        assert_eq!(p.fresh, ["a.warc"]);
        assert_eq!(p.todo, std::slice::from_ref(&b));
        assert_eq!(p.gone, ["old.warc"]);
        std::fs::write(&a, b"changed").expect("write");
        let p = plan(&[a.clone(), b], known, []);
        assert!(p.fresh.is_empty());
        assert_eq!(p.todo[0], a, "largest first");
    }

    #[test]
    fn ids_are_stable_and_short() {
        assert_eq!(article_id("http://a.test/x").len(), 16);
        assert_eq!(article_id("http://a.test/x"), article_id("http://a.test/x"));
        assert_ne!(article_id("http://a.test/x"), article_id("http://a.test/y"));
        assert_eq!(CaptureKind::Revisit.as_str(), "revisit");
        assert_eq!(
            short_mime("text/html; charset=utf-8").as_deref(),
            Some("text/html")
        );
    }
}
