#!/usr/bin/env bash
# bench/gzip.sh -- compression: portico against nginx (make bench-gzip).
#
# Run from the repository root. The script makes a 100 KiB HTML page
# (page.html: rows of a table, text and numbers, about what a generated
# page is) and its precompressed copy page.html.gz (gzip -9). Each round
# starts each server in turn on SERVER_CPU (one process, one worker), wrk
# on CLIENT_CPU with "Accept-Encoding: gzip" on every request, keep-alive:
#   gzip     GET /page.html gzipped on the fly at level 5:
#              portico  compress: {level: 5, precompressed: false}
#              nginx    gzip on; gzip_comp_level 5; gzip_types text/html
#   static   GET /pre/page.html answered with page.html.gz as it is:
#              portico  compress: {gzip: false} (precompressed files on)
#              nginx    gzip_static on
#   plain    GET /page.html without Accept-Encoding (the identity body,
#            for scale: what compressing adds)
# Reported per case and server: the median over ROUNDS of requests/s, the
# server's CPU time per request (utime+stime from /proc/PID/stat) and the
# bytes of one response body as sent (after the chunked framing is
# removed); portico's ratio to nginx. Before a server is measured, curl must
# get each case from it gzipped as said (Content-Encoding: gzip, a body that
# gunzips to the page) or plain; a server that fails is dropped.
#
# Environment knobs:
#   DURATION   seconds per wrk run               (default 5)
#   ROUNDS     rounds; the median is kept        (default 3)
#   CONNS      wrk connections                   (default 50)
#   SERVERS    subset, e.g. "portico"            (default "portico nginx")
#   WARMUP     seconds of warm-up after start    (default 1; 0 = none)
#   BASE_PORT  first loopback port (+0, +1)      (default 18300)
#   PORTICO    portico binary                    (default ./portico)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset    (default 0 / 1)
#   REPORT_DIR folder of the report              (default build/bench)
#   BENCH_QUICK 1: a short trial (DURATION 2, ROUNDS 1)
#
# The report goes to stdout and REPORT_DIR/gzip.md (REPORT_DIR/gzip.html
# with a bar chart of CPU us per request).
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    DURATION=2
    ROUNDS=1
fi
CONNS=${CONNS:-50}
SERVERS=${SERVERS:-"portico nginx"}
WARMUP=${WARMUP:-1}
BASE_PORT=${BASE_PORT:-18300}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
REPORT_DIR=${REPORT_DIR:-build/bench}
KNOWN="portico nginx" # ports BASE_PORT+0, +1
CASES=(gzip static plain)

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

check_knobs DURATION ROUNDS CONNS WARMUP BASE_PORT
need wrk taskset curl gzip python3
bench_init portico-bench-gzip

# ---------------------------------------------------------------- docroot
DOCROOT=$TMP/www
mkdir -p "$DOCROOT"
python3 - "$DOCROOT/page.html" <<'EOF'
import sys
rows, i = [], 0
out = ['<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Orders</title>'
       '<link rel="stylesheet" href="/style.css"></head>\n<body>\n<h1>Orders this week</h1>\n'
       '<table class="orders">\n<tr><th>#</th><th>Customer</th><th>Item</th><th>Qty</th>'
       '<th>Price</th><th>Status</th></tr>\n']
names = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Ken Thompson", "Radia Perlman", "John McCarthy"]
items = ["keyboard", "monitor", "cable", "laptop stand", "headset", "webcam", "dock", "mouse"]
states = ["shipped", "pending", "delivered", "returned"]
size = 0
while sum(map(len, out)) < 100 * 1024 - 200:
    x = (i * 2654435761) % 4294967296
    out.append('<tr class="%s"><td>%d</td><td><a href="/customers/%d">%s</a></td><td>%s</td>'
               '<td>%d</td><td>%d.%02d</td><td>%s</td></tr>\n'
               % (states[x % 4], 10000 + i, x % 9973, names[x % 10], items[(x >> 8) % 8],
                  1 + (x >> 12) % 9, (x >> 4) % 500, x % 100, states[x % 4]))
    i += 1
out.append("</table>\n</body>\n</html>\n")
open(sys.argv[1], "w").write("".join(out))
EOF
gzip -9 -n -c "$DOCROOT/page.html" >"$DOCROOT/page.html.gz"
PAGE_SIZE=$(stat -c %s "$DOCROOT/page.html")
chmod 755 "$TMP" "$DOCROOT"
chmod 644 "$DOCROOT"/*

case_path() {
    case $1 in
        gzip | plain) echo /page.html ;;
        static) echo /pre/page.html ;;
    esac
}
case_label() {
    case $1 in
        gzip) echo "GET /page.html (100 KiB HTML), gzipped on the fly at level 5" ;;
        static) echo "GET /pre/page.html, its precompressed page.html.gz" ;;
        plain) echo "GET /page.html without Accept-Encoding" ;;
    esac
}

# ---------------------------------------------------------------- servers
prepare() {
    local port=$2 dir=$3
    case $1 in
    portico)
        {
            portico_conf 1 off "$port" "{compress: {level: 5, precompressed: false}}"
            echo "      /pre/: {root: $DOCROOT, compress: {gzip: false}}"
        } >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    nginx)
        nginx_prepare nginx "$dir" <<EOF
    types {
        text/html html;
    }
$(nginx_files)
    server {
        listen $HOST:$port;
        server_name localhost;
        root $DOCROOT;
        location / {
            gzip on;
            gzip_comp_level 5;
            gzip_types text/html;
        }
        location /pre/ {
            alias $DOCROOT/;
            gzip_static on;
        }
    }
EOF
        ;;
    esac
}

ready() { [[ $(status_of "$2" /page.html) == 200 ]]; }

# answer NAME CASE: curl's view of CASE from NAME: sets ANS_CE (the
# Content-Encoding) and ANS_BYTES (body bytes as sent, without the
# chunked framing), the body in $TMP/NAME/body.
answer() {
    local s=$1 c=$2 port out ae=(-H 'Accept-Encoding: gzip')
    port=$(port_of "$s")
    [[ $c != plain ]] || ae=()
    out=$(curl -s "${ae[@]}" -D "$TMP/$s/head" -o "$TMP/$s/body" --max-time 5 \
        -w '%{http_code} %{size_download}' "http://$HOST:$port$(case_path "$c")" || true)
    ANS_CODE=${out% *}
    ANS_BYTES=${out#* }
    ANS_CE=$(sed -n 's/^[Cc]ontent-[Ee]ncoding: *\([^[:space:]]*\).*/\1/p' "$TMP/$s/head" | head -1)
}

# check_answers NAME: each case answers 200, gzipped (and gunzipping to the
# page) or plain as it should; notes the bytes of each for the report.
declare -gA BYTES=()
check_answers() {
    local s=$1 c ok=0
    for c in "${CASES[@]}"; do
        answer "$s" "$c"
        if [[ $ANS_CODE != 200 ]]; then
            note "$s: $(case_path "$c") ($c) answered '$ANS_CODE', expected 200"
            ok=1
        elif [[ $c == plain && ( -n $ANS_CE || $ANS_BYTES != "$PAGE_SIZE" ) ]]; then
            note "$s: plain: Content-Encoding '$ANS_CE', $ANS_BYTES bytes; expected none, $PAGE_SIZE"
            ok=1
        elif [[ $c != plain ]] && ! { [[ $ANS_CE == gzip ]] && gunzip -c <"$TMP/$s/body" | cmp -s - "$DOCROOT/page.html"; }; then
            note "$s: $c: Content-Encoding '$ANS_CE', or a body that does not gunzip to the page"
            ok=1
        fi
        BYTES["$c $s"]=$ANS_BYTES
    done
    return $ok
}

# ---------------------------------------------------------------- runs
# run_case NAME CASE ROUND: one wrk run of CASE against the server NAME,
# with Accept-Encoding: gzip unless CASE is plain.
run_case() {
    local s=$1 c=$2 r=$3 us
    WRK_ARGS=(-H 'Accept-Encoding: gzip')
    [[ $c != plain ]] || WRK_ARGS=()
    measure "$s ($c)" "http://$HOST:$(port_of "$s")$(case_path "$c")" \
        "$TMP/$s/wrk-$c-$r.txt" || return 1
    us=$(per_req "$RUN_TICKS" %.3f)
    flag_run "round $r, $s, $c" ok
    record "$c $s" "$us"
    printf '  round %d  %-8s %-6s %10s req/s %9s us/req  server %3s%% CPU, others %3s%%\n' \
        "$r" "$s" "$c" "$RUN_RPS" "$us" "$RUN_UTIL" "$RUN_OTHER" >&2
}

# bench_server NAME ROUND: checks the answers (a server that answers
# wrongly is dropped), warms up, runs every case.
bench_server() {
    local s=$1 r=$2
    if ! check_answers "$s"; then
        note "$s: unexpected answers (see above): dropped"
        return 1
    fi
    WRK_ARGS=(-H 'Accept-Encoding: gzip')
    warm_up "http://$HOST:$(port_of "$s")/page.html"
    run_cases "$s" "$r"
}

# ---------------------------------------------------------------- main
prepare_all
echo "bench: servers: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
    "server on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU; page $PAGE_SIZE bytes" >&2
run_rounds

# ---------------------------------------------------------------- report
chart_row() { printf '%s\t%s\t%s\t%s\n' "$1" "$(case_label "$1")" "$2" "${3:-}" >>"$TMP/chart.tsv"; }

report() {
    : >"$TMP/chart.tsv"
    echo
    echo "## portico gzip benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
    echo
    echo "A $PAGE_SIZE-byte HTML page; wrk -t1 -c$CONNS -d${DURATION}s with Accept-Encoding: gzip (plain: without),"
    echo "median of $ROUNDS round(s); server pinned to CPU $SERVER_CPU, wrk to CPU $CLIENT_CPU."
    echo "CPU us/req = server utime+stime per request; bytes = one response body as sent (no chunk framing);"
    echo "other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything but the server and wrk (% of one CPU)."
    echo "Ratios are portico/nginx: CPU and bytes, lower is better."
    echo
    printf '| %-6s | %-8s | %10s | %10s | %10s | %8s | %6s | %9s | %11s |\n' case server "req/s" \
        "CPU us/req" "CPU range" bytes "other%" "CPU ratio" "bytes ratio"
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------- ---------- -----------: -----------: \
        -----------: ---------: -------: ----------: ------------:
    local c s p_cpu p_bytes cr br
    for c in "${CASES[@]}"; do
        p_cpu="" p_bytes=${BYTES["$c portico"]:-}
        if [[ -n ${CPU["$c portico"]:-} ]]; then
            medians "$c portico"
            p_cpu=$MED_CPU
        fi
        for s in "${ACTIVE[@]}"; do
            if [[ -z ${CPU["$c $s"]:-} ]]; then
                printf '| %-6s | %-8s | %10s | %10s | %10s | %8s | %6s | %9s | %11s |\n' \
                    "$c" "$s" failed - - - - - -
                chart_row "$c" "$s"
                continue
            fi
            medians "$c $s"
            chart_row "$c" "$s" "$MED_CPU"
            cr="-" br="-"
            if [[ $s != portico ]]; then
                cr=$(ratio "$p_cpu" "$MED_CPU")
                br=$(ratio "$p_bytes" "${BYTES["$c $s"]:-}")
            fi
            # shellcheck disable=SC2086 # space-separated numbers
            printf '| %-6s | %-8s | %10.0f | %10.2f | %10s | %8s | %6.0f | %9s | %11s |\n' \
                "$c" "$s" "$MED_RPS" "$MED_CPU" "$(range_of %.1f ${CPU["$c $s"]})" \
                "${BYTES["$c $s"]:-?}" "$MED_OTHER" "$cr" "$br"
        done
    done
    report_problems
}

mkdir -p "$REPORT_DIR"
rc=0
report >"$REPORT_DIR/gzip.md" || rc=1
cat "$REPORT_DIR/gzip.md"
report_html "$REPORT_DIR/gzip.html" "$REPORT_DIR/gzip.md" "$TMP/chart.tsv" \
    "CPU µs per request, gzip on the fly and precompressed (median of $ROUNDS round(s); lower is better)"
echo "bench: report in $REPORT_DIR/gzip.md and $REPORT_DIR/gzip.html" >&2
exit "$rc"
