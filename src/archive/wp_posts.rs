//! The post JSONs of an archive joined to its articles (see [`super::wp_rest`]):
//! [`RestIndex::complete`] fills what a page of a WordPress post does not show from the
//! post's own JSON captured with it. The page's own visible or declared value wins, the
//! JSON only fills what the page does not show, and the field's method says `wp-rest`. A
//! JSON that is broken, too big, an error page (401/404: REST turned off), or that names
//! another post (`id` or `link`) is ignored: the article keeps what its page says.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::filter::parse_article_date;
use super::history::url_key;
use super::scan::{CaptureKind, FileScan};
use super::wp_rest::{RestPost, post_route_id};
use crate::extract::Article;

/// How far from the page's capture its JSON may have been captured: the crawl fetches
/// it right after the page, behind the host's rate.
const CAPTURE_WINDOW_SECS: i64 = 6 * 3600;

/// The method recorded for a field filled from the JSON.
pub const METHOD: &str = "wp-rest";

/// One capture of a REST route.
#[derive(Debug, Clone)]
struct RestCapture {
    date: DateTime<Utc>,
    record_id: String,
    /// A revisit's `WARC-Refers-To`.
    refers_to: Option<String>,
}

/// The post JSONs of an archive, by route and capture (see the module notes).
#[derive(Debug, Default, Clone)]
pub struct RestIndex {
    posts: HashMap<String, RestPost>,
    captures: HashMap<String, Vec<RestCapture>>,
}

impl RestIndex {
    /// Adds what one file's scan holds of REST routes.
    pub fn add_scan(&mut self, scan: &FileScan) {
        for row in &scan.wp_posts {
            self.posts.insert(row.record_id.clone(), row.post.clone());
        }
        for c in &scan.captures {
            if c.kind == CaptureKind::Resource || post_route_id(&c.url).is_none() {
                continue;
            }
            let Some(key) = url_key(&c.url) else { continue };
            self.captures.entry(key).or_default().push(RestCapture {
                date: c.date,
                record_id: c.record_id.clone(),
                refers_to: c.refers_to.clone(),
            });
        }
    }

    /// Adds another index (of other files).
    pub fn merge(&mut self, other: RestIndex) {
        self.posts.extend(other.posts);
        for (key, mut list) in other.captures {
            self.captures.entry(key).or_default().append(&mut list);
        }
    }

    /// True when no post JSON is known.
    pub fn is_empty(&self) -> bool {
        self.captures.is_empty()
    }

    /// The JSON of route `rest_url` captured nearest to `at` (within a few hours; ties go
    /// to the later one), if that capture holds a post's JSON (for a revisit: the
    /// response it refers to).
    fn post_near(&self, rest_url: &str, at: DateTime<Utc>) -> Option<&RestPost> {
        let list = self.captures.get(&url_key(rest_url)?)?;
        let nearest = list
            .iter()
            .filter(|c| (c.date - at).num_seconds().abs() <= CAPTURE_WINDOW_SECS)
            .min_by_key(|c| {
                (
                    (c.date - at).num_seconds().abs(),
                    std::cmp::Reverse(c.date),
                    c.record_id.as_str(),
                )
            })?;
        self.posts.get(&nearest.record_id).or_else(|| {
            nearest
                .refers_to
                .as_deref()
                .and_then(|id| self.posts.get(id))
        })
    }

    /// Adds one capture of a REST route (`url`), holding `post` when its body is a
    /// post's JSON (`None` for an error page or a broken body): what `glaneur get` reads
    /// through the index.
    pub fn add_capture(
        &mut self,
        url: &str,
        (date, record_id): (DateTime<Utc>, &str),
        refers_to: Option<&str>,
        post: Option<RestPost>,
    ) {
        let Some(key) = url_key(url) else { return };
        if let Some(post) = post {
            self.posts.insert(record_id.to_string(), post);
        }
        self.captures.entry(key).or_default().push(RestCapture {
            date,
            record_id: record_id.to_string(),
            refers_to: refers_to.map(str::to_string),
        });
    }

    /// The JSON of the post whose page is `url` (naming `canonical_url`) and whose REST
    /// route is `rest_url`, captured nearest to `captured_at` (see
    /// [`RestIndex::complete`]): `None` unless it is this post's (`id` of the route,
    /// `link` the page or its canonical URL).
    pub fn post_for(
        &self,
        rest_url: &str,
        (url, canonical_url): (&str, Option<&str>),
        captured_at: DateTime<Utc>,
    ) -> Option<&RestPost> {
        let post = self.post_near(rest_url, captured_at)?;
        let link = url_key(&post.link);
        let names_page =
            link.is_some() && (link == url_key(url) || canonical_url.and_then(url_key) == link);
        (post_route_id(rest_url) == Some(post.id) && names_page).then_some(post)
    }

    /// The publication date of an article whose page shows none (`published` `None`),
    /// from its post's JSON ([`RestIndex::post_for`]); the page's own when it shows one.
    /// What the date filters see, in `articles` and in `serve`.
    pub fn published(
        &self,
        published: Option<&str>,
        rest_url: Option<&str>,
        page: (&str, Option<&str>),
        captured_at: DateTime<Utc>,
    ) -> Option<String> {
        if let Some(p) = published {
            return Some(p.to_string());
        }
        self.post_for(rest_url?, page, captured_at)?
            .published
            .clone()
    }

    /// Completes `article`, whose page was captured at `captured_at`, from its post's
    /// JSON: `modified` when the page shows no modification date of its own (see
    /// [`shows_modification`]), `published` when the page shows none. The
    /// JSON must be of this post (`id` of the route, `link` the page or its canonical
    /// URL). Returns true when a field was filled.
    pub fn complete(&self, article: &mut Article, captured_at: DateTime<Utc>) -> bool {
        let Some(rest_url) = article.wp_rest.as_deref() else {
            return false;
        };
        let page = (article.url.as_str(), article.canonical_url.as_deref());
        let Some(post) = self.post_for(rest_url, page, captured_at) else {
            return false;
        };
        let mut filled = false;
        if let (false, Some(modified)) = (shows_modification(article), &post.modified) {
            article.modified = Some(modified.clone());
            article.methods.insert("modified".into(), METHOD.into());
            filled = true;
        }
        if let (None, Some(published)) = (&article.published, &post.published) {
            article.published = Some(published.clone());
            article.methods.insert("published".into(), METHOD.into());
            filled = true;
        }
        filled
    }
}

/// True when the page shows a modification date of its own: one was found, and it is
/// not the publication date standing for it (no update shown, or a date classed both
/// `published` and `updated`, as Twenty Twenty-One writes whether or not the post
/// changed since).
fn shows_modification(article: &Article) -> bool {
    let Some(modified) = article.modified.as_deref() else {
        return false;
    };
    if article
        .methods
        .get("modified")
        .is_some_and(|m| m == "published")
    {
        return false;
    }
    let Some(published) = article.published.as_deref() else {
        return true;
    };
    let minute = |s: &str| parse_article_date(s).map(|d| d.timestamp().div_euclid(60));
    modified.trim() != published.trim()
        && minute(modified).is_none_or(|m| minute(published) != Some(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index_with(
        captures: Vec<(&str, &str, Option<&str>)>,
        posts: Vec<(&str, RestPost)>,
    ) -> RestIndex {
        let mut index = RestIndex::default();
        for (id, post) in posts {
            index.posts.insert(id.into(), post);
        }
        for (date, id, refers) in captures {
            index
                .captures
                .entry(url_key(REST).expect("key"))
                .or_default()
                .push(RestCapture {
                    date: date.parse().expect("date"),
                    record_id: id.into(),
                    refers_to: refers.map(str::to_string),
                });
        }
        index
    }

    const REST: &str = "http://wp.test/wp-json/wp/v2/posts/21";

    fn page() -> Article {
        let mut a = Article {
            url: "http://wp.test/2024/03/05/x/".into(),
            published: Some("2024-03-05T11:00:00+01:00".into()),
            modified: Some("2024-03-05T11:00:00+01:00".into()),
            wp_rest: Some(REST.into()),
            ..Article::default()
        };
        a.methods.insert("modified".into(), "published".into());
        a
    }

    fn post(id: u64, link: &str) -> RestPost {
        RestPost {
            id,
            link: link.into(),
            modified: Some("2024-04-01T07:30:12+00:00".into()),
            published: Some("2024-03-05T10:00:00+00:00".into()),
        }
    }

    #[test]
    fn the_json_fills_a_modification_the_page_does_not_show() {
        let at: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().expect("date");
        let index = index_with(
            vec![
                ("2026-01-01T10:00:02Z", "<j1>", None),
                ("2026-01-08T10:00:02Z", "<j2>", Some("<j1>")),
            ],
            vec![("<j1>", post(21, "http://wp.test/2024/03/05/x/"))],
        );
        let mut a = page();
        assert!(index.complete(&mut a, at));
        assert_eq!(a.modified.as_deref(), Some("2024-04-01T07:30:12+00:00"));
        assert_eq!(a.methods["modified"], METHOD);
        // The published date shown stays.
        assert_eq!(a.published.as_deref(), Some("2024-03-05T11:00:00+01:00"));
        // A revisit of the JSON stands for the response it refers to.
        let mut later = page();
        let week = at + chrono::Duration::days(7);
        assert!(index.complete(&mut later, week));
        // Too far from any capture of the JSON: nothing.
        let mut far = page();
        assert!(!index.complete(&mut far, at + chrono::Duration::days(3)));
        assert_eq!(far, page());
        // A modification the page shows wins.
        let mut shown = page();
        shown.methods.insert("modified".into(), "time".into());
        shown.modified = Some("2024-03-06T08:00:00+01:00".into());
        let before = shown.clone();
        assert!(!index.complete(&mut shown, at));
        assert_eq!(shown, before);
        // The published date classed `updated` too is no modification shown.
        let mut both = page();
        both.methods.insert("modified".into(), "time".into());
        both.modified = Some("2024-03-05T10:00:00Z".into());
        assert!(index.complete(&mut both, at));
        assert_eq!(both.modified.as_deref(), Some("2024-04-01T07:30:12+00:00"));
    }

    #[test]
    fn the_publication_date_filtered_on_is_the_page_s_else_the_json_s() {
        let at: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().expect("date");
        let page_url = "http://wp.test/2024/03/05/x/";
        let index = index_with(
            vec![("2026-01-01T10:00:02Z", "<j1>", None)],
            vec![("<j1>", post(21, page_url))],
        );
        let shown = Some("2024-03-06");
        let page = (page_url, None);
        // The page's own date wins.
        assert_eq!(
            index.published(shown, Some(REST), page, at).as_deref(),
            shown
        );
        // A page that shows none: the JSON's.
        assert_eq!(
            index.published(None, Some(REST), page, at).as_deref(),
            Some("2024-03-05T10:00:00+00:00")
        );
        // Through the canonical URL the page names.
        let copy = ("http://wp.test/?p=21&replytocom=4", Some(page_url));
        assert!(index.published(None, Some(REST), copy, at).is_some());
        // No route, a JSON of another page, or too far in time: none.
        assert_eq!(index.published(None, None, page, at), None);
        let other = ("http://wp.test/autre/", None);
        assert_eq!(index.published(None, Some(REST), other, at), None);
        let later = at + chrono::Duration::days(2);
        assert_eq!(index.published(None, Some(REST), page, later), None);
    }

    #[test]
    fn a_json_of_another_post_or_an_error_page_is_ignored() {
        let at: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().expect("date");
        for wrong in [
            post(22, "http://wp.test/2024/03/05/x/"),
            post(21, "http://wp.test/other/"),
        ] {
            let index = index_with(
                vec![("2026-01-01T10:00:01Z", "<j1>", None)],
                vec![("<j1>", wrong)],
            );
            let mut a = page();
            assert!(!index.complete(&mut a, at));
            assert_eq!(a, page());
        }
        // The nearest capture is a 404 (no JSON read from it): nothing, even with an
        // older good one in the window.
        let index = index_with(
            vec![
                ("2026-01-01T09:00:00Z", "<j1>", None),
                ("2026-01-01T10:00:01Z", "<e404>", None),
            ],
            vec![("<j1>", post(21, "http://wp.test/2024/03/05/x/"))],
        );
        let mut a = page();
        assert!(!index.complete(&mut a, at));
        assert_eq!(a, page());
    }
}
