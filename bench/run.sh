#!/usr/bin/env bash
# bench/run.sh -- compare portico with nginx, h2o and lighttpd on loopback.
#
# Run from the repository root (make bench). For each round, each server is
# started in turn pinned to CPU 0 (single process / single worker, keep-alive)
# and loaded with wrk pinned to CPU 1 for three cases:
#   1k   GET /1k.bin   (1 KiB file)
#   1m   GET /1m.bin   (1 MiB file)
#   404  GET /missing  (not found)
# Reported per case and server: the median over ROUNDS of requests/s and of
# the server's CPU time per request (utime+stime of the server process and
# its descendants, from /proc/PID/stat), plus portico's ratio to each peer.
# Also shown: the share of a CPU the server used, and "other%", CPU time on
# the two CPUs taken by anything else (a busy machine makes req/s unreliable).
#
# Environment knobs:
#   DURATION   seconds per wrk run               (default 5)
#   ROUNDS     rounds; the median is kept        (default 3)
#   CONNS      wrk connections                   (default 50)
#   SERVERS    subset, e.g. "portico nginx"      (default "portico nginx h2o lighttpd")
#   WARMUP     seconds of warm-up after start    (default 1; 0 = none)
#   BASE_PORT  first loopback port               (default 18080; +0..+3)
#   PORTICO    portico binary                    (default ./portico)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset    (default 0 / 1)
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
SERVERS=${SERVERS:-"portico nginx h2o lighttpd"}
WARMUP=${WARMUP:-1}
BASE_PORT=${BASE_PORT:-18080}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
HOST=127.0.0.1
CASES=(1k 1m 404)

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

for v in DURATION ROUNDS CONNS WARMUP BASE_PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
((DURATION >= 1)) || die "DURATION must be >= 1"
command -v wrk >/dev/null || die "wrk not found (apt-get install -y wrk)"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
command -v curl >/dev/null || die "curl not found"
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d /tmp/portico-bench.XXXXXX)
SRV_PID=""     # the running server, if any
WRK_PID=""     # the running wrk, if any

descendants() {  # all descendant PIDs of $1, depth first
    local c
    for c in $(pgrep -P "$1" 2>/dev/null || true); do
        echo "$c"
        descendants "$c"
    done
}

stop_server() {
    [[ -n $SRV_PID ]] || return 0
    local pid=$SRV_PID i
    local -a kids
    SRV_PID=""
    mapfile -t kids < <(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do          # up to 5 s for a graceful stop
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # whatever is left (the server or any child it had) gets SIGKILL
    kill -KILL "$pid" "${kids[@]}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $WRK_PID ]]; then
        kill -TERM "$WRK_PID" 2>/dev/null || true
        wait "$WRK_PID" 2>/dev/null || true
    fi
    stop_server
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- docroot
DOCROOT=$TMP/www
mkdir -p "$DOCROOT"
head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$DOCROOT/1m.bin"
# h2o and friends may drop privileges when started as root: keep it readable.
chmod 755 "$TMP" "$DOCROOT"
chmod 644 "$DOCROOT"/*.bin

case_path() {
    case $1 in
        1k) echo /1k.bin ;;
        1m) echo /1m.bin ;;
        404) echo /missing ;;
    esac
}
case_status() { [[ $1 == 404 ]] && echo 404 || echo 200; }
case_size() {
    case $1 in
        1k) echo 1024 ;;
        1m) echo 1048576 ;;
        *) echo "" ;;
    esac
}

# ---------------------------------------------------------------- servers
port_of() {
    case $1 in
        portico) echo $((BASE_PORT + 0)) ;;
        nginx) echo $((BASE_PORT + 1)) ;;
        h2o) echo $((BASE_PORT + 2)) ;;
        lighttpd) echo $((BASE_PORT + 3)) ;;
    esac
}

# Writes the config of $1 into $TMP/$1/ and prints the command to run
# (one word per line). Returns 1 (after a message) if it cannot run.
prepare() {
    local s=$1 port dir
    port=$(port_of "$s")
    dir=$TMP/$s
    mkdir -p "$dir"
    chmod 755 "$dir"
    case $s in
    portico)
        if [[ ! -x $PORTICO ]]; then
            note "skipping portico: $PORTICO not built yet (run make first)"
            return 1
        fi
        cat >"$dir/portico.yaml" <<EOF
workers: 1
error_log: off
access_log: off
pid_file: off
limits:
  keepalive_requests: 100000
servers:
  - listen: "$HOST:$port"
    root: $DOCROOT
    locations:
      /: {}
EOF
        if ! "$PORTICO" -t -c "$dir/portico.yaml" >"$dir/check.log" 2>&1; then
            note "skipping portico: its configuration check failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$PORTICO" -c "$dir/portico.yaml"
        ;;
    nginx)
        local bin
        bin=$(command -v nginx || true)
        [[ -z $bin && -x /usr/sbin/nginx ]] && bin=/usr/sbin/nginx
        if [[ -z $bin ]]; then
            note "skipping nginx: not installed (apt-get install -y nginx-light)"
            return 1
        fi
        mkdir -p "$dir/tmp"
        cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log error;
events {
    worker_connections 4096;
    multi_accept on;
}
http {
    types {
        text/html html;
        application/octet-stream bin;
    }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen $HOST:$port;
        server_name localhost;
        root $DOCROOT;
        location / { }
    }
}
EOF
        if ! "$bin" -t -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/check.log" 2>&1; then
            note "skipping nginx: configuration test failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
        ;;
    h2o)
        local bin userline=""
        bin=$(command -v h2o || true)
        if [[ -z $bin ]]; then
            note "skipping h2o: not installed (apt-get install -y h2o)"
            return 1
        fi
        # h2o refuses to run as root without a user to switch to.
        # It opens its pid file after switching, so give that user the folder.
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
listen:
  host: $HOST
  port: $port
hosts:
  default:
    paths:
      /:
        file.dir: $DOCROOT
EOF
        if ! "$bin" -t -c "$dir/h2o.conf" >"$dir/check.log" 2>&1; then
            note "skipping h2o: configuration test failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$bin" -c "$dir/h2o.conf"
        ;;
    lighttpd)
        local bin
        bin=$(command -v lighttpd || true)
        [[ -z $bin && -x /usr/sbin/lighttpd ]] && bin=/usr/sbin/lighttpd
        if [[ -z $bin ]]; then
            note "skipping lighttpd: not installed (apt-get install -y lighttpd)"
            return 1
        fi
        cat >"$dir/lighttpd.conf" <<EOF
server.document-root = "$DOCROOT"
server.bind = "$HOST"
server.port = $port
server.errorlog = "$dir/error.log"
server.pid-file = "$dir/lighttpd.pid"
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = 75
server.max-connections = 4096
server.max-fds = 8192
server.modules = ()
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
EOF
        if ! "$bin" -tt -f "$dir/lighttpd.conf" >"$dir/check.log" 2>&1; then
            note "skipping lighttpd: configuration test failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$bin" -D -f "$dir/lighttpd.conf"
        ;;
    *)
        note "skipping unknown server '$s' (known: portico nginx h2o lighttpd)"
        return 1
        ;;
    esac
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# start_server NAME: starts it pinned to SERVER_CPU, waits until it answers.
start_server() {
    local s=$1 port dir i code
    port=$(port_of "$s")
    dir=$TMP/$s
    if port_busy "$port"; then
        note "port $port is already in use; set BASE_PORT"
        return 1
    fi
    taskset -c "$SERVER_CPU" "${CMD[@]}" >"$dir/stdout.log" 2>"$dir/stderr.log" </dev/null &
    SRV_PID=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            wait "$SRV_PID" 2>/dev/null || true
            SRV_PID=""
            note "$s exited at start-up:"
            tail -n 20 "$dir/stderr.log" "$dir/error.log" 2>/dev/null | sed 's/^/    /' >&2
            return 1
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$port/1k.bin" || true)
        [[ $code == 200 ]] && return 0
        sleep 0.1
    done
    note "$s did not answer on port $port within 10 s"
    stop_server
    return 1
}

# check_answers NAME: each case returns the expected status and size.
check_answers() {
    local s=$1 port c out code size ok=0
    port=$(port_of "$s")
    for c in "${CASES[@]}"; do
        out=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 \
            "http://$HOST:$port$(case_path "$c")" || true)
        code=${out% *} size=${out#* }
        if [[ $code != "$(case_status "$c")" ]]; then
            note "$s: $(case_path "$c") answered '$code', expected $(case_status "$c")"
            ok=1
        elif [[ -n $(case_size "$c") && $size != "$(case_size "$c")" ]]; then
            note "$s: $(case_path "$c") sent $size bytes, expected $(case_size "$c")"
            ok=1
        fi
    done
    return $ok
}

# cpu_ticks PID: utime+stime (clock ticks) of PID and all its descendants.
# /proc/PID/stat covers every thread of the process; comm may contain spaces,
# so fields are counted after the last ')': utime, stime are fields 14, 15.
cpu_ticks() {
    local total=0 p st rest
    local -a f
    for p in "$1" $(descendants "$1"); do
        st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${st##*) }
        read -r -a f <<<"$rest"
        # rest starts at field 3 (state): field N is f[N-3]
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# busy_ticks: user+nice+system+steal ticks so far of the server's and the
# client's CPUs (/proc/stat). What they gain beyond the server's and wrk's
# own CPU time is other load (other processes, or the hypervisor's steal)
# that makes req/s unreliable. irq/softirq time is left out: on loopback it
# is mostly the benchmark's own packet processing.
busy_ticks() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" \
        '$1 == a || $1 == b { t += $2 + $3 + $4 + $7 + $8 + $9 } END { print t }' /proc/stat
}

# children_ms: sets CHILD_MS to the CPU time (ms) of this shell's reaped
# children, from bash's `times` (run in this shell, not in a subshell: a
# subshell would report its own children).
CHILD_MS=0
children_ms() {
    local -a t
    times >"$TMP/times"
    read -r -a t < <(tail -n 1 "$TMP/times")
    CHILD_MS=$(awk -v u="${t[0]}" -v s="${t[1]}" 'function ms(x,  m) {
        m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x)
        return (m * 60 + x) * 1000 }
        BEGIN { printf "%.0f", ms(u) + ms(s) }')
}

# ---------------------------------------------------------------- results
declare -A RPS=() CPU=() UTIL=() OTHER=()  # key "case server" -> space-separated values per round
WARNINGS=()
NOISY=()   # runs during which other load took over 10% of a CPU

# run_case NAME CASE ROUND
run_case() {
    local s=$1 c=$2 r=$3 port out t0 t1 b0 b1 w0 w1 k0 k1 reqs rps us util other non2xx sockerr
    port=$(port_of "$s")
    out=$TMP/$s/wrk-$c-$r.txt
    w0=$(date +%s%N)
    b0=$(busy_ticks)
    t0=$(cpu_ticks "$SRV_PID")
    children_ms
    k0=$CHILD_MS
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" \
        "http://$HOST:$port$(case_path "$c")" >"$out" 2>&1 &
    WRK_PID=$!
    if ! wait "$WRK_PID"; then
        WRK_PID=""
        note "wrk failed against $s ($c):"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    WRK_PID=""
    children_ms
    k1=$CHILD_MS
    t1=$(cpu_ticks "$SRV_PID")
    b1=$(busy_ticks)
    w1=$(date +%s%N)
    reqs=$(awk '/ requests in /{print $1; exit}' "$out")
    rps=$(awk '/^Requests\/sec:/{print $2; exit}' "$out")
    if [[ -z $reqs || -z $rps || $reqs == 0 ]]; then
        note "no requests completed against $s ($c):"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$reqs" \
        'BEGIN{printf "%.3f", d / hz * 1e6 / n}')
    # share of one CPU the server used; other load on the two CPUs (% of one)
    util=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v ns=$((w1 - w0)) \
        'BEGIN{printf "%.0f", d / hz * 1e11 / ns}')
    other=$(awk -v d=$((b1 - b0 - (t1 - t0))) -v hz="$CLK_TCK" -v wrk=$((k1 - k0)) \
        -v ns=$((w1 - w0)) 'BEGIN{x = (d / hz - wrk / 1000) * 1e11 / ns; printf "%.0f", x < 0 ? 0 : x}')
    if ((other > 10)); then NOISY+=("round $r, $s, $c: ${other}%"); fi
    non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF; exit}' "$out")
    sockerr=$(awk '/Socket errors:/{sub(/.*Socket errors: /,""); print; exit}' "$out")
    if [[ $c != 404 && -n $non2xx ]]; then
        WARNINGS+=("round $r, $s, $c: $non2xx non-2xx responses")
    elif [[ $c == 404 && ${non2xx:-0} != "$reqs" ]]; then
        WARNINGS+=("round $r, $s, $c: only ${non2xx:-0} of $reqs responses were errors")
    fi
    [[ -n $sockerr ]] && WARNINGS+=("round $r, $s, $c: socket errors: $sockerr")
    RPS["$c $s"]+="$rps "
    CPU["$c $s"]+="$us "
    UTIL["$c $s"]+="$util "
    OTHER["$c $s"]+="$other "
    printf '  round %d  %-8s %-4s %12s req/s %9s us/req  server %3s%% CPU, others %3s%%  (%d ticks, %s requests)\n' \
        "$r" "$s" "$c" "$rps" "$us" "$util" "$other" $((t1 - t0)) "$reqs" >&2
}

median() {  # median of the numbers given as arguments
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{
        if (NR == 0) exit
        if (NR % 2) printf "%.3f", v[(NR+1)/2]
        else printf "%.3f", (v[NR/2] + v[NR/2+1]) / 2 }'
}

# ---------------------------------------------------------------- main
ACTIVE=()
declare -A CMDS=()
for s in $SERVERS; do
    if cmd=$(prepare "$s"); then
        ACTIVE+=("$s")
        CMDS[$s]=$cmd
    fi
done
((${#ACTIVE[@]} > 0)) || die "no server to benchmark"

echo "bench: servers: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
    "server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU" >&2

declare -A BROKEN=()
for ((r = 1; r <= ROUNDS; r++)); do
    for s in "${ACTIVE[@]}"; do
        [[ -n ${BROKEN[$s]:-} ]] && continue
        mapfile -t CMD <<<"${CMDS[$s]}"
        if ! start_server "$s"; then
            BROKEN[$s]=1
            continue
        fi
        if ! check_answers "$s"; then
            WARNINGS+=("$s: unexpected answers (see above); its numbers are suspect")
        fi
        if ((WARMUP > 0)); then
            taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" \
                "http://$HOST:$(port_of "$s")/1k.bin" >/dev/null 2>&1 &
            WRK_PID=$!
            wait "$WRK_PID" || true
            WRK_PID=""
        fi
        for c in "${CASES[@]}"; do
            run_case "$s" "$c" "$r" || BROKEN[$s]=1
        done
        stop_server
    done
done

# ---------------------------------------------------------------- report
fmt_rps() { awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
ratio() {  # ratio A B -> A/B with 2 decimals, or n/a
    if [[ -z $1 || -z $2 ]]; then echo "n/a"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

echo
echo "## portico benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
echo
echo "wrk -t1 -c$CONNS -d${DURATION}s, median of $ROUNDS round(s); server pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU;"
echo "CPU us/req = server utime+stime per request; srv CPU% = share of one CPU the server used;"
echo "other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything but the server and wrk (% of one CPU):"
echo "above ~10% the machine was busy and req/s is unreliable (CPU us/req much less affected)."
echo "Ratios are portico/peer: rps ratio higher is better, CPU ratio lower is better."
echo
printf '| %-4s | %-8s | %10s | %12s | %8s | %6s | %21s | %21s |\n' \
    case server "req/s" "CPU us/req" "srv CPU%" "other%" "rps ratio (portico/x)" "CPU ratio (portico/x)"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------ ---------- -----------: -------------: ---------: \
    -------: ----------------------: ----------------------:
for c in "${CASES[@]}"; do
    p_rps="" p_cpu=""
    if [[ -n ${RPS["$c portico"]:-} ]]; then
        # shellcheck disable=SC2086
        p_rps=$(median ${RPS["$c portico"]})
        # shellcheck disable=SC2086
        p_cpu=$(median ${CPU["$c portico"]})
    fi
    for s in "${ACTIVE[@]}"; do
        if [[ -z ${RPS["$c $s"]:-} ]]; then
            printf '| %-4s | %-8s | %10s | %12s | %8s | %6s | %21s | %21s |\n' "$c" "$s" failed - - - - -
            continue
        fi
        # shellcheck disable=SC2086
        m_rps=$(median ${RPS["$c $s"]})
        # shellcheck disable=SC2086
        m_cpu=$(median ${CPU["$c $s"]})
        # shellcheck disable=SC2086
        m_util=$(median ${UTIL["$c $s"]})
        # shellcheck disable=SC2086
        m_other=$(median ${OTHER["$c $s"]})
        if [[ $s == portico ]]; then
            rr="-" cr="-"
        else
            rr=$(ratio "$p_rps" "$m_rps")
            cr=$(ratio "$p_cpu" "$m_cpu")
        fi
        printf '| %-4s | %-8s | %10s | %12.2f | %8.0f | %6.0f | %21s | %21s |\n' \
            "$c" "$s" "$(fmt_rps "$m_rps")" "$m_cpu" "$m_util" "$m_other" "$rr" "$cr"
    done
done
if [[ ! " ${ACTIVE[*]} " =~ " portico " ]]; then
    echo
    echo "(portico was not run, so there are no ratios)"
fi
if ((${#NOISY[@]} > 0)); then
    echo
    echo "Busy machine: other load over 10% of a CPU in ${#NOISY[@]} run(s):"
    printf -- '- %s\n' "${NOISY[@]}"
fi
if ((${#WARNINGS[@]} > 0)); then
    echo
    echo "Warnings:"
    printf -- '- %s\n' "${WARNINGS[@]}"
fi
if ((${#BROKEN[@]} > 0)); then
    echo
    echo "Failed: ${!BROKEN[*]} (see messages above)"
    exit 1
fi
