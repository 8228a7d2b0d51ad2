#!/usr/bin/env python3
"""Raw HTTP/1.1 client for the integration tests.

Sends exact bytes (what curl refuses to send), then reads and splits the
responses. DATA is a Python-escaped string ('GET / HTTP/1.1\\r\\n...'), or
'@FILE' to send a file's bytes.

Prints one line per complete response, then one END line:
  R <n> <status> len=<body bytes> conn=<Connection header or ->
  END <eof|timeout|expect|reset> responses=<n> bytes=<total> extra=<bytes after
      the last complete response> elapsed=<s> idle=<s from last byte to end>
          first=<s from end of send to first byte, or -1>
With --out DIR: DIR/raw (everything), DIR/h<n> (head of response n, CRLF
kept), DIR/b<n> (its body).
"""
import argparse
import codecs
import os
import socket
import sys
import time


def parse_one(buf, head_only):
    """Returns (head bytes, body bytes, consumed) or None when incomplete.
    A response without Content-Length or chunked framing is never complete
    here (it ends at EOF: see finish_at_eof)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[: end + 4]
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split(b" ")[1])
    except (IndexError, ValueError):
        status = 0
    hdrs = {}
    for line in lines[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            hdrs.setdefault(k.strip().lower(), v.strip())
    pos = end + 4
    if head_only or status < 200 or status in (204, 304):
        return head, b"", pos
    if b"content-length" in hdrs:
        try:
            n = int(hdrs[b"content-length"])
        except ValueError:
            return None
        if len(buf) - pos < n:
            return None
        return head, buf[pos : pos + n], pos + n
    if b"chunked" in hdrs.get(b"transfer-encoding", b"").lower():
        body = b""
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                return None
            try:
                size = int(buf[pos:nl].split(b";")[0], 16)
            except ValueError:
                return None
            pos = nl + 2
            if size == 0:
                tend = buf.find(b"\r\n\r\n", pos - 2)
                if tend < 0:
                    return None
                return head, body, tend + 4
            if len(buf) - pos < size + 2:
                return None
            body += buf[pos : pos + size]
            pos += size + 2
    return None


def status_of(head):
    try:
        return int(head.split(b"\r\n")[0].split(b" ")[1])
    except (IndexError, ValueError):
        return 0


def header_of(head, name):
    for line in head.split(b"\r\n")[1:]:
        if b":" in line:
            k, v = line.split(b":", 1)
            if k.strip().lower() == name:
                return v.strip().decode("latin-1")
    return "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=5.0, help="total deadline")
    ap.add_argument("--expect", type=int, default=0, help="stop after N responses")
    ap.add_argument("--bytewise", type=float, default=-1.0,
                    help="send one byte at a time with this delay between")
    ap.add_argument("--shut", action="store_true", help="shut down writing after sending")
    ap.add_argument("--head", action="store_true", help="responses carry no body (HEAD)")
    ap.add_argument("--bodyless", default="",
                    help="comma-separated numbers (from 1) of the responses to HEAD requests")
    ap.add_argument("--out", default="")
    ap.add_argument("data")
    a = ap.parse_args()

    if a.data.startswith("@"):
        data = open(a.data[1:], "rb").read()
    else:
        data = codecs.escape_decode(a.data.encode("utf-8"))[0]

    t0 = time.monotonic()
    deadline = t0 + a.timeout
    s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reason = None
    try:
        if a.bytewise >= 0:
            for i in range(len(data)):
                s.sendall(data[i : i + 1])
                if a.bytewise > 0:
                    time.sleep(a.bytewise)
        else:
            s.sendall(data)
        if a.shut:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        reason = "reset"
    t_sent = time.monotonic()

    buf = b""
    responses = []  # (head, body)
    consumed = 0
    t_last = t_sent
    t_first = -1.0
    bodyless = set(int(x) for x in a.bodyless.split(",") if x)
    while reason is None:
        if a.expect and len(responses) >= a.expect:
            reason = "expect"
            break
        left = deadline - time.monotonic()
        if left <= 0:
            reason = "timeout"
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            reason = "timeout"
            break
        except ConnectionResetError:
            reason = "reset"
            break
        if not chunk:
            reason = "eof"
            break
        t_last = time.monotonic()
        if t_first < 0:
            t_first = t_last - t_sent
        buf += chunk
        while True:
            r = parse_one(buf[consumed:], a.head or (len(responses) + 1) in bodyless)
            if r is None:
                break
            responses.append((r[0], r[1]))
            consumed += r[2]
    t_end = time.monotonic()
    s.close()

    # A response framed by EOF (no Content-Length): take the rest.
    if reason == "eof" and consumed < len(buf):
        rest = buf[consumed:]
        end = rest.find(b"\r\n\r\n")
        if end >= 0 and rest.startswith(b"HTTP/"):
            head = rest[: end + 4]
            # (a chunked body cut short is incomplete, not close-delimited)
            chunked = "chunked" in header_of(head, b"transfer-encoding").lower()
            if a.head or (b"content-length:" not in head.lower() and not chunked):
                responses.append((head, rest[end + 4 :]))
                consumed = len(buf)

    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "raw"), "wb") as f:
            f.write(buf)
        for i, (h, b) in enumerate(responses, 1):
            with open(os.path.join(a.out, "h%d" % i), "wb") as f:
                f.write(h)
            with open(os.path.join(a.out, "b%d" % i), "wb") as f:
                f.write(b)
    for i, (h, b) in enumerate(responses, 1):
        print("R %d %d len=%d conn=%s" % (i, status_of(h), len(b), header_of(h, b"connection")))
    print("END %s responses=%d bytes=%d extra=%d elapsed=%.3f idle=%.3f first=%.3f" % (
        reason, len(responses), len(buf), len(buf) - consumed, t_end - t0,
        t_end - t_last, t_first))


if __name__ == "__main__":
    sys.exit(main())
