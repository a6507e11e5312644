#!/usr/bin/env bash
# Speed of the reading commands on an archive: `index` (from scratch), `articles` in each
# format, `verify`. Each is timed RUNS times next to a baseline on the same WARC files,
# `zstd -d -c FILES > /dev/null` (decompression alone, one core). Reported: wall-clock and
# CPU (user + system) seconds, records/s, MB/s (compressed bytes) and rows/s on the wall
# clock, and the CPU time as a multiple of the baseline's CPU time in the same round: on
# a busy machine, wall-clock figures move with the load, CPU ratios much less.
#
# usage: scripts/bench-read.sh ARCHIVE [RUNS]     (default 3; needs a release build, zstd)
# The archive is left as found, except that `index` rebuilds index.cdxj and metadata.cdxj.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=${1:?usage: scripts/bench-read.sh ARCHIVE [RUNS]}
RUNS=${2:-3}
BIN=${GLANEUR_BIN:-$PWD/target/release/glaneur}
OUT=$(mktemp -d /tmp/glaneur-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

shopt -s nullglob
files=("$ARCHIVE"/*.warc.zst "$ARCHIVE"/*.warc.gz "$ARCHIVE"/*.warc)
[ ${#files[@]} -gt 0 ] || { echo "no WARC files in $ARCHIVE"; exit 1; }
bytes=$(cat "${files[@]}" | wc -c)
records=$("$BIN" stats "$ARCHIVE" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
rows=$("$BIN" articles --archive "$ARCHIVE" 2>/dev/null | wc -l)
echo "archive: ${#files[@]} file(s), $bytes bytes, $records records, $rows article rows; $RUNS runs"

secs() { # runs "$@", prints "wall cpu" seconds
    local TIMEFORMAT='%R %U %S' t
    t=$( { time "$@" >/dev/null 2>&1; } 2>&1 )
    set -- $t
    echo "$1 $(echo "$2 + $3" | bc -l)"
}
baseline() {
    for f in "${files[@]}"; do
        case "$f" in
            *.zst) zstd -q -d -c "$f" ;;
            *.gz) gzip -d -c "$f" ;;
            *) cat "$f" ;;
        esac
    done >/dev/null
}
index_fresh() {
    rm -f "$ARCHIVE/index.cdxj" "$ARCHIVE/metadata.cdxj" "$ARCHIVE/index.manifest.json"
    "$BIN" index "$ARCHIVE"
}

printf '%-9s %6s %6s %10s %7s %8s %10s\n' command wall cpu records/s MB/s rows/s cpu/zstd
for run in $(seq "$RUNS"); do
    for cmd in index jsonl csv parquet verify; do
        read -r _ base < <(secs baseline)
        case $cmd in
            index) read -r t cpu < <(secs index_fresh) ;;
            verify) read -r t cpu < <(secs "$BIN" verify "$ARCHIVE") ;;
            *) read -r t cpu < <(secs "$BIN" articles --archive "$ARCHIVE" --format "$cmd" --output "$OUT/a.$cmd") ;;
        esac
        r="-"
        case $cmd in jsonl | csv | parquet) r=$(echo "$rows / $t" | bc) ;; esac
        printf '%-9s %6.2f %6.2f %10.0f %7.1f %8s %9.2fx  (run %d, zstd -d cpu %.2fs)\n' \
            "$cmd" "$t" "$cpu" "$(echo "$records / $t" | bc -l)" "$(echo "$bytes / $t / 1000000" | bc -l)" \
            "$r" "$(echo "$cpu / $base" | bc -l)" "$run" "$base"
    done
done
ls -l "$OUT"
