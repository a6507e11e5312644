//! Assembling an [`Article`]: the profile's selectors first, then JSON-LD, meta tags,
//! microdata, `<time>` elements, visible text, the URL, and relative dates as a last resort.

use std::sync::LazyLock;

use regex::Regex;

use super::body::{self, Clean, Measures};
use super::dates::{self, ParsedDate, parse_date};
use super::dom::{Dom, NONE, collapse};
use super::hints;
use super::links::text_and_link_len;
use super::meta::Meta;
use super::title::{norm, strip_site_name};
use super::{Article, FoundLink, LinkSource, PageInput, ProfileSelectors};

const PUBLISHED_META: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "article:published",
    "datepublished",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "published-date",
    "pubdate",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date.created",
    "dc.date",
    "dcterms.created",
    "dcterms.issued",
    "dcterms.date",
    "cxenseparse:recs:publishtime",
    "originalpublicationdate",
    "rnews:datepublished",
    "citation_publication_date",
    "citation_date",
    "date",
    "datecreated",
    "article:post_date",
    "og:pubdate",
    "displaydate",
];

const MODIFIED_META: &[&str] = &[
    "article:modified_time",
    "og:updated_time",
    "article:modified",
    "datemodified",
    "modified",
    "last-modified",
    "lastmod",
    "dc.date.modified",
    "dcterms.modified",
    "article.updated",
];

static CATEGORY_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(categories|category|catégories|catégorie|rubriques?|filed under|posted in|publié dans|classé dans|sections?|kategorie[n]?)\s*:?")
        .expect("constant regex")
});
static UPDATED_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)mis à jour|mise à jour|modifié|updated|last modified|aktualisiert|actualizado|aggiornato")
        .expect("constant regex")
});

struct Ctx<'a, 'b> {
    page: &'b PageInput<'b>,
    dom: &'b Dom<'a>,
    meta: &'b Meta,
    m: Measures,
    noise: Vec<bool>,
    month_first: bool,
}

/// Builds the article of a page.
pub fn build(
    page: &PageInput<'_>,
    dom: &Dom<'_>,
    meta: &Meta,
    sel: Option<&ProfileSelectors>,
    related: &[usize],
    links: &[FoundLink],
) -> Article {
    let m = Measures::new(dom);
    let noise = noise_flags(dom, &m);
    let lang = meta.language();
    let month_first = lang
        .as_ref()
        .is_some_and(|(l, _)| l == "en-US" || l == "en");
    let cx = Ctx {
        page,
        dom,
        meta,
        m,
        noise,
        month_first,
    };
    let mut a = Article {
        url: page.url.to_string(),
        ..Article::default()
    };
    let method = |a: &mut Article, field: &str, how: &str| {
        a.methods.insert(field.to_string(), how.to_string());
    };

    a.canonical_url = meta
        .canonical
        .as_deref()
        .or(meta.tag(&["og:url"]))
        .and_then(|c| page.url.join(c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.to_string());

    // Title.
    if let Some((t, how)) = title(&cx, sel) {
        a.title = Some(t);
        method(&mut a, "title", how);
    }

    // Body.
    let mut heading = None;
    let profile_roots = sel
        .and_then(|s| s.body.as_ref())
        .map(|s| top_level(dom, dom.select(s)))
        .unwrap_or_default();
    let (text, how) = if !profile_roots.is_empty() {
        let t = body::emit(
            dom,
            &cx.m,
            &profile_roots,
            related,
            Clean {
                drop_link_paragraphs: false,
                drop_unlikely: false,
            },
        );
        (t, "selector")
    } else {
        let clean = Clean {
            drop_link_paragraphs: true,
            drop_unlikely: true,
        };
        let roots = body::find_roots(dom, &cx.m, related);
        let mut t = body::emit(dom, &cx.m, &roots, related, clean);
        if t.chars().count() < 200 {
            // Nothing article-like found: the whole page, cleaned, if it gives more.
            if let Some(b) = dom.nodes.iter().position(|n| n.tag == "body") {
                let whole = body::emit(dom, &cx.m, &[b], related, clean);
                if whole.chars().count() > t.chars().count() {
                    t = whole;
                }
            }
        }
        // The stand-first under the title, when the text does not start with it.
        let h1 = main_heading(&cx, a.title.as_deref(), &roots);
        heading = h1;
        if let Some(dek) = h1.and_then(|h| {
            body::find_dek(
                dom,
                &cx.m,
                &roots,
                h,
                meta.tag(&["description", "og:description", "twitter:description"]),
            )
        }) {
            let d = body::emit(dom, &cx.m, &[dek], related, clean);
            if !d.is_empty() && !t.contains(&d) {
                t = if t.is_empty() {
                    d
                } else {
                    format!("{d}\n\n{t}")
                };
            }
        }
        // schema.org articleBody, when the page shows much less of the text.
        let mut how = "heuristic";
        if let Some(ld) = meta.ld_str_raw("articleBody") {
            let ld_len = ld.chars().count();
            if ld_len >= 500 && t.chars().count() * 2 < ld_len {
                let paras: Vec<String> = ld
                    .split('\n')
                    .map(collapse)
                    .filter(|p| !p.is_empty())
                    .collect();
                t = paras.join("\n\n");
                how = "json-ld";
            }
        }
        (t, how)
    };
    if !text.is_empty() {
        a.body = Some(text);
        method(&mut a, "body", how);
    }

    // Categories.
    if let Some((c, how)) = categories(&cx, sel) {
        a.categories = c;
        method(&mut a, "categories", how);
    }

    // Tags.
    let mut tags: Vec<String> = meta.multi.get("article:tag").cloned().unwrap_or_default();
    let mut tags_how = "meta";
    if tags.is_empty() {
        tags = meta
            .ld_strs("keywords")
            .iter()
            .flat_map(|k| k.split(',').map(collapse).collect::<Vec<_>>())
            .filter(|s| !s.is_empty())
            .collect();
        tags_how = "json-ld";
    }
    if tags.is_empty() {
        tags = dom
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.tag == "a"
                    && n.attr("rel").is_some_and(|r| {
                        let r = r.to_ascii_lowercase();
                        r.split_whitespace().any(|t| t == "tag") && !r.contains("category")
                    })
            })
            .map(|(i, _)| dom.text(i))
            .collect();
        tags_how = "text";
    }
    if !tags.is_empty() {
        a.tags = dedup(tags);
        method(&mut a, "tags", tags_how);
    }

    // Authors.
    if let Some((au, how)) = authors(&cx, sel) {
        a.authors = au;
        method(&mut a, "authors", how);
    }

    // Dates.
    let (mut published, mut pub_how) = published(&cx, sel);
    // A full date in the URL is written once, at publication: it wins over a
    // different day found by the generic sources.
    if matches!(pub_how, "time" | "text")
        && let Some(url_day) = [
            Some(page.url.as_str()),
            meta.canonical.as_deref(),
            meta.tag(&["og:url"]),
        ]
        .into_iter()
        .flatten()
        .find_map(dates::date_from_url)
        && published.is_some_and(|p| p.day() != url_day)
    {
        published = Some(ParsedDate::Day(url_day));
        pub_how = "url";
    }
    let offsets = page_offsets(&cx);
    if let Some(p) = published {
        let p = localize(p, &offsets);
        a.published = Some(p.to_rfc());
        let h = heading.or_else(|| main_heading(&cx, a.title.as_deref(), &profile_roots));
        let day = local_day(&cx, p, h).unwrap_or(p.day());
        a.published_day = Some(day.format("%Y-%m-%d").to_string());
        method(&mut a, "published", pub_how);
    }
    if let Some((md, how)) = modified(&cx, sel) {
        a.modified = Some(localize(md, &offsets).to_rfc());
        method(&mut a, "modified", how);
    }

    // Language, description, related.
    if let Some((l, how)) = lang {
        a.language = Some(l);
        method(&mut a, "language", how);
    }
    if let Some(d) = meta.tag(&["description", "og:description", "twitter:description"]) {
        a.description = Some(d.to_string());
        method(&mut a, "description", "meta");
    } else if let Some(d) = meta.ld_str("description") {
        a.description = Some(d);
        method(&mut a, "description", "json-ld");
    }
    a.related = links
        .iter()
        .filter(|l| l.related && l.source == LinkSource::Anchor)
        .map(|l| l.url.to_string())
        .collect();
    if !a.related.is_empty() {
        let how = if sel.and_then(|s| s.related.as_ref()).is_some() {
            "selector"
        } else {
            "text"
        };
        method(&mut a, "related", how);
    }
    let _ = cx.page;
    a
}

/// Elements in noisy areas (comments, sidebars, related, page footer) for dates and categories.
fn noise_flags(dom: &Dom<'_>, m: &Measures) -> Vec<bool> {
    let n = dom.nodes.len();
    let mut v = vec![false; n];
    let mut in_article = vec![false; n];
    for i in 0..n {
        let node = &dom.nodes[i];
        let p = node.parent;
        let inherited = p != NONE && v[p];
        in_article[i] = (p != NONE && in_article[p]) || matches!(node.tag, "article" | "main");
        if inherited || !node.is_elem() {
            v[i] = inherited;
            continue;
        }
        let footerish = m.hint[i] & hints::FOOTER != 0;
        let noisy = m.hint[i] & hints::NOISE != 0;
        let page_footer = (node.tag == "footer" || footerish) && !in_article[i];
        v[i] = matches!(node.tag, "aside" | "nav")
            || page_footer
            || matches!(node.role, "complementary" | "navigation" | "contentinfo")
            || (noisy && !matches!(node.tag, "body" | "html" | "article" | "main"));
    }
    v
}

/// Matches that are not inside an earlier match.
fn top_level(dom: &Dom<'_>, mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    let mut out: Vec<usize> = Vec::new();
    for i in v {
        if out.last().is_some_and(|&o| dom.contains(o, i)) {
            continue;
        }
        out.push(i);
    }
    out
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v {
        let s = collapse(&s);
        if !s.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&s)) {
            out.push(s);
        }
    }
    out
}

fn title(cx: &Ctx<'_, '_>, sel: Option<&ProfileSelectors>) -> Option<(String, &'static str)> {
    let dom = cx.dom;
    if let Some(s) = sel.and_then(|s| s.title.as_ref()) {
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
            if n.tag == tag && !cx.noise[i] && !cx.m.skip[i] {
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
fn main_heading(cx: &Ctx<'_, '_>, title: Option<&str>, roots: &[usize]) -> Option<usize> {
    let dom = cx.dom;
    let nt = title.map(norm).filter(|t| !t.is_empty());
    let start = roots.first().copied().unwrap_or(usize::MAX);
    let mut first = None;
    let mut before_body = None;
    let mut in_body = None;
    for tag in ["h1", "h2"] {
        for (i, n) in dom.nodes.iter().enumerate() {
            if n.tag != tag || cx.m.skip[i] || cx.m.text[i] == 0 {
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

fn anchor_texts(dom: &Dom<'_>, i: usize) -> Vec<String> {
    (i..dom.nodes[i].end)
        .filter(|&j| dom.nodes[j].tag == "a")
        .map(|j| dom.text(j))
        .filter(|t| !t.is_empty())
        .collect()
}

fn categories(
    cx: &Ctx<'_, '_>,
    sel: Option<&ProfileSelectors>,
) -> Option<(Vec<String>, &'static str)> {
    let dom = cx.dom;
    if let Some(s) = sel.and_then(|s| s.category.as_ref()) {
        let mut out = Vec::new();
        for i in dom.select(s) {
            let a = anchor_texts(dom, i);
            if a.is_empty() {
                let t = dom.text(i);
                let t = CATEGORY_LABEL.replace(&t, "").to_string();
                out.extend(
                    t.split([',', '|', '/'])
                        .map(collapse)
                        .filter(|s| !s.is_empty()),
                );
            } else {
                out.extend(a);
            }
        }
        if !out.is_empty() {
            return Some((dedup(out), "selector"));
        }
    }
    // rel="category" links and WordPress-like category containers.
    let mut out = Vec::new();
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "a" || cx.noise[i] {
            continue;
        }
        let rel_cat = n.attr("rel").is_some_and(|r| {
            r.to_ascii_lowercase()
                .split_whitespace()
                .any(|t| t == "category")
        });
        let in_cat_box = !rel_cat
            && dom.ancestors(i).take(3).any(|a| {
                Some(dom.nodes[a].class).is_some_and(|c| {
                    let c = c.to_ascii_lowercase();
                    c.contains("cat-links")
                        || c.contains("post-categories")
                        || c.contains("entry-categories")
                })
            });
        if rel_cat || in_cat_box {
            let t = dom.text(i);
            if !t.is_empty() && t.chars().count() < 80 {
                out.push(t);
            }
        }
    }
    if !out.is_empty() {
        return Some((dedup(out), "text"));
    }
    // A "Categories:" / "Rubrique" label followed by links.
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.is_elem() || cx.noise[i] {
            continue;
        }
        if CATEGORY_LABEL.is_match(n.text) && n.text.len() < 40 {
            let p = n.parent;
            if p != NONE {
                let (t, l) = text_and_link_len(dom, p);
                if t < 300 && l > 0 {
                    let a = anchor_texts(dom, p);
                    if !a.is_empty() {
                        return Some((dedup(a), "text"));
                    }
                }
            }
        }
    }
    let meta = cx.meta;
    if let Some(s) = meta.multi.get("article:section").filter(|v| !v.is_empty()) {
        return Some((dedup(s.clone()), "meta"));
    }
    let ld = meta.ld_strs("articleSection");
    if !ld.is_empty() {
        return Some((dedup(ld), "json-ld"));
    }
    // Breadcrumbs: JSON-LD, then markup; without "home" and the page itself.
    let title = meta.title.as_deref().map(norm).unwrap_or_default();
    let clean = |v: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = v
            .into_iter()
            .filter(|s| {
                let n = norm(s);
                !matches!(
                    n.as_str(),
                    "home" | "accueil" | "startseite" | "inicio" | "homepage" | "news"
                ) && n.chars().count() < 60
            })
            .collect();
        if let Some(last) = v.last()
            && ((title.contains(&norm(last)) && last.split_whitespace().count() >= 4)
                || last.chars().count() > 40)
        {
            v.pop();
        }
        v
    };
    let bc = clean(meta.ld_breadcrumbs.clone());
    if !bc.is_empty() {
        return Some((dedup(bc), "json-ld"));
    }
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.is_elem()
            && (n
                .attr("class")
                .is_some_and(|c| c.to_ascii_lowercase().contains("breadcrumb"))
                || n.attr("id")
                    .is_some_and(|c| c.to_ascii_lowercase().contains("breadcrumb")))
        {
            let bc = clean(anchor_texts(dom, i));
            if !bc.is_empty() {
                return Some((dedup(bc), "text"));
            }
        }
    }
    None
}

fn authors(
    cx: &Ctx<'_, '_>,
    sel: Option<&ProfileSelectors>,
) -> Option<(Vec<String>, &'static str)> {
    let dom = cx.dom;
    if let Some(s) = sel.and_then(|s| s.author.as_ref()) {
        let v: Vec<String> = dom.select(s).into_iter().map(|i| dom.text(i)).collect();
        let v = dedup(v);
        if !v.is_empty() {
            return Some((v, "selector"));
        }
    }
    let ld = dedup(cx.meta.ld_strs("author"));
    if !ld.is_empty() {
        return Some((ld, "json-ld"));
    }
    if let Some(a) = cx
        .meta
        .tag(&[
            "author",
            "article:author",
            "parsely-author",
            "sailthru.author",
            "dc.creator",
            "byl",
        ])
        .filter(|a| !a.starts_with("http"))
    {
        let a = a.trim_start_matches("By ").trim_start_matches("by ");
        return Some((vec![a.to_string()], "meta"));
    }
    if let Some(a) = cx.meta.itemprops.get("author") {
        return Some((vec![a.clone()], "itemprop"));
    }
    let v: Vec<String> = dom
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            n.tag == "a"
                && !cx.noise[*i]
                && n.attr("rel")
                    .is_some_and(|r| r.eq_ignore_ascii_case("author"))
        })
        .map(|(i, _)| dom.text(i))
        .collect();
    let v = dedup(v);
    if !v.is_empty() {
        return Some((v, "text"));
    }
    None
}

fn selector_date(cx: &Ctx<'_, '_>, s: &scraper::Selector) -> Option<ParsedDate> {
    for i in cx.dom.select(s) {
        let n = &cx.dom.nodes[i];
        let v = n
            .attr("datetime")
            .or(n.attr("content"))
            .and_then(parse_date)
            .or_else(|| dates::find_date_in_text(&cx.dom.text(i), cx.month_first));
        if v.is_some() {
            return v;
        }
    }
    None
}

/// Date of a `<time>` (or date-like) element: attribute first, then text.
fn element_date(cx: &Ctx<'_, '_>, i: usize) -> Option<ParsedDate> {
    let n = &cx.dom.nodes[i];
    n.attr("datetime")
        .or(n.attr("content"))
        .and_then(parse_date)
        .or_else(|| {
            let t = cx.dom.text(i);
            if t.chars().count() < 200 {
                dates::find_date_in_text(&t, cx.month_first)
            } else {
                None
            }
        })
}

fn class_id(cx: &Ctx<'_, '_>, i: usize) -> String {
    let n = &cx.dom.nodes[i];
    format!("{} {}", n.class, n.id).to_ascii_lowercase()
}

fn is_updated_class(c: &str) -> bool {
    c.contains("updated") || c.contains("modified") || c.contains("update")
}

fn published(
    cx: &Ctx<'_, '_>,
    sel: Option<&ProfileSelectors>,
) -> (Option<ParsedDate>, &'static str) {
    if let Some(d) = sel
        .and_then(|s| s.published.as_ref())
        .and_then(|s| selector_date(cx, s))
    {
        // A day from the selector: a generic source with the same day and a time is better.
        if !matches!(d, ParsedDate::Instant(_))
            && let (Some(g @ ParsedDate::Instant(_)), how) = published(cx, None)
            && g.day() == d.day()
        {
            return (Some(g), how);
        }
        return (Some(d), "selector");
    }
    let meta = cx.meta;
    for key in ["datePublished", "dateCreated", "uploadDate"] {
        if let Some(d) = meta.ld_str(key).and_then(|s| parse_date(&s)) {
            return (Some(d), "json-ld");
        }
    }
    for key in PUBLISHED_META {
        if let Some(d) = meta.tags.get(*key).and_then(|s| parse_date(s)) {
            return (Some(d), "meta");
        }
    }
    for key in ["datePublished", "dateCreated"] {
        if let Some(d) = meta.itemprops.get(key).and_then(|s| parse_date(s)) {
            return (Some(d), "itemprop");
        }
    }
    let dom = cx.dom;
    // <time> elements: published classes first, then any outside noise areas.
    let mut first_time: Option<ParsedDate> = None;
    for (i, n) in dom.nodes.iter().enumerate() {
        if n.tag != "time" || cx.noise[i] {
            continue;
        }
        let c = class_id(cx, i);
        let Some(d) = element_date(cx, i) else {
            continue;
        };
        if (n.attr("pubdate").is_some()
            || c.contains("publish")
            || c.contains("pubdate")
            || c.contains("entry-date")
            || c.contains("created"))
            && (!is_updated_class(&c) || c.contains("publish"))
        {
            return (Some(d), "time");
        }
        if first_time.is_none() && !is_updated_class(&c) {
            first_time = Some(d);
        }
    }
    if let Some(d) = first_time {
        return (Some(d), "time");
    }
    // Visible text in date-like elements ("Publié le 3 août 2023 à 10h30").
    if let Some(d) = text_date(cx, false) {
        return (Some(d), "text");
    }
    let urls = [
        Some(cx.page.url.as_str()),
        cx.meta.canonical.as_deref(),
        cx.meta.tag(&["og:url"]),
    ];
    if let Some(d) = urls.into_iter().flatten().find_map(dates::date_from_url) {
        return (Some(ParsedDate::Day(d)), "url");
    }
    if let Some(d) = relative_date(cx) {
        return (Some(d), "relative");
    }
    (None, "")
}

/// The instants with a non-UTC offset among the page's machine-readable dates (meta
/// tags, JSON-LD, microdata, `<time datetime>`): the publisher's time zone.
fn page_offsets(cx: &Ctx<'_, '_>) -> Vec<chrono::DateTime<chrono::FixedOffset>> {
    let mut out = Vec::new();
    let mut add = |s: &str| {
        if let Some(ParsedDate::Instant(d)) = parse_date(s)
            && d.offset().local_minus_utc() != 0
            && !out.contains(&d)
        {
            out.push(d);
        }
    };
    let meta = cx.meta;
    for (k, v) in &meta.tags {
        if k.contains("date")
            || k.contains("time")
            || k.contains("publish")
            || k.contains("modified")
        {
            add(v);
        }
    }
    for key in ["datePublished", "dateModified", "dateCreated"] {
        if let Some(v) = meta.ld_str(key) {
            add(&v);
        }
        if let Some(v) = meta.itemprops.get(key) {
            add(v);
        }
    }
    for n in &cx.dom.nodes {
        if n.tag == "time"
            && let Some(v) = n.attr("datetime")
        {
            add(v);
        }
    }
    out
}

/// A UTC instant re-expressed in the publisher's time zone when the page gives it: the
/// same instant written with an offset elsewhere, else the one offset its dates use.
fn localize(d: ParsedDate, offsets: &[chrono::DateTime<chrono::FixedOffset>]) -> ParsedDate {
    let ParsedDate::Instant(t) = d else {
        return d;
    };
    if t.offset().local_minus_utc() != 0 {
        return d;
    }
    if let Some(same) = offsets.iter().find(|o| **o == t) {
        return ParsedDate::Instant(t.with_timezone(same.offset()));
    }
    let first = offsets.first().map(|o| *o.offset());
    if let Some(off) = first
        && offsets.iter().all(|o| *o.offset() == off)
    {
        return ParsedDate::Instant(t.with_timezone(&off));
    }
    d
}

/// The publisher's day of a publication date: its own day, unless it is a UTC instant
/// and the page's URL or byline shows the day before or after (a local day that the UTC
/// time crossed).
fn local_day(cx: &Ctx<'_, '_>, p: ParsedDate, h1: Option<usize>) -> Option<chrono::NaiveDate> {
    let day = p.day();
    let ParsedDate::Instant(t) = p else {
        return Some(day);
    };
    if t.offset().local_minus_utc() != 0 {
        return Some(day);
    }
    let near = |d: chrono::NaiveDate| (d - day).num_days().abs() == 1;
    let url_day = [
        Some(cx.page.url.as_str()),
        cx.meta.canonical.as_deref(),
        cx.meta.tag(&["og:url"]),
    ]
    .into_iter()
    .flatten()
    .find_map(dates::date_from_url);
    if let Some(d) = url_day {
        return Some(if near(d) { d } else { day });
    }
    // The text of a `<time>` element or of the byline, next to the article's heading
    // (not a date shown in the page header).
    let h1 = h1?;
    let near_h1 = |i: usize| i > h1.saturating_sub(40) && i < h1 + 300;
    let shown = cx
        .dom
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| n.tag == "time" && !cx.noise[*i] && near_h1(*i))
        .find_map(|(i, _)| {
            let t = cx.dom.text(i);
            (t.chars().count() < 100)
                .then(|| dates::find_date_in_text(&t, cx.month_first))
                .flatten()
        })
        .or_else(|| {
            (h1.saturating_sub(40)..(h1 + 300).min(cx.dom.nodes.len())).find_map(|i| {
                let n = &cx.dom.nodes[i];
                if !n.is_elem()
                    || cx.noise[i]
                    || cx.m.skip[i]
                    || n.end - i > 40
                    || cx.m.hint[i] & hints::DATE == 0
                {
                    return None;
                }
                let t = cx.dom.text(i);
                if t.chars().count() > 200 || UPDATED_LABEL.is_match(&t) {
                    return None;
                }
                dates::find_date_in_text(&t, cx.month_first)
            })
        });
    match shown {
        Some(s) if near(s.day()) => Some(s.day()),
        _ => Some(day),
    }
}

fn modified(
    cx: &Ctx<'_, '_>,
    sel: Option<&ProfileSelectors>,
) -> Option<(ParsedDate, &'static str)> {
    if let Some(d) = sel
        .and_then(|s| s.modified.as_ref())
        .and_then(|s| selector_date(cx, s))
    {
        // A day from the selector: a generic source with the same day and a time is better.
        if !matches!(d, ParsedDate::Instant(_))
            && let Some((g @ ParsedDate::Instant(_), how)) = modified(cx, None)
            && g.day() == d.day()
        {
            return Some((g, how));
        }
        return Some((d, "selector"));
    }
    let meta = cx.meta;
    if let Some(d) = meta.ld_str("dateModified").and_then(|s| parse_date(&s)) {
        return Some((d, "json-ld"));
    }
    for key in MODIFIED_META {
        if let Some(d) = meta.tags.get(*key).and_then(|s| parse_date(s)) {
            return Some((d, "meta"));
        }
    }
    if let Some(d) = meta
        .itemprops
        .get("dateModified")
        .and_then(|s| parse_date(s))
    {
        return Some((d, "itemprop"));
    }
    for (i, n) in cx.dom.nodes.iter().enumerate() {
        if n.tag == "time"
            && !cx.noise[i]
            && is_updated_class(&class_id(cx, i))
            && let Some(d) = element_date(cx, i)
        {
            return Some((d, "time"));
        }
    }
    text_date(cx, true).map(|d| (d, "text"))
}

/// A date written in a date-like element (class/id hints) or right after the title.
/// `updated`: only texts labelled as updates ("Mis à jour le", "Updated").
fn text_date(cx: &Ctx<'_, '_>, updated: bool) -> Option<ParsedDate> {
    let dom = cx.dom;
    let h1 = dom.nodes.iter().position(|n| n.tag == "h1");
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.is_elem() || cx.noise[i] || cx.m.skip[i] {
            continue;
        }
        let hinted = cx.m.hint[i] & hints::DATE != 0;
        let near_title = h1.is_some_and(|h| i > h && i < h + 60);
        if !hinted && !near_title {
            continue;
        }
        if n.end - i > 40 {
            continue;
        }
        let t = dom.text(i);
        if t.is_empty() || t.chars().count() > 200 {
            continue;
        }
        let is_upd = UPDATED_LABEL.is_match(&t);
        if updated != is_upd {
            // A published date may sit in a text that also shows an update: take the part before it.
            if !updated
                && is_upd
                && let Some(pos) = UPDATED_LABEL.find(&t).map(|m| m.start())
                && pos > 0
                && let Some(d) = dates::find_date_in_text(&t[..pos], cx.month_first)
            {
                return Some(d);
            }
            continue;
        }
        let t = if updated {
            let pos = UPDATED_LABEL.find(&t).map_or(0, |m| m.start());
            t[pos..].to_string()
        } else {
            t
        };
        if let Some(d) = dates::find_date_in_text(&t, cx.month_first) {
            return Some(d);
        }
    }
    None
}

/// A relative date ("il y a 3 jours") in a date-like element near the title, never in sidebars.
fn relative_date(cx: &Ctx<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    let h1 = dom.nodes.iter().position(|n| n.tag == "h1")?;
    for i in h1..dom.nodes.len().min(h1 + 80) {
        let n = &dom.nodes[i];
        if !n.is_elem() || cx.noise[i] || cx.m.unlikely[i] && cx.m.hint[i] & hints::DATE == 0 {
            continue;
        }
        if n.end - i > 10 {
            continue;
        }
        let t = dom.text(i);
        if t.chars().count() > 100 {
            continue;
        }
        if let Some(d) = dates::parse_relative(&t, cx.page.fetched_at) {
            return Some(d);
        }
    }
    None
}
