#!/usr/bin/python3
"""Exactly 10 MiB of bytes(range(256)) repeated, in 64 KiB writes, with no
Content-Length. The body is the same as
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 40960)'."""
import os

block = bytes(range(256)) * 256  # 64 KiB
os.write(1, b"Content-Type: application/octet-stream\r\n\r\n")
for _ in range(160):  # 160 * 64 KiB = 10 MiB
    view = memoryview(block)
    while view:
        view = view[os.write(1, view):]
