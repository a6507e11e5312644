//! Many-hosts benchmark (run by `scripts/bench.sh`): an in-process HTTP server on loopback
//! answers for H virtual hosts (`h0.bench.test` …, every name resolved to it with
//! `glaneur crawl --resolve`), each an endless small news site; `glaneur crawl` runs on all
//! of them at once, each host limited to R requests per second (burst 1), for S seconds.
//! From the server's own arrival timestamps it prints `key=value` lines: the aggregate
//! rate reached over the steady part of the run divided by the allowed H × R, and the
//! per-host violations (more than R requests in a one-second window of one host).
//!
//! usage: bench_many_hosts [--hosts 200] [--rate 2] [--seconds 30] [--dir DIR]
//!                         [--glaneur target/release/glaneur]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use clap::Parser;

/// Arrival time of every request, by host.
type Hits = Arc<Mutex<HashMap<String, Vec<Instant>>>>;

/// Command line (see the module documentation).
#[derive(Debug, Parser)]
#[command(about = "Many-hosts benchmark: H virtual hosts, each limited to R requests/s")]
struct Args {
    /// Virtual hosts crawled at once.
    #[arg(long, default_value_t = 200)]
    hosts: usize,
    /// Requests per second allowed per host.
    #[arg(long, default_value_t = 2.0)]
    rate: f64,
    /// Duration of the crawl (glaneur's --max-duration), in seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Work folder (emptied first): policy file and archive.
    #[arg(long, default_value = "/tmp/glaneur-bench-hosts")]
    dir: PathBuf,
    /// The glaneur binary to run.
    #[arg(long, default_value = "target/release/glaneur")]
    glaneur: PathBuf,
}

/// Page `n` of a host: about 3 KB of text and links to pages 4n+1 … 4n+4 (an endless site).
fn page(n: u64) -> String {
    let mut body = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page {n}</title></head>\
         <body><nav><a href=\"/\">Accueil</a></nav><article><h1>Article {n}</h1>"
    );
    for p in 0..6 {
        body.push_str(&format!(
            "<p>Paragraphe {p} de l'article {n} : les opérateurs annoncent une nouvelle offre de \
             cloud souverain, selon plusieurs sources proches du dossier.</p>"
        ));
    }
    body.push_str("</article><ul>");
    for k in 1..=4 {
        let m = 4 * n + k;
        body.push_str(&format!("<li><a href=\"/p/{m}/\">Article {m}</a></li>"));
    }
    body.push_str("</ul></body></html>");
    body
}

async fn serve(State(hits): State<Hits>, request: Request) -> Response {
    let at = Instant::now();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    if let Ok(mut hits) = hits.lock() {
        hits.entry(host).or_default().push(at);
    }
    let path = request.uri().path();
    if path == "/robots.txt" {
        return (
            [(header::CONTENT_TYPE, "text/plain")],
            "User-agent: *\nAllow: /\n",
        )
            .into_response();
    }
    let n = if path == "/" {
        Some(0)
    } else {
        path.strip_prefix("/p/")
            .and_then(|p| p.strip_suffix('/'))
            .and_then(|p| p.parse::<u64>().ok())
    };
    match n {
        Some(n) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page(n),
        )
            .into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Args {
        hosts,
        rate,
        seconds,
        dir,
        glaneur,
    } = Args::parse();
    if hosts == 0 || rate.is_nan() || rate <= 0.0 || seconds == 0 {
        return Err("--hosts, --rate and --seconds must be positive".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let hits: Hits = Arc::new(Mutex::new(HashMap::new()));
    let addr: SocketAddr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new().fallback(serve).with_state(Arc::clone(&hits));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok::<_, std::io::Error>(addr)
    })?;

    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "user_agent = \"glaneur-bench/0.1\"\nobey_robots = true\nallow_private_networks = true\n\
             [default]\nrequests_per_second = {rate}\nburst = 1\nmax_concurrent = 2\n"
        ),
    )?;
    let mut command = std::process::Command::new(&glaneur);
    command
        .arg("crawl")
        .arg("--quiet")
        .arg("--json")
        .arg("--policy")
        .arg(&policy)
        .arg("--archive")
        .arg(dir.join("archive"))
        .arg("--max-duration")
        .arg(format!("{seconds}s"));
    for i in 0..hosts {
        let name = format!("h{i}.bench.test");
        command.arg("--resolve").arg(format!("{name}={addr}"));
        command.arg(format!("http://{name}:{}/", addr.port()));
    }
    let started = Instant::now();
    let output = command.output()?;
    let wall = started.elapsed();
    // Exit code 4: stopped by --max-duration, as intended.
    if !matches!(output.status.code(), Some(0) | Some(4)) {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        return Err(format!("glaneur crawl failed: {}", output.status).into());
    }
    std::thread::sleep(Duration::from_millis(200));
    let hits = hits.lock().map_err(|_| "lock")?.clone();
    drop(runtime);

    let all: Vec<Instant> = hits.values().flatten().copied().collect();
    let Some(&first) = all.iter().min() else {
        return Err("no request reached the server".into());
    };
    // Steady part: from 2 s after the first request to 2 s before the stop.
    let from = first + Duration::from_secs(2);
    let span = Duration::from_secs(seconds.saturating_sub(4).max(1));
    let to = from + span;
    let in_span = all.iter().filter(|t| **t >= from && **t < to).count();
    let allowed = hosts as f64 * rate * span.as_secs_f64();
    let window = Duration::from_secs(1);
    let max_in_window = rate.floor().max(1.0) as usize;
    let (mut violations, mut strict_violations, mut worst_gap_ms) = (0usize, 0usize, f64::MAX);
    for times in hits.values() {
        let mut t = times.clone();
        t.sort();
        for w in t.windows(2) {
            worst_gap_ms = worst_gap_ms.min((w[1] - w[0]).as_secs_f64() * 1000.0);
        }
        // More than `rate` requests within one second: a window of max_in_window + 1
        // requests spanning less than a second (10 ms tolerance for timer and
        // scheduling jitter; the strict count is printed too).
        for w in t.windows(max_in_window + 1) {
            let spanned = w[max_in_window] - w[0];
            if spanned + Duration::from_millis(10) < window {
                violations += 1;
            }
            if spanned < window {
                strict_violations += 1;
                if std::env::var_os("BENCH_DEBUG").is_some() {
                    eprintln!(
                        "strict violation: {:?} from the start, span {:?}",
                        w[0] - first,
                        spanned
                    );
                }
            }
        }
    }
    let summary = String::from_utf8_lossy(&output.stdout);
    println!("hosts={hosts}");
    println!("hosts_rate_per_host={rate}");
    println!("hosts_seconds={seconds}");
    println!("hosts_wall_secs={:.1}", wall.as_secs_f64());
    println!("hosts_requests_total={}", all.len());
    println!("hosts_hosts_seen={}", hits.len());
    println!("hosts_requests_in_steady_span={in_span}");
    println!("hosts_steady_span_secs={}", span.as_secs());
    println!(
        "hosts_rate_reached_per_sec={:.1}",
        in_span as f64 / span.as_secs_f64()
    );
    println!("hosts_rate_allowed_per_sec={:.1}", hosts as f64 * rate);
    println!("hosts_rate_ratio={:.4}", in_span as f64 / allowed);
    println!("hosts_violations={violations}");
    println!("hosts_violations_strict={strict_violations}");
    println!("hosts_min_gap_ms={worst_gap_ms:.1}");
    eprintln!("glaneur summary: {}", summary.trim());
    Ok(())
}
