#!/usr/bin/env bash
# bench/tls.sh -- TLS termination: portico against nginx and h2o (make bench-tls).
#
# Run from the repository root. The script makes an ECDSA P-256 certificate
# for localhost and 127.0.0.1 (openssl req), a 1 KiB and a 1 MiB file of
# random bytes, and builds its load client, bench/tls_client.c. Each round
# starts each server in turn on SERVER_CPU with the load on CLIENT_CPU
# (taskset), the same certificate and files, TLS_VERSION only:
#   portico  workers: 1, access_log off, a listen item {address, tls: true}
#            with tls: {certificate, key, protocols: [TLSvV]}; a plain
#            listener beside it on BASE_PORT+10 for the plain idle row
#   nginx    one process (master_process off), access_log off, listen ...
#            ssl, ssl_protocols TLSvV, ssl_session_cache shared:SSL:10m
#            (tickets on, its default), open_file_cache as in bench/run.sh
#   h2o      num-threads 1, no access log, ssl min/max-version TLSvV,
#            ocsp-update-interval 0, max-connections 10000; session
#            resumption as it comes (tickets). h2o 2.2 makes its signatures
#            in its "neverbleed" child process (this version has no switch
#            for it); that child's CPU counts as h2o's (descendants)
# Before a server is measured, curl --cacert (the script's certificate,
# only TLS_VERSION allowed) must get status 200 and the exact bytes of both
# files from it; a server that fails is dropped.
#
# The rows (CPU = utime+stime of the server's processes and threads, from
# /proc/PID/stat, during the run, divided by what the client completed):
#   ka-1k    wrk -t1 -cCONNS over https, keep-alive, GET /1k.bin: requests/s
#            and server CPU us per request (the handshakes of the CONNS
#            connections are a negligible part)
#   full     tls_client -m full: HS_CONNS connections at a time, each a new
#            TCP connection, a full handshake (no session offered), one
#            GET /1k.bin with Connection: close, close_notify, close:
#            handshakes/s and server CPU us per connection (handshake,
#            request, accept and close); "resumed%" must be 0
#   resumed  tls_client -m resume: the same, but each connection offers
#            the latest session ticket the client received (stateless
#            tickets on all three servers), so almost every handshake is a
#            resumption (psk_dhe_ke: still an X25519 exchange, no
#            certificate or signature); "resumed%" should be ~100
#   ka-1m    wrk over https, keep-alive, GET /1m.bin: requests/s, CPU us
#            per request (mostly AES-GCM encryption of 1 MiB)
#   idle     (second table) on a freshly started server, IDLE_CONNS TLS
#            connections (tls_client -m idle, 64 at a time) that each did a
#            full handshake and one keep-alive GET /1k.bin, then stay open
#            and silent: the growth of the server's RSS (VmRSS summed over
#            its processes: portico's master and worker, nginx's and h2o's
#            single process) divided by IDLE_CONNS, in KiB per connection.
#            portico's row "plain" does the same over plain HTTP (another
#            fresh start), for the cost TLS adds to an idle connection.
# Each value is the median of ROUNDS runs, with the min-max range beside it.
#
# Why this client: wrk with "Connection: close" does not do full
# handshakes: it keeps the SSL object between its connections (SSL_clear
# after SSL_shutdown keeps the session), so from the second connection on
# it resumes with the TLS 1.3 ticket it got (checked against nginx's
# $ssl_session_reused: 639 of 640 resumed). `openssl s_time -new/-reuse`
# does full or resumed handshakes (-reuse works with 1.3 tickets when it
# fetches a page with -www), but one connection at a time, so the server
# waits for the client between handshakes and s_time reports connections
# per client user-second. tls_client keeps HS_CONNS handshakes in flight
# and counts the resumed ones (SSL_session_reused).
#
# Reading the figures: a full handshake costs the client about as much as
# the server (an X25519 exchange plus the ECDSA verification, against the
# server's X25519 and ECDSA signature), so with one client core the
# handshake rows are often client-bound: srv CPU% below ~95 means the
# server waited, and then compare CPU us, not the rates. other% is CPU time
# on the two CPUs used by anything but the server and the client; above
# ~10% the machine was busy and the rates are unreliable.
#
# Environment knobs:
#   DURATION    seconds per timed run                    (default 5)
#   ROUNDS      rounds; the median is kept               (default 3)
#   CONNS       wrk connections (ka-1k, ka-1m)           (default 50)
#   HS_CONNS    tls_client connections in flight         (default 16)
#   IDLE_CONNS  idle connections for the memory rows     (default 2000; 0 = no idle rows)
#   TLS_VERSION 1.3 or 1.2 (servers and clients)         (default 1.3)
#   SERVERS     subset, e.g. "portico nginx"             (default "portico nginx h2o")
#   WARMUP      seconds of keep-alive warm-up            (default 1; 0 = none)
#   BASE_PORT   first loopback port (+0..+2; portico's plain port +10)  (default 18200)
#   PORTICO     portico binary                           (default ./portico)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset            (default 0 / 1)
#   REPORT_DIR  folder of the report files               (default build/bench)
#   BENCH_QUICK 1: a short trial (DURATION 2, ROUNDS 1, IDLE_CONNS 500),
#               about a minute; explicit knobs still win
#   KEEP        1: keep the scratch folder (configs, logs, client reports)
#
# The report goes to stdout, REPORT_DIR/tls.md and REPORT_DIR/tls.html (the
# tables under a chart of CPU us per request, as make bench draws it); when
# REPORT_DIR/report.md (make bench's report) exists, the same text replaces
# its TLS section (between <!-- bench-tls --> lines) or is appended to it.
# A full run takes about 4 to 5 minutes.
set -euo pipefail

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    DURATION=${DURATION:-2} ROUNDS=${ROUNDS:-1} IDLE_CONNS=${IDLE_CONNS:-500}
fi
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
HS_CONNS=${HS_CONNS:-16}
IDLE_CONNS=${IDLE_CONNS:-2000}
TLS_VERSION=${TLS_VERSION:-1.3}
SERVERS=${SERVERS:-"portico nginx h2o"}
WARMUP=${WARMUP:-1}
BASE_PORT=${BASE_PORT:-18200}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
REPORT_DIR=${REPORT_DIR:-build/bench}
KNOWN="portico nginx h2o"  # ports BASE_PORT+0..+2
CASES=(ka-1k full resumed ka-1m)

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
READY_WHAT="answer over TLS"

check_knobs DURATION ROUNDS CONNS HS_CONNS IDLE_CONNS WARMUP BASE_PORT
[[ $TLS_VERSION == 1.3 || $TLS_VERSION == 1.2 ]] || die "TLS_VERSION must be 1.3 or 1.2"
((HS_CONNS >= 1)) || die "HS_CONNS must be >= 1"
need wrk taskset curl cmp openssl "${CC:-cc}"
bench_init portico-bench-tls
PLAIN_PORT=$((BASE_PORT + 10))

# The idle rows hold IDLE_CONNS connections in the client and the server.
if (($(ulimit -n) < IDLE_CONNS + 512)); then
    ulimit -n $((IDLE_CONNS + 512)) 2>/dev/null ||
        die "IDLE_CONNS=$IDLE_CONNS needs $((IDLE_CONNS + 512)) open files (ulimit -n is $(ulimit -n))"
fi

# ---------------------------------------------------------------- files
DOCROOT=$TMP/www
CERT=$TMP/cert.pem
KEY=$TMP/key.pem
mkdir -p "$DOCROOT"
head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$DOCROOT/1m.bin"
chmod 755 "$TMP" "$DOCROOT"
chmod 644 "$DOCROOT"/*.bin
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$KEY" -out "$CERT" >"$TMP/openssl.log" 2>&1 ||
    { cat "$TMP/openssl.log" >&2; die "openssl could not make the certificate"; }
chmod 644 "$CERT" "$KEY"  # a throw-away key; h2o may read it as nobody

CLIENT=$TMP/tls_client
"${CC:-cc}" -O2 -std=c11 -Wall -Wextra -o "$CLIENT" "$(dirname "$0")/tls_client.c" -lssl -lcrypto \
    >"$TMP/cc.log" 2>&1 || { cat "$TMP/cc.log" >&2; die "bench/tls_client.c did not build (libssl-dev?)"; }

# ---------------------------------------------------------------- servers
# prepare NAME PORT DIR: writes NAME's config into DIR and prints its
# command (one word a line); returns 1 after a note when it cannot run.
prepare() {
    local port=$2 dir=$3 bin userline=""
    case $1 in
    portico)
        cat >"$dir/portico.yaml" <<EOF
workers: 1
error_log: $dir/error.log
access_log: off
pid_file: off
limits:
  keepalive_requests: 100000
servers:
  - listen: [{address: "$HOST:$port", tls: true}, "$HOST:$PLAIN_PORT"]
    names: [localhost]
    tls:
      certificate: $CERT
      key: $KEY
      protocols: [TLSv$TLS_VERSION]
    root: $DOCROOT
    locations:
      /: {}
EOF
        portico_cmd "$dir"
        ;;
    nginx)
        nginx_prepare nginx "$dir" <<EOF
    types {
        application/octet-stream bin;
    }
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    ssl_session_cache shared:SSL:10m;
    server {
        listen $HOST:$port ssl;
        server_name localhost;
        ssl_certificate $CERT;
        ssl_certificate_key $KEY;
        ssl_protocols TLSv$TLS_VERSION;
        root $DOCROOT;
        location / { }
    }
EOF
        ;;
    h2o)
        bin=$(server_bin h2o h2o) || return 1
        # As root, h2o switches to a user, then opens its pid file.
        if [[ $(id -u) == 0 ]]; then
            userline="user: nobody"
            chown nobody "$dir"
        fi
        cat >"$dir/h2o.conf" <<EOF
$userline
num-threads: 1
pid-file: $dir/h2o.pid
error-log: $dir/error.log
http1-request-timeout: 75
max-connections: 10000
listen:
  host: $HOST
  port: $port
  ssl:
    certificate-file: $CERT
    key-file: $KEY
    min-version: TLSv$TLS_VERSION
    max-version: TLSv$TLS_VERSION
    ocsp-update-interval: 0
hosts:
  default:
    paths:
      /:
        file.dir: $DOCROOT
EOF
        check_config h2o "configuration test" "$bin" -t -c "$dir/h2o.conf" || return 1
        printf '%s\n' "$bin" -c "$dir/h2o.conf"
        ;;
    esac
}

# ready NAME PORT: the started server answers /1k.bin over TLS.
ready() {
    LAST_ANSWER=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "https://$HOST:$2/1k.bin" || true)
    [[ $LAST_ANSWER == 200 ]]
}

# curl_tls PORT PATH OUT: status of GET PATH over TLS_VERSION only,
# checking the server's certificate against the script's, body in OUT.
curl_tls() {
    curl -s --max-time 10 --cacert "$CERT" --resolve "localhost:$1:$HOST" \
        "--tlsv$TLS_VERSION" --tls-max "$TLS_VERSION" -o "$3" -w '%{http_code}' \
        "https://localhost:$1$2" || true
}

# check_tls NAME: both files come back over TLS byte for byte (and, for
# portico, over its plain listener); returns 1 after a note if not.
check_tls() {
    local s=$1 port f got code
    port=$(port_of "$s")
    for f in 1k 1m; do
        got=$TMP/$s/check-$f
        code=$(curl_tls "$port" "/$f.bin" "$got")
        if [[ $code != 200 ]] || ! cmp -s "$got" "$DOCROOT/$f.bin"; then
            note "$s: https://localhost:$port/$f.bin (TLS $TLS_VERSION) answered '$code' with $(wc -c <"$got" 2>/dev/null || echo 0) bytes, not the file"
            return 1
        fi
    done
    if [[ $s == portico ]]; then
        code=$(curl -s --max-time 5 -o "$TMP/$s/check-plain" -w '%{http_code}' "http://$HOST:$PLAIN_PORT/1k.bin" || true)
        if [[ $code != 200 ]] || ! cmp -s "$TMP/$s/check-plain" "$DOCROOT/1k.bin"; then
            note "portico: its plain listener answered '$code', not the file"
            return 1
        fi
    fi
}

# ---------------------------------------------------------------- clients
# run_client SECONDS URL OUT: measure's LOADER for the handshake rows:
# tls_client -m CLIENT_MODE on CLIENT_CPU against https://HOST:PORT/PATH.
# shellcheck disable=SC2317 # called through LOADER
run_client() {
    local rc=0 rest=${2#https://} hostport path
    hostport=${rest%%/*} path=/${rest#*/}
    pin "${CLIENT_CPU:-}"
    "${PIN[@]}" "$CLIENT" -m "$CLIENT_MODE" -c "$HS_CONNS" -d "$1" -v "$TLS_VERSION" -s localhost \
        "${hostport%:*}" "${hostport##*:}" "$path" >"$3" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

# rss_kb PID: VmRSS (KiB) of PID and its descendants.
rss_kb() {
    local p v total=0
    for p in "$1" $(descendants "$1"); do
        v=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# per key "kind server" (kind: tls or plain), one value a round: KiB per
# idle connection, and the RSS (KiB) before and with them
declare -A IDLE=() IDLE_RSS0=() IDLE_RSS1=() RESUMED=() PROTO=()

# idle_run NAME KIND PORT ROUND: IDLE_CONNS idle connections (KIND tls or
# plain) to the freshly started server NAME on PORT; records the RSS growth
# per connection. Returns 1 after a note if they could not all be made.
idle_run() {
    local s=$1 kind=$2 port=$3 r=$4 out=$TMP/$1/idle-$2-$4.txt mode=idle r0 r1 i got closed per
    [[ $kind == tls ]] || mode=plain-idle
    sleep 0.3
    r0=$(rss_kb "$SRV_PID")
    pin "${CLIENT_CPU:-}"
    "${PIN[@]}" "$CLIENT" -m "$mode" -n "$IDLE_CONNS" -c 64 -d 60 -v "$TLS_VERSION" -s localhost \
        "$HOST" "$port" /1k.bin >"$out" 2>&1 &
    WRK_PID=$!
    for ((i = 0; i < 300; i++)); do
        grep -q '^ready' "$out" && break
        kill -0 "$WRK_PID" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.5  # the server's last answers leave its buffers
    r1=$(rss_kb "$SRV_PID")
    kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
    WRK_PID=""
    got=$(awk '$1 == "ready" {print $2}' "$out")
    closed=$(awk '$1 == "Idle:" {print $4}' "$out")
    if [[ $got != "$IDLE_CONNS" ]]; then
        note "$s: only ${got:-0} of $IDLE_CONNS idle $kind connections got their answer:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    [[ ${closed:-0} == 0 ]] ||
        WARNINGS+=("round $r, $s, idle $kind: the server closed $closed of the idle connections before the end")
    per=$(awk -v a="$r0" -v b="$r1" -v n="$IDLE_CONNS" 'BEGIN{printf "%.2f", (b - a) / n}')
    IDLE["$kind $s"]+="$per " IDLE_RSS0["$kind $s"]+="$r0 " IDLE_RSS1["$kind $s"]+="$r1 "
    printf '  round %d  %-8s idle %-5s %6s KiB/conn  (RSS %d -> %d KiB for %d connections)\n' \
        "$r" "$s" "$kind" "$per" "$r0" "$r1" "$IDLE_CONNS" >&2
    sleep 0.5  # the server closes them
}

# restart NAME: stops the server and starts it again (CMD is still NAME's).
restart() {
    stop_server
    start_server "$1"
}

# ---------------------------------------------------------------- runs
# run_case NAME CASE ROUND: one timed run of CASE against the server NAME.
run_case() {
    local s=$1 c=$2 r=$3 us url out=$TMP/$1/$2-$3.txt key="round $3, $1, $2" res hs pct="" extra=""
    url="https://$HOST:$(port_of "$s")/1k.bin"
    case $c in
    ka-1k) LOADER=run_wrk ;;
    ka-1m) LOADER=run_wrk url=${url%/1k.bin}/1m.bin ;;
    full) LOADER=run_client CLIENT_MODE=full ;;
    resumed) LOADER=run_client CLIENT_MODE=resume ;;
    esac
    if ! measure "$s ($c)" "$url" "$out"; then
        LOADER=run_wrk
        return 1
    fi
    LOADER=run_wrk
    us=$(per_req "$RUN_TICKS" %.3f)
    flag_run "$key" ok
    record "$c $s" "$us"
    if [[ $c == full || $c == resumed ]]; then
        read -r res hs < <(awk '$1 == "Resumed:" {print $2, $4}' "$out")
        pct=$(awk -v a="${res:-0}" -v b="${hs:-0}" 'BEGIN{printf "%.1f", b ? 100 * a / b : 0}')
        RESUMED["$c $s"]+="$pct "
        [[ -n ${PROTO[$s]:-} ]] || PROTO[$s]=$(awk '$1 == "Protocol:" {$1 = ""; print substr($0, 2)}' "$out")
        if [[ $c == full ]] && awk -v p="$pct" 'BEGIN{exit !(p > 1)}'; then
            WARNINGS+=("$key: $pct% of the handshakes were resumptions")
        elif [[ $c == resumed ]] && awk -v p="$pct" 'BEGIN{exit !(p < 90)}'; then
            WARNINGS+=("$key: only $pct% of the handshakes were resumed")
        fi
        extra=", ${pct}% resumed"
    fi
    printf '  round %d  %-8s %-7s %10s /s %9s us/req  server %3s%% CPU, others %3s%%%s\n' \
        "$r" "$s" "$c" "$RUN_RPS" "$us" "$RUN_UTIL" "$RUN_OTHER" "$extra" >&2
}

# bench_server NAME ROUND: checks the answers, measures idle connections
# on fresh starts, warms up, runs each case.
bench_server() {
    local s=$1 r=$2 c rc=0
    check_tls "$s" || return 1
    if ((IDLE_CONNS > 0)); then
        if [[ $s == portico ]]; then
            idle_run portico plain "$PLAIN_PORT" "$r" || rc=1
            restart portico || return 1
        fi
        idle_run "$s" tls "$(port_of "$s")" "$r" || rc=1
    fi
    warm_up "https://$HOST:$(port_of "$s")/1k.bin"
    for c in "${CASES[@]}"; do
        run_case "$s" "$c" "$r" || rc=1
    done
    return "$rc"
}

# preflight: starts each server of ACTIVE once and checks its answers; a
# peer that fails is dropped with a note; portico failing stops the run.
preflight() {
    local s
    local -a ok=()
    for s in "${ACTIVE[@]}"; do
        mapfile -t CMD <<<"${CMDS[$s]}"
        if start_server "$s" 2>"$TMP/$s/preflight.txt" && check_tls "$s" 2>>"$TMP/$s/preflight.txt"; then
            ok+=("$s")
        elif [[ $s == portico ]]; then
            cat "$TMP/$s/preflight.txt" >&2
            die "portico does not serve the files over TLS, nothing to compare"
        else
            note "skipping $s: $(head -n 1 "$TMP/$s/preflight.txt" | sed 's/^bench: //')"
        fi
        stop_server
    done
    ((${#ok[@]} > 0)) || die "no server to benchmark"
    ACTIVE=("${ok[@]}")
}

# ---------------------------------------------------------------- main
prepare_all
preflight
echo "bench: servers: ${ACTIVE[*]}; TLS $TLS_VERSION, DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS" \
    "HS_CONNS=$HS_CONNS IDLE_CONNS=$IDLE_CONNS; server on CPU $SERVER_CPU, client on CPU $CLIENT_CPU" >&2
run_rounds

# ---------------------------------------------------------------- report
fmt_int() { awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
case_label() {
    case $1 in
    ka-1k) echo "keep-alive GET /1k.bin (wrk -c$CONNS)" ;;
    full) echo "new connection, full handshake, GET /1k.bin" ;;
    resumed) echo "new connection, resumed handshake, GET /1k.bin" ;;
    ka-1m) echo "keep-alive GET /1m.bin (wrk -c$CONNS)" ;;
    esac
}
row() {
    printf '| %-7s | %-8s | %8s | %13s | %10s | %15s | %4s | %6s | %8s | %10s | %9s |\n' "$@"
}
idle_row() { printf '| %-7s | %-5s | %9s | %11s | %10s | %10s | %17s |\n' "$@"; }

# report: the markdown report; the chart's data go to $TMP/chart.tsv.
# Returns 1 when a server failed.
report() {
    local c s k p_rps p_cpu rr cr res
    : >"$TMP/chart.tsv"
    echo
    echo "## portico TLS benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, $(openssl version | cut -d' ' -f1-2))"
    echo
    echo "TLS $TLS_VERSION, ECDSA P-256 certificate; server pinned to CPU $SERVER_CPU (one worker/process/thread),"
    echo "client to CPU $CLIENT_CPU; median (and min-max) of $ROUNDS round(s) of ${DURATION}s."
    echo "ka-1k/ka-1m: wrk -t1 -c$CONNS over https, keep-alive; full/resumed: tls_client, $HS_CONNS connections"
    echo "in flight, each a new connection with a full (or resumed) handshake and one GET /1k.bin."
    echo "rate = requests/s (ka) or handshakes/s (full, resumed); CPU us = server utime+stime per request or"
    echo "per connection; srv% = share of one CPU the server used (under ~95%: it waited for the client,"
    echo "so compare CPU us, not the rates); other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything else"
    echo "(above ~10%: a busy machine, rates unreliable). Ratios are portico/peer: rate higher is better,"
    echo "CPU lower is better."
    echo
    row case server rate "rate range" "CPU us" "CPU range" srv% other% resumed% "rate ratio" "CPU ratio"
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' --------- ---------- ---------: --------------: \
        -----------: ----------------: -----: -------: ---------: -----------: ----------:
    for c in "${CASES[@]}"; do
        p_rps="" p_cpu=""
        if [[ -n ${RPS["$c portico"]:-} ]]; then
            medians "$c portico"
            p_rps=$MED_RPS p_cpu=$MED_CPU
        fi
        for s in "${ACTIVE[@]}"; do
            k="$c $s"
            if [[ -z ${RPS[$k]:-} ]]; then
                row "$c" "$s" failed - - - - - - - -
                printf '%s\t%s\t%s\t\n' "$c" "$(case_label "$c")" "$s" >>"$TMP/chart.tsv"
                continue
            fi
            medians "$k"
            printf '%s\t%s\t%s\t%s\n' "$c" "$(case_label "$c")" "$s" "$MED_CPU" >>"$TMP/chart.tsv"
            rr="-" cr="-" res="-"
            if [[ $s != portico ]]; then
                rr=$(ratio "$p_rps" "$MED_RPS")
                cr=$(ratio "$p_cpu" "$MED_CPU")
            fi
            # shellcheck disable=SC2086 # space-separated numbers
            [[ -z ${RESUMED[$k]:-} ]] || res=$(printf %.0f "$(median ${RESUMED[$k]})")
            # shellcheck disable=SC2086
            row "$c" "$s" "$(fmt_int "$MED_RPS")" "$(range_of %.0f ${RPS[$k]})" \
                "$(printf %.1f "$MED_CPU")" "$(range_of %.1f ${CPU[$k]})" "$(fmt_int "$MED_UTIL")" \
                "$(fmt_int "$MED_OTHER")" "$res" "$rr" "$cr"
        done
    done
    if ((IDLE_CONNS > 0)); then
        echo
        echo "Idle keep-alive connections: growth of the server's RSS (all its processes) with $IDLE_CONNS"
        echo "connections open that each did a handshake and one GET /1k.bin, per connection, on a fresh start."
        echo "plain: the same over plain HTTP (portico's plain listener)."
        echo
        idle_row server kind "KiB/conn" "range" "RSS before" "RSS with" "ratio portico/x"
        printf '|%s|%s|%s|%s|%s|%s|%s|\n' --------- ------- ----------: ------------: -----------: \
            -----------: ------------------:
        local kind pk=""
        # shellcheck disable=SC2086 # space-separated numbers
        [[ -z ${IDLE["tls portico"]:-} ]] || pk=$(median ${IDLE["tls portico"]})
        for kind in tls plain; do
            for s in "${ACTIVE[@]}"; do
                k="$kind $s"
                [[ $kind == tls || $s == portico ]] || continue
                if [[ -z ${IDLE[$k]:-} ]]; then
                    idle_row "$s" "$kind" failed - - - -
                    continue
                fi
                rr="-"
                # shellcheck disable=SC2086
                [[ $kind != tls || $s == portico ]] || rr=$(ratio "$pk" "$(median ${IDLE[$k]})")
                # shellcheck disable=SC2086
                idle_row "$s" "$kind" "$(printf %.1f "$(median ${IDLE[$k]})")" "$(range_of %.1f ${IDLE[$k]})" \
                    "$(fmt_int "$(median ${IDLE_RSS0[$k]})") KiB" "$(fmt_int "$(median ${IDLE_RSS1[$k]})") KiB" "$rr"
            done
        done
    fi
    echo
    for s in "${ACTIVE[@]}"; do
        echo "- $s negotiated: ${PROTO[$s]:-unknown} (tls_client's first handshake)"
    done
    error_logs
    report_problems
}

# error_logs: per server, the lines of its error log and stderr but the
# debug, info and notice ones and h2o's start and stop messages.
error_logs() {
    local s
    local -a lines
    echo
    for s in "${ACTIVE[@]}"; do
        mapfile -t lines < <(cat "$TMP/$s/error.log" "$TMP/$s/stderr.log" 2>/dev/null |
            grep -v -i -E '^$|\[(debug|info|notice)\]|is ready to serve requests$|^received SIGTERM, gracefully shutting down$' || true)
        if ((${#lines[@]} == 0)); then
            echo "- $s's error log: nothing beyond start and stop."
        else
            echo "- $s's error log: ${#lines[@]} line(s), the first ones:"
            printf -- '    %s\n' "${lines[@]:0:6}"
        fi
    done
}

# into_report MD: MD as the TLS section of REPORT_DIR/report.md (make
# bench's report), replacing the one there, if that report exists.
into_report() {
    local rep=$REPORT_DIR/report.md
    [[ -f $rep ]] || return 0
    {
        awk '/^<!-- bench-tls -->$/ { skip = 1 } !skip { print } /^<!-- \/bench-tls -->$/ { skip = 0 }' "$rep"
        echo "<!-- bench-tls -->"
        cat "$1"
        echo "<!-- /bench-tls -->"
    } >"$rep.tmp" && mv "$rep.tmp" "$rep"
    echo "bench: the TLS section of $rep updated" >&2
}

mkdir -p "$REPORT_DIR"
rc=0
report >"$REPORT_DIR/tls.md" || rc=1
cat "$REPORT_DIR/tls.md"
report_html "$REPORT_DIR/tls.html" "$REPORT_DIR/tls.md" "$TMP/chart.tsv" \
    "Server CPU µs per request (per connection for full and resumed; median of $ROUNDS round(s); lower is better)"
into_report "$REPORT_DIR/tls.md"
echo "bench: report in $REPORT_DIR/tls.md and, with a chart, $REPORT_DIR/tls.html" >&2
exit "$rc"
