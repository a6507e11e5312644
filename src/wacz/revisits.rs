//! Index lines of `server-not-modified` revisits, resolved to the capture they confirm.
//!
//! An incremental crawl that gets `304 Not Modified` writes a revisit whose block is the
//! 304 head and whose `WARC-Payload-Digest` is the earlier capture's. pywb 2.10 and
//! ReplayWeb.page replay such a revisit with its own head: an empty 304, not the page. So
//! in the package's index, the line of a 304 revisit is rewritten to point at the full
//! capture it confirms (same URL, same payload digest, indexed earlier), at the revisit's
//! own time: the readers then serve the original record (its bytes unchanged) at the date
//! the server said it was still current. When no such capture is indexed before it, the
//! line is left out, so that the readers fall back to another capture of the URL instead
//! of an empty 304.
//!
//! Lines arrive sorted (SURT key, then timestamp), so only the captures of the current key
//! are remembered: memory does not grow with the archive.

use std::borrow::Cow;

use serde::Deserialize;

use super::cdx::Fields;

/// Full captures of one key remembered to resolve the revisits that follow them.
const CAPTURES_PER_KEY: usize = 32;

/// The JSON of an index line as [`super::cdx::cdx_line`] writes it.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    url: Cow<'a, str>,
    #[serde(borrow)]
    mime: Cow<'a, str>,
    #[serde(borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    digest: Option<Cow<'a, str>>,
    #[serde(borrow)]
    length: Cow<'a, str>,
    #[serde(borrow)]
    offset: Cow<'a, str>,
    #[serde(borrow)]
    filename: Cow<'a, str>,
}

/// One full capture of the current key: its payload digest and where it is.
struct Capture {
    digest: String,
    mime: String,
    status: Option<String>,
    length: String,
    offset: String,
    filename: String,
}

/// Rewrites the sorted index lines of 304 revisits (see the module documentation).
#[derive(Default)]
pub struct NotModified {
    key: String,
    captures: Vec<Capture>,
    /// 304 revisits indexed at the capture they confirm.
    pub resolved: u64,
    /// 304 revisits left out of the index (no earlier capture of the URL with their
    /// payload digest in the package).
    pub left_out: u64,
}

impl NotModified {
    /// The line to write for the sorted index line `line` (without line end): the line
    /// itself, the line of a 304 revisit rewritten, or `None` for a 304 revisit whose
    /// capture is not in the index.
    pub fn line<'l>(&mut self, line: &'l str) -> Option<Cow<'l, str>> {
        let Some((key, rest)) = line.split_once(' ') else {
            return Some(Cow::Borrowed(line));
        };
        let Some((ts, json)) = rest.split_once(' ') else {
            return Some(Cow::Borrowed(line));
        };
        if key != self.key {
            self.key.clear();
            self.key.push_str(key);
            self.captures.clear();
        }
        let Ok(fields) = serde_json::from_str::<Line<'_>>(json) else {
            return Some(Cow::Borrowed(line));
        };
        let digest = fields.digest.as_deref().unwrap_or("");
        if fields.mime != "warc/revisit" {
            if !digest.is_empty() {
                if self.captures.len() == CAPTURES_PER_KEY {
                    self.captures.remove(0);
                }
                self.captures.push(Capture {
                    digest: digest.to_string(),
                    mime: fields.mime.into_owned(),
                    status: fields.status.map(Cow::into_owned),
                    length: fields.length.into_owned(),
                    offset: fields.offset.into_owned(),
                    filename: fields.filename.into_owned(),
                });
            }
            return Some(Cow::Borrowed(line));
        }
        if fields.status.as_deref() != Some("304") {
            return Some(Cow::Borrowed(line));
        }
        let Some(capture) = self
            .captures
            .iter()
            .rev()
            .find(|c| !digest.is_empty() && c.digest == digest)
        else {
            self.left_out += 1;
            return None;
        };
        let resolved = Fields {
            url: &fields.url,
            mime: &capture.mime,
            status: capture.status.as_deref(),
            digest: Some(&capture.digest),
            length: capture.length.clone(),
            offset: capture.offset.clone(),
            filename: &capture.filename,
        };
        let json = serde_json::to_string(&resolved).ok()?;
        self.resolved += 1;
        Some(Cow::Owned(format!("{key} {ts} {json}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test,news)/a";

    fn line(ts: &str, mime: &str, status: &str, digest: &str, offset: u64) -> String {
        format!(
            r#"{KEY} {ts} {{"url":"http://news.test/a","mime":"{mime}","status":"{status}","digest":"{digest}","length":"100","offset":"{offset}","filename":"f.warc.gz"}}"#
        )
    }

    #[test]
    fn a_304_revisit_points_at_the_capture_it_confirms_at_its_own_time() {
        let mut r = NotModified::default();
        let original = line("20240501100000", "text/html", "200", "sha1:A", 0);
        assert_eq!(r.line(&original).as_deref(), Some(original.as_str()));
        let changed = line("20240502100000", "text/html", "200", "sha1:B", 500);
        assert_eq!(r.line(&changed).as_deref(), Some(changed.as_str()));
        // Refers to the first capture (digest A), dated after the second.
        let revisit = line("20240503100000", "warc/revisit", "304", "sha1:A", 900);
        assert_eq!(
            r.line(&revisit).as_deref(),
            Some(line("20240503100000", "text/html", "200", "sha1:A", 0).as_str())
        );
        // An identical-payload revisit (200) is left to the readers, who resolve it.
        let same = line("20240504100000", "warc/revisit", "200", "sha1:B", 1200);
        assert_eq!(r.line(&same).as_deref(), Some(same.as_str()));
        assert_eq!((r.resolved, r.left_out), (1, 0));
    }

    #[test]
    fn a_304_revisit_without_its_capture_is_left_out() {
        let mut r = NotModified::default();
        let other = format!(
            r#"test,news)/b 20240501100000 {{"url":"http://news.test/b","mime":"text/html","status":"200","digest":"sha1:A","length":"1","offset":"0","filename":"f"}}"#
        );
        assert!(r.line(&other).is_some());
        // Same digest, but another URL: not the capture it confirms.
        let revisit = line("20240503100000", "warc/revisit", "304", "sha1:A", 900);
        assert_eq!(r.line(&revisit), None);
        let no_digest = format!(
            r#"{KEY} 20240504100000 {{"url":"http://news.test/a","mime":"warc/revisit","status":"304","length":"1","offset":"5","filename":"f"}}"#
        );
        assert_eq!(r.line(&no_digest), None);
        assert_eq!((r.resolved, r.left_out), (0, 2));
    }
}
