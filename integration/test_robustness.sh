#!/usr/bin/env bash
# Hostile and heavy traffic: 300 malformed requests, then 200 parallel
# clients. The server must answer sanely, stay up, and keep every worker.
. "$(dirname "$0")/lib.sh"

use_config basic
start_server "$CONFIG" || exit 0

# ---- 300 malformed requests, each on its own connection ----
out=$(timeout $((60 * SLOW)) python3 "$HELPERS/malformed.py" "$PORT" 300 1234)
summary=$(head -1 <<<"$out")
echo "    $summary"
check_match "300 malformed requests all sent" '^sent=300 ' "$summary"
check_match "malformed requests: no bad answers (non-HTTP/1.1 line, 500, 200 for garbage)" ' bad=0$' "$summary"
[ "$(wc -l <<<"$out")" -gt 1 ] && echo "$out" | sed -n '2,6p' | sed 's/^/    /'
answered=$(sed -n 's/.* answered=\([0-9]*\).*/\1/p' <<<"$summary")
check "most malformed requests get an HTTP answer ($answered of 300)" "[ '${answered:-0}' -ge 150 ]"

http "$U/"
expect_status "GET / -> 200 after the malformed requests" 200
expect_body_file "GET / body intact after the malformed requests" "$WWW/index.html"

# A second round with another seed, all connections cut at once.
out=$(timeout $((60 * SLOW)) python3 "$HELPERS/malformed.py" "$PORT" 100 98765)
check_match "another 100 malformed requests: no bad answers" ' bad=0$' "$(head -1 <<<"$out")"

# Connections that reset right after sending.
python3 - "$PORT" <<'EOF'
import socket, struct, sys
for i in range(50):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.sendall(b"GET /bin.dat HTTP/1.1\r\nHost: x\r\n\r\n" if i % 2 else b"GET / HT")
    s.close()  # RST
EOF
http "$U/1k.txt"
expect_status "GET -> 200 after 50 connection resets" 200
expect_body_file "body intact after resets" "$WWW/1k.txt"

# ---- 200 parallel clients ----
out=$(timeout $((60 * SLOW)) python3 "$HELPERS/parallel.py" "$PORT" /1k.txt "$WWW/1k.txt" 200 1)
check_match "200 parallel clients all get 200 and the right body" '^ok=200 failed=0' "$out"
out=$(timeout $((60 * SLOW)) python3 "$HELPERS/parallel.py" "$PORT" /bin.dat "$WWW/bin.dat" 100 5)
check_match "100 parallel keep-alive clients x 5 requests: all right" '^ok=100 failed=0' "$out"

# curl in parallel too (a different client, separate processes).
seq 1 100 | xargs -P 50 -I{} curl -s --max-time "$MAXT" -o /dev/null -w '%{http_code} %{size_download}\n' \
    "$U/index.html?c={}" >"$T/xargs.out" 2>/dev/null
check_eq "100 curl processes, 50 at a time: all 200 with the full body" \
    100 "$(grep -c "^200 $(wc -c <"$WWW/index.html")\$" "$T/xargs.out")"

http "$U/"
expect_status "GET / still 200 at the end" 200
stop_server
exit 0
