//! SQLite frontier on real files: resume after a crash, schema versioning, and throughput
//! of the add / claim / finish cycle the crawl runs for every page.

use std::collections::HashSet;
use std::time::Instant;

use chrono::Utc;
use glaneur::frontier::{Frontier, NewUrl, Outcome, SqliteFrontier, UrlKind};
use url::Url;

/// CPU time of this thread (Linux `schedstat`), to report rates independent of the load
/// of a shared machine; None elsewhere.
fn thread_cpu() -> Option<std::time::Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

/// Wall and CPU time since it was started.
struct Clock(Instant, Option<std::time::Duration>);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), thread_cpu())
    }

    /// "N/s wall, M/s CPU" for `n` operations.
    fn rate(&self, n: usize) -> String {
        let wall = n as f64 / self.0.elapsed().as_secs_f64();
        match (self.1, thread_cpu()) {
            (Some(a), Some(b)) => format!(
                "{wall:.0}/s wall, {:.0}/s CPU",
                n as f64 / (b - a).as_secs_f64()
            ),
            _ => format!("{wall:.0}/s wall"),
        }
    }
}

fn new_url(s: &str, depth: u32, kind: UrlKind, found_on: Option<&Url>) -> NewUrl {
    let url = Url::parse(s).unwrap();
    NewUrl {
        host: glaneur::urls::host_key(&url).unwrap(),
        url,
        site: "test".into(),
        depth,
        kind,
        found_on: found_on.cloned(),
    }
}

#[test]
fn resumes_after_a_crash_without_losing_or_repeating_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let urls: Vec<NewUrl> = (0..50)
        .map(|i| new_url(&format!("http://a.test/p{i}"), 1, UrlKind::Other, None))
        .collect();
    let mut fetched = HashSet::new();
    {
        let mut f = SqliteFrontier::open(&path).unwrap();
        assert_eq!(f.add(&urls).unwrap(), 50);
        f.set_meta("fingerprint", "v1").unwrap();
        let claimed = f.claim("a.test", Utc::now(), 20).unwrap();
        for c in &claimed[..10] {
            f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
            assert!(fetched.insert(c.url.clone()));
        }
        // Dropped with 10 URLs in flight: a crash.
    }
    let mut f = SqliteFrontier::open(&path).unwrap();
    assert_eq!(f.get_meta("fingerprint").unwrap().as_deref(), Some("v1"));
    assert_eq!(f.stats().unwrap().in_flight, 10);
    assert_eq!(f.recover_in_flight().unwrap(), 10);
    assert_eq!(f.add(&urls).unwrap(), 0, "known URLs are not added twice");
    loop {
        let claimed = f.claim("a.test", Utc::now(), 7).unwrap();
        if claimed.is_empty() {
            break;
        }
        for c in claimed {
            assert!(fetched.insert(c.url.clone()), "{} fetched twice", c.url);
            f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
        }
    }
    assert_eq!(fetched.len(), 50);
    let stats = f.stats().unwrap();
    assert_eq!((stats.fetched, stats.pending, stats.in_flight), (50, 0, 0));
    assert_eq!(f.next_due().unwrap(), None);
    assert_eq!(f.schema_version().unwrap(), 4);
}

#[test]
fn refuses_newer_schema_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    drop(SqliteFrontier::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteFrontier::open(&path).unwrap_err().to_string();
    assert!(err.contains("schema version 99"), "{err}");
    assert!(err.contains("state.sqlite"), "{err}");

    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let err = SqliteFrontier::open(&junk).unwrap_err().to_string();
    assert!(err.contains("junk.sqlite"), "{err}");

    let err = SqliteFrontier::open(&dir.path().join("no/such/dir/state.sqlite"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("state.sqlite"), "{err}");
}

/// The capture state the crawl stores for a page fetched at `at`.
fn capture(at: chrono::DateTime<Utc>) -> glaneur::frontier::CaptureState {
    glaneur::frontier::CaptureState {
        captured_at: at,
        first_captured_at: at,
        status: 200,
        etag: None,
        last_modified: None,
        payload_digest: "sha1:AAAA".into(),
        record: glaneur::frontier::StoredRecord {
            file: "glaneur-00000.warc.zst".into(),
            offset: 0,
            id: "<urn:uuid:00000000-0000-4000-8000-000000000001>".into(),
            date: at,
        },
        described: true,
    }
}

/// The crawl's cycle on a file: per page, claim, finish, and add ~100 links of which many
/// are already known. Prints the rates; asserts every URL is fetched exactly once.
#[test]
fn throughput_of_add_claim_finish() {
    const HOSTS: usize = 10;
    // 20k by default to keep `cargo test` short; FRONTIER_BENCH_URLS=100000 for the
    // figures in the report.
    let pages: usize = std::env::var("FRONTIER_BENCH_URLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    #[allow(non_snake_case)]
    let PAGES = pages;
    let dir = tempfile::tempdir().unwrap();
    let mut f = SqliteFrontier::open(&dir.path().join("state.sqlite")).unwrap();
    let url_of = |i: usize| format!("http://h{}.test/article-{i}.html", i % HOSTS);

    let cpu_start = thread_cpu();
    let wall_start = Instant::now();
    // Phase 1: 100k new URLs added in batches of 100 (one batch per page).
    let t = Clock::start();
    let mut added = 0;
    for batch in (0..PAGES).collect::<Vec<_>>().chunks(100) {
        let links: Vec<NewUrl> = batch
            .iter()
            .map(|&i| new_url(&url_of(i), 1, UrlKind::Article, None))
            .collect();
        added += f.add(&links).unwrap();
    }
    let add_new = t.rate(PAGES);
    assert_eq!(added, PAGES);

    // Phase 2: the same 100k again (links already known), batches of 100.
    let t = Clock::start();
    for batch in (0..PAGES).collect::<Vec<_>>().chunks(100) {
        let links: Vec<NewUrl> = batch
            .iter()
            .map(|&i| new_url(&url_of(i), 2, UrlKind::Other, None))
            .collect();
        assert_eq!(f.add(&links).unwrap(), 0);
    }
    let add_known = t.rate(PAGES);

    // Phase 3: claim (batches of 8 per host, round robin) and finish every URL.
    let t = Clock::start();
    let mut done = 0;
    let mut seen = HashSet::new();
    loop {
        let now = Utc::now();
        let hosts = f.ready_hosts(now).unwrap();
        if hosts.is_empty() {
            break;
        }
        for host in hosts {
            for c in f.claim(&host, now, 8).unwrap() {
                assert!(seen.insert(c.id));
                f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
                done += 1;
            }
        }
    }
    let claim_finish = t.rate(PAGES);
    assert_eq!(done, PAGES);

    // Phase 4: the crawl's mixed cycle: claim one page, record its outcome and capture and
    // add its 100 links in one transaction (`finish_capture`, as the crawl does)
    // (10 new, 90 known), for a tenth as many pages.
    let t = Clock::start();
    let mut next_new = PAGES;
    let mut pages = 0;
    let mut in_add = std::time::Duration::ZERO;
    let seed = new_url("http://h0.test/", 0, UrlKind::Start, None);
    f.add(std::slice::from_ref(&seed)).unwrap();
    let cycles = PAGES / 10;
    while pages < cycles {
        let now = Utc::now();
        let hosts = f.ready_hosts(now).unwrap();
        let Some(host) = hosts.first() else { break };
        for c in f.claim(host, now, 1).unwrap() {
            let mut links = Vec::with_capacity(100);
            for k in 0..90 {
                links.push(new_url(
                    &url_of((pages * 7 + k) % PAGES),
                    2,
                    UrlKind::Other,
                    Some(&c.url),
                ));
            }
            for _ in 0..10 {
                links.push(new_url(
                    &url_of(next_new),
                    2,
                    UrlKind::Article,
                    Some(&c.url),
                ));
                next_new += 1;
            }
            let t_add = Instant::now();
            assert_eq!(
                f.finish_capture(
                    c.id,
                    &Outcome::Fetched { status: 200 },
                    &capture(now),
                    &links
                )
                .unwrap(),
                10
            );
            in_add += t_add.elapsed();
            pages += 1;
        }
    }
    let mixed_wall = t.0.elapsed();
    let mixed = t.rate(pages);
    assert_eq!(pages, cycles);

    let wall = wall_start.elapsed();
    if let (Some(a), Some(b)) = (cpu_start, thread_cpu()) {
        println!(
            "frontier benchmark: {:.1} s wall, {:.1} s on CPU ({:.0}% of the wall time: the rest is waiting for the CPU or the disk)",
            wall.as_secs_f64(),
            (b - a).as_secs_f64(),
            100.0 * (b - a).as_secs_f64() / wall.as_secs_f64()
        );
    }
    println!(
        "frontier throughput ({PAGES} URLs, {HOSTS} hosts): add new URLs {add_new}; add known URLs {add_known}; \
         claim+finish {claim_finish}; crawl cycle (claim 1, finish_capture with 100 links, 10 new) {mixed} pages \
         ({:.0}% of it in finish_capture)",
        100.0 * in_add.as_secs_f64() / mixed_wall.as_secs_f64(),
    );
}

#[test]
fn requeue_lost_forgets_captures_moved_aside_by_a_repair() {
    let mut f = glaneur::frontier::SqliteFrontier::open_in_memory().expect("in memory");
    crate::frontier_postgres::requeue_lost_contract(&mut f);
}
