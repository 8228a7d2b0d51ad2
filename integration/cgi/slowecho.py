#!/usr/bin/python3
"""Reads stdin slowly (64 KiB, then 5 ms of sleep) up to EOF and answers
the byte count and SHA-256 of what it read: a slow reader, so the server
must hold the client back instead of buffering the body."""
import hashlib
import os
import time

h, n = hashlib.sha256(), 0
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    h.update(chunk)
    n += len(chunk)
    time.sleep(0.005)
body = b"%d %s\n" % (n, h.hexdigest().encode())
os.write(1, b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
