#!/usr/bin/env bash
# bench/idle.sh -- memory per idle keep-alive connection: portico against
# nginx, h2o and lighttpd (plain HTTP).
#
# Run from the repository root. Each round starts each server afresh, one
# worker (or process, or thread) each, serving a 1 KiB file, and runs
# bench/idle_client: IDLE_CONNS connections (64 at a time in flight) that
# each make one keep-alive GET /1k.bin, read the whole answer, then stay
# open and silent. The figure is the growth of the server's RSS (VmRSS
# summed over its processes) divided by IDLE_CONNS, in bytes; the kernel's
# socket memory is not in it. The median of ROUNDS runs is reported with
# the min-max range.
#
# Knobs: IDLE_CONNS (default 10000), ROUNDS (3), SERVERS ("portico nginx
# h2o lighttpd"), BASE_PORT (18300), PORTICO (./portico), SERVER_CPU /
# CLIENT_CPU (0 / 1), KEEP=1 keeps the scratch folder.
#   bench/idle.sh
#   IDLE_CONNS=2000 ROUNDS=1 SERVERS=portico bench/idle.sh
# The client alone: bench/idle_client -n COUNT -p SERVER_PID HOST PORT PATH
# (its header says what it prints).
set -euo pipefail

IDLE_CONNS=${IDLE_CONNS:-10000}
ROUNDS=${ROUNDS:-3}
DURATION=1  # unused here; lib.sh's check_knobs wants it
SERVERS=${SERVERS:-"portico nginx h2o lighttpd"}
BASE_PORT=${BASE_PORT:-18300}
PORTICO=${PORTICO:-./portico}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
KNOWN="portico nginx h2o lighttpd"

# shellcheck source=lib.sh source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

check_knobs IDLE_CONNS ROUNDS BASE_PORT
((IDLE_CONNS >= 1)) || die "IDLE_CONNS must be >= 1"
need taskset curl "${CC:-cc}"
bench_init portico-bench-idle
FDS=$((IDLE_CONNS + 1024))
# lighttpd allows max-fds / 2 connections: it gets what the hard limit gives.
HARD=$(ulimit -Hn)
[[ $HARD == unlimited ]] && HARD=$((FDS * 2))
((HARD >= FDS)) || die "IDLE_CONNS=$IDLE_CONNS needs $FDS open files (ulimit -Hn is $HARD)"
ulimit -n "$HARD"

DOCROOT=$TMP/www
mkdir -p "$DOCROOT"
head -c 1024 /dev/urandom >"$DOCROOT/1k.bin"
chmod 755 "$TMP" "$DOCROOT"
chmod 644 "$DOCROOT/1k.bin"

CLIENT=$TMP/idle_client
"${CC:-cc}" -O2 -std=c11 -Wall -Wextra -o "$CLIENT" "$(dirname "$0")/idle_client.c" \
    >"$TMP/cc.log" 2>&1 || { cat "$TMP/cc.log" >&2; die "bench/idle_client.c did not build"; }

# prepare NAME PORT DIR: NAME's config in DIR, room for IDLE_CONNS
# connections; prints the command.
prepare() {
    local port=$2 dir=$3
    case $1 in
    portico)
        portico_conf 1 off "$port" | sed "s/^limits:/limits:\n  connections: $FDS/" >"$dir/portico.yaml"
        portico_cmd "$dir"
        ;;
    nginx)
        nginx_prepare nginx "$dir" <<EOF >/dev/null || return 1
$(nginx_files)
    server {
        listen $HOST:$port;
        root $DOCROOT;
        location / { }
    }
EOF
        sed -i "s/worker_connections 4096;/worker_connections $FDS;/;
                s/^worker_processes 1;/worker_processes 1;\nworker_rlimit_nofile $FDS;/" "$dir/nginx.conf"
        printf '%s\n' "$(server_bin nginx nginx-light)" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
        ;;
    h2o)
        h2o_prepare "$port" "$dir" "file.dir: $DOCROOT" || return 1
        echo "max-connections: $FDS" >>"$dir/h2o.conf"
        ;;
    lighttpd)
        lighttpd_prepare "$port" "$dir" <<EOF
server.max-connections = $FDS
server.max-fds = $HARD
server.modules = ()
mimetype.assign = (".bin" => "application/octet-stream")
EOF
        ;;
    esac
}

declare -A PER=()

# bench_server NAME ROUND: one idle_client run against the fresh server.
bench_server() {
    local s=$1 r=$2 out=$TMP/$1/idle-$2.txt per
    sleep 0.3
    pin "${CLIENT_CPU:-}"
    if ! "${PIN[@]}" "$CLIENT" -n "$IDLE_CONNS" -c 64 -s 500 -p "$SRV_PID" \
        "$HOST" "$(port_of "$s")" /1k.bin >"$out" 2>&1; then
        note "$s: idle_client failed:"
        sed 's/^/    /' "$out" >&2
        return 1
    fi
    per=$(awk '$1 == "bytes_per_conn" {print $2}' "$out")
    PER[$s]+="$per "
    printf '  round %d  %-8s %7s B/conn  (RSS %s -> %s KiB, %d connections)\n' "$r" "$s" "$per" \
        "$(awk '$1 == "rss_before" {print $2}' "$out")" "$(awk '$1 == "rss_after" {print $2}' "$out")" \
        "$IDLE_CONNS" >&2
}

prepare_all
run_rounds

echo
echo "## Idle keep-alive connections ($IDLE_CONNS, one GET /1k.bin each; $ROUNDS rounds)"
echo
echo "| server   | bytes/conn | range       |"
echo "|----------|-----------:|-------------|"
for s in "${ACTIVE[@]}"; do
    # shellcheck disable=SC2086 # one number a word
    if [[ -n ${PER[$s]:-} ]]; then
        printf '| %-8s | %10.0f | %-11s |\n' "$s" "$(median ${PER[$s]})" "$(range_of %.0f ${PER[$s]})"
    else
        printf '| %-8s | %10s | %-11s |\n' "$s" failed -
    fi
done
report_problems
