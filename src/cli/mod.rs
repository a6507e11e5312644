//! Command-line arguments and the commands they run.

pub mod argfile;
pub mod articles;
pub mod crawl;
pub mod demo;
pub mod dict;
pub mod extract;
pub mod get;
pub mod index;
pub mod logging;
pub mod printer;
pub mod profile;
pub mod serve;
pub mod share;
pub mod shell;
pub mod stats;
pub mod verify;
pub mod workers;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

pub use printer::Printer;

/// A configuration or usage error (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code of a read command that skipped `damaged` unreadable parts: 1 (fatal)
/// unless `keep_going`, so that a script does not take a partial result for a whole one.
pub fn damage_exit(damaged: usize, keep_going: bool, printer: Printer) -> crate::ExitCode {
    if damaged == 0 || keep_going {
        return crate::ExitCode::Success;
    }
    printer.error(format_args!(
        "{damaged} damaged part(s) could not be read (see `glaneur verify`); the output leaves them out (--keep-going accepts this)"
    ));
    crate::ExitCode::Fatal
}

/// The archive folder, one argument for every command that reads or writes one
/// (`#[command(flatten)]`).
#[derive(Debug, Clone, clap::Args)]
pub struct ArchiveArg {
    /// The archive folder (WARC files, their index, the crawl state).
    #[arg(long = "archive", value_name = "DIR", default_value = "archive")]
    pub dir: PathBuf,
}

impl ArchiveArg {
    /// The folder, which must exist (a usage error otherwise).
    pub fn existing(&self) -> anyhow::Result<&Path> {
        if !self.dir.is_dir() {
            anyhow::bail!(UsageError(format!(
                "{}: no such archive folder",
                self.dir.display()
            )));
        }
        Ok(&self.dir)
    }
}

/// The archive folder of `index` and `stats`: `--archive DIR`, or `DIR` alone (their
/// older form, `glaneur stats archive`).
#[derive(Debug, Clone, clap::Args)]
pub struct ArchiveOrPositional {
    /// The archive folder.
    #[command(flatten)]
    pub archive: ArchiveArg,
    /// The archive folder, as a positional argument (same as --archive).
    #[arg(value_name = "ARCHIVE", conflicts_with = "dir")]
    pub positional: Option<PathBuf>,
}

impl ArchiveOrPositional {
    /// The folder given, which must exist (a usage error otherwise).
    pub fn existing(&self) -> anyhow::Result<PathBuf> {
        let archive = ArchiveArg {
            dir: self
                .positional
                .clone()
                .unwrap_or_else(|| self.archive.dir.clone()),
        };
        Ok(archive.existing()?.to_path_buf())
    }
}

/// glaneur: an archival crawler for news sites.
///
/// Crawls the sites described in `seeds/` (or URLs given on the command line) politely,
/// writes every HTTP exchange to standard WARC/1.1 files, and extracts the articles.
///
/// An argument `@FILE` is replaced by the lines of FILE, one argument per line (for long
/// lists of start URLs and `--resolve` hosts).
#[derive(Debug, Parser)]
#[command(name = "glaneur", version, about, long_about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// Only warnings and errors on standard error (no progress, no summary).
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More detail on standard error (every fetch, for `crawl`).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Format of the logs on stderr: `text` (coloured on a terminal only; NO_COLOR and
    /// CLICOLOR_FORCE honoured) or `json` (one object per line: time, level, target,
    /// message, fields).
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        value_name = "FORMAT"
    )]
    pub log_format: logging::LogFormat,
}

impl Cli {
    /// The printer for the global flags.
    pub fn printer(&self) -> Printer {
        Printer::new(self.quiet, self.verbose)
    }
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Crawl the embedded demo news site into archive/demo, then browse it (start here).
    Demo(demo::DemoArgs),
    /// Crawl sites into WARC files (resumes an interrupted crawl of the same state).
    Crawl(crawl::CrawlArgs),
    /// Extract the article of a saved page (or of every page of a folder) as JSON, to tune
    /// a profile's selectors.
    Extract(extract::ExtractArgs),
    /// Bring ARCHIVE/index.cdxj (the pywb CDXJ index) up to date with the WARC files.
    Index(index::IndexArgs),
    /// Print the capture of a URL nearest in time (latest by default): body, headers,
    /// record or extracted article.
    Get(get::GetArgs),
    /// Export the extracted articles (JSON Lines, CSV or Parquet), filtered by site, category,
    /// date and words.
    Articles(articles::ArticlesArgs),
    /// Check every record's framing and digests; find truncated or damaged files.
    Verify(verify::VerifyArgs),
    /// Write a site profile from a polite sample of the site (`profile new`), or check
    /// that profiles still match their sites (`profile check`, exit 6 when a field broke).
    Profile(profile::ProfileArgs),
    /// Captures by host, status, MIME type and day; bytes; first and last capture.
    Stats(stats::StatsArgs),
    /// The workers sharing a PostgreSQL state: live ones, their leases and rates, and the
    /// per-host queues.
    Workers(workers::WorkersArgs),
    /// zstd dictionaries for `.warc.zst` files: train one on an archive, show a file's.
    Dict(dict::DictArgs),

    /// Browse and search the archive in a web browser (and a JSON API), on loopback.
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff), e.g. `glaneur man | man -l -`.
    Man(shell::ManArgs),

    /// Package the archive (or part of it) as a WACZ file for ReplayWeb.page and pywb.
    Wacz(share::WaczArgs),
    /// Recompress WARC files record by record (zstd ↔ gzip), digests unchanged.
    Convert(share::ConvertArgs),
}
