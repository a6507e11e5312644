#!/usr/bin/env bash
# Evaluation of glaneur's extraction: builds release once, then
#  1. the shared test site (2000 articles) with the reference profile and with no profile;
#  2. the real pages of ../shared/evaldata (naeb: body, title, date; trafilatura set: segments);
#  3. speed on one core: the extraction benchmark on the test site and on both real sets
#     (pages in memory; pages/s of CPU time and of wall time), and trafilatura measured the
#     same way on the same pages in the same run when it is installed
#     (`pip install trafilatura==2.3.1 lxml_html_clean`), with the ratio.
# Usage: scripts/eval-extract.sh   (from the repository root; needs python3, GNU tar with zstd)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the shared/ folder: $SHARED, else ../shared or ../../shared (a worktree under the checkout's parent)
if [ -z "${SHARED:-}" ]; then
  SHARED=$ROOT/../shared
  [ -d "$SHARED/testsite" ] || [ ! -d "$ROOT/../../shared/testsite" ] || SHARED=$ROOT/../../shared
fi
[ -d "$SHARED/testsite" ] || { echo "no shared material at $SHARED (set SHARED=DIR)" >&2; exit 2; }
WORK=${WORK:-/tmp/glaneur-eval}
mkdir -p "$WORK"
cd "$ROOT"

echo "== build (release, once)"
cargo build --release --bin glaneur --example extract_testsite --bench extract 2>&1 | tail -1
# cargo's target folder ($CARGO_TARGET_DIR when set, as in a worktree with its own)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET/release/glaneur
EX=$TARGET/release/examples/extract_testsite
BENCH=$(ls -t "$TARGET"/release/deps/extract-* 2>/dev/null | grep -v '\.d$' | head -1)

echo "== test site"
SITE=$WORK/site
if [ ! -f "$SITE/truth.jsonl" ]; then
  python3 "$SHARED/testsite/generate.py" --articles 2000 --out "$SITE" --base-url http://127.0.0.1:18080 >/dev/null
fi
# Flat folder <id>.html -> article page, so that output files are named by article id.
FLAT=$WORK/site-flat
rm -rf "$FLAT" && mkdir -p "$FLAT"
python3 - "$SITE" "$FLAT" <<'PY'
import json, os, sys
site, flat = sys.argv[1], sys.argv[2]
for line in open(os.path.join(site, "truth.jsonl"), encoding="utf8"):
    t = json.loads(line)
    os.symlink(os.path.join(site, t["url"].strip("/"), "index.html"), os.path.join(flat, f"{t['id']}.html"))
PY
rm -rf "$WORK/out-profile" "$WORK/out-generic"
echo "-- with the profile (h1.entry-title, div.entry-content, div.cat-links a[rel=\"category tag\"], time.entry-date.published, time.updated)"
"$EX" "$FLAT" "$WORK/out-profile"
python3 scripts/score_testsite.py "$SITE" "$WORK/out-profile"
echo "-- no profile"
"$BIN" extract --batch "$FLAT" --out "$WORK/out-generic"
python3 scripts/score_testsite.py "$SITE" "$WORK/out-generic"

echo "== real pages (generic path only)"
DATA=$WORK/evaldata
if [ ! -d "$DATA/naeb" ]; then
  mkdir -p "$DATA"
  tar -C "$DATA" --zstd -xf "$SHARED/evaldata/naeb.tar.zst"
  tar -C "$DATA" --zstd -xf "$SHARED/evaldata/trafilatura.tar.zst"
fi
rm -rf "$WORK/out-naeb" "$WORK/out-traf" "$WORK/traf-pages"
echo "-- naeb, one core"
"$BIN" extract --batch "$DATA/naeb/html" --out "$WORK/out-naeb" --jobs 1
python3 "$SHARED/evaldata/score_body.py" "$WORK/out-naeb" --gt "$DATA/naeb/ground-truth.json"
python3 "$SHARED/evaldata/score_meta.py" "$WORK/out-naeb" --gt "$DATA/naeb/ground-truth.json"
echo "-- trafilatura set, one core"
mkdir -p "$WORK/traf-pages"
ln -sf "$DATA"/trafilatura/cache/* "$WORK/traf-pages/" 2>/dev/null || true
ln -sf "$DATA"/trafilatura/eval/* "$WORK/traf-pages/" 2>/dev/null || true
"$BIN" extract --batch "$WORK/traf-pages" --out "$WORK/out-traf" --jobs 1
python3 scripts/traf_preds.py "$DATA/trafilatura" "$WORK/out-traf" "$WORK/traf-preds.json"
python3 "$SHARED/evaldata/score_segments.py" --pred "$WORK/traf-preds.json" --data "$DATA/trafilatura"

echo "== speed, one core (in memory: decode + parse + links + article)"
[ -n "$BENCH" ] || { echo "no benchmark binary"; exit 1; }
"$BENCH" "$SITE" 500
for set in naeb traf; do
  dir=$DATA/naeb/html
  [ "$set" = traf ] && dir=$WORK/traf-pages
  out=$("$BENCH" "$dir")
  echo "$out"
  ours=$(echo "$out" | sed -n 's/.*one core: \([0-9]*\) pages\/s of CPU.*/\1/p')
  if python3 -c "import trafilatura" 2>/dev/null; then
    out=$(python3 scripts/traf_speed.py "$dir")
    echo "$out"
    theirs=$(echo "$out" | sed -n 's/.*pages, \([0-9.]*\) pages\/s of CPU.*/\1/p')
    [ -n "$ours" ] && [ -n "$theirs" ] && python3 -c "print(f'$set: glaneur {float(\"$ours\"):.0f} pages/s, trafilatura {float(\"$theirs\"):.1f} pages/s of CPU time: {float(\"$ours\")/float(\"$theirs\"):.1f}x')"
  fi
done
