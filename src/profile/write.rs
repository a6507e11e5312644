//! The inferred profile as a commented TOML file, in the format of `seeds/*.toml`: every
//! key explained, the evidence of every choice in a comment.

use std::fmt::Write as _;

use super::Inferred;
use super::selectors::Field;

/// A TOML string: a literal `'…'` when possible (regexes keep their backslashes as
/// written), else a basic string with escapes.
pub fn quote(text: &str) -> String {
    if !text.contains('\'') && !text.contains('\n') && !text.contains('\r') {
        format!("'{text}'")
    } else {
        toml::Value::String(text.to_string()).to_string()
    }
}

/// A double-quoted TOML string.
fn basic(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A value shortened for a comment (one line, at most `max` characters).
pub fn short(text: &str, max: usize) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        line
    } else {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// The profile's text.
pub fn to_toml(p: &Inferred) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Site profile for {}, written by `glaneur profile new` from {} sampled pages\n\
         # ({} of them articles): {} requests in {:.1} s at {} request(s)/s.\n\
         # Every choice below says its evidence; check it, then edit by hand if needed\n\
         # (docs/profiles.md). `glaneur profile check` tells when the site's templates change.\n",
        p.start,
        p.pages,
        p.articles,
        p.requests,
        p.sampling.as_secs_f64(),
        p.rate
    );
    let _ = writeln!(
        out,
        "# Short unique name of the profile; recorded with every queued URL.\nname = {}\n",
        basic(&p.name)
    );
    let _ = writeln!(
        out,
        "# Where the crawl starts (http/https URLs).\nstart = [{}]\n",
        basic(p.start.as_str())
    );
    let _ = writeln!(
        out,
        "# URL prefixes in scope: links outside every prefix are not followed.\nscope = [{}]\n",
        basic(&p.scope)
    );
    write_deny(&mut out, p);
    write_article(&mut out, p);
    let _ = writeln!(
        out,
        "# Links more than this many hops away from a start URL are not followed (two more\n\
         # than the deepest article sampled, at least 4).\nmax_depth = {}\n",
        p.max_depth
    );
    let feeds: Vec<String> = p.feeds.iter().map(|f| basic(f.as_str())).collect();
    let _ = writeln!(
        out,
        "# RSS/Atom feeds the start page announces (comment feeds left out); fetched every run.\nfeeds = [{}]\n",
        feeds.join(", ")
    );
    write_selectors(&mut out, p);
    out
}

fn write_deny(out: &mut String, p: &Inferred) {
    out.push_str(
        "# Regexes matched anywhere in the URL: matching URLs are skipped. One per kind of\n\
         # URL seen among the sampled pages' links (admin, login, search, feeds of comments,\n\
         # print/AMP copies, query parameters that make duplicates).\n",
    );
    if p.deny.is_empty() {
        out.push_str("deny = []\n\n");
        return;
    }
    out.push_str("deny = [\n");
    for (pattern, comment, count) in &p.deny {
        let _ = writeln!(
            out,
            "    {},  # {comment} ({count} link(s) seen)",
            quote(pattern)
        );
    }
    out.push_str("]\n\n");
}

fn write_article(out: &mut String, p: &Inferred) {
    let evidence: Vec<String> = p
        .article_evidence
        .iter()
        .map(|(why, n)| format!("{n} {why}"))
        .collect();
    let _ = writeln!(
        out,
        "# Regex: which URLs are article pages. Generalised from the {} sampled articles\n\
         # ({}); it matches all of them and {} of the {} other pages sampled.",
        p.articles,
        evidence.join(", "),
        p.article_conflicts.len(),
        p.pages - p.articles
    );
    for url in p.article_conflicts.iter().take(5) {
        let _ = writeln!(
            out,
            "# WARNING: it also matches {url}, which did not look like an article: check it."
        );
    }
    match &p.article {
        Some(re) => {
            let _ = writeln!(out, "article = {}\n", quote(re));
        }
        None => out.push_str("# No article found: no regex.\n\n"),
    }
}

fn write_selectors(out: &mut String, p: &Inferred) {
    out.push_str(
        "# CSS selectors for article extraction (\"\" means not set: the generic extractor\n\
         # decides). Each was chosen among candidates built from the elements holding the\n\
         # generic extractor's value (ids and classes, never positions or generated names),\n\
         # as the simplest one that gives that value on the most sampled articles.\n\
         [selectors]\n",
    );
    for field in Field::ALL {
        let Some(choice) = p.selectors.get(&field) else {
            continue;
        };
        match &choice.selector {
            Some(css) => {
                let example = choice
                    .example
                    .as_deref()
                    .map(|e| format!("; e.g. {}", basic(&short(e, 60))))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "# {}: matches {}/{} sampled articles{example}\n{} = {}",
                    field.key(),
                    choice.agree,
                    choice.total,
                    field.key(),
                    basic(css)
                );
            }
            None => {
                let note = choice.note.as_deref().unwrap_or("no stable selector");
                let _ = writeln!(out, "# {}: {note}\n{} = \"\"", field.key(), field.key());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::time::Duration;

    use url::Url;

    use super::*;
    use crate::config::SiteProfile;
    use crate::profile::selectors::FieldChoice;

    #[test]
    fn the_written_profile_loads_with_its_choices() {
        let mut selectors = BTreeMap::new();
        selectors.insert(
            Field::Title,
            FieldChoice {
                selector: Some("h1.entry-title".into()),
                agree: 38,
                total: 40,
                example: Some("Un \"titre\" # avec\tdes signes".into()),
                note: None,
            },
        );
        selectors.insert(
            Field::Category,
            FieldChoice {
                selector: Some("a[rel~='category']".into()),
                agree: 40,
                total: 40,
                example: None,
                note: None,
            },
        );
        selectors.insert(
            Field::Modified,
            FieldChoice {
                note: Some("no stable selector".into()),
                ..FieldChoice::default()
            },
        );
        let start = Url::parse("http://x.test:8080/").expect("url");
        let inferred = Inferred {
            name: "x.test:8080".into(),
            scope: "http://x.test:8080/".into(),
            deny: vec![(r"[?&]share=".into(), "sharing".into(), 3)],
            article: Some(r"^http://x\.test:8080/\d{4}/[^/?#]+/$".into()),
            article_conflicts: Vec::new(),
            max_depth: 5,
            feeds: vec![Url::parse("http://x.test:8080/feed/").expect("url")],
            selectors,
            pages: 40,
            articles: 30,
            article_evidence: BTreeMap::from([("listed in the feed", 30)]),
            requests: 44,
            elapsed: Duration::from_secs(50),
            sampling: Duration::from_secs(45),
            rate: 1.0,
            start,
        };
        let text = to_toml(&inferred);
        assert!(
            text.contains("# title: matches 38/40 sampled articles"),
            "{text}"
        );
        let p = SiteProfile::parse(&text, Path::new("x.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(p.selectors.title.as_deref(), Some("h1.entry-title"));
        assert_eq!(p.selectors.category.as_deref(), Some("a[rel~='category']"));
        assert_eq!(p.selectors.modified, None);
        assert_eq!(p.max_depth, 5);
        assert!(p.is_article(&Url::parse("http://x.test:8080/2024/un-titre/").expect("url")));
        assert!(!p.allows(&Url::parse("http://x.test:8080/a?share=x").expect("url")));
    }
}
