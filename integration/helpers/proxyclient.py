#!/usr/bin/env python3
"""Clients for the proxy's integration tests (standard library only).

  proxyclient.py load --port P --path PATH [--clients N] [--requests M]
        [--method GET] [--body-bytes K] [--status 200] [--pattern BYTES]
        [--reconnect] [--barrier] [--timeout S] [--host H] [--bind IP]
    N clients at once, each sending M requests over one keep-alive
    connection (a new one only when the server closes it after a whole
    response). Prints one JSON object: {"ok", "failed", "statuses" {code:
    count}, "ids" {X-Up-Id: count}, "conns" (connections opened),
    "reconnects", "errors" [the first few], "seconds"}. A request counts as
    ok when its status is --status and, with --pattern, its body is the
    upstream's pattern of that many bytes. --reconnect: a request on a
    reused connection that the server closed before any byte of the answer
    is sent again on a new one (what browsers and curl do; counted in
    "reconnects"). --barrier: every client waits for the others before its
    first request (N requests at the same moment).

  proxyclient.py slowread --port P --path PATH --rate B [--rcvbuf N] [--timeout S]
        [--max N]
    GET PATH, then read the answer at a steady B bytes/s through a receive
    buffer of N bytes (64 KiB): the server feels the pace at once. Prints
    {"status", "length" (Content-Length or null), "got" (body bytes),
    "sha256", "seconds", "end": complete|eof|timeout|max}. --max N: close
    the connection once N body bytes came (end "max").

  proxyclient.py ws --port P --path PATH [--timeout S] [--idle S [--talk S2]]
    A WebSocket through the proxy: the handshake, text, binary (100 KiB)
    and fragmented frames, a ping, then the close handshake. Prints one
    line per step, "ok STEP" or "FAIL STEP: why", and "done". With --idle:
    the handshake, then silence (or with --talk, a text frame every S2
    seconds), reading whatever comes, for at most S seconds: "closed after
    T got N" or "still open after T got N" (N: bytes received after the
    handshake).
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pattern_bytes(n):
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True
    import upstream  # noqa: E402 -- the same bytes the backend sends

    return b"".join(bytes(s) for s in upstream.PatternStream().slices(n, 1 << 19))


class EarlyClose(Exception):
    """The connection ended before any byte of the response."""


class Client:
    def __init__(self, a):
        self.a = a
        self.s = None
        self.buf = b""
        self.reused = False

    def connect(self):
        self.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.a.bind:
            s.bind((self.a.bind, 0))
        s.settimeout(self.a.timeout)
        s.connect((self.a.host_ip, self.a.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.s = s
        self.buf = b""
        self.reused = False
        return s

    def close(self):
        if self.s:
            self.s.close()
            self.s = None

    def more(self, got_any):
        try:
            c = self.s.recv(262144)
        except ConnectionResetError:
            c = b""
        if not c:
            if not got_any:
                raise EarlyClose()
            raise EOFError("closed in the middle of a response")
        self.buf += c

    def request(self, req, head_only):
        self.s.sendall(req)
        while b"\r\n\r\n" not in self.buf:
            self.more(bool(self.buf))
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        h = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            h[k.strip().lower().decode()] = v.strip().decode("latin-1")
        if status < 200:  # an interim answer reaching the client: report it
            return status, h, b"", False
        body = b""
        if head_only or status in (204, 304):
            pass
        elif "content-length" in h:
            n = int(h["content-length"])
            while len(self.buf) < n:
                self.more(True)
            body, self.buf = self.buf[:n], self.buf[n:]
        elif "chunked" in h.get("transfer-encoding", ""):
            parts = []
            while True:
                while b"\r\n" not in self.buf:
                    self.more(True)
                line, _, self.buf = self.buf.partition(b"\r\n")
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while b"\r\n\r\n" not in b"\r\n" + self.buf:
                        self.more(True)
                    i = (b"\r\n" + self.buf).index(b"\r\n\r\n")
                    self.buf = self.buf[i + 2 :]
                    break
                while len(self.buf) < size + 2:
                    self.more(True)
                parts.append(self.buf[:size])
                self.buf = self.buf[size + 2 :]
            body = b"".join(parts)
        else:
            while True:
                try:
                    self.more(True)
                except EOFError:
                    break
            body, self.buf = self.buf, b""
            return status, h, body, True
        closes = h.get("connection", "").lower() == "close"
        return status, h, body, closes


def load(a):
    a.host_ip = "127.0.0.1"
    want = pattern_bytes(a.pattern) if a.pattern is not None else None
    body = b"b" * a.body_bytes if a.body_bytes else b""
    req = ("%s %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (
        a.method, a.path, a.host,
        "Content-Length: %d\r\n" % len(body) if body or a.method in ("POST", "PUT") else "")
    ).encode() + body
    head_only = a.method == "HEAD"
    lock = threading.Lock()
    res = {"ok": 0, "failed": 0, "statuses": {}, "ids": {}, "conns": 0, "reconnects": 0,
           "errors": []}
    barrier = threading.Barrier(a.clients, timeout=a.timeout) if a.barrier else None

    def note(key, val):
        d = res[key]
        d[val] = d.get(val, 0) + 1

    def client(i):
        c = Client(a)
        if barrier:
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        for j in range(a.requests):
            try:
                if c.s is None:
                    c.connect()
                    with lock:
                        res["conns"] += 1
                try:
                    status, h, b, closes = c.request(req, head_only)
                except EarlyClose:
                    if not (a.reconnect and c.reused):
                        raise
                    c.connect()
                    with lock:
                        res["conns"] += 1
                        res["reconnects"] += 1
                    status, h, b, closes = c.request(req, head_only)
                c.reused = True
                good = status == a.status and (want is None or b == want)
                with lock:
                    note("statuses", str(status))
                    note("ids", h.get("x-up-id", "-"))
                    res["ok" if good else "failed"] += 1
                    if not good and len(res["errors"]) < 5:
                        res["errors"].append("client %d req %d: status %d, body %d bytes%s" % (
                            i, j, status, len(b),
                            "" if want is None or b == want else " (differs)"))
                if closes:
                    c.close()
            except Exception as e:  # noqa: BLE001 -- every failure is counted
                with lock:
                    res["failed"] += 1
                    note("statuses", "none")
                    if len(res["errors"]) < 5:
                        res["errors"].append("client %d req %d: %s: %s" % (
                            i, j, type(e).__name__, e))
                c.close()
        c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(a.clients)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + a.deadline
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    stuck = sum(t.is_alive() for t in threads)
    if stuck:
        res["errors"].append("%d clients still running at the deadline" % stuck)
        res["failed"] += stuck
    res["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(res))
    return 0


# ---------------------------------------------------------------- slow reader

def slowread(a):
    """GET PATH and read the answer at a steady RATE bytes/s through a small
    receive buffer (so the pace reaches the server at once, not in bursts)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(a.timeout)
    s.connect(("127.0.0.1", a.port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % a.path).encode())
    buf = b""
    res = {"status": 0, "length": None, "got": 0, "sha256": "", "seconds": 0, "end": "eof"}
    t0 = time.monotonic()
    h = hashlib.sha256()
    try:
        while b"\r\n\r\n" not in buf:
            c = s.recv(16384)
            if not c:
                raise EOFError()
            buf += c
        head, _, body = buf.partition(b"\r\n\r\n")
        res["status"] = int(head.split(b"\r\n")[0].split(b" ")[1])
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                res["length"] = int(v)
        if a.max:
            body = body[: a.max]
        h.update(body)
        got = len(body)
        step = 16384
        while res["length"] is None or got < res["length"]:
            if a.max and got >= a.max:
                res["end"] = "max"
                break
            ahead = got / a.rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
            c = s.recv(min(step, a.max - got) if a.max else step)
            if not c:
                break
            h.update(c)
            got += len(c)
        res["got"] = got
        if res["end"] != "max" and res["length"] is not None and got >= res["length"]:
            res["end"] = "complete"
    except (EOFError, ConnectionResetError):
        pass
    except socket.timeout:
        res["end"] = "timeout"
    res["sha256"] = h.hexdigest()
    res["seconds"] = round(time.monotonic() - t0, 3)
    print(json.dumps(res))
    return 0


# ---------------------------------------------------------------- websocket

def ws_frame(op, payload, fin=True):
    mask = os.urandom(4)
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def ws(a):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    buf = bytearray()

    def need(n):
        while len(buf) < n:
            c = s.recv(65536)
            if not c:
                raise EOFError("connection closed")
            buf.extend(c)
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def read_frame():
        b0, b1 = need(2)
        if b1 & 0x80:
            raise ValueError("a masked frame from the server")
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(need(2), "big")
        elif n == 127:
            n = int.from_bytes(need(8), "big")
        return b0 & 0x80, b0 & 0x0F, need(n)

    def step(name, fn):
        try:
            why = fn()
        except Exception as e:  # noqa: BLE001
            why = "%s: %s" % (type(e).__name__, e)
        print("ok %s" % name if not why else "FAIL %s: %s" % (name, why), flush=True)
        return not why

    key = base64.b64encode(os.urandom(16)).decode()
    accept = base64.b64encode(hashlib.sha1(
        key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()

    def handshake():
        s.sendall(("GET %s HTTP/1.1\r\nHost: ws.test\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\nOrigin: http://ws.test\r\n\r\n" % (
                       a.path, key)).encode())
        while b"\r\n\r\n" not in buf:
            c = s.recv(65536)
            if not c:
                return "closed before the 101 (%r)" % bytes(buf[:80])
            buf.extend(c)
        i = buf.index(b"\r\n\r\n")
        head = bytes(buf[:i]).decode("latin-1")
        del buf[: i + 4]
        lines = head.split("\r\n")
        h = {ln.split(":", 1)[0].strip().lower(): ln.split(":", 1)[1].strip()
             for ln in lines[1:] if ":" in ln}
        if " 101 " not in lines[0] + " ":
            return "status line %r" % lines[0]
        if h.get("upgrade", "").lower() != "websocket":
            return "Upgrade: %r" % h.get("upgrade")
        if "upgrade" not in h.get("connection", "").lower():
            return "Connection: %r" % h.get("connection")
        if h.get("sec-websocket-accept") != accept:
            return "Sec-WebSocket-Accept %r, want %r" % (h.get("sec-websocket-accept"), accept)
        return ""

    def echo(op, payload):
        def run():
            s.sendall(ws_frame(op, payload))
            fin, rop, data = read_frame()
            if (rop, data) != (op, payload) or not fin:
                return "got op %d, %d bytes (fin %s)" % (rop, len(data), bool(fin))
            return ""
        return run

    def fragmented():
        s.sendall(ws_frame(0x1, b"frag-one ", fin=False) + ws_frame(0x0, b"frag-two", fin=True))
        got = [read_frame(), read_frame()]
        data = b"".join(d for _, _, d in got)
        return "" if data == b"frag-one frag-two" and got[1][0] else "got %r" % got

    def ping():
        s.sendall(ws_frame(0x9, b"are-you-there"))
        fin, op, data = read_frame()
        return "" if (op, data) == (0xA, b"are-you-there") else "got op %d %r" % (op, data)

    def close():
        s.sendall(ws_frame(0x8, (1000).to_bytes(2, "big") + b"bye"))
        fin, op, data = read_frame()
        if op != 0x8 or data[:2] != (1000).to_bytes(2, "big"):
            return "got op %d %r" % (op, data[:10])
        t0 = time.monotonic()
        while True:  # then the connection ends
            c = s.recv(65536)
            if not c:
                break
            if time.monotonic() - t0 > a.timeout:
                return "still open"
        return ""

    if a.idle:
        if step("handshake (101, Upgrade, Connection, Sec-WebSocket-Accept)", handshake):
            idle(s, a, len(buf))
    elif step("handshake (101, Upgrade, Connection, Sec-WebSocket-Accept)", handshake):
        for name, fn in [
            ("text frame echoed", echo(0x1, b"hello through the proxy")),
            ("a second text frame echoed", echo(0x1, "héllo ünïcode".encode())),
            ("binary frame of 100 KiB echoed", echo(0x2, os.urandom(100 * 1024))),
            ("fragmented message echoed", fragmented),
            ("ping answered with pong", ping),
            ("close handshake, then the connection ends", close),
        ]:
            if not step(name, fn):
                break
    s.close()
    print("done")
    return 0


def idle(s, a, got):
    """After the handshake: silent (or a frame every a.talk seconds),
    reading what comes, until the connection ends or a.idle seconds."""
    t0 = time.monotonic()
    end = t0 + a.idle
    next_talk = t0 + a.talk if a.talk else end
    n = 0
    state = "still open"
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if now >= next_talk:
            n += 1
            try:
                s.sendall(ws_frame(0x1, b"client tick %d" % n))
            except (BrokenPipeError, ConnectionResetError):
                state = "closed"
                break
            next_talk += a.talk
            continue
        s.settimeout(max(0.001, min(end, next_talk) - now))
        try:
            c = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            c = b""
        if not c:
            state = "closed"
            break
        got += len(c)
    print("%s after %.2f got %d" % (state, time.monotonic() - t0, got))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    lp = sub.add_parser("load")
    lp.add_argument("--port", type=int, required=True)
    lp.add_argument("--path", required=True)
    lp.add_argument("--clients", type=int, default=1)
    lp.add_argument("--requests", type=int, default=1)
    lp.add_argument("--method", default="GET")
    lp.add_argument("--body-bytes", type=int, default=0)
    lp.add_argument("--status", type=int, default=200)
    lp.add_argument("--pattern", type=int)
    lp.add_argument("--reconnect", action="store_true")
    lp.add_argument("--barrier", action="store_true")
    lp.add_argument("--timeout", type=float, default=10.0, help="per socket operation")
    lp.add_argument("--deadline", type=float, default=60.0, help="for the whole run")
    lp.add_argument("--host", default="localhost")
    lp.add_argument("--bind", default="")
    wp = sub.add_parser("ws")
    wp.add_argument("--port", type=int, required=True)
    wp.add_argument("--path", required=True)
    wp.add_argument("--timeout", type=float, default=5.0)
    wp.add_argument("--idle", type=float, default=0.0,
                    help="after the handshake send nothing: print 'closed after S' or "
                    "'still open after S' (waiting at most this long)")
    wp.add_argument("--talk", type=float, default=0.0,
                    help="with --idle: send a text frame every this many seconds")
    sp = sub.add_parser("slowread")
    sp.add_argument("--port", type=int, required=True)
    sp.add_argument("--path", required=True)
    sp.add_argument("--rate", type=float, required=True, help="bytes/s")
    sp.add_argument("--rcvbuf", type=int, default=65536)
    sp.add_argument("--timeout", type=float, default=10.0)
    sp.add_argument("--max", type=int, default=0, help="close after this many body bytes")
    a = ap.parse_args()
    if a.cmd == "load":
        return load(a)
    if a.cmd == "slowread":
        return slowread(a)
    return ws(a)


if __name__ == "__main__":
    sys.exit(main())
