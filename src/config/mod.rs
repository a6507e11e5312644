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
