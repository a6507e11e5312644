//! Compressing records one by one (one gzip member or one zstd frame each), several
//! records at a time on all cores, results kept in order.

use std::io::{self, Write};

use zstd::zstd_safe;

use super::raw::RawRecord;
use crate::warc::Dictionary;

/// gzip level of converted records: zlib's default, as `--compression gzip` crawls
/// and most web archiving tools write.
pub const GZIP_LEVEL: u32 = 6;

/// gzip level of a WACZ package's records by default (`glaneur wacz --gzip-level`):
/// recompression is most of the time a package takes, and level 1 is about twice as fast
/// as level 6 for files about 16 % larger (see docs/sharing.md).
pub const WACZ_GZIP_LEVEL: u32 = 1;

/// Records gathered before they are compressed together (in bytes, uncompressed).
pub const BATCH_BYTES: usize = 8 << 20;

/// The output compression of a record.
#[derive(Debug, Clone)]
pub enum Encoding {
    /// One gzip member per record, at this level (0 to 9).
    Gzip(u32),
    /// One zstd frame per record (content size and checksum set), with the dictionary if
    /// any; metadata records at [`crate::warc::ZSTD_TEXT_LEVEL`], the others at
    /// [`crate::warc::ZSTD_LEVEL`], as the crawler writes them.
    Zstd(Option<Dictionary>),
}

impl Encoding {
    /// Compresses one record.
    pub fn encode(&self, record: &RawRecord) -> io::Result<Vec<u8>> {
        self.encode_with(record, &mut None)
    }

    /// Compresses one record, reusing the zstd context of earlier calls (its dictionary
    /// is loaded once).
    fn encode_with(
        &self,
        record: &RawRecord,
        cctx: &mut Option<zstd_safe::CCtx<'static>>,
    ) -> io::Result<Vec<u8>> {
        match self {
            Encoding::Gzip(level) => gzip_member_at(&record.bytes, *level),
            Encoding::Zstd(dict) => {
                let level = if record.record_type() == Some("metadata") {
                    crate::warc::ZSTD_TEXT_LEVEL
                } else {
                    crate::warc::ZSTD_LEVEL
                };
                let ctx = match cctx {
                    Some(c) => c,
                    None => cctx.insert(zstd_context(dict.as_ref())?),
                };
                zstd_frame_with(ctx, &record.bytes, level)
            }
        }
    }

    fn encode_slice(&self, records: &[RawRecord]) -> io::Result<Vec<Vec<u8>>> {
        let mut cctx = None;
        records
            .iter()
            .map(|r| self.encode_with(r, &mut cctx))
            .collect()
    }

    /// Compresses `records`, in order, spread over the available cores.
    pub fn encode_all(&self, records: &[RawRecord]) -> io::Result<Vec<Vec<u8>>> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(records.len());
        if threads <= 1 {
            return self.encode_slice(records);
        }
        // Contiguous slices of about equal byte size, one per thread.
        let total: usize = records.iter().map(|r| r.bytes.len()).sum();
        let share = total.div_ceil(threads).max(1);
        let mut slices = Vec::with_capacity(threads);
        let (mut start, mut acc) = (0, 0);
        for (i, r) in records.iter().enumerate() {
            acc += r.bytes.len();
            if acc >= share && slices.len() + 1 < threads {
                slices.push(&records[start..=i]);
                start = i + 1;
                acc = 0;
            }
        }
        slices.push(&records[start..]);
        let parts: Vec<io::Result<Vec<Vec<u8>>>> = std::thread::scope(|s| {
            let handles: Vec<_> = slices
                .iter()
                .map(|slice| s.spawn(move || self.encode_slice(slice)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(io::Error::other("a compression thread panicked")))
                })
                .collect()
        });
        let mut out = Vec::with_capacity(records.len());
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }
}

/// One gzip member holding `data`, at [`GZIP_LEVEL`].
pub fn gzip_member(data: &[u8]) -> io::Result<Vec<u8>> {
    gzip_member_at(data, GZIP_LEVEL)
}

/// One gzip member holding `data`, at `level` (0 to 9; higher is taken as 9).
pub fn gzip_member_at(data: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3 + 64),
        flate2::Compression::new(level.min(9)),
    );
    enc.write_all(data)?;
    enc.finish()
}

fn zstd_err(code: usize) -> io::Error {
    io::Error::other(zstd_safe::get_error_name(code))
}

/// A zstd context writing frames with content size and checksum, with `dict` loaded
/// (it stays for every frame the context compresses).
fn zstd_context(dict: Option<&Dictionary>) -> io::Result<zstd_safe::CCtx<'static>> {
    let mut cctx = zstd_safe::CCtx::create();
    cctx.set_parameter(zstd_safe::CParameter::ChecksumFlag(true))
        .map_err(zstd_err)?;
    cctx.set_parameter(zstd_safe::CParameter::ContentSizeFlag(true))
        .map_err(zstd_err)?;
    if let Some(d) = dict {
        cctx.load_dictionary(d.as_bytes()).map_err(zstd_err)?;
    }
    Ok(cctx)
}

fn zstd_frame_with(
    cctx: &mut zstd_safe::CCtx<'static>,
    data: &[u8],
    level: i32,
) -> io::Result<Vec<u8>> {
    cctx.set_parameter(zstd_safe::CParameter::CompressionLevel(level))
        .map_err(zstd_err)?;
    let mut out: Vec<u8> = Vec::with_capacity(zstd_safe::compress_bound(data.len()));
    cctx.compress2(&mut out, data).map_err(zstd_err)?;
    Ok(out)
}

/// One zstd frame holding `data` (content size and checksum set).
pub fn zstd_frame(data: &[u8], level: i32, dict: Option<&Dictionary>) -> io::Result<Vec<u8>> {
    zstd_frame_with(&mut zstd_context(dict)?, data, level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn record(n: usize) -> RawRecord {
        let block = format!("<p>record {n}</p>").repeat(n % 7 + 1);
        let bytes = format!(
            "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            block.len()
        )
        .into_bytes();
        RawRecord {
            header_len: bytes.len() - block.len() - 4,
            bytes,
            fields: vec![("WARC-Type".into(), "resource".into())],
        }
    }

    #[test]
    fn every_record_is_one_member_or_frame_in_order() {
        let records: Vec<RawRecord> = (0..50).map(record).collect();
        for enc in [Encoding::Gzip(1), Encoding::Gzip(9), Encoding::Zstd(None)] {
            let parts = enc.encode_all(&records).expect("encode");
            assert_eq!(parts.len(), records.len());
            for (part, rec) in parts.iter().zip(&records) {
                let mut back = Vec::new();
                match enc {
                    Encoding::Gzip(_) => {
                        // A single-member decoder must read the whole part.
                        let mut d = flate2::read::GzDecoder::new(&part[..]);
                        d.read_to_end(&mut back).expect("gunzip");
                        assert_eq!(d.into_inner().len(), 0, "trailing bytes after the member");
                    }
                    Encoding::Zstd(_) => {
                        back = zstd::bulk::decompress(part, 1 << 20).expect("unzstd");
                    }
                }
                assert_eq!(back, rec.bytes);
            }
        }
    }
}
