//! End-to-end tests of the reading commands (`index`, `get`, `articles`, `verify`,
//! `stats`) on an archive written by a real crawl of the in-process news site, and on
//! hand-made files with revisits and damage.

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use glaneur::archive::index_archive;
use glaneur::read::{CdxjEntry, INDEX_FILE};
use glaneur::warc::{Compression, Record, sha1_digest};
use support::*;

const NEWS: &str = "news.test";
const N: u32 = 12;

fn article_url(i: u32) -> String {
    format!("http://{NEWS}/2024/05/article-numero-{i:04}/")
}

/// Crawls the test news site into `dir/archive` and returns that folder.
async fn crawled_archive(dir: &Path, compression: Compression) -> PathBuf {
    let server = TestServer::start(HashMap::from([(NEWS.to_string(), news_site(N))])).await;
    let mut s = settings(dir, &server, &[NEWS], &["http://news.test/"]);
    s.max_depth = Some(20);
    s.compression = compression;
    let summary = crawl(s).await;
    assert!(
        summary.articles >= u64::from(N),
        "articles: {}",
        summary.articles
    );
    dir.join("archive")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[tokio::test]
async fn index_get_articles_stats_on_a_crawled_archive() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = crawled_archive(tmp.path(), Compression::Zstd).await;

    // index: sorted, one line per response, incremental.
    let out = glaneur(&["index", s(&archive)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(archive.join(INDEX_FILE)).expect("index.cdxj");
    let lines: Vec<&str> = text.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "index is sorted bytewise");
    let responses = response_uris(&archive);
    assert_eq!(lines.len(), responses.len());
    for i in 1..=N {
        let key = format!("test,news)/2024/05/article-numero-{i:04} ");
        assert_eq!(
            lines.iter().filter(|l| l.starts_with(&key)).count(),
            1,
            "{key}"
        );
    }
    for l in &lines {
        let e = CdxjEntry::parse(l).expect("parsable line");
        assert_eq!(e.timestamp.len(), 14);
        assert!(e.filename.ends_with(".warc.zst"));
    }
    let again = index_archive(&archive).expect("index again");
    assert_eq!(again.files_indexed, 0);
    assert_eq!(again.total_lines, lines.len() as u64);

    // get: the body is the served page, byte for byte; the article is the extracted one.
    for i in [1, 7, N] {
        let out = glaneur(&["get", &article_url(i), "--archive", s(&archive), "--body"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let served = article_html(
            i,
            &format!("Titre de l'article {i}"),
            &[i + 1, i + 2]
                .into_iter()
                .filter(|r| *r <= N)
                .collect::<Vec<_>>(),
        );
        assert_eq!(out.stdout, served.as_bytes(), "body of article {i}");
    }
    let out = glaneur(&[
        "get",
        &article_url(3),
        "--archive",
        s(&archive),
        "--article",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let art: serde_json::Value = serde_json::from_slice(&out.stdout).expect("article JSON");
    assert_eq!(art["title"], "Titre de l'article 3");
    let out = glaneur(&[
        "get",
        &article_url(3),
        "--archive",
        s(&archive),
        "--headers",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/1.1 200"));
    let out = glaneur(&["get", "http://news.test/nowhere", "--archive", s(&archive)]);
    assert_eq!(out.status.code(), Some(1));
    let out = glaneur(&[
        "get",
        &article_url(3),
        "--archive",
        s(&archive),
        "--at",
        "soon",
    ]);
    assert_eq!(out.status.code(), Some(2), "bad --at is a usage error");

    // articles: one row per article, JSON Lines and CSV; filters.
    let out = glaneur(&["articles", "--archive", s(&archive)]);
    assert!(out.status.success());
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let article_rows: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|r| {
            r["url"]
                .as_str()
                .is_some_and(|u| u.contains("/article-numero-"))
        })
        .collect();
    assert_eq!(article_rows.len(), N as usize);
    let r = article_rows[0];
    for col in glaneur::read::articles::COLUMNS {
        assert!(r.get(col).is_some(), "column {col}");
    }
    assert_eq!(r["category"], "Cloud");
    assert!(r["warc_offset"].as_u64().is_some());
    let csv_path = tmp.path().join("a.csv");
    let out = glaneur(&[
        "articles",
        "--archive",
        s(&archive),
        "--format",
        "csv",
        "-o",
        s(&csv_path),
    ]);
    assert!(out.status.success());
    let mut rdr = csv::Reader::from_path(&csv_path).expect("csv");
    assert_eq!(
        rdr.headers().expect("header").iter().collect::<Vec<_>>(),
        glaneur::read::articles::COLUMNS
            .iter()
            .chain(glaneur::read::articles::METHOD_COLUMNS.iter())
            .copied()
            .collect::<Vec<_>>()
    );
    assert_eq!(rdr.records().count(), rows.len());
    let parquet_path = tmp.path().join("a.parquet");
    let out = glaneur(&[
        "articles",
        "--archive",
        s(&archive),
        "--format",
        "parquet",
        "-o",
        s(&parquet_path),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = read_parquet(std::fs::read(&parquet_path).expect("parquet file"));
    assert_eq!(
        table.iter().map(|r| r["url"].clone()).collect::<Vec<_>>(),
        rows.iter().map(|r| r["url"].clone()).collect::<Vec<_>>()
    );
    let out = glaneur(&[
        "articles",
        "--archive",
        s(&archive),
        "--grep",
        "ARTICLE 7 conclut",
    ]);
    let got = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(got, 1, "--grep keeps only article 7");
    let out = glaneur(&[
        "articles",
        "--archive",
        s(&archive),
        "--since",
        "2024-05-05",
        "--until",
        "2024-05-06",
    ]);
    // Article i is published on day (i % 28) + 1: days 5 and 6 are articles 4 and 5.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let out = glaneur(&["articles", "--archive", s(&archive), "--site", "other.test"]);
    assert!(out.stdout.is_empty());

    // stats
    let out = glaneur(&["stats", s(&archive), "--json"]);
    assert!(out.status.success());
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats JSON");
    assert_eq!(st["captures"].as_u64(), Some(responses.len() as u64));
    assert_eq!(st["by_host"][NEWS].as_u64(), Some(responses.len() as u64));
    assert!(
        st["by_status"]["200"]
            .as_u64()
            .is_some_and(|n| n >= u64::from(N))
    );
    assert!(st["first_capture"].is_string());

    // verify: intact.
    let out = glaneur(&["verify", s(&archive)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn a_closed_pipe_ends_quietly() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = crawled_archive(tmp.path(), Compression::Gzip).await;
    for format in ["jsonl", "csv", "parquet"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_glaneur"))
            .args(["articles", "--all-captures", "--archive", s(&archive)])
            .args(["--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before the command writes anything (as `| head -0` would).
        drop(child.stdout.take().expect("stdout"));
        let out = child.wait_with_output().expect("wait");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!String::from_utf8_lossy(&out.stderr).contains("Broken pipe"));
    }
}

#[tokio::test]
async fn verify_finds_flipped_bytes_and_cut_files_others_read_the_rest() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = crawled_archive(tmp.path(), Compression::Gzip).await;
    assert!(glaneur(&["index", s(&archive)]).status.success());
    let index = std::fs::read_to_string(archive.join(INDEX_FILE)).expect("index");
    let entry = index
        .lines()
        .map(|l| CdxjEntry::parse(l).expect("line"))
        .find(|e| e.url == article_url(5))
        .expect("article 5 indexed");
    let file = archive.join(&entry.filename);
    let before = glaneur(&["articles", "--archive", s(&archive)]).stdout;
    let rows_before = String::from_utf8_lossy(&before).lines().count();

    // Flip one byte in the middle of article 5's response member.
    let mut bytes = std::fs::read(&file).expect("read");
    let at = (entry.offset + entry.length / 2) as usize;
    bytes[at] ^= 0x40;
    std::fs::write(&file, &bytes).expect("write");
    let out = glaneur(&["verify", s(&archive), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("verify JSON");
    assert_eq!(v["ok"], false);
    let bad: Vec<&serde_json::Value> = v["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter(|r| !r["problems"].as_array().expect("problems").is_empty())
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["path"], s(&file));
    let p = &bad[0]["problems"][0];
    assert_eq!(p["offset"].as_u64(), Some(entry.offset));
    assert_eq!(
        p["indexed_url"],
        article_url(5).as_str(),
        "the record is named through the index"
    );
    // Every other command still reads the other records: all articles but none lost
    // except, at most, the damaged page's own.
    // By default a read command that skipped damaged records says so in its exit code;
    // --keep-going accepts the partial result.
    let strict = glaneur(&["articles", "--archive", s(&archive)]);
    assert_eq!(strict.status.code(), Some(1));
    let after = glaneur(&["articles", "--archive", s(&archive), "--keep-going"]);
    assert!(after.status.success());
    assert_eq!(
        String::from_utf8_lossy(&after.stdout).lines().count(),
        rows_before
    );
    let out = glaneur(&["get", &article_url(6), "--archive", s(&archive), "--body"]);
    assert!(out.status.success());
    bytes[at] ^= 0x40;
    std::fs::write(&file, &bytes).expect("restore");
    assert!(glaneur(&["verify", s(&archive)]).status.success());

    // Cut the file in the middle of article 5's record.
    let cut = entry.offset + entry.length / 2;
    bytes.truncate(cut as usize);
    std::fs::write(&file, &bytes).expect("cut");
    let out = glaneur(&["verify", s(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("truncated at offset"), "{text}");
    assert!(
        text.contains(&format!("truncate -s {} {}", entry.offset, s(&file))),
        "{text}"
    );
    // The suggested repair works.
    bytes.truncate(entry.offset as usize);
    std::fs::write(&file, &bytes).expect("repair");
    let out = glaneur(&["verify", s(&file)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The index drops the lost records of the changed file.
    assert!(glaneur(&["index", s(&archive)]).status.success());
    let index = std::fs::read_to_string(archive.join(INDEX_FILE)).expect("index");
    assert!(index.lines().all(|l| {
        CdxjEntry::parse(l).is_ok_and(|e| e.offset < entry.offset || e.filename != entry.filename)
    }));
}

fn record(headers: &[(&str, &str)], block: &[u8]) -> Record {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    h.push(("WARC-Block-Digest".into(), sha1_digest(block)));
    Record {
        version: "WARC/1.1".into(),
        headers: h,
        block: block.to_vec(),
    }
}

#[test]
fn get_resolves_revisits_and_verify_checks_digests_in_plain_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let url = "http://news.test/page";
    let body = b"<html>version one</html>";
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 24\r\n\r\n";
    let block = [&head[..], &body[..]].concat();
    let digest = sha1_digest(body);
    let response = record(
        &[
            ("WARC-Type", "response"),
            (
                "WARC-Record-ID",
                "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            ),
            ("WARC-Date", "2024-05-01T10:00:00Z"),
            ("WARC-Target-URI", url),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &digest),
        ],
        &block,
    );
    let revisit_head = b"HTTP/1.1 304 Not Modified\r\n\r\n";
    let revisit = record(
        &[
            ("WARC-Type", "revisit"),
            (
                "WARC-Record-ID",
                "<urn:uuid:00000000-0000-4000-8000-000000000002>",
            ),
            ("WARC-Date", "2024-06-01T10:00:00Z"),
            ("WARC-Target-URI", url),
            (
                "WARC-Profile",
                "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
            ),
            (
                "WARC-Refers-To",
                "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            ),
            ("WARC-Refers-To-Target-URI", url),
            ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &digest),
        ],
        revisit_head,
    );
    let mut file = response.to_bytes();
    file.extend(revisit.to_bytes());
    let path = dir.join("glaneur-20240501100000-00000-test.warc");
    std::fs::write(&path, &file).expect("write");
    // A file still being written is not indexed.
    std::fs::write(
        dir.join("glaneur-20240601100000-00001-test.warc.open"),
        b"WARC/1.1\r\n",
    )
    .expect("open file");

    let report = index_archive(dir).expect("index");
    assert_eq!(report.files_indexed, 1);
    assert_eq!(report.lines, 2);
    let out = glaneur(&["get", url, "--archive", s(dir), "--info"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["record_type"], "revisit");
    assert_eq!(v["revisit_of"]["timestamp"], "20240501100000");
    let out = glaneur(&["get", url, "--archive", s(dir), "--body"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, body);
    let out = glaneur(&[
        "get",
        url,
        "--archive",
        s(dir),
        "--at",
        "20240502",
        "--info",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["record_type"], "response");

    assert!(glaneur(&["verify", s(&path)]).status.success());
    // Change one byte of the body, keeping the framing: a digest mismatch.
    let at = file.windows(3).position(|w| w == b"one").expect("body");
    file[at] = b'0';
    std::fs::write(&path, &file).expect("write");
    let out = glaneur(&["verify", s(&path)]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "digest at offset 0 response record <urn:uuid:00000000-0000-4000-8000-000000000001>"
        ),
        "{text}"
    );
    assert!(text.contains("WARC-Block-Digest mismatch"), "{text}");
}

#[test]
fn zstd_dictionary_files_are_read_by_every_command() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let url = "http://news.test/dict";
    let body = b"<html>compressed with a dictionary</html>";
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let block = [head.as_bytes(), &body[..]].concat();
    let digest = sha1_digest(body);
    let response = record(
        &[
            ("WARC-Type", "response"),
            (
                "WARC-Record-ID",
                "<urn:uuid:00000000-0000-4000-8000-000000000003>",
            ),
            ("WARC-Date", "2024-05-01T10:00:00Z"),
            ("WARC-Target-URI", url),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &digest),
        ],
        &block,
    );
    let article =
        serde_json::json!({"url": url, "title": "Dico", "categories": ["Cloud"], "body": "texte"});
    let meta_block = serde_json::to_vec(&article).expect("json");
    let meta = record(
        &[
            ("WARC-Type", "metadata"),
            (
                "WARC-Record-ID",
                "<urn:uuid:00000000-0000-4000-8000-000000000004>",
            ),
            ("WARC-Date", "2024-05-01T10:00:01Z"),
            ("WARC-Target-URI", url),
            (
                "WARC-Refers-To",
                "<urn:uuid:00000000-0000-4000-8000-000000000003>",
            ),
            ("Content-Type", "application/json"),
        ],
        &meta_block,
    );
    // A raw-content dictionary, stored zstd-compressed in the skippable frame.
    let dict = b"WARC/1.1\r\nWARC-Type: response\r\nContent-Type: application/http;msgtype=response\r\nHTTP/1.1 200 OK\r\n<html>".repeat(4);
    let stored = zstd::encode_all(&dict[..], 3).expect("compress dict");
    let mut file = Vec::new();
    file.extend_from_slice(&0x184D_2A5Du32.to_le_bytes());
    file.extend_from_slice(&(stored.len() as u32).to_le_bytes());
    file.extend_from_slice(&stored);
    let mut c = zstd::bulk::Compressor::with_dictionary(3, &dict).expect("compressor");
    c.include_checksum(true).expect("checksum");
    for r in [&response, &meta] {
        file.extend(c.compress(&r.to_bytes()).expect("compress"));
    }
    let path = dir.join("glaneur-20240501100000-00000-dict.warc.zst");
    std::fs::write(&path, &file).expect("write");
    // Without the dictionary the frames do not decode.
    assert!(zstd::decode_all(&file[8 + stored.len()..]).is_err());

    let out = glaneur(&["verify", s(&path)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(2 records)"));
    let out = glaneur(&["get", url, "--archive", s(dir), "--body"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, body);
    let out = glaneur(&["get", url, "--archive", s(dir), "--article"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Dico"));
    let out = glaneur(&["articles", "--archive", s(dir), "--format", "csv"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Dico,,,Cloud"));
    let out = glaneur(&["stats", s(dir), "--json"]);
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats");
    assert_eq!(st["records"].as_u64(), Some(2));
}

fn plain_response(id: u32, url: &str, date: &str) -> Vec<u8> {
    let body = format!("<html>page {id}</html>");
    let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{body}");
    record(
        &[
            ("WARC-Type", "response"),
            (
                "WARC-Record-ID",
                &format!("<urn:uuid:00000000-0000-4000-8000-{id:012}>"),
            ),
            ("WARC-Date", date),
            ("WARC-Target-URI", url),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &sha1_digest(body.as_bytes())),
        ],
        block.as_bytes(),
    )
    .to_bytes()
}

#[test]
fn indexing_is_incremental_and_drops_removed_files() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let a = dir.join("a.warc");
    let b = dir.join("b.warc");
    let mut first = plain_response(1, "http://z.test/1", "2024-05-01T10:00:00Z");
    first.extend(plain_response(2, "http://a.test/2", "2024-05-01T10:00:01Z"));
    std::fs::write(&a, &first).expect("write a");
    let r = index_archive(dir).expect("index");
    assert_eq!((r.files_indexed, r.lines, r.total_lines), (1, 2, 2));

    std::fs::write(
        &b,
        plain_response(3, "http://m.test/3", "2024-05-02T10:00:00Z"),
    )
    .expect("write b");
    let r = index_archive(dir).expect("index");
    assert_eq!(
        (r.files_indexed, r.files_unchanged, r.total_lines),
        (1, 1, 3)
    );
    let text = std::fs::read_to_string(dir.join(INDEX_FILE)).expect("index");
    let keys: Vec<&str> = text
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(keys, ["test,a)/2", "test,m)/3", "test,z)/1"]);
    // Offsets and lengths delimit each record.
    for l in text.lines() {
        let e = CdxjEntry::parse(l).expect("line");
        let bytes = std::fs::read(dir.join(&e.filename)).expect("file");
        let slice = &bytes[e.offset as usize..(e.offset + e.length) as usize];
        assert!(slice.starts_with(b"WARC/1.1\r\n"));
        assert!(slice.ends_with(b"\r\n\r\n"));
        assert!(String::from_utf8_lossy(slice).contains(&e.url));
    }

    std::fs::remove_file(&a).expect("remove a");
    let r = index_archive(dir).expect("index");
    assert_eq!((r.files_removed, r.total_lines), (1, 1));
    // Another indexer at work: refused.
    let held = std::fs::File::create(dir.join(glaneur::archive::index::LOCK_FILE)).expect("lock");
    held.lock().expect("lock");
    assert!(matches!(
        index_archive(dir),
        Err(glaneur::read::ReadError::Busy(_))
    ));
    // Released (as by the death of its holder, however it dies): indexing goes on, and
    // the lock file left behind does not block it.
    drop(held);
    assert!(dir.join(glaneur::archive::index::LOCK_FILE).exists());
    // The temporary file of an indexer killed mid-write is removed by the next one.
    std::fs::write(dir.join("index.tmp-999999"), b"partial").expect("tmp");
    index_archive(dir).expect("index after the lock is released");
    assert!(!dir.join("index.tmp-999999").exists());
}

/// A response and the article metadata record referring to it, for article `i` captured
/// on `date`.
fn article_pair(i: u32, date: &str, serial: u32) -> [Vec<u8>; 2] {
    let url = format!("http://news.test/a/{i:03}");
    let response_id = format!("<urn:uuid:00000000-0000-4000-8000-{serial:012}>");
    let body = format!("<html>article {i}</html>");
    let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{body}");
    let response = record(
        &[
            ("WARC-Type", "response"),
            ("WARC-Record-ID", &response_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", &url),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &sha1_digest(body.as_bytes())),
        ],
        block.as_bytes(),
    );
    let published = if i.is_multiple_of(2) {
        format!("2024-05-{:02}T09:15:00+02:00", i % 28 + 1)
    } else {
        format!("2024-05-{:02}", i % 28 + 1)
    };
    let article = serde_json::json!({
        "url": url,
        "title": format!("Titre {i} ({date})"),
        "body": format!("Corps de l'article {i}."),
        "categories": ["Cloud", "IA"],
        "authors": ["Ada", "Linus"],
        "published": published,
        "language": "fr",
    });
    let meta = record(
        &[
            ("WARC-Type", "metadata"),
            (
                "WARC-Record-ID",
                &format!("<urn:uuid:00000000-0000-4000-9000-{serial:012}>"),
            ),
            ("WARC-Date", date),
            ("WARC-Target-URI", &url),
            ("WARC-Refers-To", &response_id),
            ("Content-Type", "application/json"),
        ],
        article.to_string().as_bytes(),
    );
    [response.to_bytes(), meta.to_bytes()]
}

/// One zstd frame per record.
fn zstd_file(records: &[Vec<u8>]) -> Vec<u8> {
    records
        .iter()
        .flat_map(|r| zstd::encode_all(&r[..], 3).expect("zstd"))
        .collect()
}

/// One gzip member per record.
fn gzip_file(records: &[Vec<u8>]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::new();
    for r in records {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(r).expect("gzip");
        out.extend(gz.finish().expect("gzip"));
    }
    out
}

#[test]
fn exports_stream_in_batches_latest_capture_first_and_parquet_matches_jsonl() {
    use glaneur::read::articles::{Export, Filter, Format};
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    // 40 articles in May (zstd), 10 of them again in June (gzip), 5 more in plain WARC.
    let may: Vec<Vec<u8>> = (0..40)
        .flat_map(|i| article_pair(i, "2024-05-01T10:00:00Z", i))
        .collect();
    let june: Vec<Vec<u8>> = (0..10)
        .flat_map(|i| article_pair(i, "2024-06-01T10:00:00Z", 100 + i))
        .collect();
    let plain: Vec<Vec<u8>> = (40..45)
        .flat_map(|i| article_pair(i, "2024-05-02T10:00:00Z", 200 + i))
        .collect();
    std::fs::write(dir.join("a.warc.zst"), zstd_file(&may)).expect("write");
    std::fs::write(dir.join("b.warc.gz"), gzip_file(&june)).expect("write");
    std::fs::write(dir.join("c.warc"), plain.concat()).expect("write");

    let export = Export::plan(dir, &Filter::default(), false).expect("plan");
    assert_eq!(export.len(), 45);
    assert_eq!(export.stats.articles, 55);
    let mut rows = Vec::new();
    for (batch, problems) in export.batches(8) {
        assert!(batch.len() <= 8);
        assert!(problems.is_empty(), "{problems:?}");
        rows.extend(batch);
    }
    let urls: Vec<String> = rows.iter().map(|r| r.url.clone()).collect();
    let want: Vec<String> = (0..45)
        .map(|i| format!("http://news.test/a/{i:03}"))
        .collect();
    assert_eq!(urls, want, "one row per URL, sorted");
    for r in &rows {
        let i: u32 = r.url[r.url.len() - 3..].parse().expect("number");
        let (file, month) = match i {
            0..10 => ("b.warc.gz", "06"),
            10..40 => ("a.warc.zst", "05"),
            _ => ("c.warc", "05"),
        };
        assert_eq!(
            (r.warc_file.as_str(), &r.captured_at.to_rfc3339()[5..7]),
            (file, month)
        );
        assert!(
            r.title
                .as_deref()
                .is_some_and(|t| t.contains(&format!("2024-{month}")))
        );
        assert_eq!(r.categories, ["Cloud", "IA"]);
        assert_eq!(r.category.as_deref(), Some("Cloud"));
        // warc_offset is the page's response record.
        let rec =
            glaneur::read::read_record_at(dir, &r.warc_file, r.warc_offset, 0).expect("record");
        assert_eq!(rec.record_type(), Some("response"));
        assert_eq!(rec.header("WARC-Target-URI"), Some(r.url.as_str()));
    }
    let all = Export::plan(dir, &Filter::default(), true).expect("plan");
    assert_eq!(all.len(), 55);

    // Parquet on standard output (a pipe: no seeking needed), same rows as JSON Lines.
    let out = glaneur(&["articles", "--archive", s(dir), "--format", "parquet"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jsonl = glaneur(&["articles", "--archive", s(dir)]);
    let json_rows: Vec<serde_json::Value> = String::from_utf8_lossy(&jsonl.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(json_rows.len(), 45);
    let table = read_parquet(out.stdout);
    assert_eq!(table.len(), 45);
    for (p, j) in table.iter().zip(&json_rows) {
        assert_eq!(p["url"], j["url"]);
        assert_eq!(p["title"], j["title"]);
        assert_eq!(p["authors"], j["authors"]);
        assert_eq!(p["categories"], j["categories"]);
        assert_eq!(p["warc_file"], j["warc_file"]);
        assert_eq!(p["warc_offset"], j["warc_offset"]);
        assert_eq!(p["published_text"], j["published"]);
        let captured =
            chrono::DateTime::parse_from_rfc3339(j["captured_at"].as_str().expect("date"))
                .expect("date");
        assert_eq!(p["captured_at"], captured.timestamp_micros());
        let published = j["published"].as_str().expect("published");
        let micros = p["published"].as_i64().expect("published timestamp");
        let day = chrono::DateTime::from_timestamp_micros(micros).expect("date");
        if published.len() == 10 {
            // A day alone: midnight UTC of that day.
            assert_eq!(day.to_rfc3339(), format!("{published}T00:00:00+00:00"));
        } else {
            let exact = chrono::DateTime::parse_from_rfc3339(published).expect("date");
            assert_eq!(micros, exact.timestamp_micros());
        }
    }

    // --output: the same bytes as on standard output; no temporary file left.
    let path = dir.join("out").join("articles.parquet");
    std::fs::create_dir_all(dir.join("out")).expect("mkdir");
    let out = glaneur(&[
        "articles",
        "--archive",
        s(dir),
        "--format",
        "parquet",
        "-o",
        s(&path),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(read_parquet(std::fs::read(&path).expect("file")), table);
    let names: Vec<_> = std::fs::read_dir(dir.join("out")).expect("dir").collect();
    assert_eq!(names.len(), 1, "only the export is left");

    // A file changed between the two passes: its articles are left out, with a reason.
    let export = Export::plan(dir, &Filter::default(), false).expect("plan");
    let mut shifted = plain_response(999, "http://news.test/other", "2024-05-03T10:00:00Z");
    shifted.extend(plain.concat());
    std::fs::write(dir.join("c.warc"), shifted).expect("rewrite");
    let report = export.write(Format::Jsonl, Vec::new()).expect("export");
    assert_eq!(report.rows, 40);
    assert_eq!(report.problems.len(), 5, "{:?}", report.problems);
    assert!(
        report.problems[0].contains("c.warc at offset"),
        "{:?}",
        report.problems
    );
}

/// The rows of a Parquet file as JSON objects (timestamps in microseconds, lists as
/// arrays), read with the `parquet` crate's Arrow reader; checks the column types.
fn read_parquet(bytes: Vec<u8>) -> Vec<serde_json::Value> {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Int64Type, TimestampMicrosecondType};
    use arrow_schema::{DataType, TimeUnit};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .expect("a Parquet file");
    let schema = builder.schema().clone();
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    for (name, want) in [
        ("url", DataType::Utf8),
        ("body", DataType::Utf8),
        ("published", ts.clone()),
        ("modified", ts.clone()),
        ("captured_at", ts),
        ("warc_offset", DataType::Int64),
    ] {
        let field = schema.field_with_name(name).expect(name);
        assert_eq!(field.data_type(), &want, "{name}");
    }
    for name in ["authors", "categories"] {
        let field = schema.field_with_name(name).expect(name);
        assert!(
            matches!(field.data_type(), DataType::List(item) if item.data_type() == &DataType::Utf8),
            "{name}: {:?}",
            field.data_type()
        );
    }
    let mut rows = Vec::new();
    for batch in builder.build().expect("reader") {
        let batch = batch.expect("batch");
        for i in 0..batch.num_rows() {
            let mut row = serde_json::Map::new();
            for (f, col) in schema.fields().iter().zip(batch.columns()) {
                let v = if col.is_null(i) {
                    serde_json::Value::Null
                } else {
                    match f.data_type() {
                        DataType::Utf8 => col.as_string::<i32>().value(i).into(),
                        DataType::Int64 => col.as_primitive::<Int64Type>().value(i).into(),
                        DataType::Timestamp(..) => col
                            .as_primitive::<TimestampMicrosecondType>()
                            .value(i)
                            .into(),
                        DataType::List(_) => {
                            let items = col.as_list::<i32>().value(i);
                            let items = items.as_string::<i32>();
                            (0..items.len())
                                .map(|k| serde_json::Value::from(items.value(k)))
                                .collect()
                        }
                        other => panic!("unexpected column type {other:?}"),
                    }
                };
                row.insert(f.name().clone(), v);
            }
            rows.push(serde_json::Value::Object(row));
        }
    }
    rows
}
