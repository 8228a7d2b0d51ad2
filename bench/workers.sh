#!/usr/bin/env bash
# bench/workers.sh -- the multi-process case: a 1 KiB file under
# `wrk -t2 -c200`, portico with `workers: 2` against nginx with
# `worker_processes 2`, nothing pinned (servers and wrk share both CPUs).
# Prints requests/s and server CPU microseconds per request (utime+stime of
# the master and its workers) for each, ROUNDS rounds alternating, medians.
#   DURATION (default 5)  ROUNDS (default 3)  PORTICO (default ./portico)
set -euo pipefail
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
PORTICO=${PORTICO:-./portico}
PORT_P=18181
PORT_N=18182
CLK_TCK=$(getconf CLK_TCK)
command -v wrk >/dev/null || { echo "bench: wrk not found (apt-get install -y wrk)" >&2; exit 1; }
[ -x "$PORTICO" ] || { echo "bench: $PORTICO missing (make)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/portico-bench-w.XXXXXX)
PID=""
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
mkdir -p "$TMP/www" "$TMP/logs"
head -c 1024 /dev/urandom >"$TMP/www/1k.bin"
chmod -R a+rX "$TMP"

cat >"$TMP/portico.yaml" <<YAML
workers: 2
access_log: off
error_log: off
limits: {keepalive_requests: 100000}
servers:
  - listen: "127.0.0.1:$PORT_P"
    root: $TMP/www
    locations: {/: {}}
YAML
cat >"$TMP/nginx.conf" <<CONF
daemon off;
worker_processes 2;
error_log $TMP/logs/error.log;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$PORT_N; root $TMP/www; }
}
CONF

ticks() {  # utime+stime of $1 and its children
    local total=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        [ -r "/proc/$p/stat" ] || continue
        total=$((total + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
    done
    echo "$total"
}

measure() {  # name port -> "rps us_per_req"
    local t0 t1 out reqs rps
    sleep 0.5
    wrk -t2 -c200 -d1s "http://127.0.0.1:$2/1k.bin" >/dev/null 2>&1 || true
    t0=$(ticks "$PID")
    out=$(wrk -t2 -c200 -d"${DURATION}s" "http://127.0.0.1:$2/1k.bin")
    t1=$(ticks "$PID")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    awk -v r="$rps" -v n="$reqs" -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
        'BEGIN { printf "%.0f %.2f\n", r, d / hz * 1e6 / n }'
}

declare -a P_RPS P_CPU N_RPS N_CPU
for ((i = 0; i < ROUNDS; i++)); do
    "$PORTICO" -c "$TMP/portico.yaml" & PID=$!
    read -r rps cpu < <(measure portico $PORT_P); P_RPS+=("$rps"); P_CPU+=("$cpu")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
    nginx -c "$TMP/nginx.conf" -p "$TMP" & PID=$!
    read -r rps cpu < <(measure nginx $PORT_N); N_RPS+=("$rps"); N_CPU+=("$cpu")
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pr=$(median "${P_RPS[@]}"); pc=$(median "${P_CPU[@]}")
nr=$(median "${N_RPS[@]}"); nc=$(median "${N_CPU[@]}")
echo "wrk -t2 -c200 -d${DURATION}s, 1 KiB file, 2 workers each, median of $ROUNDS rounds"
echo "| server  |   req/s | CPU us/req |"
echo "|---------|--------:|-----------:|"
printf "| portico | %7s | %10s |\n" "$pr" "$pc"
printf "| nginx   | %7s | %10s |\n" "$nr" "$nc"
awk -v a="$pr" -v b="$nr" -v c="$pc" -v d="$nc" \
    'BEGIN { printf "portico/nginx: req/s %.2f, CPU per request %.2f\n", a / b, c / d }'
