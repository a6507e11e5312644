# Shared by the CI scripts that replay archives in pywb (ci-wacz.sh, ci-render.sh).
# Source it: `. scripts/lib/pywb.sh`. Functions only; nothing runs when sourced.

# venv_with VENV IMPORTS PIP_SPEC...: makes sure the Python venv VENV can import every
# module in IMPORTS (comma-separated, as in `import a, b`), installing PIP_SPECs with pip
# into a new venv when it cannot.
venv_with() {
    local venv=$1 imports=$2
    shift 2
    if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        echo "installing $* into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "$@"
    fi
}

# pywb_serve_wacz VENV DIR COLLECTION WACZ PORT [CONFIG_LINE]: makes a pywb collection
# COLLECTION in the new folder DIR from the package WACZ (`wb-manager add --unpack-wacz`),
# fails when pywb took no index from it (pywb adds nothing and still exits 0 when the
# package's index is of a kind it does not read), writes CONFIG_LINE as DIR/config.yaml if
# given, starts `wayback` on 127.0.0.1:PORT in the background and waits until it answers.
# Sets PYWB_PID (the caller kills it); the log is DIR.log.
pywb_serve_wacz() {
    local venv=$1 dir=$2 coll=$3 wacz=$4 port=$5 config=${6:-}
    mkdir "$dir"
    (cd "$dir" && "$venv/bin/wb-manager" init "$coll" >/dev/null \
        && "$venv/bin/wb-manager" add --unpack-wacz "$coll" "$wacz" >/dev/null)
    if ! ls "$dir/collections/$coll/indexes/" | grep -q .; then
        echo "FAIL: pywb added no index from $wacz"
        return 1
    fi
    if [ -n "$config" ]; then echo "$config" >"$dir/config.yaml"; fi
    (cd "$dir" && exec "$venv/bin/wayback" -b 127.0.0.1 -p "$port" >"$dir.log" 2>&1) &
    PYWB_PID=$!
    local _
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "FAIL: pywb did not answer on port $port (log: $dir.log)"
    return 1
}
