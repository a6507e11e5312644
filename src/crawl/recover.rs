//! After a crash: responses that a killed run archived but did not record in the state.
//!
//! A run killed between writing a capture and committing its outcome leaves the URL in
//! flight; it is fetched again. So that this does not store the page a second time, the
//! files the killed run wrote are read back ([`files_to_scan`]: the `.open` files repaired
//! at start, and the files it closed, which are not in the index yet since a run indexes
//! its files when it ends; a kill can land just after a file rotation, with the response
//! in the closed file and its state not committed), and a response found there for an
//! in-flight URL becomes the URL's last capture (without validators, so the new request is
//! unconditional and its links are read again): the re-fetch then writes an
//! identical-payload-digest revisit. A 2xx response whose article metadata record is not
//! in the file is marked `described = false`, so the re-fetch writes the article; a
//! metadata record written with a later revisit of that response (by a run that was killed
//! in turn before it committed) counts as its article, so it is not written a third time.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::frontier::{CaptureState, Frontier, FrontierError, LostRecords, StoredRecord};
use crate::warc::{DamagedSpan, Record, RepairReport, WarcReader};

/// The files a killed run may have left orphan responses in: the repaired `.open` files
/// and the closed WARC files of `dir` not yet in its index, sorted by name (oldest first).
/// A file indexed by a `glaneur index` run during the killed crawl is not read back.
pub fn files_to_scan(dir: &Path, repaired: &[PathBuf]) -> Vec<PathBuf> {
    let indexed = crate::read::index::indexed_files(dir);
    let mut files: Vec<PathBuf> = crate::read::warc_files(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| {
            repaired.contains(f)
                || f.file_name()
                    .is_some_and(|n| !indexed.contains(n.to_string_lossy().as_ref()))
        })
        .collect();
    for f in repaired {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    files.sort();
    files
}

/// A response record found in a repaired file.
struct Found {
    file: String,
    offset: u64,
    record: Record,
}

/// HTTP status of a response record's head.
fn status_of(record: &Record) -> Option<u16> {
    let head = record.http_head()?;
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Adopts the orphan responses of `repaired` files for the frontier's in-flight URLs;
/// returns how many. Unreadable files are skipped (their records stay in the archive).
pub fn adopt_orphans(
    frontier: &mut dyn Frontier,
    repaired: &[PathBuf],
) -> Result<u64, FrontierError> {
    if repaired.is_empty() {
        return Ok(0);
    }
    let in_flight = frontier.in_flight()?;
    adopt_orphans_of(frontier, in_flight, repaired)
}

/// Like [`adopt_orphans`], for the given in-flight URLs (row id and URL), e.g. those of
/// a dead worker of a shared state.
pub fn adopt_orphans_of(
    frontier: &mut dyn Frontier,
    in_flight: Vec<(i64, url::Url)>,
    repaired: &[PathBuf],
) -> Result<u64, FrontierError> {
    if repaired.is_empty() {
        return Ok(0);
    }
    reconcile_repairs(frontier, repaired)?;
    let in_flight: HashMap<String, i64> = in_flight
        .into_iter()
        .map(|(id, url)| (url.to_string(), id))
        .collect();
    if in_flight.is_empty() {
        return Ok(0);
    }
    let mut responses: HashMap<String, Found> = HashMap::new();
    let mut described: HashSet<String> = HashSet::new();
    let mut revisit_of: HashMap<String, String> = HashMap::new();
    for path in repaired {
        read_file(
            path,
            &in_flight,
            &mut responses,
            &mut described,
            &mut revisit_of,
        );
    }
    let mut adopted = 0;
    for (uri, found) in responses {
        let Some(id) = in_flight.get(&uri) else {
            continue;
        };
        let Some(status) = status_of(&found.record) else {
            continue;
        };
        let (Some(record_id), Some(digest), Some(date)) = (
            found.record.header("WARC-Record-ID"),
            found.record.header("WARC-Payload-Digest"),
            found
                .record
                .header("WARC-Date")
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                .map(|d| d.with_timezone(&Utc)),
        ) else {
            continue;
        };
        let has_meta = !(200..300).contains(&status) || described.contains(record_id);
        let state = CaptureState {
            captured_at: date,
            first_captured_at: date,
            status,
            etag: None,
            last_modified: None,
            payload_digest: digest.to_string(),
            record: StoredRecord {
                file: found.file,
                offset: found.offset,
                id: record_id.to_string(),
                date,
            },
            described: has_meta,
        };
        frontier.set_capture(*id, &state)?;
        adopted += 1;
    }
    Ok(adopted)
}

/// Reconciles the state with the repairs of `files` not reconciled yet (their
/// `.damaged.json` reports): URLs whose capture was moved aside are fetched again without
/// validators, as new; intact responses whose article was lost are fetched again to write
/// it. Each report is marked reconciled once the state is updated. Returns the URLs queued.
pub fn reconcile_repairs(
    frontier: &mut dyn Frontier,
    files: &[PathBuf],
) -> Result<u64, FrontierError> {
    let mut queued = 0;
    for path in files {
        let mut reports = RepairReport::load(path);
        if reports.iter().all(|r| r.reconciled) {
            continue;
        }
        for report in reports.iter_mut().filter(|r| !r.reconciled) {
            let lost = LostRecords {
                file: report.file.clone(),
                ranges: report.spans.iter().map(DamagedSpan::lost_range).collect(),
                undescribed: report.undescribed.clone(),
            };
            let n = frontier.requeue_lost(&lost, Utc::now())?;
            if n > 0 {
                tracing::warn!(
                    "{}: {n} URL(s) whose capture or article was damaged are fetched again",
                    path.display()
                );
            }
            queued += n;
            report.reconciled = true;
        }
        if let Err(e) = RepairReport::save(path, &reports) {
            tracing::warn!("{e}: the repair will be reconciled again at the next run");
        }
    }
    Ok(queued)
}

/// The repair reports of `repaired` files (the files this run repaired: a file is
/// repaired once, when it is closed), for the run summary.
pub fn repair_events(repaired: &[PathBuf]) -> Vec<RepairReport> {
    repaired
        .iter()
        .flat_map(|f| RepairReport::load(f))
        .collect()
}

fn read_file(
    path: &Path,
    in_flight: &HashMap<String, i64>,
    responses: &mut HashMap<String, Found>,
    described: &mut HashSet<String>,
    revisit_of: &mut HashMap<String, String>,
) {
    let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    let reader = match WarcReader::open(path) {
        Ok(reader) => reader,
        Err(e) => {
            tracing::warn!("cannot read {} back after a crash: {e}", path.display());
            return;
        }
    };
    for item in reader {
        let Ok((offset, record)) = item else {
            break;
        };
        match record.record_type() {
            Some("response") => {
                if let Some(uri) = record.header("WARC-Target-URI")
                    && in_flight.contains_key(uri)
                {
                    responses.insert(
                        uri.to_string(),
                        Found {
                            file: file.to_string(),
                            offset,
                            record,
                        },
                    );
                }
            }
            Some("revisit") => {
                if let (Some(id), Some(refers)) = (
                    record.header("WARC-Record-ID"),
                    record.header("WARC-Refers-To"),
                ) {
                    revisit_of.insert(id.to_string(), refers.to_string());
                }
            }
            Some("metadata") => {
                if let Some(refers) = record.header("WARC-Refers-To") {
                    // An article written with a revisit (the response's run was killed
                    // before its article) describes the response the revisit refers to.
                    if let Some(response) = revisit_of.get(refers) {
                        described.insert(response.clone());
                    }
                    described.insert(refers.to_string());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;
    use crate::frontier::{NewUrl, Outcome, SqliteFrontier, UrlKind};
    use crate::warc::{WarcWriter, WriterConfig};
    use url::Url;

    /// An in-memory frontier with `urls` (articles of host a.test) claimed: in flight, as
    /// a killed run leaves them.
    fn in_flight(urls: &[&Url]) -> (SqliteFrontier, Vec<crate::frontier::ClaimedUrl>) {
        let mut f = SqliteFrontier::open_in_memory().unwrap();
        let new: Vec<NewUrl> = urls
            .iter()
            .map(|u| NewUrl {
                url: (*u).clone(),
                host: "a.test".into(),
                site: "t".into(),
                depth: 1,
                kind: UrlKind::Article,
                found_on: None,
            })
            .collect();
        f.add(&new).unwrap();
        let claimed = f.claim("a.test", Utc::now(), 10).unwrap();
        (f, claimed)
    }

    fn capture(url: &str, body: &str) -> Capture {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nETag: \"x\"\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut headers = http::HeaderMap::new();
        headers.insert("etag", http::HeaderValue::from_static("\"x\""));
        Capture {
            url: Url::parse(url).unwrap(),
            started: Utc::now(),
            ip: None,
            request: b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n".to_vec(),
            status: 200,
            response_head: head.into_bytes(),
            headers,
            body: bytes::Bytes::from(body.to_string()),
            truncated: None,
            elapsed: std::time::Duration::from_millis(5),
        }
    }

    #[test]
    fn responses_of_in_flight_urls_are_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = WarcWriter::new(WriterConfig::new(dir.path())).unwrap();
        let a = capture("http://a.test/a-1.html", "article a");
        let b = capture("http://a.test/b-2.html", "article b");
        let c = capture("http://a.test/c-3.html", "article c");
        let la = writer.write_capture(&a).unwrap();
        writer
            .write_capture_metadata(&a, &la.response.id, "application/json", b"{}")
            .unwrap();
        writer.write_capture(&b).unwrap();
        writer.write_capture(&c).unwrap();
        let files = writer.finish().unwrap();

        let (mut f, claimed) = in_flight(&[&a.url, &b.url, &c.url]);
        let c_id = claimed.iter().find(|u| u.url == c.url).unwrap().id;
        f.finish(c_id, &Outcome::Fetched { status: 200 }).unwrap();

        assert_eq!(adopt_orphans(&mut f, &files).unwrap(), 2);
        let sa = f.capture_of(&a.url).unwrap().unwrap();
        assert_eq!(sa.record.id, la.response.id.0);
        assert_eq!(sa.record.offset, la.response.offset);
        assert_eq!(sa.payload_digest, la.payload_digest);
        assert!(sa.described);
        assert_eq!(
            sa.etag, None,
            "no validators: the re-fetch is unconditional"
        );
        let sb = f.capture_of(&b.url).unwrap().unwrap();
        assert!(
            !sb.described,
            "no metadata record: the article is written again"
        );
        assert_eq!(f.capture_of(&c.url).unwrap(), None, "not in flight");
        // Nothing to adopt without repaired files.
        assert_eq!(adopt_orphans(&mut f, &[]).unwrap(), 0);
    }

    #[test]
    fn an_article_written_with_a_revisit_describes_the_response() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = WarcWriter::new(WriterConfig::new(dir.path())).unwrap();
        let b = capture("http://a.test/b-2.html", "article b");
        // Run 1 archived the response and was killed before its article; run 2 fetched
        // again, wrote a revisit and the article, and was killed before committing.
        let lb = writer.write_capture(&b).unwrap();
        let of = crate::warc::RevisitOf {
            record_id: lb.response.id.0.clone(),
            target_uri: b.url.to_string(),
            date: b.started,
            payload_digest: lb.payload_digest.clone(),
        };
        let rev = writer
            .write_revisit(&b, crate::warc::RevisitProfile::IdenticalPayloadDigest, &of)
            .unwrap();
        writer
            .write_capture_metadata(&b, &rev.response.id, "application/json", b"{}")
            .unwrap();
        let files = writer.finish().unwrap();

        let (mut f, _) = in_flight(&[&b.url]);
        assert_eq!(adopt_orphans(&mut f, &files).unwrap(), 1);
        let sb = f.capture_of(&b.url).unwrap().unwrap();
        assert_eq!(sb.record.id, lb.response.id.0);
        assert!(sb.described, "the article written with the revisit counts");
    }

    #[test]
    fn responses_in_files_closed_by_a_rotation_are_found_until_indexed() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = WriterConfig::new(dir.path());
        config.max_file_bytes = 1; // every record closes its file
        let mut writer = WarcWriter::new(config).unwrap();
        let a = capture("http://a.test/a-1.html", "article a");
        let la = writer.write_capture(&a).unwrap();
        // Killed here: the file is closed (no `.open` file to repair), the state not updated.
        std::mem::forget(writer);
        let repaired = crate::warc::repair_open_files(dir.path()).unwrap();
        assert!(repaired.is_empty());
        let scan = files_to_scan(dir.path(), &repaired);
        assert!(
            scan.iter()
                .any(|f| f.file_name().unwrap().to_string_lossy() == la.response.file),
            "{scan:?}"
        );
        let (mut f, _) = in_flight(&[&a.url]);
        assert_eq!(adopt_orphans(&mut f, &scan).unwrap(), 1);
        assert_eq!(
            f.capture_of(&a.url).unwrap().unwrap().record.id,
            la.response.id.0
        );
        // Once indexed (by the end of a run), a file is not read back again.
        crate::archive::index_archive(dir.path()).unwrap();
        assert!(files_to_scan(dir.path(), &[]).is_empty());
    }
}
