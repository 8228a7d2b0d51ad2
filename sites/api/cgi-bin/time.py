#!/usr/bin/env python3
"""GET /cgi-bin/time.py -> the server's clock as JSON.

    {"now": "2026-11-25T20:00:00.123456+00:00", "unix": 1795636800.123,
     "local": "2026-11-25 21:00:00 CET", "server": "portico/0.1.0"}
"""
import datetime
import json
import os
import sys
import time

now = time.time()
body = {
    "now": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(),
    "unix": round(now, 3),
    "local": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(now)),
    "server": os.environ.get("SERVER_SOFTWARE", ""),
}
out = json.dumps(body).encode() + b"\n"
sys.stdout.buffer.write(b"Content-Type: application/json\n"
                        b"Cache-Control: no-store\n\n" + out)
