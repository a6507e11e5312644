#!/usr/bin/env bash
# Throughput of 1, 2 and 3 `glaneur crawl` workers sharing one PostgreSQL state, on many
# virtual hosts: the mock news site (../shared/testsite) is served by nginx on loopback
# under HOSTS host names (h01.bench, h02.bench, …, all resolved to 127.0.0.1 with
# --resolve), with a fast politeness policy (so per-host limits do not bind). Each run
# starts from a new database and archive; it reports pages archived per second over the
# whole run (from the first worker's start to the last one's end) and the ratio to the
# one-worker run.
#
# usage: scripts/bench-workers.sh [HOSTS] [ARTICLES_PER_HOST]     (default 60 and 10)
# Needs: a release build (built here; GLANEUR_BIN=path uses another binary), nginx, psql, PostgreSQL
# (GLANEUR_TEST_POSTGRES, else a throwaway cluster). All workers run on this machine:
# the figures measure the coordination cost and the machine's cores, not a cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-60}
ARTICLES=${2:-10}
PORT=${GLANEUR_BENCH_PORT:-18183}
SHARED=${GLANEUR_SHARED:-../shared}
WORK=$(mktemp -d /tmp/glaneur-bench-workers.XXXXXX)

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

BIN=${GLANEUR_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi

python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$PORT" >/dev/null
ACCESS_LOG=off "$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null

cat >"$WORK/policy.toml" <<TOML
user_agent = "glaneur/0.1 (+https://example.org/contact)"
allow_private_networks = true
[default]
requests_per_second = 200.0
burst = 20
max_concurrent = 4
timeout_secs = 10
TOML

urls=()
resolve=()
for i in $(seq -w 1 "$HOSTS"); do
    urls+=("http://h$i.bench:$PORT/")
    resolve+=(--resolve "h$i.bench=127.0.0.1:$PORT")
done

run() { # run N → prints "pages seconds"
    local n=$1 db="glaneur_bench_$$_$1" pids=() start end
    psql "$ADMIN" -qAtc "CREATE DATABASE $db" >/dev/null
    local state="${ADMIN%/*}/$db"
    start=$(date +%s.%N)
    for w in $(seq 1 "$n"); do
        "$BIN" crawl "${urls[@]}" "${resolve[@]}" --quiet --json --policy "$WORK/policy.toml" \
            --archive "$WORK/archive-$n" --state "$state" --worker "w$w" \
            >"$WORK/summary-$n-$w.json" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    end=$(date +%s.%N)
    python3 - "$WORK" "$n" "$start" "$end" <<'PY'
import json, sys
work, n, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
pages = sum(json.load(open(f"{work}/summary-{n}-{w}.json"))["pages"] for w in range(1, n + 1))
print(pages, f"{end - start:.2f}")
PY
    psql "$ADMIN" -qAtc "DROP DATABASE $db WITH (FORCE)" >/dev/null
}

echo "$HOSTS hosts × the test site with $ARTICLES articles; $(nproc) CPU(s)"
base=""
for n in 1 2 3; do
    read -r pages secs < <(run "$n")
    rate=$(python3 -c "print(f'{$pages / $secs:.1f}')")
    [ -z "$base" ] && base=$rate
    ratio=$(python3 -c "print(f'{$rate / $base:.2f}')")
    echo "$n worker(s): $pages pages in ${secs}s = $rate pages/s (x$ratio)"
done
