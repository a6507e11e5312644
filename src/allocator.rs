//! The process's memory allocator: mimalloc, tuned to give freed memory back at once.
//!
//! mimalloc instead of the system allocator: glibc's malloc and free took about a fifth of
//! the crawl's CPU at 2,000 hosts (page parsing, HTTP, SQLite all allocate per page), and
//! its per-thread arenas kept freed memory resident (BENCHMARKS.md, Scale). Built without
//! transparent huge pages (`no_thp`): with them, every page mimalloc touched after a purge
//! came back as 2 MiB zeroed by the kernel (peak RSS of the 2,000-article crawl 170–280 MiB
//! instead of about 80).
//!
//! Freed memory is purged (given back to the system) at once rather than after mimalloc
//! v3's default delay of one second: a crawl of 2,000 hosts frees and allocates page
//! bodies, parse trees and connection buffers on several threads all the time, and the
//! delay kept a steady 395 MiB resident where 278 MiB were enough (peak 523 → 476 MiB),
//! at no cost in CPU per page (BENCHMARKS.md, session 13).
//!
//! The `system-alloc` feature leaves mimalloc out, for heap profilers that watch the
//! system allocator (heaptrack; see docs/development.md).

#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (`mimalloc.h`; the Rust bindings
/// name no constant for it). Checked against its default by a test.
#[cfg(not(feature = "system-alloc"))]
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator's options; called first thing in `main`. An environment variable
/// `MIMALLOC_PURGE_DELAY` still wins, for experiments.
pub fn configure() {
    #[cfg(not(feature = "system-alloc"))]
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option value; mimalloc reads options atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
    }
}

#[cfg(all(test, not(feature = "system-alloc")))]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        assert!(
            std::env::var_os("MIMALLOC_PURGE_DELAY").is_none(),
            "this test reads mimalloc's defaults: unset MIMALLOC_PURGE_DELAY"
        );
        // SAFETY: reads and sets option values.
        let default = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc v3's options.c: a purge delay of 1,000 ms (no neighbouring option has
        // that default): the number names the purge delay.
        assert_eq!(default, 1000);
        configure();
        let now = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(now, 0);
    }
}
