//! Arguments read from files: `glaneur crawl @hosts.args` reads `hosts.args`, one argument
//! per line, in place of `@hosts.args`.
//!
//! A crawl of thousands of hosts names each host's start URL and `--resolve` on the
//! command line, past what the system lets a command line hold (and what tools that
//! record it, such as heap profilers, accept). As gcc does, an `@` argument that names no
//! readable file is kept as it is (an author's handle `@lemonde` given to `--author`
//! stays a handle); blank lines and lines starting with `#` are skipped; a file's lines are
//! not expanded again (no `@` inside a file is read as a file, so no file can include
//! itself).

use std::ffi::OsString;

/// `args` with each `@FILE` argument after the program name replaced by the lines of
/// FILE.
pub fn expand(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    for (i, arg) in args.into_iter().enumerate() {
        let file = arg.to_str().and_then(|a| a.strip_prefix('@'));
        match file.filter(|_| i > 0).map(std::fs::read_to_string) {
            Some(Ok(text)) => out.extend(
                text.lines()
                    .map(str::trim_end)
                    .filter(|line| !line.is_empty() && !line.starts_with('#'))
                    .map(OsString::from),
            ),
            _ => out.push(arg),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: Vec<OsString>) -> Vec<String> {
        args.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    #[test]
    fn an_argument_file_gives_one_argument_per_line_in_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hosts.args");
        std::fs::write(
            &file,
            "# two hosts\n--resolve\nh0.test=127.0.0.1:8080\n\nhttp://h0.test:8080/\r\n@nested\n",
        )
        .unwrap();
        let args = [
            "glaneur",
            "crawl",
            &format!("@{}", file.display()),
            "--quiet",
        ];
        assert_eq!(
            strings(expand(args.map(OsString::from))),
            [
                "glaneur",
                "crawl",
                "--resolve",
                "h0.test=127.0.0.1:8080",
                "http://h0.test:8080/",
                "@nested",
                "--quiet"
            ]
        );
    }

    #[test]
    fn an_at_argument_naming_no_file_and_the_program_name_are_kept() {
        let args = ["@glaneur", "articles", "--author", "@no-such-file-here"];
        assert_eq!(strings(expand(args.map(OsString::from))), args);
    }
}
