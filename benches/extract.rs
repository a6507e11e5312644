//! Extraction speed: pages per second and MB/s on one core, over saved pages.
//! `cargo bench --bench extract -- DIR [DIR...] [MAX_PAGES]` (default DIR: /tmp/site-eval,
//! the generated test site; every `*.html` / `*.html.gz` under the folders). Each page is
//! read once into memory, then analysed (`analyze` with `want_article = true`: decoding,
//! parsing, links and article) in rounds for at least 3 s. Reports pages per second of
//! wall time and, on Linux, of the thread's CPU time (what one core does, whatever else
//! runs on the machine: compare with `scripts/traf_speed.py`, which measures the same way).

use std::path::PathBuf;
use std::time::Instant;

use chrono::Utc;
use glaneur::extract::batch::{file_url, list_pages, read_page};
use glaneur::extract::{PageInput, analyze};

/// CPU time of the current thread in nanoseconds (Linux), if available.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let max: usize = args
        .last()
        .and_then(|s| s.parse().ok())
        .unwrap_or(usize::MAX);
    let mut dirs: Vec<PathBuf> = args
        .iter()
        .filter(|a| a.parse::<usize>().is_err())
        .map(PathBuf::from)
        .collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from("/tmp/site-eval"));
    }
    let mut paths = Vec::new();
    for dir in &dirs {
        match list_pages(dir) {
            Ok(p) => paths.extend(p),
            Err(e) => {
                eprintln!("bench extract: {e} (generate the test site first)");
                return;
            }
        }
    }
    let pages: Vec<(url::Url, Vec<u8>)> = paths
        .iter()
        .take(max)
        .filter_map(|p| read_page(p).ok().map(|b| (file_url(p), b)))
        .collect();
    if pages.is_empty() {
        let shown: Vec<_> = dirs.iter().map(|d| d.display().to_string()).collect();
        eprintln!("bench extract: no pages under {}", shown.join(", "));
        return;
    }
    let bytes: usize = pages.iter().map(|p| p.1.len()).sum();
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
    // Warm-up, then timed rounds until at least 3 s.
    std::hint::black_box(run());
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    let mut rounds = 0usize;
    while rounds == 0 || start.elapsed().as_secs_f64() < 3.0 {
        std::hint::black_box(run());
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
        _ => None,
    };
    let n = (pages.len() * rounds) as f64;
    let label = dirs
        .iter()
        .map(|d| {
            d.file_name()
                .map_or_else(|| d.display().to_string(), |f| f.to_string_lossy().into())
        })
        .collect::<Vec<_>>()
        .join("+");
    let cpu_part = cpu.map_or(String::new(), |c| {
        format!(
            "{:.0} pages/s of CPU time ({:.1} MB/s), ",
            n / c,
            (bytes * rounds) as f64 / c / 1e6
        )
    });
    println!(
        "extract {label}: {} pages x {} rounds, one core: {cpu_part}{:.0} pages/s wall ({:.1} MB/s), {:.1} KB/page",
        pages.len(),
        rounds,
        n / secs,
        (bytes * rounds) as f64 / secs / 1e6,
        bytes as f64 / pages.len() as f64 / 1e3
    );
}
