//! The publication date in a page's inline scripts other than JSON-LD: the state that
//! JavaScript front-ends embed for the page (`window.__INITIAL_STATE__ = {…
//! "publishedAt":"2024-03-05T09:00:00Z" …}`, Next.js `__NEXT_DATA__`, analytics data
//! layers: `"publish_date": "2024-03-05"`), which htmldate reads too. Only keys that name
//! a publication, the first one written in the page (the page's own object comes before
//! the lists of other articles in these states), never a day after the fetch.

use std::sync::LazyLock;

use chrono::DateTime;
use regex::bytes::Regex;

use super::super::dates::{ParsedDate, parse_date};
use super::Context;
use super::date_signals::plausible;

/// A publication key and its value: a quoted date, or a Unix time in seconds or
/// milliseconds. Keys are matched whole (`"datePublished"`, `publishedAt:`), case aside.
/// On bytes: the keys and dates are ASCII in every charset a page may use.
static KEYED_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)["']?\b(?:date_?published|published_?(?:at|date|time|on)|publish_?(?:date|time|at)|publication_?date|first_?published_?(?:at|date)|pub_?date)["']?\s*[:=]\s*(?:["']([0-9][0-9T:.+\-/ Z]{7,34})["']|([0-9]{10}(?:[0-9]{3})?)\b)"#,
    )
    .expect("valid regex")
});

/// Source read per page (the state of a page is near its start; a huge page costs no
/// more than this).
const MAX_SOURCE_BYTES: usize = 2_000_000;

/// The first publication date named in the page's inline scripts. The parse keeps no
/// script text but JSON-LD's, so the page's source is read: a match counts when the
/// last `<script` tag before it is not yet closed.
pub(super) fn script_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let body = cx.page.body;
    let source = &body[..body.len().min(MAX_SOURCE_BYTES)];
    KEYED_DATE
        .captures_iter(source)
        .filter(|c| c.get(0).is_some_and(|m| in_script(&source[..m.start()])))
        .filter_map(|c| keyed_date(&c))
        .find(|d| plausible(cx, d))
}

/// The date of a match of [`KEYED_DATE`].
fn keyed_date(c: &regex::bytes::Captures<'_>) -> Option<ParsedDate> {
    match (c.get(1), c.get(2)) {
        (Some(v), _) => parse_date(std::str::from_utf8(v.as_bytes()).ok()?),
        (None, Some(ts)) => unix_time(std::str::from_utf8(ts.as_bytes()).ok()?),
        _ => None,
    }
}

/// True when the source before a point ends inside a `<script>` element.
fn in_script(before: &[u8]) -> bool {
    let last = |needle: &[u8]| {
        memchr::memmem::rfind_iter(before, needle)
            .next()
            .or_else(|| {
                let upper = needle.to_ascii_uppercase();
                memchr::memmem::rfind_iter(before, &upper).next()
            })
    };
    match (last(b"<script"), last(b"</script")) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
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

    fn found(source: &str) -> Vec<String> {
        KEYED_DATE
            .captures_iter(source.as_bytes())
            .filter(|c| {
                c.get(0)
                    .is_some_and(|m| in_script(&source.as_bytes()[..m.start()]))
            })
            .filter_map(|c| keyed_date(&c))
            .map(|d| d.to_rfc())
            .collect()
    }

    fn script(s: &str) -> String {
        format!("<p>x</p><script>{s}</script>")
    }

    #[test]
    fn publication_keys_with_quoted_dates_or_unix_times() {
        assert_eq!(
            found(&script(
                r#"window.__STATE__={"article":{"id":4,"publishedAt":"2024-03-05T09:00:00+01:00","updatedAt":"2024-03-06T10:00:00Z"}}"#
            )),
            ["2024-03-05T09:00:00+01:00"]
        );
        assert_eq!(
            found(&script(
                r#"dataLayer.push({'publish_date': '2023-11-02', 'page_type': 'article'});"#
            )),
            ["2023-11-02"]
        );
        assert_eq!(
            found(&script(r#"{"first_published_at":1709629200,"x":1}"#)),
            ["2024-03-05T09:00:00+00:00"]
        );
        assert_eq!(
            found(&script(r#"{"datePublished":1709629200000}"#)),
            ["2024-03-05T09:00:00+00:00"]
        );
        // Other keys, and keys that merely contain a publication word, are not read.
        assert!(
            found(&script(
                r#"{"updatedAt":"2024-03-06","modified":"2024-03-06"}"#
            ))
            .is_empty()
        );
        assert!(
            found(&script(
                r#"{"unpublished_atlas":"2024-03-06","date":"2024-03-07"}"#
            ))
            .is_empty()
        );
        assert!(found(&script(r#"{"publishedAt":"soon"}"#)).is_empty());
    }

    #[test]
    fn only_inside_scripts() {
        let page = r#"<SCRIPT>var a={"pubDate":"2024-01-02"}</SCRIPT><p>"pubdate": "2024-01-03"</p><div data-pubdate="2024-01-04"></div><script type="application/json">{"publishedAt":"2024-01-05"}"#;
        assert_eq!(found(page), ["2024-01-02", "2024-01-05"]);
    }
}
