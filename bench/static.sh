# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/static.sh -- the static cases of make bench (a section of
# bench/run.sh, sourced; ONLY=static for them alone): files from DOCROOT,
# each server on one core (SERVER_CPU), wrk -t1 on another (CLIENT_CPU):
#   1k          GET /1k.bin, a 1 KiB file, keep-alive, wrk -c$CONNS
#   1k-c500     the same with 500 connections
#   index.html  GET /index.html, a 1 KiB HTML page
#   dir         GET /, the directory's index.html
#   404         GET /missing
#   1m          GET /1m.bin, a 1 MiB file
#   close       GET /1k.bin, Connection: close: a new connection a request
#   idle        the RSS growth of a fresh server per idle keep-alive
#               connection, IDLE_CONNS of them (each did one GET /1k.bin)
# The servers: portico (workers: 1), nginx (one process, sendfile,
# open_file_cache), h2o (one thread), lighttpd (one process), caddy
# (GOMAXPROCS 1, file_server), and floor (bench/floor.c: a fixed 1 KiB
# answer from memory, the least a server can do) where its answer fits.
# With WORKERS=2 the same configurations make the workers cases
# (bench/workers.sh).

STATIC_SERVERS="floor portico nginx h2o lighttpd caddy"
def_case 1k static req/s hi "$STATIC_SERVERS" "GET /1k.bin, a 1 KiB file (wrk -c$BENCH_CONNS)"
def_case 1k-c500 static req/s hi "$STATIC_SERVERS" "GET /1k.bin with 500 connections"
def_case index.html static req/s hi "$STATIC_SERVERS" "GET /index.html, a 1 KiB HTML page"
def_case dir static req/s hi "$STATIC_SERVERS" "GET /, the folder's index.html"
def_case 404 static req/s hi "$STATIC_SERVERS" "GET /missing, not found"
def_case 1m static req/s hi "portico nginx h2o lighttpd caddy" "GET /1m.bin, a 1 MiB file"
def_case close static req/s hi "$STATIC_SERVERS" "GET /1k.bin, Connection: close (a connection a request)"
def_case idle static B/conn lo "portico nginx h2o lighttpd caddy" \
    "RSS growth per idle keep-alive connection ($IDLE_CONNS of them)"

# static_path CASE: the path CASE asks for.
static_path() {
    case $1 in
    index.html) echo /index.html ;;
    dir) echo / ;;
    404) echo /missing ;;
    1m | workers2-1m) echo /1m.bin ;;
    *) echo /1k.bin ;;
    esac
}

# static_prepare NAME PORT DIR: NAME serving DOCROOT with WORKERS
# processes or threads (default 1).
static_prepare() {
    local w=${WORKERS:-1}
    case $1 in
    floor)
        [[ -x $FLOOR ]] || { note "skipping floor: $FLOOR not built (make $FLOOR)"; return 1; }
        printf '%s\n' "$FLOOR" "$2"
        ;;
    portico)
        portico_conf "$w" off "$2" >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    nginx)
        NGINX_WORKERS=$w nginx_prepare nginx "$3" <<EOF
    types {
        text/html html;
        application/octet-stream bin;
    }
$(nginx_files)
    server {
        listen $HOST:$2;
        server_name localhost;
        root $DOCROOT;
        location / { }
    }
EOF
        ;;
    h2o) printf '      /:\n        file.dir: %s\n' "$DOCROOT" | H2O_THREADS=$w h2o_prepare "$2" "$3" ;;
    lighttpd)
        lighttpd_prepare "$2" "$3" <<EOF
server.modules = ()
$( ((w > 1)) && echo "server.max-worker = $w")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
EOF
        ;;
    caddy)
        printf 'http://%s:%s {\n    root * %s\n    file_server\n}\n' "$HOST" "$2" "$DOCROOT" |
            CADDY_PROCS=$w caddy_prepare "$3"
        ;;
    esac
}

static_ready() { [[ $(status_of "$2" /1k.bin) == 200 ]]; }

# static_check NAME: /1k.bin is the file (else NAME is dropped); a case
# whose path does not answer as it should runs without NAME (a warning).
static_check() {
    local s=$1 c want got
    for c in 1k index.html dir 404 1m; do
        [[ " ${C_SERVERS[$c]} " == *" $s "* ]] || continue
        [[ $s != floor || $c == 1k ]] || continue
        case $c in
        404) want="404 *" ;;
        1m) want="200 1048576" ;;
        *) want="200 1024" ;;
        esac
        got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 \
            "http://$HOST:$(port_of "$s")$(static_path "$c")" || true)
        # shellcheck disable=SC2053 # want may be a pattern
        [[ $got == $want ]] && continue
        note "$s: $(static_path "$c") answered '$got', expected '$want'"
        [[ $c != 1k ]] || return 1
        WARNINGS+=("$s: $(static_path "$c") answered '$got', expected '$want': case $c ran without it")
        C_SERVERS["$c"]=$(tr ' ' '\n' <<<"${C_SERVERS[$c]}" | grep -vx "$s" | tr '\n' ' ')
    done
}

# static_env CASE: 500 connections for 1k-c500; Connection: close for close.
static_env() {
    case $1 in
    1k-c500) CONNS=500 ;;
    close) WRK_ARGS=(-H 'Connection: close') ;;
    esac
}

# static_run CASE NAME ROUND: wrk on CASE's path (idle: idle_run).
static_run() {
    local expect=ok
    if [[ $1 == idle ]]; then
        idle_run "$1" "$2" "$3" plain-idle "$(port_of "$2")"
        return
    fi
    [[ $1 != 404 ]] || expect=errors
    [[ $2 != floor ]] || expect=any
    wrk_case "$1" "$2" "$3" "http://$HOST:$(port_of "$2")$(static_path "$1")" "$expect"
}
