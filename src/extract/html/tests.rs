//! Tests of the HTML parser.

use super::*;

/// A compact rendering of the tree: `tag(children)`, text in quotes.
fn tree(html: &str) -> String {
    let doc = parse(html.into(), 512);
    let mut out = String::new();
    let mut ends: Vec<usize> = Vec::new();
    for (i, n) in doc.nodes.iter().enumerate() {
        while ends.last().is_some_and(|&e| e <= i) {
            ends.pop();
            out.push(')');
        }
        if n.tag.start == n.tag.end {
            out.push_str(&format!("{:?}", doc.str(n.text)));
        } else {
            out.push_str(doc.str(n.tag));
            out.push('(');
            ends.push(n.end as usize);
        }
    }
    for _ in ends {
        out.push(')');
    }
    out
}

#[test]
fn implied_end_tags() {
    assert_eq!(
        tree("<p>a<p>b<div>c</div>"),
        r#"html(body(p("a")p("b")div("c")))"#
    );
    assert_eq!(
        tree("<ul><li>a<li>b<ul><li>c</ul><li>d</ul>"),
        r#"html(body(ul(li("a")li("b"ul(li("c")))li("d"))))"#
    );
    assert_eq!(
        tree("<dl><dt>a<dd>b<dt>c</dl>"),
        r#"html(body(dl(dt("a")dd("b")dt("c"))))"#
    );
    assert_eq!(
        tree("<table><tr><td>a<td>b<tr><td>c</table>x"),
        r#"html(body(table(tr(td("a")td("b"))tr(td("c")))"x"))"#
    );
    assert_eq!(tree("<h2>a<h3>b</h3>"), r#"html(body(h2("a")h3("b")))"#);
    assert_eq!(
        tree("<a href=1>a<a href=2>b</a>"),
        r#"html(body(a("a")a("b")))"#
    );
    assert_eq!(
        tree("<select><option>a<option>b</select>"),
        r#"html(body(select(option("a")option("b"))))"#
    );
}

#[test]
fn end_tags_and_scopes() {
    // A stray end tag does not close a block; `</div>` closes an open `<p>` in it.
    assert_eq!(
        tree("<div><p>a</span>b</div>c"),
        r#"html(body(div(p("a""b"))"c"))"#
    );
    // A misnested formatting end tag closes what is inside it.
    assert_eq!(
        tree("<div><a href=x><div>t</a>u</div>v"),
        r#"html(body(div(a(div("t"))"u")"v"))"#
    );
    // `</body>` and `</html>` are ignored: later content stays in the body.
    assert_eq!(
        tree("<body><p>a</p></body></html><p>b"),
        r#"html(body(p("a")p("b")))"#
    );
    // `<div/>` opens a div; `<svg/>` does not.
    assert_eq!(tree("<div/>a<svg/>b"), r#"html(body(div("a"svg()"b")))"#);
}

#[test]
fn head_and_body() {
    assert_eq!(
        tree(
            "<!DOCTYPE html><html lang=fr><head><title>T &amp; U</title><meta charset=utf-8></head><body class=x>B</body></html>"
        ),
        r#"html(head(title("T & U")meta())body("B"))"#
    );
    // Body content without a body tag closes the head.
    assert_eq!(
        tree("<head><title>T</title><p>x"),
        r#"html(head(title("T"))body(p("x")))"#
    );
    let doc = parse("<!-- c --><html lang=fr><p>x".into(), 512);
    let root = &doc.nodes[0];
    assert_eq!(doc.str(doc.attrs[root.attrs.0 as usize].value), "fr");
}

#[test]
fn raw_text_comments_and_references() {
    assert_eq!(
        tree(
            "<p>a<script>if (a<b) x='</div>';</script>b<style>p{}</style><!-- <p>c --><noscript><p>n</noscript>d"
        ),
        r#"html(body(p("a"script()"b"style()noscript()"d")))"#
    );
    assert_eq!(
        tree(r#"<script type="application/ld+json">{"a":"<b>&amp;"}</script>"#),
        r#"html(script("{\"a\":\"<b>&amp;\"}"))"#
    );
    assert_eq!(
        tree("<p>caf&eacute; &#233;&#x2019;&#150; &amp &notit; &bogus; a<b c</p>"),
        r#"html(body(p("café é’– & ¬it; &bogus; a"b())))"#
    );
    let doc = parse(
        r#"<a href="/x?a=1&amp;b=2&copy=3" TITLE='q'>x</a>"#.into(),
        512,
    );
    let vals: Vec<_> = doc
        .attrs
        .iter()
        .map(|a| (doc.str(a.name), doc.str(a.value)))
        .collect();
    assert_eq!(vals, vec![("href", "/x?a=1&b=2&copy=3"), ("title", "q")]);
    // `<p>` ends an SVG drawing (after its integration point `<title>` closed), as in a
    // browser; the stray `</svg>` is then ignored.
    assert_eq!(
        tree("<svg><title>x</title><p>y</p></svg>z"),
        r#"html(body(svg()p("y")"z"))"#
    );
    assert_eq!(
        tree("<svg><title>x<p>y</p></title></svg>z"),
        r#"html(body(svg()"z"))"#
    );
    assert_eq!(tree("<P CLASS=a>x</P>"), r#"html(body(p("x")))"#);
}

#[test]
fn unclosed_svg_or_math_does_not_swallow_the_page() {
    assert_eq!(
        tree(r#"<div><svg viewBox="0 0 1 1"><path d="M0 0"><p>After</p><p>More</p></div>"#),
        r#"html(body(div(svg()p("After")p("More"))))"#
    );
    assert_eq!(
        tree("<math><mrow><mi>x</mi></mrow><h2>Title</h2>text"),
        r#"html(body(math()h2("Title")"text"))"#
    );
    // A closed drawing still hides its content, HTML in `foreignObject` included.
    assert_eq!(
        tree("<svg><foreignObject><p>in</p></foreignObject></svg><p>out"),
        r#"html(body(svg()p("out")))"#
    );
}

#[test]
fn truncated_documents() {
    for page in [
        "<p>a<",
        "<p>a</",
        "<p a=\"x",
        "<!-- x",
        "<script>x",
        "<p>&#",
        "<a href=x",
        "<",
        "&",
    ] {
        let doc = parse(page.into(), 512);
        assert!(!doc.nodes.is_empty(), "{page}");
        assert!(doc.nodes.iter().all(|n| n.end as usize <= doc.nodes.len()));
    }
}

#[test]
fn deep_nesting_is_capped_and_linear() {
    let mut s = String::new();
    for _ in 0..100_000 {
        s.push_str("<div>");
    }
    s.push_str("deep");
    for _ in 0..100_000 {
        s.push_str("</span>");
    }
    let started = std::time::Instant::now();
    let doc = parse(s.into(), 512);
    assert_eq!(doc.nodes.len(), 100_003);
    assert!(doc.nodes.iter().all(|n| n.end as usize <= doc.nodes.len()));
    assert!(started.elapsed().as_secs() < 5);
    assert!(doc.nodes.iter().any(|n| doc.str(n.text) == "deep"));
}

#[test]
fn a_page_of_a_million_links_stops_at_the_node_cap_keeping_its_start() {
    let mut s = String::from("<html><body><h1>Titre</h1><p>Le début de l'article.</p>");
    for i in 0..1_000_000 {
        s.push_str(&format!("<a href=\"/p/{i}\">l{i}</a>\n"));
    }
    s.push_str("<p>fin</p></body></html>");
    let doc = parse(s.into(), 512);
    assert_eq!(doc.nodes.len(), MAX_NODES);
    assert!(doc.nodes.iter().all(|n| n.end as usize <= doc.nodes.len()));
    assert!(
        doc.nodes
            .iter()
            .any(|n| doc.str(n.text) == "Le début de l'article.")
    );
    assert!(!doc.nodes.iter().any(|n| doc.str(n.text) == "fin"));
}
