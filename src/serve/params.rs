//! Query parameters, checked: only known names, each at most once, every error a clear
//! message for a 400 answer; and the article filter of the list and the search.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::archive::catalog::ArticleEntry;
use crate::archive::filter::ArticleFacts;
use crate::archive::{DateBound, StatusFilter};

/// A query string, checked: only known names, each at most once; empty values are absent.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Parses `raw` (the query string), allowing only `allowed` names.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, String> {
        let mut values = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(if allowed.is_empty() {
                    format!("unknown parameter `{k}`: this route takes none")
                } else {
                    format!("unknown parameter `{k}` (expected: {})", allowed.join(", "))
                });
            }
            if values.insert(k.to_string(), v.trim().to_string()).is_some() {
                return Err(format!("parameter `{k}` given twice"));
            }
        }
        values.retain(|_, v| !v.is_empty());
        Ok(Params { values })
    }

    /// A value, if given and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A required value.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("parameter `{name}` is required"))
    }

    /// A day (`YYYY-MM-DD`).
    pub fn day(&self, name: &str) -> Result<Option<NaiveDate>, String> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| format!("`{name}`: {v:?} is not a date (expected YYYY-MM-DD)"))
            })
            .transpose()
    }

    /// A positive integer, at most `max`.
    pub fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, String> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(format!(
                    "`{name}`: {v:?} is not a whole number from 1 to {max}"
                )),
            },
        }
    }

    /// A timestamp (4 to 14 digits, `YYYYMMDDhhmmss`).
    pub fn timestamp(&self, name: &str) -> Result<Option<DateTime<Utc>>, String> {
        self.get(name)
            .map(|v| {
                crate::read::parse_timestamp(v).ok_or_else(|| {
                    format!("`{name}`: {v:?} is not a timestamp (expected YYYYMMDDhhmmss)")
                })
            })
            .transpose()
    }
}

/// The filters of the article list and of the search, as the query gives them (days):
/// matching is [`crate::archive::Filter`]'s, with `from` and `to` whole days, and every
/// article (current or deleted) unless `status` is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// Site (host without `www.`; its subdomains match too).
    pub site: Option<String>,
    /// Category (case-insensitive).
    pub category: Option<String>,
    /// Published on or after this day.
    pub from: Option<NaiveDate>,
    /// Published on or before this day.
    pub to: Option<NaiveDate>,
    /// Current articles, deleted ones, or all (the default).
    pub status: StatusFilter,
    /// The archive model's filter for these values.
    #[serde(skip)]
    model: crate::archive::Filter,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            site: None,
            category: None,
            from: None,
            to: None,
            status: StatusFilter::All,
            model: crate::archive::Filter {
                status: StatusFilter::All,
                ..crate::archive::Filter::default()
            },
        }
    }
}

impl Filter {
    /// The filter parameters of a query.
    pub fn from_params(p: &Params) -> Result<Filter, String> {
        let site = p.get("site").map(|s| {
            let s = s.to_ascii_lowercase();
            s.strip_prefix("www.").unwrap_or(&s).to_string()
        });
        let category = p.get("category").map(str::to_string);
        let (from, to) = (p.day("from")?, p.day("to")?);
        let status = match p.get("status") {
            None => StatusFilter::All,
            Some(v) => StatusFilter::parse(v)
                .ok_or_else(|| format!("`status`: {v:?} is not one of current, gone, all"))?,
        };
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            return Err(format!("`from` ({a}) is after `to` ({b})"));
        }
        let model = crate::archive::Filter {
            site: site.clone(),
            category: category.clone(),
            from: from.map(DateBound::Day),
            to: to.map(DateBound::Day),
            words: Vec::new(),
            status,
        };
        Ok(Filter {
            site,
            category,
            from,
            to,
            status,
            model,
        })
    }

    /// The first instant included.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.model.since()
    }

    /// The first instant excluded (the day after `to`).
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.model.until()
    }

    /// True when `a` passes.
    pub fn matches(&self, a: &ArticleEntry) -> bool {
        self.model.admits(a.status)
            && self.model.matches(&ArticleFacts {
                url: &a.url,
                categories: &a.categories,
                published: a.published_at,
                text: None,
            })
    }

    /// The filter as query-string pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut v = Vec::new();
        if let Some(s) = &self.site {
            v.push(("site", s.clone()));
        }
        if let Some(c) = &self.category {
            v.push(("category", c.clone()));
        }
        if let Some(d) = self.from {
            v.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            v.push(("to", d.to_string()));
        }
        if self.status != StatusFilter::All {
            v.push(("status", self.status.as_str().to_string()));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_checked() {
        let p = Params::parse(
            Some("site=www.A.test&from=2024-05-01&page=2&q="),
            &["site", "from", "page", "q"],
        )
        .expect("ok");
        assert_eq!(p.get("q"), None);
        assert_eq!(p.number("page", 1, 10), Ok(2));
        let f = Filter::from_params(&p).expect("filter");
        assert_eq!(f.site.as_deref(), Some("a.test"));
        assert!(
            Params::parse(Some("sitee=x"), &["site"])
                .unwrap_err()
                .contains("unknown parameter `sitee`")
        );
        assert!(
            Params::parse(Some("a=1&a=2"), &["a"])
                .unwrap_err()
                .contains("twice")
        );
        let p = Params::parse(
            Some("from=2024-13-01&page=0&at=20x"),
            &["from", "page", "at"],
        )
        .expect("ok");
        assert!(p.day("from").unwrap_err().contains("not a date"));
        assert!(
            p.number("page", 1, 10)
                .unwrap_err()
                .contains("whole number")
        );
        assert!(p.timestamp("at").is_err());
        let p = Params::parse(Some("from=2024-05-02&to=2024-05-01"), &["from", "to"]).expect("ok");
        assert!(Filter::from_params(&p).unwrap_err().contains("after"));
    }
}
