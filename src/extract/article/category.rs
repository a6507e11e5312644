//! Categories and tags without a profile, from the signals real sites use, in order of
//! trust: JSON-LD `articleSection`, the `article:section` meta tag, category links (by
//! `rel`, by the class of their container, by an href under `/category/`, `/rubrique/`…),
//! breadcrumbs (JSON-LD then visible trails: the last item that is not the article), and
//! labelled lines ("Catégorie : …", "Rubrique : …").
//!
//! Every category found by the trusted sources (structured data and category links) is
//! kept, the primary one first; the weaker ones (href patterns, breadcrumbs, labels) are
//! used only when those find nothing. The method of the primary category is the trace:
//! `selector`, `json-ld`, `meta`, `rel`, `class`, `href`, `breadcrumb` or `label`.
//! Not done: the URL segment that matches a category listing page seen in the crawl
//! (extraction reads one page and knows nothing of the crawl).

use std::sync::LazyLock;

use regex::Regex;

use super::super::dom::{Dom, NONE, collapse};
use super::super::links::text_and_link_len;
use super::super::meta::Crumb;
use super::super::title::norm;
use super::{Context, Found, NameSource, anchor_texts, dedup};

/// A label that introduces categories ("Catégories :", "Rubrique", "Filed under").
static CATEGORY_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(categories|category|catégories|catégorie|categorie|rubriques?|filed under|posted in|publié dans|classé dans|sections?|kategorie[n]?|categoría|categoria)\s*:?")
        .expect("constant regex")
});

/// Class names of the container of an article's category links.
static CATEGORY_CONTAINER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[\s_-])(?:cat-?links|cat_links|taxonomy-category|(?:post|entry|article|meta|single)[-_]?(?:categories|category|cats?)|categor(?:y|ies)[-_]links|rubriques?)(?:$|[\s_-])")
        .expect("constant regex")
});

/// Paths of category listing pages.
static CATEGORY_HREF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/(?:category|categories|categorie|categories|rubrique|rubriques|section|sections)/[^/?#]+")
        .expect("constant regex")
});

/// Breadcrumb items that are the site's home, never a category.
fn is_home_crumb(name: &str) -> bool {
    matches!(
        norm(name).as_str(),
        "home" | "accueil" | "startseite" | "inicio" | "homepage" | "home page" | "news" | "une"
    )
}

/// The article's categories, primary first.
pub(super) fn categories(cx: &Context<'_, '_>) -> Option<Found<Vec<String>>> {
    if let Some(found) = from_profile(cx) {
        return Some(found);
    }
    // Trusted sources: every category they name is kept, primary from the first source.
    let mut all: Vec<String> = Vec::new();
    let mut method = None;
    let mut add = |values: Vec<String>, how: &'static str| {
        if !values.is_empty() {
            method.get_or_insert(how);
            all.extend(values);
        }
    };
    add(cx.meta.ld_strs("articleSection"), "json-ld");
    add(
        cx.meta
            .multi
            .get("article:section")
            .cloned()
            .unwrap_or_default(),
        "meta",
    );
    let (links, how) = category_links(cx);
    add(links, how);
    let all = dedup(all.into_iter().filter(|c| c.chars().count() < 80).collect());
    if let Some(how) = method
        && !all.is_empty()
    {
        return Some((all, how));
    }
    // Weaker sources: the first that names something.
    let weaker: [NameSource; 4] = [
        (category_hrefs, "href"),
        (json_ld_breadcrumb, "breadcrumb"),
        (visible_breadcrumb, "breadcrumb"),
        (labelled_line, "label"),
    ];
    weaker.into_iter().find_map(|(source, how)| {
        let found = dedup(source(cx));
        (!found.is_empty()).then_some((found, how))
    })
}

/// The tags (keywords) of the article.
pub(super) fn tags(cx: &Context<'_, '_>) -> Option<Found<Vec<String>>> {
    let meta = cx.meta;
    let from_meta = meta.multi.get("article:tag").cloned().unwrap_or_default();
    if !from_meta.is_empty() {
        return Some((dedup(from_meta), "meta"));
    }
    let from_ld: Vec<String> = meta
        .ld_strs("keywords")
        .iter()
        .flat_map(|k| k.split(',').map(collapse).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    if !from_ld.is_empty() {
        return Some((dedup(from_ld), "json-ld"));
    }
    let dom = cx.dom;
    let from_links: Vec<String> = dom
        .nodes
        .iter()
        .enumerate()
        .filter(|&(i, n)| {
            n.tag == "a"
                && rel_has(n.attr("rel"), "tag")
                && !rel_has(n.attr("rel"), "category")
                && category_container(dom, i).is_none()
        })
        .map(|(i, _)| dom.text(i))
        .collect();
    let from_links = dedup(from_links);
    (!from_links.is_empty()).then_some((from_links, "text"))
}

fn from_profile(cx: &Context<'_, '_>) -> Option<Found<Vec<String>>> {
    let dom = cx.dom;
    let selector = cx.profile.and_then(|s| s.category.as_ref())?;
    let mut out = Vec::new();
    for i in dom.select(selector) {
        let anchors = anchor_texts(dom, i);
        if anchors.is_empty() {
            let text = dom.text(i);
            let text = CATEGORY_LABEL.replace(&text, "");
            out.extend(
                text.split([',', '|', '/'])
                    .map(collapse)
                    .filter(|s| !s.is_empty()),
            );
        } else {
            out.extend(anchors);
        }
    }
    let out = dedup(out);
    (!out.is_empty()).then_some((out, "selector"))
}

/// True if a `rel` attribute holds the token `want`.
fn rel_has(rel: Option<&str>, want: &str) -> bool {
    rel.is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case(want))
    })
}

/// The category container (by class) an element sits in, up to three levels up.
fn category_container(dom: &Dom<'_>, i: usize) -> Option<usize> {
    dom.ancestors(i)
        .take(3)
        .find(|&a| CATEGORY_CONTAINER.is_match(dom.nodes[a].class))
}

/// Category links by `rel` (`category`, or `tag` in a category container) or by their
/// container's class, outside noisy areas and other posts' teasers.
fn category_links(cx: &Context<'_, '_>) -> (Vec<String>, &'static str) {
    let dom = cx.dom;
    let mut out = Vec::new();
    let mut method = "rel";
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "a" || cx.noise[i] || cx.in_other_post(i) {
            continue;
        }
        let rel = n.attr("rel");
        let by_rel = rel_has(rel, "category");
        let by_class = !by_rel && category_container(dom, i).is_some();
        if !by_rel && !by_class {
            continue;
        }
        let text = dom.text(i);
        if !text.is_empty() && text.chars().count() < 80 {
            if out.is_empty() && !by_rel {
                method = "class";
            }
            out.push(text);
        }
    }
    (out, method)
}

/// Links to category listing pages (`/category/…`, `/rubrique/…`, `/section/…`) in the
/// article's area (not menus, not page furniture, not sentences of the text).
fn category_hrefs(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    let mut out = Vec::new();
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "a"
            || cx.noise[i]
            || cx.in_other_post(i)
            || !n.attr("href").is_some_and(|h| CATEGORY_HREF.is_match(h))
        {
            continue;
        }
        // In the page header or a menu (before the heading and outside the article).
        let inside_article = dom
            .ancestors(i)
            .any(|a| matches!(dom.nodes[a].tag, "article" | "main"));
        let in_header = dom
            .ancestors(i)
            .any(|a| matches!(dom.nodes[a].tag, "header" | "nav" | "menu" | "ul"))
            && !inside_article;
        if in_header || cx.measures.unlikely[i] {
            continue;
        }
        // A link in a sentence of the text.
        let block = dom
            .ancestors(i)
            .find(|&a| super::super::dom::is_block(dom.nodes[a].tag));
        if block.is_some_and(|b| cx.measures.text[b] > 120) {
            continue;
        }
        let text = dom.text(i);
        if !text.is_empty() && text.chars().count() < 60 {
            out.push(text);
        }
    }
    out
}

/// The category of a breadcrumb trail: its last item that is not the article itself (nor
/// the home page), first; the other items after it.
fn trail_category(cx: &Context<'_, '_>, mut crumbs: Vec<Crumb>) -> Vec<String> {
    crumbs.retain(|c| !is_home_crumb(&c.name) && c.name.chars().count() < 60);
    let title = cx.meta.title.as_deref().map(norm).unwrap_or_default();
    let own: Vec<&str> = cx.own_urls().collect();
    let is_article = |c: &Crumb| {
        let name = norm(&c.name);
        c.url.as_deref().is_some_and(|u| {
            own.iter()
                .any(|o| o.trim_end_matches('/') == u.trim_end_matches('/'))
        }) || (title.contains(&name) && name.split_whitespace().count() >= 4)
            || c.name.chars().count() > 40
    };
    if crumbs.last().is_some_and(is_article) {
        crumbs.pop();
    }
    let Some(last) = crumbs.pop() else {
        return Vec::new();
    };
    let mut out = vec![last.name];
    out.extend(crumbs.into_iter().map(|c| c.name));
    out
}

fn json_ld_breadcrumb(cx: &Context<'_, '_>) -> Vec<String> {
    trail_category(cx, cx.meta.ld_breadcrumbs.clone())
}

/// A visible breadcrumb trail (class or id `breadcrumb`, or `aria-label="breadcrumb"`):
/// its links (the article is rarely a link).
fn visible_breadcrumb(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        let named = n.is_elem()
            && (n.class.to_ascii_lowercase().contains("breadcrumb")
                || n.id.to_ascii_lowercase().contains("breadcrumb")
                || n.attr("aria-label")
                    .is_some_and(|l| l.to_ascii_lowercase().contains("breadcrumb")));
        if !named {
            continue;
        }
        let crumbs: Vec<Crumb> = (i..n.end)
            .filter(|&j| dom.nodes[j].tag == "a")
            .map(|j| Crumb {
                name: dom.text(j),
                url: dom.nodes[j]
                    .attr("href")
                    .and_then(|h| cx.page.url.join(h).ok())
                    .map(|u| u.to_string()),
            })
            .filter(|c| !c.name.is_empty())
            .collect();
        let found = trail_category(cx, crumbs);
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// A labelled line: "Catégories : A, B" (links after the label, or the text itself).
fn labelled_line(cx: &Context<'_, '_>) -> Vec<String> {
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.is_elem() || cx.noise[i] || n.text.len() > 80 {
            continue;
        }
        let Some(label) = CATEGORY_LABEL.find(n.text) else {
            continue;
        };
        let label_only = n.text[label.end()..].trim().is_empty();
        if !label_only && !label.as_str().ends_with(':') {
            continue;
        }
        let mut parent = n.parent;
        if parent == NONE {
            continue;
        }
        // The label in its own inline element (`<strong>Rubrique :</strong> <a>…</a>`).
        if matches!(
            dom.nodes[parent].tag,
            "strong" | "b" | "span" | "em" | "label" | "dt"
        ) && dom.nodes[parent].parent != NONE
            && text_and_link_len(dom, parent).1 == 0
        {
            parent = dom.nodes[parent].parent;
        }
        let (text_len, link_len) = text_and_link_len(dom, parent);
        if label_only && text_len < 300 && link_len > 0 {
            let anchors = anchor_texts(dom, parent);
            if !anchors.is_empty() {
                return anchors;
            }
        }
        // No links: the words after the label, in the same line.
        let line = dom.text(parent);
        if line.chars().count() < 80 {
            let rest = CATEGORY_LABEL.replace(&line, "");
            let values: Vec<String> = rest
                .split([',', '|', '/'])
                .map(collapse)
                .filter(|s| !s.is_empty() && s.chars().count() < 40)
                .collect();
            if !values.is_empty()
                && CATEGORY_LABEL
                    .find(&line)
                    .is_some_and(|l| l.as_str().ends_with(':'))
            {
                return values;
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::{CATEGORY_CONTAINER, CATEGORY_HREF};

    #[test]
    fn category_containers_and_listing_paths() {
        for class in [
            "cat-links",
            "taxonomy-category wp-block-post-terms",
            "post-categories",
            "entry-categories-inner",
            "entry-category",
            "meta-category",
            "rubrique",
        ] {
            assert!(CATEGORY_CONTAINER.is_match(class), "{class}");
        }
        for class in [
            "taxonomy-post_tag wp-block-post-terms",
            "post-catalog",
            "category-sport",
            "post type-post",
            "tags-links",
        ] {
            assert!(!CATEGORY_CONTAINER.is_match(class), "{class}");
        }
        for href in [
            "/category/cloud/",
            "https://x.test/categorie/sante",
            "/rubrique/culture/",
            "/section/world",
        ] {
            assert!(CATEGORY_HREF.is_match(href), "{href}");
        }
        assert!(!CATEGORY_HREF.is_match("/categories/"));
        assert!(!CATEGORY_HREF.is_match("/2024/03/slug"));
    }
}
