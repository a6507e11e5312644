//! Generic extraction (no profile) of page classes met on the web at large, each on a
//! hand-written page of `tests/fixtures/extract/` with a trap that must stay refused: a
//! blog theme that ships the article body as a `<script type="text/template">` (read as
//! markup, never run; other templates and skeletons are not read), and relative bylines
//! ("il y a 3 heures") on saved pages whose fetch time is not known (refused then; read
//! against the fetch time when it is known, from the library or `glaneur extract
//! --fetched-at`).

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use glaneur::extract::{Article, PageInput, analyze};
use url::Url;

use super::support::glaneur;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/extract")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture readable")
}

fn fetched() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn article(page: &str, url: &str, fetched_at: DateTime<Utc>) -> Article {
    let u = Url::parse(url).expect("valid URL");
    let input = PageInput {
        url: &u,
        body: page.as_bytes(),
        content_type: Some("text/html; charset=utf-8"),
        fetched_at,
    };
    analyze(&input, None, true).article.expect("article")
}

const BLOG_URL: &str = "https://allotment.blogspot.test/2023/08/saving-tomato-seeds.html";

#[test]
fn a_blog_template_body_is_read_as_markup() {
    let a = article(&read("blogger-template.html"), BLOG_URL, fetched());
    let body = a.body.as_deref().unwrap_or_default();
    assert_eq!(a.methods["body"], "template", "{body}");
    for kept in [
        "Every summer I keep a few",
        "Drying and storing",
        "Label every envelope with the variety",
        "four or five years",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from {body}");
    }
    // The template's markup is cleaned as a page is; other templates and widgets stay out.
    for dropped in [
        "Share on a network",
        "comment template",
        "Post a comment",
        "Planting garlic",
        "<p>",
    ] {
        assert!(!body.contains(dropped), "{dropped:?} in {body}");
    }
    assert_eq!(a.title.as_deref(), Some("Saving tomato seeds"));
    assert_eq!(a.published_day.as_deref(), Some("2023-08-14"));
}

#[test]
fn a_template_beside_shown_text_or_a_skeleton_is_not_read() {
    let page = read("blogger-template.html");
    // The container shows the body itself: the template beside it is not the article.
    let shown = page.replace(
        r#"itemprop="articleBody">"#,
        r#"itemprop="articleBody"><p>The article as the page shows it, long enough to be a paragraph of the text, with commas, and a full stop at its end.</p><p>A second shown paragraph, again with enough words to be read as the text of the article, not as furniture.</p>"#,
    );
    let a = article(&shown, BLOG_URL, fetched());
    let body = a.body.as_deref().unwrap_or_default();
    assert_ne!(a.methods["body"], "template", "{body}");
    assert!(body.contains("The article as the page shows it"), "{body}");
    assert!(!body.contains("Every summer"), "{body}");
    // A skeleton to be filled in by the page's script is no article.
    let start = page
        .find(r#"<script type="text/template">"#)
        .expect("template");
    let end = start + page[start..].find("</script>").expect("end of template");
    let skeleton = format!(
        "{}<script type=\"text/template\"><h2>{{{{ post.title }}}}</h2><p>{{{{ post.body }}}} and some words around the placeholder so that it reads as a sentence.</p>{}",
        &page[..start],
        &page[end..]
    );
    let a = article(&skeleton, BLOG_URL, fetched());
    let body = a.body.as_deref().unwrap_or_default();
    assert!(!body.contains("{{"), "{body}");
    assert_ne!(a.methods.get("body").map(String::as_str), Some("template"));
}

#[test]
fn relative_bylines_need_a_known_fetch_time() {
    let page = read("relative-byline.html");
    let url = "https://echo.test/faits-divers/crue-de-la-riviere";
    let known = article(&page, url, fetched());
    assert_eq!(known.published_day.as_deref(), Some("2024-03-10"));
    assert_eq!(known.methods["published"], "relative");
    // A saved page, fetched at a time not known: "il y a 3 heures" says nothing.
    let unknown = article(&page, url, PageInput::UNKNOWN_FETCH_TIME);
    assert_eq!(unknown.published, None, "{:?}", unknown.methods);
    assert!(
        unknown
            .body
            .as_deref()
            .is_some_and(|b| b.contains("la digue reconstruite")),
        "{:?}",
        unknown.body
    );
    // Absolute dates are still read (checked against the present, not the unknown time).
    let blog = article(
        &read("blogger-template.html"),
        BLOG_URL,
        PageInput::UNKNOWN_FETCH_TIME,
    );
    assert_eq!(blog.published_day.as_deref(), Some("2023-08-14"));
}

#[test]
fn extract_on_a_saved_file_reads_relative_dates_only_with_fetched_at() {
    let file = fixture("relative-byline.html");
    let file = file.to_str().expect("UTF-8 path");
    let url = "--url=https://echo.test/faits-divers/crue-de-la-riviere";
    let published = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON article");
        v["published_day"].as_str().map(str::to_string)
    };
    assert_eq!(published(glaneur(&["extract", file, url])), None);
    assert_eq!(
        published(glaneur(&[
            "extract",
            file,
            url,
            "--fetched-at",
            "2024-03-10T12:00:00Z"
        ]))
        .as_deref(),
        Some("2024-03-10")
    );
    let bad = glaneur(&["extract", file, "--fetched-at", "yesterday"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--fetched-at"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[test]
fn teaser_lists_beside_the_article_and_carousels_are_left_out_its_continuation_is_not() {
    let a = article(
        &read("teasers-carousel.html"),
        "https://ledger.test/news/ferry-landing-closed",
        fetched(),
    );
    let body = a.body.as_deref().unwrap_or_default();
    for kept in [
        "The county board voted on Tuesday",
        "the state's transportation department",
        // After an advertisement, in a sibling block: still the article.
        "Residents at the meeting asked",
        "before the first frost",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from {body}");
    }
    for dropped in [
        "Another story from the county",
        "A short summary of that other story",
        "1 of 3",
        "FILE - The ferry landing",
        "Sponsored",
    ] {
        assert!(!body.contains(dropped), "{dropped:?} in {body}");
    }
}

/// The generic body of a fixture page, whatever its method.
fn generic_body(name: &str, url: &str) -> String {
    article(&read(name), url, fetched())
        .body
        .unwrap_or_default()
}

#[test]
fn affiliate_notices_appeals_round_ups_and_credits_leave_the_text() {
    let body = generic_body(
        "body-noise-review.html",
        "https://comparateur.test/cuisine/essai-vapeur-3000",
    );
    for kept in [
        "Nous avons utilisé la Vapeur 3000",
        // Sentences that mention a source or a commission are the text's.
        "Selon la source interne",
        "La commission européenne",
        "Le couvercle s'ouvre",
        "Verdict : une bouilloire rapide",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from {body}");
    }
    for dropped in [
        "liens affiliés",
        "Lire aussi",
        "Les théières en fonte",
        "À lire aussi",
        "grille-pain",
        "Détartrer",
        "Pourquoi nous soutenir",
        "abonnez-vous",
        "Source : tests",
        "Crédit photo",
    ] {
        assert!(!body.contains(dropped), "{dropped:?} in {body}");
    }
}

#[test]
fn a_live_blog_keeps_its_entries_not_its_header_appeal_or_links() {
    let body = generic_body(
        "body-noise-liveblog.html",
        "https://rheinbote.test/region/hochwasser-live",
    );
    assert!(body.starts_with("Der Pegel in Köln"), "{body}");
    for kept in [
        "Feuerwehr meldet",
        "Quelle der Pegeldaten",
        "Schifffahrt ist",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from {body}");
    }
    for dropped in [
        "Liveticker",
        "Aktualisieren",
        "Neueste zuerst",
        "Unterstützen Sie",
        "Spende",
        "Mehr zum Thema",
        "Hochwasser 2021",
        "Fotos: Stadt Köln",
    ] {
        assert!(!body.contains(dropped), "{dropped:?} in {body}");
    }
}
