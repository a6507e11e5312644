//! `glaneur dict`: zstd dictionaries for `.warc.zst` files (`dict train`, `dict info`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use glaneur::warc::{DEFAULT_DICTIONARY_SIZE, Dictionary, WarcReader, zstd_dictionary};

use super::{Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur dict`.
#[derive(Debug, Args)]
#[command(after_long_help = "\
EXAMPLES:
    glaneur dict train archive/ --out site.zdict      train on an earlier crawl's records
    glaneur crawl --dict site.zdict                   every new WARC file carries it
    glaneur dict info archive/glaneur-….warc.zst      which dictionary a file uses

`glaneur crawl` trains a dictionary by itself on the first records of a crawl
(`--dict auto`, the default); a trained file is useful to start a re-crawl with a
dictionary from its first record, or to share one between machines.")]
pub struct DictArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: DictCommand,
}

/// The `dict` subcommands.
#[derive(Debug, Subcommand)]
pub enum DictCommand {
    /// Train a dictionary on WARC records (of archive folders or WARC files) or on plain
    /// files (each one a sample), and write it in zstd's dictionary format.
    Train(TrainArgs),
    /// Show the dictionary of a `.warc.zst` file or a dictionary file.
    Info(InfoArgs),
}

/// Arguments of `glaneur dict train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Archive folders (their WARC files), WARC files, or other files used as samples.
    #[arg(value_name = "PATH", default_value = "archive")]
    pub paths: Vec<PathBuf>,

    /// Where to write the dictionary.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,

    /// Largest dictionary size in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_DICTIONARY_SIZE)]
    pub size: usize,

    /// Records (or files) sampled at most, in order.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub records: usize,
}

/// Arguments of `glaneur dict info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// A `.warc.zst` file or a dictionary file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Runs `glaneur dict`.
pub fn run(args: &DictArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    match &args.command {
        DictCommand::Train(a) => train(a, printer),
        DictCommand::Info(a) => info(a, printer),
    }
}

fn is_warc(path: &Path) -> bool {
    let name = path.to_string_lossy().to_ascii_lowercase();
    [".warc", ".warc.gz", ".warc.zst"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The files a path stands for: a folder's WARC files (sorted), or the file itself.
fn expand(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_warc(p))
            .collect();
        files.sort();
        Ok(files)
    } else if path.is_file() {
        Ok(vec![path.to_path_buf()])
    } else {
        Err(anyhow::Error::new(UsageError(format!(
            "{}: no such file or folder",
            path.display()
        ))))
    }
}

fn train(args: &TrainArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let mut samples: Vec<Vec<u8>> = Vec::new();
    'paths: for path in &args.paths {
        for file in expand(path)? {
            if samples.len() >= args.records {
                break 'paths;
            }
            if is_warc(&file) {
                for item in WarcReader::open(&file)? {
                    let (_, record) = item?;
                    if record.record_type() == Some("warcinfo") {
                        continue;
                    }
                    samples.push(record.to_bytes());
                    if samples.len() >= args.records {
                        break 'paths;
                    }
                }
            } else {
                samples.push(
                    std::fs::read(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?,
                );
            }
        }
    }
    if samples.is_empty() {
        anyhow::bail!(UsageError("no record or file to learn from".into()));
    }
    let started = std::time::Instant::now();
    let dict = Dictionary::train(&samples, args.size)?;
    dict.save(&args.out)?;
    printer.info(format_args!(
        "dictionary {} ({} bytes) trained on {} samples in {:.2}s, written to {}",
        dict.id(),
        dict.as_bytes().len(),
        samples.len(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    ));
    Ok(ExitCode::Success)
}

fn info(args: &InfoArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let dict = if is_warc(&args.file) {
        match zstd_dictionary(&args.file)? {
            Some(bytes) => Dictionary::from_bytes(bytes)?,
            None => {
                printer.out(format!("{}: no dictionary\n", args.file.display()).as_bytes())?;
                return Ok(ExitCode::Success);
            }
        }
    } else {
        Dictionary::load(&args.file)?
    };
    printer.out(
        format!(
            "{}: zstd dictionary {} ({} bytes)\n",
            args.file.display(),
            dict.id(),
            dict.as_bytes().len()
        )
        .as_bytes(),
    )?;
    Ok(ExitCode::Success)
}
