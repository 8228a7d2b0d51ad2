#!/usr/bin/env bash
# bench/proxy.sh -- portico's reverse proxy against nginx, h2o and HAProxy.
#
# Run from the repository root (make bench-proxy). One upstream serves every
# proxy: an nginx (a single process, keep-alive, no access log) with a 1 KiB
# and a 1 MiB file, pinned to UPSTREAM_CPU (default: wrk's CPU, as this is
# meant for a 2-CPU machine). Each round starts every proxy in turn, pinned
# to SERVER_CPU with one worker / process / thread, and loads it with
# wrk -t1 -c$CONNS (keep-alive) pinned to CLIENT_CPU, for two cases:
#   1k   GET /1k.bin through the proxy
#   1m   GET /1m.bin through the proxy
# The proxies, each sending HTTP/1.1 with keep-alive to the upstream:
#   portico  an upstream group with keepalive 32, location / proxied to it
#   nginx    proxy_pass to upstream { server ...; keepalive 32;
#            keepalive_requests 100000; }, proxy_http_version 1.1,
#            proxy_set_header Connection "" (keepalive_requests raised from
#            its default 1000 so that it does not reconnect more than portico)
#   h2o      proxy.reverse.url (its own upstream keep-alive, 2 s idle)
#   haproxy  mode http, http-reuse always (its default idle pool)
# Before timing, each round checks that both files come back through the
# proxy byte for byte and that the upstream saw those requests; a peer that
# cannot start or fails that check at the outset is skipped with a note.
#
# Reported per case and proxy: the median over ROUNDS (and the min-max) of
# requests/s and of the proxy's CPU time per request (utime+stime of the
# proxy process and its descendants, from /proc/PID/stat), the share of a CPU
# the proxy used, the upstream's CPU per request, "other%" (CPU time on the
# CPUs used by anything but the proxy, the upstream and wrk: a busy machine
# makes req/s unreliable), and portico's ratios to each peer. Then, per
# proxy, the connections the upstream accepted during a timed run (from its
# stub_status), which shows how well each proxy reuses its connections.
#
# Environment knobs:
#   DURATION      seconds per wrk run             (default 5)
#   ROUNDS        rounds; the median is kept      (default 3)
#   CONNS         wrk connections                 (default 50)
#   SERVERS       subset, e.g. "portico nginx"    (default "portico nginx h2o haproxy")
#   WARMUP        seconds of warm-up after start  (default 1; 0 = none)
#   BASE_PORT     first loopback port             (default 18100; the proxies
#                 +0..+3, the upstream +10)
#   PORTICO       portico binary                  (default ./portico)
#   SERVER_CPU / CLIENT_CPU  CPUs for taskset     (default 0 / 1)
#   UPSTREAM_CPU  the upstream nginx's CPU        (default CLIENT_CPU; empty: not pinned)
#   KEEP          1: keep the scratch folder with the configurations, logs
#                 and wrk reports                 (default 0)
set -euo pipefail

DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-50}
SERVERS=${SERVERS:-"portico nginx h2o haproxy"}
WARMUP=${WARMUP:-1}
BASE_PORT=${BASE_PORT:-18100}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
UPSTREAM_CPU=${UPSTREAM_CPU-$CLIENT_CPU}
KNOWN="portico nginx h2o haproxy"  # ports BASE_PORT+0..+3
CASES=(1k 1m)

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

check_knobs DURATION ROUNDS CONNS WARMUP BASE_PORT
need wrk taskset curl cmp
bench_init portico-bench-proxy
UPSTREAM_PORT=$((BASE_PORT + 10))

# ---------------------------------------------------------------- docroot
DOCROOT=$TMP/www
mkdir -p "$DOCROOT"
head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
head -c $((1024 * 1024)) /dev/urandom >"$DOCROOT/1m.bin"
chmod 755 "$TMP" "$DOCROOT"
chmod 644 "$DOCROOT"/*.bin

case_path() { echo "/$1.bin"; }

# ---------------------------------------------------------------- upstream
# start_upstream: the upstream nginx, serving DOCROOT on UPSTREAM_PORT with
# /stub_status, on UPSTREAM_CPU; dies if it cannot run. Its
# keepalive_requests is high so that only the proxies close connections.
start_upstream() {
    local dir=$TMP/upstream cmd
    mkdir -p "$dir"
    chmod 755 "$dir"
    cmd=$(nginx_prepare upstream "$dir" <<EOF
    sendfile on;
    tcp_nopush on;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    server {
        listen $HOST:$UPSTREAM_PORT;
        keepalive_requests 1000000;
        root $DOCROOT;
        location / { }
        location = /stub_status { stub_status; }
    }
EOF
    ) || die "the upstream nginx cannot run"
    mapfile -t CMD <<<"$cmd"
    start_aux upstream "$UPSTREAM_PORT" "$UPSTREAM_CPU" || die "the upstream nginx did not start"
    upstream_counts || die "the upstream nginx has no stub_status"
}

# upstream_counts: sets UP_ACCEPTS, UP_REQUESTS and UP_ACTIVE from the
# upstream's stub_status (they count the stub_status request itself);
# returns 1 after a note if it does not answer.
upstream_counts() {
    local out
    out=$(curl -s --max-time 2 "http://$HOST:$UPSTREAM_PORT/stub_status" || true)
    UP_ACTIVE="" UP_ACCEPTS="" UP_REQUESTS=""
    read -r UP_ACTIVE UP_ACCEPTS UP_REQUESTS < <(awk '
        /^Active connections:/ { a = $3 }
        /^ *[0-9]+ +[0-9]+ +[0-9]+ *$/ { print a, $1, $3 }' <<<"$out") || true
    if [[ -z $UP_REQUESTS ]]; then
        note "the upstream's stub_status did not answer (${out:0:80})"
        return 1
    fi
}

# ---------------------------------------------------------------- proxies
# prepare NAME PORT DIR: writes NAME's config into DIR and prints its
# command (one word a line); returns 1 after a note when it cannot run.
prepare() {
    local port=$2 dir=$3 bin up=$HOST:$UPSTREAM_PORT
    case $1 in
    portico)
        {
            portico_conf 1 "$dir/error.log" "$port" "{proxy: http://up}"
            cat <<EOF
upstreams:
  up:
    servers: ["$up"]
    keepalive: 32
EOF
        } >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    nginx)
        nginx_prepare nginx "$dir" <<EOF
    upstream up {
        server $up;
        keepalive 32;
        keepalive_requests 100000;
    }
    server {
        listen $HOST:$port;
        location / {
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
EOF
        ;;
    h2o)
        h2o_prepare "$port" "$dir" "proxy.reverse.url: http://$up/"
        ;;
    haproxy)
        bin=$(server_bin haproxy haproxy) || return 1
        cat >"$dir/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 75s
    timeout server 60s
    timeout http-keep-alive 75s
frontend proxy
    bind $HOST:$port
    default_backend up
backend up
    http-reuse always
    server up $up
EOF
        check_config haproxy "configuration check" "$bin" -c -f "$dir/haproxy.cfg" || return 1
        # -db: in the foreground; its messages go to stderr.log
        printf '%s\n' "$bin" -db -f "$dir/haproxy.cfg"
        ;;
    esac
}

# check_proxy NAME: both files come back through proxy NAME byte for byte
# and the upstream saw the requests; returns 1 after a note if not.
check_proxy() {
    local s=$1 port c got code r0
    port=$(port_of "$s")
    upstream_counts || return 1
    r0=$UP_REQUESTS
    for c in "${CASES[@]}"; do
        got=$TMP/$s/check-$c
        code=$(curl -s -o "$got" -w '%{http_code}' --max-time 10 \
            "http://$HOST:$port$(case_path "$c")" || true)
        if [[ $code != 200 ]] || ! cmp -s "$got" "$DOCROOT/$c.bin"; then
            note "$s: $(case_path "$c") through it answered '$code' with $(wc -c <"$got") bytes, not the upstream's file"
            return 1
        fi
    done
    upstream_counts || return 1
    if ((UP_REQUESTS - r0 - 1 < ${#CASES[@]})); then
        note "$s: answered without asking the upstream ($((UP_REQUESTS - r0 - 1)) requests seen there)"
        return 1
    fi
}

# ---------------------------------------------------------------- runs
# per key "case proxy": the upstream's accepted connections, requests,
# connections still open after the run, CPU us per request; one a round
declare -A UPCONN=() UPREQ=() UPOPEN=() UPUS=()

# run_case NAME CASE ROUND: one wrk run of CASE through proxy NAME.
run_case() {
    local s=$1 c=$2 r=$3 us upus a0 q0 conns ureqs p0 p1 key="round $3, $1, $2"
    upstream_counts || return 1
    a0=$UP_ACCEPTS q0=$UP_REQUESTS
    p0=$(tree_pids "$SRV_PID")
    measure "$s ($c)" "http://$HOST:$(port_of "$s")$(case_path "$c")" \
        "$TMP/$s/wrk-$c-$r.txt" || return 1
    p1=$(tree_pids "$SRV_PID")
    upstream_counts || return 1
    # the second stub_status request is counted, the first was already
    conns=$((UP_ACCEPTS - a0 - 1)) ureqs=$((UP_REQUESTS - q0 - 1))
    us=$(per_req "$RUN_TICKS" %.3f)
    upus=$(per_req "$RUN_AUX_TICKS" %.3f)
    flag_run "$key" ok
    [[ $p0 == "$p1" ]] ||
        WARNINGS+=("$key: $s's processes changed during the run ($p0-> $p1): a crash? (see its error log below)")
    # Every answer wrk got was asked of the upstream during the run (fewer:
    # a cache); more: up to CONNS in flight when wrk stopped, and up to
    # CONNS requests of the run before (the warm-up) that a busy proxy read
    # from its closed client connections and forwarded only after this run
    # began; beyond that, retries.
    ((ureqs >= RUN_REQS && ureqs <= RUN_REQS + 2 * CONNS)) ||
        WARNINGS+=("$key: wrk got $RUN_REQS answers but the upstream served $ureqs requests")
    record "$c $s" "$us"
    UPCONN["$c $s"]+="$conns " UPREQ["$c $s"]+="$ureqs "
    UPOPEN["$c $s"]+="$((UP_ACTIVE - 1)) " UPUS["$c $s"]+="$upus "
    printf '  round %d  %-8s %-3s %10s req/s %9s us/req  proxy %3s%% CPU, others %3s%%;' \
        "$r" "$s" "$c" "$RUN_RPS" "$us" "$RUN_UTIL" "$RUN_OTHER" >&2
    printf ' latency max %s; upstream: %s us/req, %d connections for %d requests\n' \
        "$(awk '$1 == "Latency" {print $4; exit}' "$TMP/$s/wrk-$c-$r.txt")" "$upus" "$conns" "$ureqs" >&2
}

# bench_server NAME ROUND: checks that it proxies, warms up, runs each case.
bench_server() {
    local s=$1 r=$2 c rc=0
    check_proxy "$s" || return 1
    warm_up "http://$HOST:$(port_of "$s")/1k.bin"
    for c in "${CASES[@]}"; do
        run_case "$s" "$c" "$r" || rc=1
    done
    return "$rc"
}

# preflight: starts each proxy of ACTIVE once and checks that it proxies;
# a peer that cannot start or does not proxy is dropped from ACTIVE with a
# one-line note; portico failing stops the benchmark.
preflight() {
    local s why
    local -a ok=()
    for s in "${ACTIVE[@]}"; do
        mapfile -t CMD <<<"${CMDS[$s]}"
        if start_server "$s" 2>"$TMP/$s/preflight.txt" && check_proxy "$s" 2>>"$TMP/$s/preflight.txt"; then
            ok+=("$s")
        elif [[ $s == portico ]]; then
            cat "$TMP/$s/preflight.txt" >&2
            die "portico does not proxy, nothing to compare"
        else
            why=$(head -n 1 "$TMP/$s/preflight.txt")
            note "skipping $s: ${why#bench: }"
        fi
        stop_server
    done
    ((${#ok[@]} > 0)) || die "no proxy to benchmark"
    ACTIVE=("${ok[@]}")
}

# ---------------------------------------------------------------- main
prepare_all
start_upstream
preflight
echo "bench: proxies: ${ACTIVE[*]}; DURATION=${DURATION}s ROUNDS=$ROUNDS CONNS=$CONNS;" \
    "proxy on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU, upstream nginx on CPU ${UPSTREAM_CPU:-any}" >&2
run_rounds

# ---------------------------------------------------------------- report
fmt_int() { awk -v x="$1" 'BEGIN{printf "%.0f", x}'; }
row() {
    printf '| %-4s | %-8s | %8s | %13s | %10s | %15s | %6s | %9s | %6s | %9s | %9s |\n' "$@"
}
ups="any CPU (not pinned)"
if [[ -n $UPSTREAM_CPU ]]; then
    ups="CPU $UPSTREAM_CPU"
    [[ $UPSTREAM_CPU != "$CLIENT_CPU" ]] || ups+=", sharing wrk's"
fi

echo
echo "## portico proxy benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs)"
echo
echo "wrk -t1 -c$CONNS -d${DURATION}s (keep-alive) through each proxy to one upstream nginx serving the"
echo "files; median (and min-max) of $ROUNDS round(s), the proxies interleaved in each round."
echo "Proxy on CPU $SERVER_CPU (one worker/process/thread), wrk on CPU $CLIENT_CPU, upstream nginx on $ups."
echo "CPU us/req = the proxy's utime+stime per request (process and descendants); proxy CPU% = share of"
echo "one CPU it used (under ~95%: it waited for wrk or the upstream); up us/req = the upstream's CPU per"
echo "request; other% = CPU time on CPUs $SERVER_CPU,$CLIENT_CPU used by anything but the proxy, the upstream and wrk"
echo "(% of one CPU): above ~10% the machine was busy and req/s is unreliable."
echo "Ratios are portico/peer: req/s higher is better, CPU lower is better."
echo
row case proxy "req/s" "req/s range" "CPU us/req" "CPU range" "proxy%" "up us/req" "other%" "rps ratio" "CPU ratio"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------ ---------- ---------: --------------: \
    -----------: ----------------: -------: ----------: -------: ----------: ----------:
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
            continue
        fi
        medians "$k"
        rr="-" cr="-"
        if [[ $s != portico ]]; then
            rr=$(ratio "$p_rps" "$MED_RPS")
            cr=$(ratio "$p_cpu" "$MED_CPU")
        fi
        # shellcheck disable=SC2086 # space-separated numbers
        row "$c" "$s" "$(fmt_int "$MED_RPS")" "$(range_of %.0f ${RPS[$k]})" \
            "$(printf %.2f "$MED_CPU")" "$(range_of %.2f ${CPU[$k]})" "$(fmt_int "$MED_UTIL")" \
            "$(printf %.2f "$(median ${UPUS[$k]})")" "$(fmt_int "$MED_OTHER")" "$rr" "$cr"
    done
done
if [[ ! " ${ACTIVE[*]} " =~ " portico " ]]; then
    echo
    echo "(portico was not run, so there are no ratios)"
fi

echo
echo "Connections the upstream accepted during one ${DURATION}s run (median over rounds; its stub_status),"
echo "the requests it served, and the connections still open right after the run:"
for s in "${ACTIVE[@]}"; do
    line=""
    for c in "${CASES[@]}"; do
        k="$c $s"
        [[ -n ${UPCONN[$k]:-} ]] || continue
        # shellcheck disable=SC2086 # space-separated numbers
        conns=$(fmt_int "$(median ${UPCONN[$k]})") reqs=$(fmt_int "$(median ${UPREQ[$k]})")
        each="all on connections opened before"
        ((conns == 0)) || each="$(fmt_int "$(ratio "$reqs" "$conns")") each"
        # shellcheck disable=SC2086
        line+="${line:+; }$c: $conns connections for $reqs requests ($each), $(fmt_int "$(median ${UPOPEN[$k]})") open after"
    done
    echo "- $s: ${line:-no run}"
done

# error_lines NAME: the lines of NAME's error log and stderr but the
# debug, info and notice ones and h2o's start and stop messages.
error_lines() {
    cat "$TMP/$1/error.log" "$TMP/$1/stderr.log" 2>/dev/null |
        grep -v -i -E '^$|\[(debug|info|notice)\]|is ready to serve requests$|^received SIGTERM, gracefully shutting down$' ||
        true
}
echo
for s in "${ACTIVE[@]}"; do
    mapfile -t lines < <(error_lines "$s")
    if ((${#lines[@]} == 0)); then
        echo "$s's error log: nothing beyond start and stop."
    else
        echo "$s's error log: ${#lines[@]} line(s), the first ones:"
        printf '    %s\n' "${lines[@]:0:8}"
    fi
done
report_problems || exit 1
