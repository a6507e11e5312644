//! Fuzz target: the repair of a damaged `.open` WARC file (what a crash, a torn write or a
//! bad sector leaves). A valid file of 12 records (zstd with a dictionary, gzip or plain,
//! chosen by the first input byte) is damaged by the input (byte flips at chosen places,
//! then maybe a cut), repaired, and read back. The repair must never panic, and every
//! record whose bytes the damage did not touch must still read at its offset.
#![no_main]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use glaneur::read::{Item, Scan};
use glaneur::warc::{Compression, Dictionary, WarcReader, WarcWriter, WriterConfig};
use libfuzzer_sys::fuzz_target;

/// One written file per compression: its bytes, its name, and each record's (offset,
/// frame length, id).
struct Sample {
    bytes: Vec<u8>,
    name: String,
    places: Vec<(u64, u64, String)>,
    dicts: Option<(PathBuf, Vec<u8>)>,
}

fn capture(i: usize) -> glaneur::capture::Capture {
    let body = format!("<html><body><p>page {i}</p>{}</body></html>", "texte ".repeat(i * 9));
    glaneur::capture::Capture {
        url: url::Url::parse(&format!("http://r.test/{i}")).expect("url"),
        started: chrono::Utc::now(),
        ip: None,
        request: b"GET / HTTP/1.1\r\nHost: r.test\r\n\r\n".to_vec(),
        status: 200,
        response_head: format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::from(body),
        truncated: None,
        elapsed: std::time::Duration::from_millis(1),
    }
}

fn sample(compression: Compression) -> Sample {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = WriterConfig::new(dir.path());
    config.compression = compression;
    let mut writer = WarcWriter::new(config).expect("writer");
    if compression == Compression::Zstd {
        let pages: Vec<Vec<u8>> = (0..30).map(|i| capture(i).body.to_vec()).collect();
        let dict = Dictionary::train(&pages, 4096).expect("dictionary");
        writer.use_dictionary(dict).expect("use");
    }
    for i in 0..12 {
        writer.write_capture(&capture(i)).expect("write");
    }
    let file = writer.finish().expect("finish").remove(0);
    let mut reader = WarcReader::open(&file).expect("open");
    let mut places = Vec::new();
    while let Some(Ok((offset, record))) = reader.next() {
        let end = reader.clean_end().expect("one record per frame");
        let id = record.header("WARC-Record-ID").unwrap_or("").to_string();
        places.push((offset, end - offset, id));
    }
    let copies = dir.path().join(glaneur::warc::DICTIONARY_COPIES_DIR);
    let dicts = std::fs::read_dir(&copies).ok().and_then(|mut d| {
        let entry = d.next()?.ok()?;
        Some((
            PathBuf::from(entry.file_name()),
            std::fs::read(entry.path()).ok()?,
        ))
    });
    Sample {
        bytes: std::fs::read(&file).expect("bytes"),
        name: file.file_name().expect("name").to_string_lossy().into_owned(),
        places,
        dicts,
    }
}

fn samples() -> &'static [Sample; 3] {
    static SAMPLES: OnceLock<[Sample; 3]> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        [
            sample(Compression::Zstd),
            sample(Compression::Gzip),
            sample(Compression::None),
        ]
    })
}

fn kept(path: &Path) -> HashSet<(u64, String)> {
    let Ok(scan) = Scan::open(path) else {
        return HashSet::new();
    };
    scan.filter_map(|i| match i {
        Item::Record { offset, record, .. } => Some((
            offset,
            record.header("WARC-Record-ID").unwrap_or("").to_string(),
        )),
        Item::Damage { .. } => None,
    })
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, edits)) = data.split_first() else {
        return;
    };
    let s = &samples()[usize::from(kind % 3)];
    let mut bytes = s.bytes.clone();
    let len = bytes.len() as u64;
    let mut touched: Vec<(u64, u64)> = Vec::new();
    // Edits of 4 bytes: a position (3 bytes, modulo the length) and a XOR mask; a mask
    // of 0 cuts the file there instead.
    for edit in edits.chunks_exact(4).take(16) {
        let at = u64::from(u32::from_le_bytes([edit[0], edit[1], edit[2], 0])) % len;
        if edit[3] == 0 {
            bytes.truncate(at as usize);
            touched.push((at, u64::MAX));
            break;
        }
        if let Some(b) = bytes.get_mut(at as usize) {
            *b ^= edit[3];
            touched.push((at, at + 1));
        }
    }
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    if let Some((name, dict)) = &s.dicts {
        let copies = dir.path().join(glaneur::warc::DICTIONARY_COPIES_DIR);
        if std::fs::create_dir(&copies).is_err() || std::fs::write(copies.join(name), dict).is_err() {
            return;
        }
    }
    let open = dir.path().join(format!("{}.open", s.name));
    if std::fs::write(&open, &bytes).is_err() {
        return;
    }
    if std::env::var_os("FUZZ_DEBUG").is_some() {
        // To read a finding: the sample's records (offset, frame length) and the damage.
        let places: Vec<_> = s.places.iter().map(|p| (p.0, p.1)).collect();
        eprintln!("length {len}, records {places:?}, touched {touched:?}");
    }
    let repair = glaneur::warc::repair_file(&open).expect("the repair of a damaged file does not fail");
    let after = if repair.closed { kept(&repair.file) } else { HashSet::new() };
    for (offset, length, id) in &s.places {
        let end = offset + length;
        let hit = touched.iter().any(|&(a, b)| a < end && b > *offset);
        assert!(
            hit || after.contains(&(*offset, id.clone())),
            "untouched record at {offset} lost: {repair:?}"
        );
    }
});
