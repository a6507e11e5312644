#!/usr/bin/env python3
"""Score `glaneur extract --batch` output on the generated test site.

usage: score_testsite.py SITE_DIR PRED_DIR
PRED_DIR/<id>.json holds {"title", "published", "modified", "category", "articleBody"}.

title, category: exact string match.
published, modified: same instant (offsets honoured); on legacy pages with neither
OpenGraph nor JSON-LD, where only the day is shown, the right day is exact.
body: token-level F1 (\\w+ tokens, multiset overlap), averaged over articles.
"""
import json
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

TOK = re.compile(r"\w+", re.UNICODE)


def parse(s):
    if not s:
        return None
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def same_time(pred, truth, day_ok):
    p, t = parse(pred), parse(truth)
    if p is None or t is None:
        return False
    if p.tzinfo is not None and t.tzinfo is not None:
        if p == t:
            return True
    if day_ok and len(pred) == 10:
        return pred == truth[:10]
    return False


def f1(a, b):
    ta, tb = Counter(TOK.findall(a or "")), Counter(TOK.findall(b or ""))
    if not ta and not tb:
        return 1.0
    ov = sum((ta & tb).values())
    if ov == 0:
        return 0.0
    p, r = ov / sum(tb.values()), ov / sum(ta.values())
    return 2 * p * r / (p + r)


def main():
    site, pred = Path(sys.argv[1]), Path(sys.argv[2])
    n = 0
    ok = Counter()
    f1sum = 0.0
    misses = {k: [] for k in ("title", "published", "modified", "category", "body")}
    for line in (site / "truth.jsonl").read_text(encoding="utf8").splitlines():
        t = json.loads(line)
        n += 1
        f = pred / f"{t['id']}.json"
        p = json.loads(f.read_text(encoding="utf8")) if f.exists() else {}
        day_ok = t["template"] == "legacy" and not t["has_og"] and not t["has_jsonld"]
        checks = {
            "title": p.get("title") == t["title"],
            "published": same_time(p.get("published"), t["published"], day_ok),
            "modified": same_time(p.get("modified"), t["modified"], day_ok),
            "category": p.get("category") == t["category"],
        }
        for k, v in checks.items():
            if v:
                ok[k] += 1
            elif len(misses[k]) < 3:
                misses[k].append((t["id"], p.get(k), t[k]))
        bf = f1(t["body"], p.get("articleBody"))
        f1sum += bf
        if bf < 0.95 and len(misses["body"]) < 3:
            misses["body"].append((t["id"], round(bf, 3)))
    print(f"articles: {n}")
    for k in ("title", "published", "modified", "category"):
        print(f"{k:10s} exact: {ok[k] / n:.4f} ({ok[k]}/{n})")
    print(f"body F1 (token): {f1sum / n:.4f}")
    for k, v in misses.items():
        if v:
            print(f"  e.g. {k} misses: {v}", file=sys.stderr)


if __name__ == "__main__":
    main()
