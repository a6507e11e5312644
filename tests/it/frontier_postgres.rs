//! The PostgreSQL frontier on a real server: the `Frontier` contract (as the SQLite store
//! keeps it), claims by several workers (`FOR UPDATE SKIP LOCKED`), leases that expire,
//! the worker registry, the shared politeness budget and robots.txt store, migrations.

use crate::pg_support;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use glaneur::frontier::{
    Beat, Frontier, NewUrl, Outcome, PostgresFrontier, PostgresOptions, PostgresWorker, Recheck,
    RegisterError, UrlKind, WorkerInfo, workers_report,
};
use glaneur::politeness::{
    PostgresPoliteness, RobotsClaim, SharedPoliteness, SlotGrant, SlotLimits, StoredRobots,
};
use pg_support::TestDb;
use url::Url;

fn new_url(s: &str, depth: u32, kind: UrlKind) -> NewUrl {
    let url = Url::parse(s).unwrap();
    NewUrl {
        host: glaneur::urls::host_key(&url).unwrap(),
        url,
        site: "test".into(),
        depth,
        kind,
        found_on: None,
    }
}

fn options(db: &TestDb, worker: &str, lease: Duration) -> PostgresOptions {
    PostgresOptions {
        url: db.url.clone(),
        worker: worker.into(),
        lease,
    }
}

fn open(db: &TestDb, worker: &str) -> PostgresFrontier {
    PostgresFrontier::open(&options(db, worker, Duration::from_secs(30))).unwrap()
}

fn info(host: &str) -> WorkerInfo {
    WorkerInfo {
        hostname: host.into(),
        pid: std::process::id(),
        archive: "archive".into(),
    }
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn another_workers_sighting_changes_nothing_and_claims_are_leased_to_their_worker() {
    let db = TestDb::new("another_workers_sighting_changes_nothing");
    let mut f = open(&db, "w1");
    assert_eq!(f.schema_version().unwrap(), 1);
    f.add(&[new_url("http://a.test/1", 1, UrlKind::Related)])
        .unwrap();
    let rec = f.lookup(&url("http://a.test/1")).unwrap().unwrap();
    // Another worker (whose cache does not know the URL) sees it deeper: nothing changes.
    let mut other = open(&db, "w2");
    assert_eq!(
        other
            .add(&[new_url("http://a.test/1", 4, UrlKind::Other)])
            .unwrap(),
        0
    );
    assert_eq!(f.lookup(&url("http://a.test/1")).unwrap().unwrap(), rec);
    assert_eq!(f.len().unwrap(), 1);
    let claimed = other.claim("a.test", Utc::now(), 10).unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        f.lease_of(&url("http://a.test/1")).unwrap(),
        Some(("w2".to_string(), true))
    );
    // Finished by its worker: the lease is over, the worker who fetched it is kept.
    other
        .finish(claimed[0].id, &Outcome::Fetched { status: 200 })
        .unwrap();
    assert_eq!(
        f.lease_of(&url("http://a.test/1")).unwrap(),
        Some(("w2".to_string(), false))
    );
}

#[test]
fn a_crashed_worker_resumes_its_own_urls_without_losing_or_repeating() {
    let db = TestDb::new("a_crashed_worker_resumes_its_own_urls");
    let urls: Vec<NewUrl> = (0..50)
        .map(|i| new_url(&format!("http://a.test/p{i}"), 1, UrlKind::Other))
        .collect();
    let mut fetched = HashSet::new();
    {
        let mut f = open(&db, "w1");
        assert_eq!(f.add(&urls).unwrap(), 50);
        let claimed = f.claim("a.test", Utc::now(), 20).unwrap();
        for c in &claimed[..10] {
            f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
            assert!(fetched.insert(c.url.clone()));
        }
        // Dropped with 10 URLs in flight: a crash.
    }
    // Another live worker's recovery leaves them alone: their lease has not expired.
    let mut w2 = open(&db, "w2");
    assert_eq!(w2.in_flight().unwrap(), vec![]);
    assert_eq!(w2.recover_in_flight().unwrap(), 0);
    assert_eq!(w2.stats().unwrap().in_flight, 10);
    // w1 restarted takes back its own.
    let mut f = open(&db, "w1");
    assert_eq!(f.in_flight().unwrap().len(), 10);
    assert_eq!(f.recover_in_flight().unwrap(), 10);
    assert_eq!(f.add(&urls).unwrap(), 0);
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
    assert_eq!(f.next_due().unwrap(), None);
}

#[test]
fn skip_locked_claims_by_two_connections_never_overlap() {
    let db = TestDb::new("skip_locked_claims_by_two_connections_never_overlap");
    let urls: Vec<NewUrl> = (0..400)
        .map(|i| new_url(&format!("http://a.test/p{i:03}"), 1, UrlKind::Article))
        .collect();
    open(&db, "seed").add(&urls).unwrap();

    // A transaction holding row locks on the first 5 URLs (as a claim in progress does):
    // a claim neither waits for them nor takes them.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let url_for_lock = db.url.clone();
    let holder = std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url_for_lock, postgres::NoTls).unwrap();
        let mut tx = c.transaction().unwrap();
        let ids: Vec<i64> = tx
            .query(
                "SELECT id FROM urls ORDER BY priority, depth, id LIMIT 5 FOR UPDATE",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        locked_tx.send(ids).unwrap();
        release_rx.recv().unwrap();
        tx.rollback().unwrap();
    });
    let locked: Vec<i64> = locked_rx.recv().unwrap();
    let mut probe = open(&db, "probe");
    let t = Instant::now();
    let first = probe.claim("a.test", Utc::now(), 3).unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "the claim waited");
    assert!(
        first.iter().all(|c| !locked.contains(&c.id)),
        "locked rows skipped"
    );
    probe.recover_in_flight().unwrap();
    release_tx.send(()).unwrap();
    holder.join().unwrap();

    // Two workers claim concurrently, in small batches, until nothing is left.
    let barrier = Arc::new(Barrier::new(2));
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|name| {
            let opts = options(&db, name, Duration::from_secs(30));
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut f = PostgresFrontier::open(&opts).unwrap();
                barrier.wait();
                let mut mine = Vec::new();
                loop {
                    let claimed = f.claim("a.test", Utc::now(), 3).unwrap();
                    if claimed.is_empty() {
                        break;
                    }
                    for c in claimed {
                        f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
                        mine.push(c.id);
                    }
                }
                mine
            })
        })
        .collect();
    let results: Vec<Vec<i64>> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let a: HashSet<i64> = results[0].iter().copied().collect();
    let b: HashSet<i64> = results[1].iter().copied().collect();
    assert_eq!(a.len(), results[0].len());
    assert_eq!(b.len(), results[1].len());
    assert!(a.is_disjoint(&b), "a URL was claimed by both workers");
    assert_eq!(a.len() + b.len(), 400, "every URL claimed once");
    assert!(!a.is_empty() && !b.is_empty(), "both workers got work");
}

#[test]
fn a_dead_workers_leases_expire_and_go_to_another_worker() {
    let db = TestDb::new("a_dead_workers_leases_expire");
    let lease = Duration::from_millis(1000);
    let o1 = options(&db, "w1", lease);
    let o2 = options(&db, "w2", lease);
    let mut reg1 = PostgresWorker::register(&o1, &info("box1")).unwrap();
    let mut reg2 = PostgresWorker::register(&o2, &info("box2")).unwrap();
    let mut f1 = PostgresFrontier::open(&o1).unwrap();
    let mut f2 = PostgresFrontier::open(&o2).unwrap();
    f1.add(
        &(0..8)
            .map(|i| new_url(&format!("http://a.test/p{i}"), 1, UrlKind::Article))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let held = f1.claim("a.test", Utc::now(), 5).unwrap();
    assert_eq!(held.len(), 5);

    // While w1 beats, its leases hold past their first expiry.
    let start = Instant::now();
    while start.elapsed() < lease + Duration::from_millis(500) {
        assert_eq!(reg1.heartbeat(3, 1.5).unwrap(), Beat::Alive);
        assert_eq!(reg2.heartbeat(0, 0.0).unwrap(), Beat::Alive);
        let (dead, reaped) = reg2.retire_dead().unwrap();
        assert!(dead.is_empty() && reaped == 0, "{dead:?} {reaped}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let report = workers_report(&db.url).unwrap();
    let w1 = report.workers.iter().find(|w| w.name == "w1").unwrap();
    assert!(w1.live);
    assert_eq!((w1.leases, w1.pages, w1.rate), (5, 3, 1.5));
    assert_eq!(report.in_flight, 5);
    assert_eq!(report.hosts[0].host, "a.test");
    assert_eq!((report.hosts[0].pending, report.hosts[0].in_flight), (3, 5));
    assert_eq!(f2.claim("a.test", Utc::now(), 10).unwrap().len(), 3);
    assert!(f2.claim("a.test", Utc::now(), 10).unwrap().is_empty());

    // w1 dies (no more heartbeats): after its lease, w2 hands its URLs out.
    std::thread::sleep(lease + Duration::from_millis(200));
    reg2.heartbeat(0, 0.0).unwrap();
    assert_eq!(reg2.stale_workers().unwrap(), vec!["w1".to_string()]);
    assert!(
        f2.in_flight().unwrap().len() >= 5,
        "expired leases are recoverable"
    );
    let (dead, reaped) = reg2.retire_dead().unwrap();
    assert_eq!(dead, vec!["w1".to_string()]);
    assert_eq!(reaped, 5);
    let taken = f2.claim("a.test", Utc::now(), 10).unwrap();
    let held_ids: HashSet<i64> = held.iter().map(|c| c.id).collect();
    assert_eq!(
        taken.iter().map(|c| c.id).collect::<HashSet<_>>(),
        held_ids,
        "w2 gets exactly w1's URLs"
    );
    f2.finish(taken[0].id, &Outcome::Fetched { status: 200 })
        .unwrap();

    // w1 comes back: evicted; its late results are tolerated, the first kept.
    assert_eq!(reg1.heartbeat(5, 0.0).unwrap(), Beat::Evicted);
    f1.finish(taken[0].id, &Outcome::Fetched { status: 500 })
        .unwrap();
    assert_eq!(
        f1.lookup(&taken[0].url).unwrap().unwrap().status,
        Some(200),
        "the first outcome is kept"
    );
    f1.finish(taken[1].id, &Outcome::Fetched { status: 200 })
        .unwrap();
    assert_eq!(f1.lookup(&taken[1].url).unwrap().unwrap().state, "fetched");
    let report = workers_report(&db.url).unwrap();
    let w1 = report.workers.iter().find(|w| w.name == "w1").unwrap();
    assert!(!w1.live && w1.stop_reason.as_deref().unwrap_or("").contains("w2"));
    assert_eq!(reg2.unregister("done").unwrap(), 6);
}

#[test]
fn worker_names_are_exclusive_while_live() {
    let db = TestDb::new("worker_names_are_exclusive_while_live");
    let o = options(&db, "w1", Duration::from_secs(30));
    let mut reg = PostgresWorker::register(&o, &info("box1")).unwrap();
    match PostgresWorker::register(&o, &info("box2")) {
        Err(RegisterError::NameTaken { hostname, .. }) => assert_eq!(hostname, "box1"),
        other => panic!("expected NameTaken, got {other:?}"),
    }
    // The same machine, a process that is gone (a crash, restarted at once): allowed.
    let gone = WorkerInfo {
        pid: u32::MAX - 1,
        ..info("box3")
    };
    let o3 = options(&db, "w3", Duration::from_secs(30));
    drop(PostgresWorker::register(&o3, &gone).unwrap());
    assert!(PostgresWorker::register(&o3, &info("box3")).is_ok());
    reg.unregister("finished").unwrap();
    assert!(PostgresWorker::register(&o, &info("box2")).is_ok());
}

#[test]
fn migrations_are_recorded_and_a_newer_schema_is_refused() {
    let db = TestDb::new("migrations_are_recorded");
    let o = options(&db, "w1", Duration::from_secs(30));
    drop(PostgresFrontier::open(&o).unwrap());
    // Opening again (and concurrently) applies nothing twice.
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let o = o.clone();
            std::thread::spawn(move || PostgresFrontier::open(&o).map(drop))
        })
        .collect();
    for t in threads {
        t.join().unwrap().unwrap();
    }
    let versions: Vec<i32> = db.query(|c| {
        c.query(
            "SELECT version FROM glaneur_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    });
    assert_eq!(versions, vec![1]);
    db.query(|c| {
        c.execute(
            "INSERT INTO glaneur_migrations (version, description) VALUES (99, 'future')",
            &[],
        )
        .unwrap()
    });
    let err = PostgresFrontier::open(&o).unwrap_err().to_string();
    assert!(err.contains("schema version 99"), "{err}");
    let bad = PostgresOptions {
        url: "postgres://nobody@127.0.0.1:1/none".into(),
        ..o
    };
    let err = PostgresFrontier::open(&bad).unwrap_err().to_string();
    assert!(err.contains("cannot connect"), "{err}");
}

#[test]
fn workers_starting_together_start_one_incremental_pass() {
    let db = TestDb::new("workers_starting_together");
    let mut f = open(&db, "w0");
    f.add(
        &(0..20)
            .map(|i| new_url(&format!("http://a.test/s{i}"), 0, UrlKind::Start))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    for c in f.claim("a.test", Utc::now(), 100).unwrap() {
        f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
    }
    let now = Utc::now();
    let recheck = Recheck {
        site: "test".into(),
        now,
        captured_before: now - TimeDelta::days(7),
        first_captured_after: now - TimeDelta::days(2),
    };
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (1..=3)
        .map(|i| {
            let (o, r, b) = (
                options(&db, &format!("w{i}"), Duration::from_secs(30)),
                recheck.clone(),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || {
                let mut f = PostgresFrontier::open(&o).unwrap();
                b.wait();
                let n = f.begin_run(&[r], &[]).unwrap();
                // Start pages are fetched at once by whoever started first.
                for c in f.claim("a.test", Utc::now(), 100).unwrap() {
                    f.finish(c.id, &Outcome::Fetched { status: 200 }).unwrap();
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 20, "one pass, not one per worker");
}

fn limits(interval_ms: u64, burst: u32, max_concurrent: u32) -> SlotLimits {
    SlotLimits {
        interval: Duration::from_millis(interval_ms),
        burst,
        max_concurrent,
    }
}

/// Takes a slot of `host`, sleeping as told; returns the slot and when it was granted.
fn acquire(p: &PostgresPoliteness, host: &str, l: &SlotLimits) -> (i64, Instant) {
    loop {
        match p.try_acquire(host, l).unwrap() {
            SlotGrant::Granted(slot) => return (slot, Instant::now()),
            SlotGrant::Wait(d) => std::thread::sleep(d),
            SlotGrant::AtCapacity => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

#[test]
fn the_shared_budget_holds_across_workers() {
    let db = TestDb::new("the_shared_budget_holds_across_workers");
    let p1 =
        Arc::new(PostgresPoliteness::open(&options(&db, "w1", Duration::from_secs(5))).unwrap());
    let p2 =
        Arc::new(PostgresPoliteness::open(&options(&db, "w2", Duration::from_secs(5))).unwrap());

    // Rate: two workers racing for one host get grants at least an interval apart.
    let l = limits(100, 1, 8);
    let times: Vec<Instant> = {
        let threads: Vec<_> = [Arc::clone(&p1), Arc::clone(&p2)]
            .into_iter()
            .map(|p| {
                std::thread::spawn(move || {
                    (0..6)
                        .map(|_| {
                            let (slot, at) = acquire(&p, "rate.test", &l);
                            p.release(slot).unwrap();
                            at
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    };
    let mut sorted = times;
    sorted.sort();
    let span = sorted[sorted.len() - 1].duration_since(sorted[0]);
    assert!(
        span >= Duration::from_millis(11 * 100 - 60),
        "12 grants in {span:?}: faster than 10/s"
    );

    // In-flight cap: two slots out (one per worker), a third waits for a release.
    let l = limits(1, 1, 2);
    let (a, _) = acquire(&p1, "cap.test", &l);
    let (_b, _) = acquire(&p2, "cap.test", &l);
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(
        p1.try_acquire("cap.test", &l).unwrap(),
        SlotGrant::AtCapacity
    );
    p1.release(a).unwrap();
    assert!(matches!(
        p2.try_acquire("cap.test", &l).unwrap(),
        SlotGrant::Granted(_)
    ));

    // A pause set by one worker holds for the other.
    let l = limits(1, 5, 8);
    p1.pause("paused.test", Duration::from_millis(800)).unwrap();
    match p2.try_acquire("paused.test", &l).unwrap() {
        SlotGrant::Wait(d) => assert!(d > Duration::from_millis(600), "{d:?}"),
        other => panic!("expected a wait, got {other:?}"),
    }
    // A crawl delay too.
    p1.set_min_delay("slow.test", Duration::from_millis(700))
        .unwrap();
    let (_, first) = acquire(&p2, "slow.test", &l);
    let (_, second) = acquire(&p1, "slow.test", &l);
    assert!(second.duration_since(first) >= Duration::from_millis(650));
}

#[test]
fn robots_txt_is_fetched_once_and_shared() {
    let db = TestDb::new("robots_txt_is_fetched_once_and_shared");
    let lease = Duration::from_millis(600);
    let p1 = PostgresPoliteness::open(&options(&db, "w1", lease)).unwrap();
    let p2 = PostgresPoliteness::open(&options(&db, "w2", lease)).unwrap();
    let origin = "http://a.test";
    let day = Duration::from_secs(86_400);
    assert_eq!(p1.robots(origin, day, day).unwrap(), RobotsClaim::Fetch);
    assert_eq!(p2.robots(origin, day, day).unwrap(), RobotsClaim::Wait);
    let stored = StoredRobots::Body {
        base: url("http://a.test/robots.txt"),
        body: b"User-agent: *\nDisallow: /private/\n".to_vec(),
    };
    p1.store_robots(origin, &stored).unwrap();
    match p2.robots(origin, day, day).unwrap() {
        RobotsClaim::Fresh { robots, age } => {
            assert_eq!(robots, stored);
            assert!(age < Duration::from_secs(5));
            assert!(
                !robots
                    .rules()
                    .is_allowed("glaneur", &url("http://a.test/private/x"))
            );
        }
        other => panic!("expected the stored rules, got {other:?}"),
    }
    // Too old: fetched again, by one worker.
    assert_eq!(
        p2.robots(origin, Duration::ZERO, Duration::ZERO).unwrap(),
        RobotsClaim::Fetch
    );
    assert_eq!(
        p1.robots(origin, Duration::ZERO, Duration::ZERO).unwrap(),
        RobotsClaim::Wait
    );
    // The fetcher died: after its lease, another takes the fetch over.
    std::thread::sleep(lease + Duration::from_millis(100));
    assert_eq!(
        p1.robots(origin, Duration::ZERO, Duration::ZERO).unwrap(),
        RobotsClaim::Fetch
    );
    let denied = StoredRobots::DisallowAll {
        reason: "robots.txt: more than 5 redirects".into(),
    };
    p1.store_robots("http://b.test", &denied).unwrap();
    assert!(matches!(
        p2.robots("http://b.test", day, day).unwrap(),
        RobotsClaim::Fresh { robots, .. } if robots == denied
    ));
    // An unavailable robots.txt is kept for a shorter time.
    let down = StoredRobots::Unavailable {
        reason: "robots.txt answered 503".into(),
    };
    p1.store_robots("http://c.test", &down).unwrap();
    assert!(matches!(
        p2.robots("http://c.test", day, day).unwrap(),
        RobotsClaim::Fresh { robots, .. } if robots == down
    ));
    assert_eq!(
        p2.robots("http://c.test", day, Duration::ZERO).unwrap(),
        RobotsClaim::Fetch
    );
}

/// After a repair moved damaged records aside: URLs whose capture was in a lost range
/// forget it (fetched again as new), a URL whose article was lost keeps its capture but
/// loses its validators; both are due again, the others untouched.
pub(crate) fn requeue_lost_contract(f: &mut dyn Frontier) {
    let urls: Vec<NewUrl> = (1..=3)
        .map(|i| new_url(&format!("http://lost.test/a-{i}.html"), 1, UrlKind::Article))
        .collect();
    f.add(&urls).unwrap();
    let now = Utc::now();
    let claimed = f.claim("lost.test", now, 10).unwrap();
    assert_eq!(claimed.len(), 3);
    for c in &claimed {
        let i: u64 = c.url.path()[3..4].parse().unwrap();
        let cap = glaneur::frontier::CaptureState {
            captured_at: now,
            first_captured_at: now,
            status: 200,
            etag: Some("\"e\"".into()),
            last_modified: None,
            payload_digest: format!("sha1:D{i}"),
            record: glaneur::frontier::StoredRecord {
                file: "f.warc.zst".into(),
                offset: i * 100,
                id: format!("<urn:uuid:r{i}>"),
                date: now,
            },
            described: true,
        };
        f.finish_capture(c.id, &Outcome::Fetched { status: 200 }, &cap, &[])
            .unwrap();
    }
    let lost = glaneur::frontier::LostRecords {
        file: "f.warc.zst".into(),
        ranges: vec![(150, 250)],
        undescribed: vec!["<urn:uuid:r3>".into()],
    };
    assert_eq!(f.requeue_lost(&lost, now).unwrap(), 2);
    let again = f
        .claim("lost.test", now + TimeDelta::seconds(1), 10)
        .unwrap();
    let paths: HashSet<&str> = again.iter().map(|c| c.url.path()).collect();
    assert_eq!(paths, HashSet::from(["/a-2.html", "/a-3.html"]));
    for c in &again {
        match c.url.path() {
            "/a-2.html" => assert_eq!(c.previous, None, "the lost capture is forgotten"),
            _ => {
                let p = c.previous.as_ref().expect("kept");
                assert_eq!(p.record.offset, 300);
                assert_eq!(p.etag, None, "no validators: the request is unconditional");
                assert!(!p.described, "its article is written again");
            }
        }
    }
}

#[test]
fn requeue_lost_forgets_captures_moved_aside_by_a_repair() {
    let db = TestDb::new("requeue_lost_forgets_captures_moved_aside_by_a_repair");
    requeue_lost_contract(&mut open(&db, "w1"));
}
