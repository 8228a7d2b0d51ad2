# shellcheck shell=bash
# bench/lib.sh -- what bench/run.sh and its sections share: servers started,
# pinned, measured and stopped; the cases and their rounds. Sourced, not run
# (bench/report.sh, sourced from here, makes the report).
#
# The driver, bench/run.sh, sets the knobs (DURATION ROUNDS WARMUP
# BASE_PORT PORTICO BENCH_CONNS BENCH_SERVER_CPU BENCH_CLIENT_CPU; an empty
# CPU means not pinned) and KNOWN (every server's name: the first gets
# BASE_PORT, the next BASE_PORT+1...), sources this file and the sections
# (bench/static.sh, proxy.sh, ...), calls bench_init and, per family of
# cases, family_up then run_case for each of its cases (see "cases" below).
# KEEP=1 in the environment keeps the scratch folder (configurations, logs,
# wrk reports) instead of removing it at exit.
# A helper process the servers need (proxy.sh's upstream) is started with
# start_aux; its CPU time counts neither as the server's nor as other load,
# and cleanup (or stop_aux) stops it.

HOST=127.0.0.1
SRV_PID=""      # the running server, if any
AUX_PIDS=()     # helper processes of the benchmark (start_aux), if any
WRK_PID=""      # the running wrk, if any
WRK_THREADS=1   # wrk -t
WRK_ARGS=()     # more wrk options for every run (e.g. -H 'Accept-Encoding: gzip')
LOADER=run_wrk  # what measure runs (see measure)
CPU_FIELDS=2    # server CPU time: 2 = utime+stime, 4 = also cutime+cstime
BUSY_IRQ=0      # 1: busy_ticks counts irq and softirq time too
READY_WHAT=answer
LAST_ANSWER=""
CHILD_MS=0
CMD=()          # the command of the server being started
PIN=()          # set by pin
declare -gA CMDS=() BROKEN=()
WARNINGS=()
NOISY=()        # runs during which other load took over 10% of a CPU

# ---------------------------------------------------------------- basics
die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# check_knobs VAR...: each is a non-negative integer; ROUNDS and DURATION >= 1.
check_knobs() {
    local v
    for v in "$@"; do
        [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
    done
    ((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
    ((DURATION >= 1)) || die "DURATION must be >= 1"
}

# need TOOL...: dies, saying where to get it, when a tool is missing.
need() {
    local t hint
    for t in "$@"; do
        case $t in
        wrk) hint=" (apt-get install -y wrk)" ;;
        taskset) hint=" (util-linux)" ;;
        *) hint="" ;;
        esac
        command -v "$t" >/dev/null || die "$t not found$hint"
    done
}

# ---------------------------------------------------------------- cleanup
# bench_init PREFIX: sets CLK_TCK, makes the scratch folder TMP
# (/tmp/PREFIX.XXXXXX) and sets the traps that, on exit, Ctrl-C, TERM or
# HUP, stop wrk and the server and remove TMP.
bench_init() {
    CLK_TCK=$(getconf CLK_TCK)
    TMP=$(mktemp -d "/tmp/$1.XXXXXX")
    trap cleanup EXIT
    trap 'echo "bench: interrupted" >&2; exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

# descendants PID: all descendant PIDs of PID, depth first.
descendants() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null || true); do
        echo "$c"
        descendants "$c"
    done
}

# tree_pids PID: PID and its descendants, sorted, on one line: compared
# before and after a run, a change shows a process that died (a crash?).
tree_pids() {
    { echo "$1"; descendants "$1"; } | sort -n | tr '\n' ' '
}

# stop_server: stop_tree SRV_PID.
stop_server() {
    [[ -n $SRV_PID ]] || return 0
    local pid=$SRV_PID
    SRV_PID=""
    stop_tree "$pid"
}

# stop_tree PID: SIGTERM to PID, up to 5 s for a graceful stop, then
# SIGKILL to whatever is left of it and its descendants (workers, scripts).
stop_tree() {
    local pid=$1 i
    local -a kids
    mapfile -t kids < <(descendants "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    mapfile -t -O "${#kids[@]}" kids < <(descendants "$pid")
    kill -KILL "$pid" "${kids[@]}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# cleanup: the EXIT trap: stops wrk, the server and AUX_PIDS, removes TMP
# (unless KEEP=1), and exits with the status the script was exiting with.
cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $WRK_PID ]]; then
        kill -TERM "$WRK_PID" 2>/dev/null || true
        wait "$WRK_PID" 2>/dev/null || true
    fi
    stop_server
    local p
    for p in "${AUX_PIDS[@]}"; do stop_tree "$p"; done
    if [[ ${KEEP:-0} == 1 ]]; then
        note "kept $TMP (configurations, logs, wrk reports)"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- servers
# server_bin NAME PACKAGE: prints the path of server NAME (on PATH or in
# /usr/sbin); returns 1 after a note naming PACKAGE when there is none.
server_bin() {
    local bin
    bin=$(command -v "$1" || true)
    [[ -z $bin && -x /usr/sbin/$1 ]] && bin=/usr/sbin/$1
    if [[ -z $bin ]]; then
        note "skipping $1: not installed (apt-get install -y $2)"
        return 1
    fi
    echo "$bin"
}

# check_config NAME WHAT CMD...: runs CMD, NAME's config test, into
# $TMP/FAM/NAME/check.log; if it fails, notes "skipping NAME: WHAT failed:"
# with that log and returns 1.
check_config() {
    local s=$1 what=$2 log=$TMP/$FAM/$1/check.log
    shift 2
    "$@" >"$log" 2>&1 && return 0
    note "skipping $s: $what failed:"
    sed 's/^/    /' "$log" >&2
    return 1
}

# portico_conf WORKERS ERROR_LOG PORT [ROOT_LOCATION]: a portico.yaml
# serving DOCROOT on HOST:PORT with long keep-alive and room for 16,384
# connections, its location / being ROOT_LOCATION (YAML flow map; default
# {}: static files); locations may be appended to it.
portico_conf() {
    cat <<EOF
workers: $1
error_log: $2
access_log: off
pid_file: off
limits:
  keepalive_requests: 100000
  connections: 16384
servers:
  - listen: "$HOST:$3"
    root: $DOCROOT
    locations:
      /: ${4:-"{}"}
EOF
}

# portico_cmd DIR: checks PORTICO and DIR/portico.yaml and prints the
# command; returns 1 after a note when portico cannot run.
portico_cmd() {
    if [[ ! -x $PORTICO ]]; then
        note "skipping portico: $PORTICO not built yet (run make first)"
        return 1
    fi
    check_config portico "its configuration check" "$PORTICO" -t -c "$1/portico.yaml" || return 1
    printf '%s\n' "$PORTICO" -c "$1/portico.yaml"
}

# lighttpd_prepare PORT DIR: writes DIR/lighttpd.conf, serving DOCROOT on
# HOST:PORT with long keep-alive, its logs in DIR, the rest of it read from
# stdin; checks it and prints the command. Returns 1 after a note when
# lighttpd cannot run.
lighttpd_prepare() {
    local bin conf=$2/lighttpd.conf
    bin=$(server_bin lighttpd lighttpd) || return 1
    cat >"$conf" <<EOF
server.document-root = "$DOCROOT"
server.bind = "$HOST"
server.port = $1
server.errorlog = "$2/error.log"
server.pid-file = "$2/lighttpd.pid"
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = 75
server.max-connections = 10000
server.max-fds = 20000
EOF
    cat >>"$conf"
    check_config lighttpd "configuration test" "$bin" -tt -f "$conf" || return 1
    printf '%s\n' "$bin" -D -f "$conf"
}

# nginx_prepare NAME DIR: writes DIR/nginx.conf, a single nginx process
# (no master; NGINX_WORKERS > 1: a master and that many workers) with its pid, error log (warn and up) and temporary files in
# DIR, no access log and long keep-alive, the rest of its http { } block
# (the server blocks) read from stdin; checks it and prints the command.
# Returns 1 after a note naming NAME when nginx cannot run.
nginx_prepare() {
    local bin dir=$2 conf=$2/nginx.conf
    bin=$(server_bin nginx nginx-light) || return 1
    mkdir -p "$dir/tmp"
    cat >"$conf" <<EOF
daemon off;
master_process $( ((${NGINX_WORKERS:-1} > 1)) && echo on || echo off);
worker_processes ${NGINX_WORKERS:-1};
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 16384;
    multi_accept on;
}
http {
    default_type application/octet-stream;
    access_log off;
    tcp_nodelay on;
    keepalive_timeout 75s;
    keepalive_requests 100000;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
EOF
    cat >>"$conf"
    echo "}" >>"$conf"
    check_config "$1" "configuration test" \
        "$bin" -t -p "$dir" -e "$dir/error.log" -c "$conf" || return 1
    printf '%s\n' "$bin" -p "$dir" -e "$dir/error.log" -c "$conf"
}

# nginx_files: the lines of an http { } block with which nginx sends files
# at its best: sendfile, tcp_nopush and an open_file_cache (errors too).
nginx_files() {
    cat <<EOF
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    open_file_cache_errors on;
    log_not_found off;
EOF
}

# h2o_prepare PORT DIR: writes DIR/h2o.conf, h2o with H2O_THREADS threads
# (default 1) on HOST:PORT (H2O_LISTEN: more lines of its listen map, such
# as an ssl map, indented by 2), its pid and error log in DIR, room for
# 16,384 connections, the paths of its one host read from stdin (YAML
# indented by 6: "/:", then its handler by 8); checks it and prints the
# command. Returns 1 after a note when h2o cannot run.
h2o_prepare() {
    local bin userline=""
    bin=$(server_bin h2o h2o) || return 1
    # h2o refuses to run as root without a user to switch to; it opens its
    # pid file after switching, so that user gets the folder.
    if [[ $(id -u) == 0 ]]; then
        userline="user: nobody"
        chown nobody "$2"
    fi
    cat >"$2/h2o.conf" <<EOF
$userline
num-threads: ${H2O_THREADS:-1}
pid-file: $2/h2o.pid
error-log: $2/error.log
http1-request-timeout: 75
max-connections: 16384
listen:
  host: $HOST
  port: $1
${H2O_LISTEN:-}
hosts:
  default:
    paths:
EOF
    cat >>"$2/h2o.conf"
    check_config h2o "configuration test" "$bin" -t -c "$2/h2o.conf" || return 1
    printf '%s\n' "$bin" -c "$2/h2o.conf"
}

# caddy_prepare DIR: writes DIR/Caddyfile, caddy without its admin API,
# automatic HTTPS or access log, its state in DIR, the site blocks read
# from stdin; checks it and prints the command (GOMAXPROCS: CADDY_PROCS,
# default 1, as the others run one thread). Returns 1 after a note when
# caddy cannot run.
caddy_prepare() {
    local bin dir=$1
    bin=$(server_bin caddy caddy) || return 1
    {
        printf '{\n    admin off\n    auto_https off\n'
        printf '    storage file_system %s/data\n}\n' "$dir"
        cat
    } >"$dir/Caddyfile"
    check_config caddy "configuration check" env HOME="$dir" XDG_DATA_HOME="$dir" XDG_CONFIG_HOME="$dir" \
        "$bin" validate --config "$dir/Caddyfile" --adapter caddyfile || return 1
    printf '%s\n' env GOMAXPROCS="${CADDY_PROCS:-1}" HOME="$dir" XDG_DATA_HOME="$dir" XDG_CONFIG_HOME="$dir" \
        "$bin" run --config "$dir/Caddyfile" --adapter caddyfile
}

# port_of [FAM/]NAME: BASE_PORT plus the place of NAME in KNOWN (0 for the
# first).
port_of() {
    local k i=0
    for k in $KNOWN; do
        if [[ $k == "${1##*/}" ]]; then
            echo $((BASE_PORT + i))
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

# port_busy PORT: something already listens on HOST:PORT.
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# status_of PORT PATH: the HTTP status of GET PATH on HOST:PORT (000: none).
status_of() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$1$2" || true
}

# ready NAME PORT: the started server NAME is ready: FAM_ready (which may
# set LAST_ANSWER for the note).
ready() { "${FAM}_ready" "$@"; }

# pin CPU: sets PIN to the command prefix that runs a command on CPU
# (taskset), or to nothing when CPU is empty.
pin() {
    PIN=()
    [[ -z $1 ]] || PIN=(taskset -c "$1")
}

# start_server FAM/NAME: start_on FAM/NAME, its port (port_of NAME) and
# SERVER_CPU.
start_server() {
    start_on "$1" "$(port_of "$1")" "${SERVER_CPU:-}"
}

# start_aux FAM/NAME PORT CPU: start_on for a helper process (an upstream),
# which then goes into AUX_PIDS, not SRV_PID.
start_aux() {
    start_on "$@" || return 1
    AUX_PIDS+=("$SRV_PID")
    SRV_PID=""
}

# start_on NAME PORT CPU: starts CMD as SRV_PID on CPU, its output in
# $TMP/NAME/, and waits up to 10 s for `ready NAME PORT`; returns 1 after a
# note if it exits or does not get ready (then it is stopped). READY_WHAT
# ends the time-out note "NAME did not ...".
start_on() {
    local s=$1 port=$2 dir=$TMP/$1 i
    if port_busy "$port"; then
        note "port $port is already in use; set BASE_PORT"
        return 1
    fi
    LAST_ANSWER=""
    pin "$3"
    # its own session: lighttpd with workers signals its whole process group
    setsid "${PIN[@]}" "${CMD[@]}" >"$dir/stdout.log" 2>"$dir/stderr.log" </dev/null &
    SRV_PID=$!
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            wait "$SRV_PID" 2>/dev/null || true
            SRV_PID=""
            note "$s exited at start-up:"
            tail -n 20 "$dir/stderr.log" "$dir/error.log" 2>/dev/null | sed 's/^/    /' >&2
            return 1
        fi
        ready "$s" "$port" && return 0
        sleep 0.1
    done
    note "$s did not $READY_WHAT on port $port within 10 s${LAST_ANSWER:+ (last answer: ${LAST_ANSWER:0:80})}"
    stop_server
    return 1
}

# ---------------------------------------------------------------- measures
# stat_ticks N PID...: CPU clock ticks of the PIDs (/proc/PID/stat), N=2:
# utime+stime; N=4: also cutime+cstime, the time of the children they
# reaped. comm may hold spaces, so fields are counted after the last ')':
# that rest starts at field 3, field N is f[N-3]. Gone PIDs are skipped.
stat_ticks() {
    local n=$1 total=0 p st rest
    local -a f
    shift
    for p in "$@"; do
        st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${st##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
        if ((n == 4)); then total=$((total + f[13] + f[14])); fi
    done
    echo "$total"
}

# cpu_ticks PID: stat_ticks CPU_FIELDS of PID and all its descendants.
cpu_ticks() {
    # shellcheck disable=SC2046 # one PID a word
    stat_ticks "$CPU_FIELDS" "$1" $(descendants "$1")
}

# aux_ticks: utime+stime of AUX_PIDS and their descendants (0 if none).
aux_ticks() {
    local p total=0
    for p in "${AUX_PIDS[@]}"; do
        # shellcheck disable=SC2046 # one PID a word
        total=$((total + $(stat_ticks 2 "$p" $(descendants "$p"))))
    done
    echo "$total"
}

# busy_ticks: user+nice+system+steal ticks so far of SERVER_CPU and
# CLIENT_CPU (/proc/stat), with BUSY_IRQ=1 also irq+softirq. What they gain
# beyond the server's and wrk's own CPU time is other load (other processes,
# or the hypervisor's steal) that makes req/s unreliable. irq/softirq time
# is best left out: on loopback it is mostly the benchmark's own packets.
busy_ticks() {
    awk -v a="cpu${SERVER_CPU:-}" -v b="cpu${CLIENT_CPU:-}" -v irq="$BUSY_IRQ" '
        $1 == a || $1 == b { t += $2 + $3 + $4 + $9; if (irq) t += $7 + $8 }
        END { print t + 0 }' /proc/stat
}

# children_ms: sets CHILD_MS to the CPU time (ms) of this shell's reaped
# children (wrk), from bash's `times`; call it in this shell, not in a
# subshell (a subshell would report its own children).
children_ms() {
    local -a t
    times >"$TMP/times"
    read -r -a t < <(tail -n 1 "$TMP/times")
    CHILD_MS=$(awk -v u="${t[0]}" -v s="${t[1]}" 'function ms(x,  m) {
        m = x; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", x); sub(/s$/, "", x)
        return (m * 60 + x) * 1000 }
        BEGIN { printf "%.0f", ms(u) + ms(s) }')
}

# run_wrk SECONDS URL OUT: wrk (WRK_THREADS threads, CONNS connections,
# WRK_ARGS) on CLIENT_CPU, its report in OUT; in the background, so that
# cleanup can stop it. Returns wrk's status.
run_wrk() {
    local rc=0
    pin "${CLIENT_CPU:-}"
    "${PIN[@]}" wrk -t"$WRK_THREADS" -c"$CONNS" -d"$1s" "${WRK_ARGS[@]}" "$2" >"$3" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    return "$rc"
}

# warm_up URL: WARMUP seconds of wrk on URL (none if 0); failures ignored.
warm_up() {
    ((WARMUP > 0)) || return 0
    run_wrk "$WARMUP" "$1" /dev/null || true
}

# measure LABEL URL OUT [SETTLE]: one wrk run of DURATION seconds on URL
# against SRV_PID, wrk's report in OUT, SETTLE seconds of wait before the
# server's CPU time is read. The run is `$LOADER SECONDS URL OUT`: run_wrk
# unless a script sets LOADER to another client (one that reports in wrk's
# words and sets WRK_PID while it runs, as run_wrk does). Sets RUN_NS (wall time), RUN_TICKS (server's
# cpu_ticks), RUN_AUX_TICKS (aux_ticks), RUN_WRK_MS (wrk's CPU time),
# RUN_BUSY (busy_ticks), then wrk_stats and shares. Returns 1 after a note
# naming LABEL if it failed.
measure() {
    local label=$1 out=$3 w0 b0 t0 a0 k0
    w0=$(date +%s%N)
    b0=$(busy_ticks)
    t0=$(cpu_ticks "$SRV_PID")
    a0=$(aux_ticks)
    children_ms
    k0=$CHILD_MS
    if ! "$LOADER" "$DURATION" "$2" "$out"; then
        note "wrk failed against $label:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    RUN_NS=$(($(date +%s%N) - w0))
    children_ms
    RUN_WRK_MS=$((CHILD_MS - k0))
    [[ ${4:-0} == 0 ]] || sleep "$4"
    RUN_TICKS=$(($(cpu_ticks "$SRV_PID") - t0))
    RUN_AUX_TICKS=$(($(aux_ticks) - a0))
    RUN_BUSY=$(($(busy_ticks) - b0))
    wrk_stats "$label" "$out" || return 1
    shares
}

# wrk_stats LABEL OUT: reads wrk's report OUT into RUN_REQS, RUN_RPS,
# RUN_NON2XX and RUN_SOCKERR; returns 1 after a note if nothing completed.
wrk_stats() {
    RUN_REQS=$(awk '/ requests in /{print $1; exit}' "$2")
    RUN_RPS=$(awk '/^Requests\/sec:/{print $2; exit}' "$2")
    RUN_NON2XX=$(awk '/Non-2xx or 3xx responses:/{print $NF; exit}' "$2")
    RUN_SOCKERR=$(awk '/Socket errors:/{sub(/.*Socket errors: /,""); print; exit}' "$2")
    if [[ -z $RUN_REQS || -z $RUN_RPS || $RUN_REQS == 0 ]]; then
        note "no requests completed against $1:"
        sed 's/^/    /' "$2" >&2
        return 1
    fi
}

# shares: sets RUN_UTIL, the share of one CPU (%) the server used, and
# RUN_OTHER, the CPU time (% of one CPU) the two CPUs spent on anything but
# the server, its helpers (AUX_PIDS) and wrk.
shares() {
    RUN_UTIL=$(awk -v d="$RUN_TICKS" -v hz="$CLK_TCK" -v ns="$RUN_NS" \
        'BEGIN{printf "%.0f", d / hz * 1e11 / ns}')
    RUN_OTHER=$(awk -v d=$((RUN_BUSY - RUN_TICKS - RUN_AUX_TICKS)) -v hz="$CLK_TCK" -v wrk="$RUN_WRK_MS" \
        -v ns="$RUN_NS" 'BEGIN{x = (d / hz - wrk / 1000) * 1e11 / ns; printf "%.0f", x < 0 ? 0 : x}')
}

# per_req TICKS FORMAT: TICKS as CPU microseconds per request of the run,
# printed with the printf FORMAT.
per_req() {
    awk -v d="$1" -v hz="$CLK_TCK" -v n="$RUN_REQS" -v f="$2" 'BEGIN{printf f, d / hz * 1e6 / n}'
}

# flag_run KEY EXPECT: notes run KEY ("round R, NAME...") in NOISY if other
# load took over 10% of a CPU, and in WARNINGS for socket errors and for
# answers not as EXPECTed: "ok" (2xx or 3xx) or "errors" (all non-2xx).
flag_run() {
    local key=$1
    if ((RUN_OTHER > 10)); then NOISY+=("$key: ${RUN_OTHER}%"); fi
    if [[ $2 == ok && -n $RUN_NON2XX ]]; then
        WARNINGS+=("$key: $RUN_NON2XX non-2xx responses")
    elif [[ $2 == errors && ${RUN_NON2XX:-0} != "$RUN_REQS" ]]; then
        WARNINGS+=("$key: only ${RUN_NON2XX:-0} of $RUN_REQS responses were errors")
    fi
    [[ -z $RUN_SOCKERR ]] || WARNINGS+=("$key: socket errors: $RUN_SOCKERR")
}

# stop_aux: stops the helper processes (AUX_PIDS).
stop_aux() {
    local p
    for p in "${AUX_PIDS[@]}"; do stop_tree "$p"; done
    AUX_PIDS=()
}

# ---------------------------------------------------------------- clients
# run_client SECONDS URL OUT: measure's LOADER for the handshake cases:
# CLIENT (bench/tls_client.c) -m CLIENT_MODE with HS_CONNS connections in
# flight on CLIENT_CPU against https://HOST:PORT/PATH, in the background.
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

# own_pids PID: the server's own processes: PID and those of its
# descendants that run the same executable (no CGI scripts), on one line.
own_pids() {
    local p exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
    for p in "$1" $(descendants "$1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null || true) == "$exe" ]] && echo "$p"
    done | sort -n | tr '\n' ' '
}

# idle_run CASE NAME ROUND MODE PORT: IDLE_CONNS idle keep-alive
# connections (CLIENT -m MODE: idle over TLS, plain-idle without; each did
# one GET /1k.bin, 64 at a time) to the freshly started server NAME on
# PORT; the result is the growth of its RSS (all its processes) per
# connection, in bytes. Returns 1 after a note if not all got their answer.
idle_run() {
    local c=$1 s=$2 r=$3 out=$TMP/$FAM/$2/$1-$3.txt r0 r1 i got closed
    sleep 0.3
    r0=$(rss_kb "$SRV_PID")
    pin "${CLIENT_CPU:-}"
    "${PIN[@]}" "$CLIENT" -m "$4" -n "$IDLE_CONNS" -c 64 -d 120 -v "$TLS_VERSION" -s localhost \
        "$HOST" "$5" /1k.bin >"$out" 2>&1 &
    WRK_PID=$!
    for ((i = 0; i < 600; i++)); do
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
        note "$s: only ${got:-0} of $IDLE_CONNS idle connections got their answer:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    [[ ${closed:-0} == 0 ]] ||
        WARNINGS+=("round $r, $s, $c: the server closed $closed of the idle connections before the end")
    RUN_UTIL="" RUN_OTHER=""
    result "$c" "$s" "$r" "$(awk -v a="$r0" -v b="$r1" -v n="$IDLE_CONNS" 'BEGIN{printf "%.0f", (b - a) * 1024 / n}')" "" \
        "RSS $r0 -> $r1 KiB"
}

# ---------------------------------------------------------------- cases
# A case is one measurement that each of its servers gets in every round.
# A section file (bench/static.sh, proxy.sh...) declares its cases with
# def_case and defines, for its family FAM (a name for the cases that share
# the servers' configurations; it is also a group name for ONLY):
#   FAM_setup                  once, before its first case: files, helpers (optional)
#   FAM_prepare NAME PORT DIR  writes NAME's configuration into DIR and prints
#                              its command, one word a line; returns 1 after
#                              a note when NAME cannot run
#   FAM_ready NAME PORT        the started server answers
#   FAM_check NAME             its answers are right (preflight; a note says why not)
#   FAM_env CASE               sets CASE's knobs over case_defaults (optional)
#   FAM_run CASE NAME ROUND    one measurement (warm-up included): result, or 1
#   FAM_teardown               after its last case (optional)
declare -gA C_FAM=() C_UNIT=() C_BETTER=() C_SERVERS=() C_LABEL=() FAM_ACTIVE=()
CASE_ORDER=()   # every case, in the order they run
FAM=""          # the family being run

# def_case NAME FAMILY UNIT BETTER "SERVERS" LABEL: declares case NAME:
# its value is in UNIT, BETTER is hi or lo, SERVERS those that can run it.
# shellcheck disable=SC2034 # C_BETTER and C_LABEL are for the driver
def_case() {
    CASE_ORDER+=("$1")
    C_FAM[$1]=$2 C_UNIT[$1]=$3 C_BETTER[$1]=$4 C_SERVERS[$1]=$5 C_LABEL[$1]=$6
}

# has_fn NAME: a function NAME is defined.
has_fn() { declare -F "$1" >/dev/null; }

# selected CASE: ONLY (a comma list of case and family names) is empty or
# names CASE or its family.
selected() {
    [[ -z ${ONLY:-} || ",$ONLY," == *",$1,"* || ",$ONLY," == *",${C_FAM[$1]},"* ]]
}

# check_only: dies when ONLY names something that is neither a case nor a family.
check_only() {
    local w
    local -a words
    IFS=, read -r -a words <<<"${ONLY:-}"
    for w in "${words[@]}"; do
        [[ -n ${C_FAM[$w]:-} || " ${C_FAM[*]} " == *" $w "* ]] ||
            die "ONLY: no case or group '$w' (cases: ${CASE_ORDER[*]}; groups: $(printf '%s\n' "${C_FAM[@]}" | sort -u | tr '\n' ' '))"
    done
}

# family_up FAM SERVERS...: FAM_setup, then each server's configuration
# (in $TMP/FAM/NAME) and preflight; FAM_ACTIVE[FAM] gets those that pass.
# Returns 1 when none does.
family_up() {
    local fam=$1 s dir cmd
    local -a ok=()
    shift
    FAM=$fam
    mkdir -p "$TMP/$fam"
    chmod 755 "$TMP/$fam"
    if has_fn "${fam}_setup" && ! "${fam}_setup"; then
        note "$fam: its setup failed; its cases are skipped"
        return 1
    fi
    for s in "$@"; do
        dir=$TMP/$fam/$s
        mkdir -p "$dir"
        chmod 755 "$dir"  # servers may drop privileges when started as root
        cmd=$("${fam}_prepare" "$s" "$(port_of "$s")" "$dir") || continue
        CMDS[$fam/$s]=$cmd
        if preflight "$fam" "$s"; then ok+=("$s"); fi
    done
    FAM_ACTIVE[$fam]="${ok[*]}"
    ((${#ok[@]} > 0))
}

# preflight FAM NAME: starts NAME with FAM's configuration once and runs
# FAM_check on it; returns 1 after a note (the first line of why) if it
# fails; for portico the whole story, and a warning in the report.
preflight() {
    local log=$TMP/$1/$2/preflight.txt
    mapfile -t CMD <<<"${CMDS[$1/$2]}"
    if start_server "$1/$2" 2>"$log" && "${1}_check" "$2" 2>>"$log"; then
        stop_server
        return 0
    fi
    stop_server
    if [[ $2 == portico ]]; then
        cat "$log" >&2
        WARNINGS+=("portico failed the $1 cases' check (see the messages): they ran without it")
    else
        note "skipping $2 for the $1 cases: $(head -n 1 "$log" | sed 's/^bench: //')"
    fi
    return 1
}

# rotated R WORD...: the words, rotated left by R-1 places (round R's order).
rotated() {
    local -a w=("${@:2}")
    local k=$((($1 - 1) % ($# > 1 ? $# - 1 : 1)))
    echo "${w[@]:k}" "${w[@]:0:k}"
}

# case_servers CASE: the servers of CASE that passed its family's preflight.
case_servers() {
    local s out=()
    for s in ${FAM_ACTIVE[${C_FAM[$1]}]:-}; do
        [[ " ${C_SERVERS[$1]} " != *" $s "* ]] || out+=("$s")
    done
    echo "${out[*]}"
}

# case_defaults: the knobs each case starts from (FAM_env may change them).
case_defaults() {
    CONNS=$BENCH_CONNS WRK_THREADS=1 WRK_ARGS=() LOADER=run_wrk CPU_FIELDS=2
    SERVER_CPU=$BENCH_SERVER_CPU CLIENT_CPU=$BENCH_CLIENT_CPU
}

# run_case CASE: ROUNDS rounds of CASE; in each, every server of it in turn
# (the order rotated by one place a round), started afresh, given to
# FAM_run, stopped. A server that does not start is not tried again.
run_case() {
    local c=$1 r s key
    local -a order
    case_defaults
    ! has_fn "${FAM}_env" || "${FAM}_env" "$c"
    for ((r = 1; r <= ROUNDS; r++)); do
        # shellcheck disable=SC2046 # one server a word
        read -r -a order <<<"$(rotated "$r" $(case_servers "$c"))"
        for s in "${order[@]}"; do
            key=$FAM/$s
            [[ -z ${BROKEN[$key]:-} ]] || continue
            mapfile -t CMD <<<"${CMDS[$key]}"
            if ! start_server "$key"; then
                BROKEN[$key]=1
                continue
            fi
            "${FAM}_run" "$c" "$s" "$r" || WARNINGS+=("round $r, $s, $c: no result (see the messages)")
            stop_server
        done
    done
}

# result CASE NAME ROUND VALUE CPU [NOTE]: records one measurement (CPU:
# server CPU us per request, or empty) in RESULTS, NOTE in NOTES, and says
# it on stderr.
result() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RESULTS"
    [[ -z ${6:-} ]] || printf '%s\t%s\t%s\n' "$1" "$2" "$6" >>"$NOTES"
    printf '  round %d  %-12s %-8s %11s %-6s %9s us/req  server %3s%% CPU, others %3s%%%s\n' "$3" "$1" "$2" \
        "$4" "${C_UNIT[$1]}" "${5:--}" "${RUN_UTIL:--}" "${RUN_OTHER:--}" "${6:+  ($6)}" >&2
}

# wrk_run CASE NAME ROUND URL [EXPECT [SETTLE]]: a warm-up, then measure
# URL (SETTLE: see measure) and flag_run with EXPECT (default ok); sets
# RUN_US, the server's CPU us per request. Warns when the server's own
# processes changed during the run (a crash?).
wrk_run() {
    local c=$1 s=$2 r=$3 p0 p1
    warm_up "$4"
    p0=$(own_pids "$SRV_PID")
    measure "$s ($c)" "$4" "$TMP/$FAM/$s/$c-$r.txt" "${6:-0}" || return 1
    p1=$(own_pids "$SRV_PID")
    [[ $p0 == "$p1" ]] ||
        WARNINGS+=("round $r, $s, $c: its processes changed during the run ($p0-> $p1): a crash? (see its error log)")
    RUN_US=$(per_req "$RUN_TICKS" %.3f)
    flag_run "round $r, $s, $c" "${5:-ok}"
}

# wrk_case CASE NAME ROUND URL [EXPECT]: wrk_run, and its req/s and CPU as the result.
wrk_case() {
    wrk_run "$@" || return 1
    result "$1" "$2" "$3" "$RUN_RPS" "$RUN_US"
}

# shellcheck source=report.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/report.sh"
