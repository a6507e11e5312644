#!/usr/bin/env bash
# CI: `glaneur profile new` on real WordPress sites (issue 19). Starts the fixture
# (scripts/wordpress/wp-fixture.sh: a block-theme and a classic-theme site from Debian's
# packages, on loopback), writes a profile of each site with `profile new`, crawls each
# site with the generated profile and with the hand-written one of
# tests/fixtures/wordpress/, exports the articles and scores both against the truth read
# back from WordPress (scripts/wordpress/score.py). Fails unless every field of the
# generated profile reaches the hand-written profile's figure minus one point, with zero
# duplicate articles; then checks that `profile check` finds the generated profiles
# healthy (exit 0).
#
# usage: scripts/ci-profile.sh
# Env:
#   GLANEUR_WP_PORT       port of the fixture's nginx (default 18381)
#   GLANEUR_WP_POSTS      posts per site (default 60)
#   GLANEUR_PROFILE_RATE  requests per second of `profile new` (default: the fixture
#                         policy's 500; e.g. 2 to watch the rate being kept)
#   GLANEUR_PROFILE_KEEP  a directory to keep the generated profiles, exports and figures
#   GLANEUR_WP_BIN        a glaneur binary to use instead of building the release one
# Needs: root or the Debian packages of the fixture installed, python3.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${GLANEUR_WP_PORT:-18381}
export WP_FIXTURE_POSTS=${GLANEUR_WP_POSTS:-60}
WORK=$(mktemp -d /tmp/glaneur-profile.XXXXXX)
chmod 755 "$WORK"
FX=$WORK/fixture

cleanup() {
    scripts/wordpress/wp-fixture.sh stop "$FX" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${GLANEUR_WP_BIN:-}" ]; then
    BIN=$(realpath "$GLANEUR_WP_BIN")
else
    cargo build --release --locked --quiet
    BIN=$PWD/target/release/glaneur
fi

t0=$SECONDS
scripts/wordpress/wp-fixture.sh start "$FX" "$PORT" >/dev/null
echo "fixture ready in $((SECONDS - t0)) s"

POLICY=tests/fixtures/wordpress/policy.toml
NEW_POLICY=$POLICY
if [ -n "${GLANEUR_PROFILE_RATE:-}" ]; then
    NEW_POLICY=$WORK/policy-new.toml
    sed -E "s/^requests_per_second = 500\.0/requests_per_second = $GLANEUR_PROFILE_RATE/; s/^burst = 20/burst = 1/" \
        "$POLICY" >"$NEW_POLICY"
fi

status=0
for name in bloc classique; do
    host=$name.wp.test
    sed "s/:18380/:$PORT/g" "tests/fixtures/wordpress/$name.toml" >"$WORK/hand-$name.toml"

    t0=$(date +%s.%N)
    "$BIN" profile new "http://$host:$PORT/" --out "$WORK/auto-$name.toml" \
        --policy "$NEW_POLICY" --resolve "$host=127.0.0.1" 2>"$WORK/new-$name.log"
    t1=$(date +%s.%N)
    grep '^.*wrote ' "$WORK/new-$name.log" || true
    python3 -c "print('profile new, $name: %.1f s wall clock' % ($t1 - $t0))"
    echo "--- generated profile of $host:"
    grep -v '^#' "$WORK/auto-$name.toml" | grep -v '^$'

    for kind in hand auto; do
        "$BIN" crawl --quiet --seeds "$WORK/$kind-$name.toml" --policy "$POLICY" \
            --archive "$WORK/$kind-$name" --resolve "$host=127.0.0.1"
        "$BIN" articles --archive "$WORK/$kind-$name" --format jsonl \
            --output "$WORK/$kind-$name.jsonl"
    done

    echo
    python3 scripts/wordpress/score.py --truth-dir "$FX/$name" --site "$host" \
        --run hand-written "$WORK/hand-$name.jsonl" - \
        --run generated "$WORK/auto-$name.jsonl" - \
        --json "$WORK/figures-$name.json" \
        --max generated:duplicates=0 || status=1
    # Every field of the generated profile: at least the hand-written figure minus a point.
    python3 - "$WORK/figures-$name.json" <<'EOF' || status=1
import json, sys
runs = json.load(open(sys.argv[1], encoding="utf-8"))["runs"]
hand, auto = runs["hand-written"], runs["generated"]
bad = [f"{k}: generated {auto[k]:.3f} < hand-written {hand[k]:.3f} - 0.01"
       for k in ("title", "published", "modified", "category", "author", "body_f1", "once")
       if auto[k] is None or auto[k] < hand[k] - 0.01]
for b in bad:
    print("FAIL", b)
sys.exit(1 if bad else 0)
EOF

    if "$BIN" profile check "$WORK/auto-$name.toml" --policy "$POLICY" \
        --resolve "$host=127.0.0.1" >"$WORK/check-$name.txt"; then
        echo "profile check, $name: healthy"
    else
        echo "FAIL profile check, $name:"; cat "$WORK/check-$name.txt"; status=1
    fi
done

if [ -n "${GLANEUR_PROFILE_KEEP:-}" ]; then
    mkdir -p "$GLANEUR_PROFILE_KEEP"
    cp "$WORK"/*.toml "$WORK"/*.jsonl "$WORK"/*.log "$WORK"/figures-*.json "$GLANEUR_PROFILE_KEEP/"
fi
[ "$status" -eq 0 ] && echo "ci-profile: all bounds met" || echo "ci-profile: some bounds not met"
exit "$status"
