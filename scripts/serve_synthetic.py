#!/usr/bin/env python3
"""A synthetic archive for the scale test of `glaneur serve` (stdlib only).

    serve_synthetic.py write DIR [ARTICLES]      plain .warc files (10,000 articles each):
                                                 a small response and an article metadata
                                                 record (JSON, 250-word body) per article
    serve_synthetic.py bench URL [N]             latency of /api/search, /api/articles
                                                 (filtered) and /articles over N requests each

5 sites, 12 categories, publication dates over two years, words drawn from a 20,000-word
vocabulary (Zipf-like), so that common and rare words both exist.
"""
import datetime
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse
import uuid

SITES = [f"news{i}.example" for i in range(5)]
CATEGORIES = ["Cloud", "IA", "Cybersécurité", "Réseaux", "Data", "Open Source", "Green IT",
              "Business", "Mobilité", "Projets", "Régulations", "Workspace"]
SYLLABLES = ["ba", "co", "de", "fi", "ga", "lo", "mi", "nu", "pa", "ri", "so", "ta", "vu", "xe", "zo", "ar", "en", "il"]


def vocab(rng, n=20000):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5))))
    return sorted(words)


def record(headers, block):
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    head += f"Content-Length: {len(block)}\r\n\r\n"
    return head.encode() + block + b"\r\n\r\n"


def write(out, n):
    import os
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    words = vocab(rng)
    cum, total = [], 0.0
    for i in range(len(words)):
        total += 1 / (i + 1)
        cum.append(total)
    start = datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc)
    f = None
    for i in range(n):
        if i % 10000 == 0:
            if f:
                f.close()
            f = open(f"{out}/synthetic-{i // 10000:05d}.warc", "wb")
        site = SITES[i % len(SITES)]
        url = f"http://{site}/{2023 + i % 2}/{1 + i % 12:02d}/article-synthetique-{i:06d}/"
        published = start + datetime.timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        captured = "2024-12-01T10:%02d:%02dZ" % (i // 60 % 60, i % 60)
        body = " ".join(rng.choices(words, cum_weights=cum, k=250))
        title = " ".join(rng.choices(words, cum_weights=cum, k=6)).capitalize()
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{body}</p></body></html>".encode()
        rid = f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"
        http_block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + \
            f"Content-Length: {len(html)}\r\n\r\n".encode() + html
        f.write(record([("WARC-Type", "response"), ("WARC-Record-ID", rid), ("WARC-Date", captured),
                        ("WARC-Target-URI", url), ("Content-Type", "application/http;msgtype=response")],
                       http_block))
        article = {"url": url, "title": title, "body": body,
                   "categories": [CATEGORIES[rng.randrange(len(CATEGORIES))]],
                   "authors": ["Synthèse"], "published": published.isoformat(), "language": "fr",
                   "methods": {"title": "meta", "body": "heuristic", "published": "meta"}}
        f.write(record([("WARC-Type", "metadata"),
                        ("WARC-Record-ID", f"<urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}>"),
                        ("WARC-Date", captured), ("WARC-Target-URI", url), ("WARC-Refers-To", rid),
                        ("Content-Type", "application/json")],
                       json.dumps(article, ensure_ascii=False).encode()))
    if f:
        f.close()


def bench(url, n=200):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    rng = random.Random(3)
    words = vocab(random.Random(42))

    def timed(path):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise SystemExit(f"{path}: HTTP {r.status} {body[:200]!r}")
        return (time.perf_counter() - t) * 1000, body

    def report(name, paths):
        times = sorted(timed(p)[0] for p in paths)
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"{name}: {len(times)} requests, p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, max {times[-1]:.1f} ms")

    _, body = timed("/api/overview")
    print(f"overview: {json.loads(body)['totals']['articles']} articles")
    common, rare = words[:200], words[5000:]
    report("search, common words", [f"/api/search?q={rng.choice(common)}" for _ in range(n)])
    report("search, rare words", [f"/api/search?q={rng.choice(rare)}" for _ in range(n)])
    report("search, two words", [f"/api/search?q={rng.choice(common)}+{rng.choice(common)}" for _ in range(n)])
    report("search, word + site + category", [
        f"/api/search?q={rng.choice(common)}&site={rng.choice(SITES)}&category={urllib.parse.quote(rng.choice(CATEGORIES))}"
        for _ in range(n)])
    report("article list, site + category + dates", [
        f"/api/articles?site={rng.choice(SITES)}&category={urllib.parse.quote(rng.choice(CATEGORIES))}"
        f"&from=2023-0{rng.randint(1, 9)}-01&to=2024-06-30&page={rng.randint(1, 5)}" for _ in range(n)])
    report("article list page (HTML), page 100", ["/articles?page=100" for _ in range(n // 4)])


if __name__ == "__main__":
    if sys.argv[1:2] == ["write"]:
        write(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 100000)
    elif sys.argv[1:2] == ["bench"]:
        bench(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 200)
    else:
        sys.exit(__doc__)
