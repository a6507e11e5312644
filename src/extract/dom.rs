//! A flat, pre-order view of the parsed page (elements and text nodes), so that every
//! later pass is a loop over index ranges: a node's subtree is `i + 1 .. end[i]`. Deeply
//! nested pages cannot overflow the stack. Profile selectors (CSS) are matched on this
//! view through the `selectors` crate.

use scraper::selector::{CssLocalName, CssString, NonTSPseudoClass, PseudoElement, Simple};
use selectors::attr::{AttrSelectorOperation, CaseSensitivity, NamespaceConstraint};
use selectors::bloom::BloomFilter;
use selectors::matching::{
    self, MatchingContext, MatchingForInvalidation, MatchingMode, NeedsSelectorFlags, QuirksMode,
    SelectorCaches,
};
use selectors::parser::{ParseRelative, SelectorList};
use selectors::{Element, OpaqueElement};

use super::html::{Doc, NO_PARENT};

/// Sentinel for "no parent".
pub const NONE: usize = usize::MAX;

/// One node of the flat view.
#[derive(Debug, Clone, Copy)]
pub struct FNode<'a> {
    doc: &'a Doc<'a>,
    attrs: (u32, u32),
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

    /// Attribute value of an element (the first one of that name).
    pub fn attr(&self, name: &str) -> Option<&'a str> {
        let doc = self.doc;
        doc.attrs
            .get(self.attrs.0 as usize..self.attrs.1 as usize)?
            .iter()
            .find(|a| doc.str(a.name) == name)
            .map(|a| doc.str(a.value))
    }

    /// All attributes (name, value).
    pub fn attrs(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let doc = self.doc;
        doc.attrs
            .get(self.attrs.0 as usize..self.attrs.1 as usize)
            .unwrap_or(&[])
            .iter()
            .map(move |a| (doc.str(a.name), doc.str(a.value)))
    }
}

/// The flat view.
pub struct Dom<'a> {
    /// Nodes in document order.
    pub nodes: Vec<FNode<'a>>,
}

impl<'a> Dom<'a> {
    /// The view of a parsed document.
    pub fn new(doc: &'a Doc<'a>) -> Dom<'a> {
        let mut nodes: Vec<FNode<'a>> = Vec::with_capacity(doc.nodes.len());
        for raw in &doc.nodes {
            let tag = doc.str(raw.tag);
            let (mut class, mut id, mut hidden) = ("", "", false);
            let (mut role, mut itemprop) = ("", "");
            if !tag.is_empty() {
                for a in doc
                    .attrs
                    .get(raw.attrs.0 as usize..raw.attrs.1 as usize)
                    .unwrap_or(&[])
                {
                    let v = doc.str(a.value);
                    match doc.str(a.name) {
                        "class" if class.is_empty() => class = v,
                        "id" if id.is_empty() => id = v,
                        "role" if role.is_empty() => role = v,
                        "itemprop" if itemprop.is_empty() => itemprop = v,
                        "hidden" => hidden = true,
                        "aria-hidden" => hidden |= v.eq_ignore_ascii_case("true"),
                        _ => {}
                    }
                }
            }
            let up = |v: u32| if v == NO_PARENT { NONE } else { v as usize };
            nodes.push(FNode {
                doc,
                attrs: raw.attrs,
                parent: up(raw.parent),
                end: raw.end as usize,
                tag,
                text: if tag.is_empty() {
                    doc.str(raw.text)
                } else {
                    ""
                },
                class,
                id,
                role,
                itemprop,
                hidden,
            });
        }
        Dom { nodes }
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
            if matches!(
                n.tag,
                "script" | "style" | "noscript" | "template" | "rt" | "rp"
            ) {
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
        let t = out.trim_end().len();
        out.truncate(t);
        if out.starts_with(' ') {
            out.remove(0);
        }
        out
    }

    /// Element indices matching a compiled selector, in document order.
    pub fn select(&self, sel: &CssSelector) -> Vec<usize> {
        let mut caches = SelectorCaches::default();
        let mut cx = MatchingContext::new(
            MatchingMode::Normal,
            None,
            &mut caches,
            QuirksMode::NoQuirks,
            NeedsSelectorFlags::No,
            MatchingForInvalidation::No,
        );
        (0..self.nodes.len())
            .filter(|&i| {
                self.nodes[i].is_elem() && {
                    let el = El { dom: self, i };
                    sel.list
                        .slice()
                        .iter()
                        .any(|s| matching::matches_selector(s, 0, None, &el, &mut cx))
                }
            })
            .collect()
    }

    /// True if `a` is `b` or an ancestor of `b`.
    pub fn contains(&self, a: usize, b: usize) -> bool {
        a <= b && b < self.nodes[a].end
    }
}

/// A CSS selector (group) compiled once, matched on the flat view without re-parsing.
#[derive(Debug, Clone)]
pub struct CssSelector {
    list: SelectorList<Simple>,
}

impl CssSelector {
    /// Compiles a CSS selector group; the error says why it is invalid.
    pub fn parse(css: &str) -> Result<CssSelector, String> {
        // scraper's parser gives the readable error; the list is then built with the same
        // parser implementation, so both accept the same selectors.
        scraper::Selector::parse(css).map_err(|e| e.to_string())?;
        let mut parser = cssparser::Parser::new(css);
        SelectorList::<Simple>::parse(&scraper::selector::Parser, &mut parser, ParseRelative::No)
            .map(|list| CssSelector { list })
            .map_err(|e| format!("{:?}", e.kind))
    }
}

/// An element of the flat view, for selector matching.
#[derive(Clone, Copy)]
struct El<'d, 'a> {
    dom: &'d Dom<'a>,
    i: usize,
}

impl std::fmt::Debug for El<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}#{}>", self.node().tag, self.i)
    }
}

impl<'d, 'a> El<'d, 'a> {
    fn node(&self) -> &'d FNode<'a> {
        &self.dom.nodes[self.i]
    }

    fn at(&self, i: usize) -> El<'d, 'a> {
        El { dom: self.dom, i }
    }
}

impl Element for El<'_, '_> {
    type Impl = Simple;

    fn opaque(&self) -> OpaqueElement {
        OpaqueElement::new(self.node())
    }

    fn parent_element(&self) -> Option<Self> {
        let p = self.node().parent;
        (p != NONE).then(|| self.at(p))
    }

    fn parent_node_is_shadow_root(&self) -> bool {
        false
    }

    fn containing_shadow_host(&self) -> Option<Self> {
        None
    }

    fn is_pseudo_element(&self) -> bool {
        false
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        let p = self.node().parent;
        if p == NONE {
            return None;
        }
        let mut prev = None;
        for c in self.dom.children(p) {
            if c == self.i {
                break;
            }
            if self.dom.nodes[c].is_elem() {
                prev = Some(c);
            }
        }
        prev.map(|c| self.at(c))
    }

    fn next_sibling_element(&self) -> Option<Self> {
        let p = self.node().parent;
        let pend = if p == NONE {
            self.dom.nodes.len()
        } else {
            self.dom.nodes[p].end
        };
        let mut j = self.node().end.max(self.i + 1);
        while j < pend {
            if self.dom.nodes[j].is_elem() {
                return Some(self.at(j));
            }
            j = self.dom.nodes[j].end.max(j + 1);
        }
        None
    }

    fn first_element_child(&self) -> Option<Self> {
        self.dom
            .children(self.i)
            .find(|&c| self.dom.nodes[c].is_elem())
            .map(|c| self.at(c))
    }

    fn is_html_element_in_html_document(&self) -> bool {
        true
    }

    fn has_local_name(&self, name: &CssLocalName) -> bool {
        self.node().tag == &*name.0
    }

    fn has_namespace(&self, ns: &html5ever::Namespace) -> bool {
        *ns == html5ever::ns!(html)
    }

    fn is_same_type(&self, other: &Self) -> bool {
        self.node().tag == other.node().tag
    }

    fn attr_matches(
        &self,
        ns: &NamespaceConstraint<&html5ever::Namespace>,
        local_name: &CssLocalName,
        operation: &AttrSelectorOperation<&CssString>,
    ) -> bool {
        if let NamespaceConstraint::Specific(url) = ns
            && **url != html5ever::ns!()
        {
            return false;
        }
        self.node()
            .attrs()
            .any(|(k, v)| k == &*local_name.0 && operation.eval_str(v))
    }

    fn match_non_ts_pseudo_class(
        &self,
        _pc: &NonTSPseudoClass,
        _context: &mut MatchingContext<'_, Self::Impl>,
    ) -> bool {
        false
    }

    fn match_pseudo_element(
        &self,
        _pe: &PseudoElement,
        _context: &mut MatchingContext<'_, Self::Impl>,
    ) -> bool {
        false
    }

    fn apply_selector_flags(&self, _flags: matching::ElementSelectorFlags) {}

    fn is_link(&self) -> bool {
        self.node().tag == "link"
    }

    fn is_html_slot_element(&self) -> bool {
        false
    }

    fn has_id(&self, id: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        let v = self.node().id;
        !v.is_empty() && case_sensitivity.eq(id.0.as_bytes(), v.as_bytes())
    }

    fn has_class(&self, name: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.node()
            .class
            .split_ascii_whitespace()
            .any(|c| case_sensitivity.eq(name.0.as_bytes(), c.as_bytes()))
    }

    fn has_custom_state(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn imported_part(&self, _name: &CssLocalName) -> Option<CssLocalName> {
        None
    }

    fn is_part(&self, _name: &CssLocalName) -> bool {
        false
    }

    fn is_empty(&self) -> bool {
        !self
            .dom
            .children(self.i)
            .any(|c| self.dom.nodes[c].is_elem() || !self.dom.nodes[c].text.is_empty())
    }

    fn is_root(&self) -> bool {
        self.node().parent == NONE
    }

    fn add_element_unique_hashes(&self, _filter: &mut BloomFilter) -> bool {
        false
    }
}

/// Counts the characters of `s` (a whitespace run counts one) and its commas; returns them
/// with the last character that is not whitespace.
pub fn text_len(s: &str) -> (u32, u32, Option<char>) {
    let mut n = 0u32;
    let mut commas = 0u32;
    let mut in_space = true;
    // End of the last character that is not whitespace (0: none yet).
    let mut last_end = 0usize;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            // ASCII, without branches: a character counts unless it is whitespace after
            // whitespace.
            let space = c == b' ' || c.wrapping_sub(b'\t') < 5;
            n += u32::from(!(space && in_space));
            in_space = space;
            commas += u32::from(c == b',');
            last_end = if space { last_end } else { i + 1 };
            i += 1;
            continue;
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        i += ch.len_utf8();
        if ch.is_whitespace() {
            n += u32::from(!in_space);
            in_space = true;
        } else {
            n += 1;
            in_space = false;
            last_end = i;
            commas += u32::from(matches!(ch, '，' | '、' | '،'));
        }
    }
    (n, commas, s[..last_end].chars().next_back())
}

/// Appends `s` to `out` with whitespace runs collapsed to one space (no-break spaces kept
/// as they are) and invisible characters (soft hyphens, zero-width spaces) removed.
pub fn push_collapsed(out: &mut String, s: &str) {
    let mut last_space = out.is_empty() || out.ends_with(' ');
    let b = s.as_bytes();
    // Copies runs of ordinary characters, single spaces between words included, at once.
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b' ' && !last_space {
            // One space after a word: kept as it is, in the run.
            last_space = true;
            i += 1;
            continue;
        }
        let (len, space, invisible) = if c < 0x80 {
            (
                1,
                matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '),
                false,
            )
        } else {
            let ch = s[i..].chars().next().unwrap_or(' ');
            (
                ch.len_utf8(),
                ch.is_whitespace() && ch != '\u{a0}' && ch != '\u{202f}',
                // Soft hyphens, zero-width spaces, word joiners, BOMs: never shown.
                matches!(ch, '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}'),
            )
        };
        if space || invisible {
            out.push_str(&s[start..i]);
            if space && !last_space {
                out.push(' ');
                last_space = true;
            }
            start = i + len;
        } else {
            last_space = false;
        }
        i += len;
    }
    if start < b.len() {
        out.push_str(&s[start..]);
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

/// Tags whose content is never text of the page.
pub fn ignored_tag(tag: &str) -> bool {
    matches!(
        tag,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "iframe"
            | "object"
            | "embed"
            | "canvas"
            | "button"
            | "select"
            | "textarea"
            | "input"
            | "head"
            | "video"
            | "audio"
            | "picture"
            | "dialog"
            | "title"
            | "rt"
            | "rp"
    )
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    fn sel(css: &str) -> CssSelector {
        CssSelector::parse(css).unwrap()
    }

    #[test]
    fn flat_ranges_and_text() {
        let doc = parse(
            "<div id=a><p>Hello <b>big</b>\n world</p><p>two</p></div>".into(),
            512,
        );
        let dom = Dom::new(&doc);
        let div = dom.nodes.iter().position(|n| n.tag == "div").unwrap();
        assert_eq!(dom.text(div), "Hello big world two");
        let kids: Vec<_> = dom.children(div).map(|c| dom.nodes[c].tag).collect();
        assert_eq!(kids, vec!["p", "p"]);
        let b = dom.nodes.iter().position(|n| n.tag == "b").unwrap();
        assert!(dom.contains(div, b));
        assert!(dom.ancestors(b).any(|a| a == div));
        assert_eq!(dom.nodes[div].attr("id"), Some("a"));
    }

    /// [`text_len`]'s rule, character by character.
    fn text_len_slowly(s: &str) -> (u32, u32, Option<char>) {
        let (mut n, mut commas, mut in_space, mut last) = (0, 0, true, None);
        for c in s.chars() {
            if c.is_whitespace() {
                n += u32::from(!in_space);
                in_space = true;
            } else {
                n += 1;
                in_space = false;
                last = Some(c);
                commas += u32::from(matches!(c, ',' | '，' | '、' | '،'));
            }
        }
        (n, commas, last)
    }

    #[test]
    fn text_len_counts_as_its_rule_says() {
        for s in [
            "",
            "   ",
            "Un mot, deux mots.",
            "  tête\u{a0}: «\u{202f}oui\u{202f}»  ",
            "a\t\n\r\x0b\x0cb,",
            "中文，句子、结束。",
            "عربي، نص؟ ",
            "x\u{3000}\u{3000}y!\u{ad}",
        ] {
            assert_eq!(text_len(s), text_len_slowly(s), "{s:?}");
        }
    }

    /// The rule of [`push_collapsed`], character by character.
    fn collapsed_slowly(out: &mut String, s: &str) {
        for ch in s.chars() {
            if matches!(ch, '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}') {
                continue;
            }
            if ch.is_whitespace() && ch != '\u{a0}' && ch != '\u{202f}' {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push(ch);
            }
        }
    }

    #[test]
    fn collapsing_agrees_with_the_rule_on_mixed_text() {
        let alphabet = [
            "a", "é", " ", "  ", "\t", "\n", "\u{a0}", "\u{ad}", "\u{200b}", "\u{3000}", "x ",
            " y", "’", "\r\n",
        ];
        // A small deterministic generator: every run of up to 12 pieces it draws.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..5000 {
            let mut pieces = String::new();
            let mut prefix = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            for k in 0..(seed % 12) {
                let pick = (seed >> (k * 4)) as usize % alphabet.len();
                pieces.push_str(alphabet[pick]);
            }
            if seed.is_multiple_of(3) {
                prefix.push_str("mot ");
            } else if seed % 3 == 1 {
                prefix.push_str("mot");
            }
            let (mut fast, mut slow) = (prefix.clone(), prefix);
            push_collapsed(&mut fast, &pieces);
            collapsed_slowly(&mut slow, &pieces);
            assert_eq!(fast, slow, "{pieces:?}");
        }
    }

    #[test]
    fn collapsing_whitespace_and_invisible_characters() {
        let mut out = String::new();
        push_collapsed(
            &mut out,
            "  Mag\u{ad}da\u{ad}le\u{ad}ner \t\n Clas\u{200b}sico\u{a0}! ",
        );
        push_collapsed(&mut out, " é  x");
        assert_eq!(out, "Magdalener Classico\u{a0}! é x");
        assert_eq!(collapse("\u{feff} a \u{3000} b "), "a b");
    }

    #[test]
    fn selectors_match_on_the_flat_view() {
        let doc = parse(
            r#"<div class="cat-links x"><a rel="category tag" href="/c">C</a><a rel="tag">T</a></div>
<h1 class=entry-title>T</h1><time class="entry-date published" datetime="2016">d</time><ul><li>1</li><li>2</li></ul>"#
                .into(),
            512,
        );
        let dom = Dom::new(&doc);
        let tags = |css: &str| -> Vec<&str> {
            dom.select(&sel(css))
                .into_iter()
                .map(|i| dom.nodes[i].tag)
                .collect()
        };
        assert_eq!(tags("div.cat-links a[rel=\"category tag\"]"), vec!["a"]);
        assert_eq!(tags("a[rel~=tag]").len(), 2);
        assert_eq!(
            tags("h1.entry-title, time.entry-date.published"),
            vec!["h1", "time"]
        );
        assert_eq!(tags("li:first-child + li"), vec!["li"]);
        assert_eq!(tags("ul > li:last-child").len(), 1);
        assert!(tags("section").is_empty());
        assert_eq!(tags("div:has(a)"), vec!["div"]);
    }
}
