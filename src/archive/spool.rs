//! The external sort behind the index writer ([`super::index`]): new index lines are kept
//! in memory up to a budget, then sorted and written to a *run* file beside the index; at
//! the end the old index (less the lines of files re-indexed or gone), the runs and what
//! is left in memory are merged in one pass into the new index. Memory is bounded by the
//! budget and the number of runs, never by the size of the archive being indexed.
//!
//! Run files are named like the index's temporary files (`index.run3.tmp-PID`), so the
//! next indexer removes those of one killed halfway ([`super::index`]'s lock).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::read::ReadError;
use crate::read::index::CdxjEntry;

/// Counted per line on top of its bytes: the `String` and the allocator's share.
const LINE_OVERHEAD: usize = 40;
/// Buffer of each run file read during the merge.
const RUN_READ_BUFFER: usize = 64 * 1024;

/// Sorted runs of index lines bound for one index file.
pub(super) struct Spool {
    /// The index file the lines are for (`DIR/index.cdxj`).
    target: PathBuf,
    /// Bytes of lines kept in memory before they are sorted and written out.
    budget: usize,
    lines: Vec<String>,
    bytes: usize,
    runs: Vec<PathBuf>,
    /// Lines pushed in all.
    pushed: u64,
}

impl Spool {
    /// A spool for the index file `target`, holding at most about `budget` bytes of lines.
    pub(super) fn new(target: &Path, budget: usize) -> Spool {
        Spool {
            target: target.to_path_buf(),
            budget: budget.max(1),
            lines: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
            pushed: 0,
        }
    }

    /// Adds lines; writes a sorted run out when the budget is reached.
    pub(super) fn extend(
        &mut self,
        lines: impl IntoIterator<Item = String>,
    ) -> Result<(), ReadError> {
        for line in lines {
            self.bytes += line.len() + LINE_OVERHEAD;
            self.lines.push(line);
            self.pushed += 1;
        }
        if self.bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Lines pushed in all.
    pub(super) fn pushed(&self) -> u64 {
        self.pushed
    }

    /// Run files written so far.
    #[cfg(test)]
    pub(super) fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> Result<(), ReadError> {
        self.lines.sort_unstable();
        let path = self.target.with_extension(format!(
            "run{}.tmp-{}",
            self.runs.len(),
            std::process::id()
        ));
        // Registered first: a failed write leaves a file that `Drop` removes.
        self.runs.push(path.clone());
        let io = |e| crate::read::io_err(&path)(e);
        let file = File::create(&path).map_err(io)?;
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        for line in self.lines.drain(..) {
            w.write_all(line.as_bytes()).map_err(io)?;
            w.write_all(b"\n").map_err(io)?;
        }
        w.flush().map_err(io)?;
        self.lines = Vec::new();
        self.bytes = 0;
        Ok(())
    }

    /// Merges the spooled lines into the sorted index file (created when missing), dropping
    /// its lines whose `filename` is in `drop`, and replaces it atomically. Returns the
    /// number of lines written.
    pub(super) fn merge_into(mut self, drop: &HashSet<String>) -> Result<u64, ReadError> {
        let target = self.target.clone();
        let old = match File::open(&target) {
            Ok(f) => Some(BufReader::with_capacity(256 * 1024, f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(crate::read::io_err(&target)(e)),
        };
        let mut sources: Vec<Source> = Vec::with_capacity(self.runs.len() + 2);
        if let Some(old) = old {
            sources.push(Source::Old(old.lines(), drop));
        }
        for run in &self.runs {
            let f = File::open(run).map_err(crate::read::io_err(run))?;
            sources.push(Source::Run(
                BufReader::with_capacity(RUN_READ_BUFFER, f).lines(),
            ));
        }
        self.lines.sort_unstable();
        sources.push(Source::Memory(std::mem::take(&mut self.lines).into_iter()));
        let mut count = 0u64;
        replace_file(&target, |w| {
            let mut heap = BinaryHeap::with_capacity(sources.len());
            for (i, s) in sources.iter_mut().enumerate() {
                if let Some(line) = s.next_line()? {
                    heap.push(Reverse((line, i)));
                }
            }
            while let Some(Reverse((line, i))) = heap.pop() {
                w.write_all(line.as_bytes())?;
                w.write_all(b"\n")?;
                count += 1;
                if let Some(next) = sources[i].next_line()? {
                    heap.push(Reverse((next, i)));
                }
            }
            Ok(())
        })?;
        Ok(count)
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        for run in &self.runs {
            let _ = std::fs::remove_file(run);
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder + rename).
pub(super) fn replace_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), ReadError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let res = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::with_capacity(256 * 1024, file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.map_err(crate::read::io_err(path))
}

/// One sorted input of the merge. Ties go to the lower source: the old index first.
enum Source<'a> {
    /// The index file as it was, less the lines of the files in the set.
    Old(std::io::Lines<BufReader<File>>, &'a HashSet<String>),
    /// A run file.
    Run(std::io::Lines<BufReader<File>>),
    /// The lines still in memory, sorted.
    Memory(std::vec::IntoIter<String>),
}

impl Source<'_> {
    fn next_line(&mut self) -> std::io::Result<Option<String>> {
        match self {
            Source::Old(lines, drop) => {
                for line in lines.by_ref() {
                    let line = line?;
                    if line.is_empty() {
                        continue;
                    }
                    if !drop.is_empty()
                        && !line.starts_with('!')
                        && CdxjEntry::parse(&line).is_ok_and(|e| drop.contains(&e.filename))
                    {
                        continue;
                    }
                    return Ok(Some(line));
                }
                Ok(None)
            }
            Source::Run(lines) => lines.next().transpose(),
            Source::Memory(lines) => Ok(lines.next()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, file: &str) -> String {
        format!(
            "{key} 20260101000000 {{\"url\":\"http://x/{key}\",\"length\":\"1\",\"offset\":\"0\",\"filename\":\"{file}\"}}"
        )
    }

    #[test]
    fn runs_memory_and_the_old_index_merge_in_order_without_the_dropped_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("index.cdxj");
        let old = [
            line("a", "old.warc"),
            line("c", "gone.warc"),
            line("e", "old.warc"),
        ];
        std::fs::write(&target, old.join("\n") + "\n").expect("old index");
        // A budget of one line: every push writes a run.
        let mut spool = Spool::new(&target, 1);
        for key in ["f", "b", "d", "c"] {
            spool.extend([line(key, "new.warc")]).expect("spooled");
        }
        assert_eq!(spool.runs(), 4);
        assert_eq!(spool.pushed(), 4);
        let drop = HashSet::from(["gone.warc".to_string()]);
        let written = spool.merge_into(&drop).expect("merged");
        let got = std::fs::read_to_string(&target).expect("index");
        let want = [
            line("a", "old.warc"),
            line("b", "new.warc"),
            line("c", "new.warc"),
            line("d", "new.warc"),
            line("e", "old.warc"),
            line("f", "new.warc"),
        ];
        assert_eq!(got, want.join("\n") + "\n");
        assert_eq!(written, 6);
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["index.cdxj"], "run files removed");
    }

    #[test]
    fn a_large_budget_keeps_everything_in_memory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("metadata.cdxj");
        let mut spool = Spool::new(&target, 1 << 20);
        spool
            .extend([line("b", "w"), line("a", "w")])
            .expect("spooled");
        assert_eq!(spool.runs(), 0);
        assert_eq!(spool.merge_into(&HashSet::new()).expect("merged"), 2);
        let got = std::fs::read_to_string(&target).expect("index");
        assert_eq!(got, [line("a", "w"), line("b", "w")].join("\n") + "\n");
    }
}
