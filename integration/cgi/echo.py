#!/usr/bin/python3
"""Echoes the request body byte for byte: reads exactly CONTENT_LENGTH bytes
of stdin and answers them with a Content-Length of what was read."""
import os
import sys

want = int(os.environ.get("CONTENT_LENGTH") or "0")
chunks, got = [], 0
while got < want:
    chunk = sys.stdin.buffer.read(min(65536, want - got))
    if not chunk:
        break
    chunks.append(chunk)
    got += len(chunk)

out = sys.stdout.buffer
out.write(b"Content-Type: application/octet-stream\r\n")
out.write(b"Content-Length: %d\r\n\r\n" % got)
for chunk in chunks:
    out.write(chunk)
