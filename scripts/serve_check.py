#!/usr/bin/env python3
"""Helpers of the `glaneur serve` end-to-end scripts (stdlib only).

    serve_check.py expect SITE            JSON for the browser test: a word that one article's
                                          body uses most (BM25 weight 25 % above any other),
                                          that article's URL path and title, the article count
                                          and per-category counts
    serve_check.py overview SITE URL      the server's /api/overview counts against truth.jsonl
    serve_check.py wait URL [SECONDS]     wait until the server has read the archive
    serve_check.py bench SITE URL [N]     search latency over N queries (p50/p95/max ms), and
                                          that a word one article uses most, or a phrase of
                                          one article, lists that article first

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

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
K1, B = 1.2, 0.75


def truth(site):
    with open(f"{site}/truth.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def fold(w):
    """As the search index folds words: lower case, accents removed."""
    return "".join(c for c in unicodedata.normalize("NFKD", w.lower()) if not unicodedata.combining(c))


def tokens(text):
    """As the index splits text: runs of letters and digits."""
    return [fold(t) for t in TOKEN.findall(text)]


def distinctive_words(articles, margin=1.08):
    """(word, article id, margin) for words of no title whose BM25 term weight in one
    article's body beats every other article's by `margin` or more (the index stores
    lengths with a few per cent of rounding), best margins first.
    The generated site draws its words from a small vocabulary (every word is in hundreds
    of articles), so "a word of one article" is a word that article uses most."""
    toks = {a["id"]: tokens(a["body"]) for a in articles}
    avgdl = sum(len(t) for t in toks.values()) / max(1, len(toks))
    in_titles = {w for a in articles for w in tokens(a["title"])}
    best = {}
    for i, t in toks.items():
        norm = K1 * (1 - B + B * len(t) / avgdl)
        for w, tf in collections.Counter(t).items():
            if len(w) < 6 or w in in_titles or w.isdigit():
                continue
            weight = tf * (K1 + 1) / (tf + norm)
            first, second = best.get(w, ((0, None), (0, None)))
            if weight > first[0]:
                best[w] = ((weight, i), first)
            elif weight > second[0]:
                best[w] = (first, (weight, i))
    out = [(w, f[1], f[0] / s[0]) for w, (f, s) in best.items() if s[0] > 0 and f[0] / s[0] >= margin]
    out.sort(key=lambda x: (-x[2], x[0]))
    return out


def unique_phrases(articles, rng, n, length=4):
    """`length`-word runs of one article's body found in no other article."""
    toks = {a["id"]: tokens(a["body"]) for a in articles}
    where = collections.defaultdict(set)
    for i, t in toks.items():
        for k in range(len(t) - length + 1):
            where[" ".join(t[k:k + length])].add(i)
    unique = sorted(p for p, ids in where.items() if len(ids) == 1)
    return [(p, next(iter(where[p]))) for p in rng.sample(unique, min(n, len(unique)))]


def plain_title(t):
    return "\u00a0" not in t and "  " not in t and t == t.strip()


def expect(site):
    arts = truth(site)
    by_id = {a["id"]: a for a in arts}
    for w, i, _ in distinctive_words(arts):
        a = by_id[i]
        if a["template"] == "standard" and plain_title(a["title"]):
            original = next(x for x in TOKEN.findall(a["body"]) if fold(x) == w)
            break
    else:
        sys.exit("no article with a distinctive word")
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
    # Queries: words one article uses most and 4-word runs of one article's body (both
    # checked: that article first), common words, two-word queries.
    checked = [(w, i) for w, i, _ in distinctive_words(arts)[: n // 4]]
    checked += [(f'"{p}"', i) for p, i in unique_phrases(arts, rng, n // 4)]
    vocab = [w for w, _ in collections.Counter(t for a in arts for t in tokens(a["body"])).most_common(300)]
    queries = list(checked)
    queries += [(rng.choice(vocab), None) for _ in range((n - len(queries)) // 2)]
    queries += [(f"{rng.choice(vocab)} {rng.choice(vocab)}", None) for _ in range(n - len(queries))]
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
    n_checked = sum(1 for _, w in queries if w is not None)
    print(f"first result: {n_checked - len(wrong)}/{n_checked} queries (a word one article uses most, "
          f"or a phrase of one article) list that article first")
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
