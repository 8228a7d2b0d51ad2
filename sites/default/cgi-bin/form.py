#!/usr/bin/env python3
"""A form round-trip: GET shows a form that posts to this script; POST
reads the urlencoded body and echoes its fields back."""
import html
import os
import sys
import urllib.parse


def respond(body, status="200 OK"):
    page = ('<!DOCTYPE html>\n<html lang="en">\n'
            '<head><meta charset="utf-8"><title>Form</title></head>\n'
            '<body>\n' + body + '<p><a href="/">Back</a></p>\n</body>\n</html>\n')
    out = sys.stdout.buffer
    out.write(b"Status: " + status.encode() + b"\n")
    out.write(b"Content-Type: text/html; charset=utf-8\n\n")
    out.write(page.encode())


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
    respond(f"""<h1>Say something</h1>
<form method="post" action="{action}">
<p><label>Name <input type="text" name="name"></label></p>
<p><label>Message<br><textarea name="message" rows="4" cols="40"></textarea></label></p>
<p><button type="submit">Send</button></p>
</form>
""")


def show_fields():
    ctype = os.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        respond("<h1>Unsupported form encoding</h1>\n", "415 Unsupported Media Type")
        return
    try:
        body = read_body()
    except ValueError:
        respond("<h1>Bad Content-Length</h1>\n", "400 Bad Request")
        return
    fields = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>\n" for k, v in fields)
    respond(f"<h1>You sent {len(fields)} field(s)</h1>\n<dl>\n{rows}</dl>\n")


if os.environ.get("REQUEST_METHOD") == "POST":
    show_fields()
else:
    show_form()
