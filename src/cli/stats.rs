//! `glaneur stats`: captures by host, status, MIME type and day; bytes; first and last
//! capture.

use std::collections::BTreeMap;

use glaneur::read::stats::archive_stats;

use super::{ArchiveOrPositional, Printer};
use crate::ExitCode;

/// Arguments of `glaneur stats`.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// The archive folder.
    #[command(flatten)]
    pub archive: ArchiveOrPositional,
    /// Print the statistics as JSON on standard output.
    #[arg(long)]
    pub json: bool,
    /// Exit with success even when damaged records had to be skipped (by default the
    /// command finishes its work, then exits with code 1 naming them).
    #[arg(long)]
    pub keep_going: bool,
}

fn table(out: &mut String, title: &str, map: &BTreeMap<String, u64>) {
    out.push_str(&format!("{title}:\n"));
    let mut rows: Vec<(&String, &u64)> = map.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (k, v) in rows {
        out.push_str(&format!("  {v:>10}  {k}\n"));
    }
}

/// Runs `glaneur stats`.
pub fn run(args: &StatsArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let s = archive_stats(&args.archive.existing()?)?;
    for d in &s.damaged {
        printer.warn(format_args!(
            "skipped damaged data: {d} (see `glaneur verify`)"
        ));
    }
    let code = super::damage_exit(s.damaged.len(), args.keep_going, printer);
    if args.json {
        printer.out_json(&s)?;
        return Ok(code);
    }
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "-".into())
    };
    let mut out = format!(
        "files:          {}\nbytes on disk:  {}\nrecords:        {}\ncaptures:       {} ({} revisits)\narticles:       {}\npayload bytes:  {}\nfirst capture:  {}\nlast capture:   {}\n",
        s.files,
        s.file_bytes,
        s.records,
        s.captures,
        s.revisits,
        s.articles,
        s.payload_bytes,
        date(s.first_capture),
        date(s.last_capture)
    );
    table(&mut out, "records by type", &s.by_record_type);
    table(&mut out, "captures by host", &s.by_host);
    table(&mut out, "captures by status", &s.by_status);
    table(&mut out, "captures by MIME type", &s.by_mime);
    out.push_str("captures by day:\n");
    for (k, v) in &s.by_day {
        out.push_str(&format!("  {v:>10}  {k}\n"));
    }
    printer.out(out.as_bytes())?;
    Ok(code)
}
