//! A fast, lenient HTML parser for extraction: one pass over the text with `memchr`, no
//! per-node allocation. It follows the HTML tokenizer (quoted attributes, comments, raw
//! text and RCDATA elements, character references with the legacy rules) and the parts of
//! the tree-construction rules that shape text (implied `</p>`, `</li>`, `</dd>`, `</td>`,
//! `</tr>`, `</option>`, headings, nested `<a>`, scopes, head/body), but not the rarely
//! useful ones (foster parenting, the adoption agency, formatting reconstruction).
//!
//! The result is a [`Doc`]: nodes in document order (pre-order), each with its parent and
//! the end of its subtree, so that a subtree is an index range. The content of scripts
//! (except JSON-LD and `text/template`), styles, inline SVG/MathML, `<noscript>` and comments is skipped while
//! lexing: most of a page's bytes and none of its text; an unclosed `<svg>` or `<math>`
//! ends where a browser's would (at an HTML tag such as `<p>`, see `foreign`). Nesting is capped (deeper open tags
//! are dropped, their text kept), so no input makes the parser slow or deep.

use memchr::{memchr, memmem};

mod foreign;
mod refs;

pub use refs::decode_refs;

/// Sentinel for "no parent".
pub const NO_PARENT: u32 = u32::MAX;

/// Largest input parsed (bytes); the rest of a larger page is ignored.
pub const MAX_INPUT: usize = 1 << 30;

/// Most nodes built for one page; the rest of a page with more is ignored. The largest
/// real article pages have some tens of thousands; a page made of a million links would
/// otherwise cost about 170 bytes per node here and in the extractor's view of it (20×
/// the page). At the cap, the nodes and their views take about 45 MB.
pub const MAX_NODES: usize = 250_000;

/// Marks a span into the side buffer while parsing (fixed up at the end).
const SIDE: u32 = 1 << 31;

/// A byte range of [`Doc::text`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    /// Start (bytes).
    pub start: u32,
    /// End (bytes, exclusive).
    pub end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
}

/// One node: an element (non-empty `tag`) or a text node.
#[derive(Debug, Clone, Copy)]
pub struct RawNode {
    /// Lower-case tag name; empty for text nodes.
    pub tag: Span,
    /// Text of a text node.
    pub text: Span,
    /// Parent index or [`NO_PARENT`].
    pub parent: u32,
    /// One past the last descendant.
    pub end: u32,
    /// Attribute range in [`Doc::attrs`].
    pub attrs: (u32, u32),
}

/// An attribute: lower-case name and decoded value.
#[derive(Debug, Clone, Copy)]
pub struct RawAttr {
    /// Name.
    pub name: Span,
    /// Value (empty if none).
    pub value: Span,
}

/// A parsed page.
#[derive(Debug, Default)]
pub struct Doc<'s> {
    /// The page text.
    pub text: std::borrow::Cow<'s, str>,
    /// Decoded text (character references, lower-cased names) that is not in the page.
    side: String,
    /// Nodes in document order; node 0 is `<html>`.
    pub nodes: Vec<RawNode>,
    /// Attributes of all elements.
    pub attrs: Vec<RawAttr>,
}

impl Doc<'_> {
    /// The text of a span.
    pub fn str(&self, s: Span) -> &str {
        let (buf, a, b): (&str, u32, u32) = if s.start & SIDE != 0 {
            (&self.side, s.start & !SIDE, s.end & !SIDE)
        } else {
            (&self.text, s.start, s.end)
        };
        buf.get(a as usize..b as usize).unwrap_or("")
    }
}

/// What the tree builder needs to know about a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Other,
    Html,
    Head,
    Body,
    P,
    Li,
    Dd,
    H,
    A,
    Formatting,
    Void,
    Table,
    TSection,
    Tr,
    Td,
    Caption,
    Option,
    Optgroup,
    Button,
    /// Block elements whose start closes an open `<p>`.
    Block,
    /// Other "special" elements (stop generic end-tag matching).
    Special,
    /// Elements kept in the head before the body starts.
    HeadContent,
    Template,
}

/// Raw text handling after a start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Raw {
    None,
    /// Content dropped (`<style>`, `<script>` other than JSON-LD, …).
    Skip,
    /// Content kept as one text node, no character references (`<script>` JSON-LD, templates).
    Keep,
    /// Content kept, character references decoded (`<title>`, `<textarea>`).
    Rcdata,
    /// The rest of the document is text.
    Plaintext,
}

fn classify(name: &str) -> K {
    match name {
        "p" => K::P,
        "li" => K::Li,
        "dd" | "dt" => K::Dd,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => K::H,
        "a" => K::A,
        "b" | "big" | "code" | "em" | "font" | "i" | "nobr" | "s" | "small" | "strike"
        | "strong" | "tt" | "u" => K::Formatting,
        "area" | "base" | "basefont" | "bgsound" | "br" | "col" | "embed" | "hr" | "img"
        | "image" | "input" | "keygen" | "link" | "meta" | "param" | "source" | "track" | "wbr"
        | "frame" => K::Void,
        "table" => K::Table,
        "tbody" | "thead" | "tfoot" => K::TSection,
        "tr" => K::Tr,
        "td" | "th" => K::Td,
        "caption" | "colgroup" => K::Caption,
        "option" => K::Option,
        "optgroup" => K::Optgroup,
        "button" => K::Button,
        "address" | "article" | "aside" | "blockquote" | "center" | "details" | "dialog"
        | "dir" | "div" | "dl" | "fieldset" | "figcaption" | "figure" | "footer" | "form"
        | "header" | "hgroup" | "main" | "menu" | "nav" | "ol" | "pre" | "listing" | "section"
        | "summary" | "ul" | "search" | "xmp" | "plaintext" => K::Block,
        "html" => K::Html,
        "head" => K::Head,
        "body" => K::Body,
        "title" | "style" | "script" | "noscript" | "noframes" => K::HeadContent,
        "template" => K::Template,
        "applet" | "frameset" | "iframe" | "marquee" | "noembed" | "object" | "select"
        | "textarea" => K::Special,
        _ => K::Other,
    }
}

fn is_special(k: K) -> bool {
    !matches!(k, K::Other | K::A | K::Formatting)
}

/// Boundaries of the default scope.
fn scope_boundary(k: K, name: &str) -> bool {
    matches!(k, K::Html | K::Table | K::Td | K::Caption | K::Template)
        || (k == K::Special && matches!(name, "applet" | "marquee" | "object"))
}

struct Builder<'s> {
    src: &'s str,
    side: String,
    nodes: Vec<RawNode>,
    attrs: Vec<RawAttr>,
    /// Open elements: node index and kind.
    stack: Vec<(u32, K)>,
    head: Option<u32>,
    body: Option<u32>,
    /// Open tags dropped because of the nesting cap.
    dropped: usize,
    max_depth: usize,
    /// Open `<p>` elements on the stack.
    open_p: usize,
}

/// Parses a page. `max_depth` caps the nesting of elements.
pub fn parse(text: std::borrow::Cow<'_, str>, max_depth: usize) -> Doc<'_> {
    let mut text = text;
    if text.len() > MAX_INPUT {
        let mut cut = MAX_INPUT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        match &mut text {
            std::borrow::Cow::Borrowed(t) => *t = &t[..cut],
            std::borrow::Cow::Owned(t) => t.truncate(cut),
        }
    }
    let (nodes, attrs, side) = {
        let mut b = Builder {
            src: &text,
            side: String::new(),
            nodes: Vec::with_capacity((text.len() / 40).min(MAX_NODES)),
            attrs: Vec::with_capacity((text.len() / 60).min(MAX_NODES)),
            stack: Vec::with_capacity(64),
            head: None,
            body: None,
            dropped: 0,
            max_depth: max_depth.max(4),
            open_p: 0,
        };
        b.run();
        b.finish();
        (b.nodes, b.attrs, b.side)
    };
    Doc {
        text,
        side,
        nodes,
        attrs,
    }
}

impl<'s> Builder<'s> {
    fn side_span(&mut self, s: &str) -> Span {
        let start = self.side.len();
        self.side.push_str(s);
        Span {
            start: start as u32 | SIDE,
            end: self.side.len() as u32 | SIDE,
        }
    }

    fn name(&self, s: Span) -> &str {
        if s.start & SIDE != 0 {
            &self.side[(s.start & !SIDE) as usize..(s.end & !SIDE) as usize]
        } else {
            &self.src[s.start as usize..s.end as usize]
        }
    }

    fn run(&mut self) {
        let src = self.src;
        let b = src.as_bytes();
        // The root element exists from the start; a leading `<html>` gives it attributes.
        self.nodes.push(RawNode {
            tag: Span::default(),
            text: Span::default(),
            parent: NO_PARENT,
            end: 1,
            attrs: (0, 0),
        });
        let html_tag = self.side_span("html");
        self.nodes[0].tag = html_tag;
        self.stack.push((0, K::Html));
        let mut i = 0usize;
        while i < b.len() && self.nodes.len() < MAX_NODES {
            let Some(off) = memchr(b'<', &b[i..]) else {
                self.text(i, b.len());
                break;
            };
            let p = i + off;
            let next = b.get(p + 1).copied().unwrap_or(0);
            if next.is_ascii_alphabetic() {
                if p > i {
                    self.text(i, p);
                }
                i = self.start_tag(p);
            } else if next == b'/' {
                if p > i {
                    self.text(i, p);
                }
                let c = b.get(p + 2).copied().unwrap_or(0);
                if c.is_ascii_alphabetic() {
                    i = self.end_tag(p);
                } else if c == b'>' {
                    i = p + 3;
                } else {
                    // Bogus comment up to `>`.
                    i = memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e + 1);
                }
            } else if next == b'!' {
                if p > i {
                    self.text(i, p);
                }
                if b[p..].starts_with(b"<!--") {
                    let body = p + 4;
                    i = if b[body..].starts_with(b">") {
                        body + 1
                    } else if b[body..].starts_with(b"->") {
                        body + 2
                    } else {
                        memmem::find(&b[body..], b"-->").map_or(b.len(), |e| body + e + 3)
                    };
                } else {
                    i = memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e + 1);
                }
            } else if next == b'?' {
                if p > i {
                    self.text(i, p);
                }
                i = memchr(b'>', &b[p..]).map_or(b.len(), |e| p + e + 1);
            } else {
                // A lone `<` is text: keep scanning from after it, in the same text run.
                let Some(off2) = memchr(b'<', &b[p + 1..]) else {
                    self.text(i, b.len());
                    break;
                };
                // Emit up to the next `<` as one run, then continue there.
                let q = p + 1 + off2;
                self.text(i, q);
                i = q;
            }
        }
    }

    fn finish(&mut self) {
        let n = self.nodes.len() as u32;
        while let Some((idx, _)) = self.stack.pop() {
            self.nodes[idx as usize].end = n;
        }
    }

    fn top(&self) -> (u32, K) {
        self.stack.last().copied().unwrap_or((0, K::Html))
    }

    /// Pops the stack down to (and including) position `pos`.
    fn pop_to(&mut self, pos: usize) {
        let n = self.nodes.len() as u32;
        while self.stack.len() > pos.max(1) {
            if let Some((idx, k)) = self.stack.pop() {
                self.nodes[idx as usize].end = n;
                if k == K::P {
                    self.open_p -= 1;
                }
            }
        }
    }

    fn push_node(&mut self, tag: Span, text: Span, attrs: (u32, u32)) -> u32 {
        let idx = self.nodes.len() as u32;
        let parent = self.top().0;
        self.nodes.push(RawNode {
            tag,
            text,
            parent,
            end: idx + 1,
            attrs,
        });
        idx
    }

    fn in_head_or_before_body(&self) -> bool {
        self.body.is_none() && matches!(self.top().1, K::Html | K::Head)
    }

    /// Closes the head and opens the body (implied by body content).
    fn ensure_body(&mut self) {
        if self.body.is_some() {
            return;
        }
        if let Some(pos) = self.stack.iter().rposition(|e| e.1 == K::Head) {
            self.pop_to(pos);
        }
        let tag = self.side_span("body");
        let idx = self.push_node(tag, Span::default(), (0, 0));
        self.stack.push((idx, K::Body));
        self.body = Some(idx);
    }

    fn text(&mut self, from: usize, to: usize) {
        let s = &self.src[from..to];
        if self.in_head_or_before_body() {
            if s.bytes().all(|c| c.is_ascii_whitespace()) {
                return;
            }
            self.ensure_body();
        }
        let span = if memchr(b'&', s.as_bytes()).is_some() {
            let decoded = decode_refs(s, false);
            self.side_span(&decoded)
        } else {
            Span::new(from, to)
        };
        self.push_node(Span::default(), span, (0, 0));
    }

    /// Lexes a tag name at `at`: returns its span (lower-cased) and the position after it.
    fn tag_name(&mut self, at: usize) -> (Span, usize) {
        let b = self.src.as_bytes();
        let mut j = at;
        let mut upper = false;
        while j < b.len() && !matches!(b[j], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>') {
            upper |= b[j].is_ascii_uppercase();
            j += 1;
        }
        let span = if upper {
            let lower = self.src[at..j].to_ascii_lowercase();
            self.side_span(&lower)
        } else {
            Span::new(at, j)
        };
        (span, j)
    }

    /// Lexes attributes from `at` to the tag's `>`: returns the position after `>`, the
    /// self-closing flag, or None at the end of the document.
    fn attributes(&mut self, at: usize, keep: bool) -> Option<(usize, bool)> {
        let src = self.src;
        let b = src.as_bytes();
        let mut i = at;
        let mut self_closing = false;
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                self_closing = b[i] == b'/';
                i += 1;
            }
            let c = *b.get(i)?;
            if c == b'>' {
                return Some((i + 1, self_closing));
            }
            self_closing = false;
            let a = i;
            i += 1;
            while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !b[i].is_ascii_whitespace()
            {
                i += 1;
            }
            let name_end = i;
            let mut j = i;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = (0usize, 0usize);
            if b.get(j) == Some(&b'=') {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                match b.get(j) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let close = memchr(q, b.get(j + 1..)?)?;
                        value = (j + 1, j + 1 + close);
                        i = j + 1 + close + 1;
                    }
                    Some(_) => {
                        let s = j;
                        while j < b.len() && b[j] != b'>' && !b[j].is_ascii_whitespace() {
                            j += 1;
                        }
                        value = (s, j);
                        i = j;
                    }
                    None => return None,
                }
            }
            if keep {
                let name = &src[a..name_end];
                let name = if name.bytes().any(|c| c.is_ascii_uppercase()) {
                    let lower = name.to_ascii_lowercase();
                    self.side_span(&lower)
                } else {
                    Span::new(a, name_end)
                };
                let v = &src[value.0..value.1];
                let value = if memchr(b'&', v.as_bytes()).is_some() {
                    let decoded = decode_refs(v, true);
                    self.side_span(&decoded)
                } else {
                    Span::new(value.0, value.1)
                };
                self.attrs.push(RawAttr { name, value });
            }
        }
    }

    fn find_close(&self, from: usize, name: &str) -> usize {
        let b = self.src.as_bytes();
        let mut at = from;
        while let Some(off) = memmem::find(&b[at.min(b.len())..], b"</") {
            let p = at + off;
            let n = p + 2;
            if b.len() >= n + name.len()
                && b[n..n + name.len()].eq_ignore_ascii_case(name.as_bytes())
                && b.get(n + name.len()).is_none_or(|c| {
                    matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>')
                })
            {
                return p;
            }
            at = p + 2;
        }
        b.len()
    }

    /// The `</script` that ends a script, honouring the escaped states of script data
    /// (`<!--` … `<script>` … `</script>` … `-->` inside a script does not end it).
    fn find_script_end(&self, from: usize) -> usize {
        let b = self.src.as_bytes();
        let tag_end = |at: usize| {
            b.get(at)
                .is_none_or(|c| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>'))
        };
        let is_tag = |at: usize, name: &[u8]| {
            b.len() >= at + name.len()
                && b[at..at + name.len()].eq_ignore_ascii_case(name)
                && tag_end(at + name.len())
        };
        // 0: script data, 1: escaped, 2: double escaped.
        let mut state = 0u8;
        let mut i = from;
        while let Some(off) = memchr::memchr2(b'<', b'-', &b[i.min(b.len())..]) {
            let p = i + off;
            if b[p] == b'-' {
                if state != 0 && b[p..].starts_with(b"-->") {
                    state = 0;
                    i = p + 3;
                } else {
                    i = p + 1;
                }
                continue;
            }
            if b[p..].starts_with(b"<!--") {
                if state == 0 {
                    state = 1;
                }
                i = p + 4;
            } else if is_tag(p + 1, b"/script") {
                if state == 2 {
                    state = 1;
                } else {
                    return p;
                }
                i = p + 8;
            } else if state == 1 && is_tag(p + 1, b"script") {
                state = 2;
                i = p + 7;
            } else {
                i = p + 1;
            }
        }
        b.len()
    }

    /// Scripts whose text is kept: JSON-LD, HTML templates (read as markup, never run).
    fn script_text_kept(&self, attrs: (u32, u32)) -> bool {
        self.attr_value(attrs, "type").is_some_and(|t| {
            let t = t.trim().to_ascii_lowercase();
            t.contains("ld+json") || t == "text/template"
        })
    }

    fn attr_value(&self, range: (u32, u32), name: &str) -> Option<&str> {
        self.attrs[range.0 as usize..range.1 as usize]
            .iter()
            .find(|a| self.name(a.name) == name)
            .map(|a| self.name(a.value))
    }

    /// A copy of a short tag name (longer names are not special to the tree builder).
    fn short(&self, s: Span) -> ([u8; 16], usize) {
        let name = self.name(s).as_bytes();
        let mut buf = [0u8; 16];
        if name.len() > 16 {
            return (buf, 0);
        }
        buf[..name.len()].copy_from_slice(name);
        (buf, name.len())
    }

    fn tag_of(&self, pos: usize) -> &str {
        self.name(self.nodes[self.stack[pos].0 as usize].tag)
    }

    fn start_tag(&mut self, p: usize) -> usize {
        let (tag, after) = self.tag_name(p + 1);
        let a0 = self.attrs.len() as u32;
        let Some((end, self_closing)) = self.attributes(after, true) else {
            // The document ends inside the tag: the tag is dropped.
            self.attrs.truncate(a0 as usize);
            return self.src.len();
        };
        let attrs = (a0, self.attrs.len() as u32);
        let (buf, len) = self.short(tag);
        let name = std::str::from_utf8(&buf[..len]).unwrap_or("");
        let k = classify(name);
        let raw = match name {
            "script" if self.script_text_kept(attrs) => Raw::Keep,
            "script" => Raw::Skip,
            "style" | "xmp" | "iframe" | "noembed" | "noframes" | "noscript" => Raw::Skip,
            "svg" | "math" if !self_closing => Raw::Skip,
            "title" | "textarea" => Raw::Rcdata,
            "plaintext" => Raw::Plaintext,
            _ => Raw::None,
        };
        match k {
            K::Html => {
                if self.nodes[0].attrs.0 == self.nodes[0].attrs.1 {
                    self.nodes[0].attrs = attrs;
                }
                return end;
            }
            K::Head => {
                if self.head.is_none() && self.body.is_none() {
                    let idx = self.push_node(tag, Span::default(), attrs);
                    self.stack.push((idx, K::Head));
                    self.head = Some(idx);
                }
                return end;
            }
            K::Body => {
                if self.body.is_none() {
                    if let Some(pos) = self.stack.iter().rposition(|e| e.1 == K::Head) {
                        self.pop_to(pos);
                    }
                    let idx = self.push_node(tag, Span::default(), attrs);
                    self.stack.push((idx, K::Body));
                    self.body = Some(idx);
                }
                return end;
            }
            K::HeadContent | K::Template => {}
            K::Void if matches!(name, "meta" | "link" | "base" | "basefont" | "bgsound") => {}
            _ => {
                if self.in_head_or_before_body() {
                    self.ensure_body();
                }
            }
        }
        self.implied_ends(k);
        if self.stack.len() >= self.max_depth && k != K::Void && raw == Raw::None {
            // Too deep: the element is kept without children (its content follows it).
            self.dropped += 1;
            self.push_node(tag, Span::default(), attrs);
            return end;
        }
        let idx = self.push_node(tag, Span::default(), attrs);
        // Foreign elements honour `/>`; HTML ones ignore it.
        let void = k == K::Void || (self_closing && matches!(name, "svg" | "math"));
        if !void {
            self.stack.push((idx, k));
            if k == K::P {
                self.open_p += 1;
            }
        }
        if raw == Raw::None {
            return end;
        }
        let foreign = matches!(name, "svg" | "math");
        let close = if raw == Raw::Plaintext {
            self.src.len()
        } else if name == "script" {
            self.find_script_end(end)
        } else if foreign {
            match foreign::content_end(self.src, end, name) {
                foreign::ForeignEnd::EndTag(at) => at,
                foreign::ForeignEnd::Eof => self.src.len(),
                foreign::ForeignEnd::Breakout(at) => {
                    // An HTML tag ends the drawing: it is parsed as part of the page.
                    if let Some(pos) = self.stack.iter().rposition(|e| e.0 == idx) {
                        self.pop_to(pos);
                    }
                    return at;
                }
            }
        } else {
            self.find_close(end, name)
        };
        if close > end && raw != Raw::Skip {
            let content = &self.src[end..close];
            let span = if raw == Raw::Rcdata && memchr(b'&', content.as_bytes()).is_some() {
                let decoded = decode_refs(content, false);
                self.side_span(&decoded)
            } else {
                Span::new(end, close)
            };
            self.push_node(Span::default(), span, (0, 0));
        }
        // Close the raw element now; its end tag is consumed.
        if let Some(pos) = self.stack.iter().rposition(|e| e.0 == idx) {
            self.pop_to(pos);
        }
        if close >= self.src.len() {
            return close;
        }
        let b = self.src.as_bytes();
        memchr(b'>', &b[close..]).map_or(b.len(), |e| close + e + 1)
    }

    /// Closes what a start tag of kind `k` implies.
    fn implied_ends(&mut self, k: K) {
        if matches!(k, K::Block | K::P | K::Li | K::Dd | K::H | K::Table) {
            self.close_p();
        }
        match k {
            K::Li | K::Dd => {
                for pos in (1..self.stack.len()).rev() {
                    let sk = self.stack[pos].1;
                    if sk == k {
                        self.pop_to(pos);
                        break;
                    }
                    if is_special(sk)
                        && sk != K::P
                        && !(sk == K::Block && matches!(self.tag_of(pos), "address" | "div"))
                    {
                        break;
                    }
                }
            }
            K::H if self.top().1 == K::H => {
                self.pop_to(self.stack.len() - 1);
            }
            K::A => {
                for pos in (1..self.stack.len()).rev() {
                    let sk = self.stack[pos].1;
                    if sk == K::A {
                        self.pop_to(pos);
                        break;
                    }
                    if matches!(sk, K::Td | K::Caption | K::Template | K::Table) {
                        break;
                    }
                }
            }
            K::Button => {
                if let Some(pos) = self.in_scope(|bk, _| bk == K::Button, false) {
                    self.pop_to(pos);
                }
            }
            K::Option if self.top().1 == K::Option => {
                self.pop_to(self.stack.len() - 1);
            }
            K::Optgroup => {
                if self.top().1 == K::Option {
                    self.pop_to(self.stack.len() - 1);
                }
                if self.top().1 == K::Optgroup {
                    self.pop_to(self.stack.len() - 1);
                }
            }
            K::Td => {
                if let Some(pos) = self.in_table_scope(|bk| bk == K::Td) {
                    self.pop_to(pos);
                }
            }
            K::Tr => {
                // Close the open row (and its cells) of the current table.
                if let Some(pos) = self.in_table_scope(|bk| bk == K::Tr) {
                    self.pop_to(pos);
                } else if let Some(pos) = self.in_table_scope(|bk| bk == K::Td) {
                    self.pop_to(pos);
                }
            }
            K::TSection | K::Caption => {
                // Close everything open inside the current table.
                if let Some(t) = self.in_table_scope(|bk| bk == K::Table) {
                    self.pop_to(t + 1);
                }
            }
            _ => {}
        }
    }

    fn close_p(&mut self) {
        if self.open_p == 0 {
            return;
        }
        if let Some(pos) = self.in_scope(|k, _| k == K::P || k == K::Button, false)
            && self.stack[pos].1 == K::P
        {
            self.pop_to(pos);
        }
    }

    /// Position of the topmost element matching `want` in the default scope (list-item
    /// scope: `ul` and `ol` are boundaries too).
    fn in_scope(&self, want: impl Fn(K, &str) -> bool, list: bool) -> Option<usize> {
        for pos in (1..self.stack.len()).rev() {
            let k = self.stack[pos].1;
            let name = self.tag_of(pos);
            if want(k, name) {
                return Some(pos);
            }
            if scope_boundary(k, name) || (list && matches!(name, "ul" | "ol")) {
                return None;
            }
        }
        None
    }

    /// Position of the topmost element matching `want` inside the current table.
    fn in_table_scope(&self, want: impl Fn(K) -> bool) -> Option<usize> {
        for pos in (1..self.stack.len()).rev() {
            let k = self.stack[pos].1;
            if want(k) {
                return Some(pos);
            }
            if matches!(k, K::Table | K::Html | K::Template) {
                return None;
            }
        }
        None
    }

    fn end_tag(&mut self, p: usize) -> usize {
        let (tag, after) = self.tag_name(p + 2);
        let end = match self.attributes(after, false) {
            Some((e, _)) => e,
            None => return self.src.len(),
        };
        let (buf, len) = self.short(tag);
        let short = std::str::from_utf8(&buf[..len]).unwrap_or("");
        let k = classify(short);
        if self.dropped > 0 && !matches!(k, K::Void | K::Html | K::Body | K::Head) {
            self.dropped -= 1;
            return end;
        }
        let pos = match k {
            K::Html | K::Body | K::Void => None,
            K::Head => (self.top().1 == K::Head).then(|| self.stack.len() - 1),
            K::P => self
                .in_scope(|sk, _| sk == K::P || sk == K::Button, false)
                .filter(|&pos| self.stack[pos].1 == K::P),
            K::Li => self.in_scope(|sk, _| sk == K::Li, true),
            K::Dd => self.in_scope(|sk, n| sk == K::Dd && n == short, false),
            K::H => self.in_scope(|sk, _| sk == K::H, false),
            K::Td | K::Tr | K::TSection | K::Caption | K::Table => {
                self.in_table_scope(|sk| sk == k)
            }
            K::A | K::Formatting => {
                let mut found = None;
                for pos in (1..self.stack.len()).rev() {
                    let sk = self.stack[pos].1;
                    if sk == k && self.tag_of(pos) == short {
                        found = Some(pos);
                        break;
                    }
                    if matches!(sk, K::Td | K::Caption | K::Template | K::Table) {
                        break;
                    }
                }
                found
            }
            K::Block
            | K::Button
            | K::Special
            | K::Template
            | K::Option
            | K::Optgroup
            | K::HeadContent => self.in_scope(|_, n| n == short, false),
            K::Other => {
                let want = self.name(tag);
                let mut found = None;
                for pos in (1..self.stack.len()).rev() {
                    if self.tag_of(pos) == want {
                        found = Some(pos);
                        break;
                    }
                    if is_special(self.stack[pos].1) {
                        break;
                    }
                }
                found
            }
        };
        if let Some(pos) = pos {
            self.pop_to(pos);
        }
        end
    }
}

#[cfg(test)]
mod tests;
