//! The SQLite store's own behaviour: grouped commits, reopening, migrations, the claim
//! index (the `Frontier` contract itself is tested on both stores in `tests/it`).

use super::*;
use crate::frontier::UrlKind;
use chrono::TimeDelta;

fn new_url(s: &str, depth: u32, kind: UrlKind) -> NewUrl {
    let url = Url::parse(s).unwrap();
    NewUrl {
        host: crate::urls::host_key(&url).unwrap(),
        url,
        site: "test".into(),
        depth,
        kind,
        found_on: None,
    }
}

#[test]
fn batched_writes_are_committed_by_size_age_claims_and_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let count_on_disk = |state: &str| -> i64 {
        let c = Connection::open(&path).unwrap();
        c.query_row("SELECT COUNT(*) FROM urls WHERE state = ?1", [state], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let mut f = SqliteFrontier::open(&path).unwrap();
    f.batch_commits(3, Duration::from_secs(3600));
    f.add(&[new_url("http://a.test/1", 0, UrlKind::Start)])
        .unwrap();
    f.add(&[new_url("http://a.test/2", 1, UrlKind::Other)])
        .unwrap();
    // Visible to this frontier, not yet on disk.
    assert_eq!(f.len().unwrap(), 2);
    assert_eq!(count_on_disk("pending"), 0);
    // A claim commits at once, with the group before it.
    let now = Utc::now();
    let claimed = f.claim("a.test", now, 1).unwrap();
    assert_eq!(count_on_disk("in_flight"), 1);
    assert_eq!(count_on_disk("pending"), 1);
    // Outcomes wait for the group to fill up (3 calls).
    f.finish(claimed[0].id, &Outcome::Fetched { status: 200 })
        .unwrap();
    f.add(&[new_url("http://a.test/3", 1, UrlKind::Other)])
        .unwrap();
    assert_eq!(count_on_disk("fetched"), 0);
    // A failed call undoes its own changes only.
    assert!(f.finish(999, &Outcome::RobotsDenied).is_err());
    f.add(&[new_url("http://a.test/4", 1, UrlKind::Other)])
        .unwrap();
    assert_eq!(count_on_disk("fetched"), 1);
    assert_eq!(count_on_disk("pending"), 3);
    f.add(&[new_url("http://a.test/5", 1, UrlKind::Other)])
        .unwrap();
    assert_eq!(count_on_disk("pending"), 3);
    drop(f);
    assert_eq!(count_on_disk("pending"), 4);

    // By age: a read after the age limit commits.
    let mut f = SqliteFrontier::open(&path).unwrap();
    f.batch_commits(1000, Duration::from_millis(20));
    f.add(&[new_url("http://a.test/6", 1, UrlKind::Other)])
        .unwrap();
    assert_eq!(count_on_disk("pending"), 4);
    std::thread::sleep(Duration::from_millis(30));
    f.ready_hosts(Utc::now()).unwrap();
    assert_eq!(count_on_disk("pending"), 5);
}

#[test]
fn reopened_file_knows_its_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let links = [
        new_url("http://a.test/1", 3, UrlKind::Other),
        new_url("http://a.test/2", 3, UrlKind::Other),
    ];
    assert_eq!(SqliteFrontier::open(&path).unwrap().add(&links).unwrap(), 2);
    let mut f = SqliteFrontier::open(&path).unwrap();
    assert_eq!(f.add(&links).unwrap(), 0);
    // A shallower sighting after reopening still lowers the depth.
    f.add(&[new_url("http://a.test/2", 1, UrlKind::Related)])
        .unwrap();
    let rec = f.lookup(&links[1].url).unwrap().unwrap();
    assert_eq!((rec.depth, rec.kind), (1, UrlKind::Related));
}

#[test]
fn version_2_files_lose_the_due_index_and_keep_their_queue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(MIGRATE_V2).unwrap();
        conn.execute_batch("CREATE INDEX urls_due ON urls (host, due_at) WHERE state = 'pending';")
            .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO urls (url, host, site, depth, kind, priority, due_at, added_at)
             VALUES ('http://a.test/1', 'a.test', 'test', 1, 'other', 3, 0, 0),
                    ('http://b.test/1', 'b.test', 'test', 1, 'other', 3, 4e15, 0)",
            [],
        )
        .unwrap();
    }
    let mut f = SqliteFrontier::open(&path).unwrap();
    assert_eq!(f.schema_version().unwrap(), SCHEMA_VERSION);
    let due_index: i64 = f
        .conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'urls_due'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(due_index, 0);
    // a.test is due, b.test only far in the future; both URLs are still known.
    assert_eq!(f.ready_hosts(Utc::now()).unwrap(), vec!["a.test"]);
    assert_eq!(
        f.add(&[new_url("http://b.test/1", 1, UrlKind::Other)])
            .unwrap(),
        0
    );
    assert_eq!(f.claim("a.test", Utc::now(), 5).unwrap().len(), 1);
    assert_eq!(
        f.next_due().unwrap(),
        Some(from_millis(4_000_000_000_000_000))
    );
}

#[test]
fn version_1_files_are_migrated_and_keep_their_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO urls (url, host, site, depth, kind, priority, state, status,
                 due_at, added_at, finished_at)
             VALUES ('http://a.test/x-1.html', 'a.test', 'test', 1, 'article', 1,
                 'fetched', 200, 0, 0, 0)",
            [],
        )
        .unwrap();
    }
    let mut f = SqliteFrontier::open(&path).unwrap();
    let version: i64 = f
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let url = Url::parse("http://a.test/x-1.html").unwrap();
    assert_eq!(f.lookup(&url).unwrap().unwrap().state, "fetched");
    assert_eq!(f.capture_of(&url).unwrap(), None);
    // Fetched by version 1 long ago: due for a recheck.
    let now = Utc::now();
    let n = f
        .reschedule(&Recheck {
            site: "test".into(),
            now,
            captured_before: now - TimeDelta::days(7),
            first_captured_after: now - TimeDelta::days(2),
        })
        .unwrap();
    assert_eq!(n, 1);
    let claimed = f.claim("a.test", now, 1).unwrap();
    assert_eq!(claimed[0].previous, None);
    // Reopening a version-2 file changes nothing.
    drop(f);
    assert!(SqliteFrontier::open(&path).is_ok());
}

#[test]
fn claim_uses_the_partial_index() {
    let f = SqliteFrontier::open_in_memory().unwrap();
    let plan: Vec<String> = f
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {CLAIM}"))
        .unwrap()
        .query_map(params!["h", 0, 1], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("urls_claim"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "claim sorts: {plan}");
}

#[test]
fn the_pending_count_of_the_claim_index_matches_the_counts_by_state() {
    let mut f = SqliteFrontier::open_in_memory().unwrap();
    f.batch_commits(64, Duration::from_secs(3600));
    let urls: Vec<NewUrl> = (0..10)
        .map(|i| new_url(&format!("http://a.test/{i}"), 1, UrlKind::Other))
        .chain((0..5).map(|i| new_url(&format!("http://b.test/{i}"), 1, UrlKind::Other)))
        .collect();
    f.add(&urls).unwrap();
    assert_eq!(f.pending().unwrap(), 15);
    let now = Utc::now();
    let claimed = f.claim("a.test", now, 4).unwrap();
    assert_eq!(f.pending().unwrap(), 11);
    f.finish(claimed[0].id, &Outcome::Fetched { status: 200 })
        .unwrap();
    f.retry_at(claimed[1].id, now + TimeDelta::hours(1), "later")
        .unwrap();
    // A retry is pending again (not due yet); two are still in flight.
    assert_eq!(f.pending().unwrap(), 12);
    let stats = f.stats().unwrap();
    assert_eq!(stats.pending, 12);
    assert_eq!(stats.in_flight, 2);
    assert_eq!(stats.fetched, 1);
}

/// A capture as the crawl stores it (record id, digest and date in their usual forms).
fn capture_at(at: DateTime<Utc>, i: u64) -> CaptureState {
    CaptureState {
        captured_at: at,
        first_captured_at: at,
        status: 200,
        etag: Some(format!("\"{i:016x}\"")),
        last_modified: Some("Mon, 01 Dec 2025 10:00:00 GMT".into()),
        payload_digest: crate::warc::sha1_digest(&i.to_be_bytes()),
        record: crate::frontier::StoredRecord {
            file: "glaneur-20251207-00001.warc.zst".into(),
            offset: i * 4096,
            id: format!("<urn:uuid:{}>", uuid::Uuid::new_v4()),
            date: from_millis(at.timestamp_millis()),
        },
        described: true,
    }
}

#[test]
fn version_3_files_are_migrated_and_keep_their_urls_captures_and_referrers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.sqlite");
    let at = from_millis(1_765_000_000_000);
    let old = capture_at(at, 7);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(MIGRATE_V2).unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute(
            "INSERT INTO urls (id, url, host, site, depth, kind, priority, found_on, state,
                 status, due_at, added_at, cap_at, first_cap_at, cap_status, etag,
                 last_modified, payload_digest, rec_file, rec_offset, rec_id, rec_date)
             VALUES (1, 'http://a.test/', 'a.test', 'news', 0, 'start', 0, NULL, 'fetched',
                 200, 0, 0, ?1, ?1, 200, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                millis(old.captured_at),
                old.etag,
                old.last_modified,
                old.payload_digest,
                old.record.file,
                old.record.offset as i64,
                old.record.id,
                millis(old.record.date)
            ],
        )
        .unwrap();
        conn.execute_batch(
            "INSERT INTO urls (id, url, host, site, depth, kind, priority, found_on, state,
                 due_at, added_at)
             VALUES (2, 'http://a.test/a-1.html', 'a.test', 'news', 1, 'article', 1,
                     'http://a.test/', 'pending', 0, 0),
                    (3, 'http://b.test/b-1.html', 'b.test', 'news', 1, 'article', 1,
                     'http://b.test/sitemap.xml', 'in_flight', 0, 0),
                    (4, 'http://b.test/b-2.html', 'b.test', 'news', 1, 'article', 1,
                     'http://b.test/sitemap.xml', 'pending', 4e15, 0);",
        )
        .unwrap();
    }
    let mut f = SqliteFrontier::open(&path).unwrap();
    assert_eq!(f.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(f.len().unwrap(), 4);
    let url = |s: &str| Url::parse(s).unwrap();
    let start = f.lookup(&url("http://a.test/")).unwrap().unwrap();
    assert_eq!((start.id, start.state.as_str()), (1, "fetched"));
    assert_eq!(f.capture_of(&url("http://a.test/")).unwrap(), Some(old));
    let article = f.lookup(&url("http://a.test/a-1.html")).unwrap().unwrap();
    assert_eq!(article.found_on.as_deref(), Some("http://a.test/"));
    let from_sitemap = f.lookup(&url("http://b.test/b-2.html")).unwrap().unwrap();
    assert_eq!(
        from_sitemap.found_on.as_deref(),
        Some("http://b.test/sitemap.xml")
    );
    // Known URLs stay known; the queue and the in-flight URL are kept.
    let again = [new_url("http://b.test/b-2.html", 1, UrlKind::Article)];
    assert_eq!(f.add(&again).unwrap(), 0);
    assert_eq!(f.ready_hosts(Utc::now()).unwrap(), vec!["a.test"]);
    let claimed = f.claim("a.test", Utc::now(), 5).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].id, claimed[0].site.as_str()), (2, "news"));
    assert_eq!(f.in_flight().unwrap().len(), 2);
    assert_eq!(f.recover_in_flight().unwrap(), 2);
    assert_eq!(f.ready_hosts(Utc::now()).unwrap(), vec!["a.test", "b.test"]);
    drop(f);
    assert_eq!(SqliteFrontier::open(&path).unwrap().len().unwrap(), 4);
}

#[test]
fn a_known_url_takes_at_most_300_bytes_of_state() {
    const URLS: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    let mut f = SqliteFrontier::open(&path).unwrap();
    f.batch_commits(256, Duration::from_secs(3600));
    let at = from_millis(1_765_000_000_000);
    // 200 hosts, news-like URLs of about 90 characters, found on their home page; the
    // first half is then fetched and captured, the rest stays queued.
    let url_of = |i: u64| {
        format!(
            "http://h{}.scale.test:41483/2025/03/{:02}/politique/article-{i}-annonce.html",
            i % 200,
            i % 28
        )
    };
    for chunk in (0..URLS).collect::<Vec<_>>().chunks(100) {
        let links: Vec<NewUrl> = chunk
            .iter()
            .map(|&i| {
                let mut u = new_url(&url_of(i), 1, UrlKind::Article);
                u.found_on =
                    Some(Url::parse(&format!("http://h{}.scale.test:41483/", i % 200)).unwrap());
                u
            })
            .collect();
        f.add(&links).unwrap();
    }
    for host in 0..200 {
        let claimed = f
            .claim(&format!("h{host}.scale.test:41483"), Utc::now(), 50)
            .unwrap();
        assert_eq!(claimed.len(), 50, "host {host}");
        for (n, c) in claimed.iter().enumerate() {
            let capture = capture_at(at, n as u64);
            f.finish_capture(c.id, &Outcome::Fetched { status: 200 }, &capture, &[])
                .unwrap();
            if n == 0 {
                assert_eq!(f.capture_of(&c.url).unwrap(), Some(capture));
            }
        }
    }
    drop(f);
    let c = Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
        .unwrap();
    let fetched: i64 = c
        .query_row(
            "SELECT count(*) FROM urls WHERE state = 'fetched'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fetched as u64, URLS / 2);
    let bytes = std::fs::metadata(&path).unwrap().len();
    let per_url = bytes / URLS;
    eprintln!("state: {per_url} bytes per known URL (half of them fetched)");
    assert!(per_url <= 300, "{per_url} bytes per known URL");
}
