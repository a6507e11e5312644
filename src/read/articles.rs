//! The article export: one row per extracted article (the `metadata` records holding an
//! [`crate::extract::Article`] as JSON), its latest capture unless all are asked for,
//! filtered by [`Filter`] (site, category, publication dates, words), written as JSON
//! Lines, CSV or Parquet ([`super::table`]).
//!
//! Two passes keep memory bounded whatever the archive's size: the first reads every
//! WARC file once ([`crate::archive::scan_file`], in parallel, records streamed) and keeps, for each matching article, only
//! its URL, capture date and the place of its record; after sorting and keeping the
//! latest capture of each URL, the second reads those records again by offset, a batch
//! of [`BATCH_ROWS`] at a time, and writes each batch out (one Arrow record batch in
//! Parquet).

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ReadError, par_map, warc_files};
use crate::archive::filter::ArticleFacts;
use crate::archive::history::{
    UrlHistory, canonical_of, changes, histories, merge_histories, url_key,
};
use crate::archive::scan::{CaptureKind, file_name, scan_file};
use crate::archive::wp_posts::RestIndex;
use crate::extract::Article;

pub use super::table::{
    ArticleRow, BATCH_ROWS, COLUMNS, Format, METHOD_COLUMNS, METHOD_FIELDS, RowWriter,
    parquet_schema, write_rows,
};
pub use crate::archive::{ArticleStatus, DateBound, Filter, StatusFilter, parse_article_date};

/// What the captures of an article's URL say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Lifecycle {
    status: ArticleStatus,
    gone_since: Option<DateTime<Utc>>,
    versions: u64,
    last_changed: Option<DateTime<Utc>>,
}

impl Lifecycle {
    fn apply(self, row: ArticleRow) -> ArticleRow {
        ArticleRow {
            status: self.status,
            gone_since: self.gone_since,
            versions: self.versions,
            last_changed: self.last_changed,
            ..row
        }
    }
}

/// What the filter sees of an extracted article.
fn facts(a: &Article) -> ArticleFacts<'_> {
    ArticleFacts {
        url: &a.url,
        categories: &a.categories,
        published: a.published.as_deref().and_then(parse_article_date),
        text: Some((
            a.title.as_deref().unwrap_or(""),
            a.body.as_deref().unwrap_or(""),
        )),
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
    /// The article's URL (canonical).
    url: String,
    /// True when the page is the canonical URL itself.
    own: bool,
    /// Digest of its body (tells versions apart).
    body_digest: String,
    /// The page named no category.
    no_category: bool,
    /// Categories from the crawl's listing pages, for a page that named none (filled
    /// once every file is read, see [`super::listing`]).
    listing_categories: Vec<String>,
    /// Filled once every file is read.
    life: Lifecycle,
    captured_at: DateTime<Utc>,
    /// Index into [`Export::names`].
    file: usize,
    warc_offset: u64,
    /// Where the response record starts in the decoded bytes of its frame/member.
    warc_inner: u64,
    /// Offset of the metadata record's frame/member.
    meta_offset: u64,
    /// Where the metadata record starts in the decoded bytes of its frame/member.
    meta_inner: u64,
    /// The article itself, for a record that cannot be read again on its own (it shares
    /// its compressed member with the next record; never in glaneur's files).
    article: Option<Box<Article>>,
    /// The page shows no publication date but names its WordPress post JSON: the date
    /// bounds are checked on the JSON's date once every file is read.
    dates_pending: Option<Box<PendingDate>>,
}

/// What finds the publication date of a page that shows none in its post's JSON.
#[derive(Debug, Clone)]
struct PendingDate {
    rest_url: String,
    page_url: String,
    canonical_url: Option<String>,
}

impl Found {
    /// True when the article passes the date bounds of `filter` on its final
    /// publication date (its post JSON's, for a page that shows none).
    fn passes_dates(&self, rest: &RestIndex, filter: &Filter) -> bool {
        let Some(p) = &self.dates_pending else {
            return true;
        };
        let published = rest.published(
            None,
            Some(&p.rest_url),
            (&p.page_url, p.canonical_url.as_deref()),
            self.captured_at,
        );
        filter.matches_dates(published.as_deref().and_then(parse_article_date))
    }
}

struct FileArticles {
    found: Vec<Found>,
    rest: RestIndex,
    histories: HashMap<String, UrlHistory>,
    records: u64,
    articles: u64,
    damaged: Vec<String>,
}

/// The articles of one WARC file (index `file` in the export's list, `rank` by name).
fn file_articles(path: &Path, (file, rank): (usize, u32), filter: &Filter) -> FileArticles {
    // Records are told apart by (offset, inner offset): in a file compressed as one
    // stream, every record is in the frame/member at offset 0.
    let mut matching: HashSet<(u64, u64)> = HashSet::new();
    let mut unframed: HashMap<(u64, u64), Article> = HashMap::new();
    // A page without a publication date whose WordPress post JSON may give one: the date
    // bounds are checked once every file's JSONs are known ([`Export::plan`]).
    let undated = filter.without_dates();
    let mut deferred: HashSet<(u64, u64)> = HashSet::new();
    let scan = scan_file(path, |a| {
        let defer =
            filter.has_dates() && a.article.published.is_none() && a.article.wp_rest.is_some();
        let passes = if defer {
            undated.matches(&facts(&a.article))
        } else {
            filter.matches(&facts(&a.article))
        };
        if passes {
            if defer {
                deferred.insert((a.offset, a.inner));
            }
            matching.insert((a.offset, a.inner));
            if a.length == 0 {
                unframed.insert((a.offset, a.inner), a.article);
            }
        }
    });
    // Responses (and revisits) of this file: record id -> ((offset, inner), date).
    let captures: HashMap<&str, ((u64, u64), DateTime<Utc>)> = scan
        .captures
        .iter()
        .filter(|c| c.kind != CaptureKind::Resource)
        .map(|c| (c.record_id.as_str(), ((c.offset, c.inner), c.date)))
        .collect();
    let found = scan
        .articles
        .iter()
        .filter(|a| matching.contains(&(a.offset, a.inner)))
        .map(|a| {
            let (place, captured_at) = a
                .refers_to
                .as_deref()
                .and_then(|id| captures.get(id).copied())
                .unwrap_or(((a.offset, a.inner), a.date));
            let article = unframed.remove(&(a.offset, a.inner)).map(Box::new);
            let url = canonical_of(&a.url, a.canonical_url.as_deref()).to_string();
            let dates_pending = deferred.contains(&(a.offset, a.inner)).then(|| {
                Box::new(PendingDate {
                    rest_url: a.wp_rest.clone().unwrap_or_default(),
                    page_url: a.url.clone(),
                    canonical_url: a.canonical_url.clone(),
                })
            });
            Found {
                dates_pending,
                own: url == a.url,
                url,
                body_digest: a.body_digest.clone(),
                no_category: a.categories.is_empty(),
                listing_categories: Vec::new(),
                life: Lifecycle::default(),
                captured_at,
                file,
                warc_offset: place.0,
                warc_inner: place.1,
                meta_offset: a.offset,
                meta_inner: a.inner,
                article,
            }
        })
        .collect();
    let mut rest = RestIndex::default();
    rest.add_scan(&scan);
    FileArticles {
        found,
        rest,
        histories: histories(&scan, rank),
        records: scan.records,
        articles: scan.articles.len() as u64,
        damaged: scan
            .damaged
            .iter()
            .map(|d| format!("{}: {d}", path.display()))
            .collect(),
    }
}

/// The row of an article whose page's record is at `(offset, inner offset)` of `warc_file`.
fn row(
    a: Article,
    captured_at: DateTime<Utc>,
    warc_file: String,
    (warc_offset, warc_inner_offset): (u64, u64),
) -> ArticleRow {
    ArticleRow {
        warc_inner_offset,
        ..ArticleRow::new(a, captured_at, warc_file, warc_offset)
    }
}

/// Groups the records found by article (canonical URL), fills in their lifecycle,
/// drops the articles whose status `filter` does not admit, and keeps the latest capture
/// of each (a record of the canonical page itself first) unless `all_captures`.
/// `found` is sorted by URL, then own page, capture date, file and offset.
fn by_article(
    found: Vec<Found>,
    histories: &HashMap<String, UrlHistory>,
    filter: &Filter,
    all_captures: bool,
) -> Vec<Found> {
    let articles: HashSet<String> = found.iter().filter_map(|f| url_key(&f.url)).collect();
    let mut out = Vec::with_capacity(found.len());
    let mut rest = found.as_slice();
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|f| f.url == first.url).count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        // The versions of the canonical page itself, when it was captured.
        let own = group.iter().any(|f| f.own);
        let mut dated: Vec<&Found> = group.iter().filter(|f| f.own || !own).collect();
        dated.sort_by_key(|f| f.captured_at);
        let (versions, last_changed) = changes(
            dated
                .iter()
                .map(|f| (f.body_digest.as_str(), f.captured_at)),
        );
        let gone_since = url_key(&first.url)
            .and_then(|k| histories.get(&k))
            .and_then(|h| h.gone_since(|k| articles.contains(k)));
        let life = Lifecycle {
            status: match gone_since {
                Some(_) => ArticleStatus::Gone,
                None => ArticleStatus::Current,
            },
            gone_since,
            versions: versions as u64,
            last_changed,
        };
        if !filter.admits(life.status) {
            continue;
        }
        let keep = if all_captures { group } else { &group[n - 1..] };
        let listing_categories = if keep.iter().any(|f| f.no_category) {
            // A listing page: a page captured that is no article.
            crate::archive::listing::categories_from_listings(&first.url, |k| {
                !articles.contains(k) && histories.get(k).is_some_and(UrlHistory::seen_present)
            })
        } else {
            Vec::new()
        };
        out.extend(keep.iter().cloned().map(|f| Found {
            life,
            listing_categories: listing_categories.clone(),
            ..f
        }));
    }
    out
}

/// The method of categories taken from the crawl's listing pages.
pub const LISTING_METHOD: &str = "listing";

/// Gives a row whose page named no category the categories of the crawl's listing pages.
fn with_listing_categories(row: &mut ArticleRow, f: &Found) {
    if row.categories.is_empty() && !f.listing_categories.is_empty() {
        row.categories = f.listing_categories.clone();
        row.category = row.categories.first().cloned();
        row.methods
            .insert("categories".into(), LISTING_METHOD.into());
    }
}

impl ArticleRow {
    /// The row of an extracted article captured at `captured_at`, whose page's response
    /// record is at `warc_offset` of `warc_file`.
    pub fn new(
        a: Article,
        captured_at: DateTime<Utc>,
        warc_file: String,
        warc_offset: u64,
    ) -> ArticleRow {
        let category = a.categories.first().cloned();
        let methods = a
            .methods
            .into_iter()
            .filter(|(k, _)| METHOD_FIELDS.contains(&k.as_str()))
            .collect();
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
            warc_inner_offset: 0,
            categories: a.categories,
            status: ArticleStatus::Current,
            gone_since: None,
            versions: 1,
            last_changed: Some(captured_at),
            methods,
        }
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
    /// The WordPress post JSONs of the archive.
    rest: RestIndex,
    /// What the first pass read.
    pub stats: ExportStats,
}

impl Export {
    /// Finds the articles of the archive folder `dir` that pass `filter` (reading the
    /// WARC files on all cores, records streamed), one per canonical URL, sorted by URL
    /// then capture date; only the latest capture of each unless `all_captures`.
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
        let mut by_name: Vec<&str> = names.iter().map(String::as_str).collect();
        by_name.sort_unstable();
        let rank = |n: &str| by_name.binary_search(&n).unwrap_or(0) as u32;
        let indexed: Vec<(usize, u32, &PathBuf)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (i, rank(&names[i]), f))
            .collect();
        let per_file = par_map(&indexed, |&(i, r, f)| file_articles(f, (i, r), filter));
        let mut found = Vec::new();
        let mut histories = HashMap::new();
        let mut rest = RestIndex::default();
        for f in per_file {
            rest.merge(f.rest);
            stats.records += f.records;
            stats.articles += f.articles;
            stats.damaged.extend(f.damaged);
            found.extend(f.found);
            merge_histories(&mut histories, f.histories);
        }
        found.retain(|f| f.passes_dates(&rest, filter));
        found.sort_by(|a, b| {
            (
                a.url.as_str(),
                a.own,
                a.captured_at,
                names[a.file].as_str(),
                a.warc_offset,
                a.warc_inner,
            )
                .cmp(&(
                    b.url.as_str(),
                    b.own,
                    b.captured_at,
                    names[b.file].as_str(),
                    b.warc_offset,
                    b.warc_inner,
                ))
        });
        let found = by_article(found, &histories, filter, all_captures);
        Ok(Export {
            dir: dir.to_path_buf(),
            names,
            found,
            rest,
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
        let name = &self.names[f.file];
        let mut article = match &f.article {
            Some(article) => (**article).clone(),
            None => self.read_article(f)?,
        };
        // A WordPress post's own JSON, captured with the page, completes what it does not show.
        self.rest.complete(&mut article, f.captured_at);
        let mut row = row(
            article,
            f.captured_at,
            name.clone(),
            (f.warc_offset, f.warc_inner),
        );
        row.url = f.url.clone();
        with_listing_categories(&mut row, f);
        Ok(f.life.apply(row))
    }

    /// Reads the article record of `f` again.
    fn read_article(&self, f: &Found) -> Result<Article, String> {
        let name = &self.names[f.file];
        let at = || {
            format!(
                "{} at offset {}",
                self.dir.join(name).display(),
                f.meta_offset
            )
        };
        let record = super::read_record_at(&self.dir, name, f.meta_offset, f.meta_inner)
            .map_err(|e| format!("{}: {e}", at()))?;
        let article = serde_json::from_slice::<Article>(&record.block)
            .map_err(|e| format!("{}: metadata record is not an Article: {e}", at()))?;
        if canonical_of(&article.url, article.canonical_url.as_deref()) != f.url {
            return Err(format!(
                "{}: the file changed while exporting (found {})",
                at(),
                article.url
            ));
        }
        Ok(article)
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
