//! robots.txt: fetching (RFC 9309 status rules, redirects, size cap) and matching,
//! behind [`RobotsMatcher`] so the matching crate can be swapped.
//!
//! A robots.txt that cannot be had for now (5xx, 429, a network error) is
//! [`RobotsRules::Unavailable`]: nothing may be fetched from the host, as RFC 9309 asks,
//! but the crawl asks again later ([`robots_retry_delay`]) instead of giving the host up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use robotstxt::{DefaultMatcher, RobotsParseHandler};
use url::Url;

use crate::capture::Capture;
use crate::fetch::{FetchRequest, Fetcher, decode_content_prefix};

/// At most this much of a robots.txt is parsed (RFC 9309 asks for at least 500 KiB).
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;
/// Redirects followed when fetching robots.txt (RFC 9309: at least five).
pub const MAX_ROBOTS_REDIRECTS: usize = 5;
/// Longest `Crawl-delay` honoured; longer values are clamped to it.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);
/// First wait before asking again for an unavailable robots.txt (doubled at each attempt,
/// with jitter, up to [`ROBOTS_RETRY_MAX`]), unless the server sent `Retry-After`.
pub const ROBOTS_RETRY_BASE: Duration = Duration::from_secs(5);
/// Longest wait between two attempts at an unavailable robots.txt.
pub const ROBOTS_RETRY_MAX: Duration = Duration::from_secs(600);

/// Matches URLs against one robots.txt body.
pub trait RobotsMatcher: Send + Sync + std::fmt::Debug {
    /// Whether `url` may be fetched by a crawler whose product token is `agent`.
    fn is_allowed(&self, agent: &str, url: &Url) -> bool;
    /// The `Crawl-delay` of the group that applies to `agent`, if any.
    fn crawl_delay(&self, agent: &str) -> Option<Duration>;
    /// The `Sitemap:` URLs.
    fn sitemaps(&self) -> Vec<Url>;
}

/// What robots.txt says for one host.
#[derive(Debug)]
pub enum RobotsRules {
    /// No restrictions (4xx, or robots not obeyed).
    AllowAll,
    /// Nothing may be fetched (e.g. robots.txt redirects in a loop); `reason` says why.
    DisallowAll {
        /// Why, in words (e.g. "robots.txt: more than 5 redirects").
        reason: String,
    },
    /// robots.txt cannot be had for now (5xx, 429, timeout, connection error, an
    /// undecodable body): nothing may be fetched until it can (RFC 9309 2.3.1.3-4), and
    /// it is worth asking again later.
    Unavailable {
        /// Why, in words (e.g. "robots.txt at … answered 503").
        reason: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The host's address is on a private network that the policy forbids: nothing is
    /// fetched, and that is no decision of robots.txt (counted as `refused_private`).
    Refused {
        /// Why, in words (the address refused).
        reason: String,
    },
    /// A parsed robots.txt.
    Parsed(Box<dyn RobotsMatcher>),
}

impl RobotsRules {
    /// Builds the rules from a robots.txt body (at most 500 KiB of it is parsed).
    pub fn parse(body: &[u8], base: &Url) -> RobotsRules {
        RobotsRules::Parsed(Box::new(RobotstxtMatcher::new(body, base)))
    }

    /// Whether `url` may be fetched by `agent`.
    pub fn is_allowed(&self, agent: &str, url: &Url) -> bool {
        match self {
            RobotsRules::AllowAll => true,
            RobotsRules::DisallowAll { .. }
            | RobotsRules::Unavailable { .. }
            | RobotsRules::Refused { .. } => false,
            RobotsRules::Parsed(matcher) => matcher.is_allowed(agent, url),
        }
    }

    /// The crawl delay for `agent`, if any.
    pub fn crawl_delay(&self, agent: &str) -> Option<Duration> {
        match self {
            RobotsRules::Parsed(matcher) => matcher.crawl_delay(agent),
            _ => None,
        }
    }

    /// The `Sitemap:` URLs, if robots.txt was parsed.
    pub fn sitemaps(&self) -> Vec<Url> {
        match self {
            RobotsRules::Parsed(matcher) => matcher.sitemaps(),
            _ => Vec::new(),
        }
    }
}

/// How long to wait before asking again for an unavailable robots.txt, after `attempt`
/// failed attempts (0 for the first): the server's `Retry-After` when it sent one (at
/// least 100 ms), else an exponential backoff from [`ROBOTS_RETRY_BASE`], with jitter;
/// never more than [`ROBOTS_RETRY_MAX`], so that a run does not idle for hours on one
/// host (a later run asks again anyway).
pub fn robots_retry_delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(asked) => asked.clamp(Duration::from_millis(100), ROBOTS_RETRY_MAX),
        None => super::backoff_delay(attempt, ROBOTS_RETRY_BASE, ROBOTS_RETRY_MAX),
    }
}

/// The product token of a user agent: `glaneur/0.1 (+https://…)` → `glaneur`.
pub fn product_token(user_agent: &str) -> &str {
    let token = user_agent.trim();
    let end = token
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'))
        .unwrap_or(token.len());
    &token[..end]
}

/// The first `max` bytes of `body`, cut after the last complete line.
fn cut_at_line(body: &[u8], max: usize) -> &[u8] {
    if body.len() <= max {
        return body;
    }
    let head = &body[..max];
    match head.iter().rposition(|&b| b == b'\n') {
        Some(i) => &head[..=i],
        None => head,
    }
}

/// Longest line handed to the `robotstxt` crate: it mis-slices (and panics on) lines over
/// 16 665 bytes containing multi-byte characters, and ignores what is past that anyway.
const MAX_LINE_BYTES: usize = 16 * 1024;

/// Cuts every line to [`MAX_LINE_BYTES`] (at a character boundary). Also works around
/// the crate's BOM check, which compares characters with bytes (the caller strips it).
fn sanitize(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        if line.len() <= MAX_LINE_BYTES {
            out.push_str(line);
            continue;
        }
        let mut cut = MAX_LINE_BYTES;
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&line[..cut]);
        if line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// [`RobotsMatcher`] over the `robotstxt` crate (a port of Google's parser and matcher).
///
/// The crate re-parses the whole body for every match (70 ms for a 500 KiB file in a
/// test build), so for each agent the body is first reduced, once, to the groups that
/// can apply to it (its own and `*`), which the crate then matches exactly as it would
/// the full body.
#[derive(Debug)]
pub struct RobotstxtMatcher {
    body: String,
    sitemaps: Vec<Url>,
    reduced: Mutex<HashMap<String, Arc<str>>>,
}

impl RobotstxtMatcher {
    /// Keeps the first 500 KiB of `body` (cut at a line boundary, invalid UTF-8 replaced)
    /// and collects its `Sitemap:` URLs, resolved against `base`.
    pub fn new(body: &[u8], base: &Url) -> RobotstxtMatcher {
        let body = String::from_utf8_lossy(cut_at_line(body, MAX_ROBOTS_BYTES));
        let body = sanitize(body.strip_prefix('\u{feff}').unwrap_or(&body));
        let mut scan = DirectiveScan::new("");
        robotstxt::parse_robotstxt(&body, &mut scan);
        let sitemaps = scan
            .sitemaps
            .iter()
            .filter_map(|s| base.join(s).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .collect();
        RobotstxtMatcher {
            body,
            sitemaps,
            reduced: Mutex::new(HashMap::new()),
        }
    }

    /// The body reduced to the groups that apply to `token` (cached per token).
    fn reduced_for(&self, token: &str) -> Arc<str> {
        let key = token.to_ascii_lowercase();
        let mut cache = self.reduced.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(body) = cache.get(&key) {
            return body.clone();
        }
        let mut reducer = GroupReducer::new(token);
        robotstxt::parse_robotstxt(&self.body, &mut reducer);
        let body: Arc<str> = Arc::from(reducer.out);
        if cache.len() < 16 {
            cache.insert(key, body.clone());
        }
        body
    }
}

/// Whether a `User-agent` value opens the `*` group, as the crate decides it.
fn is_global_agent(value: &str) -> bool {
    value.starts_with('*') && (value.len() == 1 || value[1..].starts_with(char::is_whitespace))
}

/// A parse handler writing out only the lines the crate's matcher acts on for `token`:
/// the `User-agent` lines naming it or `*`, the rules of their groups, and a neutral
/// separator line wherever the matcher would see a group end (a `Sitemap` or unknown
/// line, which close a group even without rules). Rules outside a relevant group, which
/// the matcher ignores, are dropped.
struct GroupReducer<'a> {
    token: &'a str,
    relevant: bool,
    separator: bool,
    out: String,
}

impl<'a> GroupReducer<'a> {
    fn new(token: &'a str) -> Self {
        GroupReducer {
            token,
            relevant: false,
            separator: false,
            out: String::new(),
        }
    }

    fn line(&mut self, key: &str, value: &str) {
        self.out.push_str(key);
        self.out.push_str(": ");
        self.out.push_str(value);
        self.out.push('\n');
    }
}

impl RobotsParseHandler for GroupReducer<'_> {
    fn handle_robots_start(&mut self) {}
    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, user_agent: &str) {
        if self.separator {
            self.relevant = false;
            self.separator = false;
        }
        if is_global_agent(user_agent) || product_token(user_agent).eq_ignore_ascii_case(self.token)
        {
            self.relevant = true;
            self.line("User-agent", user_agent);
        }
    }

    fn handle_allow(&mut self, _line: u32, value: &str) {
        if self.relevant {
            self.separator = true;
            self.line("Allow", value);
        }
    }

    fn handle_disallow(&mut self, _line: u32, value: &str) {
        if self.relevant {
            self.separator = true;
            self.line("Disallow", value);
        }
    }

    fn handle_sitemap(&mut self, _line: u32, _value: &str) {
        self.separator = true;
        if self.relevant {
            self.line("x-group-end", "1");
        }
    }

    fn handle_unknown_action(&mut self, _line: u32, _action: &str, _value: &str) {
        self.separator = true;
        if self.relevant {
            self.line("x-group-end", "1");
        }
    }
}

impl RobotsMatcher for RobotstxtMatcher {
    fn is_allowed(&self, agent: &str, url: &Url) -> bool {
        // RFC 9309 2.2.2: /robots.txt itself is always allowed.
        if url.path() == "/robots.txt" {
            return true;
        }
        let token = product_token(agent);
        let body = self.reduced_for(token);
        let mut matcher = DefaultMatcher::default();
        matcher.one_agent_allowed_by_robots(&body, token, url.as_str())
    }

    fn crawl_delay(&self, agent: &str) -> Option<Duration> {
        let mut scan = DirectiveScan::new(product_token(agent));
        robotstxt::parse_robotstxt(&self.body, &mut scan);
        scan.specific_delay.or(scan.global_delay)
    }

    fn sitemaps(&self) -> Vec<Url> {
        self.sitemaps.clone()
    }
}

/// A parse handler collecting what the matcher ignores: `Crawl-delay` of our group (or of
/// `*`) and `Sitemap:` lines. Groups are delimited as in the crate's matcher: a run of
/// `User-agent` lines opens a group, closed by the next `User-agent` after a rule.
struct DirectiveScan<'a> {
    agent: &'a str,
    in_specific: bool,
    in_global: bool,
    seen_rule: bool,
    specific_delay: Option<Duration>,
    global_delay: Option<Duration>,
    sitemaps: Vec<String>,
}

impl<'a> DirectiveScan<'a> {
    fn new(agent: &'a str) -> Self {
        DirectiveScan {
            agent,
            in_specific: false,
            in_global: false,
            seen_rule: false,
            specific_delay: None,
            global_delay: None,
            sitemaps: Vec::new(),
        }
    }
}

/// A `Crawl-delay` value in seconds (fractions allowed), clamped to [`MAX_CRAWL_DELAY`].
fn parse_delay(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(
        secs.min(MAX_CRAWL_DELAY.as_secs_f64()),
    ))
}

impl RobotsParseHandler for DirectiveScan<'_> {
    fn handle_robots_start(&mut self) {}
    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, user_agent: &str) {
        if self.seen_rule {
            self.in_specific = false;
            self.in_global = false;
            self.seen_rule = false;
        }
        if is_global_agent(user_agent) {
            self.in_global = true;
        } else if !self.agent.is_empty()
            && product_token(user_agent).eq_ignore_ascii_case(self.agent)
        {
            self.in_specific = true;
        }
    }

    fn handle_allow(&mut self, _line: u32, _value: &str) {
        self.seen_rule = true;
    }

    fn handle_disallow(&mut self, _line: u32, _value: &str) {
        self.seen_rule = true;
    }

    fn handle_sitemap(&mut self, _line: u32, value: &str) {
        self.seen_rule = true;
        if !value.is_empty() {
            self.sitemaps.push(value.to_string());
        }
    }

    fn handle_unknown_action(&mut self, _line: u32, action: &str, value: &str) {
        self.seen_rule = true;
        let action = action.trim().to_ascii_lowercase();
        if action != "crawl-delay" && action != "crawldelay" && action != "crawl delay" {
            return;
        }
        let Some(delay) = parse_delay(value) else {
            return;
        };
        if self.in_specific && self.specific_delay.is_none() {
            self.specific_delay = Some(delay);
        }
        if self.in_global && self.global_delay.is_none() {
            self.global_delay = Some(delay);
        }
    }
}

/// Fetches `origin`'s `/robots.txt` per RFC 9309: follows up to 5 redirects, maps
/// 2xx → parsed, 4xx (but 429) → allow all, 5xx, 429 and network errors → unavailable
/// (disallow all for now, ask again later), a refused private address or a redirect
/// loop → disallow all. Every HTTP exchange made is handed to `archive` so it can be
/// written to the WARC.
///
/// The body is read up to 500 KiB (a longer file is cut and its prefix parsed); a body
/// with a `Content-Encoding` is decoded up to 500 KiB. `timeout` bounds each exchange.
pub async fn fetch_robots(
    fetcher: &Fetcher,
    origin: &Url,
    timeout: Duration,
    archive: &mut (dyn FnMut(Capture) + Send),
) -> RobotsRules {
    let mut url = match origin.join("/robots.txt") {
        Ok(url) => url,
        Err(e) => {
            return RobotsRules::DisallowAll {
                reason: format!("no robots.txt URL for {origin}: {e}"),
            };
        }
    };
    let mut hops = 0;
    loop {
        let request = FetchRequest {
            url: url.clone(),
            headers: Vec::new(),
            max_body_bytes: MAX_ROBOTS_BYTES as u64,
            timeout,
            read_timeout: timeout,
        };
        let capture = match fetcher.fetch(&request).await {
            Ok(capture) => capture,
            Err(e @ crate::fetch::FetchError::Blocked { .. }) => {
                return RobotsRules::Refused {
                    reason: e.to_string(),
                };
            }
            Err(e) if e.is_transient() => {
                return RobotsRules::Unavailable {
                    reason: format!("robots.txt unreachable: {e}"),
                    retry_after: None,
                };
            }
            Err(e) => {
                return RobotsRules::DisallowAll {
                    reason: format!("robots.txt unreachable: {e}"),
                };
            }
        };
        let status = capture.status;
        let target = capture.redirect_target();
        if (200..300).contains(&status) {
            let rules = match decode_content_prefix(&capture, MAX_ROBOTS_BYTES as u64) {
                Ok((body, _)) => RobotsRules::parse(&body, &capture.url),
                Err(e) => RobotsRules::Unavailable {
                    reason: format!("robots.txt at {url} cannot be decoded: {e}"),
                    retry_after: None,
                },
            };
            archive(capture);
            return rules;
        }
        // 429 is a server asking to slow down, not "no robots.txt": like a 5xx.
        if status == 429 || (500..600).contains(&status) {
            let retry_after = capture
                .header("retry-after")
                .and_then(|v| super::parse_retry_after(v, std::time::SystemTime::now()));
            archive(capture);
            return RobotsRules::Unavailable {
                reason: format!("robots.txt at {url} answered {status}"),
                retry_after,
            };
        }
        archive(capture);
        if (400..500).contains(&status) {
            return RobotsRules::AllowAll;
        }
        match target {
            Some(next) if matches!(next.scheme(), "http" | "https") => {
                hops += 1;
                if hops > MAX_ROBOTS_REDIRECTS {
                    return RobotsRules::DisallowAll {
                        reason: format!(
                            "robots.txt: more than {MAX_ROBOTS_REDIRECTS} redirects (last to {next})"
                        ),
                    };
                }
                url = next;
            }
            Some(next) => {
                return RobotsRules::DisallowAll {
                    reason: format!("robots.txt at {url} redirects to unsupported {next}"),
                };
            }
            None => {
                return RobotsRules::DisallowAll {
                    reason: format!(
                        "robots.txt at {url} answered {status} without usable Location"
                    ),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UA: &str = "glaneur/0.1 (+https://example.org/contact)";

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn rules(body: &str) -> RobotsRules {
        RobotsRules::parse(body.as_bytes(), &url("https://news.test/robots.txt"))
    }

    #[test]
    fn product_token_is_extracted() {
        assert_eq!(product_token(UA), "glaneur");
        assert_eq!(product_token("Googlebot/2.1"), "Googlebot");
        assert_eq!(product_token("my-bot"), "my-bot");
    }

    #[test]
    fn longest_match_wins_and_allow_wins_ties() {
        let r = rules(
            "User-agent: *\nDisallow: /private/\nAllow: /private/public/\nDisallow: /tie\nAllow: /tie\n",
        );
        assert!(!r.is_allowed(UA, &url("https://news.test/private/x")));
        assert!(r.is_allowed(UA, &url("https://news.test/private/public/x")));
        assert!(r.is_allowed(UA, &url("https://news.test/tie")));
        assert!(r.is_allowed(UA, &url("https://news.test/other")));
    }

    #[test]
    fn wildcards_and_end_anchor() {
        let r =
            rules("User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\nDisallow: /exact$\n");
        assert!(!r.is_allowed(UA, &url("https://news.test/docs/a.pdf")));
        assert!(r.is_allowed(UA, &url("https://news.test/docs/a.pdf?x=1")));
        assert!(!r.is_allowed(UA, &url("https://news.test/search?lang=fr&q=x")));
        assert!(r.is_allowed(UA, &url("https://news.test/search?lang=fr")));
        assert!(!r.is_allowed(UA, &url("https://news.test/exact")));
        assert!(r.is_allowed(UA, &url("https://news.test/exactly")));
    }

    #[test]
    fn our_group_overrides_the_star_group() {
        let body = "User-agent: *\nDisallow: /\nCrawl-delay: 1\n\nUser-agent: Glaneur\nDisallow: /admin/\nCrawl-delay: 2.5\n";
        let r = rules(body);
        assert!(r.is_allowed(UA, &url("https://news.test/article-1.html")));
        assert!(!r.is_allowed(UA, &url("https://news.test/admin/x")));
        assert!(!r.is_allowed("otherbot/1.0", &url("https://news.test/article-1.html")));
        assert_eq!(r.crawl_delay(UA), Some(Duration::from_millis(2500)));
        assert_eq!(r.crawl_delay("otherbot/1.0"), Some(Duration::from_secs(1)));
    }

    #[test]
    fn crawl_delay_of_star_group_and_grouped_agents() {
        let r = rules(
            "User-agent: foo\nUser-agent: *\nCrawl-delay: 4\nDisallow: /x\n\nUser-agent: bar\nCrawl-delay: 9\n",
        );
        assert_eq!(r.crawl_delay(UA), Some(Duration::from_secs(4)));
        assert_eq!(r.crawl_delay("bar"), Some(Duration::from_secs(9)));
        assert_eq!(
            rules("User-agent: *\nCrawl-delay: 100000\n").crawl_delay(UA),
            Some(MAX_CRAWL_DELAY)
        );
        assert_eq!(
            rules("User-agent: *\nCrawl-delay: soon\n").crawl_delay(UA),
            None
        );
        assert_eq!(rules("User-agent: *\nDisallow: /\n").crawl_delay(UA), None);
        assert_eq!(RobotsRules::AllowAll.crawl_delay(UA), None);
    }

    #[test]
    fn sitemaps_are_collected_and_resolved() {
        let r = rules(
            "Sitemap: https://news.test/sitemap.xml\nUser-agent: *\nDisallow:\nsitemap: /news-sitemap.xml\nSitemap: ftp://x/y\n",
        );
        let maps: Vec<String> = r.sitemaps().iter().map(|u| u.to_string()).collect();
        assert_eq!(
            maps,
            [
                "https://news.test/sitemap.xml",
                "https://news.test/news-sitemap.xml"
            ]
        );
    }

    #[test]
    fn allow_all_disallow_all_and_robots_txt_itself() {
        assert!(RobotsRules::AllowAll.is_allowed(UA, &url("https://a.test/x")));
        let d = RobotsRules::DisallowAll {
            reason: "503".into(),
        };
        assert!(!d.is_allowed(UA, &url("https://a.test/x")));
        let r = rules("User-agent: *\nDisallow: /\n");
        assert!(!r.is_allowed(UA, &url("https://news.test/")));
        assert!(r.is_allowed(UA, &url("https://news.test/robots.txt")));
        // An empty robots.txt allows everything.
        assert!(rules("").is_allowed(UA, &url("https://news.test/x")));
    }

    #[test]
    fn unavailable_disallows_everything_for_now() {
        let r = RobotsRules::Unavailable {
            reason: "503".into(),
            retry_after: None,
        };
        assert!(!r.is_allowed(UA, &url("https://a.test/")));
        assert!(!r.is_allowed(UA, &url("https://a.test/robots.txt")));
        assert_eq!(r.crawl_delay(UA), None);
        assert!(r.sitemaps().is_empty());
    }

    #[test]
    fn retry_delay_honours_retry_after_else_backs_off() {
        assert_eq!(
            robots_retry_delay(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            robots_retry_delay(3, Some(Duration::ZERO)),
            Duration::from_millis(100)
        );
        assert_eq!(
            robots_retry_delay(0, Some(Duration::from_secs(1 << 30))),
            ROBOTS_RETRY_MAX
        );
        for attempt in 0..4 {
            let full = ROBOTS_RETRY_BASE * 2u32.pow(attempt);
            let d = robots_retry_delay(attempt, None);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        let d = robots_retry_delay(40, None);
        assert!(d >= ROBOTS_RETRY_MAX / 2 && d <= ROBOTS_RETRY_MAX, "{d:?}");
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily() {
        let mut body = b"User-agent: *\nDisallow: /caf\xe9/\nDisallow: /admin/\n".to_vec();
        body.extend_from_slice(b"\xff\xfe garbage line\n");
        let r = RobotsRules::parse(&body, &url("https://news.test/robots.txt"));
        assert!(!r.is_allowed(UA, &url("https://news.test/admin/")));
        assert!(r.is_allowed(UA, &url("https://news.test/ok")));
    }

    #[test]
    fn bom_and_overlong_multibyte_lines_are_handled() {
        let r = RobotsRules::parse(
            b"\xef\xbb\xbfUser-agent: *\nDisallow: /admin/\n",
            &url("https://news.test/robots.txt"),
        );
        assert!(!r.is_allowed(UA, &url("https://news.test/admin/")));
        // The robotstxt crate panics on this body if handed it unchanged.
        let long = format!(
            "User-agent: *\nDisallow: /{}\nDisallow: /after/\n",
            "é".repeat(20_000)
        );
        let raw = std::panic::catch_unwind(|| {
            DefaultMatcher::default().one_agent_allowed_by_robots(
                &long,
                "glaneur",
                "https://news.test/x",
            )
        });
        assert!(
            raw.is_err(),
            "robotstxt no longer panics: the workaround may go"
        );
        let r = rules(&long);
        assert!(!r.is_allowed(UA, &url("https://news.test/after/x")));
        assert!(r.is_allowed(UA, &url("https://news.test/x")));
        let r = rules(&format!(
            "User-agent: *\r\nDisallow: /{}\r\n",
            "日本".repeat(10_000)
        ));
        assert!(r.is_allowed(UA, &url("https://news.test/x")));
    }

    #[test]
    fn only_the_first_500_kib_are_parsed_cut_at_a_line() {
        let mut body = String::from("User-agent: *\nDisallow: /early/\n");
        while body.len() < MAX_ROBOTS_BYTES - 10 {
            body.push_str("# filler filler filler filler filler filler filler\n");
        }
        body.push_str("Disallow: /late-and-very-long-path-crossing-the-limit/\n");
        body.push_str("Disallow: /beyond/\n");
        let r = rules(&body);
        assert!(!r.is_allowed(UA, &url("https://news.test/early/x")));
        assert!(r.is_allowed(UA, &url("https://news.test/beyond/x")));
        // The line crossing the limit is dropped whole, not cut into a shorter rule.
        assert!(r.is_allowed(
            UA,
            &url("https://news.test/late-and-very-long-path-crossing-the-limit/")
        ));
        assert!(r.is_allowed(UA, &url("https://news.test/late")));
    }

    /// Lines to build robots.txt files from: groups, rules with wildcards and anchors,
    /// separators (sitemap, unknown directives), comments, odd spacing.
    const LINES: &[&str] = &[
        "User-agent: *",
        "User-agent: glaneur",
        "user-agent: Glaneur/2.0",
        "User-agent: otherbot",
        "User-agent: * extra",
        "User-agent: glaneurbot",
        "Disallow: /",
        "Disallow:",
        "Disallow: /a",
        "Disallow: /a/b$",
        "Disallow: /*.pdf$",
        "Disallow: /c%2fd",
        "Disallow: /café",
        "Allow: /a/",
        "Allow: /index.html",
        "Allow: /*?q=",
        "Allow: /$",
        "allow: /c",
        "Sitemap: https://news.test/s.xml",
        "Crawl-delay: 2",
        "Noindex: /x",
        "# comment",
        "",
        "Disallow: /a # trailing comment",
        "   Disallow   :   /b  ",
    ];

    const PATHS: &[&str] = &[
        "/",
        "/a",
        "/a/",
        "/a/b",
        "/a/bc",
        "/x.pdf",
        "/x.pdf?y",
        "/c/d",
        "/c%2fd",
        "/caf%C3%A9",
        "/index.html",
        "/s?q=1",
        "/b",
        "/c",
        "/zzz",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Matching against the body reduced to our groups gives the crate's answer on the
        /// full body, for us and for other agents.
        #[test]
        fn reduced_body_matches_like_the_full_body(
            picks in proptest::collection::vec(0..LINES.len(), 0..24),
            crlf in proptest::bool::ANY,
        ) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let body: String = picks.iter().map(|&i| format!("{}{nl}", LINES[i])).collect();
            let matcher = RobotstxtMatcher::new(body.as_bytes(), &url("https://news.test/robots.txt"));
            for agent in ["glaneur", "otherbot", "nobody"] {
                for path in PATHS {
                    let u = url(&format!("https://news.test{path}"));
                    let full = DefaultMatcher::default().one_agent_allowed_by_robots(&body, agent, u.as_str());
                    proptest::prop_assert_eq!(
                        matcher.is_allowed(agent, &u), full,
                        "agent {} path {} body:\n{}\nreduced:\n{}", agent, path, body, matcher.reduced_for(agent)
                    );
                }
            }
        }
    }

    /// A full-size file whose groups are for other robots is matched against what applies
    /// to us only: the reduced body (what the crate re-parses on every match) is a few
    /// lines, not 500 KiB, and still gives the full file's answers. (How long a match takes
    /// is a benchmark's question, not a test's: this checks the size that sets it.)
    #[test]
    fn a_full_size_file_for_other_robots_is_matched_on_our_groups_only() {
        let mut body = String::from("User-agent: glaneur\nDisallow: /private/\n\n");
        let mut j = 0;
        while body.len() < MAX_ROBOTS_BYTES - 100 {
            body.push_str(&format!("User-agent: bot{j}\nDisallow: /section-{j}/\n"));
            j += 1;
        }
        let matcher = RobotstxtMatcher::new(body.as_bytes(), &url("https://news.test/robots.txt"));
        let reduced = matcher.reduced_for(product_token(UA));
        assert!(
            reduced.len() < 200,
            "{} bytes kept of {}",
            reduced.len(),
            body.len()
        );
        assert!(matcher.is_allowed(UA, &url("https://news.test/section-7/a")));
        assert!(!matcher.is_allowed(UA, &url("https://news.test/private/a")));
        assert!(!matcher.is_allowed("bot7", &url("https://news.test/section-7/a")));
        // Every rule of a full-size file applies to us: all of them are kept and obeyed.
        let mut body = String::from("User-agent: *\n");
        let mut i = 0;
        while body.len() < MAX_ROBOTS_BYTES - 100 {
            body.push_str(&format!("Disallow: /section-{i}/*/page$\n"));
            i += 1;
        }
        let r = rules(&body);
        assert!(r.is_allowed(UA, &url("https://news.test/article-1.html")));
        assert!(!r.is_allowed(
            UA,
            &url(&format!("https://news.test/section-{}/x/page", i - 1))
        ));
    }
}
