//! `glaneur crawl`: arguments, settings resolution, and the run.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use tokio_util::sync::CancellationToken;
use url::Url;

use glaneur::config::{Policy, SiteProfile, load_profiles};
use glaneur::crawl::{
    self, Counters, CrawlSettings, CrawlSummary, OutputMode, StopReason, progress::human_bytes,
};
use glaneur::frontier::{PostgresOptions, default_worker_name, is_postgres_url, valid_worker_name};
use glaneur::metrics::CrawlMetrics;
use glaneur::render::RenderMode;
use glaneur::warc::{Compression, Dictionary, DictionarySetting};

use super::printer::Verbosity;
use super::{ArchiveArg, Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur crawl`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
EXAMPLES:
    glaneur crawl                                  crawl every profile in seeds/
    glaneur crawl https://www.example.org/         crawl one site with the generic profile
    glaneur crawl --seeds seeds/silicon.fr.toml --max-pages 500 --max-duration 30m
    glaneur crawl --state postgres://crawler@db/news --worker box1-a
                                                   one of several workers sharing a frontier

Run the same command again after Ctrl-C or a crash: the crawl resumes where it stopped.
Run it again after it completed: an incremental run re-fetches start pages, listings and
feeds, re-checks articles per the profiles' recheck_articles / fresh_articles with
conditional requests, and records unchanged pages as WARC revisit records.

EXIT CODES:
    0  the crawl completed (or reached --max-pages); per-page HTTP errors are recorded, not fatal
    1  fatal error (archive or state unwritable, ...)
    2  bad usage or configuration
    3  another run holds the lock of the state file (<state>.lock), or, with a PostgreSQL
       state, another live worker has the same --worker name
    4  stopped early by a signal or --max-duration; the state is saved, run again to resume
    5  nothing fetched: no start URL could be fetched at all (host unknown or unreachable,
       or a private address refused); --json says stop_reason \"nothing-fetched\"")]
pub struct CrawlArgs {
    /// URLs to crawl with a generic profile (scope: the URL's host). When given, seeds/ is
    /// not read unless --seeds is given too.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,

    /// Site profiles: files or directories of *.toml [default: seeds/]
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub seeds: Vec<PathBuf>,

    /// Politeness policy file.
    #[arg(long, value_name = "FILE", default_value = "robots-policy.toml")]
    pub policy: PathBuf,

    /// Directory of the WARC files.
    #[command(flatten)]
    pub archive: ArchiveArg,

    /// The crawl state (frontier): a SQLite file, or a postgres://user@host/db URL shared
    /// by several workers [default: the policy's `state`, else <archive>/state.sqlite]
    #[arg(long, value_name = "PATH|URL")]
    pub state: Option<PathBuf>,

    /// With a PostgreSQL state: this worker's name, unique among live workers; it is in
    /// the names of its WARC files [default: <hostname>-<pid>]
    #[arg(long, value_name = "NAME")]
    pub worker: Option<String>,

    /// With a PostgreSQL state: how long a dead worker's claimed URLs stay with it before
    /// other workers fetch them (live workers renew their leases every quarter of it).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          default_value = "30s")]
    pub lease: Duration,

    /// Stop after this many pages (robots.txt not counted).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,

    /// Follow links at most this many hops from the start URLs (overrides the profiles).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,

    /// Stop after this long, e.g. 90s, 30m, 2h (state saved; exit code 4).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub max_duration: Option<Duration>,

    /// WARC compression: one zstd frame or one gzip member per record.
    #[arg(long, value_enum, default_value_t = Compression::Zstd)]
    pub compression: Compression,

    /// zstd dictionary of the WARC files: `auto` trains one on the first records of the
    /// crawl (each new file then starts with it, IIPC WARC-zstd), `off` writes plain
    /// frames (readable by `zstd -d`), or the path of a dictionary from `glaneur dict train`.
    /// [default: the policy's `warc_dictionary`, else auto]
    #[arg(long, value_name = "auto|off|FILE")]
    pub dict: Option<String>,

    /// Resolve HOST to ADDR instead of using DNS (ADDR is an IP or IP:PORT); repeatable.
    /// Useful to crawl a local copy of a site under its real name.
    #[arg(long, value_name = "HOST=ADDR")]
    pub resolve: Vec<String>,

    /// Print a JSON summary on stdout at the end (--quiet: only errors, no progress
    /// display; --verbose: log every fetch).
    #[arg(long)]
    pub json: bool,

    /// User-Agent of every request, with a way to reach you, e.g. "my-archive/1.0
    /// (+mailto:me@example.org)" [default: the policy's `user_agent`]
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,

    /// Requests per second per host, for every host (overrides the policy file's
    /// `requests_per_second`), e.g. 0.5 for one request every two seconds.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,

    /// Requests in flight per host, for every host (overrides the policy file's
    /// `max_concurrent`).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,

    /// Allow addresses on private networks (loopback, RFC 1918, link-local): for sites on
    /// this machine or an intranet (overrides the policy file's `allow_private_networks`).
    #[arg(long)]
    pub allow_private_networks: bool,

    /// Serve Prometheus metrics of the crawl at http://ADDR/metrics while it runs
    /// (pages, bytes, responses by status class, errors by kind, queue length, rate waits,
    /// …), e.g. 127.0.0.1:9898.
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,

    /// Keep the metrics endpoint up this long after the crawl ends (`glaneur_up` 0), so
    /// that a last scrape sees the final counts, e.g. 5s.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          default_value = "0s", requires = "metrics")]
    pub metrics_linger: Duration,

    /// Only check: read the policy and the profiles, then try every start URL (DNS,
    /// address policy, TCP connection) and report each problem with its file and line;
    /// crawl nothing. Exit code 0 if all is well, 2 otherwise. Without --check the same
    /// start-URL check runs before every crawl and its problems are printed as warnings.
    #[arg(long)]
    pub check: bool,

    /// Render pages in a headless Chromium (every request they make goes through
    /// glaneur's politeness and archive): never, auto (pages built by script), always, or
    /// a regex of the URLs to render [default: each profile's `render`, else never].
    #[arg(long, value_name = "never|auto|always|REGEX", value_parser = parse_render_mode)]
    pub render: Option<String>,

    /// Pages rendered at once (tabs of the browser).
    #[arg(long, value_name = "N", default_value = "2",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub render_tabs: u16,

    /// Pages that may wait for a tab; when that many wait, hosts whose pages may be
    /// rendered start no new fetch until a tab is free.
    #[arg(long, value_name = "N", default_value = "8",
          value_parser = clap::value_parser!(u16).range(0..=1024))]
    pub render_queue: u16,

    /// Longest time to render one page (loading, scrolling, network idle); a page still
    /// busy then is captured as it is.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          default_value = "20s")]
    pub render_timeout: Duration,
}

/// `--render`: a mode or a regex of URLs (checked here, kept as text: see
/// [`render_mode`]).
fn parse_render_mode(text: &str) -> Result<String, String> {
    render_mode(text).map(|_| text.to_string())
}

/// The mode `--render` names.
fn render_mode(text: &str) -> Result<RenderMode, String> {
    RenderMode::parse(text).map_err(|e| {
        format!(
            "expected never, auto, always or a regex of URLs ({})",
            e.to_string().lines().last().unwrap_or("")
        )
    })
}

/// The crawl's output mode for the printer's verbosity.
pub fn output_mode(printer: Printer) -> OutputMode {
    match printer.verbosity() {
        Verbosity::Quiet => OutputMode::Quiet,
        Verbosity::Verbose => OutputMode::Verbose,
        Verbosity::Normal => OutputMode::Normal,
    }
}

/// Resolves the arguments and configuration files into crawl settings.
pub fn settings(args: &CrawlArgs, printer: Printer) -> anyhow::Result<CrawlSettings> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    let mut policy = if args.policy.exists() {
        Policy::load(&args.policy).map_err(|e| usage(e.to_string()))?
    } else if args.policy.as_os_str() == "robots-policy.toml" {
        tracing::info!("no robots-policy.toml here: using the built-in politeness defaults");
        Policy::default()
    } else {
        return Err(usage(format!(
            "{}: no such policy file; give the path of an existing file, or leave --policy out to use robots-policy.toml or the built-in defaults",
            args.policy.display()
        )));
    };

    let mut sites: Vec<SiteProfile> = if !args.seeds.is_empty() {
        for path in &args.seeds {
            if !path.exists() {
                return Err(usage(format!(
                    "{}: no such file or directory",
                    path.display()
                )));
            }
        }
        load_profiles(&args.seeds).map_err(|e| usage(e.to_string()))?
    } else if args.urls.is_empty() {
        let dir = PathBuf::from("seeds");
        if !dir.is_dir() {
            return Err(usage(
                "no URL given and no seeds/ directory here: give a URL or --seeds PATH".into(),
            ));
        }
        load_profiles(&[dir]).map_err(|e| usage(e.to_string()))?
    } else {
        Vec::new()
    };

    apply_overrides(&mut policy, args).map_err(usage)?;

    for raw in &args.urls {
        if !raw.contains("://") {
            return Err(usage(format!(
                "{raw}: a start URL needs a scheme; did you mean http://{raw} (or https://{raw})?"
            )));
        }
        let url = Url::parse(raw).map_err(|e| usage(format!("{raw}: not a valid URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(usage(format!(
                "{raw}: only http and https URLs can be crawled"
            )));
        }
        if let Some(site) = sites.iter_mut().find(|s| s.allows(&url)) {
            if !site.start.contains(&url) {
                site.start.push(url);
            }
        } else {
            let mut generic = SiteProfile::generic(&url);
            while sites.iter().any(|s| s.name == generic.name) {
                generic.name.push('_');
            }
            sites.push(generic);
        }
    }
    if sites.is_empty() {
        bail!(UsageError(
            "no site profile found in the seeds given and no URL".into()
        ));
    }

    if let Some(dict) = &args.dict {
        policy.warc_dictionary = dict
            .parse()
            .map_err(|m: String| usage(format!("--dict: {m}")))?;
    }
    if let DictionarySetting::File(path) = &policy.warc_dictionary {
        Dictionary::load(path).map_err(|e| usage(format!("dictionary: {e}")))?;
    }

    let resolve = args
        .resolve
        .iter()
        .map(|r| parse_resolve(r).map_err(usage))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let state: Option<String> = match &args.state {
        Some(path) => Some(path.to_string_lossy().into_owned()),
        None => policy.state.clone(),
    };
    let shared_state = shared_state(args, state.as_deref())?;
    Ok(CrawlSettings {
        sites,
        policy,
        state_path: match (&state, &shared_state) {
            (Some(path), None) => PathBuf::from(path),
            _ => args.archive.dir.join("state.sqlite"),
        },
        shared_state,
        archive_dir: args.archive.dir.clone(),
        max_pages: args.max_pages,
        max_depth: args.max_depth,
        max_duration: args.max_duration,
        compression: args.compression,
        resolve,
        output: output_mode(printer),
        render: glaneur::render::RenderSettings {
            mode: args
                .render
                .as_deref()
                .map(render_mode)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--render: {e}"))?,
            tabs: usize::from(args.render_tabs),
            queue: usize::from(args.render_queue),
            page_timeout: args.render_timeout,
            chromium: None,
        },
    })
}

/// The PostgreSQL options when `state` is a postgres:// URL (checked with the worker name
/// and lease), else `None` (and no `--worker`).
fn shared_state(args: &CrawlArgs, state: Option<&str>) -> anyhow::Result<Option<PostgresOptions>> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    Ok(match state.filter(|s| is_postgres_url(s)) {
        Some(url) => {
            url.parse::<postgres::Config>()
                .map_err(|e| usage(format!("--state: not a valid PostgreSQL URL ({e})")))?;
            let worker = args.worker.clone().unwrap_or_else(default_worker_name);
            if !valid_worker_name(&worker) {
                return Err(usage(format!(
                    "--worker {worker:?}: use 1 to 64 letters, digits, '.', '_' or '-' (not first)"
                )));
            }
            if args.lease < Duration::from_millis(200) {
                return Err(usage("--lease must be at least 200ms".into()));
            }
            Some(PostgresOptions {
                url: url.to_string(),
                worker,
                lease: args.lease,
            })
        }
        None => {
            if args.worker.is_some() {
                return Err(usage(
                    "--worker needs a PostgreSQL state (--state postgres://…): a SQLite state has one run at a time".into(),
                ));
            }
            None
        }
    })
}

/// The command-line politeness options, over the policy file (every host).
fn apply_overrides(policy: &mut Policy, args: &CrawlArgs) -> Result<(), String> {
    if let Some(agent) = &args.user_agent {
        if agent.trim().is_empty() || agent.chars().any(|c| c.is_control()) {
            return Err("--user-agent: give a non-empty line of text".into());
        }
        policy.user_agent = agent.trim().to_string();
    }
    if let Some(rate) = args.rate {
        if !(rate.is_finite() && rate > 0.0 && rate <= 1000.0) {
            return Err(format!(
                "--rate {rate}: give requests per second per host, more than 0 and at most 1000"
            ));
        }
        policy.default.requests_per_second = rate;
        for host in policy.hosts.values_mut() {
            host.requests_per_second = rate;
        }
    }
    if let Some(n) = args.concurrency {
        if !(1..=64).contains(&n) {
            return Err(format!(
                "--concurrency {n}: give 1 to 64 requests in flight per host"
            ));
        }
        policy.default.max_concurrent = n;
        for host in policy.hosts.values_mut() {
            host.max_concurrent = n;
        }
    }
    if args.allow_private_networks {
        policy.allow_private_networks = true;
    }
    Ok(())
}

/// The placeholder contact of the default User-Agent.
const PLACEHOLDER_CONTACT: &str = "+https://example.org/contact";

/// Warns when the User-Agent still has the placeholder contact and a start URL is not on
/// this machine: site operators need a way to reach whoever crawls them.
fn warn_placeholder_contact(settings: &CrawlSettings, printer: Printer) {
    if !settings.policy.user_agent.contains(PLACEHOLDER_CONTACT) {
        return;
    }
    let remote = settings.sites.iter().flat_map(|s| &s.start).find(|url| {
        let host = url.host_str().unwrap_or("").trim_matches(['[', ']']);
        let resolved_local = settings
            .resolve
            .iter()
            .any(|(name, addr)| name == host && addr.ip().is_loopback());
        let local = host == "localhost"
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            || resolved_local;
        !local
    });
    if let Some(url) = remote {
        printer.warn(format_args!(
            "the User-Agent \"{}\" still has the placeholder contact {PLACEHOLDER_CONTACT}: the operators of {} cannot reach you; give yours with --user-agent \"name/1.0 (+mailto:you@example.org)\" or user_agent in the policy file",
            settings.policy.user_agent,
            url.host_str().unwrap_or("the site")
        ));
    }
}

pub(crate) fn parse_resolve(value: &str) -> Result<(String, SocketAddr), String> {
    let (host, addr) = value
        .split_once('=')
        .ok_or_else(|| format!("--resolve {value}: expected HOST=ADDR"))?;
    let addr = addr
        .parse::<SocketAddr>()
        .or_else(|_| addr.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
        .map_err(|_| format!("--resolve {value}: {addr} is not an IP address or IP:PORT"))?;
    Ok((host.to_ascii_lowercase(), addr))
}

/// Runs `glaneur crawl`.
pub fn run(args: &CrawlArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let printer = printer.with_json(args.json);
    let settings = settings(args, printer)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    if !args.check {
        warn_placeholder_contact(&settings, printer);
    }
    if let Some(code) = runtime.block_on(preflight(&settings, args.check, printer)) {
        return Ok(code);
    }
    let summary = runtime.block_on(async {
        let stop = CancellationToken::new();
        tokio::spawn(watch_signals(stop.clone(), printer));
        crawl_with_metrics(settings, stop, args.metrics, args.metrics_linger, printer).await
    })?;
    print_summary(&summary, printer)?;
    Ok(exit_code(&summary))
}

/// Runs the crawl; with `metrics`, serves its counters at `/metrics` meanwhile (and for
/// `linger` after it ends).
pub(crate) async fn crawl_with_metrics(
    settings: CrawlSettings,
    stop: CancellationToken,
    metrics: Option<SocketAddr>,
    linger: Duration,
    printer: Printer,
) -> anyhow::Result<CrawlSummary> {
    let counters = Arc::new(Counters::default());
    let watched = Arc::new(CrawlMetrics::new(Arc::clone(&counters)));
    let endpoint = CancellationToken::new();
    if let Some(addr) = metrics {
        if !addr.ip().is_loopback() {
            printer.warn(format_args!(
                "--metrics {addr} is not a loopback address: anyone who can reach it sees the crawl's metrics"
            ));
        }
        let bound = glaneur::metrics::serve(Arc::clone(&watched), addr, endpoint.clone())
            .await
            .map_err(|e| UsageError(format!("--metrics {addr}: cannot listen there ({e})")))?;
        printer.info(format_args!("metrics at http://{bound}/metrics"));
    }
    let summary = crawl::run_observed(settings, stop, counters).await;
    watched.running.store(false, Ordering::Relaxed);
    if metrics.is_some() && !linger.is_zero() {
        tokio::time::sleep(linger).await;
    }
    endpoint.cancel();
    Ok(summary?)
}

/// True when a run that ran to its end fetched no page at all and failed on some: the
/// sites could not be reached (a scheduler must not take it for a success).
pub(crate) fn nothing_fetched(summary: &CrawlSummary) -> bool {
    summary.stop_reason == StopReason::Completed
        && summary.pages == 0
        && (summary.failed > 0 || summary.errors > 0 || summary.refused_private > 0)
}

/// The exit code of a finished crawl.
pub(crate) fn exit_code(summary: &CrawlSummary) -> ExitCode {
    if nothing_fetched(summary) {
        return ExitCode::NothingFetched;
    }
    match summary.stop_reason {
        StopReason::Completed | StopReason::MaxPages => ExitCode::Success,
        StopReason::MaxDuration | StopReason::Interrupted => ExitCode::Stopped,
        StopReason::Failed => ExitCode::Fatal,
    }
}

/// Tries every start URL before crawling (see `--check`). With `check`, reports and returns
/// the exit code; otherwise prints each problem as a warning and lets the crawl go on
/// (the other sites are crawled; the unreachable URL is retried and recorded as failed).
///
/// When no start URL at all can be reached, nothing is crawled: exit code 5 ("nothing
/// fetched"), with the JSON summary's `stop_reason` `nothing-fetched` under `json`.
async fn preflight(settings: &CrawlSettings, check: bool, printer: Printer) -> Option<ExitCode> {
    let timeout = settings
        .policy
        .default
        .connect_timeout
        .min(Duration::from_secs(5));
    let problems = glaneur::config::check_start_urls(
        &settings.sites,
        settings.policy.allow_private_networks,
        &settings.resolve,
        timeout,
    )
    .await;
    for problem in &problems {
        if check {
            printer.error(problem);
        } else {
            printer.warn(problem);
        }
    }
    let urls: usize = settings.sites.iter().map(|s| s.start.len()).sum();
    if !check {
        if urls > 0 && problems.len() == urls && !state_has_other_work(settings) {
            return Some(report_unreachable(&problems, printer));
        }
        return None;
    }
    if !problems.is_empty() {
        return Some(ExitCode::Usage);
    }
    printer.info(format_args!(
        "configuration OK: {} site profile(s), {urls} start URL(s) reachable",
        settings.sites.len()
    ));
    Some(ExitCode::Success)
}

/// Whether the crawl may have work besides the start URLs, or must report something else
/// first: a shared (PostgreSQL) state, where other workers queue URLs, or a SQLite state
/// or archive folder whose lock another run holds (exit code 3), or a SQLite state that an
/// interrupted run left with URLs to fetch. Then the crawl runs even when no start URL can
/// be reached (and still ends with exit code 5 if it fetches nothing).
fn state_has_other_work(settings: &CrawlSettings) -> bool {
    if settings.shared_state.is_some() {
        return true;
    }
    let lock = crawl::StateLock::path_for(&settings.state_path);
    let state_dir_exists = lock.parent().is_some_and(|dir| dir.exists());
    if !state_dir_exists && !settings.archive_dir.exists() {
        return false; // no archive yet: no other run, nothing pending
    }
    // Another writer holds the state or the archive folder: the crawl reports it (exit 3).
    let lock = if settings.archive_dir.exists() {
        crawl::StateLock::acquire_with_archive(&settings.state_path, &settings.archive_dir)
    } else {
        crawl::StateLock::acquire(&settings.state_path)
    };
    match lock {
        Err(_) => true,
        Ok(_held_while_reading) => state_has_queued_urls(&settings.state_path),
    }
}

/// Whether the SQLite state at `path` still holds URLs to fetch: pending ones, or ones a
/// killed run left in flight. An interrupted crawl resumes them even when its start URLs
/// cannot be reached today. A state that cannot be read counts as holding work: the crawl
/// then opens it and reports the problem itself.
fn state_has_queued_urls(path: &std::path::Path) -> bool {
    if !path.exists() {
        return false;
    }
    use glaneur::frontier::Frontier as _;
    match glaneur::frontier::SqliteFrontier::open(path).and_then(|mut f| f.stats()) {
        Ok(stats) => stats.pending + stats.in_flight > 0,
        Err(_) => true,
    }
}

/// Every start URL failed its check: says so (and prints the JSON summary under `json`).
fn report_unreachable(problems: &[glaneur::config::StartProblem], printer: Printer) -> ExitCode {
    let refused_private = problems
        .iter()
        .filter(|p| p.problem.contains("private"))
        .count();
    printer.error(format_args!(
        "nothing fetched: none of the {} start URL(s) can be reached (see above); nothing was crawled",
        problems.len()
    ));
    if printer.json() {
        let summary = serde_json::json!({
            "stop_reason": "nothing-fetched",
            "pages": 0,
            "requests": 0,
            "errors": problems.len(),
            "failed": problems.len(),
            "refused_private": refused_private,
            "problems": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        if let Err(e) = printer.out_json_line(&summary) {
            printer.error(format_args!("cannot write the summary: {e}"));
        }
    }
    ExitCode::NothingFetched
}

/// First Ctrl-C or SIGTERM: stop gracefully. Second: exit at once.
pub(crate) async fn watch_signals(stop: CancellationToken, printer: Printer) {
    let mut presses = 0;
    loop {
        let signal = wait_for_signal().await;
        if !signal {
            return;
        }
        presses += 1;
        if presses == 1 {
            printer.info(
                "stopping: waiting for requests in flight (press Ctrl-C again to quit at once)",
            );
            stop.cancel();
        } else {
            printer.info("quitting at once; run the same command again to resume");
            std::process::exit(130);
        }
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return tokio::signal::ctrl_c().await.is_ok();
    };
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.is_ok(),
        r = term.recv() => r.is_some(),
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}

/// The summary line on stderr (unless quiet), and the JSON summary on stdout with `--json`.
pub(crate) fn print_summary(summary: &CrawlSummary, printer: Printer) -> anyhow::Result<()> {
    let secs = (summary.finished - summary.started).num_milliseconds() as f64 / 1000.0;
    printer.info(format_args!(
            "{}: {} pages ({:.1}/s; {} new, {} changed, {} unchanged, {} not modified), {} articles, {} requests, {} errors, {} robots-denied, {} written in {} WARC file(s); {} URLs pending",
            match summary.stop_reason {
                _ if nothing_fetched(summary) => "nothing fetched (no page could be fetched)",
                StopReason::Completed => "crawl complete",
                StopReason::MaxPages => "stopped at --max-pages",
                StopReason::MaxDuration => "stopped at --max-duration (run again to resume)",
                StopReason::Interrupted => "interrupted (run again to resume)",
                StopReason::Failed => "crawl failed",
            },
            summary.pages,
            summary.pages as f64 / secs.max(0.001),
            summary.new,
            summary.changed,
            summary.unchanged,
            summary.not_modified,
            summary.articles,
            summary.requests,
            summary.errors,
            summary.robots_denied,
            human_bytes(summary.bytes_written),
            summary.warc_files.len(),
            summary.pending,
        ));
    if summary.wp_rest + summary.wp_rest_failed > 0 {
        printer.info(format_args!(
            "WordPress post JSON: {} archived ({} unchanged), {} not fetched",
            summary.wp_rest, summary.wp_rest_revisits, summary.wp_rest_failed
        ));
    }
    if summary.refused_private > 0 {
        printer.warn(format_args!(
            "{} URL(s) refused: their host is on a private network; {}",
            summary.refused_private,
            glaneur::crawl::PRIVATE_NETWORK_FIX
        ));
    }
    if printer.json() {
        let mut value = serde_json::to_value(summary).context("cannot serialise the summary")?;
        if nothing_fetched(summary) {
            value["stop_reason"] = serde_json::Value::from("nothing-fetched");
        }
        printer
            .out_json_line(&value)
            .context("cannot write the summary")?;
    }
    Ok(())
}
