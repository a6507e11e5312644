//! Where pages are read (decoded, parsed, their article extracted): on the blocking pool,
//! a bounded number at a time.
//!
//! Reading is CPU work. With a thousand hosts in flight, a thousand pages may arrive at
//! once; read each on a thread of its own and the pool grows to hundreds of threads that
//! share two cores, each with its parse tree and its malloc arena: more memory and more
//! CPU per page (switching, cache misses) for no more pages per second. A page waits here,
//! as a task, for one of as many slots as the machine has cores.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// The slots of page reading.
#[derive(Debug, Clone)]
pub(super) struct PageReaders {
    slots: Arc<Semaphore>,
}

impl PageReaders {
    /// `slots` readers at once (at least one).
    pub(super) fn new(slots: usize) -> PageReaders {
        PageReaders {
            slots: Arc::new(Semaphore::new(slots.max(1))),
        }
    }

    /// As many readers as the machine has cores.
    pub(super) fn per_core() -> PageReaders {
        PageReaders::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Runs `read` on the blocking pool once a slot is free; `fallback` of the panic
    /// message if `read` panicked.
    pub(super) fn spawn<T, F>(
        &self,
        read: F,
        fallback: impl FnOnce(String) -> T + Send + 'static,
    ) -> JoinHandle<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slots = Arc::clone(&self.slots);
        tokio::spawn(async move {
            // The semaphore is never closed; without a permit, read anyway.
            let _permit = slots.acquire_owned().await.ok();
            match tokio::task::spawn_blocking(read).await {
                Ok(value) => value,
                Err(e) => fallback(e.to_string()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_readers_run_at_once_than_slots() {
        let readers = PageReaders::new(3);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..24)
            .map(|i| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                readers.spawn(
                    move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(15));
                        running.fetch_sub(1, Ordering::SeqCst);
                        i
                    },
                    |_| usize::MAX,
                )
            })
            .collect();
        let mut done = Vec::new();
        for handle in handles {
            done.push(handle.await.expect("reader task"));
        }
        assert_eq!(done, (0..24).collect::<Vec<_>>(), "every page is read");
        let most = most.load(Ordering::SeqCst);
        assert!(most <= 3, "{most} pages read at once with three slots");
        assert!(most >= 2, "the slots are used together ({most} at most)");
    }

    #[tokio::test]
    async fn a_reader_that_panics_gives_the_fallback() {
        let readers = PageReaders::new(1);
        let read = readers.spawn(
            || -> String { panic!("bad page") },
            |e| format!("failed: {e}"),
        );
        assert!(read.await.expect("task").starts_with("failed:"));
        // The slot was given back.
        let next = readers.spawn(|| "read".to_string(), |e| e);
        assert_eq!(next.await.expect("task"), "read");
    }
}
