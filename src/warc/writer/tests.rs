//! Tests of the WARC writer.

use std::borrow::Cow;

use super::*;

#[test]
fn head_without_transfer_encoding_is_borrowed() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n";
    assert!(matches!(
        rewrite_response_head(head, 3, false),
        Cow::Borrowed(_)
    ));
    // untruncated: Content-Length kept even if it does not match (HEAD, 304)
    assert!(matches!(
        rewrite_response_head(head, 0, false),
        Cow::Borrowed(_)
    ));
    // truncated but matching: kept
    assert!(matches!(
        rewrite_response_head(head, 3, true),
        Cow::Borrowed(_)
    ));
}

#[test]
fn transfer_encoding_lines_are_renamed_whatever_their_case() {
    let head = b"HTTP/1.1 200 OK\r\nTRANSFER-ENCODING: gzip, chunked\r\nX-A: transfer-encoding: x\r\ntransfer-encoding:chunked\r\n\r\n";
    let out = rewrite_response_head(head, 10, false);
    assert_eq!(
        &out[..],
        b"HTTP/1.1 200 OK\r\nX-Glaneur-Orig-Transfer-Encoding: gzip, chunked\r\nX-A: transfer-encoding: x\r\nX-Glaneur-Orig-Transfer-Encoding:chunked\r\n\r\n"
    );
}

#[test]
fn truncated_content_length_is_renamed() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n";
    let out = rewrite_response_head(head, 40, true);
    assert_eq!(
        &out[..],
        b"HTTP/1.1 200 OK\r\nX-Glaneur-Orig-Content-Length: 100\r\n\r\n"
    );
}

#[test]
fn dates_and_header_values_are_sanitised() {
    let d = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
    assert_eq!(warc_date(d), "2023-11-14T22:13:20Z");
    assert_eq!(clean_uri("http://h/a b\r\n"), "http://h/a%20b%0D%0A");
    assert_eq!(clean("a\r\nb"), "a  b");
    assert_eq!(clean_name("bad name:x"), "bad-name-x");
}

#[test]
fn gzip_member_and_zstd_frame_decode_to_the_concatenation() {
    let pieces: [&[u8]; 3] = [b"head ", &[7u8; 200_000], b" tail"];
    let whole: Vec<u8> = pieces.concat();
    let mut out = Vec::new();
    let mut gz = Codec::new(Compression::Gzip).unwrap();
    gz.encode(&pieces, RecordClass::Capture, &mut out).unwrap();
    let mut dec = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&out[..]), &mut dec).unwrap();
    assert_eq!(dec, whole);
    let mut z = Codec::new(Compression::Zstd).unwrap();
    for _ in 0..2 {
        // the context is reused
        z.encode(&pieces, RecordClass::Capture, &mut out).unwrap();
        assert_eq!(zstd::decode_all(&out[..]).unwrap(), whole);
    }
}

#[test]
fn revisit_records_hold_the_head_and_refer_to_the_full_response() {
    use crate::warc::read_records;
    let dir = tempfile::tempdir().unwrap();
    let mut writer = WarcWriter::new(WriterConfig {
        compression: Compression::Gzip,
        ..WriterConfig::new(dir.path())
    })
    .unwrap();
    let body = "<html>same</html>";
    let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"e\"\r\n\r\n";
    let capture = Capture {
        url: url::Url::parse("http://a.test/x").unwrap(),
        started: Utc::now(),
        ip: None,
        request: b"GET /x HTTP/1.1\r\nHost: a.test\r\n\r\n".to_vec(),
        status: 200,
        response_head: head.as_bytes().to_vec(),
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::from(body),
        truncated: None,
        elapsed: std::time::Duration::from_millis(3),
    };
    let full = writer.write_capture(&capture).unwrap();
    let of = RevisitOf {
        record_id: full.response.id.0.clone(),
        target_uri: capture.url.to_string(),
        date: capture.started,
        payload_digest: full.payload_digest.clone(),
    };
    let rev = writer
        .write_revisit(&capture, RevisitProfile::IdenticalPayloadDigest, &of)
        .unwrap();
    assert_eq!(rev.payload_digest, full.payload_digest);
    let files = writer.finish().unwrap();
    let records = read_records(&files[0]).unwrap();
    let revisit = records
        .iter()
        .find(|r| r.record_type() == Some("revisit"))
        .unwrap();
    revisit.verify_digests().unwrap();
    assert_eq!(
        revisit.header("WARC-Profile"),
        Some("http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
    );
    assert_eq!(
        revisit.header("WARC-Refers-To"),
        Some(full.response.id.0.as_str())
    );
    assert_eq!(
        revisit.header("WARC-Refers-To-Target-URI"),
        Some("http://a.test/x")
    );
    assert_eq!(
        revisit.header("WARC-Refers-To-Date"),
        Some(warc_date(capture.started).as_str())
    );
    assert_eq!(
        revisit.header("WARC-Payload-Digest"),
        Some(full.payload_digest.as_str())
    );
    // The block is the (rewritten) head only: no body bytes.
    let block = String::from_utf8(revisit.block.clone()).unwrap();
    assert!(block.starts_with("HTTP/1.1 200 OK\r\n"), "{block}");
    assert!(block.ends_with("\r\n\r\n"));
    assert!(!block.contains("same"));
    assert!(!block.contains("\r\nTransfer-Encoding:"), "{block}");
    let request = records
        .iter()
        .filter(|r| r.record_type() == Some("request"))
        .nth(1)
        .unwrap();
    assert_eq!(
        request.header("WARC-Concurrent-To"),
        revisit.header("WARC-Record-ID")
    );
}
