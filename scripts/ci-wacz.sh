#!/usr/bin/env bash
# `glaneur wacz` and `glaneur convert` checked by the tools of the web-archiving ecosystem:
#   1. crawl the shared mock news site (../shared/testsite, nginx on loopback), twice: the
#      second crawl gets 304 answers (server-not-modified revisits), which the package keeps
#      but does not index, so every reader below replays the article, never an empty 304;
#   2. `glaneur wacz`: `wacz validate` (py-wacz) accepts the package; scripts/check_wacz.py
#      checks stored entries, one gzip member per record, records byte-identical to the
#      source, sha256 of every file, the index, and pages.jsonl against truth.jsonl;
#   3. pywb: `wb-manager add --unpack-wacz`, then 50 random articles replayed with their titles
#      at their latest date (after the second crawl's 304 revisits);
#   4. `glaneur convert --to gzip`: `warcio check`, cdxj-indexer (one line per response),
#      the same records and digests (warcio), ../shared/warc/warc-conformance.sh; back to
#      zstd: byte-identical records;
#   5. ReplayWeb.page (npm replaywebpage) served with the WACZ from one loopback origin, in
#      headless Chromium: the page list and the replayed article (its latest date, after the
#      304 revisit) show the article's title.
#
# usage: scripts/ci-wacz.sh [ARTICLES]      (default 200)
# Needs: python3 (venv), nginx (serve.sh installs it), node + npm, chromium (installed with
# apt-get if missing). Env: GLANEUR_BIN (a glaneur binary instead of a release build),
# GLANEUR_SHARED (default ../shared), GLANEUR_WACZ_PORT (default 18461; pywb uses +1, the
# ReplayWeb.page origin +2), GLANEUR_WACZ_VENV (default /tmp/glaneur-wacz/venv), KEEP=1 keeps
# the work folder.
set -euo pipefail
. "$(dirname "$0")/lib/pywb.sh"
cd "$(dirname "$0")/.."
ARTICLES=${1:-200}
SHARED=${GLANEUR_SHARED:-../shared}
SHARED=$(cd "$SHARED" && pwd)
PORT=${GLANEUR_WACZ_PORT:-18461}
PYWB_PORT=$((PORT + 1))
RWP_PORT=$((PORT + 2))
VENV=${GLANEUR_WACZ_VENV:-/tmp/glaneur-wacz/venv}
WORK=$(mktemp -d /tmp/glaneur-wacz.XXXXXX)
PYWB_PID=
cleanup() {
    if [ -n "$PYWB_PID" ]; then kill "$PYWB_PID" 2>/dev/null || true; fi
    "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true
    "$SHARED/testsite/serve.sh" --stop "$RWP_PORT" >/dev/null 2>&1 || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work folder kept: $WORK"; fi
}
trap cleanup EXIT

if [ -n "${GLANEUR_BIN:-}" ]; then
    BIN=$GLANEUR_BIN
else
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi
venv_with "$VENV" 'wacz, pywb, warcio, cdxj_indexer, zstandard' 'wacz==0.6.0' 'pywb==2.10.0' \
    'warcio==1.8.1' 'cdxj-indexer==1.5.0' 'zstandard'
PY=$VENV/bin/python

echo "== 1. crawl of a $ARTICLES-article site"
ORIGIN=http://127.0.0.1:$PORT
python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "$ORIGIN" >/dev/null
"$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null 2>&1
cat >"$WORK/policy.toml" <<TOML
allow_private_networks = true
[default]
requests_per_second = 2000.0
burst = 50
max_concurrent = 8
TOML
"$BIN" crawl "$ORIGIN/" --quiet --policy "$WORK/policy.toml" --archive "$WORK/archive"
# A second, incremental crawl of the unchanged site: nginx answers the conditional requests
# with 304, written as server-not-modified revisits; indexed, pywb and ReplayWeb.page would
# replay them as an empty 304 (src/wacz/revisits.rs).
"$BIN" crawl "$ORIGIN/" --quiet --json --policy "$WORK/policy.toml" --archive "$WORK/archive" \
    >"$WORK/second.json"
not_modified=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["not_modified"])' "$WORK/second.json")
[ "$not_modified" -ge "$ARTICLES" ] \
    || { echo "FAIL: the second crawl got $not_modified 304 answers, expected >= $ARTICLES"; exit 1; }
echo "second crawl: $not_modified pages answered 304 (server-not-modified revisits)"
"$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1

echo "== 2. glaneur wacz; wacz validate; independent checks"
# The ZipNum index (index.cdx.gz + index.idx) that large packages get: what every reader
# below must open (the plain index.cdx of small packages is checked by tests/it/wacz.rs).
"$BIN" wacz "$WORK/archive" --output "$WORK/site.wacz" --title "Silicon Lab (test site)" \
    --index zipnum --json >"$WORK/wacz.json"
# Every 304 revisit is left out of the index (the readers would replay an empty 304).
"$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("wacz:", r["not_modified_unindexed"], "304 revisits packaged, not indexed"); sys.exit(r["not_modified_unindexed"] < int(sys.argv[2]))' \
    "$WORK/wacz.json" "$not_modified" || { echo "FAIL: 304 revisits indexed: $(cat "$WORK/wacz.json")"; exit 1; }
"$PY" -c 'import sys, zipfile; sys.exit("indexes/index.idx" not in zipfile.ZipFile(sys.argv[1]).namelist())' \
    "$WORK/site.wacz" || { echo "FAIL: no ZipNum index"; exit 1; }
"$VENV/bin/wacz" validate -f "$WORK/site.wacz" | tail -1 | tee "$WORK/validate.txt"
grep -q 'Validation succeeded' "$WORK/validate.txt" || { echo "FAIL: wacz validate"; exit 1; }
"$PY" scripts/check_wacz.py package "$WORK/site" "$WORK/archive" "$WORK/site.wacz"

echo "== 3. pywb: wb-manager add --unpack-wacz, replay of 50 random articles"
pywb_serve_wacz "$VENV" "$WORK/pywb" news "$WORK/site.wacz" "$PYWB_PORT"
SITE_ORIGIN=$ORIGIN "$PY" scripts/check_wacz.py pywb "$WORK/site" "http://127.0.0.1:$PYWB_PORT" news 50
kill "$PYWB_PID"; PYWB_PID=

echo "== 4. glaneur convert: warcio, cdxj-indexer, WARC conformance, round trip"
"$BIN" convert "$WORK/archive" --to gzip --output "$WORK/gz"
for f in "$WORK"/gz/*.warc.gz; do
    "$VENV/bin/warcio" check "$f" >/dev/null || { echo "FAIL: warcio check $f"; exit 1; }
done
"$VENV/bin/cdxj-indexer" "$WORK"/gz/*.warc.gz >"$WORK/gz.cdxj"
responses=$(grep -c '"mime": "text/html"' "$WORK/gz.cdxj" || true)
[ "$responses" -ge "$ARTICLES" ] || { echo "FAIL: cdxj-indexer found $responses HTML captures"; exit 1; }
echo "cdxj-indexer: $(wc -l <"$WORK/gz.cdxj") lines, $responses HTML captures"
"$PY" scripts/check_wacz.py same-records "$WORK/archive" "$WORK/gz"
bash "$SHARED/warc/warc-conformance.sh" "$WORK/gz" | tail -1 | tee "$WORK/conformance.txt"
grep -q 'all checks passed' "$WORK/conformance.txt" || { echo "FAIL: WARC conformance"; exit 1; }
"$BIN" convert "$WORK/gz" --to zstd --output "$WORK/zst"
"$PY" scripts/check_wacz.py same-records "$WORK/archive" "$WORK/zst"

echo "== 5. ReplayWeb.page in headless Chromium"
if [ ! -x /usr/bin/chromium ]; then
    echo "chromium missing: installing it with apt-get" >&2
    timeout 900 apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >&2
fi
(cd tests/replay && npm ci --no-audit --no-fund --loglevel=error)
# The package's own dependencies are only needed to rebuild it: its built ui.js and sw.js
# are taken from the npm tarball.
mkdir "$WORK/rwp" "$WORK/rwp-pack"
(cd "$WORK/rwp-pack" && npm pack --silent replaywebpage@2.5.3 >/dev/null && tar xzf replaywebpage-*.tgz)
cp "$WORK"/rwp-pack/package/{index.html,ui.js,sw.js} "$WORK/rwp/"
cp "$WORK/site.wacz" "$WORK/rwp/site.wacz"
"$SHARED/testsite/serve.sh" "$WORK/rwp" "$RWP_PORT" >/dev/null 2>&1
IFS=$'\t' read -r page_url page_title < <("$PY" scripts/check_wacz.py pick "$WORK/site" "$ORIGIN")
REPLAY_URL=http://127.0.0.1:$RWP_PORT WACZ_PATH=/site.wacz PAGE_URL=$page_url \
    PAGE_TITLE=$page_title SCREENSHOT_DIR=${SCREENSHOT_DIR:-$WORK} node tests/replay/replay.test.mjs
echo "ci-wacz: all checks passed"
