#!/usr/bin/env bash
# Request-body framing, where a handler reads bodies (upload via PUT):
# Content-Length and chunked decoding, bad chunk sizes, body_size on both,
# the body timeout, Expect: 100-continue, and keep-alive after a body.
# Upload semantics themselves are another test's business.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
U=http://127.0.0.1:$PORT
UP=$T/up
mkdir -p "$UP"
cat >"$T/bodies.yaml" <<EOF
workers: 1
error_log: "-"
access_log: off
servers:
  - listen: "127.0.0.1:$PORT"
    root: $UP
    timeouts: {body: 1s}
    locations:
      /:
        methods: [GET, HEAD, POST, PUT]
        upload: true
        limits: {body_size: 1k}
EOF
start_server "$T/bodies.yaml" || exit 0
H='Host: localhost\r\n'

# nothing but complete uploads in the folder (no temp files left behind)
only_files() { # expected names, space separated, sorted
    check_eq "$1" "$2" "$(ls -A "$UP" | sort | tr '\n' ' ' | sed 's/ $//')"
}

# ---- Content-Length ----
raw --expect 1 "PUT /cl.txt HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello"
expect_status "PUT with Content-Length -> 201" 201
check_eq "stored body" hello "$(cat "$UP/cl.txt" 2>/dev/null)"

body=$(printf 'e%.0s' $(seq 1 1024))
raw --expect 1 "PUT /exact.txt HTTP/1.1\r\n${H}Content-Length: 1024\r\n\r\n$body"
expect_status "body of exactly body_size (1k) -> 201" 201
check_eq "1024 bytes stored" 1024 "$(wc -c <"$UP/exact.txt" 2>/dev/null | tr -d ' ')"
raw "PUT /over.txt HTTP/1.1\r\n${H}Content-Length: 1025\r\n\r\n${body}e"
expect_status "body_size + 1 (Content-Length) -> 413" 413

# ---- chunked ----
raw --expect 1 "PUT /ch.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"
expect_status "chunked PUT (with a chunk extension) -> 201" 201
check_eq "chunked body decoded" "hello world" "$(cat "$UP/ch.txt" 2>/dev/null)"
raw --expect 1 "PUT /chupper.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
expect_status "chunked with hex size A and a trailer -> 201" 201
check_eq "chunked body with trailer decoded" 0123456789 "$(cat "$UP/chupper.txt" 2>/dev/null)"

raw "PUT /bad1.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
expect_status "bad chunk size 'zz' -> 400" 400
expect_header "bad chunk size closes the connection" Connection close
raw "PUT /bad2.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"
expect_status "negative chunk size -> 400" 400
raw "PUT /bad3.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFF\r\nhello\r\n"
check_match "overflowing chunk size -> 400 or 413" '^(400|413)$' "$STATUS"
raw "PUT /bad4.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"
expect_status "chunk data not followed by CRLF -> 400" 400
raw "PUT /bad5.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"
check_match "chunk size with leading space -> 400" '^400$' "$STATUS"
raw "PUT /bad6.txt HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
expect_status "Transfer-Encoding gzip, chunked -> 501" 501
raw "PUT /bad7.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"
check_match "Transfer-Encoding chunked, gzip (chunked not last) -> 400 or 501" '^(400|501)$' "$STATUS"
big=$(printf 'f%.0s' $(seq 1 1100))
raw "PUT /bigch.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n44c\r\n$big\r\n0\r\n\r\n"
expect_status "chunked body over body_size -> 413" 413
half=$(printf 'g%.0s' $(seq 1 600))
raw "PUT /bigch2.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n258\r\n$half\r\n258\r\n$half\r\n0\r\n\r\n"
expect_status "chunked body over body_size in two chunks -> 413" 413
sleep 0.2
only_files "failed bodies leave no file (temp or final) behind" "ch.txt chupper.txt cl.txt exact.txt"

# ---- cut-off bodies ----
raw --shut "PUT /cut.txt HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nonly twenty bytes..."
check_match "body cut off by the client: no 2xx ($STATUS)" '^(000|400)$' "$STATUS"
raw --timeout $((6 * SLOW)) "PUT /slow.txt HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\nten bytes."
expect_status "body stalls longer than timeouts.body (1s) -> 408" 408
t=$(raw_field first)
check "408 for the body after ~1 s (got ${t}s)" between "$t" 0.8 $((3 * SLOW))
check_eq "... and the connection closes" eof "$(raw_field reason)"
raw --timeout $((6 * SLOW)) "PUT /slowch.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhel"
expect_status "chunked body stalls -> 408" 408
sleep 0.2
only_files "cut-off and timed-out bodies leave nothing behind" "ch.txt chupper.txt cl.txt exact.txt"

# ---- keep-alive after a body: the next request starts right after it ----
raw --expect 3 "PUT /ka1.txt HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /ka1.txt HTTP/1.1\r\n${H}\r\nPUT /ka2.txt HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
check_eq "PUT (length), GET, PUT (chunked) pipelined on one connection" "201 200 201" "$(raw_statuses)"
check_eq "the GET reads back the first body" abc "$(cat "$(dirname "$BODY")/b2" 2>/dev/null)"
check_eq "the chunked PUT after it is stored" xyz "$(cat "$UP/ka2.txt" 2>/dev/null)"

# ---- Expect: 100-continue ----
printf 'continue body\n' >"$T/cont.txt"
curl -sv --max-time "$MAXT" -o /dev/null -w '%{http_code} %{time_total}\n' -H 'Expect: 100-continue' \
    -T "$T/cont.txt" "$U/cont.txt" >"$T/cont.out" 2>"$T/cont.err"
check_match "PUT with Expect: 100-continue -> 201" '^201 ' "$(cat "$T/cont.out")"
check "the server sends 100 Continue (curl need not wait 1 s)" "grep -q 'HTTP/1.1 100 Continue' '$T/cont.err'"
check_eq "body stored after 100-continue" "continue body" "$(cat "$UP/cont.txt" 2>/dev/null)"
raw "PUT /nocont.txt HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n"
expect_status "Expect: 100-continue over body_size -> 413 at once (no 100)" 413

http "$U/cl.txt"
expect_status "GET still works" 200
stop_server
exit 0
