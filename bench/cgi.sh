#!/usr/bin/env bash
# bench/cgi.sh -- CGI requests per second: portico vs lighttpd's mod_cgi.
#
# Run from the repository root. Both servers run the same script,
# sites/default/cgi-bin/hello.sh, with the same interpreter (/bin/sh), as one
# process each (portico: `workers: 1`; lighttpd: its single process), with
# keep-alive. As in bench/run.sh, the server is pinned to CPU 0 with taskset
# (the scripts it starts inherit that) and wrk to CPU 1:
#   wrk -t1 -c$CONNS -d${DURATION}s http://127.0.0.1:PORT/cgi-bin/hello.sh
# Each round runs every server once, in turn; the table shows the median
# over the rounds of:
#   req/s        wrk's requests per second
#   CPU us/req   the server's CPU time per request, its scripts included:
#                utime+stime+cutime+cstime (/proc/PID/stat fields 14-17) of
#                the server process and its descendants; a script's time
#                shows in cutime/cstime of the process that reaped it
#   own us/req   utime+stime of the server's own processes per request
#                (portico's master and worker, lighttpd), scripts left out
#   srv CPU%     the share of CPU 0 that adds up to (100 = all of it)
#   other%       CPU time on the two CPUs used by anything else (% of one
#                CPU): above ~10% the machine was busy, req/s unreliable
# and portico's ratios to lighttpd (req/s: higher is better; CPU: lower).
#
# Environment knobs:
#   DURATION   seconds per wrk run              (default 5)
#   ROUNDS     rounds; the median is kept       (default 3)
#   CONNS      wrk connections                  (default 20)
#   WARMUP     seconds of warm-up after start   (default 1; 0 = none)
#   SERVERS    subset, e.g. "portico"           (default "portico lighttpd")
#   BASE_PORT  first loopback port              (default 18090; +0, +1)
#   PORTICO    portico binary                   (default ./portico)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset   (default 0 / 1)
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-20}
WARMUP=${WARMUP:-1}
SERVERS=${SERVERS:-"portico lighttpd"}
BASE_PORT=${BASE_PORT:-18090}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
HOST=127.0.0.1
URI=/cgi-bin/hello.sh
SCRIPT=sites/default/cgi-bin/hello.sh

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

for v in DURATION ROUNDS CONNS WARMUP BASE_PORT; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer (got '${!v}')"
done
((ROUNDS >= 1)) || die "ROUNDS must be >= 1"
((DURATION >= 1)) || die "DURATION must be >= 1"
[[ -f $SCRIPT ]] || die "run from the repository root ($SCRIPT not found)"
command -v wrk >/dev/null || die "wrk not found (apt-get install -y wrk)"
command -v taskset >/dev/null || die "taskset not found (util-linux)"
command -v curl >/dev/null || die "curl not found"
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d /tmp/portico-bench-cgi.XXXXXX)
SRV_PID=""  # the running server, if any
WRK_PID=""  # the running wrk, if any

descendants() { # all descendant PIDs of $1, depth first
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
    for ((i = 0; i < 50; i++)); do # up to 5 s for a graceful stop
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # whatever is left (the server, a worker, a script) gets SIGKILL
    mapfile -t -O "${#kids[@]}" kids < <(descendants "$pid")
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
mkdir -p "$DOCROOT/cgi-bin"
cp "$SCRIPT" "$DOCROOT/cgi-bin/hello.sh"
echo "static" >"$DOCROOT/index.html"
chmod 755 "$TMP" "$DOCROOT" "$DOCROOT/cgi-bin"
chmod 755 "$DOCROOT/cgi-bin/hello.sh"

# ---------------------------------------------------------------- servers
port_of() {
    case $1 in
    portico) echo $((BASE_PORT + 0)) ;;
    lighttpd) echo $((BASE_PORT + 1)) ;;
    esac
}

# prepare NAME: writes its config into $TMP/NAME/ and prints the command
# (one word per line); returns 1 after a message when it cannot run.
prepare() {
    local s=$1 port dir bin
    port=$(port_of "$s")
    dir=$TMP/$s
    mkdir -p "$dir"
    case $s in
    portico)
        if [[ ! -x $PORTICO ]]; then
            note "skipping portico: $PORTICO not built yet (run make first)"
            return 1
        fi
        cat >"$dir/portico.yaml" <<EOF
workers: 1
error_log: $dir/error.log
access_log: off
pid_file: off
limits:
  keepalive_requests: 100000
servers:
  - listen: "$HOST:$port"
    root: $DOCROOT
    locations:
      /: {}
      /cgi-bin/:
        methods: [GET, HEAD]
        cgi:
          .sh: /bin/sh
EOF
        if ! "$PORTICO" -t -c "$dir/portico.yaml" >"$dir/check.log" 2>&1; then
            note "skipping portico: its configuration check failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$PORTICO" -c "$dir/portico.yaml"
        ;;
    lighttpd)
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
server.max-connections = 1024
server.modules = ("mod_cgi")
cgi.assign = (".sh" => "/bin/sh")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html")
EOF
        if ! "$bin" -tt -f "$dir/lighttpd.conf" >"$dir/check.log" 2>&1; then
            note "skipping lighttpd: configuration test failed:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        printf '%s\n' "$bin" -D -f "$dir/lighttpd.conf"
        ;;
    *)
        note "skipping unknown server '$s' (known: portico lighttpd)"
        return 1
        ;;
    esac
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# start_server NAME: starts it pinned to SERVER_CPU, waits until the script
# answers with its text.
start_server() {
    local s=$1 port dir i body
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
        body=$(curl -s --max-time 2 "http://$HOST:$port$URI" || true)
        [[ $body == *"Hello from /bin/sh!"* ]] && return 0
        sleep 0.1
    done
    note "$s did not run $URI on port $port within 10 s (last answer: ${body:0:80})"
    stop_server
    return 1
}

# cpu_ticks PID: utime+stime+cutime+cstime (clock ticks) of PID and all its
# descendants. Fields are counted after the last ')' (comm may hold spaces):
# that rest starts at field 3, so field N is f[N-3].
cpu_ticks() {
    local total=0 p st rest
    local -a f
    for p in "$1" $(descendants "$1"); do
        st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${st##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12] + f[13] + f[14]))
    done
    echo "$total"
}

# busy_ticks: user+nice+system+steal ticks so far of the server's and the
# client's CPUs (/proc/stat), to tell how much other load shared them.
busy_ticks() {
    awk -v a="cpu$SERVER_CPU" -v b="cpu$CLIENT_CPU" \
        '$1 == a || $1 == b { t += $2 + $3 + $4 + $9 } END { print t }' /proc/stat
}

# children_ms: sets CHILD_MS to the CPU time (ms) of this shell's reaped
# children (wrk), from bash's `times`; run in this shell, not a subshell.
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

# own_ticks PID: utime+stime of the server's own processes only (PID and
# its descendants that run the same executable: portico's worker), without
# the scripts: what the server itself spends.
own_ticks() {
    local total=0 p st rest exe
    local -a f
    exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
    for p in "$1" $(descendants "$1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null || true) == "$exe" ]] || continue
        st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        rest=${st##*) }
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# own_pids PID: the server's own processes (as own_ticks counts them).
own_pids() {
    local p exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
    for p in "$1" $(descendants "$1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null || true) == "$exe" ]] && echo "$p"
    done | sort -n | tr '\n' ' '
}

# ---------------------------------------------------------------- results
declare -A RPS=() CPU=() UTIL=() OTHER=() OWN=()
WARNINGS=()
NOISY=()

# run_once NAME ROUND
run_once() {
    local s=$1 r=$2 port out t0 t1 o0 o1 w0 w1 b0 b1 k0 k1 reqs rps us own util other non2xx sockerr p0 p1
    port=$(port_of "$s")
    out=$TMP/$s/wrk-$r.txt
    w0=$(date +%s%N)
    b0=$(busy_ticks)
    t0=$(cpu_ticks "$SRV_PID")
    o0=$(own_ticks "$SRV_PID")
    p0=$(own_pids "$SRV_PID")
    children_ms
    k0=$CHILD_MS
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" \
        "http://$HOST:$port$URI" >"$out" 2>&1 &
    WRK_PID=$!
    if ! wait "$WRK_PID"; then
        WRK_PID=""
        note "wrk failed against $s:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    WRK_PID=""
    w1=$(date +%s%N)
    children_ms
    k1=$CHILD_MS
    sleep 0.2 # let the last scripts be reaped (their CPU shows once they are)
    t1=$(cpu_ticks "$SRV_PID")
    o1=$(own_ticks "$SRV_PID")
    p1=$(own_pids "$SRV_PID")
    b1=$(busy_ticks)
    if [[ $p0 != "$p1" ]]; then
        # a process died (and was replaced): its own CPU time moved to its
        # parent's cutime, so "own" is wrong for this run
        WARNINGS+=("round $r, $s: server processes changed during the run ($p0-> $p1): a crash? (see its error log); own us/req is wrong for it")
    fi
    reqs=$(awk '/ requests in /{print $1; exit}' "$out")
    rps=$(awk '/^Requests\/sec:/{print $2; exit}' "$out")
    if [[ -z $reqs || -z $rps || $reqs == 0 ]]; then
        note "no requests completed against $s:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN{printf "%.1f", d / hz * 1e6 / n}')
    own=$(awk -v d=$((o1 - o0)) -v hz="$CLK_TCK" -v n="$reqs" 'BEGIN{printf "%.1f", d / hz * 1e6 / n}')
    util=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v ns=$((w1 - w0)) 'BEGIN{printf "%.0f", d / hz * 1e11 / ns}')
    # other load on the two CPUs, % of one CPU: what they were busy with
    # beyond the server (and its scripts) and wrk
    other=$(awk -v d=$((b1 - b0 - (t1 - t0))) -v hz="$CLK_TCK" -v wrk=$((k1 - k0)) \
        -v ns=$((w1 - w0)) 'BEGIN{x = (d / hz - wrk / 1000) * 1e11 / ns; printf "%.0f", x < 0 ? 0 : x}')
    if ((other > 10)); then NOISY+=("round $r, $s: ${other}%"); fi
    non2xx=$(awk '/Non-2xx or 3xx responses:/{print $NF; exit}' "$out")
    sockerr=$(awk '/Socket errors:/{sub(/.*Socket errors: /,""); print; exit}' "$out")
    [[ -n $non2xx ]] && WARNINGS+=("round $r, $s: $non2xx non-2xx responses")
    [[ -n $sockerr ]] && WARNINGS+=("round $r, $s: socket errors: $sockerr")
    RPS[$s]+="$rps "
    CPU[$s]+="$us "
    UTIL[$s]+="$util "
    OTHER[$s]+="$other "
    OWN[$s]+="$own "
    printf '  round %d  %-8s %10s req/s %9s us/req (own %6s)  server+scripts %3s%% CPU, others %3s%%  (%d ticks, %s requests)\n' \
        "$r" "$s" "$rps" "$us" "$own" "$util" "$other" $((t1 - t0)) "$reqs" >&2
}

median() {
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

echo "bench: CGI $URI; servers: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
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
        if ((WARMUP > 0)); then
            taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"${WARMUP}s" \
                "http://$HOST:$(port_of "$s")$URI" >/dev/null 2>&1 &
            WRK_PID=$!
            wait "$WRK_PID" || true
            WRK_PID=""
        fi
        run_once "$s" "$r" || BROKEN[$s]=1
        stop_server
    done
done

# ---------------------------------------------------------------- report
ratio() { # A B -> A/B with 2 decimals, or n/a
    if [[ -z $1 || -z $2 ]]; then echo "n/a"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a / b }'
}

echo
echo "## CGI benchmark: $URI ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
echo
echo "wrk -t1 -c$CONNS -d${DURATION}s, median of $ROUNDS round(s); server (and its scripts) pinned to"
echo "CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU; CPU us/req = utime+stime+cutime+cstime of the server and its"
echo "descendants per request (the scripts included); own us/req = utime+stime of the server's own"
echo "processes per request (no scripts); srv CPU% = share of CPU $SERVER_CPU used (scripts included);"
echo "other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything but the server and wrk (% of one"
echo "CPU): above ~10% the machine was busy and req/s is unreliable."
echo
printf '| %-8s | %10s | %12s | %12s | %8s | %6s |\n' server "req/s" "CPU us/req" "own us/req" "srv CPU%" "other%"
printf '|%s|%s|%s|%s|%s|%s|\n' ---------- -----------: -------------: -------------: ---------: -------:
declare -A M_RPS=() M_CPU=()
for s in "${ACTIVE[@]}"; do
    if [[ -z ${RPS[$s]:-} ]]; then
        printf '| %-8s | %10s | %12s | %12s | %8s | %6s |\n' "$s" failed - - - -
        continue
    fi
    # shellcheck disable=SC2086
    M_RPS[$s]=$(median ${RPS[$s]})
    # shellcheck disable=SC2086
    M_CPU[$s]=$(median ${CPU[$s]})
    # shellcheck disable=SC2086
    m_util=$(median ${UTIL[$s]})
    # shellcheck disable=SC2086
    m_other=$(median ${OTHER[$s]})
    # shellcheck disable=SC2086
    m_own=$(median ${OWN[$s]})
    printf '| %-8s | %10.0f | %12.1f | %12.1f | %8.0f | %6.0f |\n' "$s" "${M_RPS[$s]}" "${M_CPU[$s]}" "$m_own" "$m_util" "$m_other"
done
if [[ -n ${M_RPS[portico]:-} && -n ${M_RPS[lighttpd]:-} ]]; then
    echo
    echo "portico/lighttpd: req/s ratio $(ratio "${M_RPS[portico]}" "${M_RPS[lighttpd]}") (higher is better)," \
        "CPU us/req ratio $(ratio "${M_CPU[portico]}" "${M_CPU[lighttpd]}") (lower is better)"
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
