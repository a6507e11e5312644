//! A full disk under the archive and under the state.

use super::*;

/// A small tmpfs mounted for the duration of a test, unmounted on drop.
pub(super) struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    pub(super) fn mount(path: &Path, size: &str) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .stderr(std::process::Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("mount exited with {status}"));
        }
        Ok(SmallDisk {
            path: path.to_path_buf(),
        })
    }

    pub(super) fn grow(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .expect("run mount");
        assert!(status.success(), "remount {}", self.path.display());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// Incompressible bytes (xorshift), so the archive grows as fast as the pages.
pub(super) fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[tokio::test]
async fn disk_full_stops_the_crawl_cleanly_and_a_later_run_resumes() {
    let pages = 40u64;
    let server = RawServer::start(move |hit| {
        if hit.path == "/robots.txt" {
            return not_found();
        }
        if hit.path == "/" {
            return html(
                &(1..=pages)
                    .map(|i| format!("<a href=\"/blob/{i}\">{i}</a>"))
                    .collect::<String>(),
            );
        }
        let i: u64 = hit.path.trim_start_matches("/blob/").parse().unwrap_or(0);
        vec![Step::Write(response(
            200,
            &[("Content-Type", "application/octet-stream")],
            &noise(i, 64 << 10),
        ))]
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    // The archive on a 1 MiB file system (about 15 of the 40 pages fit); the state elsewhere.
    let disk = match SmallDisk::mount(&dir.path().join("archive"), "1m") {
        Ok(disk) => disk,
        Err(e) => panic!("this test mounts a tmpfs and needs root (CAP_SYS_ADMIN): {e}"),
    };
    let mut settings = settings_at(
        dir.path(),
        server.addr,
        &["disk.test"],
        &["http://disk.test/"],
    );
    // One request in flight: with several, a job whose write was queued behind the failed one
    // may report "the WARC writer has stopped" before the failed job reports the cause (a
    // crawl-loop issue, see the report); one at a time, the cause is what the crawl returns.
    settings.policy.default.max_concurrent = 1;

    let error = crawl::run(settings.clone(), CancellationToken::new())
        .await
        .expect_err("a full disk stops the crawl");
    let message = error.to_string();
    assert!(message.contains("No space left on device"), "{message}");
    assert!(message.contains("archive"), "{message}");

    // Every file is closed and well-formed; no `.open` file is left behind.
    let archive = dir.path().join("archive");
    let names: Vec<String> = std::fs::read_dir(&archive)
        .expect("archive dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".open")), "{names:?}");
    let first_run = responses(dir.path());
    assert!(
        !first_run.is_empty() && first_run.len() < pages as usize,
        "{}",
        first_run.len()
    );
    for r in &first_run {
        r.verify_digests().expect("complete records");
    }
    // The state agrees with the archive: what it calls fetched is in a WARC file.
    let archived: std::collections::HashSet<String> = first_run
        .iter()
        .filter_map(|r| r.header("WARC-Target-URI").map(str::to_string))
        .collect();
    let frontier = SqliteFrontier::open(&dir.path().join("state.sqlite")).expect("state");
    for i in 1..=pages {
        let url = format!("http://disk.test/blob/{i}");
        if let Some(rec) = frontier
            .lookup(&Url::parse(&url).expect("URL"))
            .expect("lookup")
            && rec.state == "fetched"
        {
            assert!(
                archived.contains(&url),
                "{url} fetched in the state but not archived"
            );
        }
    }
    drop(frontier);

    // More room: a second run resumes and captures the rest, each page once.
    disk.grow("64m");
    let summary = run(settings).await;
    assert_eq!(summary.stop_reason, StopReason::Completed);
    let all = responses(dir.path());
    for i in 1..=pages {
        let url = format!("http://disk.test/blob/{i}");
        let n = all
            .iter()
            .filter(|r| r.header("WARC-Target-URI") == Some(url.as_str()))
            .count();
        assert_eq!(n, 1, "{url} captured once over both runs");
    }
    let requested = server.paths("disk.test");
    for url in archived.iter().filter(|u| !u.ends_with("/robots.txt")) {
        let path = url.trim_start_matches("http://disk.test");
        let n = requested.iter().filter(|p| p.as_str() == path).count();
        assert_eq!(
            n, 1,
            "{url}, archived by the first run, was not fetched again"
        );
    }
    // robots.txt twice, `/` once, every page once, plus the page in flight when the disk
    // filled (fetched again: it was never archived) and possibly the next one, whose permit
    // raced with the stop (see the report).
    let archived_first = archived.len() as u64;
    let hits = server.paths("disk.test").len() as u64;
    assert!(
        hits <= pages + 5 && archived_first > 1,
        "two pages at most fetched twice: {hits} requests: {requested:?}"
    );
}
