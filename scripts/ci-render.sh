#!/usr/bin/env bash
# Pages built by JavaScript, rendered in a real headless Chromium (issue 22):
#   1. tests/it/render.rs, built with --features chromium-tests — a site of 50 articles
#      built from JSON endpoints with lazy images and a related block inserted by script
#      (crawled with --render auto: bodies, titles, dates, every JSON call and image
#      archived, related links followed, static pages not rendered, robots.txt and the
#      rate kept for every request), a page that never reaches network idle, a script
#      refused a private address, requisites revisited on a re-crawl, a requisite answered
#      429 slowing its host, the bounded queue of pages waiting for a tab;
#   2. pywb replay: the CLI crawls scripts/jssite.py (served on loopback) with
#      --render auto, the site is stopped, `glaneur wacz` packages the archive, pywb
#      (`wb-manager add --unpack-wacz`) serves it, and scripts/check_render_replay.py
#      checks that the raw requisites come back byte-identical and that the replayed
#      pages, run in headless Chromium, build their article from JSON served by pywb.
# The tests FAIL without Chromium or pywb: Chromium is installed here with apt-get when
# missing, pywb with pip into a venv (the one of scripts/ci-wacz.sh).
#
# usage: scripts/ci-render.sh
# Env: GLANEUR_RENDER_REPLAY_PORT (default 18471; pywb uses +1), GLANEUR_WACZ_VENV
# (default /tmp/glaneur-wacz/venv), REPLAY_ARTICLES (default 6), KEEP=1 keeps the work folder.
set -euo pipefail
. "$(dirname "$0")/lib/pywb.sh"
cd "$(dirname "$0")/.."
PORT=${GLANEUR_RENDER_REPLAY_PORT:-18471}
PYWB_PORT=$((PORT + 1))
VENV=${GLANEUR_WACZ_VENV:-/tmp/glaneur-wacz/venv}
ARTICLES=${REPLAY_ARTICLES:-6}

if ! command -v chromium >/dev/null 2>&1 && [ -z "${GLANEUR_CHROMIUM:-}" ]; then
    echo "chromium missing: installing it with apt-get" >&2
    timeout 900 apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >&2
fi
CHROMIUM=${GLANEUR_CHROMIUM:-$(command -v chromium)}

echo "== 1. browser tests (tests/it/render.rs)"
cargo test --locked --features chromium-tests --test it render:: -- --test-threads 1

echo "== 2. pywb replay of rendered articles"
WORK=$(mktemp -d /tmp/glaneur-render-replay.XXXXXX)
site_pid=
PYWB_PID=
cleanup() {
    if [ -n "$site_pid" ]; then kill "$site_pid" 2>/dev/null || true; fi
    if [ -n "$PYWB_PID" ]; then kill "$PYWB_PID" 2>/dev/null || true; fi
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "work folder kept: $WORK"; fi
}
trap cleanup EXIT
venv_with "$VENV" pywb 'pywb==2.10.0'
# The binary the tests above built (a separate `cargo build` would build every dependency
# again, without the tests' dev-dependency features).
BIN=${CARGO_TARGET_DIR:-$PWD/target}/debug/glaneur
[ -x "$BIN" ] || { echo "FAIL: $BIN was not built by the tests"; exit 1; }
ORIGIN=http://127.0.0.1:$PORT
python3 scripts/jssite.py "$WORK/site" "$ARTICLES"
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/site" "$PORT" \
    >"$WORK/site.log" 2>&1 &
site_pid=$!
for _ in $(seq 50); do curl -fs "$ORIGIN/" >/dev/null 2>&1 && break; sleep 0.1; done
cat >"$WORK/js.toml" <<TOML
name = "js"
start = ["$ORIGIN/"]
article = '/(a|static)/\\d+\\.html\$'
max_depth = 6
TOML
"$BIN" crawl --seeds "$WORK/js.toml" --archive "$WORK/archive" --allow-private-networks \
    --rate 50 --concurrency 2 --render auto --json -q >"$WORK/summary.json"
kill "$site_pid"; wait "$site_pid" 2>/dev/null || true; site_pid=
rendered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rendered"])' "$WORK/summary.json")
[ "$rendered" -ge "$ARTICLES" ] || { echo "FAIL: $rendered pages rendered, $ARTICLES wanted"; exit 1; }
"$BIN" wacz "$WORK/archive" --output "$WORK/render.wacz" --title "JS Info (rendered)"
# Frameless replay: the page itself at the replay URL (framed, Chromium's --dump-dom
# would show pywb's top frame, not the article).
pywb_serve_wacz "$VENV" "$WORK/pywb" render "$WORK/render.wacz" "$PYWB_PORT" \
    "framed_replay: false"
"$VENV/bin/python" scripts/check_render_replay.py "$WORK/site" "http://127.0.0.1:$PYWB_PORT" \
    render "$ORIGIN" "$CHROMIUM" "$ARTICLES"
echo "ci-render: all checks passed"
