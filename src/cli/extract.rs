//! `glaneur extract`: prints the Article of a saved page as JSON, or extracts every
//! `*.html` / `*.html.gz` page under a folder into `OUTDIR/<stem>.json`, on all cores.

use std::path::PathBuf;

use anyhow::{Context, bail};
use glaneur::extract::ProfileSelectors;
use glaneur::extract::batch::{extract_saved, file_url, read_page, run_batch};
use url::Url;

use super::Printer;

/// Arguments of `glaneur extract`.
#[derive(Debug, clap::Args)]
pub struct ExtractArgs {
    /// A saved HTML page (`.html` or `.html.gz`).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub file: Option<PathBuf>,
    /// The page's URL (for relative links, dates in the URL, the site name) [default: the
    /// page's canonical URL when it names an absolute one]
    #[arg(long)]
    pub url: Option<Url>,
    /// A site profile (`seeds/x.toml`) whose `[selectors]` are tried first.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Extract every `*.html` / `*.html.gz` file under this folder.
    #[arg(long, requires = "out")]
    pub batch: Option<PathBuf>,
    /// Output folder for `--batch`: one `<file stem>.json` per page.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads for `--batch` (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// When the page was saved (RFC 3339, e.g. `2024-03-10T12:00:00Z`), to read relative
    /// dates ("2 days ago") against; without it they are not read.
    #[arg(long, conflicts_with = "batch")]
    pub fetched_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// Runs `glaneur extract`.
pub fn run(args: &ExtractArgs, printer: Printer) -> anyhow::Result<()> {
    let selectors = match &args.profile {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let profile = glaneur::config::SiteProfile::parse(&text, path)?;
            let sel = ProfileSelectors::compile(&profile.selectors)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some(sel)
        }
        None => None,
    };
    if let Some(dir) = &args.batch {
        let Some(out) = &args.out else {
            bail!("--batch needs --out");
        };
        let stats = run_batch(dir, out, selectors.as_ref(), args.jobs)?;
        for e in &stats.errors {
            printer.warn(e);
        }
        let secs = stats.seconds.max(1e-9);
        printer.info(format_args!(
            "extracted {} pages in {:.2}s ({:.0} pages/s, {:.1} MB/s) with {} threads, {} errors",
            stats.pages,
            secs,
            (stats.pages + stats.errors.len()) as f64 / secs,
            stats.bytes as f64 / secs / 1e6,
            stats.threads,
            stats.errors.len()
        ));
        return Ok(());
    }
    let Some(file) = &args.file else {
        bail!("give a FILE or --batch DIR");
    };
    let body = read_page(file)?;
    let fetched_at = args.fetched_at.map(|t| t.with_timezone(&chrono::Utc));
    let article = match &args.url {
        Some(url) => extract_saved(&body, url, selectors.as_ref(), fetched_at),
        None => {
            // The page's own canonical URL (absolute) stands for the page, else a
            // file-name URL on localhost.
            let guess = extract_saved(&body, &file_url(file), selectors.as_ref(), fetched_at);
            match guess
                .canonical_url
                .as_deref()
                .and_then(|c| Url::parse(c).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
            {
                Some(canonical) => extract_saved(&body, &canonical, selectors.as_ref(), fetched_at),
                None => guess,
            }
        }
    };
    printer.out_json(&article)
}
