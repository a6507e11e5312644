//! Never lose an intact record, never let archived content exhaust the reader: one test
//! per finding of the robustness review of recovery, locking and bounded reading. Each is
//! named after the bug it pins and fails on the code before the fix.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use glaneur::capture::Capture;
use glaneur::read::{Item, Scan, verify::verify_file};
use glaneur::warc::{Dictionary, WarcReader, WarcWriter, WriterConfig};
use support::*;
use url::Url;

const NEWS: &str = "news.test";
const N: u32 = 30;

fn glaneur(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .args(args)
        .env("GLANEUR_LOG", "error")
        .output()
        .expect("run glaneur")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn article_url(i: u32) -> String {
    format!("http://{NEWS}/2024/05/article-numero-{i:04}/")
}

/// Every intact record of `dir`'s WARC files: (file name, offset, record id).
fn record_places(dir: &Path) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for file in warc_files(dir) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for item in Scan::open(&file).expect("open") {
            if let Item::Record { offset, record, .. } = item {
                let id = record.header("WARC-Record-ID").unwrap_or("").to_string();
                out.push((name.clone(), offset, id));
            }
        }
    }
    out
}

/// The file, offset and frame length of the response record for `url`.
fn response_frame(dir: &Path, url: &str) -> (PathBuf, u64, u64) {
    for file in warc_files(dir) {
        let mut reader = WarcReader::open(&file).expect("open");
        while let Some(Ok((offset, record))) = reader.next() {
            if record.record_type() == Some("response")
                && record.header("WARC-Target-URI") == Some(url)
            {
                let end = reader.clean_end().expect("one record per frame");
                return (file, offset, end - offset);
            }
        }
    }
    panic!("no response for {url}");
}

fn article_rows(archive: &Path) -> Vec<String> {
    let out = glaneur(&["articles", "--archive", s(archive)]);
    assert!(
        out.status.success(),
        "articles: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["url"].as_str().expect("url").to_string()
        })
        .collect()
}

/// Finding 1: a crawl killed with its file `.open`, one byte flipped in a response in the
/// middle of it: the next run used to cut the file at the damage (36 of 178 records kept)
/// and leave the state pointing at offsets that no longer existed.
#[tokio::test]
async fn recovery_keeps_every_intact_record_around_a_flipped_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(HashMap::from([(NEWS.to_string(), news_site(N))])).await;
    let mut settings = settings(tmp.path(), &server, &[NEWS], &["http://news.test/"]);
    settings.max_depth = Some(40);
    let first = crawl(settings.clone()).await;
    assert!(first.articles >= u64::from(N), "{}", first.articles);
    let archive = tmp.path().join("archive");
    let rows_before = article_rows(&archive);

    // As a kill leaves it: the file still `.open`, not in the index.
    let damaged_url = article_url(N / 2);
    let (file, offset, length) = response_frame(&archive, &damaged_url);
    let before: Vec<(String, u64, String)> = record_places(&archive);
    let open = PathBuf::from(format!("{}.open", file.display()));
    std::fs::rename(&file, &open).expect("rename");
    for index in ["index.cdxj", "metadata.cdxj", "index.manifest.json"] {
        let _ = std::fs::remove_file(archive.join(index));
    }
    let mut bytes = std::fs::read(&open).expect("read");
    bytes[(offset + length / 2) as usize] ^= 0x40;
    std::fs::write(&open, &bytes).expect("flip");

    let second = crawl(settings.clone()).await;
    assert_eq!(second.repaired_files, vec![file.clone()]);
    // The repair is an event of the run's summary (`--json`).
    let event = serde_json::to_value(&second).expect("summary JSON")["repairs"].clone();
    assert_eq!(
        event[0]["spans"][0]["offset"].as_u64(),
        Some(offset),
        "{event}"
    );
    assert_eq!(event[0]["spans"][0]["tail"], false, "{event}");

    // Every intact record is still there, at its offset.
    let after: HashSet<(String, u64, String)> = record_places(&archive).into_iter().collect();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    let lost: Vec<&(String, u64, String)> = before
        .iter()
        .filter(|place| !after.contains(*place))
        .collect();
    assert_eq!(
        lost.iter()
            .map(|(f, o, _)| (f.clone(), *o))
            .collect::<Vec<_>>(),
        vec![(name.clone(), offset)],
        "only the damaged record is gone"
    );
    // It was moved aside, described, and its page fetched again in full.
    let sidecar = std::fs::read(archive.join(format!("{name}.damaged"))).expect("sidecar");
    assert_eq!(sidecar.len() as u64, length);
    let report =
        std::fs::read_to_string(archive.join(format!("{name}.damaged.json"))).expect("report");
    assert!(
        report.contains(&format!("\"offset\": {offset}")),
        "{report}"
    );
    assert!(report.contains("\"reconciled\": true"), "{report}");
    let responses = all_records(&archive)
        .into_iter()
        .filter(|r| {
            r.record_type() == Some("response")
                && r.header("WARC-Target-URI") == Some(damaged_url.as_str())
        })
        .count();
    assert_eq!(responses, 1, "fetched again as a full response");

    // The state points only at records that exist.
    let frontier = glaneur::frontier::SqliteFrontier::open(&settings.state_path).expect("state");
    let places: HashSet<(String, u64, String)> = record_places(&archive).into_iter().collect();
    for uri in response_uris(&archive) {
        let url = Url::parse(&uri).expect("url");
        if let Some(c) = frontier.capture_of(&url).expect("capture") {
            assert!(
                places.contains(&(c.record.file.clone(), c.record.offset, c.record.id.clone())),
                "{uri} points at {}:{} which holds no such record",
                c.record.file,
                c.record.offset
            );
        }
    }
    drop(frontier);

    // verify passes; every article is there, once.
    let out = glaneur(&["verify", s(&archive)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut rows_after = article_rows(&archive);
    let mut rows_before = rows_before;
    rows_after.sort();
    rows_before.sort();
    assert_eq!(rows_after, rows_before);
}

/// Finding 2: two crawls on one archive folder with different state files: the second
/// renamed the first one's live `.open` file. Now it exits with code 3, naming the holder.
#[test]
fn a_second_crawl_on_the_same_archive_folder_is_refused_with_exit_3() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = tmp.path().join("archive");
    std::fs::create_dir(&archive).expect("archive");
    let live = archive.join("glaneur-20260101000000-00001.warc.zst.open");
    std::fs::write(&live, b"being written").expect("open file");
    let holder =
        glaneur::crawl::StateLock::acquire_with_archive(&tmp.path().join("first.sqlite"), &archive)
            .expect("first writer");
    std::fs::write(
        tmp.path().join("site.toml"),
        "name = \"site\"\nstart = [\"http://127.0.0.1:9/\"]\n",
    )
    .expect("profile");
    let out = Command::new(env!("CARGO_BIN_EXE_glaneur"))
        .current_dir(tmp.path())
        .env("GLANEUR_LOG", "error")
        .args([
            "crawl",
            "--seeds",
            "site.toml",
            "--archive",
            "archive",
            "--state",
            "second.sqlite",
            "--quiet",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains("first.sqlite"), "{err}");
    assert!(live.exists(), "the live file was not touched");
    drop(holder);
    // Released: the folder takes a writer again.
    let lock = glaneur::crawl::StateLock::acquire_with_archive(
        &tmp.path().join("second.sqlite"),
        &archive,
    );
    assert!(lock.is_ok(), "{lock:?}");
}

fn capture_with(url: &str, head: &str, encoding: Option<&str>, body: Vec<u8>) -> Capture {
    let mut headers = http::HeaderMap::new();
    if let Some(e) = encoding {
        headers.insert(http::header::CONTENT_ENCODING, e.parse().expect("header"));
    }
    Capture {
        url: Url::parse(url).expect("url"),
        started: chrono::Utc::now(),
        ip: None,
        request: b"GET / HTTP/1.1\r\nHost: bomb.test\r\n\r\n".to_vec(),
        status: 200,
        response_head: format!("{head}Content-Length: {}\r\n\r\n", body.len()).into_bytes(),
        headers,
        body: bytes::Bytes::from(body),
        truncated: None,
        elapsed: Duration::from_millis(1),
    }
}

/// `n` zero bytes, gzip-compressed (never held whole).
fn gzip_zeros(n: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        e.write_all(&chunk[..k]).expect("gzip");
        left -= k;
    }
    e.finish().expect("gzip")
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Finding 3: `get --body` and `serve`'s replay undid `Content-Encoding` without a cap:
/// a 1 MB gzip page inflating to 1 GiB took 3.3 GB per request; `gzip, gzip` inflated a
/// 6.8 KB body to 4 GiB. Now the one bounded decoder refuses past 32 MiB.
#[test]
fn get_body_of_a_gzip_bomb_is_refused_not_inflated() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let bomb = gzip_zeros(256 << 20);
    let double = gzip(&bomb);
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n";
    let head2 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip, gzip\r\n";
    let mut writer = WarcWriter::new(WriterConfig::new(tmp.path())).expect("writer");
    writer
        .write_capture(&capture_with(
            "http://bomb.test/a",
            head,
            Some("gzip"),
            bomb,
        ))
        .expect("write");
    writer
        .write_capture(&capture_with(
            "http://bomb.test/b",
            head2,
            Some("gzip, gzip"),
            double,
        ))
        .expect("write");
    writer.finish().expect("finish");
    for page in ["a", "b"] {
        let started = Instant::now();
        let out = glaneur(&[
            "get",
            &format!("http://bomb.test/{page}"),
            "--archive",
            s(tmp.path()),
            "--body",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{page}: {err}");
        assert!(err.contains("more than 32 MiB"), "{page}: {err}");
        assert!(out.stdout.is_empty());
        assert!(started.elapsed() < Duration::from_secs(20));
    }
}

/// Finding 4: a record header was trusted for memory: `Content-Length: 2000000000` made
/// every read command allocate 2 GB. A claimed length is checked against the bytes left
/// (plain files), and a block larger than 64 MiB is streamed past, never held.
#[test]
fn a_record_claiming_two_gigabytes_is_not_allocated() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // Plain: the claim is larger than the file.
    let plain = tmp.path().join("claim.warc");
    std::fs::write(
        &plain,
        b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 2000000000\r\n\r\nshort\r\n\r\n",
    )
    .expect("write");
    let started = Instant::now();
    let mut reader = WarcReader::open(&plain).expect("open");
    let err = reader.next().expect("an item").expect_err("refused");
    assert!(err.to_string().contains("bytes left"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // zstd: a real block of 80 MiB of zeros (a few KB compressed), then a small record.
    let zst = tmp.path().join("big.warc.zst");
    let mut out = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd");
    let big = 80u64 << 20;
    write!(
        out,
        "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: {big}\r\n\r\n"
    )
    .expect("w");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..80 {
        out.write_all(&zeros).expect("w");
    }
    out.write_all(b"\r\n\r\n").expect("w");
    let mut file = out.finish().expect("zstd");
    let small = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nok\r\n\r\n";
    file.extend(zstd::encode_all(&small[..], 3).expect("zstd"));
    std::fs::write(&zst, &file).expect("write");
    let items: Vec<Item> = Scan::open(&zst).expect("open").collect();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        matches!(&items[0], Item::Damage { message, resumed_at: Some(_), .. }
            if glaneur::warc::is_oversized_record(message)),
        "{:?}",
        items[0]
    );
    assert!(matches!(&items[1], Item::Record { record, .. } if record.block == b"ok"));
    // verify names it, and advises no truncation.
    let report = verify_file(&zst);
    assert_eq!(report.records, 1);
    assert!(!report.repair.unwrap_or_default().contains("truncate"));
}

/// Finding 5: resynchronisation read to the end of the file for every crafted header
/// claiming a huge length: 40,000 of them in a 2.4 MB `.warc` took `verify` 37 s.
#[test]
fn resynchronisation_past_40000_crafted_headers_is_linear() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("crafted.warc");
    let good = |body: &str| {
        format!(
            "WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
            body.len()
        )
    };
    let mut bytes = good("first").into_bytes();
    bytes.extend_from_slice(b"garbage\n");
    for _ in 0..40_000 {
        bytes.extend_from_slice(
            b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 999999999999\r\n\r\nxx\n",
        );
    }
    bytes.extend_from_slice(good("last").as_bytes());
    assert!(bytes.len() > 2_400_000, "{}", bytes.len());
    std::fs::write(&path, &bytes).expect("write");
    let started = Instant::now();
    let report = verify_file(&path);
    let took = started.elapsed();
    assert_eq!(report.records, 2, "{:?}", report.problems.first());
    assert!(took < Duration::from_secs(3), "verify took {took:?}");
}

/// A `.warc.zst` file written with a dictionary, and its records' ids.
/// `site` varies the pages, hence the dictionary trained on them.
fn dictionary_file(dir: &Path, site: &str) -> (PathBuf, Vec<String>) {
    let samples: Vec<Vec<u8>> = (0..40)
        .map(|i| {
            format!(
                "<html><head><style>{}</style></head><body><p>{site} page {i}</p></body></html>",
                format!(".{site}-menu {{ color: red; margin: 3px }}\n").repeat(40)
            )
            .into_bytes()
        })
        .collect();
    let dict = Dictionary::train(&samples, 8 * 1024).expect("dictionary");
    let mut writer = WarcWriter::new(WriterConfig::new(dir)).expect("writer");
    writer.use_dictionary(dict).expect("use");
    for (i, body) in samples.iter().enumerate() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n";
        writer
            .write_capture(&capture_with(
                &format!("http://dict.test/{i}"),
                head,
                None,
                body.clone(),
            ))
            .expect("write");
    }
    let files = writer.finish().expect("finish");
    let file = files
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with(".warc.zst"))
        .expect("a file");
    let ids = glaneur::warc::read_records(&file)
        .expect("read")
        .iter()
        .filter_map(|r| r.header("WARC-Record-ID").map(str::to_string))
        .collect();
    (file, ids)
}

/// Finding 6: one byte in the zstd dictionary frame made the whole file unreadable, and
/// `index`, `stats` and `articles` only warned and exited 0. Now the dictionary is read
/// from its copy in the archive folder; without a copy, read commands exit 1.
#[test]
fn one_flipped_byte_in_the_dictionary_frame_loses_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (file, ids) = dictionary_file(tmp.path(), "one");
    assert!(ids.len() > 80);
    let mut bytes = std::fs::read(&file).expect("read");
    assert_eq!(bytes[..4], 0x184D_2A5Du32.to_le_bytes());
    for at in [3usize, 6, 40] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        std::fs::write(&file, &damaged).expect("write");
        let read: Vec<String> = Scan::open(&file)
            .expect("open")
            .filter_map(|i| match i {
                Item::Record { record, .. } => record.header("WARC-Record-ID").map(str::to_string),
                _ => None,
            })
            .collect();
        assert_eq!(read, ids, "byte {at}: every record reads");
    }
    // Without the copy, the file is unreadable and read commands say so in their code.
    std::fs::remove_dir_all(tmp.path().join(glaneur::warc::DICTIONARY_COPIES_DIR))
        .expect("remove copies");
    bytes[40] ^= 0x10;
    std::fs::write(&file, &bytes).expect("write");
    for cmd in [
        vec!["index", s(tmp.path())],
        vec!["stats", s(tmp.path())],
        vec!["articles", "--archive", s(tmp.path())],
    ] {
        let out = glaneur(&cmd);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut keep = cmd.clone();
        keep.push("--keep-going");
        assert!(glaneur(&keep).status.success(), "{keep:?}");
    }
}

/// Finding 7: `verify` advised `truncate -s 0` through a symlink to a non-WARC file, and
/// truncations that would delete intact records (lost dictionary, two files joined).
#[test]
fn verify_advises_no_truncation_that_could_remove_an_intact_record() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let target = tmp.path().join("notes.txt");
    std::fs::write(&target, "not a WARC file at all\n").expect("write");
    let link = tmp.path().join("x.warc");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let advice = verify_file(&link).repair.unwrap_or_default();
    assert!(!advice.contains("truncate"), "{advice}");
    assert!(advice.contains("symbolic link"), "{advice}");

    let plain = tmp.path().join("plain.warc");
    std::fs::write(&plain, "not a WARC file either\n").expect("write");
    let advice = verify_file(&plain).repair.unwrap_or_default();
    assert!(!advice.contains("truncate"), "{advice}");

    // Two files with different dictionaries joined: the second file's records do not
    // decode with the first dictionary, but they are intact.
    let a = tempfile::tempdir().expect("a");
    let b = tempfile::tempdir().expect("b");
    let (fa, _) = dictionary_file(a.path(), "alpha");
    let (fb, _) = dictionary_file(b.path(), "beta");
    let mut joined = std::fs::read(&fa).expect("a");
    joined.extend(std::fs::read(&fb).expect("b"));
    let j = a.path().join("joined.warc.zst");
    std::fs::write(&j, &joined).expect("write");
    let report = verify_file(&j);
    assert!(!report.ok());
    let advice = report.repair.unwrap_or_default();
    assert!(!advice.contains("truncate"), "{advice}");

    // An empty WARC file is reported as such.
    let empty = tmp.path().join("empty.warc.gz");
    std::fs::write(&empty, b"").expect("write");
    let report = verify_file(&empty);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].kind, "empty");
}

/// Sends one raw HTTP/1.1 request with `host` and returns the status code.
fn status_for_host(addr: std::net::SocketAddr, host: &str, path: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Finding 8: `serve` answered any `Host`, so a page using DNS rebinding could read the
/// archive through the API. Now only the bound address, loopback names and
/// `--allow-host` names are answered; others get 421.
#[test]
fn serve_refuses_foreign_host_names_with_421() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = tmp.path().join("archive");
    std::fs::create_dir(&archive).expect("archive");
    let app = glaneur::serve::App::open(&glaneur::serve::ServeConfig {
        archive: archive.clone(),
        state_dir: Some(tmp.path().join("state")),
        verify: false,
    })
    .expect("app");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let stop = tokio_util::sync::CancellationToken::new();
    let stopped = stop.clone();
    runtime.spawn(async move {
        let _ = glaneur::serve::serve_for_hosts(
            app,
            listener,
            &["archive.lan".to_string()],
            async move { stopped.cancelled().await },
        )
        .await;
    });
    for host in [
        addr.to_string(),
        "localhost".into(),
        format!("localhost:{}", addr.port()),
        "archive.lan".into(),
    ] {
        assert_eq!(status_for_host(addr, &host, "/api/status"), 200, "{host}");
    }
    for host in ["evil.test", "evil.test:80", "127.0.0.1.evil.test"] {
        assert_eq!(status_for_host(addr, host, "/api/status"), 421, "{host}");
    }
    stop.cancel();
}

/// An app over `archive` (read completely) and its router.
pub(crate) fn served(archive: &Path, state: &Path) -> axum::Router {
    let app = glaneur::serve::App::open(&glaneur::serve::ServeConfig {
        archive: archive.to_path_buf(),
        state_dir: Some(state.to_path_buf()),
        verify: false,
    })
    .expect("app");
    app.refresh().expect("refresh");
    glaneur::serve::router(app)
}

pub(crate) async fn answer(router: &axum::Router, uri: &str) -> (u16, http::HeaderMap, String) {
    use tower::ServiceExt;
    let res = router
        .clone()
        .oneshot(
            http::Request::get(uri)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .expect("body");
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

/// Finding 9: a capture stored as `Content-Type: image/png, text/html` was replayed under
/// that type (rendered as HTML by browsers) with its scripts and live URLs left as they
/// were. HTML is always rewritten; other types only under one plain media type.
#[tokio::test]
async fn replay_of_a_capture_typed_image_and_html_is_rewritten_html() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = tmp.path().join("archive");
    let page = b"<html><body><script src=\"http://evil.test/x.js\"></script>\
                 <p>hello</p><a href=\"http://evil.test/live\">live</a></body></html>"
        .to_vec();
    let odd = b"\x00\x01binary".to_vec();
    let mut writer = WarcWriter::new(WriterConfig::new(&archive)).expect("writer");
    writer
        .write_capture(&capture_with(
            "http://odd.test/page",
            "HTTP/1.1 200 OK\r\nContent-Type: image/png, text/html\r\n",
            None,
            page,
        ))
        .expect("write");
    writer
        .write_capture(&capture_with(
            "http://odd.test/blob",
            "HTTP/1.1 200 OK\r\nContent-Type: image/png;;x, image/gif\r\n",
            None,
            odd,
        ))
        .expect("write");
    writer.finish().expect("finish");
    let router = served(&archive, &tmp.path().join("state"));
    let (status, headers, body) = answer(&router, "/replay/2030/http://odd.test/page").await;
    assert_eq!(status, 200, "{body}");
    let ct = headers[http::header::CONTENT_TYPE].to_str().expect("type");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(!body.contains("evil.test/x.js"), "{body}");
    assert!(!body.contains("href=\"http://evil.test/live\""), "{body}");
    assert!(body.contains("hello"));
    let (status, headers, _) = answer(&router, "/replay/2030/http://odd.test/blob").await;
    assert_eq!(status, 200);
    assert_eq!(
        headers[http::header::CONTENT_TYPE],
        "application/octet-stream"
    );
    assert_eq!(headers[http::header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

/// Finding 10: `/api/search?q=id:*` answered 500; client errors are 4xx.
#[tokio::test]
async fn search_for_an_id_wildcard_is_a_client_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let (file, _) = dictionary_file(tmp.path(), "search");
    let archive = file.parent().expect("folder").to_path_buf();
    let router = served(&archive, &tmp.path().join("state"));
    for q in ["id:*", "id:%2A"] {
        let (status, _, body) = answer(&router, &format!("/api/search?q={q}")).await;
        assert!((400..500).contains(&status), "{q}: {status} {body}");
    }
    let (status, _, _) = answer(&router, "/api/search?q=page").await;
    assert_eq!(status, 200);
}
