#!/usr/bin/env bash
# Memory and time of `glaneur index` rebuilding the index of a large archive (issue 21:
# the end-of-run index update must not grow with the archive). Writes a synthetic folder
# (scripts/bench_index_archive.py: FILES x PAGES pages, two records each), then runs each
# binary given, one after the other, ROUNDS times, under /usr/bin/time, and checks that
# every binary writes the same index.
#
# usage: scripts/bench-index.sh [BIN ...]   (default: target/release/glaneur)
# Env: FILES (default 4), PAGES (default 250000), ROUNDS (default 2), WORK (default a
# temporary folder, removed at the end).
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${FILES:-4}
PAGES=${PAGES:-250000}
ROUNDS=${ROUNDS:-2}
WORK=${WORK:-$(mktemp -d /tmp/glaneur-bench-index.XXXXXX)}
trap 'rm -rf "$WORK"' EXIT
[ $# -gt 0 ] || set -- target/release/glaneur
python3 scripts/bench_index_archive.py "$WORK/archive" "$FILES" "$PAGES"
echo "archive: $FILES files x $PAGES pages, $(du -sh "$WORK/archive" | cut -f1)"
for round in $(seq "$ROUNDS"); do
    for bin in "$@"; do
        rm -f "$WORK"/archive/index.* "$WORK"/archive/metadata.*
        /usr/bin/time -o "$WORK/time" \
            -f "round $round  $bin: %e s wall, %U s user, %S s sys, %M KiB peak RSS" \
            "$bin" index "$WORK/archive" >/dev/null 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
        cat "$WORK/time"
        sum=$(cat "$WORK/archive/index.cdxj" "$WORK/archive/metadata.cdxj" | sha1sum | cut -c1-12)
        echo "    index + metadata index: $(wc -l <"$WORK/archive/index.cdxj") lines, sha1 $sum"
    done
done
