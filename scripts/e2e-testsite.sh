#!/usr/bin/env bash
# End-to-end acceptance of `glaneur crawl` on the shared mock news site (../shared/testsite),
# served by nginx on loopback:
#   1. a full crawl (zstd): every article captured once, robots.txt obeyed, calendar bounded;
#   2. the WARC conformance suite (../shared/warc) on it, and on a gzip crawl;
#      `glaneur verify` passes; the articles export loads in pyarrow (Parquet, one row per
#      article, typed columns) and in Python's csv module (scripts/check_export.py);
#   3. SIGINT halfway, then the same command again: complete, nothing fetched twice;
#   4. requests_per_second = 5, burst = 1: at most 5 requests in any one-second window.
#
# usage: scripts/e2e-testsite.sh [ARTICLES]      (default 300; the issue's figure is 2000)
# Needs: a release build (it runs `cargo build --release --locked` once), python3, nginx
# (serve.sh installs it with apt-get if missing), pyarrow (installed from PyPI into a venv at
# $GLANEUR_PYARROW_VENV, default /tmp/glaneur-pyarrow/venv, if missing).
# Env: GLANEUR_E2E_PORT (default 18181).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-300}
PORT=${GLANEUR_E2E_PORT:-18181}
SHARED=${GLANEUR_SHARED:-../shared}
WORK=$(mktemp -d /tmp/glaneur-e2e.XXXXXX)
LOG=/tmp/glaneur-nginx-$PORT/access.log
VENV=${WARCCHECK_VENV:-/tmp/warccheck/venv}

cleanup() { "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

cargo build --release --locked --quiet
BIN=$PWD/target/release/glaneur

python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$PORT" >/dev/null
serve() { cleanup; "$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null 2>&1; }
flush_log() { sleep 1.5; }   # nginx flushes its buffered access log every second

cat >"$WORK/fast.toml" <<TOML
user_agent = "glaneur/0.1 (+https://example.org/contact)"
obey_robots = true
allow_private_networks = true
[default]
requests_per_second = 2000.0
burst = 50
max_concurrent = 8
timeout_secs = 10
TOML
sed -e 's/^requests_per_second.*/requests_per_second = 5.0/' -e 's/^burst.*/burst = 1/' \
    "$WORK/fast.toml" >"$WORK/slow.toml"

crawl() { "$BIN" crawl "http://127.0.0.1:$PORT/" --quiet "$@"; }

echo "== 1. full crawl, zstd ($ARTICLES articles)"
serve
crawl --policy "$WORK/fast.toml" --archive "$WORK/zstd"
flush_log
echo "== 2. WARC conformance (zstd)"
bash "$SHARED/warc/warc-conformance.sh" "$WORK/zstd" | tail -3
"$VENV/bin/python" scripts/check_crawl.py "$WORK/site" "$WORK/zstd" "$LOG" --no-dup-requests

echo "== 2a. verify; articles as Parquet (pyarrow) and CSV (csv module)"
"$BIN" verify "$WORK/zstd" | tail -1
PYARROW_VENV=${GLANEUR_PYARROW_VENV:-/tmp/glaneur-pyarrow/venv}
if ! "$PYARROW_VENV/bin/python" -c 'import pyarrow' 2>/dev/null; then
    python3 -m venv "$PYARROW_VENV"
    "$PYARROW_VENV/bin/pip" install --quiet 'pyarrow==26.0.1'
fi
"$BIN" articles --archive "$WORK/zstd" --format parquet --output "$WORK/articles.parquet"
"$BIN" articles --archive "$WORK/zstd" --format csv --output "$WORK/articles.csv"
# Parquet needs no seekable output: standard output gives the same bytes.
"$BIN" articles --archive "$WORK/zstd" --format parquet 2>/dev/null | cmp - "$WORK/articles.parquet"
"$PYARROW_VENV/bin/python" scripts/check_export.py "$WORK/site" "$WORK/articles.parquet" "$WORK/articles.csv"

echo "== 2b. full crawl and WARC conformance, gzip"
serve
crawl --policy "$WORK/fast.toml" --archive "$WORK/gzip" --compression gzip
flush_log
bash "$SHARED/warc/warc-conformance.sh" "$WORK/gzip" | tail -3
"$VENV/bin/python" scripts/check_crawl.py "$WORK/site" "$WORK/gzip" "$LOG"

echo "== 3. SIGINT halfway, then resume"
serve
cat >"$WORK/medium.toml" <<TOML
allow_private_networks = true
[default]
requests_per_second = 40.0
burst = 1
max_concurrent = 2
TOML
# The binary itself in the background (not a shell function), so that SIGINT reaches it.
"$BIN" crawl "http://127.0.0.1:$PORT/" --quiet --policy "$WORK/medium.toml" --archive "$WORK/resume" &
pid=$!
half=$(( (ARTICLES + 300) / 2 ))
for _ in $(seq 600); do
    n=$(grep -c '"GET' "$LOG" 2>/dev/null || true)
    [ "${n:-0}" -ge "$half" ] && break
    sleep 0.1
done
kill -INT "$pid" || { echo "FAIL: the crawl ended before it could be interrupted"; exit 1; }
set +e; wait "$pid"; code=$?; set -e
echo "interrupted run exited with $code (4 = stopped early, state saved)"
[ "$code" -eq 4 ] || { echo "FAIL: expected exit code 4 after SIGINT"; exit 1; }
crawl --policy "$WORK/medium.toml" --archive "$WORK/resume"
flush_log
"$VENV/bin/python" scripts/check_crawl.py "$WORK/site" "$WORK/resume" "$LOG" --no-dup-requests

echo "== 4. rate limit: 5 requests per second, burst 1"
serve
crawl --policy "$WORK/slow.toml" --archive "$WORK/rate" --max-pages 30
flush_log
python3 scripts/check_rate.py "$LOG" 5
echo "e2e: all checks passed"
rm -rf "$WORK"
