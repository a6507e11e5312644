//! The publication date: the profile's selector, JSON-LD, meta tags, microdata, `<time>`
//! elements (not those labelled as updates), dates written in date-like elements, the date
//! in the page's URL, relative dates near the title, a publication key in the page's
//! inline scripts (`script_dates`), the most plausible visible date (`date_search`),
//! and last a single date in the article's own side column or a labelled info box
//! (`date_aside`). UTC instants are shown in the publisher's time zone when the
//! page gives it, and the publisher's day is kept apart.

use chrono::NaiveDate;

use super::super::dates::{self, ParsedDate, parse_date};
use super::super::hints;
use super::date_signals::{
    Label, PUBLISHED_META, UPDATED_LABEL, element_date, in_updated_class, label_before, not_future,
    plausible, selector_date, text_date,
};
use super::{Context, Found};
use super::{date_aside, date_fallbacks, date_search, datelines, script_dates};

/// A publication date as the article shows it.
pub(super) struct Publication {
    /// RFC 3339 (or a day, or a local time) in the publisher's time zone when known.
    pub when: String,
    /// The publisher's day, `YYYY-MM-DD`.
    pub day: String,
}

/// The publication date and its method (`heading`: the article's main heading, near
/// which a shown day is looked for).
pub(super) fn publication(
    cx: &Context<'_, '_>,
    heading: Option<usize>,
    body: Option<&str>,
) -> Option<Found<Publication>> {
    let (mut date, mut how) = published(cx, body)?;
    // A full date in the URL is written once, at publication: it wins over a different
    // day found by the generic sources.
    if matches!(
        how,
        "time" | "attribute" | "text" | "label" | "dateline" | "search" | "aside" | "title"
    ) && let Some(url_day) = url_date(cx)
        && date.day() != url_day
    {
        date = ParsedDate::Day(url_day);
        how = "url";
    }
    let date = localize(date, &page_offsets(cx));
    let day = local_day(cx, date, heading).unwrap_or(date.day());
    Some((
        Publication {
            when: date.to_rfc(),
            day: day.format("%Y-%m-%d").to_string(),
        },
        how,
    ))
}

/// The date in the page's own URLs (as fetched, canonical, `og:url`, AMP).
pub(super) fn url_date(cx: &Context<'_, '_>) -> Option<NaiveDate> {
    cx.own_urls().find_map(dates::date_from_url)
}

fn published(cx: &Context<'_, '_>, body: Option<&str>) -> Option<Found<ParsedDate>> {
    let Some(from_selector) = cx
        .profile
        .and_then(|s| s.published.as_ref())
        .and_then(|s| selector_date(cx, s))
    else {
        return generic_published(cx, body);
    };
    // A day from the selector: a generic source with the same day and a time is better.
    if !matches!(from_selector, ParsedDate::Instant(_))
        && let Some((generic @ ParsedDate::Instant(_), how)) = generic_published(cx, body)
        && generic.day() == from_selector.day()
    {
        return Some((generic, how));
    }
    Some((from_selector, "selector"))
}

fn generic_published(cx: &Context<'_, '_>, body: Option<&str>) -> Option<Found<ParsedDate>> {
    let meta = cx.meta;
    for key in ["datePublished", "dateCreated", "uploadDate"] {
        if let Some(d) = meta.ld_str(key).and_then(|s| parse_date(&s)) {
            return Some((d, "json-ld"));
        }
    }
    for key in PUBLISHED_META {
        if let Some(d) = meta.tags.get(*key).and_then(|s| parse_date(s)) {
            return Some((d, "meta"));
        }
    }
    for key in ["datePublished", "dateCreated"] {
        let value = meta.itemprops.get(key).or_else(|| {
            meta.itemprops
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        });
        if let Some(d) = value.and_then(|s| parse_date(s)) {
            return Some((d, "itemprop"));
        }
    }
    if let Some(d) = other_publication_meta(cx) {
        return Some((d, "meta"));
    }
    if let Some(d) = time_element(cx) {
        return Some((d, "time"));
    }
    // Visible text in date-like elements ("Publié le 3 août 2023 à 10h30").
    if let Some(d) = text_date(cx, false).filter(|d| not_future(cx, d)) {
        return Some((d, "text"));
    }
    if let Some(d) = date_fallbacks::attribute_date(cx) {
        return Some((d, "attribute"));
    }
    if let Some(d) = url_date(cx) {
        return Some((ParsedDate::Day(d), "url"));
    }
    if let Some(d) = script_dates::script_date(cx) {
        return Some((d, "script"));
    }
    if let Some(d) = date_fallbacks::labelled_date(cx) {
        return Some((d, "label"));
    }
    if let Some(d) = body
        .and_then(|b| datelines::dateline_date(b, cx.month_first))
        .filter(|d| not_future(cx, d))
    {
        return Some((d, "dateline"));
    }
    if let Some(d) = relative_date(cx) {
        return Some((d, "relative"));
    }
    if let Some(d) = date_search::most_plausible(cx) {
        return Some((d, "search"));
    }
    // Side boxes: the article's own column, then a labelled date in an info box.
    if let Some(d) = date_aside::own_column_date(cx) {
        return Some((d, "aside"));
    }
    if let Some(d) = date_aside::info_box_date(cx) {
        return Some((d, "aside"));
    }
    date_fallbacks::title_date(cx).map(|d| (d, "title"))
}

/// A meta tag value longer than this is a text, not a date.
const MAX_META_DATE_CHARS: usize = 40;

/// Any other meta tag named as a publication or a release (`publication-date`,
/// `article.published_date`, `release_date`), never as an update, an expiry or the
/// publisher; the shortest name first (the map of tags has no order).
fn other_publication_meta(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let mut keys: Vec<&String> = cx
        .meta
        .tags
        .keys()
        .filter(|k| named_publication(k))
        .collect();
    keys.sort_by_key(|k| (k.len(), k.as_str()));
    keys.into_iter()
        .filter_map(|k| cx.meta.tags.get(k))
        .filter(|v| v.chars().count() <= MAX_META_DATE_CHARS)
        .filter_map(|v| parse_date(v))
        .find(|d| plausible(cx, d))
}

/// True for a meta name of a publication date (not an update, an expiry, the publisher).
fn named_publication(key: &str) -> bool {
    let named = [
        "publish",
        "publication",
        "pubdate",
        "pub_date",
        "pub-date",
        "release_date",
        "release-date",
        "releasedate",
    ]
    .iter()
    .any(|w| key.contains(w));
    let other = [
        "publisher",
        "modif",
        "updat",
        "expir",
        "unpublish",
        "revis",
        "end",
    ]
    .iter()
    .any(|w| key.contains(w));
    named && !other
}

/// `<time>` elements outside noisy areas: one named as the publication first, else the
/// first one that is not an update (by class or by the label before it).
fn time_element(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let mut first_time: Option<ParsedDate> = None;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "time" || cx.noise[i] || cx.in_other_post(i) {
            continue;
        }
        let Some(d) = element_date(cx, i, false).filter(|d| not_future(cx, d)) else {
            continue;
        };
        let names = cx.class_and_id(i);
        let label = label_before(cx, i);
        let named_published = n.attr("pubdate").is_some()
            || names.contains("publish")
            || names.contains("pubdate")
            || names.contains("entry-date")
            || names.contains("created");
        let updated =
            (in_updated_class(cx, i) && !names.contains("publish")) || label == Label::Updated;
        if (named_published || label == Label::Published) && !updated {
            return Some(d);
        }
        if first_time.is_none() && !updated {
            first_time = Some(d);
        }
    }
    first_time
}

/// The instants with a non-UTC offset among the page's machine-readable dates (meta
/// tags, JSON-LD, microdata, `<time datetime>`): the publisher's time zone.
pub(super) fn page_offsets(cx: &Context<'_, '_>) -> Vec<chrono::DateTime<chrono::FixedOffset>> {
    let mut out = Vec::new();
    let mut add = |s: &str| {
        if let Some(ParsedDate::Instant(d)) = parse_date(s)
            && d.offset().local_minus_utc() != 0
            && !out.contains(&d)
        {
            out.push(d);
        }
    };
    let meta = cx.meta;
    for (k, v) in &meta.tags {
        if k.contains("date")
            || k.contains("time")
            || k.contains("publish")
            || k.contains("modified")
        {
            add(v);
        }
    }
    for key in ["datePublished", "dateModified", "dateCreated"] {
        if let Some(v) = meta.ld_str(key) {
            add(&v);
        }
        if let Some(v) = meta.itemprops.get(key) {
            add(v);
        }
    }
    for n in &cx.dom.nodes {
        if n.tag == "time"
            && let Some(v) = n.attr("datetime")
        {
            add(v);
        }
    }
    out
}

/// A UTC instant re-expressed in the publisher's time zone when the page gives it: the
/// same instant written with an offset elsewhere, else the one offset its dates use.
pub(super) fn localize(
    d: ParsedDate,
    offsets: &[chrono::DateTime<chrono::FixedOffset>],
) -> ParsedDate {
    let ParsedDate::Instant(t) = d else {
        return d;
    };
    if t.offset().local_minus_utc() != 0 {
        return d;
    }
    if let Some(same) = offsets.iter().find(|o| **o == t) {
        return ParsedDate::Instant(t.with_timezone(same.offset()));
    }
    let first = offsets.first().map(|o| *o.offset());
    if let Some(off) = first
        && offsets.iter().all(|o| *o.offset() == off)
    {
        return ParsedDate::Instant(t.with_timezone(&off));
    }
    d
}

/// The publisher's day of a publication date: its own day, unless it is a UTC instant
/// and the page's URL or byline shows the day before or after (a local day that the UTC
/// time crossed).
fn local_day(cx: &Context<'_, '_>, p: ParsedDate, h1: Option<usize>) -> Option<chrono::NaiveDate> {
    let day = p.day();
    let ParsedDate::Instant(t) = p else {
        return Some(day);
    };
    if t.offset().local_minus_utc() != 0 {
        return Some(day);
    }
    let near = |d: chrono::NaiveDate| (d - day).num_days().abs() == 1;
    let url_day = url_date(cx);
    if let Some(d) = url_day {
        return Some(if near(d) { d } else { day });
    }
    // The text of a `<time>` element or of the byline, next to the article's heading
    // (not a date shown in the page header).
    let h1 = h1?;
    let near_h1 = |i: usize| i > h1.saturating_sub(40) && i < h1 + 300;
    let shown = cx
        .dom
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.tag == "time" && !cx.noise[*i] && near_h1(*i))
        .find_map(|(i, _)| {
            let t = cx.dom.text(i);
            (t.chars().count() < 100)
                .then(|| dates::find_date_in_text(&t, cx.month_first))
                .flatten()
        })
        .or_else(|| {
            (h1.saturating_sub(40)..(h1 + 300).min(cx.dom.nodes.len())).find_map(|i| {
                let n = &cx.dom.nodes[i];
                if !n.is_elem()
                    || cx.noise[i]
                    || cx.measures.skip[i]
                    || n.end - i > 40
                    || cx.measures.hint[i] & hints::DATE == 0
                {
                    return None;
                }
                let t = cx.dom.text(i);
                if t.chars().count() > 200 || UPDATED_LABEL.is_match(&t) {
                    return None;
                }
                dates::find_date_in_text(&t, cx.month_first)
            })
        });
    match shown {
        Some(s) if near(s.day()) => Some(s.day()),
        _ => Some(day),
    }
}

/// A relative date ("il y a 3 jours") in a date-like element near the title, never in sidebars.
fn relative_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let h1 = dom.nodes.iter().position(|n| n.tag == "h1")?;
    for i in h1..dom.nodes.len().min(h1 + 80) {
        let n = &dom.nodes[i];
        if !n.is_elem()
            || cx.noise[i]
            || cx.measures.unlikely[i] && cx.measures.hint[i] & hints::DATE == 0
        {
            continue;
        }
        // A link's text is no date ("finden Sie <a>hier</a>": German for "here").
        if n.end - i > 10 || n.tag == "a" {
            continue;
        }
        let t = dom.text(i);
        if t.chars().count() > 100 {
            continue;
        }
        if let Some(d) = cx
            .page
            .fetch_time()
            .and_then(|now| dates::parse_relative(&t, now))
        {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::named_publication;

    #[test]
    fn meta_names_of_a_publication() {
        for k in [
            "publication-date",
            "article.published_date",
            "release_date",
            "pub-date",
            "dc.date.publication",
        ] {
            assert!(named_publication(k), "{k}");
        }
        for k in [
            "article:publisher",
            "publisher",
            "last-updated",
            "date-modified",
            "unpublish_date",
            "publish_end",
            "expires",
        ] {
            assert!(!named_publication(k), "{k}");
        }
    }
}
