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
URI=/cgi-bin/hello.sh
SCRIPT=sites/default/cgi-bin/hello.sh
KNOWN="portico lighttpd"  # ports BASE_PORT+0, +1

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
CPU_FIELDS=4  # the server's CPU time includes the scripts it reaped
READY_WHAT="run $URI"

check_knobs DURATION ROUNDS CONNS WARMUP BASE_PORT
[[ -f $SCRIPT ]] || die "run from the repository root ($SCRIPT not found)"
need wrk taskset curl
bench_init portico-bench-cgi

# ---------------------------------------------------------------- docroot
DOCROOT=$TMP/www
mkdir -p "$DOCROOT/cgi-bin"
cp "$SCRIPT" "$DOCROOT/cgi-bin/hello.sh"
echo "static" >"$DOCROOT/index.html"
chmod 755 "$TMP" "$DOCROOT" "$DOCROOT/cgi-bin"
chmod 755 "$DOCROOT/cgi-bin/hello.sh"

# ---------------------------------------------------------------- servers
# prepare NAME PORT DIR: writes its config into DIR and prints the command
# (one word per line); returns 1 after a message when it cannot run.
prepare() {
    local port=$2 dir=$3
    case $1 in
    portico)
        {
            portico_conf 1 "$dir/error.log" "$port"
            cat <<EOF
      /cgi-bin/:
        methods: [GET, HEAD]
        cgi:
          .sh: /bin/sh
EOF
        } >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    lighttpd)
        lighttpd_prepare "$port" "$dir" <<EOF
server.max-connections = 1024
server.modules = ("mod_cgi")
cgi.assign = (".sh" => "/bin/sh")
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html")
EOF
        ;;
    esac
}

# ready NAME PORT: the started server runs the script (answers its text).
ready() {
    LAST_ANSWER=$(curl -s --max-time 2 "http://$HOST:$2$URI" || true)
    [[ $LAST_ANSWER == *"Hello from /bin/sh!"* ]]
}

# own_pids PID: the server's own processes: PID and those of its
# descendants that run the same executable (portico's worker), no scripts.
own_pids() {
    local p exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
    for p in "$1" $(descendants "$1"); do
        [[ $(readlink "/proc/$p/exe" 2>/dev/null || true) == "$exe" ]] && echo "$p"
    done | sort -n | tr '\n' ' '
}

# own_ticks PID: utime+stime of the server's own processes (own_pids),
# without the scripts: what the server itself spends.
own_ticks() {
    # shellcheck disable=SC2046 # one PID a word
    stat_ticks 2 $(own_pids "$1")
}

# ---------------------------------------------------------------- runs
declare -A OWN=()

# bench_server NAME ROUND: warms up and runs wrk once against server NAME.
bench_server() {
    local s=$1 r=$2 url o0 o1 p0 p1 us own
    url="http://$HOST:$(port_of "$s")$URI"
    warm_up "$url"
    o0=$(own_ticks "$SRV_PID")
    p0=$(own_pids "$SRV_PID")
    # settle 0.2 s: let the last scripts be reaped (their CPU shows once they are)
    measure "$s" "$url" "$TMP/$s/wrk-$r.txt" 0.2 || return 1
    o1=$(own_ticks "$SRV_PID")
    p1=$(own_pids "$SRV_PID")
    if [[ $p0 != "$p1" ]]; then
        # a process died (and was replaced): its own CPU time moved to its
        # parent's cutime, so "own" is wrong for this run
        WARNINGS+=("round $r, $s: server processes changed during the run ($p0-> $p1): a crash? (see its error log); own us/req is wrong for it")
    fi
    us=$(per_req "$RUN_TICKS" %.1f)
    own=$(per_req $((o1 - o0)) %.1f)
    flag_run "round $r, $s" ok
    record "$s" "$us"
    OWN[$s]+="$own "
    printf '  round %d  %-8s %10s req/s %9s us/req (own %6s)  server+scripts %3s%% CPU, others %3s%%  (%d ticks, %s requests)\n' \
        "$r" "$s" "$RUN_RPS" "$us" "$own" "$RUN_UTIL" "$RUN_OTHER" "$RUN_TICKS" "$RUN_REQS" >&2
}

# ---------------------------------------------------------------- main
prepare_all
echo "bench: CGI $URI; servers: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
    "server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU" >&2
run_rounds

# ---------------------------------------------------------------- report
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
    medians "$s"
    M_RPS[$s]=$MED_RPS
    M_CPU[$s]=$MED_CPU
    # shellcheck disable=SC2086
    m_own=$(median ${OWN[$s]})
    printf '| %-8s | %10.0f | %12.1f | %12.1f | %8.0f | %6.0f |\n' "$s" "$MED_RPS" "$MED_CPU" "$m_own" "$MED_UTIL" "$MED_OTHER"
done
if [[ -n ${M_RPS[portico]:-} && -n ${M_RPS[lighttpd]:-} ]]; then
    echo
    echo "portico/lighttpd: req/s ratio $(ratio "${M_RPS[portico]}" "${M_RPS[lighttpd]}") (higher is better)," \
        "CPU us/req ratio $(ratio "${M_CPU[portico]}" "${M_CPU[lighttpd]}") (lower is better)"
fi
report_problems || exit 1
