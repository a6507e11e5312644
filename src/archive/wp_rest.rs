//! A WordPress post's own REST JSON (`/wp-json/wp/v2/posts/N`, or
//! `?rest_route=/wp/v2/posts/N` under plain permalinks), which every WordPress page of a
//! post names in its head and which the crawl archives next to the page (see
//! `docs/extraction.md`, "WordPress posts"). Its `modified_gmt` is WordPress's own last
//! modification, which stock themes do not print.
//!
//! The scan reads each such JSON once ([`read_post_json`], bounded);
//! [`super::wp_posts::RestIndex`] joins them over the archive and completes the articles.

use chrono::{FixedOffset, NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

/// Largest REST JSON read, decoded (a post's JSON holds its rendered content: a few
/// hundred kB for a long post).
pub const MAX_JSON_BYTES: u64 = 4 << 20;

/// What glaneur keeps of a post's REST JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestPost {
    /// The post id (`id`).
    pub id: u64,
    /// The post's address (`link`).
    pub link: String,
    /// Last modification (`modified_gmt`), RFC 3339 to the second, at the site's offset
    /// (from `modified`, the site's local time) when the JSON gives it, else in UTC.
    pub modified: Option<String>,
    /// Publication (`date_gmt`, `date`), the same way.
    pub published: Option<String>,
}

/// Why a REST JSON was not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestJsonError {
    /// Bigger than [`MAX_JSON_BYTES`].
    #[error("the JSON is over {} bytes", MAX_JSON_BYTES)]
    TooBig,
    /// Not JSON, or not an object of a post.
    #[error("not a post's JSON: {0}")]
    NotAPost(String),
}

/// The JSON as WordPress writes it (every other field ignored).
#[derive(Deserialize)]
struct RawPost {
    id: u64,
    link: String,
    #[serde(default)]
    modified_gmt: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    date_gmt: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// Reads a post's REST JSON (decoded body). An error object (`{"code": …}`), an array, a
/// broken or oversized body is an error.
pub fn read_post_json(body: &[u8]) -> Result<RestPost, RestJsonError> {
    if body.len() as u64 > MAX_JSON_BYTES {
        return Err(RestJsonError::TooBig);
    }
    let raw: RawPost =
        serde_json::from_slice(body).map_err(|e| RestJsonError::NotAPost(e.to_string()))?;
    if url::Url::parse(raw.link.trim()).is_err() {
        return Err(RestJsonError::NotAPost(format!("bad link {:?}", raw.link)));
    }
    Ok(RestPost {
        id: raw.id,
        link: raw.link.trim().to_string(),
        modified: instant(raw.modified_gmt.as_deref(), raw.modified.as_deref()),
        published: instant(raw.date_gmt.as_deref(), raw.date.as_deref()),
    })
}

/// The instant of a WordPress `*_gmt` value (`2024-03-05T10:00:00`, UTC without offset) as
/// RFC 3339, at the offset its `local` twin (the same instant in the site's time zone)
/// shows, else in UTC; `None` for WordPress's "never" (`0000-00-00…`) or anything else.
fn instant(gmt: Option<&str>, local: Option<&str>) -> Option<String> {
    let naive = |v: &str| NaiveDateTime::parse_from_str(v.trim(), "%Y-%m-%dT%H:%M:%S").ok();
    let at = naive(gmt?)?.and_utc();
    if at.timestamp() <= 0 {
        return None;
    }
    let offset = local
        .and_then(naive)
        .map(|l| (l - at.naive_utc()).num_seconds())
        .filter(|s| s % 60 == 0 && s.abs() < 18 * 3600)
        .and_then(|s| FixedOffset::east_opt(i32::try_from(s).ok()?));
    Some(match offset {
        Some(offset) => at
            .with_timezone(&offset)
            .to_rfc3339_opts(SecondsFormat::Secs, false),
        None => at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
    })
}

/// The post id of a REST route of one post: `…/wp/v2/posts/N` at the end of the path, or
/// a `rest_route=/wp/v2/posts/N` query parameter.
pub fn post_route_id(url: &str) -> Option<u64> {
    let url = url::Url::parse(url.trim()).ok()?;
    let route = url
        .query_pairs()
        .find(|(k, _)| k == "rest_route")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| url.path().to_string());
    let rest = route.trim_end_matches('/');
    let (head, id) = rest.rsplit_once('/')?;
    if !head.ends_with("/wp/v2/posts") || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// A post JSON read by the scan: the response record holding it, and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestPostRow {
    /// `WARC-Record-ID` of the response.
    pub record_id: String,
    /// The JSON read.
    pub post: RestPost,
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = r#"{"id":21,"date":"2024-03-05T11:00:00","date_gmt":"2024-03-05T10:00:00",
        "modified":"2024-04-01T09:30:12","modified_gmt":"2024-04-01T07:30:12","slug":"x",
        "status":"publish","link":"http://wp.test/2024/03/05/x/","title":{"rendered":"X"},
        "content":{"rendered":"<p>Long text</p>","protected":false},"categories":[3],"author":2}"#;

    #[test]
    fn a_post_json_gives_its_dates_in_utc() {
        let post = read_post_json(POST.as_bytes()).expect("a post");
        assert_eq!(post.id, 21);
        assert_eq!(post.link, "http://wp.test/2024/03/05/x/");
        // At the site's offset, which its local twins show (summer time in April).
        assert_eq!(post.modified.as_deref(), Some("2024-04-01T09:30:12+02:00"));
        assert_eq!(post.published.as_deref(), Some("2024-03-05T11:00:00+01:00"));
        // Without them, in UTC.
        let bare = br#"{"id":2,"link":"http://wp.test/?p=2","modified_gmt":"2024-04-01T07:30:12"}"#;
        let post = read_post_json(bare).expect("a post");
        assert_eq!(post.modified.as_deref(), Some("2024-04-01T07:30:12+00:00"));
    }

    #[test]
    fn error_objects_broken_and_huge_bodies_are_no_post() {
        let forbidden = br#"{"code":"rest_forbidden","message":"Non","data":{"status":401}}"#;
        assert!(matches!(
            read_post_json(forbidden),
            Err(RestJsonError::NotAPost(_))
        ));
        assert!(read_post_json(&POST.as_bytes()[..60]).is_err());
        assert!(read_post_json(b"[]").is_err());
        assert!(read_post_json(br#"{"id":1,"link":"not a url"}"#).is_err());
        let mut huge = POST.as_bytes().to_vec();
        huge.resize(MAX_JSON_BYTES as usize + 1, b' ');
        assert_eq!(read_post_json(&huge), Err(RestJsonError::TooBig));
        // A draft's "never" date is no date.
        let draft = br#"{"id":3,"link":"http://wp.test/?p=3","date_gmt":null,"modified_gmt":"0000-00-00T00:00:00"}"#;
        let post = read_post_json(draft).expect("a post");
        assert_eq!((post.published, post.modified), (None, None));
    }

    #[test]
    fn post_routes_in_both_spellings() {
        assert_eq!(
            post_route_id("http://wp.test/wp-json/wp/v2/posts/21"),
            Some(21)
        );
        assert_eq!(
            post_route_id("http://wp.test/blog/wp-json/wp/v2/posts/7/"),
            Some(7)
        );
        assert_eq!(
            post_route_id("http://wp.test/index.php?rest_route=/wp/v2/posts/21"),
            Some(21)
        );
        assert_eq!(
            post_route_id("http://wp.test/?rest_route=%2Fwp%2Fv2%2Fposts%2F9"),
            Some(9)
        );
        for other in [
            "http://wp.test/wp-json/wp/v2/pages/21",
            "http://wp.test/wp-json/wp/v2/posts",
            "http://wp.test/wp-json/wp/v2/posts/21/revisions",
            "http://wp.test/?p=21",
        ] {
            assert_eq!(post_route_id(other), None, "{other}");
        }
    }
}
