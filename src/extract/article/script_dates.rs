//! The publication date in a page's inline scripts other than JSON-LD: the state that
//! JavaScript front-ends embed for the page (`window.__INITIAL_STATE__ = {…
//! "publishedAt":"2024-03-05T09:00:00Z" …}`, Next.js `__NEXT_DATA__`, analytics data
//! layers: `"publish_date": "2024-03-05"`), which htmldate reads too. Only keys that name
//! a publication, the first one written in the page (the page's own object comes before
//! the lists of other articles in these states), never a day after the fetch.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike};
use regex::Regex;

use super::super::dates::{ParsedDate, parse_date};
use super::Context;
use super::published::not_future;

/// A publication key and its value: a quoted date, or a Unix time in seconds or
/// milliseconds. Keys are matched whole (`"datePublished"`, `publishedAt:`), case aside.
static KEYED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)["']?\b(?:date_?published|published_?(?:at|date|time|on)|publish_?(?:date|time|at)|publication_?date|first_?published_?(?:at|date)|pub_?date)["']?\s*[:=]\s*(?:["']([0-9][0-9T:.+\-/ Z]{7,34})["']|([0-9]{10}(?:[0-9]{3})?)\b)"#,
    )
    .expect("valid regex")
});

/// Script text read per page (the state of a page is near its start; a huge bundle
/// costs no more than this).
const MAX_SCRIPT_BYTES: usize = 2_000_000;

/// Earlier years are not publication dates of a web page.
const FIRST_YEAR: i32 = 1995;

/// The first publication date named in the page's inline scripts (not JSON-LD).
pub(super) fn script_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let mut budget = MAX_SCRIPT_BYTES;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "script" || n.attr("src").is_some() {
            continue;
        }
        let kind = n.attr("type").unwrap_or("").trim().to_ascii_lowercase();
        if kind == "application/ld+json" || kind.contains("template") || kind.contains("html") {
            continue;
        }
        for t in &dom.nodes[i + 1..n.end] {
            if budget == 0 {
                return None;
            }
            let text = clip(t.text, budget);
            budget -= text.len();
            if let Some(d) = KEYED_DATE
                .captures_iter(text)
                .filter_map(|c| match (c.get(1), c.get(2)) {
                    (Some(v), _) => parse_date(v.as_str()),
                    (None, Some(ts)) => unix_time(ts.as_str()),
                    _ => None,
                })
                .find(|d| d.day().year() >= FIRST_YEAR && not_future(cx, d))
            {
                return Some(d);
            }
        }
    }
    None
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A Unix time of 10 digits (seconds) or 13 (milliseconds), as a UTC instant.
fn unix_time(digits: &str) -> Option<ParsedDate> {
    let n: i64 = digits.parse().ok()?;
    let secs = if digits.len() == 13 { n / 1000 } else { n };
    let utc = DateTime::from_timestamp(secs, 0)?;
    Some(ParsedDate::Instant(utc.fixed_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(script: &str) -> Vec<String> {
        KEYED_DATE
            .captures_iter(script)
            .filter_map(|c| match (c.get(1), c.get(2)) {
                (Some(v), _) => parse_date(v.as_str()),
                (None, Some(ts)) => unix_time(ts.as_str()),
                _ => None,
            })
            .map(|d| d.to_rfc())
            .collect()
    }

    #[test]
    fn publication_keys_with_quoted_dates_or_unix_times() {
        assert_eq!(
            found(
                r#"window.__STATE__={"article":{"id":4,"publishedAt":"2024-03-05T09:00:00+01:00","updatedAt":"2024-03-06T10:00:00Z"}}"#
            ),
            ["2024-03-05T09:00:00+01:00"]
        );
        assert_eq!(
            found(r#"dataLayer.push({'publish_date': '2023-11-02', 'page_type': 'article'});"#),
            ["2023-11-02"]
        );
        assert_eq!(
            found(r#"{"first_published_at":1709629200,"x":1}"#),
            ["2024-03-05T09:00:00+00:00"]
        );
        assert_eq!(
            found(r#"{"datePublished":1709629200000}"#),
            ["2024-03-05T09:00:00+00:00"]
        );
        // Other keys, and keys that merely contain a publication word, are not read.
        assert!(found(r#"{"updatedAt":"2024-03-06","modified":"2024-03-06"}"#).is_empty());
        assert!(found(r#"{"unpublished_atlas":"2024-03-06","date":"2024-03-07"}"#).is_empty());
        assert!(found(r#"{"publishedAt":"soon"}"#).is_empty());
    }
}
