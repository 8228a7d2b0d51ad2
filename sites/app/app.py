#!/usr/bin/env python3
"""The demo's backend application: a small HTTP/1.1 service (standard
library only) that portico reaches through its reverse proxy. configs/demo.yaml
puts two of them, app-1 on port 9001 and app-2 on 9002, in the upstream
group `app` behind https://app.localhost:8443/; `make demo` starts both.

    python3 sites/app/app.py --port 9001 --name app-1

What it answers (every path but /ws keeps the connection alive, so portico's
pool can reuse it):
    GET  /             a page saying which instance answered and what
                       portico added to the request (X-Forwarded-*)
    GET  /api/whoami   the same as JSON
    POST /api/echo     the request body back, with its length
    POST /api/sick     this instance fails its health check for 20 s
    GET  /healthz      200 "ok", or 503 while sick (portico's health_check)
    GET  /ws           a WebSocket that echoes every message

Without portico in front it works too; the page then says no proxy added
anything.
"""
import argparse
import base64
import hashlib
import html
import json
import os
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SICK_SECONDS = 20
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
MAX_BODY = 1 << 20
FORWARDED = ("Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


class Instance:
    """What the handlers share: the name, a request counter, sickness."""

    def __init__(self, name, port):
        self.name, self.port = name, port
        self.requests = 0
        self.sick_until = 0.0
        self.lock = threading.Lock()

    def count(self):
        with self.lock:
            self.requests += 1
            return self.requests

    def healthy(self):
        return time.monotonic() >= self.sick_until


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{name} &middot; portico app demo</title>
  <link rel="icon" href="/static/logo.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/static/style.css">
  <script src="/static/app.js" defer></script>
</head>
<body>
  <header class="site-header">
    <div class="wrap header-inner">
      <a class="brand" href="/">
        <img src="/static/logo.svg" alt="" width="36" height="36">
        <span>portico <span class="brand-sub">app</span></span>
      </a>
      <nav aria-label="Endpoints">
        <a href="/api/whoami">whoami</a>
        <a href="/healthz">healthz</a>
        <a href="{scheme}://localhost{port_suffix}/status">status</a>
      </nav>
    </div>
  </header>
  <main class="wrap">
    <section class="page-intro">
      <h1>Answered by <span id="instance" data-instance="{name}">{name}</span></h1>
      <p class="lead">This page comes from a Python process behind portico's
        reverse proxy. The upstream group <code>app</code> holds two of them;
        portico takes turns (round robin), keeps connections to them open,
        checks <code>/healthz</code> every 2 seconds and sends nothing to one
        that fails. Reload the page and the other one answers.</p>
    </section>
    <div class="cards">
      <section class="card">
        <h2>What portico told the app</h2>
        <table class="headers" id="headers">{rows}</table>
        <p class="hint">Request {requests} of this instance (pid {pid}, port {port}).</p>
      </section>
      <section class="card">
        <h2>Balancing <code class="ep">GET /api/whoami</code></h2>
        <p>Twenty requests in a row, and who answered them:</p>
        <div class="form-actions">
          <button type="button" class="btn" id="spread-go">Ask 20 times</button>
          <span class="badge" id="spread-status"></span>
        </div>
        <ul class="spread" id="spread"></ul>
      </section>
      <section class="card">
        <h2>Health checks <code class="ep">POST /api/sick</code></h2>
        <p>Make the instance that answers fail its health check for {sick} s.
          Within a check or two portico stops sending it requests, and
          takes it back once <code>/healthz</code> answers 200 again.</p>
        <form method="post" action="/api/sick" class="form-actions">
          <button type="submit" class="btn btn-outline" id="sick-go">Make one sick</button>
          <span class="badge" id="sick-status"></span>
        </form>
      </section>
      <section class="card">
        <h2>WebSocket <code class="ep">GET /ws</code></h2>
        <p>portico passes the <code>Upgrade</code> through and then copies
          bytes both ways. The app echoes what you send.</p>
        <form id="ws-form" class="row-form">
          <label for="ws-input" class="visually-hidden">Message</label>
          <input id="ws-input" value="Hello through the tunnel" maxlength="200" autocomplete="off">
          <button type="submit" class="btn">Send</button>
        </form>
        <div class="form-actions"><span class="badge" id="ws-status">not connected</span></div>
        <ul class="log" id="ws-log"></ul>
      </section>
    </div>
  </main>
  <footer class="site-footer">
    <div class="wrap">sites/app/app.py, behind <code>proxy: http://app</code> in configs/demo.yaml
      &middot; <a href="{scheme}://localhost{port_suffix}/">the welcome site</a></div>
  </footer>
</body>
</html>
"""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, for portico's pool
    server_version = "portico-demo-app"

    @property
    def app(self):
        return self.server.instance

    def log_message(self, fmt, *args):  # portico's access log says enough
        pass

    # -- answers ----------------------------------------------------------
    def send(self, status, body, ctype="application/json", extra=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, indent=2) + "\n"
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-App-Instance", self.app.name)
        self.send_header("Cache-Control", "no-store")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def whoami(self):
        return {
            "instance": self.app.name,
            "pid": os.getpid(),
            "port": self.app.port,
            "requests": self.app.count(),
            "healthy": self.app.healthy(),
            "headers": {h: self.headers.get(h) for h in FORWARDED},
        }

    def page(self):
        me = self.whoami()
        rows = "".join(
            f"<tr><th>{html.escape(h)}</th><td>{html.escape(v or '(not sent)')}</td></tr>"
            for h, v in me["headers"].items())
        # Links to the welcome site keep the scheme and port the client
        # used (portico says which in X-Forwarded-Proto and Host).
        host = me["headers"]["Host"] or ""
        port = host.rsplit(":", 1)[1] if ":" in host else ""
        scheme = "https" if me["headers"]["X-Forwarded-Proto"] == "https" else "http"
        return PAGE.format(name=html.escape(me["instance"]), rows=rows, requests=me["requests"],
                           pid=me["pid"], port=me["port"], sick=SICK_SECONDS, scheme=scheme,
                           port_suffix=f":{port}" if port.isdigit() else "")

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            self.send(200, self.page(), "text/html; charset=utf-8")
        elif path == "/api/whoami":
            self.send(200, self.whoami())
        elif path == "/healthz":
            ok = self.app.healthy()
            self.send(200 if ok else 503, "ok\n" if ok else "sick\n", "text/plain")
        elif path == "/ws":
            self.websocket()
        else:
            self.send(404, {"error": f"no such endpoint: {path}"})

    do_HEAD = do_GET

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        body = self.read_body()
        if body is None:
            return
        if path == "/api/echo":
            self.send(200, {"instance": self.app.name, "length": len(body),
                            "body": body.decode("utf-8", "replace")})
        elif path == "/api/sick":
            self.app.sick_until = time.monotonic() + SICK_SECONDS
            me = {"instance": self.app.name, "sick_for_s": SICK_SECONDS}
            if "application/json" in (self.headers.get("Accept") or ""):
                self.send(200, me)
            else:  # the form without JavaScript: back to the page
                self.send(303, "", "text/plain", [("Location", "/")])
        else:
            self.send(404, {"error": f"no such endpoint: {path}"})

    def read_body(self):
        """The request body (Content-Length or chunked), or None after a 4xx."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
                if sum(map(len, parts)) > MAX_BODY:
                    break
        else:
            n = int(self.headers.get("Content-Length") or 0)
            if n <= MAX_BODY:
                return self.rfile.read(n)
        self.close_connection = True
        self.send(413, {"error": "body over 1 MiB"})
        return None

    # -- WebSocket (RFC 6455): an echo, text and binary ---------------------
    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key")
        if "websocket" not in (self.headers.get("Upgrade") or "").lower() or not key:
            self.send(400, {"error": "a WebSocket upgrade is expected here"})
            return
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.ws_frame(0x1, f"connected to {self.app.name}".encode())
        while True:
            frame = self.ws_read()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x8:  # close: answer it and stop
                self.ws_frame(0x8, payload[:2])
                return
            if opcode == 0x9:  # ping
                self.ws_frame(0xA, payload)
            elif opcode in (0x1, 0x2):
                self.ws_frame(opcode, payload)

    def ws_read(self):
        head = self.rfile.read(2)
        if len(head) < 2:
            return None
        opcode, n = head[0] & 0x0F, head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.rfile.read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.rfile.read(8))[0]
        if n > MAX_BODY:
            return None
        mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = self.rfile.read(n)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def ws_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.wfile.write(head + payload)
        self.wfile.flush()


def main():
    ap = argparse.ArgumentParser(description="portico's demo backend application")
    ap.add_argument("--port", type=int, default=9001)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--name", default=None, help="the instance's name (default app-PORT)")
    args = ap.parse_args()
    try:
        server = ThreadingHTTPServer((args.host, args.port), Handler)
    except OSError as e:
        sys.exit(f"app: cannot listen on {args.host}:{args.port}: {e.strerror}")
    server.daemon_threads = True
    server.instance = Instance(args.name or f"app-{args.port}", args.port)
    print(f"app: {server.instance.name} listening on http://{args.host}:{args.port}/",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
