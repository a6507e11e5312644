//! Peer of `scripts/bench.sh`: the Rust `spider` crate crawls a site with 16 concurrent
//! requests, obeying robots.txt, and keeps every page body (appended to one file).
//!
//! usage: spider-peer URL OUT_FILE
//! Prints `pages=N bytes=M lagged=K` on stdout.

use std::io::Write;

use spider::tokio;
use spider::website::Website;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: spider-peer URL OUT_FILE");
        std::process::exit(2);
    }
    let file = match std::fs::File::create(&args[2]) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{}: {e}", args[2]);
            std::process::exit(1);
        }
    };
    let mut website = Website::new(&args[1]);
    website
        .with_concurrency_limit(Some(16))
        .with_respect_robots_txt(true)
        .with_delay(0)
        .with_user_agent(Some("spider-peer/0.1"));
    // A large channel: a page the writer cannot take in time would be dropped (counted).
    let mut rx = website.subscribe(16_384);
    let writer = tokio::spawn(async move {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let (mut pages, mut bytes, mut lagged) = (0u64, 0u64, 0u64);
        loop {
            match rx.recv().await {
                Ok(page) => {
                    let body = page.get_html_bytes_u8();
                    if out.write_all(body).is_err() {
                        eprintln!("write error");
                        std::process::exit(1);
                    }
                    pages += 1;
                    bytes += body.len() as u64;
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => lagged += n,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
        let _ = out.flush();
        (pages, bytes, lagged)
    });
    website.crawl().await;
    website.unsubscribe();
    match writer.await {
        Ok((pages, bytes, lagged)) => println!("pages={pages} bytes={bytes} lagged={lagged}"),
        Err(e) => {
            eprintln!("writer task failed: {e}");
            std::process::exit(1);
        }
    }
}
