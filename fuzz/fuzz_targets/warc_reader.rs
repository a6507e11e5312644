//! Fuzz target: reading any bytes as a WARC file (plain, gzip or zstd, told from the name)
//! must never panic; every record it yields must be checkable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((kind, bytes)) = data.split_first() else {
        return;
    };
    let name = match kind % 3 {
        0 => "f.warc",
        1 => "f.warc.gz",
        _ => "f.warc.zst",
    };
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join(name);
    if std::fs::write(&path, bytes).is_err() {
        return;
    }
    if let Ok(reader) = glaneur::warc::WarcReader::open(&path) {
        for item in reader.take(1000) {
            match item {
                Ok((_, record)) => {
                    let _ = record.verify_digests();
                }
                Err(_) => break,
            }
        }
    }
});
