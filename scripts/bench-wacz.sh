#!/usr/bin/env bash
# Speed and peak memory of `glaneur wacz` and `glaneur convert` on an archive folder, with
# `zstd -d` of the same files (their dictionary extracted first) as the baseline, in one run.
# MB/s are of input: the .warc.zst files as on disk, and (in brackets) the records'
# decompressed bytes.
#
# usage: scripts/bench-wacz.sh ARCHIVE_DIR
# Needs: a release build (GLANEUR_BIN to use another binary), zstd, python3, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=$(cd "$1" && pwd)
BIN=${GLANEUR_BIN:-$PWD/target/release/glaneur}
WORK=$(mktemp -d /tmp/glaneur-bench-wacz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

input=$(cat "$ARCHIVE"/*.warc.zst | wc -c)
raw=0
for f in "$ARCHIVE"/*.warc.zst; do
    python3 - "$f" "$WORK/dict-$(basename "$f")" <<'PY'
import struct, subprocess, sys
data = open(sys.argv[1], "rb").read(8)
magic, size = struct.unpack("<II", data)
if magic == 0x184D2A5D:
    with open(sys.argv[1], "rb") as f:
        f.seek(8)
        frame = f.read(size)
    out = subprocess.run(["zstd", "-d", "-c"], input=frame, capture_output=True, check=True).stdout if frame[:4] == b"\x28\xb5\x2f\xfd" else frame
    open(sys.argv[2], "wb").write(out)
PY
done

measure() {  # name, then the command
    local name=$1; shift
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
    read -r secs rss <"$WORK/time"
    python3 -c "import sys; s=max(float(sys.argv[2]),1e-3); print(f'| {sys.argv[1]:<28} | {s:6.2f} s | {int(sys.argv[3])/s/1e6:7.1f} MB/s ({int(sys.argv[4])/s/1e6:6.1f}) | {int(sys.argv[5])/1024:6.1f} MiB |')" \
        "$name" "$secs" "$input" "$raw" "$rss"
}

zstd_all() {
    for f in "$ARCHIVE"/*.warc.zst; do
        d="$WORK/dict-$(basename "$f")"
        if [ -f "$d" ]; then zstd -q -d -c -D "$d" "$f"; else zstd -q -d -c "$f"; fi
    done >"$WORK/raw.warc"
}
export -f zstd_all
export ARCHIVE WORK
raw_measure() { bash -c zstd_all; }
raw_measure
raw=$(wc -c <"$WORK/raw.warc")
rm "$WORK/raw.warc"
echo "input: $input bytes of .warc.zst, $raw bytes of records; $(nproc) cores"
echo "| step | time | input rate (decompressed) | peak RSS |"
echo "|---|---|---|---|"
measure "zstd -d (baseline)" bash -c 'zstd_all; rm "$WORK/raw.warc"'
measure "glaneur wacz" "$BIN" wacz "$ARCHIVE" --output "$WORK/a.wacz"
measure "glaneur convert --to gzip" "$BIN" convert "$ARCHIVE" --to gzip --output "$WORK/gz"
measure "glaneur convert --to zstd" "$BIN" convert "$ARCHIVE" --to zstd --output "$WORK/zst"
echo "sizes: wacz $(wc -c <"$WORK/a.wacz"), gzip $(cat "$WORK"/gz/* | wc -c), zstd $(cat "$WORK"/zst/* | wc -c) bytes"
