//! Writing a WACZ 1.1.1 package, streamed: records are read, recompressed and written into
//! the ZIP as they come; index lines are sorted with bounded memory and page lines spooled
//! to a temporary file, so memory does not grow with the archive.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::cdx::{ExternalSort, IndexFormat, ZIPNUM_BLOCK_LINES, ZipNumWriter, cdx_line};
use super::encode::{BATCH_BYTES, Encoding, WACZ_GZIP_LEVEL};
use super::pages::{PageLines, header_line};
use super::raw::{Batches, RawReader, RawRecord};
use super::revisits::is_not_modified_revisit;
use super::{WaczError, output_stem, warc_files_in};

/// The WACZ version written.
pub const WACZ_VERSION: &str = "1.1.1";

/// What goes into the package.
#[derive(Debug, Clone, Default)]
pub struct WaczOptions {
    /// Only captures of this host (or its subdomains).
    pub site: Option<String>,
    /// Only records dated this day or later (UTC).
    pub from: Option<NaiveDate>,
    /// Only records dated this day or earlier (UTC).
    pub to: Option<NaiveDate>,
    /// The package title (default: "glaneur archive").
    pub title: Option<String>,
    /// gzip level of the records (default [`WACZ_GZIP_LEVEL`]).
    pub gzip_level: Option<u32>,
    /// The form of the index.
    pub index: IndexFormat,
}

impl WaczOptions {
    fn filtered(&self) -> bool {
        self.site.is_some() || self.from.is_some() || self.to.is_some()
    }

    /// True for a record inside the site and day range. Records without a target URI
    /// (`warcinfo`) are not selected by themselves: they go with their file.
    fn selects(&self, record: &RawRecord) -> bool {
        let Some(uri) = record.target_uri() else {
            return false;
        };
        if let Some(site) = &self.site {
            let host = url::Url::parse(uri)
                .ok()
                .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
            let site = site.trim().trim_end_matches('.').to_ascii_lowercase();
            let Some(host) = host else { return false };
            if host != site && !host.ends_with(&format!(".{site}")) {
                return false;
            }
        }
        if self.from.is_some() || self.to.is_some() {
            let day = record
                .header("WARC-Date")
                .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok());
            let Some(day) = day else { return false };
            if self.from.is_some_and(|f| day < f) || self.to.is_some_and(|t| day > t) {
                return false;
            }
        }
        true
    }
}

/// What [`write_wacz`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WaczReport {
    /// WARC files read.
    pub source_files: usize,
    /// Compressed bytes of the WARC files read.
    pub source_bytes: u64,
    /// `archive/` files written.
    pub archive_files: usize,
    /// Records written.
    pub records: u64,
    /// Index lines.
    pub index_lines: u64,
    /// Pages listed in `pages/pages.jsonl`.
    pub pages: u64,
    /// `304 Not Modified` revisits left out of the index (readers would replay them as
    /// an empty 304; the records themselves are in the package): see [`super::revisits`].
    pub not_modified_unindexed: u64,
    /// Size of the package.
    pub package_bytes: u64,
}

/// A writer that hashes (SHA-256) and counts what goes through it.
struct Hashing<'a, W: Write> {
    inner: &'a mut W,
    hasher: Sha256,
    bytes: u64,
}

impl<'a, W: Write> Hashing<'a, W> {
    fn new(inner: &'a mut W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn resource(self, path: &str) -> serde_json::Value {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        json!({
            "name": name,
            "path": path,
            "hash": format!("sha256:{}", data_encoding::HEXLOWER.encode(&self.hasher.finalize())),
            "bytes": self.bytes,
        })
    }
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Everything a package is assembled from, besides the ZIP itself.
struct Parts {
    index: ExternalSort,
    pages: BufWriter<File>,
    pages_path: PathBuf,
    page_lines: PageLines,
    resources: Vec<serde_json::Value>,
    report: WaczReport,
}

/// Writes the records of the WARC files of `archive` (a folder, or one file) selected by
/// `options` as a WACZ package at `output` (written under a temporary name, renamed when
/// complete). Revisits come with the records they refer to, even outside the selection.
pub fn write_wacz(
    archive: &Path,
    output: &Path,
    options: &WaczOptions,
) -> Result<WaczReport, WaczError> {
    let files = warc_files_in(archive)?;
    if files.is_empty() {
        return Err(WaczError::NoWarcFiles(archive.to_path_buf()));
    }
    let referred = if options.filtered() {
        referred_ids(&files, options)?
    } else {
        HashSet::new()
    };
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".glaneur-wacz-")
        .tempdir_in(&parent)
        .map_err(WaczError::io(&parent))?;
    let partial = work.path().join("package.wacz");
    let pages_path = work.path().join("pages.jsonl");
    let mut parts = Parts {
        index: ExternalSort::new(work.path()),
        pages: BufWriter::new(File::create(&pages_path).map_err(WaczError::io(&pages_path))?),
        pages_path,
        page_lines: PageLines::default(),
        resources: Vec::new(),
        report: WaczReport::default(),
    };
    let out = File::create(&partial).map_err(WaczError::io(&partial))?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(1 << 20, out));
    for file in &files {
        add_warc(&mut zip, file, options, &referred, &mut parts)?;
    }
    finish_package(&mut zip, options, &mut parts).map_err(WaczError::io(&partial))?;
    let out = zip
        .finish()
        .map_err(|e| WaczError::Zip(e.to_string()))?
        .into_inner()
        .map_err(|e| WaczError::io(&partial)(e.into_error()))?;
    out.sync_all().map_err(WaczError::io(&partial))?;
    parts.report.package_bytes = out.metadata().map(|m| m.len()).unwrap_or(0);
    std::fs::rename(&partial, output).map_err(WaczError::io(output))?;
    Ok(parts.report)
}

/// The ids of the records that selected revisits refer to.
fn referred_ids(files: &[PathBuf], options: &WaczOptions) -> Result<HashSet<String>, WaczError> {
    let mut ids = HashSet::new();
    for file in files {
        for record in RawReader::open(file)? {
            let record = record?;
            if record.record_type() == Some("revisit")
                && options.selects(&record)
                && let Some(id) = record.header("WARC-Refers-To")
            {
                ids.insert(id.to_string());
            }
        }
    }
    Ok(ids)
}

fn zip_err(e: zip::result::ZipError) -> WaczError {
    WaczError::Zip(e.to_string())
}

/// Copies the selected records of one WARC file into `archive/<name>.warc.gz`, one gzip
/// member per record; adds their index and page lines.
fn add_warc<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    file: &Path,
    options: &WaczOptions,
    referred: &HashSet<String>,
    parts: &mut Parts,
) -> Result<(), WaczError> {
    let source_len = std::fs::metadata(file).map_err(WaczError::io(file))?.len();
    parts.report.source_files += 1;
    parts.report.source_bytes += source_len;
    let filename = format!("{}.warc.gz", output_stem(file));
    let path = format!("archive/{filename}");
    let mut warcinfo: Vec<RawRecord> = Vec::new();
    let mut entry: Option<Hashing<'_, ZipWriter<W>>> = None;
    let mut zip_slot = Some(zip);
    let mut offset = 0u64;
    for batch in Batches::open(file, BATCH_BYTES)? {
        let mut batch = batch?;
        if options.filtered() {
            let mut kept = Vec::with_capacity(batch.len());
            for record in batch {
                if options.selects(&record)
                    || record
                        .header("WARC-Record-ID")
                        .is_some_and(|id| referred.contains(id))
                {
                    kept.push(record);
                } else if record.record_type() == Some("warcinfo") {
                    warcinfo.push(record);
                }
            }
            batch = kept;
        }
        if batch.is_empty() {
            continue;
        }
        let out = match &mut entry {
            Some(out) => out,
            None => {
                let zip = zip_slot
                    .take()
                    .ok_or_else(|| WaczError::Zip("no zip".into()))?;
                // An entry may grow past 4 GiB when its source is large: ZIP64 fields then.
                let stored = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Stored)
                    .large_file(source_len > 512 << 20);
                zip.start_file(path.as_str(), stored).map_err(zip_err)?;
                // The warcinfo records met before the first selected record lead the file.
                warcinfo.append(&mut batch);
                batch = std::mem::take(&mut warcinfo);
                entry.insert(Hashing::new(zip))
            }
        };
        let encoding = Encoding::Gzip(options.gzip_level.unwrap_or(WACZ_GZIP_LEVEL));
        write_batch(out, &batch, (&filename, &encoding), &mut offset, parts)
            .map_err(WaczError::io(file))?;
    }
    if let Some(out) = entry {
        parts.resources.push(out.resource(&path));
        parts.report.archive_files += 1;
    }
    Ok(())
}

/// Compresses and writes a batch of records; records their index and page lines.
fn write_batch<W: Write>(
    out: &mut Hashing<'_, W>,
    batch: &[RawRecord],
    (filename, encoding): (&str, &Encoding),
    offset: &mut u64,
    parts: &mut Parts,
) -> std::io::Result<()> {
    let members = encoding.encode_all(batch)?;
    for (record, member) in batch.iter().zip(&members) {
        out.write_all(member)?;
        let length = member.len() as u64;
        if is_not_modified_revisit(record) {
            parts.report.not_modified_unindexed += 1;
        } else if let Some(line) = cdx_line(record, filename, *offset, length) {
            parts.index.push(line)?;
        }
        if let Some(line) = parts.page_lines.line_for(record) {
            parts.pages.write_all(line.as_bytes())?;
            parts.pages.write_all(b"\n")?;
            parts.report.pages += 1;
        }
        *offset += length;
        parts.report.records += 1;
    }
    Ok(())
}

/// Writes the index as ZipNum: `indexes/index.cdx.gz` (stored: its blocks are gzip
/// members a reader fetches by range) and `indexes/index.idx`.
fn write_zipnum<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    index: ExternalSort,
    parts: &mut Parts,
) -> std::io::Result<()> {
    let zerr = |e: zip::result::ZipError| std::io::Error::other(e.to_string());
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    zip.start_file("indexes/index.cdx.gz", stored)
        .map_err(zerr)?;
    let mut blocks = ZipNumWriter::new(Hashing::new(zip), "index.cdx.gz", ZIPNUM_BLOCK_LINES);
    parts.report.index_lines = index.finish(&mut blocks)?;
    let (out, idx) = blocks.finish()?;
    parts.resources.push(out.resource("indexes/index.cdx.gz"));
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    zip.start_file("indexes/index.idx", deflated)
        .map_err(zerr)?;
    let mut out = Hashing::new(zip);
    for line in &idx {
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
    }
    parts.resources.push(out.resource("indexes/index.idx"));
    Ok(())
}

/// Writes the index, the page list, `datapackage.json` and `datapackage-digest.json`.
fn finish_package<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    options: &WaczOptions,
    parts: &mut Parts,
) -> std::io::Result<()> {
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .large_file(true);
    let zerr = |e: zip::result::ZipError| std::io::Error::other(e.to_string());

    let index = std::mem::replace(&mut parts.index, ExternalSort::new(Path::new(".")));
    if options.index.zipnum_for(index.len()) {
        write_zipnum(zip, index, parts)?;
    } else {
        zip.start_file("indexes/index.cdx", deflated)
            .map_err(zerr)?;
        let mut out = Hashing::new(zip);
        parts.report.index_lines = index.finish(&mut out)?;
        parts.resources.push(out.resource("indexes/index.cdx"));
    }

    parts.pages.flush()?;
    let title = options.title.as_deref().unwrap_or("glaneur archive");
    zip.start_file("pages/pages.jsonl", deflated)
        .map_err(zerr)?;
    let mut out = Hashing::new(zip);
    out.write_all(header_line(title).as_bytes())?;
    out.write_all(b"\n")?;
    let mut spooled = BufReader::new(File::open(&parts.pages_path)?);
    loop {
        let buf = spooled.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        out.write_all(buf)?;
        spooled.consume(n);
    }
    parts.resources.push(out.resource("pages/pages.jsonl"));

    let created = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let package = json!({
        "profile": "data-package",
        "resources": parts.resources,
        "wacz_version": WACZ_VERSION,
        "software": format!("glaneur {}", env!("CARGO_PKG_VERSION")),
        "created": created,
        "title": title,
    });
    let package = serde_json::to_vec_pretty(&package)?;
    zip.start_file("datapackage.json", deflated).map_err(zerr)?;
    zip.write_all(&package)?;
    let digest = json!({
        "path": "datapackage.json",
        "hash": format!("sha256:{}", data_encoding::HEXLOWER.encode(&Sha256::digest(&package))),
    });
    zip.start_file("datapackage-digest.json", deflated)
        .map_err(zerr)?;
    zip.write_all(&serde_json::to_vec_pretty(&digest)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(uri: Option<&str>, date: &str) -> RawRecord {
        let mut fields = vec![("WARC-Date".to_string(), date.to_string())];
        if let Some(u) = uri {
            fields.push(("WARC-Target-URI".into(), u.into()));
        }
        RawRecord {
            bytes: b"WARC/1.1\r\n\r\n\r\n\r\n".to_vec(),
            header_len: 12,
            fields,
        }
    }

    #[test]
    fn site_takes_subdomains_and_days_are_inclusive() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let options = WaczOptions {
            site: Some("News.test".into()),
            from: day("2024-05-01"),
            to: day("2024-05-31"),
            ..Default::default()
        };
        assert!(options.filtered());
        assert!(options.selects(&record(Some("http://news.test/a"), "2024-05-01T00:00:00Z")));
        assert!(options.selects(&record(
            Some("https://www.news.test/"),
            "2024-05-31T23:59:59Z"
        )));
        assert!(!options.selects(&record(
            Some("http://othernews.test/"),
            "2024-05-10T00:00:00Z"
        )));
        assert!(!options.selects(&record(Some("http://news.test/"), "2024-06-01T00:00:00Z")));
        assert!(!options.selects(&record(Some("http://news.test/"), "2024-04-30T23:59:59Z")));
        assert!(
            !options.selects(&record(None, "2024-05-10T00:00:00Z")),
            "warcinfo goes with its file"
        );
        assert!(!WaczOptions::default().filtered());
    }
}
