//! One run at a time per state file: an exclusive advisory lock (`flock` on Unix) on
//! `<state>.lock`, held for the whole run. The kernel releases it when the process ends,
//! however it ends (SIGKILL included), so a crashed run never leaves it stuck. The file
//! holds the pid and start time of the holder, for the error message of a second run.
//!
//! One writer per archive folder: every crawl also locks `<archive>/.glaneur.lock`
//! ([`ARCHIVE_LOCK_FILE`]), exclusively with a SQLite state (its pid and state file are
//! written in it), shared by the workers of a PostgreSQL state (each guards its own
//! `.open` files with its worker lock). Two crawls with different state files on one
//! folder, or a SQLite crawl beside workers, are refused: the second exits with code 3
//! naming the holder, and never repairs the live `.open` files of the first.
//!
//! With a PostgreSQL state, several workers share one archive directory: each holds the
//! lock of its own name, `<archive>/glaneur-worker-<name>.lock`, which guards its `.open`
//! WARC files. A lock file that can be taken belongs to a worker that is gone: its `.open`
//! files may be repaired ([`StateLock::try_take`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Worker lock files: `glaneur-worker-<name>.lock`.
const WORKER_LOCK_PREFIX: &str = "glaneur-worker-";
const WORKER_LOCK_SUFFIX: &str = ".lock";

/// The archive folder's lock file (see the module documentation).
pub const ARCHIVE_LOCK_FILE: &str = ".glaneur.lock";

/// The lock of a state file; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
    /// The archive folder's lock, held with the state's.
    archive: Option<File>,
    /// Remove the file when released (worker locks: one per worker name).
    remove: bool,
    /// We wrote our pid in it: clear it when released.
    wrote: bool,
}

/// The lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error(
        "another glaneur run holds the lock {path} ({holder}): one run at a time per state file"
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote (pid and start time), or "unknown holder".
        holder: String,
    },
    /// Another crawl writes to this archive folder.
    #[error(
        "another glaneur crawl writes to this archive folder ({holder}, lock {path}): one writer per archive folder; wait for it to end or use another --archive"
    )]
    ArchiveHeld {
        /// The archive lock file.
        path: PathBuf,
        /// Who holds it (pid and state file, or the PostgreSQL workers).
        holder: String,
    },
    /// Another process runs a worker of this name on this archive directory.
    #[error(
        "another glaneur worker named {worker:?} runs on this archive directory ({holder}, lock {path}): give each worker its own --worker name"
    )]
    WorkerHeld {
        /// The lock file.
        path: PathBuf,
        /// The worker name.
        worker: String,
        /// What the holder wrote (pid and start time), or "unknown holder".
        holder: String,
    },
    /// A live worker of the shared state (maybe on another machine) has this name.
    #[error("{0}")]
    WorkerTaken(String),
    /// The lock file could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

impl StateLock {
    /// The lock file of a state file: `<state>.lock`.
    pub fn path_for(state: &Path) -> PathBuf {
        let mut name = state.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the lock of `state` without waiting, and writes our pid and start time in it.
    pub fn acquire(state: &Path) -> Result<StateLock, LockError> {
        let path = Self::path_for(state);
        match Self::take(&path, false)? {
            Ok(lock) => Ok(lock),
            Err(holder) => Err(LockError::Held { path, holder }),
        }
    }

    /// Takes the lock of `state` and, exclusively, the lock of the `archive` folder it
    /// writes to (one writer per folder, whatever its state file).
    pub fn acquire_with_archive(state: &Path, archive: &Path) -> Result<StateLock, LockError> {
        let mut lock = Self::acquire(state)?;
        lock.archive = Some(lock_archive(archive, Some(state))?);
        Ok(lock)
    }

    /// The lock file of worker `name` in `archive`: `glaneur-worker-<name>.lock`.
    pub fn worker_path(archive: &Path, name: &str) -> PathBuf {
        archive.join(format!("{WORKER_LOCK_PREFIX}{name}{WORKER_LOCK_SUFFIX}"))
    }

    /// The worker name of a worker lock file name, if it is one.
    pub fn worker_of_lock(file_name: &str) -> Option<&str> {
        file_name
            .strip_prefix(WORKER_LOCK_PREFIX)?
            .strip_suffix(WORKER_LOCK_SUFFIX)
            .filter(|n| !n.is_empty())
    }

    /// Takes the lock of worker `name` on `archive` (the file is removed when released).
    /// Also shares the archive folder's lock with the other workers (a SQLite crawl
    /// cannot write there meanwhile).
    pub fn acquire_worker(archive: &Path, name: &str) -> Result<StateLock, LockError> {
        let archive_lock = lock_archive(archive, None)?;
        let path = Self::worker_path(archive, name);
        match Self::take(&path, true)? {
            Ok(mut lock) => {
                lock.archive = Some(archive_lock);
                Ok(lock)
            }
            Err(holder) => Err(LockError::WorkerHeld {
                path,
                worker: name.to_string(),
                holder,
            }),
        }
    }

    /// Takes an existing lock file if nobody holds it (its holder is gone); `None` if held.
    /// The file is left as it is (see [`StateLock::remove_on_release`]).
    pub fn try_take(path: &Path) -> Result<Option<StateLock>, LockError> {
        Ok(Self::take_with(path, false, false)?.ok())
    }

    /// Removes the lock file when the lock is released (a gone worker's, taken over).
    pub fn remove_on_release(&mut self) {
        self.remove = true;
    }

    /// Takes the lock at `path` without waiting: `Err(holder)` when held by another.
    fn take(path: &Path, remove: bool) -> Result<Result<StateLock, String>, LockError> {
        Self::take_with(path, remove, true)
    }

    fn take_with(
        path: &Path,
        remove: bool,
        write_holder: bool,
    ) -> Result<Result<StateLock, String>, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().to_string();
                return Ok(Err(if holder.is_empty() {
                    "unknown holder".into()
                } else {
                    holder
                }));
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        if !write_holder {
            return Ok(Ok(StateLock {
                file,
                path: path.to_path_buf(),
                archive: None,
                remove,
                wrote: false,
            }));
        }
        let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let info = format!("pid {} since {stamp}\n", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(info.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
        Ok(Ok(StateLock {
            file,
            path: path.to_path_buf(),
            archive: None,
            remove,
            wrote: true,
        }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Locks `<archive>/.glaneur.lock` without waiting: exclusively for the crawl of `state`
/// (SQLite; its pid and state are written in the file), shared when `state` is `None`
/// (a PostgreSQL worker). The lock lives as long as the returned file.
fn lock_archive(archive: &Path, state: Option<&Path>) -> Result<File, LockError> {
    let path = archive.join(ARCHIVE_LOCK_FILE);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(archive).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let taken = match state {
        Some(_) => file.try_lock(),
        None => file.try_lock_shared(),
    };
    match taken {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim().to_string();
            let holder = if holder.is_empty() {
                workers_of(archive)
            } else {
                holder
            };
            return Err(LockError::ArchiveHeld { path, holder });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    if state.is_none() {
        // What a killed exclusive holder left in it names nobody now.
        file.set_len(0).map_err(io)?;
    }
    if let Some(state) = state {
        let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let info = format!(
            "pid {} with state {} since {stamp}\n",
            std::process::id(),
            state.display()
        );
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(info.as_bytes()))
            .and_then(|()| file.flush())
            .map_err(io)?;
    }
    Ok(file)
}

/// The holders of a shared archive lock, as the message of a refused writer says them.
fn workers_of(archive: &Path) -> String {
    let mut names: Vec<String> = std::fs::read_dir(archive)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    StateLock::worker_of_lock(&e.file_name().to_string_lossy()).map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    if names.is_empty() {
        "unknown holder".into()
    } else {
        format!("PostgreSQL worker(s) {}", names.join(", "))
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // A state lock file stays (removing it would race with a run opening it). A worker
        // lock is removed while still held: a process that opened it just before fails
        // to lock it and reports it held; one that opens it after creates a new file.
        if self.remove {
            let _ = std::fs::remove_file(&self.path);
        }
        if self.remove || self.wrote {
            let _ = self.file.set_len(0);
        }
        let _ = self.file.unlock();
        if let Some(archive) = self.archive.take() {
            // Only an exclusive holder wrote in it; a shared one leaves it as it is.
            if self.wrote {
                let _ = archive.set_len(0);
            }
            let _ = archive.unlock();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_holder_then_released() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.sqlite");
        let lock = StateLock::acquire(&state).unwrap();
        assert_eq!(lock.path(), dir.path().join("state.sqlite.lock"));
        match StateLock::acquire(&state) {
            Err(LockError::Held { holder, .. }) => {
                assert!(
                    holder.contains(&format!("pid {}", std::process::id())),
                    "{holder}"
                );
            }
            other => panic!("expected Held, got {other:?}"),
        }
        drop(lock);
        let again = StateLock::acquire(&state);
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn worker_locks_are_per_name_and_removed_when_released() {
        let dir = tempfile::tempdir().unwrap();
        let a = StateLock::acquire_worker(dir.path(), "w1").unwrap();
        assert_eq!(
            a.path().file_name().and_then(|n| n.to_str()),
            Some("glaneur-worker-w1.lock")
        );
        assert_eq!(
            StateLock::worker_of_lock("glaneur-worker-w1.lock"),
            Some("w1")
        );
        assert_eq!(StateLock::worker_of_lock("state.sqlite.lock"), None);
        // Another name on the same directory is fine; the same name is refused.
        let b = StateLock::acquire_worker(dir.path(), "w2").unwrap();
        assert!(matches!(
            StateLock::acquire_worker(dir.path(), "w1"),
            Err(LockError::WorkerHeld { .. })
        ));
        // A held lock cannot be taken over; a released one can (and is then removed).
        assert!(StateLock::try_take(a.path()).unwrap().is_none());
        let path = a.path().to_path_buf();
        drop(a);
        assert!(!path.exists(), "removed when released");
        std::fs::write(&path, "pid 1 since then\n").unwrap();
        let taken = StateLock::try_take(&path).unwrap();
        assert!(taken.is_some());
        drop(taken);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "pid 1 since then\n",
            "a lock only peeked at is left as it was"
        );
        let mut taken = StateLock::try_take(&path).unwrap().unwrap();
        taken.remove_on_release();
        drop(taken);
        assert!(!path.exists());
        drop(b);
    }
}
