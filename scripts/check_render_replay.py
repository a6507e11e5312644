#!/usr/bin/env python3
"""pywb replay of articles crawled with `glaneur crawl --render` (used by scripts/ci-render.sh).

  check_render_replay.py SITE_DIR WAYBACK_URL COLLECTION ORIGIN CHROMIUM N

SITE_DIR is the site scripts/jssite.py wrote (its truth.jsonl names the articles), ORIGIN
the origin it was crawled from — no longer served: every byte must come from the archive.
For N articles (the first N of truth.jsonl):
  1. pywb serves the raw page shell, its article JSON, its related JSON, app.js and its
     three lazy images (`id_` replay) byte-identical to the site's files;
  2. headless Chromium loads the replayed page (`mp_`): its scripts run against pywb, and
     the DOM shows the article's title, the sentence only its JSON holds and the related
     block of the second JSON call — with the live site stopped, those calls can only
     have been answered by pywb from the archive.
Any failure exits 1 with FAIL. Prints a summary line of the checks passed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        fail(f"{url}: {e}")


def replay_dom(chromium, url):
    """The DOM of `url` after its scripts ran, from headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="glaneur-replay-") as profile:
        cmd = [chromium, "--headless", "--disable-gpu", f"--user-data-dir={profile}",
               "--virtual-time-budget=15000", "--run-all-compositor-stages-before-draw",
               "--dump-dom", url]
        if os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=90, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            fail(f"Chromium on {url}: {e}")
    if out.returncode != 0:
        fail(f"Chromium on {url} exited {out.returncode}: {out.stderr.decode(errors='replace')[-800:]}")
    return out.stdout.decode("utf-8", "replace")


def main():
    if len(sys.argv) != 7:
        fail(__doc__)
    site, wayback, coll, origin, chromium, n = sys.argv[1:]
    wayback, origin, n = wayback.rstrip("/"), origin.rstrip("/"), int(n)
    truth = [json.loads(line) for line in open(os.path.join(site, "truth.jsonl"), encoding="utf-8")]
    if len(truth) < n:
        fail(f"{len(truth)} articles in truth.jsonl, {n} asked")
    try:
        urllib.request.urlopen(origin + "/", timeout=2)
        fail(f"the live site {origin} still answers: replay must not be able to reach it")
    except urllib.error.HTTPError:
        fail(f"the live site {origin} still answers: replay must not be able to reach it")
    except OSError:
        pass
    raw_checks = dom_checks = 0
    for t in truth[:n]:
        article_id = t["path"].rsplit("/", 1)[1].split(".")[0]
        files = [t["path"], "/app.js", f"/api/article/{article_id}.json",
                 f"/api/related/{article_id}.json"] + [f"/img/{article_id}-{k}.png" for k in range(3)]
        for path in files:
            status, body = fetch(f"{wayback}/{coll}/id_/{origin}{path}")
            want = open(os.path.join(site, path.lstrip("/")), "rb").read()
            if status != 200 or body != want:
                fail(f"pywb {coll}/id_/{origin}{path}: HTTP {status}, {len(body)} bytes, "
                     f"{'same' if body == want else 'not the'} bytes of the site's file")
            raw_checks += 1
        dom = replay_dom(chromium, f"{wayback}/{coll}/mp_/{origin}{t['path']}")
        if t["marker"] not in dom:
            fail(f"replayed {t['path']}: the sentence of its JSON is not in the DOM:\n{dom[:1500]}")
        if t["title"] not in dom:
            fail(f"replayed {t['path']}: its title {t['title']!r} is not in the DOM")
        if "Article " not in dom.split('class="related"', 1)[-1]:
            fail(f"replayed {t['path']}: the related block (second JSON call) is missing")
        dom_checks += 1
    print(f"pywb replay: {raw_checks} archived requisites byte-identical, "
          f"{dom_checks} rendered articles replayed with their script-loaded text")


if __name__ == "__main__":
    main()
