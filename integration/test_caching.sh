#!/usr/bin/env bash
# HTTP caching and ranges for static files (issue 3, item 6), from
# configs/test/upload.yaml on a temp docroot: Last-Modified, strong ETag and
# Accept-Ranges on every file response; If-None-Match / If-Modified-Since
# -> 304 (If-None-Match wins), If-Match / If-Unmodified-Since -> 412;
# Range a-b, a-, -n -> 206, several ranges -> 200, unsatisfiable -> 416;
# If-Range with the ETag or the date. Every case runs on a small file
# (served from the memory cache, <= 16 KiB) and on a large one; files
# rewritten on disk (same size, same mtime, new inode, grown, shrunk,
# deleted) must be seen on the very next request.
. "$(dirname "$0")/lib.sh"

export LC_ALL=C
D=$T/docroot
S=$D/static
mkdir -p "$D/site" "$D/up/big" "$D/small" "$S/dir" "$D/sa" "$D/sb"
echo "site" >"$D/site/index.html"
head -c 750 /dev/urandom | base64 -w 76 >"$S/small.txt"        # ~1 KB, cached
head -c 307200 /dev/urandom >"$S/large.bin"                     # 300 KiB, not cached
head -c 16384 /dev/urandom >"$S/b16384.bin"                     # the cache's limit
head -c 16385 /dev/urandom >"$S/b16385.bin"                     # one byte over it
head -c 5242880 /dev/urandom >"$S/huge.bin"                     # 5 MiB
printf '<p>index</p>\n' >"$S/dir/index.html"
MT='2024-01-02 03:04:05 UTC'
LM='Tue, 02 Jan 2024 03:04:05 GMT'
MT_S=$(date -u -d "$MT" +%s)
touch -d "$MT" "$S"/*.txt "$S"/*.bin "$S/dir/index.html"

use_config upload
render "$CONFIGS/upload.yaml" "$CONFIG" "@DOCROOT@=$D"
start_server "$CONFIG" || exit 0

httpdate() { date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S GMT'; }
LM_M1=$(httpdate $((MT_S - 1)))      # one second before Last-Modified
LM_P1D=$(httpdate $((MT_S + 86400))) # a day after
LM_M1D=$(httpdate $((MT_S - 86400))) # a day before

# slice FILE FIRST LAST: the bytes FIRST..LAST of FILE into $T/slice
slice() {
    tail -c +$(($2 + 1)) "$1" | head -c $(($3 - $2 + 1)) >"$T/slice"
}

# ---------------------------------------------------------------- helpers
# K (label), F (file on disk), P (URL path), SIZE and ETAG are set by cases.

# range_ok SPEC FIRST LAST [curl args]: Range SPEC -> 206 with these bytes
range_ok() {
    local spec=$1 a=$2 b=$3
    shift 3
    http -H "Range: $spec" "$@" "$U$P"
    expect_status "$K: Range $spec -> 206" 206
    expect_header "$K: Range $spec: Content-Range" Content-Range "bytes $a-$b/$SIZE"
    expect_header "$K: Range $spec: Content-Length" Content-Length $((b - a + 1))
    slice "$F" "$a" "$b"
    expect_body_file "$K: Range $spec: the bytes $a-$b" "$T/slice"
    expect_header "$K: Range $spec: ETag" ETag "$ETAG"
}

# whole NAME STATUS [curl args]: the whole file with STATUS (200)
whole() {
    local name=$1
    shift
    http "$@" "$U$P"
    expect_status "$K: $name -> 200" 200
    expect_body_file "$K: $name: the whole file" "$F"
    expect_no_header "$K: $name: no Content-Range" Content-Range
}

# not_modified NAME [curl args]: 304 without a body, with the ETag
not_modified() {
    local name=$1
    shift
    http "$@" "$U$P"
    expect_status "$K: $name -> 304" 304
    expect_body_size "$K: $name: 304 has no body" 0
    expect_header "$K: $name: 304 carries the ETag" ETag "$ETAG"
}

# failed NAME [curl args]: 412
failed() {
    local name=$1
    shift
    http "$@" "$U$P"
    expect_status "$K: $name -> 412" 412
    check "$K: $name: the 412 does not carry the file" "! cmp -s '$BODY' '$F'"
}

unsatisfiable() {
    http -H "Range: $1" "$U$P"
    expect_status "$K: Range $1 -> 416" 416
    expect_header "$K: Range $1: Content-Range bytes */$SIZE" Content-Range "bytes */$SIZE"
}

cases() {
    K=$1
    F=$2
    P=$3
    SIZE=$(stat -c %s "$F")

    # ---- validators on every response
    http "$U$P"
    expect_status "$K: GET -> 200" 200
    expect_body_file "$K: body byte for byte" "$F"
    expect_header "$K: Content-Length" Content-Length "$SIZE"
    expect_header "$K: Last-Modified is the file's mtime" Last-Modified "$LM"
    expect_header_re "$K: ETag is strong (quoted, no W/)" ETag '^"[!#-~]+"$'
    expect_header "$K: Accept-Ranges: bytes" Accept-Ranges bytes
    ETAG=$(hdr ETag)
    http "$U$P"
    expect_status "$K: GET again -> 200" 200
    expect_body_file "$K: GET again: same bytes" "$F"
    expect_header "$K: GET again: same ETag" ETag "$ETAG"
    expect_header "$K: GET again: same Last-Modified" Last-Modified "$LM"
    raw --head "HEAD $P HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    expect_status "$K: HEAD -> 200" 200
    expect_header "$K: HEAD: ETag" ETag "$ETAG"
    expect_header "$K: HEAD: Last-Modified" Last-Modified "$LM"
    expect_header "$K: HEAD: Content-Length" Content-Length "$SIZE"
    expect_header "$K: HEAD: Accept-Ranges" Accept-Ranges bytes
    check_eq "$K: HEAD: no body bytes" 0 "$(raw_field extra)"

    # ---- If-None-Match
    not_modified "If-None-Match: the ETag" -H "If-None-Match: $ETAG"
    whole "If-None-Match: another ETag" -H 'If-None-Match: "nope"'
    not_modified "If-None-Match: a list holding the ETag" -H "If-None-Match: \"a\", $ETAG, \"b\""
    not_modified "If-None-Match: *" -H 'If-None-Match: *'
    not_modified "If-None-Match: W/ETag (weak comparison)" -H "If-None-Match: W/$ETAG"
    raw --head "HEAD $P HTTP/1.1\r\nHost: x\r\nIf-None-Match: $ETAG\r\nConnection: close\r\n\r\n"
    expect_status "$K: HEAD with If-None-Match -> 304" 304

    # ---- If-Modified-Since
    not_modified "If-Modified-Since = Last-Modified" -H "If-Modified-Since: $LM"
    not_modified "If-Modified-Since a day later" -H "If-Modified-Since: $LM_P1D"
    whole "If-Modified-Since a second earlier" -H "If-Modified-Since: $LM_M1"
    whole "If-Modified-Since not a date" -H "If-Modified-Since: yesterday"
    not_modified "If-Modified-Since in RFC 850 format" -H "If-Modified-Since: Tuesday, 02-Jan-24 03:04:05 GMT"
    not_modified "If-Modified-Since in asctime format" -H "If-Modified-Since: Tue Jan  2 03:04:05 2024"

    # ---- If-None-Match wins over If-Modified-Since
    whole "If-None-Match mismatch + If-Modified-Since matching (INM wins)" \
        -H 'If-None-Match: "nope"' -H "If-Modified-Since: $LM_P1D"
    not_modified "If-None-Match match + If-Modified-Since older (INM wins)" \
        -H "If-None-Match: $ETAG" -H "If-Modified-Since: $LM_M1D"

    # ---- If-Match, If-Unmodified-Since
    whole "If-Match: the ETag" -H "If-Match: $ETAG"
    whole "If-Match: a list holding the ETag" -H "If-Match: \"a\", $ETAG"
    whole "If-Match: *" -H 'If-Match: *'
    failed "If-Match: another ETag" -H 'If-Match: "nope"'
    failed "If-Match: W/ETag (strong comparison)" -H "If-Match: W/$ETAG"
    whole "If-Unmodified-Since = Last-Modified" -H "If-Unmodified-Since: $LM"
    whole "If-Unmodified-Since a day later" -H "If-Unmodified-Since: $LM_P1D"
    failed "If-Unmodified-Since a second earlier" -H "If-Unmodified-Since: $LM_M1"
    whole "If-Match matching + If-Unmodified-Since earlier (If-Match wins)" \
        -H "If-Match: $ETAG" -H "If-Unmodified-Since: $LM_M1"
    failed "If-Match mismatch + Range" -H 'If-Match: "nope"' -H 'Range: bytes=0-9'
    failed "If-Match mismatch + If-None-Match matching" -H 'If-Match: "nope"' -H "If-None-Match: $ETAG"

    # ---- Range
    range_ok "bytes=0-9" 0 9
    range_ok "bytes=100-199" 100 199
    range_ok "bytes=0-0" 0 0
    range_ok "bytes=-10" $((SIZE - 10)) $((SIZE - 1))
    range_ok "bytes=-1" $((SIZE - 1)) $((SIZE - 1))
    range_ok "bytes=$((SIZE - 10))-" $((SIZE - 10)) $((SIZE - 1))
    range_ok "bytes=0-" 0 $((SIZE - 1))
    range_ok "bytes=$((SIZE - 1))-$((SIZE - 1))" $((SIZE - 1)) $((SIZE - 1))
    range_ok "bytes=5-$((SIZE + 1000))" 5 $((SIZE - 1))
    range_ok "bytes=-$((SIZE + 100))" 0 $((SIZE - 1))
    if [ "$SIZE" -gt 20000 ]; then
        range_ok "bytes=16380-16400" 16380 16400
        range_ok "bytes=100000-$((SIZE - 2))" 100000 $((SIZE - 2))
    fi
    whole "two ranges (bytes=0-1,5-6) -> whole file" -H 'Range: bytes=0-1,5-6'
    whole "overlapping ranges (bytes=0-9,5-20) -> whole file" -H 'Range: bytes=0-9,5-20'
    unsatisfiable "bytes=$SIZE-"
    unsatisfiable "bytes=$((SIZE + 5))-$((SIZE + 10))"
    unsatisfiable "bytes=-0"
    whole "Range bytes=9-5 (invalid) ignored" -H 'Range: bytes=9-5'
    whole "Range items=0-5 (other unit) ignored" -H 'Range: items=0-5'
    whole "Range bytes=abc ignored" -H 'Range: bytes=abc'
    raw --head "HEAD $P HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9\r\nConnection: close\r\n\r\n"
    check_match "$K: HEAD with Range -> 206 (or 200)" '^(206|200)$' "$STATUS"
    check_eq "$K: HEAD with Range: no body bytes" 0 "$(raw_field extra)"

    # ---- If-Range
    range_ok "bytes=0-9" 0 9 -H "If-Range: $ETAG"
    whole "If-Range: another ETag + Range" -H 'If-Range: "nope"' -H 'Range: bytes=0-9'
    range_ok "bytes=10-19" 10 19 -H "If-Range: $LM"
    whole "If-Range: an earlier date + Range" -H "If-Range: $LM_M1" -H 'Range: bytes=0-9'
    whole "If-Range: a later date + Range" -H "If-Range: $LM_P1D" -H 'Range: bytes=0-9'
    whole "If-Range: W/ETag (weak never matches) + Range" -H "If-Range: W/$ETAG" -H 'Range: bytes=0-9'
    not_modified "If-None-Match match + Range" -H "If-None-Match: $ETAG" -H 'Range: bytes=0-9'
    range_ok "bytes=0-9" 0 9 -H 'If-None-Match: "nope"'
}

cases small "$S/small.txt" /static/small.txt
cases large "$S/large.bin" /static/large.bin

# ---- the cache's size limit, a 5 MiB file, an index file
for f in b16384 b16385 huge; do
    K=$f
    F=$S/$f.bin
    P=/static/$f.bin
    SIZE=$(stat -c %s "$F")
    http "$U$P"
    expect_status "$K: GET -> 200" 200
    expect_body_file "$K: byte for byte" "$F"
    ETAG=$(hdr ETag)
    http "$U$P"
    expect_body_file "$K: again, byte for byte" "$F"
    range_ok "bytes=-1" $((SIZE - 1)) $((SIZE - 1))
    range_ok "bytes=16000-" 16000 $((SIZE - 1))
done
K=huge
range_ok "bytes=4000000-4000099" 4000000 4000099
K=index
P=/static/dir/
F=$S/dir/index.html
SIZE=$(stat -c %s "$F")
http "$U$P"
expect_status "index file of a folder -> 200" 200
expect_header "index file: Last-Modified" Last-Modified "$LM"
expect_header_re "index file: strong ETag" ETag '^"[!#-~]+"$'
ETAG=$(hdr ETag)
not_modified "index file: If-None-Match" -H "If-None-Match: $ETAG"
range_ok "bytes=0-2" 0 2

# ---- two roots, the same relative name: each serves its own
printf 'AAAA' >"$D/sa/same.txt"
printf 'BBBB' >"$D/sb/same.txt"
touch -d "$MT" "$D/sa/same.txt" "$D/sb/same.txt"
r=
for p in sa sb sa sb; do
    http "$U/$p/same.txt"
    r="$r$(cat "$BODY") "
done
check_eq "same name, same size, same mtime under two roots: each root's own file (cache key)" \
    "AAAA BBBB AAAA BBBB " "$r"

# ------------------------------------------------- files changed on disk
# mod K SIZE: the file is rewritten in every way between requests; every
# next request must see the new content (small: the cache must notice).
fill() { # fill CHAR N FILE: N times CHAR, written in place (same inode)
    head -c "$2" /dev/zero | tr '\0' "$1" >"$3"
}
mod() {
    K=$1
    local n=$2 f=$S/mod-$1.txt p=/static/mod-$1.txt e0 e1 i bad
    fill a "$n" "$f"
    touch -d "$MT" "$f"
    local ino0
    ino0=$(stat -c %i "$f")
    http "$U$p"
    http "$U$p"
    expect_body_file "$K mod: initial content" "$f"
    e0=$(hdr ETag)

    fill b "$n" "$f"
    check_eq "$K mod: rewritten in place (same inode, same size)" "$ino0 $n" "$(stat -c '%i %s' "$f")"
    http "$U$p"
    expect_body_file "$K mod: same-size rewrite seen at once" "$f"
    expect_header "$K mod: Last-Modified follows the file" Last-Modified "$(httpdate "$(stat -c %Y "$f")")"
    check "$K mod: the ETag changed ($e0 -> $(hdr ETag))" "[ '$(hdr ETag)' != '$e0' ]"
    http -H "If-None-Match: $e0" "$U$p"
    expect_status "$K mod: the old ETag no longer gives 304" 200
    expect_body_file "$K mod: ... the new content" "$f"
    http -H "If-Range: $e0" -H 'Range: bytes=0-3' "$U$p"
    expect_status "$K mod: If-Range with the old ETag -> 200" 200
    expect_body_file "$K mod: ... the whole new file" "$f"
    http -H "If-Modified-Since: $LM" "$U$p"
    expect_status "$K mod: If-Modified-Since the old date -> 200" 200

    fill c "$n" "$f"
    touch -d '2025-03-04 05:06:07 UTC' "$f"
    http "$U$p"
    expect_body_file "$K mod: rewrite + touch -d another time: new content" "$f"
    expect_header "$K mod: ... Last-Modified is the new time" Last-Modified 'Tue, 04 Mar 2025 05:06:07 GMT'
    e1=$(hdr ETag)
    check "$K mod: ... a new ETag" "[ '$e1' != '$e0' ]"
    http -H 'Range: bytes=0-3' "$U$p"
    check_eq "$K mod: ... a range of the new content" "cccc" "$(cat "$BODY")"

    fill d "$n" "$f"
    touch -d '2025-03-04 05:06:07 UTC' "$f"
    check_eq "$K mod: rewritten with the same size and the same mtime" "$ino0 $n 2025-03-04 05:06:07.000000000" \
        "$(stat -c '%i %s %y' "$f" | sed 's/ +0000$//')"
    http "$U$p"
    expect_body_file "$K mod: same size + same mtime (only ctime differs): new content" "$f"

    fill e "$n" "$T/mod.new"
    touch -r "$f" "$T/mod.new"
    mv "$T/mod.new" "$f"
    http "$U$p"
    expect_body_file "$K mod: replaced by rename (new inode, same size and mtime): new content" "$f"

    bad=0
    for i in 0 1 2 3 4 5 6 7 8 9; do
        fill "$i" "$n" "$f"
        http "$U$p"
        cmp -s "$BODY" "$f" || bad=$((bad + 1))
    done
    check_eq "$K mod: 10 same-size rewrites in a row, each GET right after: stale answers" 0 "$bad"

    fill g $((n + 20000)) "$f"
    http "$U$p"
    expect_body_file "$K mod: grown by 20000 bytes: the whole new file" "$f"
    expect_header "$K mod: ... its Content-Length" Content-Length $((n + 20000))
    fill h 100 "$f"
    http "$U$p"
    expect_body_file "$K mod: shrunk to 100 bytes: the new file" "$f"
    raw --head "HEAD $p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    expect_header "$K mod: HEAD after shrinking: Content-Length 100" Content-Length 100
    http -H 'Range: bytes=-5' "$U$p"
    expect_header "$K mod: a range after shrinking" Content-Range "bytes 95-99/100"
    rm "$f"
    http "$U$p"
    expect_status "$K mod: deleted -> 404 at once" 404
    fill i "$n" "$f"
    http "$U$p"
    expect_status "$K mod: recreated -> 200" 200
    expect_body_file "$K mod: ... with the new content" "$f"
    chmod 000 "$f"
    if [ "$(id -u)" != 0 ]; then
        http "$U$p"
        expect_status "$K mod: made unreadable -> 403" 403
    fi
    chmod 644 "$f"
}
mod small 4000
mod large 40000

# ---- a directory and its index (remembered as a directory, same rule) ----
for i in 1 2; do
    http "$U/static/dir/"
    expect_body_file "directory: its index ($i)" "$S/dir/index.html"
done
http "$U/static/dir"
expect_status "directory without its slash -> 301" 301
rm "$S/dir/index.html"
http "$U/static/dir/"
expect_status "directory: index deleted -> 403 at once" 403
printf '<p>new index</p>\n' >"$S/dir/index.html"
http "$U/static/dir/"
expect_body_file "directory: index recreated -> served at once" "$S/dir/index.html"
rm -r "$S/dir"
printf 'a file now\n' >"$S/dir"
http "$U/static/dir"
expect_status "directory replaced by a file -> 200 at once" 200
expect_body_file "... the file" "$S/dir"
rm "$S/dir"
mkdir "$S/dir"
printf '<p>back</p>\n' >"$S/dir/index.html"
http "$U/static/dir/"
expect_body_file "a directory again -> its index" "$S/dir/index.html"

stop_server
exit 0
