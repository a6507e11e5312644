//! The article's body: the profile's containers, else the generic main-text search with
//! the stand-first under the title, else schema.org `articleBody` when the page shows much
//! less of the text.

use super::super::body::{self, Clean};
use super::super::body_end::trim_closing;
use super::super::body_noise::{Para, tidy};
use super::super::dom::collapse;
use super::heading::main_heading;
use super::{Context, Found, top_level};

/// The body and what later fields reuse from finding it.
pub(super) struct Body {
    /// The text and its method, when any.
    pub text: Option<Found<String>>,
    /// The containers the text was read from.
    pub roots: Vec<usize>,
    /// The article's main heading, when the generic path found it.
    pub heading: Option<usize>,
}

/// Cleaning of the profile path: the selector already chose the text.
const PROFILE_CLEANING: Clean = Clean {
    drop_link_paragraphs: false,
    drop_unlikely: false,
};

/// Cleaning of the generic path.
const GENERIC_CLEANING: Clean = Clean {
    drop_link_paragraphs: true,
    drop_unlikely: true,
};

/// Shorter generic texts are replaced by the whole page, cleaned, when that gives more.
const MIN_GENERIC_CHARS: usize = 200;

/// The article's body (`title`: the title found, to locate the heading; `authors`: the
/// authors found, to know their bio at the end of the text).
pub(super) fn body(
    cx: &Context<'_, '_>,
    title: Option<&str>,
    related: &[usize],
    authors: &[String],
) -> Body {
    let dom = cx.dom;
    let profile_roots = cx
        .profile
        .and_then(|s| s.body.as_ref())
        .map(|s| top_level(dom, dom.select(s)))
        .unwrap_or_default();
    if !profile_roots.is_empty() {
        let text = body::emit(dom, &cx.measures, &profile_roots, related, PROFILE_CLEANING);
        return Body {
            text: (!text.is_empty()).then_some((text, "selector")),
            roots: profile_roots,
            heading: None,
        };
    }
    if let Some((container, mut text)) = template_body(cx) {
        trim_closing(&mut text, authors);
        return Body {
            text: Some((text, "template")),
            roots: vec![container],
            heading: main_heading(cx, title, &[container]),
        };
    }
    let roots = body::find_roots(dom, &cx.measures, related);
    let mut text = body::emit(dom, &cx.measures, &roots, related, GENERIC_CLEANING);
    if text.chars().count() < MIN_GENERIC_CHARS
        && let Some(page_body) = dom.nodes.iter().position(|n| n.tag == "body")
    {
        // Nothing article-like found: the whole page, cleaned, if it gives more.
        let whole = body::emit(dom, &cx.measures, &[page_body], related, GENERIC_CLEANING);
        if whole.chars().count() > text.chars().count() {
            text = whole;
        }
    }
    let heading = main_heading(cx, title, &roots);
    if let Some(standfirst) = heading.and_then(|h| standfirst(cx, &roots, h, related))
        && !text.contains(&standfirst)
    {
        text = if text.is_empty() {
            standfirst
        } else {
            format!("{standfirst}\n\n{text}")
        };
    }
    let mut how = "heuristic";
    if let Some(ld_body) = json_ld_body(cx, &text) {
        text = ld_body;
        how = "json-ld";
    }
    trim_closing(&mut text, authors);
    Body {
        text: (!text.is_empty()).then_some((text, how)),
        roots,
        heading,
    }
}

/// The stand-first under the heading, cleaned.
fn standfirst(
    cx: &Context<'_, '_>,
    roots: &[usize],
    heading: usize,
    related: &[usize],
) -> Option<String> {
    let description = cx
        .meta
        .tag(&["description", "og:description", "twitter:description"]);
    let dek = body::find_dek(cx.dom, &cx.measures, roots, heading, description)?;
    let text = body::emit(cx.dom, &cx.measures, &[dek], related, GENERIC_CLEANING);
    (!text.is_empty()).then_some(text)
}

/// schema.org `articleBody`, when it is long and the page shows less than half of it.
fn json_ld_body(cx: &Context<'_, '_>, shown: &str) -> Option<String> {
    let ld = cx.meta.ld_str_raw("articleBody")?;
    let ld_len = ld.chars().count();
    if ld_len < 500 || shown.chars().count() * 2 >= ld_len {
        return None;
    }
    // The paragraphs, tidied as the page's would be (appeals, affiliate notices, credit
    // lines at the edges); the field has no links to tell a round-up by.
    let paragraphs: Vec<Para> = ld
        .split('\n')
        .map(collapse)
        .filter(|p| !p.is_empty())
        .map(|text| Para {
            text,
            head: false,
            link: 0,
        })
        .collect();
    let text = tidy(paragraphs).join("\n\n");
    (!text.is_empty()).then_some(text)
}

/// Templates larger than this are not read.
const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// The article body a blog theme ships as an HTML template: an `itemprop="articleBody"` or
/// `post-body` container whose only content is a `<script type="text/template">`, the
/// page's script filling it in. The template's markup is parsed (never run) and cleaned as
/// the generic path cleans a page; returns the container and the text.
fn template_body(cx: &Context<'_, '_>) -> Option<(usize, String)> {
    let dom = cx.dom;
    let container = (0..dom.nodes.len()).find(|&i| {
        let n = &dom.nodes[i];
        n.is_elem()
            && (n.itemprop.split_whitespace().any(|t| t == "articleBody")
                || n.class
                    .split_whitespace()
                    .any(|c| c.eq_ignore_ascii_case("post-body")))
    })?;
    let end = dom.nodes[container].end;
    let mut template = None;
    let mut j = container + 1;
    while j < end {
        let n = &dom.nodes[j];
        if n.tag == "script" {
            let is_template = n
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/template"));
            if !is_template || template.is_some() {
                return None;
            }
            template = Some(j);
            j = n.end.max(j + 1);
            continue;
        }
        // Any other text in the container: the page shows the body itself.
        if !n.is_elem() && !n.text.trim().is_empty() {
            return None;
        }
        j += 1;
    }
    let t = template?;
    let markup: String = dom.nodes[t + 1..dom.nodes[t].end]
        .iter()
        .map(|n| n.text)
        .collect();
    // A skeleton to fill in (`{{body}}`, `<%= text %>`) is no article.
    if markup.len() > MAX_TEMPLATE_BYTES
        || ["{{", "{%", "<%", "${"].iter().any(|p| markup.contains(p))
    {
        return None;
    }
    let doc = super::super::html::parse(markup.as_str().into(), super::super::MAX_NESTING);
    let inner = super::super::dom::Dom::new(&doc);
    let mut measures = body::Measures::new(&inner);
    measures.site = cx.measures.site.clone();
    let root = inner.nodes.iter().position(|n| n.tag == "body")?;
    let text = body::emit(&inner, &measures, &[root], &[], GENERIC_CLEANING);
    (!text.is_empty()).then_some((container, text))
}
