//! `glaneur serve`: the web interface and JSON API over an archive folder.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use glaneur::serve::{App, ServeConfig, serve};

use super::crawl::UsageError;
use super::read_util::archive_dir;
use crate::ExitCode;

/// Arguments of `glaneur serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The archive folder.
    #[arg(long, default_value = "archive")]
    pub archive: PathBuf,
    /// Address and port to listen on. Loopback by default: the interface has no
    /// authentication, so anything else exposes the archive to the network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Folder for the search index, the cached scans of the WARC files and the integrity
    /// results (default ARCHIVE/.glaneur). The only place written.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Seconds between checks for new or changed WARC files (0: only at startup).
    #[arg(long, default_value_t = 60)]
    pub refresh: u64,
    /// Do not check the integrity (digests) of the WARC files in the background.
    #[arg(long)]
    pub no_verify: bool,
}

/// Runs `glaneur serve` until Ctrl-C.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    archive_dir(&args.archive)?;
    if !args.bind.ip().is_loopback() {
        tracing::warn!(
            "listening on {} which is not a loopback address: anyone who can reach it can read the archive (there is no authentication)",
            args.bind
        );
    }
    let config = ServeConfig {
        archive: args.archive.clone(),
        state_dir: args.state.clone(),
        verify: !args.no_verify,
    };
    let app = App::open(&config).map_err(|e| match e {
        glaneur::serve::ServeError::State { .. } => anyhow::Error::new(UsageError(format!(
            "{e} (give a writable folder with --state)"
        ))),
        other => other.into(),
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let addr = listener.local_addr().unwrap_or(args.bind);
        super::logging::say(&format!(
            "glaneur serve: http://{addr}/ (archive {}, state {}); Ctrl-C to stop",
            args.archive.display(),
            app.state_dir().display()
        ));
        tokio::spawn(refresh_loop(Arc::clone(&app), args.refresh));
        serve(app, listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::Success)
}

/// Reads the archive at startup, then every `every` seconds; checks integrity after
/// each refresh.
async fn refresh_loop(app: Arc<App>, every: u64) {
    loop {
        let a = Arc::clone(&app);
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || a.refresh()).await {
            Ok(Ok(r)) if r.files_read > 0 || r.files_removed > 0 || r.indexed > 0 => {
                tracing::info!(
                    "archive read: {} file(s) read, {} cached, {} removed; {} article(s) indexed in {:.1?}",
                    r.files_read,
                    r.files_cached,
                    r.files_removed,
                    r.indexed,
                    started.elapsed()
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("reading the archive failed: {e}"),
            Err(e) => tracing::error!("reading the archive failed: {e}"),
        }
        let a = Arc::clone(&app);
        tokio::task::spawn_blocking(move || a.verify_pending());
        if every == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(every)).await;
    }
}
