//! Dates in side boxes, tried only when the page's main flow gives none (noisy areas are
//! left out of every other source, for their "Recent posts" and comment dates):
//!
//! - the article's own side column: a region named as a sidebar inside the post element
//!   that holds the article's heading (`<article><div class="sidebar"><time …>`), where
//!   themes put the publication date, the author and the sharing buttons;
//! - an info box anywhere with a publication label alone in its element and the date as
//!   the next element ("NEWS INFO: <div>Datum</div><div>31.01.2022</div>").
//!
//! Either counts only when it shows one day and one only (a list of dated teasers, of
//! events or of comments shows several), never in comments, related or teaser blocks,
//! never inside a link, never before the web or after the fetch.

use super::super::dates::{self, ParsedDate, parse_date};
use super::super::dom::NONE;
use super::super::hints;
use super::Context;
use super::date_fallbacks;
use super::date_signals::{UPDATED_LABEL, in_updated_class, plausible};

/// A text longer than this in a side column is a paragraph, not a date line.
const MAX_LINE_CHARS: usize = 120;

/// Names of regions whose dates are never the article's (besides comments).
const OTHER_CONTENT: &[&str] = &[
    "related", "recent", "popular", "teaser", "more", "latest", "event", "termin", "agenda",
    "comment", "reply", "share",
];

/// True when the element or one of its ancestors is a link.
fn in_link(cx: &Context<'_, '_>, i: usize) -> bool {
    std::iter::once(i)
        .chain(cx.dom.ancestors(i))
        .any(|a| cx.dom.nodes[a].tag == "a")
}

/// True when `i` lies in a region of comments, related posts, teasers or events (up to
/// `stop`, excluded, or the root).
fn in_other_content(cx: &Context<'_, '_>, i: usize, stop: usize) -> bool {
    std::iter::once(i)
        .chain(cx.dom.ancestors(i))
        .take_while(|&a| a != stop)
        .any(|a| {
            cx.measures.hint[a] & hints::STRICT != 0 || {
                let names = cx.class_and_id(a);
                OTHER_CONTENT.iter().any(|w| names.contains(w))
            }
        })
}

/// The one day of a list of candidates, or nothing when they disagree.
fn only_day(found: &[ParsedDate]) -> Option<ParsedDate> {
    let first = *found.first()?;
    found
        .iter()
        .all(|d| d.day() == first.day())
        .then_some(first)
}

/// The date in the article's own side column: a region named as a sidebar (or an
/// `<aside>`) inside the post element that holds the heading.
pub(super) fn own_column_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let heading = cx.heading?;
    let post = cx.post_of[heading];
    if post == NONE {
        return None;
    }
    let mut found = Vec::new();
    for i in post + 1..dom.nodes[post].end {
        let n = &dom.nodes[i];
        if !n.is_elem() || !cx.noise[i] || cx.measures.skip[i] || dom.contains(i, heading) {
            continue;
        }
        let side = std::iter::once(i)
            .chain(dom.ancestors(i))
            .take_while(|&a| a != post)
            .any(|a| {
                let names = cx.class_and_id(a);
                dom.nodes[a].tag == "aside"
                    || names.contains("sidebar")
                    || names.contains("side-bar")
            });
        if !side || in_other_content(cx, i, post) || in_link(cx, i) || in_updated_class(cx, i) {
            continue;
        }
        if let Some(d) = column_element_date(cx, i).filter(|d| plausible(cx, d)) {
            found.push(d);
        }
    }
    only_day(&found)
}

/// The date an element of a side column shows: a `<time datetime>`, else a short text
/// of a date-like element (not an update).
fn column_element_date(cx: &Context<'_, '_>, i: usize) -> Option<ParsedDate> {
    let dom = cx.dom;
    let n = &dom.nodes[i];
    if n.tag == "time" {
        if let Some(d) = n.attr("datetime").and_then(parse_date) {
            return Some(d);
        }
    } else if cx.measures.hint[i] & hints::DATE == 0 || n.end - i > 12 {
        return None;
    }
    // A date-like element holding a `<time>`: the `<time>` speaks for itself.
    if n.tag != "time" && (i + 1..n.end).any(|j| dom.nodes[j].tag == "time") {
        return None;
    }
    let text = dom.text(i);
    if text.chars().count() > MAX_LINE_CHARS || UPDATED_LABEL.is_match(&text) {
        return None;
    }
    dates::find_date_in_text(&text, cx.month_first)
}

/// A publication label alone in its element and the date as the next element, in a
/// noisy area outside comments, related posts and teasers, shown once.
pub(super) fn info_box_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let mut found = Vec::new();
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.is_elem()
            || !cx.noise[i]
            || cx.measures.skip[i]
            || n.end - i > 4
            || cx.measures.text[i] == 0
            || cx.measures.text[i] > 40
        {
            continue;
        }
        if in_other_content(cx, i, NONE) || in_link(cx, i) || cx.in_other_post(i) {
            continue;
        }
        let text = dom.text(i);
        if let Some(d) = date_fallbacks::date_after_sibling_label(cx, i, &text, true)
            .filter(|d| plausible(cx, d))
        {
            found.push(d);
        }
    }
    only_day(&found)
}

#[cfg(test)]
mod tests {
    use super::only_day;
    use crate::extract::dates::parse_date;

    #[test]
    fn one_day_only() {
        let d = |s: &str| parse_date(s).expect("a date");
        assert_eq!(
            only_day(&[d("2024-03-05"), d("2024-03-05T10:00:00Z")]).map(|x| x.to_rfc()),
            Some("2024-03-05".into())
        );
        assert!(only_day(&[d("2024-03-05"), d("2024-03-06")]).is_none());
        assert!(only_day(&[]).is_none());
    }
}
