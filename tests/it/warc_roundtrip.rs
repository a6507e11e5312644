//! WARC writer/reader round trips for every compression: headers, digests, block bytes,
//! chunked and truncated responses, rotation, `.open` files, repair after a crash, and
//! reading a record from its offset alone.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use glaneur::capture::{Capture, Truncation};
use glaneur::warc::{
    Compression, Record, RecordLocation, WarcError, WarcReader, WarcWriter, WriterConfig,
    read_records, repair_open_files, sha1_digest,
};
use url::Url;

const ALL: [Compression; 3] = [Compression::Zstd, Compression::Gzip, Compression::None];

fn capture(url: &str, head: &str, body: &[u8], truncated: Option<Truncation>) -> Capture {
    let url = Url::parse(url).unwrap();
    let request = format!(
        "GET {} HTTP/1.1\r\nhost: {}\r\n\r\n",
        url.path(),
        url.host_str().unwrap()
    )
    .into_bytes();
    Capture {
        url,
        started: Utc.with_ymd_and_hms(2026, 11, 28, 23, 59, 58).unwrap(),
        ip: Some(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        request,
        status: head[9..12].parse().unwrap(),
        response_head: head.replace('\n', "\r\n").into_bytes(),
        headers: http::HeaderMap::new(),
        body: Bytes::copy_from_slice(body),
        truncated,
        elapsed: Duration::from_millis(5),
    }
}

fn config(dir: &Path, compression: Compression) -> WriterConfig {
    let mut c = WriterConfig::new(dir);
    c.compression = compression;
    c.warcinfo = vec![("robots".into(), "obey\r\ninjected: no".into())];
    c
}

/// A body with some structure (compressible) and some noise.
fn body(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 3 == 0 {
                (x & 0xff) as u8
            } else {
                b"lorem ipsum "[i % 12]
            }
        })
        .collect()
}

fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn round_trip_for_each_compression() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let html = body(50_000, 1);
        let cap = capture(
            "https://www.example.com/a b?x=1",
            &format!(
                "HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: {}\n\n",
                html.len()
            ),
            &html,
            None,
        );
        let mut w = WarcWriter::new(config(dir.path(), comp)).unwrap();
        let loc = w.write_capture(&cap).unwrap();
        let meta = w
            .write_metadata(
                cap.url.as_str(),
                &loc.response.id,
                cap.started,
                "application/json",
                b"{\"a\":1}",
            )
            .unwrap();
        let files = w.finish().unwrap();
        assert_eq!(files.len(), 1);
        let name = files[0].file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(loc.response.file, name);
        assert!(
            name.starts_with("glaneur-") && name.ends_with(comp.extension()),
            "{name}"
        );
        let parts: Vec<&str> = name.split('-').collect();
        assert_eq!(parts[1].len(), 14, "{name}");
        assert_eq!(parts[2], "00000", "{name}");

        let recs: Vec<(u64, Record)> = WarcReader::open(&files[0])
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(recs.len(), 4);
        let types: Vec<&str> = recs.iter().map(|(_, r)| r.record_type().unwrap()).collect();
        assert_eq!(types, ["warcinfo", "request", "response", "metadata"]);
        for (_, r) in &recs {
            assert_eq!(r.version, "WARC/1.1");
            r.verify_digests().unwrap();
            assert_eq!(
                r.header("Content-Length").unwrap(),
                r.block.len().to_string()
            );
            assert!(
                r.header("WARC-Record-ID")
                    .unwrap()
                    .starts_with("<urn:uuid:")
            );
        }
        let info = &recs[0].1;
        let info_id = info.header("WARC-Record-ID").unwrap();
        assert_eq!(info.header("Content-Type"), Some("application/warc-fields"));
        assert_eq!(info.header("WARC-Filename"), Some(name.as_str()));
        let text = String::from_utf8(info.block.clone()).unwrap();
        assert!(
            text.starts_with(&format!(
                "software: glaneur/{}\r\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
        assert!(text.contains("format: WARC File Format 1.1\r\n"));
        assert!(text.contains("conformsTo: http://iipc.github.io/warc-specifications/"));
        assert!(
            text.contains("\r\nrobots: obey  injected: no\r\n"),
            "{text}"
        );
        assert!(info.header("WARC-Warcinfo-ID").is_none());

        let (req, resp, md) = (&recs[1].1, &recs[2].1, &recs[3].1);
        for r in [req, resp, md] {
            assert_eq!(r.header("WARC-Warcinfo-ID"), Some(info_id));
            assert_eq!(
                r.header("WARC-Target-URI"),
                Some("https://www.example.com/a%20b?x=1")
            );
            assert_eq!(r.header("WARC-Date"), Some("2026-11-28T23:59:58Z"));
        }
        assert_eq!(req.header("WARC-IP-Address"), Some("::1"));
        assert_eq!(
            req.header("Content-Type"),
            Some("application/http;msgtype=request")
        );
        assert_eq!(
            resp.header("Content-Type"),
            Some("application/http;msgtype=response")
        );
        assert_eq!(
            req.header("WARC-Concurrent-To"),
            resp.header("WARC-Record-ID")
        );
        assert_eq!(
            resp.header("WARC-Concurrent-To"),
            req.header("WARC-Record-ID")
        );
        assert_eq!(req.block, cap.request);
        let mut want = cap.response_head.clone();
        want.extend_from_slice(&html);
        assert_eq!(resp.block, want);
        assert_eq!(
            resp.header("WARC-Payload-Digest"),
            Some(sha1_digest(&html).as_str())
        );
        assert_eq!(loc.payload_digest, sha1_digest(&html));
        assert!(resp.header("WARC-Truncated").is_none());
        assert_eq!(
            md.header("WARC-Refers-To"),
            Some(loc.response.id.0.as_str())
        );
        assert_eq!(md.header("Content-Type"), Some("application/json"));
        assert_eq!(md.block, b"{\"a\":1}");
        assert!(md.header("WARC-Payload-Digest").is_none());

        // offsets reported by the writer are those the reader sees
        assert_eq!(recs[0].0, 0);
        assert_eq!(recs[1].0, loc.request.offset);
        assert_eq!(recs[2].0, loc.response.offset);
        assert_eq!(recs[3].0, meta.offset);
        assert_eq!(loc.request.offset + loc.request.length, loc.response.offset);
        assert_eq!(
            meta.offset + meta.length,
            std::fs::metadata(&files[0]).unwrap().len()
        );
        if comp != Compression::None {
            assert!(
                loc.response.length < html.len() as u64,
                "{comp:?} did not compress"
            );
        }
    }
}

#[test]
fn zstd_frames_carry_content_size_and_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = WarcWriter::new(config(dir.path(), Compression::Zstd)).unwrap();
    let loc = w
        .write_capture(&capture(
            "http://h/",
            "HTTP/1.1 200 OK\nContent-Length: 3\n\n",
            b"abc",
            None,
        ))
        .unwrap();
    let files = w.finish().unwrap();
    let data = std::fs::read(&files[0]).unwrap();
    for l in [&loc.request, &loc.response] {
        let frame = &data[l.offset as usize..(l.offset + l.length) as usize];
        assert_eq!(&frame[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
        let fhd = frame[4];
        assert_ne!(
            fhd >> 6 | (fhd >> 5 & 1),
            0,
            "frame content size flag not set"
        );
        assert_eq!(fhd >> 2 & 1, 1, "checksum flag not set");
        let size = zstd::zstd_safe::get_frame_content_size(frame)
            .unwrap()
            .unwrap();
        let plain = zstd::decode_all(frame).unwrap();
        assert_eq!(size, plain.len() as u64);
        assert_eq!(
            zstd::zstd_safe::find_frame_compressed_size(frame).unwrap(),
            frame.len()
        );
    }
}

#[test]
fn chunked_response_header_is_renamed_and_body_stored_dechunked() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let b = body(10_000, 2);
        let cap = capture(
            "http://www.example.com/feed",
            "HTTP/1.1 200 OK\nContent-Type: application/rss+xml\ntransfer-encoding:  chunked\nX-Other: 1\n\n",
            &b,
            None,
        );
        let mut w = WarcWriter::new(config(dir.path(), comp)).unwrap();
        w.write_capture(&cap).unwrap();
        let files = w.finish().unwrap();
        let recs = read_records(&files[0]).unwrap();
        let resp = &recs[2];
        let head = resp.http_head().unwrap();
        assert_eq!(
            head,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nX-Glaneur-Orig-Transfer-Encoding:  chunked\r\nX-Other: 1\r\n\r\n"
        );
        assert_eq!(&resp.block[head.len()..], &b[..]);
        assert_eq!(
            resp.header("WARC-Payload-Digest"),
            Some(sha1_digest(&b).as_str())
        );
        assert_eq!(resp.payload().unwrap().as_ref(), &b[..]);
        resp.verify_digests().unwrap();
    }
}

#[test]
fn truncated_response_is_marked_and_validates() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let b = body(3000, 3);
        let cap = capture(
            "http://www.example.com/big",
            "HTTP/1.1 200 OK\nContent-Length: 900000\nContent-Type: text/plain\n\n",
            &b,
            Some(Truncation::Length),
        );
        let mut w = WarcWriter::new(config(dir.path(), comp)).unwrap();
        let loc = w.write_capture(&cap).unwrap();
        let files = w.finish().unwrap();
        let recs = read_records(&files[0]).unwrap();
        let resp = &recs[2];
        assert_eq!(resp.header("WARC-Truncated"), Some("length"));
        assert_eq!(
            resp.http_head().unwrap(),
            b"HTTP/1.1 200 OK\r\nX-Glaneur-Orig-Content-Length: 900000\r\nContent-Type: text/plain\r\n\r\n"
        );
        assert_eq!(loc.payload_digest, sha1_digest(&b));
        resp.verify_digests().unwrap();
        assert!(recs[1].header("WARC-Truncated").is_none());
    }
    // A truncated body whose Content-Length still matches (cut by time exactly at the end)
    // keeps its header.
    let dir = tempfile::tempdir().unwrap();
    let cap = capture(
        "http://h/",
        "HTTP/1.1 200 OK\nContent-Length: 3\n\n",
        b"abc",
        Some(Truncation::Time),
    );
    let mut w = WarcWriter::new(config(dir.path(), Compression::None)).unwrap();
    w.write_capture(&cap).unwrap();
    let recs = read_records(&w.finish().unwrap()[0]).unwrap();
    assert_eq!(recs[2].header("WARC-Truncated"), Some("time"));
    assert!(
        recs[2]
            .block
            .starts_with(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n")
    );
}

#[test]
fn open_suffix_while_writing_then_renamed() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::new(config(dir.path(), comp)).unwrap();
        assert!(w.current_path().is_none());
        assert!(
            warc_files(dir.path()).is_empty(),
            "file created before the first write"
        );
        let loc = w
            .write_capture(&capture(
                "http://h/",
                "HTTP/1.1 404 Not Found\n\n",
                b"",
                None,
            ))
            .unwrap();
        let open = w.current_path().unwrap().to_path_buf();
        assert!(
            open.to_str()
                .unwrap()
                .ends_with(&format!("{}.open", comp.extension()))
        );
        assert_eq!(warc_files(dir.path()), vec![open.clone()]);
        // flushed: the records are readable from the .open file already
        let recs = read_records(&open).unwrap();
        assert_eq!(recs.len(), 3);
        w.flush().unwrap();
        let files = w.finish().unwrap();
        assert_eq!(warc_files(dir.path()), files);
        assert_eq!(
            files[0].file_name().unwrap().to_str().unwrap(),
            loc.request.file
        );
        assert!(!open.exists());
    }
}

#[test]
fn dropping_the_writer_closes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut w = WarcWriter::new(config(dir.path(), Compression::Zstd)).unwrap();
        w.write_capture(&capture("http://h/", "HTTP/1.1 200 OK\n\n", b"x", None))
            .unwrap();
    }
    let files = warc_files(dir.path());
    assert_eq!(files.len(), 1);
    assert!(files[0].to_str().unwrap().ends_with(".warc.zst"));
    assert_eq!(read_records(&files[0]).unwrap().len(), 3);
}

#[test]
fn rotation_keeps_pairs_together_and_starts_each_file_with_warcinfo() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let mut c = config(dir.path(), comp);
        c.max_file_bytes = 20_000;
        let mut w = WarcWriter::new(c).unwrap();
        let mut locs = Vec::new();
        for i in 0..12 {
            let b = body(8_000, i);
            let cap = capture(&format!("http://h/{i}"), "HTTP/1.1 200 OK\n\n", &b, None);
            locs.push(w.write_capture(&cap).unwrap());
        }
        let files = w.finish().unwrap();
        assert!(files.len() >= 3, "{comp:?}: {} files", files.len());
        assert_eq!(warc_files(dir.path()), {
            let mut f = files.clone();
            f.sort();
            f
        });
        let mut serials: Vec<String> = files
            .iter()
            .map(|f| {
                f.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .split('-')
                    .nth(2)
                    .unwrap()
                    .to_string()
            })
            .collect();
        serials.dedup();
        assert_eq!(serials.len(), files.len(), "serials not distinct");
        let mut seen = 0;
        for f in &files {
            let recs = read_records(f).unwrap();
            assert_eq!(recs[0].record_type(), Some("warcinfo"));
            let info_id = recs[0].header("WARC-Record-ID").unwrap();
            let ids: HashMap<&str, &Record> = recs
                .iter()
                .map(|r| (r.header("WARC-Record-ID").unwrap(), r))
                .collect();
            for r in &recs[1..] {
                assert_eq!(r.header("WARC-Warcinfo-ID"), Some(info_id));
                let other = ids
                    .get(r.header("WARC-Concurrent-To").unwrap())
                    .expect("pair split across files");
                assert_eq!(
                    other.header("WARC-Concurrent-To"),
                    r.header("WARC-Record-ID")
                );
                r.verify_digests().unwrap();
            }
            seen += recs.len() - 1;
            // only the last capture of a file may push it past the limit
            let len = std::fs::metadata(f).unwrap().len();
            let name = f.file_name().unwrap().to_str().unwrap();
            let last = locs.iter().rev().find(|l| l.response.file == name).unwrap();
            assert!(
                last.request.offset < 20_000,
                "{comp:?}: wrote into a full file"
            );
            assert_eq!(last.response.offset + last.response.length, len);
        }
        assert_eq!(seen, 24);
    }
}

fn write_sample(dir: &Path, comp: Compression, n: u32) -> (PathBuf, Vec<RecordLocation>) {
    let mut w = WarcWriter::new(config(dir, comp)).unwrap();
    let mut locs = Vec::new();
    for i in 0..n {
        let b = body(2_000 + 3_000 * i as usize, i);
        let cap = capture(
            &format!("http://h/{i}"),
            "HTTP/1.1 200 OK\nContent-Type: text/plain\n\n",
            &b,
            None,
        );
        let l = w.write_capture(&cap).unwrap();
        locs.push(l.request);
        locs.push(l.response);
    }
    let files = w.finish().unwrap();
    (files[0].clone(), locs)
}

#[test]
fn each_record_reads_from_its_offset_alone() {
    for comp in ALL {
        let dir = tempfile::tempdir().unwrap();
        let (file, locs) = write_sample(dir.path(), comp, 4);
        let data = std::fs::read(&file).unwrap();
        let offsets: Vec<u64> = WarcReader::open(&file)
            .unwrap()
            .map(|r| r.unwrap().0)
            .collect();
        assert_eq!(offsets.len(), 9);
        assert_eq!(
            &offsets[1..],
            &locs.iter().map(|l| l.offset).collect::<Vec<_>>()[..]
        );
        for l in &locs {
            let piece = dir.path().join(format!("piece{}", comp.extension()));
            std::fs::write(
                &piece,
                &data[l.offset as usize..(l.offset + l.length) as usize],
            )
            .unwrap();
            let recs = read_records(&piece).unwrap();
            assert_eq!(recs.len(), 1, "{comp:?} at {}", l.offset);
            assert_eq!(recs[0].id().unwrap(), l.id);
            recs[0].verify_digests().unwrap();
        }
    }
}

#[test]
fn repair_cuts_after_the_last_complete_record() {
    for comp in ALL {
        let src = tempfile::tempdir().unwrap();
        let (file, locs) = write_sample(src.path(), comp, 3);
        let data = std::fs::read(&file).unwrap();
        let ends: Vec<u64> = std::iter::once(locs[0].offset)
            .chain(locs.iter().map(|l| l.offset + l.length))
            .collect();
        let mut cuts: Vec<u64> = vec![1, 5, ends[0] - 1, ends[0], ends[0] + 1];
        for l in &locs {
            cuts.extend([
                l.offset + 1,
                l.offset + l.length / 2,
                l.offset + l.length - 1,
                l.offset + l.length,
            ]);
        }
        cuts.push(data.len() as u64);
        for cut in cuts {
            let dir = tempfile::tempdir().unwrap();
            let name = format!("{}.open", file.file_name().unwrap().to_str().unwrap());
            std::fs::write(dir.path().join(&name), &data[..cut as usize]).unwrap();
            let repaired = repair_open_files(dir.path()).unwrap();
            let good = ends
                .iter()
                .copied()
                .filter(|&e| e <= cut)
                .max()
                .unwrap_or(0);
            if good == 0 {
                assert!(repaired.is_empty(), "{comp:?} cut {cut}");
                let left = warc_files(dir.path());
                assert_eq!(left.len(), 1);
                assert!(left[0].to_str().unwrap().ends_with(".corrupt"), "{left:?}");
                continue;
            }
            assert_eq!(
                repaired,
                vec![dir.path().join(file.file_name().unwrap())],
                "{comp:?} cut {cut}"
            );
            // The cut tail is kept aside, in a `.damaged` sidecar described by a report.
            let sidecar = PathBuf::from(format!("{}.damaged", repaired[0].display()));
            let report = PathBuf::from(format!("{}.damaged.json", repaired[0].display()));
            let mut expected = repaired.clone();
            if good < cut {
                expected.extend([sidecar.clone(), report]);
                assert_eq!(
                    std::fs::read(&sidecar).unwrap(),
                    &data[good as usize..cut as usize],
                    "{comp:?} cut {cut}"
                );
            }
            assert_eq!(warc_files(dir.path()), expected);
            assert_eq!(
                std::fs::metadata(&repaired[0]).unwrap().len(),
                good,
                "{comp:?} cut {cut}"
            );
            let recs = read_records(&repaired[0]).unwrap();
            let want = 1 + locs.iter().filter(|l| l.offset + l.length <= cut).count();
            assert_eq!(recs.len(), want, "{comp:?} cut {cut}");
            for r in &recs {
                r.verify_digests().unwrap();
            }
        }
    }
}

#[test]
fn repair_removes_empty_files_and_leaves_closed_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x-00000-h.warc.zst.open"), b"").unwrap();
    std::fs::write(dir.path().join("y.warc.gz"), b"not touched").unwrap();
    std::fs::write(
        dir.path().join("z.warc.open"),
        b"garbage, not a WARC record\r\n",
    )
    .unwrap();
    let repaired = repair_open_files(dir.path()).unwrap();
    assert!(repaired.is_empty());
    let names: Vec<String> = warc_files(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["y.warc.gz", "z.warc.corrupt"]);
}

#[test]
fn corruption_is_reported_with_the_frame_offset() {
    for comp in [Compression::Zstd, Compression::Gzip] {
        let dir = tempfile::tempdir().unwrap();
        let (file, locs) = write_sample(dir.path(), comp, 3);
        let mut data = std::fs::read(&file).unwrap();
        let victim = &locs[3]; // second response
        let i = (victim.offset + victim.length / 2) as usize;
        data[i] ^= 0x55;
        data[i + 1] ^= 0xaa;
        std::fs::write(&file, &data).unwrap();
        let results: Vec<_> = WarcReader::open(&file).unwrap().collect();
        let err = results
            .iter()
            .find_map(|r| r.as_ref().err())
            .expect("corruption not detected");
        match err {
            WarcError::Malformed { offset, .. } => {
                assert_eq!(*offset, victim.offset, "{comp:?}: {err}")
            }
            other => panic!("{other}"),
        }
        assert!(
            results.last().unwrap().is_err(),
            "reader went on after an error"
        );
    }
    // plain: a wrong Content-Length is caught by the missing CRLF CRLF
    let dir = tempfile::tempdir().unwrap();
    let (file, locs) = write_sample(dir.path(), Compression::None, 2);
    let text = std::fs::read(&file).unwrap();
    let at = locs[1].offset as usize;
    let rec = String::from_utf8_lossy(&text[at..at + 600]).to_string();
    let cl = rec.find("Content-Length: ").unwrap() + at + 16;
    let mut data = text.clone();
    data[cl] = if data[cl] == b'9' { b'8' } else { data[cl] + 1 };
    std::fs::write(&file, &data).unwrap();
    let err = WarcReader::open(&file)
        .unwrap()
        .find_map(|r| r.err())
        .unwrap();
    assert!(
        matches!(err, WarcError::Malformed { offset, .. } if offset == locs[1].offset),
        "{err}"
    );
}

#[test]
fn capture_metadata_is_dated_after_the_response_second() {
    let dir = tempfile::tempdir().unwrap();
    let mut cap = capture("http://h/a", "HTTP/1.1 200 OK\n\n", b"page", None);
    cap.started =
        Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::milliseconds(999);
    cap.elapsed = Duration::from_millis(2);
    let mut w = WarcWriter::new(config(dir.path(), Compression::Gzip)).unwrap();
    let loc = w.write_capture(&cap).unwrap();
    let md = w
        .write_capture_metadata(&cap, &loc.response.id, "application/json", b"{}")
        .unwrap();
    let files = w.finish().unwrap();
    let recs = read_records(&files[0]).unwrap();
    assert_eq!(recs[2].header("WARC-Date"), Some("2026-01-02T03:04:05Z"));
    let m = &recs[3];
    assert_eq!(m.id().unwrap(), md.id);
    assert_eq!(m.header("WARC-Date"), Some("2026-01-02T03:04:07Z"));
    assert_eq!(m.header("WARC-Target-URI"), Some("http://h/a"));
    assert_eq!(m.header("WARC-Refers-To"), Some(loc.response.id.0.as_str()));
}

/// Found by the `warc_reader` fuzz target: a header line without a colon whose first 60
/// bytes end inside a multi-byte character made the error message slice a `str` mid-char.
#[test]
fn malformed_header_with_multibyte_text_is_an_error_not_a_panic() {
    let crasher: &[u8] = b"\xa8\x57\x41\x52\x43\x2f\x00\x00\x00\x02\x00\x04\x00\x00\x00\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x5d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\x4d\xff\xe8\xc7\x31\x00\x00\x0a";
    let dir = tempfile::tempdir().expect("temp dir");
    let kind = crasher[0] % 3;
    let name = ["f.warc", "f.warc.gz", "f.warc.zst"][kind as usize];
    let path = dir.path().join(name);
    std::fs::write(&path, &crasher[1..]).expect("write");
    if let Ok(reader) = glaneur::warc::WarcReader::open(&path) {
        for item in reader.take(100) {
            if item.is_err() {
                break;
            }
        }
    }
    let line = "WARC/1.1\r\nWARC-Type: response\r\n\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x\u{e9}\u{e9}\r\n\r\n";
    let path = dir.path().join("g.warc");
    std::fs::write(&path, line).expect("write");
    let mut reader = glaneur::warc::WarcReader::open(&path).expect("open");
    let first = reader.next().expect("one item");
    let error = first.expect_err("malformed header");
    assert!(error.to_string().contains("without colon"), "{error}");
}
