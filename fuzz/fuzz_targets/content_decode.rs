//! Fuzz target: the one capped `Content-Encoding` decoder
//! (`glaneur::fetch::decode_codings_prefix`), used by the crawl, `get --body`, `serve`'s
//! replay and exports.
//!
//! The first input byte chooses the mode and the codings, the second the size cap:
//! - raw mode: the rest of the input is taken as an encoded body (any bytes, any codings,
//!   up to six of them, unknown ones included). The decoder must never panic, never return
//!   more than the cap, and a complete result of a whole (not truncated) body must be the
//!   same under a larger cap;
//! - round-trip mode: the rest of the input is a payload, encoded here with the chosen
//!   codings (gzip, deflate, br, zstd), then decoded: the decoder must give the payload back
//!   (its first `cap` bytes, marked incomplete, when the payload is longer than the cap).
#![no_main]

use std::io::Write;

use glaneur::fetch::decode_codings_prefix;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 8] = [
    "gzip", "deflate", "br", "zstd", "identity", "x-gzip", "compress", "",
];

fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
    match coding {
        "gzip" | "x-gzip" => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).expect("gzip to memory");
            e.finish().expect("gzip to memory")
        }
        "deflate" => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).expect("zlib to memory");
            e.finish().expect("zlib to memory")
        }
        "br" => {
            let mut out = Vec::new();
            {
                let mut e = brotli::CompressorWriter::new(&mut out, 4096, 1, 18);
                e.write_all(data).expect("brotli to memory");
            }
            out
        }
        "zstd" => zstd::encode_all(data, 1).expect("zstd to memory"),
        _ => data.to_vec(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, cap, rest @ ..] = data else {
        return;
    };
    let limit = u64::from(*cap) * 64;
    if mode & 1 == 0 {
        // Raw: up to six codings from the next byte pairs' low bits.
        let count = usize::from((mode >> 1) % 7);
        if rest.len() < count {
            return;
        }
        let (picks, body) = rest.split_at(count);
        let codings: Vec<String> = picks
            .iter()
            .map(|p| NAMES[usize::from(*p) % NAMES.len()].to_string())
            .collect();
        let truncated = mode & 0x80 != 0;
        if let Ok((out, complete)) = decode_codings_prefix(&codings, body, limit, truncated) {
            assert!(
                out.len() as u64 <= limit,
                "{} bytes past a cap of {limit}",
                out.len()
            );
            // A stream broken off (`truncated`) decodes "as far as it goes", which may
            // depend on read sizes; a whole stream must not.
            if complete && !truncated {
                let (again, still) = decode_codings_prefix(&codings, body, limit + 4096, truncated)
                    .expect("a body decoded under a cap decodes under a larger one");
                assert!(
                    still && again == out,
                    "a larger cap changed a complete result"
                );
            }
        }
    } else {
        // Round trip: at most four real codings (the decoder's own bound).
        let count = usize::from((mode >> 1) % 5);
        let codings: Vec<String> = (0..count)
            .map(|i| NAMES[usize::from(mode >> (3 + i)) % 4].to_string())
            .collect();
        let mut body = rest.to_vec();
        for coding in &codings {
            body = encode(coding, &body);
        }
        let (out, complete) = decode_codings_prefix(&codings, &body, limit, false)
            .expect("glaneur decodes what the reference encoders wrote");
        let want = rest.len().min(usize::try_from(limit).unwrap_or(usize::MAX));
        assert_eq!(out, &rest[..want], "codings {codings:?}");
        assert_eq!(complete, rest.len() as u64 <= limit || rest.is_empty());
    }
});
