//! The article of one capture as `glaneur articles` exports it (`glaneur get --article`):
//! its stored record completed from the WordPress post JSON captured with the page
//! ([`RestIndex::complete`]), the fields so filled named.

use std::path::Path;

use serde::Serialize;
use url::Url;

use super::get::{Capture, decode_body_limited, find_article, find_capture};
use super::index::http_status;
use super::{ReadError, parse_timestamp};
use crate::archive::wp_posts::{METHOD, RestIndex};
use crate::archive::wp_rest::{MAX_JSON_BYTES, RestPost, read_post_json};
use crate::extract::Article;

/// An article as exported, and what its post JSON gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletedArticle {
    /// The article: the stored record, completed.
    pub article: Article,
    /// The fields filled from the post JSON (their method is `wp-rest`), in name order.
    pub from_json: Vec<String>,
    /// The REST route read and the time of its capture (14 digits), when one was read.
    pub json_capture: Option<(String, String)>,
}

/// The article extracted from `capture`, completed from the JSON of its WordPress post
/// captured nearest to it (within the window [`RestIndex::complete`] allows), as
/// `glaneur articles` gives it.
pub fn completed_article(dir: &Path, capture: &Capture) -> Result<CompletedArticle, ReadError> {
    let (_, record) = find_article(dir, capture)?;
    let mut article: Article = serde_json::from_slice(&record.block).map_err(|e| {
        ReadError::NotFound(format!(
            "the metadata record of {} is not an article: {e}",
            capture.entry.url
        ))
    })?;
    let mut from_json = Vec::new();
    let mut json_capture = None;
    let captured_at = parse_timestamp(&capture.entry.timestamp);
    if let (Some(rest_url), Some(at)) = (article.wp_rest.clone(), captured_at)
        && let Some((index, json_at)) = rest_index_near(dir, &rest_url, at)
    {
        let before = article.methods.clone();
        if index.complete(&mut article, at) {
            from_json = article
                .methods
                .iter()
                .filter(|(k, v)| *v == METHOD && before.get(*k) != Some(*v))
                .map(|(k, _)| k.clone())
                .collect();
        }
        json_capture = Some((rest_url, json_at));
    }
    Ok(CompletedArticle {
        article,
        from_json,
        json_capture,
    })
}

/// The capture of the REST route `rest_url` nearest to `at`, as an index of one capture
/// (holding the post when it is a 200 JSON answer that reads as a post), and its time.
fn rest_index_near(
    dir: &Path,
    rest_url: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<(RestIndex, String)> {
    let url = Url::parse(rest_url).ok()?;
    let json = find_capture(dir, &url, Some(at)).ok()?;
    let date = parse_timestamp(&json.entry.timestamp)?;
    let mut index = RestIndex::default();
    let id = json
        .record
        .header("WARC-Record-ID")
        .unwrap_or("-")
        .trim()
        .to_string();
    index.add_capture(&json.entry.url, (date, &id), None, post_of(&json));
    Some((index, json.entry.timestamp.clone()))
}

/// The post a capture of a REST route holds: a 200 JSON answer that reads as a post.
fn post_of(json: &Capture) -> Option<RestPost> {
    let head = json.http_head()?;
    if http_status(head).as_deref() != Some("200") {
        return None;
    }
    let payload = json.payload_record().payload()?;
    if payload.len() as u64 > MAX_JSON_BYTES {
        return None;
    }
    let body = decode_body_limited(head, payload, MAX_JSON_BYTES).ok()?;
    read_post_json(&body).ok()
}
