//! `glaneur articles`: exports the extracted articles as JSON Lines or CSV.

use std::path::PathBuf;
use std::time::Instant;

use glaneur::read::articles::{Filter, Format, collect_articles, write_rows};
use glaneur::read::parse_user_date;

use super::crawl::UsageError;
use super::read_util::archive_dir;
use crate::ExitCode;

/// Output formats of `glaneur articles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row (authors joined with "; ").
    Csv,
}

/// Arguments of `glaneur articles`.
#[derive(Debug, clap::Args)]
pub struct ArticlesArgs {
    /// The archive folder.
    #[arg(long, default_value = "archive")]
    pub archive: PathBuf,
    /// Only articles of this host (subdomains included, `www.` ignored).
    #[arg(long)]
    pub site: Option<String>,
    /// Only articles of this category (case-insensitive).
    #[arg(long)]
    pub category: Option<String>,
    /// Only articles published on or after this date (`YYYY-MM-DD` or RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only articles published on or before this date (a whole day for `YYYY-MM-DD`).
    #[arg(long)]
    pub until: Option<String>,
    /// Only articles whose title or body contains all these words (case-insensitive).
    #[arg(long)]
    pub grep: Option<String>,
    /// Every capture of each article, not only the latest.
    #[arg(long)]
    pub all_captures: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: OutputFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

fn date_arg(
    name: &str,
    v: &Option<String>,
) -> anyhow::Result<Option<chrono::DateTime<chrono::Utc>>> {
    match v {
        None => Ok(None),
        Some(v) => Ok(Some(parse_user_date(v).ok_or_else(|| {
            UsageError(format!("--{name} {v:?}: expected YYYY-MM-DD or RFC 3339"))
        })?)),
    }
}

/// Runs `glaneur articles`.
pub fn run(args: &ArticlesArgs) -> anyhow::Result<ExitCode> {
    archive_dir(&args.archive)?;
    let mut until = date_arg("until", &args.until)?;
    if let Some(v) = &args.until
        && chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_ok()
    {
        // A day: up to its end.
        until = until.map(|u| u + chrono::Duration::days(1));
    }
    let filter = Filter {
        site: args.site.clone(),
        category: args.category.clone(),
        since: date_arg("since", &args.since)?,
        until,
        words: args
            .grep
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    };
    let start = Instant::now();
    let (rows, stats) = collect_articles(&args.archive, &filter, args.all_captures)?;
    for d in &stats.damaged {
        eprintln!("warning: skipped damaged data: {d} (see `glaneur verify`)");
    }
    let format = match args.format {
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Csv => Format::Csv,
    };
    match &args.output {
        Some(path) => {
            let mut file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            write_rows(&rows, format, &mut file)?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            write_rows(&rows, format, &mut out)?;
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "{} article(s) written ({} article records, {} records, {} files, {:.1} MB read in {secs:.2}s: {:.0} records/s, {:.1} MB/s)",
        rows.len(),
        stats.articles,
        stats.records,
        stats.files,
        stats.bytes as f64 / 1e6,
        stats.records as f64 / secs,
        stats.bytes as f64 / secs / 1e6
    );
    Ok(ExitCode::Success)
}
