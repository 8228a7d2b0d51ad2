#!/usr/bin/env python3
"""Sends N malformed requests, each on its own connection, many at a time.

usage: malformed.py PORT [N] [SEED]
Prints one summary line:
  sent=N answered=A closed=C statuses=400:12,408:3,... bad=K
and then, one per line, the cases that got a bad answer: a status line that
is not HTTP/1.1, a 5xx other than 501/505, or a 200 for garbage. A case
whose connection simply closes or stays silent is fine (short timeouts).
"""
import collections
import random
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

PORT = int(sys.argv[1])
N = int(sys.argv[2]) if len(sys.argv) > 2 else 300
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else 1234
rng = random.Random(SEED)

GOOD = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nUser-Agent: fuzz\r\nAccept: */*\r\n\r\n"


def rand_bytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def mutate(data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randint(0, 3)
        pos = rng.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] = rng.getrandbits(8)
        elif op == 1:
            b[pos:pos] = rand_bytes(rng.randint(1, 8))
        elif op == 2 and b:
            del b[pos : pos + rng.randint(1, 8)]
        else:
            b[pos:pos] = rng.choice([b"\r\n", b"\n", b"\r", b":", b" ", b"\x00", b"%", b"\r\n\r\n"])
    return bytes(b)


def cases():
    """(name, bytes, half_close) tuples, deterministic for SEED."""
    out = []
    kinds = [
        "random", "mutated", "truncated", "huge_header", "many_headers",
        "bad_version", "bad_method", "bad_target", "bad_cl", "bad_chunked", "binary_line",
    ]
    for i in range(N):
        k = kinds[i % len(kinds)]
        if k == "random":
            d = rand_bytes(rng.randint(1, 2000))
        elif k == "mutated":
            d = mutate(GOOD)
        elif k == "truncated":
            d = GOOD[: rng.randrange(1, len(GOOD) - 1)]
        elif k == "huge_header":
            d = b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"A" * rng.randint(1000, 70000) + b"\r\n\r\n"
        elif k == "many_headers":
            d = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
                b"X-%d: %d\r\n" % (j, j) for j in range(rng.randint(90, 3000))) + b"\r\n"
        elif k == "bad_version":
            v = rng.choice([b"HTTP/1.2", b"HTTP/0.9", b"HTTP/9.9", b"HTTP/1", b"HTTP/1.1.1", b"HTTP/",
                            b"http/1.1", b"HTTP/11", b"HTTP/1.x", b"HTTP/-1.1", b"HTTPS/1.1", b""])
            d = b"GET / " + v + b"\r\nHost: x\r\n\r\n"
        elif k == "bad_method":
            m = rng.choice([b"G\x00T", b"GET\t", b"", b"\xff\xfe", b"GETGETGETGETGETGETGETGET" * 40,
                            b"get", b"PO ST", b"(GET)"])
            d = m + b" / HTTP/1.1\r\nHost: x\r\n\r\n"
        elif k == "bad_target":
            t = rng.choice([b"", b"*", b"//", b"/%", b"/%g0", b"/\x00", b"/\xff\xfe", b"/a b",
                            b"http://", b"http://[::1", b"/" + b"../" * 50, b"/%2e%2e/" * 20,
                            b"/" + b"x" * 5000, b"/?" + b"q" * 900, b"/#frag", b"\t/"])
            d = b"GET " + t + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        elif k == "bad_cl":
            cl = rng.choice([b"-5", b"abc", b"1 2", b"99999999999999999999999", b"", b"0x10",
                             b"+5", b"5, 6", b" ", b"1e3"])
            d = b"POST /post/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl + b"\r\n\r\nhello"
        elif k == "bad_chunked":
            body = rng.choice([b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhel", b"FFFFFFFFFFFFFFFFFFFF\r\n",
                               b"5\r\nhelloXX0\r\n\r\n", b"-1\r\n", b"0\r\n", b"5;" + b"e" * 3000 + b"\r\n"])
            te = rng.choice([b"chunked", b"chunked, chunked", b"gzip, chunked", b"chunked, gzip",
                             b"Chunked", b" chunked "])
            d = b"POST /post/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te + b"\r\n\r\n" + body
        else:  # binary_line
            d = rand_bytes(rng.randint(1, 40)) + b"\r\n\r\n"
        out.append((k, d, rng.random() < 0.5))
    return out


def run(case):
    kind, data, half_close = case
    s = None
    try:
        s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
        s.settimeout(1.0)
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        buf = b""
        closed = False
        try:
            while len(buf) < 200000:
                c = s.recv(65536)
                if not c:
                    closed = True
                    break
                buf += c
        except OSError:
            pass
        return kind, data, buf, closed
    except OSError as e:
        return kind, data, ("connect: %s" % e).encode(), False
    finally:
        if s:
            s.close()


def main():
    all_cases = cases()
    statuses = collections.Counter()
    answered = closed_n = 0
    bad = []
    with ThreadPoolExecutor(max_workers=40) as ex:
        for kind, data, buf, closed in ex.map(run, all_cases):
            closed_n += closed
            if buf.startswith(b"connect:"):
                bad.append("%s: %s" % (kind, buf.decode()))
                continue
            if not buf:
                continue
            answered += 1
            line = buf.split(b"\r\n", 1)[0]
            parts = line.split(b" ")
            if len(parts) < 2 or parts[0] != b"HTTP/1.1" or not parts[1].isdigit():
                bad.append("%s: bad status line %r for %r" % (kind, line[:80], data[:80]))
                continue
            code = int(parts[1])
            statuses[code] += 1
            if code >= 500 and code not in (501, 505):
                bad.append("%s: %d for %r" % (kind, code, data[:100]))
            if kind in ("random", "binary_line") and code == 200:
                bad.append("%s: 200 for garbage %r" % (kind, data[:100]))
    print("sent=%d answered=%d closed=%d statuses=%s bad=%d" % (
        len(all_cases), answered, closed_n,
        ",".join("%d:%d" % kv for kv in sorted(statuses.items())), len(bad)))
    for b in bad[:20]:
        print(b)


if __name__ == "__main__":
    main()
