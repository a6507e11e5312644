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
