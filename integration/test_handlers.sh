#!/usr/bin/env bash
# Handlers: redirect (statuses, keep_path, query, shorthand), autoindex
# (HTML escaping, JSON, order, hidden files, symlinks), DELETE (204, 404,
# 403 for directories, the root and escapes; 405 without DELETE) and status
# (the JSON document), from configs/test/handlers.yaml on a temp docroot.
. "$(dirname "$0")/lib.sh"

if ! command -v jq >/dev/null; then
    fail "jq is required"
    exit 0
fi

# ---------------------------------------------------------------- docroot
D=$T/docroot
OUT=$T/outside
mkdir -p "$D/site/sub" "$D/site/whole/w" "$D/files/list/zsub" "$D/files/del/dir" \
    "$D/files/big" "$D/files/empty" "$OUT"
echo "site index" >"$D/site/sub/x.txt"
echo "whole" >"$D/site/whole/w.txt"

L=$D/files/list
printf 'hello world\n' >"$L/a b.txt" # 12 bytes
printf 'x' >"$L/<b>&\"x.txt"
printf 'üü' >"$L/ünï.txt" # 4 bytes
printf 'bs' >"$L/back\\slash.txt"
printf 'secret' >"$L/.hidden"
mkdir "$L/.hiddendir"
printf 'in zsub' >"$L/zsub/inner.txt"
ln -s zsub "$L/linkdir"             # a symlink to a directory: listed as one
ln -s "a b.txt" "$L/linkfile"       # a symlink to a file: listed as a file
ln -s nowhere "$L/broken"           # broken: not listed
printf 'outside secret\n' >"$OUT/secret.txt"
ln -s "$OUT/secret.txt" "$L/escape" # leads outside the root: not listed
touch -d '2026-11-25 20:00:00 UTC' "$L/a b.txt"

for i in $(seq -w 1 1500); do
    : >"$D/files/big/file-$i-with-a-rather-long-name-to-make-the-listing-grow-beyond-any-small-buffer.txt"
done

use_config handlers
render "$CONFIGS/handlers.yaml" "$CONFIG" "@DOCROOT@=$D"
start_server "$CONFIG" || exit 0
VERSION=$(portico_version)

# --------------------------------------------------------------- redirect
# redir NAME PATH STATUS LOCATION [curl args...]
redir() {
    local name=$1 path=$2 st=$3 loc=$4
    shift 4
    http "$@" "$U$path"
    expect_status "$name: $path -> $st" "$st"
    expect_header "$name: Location" Location "$loc"
}

redir "keep_path" "/old/x" 301 "/new/x"
expect_body "301 body links the target" 'href="/new/x"'
expect_header_re "301 body is HTML" Content-Type '^text/html'
redir "keep_path, deeper" "/old/a/b/c.html" 301 "/new/a/b/c.html"
redir "keep_path re-encodes the decoded rest" "/old/x%20y" 301 "/new/x%20y"
redir "keep_path re-encodes UTF-8" "/old/%C3%BC" 301 "/new/%C3%BC"
redir "keep_path keeps the query" "/old/x?a=1&b=%20" 301 "/new/x?a=1&b=%20"
redir "keep_path, prefix itself" "/old/" 301 "/new/"
redir "keep_path, prefix without its slash" "/old" 301 "/new/"
redir "keep_path, query on the prefix" "/old/?q=1" 301 "/new/?q=1"
redir "prefix without slash: rest starts with /" "/old2/x" 302 "/new/x"
redir "prefix without slash: exact" "/old2" 302 "/new"
redir "prefix without slash: trailing slash kept" "/old2/" 302 "/new/"
redir "prefix without slash: query" "/old2/a/b?z" 302 "/new/a/b?z"
redir "303 without keep_path ignores path and query" "/see/any/thing?x=1" 303 "http://example.test/x"
redir "307 without keep_path" "/tmp/a" 307 "/t307"
redir "308 keep_path onto an absolute URL" "/perm/a/b?c=d" 308 "https://example.test/base/a/b?c=d"
redir "308 keep_path, nothing to append" "/perm/" 308 "https://example.test/base"
redir "query and fragment in 'to' stay in place" "/withq/p?a=1" 302 "/new/p?v=2&a=1#top"
redir "'to' with a query, request without one" "/withq/p" 302 "/new/p?v=2#top"
redir "shorthand: 301, no keep_path" "/go" 301 "https://example.com/"
redir "shorthand: the rest is dropped" "/go/deeper?x=1" 301 "https://example.com/"
raw --head 'HEAD /old/h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "HEAD is redirected too" 301
expect_header "HEAD redirect: Location" Location "/new/h"
check_eq "HEAD redirect: no body bytes" 0 "$(raw_field extra)"
long=$(printf 'a%.0s' $(seq 1 9000))
http "$U/old/$long"
expect_status "keep_path target too long for the Location header -> 414" 414
http -X POST -d x "$U/old/x"
expect_status "POST on a GET/HEAD redirect location -> 405" 405
# A query with HTML specials: the Location carries it raw, the page escapes it.
raw 'GET /old/p?a="<b>" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
if [ "$STATUS" = 301 ]; then
    expect_header "raw query kept in Location" Location '/new/p?a="<b>"'
    expect_body "the page escapes the target" '/new/p?a=&quot;&lt;b&gt;&quot;'
    expect_no_body "no raw <b> in the page" '<b>'
else
    check_match "query with specials: 301 or rejected by the parser" '^(301|400)$' "$STATUS"
fi

# -------------------------------------------------------------- autoindex
http "$U/files/list/"
expect_status "autoindex HTML -> 200" 200
expect_header "autoindex HTML Content-Type" Content-Type "text/html"
expect_header "autoindex Content-Length matches" Content-Length "$(wc -c <"$BODY" | tr -d ' ')"
expect_body "HTML5 doctype" "<!DOCTYPE html>"
expect_body "title Index of /files/list/" "<title>Index of /files/list/</title>"
expect_body "parent link" 'href="../"'
expect_body "name with HTML specials escaped" '&lt;b&gt;&amp;&quot;x.txt'
expect_body "its link percent-encoded" 'href="%3Cb%3E%26%22x.txt"'
expect_no_body "no raw <b> in the listing" '<b>'
expect_body "name with a space" '>a b.txt<'
expect_body "its link encoded" 'href="a%20b.txt"'
expect_body "UTF-8 name as is" '>ünï.txt<'
expect_body "UTF-8 link encoded" 'href="%C3%BCn%C3%AF.txt"'
expect_body "directory link has a slash" 'href="zsub/">zsub/<'
expect_body "symlink to a directory listed as a directory" 'href="linkdir/">linkdir/<'
expect_body "symlink to a file listed" '>linkfile<'
expect_no_body "dot-files hidden" '.hidden'
expect_no_body "broken symlink not listed" 'broken'
expect_no_body "symlink leading outside the root not listed" 'escape'
expect_body "file size in bytes" '>12<'
expect_body "mtime as IMF-fixdate" 'Wed, 25 Nov 2026 20:00:00 GMT'
# The look of the demo sites (issue 10), built in: any site may be listed.
expect_body "a built-in stylesheet with the demo's palette" '--accent:#b4532a'
expect_body "... light and dark" 'prefers-color-scheme:dark'
expect_body "... and the demo's fonts" 'font:16px/1.6 system-ui'
expect_body "a viewport for phones" '<meta name="viewport" content="width=device-width, initial-scale=1">'
expect_no_body "no link to any stylesheet file" '<link rel="stylesheet"'
pos_dir=$(grep -bo 'zsub/<' "$BODY" | head -1 | cut -d: -f1)
pos_file=$(grep -bo '>a b.txt<' "$BODY" | head -1 | cut -d: -f1)
check "directories listed before files" "[ -n '$pos_dir' ] && [ -n '$pos_file' ] && [ $pos_dir -lt $pos_file ]"
html_len=$(hdr Content-Length)

raw --head 'HEAD /files/list/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "autoindex HEAD -> 200" 200
expect_header "autoindex HEAD: same Content-Length as GET" Content-Length "$html_len"
check_eq "autoindex HEAD: no body bytes" 0 "$(raw_field extra)"

http "$U/"
expect_status "autoindex of / -> 200" 200
expect_body "title Index of /" "<title>Index of /</title>"
expect_no_body "no parent link at /" 'href="../"'
expect_body "/ lists sub/" 'href="sub/"'

mkdir "$D/files/q&<x>"
http "$U/files/q%26%3Cx%3E/"
expect_status "directory with HTML specials in its name -> 200" 200
expect_body "its title is escaped" "<title>Index of /files/q&amp;&lt;x&gt;/</title>"
http "$U/files/list"
expect_status "directory without slash -> 301" 301
expect_header "... to its slash" Location "/files/list/"
http "$U/files/nothere/"
expect_status "missing directory -> 404" 404
http "$U/plain/list/"
expect_status "directory without index nor autoindex -> 403" 403
http "$U/whole/"
expect_status "autoindex without an own root" 200
expect_body "lists the server root's whole/" 'href="w.txt"'
expect_body "... and its subdirectory" 'href="w/"'

# JSON
jq_ok() { # NAME FILTER: jq -e on the last body
    check "$1" "jq -e '$2' '$BODY'"
}
http -H "Accept: application/json" "$U/files/list/"
expect_status "autoindex JSON (Accept) -> 200" 200
expect_header "autoindex JSON Content-Type" Content-Type "application/json"
jq_ok "JSON is an array of 7" 'type == "array" and length == 7'
check_eq "JSON order: directories first, then by name (bytes)" \
    'linkdir|zsub|<b>&"x.txt|a b.txt|back\slash.txt|linkfile|ünï.txt' \
    "$(jq -r '[.[].name] | join("|")' "$BODY" 2>&1)"
jq_ok "JSON: directories have type directory and no size" \
    '[.[] | select(.type == "directory")] | length == 2 and all(has("size") | not)'
jq_ok "JSON: files have type file and a numeric size" \
    '[.[] | select(.type == "file")] | length == 5 and all(.size | type == "number")'
jq_ok "JSON: a b.txt is 12 bytes" '.[] | select(.name == "a b.txt") | .size == 12'
jq_ok "JSON: ünï.txt is 4 bytes" '.[] | select(.name == "ünï.txt") | .size == 4'
jq_ok "JSON: symlinked file has its target's size" '.[] | select(.name == "linkfile") | .size == 12'
jq_ok "JSON: mtime is an IMF-fixdate" \
    '.[] | select(.name == "a b.txt") | .mtime == "Wed, 25 Nov 2026 20:00:00 GMT"'
jq_ok "JSON: every mtime looks like a date" 'all(.mtime | test("^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$"))'
jq_ok "JSON: no hidden names" 'all(.name | startswith(".") | not)'
want='"<b>&\"x.txt"'
check "JSON escapes the quote in the raw text" grep -qF -- "$want" "$BODY"
want='"back\\slash.txt"'
check "JSON escapes the backslash in the raw text" grep -qF -- "$want" "$BODY"

http -H "Accept: text/html, APPLICATION/JSON;q=0.9" "$U/files/list/"
expect_header "Accept is matched case-insensitively" Content-Type "application/json"
http "$U/files/list/?format=json"
expect_header "?format=json -> JSON" Content-Type "application/json"
jq_ok "?format=json body is the array" 'length == 7'
http "$U/files/list/?a=b&format=json"
expect_header "?a=b&format=json -> JSON" Content-Type "application/json"
http "$U/files/list/?format=jsonx"
expect_header "?format=jsonx -> HTML" Content-Type "text/html"
http "$U/files/list/?xformat=json"
expect_header "?xformat=json -> HTML" Content-Type "text/html"
http "$U/files/empty/?format=json"
expect_status "empty directory JSON -> 200" 200
jq_ok "empty directory: []" 'type == "array" and length == 0'
http "$U/files/big/?format=json"
expect_status "1500 entries JSON -> 200" 200
jq_ok "1500 entries, all files, sorted" \
    'length == 1500 and all(.type == "file") and ([.[].name] == ([.[].name] | sort))'
http "$U/files/big/"
expect_status "1500 entries HTML -> 200" 200
check_eq "1500 entries HTML: every row" 1500 "$(grep -c 'href="file-' "$BODY")"

# A folder too big to sort (over 2000 entries) is streamed, a slice per turn
# of the loop, in the file system's order: every entry once, a valid JSON
# array, and other requests of the worker are answered meanwhile.
python3 - "$D/files/huge" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(30000):
    open(os.path.join(sys.argv[1], "entry-%05d.txt" % i), "w").close()
PY
http "$U/files/huge/?format=json"
expect_status "30000 entries JSON -> 200" 200
expect_header "... streamed (chunked)" Transfer-Encoding chunked
jq_ok "... every entry exactly once" 'length == 30000 and ([.[].name] | unique | length) == 30000'
http "$U/files/huge/"
expect_status "30000 entries HTML -> 200" 200
check_eq "... every row" 30000 "$(grep -c 'href="entry-' "$BODY")"
expect_body "... says it is not sorted" "the order the file system keeps"
http -I "$U/files/huge/"
expect_status "HEAD of it -> 200" 200
# Four listings at once, and a small request in the middle of them.
lists=()
for i in 1 2 3 4; do
    curl -s -o /dev/null --max-time 30 "$U/files/huge/?format=json&n=$i" &
    lists+=($!)
done
sleep 0.05
t0=$(date +%s%N)
http "$U/files/list/a%20b.txt"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_status "a small GET during four huge listings -> 200" 200
check "... answered in ${ms} ms (< 300 ms)" "[ $ms -lt $((300 * SLOW)) ]"
wait "${lists[@]}"
rm -rf "$D/files/huge"

# ------------------------------------------------------------------ delete
D2=$D/files/del
printf 'delete me' >"$D2/a.txt"
printf 'delete me too' >"$D2/b c.txt"
printf 'x' >"$D2/trail.txt"
printf 'keep' >"$D2/dir/keep.txt"
ln -s "$OUT/secret.txt" "$D2/out-link"
ln -s "$OUT" "$D2/out-dir"

http "$U/files/del/a.txt"
expect_status "file exists before DELETE" 200
http -X DELETE "$U/files/del/a.txt"
expect_status "DELETE file -> 204" 204
expect_no_header "204 has no Content-Length" Content-Length
expect_body_size "204 has no body" 0
check "the file is gone from disk" "[ ! -e '$D2/a.txt' ]"
http "$U/files/del/a.txt"
expect_status "GET after DELETE -> 404" 404
http -X DELETE "$U/files/del/a.txt"
expect_status "DELETE again -> 404" 404
http -X DELETE "$U/files/del/b%20c.txt"
expect_status "DELETE an encoded name -> 204" 204
check "b c.txt is gone" "[ ! -e '$D2/b c.txt' ]"
http -X DELETE "$U/files/del/missing/x.txt"
expect_status "DELETE under a missing directory -> 404" 404
http -X DELETE "$U/files/del/trail.txt/"
expect_status "DELETE file/ (trailing slash) -> 404" 404
check "trail.txt still there" "[ -e '$D2/trail.txt' ]"
http -X DELETE "$U/files/del/dir"
expect_status "DELETE a directory -> 403" 403
http -X DELETE "$U/files/del/dir/"
expect_status "DELETE a directory/ -> 403" 403
check "the directory and its file are untouched" "[ -f '$D2/dir/keep.txt' ]"
http -X DELETE "$U/files/"
expect_status "DELETE the location root -> 403" 403
http -X DELETE "$U/files"
expect_status "DELETE the location root without slash -> 403" 403
http -X DELETE "$U/files/del/out-dir/secret.txt"
expect_status "DELETE through a symlinked dir leading outside -> 403" 403
check "outside file untouched (via dir link)" "[ -f '$OUT/secret.txt' ]"
http -X DELETE "$U/files/del/out-link"
check_match "DELETE a symlink to outside -> 204 (link removed) or 403" '^(204|403)$' "$STATUS"
check "outside file untouched (via file link)" "[ -f '$OUT/secret.txt' ] && [ \"\$(cat '$OUT/secret.txt')\" = 'outside secret' ]"
[ "$STATUS" = 204 ] && check "the link itself is gone" "[ ! -L '$D2/out-link' ]"
http --path-as-is -X DELETE "$U/files/../../outside/secret.txt"
check_match "DELETE climbing with .. -> 400/403/405" '^(400|403|405)$' "$STATUS"
http -X DELETE "$U/files/del/%2e%2e/%2e%2e/%2e%2e/outside/secret.txt"
check_match "DELETE with encoded .. -> 400/403/404/405" '^(400|403|404|405)$' "$STATUS"
check "outside file still untouched" "[ -f '$OUT/secret.txt' ]"
http -X DELETE "$U/ro/del/trail.txt"
expect_status "DELETE where methods lack it -> 405" 405
expect_header_re "405 names the allowed methods" Allow 'GET'
check "file untouched after 405" "[ -e '$D2/trail.txt' ]"
http -X DELETE "$U/sub/x.txt"
expect_status "DELETE on / (GET, HEAD only) -> 405" 405
printf 'w' >"$D/site/whole/gone.txt"
http -X DELETE "$U/whole/gone.txt"
expect_status "DELETE in a location without own root -> 204" 204
check "whole/gone.txt is gone" "[ ! -e '$D/site/whole/gone.txt' ]"
if [ "$(id -u)" != 0 ]; then
    mkdir "$D2/locked" && printf 'l' >"$D2/locked/f.txt" && chmod 555 "$D2/locked"
    http -X DELETE "$U/files/del/locked/f.txt"
    expect_status "DELETE in a read-only directory -> 403" 403
    chmod 755 "$D2/locked"
fi

# ------------------------------------------------------------------ status
http "$U/status"
expect_status "status -> 200" 200
expect_header "status Content-Type" Content-Type "application/json"
expect_header "status Cache-Control: no-store" Cache-Control "no-store"
jq_ok "status: version" ".version == \"$VERSION\""
jq_ok "status: uptime_s is a non-negative integer" '.uptime_s | type == "number" and . >= 0 and floor == .'
jq_ok "status: workers from the config" '.workers == 2'
jq_ok "status: connections are numbers" \
    '.connections | (.active, .reading, .writing, .idle) | type == "number" and . >= 0'
jq_ok "status: at least this connection is active" '.connections.active >= 1'
jq_ok "status: requests.total is a number" '.requests.total | type == "number" and . > 0'
jq_ok "status: exactly the documented keys" \
    '(keys == ["bytes","cgi","connections","requests","responses","uploads","uptime_s","version","workers"]) and
     (.connections | keys == ["active","idle","reading","tunnels","writing"]) and (.requests | keys == ["total"])'
# Three requests on one connection (one worker): status, a file, status.
curl -s --max-time "$MAXT" -o "$T/st1" -o /dev/null -o "$T/st2" \
    "$U/status" "$U/files/list/a%20b.txt" "$U/status"
t1=$(jq '.requests.total' "$T/st1")
t2=$(jq '.requests.total' "$T/st2")
check "requests.total grows between two calls ($t1 -> $t2)" "[ '$t2' -ge \$(( $t1 + 2 )) ]"
raw --head 'HEAD /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "HEAD status -> 200" 200
check_eq "HEAD status: no body bytes" 0 "$(raw_field extra)"
http -X POST -d x "$U/status"
expect_status "POST status -> 405" 405
stop_server

# workers: auto -> the CPUs this process may run on.
sed -i 's/^workers: 2$/workers: auto/' "$CONFIG"
start_server "$CONFIG" || exit 0
http "$U/status"
expect_status "status (workers: auto) -> 200" 200
jq_ok "status: workers auto = CPUs we may run on ($(nproc))" ".workers == $(nproc)"
stop_server
exit 0
