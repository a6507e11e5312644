//! An embedded, deterministic French news site for `glaneur demo` and the tests: articles
//! with categories, authors, publication and modification dates and "À lire aussi" blocks;
//! paginated home, category and author listings; robots.txt, a sitemap, RSS and Atom
//! feeds. Pages are generated from a seed in memory (no files) with their ground truth
//! ([`ArticleTruth`]), and served in-process on loopback ([`DemoServer`]).

mod server;
mod site;
mod text;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use url::Url;

use crate::config::{Policy, SiteProfile};
use crate::crawl::{CrawlSettings, OutputMode};
use crate::warc::Compression;

pub use server::DemoServer;
pub use site::{ArticleTruth, DemoPage, DemoSite, MAX_ARTICLES, PER_PAGE, SITE_NAME};

/// The host name of the demo site (`.test` is reserved: it never resolves elsewhere).
pub const DEMO_HOST: &str = "echo-numerique.test";
/// The seed of `glaneur demo`.
pub const DEFAULT_SEED: u64 = 2024;
/// Articles of `glaneur demo`.
pub const DEFAULT_ARTICLES: u32 = 60;

/// The root URL of the demo site.
pub fn base_url() -> Url {
    Url::parse(&format!("http://{DEMO_HOST}/")).expect("the demo host is a valid URL host")
}

/// Crawl settings for the demo site served at `server` into `archive`: the normal crawl
/// path with a generic profile, [`DEMO_HOST`] resolved to the server, private networks
/// allowed (the site is on loopback), 50 requests/s and 4 in flight.
pub fn crawl_settings(archive: &Path, server: SocketAddr, output: OutputMode) -> CrawlSettings {
    let mut policy = Policy {
        user_agent: format!(
            "glaneur-demo/{} (+https://example.org/contact)",
            env!("CARGO_PKG_VERSION")
        ),
        allow_private_networks: true,
        ..Policy::default()
    };
    policy.default.requests_per_second = 50.0;
    policy.default.burst = 4;
    policy.default.max_concurrent = 4;
    policy.default.timeout = Duration::from_secs(10);
    policy.default.connect_timeout = Duration::from_secs(2);
    policy.default.retries = 1;
    CrawlSettings {
        sites: vec![SiteProfile::generic(&base_url())],
        policy,
        archive_dir: archive.to_path_buf(),
        state_path: archive.join("state.sqlite"),
        shared_state: None,
        max_pages: None,
        max_depth: Some(50),
        max_duration: None,
        compression: Compression::Zstd,
        resolve: vec![(DEMO_HOST.to_string(), server)],
        output,
        render: Default::default(),
    }
}
