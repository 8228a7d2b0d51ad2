#!/usr/bin/env python3
"""N clients at once, each GETting PATH (after a common start barrier) and
comparing the body with FILE byte for byte.

usage: parallel.py PORT PATH FILE [N] [REQUESTS_PER_CLIENT]
Prints: ok=K failed=F [first few failures]
"""
import socket
import sys
import threading

port, path, want_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = int(sys.argv[4]) if len(sys.argv) > 4 else 200
per = int(sys.argv[5]) if len(sys.argv) > 5 else 1
want = open(want_file, "rb").read()
barrier = threading.Barrier(n, timeout=30)
lock = threading.Lock()
ok = 0
fails = []


def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        c = s.recv(65536)
        if not c:
            raise EOFError("closed before the head (%d bytes)" % len(buf))
        buf += c
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0]
    length = None
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    if length is None:
        raise ValueError("no Content-Length: %r" % status)
    while len(rest) < length:
        c = s.recv(65536)
        if not c:
            raise EOFError("closed in the body")
        rest += c
    return status, rest[:length], rest[length:]


def client(i):
    global ok
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        s.settimeout(20)
        buf = b""
        for j in range(per):
            last = j == per - 1
            s.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % (
                path.encode(), b"Connection: close\r\n" if last else b""))
            status, body, buf = read_response(s, buf)
            if not status.startswith(b"HTTP/1.1 200") or body != want:
                raise ValueError("%r, body %d bytes%s" % (
                    status, len(body), "" if body == want else " (differs)"))
        s.close()
        with lock:
            ok += 1
    except Exception as e:  # noqa: BLE001 -- every failure is reported
        with lock:
            fails.append("client %d: %s: %s" % (i, type(e).__name__, e))


threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
print("ok=%d failed=%d %s" % (ok, n - ok, " | ".join(fails[:3])))
