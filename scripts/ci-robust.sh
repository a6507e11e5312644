#!/usr/bin/env bash
# Robustness acceptance (issue 16), on the release binary:
#   1. peak RSS < 300 MB: `serve` replaying a 1 GiB gzip bomb (three requests at once),
#      `get --body` on it, and verify/index/stats/articles/get on a 62 KB .warc.zst whose
#      one record has Content-Length: 2000000000;
#   2. `verify` on 40,000 crafted record headers (2.6 MB plain .warc) in < 3 s;
#   3. serve answers 421 to a foreign Host;
#   4. a crawl killed with SIGKILL, one byte flipped in its `.open` file: the next run keeps
#      every intact record, `verify` passes and `articles` lists every article once.
# Needs: python3, zstd, curl, bc, /usr/bin/time (GNU time). Env: GLANEUR_ROBUST_PORT
# (18431); GLANEUR_BIN (a glaneur binary to check instead of building the release one).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${GLANEUR_ROBUST_PORT:-18431}
SITE_PORT=$((PORT + 1))
WORK=$(mktemp -d /tmp/glaneur-robust.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -n "${GLANEUR_BIN:-}" ]; then
    BIN=$(realpath "$GLANEUR_BIN")
else
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
peak_mb() { awk '/Maximum resident/ {print int($6 / 1024)}' "$1"; }

python3 - <<'PY'
import os, zlib
d = zlib.compressobj(9, zlib.DEFLATED, 31)
body = b"".join(d.compress(b"\0" * (1 << 20)) for _ in range(1024)) + d.flush()
block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body) + body
os.makedirs("bomb")
open("bomb/bomb.warc", "wb").write(
    b"WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:11111111-1111-1111-1111-111111111111>\r\n"
    b"WARC-Date: 2026-12-01T10:00:00Z\r\nWARC-Target-URI: http://bomb.test/\r\n"
    b"Content-Type: application/http;msgtype=response\r\nContent-Length: %d\r\n\r\n" % len(block) + block + b"\r\n\r\n")
good = lambda b: b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n" % (len(b), b)
os.makedirs("crafted")
open("crafted/crafted.warc", "wb").write(good(b"first") + b"garbage\n"
    + b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 999999999999\r\n\r\nxx\n" * 40000 + good(b"last"))
PY
mkdir big
{ printf 'WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:22222222-2222-2222-2222-222222222222>\r\nWARC-Date: 2026-12-01T10:00:00Z\r\nWARC-Target-URI: http://big.test/\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: 2000000000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n'
  head -c $((2000000000 - 44)) /dev/zero; printf '\r\n\r\n'; } | zstd -3 -q -o big/big.warc.zst

echo "== peak RSS of read commands on a 2 GB Content-Length record"
for cmd in "verify big" "index big" "stats big" "articles --archive big" "get http://big.test/ --archive big --body"; do
    # shellcheck disable=SC2086
    /usr/bin/time -v "$BIN" $cmd >/dev/null 2>time.txt || true
    mb=$(peak_mb time.txt)
    echo "$cmd: ${mb} MB"
    [ "$mb" -lt 300 ] || fail "$cmd peaked at ${mb} MB"
done

echo "== verify on 40,000 crafted headers"
start=$(date +%s.%N)
"$BIN" verify crafted >/dev/null || true
secs=$(echo "$(date +%s.%N) - $start" | bc)
echo "verify: ${secs}s"
[ "$(echo "$secs < 3" | bc)" = 1 ] || fail "verify took ${secs}s"

echo "== gzip bomb: get --body and serve (three replays at once)"
"$BIN" index bomb >/dev/null 2>&1
/usr/bin/time -v "$BIN" get http://bomb.test/ --archive bomb --body >/dev/null 2>time.txt && fail "get --body inflated the bomb"
echo "get --body: $(peak_mb time.txt) MB"; [ "$(peak_mb time.txt)" -lt 300 ] || fail "get --body"
/usr/bin/time -v -o serve-time.txt "$BIN" serve --archive bomb --bind "127.0.0.1:$PORT" --state sstate --no-verify 2>serve.err &
timer=$!
PIDS+=("$timer")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/api/status" >/dev/null && break; sleep 0.2; done
replays=()
for _ in 1 2 3; do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/replay/2026/http://bomb.test/" &
    replays+=($!)
done
wait "${replays[@]}"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.test' "http://127.0.0.1:$PORT/api/status")
[ "$code" = 421 ] || fail "foreign Host answered $code"
kill -INT "$(pgrep -P "$timer")"
wait "$timer" || true
echo "serve, three bomb replays: $(peak_mb serve-time.txt) MB"
[ "$(peak_mb serve-time.txt)" -lt 300 ] || fail "serve"

echo "== kill -9, one flipped byte, resume"
python3 - <<'PY'
import os
os.makedirs("site/section"); os.makedirs("site/article")
page = lambda b: "<!doctype html><html><head><title>t</title></head><body>%s</body></html>" % b
open("site/index.html", "w").write(page("".join('<a href="/section/%d.html">s</a> ' % s for s in range(4))))
for s in range(4):
    open("site/section/%d.html" % s, "w").write(page("".join('<a href="/article/%d-%d.html">a</a> ' % (s, a) for a in range(25))))
    for a in range(25):
        text = "".join("<p>Paragraph %d of article %d in section %d, long enough to be text.</p>" % (p, a, s) for p in range(12))
        open("site/article/%d-%d.html" % (s, a), "w").write(page('<article><h1>Article %d-%d</h1><time datetime="2026-11-%02dT08:00:00Z">d</time>%s</article>' % (s, a, 1 + a % 28, text)))
open("site/robots.txt", "w").write("User-agent: *\nDisallow:\n")
PY
python3 -m http.server "$SITE_PORT" --bind 127.0.0.1 --directory site >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$SITE_PORT/" >/dev/null && break; sleep 0.2; done
printf 'allow_private_networks = true\n[default]\nrequests_per_second = 25\nburst = 2\nmax_concurrent = 2\nretries = 2\n' > policy.toml
printf 'name = "site"\nstart = ["http://127.0.0.1:%s/"]\narticle = '"'"'/article/\\d+-\\d+\\.html$'"'"'\n' "$SITE_PORT" > site.toml
"$BIN" crawl --seeds site.toml --policy policy.toml --archive out --quiet &
crawl=$!
sleep 3
kill -9 "$crawl"; wait "$crawl" 2>/dev/null || true
open=$(ls out/*.open | head -1)
before=$("$BIN" verify "$open" | grep -o '([0-9]* records)' | tr -dc 0-9)
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=0x40; open(p,'wb').write(b)" "$open"
"$BIN" crawl --seeds site.toml --policy policy.toml --archive out --quiet --json > run2.json
kept=$("$BIN" verify "${open%.open}" | grep -o '([0-9]* records)' | tr -dc 0-9)
echo "records in the damaged file: $before before, $kept kept"
[ "$kept" -ge $((before - 1)) ] || fail "intact records lost"
"$BIN" verify out >/dev/null || fail "verify after recovery"
rows=$("$BIN" articles --archive out | python3 -c "import sys, json; u=[json.loads(l)['url'] for l in sys.stdin]; print(len(u) if len(u) == len(set(u)) else -1)")
echo "articles: $rows of 100"
[ "$rows" = 100 ] || fail "articles after recovery: $rows"
echo "robustness checks passed"
