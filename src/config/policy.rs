//! `robots-policy.toml`: who we are and how fast we may go, per host.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::ConfigError;

/// Politeness settings for one host (the `[default]` table merged with `[hosts."name"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct HostPolicy {
    /// Sustained request rate per host (governor quota). Must be > 0.
    pub requests_per_second: f64,
    /// Requests allowed in a burst (>= 1).
    pub burst: u32,
    /// Requests in flight at once to this host (>= 1).
    pub max_concurrent: u32,
    /// Total time allowed for one exchange.
    pub timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest silence allowed while reading a body.
    pub read_timeout: Duration,
    /// Bodies longer than this are cut (`WARC-Truncated: length`).
    pub max_body_bytes: u64,
    /// Retries after a timeout, connection error, 429 or 5xx.
    pub retries: u32,
}

/// The whole politeness policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Sent as `User-Agent`; its product token (before `/`) is matched against robots.txt groups.
    pub user_agent: String,
    /// Whether robots.txt is fetched and obeyed.
    pub obey_robots: bool,
    /// Allow requests to loopback, private and link-local addresses.
    pub allow_private_networks: bool,
    /// WARC files are closed and a new one started past this size.
    pub warc_max_bytes: u64,
    /// Settings for hosts without their own table.
    pub default: HostPolicy,
    /// Per-host settings, fully resolved (defaults filled in).
    pub hosts: HashMap<String, HostPolicy>,
    /// Where the policy came from (None for built-in defaults).
    pub source: Option<std::path::PathBuf>,
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, ConfigError> {
        todo!("{path:?}")
    }

    /// Parses policy text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, ConfigError> {
        todo!("{text}{path:?}")
    }

    /// The settings in force for `host` (lower-case host name, without port).
    pub fn for_host(&self, host: &str) -> &HostPolicy {
        self.hosts.get(host).unwrap_or(&self.default)
    }

    /// The product token of the user agent (e.g. `glaneur` for `glaneur/0.1 (+…)`).
    pub fn product_token(&self) -> &str {
        self.user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or(&self.user_agent)
    }
}

impl Default for Policy {
    fn default() -> Self {
        todo!()
    }
}
