//! The house rules a reviewer would otherwise check by hand, on the source tree itself:
//! no file of `src/` over 900 lines, no function over 120 lines, no import cycle between
//! files, and the frontier importing nothing from the later stages.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

const MAX_FILE_LINES: usize = 900;
const MAX_FN_LINES: usize = 120;

/// One source file: its module path (`src/a/b.rs` and `src/a/b/mod.rs` → `["a", "b"]`),
/// whether it is a `mod.rs`/`lib.rs`/`main.rs` (its `super` is one level higher), its text.
struct SourceFile {
    module: Vec<String>,
    is_dir_module: bool,
    path: PathBuf,
    text: String,
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).expect("under src");
            let mut module: Vec<String> = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let last = module.last().cloned().unwrap_or_default();
            let is_dir_module = matches!(last.as_str(), "mod" | "lib" | "main");
            if is_dir_module {
                module.pop();
            }
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            files.push(SourceFile {
                module,
                is_dir_module,
                path,
                text,
            });
        }
    }
    assert!(files.len() > 50, "only {} source files found", files.len());
    files
}

/// The code of a file without its unit tests and comments (what its imports are).
fn code_of(text: &str) -> String {
    let body = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    body.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_source_file_is_over_900_lines() {
    let long: Vec<String> = source_files()
        .iter()
        .filter(|f| f.text.lines().count() > MAX_FILE_LINES)
        .map(|f| format!("{} ({} lines)", f.path.display(), f.text.lines().count()))
        .collect();
    assert!(long.is_empty(), "over {MAX_FILE_LINES} lines: {long:#?}");
}

/// `(name, first line, length in lines)` of every function with a body in `text`.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let fn_line =
        Regex::new(r"^\s*(pub(\([^)]*\))?\s+)?(async\s+)?(const\s+)?(unsafe\s+)?fn\s+(\w+)")
            .expect("regex");
    let strings = Regex::new(r#""([^"\\]|\\.)*""#).expect("regex");
    let chars = Regex::new(r"'([^'\\]|\\.)'").expect("regex");
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(m) = fn_line.captures(line) else {
            continue;
        };
        let mut depth = 0i64;
        let mut started = false;
        for (j, raw) in lines.iter().enumerate().skip(start) {
            let l = strings.replace_all(raw, "\"\"");
            let l = chars.replace_all(&l, "''");
            let l = l.split("//").next().unwrap_or("");
            if !started && l.contains(';') && !l.contains('{') {
                break; // a declaration without a body
            }
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if started && depth <= 0 {
                found.push((m[6].to_string(), start + 1, j - start + 1));
                break;
            }
        }
    }
    found
}

#[test]
fn no_function_is_over_120_lines() {
    let mut long = Vec::new();
    for file in source_files() {
        for (name, line, len) in functions(&file.text) {
            if len > MAX_FN_LINES {
                long.push(format!(
                    "{}:{line} {name} ({len} lines)",
                    file.path.display()
                ));
            }
        }
    }
    assert!(long.is_empty(), "over {MAX_FN_LINES} lines: {long:#?}");
}

#[test]
fn the_function_measure_counts_bodies_not_declarations() {
    let text = "trait T {\n    fn decl(&self);\n}\nfn body() {\n    let s = \"}\";\n    if true {\n    }\n}\n";
    assert_eq!(functions(text), vec![("body".to_string(), 4, 5)]);
}

/// For every file, the files it imports from (`crate::…` and `super::…` paths, brace
/// groups included), children importing their ancestors left out: that is how a
/// module's own files share its items.
fn import_graph(files: &[SourceFile]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let path_re = Regex::new(r"\b(crate|super)((?:::\w+)*)(?:::\{([^}]*)\})?").expect("regex");
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains(p))
    };
    let mut graph = BTreeMap::new();
    for file in files {
        let mut deps = BTreeSet::new();
        for m in path_re.captures_iter(&code_of(&file.text)) {
            let mut base: Vec<String> = if &m[1] == "crate" {
                Vec::new()
            } else if file.is_dir_module {
                file.module[..file.module.len().saturating_sub(1)].to_vec()
            } else {
                file.module.clone()
            };
            if &m[1] == "super" && !file.is_dir_module {
                base.pop();
            }
            let mut head: Vec<String> = Vec::new();
            for seg in m[2].split("::").filter(|s| !s.is_empty()) {
                if seg == "super" && head.is_empty() {
                    base.pop();
                } else {
                    head.push(seg.to_string());
                }
            }
            let tails: Vec<Vec<String>> = match m.get(3) {
                Some(group) => group
                    .as_str()
                    .split(',')
                    .filter_map(|item| item.trim().split("::").next())
                    .map(|first| first.split_whitespace().next().unwrap_or("").to_string())
                    .filter(|first| !first.is_empty() && first != "self")
                    .map(|first| vec![first])
                    .chain(std::iter::once(Vec::new()))
                    .collect(),
                None => vec![Vec::new()],
            };
            for tail in tails {
                let full: Vec<String> = base.iter().chain(&head).chain(&tail).cloned().collect();
                if let Some(target) = resolve(&full) {
                    let is_ancestor = target.len() < file.module.len()
                        && file.module[..target.len()] == target[..];
                    if target != file.module && !is_ancestor {
                        deps.insert(target);
                    }
                }
            }
        }
        graph.insert(file.module.clone(), deps);
    }
    graph
}

/// The groups of files that import each other, directly or through others.
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&Vec<String>> = graph.get(from).into_iter().flatten().collect();
        while let Some(next) = todo.pop() {
            if seen.insert(next.clone()) {
                todo.extend(graph.get(next).into_iter().flatten());
            }
        }
        seen
    };
    let reachable: BTreeMap<&Vec<String>, BTreeSet<Vec<String>>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for (m, from_m) in &reachable {
        if !from_m.contains(*m) {
            continue;
        }
        let mut group: Vec<String> = from_m
            .iter()
            .filter(|other| reachable.get(other).is_some_and(|r| r.contains(*m)))
            .map(|other| other.join("/"))
            .collect();
        group.sort();
        groups.insert(group);
    }
    groups
        .into_iter()
        .map(|g| g.into_iter().collect())
        .collect()
}

#[test]
fn no_two_files_import_each_other() {
    let files = source_files();
    let graph = import_graph(&files);
    let found = cycles(&graph);
    assert!(found.is_empty(), "files importing each other: {found:#?}");
}

#[test]
fn the_cycle_finder_sees_a_cycle_through_a_brace_group() {
    let file = |module: &[&str], text: &str| SourceFile {
        module: module.iter().map(|s| s.to_string()).collect(),
        is_dir_module: false,
        path: PathBuf::from(module.join("/")),
        text: text.to_string(),
    };
    let files = vec![
        file(&["a"], "use crate::b::thing;\n"),
        file(&["b"], "use super::{c, d};\n// use crate::a; (a comment)\n"),
        file(&["c"], "fn f() { crate::a::g(); }\n"),
        file(&["d"], "#[cfg(test)]\nmod tests {\n    use crate::a;\n}\n"),
    ];
    let graph = import_graph(&files);
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
}

#[test]
fn the_frontier_imports_nothing_from_later_stages() {
    let later = Regex::new(r"\bcrate::(politeness|crawl|read|serve)\b").expect("regex");
    let offending: Vec<String> = source_files()
        .iter()
        .filter(|f| f.module.first().is_some_and(|m| m == "frontier"))
        .filter(|f| later.is_match(&code_of(&f.text)))
        .map(|f| f.path.display().to_string())
        .collect();
    assert!(offending.is_empty(), "{offending:?}");
}
