//! The SQLite frontier's in-memory index of known URLs: a 96-bit key of each URL → the
//! smallest depth and priority written for it.
//!
//! Re-adding a known link (most of the ~100 links of a page) then costs no database
//! statement when it would change nothing. One entry is 16 bytes (plus hashbrown's control
//! byte and at most 1/8 of empty slots): about 290 MiB for 10 million URLs, half the size
//! of a `HashMap<(u64, u64), (u32, u8)>`. The key is two SipHash values of the URL; two
//! different URLs share one with a chance of about 10^-15 among 10 million URLs.

use std::hash::{DefaultHasher, Hash, Hasher};

use hashbrown::HashTable;

/// The key of a URL in [`KnownUrls`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UrlKey {
    /// 64 bits of SipHash, also the hash of the table.
    hash: u64,
    /// 32 more bits, from a second SipHash with another prefix.
    check: u32,
}

/// Two independent 64-bit SipHash values of `url` (the same hasher with two prefixes): the
/// known-URL keys of both frontier stores are made of them.
pub fn url_hashes(url: &str) -> (u64, u64) {
    let mut a = DefaultHasher::new();
    0u8.hash(&mut a);
    url.hash(&mut a);
    let mut b = DefaultHasher::new();
    1u8.hash(&mut b);
    url.hash(&mut b);
    (a.finish(), b.finish())
}

impl UrlKey {
    /// The key of `url` (its canonical form).
    pub fn of(url: &str) -> UrlKey {
        let (hash, second) = url_hashes(url);
        UrlKey {
            hash,
            // The low half of the second hash (truncation intended).
            check: second as u32,
        }
    }
}

/// One known URL (16 bytes).
#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    check: u32,
    depth: u16,
    priority: u8,
}

impl Entry {
    fn is(&self, key: UrlKey) -> bool {
        self.hash == key.hash && self.check == key.check
    }
}

/// The smallest depth and priority known for a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAs {
    depth: u16,
    priority: u8,
}

impl KnownAs {
    /// True if the URL is known at `depth` or shallower and at `priority` or better:
    /// adding it again would change nothing.
    pub fn covers(self, depth: u32, priority: i64) -> bool {
        self.depth <= depth16(depth) && i64::from(self.priority) <= priority
    }
}

/// The smallest depth (saturating at 65,535) and priority (0 to 255) known for each URL.
#[derive(Default)]
pub struct KnownUrls {
    table: HashTable<Entry>,
}

impl std::fmt::Debug for KnownUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownUrls")
            .field("len", &self.table.len())
            .finish()
    }
}

/// Depth as kept in the index.
fn depth16(depth: u32) -> u16 {
    u16::try_from(depth).unwrap_or(u16::MAX)
}

/// Priority as kept in the index.
pub fn priority8(priority: i64) -> u8 {
    u8::try_from(priority.clamp(0, 255)).unwrap_or(u8::MAX)
}

impl KnownUrls {
    /// An empty index.
    pub fn new() -> KnownUrls {
        KnownUrls::default()
    }

    /// How `key` is known, if it is.
    pub fn get(&self, key: UrlKey) -> Option<KnownAs> {
        self.table.find(key.hash, |e| e.is(key)).map(|e| KnownAs {
            depth: e.depth,
            priority: e.priority,
        })
    }

    /// Records `key` at `depth` and `priority` (keeping the smallest of each).
    pub fn remember(&mut self, key: UrlKey, depth: u32, priority: u8) {
        let depth = depth16(depth);
        match self.table.find_mut(key.hash, |e| e.is(key)) {
            Some(e) => {
                e.depth = e.depth.min(depth);
                e.priority = e.priority.min(priority);
            }
            None => {
                self.table.insert_unique(
                    key.hash,
                    Entry {
                        hash: key.hash,
                        check: key.check,
                        depth,
                        priority,
                    },
                    |e| e.hash,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn remembers_the_smallest_depth_and_priority() {
        let mut known = KnownUrls::new();
        let a = UrlKey::of("https://a.test/1");
        let b = UrlKey::of("https://a.test/2");
        assert_ne!(a, b);
        assert!(known.get(a).is_none());
        known.remember(a, 3, 3);
        assert!(known.get(a).is_some() && known.get(b).is_none());
        assert!(known.get(a).is_some_and(|k| k.covers(3, 3)));
        assert!(known.get(a).is_some_and(|k| k.covers(4, 3)));
        assert!(
            !known.get(a).is_some_and(|k| k.covers(2, 3)),
            "shallower is news"
        );
        assert!(
            !known.get(a).is_some_and(|k| k.covers(3, 1)),
            "higher priority is news"
        );
        known.remember(a, 5, 1);
        assert!(
            known.get(a).is_some_and(|k| k.covers(3, 1)),
            "depth kept at 3, priority raised to 1"
        );
        assert!(!known.get(a).is_some_and(|k| k.covers(2, 1)));
        known.remember(a, 100_000, 0);
        assert!(known.get(a).is_some_and(|k| k.covers(3, 0)));
        assert_eq!(known.table.len(), 1);
    }

    #[test]
    fn deep_links_saturate() {
        let mut known = KnownUrls::new();
        let a = UrlKey::of("https://a.test/deep");
        known.remember(a, 70_000, 3);
        assert!(known.get(a).is_some_and(|k| k.covers(70_000, 3)));
        assert!(known.get(a).is_some_and(|k| k.covers(65_535, 3)));
        assert!(!known.get(a).is_some_and(|k| k.covers(65_534, 3)));
    }

    #[test]
    fn many_urls_stay_distinct() {
        let mut known = KnownUrls::new();
        for i in 0..50_000 {
            known.remember(UrlKey::of(&format!("https://h{}.test/{i}", i % 97)), 1, 3);
        }
        assert_eq!(known.table.len(), 50_000);
        assert!(known.get(UrlKey::of("https://h5.test/5")).is_some());
        assert!(known.get(UrlKey::of("https://h5.test/50000")).is_none());
    }
}
