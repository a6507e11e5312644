//! Where pages are read (decoded, parsed, their article extracted): on the blocking pool,
//! a bounded number at a time.
//!
//! Reading is CPU work. With a thousand hosts in flight, a thousand pages may arrive at
//! once; read each on a thread of its own and the pool grows to hundreds of threads that
//! share two cores, each with its parse tree and its malloc arena: more memory and more
//! CPU per page (switching, cache misses) for no more pages per second. A page waits here,
//! as a task, for one of as many slots as the machine has cores.
//!
//! A page read is then held until its links are in the frontier: the links of a sitemap of
//! 500 URLs take about eight times its body. When a thousand hosts answer their sitemaps
//! at once, their links wait for the one frontier together (400,000 URLs, 300 MiB on the
//! many-hosts benchmark). So a page is read only once its body fits in the bodies in hand
//! ([`PageReaders::hold`], [`BODIES_IN_HAND`]): the others wait as fetched bodies.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

/// Bytes of the bodies of the pages read and not yet recorded in the frontier, at most (a
/// bigger page is read alone).
pub(super) const BODIES_IN_HAND: usize = 8 << 20;

/// The slots of page reading.
#[derive(Debug, Clone)]
pub(super) struct PageReaders {
    slots: Arc<Semaphore>,
    /// [`BODIES_IN_HAND`], in KiB.
    in_hand: Arc<Semaphore>,
}

impl PageReaders {
    /// `slots` readers at once (at least one).
    pub(super) fn new(slots: usize) -> PageReaders {
        PageReaders {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            in_hand: Arc::new(Semaphore::new(BODIES_IN_HAND >> 10)),
        }
    }

    /// Waits until a body of `bytes` fits in [`BODIES_IN_HAND`]; the page's share is given
    /// back when the permit is dropped (once its links are in the frontier).
    pub(super) async fn hold(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let kib = (bytes >> 10).clamp(1, BODIES_IN_HAND >> 10);
        let kib = u32::try_from(kib).unwrap_or(u32::MAX);
        // The semaphore is never closed; without a permit, go on.
        Arc::clone(&self.in_hand).acquire_many_owned(kib).await.ok()
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
    async fn bodies_in_hand_are_bounded_and_a_big_one_goes_alone() {
        let readers = PageReaders::new(2);
        let half = readers.hold(BODIES_IN_HAND / 2).await.expect("permit");
        let quarter = readers.hold(BODIES_IN_HAND / 4).await.expect("permit");
        // Another half does not fit until the first half is given back.
        let waiting =
            tokio::time::timeout(Duration::from_millis(50), readers.hold(BODIES_IN_HAND / 2));
        assert!(waiting.await.is_err(), "more than the bound in hand");
        drop(half);
        let second = readers.hold(BODIES_IN_HAND / 2).await.expect("permit");
        drop((quarter, second));
        // A body bigger than the whole bound is held alone.
        let huge = readers.hold(BODIES_IN_HAND * 4).await.expect("permit");
        let small = tokio::time::timeout(Duration::from_millis(50), readers.hold(100));
        assert!(small.await.is_err(), "a big body is read alone");
        drop(huge);
        assert!(readers.hold(100).await.is_some());
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
