//! Fuzz target: `analyze` must never panic, whatever the bytes and Content-Type.
//! `cargo +nightly fuzz run analyze` from the repository root.
#![no_main]

use chrono::{TimeZone, Utc};
use glaneur::extract::{PageInput, analyze};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(url) = url::Url::parse("https://www.example.fr/2016/11/28/article-1234.html") else {
        return;
    };
    let (ct, body) = match data.split_first() {
        Some((b, rest)) if b % 3 == 0 => (Some("text/html; charset=iso-8859-1"), rest),
        Some((b, rest)) if b % 3 == 1 => (None, rest),
        Some((_, rest)) => (Some("text/html"), rest),
        None => (None, data),
    };
    let page = PageInput {
        url: &url,
        body,
        content_type: ct,
        fetched_at: Utc
            .timestamp_opt(1_700_000_000, 0)
            .single()
            .unwrap_or_else(Utc::now),
    };
    let a = analyze(&page, None, true);
    if let Some(article) = a.article {
        let _ = serde_json::to_string(&article);
    }
});
