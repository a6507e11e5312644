//! Selector inference: for each field, candidate CSS selectors built from the element(s)
//! holding the generic extractor's value (ids, semantic classes, `itemprop`, `rel`,
//! tag + class, and the same under an ancestor's id or class; never positions, never
//! generated class names), each scored by running the extractor itself with that
//! selector over every sampled article and counting the articles where it gives the
//! reference value. The simplest candidate with the best agreement wins; a field whose
//! best candidate agrees on less than [`MIN_AGREEMENT`] of the articles stays empty.

use std::collections::{BTreeMap, HashSet};

use chrono::DateTime;
use scraper::{ElementRef, Html, Selector};

use crate::config::SelectorConfig;
use crate::extract::{self, Article, ProfileSelectors};

use super::classify::{ReadPage, input};

/// Share of the articles a selector must agree on to be written.
pub const MIN_AGREEMENT: f64 = 0.9;
/// Candidates per field scored on every article (after a first pass on a few).
const FINALISTS: usize = 8;
/// Candidates per field, cheapest first, given the first pass.
const MAX_CANDIDATES: usize = 48;
/// Articles of the first, cheap pass.
const FIRST_PASS: usize = 4;
/// Ancestors looked at above a target element.
const ANCESTOR_LEVELS: usize = 6;

/// A field of `[selectors]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    /// `title`
    Title,
    /// `body`
    Body,
    /// `category`
    Category,
    /// `published`
    Published,
    /// `modified`
    Modified,
    /// `author`
    Author,
    /// `related`
    Related,
}

impl Field {
    /// Every field, in the order of the profile.
    pub const ALL: [Field; 7] = [
        Field::Title,
        Field::Body,
        Field::Category,
        Field::Published,
        Field::Modified,
        Field::Author,
        Field::Related,
    ];

    /// The key in `[selectors]`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
            Field::Category => "category",
            Field::Published => "published",
            Field::Modified => "modified",
            Field::Author => "author",
            Field::Related => "related",
        }
    }

    /// The method name of the field in [`Article::methods`].
    fn method_key(self) -> &'static str {
        match self {
            Field::Category => "categories",
            Field::Author => "authors",
            other => other.key(),
        }
    }

    /// Sets this field of a selector table.
    pub fn set(self, config: &mut SelectorConfig, css: Option<String>) {
        let slot = match self {
            Field::Title => &mut config.title,
            Field::Body => &mut config.body,
            Field::Category => &mut config.category,
            Field::Published => &mut config.published,
            Field::Modified => &mut config.modified,
            Field::Author => &mut config.author,
            Field::Related => &mut config.related,
        };
        *slot = css;
    }

    /// This field of a selector table.
    pub fn get(self, config: &SelectorConfig) -> Option<&str> {
        match self {
            Field::Title => config.title.as_deref(),
            Field::Body => config.body.as_deref(),
            Field::Category => config.category.as_deref(),
            Field::Published => config.published.as_deref(),
            Field::Modified => config.modified.as_deref(),
            Field::Author => config.author.as_deref(),
            Field::Related => config.related.as_deref(),
        }
        .filter(|s| !s.trim().is_empty())
    }
}

/// The value of a field in an extracted article, as text (lists joined with ` | `);
/// `None` when absent (a modification date that is only the publication date is absent).
pub fn value(article: &Article, field: Field) -> Option<String> {
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(" | "));
    match field {
        Field::Title => article.title.clone(),
        Field::Body => article.body.clone(),
        Field::Category => list(&article.categories),
        Field::Published => article.published.clone(),
        Field::Modified => {
            let shown = article.methods.get("modified").map(String::as_str) != Some("published");
            article.modified.clone().filter(|_| shown)
        }
        Field::Author => list(&article.authors),
        Field::Related => list(&article.related),
    }
}

/// Words of a text, for the body's overlap.
fn word_f1(a: &str, b: &str) -> f64 {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for w in a.split_whitespace() {
        *counts.entry(w).or_default() += 1;
    }
    let total_a = a.split_whitespace().count() as f64;
    let total_b = b.split_whitespace().count() as f64;
    let mut common = 0.0;
    for w in b.split_whitespace() {
        if let Some(c) = counts.get_mut(w)
            && *c > 0
        {
            *c -= 1;
            common += 1.0;
        }
    }
    if total_a == 0.0 || total_b == 0.0 {
        return 0.0;
    }
    let (p, r) = (common / total_b, common / total_a);
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn same_instant(a: &str, b: &str) -> bool {
    match (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// True if `found` agrees with the reference `want` for `field`.
pub fn agrees(field: Field, want: &str, found: &str) -> bool {
    match field {
        Field::Body => word_f1(want, found) >= 0.9,
        Field::Published | Field::Modified => same_instant(want, found),
        Field::Category | Field::Author => want.split(" | ").next() == found.split(" | ").next(),
        Field::Related => {
            let a: HashSet<&str> = want.split(" | ").collect();
            let b: HashSet<&str> = found.split(" | ").collect();
            a == b
        }
        Field::Title => want == found,
    }
}

/// What the inference decided for one field.
#[derive(Debug, Clone, Default)]
pub struct FieldChoice {
    /// The selector (None: left empty).
    pub selector: Option<String>,
    /// Articles where it gives the reference value.
    pub agree: usize,
    /// Articles counted.
    pub total: usize,
    /// A value it gives (from the first agreeing article).
    pub example: Option<String>,
    /// Why the field is empty, or a remark.
    pub note: Option<String>,
}

/// True for a class or id that looks generated (hashes, CSS-in-JS, per-item numbers)
/// rather than written by a template author.
pub fn is_generated_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.is_empty()
        || name.bytes().any(|b| b.is_ascii_digit())
        || [
            "css-", "sc-", "jsx-", "emotion-", "svelte-", "styled-", "chakra-",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
        || name.contains("__") && name.rsplit("__").next().is_some_and(|t| t.len() <= 6)
        || (name.len() >= 6
            && name.bytes().any(|b| b.is_ascii_uppercase())
            && name.bytes().any(|b| b.is_ascii_lowercase())
            && !name.contains('-'))
}

/// A CSS identifier usable as is (letters, digits, `-`, `_`, not starting with a digit).
fn plain_ident(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// True for a class naming a layout or a state rather than what the element holds
/// (`alignwide`, `container`, `has-…`, `is-…`): poor anchors for a selector.
fn is_layout_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "align",
        "container",
        "wrapper",
        "wrap",
        "row",
        "col",
        "grid",
        "flex",
        "layout",
        "clearfix",
        "has-",
        "is-",
        "wp-block-group",
        "wp-container",
        "site-main",
        "inner",
    ]
    .iter()
    .any(|w| lower.starts_with(w))
}

/// Words that name what a field holds, in classes and ids.
fn field_words(field: Field) -> &'static [&'static str] {
    match field {
        Field::Title => &["title", "headline", "heading", "titre"],
        Field::Body => &["content", "body", "text", "article", "contenu"],
        Field::Category => &["cat", "topic", "section", "rubrique", "taxonomy"],
        Field::Published => &["date", "time", "published", "posted"],
        Field::Modified => &["updated", "modified", "update"],
        Field::Author => &["author", "byline", "auteur"],
        Field::Related => &["related", "aussi", "more", "see-also"],
    }
}

/// The cost of a class or id as a selector part: cheaper when it names the field,
/// dearer when it names a layout.
fn name_cost(name: &str, field: Field) -> f64 {
    let lower = name.to_ascii_lowercase();
    if is_layout_name(name) {
        1.6
    } else if field_words(field).iter().any(|w| lower.contains(w)) {
        0.8
    } else {
        1.0
    }
}

/// Simple selectors for one element, with their cost (simpler is cheaper). A bare tag
/// costs `tag_cost` (dear alone, cheap under an ancestor's class).
fn simple_selectors(
    el: &ElementRef<'_>,
    field: Field,
    tag_cost: Option<f64>,
) -> Vec<(String, f64)> {
    let e = el.value();
    let tag = e.name();
    let mut out = Vec::new();
    if let Some(id) = e.id()
        && plain_ident(id)
        && !is_generated_name(id)
    {
        out.push((format!("#{id}"), name_cost(id, field)));
    }
    for class in e
        .classes()
        .filter(|c| plain_ident(c) && !is_generated_name(c))
        .take(6)
    {
        let cost = name_cost(class, field);
        out.push((format!(".{class}"), cost));
        out.push((format!("{tag}.{class}"), cost + 0.2));
    }
    if let Some(prop) = e.attr("itemprop").filter(|p| plain_ident(p)) {
        out.push((format!("[itemprop='{prop}']"), 1.1));
    }
    if let Some(rel) = e.attr("rel") {
        for token in rel.split_ascii_whitespace().filter(|t| plain_ident(t)) {
            out.push((
                format!("{tag}[rel~='{token}']"),
                name_cost(token, field) + 0.3,
            ));
        }
    }
    if let Some(cost) = tag_cost {
        out.push((tag.to_string(), cost));
    }
    out
}

/// Candidate selectors for a target element: its own simple selectors, and each under an
/// ancestor's id or class.
fn candidates_for(el: &ElementRef<'_>, field: Field, datetime_bonus: bool) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = simple_selectors(el, field, Some(2.5));
    let inner = simple_selectors(el, field, Some(0.5));
    let mut level = 0;
    for node in el.ancestors() {
        let Some(anc) = ElementRef::wrap(node) else {
            continue;
        };
        if matches!(anc.value().name(), "html" | "body") {
            break;
        }
        level += 1;
        if level > ANCESTOR_LEVELS {
            break;
        }
        for (outer, outer_cost) in simple_selectors(&anc, field, None)
            .into_iter()
            .filter(|(s, _)| s.starts_with(['#', '.']))
            .take(6)
        {
            for (part, inner_cost) in inner.iter().filter(|(s, _)| !s.starts_with('#')) {
                out.push((
                    format!("{outer} {part}"),
                    outer_cost + inner_cost + 0.05 * level as f64,
                ));
            }
        }
    }
    if datetime_bonus {
        for c in &mut out {
            c.1 -= 0.3;
        }
    }
    out
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The elements of `doc` holding the reference value of `field`, best first, each with
/// whether it carries a machine-readable date.
fn targets<'a>(doc: &'a Html, field: Field, want: &str) -> Vec<(ElementRef<'a>, bool)> {
    let all = doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap);
    match field {
        Field::Title | Field::Author | Field::Category => {
            let first = want.split(" | ").next().unwrap_or(want);
            let mut found: Vec<(ElementRef<'a>, bool)> = all
                .filter(|e| !matches!(e.value().name(), "title" | "meta" | "script" | "head"))
                .filter(|e| collapse(&e.text().collect::<String>()) == first)
                .map(|e| (e, false))
                .collect();
            // The innermost holders first (an `a`, not its wrapping `span`).
            found.reverse();
            found.truncate(6);
            found
        }
        Field::Published | Field::Modified => {
            let mut found: Vec<(ElementRef<'a>, bool)> = Vec::new();
            for e in all {
                let attr = e.value().attr("datetime").or(e.value().attr("content"));
                if let Some(v) = attr
                    && let Some(d) = extract::parse_date(v)
                    && same_instant(&d.to_rfc(), want)
                {
                    found.push((e, true));
                }
            }
            found.truncate(6);
            found
        }
        Field::Body => {
            let paragraphs: Vec<&str> = want.split("\n\n").filter(|p| p.len() > 20).collect();
            let (Some(first), Some(last)) = (paragraphs.first(), paragraphs.last()) else {
                return Vec::new();
            };
            let head: String = first.chars().take(60).collect();
            let tail: String = last
                .chars()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let (head, tail) = (collapse(&head), collapse(&tail));
            let holders: Vec<ElementRef<'a>> = all
                .filter(|e| !matches!(e.value().name(), "html" | "body" | "head"))
                .filter(|e| {
                    let t = collapse(&e.text().collect::<String>());
                    t.contains(&head) && t.contains(&tail)
                })
                .collect();
            // The innermost holder and two of its ancestors.
            holders
                .into_iter()
                .rev()
                .take(3)
                .map(|e| (e, false))
                .collect()
        }
        Field::Related => {
            let hrefs: Vec<&str> = want.split(" | ").collect();
            let holders: Vec<ElementRef<'a>> = all
                .filter(|e| !matches!(e.value().name(), "html" | "body" | "a"))
                .filter(|e| {
                    let links: Vec<&str> = e
                        .select(&Selector::parse("a[href]").expect("constant selector"))
                        .filter_map(|a| a.value().attr("href"))
                        .collect();
                    hrefs
                        .iter()
                        .all(|h| links.iter().any(|l| h.ends_with(l.trim())))
                })
                .collect();
            holders
                .into_iter()
                .rev()
                .take(2)
                .map(|e| (e, false))
                .collect()
        }
    }
}

/// One article's references and parsed document.
struct Sampled<'a> {
    page: &'a ReadPage,
    doc: Html,
}

/// Extracts `page` with `config`.
fn extract_with(page: &ReadPage, config: &SelectorConfig) -> Option<Article> {
    let compiled = ProfileSelectors::compile(config).ok()?;
    extract::analyze(&input(&page.page), Some(&compiled), true).article
}

/// Scores of one candidate.
#[derive(Debug, Clone, Default)]
struct Score {
    agree: usize,
    /// Sum over agreeing articles of the overlap with the reference (1 for an equal
    /// value; the word F1 for the body).
    quality: f64,
    used: usize,
    total: usize,
    example: Option<String>,
}

/// Scores the candidates of every field over `articles`, one extraction per article
/// per round (round `r` sets candidate `r` of each field).
fn score_rounds(
    articles: &[Sampled<'_>],
    lists: &BTreeMap<Field, Vec<(String, f64)>>,
) -> BTreeMap<(Field, usize), Score> {
    let rounds = lists.values().map(Vec::len).max().unwrap_or(0);
    let mut scores: BTreeMap<(Field, usize), Score> = BTreeMap::new();
    for r in 0..rounds {
        let mut config = SelectorConfig::default();
        for (field, list) in lists {
            if let Some((css, _)) = list.get(r) {
                field.set(&mut config, Some(css.clone()));
            }
        }
        for sampled in articles {
            let Some(found) = extract_with(sampled.page, &config) else {
                continue;
            };
            for (field, list) in lists {
                let Some((css, _)) = list.get(r) else {
                    continue;
                };
                let score = scores.entry((*field, r)).or_default();
                let want = value(&sampled.page.article, *field);
                let got = value(&found, *field);
                let used = found.methods.get(field.method_key()).map(String::as_str)
                    == Some("selector")
                    || Selector::parse(css).is_ok_and(|s| sampled.doc.select(&s).next().is_some());
                match (want, got) {
                    (Some(w), Some(g)) => {
                        score.total += 1;
                        if used && agrees(*field, &w, &g) {
                            score.agree += 1;
                            score.quality += if *field == Field::Body {
                                word_f1(&w, &g)
                            } else {
                                1.0
                            };
                            score.used += 1;
                            if score.example.is_none() {
                                score.example = Some(g);
                            }
                        }
                    }
                    // The page shows no value: right when the selector finds none either.
                    (None, got) if *field == Field::Modified => {
                        score.total += 1;
                        let found_own = used
                            && found.methods.get("modified").map(String::as_str)
                                == Some("selector");
                        if got.is_none() || !found_own {
                            score.agree += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    scores
}

/// The candidate selectors of each field over the articles, cheapest first, each once.
fn gather(articles: &[Sampled<'_>]) -> BTreeMap<Field, Vec<(String, f64)>> {
    let mut lists: BTreeMap<Field, Vec<(String, f64)>> = BTreeMap::new();
    for field in Field::ALL {
        let mut seen: BTreeMap<String, f64> = BTreeMap::new();
        for sampled in articles.iter().take(FIRST_PASS * 2) {
            let Some(want) = value(&sampled.page.article, field) else {
                continue;
            };
            for (el, datetime) in targets(&sampled.doc, field, &want) {
                for (css, cost) in candidates_for(&el, field, datetime) {
                    let slot = seen.entry(css).or_insert(cost);
                    *slot = slot.min(cost);
                }
            }
        }
        let mut list: Vec<(String, f64)> = seen
            .into_iter()
            .filter(|(css, _)| Selector::parse(css).is_ok())
            .collect();
        list.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        list.truncate(MAX_CANDIDATES);
        lists.insert(field, list);
    }
    lists
}

/// Infers the selector of every field from the sampled articles.
pub fn infer(articles: &[&ReadPage]) -> BTreeMap<Field, FieldChoice> {
    let sampled: Vec<Sampled<'_>> = articles
        .iter()
        .map(|p| Sampled {
            page: p,
            doc: Html::parse_document(&String::from_utf8_lossy(&p.page.body)),
        })
        .collect();
    let lists = gather(&sampled);
    // First pass on a few articles; the best candidates go to the full pass.
    let few = &sampled[..sampled.len().min(FIRST_PASS)];
    let first = score_rounds(few, &lists);
    let mut finalists: BTreeMap<Field, Vec<(String, f64)>> = BTreeMap::new();
    for (field, list) in &lists {
        let mut ranked: Vec<(usize, &(String, f64))> = list.iter().enumerate().collect();
        ranked.sort_by(|(i, a), (j, b)| {
            let (sa, sb) = (first.get(&(*field, *i)), first.get(&(*field, *j)));
            let agree = |s: Option<&Score>| s.map_or(0, |s| s.agree);
            agree(sb).cmp(&agree(sa)).then_with(|| a.1.total_cmp(&b.1))
        });
        finalists.insert(
            *field,
            ranked
                .into_iter()
                .take(FINALISTS)
                .map(|(_, c)| c.clone())
                .collect(),
        );
    }
    let full = score_rounds(&sampled, &finalists);
    let mut out = BTreeMap::new();
    for field in Field::ALL {
        out.insert(field, choose(field, &finalists, &full, articles));
    }
    out
}

/// The best finalist of a field, or an empty choice saying why.
fn choose(
    field: Field,
    finalists: &BTreeMap<Field, Vec<(String, f64)>>,
    scores: &BTreeMap<(Field, usize), Score>,
    articles: &[&ReadPage],
) -> FieldChoice {
    let with_value = articles
        .iter()
        .filter(|a| value(&a.article, field).is_some())
        .count();
    let list = finalists.get(&field).map(Vec::as_slice).unwrap_or(&[]);
    // Most agreements, then closest to the reference, then simplest, then first listed.
    let best = list
        .iter()
        .enumerate()
        .filter_map(|(i, (css, cost))| scores.get(&(field, i)).map(|s| (css, *cost, s)))
        .filter(|(_, _, s)| s.used > 0)
        .min_by(|a, b| {
            b.2.agree
                .cmp(&a.2.agree)
                .then_with(|| b.2.quality.total_cmp(&a.2.quality))
                .then_with(|| a.1.total_cmp(&b.1))
        });
    let Some((css, _, score)) = best else {
        let note = if with_value == 0 {
            format!(
                "no sampled article shows a {} the extractor can find",
                field.key()
            )
        } else {
            format!(
                "no element holds the extracted {} in a stable way (no id or class shared by the articles); the generic extractor decides",
                field.key()
            )
        };
        return FieldChoice {
            total: articles.len(),
            note: Some(note),
            ..FieldChoice::default()
        };
    };
    let share = score.agree as f64 / score.total.max(1) as f64;
    if share < MIN_AGREEMENT {
        return FieldChoice {
            selector: None,
            agree: score.agree,
            total: score.total,
            example: score.example.clone(),
            note: Some(format!(
                "no stable selector: the best, \"{css}\", gives the extracted {} on only {}/{} sampled articles; the generic extractor decides",
                field.key(),
                score.agree,
                score.total
            )),
        };
    }
    FieldChoice {
        selector: Some(css.clone()),
        agree: score.agree,
        total: score.total,
        example: score.example.clone(),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_names_are_refused() {
        for name in [
            "css-1x2y3z",
            "sc-bdVaJa",
            "postid-12",
            "Title__abc12",
            "jsx-123",
        ] {
            assert!(is_generated_name(name), "{name}");
        }
        for name in [
            "entry-title",
            "wp-block-post-date",
            "cat-links",
            "published",
        ] {
            assert!(!is_generated_name(name), "{name}");
        }
    }

    #[test]
    fn candidates_use_classes_and_ancestors_never_positions() {
        let doc = Html::parse_document(
            "<html><body><div class=\"entry-meta\"><time class=\"entry-date published\" datetime=\"2024-01-02T10:00:00+01:00\">2 janvier</time></div></body></html>",
        );
        let sel = Selector::parse("time").expect("selector");
        let el = doc.select(&sel).next().expect("time");
        let list: Vec<String> = candidates_for(&el, Field::Published, true)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert!(list.contains(&".published".to_string()), "{list:?}");
        assert!(list.contains(&".entry-meta time".to_string()), "{list:?}");
        assert!(list.iter().all(|c| !c.contains("nth")), "{list:?}");
    }

    #[test]
    fn agreement_per_field() {
        assert!(agrees(
            Field::Published,
            "2024-01-02T10:00:00+01:00",
            "2024-01-02T09:00:00+00:00"
        ));
        assert!(agrees(Field::Category, "Cloud | IA", "Cloud"));
        assert!(!agrees(Field::Category, "Cloud", "IA | Cloud"));
        assert!(agrees(
            Field::Body,
            "un deux trois quatre",
            "un deux trois quatre"
        ));
        assert!(!agrees(Field::Body, "un deux trois quatre", "cinq six"));
    }
}
