//! Per-host rate limits (one governor limiter per host) and in-flight caps.

use std::time::Duration;

use crate::config::HostPolicy;

/// Gatekeeper of every host: a request waits here until its host's rate limiter,
/// in-flight cap and any backoff allow it.
#[derive(Debug)]
pub struct HostGate {}

/// Held while a request is in flight; dropping it frees the host's slot.
#[derive(Debug)]
pub struct HostPermit {}

impl HostGate {
    /// A gate with no hosts yet; each host is configured on first use from `policy_for`.
    pub fn new() -> HostGate {
        todo!()
    }

    /// Waits until a request to `host` is allowed, then returns a permit.
    pub async fn acquire(&self, host: &str, policy: &HostPolicy) -> HostPermit {
        todo!("{host}{policy:?}")
    }

    /// Slows `host` to at least `delay` between requests (robots `Crawl-delay`); never speeds it up.
    pub fn set_min_delay(&self, host: &str, delay: Duration) {
        todo!("{host}{delay:?}")
    }

    /// Pauses `host` for `delay` (Retry-After, or exponential backoff after errors).
    pub fn pause(&self, host: &str, delay: Duration) {
        todo!("{host}{delay:?}")
    }
}
