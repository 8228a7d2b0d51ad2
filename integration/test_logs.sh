#!/usr/bin/env bash
# Logs (issue 5, item 4; docs/config.md, "Logs"): the access log in
# exactly nginx's combined format, nothing appended (no request time),
# parsed line by line and
# checked field by field for known requests; buffered (lines within ~1 s,
# all of them at SIGTERM); the error log's line format and levels,
# `log_level`, `error_log: off`, relative log paths, SIGUSR1 for the error
# log.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$T/root
mkdir -p "$ROOT/errors" "$T/cfg" "$T/elsewhere"
cp "$WWW/index.html" "$ROOT/"
echo "custom not found page" >"$ROOT/errors/404.html"
python3 -c 'import os, sys
open(sys.argv[1], "wb").write(os.urandom(1000))
open(sys.argv[2], "wb").write(os.urandom(24 << 20))' "$ROOT/k.bin" "$ROOT/big.bin"
KSIZE=1000

PORT=$(free_port)
U=http://127.0.0.1:$PORT
ACC=$T/access.log
ERR=$T/error.log

# write_cfg FILE WORKERS ERROR_LOG LOG_LEVEL ACCESS_LOG
write_cfg() {
    cat >"$1" <<EOF
workers: $2
error_log: $3
log_level: $4
access_log: $5
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    error_pages:
      404: /errors/404.html
    locations:
      /:
        methods: [GET, HEAD]
EOF
}

# Parser of both logs. acc FILE: one line per access log line,
#   OK <tab> remote <tab> time_local <tab> request <tab> status <tab> bytes
#      <tab> referer <tab> user agent <tab> |time - now| in s
# or BAD <tab> the line. ACC is the combined format, written once: a line
# ends right after the user agent's closing quote (nothing follows it).
# err FILE: OK <tab> level <tab> pid <tab> message <tab> |time - now| in s,
# or BAD <tab> the line.
cat >"$T/logparse.py" <<'EOF'
import datetime, re, sys, time
Q = r'"((?:[^"\\]|\\.)*)"'
ACC = re.compile(r'^(\S+) - - \[([^\]]+)\] ' + Q + r' (\d{3}) (\d+) ' + Q + ' ' + Q + r'\Z')
ERR = re.compile(r'^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(debug|info|warn|error)\] (\d+)#0: (.+)$')
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read().decode("latin-1")
lines = data.split("\n")
if lines and lines[-1] == "":
    lines.pop()
else:
    lines and print("BAD\tunterminated last line: %r" % lines[-1])
for line in lines:
    if kind == "acc":
        m = ACC.match(line)
        if not m:
            print("BAD\t%r" % line)
            continue
        try:
            t = datetime.datetime.strptime(m.group(2), "%d/%b/%Y:%H:%M:%S %z").timestamp()
        except ValueError:
            print("BAD\ttime %r" % m.group(2))
            continue
        f = list(m.groups()) + ["%d" % abs(t - time.time())]
        print("OK\t" + "\t".join(f))
    else:
        m = ERR.match(line)
        if not m:
            print("BAD\t%r" % line)
            continue
        t = time.mktime(time.strptime(m.group(1), "%Y/%m/%d %H:%M:%S"))
        print("OK\t%s\t%s\t%s\t%d" % (m.group(2), m.group(3), m.group(4), abs(t - time.time())))
EOF
parse() { python3 "$T/logparse.py" "$@"; }

# acc_line MARKER: the parsed access log line whose request has MARKER;
# sets A_REMOTE A_TIME A_REQ A_STATUS A_BYTES A_REF A_UA A_SKEW, and
# A_N (how many lines have it)
acc_line() {
    local l
    l=$(parse acc "$ACC" | awk -F'\t' -v m="$1" '$1 == "OK" && index($4, m)')
    A_N=$(grep -c . <<<"$l")
    [ -n "$l" ] || A_N=0
    IFS=$'\t' read -r _ A_REMOTE A_TIME A_REQ A_STATUS A_BYTES A_REF A_UA A_SKEW <<<"$(head -1 <<<"$l")"
}

# ================================================= access log, error log
write_cfg "$T/logs.yaml" 2 "$ERR" info "$ACC"
start_server "$T/logs.yaml" || exit 0
MASTER=$SERVER_PID

# Lines appear within ~1 s (buffered, flushed once a second).
t0=$(date +%s%N)
http -e 'http://ref.test/page?x=1' -A 'agent/1.0 (test)' "$U/k.bin?m=get1"
if wait_for "$ACC" "m=get1" 3; then
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "the access log line appears within 2 s (${ms} ms)" "[ $ms -le $((2000 * SLOW)) ]"
else
    fail "the access log line appears within 2 s" "nothing in $ACC after 3 s"
fi

acc_line m=get1
check_eq "GET: one line" 1 "$A_N"
check_eq "GET: \$remote_addr" 127.0.0.1 "$A_REMOTE"
check_match "GET: \$time_local like 25/Nov/2026:20:00:00 +0000" '^[0-3][0-9]/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' "$A_TIME"
check "GET: \$time_local is now (off by ${A_SKEW:-?} s)" "[ '${A_SKEW:-99}' -le 5 ]"
check_eq "GET: \"\$request\"" "GET /k.bin?m=get1 HTTP/1.1" "$A_REQ"
check_eq "GET: \$status" 200 "$A_STATUS"
check_eq "GET: \$body_bytes_sent = the file's size (the head not counted)" "$KSIZE" "$A_BYTES"
check_eq "GET: \"\$http_referer\" (curl -e)" "http://ref.test/page?x=1" "$A_REF"
check_eq "GET: \"\$http_user_agent\" (curl -A)" "agent/1.0 (test)" "$A_UA"
# The whole line, as nginx writes it: nothing after the user agent's quote.
check_match "GET: the whole line is the combined format, ending with \"agent/1.0 (test)\"" \
    '^127\.0\.0\.1 - - \[[^]]+\] "GET /k\.bin\?m=get1 HTTP/1\.1" 200 1000 "http://ref\.test/page\?x=1" "agent/1\.0 \(test\)"$' \
    "$(grep -m1 'm=get1' "$ACC")"

# No referer, curl's default user agent.
http "$U/k.bin?m=noref"
http -I "$U/k.bin?m=head"
http "$U/missing?m=404"
size404=$(wc -c <"$BODY" | tr -d ' ')
http -H 'Range: bytes=0-99' "$U/k.bin?m=range"
expect_status "(Range request -> 206)" 206
etag=
http "$U/k.bin?m=etag"
etag=$(hdr ETag)
[ -n "$etag" ] && http -H "If-None-Match: $etag" "$U/k.bin?m=304"
# Two requests on one keep-alive connection.
curl -s -o /dev/null -o /dev/null --max-time "$MAXT" "$U/k.bin?m=ka1" "$U/k.bin?m=ka2"
# HTTP/1.0
raw 'GET /k.bin?m=h10 HTTP/1.0\r\n\r\n'
# A quote and a backslash in the user agent; bytes outside ASCII.
http -A 'q"uo\te' "$U/k.bin?m=quote"
raw 'GET /k.bin?m=utf8 HTTP/1.1\r\nHost: x\r\nUser-Agent: caf\xc3\xa9\r\nReferer: a"b\r\nConnection: close\r\n\r\n'
# A target with a quote (bad request or not, a logged line must parse).
raw 'GET /k.bin?m=badq"x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
raw 'GET /m=badline\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
# A slow download: $body_bytes_sent counts every byte of a response
# written in many pieces (24 MiB: more than the socket buffers take at once).
curl -s -o "$T/big.out" --max-time $((20 * SLOW)) --limit-rate 8M "$U/big.bin?m=slow"
wait_for "$ACC" "m=slow" 3
# shellcheck disable=SC2034 # read by lib.sh
LAST_REQ= # (the checks below name their request by its m= marker)

acc_line m=noref
check_eq "no Referer: \"-\"" "-" "$A_REF"
check_match "curl's User-Agent logged" '^curl/' "$A_UA"
acc_line m=head
check_eq "HEAD: \$request" "HEAD /k.bin?m=head HTTP/1.1" "$A_REQ"
check_eq "HEAD: \$status 200" 200 "$A_STATUS"
check_eq "HEAD: \$body_bytes_sent 0 (no body sent)" 0 "$A_BYTES"
acc_line m=404
check_eq "404: \$status" 404 "$A_STATUS"
check_eq "404: \$body_bytes_sent = the error page's size ($size404)" "$size404" "$A_BYTES"
acc_line m=range
check_eq "Range: \$status 206" 206 "$A_STATUS"
check_eq "Range: \$body_bytes_sent 100" 100 "$A_BYTES"
if [ -n "$etag" ]; then
    acc_line m=304
    check_eq "If-None-Match: \$status 304" 304 "$A_STATUS"
    check_eq "304: \$body_bytes_sent 0" 0 "$A_BYTES"
fi
acc_line m=ka1
check_eq "keep-alive, 1st request: \$body_bytes_sent $KSIZE" "$KSIZE" "$A_BYTES"
acc_line m=ka2
check_eq "keep-alive, 2nd request on the same connection: \$body_bytes_sent $KSIZE (its own)" "$KSIZE" "$A_BYTES"
acc_line m=h10
check_eq "HTTP/1.0: \$request ends in HTTP/1.0" "GET /k.bin?m=h10 HTTP/1.0" "$A_REQ"
check_eq "HTTP/1.0 without User-Agent and Referer: \"-\" \"-\"" "- -" "$A_REF $A_UA"
acc_line m=quote
check_eq "a quote and a backslash in the User-Agent are escaped (\\x22, \\x5C)" 'q\x22uo\x5Cte' "$A_UA"
check "... and the raw quote is not in the file" "! grep -qF 'q\"uo' '$ACC'"
acc_line m=utf8
check_eq "bytes outside ASCII are escaped as \\xHH" 'caf\xC3\xA9' "$A_UA"
check_eq "a quote in the Referer is escaped" 'a\x22b' "$A_REF"
acc_line m=slow
check_eq "slow download: \$body_bytes_sent = 24 MiB" $((24 << 20)) "$A_BYTES"

bad=$(parse acc "$ACC" | grep '^BAD' | head -3)
check_eq "every access log line matches exactly the combined format (nothing after the user agent)" "" "$bad"
check_eq "every access log line ends with the user agent's closing quote" "" \
    "$(grep -avE '"[^"]*"$' "$ACC" | head -3)"
n=$(grep -c . "$ACC")
echo "    ($n access log lines)"

# ---- error log ----
check "the error log file exists" "[ -s '$ERR' ]"
check "startup: '[info] MASTERPID#0: portico/... listening on http://127.0.0.1:PORT/'" \
    "parse err '$ERR' | grep -qP '^OK\tinfo\t$MASTER\tportico/\S+ listening on http://127\.0\.0\.1:$PORT/\t'"
check "nothing of the error log went to stderr" "! [ -s '$SERVER_ERR' ]"
# An error in a worker: the custom 404 page is gone.
workers=$(pgrep -P "$MASTER" | tr '\n' '|')
workers=${workers%|}
rm "$ROOT/errors/404.html"
http "$U/missing?m=nopage"
expect_status "(missing error page: still 404)" 404
check "missing error page: '[error] WORKERPID#0: ...404.html...' in the error log" \
    "wait_for '$ERR' '404.html' 2 && parse err '$ERR' | grep -qE \$'^OK\terror\t($workers)\t.*404\\\\.html'"
# A bad request from a client (logged by a worker at info).
raw 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n'
raw 'GET / HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n'
# A worker killed: the master logs it as an error, the restart as a warning.
victim=$(pgrep -P "$MASTER" | head -1)
kill -KILL "$victim"
wait_for "$ERR" "starting a new worker" 3
check "a killed worker: '[error] MASTERPID#0: worker N killed by signal 9'" \
    "parse err '$ERR' | grep -qP '^OK\terror\t$MASTER\tworker $victim killed by signal 9\t'"
check "... and '[warn] MASTERPID#0: starting a new worker ...'" \
    "parse err '$ERR' | grep -qP '^OK\twarn\t$MASTER\tstarting a new worker'"
sleep 0.5

# SIGUSR1 reopens the error log too (master and workers).
mv "$ERR" "$ERR.1"
kill -USR1 "$MASTER"
sleep 0.5
rm -f "$ROOT/errors/404.html"
http "$U/missing?m=after-usr1"
victim=$(pgrep -P "$MASTER" | head -1)
kill -KILL "$victim"
wait_for "$ERR" "starting a new worker" 3
check "SIGUSR1: a new error log file is created" "[ -f '$ERR' ]"
check "SIGUSR1: a worker's error goes to the new file" "grep -q '404.html' '$ERR'"
check "SIGUSR1: the master's messages go to the new file" "grep -q 'worker $victim killed' '$ERR'"
check "SIGUSR1: the old file keeps its lines" "grep -q 'listening on' '$ERR.1'"
echo "custom not found page" >"$ROOT/errors/404.html"
sleep 0.3

# Buffered: no write per request. strace counts the writes of every worker
# to its access log descriptor during 40 requests (skipped without strace or
# ptrace permission).
if command -v strace >/dev/null && [ -z "$PORTICO_WRAP" ]; then
    stp=()
    fds=
    for w in $(pgrep -P "$MASTER"); do
        for f in /proc/"$w"/fd/*; do
            [ "$(readlink "$f")" = "$ACC" ] && fds="$fds ${f##*/}"
        done
        stp+=(-p "$w")
    done
    strace -qq -f -e trace=write,writev,pwrite64 "${stp[@]}" -o "$T/strace.out" 2>"$T/strace.err" &
    st=$!
    sleep 0.5
    if is_running "$st" && ! [ -s "$T/strace.err" ]; then
        t0=$(date +%s%N)
        for ((i = 0; i < 40; i++)); do
            curl -s -o /dev/null --max-time "$MAXT" "$U/k.bin?m=strace$i"
        done
        secs=$((($(date +%s%N) - t0) / 1000000000 + 1))
        sleep 1.3
        kill "$st"
        wait "$st" 2>/dev/null
        fd_re=$(echo "$fds" | sed 's/^ //; s/ /|/g')
        writes=$(grep -cE "write(v|64)?\((${fd_re:-x}), " "$T/strace.out")
        lines=$(grep -c 'm=strace' "$ACC")
        check_eq "(40 requests logged)" 40 "$lines"
        check "buffered: 40 requests in ~$secs s -> at most $((2 * (secs + 2))) writes to the access log (got $writes)" \
            "[ $writes -ge 1 ] && [ $writes -le $((2 * (secs + 2))) ]"
    else
        kill "$st" 2>/dev/null
        wait "$st" 2>/dev/null
        echo "  (strace cannot attach: the write-count check is skipped: $(head -c 100 "$T/strace.err"))"
    fi
fi

# All buffered lines are written at SIGTERM.
for ((i = 0; i < 40; i++)); do
    echo "url = \"$U/k.bin?m=burst&i=$i\""
    echo "output = /dev/null"
done >"$T/burst.curl"
curl -s --max-time "$MAXT" -K "$T/burst.curl"
python3 - "$PORT" <<'EOF'
# 20 more requests on fresh connections, then SIGTERM at once (below)
import socket, sys
for i in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /k.bin?m=burst&j=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % i)
    while s.recv(65536):
        pass
    s.close()
EOF
SERVER_CHILDREN=$(pgrep -P "$MASTER" | sort | tr '\n' ' ')
kill -TERM "$MASTER"
stop_server signalled
check_eq "SIGTERM right after 60 requests: all 60 lines are in the access log" 60 "$(grep -c 'm=burst' "$ACC")"
bad=$(parse acc "$ACC" | grep '^BAD' | head -3)
check_eq "... every access log line still parses" "" "$bad"
check "the error log ends with '[info] MASTERPID#0: stopped'" \
    "parse err '$ERR' | tail -1 | grep -qP '^OK\tinfo\t$MASTER\tstopped\t'"
bad=$(cat "$ERR.1" "$ERR" >"$T/err.all" && parse err "$T/err.all" | grep '^BAD' | head -3)
check_eq "every error log line matches 'YYYY/MM/DD HH:MM:SS [level] PID#0: message'" "" "$bad"
check "every error log line is recent" "! parse err '$T/err.all' | awk -F'\t' '\$1 == \"OK\" && \$5 > 30' | grep -q ."

# ========================================== log_level: warn, then error
for lvl in warn error; do
    E=$T/error-$lvl.log
    write_cfg "$T/$lvl.yaml" 2 "$E" "$lvl" off
    start_server "$T/$lvl.yaml" || continue
    M=$SERVER_PID
    raw 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n' # an info line from a worker
    victim=$(pgrep -P "$M" | head -1)
    kill -KILL "$victim" # an error and a warning from the master
    sleep 1
    write_cfg "$T/$lvl.yaml" 2 "$E" "$lvl" off
    kill -HUP "$M" # an info line "configuration reloaded"
    sleep 0.5
    SERVER_CHILDREN=$(pgrep -P "$M" | sort | tr '\n' ' ')
    stop_server
    levels=$(parse err "$E" | awk -F'\t' '$1 == "OK" { print $2 }' | sort -u | tr '\n' ' ')
    if [ "$lvl" = warn ]; then
        check_eq "log_level: warn -> only warn and error lines" "error warn " "$levels"
    else
        check_eq "log_level: error -> only error lines" "error " "$levels"
    fi
    check_eq "log_level: $lvl -> every line parses" "" "$(parse err "$E" | grep '^BAD' | head -2)"
done

# ================================================ error_log: off, access_log: off
cd "$T/elsewhere" || exit 1
write_cfg "$T/cfg/off.yaml" 2 off info off
start_server "$T/cfg/off.yaml" || exit 0
M=$SERVER_PID
http "$U/k.bin?m=off"
raw 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n'
kill -KILL "$(pgrep -P "$M" | head -1)"
sleep 1
kill -HUP "$M"
sleep 0.5
SERVER_CHILDREN=$(pgrep -P "$M" | sort | tr '\n' ' ')
stop_server
check_eq "error_log: off -> nothing on stderr" "" "$(head -c 300 "$SERVER_ERR")"
check_eq "access_log: off -> nothing on stdout" "" "$(head -c 300 "$SERVER_OUT")"
check "error_log: off -> no file named 'off' (config folder or cwd)" "! [ -e '$T/cfg/off' ] && ! [ -e '$T/elsewhere/off' ]"

# ======================================= relative paths, "./off", "-" stdout
write_cfg "$T/cfg/rel.yaml" 1 ./off info logs/acc.log
mkdir -p "$T/cfg/logs"
start_server "$T/cfg/rel.yaml" || exit 0
http "$U/k.bin?m=rel"
stop_server
check "error_log: ./off -> a file named off in the config's folder" "grep -q 'listening on' '$T/cfg/off'"
check "access_log: logs/acc.log -> relative to the config's folder" "grep -q 'm=rel' '$T/cfg/logs/acc.log'"
check "... not to the working directory" "! [ -e '$T/elsewhere/off' ] && ! [ -e '$T/elsewhere/logs' ]"

write_cfg "$T/cfg/std.yaml" 1 '"-"' info '"-"'
start_server "$T/cfg/std.yaml" || exit 0
http -A 'std/1' "$U/k.bin?m=stdout"
wait_for "$SERVER_OUT" "m=stdout" 3
stop_server
check "access_log: \"-\" -> the line on stdout, ending with the user agent" "grep -qE 'GET /k.bin\\?m=stdout HTTP/1.1\" 200 [0-9]+ \"-\" \"std/1\"\$' '$SERVER_OUT'"
check "error_log: \"-\" -> the startup line on stderr" "grep -q 'listening on' '$SERVER_ERR'"
check "... and no access line on stderr" "! grep -q 'm=stdout' '$SERVER_ERR'"

# ======================================= the start-up line: a URL to open
# A wildcard address is opened as localhost (issue 10: http://0.0.0.0:8080/
# is no address a browser goes to).
write_cfg "$T/cfg/any.yaml" 1 '"-"' info off
sed -i "s/listen: \"127.0.0.1:$PORT\"/listen: [$PORT, \"[::]:$PORT\"]/" "$T/cfg/any.yaml"
start_server "$T/cfg/any.yaml" || exit 0
stop_server
check "wildcard 0.0.0.0: the start-up line says http://localhost:PORT/" \
    "grep -qE 'listening on http://localhost:$PORT/ \\(0\\.0\\.0\\.0:$PORT: every IPv4 address' '$SERVER_ERR'"
check "wildcard [::]: the same URL, naming IPv6" \
    "grep -qE 'listening on http://localhost:$PORT/ \\(\\[::\\]:$PORT: every IPv6 address' '$SERVER_ERR'"
check "no http://0.0.0.0 nor http://[::] in the log" "! grep -qE 'http://(0\\.0\\.0\\.0|\\[::\\])' '$SERVER_ERR'"
cd "$REPO_DIR" || exit 1
exit 0
