//! Assembling an [`Article`], one field at a time: the profile's selectors first, then
//! JSON-LD, meta tags, microdata, `<time>` elements, visible text, the URL, and relative
//! dates as a last resort. Each field lives in its own file:
//!
//! - `heading`: the title and the article's main heading;
//! - `text`: the body (generic or profile), with the stand-first;
//! - `category`: categories and tags;
//! - `authors`: author names;
//! - `published` and `modified`: the dates (`date_signals`: what they share;
//!   `date_fallbacks` and `datelines`: labelled dates and datelines),
//!   `date_search`: the last resort over the visible text.
//!
//! Every field records the method that found it in [`Article::methods`].

mod authors;
mod category;
mod date_aside;
mod date_fallbacks;
mod date_search;
mod date_signals;
mod datelines;
mod heading;
mod modified;
mod published;
mod script_dates;
mod text;

use std::collections::BTreeMap;

use super::body::Measures;
use super::dom::{Dom, NONE, collapse};
use super::hints;
use super::meta::Meta;
use super::{Article, FoundLink, LinkSource, PageInput, ProfileSelectors};

/// Paragraph text of a teaser at most (characters): a longer post-like element without
/// the heading is the article's body.
const MAX_TEASER_TEXT: u32 = 400;

/// A value and the method that found it (see [`Article::methods`]).
type Found<T> = (T, &'static str);

/// A source of names (categories, authors) and the method it stands for.
type NameSource = (fn(&Context<'_, '_>) -> Vec<String>, &'static str);

/// What every field's extraction reads: the page, its flat DOM and metadata, the body
/// measures, and which elements lie in noisy areas.
struct Context<'a, 'b> {
    page: &'b PageInput<'b>,
    dom: &'b Dom<'a>,
    meta: &'b Meta,
    measures: Measures,
    /// Elements in noisy areas (comments, sidebars, related, page footer).
    noise: Vec<bool>,
    /// Numeric dates are read month first (`en`, `en-US` pages).
    month_first: bool,
    profile: Option<&'b ProfileSelectors>,
    /// The first `h1` outside noisy areas: the article's heading.
    heading: Option<usize>,
    /// The nearest post-like element holding each node (`<article>`, `.hentry`,
    /// `.type-post`, `.wp-block-post`), or `NONE`: one pass, for [`Context::in_other_post`].
    post_of: Vec<usize>,
    /// The address a browser noted when the page was saved to disk
    /// (`<!-- saved from url=(0042)https://… -->`).
    saved_from: Option<String>,
}

impl<'a, 'b> Context<'a, 'b> {
    fn new(
        page: &'b PageInput<'b>,
        dom: &'b Dom<'a>,
        meta: &'b Meta,
        profile: Option<&'b ProfileSelectors>,
    ) -> Self {
        let mut measures = Measures::new(dom);
        measures.site = page.url.host_str().map(super::teasers::site_of);
        let noise = noise_flags(dom, &measures);
        let month_first = meta
            .language()
            .is_some_and(|(lang, _)| lang == "en-US" || lang == "en");
        let heading = (0..dom.nodes.len()).find(|&i| dom.nodes[i].tag == "h1" && !noise[i]);
        Context {
            saved_from: saved_from_url(page.body),
            post_of: nearest_posts(dom),
            heading,
            page,
            dom,
            meta,
            measures,
            noise,
            month_first,
            profile,
        }
    }

    /// The page's own URLs: as fetched, canonical, `og:url`, AMP version.
    fn own_urls(&self) -> impl Iterator<Item = &str> {
        [
            Some(self.page.url.as_str()),
            self.meta.canonical.as_deref(),
            self.meta.tag(&["og:url"]),
            self.meta.amp_url.as_deref(),
            self.saved_from.as_deref(),
        ]
        .into_iter()
        .flatten()
    }

    /// Lower-case `class id` of an element.
    fn class_and_id(&self, i: usize) -> String {
        let n = &self.dom.nodes[i];
        format!("{} {}", n.class, n.id).to_ascii_lowercase()
    }

    /// True if `i` belongs to another post than the article (a teaser, a "More posts"
    /// loop): its nearest post-like ancestor (`<article>`, `.hentry`, `.type-post`,
    /// `.wp-block-post`) does not hold the article's heading.
    fn in_other_post(&self, i: usize) -> bool {
        let Some(heading) = self.heading else {
            return false;
        };
        let dom = self.dom;
        let parent = dom.nodes[i].parent;
        let post = if parent == NONE {
            NONE
        } else {
            self.post_of[parent]
        };
        // A teaser is short: an article's body outside the heading's container is not one.
        post != NONE && !dom.contains(post, heading) && self.measures.good[post] < MAX_TEASER_TEXT
    }

    /// The first `h1` of the page (noisy areas included).
    fn first_h1(&self) -> Option<usize> {
        self.dom.nodes.iter().position(|n| n.tag == "h1")
    }
}

/// For each node, the nearest post-like element that holds it (itself included), or
/// `NONE`: `<article>`, or a class `hentry`, `type-post`, `wp-block-post`.
fn nearest_posts(dom: &Dom<'_>) -> Vec<usize> {
    let mut post_of = vec![NONE; dom.nodes.len()];
    for (i, n) in dom.nodes.iter().enumerate() {
        let post_like = n.tag == "article"
            || (!n.class.is_empty()
                && n.class.split_ascii_whitespace().any(|c| {
                    ["hentry", "type-post", "wp-block-post"]
                        .iter()
                        .any(|w| c.eq_ignore_ascii_case(w))
                }));
        post_of[i] = if post_like {
            i
        } else if n.parent != NONE {
            post_of[n.parent]
        } else {
            NONE
        };
    }
    post_of
}

/// Bytes at the start of a page where a browser writes the address it was saved from.
const SAVED_FROM_WINDOW: usize = 1024;

/// The address in a "saved from url" comment at the start of a page saved by a browser.
fn saved_from_url(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(SAVED_FROM_WINDOW)];
    let at = memchr::memmem::find(head, b"saved from url=(")?;
    let rest = &head[at + b"saved from url=(".len()..];
    let close = memchr::memchr(b')', rest)?;
    let url: Vec<u8> = rest[close + 1..]
        .iter()
        .take_while(|b| !b.is_ascii_whitespace())
        .copied()
        .collect();
    let url = String::from_utf8(url).ok()?;
    let url = url.strip_suffix("-->").unwrap_or(&url).to_string();
    url.starts_with("http").then_some(url)
}

/// Builds the article of a page.
pub fn build(
    page: &PageInput<'_>,
    dom: &Dom<'_>,
    meta: &Meta,
    profile: Option<&ProfileSelectors>,
    related: &[usize],
    links: &[FoundLink],
) -> Article {
    let cx = Context::new(page, dom, meta, profile);
    let mut article = Article {
        url: page.url.to_string(),
        canonical_url: canonical_url(page, meta),
        noindex: meta.noindex(),
        ..Article::default()
    };
    let methods = &mut article.methods;
    article.title = record(methods, "title", heading::title(&cx));
    article.authors = record(methods, "authors", authors::authors(&cx)).unwrap_or_default();
    let body = text::body(&cx, article.title.as_deref(), related, &article.authors);
    article.body = record(methods, "body", body.text);
    article.categories =
        record(methods, "categories", category::categories(&cx)).unwrap_or_default();
    article.tags = record(methods, "tags", category::tags(&cx)).unwrap_or_default();
    let heading = body
        .heading
        .or_else(|| heading::main_heading(&cx, article.title.as_deref(), &body.roots));
    if let Some((date, how)) = published::publication(&cx, heading, article.body.as_deref()) {
        article.published = Some(date.when);
        article.published_day = Some(date.day);
        methods.insert("published".into(), how.into());
    }
    article.modified = record(methods, "modified", modified::modified(&cx));
    if article.modified.is_none() && article.published.is_some() {
        // No update shown: the article is as published (WordPress themes, for one, show
        // the update date only when it differs).
        article.modified = article.published.clone();
        methods.insert("modified".into(), "published".into());
    }
    article.language = record(methods, "language", meta.language());
    article.description = record(methods, "description", description(meta));
    article.related = links
        .iter()
        .filter(|l| l.related && l.source == LinkSource::Anchor)
        .map(|l| l.url.to_string())
        .collect();
    if !article.related.is_empty() {
        let how = if profile.and_then(|s| s.related.as_ref()).is_some() {
            "selector"
        } else {
            "text"
        };
        methods.insert("related".into(), how.into());
    }
    article
}

/// Keeps a found value and writes its method in the trace.
fn record<T>(
    methods: &mut BTreeMap<String, String>,
    field: &str,
    found: Option<Found<T>>,
) -> Option<T> {
    let (value, how) = found?;
    methods.insert(field.to_string(), how.to_string());
    Some(value)
}

/// `<link rel="canonical">` or `og:url`, absolute, http(s) only, fragment dropped. A
/// comment page is no canonical: WordPress's block themes name the last comment page
/// (`/slug/comment-page-3/#comments`) as the canonical URL of a post with paged comments.
fn canonical_url(page: &PageInput<'_>, meta: &Meta) -> Option<String> {
    meta.canonical
        .as_deref()
        .or(meta.tag(&["og:url"]))
        .and_then(|c| page.url.join(c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") && !super::kind::is_comment_page(u))
        .map(|mut u| {
            u.set_fragment(None);
            u.to_string()
        })
}

fn description(meta: &Meta) -> Option<Found<String>> {
    if let Some(d) = meta.tag(&["description", "og:description", "twitter:description"]) {
        return Some((d.to_string(), "meta"));
    }
    meta.ld_str("description").map(|d| (d, "json-ld"))
}

/// Elements in noisy areas (comments, sidebars, related, page footer) for dates and categories.
/// A region named as noise that wraps the page's layout (it holds the main heading or
/// `<main>`, or half of the paragraph text: `layoutTwoColumnsRightSidebar`,
/// `has-sidebar`, Blogger's `widget Blog`) is not one, unless named as comments; a
/// footer inside the article or named for it (`entry-footer`, Blogger's `post-footer`
/// in `.hentry`, `artikelfooter`) is the article's, not the page's.
fn noise_flags(dom: &Dom<'_>, measures: &Measures) -> Vec<bool> {
    let count = dom.nodes.len();
    let wrapper = layout_wrappers(dom, measures);
    let mut noisy_area = vec![false; count];
    let mut in_article = vec![false; count];
    let h1s: Vec<usize> = (0..count).filter(|&i| dom.nodes[i].tag == "h1").collect();
    let holds_h1 = |i: usize| {
        let after = h1s.partition_point(|&h| h <= i);
        h1s.get(after).is_some_and(|&h| h < dom.nodes[i].end)
    };
    for i in 0..count {
        let node = &dom.nodes[i];
        let parent = node.parent;
        let inherited = parent != NONE && noisy_area[parent];
        in_article[i] = (parent != NONE && in_article[parent]) || is_post_like(node);
        if inherited || !node.is_elem() {
            noisy_area[i] = inherited;
            continue;
        }
        let hint = measures.hint[i];
        let footer_named = hint & hints::FOOTER != 0;
        let noise_named = hint & hints::NOISE != 0;
        // A region named exactly as a sidebar inside the post that holds the post's
        // heading is the post's own column (`<article><div id="sidebar"><header><h1>`).
        let exact = hint & hints::EXACT != 0 && !(in_article[i] && holds_h1(i));
        let strict = hint & hints::STRICT != 0 || exact;
        let article_footer = in_article[i] || (footer_named && hint & hints::CONTENT != 0);
        let page_footer =
            (node.tag == "footer" || footer_named) && !article_footer && (!wrapper[i] || strict);
        noisy_area[i] = matches!(node.tag, "aside" | "nav")
            || page_footer
            || matches!(node.role, "complementary" | "navigation" | "contentinfo")
            || (noise_named
                && !matches!(node.tag, "body" | "html" | "article" | "main")
                && (strict || !wrapper[i]));
    }
    noisy_area
}

/// An element that holds one post: `<article>`, `<main>`, a post's class (`hentry`,
/// `h-entry`, `post`, `type-post`) or an article's microdata type.
fn is_post_like(node: &super::dom::FNode<'_>) -> bool {
    matches!(node.tag, "article" | "main")
        || node.class.split_ascii_whitespace().any(|c| {
            ["hentry", "h-entry", "post", "type-post"]
                .iter()
                .any(|w| c.eq_ignore_ascii_case(w))
        })
        || node
            .attr("itemtype")
            .is_some_and(|t| t.contains("Article") || t.contains("BlogPosting"))
}

/// Layout wrappers: elements that hold the page's `h1` or `<main>`, or at least half of
/// its paragraph text.
fn layout_wrappers(dom: &Dom<'_>, measures: &Measures) -> Vec<bool> {
    let count = dom.nodes.len();
    let total = measures.good.first().copied().unwrap_or(0).max(1);
    let mut wrapper = vec![false; count];
    for i in (0..count).rev() {
        let node = &dom.nodes[i];
        if matches!(node.tag, "h1" | "main") || node.role == "main" {
            wrapper[i] = true;
        }
        if measures.good[i] > 0 && measures.good[i] * 2 >= total {
            wrapper[i] = true;
        }
        let parent = node.parent;
        if parent != NONE && wrapper[i] {
            wrapper[parent] = true;
        }
    }
    // The elements right before and after the first `h1` (a kicker or a dateline named
    // `teaser-meta`) belong to the heading.
    if let Some(h1) = dom.nodes.iter().position(|n| n.tag == "h1") {
        let parent = dom.nodes[h1].parent;
        let sibling = |j: &usize| dom.nodes[*j].parent == parent && dom.nodes[*j].is_elem();
        let (first, end) = if parent == NONE {
            (0, count)
        } else {
            (parent + 1, dom.nodes[parent].end)
        };
        let before = (first..h1).rev().find(sibling);
        let after = (dom.nodes[h1].end..end).find(sibling);
        for j in before.into_iter().chain(after) {
            if dom.nodes[j].end - j <= MAX_HEADING_NEIGHBOUR_NODES {
                wrapper[j] = true;
            }
        }
    }
    wrapper
}

/// A neighbour of the heading larger than this (nodes) is a block of its own.
const MAX_HEADING_NEIGHBOUR_NODES: usize = 40;

/// Matches that are not inside an earlier match.
fn top_level(dom: &Dom<'_>, mut matches: Vec<usize>) -> Vec<usize> {
    matches.sort_unstable();
    let mut out: Vec<usize> = Vec::new();
    for i in matches {
        if out.last().is_some_and(|&o| dom.contains(o, i)) {
            continue;
        }
        out.push(i);
    }
    out
}

/// Strings with whitespace collapsed, empty ones and case-insensitive repeats removed.
fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let value = collapse(&value);
        if !value.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&value)) {
            out.push(value);
        }
    }
    out
}

/// Texts of the links under `i`.
fn anchor_texts(dom: &Dom<'_>, i: usize) -> Vec<String> {
    (i..dom.nodes[i].end)
        .filter(|&j| dom.nodes[j].tag == "a")
        .map(|j| dom.text(j))
        .filter(|t| !t.is_empty())
        .collect()
}
