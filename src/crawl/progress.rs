//! What the crawl tells its user while it runs: a progress line on a terminal, plain
//! periodic log lines otherwise, nothing when quiet.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How chatty the crawl is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputMode {
    /// Errors only; no progress.
    Quiet,
    /// A progress display on a terminal, periodic log lines otherwise.
    #[default]
    Normal,
    /// Every fetch is logged; no progress bar.
    Verbose,
}

/// Live counters of a crawl, updated by the fetch tasks.
#[derive(Debug, Default)]
pub struct Counters {
    /// Responses archived (robots.txt excluded).
    pub pages: AtomicU64,
    /// Article metadata records written.
    pub articles: AtomicU64,
    /// URLs given up after errors, and fetch errors that will be retried.
    pub errors: AtomicU64,
    /// URLs skipped because robots.txt disallows them.
    pub robots_denied: AtomicU64,
    /// Bytes written to WARC files (compressed).
    pub bytes_written: AtomicU64,
    /// Requests made, robots.txt included.
    pub requests: AtomicU64,
    /// Full responses for URLs never captured before.
    pub new: AtomicU64,
    /// Full responses for URLs captured before whose payload changed.
    pub changed: AtomicU64,
    /// 200 responses identical to the last capture (identical-payload-digest revisits).
    pub unchanged: AtomicU64,
    /// 304 responses to conditional requests (server-not-modified revisits).
    pub not_modified: AtomicU64,
    /// URLs given up in this run.
    pub failed: AtomicU64,
    /// URLs waiting in the frontier (a gauge, updated about once a second).
    pub queued: AtomicU64,
    /// Requests in flight (a gauge).
    pub in_flight: AtomicU64,
    /// Responses by status class: 1xx, 2xx, 3xx, 4xx, 5xx (robots.txt included).
    pub status_classes: [AtomicU64; 5],
    /// Fetch errors: no response within the timeout.
    pub errors_timeout: AtomicU64,
    /// Fetch errors: DNS, connection, TLS or protocol failures.
    pub errors_network: AtomicU64,
    /// Fetch errors of any other kind (bodies cut, bad redirects, …).
    pub errors_other: AtomicU64,
    /// Requests refused because the host's address is on a private network and the policy
    /// does not allow private networks.
    pub refused_private: AtomicU64,
    /// Bytes of HTTP bodies received.
    pub bytes_fetched: AtomicU64,
    /// Pages rendered in a browser.
    pub rendered: AtomicU64,
    /// Requests rendered pages made, fetched by glaneur and archived (page requisites).
    pub requisites: AtomicU64,
    /// Of those, archived as revisits (unchanged since the last run).
    pub requisite_revisits: AtomicU64,
    /// REST JSONs of WordPress post pages fetched and archived.
    pub wp_rest: AtomicU64,
    /// Of those, archived as revisits (unchanged since the last capture).
    pub wp_rest_revisits: AtomicU64,
    /// REST JSONs of WordPress post pages that could not be fetched (robots.txt, network).
    pub wp_rest_failed: AtomicU64,
    /// Most pages chosen for rendering at once (in a tab or waiting for one).
    pub render_backlog_peak: AtomicU64,
    /// Waits for a host's request rate, by host (hosts that waited in the last
    /// [`RATE_WAITS_IDLE`] only).
    pub rate_waits: Mutex<RateWaitsByHost>,
}

/// A host none of whose requests waited for its rate for this long is forgotten by
/// [`RateWaitsByHost`]: its counters start again from zero if it waits again (a counter
/// reset, as after a restart, for a Prometheus scraper). Keeps the map to the hosts
/// crawled lately on a crawl of many hosts over days.
pub const RATE_WAITS_IDLE: Duration = Duration::from_secs(600);

/// The rate waits of the hosts that waited lately.
#[derive(Debug, Default)]
pub struct RateWaitsByHost {
    hosts: HashMap<String, (RateWaits, Instant)>,
    swept: Option<Instant>,
}

impl RateWaitsByHost {
    /// The waits of each host that waited in the last [`RATE_WAITS_IDLE`] (about).
    pub fn by_host(&self) -> HashMap<String, RateWaits> {
        self.hosts
            .iter()
            .map(|(host, (waits, _))| (host.clone(), *waits))
            .collect()
    }

    /// Counts a wait of `waited` of `host` at `now`, forgetting the hosts idle for
    /// [`RATE_WAITS_IDLE`] (looked for at most once a minute).
    fn record(&mut self, host: &str, waited: Duration, now: Instant) {
        if self
            .swept
            .is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(60))
        {
            self.hosts
                .retain(|_, (_, last)| now.saturating_duration_since(*last) < RATE_WAITS_IDLE);
            self.swept = Some(now);
        }
        if !self.hosts.contains_key(host) {
            self.hosts
                .insert(host.to_string(), (RateWaits::default(), now));
        }
        if let Some((entry, last)) = self.hosts.get_mut(host) {
            entry.count += 1;
            entry.seconds += waited.as_secs_f64();
            *last = now;
        }
    }
}

/// How often, and how long, requests to one host waited for its rate.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RateWaits {
    /// Requests that had to wait.
    pub count: u64,
    /// Seconds waited in all.
    pub seconds: f64,
}

impl Counters {
    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts a response of HTTP status `status`.
    pub fn record_status(&self, status: u16) {
        if let Some(class) = (status / 100).checked_sub(1).map(usize::from)
            && let Some(counter) = self.status_classes.get(class)
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a failed fetch by kind (the caller counts it in `errors` too).
    pub fn record_fetch_error(&self, error: &crate::fetch::FetchError) {
        use crate::fetch::FetchError;
        let counter = match error {
            FetchError::Timeout { .. } => &self.errors_timeout,
            FetchError::Network { .. } => &self.errors_network,
            FetchError::Blocked { .. } => &self.refused_private,
            _ => &self.errors_other,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a wait of `waited` for the rate of `host` (waits under a millisecond are not
    /// waits).
    pub fn record_rate_wait(&self, host: &str, waited: Duration) {
        if waited < Duration::from_millis(1) {
            return;
        }
        if let Ok(mut waits) = self.rate_waits.lock() {
            waits.record(host, waited, Instant::now());
        }
    }
}

/// The progress display or log.
pub struct Progress {
    mode: OutputMode,
    bar: Option<ProgressBar>,
    started: Instant,
    last_log: Instant,
}

impl Progress {
    /// A progress reporter for `mode`; a bar is drawn only when stderr is a terminal.
    pub fn new(mode: OutputMode) -> Progress {
        let bar = (mode == OutputMode::Normal && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new_spinner();
            let style = ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            mode,
            bar,
            started: Instant::now(),
            last_log: Instant::now(),
        }
    }

    /// Shows the current counters and queue length.
    pub fn update(&mut self, counters: &Counters, queued: u64) {
        counters.queued.store(queued, Ordering::Relaxed);
        let pages = Counters::get(&counters.pages);
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "{pages} pages ({:.1}/s), {} articles, {queued} queued, {} errors, {} robots-denied, {} written",
            pages as f64 / secs,
            Counters::get(&counters.articles),
            Counters::get(&counters.errors),
            Counters::get(&counters.robots_denied),
            human_bytes(Counters::get(&counters.bytes_written)),
        );
        match (&self.bar, self.mode) {
            (Some(bar), _) => bar.set_message(line),
            (None, OutputMode::Quiet) => {}
            (None, _) => {
                if self.last_log.elapsed() >= Duration::from_secs(10) {
                    self.last_log = Instant::now();
                    tracing::info!("{line}");
                }
            }
        }
    }

    /// Removes the progress display.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub use crate::archive::human_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_waits_of_idle_hosts_are_forgotten() {
        let mut waits = RateWaitsByHost::default();
        let start = Instant::now();
        let wait = Duration::from_millis(500);
        waits.record("a.test", wait, start);
        waits.record("b.test", wait, start);
        waits.record("a.test", wait, start + Duration::from_secs(30));
        assert_eq!(waits.by_host()["a.test"].count, 2);
        // b.test waits again after 9 minutes: kept; a.test stays idle.
        waits.record("b.test", wait, start + Duration::from_secs(540));
        assert_eq!(waits.by_host().len(), 2);
        // 11 minutes after a.test's last wait, a wait of c.test forgets it.
        let later = start + Duration::from_secs(30) + RATE_WAITS_IDLE + Duration::from_secs(60);
        waits.record("c.test", wait, later);
        let by_host = waits.by_host();
        assert!(!by_host.contains_key("a.test"), "{by_host:?}");
        assert_eq!(by_host["b.test"].count, 2);
        assert_eq!(by_host["c.test"].count, 1);
        // Many hosts crawled one after the other: the map holds the recent ones only.
        for i in 0..10_000u64 {
            waits.record(&format!("h{i}.test"), wait, later + Duration::from_secs(i));
        }
        assert!(waits.by_host().len() <= 700, "{}", waits.by_host().len());
        // A forgotten host that waits again starts from zero.
        waits.record("a.test", wait, later + Duration::from_secs(10_000));
        assert_eq!(waits.by_host()["a.test"].count, 1);
    }

    #[test]
    fn bytes_are_shown_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
    }
}
