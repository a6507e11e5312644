//! The [`Frontier`] contract, one suite run against both stores through `dyn Frontier`:
//! SQLite (a file, writes grouped as the crawl groups them) and PostgreSQL (a database of
//! its own, see `pg_support`). What only one store does (SQLite's grouped commits and
//! migrations, PostgreSQL's leases and workers) is tested in `frontier_sqlite`,
//! `frontier_postgres` and the stores' own unit tests.

use crate::pg_support::TestDb;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use glaneur::frontier::{
    CaptureState, Frontier, FrontierError, FrontierStats, LostRecords, NewUrl, Outcome,
    PostgresFrontier, PostgresOptions, Recheck, SqliteFrontier, StoredRecord, UrlKind, UrlState,
};
use url::Url;

/// Now, to the millisecond (the precision of the SQLite store).
fn now_ms() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("a time")
}

/// Runs `check` on a SQLite store, then on a PostgreSQL one (when there is a server: see
/// `pg_support`). Which store failed is printed before each run.
fn on_each_store(test: &str, check: impl Fn(&mut dyn Frontier)) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sqlite =
        SqliteFrontier::open(&dir.path().join("state.sqlite")).expect("SQLite frontier");
    sqlite.batch_commits(256, Duration::from_millis(250));
    eprintln!("{test}: SQLite");
    check(&mut sqlite);
    let db = TestDb::new(test);
    let options = PostgresOptions {
        url: db.url.clone(),
        worker: "w1".into(),
        lease: Duration::from_secs(30),
    };
    let mut postgres = PostgresFrontier::open(&options).expect("PostgreSQL frontier");
    eprintln!("{test}: PostgreSQL");
    check(&mut postgres);
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("test URL")
}

fn new_url(s: &str, depth: u32, kind: UrlKind) -> NewUrl {
    let url = url(s);
    NewUrl {
        host: glaneur::urls::host_key(&url).expect("a host"),
        url,
        site: "test".into(),
        depth,
        kind,
        found_on: None,
    }
}

fn capture(at: DateTime<Utc>, first: DateTime<Utc>) -> CaptureState {
    CaptureState {
        captured_at: at,
        first_captured_at: first,
        status: 200,
        etag: Some("\"e1\"".into()),
        last_modified: None,
        payload_digest: "sha1:AAAA".into(),
        record: StoredRecord {
            file: "f.warc.zst".into(),
            offset: 1234,
            id: "<urn:uuid:00000000-0000-4000-8000-000000000001>".into(),
            date: at,
        },
        described: true,
    }
}

fn recheck(now: DateTime<Utc>) -> Recheck {
    Recheck {
        site: "test".into(),
        now,
        captured_before: now - TimeDelta::days(7),
        first_captured_after: now - TimeDelta::days(2),
    }
}

fn paths(claimed: &[glaneur::frontier::ClaimedUrl]) -> Vec<&str> {
    claimed.iter().map(|c| c.url.path()).collect()
}

#[test]
fn add_dedups_lowers_depth_and_raises_the_priority_of_pending_urls() {
    on_each_store("contract_add", |f| {
        let added = f
            .add(&[
                new_url("http://a.test/1", 2, UrlKind::Other),
                new_url("http://a.test/2", 1, UrlKind::Other),
                new_url("http://a.test/1", 3, UrlKind::Other),
            ])
            .unwrap();
        assert_eq!(added, 2);
        let again = f.add(&[new_url("http://a.test/1", 1, UrlKind::Related)]);
        assert_eq!(again.unwrap(), 0);
        let rec = f.lookup(&url("http://a.test/1")).unwrap().expect("known");
        assert_eq!(
            (rec.depth, rec.kind, rec.state),
            (1, UrlKind::Related, UrlState::Pending)
        );
        // A deeper or lower-priority sighting changes nothing.
        f.add(&[new_url("http://a.test/1", 4, UrlKind::Other)])
            .unwrap();
        assert_eq!(f.lookup(&url("http://a.test/1")).unwrap(), Some(rec));
        assert_eq!(f.lookup(&url("http://a.test/unknown")).unwrap(), None);
        assert_eq!(f.stats().unwrap().pending, 2);
    });
}

#[test]
fn claims_come_by_priority_then_depth_and_are_handed_out_once() {
    on_each_store("contract_claim", |f| {
        f.add(&[
            new_url("http://a.test/other", 1, UrlKind::Other),
            new_url("http://a.test/rel", 2, UrlKind::Related),
            new_url("http://a.test/art-deep", 3, UrlKind::Article),
            new_url("http://a.test/art", 1, UrlKind::Article),
            new_url("http://a.test/", 0, UrlKind::Start),
            new_url("http://b.test:8080/", 0, UrlKind::Start),
        ])
        .unwrap();
        let now = Utc::now();
        let mut hosts = f.ready_hosts(now).unwrap();
        hosts.sort();
        assert_eq!(hosts, vec!["a.test", "b.test:8080"]);
        let claimed = f.claim("a.test", now, 10).unwrap();
        assert_eq!(
            paths(&claimed),
            vec!["/", "/art", "/art-deep", "/rel", "/other"]
        );
        assert!(
            claimed
                .iter()
                .all(|c| c.host == "a.test" && c.site == "test")
        );
        assert!(
            claimed
                .iter()
                .all(|c| c.attempts == 0 && c.previous.is_none())
        );
        // Claimed URLs are not handed out again.
        assert!(f.claim("a.test", now, 10).unwrap().is_empty());
        assert_eq!(f.ready_hosts(now).unwrap(), vec!["b.test:8080"]);
        let stats = f.stats().unwrap();
        assert_eq!((stats.in_flight, stats.pending), (5, 1));
        assert_eq!(f.claim("a.test", now, 0).unwrap(), vec![]);
        assert_eq!(f.in_flight().unwrap().len(), 5);
    });
}

#[test]
fn outcomes_retries_and_recovery_are_counted() {
    on_each_store("contract_outcomes", |f| {
        f.add(&[
            new_url("http://a.test/1", 0, UrlKind::Start),
            new_url("http://a.test/2", 1, UrlKind::Article),
            new_url("http://a.test/3", 1, UrlKind::Article),
            new_url("http://a.test/4", 1, UrlKind::Article),
        ])
        .unwrap();
        let now = Utc::now();
        let c = f.claim("a.test", now, 4).unwrap();
        f.finish(c[0].id, &Outcome::Fetched { status: 200 })
            .unwrap();
        f.finish(c[1].id, &Outcome::RobotsDenied).unwrap();
        let failed = Outcome::Failed {
            error: "boom".into(),
        };
        f.finish(c[2].id, &failed).unwrap();
        let later = now + TimeDelta::seconds(60);
        f.retry_at(c[3].id, later, "timeout").unwrap();
        // Finishing twice is a caller's mistake, and said so.
        assert!(matches!(
            f.finish(c[0].id, &Outcome::RobotsDenied),
            Err(FrontierError::NotInFlight { id }) if id == c[0].id
        ));
        assert!(f.retry_at(c[0].id, later, "x").is_err());
        assert!(f.finish(999_999, &Outcome::RobotsDenied).is_err());
        let expected = FrontierStats {
            pending: 1,
            in_flight: 0,
            fetched: 1,
            robots_denied: 1,
            failed: 1,
        };
        assert_eq!(f.stats().unwrap(), expected);
        // The retried URL is not due yet.
        assert!(f.ready_hosts(now).unwrap().is_empty());
        assert!(f.claim("a.test", now, 10).unwrap().is_empty());
        let due = f.next_due().unwrap().expect("a retry is due later");
        assert_eq!(due.timestamp_millis(), later.timestamp_millis());
        let again = f.claim("a.test", later, 10).unwrap();
        assert_eq!(paths(&again), vec!["/4"]);
        assert_eq!(again[0].attempts, 1);
        assert_eq!(f.recover_in_flight().unwrap(), 1);
        assert_eq!(f.stats().unwrap().pending, 1);
        let rec = f.lookup(&url("http://a.test/1")).unwrap().expect("known");
        assert_eq!(
            (rec.state, rec.status, rec.attempts),
            (UrlState::Fetched, Some(200), 1)
        );
        let rec = f.lookup(&url("http://a.test/3")).unwrap().expect("known");
        assert_eq!(
            (rec.state, rec.last_error.as_deref()),
            (UrlState::Failed, Some("boom"))
        );
        let by_kind = f.stats_by_kind().unwrap();
        assert_eq!(by_kind.len(), 2);
        assert_eq!((by_kind[0].0, by_kind[0].1.fetched), (UrlKind::Start, 1));
        assert_eq!(by_kind[1].0, UrlKind::Article);
        assert_eq!((by_kind[1].1.robots_denied, by_kind[1].1.pending), (1, 1));
        // Nothing pending anywhere: no next due time.
        let c = f.claim("a.test", later, 10).unwrap();
        f.finish(c[0].id, &Outcome::Fetched { status: 404 })
            .unwrap();
        assert_eq!(f.next_due().unwrap(), None);
    });
}

#[test]
fn finish_capture_records_outcome_capture_and_links_in_one_transaction() {
    on_each_store("contract_finish_capture", |f| {
        f.add(&[new_url("http://a.test/", 0, UrlKind::Start)])
            .unwrap();
        let now = now_ms();
        let c = f.claim("a.test", Utc::now(), 1).unwrap();
        let links = [
            new_url("http://a.test/x-1.html", 1, UrlKind::Article),
            new_url("http://a.test/", 1, UrlKind::Other),
            new_url("http://b.test/", 1, UrlKind::Other),
        ];
        let fetched = Outcome::Fetched { status: 200 };
        let first = capture(now, now);
        assert_eq!(
            f.finish_capture(c[0].id, &fetched, &first, &links).unwrap(),
            2
        );
        let stats = f.stats().unwrap();
        assert_eq!((stats.fetched, stats.pending), (1, 2));
        assert_eq!(f.capture_of(&url("http://a.test/")).unwrap(), Some(first));
        // Finishing again fails, and neither its link nor its capture is kept.
        let more = [new_url("http://a.test/y-2.html", 1, UrlKind::Article)];
        let mut second = capture(now, now);
        second.record.offset = 99;
        assert!(f.finish_capture(c[0].id, &fetched, &second, &more).is_err());
        assert_eq!(f.lookup(&more[0].url).unwrap(), None, "rolled back");
        let kept = f.capture_of(&url("http://a.test/")).unwrap().expect("kept");
        assert_eq!(kept.record.offset, 1234);
        // The store's index of known URLs was not updated by the refused call either.
        assert_eq!(f.add(&more).unwrap(), 1);
    });
}

#[test]
fn capture_times_survive_recaptures_revisits_and_lost_records() {
    on_each_store("contract_capture_times", |f| {
        let home = url("http://a.test/");
        f.add(&[new_url(home.as_str(), 0, UrlKind::Start)]).unwrap();
        let t1 = now_ms() - TimeDelta::days(30);
        let fetched = Outcome::Fetched { status: 200 };
        let mut capture_again = |c: &CaptureState| {
            f.reschedule(&recheck(now_ms())).unwrap();
            let claimed = f.claim("a.test", Utc::now(), 1).unwrap();
            assert_eq!(claimed.len(), 1, "the start page is queued again");
            f.finish_capture(claimed[0].id, &fetched, c, &[]).unwrap();
            f.capture_of(&home).unwrap()
        };
        // First capture: its record is dated as the capture.
        let first = capture(t1, t1);
        assert_eq!(capture_again(&first), Some(first.clone()));
        // A revisit: the record it names is the first one, dated then.
        let t2 = t1 + TimeDelta::days(10);
        let mut revisit = capture(t2, t1);
        revisit.record.date = t1;
        assert_eq!(capture_again(&revisit), Some(revisit.clone()));
        // A new full capture: a record of its own, and the first capture time kept.
        let t3 = t2 + TimeDelta::days(10);
        let mut third = capture(t3, t1);
        third.record.offset = 5678;
        assert_eq!(capture_again(&third), Some(third.clone()));
        // Its record lost in a repair: the capture is forgotten, its first time is not.
        let lost = LostRecords {
            file: "f.warc.zst".into(),
            ranges: vec![(5000, 6000)],
            undescribed: vec![],
        };
        assert_eq!(f.requeue_lost(&lost, now_ms()).unwrap(), 1);
        assert_eq!(f.capture_of(&home).unwrap(), None);
        let claimed = f.claim("a.test", Utc::now(), 1).unwrap();
        let t4 = t3 + TimeDelta::days(1);
        f.finish_capture(claimed[0].id, &fetched, &capture(t4, t4), &[])
            .unwrap();
        let stored = f.capture_of(&home).unwrap().expect("captured again");
        assert_eq!((stored.captured_at, stored.first_captured_at), (t4, t1));
        assert_eq!(stored.record.date, t4);
        // The same for a page captured once only before its record was lost.
        let once = url("http://a.test/once.html");
        f.add(&[new_url(once.as_str(), 1, UrlKind::Article)])
            .unwrap();
        let claimed = f.claim("a.test", Utc::now(), 1).unwrap();
        let mut only = capture(t1, t1);
        only.record.offset = 7000;
        f.finish_capture(claimed[0].id, &fetched, &only, &[])
            .unwrap();
        let lost = LostRecords {
            ranges: vec![(6900, 7100)],
            ..lost
        };
        assert_eq!(f.requeue_lost(&lost, now_ms()).unwrap(), 1);
        let claimed = f.claim("a.test", Utc::now(), 1).unwrap();
        f.finish_capture(claimed[0].id, &fetched, &capture(t4, t4), &[])
            .unwrap();
        let stored = f.capture_of(&once).unwrap().expect("captured again");
        assert_eq!((stored.captured_at, stored.first_captured_at), (t4, t1));
    });
}

#[test]
fn captures_are_handed_back_with_claims_and_drive_rechecks() {
    on_each_store("contract_rechecks", |f| {
        f.add(&[
            new_url("http://a.test/", 0, UrlKind::Start),
            new_url("http://a.test/old-1.html", 1, UrlKind::Article),
            new_url("http://a.test/fresh-2.html", 1, UrlKind::Related),
            new_url("http://a.test/mid-3.html", 1, UrlKind::Article),
        ])
        .unwrap();
        let now = Utc::now();
        for c in f.claim("a.test", now, 10).unwrap() {
            let (at, first) = match c.url.path() {
                "/old-1.html" => (now - TimeDelta::days(30), now - TimeDelta::days(60)),
                "/mid-3.html" => (now - TimeDelta::days(4), now - TimeDelta::days(20)),
                _ => (now - TimeDelta::hours(1), now - TimeDelta::hours(1)),
            };
            let fetched = Outcome::Fetched { status: 200 };
            f.finish_capture(c.id, &fetched, &capture(at, first), &[])
                .unwrap();
        }
        // The start page always; old-1 (captured 30 days ago); fresh-2 (first captured an
        // hour ago); not mid-3 (captured 4 days ago, first 20 days ago).
        assert_eq!(f.reschedule(&recheck(now)).unwrap(), 3);
        let again = f.claim("a.test", now, 10).unwrap();
        let mut got: Vec<(&str, Option<u16>)> = again
            .iter()
            .map(|c| (c.url.path(), c.previous.as_ref().map(|p| p.status)))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("/", Some(200)),
                ("/fresh-2.html", Some(200)),
                ("/old-1.html", Some(200))
            ]
        );
        f.recover_in_flight().unwrap();
        // Another site's recheck touches nothing here.
        let other = Recheck {
            site: "other".into(),
            ..recheck(now)
        };
        assert_eq!(f.reschedule(&other).unwrap(), 0);
        // A sitemap lastmod newer than the capture queues mid-3 again; an older one does
        // not, nor one of an unknown URL.
        let mid = url("http://a.test/mid-3.html");
        let older = [(mid.clone(), now - TimeDelta::days(10))];
        assert_eq!(f.recheck_if_older(&older, now).unwrap(), 0);
        let unknown = [(url("http://a.test/new"), now)];
        assert_eq!(f.recheck_if_older(&unknown, now).unwrap(), 0);
        let newer = [(mid.clone(), now - TimeDelta::days(1))];
        assert_eq!(f.recheck_if_older(&newer, now).unwrap(), 1);
        let stored = f.capture_of(&mid).unwrap().expect("stored");
        assert_eq!(
            (stored.record.offset, stored.etag.as_deref()),
            (1234, Some("\"e1\""))
        );
        assert_eq!(
            stored.first_captured_at.timestamp_millis(),
            (now - TimeDelta::days(20)).timestamp_millis()
        );
    });
}

#[test]
fn a_run_rechecks_only_once_the_last_pass_is_done() {
    on_each_store("contract_begin_run", |f| {
        let now = Utc::now();
        let seeds = [new_url("http://a.test/", 0, UrlKind::Start)];
        assert_eq!(f.begin_run(&[recheck(now)], &seeds).unwrap(), 0);
        let c = f.claim("a.test", Utc::now(), 1).unwrap();
        let fetched = Outcome::Fetched { status: 200 };
        let link = [new_url("http://a.test/a", 1, UrlKind::Other)];
        f.finish_capture(c[0].id, &fetched, &capture(now, now), &link)
            .unwrap();
        // Work is left (a pending link): the next run finishes it first, no recheck.
        assert_eq!(f.begin_run(&[recheck(now)], &seeds).unwrap(), 0);
        let c = f.claim("a.test", Utc::now(), 1).unwrap();
        f.finish(c[0].id, &fetched).unwrap();
        // All done: the next run queues the start page and the other page again.
        assert_eq!(f.begin_run(&[recheck(now)], &seeds).unwrap(), 2);
        assert_eq!(f.stats().unwrap().pending, 2);
    });
}

#[test]
fn run_metadata_round_trips() {
    on_each_store("contract_meta", |f| {
        assert_eq!(f.get_meta("fingerprint").unwrap(), None);
        f.set_meta("fingerprint", "abc").unwrap();
        f.set_meta("fingerprint", "def").unwrap();
        assert_eq!(f.get_meta("fingerprint").unwrap().as_deref(), Some("def"));
    });
}
