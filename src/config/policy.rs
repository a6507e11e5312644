//! `robots-policy.toml`: who we are and how fast we may go, per host.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use super::{ConfigError, read_file};

/// Default `user_agent`.
pub const DEFAULT_USER_AGENT: &str = "glaneur/0.1 (+https://example.org/contact)";
/// Default `warc_max_bytes`: 1 GiB.
pub const DEFAULT_WARC_MAX_BYTES: u64 = 1 << 30;

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
    /// Links read from one page at most (the rest are ignored): bounds the memory and
    /// the frontier work of a hostile or broken page.
    pub max_links_per_page: usize,
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
    /// The crawl state: a SQLite file path, or a `postgres://…` URL shared by several
    /// workers (`--state` overrides it). None: `<archive>/state.sqlite`.
    pub state: Option<String>,
    /// zstd dictionary of the WARC files (`warc_dictionary`: `auto`, `off` or a file).
    pub warc_dictionary: crate::warc::DictionarySetting,
}

impl Default for HostPolicy {
    /// The defaults of the `[default]` table: 1 request/s, burst 1, 2 in flight, 30 s total,
    /// 10 s connect and 30 s read-idle timeouts, 20 MB bodies, 3 retries, 10,000 links
    /// per page.
    fn default() -> Self {
        HostPolicy {
            requests_per_second: 1.0,
            burst: 1,
            max_concurrent: 2,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            max_body_bytes: 20_000_000,
            retries: 3,
            max_links_per_page: crate::extract::DEFAULT_MAX_LINKS,
        }
    }
}

/// The policy file as written (every key optional, positions kept for error messages).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    user_agent: Option<Spanned<String>>,
    obey_robots: Option<bool>,
    allow_private_networks: Option<bool>,
    warc_max_bytes: Option<Spanned<u64>>,
    state: Option<Spanned<String>>,
    warc_dictionary: Option<Spanned<String>>,
    default: Option<RawHost>,
    #[serde(default)]
    hosts: BTreeMap<Spanned<String>, RawHost>,
}

/// A `[default]` or `[hosts."name"]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    requests_per_second: Option<Spanned<f64>>,
    burst: Option<Spanned<u32>>,
    max_concurrent: Option<Spanned<u32>>,
    timeout_secs: Option<Spanned<f64>>,
    connect_timeout_secs: Option<Spanned<f64>>,
    read_timeout_secs: Option<Spanned<f64>>,
    max_body_bytes: Option<Spanned<u64>>,
    retries: Option<Spanned<u32>>,
    max_links_per_page: Option<Spanned<u32>>,
}

/// Validates positive integers and seconds, with the file context for errors.
struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    fn err(&self, span: std::ops::Range<usize>, message: String) -> ConfigError {
        ConfigError::at(self.path, self.text, Some(span.start), message)
    }

    fn positive(&self, key: &str, v: &Spanned<u32>) -> Result<u32, ConfigError> {
        match *v.get_ref() {
            0 => Err(self.err(
                v.span(),
                format!("`{key}` must be at least 1; write it like `{key} = 1`"),
            )),
            n => Ok(n),
        }
    }

    fn seconds(&self, key: &str, v: &Spanned<f64>) -> Result<Duration, ConfigError> {
        let secs = *v.get_ref();
        if !(secs.is_finite() && secs > 0.0) {
            return Err(self.err(
                v.span(),
                format!(
                    "`{key}` must be a positive number of seconds, not {secs}; write it like `{key} = 30` or `{key} = 2.5`"
                ),
            ));
        }
        Duration::try_from_secs_f64(secs).map_err(|e| {
            self.err(
                v.span(),
                format!("`{key}`: {e}; write a number of seconds like `{key} = 30`"),
            )
        })
    }

    /// Merges `raw` over `base`, validating every value present.
    fn merge(&self, base: &HostPolicy, raw: &RawHost) -> Result<HostPolicy, ConfigError> {
        let mut out = base.clone();
        if let Some(v) = &raw.requests_per_second {
            let rps = *v.get_ref();
            if !(rps.is_finite() && rps > 0.0) {
                return Err(self.err(
                    v.span(),
                    format!(
                        "`requests_per_second` must be a number greater than 0, not {rps}; write it like `requests_per_second = 0.5` (one request every 2 s)"
                    ),
                ));
            }
            out.requests_per_second = rps;
        }
        if let Some(v) = &raw.burst {
            out.burst = self.positive("burst", v)?;
        }
        if let Some(v) = &raw.max_concurrent {
            out.max_concurrent = self.positive("max_concurrent", v)?;
        }
        if let Some(v) = &raw.timeout_secs {
            out.timeout = self.seconds("timeout_secs", v)?;
        }
        if let Some(v) = &raw.connect_timeout_secs {
            out.connect_timeout = self.seconds("connect_timeout_secs", v)?;
        }
        if let Some(v) = &raw.read_timeout_secs {
            out.read_timeout = self.seconds("read_timeout_secs", v)?;
        }
        if let Some(v) = &raw.max_body_bytes {
            if *v.get_ref() == 0 {
                return Err(self.err(
                    v.span(),
                    "`max_body_bytes` must be at least 1; write it like `max_body_bytes = 20000000` (20 MB)".into(),
                ));
            }
            out.max_body_bytes = *v.get_ref();
        }
        if let Some(v) = &raw.retries {
            out.retries = *v.get_ref();
        }
        if let Some(v) = &raw.max_links_per_page {
            out.max_links_per_page = self.positive("max_links_per_page", v)? as usize;
        }
        Ok(out)
    }
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, ConfigError> {
        let text = read_file(path)?;
        let mut policy = Policy::parse(&text, path)?;
        policy.source = Some(path.to_path_buf());
        Ok(policy)
    }

    /// Parses policy text; `path` is only used in error messages.
    ///
    /// Missing keys take the built-in defaults ([`Policy::default`]); each `[hosts."name"]`
    /// table is merged over `[default]`. Unknown keys, wrong types and invalid values are
    /// errors naming the file and the line.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, ConfigError> {
        let raw: RawPolicy =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        let check = Checker { path, text };
        let builtin = Policy::default();

        let user_agent = match &raw.user_agent {
            Some(ua) => {
                let value = ua.get_ref().trim();
                if value.is_empty() {
                    return Err(check.err(
                        ua.span(),
                        "`user_agent` must not be empty; write a product token, a version and a contact, like `user_agent = \"glaneur/0.1 (+https://example.org/contact)\"`".into(),
                    ));
                }
                if value.chars().any(|c| c.is_control()) {
                    return Err(check.err(
                        ua.span(),
                        "`user_agent` must not contain control characters (tabs, line breaks); write it on one line, like `user_agent = \"glaneur/0.1 (+https://example.org/contact)\"`".into(),
                    ));
                }
                if value.starts_with(['/', ' ']) {
                    return Err(check.err(
                        ua.span(),
                        "`user_agent` must start with a product token (e.g. `glaneur/0.1`)".into(),
                    ));
                }
                value.to_string()
            }
            None => builtin.user_agent,
        };
        let warc_max_bytes = match &raw.warc_max_bytes {
            Some(v) if *v.get_ref() == 0 => {
                return Err(check.err(
                    v.span(),
                    "`warc_max_bytes` must be at least 1; write it like `warc_max_bytes = 1073741824` (1 GiB)".into(),
                ));
            }
            Some(v) => *v.get_ref(),
            None => builtin.warc_max_bytes,
        };
        let state = match &raw.state {
            Some(v) => {
                let value = v.get_ref().trim();
                if value.is_empty() {
                    return Err(check.err(v.span(), "`state` must not be empty".into()));
                }
                if crate::frontier::is_postgres_url(value)
                    && let Err(e) = value.parse::<postgres::Config>()
                {
                    return Err(check.err(
                        v.span(),
                        format!("`state`: not a valid PostgreSQL URL ({e})"),
                    ));
                }
                Some(value.to_string())
            }
            None => None,
        };
        let default = match &raw.default {
            Some(d) => check.merge(&builtin.default, d)?,
            None => builtin.default,
        };
        let mut hosts = HashMap::new();
        for (name, table) in &raw.hosts {
            let host = name.get_ref().trim().to_ascii_lowercase();
            if host.is_empty() || host.contains(['/', ' ', ':', '@']) {
                return Err(check.err(
                    name.span(),
                    format!(
                        "`[hosts.{:?}]`: expected a bare host name, without scheme, port or path; write it like `[hosts.\"www.example.org\"]`",
                        name.get_ref()
                    ),
                ));
            }
            let resolved = check.merge(&default, table)?;
            if hosts.insert(host.clone(), resolved).is_some() {
                return Err(check.err(
                    name.span(),
                    format!(
                        "host {host:?} is configured twice (host names ignore case); merge the two tables into one"
                    ),
                ));
            }
        }
        let warc_dictionary = match &raw.warc_dictionary {
            Some(v) => {
                let setting: crate::warc::DictionarySetting = v
                    .get_ref()
                    .parse()
                    .map_err(|m: String| check.err(v.span(), format!("`warc_dictionary`: {m}")))?;
                match setting {
                    // A relative path is relative to the policy file.
                    crate::warc::DictionarySetting::File(f) if f.is_relative() => {
                        crate::warc::DictionarySetting::File(
                            path.parent().unwrap_or(Path::new("")).join(f),
                        )
                    }
                    other => other,
                }
            }
            None => builtin.warc_dictionary,
        };
        Ok(Policy {
            user_agent,
            obey_robots: raw.obey_robots.unwrap_or(builtin.obey_robots),
            allow_private_networks: raw
                .allow_private_networks
                .unwrap_or(builtin.allow_private_networks),
            warc_max_bytes,
            default,
            hosts,
            source: None,
            state,
            warc_dictionary,
        })
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
    /// The built-in policy: [`DEFAULT_USER_AGENT`], robots.txt obeyed, no private networks,
    /// 1 GiB WARC files, [`HostPolicy::default`] for every host.
    fn default() -> Self {
        Policy {
            user_agent: DEFAULT_USER_AGENT.to_string(),
            obey_robots: true,
            allow_private_networks: false,
            warc_max_bytes: DEFAULT_WARC_MAX_BYTES,
            default: HostPolicy::default(),
            hosts: HashMap::new(),
            source: None,
            state: None,
            warc_dictionary: crate::warc::DictionarySetting::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "conf/robots-policy.toml";

    fn parse(text: &str) -> Result<Policy, ConfigError> {
        Policy::parse(text, Path::new(FILE))
    }

    /// Parses text that must fail; returns the error's line and its message.
    fn fails(text: &str) -> (usize, String) {
        let err = parse(text).expect_err("must be refused");
        let msg = err.to_string();
        assert!(msg.starts_with(FILE), "error does not name the file: {msg}");
        let line = err.line().unwrap_or_else(|| panic!("no line in {msg}"));
        assert!(
            msg.starts_with(&format!("{FILE}:{line}: ")),
            "line not in message: {msg}"
        );
        (line, msg)
    }

    #[test]
    fn empty_file_gives_defaults() {
        let p = parse("").unwrap();
        assert_eq!(p.user_agent, DEFAULT_USER_AGENT);
        assert!(p.obey_robots);
        assert!(!p.allow_private_networks);
        assert_eq!(p.warc_max_bytes, 1024 * 1024 * 1024);
        assert_eq!(p.default, HostPolicy::default());
        assert_eq!(p.default.requests_per_second, 1.0);
        assert_eq!(p.default.burst, 1);
        assert_eq!(p.default.max_concurrent, 2);
        assert_eq!(p.default.timeout, Duration::from_secs(30));
        assert_eq!(p.default.connect_timeout, Duration::from_secs(10));
        assert_eq!(p.default.read_timeout, Duration::from_secs(30));
        assert_eq!(p.default.max_body_bytes, 20_000_000);
        assert_eq!(p.default.max_links_per_page, 10_000);
        assert_eq!(p.default.retries, 3);
        assert!(p.hosts.is_empty());
        assert_eq!(p.product_token(), "glaneur");
    }

    #[test]
    fn state_may_name_a_postgres_database() {
        assert_eq!(parse("").unwrap().state, None);
        let p = parse("state = \"postgres://crawler@db.example.org:5432/news\"\n").unwrap();
        assert_eq!(
            p.state.as_deref(),
            Some("postgres://crawler@db.example.org:5432/news")
        );
        let p = parse("state = \"crawls/news.sqlite\"\n").unwrap();
        assert_eq!(p.state.as_deref(), Some("crawls/news.sqlite"));
        let (line, msg) = fails("obey_robots = true\nstate = \"postgres://db:notaport/x\"\n");
        assert_eq!(line, 2);
        assert!(msg.contains("PostgreSQL URL"), "{msg}");
        let (line, _) = fails("\nstate = \"  \"\n");
        assert_eq!(line, 2);
    }

    #[test]
    fn hosts_merge_over_default() {
        let p = parse(
            r#"
user_agent = "testbot/2.0"
obey_robots = false
allow_private_networks = true
warc_max_bytes = 5000
[default]
requests_per_second = 4
burst = 3
timeout_secs = 2.5
[hosts."WWW.Example.org"]
requests_per_second = 0.5
max_concurrent = 1
[hosts."other.test"]
retries = 0
"#,
        )
        .unwrap();
        assert_eq!(p.user_agent, "testbot/2.0");
        assert_eq!(p.product_token(), "testbot");
        assert!(!p.obey_robots);
        assert!(p.allow_private_networks);
        assert_eq!(p.warc_max_bytes, 5000);
        assert_eq!(p.default.requests_per_second, 4.0);
        assert_eq!(p.default.burst, 3);
        assert_eq!(p.default.max_concurrent, 2);
        assert_eq!(p.default.timeout, Duration::from_millis(2500));
        let ex = p.for_host("www.example.org");
        assert_eq!(ex.requests_per_second, 0.5);
        assert_eq!(ex.max_concurrent, 1);
        // Keys not in the host table come from [default], not from the built-ins.
        assert_eq!(ex.burst, 3);
        assert_eq!(ex.timeout, Duration::from_millis(2500));
        assert_eq!(p.for_host("other.test").retries, 0);
        assert_eq!(p.for_host("other.test").requests_per_second, 4.0);
        assert_eq!(p.for_host("unknown.test"), &p.default);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let (line, msg) = fails("user_agent = \"a/1\"\n\nobey_robot = true\n");
        assert_eq!(line, 3, "{msg}");
        assert!(msg.contains("obey_robot"), "{msg}");
        let (line, msg) = fails("[default]\nburst = 2\nrate = 3\n");
        assert_eq!(line, 3, "{msg}");
        let (line, msg) = fails("[hosts.\"a.test\"]\nburst = 2\n\n\nspeed = 3\n");
        assert_eq!(line, 5, "{msg}");
        let (line, _) = fails("[defaults]\nburst = 2\n");
        assert_eq!(line, 1);
    }

    #[test]
    fn wrong_types_are_refused_with_their_line() {
        let (line, msg) = fails("[default]\nrequests_per_second = 1\nburst = \"two\"\n");
        assert_eq!(line, 3, "{msg}");
        let (line, _) = fails("obey_robots = true\nallow_private_networks = \"yes\"\n");
        assert_eq!(line, 2);
        let (line, _) = fails("\n[default]\nmax_concurrent = -1\n");
        assert_eq!(line, 3);
        let (line, _) = fails("\n\nuser_agent = 3\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn syntax_errors_have_their_line() {
        let (line, _) = fails("user_agent = \"a/1\"\nobey_robots = \n");
        assert_eq!(line, 2);
        let (line, _) = fails("[default]\nburst = 1\nburst = 2\n");
        assert_eq!(line, 3);
    }

    #[test]
    fn invalid_values_are_refused_with_their_line() {
        for (text, want, what) in [
            (
                "[default]\nrequests_per_second = 0\n",
                2,
                "requests_per_second",
            ),
            (
                "[default]\n\nrequests_per_second = -2.0\n",
                3,
                "requests_per_second",
            ),
            (
                "[default]\nrequests_per_second = nan\n",
                2,
                "requests_per_second",
            ),
            (
                "[default]\nrequests_per_second = inf\n",
                2,
                "requests_per_second",
            ),
            ("[default]\nburst = 0\n", 2, "burst"),
            ("[default]\nmax_concurrent = 0\n", 2, "max_concurrent"),
            ("[default]\ntimeout_secs = 0\n", 2, "timeout_secs"),
            (
                "[default]\nconnect_timeout_secs = -1\n",
                2,
                "connect_timeout_secs",
            ),
            (
                "[default]\nread_timeout_secs = 1e300\n",
                2,
                "read_timeout_secs",
            ),
            ("[default]\nmax_body_bytes = 0\n", 2, "max_body_bytes"),
            (
                "[default]\nmax_links_per_page = 0\n",
                2,
                "max_links_per_page",
            ),
            ("user_agent = \"  \"\n", 1, "user_agent"),
            (
                "obey_robots = true\nwarc_max_bytes = 0\n",
                2,
                "warc_max_bytes",
            ),
            (
                "[hosts.\"a.test\"]\nburst = 1\n[hosts.\"b.test\"]\nburst = 0\n",
                4,
                "burst",
            ),
            ("[hosts.\"https://a.test/\"]\nburst = 1\n", 1, "host name"),
            ("[hosts.\"a.test:8080\"]\nburst = 1\n", 1, "host name"),
            (
                "[hosts.\"A.test\"]\nburst = 1\n[hosts.\"a.test\"]\nburst = 2\n",
                3,
                "twice",
            ),
        ] {
            let (line, msg) = fails(text);
            assert_eq!(line, want, "{text:?}: {msg}");
            assert!(msg.contains(what), "{text:?}: {msg}");
        }
    }

    #[test]
    fn load_reads_file_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "[default]\nburst = 4\n").unwrap();
        let p = Policy::load(&path).unwrap();
        assert_eq!(p.default.burst, 4);
        assert_eq!(p.source.as_deref(), Some(path.as_path()));
        let missing = dir.path().join("missing.toml");
        let err = Policy::load(&missing).unwrap_err();
        assert!(matches!(err, ConfigError::Io { .. }));
        assert!(err.to_string().contains("missing.toml"));
    }

    #[test]
    fn shipped_policy_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("robots-policy.toml");
        let p = Policy::load(&path).unwrap();
        assert_eq!(p.default, HostPolicy::default());
        assert_eq!(p.user_agent, DEFAULT_USER_AGENT);
        assert!(p.obey_robots && !p.allow_private_networks);
        assert_eq!(p.warc_max_bytes, DEFAULT_WARC_MAX_BYTES);
        let s = p.for_host("www.silicon.fr");
        assert_eq!(s.requests_per_second, 0.5);
        assert_eq!(s.burst, 1);
    }
}
