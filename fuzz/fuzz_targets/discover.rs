//! Fuzz target: feeds, sitemaps (plain or gzipped) and feed links in HTML: any bytes are
//! detected, parsed and scanned without panicking, within the documented bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(base) = url::Url::parse("https://www.example.fr/news/sitemap.xml") else {
        return;
    };
    let _ = glaneur::discover::looks_like_feed_or_sitemap(Some("application/xml"), &base, data);
    if let Ok(found) = glaneur::discover::parse(data, &base) {
        assert!(found.entries.len() <= glaneur::discover::MAX_ENTRIES);
        for entry in &found.entries {
            assert!(matches!(entry.url.scheme(), "http" | "https"), "{}", entry.url);
        }
    }
    let _ = glaneur::discover::feed_links(&String::from_utf8_lossy(data), &base);
    let _ = glaneur::discover::parse_date(&String::from_utf8_lossy(data));
});
