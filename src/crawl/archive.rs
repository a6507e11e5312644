//! The archive's writer thread: WARC writing is blocking I/O and compression, so one
//! thread owns the [`WarcWriter`] and the async crawl talks to it through a channel.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::archive::{LiveIndex, PreparedIndex};
use crate::capture::Capture;
use crate::warc::{
    CaptureLocation, RecordId, RecordLocation, RevisitOf, RevisitProfile, WarcError, WarcWriter,
    sha1_digest,
};

/// How a capture was archived.
#[derive(Debug, Clone)]
pub struct Written {
    /// Where its records are (`response` is the revisit record for a revisit).
    pub location: CaptureLocation,
    /// `Some` when a `revisit` record was written instead of a full response.
    pub revisit: Option<RevisitProfile>,
}

/// Archives `capture`: a revisit record when `previous` (the status and record of the last
/// full response) shows the payload is unchanged (a 304, or a complete response with the
/// same status and payload digest, a 404 included), a full response otherwise.
fn write_recapture(
    writer: &mut WarcWriter,
    capture: &Capture,
    previous: Option<&(u16, RevisitOf)>,
) -> Result<Written, WarcError> {
    if let Some((status, of)) = previous {
        let profile = if capture.status == 304 {
            Some(RevisitProfile::ServerNotModified)
        } else if capture.status == *status
            && capture.truncated.is_none()
            && sha1_digest(&capture.body) == of.payload_digest
        {
            Some(RevisitProfile::IdenticalPayloadDigest)
        } else {
            None
        };
        if let Some(profile) = profile {
            let location = writer.write_revisit(capture, profile, of)?;
            return Ok(Written {
                location,
                revisit: Some(profile),
            });
        }
    }
    let location = writer.write_capture(capture)?;
    Ok(Written {
        location,
        revisit: None,
    })
}

enum Command {
    Capture(
        Box<Capture>,
        Option<oneshot::Sender<Result<CaptureLocation, WarcError>>>,
    ),
    Recapture {
        capture: Box<Capture>,
        previous: Option<(u16, RevisitOf)>,
        reply: oneshot::Sender<Result<Written, WarcError>>,
    },
    Metadata {
        /// `metadata` or `conversion`.
        warc_type: &'static str,
        target_uri: String,
        refers_to: RecordId,
        date: DateTime<Utc>,
        content_type: String,
        block: Vec<u8>,
        reply: oneshot::Sender<Result<RecordLocation, WarcError>>,
    },
}

/// A cloneable handle to the writer thread.
#[derive(Clone)]
pub struct ArchiveHandle {
    sender: mpsc::Sender<Command>,
}

/// The writer thread; [`ArchiveThread::finish`] closes the files.
pub struct ArchiveThread {
    handle: JoinHandle<Result<Vec<PathBuf>, WarcError>>,
    /// The index lines of what the thread writes.
    live: LiveIndex,
}

/// What the writer thread wrote.
pub struct Closed {
    /// The WARC files closed.
    pub files: Vec<PathBuf>,
    /// Their index lines, made as they were written.
    pub index: PreparedIndex,
}

/// The writer thread stopped (after a write error) and can take no more records.
#[derive(Debug, thiserror::Error)]
#[error("the WARC writer has stopped")]
pub struct ArchiveClosed;

/// Starts the writer thread, which keeps the index lines of what it writes.
pub fn start(mut writer: WarcWriter) -> std::io::Result<(ArchiveHandle, ArchiveThread)> {
    let live = LiveIndex::default();
    writer.observe(Box::new(live.clone()));
    let (sender, receiver) = mpsc::channel::<Command>();
    let handle = std::thread::Builder::new()
        .name("warc-writer".into())
        .spawn(move || run(writer, receiver))?;
    Ok((ArchiveHandle { sender }, ArchiveThread { handle, live }))
}

fn run(
    mut writer: WarcWriter,
    receiver: mpsc::Receiver<Command>,
) -> Result<Vec<PathBuf>, WarcError> {
    while let Ok(command) = receiver.recv() {
        match command {
            Command::Capture(capture, reply) => {
                let result = writer.write_capture(&capture);
                let failed = result.as_ref().err().map(|e| e.to_string());
                match reply {
                    Some(reply) => {
                        let _ = reply.send(result);
                    }
                    None => {
                        if let Err(e) = result {
                            tracing::error!("cannot archive {}: {e}", capture.url);
                        }
                    }
                }
                if failed.is_some() {
                    break;
                }
            }
            Command::Recapture {
                capture,
                previous,
                reply,
            } => {
                let result = write_recapture(&mut writer, &capture, previous.as_ref());
                let failed = result.is_err();
                let _ = reply.send(result);
                if failed {
                    break;
                }
            }
            Command::Metadata {
                warc_type,
                target_uri,
                refers_to,
                date,
                content_type,
                block,
                reply,
            } => {
                let result = if warc_type == "conversion" {
                    writer.write_conversion(&target_uri, &refers_to, date, &content_type, &block)
                } else {
                    writer.write_metadata(&target_uri, &refers_to, date, &content_type, &block)
                };
                let failed = result.is_err();
                let _ = reply.send(result);
                if failed {
                    break;
                }
            }
        }
    }
    writer.finish()
}

impl ArchiveHandle {
    /// Archives a capture, as a revisit of `previous` (status and record of the last full
    /// response) when its payload is unchanged.
    pub async fn write_recapture(
        &self,
        capture: Capture,
        previous: Option<(u16, RevisitOf)>,
    ) -> Result<Result<Written, WarcError>, ArchiveClosed> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Command::Recapture {
                capture: Box::new(capture),
                previous,
                reply,
            })
            .map_err(|_| ArchiveClosed)?;
        answer.await.map_err(|_| ArchiveClosed)
    }

    /// Queues a capture without waiting (used for robots.txt exchanges).
    pub fn write_capture_detached(&self, capture: Capture) {
        if self
            .sender
            .send(Command::Capture(Box::new(capture), None))
            .is_err()
        {
            tracing::error!("the WARC writer has stopped: a robots.txt capture was not archived");
        }
    }

    /// Writes a metadata record referring to `refers_to`.
    pub async fn write_metadata(
        &self,
        target_uri: String,
        refers_to: RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: Vec<u8>,
    ) -> Result<Result<RecordLocation, WarcError>, ArchiveClosed> {
        self.write_referring("metadata", target_uri, refers_to, date, content_type, block)
            .await
    }

    /// Writes a conversion record (e.g. a rendered DOM) referring to `refers_to`.
    pub async fn write_conversion(
        &self,
        target_uri: String,
        refers_to: RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: Vec<u8>,
    ) -> Result<Result<RecordLocation, WarcError>, ArchiveClosed> {
        self.write_referring(
            "conversion",
            target_uri,
            refers_to,
            date,
            content_type,
            block,
        )
        .await
    }

    async fn write_referring(
        &self,
        warc_type: &'static str,
        target_uri: String,
        refers_to: RecordId,
        date: DateTime<Utc>,
        content_type: &str,
        block: Vec<u8>,
    ) -> Result<Result<RecordLocation, WarcError>, ArchiveClosed> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Command::Metadata {
                warc_type,
                target_uri,
                refers_to,
                date,
                content_type: content_type.to_string(),
                block,
                reply,
            })
            .map_err(|_| ArchiveClosed)?;
        answer.await.map_err(|_| ArchiveClosed)
    }
}

impl ArchiveThread {
    /// Waits for every handle to be dropped, then closes the files; returns the files
    /// written and their index lines.
    pub fn finish(self) -> Result<Closed, WarcError> {
        match self.handle.join() {
            Ok(result) => result.map(|files| Closed {
                files,
                index: self.live.take(),
            }),
            Err(_) => Err(WarcError::Io {
                path: PathBuf::from("<warc writer thread>"),
                source: std::io::Error::other("the WARC writer thread panicked"),
            }),
        }
    }
}
