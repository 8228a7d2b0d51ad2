#!/usr/bin/env bash
# Request bodies that no handler reads (docs/config.md, "Request bodies"):
# a GET with a body, or a request answered 404 or 405, has its
# body read and discarded, within body_size, and the connection stays open
# for the next request (as nginx does). Content-Length and chunked bodies;
# the next request pipelined in the same write, sent after the response,
# or the body arriving after a pause. The body bytes are never read as a
# request (no 400). A body over body_size by Content-Length is still 413.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"

use_config basic # /: body_size 1m (the default); /post/: body_size 1k
start_server "$CONFIG" || exit 0

H='Host: localhost\r\n'
GET="GET / HTTP/1.1\r\n${H}\r\n"

# steps DATA N [DATA N ...]: one connection. Sends each DATA (Python
# escapes), then reads until N more responses are complete; N = 0 pauses
# 0.3 s instead (the next DATA then comes in a later read of the server).
# Sets RAW_OUT (lines "R <n> <status> conn=<Connection header or ->", then
# "END <reason> responses=<n>"), RAW_END and STATUS, as `raw` does, so
# raw_statuses and raw_field reason work. The END reason is "open" when
# the server kept the connection 0.3 s after the last expected response,
# else eof, reset, timeout (a response missing) or extra (unasked bytes).
steps() {
    REQ_N=$((REQ_N + 1))
    LAST_REQ="steps $(printf '%s | ' "$@" | cut -c1-200)"
    RAW_OUT=$(python3 -S - "$HELPERS" "$PORT" "$MAXT" "$@" 2>"$T/steps$REQ_N.err" <<'EOF'
import codecs, socket, sys, time
sys.path.insert(0, sys.argv[1])
from rawhttp import parse_one, status_of, header_of
port, limit, args = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
s = socket.create_connection(("127.0.0.1", port), timeout=limit)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
deadline = time.monotonic() + limit
buf, heads, consumed = b"", [], 0

def read_until(n):
    """Reads until n responses in all; None, or why it stopped."""
    global buf, consumed
    while len(heads) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        s.settimeout(left)
        try:
            c = s.recv(65536)
        except socket.timeout:
            return "timeout"
        except ConnectionResetError:
            return "reset"
        if not c:
            return "eof"
        buf += c
        while True:
            r = parse_one(buf[consumed:], False)
            if r is None:
                break
            heads.append(r[0])
            consumed += r[2]
    return None

reason, want = None, 0
for i in range(0, len(args), 2):
    try:
        s.sendall(codecs.escape_decode(args[i].encode("utf-8"))[0])
    except OSError:
        reason = "reset"
        break
    if int(args[i + 1]) == 0:
        time.sleep(0.3)
        continue
    want += int(args[i + 1])
    reason = read_until(want)
    if reason:
        break
if reason is None:
    s.settimeout(0.3)
    try:
        reason = "extra" if s.recv(65536) else "eof"
    except socket.timeout:
        reason = "open"
    except ConnectionResetError:
        reason = "reset"
for i, h in enumerate(heads, 1):
    print("R %d %d conn=%s" % (i, status_of(h), header_of(h, b"connection")))
print("END %s responses=%d" % (reason, len(heads)))
EOF
    )
    RAW_END=$(grep '^END ' <<<"$RAW_OUT")
    STATUS=$(awk '$1 == "R" && $2 == 1 { print $3 }' <<<"$RAW_OUT")
    [ -n "$STATUS" ] || STATUS=000
}

# conn_of N: the Connection header of response N of the last steps call
# (lower case; "-" when absent).
conn_of() {
    awk -v n="$1" '$1 == "R" && $2 == n { sub(/^conn=/, "", $4); print tolower($4) }' <<<"$RAW_OUT"
}

# kept NAME: response 1 did not say Connection: close.
kept() {
    local c
    c=$(conn_of 1)
    if [ -n "$c" ] && [ "$c" != close ]; then
        pass "$1"
    else
        fail "$1" "response 1 has Connection: ${c:-<no response>} [$LAST_REQ]"
    fi
}

# ---- GET with a Content-Length body ----
# The next request in the same write, right after the 11 body bytes.
steps "GET / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world${GET}" 2
check_eq "GET + 11-byte body, GET pipelined in the same write: 200 200 (the body is not a request)" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"
check_eq "... and the connection stays open after both" open "$(raw_field reason)"
# The next request in a second write, after the first response.
steps "GET / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world" 1 "$GET" 1
check_eq "GET + 11-byte body, then a GET after its response: 200 200" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"
check_eq "... and the connection stays open" open "$(raw_field reason)"
# The body arrives after a pause (the server must wait for it, not skip
# what it already has), with the next request behind it.
steps "GET / HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\n" 0 "hello world${GET}" 2
check_eq "GET whose 11-byte body comes 0.3 s after the head, GET behind it: 200 200" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"

# ---- GET with a chunked body ----
steps "GET / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${GET}" 2
check_eq "GET + chunked body (5 hello 0), GET pipelined in the same write: 200 200" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"
check_eq "... and the connection stays open after both" open "$(raw_field reason)"
steps "GET / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" 1 "$GET" 1
check_eq "GET + chunked body, then a GET after its response: 200 200" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"
check_eq "... and the connection stays open" open "$(raw_field reason)"
steps "GET / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nX-Trailer: t\r\n\r\n${GET}" 2
check_eq "GET + chunked body in 2 chunks with an extension and a trailer, GET pipelined: 200 200" "200 200" "$(raw_statuses)"
kept "... the first response does not close the connection"

# ---- other answers that read no body: 404, 405 ----
steps "GET /missing HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nabcde${GET}" 2
check_eq "GET of a missing file + 5-byte body, GET pipelined: 404 200" "404 200" "$(raw_statuses)"
kept "... the 404 does not close the connection"
# A POST to a GET/HEAD location: 405, its body discarded, the next request
# on the connection answered (nginx does so).
steps "POST /index.html HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world${GET}" 2
check_eq "POST + 11-byte body to a GET/HEAD location, GET pipelined: 405 200" "405 200" "$(raw_statuses)"
kept "... the 405 does not close the connection"
check_eq "... and the connection stays open after both" open "$(raw_field reason)"
steps "POST /index.html HTTP/1.1\r\n${H}Content-Length: 11\r\n\r\nhello world" 1 "$GET" 1
check_eq "POST + body to a GET/HEAD location, then a GET after the 405: 405 200" "405 200" "$(raw_statuses)"
kept "... the 405 does not close the connection"
steps "POST /index.html HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${GET}" 2
check_eq "POST + chunked body to a GET/HEAD location, GET pipelined: 405 200" "405 200" "$(raw_statuses)"

# ---- body_size still applies ----
# Exactly body_size (1k on /post/) is within it: discarded, connection kept.
body=$(printf 'd%.0s' $(seq 1 1024))
steps "GET /post/x HTTP/1.1\r\n${H}Content-Length: 1024\r\n\r\n${body}${GET}" 2
check_eq "GET + a body of exactly body_size (1k), GET pipelined: 404 200" "404 200" "$(raw_statuses)"
kept "... the first response does not close the connection"
# One byte more is 413, answered from the head (the connection may close).
raw "GET /post/x HTTP/1.1\r\n${H}Content-Length: 1025\r\n\r\n"
expect_status "GET with Content-Length body_size + 1 (1k) -> 413" 413
raw "GET / HTTP/1.1\r\n${H}Content-Length: 1048577\r\n\r\n"
expect_status "GET with Content-Length over the default body_size (1m) -> 413" 413

# No body was ever taken for a request: nothing of them in the access log
# (stdout, flushed at SIGTERM) as a 400 or as a request line.
http "$U/"
expect_status "GET / still 200" 200
stop_server
check "the access log has no 400 (no body read as a request)" "! grep -q '\" 400 ' '$SERVER_OUT'"
check "the access log has no request made of body bytes" "! grep -qE '\"(hello|abc|5|0|d{8})' '$SERVER_OUT'"
exit 0
