//! Page furniture and teasers, never article text: short lines of the page's chrome
//! ("Advertisement", "Share", a byline's date line) and lists of teasers (headline links,
//! each with a short blurb) beside the article.

use std::collections::HashMap;

use super::body::{Measures, ends_sentence};
use super::dom::{Dom, NONE, is_block};

/// Short paragraphs that are page furniture, never article text.
pub(super) fn furniture(p: &str) -> bool {
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
            | "pubblicità"
            | "share"
            | "share this"
            | "share this article"
            | "partager"
            | "partager cet article"
            | "teilen"
            | "compartir"
            | "tweet"
            | "print"
            | "imprimer"
            | "drucken"
            | "email"
            | "e-mail"
            | "read more"
            | "lire la suite"
            | "weiterlesen"
            | "leer más"
            | "continue reading"
            | "skip to content"
            | "related"
            | "comments"
            | "commentaires"
            | "kommentare"
            | "loading"
            | "chargement"
            | "close"
            | "fermer"
            | "menu"
            | "article continues below"
            | "story continues below"
            | "continue reading below"
            | "advertisement continue reading below"
            | "scroll to continue with content"
    )
}

/// Headline links of teasers per list, at least.
const MIN_HEADLINES: usize = 3;
/// Paragraph text per headline of a teaser list, at most (a blurb of a few sentences).
const MAX_BLURB_CHARS: u32 = 400;
/// Words of a headline, at least.
const MIN_HEADLINE_WORDS: usize = 4;

/// True when the subtree of `i` is a list of teasers: headline links (a link that is most
/// of its block's own text, a headline's length) with short blurbs (no paragraph longer), the way sites list
/// other articles ("more news", a section's latest stories) next to the article.
pub(super) fn teaser_list(dom: &Dom<'_>, m: &Measures, i: usize) -> bool {
    let end = dom.nodes[i].end;
    // Own text of each block met (its children are read once per block).
    let mut own_text: HashMap<usize, u32> = HashMap::new();
    let mut headlines = 0usize;
    let mut j = i + 1;
    while j < end {
        let n = &dom.nodes[j];
        if m.skip[j] {
            j = n.end.max(j + 1);
            continue;
        }
        // A paragraph longer than a blurb: article text, not a list of teasers.
        if n.tag == "p" && m.good[j] > MAX_BLURB_CHARS {
            return false;
        }
        if n.tag == "a" && m.text[j] > 0 && headline_link(dom, m, j, &mut own_text) {
            headlines += 1;
            j = n.end.max(j + 1);
            continue;
        }
        j += 1;
    }
    headlines >= MIN_HEADLINES && m.good[i] <= MAX_BLURB_CHARS * headlines as u32
}

/// A host as compared for "the same site": lower case, without a leading `www.`.
pub(super) fn site_of(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    host.strip_prefix("www.")
        .map(str::to_string)
        .unwrap_or(host)
}

/// True when `href` names another page of the site `site` (relative, or absolute on the
/// same host; any absolute page when the site is not known): not an anchor in the page,
/// not a shop or another site.
fn other_page_of_the_site(href: &str, site: Option<&str>) -> bool {
    let href = href.trim();
    let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
    if href.is_empty()
        || href.starts_with('#')
        || lower.starts_with("javascript:")
        || lower.starts_with("mailto:")
    {
        return false;
    }
    let rest = ["https://", "http://", "//"].iter().find_map(|p| {
        href.get(..p.len())
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &href[p.len()..])
    });
    let Some(rest) = rest else {
        // Relative: a page of this site.
        return true;
    };
    let host = rest.split(['/', '?', '#', ':']).next().unwrap_or_default();
    site.is_none_or(|s| site_of(host) == s)
}

/// A link that is most of its block's own text (the text outside the block's child blocks:
/// a headline, maybe with a short byline beside it) and as long as a headline.
fn headline_link(
    dom: &Dom<'_>,
    m: &Measures,
    a: usize,
    own_text: &mut HashMap<usize, u32>,
) -> bool {
    let Some(block) = dom.ancestors(a).find(|&b| is_block(dom.nodes[b].tag)) else {
        return false;
    };
    let own = *own_text.entry(block).or_insert_with(|| {
        let in_child_blocks: u32 = dom
            .children(block)
            .filter(|&c| dom.nodes[c].is_elem() && is_block(dom.nodes[c].tag) && !m.skip[c])
            .map(|c| m.text[c])
            .sum();
        m.text[block].saturating_sub(in_child_blocks)
    });
    m.text[a] * 2 >= own
        && dom.nodes[block].parent != NONE
        && dom.nodes[a]
            .attr("href")
            .is_some_and(|h| other_page_of_the_site(h, m.site.as_deref()))
        && dom.text(a).split_whitespace().count() >= MIN_HEADLINE_WORDS
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
        teaser_list(&dom, &m, list)
    }

    #[test]
    fn teaser_links_go_to_other_pages_of_the_site() {
        let site = Some("news.test");
        assert!(other_page_of_the_site("/2024/03/story", site));
        assert!(other_page_of_the_site("https://www.News.test/story", site));
        assert!(other_page_of_the_site("//news.test/story", site));
        assert!(other_page_of_the_site("https://shop.test/p/1", None));
        // Anchors of a table of contents, shops, other sites, scripts.
        assert!(!other_page_of_the_site("#best-jacket", site));
        assert!(!other_page_of_the_site(
            "https://shop.test/p/1?tag=aff",
            site
        ));
        assert!(!other_page_of_the_site("JavaScript:void(0)", site));
        assert!(!other_page_of_the_site("mailto:desk@news.test", site));
        assert_eq!(site_of("WWW.News.test"), "news.test");
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
