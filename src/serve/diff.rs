//! What changed in an article's body between two captures: a paragraph-level diff
//! (`similar`, patience algorithm) with the changed words of replaced paragraphs marked.

use std::time::Duration;

use serde::Serialize;
use similar::{Algorithm, ChangeTag, TextDiff};

/// Longest time spent diffing one pair of bodies; past it the diff is coarser.
const TIMEOUT: Duration = Duration::from_millis(500);

/// A piece of a diff line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Part {
    /// The text.
    pub text: String,
    /// True for the words that changed within the line.
    pub emph: bool,
}

/// One paragraph of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    /// `equal`, `delete` or `insert`.
    pub tag: &'static str,
    /// The paragraph, in parts.
    pub parts: Vec<Part>,
}

/// The summary of a diff.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffStats {
    /// Paragraphs only in the newer body.
    pub inserted: usize,
    /// Paragraphs only in the older body.
    pub deleted: usize,
    /// Paragraphs in both.
    pub unchanged: usize,
}

/// Diffs two bodies paragraph by paragraph (a paragraph is a non-empty line).
pub fn diff_bodies(old: &str, new: &str) -> (Vec<DiffLine>, DiffStats) {
    let norm = |s: &str| -> String {
        s.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    };
    let (old, new) = (norm(old), norm(new));
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .timeout(TIMEOUT)
        .diff_lines(&old, &new);
    let mut lines = Vec::new();
    let mut stats = DiffStats::default();
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            let tag = match change.tag() {
                ChangeTag::Equal => {
                    stats.unchanged += 1;
                    "equal"
                }
                ChangeTag::Delete => {
                    stats.deleted += 1;
                    "delete"
                }
                ChangeTag::Insert => {
                    stats.inserted += 1;
                    "insert"
                }
            };
            let parts = change
                .iter_strings_lossy()
                .map(|(emph, text)| Part {
                    text: text.trim_end_matches('\n').to_string(),
                    emph,
                })
                .filter(|p| !p.text.is_empty())
                .collect();
            lines.push(DiffLine { tag, parts });
        }
    }
    (lines, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_paragraphs_and_words() {
        let old = "Premier paragraphe.\n\nLe nuage arrive lundi.\n\nFin.";
        let new = "Premier paragraphe.\n\nLe nuage arrive mardi.\n\nFin.\n\nAjout.";
        let (lines, stats) = diff_bodies(old, new);
        assert_eq!(stats.unchanged, 2);
        assert_eq!(stats.deleted, 1);
        assert_eq!(stats.inserted, 2);
        let del = lines.iter().find(|l| l.tag == "delete").expect("delete");
        assert!(
            del.parts.iter().any(|p| p.emph && p.text.contains("lundi")),
            "{del:?}"
        );
        let ins: Vec<&DiffLine> = lines.iter().filter(|l| l.tag == "insert").collect();
        assert!(
            ins[0]
                .parts
                .iter()
                .any(|p| p.emph && p.text.contains("mardi"))
        );
        assert_eq!(ins[1].parts[0].text, "Ajout.");
        let (same, stats) = diff_bodies("a\nb", "a\n\nb\n");
        assert!(same.iter().all(|l| l.tag == "equal"));
        assert_eq!(stats.unchanged, 2);
    }
}
