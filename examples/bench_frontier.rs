//! Frontier scale benchmark (run by `scripts/bench.sh`): enqueues N URLs spread over H
//! hosts into the SQLite frontier, as a crawl does (batches of links, grouped commits),
//! then dequeues them all (claims of up to 100 URLs per host, as a crawl's host tasks do). Prints `key=value` lines:
//! enqueue and dequeue rates; the peak RSS is measured by the caller (`/usr/bin/time`).
//!
//! usage: bench_frontier [--urls N] [--hosts H] [--db PATH] [--batch B]

use std::time::{Duration, Instant};

use chrono::Utc;
use glaneur::frontier::{Frontier, NewUrl, SqliteFrontier, UrlKind};
use url::Url;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let urls: u64 = arg(&args, "--urls", "10000000").parse()?;
    let hosts: u64 = arg(&args, "--hosts", "100000").parse()?;
    let batch: u64 = arg(&args, "--batch", "1000").parse()?;
    let db = std::path::PathBuf::from(arg(&args, "--db", "/tmp/glaneur-bench-frontier.sqlite"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut frontier = SqliteFrontier::open(&db)?;
    frontier.batch_commits(64, Duration::from_millis(250));

    // Enqueue: URL i goes to host i % hosts, path /section-{i % 97}/article-{i}/ (as links
    // found on pages arrive: hosts interleaved).
    let started = Instant::now();
    let mut added = 0u64;
    let mut chunk = Vec::with_capacity(batch as usize);
    let mut last_report = Instant::now();
    for i in 0..urls {
        let h = i % hosts;
        let host = format!("www.site{h:06}.example");
        let url = Url::parse(&format!(
            "https://{host}/section-{}/2024/article-{i}/",
            i % 97
        ))?;
        chunk.push(NewUrl {
            url,
            host,
            site: format!("site{h}"),
            depth: 1 + (i % 5) as u32,
            kind: if i % 3 == 0 {
                UrlKind::Article
            } else {
                UrlKind::Other
            },
            found_on: None,
        });
        if chunk.len() as u64 == batch || i + 1 == urls {
            added += frontier.add(&chunk)? as u64;
            chunk.clear();
            if last_report.elapsed() > Duration::from_secs(10) {
                last_report = Instant::now();
                eprintln!(
                    "  enqueued {added} ({:.0}/s)",
                    added as f64 / started.elapsed().as_secs_f64()
                );
            }
        }
    }
    frontier.flush()?;
    let enqueue_secs = started.elapsed().as_secs_f64();
    println!("frontier_urls={added}");
    println!("frontier_hosts={hosts}");
    println!("frontier_enqueue_secs={enqueue_secs:.1}");
    println!(
        "frontier_enqueue_per_sec={:.0}",
        added as f64 / enqueue_secs
    );

    // Dequeue: every ready host, up to 100 URLs per claim, each marked fetched.
    let started = Instant::now();
    let mut dequeued = 0u64;
    let now = Utc::now();
    loop {
        let ready = frontier.ready_hosts(now)?;
        if ready.is_empty() {
            break;
        }
        for host in ready {
            loop {
                let claimed = frontier.claim(&host, now, 100)?;
                if claimed.is_empty() {
                    break;
                }
                dequeued += claimed.len() as u64;
            }
        }
        if last_report.elapsed() > Duration::from_secs(10) {
            last_report = Instant::now();
            eprintln!(
                "  dequeued {dequeued} ({:.0}/s)",
                dequeued as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    frontier.flush()?;
    let dequeue_secs = started.elapsed().as_secs_f64();
    println!("frontier_dequeued={dequeued}");
    println!("frontier_dequeue_secs={dequeue_secs:.1}");
    println!(
        "frontier_dequeue_per_sec={:.0}",
        dequeued as f64 / dequeue_secs
    );
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("frontier_db_bytes={size}");
    Ok(())
}
