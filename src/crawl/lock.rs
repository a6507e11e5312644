//! One run at a time per state file: an exclusive advisory lock (`flock` on Unix) on
//! `<state>.lock`, held for the whole run. The kernel releases it when the process ends,
//! however it ends (SIGKILL included), so a crashed run never leaves it stuck. The file
//! holds the pid and start time of the holder, for the error message of a second run.
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

/// The lock of a state file; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct StateLock {
    file: File,
    path: PathBuf,
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
    pub fn acquire_worker(archive: &Path, name: &str) -> Result<StateLock, LockError> {
        let path = Self::worker_path(archive, name);
        match Self::take(&path, true)? {
            Ok(lock) => Ok(lock),
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
            remove,
            wrote: true,
        }))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
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
