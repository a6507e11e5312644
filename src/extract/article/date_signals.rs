//! What the publication and modification dates share: the meta tags that carry them, the
//! labels that tell one from the other ("Publié le", "Mis à jour le"), and reading a date
//! from an element (its `datetime` attribute always wins over its visible text).

use std::sync::LazyLock;

use chrono::Datelike;
use regex::Regex;

use super::super::dates::{self, ParsedDate, parse_date};
use super::super::dom::CssSelector;
use super::super::hints;
use super::Context;

/// Earlier years are not publication dates of a web page.
pub(super) const FIRST_YEAR: i32 = 1995;

/// True for a usable publication date: not before the web, not after the fetch.
pub(super) fn plausible(cx: &Context<'_, '_>, d: &ParsedDate) -> bool {
    d.day().year() >= FIRST_YEAR && not_future(cx, d)
}

/// True unless the date is after the day the page was fetched (today when not known).
pub(super) fn not_future(cx: &Context<'_, '_>, date: &ParsedDate) -> bool {
    let fetched = cx.page.fetch_time().unwrap_or_else(chrono::Utc::now);
    date.day() <= fetched.date_naive() + chrono::Duration::days(1)
}

/// Meta tags of the publication date, most trusted first.
pub(super) const PUBLISHED_META: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "published-date",
    "pubdate",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date.created",
    "dc.date",
    "dcterms.created",
    "dcterms.issued",
    "dcterms.date",
    "cxenseparse:recs:publishtime",
    "originalpublicationdate",
    "rnews:datepublished",
    "citation_publication_date",
    "citation_date",
    "date",
    "datecreated",
    "article:post_date",
    "og:pubdate",
    "displaydate",
    "article_date_original",
    "publication_date",
    "sailthru.date.published",
    "dc.date.published",
    "created",
    "creation_date",
    "timestamp",
    "article:publicationdate",
    "article.created",
    "bt:pubdate",
    "date_published",
    "dateposted",
    "dc.created",
    "dc.date.publication",
    "dc:created",
    "dc:date",
    "dcterms:created",
    "dcterms:issued",
    "dcterms:date",
    "citation_online_date",
    "prism.publicationdate",
    "shareaholic:article_published_time",
    "pdate",
    "ptime",
    "pubdate_iso",
];

/// Meta tags of the modification date.
pub(super) const MODIFIED_META: &[&str] = &[
    "article:modified_time",
    "og:updated_time",
    "article:modified",
    "datemodified",
    "modified",
    "last-modified",
    "lastmod",
    "dc.date.modified",
    "dcterms.modified",
    "article.updated",
    "updated_time",
    "article:updated_time",
];

/// A label of an update ("Mis à jour le", "Modifié le", "Dernière mise à jour",
/// "Actualisé le", "Updated").
pub(super) static UPDATED_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)mis à jour|mise à jour|modifié|actualisé|updated|last modified|aktualisiert|actualizado|aggiornato|bijgewerkt")
        .expect("constant regex")
});

/// A label of the publication ("Publié le", "Published", "Posted on", "Mis en ligne").
pub(super) static PUBLISHED_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)publié|publiée|published|posted|mise? en ligne|paru le|veröffentlich|erstellt|publicado|pubblicato|gepubliceerd")
        .expect("constant regex")
});

/// What the text just before an element says its date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    /// No label.
    None,
    /// "Publié le", "Published".
    Published,
    /// "Mis à jour le", "Updated".
    Updated,
}

/// The label closest before element `i` (in its own text before a date, or in the
/// text just before it, possibly in a sibling element), within 80 characters.
pub(super) fn label_before(cx: &Context<'_, '_>, i: usize) -> Label {
    let dom = cx.dom;
    let mut before = String::new();
    let mut j = i;
    while j > 0 && i - j < 12 && before.chars().count() < 80 {
        j -= 1;
        let n = &dom.nodes[j];
        if n.is_elem() {
            if matches!(n.tag, "h1" | "h2" | "article" | "main" | "body") {
                break;
            }
            continue;
        }
        if cx.measures.skip[j] || dom.contains(j, i) {
            continue;
        }
        before.insert_str(0, n.text);
    }
    nearest_label(&before)
}

/// The label that ends last in a text (the one right before a date after it).
pub(super) fn nearest_label(text: &str) -> Label {
    let updated = UPDATED_LABEL.find_iter(text).last().map(|m| m.end());
    let published = PUBLISHED_LABEL.find_iter(text).last().map(|m| m.end());
    match (updated, published) {
        (Some(u), Some(p)) if u > p => Label::Updated,
        (Some(_), Some(_)) => Label::Published,
        (Some(_), None) => Label::Updated,
        (None, Some(_)) => Label::Published,
        (None, None) => Label::None,
    }
}

/// Class or id of an element or its two nearest ancestors names an update
/// (`updated`, `modified`, `wp-block-post-date__modified-date`).
pub(super) fn in_updated_class(cx: &Context<'_, '_>, i: usize) -> bool {
    std::iter::once(i)
        .chain(cx.dom.ancestors(i).take(2))
        .any(|a| is_updated_class(&cx.class_and_id(a)))
}

/// True for class/id names of an update.
pub(super) fn is_updated_class(names: &str) -> bool {
    names.contains("updated") || names.contains("modified") || names.contains("update")
}

/// The first date of the elements a profile selector matches.
pub(super) fn selector_date(cx: &Context<'_, '_>, selector: &CssSelector) -> Option<ParsedDate> {
    cx.dom
        .select(selector)
        .into_iter()
        .find_map(|i| element_date(cx, i, true))
}

/// The date of an element: its `datetime` or `content` attribute, else that of a
/// `<time>` inside it, else its visible text (short texts only unless `any_length`).
pub(super) fn element_date(cx: &Context<'_, '_>, i: usize, any_length: bool) -> Option<ParsedDate> {
    let dom = cx.dom;
    let n = &dom.nodes[i];
    let from_attribute = n
        .attr("datetime")
        .or(n.attr("content"))
        .and_then(parse_date);
    if from_attribute.is_some() {
        return from_attribute;
    }
    let inner_time = (i + 1..n.end.min(i + 40))
        .filter(|&j| dom.nodes[j].tag == "time")
        .find_map(|j| dom.nodes[j].attr("datetime").and_then(parse_date));
    if inner_time.is_some() {
        return inner_time;
    }
    let text = dom.text(i);
    if any_length || text.chars().count() < 200 {
        dates::find_date_in_text(&text, cx.month_first)
    } else {
        None
    }
}

/// A date written in a date-like element (class/id hints) or right after the title.
/// `updated`: only texts labelled as updates ("Mis à jour le", "Updated"); otherwise
/// only the part of a text before such a label.
pub(super) fn text_date(cx: &Context<'_, '_>, updated: bool) -> Option<ParsedDate> {
    let dom = cx.dom;
    let h1 = cx.first_h1();
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.is_elem() || cx.noise[i] || cx.measures.skip[i] {
            continue;
        }
        let hinted = cx.measures.hint[i] & hints::DATE != 0;
        let near_title = h1.is_some_and(|h| i > h && i < h + 60);
        if !hinted && !near_title || n.end - i > 40 {
            continue;
        }
        // A line near the title made of links only names other pages (a menu of
        // reports "31. Dezember 2021 - 6. Januar 2022"), not this one's date.
        // Unless a publication label comes right before ("Veröffentlichung: <a>…</a>").
        if !hinted
            && cx.measures.text[i] > 0
            && cx.measures.link[i] >= cx.measures.text[i]
            && label_before(cx, i) != Label::Published
        {
            continue;
        }
        let text = dom.text(i);
        if text.is_empty() || text.chars().count() > 200 {
            continue;
        }
        let label = UPDATED_LABEL.find(&text).map(|m| m.start());
        let part = match (updated, label) {
            (true, Some(at)) => &text[at..],
            (true, None) => continue,
            (false, Some(at)) if at > 0 => &text[..at],
            (false, Some(_)) => continue,
            (false, None) => &text[..],
        };
        // A `<time datetime>` of the same element wins over its text.
        let times: Vec<usize> = (i + 1..n.end)
            .filter(|&j| dom.nodes[j].tag == "time" && dom.nodes[j].attr("datetime").is_some())
            .collect();
        if let Some(found) = dates::find_date_in_text(part, cx.month_first) {
            let attribute = times.iter().find_map(|&t| {
                let d = dom.nodes[t].attr("datetime").and_then(parse_date)?;
                (d.day() == found.day()).then_some(d)
            });
            return Some(attribute.unwrap_or(found));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Label, nearest_label};

    #[test]
    fn the_label_closest_to_the_date_wins() {
        assert_eq!(nearest_label("Mis à jour le"), Label::Updated);
        assert_eq!(nearest_label("Publié le"), Label::Published);
        assert_eq!(
            nearest_label("Publié le 3 mars, mis à jour le "),
            Label::Updated
        );
        assert_eq!(
            nearest_label("Updated March 5 — Published "),
            Label::Published
        );
        assert_eq!(nearest_label("Dernière mise à jour :"), Label::Updated);
        assert_eq!(nearest_label("Actualisé le"), Label::Updated);
        assert_eq!(nearest_label("Par Jean Martin"), Label::None);
    }
}
