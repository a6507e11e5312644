//! URL canonicalisation: one spelling per resource, so each is queued and captured once.

use url::Url;

/// Canonical form of a URL for the frontier: scheme and host lower-cased, default port
/// dropped, dot segments resolved, fragment dropped, empty query dropped, and tracking
/// parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`, `mc_eid`) removed.
/// Returns None for schemes other than http and https.
pub fn canonicalize(url: &Url) -> Option<Url> {
    todo!("{url}")
}

/// The host of a URL as used for politeness keys: lower-case, with `:port` when not default.
pub fn host_key(url: &Url) -> Option<String> {
    todo!("{url}")
}
