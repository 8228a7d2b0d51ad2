#!/usr/bin/env bash
# Error statuses as a client sees them: 404/403/301/405/413 from routing,
# 400/414/431/501/505 from the parser, path traversal; a decoded path too
# long for the file system is 404, not 414.
. "$(dirname "$0")/lib.sh"

use_config basic
start_server "$CONFIG" || exit 0

H='Host: localhost\r\n'

# ---- 404 ----
http "$U/missing.html"
expect_status "missing file -> 404" 404
expect_body "404 carries the configured error page" CUSTOM-404-5d1e
expect_body_file "404 body is errors/404.html byte for byte" "$WWW/errors/404.html"
expect_header_re "404 page is HTML" Content-Type '^text/html'
expect_header "404 Content-Length matches the page" Content-Length "$(wc -c <"$WWW/errors/404.html")"
http "$U/sub/missing/deeper.txt"
expect_status "missing nested path -> 404" 404
http "$U/index.html/extra"
check_match "file used as a directory -> 404 (or 403)" '^40[34]$' "$STATUS"
http -H "Host: plain.test" "$U/missing.html"
expect_status "missing file, server without error_pages -> 404" 404
expect_body "built-in 404 page mentions 404" 404
expect_no_body "built-in 404 page is not the custom one" CUSTOM-404-5d1e
expect_header_re "built-in 404 page is HTML" Content-Type '^text/html'
raw --head "HEAD /missing.html HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "HEAD of a missing file -> 404" 404
check_eq "HEAD 404 has no body" 0 "$(raw_field extra)"

# ---- 403 directory without index ----
http "$U/noindex/"
expect_status "directory without index -> 403" 403
expect_no_body "403 does not list the directory" file.txt
http "$U/noindex/file.txt"
expect_status "file inside that directory -> 200" 200

# ---- 301 directory without trailing slash ----
http "$U/sub"
expect_status "directory without slash -> 301" 301
expect_header_re "301 Location is /sub/" Location '^(http://127\.0\.0\.1:[0-9]+)?/sub/$'
http "$U/sub?a=1&b=two"
expect_status "directory without slash, with query -> 301" 301
expect_header_re "301 keeps the query" Location '^(http://127\.0\.0\.1:[0-9]+)?/sub/\?a=1&b=two$'
http "$U/noindex"
expect_status "index-less directory without slash -> 301" 301
http -L "$U/sub"
expect_status "following the 301 -> 200" 200
expect_body "following the 301 lands on sub/index.html" INDEX-SUB-91c2

# ---- 405 ----
for m in POST PUT DELETE; do
    http -X "$m" "$U/index.html"
    expect_status "$m on a GET/HEAD location -> 405" 405
    expect_header "$m 405 Allow: GET, HEAD" Allow "GET, HEAD"
done
http -X PUT "$U/post/x"
expect_status "PUT on a GET/HEAD/POST location -> 405" 405
expect_header "Allow lists GET, HEAD, POST" Allow "GET, HEAD, POST"
http -X OPTIONS "$U/"
check_match "OPTIONS (not configurable) -> 405 or 501" '^(405|501)$' "$STATUS"

# ---- parser errors ----
raw "BREW / HTTP/1.1\r\n${H}\r\n"
expect_status "unknown method BREW -> 501" 501
raw "GET / HTTP/2.0\r\n${H}\r\n"
expect_status "HTTP/2.0 -> 505" 505
raw "GET / HTTP/3.0\r\n${H}\r\n"
expect_status "HTTP/3.0 -> 505" 505
raw "GET / HTTP/1.1\r\n\r\n"
expect_status "HTTP/1.1 without Host -> 400" 400
raw "GET / HTTP/1.0\r\n\r\n"
expect_status "HTTP/1.0 without Host -> 200" 200
raw "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
expect_status "two Host headers -> 400" 400
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect_status "Content-Length and Transfer-Encoding -> 400" 400
expect_header "... and the connection closes" Connection close
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
expect_status "differing Content-Length headers -> 400" 400
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 5, 6\r\n\r\nhello!"
expect_status "Content-Length list with differing values -> 400" 400
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n"
expect_status "negative Content-Length -> 400" 400
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 1x\r\n\r\n"
expect_status "non-numeric Content-Length -> 400" 400
raw "POST /post/x HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n"
expect_status "Transfer-Encoding gzip -> 501" 501
raw "GET / HTTP/1.1\r\n${H}Foo bar\r\n\r\n"
expect_status "header line without colon -> 400" 400
raw "GET / HTTP/1.1\r\n${H}X-Test : value\r\n\r\n"
expect_status "space before the colon -> 400" 400
raw "GET / HTTP/1.1\r\n${H}X-Test: a\r\n  folded\r\n\r\n"
expect_status "obs-fold continuation line -> 400" 400
raw "GET / HTTP/1.1\r\n${H}X-Test: a\x00b\r\n\r\n"
expect_status "NUL in a header value -> 400" 400
raw "GET / HTTP/1.1\r\n${H}X-T\x01st: a\r\n\r\n"
expect_status "control char in a header name -> 400" 400
raw "GET / HTTP/1.1\r\n${H}: novalue\r\n\r\n"
expect_status "empty header name -> 400" 400
raw "GET  / HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
check_match "two spaces in the request line -> 400 (or 200 if lenient)" '^(200|400)$' "$STATUS"
raw "GET /\r\n\r\n"
expect_status "HTTP/0.9 style request line -> 400" 400
raw "GET / FOO/1.1\r\n${H}\r\n"
expect_status "bad protocol name -> 400" 400
raw "GET / HTTP/1.1 extra\r\n${H}\r\n"
expect_status "trailing junk in the request line -> 400" 400
raw "GET index.html HTTP/1.1\r\n${H}\r\n"
expect_status "target without leading slash -> 400" 400
raw "GET /in dex.html HTTP/1.1\r\n${H}\r\n"
expect_status "space inside the target -> 400" 400
raw --expect 1 "GET /\x7f HTTP/1.1\r\n${H}\r\n"
check_match "DEL byte in the target -> 400 or 404" '^(400|404)$' "$STATUS"
raw --expect 1 "GET /%zz HTTP/1.1\r\n${H}\r\n"
expect_status "bad percent escape %zz -> 400" 400
raw --expect 1 "GET /abc% HTTP/1.1\r\n${H}\r\n"
expect_status "truncated percent escape -> 400" 400
raw --expect 1 "GET /index.html%00.txt HTTP/1.1\r\n${H}\r\n"
expect_status "%00 in the path -> 400" 400
raw "\r\n\r\nGET / HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "leading empty lines before the request line are skipped -> 200" 200
raw --expect 1 "GET / HTTP/1.1\n${H}\r\n"
check_match "bare LF line endings -> 200 or 400, never a hang" '^(200|400)$' "$STATUS"

# Framing is lost after a bad head: the connection closes, a pipelined
# request after it is not answered.
raw "GET / HTTP/1.1\r\nBad header\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n"
check_eq "bad head then a pipelined request: only the 400 is sent" "400" "$(raw_statuses)"
expect_header "400 carries Connection: close" Connection close
check_eq "... and the connection is closed" eof "$(raw_field reason)"

# ---- 414 / 431 (header_size: 1k) ----
long=$(printf 'a%.0s' $(seq 1 1100))
raw "GET /$long HTTP/1.1\r\n${H}\r\n"
expect_status "request line longer than header_size -> 414" 414
check_eq "414 closes the connection" eof "$(raw_field reason)"
long=$(printf 'b%.0s' $(seq 1 5000))
raw "GET /$long HTTP/1.1\r\n${H}\r\n"
expect_status "5 KB request line -> 414" 414
hdrs=$(for i in $(seq 1 40); do printf 'X-Filler-%02d: %s\\r\\n' "$i" 0123456789012345678901234567890123456789; done)
raw "GET / HTTP/1.1\r\n${H}${hdrs}\r\n"
expect_status "head larger than header_size -> 431" 431
check_eq "431 closes the connection" eof "$(raw_field reason)"
big=$(printf 'c%.0s' $(seq 1 3000))
raw "GET / HTTP/1.1\r\n${H}X-Big: $big\r\n\r\n"
expect_status "one header larger than header_size -> 431" 431
hdrs=$(for i in $(seq 1 10); do printf 'X-Filler-%02d: %s\\r\\n' "$i" 0123456789012345678901234567890123456789; done)
raw "GET / HTTP/1.1\r\n${H}${hdrs}Connection: close\r\n\r\n"
expect_status "head under header_size (about 600 bytes) -> 200" 200
hdrs=$(for i in $(seq 1 150); do printf 'X-%d: 1\\r\\n' "$i"; done)
raw "GET / HTTP/1.1\r\n${H}${hdrs}\r\n"
check_match "150 tiny headers (over 100) -> 431 or 400" '^(400|431)$' "$STATUS"

# ---- 413 (body_size: 1k on /post/) ----
# Answered from the head alone: no body bytes are sent.
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 2000\r\n\r\n"
expect_status "Content-Length over body_size -> 413 (before the body arrives)" 413
expect_header "413 closes the connection (body left unread)" Connection close
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 1025\r\n\r\n"
expect_status "body_size + 1 -> 413" 413
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\n"
check_match "absurd Content-Length -> 413 or 400" '^(400|413)$' "$STATUS"
body=$(printf 'd%.0s' $(seq 1 1024))
raw "POST /post/x HTTP/1.1\r\n${H}Content-Length: 1024\r\n\r\n$body"
[ "$STATUS" != 413 ] && [ "$STATUS" != 000 ] && pass "... it gets an answer other than 413 ($STATUS)" ||
    fail "... it gets an answer other than 413" "got $STATUS"
raw "POST /index.html HTTP/1.1\r\n${H}Content-Length: 2000\r\n\r\n"
check_match "POST over body_size on a GET-only location -> 405 or 413" '^(405|413)$' "$STATUS"

# ---- path traversal ----
trav() { # name target
    raw "GET $2 HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
    expect_status "$1 -> 400" 400
    check "$1 does not leak /etc/passwd" "! grep -q 'root:' '$(dirname "$BODY")/raw'"
}
trav "/../../etc/passwd" "/../../etc/passwd"
trav "/%2e%2e/%2e%2e/etc/passwd" "/%2e%2e/%2e%2e/etc/passwd"
trav "/%2E%2E/etc/passwd" "/%2E%2E/etc/passwd"
trav "/..%2f..%2fetc/passwd" "/..%2f..%2fetc/passwd"
trav "/sub/../../etc/passwd" "/sub/../../etc/passwd"
trav "/sub/..%2f..%2f..%2fetc/passwd" "/sub/..%2f..%2f..%2fetc/passwd"
trav "/./../etc/passwd" "/./../etc/passwd"
trav "/.. (bare)" "/.."
raw "GET /..%5c..%5cetc/passwd HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
check_match "backslash traversal (%5c) -> 400 or 404" '^(400|404)$' "$STATUS"
check "backslash traversal does not leak passwd" "! grep -q 'root:' '$(dirname "$BODY")/raw'"
http --path-as-is "$U/../../../../etc/passwd"
expect_status "curl --path-as-is /../../../../etc/passwd -> 400" 400
expect_no_body "--path-as-is traversal does not leak passwd" "root:"
http --path-as-is "$U/sub/../../../etc/passwd"
expect_status "curl --path-as-is /sub/../../../etc/passwd -> 400" 400
http "$U/etc/passwd"
expect_status "/etc/passwd under the root -> 404" 404
expect_no_body "/etc/passwd under the root does not leak" "root:"

# ---- absolute-form targets ----
raw "GET http://localhost/ HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "absolute-form GET http://localhost/ -> 200" 200
expect_body_file "absolute-form serves the index" "$WWW/index.html"
raw "GET http://localhost:$PORT/sub/ HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "absolute-form with a port -> 200" 200
expect_body "absolute-form with a path" INDEX-SUB-91c2
raw "GET http://plain.test/missing HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n"
expect_status "absolute-form: its authority picks the server" 404
expect_no_body "... plain.test (built-in 404), not Host: other.test" CUSTOM-404-5d1e
raw "GET http://localhost/../../etc/passwd HTTP/1.1\r\n${H}Connection: close\r\n\r\n"
expect_status "absolute-form traversal -> 400" 400
check "absolute-form traversal does not leak passwd" "! grep -q 'root:' '$(dirname "$BODY")/raw'"

# The server is still fine after all of that.
http "$U/"
expect_status "GET / still 200 after the error tests" 200
stop_server

# ---- a path too long for the file system is 404, not 414 (header_size 16k) ----
# docs/config.md ("Request paths"): 414 is only for a
# request line longer than header_size; a decoded path longer than the file
# system allows (a name over NAME_MAX 255, a path over PATH_MAX 4096) is
# just a file that is not there: static answers 404 (the custom page), and
# the connection stays open as after any 404. The same config with
# header_size at its default, 16k.
use_config basic
render "$CONFIGS/basic.yaml" "$CONFIG" "header_size: 1k=header_size: 16k"
start_server "$CONFIG" || exit 0
long=$(printf 'a%.0s' $(seq 1 5000))
raw --expect 2 "GET /$long HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n"
expect_status "one 5000-byte name (over NAME_MAX) -> 404, not 414 or 400" 404
expect_body "... the configured 404 page" CUSTOM-404-5d1e
check_eq "... and the next request on the connection is answered" "404 200" "$(raw_statuses)"
segs=$(printf 'a/%.0s' $(seq 1 4200))
raw --expect 1 "GET /$segs HTTP/1.1\r\n${H}\r\n"
expect_status "4200 segments a/ (8 KB path, over PATH_MAX) -> 404, not 414 or 400" 404
raw --expect 1 "GET /${segs}x.html HTTP/1.1\r\n${H}\r\n"
expect_status "4200 segments then a file name -> 404" 404
enc=$(printf '%%61%.0s' $(seq 1 5000))
raw --expect 1 "GET /$enc HTTP/1.1\r\n${H}\r\n"
expect_status "15 KB request line, %61 x 5000 (decoded: a 5000-byte name) -> 404" 404
raw --head --expect 1 "HEAD /$long HTTP/1.1\r\n${H}\r\n"
expect_status "HEAD of the 5000-byte name -> 404" 404
long=$(printf 'a%.0s' $(seq 1 17000))
raw "GET /$long HTTP/1.1\r\n${H}\r\n"
expect_status "request line longer than header_size (17 KB > 16k) -> still 414" 414
check_eq "... and the connection closes" eof "$(raw_field reason)"
http "$U/"
expect_status "GET / still 200 after the long paths" 200
stop_server
# ---- error pages follow the containment rules of requests ----
# An error page is opened below its root like a requested file: a symlink
# that leads out of the root is a config error at its entry (-t), and a
# page swapped for such a link after the start is not served (the built-in
# page goes out instead, with the status kept).
ER=$T/errroot
mkdir -p "$ER/errors"
echo 'page-inside-ok' >"$ER/errors/404.html"
echo 'SECRET-OUTSIDE-3f9a' >"$T/outside.html"
ln -s "$T/outside.html" "$ER/errors/link.html"
cat >"$T/errlink.yaml" <<YAML
error_log: "-"
access_log: off
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ER
    error_pages: {404: /errors/link.html}
    locations: {/: {}}
YAML
OUT=$("$PORTICO_BIN" -t -c "$T/errlink.yaml" 2>&1)
check_eq "-t: an error page linking out of the root is refused (exit 1)" 1 "$?"
check_match "... at its entry, naming the root" \
    "errlink.yaml:6:[0-9]+: error page '/errors/link.html' leads outside the root" "$OUT"
sed -i 's|/errors/link.html|/errors/404.html|' "$T/errlink.yaml"
start_server "$T/errlink.yaml" || exit 0
http "$U/missing"
expect_status "a valid error page: 404" 404
expect_body "... with the page" page-inside-ok
rm "$ER/errors/404.html"
ln -s "$T/outside.html" "$ER/errors/404.html"
http "$U/missing"
expect_status "the page swapped for a link out of the root: still 404" 404
expect_no_body "... without the outside file" SECRET-OUTSIDE-3f9a
expect_body "... the built-in page instead" "404 Not Found"
stop_server
exit 0
