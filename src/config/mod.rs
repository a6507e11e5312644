//! Configuration: `robots-policy.toml` (politeness) and the site profiles in `seeds/`,
//! parsed once, validated, and resolved into typed values. Errors name the file and line,
//! say what is wrong in words and how to fix it (`did you mean …?`, an example value).

mod policy;
mod profile;
mod profile_hints;
mod reach;

pub use policy::{HostPolicy, Policy};
pub use profile::{DEFAULT_MAX_DEPTH, SelectorConfig, SiteProfile, load_profiles};
pub use reach::{StartProblem, check_start_urls};

use std::path::PathBuf;

/// A configuration file that could not be read or is invalid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot be read ({source}); check that it exists and is readable", path.display())]
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

    /// Converts a TOML syntax or type error, locating it by its byte span, and explains it
    /// with a fix (see [`explain`]). When the offending line is a `key = value` line, the
    /// key is named in the message.
    pub(crate) fn from_toml(
        path: &std::path::Path,
        text: &str,
        e: &toml::de::Error,
    ) -> ConfigError {
        // Errors without a position (rare) are put on line 1, so every message has one.
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        let key = key_on_line(text, offset);
        let message = explain(e.message().trim_end(), key, line_at(text, offset));
        ConfigError::at(path, text, Some(offset), message)
    }
}

/// Keys of `robots-policy.toml` and of site profiles, each with an example line: the fix
/// hint of a wrong type, and the way to tell a key put in the wrong kind of file.
const POLICY_KEYS: &[(&str, &str)] = &[
    (
        "user_agent",
        "user_agent = \"glaneur/0.1 (+https://example.org/contact)\"",
    ),
    ("obey_robots", "obey_robots = true"),
    ("allow_private_networks", "allow_private_networks = false"),
    ("warc_max_bytes", "warc_max_bytes = 1073741824"),
    ("default", "[default]"),
    ("hosts", "[hosts.\"www.example.org\"]"),
    ("requests_per_second", "requests_per_second = 0.5"),
    ("burst", "burst = 2"),
    ("max_concurrent", "max_concurrent = 2"),
    ("timeout_secs", "timeout_secs = 30"),
    ("connect_timeout_secs", "connect_timeout_secs = 10"),
    ("read_timeout_secs", "read_timeout_secs = 30"),
    ("max_body_bytes", "max_body_bytes = 20000000"),
    ("retries", "retries = 3"),
];

const PROFILE_KEYS: &[(&str, &str)] = &[
    ("name", "name = \"example\""),
    ("start", "start = [\"https://www.example.org/\"]"),
    ("scope", "scope = [\"https://www.example.org/\"]"),
    ("deny", "deny = ['/wp-admin/', 'replytocom=']"),
    ("article", "article = '-\\d+\\.html$'"),
    ("max_depth", "max_depth = 4"),
    ("feeds", "feeds = [\"https://www.example.org/feed\"]"),
    ("recheck_articles", "recheck_articles = \"7d\""),
    ("fresh_articles", "fresh_articles = \"2d\""),
    ("render", "render = \"auto\""),
    ("selectors", "[selectors]"),
    ("title", "title = \"h1.entry-title\""),
    ("body", "body = \"div.entry-content\""),
    ("category", "category = \"a[rel~='category']\""),
    ("published", "published = \"time.published\""),
    ("modified", "modified = \"time.updated\""),
    ("author", "author = \".byline a\""),
    ("related", "related = \".related-posts\""),
];

/// Words people write for a key, and the key they mean.
const SYNONYMS: &[(&str, &str)] = &[
    ("rate", "requests_per_second"),
    ("rate_limit", "requests_per_second"),
    ("ratelimit", "requests_per_second"),
    ("rps", "requests_per_second"),
    ("delay", "requests_per_second"),
    ("crawl_delay", "requests_per_second"),
    ("speed", "requests_per_second"),
    ("concurrency", "max_concurrent"),
    ("parallel", "max_concurrent"),
    ("connections", "max_concurrent"),
    ("timeout", "timeout_secs"),
    ("connect_timeout", "connect_timeout_secs"),
    ("read_timeout", "read_timeout_secs"),
    ("max_body", "max_body_bytes"),
    ("max_size", "max_body_bytes"),
    ("retry", "retries"),
    ("max_retries", "retries"),
    ("agent", "user_agent"),
    ("ua", "user_agent"),
    ("useragent", "user_agent"),
    ("robots", "obey_robots"),
    ("respect_robots", "obey_robots"),
    ("private", "allow_private_networks"),
    ("defaults", "default"),
    ("host", "hosts"),
    ("start_url", "start"),
    ("start_urls", "start"),
    ("starts", "start"),
    ("url", "start"),
    ("urls", "start"),
    ("seeds", "start"),
    ("seed", "start"),
    ("depth", "max_depth"),
    ("exclude", "deny"),
    ("ignore", "deny"),
    ("skip", "deny"),
    ("articles", "article"),
    ("article_pattern", "article"),
    ("feed", "feeds"),
    ("rss", "feeds"),
    ("selector", "selectors"),
    ("content", "body"),
    ("text", "body"),
    ("date", "published"),
    ("updated", "modified"),
    ("byline", "author"),
    ("authors", "author"),
];

/// The example line of `key`, if it is a key of either kind of file.
fn example(key: &str) -> Option<&'static str> {
    POLICY_KEYS
        .iter()
        .chain(PROFILE_KEYS)
        .find(|(k, _)| *k == key)
        .map(|(_, e)| *e)
}

/// The text of the line holding byte `offset`.
fn line_at(text: &str, offset: usize) -> &str {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    text[start..end].trim_end_matches('\r')
}

/// The valid key closest to `unknown`, if one is close enough to be a likely typo (or a
/// known synonym).
pub(crate) fn suggest<'a>(unknown: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = unknown.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    // Each candidate under its own name and under the words people use for it.
    let words =
        candidates
            .iter()
            .map(|c| (*c, *c))
            .chain(SYNONYMS.iter().filter_map(|(word, meant)| {
                candidates.iter().find(|c| *c == meant).map(|c| (*word, *c))
            }));
    let mut best: Option<(&'a str, f64)> = None;
    for (word, meant) in words {
        if word == norm {
            return Some(meant);
        }
        let score = strsim::jaro_winkler(&norm, word);
        let edits = strsim::damerau_levenshtein(&norm, word);
        let close = score >= 0.88 || edits <= if norm.len() <= 4 { 1 } else { 2 };
        if close && best.is_none_or(|(_, s)| score > s) {
            best = Some((meant, score));
        }
    }
    best.map(|(meant, _)| meant)
}

/// The backquoted words of `list` (``"`a`, `b`"`` → `["a", "b"]`).
fn backquoted(list: &str) -> Vec<&str> {
    list.split('`').skip(1).step_by(2).collect()
}

/// A serde "expected" type in words.
fn expected_words(expected: &str) -> String {
    match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (no quotes)".into(),
        "i8" | "i16" | "i32" | "i64" => "a whole number (no quotes)".into(),
        "f32" | "f64" => "a number (no quotes)".into(),
        "a boolean" => "true or false (no quotes)".into(),
        "a string" => "text in quotes".into(),
        "a sequence" => "a list in brackets".into(),
        "struct RawSelectors" => "a [selectors] table".into(),
        "struct RawHost" => "a table of settings for one host".into(),
        other if other.starts_with("struct ") || other.starts_with("a map") => "a table".into(),
        other => other.to_string(),
    }
}

/// A serde "unexpected" value in words: `string "two"` → `the text "two"`.
fn found_words(found: &str) -> String {
    let found = found.trim();
    let bare = |s: &str| s.trim().trim_matches('`').to_string();
    if let Some(v) = found.strip_prefix("string ") {
        format!("the text {}", v.trim())
    } else if let Some(v) = found.strip_prefix("integer ") {
        format!("the number {}", bare(v))
    } else if let Some(v) = found.strip_prefix("floating point ") {
        format!("the number {}", bare(v))
    } else if let Some(v) = found.strip_prefix("boolean ") {
        bare(v)
    } else if found == "sequence" {
        "a list".into()
    } else if found == "map" {
        "a table".into()
    } else {
        found.to_string()
    }
}

/// Explains a TOML syntax or serde error of a configuration file in words, with the fix:
/// `raw` is the parser's message, `key` the key of the offending line (if it is a
/// `key = value` line) and `line` that line's text.
pub(crate) fn explain(raw: &str, key: Option<&str>, line: &str) -> String {
    let raw = raw.trim();
    // Unknown keys (serde: "unknown field `x`, expected one of `a`, `b`").
    if let Some(rest) = raw.strip_prefix("unknown field `")
        && let Some((unknown, tail)) = rest.split_once('`')
    {
        return explain_unknown_key(unknown, tail);
    }

    // Wrong types (serde: "invalid type: string \"two\", expected u32").
    if let Some(rest) = raw.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        let what = key.map(|k| format!("`{k}`: ")).unwrap_or_default();
        if expected == "struct RawHost" {
            return format!(
                "{what}expected a table of settings for one host, found {}; name the host in the table header, like `[hosts.\"www.example.org\"]`, and put `{}` under it",
                found_words(found),
                line.trim()
            );
        }
        return format!(
            "{what}expected {}, found {}{}",
            expected_words(expected),
            found_words(found),
            key.map(write_it_like).unwrap_or_default()
        );
    }

    // Out-of-range values (serde: "invalid value: integer `-1`, expected u32").
    if let Some(rest) = raw.strip_prefix("invalid value: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        let what = key.map(|k| format!("`{k}`: ")).unwrap_or_default();
        let range = match expected.trim() {
            "u32" => "a whole number from 0 to 4294967295".to_string(),
            "u64" => "a whole number from 0 up".to_string(),
            other => expected_words(other),
        };
        return format!(
            "{what}expected {range}, found {}{}",
            found_words(found),
            key.map(write_it_like).unwrap_or_default()
        );
    }

    explain_syntax(raw, key, line)
}

/// The message for an unknown key `unknown` (serde's `tail` lists the valid keys): a
/// near spelling, the other kind of file it belongs to, or the keys allowed.
fn explain_unknown_key(unknown: &str, tail: &str) -> String {
    let valid = backquoted(tail);
    let mut message = format!("unknown key `{unknown}`");
    if let Some(meant) = suggest(unknown, &valid) {
        message.push_str(&format!("; did you mean `{meant}`?"));
        return message;
    }
    // A key of the other kind of file (or a typo of one)?
    let policy_keys: Vec<&str> = POLICY_KEYS.iter().map(|(k, _)| *k).collect();
    let profile_keys: Vec<&str> = PROFILE_KEYS.iter().map(|(k, _)| *k).collect();
    let here_policy = valid.iter().any(|v| policy_keys.contains(v));
    let elsewhere = if here_policy {
        suggest(unknown, &profile_keys).map(|k| {
            (
                k,
                "a site-profile key: put it in a profile under seeds/, not in the policy file",
            )
        })
    } else {
        suggest(unknown, &policy_keys).map(|k| (k, "a politeness setting: put it in the policy file (robots-policy.toml), not in a site profile"))
    };
    if let Some((key, where_)) = elsewhere {
        if key == unknown {
            message.push_str(&format!("; it is {where_}"));
        } else {
            message.push_str(&format!("; did you mean `{key}`? It is {where_}"));
        }
    } else if valid.is_empty() {
        message.push_str("; this table takes no keys: remove the line");
    } else {
        message.push_str(&format!(
            "; fix its spelling or remove it (keys allowed here: {})",
            valid.join(", ")
        ));
    }
    message
}

/// The message for a TOML syntax error `raw` at `line` (in the value of `key`, if
/// known): the parser's own words, then how to fix the line.
fn explain_syntax(raw: &str, key: Option<&str>, line: &str) -> String {
    let what = key.map(|k| format!("`{k}`: ")).unwrap_or_default();
    let value = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
    let fix = if raw.starts_with("missing escaped value") || raw.contains("invalid escape") {
        "a backslash inside \"double quotes\" starts an escape: write regexes and other text with backslashes in 'single quotes', like `article = '-\\d+\\.html$'`".to_string()
    } else if raw.starts_with("string values must be quoted") && value.is_empty() {
        return format!(
            "{what}the value is missing after `=`{}",
            key.map(write_it_like).unwrap_or_default()
        );
    } else if raw.starts_with("string values must be quoted") {
        return format!(
            "{what}text must be in quotes{}",
            key.map(write_it_like)
                .unwrap_or_else(|| "; write it like `name = \"example\"`".into())
        );
    } else if raw.starts_with("missing comma between array elements") {
        "separate the items of a list with commas, like `[\"https://a.example/\", \"https://b.example/\"]`".into()
    } else if raw.starts_with("unclosed array") {
        "close the list with `]` (a list may span several lines)".into()
    } else if raw.starts_with("unclosed table") {
        "close the table header with `]`, like `[default]`".into()
    } else if raw.starts_with("duplicate key") {
        let header = line.trim();
        return match key {
            Some(k) => format!("`{k}` is set twice in the same table; keep one of them"),
            None if header.starts_with('[') => {
                format!("the table `{header}` is given twice; merge the two into one")
            }
            None => format!("{raw}; keep one of them"),
        };
    } else if raw.starts_with("missing value") || raw.starts_with("key with no value") {
        format!(
            "give a value after `=`{}",
            key.map(write_it_like).unwrap_or_default()
        )
    } else {
        "check the TOML syntax of this line: `key = value`, text in quotes, lists in [brackets], tables as [name]".into()
    };
    // The parser's own words first (its "expected" list is noise once the fix is given).
    let head = raw.split(", expected").next().unwrap_or(raw).trim();
    format!("{what}{head}; {fix}")
}

/// "; write it like `…`" with the example of key `k`, if there is one.
fn write_it_like(k: &str) -> String {
    example(k)
        .map(|e| format!("; write it like `{e}`"))
        .unwrap_or_default()
}

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The bare key of the `key = value` line holding byte `offset`, if it is one.
fn key_on_line(text: &str, offset: usize) -> Option<&str> {
    let (key, _) = line_at(text, offset).split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    bare.then_some(key)
}

/// Reads a configuration file, mapping the error to [`ConfigError::Io`]; a file that is
/// not UTF-8 is [`ConfigError::Invalid`] at the line of its first bad byte.
pub(crate) fn read_file(path: &std::path::Path) -> Result<String, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line: Some(line),
            message: format!(
                "not UTF-8 text (byte 0x{:02x}); save the file as UTF-8",
                bytes.get(at).copied().unwrap_or_default()
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_typos_and_synonyms() {
        let keys = ["burst", "retries", "timeout_secs", "requests_per_second"];
        assert_eq!(suggest("burts", &keys), Some("burst"));
        assert_eq!(suggest("Retries", &keys), Some("retries"));
        assert_eq!(suggest("timeout-secs", &keys), Some("timeout_secs"));
        assert_eq!(suggest("timeout", &keys), Some("timeout_secs"));
        assert_eq!(suggest("rate_limt", &keys), Some("requests_per_second"));
        assert_eq!(suggest("colour", &keys), None);
        assert_eq!(suggest("x", &keys), None);
        // A synonym whose key is not allowed here suggests nothing.
        assert_eq!(suggest("depth", &keys), None);
    }

    #[test]
    fn explanations_keep_the_key_and_give_a_fix() {
        let m = explain(
            "invalid type: string \"two\", expected u32",
            Some("burst"),
            "burst = \"two\"",
        );
        assert_eq!(
            m,
            "`burst`: expected a whole number (no quotes), found the text \"two\"; write it like `burst = 2`"
        );
        let m = explain(
            "unknown field `obey_robot`, expected one of `user_agent`, `obey_robots`",
            Some("obey_robot"),
            "obey_robot = true",
        );
        assert_eq!(m, "unknown key `obey_robot`; did you mean `obey_robots`?");
        let m = explain(
            "unknown field `zzz`, expected one of `title`, `body`",
            Some("zzz"),
            "zzz = 1",
        );
        assert!(m.contains("keys allowed here: title, body"), "{m}");
        let m = explain("something new, expected `x`", None, "???");
        assert!(m.starts_with("something new; check the TOML syntax"), "{m}");
    }

    #[test]
    fn lines_and_keys_at_any_offset() {
        let text = "a = 1\nclé = \"é\"\nb = 2";
        assert_eq!(line_at(text, 0), "a = 1");
        assert_eq!(line_at(text, 9), "clé = \"é\"");
        assert_eq!(line_at(text, 8), "clé = \"é\""); // inside a multi-byte character
        assert_eq!(line_at(text, 1000), "b = 2");
        assert_eq!(key_on_line(text, 2), Some("a"));
        assert_eq!(key_on_line(text, 9), None); // not a bare key
        assert_eq!(line_of(text, 9), 2);
    }
}
