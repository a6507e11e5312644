#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for tests, CI and benchmarks.
#
#   scripts/pg-throwaway.sh start DIR [--watch PID]   prints the cluster's URL on stdout
#   scripts/pg-throwaway.sh stop DIR                  stops it and removes DIR
#
# DIR must not exist (it is created). The cluster listens on 127.0.0.1 on a free port,
# with trust authentication for the `postgres` superuser, fsync off (data is throwaway).
# initdb refuses to run as root: as root, the server runs as the `postgres` user if there
# is one, else `nobody`, and DIR is given to that user. With --watch PID, a watchdog stops
# the cluster and removes DIR once process PID has exited (test processes use it).
# The server binaries are looked up on PATH, then in /usr/lib/postgresql/*/bin.
set -euo pipefail

die() { echo "pg-throwaway: $*" >&2; exit 1; }

find_bin() {
    local name=$1 found
    if found=$(command -v "$name" 2>/dev/null); then
        echo "$found"
        return
    fi
    found=$(ls -1 /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -1 || true)
    [ -n "$found" ] || die "$name not found (install the PostgreSQL server)"
    echo "$found"
}

# Runs a command as the cluster's owner (root cannot run the server).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$OWNER" -- "$@"
    else
        "$@"
    fi
}

owner() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
    elif id postgres >/dev/null 2>&1; then
        echo postgres
    else
        echo nobody
    fi
}

free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

start() {
    local dir=$1 watch=${2:-}
    [ -e "$dir" ] && die "$dir already exists"
    local initdb pg_ctl
    initdb=$(find_bin initdb)
    pg_ctl=$(find_bin pg_ctl)
    OWNER=$(owner)
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$OWNER" "$dir"
        runuser -u "$OWNER" -- test -w "$dir" \
            || { rmdir "$dir"; die "$OWNER cannot reach $dir: put it under a directory $OWNER can traverse (e.g. /tmp)"; }
    fi
    as_owner "$initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    local port started=""
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null 2>&1; then
            started=yes
            break
        fi
    done
    [ -n "$started" ] || { tail -20 "$dir/server.log" >&2 || true; die "the server did not start"; }
    echo "$OWNER $pg_ctl" >"$dir/owner"
    if [ -n "$watch" ]; then
        local self
        self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
        # Detached, stdio closed: the caller reading our stdout is not kept waiting.
        nohup setsid bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; '$self' stop '$dir'" \
            </dev/null >/dev/null 2>&1 &
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
    local dir=$1
    [ -f "$dir/owner" ] || { rm -rf "$dir"; return; }
    read -r OWNER pg_ctl <"$dir/owner"
    as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start)
        [ $# -ge 2 ] || die "usage: $0 start DIR [--watch PID]"
        if [ "${3:-}" = "--watch" ]; then
            start "$2" "${4:?--watch needs a PID}"
        else
            start "$2"
        fi
        ;;
    stop)
        [ $# -ge 2 ] || die "usage: $0 stop DIR"
        stop "$2"
        ;;
    *)
        die "usage: $0 start DIR [--watch PID] | stop DIR"
        ;;
esac
