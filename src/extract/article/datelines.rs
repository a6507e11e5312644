//! A dateline at the head of the article's text: "PARIS, 5 mars 2024 — Le …",
//! "27.1.2022 - Bei der Erinnerung …", "01.02.2022 „Der Arbeitsmarkt …". The place (a
//! few words, no digits) and the date open one of the first paragraphs, and a dash, a
//! colon, a quote or the paragraph's end follows the date.

use std::sync::LazyLock;

use chrono::Datelike;
use regex::Regex;

use super::super::dates::{self, ParsedDate};
use super::date_signals::FIRST_YEAR;

/// The date starts within this many characters of the paragraph's start.
const PLACE_MAX_CHARS: usize = 40;
/// The dateline is read from this many characters of the paragraph at most.
const HEAD_CHARS: usize = 80;
/// From its first digit to its year, a date is this long at most ("12. September 2020",
/// "5 de marzo de 2024"): a longer span is a sentence that holds a date.
const DATE_MAX_CHARS: usize = 22;
/// Paragraphs looked at (a stand-first may come first).
const PARAGRAPHS: usize = 4;

/// What may follow the date of a dateline: a time, then a dash, a colon, a bar, an
/// opening parenthesis or quote, or nothing.
static AFTER_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)^\s*(?:[,/]?\s*(?:à|um|at|a las|alle|@)?\s*\d{1,2}[:h.]\d{2}\s*(?:uhr|h|am|pm|a\.m\.|p\.m\.)?)?\s*(?:$|[-–—:|(„“"«]|\.\s)"#,
    )
    .expect("constant regex")
});

/// The date of a dateline that opens one of the first paragraphs of `body`.
pub(super) fn dateline_date(body: &str, month_first: bool) -> Option<ParsedDate> {
    body.split("\n\n")
        .take(PARAGRAPHS)
        .find_map(|p| paragraph_dateline(p.trim(), month_first))
        .filter(|d| d.day().year() >= FIRST_YEAR)
}

fn paragraph_dateline(paragraph: &str, month_first: bool) -> Option<ParsedDate> {
    let head: String = paragraph.chars().take(HEAD_CHARS).collect();
    let found = dates::find_date_in_text(&head, month_first)?;
    // Where the date starts: its first digit or month name, after the place.
    let start = head.find(|c: char| c.is_ascii_digit())?;
    let place = &head[..start];
    let place_ok = place.chars().count() <= PLACE_MAX_CHARS
        && place
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || ",.'’()/-–—".contains(c));
    // A place is a few words, not a sentence ("In the report of 5 March 2024 …").
    if !place_ok || place.split_whitespace().count() > 4 {
        return None;
    }
    // Where it ends: the shortest head that already reads the same day, not inside a
    // longer number ("12.03.20" of "12.03.2020").
    let end = (start + 1..=head.len())
        .filter(|&k| head.is_char_boundary(k))
        .filter(|&k| !head[k..].starts_with(|c: char| c.is_ascii_digit()))
        .find(|&k| {
            dates::find_date_in_text(&head[..k], month_first)
                .is_some_and(|d| d.day() == found.day())
        })?;
    let rest = &head[end..];
    if head[start..end].chars().count() > DATE_MAX_CHARS {
        return None;
    }
    AFTER_DATE.is_match(rest).then_some(found)
}

#[cfg(test)]
mod tests {
    use super::dateline_date;

    fn day(body: &str) -> Option<String> {
        dateline_date(body, false).map(|d| d.day().to_string())
    }

    #[test]
    fn datelines_that_open_the_text() {
        assert_eq!(
            day("PARIS, 5 mars 2024 — Le gouvernement a annoncé …").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(
            day("27.1.2022 - Bei der Erinnerung an die Verfolgten …").as_deref(),
            Some("2022-01-27")
        );
        assert_eq!(
            day("01.02.2022 „Der Arbeitsmarkt ist gut in das Jahr gestartet“").as_deref(),
            Some("2022-02-01")
        );
        // After a stand-first.
        assert_eq!(
            day("Ein kurzer Vorspann.\n\nBerlin, 12.03.2020: Die Kammer tagte.").as_deref(),
            Some("2020-03-12")
        );
    }

    #[test]
    fn dates_inside_sentences_are_no_datelines() {
        assert_eq!(day("In the report of 5 March 2024 the board said …"), None);
        assert_eq!(
            day("Mercurial 5.2 was released on November 5, 2019. It is the first."),
            None
        );
        assert_eq!(
            day("Le 5 mars 2024, le conseil a voté la fin du port."),
            None
        );
        assert_eq!(day("Am 12.03.2020 tagte die Kammer zum dritten Mal."), None);
        assert_eq!(
            day("Il était une fois.\n\nRien.\n\nLa suite.\n\nEt puis.\n\nPARIS, 5 mars 2024 — x"),
            None
        );
    }
}
