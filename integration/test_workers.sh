#!/usr/bin/env bash
# Worker processes (issue 5, items 2 and 3): `workers: N` and `auto`, the
# /status counters summed over workers, a killed worker replaced, clean
# exits, SIGHUP reloads under load (a large download in flight, a stream of
# new connections) with nothing refused and nothing cut, and a reload that
# changes the number of workers.
# shellcheck source=integration/lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$T/root
NEW=$T/newroot
mkdir -p "$ROOT" "$NEW"
cp "$WWW/index.html" "$WWW/1k.txt" "$ROOT/"
echo "new location here" >"$NEW/marker.txt"
python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(50 << 20))' "$ROOT/big50.bin"

PORT=$(free_port)
PORTB=$(free_port)
while [ "$PORTB" = "$PORT" ]; do PORTB=$(free_port); done
U=http://127.0.0.1:$PORT
CFG=$T/workers.yaml
LISTEN="\"127.0.0.1:$PORT\""

# write_cfg WORKERS [with-new]: the config; with-new adds the /new/ location
write_cfg() {
    cat >"$CFG" <<EOF
workers: $1
error_log: "-"
log_level: info
access_log: off
servers:
  - listen: $LISTEN
    root: $ROOT
    locations:
      /:
        methods: [GET, HEAD]
      /status:
        status: true
EOF
    if [ "${2:-}" = with-new ]; then
        cat >>"$CFG" <<EOF
      /new/:
        root: $NEW
EOF
    fi
}

kids() { pgrep -P "$SERVER_PID" | sort | tr '\n' ' '; }
nkids() { pgrep -P "$SERVER_PID" | wc -l | tr -d ' '; }

# status_field JQ-PATH: a field of /status ('' when the request fails)
status_field() {
    curl -s --max-time "$MAXT" "$U/status" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print("" if d is None else d)' "$1"
}

# wait_kids N SECONDS: until the master has N children; returns 1 if not
# shellcheck disable=SC2317 # called from check strings
wait_kids() {
    local i
    for ((i = 0; i < $2 * 10 * SLOW; i++)); do
        [ "$(nkids)" = "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- workers: 3 ----
write_cfg 3
start_server "$CFG" || exit 0
check_eq "workers: 3 -> 3 worker processes under the master (pgrep -P)" 3 "$(nkids)"
ok=1
for c in $(kids); do
    [ "$(awk '/^PPid:/ { print $2 }' "/proc/$c/status" 2>/dev/null)" = "$SERVER_PID" ] || ok=0
    tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -qF "$(basename "$PORTICO_BIN")" || ok=0
done
check_eq "... each a portico process whose parent is the master" 1 "$ok"
check_eq "/status: workers = 3" 3 "$(status_field workers)"
check_match "/status: connections.active is a number" '^[0-9]+$' "$(status_field connections.active)"
check_match "/status: uptime_s is a number" '^[0-9]+$' "$(status_field uptime_s)"

N=60
before=$(status_field requests.total)
ok=0
for ((i = 0; i < N; i++)); do
    # a new connection each time: SO_REUSEPORT spreads them over the workers
    code=$(curl -s -o /dev/null --max-time "$MAXT" -w '%{http_code}' "$U/1k.txt?n=$i")
    [ "$code" = 200 ] && ok=$((ok + 1))
done
after=$(status_field requests.total)
check_eq "$N requests on separate connections: all 200" "$N" "$ok"
if [[ $before =~ ^[0-9]+$ ]] && [[ $after =~ ^[0-9]+$ ]] && [ $((after - before)) -ge $N ] &&
    [ $((after - before)) -le $((N + 5)) ]; then
    pass "/status requests.total grows by $N..$((N + 5)) over all workers ($before -> $after)"
else
    fail "/status requests.total grows by $N..$((N + 5)) over all workers" "before '$before', after '$after' (a count of one worker would grow by about $((N / 3)))"
fi
# A connection that stays open shows in connections.active of /status.
python3 - "$PORT" >"$T/hold.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(2)
EOF
holder=$!
sleep 0.5
active=$(status_field connections.active)
check "/status connections.active counts an idle open connection (>= 2, got $active)" "[ '${active:-0}' -ge 2 ]"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# ---- a killed worker is replaced ----
victim=$(pgrep -P "$SERVER_PID" | head -1)
total_before_kill=$(status_field requests.total)
t0=$(date +%s%N)
kill -KILL "$victim"
replaced=
for ((i = 0; i < 40 * SLOW; i++)); do
    sleep 0.05
    if [ "$(nkids)" = 3 ] && ! pgrep -P "$SERVER_PID" | grep -qx "$victim"; then
        replaced=$((($(date +%s%N) - t0) / 1000000))
        break
    fi
done
if [ -n "$replaced" ]; then
    pass "kill -9 of a worker: replaced within 2 s (${replaced} ms)"
else
    fail "kill -9 of a worker: replaced within 2 s" "children now: $(kids) (killed $victim)"
fi
ok=0
for ((i = 0; i < 30; i++)); do
    code=$(curl -s -o /dev/null --max-time "$MAXT" -w '%{http_code}' "$U/1k.txt?after-kill=$i")
    [ "$code" = 200 ] && ok=$((ok + 1))
done
check_eq "after the kill: 30 new connections all answered 200" 30 "$ok"
check_eq "/status: still workers = 3" 3 "$(status_field workers)"
total_after_kill=$(status_field requests.total)
check "/status requests.total keeps the dead worker's count ($total_before_kill -> $total_after_kill)" \
    "[ '${total_after_kill:-0}' -ge $((${total_before_kill:-0} + 30)) ]"
check "the master logged the dead worker" "grep -q 'worker $victim killed by signal 9' '$SERVER_ERR'"

# ---- SIGTERM: exit 0, no worker left ----
SERVER_CHILDREN=$(kids)
pid=$SERVER_PID
stop_server # SIGTERM; checks exit 0, every worker gone, port closed
check_eq "after SIGTERM no child of the master remains" "" "$(pgrep -P "$pid" | tr '\n' ' ')"

# ---- workers: auto ----
write_cfg auto
start_server "$CFG" || exit 0
check_eq "workers: auto -> as many workers as nproc" "$(nproc)" "$(nkids)"
check_eq "/status: workers = nproc" "$(nproc)" "$(status_field workers)"
SERVER_CHILDREN=$(kids)
stop_server

# ---- the master killed outright: the workers follow it ----
write_cfg 2
start_server "$CFG" || exit 0
pid=$SERVER_PID
ws=$(kids)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
SERVER_PID=
left=
for ((i = 0; i < 30 * SLOW; i++)); do
    left=
    for c in $ws; do is_running "$c" && left="$left $c"; done
    [ -z "$left" ] && break
    sleep 0.1
done
check_eq "master killed with SIGKILL: its workers exit too (within 3 s)" "" "$left"
for c in $left; do kill -KILL "$c" 2>/dev/null; done

# ---- SIGHUP adding a location while a large file streams ----
write_cfg 2
start_server "$CFG" || exit 0
http "$U/new/marker.txt"
expect_status "before SIGHUP: /new/marker.txt is not there (404)" 404
curl -s --max-time $((30 * SLOW)) --limit-rate 20M -o "$T/big.out" -w '%{http_code}' \
    "$U/big50.bin" >"$T/big.code" 2>"$T/big.err" &
dl=$!
sleep 0.5
old=$(kids)
write_cfg 2 with-new
kill -HUP "$SERVER_PID"
new_ok=
during=0
for ((i = 0; i < 50 * SLOW; i++)); do
    http "$U/new/marker.txt"
    if [ "$STATUS" = 200 ]; then
        new_ok=1
        is_running "$dl" && during=1
        break
    fi
    sleep 0.1
done
check_eq "SIGHUP: the new location answers 200 after the reload" 1 "${new_ok:-0}"
expect_body "... with its file" "new location here"
check_eq "... while the 50 MiB download is still in flight" 1 "$during"
wait "$dl"
rc=$?
check_eq "the 50 MiB download in flight at SIGHUP: curl exit 0" 0 "$rc"
check_eq "... status 200" 200 "$(cat "$T/big.code")"
if cmp -s "$T/big.out" "$ROOT/big50.bin"; then
    pass "... byte-exact (52428800 bytes)"
else
    fail "... byte-exact" "got $(wc -c <"$T/big.out") bytes, $(cmp "$T/big.out" "$ROOT/big50.bin" 2>&1 | head -1); curl: $(head -c 200 "$T/big.err")"
fi
gone=1
for ((i = 0; i < 50 * SLOW; i++)); do
    gone=1
    for c in $old; do is_running "$c" && gone=0; done
    [ "$gone" = 1 ] && break
    sleep 0.1
done
check_eq "the old workers exit once the download is done" 1 "$gone"
check "... and 2 new workers serve" "wait_kids 2 3"
http "$U/new/marker.txt"
expect_status "the new location still answers after the old workers left" 200
check "the reload is logged" "grep -q 'configuration reloaded' '$SERVER_ERR'"

# ---- SIGHUP x3 during a stream of new connections: nothing refused ----
N=300
(
    for ((i = 0; i < N; i++)); do
        curl -s -o /dev/null --max-time $((5 * SLOW)) -w '%{http_code}\n' "$U/1k.txt?loop=$i" 2>>"$T/loop.err" ||
            true
    done
) >"$T/loop.codes" &
loop=$!
for h in 1 2 3; do
    sleep 0.6
    if [ "$h" = 2 ]; then write_cfg 2; else write_cfg 2 with-new; fi
    kill -HUP "$SERVER_PID"
done
wait "$loop"
codes=$(sort "$T/loop.codes" | uniq -c | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
check_eq "$N sequential requests during 3 SIGHUPs: all answered" "$N" "$(wc -l <"$T/loop.codes" | tr -d ' ')"
check_eq "... all 200 (no refused connection, no error)" "200 x$N" "$codes"
[ -s "$T/loop.err" ] && echo "    curl said: $(sort "$T/loop.err" | uniq -c | head -3 | tr '\n' ' ')"
check_eq "3 reloads logged" 3 "$(grep -c 'configuration reloaded' "$SERVER_ERR" | awk '{ print $1 - 1 }')"

# ---- a connection open at SIGHUP, its request sent after: served ----
# One accepted but not used yet (its first request on the way) must not be
# closed as idle by the draining old worker.
python3 - "$PORT" "$SERVER_PID" >"$T/late.out" 2>&1 <<'EOF'
import os, signal, socket, sys, time
port, master = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /1k.txt HTTP/1.1\r\nHost: x\r\n\r\n"
def answer(s):
    s.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        got = s.recv(4096)
        if not got:
            return "closed before an answer"
        data += got
    return data.split(b"\r\n")[0].decode()
fresh = socket.create_connection(("127.0.0.1", port))
time.sleep(0.3)  # accepted by a worker of now
os.kill(master, signal.SIGHUP)
time.sleep(0.5)  # the old workers drain
fresh.sendall(req)
print("fresh:", answer(fresh))
EOF
check_match "a connection accepted before SIGHUP, its first request after: 200" "fresh: HTTP/1.1 200" "$(cat "$T/late.out")"
check "after the reloads: 2 workers" "wait_kids 2 5"
http "$U/new/marker.txt"
expect_status "the last configuration (with /new/) is served" 200

# ---- SIGHUP changing the number of workers ----
write_cfg 3 with-new
kill -HUP "$SERVER_PID"
check "SIGHUP workers 2 -> 3: 3 workers" "wait_kids 3 5"
check_eq "/status: workers = 3" 3 "$(status_field workers)"
write_cfg 1 with-new
kill -HUP "$SERVER_PID"
check "SIGHUP workers 3 -> 1: 1 worker" "wait_kids 1 5"
sleep 0.5
# Every new connection must be answered: with 1 worker, a listening socket
# left over from the 3-worker generation would take a share of them and
# never accept (SO_REUSEPORT hashes connections over all its sockets).
ok=0
bad=
for ((i = 0; i < 15; i++)); do
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "$U/1k.txt?fewer=$i")
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad="$bad $code"; fi
done
# shellcheck disable=SC2034 # read by lib.sh
LAST_REQ="curl --max-time 1 $U/1k.txt?fewer=N (15 times)"
check_eq "after workers 3 -> 1: 15 new connections all answered 200 (1 s limit each)" 15 "$ok"
[ -n "$bad" ] && echo "    non-200 answers:$bad; listening sockets on the port: $(ss -ltn "sport = :$PORT" 2>/dev/null | grep -c LISTEN)"
w=
for ((i = 0; i < 20; i++)); do # (retried: the check above may find hanging sockets)
    w=$(MAXT=0.5 status_field workers)
    [ -n "$w" ] && break
done
check_eq "/status: workers = 1" 1 "$w"

SERVER_CHILDREN=$(kids)
stop_server

# ---- SIGHUP adding, then removing a listen address ----
write_cfg 2
start_server "$CFG" || exit 0
LISTEN="[\"127.0.0.1:$PORT\", \"127.0.0.1:$PORTB\"]"
write_cfg 2 with-new
kill -HUP "$SERVER_PID"
ok=
for ((i = 0; i < 30 * SLOW; i++)); do
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$PORTB/1k.txt")
    [ "$code" = 200 ] && ok=1 && break
    sleep 0.1
done
check_eq "SIGHUP adding a listen address: it answers" 1 "${ok:-0}"
check "... with 2 workers" "wait_kids 2 5"
LISTEN="\"127.0.0.1:$PORT\""
write_cfg 2 with-new
kill -HUP "$SERVER_PID"
sleep 1
code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$PORTB/1k.txt")
rc=$?
LAST_REQ="curl --max-time 2 http://127.0.0.1:$PORTB/1k.txt"
check_eq "SIGHUP removing that address: a new connection to it is refused (curl exit/status)" "7/000" "$rc/$code"
http "$U/1k.txt"
expect_status "... the remaining address still answers" 200

SERVER_CHILDREN=$(kids)
stop_server
exit 0
