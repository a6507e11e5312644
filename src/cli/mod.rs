//! Command-line arguments and the commands they run.

pub mod articles;
pub mod crawl;
pub mod dict;
pub mod extract;
pub mod get;
pub mod index;
mod read_util;
pub mod serve;
pub mod share;
pub mod stats;
pub mod verify;
pub mod workers;

use clap::{Parser, Subcommand};

/// glaneur: an archival crawler for news sites.
///
/// Crawls the sites described in `seeds/` (or URLs given on the command line) politely,
/// writes every HTTP exchange to standard WARC/1.1 files, and extracts the articles.
#[derive(Debug, Parser)]
#[command(name = "glaneur", version, about, long_about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Captures by host, status, MIME type and day; bytes; first and last capture.
    Stats(stats::StatsArgs),
    /// The workers sharing a PostgreSQL state: live ones, their leases and rates, and the
    /// per-host queues.
    Workers(workers::WorkersArgs),
    /// zstd dictionaries for `.warc.zst` files: train one on an archive, show a file's.
    Dict(dict::DictArgs),

    /// Browse and search the archive in a web browser (and a JSON API), on loopback.
    Serve(serve::ServeArgs),

    /// Package the archive (or part of it) as a WACZ file for ReplayWeb.page and pywb.
    Wacz(share::WaczArgs),
    /// Recompress WARC files record by record (zstd ↔ gzip), digests unchanged.
    Convert(share::ConvertArgs),
}
