//! `Content-Encoding` decoding for parsing (gzip, deflate, br, zstd), capped against bombs.

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

/// The capture's body with every `Content-Encoding` undone (in reverse order), at most
/// `limit` bytes. A body without encoding is returned as is.
pub fn decode_content(capture: &Capture, limit: u64) -> Result<Vec<u8>, DecodeError> {
    todo!("{capture:?}{limit}")
}
