//! Writes a small, realistic set of WARC records for the conformance check:
//! an HTML 200 with a gzip `Content-Encoding` body, a chunked response, a 301 redirect,
//! a 404, a truncated response and a JSON metadata record.
//!
//! ```text
//! cargo run --example warc_sample -- OUTDIR [zstd|gzip|none]
//! bash ../shared/warc/warc-conformance.sh OUTDIR
//! ```

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use glaneur::capture::{Capture, Truncation};
use glaneur::warc::{Compression, WarcWriter, WriterConfig};
use url::Url;

fn request(url: &Url) -> Vec<u8> {
    format!(
        "GET {} HTTP/1.1\r\nhost: {}\r\nuser-agent: glaneur/0.1 (+https://example.org/contact)\r\naccept: */*\r\naccept-encoding: gzip, br\r\n\r\n",
        &url[url::Position::BeforePath..],
        url.host_str().unwrap_or("localhost")
    )
    .into_bytes()
}

fn capture(
    url: &str,
    second: u32,
    status: u16,
    head: &str,
    body: Vec<u8>,
    truncated: Option<Truncation>,
) -> Result<Capture, Box<dyn std::error::Error>> {
    let url = Url::parse(url)?;
    let response_head = head.replace('\n', "\r\n").into_bytes();
    let mut headers = http::HeaderMap::new();
    for line in head.lines().skip(1) {
        if let Some((n, v)) = line.split_once(':') {
            headers.append(
                http::header::HeaderName::from_bytes(n.trim().as_bytes())?,
                http::HeaderValue::from_str(v.trim())?,
            );
        }
    }
    Ok(Capture {
        request: request(&url),
        url,
        started: Utc
            .with_ymd_and_hms(2026, 11, 28, 12, 0, second)
            .single()
            .ok_or("bad date")?,
        ip: Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10))),
        status,
        response_head,
        headers,
        body: Bytes::from(body),
        truncated,
        elapsed: Duration::from_millis(120),
    })
}

/// A body that itself ends with CRLF CRLF, like the record trailer.
const MOVED: &[u8] = b"<html><body>Moved <a href=\"/\">here</a>.</body></html>\r\n\r\n";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: warc_sample OUTDIR [zstd|gzip|none]")?,
    );
    let compression = match args.next().as_deref() {
        None | Some("zstd") => Compression::Zstd,
        Some("gzip") => Compression::Gzip,
        Some("none") => Compression::None,
        Some(other) => return Err(format!("unknown compression {other}").into()),
    };

    let html = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Cloud : un article</title></head>\
                <body><h1 class=\"entry-title\">Cloud : un article</h1><div class=\"entry-content\"><p>Texte de l'article, accentué.</p>\
                <h3>À lire aussi</h3><ul><li><a href=\"/autre-article-123457.html\">Autre</a></li></ul></div></body></html>\n"
        .repeat(20);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(html.as_bytes())?;
    let gz_body = gz.finish()?;

    let chunked_body =
        b"{\"items\":[1,2,3],\"note\":\"served with chunked transfer coding\"}\n".repeat(50);
    let big_body: Vec<u8> = (0..40_000u32)
        .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789\n"[(i % 37) as usize])
        .collect();

    let captures = vec![
        capture(
            "https://www.example.com/cloud-un-article-123456.html",
            1,
            200,
            &format!(
                "HTTP/1.1 200 OK\nDate: Sat, 28 Nov 2026 12:00:01 GMT\nContent-Type: text/html; charset=UTF-8\nContent-Encoding: gzip\nVary: Accept-Encoding\nContent-Length: {}\n\n",
                gz_body.len()
            ),
            gz_body,
            None,
        )?,
        capture(
            "https://www.example.com/api/items.json",
            2,
            200,
            "HTTP/1.1 200 OK\nDate: Sat, 28 Nov 2026 12:00:02 GMT\nContent-Type: application/json\nTransfer-Encoding: chunked\n\n",
            chunked_body,
            None,
        )?,
        capture(
            "http://www.example.com/old-page",
            3,
            301,
            &format!(
                "HTTP/1.1 301 Moved Permanently\nLocation: https://www.example.com/cloud-un-article-123456.html\nContent-Type: text/html\nContent-Length: {}\n\n",
                MOVED.len()
            ),
            MOVED.to_vec(),
            None,
        )?,
        capture(
            "https://www.example.com/missing",
            4,
            404,
            "HTTP/1.1 404 Not Found\nContent-Type: text/html; charset=utf-8\nContent-Length: 22\n\n",
            b"<h1>Not Found</h1>\n\n\n\n".to_vec(),
            None,
        )?,
        capture(
            "https://www.example.com/big-file.txt",
            5,
            200,
            "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 100000\n\n",
            big_body,
            Some(Truncation::Length),
        )?,
    ];

    let mut config = WriterConfig::new(&out);
    config.compression = compression;
    config.warcinfo = vec![
        ("robots".into(), "obey".into()),
        ("requests-per-second".into(), "1.0".into()),
    ];
    let mut writer = WarcWriter::new(config)?;
    let mut first = None;
    for c in &captures {
        let loc = writer.write_capture(c)?;
        first.get_or_insert(loc);
    }
    let first = first.ok_or("no capture written")?;
    let meta = serde_json::json!({
        "title": "Cloud : un article",
        "category": "Cloud",
        "published": "2026-11-27T08:00:00Z",
        "related": ["https://www.example.com/autre-article-123457.html"],
    });
    writer.write_capture_metadata(
        &captures[0],
        &first.response.id,
        "application/json",
        serde_json::to_string_pretty(&meta)?.as_bytes(),
    )?;
    for f in writer.finish()? {
        println!("{}", f.display());
    }
    Ok(())
}
