//! Main-text extraction.
//!
//! Generic path: every block of text (the text nodes whose nearest block-level ancestor is
//! that block) gets a value: its length when it reads like a paragraph (long enough or a
//! full sentence, mostly words rather than links), minus its length when it is a list of
//! links, a quarter of its length against when it lies in a boilerplate region (class/id
//! hints in several languages, ARIA roles, `nav`/`aside`/`footer`, forms asking for an
//! address), a small penalty for short lines, nothing for table cells and list items. The
//! main content is the element whose subtree has the highest sum (the largest "good minus
//! bad" region of the page), plus the siblings that also carry net content, narrowed to a
//! container named as the text when that holds nearly all of it; schema.org `articleBody`
//! microdata and pages with several full articles are handled apart. Then a cleaning walk
//! over that region drops navigation, headers, footers, asides, comments, share and
//! newsletter widgets, link lists with their labels, captions, hidden elements and the
//! related-articles block; a stand-first found between the title and the text is put
//! first. Profile path: the same cleaning walk over the selector's matches. Every pass is a
//! loop over the flat DOM (no recursion).

use std::sync::LazyLock;

use regex::Regex;

use super::body_noise::{self, Para};
use super::dom::{Dom, NONE, ignored_tag, is_block, push_collapsed, text_len};
use super::hints;
use super::teasers::{Teasers, furniture, sentence_end};
use super::title::norm;

/// Class/id names of the container of an article's text.
static BODY_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:article|entry|post|story|blog|news|content|main|page|node|item|single)[-_]*(?:body|content|text|inner|copy|main|detail)|articlebody|body[-_]*(?:text|copy|content)|rich-?text|\bprose\b|field-name-body|field--name-body|\btexte?\b|contenu|artikel-?(?:text|inhalt|body)?|haupttext|cuerpo|corpo|testo|noticia")
        .expect("constant regex")
});
/// Hints of a stand-first (the summary under the title).
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)intro|lead|chapo|chapeau|standfirst|stand-first|summary|excerpt|\bdeck?\b|-deck?\b|\bdeck?-|dek_|abstract|sub-?title|sub-?head|subheadline|description|strapline|synopsis|descr|vorspann|teaser|entradilla|sottotitolo|occhiello|bajada|resumo|subtitulo")
        .expect("constant regex")
});
/// Hints that a short element is not a stand-first.
static NOT_INTRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)byline|author|date|time|meta|caption|credit|breadcrumb|share|social|tag|categor|label|kicker|eyebrow|rubri|section")
        .expect("constant regex")
});

/// Region hints of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    None,
    Soft,
    Hard,
}

/// Structural boilerplate tags.
fn boilerplate_tag(tag: &str) -> bool {
    matches!(tag, "nav" | "aside" | "footer" | "menu")
}

fn hard_role(role: &str) -> bool {
    matches!(
        role,
        "navigation" | "banner" | "contentinfo" | "complementary" | "menu" | "dialog" | "search"
    )
}

/// Per-node measures of the flat DOM.
pub struct Measures {
    /// Inside an ignored element (script, style, hidden, …).
    pub skip: Vec<bool>,
    /// Text length of the subtree (chars, whitespace collapsed).
    pub text: Vec<u32>,
    /// Text length inside links.
    pub link: Vec<u32>,
    /// Inside a boilerplate region (hard hint, role, structural tag), with its subtree.
    pub unlikely: Vec<bool>,
    /// Class/id hint flags of each element (see `hints`).
    pub hint: Vec<u32>,
    /// The element itself carries a hard hint (starts a boilerplate region).
    hard_at: Vec<bool>,
    /// The element itself carries a soft hint.
    soft_at: Vec<bool>,
    /// Text of paragraph-like blocks in the subtree (whatever the region).
    pub good: Vec<u32>,
    /// Net content value of the subtree (good text minus link and boilerplate text).
    value: Vec<f32>,
    /// The page's host, lower case, without `www.` (tells the site's own links), if known.
    pub site: Option<String>,
}

impl Measures {
    /// Computes the measures in linear passes.
    pub fn new(dom: &Dom<'_>) -> Measures {
        let n = dom.nodes.len();
        let mut m = Measures {
            skip: vec![false; n],
            text: vec![0; n],
            link: vec![0; n],
            unlikely: vec![false; n],
            hint: vec![0; n],
            hard_at: vec![false; n],
            soft_at: vec![false; n],
            good: vec![0; n],
            value: vec![0.0; n],
            site: None,
        };
        let (in_link, unit) = m.mark_top_down(dom);
        // Bottom-up: text sums and unit measures.
        let mut direct = vec![0u32; n];
        let mut direct_link = vec![0u32; n];
        let mut commas = vec![0u32; n];
        let mut ends: Vec<Option<bool>> = vec![None; n];
        for i in (0..n).rev() {
            let node = &dom.nodes[i];
            if !node.is_elem() && !m.skip[i] {
                let (l, c, last) = text_len(node.text);
                let e = last.map(sentence_end);
                m.text[i] = l;
                let u = unit[i];
                direct[u] += l;
                commas[u] += c;
                if in_link[i] {
                    m.link[i] = l;
                    direct_link[u] += l;
                }
                if ends[u].is_none() {
                    ends[u] = e;
                }
            }
            let p = node.parent;
            if p != NONE && !m.skip[i] {
                m.text[p] += m.text[i];
                m.link[p] += m.link[i];
            }
        }
        // Paragraph-like units.
        let mut para = vec![false; n];
        for u in 0..n {
            let l = direct[u];
            if l == 0 || m.skip[u] {
                continue;
            }
            let k = direct_link[u];
            let ld = k as f32 / l as f32;
            para[u] = ld <= 0.7
                && (l >= 80 || (l >= 25 && ends[u] == Some(true)) || (l >= 40 && commas[u] >= 2));
            if para[u] {
                m.good[u] = l - k;
            }
        }
        for i in (1..n).rev() {
            let p = dom.nodes[i].parent;
            if p != NONE && !m.skip[i] {
                m.good[p] += m.good[i];
            }
        }
        // Layout wrappers: elements holding the main heading or `<main>`.
        let mut landmark = vec![false; n];
        for i in (0..n).rev() {
            let node = &dom.nodes[i];
            if matches!(node.tag, "h1" | "main") || node.role == "main" {
                landmark[i] = true;
            }
            let p = node.parent;
            if p != NONE && landmark[i] {
                landmark[p] = true;
            }
        }
        // Boilerplate regions: hinted elements that are not layout wrappers and do not
        // hold nearly all of the page's text.
        let total = m.good.first().copied().unwrap_or(0).max(1) as f32;
        for (i, &holds_heading) in landmark.iter().enumerate() {
            let p = dom.nodes[i].parent;
            let inherited = p != NONE && m.unlikely[p];
            let strict = m.hint[i] & (hints::STRICT | hints::EXACT) != 0;
            let wrapper = holds_heading || ((m.good[i] as f32) >= 0.5 * total && !strict);
            if m.hard_at[i] && wrapper {
                m.hard_at[i] = false;
                m.soft_at[i] = true;
            }
            m.unlikely[i] = inherited || m.hard_at[i];
        }
        m.add_net_values(dom, &direct, &direct_link, &para);
        m
    }

    /// Top-down pass: skip, hints and boilerplate starts of each node; returns whether
    /// each node is inside a link, and its unit (nearest block-level ancestor or self).
    fn mark_top_down(&mut self, dom: &Dom<'_>) -> (Vec<bool>, Vec<usize>) {
        let n = dom.nodes.len();
        let mut in_link = vec![false; n];
        // Nearest block-level ancestor (or self) of each node: its "unit".
        let mut unit = vec![0usize; n];
        let mut cache = hints::Cache;
        for i in 0..n {
            let node = &dom.nodes[i];
            let p = node.parent;
            let (pskip, plink, punit) = if p == NONE {
                (false, false, i)
            } else {
                (self.skip[p], in_link[p], unit[p])
            };
            self.skip[i] = pskip || (node.is_elem() && (ignored_tag(node.tag) || node.hidden));
            in_link[i] = plink || node.tag == "a";
            unit[i] = if node.is_elem() && (p == NONE || is_block(node.tag)) {
                i
            } else {
                punit
            };
            if !node.is_elem() {
                continue;
            }
            let f = cache.get(node.class, node.id);
            self.hint[i] = f;
            let mut h = if f & hints::HARD != 0 {
                if f & hints::CONTENT != 0 {
                    Hint::Soft
                } else {
                    Hint::Hard
                }
            } else if f & hints::SOFT != 0 {
                Hint::Soft
            } else {
                Hint::None
            };
            if matches!(node.tag, "html" | "body" | "main" | "a") {
                h = Hint::None;
            } else if hard_role(node.role) || boilerplate_tag(node.tag) {
                h = Hint::Hard;
            } else if node.tag == "header" && h == Hint::None {
                h = Hint::Soft;
            }
            self.hard_at[i] = h == Hint::Hard;
            // A form asking for an e-mail address, a password, a search or a comment is
            // boilerplate (newsletter, login, search box, comment form); other forms (a
            // shop's product form, a page-wide ASP.NET form) are judged by their content.
            let asks = match node.tag {
                "textarea" => true,
                "input" => node.attr("type").is_some_and(|t| {
                    matches!(
                        t.to_ascii_lowercase().as_str(),
                        "email" | "password" | "search"
                    )
                }),
                _ => false,
            };
            if asks
                && let Some(f) = dom
                    .ancestors(i)
                    .take(30)
                    .find(|&a| dom.nodes[a].tag == "form")
            {
                self.hard_at[f] = true;
                self.soft_at[f] = false;
            }
            self.soft_at[i] = h == Hint::Soft;
        }
        (in_link, unit)
    }

    /// Net values, bottom-up: paragraph text counts, link text and short lines count
    /// against, boilerplate regions a quarter (the cleaning walk drops them anyway).
    fn add_net_values(&mut self, dom: &Dom<'_>, direct: &[u32], links: &[u32], para: &[bool]) {
        for i in (0..dom.nodes.len()).rev() {
            if self.skip[i] {
                continue;
            }
            let l = direct[i];
            if l > 0 {
                let k = links[i] as f32;
                let l = l as f32;
                self.value[i] += if self.unlikely[i] {
                    -0.25 * l
                } else if k > 0.7 * l {
                    -l
                } else if para[i] {
                    l - k
                } else if matches!(dom.nodes[i].tag, "td" | "th" | "li" | "dd" | "dt") {
                    // Short cells of a table or items of a list: data, not furniture.
                    0.0
                } else {
                    -0.25 * l
                };
            }
            let p = dom.nodes[i].parent;
            if p != NONE {
                self.value[p] += self.value[i];
            }
        }
    }

    /// The measures the teaser test reads.
    pub(super) fn teasers(&self) -> Teasers<'_> {
        Teasers {
            skip: &self.skip,
            text: &self.text,
            good: &self.good,
            site: self.site.as_deref(),
        }
    }

    /// Link density of a subtree.
    pub fn link_density(&self, i: usize) -> f32 {
        if self.text[i] == 0 {
            0.0
        } else {
            self.link[i] as f32 / self.text[i] as f32
        }
    }
}

/// Picks the main-content roots of the page (generic path).
pub fn find_roots(dom: &Dom<'_>, m: &Measures, related: &[usize]) -> Vec<usize> {
    let n = dom.nodes.len();
    let in_related = |i: usize| related.iter().any(|&c| dom.contains(c, i));
    // The subtree with the highest net value (ties: the deepest).
    let mut best: Option<(f32, usize)> = None;
    for i in 0..n {
        let node = &dom.nodes[i];
        if !node.is_elem() || m.skip[i] || m.unlikely[i] || node.tag == "a" {
            continue;
        }
        if best.is_none_or(|(b, _)| m.value[i] >= b) {
            best = Some((m.value[i], i));
        }
    }
    let Some((_, mut top)) = best.filter(|b| b.0 > 0.0) else {
        return body_or_root(dom);
    };
    // Several full articles, each with its own title (infinite scroll, "next story"):
    // the first one.
    let articles: Vec<usize> = {
        let mut v: Vec<usize> = Vec::new();
        for i in top + 1..dom.nodes[top].end {
            if dom.nodes[i].tag == "article"
                && m.good[i] >= 500
                && !v.last().is_some_and(|&l| dom.contains(l, i))
                && (i..dom.nodes[i].end).any(|j| dom.nodes[j].tag == "h1")
            {
                v.push(i);
            }
        }
        v
    };
    if articles.len() >= 2 {
        top = articles[0];
    }
    // A container named as the article's text that holds nearly all of it (the rest of
    // the region is teasers, bylines, share bars).
    let named = (top + 1..dom.nodes[top].end).rev().find(|&i| {
        let node = &dom.nodes[i];
        node.is_elem()
            && !m.skip[i]
            && !m.unlikely[i]
            && (!node.class.is_empty() || !node.id.is_empty())
            && m.good[i] as f32 >= 0.85 * m.good[top] as f32
            && BODY_NAME.is_match(&format!("{} {}", node.class, node.id))
    });
    if let Some(d) = named {
        top = d;
    }
    // Schema.org microdata naming the body, when it holds most of the content.
    if let Some(ab) = (0..n).find(|&i| {
        dom.nodes[i].is_elem()
            && !m.skip[i]
            && dom.nodes[i]
                .itemprop
                .split_whitespace()
                .any(|t| t == "articleBody")
    }) && m.good[ab] as f32 >= 0.7 * m.good[top] as f32
        && m.text[ab] >= 200
    {
        return vec![ab];
    }
    // Siblings that also carry net content (text split by a large block of links).
    let parent = dom.nodes[top].parent;
    if parent == NONE || articles.len() >= 2 {
        return vec![top];
    }
    let top_value = m.value[top];
    dom.children(parent)
        .filter(|&c| {
            c == top
                || (dom.nodes[c].is_elem()
                    && !m.skip[c]
                    && !m.unlikely[c]
                    && !in_related(c)
                    && !m.teasers().list(dom, c)
                    && m.value[c] >= (0.25 * top_value).max(150.0)
                    && m.good[c] > 0)
        })
        .collect()
}

fn body_or_root(dom: &Dom<'_>) -> Vec<usize> {
    dom.nodes
        .iter()
        .position(|n| n.tag == "body")
        .map(|b| vec![b])
        .unwrap_or_else(|| {
            if dom.nodes.is_empty() {
                vec![]
            } else {
                vec![0]
            }
        })
}

/// The stand-first (summary under the title) between the main heading `h1` and the body
/// `roots`: a short, sentence-like element with an intro hint, or the page's description,
/// or the heading right after the title.
pub fn find_dek(
    dom: &Dom<'_>,
    m: &Measures,
    roots: &[usize],
    h1: usize,
    description: Option<&str>,
) -> Option<usize> {
    let first = *roots.first()?;
    let start = dom.nodes.get(h1)?.end;
    let limit = if first > h1 {
        first
    } else {
        dom.nodes[first].end
    }
    .min(start + 400);
    let desc = description.map(norm).filter(|d| d.chars().count() >= 20);
    let mut j = start;
    let mut first_elem = true;
    while j < limit {
        let node = &dom.nodes[j];
        if !node.is_elem() {
            j += 1;
            continue;
        }
        if m.skip[j] || m.text[j] == 0 {
            j = node.end.max(j + 1);
            continue;
        }
        let len = m.text[j];
        if (25..=500).contains(&len) && m.link_density(j) < 0.2 && is_block(node.tag) {
            let hint = format!("{} {}", node.class, node.id);
            let intro = INTRO.is_match(&hint) && !NOT_INTRO.is_match(&hint);
            let t = dom.text(j);
            let nt = norm(&t);
            let is_desc = desc.as_ref().is_some_and(|d| {
                nt == *d
                    || (d.starts_with(&nt) && nt.chars().count() * 10 >= d.chars().count() * 7)
                    || (nt.starts_with(d.as_str())
                        && d.chars().count() * 10 >= nt.chars().count() * 7)
            });
            let subtitle = first_elem && matches!(node.tag, "h2" | "p");
            if (intro || is_desc || subtitle)
                && !NOT_INTRO.is_match(&hint)
                && super::dates::parse_date(&t).is_none()
                && !m.unlikely[j]
            {
                return Some(j);
            }
            // A paragraph of the text itself: no stand-first before it.
            if m.good[j] >= 150 && !intro && !is_desc {
                return None;
            }
        }
        if is_block(node.tag) && !matches!(node.tag, "div" | "header" | "section" | "hgroup") {
            first_elem = false;
        }
        j += 1;
    }
    None
}

/// Link text of a teaser list, at least (three short headlines): a cheap test first.
const MIN_TEASER_LINK_CHARS: u32 = 60;

/// Options of the cleaning walk.
#[derive(Debug, Clone, Copy)]
pub struct Clean {
    /// Drop paragraphs that are mostly links.
    pub drop_link_paragraphs: bool,
    /// Drop elements with boilerplate class/id hints and structural boilerplate tags.
    pub drop_unlikely: bool,
}

/// Text of `roots`, cleaned: paragraphs separated by blank lines.
pub fn emit(
    dom: &Dom<'_>,
    m: &Measures,
    roots: &[usize],
    related: &[usize],
    opts: Clean,
) -> String {
    let mut paras: Vec<Para> = Vec::new();
    let mut cur = String::new();
    // Characters of `cur` inside links.
    let mut link = 0u32;
    let flush = |cur: &mut String, link: &mut u32, paras: &mut Vec<Para>, head: bool| {
        let t = cur.trim();
        if !t.is_empty() && !furniture(t) {
            let (text, link) = (t.to_string(), *link);
            paras.push(Para { text, head, link });
        }
        cur.clear();
        *link = 0;
    };
    let heading = |tag: &str| matches!(tag, "h2" | "h3" | "h4" | "h5" | "h6");
    let mut done_until = 0usize;
    for &root in roots {
        if root < done_until {
            continue;
        }
        let end = dom.nodes[root].end;
        done_until = end;
        let root_good = m.good[root];
        // Open blocks: end and whether the block is a heading.
        let mut blocks: Vec<(usize, bool)> = Vec::new();
        let mut j = root;
        while j < end {
            while let Some(&(e, h)) = blocks.last().filter(|b| b.0 <= j) {
                let _ = e;
                blocks.pop();
                flush(&mut cur, &mut link, &mut paras, h);
            }
            let node = &dom.nodes[j];
            if node.is_elem() {
                let drop = if m.skip[j] {
                    Drop::Yes
                } else if j == root {
                    Drop::No
                } else {
                    drop_elem(dom, m, j, related, opts, root_good)
                };
                if drop != Drop::No {
                    // The label of a dropped block of links ("Read more:", a heading).
                    if drop == Drop::Links && opts.drop_link_paragraphs && m.text[j] > 0 {
                        let head = blocks.last().is_some_and(|b| b.1);
                        flush(&mut cur, &mut link, &mut paras, head);
                        if let Some(p) = paras.last()
                            && p.text.chars().count() <= 80
                            && (p.head || p.text.ends_with(':'))
                        {
                            paras.pop();
                        }
                        paras.push(Para::LINKS_DROPPED);
                    }
                    j = node.end.max(j + 1);
                    continue;
                }
                if is_block(node.tag) {
                    let head = blocks.last().is_some_and(|b| b.1);
                    flush(&mut cur, &mut link, &mut paras, head);
                    blocks.push((node.end, heading(node.tag)));
                }
            } else {
                push_collapsed(&mut cur, node.text);
                link += m.link[j];
            }
            j += 1;
        }
        flush(&mut cur, &mut link, &mut paras, false);
    }
    if opts.drop_link_paragraphs {
        body_noise::tidy(paras).join("\n\n")
    } else {
        let texts: Vec<String> = paras.into_iter().map(|p| p.text).collect();
        texts.join("\n\n")
    }
}

/// Why an element is left out of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drop {
    /// Kept.
    No,
    /// Boilerplate.
    Yes,
    /// A block of links (related articles, link lists).
    Links,
}

fn drop_elem(
    dom: &Dom<'_>,
    m: &Measures,
    j: usize,
    related: &[usize],
    opts: Clean,
    root_good: u32,
) -> Drop {
    let node = &dom.nodes[j];
    if related.contains(&j) {
        return Drop::Links;
    }
    if node.tag == "figure"
        && !(j..node.end).any(|k| matches!(dom.nodes[k].tag, "table" | "blockquote" | "pre"))
    {
        return Drop::Yes;
    }
    if node.tag == "h1"
        || matches!(
            node.tag,
            "figcaption" | "fieldset" | "label" | "select" | "nav" | "aside"
        )
        || (node.tag == "form" && (m.hard_at[j] || m.good[j] < 150))
    {
        return Drop::Yes;
    }
    // Most of the region's text: never boilerplate.
    let major = m.good[j] as f32 >= 0.5 * root_good as f32 && m.good[j] > 0;
    if opts.drop_unlikely {
        if (m.hard_at[j]
            || m.hint[j] & hints::CAPTION != 0
            || body_noise::appeal_box(dom, j, m.text[j]))
            && !major
        {
            return Drop::Yes;
        }
        // Soft hints on inline elements (`<span class="date">` in a sentence) are words
        // of the text.
        if (m.soft_at[j] || node.tag == "header") && is_block(node.tag) && m.good[j] < 150 {
            return Drop::Yes;
        }
    } else if m.hard_at[j] && !major && {
        let c = node.class.to_ascii_lowercase();
        c.contains("share")
            || c.contains("sharedaddy")
            || c.contains("social")
            || c.contains("newsletter")
            || c.contains("related")
    } {
        return Drop::Yes;
    }
    // Other stories listed in the region (generic path): headlines with blurbs.
    if opts.drop_link_paragraphs
        && !major
        && matches!(node.tag, "div" | "section" | "ul" | "ol")
        && m.link[j] >= MIN_TEASER_LINK_CHARS
        && m.teasers().list(dom, j)
    {
        return Drop::Links;
    }
    let ld = m.link_density(j);
    let links = match node.tag {
        "ul" | "ol" | "dl" | "div" | "section" | "table" => ld > 0.5 && m.text[j] > 0,
        "p" | "li" => opts.drop_link_paragraphs && ld > 0.6 && m.text[j] < 200,
        _ => false,
    };
    if links { Drop::Links } else { Drop::No }
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    fn generic(page: &str) -> String {
        let doc = parse(page.into(), 512);
        let dom = Dom::new(&doc);
        let m = Measures::new(&dom);
        let roots = find_roots(&dom, &m, &[]);
        emit(
            &dom,
            &m,
            &roots,
            &[],
            Clean {
                drop_link_paragraphs: true,
                drop_unlikely: true,
            },
        )
    }

    const P: &str =
        "This is a sentence of the article, with commas, and enough words to count as text. ";

    #[test]
    fn picks_article_and_drops_boilerplate() {
        let page = format!(
            r#"<html><body><nav><a href="/">Home</a> <a href="/x">Section</a></nav>
<div id="main"><article><h1>Title</h1><div class="content"><p>{P}{P}</p><p>{P}</p>
<div class="share-buttons"><a href="/s">Share on a network with a long label</a></div><p>{P}{P}{P}</p>
<ul><li><a href="/a">Link one with words</a></li><li><a href="/b">Link two with words</a></li></ul></div></article>
<aside class="sidebar"><h3>Recent Posts</h3><p>{P}</p></aside></div>
<div class="comments"><p>{P}{P}{P}{P}</p></div>
<footer><p>Copyright footer text that is long enough to be a paragraph, yes.</p></footer></body></html>"#
        );
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 6, "{text}");
        assert!(!text.contains("Title"));
        assert!(!text.contains("Share"));
        assert!(!text.contains("Link one"));
        assert!(!text.contains("Copyright"));
        assert!(text.contains("\n\n"));
    }

    #[test]
    fn a_small_container_with_a_content_class_does_not_win() {
        // The body is split over many small divs; a tagline has a "text" class.
        let mut page = String::from(
            r#"<html><body><div class="asset-tagline text-muted">By Someone, Staff writer</div><div class="asset-body">"#,
        );
        for _ in 0..8 {
            page.push_str(&format!(r#"<div class="subscriber-only"><p>{P}</p></div>"#));
        }
        page.push_str("</div></body></html>");
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 8, "{text}");
        assert!(!text.contains("Staff writer"), "{text}");
    }

    #[test]
    fn a_cookie_dialog_does_not_win_over_a_short_article() {
        let page = format!(
            r#"<html><body><main><article><h1>T</h1><div class="content"><p>{P}</p><p>{P}</p></div></article></main>
<div class="privacy-modal-box"><div class="privacy-content"><p>{P}{P}</p><p>{P}{P}</p><p>{P}{P}</p></div></div></body></html>"#
        );
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 2, "{text}");
    }

    #[test]
    fn list_articles_keep_every_item_and_content_in_gallery_or_paywall_classes_is_kept() {
        let mut page = String::from(
            r#"<html><body><h1>Ten things</h1><div class="gallery-list pmc-paywall">"#,
        );
        for i in 0..6 {
            page.push_str(&format!(
                r#"<article class="list-item"><h2>Item {i}</h2><p>{P}{P}</p></article>"#
            ));
        }
        page.push_str(r#"</div><div class="paywall-message">Subscribe now</div></body></html>"#);
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 12, "{text}");
        assert!(text.contains("Item 5"), "{text}");
    }

    #[test]
    fn the_label_of_a_dropped_link_list_goes_with_it() {
        let page = format!(
            r#"<html><body><div class="content"><p>{P}{P}</p><p>Read also:</p><ul><li><a href="/a">A story with a long enough title</a></li><li><a href="/b">Another story with a title</a></li></ul>
<h3>More on this</h3><div><a href="/c">A third story with a title</a> <a href="/d">And a fourth one here</a></div><p>{P}{P}{P}</p><p>Kontakt:</p></div></body></html>"#
        );
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 5, "{text}");
        assert!(!text.contains("Read also"), "{text}");
        assert!(!text.contains("More on this"), "{text}");
        assert!(!text.contains("Kontakt"), "{text}");
    }

    #[test]
    fn words_in_links_rubies_and_spans_stay_captions_go() {
        let page = format!(
            r#"<html><body><div class="text"><p>{P}</p><p>The <a href="/w"><span class="under">word</span></a> and <ruby>漢字<rt>かんじ</rt></ruby> and a <span class="date">Monday</span> stay in the sentence of this paragraph.</p>
<div class="wp-caption">Photo: a caption under a picture that is long enough to look like a sentence.</div><p>{P}</p></div></body></html>"#
        );
        let text = generic(&page);
        assert!(
            text.contains("The word and 漢字 and a Monday stay in the sentence"),
            "{text}"
        );
        assert!(!text.contains("かんじ"), "{text}");
        assert!(!text.contains("Photo:"), "{text}");
    }

    #[test]
    fn forms_asking_for_an_address_are_boilerplate_live_entries_are_not() {
        let page = format!(
            r#"<html><body><div class="article-body"><p>{P}{P}</p><p>{P}{P}</p></div>
<form class="box"><p>{P}{P}</p><input type="email" name="m"></form>
<div class="live-match-comments"><div class="live-match-comment"><p>{P}{P}</p></div><div class="live-match-comment"><p>{P}</p></div></div></body></html>"#
        );
        let text = generic(&page);
        assert_eq!(text.matches("This is a sentence").count(), 7, "{text}");
    }

    #[test]
    fn the_stand_first_under_the_title_is_found() {
        let page = format!(
            r#"<html><body><header><h1>Title of the story</h1><p class="article-dek">A short summary of the story, in one sentence.</p>
<div class="byline">By Ann Smith</div></header><div class="body"><p>{P}{P}</p><p>{P}</p></div></body></html>"#
        );
        let doc = parse(page.into(), 512);
        let dom = Dom::new(&doc);
        let m = Measures::new(&dom);
        let roots = find_roots(&dom, &m, &[]);
        let h1 = dom.nodes.iter().position(|n| n.tag == "h1").unwrap();
        let dek = find_dek(&dom, &m, &roots, h1, None).expect("stand-first");
        assert_eq!(
            dom.text(dek),
            "A short summary of the story, in one sentence."
        );
    }

    const BLURB: &str = "A short summary of another story, in one sentence or two, with commas.";

    fn is_teaser_list(page: &str) -> bool {
        let doc = parse(page.into(), 512);
        let dom = Dom::new(&doc);
        let m = Measures::new(&dom);
        let list = dom
            .nodes
            .iter()
            .position(|n| n.id == "x")
            .expect("element with id x");
        m.teasers().list(&dom, list)
    }

    #[test]
    fn headline_links_with_blurbs_are_teasers_linked_sentences_are_not() {
        let item = |i: usize| {
            format!(
                r#"<li><a href="/i{i}"><img src="/p.jpg"></a><div class="t"><a href="/s{i}">Headline of another story number {i}</a><p>{BLURB}</p></div></li>"#
            )
        };
        let list: String = (0..4).map(item).collect();
        assert!(is_teaser_list(&format!(
            r#"<html><body><div id="x"><ul>{list}</ul></div></body></html>"#
        )));
        // Two headlines are not a list; links inside sentences are words of the text.
        let two: String = (0..2).map(item).collect();
        assert!(!is_teaser_list(&format!(
            r#"<html><body><div id="x"><ul>{two}</ul></div></body></html>"#
        )));
        let text: String = (0..6)
            .map(|i| format!(r#"<p>As <a href="/r{i}">the agency reported on Monday</a> in a statement, {BLURB}</p>"#))
            .collect();
        assert!(!is_teaser_list(&format!(
            r#"<html><body><div id="x">{text}</div></body></html>"#
        )));
        // An article's long paragraph beside a list of teasers: the container is not one.
        let long_paragraph = format!("<p>{}</p>", BLURB.repeat(8));
        let list: String = (0..6).map(item).collect();
        assert!(!is_teaser_list(&format!(
            r#"<html><body><div id="x">{long_paragraph}<ul>{list}</ul></div></body></html>"#
        )));
        // A table of contents: anchors in the page.
        let toc: String = (0..6)
            .map(|i| {
                format!(
                    r##"<li><a href="#part-{i}">Best rain jacket for walking, pick {i}</a></li>"##
                )
            })
            .collect();
        assert!(!is_teaser_list(&format!(
            r#"<html><body><div id="x"><p>{BLURB}</p><ul>{toc}</ul></div></body></html>"#
        )));
        // Headlines over long sections of text: a long-form page, not teasers.
        let long: String = (0..4)
            .map(|i| format!(r#"<h2><a href="/c{i}">A chapter heading with a link {i}</a></h2><p>{BLURB} {BLURB} {BLURB} {BLURB}</p><p>{BLURB} {BLURB} {BLURB} {BLURB}</p>"#))
            .collect();
        assert!(!is_teaser_list(&format!(
            r#"<html><body><div id="x">{long}</div></body></html>"#
        )));
    }
}
