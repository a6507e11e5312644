//! Where inline SVG or MathML ends. Their content is skipped (none of it is text of the
//! page), but an unclosed `<svg>` or `<math>` must not swallow the rest of the page: as
//! in a browser's tree builder, an HTML start tag such as `<p>`, `<div>` or `<h2>` (the
//! "breakout" tags) ends foreign content, unless it stands in an integration point
//! (`<foreignObject>`, `<desc>`, `<title>` in SVG; `<mi>`, `<mo>`, `<mn>`, `<ms>`,
//! `<mtext>`, `<annotation-xml>` in MathML), where HTML belongs to the drawing.

use memchr::{memchr, memmem};

/// How foreign content ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ForeignEnd {
    /// At its end tag, which starts at this position (`</svg`).
    EndTag(usize),
    /// At an HTML start tag at this position: the tag belongs to the page.
    Breakout(usize),
    /// At the end of the document.
    Eof,
}

/// HTML start tags that end foreign content (the HTML standard's list).
fn breaks_out(name: &str, attrs: &[u8]) -> bool {
    match name {
        "b" | "big" | "blockquote" | "body" | "br" | "center" | "code" | "dd" | "div" | "dl"
        | "dt" | "em" | "embed" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "head" | "hr" | "i"
        | "img" | "li" | "listing" | "menu" | "meta" | "nobr" | "ol" | "p" | "pre" | "ruby"
        | "s" | "small" | "span" | "strong" | "strike" | "sub" | "sup" | "table" | "tt" | "u"
        | "ul" | "var" => true,
        "font" => {
            let lower = attrs.to_ascii_lowercase();
            [b"color".as_slice(), b"face", b"size"]
                .iter()
                .any(|a| memmem::find(&lower, a).is_some())
        }
        _ => false,
    }
}

/// Elements inside which HTML belongs to the drawing.
fn integration_point(root: &str, name: &str) -> bool {
    match root {
        "svg" => matches!(name, "foreignobject" | "desc" | "title"),
        _ => matches!(name, "mi" | "mo" | "mn" | "ms" | "mtext" | "annotation-xml"),
    }
}

fn name_at(b: &[u8], at: usize) -> (String, usize) {
    let mut j = at;
    while j < b.len() && !matches!(b[j], b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>') {
        j += 1;
    }
    (String::from_utf8_lossy(&b[at..j]).to_ascii_lowercase(), j)
}

/// The end of the tag whose name ends at `from` (after its `>`), honouring quoted
/// attribute values, and whether it is self-closing.
fn tag_end(b: &[u8], from: usize) -> (usize, bool) {
    let mut quote = None;
    let mut j = from;
    while j < b.len() {
        let c = b[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return (j + 1, j > from && b[j - 1] == b'/'),
            None => {}
        }
        j += 1;
    }
    (b.len(), false)
}

/// Where the content of the foreign element `root` (`svg` or `math`), starting at
/// `from` (after its start tag), ends.
pub(super) fn content_end(src: &str, from: usize, root: &str) -> ForeignEnd {
    let b = src.as_bytes();
    // Open `root` elements nested in the first one, and open integration points.
    let mut nested = 0usize;
    let mut integration = 0usize;
    let mut i = from;
    while let Some(off) = memchr(b'<', b.get(i..).unwrap_or(&[])) {
        let p = i + off;
        let rest = &b[p..];
        if rest.starts_with(b"<!--") {
            i = memmem::find(&b[p + 4..], b"-->").map_or(b.len(), |e| p + 4 + e + 3);
            continue;
        }
        if rest.starts_with(b"<![CDATA[") {
            i = memmem::find(&b[p + 9..], b"]]>").map_or(b.len(), |e| p + 9 + e + 3);
            continue;
        }
        if rest.starts_with(b"</") && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
            let (name, after) = name_at(b, p + 2);
            let (end, _) = tag_end(b, after);
            if name == root {
                if nested == 0 {
                    return ForeignEnd::EndTag(p);
                }
                nested -= 1;
            } else if integration_point(root, &name) {
                integration = integration.saturating_sub(1);
            } else if integration == 0 && matches!(name.as_str(), "p" | "br") {
                return ForeignEnd::Breakout(p);
            }
            i = end;
            continue;
        }
        if rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            let (name, after) = name_at(b, p + 1);
            let (end, self_closing) = tag_end(b, after);
            if integration == 0 && breaks_out(&name, &b[after..end]) {
                return ForeignEnd::Breakout(p);
            }
            if !self_closing {
                if name == root {
                    nested += 1;
                } else if integration_point(root, &name) {
                    integration += 1;
                }
            }
            i = end;
            continue;
        }
        i = p + 1;
    }
    ForeignEnd::Eof
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(page: &str) -> ForeignEnd {
        content_end(page, 0, "svg")
    }

    #[test]
    fn closed_nested_and_unclosed_drawings() {
        assert_eq!(end(r#"<path d="M0 0"/></svg><p>x"#), ForeignEnd::EndTag(16));
        assert_eq!(end("<svg><g/></svg></svg>x"), ForeignEnd::EndTag(15));
        assert_eq!(end(r#"<path d="M0 0"><p>After"#), ForeignEnd::Breakout(15));
        assert_eq!(end("<g><text>a</text>"), ForeignEnd::Eof);
        // HTML inside an integration point belongs to the drawing.
        assert_eq!(
            end("<foreignObject><div>in</div></foreignObject></svg>"),
            ForeignEnd::EndTag(44)
        );
        // Quotes and comments hide what looks like tags.
        assert_eq!(
            end(r#"<a title="<p>"/><!-- <p> --></svg>"#),
            ForeignEnd::EndTag(28)
        );
        assert_eq!(
            content_end("<mi>x<p>y</p></mi><mo>+</mo><div>z", 0, "math"),
            ForeignEnd::Breakout(28)
        );
    }
}
