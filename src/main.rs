//! The `glaneur` command: parses arguments, runs one command, maps errors to exit codes.
//! (Minimal version in the extract branch: the lead's main.rs replaces it.)

mod cli;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "glaneur",
    version,
    about = "An archival crawler for news sites"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract the article of a saved page (or of every page of a folder).
    Extract(cli::extract::ExtractArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Extract(args) => cli::extract::run(args),
    };
    if let Err(e) = result {
        eprintln!("glaneur: {e:#}");
        std::process::exit(1);
    }
}
