//! `glaneur index`: brings `ARCHIVE/index.cdxj` (and `metadata.cdxj`) up to date.

use std::time::Instant;

use glaneur::archive::index_archive;
use glaneur::read::INDEX_FILE;

use super::{ArchiveOrPositional, Printer};
use crate::ExitCode;

/// Arguments of `glaneur index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The archive folder.
    #[command(flatten)]
    pub archive: ArchiveOrPositional,
    /// Print the report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Exit with success even when damaged records had to be skipped (by default the
    /// command finishes its work, then exits with code 1 naming them).
    #[arg(long)]
    pub keep_going: bool,
}

/// Runs `glaneur index`.
pub fn run(args: &IndexArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let dir = args.archive.existing()?;
    let dir = dir.as_path();
    let start = Instant::now();
    let report = index_archive(dir)?;
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    for e in &report.errors {
        printer.warn(e);
    }
    if args.json {
        printer.out_json(&report)?;
    } else {
        printer.info(format_args!(
            "indexed {} file(s) ({} unchanged, {} removed): {} records, {} + {} metadata lines in {:.2}s ({:.0} records/s, {:.1} MB/s); {} has {} lines",
            report.files_indexed,
            report.files_unchanged,
            report.files_removed,
            report.records,
            report.lines,
            report.metadata_lines,
            secs,
            report.records as f64 / secs,
            report.bytes as f64 / secs / 1e6,
            dir.join(INDEX_FILE).display(),
            report.total_lines
        ));
    }
    Ok(super::damage_exit(
        report.errors.len(),
        args.keep_going,
        printer,
    ))
}
