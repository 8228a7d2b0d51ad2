#!/usr/bin/env bash
# charset: off by default (types exactly as the MIME table gives them);
# `charset: NAME` at the file, server or location level appends
# "; charset=NAME" to the text/*, application/javascript and
# application/json types portico gives: files (cached and sendfile),
# listings, its own error and redirect pages (which are UTF-8 and say
# utf-8 whatever NAME is), /status. A type with a charset of its own, a CGI
# script's and an upstream's Content-Type stay as they are.
# configs/test/charset.yaml on a temp docroot.
. "$(dirname "$0")/lib.sh"

D=$T/docroot
S=$D/site
mkdir -p "$S/sub" "$S/errors"
echo '<!DOCTYPE html><p>index</p>' >"$S/index.html"
echo 'body { color: red }' >"$S/style.css"
echo 'export const a = 1;' >"$S/app.js"
echo 'export const b = 2;' >"$S/app.mjs"
echo '{"a": 1}' >"$S/data.json"
echo 'notes' >"$S/notes.txt"
echo '<?xml version="1.0"?><a/>' >"$S/feed.xml"
echo '<svg xmlns="http://www.w3.org/2000/svg"/>' >"$S/logo.svg"
printf '\x89PNG\r\n\x1a\n' >"$S/pixel.png"
printf '\0asm\1\0\0\0' >"$S/mod.wasm"
echo 'foo' >"$S/page.foo"
echo 'latin' >"$S/old.lat"
echo 'xyz' >"$S/thing.xyz"
echo 'in sub' >"$S/sub/a.txt"
echo '<!DOCTYPE html><p>custom 404</p>' >"$S/errors/404.html"
head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$S/big.txt" # past the small-file cache

use_config charset
render "$CONFIGS/charset.yaml" "$CONFIG" "@DOCROOT@=$D" "@CGI@=$INTEG_DIR/cgi"
start_server "$CONFIG" || exit 0
U2=http://127.0.0.1:$PORT2

# ct NAME URL EXPECTED-CONTENT-TYPE [STATUS]: GET, then the exact type.
ct() {
    http "$2"
    expect_status "$1: status" "${4:-200}"
    expect_header "$1: Content-Type $3" Content-Type "$3"
}

# ---- the file's charset: utf-8 on text, JavaScript and JSON only ----
ct "html" "$U/index.html" "text/html; charset=utf-8"
ct "index of /" "$U/" "text/html; charset=utf-8"
ct "css" "$U/style.css" "text/css; charset=utf-8"
ct "js (text/javascript)" "$U/app.js" "text/javascript; charset=utf-8"
ct "mjs" "$U/app.mjs" "text/javascript; charset=utf-8"
ct "json" "$U/data.json" "application/json; charset=utf-8"
ct "txt" "$U/notes.txt" "text/plain; charset=utf-8"
ct "xml (text/xml, as nginx)" "$U/feed.xml" "text/xml; charset=utf-8"
ct "a mime_types override of a text type" "$U/page.foo" "text/x-foo; charset=utf-8"
ct "an override with its own charset keeps it" "$U/old.lat" "text/plain; charset=iso-8859-1"
ct "svg: not a text type" "$U/logo.svg" "image/svg+xml"
ct "png" "$U/pixel.png" "image/png"
ct "wasm" "$U/mod.wasm" "application/wasm"
ct "unknown" "$U/thing.xyz" "application/octet-stream"
ct "3 MiB file (sendfile)" "$U/big.txt" "text/plain; charset=utf-8"
expect_body_size "... whole" $((3 * 1024 * 1024))

http -I "$U/style.css"
expect_header "HEAD: the same Content-Type" Content-Type "text/css; charset=utf-8"
http -r 0-3 "$U/notes.txt"
expect_status "a range: 206" 206
expect_header "... with the charset" Content-Type "text/plain; charset=utf-8"
etag=$(hdr ETag)
http -H "If-None-Match: $etag" "$U/notes.txt"
expect_status "304" 304
expect_no_header "... without a Content-Type" Content-Type

# ---- portico's own answers: UTF-8 text, labelled so ----
ct "autoindex HTML" "$U/sub/" "text/html; charset=utf-8"
ct "autoindex JSON" "$U/sub/?format=json" "application/json; charset=utf-8"
ct "built-in 404" "$U/missing" "text/html; charset=utf-8" 404
ct "redirect page" "$U/old/x" "text/html; charset=utf-8" 301
ct "to the slash" "$U/sub" "text/html; charset=utf-8" 301
ct "/status JSON" "$U/status" "application/json; charset=utf-8"
http -X POST "$U/index.html"
expect_status "405" 405
expect_header "... its page" Content-Type "text/html; charset=utf-8"

# ---- a location that turns it off ----
ct "off: html" "$U/off/index.html" "text/html"
ct "off: css" "$U/off/style.css" "text/css"
ct "off: js" "$U/off/app.js" "text/javascript"
ct "off: json" "$U/off/data.json" "application/json"
ct "off: 3 MiB file" "$U/off/big.txt" "text/plain"
ct "off: override with its own charset" "$U/off/old.lat" "text/plain; charset=iso-8859-1"
ct "off: autoindex" "$U/off/sub/" "text/html"
ct "off: autoindex JSON" "$U/off/sub/?format=json" "application/json"
ct "off: built-in 404" "$U/off/missing" "text/html" 404

# ---- a location with another name ----
ct "iso-8859-1: html file" "$U/latin/index.html" "text/html; charset=iso-8859-1"
ct "iso-8859-1: js file" "$U/latin/app.js" "text/javascript; charset=iso-8859-1"
ct "iso-8859-1: custom 404 page (a file)" "$U/latin/missing" "text/html; charset=iso-8859-1" 404
expect_body "... the custom page" "custom 404"
ct "iso-8859-1: listing (portico's UTF-8)" "$U/latin/sub/" "text/html; charset=utf-8"
http -X POST "$U/latin/index.html"
expect_status "iso-8859-1: built-in 405" 405
expect_header "... labelled utf-8, what the page is" Content-Type "text/html; charset=utf-8"

# ---- what others typed stays as it was ----
http "$U/cgi/headers.sh"
expect_status "CGI: 200" 200
expect_header "CGI: its Content-Type untouched" Content-Type "text/plain"
http "$U/px/notes.txt"
expect_status "proxy: 200" 200
expect_header "proxy: the upstream's Content-Type untouched" Content-Type "text/plain"
http "$U/px/on/notes.txt"
expect_header "proxy: ... and its charset kept" Content-Type "text/plain; charset=koi8-r"

# ---- a server that turns it off, a location that turns it back on ----
ct "server off: html" "$U2/index.html" "text/html"
ct "server off: listing" "$U2/sub/" "text/html"
ct "server off: 404" "$U2/missing" "text/html" 404
ct "location on again: css" "$U2/on/style.css" "text/css; charset=koi8-r"
ct "location on again: png untouched" "$U2/on/pixel.png" "image/png"
ct "location on again: 404 page" "$U2/on/missing" "text/html; charset=utf-8" 404

# ---- no charset anywhere: the default ----
sed -e '/^charset:/d' -e '/^    charset:/d' -e '/^        charset:/d' "$CONFIG" >"$T/nocharset.yaml"
stop_server
start_server "$T/nocharset.yaml" || exit 0
ct "default off: html" "$U/index.html" "text/html"
ct "default off: js" "$U/app.js" "text/javascript"
ct "default off: json" "$U/data.json" "application/json"
ct "default off: listing" "$U/sub/" "text/html"
ct "default off: 404" "$U/missing" "text/html" 404
ct "default off: status" "$U/status" "application/json"
ct "default off: latin location too" "$U/latin/index.html" "text/html"

# ---- -T and errors ----
OUT=$("$PORTICO_BIN" -T -c "$CONFIG" 2>&1)
check_eq "-T shows the file's charset" "charset: utf-8" "$(grep -m1 '^charset:' <<<"$OUT")"
check_eq "-T shows the servers'" "  charset: utf-8|  charset: off" "$(grep '^  charset:' <<<"$OUT" | paste -sd'|')"
check_match "-T shows a location's" '    charset: iso-8859-1' "$OUT"
printf 'servers:\n  - listen: %s\n    root: %s\n    locations:\n      /:\n        charset: "utf 8"\n' \
    "$PORT" "$S" >"$T/bad.yaml"
OUT=$("$PORTICO_BIN" -t -c "$T/bad.yaml" 2>&1)
check_eq "-t with charset \"utf 8\": exit 1" 1 "$?"
check_match "... an error at file:line:col" "bad.yaml:6:18: 'charset' must be off or a charset name" "$OUT"

stop_server
exit 0
