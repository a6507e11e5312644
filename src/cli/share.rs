//! `glaneur wacz` (a WACZ package for ReplayWeb.page and pywb) and `glaneur convert`
//! (WARC files recompressed record by record, for tools that read only `.warc.gz`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use glaneur::wacz::{DictChoice, IndexFormat, Target, WaczOptions, convert, write_wacz};

use super::{Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur wacz`.
#[derive(Debug, clap::Args)]
pub struct WaczArgs {
    /// The archive folder (or one WARC file).
    #[arg(default_value = "archive")]
    pub archive: PathBuf,
    /// The package to write (`.wacz`); never overwritten.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Only captures of this host and its subdomains.
    #[arg(long)]
    pub site: Option<String>,
    /// Only records dated this day (UTC, YYYY-MM-DD) or later.
    #[arg(long, value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Only records dated this day (UTC, YYYY-MM-DD) or earlier.
    #[arg(long, value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// The package title (shown by ReplayWeb.page).
    #[arg(long)]
    pub title: Option<String>,
    /// gzip level of the records (0 to 9): 1 by default, about twice as fast as 6 for a
    /// package about 16 % larger.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub gzip_level: Option<u32>,
    /// The index: `cdx` (plain `indexes/index.cdx`), `zipnum` (`index.cdx.gz` +
    /// `index.idx`, loaded a block at a time), or `auto` (ZipNum past 20,000 lines).
    #[arg(long, value_enum, default_value = "auto")]
    pub index: IndexFormat,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `glaneur convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// WARC files, or folders whose WARC files are all converted.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The compression to convert to.
    #[arg(long, value_enum)]
    pub to: Target,
    /// Dictionary of `.warc.zst` output: `auto` (the source's, else one trained on the
    /// file's first records), `off`, or a dictionary file.
    #[arg(long, default_value = "auto")]
    pub dict: DictChoice,
    /// The folder to write to (created if missing); existing files are never overwritten.
    #[arg(long, short)]
    pub output: PathBuf,
    /// Print the converted files as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{s:?}: {e} (YYYY-MM-DD)"))
}

/// Runs `glaneur wacz`.
pub fn run_wacz(args: &WaczArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    if !args.archive.exists() {
        anyhow::bail!(UsageError(format!(
            "{}: no such archive folder or file",
            args.archive.display()
        )));
    }
    if args.output.exists() {
        anyhow::bail!(UsageError(format!(
            "{}: exists already; not overwritten",
            args.output.display()
        )));
    }
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        anyhow::bail!(UsageError(format!("--from {from} is after --to {to}")));
    }
    let options = WaczOptions {
        site: args.site.clone(),
        from: args.from,
        to: args.to,
        title: args.title.clone(),
        gzip_level: args.gzip_level,
        index: args.index,
    };
    let start = Instant::now();
    let report = write_wacz(&args.archive, &args.output, &options)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    if args.json {
        printer.out_json(&report)?;
    } else {
        printer.info(format_args!(
            "{}: {} records from {} WARC file(s), {} index lines, {} pages; {:.1} MB in {:.2}s ({:.1} MB/s of input)",
            args.output.display(),
            report.records,
            report.source_files,
            report.index_lines,
            report.pages,
            report.package_bytes as f64 / 1e6,
            secs,
            report.source_bytes as f64 / secs / 1e6
        ));
    }
    Ok(ExitCode::Success)
}

/// Runs `glaneur convert`.
pub fn run_convert(args: &ConvertArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    for p in &args.paths {
        if !p.exists() {
            anyhow::bail!(UsageError(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let start = Instant::now();
    let done = convert(&args.paths, args.to, &args.dict, &args.output)
        .with_context(|| format!("converting into {}", args.output.display()))?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    if args.json {
        printer.out_json(&done)?;
        return Ok(ExitCode::Success);
    }
    let (mut records, mut input, mut output) = (0u64, 0u64, 0u64);
    for c in &done {
        printer.info(format_args!(
            "{} -> {}: {} records, verified",
            c.source.display(),
            c.output.display(),
            c.records
        ));
        records += c.records;
        input += c.source_bytes;
        output += c.output_bytes;
    }
    printer.info(format_args!(
        "{} file(s), {records} records: {:.1} MB -> {:.1} MB in {:.2}s ({:.1} MB/s of input)",
        done.len(),
        input as f64 / 1e6,
        output as f64 / 1e6,
        secs,
        input as f64 / secs / 1e6
    ));
    Ok(ExitCode::Success)
}
