#!/usr/bin/env python3
"""Checks a glaneur crawl of the shared test site against its ground truth.

usage: check_crawl.py SITE_DIR ARCHIVE_DIR ACCESS_LOG [--no-dup-requests [--allow-dup FILE]]

- every article of SITE_DIR/truth.jsonl has exactly one response record in ARCHIVE_DIR;
- no URL disallowed by the site's robots.txt (/wp-admin/ except admin-ajax.php, /search/)
  was requested (ACCESS_LOG is nginx's log, see shared/testsite/serve.sh);
- the calendar trap stayed bounded (at most its 24 months + the 2 404s around them);
- with --no-dup-requests: no URL but robots.txt was requested twice (nor any URL listed
  in the --allow-dup FILE, one URL a line: e.g. the URLs a killed worker had in flight).
Reads .warc.zst/.warc.gz/.warc with fastwarc (installed by the WARC conformance script).
"""
import collections
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

from fastwarc.warc import ArchiveIterator, WarcRecordType


def responses(archive: Path):
    for f in sorted(archive.iterdir()):
        if not re.search(r"\.warc(\.gz|\.zst)?$", f.name):
            continue
        with open(f, "rb") as stream:
            for rec in ArchiveIterator(stream, record_types=WarcRecordType.response, parse_http=False):
                yield rec.headers.get("WARC-Target-URI")


def main() -> int:
    argv = sys.argv[1:]
    allowed = set()
    if "--allow-dup" in argv:
        i = argv.index("--allow-dup")
        allowed = {urlsplit(line.strip()).path for line in open(argv[i + 1], encoding="utf-8") if line.strip()}
        del argv[i:i + 2]
    args = [a for a in argv if not a.startswith("--")]
    no_dup = "--no-dup-requests" in argv
    site, archive, log = Path(args[0]), Path(args[1]), Path(args[2])
    truth = [json.loads(line) for line in open(site / "truth.jsonl", encoding="utf-8")]
    captured = collections.Counter(urlsplit(u).path for u in responses(archive))
    problems = []
    missing = [t["url"] for t in truth if captured[t["url"]] == 0]
    twice = [t["url"] for t in truth if captured[t["url"]] > 1]
    if missing:
        problems.append(f"{len(missing)} articles not captured, e.g. {missing[:3]}")
    if twice:
        problems.append(f"{len(twice)} articles captured more than once, e.g. {twice[:3]}")

    requests = []
    for line in open(log, encoding="utf-8", errors="replace"):
        m = re.search(r'"GET (\S+) HTTP', line)
        if m:
            requests.append(m.group(1))
    disallowed = [
        r for r in requests
        if (r.startswith("/wp-admin/") and not r.startswith("/wp-admin/admin-ajax.php"))
        or r.startswith("/search/")
    ]
    if disallowed:
        problems.append(f"{len(disallowed)} requests disallowed by robots.txt, e.g. {disallowed[:3]}")
    calendar = [r for r in requests if r.startswith("/calendar/")]
    if len(set(calendar)) > 26:
        problems.append(f"calendar trap not bounded: {len(set(calendar))} calendar URLs")
    if no_dup:
        counts = collections.Counter(r for r in requests if r != "/robots.txt")
        dups = [r for r, n in counts.items() if n > 1 and r not in allowed]
        if dups:
            problems.append(f"{len(dups)} URLs requested more than once, e.g. {dups[:3]}")

    print(f"{len(truth)} articles, {sum(captured.values())} responses, {len(requests)} requests")
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("crawl check passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
