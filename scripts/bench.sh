#!/usr/bin/env bash
# Side-by-side benchmark of glaneur and its peers on the shared test site, plus glaneur's
# many-hosts and frontier-scale benchmarks. Prints one table with ratios (see BENCHMARKS.md).
#
# usage: scripts/bench.sh [ARTICLES]          (default 2000)
#
# 1. builds glaneur (release, once) and the examples bench_many_hosts / bench_frontier;
# 2. generates the test site (../shared/testsite/generate.py) and serves it with nginx
#    (../shared/testsite/serve.sh); nginx is restarted before every measured run, so each
#    run starts from the same state and its access log holds that run's requests only;
# 3. runs, one at a time, under /usr/bin/time (wall time, user+sys CPU, peak RSS):
#      glaneur        full pipeline: fetch, WARC zstd with a dictionary trained on the
#                     first records, article extraction, links, SQLite frontier, robots.txt
#      glaneur-nodict the same without the dictionary (archive size reference)
#      wget           GNU wget -r --warc-file (1 connection, per-record gzip)
#      scrapy         Scrapy, 16 concurrent, CSS extraction to JSONL (benches/peers/)
#      spider         the Rust `spider` crate, 16 concurrent, bodies kept (benches/peers/spider)
#    Peers that are not installed are skipped (scrapy: a venv is made with pip; spider: built
#    with cargo from crates.io). Every tool crawls from / with robots.txt obeyed, no delay.
# 4. the many-hosts benchmark (200 virtual hosts at 2 requests/s each) and the frontier
#    benchmark (10 million URLs over 100,000 hosts in the SQLite frontier).
#
# Requests are counted from nginx's access log (the server's view, the same for every tool);
# pages/s = requests / wall time; CPU-ms per page = (user + sys) / requests.
#
# Environment:
#   GLANEUR_SHARED        the shared/ folder (default ../shared, else ../../shared)
#   GLANEUR_BENCH_PORT    nginx port (default 18190)
#   GLANEUR_BENCH_DIR     work folder (default: a new /tmp/glaneur-bench.XXXXXX, removed at the end)
#   BENCH_REPEAT          runs per tool; the fastest is reported (default 1)
#   BENCH_TOOLS           tools to run (default "glaneur glaneur-nodict wget scrapy spider")
#   BENCH_SCALE           1 = run the many-hosts and frontier benchmarks (default 1)
#   BENCH_FRONTIER_URLS   URLs of the frontier benchmark (default 10000000)
#   BENCH_HOSTS_SECS      duration of the many-hosts benchmark in seconds (default 30)
#   BENCH_CONCURRENCY     glaneur's max_concurrent per host (default 16, as the peers)
#   BENCH_BASELINE_BIN    another glaneur binary (a build of an earlier commit): run in every
#                         round as the tool "baseline" with glaneur's command line, and
#                         compared with it in the report (before/after a change, same run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ARTICLES=${1:-2000}
PORT=${GLANEUR_BENCH_PORT:-18190}
# the shared/ folder: $GLANEUR_SHARED, else ../shared or ../../shared (worktrees)
SHARED_GUESS=../shared
[[ -d $SHARED_GUESS || ! -d ../../shared ]] || SHARED_GUESS=../../shared
SHARED=$(cd "${GLANEUR_SHARED:-$SHARED_GUESS}" && pwd)
REPEAT=${BENCH_REPEAT:-1}
TOOLS=${BENCH_TOOLS:-glaneur glaneur-nodict wget scrapy spider}
SCALE=${BENCH_SCALE:-1}
FRONTIER_URLS=${BENCH_FRONTIER_URLS:-10000000}
HOSTS_SECS=${BENCH_HOSTS_SECS:-30}
CONCURRENCY=${BENCH_CONCURRENCY:-16}
BASELINE_BIN=${BENCH_BASELINE_BIN:-}
if [[ -n $BASELINE_BIN ]]; then
    [[ -x $BASELINE_BIN ]] || { echo "BENCH_BASELINE_BIN=$BASELINE_BIN is not an executable" >&2; exit 2; }
    TOOLS="$TOOLS baseline"
fi
KEEP=0
if [[ -n "${GLANEUR_BENCH_DIR:-}" ]]; then WORK=$GLANEUR_BENCH_DIR; KEEP=1; mkdir -p "$WORK";
else WORK=$(mktemp -d /tmp/glaneur-bench.XXXXXX); fi
LOG=/tmp/glaneur-nginx-$PORT/access.log
RESULTS=$WORK/results.tsv
VENV=${BENCH_VENV:-/tmp/glaneur-bench/venv}

cleanup() {
    "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true
    [[ $KEEP -eq 1 ]] || rm -rf "$WORK"
}
trap cleanup EXIT

say() { echo "== $*" >&2; }

# ---------------------------------------------------------------- builds (not measured)
say "building glaneur (release) and the benchmark examples"
cargo build --release --locked --quiet --bin glaneur --example bench_many_hosts --example bench_frontier
BIN=$ROOT/target/release/glaneur

have() { [[ " $TOOLS " == *" $1 "* ]]; }
if have scrapy && ! "$VENV/bin/python" -c 'import scrapy' >/dev/null 2>&1; then
    say "installing Scrapy into $VENV"
    { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q --disable-pip-version-check scrapy; } \
        || { echo "Scrapy could not be installed: skipped" >&2; TOOLS=${TOOLS/scrapy/}; }
fi
if have spider; then
    say "building the spider peer (benches/peers/spider, own lockfile)"
    (cd benches/peers/spider && cargo build --release --quiet) \
        || { echo "the spider peer did not build: skipped" >&2; TOOLS=${TOOLS/spider/}; }
fi
if have wget && ! command -v wget >/dev/null; then
    echo "wget not installed: skipped" >&2; TOOLS=${TOOLS/wget/}
fi

# ---------------------------------------------------------------- the site
say "generating the test site ($ARTICLES articles)"
python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$PORT" >/dev/null
URL="http://127.0.0.1:$PORT/"
serve() {
    "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true
    "$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null 2>&1
    # warm nginx's open_file_cache and the page cache for everybody alike
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1]).read()" "$URL" || true
    sleep 0.2
    : >"$LOG"
}

cat >"$WORK/policy.toml" <<TOML
user_agent = "glaneur/0.1 (+https://example.org/contact)"
obey_robots = true
allow_private_networks = true
[default]
requests_per_second = 1000000.0
burst = 1000000
max_concurrent = $CONCURRENCY
timeout_secs = 30
TOML

# ---------------------------------------------------------------- one measured run
# run_tool NAME OUTDIR CMD...: runs CMD under /usr/bin/time, appends a line to $RESULTS:
# name requests html_200 wall_s cpu_s rss_kib bytes
run_tool() {
    local name=$1 out=$2; shift 2
    rm -rf "$out"; mkdir -p "$out"
    serve
    local rc=0
    /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" >"$out.stdout" 2>"$out.stderr" || rc=$?
    # wget exits 8 when the server answered an error (the site's deliberate broken links)
    if [[ $rc -ne 0 && ! ( $name == wget && $rc -eq 8 ) ]]; then
        echo "$name failed (exit $rc); see $out.stderr" >&2; tail -5 "$out.stderr" >&2; return 0
    fi
    sleep 1.3   # nginx flushes its buffered access log every second
    local requests html bytes
    requests=$(grep -c '"GET ' "$LOG" || true)
    html=$(grep -c '"GET [^ ]*/ HTTP/1.[01]" 200 ' "$LOG" || true)
    bytes=$(find "$out" -type f \( -name '*.warc*' -o -name '*.jsonl' -o -name 'bodies' \) \
        -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    # the last line (GNU time writes "Command exited with non-zero status N" before it)
    read -r wall user sys rss < <(tail -n 1 "$out.time")
    local cpu
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$requests" "$html" "$wall" "$cpu" "$rss" \
        "$bytes" >>"$RESULTS"
    echo "$name: $requests requests ($html HTML 200) in ${wall}s, cpu ${cpu}s, rss ${rss} KiB, $bytes bytes written" >&2
}

: >"$RESULTS"
for round in $(seq "$REPEAT"); do
    for tool in $TOOLS; do
        say "$tool (round $round of $REPEAT)"
        case $tool in
        glaneur)
            run_tool glaneur "$WORK/out/glaneur" "$BIN" crawl "$URL" --quiet \
                --policy "$WORK/policy.toml" --archive "$WORK/out/glaneur" --dict auto --max-depth 1000 ;;
        baseline)
            run_tool baseline "$WORK/out/baseline" "$BASELINE_BIN" crawl "$URL" --quiet \
                --policy "$WORK/policy.toml" --archive "$WORK/out/baseline" --dict auto --max-depth 1000 ;;
        glaneur-nodict)
            run_tool glaneur-nodict "$WORK/out/glaneur-nodict" "$BIN" crawl "$URL" --quiet \
                --policy "$WORK/policy.toml" --archive "$WORK/out/glaneur-nodict" --dict off --max-depth 1000 ;;
        wget)
            run_tool wget "$WORK/out/wget" wget --recursive --level=inf -e robots=on --no-verbose \
                --delete-after --directory-prefix="$WORK/out/wget/files" \
                --warc-file="$WORK/out/wget/wget" "$URL" ;;
        scrapy)
            run_tool scrapy "$WORK/out/scrapy" "$VENV/bin/scrapy" runspider \
                "$ROOT/benches/peers/scrapy_spider.py" -a "start=$URL" \
                -O "$WORK/out/scrapy/items.jsonl" ;;
        spider)
            run_tool spider "$WORK/out/spider" "$ROOT/benches/peers/spider/target/release/spider-peer" \
                "$URL" "$WORK/out/spider/bodies" ;;
        esac
    done
done
"$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true

# ---------------------------------------------------------------- scale benchmarks
SCALE_OUT=$WORK/scale.txt
: >"$SCALE_OUT"
if [[ $SCALE -eq 1 ]]; then
    say "many hosts: 200 virtual hosts at 2 requests/s each, ${HOSTS_SECS}s"
    "$ROOT/target/release/examples/bench_many_hosts" --hosts 200 --rate 2 --seconds "$HOSTS_SECS" \
        --dir "$WORK/hosts" | tee -a "$SCALE_OUT"
    say "frontier: $FRONTIER_URLS URLs over 100,000 hosts (SQLite)"
    /usr/bin/time -f "%M" -o "$WORK/frontier.time" "$ROOT/target/release/examples/bench_frontier" \
        --urls "$FRONTIER_URLS" --hosts 100000 --db "$WORK/frontier.sqlite" | tee -a "$SCALE_OUT"
    echo "frontier_peak_rss_kib=$(cat "$WORK/frontier.time")" | tee -a "$SCALE_OUT"
    rm -f "$WORK"/frontier.sqlite*
fi

# ---------------------------------------------------------------- report
python3 - "$RESULTS" "$SCALE_OUT" "$ARTICLES" <<'PY'
import sys
import statistics
rows, runs = {}, {}
for line in open(sys.argv[1]):
    name, req, html, wall, cpu, rss, size = line.rstrip("\n").split("\t")
    r = dict(requests=int(req), html=int(html), wall=float(wall), cpu=float(cpu),
             rss=int(rss), bytes=int(size))
    r["pps"] = r["requests"] / max(r["wall"], 1e-9)
    r["cpu_ms"] = 1000 * r["cpu"] / max(r["requests"], 1)
    runs.setdefault(name, []).append(r)
    best = rows.get(name)
    if best is None or r["pps"] > best["pps"]:
        rows[name] = r
# The archive's size depends on which pages arrive first (the dictionary is trained on
# them), not on the machine's speed: the median of the runs, not the fastest run's.
for name, r in rows.items():
    r["bytes"] = int(statistics.median(x["bytes"] for x in runs[name]))
    r["cpu_med"] = statistics.median(x["cpu_ms"] for x in runs[name])
print(f"\n## Test site: {sys.argv[3]} articles (fastest run of each tool; bytes: median)\n")
print("| tool | requests | HTML 200 | wall s | pages/s | CPU-ms/page | median CPU-ms/page | peak RSS MiB | bytes written |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, r in rows.items():
    print(f"| {name} | {r['requests']} | {r['html']} | {r['wall']:.2f} | {r['pps']:.0f} | "
          f"{r['cpu_ms']:.2f} | {r['cpu_med']:.2f} | {r['rss']/1024:.1f} | {r['bytes']:,} |")
g = rows.get("glaneur")
checks = []
def check(label, value, ok):
    checks.append(ok)
    print(f"- {label}: {value} {'PASS' if ok else 'FAIL'}")
if g:
    print("\n## Ratios (glaneur = full pipeline with dictionary)\n")
    if "wget" in rows:
        w = rows["wget"]
        check("pages/s vs wget (>= 3)", f"{g['pps']/w['pps']:.2f}x", g["pps"] / w["pps"] >= 3)
        check("archive vs wget .warc.gz (<= 0.30)", f"{g['bytes']/w['bytes']:.3f}", g["bytes"] / w["bytes"] <= 0.30)
        if "glaneur-nodict" in rows:
            n = rows["glaneur-nodict"]
            print(f"- archive without dictionary vs wget: {n['bytes']/w['bytes']:.3f} (information)")
    if "scrapy" in rows:
        s = rows["scrapy"]
        check("pages/s vs Scrapy (>= 15)", f"{g['pps']/s['pps']:.2f}x", g["pps"] / s["pps"] >= 15)
    if "spider" in rows:
        s = rows["spider"]
        check("CPU-ms/page vs spider (<= 3)", f"{g['cpu_ms']/s['cpu_ms']:.2f}x", g["cpu_ms"] / s["cpu_ms"] <= 3)
        print(f"- pages/s vs spider: {g['pps']/s['pps']:.2f}x (information)")
    check("peak RSS of the crawl (< 150 MiB)", f"{g['rss']/1024:.1f} MiB", g["rss"] / 1024 < 150)
    check("full pipeline CPU-ms/page (<= 1.0)", f"{g['cpu_ms']:.2f}", g["cpu_ms"] <= 1.0)
    if "baseline" in rows:
        b = rows["baseline"]
        print(f"- against the baseline binary: pages/s {g['pps']/b['pps']:.2f}x, "
              f"CPU-ms/page {g['cpu_ms']/b['cpu_ms']:.2f}x, peak RSS {g['rss']/b['rss']:.2f}x, "
              f"bytes {g['bytes']/b['bytes']:.3f}x (information)")
        # Runs of one round are next to each other in time: their ratio is less noisy.
        paired = [x["cpu"] / y["cpu"] for x, y in zip(runs["glaneur"], runs["baseline"])]
        print(f"- CPU against the baseline, median of the {len(paired)} rounds' ratios: "
              f"{statistics.median(paired):.2f}x ({', '.join(f'{p:.2f}' for p in paired)})")
scale = {}
for line in open(sys.argv[2]):
    if "=" in line and " " not in line.strip():
        k, v = line.strip().split("=", 1)
        scale[k] = v
if scale:
    print("\n## Scale\n")
    if "hosts_rate_ratio" in scale:
        check("200 hosts: aggregate rate / allowed (>= 0.97)", f"{float(scale['hosts_rate_ratio']):.3f}",
              float(scale["hosts_rate_ratio"]) >= 0.97)
        check("200 hosts: per-host violations (0)", scale["hosts_violations"], int(scale["hosts_violations"]) == 0)
    if "frontier_enqueue_per_sec" in scale:
        check("frontier: enqueues/s (>= 50,000)", f"{float(scale['frontier_enqueue_per_sec']):,.0f}",
              float(scale["frontier_enqueue_per_sec"]) >= 50000)
        rss = int(scale["frontier_peak_rss_kib"]) / 1024
        check(f"frontier: peak RSS with {int(scale['frontier_urls']):,} URLs (< 1024 MiB)", f"{rss:.0f} MiB", rss < 1024)
        print(f"- frontier: dequeues/s {float(scale['frontier_dequeue_per_sec']):,.0f} (information)")
print(f"\n{sum(checks)} passed, {len(checks) - sum(checks)} failed")
PY
