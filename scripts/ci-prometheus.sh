#!/usr/bin/env bash
# CI check of `--metrics` against a real Prometheus (Debian's `prometheus` package):
# a throwaway Prometheus on loopback scrapes `glaneur demo --metrics` every second while
# the demo site is crawled; its HTTP API must show glaneur_pages_total growing, and its
# last value must equal the `pages` of the crawl's --json summary.
#
#   scripts/ci-prometheus.sh [ARTICLES]      (default 200; run from the repository root)
#
# GLANEUR_BIN=path/to/glaneur uses that binary instead of building the release one.
#
# Installs the package when `prometheus` is missing (apt-get). As root, Prometheus runs as
# `nobody`. Everything listens on 127.0.0.1 and is removed at the end.
set -euo pipefail

ARTICLES=${1:-200}
die() { echo "ci-prometheus: $*" >&2; exit 1; }

if ! command -v prometheus >/dev/null 2>&1; then
    echo "ci-prometheus: installing prometheus (apt-get)" >&2
    # A fresh machine may have no package lists yet: update them when the first try fails.
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends prometheus >/dev/null; } \
        || die "apt-get install prometheus failed"
fi
command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

work=$(mktemp -d /tmp/glaneur-prom.XXXXXX)
prom_pid=""
cleanup() {
    # Prometheus ends on the TERM sent here: its status is not the script's.
    if [ -n "$prom_pid" ]; then
        kill "$prom_pid" 2>/dev/null || true
        wait "$prom_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

prom_port=$(free_port)
metrics_port=$(free_port)
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: glaneur
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
YAML
mkdir -p "$work/data"
run_as=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R nobody "$work/data"
    chmod 755 "$work"
    chmod 644 "$work/prometheus.yml"
    run_as=(runuser -u nobody --)
fi
"${run_as[@]}" prometheus --config.file="$work/prometheus.yml" \
    --storage.tsdb.path="$work/data" --web.listen-address="127.0.0.1:$prom_port" \
    >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "http://127.0.0.1:$prom_port/-/ready" >/dev/null || { cat "$work/prometheus.log" >&2; die "Prometheus did not start"; }

bin=${GLANEUR_BIN:-}
if [ -z "$bin" ]; then
    cargo build --locked --release --quiet
    bin=./target/release/glaneur
fi
"$bin" demo --no-serve --json --quiet --articles "$ARTICLES" --rate 20 \
    --archive "$work/archive" --metrics "127.0.0.1:$metrics_port" --metrics-linger 4s \
    >"$work/summary.json" &
crawl_pid=$!

query() {  # the latest glaneur_pages_total Prometheus has, or "none" (the series goes stale
           # once the endpoint is gone: last_over_time still has its last sample)
    curl -fsS "http://127.0.0.1:$prom_port/api/v1/query" \
        --data-urlencode 'query=last_over_time(glaneur_pages_total{job="glaneur"}[10m])' |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}

seen=()
while kill -0 "$crawl_pid" 2>/dev/null; do
    v=$(query || echo none)
    [ "$v" != none ] && seen+=("$v")
    sleep 1
done
wait "$crawl_pid" || die "glaneur demo failed"
sleep 1.5  # Prometheus has scraped the lingering endpoint; its last sample is the final count
final=$(query)
pages=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pages"])' "$work/summary.json")
echo "ci-prometheus: samples during the crawl: ${seen[*]:-none}; final $final; summary pages $pages"

python3 - "$final" "$pages" "${seen[@]}" <<'PY'
import sys
final, pages, seen = sys.argv[1], int(sys.argv[2]), [float(v) for v in sys.argv[3:]]
assert final != "none", "Prometheus has no glaneur_pages_total"
assert int(float(final)) == pages, f"Prometheus says {final}, the summary {pages}"
growing = [b for a, b in zip(seen, seen[1:]) if b > a]
assert len(growing) >= 2, f"the page count did not grow while crawling: {seen}"
assert all(b >= a for a, b in zip(seen, seen[1:])), f"the page count went down: {seen}"
print(f"ci-prometheus: OK ({len(seen)} samples, {len(growing)} increases, final {pages})")
PY

# The range query over the crawl shows the same growth from Prometheus's storage.
curl -fsS "http://127.0.0.1:$prom_port/api/v1/query" \
    --data-urlencode 'query=max_over_time(glaneur_up[5m])' | grep -q '"1"' || die "glaneur_up was never 1"
