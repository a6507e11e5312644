//! Pages built by JavaScript, captured as a browser sees them.
//!
//! A real headless Chromium (the system's `chromium`, driven over the DevTools protocol by
//! `chromiumoxide`) loads the page, but never reaches the network itself: every request
//! the page makes is paused (the protocol's `Fetch` domain) and handed to a
//! [`Requisites`] — the crawl's gate, which asks robots.txt, waits for the host's rate and
//! concurrency slot, fetches with glaneur's own fetcher (SSRF guard, body and time limits)
//! and archives the raw exchange — then fulfilled with the bytes it got, or failed when
//! refused. The browser is also started with a dead proxy and a resolver that resolves
//! nothing, so a request that escaped interception could not reach any host.
//!
//! [`auto`] decides which pages need a browser; [`Browser`] is the pool of tabs.

pub mod auto;
mod browser;
pub mod page_requisites;

use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;

pub use browser::{Browser, RenderedPage, RequisiteFuture, Requisites};

/// When pages are rendered in a browser (`render = ...` in a profile, `--render`).
#[derive(Debug, Clone, Default)]
pub enum RenderMode {
    /// Never: the page is read as the server sent it.
    #[default]
    Never,
    /// When the page shows it is built by script (see [`auto::looks_script_built`]), and
    /// then every page of the same kind on the site.
    Auto,
    /// Every HTML page.
    Always,
    /// The HTML pages whose URL matches this regex (and no other).
    Matching(Regex),
}

impl RenderMode {
    /// `never`, `auto`, `always`, or a regex of the URLs to render.
    pub fn parse(text: &str) -> Result<RenderMode, regex::Error> {
        Ok(match text.trim() {
            "never" => RenderMode::Never,
            "auto" => RenderMode::Auto,
            "always" => RenderMode::Always,
            pattern => RenderMode::Matching(Regex::new(pattern)?),
        })
    }

    /// True unless the mode is [`RenderMode::Never`].
    pub fn may_render(&self) -> bool {
        !matches!(self, RenderMode::Never)
    }
}

impl std::fmt::Display for RenderMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderMode::Never => f.write_str("never"),
            RenderMode::Auto => f.write_str("auto"),
            RenderMode::Always => f.write_str("always"),
            RenderMode::Matching(re) => write!(f, "{}", re.as_str()),
        }
    }
}

/// Default `--render-tabs`.
pub const DEFAULT_TABS: usize = 2;
/// Default `--render-queue`: pages chosen for rendering that may wait for a tab.
pub const DEFAULT_QUEUE: usize = 8;
/// Default `--render-timeout`: a page not idle by then is captured as it is.
pub const DEFAULT_PAGE_TIMEOUT: Duration = Duration::from_secs(20);
/// A page is idle when no request has been in flight for this long.
pub const NETWORK_IDLE: Duration = Duration::from_millis(500);

/// How a crawl renders pages.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    /// Overrides every profile's `render` key (`--render`).
    pub mode: Option<RenderMode>,
    /// Pages rendered at once (`--render-tabs`).
    pub tabs: usize,
    /// Pages that may wait for a tab (`--render-queue`): once `tabs + queue` pages are
    /// rendering or waiting, hosts whose pages may be rendered start no new fetch.
    pub queue: usize,
    /// Longest time for one page: loading, scrolling and network idle (`--render-timeout`).
    pub page_timeout: Duration,
    /// The browser to run; `None`: `GLANEUR_CHROMIUM`, else `chromium` on `PATH`.
    pub chromium: Option<PathBuf>,
}

impl Default for RenderSettings {
    fn default() -> RenderSettings {
        RenderSettings {
            mode: None,
            tabs: DEFAULT_TABS,
            queue: DEFAULT_QUEUE,
            page_timeout: DEFAULT_PAGE_TIMEOUT,
            chromium: None,
        }
    }
}

/// Rendering could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No browser to run.
    #[error(
        "Chromium not found ({0}): install Debian's `chromium` package (apt-get install chromium) or name the browser with GLANEUR_CHROMIUM"
    )]
    NoBrowser(String),
    /// The browser could not be started.
    #[error("cannot start Chromium {path}: {message}")]
    Launch {
        /// The executable.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The browser failed while rendering a page.
    #[error("rendering {url} failed: {message}")]
    Page {
        /// The page.
        url: String,
        /// Why.
        message: String,
    },
}

/// Environment variable naming the browser to run.
pub const CHROMIUM_ENV: &str = "GLANEUR_CHROMIUM";

/// The browser executable: `explicit`, else `GLANEUR_CHROMIUM`, else `chromium` (or
/// `chromium-browser`, `google-chrome`) on `PATH`.
pub fn find_chromium(explicit: Option<&Path>) -> Result<PathBuf, RenderError> {
    let named = explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(CHROMIUM_ENV).map(PathBuf::from));
    if let Some(path) = named {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(RenderError::NoBrowser(format!(
                "{} does not exist",
                path.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(RenderError::NoBrowser("no `chromium` on PATH".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_from_words_or_a_regex() {
        assert!(matches!(
            RenderMode::parse("never").expect("mode"),
            RenderMode::Never
        ));
        assert!(matches!(
            RenderMode::parse(" auto ").expect("mode"),
            RenderMode::Auto
        ));
        assert!(matches!(
            RenderMode::parse("always").expect("mode"),
            RenderMode::Always
        ));
        let re = RenderMode::parse(r"/live/\d+").expect("regex");
        assert!(matches!(re, RenderMode::Matching(_)));
        assert_eq!(re.to_string(), r"/live/\d+");
        assert!(RenderMode::parse("(unclosed").is_err());
        assert!(!RenderMode::Never.may_render() && RenderMode::Auto.may_render());
    }

    #[test]
    fn a_named_browser_that_does_not_exist_names_the_debian_package() {
        let error = find_chromium(Some(Path::new("no/such/chromium"))).expect_err("missing");
        let message = error.to_string();
        assert!(message.contains("apt-get install chromium"), "{message}");
        assert!(message.contains("no/such/chromium"), "{message}");
    }
}
