#!/usr/bin/env bash
# limits.connections: 5 (one worker). A 6th connection is not refused: it
# waits in the listen backlog and is served as soon as one of the 5 closes.
. "$(dirname "$0")/lib.sh"

use_config connections
start_server "$CONFIG" || exit 0

out=$(timeout $((30 * SLOW)) python3 - "$PORT" "$SLOW" <<'EOF'
import socket, sys, time
port, slow = int(sys.argv[1]), int(sys.argv[2])
REQ = b"GET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

def answer(s, timeout):
    s.settimeout(timeout)
    buf = b""
    eof = False
    try:
        while True:
            c = s.recv(65536)
            if not c:
                eof = True
                break
            buf += c
    except socket.timeout:
        pass
    except OSError as e:
        return "error:%s" % e.__class__.__name__
    if not buf:
        return "closed" if eof else "nothing"
    return buf.split(b"\r\n")[0].decode(errors="replace")

# Five idle connections take every slot (given a moment to be accepted).
idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
time.sleep(0.3 * slow)

# The 6th connects (the kernel completes the handshake: backlog), sends a
# request, and gets no answer while the five stay open.
sixth = socket.create_connection(("127.0.0.1", port), timeout=5)
sixth.sendall(REQ)
early = answer(sixth, 1.0 * slow)
print("while-full:", early)

# One of the five goes away: the 6th is served now.
idle[0].close()
t0 = time.monotonic()
late = answer(sixth, 5.0 * slow)
print("after-close:", late, "%.1f" % (time.monotonic() - t0))

# The idle four are still working connections.
idle[1].sendall(REQ)
print("idle-one:", answer(idle[1], 5.0 * slow))
for s in idle[2:]:
    s.close()
EOF
)
echo "$out" | sed 's/^/    /'
check_match "6th connection gets no answer while 5 are open" '^while-full: nothing$' "$(grep '^while-full:' <<<"$out")"
check_match "6th connection is served once one of the 5 closes" '^after-close: HTTP/1.1 200 OK' "$(grep '^after-close:' <<<"$out")"
check_match "an idle connection from before is served normally" '^idle-one: HTTP/1.1 200 OK' "$(grep '^idle-one:' <<<"$out")"

# 30 clients at once with room for 5: all served, just later.
out=$(timeout $((60 * SLOW)) python3 "$HELPERS/parallel.py" "$PORT" /notes.txt "$WWW/notes.txt" 30 3)
check_match "30 parallel clients x 3 requests with connections: 5: all served" '^ok=30 failed=0' "$out"

http "$U/"
expect_status "GET / -> 200 afterwards" 200
stop_server

# ---- out of file descriptors: accepting pauses, no spin, little log ----
# One worker may open 96 descriptors; 150 clients connect at once and stay.
# accept() fails with EMFILE: the worker pauses accepting for a moment
# instead of spinning on the ready listener (nginx does the same), logs
# once per episode, and serves again once clients leave.
ER=$T/emfile.err
cat >"$T/emfile.yaml" <<EOF
workers: 1
error_log: "-"
access_log: off
servers:
  - listen: "127.0.0.1:$PORT"
    root: $WWW
    locations: {/: {}}
EOF
OLD_WRAP=$PORTICO_WRAP
PORTICO_WRAP="prlimit --nofile=96:96 $PORTICO_WRAP"
start_server "$T/emfile.yaml" || exit 0
PORTICO_WRAP=$OLD_WRAP
worker=$(pgrep -P "$SERVER_PID" | head -1)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
python3 - "$PORT" "$T/hold.ready" <<'EOF' &
import socket, sys, time
socks = []
for _ in range(150):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        break
open(sys.argv[2], "w").write("%d\n" % len(socks))
time.sleep(4)
EOF
holder=$!
for ((i = 0; i < 50; i++)); do [ -s "$T/hold.ready" ] && break; sleep 0.1; done
sleep 0.5
c0=$(cpu "$worker")
sleep 2
c1=$(cpu "$worker")
ticks=$((c1 - c0))
check "150 connections on 96 descriptors: the worker does not spin (${ticks} ticks of CPU in 2 s)" \
    "[ $ticks -lt $((40 * SLOW)) ]"
n=$(grep -c 'accept' "$SERVER_ERR")
check "... and logs the exhaustion once, not per attempt ($n lines)" "[ $n -ge 1 ] && [ $n -lt 20 ]"
check_match "... naming the way out" 'ulimit -n' "$(grep -m1 accept "$SERVER_ERR")"
wait "$holder"
t0=$(date +%s%N)
http "$U/notes.txt"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_status "once the clients left: served again" 200
check "... at once (${ms} ms)" "[ $ms -lt $((1000 * SLOW)) ]"
stop_server
OUT=$("$PORTICO_BIN" -t -c "$T/emfile.yaml" 2>&1)
check_eq "-t with the default limits.connections: no warning here" "configuration OK" "$OUT"
OUT=$(prlimit --nofile=96:96 "$PORTICO_BIN" -t -c "$T/emfile.yaml" 2>&1)
check_match "-t under ulimit -n 96: warns that limits.connections cannot fit" \
    "warning: limits.connections 10000 needs at least 10064 file descriptors, but a process may open 96" "$OUT"

# ---- memory per stalled upload ----
# 300 clients each send a PUT head and 100 bytes of a 1 MiB body, then
# stall. While waiting, a request holds no read buffer and no body buffer:
# the worker's RSS grows by well under 16 KiB per stalled upload (it grew by
# ~175 KiB each before the buffers were handed back).
mkdir -p "$T/upl"
cat >"$T/stall.yaml" <<EOF
workers: 1
error_log: "-"
access_log: off
timeouts: {body: 60s}
servers:
  - listen: "127.0.0.1:$PORT"
    root: $T/upl
    locations:
      /:
        methods: [GET, PUT]
        upload: true
        limits: {body_size: 10m}
EOF
start_server "$T/stall.yaml" || exit 0
worker=$(pgrep -P "$SERVER_PID" | head -1)
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
r0=$(rss "$worker")
python3 - "$PORT" "$T/stall.ready" <<'EOF' &
import socket, sys, time
socks = []
for i in range(300):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"PUT /f%d.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" % i + b"x" * 100)
    socks.append(s)
open(sys.argv[2], "w").write("ok\n")
time.sleep(3)
EOF
stalls=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/stall.ready" ] && break; sleep 0.1; done
sleep 1
r1=$(rss "$worker")
per=$(((r1 - r0) * 1024 / 300))
check "300 stalled uploads: ${per} bytes of worker RSS each (< 16 KiB)" "[ $per -lt 16384 ]"
wait "$stalls"
sleep 0.5
check_eq "... and the cut-off uploads left nothing behind" "" "$(ls -A "$T/upl")"
stop_server
exit 0
