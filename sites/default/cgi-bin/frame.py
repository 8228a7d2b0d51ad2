#!/usr/bin/env python3
"""The welcome site's frame for the Python CGI demos (hello.py, form.py):
its stylesheet, header and footer around a page's main content, so that
a script's page looks like the rest of the site. Requested itself
(/cgi-bin/frame.py), it frames a page about itself."""
import html
import os
import sys


def page(title, main, script):
    """A whole HTML page: title (plain text), main (HTML), and the name of
    the script that drew it, for the footer."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)} &middot; portico</title>
  <link rel="icon" href="/favicon.ico" sizes="16x16">
  <link rel="icon" href="/img/logo.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/css/style.css">
</head>
<body>
  <header class="site-header">
    <div class="wrap header-inner">
      <a class="brand" href="/">
        <img src="/img/logo.svg" alt="" width="36" height="36">
        <span>portico</span>
      </a>
      <nav aria-label="Site">
        <a href="/">Home</a>
        <a href="/cgi-bin/hello.py">Hello</a>
        <a href="/cgi-bin/form.py">Form</a>
        <a href="/upload.html">Upload</a>
      </nav>
    </div>
  </header>

  <main class="wrap">
{main}
  </main>

  <footer class="site-footer">
    <div class="wrap">Drawn by a CGI script, <code>sites/default/cgi-bin/{html.escape(script)}</code>,
      run by portico for this request &middot; <a href="/">back to the welcome page</a></div>
  </footer>
</body>
</html>
"""


def send(title, main, script, status="200 OK"):
    """Writes the CGI response: the status, the type and the page."""
    out = sys.stdout.buffer
    out.write(b"Status: " + status.encode() + b"\n")
    out.write(b"Content-Type: text/html; charset=utf-8\n\n")
    out.write(page(title, main, script).encode())


if __name__ == "__main__":
    send("frame.py", """    <section class="page-intro">
      <h1>The frame of the CGI demos</h1>
      <p class="lead">This script holds the header, footer and stylesheet link
        that <a href="/cgi-bin/hello.py">hello.py</a> and
        <a href="/cgi-bin/form.py">form.py</a> put around their pages.</p>
    </section>""", os.path.basename(__file__))
