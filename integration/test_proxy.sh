#!/usr/bin/env bash
# The reverse proxy (issue 11; CONFIG.md: `upstreams:`, both forms of
# `proxy:`, timeouts.upstream_connect/upstream, the proxy paragraph of
# "What handlers answer", /status upstreams), against python backends
# (helpers/upstream.py, several at once on their own ports):
# forwarding (method, target with and without `to`'s path, hop-by-hop
# headers, Host per `host:`, set_headers, X-Forwarded-*), the answer passed
# back (status, headers, HEAD/204/304, 1xx skipped, Content-Length, chunked
# and close-delimited bodies of several MB byte for byte), request bodies
# (length and chunked, several MB), retries and failover, POST never
# replayed, an upstream dying mid-response, 502/504 and their timing, the
# keep-alive pool, balancing (weights, backup, ip_hash, least_conn),
# passive and active health, WebSocket, 200 MiB of a 1 GiB body to a slow
# reader with flat memory, 1000 requests at once, SIGHUP with requests in
# flight, /status, -T and config errors. (Timeouts before the head,
# recovery of a failed group, WebSocket silence each way, pooled
# connections the backend closed, and worker memory alone under a slow
# reader: test_proxy_more.sh.)
# Functions run by poll, check and trap (SC2317); stop_server's optional
# argument (SC2119):
# shellcheck disable=SC2317,SC2119
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

# ------------------------------------------------------------- start up
for n in A B C D E K M P1 P2 S X; do up_launch "$n"; done
for n in A B C D E K M P1 P2 S X; do up_wait "$n" || exit 0; done
DEAD1=$(new_port) # nothing listens on these
DEAD2=$(new_port)
PA=${UP_PORT[A]} PB=${UP_PORT[B]}

# A black hole for timeouts.upstream_connect: a listening socket whose
# backlog is full (never accepted), so new connects hang.
HOLE=$(new_port)
python3 - "$HOLE" >"$T/hole.log" 2>&1 <<'EOF' &
import socket, sys, time
ls = socket.socket()
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(0)
held = []
for _ in range(8):  # fill the accept queue; connects beyond it hang
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError:
        pass
    held.append(c)
print("ready", flush=True)
time.sleep(600)
EOF
HOLE_PID=$!
EXTRA_PIDS+=("$HOLE_PID")

PORT=$(new_port)
U=http://127.0.0.1:$PORT
mkdir -p "$T/root"
echo "static beside the proxy" >"$T/root/index.html"
CFG=$T/proxy.yaml
ALL='[GET, HEAD, POST, PUT, DELETE]'
cat >"$CFG" <<EOF
workers: 1
error_log: "-"
log_level: info
access_log: off
timeouts: {upstream_connect: 1s, upstream: 10s}
upstreams:
  app:
    servers: [127.0.0.1:$PA, 127.0.0.1:$PB]
    fail_timeout: 1s
  r1: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  r2: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  r3: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  r4: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  r5: {servers: [127.0.0.1:$PA, 127.0.0.1:$PB]}
  weighted:
    servers: [{address: 127.0.0.1:$PA, weight: 2}, 127.0.0.1:$PB]
  withbackup:
    servers: [127.0.0.1:${UP_PORT[M]}, {address: 127.0.0.1:${UP_PORT[C]}, backup: true}]
    fail_timeout: 1s
  hashed:
    servers: [127.0.0.1:$PA, 127.0.0.1:$PB]
    balance: ip_hash
  least:
    servers: [127.0.0.1:$PA, 127.0.0.1:$PB]
    balance: least_conn
  failover:
    servers: [127.0.0.1:$PA, 127.0.0.1:$DEAD1]
    fail_timeout: 1s
  dead:
    servers: [127.0.0.1:$DEAD1, 127.0.0.1:$DEAD2]
  hole:
    servers: [127.0.0.1:$HOLE, 127.0.0.1:$PB]
    max_fails: 0
  checked:
    servers: [127.0.0.1:${UP_PORT[D]}, 127.0.0.1:${UP_PORT[E]}]
    max_fails: 0
    health_check: {path: /healthz, interval: 1s}
  pooled:
    servers: [127.0.0.1:${UP_PORT[K]}]
    keepalive: 8
  nopool:
    servers: [127.0.0.1:${UP_PORT[K]}]
    keepalive: 0
  passive:
    servers: [127.0.0.1:${UP_PORT[P1]}, 127.0.0.1:${UP_PORT[P2]}]
    max_fails: 2
    fail_timeout: 3s
  byname:
    servers: [localhost:$PA]
servers:
  - listen: $PORT
    root: $T/root
    locations:
      /:
        methods: [GET, HEAD]
      /status:
        status: true
      /fwd/:
        methods: $ALL
        proxy: http://app
        limits: {body_size: 64m}
      /v2/:
        methods: $ALL
        proxy:
          to: http://app/internal/
          host: upstream
      /xf/:
        proxy:
          to: http://app
          set_headers: {X-Forwarded-Proto: https, X-Forwarded-For: ""}
      /lh/:
        proxy: {to: http://byname, host: upstream}
      /lh2/:
        proxy: {to: http://localhost:$PB, host: upstream}
      /opt/:
        methods: [GET, HEAD, OPTIONS, PATCH]
        proxy: http://app
      /lit/:
        methods: $ALL
        proxy:
          to: http://app
          host: backend.internal
          set_headers: {X-Env: prod, X-Debug: "", User-Agent: portico-test-agent}
      /one/:
        methods: $ALL
        proxy: http://127.0.0.1:$PA
      /x/:
        proxy: http://127.0.0.1:${UP_PORT[X]}
      /big/:
        proxy: http://127.0.0.1:${UP_PORT[S]}
      /slow/:
        methods: $ALL
        proxy: http://127.0.0.1:$PB
        timeouts: {upstream: 2s}
      /w/:
        proxy: http://weighted
      /bk/:
        proxy: http://withbackup
      /ih/:
        proxy: http://hashed
      /lc/:
        proxy: http://least
      /fo/:
        proxy: http://failover
      /dead/:
        proxy: http://dead
      /deadone/:
        proxy: http://127.0.0.1:$DEAD1
      /hole/:
        proxy: http://hole
      /chk/:
        proxy: http://checked
      /pool/:
        proxy: http://pooled
      /nopool/:
        proxy: http://nopool
      /pas/:
        methods: $ALL
        proxy: http://passive
      /nows/:
        proxy: {to: http://app, websocket: false}
      /r1/:
        methods: $ALL
        proxy: http://r1
      /r2/:
        methods: $ALL
        proxy: http://r2
      /r3/:
        proxy: http://r3
      /r4/:
        proxy: http://r4
      /r5/:
        proxy: http://r5
EOF
start_server "$CFG" || exit 0
SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
WORKER=$(worker)

# ============================================================ forwarding
http -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: https' -H 'X-Forwarded-Host: evil.test' \
    "$U/fwd/a%20b/c.txt?x=1&y=%41"
expect_status "GET through the proxy -> 200 (the backend's JSON echo)" 200
check_eq "target without a path in 'proxy': the original target as sent (raw, query kept)" \
    "/fwd/a%20b/c.txt?x=1&y=%41" "$(echo_field target)"
check_eq "the method passed on (GET)" GET "$(echo_field method)"
check_eq "HTTP/1.1 upstream" HTTP/1.1 "$(echo_field version)"
check_eq "Host (host: client, the default): the client's Host as sent, port included" \
    "127.0.0.1:$PORT" "$(seen host)"
check_eq "X-Forwarded-For: the client's list with the client appended" \
    "203.0.113.7, 127.0.0.1" "$(seen x-forwarded-for)"
check_eq "X-Forwarded-Proto: http (the client's https replaced, sent once)" http "$(seen x-forwarded-proto)"
check_eq "X-Forwarded-Host: the client's Host (the client's own replaced, sent once)" \
    "127.0.0.1:$PORT" "$(seen x-forwarded-host)"
check_eq "the client's User-Agent passed on" "curl/$(curl -V | awk 'NR == 1 { print $2 }')" "$(seen user-agent)"
check_match "the backend's identity comes back (X-Up-Id)" "^($PA|$PB)$" "$(hdr X-Up-Id)"

http -H 'Host: Example.TEST:8080' "$U/fwd/plain"
check_eq "X-Forwarded-For without one from the client: the client's address" 127.0.0.1 "$(seen x-forwarded-for)"
check_eq "Host: client, another Host header: passed as sent" "Example.TEST:8080" "$(seen host)"
check_eq "X-Forwarded-Host: that Host as sent" "Example.TEST:8080" "$(seen x-forwarded-host)"

raw 'GET http://elsewhere.test:81/fwd/abs?q=1 HTTP/1.1\r\nHost: ignored.test\r\nConnection: close\r\n\r\n'
expect_status "absolute-form target -> 200" 200
check_eq "absolute-form target: origin-form upstream" "/fwd/abs?q=1" "$(echo_field target)"
check_eq "absolute-form target: Host from its authority, not the Host header" "elsewhere.test:81" "$(seen host)"

# Hop-by-hop request headers are the client's hop only.
http -H 'Connection: keep-alive, X-Hop-Named' -H 'X-Hop-Named: secret' -H 'Keep-Alive: timeout=5' \
    -H 'Proxy-Connection: keep-alive' -H 'TE: trailers' -H 'Trailer: X-Trailer' -H 'Upgrade: h2c' \
    -H 'X-End-To-End: kept' -H 'Cookie: a=1' "$U/fwd/hop"
expect_status "request with hop-by-hop headers -> 200" 200
for h in connection keep-alive proxy-connection te trailer upgrade x-hop-named transfer-encoding; do
    check_eq "request header '$h' not passed upstream" "" "$(seen "$h")"
done
check_eq "end-to-end request headers passed (X-End-To-End, Cookie)" "kept a=1" "$(seen x-end-to-end) $(seen cookie)"
check_eq "exactly the expected headers upstream" \
    "accept cookie host user-agent x-end-to-end x-forwarded-for x-forwarded-host x-forwarded-proto" \
    "$(seen_names)"

# `to` with a path replaces the location prefix; host: upstream.
http "$U/v2/a?q"
expect_status "/v2/a?q -> 200" 200
check_eq "'to' with a path: /v2/a?q -> /internal/a?q" "/internal/a?q" "$(echo_field target)"
check_match "host: upstream -> the server's host:port" "^127\.0\.0\.1:($PA|$PB)$" "$(seen host)"
check_eq "... the server that answered" "127.0.0.1:$(hdr X-Up-Id)" "$(seen host)"
http "$U/v2/deep/er/x.json?a=1&b=2"
check_eq "'to' with a path: /v2/deep/er/x.json?a=1&b=2 -> /internal/deep/er/x.json?a=1&b=2" \
    "/internal/deep/er/x.json?a=1&b=2" "$(echo_field target)"
http "$U/v2/"
check_eq "'to' with a path: /v2/ -> /internal/" "/internal/" "$(echo_field target)"
http "$U/v2/sp%20ace"
check_eq "'to' with a path: an encoded space stays encoded (/internal/sp%20ace)" "/internal/sp%20ace" "$(echo_field target)"
# Under a path of 'to', the path is the decoded one, encoded again: every
# character RFC 3986 allows in a path stays as it is, others become %XX.
raw "GET /v2/a=b;c@d:e!\$&'()*+,-._~ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
check_eq "'to' with a path: RFC 3986 path characters kept (/v2/a=b;c@d:e!\$&'()*+,-._~)" \
    "/internal/a=b;c@d:e!\$&'()*+,-._~" "$(echo_field target)"
raw 'GET /v2/q%3Fmark%20sp%23h%22%7B%C3%A9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "'to' with a path: %3F, %20, %23, %22, %7B and UTF-8 stay encoded" \
    "/internal/q%3Fmark%20sp%23h%22%7B%C3%A9" "$(echo_field target)"
raw 'GET /v2/x%2Fy%2fz?k=%2F HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "'to' with a path: a client's %2F arrives as / (the query as sent)" \
    "/internal/x/y/z?k=%2F" "$(echo_field target)"

# host: a literal name; set_headers add, replace and remove.
http -H 'X-Env: dev' -H 'X-Debug: 1' -H 'X-Other: o' "$U/lit/x"
expect_status "/lit/ -> 200" 200
check_eq "host: backend.internal -> that literal Host" "backend.internal" "$(seen host)"
check_eq "X-Forwarded-Host stays the client's Host" "127.0.0.1:$PORT" "$(seen x-forwarded-host)"
check_eq "set_headers replaces a header the client sent (X-Env: prod, once)" prod "$(seen x-env)"
check_eq "set_headers \"\" removes a header (X-Debug)" "" "$(seen x-debug)"
check_eq "set_headers replaces User-Agent" portico-test-agent "$(seen user-agent)"
check_eq "other headers untouched (X-Other)" o "$(seen x-other)"
http "$U/lit/y"
check_eq "set_headers adds a header the client did not send (X-Env: prod)" prod "$(seen x-env)"

# set_headers naming an X-Forwarded-* header takes the place of portico's.
http -H 'X-Forwarded-For: 203.0.113.7' -H 'X-Forwarded-Proto: ftp' "$U/xf/a"
expect_status "/xf/ -> 200" 200
check_eq "set_headers X-Forwarded-Proto: https replaces the generated one (sent once)" https "$(seen x-forwarded-proto)"
check_eq "set_headers X-Forwarded-For: \"\" sends none (not the client's either)" "" "$(seen x-forwarded-for)"
check_eq "... X-Forwarded-Host still generated" "127.0.0.1:$PORT" "$(seen x-forwarded-host)"

# host: upstream sends the server as the configuration writes it, not the
# address its name resolved to (localhost is 127.0.0.1 here: /etc/hosts).
http "$U/lh/a"
expect_status "a group with a server written localhost:PORT -> 200" 200
check_eq "host: upstream, server written localhost:$PA -> Host: localhost:$PA" "localhost:$PA" "$(seen host)"
http "$U/lh2/a"
check_eq "host: upstream, to: http://localhost:$PB -> Host: localhost:$PB" "localhost:$PB" "$(seen host)"
http "$U/status"
check_eq "... /status shows that server as the address it resolved to" "127.0.0.1:$PA" \
    "$(jq -r '.upstreams.byname[0].server' "$BODY")"

# Methods
for m in POST PUT DELETE; do
    http -X "$m" --data-binary "body-of-$m" "$U/fwd/m"
    check_eq "$m passed on with its body" "200 $m body-of-$m" "$STATUS $(echo_field method) $(echo_field body)"
done
http -I "$U/fwd/head?bytes=1234"
check_eq "HEAD passed on as HEAD" "200" "$STATUS"
# OPTIONS and PATCH: passed on where methods lists them, else 405.
http -X OPTIONS --data-binary "body-of-OPTIONS" "$U/opt/m"
check_eq "OPTIONS listed in methods: passed on with its body" "200 OPTIONS body-of-OPTIONS" \
    "$STATUS $(echo_field method) $(echo_field body)"
http -X PATCH --data-binary "body-of-PATCH" "$U/opt/m"
check_eq "PATCH listed in methods: passed on with its body" "200 PATCH body-of-PATCH" \
    "$STATUS $(echo_field method) $(echo_field body)"
for m in OPTIONS PATCH; do
    http -X "$m" --data-binary "x" "$U/fwd/m?tag=not-listed"
    expect_status "$m not listed in the proxy location's methods -> 405" 405
    expect_header "... Allow lists the location's methods" Allow "GET, HEAD, POST, PUT, DELETE"
done
check_eq "... neither reached a backend" 0 "$(($(up_tag A not-listed) + $(up_tag B not-listed)))"
raw 'TRACE /opt/m?tag=trace HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "TRACE to a proxy location -> 501" 501
check_eq "... never reaching a backend" 0 "$(($(up_tag A trace) + $(up_tag B trace)))"

# ========================================================= the answer
http "$U/fwd/r?status=418&hdr=X-Custom:%20one&hdr=Set-Cookie:%20a=1&hdr=Set-Cookie:%20b=2&hop=1&hdr=Cache-Control:%20max-age=5"
expect_status "the backend's status passed back (418)" 418
expect_header "its headers passed back (X-Custom)" X-Custom one
check_eq "... both Set-Cookie headers" "a=1|b=2" "$(grep -i '^set-cookie:' "$HDRS" | cut -d' ' -f2- | tr -d '\r' | paste -sd'|')"
expect_header "... Cache-Control" Cache-Control "max-age=5"
expect_header "... Content-Type" Content-Type application/json
for h in X-Hop-Named Keep-Alive Proxy-Connection Trailer Upgrade; do
    expect_no_header "response header '$h' (hop-by-hop) not passed back" "$h"
done
check_eq "no 'Connection: keep-alive, X-Hop-Named' passed back" "" "$(grep -i '^connection:' "$HDRS" | grep -i 'x-hop')"
check_eq "one Date header" 1 "$(grep -ci '^date:' "$HDRS")"
expect_body "... and its body" '"target": "/fwd/r?'
# Response headers: up to 8 KiB of those passed on go whole; more -> 502,
# never a head with some of them missing.
fill_want() { # the X-Fill lines of fill=N, CRLFs dropped
    python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); sys.dont_write_bytecode = True
import upstream; sys.stdout.write(upstream.fill_headers(int(sys.argv[2])).replace("\r", ""))' \
        "$HELPERS" "$1"
}
got_fill() { grep '^X-Fill-' "$HDRS" | tr -d '\r'; }
http "$U/one/h?fill=7680"
expect_status "7.5 KiB of response headers (64 lines) -> 200" 200
check_eq "... every one passed on whole, in order" "$(fill_want 7680)" "$(got_fill)"
expect_body "... with the body" '"method": "GET"'
big_server=$(printf 'S%.0s' $(seq 1 2500))
http "$U/one/h?fill=7680&hdr=Server:%20$big_server&hdr=Keep-Alive:%20$big_server"
expect_status "7.5 KiB of headers plus 5 KB of headers portico drops (Server, Keep-Alive) -> 200" 200
check_eq "... the 7.5 KiB passed on whole" "$(fill_want 7680)" "$(got_fill)"
check_eq "... one Server header, portico's" "1 portico" "$(grep -ci '^server:' "$HDRS") $(hdr Server | cut -d/ -f1)"
http "$U/one/h?fill=8300"
expect_status "8300 bytes of response headers to pass on -> 502" 502
check_eq "... not one of them passed on" "" "$(got_fill)"
check "... logged at error: response headers over 8192 bytes" \
    wait_log "\[error\].*upstream 127\.0\.0\.1:$PA: response headers over 8192 bytes"
http "$U/one/after-fill"
expect_status "... the next request to that server -> 200" 200

for st in 201 404 503; do
    http "$U/fwd/s?status=$st"
    check_eq "status $st passed back, with its body" "$st 1" "$STATUS $(grep -c '"method": "GET"' "$BODY")"
done

# HEAD, 204 and 304 carry no body; the connection stays in step.
raw --bodyless 1 'HEAD /fwd/h?bytes=5000 HTTP/1.1\r\nHost: x\r\n\r\nGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "HEAD then GET on one connection" "200 200" "$(raw_statuses)"
expect_header "HEAD: the backend's Content-Length passed" Content-Length 5000
check_eq "HEAD: no body bytes" 0 "$(wc -c <"$BODY" | tr -d ' ')"
raw 'GET /fwd/n?status=204 HTTP/1.1\r\nHost: x\r\n\r\nGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "204 then GET on one connection" "204 200" "$(raw_statuses)"
check "204 answered at once (not after a timeout: ${RAW_END})" "awk 'BEGIN { exit !($(raw_field elapsed) < 2 * $SLOW) }'"
expect_no_header "204: no Content-Length" Content-Length
expect_no_header "204: no Transfer-Encoding" Transfer-Encoding
raw 'GET /fwd/n?status=304&bytes=777 HTTP/1.1\r\nHost: x\r\n\r\nGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "304 (with a Content-Length of 777, no body) then GET on one connection" "304 200" "$(raw_statuses)"
check "304 answered at once (${RAW_END})" "awk 'BEGIN { exit !($(raw_field elapsed) < 2 * $SLOW) }'"
check_eq "304: no body bytes" 0 "$(wc -c <"$BODY" | tr -d ' ')"
# Content-Length: 0 ends the response at its head: a 303 after a POST, a
# 200 without body; the next request on the connection is not held until
# timeouts.upstream (10 s here).
raw 'POST /fwd/form?status=303&bytes=0&hdr=Location:%20/fwd/done HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\na=b&cGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "a 303 with Content-Length: 0 after a POST, then a GET on one connection" "303 200" "$(raw_statuses)"
check "... both answered at once (${RAW_END})" "awk 'BEGIN { exit !($(raw_field elapsed) < 2 * $SLOW) }'"
expect_header "303: Content-Length: 0 passed on" Content-Length 0
expect_header "303: its Location passed on" Location /fwd/done
raw 'GET /fwd/z?bytes=0 HTTP/1.1\r\nHost: x\r\n\r\nGET /fwd/z?bytes=0 HTTP/1.1\r\nHost: x\r\n\r\nGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "two 200s with Content-Length: 0, then a GET on one connection" "200 200 200" "$(raw_statuses)"
check "... all answered at once (${RAW_END})" "awk 'BEGIN { exit !($(raw_field elapsed) < 2 * $SLOW) }'"

# 1xx interim answers are skipped.
raw 'GET /fwd/i?interim=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "interim 100, 103, 100 from the backend: the client sees only the 200" "200" "$(raw_statuses)"
check "... nothing of them in the bytes" "! grep -q -e '100 Continue' -e '103 Early' '$T/raw$REQ_N/raw'"
expect_body "... the final answer's body" '"method": "GET"'

# Invalid heads -> 502.
for b in dupcl clte garbage; do
    http "$U/one/bad?bad=$b"
    expect_status "an invalid response head ($b) -> 502" 502
done

# Bodies from the backend: length, chunked, close-delimited; byte for byte.
N=$((6 * 1024 * 1024 + 12345))
WANT=$(python3 "$UPSTREAM" --pattern $N | sha256sum | cut -d' ' -f1)
for f in length chunked close; do
    http --max-time $((30 * SLOW)) "$U/fwd/b?bytes=$N&frame=$f"
    check_eq "$f-framed 6 MiB body from the backend: 200, byte for byte (sha256)" "200 $N $WANT" \
        "$STATUS $(wc -c <"$BODY" | tr -d ' ') $(sha256sum <"$BODY" | cut -d' ' -f1)"
done
http "$U/fwd/b?bytes=$N&frame=length"
expect_header "a Content-Length body keeps its length" Content-Length "$N"
http "$U/fwd/b?bytes=1000&frame=close"
expect_header "a close-delimited body goes out chunked to an HTTP/1.1 client" Transfer-Encoding chunked
http "$U/fwd/b?bytes=100000&frame=chunked&chunk=1"
check_eq "a chunked body of 1-byte chunks (100 KB), byte for byte" \
    "$(python3 "$UPSTREAM" --pattern 100000 | sha256sum | cut -d' ' -f1)" "$(sha256sum <"$BODY" | cut -d' ' -f1)"
raw --timeout $((20 * SLOW)) 'GET /fwd/b?bytes=3000000&frame=chunked HTTP/1.0\r\nHost: x\r\n\r\n'
check_eq "HTTP/1.0 client, chunked backend: 200, close-delimited, byte for byte" \
    "200 eof $(python3 "$UPSTREAM" --pattern 3000000 | sha256sum | cut -d' ' -f1)" \
    "$STATUS $(raw_field reason) $(sha256sum <"$BODY" | cut -d' ' -f1)"

# Request bodies to the backend: length and chunked, several MB.
head -c $((8 * 1024 * 1024 + 7)) /dev/urandom >"$T/up8.bin"
UPSHA=$(sha256sum <"$T/up8.bin" | cut -d' ' -f1)
http --max-time $((30 * SLOW)) -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T/up8.bin" "$U/fwd/up"
check_eq "8 MiB POST with Content-Length: the backend got it whole (length framing, sha256)" \
    "200 length $((8 * 1024 * 1024 + 7)) $UPSHA" \
    "$STATUS $(echo_field body_framing) $(echo_field body_len) $(echo_field body_sha256)"
http --max-time $((30 * SLOW)) -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$T/up8.bin" "$U/fwd/up"
check_eq "8 MiB chunked PUT: the backend got it whole, chunked (sha256)" \
    "200 chunked $((8 * 1024 * 1024 + 7)) $UPSHA" \
    "$STATUS $(echo_field body_framing) $(echo_field body_len) $(echo_field body_sha256)"
http --max-time $((30 * SLOW)) -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T/up8.bin" "$U/fwd/echo?echo=body"
expect_status "8 MiB echoed back through the proxy -> 200" 200
expect_body_file "... byte for byte both ways" "$T/up8.bin"
http -X POST -H 'Transfer-Encoding: chunked' --data-binary '' "$U/fwd/empty"
check_eq "an empty chunked body: chunked upstream, 0 bytes" "200 chunked 0" \
    "$STATUS $(echo_field body_framing) $(echo_field body_len)"
raw 'POST /fwd/c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\nGET /fwd/after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
check_eq "raw chunked POST (extension, trailer) then a pipelined GET" "200 200" "$(raw_statuses)"
check_eq "... the backend got the decoded body" "hello world" "$(echo_field body)"

# ============================================== retries, failures, errors
# Each case has its own group of A and B (r1..r5): one case's failures do
# not take servers out for the next.
# A POST is never sent twice. An empty one first, on a pooled connection:
# the backend reads it and closes without a byte of answer.
for i in 1 2 3 4; do http "$U/r1/warm"; done # idle pooled connections to A and B
http -X POST -H 'Content-Length: 0' "$U/r1/p?drop=1&tag=post-empty"
expect_status "an empty POST the backend reads and drops (on a pooled connection) -> 502" 502
check_eq "... the backends saw exactly one POST (never replayed)" 1 \
    "$(($(up_tag A post-empty) + $(up_tag B post-empty)))"
http -X POST --data-binary "$(head -c 1000 /dev/zero | tr '\0' x)" "$U/r2/p?drop=1&tag=post-body"
expect_status "a POST with a body the backend reads and drops -> 502" 502
check_eq "... the backends saw exactly one POST" 1 "$(($(up_tag A post-body) + $(up_tag B post-body)))"
check "... logged at error with the backend's address" \
    wait_log "\[error\].*127\.0\.0\.1:($PA|$PB).*(closed|reset)"

# A GET the first server drops is answered by the next.
ok=0
for i in 1 2 3 4; do
    http "$U/r3/g?drop=$PA&tag=get-retry"
    [ "$STATUS/$(hdr X-Up-Id)" = "200/$PB" ] && ok=$((ok + 1))
done
check_eq "4 GETs that A drops: all answered 200 by B" 4 "$ok"
check "... A did see the GET it dropped (tag count $(up_tag A get-retry))" "[ $(up_tag A get-retry) -ge 1 ]"
# The retried request's answer comes as a head, then (0.3 s later) a body:
# passed whole, though the first attempt ended with the backend's close.
ok=0
for i in 1 2 3 4; do
    http "$U/r4/g?drop=$PA&tag=get-retry2&bytes=5000&pause_at=0&pause=0.3"
    [ "$STATUS/$(hdr X-Up-Id)/$(wc -c <"$BODY" | tr -d ' ')" = "200/$PB/5000" ] && ok=$((ok + 1))
done
check_eq "4 GETs that A drops, B answering head first and body 0.3 s later: all 200 with the whole body" 4 "$ok"
check "... A did see a GET it dropped (tag count $(up_tag A get-retry2))" "[ $(up_tag A get-retry2) -ge 1 ]"
for i in 1 2 3 4; do http "$U/r5/warm"; done # idle pooled connections to A and B
http "$U/r5/g?drop=1&tag=get-all"
expect_status "a GET every server drops (the first on a pooled connection) -> 502" 502
check_eq "... tried on both servers (A and B saw it)" "1 1" \
    "$([ "$(up_tag A get-all)" -ge 1 ] && echo 1) $([ "$(up_tag B get-all)" -ge 1 ] && echo 1)"

# Failover: [A, a port nothing listens on], fail_timeout 1 s, so the dead
# one is tried again every second or so: 10 keep-alive clients x 100 GETs
# (each held 20 ms by A: the run outlasts fail_timeout).
load --path "/fo/x?sleep=0.02" --clients 10 --requests 100
n=$(grep -c "127\.0\.0\.1:$DEAD1 (failover): cannot connect" "$SERVER_ERR")
check_eq "failover, one server down: 1000 GETs over 10 keep-alive clients, 0 failed ($n connect failures retried)" \
    "1000 0" "$(lj .ok) $(lj .failed)"
[ "$(lj .failed)" = 0 ] || echo "    $(load_summary)"
check_eq "... all answered by A" 1000 "$(lj ".ids[\"$PA\"] // 0")"

# Nothing reachable.
t0=$(date +%s.%N)
http "$U/dead/x"
el=$(since "$t0")
expect_status "a group whose servers all refuse -> 502" 502
check "... at once (${el}s)" between "$el" 0 $((2 * SLOW))
http "$U/deadone/x"
expect_status "a single server that refuses -> 502" 502
check "the refusal is logged at error with the address" wait_log "\[error\].*127\.0\.0\.1:$DEAD1"

# timeouts.upstream_connect: a server whose connects hang is given up
# after 1 s and the next one answers.
worst=0 ok=0
for i in 1 2 3; do
    t0=$(date +%s.%N)
    http "$U/hole/x"
    el=$(since "$t0")
    [ "$STATUS/$(hdr X-Up-Id)" = "200/$PB" ] && ok=$((ok + 1))
    worst=$(awk -v a="$worst" -v b="$el" 'BEGIN { print (b > a) ? b : a }')
done
check_eq "3 GETs to [a hanging server, B]: all answered by B" 3 "$ok"
check "... the one sent to the hanging server waited about upstream_connect (1 s; slowest ${worst}s)" \
    between "$worst" 0.9 $((3 * SLOW))

# A client slower than the backend: the backend waits on the proxy, which
# is no silence of the backend's. 12 MB read at a steady 2 MB/s (6 s,
# about 4 MB of it taken by the socket buffers at once) through /slow/;
# the backend pauses 0.2 s after its head (so the proxy did wait for it
# once), then sends as fast as the proxy takes. Alone: other work beside
# it would let the proxy catch up with the backend now and then.
python3 "$PCLIENT" slowread --port "$PORT" --path "/slow/long?bytes=12000000&pause_at=0&pause=0.2" \
    --rate 2000000 --timeout $((10 * SLOW)) >"$T/slowclient.json" 2>&1
check_eq "a client reading for longer than timeouts.upstream (12 MB at 2 MB/s): 200, every byte" \
    "200 12000000 complete $(python3 "$UPSTREAM" --pattern 12000000 | sha256sum | cut -d' ' -f1)" \
    "$(jq -r '"\(.status) \(.got) \(.end) \(.sha256)"' "$T/slowclient.json" 2>&1)"

# 504: no head within timeouts.upstream (2 s in /slow/).
t0=$(date +%s.%N)
http --max-time $((10 * SLOW)) "$U/slow/s?sleep=5"
el=$(since "$t0")
expect_status "a backend silent past timeouts.upstream -> 504" 504
check "... after about timeouts.upstream (2 s; got ${el}s)" between "$el" 1.8 $((4 * SLOW))
check "... logged at error with the address" wait_log "\[error\].*127\.0\.0\.1:$PB.*timed out"
# Silent in the middle of a body: the client connection is closed.
raw --timeout $((10 * SLOW)) 'GET /slow/p?bytes=100000&pause_at=40000&pause=5 HTTP/1.1\r\nHost: x\r\n\r\n'
check_eq "a body that stops for longer than timeouts.upstream: 200 head, then closed" "200 eof" \
    "$(head -1 "$T/raw$REQ_N/raw" | cut -d' ' -f2) $(raw_field reason)"
check_eq "... no complete response (40000 of 100000 bytes)" 0 "$(raw_field responses)"
t=$(raw_field elapsed)
check "... closed about timeouts.upstream after the last byte (2 s; got ${t}s)" between "$t" 1.8 $((4 * SLOW))

# The backend stops in the middle of a body.
raw 'GET /one/c?bytes=1000000&cut=300000 HTTP/1.1\r\nHost: x\r\n\r\n'
check_eq "Content-Length body cut by the backend at 300000 of 1000000: 200 head, then closed" "200 eof" \
    "$(head -1 "$T/raw$REQ_N/raw" | cut -d' ' -f2) $(raw_field reason)"
check_eq "... never a complete response" 0 "$(raw_field responses)"
check_eq "... the client was told the whole length (so it sees the cut)" 1000000 "$(raw_head_hdr Content-Length)"
raw 'GET /one/c?bytes=1000000&cut=300000&frame=chunked HTTP/1.1\r\nHost: x\r\n\r\n'
check_eq "chunked body cut by the backend: 200 head, then closed" "200 eof" \
    "$(head -1 "$T/raw$REQ_N/raw" | cut -d' ' -f2) $(raw_field reason)"
check_eq "... without the last chunk (never a complete response)" 0 "$(raw_field responses)"
check "the cut is logged at error with the address" wait_log "\[error\].*127\.0\.0\.1:$PA.*middle"


# The backend process killed (SIGKILL) while it streams 50 MB at 5 MB/s.
curl -s --max-time $((20 * SLOW)) -o "$T/killed.out" -w '%{http_code}' \
    "$U/x/k?bytes=50000000&rate=5000000" >"$T/killed.code" 2>/dev/null &
cpid=$!
got_some() { [ "$(wc -c 2>/dev/null <"$T/killed.out" || echo 0)" -gt 1000000 ]; }
poll 5 got_some
up_stop X KILL
wait "$cpid"
rc=$?
got=$(wc -c <"$T/killed.out" | tr -d ' ')
check_eq "backend killed mid-response: the client saw 200, then the transfer ended short (curl exit 18)" \
    "200 18" "$(cat "$T/killed.code") $rc"
check "... with part of the body (${got} of 50000000 bytes)" "[ $got -gt 0 ] && [ $got -lt 50000000 ]"
up_start X || exit 0
http "$U/x/again"
expect_status "the backend restarted: served again" 200
check_eq "the worker survived all of it (same pid)" "$WORKER" "$(worker)"

# ======================================================== keep-alive pool
up_reset K
ok=0
for i in $(seq 1 100); do
    [ "$(curl -s -o /dev/null --max-time "$MAXT" -w '%{http_code}' "$U/pool/r$i")" = 200 ] && ok=$((ok + 1))
done
check_eq "100 sequential requests (a new client connection each) -> 100 x 200" 100 "$ok"
c=$(up_stats K .app_conns)
check "... the backend accepted only a few connections (got $c)" "[ $c -ge 1 ] && [ $c -le 3 ]"
up_reset K
load --path /pool/ka --clients 1 --requests 100
check_eq "100 requests on one keep-alive client connection -> all 200" "100 0" "$(lj .ok) $(lj .failed)"
c=$(up_stats K .app_conns)
check "... the backend accepted only a few connections (got $c)" "[ $c -ge 0 ] && [ $c -le 2 ]"
up_reset K
load --path /pool/par --clients 8 --requests 25
check_eq "8 keep-alive clients x 25 requests -> all 200" "200 0" "$(lj .ok) $(lj .failed)"
c=$(up_stats K .app_conns)
check "... the backend accepted at most about 8 connections (got $c)" "[ $c -le 10 ]"
up_reset K
load --path /nopool/x --clients 1 --requests 20
check_eq "keepalive: 0 -> 20 requests all 200" "20 0" "$(lj .ok) $(lj .failed)"
check_eq "... one backend connection each" 20 "$(up_stats K .app_conns)"
http "$U/pool/c?close=1"
expect_status "a backend answer with Connection: close -> 200" 200
http "$U/pool/after-close"
expect_status "... the next request (the closed connection not reused) -> 200" 200
# The backend restarted: every pooled connection is dead; the next request
# fails on its pooled connection before any byte and goes on a fresh one.
http "$U/pool/warm"
up_stop K
up_start K || exit 0
http "$U/pool/after-restart"
expect_status "the backend restarted under an idle pooled connection: the next request -> 200" 200

# ============================================ a slow reader (in the background)
# A 1 GiB body, of which 200 MiB are read at a steady 10 MB/s (~21 s)
# while the light sections below run, then the client closes: the backend
# can send at once, so without back-pressure the worker would hold most
# of it. Its peak RSS (VmHWM, reset here) may grow by < 30 MiB
# (test_proxy_more.sh checks a tighter bound with nothing else running).
BIGN=$((1024 * 1024 * 1024))
READN=$((200 * 1024 * 1024))
python3 "$UPSTREAM" --pattern $READN | sha256sum | cut -d' ' -f1 >"$T/big.want" &
wantpid=$!
echo 5 >"/proc/$WORKER/clear_refs" 2>/dev/null
rss0=$(rss_kb "$WORKER")
t0_big=$(date +%s.%N)
python3 "$PCLIENT" slowread --port "$PORT" --path "/big/slow?bytes=$BIGN" --rate 10000000 \
    --max $READN --timeout $((20 * SLOW)) >"$T/big.json" 2>&1 &
bigpid=$!

# ============================================================= balancing
# Round robin, weights 2:1 (A:B), over 300 requests.
load --path /w/rr --clients 3 --requests 100
na=$(lj ".ids[\"$PA\"] // 0") nb=$(lj ".ids[\"$PB\"] // 0")
check_eq "round robin 2:1: 300 requests all 200" "300 0" "$(lj .ok) $(lj .failed)"
check "... split about 2:1 (A $na, B $nb)" "[ $na -ge 180 ] && [ $na -le 220 ] && [ $((na + nb)) = 300 ]"

# backup: only while every primary is down.
load --path /bk/x --clients 2 --requests 20
check_eq "backup group, primary up: 40 requests all answered by the primary" \
    "40 0 40" "$(lj .ok) $(lj .failed) $(lj ".ids[\"${UP_PORT[M]}\"] // 0")"
up_stop M
load --path /bk/x --clients 2 --requests 20
check_eq "primary down: 40 requests all answered by the backup" \
    "40 0 40" "$(lj .ok) $(lj .failed) $(lj ".ids[\"${UP_PORT[C]}\"] // 0")"
up_start M || exit 0
t0=$(date +%s.%N)
back_on_primary() { http "$U/bk/poll" && [ "$STATUS/$(hdr X-Up-Id)" = "200/${UP_PORT[M]}" ]; }
if poll 5 back_on_primary; then
    pass "primary back: traffic returns to it (after $(since "$t0")s; fail_timeout 1s)"
else
    fail "primary back: traffic returns to it within 5 s" "last answer $STATUS from $(hdr X-Up-Id)"
fi
load --path /bk/x --clients 2 --requests 20
check_eq "... and the backup gets nothing any more (40 requests, all to the primary)" \
    "40 0 40" "$(lj .ok) $(lj .failed) $(lj ".ids[\"${UP_PORT[M]}\"] // 0")"

# ip_hash: one client stays on one server; other /24s spread.
load --path /ih/x --clients 1 --requests 50
check_eq "ip_hash: 50 requests from 127.0.0.1, all 200, all on one server" "50 0 1" \
    "$(lj .ok) $(lj .failed) $(lj '.ids | length')"
seen_ids=
stable=0
for net in 1 2 3 4 5 6 7 8 9 10 11 12; do
    load --path /ih/x --clients 1 --requests 5 --bind "127.0.$net.1"
    [ "$(lj .ok)/$(lj '.ids | length')" = 5/1 ] && stable=$((stable + 1))
    seen_ids="$seen_ids $(lj '.ids | keys[0]')"
done
check_eq "ip_hash: 12 clients on other /24s, each stays on one server" 12 "$stable"
check_eq "... and together they use both servers" 2 "$(tr ' ' '\n' <<<"$seen_ids" | grep -v '^$' | sort -u | wc -l | tr -d ' ')"

# least_conn: A answers after 0.3 s, B at once; 4 clients x 10 requests.
# Round robin would give A half of them; least_conn sends most to B.
load --path "/lc/x?sleep=0.3&sleep_on=$PA" --clients 4 --requests 10
na=$(lj ".ids[\"$PA\"] // 0")
check_eq "least_conn, A slow: 40 requests all 200" "40 0" "$(lj .ok) $(lj .failed)"
check "... most went to the fast server (A got $na of 40)" "[ $na -le 8 ]"
load --path "/lc/y?sleep=0.5" --clients 20 --requests 1 --barrier
na=$(lj ".ids[\"$PA\"] // 0") nb=$(lj ".ids[\"$PB\"] // 0")
check_eq "least_conn, 20 requests at once (each 0.5 s): all 200" "20 0" "$(lj .ok) $(lj .failed)"
check "... spread over both servers (A $na, B $nb)" "[ $na -ge 7 ] && [ $nb -ge 7 ]"

# ======================================================= passive health
# max_fails 2 within fail_timeout 3 s: P1 drops every request.
up_ctl P1 mode=drop
load --path /pas/x --clients 1 --requests 10
check_eq "P1 dropping everything: 10 GETs all answered (by P2)" \
    "10 0 10" "$(lj .ok) $(lj .failed) $(lj ".ids[\"${UP_PORT[P2]}\"] // 0")"
d1=$(up_stats P1 .dropped)
check_eq "... P1 was tried max_fails (2) times, then left alone" 2 "$d1"
t0=$(date +%s.%N)
load --path /pas/x --clients 1 --requests 20
check_eq "... 20 more GETs at once: none tried on P1 (out for fail_timeout)" "20 $d1" "$(lj .ok) $(up_stats P1 .dropped)"
p1_tried() { http "$U/pas/poll" && [ "$(up_stats P1 .dropped)" -gt "$d1" ]; }
if poll 8 p1_tried; then
    el=$(since "$t0")
    check "P1 tried again after fail_timeout (3 s; after ${el}s)" between "$el" 2.3 $((5 * SLOW))
else
    fail "P1 tried again after fail_timeout" "not within 8 s"
fi
expect_status "... that request still answered (by P2)" 200
up_ctl P1 mode=normal
p1_serves() { http "$U/pas/poll" && [ "$(hdr X-Up-Id)" = "${UP_PORT[P1]}" ]; }
check "P1 healthy again: it serves within fail_timeout + 2 s" poll 5 p1_serves
http "$U/status"
check "/status: P1's fails counted (>= 3)" "jq -e --arg s '127.0.0.1:${UP_PORT[P1]}' '.upstreams.passive[] | select(.server == \$s) | .fails >= 3' '$BODY'"

# ======================================================== active health
# health_check every 1 s on D and E (max_fails 0: only the check decides).
load --path /chk/x --clients 1 --requests 10
check_eq "health-checked group: 10 requests spread over D and E" "10 5 5" \
    "$(lj .ok) $(lj ".ids[\"${UP_PORT[D]}\"] // 0") $(lj ".ids[\"${UP_PORT[E]}\"] // 0")"
check "the checks reach the backends (D's /healthz hits: $(up_stats D .health_hits))" "[ $(up_stats D .health_hits) -ge 1 ]"
status_up() { # GROUP PORT: "true" or "false" from /status
    curl -s --max-time "$MAXT" "$U/status" |
        jq -r --arg g "$1" --arg s "127.0.0.1:$2" '.upstreams[$g][] | select(.server == $s) | .up'
}
up_ctl D health=500
t0=$(date +%s.%N)
d_down() { [ "$(status_up checked "${UP_PORT[D]}")" = false ]; }
if poll 4 d_down; then
    pass "D's /healthz turns 500: /status shows it down within ~2 intervals, no traffic needed ($(since "$t0")s)"
else
    fail "D's /healthz turns 500: /status shows it down within ~2 intervals, no traffic needed" \
        "/status still says up=$(status_up checked "${UP_PORT[D]}") after $(since "$t0")s"
fi
d_out() { # 4 requests, none to D
    local before
    before=$(up_stats D .requests)
    load --path /chk/o --clients 1 --requests 4
    [ "$(up_stats D .requests)" = "$before" ] && [ "$(lj .ok)" = 4 ]
}
if poll 4 d_out; then
    pass "... and takes no requests within ~2 intervals ($(since "$t0")s)"
else
    fail "... and takes no requests within ~2 intervals" "D still served after $(since "$t0")s"
fi
load --path /chk/o --clients 1 --requests 10
check_eq "... 10 more requests: all 200, all on E" "10 0 10" "$(lj .ok) $(lj .failed) $(lj ".ids[\"${UP_PORT[E]}\"] // 0")"
up_ctl D health=200
t0=$(date +%s.%N)
d_back() { load --path /chk/b --clients 1 --requests 4 && [ "$(lj ".ids[\"${UP_PORT[D]}\"] // 0")" -ge 1 ]; }
if poll 4 d_back; then
    pass "D's /healthz back to 200: it takes requests again within ~2 intervals ($(since "$t0")s)"
else
    fail "D's /healthz back to 200: it takes requests again within ~2 intervals" "not after $(since "$t0")s"
fi
check_eq "... /status shows it up" true "$(status_up checked "${UP_PORT[D]}")"
check "the checks' verdicts are logged (down, then up)" \
    "grep -q 'checked: 127.0.0.1:${UP_PORT[D]} is down' '$SERVER_ERR' && grep -q 'checked: 127.0.0.1:${UP_PORT[D]} is up' '$SERVER_ERR'"

# ============================================================ WebSocket
out=$(timeout $((20 * SLOW)) python3 "$PCLIENT" ws --port "$PORT" --path /fwd/ws --timeout $((5 * SLOW)) 2>&1)
while read -r line; do
    case $line in
    ok\ *) pass "WebSocket through the proxy: ${line#ok }" ;;
    FAIL\ *) fail "WebSocket through the proxy: ${line#FAIL }" ;;
    esac
done <<<"$out"
check_eq "WebSocket: all 7 steps ran" 7 "$(grep -c '^ok ' <<<"$out")"
check "WebSocket: the backend counted the session" "[ $(($(up_stats A .ws) + $(up_stats B .ws))) -ge 1 ]"
out=$(timeout $((20 * SLOW)) python3 "$PCLIENT" ws --port "$PORT" --path /slow/ws --idle $((8 * SLOW)) 2>&1 |
    grep -E '^(closed|still|FAIL)')
check_match "an idle WebSocket is closed after timeouts.upstream (2 s): $out" \
    "^closed after (1\.[89]|[23]\.)" "$out"
http -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
    -H 'Sec-WebSocket-Version: 13' "$U/nows/ws"
check_eq "websocket: false -> no Upgrade passed; the backend answers 200, not 101" "200 " "$STATUS $(seen upgrade)"
http -H 'Upgrade: websocket' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' \
    "$U/fwd/ws-no-connection"
check_eq "Upgrade: websocket without Connection: upgrade -> a plain GET: 200, no Upgrade or Connection upstream" \
    "200 GET  " "$STATUS $(echo_field method) $(seen upgrade) $(seen connection)"
check_eq "... Sec-WebSocket-Key passed as an ordinary header" "dGhlIHNhbXBsZSBub25jZQ==" "$(seen sec-websocket-key)"
check_eq "the worker is still the first one" "$WORKER" "$(worker)"

# ============================================ the slow reader's results
wait "$wantpid"
wait "$bigpid"
el=$(since "$t0_big")
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$WORKER/status" 2>/dev/null)
check_eq "a 1 GiB body read at a steady 10 MB/s through the proxy: 200, its length announced, 200 MiB read (${el}s)" \
    "200 $BIGN $READN max" "$(jq -r '"\(.status) \(.length) \(.got) \(.end)"' "$T/big.json" 2>&1)"
check_eq "... byte for byte (sha256 of the 200 MiB)" "$(cat "$T/big.want")" "$(jq -r .sha256 "$T/big.json" 2>&1)"
check "... at the client's pace (about 21 s; got ${el}s)" between "$el" 15 $((60 * SLOW))
check "... the worker's peak RSS grew by < 30 MiB (RSS before ${rss0} kB, peak ${hwm} kB)" \
    "[ $((${hwm:-999999} - ${rss0:-0})) -lt 30720 ]"

# ================================================ 1000 requests at once
load --path /fwd/many --clients 1000 --requests 1 --barrier --timeout $((30 * SLOW))
check_eq "1000 proxied requests at once: all 200" "1000 0" "$(lj .ok) $(lj .failed)"
[ "$(lj .failed)" = 0 ] || echo "    $(load_summary)"
check "... spread over A and B ($(jq -c .ids <<<"$LOAD"))" \
    "[ $(lj ".ids[\"$PA\"] // 0") -ge 300 ] && [ $(lj ".ids[\"$PB\"] // 0") -ge 300 ]"
check_eq "the worker is still the first one" "$WORKER" "$(worker)"

# ================================================================ /status
idle_again() { # no request in flight on A or B, as /status sees it
    http "$U/status" && jq -e '[.upstreams.app[].active] == [0, 0]' "$BODY" >/dev/null
}
check "/status: app's active counts back to 0 after the load" poll 5 idle_again
check_eq "/status: named groups only, the single-server ones left out" \
    "app byname checked dead failover hashed hole least nopool passive pooled r1 r2 r3 r4 r5 weighted withbackup" \
    "$(jq -r '.upstreams | keys | join(" ")' "$BODY")"
check "/status: each server has exactly server, up, requests, fails, active, typed" "jq -e '
    [.upstreams[][] | (keys == [\"active\", \"fails\", \"requests\", \"server\", \"up\"])
     and (.server | type == \"string\") and (.up | type == \"boolean\")
     and ([.requests, .fails, .active] | map(type == \"number\" and . >= 0) | all)] | all' '$BODY'"
check_eq "/status: app lists A and B in order" "127.0.0.1:$PA 127.0.0.1:$PB" \
    "$(jq -r '[.upstreams.app[].server] | join(" ")' "$BODY")"
check "/status: app's requests count the 1000 (A + B >= 1000)" \
    "jq -e '[.upstreams.app[].requests] | add >= 1000' '$BODY'"
check "/status: r3's A shows its failure (fails >= 1), B none" \
    "jq -e '.upstreams.r3 | (.[0].fails >= 1) and (.[1].fails == 0)' '$BODY'"
# Failed just now, within fail_timeout (10 s): out, as every worker's
# /status says at once.
http "$U/dead/x"
http "$U/status"
check_eq "/status: the dead group's servers, failed within fail_timeout (10 s), are down" "false false" \
    "$(jq -r '[.upstreams.dead[].up] | map(tostring) | join(" ")' "$BODY")"
check_eq "/status: weighted's requests are the round robin's 200 and 100" "200 100" \
    "$(jq -r '[.upstreams.weighted[].requests] | map(tostring) | join(" ")' "$BODY")"

# ==================================================== -T and config errors
"$PORTICO_BIN" -T -c "$CFG" >"$T/dump.txt" 2>&1
check_eq "-T exits 0" 0 "$?"
dump_has() { check "-T shows: $1" "grep -qF -- '$1' '$T/dump.txt'"; }
dump_has "upstream app: 127.0.0.1:$PA 127.0.0.1:$PB; round_robin, keepalive 32, max_fails 1, fail_timeout 1s"
dump_has "upstream weighted: 127.0.0.1:$PA 127.0.0.1:$PB; weight of 127.0.0.1:$PA: 2"
dump_has "127.0.0.1:${UP_PORT[C]} (backup)"
dump_has "upstream hashed: 127.0.0.1:$PA 127.0.0.1:$PB; ip_hash"
dump_has "upstream least: 127.0.0.1:$PA 127.0.0.1:$PB; least_conn"
dump_has "upstream nopool: 127.0.0.1:${UP_PORT[K]}; round_robin, keepalive 0"
dump_has "health_check /healthz every 1s"
dump_has "proxy group: app, host upstream, websocket on, retries 1"
dump_has "proxy: http://app/internal/"
dump_has "proxy group: app, host backend.internal"
dump_has "proxy sets: X-Env: prod"
dump_has "proxy sets: X-Debug: (removed)"
dump_has "proxy group: one server 127.0.0.1:$PA"
dump_has "websocket off"
check "-T: every proxy location's pipeline is 'proxy'" \
    "[ \$(grep -c 'pipeline: proxy\$' '$T/dump.txt') = $(grep -c ' proxy:' "$CFG") ]"

CFGN=0
# cfg_error NAME LINE ERE: the config on stdin fails -t with an error at
# LINE (file:LINE:COL:, LINE may be an ERE, or LINE:COL) whose text
# matches ERE
cfg_error() {
    local name=$1 line=$2 re=$3 at=$2 f out rc
    CFGN=$((CFGN + 1))
    f=$T/bad$CFGN.yaml
    cat >"$f"
    out=$("$PORTICO_BIN" -t -c "$f" 2>&1)
    rc=$?
    [[ $at == *:* ]] || at="$at:[0-9]+"
    if [ $rc = 1 ] && grep -qE "bad$CFGN\.yaml:$at: .*$re" <<<"$out"; then
        pass "config error: $name (line $line)"
    else
        fail "config error: $name (line $line)" "exit $rc: $(head -3 <<<"$out")"
    fi
}
HEAD_CFG="servers:
  - listen: $(new_port)
    root: $T/root
    locations:"
cfg_error "proxy to a name that is no upstream and does not resolve" 8 "appp" <<CFG
upstreams:
  app: {servers: [127.0.0.1:$PA]}
$HEAD_CFG
      /a/:
        proxy: http://appp
CFG
cfg_error "'to' naming a host that does not resolve" 7 "nosuch\.invalid" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://nosuch.invalid:8080/x/
CFG
cfg_error "an upstream server that does not resolve" 4 "nosuch\.invalid" <<CFG
upstreams:
  app:
    servers:
      - nosuch.invalid:80
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
cfg_error "proxy and redirect in one location" "(5|6|7)" "(proxy|redirect)" <<CFG
$HEAD_CFG
      /a/:
        proxy: http://127.0.0.1:$PA
        redirect: /b/
CFG
cfg_error "an unknown key in an upstream (did you mean)" 3 "server.*servers" <<CFG
upstreams:
  app:
    server: [127.0.0.1:$PA]
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
cfg_error "balance: random" 4 "balance" <<CFG
upstreams:
  app:
    servers: [127.0.0.1:$PA]
    balance: random
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
cfg_error "weight: 0" 3 "weight" <<CFG
upstreams:
  app:
    servers: [{address: 127.0.0.1:$PA, weight: 0}]
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
cfg_error "only backup servers" 3 "backup" <<CFG
upstreams:
  app:
    servers: [{address: 127.0.0.1:$PA, backup: true}]
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
cfg_error "an https:// proxy URL" 6 "http://" <<CFG
$HEAD_CFG
      /a/:
        proxy: https://127.0.0.1:$PA
CFG
cfg_error "a proxy map without 'to'" 6 "to" <<CFG
$HEAD_CFG
      /a/:
        proxy: {host: client}
CFG
cfg_error "a server without a port number" 3 "port" <<CFG
upstreams:
  app:
    servers: ["127.0.0.1:"]
$HEAD_CFG
      /a/:
        proxy: http://app
CFG
NOQUERY="'proxy' must be an http:// URL with a host and at most a path \(no query or fragment\)\$"
cfg_error "'to' with a query after a path (at the value)" 7:15 "$NOQUERY" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://127.0.0.1:$PA/a?b=1
CFG
cfg_error "proxy: URL with a query after the host" 6:16 "$NOQUERY" <<CFG
$HEAD_CFG
      /a/:
        proxy: http://127.0.0.1:$PA?b=1
CFG
cfg_error "proxy: URL with a fragment" 6:16 "$NOQUERY" <<CFG
$HEAD_CFG
      /a/:
        proxy: http://127.0.0.1:$PA/a#top
CFG
OWNED="cannot be set: portico writes it for each request"
cfg_error "set_headers naming Host (at the name)" 8:38 "'Host' $OWNED \(use host: instead\)\$" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://127.0.0.1:$PA
          set_headers: {X-Env: prod, Host: h.test}
CFG
cfg_error "set_headers naming host, in lower case" 9:13 "'host' $OWNED \(use host: instead\)\$" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://127.0.0.1:$PA
          set_headers:
            host: h.test
CFG
cfg_error "set_headers naming Content-Length" 8:25 "'Content-Length' $OWNED\$" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://127.0.0.1:$PA
          set_headers: {Content-Length: "5"}
CFG
cfg_error "set_headers naming Connection" 8:25 "'Connection' $OWNED\$" <<CFG
$HEAD_CFG
      /a/:
        proxy:
          to: http://127.0.0.1:$PA
          set_headers: {Connection: close}
CFG

# ======================================= SIGHUP with requests in flight
# In flight at the reload: 20 requests the backends hold for 2 s, a 20 MB
# download paced at 8 MB/s, an 8 MiB upload paced at 4 MB/s, and 4
# keep-alive clients sending requests all along (a keep-alive connection
# the old worker closes after an answer is reopened, as clients do).
python3 "$PCLIENT" load --port "$PORT" --path "/fwd/hup?sleep=2" --clients 20 --requests 1 \
    --timeout $((15 * SLOW)) --deadline $((30 * SLOW)) >"$T/hup.held" 2>&1 &
p1=$!
python3 "$PCLIENT" load --port "$PORT" --path "/fwd/hup-stream" --clients 4 --requests 150 --reconnect \
    --timeout $((15 * SLOW)) --deadline $((60 * SLOW)) >"$T/hup.stream" 2>&1 &
p2=$!
curl -s --max-time $((30 * SLOW)) -w '%{http_code}' "$U/fwd/hup-dl?bytes=20000000&rate=8000000" \
    -o "$T/hup.dl" >"$T/hup.dl.code" 2>/dev/null &
p3=$!
curl -s --max-time $((30 * SLOW)) --limit-rate 4M -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T/up8.bin" "$U/fwd/hup-up" -o "$T/hup.up" >/dev/null 2>&1 &
p4=$!
held() { [ $(($(up_stats A .active) + $(up_stats B .active))) -ge 20 ]; }
check "20 requests held by the backends before SIGHUP" poll 5 held
old=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
kill -HUP "$SERVER_PID"
new_worker() { pgrep -P "$SERVER_PID" | grep -qvxF -f <(tr ' ' '\n' <<<"$old" | grep .); }
check "SIGHUP: a new worker starts" poll 5 new_worker
wait "$p1" "$p2" "$p3" "$p4"
check_eq "20 requests held by the backends across SIGHUP: all 200" "20 0" \
    "$(jq -r '"\(.ok) \(.failed)"' "$T/hup.held" 2>&1)"
check_eq "600 keep-alive requests across SIGHUP: all 200 ($(jq -r .reconnects "$T/hup.stream" 2>&1) sent again after an idle keep-alive connection closed)" "600 0" \
    "$(jq -r '"\(.ok) \(.failed)"' "$T/hup.stream" 2>&1)"
check_eq "a 20 MB download across SIGHUP: 200, byte for byte" \
    "200 $(python3 "$UPSTREAM" --pattern 20000000 | sha256sum | cut -d' ' -f1)" \
    "$(cat "$T/hup.dl.code") $(sha256sum <"$T/hup.dl" | cut -d' ' -f1)"
check_eq "an 8 MiB upload across SIGHUP: the backend got it whole" "$UPSHA" "$(jq -r .body_sha256 "$T/hup.up" 2>&1)"
old_gone() { [ "$(pgrep -P "$SERVER_PID" | wc -l)" = 1 ]; }
check "the old worker exits once its requests are done" poll 5 old_gone
SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
http "$U/fwd/after-hup"
expect_status "after the reload: proxied" 200

stop_server
exit 0
