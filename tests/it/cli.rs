//! The `glaneur` command line: usage errors, configuration errors, help.

use std::path::Path;
use std::process::{Command, Output};

fn glaneur(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args)
        .current_dir(dir)
        .env("GLANEUR_LOG", "error")
        .output()
        .expect("run glaneur")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn crawl_help_explains_options_and_exit_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = glaneur(dir.path(), &["crawl", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--max-pages",
        "--compression",
        "--max-duration",
        "EXIT CODES",
        "resume",
    ] {
        assert!(help.contains(needle), "help mentions {needle}:\n{help}");
    }
}

#[test]
fn bad_profile_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("seeds")).expect("seeds dir");
    std::fs::write(
        dir.path().join("seeds/bad.toml"),
        "name = \"bad\"\nstart = [\"https://example.org/\"]\ndeny = ['(unclosed']\n",
    )
    .expect("write profile");
    let out = glaneur(dir.path(), &["crawl"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:3"), "file and line in: {err}");
}

#[test]
fn bad_policy_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("policy.toml"),
        "user_agent = \"x/1\"\n[default]\nrequests_per_second = -2.0\n",
    )
    .expect("write policy");
    let out = glaneur(
        dir.path(),
        &["crawl", "http://127.0.0.1:9/", "--policy", "policy.toml"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("policy.toml:3"), "{}", stderr(&out));
}

#[test]
fn missing_seeds_and_urls_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = glaneur(dir.path(), &["crawl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("seeds"), "{}", stderr(&out));
}

#[test]
fn non_http_url_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = glaneur(dir.path(), &["crawl", "ftp://example.org/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("http"), "{}", stderr(&out));
}

#[test]
fn arguments_are_read_from_an_at_file_one_per_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("crawl.args"),
        "# a list\ncrawl\nftp://example.org/\n",
    )
    .expect("args file");
    let out = glaneur(dir.path(), &["@crawl.args"]);
    // The file's URL reached `crawl`, which refuses it as it does on the command line.
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ftp://example.org/"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn private_address_is_refused_by_default_and_reported() {
    // Default policy: allow_private_networks = false, so 127.0.0.1 is never contacted;
    // nothing is fetched (exit code 5), and the message says why and how to allow it.
    let dir = tempfile::tempdir().expect("temp dir");
    let out = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(["crawl", "http://127.0.0.1:9/", "--archive", "out", "--json"])
        .current_dir(dir.path())
        .output()
        .expect("run glaneur");
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("JSON summary on stdout");
    assert_eq!(summary["pages"], 0);
    assert_eq!(summary["requests"], 0, "{summary}");
    assert_eq!(summary["refused_private"], 1, "{summary}");
    assert_eq!(summary["stop_reason"], "nothing-fetched", "{summary}");
    assert!(
        stderr(&out).contains("--allow-private-networks"),
        "{}",
        stderr(&out)
    );
}
