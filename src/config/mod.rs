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
    pub(crate) fn from_toml(path: &std::path::Path, text: &str, e: &toml::de::Error) -> ConfigError {
        ConfigError::at(
            path,
            text,
            e.span().map(|s| s.start),
            e.message().trim_end().to_string(),
        )
    }
}

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Reads a configuration file, mapping the error to [`ConfigError::Io`].
pub(crate) fn read_file(path: &std::path::Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })
}
