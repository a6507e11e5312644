//! The one model of an archive folder, shared by every reader (`index`, `articles`,
//! `get`, `stats`) and by `serve`:
//!
//! - [`scan`]: every WARC file read once into a [`scan::FileScan`] (captures, indexed
//!   metadata records, article summaries), and the one staleness check ([`scan::plan`]);
//! - [`catalog`]: the scans joined (captures by URL and record id, one
//!   [`catalog::ArticleEntry`] per article with its versions);
//! - [`filter`]: the one article filter (site, category, dates, words);
//! - [`history`]: what the captures of a URL say (current or gone, canonical URL);
//! - [`index`]: the writer side, the CDXJ index brought up to date from the scans, in
//!   bounded memory (`spool`: an external sort); [`live`]: the lines of the files a crawl
//!   writes, made as it writes them;
//! - [`wp_rest`] and [`wp_posts`]: WordPress posts' own REST JSON, read by the scan and
//!   joined to the articles (their modification date when the page shows none).
//!
//! Data flows one way: `warc` → `archive` → `read` (the commands' readers) → `serve`.
//! Nothing here writes to a WARC file; only [`index`] writes, next to them.

pub mod catalog;
pub mod filter;
pub mod history;
pub mod index;
pub mod listing;
pub mod live;
pub mod scan;
mod spool;
pub mod wp_posts;
pub mod wp_rest;

pub use catalog::Catalog;
pub use filter::{DateBound, Filter, StatusFilter, parse_article_date};
pub use history::ArticleStatus;
pub use index::PreparedIndex;
pub use index::{IndexReport, index_archive, index_archive_prepared};
pub use live::LiveIndex;
pub use scan::{CaptureKind, FileScan, Stamp, scan_file};

/// The site of a URL: its host, lower case, without a leading `www.`.
pub fn site_of(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    host.strip_prefix("www.").unwrap_or(&host).to_string()
}

/// A size in bytes for people, in decimal units (`999 B`, `1.2 kB`, `3.4 MB`), as
/// everywhere in glaneur (the crawl's progress, `serve`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_are_shown_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
    }
}
