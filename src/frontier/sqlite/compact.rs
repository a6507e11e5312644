//! Compact forms of the texts the SQLite frontier stores for every capture (schema
//! version 4): a WARC record id `<urn:uuid:…>` as 17 bytes instead of 47, a payload digest
//! `sha1:<base32>` as 21 bytes instead of 37, an HTTP date (`Last-Modified`) as an integer
//! instead of 29 bytes.
//!
//! A text is stored compact only when its compact form reads back as the very same text;
//! any other text is stored as it is. A BLOB in a text column is always a compact text
//! (its first byte says which kind), and so is an INTEGER (an HTTP date), so reading needs
//! no knowledge of the column.

use chrono::{DateTime, Utc};
use rusqlite::types::{Value, ValueRef};

use crate::frontier::FrontierError;

/// First byte of a compact WARC record id.
const RECORD_ID: u8 = 1;
/// First byte of a compact SHA-1 payload digest.
const SHA1_DIGEST: u8 = 2;

/// The form of an HTTP date (RFC 9110 IMF-fixdate).
const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// The compact form of `text` if it has one that reads back as `text`, else `text`.
pub(super) fn compact(text: &str) -> Value {
    let packed = pack(text);
    match &packed {
        Some(v) if unpack(v.into()).ok().flatten().as_deref() == Some(text) => {
            packed.unwrap_or(Value::Null)
        }
        _ => Value::Text(text.to_string()),
    }
}

/// [`compact`] of an optional text (`None`: NULL).
pub(super) fn compact_opt(text: Option<&str>) -> Value {
    text.map_or(Value::Null, compact)
}

/// The compact candidate of `text`, unchecked.
fn pack(text: &str) -> Option<Value> {
    if let Some(id) = text
        .strip_prefix("<urn:uuid:")
        .and_then(|t| t.strip_suffix('>'))
    {
        let uuid = uuid::Uuid::try_parse(id).ok()?;
        let mut bytes = vec![RECORD_ID];
        bytes.extend_from_slice(uuid.as_bytes());
        return Some(Value::Blob(bytes));
    }
    if let Some(digest) = text.strip_prefix("sha1:") {
        let raw = data_encoding::BASE32.decode(digest.as_bytes()).ok()?;
        if raw.len() != 20 {
            return None;
        }
        let mut bytes = vec![SHA1_DIGEST];
        bytes.extend_from_slice(&raw);
        return Some(Value::Blob(bytes));
    }
    if text.ends_with(" GMT") {
        let at = DateTime::parse_from_rfc2822(text).ok()?;
        return Some(Value::Integer(at.timestamp()));
    }
    None
}

/// The text a stored value stands for: a text as it is, a compact form expanded, NULL as
/// `None`.
pub(super) fn unpack(value: ValueRef<'_>) -> Result<Option<String>, FrontierError> {
    let corrupt = |what: &str| FrontierError::Corrupt(format!("invalid compact text: {what}"));
    match value {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => Ok(Some(
            std::str::from_utf8(t)
                .map_err(|_| corrupt("text not in UTF-8"))?
                .to_string(),
        )),
        ValueRef::Integer(secs) => DateTime::<Utc>::from_timestamp(secs, 0)
            .map(|at| Some(at.format(HTTP_DATE).to_string()))
            .ok_or_else(|| corrupt("date out of range")),
        ValueRef::Blob([RECORD_ID, rest @ ..]) => uuid::Uuid::from_slice(rest)
            .map(|u| Some(format!("<urn:uuid:{}>", u.hyphenated())))
            .map_err(|_| corrupt("record id")),
        ValueRef::Blob([SHA1_DIGEST, rest @ ..]) if rest.len() == 20 => {
            Ok(Some(format!("sha1:{}", data_encoding::BASE32.encode(rest))))
        }
        ValueRef::Blob(_) => Err(corrupt("unknown kind")),
        ValueRef::Real(_) => Err(corrupt("a real number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> (Value, String) {
        let stored = compact(text);
        let back = unpack((&stored).into()).unwrap().unwrap();
        (stored, back)
    }

    #[test]
    fn record_ids_digests_and_dates_are_stored_compact_and_read_back_alike() {
        for (text, size) in [
            ("<urn:uuid:0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b>", 17),
            ("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ", 21),
        ] {
            let (stored, back) = round_trip(text);
            assert!(
                matches!(&stored, Value::Blob(b) if b.len() == size),
                "{text}"
            );
            assert_eq!(back, text);
        }
        let (stored, back) = round_trip("Mon, 01 Dec 2025 10:00:00 GMT");
        assert_eq!(stored, Value::Integer(1_764_583_200));
        assert_eq!(back, "Mon, 01 Dec 2025 10:00:00 GMT");
    }

    #[test]
    fn texts_without_an_exact_compact_form_are_kept_as_they_are() {
        for text in [
            // upper-case hex would read back lower-case
            "<urn:uuid:0F1E2D3C-4B5A-4978-8A6B-5C4D3E2F1A0B>",
            "<urn:uuid:not-a-uuid>",
            "sha1:AAAA",
            "sha256:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
            // a wrong weekday, a date in another zone, an obsolete form
            "Tue, 01 Dec 2025 10:00:00 GMT",
            "Mon, 01 Dec 2025 10:00:00 +0100",
            "Monday, 01-Dec-25 10:00:00 GMT",
            "W/\"abc\"",
            "",
        ] {
            let (stored, back) = round_trip(text);
            assert_eq!(stored, Value::Text(text.to_string()), "{text}");
            assert_eq!(back, text);
        }
    }

    #[test]
    fn damaged_compact_values_are_errors_not_panics() {
        assert!(unpack(ValueRef::Blob(&[9, 1, 2])).is_err());
        assert!(unpack(ValueRef::Blob(&[RECORD_ID, 1, 2])).is_err());
        assert!(unpack(ValueRef::Blob(&[SHA1_DIGEST, 1])).is_err());
        assert!(unpack(ValueRef::Integer(i64::MAX)).is_err());
        assert_eq!(unpack(ValueRef::Null).unwrap(), None);
    }
}
