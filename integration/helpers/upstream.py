#!/usr/bin/env python3
"""A test backend for the proxy's integration tests (standard library only).

usage: upstream.py --port PORT [--id ID] [--health STATUS] [--mode normal|drop]
                   [--idle-close S]

HTTP/1.1 with keep-alive, one thread per connection. Every answer carries
  X-Up-Id: ID (the port unless --id)      X-Up-Conn: this connection's number
  X-Up-Conn-Req: requests on it so far    X-Up-Conns / X-Up-Reqs: totals
so a test sees which server answered and whether connections are reused.
--idle-close S: a keep-alive connection idle for S seconds after an answer
is closed (as servers with a short keep-alive timeout do).

What a request gets is chosen by its query string (whatever the path):
  (nothing)        200 with a JSON echo: {"id", "method", "target",
                   "version", "headers": [[name, value], ...], "body_len",
                   "body_sha256", "body_framing": none|length|chunked,
                   "body": first 4 KiB as latin-1, "conn", "conn_req", "peer"}
  echo=body        the request body itself as the response body
  status=N         that status (HEAD, 1xx, 204 and 304 never carry a body;
                   a 304 says the Content-Length of bytes=N when given)
  bytes=N          N bytes of the pattern (see PatternStream) as the body
  frame=length|chunked|close   how that body is framed (default length)
  chunk=K          chunked: chunks of K bytes (default: sizes that vary)
  rate=B           send the body at about B bytes/s
  cut=K            announce the whole body, close after K bytes of it
  pause_at=K&pause=S   stay silent S seconds after K bytes of the body
  sleep=S          sleep S seconds before the head (sleep_on=ID,...: only
                   on those servers)
  interim=N        N interim responses first (100 Continue, 103 Early Hints)
  hdr=Name:Value   an extra response header (repeatable)
  fill=N           filler headers X-Fill-001: ... of N bytes in all (as
                   "Name: value" lines with their CRLF), each value its own
  partial=S        the first lines of a head (no blank line), then silence
                   for S seconds, then a close
  hop=1            hop-by-hop headers in the answer (Connection naming
                   X-Hop-Named, X-Hop-Named, Keep-Alive, Proxy-Connection,
                   Trailer, Upgrade) that a proxy must not pass on
  close=1          answer with Connection: close, then close
  drop=1|ID,...    read the request (and its body), close without a byte
                   (on every server, or only on those listed)
  bad=dupcl|clte|garbage   an invalid response head
  tag=NAME         counted per NAME in /_stats (to count one scenario)
A GET with Upgrade: websocket and Sec-WebSocket-Key gets 101, then every
data frame is echoed back (RFC 6455; client frames must be masked, else
close 1002), pings are answered, a close is returned and the socket closed.
Its query may say talk=S (send a text frame every S seconds, read nothing)
or mute=1 (read the client's frames, answer none).

Paths of its own (not counted as requests):
  /healthz         the health status (200 unless switched), body ok/bad
  /_stats          JSON: id, port, conns (accepted), app_conns (those that
                   carried a counted request), requests, methods {}, tags {},
                   health_hits, ws, active, max_active, dropped, mode, health
  /_control?health=N&mode=normal|drop   switch; mode=drop drops every
                   counted request after reading it
  /_reset          zeroes the counters
"""
import argparse
import base64
import hashlib
import json
import socket
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PATTERN_BLOCK = 65521  # a prime: a lost or doubled buffer never lines up


class PatternStream:
    """The body every bytes=N answer sends: a block of PATTERN_BLOCK bytes
    from a fixed seed, repeated, cut at N. Test scripts get the same bytes
    from `upstream.py --pattern N`."""

    def __init__(self):
        block = bytearray()
        h = b"portico-proxy-test"
        while len(block) < PATTERN_BLOCK:
            h = hashlib.sha256(h).digest()
            block += h
        self.big = bytes(block[:PATTERN_BLOCK]) * 9  # slices of up to 8 blocks

    def slices(self, n, size):
        size = min(size, 8 * PATTERN_BLOCK)
        off = 0
        while off < n:
            want = min(size, n - off)
            start = off % PATTERN_BLOCK
            yield memoryview(self.big)[start : start + want]
            off += want


class Closed(Exception):
    pass


class Conn:
    def __init__(self, srv, sock, peer, number):
        self.srv = srv
        self.s = sock
        self.peer = peer
        self.number = number
        self.buf = b""
        self.nreq = 0
        self.counted = False

    def recv_more(self):
        try:
            c = self.s.recv(262144)
        except (ConnectionResetError, socket.timeout, OSError):
            c = b""
        if not c:
            raise Closed()
        self.buf += c

    def read_until(self, sep, limit=65536):
        while sep not in self.buf:
            if len(self.buf) > limit:
                raise Closed()
            self.recv_more()
        i = self.buf.index(sep)
        out, self.buf = self.buf[:i], self.buf[i + len(sep) :]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.recv_more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, data):
        self.s.sendall(data)

    # ------------------------------------------------------------ requests

    def read_body(self, headers):
        """Returns (framing, body bytes)."""
        te = ",".join(v for k, v in headers if k.lower() == "transfer-encoding").lower()
        cl = [v for k, v in headers if k.lower() == "content-length"]
        if "chunked" in te:
            parts = []
            while True:
                line = self.read_until(b"\r\n")
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.read_until(b"\r\n"):  # trailers
                        pass
                    return "chunked", b"".join(parts)
                parts.append(self.read_exact(size))
                self.read_exact(2)
        if cl:
            n = int(cl[0])
            body = self.read_exact(n) if n else b""
            return "length", body
        return "none", b""

    def serve(self):
        try:
            while True:
                if not self.one_request():
                    break
        except Closed:
            pass
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            try:
                self.s.close()
            except OSError:
                pass

    def one_request(self):
        if not self.buf:
            idle = self.srv.idle_close if self.nreq else 0
            if idle:  # a keep-alive connection waits at most this long
                self.s.settimeout(idle)
            self.recv_more()
            if idle:
                self.s.settimeout(120)
        head = self.read_until(b"\r\n\r\n").decode("latin-1")
        lines = head.split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            self.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append([k.strip(), v.strip()])
        framing, body = self.read_body(headers)
        self.nreq += 1
        path = urlsplit(target).path
        q = parse_qs(urlsplit(target).query, keep_blank_values=True)
        srv = self.srv
        hv = {k.lower(): v for k, v in reversed(headers)}

        if path == "/healthz":
            with srv.lock:
                srv.health_hits += 1
                st = srv.health
            return self.simple(st, b"ok\n" if st < 300 else b"bad\n", hv)
        if path.startswith("/_"):
            return self.control(path, q, hv)

        with srv.lock:
            srv.requests += 1
            srv.methods[method] = srv.methods.get(method, 0) + 1
            for t in q.get("tag", []):
                srv.tags[t] = srv.tags.get(t, 0) + 1
            if not self.counted:
                self.counted = True
                srv.app_conns += 1
            srv.active += 1
            srv.max_active = max(srv.max_active, srv.active)
            mode = srv.mode
        try:
            return self.answer(method, target, version, headers, hv, framing, body, q, mode)
        finally:
            with srv.lock:
                srv.active -= 1

    def on_me(self, q, key):
        """The param key applies here: absent, '1', or a list naming this id."""
        if key not in q:
            return False
        v = q[key][0]
        return v in ("", "1") or self.srv.id in v.split(",")

    def ident(self):
        srv = self.srv
        return ("X-Up-Id: %s\r\nX-Up-Conn: %d\r\nX-Up-Conn-Req: %d\r\nX-Up-Conns: %d\r\n"
                "X-Up-Reqs: %d\r\n" % (srv.id, self.number, self.nreq, srv.conns, srv.requests))

    def simple(self, status, body, hv):
        keep = hv.get("connection", "").lower() != "close"
        head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n%s%s\r\n" % (
            status, len(body), self.ident(), "" if keep else "Connection: close\r\n")
        self.send(head.encode() + body)
        return keep

    def control(self, path, q, hv):
        srv = self.srv
        with srv.lock:
            if path == "/_control":
                if "health" in q:
                    srv.health = int(q["health"][0])
                if "mode" in q:
                    srv.mode = q["mode"][0]
            elif path == "/_reset":
                srv.reset()
            elif path != "/_stats":
                return self.simple(404, b"no such control\n", hv)
            doc = srv.stats()
        return self.simple(200, json.dumps(doc).encode() + b"\n", hv)

    def answer(self, method, target, version, headers, hv, framing, body, q, mode):
        srv = self.srv
        if mode == "drop" or self.on_me(q, "drop"):
            with srv.lock:
                srv.dropped += 1
            return False
        if "sleep" in q and ("sleep_on" not in q or self.on_me(q, "sleep_on")):
            time.sleep(float(q["sleep"][0]))
        if (method == "GET" and hv.get("upgrade", "").lower() == "websocket"
                and "sec-websocket-key" in hv):
            return self.websocket(hv, q)
        if "partial" in q:
            self.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Partial: 1\r\n")
            time.sleep(float(q["partial"][0]))
            return False
        if "bad" in q:
            kind = q["bad"][0]
            bad = {
                "dupcl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                "clte": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "garbage": b"HTTQ/9 what\r\n\r\n",
            }[kind]
            self.send(bad)
            return False
        for i in range(int(q.get("interim", ["0"])[0])):
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n" if i % 2 == 0 else
                      b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        status = int(q.get("status", ["200"])[0])
        extra = ""
        for h in q.get("hdr", []):
            extra += h + "\r\n"
        if "fill" in q:
            extra += fill_headers(int(q["fill"][0]))
        if q.get("hop", [""])[0] == "1":
            extra += ("Connection: keep-alive, X-Hop-Named\r\nX-Hop-Named: secret\r\n"
                      "Keep-Alive: timeout=30\r\nProxy-Connection: keep-alive\r\n"
                      "Trailer: X-Trailer\r\nUpgrade: h2c\r\n")
        close = q.get("close", [""])[0] == "1" or hv.get("connection", "").lower() == "close"
        if version == "HTTP/1.0" and "keep-alive" not in hv.get("connection", "").lower():
            close = True

        stream = None
        if "bytes" in q:
            n = int(q["bytes"][0])
            ctype = "application/octet-stream"
        elif q.get("echo", [""])[0] == "body":
            n, data, ctype = len(body), body, "application/octet-stream"
            stream = [data]
        else:
            doc = {
                "id": srv.id, "method": method, "target": target, "version": version,
                "headers": headers, "body_len": len(body),
                "body_sha256": hashlib.sha256(body).hexdigest(), "body_framing": framing,
                "body": body[:4096].decode("latin-1"), "conn": self.number,
                "conn_req": self.nreq, "peer": self.peer[0],
            }
            data = json.dumps(doc).encode() + b"\n"
            n, ctype, stream = len(data), "application/json", [data]
        frame = q.get("frame", ["length"])[0]
        no_body = method == "HEAD" or status < 200 or status in (204, 304)
        if frame == "close":
            close = True
        hdr = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s%s" % (
            status, REASONS.get(status, "Whatever"), ctype, self.ident(), extra)
        if status == 304:
            if "bytes" in q:
                hdr += "Content-Length: %d\r\n" % n
        elif status == 204 or status < 200:
            pass
        elif frame == "chunked":
            hdr += "Transfer-Encoding: chunked\r\n"
        elif frame == "length":
            hdr += "Content-Length: %d\r\n" % n
        if close:
            hdr += "Connection: close\r\n"
        self.send((hdr + "\r\n").encode("latin-1"))
        if no_body:
            return not close
        self.send_body(q, n, frame, stream)
        return not close and frame != "close" and "cut" not in q

    def send_body(self, q, n, frame, stream):
        cut = int(q["cut"][0]) if "cut" in q else -1
        pause_at = int(q["pause_at"][0]) if "pause_at" in q else -1
        pause = float(q.get("pause", ["0"])[0])
        rate = float(q["rate"][0]) if "rate" in q else 0
        chunk = int(q["chunk"][0]) if "chunk" in q else 0
        if stream is None:
            stream = self.srv.pattern.slices(n, chunk or 65536)
            if frame == "chunked" and not chunk:
                stream = varied(stream)
        elif chunk:
            stream = (stream[0][i : i + chunk] for i in range(0, n, chunk))
        sent = 0
        t0 = time.monotonic()
        for piece in stream:
            if not piece:
                continue
            if cut >= 0 and sent + len(piece) > cut:
                piece = piece[: cut - sent]
            if pause_at >= 0 and sent <= pause_at < sent + len(piece):
                k = pause_at - sent
                self.send_piece(piece[:k], frame)
                time.sleep(pause)
                piece = piece[k:]
                sent += k
                pause_at = -1
            self.send_piece(piece, frame)
            sent += len(piece)
            if cut >= 0 and sent >= cut:
                raise Closed()
            if rate:
                ahead = sent / rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        if frame == "chunked":
            self.send(b"0\r\n\r\n")

    def send_piece(self, piece, frame):
        if not piece:
            return
        if frame == "chunked":
            self.send(b"%x\r\n" % len(piece) + bytes(piece) + b"\r\n")
        else:
            self.send(piece)

    # ----------------------------------------------------------- websocket

    def websocket(self, hv, q):
        key = hv["sec-websocket-key"].encode()
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        with self.srv.lock:
            self.srv.ws += 1
        self.send(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n" % (
                       accept, self.ident())).encode())
        if "talk" in q:  # a frame every S seconds until the send fails
            every, n = float(q["talk"][0]), 0
            while True:
                n += 1
                self.send(ws_frame(0x81, b"tick %d" % n))
                time.sleep(every)
        mute = q.get("mute", [""])[0] == "1"
        while True:
            b0, b1 = self.read_exact(2)
            fin_op, masked, ln = b0, b1 & 0x80, b1 & 0x7F
            if ln == 126:
                ln = int.from_bytes(self.read_exact(2), "big")
            elif ln == 127:
                ln = int.from_bytes(self.read_exact(8), "big")
            if not masked:
                self.send(ws_frame(0x88, (1002).to_bytes(2, "big") + b"unmasked"))
                return False
            mask = self.read_exact(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.read_exact(ln)))
            op = fin_op & 0x0F
            if mute and op != 0x8:
                continue
            if op == 0x8:  # close: answered with the same code, then closed
                self.send(ws_frame(0x88, data[:2]))
                return False
            if op == 0x9:  # ping
                self.send(ws_frame(0x8A, data))
            elif op in (0x0, 0x1, 0x2):
                self.send(ws_frame(fin_op, data))


def ws_frame(b0, payload):
    n = len(payload)
    if n < 126:
        head = bytes([b0, n])
    elif n < 65536:
        head = bytes([b0, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([b0, 127]) + n.to_bytes(8, "big")
    return head + payload


def fill_headers(n):
    """Headers X-Fill-001: ... of n bytes in all, CRLFs included; lines of
    about 120 bytes, each value different (a lost or doubled one shows)."""
    out, i = [], 0
    while n > 0:
        i += 1
        name = "X-Fill-%03d: " % i
        size = 120 if n >= 120 + 20 else n
        value_len = max(size - len(name) - 2, 1)
        value = (("%03d-" % i) * 40)[:value_len]
        out.append(name + value + "\r\n")
        n -= len(out[-1])
    return "".join(out)


def varied(slices):
    """Re-cut 64 KiB slices into chunks of varied sizes (1 byte to 64 KiB)."""
    sizes = [1, 7, 100, 4096, 65536, 333, 30000]
    i = 0
    for s in slices:
        pos = 0
        while pos < len(s):
            k = sizes[i % len(sizes)]
            i += 1
            yield s[pos : pos + k]
            pos += k


REASONS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
           204: "No Content", 304: "Not Modified", 404: "Not Found", 418: "I'm a teapot",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Server:
    def __init__(self, port, ident, health, mode, idle_close=0.0):
        self.port = port
        self.idle_close = idle_close
        self.id = ident or str(port)
        self.health = health
        self.mode = mode
        self.lock = threading.Lock()
        self.pattern = PatternStream()
        self.active = 0
        self.reset()

    def reset(self):
        self.conns = 0
        self.app_conns = 0
        self.requests = 0
        self.methods = {}
        self.tags = {}
        self.health_hits = 0
        self.ws = 0
        self.max_active = self.active
        self.dropped = 0

    def stats(self):
        return {"id": self.id, "port": self.port, "conns": self.conns,
                "app_conns": self.app_conns, "requests": self.requests,
                "methods": self.methods, "tags": self.tags, "health_hits": self.health_hits,
                "ws": self.ws, "active": self.active, "max_active": self.max_active,
                "dropped": self.dropped, "mode": self.mode, "health": self.health}

    def run(self):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", self.port))
        ls.listen(4096)
        while True:
            s, peer = ls.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(120)
            with self.lock:
                self.conns += 1
                number = self.conns
            c = Conn(self, s, peer, number)
            threading.Thread(target=c.serve, daemon=True).start()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--id", default="")
    ap.add_argument("--health", type=int, default=200)
    ap.add_argument("--mode", default="normal", choices=["normal", "drop"])
    ap.add_argument("--idle-close", type=float, default=0.0, metavar="S",
                    help="close a keep-alive connection idle for S seconds after an answer")
    ap.add_argument("--pattern", type=int, metavar="N",
                    help="write the first N bytes of the body pattern to stdout and exit")
    a = ap.parse_args()
    if a.pattern is not None:
        ps = PatternStream()
        for s in ps.slices(a.pattern, 1 << 19):
            sys.stdout.buffer.write(s)
        return 0
    if not a.port:
        ap.error("--port is required")
    threading.stack_size(512 * 1024)
    Server(a.port, a.id, a.health, a.mode, a.idle_close).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
