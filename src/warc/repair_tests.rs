//! Tests of the repair ([`super`]): seeded damage, and the cases the `repair_open` fuzz
//! target found.

use super::*;
use crate::warc::Compression;
use rand::{Rng, SeedableRng};

/// A file of `n` records that is the same on every run (fixed ids, dates and bodies;
/// the dictionary trained on fixed samples), so that the seeded damage below always
/// hits the same bytes: its bytes, its dictionary (zstd) and every record's (offset,
/// member/frame length, id).
struct Sample {
    bytes: Vec<u8>,
    dict: Option<crate::warc::Dictionary>,
    places: Vec<(u64, u64, String)>,
    /// Length of the dictionary frame at the start (0 without one).
    dict_frame: u64,
}

fn page_record(i: usize) -> Vec<u8> {
    let block = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>page {i}</p>{}</body></html>",
        "texte ".repeat(i * 7)
    );
    crate::warc::Record {
        version: "WARC/1.1".into(),
        headers: vec![
            ("WARC-Type".into(), "response".into()),
            (
                "WARC-Record-ID".into(),
                format!("<urn:uuid:00000000-0000-4000-8000-{i:012}>"),
            ),
            ("WARC-Date".into(), "2024-05-01T08:00:00Z".into()),
            ("WARC-Target-URI".into(), format!("http://r.test/{i}")),
            (
                "Content-Type".into(),
                "application/http;msgtype=response".into(),
            ),
        ],
        block: block.into_bytes(),
    }
    .to_bytes()
}

fn sample(compression: Compression, n: usize) -> Sample {
    use crate::wacz::encode::{gzip_member, zstd_frame};
    let dict = (compression == Compression::Zstd).then(|| {
        let training: Vec<Vec<u8>> = (0..64).map(page_record).collect();
        crate::warc::Dictionary::train(&training, 4096).unwrap()
    });
    let mut bytes = match &dict {
        Some(d) => d.frame().unwrap(),
        None => Vec::new(),
    };
    let dict_frame = bytes.len() as u64;
    let mut places = Vec::new();
    for i in 0..n {
        let record = page_record(i);
        let part = match compression {
            Compression::Zstd => zstd_frame(&record, 3, dict.as_ref()).unwrap(),
            Compression::Gzip => gzip_member(&record).unwrap(),
            Compression::None => record,
        };
        let id = format!("<urn:uuid:00000000-0000-4000-8000-{i:012}>");
        places.push((bytes.len() as u64, part.len() as u64, id));
        bytes.extend_from_slice(&part);
    }
    Sample {
        bytes,
        dict,
        places,
        dict_frame,
    }
}

/// The records a repaired file reads, by (offset, id).
fn kept_records(repair: &Repair) -> std::collections::HashSet<(u64, String)> {
    if !repair.closed {
        return Default::default();
    }
    let Ok(scan) = crate::read::Scan::open(&repair.file) else {
        return Default::default();
    };
    scan.filter_map(|i| match i {
        crate::read::Item::Record { offset, record, .. } => Some((
            offset,
            record.header("WARC-Record-ID").unwrap_or("").to_string(),
        )),
        _ => None,
    })
    .collect()
}

/// Keeps a copy of `dict` in the archive folder `dir`, where the reader looks for it.
fn keep_dictionary_copy(dir: &std::path::Path, dict: &crate::warc::Dictionary) {
    let copy = crate::warc::dictionary_copy_path(dir, dict.id());
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, dict.as_bytes()).unwrap();
}

/// Asserts that the repair kept every record of `places` at its offset.
fn assert_kept(places: &[(u64, u64, String)], repair: &Repair, case: &str) {
    let kept = kept_records(repair);
    for (offset, _, id) in places {
        assert!(
            kept.contains(&(*offset, id.clone())),
            "{case}: record at {offset} lost: {repair:?}"
        );
    }
}

/// Seeded damage: 1 to 3 byte flips (the first byte of the file, the dictionary
/// frame included, as likely as any other), and in 3 rounds out of 10 a torn tail.
/// Returns the damaged bytes and the offsets touched.
fn damage(rng: &mut rand::rngs::StdRng, original: &[u8]) -> (Vec<u8>, Vec<u64>) {
    let mut bytes = original.to_vec();
    let mut touched = Vec::new();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..bytes.len());
        bytes[at] ^= rng.random_range(1..=255u8);
        touched.push(at as u64);
    }
    if rng.random_bool(0.3) {
        let cut = rng.random_range(bytes.len() / 2..bytes.len());
        bytes.truncate(cut);
        touched.extend(cut as u64..original.len() as u64);
    }
    (bytes, touched)
}

/// Property (deterministic: fixed file contents and a seeded generator): after byte
/// flips (and a torn tail) in an `.open` file, the repair keeps, at its offset, every
/// record whose bytes were not touched. Damage to a zstd file's dictionary frame costs
/// nothing while the archive keeps a copy of the dictionary; without the copy it may
/// cost the records, but only with a clear error (or the file set aside), never a
/// panic.
#[test]
fn repair_keeps_every_untouched_record_whatever_the_damage() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(16);
    let cases = [
        (Compression::Zstd, true),
        (Compression::Zstd, false),
        (Compression::Gzip, false),
        (Compression::None, false),
    ];
    let mut dictionary_hits = 0;
    for (compression, with_copy) in cases {
        let s = sample(compression, 24);
        assert_eq!(s.bytes, sample(compression, 24).bytes, "not deterministic");
        let dir = tempfile::tempdir().unwrap();
        if let (Some(d), true) = (&s.dict, with_copy) {
            let copy = crate::warc::dictionary_copy_path(dir.path(), d.id());
            std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
            std::fs::write(&copy, d.as_bytes()).unwrap();
        }
        let file = dir
            .path()
            .join(format!("sample{}", compression.extension()));
        let open = PathBuf::from(format!("{}{OPEN_SUFFIX}", file.display()));
        for round in 0..80 {
            let (bytes, touched) = damage(&mut rng, &s.bytes);
            let dictionary_hit = touched.iter().any(|&t| t < s.dict_frame);
            dictionary_hits += usize::from(dictionary_hit);
            std::fs::write(&open, &bytes).unwrap();
            let what = format!("{compression:?} (copy: {with_copy}) round {round}");
            let kept = match repair_file(&open) {
                Ok(repair) => kept_records(&repair),
                Err(e) => {
                    // Only a lost dictionary may make the repair fail, and it says so.
                    assert!(
                        dictionary_hit && !with_copy,
                        "{what}: repair failed: {e} ({touched:?})"
                    );
                    assert!(e.to_string().contains("dictionary"), "{what}: {e}");
                    Default::default()
                }
            };
            let excused = dictionary_hit && !with_copy;
            for (offset, len, id) in &s.places {
                let hit = touched.iter().any(|t| (*offset..offset + len).contains(t));
                assert!(
                    hit || excused || kept.contains(&(*offset, id.clone())),
                    "{what}: record at {offset} lost ({touched:?})"
                );
            }
            for leftover in [
                open.clone(),
                file.clone(),
                PathBuf::from(format!("{}{CORRUPT_SUFFIX}", file.display())),
                PathBuf::from(format!("{}{DAMAGED_SUFFIX}", file.display())),
                PathBuf::from(format!("{}{DAMAGED_REPORT_SUFFIX}", file.display())),
            ] {
                let _ = std::fs::remove_file(leftover);
            }
        }
    }
    // The seed does damage the dictionary frame (with and without its copy).
    assert!(dictionary_hits >= 2, "{dictionary_hits}");
}

/// A dictionary frame destroyed (its first bytes zeroed) with no copy of the
/// dictionary: the repair does not panic; it fails naming the dictionary, or sets
/// the file aside untouched.
#[test]
fn a_lost_dictionary_without_copy_is_a_clear_error() {
    let s = sample(Compression::Zstd, 6);
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("lost.warc.zst.open");
    let mut bytes = s.bytes.clone();
    for b in &mut bytes[8..24] {
        *b = 0;
    }
    std::fs::write(&open, &bytes).unwrap();
    match repair_file(&open) {
        Err(e) => assert!(e.to_string().contains("dictionary"), "{e}"),
        Ok(repair) => {
            assert!(!repair.closed, "{repair:?}");
            assert_eq!(std::fs::read(&repair.file).unwrap(), bytes);
        }
    }
}

/// Found by the `repair_open` fuzz target: a file cut inside its dictionary frame
/// (killed while it was being started) made the repair fail, and the crawl with it.
/// It holds no record: it is set aside whole, and the repair succeeds.
#[test]
fn a_file_cut_inside_its_dictionary_frame_is_set_aside() {
    let s = sample(Compression::Zstd, 3);
    assert!(s.dict_frame > 40, "{}", s.dict_frame);
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("torn.warc.zst.open");
    let bytes = &s.bytes[..s.dict_frame as usize - 20];
    std::fs::write(&open, bytes).unwrap();
    let repair = repair_file(&open).expect("a torn start is no error");
    assert!(!repair.closed, "{repair:?}");
    assert_eq!(repair.records_kept, 0);
    assert!(!open.exists());
    assert_eq!(std::fs::read(&repair.file).unwrap(), bytes);
    // Also found by the fuzz target: a damaged compressed dictionary in a file cut
    // four bytes into its first record.
    let open = dir.path().join("torn2.warc.zst.open");
    let mut bytes = s.bytes[..s.dict_frame as usize + 4].to_vec();
    bytes[40] ^= 0xea;
    std::fs::write(&open, &bytes).unwrap();
    let repair = repair_file(&open).expect("a torn start is no error");
    assert!(!repair.closed, "{repair:?}");
    assert_eq!(repair.records_kept, 0);
}

/// Found by the `repair_open` fuzz target: a damaged compressed dictionary in a file cut
/// just after its first record, a record compressed without the dictionary (as the
/// writer does the warcinfo record). No whole frame named the dictionary, so no copy
/// could be chosen, and the damaged frame failed the whole repair. The frame is now read
/// as no dictionary: the first record is kept.
#[test]
fn a_damaged_dictionary_before_a_record_that_needs_none_loses_no_record() {
    use crate::wacz::encode::zstd_frame;
    let s = sample(Compression::Zstd, 2);
    let first = zstd_frame(&page_record(40), 3, None).unwrap();
    for (cut, copy) in [(1, false), (3, false), (4, true)] {
        let dir = tempfile::tempdir().unwrap();
        if copy {
            keep_dictionary_copy(dir.path(), s.dict.as_ref().unwrap());
        }
        let open = dir.path().join(format!("cut{cut}.warc.zst.open"));
        let mut bytes = s.bytes[..s.dict_frame as usize].to_vec();
        bytes[40] ^= 0xc3;
        bytes.extend_from_slice(&first);
        // The next record, cut `cut` bytes in (a dictionary record, as the writer's).
        bytes.extend_from_slice(&s.bytes[s.places[0].0 as usize..][..cut]);
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("a damaged dictionary fails no repair");
        let place = (
            s.dict_frame,
            first.len() as u64,
            "<urn:uuid:00000000-0000-4000-8000-000000000040>".to_string(),
        );
        assert_kept(&[place], &repair, &format!("cut {cut}, copy {copy}"));
    }
}

/// Found by the `repair_open` fuzz target: a damaged compressed dictionary in a file cut a
/// few bytes into its second record. To choose the dictionary's copy, the reader counts
/// the dictionary ids the frames name; the compressed dictionary itself (a frame naming
/// none) and the cut frame (a header too short to name one) outvoted the one whole
/// record, so no copy was chosen and the record was lost with the file. Only the records'
/// whole frames vote now.
#[test]
fn a_damaged_dictionary_in_a_file_cut_after_one_record_loses_no_record() {
    let s = sample(Compression::Zstd, 3);
    for (at, cut) in [(40, 6), (16, 8), (100, 2)] {
        let dir = tempfile::tempdir().unwrap();
        keep_dictionary_copy(dir.path(), s.dict.as_ref().unwrap());
        let open = dir.path().join("cut.warc.zst.open");
        let mut bytes = s.bytes[..s.places[1].0 as usize + cut].to_vec();
        bytes[at] ^= 0x10;
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("repaired");
        assert_kept(
            &s.places[..1],
            &repair,
            &format!("byte {at}, cut {cut} bytes in"),
        );
    }
}

/// Found by the `repair_open` fuzz target: the dictionary frame's magic, its size and the
/// compressed dictionary's frame header all damaged. The magic became another skippable
/// frame's, so readers skipped the frame by its damaged size, into the first record,
/// which the repair then moved aside though intact. A skippable frame holding a zstd
/// frame at the start of the file is read as the dictionary frame: every record is kept,
/// and the magic and size are written back.
#[test]
fn a_damaged_dictionary_frame_magic_size_and_header_lose_no_record() {
    let s = sample(Compression::Zstd, 6);
    for (magic, size, header) in [
        (0x04_u8, 0x0a_u8, 0x0a_u8),
        (0x01, 0x02, 0x20),
        (0x08, 0x04, 0x01),
    ] {
        let dir = tempfile::tempdir().unwrap();
        keep_dictionary_copy(dir.path(), s.dict.as_ref().unwrap());
        let open = dir.path().join("x.warc.zst.open");
        let mut bytes = s.bytes.clone();
        bytes[0] ^= magic;
        bytes[4] ^= size;
        bytes[12] ^= header;
        std::fs::write(&open, &bytes).unwrap();
        let case = format!("magic ^ {magic:#x}, size ^ {size:#x}, header ^ {header:#x}");
        let repair = repair_file(&open).expect("repaired");
        assert_kept(&s.places, &repair, &case);
        let after = std::fs::read(&repair.file).unwrap();
        assert_eq!(
            after[..8],
            s.bytes[..8],
            "{case}: magic and size written back"
        );
    }
}

/// Found by the `repair_open` fuzz target: one bit flipped in the size of the
/// dictionary frame sent the reader into the middle of the first record (or just
/// before it), which the repair then moved aside though its bytes were intact. The
/// frame's true end comes from the compressed dictionary itself: every record is
/// kept, the size is written back, with or without a copy of the dictionary.
#[test]
fn a_damaged_dictionary_frame_size_loses_no_record() {
    let s = sample(Compression::Zstd, 6);
    let d = s.dict.as_ref().unwrap();
    for (flip, with_copy) in [(0x0a_u8, true), (0x02, true), (0x40, true), (0x02, false)] {
        let dir = tempfile::tempdir().unwrap();
        if with_copy {
            keep_dictionary_copy(dir.path(), d);
        }
        let open = dir.path().join("size.warc.zst.open");
        let mut bytes = s.bytes.clone();
        bytes[4] ^= flip;
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("repaired");
        assert_kept(
            &s.places,
            &repair,
            &format!("flip {flip:#x} (copy: {with_copy})"),
        );
        assert_eq!(
            std::fs::read(&repair.file).unwrap(),
            s.bytes,
            "size written back"
        );
    }
}

/// Found by the `repair_open` fuzz target: one byte of the dictionary frame's magic
/// number flipped (and the file torn further on) made the whole file unreadable, and the
/// repair set it aside with its intact records. The frame still holds a zstd dictionary:
/// the magic is written back and every untouched record kept, whether the flip makes
/// another skippable-frame magic (which readers would skip) or no magic at all.
#[test]
fn a_damaged_dictionary_frame_magic_loses_no_record() {
    let s = sample(Compression::Zstd, 5);
    for (at, flip) in [(1_usize, 0x80_u8), (0, 0x01), (3, 0xff)] {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("magic.warc.zst.open");
        let mut bytes = s.bytes.clone();
        bytes[at] ^= flip;
        let (last, _, _) = s.places[4].clone();
        bytes.truncate(last as usize + 10);
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("repaired");
        let kept = kept_records(&repair);
        for (offset, _, id) in &s.places[..4] {
            assert!(
                kept.contains(&(*offset, id.clone())),
                "byte {at} ^ {flip:#x}: record at {offset} lost: {repair:?}"
            );
        }
        assert_eq!(
            std::fs::read(&repair.file).unwrap(),
            s.bytes[..last as usize],
            "magic written back, torn record cut"
        );
    }
}

/// Found by the `repair_open` fuzz target: in a plain file, the last byte of a
/// record's CRLF CRLF damaged made the next record, intact, no line start for the
/// resynchronisation, and the repair moved it aside with the damaged one.
#[test]
fn a_damaged_record_end_in_a_plain_file_loses_only_that_record() {
    let s = sample(Compression::None, 4);
    let (first, len, _) = s.places[0].clone();
    let end = (first + len) as usize;
    // The last byte of its CRLF CRLF; (also found by the fuzz target) its first and last
    // bytes; all four.
    for damaged in [&[1usize][..], &[4, 1], &[4, 3, 2, 1]] {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("end.warc.open");
        let mut bytes = s.bytes.clone();
        for back in damaged {
            bytes[end - back] ^= 0xef;
        }
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("repaired");
        assert_kept(
            &s.places[1..],
            &repair,
            &format!("bytes {damaged:?} before its end"),
        );
    }
}

#[test]
fn fillers_have_the_exact_length_and_decode_to_nothing() {
    for len in [8u64, 9, 100, 70_000] {
        let z = filler(Container::Zstd, len).unwrap();
        assert_eq!(z.len() as u64, len);
        let mut out = Vec::new();
        zstd::stream::read::Decoder::new(&z[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert!(out.is_empty());
    }
    assert!(filler(Container::Zstd, 7).is_none());
    for len in [22u64, 23, 100, 65_557, 65_558, 65_580, 200_000] {
        let g = filler(Container::Gzip, len).unwrap();
        assert_eq!(g.len() as u64, len, "{len}");
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&g[..])
            .read_to_end(&mut out)
            .unwrap();
        assert!(out.is_empty(), "{len}");
    }
    assert!(filler(Container::Gzip, 21).is_none());
    assert_eq!(filler(Container::Plain, 5).unwrap(), b"\r\n\r\n\n");
}

/// Found by the `repair_open` fuzz target: the checksum flag of a zstd frame's header
/// cleared (one bit), so the frame decodes whole but seems to end four bytes early, at
/// its checksum; the resynchronisation after those four bytes then lost every record
/// after it.
#[test]
fn a_cleared_checksum_flag_loses_no_later_record() {
    let s = sample(Compression::Zstd, 8);
    for earlier_damage in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("flag.warc.zst.open");
        let mut bytes = s.bytes.clone();
        if earlier_damage {
            let (o, l, _) = s.places[1].clone();
            bytes[(o + l / 2) as usize] ^= 0x02;
        }
        let (o, _, _) = s.places[5].clone();
        bytes[o as usize + 4] ^= 0x04;
        std::fs::write(&open, &bytes).unwrap();
        let repair = repair_file(&open).expect("repaired");
        let kept = kept_records(&repair);
        for (i, (offset, _, id)) in s.places.iter().enumerate() {
            if i == 5 || (i == 1 && earlier_damage) {
                continue;
            }
            assert!(
                kept.contains(&(*offset, id.clone())),
                "earlier damage {earlier_damage}: record {i} at {offset} lost: {repair:?}"
            );
        }
    }
}

/// Found by the `repair_open` fuzz target: the size in the dictionary frame's header
/// **and** its compressed dictionary both damaged, the size now past the first record.
/// The frame's own end is not known from the dictionary; the first record after the
/// dictionary's magic is where it ends (the archive's copy of the dictionary reads the
/// records): every record is kept and that size written back.
#[test]
fn a_damaged_dictionary_frame_size_and_dictionary_lose_no_record() {
    let s = sample(Compression::Zstd, 20);
    let d = s.dict.as_ref().unwrap();
    let dir = tempfile::tempdir().unwrap();
    keep_dictionary_copy(dir.path(), d);
    let open = dir.path().join("both.warc.zst.open");
    let mut bytes = s.bytes.clone();
    let size = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    bytes[4..8].copy_from_slice(&(size + 70).to_le_bytes());
    bytes[12] ^= 0x08; // a reserved bit of the compressed dictionary's frame header
    std::fs::write(&open, &bytes).unwrap();
    let repair = repair_file(&open).expect("repaired");
    assert_kept(&s.places, &repair, "size and dictionary damaged");
    let repaired = std::fs::read(&repair.file).unwrap();
    assert_eq!(repaired[4..8], size.to_le_bytes(), "size written back");
}
