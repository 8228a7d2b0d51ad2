#!/usr/bin/env bash
# bench/workers.sh -- the multi-process case: a 1 KiB file under
# `wrk -t2 -c200`, portico with `workers: 2` against nginx with
# `worker_processes 2`, nothing pinned (servers and wrk share both CPUs).
# Prints requests/s and server CPU microseconds per request (utime+stime of
# the master and its workers) for each, ROUNDS rounds alternating, medians.
#   DURATION (default 5)  ROUNDS (default 3)  PORTICO (default ./portico)
#   BASE_PORT (default 18181: portico; nginx on the next port)
set -euo pipefail
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
PORTICO=${PORTICO:-./portico}
BASE_PORT=${BASE_PORT:-18181}
SERVERS="portico nginx"
KNOWN=$SERVERS      # ports BASE_PORT+0, +1
CONNS=200           # wrk -t2 -c200, after 1 s of warm-up
WARMUP=1
SERVER_CPU=""       # nothing pinned
CLIENT_CPU=""

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"
WRK_THREADS=2

check_knobs DURATION ROUNDS BASE_PORT
need wrk curl
bench_init portico-bench-w
DOCROOT=$TMP/www
mkdir -p "$DOCROOT"
head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
chmod -R a+rX "$TMP"

# prepare NAME PORT DIR: writes its config into DIR and prints its command.
prepare() {
    local port=$2 dir=$3 bin
    case $1 in
    portico)
        portico_conf 2 off "$port" >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    nginx)
        bin=$(server_bin nginx nginx-light) || return 1
        cat >"$dir/nginx.conf" <<CONF
daemon off;
worker_processes 2;
error_log $dir/error.log;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000;
  keepalive_requests 100000;
  server { listen $HOST:$port; root $DOCROOT; }
}
CONF
        check_config nginx "configuration test" \
            "$bin" -t -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" || return 1
        printf '%s\n' "$bin" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
        ;;
    esac
}

# bench_server NAME ROUND: warms up and runs wrk once against server NAME.
bench_server() {
    local s=$1 r=$2 url
    url="http://$HOST:$(port_of "$s")/1k.bin"
    warm_up "$url"
    measure "$s" "$url" "$TMP/$s/wrk-$r.txt" || return 1
    flag_run "round $r, $s" ok
    record "$s" "$(per_req "$RUN_TICKS" %.2f)"
}

prepare_all
[[ ${#ACTIVE[@]} == 2 ]] || die "both portico and nginx are needed"
run_rounds

# req/s and CPU us/req of server NAME, as printed
declare -A M_RPS=() M_CPU=()
echo "wrk -t2 -c200 -d${DURATION}s, 1 KiB file, 2 workers each, median of $ROUNDS rounds"
echo "| server  |   req/s | CPU us/req |"
echo "|---------|--------:|-----------:|"
for s in "${ACTIVE[@]}"; do
    if [[ -z ${RPS[$s]:-} ]]; then
        printf "| %-7s | %7s | %10s |\n" "$s" failed -
        continue
    fi
    medians "$s"
    M_RPS[$s]=$(printf %.0f "$MED_RPS")
    M_CPU[$s]=$(printf %.2f "$MED_CPU")
    printf "| %-7s | %7s | %10s |\n" "$s" "${M_RPS[$s]}" "${M_CPU[$s]}"
done
if [[ -n ${M_RPS[portico]:-} && -n ${M_RPS[nginx]:-} ]]; then
    echo "portico/nginx: req/s $(ratio "${M_RPS[portico]}" "${M_RPS[nginx]}")," \
        "CPU per request $(ratio "${M_CPU[portico]}" "${M_CPU[nginx]}")"
fi
report_problems || exit 1
