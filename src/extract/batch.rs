//! Batch extraction of saved pages: every `*.html` / `*.html.gz` under a folder becomes
//! `OUT/<file stem>.json` (the evaluation keys `articleBody`, `title`, `published`,
//! `modified`, `date` (published day, else modified day), `category`, plus the whole [`Article`]), on several threads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use chrono::{DateTime, Utc};
use url::Url;

use super::{Article, PageInput, ProfileSelectors, analyze, parse_date};

/// Largest page read (decompressed), in bytes.
pub const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

/// A batch that could not run, or a page that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// JSON serialisation failed.
    #[error("{path}: {source}")]
    Json {
        /// The output file.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BatchError + '_ {
    move |source| BatchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Counts of a finished batch.
#[derive(Debug, Clone, Default)]
pub struct BatchStats {
    /// Pages extracted.
    pub pages: usize,
    /// Bytes of HTML read (decompressed).
    pub bytes: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Threads used.
    pub threads: usize,
    /// Pages that failed, with the reason.
    pub errors: Vec<String>,
}

/// Reads a page, gunzipping `.gz` files (capped at [`MAX_PAGE_BYTES`]).
pub fn read_page(path: &Path) -> Result<Vec<u8>, BatchError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file)
            .take(MAX_PAGE_BYTES)
            .read_to_end(&mut out)
            .map_err(io(path))?;
    } else {
        file.take(MAX_PAGE_BYTES)
            .read_to_end(&mut out)
            .map_err(io(path))?;
    }
    Ok(out)
}

static LOCALHOST: LazyLock<Url> =
    LazyLock::new(|| Url::parse("http://localhost/").expect("constant URL"));

/// A placeholder URL for a saved page without one: `http://localhost/<file name>`.
pub fn file_url(path: &Path) -> Url {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    LOCALHOST.join(&name).unwrap_or_else(|_| LOCALHOST.clone())
}

/// Extracts the article of a saved page (never fails: an empty article for non-HTML).
/// `fetched_at`: when the page was saved, if known (relative dates are refused without it).
pub fn extract_saved(
    body: &[u8],
    url: &Url,
    sel: Option<&ProfileSelectors>,
    fetched_at: Option<DateTime<Utc>>,
) -> Article {
    let page = PageInput {
        url,
        body,
        content_type: None,
        fetched_at: fetched_at.unwrap_or(PageInput::UNKNOWN_FETCH_TIME),
    };
    analyze(&page, sel, true)
        .article
        .unwrap_or_else(|| Article {
            url: url.to_string(),
            ..Article::default()
        })
}

/// The batch JSON of one article: the evaluation keys plus every Article field.
pub fn batch_json(a: &Article) -> serde_json::Value {
    // The published day; the last-modified day when no publication date was found.
    let date = a.published_day.clone().or_else(|| {
        a.published
            .as_deref()
            .or(a.modified.as_deref())
            .and_then(parse_date)
            .map(|d| d.day().format("%Y-%m-%d").to_string())
    });
    let mut v = serde_json::json!({
        "articleBody": a.body.clone().unwrap_or_default(),
        "title": a.title,
        "published": a.published,
        "modified": a.modified,
        "date": date,
        "category": a.categories.first(),
    });
    if let (Some(obj), Ok(serde_json::Value::Object(full))) =
        (v.as_object_mut(), serde_json::to_value(a))
    {
        for (k, val) in full {
            obj.entry(k).or_insert(val);
        }
    }
    v
}

/// File stem without `.html`, `.htm` or `.html.gz`.
pub fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.strip_suffix(".html")
        .or_else(|| name.strip_suffix(".htm"))
        .unwrap_or(name)
        .to_string()
}

/// Every `*.html`, `*.htm` and `*.html.gz` file under `dir`, sorted.
pub fn list_pages(dir: &Path) -> Result<Vec<PathBuf>, BatchError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).map_err(io(&d))? {
            let entry = entry.map_err(io(&d))?;
            let p = entry.path();
            let ft = entry.file_type().map_err(io(&p))?;
            if ft.is_dir() {
                stack.push(p);
            } else {
                let n = p.to_string_lossy().to_ascii_lowercase();
                if n.ends_with(".html") || n.ends_with(".html.gz") || n.ends_with(".htm") {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Extracts every page under `dir` into `out/<stem>.json` with `jobs` threads
/// (default: all cores). Pages that fail are listed in the stats, not fatal.
pub fn run_batch(
    dir: &Path,
    out: &Path,
    sel: Option<&ProfileSelectors>,
    jobs: Option<usize>,
) -> Result<BatchStats, BatchError> {
    let pages = list_pages(dir)?;
    std::fs::create_dir_all(out).map_err(io(out))?;
    let threads = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = pages.get(i) else { break };
                    let res = (|| -> Result<(), BatchError> {
                        let body = read_page(path)?;
                        bytes.fetch_add(body.len(), Ordering::Relaxed);
                        let a = extract_saved(&body, &file_url(path), sel, None);
                        let target = out.join(format!("{}.json", stem(path)));
                        let json = serde_json::to_vec(&batch_json(&a)).map_err(|source| {
                            BatchError::Json {
                                path: target.clone(),
                                source,
                            }
                        })?;
                        std::fs::write(&target, json).map_err(io(&target))?;
                        Ok(())
                    })();
                    if let Err(e) = res
                        && let Ok(mut errs) = errors.lock()
                    {
                        errs.push(e.to_string());
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap_or_default();
    Ok(BatchStats {
        pages: pages.len() - errors.len(),
        bytes: bytes.load(Ordering::Relaxed),
        seconds: started.elapsed().as_secs_f64(),
        threads,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem(Path::new("/a/b/x.html.gz")), "x");
        assert_eq!(stem(Path::new("x.html")), "x");
    }

    #[test]
    fn batch_keys() {
        let a = Article {
            url: "http://h/".into(),
            published: Some("2016-11-28T09:15:00+01:00".into()),
            categories: vec!["Cloud".into()],
            ..Article::default()
        };
        let v = batch_json(&a);
        assert_eq!(v["date"], "2016-11-28");
        assert_eq!(v["category"], "Cloud");
        assert_eq!(v["articleBody"], "");
        assert!(v["title"].is_null());
        assert_eq!(v["url"], "http://h/");
    }
}
