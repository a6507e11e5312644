//! The one output path of the commands, in the manner of uv's `Printer`: results go to
//! standard output, messages for people to standard error. `--quiet` keeps only
//! warnings and errors, `--verbose` adds details, `--json` (per command) makes the
//! result JSON. Messages go through `logging`, so `--log-format json` makes them JSON
//! lines too. A closed standard output (`glaneur articles | head`) is not an error:
//! writing stops and the command succeeds.

use std::fmt::Display;
use std::io::Write;

/// How much the commands say on standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Warnings and errors only.
    Quiet,
    /// Summaries too.
    #[default]
    Normal,
    /// Details too.
    Verbose,
}

/// Where and how a command writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    verbosity: Verbosity,
    json: bool,
}

/// True when an I/O error means the reader of standard output went away.
fn is_closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

impl Printer {
    /// A printer for the global flags.
    pub fn new(quiet: bool, verbose: bool) -> Printer {
        let verbosity = if quiet {
            Verbosity::Quiet
        } else if verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Printer {
            verbosity,
            json: false,
        }
    }

    /// The same printer, writing its result as JSON when `json`.
    pub fn with_json(self, json: bool) -> Printer {
        Printer { json, ..self }
    }

    /// How much is said.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// True when the result is written as JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Writes result bytes to standard output; a closed pipe is not an error.
    pub fn out(&self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        match out.write_all(bytes).and_then(|()| out.flush()) {
            Err(e) if is_closed_pipe(&e) => Ok(()),
            other => Ok(other?),
        }
    }

    /// Writes a result as pretty JSON and a line end on standard output.
    pub fn out_json<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut text = serde_json::to_vec_pretty(value)?;
        text.push(b'\n');
        self.out(&text)
    }

    /// Writes a result as one JSON line on standard output.
    pub fn out_json_line<T: serde::Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut text = serde_json::to_vec(value)?;
        text.push(b'\n');
        self.out(&text)
    }

    /// A summary line for people on standard error (not with `--quiet`).
    pub fn info(&self, line: impl Display) {
        if self.verbosity != Verbosity::Quiet {
            super::logging::say(&line.to_string());
        }
    }

    /// A detail on standard error (only with `--verbose`).
    pub fn detail(&self, line: impl Display) {
        if self.verbosity == Verbosity::Verbose {
            super::logging::say(&line.to_string());
        }
    }

    /// A warning on standard error (always).
    pub fn warn(&self, line: impl Display) {
        super::logging::warn(&line.to_string());
    }

    /// An error line on standard error (always), for problems reported one by one.
    pub fn error(&self, line: impl Display) {
        super::logging::error(&line.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_choose_the_verbosity() {
        assert_eq!(Printer::new(true, false).verbosity(), Verbosity::Quiet);
        assert_eq!(Printer::new(false, true).verbosity(), Verbosity::Verbose);
        assert_eq!(Printer::default().verbosity(), Verbosity::Normal);
        assert!(Printer::default().with_json(true).json());
    }
}
