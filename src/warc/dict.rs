//! zstd dictionaries for `.warc.zst` files, per the IIPC WARC-zstd proposal: training a
//! dictionary on record bytes, loading and saving one, and the dictionary frame that opens
//! a file (a skippable frame, magic `0x184D2A5D`, holding the dictionary compressed as one
//! zstd frame with content size and checksum). Every record after it is one zstd frame
//! compressed with that dictionary, whose header names the dictionary id.
//!
//! Pages of one site share most of their bytes (menus, inline CSS and scripts), which
//! per-record compression cannot see; a dictionary trained on a few dozen records makes
//! each frame about five times smaller, and compression faster.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use zstd::zstd_safe;
use zstd::zstd_safe::zstd_sys;

/// Magic number of a zstd dictionary (`ZDICT` format).
pub const DICTIONARY_MAGIC: u32 = 0xEC30_A437;
/// Magic number of the skippable frame that holds a WARC-zstd dictionary.
pub const DICTIONARY_FRAME_MAGIC: u32 = 0x184D_2A5D;

/// Largest dictionary a reader accepts.
pub(super) const MAX_DICT: u32 = 64 << 20;
/// Default dictionary size: 256 KiB. Pages of news sites share more boilerplate than
/// zstd's own default (110 KiB) holds: on the shared 2,000-article test site, records
/// compressed with a 256 KiB dictionary are 10 % smaller than with a 110 KiB one, for the
/// same CPU per record (BENCHMARKS.md, "Dictionary").
pub const DEFAULT_DICTIONARY_SIZE: usize = 256 * 1024;
/// Records a crawl samples before training its dictionary (`auto`): about 20 pages
/// (request, response and metadata records). These are written without a dictionary, so
/// fewer is smaller; 60 records train a dictionary as good as 100 on the test site.
pub const DEFAULT_TRAINING_RECORDS: usize = 60;
/// Longest part of one record used as a training sample.
pub const MAX_SAMPLE_BYTES: usize = 128 * 1024;
/// Largest dictionary accepted (the reader's limit too).
pub const MAX_DICTIONARY_SIZE: usize = 8 << 20;
/// zstd level of the compressed dictionary in the dictionary frame (written once per file).
/// Level 19 took ~0.2 s of CPU for a 256 KiB dictionary (4 % of a 2,000-page crawl) for a
/// frame a few KB smaller; level 9 takes a few milliseconds.
const FRAME_LEVEL: i32 = 9;

/// A dictionary could not be trained, read or written.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// Not a zstd dictionary.
    #[error("{0}")]
    Invalid(String),
    /// Training failed (too few or too small samples).
    #[error("cannot train a zstd dictionary: {0}")]
    Training(String),
}

/// A zstd dictionary (in zstd's dictionary format, magic `0xEC30A437`).
#[derive(Clone, PartialEq, Eq)]
pub struct Dictionary {
    bytes: Arc<[u8]>,
    id: u32,
}

impl std::fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dictionary")
            .field("id", &self.id)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Dictionary {
    /// Checks and wraps dictionary bytes (zstd dictionary format, non-zero id).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Dictionary, DictionaryError> {
        if bytes.len() < 8 || bytes[..4] != DICTIONARY_MAGIC.to_le_bytes() {
            return Err(DictionaryError::Invalid(
                "not a zstd dictionary (magic 0xEC30A437 expected)".into(),
            ));
        }
        if bytes.len() > MAX_DICTIONARY_SIZE {
            return Err(DictionaryError::Invalid(format!(
                "dictionary of {} bytes (at most {MAX_DICTIONARY_SIZE})",
                bytes.len()
            )));
        }
        let id = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if id == 0 {
            return Err(DictionaryError::Invalid(
                "zstd dictionary without an id (WARC-zstd frames must name it)".into(),
            ));
        }
        // A dictionary zstd cannot digest is refused now, not at the first record.
        let mut cctx = zstd_safe::CCtx::create();
        cctx.load_dictionary(&bytes).map_err(|code| {
            DictionaryError::Invalid(format!(
                "unusable zstd dictionary: {}",
                zstd_safe::get_error_name(code)
            ))
        })?;
        Ok(Dictionary {
            bytes: bytes.into(),
            id,
        })
    }

    /// Reads a dictionary file (as written by `glaneur dict train` or `zstd --train`).
    pub fn load(path: &Path) -> Result<Dictionary, DictionaryError> {
        let bytes = std::fs::read(path).map_err(|source| DictionaryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Dictionary::from_bytes(bytes).map_err(|e| match e {
            DictionaryError::Invalid(m) => {
                DictionaryError::Invalid(format!("{}: {m}", path.display()))
            }
            other => other,
        })
    }

    /// Writes the dictionary to `path` (usable by `zstd -D` too).
    pub fn save(&self, path: &Path) -> Result<(), DictionaryError> {
        std::fs::write(path, &self.bytes).map_err(|source| DictionaryError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Trains a dictionary of at most `max_size` bytes on `samples` (whole records as
    /// written: WARC header, block and trailing CRLF CRLF). Uses zstd's fastCover builder
    /// with large segments (k = 8000 bytes, d = 8, when there are at least 256 KiB of
    /// samples), which suits web pages sharing long boilerplate (whole menus, inline
    /// scripts and styles); falls back to zstd's parameter search if that fails.
    pub fn train<S: AsRef<[u8]>>(
        samples: &[S],
        max_size: usize,
    ) -> Result<Dictionary, DictionaryError> {
        let mut data = Vec::new();
        let mut sizes = Vec::with_capacity(samples.len());
        for s in samples {
            let s = s.as_ref();
            let s = &s[..s.len().min(MAX_SAMPLE_BYTES)];
            data.extend_from_slice(s);
            sizes.push(s.len());
        }
        Dictionary::train_continuous(&data, &sizes, max_size)
    }

    /// Like [`Dictionary::train`], with the samples concatenated in `data` (`sizes` gives
    /// each sample's length, in order).
    pub fn train_continuous(
        data: &[u8],
        sizes: &[usize],
        max_size: usize,
    ) -> Result<Dictionary, DictionaryError> {
        let total = sizes
            .iter()
            .try_fold(0usize, |t, &s| t.checked_add(s))
            .filter(|&t| t == data.len())
            .ok_or_else(|| DictionaryError::Training("sample sizes do not add up".into()))?;
        if sizes.len() < 8 || total < 4096 {
            return Err(DictionaryError::Training(format!(
                "{} samples, {total} bytes: too little to learn from",
                sizes.len()
            )));
        }
        let max_size = max_size.clamp(1024, MAX_DICTIONARY_SIZE);
        let nb = u32::try_from(sizes.len())
            .map_err(|_| DictionaryError::Training("too many samples".into()))?;
        let mut dict = vec![0u8; max_size];
        // Segment size: long segments keep whole blocks of shared markup together (k = 8000
        // gives records 7 % smaller than k = 2000 on the test site); smaller for little data.
        let k = match total {
            t if t >= 256 * 1024 => 8000,
            t if t >= 64 * 1024 => 2000,
            _ => 200,
        };
        let params = zstd_sys::ZDICT_fastCover_params_t {
            k,
            d: 8,
            f: 20,
            steps: 0,
            nbThreads: 0,
            splitPoint: 1.0,
            accel: 1,
            shrinkDict: 0,
            shrinkDictMaxRegression: 0,
            zParams: zstd_sys::ZDICT_params_t {
                compressionLevel: super::ZSTD_LEVEL,
                notificationLevel: 0,
                dictID: 0,
            },
        };
        // SAFETY: `dict` is writable for `max_size` bytes; `data` holds exactly the sum of
        // `sizes` bytes (checked above) and `sizes` has `nb` elements. The function only
        // reads the samples and writes at most `max_size` bytes into `dict`.
        let n = unsafe {
            zstd_sys::ZDICT_trainFromBuffer_fastCover(
                dict.as_mut_ptr().cast(),
                dict.len(),
                data.as_ptr().cast(),
                sizes.as_ptr(),
                nb,
                params,
            )
        };
        // SAFETY: a plain function on an integer.
        let failed = unsafe { zstd_sys::ZDICT_isError(n) } != 0;
        let dict = if failed {
            zstd::dict::from_continuous(data, sizes, max_size)
                .map_err(|e| DictionaryError::Training(e.to_string()))?
        } else {
            dict.truncate(n);
            dict
        };
        Dictionary::from_bytes(dict).map_err(|e| DictionaryError::Training(e.to_string()))
    }

    /// The dictionary id (written in the header of every frame compressed with it).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The dictionary bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The dictionary frame that opens a `.warc.zst` file: a skippable frame with magic
    /// `0x184D2A5D` whose content is the dictionary compressed as one zstd frame (content
    /// size and checksum set), as the WARC-zstd proposal allows.
    pub fn frame(&self) -> io::Result<Vec<u8>> {
        let mut cctx = zstd_safe::CCtx::create();
        let err = |code: usize| io::Error::other(zstd_safe::get_error_name(code));
        cctx.set_parameter(zstd_safe::CParameter::CompressionLevel(FRAME_LEVEL))
            .map_err(err)?;
        cctx.set_parameter(zstd_safe::CParameter::ChecksumFlag(true))
            .map_err(err)?;
        cctx.set_parameter(zstd_safe::CParameter::ContentSizeFlag(true))
            .map_err(err)?;
        let mut packed: Vec<u8> = Vec::with_capacity(zstd_safe::compress_bound(self.bytes.len()));
        cctx.compress2(&mut packed, &self.bytes).map_err(err)?;
        let size = u32::try_from(packed.len())
            .map_err(|_| io::Error::other("dictionary frame larger than 4 GiB"))?;
        let mut frame = Vec::with_capacity(packed.len() + 8);
        frame.extend_from_slice(&DICTIONARY_FRAME_MAGIC.to_le_bytes());
        frame.extend_from_slice(&size.to_le_bytes());
        frame.extend_from_slice(&packed);
        Ok(frame)
    }
}

/// Where the zstd dictionary frame at the start of a file ends: as its header says, and
/// as the compressed dictionary it holds says (glaneur writes the dictionary as one zstd
/// frame, which knows its own length). `None` when the file does not start with a
/// dictionary frame ([`opens_with_dictionary_frame`]). The second end is the first when a
/// frame starts there; else the compressed dictionary's own end when a frame starts
/// there; else `None` (both damaged).
pub fn dictionary_frame_sizes(path: &Path) -> Option<(u64, Option<u64>)> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 12];
    f.read_exact(&mut head).ok()?;
    if !opens_with_dictionary_frame(&head) {
        return None;
    }
    f.seek(SeekFrom::Start(8)).ok()?;
    let claimed = 8 + u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
    // Usually the frame is as long as it says: read that much first, and further (up
    // to FRAME_PROBE) only when the frame it holds does not end within it.
    let mut content = Vec::new();
    let first = (claimed - 8).min(FRAME_PROBE);
    (&mut f).take(first).read_to_end(&mut content).ok()?;
    let mut own = zstd_safe::find_frame_compressed_size(&content).ok();
    if own.is_none() {
        (&mut f)
            .take(FRAME_PROBE - first)
            .read_to_end(&mut content)
            .ok()?;
        own = zstd_safe::find_frame_compressed_size(&content).ok();
    }
    // A damaged compressed dictionary can still parse as a frame of another length. When
    // a frame starts where the header says the frame ends, the header holds; otherwise
    // the dictionary's own end is believed only where a frame starts.
    let own = own.map(|n| 8 + n as u64);
    let own = if own == Some(claimed) || frame_starts_at(&mut f, claimed) {
        Some(claimed)
    } else {
        own.filter(|&end| frame_starts_at(&mut f, end))
    };
    Some((claimed, own))
}

/// True when a zstd frame (or a skippable frame) starts at `at` in the file. (The end of
/// the file is no such place: a damaged dictionary that seems to end there would take
/// every record with it.)
fn frame_starts_at(f: &mut std::fs::File, at: u64) -> bool {
    let mut magic = [0u8; 4];
    if f.seek(SeekFrom::Start(at)).is_err() {
        return false;
    }
    if f.read_exact(&mut magic).is_err() {
        return false;
    }
    let m = u32::from_le_bytes(magic);
    m == ZSTD_FRAME_MAGIC || m & 0xFFFF_FFF0 == 0x184D_2A50
}

/// The magic number that opens every zstd frame.
const ZSTD_FRAME_MAGIC: u32 = 0xFD2F_B528;

/// True when `head` (the first 12 bytes of a file, or more) opens with a dictionary
/// frame: its magic, or another skippable frame's (one damaged bit of the magic) whose
/// content is a zstd frame, as the dictionary frame's is.
pub(crate) fn opens_with_dictionary_frame(head: &[u8]) -> bool {
    let Some(magic) = head.get(..4) else {
        return false;
    };
    let magic = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
    magic == DICTIONARY_FRAME_MAGIC
        || (magic & 0xFFFF_FFF0 == 0x184D_2A50
            && head.get(8..12) == Some(&ZSTD_FRAME_MAGIC.to_le_bytes()[..]))
}

/// How much of a file is read, at most, to find where its dictionary frame really ends
/// (a compressed dictionary larger than this keeps the end its header says).
const FRAME_PROBE: u64 = 4 << 20;

/// Whether and how a crawl's `.warc.zst` files use a dictionary (`--dict`, or the
/// policy's `warc_dictionary` key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DictionarySetting {
    /// Train one on the first records of the crawl (then every new file carries it).
    #[default]
    Auto,
    /// No dictionary: plain per-record zstd frames, readable by `zstd -d`.
    Off,
    /// Use this dictionary file (from `glaneur dict train` or `zstd --train`) for every file.
    File(PathBuf),
}

impl FromStr for DictionarySetting {
    type Err = String;

    /// `auto`, `off` (or `none`), or the path of a dictionary file.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "" => Err("expected auto, off or the path of a dictionary file".into()),
            "auto" => Ok(DictionarySetting::Auto),
            "off" | "none" => Ok(DictionarySetting::Off),
            path => Ok(DictionarySetting::File(PathBuf::from(path))),
        }
    }
}

impl std::fmt::Display for DictionarySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DictionarySetting::Auto => f.write_str("auto"),
            DictionarySetting::Off => f.write_str("off"),
            DictionarySetting::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Collects training samples from the first records written.
#[derive(Debug)]
pub(crate) struct Sampler {
    data: Vec<u8>,
    sizes: Vec<usize>,
    /// Records wanted.
    pub(crate) records: usize,
    /// Dictionary size.
    pub(crate) max_size: usize,
}

impl Sampler {
    pub(crate) fn new(records: usize, max_size: usize) -> Sampler {
        Sampler {
            data: Vec::new(),
            sizes: Vec::new(),
            records: records.max(8),
            max_size,
        }
    }

    /// Adds one record given as the pieces it is made of.
    pub(crate) fn add(&mut self, pieces: &[&[u8]]) {
        let mut left = MAX_SAMPLE_BYTES;
        let start = self.data.len();
        for p in pieces {
            let n = p.len().min(left);
            self.data.extend_from_slice(&p[..n]);
            left -= n;
        }
        self.sizes.push(self.data.len() - start);
    }

    /// True once enough records were seen.
    pub(crate) fn full(&self) -> bool {
        self.sizes.len() >= self.records
    }

    /// Trains the dictionary.
    pub(crate) fn train(&self) -> Result<Dictionary, DictionaryError> {
        Dictionary::train_continuous(&self.data, &self.sizes, self.max_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(i: usize) -> Vec<u8> {
        let mut s = String::from(
            "WARC/1.1\r\nWARC-Type: response\r\nContent-Type: application/http;msgtype=response\r\n\r\n\
             HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><style>",
        );
        for j in 0..200 {
            s.push_str(&format!(".menu-{j} {{ color: #{j:03x}; margin: {j}px }}\n"));
        }
        s.push_str(&format!(
            "</style></head><body><h1>Article number {i}</h1><p>Texte {} de l'article.</p></body></html>\r\n\r\n",
            i * 7919
        ));
        s.into_bytes()
    }

    #[test]
    fn a_trained_dictionary_shrinks_similar_records_and_round_trips() {
        let samples: Vec<Vec<u8>> = (0..40).map(page).collect();
        let dict = Dictionary::train(&samples, 16 * 1024).unwrap();
        assert_eq!(dict.as_bytes()[..4], DICTIONARY_MAGIC.to_le_bytes());
        assert!(dict.id() != 0);
        let probe = page(1000);
        let plain = zstd::bulk::compress(&probe, 3).unwrap();
        let mut c = zstd::bulk::Compressor::with_dictionary(3, dict.as_bytes()).unwrap();
        let small = c.compress(&probe).unwrap();
        assert!(
            small.len() * 3 < plain.len(),
            "{} vs {}",
            small.len(),
            plain.len()
        );
        let mut d = zstd::bulk::Decompressor::with_dictionary(dict.as_bytes()).unwrap();
        assert_eq!(d.decompress(&small, probe.len()).unwrap(), probe);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.zdict");
        dict.save(&path).unwrap();
        assert_eq!(Dictionary::load(&path).unwrap(), dict);
    }

    #[test]
    fn the_frame_is_skippable_and_holds_the_compressed_dictionary() {
        let samples: Vec<Vec<u8>> = (0..40).map(page).collect();
        let dict = Dictionary::train(&samples, 8 * 1024).unwrap();
        let frame = dict.frame().unwrap();
        assert_eq!(frame[..4], DICTIONARY_FRAME_MAGIC.to_le_bytes());
        let size = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]) as usize;
        assert_eq!(size + 8, frame.len());
        assert_eq!(frame[8..12], [0x28, 0xb5, 0x2f, 0xfd]);
        assert_eq!(zstd::decode_all(&frame[8..]).unwrap(), dict.as_bytes());
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(matches!(
            Dictionary::from_bytes(b"not a dictionary".to_vec()),
            Err(DictionaryError::Invalid(_))
        ));
        assert!(matches!(
            Dictionary::train(&[b"tiny".to_vec()], 1024),
            Err(DictionaryError::Training(_))
        ));
        assert_eq!("auto".parse(), Ok(DictionarySetting::Auto));
        assert_eq!("off".parse(), Ok(DictionarySetting::Off));
        assert_eq!(
            "x/d.zdict".parse(),
            Ok(DictionarySetting::File(PathBuf::from("x/d.zdict")))
        );
        assert!("".parse::<DictionarySetting>().is_err());
    }
}
