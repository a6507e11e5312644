//! A flat, pre-order view of the parsed page (elements and text nodes), built without
//! recursion, so that every later pass is a loop over index ranges: a node's subtree is
//! `i + 1 .. end[i]`. Deeply nested pages cannot overflow the stack.

use std::collections::HashMap;

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

/// Sentinel for "no parent".
pub const NONE: usize = usize::MAX;

/// One node of the flat view.
#[derive(Debug, Clone, Copy)]
pub struct FNode<'a> {
    /// The scraper node.
    pub node: NodeRef<'a, Node>,
    /// Parent index or [`NONE`].
    pub parent: usize,
    /// One past the last descendant.
    pub end: usize,
    /// Lower-case tag name for elements, empty for text.
    pub tag: &'a str,
    /// Text content for text nodes.
    pub text: &'a str,
    /// `class` attribute ("" if none).
    pub class: &'a str,
    /// `id` attribute ("" if none).
    pub id: &'a str,
    /// `role` attribute ("" if none).
    pub role: &'a str,
    /// `itemprop` attribute ("" if none).
    pub itemprop: &'a str,
    /// Hidden by `hidden` or `aria-hidden="true"` (inline `display:none` is not trusted:
    /// paywalls hide article text that way).
    pub hidden: bool,
}

impl<'a> FNode<'a> {
    /// True for elements.
    pub fn is_elem(&self) -> bool {
        !self.tag.is_empty()
    }

    /// Attribute value of an element.
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        self.node.value().as_element().and_then(|e| e.attr(name))
    }
}

/// The flat view.
pub struct Dom<'a> {
    /// Nodes in document order.
    pub nodes: Vec<FNode<'a>>,
    index: HashMap<ego_tree::NodeId, usize>,
}

impl<'a> Dom<'a> {
    /// Flattens a parsed document.
    pub fn new(html: &'a Html) -> Dom<'a> {
        let mut nodes: Vec<FNode<'a>> = Vec::new();
        let mut index = HashMap::new();
        let mut stack: Vec<usize> = Vec::new();
        for edge in html.tree.root().traverse() {
            match edge {
                Edge::Open(n) => {
                    let parent = stack.last().copied().unwrap_or(NONE);
                    let (tag, text) = match n.value() {
                        Node::Element(e) => (e.name(), ""),
                        Node::Text(t) => ("", &**t),
                        _ => continue,
                    };
                    let (mut class, mut id, mut hidden) = ("", "", false);
                    let (mut role, mut itemprop) = ("", "");
                    if let Node::Element(e) = n.value() {
                        for (k, v) in e.attrs() {
                            match k {
                                "class" => class = v,
                                "id" => id = v,
                                "role" => role = v,
                                "itemprop" => itemprop = v,
                                "hidden" => hidden = true,
                                "aria-hidden" => hidden |= v == "true",
                                _ => {}
                            }
                        }
                    }
                    let i = nodes.len();
                    nodes.push(FNode {
                        node: n,
                        parent,
                        end: i + 1,
                        tag,
                        text,
                        class,
                        id,
                        role,
                        itemprop,
                        hidden,
                    });
                    if !tag.is_empty() {
                        index.insert(n.id(), i);
                        stack.push(i);
                    }
                }
                Edge::Close(n) => {
                    if n.value().is_element()
                        && let Some(i) = stack.pop()
                    {
                        nodes[i].end = nodes.len();
                    }
                }
            }
        }
        Dom { nodes, index }
    }

    /// Index of an element.
    pub fn idx(&self, e: &ElementRef<'_>) -> Option<usize> {
        self.index.get(&e.id()).copied()
    }

    /// Ancestor indices of `i`, nearest first.
    pub fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let mut cur = self.nodes.get(i).map_or(NONE, |n| n.parent);
        std::iter::from_fn(move || {
            if cur == NONE {
                return None;
            }
            let r = cur;
            cur = self.nodes[cur].parent;
            Some(r)
        })
    }

    /// Direct children of `i`.
    pub fn children(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes[i].end;
        let mut j = i + 1;
        std::iter::from_fn(move || {
            if j >= end {
                return None;
            }
            let r = j;
            j = self.nodes[j].end.max(j + 1);
            Some(r)
        })
    }

    /// Concatenated text of the subtree of `i`, whitespace collapsed.
    pub fn text(&self, i: usize) -> String {
        let mut out = String::new();
        let end = self.nodes[i].end;
        let mut j = i;
        while j < end {
            let n = &self.nodes[j];
            if matches!(n.tag, "script" | "style" | "noscript" | "template") {
                j = n.end.max(j + 1);
                continue;
            }
            if !n.is_elem() {
                push_collapsed(&mut out, n.text);
            } else if j != i && is_block(n.tag) {
                push_collapsed(&mut out, " ");
            }
            j += 1;
        }
        out.trim().to_string()
    }

    /// Element indices matching a selector, in document order.
    pub fn select(&self, html: &'a Html, sel: &scraper::Selector) -> Vec<usize> {
        html.select(sel).filter_map(|e| self.idx(&e)).collect()
    }

    /// True if `a` is `b` or an ancestor of `b`.
    pub fn contains(&self, a: usize, b: usize) -> bool {
        a <= b && b < self.nodes[a].end
    }
}

/// Prepares markup for parsing: drops comments, the content of scripts (except JSON-LD),
/// styles and inline SVG, and the attributes that no later pass reads (`style`, `data-*`,
/// `srcset`, …): most of a page's bytes and none of its text. Also caps the nesting of
/// elements: open tags beyond `max_depth` (and their closing tags) are removed, their text
/// kept. The HTML tree builder checks scopes by walking the stack of open elements, so
/// pathological nesting (100k `<div>`s) would otherwise take quadratic time. Void and
/// implicitly closed elements do not count.
pub fn prepare(s: &str, max_depth: usize) -> std::borrow::Cow<'_, str> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut dropped = 0usize;
    let mut out: Option<String> = None;
    let mut copied = 0usize;
    let mut i = 0usize;
    // Replaces s[from..to] with `with`.
    let replace =
        |out: &mut Option<String>, copied: &mut usize, from: usize, to: usize, with: &str| {
            let o = out.get_or_insert_with(|| String::with_capacity(s.len() / 2));
            o.push_str(&s[*copied..from]);
            o.push_str(with);
            *copied = to;
        };
    while let Some(off) = b.get(i..).and_then(|r| memchr::memchr(b'<', r)) {
        let p = i + off;
        let rest = &b[p + 1..];
        if rest.starts_with(b"!--") {
            // Comments are dropped: they are never text of the page.
            let e = find_from(b, p + 4, b"-->").map_or(b.len(), |e| e + 3);
            replace(&mut out, &mut copied, p, e, "");
            i = e;
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = p + 1 + usize::from(closing);
        let name_len = b[name_start..]
            .iter()
            .take_while(|&&c| !c.is_ascii_whitespace() && c != b'/' && c != b'>')
            .count();
        if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
            i = p + 1;
            continue;
        }
        let name = s[name_start..name_start + name_len].to_ascii_lowercase();
        let Some(tag) = lex_tag(b, name_start + name_len) else {
            break;
        };
        let end = tag.end;
        let uncounted = matches!(
            name.as_str(),
            "a" | "area"
                | "base"
                | "br"
                | "col"
                | "embed"
                | "hr"
                | "img"
                | "input"
                | "link"
                | "meta"
                | "source"
                | "track"
                | "wbr"
                | "param"
                | "keygen"
                | "p"
                | "li"
                | "dt"
                | "dd"
                | "option"
                | "optgroup"
                | "tr"
                | "td"
                | "th"
                | "thead"
                | "tbody"
                | "tfoot"
                | "rb"
                | "rt"
                | "rp"
                | "html"
                | "head"
                | "body"
                | "colgroup"
                | "caption"
        );
        if closing {
            if !uncounted {
                if dropped > 0 {
                    dropped -= 1;
                    replace(&mut out, &mut copied, p, end, "");
                } else {
                    depth = depth.saturating_sub(1);
                }
            }
            i = end;
            continue;
        }
        let mut removed = false;
        if !uncounted && !tag.self_closing {
            if depth >= max_depth {
                dropped += 1;
                replace(&mut out, &mut copied, p, end, "");
                removed = true;
            } else {
                depth += 1;
            }
        }
        if !removed && tag.drop_attrs {
            // Rewrite the tag with the attributes that are read later.
            let mut t = String::with_capacity(64);
            t.push('<');
            t.push_str(&s[name_start..name_start + name_len]);
            for &(a, z) in &tag.kept {
                t.push(' ');
                t.push_str(&s[a..z]);
            }
            if tag.self_closing {
                t.push_str(" /");
            }
            t.push('>');
            replace(&mut out, &mut copied, p, end, &t);
        }
        i = end;
        if !tag.self_closing
            && matches!(
                name.as_str(),
                "script" | "style" | "textarea" | "title" | "xmp" | "svg"
            )
        {
            let close = format!("</{name}");
            let e = find_ci_from(b, end, close.as_bytes()).unwrap_or(b.len());
            let keep = match name.as_str() {
                "script" => s[p..end].to_ascii_lowercase().contains("ld+json"),
                "style" | "svg" => false,
                _ => true,
            };
            if !keep && e > end {
                replace(&mut out, &mut copied, end, e, "");
            }
            i = e;
        }
    }
    match out {
        Some(mut o) => {
            o.push_str(&s[copied..]);
            std::borrow::Cow::Owned(o)
        }
        None => std::borrow::Cow::Borrowed(s),
    }
}

/// A lexed start or end tag.
struct Tag {
    /// One past the closing `>`.
    end: usize,
    /// Ends with `/>`.
    self_closing: bool,
    /// Byte ranges of the attributes to keep (name and value).
    kept: Vec<(usize, usize)>,
    /// Some attribute is not kept.
    drop_attrs: bool,
}

/// Attributes kept before parsing (the ones later passes read); the others (inline
/// styles, `data-*`, responsive image sets, event handlers, …) are dropped.
fn attr_kept(name: &[u8]) -> bool {
    const KEPT: &[&[u8]] = &[
        b"href",
        b"src",
        b"class",
        b"id",
        b"rel",
        b"itemprop",
        b"itemtype",
        b"itemscope",
        b"content",
        b"property",
        b"name",
        b"datetime",
        b"type",
        b"lang",
        b"xml:lang",
        b"charset",
        b"http-equiv",
        b"hidden",
        b"aria-hidden",
        b"role",
        b"pubdate",
    ];
    KEPT.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Lexes the attributes of a tag from `from` (just after its name) to its `>`, honouring
/// quotes as the HTML tokenizer does. None when the document ends inside the tag.
fn lex_tag(b: &[u8], from: usize) -> Option<Tag> {
    let mut i = from;
    let mut kept = Vec::new();
    let mut drop_attrs = false;
    let mut self_closing = false;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            self_closing = b[i] == b'/';
            i += 1;
        }
        let c = *b.get(i)?;
        if c == b'>' {
            return Some(Tag {
                end: i + 1,
                self_closing,
                kept,
                drop_attrs,
            });
        }
        self_closing = false;
        // Attribute name.
        let a = i;
        i += 1;
        while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let name_end = i;
        // Optional value.
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b.get(j) == Some(&b'=') {
            j += 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            match b.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = memchr::memchr(q, b.get(j + 1..)?)?;
                    i = j + 1 + close + 1;
                }
                Some(_) => {
                    while j < b.len() && b[j] != b'>' && !b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    i = j;
                }
                None => return None,
            }
        }
        if attr_kept(&b[a..name_end]) {
            kept.push((a, i));
        } else {
            drop_attrs = true;
        }
    }
}

fn find_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

/// Finds `</name` (ASCII case-insensitive) from `from`; `needle` starts with `</`.
fn find_ci_from(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let mut at = from;
    loop {
        let p = find_from(hay, at, b"</")?;
        if hay
            .get(p..p + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        {
            return Some(p);
        }
        at = p + 2;
    }
}

/// Appends `s` to `out` with whitespace runs (including NBSP kept as is) collapsed to one space.
pub fn push_collapsed(out: &mut String, s: &str) {
    let mut last_space = out.is_empty() || out.ends_with(' ');
    for c in s.chars() {
        if c.is_whitespace() && c != '\u{a0}' && c != '\u{202f}' {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

/// Collapses whitespace of a string and trims it.
pub fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_collapsed(&mut out, s);
    out.trim().to_string()
}

/// Block-level elements (a paragraph break around them).
pub fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "aside"
            | "header"
            | "footer"
            | "nav"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "tr"
            | "td"
            | "th"
            | "thead"
            | "tbody"
            | "tfoot"
            | "caption"
            | "figure"
            | "figcaption"
            | "form"
            | "fieldset"
            | "address"
            | "hr"
            | "br"
            | "body"
            | "html"
            | "center"
            | "details"
            | "summary"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_ranges_and_text() {
        let html =
            Html::parse_document("<div id=a><p>Hello <b>big</b>\n world</p><p>two</p></div>");
        let dom = Dom::new(&html);
        let div = dom.nodes.iter().position(|n| n.tag == "div").unwrap();
        assert_eq!(dom.text(div), "Hello big world two");
        let kids: Vec<_> = dom.children(div).map(|c| dom.nodes[c].tag).collect();
        assert_eq!(kids, vec!["p", "p"]);
        let b = dom.nodes.iter().position(|n| n.tag == "b").unwrap();
        assert!(dom.contains(div, b));
        assert!(dom.ancestors(b).any(|a| a == div));
    }

    #[test]
    fn prepare_strips_and_caps() {
        let page = "<div class=\"x\"><p>a<div><span>b</span></div></div><script type=application/ld+json>{\"a\":\"<div>\"}</script>";
        assert!(matches!(prepare(page, 512), std::borrow::Cow::Borrowed(_)));
        let page = "<p style=\"color: red\" class=c data-x='1 > 2'>a<!-- x --><script src=/s.js>if (a<b) x='<div>';</script><STYLE>p{}</STYLE><svg><path/></svg>b<br/><img src=i.png srcset=\"a 1x\" />";
        assert_eq!(
            prepare(page, 512),
            "<p class=c>a<script src=/s.js></script><STYLE></STYLE><svg></svg>b<br/><img src=i.png />"
        );
        let limited = prepare("<div><div><div>x</div>y</div>z</div>", 1);
        assert_eq!(limited, "<div>xyz</div>");
    }

    #[test]
    fn deep_nesting_is_fine() {
        let mut s = String::new();
        for _ in 0..100_000 {
            s.push_str("<div>");
        }
        s.push_str("deep");
        let started = std::time::Instant::now();
        let limited = prepare(&s, 512);
        let html = Html::parse_document(&limited);
        let dom = Dom::new(&html);
        assert!(dom.nodes.len() > 500);
        assert!(started.elapsed().as_secs() < 20);
        assert!(dom.text(0).contains("deep"));
    }
}
