#!/usr/bin/env bash
# /status in the Prometheus text format (issue 13, item 5) and the
# counters behind both of its forms, on two workers: the format chosen by
# ?format=prometheus or an Accept naming text/plain; version=0.0.4 (and
# not otherwise), its Content-Type; every line checked by
# helpers/promcheck.py (HELP and TYPE before each family's samples, names,
# labels, escaping, values), and by promtool when it is installed; then
# the figures moving as they should: requests, responses by class and the
# bytes each way exactly, connections by state (idle, reading, a WebSocket
# tunnel and its 101), CGI processes started, running and timed out,
# stored upload bytes, each upstream server's up, requests, fails and
# active (a label value with '"' and '\' escaped), JSON and Prometheus
# telling the same, and nothing lost when a worker dies.
# The functions poll and check call are reached indirectly:
# shellcheck disable=SC2317,SC2119
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=integration/proxy_lib.sh
. "$(dirname "$0")/proxy_lib.sh"

PROMCHECK=$HELPERS/promcheck.py

up_start A || exit 0
PA=${UP_PORT[A]}
DEAD=$(new_port) # nothing listens there

ROOT=$T/root
mkdir -p "$ROOT/cgi-bin" "$ROOT/up"
echo "hello" >"$ROOT/hello.txt"
cp "$WWW/index.html" "$ROOT/"
cp "$INTEG_DIR/cgi/headers.sh" "$INTEG_DIR/cgi/sleep.sh" "$ROOT/cgi-bin/"

PORT=$(new_port)
U=http://127.0.0.1:$PORT
CFG=$T/status.yaml
cat >"$CFG" <<EOF
workers: 2
error_log: "-"
log_level: info
access_log: off
upstreams:
  app:
    servers: [127.0.0.1:$PA, 127.0.0.1:$DEAD]
    fail_timeout: 60s
  'we"ird\\x':
    servers: [127.0.0.1:$PA]
servers:
  - listen: "127.0.0.1:$PORT"
    root: $ROOT
    locations:
      /:
        methods: [GET, HEAD]
      /status:
        status: true
      /cgi-bin/:
        cgi: {.sh: /bin/sh}
        timeouts: {cgi: 1s}
      /up/:
        methods: [GET, HEAD, POST, PUT]
        upload: true
      /app/:
        proxy: http://app
      /ws/:
        proxy: http://127.0.0.1:$PA
EOF
start_server "$CFG" || exit 0

PROM_TYPE='text/plain; version=0.0.4; charset=utf-8'
PROM_ACCEPT='application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'

# snap NAME: /status?format=prometheus into $T/NAME.prom; curl's byte
# counts of that exchange into $T/NAME.sizes ("request head body")
snap() {
    curl -s --max-time "$MAXT" -o "$T/$1.prom" \
        -w '%{size_request} %{size_header} %{size_download}' "$U/status?format=prometheus" \
        >"$T/$1.sizes"
}
# pv NAME SERIES: the value of SERIES (as written, labels and all) in snap
# NAME ("absent" when it is not there)
pv() { S=$2 awk 'index($0, ENVIRON["S"] " ") == 1 { print $NF; f = 1 } END { if (!f) print "absent" }' "$T/$1.prom"; }
# delta A B SERIES: pv B - pv A
delta() { echo $(($(pv "$2" "$3") - $(pv "$1" "$3"))); }
# fetched: curl's bytes sent and received for one request, added to SENT/GOT
SENT=0 GOT=0
count() {
    local r h d
    read -r r h d <<<"$(curl -s --max-time "$MAXT" -o /dev/null -w '%{size_request} %{size_header} %{size_download}' "$@")"
    SENT=$((SENT + r))
    GOT=$((GOT + h + d))
}
conn() { pv "$1" "portico_connections{state=\"$2\"}"; }

# ================================================ format and negotiation
http "$U/status?format=prometheus"
expect_status "?format=prometheus -> 200" 200
expect_header "... Content-Type: $PROM_TYPE" Content-Type "$PROM_TYPE"
expect_header "... Cache-Control: no-store" Cache-Control "no-store"
expect_header "... Vary: Accept" Vary "Accept"
expect_body "... portico_requests_total" "# TYPE portico_requests_total counter"
http -H "Accept: $PROM_ACCEPT" "$U/status"
expect_header "the Accept Prometheus 3 sends -> the text format" Content-Type "$PROM_TYPE"
http -H 'Accept: application/openmetrics-text; version=0.0.1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' "$U/status"
expect_header "the Accept Prometheus 2 sends -> the text format" Content-Type "$PROM_TYPE"
http -H 'Accept: Text/Plain; Version="0.0.4"' "$U/status"
expect_header "Accept: Text/Plain; Version=\"0.0.4\" -> the text format" Content-Type "$PROM_TYPE"
http "$U/status?x=1&format=prometheus"
expect_header "?x=1&format=prometheus -> the text format" Content-Type "$PROM_TYPE"
for a in '*/*' 'text/plain' 'text/plain; version=1.0.0' 'text/plain; version=0.0.4; q=0' \
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' 'application/json'; do
    http -H "Accept: $a" "$U/status"
    expect_header "Accept: $a -> JSON" Content-Type "application/json"
done
for q in 'format=json' 'format=prometheusx' 'format=Prometheus' 'xformat=prometheus'; do
    http "$U/status?$q"
    expect_header "?$q -> JSON" Content-Type "application/json"
done
http "$U/status"
expect_header "no Accept, no query -> JSON" Content-Type "application/json"
raw --head 'HEAD /status?format=prometheus HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
expect_status "HEAD ?format=prometheus -> 200" 200
expect_header "... its Content-Type" Content-Type "$PROM_TYPE"
check_eq "... no body" 0 "$(raw_field extra)"

# ================================================ every line, by a parser
snap s0
out=$(python3 "$PROMCHECK" "$T/s0.prom" 2>&1)
check "promcheck.py: every line a HELP, TYPE or sample, each family announced ($out)" \
    python3 "$PROMCHECK" "$T/s0.prom"
for f in portico_info portico_uptime_seconds portico_workers portico_requests_total \
    portico_responses_total portico_connections_active portico_connections \
    portico_connections_tunnels portico_received_bytes_total portico_sent_bytes_total \
    portico_cgi_processes_started_total portico_cgi_processes_running \
    portico_cgi_timeouts_total portico_upload_bytes_total portico_tls_handshakes_total \
    portico_tls_handshake_failures_total portico_upstream_up portico_upstream_requests_total \
    portico_upstream_fails_total portico_upstream_active; do
    grep -q "^# TYPE $f \(counter\|gauge\)$" "$T/s0.prom" || fail "family $f is there" "$(head -c 300 "$T/s0.prom")"
done
pass "every documented family is there"
check_eq "portico_workers 2" 2 "$(pv s0 portico_workers)"
check_eq "portico_info carries the version" 1 "$(pv s0 "portico_info{version=\"$(portico_version)\"}")"
check_eq "the group named we\"ird\\x: its label value escaped" 1 \
    "$(pv s0 "portico_upstream_up{upstream=\"we\\\"ird\\\\x\",server=\"127.0.0.1:$PA\"}")"
# The checker itself finds what it must.
printf '# HELP portico_a a\n# TYPE portico_a gauge\nportico_a{x="\\q"} 1\n' >"$T/bad1.prom"
printf '# TYPE portico_a_total counter\nportico_a_total 1\n' >"$T/bad2.prom"
printf '# HELP portico_a a\n# TYPE portico_a gauge\nportico_a 1\n# HELP portico_b b\n# TYPE portico_b gauge\nportico_b 1\nportico_a{x="y"} 2\n' >"$T/bad3.prom"
for b in 1 2 3; do
    check "promcheck.py refuses bad$b.prom" "! python3 '$PROMCHECK' '$T/bad$b.prom'"
done
if command -v promtool >/dev/null; then
    out=$(promtool check metrics <"$T/s0.prom" 2>&1)
    check_eq "promtool check metrics: no complaint" "" "$out"
else
    echo "  (promtool not installed: apt-get install prometheus to check with it too)"
fi

# ================================ requests, responses by class, bytes
snap s1
SENT=0 GOT=$(($(cut -d' ' -f2 "$T/s1.sizes") + $(cut -d' ' -f3 "$T/s1.sizes")))
for i in 1 2 3 4 5; do count "$U/nope-$i"; done
for i in 1 2 3; do count "$U/hello.txt"; done
sleep 0.2
snap s2
SENT=$((SENT + $(cut -d' ' -f1 "$T/s2.sizes")))
check_eq "8 requests (and the scrape before them): requests_total +9" 9 "$(delta s1 s2 portico_requests_total)"
check_eq "... 2xx +4 (3 files, the scrape)" 4 "$(delta s1 s2 'portico_responses_total{class="2xx"}')"
check_eq "... 4xx +5 (the 404s)" 5 "$(delta s1 s2 'portico_responses_total{class="4xx"}')"
for c in 1xx 3xx 5xx; do
    check_eq "... $c +0" 0 "$(delta s1 s2 "portico_responses_total{class=\"$c\"}")"
done
check_eq "... received bytes: every byte curl sent (the 8, this scrape's request)" "$SENT" \
    "$(delta s1 s2 portico_received_bytes_total)"
check_eq "... sent bytes: every byte curl got (the scrape before, the 8)" "$GOT" \
    "$(delta s1 s2 portico_sent_bytes_total)"
http "$U/status"
check_eq "JSON right after: requests.total one more" "$(($(pv s2 portico_requests_total) + 1))" \
    "$(jq '.requests.total' "$BODY")"
check_eq "... responses.4xx the same, 2xx one more" \
    "$(pv s2 'portico_responses_total{class="4xx"}') $(($(pv s2 'portico_responses_total{class="2xx"}') + 1))" \
    "$(jq -r '"\(.responses["4xx"]) \(.responses["2xx"])"' "$BODY")"
jq_keys='keys == ["bytes","cgi","connections","requests","responses","uploads","upstreams","uptime_s","version","workers"]'
check "JSON: the old keys and the new ones" "jq -e '$jq_keys' '$BODY'"
check "JSON: the new members' keys" "jq -e '(.connections | keys == [\"active\",\"idle\",\"reading\",\"tunnels\",\"writing\"])
    and (.responses | keys == [\"1xx\",\"2xx\",\"3xx\",\"4xx\",\"5xx\"]) and (.bytes | keys == [\"received\",\"sent\"])
    and (.cgi | keys == [\"running\",\"started\",\"timeouts\"]) and (.uploads | keys == [\"bytes\"])' '$BODY'"
check "JSON: received and sent at least what Prometheus said" \
    "jq -e '.bytes.received > $(pv s2 portico_received_bytes_total) and .bytes.sent >= $(pv s2 portico_sent_bytes_total)' '$BODY'"

# ====================================================== connections
# One connection that sent nothing (idle), one in the middle of a head
# (reading), the scrape itself (writing).
python3 - "$PORT" >"$T/hold.log" 2>&1 <<'EOF' &
import socket, sys, time
a = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
b = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
b.sendall(b"GET / HTTP/1.1\r\nHo")
print("held", flush=True)
time.sleep(30)
EOF
HOLD=$!
EXTRA_PIDS+=("$HOLD")
states_are() { # READING WRITING IDLE LINGERING ACTIVE
    snap c
    [ "$(conn c reading) $(conn c writing) $(conn c idle) $(conn c lingering) $(pv c portico_connections_active)" = "$*" ]
}
check "an idle and a reading connection, and the scrape: reading 1 writing 1 idle 1, 3 active" \
    poll 5 states_are 1 1 1 0 3
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
check "... both gone: reading 0 writing 1 idle 0, 1 active" poll 5 states_are 0 1 0 0 1
# A WebSocket through the proxy: its 101, then a tunnel.
snap w1
timeout $((20 * SLOW)) python3 "$PCLIENT" ws --port "$PORT" --path /ws/x --idle $((4 * SLOW)) >"$T/ws.log" 2>&1 &
WS=$!
EXTRA_PIDS+=("$WS")
tunnel_open() { snap w2 && [ "$(pv w2 portico_connections_tunnels)" = 1 ]; }
check "a WebSocket open: portico_connections_tunnels 1" poll 5 tunnel_open
check_eq "... its 101 counted: 1xx +1" 1 "$(delta w1 w2 'portico_responses_total{class="1xx"}')"
check_eq "... the tunnel counted as writing too (with the scrape)" 2 "$(conn w2 writing)"
kill "$WS" 2>/dev/null
wait "$WS" 2>/dev/null
tunnel_closed() { snap w3 && [ "$(pv w3 portico_connections_tunnels)" = 0 ]; }
check "... closed: tunnels back to 0" poll 5 tunnel_closed

# ============================================================== CGI
snap g1
http "$U/cgi-bin/headers.sh"
expect_status "a CGI script -> 200" 200
cgi_idle() { snap g && [ "$(pv g portico_cgi_processes_running)" = 0 ]; }
check "... reaped: portico_cgi_processes_running 0" poll 5 cgi_idle
snap g2
check_eq "... portico_cgi_processes_started_total +1" 1 "$(delta g1 g2 portico_cgi_processes_started_total)"
check_eq "... no timeout" 0 "$(delta g1 g2 portico_cgi_timeouts_total)"
curl -s -o "$T/sleep.out" -w '%{http_code}' --max-time $((10 * SLOW)) "$U/cgi-bin/sleep.sh" >"$T/sleep.code" &
SLEEPER=$!
cgi_busy() { snap g && [ "$(pv g portico_cgi_processes_running)" = 1 ]; }
check "a script that never answers: running 1 meanwhile" poll 5 cgi_busy
wait "$SLEEPER"
check_eq "... 504 after timeouts.cgi (1 s)" 504 "$(cat "$T/sleep.code")"
check "... its group killed and reaped: running 0" poll 5 cgi_idle
snap g3
check_eq "... started +1" 1 "$(delta g2 g3 portico_cgi_processes_started_total)"
check_eq "... portico_cgi_timeouts_total +1" 1 "$(delta g2 g3 portico_cgi_timeouts_total)"
check_eq "... 5xx +1" 1 "$(delta g2 g3 'portico_responses_total{class="5xx"}')"

# =========================================================== uploads
snap u1
head -c 12345 /dev/urandom >"$T/a.bin"
head -c 100 /dev/urandom >"$T/b.bin"
head -c 200 /dev/urandom >"$T/c.bin"
http -T "$T/a.bin" "$U/up/a.bin"
expect_status "PUT of 12345 bytes -> 201" 201
http -F "f1=@$T/b.bin" -F "f2=@$T/c.bin" "$U/up/"
expect_status "a multipart POST of 100 and 200 bytes -> 201" 201
http --data-binary "@$T/b.bin" "$U/up/a.bin"
expect_status "a POST onto an existing file -> 409 (nothing stored)" 409
snap u2
check_eq "portico_upload_bytes_total +12645" 12645 "$(delta u1 u2 portico_upload_bytes_total)"
check_eq "... what is on disk" 12645 "$(cat "$ROOT"/up/* | wc -c | tr -d ' ')"

# ========================================================= upstreams
for i in 1 2 3 4; do http "$U/app/x$i"; [ "$STATUS" = 200 ] || break; done
expect_status "4 GETs through group app (one server dead) -> 200" 200
snap p
S_A="upstream=\"app\",server=\"127.0.0.1:$PA\""
S_D="upstream=\"app\",server=\"127.0.0.1:$DEAD\""
check_eq "the live server: up 1, requests 4, fails 0, active 0" "1 4 0 0" \
    "$(pv p "portico_upstream_up{$S_A}") $(pv p "portico_upstream_requests_total{$S_A}") $(pv p "portico_upstream_fails_total{$S_A}") $(pv p "portico_upstream_active{$S_A}")"
check_eq "the dead one: up 0, every attempt failed, active 0" "0 ok 0" \
    "$(pv p "portico_upstream_up{$S_D}") $([ "$(pv p "portico_upstream_requests_total{$S_D}")" = "$(pv p "portico_upstream_fails_total{$S_D}")" ] && [ "$(pv p "portico_upstream_fails_total{$S_D}")" -ge 1 ] && echo ok) $(pv p "portico_upstream_active{$S_D}")"
http "$U/status"
check_eq "JSON tells the same of the live server" "true 4 0 0" \
    "$(jq -r --arg s "127.0.0.1:$PA" '.upstreams.app[] | select(.server == $s) | "\(.up) \(.requests) \(.fails) \(.active)"' "$BODY")"
check_eq "JSON: the group we\"ird\\x by its name" "127.0.0.1:$PA" \
    "$(jq -r '.upstreams["we\"ird\\x"][0].server' "$BODY")"
check "the whole text still passes promcheck.py" python3 "$PROMCHECK" "$T/p.prom"
if command -v promtool >/dev/null; then
    check_eq "... and promtool check metrics" "" "$(promtool check metrics <"$T/p.prom" 2>&1)"
fi

# ======================================= a worker dies: nothing is lost
snap k1
victim=$(pgrep -P "$SERVER_PID" | head -1)
kill -KILL "$victim"
replaced() { [ "$(pgrep -P "$SERVER_PID" | wc -l)" = 2 ] && ! pgrep -P "$SERVER_PID" | grep -qx "$victim"; }
check "a worker killed, another started" poll 5 replaced
SERVER_CHILDREN=$(pgrep -P "$SERVER_PID" | sort | tr '\n' ' ')
sleep 0.2
snap k2
for s in portico_received_bytes_total portico_sent_bytes_total; do
    check "after the worker's death $s has grown ($(pv k1 "$s") -> $(pv k2 "$s"))" \
        "[ $(pv k2 "$s") -gt $(pv k1 "$s") ]"
done
for s in portico_cgi_processes_started_total portico_cgi_timeouts_total portico_upload_bytes_total \
    'portico_responses_total{class="1xx"}' 'portico_responses_total{class="4xx"}' \
    'portico_responses_total{class="5xx"}'; do
    check_eq "... $s kept exactly" "$(pv k1 "$s")" "$(pv k2 "$s")"
done
check_eq "... 2xx: the one scrape more" 1 "$(delta k1 k2 'portico_responses_total{class="2xx"}')"
check_eq "... requests_total: the one scrape more" 1 "$(delta k1 k2 portico_requests_total)"

stop_server
exit 0
