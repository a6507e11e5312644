//! The WARC writer: a `warcinfo` record first in every file, then request/response pairs
//! and metadata records; one zstd frame (or gzip member) per record; files named
//! `glaneur-<YYYYMMDDhhmmss>-<serial>-<hostname>.warc.zst`, written as `….open` and
//! renamed when closed; rotated past `max_file_bytes`.
//!
//! # Transfer coding and truncation
//!
//! The fetcher hands over the entity body with the chunked framing already removed, while
//! `Capture::response_head` still says `Transfer-Encoding: chunked`. Storing that head in
//! front of the de-chunked body would not be a valid HTTP message, and re-framing the body
//! as one chunk would make the bytes after the HTTP headers differ from the payload, which
//! strict validators (and warcio/pywb) hash as-is. So the writer renames the header field
//! to `X-Glaneur-Orig-Transfer-Encoding` (value kept), leaving every other byte of the head
//! as received: the block is then a plain HTTP message delimited by the record's length,
//! and `WARC-Payload-Digest` (SHA-1 of the body, `Content-Encoding` intact) equals the hash
//! of the bytes after the headers.
//!
//! A truncated body (`Capture::truncated`) is stored as far as it was received, with
//! `WARC-Truncated: <reason>`; a `Content-Length` field in the head that no longer matches
//! is likewise renamed `X-Glaneur-Orig-Content-Length`, so replay tools do not wait for
//! bytes that were never archived. Both digests cover the bytes actually stored.
//!
//! # Durability
//!
//! Each record is compressed in memory into one zstd frame (content size and checksum set)
//! or one gzip member and handed to a `BufWriter` with a single `write_all`; every capture
//! and metadata record is flushed to the OS before the call returns. On a write error the
//! file is cut back to the end of the last flushed record and closed, so a crash or a full
//! disk loses at most the capture being written; `repair_open_files` cleans up after a crash.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use zstd::zstd_safe;

use super::dict::{Dictionary, Sampler};
use super::record::{push_field, sha1_digest};
use super::{RecordId, WarcError};
use crate::capture::Capture;

/// Per-record compression of WARC files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Compression {
    /// `.warc.zst`: one zstd frame per record (the default).
    #[default]
    Zstd,
    /// `.warc.gz`: one gzip member per record.
    Gzip,
    /// `.warc`: uncompressed.
    None,
}

impl Compression {
    /// The file name extension, `.warc.zst`, `.warc.gz` or `.warc`.
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Zstd => ".warc.zst",
            Compression::Gzip => ".warc.gz",
            Compression::None => ".warc",
        }
    }
}

/// zstd level used for `.warc.zst` files (requests, responses, revisits, warcinfo).
pub const ZSTD_LEVEL: i32 = 3;

/// zstd level of the `metadata` records (the extracted article as JSON): text that level 6
/// makes 10 % smaller than level 3 with a dictionary (level 7: 12 % for 1.4× the time of
/// level 6, level 9: 13 % for 2.3×); they are about an eighth of the raw bytes of a crawl,
/// so the extra CPU is about 0.1 ms per article (measured in BENCHMARKS.md).
pub const ZSTD_TEXT_LEVEL: i32 = 6;

/// Suffix of files being written.
pub const OPEN_SUFFIX: &str = ".open";

/// Suffix given by [`repair_open_files`] to an `.open` file that holds no valid record.
pub const CORRUPT_SUFFIX: &str = ".corrupt";

/// How to write.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Directory of the WARC files (created if missing).
    pub dir: PathBuf,
    /// Compression.
    pub compression: Compression,
    /// Rotate to a new file once the current one is larger than this.
    pub max_file_bytes: u64,
    /// File name prefix (default `glaneur`).
    pub prefix: String,
    /// Extra `warcinfo` fields (e.g. the politeness settings), written after the standard ones.
    pub warcinfo: Vec<(String, String)>,
}

impl WriterConfig {
    /// Defaults: zstd, 1 GiB files, prefix `glaneur`, no extra warcinfo fields.
    pub fn new(dir: impl Into<PathBuf>) -> WriterConfig {
        WriterConfig {
            dir: dir.into(),
            compression: Compression::Zstd,
            max_file_bytes: 1 << 30,
            prefix: "glaneur".to_string(),
            warcinfo: Vec::new(),
        }
    }
}

/// The file being written.
struct OpenFile {
    /// Final file name.
    name: String,
    open_path: PathBuf,
    final_path: PathBuf,
    out: BufWriter<File>,
    /// Bytes written (buffered included).
    size: u64,
    /// Bytes known to have reached the OS, always at a record boundary.
    durable: u64,
    warcinfo_id: RecordId,
}

/// Where the writer stands with its zstd dictionary.
#[derive(Debug)]
enum DictState {
    /// No dictionary.
    Off,
    /// Collecting the first records to train one.
    Sampling(Box<Sampler>),
    /// Every file opened from now on carries this dictionary.
    Active {
        dictionary: Dictionary,
        /// The dictionary frame written at the start of each file.
        frame: Vec<u8>,
    },
}

/// Writes WARC files into one directory. Blocking I/O: run it off the async reactor.
pub struct WarcWriter {
    config: WriterConfig,
    hostname: String,
    codec: Codec,
    /// Reused buffer for one compressed record.
    frame: Vec<u8>,
    /// Reused buffer for the WARC header of one record.
    head: Vec<u8>,
    current: Option<OpenFile>,
    closed: Vec<PathBuf>,
    serial: u32,
    dict: DictState,
    /// Told of every record written and file closed (see [`WarcWriter::observe`]).
    observer: Option<Box<dyn RecordObserver>>,
}

impl std::fmt::Debug for WarcWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WarcWriter")
            .field("config", &self.config)
            .field("current", &self.current.as_ref().map(|c| &c.open_path))
            .field("closed", &self.closed)
            .finish()
    }
}

fn io_err(path: &Path, source: io::Error) -> WarcError {
    WarcError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn zstd_err(code: usize) -> io::Error {
    io::Error::other(format!("zstd: {}", zstd_safe::get_error_name(code)))
}

/// `YYYY-MM-DDThh:mm:ssZ` (second precision: accepted by every WARC 1.0/1.1 reader).
pub fn warc_date(date: DateTime<Utc>) -> String {
    date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The date for a metadata record derived from `capture`: the first whole second after
/// the end of the fetch (`started + elapsed`), hence always a later second than the
/// response's `WARC-Date` (see [`WarcWriter::write_capture_metadata`]).
pub fn metadata_date(capture: &Capture) -> DateTime<Utc> {
    let end = capture.started + chrono::Duration::from_std(capture.elapsed).unwrap_or_default();
    let whole = end.timestamp();
    DateTime::from_timestamp(whole + 1, 0).unwrap_or(end)
}

impl WarcWriter {
    /// Prepares a writer; the first file is created on the first write.
    pub fn new(config: WriterConfig) -> Result<WarcWriter, WarcError> {
        std::fs::create_dir_all(&config.dir).map_err(|e| io_err(&config.dir, e))?;
        let codec = Codec::new(config.compression).map_err(|e| io_err(&config.dir, e))?;
        Ok(WarcWriter {
            config,
            hostname: local_hostname(),
            codec,
            frame: Vec::new(),
            head: Vec::new(),
            current: None,
            closed: Vec::new(),
            serial: 0,
            dict: DictState::Off,
            observer: None,
        })
    }

    /// Compresses every record of the files opened from now on with `dictionary`, each
    /// file starting with its dictionary frame (IIPC WARC-zstd). A file already open is
    /// closed first, so that no file mixes records with and without the dictionary.
    /// Ignored unless the compression is zstd.
    pub fn use_dictionary(&mut self, dictionary: Dictionary) -> Result<(), WarcError> {
        if !matches!(self.codec, Codec::Zstd(_)) {
            return Ok(());
        }
        let dir = self.config.dir.clone();
        let frame = dictionary.frame().map_err(|e| io_err(&dir, e))?;
        self.close_current()?;
        let Codec::Zstd(z) = &mut self.codec else {
            return Ok(());
        };
        for cctx in [&mut z.capture, &mut z.text] {
            cctx.load_dictionary(dictionary.as_bytes())
                .map_err(|c| io_err(&dir, zstd_err(c)))?;
            // Reference the dictionary's tables instead of copying them for every record.
            cctx.set_parameter(zstd_safe::CParameter::ForceAttachDict(
                zstd_safe::DictAttachPref::ForceAttach,
            ))
            .map_err(|c| io_err(&dir, zstd_err(c)))?;
        }
        tracing::info!(
            "zstd dictionary {} ({} bytes) in use for new WARC files",
            dictionary.id(),
            dictionary.as_bytes().len()
        );
        if let Err(e) = save_dictionary_copy(&dir, &dictionary) {
            tracing::warn!(
                "could not keep a copy of zstd dictionary {}: {e} (a damaged dictionary frame would make its files unreadable)",
                dictionary.id()
            );
        }
        self.dict = DictState::Active { dictionary, frame };
        Ok(())
    }

    /// Trains a dictionary of at most `max_size` bytes on the first `records` records
    /// written (the current file keeps them without one), then uses it for every new
    /// file (see [`WarcWriter::use_dictionary`]); if training fails (too little data),
    /// the crawl goes on without. Ignored unless the compression is zstd.
    pub fn train_dictionary(&mut self, records: usize, max_size: usize) {
        if matches!(self.codec, Codec::Zstd(_)) {
            self.dict = DictState::Sampling(Box::new(Sampler::new(records, max_size)));
        }
    }

    /// Applies a crawl's dictionary setting: train one on the first
    /// [`DEFAULT_TRAINING_RECORDS`](super::DEFAULT_TRAINING_RECORDS) records (`auto`),
    /// none (`off`), or load a dictionary file.
    pub fn apply_dictionary_setting(
        &mut self,
        setting: &super::DictionarySetting,
    ) -> Result<(), WarcError> {
        use super::{DictionaryError, DictionarySetting};
        match setting {
            DictionarySetting::Off => {
                self.dict = DictState::Off;
                Ok(())
            }
            DictionarySetting::Auto => {
                self.train_dictionary(
                    super::DEFAULT_TRAINING_RECORDS,
                    super::DEFAULT_DICTIONARY_SIZE,
                );
                Ok(())
            }
            DictionarySetting::File(path) => {
                let dictionary = Dictionary::load(path).map_err(|e| match e {
                    DictionaryError::Io { path, source } => WarcError::Io { path, source },
                    other => WarcError::Malformed {
                        path: path.clone(),
                        offset: 0,
                        message: other.to_string(),
                    },
                })?;
                self.use_dictionary(dictionary)
            }
        }
    }

    /// Tells `observer` of every record written from now on, and of every file closed.
    pub fn observe(&mut self, observer: Box<dyn RecordObserver>) {
        self.observer = Some(observer);
    }

    /// The dictionary new files are written with, if any.
    pub fn dictionary(&self) -> Option<&Dictionary> {
        match &self.dict {
            DictState::Active { dictionary, .. } => Some(dictionary),
            _ => None,
        }
    }

    /// Trains the dictionary once enough records were sampled, and switches to it.
    fn maybe_train(&mut self) -> Result<(), WarcError> {
        let DictState::Sampling(sampler) = &self.dict else {
            return Ok(());
        };
        if !sampler.full() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        match sampler.train() {
            Ok(dictionary) => {
                tracing::debug!(
                    "zstd dictionary trained in {} ms",
                    started.elapsed().as_millis()
                );
                self.use_dictionary(dictionary)
            }
            Err(e) => {
                tracing::warn!("{e}; WARC records are compressed without a dictionary");
                self.dict = DictState::Off;
                Ok(())
            }
        }
    }

    /// The path of the file being written (with its `.open` suffix), if any.
    pub fn current_path(&self) -> Option<&Path> {
        self.current.as_ref().map(|c| c.open_path.as_path())
    }

    /// Writes a request and a response record for one exchange.
    pub fn write_capture(&mut self, capture: &Capture) -> Result<CaptureLocation, WarcError> {
        let res = self.write_capture_inner(capture);
        self.after_write(res)
    }

    /// Writes a request record and a `revisit` record for one exchange whose payload is
    /// not stored again: the revisit's block is the HTTP response head only (as warcio and
    /// pywb expect), with `WARC-Refers-To`, `WARC-Refers-To-Target-URI`,
    /// `WARC-Refers-To-Date` and the earlier record's `WARC-Payload-Digest`. The returned
    /// location's `response` is the revisit record.
    pub fn write_revisit(
        &mut self,
        capture: &Capture,
        profile: RevisitProfile,
        of: &RevisitOf,
    ) -> Result<CaptureLocation, WarcError> {
        let res = self.write_revisit_inner(capture, profile, of);
        self.after_write(res)
    }

    /// Writes a `metadata` record about `target_uri` that refers to the record `refers_to`.
    /// See [`WarcWriter::write_capture_metadata`] about the choice of `date`.
    pub fn write_metadata(
        &mut self,
        target_uri: &str,
        refers_to: &RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: &[u8],
    ) -> Result<RecordLocation, WarcError> {
        let res =
            self.write_referring("metadata", target_uri, refers_to, date, content_type, block);
        self.after_write(res)
    }

    /// Writes a `metadata` record about a capture (e.g. the extracted article as JSON),
    /// referring to its response record, dated with [`metadata_date`].
    ///
    /// Replay indexes (cdxj-indexer, pywb) index metadata records unless their
    /// Content-Type is `application/warc-fields`, under the same URL key as the response;
    /// pywb serves the first of equally close captures, so a metadata record dated in the
    /// same second as its response can be replayed instead of the page. Dating it after
    /// the fetch ended (which is also when it was produced) avoids that.
    pub fn write_capture_metadata(
        &mut self,
        capture: &Capture,
        response: &RecordId,
        content_type: &str,
        block: &[u8],
    ) -> Result<RecordLocation, WarcError> {
        self.write_metadata(
            capture.url.as_str(),
            response,
            metadata_date(capture),
            content_type,
            block,
        )
    }

    /// Flushes buffered bytes to the operating system.
    pub fn flush(&mut self) -> Result<(), WarcError> {
        let res = self.flush_current();
        self.after_write(res)
    }

    /// Closes the current file (renaming it from `.open`); returns every file this writer closed.
    pub fn finish(mut self) -> Result<Vec<PathBuf>, WarcError> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.closed))
    }

    /// What the request and the response (or revisit) records of one exchange share.
    fn begin_exchange(&mut self, capture: &Capture) -> Result<Exchange, WarcError> {
        self.ensure_open()?;
        let (warcinfo_id, file) = match &self.current {
            Some(f) => (f.warcinfo_id.0.clone(), f.name.clone()),
            None => unreachable_file(&self.config.dir)?,
        };
        Ok(Exchange {
            date: warc_date(capture.started),
            uri: clean_uri(capture.url.as_str()).into_owned(),
            ip: capture.ip.map(|ip| ip.to_string()),
            warcinfo_id,
            file,
            request_id: RecordId::new(),
            response_id: RecordId::new(),
        })
    }

    /// The leading fields of the exchange's response-side record, up to `WARC-Concurrent-To`.
    fn response_fields<'a>(ex: &'a Exchange, warc_type: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut fields: Vec<(&str, &str)> = vec![
            ("WARC-Type", warc_type),
            ("WARC-Record-ID", &ex.response_id.0),
            ("WARC-Date", &ex.date),
            ("WARC-Target-URI", &ex.uri),
        ];
        if let Some(ip) = &ex.ip {
            fields.push(("WARC-IP-Address", ip));
        }
        fields.extend([
            ("WARC-Warcinfo-ID", ex.warcinfo_id.as_str()),
            ("WARC-Concurrent-To", ex.request_id.0.as_str()),
        ]);
        fields
    }

    /// Writes the exchange's request record; returns its offset and length.
    fn emit_request(&mut self, ex: &Exchange, capture: &Capture) -> Result<(u64, u64), WarcError> {
        let digest = sha1_digest(&capture.request);
        let mut fields: Vec<(&str, &str)> = vec![
            ("WARC-Type", "request"),
            ("WARC-Record-ID", &ex.request_id.0),
            ("WARC-Date", &ex.date),
            ("WARC-Target-URI", &ex.uri),
        ];
        if let Some(ip) = &ex.ip {
            fields.push(("WARC-IP-Address", ip));
        }
        fields.extend([
            ("WARC-Warcinfo-ID", ex.warcinfo_id.as_str()),
            ("WARC-Concurrent-To", ex.response_id.0.as_str()),
            ("Content-Type", "application/http;msgtype=request"),
            ("WARC-Block-Digest", digest.as_str()),
        ]);
        build_header(&mut self.head, &fields, capture.request.len());
        self.emit_head_and(&[&capture.request])
    }

    fn write_capture_inner(&mut self, capture: &Capture) -> Result<CaptureLocation, WarcError> {
        let ex = self.begin_exchange(capture)?;
        let request = self.emit_request(&ex, capture)?;
        let head = rewrite_response_head(
            &capture.response_head,
            capture.body.len(),
            capture.truncated.is_some(),
        );
        let (block_digest, payload_digest) = digests(&head, &capture.body);
        let mut fields = Self::response_fields(&ex, "response");
        fields.extend([
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Block-Digest", block_digest.as_str()),
            ("WARC-Payload-Digest", payload_digest.as_str()),
        ]);
        if let Some(t) = capture.truncated {
            fields.push(("WARC-Truncated", t.as_warc_value()));
        }
        build_header(&mut self.head, &fields, head.len() + capture.body.len());
        let response = self.emit_head_and(&[&head, &capture.body])?;
        self.flush_current()?;
        Ok(ex.locations(request, response, payload_digest))
    }

    fn write_revisit_inner(
        &mut self,
        capture: &Capture,
        profile: RevisitProfile,
        of: &RevisitOf,
    ) -> Result<CaptureLocation, WarcError> {
        let ex = self.begin_exchange(capture)?;
        let request = self.emit_request(&ex, capture)?;
        let head = rewrite_response_head(
            &capture.response_head,
            capture.body.len(),
            capture.truncated.is_some(),
        );
        let block_digest = sha1_digest(&head);
        let refers_to = clean(&of.record_id);
        let refers_uri = clean_uri(&of.target_uri);
        let refers_date = warc_date(of.date);
        let payload = clean(&of.payload_digest);
        let mut fields = Self::response_fields(&ex, "revisit");
        fields.extend([
            ("WARC-Profile", profile.uri()),
            ("WARC-Refers-To", &refers_to),
            ("WARC-Refers-To-Target-URI", &refers_uri),
            ("WARC-Refers-To-Date", &refers_date),
            ("WARC-Payload-Digest", &payload),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Block-Digest", block_digest.as_str()),
        ]);
        build_header(&mut self.head, &fields, head.len());
        let revisit = self.emit_head_and(&[&head])?;
        self.flush_current()?;
        Ok(ex.locations(request, revisit, of.payload_digest.clone()))
    }

    /// Writes a record of `warc_type` (`metadata`, `conversion`) referring to `refers_to`.
    fn write_referring(
        &mut self,
        warc_type: &str,
        target_uri: &str,
        refers_to: &RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: &[u8],
    ) -> Result<RecordLocation, WarcError> {
        self.ensure_open()?;
        let (warcinfo_id, file_name) = match &self.current {
            Some(f) => (f.warcinfo_id.0.clone(), f.name.clone()),
            None => unreachable_file(&self.config.dir)?,
        };
        let id = RecordId::new();
        let date = warc_date(date);
        let uri = clean_uri(target_uri);
        let refers = clean(&refers_to.0);
        let ctype = clean(content_type);
        let digest = sha1_digest(block);
        let fields: [(&str, &str); 8] = [
            ("WARC-Type", warc_type),
            ("WARC-Record-ID", &id.0),
            ("WARC-Date", &date),
            ("WARC-Target-URI", &uri),
            ("WARC-Warcinfo-ID", &warcinfo_id),
            ("WARC-Refers-To", &refers),
            ("Content-Type", &ctype),
            ("WARC-Block-Digest", &digest),
        ];
        build_header(&mut self.head, &fields, block.len());
        let (offset, length) = self.emit_record(&[block], RecordClass::Text)?;
        self.flush_current()?;
        Ok(RecordLocation {
            file: file_name,
            offset,
            length,
            id,
        })
    }

    /// After a write: on success, rotate if the file is full; on error, cut the file back
    /// to its last flushed record and close it.
    fn after_write<T>(&mut self, res: Result<T, WarcError>) -> Result<T, WarcError> {
        match res {
            Ok(v) => {
                if self
                    .current
                    .as_ref()
                    .is_some_and(|c| c.size >= self.config.max_file_bytes)
                {
                    self.close_current()?;
                }
                self.maybe_train()?;
                Ok(v)
            }
            Err(e) => {
                self.abandon_current();
                Err(e)
            }
        }
    }

    /// Compresses `self.head` followed by `block` as one record and writes it.
    fn emit_head_and(&mut self, block: &[&[u8]]) -> Result<(u64, u64), WarcError> {
        self.emit_record(block, RecordClass::Capture)
    }

    /// Compresses `self.head` followed by `block` as one record of `class` and writes it.
    fn emit_record(
        &mut self,
        block: &[&[u8]],
        class: RecordClass,
    ) -> Result<(u64, u64), WarcError> {
        let Some(file) = self.current.as_mut() else {
            return unreachable_file(&self.config.dir);
        };
        let mut pieces: Vec<&[u8]> = Vec::with_capacity(block.len() + 2);
        pieces.push(&self.head);
        pieces.extend_from_slice(block);
        pieces.push(b"\r\n\r\n");
        if let DictState::Sampling(sampler) = &mut self.dict
            && !sampler.full()
        {
            sampler.add(&pieces);
        }
        let offset = file.size;
        let length = if let Codec::None = self.codec {
            // Uncompressed: no need to copy the block into a frame buffer.
            let mut n = 0u64;
            for p in &pieces {
                file.out
                    .write_all(p)
                    .map_err(|e| io_err(&file.open_path, e))?;
                n += p.len() as u64;
            }
            n
        } else {
            self.codec
                .encode(&pieces, class, &mut self.frame)
                .map_err(|e| io_err(&file.open_path, e))?;
            file.out
                .write_all(&self.frame)
                .map_err(|e| io_err(&file.open_path, e))?;
            let n = self.frame.len() as u64;
            if self.frame.capacity() > 64 << 20 {
                // do not keep a huge buffer around after an unusually large record
                self.frame = Vec::new();
            }
            n
        };
        file.size += length;
        if let Some(observer) = self.observer.as_mut() {
            observer.written(&WrittenRecord {
                file: &file.name,
                offset,
                length,
                header: &self.head,
                block_start: block.first().copied().unwrap_or_default(),
            });
        }
        Ok((offset, length))
    }

    fn flush_current(&mut self) -> Result<(), WarcError> {
        if let Some(file) = self.current.as_mut() {
            file.out.flush().map_err(|e| io_err(&file.open_path, e))?;
            file.durable = file.size;
        }
        Ok(())
    }

    /// Opens a new file (writing its `warcinfo` record) if none is open.
    fn ensure_open(&mut self) -> Result<(), WarcError> {
        if self.current.is_some() {
            return Ok(());
        }
        let stamp = Utc::now().format("%Y%m%d%H%M%S").to_string();
        let ext = self.config.compression.extension();
        let (name, open_path, final_path, file) = loop {
            let name = format!(
                "{}-{}-{:05}-{}{}",
                self.config.prefix, stamp, self.serial, self.hostname, ext
            );
            self.serial += 1;
            let final_path = self.config.dir.join(&name);
            let open_path = self.config.dir.join(format!("{name}{OPEN_SUFFIX}"));
            if final_path.exists() {
                continue;
            }
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&open_path)
            {
                Ok(f) => break (name, open_path, final_path, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && self.serial < 100_000 => {
                    continue;
                }
                Err(e) => return Err(io_err(&open_path, e)),
            }
        };
        let warcinfo_id = RecordId::new();
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let mut size = 0;
        if let DictState::Active { frame, .. } = &self.dict {
            out.write_all(frame).map_err(|e| io_err(&open_path, e))?;
            size = frame.len() as u64;
        }
        self.current = Some(OpenFile {
            name: name.clone(),
            open_path,
            final_path,
            out,
            size,
            durable: 0,
            warcinfo_id: warcinfo_id.clone(),
        });

        let mut info = Vec::with_capacity(512);
        push_field(
            &mut info,
            "software",
            &format!("glaneur/{}", env!("CARGO_PKG_VERSION")),
        );
        push_field(&mut info, "hostname", &self.hostname);
        push_field(&mut info, "format", "WARC File Format 1.1");
        push_field(
            &mut info,
            "conformsTo",
            "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        );
        for (n, v) in &self.config.warcinfo {
            push_field(&mut info, &clean_name(n), &clean(v));
        }
        let date = warc_date(Utc::now());
        let digest = sha1_digest(&info);
        let fields: [(&str, &str); 6] = [
            ("WARC-Type", "warcinfo"),
            ("WARC-Record-ID", &warcinfo_id.0),
            ("WARC-Date", &date),
            ("WARC-Filename", &name),
            ("Content-Type", "application/warc-fields"),
            ("WARC-Block-Digest", &digest),
        ];
        build_header(&mut self.head, &fields, info.len());
        self.emit_head_and(&[&info])?;
        Ok(())
    }

    /// Flushes, syncs and renames the current file to its final name.
    fn close_current(&mut self) -> Result<(), WarcError> {
        let Some(mut file) = self.current.take() else {
            return Ok(());
        };
        let res = file
            .out
            .flush()
            .and_then(|()| file.out.get_ref().sync_all())
            .map_err(|e| io_err(&file.open_path, e));
        if let Err(e) = res {
            file.durable = file.durable.min(file.size);
            self.current = Some(file);
            self.abandon_current();
            return Err(e);
        }
        drop(file.out);
        std::fs::rename(&file.open_path, &file.final_path)
            .map_err(|e| io_err(&file.open_path, e))?;
        if let Some(observer) = self.observer.as_mut() {
            observer.closed(&file.name, &file.final_path);
        }
        self.closed.push(file.final_path);
        Ok(())
    }

    /// After a failed write: drops unflushed bytes, cuts the file back to its last
    /// flushed record and renames it (or removes it if it holds nothing). Best effort: a
    /// file left behind as `.open` is handled by [`repair_open_files`].
    fn abandon_current(&mut self) {
        let Some(file) = self.current.take() else {
            return;
        };
        if let Some(observer) = self.observer.as_mut() {
            observer.abandoned(&file.name);
        }
        let (inner, _unflushed) = file.out.into_parts();
        let res = (|| -> io::Result<()> {
            if file.durable == 0 {
                drop(inner);
                return std::fs::remove_file(&file.open_path);
            }
            inner.set_len(file.durable)?;
            inner.sync_all()?;
            drop(inner);
            std::fs::rename(&file.open_path, &file.final_path)
        })();
        match res {
            Ok(()) if file.durable > 0 => self.closed.push(file.final_path),
            Ok(()) => {}
            Err(e) => tracing::warn!(
                "could not close {} after a write error: {e}",
                file.open_path.display()
            ),
        }
    }
}

fn unreachable_file<T>(dir: &Path) -> Result<T, WarcError> {
    Err(io_err(dir, io::Error::other("no WARC file open")))
}

impl Drop for WarcWriter {
    /// Closes the current file if `finish` was not called (best effort).
    fn drop(&mut self) {
        if self.current.is_some()
            && let Err(e) = self.close_current()
        {
            tracing::warn!("closing WARC file: {e}");
        }
    }
}

mod codec;
mod conversion;
mod files;
mod head;
mod location;
mod observe;
#[cfg(test)]
mod tests;

use codec::{Codec, RecordClass};
use files::save_dictionary_copy;
pub use files::{repair_open_file, repair_open_files};
pub use head::rewrite_response_head;
use head::{build_header, clean, clean_name, clean_uri, digests, local_hostname};
use location::Exchange;
pub use location::{CaptureLocation, RecordLocation, RevisitOf, RevisitProfile};
pub use observe::{RecordObserver, WrittenRecord};
