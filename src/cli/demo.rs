//! `glaneur demo`: crawl the embedded demo news site, then browse the archive.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;

use glaneur::demo::{self, DemoServer, DemoSite};

use super::crawl::{crawl_with_metrics, exit_code, output_mode, print_summary, watch_signals};
use super::{ArchiveArg, Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur demo`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
The demo site (\"L'Écho numérique\", http://echo-numerique.test/) is generated in memory
from a seed and served on a free loopback port for the crawl only: articles with
categories, authors, dates and \"À lire aussi\" blocks, paginated listings, robots.txt,
a sitemap, RSS and Atom feeds. Nothing leaves the machine.

Run it again: the crawl is incremental (unchanged pages are recorded as revisits).

EXAMPLES:
    glaneur demo                         crawl 60 articles into archive/demo, then browse
    glaneur demo --no-serve              crawl only; then e.g. glaneur verify archive/demo
    glaneur demo --articles 500 --archive /tmp/demo --bind 127.0.0.1:9000")]
pub struct DemoArgs {
    /// Articles of the demo site (at most 10000).
    #[arg(long, value_name = "N", default_value_t = demo::DEFAULT_ARTICLES)]
    pub articles: u32,

    /// Seed of the demo site: the same seed gives the same pages.
    #[arg(long, value_name = "N", default_value_t = demo::DEFAULT_SEED)]
    pub seed: u64,

    /// Directory of the WARC files (and of the crawl state).
    #[arg(long, value_name = "DIR", default_value = "archive/demo")]
    pub archive: PathBuf,

    /// Address of the web interface started after the crawl (as `glaneur serve --bind`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Stop after the crawl instead of serving the archive.
    #[arg(long)]
    pub no_serve: bool,

    /// Requests per second to the demo site.
    #[arg(long, value_name = "N", default_value_t = 50.0)]
    pub rate: f64,

    /// Serve Prometheus metrics of the crawl at http://ADDR/metrics (as `glaneur crawl
    /// --metrics`).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,

    /// Keep the metrics endpoint up this long after the crawl ends.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          default_value = "0s", requires = "metrics")]
    pub metrics_linger: std::time::Duration,

    /// Print the crawl's JSON summary on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `glaneur demo`.
pub fn run(args: &DemoArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let printer = printer.with_json(args.json);
    if !(args.rate.is_finite() && args.rate > 0.0 && args.rate <= 1000.0) {
        return Err(UsageError(format!(
            "--rate {}: give more than 0, at most 1000",
            args.rate
        ))
        .into());
    }
    if args.articles == 0 || args.articles > demo::MAX_ARTICLES {
        return Err(UsageError(format!(
            "--articles {}: give 1 to {}",
            args.articles,
            demo::MAX_ARTICLES
        ))
        .into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(async {
        let site = Arc::new(DemoSite::generate(
            args.seed,
            args.articles,
            &demo::base_url(),
        ));
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let server = DemoServer::start(Arc::clone(&site), loopback)
            .await
            .context("cannot start the demo site on loopback")?;
        printer.info(format_args!(
            "demo site: {} ({} articles, {} resources) served at http://{}/; crawling into {}",
            demo::base_url(),
            site.articles.len(),
            site.pages.len(),
            server.addr(),
            args.archive.display()
        ));
        let mut settings = demo::crawl_settings(&args.archive, server.addr(), output_mode(printer));
        settings.policy.default.requests_per_second = args.rate;
        let stop = CancellationToken::new();
        tokio::spawn(watch_signals(stop.clone(), printer));
        let summary =
            crawl_with_metrics(settings, stop, args.metrics, args.metrics_linger, printer).await;
        server.stop();
        summary
    })?;
    drop(runtime);
    print_summary(&summary, printer)?;
    let code = exit_code(&summary);
    if code != ExitCode::Success || args.no_serve {
        if code == ExitCode::Success {
            printer.info(format_args!(
                "next: glaneur serve --archive {0}   (or glaneur articles --archive {0})",
                args.archive.display()
            ));
        }
        return Ok(code);
    }
    super::serve::run(
        &super::serve::ServeArgs {
            archive: ArchiveArg {
                dir: args.archive.clone(),
            },
            bind: args.bind,
            state: None,
            refresh: 0,
            no_verify: false,
            allow_host: Vec::new(),
        },
        printer.with_json(false),
    )
}
