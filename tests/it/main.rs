//! glaneur's integration tests, in one binary (as ripgrep does): one link step instead of
//! one per file. Each module is the user story of one area; `support` and `pg_support` are
//! the shared helpers (an in-process news site on loopback, a throwaway PostgreSQL schema).

#![allow(dead_code)]

mod pg_support;
mod support;

mod article_lifecycle;
mod canonical_links;
mod cli;
mod config_errors;
mod crash_kill;
mod crawl;
mod crawl_postgres;
mod demo;
mod export_methods;
mod extract_classes;
mod extract_cms;
mod extract_dates;
mod extract_pages;
mod extract_props;
mod faults;
mod fetch_http;
mod frontier_contract;
mod frontier_postgres;
mod frontier_sqlite;
mod house;
mod incremental;
mod incremental_cli;
mod one_stream;
mod outcomes;
mod politeness_robots;
mod profile;
mod read_cli;
#[cfg(feature = "chromium-tests")]
mod render;
mod robust;
mod serve;
mod shell;
mod wacz;
mod warc_roundtrip;
mod wp_rest;
