//! The REST JSON of a WordPress post page (`…/wp-json/wp/v2/posts/N`, which the page
//! names in its head), fetched once each time the page's article is archived, as a page
//! requisite is ([`requisites::fetch_requisite`]): robots.txt, the host's rate and
//! concurrency, the limits and the SSRF guard; a revisit when unchanged. It is no URL of
//! the frontier, no article and no source of links: `glaneur articles` and `serve` read
//! it to complete the modification date the page does not show
//! ([`crate::archive::wp_posts`]). A profile turns it off with `wordpress_rest = false`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use url::Url;

use super::Shared;
use super::requisites::{self, PageOf, Purpose};
use crate::archive::wp_rest::post_route_id;
use crate::frontier::ClaimedUrl;
use crate::urls;

/// The REST route `rest` of the post page `page`, when the page's site wants it and it
/// is a post's route on the page's own host.
fn route_to_fetch(shared: &Shared, page: &ClaimedUrl, rest: &str) -> Option<Url> {
    let wanted = shared
        .site(&page.site)
        .is_none_or(|site| site.profile.wordpress_rest);
    let url = Url::parse(rest).ok()?;
    let own_host =
        urls::host_key(&url).is_some() && urls::host_key(&url) == urls::host_key(&page.url);
    (wanted && own_host && post_route_id(url.as_str()).is_some()).then_some(url)
}

/// Fetches and archives the JSON of the post page `page` at `rest` (see the module
/// notes). A failure is logged and counted; the page's capture stands as it is.
pub(super) async fn archive_post_json(shared: &Arc<Shared>, page: &ClaimedUrl, rest: &str) {
    let Some(url) = route_to_fetch(shared, page, rest) else {
        return;
    };
    let of = PageOf {
        site: page.site.clone(),
        page: page.url.clone(),
        depth: page.depth,
        purpose: Purpose::WordPressPost,
    };
    match requisites::fetch_requisite(shared, &of, url.clone()).await {
        Ok(capture) if capture.status != 200 => {
            tracing::debug!("{url}: HTTP {} (REST turned off?)", capture.status);
        }
        Ok(_) => {}
        Err(e) => {
            shared
                .counters
                .wp_rest_failed
                .fetch_add(1, Ordering::Relaxed);
            tracing::debug!("{url} not fetched: {e}");
        }
    }
}
