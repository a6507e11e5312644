//! `Content-Encoding` decoding for parsing (gzip, deflate, br, zstd), capped against bombs.

use std::io::{BufRead, BufReader, Read};

use crate::capture::Capture;

/// A body that could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Decoded size would exceed the cap.
    #[error("decoded body exceeds {limit} bytes (compression bomb?)")]
    TooLarge {
        /// The cap.
        limit: u64,
    },
    /// Unknown coding.
    #[error("unsupported content-encoding {0:?}")]
    Unsupported(String),
    /// Corrupt data.
    #[error("corrupt {coding} body: {message}")]
    Corrupt {
        /// The coding.
        coding: String,
        /// The decoder's error.
        message: String,
    },
}

/// Most `Content-Encoding` layers decoded; a body with more is [`DecodeError::Unsupported`].
pub const MAX_CODINGS: usize = 4;

/// Largest zstd window accepted (2^23 = 8 MiB, the limit of RFC 9659 for HTTP).
const ZSTD_MAX_WINDOW_LOG: u32 = 23;

/// The capture's body with every `Content-Encoding` undone (in reverse order), at most
/// `limit` bytes. A body without encoding is returned as is.
///
/// Decoding streams through the decoders and stops reading at `limit + 1` bytes, so a
/// compression bomb never inflates in memory. When the capture was truncated, the body
/// decodes as far as it goes and the partial output is returned instead of an error.
pub fn decode_content(
    capture: &Capture,
    limit: u64,
) -> Result<std::borrow::Cow<'_, [u8]>, DecodeError> {
    let codings = content_codings(capture);
    let plain = codings
        .iter()
        .all(|c| c.is_empty() || c.as_str() == "identity");
    if plain {
        // Nothing to undo: the body itself, not a copy.
        return if capture.body.len() as u64 <= limit {
            Ok(std::borrow::Cow::Borrowed(&capture.body[..]))
        } else {
            Err(DecodeError::TooLarge { limit })
        };
    }
    let (out, complete) = decode_content_prefix(capture, limit)?;
    if complete {
        Ok(std::borrow::Cow::Owned(out))
    } else {
        Err(DecodeError::TooLarge { limit })
    }
}

/// Like [`decode_content`], but a body longer than `limit` once decoded is not an error:
/// its first `limit` bytes are returned with `false` (not complete). Used where a prefix
/// is enough (robots.txt is parsed up to 500 KiB).
pub fn decode_content_prefix(
    capture: &Capture,
    limit: u64,
) -> Result<(Vec<u8>, bool), DecodeError> {
    let codings = content_codings(capture);
    decode_codings_prefix(&codings, &capture.body, limit, capture.truncated.is_some())
}

/// The one decoding function of glaneur: undoes `codings` (in the order they were
/// applied, as listed by `Content-Encoding`; undone in reverse) on `body`, streaming
/// through the decoders and keeping at most `limit` bytes. Returns the decoded bytes and
/// whether they are complete (`false`: the body decodes to more than `limit`, only the
/// first `limit` bytes are returned). More than [`MAX_CODINGS`] codings, or an unknown
/// one, is [`DecodeError::Unsupported`]. With `truncated` (a capture cut short), a stream
/// that breaks off decodes as far as it goes instead of failing.
///
/// Used by the crawl, `get --body`, `serve`'s replay and exports: memory is bounded by
/// `limit`, never by what the body or its headers claim.
pub fn decode_codings_prefix(
    codings: &[String],
    body: &[u8],
    limit: u64,
    truncated: bool,
) -> Result<(Vec<u8>, bool), DecodeError> {
    let codings: Vec<&String> = codings
        .iter()
        .filter(|c| !c.is_empty() && c.as_str() != "identity")
        .collect();
    if body.is_empty() {
        // 204, 304, HEAD-like answers keep their Content-Encoding header.
        return Ok((Vec::new(), true));
    }
    if codings.is_empty() {
        let n = usize::try_from(limit).unwrap_or(usize::MAX).min(body.len());
        return Ok((body[..n].to_vec(), n == body.len()));
    }
    if codings.len() > MAX_CODINGS {
        // Each coding is a nested decoder with its own buffers: thousands of them (one
        // header line can list ~80 000) would exhaust memory and the stack.
        return Err(DecodeError::Unsupported(format!(
            "{} content-codings (at most {MAX_CODINGS} are decoded)",
            codings.len()
        )));
    }
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    for coding in codings.iter().rev() {
        reader = match coding.as_str() {
            "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(reader)),
            "deflate" => deflate_reader(reader),
            "br" => Box::new(brotli::Decompressor::new(reader, 8192)),
            "zstd" => {
                let corrupt = |e: std::io::Error| DecodeError::Corrupt {
                    coding: coding.to_string(),
                    message: e.to_string(),
                };
                let mut decoder = zstd::stream::read::Decoder::new(reader).map_err(corrupt)?;
                // RFC 9659: zstd in HTTP uses windows of at most 8 MB; a frame asking for
                // more (up to 2 GB) would make the decoder allocate it.
                decoder
                    .window_log_max(ZSTD_MAX_WINDOW_LOG)
                    .map_err(corrupt)?;
                Box::new(decoder)
            }
            other => return Err(DecodeError::Unsupported(other.to_string())),
        };
    }
    let mut limited = reader.take(limit.saturating_add(1));
    let mut out = Vec::with_capacity(body.len().min(1 << 20));
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match limited.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // Grow to at most `limit + 1` bytes: doubling past the cap would touch
                // twice the memory the cap allows.
                let needed = out.len() + n;
                if needed > out.capacity() {
                    let cap = usize::try_from(limit.saturating_add(1)).unwrap_or(usize::MAX);
                    let target = (out.capacity().saturating_mul(2)).max(needed).min(cap);
                    out.reserve_exact(target.max(needed) - out.len());
                }
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if truncated {
                    break;
                }
                let names: Vec<&str> = codings.iter().map(|c| c.as_str()).collect();
                return Err(DecodeError::Corrupt {
                    coding: names.join(", "),
                    message: e.to_string(),
                });
            }
        }
    }
    if out.len() as u64 > limit {
        out.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        return Ok((out, false));
    }
    Ok((out, true))
}

/// The codings listed by `Content-Encoding` header values, in the order applied,
/// lower-cased, without `identity`.
pub fn codings_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values
        .into_iter()
        .flat_map(|v| {
            v.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .filter(|c| !c.is_empty() && c != "identity")
        .collect()
}

/// The codings of every `Content-Encoding` header, in the order applied, lower-cased,
/// without `identity`.
fn content_codings(capture: &Capture) -> Vec<String> {
    let values: Vec<String> = capture
        .headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    codings_of(values.iter().map(String::as_str))
}

/// `deflate` is zlib-wrapped per RFC 9110, but some servers send raw deflate: sniff the
/// zlib header (CMF/FLG check) and fall back to raw deflate.
fn deflate_reader<'a>(inner: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
    let mut buffered = BufReader::new(inner);
    let zlib = match buffered.fill_buf() {
        Ok(head) if head.len() >= 2 => {
            (head[0] & 0x0F) == 8 && (u16::from(head[0]) << 8 | u16::from(head[1])) % 31 == 0
        }
        _ => true,
    };
    if zlib {
        Box::new(flate2::bufread::ZlibDecoder::new(buffered))
    } else {
        Box::new(flate2::bufread::DeflateDecoder::new(buffered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_without_coding_is_lent_not_copied_and_still_bounded() {
        let plain = capture(Some("identity"), b"<p>x</p>".to_vec());
        let body = decode_content(&plain, 100).unwrap();
        assert!(matches!(body, std::borrow::Cow::Borrowed(_)));
        assert_eq!(&*body, b"<p>x</p>");
        assert!(matches!(
            decode_content(&plain, 3),
            Err(DecodeError::TooLarge { limit: 3 })
        ));
    }

    /// [`decode_content`], owned (the tests build their captures in place).
    fn decoded(capture: &Capture, limit: u64) -> Result<Vec<u8>, DecodeError> {
        decode_content(capture, limit).map(std::borrow::Cow::into_owned)
    }
    use std::io::Write;
    use std::time::Duration;

    use bytes::Bytes;
    use url::Url;

    use crate::capture::Truncation;

    fn capture(encoding: Option<&str>, body: Vec<u8>) -> Capture {
        let mut headers = http::HeaderMap::new();
        if let Some(e) = encoding {
            headers.insert(http::header::CONTENT_ENCODING, e.parse().unwrap());
        }
        Capture {
            url: Url::parse("http://example.test/").unwrap(),
            started: chrono::Utc::now(),
            ip: None,
            request: Vec::new(),
            status: 200,
            response_head: Vec::new(),
            headers,
            body: Bytes::from(body),
            truncated: None,
            elapsed: Duration::ZERO,
        }
    }

    fn sample() -> Vec<u8> {
        (0..20_000u32)
            .flat_map(|i| format!("ligne {i} é\n").into_bytes())
            .collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn brotli_bytes(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            w.write_all(data).unwrap();
        }
        out
    }

    #[test]
    fn thousands_of_codings_are_refused_not_nested() {
        let body = gzip(b"<p>x</p>");
        let many = vec!["gzip"; 50_000].join(", ");
        let result = decoded(&capture(Some(&many), body.clone()), 1 << 20);
        assert!(
            matches!(result, Err(DecodeError::Unsupported(_))),
            "{:?}",
            result.map(|b| b.len())
        );
        // Two layers (the most seen in practice) still decode.
        let twice = gzip(&body);
        assert_eq!(
            decoded(&capture(Some("gzip, gzip"), twice), 1 << 20).unwrap(),
            b"<p>x</p>"
        );
    }

    #[test]
    fn zstd_frame_with_a_window_over_8_mib_is_refused() {
        // Streaming (no pledged size), window 2^27: the frame header asks for 128 MiB.
        let data = sample();
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        e.window_log(27).unwrap();
        e.include_contentsize(false).unwrap();
        e.write_all(&data).unwrap();
        let big_window = e.finish().unwrap();
        let result = decoded(&capture(Some("zstd"), big_window), 1 << 30);
        assert!(
            matches!(result, Err(DecodeError::Corrupt { .. })),
            "{:?}",
            result.map(|b| b.len())
        );
        // An ordinary frame decodes.
        let normal = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(
            decoded(&capture(Some("zstd"), normal), 1 << 30).unwrap(),
            data
        );
    }

    #[test]
    fn identity_and_absent() {
        let data = sample();
        assert_eq!(
            decoded(&capture(None, data.clone()), 1 << 30).unwrap(),
            data
        );
        assert_eq!(
            decoded(&capture(Some("identity"), data.clone()), 1 << 30).unwrap(),
            data
        );
        assert!(matches!(
            decoded(&capture(None, data.clone()), 10),
            Err(DecodeError::TooLarge { limit: 10 })
        ));
    }

    #[test]
    fn each_coding() {
        let data = sample();
        assert_eq!(
            decoded(&capture(Some("gzip"), gzip(&data)), 1 << 30).unwrap(),
            data
        );
        assert_eq!(
            decoded(&capture(Some("X-Gzip"), gzip(&data)), 1 << 30).unwrap(),
            data
        );

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&data).unwrap();
        assert_eq!(
            decoded(&capture(Some("deflate"), z.finish().unwrap()), 1 << 30).unwrap(),
            data
        );

        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&data).unwrap();
        assert_eq!(
            decoded(&capture(Some("deflate"), raw.finish().unwrap()), 1 << 30).unwrap(),
            data
        );

        assert_eq!(
            decoded(&capture(Some("br"), brotli_bytes(&data)), 1 << 30).unwrap(),
            data
        );

        let zs = zstd::encode_all(&data[..], 3).unwrap();
        assert_eq!(decoded(&capture(Some("zstd"), zs), 1 << 30).unwrap(), data);
    }

    #[test]
    fn stacked_codings_are_undone_in_reverse() {
        let data = sample();
        // Applied gzip first, then br: "Content-Encoding: gzip, br".
        let body = brotli_bytes(&gzip(&data));
        assert_eq!(
            decoded(&capture(Some("gzip, br"), body.clone()), 1 << 30).unwrap(),
            data
        );
        // The same codings in two header lines.
        let mut c = capture(Some("gzip"), body);
        c.headers
            .append(http::header::CONTENT_ENCODING, "br".parse().unwrap());
        assert_eq!(decoded(&c, 1 << 30).unwrap(), data);
    }

    #[test]
    fn empty_body_with_an_encoding_is_empty() {
        for coding in ["gzip", "br", "zstd", "deflate", "gzip, br"] {
            assert_eq!(
                decoded(&capture(Some(coding), Vec::new()), 10).unwrap(),
                b""
            );
        }
    }

    #[test]
    fn unknown_and_corrupt() {
        assert!(matches!(
            decoded(&capture(Some("compress"), vec![1, 2, 3]), 100),
            Err(DecodeError::Unsupported(c)) if c == "compress"
        ));
        assert!(matches!(
            decoded(
                &capture(Some("gzip"), b"<html>not gzip</html>".to_vec()),
                100
            ),
            Err(DecodeError::Corrupt { .. })
        ));
    }

    #[test]
    fn truncated_capture_decodes_as_far_as_it_goes() {
        let data = sample();
        let gz = gzip(&data);
        let mut c = capture(Some("gzip"), gz[..gz.len() / 2].to_vec());
        // Without the truncation flag, a cut stream is an error...
        assert!(matches!(
            decoded(&c, 1 << 30),
            Err(DecodeError::Corrupt { .. })
        ));
        // ...with it, the decodable prefix comes back.
        c.truncated = Some(Truncation::Length);
        let out = decoded(&c, 1 << 30).unwrap();
        assert!(out.len() > 1000, "only {} bytes decoded", out.len());
        assert!(out.len() < data.len());
        assert_eq!(&data[..out.len()], &out[..]);
    }

    #[test]
    fn prefix_returns_the_first_bytes() {
        let data = sample();
        let (out, complete) =
            decode_content_prefix(&capture(Some("gzip"), gzip(&data)), 1000).unwrap();
        assert!(!complete);
        assert_eq!(out, &data[..1000]);
        let (out, complete) =
            decode_content_prefix(&capture(Some("gzip"), gzip(&data)), 1 << 30).unwrap();
        assert!(complete);
        assert_eq!(out, data);
    }

    /// Writes `total` zero bytes into `w` in 1 MiB pieces (never holding them all).
    fn write_zeros(w: &mut impl Write, total: usize) {
        let chunk = vec![0u8; 1 << 20];
        let mut left = total;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    }

    #[test]
    fn gzip_bomb_is_refused_without_inflating() {
        // 1 GiB of zeros gzips to about 1 MiB.
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        write_zeros(&mut e, 1 << 30);
        let bomb = e.finish().unwrap();
        assert!(bomb.len() < 8 << 20, "bomb is {} bytes", bomb.len());
        let started = std::time::Instant::now();
        let result = decoded(&capture(Some("gzip"), bomb), 10 << 20);
        assert!(matches!(result, Err(DecodeError::TooLarge { limit }) if limit == 10 << 20));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn brotli_bomb_is_refused_without_inflating() {
        let mut bomb = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut bomb, 1 << 16, 1, 22);
            write_zeros(&mut w, 256 << 20);
        }
        assert!(bomb.len() < 1 << 20, "bomb is {} bytes", bomb.len());
        let result = decoded(&capture(Some("br"), bomb), 4 << 20);
        assert!(matches!(result, Err(DecodeError::TooLarge { .. })));
    }
}
