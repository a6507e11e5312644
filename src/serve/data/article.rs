//! The article page's values: fields and their methods, related articles, versions and
//! the diff between two of them; and their assembly ([`article_view`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{AppError, CaptureItem, capture_item};
use crate::archive::ArticleStatus;
use crate::archive::catalog::{ArticleEntry, Catalog};
use crate::read::timestamp14;
use crate::serve::App;
use crate::serve::StoredArticle;
use crate::serve::diff::{DiffLine, DiffStats, diff_bodies};

/// One field of an article and the method that found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldView {
    /// Field name.
    pub name: String,
    /// Value (lists joined with `, `).
    pub value: String,
    /// Method (`selector`, `json-ld`, `meta`, …).
    pub method: Option<String>,
}

/// A related article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelatedView {
    /// URL as linked.
    pub url: String,
    /// The article's id, when it is in the archive.
    pub article_id: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Latest capture timestamp, when the URL was captured (article or not).
    pub captured: Option<String>,
    /// HTTP status of that capture.
    pub status: Option<u16>,
}

/// One version of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionView {
    /// 1-based number.
    pub number: usize,
    /// Capture timestamp (14 digits).
    pub timestamp: String,
    /// Capture date.
    pub captured_at: DateTime<Utc>,
    /// WARC file of the article record.
    pub file: String,
    /// Offset of the article record.
    pub offset: u64,
    /// Words in the body.
    pub words: usize,
    /// True when the body differs from the previous version's.
    pub changed: bool,
}

/// A diff between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffView {
    /// Older version number.
    pub from: usize,
    /// Newer version number.
    pub to: usize,
    /// Older version's timestamp.
    pub from_timestamp: String,
    /// Newer version's timestamp.
    pub to_timestamp: String,
    /// Counts.
    pub stats: DiffStats,
    /// The paragraphs.
    pub lines: Vec<DiffLine>,
}

/// One article, in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    /// Id.
    pub id: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Title.
    pub title: Option<String>,
    /// `current` or `gone`.
    pub status: ArticleStatus,
    /// When it was first found deleted.
    pub gone_since: Option<DateTime<Utc>>,
    /// Distinct contents among its versions (1 + the corrections seen): the export's
    /// `versions`.
    pub distinct_versions: usize,
    /// When its latest content was first captured: the export's `last_changed`.
    pub last_changed: Option<DateTime<Utc>>,
    /// Other pages naming this one as canonical, grouped here.
    pub duplicates: Vec<String>,
    /// The version shown (1-based; the latest unless asked).
    pub version: usize,
    /// The extracted fields with their methods, in display order.
    pub fields: Vec<FieldView>,
    /// The article as extracted (every field).
    pub article: StoredArticle,
    /// Related articles.
    pub related: Vec<RelatedView>,
    /// Versions, oldest first.
    pub versions: Vec<VersionView>,
    /// Every capture of the URL (responses and revisits), oldest first.
    pub captures: Vec<CaptureItem>,
    /// The diff between two versions, when there are several.
    pub diff: Option<DiffView>,
}

/// The fields of an article with their methods.
pub fn fields(a: &StoredArticle) -> Vec<FieldView> {
    let mut out = Vec::new();
    let mut push = |name: &str, method_key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.push(FieldView {
                name: name.to_string(),
                value,
                method: a.methods.get(method_key).cloned(),
            });
        }
    };
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    push("title", "title", a.title.clone());
    push("published", "published", a.published.clone());
    push("modified", "modified", a.modified.clone());
    push("categories", "categories", list(&a.categories));
    push("authors", "authors", list(&a.authors));
    push("tags", "tags", list(&a.tags));
    push("language", "language", a.language.clone());
    push("description", "description", a.description.clone());
    push("canonical URL", "canonical_url", a.canonical_url.clone());
    out
}

/// Versions of an article.
pub fn versions(a: &ArticleEntry) -> Vec<VersionView> {
    a.versions
        .iter()
        .enumerate()
        .map(|(i, v)| VersionView {
            number: i + 1,
            timestamp: timestamp14(v.captured_at),
            captured_at: v.captured_at,
            file: v.file.clone(),
            offset: v.offset,
            words: v.words,
            changed: i > 0 && a.versions[i - 1].body_digest != v.body_digest,
        })
        .collect()
}

/// The default pair of versions to diff: the latest, and the latest earlier version with
/// another body (else the one before it). `None` with a single version.
pub fn default_diff_pair(a: &ArticleEntry) -> Option<(usize, usize)> {
    let n = a.versions.len();
    if n < 2 {
        return None;
    }
    let last = &a.versions[n - 1];
    let from = (0..n - 1)
        .rev()
        .find(|&i| a.versions[i].body_digest != last.body_digest)
        .unwrap_or(n - 2);
    Some((from + 1, n))
}

/// The related articles of `stored`, looked up in the catalog.
pub fn related(c: &Catalog, stored: &StoredArticle) -> Vec<RelatedView> {
    stored
        .related
        .iter()
        .map(|u| {
            let article = c.article_by_url(u);
            let latest = c.nearest_capture(u, None).map(|r| c.row(r));
            RelatedView {
                url: u.clone(),
                article_id: article.map(|a| a.id.clone()),
                title: article.and_then(|a| a.title.clone()),
                captured: latest.map(|r| timestamp14(r.date)),
                status: latest.and_then(|r| r.status),
            }
        })
        .collect()
}

/// Which version of an article to show, and which two to compare (1-based), as asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VersionChoice {
    /// The version shown (the latest when `None`).
    pub version: Option<usize>,
    /// The older version of the diff.
    pub from: Option<usize>,
    /// The newer version of the diff.
    pub to: Option<usize>,
}

fn in_range(name: &str, v: usize, n: usize) -> Result<usize, AppError> {
    if (1..=n).contains(&v) {
        Ok(v)
    } else {
        Err(AppError::BadRequest(format!(
            "`{name}`: \"{v}\" is not a whole number from 1 to {n}"
        )))
    }
}

/// The diff between versions `from` and `to` of `a`; `shown` is the article of version
/// `version`, already read.
fn diff_view(
    app: &App,
    a: &ArticleEntry,
    (from, to): (usize, usize),
    version: usize,
    shown: &StoredArticle,
) -> Result<DiffView, AppError> {
    let (va, vb) = (&a.versions[from - 1], &a.versions[to - 1]);
    let old = app.read_article(&va.file, va.offset, va.inner)?;
    let read_new;
    let new = if to == version {
        shown
    } else {
        read_new = app.read_article(&vb.file, vb.offset, vb.inner)?;
        &read_new
    };
    let (lines, stats) = diff_bodies(
        old.body.as_deref().unwrap_or(""),
        new.body.as_deref().unwrap_or(""),
    );
    Ok(DiffView {
        from,
        to,
        from_timestamp: timestamp14(va.captured_at),
        to_timestamp: timestamp14(vb.captured_at),
        stats,
        lines,
    })
}

/// One article in full: the version asked for (reading its record), and a diff.
pub fn article_view(app: &App, id: &str, choice: VersionChoice) -> Result<ArticleView, AppError> {
    let catalog = app.catalog();
    let a = catalog
        .article(id)
        .ok_or_else(|| AppError::NotFound(format!("no article {id:?} in this archive")))?;
    let n = a.versions.len();
    let version = in_range("version", choice.version.unwrap_or(n), n.max(1))?;
    let v = &a.versions[version - 1];
    let mut stored = app.read_article(&v.file, v.offset, v.inner)?;
    // A WordPress post's own JSON, captured with the page, completes what it does not show.
    catalog.wp_rest.complete(&mut stored, v.captured_at);
    let pair = match (choice.from, choice.to) {
        (None, None) => default_diff_pair(a),
        (from, to) => {
            let from = in_range("from", from.unwrap_or(1), n)?;
            let to = in_range("to", to.unwrap_or(n), n)?;
            if from == to {
                return Err(AppError::BadRequest(
                    "`from` and `to` are the same version".into(),
                ));
            }
            Some((from.min(to), from.max(to)))
        }
    };
    let diff = match pair {
        Some(pair) => Some(diff_view(app, a, pair, version, &stored)?),
        None => None,
    };
    // As the export counts them (`versions`, `last_changed`).
    let (distinct_versions, last_changed) = crate::archive::history::changes(
        a.versions
            .iter()
            .map(|v| (v.body_digest.as_str(), v.captured_at)),
    );
    Ok(ArticleView {
        id: a.id.clone(),
        url: a.url.clone(),
        site: a.site.clone(),
        title: stored.title.clone(),
        status: a.status,
        gone_since: a.gone_since,
        distinct_versions,
        last_changed,
        duplicates: a.duplicates.clone(),
        version,
        fields: fields(&stored),
        related: related(&catalog, &stored),
        versions: versions(a),
        captures: catalog
            .captures_of(&a.url)
            .iter()
            .map(|r| capture_item(&catalog, *r, Some(a)))
            .collect(),
        article: stored,
        diff,
    })
}
