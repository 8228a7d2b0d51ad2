# shellcheck shell=bash
# bench/lib.sh -- what bench/run.sh, bench/cgi.sh and bench/workers.sh share.
# Sourced (`. "$(dirname "$0")/lib.sh"`), not run. A script sets its knobs
# (DURATION ROUNDS CONNS WARMUP SERVERS BASE_PORT PORTICO SERVER_CPU
# CLIENT_CPU; an empty CPU means not pinned) and KNOWN, the servers it
# knows (the first gets BASE_PORT, the next BASE_PORT+1...), sources this
# file, calls bench_init, sets DOCROOT, and defines:
#   prepare NAME PORT DIR    writes NAME's config into DIR and prints its
#                            command, one word a line; returns 1 after a
#                            note when NAME cannot run
#   bench_server NAME ROUND  the runs of one round against the started server
# and may redefine ready (when a started server is ready) and READY_WHAT.
# KEEP=1 in the environment keeps the scratch folder (configurations, logs,
# wrk reports) instead of removing it at exit.
# A helper process the servers need (bench/proxy.sh's upstream) is started
# with start_aux; its CPU time counts neither as the server's nor as other
# load, and cleanup stops it.

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
ACTIVE=()       # the servers that can run
CMD=()          # the command of the server being started
PIN=()          # set by pin
declare -gA CMDS=() BROKEN=()
# per "key" (a server, or "case server"): space-separated values, one a round
declare -gA RPS=() CPU=() UTIL=() OTHER=()
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
# $TMP/NAME/check.log; if it fails, notes "skipping NAME: WHAT failed:"
# with that log and returns 1.
check_config() {
    local s=$1 what=$2 log=$TMP/$1/check.log
    shift 2
    "$@" >"$log" 2>&1 && return 0
    note "skipping $s: $what failed:"
    sed 's/^/    /' "$log" >&2
    return 1
}

# portico_conf WORKERS ERROR_LOG PORT [ROOT_LOCATION]: a portico.yaml
# serving DOCROOT on HOST:PORT with long keep-alive, its location / being
# ROOT_LOCATION (YAML flow map; default {}: static files); locations may be
# appended to it.
portico_conf() {
    cat <<EOF
workers: $1
error_log: $2
access_log: off
pid_file: off
limits:
  keepalive_requests: 100000
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
EOF
    cat >>"$conf"
    check_config lighttpd "configuration test" "$bin" -tt -f "$conf" || return 1
    printf '%s\n' "$bin" -D -f "$conf"
}

# nginx_prepare NAME DIR: writes DIR/nginx.conf, a single nginx process
# (no master) with its pid, error log (warn and up) and temporary files in
# DIR, no access log and long keep-alive, the rest of its http { } block
# (the server blocks) read from stdin; checks it and prints the command.
# Returns 1 after a note naming NAME when nginx cannot run.
nginx_prepare() {
    local bin dir=$2 conf=$2/nginx.conf
    bin=$(server_bin nginx nginx-light) || return 1
    mkdir -p "$dir/tmp"
    cat >"$conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 4096;
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
EOF
}

# h2o_prepare PORT DIR HANDLER: writes DIR/h2o.conf, h2o with one thread on
# HOST:PORT, its pid and error log in DIR, the path / handled by HANDLER
# (one line of YAML: "file.dir: ...", "proxy.reverse.url: ..."); checks it
# and prints the command. Returns 1 after a note when h2o cannot run.
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
num-threads: 1
pid-file: $2/h2o.pid
error-log: $2/error.log
http1-request-timeout: 75
listen:
  host: $HOST
  port: $1
hosts:
  default:
    paths:
      /:
        $3
EOF
    check_config h2o "configuration test" "$bin" -t -c "$2/h2o.conf" || return 1
    printf '%s\n' "$bin" -c "$2/h2o.conf"
}

# port_of NAME: BASE_PORT plus the place of NAME in KNOWN (0 for the first).
port_of() {
    local k i=0
    for k in $KNOWN; do
        if [[ $k == "$1" ]]; then
            echo $((BASE_PORT + i))
            return 0
        fi
        i=$((i + 1))
    done
    return 1
}

# prepare_all: runs prepare on each of SERVERS, with its port and its
# folder $TMP/NAME; ACTIVE gets those that can run, CMDS[NAME] their
# commands. Dies when none can.
prepare_all() {
    local s cmd dir
    for s in $SERVERS; do
        if [[ " $KNOWN " != *" $s "* ]]; then
            note "skipping unknown server '$s' (known: $KNOWN)"
            continue
        fi
        dir=$TMP/$s
        mkdir -p "$dir"
        chmod 755 "$dir"  # servers may drop privileges when started as root
        if cmd=$(prepare "$s" "$(port_of "$s")" "$dir"); then
            ACTIVE+=("$s")
            CMDS[$s]=$cmd
        fi
    done
    ((${#ACTIVE[@]} > 0)) || die "no server to benchmark"
}

# port_busy PORT: something already listens on HOST:PORT.
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# status_of PORT PATH: the HTTP status of GET PATH on HOST:PORT (000: none).
status_of() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$HOST:$1$2" || true
}

# ready NAME PORT: the started server NAME is ready: by default, it serves
# /1k.bin (a script may redefine this, setting LAST_ANSWER for the note).
ready() { [[ $(status_of "$2" /1k.bin) == 200 ]]; }

# pin CPU: sets PIN to the command prefix that runs a command on CPU
# (taskset), or to nothing when CPU is empty.
pin() {
    PIN=()
    [[ -z $1 ]] || PIN=(taskset -c "$1")
}

# start_server NAME: start_on NAME, its port (port_of) and SERVER_CPU.
start_server() {
    start_on "$1" "$(port_of "$1")" "${SERVER_CPU:-}"
}

# start_aux NAME PORT CPU: start_on for a helper process (an upstream),
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
    "${PIN[@]}" "${CMD[@]}" >"$dir/stdout.log" 2>"$dir/stderr.log" </dev/null &
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

# run_rounds: ROUNDS rounds; in each, every server of ACTIVE that has not
# failed yet is started, given to bench_server, and stopped. A server that
# fails to start or to run goes into BROKEN.
run_rounds() {
    local r s
    for ((r = 1; r <= ROUNDS; r++)); do
        for s in "${ACTIVE[@]}"; do
            [[ -z ${BROKEN[$s]:-} ]] || continue
            mapfile -t CMD <<<"${CMDS[$s]}"
            if ! start_server "$s"; then
                BROKEN[$s]=1
                continue
            fi
            bench_server "$s" "$r" || BROKEN[$s]=1
            stop_server
        done
    done
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

# run_cases NAME ROUND: the script's run_case NAME CASE ROUND for each of
# CASES; returns 1 if one failed.
run_cases() {
    local c rc=0
    for c in "${CASES[@]}"; do
        run_case "$1" "$c" "$2" || rc=1
    done
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

# record KEY US: appends the run's req/s, CPU us/req US, server CPU% and
# other% to RPS, CPU, UTIL and OTHER [KEY].
record() {
    RPS[$1]+="$RUN_RPS "
    CPU[$1]+="$2 "
    UTIL[$1]+="$RUN_UTIL "
    OTHER[$1]+="$RUN_OTHER "
}

# ---------------------------------------------------------------- report
# median N...: the median of the numbers, with 3 decimals.
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{
        if (NR == 0) exit
        if (NR % 2) printf "%.3f", v[(NR+1)/2]
        else printf "%.3f", (v[NR/2] + v[NR/2+1]) / 2 }'
}

# range_of FORMAT N...: "min-max" of the numbers, each printed with the
# printf FORMAT (nothing when there are none).
range_of() {
    local fmt=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$fmt" 'NR == 1 {lo = $1} {hi = $1}
        END { if (NR) printf f "-" f, lo, hi }'
}

# medians KEY: sets MED_RPS, MED_CPU, MED_UTIL and MED_OTHER to the medians
# over the rounds of RPS, CPU, UTIL and OTHER [KEY].
# shellcheck disable=SC2086,SC2034 # space-separated numbers; MED_* are for the caller
medians() {
    MED_RPS=$(median ${RPS[$1]})
    MED_CPU=$(median ${CPU[$1]})
    MED_UTIL=$(median ${UTIL[$1]})
    MED_OTHER=$(median ${OTHER[$1]})
}

# ratio A B: A/B with 2 decimals, or n/a.
ratio() {
    if [[ -z $1 || -z $2 ]]; then echo "n/a"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

# report_problems: prints the busy-machine runs, the warnings and the
# servers that failed; returns 1 if any did.
report_problems() {
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
        return 1
    fi
}

# ---------------------------------------------------------------- HTML report
# People compare servers by looking: report_html writes the report as an
# HTML page whose chart is an inline SVG (no script, no file beside it),
# made with awk alone.

# chart_svg TITLE < DATA: an SVG bar chart. DATA lines are
# "CASE<TAB>LABEL<TAB>SERVER<TAB>VALUE" (VALUE empty: the run failed), in
# the order to draw; one panel per CASE, titled "CASE: LABEL", one bar per
# SERVER, each panel on its own scale (a 1 MiB file costs far more than a
# 404: a shared scale would flatten the small cases).
chart_svg() {
    awk -v title="$1" '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
    function color(s) {
        if (s == "portico") return "#b4532a"
        if (s == "nginx") return "#2f7d32"
        if (s == "h2o") return "#1f6fb2"
        if (s == "lighttpd") return "#7b4fb0"
        return "#6b7280"
    }
    BEGIN { FS = "\t"; W = 720; LABEL_X = 100; BAR_X = 110; BAR_MAX = 480; ROW = 28; BAR = 18; HEAD = 30; GAP = 16 }
    NF >= 3 {
        c = $1
        if (!(c in n)) { cases[++nc] = c; label[c] = $2; n[c] = 0; max[c] = 0 }
        k = ++n[c]; srv[c, k] = $3; val[c, k] = $4
        if ($4 != "" && $4 + 0 > max[c]) max[c] = $4 + 0
    }
    END {
        h = 8
        for (i = 1; i <= nc; i++) h += HEAD + n[cases[i]] * ROW + GAP
        printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"chart-title\" font-family=\"system-ui, sans-serif\" font-size=\"13\">\n", W, h, W, h
        printf "<title id=\"chart-title\">%s</title>\n", esc(title)
        y = 8
        for (i = 1; i <= nc; i++) {
            c = cases[i]
            printf "<text x=\"0\" y=\"%d\" font-weight=\"700\" font-size=\"14\" fill=\"#1f2328\">%s: %s</text>\n", y + 18, esc(c), esc(label[c])
            y += HEAD
            for (k = 1; k <= n[c]; k++) {
                mid = y + (k - 1) * ROW + ROW / 2
                printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#1f2328\">%s</text>\n", LABEL_X, mid + 4, esc(srv[c, k])
                if (val[c, k] == "") {
                    printf "<text x=\"%d\" y=\"%d\" fill=\"#c62828\">failed</text>\n", BAR_X, mid + 4
                    continue
                }
                w = max[c] > 0 ? val[c, k] / max[c] * BAR_MAX : 0
                if (w < 1) w = 1
                printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" fill=\"%s\"><title>%s, %s: %.2f µs per request</title></rect>\n", BAR_X, mid - BAR / 2, w, BAR, color(srv[c, k]), esc(srv[c, k]), esc(c), val[c, k]
                printf "<text x=\"%.1f\" y=\"%d\" fill=\"#5b6370\">%.2f µs</text>\n", BAR_X + w + 6, mid + 4, val[c, k]
            }
            y += n[c] * ROW + GAP
        }
        print "</svg>"
    }'
}

# md_html < MD: the report's markdown as HTML: "## " headings, tables
# ("| a | b |" rows; the "|---|" line ends the head, and its "---:"
# columns are right-aligned), "- " lists and paragraphs. Only what the
# bench scripts print; everything escaped.
md_html() {
    awk '
    function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    function close_all() {
        if (tbl) print "</tbody></table>"
        if (lst) print "</ul>"
        if (par) print "</p>"
        tbl = lst = par = 0
    }
    function row(line, tag,   cells, m, j, v, cls) {
        m = split(line, cells, "|")
        printf "<tr>"
        for (j = 2; j < m; j++) {
            v = trim(cells[j])
            cls = right[j] ? " class=\"n\"" : ""
            printf "<%s%s>%s</%s>", tag, cls, esc(v), tag
        }
        print "</tr>"
    }
    # The separator line: which columns are right-aligned ("---:").
    function aligns(line,   cells, m, j) {
        m = split(line, cells, "|")
        for (j = 2; j < m; j++) right[j] = trim(cells[j]) ~ /:$/
    }
    /^## / { close_all(); print "<h2>" esc(substr($0, 4)) "</h2>"; next }
    /^\|[-:| ]+\|$/ { if (tbl == 1) { aligns($0); print "</thead><tbody>"; tbl = 2 } next }
    /^\|/ {
        if (!tbl) { close_all(); split("", right); print "<table>\n<thead>"; tbl = 1 }
        row($0, tbl == 1 ? "th" : "td"); next
    }
    /^- / { if (!lst) { close_all(); print "<ul>"; lst = 1 } print "<li>" esc(substr($0, 3)) "</li>"; next }
    /^[ \t]*$/ { close_all(); next }
    { if (!par) { close_all(); printf "<p>"; par = 1 } else printf "<br>\n"; printf "%s", esc($0) }
    END { close_all() }'
}

# report_html OUT MD DATA TITLE: OUT, an HTML page: TITLE, the chart of
# DATA (see chart_svg) and the report MD (see md_html). Written whole or
# not at all.
report_html() {
    local out=$1 md=$2 data=$3 title=$4
    {
        cat <<HTML
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>portico benchmark</title>
<style>
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f7f5f0}
main{max-width:60rem;margin:0 auto;padding:1.5rem 1.25rem}
h1,h2{line-height:1.2}
figure{margin:1rem 0;padding:1rem;background:#fff;border:1px solid #e3ded4;border-radius:10px;overflow-x:auto}
figcaption{color:#5b6370;font-size:.9rem;margin-bottom:.5rem}
table{border-collapse:collapse;background:#fff;font-size:.9rem}
th,td{padding:.3rem .6rem;border:1px solid #e3ded4;text-align:left}
.n{text-align:right;font-variant-numeric:tabular-nums}
</style>
</head>
<body>
<main>
<h1>portico benchmark</h1>
<figure>
<figcaption>$title. Each case has its own scale: compare the servers within a case.</figcaption>
HTML
        chart_svg "$title" <"$data"
        echo "</figure>"
        md_html <"$md"
        printf '</main>\n</body>\n</html>\n'
    } >"$out.tmp" && mv "$out.tmp" "$out"
}
