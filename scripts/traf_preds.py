#!/usr/bin/env python3
"""Turn `glaneur extract --batch` output over trafilatura's evaluation pages into the
{url: text} file that score_segments.py reads.
usage: traf_preds.py DATA_DIR PRED_DIR OUT.json"""
import json
import sys
from pathlib import Path

data, pred, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
gt = json.loads((data / "evaldata.json").read_text(encoding="utf8"))
res = {}
for url, item in gt.items():
    stem = item["file"]
    for suf in (".html.gz", ".html", ".htm"):
        if stem.endswith(suf):
            stem = stem[: -len(suf)]
            break
    f = pred / f"{stem}.json"
    res[url] = json.loads(f.read_text(encoding="utf8")).get("articleBody") if f.exists() else None
out.write_text(json.dumps(res), encoding="utf8")
