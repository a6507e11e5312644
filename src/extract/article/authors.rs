//! Author names: the profile's selector, JSON-LD `author` (string, object, array, or a
//! person named by `@id`), author meta tags, `itemprop=author`, `rel=author` links, byline
//! elements by class (`author`, `byline`, `wp-block-post-author__name`, `vcard`…), links to
//! author pages, and "Par <Nom>" / "By <Name>" lines near the title.

use std::sync::LazyLock;

use regex::Regex;

use super::super::dates::parse_date;
use super::super::dom::collapse;
use super::{Context, Found, NameSource, dedup};

/// A byline's lead word ("Par", "By", "Von", "Por", "Di", "Door", "Texte :").
static LEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:par|by|von|por|texte|auteur|autrice|author|written by|écrit par|publié par|posted by)\s*[:\-–]?\s+")
        .expect("constant regex")
});

/// Where a name ends in a byline ("Ana Martin, le 5 mars", "Ana Martin | Photo …").
static NAME_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:[,|•·—–(\[]|\s-\s|\ble\s+\d|\bon\s+\w+\s+\d|\bpubli|\bmis\s+à\s+jour|\bupdated|\bmodifié|\d)")
        .expect("constant regex")
});

/// Class names of an element holding an author's name.
static AUTHOR_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)author|byline|vcard|\bfn\b|auteur|autor|signature|writer|journalist")
        .expect("constant regex")
});

/// Class names of author boxes and labels that are not the name.
static NOT_NAME_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)avatar|bio|descr|about|author__byline|label|prefix|box|comment|social|follow|count|role|title|date|time|read")
        .expect("constant regex")
});

/// The article's authors.
pub(super) fn authors(cx: &Context<'_, '_>) -> Option<Found<Vec<String>>> {
    let sources: [NameSource; 8] = [
        (from_profile, "selector"),
        (from_json_ld, "json-ld"),
        (from_meta, "meta"),
        (from_itemprop, "itemprop"),
        (from_rel_author, "rel"),
        (from_byline_class, "class"),
        (from_author_links, "href"),
        (from_byline_line, "text"),
    ];
    sources.into_iter().find_map(|(source, how)| {
        let names = dedup(source(cx));
        (!names.is_empty()).then_some((names, how))
    })
}

/// A person's name from a byline text, when it looks like one: lead word and what follows
/// the name removed, 1 to 6 words, a capital letter, no address.
fn clean_name(text: &str) -> Option<String> {
    let text = collapse(text);
    let text = LEAD.replace(&text, "");
    let name = match NAME_END.find(&text) {
        Some(end) => &text[..end.start()],
        None => &text[..],
    };
    let name = name.trim_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '-'));
    let words = name.split_whitespace().count();
    // A month's name left by a date ("Feb 27, 2024") is not a person.
    let month = words == 1 && parse_date(&format!("1 {name} 2000")).is_some();
    let plausible = !month
        && (1..=6).contains(&words)
        && name.chars().count() <= 60
        && name.chars().any(char::is_uppercase)
        && !name.contains('@')
        && !name.contains("http");
    plausible.then(|| name.to_string())
}

fn from_profile(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    cx.profile
        .and_then(|s| s.author.as_ref())
        .map(|s| dom.select(s).into_iter().map(|i| dom.text(i)).collect())
        .unwrap_or_default()
}

fn from_json_ld(cx: &Context<'_, '_>) -> Vec<String> {
    cx.meta
        .ld_names_of("author")
        .into_iter()
        .filter(|a| !a.starts_with("http"))
        .collect()
}

fn from_meta(cx: &Context<'_, '_>) -> Vec<String> {
    let keys = [
        "author",
        "article:author",
        "parsely-author",
        "sailthru.author",
        "dc.creator",
        "byl",
    ];
    cx.meta
        .tag(&keys)
        .filter(|a| !a.starts_with("http"))
        .map(|a| {
            let a = LEAD.replace(a, "");
            vec![a.to_string()]
        })
        .unwrap_or_default()
}

/// `itemprop=author`: its `itemprop=name` when it has one, else its text.
fn from_itemprop(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    let mut out = Vec::new();
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.itemprop.split_whitespace().any(|p| p == "author") || cx.noise[i] {
            continue;
        }
        let name = (i + 1..n.end)
            .find(|&j| {
                dom.nodes[j]
                    .itemprop
                    .split_whitespace()
                    .any(|p| p == "name")
            })
            .map(|j| {
                dom.nodes[j]
                    .attr("content")
                    .map(collapse)
                    .unwrap_or_else(|| dom.text(j))
            })
            .or_else(|| n.attr("content").map(collapse))
            .unwrap_or_else(|| dom.text(i));
        out.extend(clean_name(&name));
    }
    out
}

fn from_rel_author(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    dom.nodes
        .iter()
        .enumerate()
        .filter(|&(i, n)| {
            n.tag == "a"
                && !cx.noise[i]
                && n.attr("rel").is_some_and(|r| {
                    r.split_ascii_whitespace()
                        .any(|t| t.eq_ignore_ascii_case("author"))
                })
        })
        .filter_map(|(i, _)| clean_name(&dom.text(i)))
        .collect()
}

/// True if `i` is a small element named as an author's name (not a box, label or avatar).
fn names_author(cx: &Context<'_, '_>, i: usize) -> bool {
    let n = &cx.dom.nodes[i];
    n.is_elem()
        && !cx.noise[i]
        && n.end - i <= 20
        && AUTHOR_CLASS.is_match(n.class)
        && !NOT_NAME_CLASS.is_match(n.class)
        && cx.measures.text[i] <= 120
        && cx.measures.text[i] >= 2
}

/// Byline elements by class; the innermost named element wins over its container.
fn from_byline_class(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    let mut out = Vec::new();
    let mut i = 0;
    while i < dom.nodes.len() {
        if !names_author(cx, i) {
            i += 1;
            continue;
        }
        let end = dom.nodes[i].end;
        let inner: Vec<usize> = (i + 1..end).filter(|&j| names_author(cx, j)).collect();
        if inner.is_empty() {
            out.extend(clean_name(&dom.text(i)));
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// Links to an author page (`/author/…`, `/auteur/…`) outside noisy areas.
fn from_author_links(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    dom.nodes
        .iter()
        .enumerate()
        .filter(|&(i, n)| {
            n.tag == "a"
                && !cx.noise[i]
                && !cx.measures.unlikely[i]
                && n.attr("href").is_some_and(|h| {
                    let h = h.to_ascii_lowercase();
                    ["/author/", "/auteur/", "/authors/", "/auteurs/", "/autor/"]
                        .iter()
                        .any(|p| h.contains(p))
                })
        })
        .filter_map(|(i, _)| clean_name(&dom.text(i)))
        .take(5)
        .collect()
}

/// A "Par <Nom>" / "By <Name>" line near the article's heading.
fn from_byline_line(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    let Some(h1) = cx.first_h1() else {
        return Vec::new();
    };
    let window = h1.saturating_sub(30)..dom.nodes.len().min(h1 + 120);
    for i in window {
        let n = &dom.nodes[i];
        if n.is_elem() || cx.noise[i] || n.text.len() > 120 || !LEAD.is_match(n.text) {
            continue;
        }
        // The name may be in the same text or in the next element (`Par <b>Nom</b>`).
        let after_lead = LEAD.replace(n.text, "");
        let text = if after_lead.trim().is_empty() {
            let parent = n.parent;
            if parent == super::NONE || cx.measures.text[parent] > 120 {
                continue;
            }
            dom.text(parent)
        } else {
            n.text.to_string()
        };
        if let Some(name) = clean_name(&text) {
            return vec![name];
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_from_bylines() {
        let name = |s: &str| clean_name(s);
        assert_eq!(name("Par Jean Martin").as_deref(), Some("Jean Martin"));
        assert_eq!(
            name("By John Doe, Staff Writer").as_deref(),
            Some("John Doe")
        );
        assert_eq!(
            name("Jean Martin, le 5 mars 2024 à 14h07").as_deref(),
            Some("Jean Martin")
        );
        assert_eq!(
            name("Sam Poe 5 min read · Mar 5, 2024").as_deref(),
            Some("Sam Poe")
        );
        assert_eq!(name("Ann Lee | Photo AFP").as_deref(), Some("Ann Lee"));
        assert_eq!(name("Feb 27, 2024"), None);
        assert_eq!(name("By 2030, the city will grow"), None);
        assert_eq!(name("par ailleurs, le gouvernement"), None);
        assert_eq!(name("contact@example.org"), None);
        assert_eq!(
            name("Un texte beaucoup trop long pour être le nom d’une personne réelle"),
            None
        );
    }
}
