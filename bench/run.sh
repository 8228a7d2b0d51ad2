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
#   REPORT_DIR folder of the report files        (default build/bench)
#
# The report goes to stdout and to REPORT_DIR/report.md; REPORT_DIR/
# report.html shows the same tables under a bar chart of CPU us/req per
# server and case (an inline SVG).
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
REPORT_DIR=${REPORT_DIR:-build/bench}
KNOWN="portico nginx h2o lighttpd"  # ports BASE_PORT+0..+3
CASES=(1k 1m 404)

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
BUSY_IRQ=1  # this script has always counted irq+softirq as busy (see busy_ticks)

check_knobs DURATION ROUNDS CONNS WARMUP BASE_PORT
need wrk taskset curl
bench_init portico-bench

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
case_label() {
    case $1 in
        1k) echo "GET /1k.bin, a 1 KiB file" ;;
        1m) echo "GET /1m.bin, a 1 MiB file" ;;
        404) echo "GET /missing, not found" ;;
    esac
}
case_size() {
    case $1 in
        1k) echo 1024 ;;
        1m) echo 1048576 ;;
        *) echo "" ;;
    esac
}

# ---------------------------------------------------------------- servers
# prepare NAME PORT DIR: writes its config into DIR and prints the command to
# run (one word per line). Returns 1 (after a message) if it cannot run.
prepare() {
    local port=$2 dir=$3
    case $1 in
    portico)
        portico_conf 1 off "$port" >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    nginx)
        nginx_prepare nginx "$dir" <<EOF
    types {
        text/html html;
        application/octet-stream bin;
    }
$(nginx_files)
    server {
        listen $HOST:$port;
        server_name localhost;
        root $DOCROOT;
        location / { }
    }
EOF
        ;;
    h2o)
        h2o_prepare "$port" "$dir" "file.dir: $DOCROOT"
        ;;
    lighttpd)
        lighttpd_prepare "$port" "$dir" <<EOF
server.max-connections = 4096
server.max-fds = 8192
server.modules = ()
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
EOF
        ;;
    esac
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

# ---------------------------------------------------------------- runs
# run_case NAME CASE ROUND: one wrk run of CASE against the server NAME.
run_case() {
    local s=$1 c=$2 r=$3 us expect=ok
    measure "$s ($c)" "http://$HOST:$(port_of "$s")$(case_path "$c")" \
        "$TMP/$s/wrk-$c-$r.txt" || return 1
    us=$(per_req "$RUN_TICKS" %.3f)
    [[ $c != 404 ]] || expect=errors
    flag_run "round $r, $s, $c" "$expect"
    record "$c $s" "$us"
    printf '  round %d  %-8s %-4s %12s req/s %9s us/req  server %3s%% CPU, others %3s%%  (%d ticks, %s requests)\n' \
        "$r" "$s" "$c" "$RUN_RPS" "$us" "$RUN_UTIL" "$RUN_OTHER" "$RUN_TICKS" "$RUN_REQS" >&2
}

# bench_server NAME ROUND: checks the answers, warms up, runs every case.
bench_server() {
    local s=$1 r=$2
    if ! check_answers "$s"; then
        WARNINGS+=("$s: unexpected answers (see above); its numbers are suspect")
    fi
    warm_up "http://$HOST:$(port_of "$s")/1k.bin"
    run_cases "$s" "$r"
}

# ---------------------------------------------------------------- main
prepare_all
echo "bench: servers: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
    "server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU" >&2
run_rounds

# ---------------------------------------------------------------- report
fmt_rps() { awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
row() { printf '| %-4s | %-8s | %10s | %12s | %8s | %6s | %21s | %21s |\n' "$@"; }
# chart_row CASE SERVER [US]: a line of the chart's data (see chart_svg).
chart_row() { printf '%s\t%s\t%s\t%s\n' "$1" "$(case_label "$1")" "$2" "${3:-}" >>"$TMP/chart.tsv"; }

# report: the markdown report; the chart's data go to $TMP/chart.tsv.
# Returns 1 when a server failed.
report() {
    : >"$TMP/chart.tsv"
    echo
    echo "## portico benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
    echo
    echo "wrk -t1 -c$CONNS -d${DURATION}s, median of $ROUNDS round(s); server pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU;"
    echo "CPU us/req = server utime+stime per request; srv CPU% = share of one CPU the server used;"
    echo "other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything but the server and wrk (% of one CPU):"
    echo "above ~10% the machine was busy and req/s is unreliable (CPU us/req much less affected)."
    echo "Ratios are portico/peer: rps ratio higher is better, CPU ratio lower is better."
    echo
    row case server "req/s" "CPU us/req" "srv CPU%" "other%" "rps ratio (portico/x)" "CPU ratio (portico/x)"
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------ ---------- -----------: -------------: ---------: \
        -------: ----------------------: ----------------------:
    for c in "${CASES[@]}"; do
        p_rps="" p_cpu=""
        if [[ -n ${RPS["$c portico"]:-} ]]; then
            medians "$c portico"
            p_rps=$MED_RPS p_cpu=$MED_CPU
        fi
        for s in "${ACTIVE[@]}"; do
            if [[ -z ${RPS["$c $s"]:-} ]]; then
                row "$c" "$s" failed - - - - -
                chart_row "$c" "$s"
                continue
            fi
            medians "$c $s"
            chart_row "$c" "$s" "$MED_CPU"
            if [[ $s == portico ]]; then
                rr="-" cr="-"
            else
                rr=$(ratio "$p_rps" "$MED_RPS")
                cr=$(ratio "$p_cpu" "$MED_CPU")
            fi
            printf '| %-4s | %-8s | %10s | %12.2f | %8.0f | %6.0f | %21s | %21s |\n' \
                "$c" "$s" "$(fmt_rps "$MED_RPS")" "$MED_CPU" "$MED_UTIL" "$MED_OTHER" "$rr" "$cr"
        done
    done
    if [[ ! " ${ACTIVE[*]} " =~ " portico " ]]; then
        echo
        echo "(portico was not run, so there are no ratios)"
    fi
    report_problems
}

mkdir -p "$REPORT_DIR"
rc=0
report >"$REPORT_DIR/report.md" || rc=1
cat "$REPORT_DIR/report.md"
report_html "$REPORT_DIR/report.html" "$REPORT_DIR/report.md" "$TMP/chart.tsv" \
    "CPU µs per request of each server (median of $ROUNDS round(s); lower is better)"
echo "bench: report in $REPORT_DIR/report.md and, with a chart, $REPORT_DIR/report.html" >&2
exit "$rc"
