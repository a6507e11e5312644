#!/usr/bin/env python3
"""Speed of trafilatura on saved pages, on one core, for comparison with glaneur's
benchmark (benches/extract.rs) run on the same pages in the same session.

usage: traf_speed.py DIR [DIR ...]   (every *.html / *.htm / *.html.gz under the folders)

Pages are read into memory first; then trafilatura.extract() runs once over all of them
with the settings of the published benchmark (include_comments=False, include_tables=True,
include_formatting=False, fast=False). Reports pages per second of CPU time (what one
core does, whatever else runs on the machine) and of wall time."""
import gzip
import sys
import time
from pathlib import Path

import trafilatura


def pages(dirs):
    for d in dirs:
        for p in sorted(Path(d).rglob("*")):
            name = p.name.lower()
            if not p.is_file():
                continue
            if name.endswith(".html.gz"):
                yield gzip.decompress(p.read_bytes())
            elif name.endswith(".html") or name.endswith(".htm"):
                yield p.read_bytes()


def main():
    docs = list(pages(sys.argv[1:]))
    if not docs:
        sys.exit("no pages")
    opts = dict(include_comments=False, include_tables=True, include_formatting=False, fast=False)
    trafilatura.extract(docs[0], **opts)
    c0, t0 = time.process_time(), time.perf_counter()
    for b in docs:
        try:
            trafilatura.extract(b, **opts)
        except Exception:
            pass
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    print(f"trafilatura {trafilatura.__version__}: {len(docs)} pages, "
          f"{len(docs) / cpu:.1f} pages/s of CPU time ({len(docs) / wall:.1f} pages/s wall)")


if __name__ == "__main__":
    main()
