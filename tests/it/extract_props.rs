//! Property tests: `analyze` never panics, whatever the bytes, the Content-Type or the
//! markup, and what it returns is well formed.

use chrono::{TimeZone, Utc};
use glaneur::config::SelectorConfig;
use glaneur::extract::{PageInput, ProfileSelectors, analyze, parse_date};
use proptest::prelude::*;
use url::Url;

fn run(body: &[u8], ct: Option<&str>, with_profile: bool) {
    let u = Url::parse("https://www.example.fr/2016/11/28/slug-1234.html").expect("valid URL");
    let sel = ProfileSelectors::compile(&SelectorConfig {
        title: Some("h1".into()),
        body: Some("div.c, article".into()),
        category: Some("a[rel~=category]".into()),
        published: Some("time".into()),
        modified: Some(".updated".into()),
        author: Some(".author".into()),
        related: Some(".rel".into()),
    })
    .expect("valid selectors");
    let page = PageInput {
        url: &u,
        body,
        content_type: ct,
        fetched_at: Utc
            .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
            .single()
            .expect("date"),
    };
    let r = analyze(&page, with_profile.then_some(&sel), true);
    for l in &r.links {
        assert!(matches!(l.url.scheme(), "http" | "https"));
        assert!(l.url.fragment().is_none());
    }
    let mut seen = std::collections::HashSet::new();
    assert!(r.links.iter().all(|l| seen.insert(l.url.clone())));
    if let Some(a) = r.article {
        assert!(serde_json::to_string(&a).is_ok());
        for d in [&a.published, &a.modified].into_iter().flatten() {
            assert!(parse_date(d).is_some(), "{d}");
        }
    }
}

/// Markup fragments that exercise the parser and the extractor.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<div class=\"content\">".to_string()),
        Just("</div>".to_string()),
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<article>".to_string()),
        Just("<h1>Titre</h1>".to_string()),
        Just("<strong>À lire aussi :</strong>".to_string()),
        Just("<ul class=rel><li><a href=\"/a\">a</a></li></ul>".to_string()),
        Just("<a href=\"javascript:x\">".to_string()),
        Just("<a href=\"//other.test/x#y\">".to_string()),
        Just("<base href=\"http://b.test/d/\">".to_string()),
        Just("<time datetime=\"2016-11-28T09:15:00+01:00\">28 novembre 2016</time>".to_string()),
        Just("<time>il y a 3 jours</time>".to_string()),
        Just("<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":[1,{\"name\":2}],\"datePublished\":\"2016-13-45\"}</script>".to_string()),
        Just("<script>var a = '</div><!--';</script>".to_string()),
        Just("<meta charset=\"iso-8859-1\">".to_string()),
        Just("<!-- comment".to_string()),
        Just("<svg><title>x</title>".to_string()),
        Just("<table><tr><td>cell".to_string()),
        "[a-zA-Zéàç0-9 ,.:;!?<>/=\"'&#\\-]{0,40}".prop_map(|s| s),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..2048), html_ct in any::<bool>(), profile in any::<bool>()) {
        run(&body, html_ct.then_some("text/html"), profile);
        let mut with_start = b"<html>".to_vec();
        with_start.extend_from_slice(&body);
        run(&with_start, None, profile);
    }

    #[test]
    fn random_markup_never_panics(parts in proptest::collection::vec(fragment(), 0..80), profile in any::<bool>()) {
        let page = format!("<!DOCTYPE html><html><body>{}", parts.concat());
        run(page.as_bytes(), Some("text/html; charset=utf-8"), profile);
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(&page);
        run(&latin1, Some("text/html"), profile);
    }

    #[test]
    fn random_strings_never_panic_date_parsing(s in "\\PC{0,60}") {
        let _ = parse_date(&s);
    }
}
