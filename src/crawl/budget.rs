//! The `--max-pages` budget: a page is reserved before a URL is claimed and given back
//! unless it was fetched.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Shared;

/// A page of the `--max-pages` budget, taken before a URL is claimed. It is given back
/// when dropped, unless [`PageReservation::keep`] says the page was fetched: a URL that
/// is skipped, denied, failed or left in flight costs no page.
pub(super) struct PageReservation {
    shared: Arc<Shared>,
    kept: bool,
}

impl PageReservation {
    /// Takes a page of the budget; `None` (and nothing taken) when it is spent.
    pub(super) fn take(shared: &Arc<Shared>) -> Option<PageReservation> {
        let taken_before = shared.started_pages.fetch_add(1, Ordering::SeqCst);
        let reservation = PageReservation {
            shared: Arc::clone(shared),
            kept: false,
        };
        // Over the budget: dropping the reservation gives the page back.
        shared
            .max_pages
            .is_none_or(|max| taken_before < max)
            .then_some(reservation)
    }

    /// The page was fetched: it counts.
    pub(super) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for PageReservation {
    fn drop(&mut self) {
        if !self.kept {
            self.shared.started_pages.fetch_sub(1, Ordering::SeqCst);
        }
    }
}
