//! What the crawl tells its user while it runs: a progress line on a terminal, plain
//! periodic log lines otherwise, nothing when quiet.

use std::io::IsTerminal;
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
}

impl Counters {
    fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
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
    use super::human_bytes;

    #[test]
    fn bytes_are_shown_in_decimal_units() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
    }
}
