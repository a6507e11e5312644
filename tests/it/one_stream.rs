//! WARC files compressed as ONE gzip member or ONE zstd frame (as `gzip file.warc` or
//! `zstd file.warc` write them, and some tools do), not one per record: every command
//! reads, indexes and looks up all their records (issue 16, finding 10).

use crate::support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use glaneur::read::{CdxjEntry, INDEX_FILE, METADATA_INDEX_FILE};
use glaneur::warc::Compression;
use support::*;

const NEWS: &str = "news.test";
const N: u32 = 12;

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The uncompressed WARC files of a crawl of the news site.
async fn plain_archive(dir: &Path) -> Vec<PathBuf> {
    let server = TestServer::start(HashMap::from([(NEWS.to_string(), news_site(N))])).await;
    let mut settings = settings(dir, &server, &[NEWS], &["http://news.test/"]);
    settings.max_depth = Some(20);
    settings.compression = Compression::None;
    let summary = crawl(settings).await;
    assert!(summary.articles >= u64::from(N), "{}", summary.articles);
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("archive"))
        .expect("archive")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".warc"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// `gzip -c FILE` (the real tool): one member for the whole file.
fn gzip_whole(file: &Path) -> Vec<u8> {
    let out = Command::new("gzip")
        .args(["-c", "-6", s(file)])
        .output()
        .expect("gzip (Debian's gzip package) runs");
    assert!(out.status.success());
    out.stdout
}

/// One zstd frame for the whole file, as `zstd FILE` writes it.
fn zstd_whole(file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).expect("read");
    let one = zstd::encode_all(&bytes[..], 3).expect("zstd");
    // One frame: nothing after the first frame's end.
    let frame = zstd::zstd_safe::find_frame_compressed_size(&one).expect("a frame");
    assert_eq!(frame, one.len(), "one frame");
    one
}

/// Copies the files of `plain` into `dir`, each compressed by `squeeze` as one stream.
fn one_stream_archive(dir: &Path, plain: &[PathBuf], ext: &str, squeeze: fn(&Path) -> Vec<u8>) {
    std::fs::create_dir_all(dir).expect("dir");
    for f in plain {
        let name = f.file_name().expect("name").to_string_lossy();
        std::fs::write(dir.join(format!("{name}.{ext}")), squeeze(f)).expect("write");
    }
}

/// The index lines without their file names and places, sorted.
fn index_keys(dir: &Path, index: &str) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join(index)).expect("index");
    let mut keys: Vec<String> = text
        .lines()
        .map(|l| {
            let e = CdxjEntry::parse(l).expect("line");
            format!("{} {} {:?} {:?}", e.key, e.timestamp, e.status, e.digest)
        })
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn files_compressed_as_one_stream_are_read_indexed_and_looked_up() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plain = plain_archive(tmp.path()).await;
    let plain_dir = tmp.path().join("archive");
    ok(&glaneur(&["index", s(&plain_dir)]), "index plain");
    assert!(index_keys(&plain_dir, INDEX_FILE).len() > N as usize);
    let plain_verified = ok(&glaneur(&["verify", s(&plain_dir)]), "verify plain");
    let plain_articles = ok(
        &glaneur(&["articles", "--archive", s(&plain_dir)]),
        "articles plain",
    );

    type Squeeze = fn(&Path) -> Vec<u8>;
    let kinds: [(&str, Squeeze); 2] = [("gz", gzip_whole), ("zst", zstd_whole)];
    for (ext, squeeze) in kinds {
        let dir = tmp.path().join(format!("one-{ext}"));
        one_stream_archive(&dir, &plain, ext, squeeze);

        let counts = |text: &str| -> Vec<String> {
            let mut c: Vec<String> = text
                .lines()
                .filter_map(|l| Some(l.rsplit_once(" (")?.1.to_string()))
                .collect();
            c.sort();
            c
        };
        let verified = ok(&glaneur(&["verify", s(&dir)]), "verify");
        assert!(verified.starts_with("OK"), "{verified}");
        assert_eq!(counts(&verified), counts(&plain_verified), "{verified}");

        // Every capture and metadata record indexed, as in the plain files.
        ok(&glaneur(&["index", s(&dir)]), &format!("index .{ext}"));
        for index in [INDEX_FILE, METADATA_INDEX_FILE] {
            assert_eq!(
                index_keys(&dir, index),
                index_keys(&plain_dir, index),
                "{index} of the .{ext} files"
            );
        }

        // Every article exported, the same rows as from the plain files.
        let articles = ok(&glaneur(&["articles", "--archive", s(&dir)]), "articles");
        let titles = |text: &str| {
            let mut t: Vec<String> = text
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).expect("row");
                    format!("{} {} {}", v["url"], v["title"], v["body"])
                })
                .collect();
            t.sort();
            t
        };
        assert_eq!(titles(&articles).len(), N as usize, ".{ext}");
        assert_eq!(titles(&articles), titles(&plain_articles), ".{ext}");
        article_places_read_back(&dir, &articles, ext);

        // Each article page and its extracted article, looked up through the index.
        for i in 1..=N {
            let url = format!("http://{NEWS}/2024/05/article-numero-{i:04}/");
            for what in ["--body", "--article"] {
                let one = ok(&glaneur(&["get", &url, "--archive", s(&dir), what]), &url);
                let base = ok(
                    &glaneur(&["get", &url, "--archive", s(&plain_dir), what]),
                    &url,
                );
                assert_eq!(one, base, "{what} of {url} in the .{ext} files");
            }
        }

        // serve: each capture and article read at its place in the stream.
        let router = crate::robust::served(&dir, &tmp.path().join(format!("state-{ext}")));
        for i in [1, N / 2, N] {
            let url = format!("http://{NEWS}/2024/05/article-numero-{i:04}/");
            let (status, _, body) =
                crate::robust::answer(&router, &format!("/api/capture?url={url}")).await;
            assert_eq!(status, 200, "{body}");
            let view: serde_json::Value = serde_json::from_str(&body).expect("capture JSON");
            let target = view["warc_headers"]
                .as_array()
                .expect("headers")
                .iter()
                .find(|h| h[0] == "WARC-Target-URI")
                .map(|h| h[1].clone());
            assert_eq!(target, Some(serde_json::Value::from(url.clone())), ".{ext}");
            let id = glaneur::archive::scan::article_id(&url);
            let (status, _, body) =
                crate::robust::answer(&router, &format!("/api/articles/{id}")).await;
            assert_eq!(status, 200, "{body}");
            let view: serde_json::Value = serde_json::from_str(&body).expect("article JSON");
            assert_eq!(view["article"]["url"], url.as_str(), ".{ext}");
            assert!(
                view["article"]["body"]
                    .as_str()
                    .is_some_and(|b| !b.is_empty()),
                "{body}"
            );
        }
    }
}

/// Each article row of one-stream files names its page's response record by
/// (`warc_offset`, `warc_inner_offset`): every record is in the stream at offset 0, so
/// the inner offsets tell them apart, the record read there is the page's response, and
/// `get --info` finds the same place through the index.
fn article_places_read_back(dir: &Path, articles: &str, ext: &str) {
    let mut places = std::collections::HashSet::new();
    for line in articles.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("row");
        let url = row["url"].as_str().expect("url");
        let file = row["warc_file"].as_str().expect("warc_file");
        let offset = row["warc_offset"].as_u64().expect("warc_offset");
        let inner = row["warc_inner_offset"]
            .as_u64()
            .expect("warc_inner_offset");
        assert_eq!(offset, 0, ".{ext}: one stream, one member/frame: {line}");
        assert!(
            places.insert((file.to_string(), inner)),
            "{url}: place shared"
        );
        let record = glaneur::read::read_record_at(dir, file, offset, inner).expect("record");
        assert_eq!(record.record_type(), Some("response"), "{url} .{ext}");
        assert_eq!(record.header("WARC-Target-URI"), Some(url), ".{ext}");
        let info = ok(
            &glaneur(&["get", url, "--archive", s(dir), "--info", "--no-update"]),
            url,
        );
        let info: serde_json::Value = serde_json::from_str(&info).expect("info JSON");
        assert_eq!(
            (&info["filename"], &info["offset"], &info["inner_offset"]),
            (
                &row["warc_file"],
                &row["warc_offset"],
                &row["warc_inner_offset"]
            ),
            "get --info and articles name one place for {url} (.{ext})"
        );
    }
    assert!(
        places.iter().filter(|(_, inner)| *inner > 0).count() >= N as usize - 1,
        ".{ext}: {places:?}"
    );
}

/// A place past the end of the stream (a stale index) is a clear error, not a hang or a
/// record read from elsewhere.
#[test]
fn a_place_past_the_end_of_the_stream_is_a_clear_error() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plain = tmp.path().join("two.warc");
    let record = |n: u32| {
        format!(
            "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: http://a.test/{n}\r\nContent-Length: 2\r\n\r\nok\r\n\r\n"
        )
    };
    std::fs::write(&plain, format!("{}{}", record(1), record(2))).expect("write");
    let gz = tmp.path().join("two.warc.gz");
    std::fs::write(&gz, gzip_whole(&plain)).expect("write");
    let second = record(1).len() as u64;
    let mut reader = glaneur::warc::WarcReader::open_at_inner(&gz, 0, second, None).expect("open");
    let (offset, rec) = reader.next().expect("a record").expect("readable");
    assert_eq!((offset, reader.inner_offset()), (0, second));
    assert_eq!(rec.header("WARC-Target-URI"), Some("http://a.test/2"));
    let err = glaneur::warc::WarcReader::open_at_inner(&gz, 0, 10 * second, None)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no record at"), "{err}");
}
