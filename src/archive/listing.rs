//! The category the crawl itself gives an article, when its page names none (issue 15,
//! the last resort of the category signals): a segment of the article's URL path that
//! matches a category listing page seen in the crawl. A listing page is a page captured
//! (present, HTML) that is no article; it matches a segment `seg` of
//! `http://site/a/seg/slug` when it is the path up to that segment (`http://site/a/seg/`)
//! or a taxonomy page of that name (`/category/seg/`, `/categorie/seg/`, `/rubrique/seg/`,
//! `/section/seg/`).

use url::Url;

use crate::archive::history::url_key;

/// The path segments under which sites list a category's articles.
const TAXONOMY_PREFIXES: &[&str] = &["category", "categorie", "rubrique", "section"];

/// True when a path segment cannot name a category: a number (a year, a month, an id),
/// or a taxonomy word itself.
fn not_a_category(segment: &str) -> bool {
    segment.bytes().all(|b| b.is_ascii_digit())
        || TAXONOMY_PREFIXES
            .iter()
            .any(|t| segment.eq_ignore_ascii_case(t))
}

/// The categories of the article at `article_url` from the listing pages of the crawl,
/// the most specific (deepest segment) first: the decoded path segments (the last one,
/// the article's own, excepted) for which `is_listing` says a listing page was captured.
/// `is_listing` gets a URL key ([`url_key`]: SURT form, trailing slash ignored).
pub fn categories_from_listings(
    article_url: &str,
    is_listing: impl Fn(&str) -> bool,
) -> Vec<String> {
    let Ok(url) = Url::parse(article_url) else {
        return Vec::new();
    };
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let Some((_, folders)) = segments.split_last() else {
        return Vec::new();
    };
    let listed = |path: &str| {
        let mut candidate = url.clone();
        candidate.set_path(path);
        candidate.set_query(None);
        url_key(candidate.as_str()).is_some_and(|k| is_listing(&k))
    };
    let mut out = Vec::new();
    for depth in (0..folders.len()).rev() {
        let segment = folders[depth];
        if not_a_category(segment) {
            continue;
        }
        let prefix = format!("/{}/", folders[..=depth].join("/"));
        let named = listed(&prefix)
            || TAXONOMY_PREFIXES
                .iter()
                .any(|t| listed(&format!("/{t}/{segment}/")));
        if named {
            let name = percent_decoded(segment);
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// A path segment with its percent-escapes decoded (UTF-8, lossy).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|_| bytes[i] == b'%')
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn keys(urls: &[&str]) -> HashSet<String> {
        urls.iter().filter_map(|u| url_key(u)).collect()
    }

    #[test]
    fn a_segment_is_a_category_when_its_listing_page_was_captured() {
        let seen = keys(&[
            "http://n.test/economie",
            "http://n.test/economie/entreprises/",
            "http://n.test/category/m%C3%A9dias/",
            "http://n.test/2024/",
        ]);
        let of = |u: &str| categories_from_listings(u, |k| seen.contains(k));
        assert_eq!(
            of("http://n.test/economie/entreprises/2024/05/une-usine-ferme/"),
            ["entreprises", "economie"]
        );
        // A taxonomy listing of the segment's name; the article's own segment and
        // numbers are never categories.
        assert_eq!(
            of("http://n.test/m%C3%A9dias/la-presse-change/"),
            ["médias"]
        );
        assert!(of("http://n.test/2024/05/economie/").is_empty());
        assert!(of("http://n.test/politique/un-vote/").is_empty());
        assert!(of("http://n.test/").is_empty());
        assert!(of("not a url").is_empty());
    }
}
