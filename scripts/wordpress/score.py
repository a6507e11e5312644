#!/usr/bin/env python3
"""Scores `glaneur articles --format jsonl` exports of a WordPress fixture site against the
truth read back from WordPress (scripts/wordpress/wp-fixture.sh: <site>/truth.jsonl for the
live posts, <site>/deleted.jsonl for the posts deleted after the first crawl).

usage:
  score.py --truth-dir FIXTURE/bloc --site "bloc.wp.test (twentytwentythree)" \\
      --run "no profile" FIRST.jsonl AFTER.jsonl --run profile FIRST2.jsonl AFTER2.jsonl \\
      [--min "profile:category=1.0"] [--max "no profile:duplicates=0"] [--json OUT]

FIRST is the export after the first crawl (every post alive), AFTER the export after the
deleted posts were re-crawled (pass - when there is none). Prints one table per site, one
column per run, and exits 1 when a --min/--max bound is not met.

Figures, per run (posts = the truth's posts; a row = one exported article):
  title        share of posts whose row's title equals WordPress's (whitespace collapsed)
  published    share whose publication instant is right to the minute (an offset is
               needed: a date-time without one is taken as UTC, as glaneur reads it)
  published_day  share whose calendar day (as written) is right
  modified     share whose last modification is right to the minute against WordPress's
               own post_modified, whether the theme prints it or not (the stock themes do
               not: the post's REST JSON has it); a row without `modified` is read as never
               modified (its `published`)
  modified_day   calendar day of the same
  modified_shown share right to the minute against the modification the page shows (for
               information, the older rule): when the theme prints no modified date (the
               truth's `modified_shown` is false), the date expected is `published`
  category     share whose primary category (`category`) is WordPress's first category
  categories   share whose `categories` list equals WordPress's (as a set)
  author       share whose first author is WordPress's display name
  body_f1      F1 of 4-token shingles (multiset), precision and recall averaged over pages
               then combined; tokens are runs of word characters, case kept
  once         share of posts exported by exactly one row (first crawl)
  missing      posts without any row (first crawl)
  duplicates   rows beyond the first for one post: same URL, the post's URL plus a query
               string (?replytocom=…), or another URL with the post's exact title and body
  other_rows   false articles: rows that are no post (home, listings, archives,
               attachment pages, static pages, continuation pages of a multi-page post…)
  once_after   share of live posts exported by exactly one row after the re-crawl
  deleted_current  deleted posts with a row (theirs or a duplicate's) exported after the
               re-crawl without status "gone"
"""
import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE = 4

# (key, label, kind): kind "share" is printed as a percentage, "count" as a number,
# "f1" with three decimals.
FIGURES = [
    ("title", "titles exact", "share"),
    ("published", "published, exact to the minute", "share"),
    ("published_day", "published, right day", "share"),
    ("modified", "modified, exact to the minute", "share"),
    ("modified_day", "modified, right day", "share"),
    ("modified_shown", "modified as the page shows it (info)", "share"),
    ("category", "category exact (primary)", "share"),
    ("categories", "categories exact (all)", "share"),
    ("author", "author exact", "share"),
    ("body_f1", "body F1 (4-token shingles)", "f1"),
    ("once", "posts exported once", "share"),
    ("missing", "posts missing", "count"),
    ("duplicates", "duplicate article rows", "count"),
    ("other_rows", "false articles (rows not posts)", "count"),
    ("once_after", "after deletion: live posts exported once", "share"),
    ("deleted_current", "after deletion: deleted posts exported as current", "count"),
]
KINDS = {key: kind for key, _, kind in FIGURES}


def read_jsonl(path):
    if path in (None, "-"):
        return None
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"score.py: {path}:{n}: not JSON: {e}")
    return rows


def norm_url(url):
    """Scheme and host lower-cased, fragment dropped; path and query kept."""
    parts = urlsplit((url or "").strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def without_query(url):
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def squash(text):
    return " ".join((text or "").split())


def parse_instant(value):
    """An aware datetime, or None. A date-time without offset is taken as UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        d = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if len(value) <= 10:  # a date alone carries no time
        return None
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def same_minute(found, truth):
    a, b = parse_instant(found), parse_instant(truth)
    if a is None or b is None:
        return False
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


def same_day(found, truth):
    return bool(found) and found.strip()[:10] == truth[:10]


def shingles(text):
    words = WORD.findall(text or "")
    if not words:
        return Counter()
    if len(words) < SHINGLE:
        return Counter([tuple(words)])
    return Counter(tuple(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def body_counts(truth, found):
    """(true positives, extracted, expected) shingle counts of one page."""
    t, f = shingles(truth), shingles(found)
    common = sum((t & f).values())
    return common, sum(f.values()), sum(t.values())


def f1_of(pages):
    """Precision and recall averaged over pages, then combined."""
    precisions = [tp / got for tp, got, _ in pages if got > 0]
    recalls = [tp / want for tp, _, want in pages if want > 0]
    if not pages:
        return None
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def assign_rows(posts, rows):
    """Maps each exported row to a post URL (or None): the same URL, the same URL without
    its query string, or a post with the same title and body."""
    by_url = {norm_url(p["url"]): p for p in posts}
    by_content = {(squash(p["title"]), squash(p["body"])): p for p in posts}
    out = defaultdict(list)
    other = []
    for row in rows:
        url = norm_url(row.get("url"))
        post = by_url.get(url) or by_url.get(without_query(url))
        if post is None:
            post = by_content.get((squash(row.get("title")), squash(row.get("body"))))
        if post is None:
            other.append(row)
        else:
            out[norm_url(post["url"])].append(row)
    return out, other


def is_gone(row):
    return (row.get("status") or "").lower() == "gone"


def score_first(posts, rows):
    assigned, other = assign_rows(posts, rows)
    hits = Counter()
    bodies = []
    for post in posts:
        key = norm_url(post["url"])
        candidates = assigned.get(key, [])
        exact = [r for r in candidates if norm_url(r.get("url")) == key]
        row = (exact or candidates or [None])[0]
        if row is None:
            bodies.append((0, 0, sum(shingles(post["body"]).values())))
            continue
        hits["found"] += 1
        hits["once"] += len(candidates) == 1
        hits["title"] += squash(row.get("title")) == squash(post["title"])
        hits["published"] += same_minute(row.get("published"), post["published"])
        hits["published_day"] += same_day(row.get("published"), post["published"])
        modified = row.get("modified") or row.get("published")
        shown = post["modified"] if post.get("modified_shown", True) else post["published"]
        hits["modified"] += same_minute(modified, post["modified"])
        hits["modified_day"] += same_day(modified, post["modified"])
        hits["modified_shown"] += same_minute(modified, shown)
        truth_cats = post["categories"]
        hits["category"] += bool(truth_cats) and squash(row.get("category")) == truth_cats[0]
        found_cats = [squash(c) for c in row.get("categories") or []]
        hits["categories"] += set(found_cats) == set(truth_cats)
        authors = [squash(a) for a in row.get("authors") or []]
        hits["author"] += bool(authors) and authors[0] == post["author"]
        bodies.append(body_counts(post["body"], row.get("body")))
    n = len(posts)
    figures = {k: hits[k] / n for k in (
        "title", "published", "published_day", "modified", "modified_day", "modified_shown",
        "category", "categories", "author", "once")}
    figures["body_f1"] = f1_of(bodies)
    figures["missing"] = n - hits["found"]
    figures["duplicates"] = sum(max(0, len(v) - 1) for v in assigned.values())
    figures["other_rows"] = len(other)
    figures["other_urls"] = sorted(row.get("url") or "" for row in other)
    return figures


def score_after(live, deleted, rows):
    figures = {}
    assigned, _ = assign_rows(live + deleted, rows)
    once = sum(1 for p in live if len([r for r in assigned.get(norm_url(p["url"]), []) if not is_gone(r)]) == 1)
    figures["once_after"] = once / len(live) if live else None
    figures["deleted_current"] = sum(
        1 for p in deleted if any(not is_gone(r) for r in assigned.get(norm_url(p["url"]), [])))
    return figures


def show(kind, value):
    if value is None:
        return "–"
    if kind == "share":
        return f"{100 * value:.1f} %"
    if kind == "f1":
        return f"{value:.3f}"
    return str(value)


def parse_bounds(specs, labels):
    bounds = []
    for spec in specs:
        try:
            label, rest = spec.rsplit(":", 1)
            key, value = rest.split("=", 1)
            value = float(value)
        except ValueError:
            sys.exit(f"score.py: bad bound {spec!r}: expected LABEL:FIGURE=VALUE")
        if label not in labels or key not in KINDS:
            sys.exit(f"score.py: bound {spec!r}: unknown run label or figure")
        bounds.append((label, key, value))
    return bounds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--truth-dir", required=True, help="a site's directory in the fixture (truth.jsonl, deleted.jsonl)")
    ap.add_argument("--site", required=True, help="the site's name in the table heading")
    ap.add_argument("--run", nargs=3, action="append", required=True, metavar=("LABEL", "FIRST", "AFTER"))
    ap.add_argument("--min", action="append", default=[], metavar="LABEL:FIGURE=VALUE")
    ap.add_argument("--max", action="append", default=[], metavar="LABEL:FIGURE=VALUE")
    ap.add_argument("--json", help="also write the figures to this file (JSON)")
    ap.add_argument("--show-other", type=int, default=5, metavar="N",
                    help="name the first N false articles of each run (default 5)")
    args = ap.parse_args()

    live = read_jsonl(f"{args.truth_dir}/truth.jsonl")
    try:
        deleted = read_jsonl(f"{args.truth_dir}/deleted.jsonl")
    except FileNotFoundError:
        deleted = []
    if not live:
        sys.exit(f"score.py: no posts in {args.truth_dir}/truth.jsonl")
    labels = [label for label, _, _ in args.run]
    results = {}
    for label, first, after in args.run:
        figures = score_first(live + deleted, read_jsonl(first) or [])
        after_rows = read_jsonl(after)
        if after_rows is not None:
            figures.update(score_after(live, deleted, after_rows))
        else:
            figures.update({"once_after": None, "deleted_current": None})
        results[label] = figures

    print(f"{args.site}: {len(live) + len(deleted)} posts, {len(deleted)} deleted after the first crawl")
    width = max(len(text) for _, text, _ in FIGURES) + 2
    print("".ljust(width) + "".join(label.rjust(14) for label in labels))
    for key, text, kind in FIGURES:
        print(text.ljust(width) + "".join(show(kind, results[l][key]).rjust(14) for l in labels))

    for label in labels:
        urls = results[label].get("other_urls") or []
        for url in urls[:args.show_other]:
            print(f"  {label}: false article {url}")
        if len(urls) > args.show_other:
            print(f"  {label}: … and {len(urls) - args.show_other} more")

    failures = []
    for label, key, bound in parse_bounds(args.min, labels):
        value = results[label][key]
        if value is None or value < bound:
            failures.append(f"{label}: {key} = {show(KINDS[key], value)} < {bound}")
    for label, key, bound in parse_bounds(args.max, labels):
        value = results[label][key]
        if value is None or value > bound:
            failures.append(f"{label}: {key} = {show(KINDS[key], value)} > {bound}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"site": args.site, "runs": results}, f, ensure_ascii=False, indent=1)
    for failure in failures:
        print(f"FAIL {args.site}: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
