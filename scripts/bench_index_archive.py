#!/usr/bin/env python3
"""Writes a synthetic archive folder for scripts/bench-index.sh: FILES plain .warc files of
PAGES pages each, every page a `response` and a `metadata` record (2,000 hosts, unique
URLs), as many index lines as a crawl of FILES x PAGES pages gives. Standard library only.

usage: bench_index_archive.py OUT FILES PAGES
"""
import os
import sys
import uuid


def record(kind, url, n, content_type, block):
    head = (
        f"WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=n)}>\r\n"
        f"WARC-Date: 2024-05-01T08:{n % 60:02d}:{(n // 60) % 60:02d}Z\r\n"
        f"WARC-Target-URI: {url}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return head.encode() + block + b"\r\n\r\n"


def main():
    out, files, pages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    n = 0
    for f in range(files):
        with open(f"{out}/glaneur-bench-{f:05d}.warc", "wb") as w:
            for p in range(pages):
                n += 1
                url = f"http://host{(n * 7919) % 2000}.test/2024/{p % 12:02d}/article-{n}.html"
                body = (
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                    f"<html><p>{n}</p></html>"
                ).encode()
                w.write(record("response", url, 2 * n, "application/http;msgtype=response", body))
                meta = b'{"url":"%s"}' % url.encode()
                w.write(record("metadata", url, 2 * n + 1, "application/json", meta))


if __name__ == "__main__":
    main()
