//! `pages/pages.jsonl`: a header line, then one line per article page, built from the
//! `metadata` records that hold glaneur's extracted articles ([`crate::extract::Article`]).

use std::collections::VecDeque;

use serde_json::{Map, Value, json};

use super::raw::RawRecord;
use crate::extract::Article;

/// Responses remembered to date the article that follows them (the crawler writes an
/// article's metadata record right after its response).
const RECENT_RESPONSES: usize = 256;

/// The header line of `pages.jsonl` (WACZ 1.1.1 "json-pages-1.0").
pub fn header_line(title: &str) -> String {
    json!({"format": "json-pages-1.0", "id": "pages", "title": title}).to_string()
}

/// Builds page lines from the records of the package, in order.
#[derive(Default)]
pub struct PageLines {
    recent: VecDeque<(String, String)>,
    /// Metadata records with JSON that is not an article.
    pub skipped: u64,
}

impl PageLines {
    /// Notes a record; for an article's `metadata` record, returns its page line: `id`,
    /// `url`, `ts` (the date of the response it was extracted from), `title`, `text` (the
    /// article body, which ReplayWeb.page searches), then the other extracted fields.
    pub fn line_for(&mut self, record: &RawRecord) -> Option<String> {
        match record.record_type()? {
            "response" => {
                if let (Some(id), Some(date)) =
                    (record.header("WARC-Record-ID"), record.header("WARC-Date"))
                {
                    if self.recent.len() == RECENT_RESPONSES {
                        self.recent.pop_front();
                    }
                    self.recent.push_back((id.to_string(), date.to_string()));
                }
                None
            }
            "metadata" => {
                let is_json = record.header("Content-Type").is_some_and(|c| {
                    c.trim()
                        .to_ascii_lowercase()
                        .starts_with("application/json")
                });
                if !is_json {
                    return None;
                }
                let Ok(article) = serde_json::from_slice::<Article>(record.block()) else {
                    self.skipped += 1;
                    return None;
                };
                let ts = record
                    .header("WARC-Refers-To")
                    .and_then(|r| self.recent.iter().rev().find(|(id, _)| id == r))
                    .map(|(_, date)| date.clone())
                    .or_else(|| record.header("WARC-Date").map(str::to_string))?;
                let id = record
                    .header("WARC-Record-ID")?
                    .trim_start_matches("<urn:uuid:")
                    .trim_end_matches('>')
                    .to_string();
                let url = record.target_uri().unwrap_or(&article.url).to_string();
                Some(page_line(id, url, ts, article))
            }
            _ => None,
        }
    }
}

fn page_line(id: String, url: String, ts: String, article: Article) -> String {
    let mut line = Map::new();
    line.insert("id".into(), id.into());
    line.insert("url".into(), url.into());
    line.insert("ts".into(), ts.into());
    line.insert(
        "title".into(),
        article.title.clone().map_or(Value::Null, Value::from),
    );
    line.insert(
        "text".into(),
        article.body.clone().map_or(Value::Null, Value::from),
    );
    if let Ok(Value::Object(fields)) = serde_json::to_value(&article) {
        for (k, v) in fields {
            if matches!(k.as_str(), "url" | "title" | "body" | "methods") || v.is_null() {
                continue;
            }
            line.entry(k).or_insert(v);
        }
    }
    Value::Object(line).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[(&str, &str)], block: &str) -> RawRecord {
        let head = "WARC/1.1\r\n\r\n";
        RawRecord {
            bytes: format!("{head}{block}\r\n\r\n").into_bytes(),
            header_len: head.len(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn article_page_is_dated_by_its_response() {
        let mut pages = PageLines::default();
        let resp = record(
            &[
                ("WARC-Type", "response"),
                ("WARC-Record-ID", "<urn:uuid:r1>"),
                ("WARC-Date", "2024-05-01T10:00:00Z"),
            ],
            "",
        );
        assert_eq!(pages.line_for(&resp), None);
        let article = r#"{"url":"http://e.org/a","canonical_url":null,"title":"Hello","body":"Text.","categories":["World"],"tags":[],"authors":["Ann"],"published":"2024-04-30","modified":null,"language":"en","description":null,"related":[],"methods":{}}"#;
        let meta = record(
            &[
                ("WARC-Type", "metadata"),
                ("WARC-Record-ID", "<urn:uuid:m1>"),
                ("WARC-Date", "2024-05-01T10:00:01Z"),
                ("WARC-Target-URI", "http://e.org/a"),
                ("WARC-Refers-To", "<urn:uuid:r1>"),
                ("Content-Type", "application/json"),
            ],
            article,
        );
        let line = pages.line_for(&meta).expect("page line");
        let v: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["id"], "m1");
        assert_eq!(v["ts"], "2024-05-01T10:00:00Z");
        assert_eq!(v["title"], "Hello");
        assert_eq!(v["text"], "Text.");
        assert_eq!(v["authors"][0], "Ann");
        assert!(v.get("methods").is_none() && v.get("body").is_none());
    }

    #[test]
    fn other_metadata_is_no_page() {
        let mut pages = PageLines::default();
        let meta = record(
            &[
                ("WARC-Type", "metadata"),
                ("Content-Type", "application/json"),
            ],
            "{\"url\": 5, \"title\": [1]}",
        );
        assert_eq!(pages.line_for(&meta), None);
        assert_eq!(pages.skipped, 1);
    }
}
