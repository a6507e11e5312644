//! Reading records back, from plain, gzip or zstd WARC files, one at a time.
//!
//! The file is decoded as a stream of units (zstd frames or gzip members; the whole file
//! for plain WARC). Records are parsed from the decoded bytes; each is reported with the
//! offset of the unit it starts in (for plain files, its byte offset), so a record written
//! one per frame/member can be read back from its offset alone. Memory use is one record.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use zstd::stream::raw::Operation;
use zstd::zstd_safe;

use super::dict::MAX_DICT;
use super::{Compression, Record, WarcError};

/// Longest header line accepted.
const MAX_LINE: u64 = 1 << 20;
/// Largest header accepted.
const MAX_HEADER: usize = 4 << 20;
/// Largest record block read into memory: 64 MiB, three times the crawl's default
/// `max_body_bytes`. A record claiming more is streamed past (never allocated) and
/// reported as an error the reader continues after ([`WarcReader::resume_offset`]).
pub const MAX_BLOCK_IN_MEMORY: u64 = 64 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Gzip,
    Zstd,
}

/// A buffered file reader that counts consumed bytes.
struct Counting {
    inner: BufReader<File>,
    pos: u64,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl BufRead for Counting {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.pos += amt as u64;
    }
}

/// Decoded bytes, unit by unit, as a `BufRead` whose buffer never spans two units.
struct Units {
    kind: Kind,
    /// The file; `None` while a gzip decoder owns it.
    input: Option<Counting>,
    gz: Option<flate2::bufread::GzDecoder<Counting>>,
    zstd: Option<zstd::stream::raw::Decoder<'static>>,
    /// The zstd dictionary of the file (IIPC WARC-zstd: a skippable frame at its start).
    dict: Option<std::sync::Arc<[u8]>>,
    in_unit: bool,
    /// The current zstd frame is fully decoded.
    unit_done: bool,
    unit_start: u64,
    buf: Vec<u8>,
    pos: usize,
    cap: usize,
    /// Start offset of the unit the buffered bytes come from.
    buf_unit: u64,
    /// Decoded bytes consumed so far (the file offset, for plain files).
    consumed: u64,
    /// `consumed` when the current unit started: a record's offset in the decoded bytes
    /// of its unit is `consumed - unit_decoded_start` when it starts.
    unit_decoded_start: u64,
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Units {
    fn input(&mut self) -> io::Result<&mut Counting> {
        self.input
            .as_mut()
            .ok_or_else(|| io::Error::other("reader state: input held by a decoder"))
    }

    fn start_unit(&mut self) -> io::Result<()> {
        match self.kind {
            Kind::Plain => {}
            Kind::Gzip => {
                let input = self
                    .input
                    .take()
                    .ok_or_else(|| io::Error::other("reader state: no input"))?;
                self.gz = Some(flate2::bufread::GzDecoder::new(input));
            }
            Kind::Zstd => {
                if let Some(d) = self.zstd.as_mut() {
                    d.reinit()?;
                } else {
                    self.zstd = Some(match &self.dict {
                        Some(dict) => zstd::stream::raw::Decoder::with_dictionary(&dict[..])?,
                        None => zstd::stream::raw::Decoder::new()?,
                    });
                }
                self.unit_done = false;
            }
        }
        self.in_unit = true;
        Ok(())
    }

    fn end_unit(&mut self) {
        if let Some(gz) = self.gz.take() {
            self.input = Some(gz.into_inner());
        }
        self.in_unit = false;
    }

    /// Decodes more of the current unit into `buf`; 0 at the end of the unit.
    fn read_unit(&mut self) -> io::Result<usize> {
        match self.kind {
            Kind::Plain => {
                let Units { input, buf, .. } = self;
                let input = input.as_mut().ok_or_else(|| io::Error::other("no input"))?;
                input.read(buf)
            }
            Kind::Gzip => {
                let Units { gz, buf, .. } = self;
                let gz = gz
                    .as_mut()
                    .ok_or_else(|| io::Error::other("no gzip decoder"))?;
                gz.read(buf)
            }
            Kind::Zstd => {
                if self.unit_done {
                    return Ok(0);
                }
                let Units {
                    input,
                    zstd,
                    buf,
                    unit_done,
                    ..
                } = self;
                let input = input.as_mut().ok_or_else(|| io::Error::other("no input"))?;
                let dec = zstd
                    .as_mut()
                    .ok_or_else(|| io::Error::other("no zstd decoder"))?;
                loop {
                    let data = input.fill_buf()?;
                    let at_eof = data.is_empty();
                    let mut inb = zstd_safe::InBuffer::around(data);
                    let mut outb = zstd_safe::OutBuffer::around(&mut buf[..]);
                    let hint = dec.run(&mut inb, &mut outb)?;
                    let (used, produced) = (inb.pos(), outb.pos());
                    input.consume(used);
                    if hint == 0 {
                        *unit_done = true;
                    }
                    if produced > 0 || hint == 0 {
                        return Ok(produced);
                    }
                    if at_eof {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "truncated zstd frame",
                        ));
                    }
                }
            }
        }
    }

    /// True when the buffer is empty and the current unit (if any) has ended, decoding
    /// ahead if needed (which checks the frame checksum / member CRC).
    fn at_unit_end(&mut self) -> io::Result<bool> {
        if self.pos < self.cap {
            return Ok(false);
        }
        if !self.in_unit {
            return Ok(true);
        }
        let n = self.read_unit()?;
        if n == 0 {
            self.end_unit();
            return Ok(true);
        }
        self.pos = 0;
        self.cap = n;
        self.buf_unit = self.unit_start;
        Ok(false)
    }
}

impl Read for Units {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Units {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.cap {
            loop {
                if !self.in_unit {
                    if self.input()?.fill_buf()?.is_empty() {
                        self.pos = 0;
                        self.cap = 0;
                        return Ok(&[]);
                    }
                    self.unit_start = self.input()?.pos;
                    self.unit_decoded_start = self.consumed;
                    self.start_unit()?;
                }
                let n = self.read_unit()?;
                if n > 0 {
                    self.pos = 0;
                    self.cap = n;
                    self.buf_unit = self.unit_start;
                    break;
                }
                self.end_unit();
            }
        }
        Ok(&self.buf[self.pos..self.cap])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.cap - self.pos);
        self.pos += amt;
        self.consumed += amt as u64;
    }
}

/// Iterates over the records of one WARC file (`.warc`, `.warc.gz`, `.warc.zst`, or `.open`).
pub struct WarcReader {
    path: PathBuf,
    units: Units,
    done: bool,
    clean_end: Option<u64>,
    /// Size of the file when opened (plain files: a claimed length is checked against it).
    file_len: u64,
    /// After an error the reader could step over (a record too large to hold): where
    /// the next record starts.
    resume: Option<u64>,
    /// Where the last record returned starts in the decoded bytes of its unit (0 when it
    /// starts its frame/member, and always in a plain file).
    inner: u64,
}

/// How the error about a well-framed record too large to hold starts (the record is
/// intact: the reader steps over it, see [`is_oversized_record`]).
const OVERSIZED_MESSAGE: &str = "record block too large to read";

/// True when a reader's error message is about an intact record too large to hold in
/// memory (reading went on after it): a repair keeps such a record.
pub fn is_oversized_record(message: &str) -> bool {
    message.starts_with(OVERSIZED_MESSAGE)
}

/// What reading one record gave.
enum Next {
    Record(u64, Record),
    /// A well-framed record whose block is larger than [`MAX_BLOCK_IN_MEMORY`]: streamed
    /// past; its offset and claimed length.
    Oversized(u64, u64),
}

impl Iterator for WarcReader {
    /// The record and the offset of its frame/member in the file.
    type Item = Result<(u64, Record), WarcError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.clean_end = None;
        self.resume = None;
        let mut offset = None;
        let res = self.read_record(&mut offset);
        match res {
            Ok(Some(Next::Record(at, record))) => Some(Ok((at, record))),
            Ok(Some(Next::Oversized(at, length))) => {
                self.resume = self
                    .clean_end
                    .or_else(|| (self.units.kind == Kind::Plain).then_some(self.units.consumed));
                if self.resume.is_none() {
                    self.done = true;
                }
                Some(Err(WarcError::Malformed {
                    path: self.path.clone(),
                    offset: at,
                    message: format!(
                        "{OVERSIZED_MESSAGE} ({length} bytes, more than the {} MiB glaneur reads into memory): skipped",
                        MAX_BLOCK_IN_MEMORY >> 20
                    ),
                }))
            }
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                let offset = offset.unwrap_or(if self.units.kind == Kind::Plain {
                    self.units.consumed
                } else {
                    self.units.unit_start
                });
                Some(Err(WarcError::Malformed {
                    path: self.path.clone(),
                    offset,
                    message: e.to_string(),
                }))
            }
        }
    }
}

/// How a WARC file is compressed: told from its name (`.zst`, `.gz`, `.warc`, an `.open`
/// suffix ignored), else from its magic number (plain when neither gzip nor zstd). The
/// one test of every reader of WARC files (this reader, `wacz`, `convert`).
pub fn compression_of(path: &Path) -> Result<Compression, WarcError> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let name = name
        .strip_suffix(super::writer::OPEN_SUFFIX)
        .unwrap_or(&name);
    if name.ends_with(".zst") {
        return Ok(Compression::Zstd);
    }
    if name.ends_with(".gz") {
        return Ok(Compression::Gzip);
    }
    if name.ends_with(".warc") {
        return Ok(Compression::None);
    }
    // Unknown name: sniff the magic number.
    let mut head = [0u8; 4];
    let mut f = File::open(path).map_err(|e| WarcError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let n = f.read(&mut head).map_err(|e| WarcError::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(match &head[..n] {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd] | [0x5d, 0x2a, 0x4d, 0x18] => Compression::Zstd,
        _ => Compression::None,
    })
}

fn kind_for(path: &Path) -> Result<Kind, WarcError> {
    Ok(match compression_of(path)? {
        Compression::None => Kind::Plain,
        Compression::Gzip => Kind::Gzip,
        Compression::Zstd => Kind::Zstd,
    })
}

impl WarcReader {
    /// Opens a file; the compression is told from its name.
    pub fn open(path: &Path) -> Result<WarcReader, WarcError> {
        let kind = kind_for(path)?;
        let dict = if kind == Kind::Zstd {
            zstd_dictionary(path)?.map(std::sync::Arc::from)
        } else {
            None
        };
        Self::open_with(path, kind, dict)
    }

    /// The zstd dictionary the reader decodes with (to open the same file again at
    /// another offset without reading it again, see [`WarcReader::open_at_with`]).
    pub fn dictionary(&self) -> Option<std::sync::Arc<[u8]>> {
        self.units.dict.clone()
    }

    fn open_with(
        path: &Path,
        kind: Kind,
        dict: Option<std::sync::Arc<[u8]>>,
    ) -> Result<WarcReader, WarcError> {
        let file = File::open(path).map_err(|e| WarcError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
        Ok(WarcReader {
            path: path.to_path_buf(),
            units: Units {
                kind,
                input: Some(Counting {
                    inner: BufReader::with_capacity(128 * 1024, file),
                    pos: 0,
                }),
                gz: None,
                zstd: None,
                dict,
                in_unit: false,
                unit_done: false,
                unit_start: 0,
                buf: vec![0; 128 * 1024],
                pos: 0,
                cap: 0,
                buf_unit: 0,
                consumed: 0,
                unit_decoded_start: 0,
            },
            done: false,
            clean_end: None,
            file_len,
            resume: None,
            inner: 0,
        })
    }

    /// Opens a file positioned at `offset`, which must be where a record's frame/member
    /// (or, in a plain file, the record) starts, as reported by this reader or an index.
    /// Offsets reported afterwards are file offsets.
    pub fn open_at(path: &Path, offset: u64) -> Result<WarcReader, WarcError> {
        let reader = WarcReader::open(path)?;
        reader.seek_to(offset)
    }

    /// Like [`WarcReader::open_at`], with the file's zstd dictionary already read (from
    /// [`WarcReader::dictionary`]): opening a file at many offsets reads it once.
    pub fn open_at_with(
        path: &Path,
        offset: u64,
        dict: Option<std::sync::Arc<[u8]>>,
    ) -> Result<WarcReader, WarcError> {
        let kind = kind_for(path)?;
        let dict = if kind == Kind::Zstd { dict } else { None };
        Self::open_with(path, kind, dict)?.seek_to(offset)
    }

    /// Opens a file at the record that starts `inner` bytes into the decoded bytes of
    /// the frame/member at `offset` (a record of a file compressed as one stream, as
    /// [`WarcReader::inner_offset`] reported it; `inner` 0 is [`WarcReader::open_at_with`]).
    /// The bytes before it are decoded and dropped: memory stays one buffer, time grows
    /// with `inner`.
    pub fn open_at_inner(
        path: &Path,
        offset: u64,
        inner: u64,
        dict: Option<std::sync::Arc<[u8]>>,
    ) -> Result<WarcReader, WarcError> {
        let mut reader = Self::open_at_with(path, offset, dict)?;
        if inner > 0 {
            let skipped =
                io::copy(&mut (&mut reader.units).take(inner), &mut io::sink()).map_err(|e| {
                    WarcError::Malformed {
                        path: path.to_path_buf(),
                        offset,
                        message: e.to_string(),
                    }
                })?;
            if skipped < inner {
                return Err(WarcError::Malformed {
                    path: path.to_path_buf(),
                    offset,
                    message: format!(
                        "the frame/member holds {skipped} decoded bytes, no record at {inner}"
                    ),
                });
            }
        }
        Ok(reader)
    }

    /// After a record was returned: where it starts in the decoded bytes of the
    /// frame/member at its offset. 0 for a record that starts its frame/member (every
    /// record glaneur writes, every record of a plain file); more for the records after
    /// the first of a file compressed as one gzip member or zstd frame (as `gzip` of a
    /// whole `.warc` writes it). Such a record is read again with
    /// [`WarcReader::open_at_inner`].
    pub fn inner_offset(&self) -> u64 {
        self.inner
    }

    fn seek_to(mut self, offset: u64) -> Result<WarcReader, WarcError> {
        use std::io::{Seek, SeekFrom};
        let path = self.path.clone();
        let path = path.as_path();
        let reader = &mut self;
        if offset > 0 {
            let input = reader.units.input().map_err(|e| WarcError::Io {
                path: path.to_path_buf(),
                source: e,
            })?;
            input
                .inner
                .seek(SeekFrom::Start(offset))
                .map_err(|e| WarcError::Io {
                    path: path.to_path_buf(),
                    source: e,
                })?;
            input.pos = offset;
            reader.units.consumed = offset;
            reader.units.unit_start = offset;
            reader.units.buf_unit = offset;
        }
        Ok(self)
    }

    /// After an error: the offset where the next record starts, when the reader could
    /// step over the bad record (one too large to hold in memory) and iteration goes on.
    pub fn resume_offset(&self) -> Option<u64> {
        self.resume
    }

    /// After a record was returned: the file offset where the next frame/member (or, in
    /// a plain file, the next record) begins, if the record ended exactly there and its
    /// frame/member decoded completely. `None` when the last record shares its
    /// frame/member with the next one.
    pub fn clean_end(&self) -> Option<u64> {
        self.clean_end
    }

    fn read_record(&mut self, offset: &mut Option<u64>) -> io::Result<Option<Next>> {
        let file_len = self.file_len;
        let units = &mut self.units;
        if skip_line_ends(units)?.is_none() {
            return Ok(None);
        }
        let start = if units.kind == Kind::Plain {
            units.consumed
        } else {
            units.buf_unit
        };
        *offset = Some(start);
        self.inner = if units.kind == Kind::Plain {
            0
        } else {
            units.consumed - units.unit_decoded_start
        };

        let mut line = Vec::with_capacity(128);
        read_line(units, &mut line)?;
        let version = trim_eol(&line);
        if !version.starts_with(b"WARC/") {
            let shown = String::from_utf8_lossy(&version[..version.len().min(20)]).into_owned();
            return Err(invalid(format!(
                "expected a WARC/ version line, found {shown:?}"
            )));
        }
        let version = String::from_utf8_lossy(version).into_owned();
        let mut headers: Vec<(String, String)> = Vec::with_capacity(12);
        let mut header_bytes = 0usize;
        loop {
            read_line(units, &mut line)?;
            header_bytes += line.len();
            if header_bytes > MAX_HEADER {
                return Err(invalid("WARC header larger than 4 MiB"));
            }
            let l = trim_eol(&line);
            if l.is_empty() {
                break;
            }
            let text = String::from_utf8_lossy(l);
            if l[0] == b' ' || l[0] == b'\t' {
                let Some(last) = headers.last_mut() else {
                    return Err(invalid("continuation line before the first header field"));
                };
                last.1.push(' ');
                last.1.push_str(text.trim());
                continue;
            }
            let Some((name, value)) = text.split_once(':') else {
                let shown: String = text.chars().take(60).collect();
                return Err(invalid(format!("header line without colon: {shown:?}")));
            };
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        let length: u64 = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .ok_or_else(|| invalid("no Content-Length"))?
            .1
            .parse()
            .map_err(|_| invalid("Content-Length is not a number"))?;
        if units.kind == Kind::Plain {
            // A claimed length is checked against the bytes really left in the file.
            let left = file_len.saturating_sub(units.consumed);
            if length.saturating_add(4) > left {
                return Err(invalid(format!(
                    "Content-Length {length} but only {left} bytes left in the file"
                )));
            }
        }
        if length > MAX_BLOCK_IN_MEMORY {
            let skipped = io::copy(&mut (&mut *units).take(length), &mut io::sink())?;
            if skipped < length {
                return Err(invalid(format!(
                    "block truncated: {skipped} of {length} bytes"
                )));
            }
            read_trailer(units)?;
            self.clean_end = clean_end_of(units)?;
            return Ok(Some(Next::Oversized(start, length)));
        }
        // Never allocated from the claimed length: the block grows as bytes arrive.
        let mut block = Vec::with_capacity(length.min(1 << 20) as usize);
        (&mut *units).take(length).read_to_end(&mut block)?;
        if (block.len() as u64) < length {
            return Err(invalid(format!(
                "block truncated: {} of {length} bytes",
                block.len()
            )));
        }
        read_trailer(units)?;
        self.clean_end = clean_end_of(units)?;
        Ok(Some(Next::Record(
            start,
            Record {
                version,
                headers,
                block,
            },
        )))
    }
}

/// Reads the `\r\n\r\n` that ends a record.
fn read_trailer(units: &mut Units) -> io::Result<()> {
    let mut trailer = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = units.read(&mut trailer[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    if &trailer[..got] != b"\r\n\r\n" {
        return Err(invalid(format!(
            "record not followed by CRLF CRLF (found {:?}): wrong Content-Length?",
            String::from_utf8_lossy(&trailer[..got])
        )));
    }
    Ok(())
}

/// Where the next frame/member (or plain record) starts, if the record just read ended
/// its frame/member.
fn clean_end_of(units: &mut Units) -> io::Result<Option<u64>> {
    Ok(if units.kind == Kind::Plain {
        Some(units.consumed)
    } else if units.at_unit_end()? {
        Some(units.input()?.pos)
    } else {
        None
    })
}

/// Reads one line (up to and including `\n`, at most `MAX_LINE` bytes) into `line`.
fn read_line(units: &mut Units, line: &mut Vec<u8>) -> io::Result<()> {
    line.clear();
    let n = (&mut *units).take(MAX_LINE).read_until(b'\n', line)?;
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "end of file inside a WARC header",
        ));
    }
    if line.last() != Some(&b'\n') {
        if n as u64 >= MAX_LINE {
            return Err(invalid("WARC header line longer than 1 MiB"));
        }
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "end of file inside a WARC header",
        ));
    }
    Ok(())
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Skips the line ends (`\r`, `\n`) that may stand between records: returns how many
/// bytes it skipped, or `None` at the end of the input. Used by [`WarcReader`] and by the
/// raw record reader of WACZ packages and conversions, which must agree on where a record
/// starts.
pub fn skip_line_ends<R: BufRead + ?Sized>(input: &mut R) -> io::Result<Option<u64>> {
    let mut skipped = 0u64;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let k = buf
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if k == 0 {
            return Ok(Some(skipped));
        }
        input.consume(k);
        skipped += k as u64;
    }
}

/// Magic number of the zstd skippable frame that holds a WARC-zstd dictionary.
const DICT_FRAME_MAGIC: u32 = 0x184D_2A5D;

/// Folder of an archive holding a copy of every zstd dictionary its files use, named
/// `<id>.zdict` (written by the writer): one damaged byte in a file's dictionary frame
/// must not cost the whole file.
pub const DICTIONARY_COPIES_DIR: &str = ".glaneur-dicts";

/// Where the copy of dictionary `id` is kept for the WARC files of `archive`.
pub fn dictionary_copy_path(archive: &Path, id: u32) -> PathBuf {
    archive
        .join(DICTIONARY_COPIES_DIR)
        .join(format!("{id}.zdict"))
}

/// The dictionary of a `.warc.zst` file, per the IIPC WARC-zstd proposal: a skippable
/// frame (magic `0x184D2A5D`) at the very start whose content is the dictionary,
/// itself possibly zstd-compressed. `None` when the file does not start with one and its
/// records need none.
///
/// When the frame is damaged (its checksum fails, its size or magic is wrong, or it
/// holds another dictionary than the records name), the dictionary is taken from its
/// copy in the archive folder ([`DICTIONARY_COPIES_DIR`]); without a copy, an error.
pub fn zstd_dictionary(path: &Path) -> Result<Option<Vec<u8>>, WarcError> {
    let in_frame = dictionary_in_frame(path);
    if let Ok(Some(dict)) = &in_frame
        && dictionary_id(dict).is_some()
    {
        return in_frame;
    }
    let Some(needed) = first_frame_dictionary_id(path)? else {
        // The records name no dictionary: the frame's content, if any, is a raw-content
        // dictionary (or there is none). Damaged, it is read as none: the records that
        // need no dictionary still read (a file cut just after its warcinfo record), and
        // any other is reported damaged on its own, never the whole file.
        return match in_frame {
            Err(e) => {
                tracing::warn!("{}: {e}; reading on without a dictionary", path.display());
                Ok(None)
            }
            found => found,
        };
    };
    if let Ok(Some(dict)) = &in_frame
        && dictionary_id(dict) == Some(needed)
    {
        return in_frame;
    }
    let copy = path
        .parent()
        .map(|dir| dictionary_copy_path(dir, needed))
        .and_then(|p| std::fs::read(p).ok())
        .filter(|d| dictionary_id(d) == Some(needed));
    if let Some(copy) = copy {
        tracing::warn!(
            "{}: damaged zstd dictionary frame; using the copy of dictionary {needed} in {DICTIONARY_COPIES_DIR}",
            path.display()
        );
        return Ok(Some(copy));
    }
    let why = match in_frame {
        Err(e) => e.to_string(),
        Ok(_) => "no usable dictionary frame".into(),
    };
    Err(WarcError::Malformed {
        path: path.to_path_buf(),
        offset: 0,
        message: format!(
            "its records need zstd dictionary {needed} ({why}), and no copy is in {DICTIONARY_COPIES_DIR}/"
        ),
    })
}

/// The id of a zstd dictionary (`ZDICT` format), if the bytes are one.
fn dictionary_id(dict: &[u8]) -> Option<u32> {
    if dict.len() < 8 || dict[..4] != super::dict::DICTIONARY_MAGIC.to_le_bytes() {
        return None;
    }
    Some(u32::from_le_bytes([dict[4], dict[5], dict[6], dict[7]])).filter(|&id| id != 0)
}

/// The dictionary id the file's zstd frames name, looked for in the first 16 frames of its
/// first 16 MiB: the id most of them name (`None` when most name none), so that one damaged
/// frame header cannot name a dictionary the file never used.
fn first_frame_dictionary_id(path: &Path) -> Result<Option<u32>, WarcError> {
    let io_err = |e: io::Error| WarcError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let f = File::open(path).map_err(io_err)?;
    let mut head = Vec::new();
    f.take(16 << 20).read_to_end(&mut head).map_err(io_err)?;
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    /// The largest zstd frame header: a shorter rest (a file cut there) cannot vote.
    const MAX_FRAME_HEADER: usize = 18;
    let mut votes: std::collections::HashMap<Option<u32>, usize> = Default::default();
    // The records' frames only: not the compressed dictionary that opens the dictionary
    // frame (at offset 8, a frame that names no dictionary), whatever its size says.
    let dictionary_frame = super::dict::opens_with_dictionary_frame(&head);
    let mut i = 0;
    let mut frames = 0;
    while frames < 16
        && let Some(k) = head[i..].windows(4).position(|w| w == MAGIC)
    {
        let at = i + k;
        if head.len() - at < MAX_FRAME_HEADER {
            break;
        }
        if dictionary_frame && at == 8 {
            i = at + 1;
            continue;
        }
        let id = zstd_safe::get_dict_id_from_frame(&head[at..]).map(|id| id.get());
        *votes.entry(id).or_default() += 1;
        frames += 1;
        i = at + 1;
    }
    Ok(votes
        .into_iter()
        .max_by_key(|(id, n)| (*n, id.is_some()))
        .and_then(|(id, _)| id))
}

/// The dictionary held by the file's dictionary frame, as [`zstd_dictionary`] reads it
/// (no fallback).
fn dictionary_in_frame(path: &Path) -> Result<Option<Vec<u8>>, WarcError> {
    let io_err = |e: io::Error| WarcError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut f = File::open(path).map_err(io_err)?;
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        let n = f.read(&mut head[got..]).map_err(io_err)?;
        if n == 0 {
            return Ok(None);
        }
        got += n;
    }
    let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    if magic != DICT_FRAME_MAGIC {
        return Ok(None);
    }
    let mut size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    // A damaged size in the header: the compressed dictionary knows its own length.
    if let Some((_, Some(own))) = super::dict::dictionary_frame_sizes(path) {
        size = u32::try_from(own - 8).unwrap_or(size);
    }
    let malformed = |message: String| WarcError::Malformed {
        path: path.to_path_buf(),
        offset: 0,
        message,
    };
    let file_len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_DICT || u64::from(size) > file_len.saturating_sub(8) {
        return Err(malformed(format!(
            "zstd dictionary frame of {size} bytes in a file of {file_len}"
        )));
    }
    let mut dict = vec![0u8; size as usize];
    f.read_exact(&mut dict)
        .map_err(|e| malformed(format!("zstd dictionary frame: {e}")))?;
    if dict.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let mut out = Vec::new();
        zstd::stream::read::Decoder::new(&dict[..])
            .and_then(|d| d.take(u64::from(MAX_DICT)).read_to_end(&mut out))
            .map_err(|e| malformed(format!("compressed zstd dictionary: {e}")))?;
        dict = out;
    }
    Ok(Some(dict))
}

/// Reads every record of a file into memory (tests and small files).
pub fn read_records(path: &Path) -> Result<Vec<Record>, WarcError> {
    WarcReader::open(path)?
        .map(|r| r.map(|(_, rec)| rec))
        .collect()
}
