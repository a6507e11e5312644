//! Which sampled pages are articles, and the URL rules of the profile: the `article`
//! regex (generalised from the articles' paths, checked against the other pages), the
//! `deny` patterns for the kinds of URLs found in the sample, and `max_depth`.

use regex::Regex;
use url::Url;

use crate::extract::{self, Article, PageInput};

use super::sample::SampledPage;

/// Words of body text from which a page with a date and a single post is an article.
const MIN_ARTICLE_WORDS: usize = 120;

/// One sampled page, read by the generic extractor.
#[derive(Debug, Clone)]
pub struct ReadPage {
    /// The page.
    pub page: SampledPage,
    /// The generic extraction (always built).
    pub article: Article,
    /// Why it is (or is not) taken as an article.
    pub evidence: &'static str,
    /// Taken as an article.
    pub is_article: bool,
}

/// The page as the extractor's input.
pub fn input(page: &SampledPage) -> PageInput<'_> {
    PageInput {
        url: &page.url,
        body: &page.body,
        content_type: page.content_type.as_deref(),
        fetched_at: page.fetched_at,
    }
}

/// Post-like elements of a page (`<article>`, `.hentry`, `.wp-block-post`, `.type-post`),
/// comments left out (themes mark each comment up as an `<article>`): more than one
/// makes a listing.
fn post_count(html: &str) -> usize {
    let doc = scraper::Html::parse_document(html);
    let Ok(posts) = scraper::Selector::parse("article, .hentry, .wp-block-post, .type-post") else {
        return 0;
    };
    let is_comment = |e: &scraper::ElementRef<'_>| {
        let v = e.value();
        let named = format!("{} {}", v.attr("class").unwrap_or(""), v.id().unwrap_or(""));
        named.to_ascii_lowercase().contains("comment")
    };
    doc.select(&posts)
        .filter(|e| {
            !is_comment(e)
                && !e
                    .ancestors()
                    .filter_map(scraper::ElementRef::wrap)
                    .any(|a| is_comment(&a))
        })
        .count()
}

/// Reads a page and decides whether it is an article: declared as one (JSON-LD Article
/// types, `og:type=article`), listed in the feed, or shaped like one (a title, a date,
/// a body of [`MIN_ARTICLE_WORDS`] words or more, one post on the page).
pub fn read_page(page: SampledPage) -> ReadPage {
    let declared = extract::analyze(&input(&page), None, false)
        .article
        .is_some();
    let article = extract::analyze(&input(&page), None, true).article;
    let article = article.unwrap_or_default();
    let html = String::from_utf8_lossy(&page.body);
    let posts = post_count(&html);
    let words = article
        .body
        .as_deref()
        .map_or(0, |b| b.split_whitespace().count());
    let shaped = article.title.is_some()
        && article.published.is_some()
        && words >= MIN_ARTICLE_WORDS
        && posts <= 1;
    let root = page.url.path() == "/";
    // A page naming another address as canonical (`?replytocom=`, print copies) is a copy.
    let copy = article
        .canonical_url
        .as_deref()
        .and_then(|c| page.url.join(c).ok())
        .is_some_and(|c| c.path() != page.url.path() || c.query() != page.url.query());
    let (is_article, evidence) = if root {
        (false, "the start page")
    } else if copy {
        (false, "a copy of its canonical URL")
    } else if declared && posts <= 1 {
        (true, "declared (JSON-LD or og:type)")
    } else if page.in_feed && words > 0 {
        (true, "listed in the feed")
    } else if shaped {
        (true, "title, date, long body, one post")
    } else if posts > 1 {
        (false, "several posts (a listing)")
    } else {
        (false, "no date or short body")
    };
    ReadPage {
        page,
        article,
        evidence,
        is_article,
    }
}

/// Escapes a literal for a regex.
fn lit(s: &str) -> String {
    // `-` needs no escape outside a class: keep URLs readable.
    regex::escape(s).replace(r"\-", "-")
}

/// The narrowest class of a set of path segments at one position: a literal when all are
/// equal and not numeric, else `\d{4}`, `\d{2}`, `\d+`, `[^/]+-\d+`, `[^/]+\.html`, or
/// `[^/]+`.
fn segment_class(values: &[&str]) -> String {
    let all = |f: &dyn Fn(&str) -> bool| values.iter().all(|v| f(v));
    let digits = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    if all(&|v| digits(v) && v.len() == 4) {
        return r"\d{4}".into();
    }
    if all(&|v| digits(v) && v.len() == 2) {
        return r"\d{2}".into();
    }
    if all(&digits) {
        return r"\d+".into();
    }
    if values.windows(2).all(|w| w[0] == w[1])
        && let Some(first) = values.first()
    {
        return lit(first);
    }
    let ends_with_id = |v: &str| {
        let stem = v.trim_end_matches(".html").trim_end_matches(".htm");
        stem.rsplit_once('-')
            .is_some_and(|(a, b)| !a.is_empty() && digits(b))
    };
    let html = all(&|v| v.ends_with(".html"));
    match (all(&ends_with_id), html) {
        (true, true) => r"[^/]+-\d+\.html".into(),
        (true, false) => r"[^/]+-\d+".into(),
        (false, true) => r"[^/]+\.html".into(),
        (false, false) => r"[^/?#]+".into(),
    }
}

/// A path's segment count and whether it ends with `/`.
type PathShape = (usize, bool);

/// The path segments of a URL and whether its path ends with `/`.
fn segments(url: &Url) -> (Vec<String>, bool) {
    let path = url.path();
    let parts = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (parts, path.ends_with('/') && path.len() > 1)
}

/// The `article` regex: one alternative per path shape (segment count and trailing
/// slash) of the articles, each segment generalised by [`segment_class`], anchored on
/// the origin and the end of the path (a query string makes another page). `None`
/// without articles.
pub fn article_regex(articles: &[&Url]) -> Option<String> {
    let origin = articles.first()?.origin().ascii_serialization();
    let mut groups: Vec<(PathShape, Vec<Vec<String>>)> = Vec::new();
    for url in articles {
        let (segs, slash) = segments(url);
        let key = (segs.len(), slash);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(segs),
            None => groups.push((key, vec![segs])),
        }
    }
    // The most common shape first.
    groups.sort_by_key(|(_, list)| std::cmp::Reverse(list.len()));
    let mut alternatives: Vec<String> = Vec::new();
    for ((count, slash), list) in &groups {
        let mut path = String::new();
        for position in 0..*count {
            let values: Vec<&str> = list.iter().map(|s| s[position].as_str()).collect();
            path.push('/');
            path.push_str(&segment_class(&values));
        }
        if *slash {
            path.push('/');
        }
        if !alternatives.contains(&path) {
            alternatives.push(path);
        }
    }
    let body = if alternatives.len() == 1 {
        alternatives.remove(0)
    } else {
        format!("(?:{})", alternatives.join("|"))
    };
    Some(format!("^{}{body}$", lit(&origin)))
}

/// Sampled non-article URLs the regex matches (they should be none).
pub fn regex_conflicts(regex: &str, others: &[&Url]) -> Vec<Url> {
    let Ok(re) = Regex::new(regex) else {
        return Vec::new();
    };
    others
        .iter()
        .filter(|u| re.is_match(u.as_str()))
        .map(|u| (*u).clone())
        .collect()
}

/// A `deny` pattern, what it stops, and how to tell a URL needs it.
struct DenyRule {
    pattern: &'static str,
    comment: &'static str,
    test: fn(&Url, &str) -> bool,
}

fn has_param(url: &Url, names: &[&str]) -> bool {
    url.query_pairs()
        .any(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
}

const DENY_RULES: &[DenyRule] = &[
    DenyRule {
        pattern: r"/wp-admin/",
        comment: "WordPress back office",
        test: |_, p| p.contains("/wp-admin/"),
    },
    DenyRule {
        pattern: r"/wp-login\.php",
        comment: "login form",
        test: |_, p| p.contains("/wp-login.php"),
    },
    DenyRule {
        pattern: r"/(login|connexion|signin|account|mon-compte)(/|$|\?)",
        comment: "login and account pages",
        test: |_, p| {
            ["/login", "/connexion", "/signin", "/account", "/mon-compte"]
                .iter()
                .any(|w| p.contains(w))
        },
    },
    DenyRule {
        pattern: r"/wp-json/",
        comment: "REST API",
        test: |_, p| p.contains("/wp-json/"),
    },
    DenyRule {
        pattern: r"/xmlrpc\.php",
        comment: "XML-RPC endpoint",
        test: |_, p| p.contains("/xmlrpc.php"),
    },
    DenyRule {
        pattern: r"/(search|recherche)/",
        comment: "search result pages",
        test: |_, p| p.contains("/search/") || p.contains("/recherche/"),
    },
    DenyRule {
        pattern: r"[?&](s|q|search)=",
        comment: "search queries",
        test: |u, _| has_param(u, &["s", "q", "search"]),
    },
    DenyRule {
        pattern: r"replytocom=",
        comment: "one copy of each article per comment reply link",
        test: |u, _| has_param(u, &["replytocom"]),
    },
    DenyRule {
        pattern: r"[?&]share=",
        comment: "social sharing redirects",
        test: |u, _| has_param(u, &["share"]),
    },
    DenyRule {
        pattern: r"[?&](print|amp)(=|&|$)",
        comment: "print and AMP variants of articles",
        test: |u, _| has_param(u, &["print", "amp"]),
    },
    DenyRule {
        pattern: r"/amp/?$",
        comment: "AMP copies of articles",
        test: |_, p| p.ends_with("/amp/") || p.ends_with("/amp"),
    },
    DenyRule {
        pattern: r"^https?://[^/]+/.+/feed/",
        comment: "feeds of every post, category, tag, author and the comments (the site's feed is in `feeds`)",
        test: |u, _| {
            let path = u.path();
            path.len() > 6 && path[1..].contains("/feed")
        },
    },
];

/// `deny` patterns for the kinds of URLs seen among the sample's links, each with its
/// comment and how many links it stops.
pub fn deny_rules(links: &[Url]) -> Vec<(String, String, usize)> {
    DENY_RULES
        .iter()
        .filter_map(|rule| {
            let n = links
                .iter()
                .filter(|u| (rule.test)(u, &u.path().to_ascii_lowercase()))
                .count();
            (n > 0).then(|| (rule.pattern.to_string(), rule.comment.to_string(), n))
        })
        .collect()
}

/// `max_depth`: two hops beyond the deepest article sampled, at least the default.
pub fn max_depth(articles: &[&ReadPage]) -> u32 {
    let deepest = articles.iter().map(|a| a.page.depth).max().unwrap_or(0);
    (deepest + 2).max(crate::config::DEFAULT_MAX_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn dated_slug_paths_become_classes() {
        let a = u("http://x.test/2024/01/cloud-souverain-0001/");
        let b = u("http://x.test/2024/02/ia-et-data-0042/");
        let re = article_regex(&[&a, &b]).expect("regex");
        assert_eq!(re, r"^http://x\.test/\d{4}/\d{2}/[^/]+-\d+/$");
        let listing = u("http://x.test/categorie/cloud/");
        assert!(regex_conflicts(&re, &[&listing]).is_empty());
        assert_eq!(regex_conflicts(&re, &[&a]).len(), 1);
    }

    #[test]
    fn constant_words_stay_literal_and_shapes_alternate() {
        let a = u("http://x.test:8080/news/un-titre.html");
        let b = u("http://x.test:8080/news/autre-titre.html");
        let c = u("http://x.test:8080/2023/05/04/post/");
        let re = article_regex(&[&a, &b, &c]).expect("regex");
        assert_eq!(
            re,
            r"^http://x\.test:8080(?:/news/[^/]+\.html|/\d{4}/\d{2}/\d{2}/post/)$"
        );
    }

    #[test]
    fn deny_rules_only_for_what_the_sample_shows() {
        let links = [
            u("http://x.test/wp-admin/edit.php"),
            u("http://x.test/2024/01/a/?replytocom=3"),
            u("http://x.test/2024/01/a/feed/"),
            u("http://x.test/feed/"),
        ];
        let rules: Vec<String> = deny_rules(&links).into_iter().map(|r| r.0).collect();
        assert_eq!(
            rules,
            vec![
                r"/wp-admin/".to_string(),
                r"replytocom=".to_string(),
                r"^https?://[^/]+/.+/feed/".to_string()
            ]
        );
        let re = Regex::new(&rules[2]).expect("regex");
        assert!(!re.is_match("http://x.test/feed/"));
    }
}
