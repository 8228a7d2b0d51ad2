#!/usr/bin/env python3
"""TLS client for integration/test_tls.sh (standard library only).

usage: tlsclient.py COMMAND --port P [--ip 127.0.0.1] [--sni NAME | --no-sni]
                    [--cafile CA] [--min V] [--max V] [--timeout S] ...
V is TLSv1, TLSv1_1, TLSv1_2 or TLSv1_3. Without --cafile the peer is not
verified (the certificate is still read, in binary form). Every command
prints one JSON object.

  info [--get PATH] [--host H]   one handshake; with --get one request too
        -> {"ok", "error", "version", "alpn", "cn", "san", "serial",
            "sha256", "reused", "status", "body"}
  pipeline [--n 3] [--get PATH] [--host H]
        N requests written at once on one connection, the answers read back
        -> {"ok", "statuses": [...], "bodies": [...]}
  resume --sni A [--then NAME ...] [--ready FILE --go FILE]
        a first connection (one request, so that TLS 1.3 tickets arrive),
        (touch READY and wait until GO exists,) then one connection per
        --then NAME offering the first one's session
        -> {"ok", "first": info, "then": [{"sni", "reused", "cn", "status",
            "version", "sha256"}]}
  many --n N [--get PATH] [--host H] [--want BODYFILE]
        N threads, released together, each: connect, handshake, one request
        -> {"ok": K, "failed": F, "statuses": {...}, "errors": [first few]}
  raw [--send-hex HEX] [--half-hello] [--tls] [--wait S]
        plain TCP: send bytes (or the first half of a real ClientHello),
        then read until the server closes or --wait passes; with --tls the
        bytes go over TLS, after the handshake (elapsed counts from connect)
        -> {"closed": bool, "how": "eof"|"reset"|"wait", "elapsed", "got_len",
            "got_head": first bytes as latin-1}
  hold --ready FILE --go FILE [--requests-before N] [--get PATH] [--host H]
        connect + handshake, N requests (0: none), touch READY, wait until GO
        exists, then one more request on the same connection
        -> {"before": [statuses], "after": status or null, "error", "sha256"}
  records --get BIG --then-get SMALL [--host H]
        two requests, each in a TLS record of its own, sent in one TCP
        write; 0.5 s unread (the server writes BIG's answer into a full
        socket, SMALL waits in OpenSSL's buffer); then a third request; then
        every answer read -> {"statuses": [...], "error"}
  download --get PATH --ready FILE --go FILE [--first BYTES]
        one request; read BYTES of the answer, touch READY, wait for GO,
        read the rest -> {"status", "len", "sha256", "error", "cert_sha256"}
"""
import argparse
import hashlib
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import warnings

warnings.simplefilter("ignore", DeprecationWarning)

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1_1": ssl.TLSVersion.TLSv1_1,
    "TLSv1_2": ssl.TLSVersion.TLSv1_2,
    "TLSv1_3": ssl.TLSVersion.TLSv1_3,
}


def context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if a.cafile:
        ctx.load_verify_locations(a.cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if a.min in ("TLSv1", "TLSv1_1"):
        # so that this client really offers them: OpenSSL 3 refuses
        # versions below 1.2 above security level 0
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if a.min:
        ctx.minimum_version = VERSIONS[a.min]
    if a.max:
        ctx.maximum_version = VERSIONS[a.max]
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def sni_of(a):
    return None if a.no_sni else (a.sni or None)


def connect(a, ctx, sni=None, session=None, use_default_sni=True):
    if use_default_sni:
        sni = sni_of(a)
    raw = socket.create_connection((a.ip, a.port), timeout=a.timeout)
    try:
        return ctx.wrap_socket(raw, server_hostname=sni, session=session)
    except BaseException:
        raw.close()
        raise


def describe(s):
    d = {"version": s.version(), "alpn": s.selected_alpn_protocol(), "reused": s.session_reused}
    der = s.getpeercert(binary_form=True)
    d["sha256"] = hashlib.sha256(der).hexdigest() if der else None
    cert = s.getpeercert()  # a dict only when verified (--cafile)
    if cert:
        d["cn"] = next((v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"), None)
        d["san"] = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
        d["serial"] = cert.get("serialNumber")
    return d


def request_bytes(path, host, close=False):
    r = "GET %s HTTP/1.1\r\nHost: %s\r\n" % (path, host)
    if close:
        r += "Connection: close\r\n"
    return (r + "\r\n").encode()


class Reader:
    """Reads HTTP/1.1 responses (Content-Length or chunked) off a socket."""

    def __init__(self, s):
        self.s = s
        self.buf = b""

    def more(self):
        c = self.s.recv(65536)
        if not c:
            raise EOFError("closed by the server")
        self.buf += c

    def response(self, sink=None):
        while b"\r\n\r\n" not in self.buf:
            self.more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
        body = bytearray()
        if "content-length" in hdrs:
            n = int(hdrs["content-length"])
            while len(self.buf) < n:
                self.more()
            body, self.buf = self.buf[:n], self.buf[n:]
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            while True:
                while b"\r\n" not in self.buf:
                    self.more()
                line, _, self.buf = self.buf.partition(b"\r\n")
                n = int(line.split(b";")[0], 16)
                while len(self.buf) < n + 2:
                    self.more()
                body += self.buf[:n]
                self.buf = self.buf[n + 2:]
                if n == 0:
                    break
        return status, hdrs, bytes(body)


def host_of(a):
    return a.host or sni_of(a) or a.ip


def get(s, a, path=None):
    s.sendall(request_bytes(path or a.get, host_of(a)))
    return Reader(s).response()


def cmd_info(a):
    out = {"ok": False}
    try:
        s = connect(a, context(a))
        out.update(describe(s))
        out["ok"] = True
        if a.get:
            st, _, body = get(s, a)
            out["status"] = st
            out["body"] = body.decode("latin-1")[:200]
        s.close()
    except Exception as e:  # noqa: BLE001 -- reported to the test
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def cmd_pipeline(a):
    out = {"ok": False, "statuses": [], "bodies": []}
    try:
        s = connect(a, context(a))
        s.sendall(b"".join(request_bytes(a.get, host_of(a)) for _ in range(a.n)))
        r = Reader(s)
        for _ in range(a.n):
            st, _, body = r.response()
            out["statuses"].append(st)
            out["bodies"].append(body.decode("latin-1")[:100])
        out["ok"] = True
        s.close()
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def cmd_resume(a):
    out = {"ok": False, "then": []}
    ctx = context(a)
    try:
        s = connect(a, ctx)
        first = describe(s)
        st, _, _ = get(s, a, "/")  # TLS 1.3: the tickets come after the handshake
        first["status"] = st
        sess = s.session
        s.close()
        out["first"] = first
        if a.ready:
            open(a.ready, "w").close()
            wait_file(a.go, a.timeout)
        for name in a.then:
            s = connect(a, ctx, sni=name, session=sess, use_default_sni=False)
            d = describe(s)
            s.sendall(request_bytes("/", name))
            st, _, _ = Reader(s).response()
            out["then"].append({"sni": name, "reused": s.session_reused, "cn": d.get("cn"),
                                "status": st, "version": d["version"], "sha256": d["sha256"]})
            s.close()
        out["ok"] = True
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (type(e).__name__, e)
    return out


def cmd_many(a):
    ctx = context(a)
    want = open(a.want, "rb").read() if a.want else None
    barrier = threading.Barrier(a.n, timeout=60)
    lock = threading.Lock()
    res = {"ok": 0, "failed": 0, "statuses": {}, "errors": []}

    def one():
        err = None
        st = None
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        try:
            s = connect(a, ctx)
            try:
                s.sendall(request_bytes(a.get, host_of(a), close=True))
                st, _, body = Reader(s).response()
                if st != 200:
                    err = "status %d" % st
                elif want is not None and body != want:
                    err = "body differs (%d bytes)" % len(body)
            finally:
                s.close()
        except Exception as e:  # noqa: BLE001
            err = "%s: %s" % (type(e).__name__, e)
        with lock:
            k = str(st)
            res["statuses"][k] = res["statuses"].get(k, 0) + 1
            if err:
                res["failed"] += 1
                if len(res["errors"]) < 5:
                    res["errors"].append(err)
            else:
                res["ok"] += 1

    threading.stack_size(256 * 1024)
    ts = [threading.Thread(target=one) for _ in range(a.n)]
    t0 = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    res["elapsed"] = round(time.monotonic() - t0, 3)
    return res


def client_hello(a):
    """The bytes of a real ClientHello (SNI a.sni), from a memory BIO."""
    ctx = context(a)
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, outg, server_hostname=sni_of(a))
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outg.read()


def cmd_raw(a):
    data = b""
    if a.half_hello:
        hello = client_hello(a)
        data = hello[: len(hello) // 2]
    elif a.send_hex:
        data = bytes.fromhex(a.send_hex)
    t0 = time.monotonic()
    s = socket.create_connection((a.ip, a.port), timeout=a.timeout)
    if a.tls:
        s = context(a).wrap_socket(s, server_hostname=sni_of(a))
    if data:
        s.sendall(data)
    s.settimeout(a.wait)
    got = b""
    how = "wait"
    try:
        while True:
            c = s.recv(65536)
            if not c:
                how = "eof"
                break
            got += c
    except socket.timeout:
        how = "wait"
    except ConnectionResetError:
        how = "reset"
    el = time.monotonic() - t0
    s.close()
    return {"closed": how != "wait", "how": how, "elapsed": round(el, 3), "sent": len(data),
            "got_len": len(got), "got_head": got[:200].decode("latin-1")}


def wait_file(path, limit):
    end = time.monotonic() + limit
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise TimeoutError("no %s within %s s" % (path, limit))
        time.sleep(0.02)


def cmd_hold(a):
    out = {"before": [], "after": None}
    try:
        s = connect(a, context(a))
        out.update(describe(s))
        r = Reader(s)
        for _ in range(a.requests_before):
            s.sendall(request_bytes(a.get, host_of(a)))
            out["before"].append(r.response()[0])
        open(a.ready, "w").close()
        wait_file(a.go, a.timeout)
        s.sendall(request_bytes(a.get, host_of(a)))
        st, _, body = r.response()
        out["after"] = st
        out["body"] = body.decode("latin-1")[:100]
        s.close()
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (type(e).__name__, e)
        if not os.path.exists(a.ready):
            open(a.ready, "w").close()
    return out


def cmd_download(a):
    out = {"status": None, "len": 0}
    h = hashlib.sha256()
    try:
        s = connect(a, context(a))
        out["cert_sha256"] = describe(s)["sha256"]
        s.sendall(request_bytes(a.get, host_of(a)))
        buf = b""
        while b"\r\n\r\n" not in buf:
            c = s.recv(65536)
            if not c:
                raise EOFError("closed before the head")
            buf += c
        head, _, rest = buf.partition(b"\r\n\r\n")
        out["status"] = int(head.split()[1])
        length = None
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        n = len(rest)
        h.update(rest)
        ready = False
        while length is None or n < length:
            if not ready and n >= a.first:
                open(a.ready, "w").close()
                ready = True
                wait_file(a.go, a.timeout)
            c = s.recv(min(65536, (length - n) if length is not None else 65536))
            if not c:
                break
            n += len(c)
            h.update(c)
        out["len"] = n
        s.close()
    except Exception as e:  # noqa: BLE001
        out["error"] = "%s: %s" % (type(e).__name__, e)
    if not os.path.exists(a.ready):
        open(a.ready, "w").close()
    out["sha256"] = h.hexdigest()
    return out


def cmd_records(a):
    """Three requests over memory BIOs, so that two records go in one TCP
    segment and the third arrives while the server writes into a full
    socket (a lost EPOLLIN edge would leave it unanswered)."""
    ctx = context(a)
    raw = socket.create_connection((a.ip, a.port), timeout=a.timeout)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname=sni_of(a))

    def flush():
        data = out.read()
        if data:
            raw.sendall(data)

    def pump():
        data = raw.recv(65536)
        if not data:
            raise EOFError("server closed")
        inc.write(data)

    statuses, error = [], None
    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush()
                pump()
        flush()
        host = host_of(a)
        tls.write(request_bytes(a.get, host))
        tls.write(request_bytes(a.then_get[0], host))
        flush()  # both records in one write
        time.sleep(0.5)
        tls.write(request_bytes(a.then_get[0], host, close=True))
        flush()
        buf = b""
        while True:
            try:
                chunk = tls.read(65536)
                if not chunk:
                    break
                buf += chunk
            except ssl.SSLWantReadError:
                try:
                    pump()
                except EOFError:
                    break
            except ssl.SSLZeroReturnError:
                break
        statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", buf)]
    except (OSError, EOFError, ssl.SSLError) as e:
        error = "%s: %s" % (type(e).__name__, e)
    finally:
        raw.close()
    return {"statuses": statuses, "error": error}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["info", "pipeline", "resume", "many", "raw", "hold", "download", "records"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--sni")
    p.add_argument("--no-sni", action="store_true")
    p.add_argument("--cafile")
    p.add_argument("--min", choices=VERSIONS)
    p.add_argument("--max", choices=VERSIONS)
    p.add_argument("--timeout", type=float, default=10)
    p.add_argument("--get")
    p.add_argument("--host")
    p.add_argument("--n", type=int, default=3)
    p.add_argument("--then", action="append", default=[])
    p.add_argument("--then-get", action="append", default=[])
    p.add_argument("--want")
    p.add_argument("--send-hex")
    p.add_argument("--half-hello", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--wait", type=float, default=5)
    p.add_argument("--ready")
    p.add_argument("--go")
    p.add_argument("--requests-before", type=int, default=1)
    p.add_argument("--first", type=int, default=1 << 20)
    a = p.parse_args()
    if a.command in ("pipeline", "many", "hold", "download") and not a.get:
        a.get = "/"
    out = globals()["cmd_" + a.command](a)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
