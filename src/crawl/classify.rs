//! Which links a page's links become in the frontier: scope, depth and kind.

use url::Url;

use crate::config::SiteProfile;
use crate::extract::{FoundLink, LinkSource};
use crate::frontier::{NewUrl, UrlKind};

/// Whether a URL looks like an article when the profile has no `article` pattern:
/// a date in the path (`/2016/11/…`) or a last segment that is a long hyphenated slug
/// or ends in a numeric id.
pub fn looks_like_article(url: &Url) -> bool {
    const LISTING: [&str; 8] = [
        "category",
        "categorie",
        "tag",
        "author",
        "auteur",
        "page",
        "feed",
        "calendar",
    ];
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    // One pass over the segments: a listing segment rules the URL out; a year segment
    // followed by a month or day segment (`/2024/03/`) is a date.
    let (mut last, mut has_date) = (None::<&str>, false);
    for segment in url.path().split('/').filter(|p| !p.is_empty()) {
        if LISTING.iter().any(|l| segment.eq_ignore_ascii_case(l)) {
            return false;
        }
        if let Some(year) = last {
            has_date |= year.len() == 4 && digits(year) && segment.len() <= 2 && digits(segment);
        }
        last = Some(segment);
    }
    let Some(last) = last else {
        return false;
    };
    let stem = last.trim_end_matches(".html").trim_end_matches(".htm");
    let hyphens = stem.bytes().filter(|&b| b == b'-').count();
    let ends_with_id = stem
        .rsplit(['-', '_'])
        .next()
        .is_some_and(|tail| tail.len() >= 4 && digits(tail));
    (has_date && hyphens >= 2) || hyphens >= 4 || (hyphens >= 2 && ends_with_id)
}

/// Whether `url` is an article page for `profile`: its `article` pattern when it has one,
/// else the URL heuristic of [`looks_like_article`].
pub fn is_article(profile: &SiteProfile, url: &Url) -> bool {
    match &profile.article {
        Some(_) => profile.is_article(url),
        None => looks_like_article(url),
    }
}

/// What the crawl asks of a page's extraction: its article when the profile's `article`
/// pattern matches (none when it does not); without a pattern, the URL heuristic's guess,
/// which the page's own marks may overrule (see [`crate::extract::Want::Guess`]).
pub fn article_wish(profile: &SiteProfile, url: &Url) -> crate::extract::Want {
    use crate::extract::Want;
    match &profile.article {
        Some(_) if profile.is_article(url) => Want::Yes,
        Some(_) => Want::Declared,
        None => Want::Guess(looks_like_article(url)),
    }
}

/// The frontier entries for the links of a page at `depth`, within the profile's scope
/// and `max_depth`. Page requisites (stylesheets, scripts, images) of a page at the
/// depth limit are still taken, so the last pages can be replayed. The page's canonical
/// URL, when it names another page in scope, is queued at the page's own depth (it is
/// the same document under its preferred address), so the article is captured there.
pub fn links_to_queue(
    profile: &SiteProfile,
    max_depth: u32,
    page: &Url,
    depth: u32,
    links: Vec<FoundLink>,
) -> Vec<NewUrl> {
    let mut out = Vec::with_capacity(links.len());
    for link in links {
        let next_depth = match link.source {
            LinkSource::Canonical => depth,
            LinkSource::Anchor | LinkSource::Asset => depth + 1,
        };
        let over = next_depth > max_depth;
        if over && !(link.source == LinkSource::Asset && depth <= max_depth) {
            continue;
        }
        let Some(url) = profile.canonicalize_owned(link.url) else {
            continue;
        };
        if !profile.allows(&url) || (link.source == LinkSource::Canonical && &url == page) {
            continue;
        }
        let kind = if link.source == LinkSource::Asset {
            UrlKind::Other
        } else if is_article(profile, &url) {
            UrlKind::Article
        } else if link.related {
            UrlKind::Related
        } else {
            UrlKind::Other
        };
        out.extend(super::plan::new_url(
            url,
            &profile.name,
            next_depth,
            kind,
            Some(page),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("test url")
    }

    #[test]
    fn article_urls_are_recognised_without_a_profile_pattern() {
        assert!(looks_like_article(&u(
            "http://127.0.0.1:8080/2016/11/rgpd-la-cnil-sanctionne-octalys-0731/"
        )));
        assert!(looks_like_article(&u(
            "https://www.silicon.fr/cloud-souverain-les-offres-se-multiplient-412345.html"
        )));
        assert!(!looks_like_article(&u(
            "http://127.0.0.1:8080/category/cloud/"
        )));
        assert!(!looks_like_article(&u("http://127.0.0.1:8080/page/3/")));
        assert!(!looks_like_article(&u(
            "http://127.0.0.1:8080/calendar/2024/05/"
        )));
        assert!(!looks_like_article(&u("http://127.0.0.1:8080/a-propos/")));
        assert!(!looks_like_article(&u("http://127.0.0.1:8080/")));
    }

    #[test]
    fn the_canonical_link_is_queued_at_the_page_depth_when_it_names_another_page() {
        let profile = SiteProfile::generic(&u("http://n.test/"));
        let page = u("http://n.test/2024/05/titre-copie-de-l-article/");
        let link = |url: &str, source: LinkSource| FoundLink {
            url: u(url),
            related: false,
            source,
        };
        let canonical = link(
            "http://n.test/2024/05/titre-de-l-article/",
            LinkSource::Canonical,
        );
        let queued = links_to_queue(&profile, 2, &page, 2, vec![canonical.clone()]);
        let got: Vec<_> = queued
            .iter()
            .map(|n| (n.url.as_str(), n.depth, n.kind))
            .collect();
        assert_eq!(
            got,
            vec![(
                "http://n.test/2024/05/titre-de-l-article/",
                2,
                UrlKind::Article
            )]
        );
        // An anchor to the same URL from that depth would be past the limit.
        let anchor = link(
            "http://n.test/2024/05/titre-de-l-article/",
            LinkSource::Anchor,
        );
        assert!(links_to_queue(&profile, 2, &page, 2, vec![anchor]).is_empty());
        // Its own address (after canonicalisation), or a page out of scope: nothing.
        for own in [
            "http://n.test/2024/05/titre-copie-de-l-article/",
            "http://n.test/2024/05/titre-copie-de-l-article/?utm_source=x#top",
            "http://elsewhere.test/2024/05/titre-de-l-article/",
        ] {
            let canonical = link(own, LinkSource::Canonical);
            assert!(
                links_to_queue(&profile, 2, &page, 1, vec![canonical]).is_empty(),
                "{own}"
            );
        }
    }
}
