#!/usr/bin/env python3
"""A form round-trip: GET shows a form that posts to this script; POST
reads the urlencoded body and echoes its fields back."""
import html
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
from frame import send  # noqa: E402  (this folder's frame.py: the site's look)


def respond(heading, body, status="200 OK"):
    send(heading, f"""    <section class="page-intro">
      <h1>{html.escape(heading)}</h1>
    </section>
{body}""", "form.py", status)


def read_body():
    """Exactly CONTENT_LENGTH bytes of stdin (fewer only if it ends early)."""
    length = int(os.environ.get("CONTENT_LENGTH") or "0")
    data = b""
    while len(data) < length:
        chunk = sys.stdin.buffer.read(length - len(data))
        if not chunk:
            break
        data += chunk
    return data


def show_form():
    action = html.escape(os.environ.get("SCRIPT_NAME", ""), quote=True)
    respond("Say something", f"""    <p class="lead">This form posts to the Python script that drew it; the
      script reads the request body portico hands it and shows what it got.</p>
    <form class="card cgi-form" method="post" action="{action}">
      <label for="name">Name</label>
      <input type="text" id="name" name="name">
      <label for="message">Message</label>
      <textarea id="message" name="message" rows="4"></textarea>
      <div class="form-actions"><button type="submit" class="btn">Send</button></div>
    </form>""")


def show_fields():
    ctype = os.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        respond("Unsupported form encoding", "", "415 Unsupported Media Type")
        return
    try:
        body = read_body()
    except ValueError:
        respond("Bad Content-Length", "", "400 Bad Request")
        return
    fields = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    rows = "".join(f"      <dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>\n" for k, v in fields)
    action = html.escape(os.environ.get("SCRIPT_NAME", ""), quote=True)
    respond(f"You sent {len(fields)} field(s)", f"""    <dl class="facts">
{rows}    </dl>
    <p><a href="{action}">Send another</a></p>""")


if os.environ.get("REQUEST_METHOD") == "POST":
    show_fields()
else:
    show_form()
