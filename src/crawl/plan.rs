//! What a run starts from: the sites of its profiles, their seeds (start URLs and feeds)
//! and the rechecks of an incremental run; and the one way a URL becomes a frontier entry.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use url::Url;

use super::{CrawlError, CrawlSettings, Site};
use crate::extract::ProfileSelectors;
use crate::frontier::{NewUrl, Recheck, UrlKind};
use crate::urls;

/// The sites of a run, and what it queues before its first fetch.
pub(super) struct Plan {
    /// The sites by profile name.
    pub sites: HashMap<String, Site>,
    /// Start URLs and feeds of every profile.
    pub seeds: Vec<NewUrl>,
    /// One recheck rule per profile (see [`Recheck`]).
    pub rechecks: Vec<Recheck>,
}

/// The plan of a run: a profile whose selectors do not compile is an error.
pub(super) fn plan(settings: &CrawlSettings) -> Result<Plan, CrawlError> {
    let mut plan = Plan {
        sites: HashMap::new(),
        seeds: Vec::new(),
        rechecks: Vec::new(),
    };
    for profile in &settings.sites {
        let now = Utc::now();
        let ago =
            |d: Duration| now - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        plan.rechecks.push(Recheck {
            site: profile.name.clone(),
            now,
            captured_before: ago(profile.recheck_articles),
            first_captured_after: ago(profile.fresh_articles),
        });
        // Feeds first, then start URLs: the order they are queued in.
        for url in profile.feeds.iter().chain(&profile.start) {
            let seed = urls::canonicalize(url)
                .and_then(|url| new_url(url, &profile.name, 0, UrlKind::Start, None));
            plan.seeds.extend(seed);
        }
        let selectors = ProfileSelectors::compile(&profile.selectors)
            .map_err(|e| CrawlError::Settings(format!("profile {}: {e}", profile.name)))?;
        plan.sites.insert(
            profile.name.clone(),
            Site {
                profile: profile.clone(),
                selectors,
                max_depth: settings.max_depth.unwrap_or(profile.max_depth),
            },
        );
    }
    Ok(plan)
}

/// The frontier entry of a canonical URL (see [`urls::canonicalize`]) of `site`: `None`
/// for a URL without a host.
pub(super) fn new_url(
    url: Url,
    site: &str,
    depth: u32,
    kind: UrlKind,
    found_on: Option<&Url>,
) -> Option<NewUrl> {
    Some(NewUrl {
        host: urls::host_key(&url)?,
        url,
        site: site.to_string(),
        depth,
        kind,
        found_on: found_on.cloned(),
    })
}

/// `url` made canonical (with the profile's `duplicate_params`), if it is in `site`'s scope.
pub(super) fn in_scope(site: &Site, url: &Url) -> Option<Url> {
    site.profile
        .canonicalize(url)
        .filter(|u| site.profile.allows(u))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Policy, SiteProfile};
    use crate::crawl::OutputMode;
    use crate::warc::Compression;

    fn settings(profiles: Vec<SiteProfile>) -> CrawlSettings {
        CrawlSettings {
            sites: profiles,
            policy: Policy::default(),
            archive_dir: "archive".into(),
            state_path: "state.db".into(),
            shared_state: None,
            max_pages: None,
            max_depth: None,
            max_duration: None,
            compression: Compression::Zstd,
            resolve: Vec::new(),
            output: OutputMode::Quiet,
            render: Default::default(),
        }
    }

    #[test]
    fn feeds_then_start_urls_are_seeded_canonical_at_depth_zero() {
        let mut profile = SiteProfile::generic(&Url::parse("http://news.test:8080/").unwrap());
        profile.feeds = vec![Url::parse("http://news.test:8080/feed/?utm_source=x#top").unwrap()];
        profile.start.push(Url::parse("ftp://news.test/").unwrap());
        let plan = plan(&settings(vec![profile])).unwrap();
        let seeds: Vec<(&str, &str, u32, UrlKind)> = plan
            .seeds
            .iter()
            .map(|s| (s.url.as_str(), s.host.as_str(), s.depth, s.kind))
            .collect();
        assert_eq!(
            seeds,
            vec![
                (
                    "http://news.test:8080/feed/",
                    "news.test:8080",
                    0,
                    UrlKind::Start
                ),
                (
                    "http://news.test:8080/",
                    "news.test:8080",
                    0,
                    UrlKind::Start
                ),
            ],
            "the ftp start URL is not seeded"
        );
        assert!(
            plan.seeds
                .iter()
                .all(|s| s.site == "news.test:8080" && s.found_on.is_none())
        );
        assert_eq!(plan.rechecks.len(), 1);
        assert_eq!(plan.sites["news.test:8080"].max_depth, profile_depth());
    }

    fn profile_depth() -> u32 {
        SiteProfile::generic(&Url::parse("http://x.test/").unwrap()).max_depth
    }

    #[test]
    fn max_depth_of_the_settings_overrides_the_profiles() {
        let profile = SiteProfile::generic(&Url::parse("http://news.test/").unwrap());
        let mut s = settings(vec![profile]);
        s.max_depth = Some(1);
        assert_eq!(plan(&s).unwrap().sites["news.test"].max_depth, 1);
    }

    #[test]
    fn recheck_windows_are_counted_back_from_now() {
        let mut profile = SiteProfile::generic(&Url::parse("http://news.test/").unwrap());
        profile.recheck_articles = Duration::from_secs(7 * 24 * 3600);
        profile.fresh_articles = Duration::from_secs(2 * 24 * 3600);
        let plan = plan(&settings(vec![profile])).unwrap();
        let r = &plan.rechecks[0];
        assert_eq!(r.now - r.captured_before, chrono::Duration::days(7));
        assert_eq!(r.now - r.first_captured_after, chrono::Duration::days(2));
    }
}
