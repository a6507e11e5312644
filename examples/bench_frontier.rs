//! Frontier scale benchmark (run by `scripts/bench.sh`): enqueues N URLs spread over H
//! hosts into the SQLite frontier, as a crawl does (batches of links, grouped commits),
//! then dequeues them all (claims of up to 100 URLs per host, as a crawl's host tasks
//! do; with `--finish`, each claimed URL is also marked fetched). Prints `key=value`
//! lines: enqueue and dequeue rates; the peak RSS is measured by the caller
//! (`/usr/bin/time`).
//!
//! Each `add` call is the new links of one fetched page (`--batch`, 50 by default): a
//! crawl follows links within a site's scope, so they are URLs of the page's host, and
//! successive pages come from hosts all over the frontier (call c goes to host
//! c × 7919 mod H). `--interleave` instead spreads every call over `--batch` different
//! hosts (URL i on host i mod H): a worst case no crawl produces, kept for comparison.
//!
//! usage: bench_frontier [--urls N] [--hosts H] [--db PATH] [--batch B] [--interleave]
//!                       [--finish]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use glaneur::frontier::{Frontier, NewUrl, Outcome, SqliteFrontier, UrlKind};
use url::Url;

/// Command line (see the module documentation).
#[derive(Debug, Parser)]
#[command(about = "Frontier scale benchmark: enqueue and dequeue N URLs over H hosts")]
struct Args {
    /// URLs enqueued (then dequeued).
    #[arg(long, default_value_t = 10_000_000)]
    urls: u64,
    /// Hosts the URLs are spread over.
    #[arg(long, default_value_t = 100_000)]
    hosts: u64,
    /// URLs per `add` call (the new links of one page, in a crawl).
    #[arg(long, default_value_t = 50)]
    batch: u64,
    /// Spread each call over `--batch` hosts instead of one (worst case).
    #[arg(long)]
    interleave: bool,
    /// The SQLite file (removed first).
    #[arg(long, default_value = "/tmp/glaneur-bench-frontier.sqlite")]
    db: PathBuf,
    /// Also mark every claimed URL fetched (one `finish` per URL, grouped commits).
    #[arg(long)]
    finish: bool,
}

/// Counts the items of one phase and prints its progress every 10 seconds on stderr.
struct Meter {
    phase: &'static str,
    started: Instant,
    last_report: Instant,
    done: u64,
}

impl Meter {
    fn start(phase: &'static str) -> Meter {
        let now = Instant::now();
        Meter {
            phase,
            started: now,
            last_report: now,
            done: 0,
        }
    }

    /// Counts `n` more items.
    fn add(&mut self, n: u64) {
        self.done += n;
        if self.last_report.elapsed() > Duration::from_secs(10) {
            self.last_report = Instant::now();
            eprintln!("  {} {} ({:.0}/s)", self.phase, self.done, self.rate());
        }
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.started.elapsed().as_secs_f64().max(1e-9)
    }

    /// Prints `frontier_<phase>_secs` and `frontier_<phase>_per_sec`; returns the count.
    fn finish(self) -> u64 {
        println!(
            "frontier_{}_secs={:.1}",
            self.phase,
            self.started.elapsed().as_secs_f64()
        );
        println!("frontier_{}_per_sec={:.0}", self.phase, self.rate());
        self.done
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.hosts == 0 || args.batch == 0 {
        return Err("--hosts and --batch must be positive".into());
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", args.db.display()));
    }
    let mut frontier = SqliteFrontier::open(&args.db)?;
    frontier.batch_commits(256, Duration::from_millis(250));

    // Enqueue: URL i is /section-{i % 97}/2024/article-{i}/ on the host of its call (or,
    // interleaved, on host i % hosts).
    let mut meter = Meter::start("enqueue");
    let mut chunk = Vec::with_capacity(usize::try_from(args.batch)?);
    for i in 0..args.urls {
        let h = if args.interleave {
            i % args.hosts
        } else {
            (i / args.batch).wrapping_mul(7919) % args.hosts
        };
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
        if chunk.len() as u64 == args.batch || i + 1 == args.urls {
            let added = frontier.add(&chunk)? as u64;
            chunk.clear();
            meter.add(added);
        }
    }
    frontier.flush()?;
    let added = meter.finish();
    println!("frontier_urls={added}");
    println!("frontier_hosts={}", args.hosts);
    println!("frontier_batch={}", args.batch);
    println!("frontier_interleave={}", args.interleave);

    // Dequeue: every ready host, up to 100 URLs per claim.
    let mut meter = Meter::start("dequeue");
    let now = Utc::now();
    let fetched = Outcome::Fetched { status: 200 };
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
                if args.finish {
                    for url in &claimed {
                        frontier.finish(url.id, &fetched)?;
                    }
                }
                meter.add(claimed.len() as u64);
            }
        }
    }
    frontier.flush()?;
    let dequeued = meter.finish();
    println!("frontier_dequeued={dequeued}");
    println!("frontier_dequeue_finish={}", args.finish);
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", args.db.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("frontier_db_bytes={size}");
    if dequeued != added {
        return Err(format!("{added} URLs enqueued but {dequeued} dequeued").into());
    }
    Ok(())
}
