#!/usr/bin/env python3
"""A tiny notes store: GET lists the notes, POST adds one.

    GET  /cgi-bin/notes.py  -> {"notes": [{"id": 1, "text": "...", "created": "..."}], "count": 1}
    POST /cgi-bin/notes.py  with {"text": "Buy milk"} (JSON, or a form field text=...)
                            -> 201 {"note": {"id": 2, "text": "Buy milk", "created": "..."}}

The notes live in ../data/notes.json (next to cgi-bin/, outside the site's
document root, so the file itself is not downloadable). That folder must be
writable by the user portico runs as; the Docker demo mounts a volume there.

Several requests may run this script at once (one process each), so:
- a writer holds an exclusive lock (flock on data/.lock) while it reads,
  changes and writes the list, so that no note is lost between two writers;
- the new list goes to a temporary file in the same folder that is then
  renamed over notes.json: rename is atomic, so a reader sees the old file or
  the new one, never half of one, and a crash leaves the old file intact.
"""
import datetime
import fcntl
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
NOTES = os.path.join(DATA, "notes.json")
LOCK = os.path.join(DATA, ".lock")
MAX_TEXT = 280      # characters in one note
MAX_NOTES = 100     # the oldest notes are dropped beyond this


def reply(body, status="200 OK", extra=""):
    out = json.dumps(body, ensure_ascii=False).encode() + b"\n"
    sys.stdout.buffer.write(b"Status: " + status.encode() + b"\n"
                            b"Content-Type: application/json\n"
                            b"Cache-Control: no-store\n" + extra.encode() + b"\n" + out)


def load():
    try:
        with open(NOTES, encoding="utf-8") as f:
            notes = json.load(f)
        return notes if isinstance(notes, list) else []
    except FileNotFoundError:
        return []


def save(notes):
    fd, tmp = tempfile.mkstemp(prefix=".notes-", suffix=".tmp", dir=DATA)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(notes, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, NOTES)
    except BaseException:
        os.unlink(tmp)
        raise


def read_text():
    try:
        length = int(os.environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = 0
    raw = sys.stdin.buffer.read(length) if length > 0 else b""
    mime = os.environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if mime == "application/x-www-form-urlencoded":
        import urllib.parse
        return (urllib.parse.parse_qs(text).get("text") or [""])[0]
    try:
        body = json.loads(text)
    except ValueError:
        raise ValueError("send JSON such as {\"text\": \"hello\"}")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ValueError("the JSON needs a string field \"text\"")
    return body["text"]


def add():
    try:
        text = read_text().strip()
    except ValueError as e:
        return reply({"error": str(e)}, "400 Bad Request")
    if not text:
        return reply({"error": "a note needs some text"}, "400 Bad Request")
    if len(text) > MAX_TEXT:
        return reply({"error": f"a note has at most {MAX_TEXT} characters"}, "400 Bad Request")
    with open(LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # released when the file closes
        notes = load()
        note = {
            "id": max((n.get("id", 0) for n in notes), default=0) + 1,
            "text": text,
            "created": datetime.datetime.now(datetime.timezone.utc)
                       .isoformat(timespec="seconds").replace("+00:00", "Z"),
        }
        notes = (notes + [note])[-MAX_NOTES:]
        save(notes)
    reply({"note": note}, "201 Created")


def main():
    method = os.environ.get("REQUEST_METHOD", "GET")
    try:
        if method == "POST":
            add()
        else:
            notes = load()
            reply({"notes": notes, "count": len(notes)})
    except OSError as e:
        reply({"error": f"notes storage: {e.strerror} ({DATA})"}, "500 Internal Server Error")
    except ValueError:
        reply({"error": "notes.json is not valid JSON"}, "500 Internal Server Error")


main()
