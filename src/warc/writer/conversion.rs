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
