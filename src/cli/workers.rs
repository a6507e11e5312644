//! `glaneur workers`: the workers sharing a PostgreSQL state, their leases and rates, and
//! the per-host queues.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use glaneur::config::Policy;
use glaneur::frontier::{WorkersReport, is_postgres_url, workers_report};

use super::{Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur workers`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
EXAMPLES:
    glaneur workers --state postgres://crawler@db/news
    glaneur workers --json            (state = \"postgres://…\" in robots-policy.toml)

A worker is live while its heartbeat is within its lease (--lease of `glaneur crawl`);
a worker whose heartbeat is older is dead: its claimed URLs are handed out.")]
pub struct WorkersArgs {
    /// The shared state: a postgres://user@host/db URL [default: the policy's `state`]
    #[arg(long, value_name = "URL")]
    pub state: Option<String>,

    /// Policy file whose `state` key names the database when --state is not given.
    #[arg(long, value_name = "FILE", default_value = "robots-policy.toml")]
    pub policy: PathBuf,

    /// Also list workers that stopped or died.
    #[arg(long)]
    pub all: bool,

    /// Hosts to list, longest queues first (0: all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub hosts: usize,

    /// Print the report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// The database URL from the arguments or the policy file.
fn state_url(args: &WorkersArgs) -> anyhow::Result<String> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    let state = match &args.state {
        Some(state) => state.clone(),
        None if args.policy.exists() => Policy::load(&args.policy)
            .map_err(|e| usage(e.to_string()))?
            .state
            .ok_or_else(|| {
                usage(format!(
                    "no --state given and no `state` in {}",
                    args.policy.display()
                ))
            })?,
        None => return Err(usage("no --state given (postgres://…)".into())),
    };
    if !is_postgres_url(&state) {
        return Err(usage(format!(
            "{state}: `glaneur workers` needs a PostgreSQL state (postgres://…); a SQLite state has a single run"
        )));
    }
    Ok(state)
}

fn seconds(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{:.0}m{:02.0}s", (secs / 60.0).floor(), secs % 60.0)
    } else {
        format!("{:.1}h", secs / 3600.0)
    }
}

/// The report as text tables.
fn render(report: &WorkersReport, all: bool, hosts: usize) -> String {
    let mut out = String::new();
    let live = report.workers.iter().filter(|w| w.live).count();
    out.push_str(&format!(
        "{live} live worker(s); frontier: {} pending, {} in flight, {} fetched, {} failed, {} robots-denied\n\n",
        report.pending, report.in_flight, report.fetched, report.failed, report.robots_denied
    ));
    let shown: Vec<_> = report.workers.iter().filter(|w| all || w.live).collect();
    if !shown.is_empty() {
        out.push_str(&format!(
            "{:<24} {:<6} {:<20} {:>8} {:>10} {:>7} {:>6} {:>8} {:>8}\n",
            "WORKER", "STATE", "HOST", "PID", "HEARTBEAT", "LEASES", "SLOTS", "PAGES", "PAGES/S"
        ));
        for w in shown {
            let state = if w.live {
                "live"
            } else if w.stopped_at.is_some() {
                "gone"
            } else {
                "dead?"
            };
            out.push_str(&format!(
                "{:<24} {:<6} {:<20} {:>8} {:>10} {:>7} {:>6} {:>8} {:>8.1}\n",
                w.name,
                state,
                w.hostname,
                w.pid,
                format!("{} ago", seconds(w.heartbeat_age_secs)),
                w.leases,
                w.slots,
                w.pages,
                w.rate
            ));
        }
        out.push('\n');
    }
    if report.hosts.is_empty() {
        out.push_str("no host has URLs left to fetch\n");
        return out;
    }
    out.push_str(&format!(
        "{:<32} {:>8} {:>8} {:>9} {:>8} {:>6} {:>10}\n",
        "HOST", "PENDING", "DUE", "IN FLIGHT", "FETCHED", "SLOTS", "NEXT"
    ));
    let limit = if hosts == 0 { usize::MAX } else { hosts };
    for h in report.hosts.iter().take(limit) {
        let next = match h.paused_for_secs {
            Some(p) => format!("paused {}", seconds(p)),
            None if h.next_request_in_secs > 0.0 => seconds(h.next_request_in_secs),
            None => "now".into(),
        };
        out.push_str(&format!(
            "{:<32} {:>8} {:>8} {:>9} {:>8} {:>6} {:>10}\n",
            h.host, h.pending, h.due, h.in_flight, h.fetched, h.slots, next
        ));
    }
    if report.hosts.len() > limit {
        out.push_str(&format!(
            "… and {} more host(s) (--hosts 0 lists them all)\n",
            report.hosts.len() - limit
        ));
    }
    out
}

/// Runs `glaneur workers`.
pub fn run(args: &WorkersArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let url = state_url(args)?;
    let mut report = workers_report(&url).context("cannot read the shared state")?;
    if args.json {
        if !args.all {
            report.workers.retain(|w| w.live);
        }
        if args.hosts > 0 {
            report.hosts.truncate(args.hosts);
        }
        printer.out_json(&report)?;
    } else {
        printer.out(render(&report, args.all, args.hosts).as_bytes())?;
    }
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(seconds(1.25), "1.2s");
        assert_eq!(seconds(125.0), "2m05s");
        assert_eq!(seconds(7200.0), "2.0h");
    }

    #[test]
    fn a_sqlite_state_is_refused() {
        let args = WorkersArgs {
            state: Some("archive/state.sqlite".into()),
            policy: PathBuf::from("robots-policy.toml"),
            all: false,
            hosts: 20,
            json: false,
        };
        let err = state_url(&args).unwrap_err();
        assert!(err.downcast_ref::<UsageError>().is_some());
        assert!(err.to_string().contains("PostgreSQL"), "{err}");
    }
}
