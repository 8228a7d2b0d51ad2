#!/usr/bin/env bash
# Static files: status, headers, MIME types, byte-exact bodies, HEAD,
# directories, odd file names, symlinks, virtual hosts.
. "$(dirname "$0")/lib.sh"

use_config basic
start_server "$CONFIG" || exit 0
VERSION=$(portico_version)

# ---- GET / ----
http "$U/"
expect_status "GET / -> 200" 200
expect_body_file "GET / body is index.html byte for byte" "$WWW/index.html"
expect_header "GET / Content-Length" Content-Length "$(wc -c <"$WWW/index.html")"
expect_header "GET / Content-Type text/html" Content-Type text/html
expect_header "GET / Server: portico/VERSION" Server "portico/$VERSION"
expect_header_re "GET / Date is an IMF-fixdate" Date '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$'
expect_header_re "GET / Connection: keep-alive" Connection '^[Kk]eep-[Aa]live$'
date_get=$(hdr Date)
check "Date is within a minute of now" \
    "d=\$(date -d '$date_get' +%s) && n=\$(date +%s) && [ \$((n - d)) -le 60 ] && [ \$((d - n)) -le 60 ]"
check_match "status line is HTTP/1.1 200 OK" '^HTTP/1\.1 200 OK' "$(head -1 "$HDRS" | tr -d '\r')"
get_hdrs=$HDRS

http "$U/index.html"
expect_status "GET /index.html -> 200" 200
expect_body_file "GET /index.html byte-exact" "$WWW/index.html"

http "$U/index.html?x=1&y=%20"
expect_status "query string is ignored for files" 200
expect_body_file "GET /index.html?query byte-exact" "$WWW/index.html"

# ---- HEAD ----
raw --head 'HEAD / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
expect_status "HEAD / -> 200" 200
check_eq "HEAD / sends no body bytes" 0 "$(raw_field extra)"
check_eq "HEAD / connection then closes (Connection: close)" eof "$(raw_field reason)"
for h in Content-Length Content-Type Server; do
    check_eq "HEAD / has the same $h as GET" "$(hdr $h "$get_hdrs")" "$(hdr $h)"
done
expect_header_re "HEAD / has a Date" Date 'GMT$'

raw --bodyless 1 'HEAD /1k.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "HEAD then GET on one connection: both answered" "200 200" "$(raw_statuses)"
expect_header "HEAD /1k.txt Content-Length 1024" Content-Length 1024
BODY=$(dirname "$BODY")/b2
expect_body_file "GET after HEAD: its body follows the HEAD head directly" "$WWW/notes.txt"
check_eq "no stray bytes after the GET" 0 "$(raw_field extra)"

# ---- Content-Type by extension ----
mime() { # path expected-type-regex
    http "$U/$1"
    expect_status "GET /$1 -> 200" 200
    expect_header_re "GET /$1 Content-Type ~ $2" Content-Type "$2"
    expect_body_file "GET /$1 byte-exact" "$WWW/$1"
}
# charset is off in basic.yaml: the types exactly as the MIME table gives
# them (test_charset.sh covers the setting).
mime style.css '^text/css$'
mime app.js '^text/javascript$'
mime pixel.png '^image/png$'
mime logo.svg '^image/svg\+xml$'
mime data.json '^application/json$'
mime mod.wasm '^application/wasm$'
mime notes.txt '^text/plain$'
mime thing.xyz '^application/octet-stream$'
mime README '^application/octet-stream$'
mime bin.dat '^application/octet-stream$'
mime page.foo '^text/x-foo$'
mime 1k.txt '^text/plain$'
expect_header "1k.txt Content-Length 1024" Content-Length 1024

http "$U/PIXEL.PNG"
check_match "file names are case-sensitive (/PIXEL.PNG not served)" '^40[34]$' "$STATUS"

# ---- directories ----
http "$U/sub/"
expect_status "GET /sub/ -> 200 (index)" 200
expect_body_file "GET /sub/ serves sub/index.html" "$WWW/sub/index.html"
http "$U/sub/index.html"
expect_body "GET /sub/index.html" INDEX-SUB-91c2

http "$U/alias/index.html"
expect_status "location with its own root: /alias/index.html -> 200" 200
expect_body "/alias/index.html is www/sub/index.html" INDEX-SUB-91c2
http "$U/alias/"
expect_status "/alias/ -> its root's index" 200
expect_body "/alias/ body" INDEX-SUB-91c2

# ---- odd names ----
http "$U/hello%20world.txt"
expect_status "file with a space (%20) -> 200" 200
expect_body_file "file with a space byte-exact" "$WWW/hello world.txt"
http "$U/h%C3%A9llo%20w%C3%B6rld.txt"
expect_status "UTF-8 file name (percent-encoded) -> 200" 200
expect_body_file "UTF-8 file name byte-exact" "$WWW/héllo wörld.txt"
http "$U/h%c3%a9llo%20w%c3%b6rld.txt"
expect_status "lower-case percent escapes -> 200" 200
http "$U/%69ndex.html"
expect_status "percent-encoded unreserved char (%69ndex.html) -> 200" 200
http "$U//index.html"
expect_status "double slash //index.html -> 200" 200
http --path-as-is "$U/./sub/../index.html"
expect_status "/./sub/../index.html normalised -> 200" 200
expect_body_file "/./sub/../index.html is index.html" "$WWW/index.html"

# ---- symlinks ----
http "$U/link.html"
expect_status "symlink inside the root -> 200" 200
expect_body_file "symlink inside the root serves its target" "$WWW/index.html"
http "$U/sublink.html"
expect_status "symlink to a file in a subdirectory -> 200" 200
for p in passwd relpasswd etcdir/passwd; do
    http "$U/$p"
    expect_status "symlink to /etc/passwd (/$p) -> 403" 403
    expect_no_body "/$p does not leak passwd" "root:"
done

# ---- virtual hosts ----
http -H "Host: plain.test" "$U/notes.txt"
expect_status "vhost plain.test serves files" 200
http -H "Host: plain.test" "$U/missing"
expect_status "vhost plain.test: missing -> 404" 404
expect_no_body "vhost plain.test: built-in 404 page (no custom marker)" CUSTOM-404-5d1e
http -H "Host: PLAIN.Test." "$U/missing"
expect_no_body "host match is case-insensitive, trailing dot ignored" CUSTOM-404-5d1e
http -H "Host: plain.test:12345" "$U/missing"
expect_no_body "port in Host is ignored" CUSTOM-404-5d1e
http -H "Host: a.b.plain.test" "$U/missing"
expect_no_body "wildcard *.plain.test matches a.b.plain.test" CUSTOM-404-5d1e
http -H "Host: other.test" "$U/missing"
expect_body "unknown host -> default server (custom 404)" CUSTOM-404-5d1e
http -H "Host: xplain.test" "$U/missing"
expect_body "*.plain.test does not match xplain.test" CUSTOM-404-5d1e

http "http://127.0.0.1:$PORT2/"
expect_status "second listen address -> its own server" 200
expect_body "second listen address serves its root" INDEX-SUB-91c2

wait_log '"GET /notes.txt HTTP/1.1" 200 ' &&
    pass "access log has a combined-format line for GET /notes.txt" ||
    fail "access log has a combined-format line for GET /notes.txt" "$(head -3 "$SERVER_OUT")"
stop_server

# ---- larger files ----
# A generated root with a 3 MiB file (sendfile, partial writes).
mkdir -p "$T/bigroot"
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(3 << 20))' "$T/bigroot/big.bin"
cp "$WWW/index.html" "$T/bigroot/index.html"
PORT=$(free_port)
cat >"$T/big.yaml" <<EOF
workers: 1
access_log: off
servers:
  - listen: "127.0.0.1:$PORT"
    root: $T/bigroot
    locations:
      /: {methods: [GET, HEAD]}
EOF
U=http://127.0.0.1:$PORT
start_server "$T/big.yaml" || exit 0
http "$U/big.bin"
expect_status "GET 3 MiB file -> 200" 200
expect_body_file "3 MiB file byte-exact" "$T/bigroot/big.bin"
n=$(curl -s --max-time "$MAXT" -o "$T/big1" -o "$T/big2" -w '%{num_connects}\n' "$U/big.bin" "$U/big.bin" | tr '\n' ' ')
check_eq "two 3 MiB responses on one connection" "1 0 " "$n"
check "both 3 MiB bodies byte-exact" cmp -s "$T/big1" "$T/bigroot/big.bin"
check "second 3 MiB body byte-exact" cmp -s "$T/big2" "$T/bigroot/big.bin"
# A slow reader: the server fills the socket buffers and must wait for
# writability (partial sendfile), then finish the file.
out=$(timeout $((20 * SLOW)) python3 - "$PORT" "$T/bigroot/big.bin" <<'EOF'
import socket, sys, time
port, path = int(sys.argv[1]), sys.argv[2]
want = open(path, "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
time.sleep(0.5)
buf = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    buf += c
    if len(buf) < 1024 * 1024:
        time.sleep(0.005)
head, _, body = buf.partition(b"\r\n\r\n")
print("ok" if body == want else "bad %d bytes" % len(body))
EOF
)
check_eq "slow reader gets the whole 3 MiB file" ok "$out"
stop_server
exit 0
