//! `glaneur wacz` and `glaneur convert` on an archive written by a real crawl of the
//! in-process news site (and on hand-made files with revisits and damage): the package's
//! ZIP entries, gzip members, record bytes, checksums, index and page list; conversion
//! round trips.

use crate::support;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use glaneur::warc::{Compression, Record, sha1_digest, zstd_dictionary};
use sha2::{Digest, Sha256};
use support::*;

const NEWS: &str = "news.test";
const N: u32 = 12;

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "glaneur failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

async fn crawled_archive(dir: &Path) -> PathBuf {
    let server = TestServer::start(HashMap::from([(NEWS.to_string(), news_site(N))])).await;
    let mut settings = settings(dir, &server, &[NEWS], &["http://news.test/"]);
    settings.max_depth = Some(20);
    settings.compression = Compression::Zstd;
    let summary = crawl(settings).await;
    assert!(
        summary.articles >= u64::from(N),
        "articles: {}",
        summary.articles
    );
    dir.join("archive")
}

/// The decompressed bytes of a whole WARC file (every record, in order), decoded
/// independently of glaneur's readers: zstd (with the file's dictionary) or gzip.
fn decoded(path: &Path) -> Vec<u8> {
    let file = std::fs::File::open(path).expect("open");
    let mut out = Vec::new();
    let name = path.to_string_lossy();
    if name.ends_with(".zst") {
        let dict = zstd_dictionary(path)
            .expect("dictionary")
            .unwrap_or_default();
        zstd::stream::read::Decoder::with_dictionary(std::io::BufReader::new(file), &dict)
            .expect("decoder")
            .read_to_end(&mut out)
            .expect("zstd");
    } else {
        flate2::read::MultiGzDecoder::new(file)
            .read_to_end(&mut out)
            .expect("gunzip");
    }
    out
}

/// Splits gzip data into members; each must decode to exactly one whole record.
/// Returns (offset, length, record bytes) per member.
fn gzip_members(data: &[u8]) -> Vec<(u64, u64, Vec<u8>)> {
    let mut members = Vec::new();
    let mut pos = 0usize;
    while pos < data.len() {
        let mut decoder = flate2::bufread::GzDecoder::new(&data[pos..]);
        let mut record = Vec::new();
        decoder.read_to_end(&mut record).expect("gzip member");
        let used = data.len() - pos - decoder.into_inner().len();
        assert_eq!(
            one_record_len(&record),
            record.len(),
            "one record per member at {pos}"
        );
        members.push((pos as u64, used as u64, record));
        pos += used;
    }
    members
}

/// The length of the first record in `bytes` (header + Content-Length + 4).
fn one_record_len(bytes: &[u8]) -> usize {
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end")
        + 4;
    let head = String::from_utf8_lossy(&bytes[..end]);
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length:"))
        .expect("Content-Length")
        .trim()
        .parse()
        .expect("number");
    end + length + 4
}

fn header<'a>(record: &'a [u8], name: &str) -> Option<&'a str> {
    let end = record.windows(4).position(|w| w == b"\r\n\r\n")?;
    std::str::from_utf8(&record[..end])
        .ok()?
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
}

struct Package {
    entries: HashMap<String, (zip::CompressionMethod, Vec<u8>)>,
}

fn open_package(path: &Path) -> Package {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).expect("open wacz")).expect("zip");
    let mut entries = HashMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).expect("entry");
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read entry");
        let name = entry.name().expect("entry name").to_string();
        entries.insert(name, (entry.compression(), data));
    }
    Package { entries }
}

fn hex_sha256(data: &[u8]) -> String {
    format!(
        "sha256:{}",
        data_encoding::HEXLOWER.encode(&Sha256::digest(data))
    )
}

#[tokio::test]
async fn wacz_of_a_crawl_holds_every_record_indexed_listed_and_hashed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = crawled_archive(tmp.path()).await;
    let wacz = tmp.path().join("news.wacz");
    ok(&glaneur(&[
        "wacz",
        s(&archive),
        "--output",
        s(&wacz),
        "--title",
        "Test News",
    ]));
    let package = open_package(&wacz);

    // datapackage.json: every other file, with its size and SHA-256.
    let (_, dp) = &package.entries["datapackage.json"];
    let dp_json: serde_json::Value = serde_json::from_slice(dp).expect("datapackage.json");
    assert_eq!(dp_json["wacz_version"], "1.1.1");
    assert_eq!(dp_json["title"], "Test News");
    assert!(
        dp_json["software"]
            .as_str()
            .expect("software")
            .starts_with("glaneur ")
    );
    assert!(dp_json["created"].as_str().expect("created").ends_with('Z'));
    let resources = dp_json["resources"].as_array().expect("resources");
    assert_eq!(resources.len(), package.entries.len() - 2);
    for r in resources {
        let path = r["path"].as_str().expect("path");
        let (_, data) = &package.entries[path];
        assert_eq!(r["hash"], hex_sha256(data), "{path}");
        assert_eq!(r["bytes"], data.len() as u64, "{path}");
    }
    let (_, digest) = &package.entries["datapackage-digest.json"];
    let digest: serde_json::Value = serde_json::from_slice(digest).expect("digest json");
    assert_eq!(digest["hash"], hex_sha256(dp));

    // archive/: stored, one gzip member per record, the source records byte for byte.
    let sources = warc_files(&archive);
    let mut members_by_file = HashMap::new();
    for source in &sources {
        let name = source.file_name().and_then(|n| n.to_str()).expect("name");
        let gz_name = name.replace(".warc.zst", ".warc.gz");
        let (method, data) = &package.entries[&format!("archive/{gz_name}")];
        assert_eq!(
            *method,
            zip::CompressionMethod::Stored,
            "{gz_name} must be stored"
        );
        let members = gzip_members(data);
        let joined: Vec<u8> = members.iter().flat_map(|m| m.2.clone()).collect();
        assert!(
            joined == decoded(source),
            "{gz_name}: records differ from the source"
        );
        members_by_file.insert(gz_name, members);
    }
    assert_eq!(members_by_file.len(), sources.len());

    // The index: sorted, each line pointing at its record; no metadata records.
    let (_, index) = &package.entries["indexes/index.cdx"];
    let index = String::from_utf8(index.clone()).expect("utf-8 index");
    let lines: Vec<&str> = index.lines().collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "index sorted");
    let mut indexed_urls = HashSet::new();
    for line in &lines {
        let json: serde_json::Value =
            serde_json::from_str(line.splitn(3, ' ').nth(2).expect("json")).expect("cdxj json");
        let file = json["filename"].as_str().expect("filename");
        let offset: u64 = json["offset"].as_str().expect("offset").parse().expect("n");
        let length: u64 = json["length"].as_str().expect("length").parse().expect("n");
        let member = members_by_file[file]
            .iter()
            .find(|m| m.0 == offset)
            .unwrap_or_else(|| panic!("no member at {offset} in {file}"));
        assert_eq!(member.1, length);
        let rtype = header(&member.2, "WARC-Type").expect("type");
        assert!(matches!(rtype, "response" | "revisit"), "indexed {rtype}");
        assert_eq!(header(&member.2, "WARC-Target-URI"), json["url"].as_str());
        indexed_urls.insert(json["url"].as_str().expect("url").to_string());
    }

    // pages.jsonl: the header, then every article once, with its title.
    let (_, pages) = &package.entries["pages/pages.jsonl"];
    let pages: Vec<serde_json::Value> = String::from_utf8(pages.clone())
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    assert_eq!(pages[0]["format"], "json-pages-1.0");
    assert_eq!(pages[0]["title"], "Test News");
    let mut seen = HashSet::new();
    for p in &pages[1..] {
        let url = p["url"].as_str().expect("url");
        assert!(seen.insert(url.to_string()), "{url} listed twice");
        assert!(indexed_urls.contains(url), "{url} listed but not indexed");
        assert!(p["ts"].as_str().is_some_and(|t| t.ends_with('Z')));
        assert!(p["id"].as_str().is_some_and(|i| !i.is_empty()));
    }
    for i in 1..=N {
        let url = format!("http://{NEWS}/2024/05/article-numero-{i:04}/");
        let page = pages[1..]
            .iter()
            .find(|p| p["url"] == url.as_str())
            .unwrap_or_else(|| panic!("{url} not in pages.jsonl"));
        assert_eq!(page["title"], format!("Titre de l'article {i}"));
        assert!(
            page["text"]
                .as_str()
                .is_some_and(|t| t.contains(&format!("article {i}")))
        );
    }
    assert_eq!(pages.len() - 1, N as usize, "only article pages are listed");

    // An existing package is never overwritten.
    let before = std::fs::read(&wacz).expect("read");
    let again = glaneur(&["wacz", s(&archive), "--output", s(&wacz)]);
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(std::fs::read(&wacz).expect("read"), before);
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

fn response(id: u32, url: &str, date: &str, body: &[u8]) -> Record {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
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
            ("WARC-Payload-Digest", &sha1_digest(body)),
        ],
        &[head.as_bytes(), body].concat(),
    )
}

#[test]
fn filters_keep_revisits_with_the_captures_they_refer_to() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("archive");
    std::fs::create_dir(&dir).expect("mkdir");
    let body = b"<html><title>One</title>version one</html>";
    let original = response(1, "http://news.test/page", "2024-05-01T10:00:00Z", body);
    let other_site = response(2, "http://other.test/", "2024-06-01T10:00:00Z", b"other");
    let old = response(3, "http://news.test/old", "2024-05-01T11:00:00Z", b"old");
    let revisit = record(
        &[
            ("WARC-Type", "revisit"),
            (
                "WARC-Record-ID",
                "<urn:uuid:00000000-0000-4000-8000-000000000004>",
            ),
            ("WARC-Date", "2024-06-01T10:00:00Z"),
            ("WARC-Target-URI", "http://www.news.test/page"),
            (
                "WARC-Profile",
                "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest",
            ),
            (
                "WARC-Refers-To",
                "<urn:uuid:00000000-0000-4000-8000-000000000001>",
            ),
            ("WARC-Refers-To-Target-URI", "http://news.test/page"),
            ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", &sha1_digest(body)),
        ],
        b"HTTP/1.1 200 OK\r\n\r\n",
    );
    let first: Vec<u8> = [original.to_bytes(), old.to_bytes()].concat();
    let second: Vec<u8> = [other_site.to_bytes(), revisit.to_bytes()].concat();
    std::fs::write(dir.join("a-1.warc"), &first).expect("write");
    std::fs::write(dir.join("a-2.warc"), &second).expect("write");

    let wacz = tmp.path().join("june.wacz");
    ok(&glaneur(&[
        "wacz",
        s(&dir),
        "--output",
        s(&wacz),
        "--site",
        "news.test",
        "--from",
        "2024-06-01",
    ]));
    let package = open_package(&wacz);
    let ids: Vec<String> = package
        .entries
        .iter()
        .filter(|(name, _)| name.starts_with("archive/"))
        .flat_map(|(_, (_, data))| gzip_members(data))
        .filter_map(|m| header(&m.2, "WARC-Record-ID").map(str::to_string))
        .collect();
    let ids: HashSet<&str> = ids.iter().map(|i| &i[i.len() - 3..i.len() - 1]).collect();
    assert_eq!(
        ids,
        HashSet::from(["01", "04"]),
        "the revisit and its original only"
    );
    let index = String::from_utf8(package.entries["indexes/index.cdx"].1.clone()).expect("utf-8");
    assert_eq!(index.lines().count(), 2, "{index}");
    assert!(index.contains("warc/revisit"));

    // Bad arguments are usage errors; nothing is written.
    let bad = tmp.path().join("bad.wacz");
    let out = glaneur(&["wacz", s(&dir), "--output", s(&bad), "--from", "2024-13-01"]);
    assert_eq!(out.status.code(), Some(2));
    let out = glaneur(&[
        "wacz",
        s(&dir),
        "--output",
        s(&bad),
        "--from",
        "2024-06-02",
        "--to",
        "2024-06-01",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!bad.exists());
}

/// A `304 Not Modified` revisit as an incremental crawl writes it: the 304 head as block,
/// the payload digest of the capture it confirms.
fn not_modified(id: u32, url: &str, date: &str, refers_to: u32, digest: &str) -> Record {
    record(
        &[
            ("WARC-Type", "revisit"),
            (
                "WARC-Record-ID",
                &format!("<urn:uuid:00000000-0000-4000-8000-{id:012}>"),
            ),
            ("WARC-Date", date),
            ("WARC-Target-URI", url),
            (
                "WARC-Profile",
                "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
            ),
            (
                "WARC-Refers-To",
                &format!("<urn:uuid:00000000-0000-4000-8000-{refers_to:012}>"),
            ),
            ("WARC-Refers-To-Target-URI", url),
            ("WARC-Refers-To-Date", "2024-05-01T10:00:00Z"),
            ("Content-Type", "application/http;msgtype=response"),
            ("WARC-Payload-Digest", digest),
        ],
        b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n",
    )
}

/// pywb and ReplayWeb.page replay a server-not-modified revisit as an empty 304 (and
/// ReplayWeb.page refuses an index line that names another record): its line is left out
/// of the index, so both replay the capture it confirms; the record stays in the package.
#[test]
fn server_not_modified_revisits_stay_out_of_the_index() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("archive");
    std::fs::create_dir(&dir).expect("mkdir");
    let body = b"<html><title>One</title>version one</html>";
    let original = response(1, "http://news.test/page", "2024-05-01T10:00:00Z", body);
    let confirmed = not_modified(
        2,
        "http://news.test/page",
        "2024-06-01T10:00:00Z",
        1,
        &sha1_digest(body),
    );
    let orphan = not_modified(
        3,
        "http://news.test/gone",
        "2024-06-01T10:00:01Z",
        99,
        &sha1_digest(b"lost"),
    );
    std::fs::write(dir.join("a-1.warc"), original.to_bytes()).expect("write");
    let second: Vec<u8> = [confirmed.to_bytes(), orphan.to_bytes()].concat();
    std::fs::write(dir.join("a-2.warc"), &second).expect("write");

    let wacz = tmp.path().join("two-runs.wacz");
    let out = glaneur(&["wacz", s(&dir), "--output", s(&wacz), "--json"]);
    ok(&out);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["records"], 3, "every record is packaged: {report}");
    assert_eq!(report["not_modified_unindexed"], 2, "{report}");
    assert_eq!(report["index_lines"], 1, "{report}");
    let package = open_package(&wacz);
    let index = String::from_utf8(package.entries["indexes/index.cdx"].1.clone()).expect("utf-8");
    let lines: Vec<&str> = index.lines().collect();
    assert_eq!(lines.len(), 1, "{index}");
    assert!(
        lines[0].starts_with("test,news)/page 20240501100000 ")
            && lines[0].contains(r#""mime":"text/html","status":"200""#),
        "{index}"
    );
    // The revisits are in the package, byte for byte.
    let members = gzip_members(&package.entries["archive/a-2.warc.gz"].1);
    let records: Vec<&[u8]> = members.iter().map(|m| m.2.as_slice()).collect();
    assert_eq!(
        records,
        [
            confirmed.to_bytes().as_slice(),
            orphan.to_bytes().as_slice()
        ]
    );
}

#[tokio::test]
async fn convert_round_trip_keeps_every_record_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let archive = crawled_archive(tmp.path()).await;
    let gz_dir = tmp.path().join("gz");
    ok(&glaneur(&[
        "convert",
        s(&archive),
        "--to",
        "gzip",
        "--output",
        s(&gz_dir),
    ]));
    let sources = warc_files(&archive);
    for source in &sources {
        let name = source.file_name().and_then(|n| n.to_str()).expect("name");
        let gz = gz_dir.join(name.replace(".warc.zst", ".warc.gz"));
        let members = gzip_members(&std::fs::read(&gz).expect("converted file"));
        let joined: Vec<u8> = members.into_iter().flat_map(|m| m.2).collect();
        assert!(
            joined == decoded(source),
            "{}: records differ",
            gz.display()
        );
    }

    // Back to zstd with a dictionary (trained, as gzip files carry none).
    let zst_dir = tmp.path().join("zst");
    ok(&glaneur(&[
        "convert",
        s(&gz_dir),
        "--to",
        "zstd",
        "--output",
        s(&zst_dir),
    ]));
    for source in &sources {
        let name = source.file_name().and_then(|n| n.to_str()).expect("name");
        let back = zst_dir.join(name);
        assert!(
            decoded(&back) == decoded(source),
            "{name}: round trip differs"
        );
        let records = read_records_of(&back);
        assert!(records.iter().all(|r| r.verify_digests().is_ok()));
    }
    let with_dict = warc_files(&zst_dir)
        .iter()
        .filter(|f| zstd_dictionary(f).ok().flatten().is_some())
        .count();
    assert!(with_dict >= 1, "the largest file gets a trained dictionary");

    // Existing outputs are refused and left alone; a damaged source leaves nothing behind.
    let out = glaneur(&[
        "convert",
        s(&gz_dir),
        "--to",
        "zstd",
        "--output",
        s(&zst_dir),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
    let damaged_dir = tmp.path().join("damaged");
    std::fs::create_dir(&damaged_dir).expect("mkdir");
    let plain = decoded(&sources[0]);
    std::fs::write(damaged_dir.join("cut.warc"), &plain[..plain.len() - 10]).expect("write");
    let out_dir = tmp.path().join("out");
    let out = glaneur(&[
        "convert",
        s(&damaged_dir),
        "--to",
        "gzip",
        "--output",
        s(&out_dir),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut.warc"));
    assert_eq!(std::fs::read_dir(&out_dir).expect("out dir").count(), 0);
}

fn read_records_of(path: &Path) -> Vec<Record> {
    glaneur::warc::read_records(path).expect("readable")
}
