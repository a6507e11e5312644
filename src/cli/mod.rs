//! Command-line arguments and the commands they run.

pub mod crawl;
pub mod extract;

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
}
