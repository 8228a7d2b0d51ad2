#!/usr/bin/env bash
# CGI/1.1 (issue 4), from configs/test/cgi.yaml on a temp docroot that holds
# the scripts of integration/cgi/ and the demos of sites/default/cgi-bin/:
# dispatch and PATH_INFO, 404/403, the "" interpreter and the exec bit, the
# environment field by field (jq), stderr logged line by line in the error
# log's format at warn, request bodies (1 MiB, chunked, a slow
# reader with flat memory), Status/Location/extra headers, local and client
# redirects, 502 for bad or missing headers and crashes, 504 after
# timeouts.cgi (2 s) with the process group killed (SIGTERM, then SIGKILL),
# the gap timeout after the headers, 10 MiB of output (chunked and HTTP/1.0
# close-delimited), client disconnects, keep-alive, static files served at
# full speed while scripts sleep, 503 + Retry-After beyond 64 scripts, the
# demos (php-cgi too), and no zombie or leftover process at the end.
. "$(dirname "$0")/lib.sh"

if ! command -v jq >/dev/null; then
    fail "jq is required"
    exit 0
fi

# ---------------------------------------------------------------- docroot
D=$T/docroot
OUT=$T/outside
mkdir -p "$D/cgi-bin/sub" "$D/selfbin" "$OUT"
cp "$INTEG_DIR"/cgi/* "$REPO_DIR"/sites/default/cgi-bin/* "$D/cgi-bin/"
cp "$INTEG_DIR/cgi/status418.sh" "$D/cgi-bin/sub/deeper.sh"
echo "hello from a static file" >"$D/hello.txt"
mkdir "$D/cgi-bin/x.py" # a directory named like a script -> 403
cp "$REPO_DIR/sites/default/cgi-bin/hello.sh" "$OUT/evil.sh"
ln -s "$OUT/evil.sh" "$D/cgi-bin/escape.sh" # a script outside the root -> 403
# "" interpreter: the script runs itself, and must be executable.
cp "$INTEG_DIR/cgi/status418.sh" "$D/selfbin/run.cgi"
cp "$INTEG_DIR/cgi/status418.sh" "$D/selfbin/noexec.cgi"
cp "$REPO_DIR/sites/default/cgi-bin/env.py" "$D/selfbin/env.cgi"
chmod 755 "$D/selfbin/run.cgi" "$D/selfbin/env.cgi"
chmod 644 "$D/selfbin/noexec.cgi"

use_config cgi
render "$CONFIGS/cgi.yaml" "$CONFIG" "@DOCROOT@=$D"
HAVE_PHP=1
if [ ! -x /usr/bin/php-cgi ]; then
    HAVE_PHP=0 # the config refuses a missing interpreter: leave .php out
    sed -i '/\.php: /d' "$CONFIG"
fi

# Must not reach the scripts: they get a fresh environment.
export PORTICO_TEST_LEAK=should-not-leak
start_server "$CONFIG" || exit 0
unset PORTICO_TEST_LEAK
VERSION=$(portico_version)
WORKER=$(pgrep -P "$SERVER_PID" | head -1)
check "one worker process under the master" "[ -n '$WORKER' ]"
# workers: the current ones (a crashed worker is replaced: see worker_same)
workers() { pgrep -P "$SERVER_PID"; }
WORKER_REF=$WORKER
worker_same() { # NAME: the worker of the last call (or the first) still runs
    local i now=
    sleep 0.3
    if is_running "$WORKER_REF"; then
        pass "$1"
    else
        fail "$1" "worker $WORKER_REF died (see the error log)"
    fi
    for ((i = 0; i < 30 * SLOW; i++)); do # a crashed one is replaced
        now=$(workers | head -1)
        [ -n "$now" ] && is_running "$now" && break
        sleep 0.1
    done
    WORKER_REF=$now
}

# ------------------------------------------------------------- helpers
jq_ok() { # NAME FILTER: jq -e on the last body
    check "$1" "jq -e '$2' '$BODY'"
}

# env_eq NAME VAR VALUE: the last env.py body has VAR exactly VALUE
env_eq() {
    check_eq "env: $1" "$3" "$(jq -r --arg k "$2" 'if has($k) then .[$k] else "<unset>" end' "$BODY" 2>&1)"
}

descendants() {
    local c
    for c in $(pgrep -P "$1"); do
        echo "$c"
        descendants "$c"
    done
}

# leftovers: every process the scripts left, one "pid stat args" a line:
# the worker's descendants, and any `sleep 1000` of our scripts (their
# working directory is in the docroot) wherever it ended up.
leftovers() {
    local p
    {
        for p in $(workers); do descendants "$p"; done
        for p in $(pgrep -f '^sleep 1000$'); do
            case $(readlink "/proc/$p/cwd" 2>/dev/null) in "$D"*) echo "$p" ;; esac
        done
    } | sort -un | while read -r p; do
        echo "$p $(ps -o stat= -o args= -p "$p" 2>/dev/null)"
    done
}

# no_leftovers NAME [SECONDS]: within SECONDS (default 2), nothing is left.
no_leftovers() {
    local i left='' n=$((${2:-2} * 10 * SLOW))
    for ((i = 0; i <= n; i++)); do
        left=$(leftovers)
        [ -z "$left" ] && break
        sleep 0.1
    done
    check_eq "$1" "" "$left"
}

server_pids() { echo "$SERVER_PID" $(pgrep -P "$SERVER_PID"); }
mem() { # KEY: VmRSS or VmHWM in kB, summed over master and worker
    local p s=0 v
    for p in $(server_pids); do
        v=$(awk -v k="$1:" '$1 == k { print $2 }' "/proc/$p/status" 2>/dev/null)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
reset_hwm() {
    local p
    for p in $(server_pids); do echo 5 >"/proc/$p/clear_refs" 2>/dev/null; done
}

# ---------------------------------------------------- dispatch, 404, 403
http "$U/cgi-bin/hello.sh"
expect_status "hello.sh -> 200" 200
expect_header "hello.sh: the script's Content-Type" Content-Type "text/plain"
expect_body "hello.sh: its output" "Hello from /bin/sh!"
expect_header "no Content-Length from the script -> chunked (HTTP/1.1)" Transfer-Encoding chunked
http "$U/cgi-bin/sub/deeper.sh"
expect_status "a script in a subfolder runs (its Status: 418)" 418
http "$U/cgi-bin/nope.py"
expect_status "missing script -> 404" 404
http "$U/cgi-bin/nope.py/more/path"
expect_status "missing script with PATH_INFO -> 404" 404
http "$U/cgi-bin/x.py"
expect_status "a directory named x.py -> 403" 403
http "$U/cgi-bin/x.py/more"
expect_status "a directory named x.py, with PATH_INFO -> 403" 403
http "$U/cgi-bin/escape.sh"
expect_status "a symlinked script outside the root -> 403" 403
http "$U/self/run.cgi"
expect_status '"" interpreter, executable script -> runs (418)' 418
expect_body '"" interpreter: its output' "short and stout"
http "$U/self/noexec.cgi"
expect_status '"" interpreter, script without the exec bit -> 403' 403
http "$U/self/missing.cgi"
expect_status '"" interpreter, missing script -> 404' 404
http "$U/hello.txt"
expect_status "static files still served next to cgi" 200
no_leftovers "no process left after the dispatch checks"

# ------------------------------------------------------------ environment
ENV_URI='/cgi-bin/env.py/extra/p%20q?a=1&b=%2F&c'
REQ_N=$((REQ_N + 1))
BODY=$T/req$REQ_N.b
HDRS=$T/req$REQ_N.h
LAST_REQ="curl POST $ENV_URI (env.py)"
out=$(curl -sS --max-time "$MAXT" -o "$BODY" -D "$HDRS" -w '%{http_code} %{local_port}' \
    -H 'X-Test-Header: v1' -H 'X-Multi: a' -H 'X-Multi: b' -H 'X_Under: u' \
    -H 'Proxy: http://evil.test:3128' -H 'Content-Type: text/x-portico' \
    --data-binary 'abcdefg' "$U$ENV_URI" 2>>"$T/curl.err")
STATUS=${out% *}
LPORT=${out#* }
expect_status "env.py -> 200" 200
expect_header "env.py: its Content-Length is passed" Content-Length "$(wc -c <"$BODY" | tr -d ' ')"
expect_no_header "env.py: not chunked when the script gives a length" Transfer-Encoding
jq_ok "env: a JSON object of strings" 'type == "object" and all(.[]; type == "string")'
env_eq GATEWAY_INTERFACE GATEWAY_INTERFACE "CGI/1.1"
env_eq SERVER_SOFTWARE SERVER_SOFTWARE "portico/$VERSION"
env_eq "SERVER_NAME (Host without its port)" SERVER_NAME "127.0.0.1"
env_eq "SERVER_PORT (the listen port)" SERVER_PORT "$PORT"
env_eq SERVER_PROTOCOL SERVER_PROTOCOL "HTTP/1.1"
env_eq REQUEST_METHOD REQUEST_METHOD "POST"
env_eq "REQUEST_URI (raw target)" REQUEST_URI "$ENV_URI"
env_eq SCRIPT_NAME SCRIPT_NAME "/cgi-bin/env.py"
env_eq SCRIPT_FILENAME SCRIPT_FILENAME "$D/cgi-bin/env.py"
env_eq "PATH_INFO (decoded)" PATH_INFO "/extra/p q"
env_eq "PATH_TRANSLATED (root + PATH_INFO)" PATH_TRANSLATED "$D/extra/p q"
env_eq "QUERY_STRING (raw)" QUERY_STRING "a=1&b=%2F&c"
env_eq DOCUMENT_ROOT DOCUMENT_ROOT "$D"
env_eq REMOTE_ADDR REMOTE_ADDR "127.0.0.1"
env_eq "REMOTE_PORT (the client's port)" REMOTE_PORT "$LPORT"
env_eq CONTENT_TYPE CONTENT_TYPE "text/x-portico"
env_eq CONTENT_LENGTH CONTENT_LENGTH "7"
env_eq REDIRECT_STATUS REDIRECT_STATUS "200"
env_eq "HTTP_X_TEST_HEADER" HTTP_X_TEST_HEADER "v1"
env_eq "HTTP_X_MULTI (repeated header joined)" HTTP_X_MULTI "a, b"
env_eq "HTTP_HOST" HTTP_HOST "127.0.0.1:$PORT"
env_eq "HTTP_USER_AGENT" HTTP_USER_AGENT "$(curl -V | awk 'NR == 1 { print $1 "/" $2 }')"
env_eq "no HTTP_PROXY from a Proxy header (httpoxy)" HTTP_PROXY "<unset>"
env_eq "no HTTP_CONTENT_TYPE" HTTP_CONTENT_TYPE "<unset>"
env_eq "no HTTP_CONTENT_LENGTH" HTTP_CONTENT_LENGTH "<unset>"
jq_ok "env: a header name with '_' is not passed" '[keys[] | select(test("UNDER"))] == []'
env_eq "the server's own environment is not passed" PORTICO_TEST_LEAK "<unset>"

http -H 'Host: example.test:8080' "$U/cgi-bin/env.py"
expect_status "env.py GET -> 200" 200
env_eq "GET: REQUEST_METHOD" REQUEST_METHOD "GET"
env_eq "GET: SERVER_NAME from another Host" SERVER_NAME "example.test"
env_eq "GET: SERVER_PORT stays the listen port" SERVER_PORT "$PORT"
env_eq "GET: no PATH_INFO -> empty" PATH_INFO ""
env_eq "GET: no PATH_INFO -> no PATH_TRANSLATED" PATH_TRANSLATED "<unset>"
env_eq "GET: no query -> empty QUERY_STRING" QUERY_STRING ""
env_eq "GET: no body -> no CONTENT_LENGTH" CONTENT_LENGTH "<unset>"
env_eq "GET: no CONTENT_TYPE" CONTENT_TYPE "<unset>"
env_eq "GET: REQUEST_URI" REQUEST_URI "/cgi-bin/env.py"

http -0 "$U/cgi-bin/env.py/x"
expect_status "env.py over HTTP/1.0 -> 200" 200
env_eq "HTTP/1.0: SERVER_PROTOCOL" SERVER_PROTOCOL "HTTP/1.0"
env_eq "HTTP/1.0: PATH_INFO" PATH_INFO "/x"

http -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' --data-binary 'chunked-body' "$U/cgi-bin/env.py"
expect_status "env.py, chunked POST -> 200" 200
env_eq "chunked POST: CONTENT_LENGTH is the decoded length" CONTENT_LENGTH "12"
http -H 'Transfer-Encoding: chunked' --data-binary '' "$U/cgi-bin/env.py"
expect_status "env.py, empty chunked POST -> 200" 200
env_eq "empty chunked POST: CONTENT_LENGTH 0" CONTENT_LENGTH "0"

http "$U/self/env.cgi/p/i"
expect_status "env.cgi in a location with its own root -> 200" 200
env_eq "own root: SCRIPT_NAME" SCRIPT_NAME "/self/env.cgi"
env_eq "own root: SCRIPT_FILENAME under the location's root" SCRIPT_FILENAME "$D/selfbin/env.cgi"
env_eq "own root: DOCUMENT_ROOT is the location's root" DOCUMENT_ROOT "$D/selfbin"
env_eq "own root: PATH_INFO" PATH_INFO "/p/i"

http "$U/cgi-bin/fds.py"
expect_status "fds.py -> 200" 200
check_eq "the script runs in its own folder" "$D/cgi-bin" "$(jq -r .cwd "$BODY" 2>&1)"
# Only 0, 1, 2 may be open, plus whatever the master itself inherited
# (not opened by portico: the test harness's own fds).
inherited=$(for f in /proc/"$SERVER_PID"/fd/*; do
    l=$(readlink "$f") || continue
    case $l in socket:* | anon_inode:*) ;; *) echo "${f##*/}=$l" ;; esac
done)
leaked=$(jq -r '.fds | to_entries[] | "\(.key)=\(.value)"' "$BODY" |
    grep -vE '^[012]=' | grep -vxF -- "$inherited")
check_eq "no fd of the server leaks into the script" "" "$leaked"
check_eq "stdin of a GET is /dev/null" "/dev/null" "$(jq -r '.fds["0"]' "$BODY" 2>&1)"

# Signal dispositions: the worker ignores SIGPIPE (and SIGINT and SIGQUIT,
# started with & by this script), blocks what its signalfd reads; a script
# starts with none ignored and none blocked (the child resets the ones the
# worker does not have at SIG_DFL, read once at the first spawn).
worker_ign=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$WORKER/status" 2>/dev/null)
check "the worker ignores signals (SigIgn $worker_ign), so the next check means something" \
    "[ -n '$worker_ign' ] && [ '$worker_ign' != 0000000000000000 ]"
for i in 1 2; do # twice: every spawn uses the set read once
    http "$U/cgi-bin/signals.sh"
    expect_status "signals.sh ($i) -> 200" 200
    check_eq "signals.sh ($i): no signal ignored or blocked in the script" \
        "$(printf 'SigBlk: 0000000000000000\nSigIgn: 0000000000000000')" "$(sort "$BODY")"
done
http "$U/cgi-bin/stderr.sh"
expect_status "stderr.sh -> 200" 200
expect_body "stderr.sh: stdout is the body" "see the error log"
expect_no_body "stderr.sh: stderr is not in the body" "cgi-stderr-marker"
check "the script's stderr goes to the error log" wait_log 'cgi-stderr-marker-7f3a'

# A script's stderr is logged line by line in the error log's format, at
# warn (docs/config.md, "Logs"): `2026/11/25 20:00:00 [warn] 1234#0: message`,
# never raw. The error log is the server's stderr here (cgi.yaml:
# error_log "-"). stderr_lines.sh writes three lines: a short one, one of
# 3500+ bytes (may be split into several log lines, each in the format,
# nothing lost) and a last one without a newline at its exit. The script's
# name may come before its text; only the format up to "PID#N: " is fixed.
ELOG_RE='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \[(debug|info|warn|error)\] [0-9]+#[0-9]+: '
WARN_RE='^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \[warn\] [0-9]+#[0-9]+: '
# stderr_logged NAME MARKER [OTHER...]: exactly one error log line has
# MARKER, it is a warn line with MARKER after its "PID#N: ", and no OTHER
# stderr line of the script is on it (each line its own log line).
stderr_logged() {
    local name=$1 marker=$2 l o
    shift 2
    l=$(grep -aF -- "$marker" "$SERVER_ERR")
    if [ "$(grep -c . <<<"$l")" != 1 ] || [ -z "$l" ]; then
        fail "$name" "$(grep -c . <<<"$l") error log lines have '$marker': $(cut -c1-160 <<<"$l" | head -3)"
        return
    fi
    if ! [[ $l =~ ${WARN_RE}.*$marker ]]; then
        fail "$name" "not '... [warn] PID#N: ...$marker': '${l:0:160}'"
        return
    fi
    for o in "$@"; do
        if [[ $l == *"$o"* ]]; then
            fail "$name" "'$o' is on the same log line: '${l:0:160}'"
            return
        fi
    done
    pass "$name"
}
check "stderr.sh: its line is logged as '... [warn] PID#N: ...cgi-stderr-marker-7f3a'" \
    "grep -qE '${WARN_RE}.*cgi-stderr-marker-7f3a' '$SERVER_ERR'"
http "$U/cgi-bin/stderr_lines.sh"
expect_status "stderr_lines.sh -> 200" 200
expect_body "stderr_lines.sh: stdout is the body" "three lines on stderr"
expect_no_body "stderr_lines.sh: stderr is not in the body" "stderr-"
wait_log 'stderr-last-no-newline-d07a'
wait_log 'stderr-long-end-9c2d'
S1=stderr-first-line-4b1e SL=stderr-long-begin-9c2d SE=stderr-long-end-9c2d S3=stderr-last-no-newline-d07a
stderr_logged "stderr line 1 is its own error log line, '[warn] PID#N: ...$S1'" "$S1" "$SL" "$S3"
stderr_logged "stderr line 2 (3500+ bytes) starts its own warn line, '[warn] PID#N: ...$SL'" "$SL" "$S1" "$S3"
stderr_logged "stderr line 2 ends on a warn line ('...$SE')" "$SE" "$S1" "$S3"
stderr_logged "stderr line 3, without a newline at the script's exit, is its own warn line ('...$S3')" "$S3" "$S1" "$SL"
tildes=$(grep -aF '~' "$SERVER_ERR")
check_eq "the 3500 '~' of the long line are all logged, once" 3500 "$(tr -cd '~' <<<"$tildes" | wc -c | tr -d ' ')"
check_eq "every error log line with a piece of the long line is a warn line in the format" "" \
    "$(grep -avE "$WARN_RE" <<<"$tildes" | cut -c1-120 | head -2)"
check_eq "every line of the error log is 'YYYY/MM/DD HH:MM:SS [level] PID#N: ...' (no raw stderr)" "" \
    "$(grep -avE "$ELOG_RE" "$SERVER_ERR" | cut -c1-120 | head -3)"
check "the error log ends with a newline (the last stderr line was terminated)" "[ -z \"\$(tail -c1 '$SERVER_ERR')\" ]"

# ----------------------------------------------------------- request bodies
head -c $((1024 * 1024)) /dev/urandom >"$T/1m.bin"
http -H 'Content-Type: application/octet-stream' --data-binary @"$T/1m.bin" "$U/cgi-bin/echo.py"
expect_status "1 MiB POST -> 200" 200
expect_body_file "1 MiB POST echoed byte for byte" "$T/1m.bin"
expect_header "1 MiB echo: the script's Content-Length" Content-Length 1048576
http -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T/1m.bin" "$U/cgi-bin/echo.py"
expect_status "1 MiB chunked POST -> 200" 200
expect_body_file "chunked POST echoed byte for byte (the script read CONTENT_LENGTH bytes)" "$T/1m.bin"
raw 'POST /cgi-bin/echo.py HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\nGET /cgi-bin/hello.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "chunked POST (raw, with extension and trailer) then a pipelined GET" "200 200" "$(raw_statuses)"
check_eq "raw chunked POST: the decoded body" "hello world" "$(cat "$BODY")"

# A client that uploads slowly (1 MiB at 300 KB/s: ~3.5 s, longer than
# timeouts.cgi) to a script that reads as the bytes come: the slow client
# is timeouts.body's business (each gap is short), not the script's.
t0=$(date +%s.%N)
http --max-time $((20 * SLOW)) --limit-rate 300k -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T/1m.bin" "$U/cgi-bin/echo.py"
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
expect_status "1 MiB uploaded slowly (${el}s) to a script reading it, timeouts.cgi 2 s -> 200" 200
expect_body_file "... echoed byte for byte" "$T/1m.bin"
no_leftovers "no process left after the slow upload"

# A slow reader (40 MiB at ~64 KiB per 5 ms, in /slow-bin/: timeouts.cgi
# 10 s): the body waits in the client and the socket buffers, not in the
# server's memory.
head -c $((40 * 1024 * 1024)) /dev/urandom >"$T/40m.bin"
want=$(sha256sum <"$T/40m.bin" | cut -d' ' -f1)
sleep 0.2
reset_hwm
rss0=$(mem VmRSS)
http --max-time $((30 * SLOW)) -H 'Content-Type: application/octet-stream' --data-binary @"$T/40m.bin" "$U/slow-bin/slowecho.py"
hwm1=$(mem VmHWM)
expect_status "40 MiB POST to a slow reader -> 200" 200
check_eq "slow reader got the 40 MiB intact" "41943040 $want" "$(cat "$BODY")"
check "slow reader: server peak memory grew by < 16 MiB (VmHWM $hwm1 kB, RSS before $rss0 kB)" \
    "[ \$(( $hwm1 - $rss0 )) -lt 16384 ]"
rm -f "$T/40m.bin"

# -------------------------------------------------------------- responses
http "$U/cgi-bin/status418.sh"
expect_status "Status: 418 -> 418" 418
check_match "418 keeps the script's reason phrase" "^HTTP/1.1 418 I'm a teapot" "$(head -1 "$HDRS" | tr -d '\r')"
expect_body "418: its body" "short and stout"
http "$U/cgi-bin/headers.sh"
expect_status "headers.sh -> 200" 200
expect_header "extra header X-Custom passed" X-Custom 1
expect_header "extra header Set-Cookie passed" Set-Cookie "a=b"
expect_body "headers.sh: its body" "with headers"
http "$U/cgi-bin/redirect_local.sh"
expect_status "local redirect (Location: /hello.txt) served internally -> 200" 200
expect_body "local redirect: the target's body" "hello from a static file"
expect_no_header "local redirect: no Location to the client" Location
http "$U/cgi-bin/redirect_env.sh?orig=1"
expect_status "local redirect to another script -> 200" 200
env_eq "redirected: the target's SCRIPT_NAME" SCRIPT_NAME "/cgi-bin/env.py"
env_eq "redirected: the target's PATH_INFO" PATH_INFO "/pi"
env_eq "redirected: the target's QUERY_STRING" QUERY_STRING "from=redirect"
env_eq "redirected: REQUEST_METHOD GET" REQUEST_METHOD "GET"
http -d 'a=b' "$U/cgi-bin/redirect_env.sh"
expect_status "local redirect of a POST -> 200" 200
env_eq "redirected POST: the target runs as a GET (REQUEST_METHOD)" REQUEST_METHOD "GET"
env_eq "redirected POST: no CONTENT_LENGTH (a GET has no body)" CONTENT_LENGTH "<unset>"
http "$U/cgi-bin/redirect_loop.sh"
expect_status "a local redirect loop is stopped -> 500" 500
http "$U/cgi-bin/redirect_client.sh"
expect_status "client redirect (absolute Location) -> 302" 302
expect_header "client redirect: Location" Location "http://example.test/x"
# Header block only, no body: whether the script's output and its EOF come
# in one wake-up or two, the answer must come at once (max 1 s each here).
for name in redirect_client.sh:302 empty.sh:200; do
    ok=0 bad=''
    LAST_REQ="40 x curl --max-time $SLOW $U/cgi-bin/${name%:*}"
    for i in $(seq 1 40); do
        c=$(curl -s -o /dev/null --max-time "$SLOW" -w '%{http_code}' "$U/cgi-bin/${name%:*}")
        if [ "$c" = "${name#*:}" ]; then ok=$((ok + 1)); else bad="$bad $c"; fi
    done
    check_eq "no body after the headers (${name%:*}): 40 of 40 answered ${name#*:} within 1 s" \
        "40" "$ok${bad:+ (others:$bad)}"
done
http "$U/cgi-bin/empty.sh"
expect_status "empty.sh -> 200" 200
expect_body_size "empty.sh: empty body" 0
http "$U/cgi-bin/status_location.sh"
expect_status "Status: 301 with a Location path: the script's answer, not internal" 301
expect_header "... its Location passed" Location "/hello.txt"
expect_body "... its body" "moved"
raw 'GET /cgi-bin/cl_long.sh HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/cl_long.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "more output than its Content-Length: cut, connection still in step" "200 200" "$(raw_statuses)"
check_eq "... only the announced 5 bytes" "hello" "$(cat "$BODY")"
raw 'GET /cgi-bin/cl_short.sh HTTP/1.1\r\nHost: x\r\n\r\n'
check_eq "less output than its Content-Length: the connection is closed" eof "$(raw_field reason)"
check "... without a complete response" "[ '$(raw_field responses)' = 0 ]"
raw --bodyless 1 'HEAD /cgi-bin/hello.sh HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/status418.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "HEAD to a script, then a GET on the same connection" "200 418" "$(raw_statuses)"
no_leftovers "no process left after the response checks"

# ----------------------------------------------------------------- faults
http "$U/cgi-bin/silent.sh"
expect_status "script that exits silently -> 502" 502
http "$U/cgi-bin/crash.py"
expect_status "script that crashes (SIGABRT) before its headers -> 502" 502
http "$U/cgi-bin/badheader.sh"
expect_status "bad header block -> 502" 502
check "the 502s are logged" wait_log 'bad header block|without a response'
http "$U/cgi-bin/bigheaders.sh"
expect_status "headers over 8 KiB -> 502, never a head with headers missing" 502
check "... logged" wait_log 'bigheaders.sh: response headers over 8192 bytes'
worker_same "the worker survives the 502s (no crash, not restarted)"
no_leftovers "no process left after the 502s"

t0=$(date +%s.%N)
http "$U/cgi-bin/sleep.sh"
t1=$(date +%s.%N)
el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
expect_status "script that sleeps forever -> 504" 504
check "504 after timeouts.cgi (2 s; got ${el}s)" between "$el" 1.8 $((3 * SLOW))
no_leftovers "after the 504: the group (sh and its sleep 1000) is killed" 2
check_eq "no 'sleep 1000' of the test left anywhere" "" \
    "$(for p in $(pgrep -f '^sleep 1000$'); do case $(readlink "/proc/$p/cwd") in "$D"*) echo "$p" ;; esac; done)"

# The body timeout is the client's: a client that stops sending the body of
# a request to a script gets 408 after timeouts.body (3 s here), even though
# timeouts.cgi (1 s) is shorter; the cgi timeout starts once the body is in.
raw --timeout $((10 * SLOW)) 'POST /short-cgi/echo.py HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789'
expect_status "a client stalling its body to a script -> 408, not 504" 408
t=$(raw_field elapsed)
check "... after timeouts.body (3 s; got ${t}s)" between "$t" 2.8 $((6 * SLOW))
no_leftovers "after the 408: the script is gone" 2
http -H 'Content-Type: application/octet-stream' --data-binary 'hello' "$U/short-cgi/echo.py"
expect_status "a whole body to the same location -> 200" 200
expect_body "... echoed" hello

# The head goes out as soon as the script's header block is parsed, not
# with the first body byte: a script that works 1.5 s before its body has
# the client see the status at once.
raw --timeout $((8 * SLOW)) 'GET /slow-bin/late_body.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "headers first, body 1.5 s later -> 200" 200
t=$(raw_field first)
check "... the status line within 1 s (got ${t}s)" "awk 'BEGIN { exit !($t < 1.0 * $SLOW) }'"
check "... and then the late body" grep -q "late body" "$T/raw$REQ_N/raw"
http "$U/cgi-bin/status100.sh"
expect_status "Status: 100 from a script -> 502" 502
http "$U/cgi-bin/ctlheader.sh"
expect_status "a control byte in a script's header value -> 502" 502
expect_no_body "... nothing of the script's head passed on" "31mred"

# A script's children go with it (its process group is killed when the
# request is done, even after the script itself exited): none is left.
http "$U/cgi-bin/bg_closed.sh"
expect_status "a script leaving a background child -> 200" 200
expect_body "... its body" "left a child behind"
no_leftovers "... and the child it left is killed with its group" 3
t0=$(date +%s%N)
http "$U/slow-bin/bg_open.sh"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_status "a script whose child holds its stdout -> 200" 200
expect_body "... its body, complete" "left a child holding stdout"
check "... without waiting for the child (${ms} ms, timeouts.cgi 10 s)" "[ $ms -lt $((3000 * SLOW)) ]"
no_leftovers "... and the child is killed" 3

# Scripts die with their worker: a worker killed with SIGKILL while a script
# (and its child sleep) runs leaves nothing behind; the master sweeps.
curl -s -o /dev/null --max-time 20 "$U/slow-bin/sleep.sh" &
sleeper=$!
sleep 0.5
victim=$(workers | head -1)
kill -KILL "$victim"
wait "$sleeper"
check_eq "after a worker's SIGKILL: no 'sleep 1000' of its scripts left anywhere" "" \
    "$(sleep $((2 * SLOW)); for p in $(pgrep -f '^sleep 1000$'); do case $(readlink "/proc/$p/cwd") in "$D"*) echo "$p" ;; esac; done)"
for ((i = 0; i < 30 * SLOW; i++)); do
    WORKER_REF=$(workers | head -1)
    [ -n "$WORKER_REF" ] && is_running "$WORKER_REF" && break
    sleep 0.1
done
SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
WORKER=$WORKER_REF # the one started in place of the killed one

# The /status counters never wrap: clients that leave in the middle of a
# streamed script response (big.py, 10 MiB) leave them consistent.
for i in 1 2 3 4 5; do
    python3 - "$PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /cgi-bin/big.py HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(4096)
s.close()
EOF
done
sleep 0.5
http "$U/status"
jq_ok "/status after clients left mid-stream: counters small and consistent" \
    '.connections | (.reading < 100 and .writing < 100 and .idle < 100 and .active < 100
                      and .active >= .reading + .writing + .idle)'

http "$U/cgi-bin/stubborn.sh"
expect_status "script that ignores SIGTERM -> 504 too" 504
no_leftovers "SIGKILL follows SIGTERM after ~1 s: nothing left" 3
worker_same "the worker survives the 504s"

raw --timeout $((8 * SLOW)) 'GET /cgi-bin/stall.sh HTTP/1.1\r\nHost: x\r\n\r\n'
check_match "headers, then silence: the head and first part arrive" "^HTTP/1.1 200" "$(head -1 "$T/raw$REQ_N/raw" | tr -d '\r')"
check "... with the first part of the body" grep -q "first part" "$T/raw$REQ_N/raw"
check_eq "... then the connection is closed (gap > timeouts.cgi)" eof "$(raw_field reason)"
check "... without the last chunk (the client sees the cut)" "! tail -c 5 '$T/raw$REQ_N/raw' | grep -q '^0'"
t=$(raw_field elapsed)
check "... after ~2 s (got ${t}s)" between "$t" 1.8 $((4 * SLOW))
no_leftovers "after the gap timeout: the group is killed" 2

# Client disconnects: before the headers, and mid-body.
disconnect() { # PATH SECONDS: sends a GET, waits, reports what it got, closes
    python3 - "$PORT" "$1" "$2" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2].encode())
time.sleep(float(sys.argv[3]))
s.setblocking(False)
try:
    got = s.recv(65536)
except BlockingIOError:
    got = b""
print(got.split(b"\r\n")[0].decode() or "nothing")
s.close()
EOF
}
python3 - "$PORT" >"$T/disc1" <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /cgi-bin/sleep.sh HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(1.0)
s.close()
EOF
dpid=$!
sleep 0.5
running=$(leftovers)
check "disconnect test: the script is running" "[ -n '$running' ]"
wait "$dpid"
no_leftovers "client disconnects before the headers -> script killed and reaped" 2
got=$(disconnect /cgi-bin/drip.sh 0.7)
check_match "drip.sh streams before the client leaves" "^HTTP/1.1 200" "$got"
no_leftovers "client disconnects mid-body -> script killed and reaped" 2
worker_same "the worker survives single disconnects"

# Many clients leave at once (as wrk does at the end of a run) while their
# scripts run and write: 20 rounds of 20 connections, each sending a GET of
# hello.sh and resetting the connection 0..38 ms later.
out=$(timeout $((30 * SLOW)) python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
req = b"GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: x\r\n\r\n"
for r in range(20):
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    for s in socks:
        # close() then sends a RST at once
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        s.sendall(req)
    time.sleep((r % 20) * 0.002)
    for s in socks:
        s.close()
    time.sleep(0.05)
print("done")
EOF
)
check_eq "400 requests abandoned by their clients mid-script" done "$out"
worker_same "the worker survives 20 clients leaving at once, 20 times (no crash)"
no_leftovers "... and every abandoned script is killed and reaped" 3

# ----------------------------------------------------------- big outputs
want=$(python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40960)' | sha256sum | cut -d' ' -f1)
http --max-time $((20 * SLOW)) "$U/cgi-bin/big.py"
expect_status "10 MiB output -> 200" 200
expect_header "10 MiB output: chunked" Transfer-Encoding chunked
check_eq "10 MiB output intact (sha256)" "$want" "$(sha256sum <"$BODY" | cut -d' ' -f1)"

sleep 0.2
reset_hwm
rss0=$(mem VmRSS)
http --max-time $((20 * SLOW)) --limit-rate 8M "$U/cgi-bin/big.py"
hwm1=$(mem VmHWM)
expect_status "10 MiB to a slow client (8 MB/s) -> 200" 200
check_eq "10 MiB to a slow client intact (sha256)" "$want" "$(sha256sum <"$BODY" | cut -d' ' -f1)"
check "slow client: server peak memory grew by < 6 MiB (VmHWM $hwm1 kB, RSS before $rss0 kB)" \
    "[ \$(( $hwm1 - $rss0 )) -lt 6144 ]"

raw --timeout $((20 * SLOW)) 'GET /cgi-bin/big.py HTTP/1.0\r\nHost: x\r\n\r\n'
expect_status "HTTP/1.0, no Content-Length from the script -> 200" 200
expect_no_header "HTTP/1.0: no Transfer-Encoding" Transfer-Encoding
expect_no_header "HTTP/1.0: no Content-Length" Content-Length
check_eq "HTTP/1.0: the body ends with the connection" eof "$(raw_field reason)"
check_eq "HTTP/1.0: close-delimited 10 MiB intact (sha256)" "$want" "$(sha256sum <"$BODY" | cut -d' ' -f1)"
raw 'GET /cgi-bin/hello.sh HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'
expect_status "HTTP/1.0 keep-alive asked, no length known -> 200" 200
check_eq "... closed after the body (close-delimited)" eof "$(raw_field reason)"
expect_body "... body intact" "Hello from /bin/sh!"

# ------------------------------------------------------------ keep-alive
raw --expect 3 'GET /cgi-bin/hello.sh HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/env.py HTTP/1.1\r\nHost: x\r\n\r\nGET /cgi-bin/status418.sh HTTP/1.1\r\nHost: x\r\n\r\n'
check_eq "three CGI responses on one connection (chunked, sized, 418)" "200 200 418" "$(raw_statuses)"
check_eq "... each keep-alive" 3 "$(grep -c 'conn=keep-alive' <<<"$RAW_OUT")"
out=$(curl -s --max-time "$MAXT" -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "$U/cgi-bin/hello.py" "$U/cgi-bin/hello.sh")
check_eq "curl: two CGI requests, the second reuses the connection" "200 1|200 0" "$(tr '\n' '|' <<<"$out" | sed 's/|$//')"

# ------------------------------------------- static while scripts sleep
pids=
for i in 1 2 3 4 5; do
    curl -s --max-time $((10 * SLOW)) -o "$T/sl$i.b" -w '%{http_code} %{time_total}\n' \
        "$U/slow-bin/sleep3.sh" >"$T/sl$i.s" &
    pids="$pids $!"
done
sleep 0.5
n=$(for p in $(workers); do descendants "$p"; done | wc -l)
check "5 scripts sleep at once (the worker has $n descendants)" "[ $n -ge 5 ]"
st=$(curl -s --max-time "$MAXT" -o /dev/null -w '%{http_code} %{time_total}' "$U/hello.txt")
check_match "static GET while 5 scripts sleep -> 200" "^200 " "$st"
check "... in under 300 ms (got ${st#* }s)" between "${st#* }" 0 "$(awk -v s="$SLOW" 'BEGIN { print 0.3 * s }')"
http "$U/cgi-bin/hello.sh"
expect_status "another script runs meanwhile" 200
# shellcheck disable=SC2086 # a list of pids
wait $pids # (a bare wait would wait for the server too)
check_eq "the 5 sleeping scripts answer 200" "200 200 200 200 200" "$(cat "$T"/sl?.s | cut -d' ' -f1 | tr '\n' ' ' | sed 's/ $//')"
check "... in parallel (each in 3..$((5 * SLOW)) s)" \
    "cat '$T'/sl?.s | awk '{ if (\$2 < 2.9 || \$2 > $((5 * SLOW))) exit 1 }'"
check "... with their body" "[ \$(cat '$T'/sl?.b | grep -c 'slept 3 s') = 5 ]"
no_leftovers "no process left after the sleeping scripts"

# ------------------------------------------------ 64 scripts, then 503
pids=
for i in $(seq 1 70); do
    curl -s --max-time $((15 * SLOW)) -o /dev/null -D "$T/p$i.h" -w '%{http_code}\n' \
        "$U/slow-bin/sleep3.sh" >"$T/p$i.s" &
    pids="$pids $!"
done
# shellcheck disable=SC2086 # a list of pids
wait $pids
codes=$(cat "$T"/p*.s | sort | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
n200=$(cat "$T"/p*.s | grep -c '^200$')
n503=$(cat "$T"/p*.s | grep -c '^503$')
check "70 scripts at once: at most 64 run ($codes)" "[ $n200 -le 64 ] && [ $n200 -ge 1 ]"
check "... the others get 503 ($codes)" "[ $n503 -ge 1 ] && [ $((n200 + n503)) = 70 ]"
ra=$(grep -il '^HTTP/1.1 503' "$T"/p*.h | head -1)
check_eq "... 503 with Retry-After: 1" 1 "$( [ -n "$ra" ] && hdr Retry-After "$ra")"
no_leftovers "no process left after 70 scripts"
http "$U/cgi-bin/hello.sh"
expect_status "scripts run again once they are done" 200

# ---------------------------------------------------------------- demos
http "$U/cgi-bin/hello.py"
expect_status "demo hello.py -> 200" 200
expect_body "hello.py: Hello from Python!" "Hello from Python!"
http "$U/cgi-bin/form.py"
expect_status "demo form.py GET -> 200" 200
expect_body "form.py: a form posting to itself" 'action="/cgi-bin/form.py"'
http -d 'name=Ann&message=hi+%3Cb%3E' "$U/cgi-bin/form.py"
expect_status "demo form.py POST -> 200" 200
expect_body "form.py: the fields back, escaped" '<dd>hi &lt;b&gt;</dd>'
if [ "$HAVE_PHP" = 1 ]; then
    http "$U/cgi-bin/info.php"
    expect_status "php-cgi info.php -> 200" 200
    expect_body "info.php: Hello from PHP" "Hello from PHP"
    expect_header_re "info.php: HTML" Content-Type '^text/html'
    expect_body "info.php: sees GATEWAY_INTERFACE" "<td>CGI/1.1</td>"
else
    fail "php-cgi info.php" "/usr/bin/php-cgi is not installed (apt-get install php-cgi)"
fi

# ----------------------------------------------------------- at the end
no_leftovers "after the suite: no leftover process under the worker"
zs=$(for p in $(workers); do ps -o pid=,stat=,args= --ppid "$p"; done)
check_eq "after the suite: no child (zombie or not) of the worker" "" "$zs"
check_eq "after the suite: no zombie among the master's children" "" \
    "$(ps -o pid=,stat=,args= --ppid "$SERVER_PID" | awk '$2 ~ /Z/')"
check_eq "after the suite: the worker is the one started (never crashed)" "$WORKER" \
    "$(workers | tr '\n' ' ' | sed 's/ $//')"
# Whatever the scripts wrote to stderr during the suite (tracebacks
# included), every error log line is still in its format.
check_eq "after the suite: every line of the error log is 'YYYY/MM/DD HH:MM:SS [level] PID#N: ...'" "" \
    "$(grep -avE "$ELOG_RE" "$SERVER_ERR" | cut -c1-120 | head -3)"
stop_server
exit 0
