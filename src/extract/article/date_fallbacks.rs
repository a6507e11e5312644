//! Weaker evidence of the publication date, each tried only when the stronger sources
//! (`published`) found nothing: dates kept in attributes (`<abbr class="published"
//! title="…">`, the `title` of a date-like element, `data-timestamp`, `data-published`), a date right after a publication
//! label in a longer line ("This entry was posted on …", "Article publié le …", "Dieser
//! Beitrag wurde am … veröffentlicht"), and last a date written in the title.

use std::sync::LazyLock;

use chrono::Datelike;
use regex::Regex;

use super::super::dates::{self, ParsedDate, parse_date};
use super::super::hints;
use super::Context;
use super::date_signals::{UPDATED_LABEL, is_updated_class, plausible};

/// A labelled line longer than this is a paragraph of the text, not a byline.
const MAX_LINE_CHARS: usize = 400;
/// The label starts a byline: within this many characters of the line's start.
const LABEL_WITHIN: usize = 80;
/// The date follows its label within this many characters.
const DATE_WITHIN: usize = 60;
/// Elements larger than this (nodes) are containers, not lines.
const MAX_LINE_NODES: usize = 30;

/// Words that introduce the publication date in a byline or a post's closing line.
static BYLINE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:posted|published|publié|publiée|mise? en ligne|paru|écrit|rédigé|date de publication|veröffentlicht|erschienen|geschrieben|wurde am|erstellt|publicad[oa]|publicación|escrito|pubblicat[oa]|scritto|gepubliceerd|geplaatst)\b",
    )
    .expect("constant regex")
});

/// A bare label at the start of a line, the date right after it ("Datum: 31.01.2022",
/// "Date : 5 mars 2024", "Stand: 08.05.2019", "Pressemitteilung vom 12. März 2020",
/// "Fecha: 26, Abril, 2022").
static BARE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\W{0,3}(?:(?:datum|fecha|stand|(?:presse|medien)?(?:mitteilung|meldung|information)\s+vom|(?:beitrag|artikel|nachricht|news)\s+vom)\b\s*[:：.]?|(?:date|data)\s*[:：])",
    )
    .expect("constant regex")
});

/// After a bare label, the date's year is written within this many characters (a
/// weekday may come first: "Datum: Freitag, 7. Oktober 2016").
const BARE_YEAR_WITHIN: usize = 30;

/// A date kept in an attribute of an element outside noisy areas: the `title` of an
/// `<abbr>` named as the publication (microformats), or a `data-*` attribute named as a
/// time or a publication on a date-like element (`data-timestamp="1600000000"`,
/// `data-published="2022-05-17T06:00:00Z"`). Updates are skipped.
pub(super) fn attribute_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.is_elem() || cx.noise[i] || cx.in_other_post(i) {
            continue;
        }
        let names = cx.class_and_id(i);
        if is_updated_class(&names) && !names.contains("publish") {
            continue;
        }
        if n.tag == "abbr"
            && (names.contains("publish") || names.contains("dtstart") || names.contains("date"))
            && let Some(d) = n
                .attr("title")
                .and_then(parse_date)
                .filter(|d| plausible(cx, d))
        {
            return Some(d);
        }
        let hinted = cx.measures.hint[i] & hints::DATE != 0;
        // The full date in the `title` of a date-like element or a `<time>` whose text
        // is relative or partial (`<span class="date" title="5 March 2024">2 days
        // ago</span>`): a day with its year, not a bare year.
        if (hinted || n.tag == "time")
            && n.end - i <= 4
            && let Some(d) = n
                .attr("title")
                .filter(|t| t.chars().count() <= 60)
                .and_then(|t| dates::find_date_in_text(t, cx.month_first))
                .filter(|d| plausible(cx, d))
        {
            return Some(d);
        }
        for (name, value) in n.attrs() {
            let name = name.to_ascii_lowercase();
            let Some(rest) = name.strip_prefix("data-") else {
                continue;
            };
            let named_publication = rest.contains("publish") || rest.contains("pubdate");
            let named_time = ["timestamp", "time", "date", "utime", "epoch", "created"]
                .iter()
                .any(|w| rest.contains(w));
            if rest.contains("updat") || rest.contains("modif") {
                continue;
            }
            if (named_publication || (hinted && named_time))
                && let Some(d) = parse_date(value).filter(|d| plausible(cx, d))
            {
                return Some(d);
            }
        }
    }
    None
}

/// A date right after a publication label in a short line of the page outside noisy
/// areas ("This entry was posted on Thursday, October 5th, 2023 at 9:12 am and is filed
/// under …"): the label near the start of the line, the date within a few words of it.
pub(super) fn labelled_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let dom = cx.dom;
    for (i, n) in dom.nodes.iter().enumerate() {
        if !n.is_elem()
            || n.end - i > MAX_LINE_NODES
            || cx.noise[i]
            || cx.measures.skip[i]
            || cx.in_other_post(i)
            || matches!(n.tag, "script" | "style" | "a" | "h1" | "title" | "head")
            || cx.measures.text[i] == 0
            || cx.measures.text[i] as usize > MAX_LINE_CHARS
        {
            continue;
        }
        let text = dom.text(i);
        if text.chars().count() > MAX_LINE_CHARS {
            continue;
        }
        if let Some(d) = date_after_label(&text, cx.month_first).filter(|d| plausible(cx, d)) {
            return Some(d);
        }
        if let Some(d) = date_after_sibling_label(cx, i, &text, false).filter(|d| plausible(cx, d))
        {
            return Some(d);
        }
    }
    None
}

/// An element that is only a publication label ("Mise en ligne", "Publié le", "Datum"),
/// then the date as the next element's text (`<p>Mise en ligne</p><p>23 mai 2019</p>`).
/// `in_noise`: the next element may lie in a noisy area (not a link, though).
pub(super) fn date_after_sibling_label(
    cx: &Context<'_, '_>,
    i: usize,
    text: &str,
    in_noise: bool,
) -> Option<ParsedDate> {
    if text.chars().count() > MAX_LABEL_CHARS || !is_label_only(text) {
        return None;
    }
    let dom = cx.dom;
    let parent = dom.nodes[i].parent;
    if parent == super::NONE {
        return None;
    }
    let next = (dom.nodes[i].end..dom.nodes.len().min(dom.nodes[i].end + 8))
        .take_while(|&j| dom.nodes[j].parent == parent || dom.contains(parent, j))
        .find(|&j| dom.nodes[j].parent == parent && dom.nodes[j].is_elem())?;
    if dom.nodes[next].end - next > MAX_LINE_NODES
        || (cx.noise[next] && !in_noise)
        || (in_noise && (next..dom.nodes[next].end).any(|j| dom.nodes[j].tag == "a"))
    {
        return None;
    }
    let value = dom.text(next);
    if value.chars().count() > MAX_SIBLING_DATE_CHARS || UPDATED_LABEL.is_match(&value) {
        return None;
    }
    dates::find_date_in_text(&value, cx.month_first).or_else(|| dates::month_at_start(&value))
}

/// A label alone is this short at most.
const MAX_LABEL_CHARS: usize = 40;
/// The element after a label holds the date and little else.
const MAX_SIBLING_DATE_CHARS: usize = 60;

/// True when a text is a publication label and nothing else ("Mise en ligne",
/// "Publié le :", "Datum").
fn is_label_only(text: &str) -> bool {
    let text = text.trim().trim_end_matches([':', '：', ' ']);
    if let Some(m) = BYLINE_LABEL.find(text)
        && text[..m.start()].trim().is_empty()
    {
        let tail = text[m.end()..].trim();
        return matches!(tail, "" | "le" | "am" | "on" | "el" | "il" | "op");
    }
    BARE_LABEL_ONLY.is_match(text)
}

/// A bare label alone in its element ("Datum", "Date", "Fecha").
static BARE_LABEL_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W{0,3}(?:datum|date|data|fecha|stand)$").expect("constant regex")
});

/// The date that follows a publication label near the start of a line (not an update),
/// or a bare label that starts the line.
fn date_after_label(line: &str, month_first: bool) -> Option<ParsedDate> {
    if let Some(label) = BARE_LABEL.find(line) {
        let after = &line[label.end()..];
        let window: String = after.chars().take(BARE_YEAR_WITHIN + 20).collect();
        if let Some(d) = dates::find_date_in_text(&window, month_first)
            && let Some(at) = window.find(&d.day().year().to_string())
            && window[..at].chars().count() <= BARE_YEAR_WITHIN
        {
            return Some(d);
        }
        if let Some(d) = dates::month_at_start(after) {
            return Some(d);
        }
    }
    let label = BYLINE_LABEL.find(line)?;
    if line[..label.start()].chars().count() > LABEL_WITHIN {
        return None;
    }
    let after = &line[label.end()..];
    let window: String = after.chars().take(DATE_WITHIN + 40).collect();
    if UPDATED_LABEL
        .find(&window)
        .is_some_and(|u| u.start() < DATE_WITHIN)
    {
        return None;
    }
    let Some(d) = dates::find_date_in_text(&window, month_first) else {
        // A month alone right after the label ("Published: March 2020").
        let rest = window.trim_start_matches(|c: char| c.is_whitespace() || ":：".contains(c));
        let rest = ["on ", "le ", "am ", "el ", "il ", "in "]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        return dates::month_at_start(rest);
    };
    // The date must start close to the label: find where its year is written.
    let year = d.day().year().to_string();
    let at = window.find(&year)?;
    (window[..at].chars().count() <= DATE_WITHIN + 10).then_some(d)
}

/// A date written in the article's heading or the page title ("Board minutes,
/// 2022-11-30"), the last resort.
pub(super) fn title_date(cx: &Context<'_, '_>) -> Option<ParsedDate> {
    let heading = cx.heading.map(|h| cx.dom.text(h));
    heading
        .iter()
        .map(String::as_str)
        .chain(cx.meta.title.as_deref())
        .filter(|t| t.chars().count() <= 300)
        .find_map(|t| dates::find_date_in_text(t, cx.month_first))
        .filter(|d| plausible(cx, d))
}

#[cfg(test)]
mod tests {
    use super::date_after_label;

    fn day(line: &str) -> Option<String> {
        date_after_label(line, false).map(|d| d.day().to_string())
    }

    #[test]
    fn a_date_after_a_publication_label_in_a_long_line() {
        assert_eq!(
            day("This entry was posted on Thursday, October 5th, 2023 at 9:12 am and is filed under News.").as_deref(),
            Some("2023-10-05")
        );
        assert_eq!(
            day("Dieser Beitrag wurde am 12. Januar 2022 von Redaktion veröffentlicht.").as_deref(),
            Some("2022-01-12")
        );
        assert_eq!(
            day("Article publié le 9 février 2020 par la rédaction").as_deref(),
            Some("2020-02-09")
        );
    }

    #[test]
    fn no_date_far_from_its_label_nor_after_an_update_label() {
        assert_eq!(
            day(
                "Posted in News, Harbour, Boats, Tides, Weather, Fishing, Local politics and everything else you could think of, 3 March 2020"
            ),
            None
        );
        assert_eq!(day("Published: updated on 3 March 2020"), None);
        assert_eq!(
            day(
                "In the long report that the ministry sent to every harbour of the coast last winter, which was posted on 3 March 2020"
            ),
            None
        );
    }
}
