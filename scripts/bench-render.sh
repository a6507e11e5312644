#!/usr/bin/env bash
# Render mode against HTTP mode on one site built by script (scripts/jssite.py, served by
# nginx on loopback): wall time, pages/s, articles with their body, title and date, and
# peak memory (glaneur's own peak RSS, and the peak of glaneur plus its Chromium processes,
# sampled every 100 ms). Checks in nginx's access log that robots.txt was obeyed
# (/api/secret/ never requested) and the per-host rate kept for every request.
#
# usage: scripts/bench-render.sh [ARTICLES]     (default 50)
# Env: GLANEUR_BIN (default: target/release/glaneur, built if missing), GLANEUR_SHARED
# (default ../shared: testsite/serve.sh), GLANEUR_RENDER_PORT (default 18391), RATE
# (requests per second per host, default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-50}
SHARED=${GLANEUR_SHARED:-../shared}
PORT=${GLANEUR_RENDER_PORT:-18391}
RATE=${RATE:-20}
WORK=$(mktemp -d /tmp/glaneur-render-bench.XXXXXX)
LOG=/tmp/glaneur-nginx-$PORT/access.log
cleanup() { "$SHARED/testsite/serve.sh" --stop "$PORT" >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [ -n "${GLANEUR_BIN:-}" ]; then
    BIN=$GLANEUR_BIN
else
    [ -x target/release/glaneur ] || cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi
python3 scripts/jssite.py "$WORK/site" "$ARTICLES"
cat >"$WORK/js.toml" <<TOML
name = "js"
start = ["http://127.0.0.1:$PORT/"]
article = '/(a|static)/\\d+\\.html\$'
max_depth = 6
TOML

# Peak RSS (kB) of a process and its descendants, sampled until it exits.
peak_tree_rss() {
    python3 - "$1" <<'PY'
import os, sys, time
root = int(sys.argv[1]); peak = 0
def tree():
    kids = {}
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            with open(f'/proc/{p}/stat') as f: ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except OSError: continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [root]
    while todo:
        p = todo.pop(); out.append(p); todo.extend(kids.get(p, []))
    return out
while os.path.exists(f'/proc/{root}'):
    total = 0
    for p in tree():
        try:
            with open(f'/proc/{p}/status') as f:
                total += next((int(l.split()[1]) for l in f if l.startswith('VmRSS:')), 0)
        except OSError: pass
    peak = max(peak, total); time.sleep(0.1)
print(peak)
PY
}

run() {   # run NAME ARGS...: one crawl of the site, a line of the table
    local name=$1; shift
    cleanup; rm -f "$LOG"
    "$SHARED/testsite/serve.sh" "$WORK/site" "$PORT" >/dev/null 2>&1
    local out=$WORK/$name
    local start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$out.time" "$BIN" crawl --seeds "$WORK/js.toml" --archive "$out" \
        --allow-private-networks --rate "$RATE" --concurrency 2 --json -q "$@" >"$out.json" &
    local pid=$!
    sleep 0.05
    local tree_peak
    tree_peak=$(peak_tree_rss "$(pgrep -P $pid | head -1 || echo $pid)")
    wait $pid
    local end=$(date +%s.%N)
    sleep 1.5   # nginx flushes its access log every second
    if grep -q '/api/secret/' "$LOG"; then echo "$name: robots.txt not obeyed" >&2; exit 1; fi
    python3 scripts/check_rate.py "$LOG" "$RATE" >"$out.rate" || { cat "$out.rate" >&2; exit 1; }
    "$BIN" articles --archive "$out" --format jsonl >"$out.articles.jsonl"
    python3 - "$name" "$start" "$end" "$out.json" "$out.time" "$tree_peak" "$WORK/site/truth.jsonl" \
        "$out.articles.jsonl" "$out.rate" <<'PY'
import json, sys
name, start, end, summary, rss, tree, truth, arts, rate = sys.argv[1:]
s = json.load(open(summary)); secs = float(end) - float(start)
got = {}
for line in open(arts, encoding='utf-8'):
    a = json.loads(line); got[a.get('url', '').split('//', 1)[-1].split('/', 1)[-1]] = a
ok = 0; want = [json.loads(l) for l in open(truth, encoding='utf-8')]
for t in want:
    a = got.get(t['path'].lstrip('/'), {})
    if a.get('title') == t['title'] and t['marker'] in (a.get('body') or '') \
            and (a.get('published') or '').startswith(t['date']):
        ok += 1
print(f"| {name} | {secs:.1f} | {s['pages']} | {s['pages'] / secs:.1f} | {s.get('rendered', 0)} | "
      f"{s.get('requisites', 0)} | {ok}/{len(want)} | {int(open(rss).read().split()[-1]) // 1024} | "
      f"{int(tree) // 1024} | {open(rate).read().split(',')[1].strip()} |")
PY
}

echo "| mode | seconds | pages archived | pages/s | rendered | requisites | articles complete | glaneur peak RSS MB | with Chromium MB | rate check |"
echo "|---|---|---|---|---|---|---|---|---|---|"
run http --render never
run auto-2-tabs --render auto --render-tabs 2
run auto-4-tabs --render auto --render-tabs 4
