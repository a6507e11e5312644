#!/usr/bin/env bash
# End-to-end test of `glaneur serve` in a real headless browser (Debian's Chromium driven
# by playwright-core, tests/browser/serve.test.mjs):
#   1. generate the shared mock news site (../shared/testsite), add a hostile script to the
#      article the test will open, serve it with nginx and crawl it;
#   2. from then on the site stands for the live web: its access log must stay empty;
#   3. start `glaneur serve` on the archive, check the overview's counts against truth.jsonl,
#      then in the browser: overview, search a word of one article, open it, open its
#      capture (sandboxed, scripts must not have run); screenshots are saved and listed.
#
# usage: scripts/browser-test.sh [ARTICLES]      (default 120)
# Needs: chromium (installed with apt-get if missing), node + npm (playwright-core from
# tests/browser/package-lock.json), python3, nginx (serve.sh installs it).
# Env: GLANEUR_BIN (a glaneur binary to use instead of a release build), GLANEUR_SHARED (default ../shared), GLANEUR_BROWSER_PORT (default 18291; the server
# uses the next port), SCREENSHOT_DIR (default /tmp/glaneur-screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
ARTICLES=${1:-120}
SHARED=${GLANEUR_SHARED:-../shared}
SITE_PORT=${GLANEUR_BROWSER_PORT:-18291}
SERVE_PORT=$((SITE_PORT + 1))
SHOTS=${SCREENSHOT_DIR:-/tmp/glaneur-screenshots}
WORK=$(mktemp -d /tmp/glaneur-browser.XXXXXX)
LOG=/tmp/glaneur-nginx-$SITE_PORT/access.log
serve_pid=
cleanup() {
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
    "$SHARED/testsite/serve.sh" --stop "$SITE_PORT" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [ ! -x /usr/bin/chromium ]; then
    echo "chromium missing: installing it with apt-get" >&2
    timeout 900 apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium >&2
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

if [ -n "${GLANEUR_BIN:-}" ]; then
    BIN=$GLANEUR_BIN
else
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi

python3 "$SHARED/testsite/generate.py" --articles "$ARTICLES" --out "$WORK/site" \
    --base-url "http://127.0.0.1:$SITE_PORT" >/dev/null
python3 scripts/serve_check.py expect "$WORK/site" >"$WORK/expect.json"
page=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$WORK/expect.json")
sed -i 's#</body>#<script>document.body.setAttribute("data-pwned","yes");document.title="PWNED"</script></body>#' \
    "$WORK/site${page}index.html"
grep -q 'data-pwned' "$WORK/site${page}index.html"

echo "== crawl of a $ARTICLES-article site"
"$SHARED/testsite/serve.sh" "$WORK/site" "$SITE_PORT" >/dev/null 2>&1
cat >"$WORK/policy.toml" <<TOML
allow_private_networks = true
[default]
requests_per_second = 2000.0
burst = 50
max_concurrent = 8
TOML
"$BIN" crawl "http://127.0.0.1:$SITE_PORT/" --quiet --policy "$WORK/policy.toml" --archive "$WORK/archive"
sleep 1.5
: >"$LOG" # nginx flushes every second; from now on nothing may reach the site

echo "== glaneur serve"
URL="http://127.0.0.1:$SERVE_PORT"
"$BIN" serve --archive "$WORK/archive" --bind "127.0.0.1:$SERVE_PORT" --state "$WORK/state" \
    --refresh 0 2>"$WORK/serve.log" &
serve_pid=$!
python3 scripts/serve_check.py wait "$URL" || { echo "FAIL: glaneur serve not ready"; cat "$WORK/serve.log"; exit 1; }
python3 scripts/serve_check.py overview "$WORK/site" "$URL"

echo "== headless Chromium"
mkdir -p "$SHOTS"
GLANEUR_URL=$URL EXPECT_FILE=$WORK/expect.json SCREENSHOT_DIR=$SHOTS node tests/browser/serve.test.mjs
sleep 1.5
if [ -s "$LOG" ]; then
    echo "FAIL: the live site was contacted while the archive was browsed:"
    head -5 "$LOG"
    exit 1
fi
echo "browser-test: the live site received no request while the archive was browsed"
rm -rf "$WORK"
