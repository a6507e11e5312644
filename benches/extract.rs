//! Extraction speed: pages per second and MB/s on one core, over saved pages.
//! `cargo bench --bench extract -- DIR [MAX_PAGES]` (default DIR: /tmp/site-eval, the
//! generated test site; every `*.html` under it). Each page is read once (`analyze`
//! with `want_article = true`: decoding, parsing, links and article).

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use glaneur::extract::batch::{file_url, list_pages, read_page};
use glaneur::extract::{PageInput, analyze};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = PathBuf::from(args.first().map_or("/tmp/site-eval", String::as_str));
    let max: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let paths = match list_pages(&dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("bench extract: {e} (generate the test site first)");
            return;
        }
    };
    let pages: Vec<(url::Url, Vec<u8>)> = paths
        .iter()
        .take(max)
        .filter_map(|p| read_page(p).ok().map(|b| (file_url(p), b)))
        .collect();
    if pages.is_empty() {
        eprintln!("bench extract: no pages under {}", dir.display());
        return;
    }
    let bytes: usize = pages.iter().map(|p| p.1.len()).sum();
    // Warm-up, then timed rounds until at least 3 s.
    let run = || {
        let mut found = 0usize;
        for (url, body) in &pages {
            let page = PageInput {
                url,
                body,
                content_type: Some("text/html"),
                fetched_at: Utc::now(),
            };
            let a = analyze(&page, None, true);
            found += a.links.len() + a.article.map_or(0, |a| a.body.map_or(0, |b| b.len()));
        }
        found
    };
    std::hint::black_box(run());
    let start = Instant::now();
    let mut rounds = 0usize;
    while rounds == 0 || start.elapsed().as_secs_f64() < 3.0 {
        std::hint::black_box(run());
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (pages.len() * rounds) as f64;
    println!(
        "extract: {} pages x {} rounds, {:.0} pages/s, {:.1} MB/s (one core, {:.1} KB/page)",
        pages.len(),
        rounds,
        n / secs,
        (bytes * rounds) as f64 / secs / 1e6,
        bytes as f64 / pages.len() as f64 / 1e3
    );
}
