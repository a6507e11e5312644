//! The `glaneur` command: parses arguments, runs one command, maps errors to exit codes.

mod allocator;
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
    /// Nothing fetched: no start URL could be fetched at all (DNS, connection, refused
    /// private address).
    NothingFetched = 5,
    /// `profile check`: a profile's selector no longer matches its site.
    ProfileBroken = 6,
}

fn main() {
    allocator::configure();
    let cli = Cli::parse_from(cli::argfile::expand(std::env::args_os()));
    init_logging(&cli);
    let printer = cli.printer();
    let result = match &cli.command {
        Command::Crawl(args) => cli::crawl::run(args, printer),
        Command::Demo(args) => cli::demo::run(args, printer),
        Command::Extract(args) => cli::extract::run(args, printer).map(|()| ExitCode::Success),
        Command::Index(args) => cli::index::run(args, printer),
        Command::Get(args) => cli::get::run(args, printer),
        Command::Articles(args) => cli::articles::run(args, printer),
        Command::Verify(args) => cli::verify::run(args, printer),
        Command::Profile(args) => cli::profile::run(args, printer),
        Command::Stats(args) => cli::stats::run(args, printer),
        Command::Workers(args) => cli::workers::run(args, printer),
        Command::Dict(args) => cli::dict::run(args, printer),

        Command::Serve(args) => cli::serve::run(args, printer),
        Command::Completions(args) => cli::shell::completions(args),
        Command::Man(args) => cli::shell::man(args),

        Command::Wacz(args) => cli::share::run_wacz(args, printer),
        Command::Convert(args) => cli::share::run_convert(args, printer),
    };
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            let usage = error.downcast_ref::<cli::UsageError>().is_some();
            let locked = matches!(
                error.downcast_ref::<glaneur::crawl::CrawlError>(),
                Some(glaneur::crawl::CrawlError::Locked(
                    glaneur::crawl::LockError::Held { .. }
                        | glaneur::crawl::LockError::ArchiveHeld { .. }
                        | glaneur::crawl::LockError::WorkerHeld { .. }
                        | glaneur::crawl::LockError::WorkerTaken(_)
                ))
            );
            cli::logging::error(&error_message(&error));
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
    let default = match &cli.command {
        Command::Crawl(_) | Command::Demo(_) if cli.quiet => "error",
        Command::Crawl(_) | Command::Demo(_) if cli.verbose => "glaneur=debug,info",
        Command::Crawl(_) if std::io::stderr().is_terminal() => "warn",
        _ => "info",
    };
    cli::logging::init(cli.log_format, default);
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
