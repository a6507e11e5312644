//! The `glaneur` command: parses arguments, runs one command, maps errors to exit codes.

mod cli;

use clap::Parser;

use cli::{Cli, Command};

/// The process exit codes (documented in `glaneur crawl --help` and the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Done.
    Success = 0,
    /// A fatal error.
    Fatal = 1,
    /// Bad usage or configuration.
    Usage = 2,
    /// Another run holds the lock of the state file (or, with PostgreSQL, another live
    /// worker has the same name).
    Locked = 3,
    /// Stopped early (signal or --max-duration); state saved.
    Stopped = 4,
}

fn main() {
    let cli = Cli::parse();
    init_logging(&cli);
    let result = match &cli.command {
        Command::Crawl(args) => cli::crawl::run(args),
        Command::Extract(args) => cli::extract::run(args).map(|()| ExitCode::Success),
        Command::Index(args) => cli::index::run(args),
        Command::Get(args) => cli::get::run(args),
        Command::Articles(args) => cli::articles::run(args),
        Command::Verify(args) => cli::verify::run(args),
        Command::Stats(args) => cli::stats::run(args),
        Command::Workers(args) => cli::workers::run(args),
        Command::Dict(args) => cli::dict::run(args),

        Command::Serve(args) => cli::serve::run(args),

        Command::Wacz(args) => cli::share::run_wacz(args),
        Command::Convert(args) => cli::share::run_convert(args),
    };
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            let usage = error.downcast_ref::<cli::crawl::UsageError>().is_some();
            let locked = matches!(
                error.downcast_ref::<glaneur::crawl::CrawlError>(),
                Some(glaneur::crawl::CrawlError::Locked(
                    glaneur::crawl::LockError::Held { .. }
                        | glaneur::crawl::LockError::WorkerHeld { .. }
                        | glaneur::crawl::LockError::WorkerTaken(_)
                ))
            );
            eprintln!("error: {}", error_message(&error));
            if usage {
                ExitCode::Usage
            } else if locked {
                ExitCode::Locked
            } else {
                ExitCode::Fatal
            }
        }
    };
    std::process::exit(code as i32);
}

fn init_logging(cli: &Cli) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = match &cli.command {
        Command::Crawl(args) if args.quiet => "error",
        Command::Crawl(args) if args.verbose => "glaneur=debug,info",
        Command::Crawl(_) if std::io::stderr().is_terminal() => "warn",
        _ => "info",
    };
    let filter = EnvFilter::try_from_env("GLANEUR_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

/// The error and its causes on one line, without repeating a cause that a message already
/// includes (library errors often show their source in their own message).
fn error_message(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    message
}
