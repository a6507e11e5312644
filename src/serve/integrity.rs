//! The integrity state of the WARC files shown on the overview: `glaneur verify`'s check
//! ([`crate::read::verify::verify_file`]: framing, lengths, block and payload digests) run
//! in the background, one file at a time, never blocking startup. Results are cached in
//! `STATE/integrity.json` with each file's size and modification time, so a file is
//! checked again only when it changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::archive::Stamp;

/// The cached check of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCheck {
    /// The file's stamp when checked.
    pub stamp: Stamp,
    /// Intact records.
    pub records: u64,
    /// Problems found (`kind at offset N: message`).
    pub problems: Vec<String>,
    /// How to repair, when something is wrong.
    pub repair: Option<String>,
    /// When the check ran.
    pub checked_at: DateTime<Utc>,
}

/// What the overview shows for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum IntegrityState {
    /// Every record reads and every digest matches.
    Ok {
        /// When checked.
        checked_at: DateTime<Utc>,
    },
    /// Problems were found.
    Problems {
        /// The problems.
        problems: Vec<String>,
        /// How to repair.
        repair: Option<String>,
        /// When checked.
        checked_at: DateTime<Utc>,
    },
    /// Being checked now.
    Checking,
    /// Waiting for its turn.
    Pending,
    /// Checks are off (`--no-verify`).
    Off,
}

#[derive(Debug, Default)]
struct Inner {
    results: BTreeMap<String, FileCheck>,
    checking: Option<String>,
}

/// The background checker and its cache.
#[derive(Debug)]
pub struct Integrity {
    path: PathBuf,
    enabled: bool,
    inner: Mutex<Inner>,
    running: Mutex<()>,
}

impl Integrity {
    /// Loads the cache at `path` (`enabled: false` shows every file as [`IntegrityState::Off`]).
    pub fn open(path: &Path, enabled: bool) -> Integrity {
        let results = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Integrity {
            path: path.to_path_buf(),
            enabled,
            inner: Mutex::new(Inner {
                results,
                checking: None,
            }),
            running: Mutex::new(()),
        }
    }

    /// True when checks run.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The state of a file with the given stamp.
    pub fn state(&self, name: &str, stamp: Stamp) -> IntegrityState {
        if !self.enabled {
            return IntegrityState::Off;
        }
        let Ok(inner) = self.inner.lock() else {
            return IntegrityState::Pending;
        };
        match inner.results.get(name) {
            Some(c) if c.stamp == stamp => {
                if c.problems.is_empty() {
                    IntegrityState::Ok {
                        checked_at: c.checked_at,
                    }
                } else {
                    IntegrityState::Problems {
                        problems: c.problems.clone(),
                        repair: c.repair.clone(),
                        checked_at: c.checked_at,
                    }
                }
            }
            _ if inner.checking.as_deref() == Some(name) => IntegrityState::Checking,
            _ => IntegrityState::Pending,
        }
    }

    /// Checks, one after the other, the files of `dir` (name and stamp) that have no
    /// result for their current stamp; forgets files that are gone. Blocking; a second
    /// call while one runs returns at once.
    pub fn run_pending(&self, dir: &Path, files: &[(String, Stamp)]) {
        if !self.enabled {
            return;
        }
        let Ok(_running) = self.running.try_lock() else {
            return;
        };
        if let Ok(mut inner) = self.inner.lock() {
            let names: std::collections::HashSet<&str> =
                files.iter().map(|(n, _)| n.as_str()).collect();
            inner.results.retain(|k, _| names.contains(k.as_str()));
        }
        for (name, stamp) in files {
            let done = self
                .inner
                .lock()
                .map(|i| i.results.get(name).is_some_and(|c| c.stamp == *stamp))
                .unwrap_or(true);
            if done {
                continue;
            }
            if let Ok(mut inner) = self.inner.lock() {
                inner.checking = Some(name.clone());
            }
            let report = crate::read::verify::verify_file(&dir.join(name));
            let check = FileCheck {
                stamp: *stamp,
                records: report.records,
                problems: report
                    .problems
                    .iter()
                    .map(|p| format!("{} at offset {}: {}", p.kind, p.offset, p.message))
                    .collect(),
                repair: report.repair.clone(),
                checked_at: Utc::now(),
            };
            let json = match self.inner.lock() {
                Ok(mut inner) => {
                    inner.checking = None;
                    // A file that changed while being checked is checked again next time.
                    if Stamp::of(&dir.join(name)) == Some(*stamp) {
                        inner.results.insert(name.clone(), check);
                    }
                    serde_json::to_vec_pretty(&inner.results).unwrap_or_default()
                }
                Err(_) => continue,
            };
            let tmp = self
                .path
                .with_extension(format!("tmp-{}", std::process::id()));
            if let Err(e) =
                std::fs::write(&tmp, json).and_then(|()| std::fs::rename(&tmp, &self.path))
            {
                tracing::warn!("cannot save {}: {e}", self.path.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_once_per_stamp_and_reports_damage() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        let rec = crate::warc::Record {
            version: "WARC/1.1".into(),
            headers: vec![
                ("WARC-Type".into(), "resource".into()),
                ("WARC-Record-ID".into(), "<urn:uuid:1>".into()),
                ("WARC-Date".into(), "2024-05-01T00:00:00Z".into()),
                ("WARC-Target-URI".into(), "http://a.test/".into()),
                (
                    "WARC-Block-Digest".into(),
                    crate::warc::sha1_digest(b"hello"),
                ),
            ],
            block: b"hello".to_vec(),
        };
        let good = rec.to_bytes();
        let mut bad = good.clone();
        if let Some(p) = bad.windows(5).position(|w| w == b"hello") {
            bad[p] = b'j';
        }
        std::fs::write(dir.join("good.warc"), &good).expect("write");
        std::fs::write(dir.join("bad.warc"), &bad).expect("write");
        let state = dir.join("integrity.json");
        let files: Vec<(String, Stamp)> = ["bad.warc", "good.warc"]
            .iter()
            .filter_map(|n| Stamp::of(&dir.join(n)).map(|s| (n.to_string(), s)))
            .collect();
        let check = Integrity::open(&state, true);
        assert_eq!(
            check.state("good.warc", files[1].1),
            IntegrityState::Pending
        );
        check.run_pending(dir, &files);
        assert!(matches!(
            check.state("good.warc", files[1].1),
            IntegrityState::Ok { .. }
        ));
        match check.state("bad.warc", files[0].1) {
            IntegrityState::Problems { problems, .. } => {
                assert!(
                    problems[0].starts_with("digest at offset 0"),
                    "{problems:?}"
                )
            }
            other => panic!("expected problems, got {other:?}"),
        }
        // Cached across restarts; a changed stamp is pending again.
        let again = Integrity::open(&state, true);
        assert!(matches!(
            again.state("good.warc", files[1].1),
            IntegrityState::Ok { .. }
        ));
        let changed = Stamp {
            size: files[1].1.size + 1,
            ..files[1].1
        };
        assert_eq!(again.state("good.warc", changed), IntegrityState::Pending);
        assert_eq!(
            Integrity::open(&state, false).state("good.warc", files[1].1),
            IntegrityState::Off
        );
    }
}
