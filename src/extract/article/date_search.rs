//! The last resort for the publication date, as htmldate's extensive mode: the most
//! plausible date written on the page when no structured, labelled or URL date exists.
//! Only short texts count (datelines, bylines, not sentences of the text), never in noisy
//! areas (comments, sidebars such as "Recent posts", related blocks, page footers), never
//! a link's text, a copyright line, an update, or a day after the fetch. The first such date after the
//! article's heading wins, then the last one just before it, then the most frequent day.

use std::collections::HashMap;

use chrono::Datelike;

use super::super::dates::{self, ParsedDate};
use super::super::dom::NONE;
use super::Context;
use super::date_signals::{FIRST_YEAR, UPDATED_LABEL, not_future};

/// Longer texts are sentences, not datelines.
const MAX_DATELINE_CHARS: usize = 100;
/// Dates after the heading count within this many nodes.
const AFTER_HEADING_NODES: usize = 400;
/// Dates before the heading count within this many nodes.
const BEFORE_HEADING_NODES: usize = 60;

/// The most plausible publication date written on the page.
pub(super) fn most_plausible(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let candidates = visible_dates(cx);
    if candidates.is_empty() {
        return None;
    }
    if let Some(h) = cx.heading {
        if let Some(&(_, d)) = candidates
            .iter()
            .find(|(i, _)| *i > h && *i < h + AFTER_HEADING_NODES)
        {
            return Some(d);
        }
        if let Some(&(_, d)) = candidates
            .iter()
            .rev()
            .find(|(i, _)| *i < h && *i + BEFORE_HEADING_NODES > h)
        {
            return Some(d);
        }
    }
    // The most frequent day (the first one shown on ties).
    let mut counts: HashMap<chrono::NaiveDate, (usize, usize)> = HashMap::new();
    for (order, (_, d)) in candidates.iter().enumerate() {
        counts.entry(d.day()).or_insert((0, order)).0 += 1;
    }
    let (best_day, _) = counts
        .iter()
        .max_by_key(|(_, (count, order))| (*count, std::cmp::Reverse(*order)))?;
    candidates
        .iter()
        .find(|(_, d)| d.day() == *best_day)
        .map(|&(_, d)| d)
}

/// Dates written in short texts outside noisy areas, in document order (node index of
/// the text or of the small element that holds a split date).
fn visible_dates(cx: &Context<'_, '_>) -> Vec<(usize, ParsedDate)> {
    let dom = cx.dom;
    let mut out = Vec::new();
    let mut done_until = 0;
    for (i, n) in dom.nodes.iter().enumerate() {
        if i < done_until
            || n.is_elem()
            || cx.noise[i]
            || cx.measures.skip[i]
            || cx.in_other_post(i)
        {
            continue;
        }
        let own = n.text.trim();
        if own.is_empty() || !own.bytes().any(|b| b.is_ascii_digit()) {
            continue;
        }
        // A date split over inline elements ("<span>5</span> mars 2024"): the small
        // element around the text.
        let parent = n.parent;
        let (at, text) = if parent != NONE
            && dom.nodes[parent].end - parent <= 8
            && cx.measures.text[parent] as usize <= MAX_DATELINE_CHARS
        {
            done_until = dom.nodes[parent].end;
            (parent, dom.text(parent))
        } else {
            (i, own.to_string())
        };
        if text.chars().count() > MAX_DATELINE_CHARS
            || is_copyright(&text)
            || UPDATED_LABEL.is_match(&text)
        {
            continue;
        }
        if let Some(d) = dates::find_date_in_text(&text, cx.month_first)
            && d.day().year() >= FIRST_YEAR
            && not_future(cx, &d)
            && !in_link(cx, at)
        {
            out.push((at, d));
        }
    }
    out
}

/// True inside a link: a link's text names another page (a menu entry "Report of 31
/// December 2021", a teaser card, "Posted by X on …" of a comment), not this page's date.
fn in_link(cx: &Context<'_, '_>, i: usize) -> bool {
    std::iter::once(i)
        .chain(cx.dom.ancestors(i))
        .any(|a| cx.dom.nodes[a].tag == "a")
}

/// A copyright or legal line ("© 2024", "Copyright", "Tous droits réservés").
fn is_copyright(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains('©')
        || lower.contains("copyright")
        || lower.contains("droits réservés")
        || lower.contains("all rights reserved")
        || lower.contains("(c)")
}
