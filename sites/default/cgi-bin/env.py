#!/usr/bin/env python3
"""Prints the CGI environment the script received, as a JSON object."""
import json
import os
import sys

body = json.dumps(dict(os.environ), sort_keys=True).encode() + b"\n"

out = sys.stdout.buffer
out.write(b"Content-Type: application/json\n")
out.write(b"Content-Length: %d\n\n" % len(body))
out.write(body)
