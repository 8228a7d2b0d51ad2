#!/usr/bin/env python3
"""Hello from a Python CGI script, with the server's time."""
import html
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from frame import send  # noqa: E402  (this folder's frame.py: the site's look)

now = time.strftime("%Y-%m-%d %H:%M:%S %Z")
send("Hello from Python", f"""    <section class="page-intro">
      <h1>Hello from Python!</h1>
      <p class="lead">The time on the server is <strong>{html.escape(now)}</strong>.</p>
      <p>portico ran <code>/usr/bin/python3</code> on this script with the
        request in its environment, and streamed what it printed back to you.
        Reload the page: the time is new each time.</p>
    </section>
    <ul class="links">
      <li><a href="/cgi-bin/form.py">form.py</a> &mdash; a form that posts to its own script</li>
      <li><a href="/cgi-bin/env.py">env.py</a> &mdash; the CGI environment, as JSON</li>
      <li><a href="/cgi-bin/info.php">info.php</a> &mdash; the same from PHP</li>
    </ul>""", "hello.py")
