//! PostgreSQL for tests: a database of its own for each test, on the cluster named by
//! `GLANEUR_TEST_POSTGRES` (a superuser URL; `.ci/run` starts one), or else on a
//! throwaway cluster this test process starts with `scripts/pg-throwaway.sh` (stopped by
//! a watchdog when the process exits). With `CI=true` and no PostgreSQL, tests fail;
//! elsewhere they say loudly that they were skipped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

/// The cluster URL (superuser), started once per test process if needed.
fn cluster() -> Option<&'static str> {
    static CLUSTER: OnceLock<Option<String>> = OnceLock::new();
    CLUSTER
        .get_or_init(|| {
            if let Ok(url) = std::env::var("GLANEUR_TEST_POSTGRES")
                && !url.trim().is_empty()
            {
                return Some(url.trim().to_string());
            }
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-throwaway.sh");
            let dir = std::env::temp_dir().join(format!(
                "glaneur-pg-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            let output = std::process::Command::new("bash")
                .arg(script)
                .arg("start")
                .arg(&dir)
                .arg("--watch")
                .arg(std::process::id().to_string())
                .output();
            match output {
                Ok(out) if out.status.success() => {
                    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
                    (!url.is_empty()).then_some(url)
                }
                Ok(out) => {
                    eprintln!(
                        "cannot start a throwaway PostgreSQL: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                    None
                }
                Err(e) => {
                    eprintln!("cannot run {script}: {e}");
                    None
                }
            }
        })
        .as_deref()
}

/// Runs `f` on a plain thread (a `postgres` client must not live in an async task).
fn off_runtime<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().expect("database thread")
}

/// A database of its own for one test; dropped (with its connections) at the end.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    admin: String,
    name: String,
}

impl TestDb {
    /// A new empty database; `None` (after saying so) when no PostgreSQL can be had
    /// outside CI. Panics in CI (`CI=true`) without PostgreSQL: tests never skip there.
    pub fn new(test: &str) -> Option<TestDb> {
        let Some(admin) = cluster() else {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!(
                    "{test}: no PostgreSQL: set GLANEUR_TEST_POSTGRES (as .ci/run does) or install the server (initdb, pg_ctl)"
                );
            }
            eprintln!(
                "SKIPPED {test}: no PostgreSQL (set GLANEUR_TEST_POSTGRES or install initdb/pg_ctl)"
            );
            return None;
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "glaneur_t_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let admin = admin.to_string();
        let (a, n) = (admin.clone(), name.clone());
        off_runtime(move || {
            let mut client = Client::connect(&a, NoTls).expect("connect to the test cluster");
            client
                .batch_execute(&format!("CREATE DATABASE {n}"))
                .expect("create a test database");
        });
        let mut url = url::Url::parse(&admin).expect("cluster URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            admin,
            name,
        })
    }

    /// A client on this database (use it off the async runtime, e.g. in `query`).
    pub fn query<T: Send + 'static>(&self, f: impl FnOnce(&mut Client) -> T + Send + 'static) -> T {
        let url = self.url.clone();
        off_runtime(move || {
            let mut client = Client::connect(&url, NoTls).expect("connect to the test database");
            f(&mut client)
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = Client::connect(&admin, NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
