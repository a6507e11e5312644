//! Discovery of URLs from RSS 2.0 / RSS 1.0 and Atom feeds and from sitemaps (URL sets
//! and sitemap indexes, plain or gzipped), with their `lastmod`/`updated` dates; and of
//! feed links (`<link rel="alternate" type="application/rss+xml">`) in HTML pages.
//!
//! Parsing is bounded: at most [`MAX_DOCUMENT_BYTES`] of (decompressed) XML and
//! [`MAX_ENTRIES`] entries per document (the limits of the sitemaps protocol).

use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use url::Url;

/// Largest document read (the sitemaps protocol allows 50 MiB uncompressed).
pub const MAX_DOCUMENT_BYTES: u64 = 50 * 1024 * 1024;
/// Most entries taken from one document (the sitemaps protocol allows 50,000).
pub const MAX_ENTRIES: usize = 50_000;

/// What kind of document was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// An RSS (2.0 or 1.0) feed.
    Rss,
    /// An Atom feed.
    Atom,
    /// A sitemap `<urlset>`.
    Sitemap,
    /// A sitemap index: its entries are sitemaps.
    SitemapIndex,
}

/// One URL found in a feed or sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The URL (resolved against the document's URL).
    pub url: Url,
    /// When it last changed, if the document says (`lastmod`, `updated`, `pubDate`).
    pub modified: Option<DateTime<Utc>>,
}

/// The URLs of a feed or sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The kind of document.
    pub kind: DocumentKind,
    /// Its entries, in document order.
    pub entries: Vec<Entry>,
}

/// A document that is not a readable feed or sitemap.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// Not XML, or malformed.
    #[error("not a readable feed or sitemap: {0}")]
    Malformed(String),
    /// The root element is not a feed or sitemap.
    #[error("not a feed or sitemap (root element <{0}>)")]
    NotAFeed(String),
    /// Too large once decompressed.
    #[error("document larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge,
}

/// True if a response looks like a feed or sitemap worth parsing, from its content type,
/// URL and first bytes.
pub fn looks_like_feed_or_sitemap(content_type: Option<&str>, url: &Url, body: &[u8]) -> bool {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    if ct.contains("rss") || ct.contains("atom") || ct.contains("xml") {
        return true;
    }
    let path = url.path().to_ascii_lowercase();
    if path.ends_with(".xml") || path.ends_with(".xml.gz") || path.ends_with(".rss") {
        return true;
    }
    if body.starts_with(&[0x1f, 0x8b]) {
        return ct.contains("gzip") || path.ends_with(".gz");
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body[start..].starts_with(b"<?xml")
}

/// Gunzips `body` if it is gzipped (bounded), else returns it as is.
fn maybe_gunzip(body: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, DiscoverError> {
    if !body.starts_with(&[0x1f, 0x8b]) {
        if body.len() as u64 > MAX_DOCUMENT_BYTES {
            return Err(DiscoverError::TooLarge);
        }
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_DOCUMENT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| DiscoverError::Malformed(format!("gzip: {e}")))?;
    if out.len() as u64 > MAX_DOCUMENT_BYTES {
        return Err(DiscoverError::TooLarge);
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Parses a date of a feed or sitemap: RFC 3339 / W3C datetime, a bare `YYYY-MM-DD`, or
/// RFC 2822 (RSS `pubDate`).
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(text) {
        return Some(d.with_timezone(&Utc));
    }
    // W3C datetime without seconds: 2024-05-01T09:15+02:00
    if let Ok(d) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M%:z") {
        return Some(d.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// The element whose text or attribute is being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Loc,
    Modified,
}

/// Parses a feed (RSS 2.0, RSS 1.0, Atom) or a sitemap (URL set or index), gzipped or
/// not; relative URLs are resolved against `base`.
pub fn parse(body: &[u8], base: &Url) -> Result<Discovery, DiscoverError> {
    let body = maybe_gunzip(body)?;
    let mut reader = Reader::from_reader(body.as_ref());
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut kind: Option<DocumentKind> = None;
    let mut entries = Vec::new();
    // Inside an entry element (<item>, <entry>, <url>, <sitemap>).
    let mut in_entry = false;
    let mut field = Field::None;
    let mut text = String::new();
    let mut loc: Option<String> = None;
    let mut modified: Option<DateTime<Utc>> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| DiscoverError::Malformed(e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                let Some(k) = kind else {
                    kind = Some(document_kind(name)?);
                    continue;
                };
                if name == entry_element(k) && !is_empty {
                    in_entry = true;
                    loc = None;
                    modified = None;
                    continue;
                }
                if !in_entry {
                    continue;
                }
                if let Some(f) = field_of_element(k, e, is_empty, &mut loc) {
                    field = f;
                    text.clear();
                }
            }
            Event::Text(ref t) if field != Field::None => {
                let decoded = t
                    .xml_content()
                    .map_err(|e| DiscoverError::Malformed(e.to_string()))?;
                text.push_str(&decoded);
            }
            Event::CData(ref t) if field != Field::None => {
                let decoded = t
                    .xml_content()
                    .map_err(|e| DiscoverError::Malformed(e.to_string()))?;
                text.push_str(&decoded);
            }
            Event::GeneralRef(ref r) if field != Field::None => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Ok(name) = r.decode()
                    && let Some(s) = quick_xml::escape::resolve_predefined_entity(&name)
                {
                    text.push_str(s);
                }
            }
            Event::End(ref e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if field != Field::None {
                    finish_field(field, &text, &mut loc, &mut modified);
                    field = Field::None;
                    continue;
                }
                let entry_name = kind.map(entry_element).unwrap_or(b"");
                if in_entry && name == entry_name {
                    in_entry = false;
                    if let Some(url) = loc.take().and_then(|l| resolve(base, &l)) {
                        entries.push(Entry {
                            url,
                            modified: modified.take(),
                        });
                        if entries.len() >= MAX_ENTRIES {
                            break;
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    match kind {
        Some(kind) => Ok(Discovery { kind, entries }),
        None => Err(DiscoverError::Malformed("no root element".into())),
    }
}

/// The kind of document whose root element is `name`; an error for any other root.
fn document_kind(name: &[u8]) -> Result<DocumentKind, DiscoverError> {
    Ok(match name {
        b"rss" | b"RDF" => DocumentKind::Rss,
        b"feed" => DocumentKind::Atom,
        b"urlset" => DocumentKind::Sitemap,
        b"sitemapindex" => DocumentKind::SitemapIndex,
        other => {
            return Err(DiscoverError::NotAFeed(
                String::from_utf8_lossy(other).into_owned(),
            ));
        }
    })
}

/// The name of the element holding one entry in a document of kind `k`.
fn entry_element(k: DocumentKind) -> &'static [u8] {
    match k {
        DocumentKind::Rss => b"item",
        DocumentKind::Atom => b"entry",
        DocumentKind::Sitemap => b"url",
        DocumentKind::SitemapIndex => b"sitemap",
    }
}

/// The field whose text element `e` (inside an entry of a document of kind `k`) holds,
/// if any; an Atom `<link>` gives its `href` to `loc` at once instead.
fn field_of_element(
    k: DocumentKind,
    e: &quick_xml::events::BytesStart<'_>,
    is_empty: bool,
    loc: &mut Option<String>,
) -> Option<Field> {
    match (k, e.local_name().as_ref()) {
        (DocumentKind::Atom, b"link") => {
            let rel = attribute(e, b"rel");
            if matches!(rel.as_deref(), None | Some("alternate"))
                && let Some(href) = attribute(e, b"href")
            {
                loc.get_or_insert(href);
            }
            None
        }
        (DocumentKind::Rss, b"link") | (_, b"loc") if !is_empty => Some(Field::Loc),
        (_, b"lastmod" | b"updated" | b"pubDate" | b"date" | b"modified") if !is_empty => {
            Some(Field::Modified)
        }
        _ => None,
    }
}

/// Stores the collected `text` of `field` (not `Field::None`): the first location, or
/// the latest of the dates.
fn finish_field(
    field: Field,
    text: &str,
    loc: &mut Option<String>,
    modified: &mut Option<DateTime<Utc>>,
) {
    match field {
        Field::Loc => {
            if loc.is_none() && !text.trim().is_empty() {
                *loc = Some(text.trim().to_string());
            }
        }
        Field::Modified => {
            let date = parse_date(text);
            // The latest of several dates (pubDate and updated, say).
            *modified = match (*modified, date) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
        Field::None => {}
    }
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.trim().to_string()))
}

/// An http(s) URL resolved against `base`.
fn resolve(base: &Url, link: &str) -> Option<Url> {
    let url = base.join(link.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// Feed URLs announced in an HTML page: `<link rel="alternate" href="…">` with an RSS or
/// Atom type.
///
/// The page is only tokenized, not built into a tree: linear time whatever the markup
/// (a tree builder takes quadratic time on pathological nesting, e.g. 100 000 `<div>`s).
pub fn feed_links(html: &str, base: &Url) -> Vec<Url> {
    use html5ever::tendril::StrTendril;
    use html5ever::tokenizer::{BufferQueue, Tokenizer, TokenizerOpts};

    let sink = FeedLinkSink {
        hrefs: std::cell::RefCell::new(Vec::new()),
    };
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks to run a script, so one call consumes the whole input.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut out = Vec::new();
    for href in tokenizer.sink.hrefs.take() {
        if let Some(url) = resolve(base, &href)
            && !out.contains(&url)
        {
            out.push(url);
        }
    }
    out
}

/// Collects the `href` of `<link rel="alternate" type="…rss…|…atom…">` tags, and puts
/// the tokenizer in the text states a tree builder would (script, style, title, …), so
/// that markup quoted inside them is not taken for tags.
struct FeedLinkSink {
    hrefs: std::cell::RefCell<Vec<String>>,
}

impl html5ever::tokenizer::TokenSink for FeedLinkSink {
    type Handle = ();

    fn process_token(
        &self,
        token: html5ever::tokenizer::Token,
        _line: u64,
    ) -> html5ever::tokenizer::TokenSinkResult<()> {
        use html5ever::tokenizer::states::RawKind;
        use html5ever::tokenizer::{TagKind, Token, TokenSinkResult};
        let Token::TagToken(tag) = token else {
            return TokenSinkResult::Continue;
        };
        if tag.kind != TagKind::StartTag {
            return TokenSinkResult::Continue;
        }
        match &*tag.name {
            "script" => return TokenSinkResult::RawData(RawKind::ScriptData),
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                return TokenSinkResult::RawData(RawKind::Rawtext);
            }
            "title" | "textarea" => return TokenSinkResult::RawData(RawKind::Rcdata),
            "plaintext" => return TokenSinkResult::Plaintext,
            "link" => {}
            _ => return TokenSinkResult::Continue,
        }
        let attr = |name: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == name)
                .map(|a| a.value.to_string())
        };
        let alternate = attr("rel").is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"))
        });
        let ty = attr("type").unwrap_or_default().to_ascii_lowercase();
        if alternate
            && (ty.contains("rss") || ty.contains("atom"))
            && let Some(href) = attr("href")
        {
            self.hrefs.borrow_mut().push(href);
        }
        TokenSinkResult::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn base() -> Url {
        Url::parse("https://news.test/feed/").unwrap()
    }

    #[test]
    fn rss2_items_with_dates_and_entities() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>T</title><link>https://news.test/</link>
<item><title>A</title><link>https://news.test/a-1.html?x=1&amp;y=2</link>
<pubDate>Wed, 01 May 2024 09:15:00 +0200</pubDate></item>
<item><title>B</title><link><![CDATA[/b-2.html]]></link></item>
<item><title>no link</title></item>
</channel></rss>"#;
        let d = parse(xml, &base()).unwrap();
        assert_eq!(d.kind, DocumentKind::Rss);
        assert_eq!(d.entries.len(), 2, "{d:?}");
        assert_eq!(
            d.entries[0].url.as_str(),
            "https://news.test/a-1.html?x=1&y=2"
        );
        assert_eq!(
            d.entries[0].modified,
            Some("2024-05-01T07:15:00Z".parse().unwrap())
        );
        assert_eq!(d.entries[1].url.as_str(), "https://news.test/b-2.html");
        assert_eq!(d.entries[1].modified, None);
    }

    #[test]
    fn atom_entries_take_the_alternate_link() {
        let xml = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<link rel="self" href="https://news.test/feed/atom"/>
<entry><title>A</title><link rel="edit" href="https://news.test/edit/1"/>
<link rel="alternate" type="text/html" href="https://news.test/a-1.html"/>
<updated>2024-05-02T10:00:00Z</updated></entry>
<entry><link href="a-2.html"/></entry></feed>"#;
        let d = parse(xml, &base()).unwrap();
        assert_eq!(d.kind, DocumentKind::Atom);
        let urls: Vec<&str> = d.entries.iter().map(|e| e.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://news.test/a-1.html",
                "https://news.test/feed/a-2.html"
            ]
        );
        assert_eq!(
            d.entries[0].modified,
            Some("2024-05-02T10:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn sitemaps_indexes_and_gzip() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.test/a-1.html</loc><lastmod>2024-05-01</lastmod></url>
<url><loc> https://news.test/a-2.html </loc></url>
<url><loc>ftp://news.test/x</loc></url>
</urlset>"#;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(xml).unwrap();
        let gz = gz.finish().unwrap();
        for body in [&xml[..], &gz[..]] {
            let d = parse(body, &base()).unwrap();
            assert_eq!(d.kind, DocumentKind::Sitemap);
            assert_eq!(d.entries.len(), 2);
            assert_eq!(
                d.entries[0].modified,
                Some("2024-05-01T00:00:00Z".parse().unwrap())
            );
            assert_eq!(d.entries[1].url.as_str(), "https://news.test/a-2.html");
        }
        let index = br#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.test/sitemap-1.xml.gz</loc><lastmod>2024-05-03T08:00:00+00:00</lastmod></sitemap>
</sitemapindex>"#;
        let d = parse(index, &base()).unwrap();
        assert_eq!(d.kind, DocumentKind::SitemapIndex);
        assert_eq!(
            d.entries[0].url.as_str(),
            "https://news.test/sitemap-1.xml.gz"
        );
    }

    #[test]
    fn other_documents_are_refused() {
        assert!(matches!(
            parse(b"<html><body>x</body></html>", &base()),
            Err(DiscoverError::NotAFeed(_))
        ));
        assert!(parse(b"not xml <<<", &base()).is_err() || parse(b"", &base()).is_err());
        assert!(parse(&[0x1f, 0x8b, 0, 1, 2], &base()).is_err());
    }

    #[test]
    fn entries_are_bounded() {
        let mut xml = String::from("<urlset>");
        for i in 0..(MAX_ENTRIES + 10) {
            xml.push_str(&format!("<url><loc>https://news.test/{i}</loc></url>"));
        }
        xml.push_str("</urlset>");
        let d = parse(xml.as_bytes(), &base()).unwrap();
        assert_eq!(d.entries.len(), MAX_ENTRIES);
    }

    #[test]
    fn feed_links_in_html() {
        let html = r#"<html><head>
<link rel="alternate" type="application/rss+xml" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="https://news.test/atom.xml">
<link rel="alternate" hreflang="en" href="/en/">
<link rel="stylesheet" href="/s.css"></head></html>"#;
        let base = Url::parse("https://news.test/").unwrap();
        let got: Vec<String> = feed_links(html, &base)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            got,
            ["https://news.test/feed/", "https://news.test/atom.xml"]
        );
    }

    #[test]
    fn feed_links_ignore_quoted_markup_and_take_linear_time() {
        let base = Url::parse("https://news.test/").unwrap();
        let html = r#"<head><title><link rel="alternate" type="application/rss+xml" href="/no1"></title>
<script>document.write('<link rel="alternate" type="application/rss+xml" href="/no2">')</script>
<LINK REL="Alternate home" TYPE="application/RSS+xml" HREF="/yes"></head>"#;
        let got: Vec<String> = feed_links(html, &base)
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(got, ["https://news.test/yes"]);
        // 100 000 nested elements: a tree builder needs minutes here (quadratic).
        let mut deep = String::from("<link rel=alternate type=application/atom+xml href=/a>");
        for _ in 0..100_000 {
            deep.push_str("<div><b>");
        }
        for _ in 0..50_000 {
            deep.push_str("</div>");
        }
        let started = std::time::Instant::now();
        assert_eq!(feed_links(&deep, &base).len(), 1);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn detection() {
        let u = Url::parse("https://news.test/sitemap.xml").unwrap();
        assert!(looks_like_feed_or_sitemap(None, &u, b""));
        let page = Url::parse("https://news.test/a.html").unwrap();
        assert!(!looks_like_feed_or_sitemap(
            Some("text/html"),
            &page,
            b"<html>"
        ));
        assert!(looks_like_feed_or_sitemap(
            Some("application/rss+xml"),
            &page,
            b""
        ));
        assert!(looks_like_feed_or_sitemap(None, &page, b"  <?xml version"));
    }
}
