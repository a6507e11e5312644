//! `glaneur verify`: checks framing and digests of every record; exit 1 on corruption.

use std::path::PathBuf;
use std::time::Instant;

use glaneur::read::verify::{files_to_check, verify_files};
use serde_json::json;

use super::{Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Archive folders (their `.warc*` files, `.open` ones included) or WARC files.
    #[arg(default_value = "archive")]
    pub paths: Vec<PathBuf>,
    /// Print the reports as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Runs `glaneur verify`.
pub fn run(args: &VerifyArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let files = files_to_check(&args.paths).map_err(|e| UsageError(e.to_string()))?;
    let start = Instant::now();
    let reports = verify_files(&files);
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let bad = reports.iter().filter(|r| !r.ok()).count();
    let records: u64 = reports.iter().map(|r| r.records).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    if args.json {
        printer.out_json(&json!({
            "ok": bad == 0,
            "files": reports.len(),
            "damaged_files": bad,
            "records": records,
            "bytes": bytes,
            "reports": reports,
        }))?;
    } else {
        let mut out = String::new();
        for r in &reports {
            if r.ok() {
                out.push_str(&format!(
                    "OK    {} ({} records)\n",
                    r.path.display(),
                    r.records
                ));
                continue;
            }
            out.push_str(&format!(
                "BAD   {} ({} intact records)\n",
                r.path.display(),
                r.records
            ));
            for p in &r.problems {
                let what = match (&p.record_type, &p.record_id, &p.target_uri) {
                    (Some(t), Some(id), uri) => {
                        format!(
                            " {t} record {id}{}",
                            uri.as_deref()
                                .map(|u| format!(" ({u})"))
                                .unwrap_or_default()
                        )
                    }
                    _ => p
                        .indexed_url
                        .as_deref()
                        .map(|u| format!(" (record of {u}, per the index)"))
                        .unwrap_or_default(),
                };
                let resumed = p
                    .resumed_at
                    .map(|o| format!("; readable again from offset {o}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "      {} at offset {}{what}: {}{resumed}\n",
                    p.kind, p.offset, p.message
                ));
            }
            if let Some(repair) = &r.repair {
                out.push_str(&format!("      repair: {repair}\n"));
            }
        }
        printer.out(out.as_bytes())?;
        printer.info(format_args!(
            "{} file(s), {records} records, {:.1} MB in {secs:.2}s ({:.0} records/s, {:.1} MB/s): {}",
            reports.len(),
            bytes as f64 / 1e6,
            records as f64 / secs,
            bytes as f64 / secs / 1e6,
            if bad == 0 {
                "all intact".to_string()
            } else {
                format!("{bad} damaged file(s)")
            }
        ));
    }
    Ok(if bad == 0 {
        ExitCode::Success
    } else {
        ExitCode::Fatal
    })
}
