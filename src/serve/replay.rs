//! Showing an archived page safely. Archived HTML is untrusted: it is shown in an
//! `<iframe sandbox>` (no scripts, no same origin, no forms, no popups, no top
//! navigation), served from `/replay/{timestamp}/{url}` with a restrictive
//! `Content-Security-Policy` ([`REPLAY_CSP`]: nothing but images, styles and fonts from
//! this server, and the `sandbox` directive, so the page is sandboxed even when opened on
//! its own), and rewritten so that nothing in it points to the live web:
//!
//! - every URL (links, images, stylesheets, frames, `srcset`, CSS `url()` and `@import`)
//!   is resolved against the page (or its `<base>`) and replaced by its replay URL;
//!   anything that is not `http(s)` is dropped (`javascript:`, `mailto:`…), except
//!   fragments and `data:` images;
//! - scripts, `noscript`, plugins (`object`, `embed`, `applet`), `<base>`,
//!   `<meta http-equiv>` (refresh), SVG `set`/`animate` and non-stylesheet `<link>`s
//!   (preload, dns-prefetch…) are removed, as are event-handler attributes (`on…`),
//!   `target`, `ping`, `srcdoc`, form actions and `integrity`.
//!
//! A page that the rewriter cannot parse unambiguously is not shown as HTML.
//!
//! [`replay_content`] answers `/replay/{timestamp}/{url}`: the capture nearest in time,
//! revisits resolved, redirects shown as a link, bodies decoded and rewritten by type.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use regex::{Captures, Regex};
use url::Url;

use super::App;
use crate::archive::Catalog;
use crate::read::decode_body;
use crate::read::index::http_header;

/// The `Content-Security-Policy` of archived content.
pub const REPLAY_CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; media-src 'self'; frame-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox";

/// The `Content-Security-Policy` of the user interface's own pages (no script at all).
pub const UI_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The replay path of `url` captured nearest to `ts` (14 digits).
pub fn replay_path(ts: &str, url: &Url) -> String {
    format!("/replay/{ts}/{}", url.as_str())
}

/// Resolves `raw` (an attribute value with entities decoded, or a CSS URL) against
/// `base`; `Some(replay path)` for http(s) URLs, `None` otherwise.
fn rewrite_url(raw: &str, base: &Url, ts: &str) -> Option<String> {
    let u = base.join(raw.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| replay_path(ts, &u))
}

/// Decodes the character references of an attribute value that URLs use (`&amp;`,
/// `&quot;`, `&#NN;`, `&#xHH;`, …).
pub fn decode_entities(v: &str) -> String {
    if !v.contains('&') {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                "colon" => Some(':'),
                "sol" => Some('/'),
                "quest" => Some('?'),
                "equals" => Some('='),
                "num" => Some('#'),
                "Tab" => Some('\t'),
                "NewLine" => Some('\n'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Escapes a value for [`Element::set_attribute`] (which escapes `"` but not `&`).
fn attr_value(v: &str) -> String {
    v.replace('&', "&amp;")
}

static CSS_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)"#).expect("constant regex")
});
static CSS_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)@import\s+(?:"([^"]*)"|'([^']*)')"#).expect("constant regex")
});

/// Rewrites the URLs of a style sheet (`url()`, `@import "…"`) to replay URLs; other
/// schemes than http(s) and `data:` become empty.
pub fn rewrite_css(css: &str, base: &Url, ts: &str) -> String {
    let target = |caps: &Captures| -> String {
        let raw = caps
            .get(1)
            .or_else(|| caps.get(2))
            .or_else(|| caps.get(3))
            .map(|m| m.as_str())
            .unwrap_or("");
        if raw.trim().is_empty() {
            return String::new();
        }
        if raw.trim_start().to_ascii_lowercase().starts_with("data:") {
            return raw.replace(['"', '\\', '\n'], "");
        }
        rewrite_url(raw, base, ts).unwrap_or_default()
    };
    let css = CSS_URL.replace_all(css, |caps: &Captures| format!("url(\"{}\")", target(caps)));
    CSS_IMPORT
        .replace_all(&css, |caps: &Captures| {
            format!("@import \"{}\"", target(caps))
        })
        .into_owned()
}

/// Rewrites a `srcset` value (`url [descriptor], …`).
fn rewrite_srcset(v: &str, base: &Url, ts: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut rest = v;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let mut url = &rest[..end];
        rest = &rest[end..];
        let mut descriptor = String::new();
        if url.ends_with(',') {
            url = url.trim_end_matches(',');
        } else {
            let d_end = rest.find(',').unwrap_or(rest.len());
            descriptor = rest[..d_end].trim().to_string();
            rest = &rest[d_end..];
        }
        if let Some(r) = rewrite_url(url, base, ts) {
            out.push(if descriptor.is_empty() {
                r
            } else {
                format!("{r} {descriptor}")
            });
        }
    }
    out.join(", ")
}

/// Attributes holding one URL.
const URL_ATTRS: &[&str] = &[
    "href",
    "src",
    "poster",
    "background",
    "xlink:href",
    "longdesc",
    "lowsrc",
    "dynsrc",
    "cite",
    "codebase",
    "archive",
    "profile",
    "manifest",
    "icon",
];
/// Attributes removed everywhere.
const DROP_ATTRS: &[&str] = &[
    "target",
    "ping",
    "srcdoc",
    "action",
    "formaction",
    "integrity",
    "nonce",
    "http-equiv",
    "attributionsrc",
];
/// Elements removed with their content.
const DROP_ELEMENTS: &str = "script, noscript, object, embed, applet, portal, base, meta[http-equiv], set, animate, template";

fn rewrite_attributes(el: &mut Element, base: &Url, ts: &str) {
    let tag = el.tag_name();
    let names: Vec<(String, String)> = el
        .attributes()
        .iter()
        .map(|a| (a.name(), a.value()))
        .collect();
    for (name, raw) in names {
        if name.starts_with("on") || DROP_ATTRS.contains(&name.as_str()) {
            el.remove_attribute(&name);
            continue;
        }
        let value = decode_entities(&raw);
        let new = if URL_ATTRS.contains(&name.as_str()) {
            let v = value.trim();
            if v.starts_with('#') && !v.contains(':') {
                continue;
            }
            let data_image = v.to_ascii_lowercase().starts_with("data:image/")
                && matches!(tag.as_str(), "img" | "source" | "image" | "input");
            if data_image {
                continue;
            }
            rewrite_url(v, base, ts)
        } else if name == "srcset" || name == "imagesrcset" {
            Some(rewrite_srcset(&value, base, ts))
        } else if name == "style" {
            Some(rewrite_css(&value, base, ts))
        } else {
            continue;
        };
        match new {
            Some(v) => {
                if el.set_attribute(&name, &attr_value(&v)).is_err() {
                    el.remove_attribute(&name);
                }
            }
            None => el.remove_attribute(&name),
        }
    }
}

/// The `<base href>` of a page, resolved against its URL.
fn find_base(html: &str, page: &Url) -> Url {
    let found: Rc<RefCell<Option<Url>>> = Rc::new(RefCell::new(None));
    let f = Rc::clone(&found);
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(
        "base[href]",
        move |el| {
            let mut slot = f.borrow_mut();
            if slot.is_none()
                && let Some(h) = el.get_attribute("href")
                && let Ok(u) = page.join(decode_entities(&h).trim())
                && matches!(u.scheme(), "http" | "https")
            {
                *slot = Some(u);
            }
            Ok(())
        }
    ));
    let _ = rewrite_str(html, settings.with_strict(false));
    found.take().unwrap_or_else(|| page.clone())
}

/// Rewrites an archived HTML page captured at `ts` from `page` so that it loads and links
/// only replay URLs. Fails when the page cannot be parsed unambiguously.
pub fn rewrite_html(html: &str, page: &Url, ts: &str) -> Result<String, String> {
    let base = find_base(html, page);
    let b1 = base.clone();
    let b2 = base;
    let style_buf: Rc<RefCell<String>> = Rc::new(RefCell::new(String::new()));
    let sb = Rc::clone(&style_buf);
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(element!(DROP_ELEMENTS, |el| {
            el.remove();
            Ok(())
        }))
        .append_element_content_handler(element!("link", |el| {
            let rel = el
                .get_attribute("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let keep = rel
                .split_ascii_whitespace()
                .any(|r| matches!(r, "stylesheet" | "icon"));
            if !keep {
                el.remove();
            }
            Ok(())
        }))
        .append_element_content_handler(element!("*", move |el| {
            if !el.removed() {
                rewrite_attributes(el, &b1, ts);
            }
            Ok(())
        }))
        .append_element_content_handler(text!("style", move |t| {
            // Style sheets arrive in chunks: rewrite the whole text at its last chunk.
            sb.borrow_mut().push_str(t.as_str());
            if t.last_in_text_node() {
                let css = std::mem::take(&mut *sb.borrow_mut());
                let out = rewrite_css(&css, &b2, ts).replace("</", "<\\/");
                t.replace(&out, ContentType::Html);
            } else {
                t.remove();
            }
            Ok(())
        }));
    rewrite_str(html, settings).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------- serving replayed content

/// The headers of replayed content: its type, [`REPLAY_CSP`], framed by this server only.
fn replay_headers(content_type: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(&mut h, header::CONTENT_TYPE, content_type);
    set(&mut h, header::CONTENT_SECURITY_POLICY, REPLAY_CSP);
    set(&mut h, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    set(&mut h, header::CACHE_CONTROL, "private, max-age=300");
    set(
        &mut h,
        header::HeaderName::from_static("x-dns-prefetch-control"),
        "off",
    );
    h
}

/// A small page shown in the frame instead of archived content.
pub fn replay_notice(status: StatusCode, text: &str, link: Option<(&str, &str)>) -> Response {
    let body = maud::html! {
        (maud::DOCTYPE)
        html { head { meta charset="utf-8"; title { (text) } }
            body style="font-family:sans-serif;padding:1em" {
                p { (text) }
                @if let Some((href, label)) = link { p { a href=(href) { (label) } } }
            }
        }
    };
    (
        status,
        replay_headers("text/html; charset=utf-8"),
        body.into_string(),
    )
        .into_response()
}

/// Splits `/replay/{ts}/{url}` (the URL as sent, query included) into its parts.
fn replay_target(uri: &Uri) -> Option<(String, String)> {
    let path = uri.path().strip_prefix("/replay/")?;
    let (ts, rest) = path.split_once('/')?;
    if ts.is_empty() || ts.len() > 14 || !ts.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut url = rest.to_string();
    if let Some(q) = uri.query() {
        url.push('?');
        url.push_str(q);
    }
    Some((ts.to_string(), url))
}

/// The image type the bytes of `body` show (by their magic number), if a known one.
fn sniff_image(body: &[u8]) -> Option<&'static str> {
    const WEBP: (&[u8], &[u8]) = (b"RIFF", b"WEBP");
    Some(match body {
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [0xff, 0xd8, 0xff, ..] => "image/jpeg",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        _ if body.len() >= 12 && body.starts_with(WEBP.0) && &body[8..12] == WEBP.1 => "image/webp",
        _ if body.len() >= 12 && &body[4..12] == b"ftypavif" => "image/avif",
        [0, 0, 1, 0, ..] => "image/x-icon",
        [b'B', b'M', ..] => "image/bmp",
        _ => return None,
    })
}

/// True for one plain media type token (`type/subtype`, no list, no parameters).
fn is_plain_media_type(m: &str) -> bool {
    let mut parts = m.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

fn is_html_mime(m: &str) -> bool {
    matches!(m, "text/html" | "application/xhtml+xml")
}

/// The archived content at `uri` (`/replay/{timestamp}/{url}`), rewritten; a notice in
/// its place when it is missing or cannot be shown safely. Blocking (reads the archive).
pub fn replay_content(app: &App, uri: &Uri) -> Response {
    let Some((ts, url)) = replay_target(uri) else {
        return replay_notice(
            StatusCode::BAD_REQUEST,
            "Not a replay address: expected /replay/{timestamp}/{url}.",
            None,
        );
    };
    let Ok(parsed) = Url::parse(&url) else {
        return replay_notice(StatusCode::BAD_REQUEST, "Not an archived address.", None);
    };
    let catalog: Arc<Catalog> = app.catalog();
    let Some(r) = catalog.nearest_capture(&url, crate::read::parse_timestamp(&ts)) else {
        return replay_notice(
            StatusCode::NOT_FOUND,
            &format!("Not in the archive: {url}"),
            None,
        );
    };
    let Some(pr) = catalog.payload_capture(r) else {
        return replay_notice(
            StatusCode::NOT_FOUND,
            &format!("The payload of this revisit is not in the archive: {url}"),
            None,
        );
    };
    let row = catalog.row(pr);
    let record = match crate::read::read_record_at(
        app.archive(),
        catalog.file_name(pr),
        row.offset,
        row.inner,
    ) {
        Ok(rec) => rec,
        Err(e) => {
            return replay_notice(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("Cannot read the capture: {e}"),
                None,
            );
        }
    };
    let capture_url = Url::parse(&row.url).unwrap_or(parsed);
    let head = if record.is_http() {
        record.http_head()
    } else {
        None
    };
    if let Some(status) = row.status.filter(|s| (300..400).contains(s)) {
        return redirect_notice(status, row.location.as_deref(), &capture_url, &ts);
    }
    let payload = record.payload().unwrap_or_default();
    let body = match head {
        Some(h) => decode_body(h, payload),
        None => Ok(payload.into_owned()),
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return replay_notice(
                StatusCode::OK,
                &format!("Cannot decode the archived body: {e}"),
                None,
            );
        }
    };
    let content_type = head
        .and_then(|h| http_header(h, "Content-Type"))
        .or_else(|| record.header("Content-Type").map(str::to_string));
    // Links keep the time asked for: each page then replays its capture nearest to it.
    let content = Content {
        mime: row.mime_lower(),
        content_type: content_type.as_deref(),
        body,
        url: &capture_url,
        ts: &ts,
    };
    content.into_response()
}

/// The notice shown for an archived redirect, linking to the replay of its target.
fn redirect_notice(status: u16, location: Option<&str>, page: &Url, ts: &str) -> Response {
    let location = location
        .and_then(|l| page.join(l).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let target = location.as_ref().map(|l| replay_path(ts, l));
    replay_notice(
        StatusCode::OK,
        &format!("Archived redirect (HTTP {status})"),
        target.as_deref().zip(location.as_ref().map(Url::as_str)),
    )
}

/// A decoded archived body and what tells how to serve it.
struct Content<'a> {
    /// The capture's MIME type, lower case (empty when unknown).
    mime: String,
    /// The `Content-Type` as archived (for the charset).
    content_type: Option<&'a str>,
    body: Vec<u8>,
    /// The page's URL, against which its links are resolved.
    url: &'a Url,
    /// The timestamp asked for, kept in rewritten links.
    ts: &'a str,
}

impl Content<'_> {
    fn text(&self) -> String {
        crate::extract::charset::decode(&self.body, self.content_type, None).0
    }

    /// HTML and CSS rewritten, images, fonts and media as they are, other text as plain
    /// text, anything else as a download.
    fn into_response(self) -> Response {
        // HTML is always rewritten, whatever else the capture claims (a `Content-Type:
        // image/png, text/html` renders as HTML in browsers): the declared types and the
        // body are both looked at.
        let sniff_html =
            self.mime.contains("html") || crate::extract::is_html(self.content_type, &self.body);
        // Other types are replayed only under one plain `type/subtype` token.
        let mime = if is_plain_media_type(&self.mime) {
            self.mime.as_str()
        } else {
            ""
        };
        if is_html_mime(mime) || sniff_html {
            return match rewrite_html(&self.text(), self.url, self.ts) {
                Ok(html) => (
                    StatusCode::OK,
                    replay_headers("text/html; charset=utf-8"),
                    html,
                )
                    .into_response(),
                Err(e) => replay_notice(
                    StatusCode::OK,
                    &format!("This archived page cannot be shown safely ({e})."),
                    None,
                ),
            };
        }
        if mime == "text/css" {
            let css = rewrite_css(&self.text(), self.url, self.ts);
            return (
                StatusCode::OK,
                replay_headers("text/css; charset=utf-8"),
                css,
            )
                .into_response();
        }
        let passthrough = mime.starts_with("image/") && mime != "image/svg+xml"
            || mime.starts_with("font/")
            || mime.starts_with("audio/")
            || mime.starts_with("video/")
            || matches!(
                mime,
                "application/font-woff"
                    | "application/font-woff2"
                    | "application/vnd.ms-fontobject"
            );
        if passthrough {
            // An image is served under the type its bytes show, never only the one claimed.
            let served = if mime.starts_with("image/") {
                sniff_image(&self.body)
            } else {
                Some(mime)
            };
            if let Some(served) = served {
                return (StatusCode::OK, replay_headers(served), self.body).into_response();
            }
        }
        if mime.starts_with("text/")
            || mime.contains("javascript")
            || mime.contains("json")
            || mime.ends_with("+xml")
            || mime.ends_with("/xml")
        {
            // Scripts and markup that is not rewritten are shown as text.
            return (
                StatusCode::OK,
                replay_headers("text/plain; charset=utf-8"),
                self.text(),
            )
                .into_response();
        }
        let mut h = replay_headers("application/octet-stream");
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
        (StatusCode::OK, h, self.body).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("http://news.test/2024/05/a/").expect("url")
    }

    #[test]
    fn links_and_resources_point_to_replay_urls() {
        let html = r##"<html><head><link rel="stylesheet" href="/s.css?v=1&amp;x=2"><link rel="preload" href="/f.woff"><link rel="dns-prefetch" href="//cdn.evil"></head>
<body onload="steal()"><a href="../b/" target="_top" ping="http://t.evil/">b</a><a href="https://other.test/x#frag">o</a>
<a href="javascript:alert(1)">js</a><a href="jav&#x61;script:alert(1)">js2</a><a href="mailto:a@b.c">m</a><a href="#top">t</a>
<img src="http://img.test/i.png" srcset="a.png 1x, http://img.test/b.png 2x" onerror="x()"><img src="data:image/png;base64,AAAA">
<iframe src="https://ads.evil/frame" srcdoc="<script>1</script>"></iframe><form action="https://evil/post"><button formaction="https://evil/">go</button></form>
<div style="background:url('http://img.test/bg.png')">x</div><svg><a xlink:href="http://svg.test/"><set attributeName="href" to="http://live.evil/"/></a></svg>
<script>document.title='pwned'</script><noscript><a href="http://live.evil/">n</a></noscript><object data="http://live.evil/x.swf"></object>
<meta http-equiv="refresh" content="0;url=http://live.evil/"><style>@import "print.css"; body{background:url(/bg.gif)}</style></body></html>"##;
        let out = rewrite_html(html, &page(), "20240501100000").expect("rewrite");
        let r = "/replay/20240501100000/";
        assert!(
            out.contains(&format!("href=\"{r}http://news.test/s.css?v=1&amp;x=2\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("href=\"{r}http://news.test/2024/05/b/\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("href=\"{r}https://other.test/x#frag\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("src=\"{r}http://img.test/i.png\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "{r}http://news.test/2024/05/a/a.png 1x, {r}http://img.test/b.png 2x"
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!("src=\"{r}https://ads.evil/frame\"")),
            "{out}"
        );
        assert!(
            out.contains(&format!("url(&quot;{r}http://img.test/bg.png&quot;)"))
                || out.contains(&format!("url(\"{r}http://img.test/bg.png\")")),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "@import \"{r}http://news.test/2024/05/a/print.css\""
            )),
            "{out}"
        );
        assert!(
            out.contains(&format!("url(\"{r}http://news.test/bg.gif\")")),
            "{out}"
        );
        assert!(
            out.contains(&format!("xlink:href=\"{r}http://svg.test/\"")),
            "{out}"
        );
        assert!(out.contains("src=\"data:image/png;base64,AAAA\""));
        assert!(out.contains("href=\"#top\""));
        for gone in [
            "<script",
            "pwned",
            "onload",
            "onerror",
            "javascript",
            "mailto",
            "target=",
            "ping=",
            "srcdoc",
            "action=",
            "<object",
            "<noscript",
            "refresh",
            "preload",
            "dns-prefetch",
            "<set",
            "live.evil",
            "cdn.evil",
            "t.evil",
            "https://evil",
        ] {
            assert!(!out.contains(gone), "{gone} left in {out}");
        }
        // Every remaining absolute URL is a replay URL.
        for m in out.match_indices("http") {
            let before = &out[..m.0];
            assert!(
                before.ends_with(r) || before.ends_with("//"),
                "bare URL at {}: {}",
                m.0,
                &out[m.0.saturating_sub(30)..(m.0 + 30).min(out.len())]
            );
        }
    }

    #[test]
    fn base_href_is_used_and_removed() {
        let html = r#"<html><head><base href="http://cdn.test/root/"></head><body><a href="x">x</a></body></html>"#;
        let out = rewrite_html(html, &page(), "2024").expect("rewrite");
        assert!(
            out.contains("href=\"/replay/2024/http://cdn.test/root/x\""),
            "{out}"
        );
        assert!(!out.contains("<base"));
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            decode_entities("a&amp;b&#58;c&#x3A;d&bogus;e&"),
            "a&b:c:d&bogus;e&"
        );
    }

    #[test]
    fn css_urls_rewrite() {
        let base = Url::parse("http://news.test/css/site.css").expect("url");
        let out = rewrite_css(
            "a{background:url( 'i.png' )} b{src:url(data:font/woff;base64,AA)} c{x:url(javascript:alert(1))}",
            &base,
            "1",
        );
        assert!(
            out.contains("url(\"/replay/1/http://news.test/css/i.png\")"),
            "{out}"
        );
        assert!(out.contains("url(\"data:font/woff;base64,AA\")"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
    }
}
