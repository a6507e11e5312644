//! The modification date: the profile's selector, JSON-LD `dateModified`, meta tags
//! (`article:modified_time`…), `itemprop=dateModified`, `<time>` named as an update
//! (`time.updated`, `.wp-block-post-date__modified-date time`), and dates labelled
//! "Mis à jour le", "Modifié le", "Dernière mise à jour", "Actualisé le", "Updated"
//! wherever they stand, before or after the body, the label in the same element or in a
//! sibling before it. A `datetime` attribute always wins over the visible text.

use super::super::dates::{ParsedDate, parse_date};
use super::date_signals::not_future;
use super::date_signals::{
    Label, MODIFIED_META, UPDATED_LABEL, element_date, in_updated_class, label_before,
    nearest_label, selector_date, text_date,
};
use super::published::{localize, page_offsets};
use super::{Context, Found};

/// The modification date, in the publisher's time zone when the page gives it.
pub(super) fn modified(cx: &Context<'_, '_>) -> Option<Found<String>> {
    let (date, how) = find(cx)?;
    Some((localize(date, &page_offsets(cx)).to_rfc(), how))
}

fn find(cx: &Context<'_, '_>) -> Option<Found<ParsedDate>> {
    let Some(from_selector) = cx
        .profile
        .and_then(|s| s.modified.as_ref())
        .and_then(|s| selector_date(cx, s))
    else {
        return generic(cx);
    };
    // A day from the selector: a generic source with the same day and a time is better.
    if !matches!(from_selector, ParsedDate::Instant(_))
        && let Some((generic @ ParsedDate::Instant(_), how)) = generic(cx)
        && generic.day() == from_selector.day()
    {
        return Some((generic, how));
    }
    Some((from_selector, "selector"))
}

fn generic(cx: &Context<'_, '_>) -> Option<Found<ParsedDate>> {
    let meta = cx.meta;
    if let Some(d) = meta.ld_str("dateModified").and_then(|s| parse_date(&s)) {
        return Some((d, "json-ld"));
    }
    for key in MODIFIED_META {
        if let Some(d) = meta.tags.get(*key).and_then(|s| parse_date(s)) {
            return Some((d, "meta"));
        }
    }
    if let Some(d) = meta
        .itemprops
        .get("dateModified")
        .and_then(|s| parse_date(s))
    {
        return Some((d, "itemprop"));
    }
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag == "time"
            && !cx.noise[i]
            && (in_updated_class(cx, i) || label_before(cx, i) == Label::Updated)
            && let Some(d) = element_date(cx, i, false).filter(|d| not_future(cx, d))
        {
            return Some((d, "time"));
        }
    }
    if let Some(d) = labelled(cx) {
        return Some((d, "text"));
    }
    text_date(cx, true).map(|d| (d, "text"))
}

/// A date after an update label, anywhere outside noisy areas: the first `<time>` (by its
/// `datetime`) or date written within a few elements after the label.
fn labelled(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.is_elem() || cx.noise[i] || cx.measures.skip[i] || n.text.len() > 200 {
            continue;
        }
        // A label opens its line ("Article mis à jour le …" at most): not a sentence.
        let Some(label) = UPDATED_LABEL.find(n.text).filter(|l| l.start() <= 12) else {
            continue;
        };
        // The date in the label's own text ("Mis à jour le 5 mars 2024 à 14h07").
        let after = &n.text[label.start()..];
        let mut written = super::super::dates::find_date_in_text(after, cx.month_first);
        // Else the following text, up to another label: a `<time datetime>` wins.
        let mut following = String::new();
        for j in i + 1..dom.nodes.len().min(i + 25) {
            let next = &dom.nodes[j];
            if next.tag == "time"
                && let Some(d) = element_date(cx, j, false)
            {
                let same_day = written.is_none_or(|w| w.day() == d.day());
                if same_day {
                    return Some(d).filter(|d| not_future(cx, d));
                }
                break;
            }
            if !next.is_elem() && !cx.measures.skip[j] {
                if nearest_label(next.text) != Label::None {
                    break;
                }
                following.push_str(next.text);
                following.push(' ');
                if following.chars().count() > 120 {
                    break;
                }
            }
        }
        if written.is_none() {
            written = super::super::dates::find_date_in_text(&following, cx.month_first);
        }
        if let Some(d) = written.filter(|d| not_future(cx, d)) {
            return Some(d);
        }
    }
    None
}
