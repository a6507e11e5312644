//! The per-record compressors of the writer: one zstd frame (at the level of the record's
//! class, with the file's dictionary when there is one) or one gzip member per record.

use std::io;

use zstd::zstd_safe;

use super::{Compression, ZSTD_LEVEL, ZSTD_TEXT_LEVEL, zstd_err};

/// The per-record compressor, reused across records.
pub(super) enum Codec {
    None,
    Zstd(Box<ZstdContexts>),
    Gzip(Box<flate2::Compress>),
}

/// One zstd context per level: a dictionary's tables are built for the level of the
/// context that loads it, so each level needs its own.
pub(super) struct ZstdContexts {
    /// [`ZSTD_LEVEL`]: captures.
    pub(super) capture: zstd_safe::CCtx<'static>,
    /// [`ZSTD_TEXT_LEVEL`]: metadata records.
    pub(super) text: zstd_safe::CCtx<'static>,
}

/// What a record holds, which sets how hard it is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RecordClass {
    /// Requests, responses, revisits, warcinfo.
    Capture,
    /// Metadata records (extracted text).
    Text,
}

/// A zstd context at `level`, writing checksums and content sizes.
fn zstd_context(level: i32) -> io::Result<zstd_safe::CCtx<'static>> {
    let mut cctx = zstd_safe::CCtx::try_create()
        .ok_or_else(|| io::Error::other("zstd: cannot create a context"))?;
    cctx.set_parameter(zstd_safe::CParameter::CompressionLevel(level))
        .map_err(zstd_err)?;
    cctx.set_parameter(zstd_safe::CParameter::ChecksumFlag(true))
        .map_err(zstd_err)?;
    cctx.set_parameter(zstd_safe::CParameter::ContentSizeFlag(true))
        .map_err(zstd_err)?;
    Ok(cctx)
}

impl Codec {
    pub(super) fn new(compression: Compression) -> io::Result<Codec> {
        Ok(match compression {
            Compression::None => Codec::None,
            Compression::Gzip => Codec::Gzip(Box::new(flate2::Compress::new(
                flate2::Compression::default(),
                false,
            ))),
            Compression::Zstd => Codec::Zstd(Box::new(ZstdContexts {
                capture: zstd_context(ZSTD_LEVEL)?,
                text: zstd_context(ZSTD_TEXT_LEVEL)?,
            })),
        })
    }

    /// Compresses the concatenation of `pieces` as one frame/member into `out`.
    pub(super) fn encode(
        &mut self,
        pieces: &[&[u8]],
        class: RecordClass,
        out: &mut Vec<u8>,
    ) -> io::Result<()> {
        out.clear();
        match self {
            Codec::None => {
                for p in pieces {
                    out.extend_from_slice(p);
                }
            }
            Codec::Zstd(z) => {
                let cctx = match class {
                    RecordClass::Capture => &mut z.capture,
                    RecordClass::Text => &mut z.text,
                };
                zstd_frame(cctx, pieces, out)?
            }
            Codec::Gzip(c) => gzip_member(c, pieces, out)?,
        }
        Ok(())
    }
}

fn zstd_frame(
    cctx: &mut zstd_safe::CCtx<'static>,
    pieces: &[&[u8]],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    use zstd_safe::zstd_sys::ZSTD_EndDirective::{ZSTD_e_continue, ZSTD_e_end};
    let total: usize = pieces.iter().map(|p| p.len()).sum();
    cctx.reset(zstd_safe::ResetDirective::SessionOnly)
        .map_err(zstd_err)?;
    cctx.set_pledged_src_size(Some(total as u64))
        .map_err(zstd_err)?;
    out.reserve(zstd_safe::compress_bound(total) + 64);
    for piece in pieces {
        let mut input = zstd_safe::InBuffer::around(piece);
        while input.pos() < piece.len() {
            if out.capacity() - out.len() < 1 << 16 {
                out.reserve(1 << 17);
            }
            let len = out.len();
            let mut output = zstd_safe::OutBuffer::around_pos(out, len);
            cctx.compress_stream2(&mut output, &mut input, ZSTD_e_continue)
                .map_err(zstd_err)?;
        }
    }
    loop {
        if out.capacity() - out.len() < 1 << 16 {
            out.reserve(1 << 17);
        }
        let len = out.len();
        let mut output = zstd_safe::OutBuffer::around_pos(out, len);
        let mut input = zstd_safe::InBuffer::around(&[]);
        let remaining = cctx
            .compress_stream2(&mut output, &mut input, ZSTD_e_end)
            .map_err(zstd_err)?;
        if remaining == 0 {
            return Ok(());
        }
    }
}

fn gzip_member(c: &mut flate2::Compress, pieces: &[&[u8]], out: &mut Vec<u8>) -> io::Result<()> {
    use flate2::{FlushCompress, Status};
    c.reset();
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=255 (unknown)
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut crc = flate2::Crc::new();
    for piece in pieces {
        crc.update(piece);
        let mut input: &[u8] = piece;
        while !input.is_empty() {
            if out.capacity() - out.len() < 1 << 15 {
                out.reserve(input.len() / 2 + (1 << 16));
            }
            let before = c.total_in();
            c.compress_vec(input, out, FlushCompress::None)
                .map_err(io::Error::other)?;
            let used = (c.total_in() - before) as usize;
            input = &input[used..];
        }
    }
    loop {
        if out.capacity() - out.len() < 1 << 15 {
            out.reserve(1 << 16);
        }
        if c.compress_vec(&[], out, FlushCompress::Finish)
            .map_err(io::Error::other)?
            == Status::StreamEnd
        {
            break;
        }
    }
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Ok(())
}
