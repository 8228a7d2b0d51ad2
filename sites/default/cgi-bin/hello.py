#!/usr/bin/env python3
"""Hello from a Python CGI script, with the server's time."""
import html
import sys
import time

now = time.strftime("%Y-%m-%d %H:%M:%S %Z")
page = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Hello from Python</title></head>
<body>
<h1>Hello from Python!</h1>
<p>The time on the server is {html.escape(now)}.</p>
<p><a href="/">Back</a></p>
</body>
</html>
"""

sys.stdout.write("Content-Type: text/html; charset=utf-8\n\n")
sys.stdout.write(page)
