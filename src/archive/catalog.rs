//! The catalog of an archive: the scans of its WARC files ([`super::scan::FileScan`])
//! joined, so that nothing is read from a WARC file to list, filter or look up.
//! [`Catalog::build`] joins the scans into lookup tables: captures by URL (SURT key) and
//! record id, one [`ArticleEntry`] per article URL with every version (capture) of it,
//! and the overview's counts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::filter::parse_article_date;
pub use super::history::url_key;
use super::history::{ArticleStatus, UrlHistory, canonical_of};
use super::listing::categories_from_listings;
use super::scan::{ArticleSummary, CaptureKind, CaptureRow, FileScan, article_id};
use super::site_of;
use super::wp_posts::RestIndex;

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
    /// Where it starts in the decoded bytes of its frame/member.
    #[serde(skip_serializing_if = "is_zero")]
    pub inner: u64,
    /// When the page was fetched (the referred response's date, else the record's).
    pub captured_at: DateTime<Utc>,
    /// The response record the article was extracted from.
    pub refers_to: Option<String>,
    /// Digest of the body.
    pub body_digest: String,
    /// Words in the body.
    pub words: usize,
}

/// An article of the catalog (one per canonical URL): its latest version's fields, and
/// every version.
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
    /// Other pages that name this one as canonical (`?replytocom=…` and the like).
    pub duplicates: Vec<String>,
    /// `current`, or `gone` when its latest capture is a 404/410 or a redirect away.
    pub status: ArticleStatus,
    /// When it was first found gone.
    pub gone_since: Option<DateTime<Utc>>,
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
    /// Distinct articles (canonical URLs).
    pub articles: u64,
    /// Of which deleted (`gone`).
    pub gone: u64,
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
    /// The WordPress post JSONs captured, which complete the articles read from their
    /// records ([`RestIndex::complete`]).
    pub wp_rest: RestIndex,
}

/// The category name used for articles without one.
pub const NO_CATEGORY: &str = "(none)";

impl Catalog {
    /// Joins scans (any order) into a catalog.
    pub fn build(mut scans: Vec<Arc<FileScan>>) -> Catalog {
        scans.sort_by(|a, b| a.name.cmp(&b.name));
        let mut c = Catalog::default();
        c.index_captures(&scans);
        for scan in &scans {
            c.wp_rest.add_scan(scan);
        }
        let mut articles = c.group_articles(&scans);
        articles.sort_by(|a, b| {
            b.published_at
                .is_some()
                .cmp(&a.published_at.is_some())
                .then(b.published_at.cmp(&a.published_at))
                .then(a.url.cmp(&b.url))
        });
        c.scans = scans;
        c.index_articles(articles);
        c
    }

    /// Captures by URL key and record id, counts by day, totals.
    fn index_captures(&mut self, scans: &[Arc<FileScan>]) {
        let mut first: Option<DateTime<Utc>> = None;
        let mut last: Option<DateTime<Utc>> = None;
        for (fi, scan) in scans.iter().enumerate() {
            self.totals.files += 1;
            self.totals.bytes += scan.stamp.size;
            self.totals.records += scan.records;
            for (ri, cap) in scan.captures.iter().enumerate() {
                let r = CaptureRef {
                    file: fi as u32,
                    row: ri as u32,
                };
                self.totals.captures += 1;
                if cap.kind == CaptureKind::Revisit {
                    self.totals.revisits += 1;
                }
                *self
                    .captures_by_day
                    .entry(cap.date.format("%Y-%m-%d").to_string())
                    .or_default() += 1;
                first = Some(first.map_or(cap.date, |f| f.min(cap.date)));
                last = Some(last.map_or(cap.date, |l| l.max(cap.date)));
                if let Some(key) = url_key(&cap.url) {
                    self.captures_by_key.entry(key).or_default().push(r);
                }
                if !cap.record_id.is_empty() {
                    self.capture_by_record.insert(cap.record_id.clone(), r);
                }
            }
        }
        self.totals.first_capture = first;
        self.totals.last_capture = last;
        for list in self.captures_by_key.values_mut() {
            list.sort_by_key(|r| {
                let row = &scans[r.file as usize].captures[r.row as usize];
                (row.date, r.file, row.offset)
            });
        }
    }

    /// Every article record, grouped by article (canonical URL): one entry each.
    fn group_articles(&mut self, scans: &[Arc<FileScan>]) -> Vec<ArticleEntry> {
        let mut groups: HashMap<&str, Vec<(u32, &ArticleSummary)>> = HashMap::new();
        for (fi, scan) in scans.iter().enumerate() {
            for a in &scan.articles {
                self.totals.article_records += 1;
                let url = canonical_of(&a.url, a.canonical_url.as_deref());
                groups.entry(url).or_default().push((fi as u32, a));
            }
        }
        let mut articles: Vec<ArticleEntry> = Vec::with_capacity(groups.len());
        for (url, rows) in groups {
            // The records of the canonical page itself, when there are any.
            let own = rows.iter().any(|(_, a)| a.url == url);
            let mut duplicates: Vec<String> = Vec::new();
            let mut versions: Vec<(ArticleVersion, &ArticleSummary)> = Vec::new();
            for (fi, a) in rows {
                if own && a.url != url {
                    if !duplicates.contains(&a.url) {
                        duplicates.push(a.url.clone());
                    }
                    continue;
                }
                versions.push((self.version(scans, fi, a), a));
            }
            versions.sort_by(|a, b| {
                (a.0.captured_at, &a.0.file, a.0.offset).cmp(&(
                    b.0.captured_at,
                    &b.0.file,
                    b.0.offset,
                ))
            });
            duplicates.sort();
            let Some((latest_version, latest)) = versions.last() else {
                continue;
            };
            // The final publication date: the page's, else its post JSON's (as exported).
            let published = self.wp_rest.published(
                latest.published.as_deref(),
                latest.wp_rest.as_deref(),
                (latest.url.as_str(), latest.canonical_url.as_deref()),
                latest_version.captured_at,
            );
            articles.push(ArticleEntry {
                id: article_id(url),
                site: site_of(url),
                title: latest.title.clone(),
                categories: latest.categories.clone(),
                category_keys: latest
                    .categories
                    .iter()
                    .map(|c| c.trim().to_lowercase())
                    .collect(),
                published_at: published.as_deref().and_then(parse_article_date),
                published,
                url: url.to_string(),
                duplicates,
                status: ArticleStatus::Current,
                gone_since: None,
                versions: versions.into_iter().map(|(v, _)| v).collect(),
            });
        }
        articles
    }

    /// The version an article record is: captured when the response it refers to was.
    fn version(&self, scans: &[Arc<FileScan>], file: u32, a: &ArticleSummary) -> ArticleVersion {
        let captured_at = a
            .refers_to
            .as_ref()
            .and_then(|id| self.capture_by_record.get(id))
            .map(|r| scans[r.file as usize].captures[r.row as usize].date)
            .unwrap_or(a.date);
        ArticleVersion {
            file: scans[file as usize].name.clone(),
            offset: a.offset,
            inner: a.inner,
            captured_at,
            refers_to: a.refers_to.clone(),
            body_digest: a.body_digest.clone(),
            words: a.words,
        }
    }

    /// Lookup tables and counts of the articles, and their status (which needs every
    /// article known: a redirect to an article is no deletion).
    fn index_articles(&mut self, mut articles: Vec<ArticleEntry>) {
        for (i, a) in articles.iter().enumerate() {
            self.by_id.insert(a.id.clone(), i as u32);
            let urls = std::iter::once(&a.url).chain(&a.duplicates);
            for key in urls.filter_map(|u| url_key(u)) {
                self.article_by_key.entry(key).or_insert(i as u32);
            }
        }
        for a in articles.iter_mut().filter(|a| a.categories.is_empty()) {
            a.categories = categories_from_listings(&a.url, |k| self.is_listing_page(k));
            a.category_keys = a
                .categories
                .iter()
                .map(|c| c.trim().to_lowercase())
                .collect();
        }
        for a in &articles {
            *self.articles_by_site.entry(a.site.clone()).or_default() += 1;
            *self
                .articles_by_category
                .entry(a.category().unwrap_or(NO_CATEGORY).to_string())
                .or_default() += 1;
        }
        for a in &mut articles {
            let mut history = UrlHistory::default();
            for r in self.captures_of(&a.url) {
                history.add(self.row(*r), r.file);
            }
            a.gone_since = history.gone_since(|k| self.article_by_key.contains_key(k));
            if a.gone_since.is_some() {
                a.status = ArticleStatus::Gone;
                self.totals.gone += 1;
            }
        }
        self.totals.articles = articles.len() as u64;
        self.articles = articles;
    }

    /// True when the page of URL key `key` is a listing page of the crawl: captured
    /// present, and no article (see [`categories_from_listings`]).
    fn is_listing_page(&self, key: &str) -> bool {
        if self.article_by_key.contains_key(key) {
            return false;
        }
        let mut history = UrlHistory::default();
        for r in self.captures_by_key.get(key).into_iter().flatten() {
            history.add(self.row(*r), r.file);
        }
        history.seen_present()
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::scan::{SCAN_FORMAT, Stamp};
    use crate::read::parse_warc_date;

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
            inner: 0,
            digest: None,
            refers_to: refers.map(str::to_string),
            refers_to_url: None,
            refers_to_date: None,
            location: None,
        }
    }

    fn article(url: &str, d: &str, refers: &str, published: &str, cat: &str) -> ArticleSummary {
        ArticleSummary {
            url: url.into(),
            title: Some(format!("Title of {url}")),
            categories: vec![cat.into()],
            published: Some(published.into()),
            canonical_url: None,
            date: date(d),
            refers_to: Some(refers.into()),
            offset: 10,
            length: 0,
            inner: 0,
            body_digest: refers.into(),
            words: 3,
            wp_rest: None,
        }
    }

    #[test]
    fn an_article_without_category_gets_the_listing_pages_of_the_crawl() {
        let art = "http://news.test/economie/entreprises/une-usine-ferme/";
        let mut no_category = article(art, "2024-05-01T10:00:02Z", "<r1>", "2024-04-30", "");
        no_category.categories.clear();
        // A listing page that was not found is no listing page.
        let mut gone_listing = capture(
            "http://news.test/economie",
            "2024-05-01T10:00:03Z",
            CaptureKind::Response,
            "<r3>",
            None,
        );
        gone_listing.status = Some(404);
        let scan = FileScan {
            format: SCAN_FORMAT,
            name: "f1.warc.zst".into(),
            stamp: Stamp {
                size: 1,
                mtime_ns: 1,
            },
            records: 3,
            record_types: BTreeMap::new(),
            payload_bytes: 0,
            damaged: vec![],
            metadata: vec![],
            article_records: 1,
            wp_posts: vec![],
            captures: vec![
                capture(
                    art,
                    "2024-05-01T10:00:00Z",
                    CaptureKind::Response,
                    "<r1>",
                    None,
                ),
                capture(
                    "http://news.test/economie/entreprises/",
                    "2024-05-01T10:00:01Z",
                    CaptureKind::Response,
                    "<r2>",
                    None,
                ),
                gone_listing,
            ],
            articles: vec![no_category],
        };
        let c = Catalog::build(vec![Arc::new(scan)]);
        let entry = c.article_by_url(art).expect("the article");
        assert_eq!(entry.categories, ["entreprises"]);
        assert_eq!(entry.category_keys, ["entreprises"]);
        assert_eq!(c.articles_by_category.get("entreprises"), Some(&1));
        assert_eq!(c.articles_by_category.get(NO_CATEGORY), None);
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
            record_types: BTreeMap::new(),
            payload_bytes: 0,
            damaged: vec![],
            metadata: vec![],
            article_records: 2,
            wp_posts: vec![],
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
}
