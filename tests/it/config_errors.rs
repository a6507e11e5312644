//! Bad configuration, through the real `glaneur crawl` command: each malformed policy or
//! profile, and each unreachable start URL, yields ONE message on stderr that names the
//! file and the line and says how to fix it, with exit code 2 and nothing crawled.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `glaneur crawl ARGS` in `dir` with logging limited to errors.
fn glaneur(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .arg("crawl")
        .args(args)
        .current_dir(dir)
        .env("GLANEUR_LOG", "error")
        .output()
        .expect("run glaneur")
}

/// A good profile (its start URL is never contacted: the bad policy is found first).
const GOOD_PROFILE: &str = "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\n";

/// Runs a crawl with `policy` as the policy file and `profile` as the only profile;
/// asserts exit code 2, no archive written, and exactly one line on stderr, which it
/// returns.
fn refused(policy: Option<&str>, profile: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("seeds")).expect("seeds dir");
    std::fs::write(dir.path().join("seeds/site.toml"), profile).expect("write profile");
    let mut args = vec!["--seeds", "seeds/site.toml", "--archive", "out"];
    if let Some(policy) = policy {
        std::fs::write(dir.path().join("policy.toml"), policy).expect("write policy");
        args.extend(["--policy", "policy.toml"]);
    }
    args.extend(extra);
    let out = glaneur(dir.path(), &args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        !dir.path().join("out").exists(),
        "nothing is crawled: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one message: {stderr}");
    lines[0].to_string()
}

/// Asserts the message starts with `error: FILE:LINE: ` and contains every `needle`.
fn assert_message(message: &str, file: &str, line: usize, needles: &[&str]) {
    let head = format!("error: {file}:{line}: ");
    assert!(
        message.starts_with(&head),
        "expected {head:?} at the start of: {message}"
    );
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} missing in: {message}");
    }
}

// ---------------------------------------------------------------------------------------
// The policy file
// ---------------------------------------------------------------------------------------

#[test]
fn policy_unknown_key_suggests_the_right_one() {
    let m = refused(
        Some("user_agent = \"bot/1\"\n[default]\nburts = 2\n"),
        GOOD_PROFILE,
        &[],
    );
    assert_message(
        &m,
        "policy.toml",
        3,
        &["unknown key `burts`", "did you mean `burst`?"],
    );
}

#[test]
fn policy_unknown_key_known_by_another_name_suggests_the_key() {
    let m = refused(Some("[default]\nrate_limit = 2\n"), GOOD_PROFILE, &[]);
    assert_message(
        &m,
        "policy.toml",
        2,
        &[
            "unknown key `rate_limit`",
            "did you mean `requests_per_second`?",
        ],
    );
}

#[test]
fn policy_misspelt_table_suggests_the_table() {
    let m = refused(Some("\n[defaults]\nburst = 2\n"), GOOD_PROFILE, &[]);
    assert_message(&m, "policy.toml", 2, &["did you mean `default`?"]);
}

#[test]
fn policy_wrong_type_says_what_is_expected_with_an_example() {
    let m = refused(
        Some("[default]\nburst = 1\nrequests_per_second = \"fast\"\n"),
        GOOD_PROFILE,
        &[],
    );
    assert_message(
        &m,
        "policy.toml",
        3,
        &[
            "`requests_per_second`",
            "expected a number",
            "the text \"fast\"",
            "write it like `requests_per_second = 0.5`",
        ],
    );
    let m = refused(Some("obey_robots = \"yes\"\n"), GOOD_PROFILE, &[]);
    assert_message(
        &m,
        "policy.toml",
        1,
        &[
            "expected true or false",
            "write it like `obey_robots = true`",
        ],
    );
}

#[test]
fn policy_out_of_range_values_say_the_range_and_an_example() {
    let m = refused(
        Some("[default]\n\nmax_concurrent = -1\n"),
        GOOD_PROFILE,
        &[],
    );
    assert_message(
        &m,
        "policy.toml",
        3,
        &["whole number", "write it like `max_concurrent = 2`"],
    );
    let m = refused(
        Some("[default]\nrequests_per_second = 0\n"),
        GOOD_PROFILE,
        &[],
    );
    assert_message(
        &m,
        "policy.toml",
        2,
        &[
            "greater than 0",
            "write it like `requests_per_second = 0.5`",
        ],
    );
    let m = refused(Some("[default]\ntimeout_secs = 0\n"), GOOD_PROFILE, &[]);
    assert_message(&m, "policy.toml", 2, &["write it like `timeout_secs = 30`"]);
}

#[test]
fn policy_unquoted_text_is_a_syntax_error_with_the_fix() {
    let m = refused(Some("user_agent = glaneur/0.1\n"), GOOD_PROFILE, &[]);
    assert_message(
        &m,
        "policy.toml",
        1,
        &["text must be in quotes", "write it like `user_agent = \""],
    );
}

#[test]
fn policy_host_settings_without_a_host_name_show_the_table_header() {
    let m = refused(Some("[hosts]\nburst = 3\n"), GOOD_PROFILE, &[]);
    assert_message(&m, "policy.toml", 2, &["[hosts.\"www.example.org\"]"]);
}

#[test]
fn policy_duplicate_table_says_merge() {
    let m = refused(
        Some("[default]\nburst = 1\n[default]\nretries = 2\n"),
        GOOD_PROFILE,
        &[],
    );
    assert_message(&m, "policy.toml", 3, &["given twice", "merge"]);
}

#[test]
fn missing_policy_file_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = glaneur(
        dir.path(),
        &["http://127.0.0.1:9/", "--policy", "polcy.toml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: polcy.toml: no such policy file; give the path of an existing file"
        ),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// Site profiles
// ---------------------------------------------------------------------------------------

#[test]
fn profile_unknown_key_suggests_the_right_one() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\nmax_depht = 3\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["unknown key `max_depht`", "did you mean `max_depth`?"],
    );
}

#[test]
fn profile_unknown_selector_suggests_the_right_one() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\n[selectors]\ntitel = \"h1\"\n",
        &[],
    );
    assert_message(&m, "seeds/site.toml", 4, &["did you mean `title`?"]);
}

#[test]
fn politeness_key_in_a_profile_says_where_it_belongs() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\nrequests_per_second = 2\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["politeness setting", "robots-policy.toml"],
    );
}

#[test]
fn profile_wrong_type_shows_a_list_example() {
    let m = refused(None, "name = \"site\"\nstart = \"http://a.test/\"\n", &[]);
    assert_message(
        &m,
        "seeds/site.toml",
        2,
        &[
            "expected a list in brackets",
            "write it like `start = [\"https://www.example.org/\"]`",
        ],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\nmax_depth = \"3\"\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["expected a whole number", "write it like `max_depth = 4`"],
    );
}

#[test]
fn profile_invalid_regex_names_the_problem_and_the_fix() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\ndeny = [\n  '/ok/',\n  '/(unclosed',\n]\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        5,
        &[
            "invalid regex",
            "unclosed group",
            "close the group with `)`",
        ],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\narticle = '[z-a]'\n",
        &[],
    );
    assert_message(&m, "seeds/site.toml", 3, &["`article`", "[a-z]"]);
}

#[test]
fn regex_with_backslashes_in_double_quotes_says_use_single_quotes() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\narticle = \"-\\d+\\.html$\"\n",
        &[],
    );
    assert_message(&m, "seeds/site.toml", 3, &["'single quotes'"]);
}

#[test]
fn profile_invalid_css_selector_names_the_problem_and_the_fix() {
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\n[selectors]\ntitle = \"h1\"\nbody = \"div >\"\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        5,
        &[
            "`selectors.body`",
            "invalid CSS selector",
            "ends with a combinator",
            "write a CSS selector like",
        ],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\n[selectors]\ncategory = \"a[rel=\"\n",
        &[],
    );
    assert_message(&m, "seeds/site.toml", 4, &["ends too early"]);
}

#[test]
fn profile_bad_urls_and_durations_show_examples() {
    let m = refused(None, "name = \"site\"\nstart = [\"ftp://a.test/\"]\n", &[]);
    assert_message(
        &m,
        "seeds/site.toml",
        2,
        &["not an http or https URL", "https://"],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\nfeeds = [\"/feed\"]\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["not a full URL", "\"https://www.example.org/feed\""],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\nrecheck_articles = \"weekly\"\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["not a duration", "recheck_articles = \"7d\""],
    );
    let m = refused(
        None,
        "name = \"site\"\nstart = [\"http://a.test/\"]\nscope = [\"http://b.test/\"]\n",
        &[],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        2,
        &["outside every `scope` prefix", "\"http://a.test/\""],
    );
}

#[test]
fn profile_missing_start_says_what_to_add() {
    let m = refused(None, "name = \"site\"\n", &[]);
    assert_message(
        &m,
        "seeds/site.toml",
        1,
        &[
            "missing key `start`",
            "start = [\"https://www.example.org/\"]",
        ],
    );
}

#[test]
fn profile_not_in_utf8_names_the_line() {
    // A profile saved in Latin-1.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("seeds")).expect("seeds dir");
    std::fs::write(
        dir.path().join("seeds/latin1.toml"),
        b"name = \"site\"\nstart = [\"http://a.test/\"]\n# caf\xe9\n",
    )
    .expect("write profile");
    let out = glaneur(dir.path(), &["--seeds", "seeds/latin1.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_message(
        stderr.trim(),
        "seeds/latin1.toml",
        3,
        &["not UTF-8", "save the file as UTF-8"],
    );
}

// ---------------------------------------------------------------------------------------
// Unreachable start URLs
// ---------------------------------------------------------------------------------------

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

const PRIVATE_OK: &str = "allow_private_networks = true\n[default]\nconnect_timeout_secs = 2\n";

#[test]
fn check_reports_a_refused_start_url_with_its_line_and_crawls_nothing() {
    let port = closed_port();
    let profile =
        format!("name = \"site\"\nstart = [\n  \"http://127.0.0.1:{port}/\",\n]\n# comment\n");
    let m = refused(Some(PRIVATE_OK), &profile, &["--check"]);
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &[
            &format!("start URL http://127.0.0.1:{port}/ is unreachable"),
            "refuses connections",
            "check the port and the scheme",
        ],
    );
}

#[test]
fn check_reports_a_host_that_does_not_resolve() {
    // A label over 63 bytes: refused by the system resolver without any DNS query.
    let host = format!("{}.invalid", "x".repeat(70));
    let profile = format!("name = \"site\"\n\nstart = [\"http://{host}/\"]\n");
    let m = refused(Some(PRIVATE_OK), &profile, &["--check"]);
    assert_message(
        &m,
        "seeds/site.toml",
        3,
        &["does not resolve", "check the spelling of the host name"],
    );
}

#[test]
fn check_reports_a_private_address_forbidden_by_the_policy() {
    let m = refused(
        Some("allow_private_networks = false\n"),
        "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\n",
        &["--check"],
    );
    assert_message(
        &m,
        "seeds/site.toml",
        2,
        &["private", "allow_private_networks = true"],
    );
}

#[test]
fn check_passes_when_every_start_url_answers() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("seeds")).expect("seeds dir");
    std::fs::write(
        dir.path().join("seeds/site.toml"),
        format!("name = \"site\"\nstart = [\"http://site.test:{port}/\"]\n"),
    )
    .expect("write profile");
    std::fs::write(dir.path().join("policy.toml"), PRIVATE_OK).expect("write policy");
    let resolve = "site.test=127.0.0.1".to_string();
    let out = glaneur(
        dir.path(),
        &[
            "--check",
            "--seeds",
            "seeds",
            "--policy",
            "policy.toml",
            "--resolve",
            &resolve,
            "--archive",
            "out",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("configuration OK"), "{stderr}");
    assert!(!dir.path().join("out").exists(), "--check crawls nothing");
}

#[test]
fn an_unreachable_only_start_url_is_reported_at_once_and_exits_5() {
    let port = closed_port();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("seeds")).expect("seeds dir");
    std::fs::write(
        dir.path().join("seeds/site.toml"),
        format!("name = \"site\"\nstart = [\"http://127.0.0.1:{port}/\"]\n"),
    )
    .expect("write profile");
    std::fs::write(
        dir.path().join("policy.toml"),
        format!("{PRIVATE_OK}retries = 0\n"),
    )
    .expect("write policy");
    let out = glaneur(
        dir.path(),
        &[
            "--seeds",
            "seeds",
            "--policy",
            "policy.toml",
            "--archive",
            "out",
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "nothing fetched: {stderr}");
    let first = stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("warning: seeds/site.toml:2: start URL") && first.contains("refuses"),
        "the first line warns: {stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON summary on stdout");
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["stop_reason"], "nothing-fetched", "{summary}");
}
