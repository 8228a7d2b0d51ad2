#!/usr/bin/env bash
# Persistent connections: reuse, HTTP/1.0, Connection: close, pipelining,
# requests split into single bytes.
. "$(dirname "$0")/lib.sh"

use_config basic
start_server "$CONFIG" || exit 0

H='Host: localhost\r\n'

# ---- curl reuses the connection ----
n=$(curl -s --max-time "$MAXT" -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects} ' \
    "$U/" "$U/style.css" "$U/missing")
check_eq "curl: three requests (200, 200, 404) on one connection" "1 0 0 " "$n"
curl -sv --max-time "$MAXT" -o /dev/null -o /dev/null "$U/" "$U/1k.txt" 2>"$T/curl-v.txt"
check "curl -v says it re-used the connection" "grep -qi 're-using existing connection' '$T/curl-v.txt'"

# ---- HTTP/1.0 ----
raw "GET / HTTP/1.0\r\n\r\n"
expect_status "HTTP/1.0 GET -> 200" 200
expect_header "HTTP/1.0 without keep-alive: Connection: close" Connection close
check_eq "HTTP/1.0 without keep-alive: the server closes" eof "$(raw_field reason)"
check_match "HTTP/1.0 request gets an HTTP/1.x status line" '^HTTP/1\.[01] 200' "$(head -1 "$HDRS")"
expect_body_file "HTTP/1.0 body byte-exact" "$WWW/index.html"

raw --expect 2 "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /notes.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
check_eq "HTTP/1.0 with Connection: keep-alive: two responses on one connection" "200 200" "$(raw_statuses)"
expect_header_re "HTTP/1.0 keep-alive response says keep-alive" Connection '^[Kk]eep-[Aa]live$'

# ---- Connection: close ----
raw "GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "Connection: close request -> 200" 200
expect_header "Connection: close is echoed" Connection close
check_eq "Connection: close: the server closes after the response" eof "$(raw_field reason)"
check_eq "Connection: close: nothing after the response" 0 "$(raw_field extra)"
raw "GET / HTTP/1.1\r\n${H}Connection: Close\r\n\r\n"
check_eq "Connection: Close (any case) is honoured" eof "$(raw_field reason)"
raw "GET / HTTP/1.1\r\n${H}Connection: keep-alive, close\r\n\r\n"
check_eq "Connection: keep-alive, close (a list) is honoured" eof "$(raw_field reason)"
raw "GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /notes.txt HTTP/1.1\r\n${H}\r\n"
check_eq "a request pipelined after Connection: close is not answered" "200" "$(raw_statuses)"

# ---- closing: at once when all was read, lingering when a body is unread ----
# After its last answer the server closes at once when it read everything
# the client sent (a byte sent afterwards meets a reset), and lingers (drains
# for a moment, no reset) when a body was left unread, so that a client
# still sending sees the answer (as nginx's lingering_close on).
after_close() {
    python3 - "$PORT" "$1" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode())
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
status = buf.split(b"\r\n")[0].decode()
try:
    for i in range(3):
        s.sendall(b"x" * 1000)
        time.sleep(0.1)
    print(status, "no reset")
except OSError:
    print(status, "reset")
EOF
}
check_eq "Connection: close, request read whole: closed at once" \
    "HTTP/1.1 200 OK reset" "$(after_close "GET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n")"
check_eq "Connection: close, a body left unread: the server lingers" \
    "HTTP/1.1 405 Method Not Allowed no reset" \
    "$(after_close "POST /missing HTTP/1.1\r\n${H}Content-Length: 100000\r\nConnection: close\r\n\r\nabc")"

# ---- HTTP/1.1 stays open ----
raw --expect 1 --timeout 2 "GET / HTTP/1.1\r\n${H}\r\n"
expect_header_re "HTTP/1.1 default: Connection: keep-alive" Connection '^[Kk]eep-[Aa]live$'
check_eq "HTTP/1.1 default: the connection stays open after the response" expect "$(raw_field reason)"

# ---- pipelining ----
raw --expect 3 "GET / HTTP/1.1\r\n${H}\r\nGET /style.css HTTP/1.1\r\n${H}\r\nGET /data.json HTTP/1.1\r\n${H}\r\n"
check_eq "3 pipelined requests in one write: 3 responses" "200 200 200" "$(raw_statuses)"
d=$(dirname "$BODY")
check "pipelined response 1 is index.html" cmp -s "$d/b1" "$WWW/index.html"
check "pipelined response 2 is style.css" cmp -s "$d/b2" "$WWW/style.css"
check "pipelined response 3 is data.json" cmp -s "$d/b3" "$WWW/data.json"
check_eq "pipelined: no stray bytes" 0 "$(raw_field extra)"

raw --bodyless 3 "GET /missing HTTP/1.1\r\n${H}\r\nGET /sub HTTP/1.1\r\n${H}\r\nHEAD /1k.txt HTTP/1.1\r\n${H}\r\nGET /bin.dat HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
check_eq "pipelined 404, 301, HEAD, GET+close: all answered in order" "404 301 200 200" "$(raw_statuses)"
d=$(dirname "$BODY")
check "pipelined binary response byte-exact" cmp -s "$d/b4" "$WWW/bin.dat"
check_eq "pipelined mix: then closed" eof "$(raw_field reason)"

# Many pipelined requests in one write (more than one read buffer).
python3 -c '
import sys
req = b"GET /1k.txt HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"p" * 200 + b"\r\n\r\n"
sys.stdout.buffer.write(req * 49 + b"GET /1k.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")' >"$T/pipe50"
raw "@$T/pipe50"
check_eq "50 pipelined requests (13 KB) in one write: 50 responses" 50 "$(grep -c '^R .* 200 len=1024' <<<"$RAW_OUT")"
check_eq "50 pipelined: closed after the last" eof "$(raw_field reason)"

# ---- a request split into single bytes ----
raw --bytewise 0.01 "GET /notes.txt HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "request sent one byte at a time -> 200" 200
expect_body_file "byte-at-a-time body byte-exact" "$WWW/notes.txt"
raw --bytewise 0 --expect 2 "GET /notes.txt HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n"
check_eq "two requests sent one byte per write, no pause: both answered" "200 200" "$(raw_statuses)"

# A head split exactly between \r and \n, and across writes with pauses.
out=$(python3 - "$PORT" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for part in [b"GET /notes.txt HTTP/1.1\r", b"\nHost: x\r\n", b"Connection: close\r\n\r", b"\n"]:
    s.sendall(part)
    time.sleep(0.15)
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
print(buf.split(b"\r\n")[0].decode())
EOF
)
check_eq "head split between CR and LF across writes -> 200" "HTTP/1.1 200 OK" "$out"

# ---- client half-close after a full request ----
raw --shut "GET /notes.txt HTTP/1.1\r\n${H}\r\n"
expect_status "request then client shutdown(SHUT_WR) -> still answered" 200
# The FIN may arrive with the request or while the response is written: in
# every case the server must see it and close at once (not at the
# keep-alive timeout, 75 s here). 20 tries, an idle pause before each.
out=$(python3 - "$PORT" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
closed = 0
for i in range(20):
    time.sleep(0.2)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"GET /notes.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    s.settimeout(1)
    buf = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                closed += buf.startswith(b"HTTP/1.1 200")
                break
            buf += c
    except OSError:
        pass
    s.close()
print("%d/20 closed within 1 s" % closed)
EOF
)
check_eq "after the client's half-close the server closes too (20 tries)" "20/20 closed within 1 s" "$out"

# ---- 404 and 405 keep the connection (no body was sent) ----
raw --expect 3 "GET /missing HTTP/1.1\r\n${H}\r\nDELETE / HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n"
check_eq "404, 405, then 200 on one connection" "404 405 200" "$(raw_statuses)"

http "$U/"
expect_status "GET / still 200" 200
stop_server
exit 0
