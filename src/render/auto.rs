//! `render = "auto"`: which pages need a browser, judged from their HTTP fetch, and the
//! page kinds of a site that needed one.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use url::Url;

/// A body shorter than this (in characters) is "empty or tiny".
pub const TINY_BODY_CHARS: usize = 200;
/// A page that is not an article with fewer links than this is a shell.
pub const FEW_LINKS: usize = 3;

/// An element a script mounts its application in: `<div id="root">`, `app`, `__next`,
/// `__nuxt`, `___gatsby`, or any element with `data-reactroot`/`ng-app`.
static APP_ROOT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<[a-z]+[^>]*\s(?:id\s*=\s*["']?(?:root|app|__next|__nuxt|___gatsby)["'\s>/]|data-reactroot|ng-app)"#,
    )
    .expect("app root regex")
});

/// A `<noscript>` element and its content.
static NOSCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<noscript[^>]*>(.*?)</noscript>").expect("noscript regex"));

/// What the HTTP fetch of an HTML page showed.
#[derive(Debug, Clone, Copy)]
pub struct HttpView<'a> {
    /// The decoded HTML.
    pub html: &'a str,
    /// Whether the page is read as an article (the profile says so, or the page does).
    pub is_article: bool,
    /// Characters of the extracted body (`None`: no body found).
    pub body_chars: Option<usize>,
    /// The profile has a body selector and it matched nothing.
    pub body_selector_missed: bool,
    /// Links found on the page.
    pub links: usize,
}

/// True when the page shows it is built by script: it has an application root or a
/// `<noscript>` asking for JavaScript, and what the server sent is an empty shell — an
/// article whose body is missing or tiny (or not where the profile's selector looks),
/// another page with almost no links.
pub fn looks_script_built(view: &HttpView<'_>) -> bool {
    if !(has_app_root(view.html) || asks_for_javascript(view.html)) {
        return false;
    }
    if view.is_article {
        view.body_chars.unwrap_or(0) < TINY_BODY_CHARS || view.body_selector_missed
    } else {
        view.links < FEW_LINKS
    }
}

/// True when the page has an element a script application mounts in.
pub fn has_app_root(html: &str) -> bool {
    APP_ROOT.is_match(html)
}

/// True when a `<noscript>` of the page mentions JavaScript.
pub fn asks_for_javascript(html: &str) -> bool {
    NOSCRIPT.captures_iter(html).any(|c| {
        c.get(1)
            .is_some_and(|m| m.as_str().to_ascii_lowercase().contains("javascript"))
    })
}

/// The kind of a page, for remembering which kinds needed a browser: its first path
/// segment (digits generalised) and its number of segments; `/a/12.html` and `/a/13.html`
/// are one kind, `/` and `/rubrique/` others.
pub fn page_kind(url: &Url) -> String {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let first = match segments.first() {
        Some(s) if s.bytes().any(|b| b.is_ascii_digit()) => "*",
        Some(s) => s,
        None => "",
    };
    format!("/{first}/{}", segments.len())
}

/// The page kinds of each site that needed a browser, in this run.
#[derive(Debug, Default)]
pub struct KindsRendered {
    kinds: Mutex<HashSet<(String, String)>>,
}

impl KindsRendered {
    /// Whether a page of this kind of `site` needed a browser already.
    pub fn contains(&self, site: &str, url: &Url) -> bool {
        self.kinds
            .lock()
            .is_ok_and(|k| k.contains(&(site.to_string(), page_kind(url))))
    }

    /// Remembers that this page's kind needs a browser.
    pub fn insert(&self, site: &str, url: &Url) {
        if let Ok(mut kinds) = self.kinds.lock() {
            kinds.insert((site.to_string(), page_kind(url)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(html: &str, is_article: bool, body_chars: Option<usize>, links: usize) -> HttpView<'_> {
        HttpView {
            html,
            is_article,
            body_chars,
            body_selector_missed: false,
            links,
        }
    }

    const SHELL: &str = r#"<html><body><div id="root"></div><noscript>Activez JavaScript pour lire cet article.</noscript><script src="/app.js"></script></body></html>"#;

    #[test]
    fn an_article_shell_with_an_app_root_needs_a_browser() {
        assert!(looks_script_built(&view(SHELL, true, None, 0)));
        assert!(looks_script_built(&view(SHELL, true, Some(40), 0)));
        assert!(!looks_script_built(&view(SHELL, true, Some(2_000), 0)));
        let missed = HttpView {
            body_selector_missed: true,
            ..view(SHELL, true, Some(2_000), 0)
        };
        assert!(
            looks_script_built(&missed),
            "the profile's selector found nothing"
        );
    }

    #[test]
    fn a_page_without_script_signals_is_never_rendered() {
        let plain = "<html><body><article><p>Court.</p></article></body></html>";
        assert!(!looks_script_built(&view(plain, true, None, 0)));
        assert!(!looks_script_built(&view(plain, false, None, 0)));
        let other_noscript = r#"<noscript><img src="/pixel.gif"></noscript><div id="rootline">"#;
        assert!(!has_app_root(other_noscript));
        assert!(!asks_for_javascript(other_noscript));
    }

    #[test]
    fn app_roots_and_noscript_messages_are_recognised() {
        for html in [
            r#"<div id="app"></div>"#,
            r#"<div id='__next'>"#,
            r#"<main id=root>"#,
            r#"<div data-reactroot="">"#,
        ] {
            assert!(has_app_root(html), "{html}");
        }
        assert!(asks_for_javascript(
            "<NOSCRIPT>\nPlease enable <b>JavaScript</b></NOSCRIPT>"
        ));
    }

    #[test]
    fn a_section_shell_needs_a_browser_a_section_with_links_does_not() {
        assert!(looks_script_built(&view(SHELL, false, None, 1)));
        assert!(!looks_script_built(&view(SHELL, false, None, 25)));
    }

    #[test]
    fn pages_of_one_kind_share_their_first_segment_and_depth() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert_eq!(page_kind(&u("http://n.test/a/12.html")), "/a/2");
        assert_eq!(
            page_kind(&u("http://n.test/a/13.html")),
            page_kind(&u("http://n.test/a/12.html"))
        );
        assert_eq!(page_kind(&u("http://n.test/")), "//0");
        assert_eq!(page_kind(&u("http://n.test/2026/11/03/x")), "/*/4");
        let kinds = KindsRendered::default();
        assert!(!kinds.contains("news", &u("http://n.test/a/1.html")));
        kinds.insert("news", &u("http://n.test/a/1.html"));
        assert!(kinds.contains("news", &u("http://n.test/a/2.html")));
        assert!(!kinds.contains("other", &u("http://n.test/a/2.html")));
        assert!(!kinds.contains("news", &u("http://n.test/b/2.html")));
    }
}
