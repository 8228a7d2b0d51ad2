#!/usr/bin/env bash
# Timeouts (header 1s, keepalive 1s) and keepalive_requests: 3, from
# configs/test/timeouts.yaml.
. "$(dirname "$0")/lib.sh"

use_config timeouts
start_server "$CONFIG" || exit 0

H='Host: localhost\r\n'
hi=$((3 * SLOW)) # upper bound for a 1 s timer, in seconds

# ---- header timeout: half a head -> 408, then close ----
raw --timeout $((6 * SLOW)) "GET / HTTP/1.1\r\n${H}X-Partial: yes\r\n"
expect_status "half a head -> 408 after the header timeout" 408
expect_header "408 carries Connection: close" Connection close
check_eq "408: then the connection is closed" eof "$(raw_field reason)"
t=$(raw_field first)
check "408 arrives after ~1 s (got ${t}s; 0.8..$hi)" between "$t" 0.8 "$hi"

raw --timeout $((6 * SLOW)) "GE"
expect_status "two bytes of a request line -> 408" 408
t=$(raw_field first)
check "408 for a partial request line after ~1 s (got ${t}s)" between "$t" 0.8 "$hi"

# The header timeout runs from the first byte, not from the last one: a
# head trickled in slowly still times out.
out=$(python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=8)
t0 = time.monotonic()
s.settimeout(0.3)
buf = b""
parts = [b"GET / HTTP/1.1\r\n", b"Host: x\r\n"] + [b"X-Slow-%d: y\r\n" % i for i in range(20)]
for p in parts:
    try:
        s.sendall(p)
    except OSError:
        break
    try:
        c = s.recv(65536)
        if c:
            buf += c
        else:
            break
    except socket.timeout:
        pass
    if buf:
        break
s.settimeout(5)
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        buf += c
except OSError:
    pass
print("%s %.1f" % (buf.split(b"\r\n")[0].decode() or "nothing", time.monotonic() - t0))
EOF
)
check_match "slowloris (a header line every 0.3 s) -> 408 within ~1 s of the first byte" "^HTTP/1.1 408 .* (0\.[89]|1\.[0-9]|2\.[0-9])$" "$out"

# ---- idle keep-alive connection: closed silently after ~1 s ----
raw --timeout $((6 * SLOW)) "GET / HTTP/1.1\r\n${H}\r\n"
expect_status "keep-alive request -> 200" 200
expect_header_re "... with Connection: keep-alive" Connection '^[Kk]eep-[Aa]live$'
check_eq "idle keep-alive connection is closed by the server" eof "$(raw_field reason)"
check_eq "idle close sends nothing after the response" 0 "$(raw_field extra)"
t=$(raw_field idle)
check "idle keep-alive closed after ~1 s (got ${t}s; 0.8..$hi)" between "$t" 0.8 "$hi"

# A fresh connection that never sends a byte is closed too, without a
# response (or with a 408), within a few seconds.
raw --timeout $((6 * SLOW)) ""
check_eq "silent connection is closed by the server" eof "$(raw_field reason)"
check_match "silent connection gets no response (or a 408)" '^(000|408)$' "$STATUS"

# A keep-alive connection that is used before the timeout stays usable.
out=$(python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
codes = []
for i in range(2):
    s.sendall(b"GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""
    while b"plain text\n" not in buf:
        c = s.recv(65536)
        if not c:
            break
        buf += c
    codes.append(buf.split(b" ")[1].decode() if buf else "none")
    time.sleep(0.5)
print(" ".join(codes))
EOF
)
check_eq "requests 0.5 s apart reuse the connection (under the 1 s idle timeout)" "200 200" "$out"

# ---- keepalive_requests: 3 ----
raw "GET / HTTP/1.1\r\n${H}\r\nGET /notes.txt HTTP/1.1\r\n${H}\r\nGET /style.css HTTP/1.1\r\n${H}\r\nGET /data.json HTTP/1.1\r\n${H}\r\n"
check_eq "keepalive_requests 3: 4 pipelined requests get 3 responses" "200 200 200" "$(raw_statuses)"
conns=$(awk '$1 == "R" { printf "%s%s", sep, $5; sep = " " }' <<<"$RAW_OUT")
check_match "responses 1-2 keep-alive, the 3rd Connection: close" '^conn=[Kk]eep-[Aa]live conn=[Kk]eep-[Aa]live conn=close$' "$conns"
check_eq "keepalive_requests 3: then the server closes" eof "$(raw_field reason)"
d=$(dirname "$BODY")
check "3rd response body is style.css" cmp -s "$d/b3" "$WWW/style.css"

n=$(curl -s --max-time "$MAXT" -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$U/" "$U/notes.txt" "$U/style.css" "$U/data.json")
check_eq "curl: 4 requests need 2 connections (3 + 1)" "1 0 0 1 " "$n"

http "$U/"
expect_status "GET / still 200" 200
stop_server
exit 0
