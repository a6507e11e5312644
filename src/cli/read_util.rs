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
