//! When to ask again: the server's `Retry-After`, or an exponential backoff.

use std::time::Duration;

use crate::capture::Capture;
use crate::config::HostPolicy;
use crate::politeness::{backoff_delay, parse_retry_after};

/// When a response asks to come back later (429, 5xx) and retries remain: how long to wait.
pub(super) fn retry_delay(
    capture: &Capture,
    attempts: u32,
    policy: &HostPolicy,
) -> Option<Duration> {
    let status = capture.status;
    if !(status == 429 || (500..600).contains(&status)) || attempts >= policy.retries {
        return None;
    }
    let backoff = backoff_delay(attempts, Duration::from_secs(2), Duration::from_secs(600));
    Some(asked_delay(capture).unwrap_or(backoff))
}

/// The `Retry-After` of a 429 or 503 (seconds or HTTP-date), at least 100 ms.
pub(super) fn asked_delay(capture: &Capture) -> Option<Duration> {
    (capture.status == 429 || capture.status == 503)
        .then(|| capture.header("retry-after"))
        .flatten()
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()))
        .map(|d| d.max(Duration::from_millis(100)))
}
