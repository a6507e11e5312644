#!/usr/bin/env bash
# Real WordPress sites on loopback, for the real-CMS fixtures (issue 15): Debian's
# `wordpress` package served by nginx and php-fpm, with a MariaDB server, all started by
# this script as unprivileged processes with their files in DIR (no systemd, no /etc).
#
#   scripts/wordpress/wp-fixture.sh start DIR [PORT]   creates DIR, starts, installs, fills
#   scripts/wordpress/wp-fixture.sh delete DIR [N]     deletes N posts (default 3) for good
#   scripts/wordpress/wp-fixture.sh truth DIR          rewrites DIR/<site>/truth.jsonl
#   scripts/wordpress/wp-fixture.sh stop DIR           stops the servers and removes DIR
#
# Two sites, one per theme shipped by Debian 12's wordpress-theme-* packages:
#   bloc.wp.test       Twenty Twenty-Three (block theme); its post-meta template part is
#                      customised as a site editor would ("Publié le … dans … par …",
#                      "Mis à jour le" + the post-date block showing the modified date)
#   classique.wp.test  Twenty Twenty-One (classic theme) through a small child theme that
#                      adds the hAtom modified date (<time class="updated">, "Mis à jour le")
# both with pretty permalinks /%year%/%monthnum%/%day%/%postname%/; and four smaller
# variants with the stock themes and the other permalink settings, as installs at large
# have them (the stock themes print no modified date):
#   simple.wp.test     Twenty Twenty-Two, plain permalinks /?p=123 (WordPress's default)
#   numero.wp.test     Twenty Twenty-One, numeric /archives/123, the stock widgets
#                      (archives, calendar, categories, recent comments, tag cloud, search)
#   mois.wp.test       Twenty Twenty-Three, month and name /2024/03/slug/
#   nom.wp.test        Twenty Twenty-Two, post name /slug/
# The variants also have paged comments (two threads a page), sticky posts, multi-page
# posts (<!--nextpage-->), posts without a category, child categories, posts updated
# several times, and images linked to their attachment page (see setup.php).
# All in French (site language fr_FR from wordpress-l10n; the themes have no French
# translation in Debian, so theme labels left stock stay English), no SEO plugin.
# Content is written through WordPress's PHP API (wp_insert_post, wp_insert_comment, …),
# deterministic for a seed. The truth, read back from WordPress, is
# DIR/<site>/truth.jsonl (see docs/fixtures.md).
#
# Env: WP_FIXTURE_POSTS (posts of bloc and classique, default 150),
# WP_FIXTURE_VARIANT_POSTS (posts of each variant, default 30), WP_FIXTURE_SEED (default
# 15), WP_FIXTURE_SITES (names of the sites to start, default all).
# DIR must not exist and must be reachable by the unprivileged user (e.g. under /tmp).
# As root, missing Debian packages are installed with apt-get, and the servers run as
# www-data; otherwise as the calling user. Crawl with --resolve HOST=127.0.0.1 and
# URLs http://HOST:PORT/ (PORT is printed by start and kept in DIR/port).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ALL_SITES="bloc:twentytwentythree classique:twentytwentyone simple:twentytwentytwo \
numero:twentytwentyone mois:twentytwentythree nom:twentytwentytwo"
# select_sites NAMES...: SITES becomes the sites named (all when none is).
select_sites() {
    SITES=""
    local site
    for site in $ALL_SITES; do
        if [ $# -eq 0 ] || [[ " $* " == *" ${site%%:*} "* ]]; then SITES+="$site "; fi
    done
    [ -n "$SITES" ] || die "no such site: $*"
}
PACKAGES="wordpress wordpress-l10n wordpress-theme-twentytwentythree \
wordpress-theme-twentytwentyone wordpress-theme-twentytwentytwo mariadb-server php-fpm php-cli php-mysql php-xml php-mbstring nginx"
WP_SRC=/usr/share/wordpress

die() { echo "wp-fixture: $*" >&2; exit 1; }
log() { echo "wp-fixture: $*" >&2; }

install_packages() {
    local missing=()
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root once, or apt-get install them)"
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null; } \
        || die "apt-get install ${missing[*]} failed"
}

owner() { if [ "$(id -u)" -eq 0 ]; then echo www-data; else id -un; fi; }

# Runs a command as the owner of the servers (root never runs them).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
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

php_fpm_bin() {
    local found
    found=$(command -v php-fpm 2>/dev/null || ls -1 /usr/sbin/php-fpm* 2>/dev/null | sort -V | tail -1 || true)
    [ -n "$found" ] || die "php-fpm not found"
    echo "$found"
}

wait_for() {  # wait_for WHAT TEST...
    local what=$1; shift
    for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
    die "$what did not come up"
}

start_mariadb() {
    local dir=$1
    as_owner mariadb-install-db --no-defaults --datadir="$dir/mysql" \
        --auth-root-authentication-method=normal --skip-test-db >"$dir/log/mariadb-install.log" 2>&1 \
        || { tail -20 "$dir/log/mariadb-install.log" >&2; die "mariadb-install-db failed"; }
    # Detached, stdio closed: the caller reading our output is not kept waiting.
    as_owner setsid mariadbd --no-defaults --datadir="$dir/mysql" --socket="$dir/mysql.sock" \
        --pid-file="$dir/run/mariadb.pid" --skip-networking --log-error="$dir/log/mariadb.log" \
        --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=64M \
        --skip-log-bin --character-set-server=utf8mb4 </dev/null >/dev/null 2>&1 &
    wait_for "mariadbd" test -S "$dir/mysql.sock"
    wait_for "mariadbd" as_owner mariadb --no-defaults -S "$dir/mysql.sock" -u root -e 'SELECT 1' >/dev/null 2>&1
    for site in $SITES; do
        as_owner mariadb --no-defaults -S "$dir/mysql.sock" -u root \
            -e "CREATE DATABASE wp_${site%%:*} CHARACTER SET utf8mb4"
    done
}

start_php_fpm() {
    local dir=$1
    cat >"$dir/conf/php-fpm.conf" <<EOF
[global]
pid = $dir/run/php-fpm.pid
error_log = $dir/log/php-fpm.log
daemonize = no

[wp]
listen = $dir/run/php-fpm.sock
pm = static
pm.max_children = 4
catch_workers_output = yes
php_admin_value[error_log] = $dir/log/php-errors.log
php_admin_value[memory_limit] = 256M
EOF
    as_owner setsid "$(php_fpm_bin)" --nodaemonize --fpm-config "$dir/conf/php-fpm.conf" \
        </dev/null >"$dir/log/php-fpm.out" 2>&1 &
    wait_for "php-fpm" test -S "$dir/run/php-fpm.sock"
}

start_nginx() {
    local dir=$1 port=$2 servers="" site name
    for site in $SITES; do
        name=${site%%:*}
        servers+="
    server {
        listen 127.0.0.1:$port;
        server_name $name.wp.test;
        root $dir/$name/www;
        index index.php;
        location / { try_files \$uri \$uri/ /index.php?\$args; }
        location ~ \\.php\$ {
            try_files \$uri =404;
            include /etc/nginx/fastcgi_params;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            # Debian's fastcgi_params passes \$host, without the port: WordPress would
            # redirect every page to itself.
            fastcgi_param HTTP_HOST \$http_host;
            fastcgi_pass unix:$dir/run/php-fpm.sock;
        }
    }"
    done
    cat >"$dir/conf/nginx.conf" <<EOF
worker_processes 1;
pid $dir/run/nginx.pid;
error_log $dir/log/nginx-error.log;
daemon off;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    access_log $dir/log/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port default_server;
        return 404;
    }$servers
}
EOF
    as_owner setsid nginx -e "$dir/log/nginx-error.log" -c "$dir/conf/nginx.conf" \
        </dev/null >"$dir/log/nginx.out" 2>&1 &
    wait_for "nginx" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
}

# A WordPress document root of our own: the package's top-level PHP files copied (so that
# ABSPATH is ours and our wp-config.php is read), wp-admin and wp-includes linked, and a
# wp-content with the package's themes and translations linked.
make_docroot() {
    local dir=$1 name=$2 port=$3 www=$1/$2/www
    mkdir -p "$www/wp-content/themes" "$www/wp-content/uploads" "$www/wp-content/plugins"
    find "$WP_SRC" -maxdepth 1 -type f -name '*.php' ! -name wp-config.php -exec cp {} "$www/" \;
    ln -s "$WP_SRC/wp-admin" "$www/wp-admin"
    ln -s "$WP_SRC/wp-includes" "$www/wp-includes"
    ln -s "$WP_SRC/wp-content/languages" "$www/wp-content/languages"
    local t
    for t in "$WP_SRC"/wp-content/themes/*; do ln -s "$t" "$www/wp-content/themes/"; done
    cp -r "$HERE/child-theme" "$www/wp-content/themes/twentytwentyone-glaneur"
    cat >"$www/wp-config.php" <<EOF
<?php
// Generated by scripts/wordpress/wp-fixture.sh: a throwaway fixture site.
define('DB_NAME', 'wp_$name');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:$dir/mysql.sock');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('WP_HOME', 'http://$name.wp.test:$port');
define('WP_SITEURL', 'http://$name.wp.test:$port');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('WP_CONTENT_URL', 'http://$name.wp.test:$port/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
foreach (['AUTH_KEY','SECURE_AUTH_KEY','LOGGED_IN_KEY','NONCE_KEY','AUTH_SALT',
          'SECURE_AUTH_SALT','LOGGED_IN_SALT','NONCE_SALT'] as \$k) {
    define(\$k, 'glaneur-fixture-' . \$k);
}
\$table_prefix = 'wp_';
if (!defined('ABSPATH')) { define('ABSPATH', __DIR__ . '/'); }
require_once ABSPATH . 'wp-settings.php';
EOF
}

wp_php() {  # wp_php DIR SITE SCRIPT ARGS...: runs one of our PHP scripts in a site
    local dir=$1 name=$2 script=$3; shift 3
    as_owner env WP_FIXTURE_ROOT="$dir/$name/www" php -d memory_limit=512M \
        "$HERE/php/$script" "$@"
}

posts_of() {  # the variants are smaller: they are there for their settings
    case $1 in
        bloc|classique) echo "${WP_FIXTURE_POSTS:-150}" ;;
        *) echo "${WP_FIXTURE_VARIANT_POSTS:-30}" ;;
    esac
}

start() {
    local dir=$1 port=${2:-}
    [ -e "$dir" ] && die "$dir already exists"
    install_packages
    OWNER=$(owner)
    [ -n "$port" ] || port=$(free_port)
    # shellcheck disable=SC2086
    select_sites ${WP_FIXTURE_SITES:-}
    mkdir -p "$dir"/{conf,log,run,tmp}
    dir=$(cd "$dir" && pwd)
    echo "$OWNER" >"$dir/owner"
    echo "$port" >"$dir/port"
    local site name theme
    for site in $SITES; do make_docroot "$dir" "${site%%:*}" "$port"; done
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$OWNER" "$dir"
        runuser -u "$OWNER" -- test -w "$dir" \
            || { rm -rf "$dir"; die "$OWNER cannot reach $dir: put it under a directory $OWNER can traverse (e.g. /tmp)"; }
    fi
    echo "$SITES" >"$dir/sites"
    local t0=$SECONDS
    start_mariadb "$dir"
    start_php_fpm "$dir"
    start_nginx "$dir" "$port"
    for site in $SITES; do
        name=${site%%:*}
        theme=${site#*:}
        wp_php "$dir" "$name" setup.php "$name" "$theme" "${WP_FIXTURE_SEED:-15}" \
            "$(posts_of "$name")" >"$dir/log/setup-$name.log" \
            || { tail -20 "$dir/log/setup-$name.log" >&2; die "setup of $name failed"; }
        wp_php "$dir" "$name" truth.php >"$dir/$name/truth.jsonl" \
            || die "truth of $name failed"
        log "$name.wp.test ($theme): $(wc -l <"$dir/$name/truth.jsonl") posts"
    done
    log "ready in $((SECONDS - t0)) s: http://<site>.wp.test:$port/ (--resolve HOST=127.0.0.1)"
    echo "$port"
}

delete_posts() {
    local dir=$1 count=${2:-3} site name
    SITES=$(cat "$dir/sites")
    OWNER=$(cat "$dir/owner")
    for site in $SITES; do
        name=${site%%:*}
        wp_php "$dir" "$name" delete.php "$count" >>"$dir/$name/deleted.jsonl"
        wp_php "$dir" "$name" truth.php >"$dir/$name/truth.jsonl"
        log "$name: $(wc -l <"$dir/$name/deleted.jsonl") posts deleted so far"
    done
}

truth() {
    local dir=$1 site name
    SITES=$(cat "$dir/sites")
    OWNER=$(cat "$dir/owner")
    for site in $SITES; do
        name=${site%%:*}
        wp_php "$dir" "$name" truth.php >"$dir/$name/truth.jsonl"
    done
}

stop_pidfile() {
    local file=$1 pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}

stop() {
    local dir=$1
    [ -d "$dir" ] || return 0
    [ -f "$dir/owner" ] || die "$dir is not a fixture directory (no $dir/owner)"
    stop_pidfile "$dir/run/nginx.pid"
    stop_pidfile "$dir/run/php-fpm.pid"
    stop_pidfile "$dir/run/mariadb.pid"
    rm -rf "$dir"
}

case "${1:-}" in
    start) [ $# -ge 2 ] || die "usage: $0 start DIR [PORT]"; start "$2" "${3:-}" ;;
    delete) [ $# -ge 2 ] || die "usage: $0 delete DIR [N]"; delete_posts "$2" "${3:-3}" ;;
    truth) [ $# -ge 2 ] || die "usage: $0 truth DIR"; truth "$2" ;;
    stop) [ $# -ge 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
    *) die "usage: $0 start DIR [PORT] | delete DIR [N] | truth DIR | stop DIR" ;;
esac
