//! Fuzz target: any robots.txt body parses and answers without panicking.
#![no_main]

use glaneur::politeness::RobotsRules;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(base) = url::Url::parse("https://www.example.fr/") else {
        return;
    };
    let rules = RobotsRules::parse(data, &base);
    for path in ["/", "/wp-admin/", "/search/?q=a", "/2016/11/x-1234.html", "/%E9t%C3%A9"] {
        if let Ok(url) = base.join(path) {
            let _ = rules.is_allowed("glaneur", &url);
        }
    }
    let _ = rules.crawl_delay("glaneur");
    let _ = rules.sitemaps();
});
