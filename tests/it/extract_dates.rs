//! The publication date on hand-written pages, one per pattern family met on the web at
//! large (`tests/fixtures/dates/cases.tsv`: file, family, URL, expected day or `none`):
//! meta tag variants, microdata, `<time pubdate>` and `<abbr title>`, JSON-LD shapes, the
//! date in the URL, dates in class-marked elements in several languages and numeric
//! forms, `data-*` attributes, labelled dates in longer lines, the title, and the traps
//! (copyright lines, sidebars, comments, future dates, weaker evidence than a meta tag).
//! Prints the count per family, then fails on any miss.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use glaneur::extract::{PageInput, analyze};
use url::Url;

#[test]
fn publication_dates_of_every_pattern_family() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dates");
    let cases = std::fs::read_to_string(dir.join("cases.tsv")).expect("cases.tsv readable");
    let fetched_at = Utc
        .with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
        .single()
        .expect("valid date");
    let mut per_family: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, family, url, expected] = fields[..] else {
            panic!("malformed case line: {line:?}");
        };
        let body = std::fs::read(dir.join(file)).expect("fixture readable");
        let url = Url::parse(url).expect("valid URL in cases.tsv");
        let page = PageInput {
            url: &url,
            body: &body,
            content_type: Some("text/html; charset=utf-8"),
            fetched_at,
        };
        let article = analyze(&page, None, true).article.expect("an article");
        let got = article
            .published_day
            .clone()
            .unwrap_or_else(|| "none".into());
        let entry = per_family.entry(family).or_default();
        entry.1 += 1;
        if got == expected {
            entry.0 += 1;
        } else {
            let how = article
                .methods
                .get("published")
                .cloned()
                .unwrap_or_default();
            misses.push(format!(
                "{file} ({family}): expected {expected}, got {got} ({how})"
            ));
        }
    }
    assert!(
        per_family.values().map(|c| c.1).sum::<usize>() >= 30,
        "too few cases"
    );
    for (family, (ok, all)) in &per_family {
        println!("{family:<12} {ok}/{all}");
    }
    assert!(misses.is_empty(), "missed dates:\n{}", misses.join("\n"));
}
