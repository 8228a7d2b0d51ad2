# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/proxy.sh -- the reverse-proxy cases of make bench (a section of
# bench/run.sh, sourced; ONLY=proxy). One upstream serves every proxy: an
# nginx (one process, keep-alive, no access log) with DOCROOT's files, on
# UPSTREAM_CPU (default: wrk's CPU, as this is meant for a 2-CPU machine).
# Each proxy runs on SERVER_CPU with one worker / process / thread, wrk -t1
# -c$CONNS (keep-alive) on CLIENT_CPU:
#   proxy-1k   GET /1k.bin through the proxy
#   proxy-1m   GET /1m.bin through the proxy
# The proxies, each sending HTTP/1.1 with keep-alive to the upstream:
#   portico  an upstream group with keepalive $PROXY_KEEPALIVE, location / proxied to it
#   nginx    proxy_pass to upstream { server ...; keepalive $PROXY_KEEPALIVE;
#            keepalive_requests 100000; }, proxy_http_version 1.1,
#            proxy_set_header Connection ""
#   h2o      proxy.reverse.url (its own upstream keep-alive)
#   haproxy  mode http, http-reuse always
#   caddy    reverse_proxy (its transport's keep-alive pool)
# PROXY_KEEPALIVE (default 64, more than the CONNS=50 requests in flight)
# is how many idle upstream connections portico and nginx keep: with fewer,
# each burst over it opens new ones (HAProxy's http-reuse always and h2o's
# and Caddy's pools keep every connection), so that the rows compare the
# proxying, not the size of a pool.
# The preflight checks that both files come back byte for byte and that
# the upstream saw the requests. The proxy's CPU us/req leaves the
# upstream out (its own figure is in the notes, with the connections it
# accepted during the run: how well the proxy reuses them).

UPSTREAM_CPU=${UPSTREAM_CPU-${CLIENT_CPU-1}}
PROXY_KEEPALIVE=${PROXY_KEEPALIVE:-64}
PROXY_SERVERS="portico nginx h2o haproxy caddy"
def_case proxy-1k proxy req/s hi "$PROXY_SERVERS" "GET /1k.bin through the proxy to an nginx"
def_case proxy-1m proxy req/s hi "$PROXY_SERVERS" "GET /1m.bin through the proxy to an nginx"

# proxy_setup: starts the upstream nginx, serving DOCROOT on UPSTREAM_PORT
# with /stub_status; its keepalive_requests is high so that only the
# proxies close connections.
proxy_setup() {
    local dir=$TMP/proxy/upstream cmd
    mkdir -p "$dir"
    chmod 755 "$dir"
    cmd=$(nginx_prepare upstream "$dir" <<EOF
$(nginx_files)
    server {
        listen $HOST:$UPSTREAM_PORT;
        keepalive_requests 1000000;
        root $DOCROOT;
        location / { }
        location = /stub_status { stub_status; }
    }
EOF
    ) || return 1
    mapfile -t CMD <<<"$cmd"
    start_aux proxy/upstream "$UPSTREAM_PORT" "$UPSTREAM_CPU" && upstream_counts
}

proxy_teardown() { stop_aux; }

# upstream_counts: sets UP_ACCEPTS and UP_REQUESTS from the
# upstream's stub_status (they count the stub_status request itself);
# returns 1 after a note if it does not answer.
upstream_counts() {
    local out
    out=$(curl -s --max-time 2 "http://$HOST:$UPSTREAM_PORT/stub_status" || true)
    UP_ACCEPTS="" UP_REQUESTS=""
    read -r UP_ACCEPTS UP_REQUESTS < <(awk '
        /^ *[0-9]+ +[0-9]+ +[0-9]+ *$/ { print $1, $3 }' <<<"$out") || true
    if [[ -z $UP_REQUESTS ]]; then
        note "the upstream's stub_status did not answer (${out:0:80})"
        return 1
    fi
}

# proxy_prepare NAME PORT DIR
proxy_prepare() {
    local up=$HOST:$UPSTREAM_PORT
    case $1 in
    portico)
        {
            portico_conf 1 "$3/error.log" "$2" "{proxy: http://up}"
            printf 'upstreams:\n  up:\n    servers: ["%s"]\n    keepalive: %s\n' "$up" "$PROXY_KEEPALIVE"
        } >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    nginx)
        nginx_prepare nginx "$3" <<EOF
    upstream up {
        server $up;
        keepalive $PROXY_KEEPALIVE;
        keepalive_requests 100000;
    }
    server {
        listen $HOST:$2;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF
        ;;
    h2o) printf '      /:\n        proxy.reverse.url: http://%s/\n' "$up" | h2o_prepare "$2" "$3" ;;
    haproxy) haproxy_prepare "$2" "$3" "$up" ;;
    caddy) printf 'http://%s:%s {\n    reverse_proxy %s\n}\n' "$HOST" "$2" "$up" | caddy_prepare "$3" ;;
    esac
}

# haproxy_prepare PORT DIR UPSTREAM: haproxy proxying HOST:PORT to UPSTREAM.
haproxy_prepare() {
    local bin
    bin=$(server_bin haproxy haproxy) || return 1
    cat >"$2/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 8000
defaults
    mode http
    timeout connect 5s
    timeout client 75s
    timeout server 60s
    timeout http-keep-alive 75s
frontend proxy
    bind $HOST:$1
    default_backend up
backend up
    http-reuse always
    server up $3
EOF
    check_config haproxy "configuration check" "$bin" -c -f "$2/haproxy.cfg" || return 1
    # -db: in the foreground; its messages go to stderr.log
    printf '%s\n' "$bin" -db -f "$2/haproxy.cfg"
}

proxy_ready() { [[ $(status_of "$2" /1k.bin) == 200 ]]; }

# proxy_check NAME: both files come back through proxy NAME byte for byte
# and the upstream saw the requests; returns 1 after a note if not.
proxy_check() {
    local s=$1 f got code r0
    upstream_counts || return 1
    r0=$UP_REQUESTS
    for f in 1k 1m; do
        got=$TMP/proxy/$s/check-$f
        code=$(curl -s -o "$got" -w '%{http_code}' --max-time 10 "http://$HOST:$(port_of "$s")/$f.bin" || true)
        if [[ $code != 200 ]] || ! cmp -s "$got" "$DOCROOT/$f.bin"; then
            note "$s: /$f.bin through it answered '$code' with $(wc -c <"$got") bytes, not the upstream's file"
            return 1
        fi
    done
    upstream_counts || return 1
    ((UP_REQUESTS - r0 - 1 >= 2)) ||
        { note "$s: answered without asking the upstream ($((UP_REQUESTS - r0 - 1)) requests seen there)"; return 1; }
}

# proxy_run CASE NAME ROUND: wrk through the proxy; the note: what the
# upstream saw (connections accepted, requests, its CPU us/req).
proxy_run() {
    local c=$1 s=$2 r=$3 a0 q0 conns ureqs
    upstream_counts || return 1
    a0=$UP_ACCEPTS q0=$UP_REQUESTS
    wrk_run "$c" "$s" "$r" "http://$HOST:$(port_of "$s")/${c#proxy-}.bin" || return 1
    upstream_counts || return 1
    # the second stub_status request is counted, the first was already; the
    # warm-up's requests are in both counts
    conns=$((UP_ACCEPTS - a0 - 1)) ureqs=$((UP_REQUESTS - q0 - 1))
    result "$c" "$s" "$r" "$RUN_RPS" "$RUN_US" \
        "upstream: $conns connections accepted, $(per_req "$RUN_AUX_TICKS" %.2f) us/req"
    # Every answer wrk got was asked of the upstream (fewer: a cache); more:
    # the warm-up's, and up to CONNS in flight when wrk stopped; beyond, retries.
    ((ureqs >= RUN_REQS)) || WARNINGS+=("round $r, $s, $c: wrk got $RUN_REQS answers but the upstream served $ureqs requests")
}
