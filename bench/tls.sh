# shellcheck shell=bash disable=SC2034 # sets the knobs and tables of lib.sh
# bench/tls.sh -- the TLS cases of make bench (a section of bench/run.sh,
# sourced; ONLY=tls). An ECDSA P-256 certificate for localhost and
# 127.0.0.1 made for the run, TLS_VERSION only (default 1.3), the server on
# SERVER_CPU, the load on CLIENT_CPU:
#   portico  a listen item {address, tls: true}, tls: {certificate, key,
#            protocols: [TLSvV]}
#   nginx    listen ... ssl, ssl_protocols TLSvV, ssl_session_cache
#            shared:SSL:10m (tickets on, its default)
#   h2o      ssl min/max-version TLSvV, ocsp-update-interval 0; its
#            signatures are made in its "neverbleed" child process, whose
#            CPU counts as h2o's (descendants)
#   caddy    tls CERT KEY { protocols tlsV tlsV }, file_server
# (HAProxy serves no files, so it has no TLS case here.) The cases:
#   tls-ka-1k    wrk over https, keep-alive, GET /1k.bin
#   tls-full     build/bench-client (bench/tls_client.c) -m full: HS_CONNS
#                connections at a time, each a new connection, a full
#                handshake, one GET /1k.bin, close: handshakes/s and CPU us
#                per connection; the note says how many were resumed (0%)
#   tls-resumed  the same, each offering the latest session ticket (~100%)
#   tls-ka-1m    wrk over https, keep-alive, GET /1m.bin
#   tls-idle     RSS growth per idle TLS connection (IDLE_CONNS of them,
#                each a full handshake and one GET /1k.bin), fresh server
# Why not wrk for the handshakes: with "Connection: close" it keeps the
# SSL object between its connections and resumes with the ticket it got.
# A full handshake costs the client about what it costs the server, so the
# handshake cases may be client-bound (srv% under ~95): compare CPU us.

TLS_SERVERS="portico nginx h2o caddy"
def_case tls-ka-1k tls req/s hi "$TLS_SERVERS" "TLS $TLS_VERSION keep-alive GET /1k.bin"
def_case tls-full tls conn/s hi "$TLS_SERVERS" "TLS $TLS_VERSION full handshake + GET /1k.bin a connection"
def_case tls-resumed tls conn/s hi "$TLS_SERVERS" "TLS $TLS_VERSION resumed handshake + GET /1k.bin a connection"
def_case tls-ka-1m tls req/s hi "$TLS_SERVERS" "TLS $TLS_VERSION keep-alive GET /1m.bin"
def_case tls-idle tls B/conn lo "$TLS_SERVERS" "RSS growth per idle TLS connection ($IDLE_CONNS of them)"

# tls_setup: the certificate and its key.
tls_setup() {
    CERT=$TMP/tls/cert.pem KEY=$TMP/tls/key.pem
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$KEY" -out "$CERT" >"$TMP/tls/openssl.log" 2>&1 ||
        { cat "$TMP/tls/openssl.log" >&2; return 1; }
    chmod 644 "$CERT" "$KEY"  # a throw-away key; h2o may read it as nobody
}

# tls_prepare NAME PORT DIR
tls_prepare() {
    local v=$TLS_VERSION
    case $1 in
    portico)
        portico_conf 1 "$3/error.log" "$2" | sed "s|^  - listen: .*|  - listen: [{address: \"$HOST:$2\", tls: true}]\\
    names: [localhost]\\
    tls: {certificate: $CERT, key: $KEY, protocols: [TLSv$v]}|" >"$3/portico.yaml"
        portico_cmd "$3"
        ;;
    nginx)
        nginx_prepare nginx "$3" <<EOF
    types {
        application/octet-stream bin;
    }
$(nginx_files)
    ssl_session_cache shared:SSL:10m;
    server {
        listen $HOST:$2 ssl;
        server_name localhost;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv$v;
        root $DOCROOT;
        location / { }
    }
EOF
        ;;
    h2o)
        printf '      /:\n        file.dir: %s\n' "$DOCROOT" | H2O_LISTEN="  ssl:
    certificate-file: $CERT
    key-file: $KEY
    min-version: TLSv$v
    max-version: TLSv$v
    ocsp-update-interval: 0" h2o_prepare "$2" "$3"
        ;;
    caddy)
        caddy_prepare "$3" <<EOF
https://localhost:$2, https://$HOST:$2 {
    bind $HOST
    tls $CERT $KEY {
        protocols tls$v tls$v
    }
    root * $DOCROOT
    file_server
}
EOF
        ;;
    esac
}

# tls_ready NAME PORT: the started server answers /1k.bin over TLS.
tls_ready() {
    LAST_ANSWER=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "https://$HOST:$2/1k.bin" || true)
    [[ $LAST_ANSWER == 200 ]]
}

# tls_check NAME: both files come back over TLS_VERSION only, byte for
# byte, the server's certificate checked against ours.
tls_check() {
    local s=$1 f got code port
    port=$(port_of "$s")
    for f in 1k 1m; do
        got=$TMP/tls/$s/check-$f
        code=$(curl -s --max-time 10 --cacert "$CERT" --resolve "localhost:$port:$HOST" \
            "--tlsv$TLS_VERSION" --tls-max "$TLS_VERSION" -o "$got" -w '%{http_code}' \
            "https://localhost:$port/$f.bin" || true)
        if [[ $code != 200 ]] || ! cmp -s "$got" "$DOCROOT/$f.bin"; then
            note "$s: https://localhost:$port/$f.bin (TLS $TLS_VERSION) answered '$code', not the file"
            return 1
        fi
    done
    # the load asks by address, without a name
    got=$(curl -sk -o /dev/null -w '%{http_code} %{size_download}' --max-time 10 "https://$HOST:$port/1m.bin" || true)
    [[ $got == "200 1048576" ]] || { note "$s: https://$HOST:$port/1m.bin answered '$got', not the file"; return 1; }
}

# tls_env CASE: the handshake cases run the client instead of wrk.
tls_env() {
    case $1 in
    tls-full) LOADER=run_client CLIENT_MODE=full ;;
    tls-resumed) LOADER=run_client CLIENT_MODE=resume ;;
    esac
}

# tls_run CASE NAME ROUND: one timed run of CASE (tls-idle: idle_run).
tls_run() {
    local c=$1 s=$2 r=$3 url res hs pct
    url="https://$HOST:$(port_of "$s")/1k.bin"
    case $c in
    tls-idle) idle_run "$c" "$s" "$r" idle "$(port_of "$s")"; return ;;
    tls-ka-1m) url=${url%/1k.bin}/1m.bin ;;
    tls-ka-1k) ;;
    *)
        wrk_run "$c" "$s" "$r" "$url" || return 1
        read -r res hs < <(awk '$1 == "Resumed:" {print $2, $4}' "$TMP/tls/$s/$c-$r.txt")
        pct=$(awk -v a="${res:-0}" -v b="${hs:-0}" 'BEGIN{printf "%.1f", b ? 100 * a / b : 0}')
        if [[ $c == tls-full ]] && awk -v p="$pct" 'BEGIN{exit !(p > 1)}'; then
            WARNINGS+=("round $r, $s, $c: $pct% of the handshakes were resumptions")
        elif [[ $c == tls-resumed ]] && awk -v p="$pct" 'BEGIN{exit !(p < 90)}'; then
            WARNINGS+=("round $r, $s, $c: only $pct% of the handshakes were resumed")
        fi
        result "$c" "$s" "$r" "$RUN_RPS" "$RUN_US" "$pct% resumed, $(awk '$1 == "Protocol:" {$1 = ""; print substr($0, 2)}' \
            "$TMP/tls/$s/$c-$r.txt")"
        return
        ;;
    esac
    wrk_case "$c" "$s" "$r" "$url"
}
