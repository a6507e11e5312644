#!/usr/bin/env bash
# CI: glaneur on real WordPress sites (issue 15). Starts the fixture
# (scripts/wordpress/wp-fixture.sh: a block-theme and a classic-theme site from Debian's
# packages, on loopback, and four smaller variants with the stock themes and the other
# permalink settings), crawls each site with no profile (and bloc and classique also with
# the hand-written profile of tests/fixtures/wordpress/), deletes 3 posts per site, crawls again (the same
# command: an incremental run), exports the articles and scores them against the truth
# read back from WordPress (scripts/wordpress/score.py; `modified` is measured against
# WordPress's own post_modified, which the stock themes do not print: glaneur reads it from
# each post's REST JSON, archived with the page). Prints one table per site, and fails when
# a figure is under its bound.
#
# usage: scripts/ci-wordpress.sh
# Env:
#   GLANEUR_WP_PORT   port of the fixture's nginx (default 18380)
#   GLANEUR_WP_POSTS  posts of bloc and classique (default 100)
#   GLANEUR_WP_VARIANT_POSTS  posts of each of the four variants (default 20; any count >= 1:
#                     min(3, posts) are deleted, picked among all posts when fewer
#                     than that have comments)
#   GLANEUR_WP_KEEP   set to a directory to keep the fixture's truth, exports and figures
#   GLANEUR_WP_BIN    a glaneur binary to use instead of building the release one
#   Bounds of the no-profile path (issue 15's acceptance figures by default; set one to
#   0, or to a large value for the *_MAX ones, to only print that figure):
#   WP_NOPROFILE_TITLE (1.0), WP_NOPROFILE_PUBLISHED (1.0), WP_NOPROFILE_MODIFIED (0.95),
#   WP_NOPROFILE_CATEGORY (0.95), WP_NOPROFILE_AUTHOR (0.95), WP_NOPROFILE_BODY_F1 (0.99),
#   WP_NOPROFILE_ONCE (1.0), WP_NOPROFILE_DUPLICATES_MAX (0),
#   WP_NOPROFILE_DELETED_CURRENT_MAX (0), WP_NOPROFILE_FALSE_ARTICLES_MAX (0: rows that
#   are no post: listings, archives, attachment and static pages, page 2 of a post…)
#   The profile path's bounds are what the code reached when this script was written.
# Needs: root or the Debian packages of the fixture installed, python3, a release build
# (built here with cargo).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${GLANEUR_WP_PORT:-18380}
export WP_FIXTURE_POSTS=${GLANEUR_WP_POSTS:-100}
export WP_FIXTURE_VARIANT_POSTS=${GLANEUR_WP_VARIANT_POSTS:-20}
WORK=$(mktemp -d /tmp/glaneur-wp.XXXXXX)
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

SITES=$(cat "$FX/sites")
PROFILED="bloc:twentytwentythree classique:twentytwentyone"   # the sites with a profile
mkdir -p "$WORK/profiles"
for site in $PROFILED; do
    name=${site%%:*}
    sed "s/:18380/:$PORT/g" "tests/fixtures/wordpress/$name.toml" >"$WORK/profiles/$name.toml"
done

# crawl MODE NAME: one crawl (first or incremental) of one site into its own archive.
crawl() {
    local mode=$1 name=$2 host=$2.wp.test
    local args=(--quiet --policy tests/fixtures/wordpress/policy.toml
        --archive "$WORK/$mode-$name" --resolve "$host=127.0.0.1")
    if [ "$mode" = profile ]; then
        "$BIN" crawl --seeds "$WORK/profiles/$name.toml" "${args[@]}"
    else
        "$BIN" crawl "http://$host:$PORT/" "${args[@]}"
    fi
}

export_articles() {  # export_articles MODE NAME OUT
    "$BIN" articles --archive "$WORK/$1-$2" --format jsonl --output "$3"
}

for phase in first after; do
    if [ "$phase" = after ]; then
        scripts/wordpress/wp-fixture.sh delete "$FX" 3
    fi
    for site in $SITES; do
        name=${site%%:*}
        modes=noprofile
        [[ " $PROFILED " == *" $site "* ]] && modes="noprofile profile"
        for mode in $modes; do
            t0=$SECONDS
            crawl "$mode" "$name"
            export_articles "$mode" "$name" "$WORK/$mode-$name-$phase.jsonl"
            echo "crawl $phase, $name, $mode: $((SECONDS - t0)) s, $(wc -l <"$WORK/$mode-$name-$phase.jsonl") articles exported"
        done
    done
done

np() { echo "no profile:$1=$2"; }
permalinks_of() {
    case $1 in
        simple) echo "plain /?p=N" ;;
        numero) echo "numeric /archives/N" ;;
        mois) echo "month and name" ;;
        nom) echo "post name" ;;
        *) echo "day and name" ;;
    esac
}
status=0
for site in $SITES; do
    name=${site%%:*}
    theme=${site#*:}
    echo
    # Profile bounds: what the code reached with the profiles when this script was written.
    profiled=()
    if [[ " $PROFILED " == *" $site "* ]]; then
        profiled=(--run profile "$WORK/profile-$name-first.jsonl" "$WORK/profile-$name-after.jsonl"
            --min profile:title=1.0 --min profile:published=1.0 --min profile:modified=1.0
            --min profile:category=1.0 --min profile:author=1.0 --min profile:body_f1=0.99
            --min profile:once=1.0 --max profile:duplicates=0 --min profile:once_after=1.0)
    fi
    python3 scripts/wordpress/score.py --truth-dir "$FX/$name" \
        --site "$name.wp.test ($theme, $(permalinks_of "$name"))" \
        --run "no profile" "$WORK/noprofile-$name-first.jsonl" "$WORK/noprofile-$name-after.jsonl" \
        "${profiled[@]}" --json "$WORK/figures-$name.json" \
        --min "$(np title "${WP_NOPROFILE_TITLE:-1.0}")" \
        --min "$(np published "${WP_NOPROFILE_PUBLISHED:-1.0}")" \
        --min "$(np modified "${WP_NOPROFILE_MODIFIED:-0.95}")" \
        --min "$(np category "${WP_NOPROFILE_CATEGORY:-0.95}")" \
        --min "$(np author "${WP_NOPROFILE_AUTHOR:-0.95}")" \
        --min "$(np body_f1 "${WP_NOPROFILE_BODY_F1:-0.99}")" \
        --min "$(np once "${WP_NOPROFILE_ONCE:-1.0}")" \
        --max "$(np duplicates "${WP_NOPROFILE_DUPLICATES_MAX:-0}")" \
        --max "$(np deleted_current "${WP_NOPROFILE_DELETED_CURRENT_MAX:-0}")" \
        --max "$(np other_rows "${WP_NOPROFILE_FALSE_ARTICLES_MAX:-0}")" \
        || status=1
done

if [ -n "${GLANEUR_WP_KEEP:-}" ]; then
    mkdir -p "$GLANEUR_WP_KEEP"
    cp "$WORK"/*.jsonl "$WORK"/figures-*.json "$GLANEUR_WP_KEEP/"
    for site in $SITES; do
        name=${site%%:*}
        mkdir -p "$GLANEUR_WP_KEEP/$name"
        cp "$FX/$name"/*.jsonl "$GLANEUR_WP_KEEP/$name/"
    done
fi
[ "$status" -eq 0 ] && echo "ci-wordpress: all bounds met" || echo "ci-wordpress: some bounds not met"
exit "$status"
