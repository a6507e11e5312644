#!/usr/bin/env bash
# Benchmark of `glaneur serve` on the shared mock news site (default 2000 articles, the
# issue's acceptance figure): crawl it, start the server (release build), time the first
# reading of the archive (scan + search index), check the overview's counts against
# truth.jsonl, then time /api/search over many queries (p50/p95/max ms; words of one
# article's body must list that article first). Not part of CI (a benchmark, not a test).
#
# usage: scripts/serve-bench.sh [ARTICLES] [QUERIES]      (defaults 2000, 300)
# Env: GLANEUR_BIN (a glaneur binary to use instead of a release build), GLANEUR_SHARED (default ../shared), GLANEUR_BENCH_PORT (default 18391; the server
# uses the next port), GLANEUR_BENCH_ARCHIVE (reuse this archive folder instead of crawling).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-2000}
QUERIES=${2:-300}
SHARED=${GLANEUR_SHARED:-../shared}
SITE_PORT=${GLANEUR_BENCH_PORT:-18391}
SERVE_PORT=$((SITE_PORT + 1))
WORK=$(mktemp -d /tmp/glaneur-bench.XXXXXX)
serve_pid=
cleanup() {
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    "$SHARED/testsite/serve.sh" --stop "$SITE_PORT" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [ -n "${GLANEUR_BIN:-}" ]; then
    BIN=$GLANEUR_BIN
else
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi
python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$SITE_PORT" >/dev/null
ARCHIVE=${GLANEUR_BENCH_ARCHIVE:-$WORK/archive}
if [ ! -d "$ARCHIVE" ]; then
    echo "== crawl of a $ARTICLES-article site"
    ACCESS_LOG=off "$SHARED/testsite/serve.sh" "$WORK/site" "$SITE_PORT" >/dev/null 2>&1
    printf 'allow_private_networks = true\n[default]\nrequests_per_second = 2000.0\nburst = 50\nmax_concurrent = 8\n' >"$WORK/policy.toml"
    "$BIN" crawl "http://127.0.0.1:$SITE_PORT/" --quiet --policy "$WORK/policy.toml" --archive "$ARCHIVE"
    "$SHARED/testsite/serve.sh" --stop "$SITE_PORT" >/dev/null 2>&1
fi
du -sh "$ARCHIVE" | sed 's/^/archive: /'

URL="http://127.0.0.1:$SERVE_PORT"
start_server() {
    "$BIN" serve --archive "$ARCHIVE" --bind "127.0.0.1:$SERVE_PORT" --state "$WORK/state" \
        --refresh 0 --no-verify 2>>"$WORK/serve.log" &
    serve_pid=$!
    local t0=$(date +%s.%N)
    python3 scripts/serve_check.py wait "$URL" 900
    echo "$1: archive read in $(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$t0" "$(date +%s.%N)") s"
}
echo "== glaneur serve"
start_server "first start (scan + search index)"
python3 scripts/serve_check.py overview "$WORK/site" "$URL"
nice -n 0 python3 scripts/serve_check.py bench "$WORK/site" "$URL" "$QUERIES"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
start_server "restart (cached scans, existing index)"
du -sh "$WORK/state" | sed 's/^/state folder: /'
rm -rf "$WORK"
