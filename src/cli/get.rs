//! `glaneur get`: the capture of a URL nearest in time, through the index.

use anyhow::Context;
use glaneur::archive::index_archive;
use glaneur::read::completed::completed_article;
use glaneur::read::{find_capture, parse_user_date};
use glaneur::render::page_requisites::page_requisites;
use serde_json::json;
use url::Url;

use super::{ArchiveArg, Printer, UsageError};
use crate::ExitCode;

/// Arguments of `glaneur get`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("what").args(["body", "info", "headers", "record", "article", "requisites"])))]
pub struct GetArgs {
    /// The page URL.
    pub url: Url,
    /// The capture nearest to this date (`YYYYMMDDhhmmss`, a prefix of it, `YYYY-MM-DD` or
    /// RFC 3339); the latest capture by default.
    #[arg(long)]
    pub at: Option<String>,
    /// The archive folder.
    #[command(flatten)]
    pub archive: ArchiveArg,
    /// Write the body (transfer and content codings removed) to standard output, as curl
    /// would: the default.
    #[arg(long)]
    pub body: bool,
    /// Describe the capture as JSON (time, status, MIME type, digest, WARC file and
    /// offset, the record it revisits) instead of printing its body.
    #[arg(long)]
    pub info: bool,
    /// Write the HTTP response head.
    #[arg(long)]
    pub headers: bool,
    /// Write the WARC record as stored (uncompressed).
    #[arg(long)]
    pub record: bool,
    /// Write the extracted article (JSON) as `glaneur articles` gives it: completed from
    /// the WordPress post JSON captured with the page (those fields' method is `wp-rest`,
    /// and they are named on standard error).
    #[arg(long)]
    pub article: bool,
    /// List the requisites of a page rendered in a browser (scripts, JSON calls, images
    /// it loaded), one JSON object a line: URL, record type, status, date, record id.
    #[arg(long)]
    pub requisites: bool,
    /// Do not bring the index up to date first.
    #[arg(long)]
    pub no_update: bool,
}

/// Runs `glaneur get`.
pub fn run(args: &GetArgs, printer: Printer) -> anyhow::Result<ExitCode> {
    let dir = args.archive.existing()?;
    let at = match &args.at {
        Some(v) => Some(parse_user_date(v).ok_or_else(|| {
            UsageError(format!(
                "--at {v:?}: expected YYYYMMDDhhmmss (or a prefix), YYYY-MM-DD or RFC 3339"
            ))
        })?),
        None => None,
    };
    if !args.no_update
        && let Err(e) = index_archive(dir)
    {
        printer.warn(format_args!("could not update the index: {e}"));
    }
    let capture = find_capture(dir, &args.url, at)?;
    if args.headers {
        let head = capture
            .http_head()
            .context("the capture is not an HTTP response")?;
        printer.out(head)?;
    } else if args.record {
        printer.out(&capture.record.to_bytes())?;
    } else if args.article {
        let completed = completed_article(dir, &capture)?;
        if let Some((route, at)) = &completed.json_capture {
            match completed.from_json.is_empty() {
                true => printer.info(format_args!(
                    "the post JSON {route} (captured {at}) filled no field"
                )),
                false => printer.info(format_args!(
                    "from the post JSON {route} (captured {at}): {}",
                    completed.from_json.join(", ")
                )),
            }
        }
        printer.out_json_line(&completed.article)?;
    } else if args.requisites {
        for requisite in page_requisites(dir, &capture)? {
            printer.out_json_line(&requisite)?;
        }
    } else if args.info {
        let e = &capture.entry;
        let original = capture.original.as_ref().map(
            |(o, _)| json!({"timestamp": o.timestamp, "filename": o.filename, "offset": o.offset, "inner_offset": o.inner}),
        );
        printer.out_json(&json!({
            "url": e.url,
            "timestamp": e.timestamp,
            "record_type": capture.record.record_type(),
            "status": e.status,
            "mime": e.mime,
            "digest": e.digest,
            "filename": e.filename,
            "offset": e.offset,
            "inner_offset": e.inner,
            "length": e.length,
            "revisit_of": original,
        }))?;
    } else {
        printer.out(&capture.body()?)?;
    }
    Ok(ExitCode::Success)
}
