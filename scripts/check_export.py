#!/usr/bin/env python3
"""Checks `glaneur articles` exports of a crawl of the shared test site.

usage: check_export.py SITE_DIR ARTICLES.parquet ARTICLES.csv

- the Parquet file loads in pyarrow, with the documented column types (Utf8 texts,
  timestamp[us, tz=UTC] dates, list<string> authors and categories, int64 warc_offset and warc_inner_offset);
- it has exactly one row per article of SITE_DIR/truth.jsonl (rows of other pages, if
  the extractor found articles there, are counted, not failed);
- `published`/`modified` agree with `published_text`/`modified_text` (a day alone is
  midnight UTC) and `captured_at` is always set;
- the CSV opens in Python's csv module (default settings) with the documented header,
  and holds the same rows as the Parquet file, texts (bodies with quotes and line
  breaks) identical.
Needs pyarrow.
"""
import csv
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq

UTC_TS = pa.timestamp("us", tz="UTC")
TYPES = {
    "url": pa.string(),
    "title": pa.string(),
    "published": UTC_TS,
    "modified": UTC_TS,
    "category": pa.string(),
    "authors": "list<string>",
    "language": pa.string(),
    "body": pa.string(),
    "captured_at": UTC_TS,
    "warc_file": pa.string(),
    "warc_offset": pa.int64(),
    "warc_inner_offset": pa.int64(),
    "categories": "list<string>",
    "status": pa.string(),
    "gone_since": UTC_TS,
    "versions": pa.int64(),
    "last_changed": UTC_TS,
    "published_text": pa.string(),
    "modified_text": pa.string(),
}
METHOD_COLUMNS = [f"{f}_method" for f in
                  ("title", "published", "modified", "categories", "authors", "language", "body")]
for _c in METHOD_COLUMNS:
    TYPES[_c] = pa.string()
CSV_COLUMNS = list(TYPES)[:17] + METHOD_COLUMNS


def expected_instant(text):
    """The UTC instant a `*_text` value stands for (a day alone: midnight UTC)."""
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
    d = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return d.astimezone(dt.timezone.utc)


def main() -> int:
    site, parquet_path, csv_path = (Path(a) for a in sys.argv[1:4])
    truth = [json.loads(line) for line in open(site / "truth.jsonl", encoding="utf-8")]
    problems = []

    table = pq.read_table(parquet_path)
    for name, want in TYPES.items():
        field = table.schema.field(name)
        if want == "list<string>":
            ok = pa.types.is_list(field.type) and field.type.value_type == pa.string()
        else:
            ok = field.type == want
        if not ok:
            problems.append(f"column {name}: {field.type}, expected {want}")
    rows = table.to_pylist()

    paths = Counter(urlsplit(r["url"]).path for r in rows)
    truth_paths = {t["url"] for t in truth}
    missing = [p for p in truth_paths if paths[p] == 0]
    twice = [p for p in truth_paths if paths[p] > 1]
    others = sum(n for p, n in paths.items() if p not in truth_paths)
    if missing:
        problems.append(f"{len(missing)} articles of truth.jsonl have no row, e.g. {missing[:3]}")
    if twice:
        problems.append(f"{len(twice)} articles have several rows, e.g. {twice[:3]}")

    by_path = {t["url"]: t for t in truth}
    titles = dates = 0
    for r in rows:
        if r["captured_at"] is None or r["warc_offset"] is None or r["warc_offset"] < 0:
            problems.append(f"{r['url']}: captured_at/warc_offset missing")
        # One crawl of a site where nothing was deleted: every article is current.
        if r["status"] != "current" or r["gone_since"] is not None or r["versions"] < 1:
            problems.append(
                f"{r['url']}: status {r['status']}, gone_since {r['gone_since']}, "
                f"versions {r['versions']} (expected current, none, >= 1)"
            )
        for col in ("published", "modified"):
            text = r[f"{col}_text"]
            if text is None:
                if r[col] is not None:
                    problems.append(f"{r['url']}: {col} without {col}_text")
                continue
            try:
                want = expected_instant(text)
            except ValueError:
                want = None  # not a date: the timestamp is null, the text kept
            if r[col] != want:
                problems.append(f"{r['url']}: {col} {r[col]} but {col}_text {text!r}")
        t = by_path.get(urlsplit(r["url"]).path)
        if t is not None:
            titles += r["title"] == t["title"]
            if r["published"] is not None and t.get("published"):
                dates += r["published"] == expected_instant(t["published"])

    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        csv_rows = list(reader)
    if header != CSV_COLUMNS:
        problems.append(f"CSV header {header}, expected {CSV_COLUMNS}")
    if len(csv_rows) != len(rows):
        problems.append(f"CSV has {len(csv_rows)} rows, Parquet {len(rows)}")
    for c, r in zip(csv_rows, rows):
        if len(c) != len(CSV_COLUMNS):
            problems.append(f"CSV row of {r['url']} has {len(c)} fields")
            break
        row = dict(zip(header, c))
        same = (
            row["url"] == r["url"]
            and row["title"] == (r["title"] or "")
            and row["body"] == (r["body"] or "")
            and row["authors"] == "; ".join(r["authors"])
            and int(row["warc_offset"]) == r["warc_offset"]
            and int(row["warc_inner_offset"]) == r["warc_inner_offset"]
        )
        if not same:
            problems.append(f"CSV and Parquet rows differ for {r['url']}")
            break

    print(
        f"export: {len(rows)} rows ({len(truth) - len(missing)} of {len(truth)} articles, "
        f"{others} other pages), {titles} titles and {dates} publication dates as in truth.jsonl; "
        f"CSV: {len(csv_rows)} rows"
    )
    for p in problems[:20]:
        print("FAIL:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
