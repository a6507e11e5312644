//! `profile check`: fetches a few recent articles of a profile's site and tells, per
//! field, whether the selectors still match and give plausible values; a broken field
//! comes with a suggested replacement, inferred from the same pages.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use scraper::{Html, Selector};
use serde::Serialize;
use url::Url;

use crate::config::{Policy, SiteProfile};
use crate::extract::{self, Article, ProfileSelectors};

use super::ProfileError;
use super::classify::{self, ReadPage};
use super::sample::{self, Sampler};
use super::selectors::{self, Field};

/// Words a body needs to be plausible.
const MIN_BODY_WORDS: usize = 50;

/// The verdict on one field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldHealth {
    /// The `[selectors]` key.
    pub field: &'static str,
    /// The profile's selector.
    pub selector: String,
    /// Articles where it matched and gave a plausible value.
    pub ok: usize,
    /// Articles where it was expected to (for `modified` and `related`: those where the
    /// generic extractor finds one).
    pub checked: usize,
    /// Broken: plausible on fewer than half of the articles checked.
    pub broken: bool,
    /// What went wrong, in words (for a broken field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// A replacement inferred from the same articles, if one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The verdict on one profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileHealth {
    /// The profile's name.
    pub name: String,
    /// Its file.
    pub file: String,
    /// Article URLs checked.
    pub articles: Vec<String>,
    /// One entry per field with a selector.
    pub fields: Vec<FieldHealth>,
    /// No field broken (and some article checked).
    pub healthy: bool,
    /// HTTP requests made.
    pub requests: u32,
}

/// The articles to check: feed entries, else sitemap entries, else links of the start
/// pages, those the profile calls articles first.
async fn article_urls(sampler: &mut Sampler, profile: &SiteProfile) -> Vec<Url> {
    let mut urls = sample::recent_urls(sampler, &profile.feeds).await;
    if urls.iter().all(|u| !profile.is_article(u)) {
        for start in &profile.start {
            if let Some((final_url, body, content_type)) = sampler.get(start).await {
                let page = extract::PageInput {
                    url: &final_url,
                    body: &body,
                    content_type: content_type.as_deref(),
                    fetched_at: chrono::Utc::now(),
                };
                urls.extend(
                    extract::analyze(&page, None, false)
                        .links
                        .into_iter()
                        .map(|l| l.url),
                );
            }
        }
    }
    let mut articles: Vec<Url> = Vec::new();
    for url in urls {
        if profile.allows(&url)
            && (profile.article.is_none() || profile.is_article(&url))
            && !articles.contains(&url)
        {
            articles.push(url);
        }
    }
    articles
}

/// Is this field's profile value plausible on this page?
fn plausible(field: Field, generic: &Article, found: &Article, matched: bool) -> bool {
    let used = found.methods.get(method_key(field)).map(String::as_str) == Some("selector");
    if !matched || !used {
        return false;
    }
    let want = selectors::value(generic, field);
    let got = selectors::value(found, field);
    match (field, got) {
        (_, None) => false,
        (Field::Title, Some(t)) => !t.is_empty() && want.is_none_or(|w| w == t),
        (Field::Body, Some(b)) => b.split_whitespace().count() >= MIN_BODY_WORDS,
        (Field::Published | Field::Modified, Some(d)) => extract::parse_date(&d).is_some(),
        (Field::Category, Some(c)) => want.is_none_or(|w| selectors::agrees(field, &w, &c)),
        (Field::Author | Field::Related, Some(v)) => !v.is_empty(),
    }
}

fn method_key(field: Field) -> &'static str {
    match field {
        Field::Category => "categories",
        Field::Author => "authors",
        other => other.key(),
    }
}

/// Checks `profile` on up to `pages` recent articles.
pub async fn check(
    profile: &SiteProfile,
    policy: &Policy,
    resolve: &[(String, SocketAddr)],
    pages: usize,
) -> Result<ProfileHealth, ProfileError> {
    let mut sampler = Sampler::new(policy, resolve)?;
    let Some(first) = profile.start.first() else {
        return Err(ProfileError::NoArticles(0));
    };
    sampler.load_robots(first).await;
    let urls = article_urls(&mut sampler, profile).await;
    let fetched = sample::fetch_pages(&mut sampler, &urls, pages).await;
    let compiled = ProfileSelectors::compile(&profile.selectors).map_err(ProfileError::Fetch)?;
    let read: Vec<ReadPage> = fetched.into_iter().map(classify::read_page).collect();
    let mut tallies: BTreeMap<Field, (usize, usize)> = BTreeMap::new();
    for page in &read {
        let Some(found) =
            extract::analyze(&classify::input(&page.page), Some(&compiled), true).article
        else {
            continue;
        };
        let doc = Html::parse_document(&String::from_utf8_lossy(&page.page.body));
        for field in Field::ALL {
            let Some(css) = field.get(&profile.selectors) else {
                continue;
            };
            let optional = matches!(field, Field::Modified | Field::Related);
            if optional && selectors::value(&page.article, field).is_none() {
                continue;
            }
            let matched = Selector::parse(css).is_ok_and(|s| doc.select(&s).next().is_some());
            let tally = tallies.entry(field).or_default();
            tally.1 += 1;
            if plausible(field, &page.article, &found, matched) {
                tally.0 += 1;
            }
        }
    }
    let broken_any = tallies.values().any(|(ok, n)| ok * 2 < *n);
    // Replacements, inferred from the same articles, only when something broke.
    let suggestions = if broken_any {
        let articles: Vec<&ReadPage> = read.iter().collect();
        selectors::infer(&articles)
    } else {
        BTreeMap::new()
    };
    let mut fields = Vec::new();
    for field in Field::ALL {
        let Some(css) = field.get(&profile.selectors) else {
            continue;
        };
        let (ok, checked) = tallies.get(&field).copied().unwrap_or((0, 0));
        let broken = ok * 2 < checked;
        let problem = broken.then(|| {
            format!(
                "selector \"{css}\" gives no plausible {} on {} of {checked} recent articles",
                field.key(),
                checked - ok
            )
        });
        let suggestion = if broken {
            suggestions
                .get(&field)
                .and_then(|c| c.selector.clone())
                .filter(|s| s != css)
        } else {
            None
        };
        fields.push(FieldHealth {
            field: field.key(),
            selector: css.to_string(),
            ok,
            checked,
            broken,
            problem,
            suggestion,
        });
    }
    Ok(ProfileHealth {
        name: profile.name.clone(),
        file: profile
            .source
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        healthy: !read.is_empty() && fields.iter().all(|f| !f.broken),
        articles: read.iter().map(|p| p.page.url.to_string()).collect(),
        fields,
        requests: sampler.requests(),
    })
}
