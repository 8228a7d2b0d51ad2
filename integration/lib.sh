# shellcheck shell=bash
# integration/lib.sh -- sourced by every integration/test_*.sh.
#
# Gives a test script: a private temp dir ($T), free ports, configs rendered
# from configs/test/ templates, a server started in the background and
# stopped (and checked) at the end, request helpers (curl and raw sockets)
# and assertion helpers that count into the shared results file run.sh
# sums up. A script can also run alone: `integration/test_static.sh`.
#
# Environment:
#   PORTICO_BIN      the server binary (default ./portico of the repo)
#   PORTICO_WRAP     command prefixed to the server (e.g. "valgrind -q
#                    --error-exitcode=99"); timing limits are then relaxed
#   PORTICO_RESULTS  results file (set by run.sh)
#   KEEP_TMP=1       keep the temp dir (server logs, bodies) for debugging

set -u

INTEG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$INTEG_DIR/.." && pwd)
HELPERS=$INTEG_DIR/helpers
WWW=$INTEG_DIR/www
CONFIGS=$REPO_DIR/configs/test

PORTICO_BIN=${PORTICO_BIN:-$REPO_DIR/portico}
case $PORTICO_BIN in
/*) ;;
*/*) PORTICO_BIN=$(cd "$(dirname "$PORTICO_BIN")" && pwd)/$(basename "$PORTICO_BIN") ;;
*) PORTICO_BIN=$(command -v "$PORTICO_BIN" || echo "$PORTICO_BIN") ;;
esac
PORTICO_WRAP=${PORTICO_WRAP:-}

# Time factor: everything is slower under valgrind, and under the
# sanitizers (an ASan build of 2-3 times the CPU per request).
SLOW=1
case $PORTICO_BIN in *asan*) SLOW=3 ;; esac
[ -n "$PORTICO_WRAP" ] && SLOW=6
MAXT=$((5 * SLOW)) # curl --max-time for one request

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/portico-it.XXXXXX")

OWN_RESULTS=0
if [ -z "${PORTICO_RESULTS:-}" ]; then
    PORTICO_RESULTS=$T/results
    OWN_RESULTS=1
fi
: >>"$PORTICO_RESULTS"

SERVER_PID=
SERVER_CHILDREN=
SERVER_N=0
REQ_N=0
STATUS=000
HDRS=$T/none.h
BODY=$T/none.b
LAST_REQ=
RAW_END=
RAW_OUT=
: >"$HDRS"
: >"$BODY"

# ---------------------------------------------------------------- results

pass() {
    echo "PASS $TEST_NAME: $1" >>"$PORTICO_RESULTS"
    echo "  ok    $1"
}

# fail NAME [DETAIL]
fail() {
    local d=${2:-}
    d=${d//$'\n'/ | }
    echo "FAIL $TEST_NAME: $1${d:+ -- $d}" >>"$PORTICO_RESULTS"
    echo "  FAIL  $1${d:+ -- $d}"
}

# check NAME CONDITION      (one string: evaluated by the shell)
# check NAME CMD [ARGS...]  (a command: run as is)
check() {
    local name=$1
    shift
    local rc
    if [ $# -eq 1 ]; then
        (eval "$1") >/dev/null 2>&1
        rc=$?
    else
        "$@" >/dev/null 2>&1
        rc=$?
    fi
    if [ $rc -eq 0 ]; then
        pass "$name"
    else
        fail "$name" "condition failed: $*${LAST_REQ:+ [last request: $LAST_REQ -> $STATUS]}"
    fi
}

# check_eq NAME EXPECTED GOT
check_eq() {
    if [ "$2" == "$3" ]; then
        pass "$1"
    else
        fail "$1" "expected '$2', got '$3'${LAST_REQ:+ [request: $LAST_REQ]}"
    fi
}

# check_match NAME ERE GOT
check_match() {
    if [[ $3 =~ $2 ]]; then
        pass "$1"
    else
        fail "$1" "expected to match /$2/, got '$3'${LAST_REQ:+ [request: $LAST_REQ]}"
    fi
}

# between VALUE LO HI (floats)
between() {
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'
}

# --------------------------------------------------------------- requests

# Options http() gives curl before the caller's, e.g. (--cacert CA.pem)
# for a server on HTTPS.
CURL_OPTS=()

# http [curl args...] URL
# Sets STATUS (000 when no response), HDRS (head file), BODY (body file).
http() {
    REQ_N=$((REQ_N + 1))
    HDRS=$T/req$REQ_N.h
    BODY=$T/req$REQ_N.b
    : >"$HDRS"
    : >"$BODY"
    LAST_REQ="curl $*"
    STATUS=$(curl -sS "${CURL_OPTS[@]}" --max-time "$MAXT" -o "$BODY" -D "$HDRS" -w '%{http_code}' "$@" 2>>"$T/curl.err")
    [ -n "$STATUS" ] || STATUS=000
}

# raw [rawhttp.py options...] DATA
# Sends DATA (Python escapes: \r \n \x00) on a new connection; see
# helpers/rawhttp.py. Sets STATUS, HDRS, BODY of the first response, RAW_OUT
# (all summary lines) and RAW_END (the END line).
raw() {
    REQ_N=$((REQ_N + 1))
    local dir=$T/raw$REQ_N
    local data=${*: -1}
    LAST_REQ="raw '${data:0:120}'"
    RAW_OUT=$(python3 -S "$HELPERS/rawhttp.py" --port "${RAW_PORT:-$PORT}" --timeout "$MAXT" \
        --out "$dir" "$@" 2>"$dir.err")
    RAW_END=$(grep '^END ' <<<"$RAW_OUT")
    STATUS=$(awk '$1 == "R" && $2 == 1 { print $3 }' <<<"$RAW_OUT")
    [ -n "$STATUS" ] || STATUS=000
    HDRS=$dir/h1
    BODY=$dir/b1
    [ -e "$HDRS" ] || { mkdir -p "$dir" && : >"$HDRS" && : >"$BODY"; }
}

# raw_field KEY: a field of the END line (reason is the word after END).
raw_field() {
    if [ "$1" = reason ]; then
        awk '{ print $2 }' <<<"$RAW_END"
    else
        tr ' ' '\n' <<<"$RAW_END" | sed -n "s/^$1=//p"
    fi
}

# raw_statuses: the statuses of all responses, space separated.
raw_statuses() {
    awk '$1 == "R" { printf "%s%s", sep, $3; sep = " " }' <<<"$RAW_OUT"
}

# hdr NAME [FILE]: value of a header of the last response ('' if absent).
hdr() {
    local f=${2:-$HDRS}
    grep -i -m1 "^$1:" "$f" 2>/dev/null | cut -d: -f2- | tr -d '\r' |
        sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'
}

has_hdr() {
    grep -qi "^$1:" "${2:-$HDRS}" 2>/dev/null
}

expect_status() {
    if [ "$STATUS" = "$2" ]; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; expected status $2, got $STATUS$(head -c 200 "$HDRS" 2>/dev/null | head -1 | tr -d '\r' | sed 's/^/ (/;s/$/)/')"
    fi
}

# expect_header NAME HEADER VALUE (exact, case-sensitive value)
expect_header() {
    local got
    got=$(hdr "$2")
    if has_hdr "$2" && [ "$got" = "$3" ]; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; expected '$2: $3', got $(has_hdr "$2" && echo "'$2: $got'" || echo "no $2 header")"
    fi
}

# expect_header_re NAME HEADER ERE
expect_header_re() {
    local got
    got=$(hdr "$2")
    if has_hdr "$2" && [[ $got =~ $3 ]]; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; expected '$2' matching /$3/, got $(has_hdr "$2" && echo "'$2: $got'" || echo "no $2 header")"
    fi
}

expect_no_header() {
    if has_hdr "$2"; then
        fail "$1" "request: $LAST_REQ; unexpected header '$2: $(hdr "$2")'"
    else
        pass "$1"
    fi
}

# expect_body NAME SUBSTRING: the body contains SUBSTRING
expect_body() {
    if grep -qF -- "$2" "$BODY" 2>/dev/null; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; body ($(wc -c <"$BODY") bytes) lacks '$2': $(head -c 120 "$BODY" | tr -d '\0' | tr '\r\n' '  ')"
    fi
}

# expect_no_body NAME SUBSTRING: the body does not contain SUBSTRING
expect_no_body() {
    if grep -qF -- "$2" "$BODY" 2>/dev/null; then
        fail "$1" "request: $LAST_REQ; body contains '$2'"
    else
        pass "$1"
    fi
}

# expect_body_file NAME FILE: byte-exact body
expect_body_file() {
    if cmp -s "$BODY" "$2"; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; body ($(wc -c <"$BODY") bytes) differs from $2 ($(wc -c <"$2") bytes)"
    fi
}

expect_body_size() {
    check_eq "$1" "$2" "$(wc -c <"$BODY" | tr -d ' ')"
}

# ------------------------------------------------------------ ports, configs

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# render SRC DST [FROM=TO ...]
# Copies a config, replacing literal strings. Always: the test docroot's
# relative path becomes absolute (the copy lives elsewhere), 18080 -> $PORT
# and 18081 -> $PORT2 (when set).
render() {
    local src=$1 dst=$2
    shift 2
    python3 - "$src" "$dst" "../../integration/www=$WWW" \
        "18080=${PORT:-18080}" "18081=${PORT2:-18081}" "$@" <<'EOF'
import sys
src, dst, pairs = sys.argv[1], sys.argv[2], sys.argv[3:]
text = open(src, encoding="utf-8").read()
for p in pairs:
    a, b = p.split("=", 1)
    text = text.replace(a, b)
open(dst, "w", encoding="utf-8").write(text)
EOF
}

# use_config NAME: picks PORT (and PORT2), renders configs/test/NAME.yaml
# into $T/NAME.yaml; CONFIG is its path.
use_config() {
    PORT=$(free_port)
    PORT2=$(free_port)
    while [ "$PORT2" = "$PORT" ]; do PORT2=$(free_port); done
    CONFIG=$T/$1.yaml
    render "$CONFIGS/$1.yaml" "$CONFIG"
    # shellcheck disable=SC2034 # used by the tests
    U=http://127.0.0.1:$PORT
}

# ----------------------------------------------------------------- server

# is_running PID: alive and not a zombie
is_running() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# start_server CONFIG [PORT]: starts the server and waits until it answers.
start_server() {
    local cfg=$1 port=${2:-$PORT}
    SERVER_N=$((SERVER_N + 1))
    SERVER_OUT=$T/server$SERVER_N.out
    SERVER_ERR=$T/server$SERVER_N.err
    SERVER_PORT=$port
    # shellcheck disable=SC2086 # PORTICO_WRAP is a command line
    $PORTICO_WRAP "$PORTICO_BIN" -c "$cfg" >"$SERVER_OUT" 2>"$SERVER_ERR" &
    SERVER_PID=$!
    echo "$SERVER_PID" >>"$PORTICO_RESULTS.pids"
    local i code
    for ((i = 0; i < 50 * SLOW; i++)); do
        if ! is_running "$SERVER_PID"; then
            wait "$SERVER_PID" 2>/dev/null
            fail "server starts ($(basename "$cfg"))" "exited with status $? before answering: $(tail -5 "$SERVER_ERR" | tr '\n' ' ')"
            SERVER_PID=
            return 1
        fi
        code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null)
        if [ -n "$code" ] && [ "$code" != 000 ]; then
            sleep 0.2 # let every worker start
            SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
            pass "server starts ($(basename "$cfg"))"
            return 0
        fi
        sleep 0.1
    done
    fail "server starts ($(basename "$cfg"))" "no answer on port $port within $((5 * SLOW)) s: $(tail -5 "$SERVER_ERR" | tr '\n' ' ')"
    kill -KILL "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    return 1
}

# stop_server [signalled]: SIGTERM, then checks: exit status 0, no process
# left, port closed, no sanitizer or valgrind report on stderr, no worker
# restarted. With "signalled" the caller already sent the signal (the
# server may have exited already).
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    local pid=$SERVER_PID name="server $SERVER_N" signalled=${1:-} i c
    SERVER_PID=
    if [ -z "$signalled" ] && ! is_running "$pid"; then
        wait "$pid" 2>/dev/null
        fail "$name still running at the end" "exited early with status $?: $(tail -3 "$SERVER_ERR" | tr '\n' ' ')"
    else
        if [ -z "$signalled" ]; then
            check_eq "$name: no worker died and was restarted" "$SERVER_CHILDREN" "$(pgrep -P "$pid" | sort | tr '\n' ' ')"
            kill -TERM "$pid"
        fi
        for ((i = 0; i < 150 * SLOW; i++)); do
            is_running "$pid" || break
            sleep 0.1
        done
        if is_running "$pid"; then
            fail "$name exits after SIGTERM" "still running after $((15 * SLOW)) s; killed"
            kill -KILL "$pid" 2>/dev/null
            for c in $SERVER_CHILDREN; do kill -KILL "$c" 2>/dev/null; done
            wait "$pid" 2>/dev/null
        else
            wait "$pid"
            check_eq "$name exits 0 after SIGTERM" 0 "$?"
        fi
        local left=
        for ((i = 0; i < 20 * SLOW; i++)); do
            left=
            for c in $SERVER_CHILDREN; do is_running "$c" && left="$left $c"; done
            [ -z "$left" ] && break
            sleep 0.1
        done
        check_eq "$name: no worker left running" "" "$left"
        for c in $left; do kill -KILL "$c" 2>/dev/null; done
        local code
        code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$SERVER_PORT/" 2>/dev/null)
        check_eq "$name: port closed after exit" 000 "${code:-000}"
    fi
    local bad
    bad=$(grep -E 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error|^==[0-9]+== ' "$SERVER_ERR" | head -3)
    check_eq "$name: no sanitizer/valgrind report on stderr" "" "$bad"
}

# server_log_has ERE: the access log (stdout) or error log has a matching line
server_log_has() {
    grep -qE -- "$1" "$SERVER_OUT" "$SERVER_ERR" 2>/dev/null
}

# wait_log ERE: like server_log_has, waiting up to 3 s (logs may be buffered)
wait_log() {
    local i
    for ((i = 0; i < 30 * SLOW; i++)); do
        server_log_has "$1" && return 0
        sleep 0.1
    done
    return 1
}

# wait_for FILE STRING [SECONDS]: until FILE holds STRING (default 3 s):
# a log file, whose lines are buffered and written once a second
wait_for() {
    local i
    for ((i = 0; i < ${3:-3} * 20 * SLOW; i++)); do
        grep -qsaF -- "$2" "$1" && return 0
        sleep 0.05
    done
    return 1
}

portico_version() {
    "$PORTICO_BIN" -V 2>&1 | sed -n 's#^portico/\([^[:space:]]*\).*#\1#p' | head -1
}

# ---------------------------------------------------------------- cleanup

_lib_cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ]; then
        local kids
        kids=$(pgrep -P "$SERVER_PID")
        kill -TERM "$SERVER_PID" 2>/dev/null
        sleep 0.5
        kill -KILL "$SERVER_PID" $kids 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=
    fi
    if [ "$OWN_RESULTS" = 1 ]; then
        local p f
        p=$(grep -c '^PASS' "$PORTICO_RESULTS")
        f=$(grep -c '^FAIL' "$PORTICO_RESULTS")
        echo "$p passed, $f failed"
        [ "$f" -eq 0 ] || rc=1
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "kept $T" >&2
    else
        rm -rf "$T"
    fi
    exit "$rc"
}
trap _lib_cleanup EXIT
trap 'exit 143' TERM INT

if [ ! -x "$PORTICO_BIN" ]; then
    fail "server binary" "$PORTICO_BIN is missing or not executable (run make)"
    exit 1
fi
