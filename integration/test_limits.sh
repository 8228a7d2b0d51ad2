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
exit 0
