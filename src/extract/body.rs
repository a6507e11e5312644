//! Main-text extraction. Generic path: readability-style scoring (paragraph text length,
//! commas, link density, class/id hints, propagation to ancestors), the best container and
//! its qualifying siblings; then a cleaning walk that drops navigation, headers, footers,
//! asides, comments, share and newsletter widgets, link lists, hidden elements and the
//! related-articles block. Profile path: the same cleaning walk over the selector's matches.
//! Every pass is a loop over the flat DOM (no recursion).

use std::sync::LazyLock;

use regex::Regex;

use super::dom::{Dom, NONE, is_block, push_collapsed};

/// Per-node measures of the flat DOM.
pub struct Measures {
    /// Inside an ignored element (script, style, …).
    pub skip: Vec<bool>,
    /// Text length of the subtree (chars, whitespace collapsed).
    pub text: Vec<u32>,
    /// Text length inside links.
    pub link: Vec<u32>,
    /// Commas in the subtree's text.
    pub commas: Vec<u32>,
    /// Text length inside `<p>` elements.
    pub ptext: Vec<u32>,
    /// Has a block-level element child.
    pub block_child: Vec<bool>,
    /// Class/id weight (+25 / -25 / 0).
    pub weight: Vec<i32>,
    /// Unlikely to hold the article (class/id hints or tag), with its subtree.
    pub unlikely: Vec<bool>,
}

static UNLIKELY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-ad-|\bad-|\bads?\b|advert|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|cookie|consent|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager|popup|modal|newsletter|subscri|signup|share|sharing|sharedaddy|recent|popular|most-?read|trending|recommend|outbrain|taboola|promo|widget|navbar|\bnav\b|navigation|toolbar|byline|author-?bio|tags\b|tag-list|read-?more|more-stories|jp-relatedposts|print-only|skip-link|screen-reader|visually-hidden|sr-only|lire-aussi|plus-lus")
        .expect("constant regex")
});
static OK_MAYBE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\band\b|article|body|column|content|main|mathjax|shadow|entry|story|post-text|text",
    )
    .expect("constant regex")
});
static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose|chapo|corps|texte|contenu|artikel|inhalt|cuerpo|testo")
        .expect("constant regex")
});
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)intro|lead|chapo|chapeau|standfirst|summary|excerpt|\bdek\b|abstract|teaser|kicker|subtitle|description")
        .expect("constant regex")
});
static STRONG_DROP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)caption|credit|newsletter|signup|sign-up|subscribe|subscription|twitter-tweet|instagram|tiktok|embed|share|social|related|recommend|promo|advert|sponsor|byline|gallery|visually-hidden|sr-only|screen-reader|paywall|offer|cta|read-?more|more-from|author-?info|author-?bio|disclaimer|affiliate|rating|toolbar|tools|print")
        .expect("constant regex")
});
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-ad-|hidden|\bhid\b|banner|combx|comment|com-|contact|footer|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|widget|caption|credit|newsletter|subscribe|byline|author|date|time")
        .expect("constant regex")
});

/// Tags whose content is never text of the page.
fn ignored_tag(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "button"
            | "select"
            | "textarea"
            | "input"
            | "head"
            | "video"
            | "audio"
            | "picture"
            | "dialog"
    )
}

/// Structural boilerplate tags.
fn boilerplate_tag(tag: &str) -> bool {
    matches!(tag, "nav" | "aside" | "footer" | "header" | "menu")
}

fn text_len(s: &str) -> (u32, u32) {
    let mut n = 0u32;
    let mut commas = 0u32;
    let mut in_space = true;
    for c in s.chars() {
        if c.is_whitespace() {
            if !in_space {
                n += 1;
                in_space = true;
            }
        } else {
            n += 1;
            in_space = false;
            if matches!(c, ',' | '，' | '、' | '،') {
                commas += 1;
            }
        }
    }
    (n, commas)
}

impl Measures {
    /// Computes the measures in two linear passes.
    pub fn new(dom: &Dom<'_>) -> Measures {
        let n = dom.nodes.len();
        let mut m = Measures {
            skip: vec![false; n],
            text: vec![0; n],
            link: vec![0; n],
            commas: vec![0; n],
            ptext: vec![0; n],
            block_child: vec![false; n],
            weight: vec![0; n],
            unlikely: vec![false; n],
        };
        let mut in_link = vec![false; n];
        let mut hint_unlikely = vec![false; n];
        let mut hints: std::collections::HashMap<(&str, &str), (i32, bool)> =
            std::collections::HashMap::new();
        // Top-down: skip, in-link, class hints.
        for i in 0..n {
            let node = &dom.nodes[i];
            let p = node.parent;
            let (pskip, plink) = if p == NONE {
                (false, false)
            } else {
                (m.skip[p], in_link[p])
            };
            m.skip[i] = pskip || (node.is_elem() && (ignored_tag(node.tag) || node.hidden));
            in_link[i] = plink || node.tag == "a";
            if node.is_elem() {
                if !node.class.is_empty() || !node.id.is_empty() {
                    let (w, unlikely) = *hints.entry((node.class, node.id)).or_insert_with(|| {
                        let hint = format!("{} {}", node.class, node.id);
                        let mut w = 0;
                        if POSITIVE.is_match(&hint) {
                            w += 25;
                        }
                        if NEGATIVE.is_match(&hint) {
                            w -= 25;
                        }
                        (w, UNLIKELY.is_match(&hint) && !OK_MAYBE.is_match(&hint))
                    });
                    m.weight[i] = w;
                    hint_unlikely[i] =
                        unlikely && !matches!(node.tag, "html" | "body" | "article" | "main" | "a");
                }
                if Some(node.role).is_some_and(|r| {
                    matches!(
                        r,
                        "navigation"
                            | "banner"
                            | "contentinfo"
                            | "complementary"
                            | "menu"
                            | "dialog"
                            | "search"
                    )
                }) {
                    hint_unlikely[i] = true;
                }
                if boilerplate_tag(node.tag) {
                    hint_unlikely[i] = true;
                }
                if p != NONE && is_block(node.tag) {
                    m.block_child[p] = true;
                }
            }
        }
        // Bottom-up sums.
        for i in (0..n).rev() {
            let node = &dom.nodes[i];
            if !node.is_elem() && !m.skip[i] {
                let (l, c) = text_len(node.text);
                m.text[i] = l;
                m.commas[i] = c;
                if in_link[i] {
                    m.link[i] = l;
                }
            }
            if node.tag == "p" {
                m.ptext[i] = m.text[i];
            }
            let p = node.parent;
            if p != NONE && !m.skip[i] {
                m.text[p] += m.text[i];
                m.link[p] += m.link[i];
                m.commas[p] += m.commas[i];
                m.ptext[p] += m.ptext[i];
            }
        }
        // Unlikely: hinted elements that do not hold most of the page's paragraphs.
        let total_p = m.ptext.first().copied().unwrap_or(0).max(1);
        let mut i = 0;
        while i < n {
            if hint_unlikely[i] && (m.ptext[i] as f32) < 0.5 * total_p as f32 {
                let end = dom.nodes[i].end.max(i + 1);
                for u in &mut m.unlikely[i..end] {
                    *u = true;
                }
                i = end;
            } else {
                i += 1;
            }
        }
        m
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
    let mut score = vec![f32::NAN; n];
    let in_related = |i: usize| related.iter().any(|&c| dom.contains(c, i));
    let init = |i: usize| -> f32 {
        let base = match dom.nodes[i].tag {
            "div" | "article" | "main" | "section" => 5.0,
            "pre" | "td" | "blockquote" => 3.0,
            "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
            _ => 0.0,
        };
        base + m.weight[i] as f32
    };
    for i in 0..n {
        let node = &dom.nodes[i];
        if !node.is_elem() || m.skip[i] || m.unlikely[i] {
            continue;
        }
        let para = match node.tag {
            "p" | "pre" | "td" | "blockquote" => true,
            "div" | "section" | "article" | "span" | "font" | "li" | "dd" => !m.block_child[i],
            _ => false,
        };
        if !para || m.text[i] < 25 || in_related(i) {
            continue;
        }
        let s = 1.0 + m.commas[i] as f32 + (m.text[i] as f32 / 100.0).min(3.0);
        let s = s * (1.0 - m.link_density(i)).max(0.0);
        let mut a = node.parent;
        let mut level = 0;
        while a != NONE && level < 3 {
            if dom.nodes[a].is_elem() {
                if score[a].is_nan() {
                    score[a] = init(a);
                }
                let div = match level {
                    0 => 1.0,
                    1 => 2.0,
                    l => l as f32 * 3.0,
                };
                score[a] += s / div;
            }
            a = dom.nodes[a].parent;
            level += 1;
        }
    }
    // Final scores.
    let mut cands: Vec<(f32, usize)> = (0..n)
        .filter(|&i| !score[i].is_nan() && !matches!(dom.nodes[i].tag, "html"))
        .map(|i| (score[i] * (1.0 - m.link_density(i)), i))
        .collect();
    cands.sort_by(|a, b| b.0.total_cmp(&a.0));
    let Some(&(top_score, mut top)) = cands.first() else {
        return body_or_root(dom);
    };
    let final_score = |i: usize| -> f32 {
        if score[i].is_nan() {
            f32::NAN
        } else {
            score[i] * (1.0 - m.link_density(i))
        }
    };
    // Several strong candidates with a common ancestor: take the ancestor.
    let strong: Vec<usize> = cands
        .iter()
        .skip(1)
        .take(4)
        .filter(|c| c.0 >= 0.75 * top_score)
        .map(|c| c.1)
        .collect();
    if strong.len() >= 2 {
        let mut a = dom.nodes[top].parent;
        while a != NONE && dom.nodes[a].tag != "body" {
            let holds = strong.iter().filter(|&&c| dom.contains(a, c)).count();
            if holds >= 2 {
                top = a;
                break;
            }
            a = dom.nodes[a].parent;
        }
    }
    // Climb while the parent scores comparably (content split over several children).
    let mut last = final_score(top);
    let mut p = dom.nodes[top].parent;
    let threshold = last / 3.0;
    while p != NONE && dom.nodes[p].tag != "body" && dom.nodes[p].tag != "html" {
        let ps = final_score(p);
        if ps.is_nan() {
            p = dom.nodes[p].parent;
            continue;
        }
        if ps < threshold {
            break;
        }
        if ps > last {
            top = p;
            break;
        }
        last = ps;
        p = dom.nodes[p].parent;
    }
    // An only child: its parent is the same content.
    loop {
        let p = dom.nodes[top].parent;
        if p == NONE || matches!(dom.nodes[p].tag, "body" | "html") {
            break;
        }
        let elem_children = dom
            .children(p)
            .filter(|&c| dom.nodes[c].is_elem() && m.text[c] > 0)
            .count();
        if elem_children == 1 && !m.unlikely[p] {
            top = p;
        } else {
            break;
        }
    }
    // Climb to an ancestor holding clearly more good paragraph text (content split over
    // several blocks, slideshows, live pages), as long as it is not link-heavy.
    let good = good_text(dom, m);
    let mut cur = top;
    let mut a = dom.nodes[top].parent;
    let mut steps = 0;
    while a != NONE && !matches!(dom.nodes[a].tag, "body" | "html") && steps < 6 {
        if m.unlikely[a] || m.link_density(a) > 0.4 {
            break;
        }
        if good[a] as f32 >= 1.3 * good[cur] as f32 {
            cur = a;
        }
        a = dom.nodes[a].parent;
        steps += 1;
    }
    top = cur;
    // Several full articles in the container (infinite scroll, "next story"): keep the
    // one with the page's title, else the first.
    let articles: Vec<usize> = {
        let mut v: Vec<usize> = Vec::new();
        for (i, &g) in good
            .iter()
            .enumerate()
            .take(dom.nodes[top].end)
            .skip(top + 1)
        {
            if dom.nodes[i].tag == "article"
                && g >= 500
                && !v.last().is_some_and(|&l| dom.contains(l, i))
            {
                v.push(i);
            }
        }
        v
    };
    if articles.len() >= 2 {
        let with_h1 = articles
            .iter()
            .copied()
            .find(|&a| (a..dom.nodes[a].end).any(|j| dom.nodes[j].tag == "h1"));
        top = with_h1.unwrap_or(articles[0]);
    }
    // Schema.org microdata naming the body, when it holds most of the good text.
    if let Some(ab) = (0..n).find(|&i| {
        dom.nodes[i].is_elem()
            && !m.skip[i]
            && dom.nodes[i]
                .itemprop
                .split_whitespace()
                .any(|t| t == "articleBody")
    }) && good[ab] as f32 >= 0.7 * good[top] as f32
        && m.text[ab] >= 200
    {
        return vec![ab];
    }
    // Siblings that also look like content.
    let top_final = final_score(top).max(0.0);
    let threshold = (top_final * 0.2).max(10.0);
    let parent = dom.nodes[top].parent;
    if parent == NONE {
        return vec![top];
    }
    let mut roots = Vec::new();
    for c in dom.children(parent) {
        let node = &dom.nodes[c];
        if !node.is_elem() || m.skip[c] {
            continue;
        }
        if c == top {
            roots.push(c);
            continue;
        }
        if m.unlikely[c] || in_related(c) {
            continue;
        }
        let mut bonus = 0.0;
        if !node.class.is_empty() && node.class == dom.nodes[top].class {
            bonus = top_final * 0.2;
        }
        let s = final_score(c);
        let ld = m.link_density(c);
        let intro = INTRO.is_match(node.class) && ld < 0.3 && m.text[c] >= 40 && c < top;
        let take = intro
            || (!s.is_nan() && s + bonus >= threshold)
            || (node.tag == "p" && m.text[c] > 80 && ld < 0.25)
            || (node.tag == "p" && m.text[c] > 20 && ld == 0.0 && ends_sentence(&dom.text(c)));
        if take {
            roots.push(c);
        }
    }
    roots
}

/// Text length of "good" paragraphs (`p`, `pre`, `blockquote` of 40+ chars with few links)
/// in each subtree.
fn good_text(dom: &Dom<'_>, m: &Measures) -> Vec<u32> {
    let n = dom.nodes.len();
    let mut good = vec![0u32; n];
    for i in (0..n).rev() {
        let node = &dom.nodes[i];
        if node.is_elem()
            && matches!(node.tag, "p" | "pre" | "blockquote")
            && !m.skip[i]
            && !m.unlikely[i]
            && m.text[i] >= 40
            && m.link_density(i) < 0.3
        {
            good[i] = m.text[i];
        }
        let p = node.parent;
        if p != NONE {
            good[p] += good[i];
        }
    }
    good
}

fn ends_sentence(s: &str) -> bool {
    s.trim_end().ends_with(['.', '!', '?', '。', '»', '"', '”'])
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

/// Short paragraphs that are page furniture, never article text.
fn furniture(p: &str) -> bool {
    if p.chars().count() > 40 {
        return false;
    }
    // A date line of the byline ("7 mai 2024", "Publié le 3 août 2023 à 10h30").
    if p.chars().count() <= 32
        && p.split_whitespace().count() <= 7
        && !ends_sentence(p)
        && super::dates::parse_date(p).is_some()
    {
        return true;
    }
    let l = p.to_lowercase();
    let l = l.trim_matches(|c: char| !c.is_alphanumeric());
    matches!(
        l,
        "advertisement"
            | "advertising"
            | "publicité"
            | "publicite"
            | "pub"
            | "anzeige"
            | "werbung"
            | "publicidad"
            | "share"
            | "share this"
            | "share this article"
            | "partager"
            | "partager cet article"
            | "tweet"
            | "print"
            | "imprimer"
            | "email"
            | "read more"
            | "lire la suite"
            | "continue reading"
            | "skip to content"
            | "related"
            | "comments"
            | "commentaires"
            | "loading"
            | "chargement"
            | "close"
            | "fermer"
            | "menu"
    )
}

/// Options of the cleaning walk.
#[derive(Debug, Clone, Copy)]
pub struct Clean {
    /// Drop paragraphs that are mostly links.
    pub drop_link_paragraphs: bool,
    /// Drop elements with unlikely class/id hints and structural boilerplate tags.
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
    let mut paras: Vec<String> = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, paras: &mut Vec<String>| {
        let t = cur.trim();
        if !t.is_empty() && !furniture(t) {
            paras.push(t.to_string());
        }
        cur.clear();
    };
    let mut done_until = 0usize;
    for &root in roots {
        if root < done_until {
            continue;
        }
        let end = dom.nodes[root].end;
        done_until = end;
        let mut block_ends: Vec<usize> = Vec::new();
        let mut j = root;
        while j < end {
            while block_ends.last().is_some_and(|&e| e <= j) {
                block_ends.pop();
                flush(&mut cur, &mut paras);
            }
            let node = &dom.nodes[j];
            if node.is_elem() {
                if j != root && drop_elem(dom, m, j, related, opts, m.text[root]) {
                    j = node.end.max(j + 1);
                    continue;
                }
                if m.skip[j] {
                    j = node.end.max(j + 1);
                    continue;
                }
                if is_block(node.tag) {
                    flush(&mut cur, &mut paras);
                    block_ends.push(node.end);
                }
            } else if !m.skip[j] {
                push_collapsed(&mut cur, node.text);
            }
            j += 1;
        }
        flush(&mut cur, &mut paras);
    }
    if opts.drop_link_paragraphs {
        // Trailing furniture after the last sentence: short lines without punctuation
        // ("Kontakt:", "Mehr zum Thema", "Photo: X").
        let mut dropped = 0;
        while dropped < 5
            && paras.len() > 1
            && paras
                .last()
                .is_some_and(|p| p.chars().count() < 40 && !ends_sentence(p))
        {
            paras.pop();
            dropped += 1;
        }
    }
    paras.join("\n\n")
}

fn drop_elem(
    dom: &Dom<'_>,
    m: &Measures,
    j: usize,
    related: &[usize],
    opts: Clean,
    root_text: u32,
) -> bool {
    let node = &dom.nodes[j];
    if node.tag == "figure"
        && !(j..node.end).any(|k| matches!(dom.nodes[k].tag, "table" | "blockquote" | "pre"))
    {
        return true;
    }
    if (!node.class.is_empty() || !node.id.is_empty())
        && (m.text[j] as f32) < 0.4 * root_text as f32
        && STRONG_DROP.is_match(&format!("{} {}", node.class, node.id))
    {
        return true;
    }
    if node.tag == "h1" || related.contains(&j) || m.skip[j] {
        return true;
    }
    if matches!(
        node.tag,
        "figcaption" | "form" | "fieldset" | "label" | "select" | "nav" | "aside"
    ) {
        return true;
    }
    if opts.drop_unlikely && m.unlikely[j] {
        return true;
    }
    if !opts.drop_unlikely
        && Some(node.class).filter(|c| !c.is_empty()).is_some_and(|c| {
            let c = c.to_ascii_lowercase();
            c.contains("share")
                || c.contains("sharedaddy")
                || c.contains("social")
                || c.contains("newsletter")
                || c.contains("related")
        })
    {
        return true;
    }
    let ld = m.link_density(j);
    match node.tag {
        "ul" | "ol" | "dl" | "div" | "section" | "table" | "span" => ld > 0.5 && m.text[j] > 0,
        "p" | "li" => opts.drop_link_paragraphs && ld > 0.6 && m.text[j] < 200,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    #[test]
    fn byline_date_lines_are_furniture_but_dated_sentences_are_not() {
        assert!(furniture("7 mai 2024"));
        assert!(furniture("Publié le 3 août 2023 à 10h30"));
        assert!(!furniture("Le 7 mai 2024, le ministre a parlé."));
        assert!(!furniture("Un paragraphe sans date"));
    }

    #[test]
    fn picks_article_and_drops_boilerplate() {
        let para =
            "This is a sentence of the article, with commas, and enough words to count as text. ";
        let page = format!(
            r#"<html><body><nav><a href="/">Home</a> <a href="/x">Section</a></nav>
<div id="main"><article><h1>Title</h1><div class="content"><p>{p}{p}</p><p>{p}</p>
<div class="share-buttons"><a href="/s">Share on a network with a long label</a></div><p>{p}{p}{p}</p>
<ul><li><a href="/a">Link one with words</a></li><li><a href="/b">Link two with words</a></li></ul></div></article>
<aside class="sidebar"><h3>Recent Posts</h3><p>{p}</p></aside></div>
<div class="comments"><p>{p}{p}{p}{p}</p></div>
<footer><p>Copyright footer text that is long enough to be a paragraph, yes.</p></footer></body></html>"#,
            p = para
        );
        let doc = parse(page.clone(), 512);
        let dom = Dom::new(&doc);
        let m = Measures::new(&dom);
        let roots = find_roots(&dom, &m, &[]);
        let text = emit(
            &dom,
            &m,
            &roots,
            &[],
            Clean {
                drop_link_paragraphs: true,
                drop_unlikely: true,
            },
        );
        assert_eq!(text.matches("This is a sentence").count(), 6, "{text}");
        assert!(!text.contains("Title"));
        assert!(!text.contains("Share"));
        assert!(!text.contains("Link one"));
        assert!(!text.contains("Copyright"));
        assert!(text.contains("\n\n"));
    }
}
