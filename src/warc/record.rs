//! The WARC record model and digests.

/// A `WARC-Record-ID` value, `<urn:uuid:…>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordId(pub String);

impl RecordId {
    /// A new random id.
    pub fn new() -> RecordId {
        RecordId(format!("<urn:uuid:{}>", uuid::Uuid::new_v4()))
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One WARC record: named header fields (in order) and the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The version line's version, e.g. `WARC/1.1`.
    pub version: String,
    /// Header fields in order (`Content-Length` included when read from a file).
    pub headers: Vec<(String, String)>,
    /// The record block.
    pub block: Vec<u8>,
}

impl Record {
    /// The first value of a header field (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
