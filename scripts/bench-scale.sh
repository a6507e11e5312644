#!/usr/bin/env bash
# Long-run benchmark: how glaneur's cost grows with the work, over many polite hosts.
#
# usage: scripts/bench-scale.sh [--pages N] [--hosts H] [--rate R] [--concurrency C]
#                               [--seconds S] [--interval I] [--out DIR] [--trace-requests]
#
#   (default)              2,000 hosts x 500 pages = 1,000,000 pages, 1 request/s per host,
#                          1 in flight per host: 2,000 requests/s allowed in aggregate
#   --pages 100000         the short setting: 2,000 hosts x 50 pages (a few minutes)
#   --hosts 1000 --rate 2 --seconds 240
#                          1,000 hosts x 2 requests/s for 4 minutes (500 pages per host)
#
# 1. builds glaneur (release) and examples/scale_site.rs;
# 2. serves the embedded demo news site under every host name h0.scale.test ... on one
#    loopback port (pages per host = N / H, absolute links naming the host asked for); the
#    server counts, per host, requests closer than the allowed rate (violations);
# 3. crawls every host at once (`--resolve` onto the server, one start URL per host, the
#    policy's rate R and max_concurrent C for every host, robots.txt obeyed, WARC zstd with
#    a dictionary, extraction, SQLite frontier), with --max-duration S when given;
# 4. samples every I seconds (scripts/bench_scale.py): pages/s, CPU-ms/page (utime+stime of
#    the glaneur process from /proc), RSS and peak RSS, state file size, WARC bytes, frontier
#    queue length, share of the allowed aggregate rate used (requests the server answered /
#    (H x R)), load average, article records; writes scale.csv and scale.svg in DIR, and
#    prints the medians, the first-10 % / last-10 % ratios, the same ratios over the article
#    phase (samples with >= 90 % articles: the frontier claims listings last, so the end of a
#    crawl that runs out is listing pages, cheaper per page) and the state's bytes per URL.
#
# --trace-requests: the crawl logs the start of every request (GLANEUR_LOG=
#   glaneur::request=trace, in DIR/crawl.err) and `bench_scale.py gaps` prints the gaps
#   between each host's request starts as the crawler took them, beside the site's own gap
#   histogram (the site stamps a request when its handler runs, late when it waits for a
#   core). Exit 1 when the crawler started two requests of a host closer than allowed.
#
# The machine's load distorts pages/s and the rate share (not CPU-ms/page nor RSS): run it
# on a quiet machine; the load average is in every sample.
#
# Environment: GLANEUR_BENCH_DIR (default: a new /tmp/glaneur-scale.XXXXXX, kept),
#              BENCH_NO_BUILD=1 (use the binaries already in target/release),
#              GLANEUR_BIN (the glaneur binary to measure; default target/release/glaneur),
#              SCALE_SITE_BIN (the site server; default target/release/examples/scale_site),
#              SITE_NICE (renice the site server to this, e.g. -15, so that it gets a core
#              first on a busy machine).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HOSTS=2000 RATE=1 CONCURRENCY=1 PAGES="" SECONDS_MAX="" INTERVAL=10 TRACE=""
OUT=${GLANEUR_BENCH_DIR:-}
while [[ $# -gt 0 ]]; do
    case $1 in
    --pages) PAGES=$2; shift 2 ;;
    --hosts) HOSTS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --seconds) SECONDS_MAX=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --trace-requests) TRACE=1; shift ;;
    -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
PAGES=${PAGES:-$((HOSTS * 500))}
PER_HOST=$((PAGES / HOSTS))
if [[ $PER_HOST -lt 10 ]]; then echo "--pages must give at least 10 pages per host" >&2; exit 2; fi
# one connection per host in the crawler and in the server, plus files and the database
if [[ $(ulimit -n) -lt $((HOSTS + 512)) ]]; then
    ulimit -n $((HOSTS * 2 + 512)) 2>/dev/null \
        || { echo "open files limit $(ulimit -n) is too low for $HOSTS hosts: raise it (ulimit -n)" >&2; exit 2; }
fi
[[ -n $OUT ]] || OUT=$(mktemp -d /tmp/glaneur-scale.XXXXXX)
mkdir -p "$OUT"
rm -rf "$OUT/archive" "$OUT/scale.csv" "$OUT/scale.svg"

say() { echo "== $*" >&2; }
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
    say "building glaneur (release) and examples/scale_site"
    cargo build --release --locked --quiet --bin glaneur --example scale_site
fi
BIN=${GLANEUR_BIN:-$ROOT/target/release/glaneur}
SITE_BIN=${SCALE_SITE_BIN:-$ROOT/target/release/examples/scale_site}

SERVER_PID="" CRAWL_PID=""
cleanup() {
    [[ -z $CRAWL_PID ]] || kill "$CRAWL_PID" 2>/dev/null || true
    [[ -z $SERVER_PID ]] || kill "$SERVER_PID" 2>/dev/null || true
}
trap cleanup EXIT

say "serving $HOSTS hosts x $PER_HOST pages"
"$SITE_BIN" --pages-per-host "$PER_HOST" --rate "$RATE" \
    --stats "$OUT/site.stats" >"$OUT/site.out" 2>"$OUT/site.err" &
SERVER_PID=$!
[[ -z ${SITE_NICE:-} ]] || renice -n "$SITE_NICE" -p "$SERVER_PID" >/dev/null
for _ in $(seq 1200); do grep -q '^pages_per_host=' "$OUT/site.out" 2>/dev/null && break; sleep 0.1; done
ADDR=$(sed -n 's/^addr=//p' "$OUT/site.out")
[[ -n $ADDR ]] || { echo "the site did not start: $(cat "$OUT/site.err")" >&2; exit 1; }
PORT=${ADDR##*:}
say "site at $ADDR, $(sed -n 's/^pages_per_host=//p' "$OUT/site.out") resources per host"

cat >"$OUT/policy.toml" <<TOML
user_agent = "glaneur-bench/0.1 (+https://example.org/contact)"
obey_robots = true
allow_private_networks = true
[default]
requests_per_second = $RATE
burst = 1
max_concurrent = $CONCURRENCY
timeout_secs = 30
TOML

# a free port for the crawl's metrics endpoint (its counters are sampled there)
METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ARGS=(crawl --quiet --json --policy "$OUT/policy.toml" --archive "$OUT/archive"
      --dict auto --max-depth 1000 --metrics "127.0.0.1:$METRICS_PORT")
[[ -z $SECONDS_MAX ]] || ARGS+=(--max-duration "${SECONDS_MAX}s")
# every host's --resolve and start URL in an argument file (`@FILE`, one per line): with
# thousands of hosts the command line outgrows what tools that record it accept
for ((i = 0; i < HOSTS; i++)); do
    printf -- '--resolve\nh%d.scale.test=%s\nhttp://h%d.scale.test:%s/\n' "$i" "$ADDR" "$i" "$PORT"
done >"$OUT/hosts.args"
ARGS+=("@$OUT/hosts.args")

say "crawling: $HOSTS hosts at $RATE request/s, $CONCURRENCY in flight each ($(uptime | sed 's/.*load/load/'))"
if [[ -n $TRACE ]]; then export GLANEUR_LOG="warn,glaneur::request=trace" NO_COLOR=1; fi
"$BIN" "${ARGS[@]}" >"$OUT/summary.json" 2>"$OUT/crawl.err" &
CRAWL_PID=$!
python3 "$ROOT/scripts/bench_scale.py" sample --pid "$CRAWL_PID" \
    --metrics "http://127.0.0.1:$METRICS_PORT/metrics" --server-stats "$OUT/site.stats" \
    --state "$OUT/archive/state.sqlite" --archive "$OUT/archive" --hosts "$HOSTS" \
    --rate "$RATE" --interval "$INTERVAL" --csv "$OUT/scale.csv"
rc=0; wait "$CRAWL_PID" || rc=$?; CRAWL_PID=""
# exit code 4: stopped by --max-duration, as asked
if [[ $rc -ne 0 && $rc -ne 4 ]]; then
    echo "glaneur crawl failed (exit $rc):" >&2; tail -5 "$OUT/crawl.err" >&2; exit 1
fi
sleep 1.2   # the site's stats file is rewritten every second
say "done ($(uptime | sed 's/.*load/load/')); site: $(tr '\n' ' ' <"$OUT/site.stats")"
python3 "$ROOT/scripts/bench_scale.py" report "$OUT/scale.csv" --svg "$OUT/scale.svg" \
    --state "$OUT/archive/state.sqlite" \
    --title "glaneur: $HOSTS hosts x $RATE req/s, $PAGES pages, $(date -u +%F)"
python3 - "$OUT/summary.json" "$OUT/site.stats" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
site = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if "=" in l)
print(f"summary: pages={s['pages']} requests={s['requests']} errors={s['errors']} "
      f"stop={s['stop_reason']} bytes_written={s['bytes_written']}")
print(f"site: requests={site['requests']} violations={site['violations']} "
      f"strict_violations={site['strict_violations']} hosts_seen={site['hosts_seen']}")
PY
gaps_rc=0
if [[ -n $TRACE ]]; then
    python3 "$ROOT/scripts/bench_scale.py" gaps "$OUT/crawl.err" --rate "$RATE" \
        --server-stats "$OUT/site.stats" || gaps_rc=$?
fi
echo "files: $OUT/scale.csv $OUT/scale.svg" >&2
exit $gaps_rc
