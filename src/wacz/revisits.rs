//! `server-not-modified` revisits are left out of the package's index.
//!
//! An incremental crawl that gets `304 Not Modified` writes a revisit whose block is the
//! 304 head and whose `WARC-Payload-Digest` is the earlier capture's. Both readers replay
//! such a revisit as an empty 304: pywb 2.10 serves the revisit's own head with the
//! original payload, and ReplayWeb.page (wabac.js) answers any revisit with a 3xx status
//! from its head alone. An index line that names the original record at the revisit's
//! time does not help either: pywb then replays the article, but ReplayWeb.page refuses a
//! record whose `WARC-Date` differs from the line's timestamp ("Wrong timestamp"). So the
//! line of a 304 revisit is left out: both readers replay the capture the server confirmed,
//! at its own date. The revisit record itself stays in `archive/`, byte for byte.
//!
//! Revisits of an identical payload (a 200 answer with the same digest) are indexed as
//! revisits: both readers resolve them to the original payload with their own 200 head.

use std::borrow::Cow;

/// Filters the sorted index lines (see the module documentation).
#[derive(Debug, Default)]
pub struct NotModified {
    /// 304 revisits left out of the index.
    pub left_out: u64,
}

impl NotModified {
    /// The line to write for the index line `line` (without line end): the line itself,
    /// or `None` for the line of a 304 revisit.
    pub fn line<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        if is_not_modified_revisit(line) {
            self.left_out += 1;
            return None;
        }
        Some(Cow::Borrowed(line))
    }
}

/// True for the index line of a revisit whose HTTP status is 304, as
/// [`super::cdx::cdx_line`] writes it (`"mime":"warc/revisit","status":"304"`).
fn is_not_modified_revisit(line: &str) -> bool {
    let Some(json) = line.splitn(3, ' ').nth(2) else {
        return false;
    };
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(borrow)]
        mime: Cow<'a, str>,
        #[serde(borrow, default)]
        status: Option<Cow<'a, str>>,
    }
    // Cheap test first: most lines are not revisits.
    json.contains("warc/revisit")
        && serde_json::from_str::<Kind<'_>>(json)
            .is_ok_and(|k| k.mime == "warc/revisit" && k.status.as_deref() == Some("304"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ts: &str, mime: &str, status: &str) -> String {
        format!(
            r#"test,news)/a {ts} {{"url":"http://news.test/a","mime":"{mime}","status":"{status}","digest":"sha1:A","length":"100","offset":"0","filename":"f.warc.gz"}}"#
        )
    }

    #[test]
    fn only_the_lines_of_304_revisits_are_left_out() {
        let mut filter = NotModified::default();
        let original = line("20240501100000", "text/html", "200");
        assert_eq!(filter.line(&original).as_deref(), Some(original.as_str()));
        assert_eq!(
            filter.line(&line("20240503100000", "warc/revisit", "304")),
            None
        );
        // An identical-payload revisit (200): the readers resolve it.
        let same = line("20240504100000", "warc/revisit", "200");
        assert_eq!(filter.line(&same).as_deref(), Some(same.as_str()));
        // A 304 response that is no revisit, and a URL that merely mentions the words.
        let response_304 = line("20240505100000", "text/html", "304");
        assert!(filter.line(&response_304).is_some());
        let odd = r#"test,news)/warc/revisit 20240506100000 {"url":"http://news.test/warc/revisit","mime":"text/html","status":"304","length":"1","offset":"0","filename":"f"}"#;
        assert!(filter.line(odd).is_some());
        assert_eq!(filter.left_out, 1);
    }
}
