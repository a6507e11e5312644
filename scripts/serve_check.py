#!/usr/bin/env python3
"""Helpers of the `glaneur serve` end-to-end scripts (stdlib only).

    serve_check.py expect SITE            JSON for the browser test: a word found in one
                                          article's body only, that article's URL path and
                                          title, the article count and per-category counts
    serve_check.py overview SITE URL      the server's /api/overview counts against truth.jsonl
    serve_check.py wait URL [SECONDS]     wait until the server has read the archive
    serve_check.py bench SITE URL [N]     search latency over N queries (p50/p95/max ms), and
                                          that a word of one article's body lists it first

SITE is a folder written by ../shared/testsite/generate.py; URL the glaneur server.
"""
import collections
import http.client
import json
import random
import re
import statistics
import sys
import time
import unicodedata
import urllib.parse

WORD = re.compile(r"[^\W\d_]{8,}", re.UNICODE)


def truth(site):
    with open(f"{site}/truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fold(w):
    return "".join(c for c in unicodedata.normalize("NFKD", w.lower()) if not unicodedata.combining(c))


def unique_words(articles):
    """Words (folded as the search index folds them) → the articles whose body has them."""
    where = collections.defaultdict(set)
    for a in articles:
        for w in set(fold(w) for w in WORD.findall(a["body"])):
            where[w].add(a["id"])
    return {w: next(iter(ids)) for w, ids in where.items() if len(ids) == 1}


def plain_title(t):
    return "\u00a0" not in t and "  " not in t and t == t.strip()


def expect(site):
    arts = truth(site)
    uniq = unique_words(arts)
    by_id = {a["id"]: a for a in arts}
    # First standard-template article (by id) with a plain title and a unique word.
    words = sorted((i, w) for w, i in uniq.items())
    for i, w in words:
        a = by_id[i]
        if a["template"] == "standard" and plain_title(a["title"]):
            original = next(x for x in WORD.findall(a["body"]) if fold(x) == w)
            break
    else:
        sys.exit("no article with a word of its own")
    cats = collections.Counter(a["category"] for a in arts)
    return {"word": original, "path": a["url"], "title": a["title"], "id": a["id"],
            "articles": len(arts), "categories": dict(cats)}


def get(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"{path}: HTTP {r.status}: {body[:300]!r}")
    return json.loads(body)


def connect(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def overview(site, url):
    arts = truth(site)
    conn = connect(url)
    o = get(conn, "/api/overview")
    want = collections.Counter(a["category"] for a in arts)
    got = {c["name"]: c["count"] for c in o["articles_by_category"]}
    errors = []
    if o["totals"]["articles"] != len(arts):
        errors.append(f"articles: {o['totals']['articles']} shown, {len(arts)} in truth.jsonl")
    if got != dict(want):
        errors.append(f"categories differ: shown {got}, truth {dict(want)}")
    print(f"overview: {o['totals']['articles']} articles, {len(got)} categories, "
          f"{o['totals']['captures']} captures, {o['totals']['files']} WARC files")
    if errors:
        for e in errors:
            print("FAIL " + e)
        sys.exit(1)
    print("overview: counts match truth.jsonl")


def bench(site, url, n=300):
    arts = truth(site)
    uniq = unique_words(arts)
    by_id = {a["id"]: a for a in arts}
    rng = random.Random(7)
    conn = connect(url)
    ids = {}
    page = 1
    while True:
        r = get(conn, f"/api/articles?per_page=200&page={page}")
        for item in r["items"]:
            ids[urllib.parse.urlsplit(item["url"]).path] = item["id"]
        if page >= r["pages"]:
            break
        page += 1
    # Queries: words of one article only (checked: that article first), common words,
    # two-word queries.
    rare = rng.sample(sorted(uniq.items()), min(n // 2, len(uniq)))
    common_pool = [w for w, _ in collections.Counter(
        fold(w) for a in arts for w in WORD.findall(a["body"])).most_common(200)]
    queries = [(w, uniq_id) for w, uniq_id in rare]
    queries += [(rng.choice(common_pool), None) for _ in range(n // 4)]
    queries += [(f"{rng.choice(common_pool)} {rng.choice(common_pool)}", None) for _ in range(n - len(queries))]
    rng.shuffle(queries)
    get(conn, "/api/search?q=warmup")
    times, wrong, server_ms = [], [], []
    for q, want in queries:
        t = time.perf_counter()
        r = get(conn, "/api/search?q=" + urllib.parse.quote(q))
        times.append((time.perf_counter() - t) * 1000)
        server_ms.append(r["took_ms"])
        if want is not None:
            first = r["items"][0]["article"]["id"] if r["items"] else None
            if first != ids.get(by_id[want]["url"]):
                wrong.append(q)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"search latency over {len(times)} queries of /api/search (HTTP round trip, keep-alive): "
          f"p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, max {times[-1]:.1f} ms, "
          f"mean {statistics.mean(times):.1f} ms; in the index (took_ms) p50 "
          f"{statistics.median(server_ms):.1f} ms")
    checked = sum(1 for _, w in queries if w is not None)
    print(f"first result: {checked - len(wrong)}/{checked} single-article words list their article first")
    if wrong:
        print("FAIL not first for: " + ", ".join(wrong[:10]))
        sys.exit(1)
    if p(0.95) >= 100:
        print("FAIL p95 latency is 100 ms or more")
        sys.exit(1)


def wait(url, seconds=300):
    end = time.time() + seconds
    while time.time() < end:
        try:
            conn = connect(url)
            conn.request("GET", "/api/status")
            if json.loads(conn.getresponse().read()).get("ready"):
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    sys.exit(f"{url}: not ready after {seconds} s")


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    if cmd == ["expect"]:
        print(json.dumps(expect(sys.argv[2]), ensure_ascii=False))
    elif cmd == ["overview"]:
        overview(sys.argv[2], sys.argv[3])
    elif cmd == ["wait"]:
        wait(sys.argv[2], float(sys.argv[3]) if len(sys.argv) > 3 else 300)
    elif cmd == ["bench"]:
        bench(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 300)
    else:
        sys.exit(__doc__)
