//! The article's title and its main heading.

use super::super::dom::collapse;
use super::super::title::{norm, strip_site_name};
use super::{Context, Found};

/// The article's title: the profile's selector, else a heading that agrees with a
/// metadata title, else the metadata titles without the site name.
pub(super) fn title(cx: &Context<'_, '_>) -> Option<Found<String>> {
    let dom = cx.dom;
    if let Some(s) = cx.profile.and_then(|s| s.title.as_ref()) {
        for i in dom.select(s) {
            let t = dom.text(i);
            let t = if t.is_empty() {
                dom.nodes[i]
                    .attr("content")
                    .map(collapse)
                    .unwrap_or_default()
            } else {
                t
            };
            if !t.is_empty() {
                return Some((t, "selector"));
            }
        }
    }
    let meta = cx.meta;
    let site = meta.tag(&["og:site_name", "application-name"]);
    let host = cx.page.url.host_str();
    let ld = meta.ld_str("headline").or_else(|| meta.ld_str("name"));
    let og = meta.tag(&["og:title", "twitter:title"]).map(str::to_string);
    let page_title = meta.title.clone();
    // Headings h1 (then h2) outside noise areas.
    let mut heads: Vec<String> = Vec::new();
    for tag in ["h1", "h2"] {
        for (i, n) in dom.nodes.iter().enumerate() {
            if n.tag == tag && !cx.noise[i] && !cx.measures.skip[i] {
                let t = dom.text(i);
                if t.chars().count() >= 4 && t.chars().count() < 300 {
                    heads.push(t);
                }
            }
        }
        if !heads.is_empty() && tag == "h1" {
            break;
        }
    }
    let refs: Vec<String> = [ld.clone(), og.clone(), page_title.clone()]
        .into_iter()
        .flatten()
        .collect();
    // A heading that agrees with a metadata title.
    for h in &heads {
        let nh = norm(h);
        for r in &refs {
            let nr = norm(r);
            let stripped = norm(&strip_site_name(r, site, host));
            if nh == nr || nh == stripped {
                return Some((h.clone(), "text"));
            }
            if nr.contains(&nh) && nh.chars().count() * 10 >= stripped.chars().count() * 6 {
                return Some((h.clone(), "text"));
            }
            if nh.contains(&stripped) && stripped.chars().count() * 10 >= nh.chars().count() * 6 {
                // The heading adds a kicker or a label ("Opinion", "[Watch]"): the title
                // is the part that the metadata names.
                let t = strip_site_name(r, site, host);
                let how = if ld.as_deref() == Some(r.as_str()) {
                    "json-ld"
                } else {
                    "meta"
                };
                return Some((t, how));
            }
        }
    }
    if let Some(t) = ld.filter(|t| t.chars().count() >= 4) {
        return Some((strip_site_name(&t, site, host), "json-ld"));
    }
    if let Some(t) = og {
        return Some((strip_site_name(&t, site, host), "meta"));
    }
    if let Some(h) = heads
        .first()
        .filter(|_| dom.nodes.iter().filter(|n| n.tag == "h1").count() == 1)
    {
        return Some((h.clone(), "text"));
    }
    if let Some(t) = page_title {
        return Some((strip_site_name(&t, site, host), "meta"));
    }
    heads.first().map(|h| (h.clone(), "text"))
}

/// The heading of the article: the `h1` (else `h2`) with the title's text, else the last
/// one before the body (or the first one in it), else the first one outside noisy areas.
pub(super) fn main_heading(
    cx: &Context<'_, '_>,
    title: Option<&str>,
    roots: &[usize],
) -> Option<usize> {
    let dom = cx.dom;
    let nt = title.map(norm).filter(|t| !t.is_empty());
    let start = roots.first().copied().unwrap_or(usize::MAX);
    let mut first = None;
    let mut before_body = None;
    let mut in_body = None;
    for tag in ["h1", "h2"] {
        for (i, n) in dom.nodes.iter().enumerate() {
            if n.tag != tag || cx.measures.skip[i] || cx.measures.text[i] == 0 {
                continue;
            }
            if nt.as_deref().is_some_and(|t| {
                let h = norm(&dom.text(i));
                h == t || (h.contains(t) && t.chars().count() * 10 >= h.chars().count() * 6)
            }) {
                return Some(i);
            }
            if tag == "h2" || cx.noise[i] {
                continue;
            }
            first = first.or(Some(i));
            if i < start {
                before_body = Some(i);
            } else if in_body.is_none() && roots.iter().any(|&r| dom.contains(r, i)) {
                in_body = Some(i);
            }
        }
    }
    before_body.or(in_body).or(first)
}
