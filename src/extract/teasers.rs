//! Page furniture and teasers, never article text: short lines of the page's chrome
//! ("Advertisement", "Share", a byline's date line) and lists of teasers (headline links,
//! each with a short blurb) beside the article.

use std::collections::HashMap;

use super::dom::{Dom, NONE, is_block};

/// True when the text ends a sentence.
pub(super) fn ends_sentence(s: &str) -> bool {
    s.trim_end().chars().next_back().is_some_and(sentence_end)
}

/// Sentence punctuation.
pub(super) fn sentence_end(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '。' | '！' | '？' | '»' | '"' | '”' | '“' | ')' | ':' | '…' | '؟' | '।'
    )
}

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

/// What the teaser test reads of the page's measures (`body::Measures`).
pub(super) struct Teasers<'m> {
    /// Inside an ignored element.
    pub skip: &'m [bool],
    /// Text length of each subtree.
    pub text: &'m [u32],
    /// Paragraph text of each subtree.
    pub good: &'m [u32],
    /// The page's site (`site_of` its host), if known.
    pub site: Option<&'m str>,
}

impl Teasers<'_> {
    /// True when the subtree of `i` is a list of teasers: headline links (a link that is
    /// most of its block's own text, a headline's length, to another page of the site)
    /// with short blurbs (no paragraph longer), the way sites list other articles ("more
    /// news", a section's latest stories) next to the article.
    pub(super) fn list(&self, dom: &Dom<'_>, i: usize) -> bool {
        let end = dom.nodes[i].end;
        // Own text of each block met (its children are read once per block).
        let mut own_text: HashMap<usize, u32> = HashMap::new();
        let mut headlines = 0usize;
        let mut j = i + 1;
        while j < end {
            let n = &dom.nodes[j];
            if self.skip[j] {
                j = n.end.max(j + 1);
                continue;
            }
            // A paragraph longer than a blurb: article text, not a list of teasers.
            if n.tag == "p" && self.good[j] > MAX_BLURB_CHARS {
                return false;
            }
            if n.tag == "a" && self.text[j] > 0 && self.headline_link(dom, j, &mut own_text) {
                headlines += 1;
                j = n.end.max(j + 1);
                continue;
            }
            j += 1;
        }
        headlines >= MIN_HEADLINES && self.good[i] <= MAX_BLURB_CHARS * headlines as u32
    }

    /// A link that is most of its block's own text (the text outside the block's child
    /// blocks: a headline, maybe with a short byline beside it), as long as a headline, to
    /// another page of the site.
    fn headline_link(&self, dom: &Dom<'_>, a: usize, own_text: &mut HashMap<usize, u32>) -> bool {
        let Some(block) = dom.ancestors(a).find(|&b| is_block(dom.nodes[b].tag)) else {
            return false;
        };
        let own = *own_text.entry(block).or_insert_with(|| {
            let in_child_blocks: u32 = dom
                .children(block)
                .filter(|&c| dom.nodes[c].is_elem() && is_block(dom.nodes[c].tag) && !self.skip[c])
                .map(|c| self.text[c])
                .sum();
            self.text[block].saturating_sub(in_child_blocks)
        });
        self.text[a] * 2 >= own
            && dom.nodes[block].parent != NONE
            && dom.nodes[a]
                .attr("href")
                .is_some_and(|h| other_page_of_the_site(h, self.site))
            && dom.text(a).split_whitespace().count() >= MIN_HEADLINE_WORDS
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byline_date_lines_are_furniture_but_dated_sentences_are_not() {
        assert!(furniture("7 mai 2024"));
        assert!(furniture("Publié le 3 août 2023 à 10h30"));
        assert!(!furniture("Le 7 mai 2024, le ministre a parlé."));
        assert!(!furniture("Un paragraphe sans date"));
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
}
