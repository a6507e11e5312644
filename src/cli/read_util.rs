//! Helpers shared by the commands that read the archive: stdout that ends quietly on a
//! closed pipe, JSON printing, argument checks.

use std::io::Write;
use std::path::Path;

use super::crawl::UsageError;

/// Fails with a usage error unless `dir` is a folder.
pub fn archive_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!(UsageError(format!(
            "{}: no such archive folder",
            dir.display()
        )));
    }
    Ok(())
}

/// Writes bytes to standard output; a closed pipe (`| head`) is not an error.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Prints a value as pretty JSON (and a line end) on standard output.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_vec_pretty(value)?;
    text.push(b'\n');
    write_stdout(&text)
}

/// The exit code of a read command that skipped `damaged` unreadable parts: 1 (fatal)
/// unless `keep_going`, so that a script does not take a partial result for a whole one.
pub fn damage_exit(damaged: usize, keep_going: bool) -> crate::ExitCode {
    if damaged == 0 || keep_going {
        return crate::ExitCode::Success;
    }
    eprintln!(
        "error: {damaged} damaged part(s) could not be read (see `glaneur verify`); the output leaves them out (--keep-going accepts this)"
    );
    crate::ExitCode::Fatal
}
