#!/usr/bin/env bash
# Saves a sample of a running fixture's rendered pages (as fetched with curl) for
# extraction tests: 10 posts per site (two categories, modified and not, with comments),
# a ?replytocom= page, a category page, a tag page, an author page and the home page,
# with an index (index.tsv: file, URL) and the truth rows of the saved posts.
#
# usage: scripts/wordpress/save-pages.sh FIXTURE_DIR OUT_DIR
# OUT_DIR/<theme>/ is created for each site (twentytwentythree, twentytwentyone).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 FIXTURE_DIR OUT_DIR" >&2; exit 2; }
FX=$1 OUT=$2
PORT=$(cat "$FX/port")
for site in bloc:twentytwentythree classique:twentytwentyone; do
    name=${site%%:*} theme=${site#*:}
    dir=$OUT/$theme
    mkdir -p "$dir"
    : >"$dir/index.tsv"
    python3 - "$FX/$name/truth.jsonl" "$dir/truth.jsonl" >"$dir/urls.tmp" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
two = [r for r in rows if len(r["categories"]) > 1]
mod = [r for r in rows if r["modified"] != r["published"] and r["comments"] > 2]
same = [r for r in rows if r["modified"] == r["published"]]
chosen = []
for r in two[:3] + mod[:4] + same[:2] + rows[len(rows) // 2:]:
    if r not in chosen:
        chosen.append(r)
    if len(chosen) == 10:
        break
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for r in chosen:
        out.write(json.dumps(r, ensure_ascii=False) + "\n")
for i, r in enumerate(chosen, 1):
    print(f"post-{i:02d}.html\t{r['url']}")
PY
    base="http://$name.wp.test:$PORT"
    # The real comment id of a reply link on the first modified post with comments.
    first_mod=$(sed -n 4p "$dir/urls.tmp" | cut -f2)
    reply=$(curl -s --resolve "$name.wp.test:$PORT:127.0.0.1" "$first_mod" \
        | grep -o "href='[^']*replytocom=[0-9]*" | head -1 | sed "s/^href='//" || true)
    cat_url=$(curl -s --resolve "$name.wp.test:$PORT:127.0.0.1" "$first_mod" \
        | grep -o 'href="[^"]*/category/[^"]*"' | head -1 | sed 's/^href="//; s/"$//' || true)
    tag_url=$(cut -f2 "$dir/urls.tmp" | head -10 | xargs curl -s --resolve "$name.wp.test:$PORT:127.0.0.1" \
        | grep -o 'href="[^"]*/tag/[^"]*"' | head -1 | sed 's/^href="//; s/"$//' || true)
    author_url=$(curl -s --resolve "$name.wp.test:$PORT:127.0.0.1" "$first_mod" \
        | grep -o 'href="[^"]*/author/[^"]*"' | head -1 | sed 's/^href="//; s/"$//' || true)
    {
        grep '^post-' "$dir/urls.tmp"
        printf 'replytocom.html\t%s\n' "$reply"
        printf 'category.html\t%s\n' "$cat_url"
        [ -n "$tag_url" ] && printf 'tag.html\t%s\n' "$tag_url"
        [ -n "$author_url" ] && printf 'author.html\t%s\n' "$author_url"
        printf 'home.html\t%s/\n' "$base"
    } >"$dir/index.tsv"
    rm "$dir/urls.tmp"
    while IFS=$'\t' read -r file url; do
        [ -n "$url" ] || continue
        curl -sf --resolve "$name.wp.test:$PORT:127.0.0.1" "$url" -o "$dir/$file" \
            || echo "save-pages: $url failed" >&2
    done <"$dir/index.tsv"
    echo "$dir: $(ls "$dir"/*.html | wc -l) pages"
done
