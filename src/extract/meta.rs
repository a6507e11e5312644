//! Machine-readable metadata of a page: `<meta>` tags (OpenGraph, `article:*`, Dublin Core,
//! …), `itemprop` microdata, JSON-LD (Article types, inside `@graph` too, and breadcrumbs),
//! `<title>`, canonical link and language.

use std::collections::HashMap;

use serde_json::Value;

use super::dom::{Dom, collapse};

/// JSON-LD types that describe an article.
const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "techarticle",
    "scholarlyarticle",
    "socialmediaposting",
    "liveblogposting",
    "report",
    "posting",
];

/// One item of a breadcrumb trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crumb {
    /// The item's name.
    pub name: String,
    /// The item's URL, when given.
    pub url: Option<String>,
}

/// Metadata gathered in one pass.
#[derive(Debug, Default)]
pub struct Meta {
    /// `<meta name|property|itemprop=… content=…>`, keys lower-cased, first value kept.
    pub tags: HashMap<String, String>,
    /// All values of repeated tags (e.g. `article:tag`, `article:section`).
    pub multi: HashMap<String, Vec<String>>,
    /// The best JSON-LD article object, if any.
    pub ld_article: Option<Value>,
    /// True if a JSON-LD object has an article type.
    pub ld_is_article: bool,
    /// Names of the JSON-LD objects that have an `@id` (people referred to by id).
    pub ld_names: HashMap<String, String>,
    /// The JSON-LD breadcrumb items, in order.
    pub ld_breadcrumbs: Vec<Crumb>,
    /// Microdata values by `itemprop` (first of each, from elements other than `<meta>`).
    pub itemprops: HashMap<String, String>,
    /// `<title>` text.
    pub title: Option<String>,
    /// `<link rel=canonical>`.
    pub canonical: Option<String>,
    /// `<link rel=amphtml>`: the AMP version of the page.
    pub amp_url: Option<String>,
    /// `<html lang>`.
    pub html_lang: Option<String>,
}

impl Meta {
    /// Gathers the metadata of a page.
    pub fn collect(dom: &Dom<'_>) -> Meta {
        let mut m = Meta::default();
        let mut ld_objects: Vec<Value> = Vec::new();
        for (i, n) in dom.nodes.iter().enumerate() {
            match n.tag {
                "html" if m.html_lang.is_none() => {
                    m.html_lang = n.attr("lang").or(n.attr("xml:lang")).map(str::to_string);
                }
                "meta" => {
                    let key = n
                        .attr("property")
                        .or(n.attr("name"))
                        .or(Some(n.itemprop).filter(|p| !p.is_empty()))
                        .or(n.attr("http-equiv"))
                        .or(n.attr("pubdate").map(|_| "pubdate"));
                    if let (Some(k), Some(v)) = (key, n.attr("content")) {
                        let v = collapse(v);
                        if v.is_empty() {
                            continue;
                        }
                        let k = k.trim().to_ascii_lowercase();
                        m.multi.entry(k.clone()).or_default().push(v.clone());
                        m.tags.entry(k).or_insert(v);
                    }
                }
                "title"
                    if m.title.is_none()
                        && !dom.ancestors(i).any(|a| dom.nodes[a].tag == "svg") =>
                {
                    let t = dom.text(i);
                    if !t.is_empty() {
                        m.title = Some(t);
                    }
                }
                "link"
                    if m.canonical.is_none()
                        && n.attr("rel")
                            .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
                {
                    m.canonical = n.attr("href").map(|h| h.trim().to_string());
                }
                "link"
                    if m.amp_url.is_none()
                        && n.attr("rel")
                            .is_some_and(|r| r.eq_ignore_ascii_case("amphtml")) =>
                {
                    m.amp_url = n.attr("href").map(|h| h.trim().to_string());
                }
                "script"
                    if n.attr("type")
                        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
                {
                    let raw = dom.nodes[i + 1..n.end]
                        .iter()
                        .map(|t| t.text)
                        .collect::<String>();
                    if let Some(v) = parse_json_ld(&raw) {
                        flatten(v, &mut ld_objects, 0);
                    }
                }
                _ => {}
            }
            m.note_itemprop(dom, i);
        }
        m.choose_ld_article(ld_objects);
        m
    }

    /// Keeps the first microdata value of node `i`'s `itemprop` (not of a `<meta>`):
    /// its `content` or `datetime`, else the text of a small element.
    fn note_itemprop(&mut self, dom: &Dom<'_>, i: usize) {
        let n = &dom.nodes[i];
        if n.is_elem()
            && n.tag != "meta"
            && let Some(prop) = Some(n.itemprop).filter(|p| !p.is_empty())
        {
            let prop = prop.trim().to_string();
            if let std::collections::hash_map::Entry::Vacant(e) = self.itemprops.entry(prop) {
                let v = n
                    .attr("content")
                    .or(n.attr("datetime"))
                    .map(collapse)
                    .unwrap_or_else(|| {
                        if n.end - i < 50 {
                            dom.text(i)
                        } else {
                            String::new()
                        }
                    });
                if !v.is_empty() && v.len() < 500 {
                    e.insert(v);
                }
            }
        }
    }

    /// Notes the names of the JSON-LD `objects` with an `@id` and the first breadcrumb
    /// trail, and keeps the best article object: article types first, the one with a
    /// headline and date.
    fn choose_ld_article(&mut self, objects: Vec<Value>) {
        let mut best: Option<(i32, Value)> = None;
        for o in objects {
            if let (Some(id), Some(name)) = (
                o.get("@id").and_then(Value::as_str),
                o.get("name").and_then(Value::as_str),
            ) && !self.ld_names.contains_key(id)
            {
                self.ld_names.insert(id.to_string(), collapse(name));
            }
            let types = types_of(&o);
            if types.iter().any(|t| t == "breadcrumblist") {
                if self.ld_breadcrumbs.is_empty() {
                    self.ld_breadcrumbs = breadcrumb_names(&o);
                }
                continue;
            }
            let is_article = types.iter().any(|t| ARTICLE_TYPES.contains(&t.as_str()));
            self.ld_is_article |= is_article;
            let mut score = if is_article {
                10
            } else if types.iter().any(|t| t == "webpage" || t == "itempage") {
                2
            } else {
                continue;
            };
            if o.get("headline").is_some() {
                score += 2;
            }
            if o.get("datePublished").is_some() {
                score += 2;
            }
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, o));
            }
        }
        self.ld_article = best.map(|b| b.1);
    }

    /// True if the page says it is an article (JSON-LD type or `og:type=article`).
    pub fn declares_article(&self) -> bool {
        self.ld_is_article
            || self
                .tags
                .get("og:type")
                .is_some_and(|t| t.eq_ignore_ascii_case("article"))
    }

    /// First present meta tag among `keys`.
    pub fn tag(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|k| self.tags.get(*k).map(String::as_str))
    }

    /// True when a robots meta tag (`robots`, `googlebot`, `bingbot`) says `noindex`
    /// (or `none`, which means `noindex, nofollow`).
    pub fn noindex(&self) -> bool {
        ["robots", "googlebot", "bingbot"]
            .iter()
            .filter_map(|k| self.multi.get(*k))
            .flatten()
            .flat_map(|v| v.split([',', ' ']))
            .any(|d| d.eq_ignore_ascii_case("noindex") || d.eq_ignore_ascii_case("none"))
    }

    /// A string field of the JSON-LD article.
    pub fn ld_str(&self, key: &str) -> Option<String> {
        let v = self.ld_article.as_ref()?.get(key)?;
        value_text(v).into_iter().next()
    }

    /// A string field of the JSON-LD article with its line breaks (entities decoded).
    pub fn ld_str_raw(&self, key: &str) -> Option<String> {
        match self.ld_article.as_ref()?.get(key)? {
            Value::String(s) => Some(html_unescape(s)),
            _ => None,
        }
    }

    /// The names of a JSON-LD article field whose values are people or organisations:
    /// strings, objects with a `name`, or objects naming another one by `@id`.
    pub fn ld_names_of(&self, key: &str) -> Vec<String> {
        let Some(value) = self.ld_article.as_ref().and_then(|o| o.get(key)) else {
            return Vec::new();
        };
        let items: Vec<&Value> = match value {
            Value::Array(a) => a.iter().take(50).collect(),
            v => vec![v],
        };
        items
            .into_iter()
            .flat_map(|item| match item {
                Value::Object(o) if o.get("name").is_none() => o
                    .get("@id")
                    .and_then(Value::as_str)
                    .and_then(|id| self.ld_names.get(id))
                    .cloned()
                    .into_iter()
                    .collect(),
                v => value_text(v),
            })
            .collect()
    }

    /// All strings of a JSON-LD article field (arrays, objects with `name`, comma lists kept).
    pub fn ld_strs(&self, key: &str) -> Vec<String> {
        self.ld_article
            .as_ref()
            .and_then(|o| o.get(key))
            .map(value_text)
            .unwrap_or_default()
    }

    /// The page language: `<html lang>`, then meta, then JSON-LD.
    pub fn language(&self) -> Option<(String, &'static str)> {
        let norm = |s: &str| -> Option<String> {
            let s = s.trim().replace('_', "-");
            let first = s.split([',', ';', ' ']).next()?.to_string();
            let mut parts = first.split('-');
            let lang = parts.next()?.to_ascii_lowercase();
            if lang.len() < 2 || lang.len() > 3 || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
                return None;
            }
            match parts.next() {
                Some(r) if r.len() == 2 => Some(format!("{lang}-{}", r.to_ascii_uppercase())),
                _ => Some(lang),
            }
        };
        if let Some(l) = self.html_lang.as_deref().and_then(norm) {
            return Some((l, "meta"));
        }
        if let Some(l) = self
            .tag(&["content-language", "language", "dc.language", "og:locale"])
            .and_then(norm)
        {
            return Some((l, "meta"));
        }
        self.ld_str("inLanguage")
            .and_then(|l| norm(&l))
            .map(|l| (l, "json-ld"))
    }
}

fn parse_json_ld(raw: &str) -> Option<Value> {
    let t = raw.trim();
    let t = t.strip_prefix("<!--").unwrap_or(t);
    let t = t.strip_suffix("-->").unwrap_or(t);
    let t = t.trim();
    let t = t
        .strip_prefix("//<![CDATA[")
        .or(t.strip_prefix("<![CDATA["))
        .unwrap_or(t);
    let t = t
        .strip_suffix("//]]>")
        .or(t.strip_suffix("]]>"))
        .unwrap_or(t);
    if t.len() > 2_000_000 {
        return None;
    }
    serde_json::from_str(t.trim()).ok()
}

/// Collects every object of a JSON-LD document (arrays and `@graph` flattened).
fn flatten(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 || out.len() > 200 {
        return;
    }
    match v {
        Value::Array(items) => {
            for it in items {
                flatten(it, out, depth + 1);
            }
        }
        Value::Object(mut map) => {
            if let Some(g) = map.remove("@graph") {
                flatten(g, out, depth + 1);
            }
            // A WebPage's mainEntity may hold the article.
            if let Some(me) = map.get("mainEntity").cloned()
                && me.is_object()
            {
                flatten(me, out, depth + 1);
            }
            out.push(Value::Object(map));
        }
        _ => {}
    }
}

fn types_of(o: &Value) -> Vec<String> {
    match o.get("@type") {
        Some(Value::String(s)) => vec![s.to_ascii_lowercase()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str().map(str::to_ascii_lowercase))
            .collect(),
        _ => Vec::new(),
    }
}

fn breadcrumb_names(o: &Value) -> Vec<Crumb> {
    let Some(Value::Array(items)) = o.get("itemListElement") else {
        return Vec::new();
    };
    let mut v: Vec<(i64, Crumb)> = items
        .iter()
        .filter_map(|it| {
            let pos = it
                .get("position")
                .and_then(|p| p.as_i64().or_else(|| p.as_str()?.parse().ok()))
                .unwrap_or(0);
            let item = it.get("item");
            let name = it
                .get("name")
                .or_else(|| item.and_then(|i| i.get("name")))
                .and_then(Value::as_str)?;
            let url = match item {
                Some(Value::String(u)) => Some(u.clone()),
                Some(i) => i
                    .get("@id")
                    .or_else(|| i.get("url"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                None => it.get("url").and_then(Value::as_str).map(str::to_string),
            };
            Some((
                pos,
                Crumb {
                    name: collapse(name),
                    url,
                },
            ))
        })
        .collect();
    v.sort_by_key(|p| p.0);
    v.into_iter().map(|p| p.1).collect()
}

/// The text values of a JSON-LD value: strings, `name`s of objects, array items.
pub fn value_text(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => {
            let s = collapse(&html_unescape(s));
            if s.is_empty() { vec![] } else { vec![s] }
        }
        Value::Number(n) => vec![n.to_string()],
        Value::Array(a) => a.iter().take(50).flat_map(value_text).collect(),
        Value::Object(o) => o
            .get("name")
            .or_else(|| o.get("@value"))
            .map(value_text)
            .unwrap_or_default(),
        _ => vec![],
    }
}

/// Decodes the character references that JSON-LD writers leave in strings.
fn html_unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    super::html::decode_refs(s, false)
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    #[test]
    fn noindex_is_read_from_the_robots_meta_tags() {
        let meta = |head: &str| {
            let doc = parse(
                format!("<html><head>{head}</head><body></body></html>").into(),
                64,
            );
            Meta::collect(&Dom::new(&doc))
        };
        assert!(meta(r#"<meta name="robots" content="noindex, follow">"#).noindex());
        assert!(meta(r#"<meta name="ROBOTS" content="NOINDEX">"#).noindex());
        assert!(meta(r#"<meta name="googlebot" content="none">"#).noindex());
        assert!(
            meta(r#"<meta name="robots" content="max-image-preview:large"><meta name="robots" content="noindex">"#)
                .noindex()
        );
        assert!(!meta(r#"<meta name="robots" content="index, follow, noarchive">"#).noindex());
        assert!(!meta(r#"<meta name="description" content="noindex">"#).noindex());
        assert!(!meta("").noindex());
    }

    #[test]
    fn json_ld_graph_and_meta() {
        let page = r#"<html lang="fr-fr"><head><title>T - Site</title>
<meta property="og:type" content="article"><meta property="article:tag" content="a"><meta property="article:tag" content="b">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"S"},{"@type":["NewsArticle"],"headline":"H &amp; co","datePublished":"2020-01-02","author":[{"@type":"Person","name":"Ann"}]},{"@type":"BreadcrumbList","itemListElement":[{"position":2,"name":"Cloud"},{"position":1,"name":"Home"}]}]}</script>
</head><body><span itemprop="author">Bob</span></body></html>"#;
        let doc = parse(page.into(), 512);
        let dom = Dom::new(&doc);
        let m = Meta::collect(&dom);
        assert!(m.declares_article());
        assert_eq!(m.ld_str("headline").as_deref(), Some("H & co"));
        assert_eq!(m.ld_strs("author"), vec!["Ann"]);
        let crumbs: Vec<&str> = m.ld_breadcrumbs.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(crumbs, vec!["Home", "Cloud"]);
        assert_eq!(m.multi["article:tag"], vec!["a", "b"]);
        assert_eq!(m.title.as_deref(), Some("T - Site"));
        assert_eq!(m.itemprops["author"], "Bob");
        assert_eq!(m.language().map(|l| l.0).as_deref(), Some("fr-FR"));
    }
}
