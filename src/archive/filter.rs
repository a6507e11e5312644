//! The one article filter, used by `glaneur articles` and by `glaneur serve` (list and
//! search): site, category, publication dates, words, and whether deleted articles count
//! ([`StatusFilter`]: current articles only unless asked).
//!
//! Dates have one meaning everywhere: `from` is the first instant included and `to` the
//! last; a day given alone (`YYYY-MM-DD`) stands for the whole day (from its midnight
//! UTC for `from`, to its last instant for `to`). An article without a readable
//! publication date never passes a date bound.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::history::ArticleStatus;
use super::site_of;

/// Parses an article date (`published`/`modified`): RFC 3339, a date-time without zone
/// (taken as UTC), or a date (midnight UTC).
pub fn parse_article_date(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(v) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(n) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(n.and_utc());
    }
    NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}

/// A date bound as a user gives it: a day (`YYYY-MM-DD`) or an instant (RFC 3339, or 4
/// to 14 digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    /// A whole day (UTC).
    Day(NaiveDate),
    /// An instant.
    Instant(DateTime<Utc>),
}

impl DateBound {
    /// Parses a bound; `None` when it is neither a day nor an instant.
    pub fn parse(v: &str) -> Option<DateBound> {
        let v = v.trim();
        if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            return Some(DateBound::Day(d));
        }
        crate::read::parse_user_date(v).map(DateBound::Instant)
    }

    /// The first instant it covers.
    pub fn first(self) -> DateTime<Utc> {
        match self {
            DateBound::Day(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            DateBound::Instant(t) => t,
        }
    }

    /// The first instant after it: the next midnight for a day, the instant itself
    /// plus one second otherwise (instants are to the second).
    pub fn end(self) -> DateTime<Utc> {
        match self {
            DateBound::Day(d) => (d + Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc(),
            DateBound::Instant(t) => t + Duration::seconds(1),
        }
    }
}

/// Which articles pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Host name (a subdomain matches too; a leading `www.` is ignored).
    pub site: Option<String>,
    /// Category (any of the article's categories, trimmed, case-insensitive).
    pub category: Option<String>,
    /// Published at or after this bound's first instant.
    pub from: Option<DateBound>,
    /// Published at or before this bound's last instant.
    pub to: Option<DateBound>,
    /// Words that must all appear in the title or body (case-insensitive).
    pub words: Vec<String>,
    /// Current articles only (the default), deleted ones only, or both.
    pub status: StatusFilter,
}

/// Which articles count by their status ([`ArticleStatus`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Articles still online as last captured.
    #[default]
    Current,
    /// Deleted articles only.
    Gone,
    /// Both.
    All,
}

impl StatusFilter {
    /// Parses `current`, `gone` or `all`.
    pub fn parse(v: &str) -> Option<StatusFilter> {
        match v {
            "current" => Some(StatusFilter::Current),
            "gone" => Some(StatusFilter::Gone),
            "all" => Some(StatusFilter::All),
            _ => None,
        }
    }

    /// `current`, `gone` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Current => "current",
            StatusFilter::Gone => "gone",
            StatusFilter::All => "all",
        }
    }
}

/// What a filter looks at in an article.
#[derive(Debug, Clone, Copy)]
pub struct ArticleFacts<'a> {
    /// The page URL.
    pub url: &'a str,
    /// Its categories.
    pub categories: &'a [String],
    /// Its publication date, parsed.
    pub published: Option<DateTime<Utc>>,
    /// Title and body, when known (words are only checked then).
    pub text: Option<(&'a str, &'a str)>,
}

impl Filter {
    /// The first instant included.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.from.map(DateBound::first)
    }

    /// The first instant excluded after the range.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.to.map(DateBound::end)
    }

    /// The site asked for, normalised as [`site_of`] does.
    pub fn site_key(&self) -> Option<String> {
        self.site.as_deref().map(|s| {
            let s = s.trim().to_ascii_lowercase();
            s.strip_prefix("www.").unwrap_or(&s).to_string()
        })
    }

    /// True when the article passes every criterion but the words (checked by
    /// [`Filter::matches_words`] once its text is read).
    pub fn matches(&self, a: &ArticleFacts) -> bool {
        if let Some(site) = self.site_key() {
            let host = site_of(a.url);
            if host != site && !host.ends_with(&format!(".{site}")) {
                return false;
            }
        }
        if let Some(c) = &self.category {
            let c = c.trim().to_lowercase();
            if !a.categories.iter().any(|x| x.trim().to_lowercase() == c) {
                return false;
            }
        }
        if !self.matches_dates(a.published) {
            return false;
        }
        match a.text {
            Some((title, body)) => self.matches_words(title, body),
            None => true,
        }
    }

    /// True when the dates are given by the filter (`from` or `to`).
    pub fn has_dates(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }

    /// True when a publication date passes `from` and `to` (none passes a bound). The
    /// date is the article's final one: its page's, else its WordPress post JSON's
    /// ([`super::wp_posts::RestIndex::published`]).
    pub fn matches_dates(&self, published: Option<DateTime<Utc>>) -> bool {
        if !self.has_dates() {
            return true;
        }
        let Some(p) = published else {
            return false;
        };
        !(self.since().is_some_and(|s| p < s) || self.until().is_some_and(|u| p >= u))
    }

    /// This filter without its dates (checked later by [`Filter::matches_dates`]).
    pub fn without_dates(&self) -> Filter {
        Filter {
            from: None,
            to: None,
            ..self.clone()
        }
    }

    /// True when an article of this status passes.
    pub fn admits(&self, status: ArticleStatus) -> bool {
        match self.status {
            StatusFilter::All => true,
            StatusFilter::Current => status == ArticleStatus::Current,
            StatusFilter::Gone => status == ArticleStatus::Gone,
        }
    }

    /// True when every word is in the title or the body.
    pub fn matches_words(&self, title: &str, body: &str) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let text = format!("{title}\n{body}").to_lowercase();
        self.words.iter().all(|w| text.contains(&w.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_site_category_dates_and_words() {
        let cats = vec!["Cloud".to_string()];
        let a = ArticleFacts {
            url: "https://www.lemonde.fr/a",
            categories: &cats,
            published: parse_article_date("2024-05-03T09:15:00+02:00"),
            text: Some(("Cloud news", "Le nuage souverain arrive.")),
        };
        assert!(Filter::default().matches(&a));
        let f = |f: Filter| f.matches(&a);
        let day = |s: &str| DateBound::parse(s);
        assert!(f(Filter {
            site: Some("lemonde.fr".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            site: Some("monde.fr".into()),
            ..Default::default()
        }));
        assert!(f(Filter {
            category: Some(" cloud".into()),
            ..Default::default()
        }));
        assert!(!f(Filter {
            category: Some("IA".into()),
            ..Default::default()
        }));
        assert!(f(Filter {
            from: day("2024-05-03"),
            ..Default::default()
        }));
        assert!(!f(Filter {
            from: day("2024-05-04"),
            ..Default::default()
        }));
        // `to` includes its whole day.
        assert!(f(Filter {
            to: day("2024-05-03"),
            ..Default::default()
        }));
        assert!(!f(Filter {
            to: day("2024-05-02"),
            ..Default::default()
        }));
        // An instant `to` includes that second.
        assert!(f(Filter {
            to: day("2024-05-03T07:15:00Z"),
            ..Default::default()
        }));
        assert!(!f(Filter {
            to: day("2024-05-03T07:14:59Z"),
            ..Default::default()
        }));
        assert!(f(Filter {
            words: vec!["NUAGE".into(), "news".into()],
            ..Default::default()
        }));
        assert!(!f(Filter {
            words: vec!["nuage".into(), "pluie".into()],
            ..Default::default()
        }));
        // Without its dates, a filter lets an undated article through; the dates are
        // then checked on the final date.
        let dated = Filter {
            from: day("2024-05-03"),
            words: vec!["nuage".into()],
            ..Default::default()
        };
        let undated = ArticleFacts {
            published: None,
            ..a
        };
        assert!(!dated.matches(&undated) && dated.without_dates().matches(&undated));
        assert!(dated.has_dates() && !dated.without_dates().has_dates());
        assert!(!dated.matches_dates(None));
        assert!(dated.matches_dates(parse_article_date("2024-05-03T00:00:00Z")));
        assert!(!dated.matches_dates(parse_article_date("2024-05-02T23:59:59Z")));
        assert!(Filter::default().matches_dates(None));
        assert_eq!(site_of("https://www.Example.org/a"), "example.org");
        let f = Filter::default();
        assert!(f.admits(ArticleStatus::Current) && !f.admits(ArticleStatus::Gone));
        let f = Filter {
            status: StatusFilter::All,
            ..Filter::default()
        };
        assert!(f.admits(ArticleStatus::Gone));
    }
}
