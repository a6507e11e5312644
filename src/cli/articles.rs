//! `glaneur articles`: exports the extracted articles as JSON Lines, CSV or Parquet,
//! streamed a batch at a time.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use glaneur::read::articles::{Export, Filter, Format, WriteReport};
use glaneur::read::parse_user_date;

use super::crawl::UsageError;
use super::read_util::archive_dir;
use crate::ExitCode;

/// Output formats of `glaneur articles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row (authors and categories joined with "; ").
    Csv,
    /// Apache Parquet: typed columns (timestamps, lists), zstd-compressed.
    Parquet,
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
    /// With `--format csv`: start with a UTF-8 byte order mark, so that spreadsheet
    /// programs (Excel) read the accents right.
    #[arg(long)]
    pub bom: bool,
    /// Write to this file instead of standard output (written under a temporary name,
    /// renamed when complete).
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
    let format = match args.format {
        OutputFormat::Jsonl => Format::Jsonl,
        OutputFormat::Csv => Format::Csv,
        OutputFormat::Parquet => Format::Parquet,
    };
    if format == Format::Parquet && args.output.is_none() && std::io::stdout().is_terminal() {
        anyhow::bail!(UsageError(
            "Parquet is a binary format: give --output FILE, or redirect standard output \
             (`> articles.parquet`, `| python3 …`)"
                .into()
        ));
    }
    if args.bom && format != Format::Csv {
        anyhow::bail!(UsageError("--bom is for --format csv".into()));
    }
    let prefix: &'static [u8] = if args.bom { b"\xEF\xBB\xBF" } else { b"" };
    let start = Instant::now();
    let export = Export::plan(&args.archive, &filter, args.all_captures)?;
    let stats = &export.stats;
    for d in &stats.damaged {
        eprintln!("warning: skipped damaged data: {d} (see `glaneur verify`)");
    }
    let report = match &args.output {
        Some(path) => write_file(&export, format, path, prefix)?,
        None => export.write(format, Prefixed::new(prefix, std::io::stdout()))?,
    };
    for p in &report.problems {
        eprintln!("warning: article left out: {p}");
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    eprintln!(
        "{} article(s) written ({} article records, {} records, {} files, {:.1} MB read in {secs:.2}s: {:.0} records/s, {:.1} MB/s, {:.0} rows/s)",
        report.rows,
        stats.articles,
        stats.records,
        stats.files,
        stats.bytes as f64 / 1e6,
        stats.records as f64 / secs,
        stats.bytes as f64 / secs / 1e6,
        report.rows as f64 / secs,
    );
    Ok(ExitCode::Success)
}

/// Writes the export to `path`: a regular file is written under a temporary name in the
/// same folder and renamed when complete (an interrupted export leaves no half file);
/// anything else (`/dev/stdout`, a named pipe) is written directly.
fn write_file(
    export: &Export,
    format: Format,
    path: &Path,
    prefix: &'static [u8],
) -> anyhow::Result<WriteReport> {
    let regular = std::fs::metadata(path).map_or(true, |m| m.is_file());
    if !regular {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok(export.write(format, Prefixed::new(prefix, file))?);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "articles".into());
    let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let file =
        std::fs::File::create(&tmp).map_err(|e| anyhow::anyhow!("{}: {e}", tmp.display()))?;
    let res = export
        .write(format, Prefixed::new(prefix, file))
        .map_err(anyhow::Error::from)
        .and_then(|r| {
            std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(r)
        });
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// A writer that writes `prefix` (e.g. a byte order mark) before the first bytes.
struct Prefixed<W> {
    prefix: &'static [u8],
    inner: W,
}

impl<W: std::io::Write> Prefixed<W> {
    fn new(prefix: &'static [u8], inner: W) -> Prefixed<W> {
        Prefixed { prefix, inner }
    }
}

impl<W: std::io::Write> std::io::Write for Prefixed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.prefix.is_empty() {
            self.inner.write_all(self.prefix)?;
            self.prefix = b"";
        }
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.prefix.is_empty() {
            self.inner.write_all(self.prefix)?;
            self.prefix = b"";
        }
        self.inner.flush()
    }
}
