#!/usr/bin/env python3
"""Echoes a request back as JSON: method, query parameters and body.

    GET  /cgi-bin/echo.py?name=Ada&tag=a&tag=b
      -> {"method": "GET", "query": {"name": "Ada", "tag": ["a", "b"]}, ...}
    POST /cgi-bin/echo.py   (Content-Type: application/json)
      -> {"method": "POST", ..., "json": <the parsed body>}

A POSTed form (application/x-www-form-urlencoded) comes back under "form",
any other body as "text" (its first 1000 characters). A JSON body that does
not parse gets 400 with {"error": "..."}. portico itself caps the body at
the location's limits.body_size (16k in configs/demo.yaml): larger is 413.
"""
import json
import os
import sys
import urllib.parse


def reply(body, status="200 OK"):
    out = json.dumps(body, ensure_ascii=False, indent=2).encode() + b"\n"
    sys.stdout.buffer.write(b"Status: " + status.encode() + b"\n"
                            b"Content-Type: application/json\n"
                            b"Cache-Control: no-store\n\n" + out)


def params(qs):
    """name=a&tag=x&tag=y -> {"name": "a", "tag": ["x", "y"]}"""
    out = {}
    for key, values in urllib.parse.parse_qs(qs, keep_blank_values=True).items():
        out[key] = values[0] if len(values) == 1 else values
    return out


def read_body():
    try:
        length = int(os.environ.get("CONTENT_LENGTH") or "0")
    except ValueError:
        length = 0
    data = b""
    while len(data) < length:
        chunk = sys.stdin.buffer.read(length - len(data))
        if not chunk:
            break
        data += chunk
    return data


def main():
    env = os.environ
    ctype = env.get("CONTENT_TYPE", "")
    result = {
        "method": env.get("REQUEST_METHOD", ""),
        "path_info": env.get("PATH_INFO", ""),
        "query": params(env.get("QUERY_STRING", "")),
        "content_type": ctype or None,
        "user_agent": env.get("HTTP_USER_AGENT"),
    }
    body = read_body()
    result["body_bytes"] = len(body)
    if body:
        mime = ctype.split(";")[0].strip().lower()
        text = body.decode("utf-8", "replace")
        if mime == "application/json" or mime.endswith("+json"):
            try:
                result["json"] = json.loads(text)
            except ValueError as e:
                reply({"error": f"the body is not valid JSON: {e}"}, "400 Bad Request")
                return
        elif mime == "application/x-www-form-urlencoded":
            result["form"] = params(text)
        else:
            result["text"] = text[:1000]
    reply(result)


main()
