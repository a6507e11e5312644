#!/usr/bin/env bash
# End-to-end acceptance of several workers sharing one PostgreSQL state, on the shared mock
# news site (../shared/testsite) served by nginx on loopback:
#   1. three workers crawl it together, requests_per_second = 10, burst = 1: every article
#      captured exactly once over all their WARC files, no URL requested twice, robots.txt
#      obeyed, and at most 10 requests in any one-second window from all of them together;
#   2. three workers again (a new database), one killed with SIGKILL halfway: the others
#      finish its work, every article is captured exactly once, and the only URLs requested
#      twice are those the killed worker had in flight.
#
# usage: scripts/e2e-workers.sh [ARTICLES]      (default 200)
# Needs: a release build (built here; GLANEUR_BIN=path uses another binary), python3 with fastwarc (the venv of the
# WARC conformance suite, WARCCHECK_VENV), nginx (serve.sh), psql, and PostgreSQL:
# GLANEUR_TEST_POSTGRES (a superuser URL, as .ci/run exports), else a throwaway cluster
# (scripts/pg-throwaway.sh). Env: GLANEUR_E2E_PORT (default 18182).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-200}
PORT=${GLANEUR_E2E_PORT:-18182}
SHARED=${GLANEUR_SHARED:-../shared}
WORK=$(mktemp -d /tmp/glaneur-e2e-workers.XXXXXX)
LOG=/tmp/glaneur-nginx-$PORT/access.log
VENV=${WARCCHECK_VENV:-/tmp/warccheck/venv}
PY="$VENV/bin/python"
[ -x "$PY" ] || PY=python3

PG_DIR=""
cleanup() {
    "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true
    [ -n "$PG_DIR" ] && scripts/pg-throwaway.sh stop "$PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT

ADMIN=${GLANEUR_TEST_POSTGRES:-}
if [ -z "$ADMIN" ]; then
    PG_DIR=$(mktemp -u /tmp/glaneur-pg.XXXXXX)
    ADMIN=$(scripts/pg-throwaway.sh start "$PG_DIR")
fi
new_db() {
    local name="glaneur_e2e_$$_$1"
    psql "$ADMIN" -qAtc "CREATE DATABASE $name" >/dev/null
    echo "${ADMIN%/*}/$name"
}

BIN=${GLANEUR_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi

python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$PORT" >/dev/null
serve() { "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true
          "$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null 2>&1; }
flush_log() { sleep 1.5; }   # nginx flushes its buffered access log every second
requests() { grep -c '"GET' "$LOG" 2>/dev/null || true; }

policy() {
    cat >"$WORK/policy-$1.toml" <<TOML
user_agent = "glaneur/0.1 (+https://example.org/contact)"
allow_private_networks = true
[default]
requests_per_second = $1
burst = 1
max_concurrent = 2
timeout_secs = 10
TOML
}

worker() { # worker STATE ARCHIVE NAME RATE
    "$BIN" crawl "http://127.0.0.1:$PORT/" --quiet --policy "$WORK/policy-$4.toml" \
        --archive "$2" --state "$1" --worker "$3" --lease 3s
}

echo "== 1. three workers, 10 requests/s per host over all of them ($ARTICLES articles)"
policy 10
serve
STATE=$(new_db 1)
start=$(date +%s.%N)
pids=()
for w in w1 w2 w3; do
    worker "$STATE" "$WORK/together" "$w" 10 &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
end=$(date +%s.%N)
flush_log
echo "three workers took $(python3 -c "print(f'{$end - $start:.1f}')")s"
ls "$WORK/together" | sed -n 's/^glaneur-\(w[0-9]\)-.*\.warc\.zst$/\1/p' | sort | uniq -c \
    | awk '{printf "  %s wrote %s WARC file(s)\n", $2, $1}'
"$PY" scripts/check_crawl.py "$WORK/site" "$WORK/together" "$LOG" --no-dup-requests
python3 scripts/check_rate.py "$LOG" 10
"$BIN" workers --state "$STATE" --all --hosts 3

echo "== 2. three workers, one killed with SIGKILL halfway"
policy 40
serve
STATE=$(new_db 2)
pids=()
for w in w1 w2 w3; do
    worker "$STATE" "$WORK/killed" "$w" 40 &
    pids+=($!)
done
total=$(( ARTICLES * 3 / 2 ))
for _ in $(seq 600); do
    [ "$(requests)" -ge $(( total / 2 )) ] && break
    sleep 0.1
done
victim=${pids[1]}
kill -STOP "$victim"
psql "$STATE" -qAtc "SELECT url FROM urls WHERE state = 'in_flight' AND worker = 'w2'" \
    >"$WORK/in-flight.txt"
kill -KILL "$victim"
echo "killed w2 after $(requests) requests, with $(wc -l <"$WORK/in-flight.txt") URL(s) in flight"
set +e; wait "$victim"; set -e
for p in "${pids[0]}" "${pids[2]}"; do wait "$p"; done
flush_log
ls "$WORK/killed" | grep -q '^glaneur-w2-.*\.warc\.zst$' \
    || { echo "FAIL: the killed worker's WARC files were not repaired"; exit 1; }
if ls "$WORK/killed" | grep -q '\.open$'; then
    echo "FAIL: .open files left"; exit 1
fi
"$PY" scripts/check_crawl.py "$WORK/site" "$WORK/killed" "$LOG" --no-dup-requests \
    --allow-dup "$WORK/in-flight.txt"
[ "$(psql "$STATE" -qAtc "SELECT count(*) FROM urls WHERE state IN ('pending', 'in_flight')")" = 0 ] \
    || { echo "FAIL: URLs left in the frontier"; exit 1; }
echo "e2e workers: all checks passed"
