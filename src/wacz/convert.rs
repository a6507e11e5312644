//! Recompressing WARC files record by record (zstd ↔ gzip): every record's bytes kept,
//! one gzip member or zstd frame per record, the output read back and compared before it
//! takes its final name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::encode::{BATCH_BYTES, Encoding};
use super::raw::{Batches, RawReader};
use super::{WaczError, output_stem, warc_files_in};
use crate::warc::{
    DEFAULT_DICTIONARY_SIZE, DEFAULT_TRAINING_RECORDS, Dictionary, WarcReader, zstd_dictionary,
};

/// The compression to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `.warc.gz`, one gzip member per record.
    Gzip,
    /// `.warc.zst`, one zstd frame per record.
    Zstd,
}

impl Target {
    fn extension(self) -> &'static str {
        match self {
            Target::Gzip => ".warc.gz",
            Target::Zstd => ".warc.zst",
        }
    }
}

/// The dictionary of `.warc.zst` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DictChoice {
    /// The source's own dictionary if it has one, else one trained on the file's first
    /// records (none if there is too little to learn from).
    Auto,
    /// No dictionary.
    Off,
    /// This dictionary file.
    File(PathBuf),
}

impl std::str::FromStr for DictChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auto" => DictChoice::Auto,
            "off" | "none" => DictChoice::Off,
            "" => return Err("empty dictionary setting".into()),
            path => DictChoice::File(PathBuf::from(path)),
        })
    }
}

/// One converted file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Converted {
    /// The source file.
    pub source: PathBuf,
    /// The file written.
    pub output: PathBuf,
    /// Records (the same in both).
    pub records: u64,
    /// Size of the source.
    pub source_bytes: u64,
    /// Size of the output.
    pub output_bytes: u64,
}

/// What a record stream hashes to: the count and SHA-256 of the records' bytes in order.
#[derive(Default, PartialEq, Eq, Debug)]
struct Fingerprint {
    records: u64,
    sha256: [u8; 32],
}

/// Converts every WARC file among `inputs` (files, or folders whose WARC files are taken)
/// to `target` in `output_dir`, keeping file names with the new extension. An existing
/// output file is never overwritten.
pub fn convert(
    inputs: &[PathBuf],
    target: Target,
    dict: &DictChoice,
    output_dir: &Path,
) -> Result<Vec<Converted>, WaczError> {
    let mut files = Vec::new();
    for input in inputs {
        files.extend(warc_files_in(input)?);
    }
    if files.is_empty() {
        return Err(WaczError::NoWarcFiles(
            inputs.first().cloned().unwrap_or_default(),
        ));
    }
    std::fs::create_dir_all(output_dir).map_err(WaczError::io(output_dir))?;
    let fixed = match dict {
        DictChoice::File(path) => {
            Some(Dictionary::load(path).map_err(|e| WaczError::Source(e.to_string()))?)
        }
        _ => None,
    };
    let mut done = Vec::with_capacity(files.len());
    for file in &files {
        let output = output_dir.join(format!("{}{}", output_stem(file), target.extension()));
        if output.exists() {
            return Err(WaczError::Exists(output));
        }
        let encoding = match target {
            Target::Gzip => Encoding::Gzip(super::encode::GZIP_LEVEL),
            Target::Zstd => Encoding::Zstd(match dict {
                DictChoice::Off => None,
                DictChoice::File(_) => fixed.clone(),
                DictChoice::Auto => auto_dictionary(file)?,
            }),
        };
        done.push(convert_file(file, &output, &encoding)?);
    }
    Ok(done)
}

/// The source's dictionary, or one trained on its first records.
fn auto_dictionary(file: &Path) -> Result<Option<Dictionary>, WaczError> {
    if crate::warc::compression_of(file).map_err(|e| WaczError::Source(e.to_string()))?
        == crate::warc::Compression::Zstd
        && let Some(bytes) = zstd_dictionary(file).map_err(|e| WaczError::Source(e.to_string()))?
    {
        return Ok(Dictionary::from_bytes(bytes).ok());
    }
    let mut samples = Vec::with_capacity(DEFAULT_TRAINING_RECORDS);
    for record in RawReader::open(file)?.take(DEFAULT_TRAINING_RECORDS) {
        samples.push(record?.bytes);
    }
    Ok(Dictionary::train(&samples, DEFAULT_DICTIONARY_SIZE).ok())
}

fn convert_file(source: &Path, output: &Path, encoding: &Encoding) -> Result<Converted, WaczError> {
    let partial = output.with_file_name(format!(
        ".{}.partial",
        output
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let result = write_converted(source, &partial, encoding).and_then(|(written, offsets)| {
        verify_output(&partial, &written, &offsets)?;
        Ok(written)
    });
    let written = match result {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, output).map_err(WaczError::io(output))?;
    Ok(Converted {
        source: source.to_path_buf(),
        output: output.to_path_buf(),
        records: written.records,
        source_bytes: std::fs::metadata(source).map(|m| m.len()).unwrap_or(0),
        output_bytes: std::fs::metadata(output).map(|m| m.len()).unwrap_or(0),
    })
}

/// Writes the converted file; returns the fingerprint of the records written and the
/// offset of each record's member/frame.
fn write_converted(
    source: &Path,
    partial: &Path,
    encoding: &Encoding,
) -> Result<(Fingerprint, Vec<u64>), WaczError> {
    let io_err = WaczError::io(partial);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(partial).map_err(io_err)?);
    let mut offset = 0u64;
    if let Encoding::Zstd(Some(dict)) = encoding {
        let frame = dict.frame().map_err(WaczError::io(partial))?;
        out.write_all(&frame).map_err(WaczError::io(partial))?;
        offset += frame.len() as u64;
    }
    let mut hasher = Sha256::new();
    let mut offsets = Vec::new();
    let mut records = 0u64;
    for batch in Batches::open(source, BATCH_BYTES)? {
        let batch = batch?;
        let parts = encoding
            .encode_all(&batch)
            .map_err(WaczError::io(partial))?;
        for (record, part) in batch.iter().zip(&parts) {
            hasher.update(&record.bytes);
            out.write_all(part).map_err(WaczError::io(partial))?;
            offsets.push(offset);
            offset += part.len() as u64;
            records += 1;
        }
    }
    let file = out
        .into_inner()
        .map_err(|e| WaczError::io(partial)(e.into_error()))?;
    file.sync_all().map_err(WaczError::io(partial))?;
    Ok((
        Fingerprint {
            records,
            sha256: hasher.finalize().into(),
        },
        offsets,
    ))
}

/// Reads the output back twice: its records' bytes must hash as the source's did, and the
/// project's reader must find each record at the start of its own member/frame.
fn verify_output(partial: &Path, want: &Fingerprint, offsets: &[u64]) -> Result<(), WaczError> {
    let mut hasher = Sha256::new();
    let mut records = 0u64;
    for record in RawReader::open(partial)? {
        hasher.update(&record?.bytes);
        records += 1;
    }
    let got = Fingerprint {
        records,
        sha256: hasher.finalize().into(),
    };
    if &got != want {
        return Err(WaczError::Verify {
            path: partial.to_path_buf(),
            message: format!(
                "read back {} records that differ from the {} written",
                got.records, want.records
            ),
        });
    }
    let mut reader = WarcReader::open(partial).map_err(|e| WaczError::Source(e.to_string()))?;
    let mut i = 0usize;
    while let Some(item) = reader.next() {
        let (offset, _) = item.map_err(|e| WaczError::Source(e.to_string()))?;
        if offsets.get(i) != Some(&offset) || reader.clean_end().is_none() {
            return Err(WaczError::Verify {
                path: partial.to_path_buf(),
                message: format!("record {i} is not alone in its member/frame at {offset}"),
            });
        }
        i += 1;
    }
    if i != offsets.len() {
        return Err(WaczError::Verify {
            path: partial.to_path_buf(),
            message: format!("{i} records read back, {} written", offsets.len()),
        });
    }
    Ok(())
}
