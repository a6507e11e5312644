//! glaneur: an archival crawler for news sites.
//!
//! Data flows one way: `config` (seeds and politeness) → `frontier` → `politeness`
//! (robots.txt, per-host limits) → `fetch` (one [`capture::Capture`] per HTTP exchange)
//! → `warc` (records on disk) → `extract` (articles and links) → back to the `frontier`.
//! `crawl` ties the stages together; the binary in `main.rs` only parses arguments.

pub mod archive;
pub mod capture;
pub mod config;
pub mod crawl;
pub mod demo;
pub mod discover;
pub mod extract;
pub mod fetch;
pub mod frontier;
pub mod metrics;
pub mod politeness;
pub mod profile;
pub mod read;
pub mod render;
pub mod serve;
pub mod store;
pub mod urls;
pub mod wacz;
pub mod warc;
