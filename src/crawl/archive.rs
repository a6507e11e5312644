//! The archive's writer thread: WARC writing is blocking I/O and compression, so one
//! thread owns the [`WarcWriter`] and the async crawl talks to it through a channel.

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::capture::Capture;
use crate::warc::{CaptureLocation, RecordId, RecordLocation, WarcError, WarcWriter};

enum Command {
    Capture(
        Box<Capture>,
        Option<oneshot::Sender<Result<CaptureLocation, WarcError>>>,
    ),
    Metadata {
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
}

/// The writer thread stopped (after a write error) and can take no more records.
#[derive(Debug, thiserror::Error)]
#[error("the WARC writer has stopped")]
pub struct ArchiveClosed;

/// Starts the writer thread.
pub fn start(writer: WarcWriter) -> std::io::Result<(ArchiveHandle, ArchiveThread)> {
    let (sender, receiver) = mpsc::channel::<Command>();
    let handle = std::thread::Builder::new()
        .name("warc-writer".into())
        .spawn(move || run(writer, receiver))?;
    Ok((ArchiveHandle { sender }, ArchiveThread { handle }))
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
            Command::Metadata {
                target_uri,
                refers_to,
                date,
                content_type,
                block,
                reply,
            } => {
                let result =
                    writer.write_metadata(&target_uri, &refers_to, date, &content_type, &block);
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
    /// Writes a capture's request and response records.
    pub async fn write_capture(
        &self,
        capture: Capture,
    ) -> Result<Result<CaptureLocation, WarcError>, ArchiveClosed> {
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Command::Capture(Box::new(capture), Some(reply)))
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
        let (reply, answer) = oneshot::channel();
        self.sender
            .send(Command::Metadata {
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
    /// Waits for every handle to be dropped, then closes the files; returns the files written.
    pub fn finish(self) -> Result<Vec<PathBuf>, WarcError> {
        match self.handle.join() {
            Ok(result) => result,
            Err(_) => Err(WarcError::Io {
                path: PathBuf::from("<warc writer thread>"),
                source: std::io::Error::other("the WARC writer thread panicked"),
            }),
        }
    }
}
