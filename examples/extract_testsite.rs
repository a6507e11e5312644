//! Evaluation helper: `glaneur extract --batch` with the test site's reference selectors
//! built in code (profile parsing belongs to the config module).
//! `cargo run --release --example extract_testsite -- DIR OUT [JOBS]`

use std::path::PathBuf;

use glaneur::config::SelectorConfig;
use glaneur::extract::ProfileSelectors;
use glaneur::extract::batch::run_batch;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: extract_testsite DIR OUT [JOBS]");
        std::process::exit(2);
    }
    let config = SelectorConfig {
        title: Some("h1.entry-title".into()),
        body: Some("div.entry-content".into()),
        category: Some("div.cat-links a[rel=\"category tag\"]".into()),
        published: Some("time.entry-date.published".into()),
        modified: Some("time.updated".into()),
        author: Some("a[rel=author]".into()),
        related: None,
    };
    let sel = match ProfileSelectors::compile(&config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let jobs = args.get(2).and_then(|j| j.parse().ok());
    match run_batch(
        &PathBuf::from(&args[0]),
        &PathBuf::from(&args[1]),
        Some(&sel),
        jobs,
    ) {
        Ok(stats) => {
            for e in &stats.errors {
                eprintln!("{e}");
            }
            eprintln!(
                "extracted {} pages in {:.2}s ({:.0} pages/s) with {} threads",
                stats.pages,
                stats.seconds,
                stats.pages as f64 / stats.seconds.max(1e-9),
                stats.threads
            );
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
