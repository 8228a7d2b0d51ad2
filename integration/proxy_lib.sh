# shellcheck shell=bash
# integration/proxy_lib.sh -- sourced (after lib.sh) by test_proxy.sh and
# test_proxy_more.sh: python backends (helpers/upstream.py) on ports of
# their own, started, stopped and asked for their counters; what a
# backend's JSON echo says; proxyclient.py load; poll, since, the worker
# and its RSS. Every backend (and each pid in EXTRA_PIDS) is killed at
# exit.
if ! command -v jq >/dev/null; then
    fail "jq is required"
    exit 0
fi

UPSTREAM=$HELPERS/upstream.py
PCLIENT=$HELPERS/proxyclient.py

# ------------------------------------------------------------- backends
declare -A UP_PID=() # name -> pid of its upstream.py
declare -A UP_PORT=()
EXTRA_PIDS=() # other helpers to kill at exit

# up_launch NAME [upstream.py options]: starts backend NAME on its port
# (picked once, kept across restarts); up_wait NAME: until it answers.
up_launch() {
    local name=$1
    shift
    [ -n "${UP_PORT[$name]:-}" ] || UP_PORT[$name]=$(new_port)
    python3 "$UPSTREAM" --port "${UP_PORT[$name]}" "$@" >"$T/up-$name.log" 2>&1 &
    UP_PID[$name]=$!
}
up_answers() { curl -s -o /dev/null --max-time 1 "http://127.0.0.1:${UP_PORT[$1]}/_stats"; }
up_wait() {
    poll 10 up_answers "$1" && return 0
    fail "backend $1 starts on port ${UP_PORT[$1]}" "$(tail -3 "$T/up-$1.log")"
    return 1
}
up_start() { up_launch "$@" && up_wait "$1"; }

# up_stop NAME [SIGNAL]: stops backend NAME (SIGTERM unless told)
up_stop() {
    local pid=${UP_PID[$1]:-}
    [ -n "$pid" ] || return 0
    kill "-${2:-TERM}" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    UP_PID[$1]=
}

# up_stats NAME [JQ]: /_stats of backend NAME (a jq filter of it)
up_stats() {
    curl -s --max-time "$MAXT" "http://127.0.0.1:${UP_PORT[$1]}/_stats" | jq -r "${2:-.}" 2>/dev/null
}

# up_ctl NAME QUERY: /_control?QUERY on backend NAME
up_ctl() {
    curl -s -o /dev/null --max-time "$MAXT" "http://127.0.0.1:${UP_PORT[$1]}/_control?$2"
}

up_reset() { curl -s -o /dev/null --max-time "$MAXT" "http://127.0.0.1:${UP_PORT[$1]}/_reset"; }

# up_tag NAME TAG: how many requests tagged TAG backend NAME served
up_tag() { up_stats "$1" ".tags[\"$2\"] // 0"; }

USED_PORTS=" "
new_port() { # a free port not handed out yet
    local p
    p=$(free_port)
    while [[ $USED_PORTS == *" $p "* ]]; do p=$(free_port); done
    USED_PORTS="$USED_PORTS$p "
    echo "$p"
}

_proxy_cleanup() {
    local rc=$? n
    for n in "${!UP_PID[@]}"; do up_stop "$n" KILL; done
    for n in "${EXTRA_PIDS[@]}"; do kill -KILL "$n" 2>/dev/null && wait "$n" 2>/dev/null; done
    (exit "$rc")
    _lib_cleanup
}
trap _proxy_cleanup EXIT

# ------------------------------------------------ request-side helpers

# seen NAME: the values of request header NAME the backend saw (JSON echo
# in $BODY), joined by '|'; '' when absent
seen() {
    jq -r --arg n "$1" '[.headers[] | select(.[0] | ascii_downcase == ($n | ascii_downcase)) | .[1]] | join("|")' "$BODY" 2>/dev/null
}
seen_names() { # the header names the backend saw, lower-case, sorted, space separated
    jq -r '[.headers[][0] | ascii_downcase] | sort | join(" ")' "$BODY" 2>/dev/null
}
echo_field() { jq -r ".$1" "$BODY" 2>/dev/null; }
# raw_head_hdr NAME: a header of the last raw response, complete or not
raw_head_hdr() {
    sed -n '1,/^\r$/p' "$T/raw$REQ_N/raw" | grep -ai -m1 "^$1:" | cut -d: -f2- | tr -d '\r '
}

# load [proxyclient.py load options]: sets LOAD (its JSON)
load() {
    LOAD=$(timeout $((90 * SLOW)) python3 "$PCLIENT" load --port "$PORT" --timeout $((10 * SLOW)) \
        --deadline $((60 * SLOW)) "$@" 2>"$T/load.err")
    [ -n "$LOAD" ] || LOAD='{"ok":0,"failed":-1,"errors":["proxyclient.py printed nothing"]}'
}
lj() { jq -r "$1" <<<"$LOAD"; }
load_summary() { jq -c '{ok, failed, statuses, ids, conns, errors}' <<<"$LOAD"; }

# elapsed since t0 (date +%s.%N) in seconds, 2 decimals
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

# poll SECONDS CMD...: runs CMD every 0.1 s until it succeeds, for at most
# SECONDS (times $SLOW) by the clock; 1 if it never does
poll() {
    local end=$(($(date +%s%N) + $1 * SLOW * 1000000000))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s%N)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

worker() { pgrep -P "$SERVER_PID" | head -1; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null; }
