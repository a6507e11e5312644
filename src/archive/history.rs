//! What the captures of a URL say about its article over time: whether it is still
//! there (`current`) or was deleted (`gone`: its latest capture is a 404 or 410, or a
//! redirect away to a page that is not an article), and since when; and which pages
//! stand for the same article (`<link rel="canonical">` naming another page of the same
//! site: one article per canonical URL).
//!
//! Both the export ([`crate::read::articles`]) and the catalog ([`super::catalog`]) use
//! these rules, so `glaneur articles` and `glaneur serve` agree.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scan::{CaptureRow, FileScan};
use super::site_of;
use crate::read::index::cdx_key;

/// Whether an article is still online as last captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleStatus {
    /// Its latest capture is the page.
    #[default]
    Current,
    /// Its latest capture is a 404/410, or a redirect to a page that is not an article.
    Gone,
}

impl ArticleStatus {
    /// `current` or `gone`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleStatus::Current => "current",
            ArticleStatus::Gone => "gone",
        }
    }
}

/// The lookup key of a URL (SURT form, as in the CDXJ index): scheme, `www.`, case of the
/// host, trailing slash and query order do not matter.
pub fn url_key(url: &str) -> Option<String> {
    url::Url::parse(url.trim()).ok().map(|u| cdx_key(&u))
}

/// The URL an article stands for: the canonical URL it names when that is another page
/// of the same site, else its own.
pub fn canonical_of<'a>(url: &'a str, canonical: Option<&'a str>) -> &'a str {
    match canonical.map(str::trim) {
        Some(c)
            if c != url
                && url::Url::parse(c).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
                && site_of(c) == site_of(url)
                && url_key(c) != url_key(url) =>
        {
            c
        }
        _ => url,
    }
}

/// One capture as the history sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    /// The page was there (2xx, 304, a resource).
    Present,
    /// 404 or 410.
    Missing,
    /// A redirect to the page of this key.
    Moved(Option<String>),
}

/// Where a capture stands in time: its date, then (captures of the same second) the rank
/// of its WARC file by name and its offset, which follow the order of writing.
pub type Position = (DateTime<Utc>, u32, u64);

/// The captures of one URL, reduced to what tells whether its article is gone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlHistory {
    /// The latest capture where the page was there.
    last_present: Option<Position>,
    /// Captures where it was not (missing or moved), in order.
    absent: Vec<(Position, Option<String>)>,
}

impl UrlHistory {
    /// Adds one capture of the WARC file ranked `file` among the archive's files sorted
    /// by name; transient answers (403, 429, 5xx) say nothing and are skipped.
    pub fn add(&mut self, row: &CaptureRow, file: u32) {
        let at = (row.date, file, row.offset);
        let event = match row.status {
            None | Some(200..=299) | Some(304) => Event::Present,
            Some(404) | Some(410) => Event::Missing,
            Some(300..=399) => Event::Moved(
                row.location
                    .as_deref()
                    .and_then(|l| url::Url::parse(&row.url).ok()?.join(l).ok())
                    .map(|u| cdx_key(&u)),
            ),
            Some(_) => return,
        };
        match event {
            Event::Present => self.last_present = Some(self.last_present.map_or(at, |d| d.max(at))),
            Event::Missing => self.absent.push((at, None)),
            Event::Moved(target) => self.absent.push((at, target)),
        }
        self.compact();
    }

    /// Adds the captures of another part of the archive.
    pub fn merge(&mut self, other: UrlHistory) {
        self.last_present = self.last_present.max(other.last_present);
        self.absent.extend(other.absent);
        self.compact();
    }

    /// Drops what the latest presence makes irrelevant (bounded memory).
    fn compact(&mut self) {
        if let Some(p) = self.last_present {
            self.absent.retain(|(d, _)| *d > p);
        }
        self.absent.sort_by_key(|(d, _)| *d);
    }

    /// Since when the article is gone, or `None` while it is current. `is_article`
    /// tells whether a redirect's target (a URL key) is an article: a redirect to an
    /// article is a move, not a deletion.
    pub fn gone_since(&self, is_article: impl Fn(&str) -> bool) -> Option<DateTime<Utc>> {
        let (_, last_target) = self.absent.last()?;
        if last_target.as_deref().is_some_and(&is_article) {
            return None;
        }
        self.absent.first().map(|((d, _, _), _)| *d)
    }

    /// True when some capture found the page there (2xx, 304).
    pub fn seen_present(&self) -> bool {
        self.last_present.is_some()
    }

    /// The status this history gives.
    pub fn status(&self, is_article: impl Fn(&str) -> bool) -> ArticleStatus {
        match self.gone_since(is_article) {
            Some(_) => ArticleStatus::Gone,
            None => ArticleStatus::Current,
        }
    }
}

/// The histories of the URLs captured in one file (ranked `file` by name), by URL key.
/// Captures that cannot tell about an article (images, styles, scripts fetched fine) are
/// left out.
pub fn histories(scan: &FileScan, file: u32) -> HashMap<String, UrlHistory> {
    let mut out: HashMap<String, UrlHistory> = HashMap::new();
    for row in &scan.captures {
        let mime = row.mime_lower();
        let page_like = mime.is_empty()
            || mime == "text/html"
            || mime == "application/xhtml+xml"
            || row.status.is_some_and(|s| s >= 300);
        if !page_like {
            continue;
        }
        if let Some(key) = url_key(&row.url) {
            out.entry(key).or_default().add(row, file);
        }
    }
    out
}

/// Adds the histories of one file to those of the others.
pub fn merge_histories(into: &mut HashMap<String, UrlHistory>, from: HashMap<String, UrlHistory>) {
    for (k, h) in from {
        match into.get_mut(&k) {
            Some(mine) => mine.merge(h),
            None => {
                into.insert(k, h);
            }
        }
    }
}

/// The number of distinct contents among versions (oldest first, by body digest) and
/// when the latest one was first captured.
pub fn changes<'a>(
    versions: impl IntoIterator<Item = (&'a str, DateTime<Utc>)>,
) -> (usize, Option<DateTime<Utc>>) {
    let mut count = 0;
    let mut last: Option<(&str, DateTime<Utc>)> = None;
    for (digest, at) in versions {
        if last.is_none_or(|(d, _)| d != digest) {
            count += 1;
            last = Some((digest, at));
        }
    }
    (count, last.map(|(_, at)| at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::scan::CaptureKind;
    use crate::read::parse_warc_date;

    fn capture(url: &str, date: &str, status: u16, location: Option<&str>) -> CaptureRow {
        CaptureRow {
            url: url.into(),
            date: parse_warc_date(date).unwrap_or_default(),
            kind: CaptureKind::Response,
            status: Some(status),
            mime: Some("text/html".into()),
            record_id: String::new(),
            offset: 0,
            length: 1,
            inner: 0,
            digest: None,
            refers_to: None,
            refers_to_url: None,
            refers_to_date: None,
            location: location.map(str::to_string),
        }
    }

    #[test]
    fn a_404_after_the_page_makes_it_gone_until_it_comes_back() {
        let u = "http://news.test/a";
        let mut h = UrlHistory::default();
        h.add(&capture(u, "2024-05-01T00:00:00Z", 200, None), 0);
        assert_eq!(h.status(|_| false), ArticleStatus::Current);
        let mut later = UrlHistory::default();
        later.add(&capture(u, "2024-06-01T00:00:00Z", 404, None), 1);
        later.add(&capture(u, "2024-07-01T00:00:00Z", 410, None), 1);
        later.add(&capture(u, "2024-06-15T00:00:00Z", 503, None), 1);
        h.merge(later);
        assert_eq!(
            h.gone_since(|_| false),
            parse_warc_date("2024-06-01T00:00:00Z")
        );
        h.add(&capture(u, "2024-08-01T00:00:00Z", 200, None), 2);
        assert_eq!(h.status(|_| false), ArticleStatus::Current);
        // Within one second, the order of the files decides.
        let mut h = UrlHistory::default();
        h.add(&capture(u, "2024-05-01T00:00:00Z", 404, None), 1);
        h.add(&capture(u, "2024-05-01T00:00:00Z", 200, None), 0);
        assert_eq!(h.status(|_| false), ArticleStatus::Gone);
    }

    #[test]
    fn a_redirect_is_a_deletion_unless_it_leads_to_an_article() {
        let u = "http://news.test/a";
        let mut h = UrlHistory::default();
        h.add(&capture(u, "2024-05-01T00:00:00Z", 200, None), 0);
        h.add(&capture(u, "2024-06-01T00:00:00Z", 301, Some("/b")), 0);
        let b = url_key("http://news.test/b").unwrap_or_default();
        assert_eq!(h.status(|k| k == b), ArticleStatus::Current);
        assert_eq!(h.status(|_| false), ArticleStatus::Gone);
    }

    #[test]
    fn canonical_urls_of_the_same_site_group_pages() {
        let u = "https://news.test/a?replytocom=3";
        assert_eq!(
            canonical_of(u, Some("https://news.test/a")),
            "https://news.test/a"
        );
        assert_eq!(canonical_of(u, Some("https://other.test/a")), u);
        assert_eq!(canonical_of(u, Some("javascript:x")), u);
        assert_eq!(canonical_of(u, None), u);
        // Another spelling of the same page is the page itself.
        let v = "http://news.test/a/";
        assert_eq!(canonical_of(v, Some("https://www.news.test/a")), v);
        let t = |s: &str| parse_warc_date(s).unwrap_or_default();
        let (n, last) = changes([
            ("x", t("2024-05-01T00:00:00Z")),
            ("x", t("2024-05-02T00:00:00Z")),
            ("y", t("2024-05-03T00:00:00Z")),
            ("y", t("2024-05-04T00:00:00Z")),
        ]);
        assert_eq!((n, last), (2, Some(t("2024-05-03T00:00:00Z"))));
    }
}
