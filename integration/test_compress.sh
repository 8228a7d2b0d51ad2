#!/usr/bin/env bash
# compress (issue 13, items 1 and 2), from configs/test/compress.yaml on a
# temp docroot: gzip on the fly for static files (from the fd and from the
# small-file cache), autoindex, CGI and proxied bodies, with
# Content-Encoding, chunked framing, a weak ETag and Vary; Accept-Encoding
# read with q-values (q=0 refuses, "*" counts, several fields); identity for
# HEAD, Range, HTTP/1.0, small bodies, types not listed, bodies already
# encoded; 304 for the weak ETag; the location's settings (off, level,
# types, precompressed, gzip); precompressed FILE.br / FILE.gz with their
# own length and ETag, FILE's type, chosen by the client's codings and only
# when not older than FILE; a big compressible file downloaded whole and
# slowly with the worker's memory flat.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/proxy_lib.sh"

export LC_ALL=C
D=$T/docroot
mkdir -p "$D/list" "$D/cgi-bin"

# html FILE LINES: a page that compresses well (but not trivially).
html() {
    python3 - "$1" "$2" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("<!doctype html>\n<title>compress</title>\n")
    for i in range(int(sys.argv[2])):
        f.write("<p class=\"row-%d\">Line %d of a page that compresses well, %x.</p>\n" % (i % 7, i, i * 2654435761 % 4294967296))
EOF
}
html "$D/page.html" 1500                       # ~100 KiB, sent from its fd
html "$D/small.html" 60                         # ~4 KiB, from the small-file cache
printf '<p>tiny</p>\n' >"$D/tiny.html"          # under min_size (1k)
cp "$D/small.html" "$D/pic.png"                 # a type not listed
python3 -c 'import json; print(json.dumps([{"n": i, "name": "item %d" % i} for i in range(300)]))' >"$D/data.json"
html "$D/style.css" 200
gzip -9 -n -c "$D/style.css" >"$D/style.css.gz"
printf 'not really brotli, but the .br variant\n' >"$D/style.css.br"
html "$D/old.css" 200
gzip -9 -n -c "$D/old.css" >"$D/old.css.gz"
touch -d '2024-01-01 00:00:00 UTC' "$D/old.css.gz"  # older than old.css: not used
touch -d '2024-01-01 00:00:00 UTC' "$D/style.css"   # the variants are newer
for i in $(seq 1 60); do : >"$D/list/file-with-a-long-name-$i.txt"; done
html "$D/cgi-page.html" 300
printf '#!/bin/sh\nprintf "Content-Type: text/html\\r\\n\\r\\n"\ncat "%s"\n' "$D/cgi-page.html" >"$D/cgi-bin/page.sh"
printf '#!/bin/sh\nprintf "Content-Type: image/png\\r\\n\\r\\n"\ncat "%s"\n' "$D/cgi-page.html" >"$D/cgi-bin/png.sh"
printf '#!/bin/sh\nprintf "Content-Type: text/html\\r\\nContent-Encoding: identity\\r\\n\\r\\n"\ncat "%s"\n' \
    "$D/cgi-page.html" >"$D/cgi-bin/encoded.sh"
printf '#!/bin/sh\nprintf "Content-Type: text/html\\r\\nCache-Control: public, No-Transform\\r\\n\\r\\n"\ncat "%s"\n' \
    "$D/cgi-page.html" >"$D/cgi-bin/notransform.sh"
# 64 MiB of HTML for the memory checks.
python3 - "$D/big.html" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    i = 0
    while f.tell() < 64 << 20:
        f.write("".join("<tr><td>%d</td><td>cell %x</td></tr>\n" % (j, j * 40503 % 65536) for j in range(i, i + 1000)))
        i += 1000
EOF
BIG_SIZE=$(stat -c %s "$D/big.html")

use_config compress
render "$CONFIGS/compress.yaml" "$CONFIG" "@DOCROOT@=$D"
UP_PORT["up"]=$PORT2
up_start up || exit 0
start_server "$CONFIG" || exit 0

size_of() { stat -c %s "$1"; }

# gz NAME: the last body, gunzipped, is byte for byte FILE ($2)
gunzipped_is() {
    if gunzip -c <"$BODY" >"$T/gunzipped" 2>/dev/null && cmp -s "$T/gunzipped" "$2"; then
        pass "$1"
    else
        fail "$1" "request: $LAST_REQ; the body ($(wc -c <"$BODY") bytes) does not gunzip to $2"
    fi
}

# gzipped NAME: the last response is gzipped on the fly
gzipped() {
    expect_status "$1: 200" 200
    expect_header "$1: Content-Encoding: gzip" Content-Encoding gzip
    expect_header "$1: Vary: Accept-Encoding" Vary Accept-Encoding
    expect_header "$1: chunked" Transfer-Encoding chunked
    expect_no_header "$1: no Content-Length" Content-Length
}

# identity NAME SIZE [vary]: the last response is the identity body of SIZE
# bytes, with Vary when the third argument says vary
identity() {
    expect_no_header "$1: no Content-Encoding" Content-Encoding
    expect_header "$1: Content-Length $2" Content-Length "$2"
    expect_body_size "$1: the whole body" "$2"
    if [ "${3:-}" = vary ]; then
        expect_header "$1: Vary: Accept-Encoding" Vary Accept-Encoding
    else
        expect_no_header "$1: no Vary" Vary
    fi
}

PAGE_SIZE=$(size_of "$D/page.html")

# ------------------------------------------------------------ on the fly
http --compressed "$U/page.html"
gzipped "curl --compressed, a 100 KiB page"
expect_body_file "... decodes to the page" "$D/page.html"
expect_header_re "... the ETag is weak" ETag '^W/"[^"]+"$'
expect_no_header "... no Accept-Ranges (ranges are of the page as it is)" Accept-Ranges
WEAK=$(hdr ETag)

http -H 'Accept-Encoding: gzip' "$U/page.html"
gzipped "Accept-Encoding: gzip"
gunzipped_is "... gunzips to the page" "$D/page.html"
check "... and is far smaller" "[ $(wc -c <"$BODY") -lt $((PAGE_SIZE / 4)) ]"
L5=$(wc -c <"$BODY")
http -H 'Accept-Encoding: gzip' "$U/level1/page.html"
gunzipped_is "level 1: gunzips to the page" "$D/page.html"
check "... and is larger than level 5's ($(wc -c <"$BODY") > $L5)" "[ $(wc -c <"$BODY") -gt $L5 ]"

http -H 'Accept-Encoding: gzip' "$U/small.html"
gzipped "a small file from the cache"
gunzipped_is "... gunzips to it" "$D/small.html"
http -H 'Accept-Encoding: gzip' "$U/data.json"
gzipped "application/json"
gunzipped_is "... gunzips to it" "$D/data.json"

# Accept-Encoding as clients write it.
for ae in 'gzip' 'GZIP' 'x-gzip' 'deflate, gzip;q=0.001' 'br;q=1.0, gzip;q=0.5' '*' \
    'gzip;q=1.000' ' gzip ;  q=0.5 ' 'identity;q=0, gzip' 'gzip;q=2, x-gzip'; do
    http -H "Accept-Encoding: $ae" "$U/page.html"
    expect_header "Accept-Encoding '$ae': gzip" Content-Encoding gzip
done
for ae in 'gzip;q=0' 'br' 'identity' 'deflate, br, zstd' '*;q=0' 'gzip;q=0, *' 'gzip;q=0.0000' \
    'gzip;q=2' 'gzipx' ''; do
    http -H "Accept-Encoding: $ae" "$U/page.html"
    identity "Accept-Encoding '$ae'" "$PAGE_SIZE" vary
done
http "$U/page.html"
identity "no Accept-Encoding" "$PAGE_SIZE" vary
raw 'GET /page.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: br\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
check_eq "two Accept-Encoding fields: one list (gzip)" gzip "$(hdr Content-Encoding)"
raw 'GET /page.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'
check_eq "gzip;q=0 in the first field, gzip in the second: the first counts" "" "$(hdr Content-Encoding)"

# What stays identity.
http -H 'Accept-Encoding: gzip' -r 0-99 "$U/page.html"
expect_status "Range: 206" 206
identity "Range" 100 vary
http -H 'Accept-Encoding: gzip' -I "$U/page.html"
expect_status "HEAD: 200" 200
expect_header "HEAD: Content-Length of the page" Content-Length "$PAGE_SIZE"
expect_no_header "HEAD: no Content-Encoding" Content-Encoding
expect_header "HEAD: Vary" Vary Accept-Encoding
http --http1.0 -H 'Accept-Encoding: gzip' "$U/page.html"
identity "HTTP/1.0" "$PAGE_SIZE" vary
http -H 'Accept-Encoding: gzip' "$U/tiny.html"
identity "under min_size" 12 vary
http -H 'Accept-Encoding: gzip' "$U/pic.png"
identity "a type not listed" "$(size_of "$D/pic.png")"
http -H 'Accept-Encoding: gzip' "$U/off/page.html"
identity "compress: false" "$PAGE_SIZE"
http -H 'Accept-Encoding: gzip' "$U/css-only/page.html"
identity "types: [text/css], an HTML page" "$PAGE_SIZE"
http -H 'Accept-Encoding: gzip' "$U/css-only/old.css"
expect_header "types: [text/css], a stylesheet: gzip" Content-Encoding gzip
http -H 'Accept-Encoding: gzip' "$U/pre-only/page.html"
identity "gzip: false" "$PAGE_SIZE" vary

# 304 for the weak ETag (and for the strong one).
http -H 'Accept-Encoding: gzip' -H "If-None-Match: $WEAK" "$U/page.html"
expect_status "If-None-Match with the weak ETag: 304" 304
expect_header "... with Vary" Vary Accept-Encoding
expect_no_header "... no Content-Encoding" Content-Encoding
http -H 'Accept-Encoding: gzip' -H "If-None-Match: ${WEAK#W/}" "$U/page.html"
expect_status "If-None-Match with the strong ETag: 304" 304

# Two gzipped answers on one connection.
OUT=$(curl -s --compressed -o /dev/null -o /dev/null -w '%{num_connects} ' "$U/page.html" "$U/small.html")
check_eq "keep-alive: two gzipped answers on one connection" "1 0 " "$OUT"

# ----------------------------------------------- autoindex, CGI, proxy
http -H 'Accept-Encoding: gzip' "$U/list/"
expect_status "autoindex: 200" 200
expect_header "autoindex: Content-Encoding: gzip" Content-Encoding gzip
expect_header "autoindex: Accept-Encoding added to its Vary" Vary "Accept, Accept-Encoding"
check "... gunzips to the listing" "gunzip -c <'$BODY' | grep -q 'file-with-a-long-name-60.txt'"

http -H 'Accept-Encoding: gzip' "$U/cgi-bin/page.sh"
gzipped "a CGI page (no length)"
gunzipped_is "... gunzips to the script's output" "$D/cgi-page.html"
http -H 'Accept-Encoding: gzip' "$U/cgi-bin/png.sh"
expect_no_header "a CGI image: no Content-Encoding" Content-Encoding
expect_no_header "a CGI image: no Vary" Vary
http -H 'Accept-Encoding: gzip' "$U/cgi-bin/encoded.sh"
expect_header "a CGI body with its own Content-Encoding: kept" Content-Encoding identity
expect_body_file "... and passed as it is" "$D/cgi-page.html"
http -H 'Accept-Encoding: gzip' "$U/cgi-bin/notransform.sh"
expect_no_header "Cache-Control: no-transform: not gzipped (RFC 9110 7.7)" Content-Encoding
expect_body_file "... and passed as it is" "$D/cgi-page.html"

PAD=$(head -c 3000 /dev/zero | tr '\0' x)
http -H 'Accept-Encoding: gzip' -H "X-Pad: $PAD" "$U/up/echo"
gzipped "a proxied JSON answer (Content-Length upstream)"
check "... gunzips to the backend's JSON" "gunzip -c <'$BODY' | jq -e '.target == \"/up/echo\"'"
check "... the backend saw the client's Accept-Encoding" \
    "gunzip -c <'$BODY' | jq -e '[.headers[] | select(.[0] == \"Accept-Encoding\")][0][1] == \"gzip\"'"
http -H 'Accept-Encoding: gzip' -H "X-Pad: $PAD" "$U/up/echo?frame=chunked"
gzipped "a proxied chunked answer"
check "... gunzips to the backend's JSON" "gunzip -c <'$BODY' | jq -e '.target == \"/up/echo?frame=chunked\"'"
http -H 'Accept-Encoding: gzip' "$U/up/x?bytes=5000"
identity "a proxied octet-stream" 5000
http -H 'Accept-Encoding: gzip' -H "X-Pad: $PAD" "$U/up/x?hdr=Content-Encoding:br"
expect_header "a proxied answer encoded already: its coding alone" Content-Encoding br
check "... and its bytes as sent" "jq -e '.target' <'$BODY'"
http -H 'Accept-Encoding: gzip' -H "X-Pad: $PAD" "$U/up/x?hdr=Vary:Accept-Encoding"
check_eq "a proxied Vary: Accept-Encoding is not repeated" 1 "$(grep -ci '^Vary:' "$HDRS")"
http -H "X-Pad: $PAD" "$U/up/x"
expect_no_header "a proxied answer without Accept-Encoding: identity" Content-Encoding
expect_header "... with Vary" Vary Accept-Encoding

# ------------------------------------------------------------ precompressed
GZ_SIZE=$(size_of "$D/style.css.gz")
BR_SIZE=$(size_of "$D/style.css.br")
http -H 'Accept-Encoding: gzip, deflate, br' "$U/style.css"
expect_status "precompressed: br taken" 200
expect_header "... Content-Encoding: br" Content-Encoding br
expect_header "... the .br's length" Content-Length "$BR_SIZE"
expect_body_file "... the .br's bytes" "$D/style.css.br"
expect_header_re "... the stylesheet's type" Content-Type '^text/css(;|$)'
expect_header "... Vary" Vary Accept-Encoding
BR_ETAG=$(hdr ETag)
http -H 'Accept-Encoding: gzip' "$U/style.css"
expect_header "gzip only: the .gz" Content-Encoding gzip
expect_header "... its length (sent whole, not chunked)" Content-Length "$GZ_SIZE"
expect_body_file "... its bytes" "$D/style.css.gz"
gunzipped_is "... which gunzip to the stylesheet" "$D/style.css"
expect_header_re "... the stylesheet's type" Content-Type '^text/css(;|$)'
GZ_ETAG=$(hdr ETag)
check "... an ETag of its own, strong" "[ '$GZ_ETAG' != '$BR_ETAG' ] && [[ '$GZ_ETAG' == '\"'* ]]"
http -H 'Accept-Encoding: br;q=0.5, gzip' "$U/style.css"
expect_header "gzip preferred by q: the .gz" Content-Encoding gzip
http -H 'Accept-Encoding: *' "$U/style.css"
expect_header "*: the .br" Content-Encoding br
http "$U/style.css"
identity "precompressed, no Accept-Encoding: the stylesheet" "$(size_of "$D/style.css")" vary
http -H 'Accept-Encoding: gzip, br' -r 0-9 "$U/style.css"
expect_status "precompressed, Range: 206" 206
identity "precompressed, Range" 10 vary
http -H 'Accept-Encoding: gzip' -I "$U/style.css"
expect_header "precompressed, HEAD: Content-Encoding" Content-Encoding gzip
expect_header "precompressed, HEAD: the .gz's length" Content-Length "$GZ_SIZE"
http -H 'Accept-Encoding: gzip' -H "If-None-Match: $GZ_ETAG" "$U/style.css"
expect_status "precompressed, If-None-Match with its ETag: 304" 304
http -H 'Accept-Encoding: gzip' "$U/style.css.gz"
check "the .gz asked for by name: its own type, not the stylesheet's" \
    "[ '$(hdr Content-Type)' != text/css ]"
expect_no_header "... no Content-Encoding" Content-Encoding
http -H 'Accept-Encoding: gzip' "$U/old.css"
gzipped "a .gz older than its file: not used, gzip on the fly"
gunzipped_is "... gunzips to the file" "$D/old.css"
http -H 'Accept-Encoding: gzip' "$U/nopre/style.css"
gzipped "precompressed: false: gzip on the fly"
gunzipped_is "... gunzips to the stylesheet" "$D/style.css"
http -H 'Accept-Encoding: gzip' "$U/pre-only/style.css"
expect_header "gzip: false, precompressed on: the .gz" Content-Length "$GZ_SIZE"
# The file changes on disk: newer than its variants, it goes out itself.
touch "$D/style.css"
http -H 'Accept-Encoding: br' "$U/style.css"
identity "the file touched after its variants: br not used" "$(size_of "$D/style.css")" vary
http -H 'Accept-Encoding: gzip' "$U/style.css"
gzipped "... gzip on the fly instead"
touch "$D/style.css.gz"
http -H 'Accept-Encoding: gzip' "$U/style.css"
expect_header "the .gz touched after it: used again" Content-Length "$GZ_SIZE"

# ------------------------------------------------------------ memory
W=$(worker)
RSS0=$(rss_kb "$W")
# sample_rss PID: the worker's largest RSS (KiB) while process PID runs
sample_rss() {
    local max=0 r
    while kill -0 "$1" 2>/dev/null; do
        r=$(rss_kb "$W")
        [ -n "$r" ] && [ "$r" -gt "$max" ] && max=$r
        sleep 0.05
    done
    echo "$max"
}
curl -s --max-time $((60 * SLOW)) --compressed -o "$T/big.out" -w '%{size_download}' "$U/big.html" >"$T/big.size" &
CURL=$!
PEAK=$(sample_rss "$CURL")
wait "$CURL"
check_eq "64 MiB compressible page, gzipped: all of it" "$BIG_SIZE" "$(size_of "$T/big.out")"
check "... compressed on the wire ($(cat "$T/big.size") bytes)" "[ $(cat "$T/big.size") -lt $((BIG_SIZE / 4)) ]"
check "... the worker's RSS grew by under 8 MiB (from $RSS0 to at most $PEAK KiB)" "[ $((PEAK - RSS0)) -lt 8192 ]"
curl -s --max-time 3 --limit-rate 200k -H 'Accept-Encoding: gzip' -o /dev/null "$U/big.html" &
CURL=$!
PEAK=$(sample_rss "$CURL")
wait "$CURL"
check "a slow client of the same: RSS grew by under 8 MiB (from $RSS0 to at most $PEAK KiB)" \
    "[ $((PEAK - RSS0)) -lt 8192 ]"
http -H 'Accept-Encoding: gzip' "$U/small.html"
gzipped "the worker serves on after that"

stop_server
