#!/usr/bin/env bash
# bench/run.sh -- every benchmark case in one run (make bench): portico
# against nginx, h2o, lighttpd, HAProxy and Caddy on loopback, wherever
# they do the same job, and against floor (bench/floor.c), the least a
# server can do.
#
# Run from the repository root. The cases come from the sections, sourced
# here, each a family of cases sharing the servers' configurations (its
# name is also a group name for ONLY): bench/static.sh (1k 1k-c500
# index.html dir 404 1m close idle), put.sh (put), cgi.sh (cgi), proxy.sh
# (proxy-1k proxy-1m), tls.sh (tls-ka-1k tls-full tls-resumed tls-ka-1m
# tls-idle), gzip.sh (gzip gzip-static gzip-plain), workers.sh
# (workers2-1k workers2-1m); their comments say what each case does.
#
# A case runs ROUNDS rounds; in each round every server takes it in turn
# (the order rotated by one place each round), freshly started, pinned to
# SERVER_CPU with one worker / process / thread (the workers cases: two,
# nothing pinned), a warm-up of WARMUP seconds, then DURATION seconds of
# wrk (or another client) pinned to CLIENT_CPU. Before its first case,
# each server is started once and its answers checked (preflight); one
# that fails is left out with a note.
#
# The report (stdout, REPORT_DIR/report.md, and REPORT_DIR/report.html
# with a chart of CPU us per request): a summary line per case (portico,
# the best peer, portico/best as the median of the per-round ratios, the
# calibration ratio between the two best peers of the same rounds, which
# shows the noise, and portico/floor), then every server's median and
# range per case. See bench/report.sh (summarize).
#
# Environment knobs:
#   ONLY        cases or groups, comma-separated (default: all), e.g. 1k,404,proxy
#   DURATION    seconds per timed run                     (default 3)
#   ROUNDS      rounds; medians are kept                  (default 3)
#   WARMUP      seconds of warm-up after each start       (default 1; 0 = none)
#   CONNS       wrk connections                           (default 50)
#   IDLE_CONNS  idle connections of idle and tls-idle     (default 10000)
#   HS_CONNS    handshakes in flight (tls-full, tls-resumed)  (default 16)
#   TLS_VERSION 1.3 or 1.2                                (default 1.3)
#   SERVERS     the servers to run, e.g. "portico nginx"  (default all)
#   BASE_PORT   first loopback port (+0..+6; upstream +10) (default 18400)
#   PORTICO FLOOR CLIENT  the binaries (default ./portico, build/bench-floor,
#               build/bench-client; make bench builds them)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset             (default 0 / 1)
#   REPORT_DIR  folder of the report files                (default build/bench)
#   BENCH_QUICK 1: a short trial (DURATION 1, ROUNDS 1, WARMUP 0,
#               IDLE_CONNS 1000); knobs set explicitly still win
#   KEEP        1: keep the scratch folder (configurations, logs, reports)
# Other people may benchmark on the same machine: run it under
#   flock /tmp/portico-bench.lock make bench
set -euo pipefail

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    DURATION=${DURATION:-1} ROUNDS=${ROUNDS:-1} WARMUP=${WARMUP:-0} IDLE_CONNS=${IDLE_CONNS:-1000}
fi
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-1}
BENCH_CONNS=${CONNS:-50}
IDLE_CONNS=${IDLE_CONNS:-10000}
HS_CONNS=${HS_CONNS:-16}
TLS_VERSION=${TLS_VERSION:-1.3}
ONLY=${ONLY:-}
BASE_PORT=${BASE_PORT:-18400}
PORTICO=${PORTICO:-./portico}
FLOOR=${FLOOR:-build/bench-floor}
CLIENT=${CLIENT:-build/bench-client}
BENCH_SERVER_CPU=${SERVER_CPU-0}
BENCH_CLIENT_CPU=${CLIENT_CPU-1}
REPORT_DIR=${REPORT_DIR:-build/bench}
KNOWN="floor portico nginx h2o lighttpd haproxy caddy"  # ports BASE_PORT+0..+6
SERVERS=${SERVERS:-$KNOWN}
UPSTREAM_PORT=$((BASE_PORT + 10))

here=$(dirname "$0")
# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$here/lib.sh"
# the sections, in the order their cases run
# shellcheck source=static.sh
. "$here/static.sh"
# shellcheck source=put.sh
. "$here/put.sh"
# shellcheck source=cgi.sh
. "$here/cgi.sh"
# shellcheck source=proxy.sh
. "$here/proxy.sh"
# shellcheck source=tls.sh
. "$here/tls.sh"
# shellcheck source=gzip.sh
. "$here/gzip.sh"
# shellcheck source=workers.sh
. "$here/workers.sh"

check_knobs DURATION ROUNDS WARMUP BENCH_CONNS IDLE_CONNS HS_CONNS BASE_PORT
[[ $TLS_VERSION == 1.3 || $TLS_VERSION == 1.2 ]] || die "TLS_VERSION must be 1.3 or 1.2"
check_only
need wrk taskset curl cmp openssl gzip python3
[[ -x $CLIENT ]] || die "$CLIENT not built (make $CLIENT)"
if (($(ulimit -n) < IDLE_CONNS + 512)); then
    ulimit -n $((IDLE_CONNS + 512)) 2>/dev/null ||
        die "IDLE_CONNS=$IDLE_CONNS needs $((IDLE_CONNS + 512)) open files (ulimit -n is $(ulimit -n))"
fi
bench_init portico-bench
RESULTS=$TMP/results.tsv NOTES=$TMP/notes.tsv META=$TMP/meta.tsv
: >"$RESULTS"
: >"$NOTES"

# make_docroot: DOCROOT with 1k.bin and 1m.bin (random bytes) and a 1 KiB
# index.html; the sections add theirs.
make_docroot() {
    DOCROOT=$TMP/www
    mkdir -p "$DOCROOT"
    head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
    head -c $((1024 * 1024)) /dev/urandom >"$DOCROOT/1m.bin"
    { printf '<!DOCTYPE html>\n<title>portico</title>\n<p>'; head -c 2048 /dev/zero | tr '\0' 'x'; } |
        head -c 1024 >"$DOCROOT/index.html"
    # servers may drop privileges when started as root: keep it readable
    chmod 755 "$TMP" "$DOCROOT"
    chmod 644 "$DOCROOT"/*
}

# family_cases FAM: the selected cases of family FAM, in order.
family_cases() {
    local c
    for c in "${CASE_ORDER[@]}"; do
        [[ ${C_FAM[$c]} == "$1" ]] && selected "$c" && echo "$c"
    done
    return 0
}

# family_servers CASE...: the servers of SERVERS that one of the cases runs.
family_servers() {
    local s c
    for s in $SERVERS; do
        for c in "$@"; do
            if [[ " ${C_SERVERS[$c]} " == *" $s "* ]]; then
                echo "$s"
                break
            fi
        done
    done
}

# run_families: every family with a selected case: family_up, its cases,
# FAM_teardown; the selected cases go into META.
run_families() {
    local fam c
    local -a cases servers
    for fam in $(printf '%s\n' "${CASE_ORDER[@]}" | while read -r c; do echo "${C_FAM[$c]}"; done | uniq); do
        mapfile -t cases < <(family_cases "$fam")
        ((${#cases[@]} > 0)) || continue
        mapfile -t servers < <(family_servers "${cases[@]}")
        for c in "${cases[@]}"; do
            printf '%s\t%s\t%s\t%s\n' "$c" "${C_UNIT[$c]}" "${C_BETTER[$c]}" "${C_LABEL[$c]}" >>"$META"
        done
        echo "bench: $fam: ${cases[*]}" >&2
        if family_up "$fam" "${servers[@]}"; then
            for c in "${cases[@]}"; do run_case "$c"; done
        else
            WARNINGS+=("$fam: no server passed the preflight: ${cases[*]} not run")
        fi
        ! has_fn "${fam}_teardown" || "${fam}_teardown"
    done
}

# error_logs: per server and family, the lines of its error log and stderr
# but the debug, info and notice ones and the usual start and stop lines.
error_logs() {
    local d
    local -a lines
    for d in "$TMP"/*/*/; do
        mapfile -t lines < <(cat "$d/error.log" "$d/stderr.log" 2>/dev/null | grep -v -i -E \
            '^$|\[(debug|info|notice)\]|"level":"(info|warn)"|is ready to serve requests$|gracefully shutting down$|server (started|stopped)' || true)
        ((${#lines[@]} == 0)) || printf -- '- %s: %s\n' "${d#"$TMP"/}" "${lines[0]:0:160}"
    done
}

# report: the markdown report. Returns 1 when a server failed.
report() {
    echo "## portico benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
    echo
    echo "Each case: $ROUNDS round(s) of ${DURATION}s after ${WARMUP}s of warm-up, every server in turn in each round"
    echo "(the order rotated), freshly started, pinned to CPU $BENCH_SERVER_CPU with one worker, the client on CPU $BENCH_CLIENT_CPU"
    echo "(workers2-*: two workers, nothing pinned: wrk shares the two cores). Values are medians over the rounds;"
    echo "CPU us = the server's utime+stime per request (or connection). portico/peer and portico/floor are the"
    echo "medians of the per-round ratios (range: their lowest and highest); calibration: the same ratio between the"
    echo "two best peers, how far two other servers move from round to round (the noise). floor: bench/floor.c,"
    echo "a fixed 1 KiB answer from memory. idle: bytes of RSS per idle connection ($IDLE_CONNS), lower is better."
    echo
    echo "## Summary"
    echo
    summarize "$META" "$RESULTS" "$NOTES" | awk '/^$/ { exit } { print }'
    echo
    echo "## Every server"
    echo
    summarize "$META" "$RESULTS" "$NOTES" | awk 'on { print } /^$/ { on = 1 }'
    echo
    echo "## Cases"
    echo
    awk -F '\t' '{ printf "- %s: %s\n", $1, $4 }' "$META"
    local errs
    errs=$(error_logs)
    [[ -z $errs ]] || printf '\n## Error logs (first line each)\n\n%s\n' "$errs"
    report_problems
}

make_docroot
echo "bench: DURATION=${DURATION}s ROUNDS=$ROUNDS WARMUP=${WARMUP}s CONNS=$BENCH_CONNS;" \
    "server on CPU ${BENCH_SERVER_CPU:-any}, client on CPU ${BENCH_CLIENT_CPU:-any}" >&2
run_families
mkdir -p "$REPORT_DIR"
rc=0
cp "$META" "$RESULTS" "$NOTES" "$REPORT_DIR/"  # the figures behind the report (bench/report.sh)
report >"$REPORT_DIR/report.md" || rc=1
cat "$REPORT_DIR/report.md"
chart_data "$META" "$RESULTS" >"$TMP/chart.tsv"
report_html "$REPORT_DIR/report.html" "$REPORT_DIR/report.md" "$TMP/chart.tsv" \
    "CPU µs per request of each server (median of $ROUNDS round(s); lower is better)"
echo "bench: report in $REPORT_DIR/report.md and, with a chart, $REPORT_DIR/report.html" >&2
exit "$rc"
