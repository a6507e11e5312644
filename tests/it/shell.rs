//! Shell integration and logs: completion scripts that bash accepts, a man page that
//! `man` renders, logs without escape characters when piped, JSON logs line by line.

use std::path::Path;
use std::process::{Command, Output};

fn glaneur(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_glaneur"));
    command.args(args).current_dir(dir);
    command.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run glaneur")
}

#[test]
fn bash_completion_registers_after_sourcing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = glaneur(dir.path(), &["completions", "bash"], &[]);
    assert!(out.status.success());
    let script = dir.path().join("glaneur.bash");
    std::fs::write(&script, &out.stdout).expect("write script");
    let check = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source '{}' && complete -p glaneur",
            script.display()
        ))
        .output()
        .expect("bash is installed");
    let registered = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(registered.contains("glaneur"), "{registered}");
    for shell in ["zsh", "fish"] {
        let out = glaneur(dir.path(), &["completions", shell], &[]);
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("demo"),
            "{shell}"
        );
    }
}

#[test]
fn the_man_page_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = glaneur(dir.path(), &["man"], &[]);
    assert!(out.status.success());
    let page = dir.path().join("glaneur.1");
    std::fs::write(&page, &out.stdout).expect("write page");
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man is installed");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    for needle in ["glaneur", "SYNOPSIS", "crawl", "demo", "--max-pages"] {
        assert!(text.contains(needle), "{needle} missing from the man page");
    }
}

#[test]
fn piped_logs_have_no_escape_characters_unless_forced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let args = ["demo", "--no-serve", "--articles", "3", "--archive", "a"];
    let plain = glaneur(dir.path(), &args, &[("GLANEUR_LOG", "glaneur=debug")]);
    assert_eq!(plain.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&plain.stderr);
    assert!(stderr.lines().count() > 2, "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    let forced = glaneur(
        dir.path(),
        &args,
        &[("GLANEUR_LOG", "glaneur=debug"), ("CLICOLOR_FORCE", "1")],
    );
    assert!(String::from_utf8_lossy(&forced.stderr).contains('\u{1b}'));
    let refused = glaneur(
        dir.path(),
        &args,
        &[
            ("GLANEUR_LOG", "glaneur=debug"),
            ("CLICOLOR_FORCE", "1"),
            ("NO_COLOR", "1"),
        ],
    );
    assert!(!String::from_utf8_lossy(&refused.stderr).contains('\u{1b}'));
}

#[test]
fn json_logs_are_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = glaneur(
        dir.path(),
        &[
            "--log-format",
            "json",
            "demo",
            "--no-serve",
            "--articles",
            "3",
            "--archive",
            "a",
        ],
        &[("GLANEUR_LOG", "glaneur=debug")],
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut lines = 0;
    for line in stderr.lines() {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for key in ["time", "level", "target", "message", "fields"] {
            assert!(event.get(key).is_some(), "{key} missing: {line}");
        }
        lines += 1;
    }
    assert!(lines > 2, "{stderr}");
    assert!(
        stderr.contains("crawl complete"),
        "the summary is a log event too"
    );
}
