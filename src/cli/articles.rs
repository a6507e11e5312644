//! `glaneur articles`: exports the extracted articles as JSON Lines, CSV or Parquet,
//! streamed a batch at a time.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use glaneur::read::articles::{DateBound, Export, Filter, Format, StatusFilter, WriteReport};

use super::{ArchiveArg, Printer, UsageError};
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
    #[command(flatten)]
    pub archive: ArchiveArg,
    /// Only articles of this host (subdomains included, `www.` ignored).
    #[arg(long)]
    pub site: Option<String>,
    /// Only articles of this category (case-insensitive).
    #[arg(long)]
    pub category: Option<String>,
    /// Only articles published on or after this date (`YYYY-MM-DD`: from its midnight
    /// UTC; or RFC 3339).
    #[arg(long, visible_alias = "from", value_name = "DATE")]
    pub since: Option<String>,
    /// Only articles published on or before this date (`YYYY-MM-DD`: the whole day; an
    /// RFC 3339 instant: up to that second included).
    #[arg(long, visible_alias = "to", value_name = "DATE")]
    pub until: Option<String>,
    /// Only articles whose title or body contains all these words (case-insensitive).
    #[arg(long)]
    pub grep: Option<String>,
    /// Every capture of each article, not only the latest.
    #[arg(long)]
    pub all_captures: bool,
    /// Also deleted articles (`status` "gone": the latest capture is a 404/410 or a
    /// redirect away); left out by default.
    #[arg(long)]
    pub include_gone: bool,
    /// Exit with success even when damaged records had to be skipped (by default the
    /// command finishes its work, then exits with code 1 naming them).
    #[arg(long)]
    pub keep_going: bool,
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

fn date_arg(name: &str, v: &Option<String>) -> anyhow::Result<Option<DateBound>> {
    match v {
        None => Ok(None),
        Some(v) => Ok(Some(DateBound::parse(v).ok_or_else(|| {
            UsageError(format!("--{name} {v:?}: expected YYYY-MM-DD or RFC 3339"))
        })?)),
    }
}

/// Runs `glaneur articles`.
pub fn run(args: &ArticlesArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let dir = args.archive.existing()?;
    let filter = Filter {
        site: args.site.clone(),
        category: args.category.clone(),
        from: date_arg("since", &args.since)?,
        to: date_arg("until", &args.until)?,
        words: args
            .grep
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        status: if args.include_gone {
            StatusFilter::All
        } else {
            StatusFilter::Current
        },
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
    let export = Export::plan(dir, &filter, args.all_captures)?;
    let stats = &export.stats;
    printer.detail(format_args!(
        "{} article(s) to write, from {} article records in {} file(s)",
        export.len(),
        stats.articles,
        stats.files
    ));
    for d in &stats.damaged {
        printer.warn(format_args!(
            "skipped damaged data: {d} (see `glaneur verify`)"
        ));
    }
    let report = match &args.output {
        Some(path) => write_file(&export, format, path, prefix)?,
        None => export.write(format, Prefixed::new(prefix, std::io::stdout()))?,
    };
    for p in &report.problems {
        printer.warn(format_args!("article left out: {p}"));
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    printer.info(format_args!(
        "{} article(s) written ({} article records, {} records, {} files, {:.1} MB read in {secs:.2}s: {:.0} records/s, {:.1} MB/s, {:.0} rows/s)",
        report.rows,
        stats.articles,
        stats.records,
        stats.files,
        stats.bytes as f64 / 1e6,
        stats.records as f64 / secs,
        stats.bytes as f64 / secs / 1e6,
        report.rows as f64 / secs,
    ));
    Ok(super::damage_exit(
        stats.damaged.len(),
        args.keep_going,
        printer,
    ))
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
