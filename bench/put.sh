# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/put.sh -- the upload case of make bench (a section of bench/run.sh,
# sourced; ONLY=put): PUT of a 1 MiB body, stored as a file under
# DOCROOT/up/ (each PUT replaces it: 204), wrk -c$PUT_CONNS with a Lua
# script (method PUT, the body), keep-alive; one core each.
#   portico  location /up/: {methods: [GET, HEAD, PUT], upload: true,
#            limits: {body_size: 2m}} (streams to a temporary file, renamed)
#   nginx    location /up/ { dav_methods PUT; client_max_body_size 2m; }
#            (http_dav_module: the body in a temporary file, renamed)
# Its value is MB/s of bodies stored (req/s x 1 MiB); CPU us per PUT.

PUT_CONNS=${PUT_CONNS:-8}
def_case put put MB/s hi "portico nginx" "PUT /up/put.bin, a 1 MiB body (wrk -c$PUT_CONNS)"

# put_setup: the upload folder and wrk's script.
put_setup() {
    mkdir -p "$DOCROOT/up"
    chmod 777 "$DOCROOT/up"
    cat >"$TMP/put/put.lua" <<'EOF'
wrk.method = "PUT"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
EOF
}

# put_prepare NAME PORT DIR
put_prepare() {
    case $1 in
    portico)
        {
            portico_conf 1 "$3/error.log" "$2"
            echo "      /up/: {methods: [GET, HEAD, PUT], upload: true, limits: {body_size: 2m}}"
        } >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    nginx)
        nginx_prepare nginx "$3" <<EOF
    server {
        listen $HOST:$2;
        root $DOCROOT;
        location / { }
        location /up/ {
            dav_methods PUT;
            client_max_body_size 2m;
        }
    }
EOF
        ;;
    esac
}

put_ready() { [[ $(status_of "$2" /1k.bin) == 200 ]]; }

# put_check NAME: a PUT of /1m.bin's bytes is stored as they are.
put_check() {
    local url code
    url="http://$HOST:$(port_of "$1")/up/check-$1.bin"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -T "$DOCROOT/1m.bin" "$url" || true)
    if [[ $code != 20[14] ]] || ! cmp -s "$DOCROOT/1m.bin" "$DOCROOT/up/check-$1.bin"; then
        note "$1: PUT $url answered '$code' and did not store the body"
        return 1
    fi
}

put_env() { CONNS=$PUT_CONNS WRK_ARGS=(-s "$TMP/put/put.lua"); }

# put_run CASE NAME ROUND: wrk's PUTs; the result in MB/s.
put_run() {
    wrk_run "$1" "$2" "$3" "http://$HOST:$(port_of "$2")/up/put.bin" || return 1
    result "$1" "$2" "$3" "$(awk -v r="$RUN_RPS" 'BEGIN{printf "%.1f", r * 1048576 / 1e6}')" "$RUN_US"
}
