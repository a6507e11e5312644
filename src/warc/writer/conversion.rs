//! `conversion` records: a capture's content transformed (the DOM of a page after a
//! browser rendered it), referring to the record it came from.

use chrono::{DateTime, Utc};

use super::{RecordLocation, WarcWriter};
use crate::warc::{RecordId, WarcError};

impl WarcWriter {
    /// Writes a `conversion` record about `target_uri` (e.g. the rendered DOM of a page,
    /// `text/html`) that refers to the record it was made from (`WARC-Refers-To`).
    pub fn write_conversion(
        &mut self,
        target_uri: &str,
        refers_to: &RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: &[u8],
    ) -> Result<RecordLocation, WarcError> {
        let res = self.write_referring(
            "conversion",
            target_uri,
            refers_to,
            date,
            content_type,
            block,
        );
        self.after_write(res)
    }
}

#[cfg(test)]
mod tests {
    use crate::warc::{Compression, RecordId, WarcWriter, WriterConfig, read_records};

    #[test]
    fn a_conversion_record_refers_to_its_source_and_keeps_the_dom() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut writer = WarcWriter::new(WriterConfig {
            compression: Compression::Zstd,
            ..WriterConfig::new(dir.path())
        })
        .expect("writer");
        let source = RecordId::new();
        let dom = "<!DOCTYPE html>\n<html><body><h1>Rendu</h1></body></html>";
        let date = chrono::Utc::now();
        writer
            .write_conversion(
                "http://news.test/a/1.html",
                &source,
                date,
                "text/html; charset=utf-8",
                dom.as_bytes(),
            )
            .expect("written");
        let files = writer.finish().expect("closed");
        let records = read_records(&files[0]).expect("readable");
        let record = records
            .iter()
            .find(|r| r.record_type() == Some("conversion"))
            .expect("a conversion record");
        assert_eq!(record.header("WARC-Refers-To"), Some(source.0.as_str()));
        assert_eq!(
            record.header("WARC-Target-URI"),
            Some("http://news.test/a/1.html")
        );
        assert_eq!(
            record.header("Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(record.payload().as_deref(), Some(dom.as_bytes()));
        record.verify_digests().expect("digests");
    }
}
