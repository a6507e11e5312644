//! Configuration: `robots-policy.toml` (politeness) and the site profiles in `seeds/`,
//! parsed once, validated, and resolved into typed values. Errors name the file and line.

mod policy;
mod profile;

pub use policy::{HostPolicy, Policy};
pub use profile::{SelectorConfig, SiteProfile, load_profiles};

use std::path::PathBuf;

/// A configuration file that could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a value is invalid; `line` is 1-based when known.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending key or value, when known.
        line: Option<usize>,
        /// What is wrong, in words.
        message: String,
    },
}

impl ConfigError {
    /// The 1-based line of the offending key or value, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Io { .. } => None,
            ConfigError::Invalid { line, .. } => *line,
        }
    }

    /// An invalid-value error at byte `offset` of `text`.
    pub(crate) fn at(
        path: &std::path::Path,
        text: &str,
        offset: Option<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line: offset.map(|o| line_of(text, o)),
            message: message.into(),
        }
    }

    /// Converts a TOML syntax or type error, locating it by its byte span.
    /// When the offending line is a `key = value` line, the key is named in the message.
    pub(crate) fn from_toml(
        path: &std::path::Path,
        text: &str,
        e: &toml::de::Error,
    ) -> ConfigError {
        let offset = e.span().map(|s| s.start);
        let mut message = e.message().trim_end().to_string();
        if let Some(key) = offset.and_then(|o| key_on_line(text, o))
            && !message.contains(key)
        {
            message = format!("`{key}`: {message}");
        }
        ConfigError::at(path, text, offset, message)
    }
}

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The bare key of the `key = value` line holding byte `offset`, if it is one.
fn key_on_line(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let (key, _) = text[start..end].split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    bare.then_some(key)
}

/// Reads a configuration file, mapping the error to [`ConfigError::Io`].
pub(crate) fn read_file(path: &std::path::Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}
