//! WARC records as their exact bytes, one at a time, from a plain, gzip or zstd file.
//!
//! [`crate::warc::WarcReader`] parses a record into a [`crate::warc::Record`] (header values
//! trimmed, continuation lines joined), which is what readers want but not what a
//! recompression needs: here the version line, the header lines, the block and the closing
//! `CRLF CRLF` are kept byte for byte, so a record recompressed from them is the very record
//! of the source whatever the tool that wrote it. The file is decoded as one stream (every
//! zstd frame or gzip member in turn, the WARC-zstd dictionary frame included), so records
//! spanning members, or members holding several records, are read alike. Memory use is one
//! record.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::WaczError;
use crate::warc::Compression;

/// Longest header line accepted.
const MAX_LINE: u64 = 1 << 20;
/// Largest WARC header accepted.
const MAX_HEADER: usize = 4 << 20;

/// One record, byte for byte as in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// The whole record: version line, header, blank line, block, `\r\n\r\n`.
    pub bytes: Vec<u8>,
    /// Length of the version line and header, blank line included (where the block starts).
    pub header_len: usize,
    /// Header fields in order, values trimmed (for reading only: `bytes` is authoritative).
    pub fields: Vec<(String, String)>,
}

impl RawRecord {
    /// The first value of a header field (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`.
    pub fn record_type(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// The block (without the closing `\r\n\r\n`).
    pub fn block(&self) -> &[u8] {
        let end = self.bytes.len().saturating_sub(4).max(self.header_len);
        &self.bytes[self.header_len..end]
    }

    /// `WARC-Target-URI`, without the angle brackets WARC 1.0 writers sometimes add.
    pub fn target_uri(&self) -> Option<&str> {
        let uri = self.header("WARC-Target-URI")?.trim();
        Some(
            uri.strip_prefix('<')
                .and_then(|u| u.strip_suffix('>'))
                .unwrap_or(uri),
        )
    }
}

/// Iterates over the records of one WARC file as [`RawRecord`]s.
pub struct RawReader {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    /// Decoded bytes consumed so far.
    position: u64,
    done: bool,
}

impl RawReader {
    /// Opens a `.warc`, `.warc.gz` or `.warc.zst` file (dictionary frame honoured).
    pub fn open(path: &Path) -> Result<RawReader, WaczError> {
        let kind =
            crate::warc::compression_of(path).map_err(|e| WaczError::Source(e.to_string()))?;
        let file = File::open(path).map_err(WaczError::io(path))?;
        let file = BufReader::with_capacity(256 * 1024, file);
        let input: Box<dyn BufRead + Send> = match kind {
            Compression::None => Box::new(file),
            Compression::Gzip => Box::new(BufReader::with_capacity(
                256 * 1024,
                flate2::bufread::MultiGzDecoder::new(file),
            )),
            Compression::Zstd => {
                let dict = crate::warc::zstd_dictionary(path)
                    .map_err(|e| WaczError::Source(e.to_string()))?;
                let decoder = match dict {
                    Some(d) => zstd::stream::read::Decoder::with_dictionary(file, &d),
                    None => zstd::stream::read::Decoder::with_buffer(file),
                }
                .map_err(WaczError::io(path))?;
                Box::new(BufReader::with_capacity(256 * 1024, decoder))
            }
        };
        Ok(RawReader {
            path: path.to_path_buf(),
            input,
            position: 0,
            done: false,
        })
    }

    fn malformed(&self, message: impl Into<String>) -> WaczError {
        malformed(&self.path, self.position, message)
    }

    fn read_record(&mut self) -> Result<Option<RawRecord>, WaczError> {
        // Stray line ends between records are not part of any record.
        match crate::warc::skip_line_ends(&mut self.input) {
            Ok(Some(k)) => self.position += k,
            Ok(None) => return Ok(None),
            Err(e) => return Err(malformed(&self.path, self.position, e.to_string())),
        }
        let mut bytes = Vec::with_capacity(4096);
        let first = self.read_line(&mut bytes)?;
        if !bytes[first..].starts_with(b"WARC/") {
            let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(20)]).into_owned();
            return Err(self.malformed(format!("expected a WARC/ version line, found {shown:?}")));
        }
        let mut fields: Vec<(String, String)> = Vec::with_capacity(12);
        loop {
            let start = self.read_line(&mut bytes)?;
            if bytes.len() > MAX_HEADER {
                return Err(self.malformed("WARC header larger than 4 MiB"));
            }
            let line = trim_eol(&bytes[start..]);
            if line.is_empty() {
                break;
            }
            let text = String::from_utf8_lossy(line);
            if line[0] == b' ' || line[0] == b'\t' {
                if let Some(last) = fields.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(text.trim());
                }
                continue;
            }
            let Some((name, value)) = text.split_once(':') else {
                let shown: String = text.chars().take(60).collect();
                return Err(self.malformed(format!("header line without colon: {shown:?}")));
            };
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
        let header_len = bytes.len();
        let length: u64 = fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
            .ok_or_else(|| self.malformed("no Content-Length"))?
            .1
            .parse()
            .map_err(|_| self.malformed("Content-Length is not a number"))?;
        // Grows with the bytes actually read, never with what Content-Length claims.
        let want = length.saturating_add(4);
        let got = (&mut self.input)
            .take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| malformed(&self.path, self.position, e.to_string()))?;
        self.position += got as u64;
        if (got as u64) < want || !bytes.ends_with(b"\r\n\r\n") {
            return Err(self.malformed(format!(
                "record of {length} bytes not followed by CRLF CRLF (truncated file or wrong Content-Length?)"
            )));
        }
        Ok(Some(RawRecord {
            bytes,
            header_len,
            fields,
        }))
    }

    /// Appends one line (up to `\n`) to `bytes`; returns where it starts.
    fn read_line(&mut self, bytes: &mut Vec<u8>) -> Result<usize, WaczError> {
        let start = bytes.len();
        let n = (&mut self.input)
            .take(MAX_LINE)
            .read_until(b'\n', bytes)
            .map_err(|e| malformed(&self.path, self.position, e.to_string()))?;
        self.position += n as u64;
        if bytes.last() != Some(&b'\n') || n == 0 {
            return Err(self.malformed(if n as u64 >= MAX_LINE {
                "WARC header line longer than 1 MiB"
            } else {
                "end of file inside a WARC header"
            }));
        }
        Ok(start)
    }
}

impl Iterator for RawReader {
    type Item = Result<RawRecord, WaczError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let res = self.read_record().transpose();
        if !matches!(res, Some(Ok(_))) {
            self.done = true;
        }
        res
    }
}

/// Batches of records of one file (about `batch_bytes` each), read ahead on a thread of
/// their own so that decoding overlaps the caller's work; at most two batches wait.
pub struct Batches {
    receiver: std::sync::mpsc::Receiver<Result<Vec<RawRecord>, WaczError>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Batches {
    /// Starts reading `path`.
    pub fn open(path: &Path, batch_bytes: usize) -> Result<Batches, WaczError> {
        let records = RawReader::open(path)?;
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let reader = std::thread::Builder::new()
            .name("warc-reader".into())
            .spawn(move || {
                let mut batch = Vec::new();
                let mut bytes = 0usize;
                for record in records {
                    match record {
                        Ok(r) => {
                            bytes += r.bytes.len();
                            batch.push(r);
                            if bytes >= batch_bytes {
                                bytes = 0;
                                if sender.send(Ok(std::mem::take(&mut batch))).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => {
                            if !batch.is_empty() {
                                let _ = sender.send(Ok(std::mem::take(&mut batch)));
                            }
                            let _ = sender.send(Err(e));
                            return;
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = sender.send(Ok(batch));
                }
            })
            .map_err(WaczError::io(path))?;
        Ok(Batches {
            receiver,
            reader: Some(reader),
        })
    }
}

impl Iterator for Batches {
    type Item = Result<Vec<RawRecord>, WaczError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.receiver.recv() {
            Ok(item) => Some(item),
            Err(_) => {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                None
            }
        }
    }
}

fn malformed(path: &Path, position: u64, message: impl Into<String>) -> WaczError {
    WaczError::Malformed {
        path: path.to_path_buf(),
        position,
        message: message.into(),
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let l = line.strip_suffix(b"\n").unwrap_or(line);
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const ONE: &[u8] = b"WARC/1.1\r\nWARC-Type: resource\r\nX-Odd:   spaced  \r\n continued\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n";
    const TWO: &[u8] = b"WARC/1.0\r\nWARC-Type: metadata\r\nContent-Length: 0\r\n\r\n\r\n\r\n";

    fn reads_back(path: &Path) {
        let records: Vec<RawRecord> = RawReader::open(path)
            .expect("open")
            .collect::<Result<_, _>>()
            .expect("records");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].bytes, ONE);
        assert_eq!(records[0].block(), b"abc");
        assert_eq!(records[0].header("x-odd"), Some("spaced continued"));
        assert_eq!(records[1].bytes, TWO);
        assert_eq!(records[1].block(), b"");
    }

    #[test]
    fn plain_gzip_and_zstd_records_are_kept_byte_for_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("a.warc");
        std::fs::write(&plain, [ONE, &b"\r\n"[..], TWO].concat()).expect("write");
        reads_back(&plain);

        // Two records in one gzip member, then a member of its own.
        let gz = dir.path().join("a.warc.gz");
        let mut out = Vec::new();
        for part in [&[ONE, &TWO[..10]].concat()[..], &TWO[10..]] {
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            enc.write_all(part).expect("gzip");
            out.extend(enc.finish().expect("gzip"));
        }
        std::fs::write(&gz, out).expect("write");
        reads_back(&gz);

        let zst = dir.path().join("a.warc.zst");
        let mut out = zstd::encode_all(ONE, 3).expect("zstd");
        out.extend(zstd::encode_all(TWO, 3).expect("zstd"));
        std::fs::write(&zst, out).expect("write");
        reads_back(&zst);
    }

    #[test]
    fn truncated_and_garbled_records_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cut = dir.path().join("cut.warc");
        std::fs::write(&cut, &ONE[..ONE.len() - 3]).expect("write");
        let err = RawReader::open(&cut).expect("open").next().expect("item");
        assert!(err.unwrap_err().to_string().contains("CRLF CRLF"));

        let junk = dir.path().join("junk.warc");
        std::fs::write(&junk, b"HTTP/1.1 200 OK\r\n\r\n").expect("write");
        let err = RawReader::open(&junk).expect("open").next().expect("item");
        assert!(err.unwrap_err().to_string().contains("version line"));
    }
}
