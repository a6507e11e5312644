//! Full-text search over the articles' titles and bodies with `tantivy`.
//!
//! The index lives in `STATE/search/` (by default `ARCHIVE/.glaneur/search/`): one document
//! per article URL, holding its latest version (title and body, stored for snippets), its
//! site, categories and publication date (for filters and sorting). Text is split on
//! non-alphanumeric characters, lower-cased and folded to ASCII, so `securite` finds
//! `sécurité`. `STATE/search-state.json` remembers which article record each document came
//! from; [`SearchIndex::apply`] replaces only the documents whose latest version changed,
//! which keeps the index up to date incrementally as WARC files are added.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, RangeQuery, TermQuery,
};
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};

/// Bumped when the schema or the text analysis changes: the index is then rebuilt.
pub const SCHEMA_VERSION: u32 = 1;
/// The name of the text analyzer.
const ANALYZER: &str = "glaneur_text";
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 240;

/// Search index errors.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The index folder could not be opened or written.
    #[error("search index {path}: {message}")]
    Io {
        /// The folder.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Another process holds the index (another `glaneur serve` on the same archive).
    #[error(
        "search index {0}: in use by another process (another `glaneur serve` on this archive? use --state to give this one its own folder)"
    )]
    Locked(PathBuf),
}

/// One article to index.
#[derive(Debug, Clone, Default)]
pub struct SearchDoc {
    /// Article id.
    pub id: String,
    /// Page URL.
    pub url: String,
    /// Site.
    pub site: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Categories.
    pub categories: Vec<String>,
    /// Publication date.
    pub published: Option<DateTime<Utc>>,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchSort {
    /// Best match first (BM25; title words weigh double).
    #[default]
    Relevance,
    /// Newest publication first.
    Newest,
    /// Oldest publication first.
    Oldest,
}

/// A search.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// The words (tantivy query syntax: `"a phrase"`, `-word`, `title:word`, `OR`).
    pub text: String,
    /// Site filter.
    pub site: Option<String>,
    /// Category filter (case-insensitive).
    pub category: Option<String>,
    /// Published at or after.
    pub from: Option<DateTime<Utc>>,
    /// Published before.
    pub until: Option<DateTime<Utc>>,
    /// Order.
    pub sort: SearchSort,
    /// Results to skip.
    pub offset: usize,
    /// Results to return (at least 1).
    pub limit: usize,
}

/// A piece of a snippet: text, highlighted or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fragment {
    /// The text.
    pub text: String,
    /// True for a matched word.
    pub hit: bool,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// Article id.
    pub id: String,
    /// Score (BM25).
    pub score: f32,
    /// The title split into highlighted and plain fragments (empty when no word of the
    /// title matched).
    pub title: Vec<Fragment>,
    /// A passage of the body with the matched words highlighted.
    pub snippet: Vec<Fragment>,
}

/// Results of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// Matching articles.
    pub total: usize,
    /// The page of results asked for.
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    url: Field,
    title: Field,
    body: Field,
    site: Field,
    category: Field,
    published: Field,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    schema: u32,
    /// Article id → the version indexed (`file@offset`).
    docs: HashMap<String, String>,
}

/// The search index of an archive.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    state_path: PathBuf,
    state: Mutex<State>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("state_path", &self.state_path)
            .finish()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let id = b.add_text_field("id", STRING | STORED);
    let url = b.add_text_field("url", STRING | STORED);
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    let site = b.add_text_field("site", STRING);
    let category = b.add_text_field("category", STRING);
    let published = b.add_date_field(
        "published",
        DateOptions::from(INDEXED)
            .set_fast()
            .set_precision(DateTimePrecision::Seconds),
    );
    (
        b.build(),
        Fields {
            id,
            url,
            title,
            body,
            site,
            category,
            published,
        },
    )
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

fn tdate(d: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(d.timestamp())
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SearchError + '_ {
    move |e| SearchError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl SearchIndex {
    /// Opens (or creates) the index in `dir`, with its state in `state_path`. An index of
    /// another schema version, or without a readable state, is emptied and rebuilt: the
    /// second value is then true.
    pub fn open(dir: &Path, state_path: &Path) -> Result<(SearchIndex, bool), SearchError> {
        let (schema, fields) = schema();
        let state: Option<State> = std::fs::read(state_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|s: &State| s.schema == SCHEMA_VERSION);
        let mut fresh = state.is_none();
        let existing = dir.join("meta.json").is_file();
        let index = match (existing, fresh) {
            (true, false) => match Index::open_in_dir(dir) {
                Ok(i) if i.schema() == schema => i,
                _ => {
                    fresh = true;
                    Self::recreate(dir, &schema)?
                }
            },
            _ => Self::recreate(dir, &schema)?,
        };
        index.tokenizers().register(ANALYZER, analyzer());
        let writer = match index.writer_with_num_threads(1, 40_000_000) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Err(SearchError::Locked(dir.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let state = match state {
            Some(s) if !fresh => s,
            _ => State {
                schema: SCHEMA_VERSION,
                docs: HashMap::new(),
            },
        };
        let s = SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            state_path: state_path.to_path_buf(),
            state: Mutex::new(state),
        };
        if fresh {
            // Nothing is known about what the folder holds: start empty.
            let mut w = s.lock_writer()?;
            w.delete_all_documents()?;
            w.commit()?;
            drop(w);
            s.reader.reload()?;
        }
        Ok((s, fresh))
    }

    fn recreate(dir: &Path, schema: &Schema) -> Result<Index, SearchError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        Ok(Index::create_in_dir(dir, schema.clone())?)
    }

    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, IndexWriter>, SearchError> {
        self.writer.lock().map_err(|_| SearchError::Io {
            path: self.state_path.clone(),
            message: "index writer poisoned".into(),
        })
    }

    /// The version (`file@offset`) indexed for each article id.
    pub fn indexed(&self) -> HashMap<String, String> {
        self.state
            .lock()
            .map(|s| s.docs.clone())
            .unwrap_or_default()
    }

    /// Number of documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// True when the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds or replaces `upserts` (document and the version it comes from), removes the
    /// documents of `deletes`, commits, and saves the state.
    pub fn apply(
        &self,
        upserts: Vec<(SearchDoc, String)>,
        deletes: &[String],
    ) -> Result<(), SearchError> {
        if upserts.is_empty() && deletes.is_empty() {
            return Ok(());
        }
        let f = self.fields;
        let mut w = self.lock_writer()?;
        for id in deletes {
            w.delete_term(Term::from_field_text(f.id, id));
        }
        let mut versions = Vec::with_capacity(upserts.len());
        for (d, version) in upserts {
            w.delete_term(Term::from_field_text(f.id, &d.id));
            let mut doc = TantivyDocument::default();
            doc.add_text(f.id, &d.id);
            doc.add_text(f.url, &d.url);
            doc.add_text(f.title, &d.title);
            doc.add_text(f.body, &d.body);
            doc.add_text(f.site, &d.site);
            for c in &d.categories {
                doc.add_text(f.category, c.trim().to_lowercase());
            }
            if let Some(p) = d.published {
                doc.add_date(f.published, tdate(p));
            }
            w.add_document(doc)?;
            versions.push((d.id, version));
        }
        w.commit()?;
        drop(w);
        self.reader.reload()?;
        let json = {
            let mut state = self.state.lock().map_err(|_| SearchError::Io {
                path: self.state_path.clone(),
                message: "state poisoned".into(),
            })?;
            for id in deletes {
                state.docs.remove(id);
            }
            for (id, v) in versions {
                state.docs.insert(id, v);
            }
            serde_json::to_vec(&*state).unwrap_or_default()
        };
        let tmp = self
            .state_path
            .with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, json)
            .and_then(|()| std::fs::rename(&tmp, &self.state_path))
            .map_err(io_err(&self.state_path))
    }

    /// Runs a search.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.body]);
        parser.set_conjunction_by_default();
        parser.set_field_boost(f.title, 2.0);
        let (text_query, _errors) = parser.parse_query_lenient(&q.text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query.box_clone())];
        let filter = |q: Box<dyn Query>| -> (Occur, Box<dyn Query>) {
            (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)))
        };
        if let Some(site) = &q.site {
            clauses.push(filter(Box::new(TermQuery::new(
                Term::from_field_text(f.site, site),
                IndexRecordOption::Basic,
            ))));
        }
        if let Some(c) = &q.category {
            clauses.push(filter(Box::new(TermQuery::new(
                Term::from_field_text(f.category, &c.trim().to_lowercase()),
                IndexRecordOption::Basic,
            ))));
        }
        if q.from.is_some() || q.until.is_some() {
            let lower = q
                .from
                .map(|d| Bound::Included(Term::from_field_date(f.published, tdate(d))))
                .unwrap_or(Bound::Unbounded);
            let upper = q
                .until
                .map(|d| Bound::Excluded(Term::from_field_date(f.published, tdate(d))))
                .unwrap_or(Bound::Unbounded);
            let range: Box<dyn Query> = Box::new(RangeQuery::new(lower, upper));
            clauses.push(filter(range));
        }
        let query = BooleanQuery::new(clauses);
        let limit = q.limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(q.offset);
        let (total, docs): (usize, Vec<(f32, DocAddress)>) = match q.sort {
            SearchSort::Relevance => searcher.search(&query, &(Count, top.order_by_score()))?,
            SearchSort::Newest | SearchSort::Oldest => {
                let order = if q.sort == SearchSort::Newest {
                    Order::Desc
                } else {
                    Order::Asc
                };
                let (n, d) = searcher.search(
                    &query,
                    &(
                        Count,
                        top.order_by_fast_field::<tantivy::DateTime>("published", order),
                    ),
                )?;
                (n, d.into_iter().map(|(_, a)| (0.0, a)).collect())
            }
        };
        let mut body_gen = SnippetGenerator::create(&searcher, &*text_query, f.body)?;
        body_gen.set_max_num_chars(SNIPPET_CHARS);
        let mut title_gen = SnippetGenerator::create(&searcher, &*text_query, f.title)?;
        title_gen.set_max_num_chars(1000);
        let mut hits = Vec::with_capacity(docs.len());
        for (score, addr) in docs {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let id = doc
                .get_first(f.id)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string();
            let title_text = doc
                .get_first(f.title)
                .and_then(|v| v.as_str())
                .unwrap_or("");
            let body_text = doc.get_first(f.body).and_then(|v| v.as_str()).unwrap_or("");
            let title = fragments(&title_gen.snippet(title_text));
            let mut snippet = fragments(&body_gen.snippet(body_text));
            if snippet.is_empty() {
                // No word of the body matched: its opening.
                let opening: String = body_text.chars().take(SNIPPET_CHARS).collect();
                if !opening.is_empty() {
                    snippet.push(Fragment {
                        text: opening,
                        hit: false,
                    });
                }
            }
            hits.push(SearchHit {
                id,
                score,
                title,
                snippet,
            });
        }
        Ok(SearchResults { total, hits })
    }
}

/// Splits a snippet into plain and highlighted fragments (no markup: the page escapes).
fn fragments(s: &tantivy::snippet::Snippet) -> Vec<Fragment> {
    let text = s.fragment();
    let mut out = Vec::new();
    if s.highlighted().is_empty() {
        return out;
    }
    let mut at = 0;
    for r in s.highlighted() {
        let (Some(before), Some(hit)) = (text.get(at..r.start), text.get(r.start..r.end)) else {
            continue;
        };
        if !before.is_empty() {
            out.push(Fragment {
                text: before.to_string(),
                hit: false,
            });
        }
        out.push(Fragment {
            text: hit.to_string(),
            hit: true,
        });
        at = r.end;
    }
    if let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        out.push(Fragment {
            text: rest.to_string(),
            hit: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, title: &str, body: &str, cat: &str, day: u32) -> (SearchDoc, String) {
        (
            SearchDoc {
                id: id.into(),
                url: format!("http://news.test/{id}"),
                site: "news.test".into(),
                title: title.into(),
                body: body.into(),
                categories: vec![cat.into()],
                published: crate::read::parse_user_date(&format!("2024-05-{day:02}")),
            },
            format!("f@{day}"),
        )
    }

    #[test]
    fn finds_highlights_filters_and_updates() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("search");
        let state = tmp.path().join("state.json");
        let (idx, fresh) = SearchIndex::open(&dir, &state).expect("open");
        assert!(fresh);
        idx.apply(
            vec![
                doc(
                    "a",
                    "La sécurité du cloud",
                    "Le nuage souverain <b>arrive</b> enfin.",
                    "Cloud",
                    1,
                ),
                doc(
                    "b",
                    "Intelligence artificielle",
                    "Un modèle de langue et le nuage.",
                    "IA",
                    2,
                ),
                doc("c", "Autre sujet", "Rien à voir ici.", "IA", 3),
            ],
            &[],
        )
        .expect("apply");
        let q = |text: &str| SearchQuery {
            text: text.into(),
            limit: 10,
            ..Default::default()
        };
        // Accents folded, conjunction by default.
        let r = idx.search(&q("securite")).expect("search");
        assert_eq!(r.total, 1);
        assert_eq!(r.hits[0].id, "a");
        assert!(
            r.hits[0]
                .title
                .iter()
                .any(|f| f.hit && f.text == "sécurité")
        );
        let r = idx.search(&q("nuage")).expect("search");
        assert_eq!(r.total, 2);
        let hit = r.hits.iter().find(|h| h.id == "a").expect("a");
        // The snippet is plain text: markup in the body comes back as text, not tags.
        assert!(hit.snippet.iter().any(|f| f.hit && f.text == "nuage"));
        assert!(hit.snippet.iter().any(|f| f.text.contains("<b>arrive</b>")));
        assert_eq!(idx.search(&q("nuage modèle")).expect("s").total, 1);
        // Filters.
        let mut fq = q("nuage");
        fq.category = Some("ia".into());
        let r = idx.search(&fq).expect("search");
        assert_eq!(
            r.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        let mut fq = q("nuage");
        fq.until = crate::read::parse_user_date("2024-05-02");
        assert_eq!(idx.search(&fq).expect("s").hits[0].id, "a");
        assert_eq!(idx.search(&fq).expect("s").total, 1);
        let mut fq = q("nuage");
        fq.sort = SearchSort::Newest;
        assert_eq!(idx.search(&fq).expect("s").hits[0].id, "b");
        // Odd syntax does not fail.
        assert_eq!(idx.search(&q("\"nuage")).map(|r| r.total).ok(), Some(2));
        // Update and delete; the state survives a reopen.
        idx.apply(
            vec![doc("a", "Titre neuf", "Plus de nuage.", "Cloud", 1)],
            &["c".into()],
        )
        .expect("apply");
        assert_eq!(idx.search(&q("securite")).expect("s").total, 0);
        assert_eq!(idx.len(), 2);
        drop(idx);
        let (idx, fresh) = SearchIndex::open(&dir, &state).expect("reopen");
        assert!(!fresh);
        assert_eq!(idx.len(), 2);
        assert_eq!(idx.indexed().get("a").map(String::as_str), Some("f@1"));
        // A second writer on the same folder is refused while the first is open.
        assert!(matches!(
            SearchIndex::open(&dir, &state),
            Err(SearchError::Locked(_))
        ));
    }
}
