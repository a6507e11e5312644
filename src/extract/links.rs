//! Links of a page (anchors and page requisites) and the related-articles blocks
//! ("À lire aussi", "Lire aussi", "Voir aussi", "Read also", "Related", "See also" …).

use foldhash::HashMap;

use url::Url;

use super::dom::{Dom, NONE, push_collapsed};
use super::{FoundLink, LinkSource};

/// Labels that open a related-articles block (normalised: lower case, no accents on `a`,
/// no trailing colon, single spaces).
const RELATED_LABELS: &[&str] = &[
    "à lire aussi",
    "a lire aussi",
    "à lire également",
    "a lire également",
    "lire aussi",
    "lire également",
    "voir aussi",
    "read also",
    "read more",
    "related",
    "related articles",
    "related stories",
    "related posts",
    "related content",
    "related links",
    "see also",
    "sur le même sujet",
    "dans la même rubrique",
    "à voir aussi",
    "a voir aussi",
    "à découvrir aussi",
    "vous aimerez aussi",
    "vous aimerez aussi",
    "more on this story",
    "more on this topic",
    "more from",
    "read next",
    "read more",
    "see more",
    "you may also like",
    "you might also like",
    "you may be interested in",
    "recommended",
    "recommended for you",
    "recommended stories",
    "more stories",
    "also read",
    "further reading",
    "related coverage",
    "related reading",
    "auch interessant",
    "das könnte sie auch interessieren",
    "das könnte dich auch interessieren",
    "das thema könnte dich auch interessieren",
    "das thema könnte sie auch interessieren",
    "dies könnte sie auch interessieren",
    "mehr zum thema",
    "weitere artikel",
    "weitere beiträge",
    "ähnliche beiträge",
    "ähnliche artikel",
    "verwandte artikel",
    "lesen sie auch",
    "lesen sie dazu auch",
    "lies auch",
    "passend dazu",
    "zum weiterlesen",
    "zum thema",
    "te puede interesar",
    "también te puede interesar",
    "lee también",
    "leer también",
    "artículos relacionados",
    "noticias relacionadas",
    "leggi anche",
    "articoli correlati",
    "potrebbe interessarti anche",
    "leia também",
    "veja também",
    "artigos relacionados",
    "lees ook",
    "gerelateerde artikelen",
    "przeczytaj też",
    "przeczytaj także",
    "zobacz też",
    "zobacz także",
];

/// Normalises a candidate label: NBSP to space, trailing colons/dashes removed, lower case.
pub fn normalise_label(s: &str) -> String {
    with_normalised_label(s, str::to_string)
}

/// Calls `then` with `s` normalised as [`normalise_label`] does, copying it only where a
/// step changes it (most labels are ASCII, lower case and single-spaced already).
fn with_normalised_label<T>(s: &str, then: impl FnOnce(&str) -> T) -> T {
    use std::borrow::Cow;
    let spaced: Cow<'_, str> = if s.contains(['\u{a0}', '\u{202f}']) {
        Cow::Owned(s.replace(['\u{a0}', '\u{202f}'], " "))
    } else {
        Cow::Borrowed(s)
    };
    let mut collapsed = String::with_capacity(spaced.len());
    push_collapsed(&mut collapsed, &spaced);
    let trimmed = collapsed.trim();
    let lower: Cow<'_, str> = if trimmed.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
        Cow::Owned(trimmed.to_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    };
    then(
        lower
            .trim_end_matches([':', ' ', '-', '–', '—', '.', '»', '›', '>'])
            .trim_start_matches(['»', '›', '>', ' ']),
    )
}

/// True if `s` is a related-block label.
pub fn is_related_label(s: &str) -> bool {
    if s.len() > 60 {
        return false;
    }
    with_normalised_label(s, |n| RELATED_LABELS.contains(&n))
}

/// Elements that may carry a label.
fn label_tag(tag: &str) -> bool {
    matches!(
        tag,
        "h1" | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "strong"
            | "b"
            | "span"
            | "p"
            | "div"
            | "label"
            | "dt"
            | "em"
            | "header"
            | "figcaption"
            | "legend"
            | "caption"
    )
}

/// Finds the related-articles blocks: returns the container element indices whose
/// anchors are related links.
pub fn related_blocks(dom: &Dom<'_>, profile_related: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = profile_related.to_vec();
    let n = dom.nodes.len();
    let mut i = 0;
    while i < n {
        let node = &dom.nodes[i];
        if !node.is_elem() || !label_tag(node.tag) {
            i += 1;
            continue;
        }
        // Cheap pre-check on the subtree's text size.
        let text = label_text(dom, i);
        let Some(text) = text else {
            i += 1;
            continue;
        };
        if is_related_label(&text) {
            // Climb while the ancestor holds nothing but the label.
            let mut label = i;
            for _ in 0..3 {
                let p = dom.nodes[label].parent;
                if p == NONE
                    || !matches!(
                        dom.nodes[p].tag,
                        "span"
                            | "strong"
                            | "b"
                            | "div"
                            | "header"
                            | "h2"
                            | "h3"
                            | "h4"
                            | "p"
                            | "em"
                    )
                {
                    break;
                }
                if label_text(dom, p).is_some_and(|t| normalise_label(&t) == normalise_label(&text))
                {
                    label = p;
                } else {
                    break;
                }
            }
            if let Some(c) = container_for(dom, label) {
                out.push(c);
                // The label itself is part of the block (dropped from the body too).
                if !dom.contains(c, label) {
                    out.push(label);
                }
            }
            i = dom.nodes[i].end.max(i + 1);
            continue;
        }
        // `<p>Lire aussi : <a>…</a></p>` with a bare text label.
        if matches!(node.tag, "p" | "li" | "div") {
            let mut j = i + 1;
            while j < node.end && dom.nodes[j].is_elem() && !matches!(dom.nodes[j].tag, "a") {
                j += 1;
            }
            if j < node.end && !dom.nodes[j].is_elem() {
                let t = dom.nodes[j].text;
                if let Some(colon) = t.find(':')
                    && is_related_label(&t[..colon])
                    && has_anchor(dom, i)
                {
                    out.push(i);
                }
            }
        }
        i += 1;
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Text of a small element (None when it holds more than a label's worth of text).
fn label_text(dom: &Dom<'_>, i: usize) -> Option<String> {
    let node = &dom.nodes[i];
    let mut len = 0;
    for j in i + 1..node.end {
        let n = &dom.nodes[j];
        if n.tag == "a" {
            return None;
        }
        if !n.is_elem() {
            len += n.text.len();
            if len > 80 {
                return None;
            }
        }
    }
    if len == 0 {
        return None;
    }
    Some(dom.text(i))
}

fn has_anchor(dom: &Dom<'_>, i: usize) -> bool {
    (i + 1..dom.nodes[i].end)
        .any(|j| dom.nodes[j].tag == "a" && dom.nodes[j].attr("href").is_some())
}

/// True if a subtree is mostly links (once the label's own text is set aside).
fn linky(dom: &Dom<'_>, i: usize, label_len: usize) -> bool {
    let (text, link) = text_and_link_len(dom, i);
    let other = text.saturating_sub(link).saturating_sub(label_len);
    link > 0 && (other < 100 || link * 10 >= (text - label_len.min(text)) * 4)
}

/// The element holding the related links of a label.
fn container_for(dom: &Dom<'_>, label: usize) -> Option<usize> {
    let label_len = text_and_link_len(dom, label).0;
    let parent = dom.nodes[label].parent;
    if parent != NONE && has_anchor(dom, parent) && linky(dom, parent, label_len) {
        return Some(parent);
    }
    // Otherwise the next element sibling (a list, a div of links).
    let mut j = dom.nodes[label].end;
    let pend = if parent == NONE {
        dom.nodes.len()
    } else {
        dom.nodes[parent].end
    };
    let mut steps = 0;
    while j < pend && steps < 3 {
        let n = &dom.nodes[j];
        if n.is_elem() {
            if n.tag.starts_with('h') && n.tag.len() == 2 {
                return None;
            }
            if n.tag == "a" || (has_anchor(dom, j) && linky(dom, j, 0)) {
                return Some(j);
            }
            if has_anchor(dom, j) {
                return None;
            }
            steps += 1;
            j = n.end.max(j + 1);
        } else {
            j += 1;
        }
    }
    None
}

/// Text length and text-inside-links length of a subtree (bytes, approximate).
pub fn text_and_link_len(dom: &Dom<'_>, i: usize) -> (usize, usize) {
    let end = dom.nodes[i].end;
    let mut text = 0;
    let mut link = 0;
    let mut link_end = 0;
    let mut j = i + 1;
    while j < end {
        let n = &dom.nodes[j];
        if n.tag == "a" {
            link_end = link_end.max(n.end);
        }
        if !n.is_elem() {
            let l = n.text.trim().len();
            text += l;
            if j < link_end {
                link += l;
            }
        }
        j += 1;
    }
    (text, link)
}

/// Every link of the page, deduplicated, in document order, at most `max_links` of them
/// (the first ones). `related` holds container indices from [`related_blocks`]. The
/// page's first `<link rel="canonical">` is a link too ([`LinkSource::Canonical`]).
/// Anchors marked `rel="nofollow"` whose URL differs from a known one (the page's own,
/// or another link of the page) only by added query parameters are left out (see
/// [`drop_nofollow_variants`]).
pub fn collect_links(
    dom: &Dom<'_>,
    page_url: &Url,
    related: &[usize],
    max_links: usize,
) -> Vec<FoundLink> {
    // <base href> (the first one with an href), resolved against the page URL.
    let base = dom
        .nodes
        .iter()
        .find(|n| n.tag == "base" && n.attr("href").is_some())
        .and_then(|n| n.attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone());
    // Each absolute URL found: its link's index.
    let mut seen: HashMap<String, usize> =
        HashMap::with_capacity_and_hasher(128, Default::default());
    // Raw hrefs already resolved: their link's index (None: not a crawlable URL).
    let mut done: HashMap<(&str, LinkSource), Option<usize>> =
        HashMap::with_capacity_and_hasher(128, Default::default());
    let mut out: Vec<FoundLink> = Vec::new();
    // Parallel to `out`: every occurrence of the link so far was a nofollow anchor.
    let mut nofollow_only: Vec<bool> = Vec::new();
    let mut canonical_seen = false;
    let in_related = |i: usize| related.iter().any(|&c| dom.contains(c, i));
    for (i, n) in dom.nodes.iter().enumerate() {
        let rel = || n.attr("rel").unwrap_or("");
        let has_rel = |word: &str| {
            rel()
                .split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(word))
        };
        let (href, source) = match n.tag {
            "a" | "area" => (n.attr("href"), LinkSource::Anchor),
            "link" if has_rel("stylesheet") => (n.attr("href"), LinkSource::Asset),
            "link" if has_rel("canonical") && !canonical_seen => {
                canonical_seen = true;
                (n.attr("href"), LinkSource::Canonical)
            }
            "script" | "img" => (n.attr("src"), LinkSource::Asset),
            _ => continue,
        };
        let Some(href) = href else { continue };
        let related = source == LinkSource::Anchor && in_related(i);
        let nofollow = source == LinkSource::Anchor && has_rel("nofollow");
        if let Some(&known) = done.get(&(href, source)) {
            if let Some(k) = known {
                out[k].related |= related;
                nofollow_only[k] &= nofollow;
            }
            continue;
        }
        if out.len() >= max_links || done.len() >= max_links.saturating_mul(4) {
            // The bound is reached: later links are not read (nor remembered).
            break;
        }
        let Some(url) = resolve_cached(&base, href) else {
            done.insert((href, source), None);
            continue;
        };
        match seen.get(url.as_str()) {
            Some(&k) => {
                done.insert((href, source), Some(k));
                out[k].related |= related;
                nofollow_only[k] &= nofollow;
            }
            None => {
                seen.insert(url.as_str().to_string(), out.len());
                done.insert((href, source), Some(out.len()));
                out.push(FoundLink {
                    url,
                    related,
                    source,
                });
                nofollow_only.push(nofollow);
            }
        }
    }
    drop_nofollow_variants(out, &nofollow_only, page_url)
}

/// The query pairs of a URL (raw `name=value` texts, empty ones left out).
fn query_pairs(url: &Url) -> Vec<&str> {
    url.query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .collect()
}

/// Leaves out the links that were only ever nofollow anchors (`nofollow_only`, parallel
/// to `links`) and whose URL is a known URL (the page's own or another link's) with
/// query parameters added: comment-reply links (`?replytocom=5`), share and like buttons
/// (`?share=x`, `?like_comment=3`), calendar or sort switches of the same page. Such links
/// lead to copies of a page the crawl already has; a nofollow link to another path, or
/// one whose query differs in a parameter the known URL has, is kept.
fn drop_nofollow_variants(
    links: Vec<FoundLink>,
    nofollow_only: &[bool],
    page: &Url,
) -> Vec<FoundLink> {
    let candidate =
        |i: usize| nofollow_only[i] && links[i].url.query().is_some_and(|q| !q.is_empty());
    if !(0..links.len()).any(candidate) {
        return links;
    }
    // Known URLs by everything before the query: their query pairs.
    let mut known: HashMap<&str, Vec<Vec<&str>>> = HashMap::default();
    let before_query = |u: &Url| u[..url::Position::AfterPath].to_string();
    let keys: Vec<String> = links.iter().map(|l| before_query(&l.url)).collect();
    let page_key = before_query(page);
    known.entry(&page_key).or_default().push(query_pairs(page));
    for (i, link) in links.iter().enumerate() {
        if !candidate(i) {
            known
                .entry(&keys[i])
                .or_default()
                .push(query_pairs(&link.url));
        }
    }
    // On a script root (`/`, `/index.php`), the query names the document (WordPress's
    // plain permalinks `/?p=123`, `/?page_id=2`, `/?cat=3`): the bare root is another page,
    // not the one the link varies.
    let variant = |i: usize| {
        let pairs = query_pairs(&links[i].url);
        let root = is_script_root(&links[i].url);
        known.get(keys[i].as_str()).is_some_and(|sets| {
            sets.iter().any(|k| {
                !(root && k.is_empty())
                    && k.len() < pairs.len()
                    && k.iter().all(|p| pairs.contains(p))
            })
        })
    };
    let drop: Vec<bool> = (0..links.len())
        .map(|i| candidate(i) && variant(i))
        .collect();
    links
        .into_iter()
        .zip(drop)
        .filter_map(|(link, drop)| (!drop).then_some(link))
        .collect()
}

/// True for a site's root or a script (`/`, `/index.php`, `/article.php`): paths whose
/// query string selects the document.
fn is_script_root(url: &Url) -> bool {
    let path = url.path();
    path == "/"
        || [".php", ".asp", ".aspx", ".jsp", ".cgi", ".pl"]
            .iter()
            .any(|ext| path.to_ascii_lowercase().ends_with(ext))
}

/// Entries of each generation of a thread's [`resolve_cached`] memory.
const RESOLVED_GENERATION: usize = 2048;

/// Hrefs resolved, by the part of the base their result depends on (`""` for absolute
/// hrefs, the base up to its path for `/…` ones), then by href.
type Resolved = HashMap<String, HashMap<String, Option<Url>>>;

/// A thread's memory of resolved hrefs, in two generations: once the young one is full it
/// becomes the old one (the older is dropped), and an href found in the old one is
/// brought back. The links every page of a site has stay; those of one page go.
#[derive(Default)]
struct ResolvedMemory {
    young: Resolved,
    young_len: usize,
    old: Resolved,
}

impl ResolvedMemory {
    fn get(&mut self, origin: &str, href: &str) -> Option<Option<Url>> {
        if let Some(url) = self.young.get(origin).and_then(|m| m.get(href)) {
            return Some(url.clone());
        }
        let url = self.old.get(origin).and_then(|m| m.get(href))?.clone();
        self.put(origin, href, url.clone());
        Some(url)
    }

    fn put(&mut self, origin: &str, href: &str, url: Option<Url>) {
        if self.young_len >= RESOLVED_GENERATION {
            self.old = std::mem::take(&mut self.young);
            self.young_len = 0;
        }
        self.young_len += 1;
        self.young
            .entry(origin.to_string())
            .or_default()
            .insert(href.to_string(), url);
    }
}

thread_local! {
    static RESOLVED: std::cell::RefCell<ResolvedMemory> = std::cell::RefCell::default();
}

/// [`resolve`], remembering the hrefs whose result depends on the base's origin alone:
/// absolute ones (`https://…`) and those starting at the root (`/…`). A site's menus,
/// footers and category links repeat on all of its pages; each is parsed once per
/// thread rather than once per page.
fn resolve_cached(base: &Url, href: &str) -> Option<Url> {
    let trimmed = href.trim_matches(|c: char| c.is_ascii_whitespace());
    let bytes = trimmed.as_bytes();
    let absolute = bytes.len() > 8
        && (bytes[..7].eq_ignore_ascii_case(b"http://")
            || bytes[..8].eq_ignore_ascii_case(b"https://"));
    let rooted = bytes.first() == Some(&b'/') && bytes.get(1) != Some(&b'/');
    if !absolute && !rooted {
        return resolve(base, href);
    }
    let origin = if absolute {
        ""
    } else {
        &base[..url::Position::BeforePath]
    };
    if let Some(url) = RESOLVED.with(|m| m.borrow_mut().get(origin, trimmed)) {
        return url;
    }
    let url = resolve(base, href);
    RESOLVED.with(|m| m.borrow_mut().put(origin, trimmed, url.clone()));
    url
}

/// Resolves an href: http(s) only, fragment removed.
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let lower: String = href
        .chars()
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    if [
        "javascript:",
        "mailto:",
        "tel:",
        "data:",
        "sms:",
        "about:",
        "file:",
        "ftp:",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    fn links(html: &str, url: &str) -> Vec<FoundLink> {
        let doc = parse(html.into(), 512);
        let dom = Dom::new(&doc);
        let rel = related_blocks(&dom, &[]);
        collect_links(&dom, &Url::parse(url).unwrap(), &rel, 10_000)
    }

    #[test]
    fn remembered_resolutions_are_the_resolutions() {
        let bases = [
            "http://a.test/x/y.html",
            "https://a.test/x/",
            "http://a.test:8080/z",
            "http://user@b.test/q?x=1",
        ];
        let hrefs = [
            "/menu",
            " /menu#top ",
            "//c.test/p",
            "HTTPS://D.test/Q?a=1#f",
            "http://e.test",
            "rel/ative",
            "?q=2",
            "/a b/%7e",
            "mailto:x@y.z",
            "/",
        ];
        for _ in 0..2 {
            for b in bases {
                let base = Url::parse(b).unwrap();
                for h in hrefs {
                    assert_eq!(resolve_cached(&base, h), resolve(&base, h), "{h} on {b}");
                }
            }
        }
    }

    #[test]
    fn remembered_resolutions_survive_many_other_links() {
        let base = Url::parse("http://a.test/x/y.html").unwrap();
        for i in 0..3 * RESOLVED_GENERATION {
            let href = format!("/article-{i}.html");
            assert_eq!(resolve_cached(&base, &href), resolve(&base, &href));
            assert_eq!(resolve_cached(&base, "/menu"), resolve(&base, "/menu"));
        }
        let kept = RESOLVED.with(|m| m.borrow_mut().get("http://a.test", "/menu"));
        assert_eq!(kept, Some(resolve(&base, "/menu")), "the common link stays");
        let gone = RESOLVED.with(|m| m.borrow_mut().get("http://a.test", "/article-0.html"));
        assert_eq!(gone, None, "one page's links go");
    }

    #[test]
    fn labels_are_normalised_as_by_copying_each_step() {
        let by_copies = |s: &str| {
            let s = s.replace(['\u{a0}', '\u{202f}'], " ");
            let s = crate::extract::dom::collapse(&s).to_lowercase();
            s.trim_end_matches([':', ' ', '-', '–', '—', '.', '»', '›', '>'])
                .trim_start_matches(['»', '›', '>', ' '])
                .to_string()
        };
        for s in [
            "À LIRE AUSSI :",
            " lire\u{a0}aussi\u{202f}: ",
            "» Read  more ›",
            "related",
            "İstanbul — ",
            "Voir\taussi\n…",
            "soft\u{ad}hyphen",
            "",
            "   ",
        ] {
            assert_eq!(normalise_label(s), by_copies(s), "{s:?}");
        }
    }

    #[test]
    fn three_related_markups() {
        let page = r#"<html><body><div class="entry-content"><p>Text with <a href="/in-text">link</a> and more words here to make it long enough to not be a block of links at all, really long.</p>
<div class="lire-aussi"><strong>À lire aussi :</strong><ul><li><a href="/r1">One</a></li><li><a href="/r2#x">Two</a></li></ul></div>
<h3 class="lire-aussi-titre">A&nbsp;lire aussi</h3><ul class="lire-aussi"><li><a href="/r3">Three</a></li></ul>
<p class="lire-aussi"><strong>Lire aussi</strong> <a href="/r4">Four</a></p>
<p>After <a href="/after">x</a></p></div>
<a href="javascript:void(0)">js</a><a href="mailto:a@b">m</a><a href="tel:1">t</a><a href="data:x">d</a>
<img src="/i.png"><script src="/s.js"></script><link rel="stylesheet" href="/c.css"></body></html>"#;
        let l = links(page, "http://h.test/a/b");
        let rel: Vec<_> = l
            .iter()
            .filter(|l| l.related)
            .map(|l| l.url.path())
            .collect();
        assert_eq!(rel, vec!["/r1", "/r2", "/r3", "/r4"]);
        let all: Vec<_> = l.iter().map(|l| l.url.path()).collect();
        assert_eq!(
            all,
            vec![
                "/in-text", "/r1", "/r2", "/r3", "/r4", "/after", "/i.png", "/s.js", "/c.css"
            ]
        );
        assert!(!all.iter().any(|p| p.contains("void")));
        let assets: Vec<_> = l
            .iter()
            .filter(|l| l.source == LinkSource::Asset)
            .map(|l| l.url.path())
            .collect();
        assert_eq!(assets, vec!["/i.png", "/s.js", "/c.css"]);
        assert!(l.iter().all(|l| l.url.fragment().is_none()));
        assert_eq!(l.len(), 9);
    }

    #[test]
    fn base_href_and_dedup() {
        let page = r#"<head><base href="http://other.test/dir/"></head><body><a href="x">1</a><a href="x#f">2</a><a href="/y">3</a><a href="ftp://z/">4</a></body>"#;
        let l = links(page, "http://h.test/a/b");
        let urls: Vec<_> = l.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, vec!["http://other.test/dir/x", "http://other.test/y"]);
    }

    #[test]
    fn the_canonical_link_is_a_link_of_its_own_kind() {
        let page = r#"<head><link rel="canonical" href="/a/"><link rel="canonical" href="/b/"><link rel="alternate" href="/feed/"></head><body><a href="/c">c</a></body>"#;
        let l = links(page, "http://h.test/a/?p=1");
        let got: Vec<_> = l.iter().map(|l| (l.url.path(), l.source)).collect();
        assert_eq!(
            got,
            vec![("/a/", LinkSource::Canonical), ("/c", LinkSource::Anchor)]
        );
    }

    #[test]
    fn nofollow_links_adding_a_query_to_a_known_url_are_left_out() {
        let page = r#"<body><a href="/post/">post</a><a href="/autre/?p=3">autre</a>
<a rel="nofollow" class="comment-reply-link" href="?replytocom=5#respond">Répondre</a>
<a rel="nofollow ugc" href="/post/?like=1">like</a>
<a rel="NoFollow" href="/autre/?p=3&amp;share=x">share</a>
<a rel="nofollow" href="/autre/?p=4">other value</a>
<a rel="nofollow" href="/login/?redirect_to=%2Fpost%2F">login</a>
<a rel="nofollow" href="/post/?page=2">page 2</a><a href="/post/?page=2">page 2 again</a>
<a href="/post/?print=1">print (followed)</a></body>"#;
        let l = links(page, "http://h.test/post/");
        let got: Vec<_> = l
            .iter()
            .map(|l| &l.url.as_str()["http://h.test".len()..])
            .collect();
        assert_eq!(
            got,
            vec![
                "/post/",
                "/autre/?p=3",
                "/autre/?p=4",
                "/login/?redirect_to=%2Fpost%2F",
                "/post/?page=2",
                "/post/?print=1",
            ]
        );
        // On a script root the query names the document: `/?p=13` is no variant of `/`.
        let plain = r#"<a href="/">home</a><a rel="nofollow" href="/?p=13">13</a>
<a rel="nofollow" href="/index.php?page_id=2">page</a><a href="/index.php">index</a>
<a rel="nofollow" href="/?p=21&amp;replytocom=5#respond">Répondre</a>"#;
        let l = links(plain, "http://h.test/?p=21");
        let got: Vec<_> = l
            .iter()
            .map(|l| &l.url.as_str()["http://h.test".len()..])
            .collect();
        assert_eq!(
            got,
            vec!["/", "/?p=13", "/index.php?page_id=2", "/index.php"]
        );
        // Without a known URL to vary, nofollow links with a query stay.
        let alone = links(
            r#"<a rel="nofollow" href="/x/?a=1">x</a>"#,
            "http://h.test/",
        );
        assert_eq!(alone.len(), 1);
    }

    #[test]
    fn labels() {
        for l in [
            "À lire aussi :",
            "A lire aussi",
            "LIRE\u{a0}AUSSI :",
            "Voir aussi",
            "Read also",
            "Related",
            "Related articles",
            "See also:",
        ] {
            assert!(is_related_label(l), "{l}");
        }
        assert!(!is_related_label("Les plus lus"));
        assert!(!is_related_label("Recent Posts"));
    }

    #[test]
    fn labels_in_other_languages_and_repeated_links() {
        let page = r#"<div><p>Text <a href="/x">x</a></p><p><strong>Auch interessant:</strong> <a href="/x">x</a></p>
<h3>Lee también</h3><ul><li><a href="/y">y</a></li></ul></div>"#;
        let l = links(page, "http://h.test/");
        let rel: Vec<_> = l
            .iter()
            .filter(|l| l.related)
            .map(|l| l.url.path())
            .collect();
        assert_eq!(rel, vec!["/x", "/y"]);
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn content_paragraph_is_not_related() {
        let page = r#"<div><strong>Related</strong><p>A very long paragraph of article text that goes on and on about many things, far longer than any block of related links would be, and which contains an <a href="/inline">inline link</a> in the middle of it, plus more words to be sure it is long enough. Still more words here. And some more to exceed the limit comfortably.</p></div>"#;
        let l = links(page, "http://h.test/");
        assert_eq!(l.len(), 1);
        assert!(!l[0].related);
    }
}
