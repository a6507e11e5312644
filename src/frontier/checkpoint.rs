//! Background WAL checkpoints for the SQLite frontier.
//!
//! In WAL mode every committed page is written twice: appended to the `-wal` file at
//! commit, then copied into the database by a checkpoint (with an fsync). SQLite runs the
//! checkpoint inside the commit that crosses `wal_autocheckpoint`, on the writer's thread:
//! with a large frontier that copy was a sixth of the time spent adding URLs. Here a
//! thread of its own, with its own connection, runs a `PASSIVE` checkpoint every second
//! (never waiting for, nor blocking, the writer), so the writer only appends; its own
//! auto-checkpoint stays as a backstop for a WAL that grows past it anyway.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::FrontierError;

/// How often the WAL is checkpointed.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread; stopped (after a last checkpoint) when dropped.
pub struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer").finish_non_exhaustive()
    }
}

/// One passive checkpoint; errors (a locked or vanished file) are logged, not fatal: the
/// writer's own auto-checkpoint still bounds the WAL.
fn checkpoint(conn: &Connection) {
    let outcome = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    });
    match outcome {
        Ok((in_wal, copied)) => tracing::trace!("checkpoint: {copied} of {in_wal} WAL pages"),
        Err(e) => tracing::debug!("frontier checkpoint: {e}"),
    }
}

impl Checkpointer {
    /// Starts checkpointing the WAL of the database at `path`.
    pub fn start(path: &Path) -> Result<Checkpointer, FrontierError> {
        let conn = Connection::open(path)?;
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("frontier-checkpoint".into())
            .spawn(move || {
                let (lock, wake) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                while !*stopped {
                    stopped = wake
                        .wait_timeout(stopped, CHECKPOINT_EVERY)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                    if !*stopped {
                        drop(stopped);
                        checkpoint(&conn);
                        stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                    }
                }
            })
            .map_err(|source| FrontierError::Io {
                context: "cannot start the checkpoint thread".into(),
                source,
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("frontier checkpoint thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_the_wal_into_the_database_while_the_writer_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let writer = Connection::open(&path).unwrap();
        let _: String = writer
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        writer
            .execute_batch("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a');")
            .unwrap();
        let db_size = || std::fs::metadata(&path).unwrap().len();
        let before = db_size();
        let checkpointer = Checkpointer::start(&path).unwrap();
        std::thread::sleep(CHECKPOINT_EVERY + Duration::from_millis(500));
        // The table reached the database file (it grew), with no checkpoint by the writer.
        assert!(db_size() > before, "{} > {before}", db_size());
        writer.execute("INSERT INTO t VALUES ('b')", []).unwrap();
        drop(checkpointer);
        let n: i64 = writer
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn stops_at_once_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        Connection::open(&path).unwrap();
        let started = std::time::Instant::now();
        drop(Checkpointer::start(&path).unwrap());
        assert!(started.elapsed() < CHECKPOINT_EVERY);
    }
}
